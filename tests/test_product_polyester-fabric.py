"""Knitted, dyed polyester fabric made in China (inventories/products/polyester-fabric.csv,
pcf-products-polyester-fabric): the footprint equals the hand calculation from the sourced inputs
(no two independent per-kg fabric studies exist, see the top-activity comment), its stages add up,
and each parameter of polyester-fabric.params.yaml moves it by the hand-computed amount.

Inputs (all in the inventory comments): virgin PET filament 1.4929 kg CO2e/kg (CPCD core
26422X0022022C, c2g 2022); circular knitting 4.25101 MJ = 1.180836 kWh electricity and 0.0352 kg
waste per kg fabric, synthetic-fibre dyeing 10.74 MJ heat + 1.61 MJ electricity per kg (Ecobalyse
processes.json @00100a3d); China grid at the consumer 0.5777 + 0.0327 (MEE/NBS/NEA 2024); natural
gas and bituminous coal per MJ (IPCC 2006), IPCC 2021 GWP100 29.8 / 273.
"""

from __future__ import annotations

import math

import pytest
from invfiles import assert_stages_sources_uncertainty

DB = "pcf-products-polyester-fabric"
FABRIC = (DB, "polyester-fabric-knitted-dyed-cn")
STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}

PET = 1.4929
GRID = 0.5777 + 0.0327
JS = 0.5827  # MEE 2023 Table 3, Jiangsu (a parameter choice)
GAS = 0.0561 + 1e-6 * 29.8 + 1e-7 * 273
COAL = 0.0946 + 1e-6 * 29.8 + 1.5e-6 * 273
WASTE = 0.0352
FILAMENT = 1 / (1 - WASTE)  # 1.036484 kg per kg fabric
KNIT_KWH = 4.25101 / 3.6
DYE_KWH, DYE_MJ = 1.61 / 3.6, 10.74
RAW = FILAMENT * PET
PROD = (KNIT_KWH + DYE_KWH) * GRID + DYE_MJ * GAS
TOTAL = RAW + PROD


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def test_fabric_equals_hand_calculation(engine):
    r = engine.footprint(FABRIC, "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(RAW, rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(PROD, rel=1e-6)
    # 1.036484 x 1.4929 = 1.54737; (1.180836 + 0.447222) x 0.6104 = 0.99377;
    # 10.74 x 0.0561571 = 0.60313 -> 3.1443 kg CO2e per kg of fabric
    assert r.total == pytest.approx(3.1443, abs=1e-4)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES


def test_stage_activities(engine):
    def f(code):
        return engine.footprint((DB, code), "gwp100").total

    assert f("polyester-fabric-filament") == pytest.approx(RAW, rel=1e-6)
    assert f("polyester-fabric-knitting-cn") == pytest.approx(KNIT_KWH * GRID, rel=1e-6)
    assert f("polyester-fabric-dyeing-cn") == pytest.approx(DYE_KWH * GRID + DYE_MJ * GAS, rel=1e-6)


def test_filament_background_dataset_is_the_cpcd_value(engine):
    r = engine.footprint(("pcf-background-textile", "pet-filament-virgin-cpcd-2022"), "gwp100")
    assert r.total == pytest.approx(1.4929, rel=1e-6)  # float32 characterisation


def test_every_activity_has_a_stage_sources_and_uncertainty(engine):
    assert_stages_sources_uncertainty(engine, DB, ("Source:", "bookkeeping", "[derived]"))


def test_grid_parameter(engine):
    from supply_chain.parameters import footprint_with

    r = footprint_with(engine, FABRIC, {"grid": "pcf-background|electricity-cn-js-2023"}, "gwp100")
    assert r.baseline == pytest.approx(TOTAL, rel=1e-6)
    assert r.total - r.baseline == pytest.approx((KNIT_KWH + DYE_KWH) * (JS - GRID), rel=1e-5)


def test_dyeing_fuel_parameter(engine):
    from supply_chain.parameters import footprint_with

    r = footprint_with(
        engine,
        FABRIC,
        {"dyeing_fuel": "pcf-background|coal-bituminous-combustion-ipcc2006"},
        "gwp100",
    )
    assert r.total - r.baseline == pytest.approx(DYE_MJ * (COAL - GAS), rel=1e-5)


def test_knitting_yield_parameter(engine):
    from supply_chain.parameters import footprint_with

    r = footprint_with(engine, FABRIC, {"knitting_yield": 0.9}, "gwp100")
    assert r.total == pytest.approx(TOTAL + RAW * ((1 - WASTE) / 0.9 - 1), rel=1e-5)
