"""Shipped product systems: each footprint (FootprintEngine, IPCC 2021 GWP100) lies inside the range
published studies report, as cited in the product's documentation (inventories/README.md and the
activity comment); stage tables add up; the background factors come through unchanged.
"""

from __future__ import annotations

import math

import pytest

from lca.imports import shipped_inventories
from tests.greet import GREET_LFP, GREET_NMC622, GREET_NMC811

STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}

# Validation of every key product (issue 11, item 4). Two kinds:
#
# STUDIES: key -> (low, high, citation, xfail reason or None). The band is the spread of the
#   central values of at least two independent published studies of the same product and
#   boundary that were NOT used to build the model (their stated uncertainty is recorded in the
#   citation and in the product's top-activity comment); never wider. A product outside its
#   honest band is a finding: the test is marked xfail(strict=True) naming the gap, the band is
#   not widened.
# HAND: key -> (expected, derivation). No such pair of studies exists (named in the citation):
#   the total must equal the hand calculation from the product file's own sourced inputs
#   (rel 1e-6). CHECKS adds the maker's own PCF with its stated uncertainty where there is one
#   (one source, said so).
GRID_CN = 0.5777 + 0.0327  # MEE/NBS/NEA 2024 Table 1 + Table 3 T&D incl. line losses
GAS = 0.0561 + 1e-6 * 29.8 + 1e-7 * 273  # IPCC 2006 natural gas per MJ, IPCC 2021 GWP100
COAL = 0.0946 + 1e-6 * 29.8 + 1.5e-6 * 273  # IPCC 2006 other bituminous coal per MJ
EU27 = 0.21302  # Ember 2024 EU-27, kg CO2e/kWh
PEISELER = (
    "Peiseler et al. 2024, Nat. Commun. doi:10.1038/s41467-024-54634-y (cell vs pack not stated "
    "in the abstract)"
)
ECOBALYSE_BATT = (
    "Ecobalyse (French Ministry for Ecological Transition / ADEME) documentation page 'Batterie', "
    "values from ADEME Base Empreinte, pack with cells and pack made in China (per kWh implied)"
)
NMC811_PACK_XFAIL = (
    "FINDING: 68.43 kg CO2e/kWh is below the band 74-105. Likely cause: the GREET 2024 US-average "
    "NMC811 pack materials (50.79, only 8.28 above GREET's LFP 42.50, whereas the two studies put "
    "NMC811 12 and 38 above their LFP) and the chemistry-agnostic cell-factory energy 28.9 kWh/kWh "
    "(midpoint of Degen et al. 2023's 20.3-37.5; its NMC811 value not read): even at Degen's top "
    "37.5 the pack is 50.79 + 37.5 x 0.6104 = 73.68 [derived]"
)
PV_XFAIL = (
    "FINDING: 462.3 kg CO2e/kWp (100.8 per m2) is above the 2023-vintage band 310-427.98 even "
    "after the update to 2023 production (PV_ICE 2023 masses, ITRPV 2024 efficiency 21.8 %, IPCC "
    "Tier-1 MG-Si process CO2, 2023 granular-silicon share 14.0 % at GCL's 14.8 kWh/kg); 439.9 "
    "without the sea freight to the EU, 438.2 with the project's own China aluminium for the frame. "
    "Likely causes: the Siemens, ingot and cell energies per kg are the newest readable but older "
    "than 2023 (polysilicon 70 kWh/kg CPIA 2019, Cz ingot 38.4 Mueller 2021, cell 29 IEA PVPS "
    "2020; all electricity 51 % of the total) and the frame is all primary Chinese aluminium at "
    "20 kg CO2e/kg (2015 data, 114 kg CO2e/kWp) with no sourced recycled share; neither band "
    "source feeds the model"
)
AL_XFAIL = (
    "FINDING: the sourced cradle-to-gate model (15.77 kg CO2e/kg ingot, 14.95 before bauxite "
    "mining, the USLCI anode coke materials, ingot casting and the CPCD coal and gas supply were "
    "added, inventories/research-notes.md K2) is still below both studies: bauxite and alumina "
    "transport, calcining fuel, the bake furnace's pitch-volatile and packing-coke CO2, "
    "cryolite/AlF3 and cathodes are not modelled (not sourced); the refinery's electricity is "
    "inside its coal-equivalent energy and the captive coal power is booked at the national "
    "coal-fleet factor"
)
STUDIES = {
    ("pcf-products-steel-hrc-cn", "steel-liquid-bof-cn"): (
        1.99,
        2.183,
        (
            "CPCD core 41265X0342022C 转炉碳钢 (BOF carbon steel) 1990 kg CO2e/t, cradle-to-gate, "
            "2022 (leo21468/CarbonCalculator data/core.csv @bebed06); Y steel works (China), 2015 "
            "field data, worldsteel life-cycle method, 2.183 t CO2/t steel, Nonferrous Metals "
            "Science and Engineering 2019, doi:10.13264/j.cnki.ysjskx.2019.01.006. Model: IPCC "
            "Tier 1 + He et al. 2017 flows (neither study used)"
        ),
        None,
    ),
    ("pcf-products-ammonium-nitrate", "an-eu-bat-per-kg-n"): (
        3.3194,
        3.5224,
        (
            "European-average AN (33.5 % N), c2g incl. gas supply, Fertilizers Europe calculator: "
            "Fertilizers Europe 'The carbon footprint of fertilizer production: Regional reference "
            "values' EU 1.112 kg CO2e/kg AN = 3.3194 per kg N; Brentrup, Hoxha & Christensen 2016 "
            "(LCA Food 2016, 2011 data) Europe 1.18 = 3.5224 per kg N (both via public "
            "transcriptions, inventories/research-notes.md G3). Model: Yara BAT plant WITHOUT the "
            "gas supply chain - the two differences pull in opposite directions"
        ),
        None,
    ),
    ("pcf-products-polypropylene", "polypropylene-resin-us"): (
        1.587,
        2.0,
        (
            "PP resin c2g: CPCD core 34740F0042021C 聚丙烯 1.587 kg CO2e/kg (China, 2021); "
            "PlasticsEurope eco-profiles 2008a, 2.0 t CO2-e/t (EU), Hopewell, Dvorak & Kosior 2009 "
            "Phil. Trans. R. Soc. B 364:2115, Table 3. Model: USLCI / ACC-Franklin 2011 (US) with "
            "the feedstock and fuel supply chains (inventories/research-notes.md K1); neither study "
            "used"
        ),
        None,
    ),
    ("pcf-products-nmc811", "nmc811-pack-per-kwh"): (
        74.0,
        105.0,
        (
            f"{PEISELER}: NMC811 median 74 kg CO2/kWh (5th-95th pct 59-115); {ECOBALYSE_BATT}: "
            "NMC811 105. Model: GREET 2024 materials + Degen et al. 2023 cell-factory energy (neither "
            "study used)"
        ),
        NMC811_PACK_XFAIL,
    ),
    ("pcf-products-nmc811", "nmc811-pack-per-kwh-delivered"): (
        74.0 / 480,
        105.0 / 480,
        "the NMC811 pack band over E_total = 60 FEqC/yr x 8 yr = 480 kWh per kWh [derived]",
        NMC811_PACK_XFAIL,
    ),
    ("pcf-products-lfp-pack", "lfp-pack-per-kwh"): (
        62.0,
        73.51,
        (
            f"{PEISELER}: LFP median 62 (5th-95th pct 54-69); {ECOBALYSE_BATT}: LFP 67; CPCD core "
            "46420X0172021C 磷酸铁锂电池包 73.51 kg CO2e/kWh, cradle-to-gate, 2021 (leo21468/"
            "CarbonCalculator data/core.csv @bebed06). Model: GREET 2024 + Degen et al. 2023 (none of "
            "the three studies used)"
        ),
        None,
    ),
    ("pcf-products-lfp-pack", "lfp-pack-per-kwh-delivered"): (
        62.0 / 480,
        73.51 / 480,
        "the LFP pack band over 480 kWh delivered per kWh [derived]",
        None,
    ),
    ("pcf-products-pv-module", "pv-module-per-kwp"): (
        310.0,
        427.98,
        (
            "Li Z. et al. 2025, iScience 28(8):113079 (Beijing Jiaotong Univ.): China mono-Si "
            "modules, production side, 0.31-0.39 kg CO2-eq/Wp in 2023; CPCD core 46131X0122023C "
            "异质结 (HJT) module 427.98 kg CO2e/kW, cradle-to-gate, 2023 (data/core.csv @bebed06)"
        ),
        PV_XFAIL,
    ),
    ("pcf-products-pv-module", "pv-module-per-m2"): (
        310.0 * 0.218,
        427.98 * 0.218,
        "the per-kWp band x 0.218 kWp/m2 (ITRPV 2024 module efficiency 2023) [derived]",
        PV_XFAIL,
    ),
    ("pcf-products-aluminium-cn", "aluminium-primary-cn"): (
        15.947,
        20.0,
        (
            "Peng, Ren, Du, Ou & Yan 2022, Processes 10(11):2299: China primary ingot 15,947 kg "
            "CO2-eq/t (2020); European Aluminium Environmental Profile Report 2018: China 20 kg "
            "CO2e/kg (2015 data, FACTS-materials.md A2). Model: IAI, CPCD, IPCC, China ETS, "
            "SINTEF, Ember inputs (neither study used)"
        ),
        AL_XFAIL,
    ),
}
# Dell's own PCFs (Boavizta environmental-footprint-data boavizta-data-us.csv @61323eb5): R740
# 8640 kg, manufacturing ratio 0.152, error ratio 0.9815; Latitude 5420 364 kg, 0.848, 0.2198.
# One source each (the maker's PAIA estimate), applied as stated: total x share x (1 +/- error).
DELL_R740_MFG = 8640 * 0.152
DELL_5420_MFG = 364 * 0.848
LAPTOP_XFAIL = (
    "FINDING: the partial bottom-up laptop (CPU, RAM, SSD, mainboard, battery, assembly) is below "
    "Dell's own Latitude 5420 PCF (+/-21.98 %): the display panel, chassis, keyboard, power "
    "adapter, fans and packaging are not modelled (no sourced mass or factor)"
)
CHECKS = {
    ("pcf-products-server", "server-r740-manufacture"): (
        DELL_R740_MFG * (1 - 0.9815),
        DELL_R740_MFG * (1 + 0.9815),
        (
            "ONE source: Dell PowerEdge R740 PCF (Jan 2019, PAIA) manufacturing 0.152 x 8640 = "
            "1313 kg, stated error +/-98.15 % (a different configuration: 32 GB RAM, 3 HDD); "
            "too wide to fail in practice, kept as the maker's own statement"
        ),
        None,
    ),
    ("pcf-products-server", "server-r740-life-cycle-eu"): (
        8640 * (1 - 0.9815),
        8640 * (1 + 0.9815),
        "ONE source: Dell PowerEdge R740 PCF 8640 kg CO2e (4 y, EU), error +/-98.15 %",
        None,
    ),
    ("pcf-products-laptop", "laptop-manufacture"): (
        DELL_5420_MFG * (1 - 0.2198),
        DELL_5420_MFG * (1 + 0.2198),
        (
            "ONE source: Dell Latitude 5420 PCF (Jan 2021, PAIA) manufacturing 0.848 x 364 = "
            "308.7 kg, stated error +/-21.98 % (applied to the manufacturing part: an assumption)"
        ),
        LAPTOP_XFAIL,
    ),
    ("pcf-products-laptop", "laptop-life-cycle-eu"): (
        364 * (1 - 0.2198),
        364 * (1 + 0.2198),
        "ONE source: Dell Latitude 5420 PCF 364 kg CO2e (4 y, EU), error +/-21.98 %",
        LAPTOP_XFAIL,
    ),
}

