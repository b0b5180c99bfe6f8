"""Polypropylene resin, US (inventories/products/polypropylene.csv, pcf-products-polypropylene):
propylene (hydrocracker fuel and electricity) -> polymerisation, from the public-domain USLCI
unit processes (ACC/Franklin 2011 data). The total equals the hand calculation from the file's
inputs, stages add up, the parameters move it by hand, and the total is BELOW the band of two
independent cradle-to-gate PP values (CPCD China 1.587; PlasticsEurope via Hopewell et al. 2009,
2.0 kg CO2e/kg): a finding recorded as xfail(strict) in tests/test_products.py, because USLCI cuts
off the production of the propylene feedstocks (extraction, refining, gas processing).

Inputs per kg (USLCI): propylene 0.996 kg; propylene plant: hydrocracker fuel 0.1098 m3 at 6.06557306
kg CO2 + 3.602e-05 kg CH4 + 3.602e-05 kg N2O per m3, grid 0.10193 kWh, cogen 0.047119 kWh;
polymerisation: grid 0.16314 kWh, cogen 0.15079 kWh, boiler gas 0.019352 m3, fuel oil 0.004339 l
(3.262 kg CO2, 1.2784e-04 CH4, 1.4205e-05 N2O per l), process CO2 0.01929 and N2O 5e-06 kg; cogen
7.20 MJ gas per kWh and 0.1875 m3 per kWh (38.4 MJ/m3). US grid: eGRID2022 823.1 / 0.066 / 0.009
lb/MWh; natural gas per MJ: IPCC 2006, IPCC 2021 GWP100.
"""

from __future__ import annotations

import math

import pytest
from invfiles import assert_stages_sources_uncertainty

DB = "pcf-products-polypropylene"
PP = (DB, "polypropylene-resin-us")
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}
CH4, N2O = 29.8, 273.0
US = (823.1 + 0.066 * CH4 + 0.009 * N2O) * 0.45359237 / 1000  # 0.375358
CN = 0.5777 + 0.0327
GAS = 0.0561 + 1e-6 * CH4 + 1e-7 * N2O
COAL_HEAT = 0.0946 + 1e-6 * CH4 + 1.5e-6 * N2O
MJ_M3 = 7.20 / 0.1875  # 38.4


def propylene(grid=US, heat=GAS):
    fuel = 0.1098 * (6.06557306 + 3.602e-05 * (CH4 + N2O))
    return fuel + 0.10193 * grid + 0.047119 * 7.20 * heat


def polymerisation(grid=US, heat=GAS, kwh=0.16314):
    oil = 0.004339 * (3.262 + 1.2784e-04 * CH4 + 1.4205e-05 * N2O)
    return kwh * grid + (0.15079 * 7.20 + 0.019352 * MJ_M3) * heat + 0.01929 + 5e-06 * N2O + oil


TOTAL = 0.996 * propylene() + polymerisation()  # 0.92039


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def test_equals_hand_calculation(engine):
    r = engine.footprint(PP, "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)
    assert r.total == pytest.approx(0.9204, abs=1e-4)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(0.996 * propylene(), rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(polymerisation(), rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES
    # the hydrocracker fuel (with the feed burnt as off-gas) is the largest single part
    assert 0.1098 * 6.06557306 / r.total > 0.7


def test_partial_boundary_is_below_both_studies(engine):
    """CPCD 1.587 (China 2021) and PlasticsEurope 2.0 (EU, Hopewell et al. 2009 Table 3): the
    USLCI system lacks the feedstocks' production, so it stays below both (checked as xfail in
    tests/test_products.py; here the gap is stated)."""
    r = engine.footprint(PP, "gwp100")
    assert r.total < min(1.587, 2.0)


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            {"grid": "pcf-background|electricity-cn-2024-footprint-consumer"},
            0.996 * propylene(grid=CN) + polymerisation(grid=CN),
        ),
        (
            {"plant_fuel": "pcf-background|coal-bituminous-combustion-ipcc2006"},
            0.996 * propylene(heat=COAL_HEAT) + polymerisation(heat=COAL_HEAT),
        ),
        (
            {"polymerisation_grid_electricity": 326.28},
            0.996 * propylene() + polymerisation(kwh=0.32628),
        ),
    ],
)
def test_parameters_move_the_result_by_hand(engine, values, expected):
    from supply_chain.parameters import footprint_with

    r = footprint_with(engine, PP, values, "gwp100")
    assert r.baseline == pytest.approx(TOTAL, rel=1e-6)
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_every_activity_has_a_stage_sources_and_uncertainty(engine):
    assert_stages_sources_uncertainty(engine, DB)
