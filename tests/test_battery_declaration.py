"""EU Battery Regulation declaration of the demo's flagship packs, through ``pcf demo`` and
``pcf report battery``: the four Annex II stages, one service life, the cell that is a cell.

Hand calculations (figures of the shipped inventories; IPCC 2021 GWP100):

- Cell factory (main product production): the sum over the factory dataset's inputs of amount x
  the input's own footprint (lfp-pack.csv / nmc811-battery.csv: kWh of electricity per kWh of
  cells x China grid at the consumer 0.5777 + 0.0327 = 0.6104 kg CO2e/kWh, MEE/NBS/NEA 2024).
  Read from the inventory, not typed here: the factory energy is sourced in the pack files, and
  the declaration must follow whatever they state.
- LFP pack = GREET 2024 LFP materials 42.5048 + factory; the cell carries the cells' BatPaC 5.0 mass
  share of the materials, 288 x 1.336 / 618 = 0.622602: 0.622602 x 42.5048 + factory.
- Distribution: sea leg Shanghai-Rotterdam 10,600 nmi x 1.852 = 19,631.2 km (Notteboom, Pallis
  and Rodrigue 2022) x pack mass (LFP 1000 / 145.7 Wh/kg = 6.863418 kg/kWh, BatPaC 5.0; NMC811
  1000 / 197.7 = 5.058169 kg/kWh, GREET 2024) / 1000 x DESNZ 2024 container ship well-to-wheel
  0.01612 + 0.00365 = 0.01977 kg CO2e/tkm.
- Functional unit: 60 full equivalent cycles per year x 8 years = 480 kWh per kWh of capacity.
- End of life and recycling: not modelled (no complete sourced inventory and no readable source
  of the Circular Footprint Formula terms for EV batteries, not even the battery PEFCR's own
  end-of-life section; see the comment of pack-battery-regulation.csv and
  inventories/research-notes.md F1, I1, N1), so the declarations are partial and never called
  complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.greet import GREET_LFP, GREET_NMC811

ROOT = Path(__file__).resolve().parent.parent

GRID = 0.5777 + 0.0327  # China grid at the consumer incl. T&D, MEE/NBS/NEA 2024
GRID_KEY = ("pcf-background", "electricity-cn-2024-footprint-consumer")
#: the cell-factory dataset of each pack (main product production)
FACTORY_KEY = {
    "lfp": ("pcf-products-lfp-pack", "lfp-pack-cell-manufacturing-cn"),
    "nmc811": ("pcf-products-nmc811", "nmc811-pack-cell-manufacturing-cn"),
}
# GREET 2024 pack materials per kWh, booked as its gases (Inputs/LIB_upstream_GHG.csv @984aa083,
# CAR / 300mile rows, g per kg battery over Wh/kg) with IPCC 2021 GWP100 (CH4 29.8, N2O 273, CF4
# 7380, C2F6 12400, land-use CO2 1; the net biogenic uptake is not characterised): 42.5048 (LFP,
# pcf-background greet2024-lfp-battery-materials), 50.7895 (NMC811, nmc811-pack-materials)
CELL_SHARE = 288 * 1.336 / 618
SEA_TKM_PER_KG = 10600 * 1.852 / 1000
SHIP = 0.01612 + 0.00365
E_TOTAL = 60 * 8


def distribution(wh_per_kg: float) -> float:
    return 1000 / wh_per_kg * SEA_TKM_PER_KG * SHIP


def factory(engine, chem: str) -> float:
    """Cell-factory footprint per kWh by hand from the inventory: sum of amount x the input's
    own footprint over the factory dataset's technosphere inputs (the China grid is checked
    against MEE/NBS/NEA 2024 on the way)."""
    import bw2data as bd

    total = 0.0
    for ex in bd.get_activity(FACTORY_KEY[chem]).technosphere():
        unit = engine.footprint(ex.input.key).total
        if ex.input.key == GRID_KEY:
            assert unit == pytest.approx(GRID, rel=1e-6)
        total += ex["amount"] * unit
    return total


def cli(*args):
    from typer.testing import CliRunner

    from pcf.app import app as root

    r = CliRunner().invoke(root, [str(a) for a in args])
    return r


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


@pytest.fixture(scope="module")
def demo(shipped, tmp_path_factory):
    """``pcf demo`` as a user runs it (few draws: the draws are not what is tested)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    r = cli("demo", "--out", out, "--iterations", "20")
    assert r.exit_code == 0, (r.output, r.exception)
    return out


