"""Factory carbon accounting (factory): a small plant computed by hand, allocation, bad input,
the written product activities, the levers, the example plant and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import factory
from factory.levers import LeverState, electrify_heat, emissions, green_share
from lca.errors import PCFError
from pcf.demo.plant import demo_plant_summary

ROOT = Path(__file__).resolve().parent.parent
HEADER = "period,section,item,amount,unit,region,product,vintage,retired,comment\n"

# Factors as published (all in pcf-background; pcf-factory-factors holds only the zero-emission
# renewable-instrument rate) and AR6 GWP100 (IPCC 2021):
NG = 0.0561 + 1e-6 * 29.8 + 1e-7 * 273  # kg CO2e / MJ natural gas (IPCC 2006)
DIESEL = 0.0741 + 3e-6 * 29.8 + 6e-7 * 273  # kg CO2e / MJ gas/diesel oil (IPCC 2006)
DIESEL_NCV = 43.0  # MJ/kg (IPCC 2006 Table 1.2)
# other bituminous coal: CO2 Table 1.4; CH4/N2O 1 / 1.5 kg/TJ (Table 2.2, energy industries)
COAL = 0.0946 + 1e-6 * 29.8 + 1.5e-6 * 273  # kg CO2e / MJ
COAL_NCV = 25.8  # MJ/kg (IPCC 2006 Table 1.2)
HFC134A = 1530.0
JS, RESIDUAL = 0.5827, 0.6096  # MEE 2023 Jiangsu; national excl. market-traded non-fossil


def plant_csv(tmp_path: Path, body: str, name: str = "plant.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + ",plant,test-plant,,,CN-JS,,,,\n" + body)
    return p


SMALL = """\
2024,fuel,natural_gas,1000,GJ,,,,,
2024,fuel,diesel,10,t,,,,,
2024,process,HFC-134a,5,kg,,,,,chiller leak
2024,electricity,CN-JS,1000,MWh,CN-JS,,,,
2024,certificate,GEC,400,MWh,CN,,2024,yes,
2024,onsite,solar_pv,100,MWh,,,,,
2024,production,part-a,1000,kg,,,,,
2024,production,part-b,3000,kg,,,,,
2024,purchased,aluminium_primary,100,kg,,,,,
"""


@pytest.fixture(scope="module")
def proj(project):
    factory.ensure_factor_databases(project)
    return project


@pytest.fixture
def small(tmp_path):
    return plant_csv(tmp_path, SMALL)


def test_small_plant_equals_hand_calculation(proj, small):
    inv = factory.plant_inventory(proj, small).get("2024")
    ng = 1000 * 1000 * NG
    diesel = 10 * 1000 * DIESEL_NCV * DIESEL
    hfc = 5 * HFC134A
    assert inv.scope1 == pytest.approx(ng + diesel + hfc, rel=1e-12)
    assert inv.by("1", "item") == pytest.approx(
        {"natural_gas": ng, "diesel": diesel, "HFC-134a": hfc}, rel=1e-12
    )
    assert inv.by("1")["HFC-134a"] == pytest.approx(hfc)
    assert inv.by("1")["CH4"] == pytest.approx(1e6 * 1e-6 * 29.8 + 430_000 * 3e-6 * 29.8)
    # scope 2: location-based = every kWh bought x Jiangsu; market-based = uncovered x residual
    assert inv.scope2_location == pytest.approx(1_000_000 * JS, rel=1e-12)
    assert inv.scope2_market == pytest.approx(600_000 * RESIDUAL, rel=1e-12)
    e = inv.electricity
    assert e["green_share"] == pytest.approx((400_000 + 100_000) / 1_100_000)
    assert e["uncovered_kwh"] == pytest.approx(600_000)
    assert inv.scope3 == pytest.approx(100 * 15.1, rel=1e-6)  # IAI 2022, float32 in bw2calc
    # every breakdown adds up
    assert sum(inv.by("1").values()) == pytest.approx(inv.scope1, rel=1e-12)
    assert sum(inv.by("2-market", "category").values()) == pytest.approx(inv.scope2_market)
    df = inv.to_frame()
    assert df.groupby("scope").kg_co2e.sum()["2-location"] == pytest.approx(inv.scope2_location)


def test_factor_map_points_at_one_source_of_truth(proj):
    """Grids, the residual proxy and fuels resolve to pcf-background; pcf-factory-factors only
    holds datasets pcf-background lacks (no activity with the same unit, location and flows)."""
    bd = proj.bd
    fmap = factory.load_factor_map()
    for (kind, ident), row in fmap.items():
        if kind in ("grid", "fuel"):
            assert row["database"] == "pcf-background", (kind, ident)
            assert row["residual_database"] in ("", "pcf-background"), (kind, ident)
        for db, code in (
            (row["database"], row["code"]),
            (row["residual_database"], row["residual_code"]),
        ):
            if code:
                assert bd.get_node(database=db, code=code)["code"] == code

    def signature(act):
        return (
            act["unit"],
            act["location"],
            frozenset(
                (exc.input["name"], round(float(exc["amount"]), 15)) for exc in act.biosphere()
            ),
        )

    background = list(bd.Database("pcf-background"))
    sigs = {signature(a) for a in background}
    names = {a["name"] for a in background}
    extra = list(bd.Database("pcf-factory-factors"))
    assert [a["code"] for a in extra] == ["electricity-renewable-instrument-scope2"]
    for act in extra:
        assert act["name"] not in names and signature(act) not in sigs


def test_coal_by_mass_includes_ch4_and_n2o(proj, tmp_path):
    p = plant_csv(tmp_path, "2024,fuel,bituminous_coal,10,t,,,,,\n")
    inv = factory.plant_inventory(proj, p).get("2024")
    mj = 10 * 1000 * COAL_NCV
    assert inv.scope1 == pytest.approx(mj * COAL, rel=1e-12)
    assert inv.by("1")["CH4"] == pytest.approx(mj * 1e-6 * 29.8)
    assert inv.by("1")["N2O"] == pytest.approx(mj * 1.5e-6 * 273)


def test_allocation_shares_sum_to_plant_total(proj, small):
    inv = factory.plant_inventory(proj, small).get("2024")
    for scope2 in ("market", "location"):
        a = factory.allocate(inv, scope2=scope2)
        assert a.basis == "physical" and a.key == "production"
        assert sum(p.share for p in a.products) == pytest.approx(1.0)
        plant_total = inv.scope1 + (
            inv.scope2_market if scope2 == "market" else inv.scope2_location
        )
        assert a.plant_total == pytest.approx(plant_total)
        assert sum(p.total_kg for p in a.products) == pytest.approx(plant_total, rel=1e-12)
        assert {p.product: p.share for p in a.products} == pytest.approx(
            {"part-a": 0.25, "part-b": 0.75}
        )
        # by mass, the same kg CO2e per kg for both
        assert a.per_unit()["part-a"] == pytest.approx(a.per_unit()["part-b"])


def test_subdivision_and_economic_key(proj, tmp_path):
    body = SMALL.replace(
        "2024,process,HFC-134a,5,kg,,,,,chiller leak",
        "2024,process,HFC-134a,5,kg,,part-b,,,only line B has the chiller",
    ) + (
        "2024,allocation,revenue,300,CNY,,part-a,,,\n"
        "2024,allocation,revenue,100,CNY,,part-b,,,\n"
        "2024,allocation,revenue,400,CNY,,TOTAL,,,\n"
    )
    inv = factory.plant_inventory(proj, plant_csv(tmp_path, body)).get("2024")
    phys = factory.allocate(inv)  # default stays physical although an economic key is given
    assert phys.basis == "physical"
    eco = factory.allocate(inv, key="revenue")
    assert eco.basis == "economic" and eco.key_unit == "CNY"
    shares = {p.product: p for p in eco.products}
    assert shares["part-a"].share == pytest.approx(0.75)
    assert shares["part-b"].attributed_kg == pytest.approx(5 * HFC134A)
    assert shares["part-a"].attributed_kg == 0
    assert sum(p.total_kg for p in eco.products) == pytest.approx(inv.scope1 + inv.scope2_market)


def test_certificate_overclaim_is_rejected_and_nothing_written(proj, tmp_path):
    p = plant_csv(tmp_path, SMALL.replace("GEC,400,MWh", "GEC,1200,MWh"))
    overclaim = re.escape(f"{p}, row 7, column 'amount': 2024: 1200 MWh")
    with pytest.raises(factory.CertificateOverclaim, match=overclaim) as ei:
        factory.plant_inventory(proj, p)
    msg = str(ei.value)
    assert "plant.csv" in msg and "row 7" in msg and "'amount'" in msg
    assert "1200 MWh" in msg and "1000 MWh" in msg
    assert isinstance(ei.value, PCFError) and isinstance(ei.value, ValueError)
    with pytest.raises(factory.CertificateOverclaim, match=overclaim):
        factory.write_product_activities(proj, p)
    assert factory.database_name("test-plant") not in proj.bd.databases


def test_instruments_failing_quality_criteria_count_for_nothing(proj, tmp_path):
    body = SMALL.replace(
        "2024,certificate,GEC,400,MWh,CN,,2024,yes,",
        "2024,certificate,GEC,100,MWh,CN,,2021,yes,\n"
        "2024,certificate,GEC,100,MWh,CN,,2024,no,\n"
        "2024,certificate,I-REC,100,MWh,US,,2024,yes,",
    )
    inv = factory.plant_inventory(proj, plant_csv(tmp_path, body)).get("2024")
    assert [i["qualifies"] for i in inv.instruments] == [False, False, False]
    assert inv.scope2_market == pytest.approx(1_000_000 * RESIDUAL)
    assert "vintage" in inv.instruments[0]["reasons"][0]
    assert "unique claim" in inv.instruments[1]["reasons"][0]
    assert "market US" in inv.instruments[2]["reasons"][0]
    assert len(inv.notes) == 3


@pytest.mark.parametrize(
    "old,new,exc,row,column",
    [
        ("natural_gas,1000,GJ", "town_gas,1000,GJ", factory.UnknownFactoryItem, 3, "item"),
        (
            "electricity,CN-JS,1000,MWh,CN-JS",
            "electricity,CN-XX,1000,MWh,CN-XX",
            factory.UnknownFactoryItem,
            6,
            "region",
        ),
        ("diesel,10,t", "diesel,10,", factory.MissingUnit, 4, "unit"),
        ("natural_gas,1000,GJ", "natural_gas,1000,m3", factory.MissingUnit, 3, "unit"),
        ("natural_gas,1000,GJ", "natural_gas,-1000,GJ", factory.NegativeAmount, 3, "amount"),
        ("HFC-134a,5,kg", "R-410A,5,kg", factory.UnknownFactoryItem, 5, "item"),
        ("2024,onsite", "2024,solar", factory.UnknownFactoryItem, 8, "section"),
        # the independent corpus: a 1e308 amount, a period that is not one, retired=maybe
        ("natural_gas,1000,GJ", "natural_gas,1e308,GJ", factory.NegativeAmount, 3, "amount"),
        ("2024,fuel,diesel", "20x4,fuel,diesel", factory.FactoryInputError, 4, "period"),
        ("2024,fuel,diesel", "2024-13,fuel,diesel", factory.FactoryInputError, 4, "period"),
        ("CN,,2024,yes,", "CN,,2024,maybe,", factory.FactoryInputError, 7, "retired"),
    ],
)
def test_bad_input_is_located(proj, tmp_path, old, new, exc, row, column):
    assert old in SMALL
    p = plant_csv(tmp_path, SMALL.replace(old, new))
    with pytest.raises(exc, match=re.escape(f"{p}, row {row}, column {column!r}: ")) as ei:
        factory.plant_inventory(proj, p)
    assert ei.value.row == row and ei.value.column == column
    assert f"plant.csv, row {row}, column {column!r}" in str(ei.value)


def test_allocation_keys_must_sum_to_plant_total(proj, tmp_path):
    body = SMALL + (
        "2024,allocation,mass,1000,kg,,part-a,,,\n"
        "2024,allocation,mass,2900,kg,,part-b,,,\n"
        "2024,allocation,mass,4000,kg,,TOTAL,,,\n"
    )
    p = plant_csv(tmp_path, body)
    mismatch = re.escape(f"{p}, row 14, column 'amount': allocation key 'mass' (2024)")
    with pytest.raises(factory.AllocationKeyMismatch, match=mismatch) as ei:
        factory.plant_inventory(proj, p)
    assert ei.value.row == 14 and "3900" in str(ei.value) and "4000" in str(ei.value)
    body = SMALL + (
        "2024,allocation,mass,1000,kg,,part-a,,,\n2024,allocation,mass,1000,kg,,TOTAL,,,\n"
    )
    with pytest.raises(factory.AllocationKeyMismatch, match="no value for product"):
        factory.plant_inventory(proj, plant_csv(tmp_path, body))


def test_written_activities_reproduce_allocation_and_update(proj, tmp_path):
    from lca.footprint import FootprintEngine

    body = SMALL + SMALL.replace("2024,", "2025,").replace(
        "GEC,400,MWh,CN,,2025", "GEC,900,MWh,CN,,2025"
    )
    p = plant_csv(tmp_path, body)
    inv = factory.plant_inventory(proj, p)
    assert list(inv.periods) == ["2024", "2025"]
    db = factory.write_product_activities(proj, p, period="2024")
    assert db == "pcf-factory-test-plant"
    eng = FootprintEngine(proj)
    want = factory.allocate(inv.get("2024")).per_unit()
    r = eng.footprint((db, "part-a"))
    assert r.total == pytest.approx(want["part-a"], rel=1e-6)
    assert r.by_stage == pytest.approx({"production": r.total})
    # a new period's data replaces the activities (same keys)
    factory.write_product_activities(proj, p, period="2025")
    got = FootprintEngine(proj).footprint((db, "part-a")).total
    assert got == pytest.approx(factory.product_footprints(proj, p, "2025")["part-a"], rel=1e-6)
    assert got < r.total  # more certificates in 2025
    assert proj.bd.get_node(database=db, code="part-a")["reference_period"] == "2025"


def test_levers(proj, small):
    inv = factory.plant_inventory(proj, small).get("2024")
    s = inv.lever_state
    base = emissions(s)
    assert base["residual_kg"] == pytest.approx(inv.scope1 + inv.scope2_market, rel=1e-12)
    assert emissions(green_share(s, 1.0))["scope2_market_kg"] == pytest.approx(0.0)
    x = electrify_heat(s, 0.5, kwh_per_mj=0.25)
    assert x.fuel_kg == pytest.approx(s.fuel_kg / 2)
    assert x.electricity_kwh == pytest.approx(s.electricity_kwh + 0.5 * s.fuel_mj * 0.25)
    with pytest.raises(factory.FactoryInputError, match="kWh of electricity per MJ"):
        electrify_heat(s, 0.5, None)
    rows = factory.gap_report(
        factory.plant_inventory(proj, small),
        green=0.8,
        efficiency=0.1,
        electrify=0.5,
        kwh_per_mj=0.25,
    )["levers"]
    assert rows[0]["lever"] == "baseline" and rows[-1]["lever"] == "all levers"
    assert all(r["residual_kg"] <= base["residual_kg"] for r in rows if "green" in r["lever"])
    assert isinstance(s, LeverState)


def test_demo_plant_summary(proj, tmp_path):
    d = demo_plant_summary(proj, tmp_path / "out")
    assert d["illustrative"] and d["periods"] == ["2023", "2024"]
    plant = factory.plant_inventory(proj, factory.EXAMPLE_PLANT)
    for inv in plant.periods.values():
        volume = sum(v["amount"] for v in inv.production.values())
        # the example plant's own intensity (inventories/factory/README.md): 57.5 kWh of
        # electricity per kWh of cell capacity, Kurland 2020's midpoint for two large factories
        # (the demo cell's default is Degen et al. 2023's 37.5)
        assert inv.electricity["consumed_kwh"] / volume == pytest.approx(57.5)
        assert inv.scope2_location == pytest.approx(inv.electricity["purchased_kwh"] * JS)
    g = d["gap"]
    assert g["residual"] == pytest.approx(405_000_000 * RESIDUAL)
    assert g["offsets_retired"] == pytest.approx(20_000_000)
    assert g["offsets_needed"] == pytest.approx(g["residual"] - 20_000_000)
    assert g["offsets_needed"] > 0
    assert [r["period"] for r in g["trajectory"]] == ["2023", "2024"]
    assert g["trajectory"][1]["change_vs_previous"] == pytest.approx(
        g["trajectory"][1]["residual"] - g["trajectory"][0]["residual"]
    )
    assert sum(p["total_kg"] for p in d["products"]["products"]) == pytest.approx(g["residual"])
    for f in (
        "factory-gap.json",
        "factory-gap.csv",
        "factory-inventory.json",
        "factory-inventory.csv",
        "factory-products.csv",
    ):
        assert (tmp_path / "out" / f).exists()
    assert json.loads((tmp_path / "out" / "factory-gap.json").read_text())["gap"][
        "residual"
    ] == pytest.approx(g["residual"])


def _pcf(*args, data_dir):
    code = (
        "import sys; from pcf import app as cli; from pcf.commands import factory as factory_cmds; "
        "cli.app.add_typer(factory_cmds.app, name='factory'); sys.argv[0] = 'pcf'; cli.main()"
    )
    env = dict(os.environ, PCF_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_json_and_one_line_error(proj, small, tmp_path):
    p = _pcf("factory", "inventory", str(small), "--json", data_dir=proj.base_dir)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["periods"]["2024"]["scope2_market"] == pytest.approx(600_000 * RESIDUAL)
    bad = plant_csv(tmp_path, SMALL.replace("GEC,400,MWh", "GEC,1200,MWh"), "bad.csv")
    q = _pcf("factory", "gap", str(bad), "--json", data_dir=proj.base_dir)
    assert q.returncode == 1 and q.stdout == ""
    assert "bad.csv, row 7, column 'amount'" in " ".join(q.stderr.split())


def test_excel_layout_reads_like_csv(proj, small, tmp_path):
    import csv

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "activity"
    with open(small, newline="") as fh:
        for row in csv.reader(fh):
            ws.append([float(c) if c.replace(".", "", 1).isdigit() else c for c in row])
    xlsx = tmp_path / "plant.xlsx"
    wb.save(xlsx)
    a = factory.plant_inventory(proj, small).get("2024")
    b = factory.plant_inventory(proj, xlsx).get("2024")
    assert b.summary() == a.summary()


def test_month_periods_and_yes_no_spellings_are_read(tmp_path):
    body = SMALL.replace(",yes,", ",Y,").replace("\n2024,", "\n2024-03,")
    body = "2024-03," + body.removeprefix("2024,")
    data = factory.read_plant(plant_csv(tmp_path, body))
    assert data.periods == ["2024-03"]
    assert [r.retired for r in data.records if r.section == "certificate"] == ["y"]


def test_a_pfc_is_named_by_its_formula_or_its_trade_name(proj, tmp_path):
    """An aluminium smelter's anode-effect CF4 and C2F6 (IPCC 2021 AR6 GWP100: 7380 and 12,400)
    may be recorded by formula or by the biosphere's trade name (R-14, HFC-116): one flow each,
    and the gas table says CF4 / C2F6."""
    body = (
        "2024,process,CF4,2,kg,,,,,anode effects\n"
        "2024,process,R-14,1,kg,,,,,anode effects (trade name)\n"
        "2024,process,C2F6,0.5,kg,,,,,anode effects\n"
        "2024,process,HFC-116,0.5,kg,,,,,anode effects (trade name)\n"
    )
    inv = factory.plant_inventory(proj, plant_csv(tmp_path, body)).get("2024")
    assert inv.scope1 == pytest.approx(3 * 7380 + 1 * 12400, rel=1e-6)
    assert inv.by("1") == pytest.approx({"CF4": 3 * 7380, "C2F6": 1 * 12400}, rel=1e-6)


def test_gap_console_reads_at_80_columns_and_says_none_reported(proj):
    """``pcf factory gap`` of the example plant: a column per period with whole figures (the
    2023 location-based scope 2 is 450,000 MWh x 0.5827 = 262,215 t) and scope 1 'none
    reported' (the plant file has no fuel or process line), never a 0."""
    from typer.testing import CliRunner

    from pcf.app import app

    args = ["--data-dir", str(proj.base_dir), "factory", "gap", str(factory.EXAMPLE_PLANT)]
    r = CliRunner().invoke(app, args, terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    rows = {
        cells[1].strip(): [c.strip() for c in cells[2:-1]]
        for cells in (line.split("│") for line in r.stdout.splitlines())
        if len(cells) > 3
    }
    assert rows["scope 1"] == ["none reported", "none reported"]
    args[3] = "inventory"
    r = CliRunner().invoke(app, args, terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    assert r.stdout.count("│ scope 1 ") == 2 and r.stdout.count("none reported") == 2
    # allocation by capacity: 7 GWh of EV cells of 10 GWh made in 2024 (the plant file)
    args[3] = "allocate"
    r = CliRunner().invoke(app, args, terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "7,000,000" in r.stdout and "70.0%" in r.stdout and "e+0" not in r.stdout
    assert rows["scope 2, location-based"][0] == "262,215"
    assert "…" not in r.stdout and max(len(x) for x in r.stdout.splitlines()) <= 80
