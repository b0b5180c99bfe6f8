"""Rack server (Dell PowerEdge R740 class, BoaviztAPI dellR740 configuration): cradle-to-gate and
4 years of use in the EU-27. Totals lie in the manufacturer-PCF band, equal the hand calculation
from the sourced amounts x the pcf-background factors, stages add up, and each declared parameter
moves the result by the hand-computed amount.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "inventories" / "products" / "server.params.yaml"
DB = "pcf-products-server"
LIFE = (DB, "server-r740-life-cycle-eu")
GATE = (DB, "server-r740-manufacture")
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}

# Configuration: BoaviztAPI boaviztapi/data/devices/server/dellR740.json @7f74b0d0 (2 CPUs x 24
# cores x 0.245 cm2/core; 12 x 32 GB RAM at 1.79 GB/cm2; 1 x 400 GB SSD at 50.6 GB/cm2; 2 x 2.99 kg
# PSU); CPU formula adds 0.491 cm2 per CPU (cpu.py @f0e40d32). UBA Texte 94/2021 factors.
CPU_DIE = 2 * (24 * 0.245 + 0.491)
RAM_DIE = 12 * 32 / 1.79
SSD_DIE = 400 / 50.6
COMPONENTS = (
    CPU_DIE * 1.97
    + 2 * 9.14  # CPU die + base
    + RAM_DIE * 2.20
    + 12 * 5.22  # RAM die + base
    + SSD_DIE * 2.20
    + 6.34  # SSD die + base
    + 66.1  # motherboard
    + 2 * 2.99 * 24.3  # PSU per kg
    + 150.0
)  # rack case
ASSEMBLY = 6.68
MANUFACTURE = COMPONENTS + ASSEMBLY
# Use: BoaviztAPI UsageServer R740 workload (usage.py @05970cf7): Wh/day, x 365 d x 4 years
WH_DAY = 3.6 * 510 + 13.2 * 369 + 4.8 * 261 + 2.4 * 201
KWH_LIFE = WH_DAY * 365 / 1000 * 4
EU27 = 0.21302  # Ember 2024, kg CO2e/kWh
CN_MEE = 0.5306  # MEE 2023 national, kg CO2/kWh
USE = KWH_LIFE * EU27

# Validation: no two independent studies of this product exist (inventories/research-notes.md A3); the bands
# are in tests/test_products.py (HAND = the hand calculation, CHECKS = the maker's own PCF with its
# stated uncertainty, one source).


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
    # dellR740.json @7f74b0d0: 2 CPUs x (24 cores x 0.245 cm2/core + 0.491 cm2, cpu.py) = 12.742
    parts = "server-r740-components"
    cpu = _shipped_amount(engine, parts, "electronics-cpu-die-boavizta")
    assert cpu == pytest.approx(2 * (24 * 0.245 + 0.491), rel=1e-12)
    assert cpu == pytest.approx(12.742, rel=1e-12)
    # 12 x 32 GB / 1.79 GB/cm2 RAM die; 400 GB / 50.6 GB/cm2 SSD die; 2 x 2.99 kg power supplies
    ram = _shipped_amount(engine, parts, "electronics-ram-die-boavizta")
    assert ram == pytest.approx(12 * 32 / 1.79, rel=1e-12)
    assert _shipped_amount(engine, parts, "electronics-ssd-die-boavizta") == pytest.approx(
        400 / 50.6
    )
    assert _shipped_amount(engine, parts, "electronics-psu-boavizta") == pytest.approx(2 * 2.99)
    # BoaviztAPI usage.py @05970cf7 R740 workload: 3.6 h x 510 W + 13.2 h x 369 W + 4.8 h x 261 W
    # + 2.4 h x 201 W = 8442 Wh/day; x 365 days / 1000 x 4 years = 12325.32 kWh
    use = _shipped_amount(engine, "server-r740-use-eu", "electricity-eu27-ember-2024")
    assert use == pytest.approx((3.6 * 510 + 13.2 * 369 + 4.8 * 261 + 2.4 * 201) * 365 / 1000 * 4)
    assert use == pytest.approx(12325.32, rel=1e-12)


def test_engine_results_equal_the_inventory_hand_calculation(engine):
    # Written out in server.csv's activity comments [derived]: components 12.742 x 1.97 + 2 x 9.14
    # + 214.5251 x 2.20 + 12 x 5.22 + 7.9051 x 2.20 + 6.34 + 66.1 + 5.98 x 24.3 + 150 = 963.1224;
    # + assembly 6.68 = 969.8024; use 12325.32 kWh x 0.21302 (Ember 2024 EU-27) = 2625.54
    def total(code):
        return engine.footprint((DB, code), "gwp100").total

    assert total("server-r740-components") == pytest.approx(963.1224, abs=1e-3)
    assert total("server-r740-manufacture") == pytest.approx(969.8024, abs=1e-3)
    assert total("server-r740-use-eu") == pytest.approx(2625.54, abs=1e-2)
    assert total("server-r740-life-cycle-eu") == pytest.approx(969.8024 + 2625.54, abs=1e-2)


def test_life_cycle_equals_hand_calculation(engine):
    r = engine.footprint(LIFE, "gwp100")
    assert r.total == pytest.approx(MANUFACTURE + USE, rel=1e-6)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(COMPONENTS, rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(ASSEMBLY, rel=1e-6)
    assert r.by_stage["use"] == pytest.approx(USE, rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES
    assert math.isclose(r.fossil, r.total, rel_tol=1e-9)
    # manufacture share: 27 % on the 2024 EU-27 grid, against 10-17 % in the manufacturer PCFs
    share = (r.by_stage["raw_material_acquisition"] + r.by_stage["production"]) / r.total
    assert share == pytest.approx(MANUFACTURE / (MANUFACTURE + USE), rel=1e-6)
    assert 0.25 < share < 0.30


def test_cradle_to_gate_equals_hand_calculation(engine):
    r = engine.footprint(GATE, "gwp100")
    assert r.total == pytest.approx(MANUFACTURE, rel=1e-6)
    assert {k for k, v in r.by_stage.items() if v != 0} == {
        "raw_material_acquisition",
        "production",
    }
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(COMPONENTS, rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)


def test_every_activity_has_a_stage(engine):
    for act in engine.project.bd.Database(DB):
        assert act.get("stage") in STAGES, (act["code"], act.get("stage"))


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"grid": "pcf-background|electricity-cn-2023"}, MANUFACTURE + KWH_LIFE * CN_MEE),
        ({"service_life_years": 6}, MANUFACTURE + USE * 6 / 4),
        ({"average_power_w": 200}, MANUFACTURE + USE * 200 / 351.75),
        ({"ram_modules": 24}, MANUFACTURE + USE + (RAM_DIE * 2.20 + 12 * 5.22)),
        ({"ram_module_gb": 64}, MANUFACTURE + USE + RAM_DIE * 2.20),
        (
            {"grid": "pcf-background|electricity-cn-2023", "service_life_years": 5},
            MANUFACTURE + KWH_LIFE * 5 / 4 * CN_MEE,
        ),
    ],
)
def test_parameters_change_the_result_by_hand(engine, values, expected):
    from supply_chain.parameters import footprint_with, load_parameters

    params = load_parameters(PARAMS)
    r = footprint_with(engine, LIFE, values, "gwp100", params=params)
    assert r.baseline == pytest.approx(MANUFACTURE + USE, rel=1e-6)
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_parameters_are_shipped_for_the_database():
    from supply_chain.parameters import shipped_parameters

    names = {p.name for p in shipped_parameters()[DB]}
    assert names == {
        "grid",
        "service_life_years",
        "average_power_w",
        "ram_modules",
        "ram_module_gb",
    }