def test_cell_is_a_cell_below_its_pack(engine):
    cell = engine.footprint(("pcf-products", "lfp-cell-per-kwh")).total
    chain_cell = engine.footprint(("pcf-products-lfp-pack", "lfp-pack-cell")).total
    pack = engine.footprint(("pcf-products-lfp-pack", "lfp-pack-per-kwh")).total
    fac = factory(engine, "lfp")  # kWh per kWh of cells x 0.6104
    assert cell == pytest.approx(CELL_SHARE * GREET_LFP + fac, rel=1e-6)
    assert cell == pytest.approx(chain_cell, rel=1e-9)  # one cell, not two
    assert pack == pytest.approx(GREET_LFP + fac, rel=1e-6)
    assert cell < pack


def test_distribution_by_hand(engine):
    for chem, wh_per_kg in (("lfp", 145.7), ("nmc811", 197.7)):
        key = ("pcf-products-battery-regulation", f"{chem}-pack-distribution-cn-eu")
        # LFP 2.6638, NMC811 1.9631 kg CO2e per kWh of pack capacity
        assert engine.footprint(key).total == pytest.approx(distribution(wh_per_kg), rel=1e-6)


def test_demo_declares_the_packs(demo):
    reports = {p.name for p in (demo / "reports").iterdir()}
    for chem in ("lfp", "nmc811"):
        assert {
            f"pact-v3-{chem}-pack-per-kwh.json",
            f"iso14067-{chem}-pack-per-kwh.en.pdf",
            f"battery-declaration-{chem}-pack-eu-per-kwh.json",
            f"battery-declaration-{chem}-pack-eu-per-kwh.en.pdf",
        } <= reports
    assert "suppliers-lfp-pack-per-kwh.xlsx" in reports  # the illustrative pack, once
    # PACT: the pack's own mass per kWh (BatPaC 5.0: 1000 / 145.7; GREET NMC811: 1000 / 197.7)
    for chem, mass in (("lfp", 6.8634), ("nmc811", 5.0582)):
        doc = json.loads((demo / "reports" / f"pact-v3-{chem}-pack-per-kwh.json").read_text())
        assert float(doc["pcf"]["productMassPerDeclaredUnit"]) == pytest.approx(mass)
        assert doc["pcf"]["declaredUnitOfMeasurement"] == "kilowatt hour"


@pytest.mark.parametrize(
    "chem, greet, wh_per_kg",
    [("lfp", GREET_LFP, 145.7), ("nmc811", GREET_NMC811, 197.7)],
)
def test_battery_total_is_the_four_stages_and_the_delivered_footprint(
    demo, engine, chem, greet, wh_per_kg
):
    decl = json.loads(
        (demo / "reports" / f"battery-declaration-{chem}-pack-eu-per-kwh.json").read_text()
    )
    stages = decl["stages"]
    assert list(stages) == [
        "raw_material_acquisition",
        "production",
        "distribution",
        "end_of_life",
    ]
    # end of life: no complete sourced recycling inventory (process reagents, collection and
    # dismantling, the Circular Footprint Formula terms) -> not modelled (null), never 0; partial
    assert stages["end_of_life"] is None
    assert decl["complete"] is False and decl["status"] == "partial"
    assert decl["missing_stages"] == ["end_of_life"]
    modelled = [v for v in stages.values() if v is not None]
    assert decl["total"] == pytest.approx(sum(modelled), rel=1e-12)
    # by hand, per kWh delivered over the service life
    assert stages["raw_material_acquisition"] == pytest.approx(greet / E_TOTAL, rel=1e-6)
    assert stages["production"] == pytest.approx(factory(engine, chem) / E_TOTAL, rel=1e-6)
    assert stages["distribution"] == pytest.approx(distribution(wh_per_kg) / E_TOTAL, rel=1e-6)
    assert decl["energy_delivered_kwh"] == pytest.approx(E_TOTAL)
    # = the per-kWh-delivered footprint of the same product in footprints.json
    fp = json.loads((demo / "footprints.json").read_text())
    key = ["pcf-products-battery-regulation", f"{chem}-pack-eu-per-kwh-delivered"]
    (row,) = [p for p in fp["products"] if p["product"] == key]
    assert decl["total"] == pytest.approx(row["total"], rel=1e-6)  # float32 matrices
    assert decl["delivered_product"] == "|".join(key)
    assert decl["battery_category"] == "electric vehicle battery"


