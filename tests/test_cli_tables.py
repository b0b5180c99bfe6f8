"""The human tables of ``pcf suppliers score``, ``pcf scenario run`` and ``pcf supply-demo`` as a
person reads them at 80 columns (in-process, ``typer.testing.CliRunner``): no cut cell ('…'),
no exponent, no line over 80 columns, and figures one can check by hand from the input files.

The commands run on the session's temporary Brightway project with the shipped inventories
(``shipped`` in tests/conftest.py), never the user's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

ROOT = Path(__file__).resolve().parent.parent
BOM = ROOT / "inventories" / "bom"
LEVERS, BASELINE = BOM / "battery-pack-levers.csv", BOM / "battery-pack-baseline.csv"
runner = CliRunner()


def at_80(bw_dir, *args):
    """``pcf --data-dir BW_DIR ARGS`` in-process on an 80-column terminal; stdout checked for
    what the review of the 80-column output found (cut cells, exponents, over-wide lines)."""
    r = runner.invoke(app, ["--data-dir", str(bw_dir), *map(str, args)], terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "…" not in r.stdout and "e+0" not in r.stdout and "e-1" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    return r.stdout


@pytest.fixture(scope="module")
def supply_demo(shipped, bw_dir, tmp_path_factory):
    """``pcf supply-demo``'s console output and its output folder (the scorecard inputs)."""
    out = tmp_path_factory.mktemp("supply-demo-80")
    return at_80(bw_dir, "supply-demo", "--out", out), out


def test_supply_demo_headline_in_words_and_units(supply_demo):
    """Sources in words (as ``pcf bom rollup``), the cap in kg CO2-Eq per piece, the cost in EUR
    per year, the verification in words. By hand: cap = 0.7 x 5,179.85 (the pack's footprint in
    battery-pack-baseline.csv) = 3,625.9; cost = 1,200,000 + 500,000 + 350,000 (the costs of
    cell-wind-50, cathode-green and housing-recycled-50 in battery-pack-levers.csv, EUR per
    year as the file's descriptions say)."""
    stdout, _ = supply_demo
    text = " ".join(stdout.split())  # rich wraps the headline at 80 columns
    assert "parts by source: background dataset 5, BOM roll-up 3, supplier PCF 2;" in text
    assert "{" not in text and "brightway" not in text
    assert "≤ 3,625.9 kg CO2-Eq per piece" in text
    assert "at 2,050,000 EUR per year (optimal)" in text
    assert "target met; the exact re-solve agrees" in text
    assert "error" not in text


def test_suppliers_score_reads_at_80_columns(supply_demo, bw_dir):
    """The scorecard of the demo's supplier files: whole names and lever ids, t CO2e per year
    with separators, 'no lever' for the BMS supplier. By hand: Example Cathode Co. attributes
    2.0 kg cathode per kWh x 60 kWh x 9.0 kg CO2e/kg (its PCF, battery-pack-cathode-pcf.json) =
    1,080 kg per pack x 10,000 packs per year = 10,800 t; its one lever, cathode-green, cuts
    693.6 kg per pack (battery-pack-levers.csv) x 10,000 = 6,936 t per year. The BMS supplier
    has no lever (bms-switch is Example Pack Co.'s)."""
    _, out = supply_demo
    stdout = at_80(
        bw_dir,
        "suppliers",
        "score",
        out / "battery-pack-supplier-contributions.csv",
        "--suppliers",
        out / "battery-pack-supplier-data.csv",
        "--baseline",
        BASELINE,
        "--levers",
        LEVERS,
    )
    rows = [line.split("│")[1:-1] for line in stdout.splitlines() if line.startswith("│")]
    cells = {r[1].strip(): [c.strip() for c in r] for r in rows if r[0].strip()}
    assert cells["Example Cathode Co."][2:5] == ["10,800", "20.9%", "6,936"]
    assert cells["Example BMS Co. A"][4] == "no lever"
    assert "t CO2e" in stdout and "per year" in stdout
    for lever in ("cell-wind-50", "cathode-green"):
        assert f"push on: lever {lever}" in stdout


def test_scenario_run_reads_at_80_columns(shipped, bw_dir):
    """Whole product keys (in the titles) and scenario names, the unit per column, and a caption
    for the pack, which no cell-factory scenario changes. By hand: 37.5 -> 30 kWh per kWh of
    cell (factor 0.8 in battery-pack-scenarios.yaml) x China grid at the consumer 0.6104 kg
    CO2e/kWh (0.5777 + 0.0327, inventories/bom/README.md) = -4.578 kg CO2-Eq per kWh."""
    stdout = at_80(
        bw_dir,
        "scenario",
        "run",
        BOM / "battery-pack-scenarios.yaml",
        "pcf-products|lfp-cell-per-kwh",
        "pcf-products-lfp-pack|lfp-pack-per-kwh",
    )
    lines = stdout.splitlines()
    assert any(line.strip() == "pcf-products|lfp-cell-per-kwh" for line in lines)
    assert any(line.strip() == "pcf-products-lfp-pack|lfp-pack-per-kwh" for line in lines)
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    names = ["cell-factory-wind-50", "cell-factory-wind-100", "cell-factory-30kwh"]
    assert all(sum(r[0] == n for r in rows) == 2 for n in names)  # one row per product
    assert ["cell-factory-30kwh", "44.7756", "-4.578", "-9.3 %"] in rows
    assert "per kilowatt hour" in stdout
    text = " ".join(stdout.split())
    assert (
        "cell-factory-wind-50, cell-factory-wind-100, cell-factory-30kwh, cell-factory-sichuan: "
        "leave this product unchanged (score equal to the baseline 65.3948)" in text
    )
    assert "+0" not in stdout
