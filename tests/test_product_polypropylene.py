"""Polypropylene resin, US (inventories/products/polypropylene.csv, pcf-products-polypropylene):
USLCI unit processes (ACC/Franklin 2011 data, public domain) from crude oil and natural-gas
extraction through gas processing and refining (inventories/background/pcf-background-petrochem.csv,
the feedstocks that USLCI's propylene process marks CUTOFF, and the plant fuels' supply chains) to
propylene and polymerisation (inventories/research-notes.md K1, G2). The total equals a hand
calculation from the USLCI coefficients typed below (a 27-process linear system: gas is burnt to
extract gas, so the chain has loops and is solved, not summed), the stages add up, the parameters
move it by hand, and the total lies inside the band of two independent cradle-to-gate PP values
(CPCD China 1.587; PlasticsEurope via Hopewell et al. 2009, 2.0 kg CO2e/kg;
tests/test_products.py STUDIES).

Per kg resin (USLCI): propylene 0.996 kg; polymerisation: grid 0.16314 kWh, cogen 0.15079 kWh (7.20
MJ gas and 0.1875 m3 per kWh), boiler gas 0.019352 m3 (38.4 MJ/m3), residual fuel oil 0.0043389 l,
refinery propane 0.005 kg, process CO2 0.01929 and N2O 4.5e-06 kg, freight. Propylene plant:
hydrocracker fuel 0.1098 m3 at 6.06557306 kg CO2 + 3.602e-05 kg CH4 + 3.602e-05 kg N2O per m3 (+ its
gas supply), grid 0.10193 kWh, cogen 0.047119 kWh, plant CH4 1e-06 kg, feedstocks 0.763189 kg
processed gas + 0.423352 kg refinery feed, diesel/gasoline in equipment, freight. Grid: eGRID2022
823.1 / 0.066 / 0.009 lb/MWh; gas combustion per MJ: IPCC 2006; IPCC 2021 GWP100.
"""

from __future__ import annotations

import math

import numpy as np
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
M3_KWH = 0.1875

