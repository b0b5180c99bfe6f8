"""The supplier-PCF table reader (supply_chain.pcfs.read_pcf_table): cells read by column name
whatever the column order, short rows and blank lines as csv.DictReader reads them, every cell
checked on every row (a unit seen before still maps to its own name; a bad cell on a late row
is refused naming that row)."""

from __future__ import annotations

import pytest

from supply_chain.errors import InvalidPCF
from supply_chain.pcfs import read_pcf_table


def _table(tmp_path, text: str):
    f = tmp_path / "pcfs.csv"
    f.write_text(text)
    return f


def test_columns_in_any_order_short_rows_and_blank_lines(tmp_path):
    f = _table(
        tmp_path,
        "status,unit,extra,value,id,temporal_dqr,product\n"
        "active,KG ,x,2.5,a\n"  # short: no temporal_dqr, no product
        "\n"
        "Deprecated,kilogram,y,0,b,3,bolt,surplus cell\n"
        ",kg,,1e18,c,,\n",
    )
    a, b, c = read_pcf_table(f)
    assert (a.id, a.value, a.unit, a.status, a.dqr, a.product) == ("a", 2.5, "kg", "Active", {}, "")
    assert (b.id, b.value, b.unit, b.status) == ("b", 0.0, "kilogram", "Deprecated")
    assert (b.dqr, b.product) == ({"temporal": 3.0}, "bolt")
    assert (c.value, c.unit, c.status) == (1e18, "kg", "Active")  # empty status: Active
    # rows counted as csv.DictReader counts them (the blank line is skipped)
    assert [p.source.rsplit(", ", 1)[1] for p in (a, b, c)] == ["row 2", "row 3", "row 4"]


def test_a_repeated_column_name_reads_its_last_column(tmp_path):
    (p,) = read_pcf_table(_table(tmp_path, "id,value,unit,value\na,1,kg,2\n"))
    assert p.value == 2.0


@pytest.mark.parametrize(
    "row,column,why",
    [
        ("d,1,bushel,", "unit", r"Unknown unit 'bushel'"),
        ("d,nan,kg,", "value", r"'nan' is refused: must be a finite number >= 0"),
        ("d,inf,kg,", "value", r"'inf' is refused: must be a finite number >= 0"),
        ("d,-0.5,kg,", "value", r"'-0.5' is refused: must be a finite number >= 0"),
        ("d,1.5e18,kg,", "value", r"'1.5e18' is refused: 1\.5e\+18 is too large"),
        ("d,one,kg,", "value", r"'one' is not a number"),
        ("d,1,kg,0", "technological_dqr", r"'0' is not within 1\.\.5"),
        ("d,1,kg,5.5", "technological_dqr", r"'5.5' is not within 1\.\.5"),
        ("d,,kg,", "value", "empty"),
        (" ,1,kg,", "id", "empty"),
    ],
)
def test_a_bad_cell_after_good_rows_is_refused_naming_its_row(tmp_path, row, column, why):
    f = _table(tmp_path, f"id,value,unit,technological_dqr\na,1,kg,1\nb,2,kg,5\nc,3,g,\n{row}\n")
    with pytest.raises(InvalidPCF, match=rf"pcfs\.csv, row 5: .*'{column}': {why}") as e:
        read_pcf_table(f)
    assert e.value.field == column


def test_primary_data_share_is_a_percentage(tmp_path):
    f = _table(tmp_path, "id,value,unit,primary_data_share\na,1,kg,100\nb,1,kg,100.5\n")
    with pytest.raises(InvalidPCF, match=r"row 3: .*'primary_data_share': '100.5' is not within"):
        read_pcf_table(f)