def test_meta_service_life_must_be_the_models(engine, tmp_path):
    """A service life in the meta file other than the model's is refused, naming the field."""
    doc = yaml.safe_load((ROOT / "pcf/demo/demo_meta.yaml").read_text())
    doc["battery"]["service_life"]["service_life_years"] = 10
    meta = tmp_path / "meta.yaml"
    meta.write_text(yaml.safe_dump(doc))
    r = cli(
        "report", "battery", "pcf-products-lfp-pack|lfp-pack-per-kwh",
        "--meta", meta, "--out", tmp_path / "out",
    )  # fmt: skip
    assert r.exit_code == 1, (r.output, r.exception)
    assert "battery.service_life" in r.output and "must be one figure" in r.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_battery_refuses_to_call_partial_complete(engine, tmp_path):
    from reports.render import num

    key = "pcf-products-lfp-pack|lfp-pack-per-kwh"
    r = cli("report", "battery", key, "--out", tmp_path, "--require-complete")
    assert r.exit_code == 1 and "end_of_life" in r.output
    r = cli("report", "battery", key, "--out", tmp_path, "--json")
    assert r.exit_code == 0, (r.output, r.exception)
    decl = json.loads((tmp_path / "battery-declaration-lfp-pack-eu-per-kwh.json").read_text())
    assert decl["status"] == "partial" and decl["stages"]["end_of_life"] is None
    # the console says what the files declare and that it is partial, not only where they are
    r = cli("report", "battery", key, "--out", tmp_path / "shown")
    said = " ".join(r.stdout.split())
    assert "(pcf-products-battery-regulation|lfp-pack-eu-per-kwh)" in said
    assert f"{decl['total']:.4g} kg CO2-Eq/kWh over the modelled stages" in said
    assert "PARTIAL declaration: not modelled: end of life and recycling" in said
    # the consistency check names the per-kWh-delivered product and gives the value with its unit
    name = decl["delivered_product_name"]
    assert name.startswith("battery pack, LFP, per kWh delivered over service life")
    html = (tmp_path / "battery-declaration-lfp-pack-eu-per-kwh.en.html").read_text()
    (check,) = [p for p in html.split("<p") if "Checked:" in p]
    assert name in check and f"{num(decl['delivered_total'])} kg CO2-Eq/kWh" in check


@pytest.mark.parametrize("chem", ["lfp", "nmc811"])
def test_declaration_is_one_page_with_both_ids(demo, chem):
    """The declaration fits one page (the product system it was computed from is a labelled
    row, not a stray line that spilled onto page 2), and the document's own id is not
    labelled as the battery's EU declaration of conformity id: that is its own row, 'not
    given' when the meta file does not state it."""
    from pdfminer.high_level import extract_pages, extract_text

    pdf = demo / "reports" / f"battery-declaration-{chem}-pack-eu-per-kwh.en.pdf"
    assert len(list(extract_pages(str(pdf)))) == 1
    text = " ".join(extract_text(str(pdf)).split())
    code = "LFP" if chem == "lfp" else "NMC811"
    assert f"Carbon footprint declaration identifier DEMO-CFD-{code}-0001" in text
    assert "EU declaration of conformity identifier not given" in text
    assert "Product system modelled battery pack" in text
    assert f"pcf-products-battery-regulation|{chem}-pack-eu-per-kwh" not in text
    doc = json.loads((pdf.with_suffix("").with_suffix(".json")).read_text())
    assert doc["conformity_declaration_id"] is None and doc["declaration_id"].startswith("DEMO")