# USLCI unit processes as linked in pcf-background-petrochem, per reference unit (kg, m3, l or
# t*km): (CO2, CH4, N2O kg, grid kWh at eGRID2022, {input process: amount}). Read from the
# FLCAC-admin/uslci-content JSON-LD files named in the CSV comments; refinery fuels per litre =
# 1/(L per kg) of the mass-allocated refinery kg.
USLCI = {
    "natural_gas_extracted": (
        0.017,
        0.0034,
        0,
        0.039,
        {
            "natural_gas_boiler": 0.0328,
            "diesel_equipment": 0.00129,
            "residual_fuel_oil_boiler": 0.000798,
            "gasoline_equipment": 0.000684,
        },
    ),
    "crude_oil_extracted": (
        0.0011,
        0.0053,
        0,
        0.0390077609229103,
        {
            "diesel_equipment": 0.0012928412292199,
            "natural_gas_boiler": 0.0327731931018355,
            "gasoline_equipment": 0.000684208,
            "residual_fuel_oil_boiler": 0.000798118013715448,
        },
    ),
    "natural_gas_processed": (
        0.039061,
        0.0014003,
        0,
        0.015715,
        {
            "residual_fuel_oil_boiler": 3.653e-05,
            "natural_gas_extracted": 0.74091,
            "natural_gas_boiler": 0.025476,
            "gasoline_equipment": 3.5086e-05,
            "diesel_equipment": 3.6995e-05,
        },
    ),
    "natural_gas_processed_olefins": (
        0.053,
        0.0019,
        0,
        0.0213,
        {
            "residual_fuel_oil_boiler": 4.96e-05,
            "natural_gas_extracted": 1.01,
            "gasoline_equipment": 4.76e-05,
            "natural_gas_boiler": 0.0346,
            "diesel_equipment": 5.02e-05,
        },
    ),
    "refining_olefins": (
        0.00025,
        7.1e-05,
        0,
        0.143,
        {
            "transport_barge_rfo": 0.000958091590684154,
            "transport_barge_diesel": 0.000288147846822302,
            "crude_oil_extracted": 1.018,
            "transport_ocean_rfo": 4.40889504679002,
            "transport_ocean_diesel": 0.489877227421113,
            "transport_pipeline_petroleum": 0.652170539921939,
            "lpg_boiler": 0.00114922534711027,
            "residual_fuel_oil_boiler": 0.0272,
            "natural_gas_boiler": 0.0111,
        },
    ),
    "refining": (
        0.000251403624383439,
        3.69707104398912e-05,
        0,
        0.143108486320558,
        {
            "transport_ocean_rfo": 4.40889504679002,
            "lpg_boiler": 0.00114922534711027,
            "residual_fuel_oil_boiler": 0.0272297571929317,
            "transport_barge_diesel": 0.000288147846822302,
            "transport_pipeline_petroleum": 0.652170539921939,
            "crude_oil_extracted": 1.01848017868973,
            "natural_gas_boiler": 0.0111079230742684,
            "transport_barge_rfo": 0.000958091590684154,
            "transport_ocean_diesel": 0.489877227421113,
        },
    ),
    "diesel_at_refinery": (0, 0, 0, 0.0, {"refining": 0.8673026886383347}),
    "residual_fuel_oil_at_refinery": (0, 0, 0, 0.0, {"refining": 0.9442870632672333}),
    "gasoline_at_refinery": (0, 0, 0, 0.0, {"refining": 0.7390983000739099}),
    "lpg_at_refinery": (0, 0, 0, 0.0, {"refining": 0.5434782608695652}),
    "natural_gas_boiler": (
        1.96,
        3.6017e-05,
        3.6017e-05,
        0.0,
        {
            "transport_truck_diesel": 0.1985,
            "natural_gas_processed": 1.0,
            "transport_train_diesel": 0.011858,
            "transport_pipeline_gas": 1.186,
        },
    ),
    "natural_gas_equipment": (
        1.962,
        0.00013948,
        0,
        0.0,
        {
            "transport_truck_diesel": 0.1985,
            "transport_pipeline_gas": 1.186,
            "transport_train_diesel": 0.011858,
            "natural_gas_processed": 1.0,
        },
    ),
    "residual_fuel_oil_boiler": (
        3.262,
        0.00012784,
        1.4205e-05,
        0.0,
        {
            "transport_truck_diesel": 0.0052453,
            "transport_train_diesel": 0.0033554,
            "transport_barge_average": 0.028425,
            "residual_fuel_oil_at_refinery": 1.0,
        },
    ),
    "diesel_equipment": (
        2.701,
        0.00013363,
        6.7831e-05,
        0.0,
        {
            "transport_barge_average": 0.028425,
            "diesel_at_refinery": 1.0,
            "transport_truck_diesel": 0.0052453,
            "transport_train_diesel": 0.0033554,
            "transport_pipeline_petroleum": 0.041307,
        },
    ),
    "diesel_boiler": (
        2.727,
        6.1048e-06,
        1.3227e-05,
        0.0,
        {
            "transport_truck_diesel": 0.0052453,
            "transport_barge_average": 0.028425,
            "diesel_at_refinery": 1.0,
            "transport_pipeline_petroleum": 0.041307,
            "transport_train_diesel": 0.0033554,
        },
    ),
    "gasoline_equipment": (
        2.085,
        0.00092063,
        6.0969e-05,
        0.0,
        {
            "transport_train_diesel": 0.0033554,
            "transport_pipeline_petroleum": 0.041307,
            "transport_truck_diesel": 0.0052453,
            "transport_barge_average": 0.028425,
            "gasoline_at_refinery": 1.0,
        },
    ),
    "lpg_boiler": (
        1.724,
        2.6025e-05,
        0.00011711,
        0.0,
        {
            "lpg_at_refinery": 1.0,
            "transport_train_diesel": 0.0033554,
            "transport_truck_diesel": 0.0052453,
            "transport_barge_average": 0.028425,
            "transport_pipeline_gas": 0.041307,
        },
    ),
    "transport_pipeline_gas": (
        0.000138468984764995,
        0.00456686387489079,
        0,
        0.0,
        {"natural_gas_equipment": 0.0121378329004437},
    ),
    "transport_pipeline_petroleum": (0, 0, 0, 0.0149, {}),
    "transport_ocean_rfo": (
        0.01598,
        7.8738e-07,
        3.8929e-07,
        0.0,
        {"residual_fuel_oil_at_refinery": 0.0049263},
    ),
    "transport_ocean_diesel": (0.014395, 7.2952e-07, 0, 0.0, {"diesel_at_refinery": 0.0049263}),
    "transport_barge_rfo": (
        0.028712,
        6.4329e-07,
        6.9662e-07,
        0.0,
        {"residual_fuel_oil_at_refinery": 0.0088155},
    ),
    "transport_barge_diesel": (0.028149, 6.4861e-07, 0, 0.0, {"diesel_at_refinery": 0.0095933}),
    "transport_barge_average": (
        0,
        0,
        0,
        0.0,
        {"transport_barge_diesel": 0.22, "transport_barge_rfo": 0.78},
    ),
    "transport_truck_diesel": (
        0.079876,
        1.2883e-06,
        1.9932e-06,
        0.0,
        {"diesel_at_refinery": 0.027224},
    ),
    "transport_train_diesel": (
        0.018949,
        9.0485e-07,
        4.7458e-07,
        0.0,
        {"diesel_at_refinery": 0.006482},
    ),
    "natural_gas_delivered": (
        0,
        0,
        0,
        0.0,
        {
            "transport_truck_diesel": 0.1985,
            "natural_gas_processed": 1.0,
            "transport_train_diesel": 0.011858,
            "transport_pipeline_gas": 1.186,
        },
    ),
}