# Hand calculations (inputs as sourced in each product file's comments).
# GREET 2024 pack materials per kWh, booked as their gases: tests/greet.py (the source rows).
# LFP cell: the cell share of the GREET 2024 LFP pack materials (BatPaC 5 LFP-G: 288 cells x
# 1.336 kg of a 618 kg pack, lfp-pack.csv) + Degen et al. 2023 LFP 37.5 kWh x grid
# (li-ion-cell.csv links the pack chain's cell materials).
_LFP_CELL = GREET_LFP * 288 * 1.336 / 618 + 37.5 * GRID_CN
# EU Battery Regulation systems (pack-battery-regulation.csv): pack + sea leg Shanghai-Rotterdam
# (10,600 nmi x 1.852 km, DESNZ 2024 container ship WTW 0.01612 + 0.00365 kg CO2e/tkm), pack mass
# 1000/145.7 kg/kWh (BatPaC LFP-G) or 1000/197.7 (GREET NMC811), over 480 kWh delivered per kWh.
_SEA = 10600 * 1.852 * (0.01612 + 0.00365) / 1000
_LFP_PACK = GREET_LFP + 37.5 * GRID_CN
_NMC_PACK = GREET_NMC811 + 28.9 * GRID_CN
_TS_FABRIC = 0.17 / 0.85
_TSHIRT = (
    _TS_FABRIC / (1 - 0.0576) / (1 - 0.201201) * 16.3699
    + (2.4 * _TS_FABRIC + 7.17 / 3.6 * _TS_FABRIC + 1.44 / 3.6) * GRID_CN
    + 25.87 * _TS_FABRIC * GAS
)
_SERVER_MFG = (
    2 * (24 * 0.245 + 0.491) * 1.97
    + 2 * 9.14
    + 12 * 32 / 1.79 * 2.20
    + 12 * 5.22
    + 400 / 50.6 * 2.20
    + 6.34
    + 66.1
    + 2 * 2.99 * 24.3
    + 150.0
    + 6.68
)
_SERVER_USE = (3.6 * 510 + 13.2 * 369 + 4.8 * 261 + 2.4 * 201) * 365 / 1000 * 4 * EU27
_LAPTOP_MFG = (
    1.46 * 1.97
    + 9.14
    + 8 / 0.625 * 2.20
    + 5.22
    + 256 / 48.5 * 2.20
    + 6.34
    + 66.1
    + 0.063 * GREET_NMC622
    + 0.063 * 28.9 * GRID_CN
    + 6.68
)
_LAPTOP_USE = 4 * 21.35 * EU27
_PF = 1.4929 / (1 - 0.0352) + (4.25101 + 1.61) / 3.6 * GRID_CN + 10.74 * GAS
_NH3_N, _HNO3_N, _AN_N = 17.0305 / 14.0067, 0.5 * 63.0128 / 14.0067, 80.0434 / 28.0134


