"""The supplier workbook a buyer acts on (``pcf report suppliers``), opened with openpyxl and
checked against its inputs: ``inventories/bom/battery-pack-*`` (the illustrative pack: BOM,
suppliers, supplier PCFs, levers, baseline volume)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

KEY = ("pcf-products-lfp-pack", "lfp-pack-per-kwh")  # the demo's declared product
BOM = Path(__file__).resolve().parent.parent / "inventories" / "bom"


@pytest.fixture(scope="module")
def engine(shipped):
    """Every shipped inventory: the pack BOM links the cell chain (``pcf-products``) and the
    background datasets of its parts."""
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def cli(*args, code: int = 0):
    from typer.testing import CliRunner

    from pcf.app import app as root

    r = CliRunner().invoke(root, [str(a) for a in args])
    assert r.exit_code == code, (r.output, r.exception)
    return r


@pytest.fixture(scope="module")
def out(engine, tmp_path_factory):
    d = tmp_path_factory.mktemp("workbook")
    cli("report", "suppliers", "|".join(KEY), "--out", d)
    return d


@pytest.fixture(scope="module")
def wb(out):
    import openpyxl

    return openpyxl.load_workbook(out / "suppliers-lfp-pack-per-kwh.xlsx")


def rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:]]


def by_supplier(wb) -> dict[str, dict]:
    return {r["Supplier"]: r for r in rows(wb["Suppliers"])}


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_one_row_per_supplier_of_the_suppliers_file(wb):
    names = {r["supplier"] for r in read_csv(BOM / "battery-pack-suppliers.csv")}
    assert set(by_supplier(wb)) == names
    assert wb.sheetnames == [
        "Summary",
        "Suppliers",
        "Parts",
        "Plan",
        "MACC",
        "Hotspots",
        "Rating rule",
        "Notes",
    ]


def test_declared_pcfs_equal_the_supplier_files(wb):
    s = by_supplier(wb)
    table = {r["id"]: r for r in read_csv(BOM / "battery-pack-supplier-pcfs.csv")}
    bms = s["Example BMS Co. A"]
    row = table["bms-example-a"]
    assert bms["Declared supplier PCF (kg CO2e per unit of part)"] == float(row["value"])
    assert bms["Supplier PCF id"] == "bms-example-a"
    assert bms["Primary-data share (%)"] == pytest.approx(float(row["primary_data_share"]) / 100)
    assert (bms["TeR (1 best - 5 worst)"], bms["GeR (1 best - 5 worst)"]) == (
        float(row["technological_dqr"]),
        float(row["geographical_dqr"]),
    )
    assert bms["TiR (1 best - 5 worst)"] == float(row["temporal_dqr"])
    # no validity period in the table: PACT's default, 3 years after the reference period
    end = dt.date.fromisoformat(row["reference_period_end"][:10])
    assert bms["PCF valid until (date)"].date() == end.replace(year=end.year + 3)
    assert bms["Verification status"] == "no assurance statement (PCF table row)"

    pact = json.loads((BOM / "battery-pack-cathode-pcf.json").read_text(encoding="utf-8"))
    cat = s["Example Cathode Co."]
    assert cat["Declared supplier PCF (kg CO2e per unit of part)"] == float(
        pact["pcf"]["pcfExcludingBiogenicUptake"]
    )
    assert cat["Primary-data share (%)"] == pytest.approx(
        float(pact["pcf"]["primaryDataShare"]) / 100
    )
    assert cat["PCF valid until (date)"].date().isoformat() == pact["validityPeriodEnd"][:10]
    assert cat["Verification status"] == "not verified (no PACT assurance statement)"
    # suppliers without a PCF are named as such, never given a made-up value
    cell = s["Example Cell Co."]
    assert cell["Declared supplier PCF (kg CO2e per unit of part)"] is None
    assert cell["PCF validity on study date"] == "no supplier PCF"


def test_contributions_and_volumes_by_hand(wb, engine):
    s = by_supplier(wb)
    bom = {r["part"]: r for r in read_csv(BOM / "battery-pack-bom.csv")}
    volume = float(read_csv(BOM / "battery-pack-baseline.csv")[0]["volume"])
    # cathode: 9.0 kg CO2e/kg × 2.0 kg per kWh of cells × 60 kWh of cells per pack
    cathode = 9.0 * float(bom["cathode-material"]["quantity"]) * float(bom["cells"]["quantity"])
    cat = s["Example Cathode Co."]
    assert cat["Contribution (kg CO2e per unit of product)"] == pytest.approx(cathode, rel=1e-12)
    assert cat["Annual emissions (t CO2e per year)"] == pytest.approx(cathode * volume / 1000)
    assert "cathode-material (120 kilogram)" in cat["Parts supplied (quantity per unit of product)"]
    # BMS: 70 kg CO2e per piece × 1 piece per pack
    assert s["Example BMS Co. A"]["Contribution (kg CO2e per unit of product)"] == pytest.approx(70)
    # housing per kg: aluminium with its process loss + forming electricity (the BOM's rows)
    al_row, el_row = bom["housing-aluminium"], bom["housing-electricity"]
    al = engine.footprint(tuple(al_row["activity"].split("|")), "gwp100").total
    grid = engine.footprint(tuple(el_row["activity"].split("|")), "gwp100").total
    housing = s["Example Housing Co."]
    per_kg = (
        float(al_row["quantity"]) * al / (1 - float(al_row["loss"]))
        + float(el_row["quantity"]) * grid
    )
    assert housing["Rolled-up intensity used (kg CO2e per unit of part)"] == pytest.approx(per_kg)
    assert housing["Database benchmark (kg CO2e per unit of part)"] == pytest.approx(al)
    assert housing["Intensity / benchmark (ratio)"] == pytest.approx(per_kg / al)
    assert housing["Benchmark dataset"] == "pcf-background|aluminium-primary-cn-2015"
    total = sum(r["Contribution (kg CO2e per unit of product)"] for r in s.values())
    summary = {r["Item"]: r["Value"] for r in rows(wb["Summary"])}
    pack = next(v for k, v in summary.items() if k.startswith("Supply-chain footprint"))
    assert total == pytest.approx(pack, rel=1e-9)  # every kg of the pack has its supplier


def test_ratings_follow_the_written_rule(wb):
    from reports.suppliers import PRIMARY_AMBER, SHARE_RED

    s = by_supplier(wb)
    rating = {k: v["Rating (traffic light)"] for k, v in s.items()}
    # cathode: valid PCF, 60 % primary (≥ 50 %), DQR (2+2+1)/3 ≤ 3, no benchmark: green
    assert rating["Example Cathode Co."] == "green"
    # BMS A: valid PCF but 40 % primary data < 50 %: amber
    assert s["Example BMS Co. A"]["Primary-data share (%)"] < PRIMARY_AMBER
    assert rating["Example BMS Co. A"] == "amber"
    # cell and housing: no supplier PCF for ≥ 10 % of the footprint: red
    for name in ("Example Cell Co.", "Example Housing Co."):
        assert s[name]["Share of product footprint (%)"] >= SHARE_RED
        assert rating[name] == "red"
    rule = rows(wb["Rating rule"])
    assert [r["Rating"] for r in rule[:3]] == ["red", "amber", "green"]
    assert all(r["Rule"] for r in rule)


def header(ws, start: str) -> str:
    """The one header of ``ws`` that starts with ``start``."""
    found = [h for h in next(ws.iter_rows(values_only=True)) if h and h.startswith(start)]
    assert len(found) == 1, (ws.title, start, found)
    return found[0]


def test_plan_and_macc(wb, out):
    levers = {r["lever"]: r for r in read_csv(BOM / "battery-pack-levers.csv")}
    plan = rows(wb["Plan"])
    cost = header(wb["Plan"], "Cost")
    assert "per year" in cost  # the levers file's costs are per year (its descriptions say so)
    chosen = [r for r in plan if r["Lever"] != "Total"]
    assert chosen, "the plan sheet is empty"
    for r in chosen:
        assert r[cost] == float(levers[r["Lever"]]["cost"])
    total = next(r for r in plan if r["Lever"] == "Total")
    assert total[cost] == pytest.approx(sum(r[cost] for r in chosen))
    ab = "Abatement (t CO2e per year, all units)"
    assert total[ab] == pytest.approx(sum(r[ab] for r in chosen))
    macc = rows(wb["MACC"])
    curve = {r["Lever"]: r["Abatement (t CO2e per year)"] for r in macc if r["Lever"]}
    for r in chosen:  # the plan's levers abate what the cost curve says they do
        assert r[ab] == pytest.approx(curve[r["Lever"]], rel=1e-12)
    levers_in_macc = [r["Lever"] for r in macc if r["Lever"]]
    assert set(levers_in_macc) == set(levers)
    mac = [r for r in macc if r["Lever"]]
    # cost per year / t CO2e per year: currency per t CO2e abated, "per year" cancels
    mac_h, cost_h = header(wb["MACC"], "Marginal cost"), header(wb["MACC"], "Cost")
    assert "per t CO2e abated" in mac_h and "per year" not in mac_h
    for r in mac:
        assert r[mac_h] == pytest.approx(r[cost_h] / r["Abatement (t CO2e per year)"])
    assert [r[mac_h] for r in mac] == sorted(r[mac_h] for r in mac)
    with zipfile.ZipFile(out / "suppliers-lfp-pack-per-kwh.xlsx") as z:  # a native Excel chart
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    assert "<c:scatterChart>" in xml and "MACC" in xml


def test_units_in_headers_and_print_setup(wb):
    for ws in wb.worksheets:
        header = next(ws.iter_rows(values_only=True))
        numeric = {
            h
            for r in ws.iter_rows(min_row=2, values_only=True)
            for h, v in zip(header, r)
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        assert all("(" in h for h in numeric if h not in ("Value",)), (ws.title, numeric)
        assert ws.page_setup.orientation == "landscape", ws.title
        # fit to 1 page wide (1 is the default, which xlsxwriter leaves out), any number tall
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every page


def test_scorecard_csv_has_units_and_the_same_rows(wb, out):
    from reports.suppliers import SUPPLIER_COLUMNS

    got = read_csv(out / "suppliers-lfp-pack-per-kwh.csv")
    # the illustrative BOM gives no prices: no spend column (rather than an empty one)
    assert list(got[0]) == [v for k, v in SUPPLIER_COLUMNS.items() if k != "annual_spend_usd"]
    s = by_supplier(wb)
    for r in got:
        x = s[r["Supplier"]]
        assert float(r["Share of product footprint (%)"]) == pytest.approx(
            100 * x["Share of product footprint (%)"]
        )
        assert float(r["Contribution (kg CO2e per unit of product)"]) == pytest.approx(
            x["Contribution (kg CO2e per unit of product)"]
        )
        assert r["Rating (traffic light)"] == x["Rating (traffic light)"]


def test_explicit_files_and_refusals(engine, tmp_path):
    args = [
        "--bom",
        BOM / "battery-pack-bom.csv",
        "--suppliers",
        BOM / "battery-pack-suppliers.csv",
        "--pcf",
        BOM / "battery-pack-cathode-pcf.json",
        "--pcf",
        BOM / "battery-pack-supplier-pcfs.csv",
        "--levers",
        BOM / "battery-pack-levers.csv",
        "--baseline",
        BOM / "battery-pack-baseline.csv",
        "--on",
        "2026-01-01",
    ]
    cli("report", "suppliers", "|".join(KEY), "--out", tmp_path / "a", *args, "--lang", "zh")
    assert (tmp_path / "a" / "suppliers-lfp-pack-per-kwh.csv").is_file()
    # another product has no shipped supply chain: refused, naming the option, nothing written
    r = cli(
        "report",
        "suppliers",
        "pcf-background|electricity-cn-2023",
        "--out",
        tmp_path / "b",
        code=1,
    )
    assert "--bom" in r.output and not (tmp_path / "b").exists()
    r = cli(
        "report",
        "suppliers",
        "|".join(KEY),
        "--out",
        tmp_path / "c",
        "--bom",
        BOM / "battery-pack-bom.csv",
        code=1,
    )
    assert "--suppliers" in r.output


def test_every_percentage_column_holds_fractions(wb):
    """A cell shown with a % format holds a fraction (Excel shows 0.6 as 60.0 %, 60 as
    6000 %), and every column whose header says (%) is shown as a percentage, on every sheet."""
    seen = 0
    for ws in wb.worksheets:
        head = next(ws.iter_rows(values_only=True))
        for row in ws.iter_rows(min_row=2):
            for h, c in zip(head, row):
                if not isinstance(c.value, (int, float)) or isinstance(c.value, bool):
                    continue
                if "%" in c.number_format:
                    seen += 1
                    assert 0.0 <= c.value <= 1.0, (ws.title, h, c.coordinate, c.value)
                if h and "(%)" in h:
                    assert "%" in c.number_format, (ws.title, h, c.coordinate, c.number_format)
    assert seen >= 20  # shares on Suppliers, Parts and Hotspots
    # the supplier files' primary-data shares (percent) on both sheets, as fractions
    table = {r["id"]: r for r in read_csv(BOM / "battery-pack-supplier-pcfs.csv")}
    parts = {r["Part"]: r for r in rows(wb["Parts"])}
    share = header(wb["Parts"], "Primary-data share")
    assert parts["bms"][share] == pytest.approx(
        float(table["bms-example-a"]["primary_data_share"]) / 100
    )
    pact = json.loads((BOM / "battery-pack-cathode-pcf.json").read_text(encoding="utf-8"))
    assert parts["cathode-material"][share] == pytest.approx(
        float(pact["pcf"]["primaryDataShare"]) / 100
    )


def test_summary_reads_as_words(wb):
    import datetime as dt

    ws = wb["Summary"]
    cells = {r[0].value: r[1] for r in ws.iter_rows(min_row=2)}
    summary = {k: c.value for k, c in cells.items()}
    before = next(v for k, v in summary.items() if k.startswith("Supply-chain footprint"))
    after = next(v for k, v in summary.items() if k.startswith("Footprint after the plan"))
    # the demo's target: -30 % (pcf.demo.supply_chain.PACK_TARGET); met when after <= 0.7 before
    assert after <= 0.7 * before
    unit = {r["part"]: r for r in read_csv(BOM / "battery-pack-bom.csv")}["battery-pack"]["unit"]
    assert summary["Plan status"] == (
        f"met (footprint after the plan, recalculated exactly: {after:,.3f} kg CO2e per "
        f"{unit}; target: at most {0.7 * before:,.3f}); least-cost plan"
    )
    volume = next(k for k in summary if k.startswith("Annual volume"))
    baseline = read_csv(BOM / "battery-pack-baseline.csv")[0]
    assert summary[volume] == int(baseline["volume"]) and cells[volume].number_format == "#,##0"
    # the two footprints are said to be of different products (the BOM's root is not the
    # footprinted dataset, and its name calls it illustrative)
    rel = summary["How the two footprints relate"]
    assert rel.startswith("the bill of materials is an illustrative example")
    assert "|".join(KEY) in rel and rel.endswith("the two figures are not expected to agree")
    p = wb.properties
    assert p.creator == "pcf-engine"
    assert p.title and "battery pack" in p.title and "|".join(KEY) in p.subject
    assert abs((dt.datetime.now() - p.created).total_seconds()) < 3600  # openpyxl: naive UTC


def _copy_csv(src: Path, dst: Path, edit) -> Path:
    """``src`` with each row passed through ``edit(row) -> row`` (new keys become columns)."""
    got = [edit(dict(r)) for r in read_csv(src)]
    fields = list(dict.fromkeys(k for r in got for k in r))
    with open(dst, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(got)
    return dst


def _explicit(bom, levers) -> list:
    return [
        "--bom",
        bom,
        "--suppliers",
        BOM / "battery-pack-suppliers.csv",
        "--pcf",
        BOM / "battery-pack-cathode-pcf.json",
        "--pcf",
        BOM / "battery-pack-supplier-pcfs.csv",
        "--levers",
        levers,
        "--baseline",
        BOM / "battery-pack-baseline.csv",
        "--on",
        "2026-01-01",
    ]


def test_prices_currency_and_another_product(engine, tmp_path):
    """A BOM with prices on some parts and a levers file naming its currency: the spend by
    hand, 'not given' where a part has no price, the currency in every cost header; a BOM whose
    product is another (not labelled illustrative) is said to be another product."""
    import openpyxl

    prices = {"bms": "150", "housing": "200", "housing-aluminium": "3"}  # USD per unit

    def bom_row(r):
        r["unit_price_usd"] = prices.get(r["part"], "")
        if r["part"] == "battery-pack":
            r["name"] = "battery pack, LFP, 60 kWh"
        return r

    bom = _copy_csv(BOM / "battery-pack-bom.csv", tmp_path / "bom.csv", bom_row)
    levers = _copy_csv(
        BOM / "battery-pack-levers.csv", tmp_path / "levers.csv", lambda r: {**r, "currency": "EUR"}
    )
    cli("report", "suppliers", "|".join(KEY), "--out", tmp_path / "o", *_explicit(bom, levers))
    wb = openpyxl.load_workbook(tmp_path / "o" / "suppliers-lfp-pack-per-kwh.xlsx")
    volume = float(read_csv(BOM / "battery-pack-baseline.csv")[0]["volume"])
    parts = {r["Part"]: r for r in rows(wb["Parts"])}
    assert parts["bms"]["Unit price (USD per unit)"] == 150.0
    assert parts["bms"]["Annual spend (USD per year)"] == 150.0 * 1 * volume
    assert parts["cells"]["Unit price (USD per unit)"] == "not given"
    assert parts["cells"]["Annual spend (USD per year)"] == "not given"
    s = by_supplier(wb)
    spend = "Annual spend (USD per year)"
    assert s["Example BMS Co. A"][spend] == 150.0 * volume
    # 40 kg of housing per pack at 200 USD/kg; its aluminium is in that price, not added again
    assert s["Example Housing Co."][spend] == pytest.approx(200.0 * 40 * volume)
    assert s["Example Cell Co."][spend] == "not given"
    got = read_csv(tmp_path / "o" / "suppliers-lfp-pack-per-kwh.csv")
    assert {r["Supplier"]: r[spend] for r in got}["Example Cell Co."] == "not given"
    # the currency named in the levers file, in every cost header
    assert header(wb["Plan"], "Cost") == "Cost (EUR per year)"
    assert header(wb["MACC"], "Cost") == "Cost (EUR per year)"
    assert header(wb["MACC"], "Marginal cost") == "Marginal cost (EUR per t CO2e abated)"
    summary = {r["Item"]: r["Value"] for r in rows(wb["Summary"])}
    assert summary["Currency of the lever costs"] == "EUR"
    assert "Plan cost (EUR per year)" in summary
    assert summary["How the two footprints relate"].startswith(
        "the bill of materials models another product ('battery-pack')"
    )
    # without a currency column the headers say the currency is not stated; a target out of
    # reach (-90 %: all the levers together abate less) is "not met"
    bare = tmp_path / "o2"
    cli(
        "report",
        "suppliers",
        "|".join(KEY),
        "--out",
        bare,
        *_explicit(bom, BOM / "battery-pack-levers.csv"),
        "--target",
        "90%",
    )
    wb2 = openpyxl.load_workbook(bare / "suppliers-lfp-pack-per-kwh.xlsx")
    assert header(wb2["Plan"], "Cost") == (
        "Cost per year (currency as given in battery-pack-levers.csv, not stated)"
    )
    summary = {r["Item"]: r["Value"] for r in rows(wb2["Summary"])}
    assert summary["Currency of the lever costs"] == "not stated in battery-pack-levers.csv"
    before = next(v for k, v in summary.items() if k.startswith("Supply-chain footprint"))
    status = summary["Plan status"]
    assert status.startswith("not met (footprint after the plan, recalculated exactly: ")
    assert f"target: at most {0.1 * before:,.3f}); the target is out of reach" in status
    # two currencies in one levers file: refused, naming the file, line and lever
    mixed = _copy_csv(
        BOM / "battery-pack-levers.csv",
        tmp_path / "mixed.csv",
        lambda r: {**r, "currency": "USD" if r["lever"] == "pack-solar" else "EUR"},
    )
    r = cli(
        "report",
        "suppliers",
        "|".join(KEY),
        "--out",
        tmp_path / "o3",
        *_explicit(bom, mixed),
        code=1,
    )
    line = 2 + [x["lever"] for x in read_csv(mixed)].index("pack-solar")
    assert f"mixed.csv:{line} (lever 'pack-solar'): currency 'USD' differs from 'EUR'" in r.output
    assert not (tmp_path / "o3").exists()


def test_same_product_relation_by_hand():
    """When the BOM's product is the footprinted dataset, the two per-unit figures are compared."""
    from types import SimpleNamespace

    from reports.suppliers import _relation

    res = SimpleNamespace(product=KEY, product_unit="kilowatt hour", amount=1.0, total=60.0)
    info = {
        "product": "pack",
        "product_name": "pack",
        "product_unit": "kilowatt hour",
        "product_activity": KEY,  # the BOM's root part names the footprinted dataset
        "footprint": 66.0,
    }
    assert _relation(res, info) == (
        f"the same product ({'|'.join(KEY)}): the supply-chain roll-up differs from the "
        "product footprint by +10.0%"  # 66 / 60 - 1
    )
    info["product_activity"] = None
    info["product"] = KEY[1]  # the part id names the dataset
    assert "+10.0%" in _relation(res, info)
