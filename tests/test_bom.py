"""BOM construction and files: layout, units, loss/yield, cycles, errors naming the row."""

from __future__ import annotations

import networkx as nx
import pytest

from lca.errors import PCFError, UnitMismatch
from lca.units import conversion_factor, convert
from supply_chain.bom import add_part, bom_from_records, check_acyclic, new_bom, read_bom
from supply_chain.errors import BOMCycle, BOMFormatError, BOMUnitMismatch, UnknownPart, UnknownUnit

HEADER = "part,parent,quantity,unit,loss,supplier,country,activity,pcf_id\n"


def test_units_table_is_explicit():
    assert conversion_factor("ton", "kilogram") == 1000.0  # metric, not pint's short ton
    assert conversion_factor("short ton", "kg") == pytest.approx(907.18474)
    assert conversion_factor("kilowatt hour", "megajoule") == 3.6
    assert conversion_factor("ton kilometer", "kilogram kilometer") == 1000.0
    assert convert(500, "g", "kilogram") == 0.5
    with pytest.raises(BOMUnitMismatch, match="in edge X: expected 'kilogram', got 'piece'") as e:
        conversion_factor("piece", "kilogram", "edge X")
    assert isinstance(e.value, UnitMismatch) and isinstance(e.value, ValueError)
    assert "edge X" in str(e.value) and "'piece'" in str(e.value)
    with pytest.raises(UnknownUnit, match="'bushel'"):
        conversion_factor("bushel", "kg")


def test_python_api_loss_yield_and_units():
    G = new_bom("P", "piece")
    add_part(G, "A", "P", 2, "piece", stage="production")
    add_part(G, "steel", "A", 3.0, "kg", loss=0.25)  # 3 kg end up in A: 4 kg bought
    add_part(G, "steel", "P", 2.0, "tonne", yield_=0.8)  # shared part, other unit
    assert G.edges["A", "steel"]["q"] == 4.0
    assert G.edges["P", "steel"]["q"] == pytest.approx(2500.0)  # kg per piece of P
    assert G.nodes["steel"]["unit"] == "kg"
    add_part(G, "B", "P", 1, "piece")
    with pytest.raises(BOMUnitMismatch, match="'B' -> 'A'.*expected 'piece', got 'kg'"):
        add_part(G, "A", "B", 1, "kg")  # A is counted in pieces
    with pytest.raises(UnknownPart, match="'nope'"):
        add_part(G, "x", "nope", 1, "kg")
    with pytest.raises(BOMFormatError, match="loss"):
        add_part(G, "y", "P", 1, "kg", loss=1.0)
    with pytest.raises(BOMFormatError, match="quantity"):
        add_part(G, "z", "P", -1, "kg")
    with pytest.raises(BOMFormatError, match="stage"):
        add_part(G, "w", "P", 1, "kg", stage="assembly")


