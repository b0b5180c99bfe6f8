"""Portland cement CEM I, China (inventories/products/cement-cn.csv, pcf-products-cement-cn): the
footprint equals the hand calculation 0.95 kg clinker (IEA 2006) x (calcination 0.52 kg CO2, IPCC
Tier 1 + kiln fuel 3.519 MJ, GNR 2016 global, as bituminous coal, IPCC 2006), and the kiln-fuel,
thermal-energy and clinker-ratio parameters move it by hand. No two independent cradle-to-gate
studies of Chinese CEM I exist (see the top-activity comment), so this is the validation.
"""

from __future__ import annotations

import math

import pytest
from invfiles import assert_stages_sources_uncertainty

DB = "pcf-products-cement-cn"
CEMENT = (DB, "cement-cem1-cn")
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}
COAL = 0.0946 + 1e-6 * 29.8 + 1.5e-6 * 273
GAS = 0.0561 + 1e-6 * 29.8 + 1e-7 * 273
CALC, FUEL_MJ, CLINKER = 0.52, 3.519, 0.95
CLINKER_KG = CALC + FUEL_MJ * COAL
TOTAL = CLINKER * CLINKER_KG  # 0.8117


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def test_equals_hand_calculation(engine):
    r = engine.footprint(CEMENT, "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)
    # 0.95 x (0.52 + 3.519 x 0.0950393) = 0.95 x 0.854443 = 0.81172
    assert r.total == pytest.approx(0.8117, abs=1e-4)
    assert engine.footprint((DB, "cement-clinker-cn"), "gwp100").total == pytest.approx(
        CLINKER_KG, rel=1e-6
    )
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES
    # calcination is the larger part: 0.52 of 0.854 kg per kg clinker
    assert CALC / CLINKER_KG > 0.6


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            {"kiln_fuel": "pcf-background|natural-gas-combustion-ipcc2006"},
            CLINKER * (CALC + FUEL_MJ * GAS),
        ),
        ({"kiln_thermal_energy": 3000}, CLINKER * (CALC + 3.0 * COAL)),
        ({"clinker_ratio": 0.75}, 0.75 * CLINKER_KG),
    ],
)
def test_parameters_move_the_result_by_hand(engine, values, expected):
    from supply_chain.parameters import footprint_with

    r = footprint_with(engine, CEMENT, values, "gwp100")
    assert r.baseline == pytest.approx(TOTAL, rel=1e-6)
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_every_activity_has_a_stage_sources_and_uncertainty(engine):
    assert_stages_sources_uncertainty(engine, DB)
