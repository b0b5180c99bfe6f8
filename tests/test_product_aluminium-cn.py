"""Primary aluminium ingot, China (inventories/products/aluminium-cn.csv, pcf-products-aluminium-cn):
cradle-to-gate as far as sourced - bauxite mining (USLCI 1998, energy and direct emissions, 3.0 kg
per kg alumina, IAI), alumina refining (382 kgce/t as coal with the CPCD coal supply, IAI caustic
soda and lime at CPCD literature factors), carbon anode (USLCI coke materials and plant
electricity, SINTEF 40-50 % of 4.8-5.2 GJ/t baking fuel with the CPCD gas supply), electrolysis
(IAI China 2015 12.875 kWh/kg from a 65 % captive-coal / 35 % grid smelter supply, IPCC Tier-1
anode CO2 1.6, China ETS PFC defaults) and ingot casting (USLCI 1998 casthouse energy). Each stage
and the total equal the hand calculation (the US fuel and refinery chain of
pcf-background-petrochem solved as in tests/test_product_polypropylene.py), the parameters move it
by hand, and the total is still BELOW the two-study band (Peng et al. 2022 15.947; European
Aluminium 2018 China 20 kg/kg), a finding recorded as xfail(strict) in tests/test_products.py:
bauxite and alumina transport, calcining fuel, the bake furnace's pitch-volatile and packing-coke
CO2, cryolite/AlF3 and cathodes are not modelled (not sourced) (inventories/research-notes.md K2).
"""

from __future__ import annotations

import math

import pytest
from invfiles import assert_stages_sources_uncertainty
from test_product_polypropylene import uslci

DB = "pcf-products-aluminium-cn"
AL = (DB, "aluminium-primary-cn")

# Background factors (pcf-background, IPCC 2021 GWP100 in the engine)
GRID = 0.5777 + 0.0327  # MEE/NBS/NEA 2024 national grid at the consumer, incl. T&D with losses
COAL_POWER = 0.924  # MEE/NBS/NEA 2024 Table 2, coal-fired
HYDRO = 0.0141  # MEE/NBS/NEA 2024 Table 2, hydropower
COAL_HEAT = 0.0946 + 1e-6 * 29.8 + 1.5e-6 * 273  # IPCC 2006 other bituminous coal, per MJ
GAS_HEAT = 0.0561 + 1e-6 * 29.8 + 1e-7 * 273  # IPCC 2006 natural gas, per MJ
NAOH, LIME = 1.59, 1.3039  # CPCD literature rows, kg CO2e/kg
CF4, C2F6 = 7380, 12400  # IPCC AR6 GWP100

# Inputs as sourced in aluminium-cn.csv
SHARE = 0.65  # captive coal share of smelter power (Ember 2021)
KWH = 12.875  # IAI China 2015, kWh per kg Al
ALUMINA = 1.955  # kg alumina per kg Al (1.93-1.98)
ALUMINA_MJ = 382 * 29.3076 / 1000  # 382 kgce/t alumina x 29.3076 MJ/kgce
ANODE = round(1.6 * 12 / 44, 6)  # kg baked anode per kg Al [derived from IPCC 1.6]
BAKE = 2.26  # MJ purchased baking fuel per kg anode
ANODE_CO2 = 1.6
PFC = 0.034e-3 * CF4 + 0.0034e-3 * C2F6  # China ETS anode-effect defaults per kg Al
COAL_CN, GAS_CN = 0.08, 0.608  # CPCD core: coal per kg (2022), natural gas per m3 (2024)
COAL_NCV, GAS_M3_PER_MJ = 25.8, 1 / (48.0 * 0.7)  # IPCC NCV: bituminous coal; gas at 0.7 kg/m3
BAUXITE = 3.0  # kg bauxite per kg alumina (IAI world average)
F = uslci()  # USLCI US fuel, refinery and freight chain (pcf-background-petrochem), kg CO2e/unit


def bauxite_mining():  # USLCI 'Bauxite, at mine' per kg: fuels, electricity, direct
    fuels = (
        0.0012518 * F["residual_fuel_oil_boiler"]
        + 0.0043396 * F["diesel_boiler"]
        + 0.00026705 * F["gasoline_equipment"]
    )
    return fuels + 0.00039683 * GRID + 0.00079 + 6.6e-06 * 29.8 + 3.4e-07 * 273


def coke():  # USLCI 'Metallurgical coke, at plant' with CPCD coal and the China grid
    return 1.1 * COAL_CN + 0.0388 * GRID + 0.13


