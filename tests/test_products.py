"""Shipped product systems: each footprint (FootprintEngine, IPCC 2021 GWP100) lies inside the range
published studies report, as cited in the product's documentation (inventories/README.md and the
activity comment); stage tables add up; the background factors come through unchanged.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND_CSV = ROOT / "inventories" / "background" / "pcf-background.csv"
PRODUCT_FILES = [ROOT / "inventories" / "products" / "li-ion-cell.csv",
                 ROOT / "inventories" / "products" / "nmc811-battery.csv"]
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}

# product key -> (low, high, citation); the range every shipped product must fall in.
PUBLISHED = {
    ("pcf-products", "lfp-cell-per-kwh"): (
        41.0, 89.0, "Xu et al. 2022, RCR 187:106606: 41-89 kg CO2-eq/kWh cell, 2020 (FACTS B1)"),
    ("pcf-products-nmc811", "nmc811-pack-per-kwh"): (
        59.0, 115.0, ("Peiseler et al. 2024, Nat. Commun.: NMC811 59/74/115 kg CO2/kWh "
                      "(5th/50th/95th pct); IVL C444 61-106 (FACTS B1)")),
}
# EU Battery Regulation FU: E_total = capacity x 60 FEqC/yr (M1/N1, draft DA 2024) x 8 yr warranty
DELIVERED_PER_CAPACITY = 60 * 8


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.importer import import_inventory

    import_inventory(project, BACKGROUND_CSV)
    for path in PRODUCT_FILES:
        import_inventory(project, path)
    return FootprintEngine(project)


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_product_is_in_published_range(engine, key):
    lo, hi, cite = PUBLISHED[key]
    r = engine.footprint(key, "gwp100")
    assert lo <= r.total <= hi, (key, r.total, cite)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES, r.by_stage
    assert math.isclose(r.fossil, r.total, rel_tol=1e-9)  # all background data are fossil CO2e


def test_nmc811_pack_adds_up_from_its_sources(engine):
    r = engine.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh"), "gwp100")
    # GREET 2024 NMC811 pack materials 49.9744 + 57.5 kWh (Kurland 2020) x 0.5306 (MEE 2023)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(49.9744227617603, rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(57.5 * 0.5306, rel=1e-6)
    assert r.total == pytest.approx(80.484, abs=1e-3)


def test_battery_regulation_variant_is_pack_over_lifetime_energy(engine):
    pack = engine.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh"), "gwp100")
    per_delivered = engine.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh-delivered"),
                                     "gwp100")
    assert per_delivered.total == pytest.approx(pack.total / DELIVERED_PER_CAPACITY, rel=1e-6)
    assert per_delivered.by_stage.keys() == pack.by_stage.keys()


def test_every_product_activity_has_a_stage(engine):
    bd = engine.project.bd
    for db in {k[0] for k in PUBLISHED}:
        for act in bd.Database(db):
            assert act.get("stage") in STAGES, (db, act["code"], act.get("stage"))


@pytest.mark.parametrize("code, expected", [
    ("electricity-cn-bj-2023", 0.5554),                 # MEE 2023 Table 3, Beijing
    ("electricity-cn-xj-2023", 0.6021),                 # Xinjiang
    ("electricity-cn-region-southwest-2023", 0.2472),   # Table 2, Southwest grid
    ("electricity-cn-residual-proxy-2023", 0.6096),     # Table 4
    ("electricity-cn-pv-2024-footprint", 0.0520),       # MEE/NBS/NEA 2024 Table 2
    ("electricity-wind-onshore-ipcc-ar5", 0.011),       # AR5 WGIII Annex III median
    ("electricity-eu27-ember-2024", 0.21302),           # Ember 2024
    ("steel-crude-worldsteel-2022", 1.91),
    ("transport-rail-freight-desnz-2024", 0.02779 + 0.00691),
])
def test_background_factor_comes_through(engine, code, expected):
    r = engine.footprint(("pcf-background", code), "gwp100")
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_gas_split_datasets_use_ar6_factors(engine):
    # eGRID2022 U.S.: 823.1 / 0.066 / 0.009 lb/MWh, IPCC 2021: CH4 fossil 29.8, N2O 273
    lb = 0.45359237 / 1000
    r = engine.footprint(("pcf-background", "electricity-us-egrid-2022"), "gwp100")
    assert r.total == pytest.approx((823.1 + 0.066 * 29.8 + 0.009 * 273) * lb, rel=1e-6)
    # IPCC 2006 diesel, stationary: 74,100 / 3 / 0.6 kg/TJ
    r = engine.footprint(("pcf-background", "diesel-combustion-ipcc2006"), "gwp100")
    assert r.total == pytest.approx((74100 + 3 * 29.8 + 0.6 * 273) / 1e6, rel=1e-6)