def _an(gj, n2o):
    return _NH3_N * gj * GAS + _HNO3_N * n2o / 1000 * 273 + _AN_N * 0.5 * GAS


# Steel (steel-hrc-cn.csv): IPCC Tier 1 + He et al. 2017 flows per kg liquid steel; IEAGHG 2013
# rolling (105.3 kWh + 468.33 kWh heat as gas per t HRC); CPCD coal 0.08 kg CO2e/kg.
_COKE = 0.2736 + 1.2485 * (1811.8 / 28.435 / 1248.5)
_LS_BOF = (
    1.46
    + _COKE * 0.56
    + 1.2485 * 0.2
    + (42.5 + 180.4 + 376.2 + 127.8) / 3600 * GRID_CN
    + (_COKE * 447.3 / 337.3 + 5130.5 / 26.33727 / 1000) * 0.08
)
_ROLL = 0.1053 * GRID_CN + 468.33 * 3.6 / 1000 * GAS
_NO_PAIR = "no two independent same-boundary studies found (inventories/research-notes.md {})"
HAND = {
    ("pcf-products-steel-hrc-cn", "steel-hrc-bof-cn"): (
        1.0863 * _LS_BOF + _ROLL,
        _NO_PAIR.format("G1: only CPCD HRC 2310 kg/t for China coil")
        + "; 1.0863 kg liquid steel (IEAGHG 2013) x (IPCC Tier 1 + He 2017) + IEAGHG rolling",
    ),
    ("pcf-products-steel-hrc-cn", "steel-liquid-bof-cn"): (
        _LS_BOF,
        "IPCC Tier 1 (1.46 + 0.56 coke + 0.2 sinter) + He et al. 2017 kWh and coal (also STUDIES)",
    ),
    ("pcf-products-steel-hrc-cn", "steel-hrc-eaf-cn"): (
        1.0863 * (0.08 + 0.474 * GRID_CN + 0.15 * GAS) + _ROLL,
        _NO_PAIR.format("G1: no Chinese scrap-EAF study; CPCD EAF 3030 is hot-metal EAF")
        + "; Worrell 2007 474 kWh + 0.15 MJ gas + IPCC 0.08, IEAGHG rolling",
    ),
    ("pcf-products", "lfp-cell-per-kwh"): (
        _LFP_CELL,
        _NO_PAIR.format(
            "A1: no LFP-cell China values; Peiseler 2024 cell/pack unstated, Xu 2022 "
            "all chemistries 41-89"
        )
        + "; GREET 2024 LFP cell share 0.622602 x 42.5048 + 37.5 kWh x 0.6104",
    ),
    ("pcf-products-battery-regulation", "lfp-pack-eu-per-kwh-delivered"): (
        (_LFP_PACK + 1000 / 145.7 * _SEA) / 480,
        "no published value per kWh delivered with EU distribution; pack + sea leg, over 480",
    ),
    ("pcf-products-battery-regulation", "nmc811-pack-eu-per-kwh-delivered"): (
        (_NMC_PACK + 1000 / 197.7 * _SEA) / 480,
        "no published value per kWh delivered with EU distribution; pack + sea leg, over 480",
    ),
    ("pcf-products-tshirt", "tshirt-cotton-cn"): (
        _TSHIRT,
        _NO_PAIR.format(
            "A5: Olugbemi & Bolson 1.37 +/-13.8 % is the only c2g value; CRI CAAS 9.18 "
            "is seed-to-garment"
        )
        + "; see tests/test_product_tshirt.py",
    ),
    ("pcf-products-server", "server-r740-manufacture"): (
        _SERVER_MFG,
        _NO_PAIR.format("A3: no non-Dell study of the R740") + "; BoaviztAPI build x UBA factors",
    ),
    ("pcf-products-server", "server-r740-life-cycle-eu"): (
        _SERVER_MFG + _SERVER_USE,
        _NO_PAIR.format("A3") + "; + BoaviztAPI R740 workload x 4 y x Ember EU-27",
    ),
    ("pcf-products-laptop", "laptop-manufacture"): (
        _LAPTOP_MFG,
        _NO_PAIR.format("A4: no non-Dell LCA of the Latitude 5420") + "; partial bottom-up",
    ),
    ("pcf-products-laptop", "laptop-life-cycle-eu"): (
        _LAPTOP_MFG + _LAPTOP_USE,
        _NO_PAIR.format("A4") + "; + Dell TEC 21.35 kWh/y x 4 y x Ember EU-27",
    ),
    ("pcf-products-laptop", "laptop-archetype-manufacture"): (
        181.0,
        _NO_PAIR.format("A4") + "; BoaviztAPI/NegaOctet laptop-pro embodied 181.0 (one aggregate)",
    ),
    ("pcf-products-laptop", "laptop-archetype-life-cycle-eu"): (
        181.0 + _LAPTOP_USE,
        _NO_PAIR.format("A4") + "; archetype + Dell TEC use phase",
    ),
    ("pcf-products-polyester-fabric", "polyester-fabric-knitted-dyed-cn"): (
        _PF,
        _NO_PAIR.format("B8: no per-kg fabric value") + "; CPCD PET filament + Ecobalyse energies",
    ),
    ("pcf-products-ammonium-nitrate", "an-eu-bat-per-kg-n"): (
        _an(31.8, 1.85),
        "Yara BAT inputs, stoichiometry (also STUDIES: European references, research-notes G3)",
    ),
    ("pcf-products-ammonium-nitrate", "an-eu-unabated-per-kg-n"): (
        _an(35.2, 7.5),
        _NO_PAIR.format("G3: European references describe abated plants")
        + "; Yara EU-average NH3 energy, unabated nitric acid",
    ),
    ("pcf-products-cement-cn", "cement-cem1-cn"): (
        0.95 * (0.52 + 3.519 * COAL),
        _NO_PAIR.format("B5: CPCD clinker is gate-to-gate, CBAM is direct-only")
        + "; IEA 95 % clinker x (IPCC 0.52 + GNR 3.519 MJ coal)",
    ),
}
VALIDATED = set(STUDIES) | set(HAND)
# EU Battery Regulation FU: E_total = capacity x 60 FEqC/yr (M1/N1, draft DA 2024) x 8 yr warranty
DELIVERED_PER_CAPACITY = 60 * 8


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def _product_databases() -> list[str]:
    from lca.inventory_docs import database_of

    return [database_of(p) for p in shipped_inventories() if p.parent.name == "products"]


