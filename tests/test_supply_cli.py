"""``pcf reduce``, ``pcf macc``, ``pcf suppliers score``, ``pcf scenario run``, in-process
(``typer.testing.CliRunner``); the commands that need Brightway use the session's temporary
project (``shipped`` in tests/conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app
from tests.greet import LFP_G_PER_KG

ROOT = Path(__file__).resolve().parent.parent
BOM = ROOT / "inventories" / "bom"
LEVERS, BASELINE = BOM / "battery-pack-levers.csv", BOM / "battery-pack-baseline.csv"
runner = CliRunner()


def pcf(*args, data_dir, check=True):
    """``pcf --data-dir DATA_DIR ARGS`` in-process."""
    r = runner.invoke(app, ["--data-dir", str(data_dir), *map(str, args)])
    if check and r.exit_code != 0:
        raise AssertionError(
            f"pcf {' '.join(map(str, args))} failed ({r.exit_code}):\n{r.stderr}{r.exception!r}"
        )
    return r


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """For the commands that never open the project: it stays empty."""
    d = tmp_path_factory.mktemp("supply-cli-bw")
    yield d
    assert not any(d.iterdir())


def test_reduce_json_gives_the_demo_plan(data_dir):
    p = pcf(
        "reduce",
        "--levers",
        LEVERS,
        "--baseline",
        BASELINE,
        "--target",
        "30%",
        "--year",
        "2030",
        "--json",
        data_dir=data_dir,
    )
    d = json.loads(p.stdout)  # stdout holds nothing but the JSON
    assert d["status"] == "optimal" and d["met"]
    # the same plan as demo_supply_chain (tests/test_supply_demo.py)
    assert set(d["chosen"]) == {"cell-wind-50", "cathode-green", "housing-recycled-50"}
    assert d["cost"] == pytest.approx(2_050_000)
    assert d["portfolio_footprint"] <= d["target_value"]
    assert d["verification"] is None


def test_infeasible_target_exits_0_with_best_plan_and_binding(data_dir):
    p = pcf(
        "reduce",
        "--levers",
        LEVERS,
        "--baseline",
        BASELINE,
        "--target",
        "60%",
        "--year",
        "2030",
        "--json",
        data_dir=data_dir,
    )
    d = json.loads(p.stdout)
    assert p.exit_code == 0 and d["status"] == "infeasible" and not d["met"]
    assert d["shortfall"] > 0
    kinds = {b["kind"] for b in d["binding"]}
    assert "year" in kinds  # cell-wind-100 only from 2031
    q = pcf(
        "reduce",
        "--levers",
        LEVERS,
        "--baseline",
        BASELINE,
        "--target",
        "60%",
        "--year",
        "2030",
        data_dir=data_dir,
    )
    assert "out of reach" in q.stdout and "binding constraints" in q.stdout


def test_budget_and_macc(data_dir, tmp_path):
    d = json.loads(
        pcf(
            "reduce",
            "--levers",
            LEVERS,
            "--baseline",
            BASELINE,
            "--budget",
            "1000000",
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    assert d["cost"] <= 1_000_000 and d["question"] == "budget"
    out = tmp_path / "macc.csv"
    m = json.loads(
        pcf(
            "macc",
            "--levers",
            LEVERS,
            "--baseline",
            BASELINE,
            "--csv",
            out,
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    macs = [r["mac"] for r in m["levers"]]
    assert macs == sorted(macs) and out.exists()

    with out.open(newline="") as fh:
        assert [r["lever"] for r in csv.DictReader(fh)] == [r["lever"] for r in m["levers"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["macc.csv"]  # nothing staged left


@pytest.mark.parametrize(
    "old,new,expect",
    [
        (
            ",supplier_switch,50000,",
            ",supplier_switch,-5,",
            r"levers.csv:9 \(lever 'bms-switch'\): cost -5 is negative",
        ),
        (
            ",efficiency,900000,battery-pack,",
            ",efficiency,900000,other-pack,",
            r"levers.csv:4 \(lever 'cell-efficiency'\): product 'other-pack' has no baseline",
        ),
    ],
)
def test_bad_levers_exit_1_naming_the_row(data_dir, tmp_path, old, new, expect):
    text = LEVERS.read_text()
    assert old in text
    bad = tmp_path / "levers.csv"
    bad.write_text(text.replace(old, new, 1))
    p = pcf(
        "reduce",
        "--levers",
        bad,
        "--baseline",
        BASELINE,
        "--target",
        "30%",
        data_dir=data_dir,
        check=False,
    )
    assert p.exit_code == 1
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and re.search(expect, lines[0]), p.stderr


def test_target_xor_budget(data_dir):
    p = pcf("reduce", "--levers", LEVERS, "--baseline", BASELINE, data_dir=data_dir, check=False)
    assert p.exit_code == 1 and "--target" in p.stderr


def test_reduce_verifies_with_bom_scenarios_and_suppliers(shipped, bw_dir, tmp_path):
    """Needs the Brightway project: the session's, with the shipped inventories."""
    data_dir = bw_dir
    d = json.loads(
        pcf(
            "reduce",
            "--levers",
            LEVERS,
            "--baseline",
            BASELINE,
            "--target",
            "30%",
            "--year",
            "2030",
            "--bom",
            BOM / "battery-pack-bom.csv",
            "--pcf",
            BOM / "battery-pack-cathode-pcf.json",
            "--pcf",
            BOM / "battery-pack-supplier-pcfs.csv",
            "--on",
            "2026-01-01",  # the shipped PCFs' validity is checked on a fixed study date
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    v = d["verification"]
    assert v["target_met_exact"] and not v["stale_levers"]
    assert v["exact_reduction"] == pytest.approx(v["linear_reduction"], rel=1e-7)

    scen_csv = tmp_path / "tables" / "scenarios.csv"
    rows = json.loads(
        pcf(
            "scenario",
            "run",
            BOM / "battery-pack-scenarios.yaml",
            "pcf-products|lfp-cell-per-kwh",
            "--csv",
            scen_csv,
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    assert len(scen_csv.read_text().splitlines()) == len(rows) + 1
    by = {r["scenario"]: r for r in rows}
    # the cell: the cells' BatPaC mass share 288 x 1.336 / 618 of GREET 42.5048 (its gases per kg
    # battery / 142.9 Wh/kg, IPCC 2021 GWP100) + the factory's 37.5 kWh (Degen et al. 2023, LFP) x
    # China grid at the consumer (0.5777 + 0.0327)
    assert by["baseline"]["score"] == pytest.approx(
        0.6226019417475729 * LFP_G_PER_KG / 142.9 + 37.5 * (0.5777 + 0.0327),
        rel=1e-6,
    )
    assert by["cell-factory-wind-100"]["delta"] == pytest.approx(
        -37.5 * (0.5777 + 0.0327 - 0.0324), rel=1e-6
    )
    # 37.5 -> 30 kWh per kWh (factor 0.8)
    assert by["cell-factory-30kwh"]["delta"] == pytest.approx(-7.5 * (0.5777 + 0.0327), rel=1e-6)

    contrib = tmp_path / "contrib.csv"
    contrib.write_text("supplier,product,contribution\nA,battery-pack,3000\nB,battery-pack,1000\n")
    quality = tmp_path / "suppliers.csv"
    quality.write_text(
        "supplier,intensity,benchmark,primary_share,ter,ger,tir,p\n"
        "A,12,10,0.2,2,2,2,2\nB,,,0.9,,,,\n"
    )
    card_csv = tmp_path / "tables" / "scorecard.csv"
    card = json.loads(
        pcf(
            "suppliers",
            "score",
            contrib,
            "--suppliers",
            quality,
            "--baseline",
            BASELINE,
            "--csv",
            card_csv,
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    assert [r["supplier"] for r in card] == ["A", "B"]
    assert card_csv.read_text().splitlines()[1].split(",")[1] == "A"
    assert sorted(p.name for p in card_csv.parent.iterdir()) == ["scenarios.csv", "scorecard.csv"]
    assert card[0]["intensity_ratio"] == pytest.approx(1.2) and card[0]["dqr"] == 2.0
    quality.write_text("supplier,primary_share\nA,1.5\n")
    p = pcf("suppliers", "score", contrib, "--suppliers", quality, data_dir=data_dir, check=False)
    assert p.exit_code == 1 and "suppliers.csv:2 (supplier 'A')" in p.stderr


# -- bad inputs (issue 9): exit 1, one line naming file, row and field -----------------------------
CELL_BOM, PACK_BOM = BOM / "lfp-cell-bom.csv", BOM / "battery-pack-bom.csv"
PCF_TABLE = BOM / "battery-pack-supplier-pcfs.csv"


def _one_line_error(p, *expect):
    assert p.exit_code == 1, (p.exit_code, p.stderr, p.exception)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for e in expect:
        assert re.search(e, lines[0]), (e, lines[0])


def _two_roots(tmp_path) -> Path:
    f = tmp_path / "bom.csv"
    f.write_text(CELL_BOM.read_text() + "second-root,,,piece,another product,,CN,production,,,\n")
    return f


def _conflicting_tables(tmp_path) -> tuple[Path, Path]:
    a, b = tmp_path / "pcfs-a.csv", tmp_path / "pcfs-b.csv"
    a.write_text(PCF_TABLE.read_text())
    text = PCF_TABLE.read_text().replace("bms-example-a,70,", "bms-example-a,90,")
    b.write_text(
        text.replace("2025-01-01T00:00:00+00:00,Active", "2025-06-01T00:00:00+00:00,Active", 1)
    )
    return a, b


def test_bad_bom_and_pcf_inputs_exit_1_before_opening_the_project(data_dir, tmp_path):
    _one_line_error(
        pcf("bom", "rollup", _two_roots(tmp_path), data_dir=data_dir, check=False),
        r"bom.csv",
        r"2 roots.*'lfp-cell' \(row 2\), 'second-root' \(row \d+\).*--root",
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _one_line_error(
        pcf("bom", "rollup", empty, data_dir=data_dir, check=False), r"empty.csv.*empty file"
    )
    a, b = _conflicting_tables(tmp_path)
    _one_line_error(
        pcf("bom", "rollup", PACK_BOM, "--pcf", a, "--pcf", b, data_dir=data_dir, check=False),
        r"'bms-example-a'",
        r"pcfs-a.csv, row 2 \(70 per piece\) and .*pcfs-b.csv, row 2 \(90 per piece\)",
        r"--pcf-rule",
    )
    p = pcf("bom", "rollup", CELL_BOM, "--pcf-rule", "best", data_dir=data_dir, check=False)
    assert p.exit_code == 2 and "--pcf-rule" in p.stderr


def test_bad_levers_and_baselines_exit_1(data_dir, tmp_path):
    levers = tmp_path / "levers.csv"
    levers.write_text(LEVERS.read_text().splitlines()[0] + "\n")
    _one_line_error(
        pcf("macc", "--levers", levers, "--baseline", BASELINE, data_dir=data_dir, check=False),
        r"levers.csv: no levers",
    )
    base = tmp_path / "baseline.csv"
    base.write_text("product,footprint,volume\nbattery-pack,5594.78,0\n")
    _one_line_error(
        pcf(
            "reduce",
            "--levers",
            LEVERS,
            "--baseline",
            base,
            "--target",
            "30%",
            data_dir=data_dir,
            check=False,
        ),
        r"baseline.csv:2: volume '0' of product 'battery-pack' must be a number > 0",
    )


def test_root_and_pcf_rule_choose(shipped, bw_dir, tmp_path):
    """--root rolls up the chosen product alone; --pcf-rule picks one of conflicting PCFs."""
    one = json.loads(pcf("bom", "rollup", CELL_BOM, "--json", data_dir=bw_dir).stdout)
    two = json.loads(
        pcf(
            "bom", "rollup", _two_roots(tmp_path), "--root", "lfp-cell", "--json", data_dir=bw_dir
        ).stdout
    )
    assert two["footprint"] == one["footprint"] and two["part"] == "lfp-cell"
    a, b = _conflicting_tables(tmp_path)
    args = ("bom", "rollup", PACK_BOM, "--pcf", a, "--pcf", b, "--on", "2025-03-01", "--json")
    first = json.loads(pcf(*args, "--pcf-rule", "first", data_dir=bw_dir).stdout)
    latest = json.loads(pcf(*args, "--pcf-rule", "latest", data_dir=bw_dir).stdout)
    assert latest["footprint"] > first["footprint"]


# -- the independent corpus's cases (issue 9): every cell of every row checked on read -------------
def _with_cell(path: Path, row: int, column: str, value: str) -> str:
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[row][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _reduce(data_dir, levers=LEVERS, baseline=BASELINE, *extra):
    return pcf(
        "reduce",
        "--levers",
        levers,
        "--baseline",
        baseline,
        "--target",
        "30%",
        *extra,
        data_dir=data_dir,
        check=False,
    )


@pytest.mark.parametrize(
    "column,value,expect",
    [
        ("share", "abc", r"share 'abc' is not a number"),
        ("share", "-0.1", r"share -0\.1 must be in \(0, 1\]"),
        ("share", "1.5", r"share 1\.5 must be in \(0, 1\]"),
        ("share", "nan", r"share 'nan': must be a finite number"),
        ("share", "inf", r"share 'inf': must be a finite number"),
        ("change", "bananas", r"change 'bananas' is not one of replace_supplier"),
        ("delta", "-1", r"delta -1 is negative on every product of the lever"),
        ("delta", "1e308", r"delta '1e308': 1e\+308 is too large"),
    ],
)
def test_levers_cells_are_checked_without_a_bom(data_dir, tmp_path, column, value, expect):
    """Read whatever the options: the change columns too, not only with --bom."""
    bad = tmp_path / "levers.csv"
    bad.write_text(_with_cell(LEVERS, 1, column, value))
    _one_line_error(_reduce(data_dir, bad), rf"levers\.csv:2 \(lever 'cell-wind-50'\): {expect}")


def test_a_truncated_levers_file_names_the_short_row(data_dir, tmp_path):
    text = LEVERS.read_text()
    bad = tmp_path / "levers.csv"
    cut = text[: int(len(text) * 0.6)]
    bad.write_text(cut)
    # the short row, counted by the csv module: its line (no field holds a line break) and fields
    rows = list(csv.reader(cut.splitlines()))
    line, fields = len(rows), len(rows[-1])
    assert 1 < line and 0 < fields < 19
    _one_line_error(
        _reduce(data_dir, bad), rf"levers\.csv:{line}: row has {fields} of the header's 19 fields"
    )


@pytest.mark.parametrize("column", ["footprint", "volume"])
def test_an_absurd_baseline_is_refused_where_read(data_dir, tmp_path, column):
    bad = tmp_path / "baseline.csv"
    bad.write_text(_with_cell(BASELINE, 1, column, "1e308"))
    _one_line_error(
        _reduce(data_dir, LEVERS, bad),
        rf"baseline\.csv:2: {column} '1e308' of product 'battery-pack': 1e\+308 is too large",
    )


def test_time_limit_nan_is_refused(data_dir):
    p = _reduce(data_dir, LEVERS, BASELINE, "--time-limit", "nan")
    assert p.exit_code == 2 and "'--time-limit': nan is not a finite number" in p.stderr


@pytest.mark.parametrize(
    "content,expect",
    [
        ("null", r"cathode\.json: .*not a PACT ProductFootprint: the file holds null"),
        ("[]", r"cathode\.json: .*the file holds an empty list"),
    ],
)
def test_a_pact_file_without_a_footprint_exits_1(data_dir, tmp_path, content, expect):
    f = tmp_path / "cathode.json"
    f.write_text(content)
    _one_line_error(
        pcf("bom", "rollup", PACK_BOM, "--pcf", f, data_dir=data_dir, check=False), expect
    )


@pytest.mark.parametrize(
    "column,value,expect",
    [
        ("value", "-1", r"'value': '-1' is refused: must be a finite number >= 0"),
        ("value", "1e308", r"'value': '1e308' is refused: 1e\+308 is too large"),
        ("reference_period_start", "2026-01-01T00:00:00+00:00", r"is not before"),
        ("status", "Bananas", r"'status': 'Bananas' is not one of \['Active', 'Deprecated'\]"),
    ],
)
def test_bad_supplier_pcf_cells_exit_1(data_dir, tmp_path, column, value, expect):
    f = tmp_path / "supplier-pcfs.csv"
    f.write_text(_with_cell(PCF_TABLE, 1, column, value))
    _one_line_error(
        pcf("bom", "rollup", PACK_BOM, "--pcf", f, data_dir=data_dir, check=False),
        rf"supplier-pcfs\.csv, row 2: .*{expect}",
    )


def test_a_header_only_supplier_pcf_table_exits_1(data_dir, tmp_path):
    f = tmp_path / "supplier-pcfs.csv"
    f.write_text(PCF_TABLE.read_text().splitlines()[0] + "\n")
    _one_line_error(
        pcf("bom", "rollup", PACK_BOM, "--pcf", f, data_dir=data_dir, check=False),
        r"supplier-pcfs\.csv: .*no rows",
    )


def test_a_header_only_contributions_file_exits_1(data_dir, tmp_path):
    f = tmp_path / "contrib.csv"
    f.write_text("supplier,product,contribution\n")
    _one_line_error(
        pcf("suppliers", "score", f, data_dir=data_dir, check=False),
        r"contrib\.csv: no rows \(only a header\)",
    )


def test_rollup_console_says_units_and_sources_in_words(shipped, bw_dir):
    """What a purchasing user reads at 80 columns: the footprint per unit of the product, the
    parts counted by source in words (no Python dict), each table's unit, no empty 'rest' row."""
    r = runner.invoke(
        app, ["--data-dir", str(bw_dir), "bom", "rollup", str(CELL_BOM)], terminal_width=80
    )
    assert r.exit_code == 0, (r.output, r.exception)
    out = " ".join(r.stdout.split())  # rich wraps at 80 columns
    # 0.622602 x 42.5048 (GREET cell share) + 37.5 kWh x 0.6104 = 26.4636 + 22.89
    assert "lfp-cell: 49.3536 kg CO2-Eq per kilowatt hour" in out
    assert "parts by source: BOM roll-up 3, background dataset 2;" in out
    assert "{" not in out
    assert "kg CO2-Eq per unit" in out and "kg CO2-Eq per kilowatt hour" in out
    assert not any(line.split()[1:3] == ["rest", "│"] for line in r.stdout.splitlines() if line)


def test_reduce_console_reads_at_80_columns(data_dir):
    """The plan as a purchasing user reads it: whole lever ids, figures with thousands
    separators and no exponent (the levers' costs 1,200,000 + 500,000 + 350,000)."""
    args = ["--data-dir", str(data_dir), "reduce", "--levers", str(LEVERS)]
    args += ["--baseline", str(BASELINE), "--target", "30%"]
    r = runner.invoke(app, args, terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "cost 2,050,000;" in r.stdout
    for lever in ("cell-wind-50", "cathode-green", "housing-recycled-50"):
        assert lever in r.stdout
    assert "e+0" not in r.stdout and "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_macc_console_reads_at_80_columns(data_dir):
    """The curve at 80 columns: whole lever ids, no exponent, no cut cell; cathode-green first
    (cost 500,000 over 6,936,000 abated: 0.07209 per unit, the cheapest lever)."""
    args = ["--data-dir", str(data_dir), "macc", "--levers", str(LEVERS)]
    r = runner.invoke(app, [*args, "--baseline", str(BASELINE)], terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    rows = [line for line in r.stdout.splitlines() if line.startswith("│ ")]
    assert rows[0].split("│")[1:5] == [
        " cathode-green               ",
        "   500,000 ",
        "  6,936,000 ",
        "  0.07209 ",
    ]
    for lever in ("housing-recycled-50", "cell-wind-50", "housing-recycled-80"):
        assert any(f"│ {lever} " in row for row in rows), lever
    assert "e+0" not in r.stdout and "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_rollup_console_says_a_total_with_a_missing_part_is_incomplete(shipped, bw_dir):
    """The pack with only the supplier-PCF table: its cathode material's PCF is in another file,
    so the part counts as 0; the total line says INCOMPLETE and the next names the part (it
    was only a log warning on stderr)."""
    args = ["--data-dir", str(bw_dir), "bom", "rollup", str(PACK_BOM)]
    r = runner.invoke(app, [*args, "--pcf", str(BOM / "battery-pack-supplier-pcfs.csv")])
    assert r.exit_code == 0, (r.output, r.exception)
    out = " ".join(r.stdout.split())
    assert "kg CO2-Eq per piece (INCOMPLETE: see below)" in out
    assert (
        "1 part(s) without a footprint source, counted as 0 in the total: cathode-material" in out
    )


def test_reduce_and_macc_name_the_currency_given(data_dir, tmp_path):
    """--currency (or a 'currency' column of the levers file) names the costs' currency in the
    headline, the headers and the JSON; two different ones are refused, naming the line."""
    base = ["--data-dir", str(data_dir)]
    files = ["--levers", str(LEVERS), "--baseline", str(BASELINE)]
    r = runner.invoke(app, [*base, "reduce", *files, "--target", "30%", "--currency", "EUR"])
    assert r.exit_code == 0, (r.output, r.exception)
    assert "cost 2,050,000 EUR;" in r.stdout and "cost (EUR)" in r.stdout
    r = runner.invoke(app, [*base, "macc", *files, "--currency", "EUR", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["currency"] == "EUR"
    text = LEVERS.read_text().splitlines()
    with_col = [text[0] + ",currency"] + [line + ",USD" for line in text[1:] if line]
    usd = tmp_path / "levers-usd.csv"
    usd.write_text("\n".join(with_col) + "\n")
    r = runner.invoke(app, [*base, "macc", "--levers", str(usd), "--baseline", str(BASELINE)])
    assert r.exit_code == 0 and "cost (USD)" in r.stdout, (r.output, r.exception)
    args = [*base, "reduce", "--levers", str(usd), "--baseline", str(BASELINE), "--target", "30%"]
    r = runner.invoke(app, [*args, "--currency", "EUR"])
    assert r.exit_code == 1 and "levers-usd.csv:2" in r.stderr, (r.output, r.exception)