def uslci(grid=US):
    """kg CO2e per unit of each USLCI process: solve x = d + A x (the chain has loops)."""
    names = list(USLCI)
    idx = {n: i for i, n in enumerate(names)}
    a = np.zeros((len(names), len(names)))
    d = np.zeros(len(names))
    for n, (co2, ch4, n2o, kwh, inputs) in USLCI.items():
        d[idx[n]] = co2 + ch4 * CH4 + n2o * N2O + kwh * grid
        for other, amount in inputs.items():
            a[idx[n], idx[other]] += amount
    x = np.linalg.solve(np.eye(len(names)) - a, d)
    return {n: float(x[idx[n]]) for n in names}


F = uslci()
FREIGHT_PROPYLENE = {
    "transport_pipeline_gas": 1.22308,
    "transport_pipeline_petroleum": 0.145951,
    "transport_barge_diesel": 0.023215,
    "transport_barge_rfo": 0.07719,
    "transport_truck_diesel": 0.0308268,
    "transport_train_diesel": 0.0240892,
}
FREIGHT_POLYMER = {
    "transport_barge_rfo": 0.00091199,
    "transport_barge_diesel": 0.00027428,
    "transport_pipeline_petroleum": 0.064224,
    "transport_train_diesel": 0.00014005,
    "transport_truck_diesel": 0.00021963,
}


def propylene(grid=US, heat=GAS, f=F):
    plant = 0.1098 * (6.06557306 + 3.602e-05 * (CH4 + N2O)) + 1e-06 * CH4
    energy = 0.10193 * grid + 0.047119 * 7.20 * heat
    feed = (0.642682 + 0.120507) * f["natural_gas_processed_olefins"] + (0.357112 + 0.06624) * f[
        "refining_olefins"
    ]
    fuels = (
        (0.1098 + 0.047119 * M3_KWH) * f["natural_gas_delivered"]
        + 1.4872e-05 * f["diesel_equipment"]
        + 1.71253e-05 * f["gasoline_equipment"]
    )
    freight = sum(v * f[k] for k, v in FREIGHT_PROPYLENE.items())
    return plant + energy + feed + fuels + freight


def polymerisation(grid=US, heat=GAS, kwh=0.16314, f=F):
    gas = (0.15079 * 7.20 + 0.019352 * MJ_M3) * heat
    supply = (0.15079 * M3_KWH + 0.019352) * f["natural_gas_delivered"]
    oil = 0.0043389 * f["residual_fuel_oil_boiler"] + 0.005 * f["refining_olefins"]
    freight = sum(v * f[k] for k, v in FREIGHT_POLYMER.items())
    return kwh * grid + gas + supply + oil + 0.01929 + 4.5e-06 * N2O + freight


TOTAL = 0.996 * propylene() + polymerisation()  # 1.78547
BAND = (1.587, 2.0)


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def test_equals_hand_calculation(engine):
    r = engine.footprint(PP, "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)
    assert r.total == pytest.approx(1.7855, abs=1e-4)
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(0.996 * propylene(), rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(polymerisation(), rel=1e-6)
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES


@pytest.mark.parametrize(
    "code, key",
    [
        ("uslci-natural-gas-processed-olefins", "natural_gas_processed_olefins"),
        ("uslci-refining-olefins", "refining_olefins"),
        ("uslci-natural-gas-delivered", "natural_gas_delivered"),
        ("uslci-natural-gas-extracted", "natural_gas_extracted"),
        ("uslci-crude-oil-extracted", "crude_oil_extracted"),
        ("uslci-residual-fuel-oil-boiler", "residual_fuel_oil_boiler"),
        ("uslci-transport-pipeline-gas", "transport_pipeline_gas"),
    ],
)
def test_petrochem_background_equals_the_solved_uslci_chain(engine, code, key):
    r = engine.footprint(("pcf-background-petrochem", code), "gwp100")
    assert r.total == pytest.approx(F[key], rel=1e-6)


def test_feedstock_chain_closes_the_cutoff(engine):
    """The 1.19 kg of feedstock per kg propylene that USLCI cuts off now carries its production:
    0.763189 x 0.431 + 0.423352 x 0.553 = 0.5630 kg CO2e per kg propylene, with the fuels' supply
    chains and freight the propylene doubles from 0.7245 (plant only) to 1.562."""
    feed = 0.763189 * F["natural_gas_processed_olefins"] + 0.423352 * F["refining_olefins"]
    assert feed == pytest.approx(0.5630, abs=1e-4)
    r = engine.footprint((DB, "pp-propylene-us"), "gwp100")
    assert r.total == pytest.approx(propylene(), rel=1e-6)
    assert r.total > 2 * 0.7245


def test_total_is_inside_the_two_study_band(engine):
    """CPCD 1.587 (China 2021) and PlasticsEurope 2.0 (EU, Hopewell et al. 2009 Table 3); also
    checked in tests/test_products.py STUDIES."""
    r = engine.footprint(PP, "gwp100")
    assert BAND[0] <= r.total <= BAND[1]


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