def anode_per_kg():  # SINTEF baking fuel + gas supply + USLCI coke materials and electricity
    gas = BAKE * GAS_HEAT + BAKE * GAS_M3_PER_MJ * GAS_CN
    return gas + 0.316 * F["refining"] + 0.82 * coke() + 0.26676 * GRID


def casting(mix):  # USLCI 'Aluminum, primary, ingot, at plant, 1998' per kg ingot
    fuels = (
        0.051815 * F["natural_gas_boiler"]
        + 0.01861 * F["residual_fuel_oil_boiler"]
        + 0.0015022 * F["lpg_boiler"]
        + 0.0001836 * F["diesel_boiler"]
        + 7.344e-05 * F["gasoline_equipment"]
    )
    return 0.2112 * mix + fuels + 0.00093


MIX = (1 - SHARE) * GRID + SHARE * COAL_POWER  # 0.81424 kg CO2e per kWh
ANODE_PER_KG = anode_per_kg()  # 0.70336


def per_alumina(alumina_mj=ALUMINA_MJ, heat=COAL_HEAT, bauxite=BAUXITE):
    coal = alumina_mj / COAL_NCV * COAL_CN
    return alumina_mj * heat + coal + 0.1 * NAOH + 0.05 * LIME + bauxite * bauxite_mining()


ALUMINA_PER_KG = per_alumina()  # 1.38498


def total(
    mix=MIX, kwh=KWH, alumina=ALUMINA, alumina_mj=ALUMINA_MJ, heat=COAL_HEAT, bauxite=BAUXITE
):
    smelt = kwh * mix + ANODE * ANODE_PER_KG + ANODE_CO2 + PFC
    return alumina * per_alumina(alumina_mj, heat, bauxite) + smelt + casting(mix)


TOTAL = total()  # 15.7681
BAND = (15.947, 20.0)


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def _with(engine, values):
    from supply_chain.parameters import footprint_with

    return footprint_with(engine, AL, values, "gwp100")


def test_equals_hand_calculation_stage_by_stage(engine):
    r = engine.footprint(AL, "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)
    assert r.total == pytest.approx(15.7681, abs=1e-4)  # 14.9502 before K2 (+0.8179)
    assert r.by_stage == pytest.approx(
        {
            # bauxite mining and alumina refining, 2.7076
            "raw_material_acquisition": ALUMINA * ALUMINA_PER_KG,
            # anode, electrolysis, casting, 13.0604
            "production": KWH * MIX + ANODE * ANODE_PER_KG + ANODE_CO2 + PFC + casting(MIX),
        },
        rel=1e-6,
    )
    assert math.isclose(r.fossil, r.total, rel_tol=1e-9)
    # PFC reaches the total through the CF4 and C2F6 flows (0.29308 kg CO2e at AR6)
    pfc = sum(v for gas, v in r.by_gas.items() if gas in ("R-14", "HFC-116", "CF4", "C2F6"))
    assert pfc == pytest.approx(PFC, rel=1e-6), r.by_gas


@pytest.mark.parametrize(
    "code, expected",
    [
        ("aluminium-smelter-power-cn", MIX),  # per kWh
        ("bauxite-mining-uslci", bauxite_mining()),  # per kg bauxite, 0.0207
        ("alumina-refining-cn", ALUMINA_PER_KG),  # per kg alumina
        ("met-coke-uslci-cn", coke()),  # per kg coke, 0.2417
        ("aluminium-anode-baking-cn", ANODE_PER_KG),  # per kg anode
        ("aluminium-electrolysis-cn", TOTAL - casting(MIX)),  # per kg liquid Al, 15.391
        ("aluminium-casting-cn", TOTAL),  # per kg ingot (carries all stages)
    ],
)
def test_each_stage_activity_equals_its_hand_calculation(engine, code, expected):
    assert engine.footprint((DB, code), "gwp100").total == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("sodium-hydroxide-cpcd-2015", NAOH),
        ("lime-metallurgical-cpcd-2022", LIME),
        ("natural-gas-cn-cpcd-2024", GAS_CN),
    ],
)
def test_cpcd_background_factors_come_through(engine, code, expected):
    r = engine.footprint(("pcf-background-aluminium", code), "gwp100")
    assert r.total == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "share, mix", [(1.0, COAL_POWER), (0.0, GRID), (0.3, 0.7 * GRID + 0.3 * COAL_POWER)]
)
def test_captive_coal_share_moves_the_smelter_electricity(engine, share, mix):
    r = _with(engine, {"captive_coal_share": share})
    assert r.total == pytest.approx(total(mix=mix), rel=1e-6)