def test_every_shipped_product_has_a_published_range(engine):
    """Every final product of every file in inventories/products/ is checked below."""
    from lca.workflows import final_products, key_products

    dbs = _product_databases()
    keys = {a.key for db in dbs for a in final_products(engine.project, db)}
    keys |= {k for db in dbs for k in key_products(engine.project, db)}
    assert keys <= VALIDATED, keys - VALIDATED
    assert set(STUDIES) | set(HAND) >= set(CHECKS)


def test_every_shipped_exchange_names_its_source_and_uncertainty(engine):
    bd = engine.project.bd
    for db in _product_databases() + ["pcf-background"]:
        for act in bd.Database(db):
            assert len(str(act.get("comment", "")).strip()) > 40, (db, act["code"])
            for exc in act.exchanges():
                if exc["type"] == "production":
                    continue
                comment = str(exc.get("comment", ""))
                assert "Source" in comment or "bookkeeping" in comment or "[derived]" in comment, (
                    db,
                    act["code"],
                    exc.input["code"],
                )
                assert math.isfinite(exc["amount"]) and exc["amount"] >= 0, (db, act["code"])
                assert exc.get("uncertainty type", 0) in (2, 4) or exc["amount"] == 0, (
                    db,
                    act["code"],
                    exc.input["code"],
                )