def test_read_csv(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(
        HEADER
        + "A,P,2,piece,,Acme,DE,,\n"  # rows need not be ordered
        + "P,,,piece,,,CN,,\n"
        + "grid,A,1.5,kilowatt hour,0.1,,CN,pcf-background|electricity-cn-2023,\n"
        + "steel,A,0.5,kg,,SteelCo,CN,,pcf-1\n"
    )
    G = read_bom(f)
    assert G.graph["roots"] == ["P"]
    assert set(G.edges) == {("P", "A"), ("A", "grid"), ("A", "steel")}
    assert G.nodes["grid"]["activity"] == ("pcf-background", "electricity-cn-2023")
    assert G.edges["A", "grid"]["q"] == pytest.approx(1.5 / 0.9)
    assert G.nodes["steel"]["pcf"] == "pcf-1" and G.nodes["A"]["supplier"] == "Acme"


def test_read_excel(tmp_path):
    import pandas as pd

    f = tmp_path / "bom.xlsx"
    pd.DataFrame(
        {"part": ["P", "A"], "parent": [None, "P"], "quantity": [None, 3], "unit": ["piece", "kg"]}
    ).to_excel(f, index=False)
    G = read_bom(f)
    assert G.edges["P", "A"]["q"] == 3.0


@pytest.mark.parametrize(
    "row,match",
    [
        ("A,P,two,kg,,,,,\n", r"bom.csv, row 3: field 'quantity' = 'two'"),
        ("A,P,1e308,kg,,,,,\n", r"bom.csv, row 3: field 'quantity' = '1e308': .*too large"),
        ("A,P,1,bushel,,,,,\n", r"'bushel' in bom.csv, row 3"),
        ("A,Q,1,kg,,,,,\n", r"bom.csv, row 3: field 'parent' = 'Q'"),
        ("A,P,1,kg,,,,nodatabase,\n", r"row 3: field 'activity'"),
        (",P,1,kg,,,,,\n", r"row 3: field 'part'"),
    ],
)
def test_file_errors_name_the_row(tmp_path, row, match):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\n" + row)
    with pytest.raises(PCFError, match=match):
        read_bom(f)


def test_unit_mismatch_between_rows_names_the_row(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\nA,P,1,kg,,,,,\nB,P,1,piece,,,,,\nA,B,2,piece,,,,,\n")
    with pytest.raises(BOMUnitMismatch, match=r"bom.csv, row 5.*expected 'kg', got 'piece'"):
        read_bom(f)


def test_conflicting_attributes_are_rejected(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\nA,P,1,kg,,X,,,\nB,P,1,kg,,,,,\nA,B,1,kg,,Y,,,\n")
    with pytest.raises(BOMFormatError, match=r"row 5: field 'supplier' = 'Y'.*already has 'X'"):
        read_bom(f)


def test_cycle_is_named(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(
        HEADER + "P,,,piece,,,,,\na,P,1,kg,,,,,\nb,a,1,kg,,,,,\nc,b,1,kg,,,,,\na,c,1,kg,,,,,\n"
    )
    with pytest.raises(BOMCycle, match="has a cycle") as e:
        read_bom(f)
    assert set(e.value.cycle) == {"a", "b", "c"}
    assert "cycle" in str(e.value) and "'a'" in str(e.value) and " -> " in str(e.value)
    G = nx.DiGraph([("x", "y"), ("y", "x")])
    with pytest.raises(BOMCycle, match="'x' -> 'y' -> 'x'"):
        check_acyclic(G)


def test_records_need_a_root():
    with pytest.raises(BOMFormatError, match="no root row"):
        bom_from_records([{"part": "A", "parent": "B", "quantity": 1, "unit": "kg"}])


def test_shipped_example_bom_reads():
    from pcf.demo.supply_chain import DEMO_BOM

    G = read_bom(DEMO_BOM)
    assert G.graph["roots"] == ["lfp-cell"]
    # Degen et al. 2023, LFP cells: 37.5 kWh per kWh of cell capacity (li-ion-cell.csv)
    assert G.edges["cell-manufacturing", "factory-electricity"]["q"] == 37.5
    assert G.nodes["lfp-battery-materials"]["activity"] == (  # the pack chain's cell share
        "pcf-products-lfp-pack",
        "lfp-pack-cell-materials",
    )


# -- bad inputs (issue 9): located errors ---------------------------------------------------------
@pytest.mark.parametrize("content", ["", "\n", HEADER], ids=["zero-bytes", "blank", "header-only"])
def test_empty_bom_file_is_named(tmp_path, content):
    f = tmp_path / "bom.csv"
    f.write_text(content)
    with pytest.raises(BOMFormatError, match=r"bom.csv.*(no rows|empty file)"):
        read_bom(f)


def test_two_roots_are_named_unless_one_is_chosen(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\nA,P,1,kg,,,,,\nR,,,piece,,,,,\nB,R,2,kg,,,,,\n")
    with pytest.raises(BOMFormatError, match=r"bom.csv.*2 roots.*'P' \(row 2\).*'R' \(row 4\)"):
        read_bom(f)
    G = read_bom(f, root="R")
    assert G.graph["roots"] == ["R"] and set(G.nodes) == {"R", "B"}
    with pytest.raises(BOMFormatError, match=r"bom.csv.*root.*'A'.*not a root.*'P' \(row 2\), 'R'"):
        read_bom(f, root="A")


def test_zero_quantity_is_refused_naming_row_and_column(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\nA,P,0,kg,,,,,\n")
    with pytest.raises(BOMFormatError, match=r"bom.csv, row 3: field 'quantity' = '0'.*remove"):
        read_bom(f)
    with pytest.raises(BOMFormatError, match=r"field 'quantity' = 0"):
        add_part(new_bom("P"), "A", "P", 0.0, "kg")


@pytest.mark.parametrize("encoding", ["utf-16", "gbk", "utf-8-sig"])
def test_bom_in_other_encodings_is_read(tmp_path, encoding):
    f = tmp_path / "bom.csv"
    f.write_bytes((HEADER + "P,,,piece,,电池厂,CN,,\nA,P,2,kg,,供应商,CN,,\n").encode(encoding))
    G = read_bom(f)
    assert G.nodes["A"]["supplier"] == "供应商" and G.edges["P", "A"]["q"] == 2.0


def test_bom_in_an_unknown_encoding_is_a_located_error(tmp_path):
    from lca.errors import InputFileError

    f = tmp_path / "bom.csv"
    f.write_bytes((HEADER + "P,,,piece,,Café Müller,FR,,\n").encode("latin-1"))
    with pytest.raises(InputFileError, match=r"bom.csv, line 2: not UTF-8"):
        read_bom(f)


def test_corrupt_xlsx_names_the_file(tmp_path):
    f = tmp_path / "bom.xlsx"
    f.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(BOMFormatError, match=r"bom.xlsx.*cannot be read"):
        read_bom(f)


def test_cycle_in_a_file_names_the_file(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(HEADER + "P,,,piece,,,,,\na,P,1,kg,,,,,\nb,a,1,kg,,,,,\na,b,1,kg,,,,,\n")
    with pytest.raises(BOMCycle, match=r"bom.csv: The bill of materials has a cycle"):
        read_bom(f)


def test_arrays_from_a_graph_read_its_dicts_as_the_views_give_them():
    """BOMArrays.from_graph reads networkx's own dicts (bench bom): the same parts, edges and
    attributes in the graph's order as G.nodes / G.edges, 'quantity' when 'q' is absent, a
    missing or None number NaN (q: 0.0), roots without a parent unless the graph names them."""
    import networkx as nx
    import numpy as np

    from supply_chain.bom import BOMArrays

    G = nx.DiGraph()
    G.add_node("P", direct=None)
    G.add_node("A", direct="1.5")
    G.add_node("B", direct=2)
    G.add_node("X")
    G.add_edge("P", "A", q=2.0, sigma=0.1)
    G.add_edge("P", "B", quantity=3)
    G.add_edge("A", "B", sigma=None)
    G.add_edge("X", "B", q=float("nan"))
    b = BOMArrays.from_graph(G)
    assert b.parts.tolist() == list(G.nodes)
    assert [(b.parts[u], b.parts[v]) for u, v in zip(b.parent, b.child)] == list(G.edges)
    np.testing.assert_array_equal(b.edge["q"], [2.0, 3.0, 0.0, np.nan])
    np.testing.assert_array_equal(b.edge["sigma"], [0.1, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(b.node["direct"], [np.nan, 1.5, 2.0, np.nan])
    assert b.roots == ["P", "X"]
    G.graph["roots"] = ["P"]
    assert BOMArrays.from_graph(G).roots == ["P"]