def test_hydro_smelter_through_grid_and_share(engine):
    r = _with(
        engine,
        {"captive_coal_share": 0, "grid": "pcf-background|electricity-cn-hydro-2024-footprint"},
    )
    assert r.total == pytest.approx(total(mix=HYDRO), rel=1e-6)


def test_scale_parameters(engine):
    r = _with(engine, {"smelting_electricity": 13599})
    assert r.total == pytest.approx(total(kwh=13.599), rel=1e-6)
    r = _with(engine, {"alumina_per_aluminium": 1.889})
    assert r.total == pytest.approx(total(alumina=1.889), rel=1e-6)
    r = _with(engine, {"alumina_energy": 583.2})
    assert r.total == pytest.approx(total(alumina_mj=583.2 * 29.3076 / 1000), rel=1e-6)
    r = _with(engine, {"alumina_fuel": "pcf-background|natural-gas-combustion-ipcc2006"})
    assert r.total == pytest.approx(total(heat=GAS_HEAT), rel=1e-6)  # the coal supply stays
    r = _with(engine, {"bauxite_per_alumina": 2.64})
    assert r.total == pytest.approx(total(bauxite=2.64), rel=1e-6)


def test_cli_footprint_with_all_captive_coal(shipped, bw_dir):
    """The user's path: `pcf footprint KEY --set captive_coal_share=1 --json` (in-process)."""
    import json

    from typer.testing import CliRunner

    from pcf.app import app

    args = ["--data-dir", str(bw_dir), "footprint", "|".join(AL), "--json"]
    r = CliRunner().invoke(app, [*args, "--set", "captive_coal_share=1"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    d = json.loads(r.stdout)
    assert d["total"] == pytest.approx(total(mix=COAL_POWER), rel=1e-6)  # 16.3634
    assert d["baseline_total"] == pytest.approx(TOTAL, rel=1e-6)
    bad = CliRunner().invoke(app, [*args, "--set", "captive_coal_share=1.5"])
    assert bad.exit_code == 1 and "captive_coal_share" in bad.stderr


def test_sourced_boundary_stays_below_the_cradle_to_gate_studies(engine):
    """The finding behind the xfail in tests/test_products.py: with bauxite mining, the coke
    materials, casting and the coal and gas supply added (K2) the system is still below the lower
    edge of the two-study band (no bauxite/alumina transport, calcining fuel, pitch-volatile and
    packing-coke CO2, cryolite/AlF3, cathodes). Not a tolerance: it must hold until those are
    sourced."""
    r = engine.footprint(AL, "gwp100")
    assert r.total < BAND[0]
    assert BAND[0] - r.total == pytest.approx(15.947 - TOTAL, rel=1e-6)  # 0.179 kg short


def test_k2_additions_move_the_total_by_hand(engine):
    """Before K2 the file gave 14.9502; the additions are, per kg ingot: bauxite 1.955 x 3.0 x
    0.02068 = 0.1213, coal supply 1.955 x 0.43393 x 0.08 = 0.0679, anode materials, plant
    electricity and gas supply 0.436364 x 0.5765 = 0.2516, casting 0.3771."""
    added = (
        ALUMINA * (BAUXITE * bauxite_mining() + ALUMINA_MJ / COAL_NCV * COAL_CN)
        + ANODE * (ANODE_PER_KG - BAKE * GAS_HEAT)
        + casting(MIX)
    )
    assert added == pytest.approx(0.8179, abs=1e-4)
    r = engine.footprint(AL, "gwp100")
    assert r.total - added == pytest.approx(14.9502, abs=1e-4)


def test_every_activity_has_a_stage_sources_and_uncertainty(engine):
    assert_stages_sources_uncertainty(engine, DB)
    for act in engine.project.bd.Database("pcf-background-aluminium"):
        assert act.get("boundary") == "cradle-to-gate", act["code"]
        assert act.get("gwp_basis") == "unstated", act["code"]
        for exc in act.exchanges():
            if exc["type"] == "production":
                continue
            c = exc.get("comment", "")
            assert "Source:" in c or "bookkeeping" in c, (act["code"], c)
            assert exc.get("uncertainty type") in (2, 4), (act["code"], exc.input)