def _id(key) -> str:
    return f"{key[0]}|{key[1]}"


def _band_params(table):
    """One case per key, xfail(strict=True) where the table names a finding."""
    return [
        pytest.param(
            key,
            id=_id(key),
            marks=[pytest.mark.xfail(strict=True, reason=table[key][3])] if table[key][3] else [],
        )
        for key in sorted(table)
    ]


def _stages_ok(r):
    assert math.isclose(sum(r.by_stage.values()), r.total, rel_tol=1e-9)
    assert set(r.by_stage) <= STAGES, r.by_stage
    # all background data are fossil CO2e or fossil gases, except the land-use CO2 of the GREET 2024
    # battery materials (0.002917 g/kg LFP / 142.9 Wh/kg = 2.04e-5 kg per kWh, < 1e-6 of a pack)
    assert math.isclose(r.fossil, r.total, rel_tol=1e-6)


@pytest.mark.parametrize("key", _band_params(STUDIES))
def test_product_is_inside_its_two_study_band(engine, key):
    lo, hi, cite, _ = STUDIES[key]
    r = engine.footprint(key, "gwp100")
    _stages_ok(r)
    assert lo <= r.total <= hi, (key, r.total, cite)


@pytest.mark.parametrize("key", sorted(HAND), ids=_id)
def test_product_equals_its_hand_calculation(engine, key):
    expected, derivation = HAND[key]
    r = engine.footprint(key, "gwp100")
    _stages_ok(r)
    assert r.total == pytest.approx(expected, rel=1e-6), (key, r.total, derivation)


