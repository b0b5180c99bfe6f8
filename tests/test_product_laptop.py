"""14-inch business laptop (Dell Latitude 5420 reference): bottom-up cradle-to-gate from components
and 4 years of use in the EU-27. Totals lie in the manufacturer-PCF band (FACTS-materials.md B3),
equal the hand calculation from the sourced amounts x the background factors, stages add up, and
each declared parameter moves the result by the hand-computed amount.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from tests.greet import GREET_LFP, GREET_NMC622

ROOT = Path(__file__).resolve().parents[1]
LAPTOP_CSV = ROOT / "inventories" / "products" / "laptop.csv"
PARAMS = ROOT / "inventories" / "products" / "laptop.params.yaml"
DB = "pcf-products-laptop"
GATE = (DB, "laptop-manufacture")
LIFE = (DB, "laptop-life-cycle-eu")
ARCHETYPE = (DB, "laptop-archetype-manufacture")
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}

# Background factors (kg CO2e per unit): UBA Texte 94/2021 via BoaviztAPI factors.yml @067c8c05
# (pcf-background); GREET 2024 per kWh of capacity (Busch et al. transcription @e4211ded);
# China national grid at the consumer = MEE/NBS/NEA 2024 Table 1 0.5777 + Table 3 T&D incl. line
# losses 0.0327 (pcf-background electricity-cn-2024-footprint-consumer); MEE 2023 China national
# grid (CO2 only, generation side; a parameter choice); Ember 2024 EU-27.
CPU_DIE_F, CPU_BASE = 1.97, 9.14
RAM_DIE_F, RAM_BASE = 2.20, 5.22
SSD_DIE_F, SSD_BASE = 2.20, 6.34
MAINBOARD, ASSEMBLY = 66.1, 6.68
# GREET 2024 NMC622 and LFP pack materials booked as their gases (Inputs/LIB_upstream_GHG.csv
# @984aa083, CAR / 300mile / NMC622 and LFP, g per kg battery over 187 and 142.9 Wh/kg) with IPCC
# 2021 GWP100 (CH4 29.8, N2O 273, CF4 7380, C2F6 12400, land-use CO2 1; the net biogenic uptake is
# not characterised) = 51.3194 and 42.5048
NMC622, LFP = GREET_NMC622, GREET_LFP
CN_MEE, EU27 = 0.5306, 0.21302
CN_GRID = 0.5777 + 0.0327
ARCHETYPE_GWP = 181.0  # BoaviztAPI factors.yml @067c8c05, LAPTOP gwp pro (NegaOctet)

# Amounts: Tiger Lake-U die 146 mm2 (BoaviztAPI cpu_specs.csv @005e975b); 8 GB RAM at 0.625 GB/cm2
# and 256 GB SSD at 48.5 GB/cm2 (BoaviztAPI ram.py / ssd.py defaults @f0e40d32); 63 Wh battery;
# cell factory 28.9 kWh per kWh (midpoint of Degen et al. 2023's 20.3-37.5); TEC 21.35 kWh/year x 4 years
# (Dell Latitude 5420 PCF via boavizta-data-us.csv @61323eb5).
CPU_DIE = 146.0 / 100
RAM_GB = 8.0
RAM_DIE = RAM_GB / 0.625
SSD_DIE = 256 / 48.5
BATTERY_KWH = 63 / 1000
CELL_KWH = BATTERY_KWH * 28.9
YEARS, TEC = 4, 21.35
USE_KWH = YEARS * TEC

ELECTRONICS = (
    CPU_DIE * CPU_DIE_F
    + CPU_BASE
    + RAM_DIE * RAM_DIE_F
    + RAM_BASE
    + SSD_DIE * SSD_DIE_F
    + SSD_BASE
    + MAINBOARD
)
BATTERY = BATTERY_KWH * NMC622 + CELL_KWH * CN_GRID
MANUFACTURE = ELECTRONICS + BATTERY + ASSEMBLY
USE = USE_KWH * EU27
LIFE_TOTAL = MANUFACTURE + USE

# Validation: no two independent studies of this product exist (inventories/research-notes.md A4); the bands
# are in tests/test_products.py (HAND = the hand calculation, CHECKS = the maker's own PCF with its
# stated uncertainty, one source).
# Manufacturing share of the manufacturer laptop PCFs (FACTS-materials.md B3, boavizta-data-us.csv
# @61323eb5): 0.76 (MacBook Air M1) to 0.848 (Latitude 5420), taken as 0.76-0.85.
SHARES = (0.76, 0.85)
DELL_5420_MANUFACTURE = 364 * 0.848  # the reference laptop's own PCF, manufacture part


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def _shipped_amount(engine, code, input_code):
    """Amount of the imported exchange of activity ``code`` whose input has code ``input_code``."""
    act = engine.project.bd.get_activity((DB, code))
    (amount,) = [e["amount"] for e in act.technosphere() if e.input["code"] == input_code]
    return amount


def test_shipped_amounts_equal_the_sourced_hand_figures(engine):
    # 8 GB / 0.625 GB/cm2 (BoaviztAPI ram.py DEFAULT_RAM_DENSITY @f0e40d32) = 12.8 cm2 of RAM die
    ram = _shipped_amount(engine, "laptop-electronics", "electronics-ram-die-boavizta")
    assert ram == pytest.approx(8 / 0.625, rel=1e-12)
    assert ram == pytest.approx(12.8, rel=1e-12)
    # 63 Wh battery (Latitude 5420 4-cell pack) / 1000 = 0.063 kWh of GREET NMC622 materials
    nmc = _shipped_amount(engine, "laptop-battery", "greet2024-nmc622-battery-materials")
    assert nmc == pytest.approx(0.063, rel=1e-12)
    # cell factory: 0.063 kWh x 28.9 kWh/kWh (Degen et al. 2023, midpoint of 20.3-37.5)
    # = 1.8207 kWh
    cell = _shipped_amount(engine, "laptop-battery", "electricity-cn-2024-footprint-consumer")
    assert cell == pytest.approx(0.063 * 28.9, rel=1e-12)
    assert cell == pytest.approx(1.8207, rel=1e-12)
    # use: TEC 21.35 kWh/year x 4 years (Dell Latitude 5420 PCF, boavizta-data-us.csv @61323eb5)
    use = _shipped_amount(engine, "laptop-use-eu", "electricity-eu27-ember-2024")
    assert use == pytest.approx(4 * 21.35, rel=1e-12)
    assert use == pytest.approx(85.4, rel=1e-12)


def test_engine_results_equal_the_inventory_hand_calculation(engine):
    # Written out in laptop.csv's activity comments [derived], with the factors above:
    # electronics 1.46 x 1.97 + 9.14 + 12.8 x 2.20 + 5.22 + 5.2784 x 2.20 + 6.34 + 66.1 = 129.4486
    # battery 0.063 x 51.3194 + 1.8207 x 0.6104 = 3.23312 + 1.11136 = 4.3445
    #   (with GREET's netted CO2e 50.528 it was 4.2946; with Kurland 2020's 57.5 kWh/kWh, 5.3944)
    # manufacture 129.4486 + 4.3445 + 6.68 = 140.4730; use 85.4 x 0.21302 = 18.1919
    # life cycle 140.4730 + 18.1919 = 158.6650
    def total(code):
        return engine.footprint((DB, code), "gwp100").total

    assert total("laptop-electronics") == pytest.approx(129.4486, abs=5e-5)
    assert total("laptop-battery") == pytest.approx(4.3445, abs=5e-5)
    assert total("laptop-manufacture") == pytest.approx(140.4730, abs=5e-4)
    assert total("laptop-use-eu") == pytest.approx(18.1919, abs=5e-5)
    assert total("laptop-life-cycle-eu") == pytest.approx(158.6650, abs=5e-4)


def test_cradle_to_gate_equals_hand_calculation(engine):
    r = engine.footprint(GATE, "gwp100")
    assert r.total == pytest.approx(MANUFACTURE, rel=1e-6)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(ELECTRONICS + BATTERY, rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(ASSEMBLY, rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert {s for s, v in r.by_stage.items() if v} == {"raw_material_acquisition", "production"}
    # incomplete on purpose (display, chassis, adapter not sourced): below the reference laptop's
    # own manufacture figure and below BoaviztAPI's aggregated archetype
    assert r.total < DELL_5420_MANUFACTURE
    assert r.total < engine.footprint(ARCHETYPE, "gwp100").total


def test_life_cycle_equals_hand_calculation(engine):
    r = engine.footprint(LIFE, "gwp100")
    assert r.total == pytest.approx(LIFE_TOTAL, rel=1e-6)
    assert r.by_stage["use"] == pytest.approx(USE, rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES
    # GREET's land-use CO2 in the battery materials: 0.063 kWh x 0.0048295 g/kg / 187 Wh/kg
    assert r.land_use == pytest.approx(BATTERY_KWH * 0.0048295 / 187, rel=1e-6)
    assert math.isclose(r.fossil + r.land_use, r.total, rel_tol=1e-9)
    share = (r.by_stage["raw_material_acquisition"] + r.by_stage["production"]) / r.total
    assert share == pytest.approx(MANUFACTURE / LIFE_TOTAL, rel=1e-6)
    # above the 0.76-0.85 of the manufacturer PCFs: cleaner 2024 EU-27 grid in use
    assert share > SHARES[1]


def test_archetype_comparison_is_the_aggregate(engine):
    r = engine.footprint(ARCHETYPE, "gwp100")
    assert r.total == pytest.approx(ARCHETYPE_GWP, rel=1e-6)


def test_archetype_life_cycle_is_archetype_plus_dell_use_phase(engine):
    r = engine.footprint((DB, "laptop-archetype-life-cycle-eu"), "gwp100")
    assert r.total == pytest.approx(ARCHETYPE_GWP + USE_KWH * EU27, rel=1e-6)  # 199.19
    assert r.by_stage["use"] == pytest.approx(USE_KWH * EU27, rel=1e-6)
    assert sum(r.by_stage.values()) == pytest.approx(r.total, rel=1e-9)


def test_every_activity_has_a_stage_and_every_exchange_a_source_and_uncertainty(engine):
    for act in engine.project.bd.Database(DB):
        assert act.get("stage") in STAGES, (act["code"], act.get("stage"))
    with LAPTOP_CSV.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if len(r) == 14 and r[7] in {"technosphere", "biosphere"}]
    assert len(rows) == 19  # 17 exchanges + the archetype life cycle's two
    for r in rows:
        comment, utype = r[13], r[8]
        assert "Source:" in comment or "functional-unit bookkeeping" in comment, r[0]
        assert utype in {"2", "4"}, r[0]
        assert "Uncertainty:" in comment, r[0]


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            {"grid": "pcf-background|electricity-cn-js-2023"},
            None,
        ),  # checked against the factor below
        (
            {"grid": "pcf-background|electricity-eu27-ember-2024"},
            LIFE_TOTAL + CELL_KWH * (EU27 - CN_GRID),
        ),
        ({"memory_gb": 16}, LIFE_TOTAL + RAM_DIE * RAM_DIE_F),
        ({"memory_gb": 4}, LIFE_TOTAL - RAM_DIE / 2 * RAM_DIE_F),
        (
            {"battery_chemistry": "pcf-background|greet2024-lfp-battery-materials"},
            LIFE_TOTAL + BATTERY_KWH * (LFP - NMC622),
        ),
        ({"battery_wh": 42}, LIFE_TOTAL - BATTERY * (63 - 42) / 63),
        ({"use_grid": "pcf-background|electricity-cn-2023"}, MANUFACTURE + USE_KWH * CN_MEE),
        ({"service_life_years": 6}, MANUFACTURE + USE * 6 / 4),
        (
            {"battery_wh": 42, "grid": "pcf-background|electricity-eu27-ember-2024"},
            LIFE_TOTAL - BATTERY + 0.042 * NMC622 + 0.042 * 28.9 * EU27,
        ),
    ],
)
def test_parameters_change_the_result_by_hand(engine, values, expected):
    from supply_chain.parameters import footprint_with, load_parameters

    if expected is None:  # Jiangsu, MEE 2023 provincial factor, read from the stored background
        js = engine.footprint(("pcf-background", "electricity-cn-js-2023"), "gwp100").total
        expected = LIFE_TOTAL + CELL_KWH * (js - CN_GRID)
    params = load_parameters(PARAMS)
    r = footprint_with(engine, LIFE, values, "gwp100", params=params)
    assert r.baseline == pytest.approx(LIFE_TOTAL, rel=1e-6)
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_parameters_are_shipped_for_the_database():
    from supply_chain.parameters import shipped_parameters

    names = {p.name for p in shipped_parameters()[DB]}
    assert names == {
        "grid",
        "memory_gb",
        "battery_chemistry",
        "battery_wh",
        "use_grid",
        "service_life_years",
    }