@pytest.mark.parametrize("key", _band_params(CHECKS))
def test_product_is_inside_the_makers_own_pcf_uncertainty(engine, key):
    lo, hi, cite, _ = CHECKS[key]
    r = engine.footprint(key, "gwp100")
    assert lo <= r.total <= hi, (key, r.total, cite)


def test_no_band_is_wider_than_its_studies():
    """Each two-study band is exactly the spread of the central values named in its citation."""
    for key, (lo, hi, cite, _) in STUDIES.items():
        assert lo < hi, key
        if key[1].endswith("-delivered") or key[1].endswith("-per-m2"):
            continue  # derived from the band above it
        assert (
            f"{lo:g}" in cite.replace(",", "")
            or f"{lo * 1000:g}" in cite.replace(",", "")
            or f"{lo / 1000:g}" in cite
        ), (key, lo)
        assert f"{hi:g}" in cite, (key, hi)


def test_nmc811_pack_adds_up_from_its_sources(engine):
    r = engine.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh"), "gwp100")
    # GREET 2024 NMC811 pack materials 50.7895 + 28.9 kWh (midpoint of Degen et al. 2023's
    # 20.3-37.5 kWh per kWh cell) x 0.6104 (China grid at the consumer: MEE/NBS/NEA 2024 Table 1
    # 0.5777 + Table 3 T&D incl. line losses 0.0327) = 50.7895 + 17.6406 = 68.430; with Kurland
    # 2020's 57.5 it is 85.8875.
    assert r.by_stage["raw_material_acquisition"] == pytest.approx(GREET_NMC811, rel=1e-6)
    assert r.by_stage["production"] == pytest.approx(28.9 * (0.5777 + 0.0327), rel=1e-6)
    assert r.total == pytest.approx(68.430, abs=1e-3)


def test_battery_regulation_variant_is_pack_over_lifetime_energy(engine):
    pack = engine.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh"), "gwp100")
    per_delivered = engine.footprint(
        ("pcf-products-nmc811", "nmc811-pack-per-kwh-delivered"), "gwp100"
    )
    assert per_delivered.total == pytest.approx(pack.total / DELIVERED_PER_CAPACITY, rel=1e-6)
    assert per_delivered.by_stage.keys() == pack.by_stage.keys()


def test_every_product_activity_has_a_stage(engine):
    bd = engine.project.bd
    for db in _product_databases():
        for act in bd.Database(db):
            assert act.get("stage") in STAGES, (db, act["code"], act.get("stage"))


@pytest.mark.parametrize(
    "code, expected",
    [
        ("electricity-cn-bj-2023", 0.5554),  # MEE 2023 Table 3, Beijing
        ("electricity-cn-xj-2023", 0.6021),  # Xinjiang
        ("electricity-cn-region-southwest-2023", 0.2472),  # Table 2, Southwest grid
        ("electricity-cn-residual-proxy-2023", 0.6096),  # Table 4
        ("electricity-cn-pv-2024-footprint", 0.0520),  # MEE/NBS/NEA 2024 Table 2
        ("electricity-cn-2024-footprint", 0.5777),  # MEE/NBS/NEA 2024 Table 1 (no T&D)
        ("electricity-cn-2024-footprint-consumer", 0.5777 + 0.0327),  # + Table 3 incl. losses
        ("electricity-wind-onshore-ipcc-ar5", 0.011),  # AR5 WGIII Annex III median
        ("electricity-eu27-ember-2024", 0.21302),  # Ember 2024
        ("steel-crude-worldsteel-2022", 1.91),
        ("transport-rail-freight-desnz-2024", 0.02779 + 0.00691),
    ],
)
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


@pytest.mark.parametrize(
    "code, expected",
    [
        ("polypropylene-cpcd-2021", 1.587),  # CPCD core 34740F0042021C 聚丙烯
        ("steel-hot-rolled-strip-cpcd-2022", 2310 / 1000),  # 41121A0072022C 热轧碳钢宽带钢
        ("ammonia-coal-cpcd-2022", 2.41),  # 34280D0052022C 氨（煤路线）
        ("ammonia-natural-gas-cpcd-2022", 1.9),  # 34250E0042022C 氨(天然气路线)
    ],
)
def test_cpcd_one_level_factors_come_through(engine, code, expected):
    """CPCD core-database rows (leo21468/CarbonCalculator data/core.csv @bebed06), c2g per kg."""
    r = engine.footprint(("pcf-background-cpcd", code), "gwp100")
    assert r.total == pytest.approx(expected, rel=1e-6)


def test_a_total_stated_in_a_comment_is_the_result(engine):
    """An activity comment that states its own result ("Result 49.35 kg CO2e/kWh [derived]",
    "Total 68.430 …", "…: total 140.47 kg CO2e") states the engine's total to the digits it
    prints: a comment left behind by a change of an input (the laptop said 141.23 after the
    cell-factory energy moved it to 140.42) is caught here."""
    import re

    from lca.inventory_docs import database_of

    stated = re.compile(r"\b(?:Result|Total|total) (\d+(?:\.\d+)?) kg CO2e")
    checked = []
    for path in shipped_inventories():
        if path.parent.name != "products":
            continue
        for act in engine.project.bd.Database(database_of(path)):
            m = stated.search(str(act.get("comment", "")))
            if m is None:
                continue
            digits = len(m.group(1).partition(".")[2])
            total = engine.footprint(act.key, "gwp100").total
            assert abs(float(m.group(1)) - total) <= 0.5 * 10**-digits + 1e-12, (
                act.key,
                m.group(0),
                total,
            )
            checked.append(act.key)
    # the shipped statements (laptop 3, LFP cell/pack 3, NMC811 cell/module/pack 3)
    assert len(checked) >= 9, checked
