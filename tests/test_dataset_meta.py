"""Dataset metadata (lca.dataset_meta): every background dataset says its GWP basis, boundary and
gases; the exchanges agree with the gases it declares; the China grid at the consumer is the MEE
2024 national average plus T&D with line losses; a footprint names the direct-only /
combustion-only datasets it leans on and keeps air freight's radiative-forcing uplift out of
GWP100 (``pcf footprint --json`` → ``data_flags``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lca.dataset_meta import data_flags
from pcf.app import app

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND = sorted((ROOT / "inventories" / "background").glob("*.csv"))
PRODUCTS = sorted((ROOT / "inventories" / "products").glob("*.csv"))

GWP_BASES = {"AR4", "AR5", "AR6", "unstated", "none"}
BOUNDARIES = {
    "cradle-to-gate",
    "gate-to-gate",
    "life-cycle",
    "well-to-wheel",
    "upstream-only",
    "manufacture (embodied)",
    "direct-only",
    "combustion-only",
    "unstated",
}
# gases declared -> the biosphere flows the dataset may have
FLOWS = {
    "CO2": {"Carbon dioxide, fossil"},
    "CO2e aggregate": {"Carbon dioxide, fossil"},
    "CO2,CH4,N2O": {"Carbon dioxide, fossil", "Methane, fossil", "Dinitrogen monoxide"},
    "CO2,CH4,N2O,CF4,C2F6,biogenic CO2,land-use CO2": {
        "Carbon dioxide, fossil",
        "Methane, fossil",
        "Dinitrogen monoxide",
        "Methane, tetrafluoro-, R-14",
        "Ethane, hexafluoro-, HFC-116",
        "Carbon dioxide, from soil or biomass stock",
        "Carbon dioxide, in air",
    },
    "none": set(),
}
# MEE/NBS/NEA 2024 electricity carbon-footprint factors (shared/reference/grid/…2024….txt):
# 表1 national average 0.5777; 表3 T&D including line losses 0.0327 kg CO2e/kWh.
CN_2024, TD_WITH_LOSSES = 0.5777, 0.0327
# DESNZ 2024 'Freighting goods', freight flights long-haul: TTW 1.09904 with RF, 0.64875 without;
# WTT 0.13516 kg CO2e/tkm (FACTS-energy.md 5b).
AIR_TTW, AIR_TTW_RF, AIR_WTT = 0.64875, 1.09904, 0.13516

runner = CliRunner()


@pytest.fixture(scope="module")
def pcf(shipped, bw_dir):
    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *map(str, args)])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


def _footprint(pcf, key, *extra):
    return json.loads(pcf("footprint", key, "--json", *extra).stdout)


# -- the metadata in the files and in the imported databases -----------------------------------


def test_every_background_dataset_has_metadata():
    from lca.inventory_docs import _activities

    n = 0
    for path in BACKGROUND:
        for act in _activities(path):
            n += 1
            where = (path.name, act.get("code"))
            assert act.get("gwp_basis") in GWP_BASES, where
            assert act.get("boundary") in BOUNDARIES, where
            assert act.get("gases") in FLOWS, where
            assert act.get("biogenic"), where
    assert n > 130


def test_metadata_is_kept_as_activity_fields_and_matches_the_exchanges(shipped):
    bd = shipped.bd
    from lca.inventory_docs import database_of

    dbs = {database_of(p) for p in BACKGROUND}
    for db in sorted(dbs):
        for act in bd.Database(db):
            assert act.get("boundary") in BOUNDARIES, act.key  # a field after import
            flows = {exc.input["name"] for exc in act.biosphere()}
            allowed = FLOWS[act["gases"]]
            assert flows <= allowed, (act.key, act["gases"], flows)
            if act["gases"] != "none" and not list(act.technosphere()):
                assert flows, act.key  # the consumer grid's gases come through its inputs
            if act["gases"] in ("CO2e aggregate", "CO2"):
                assert act["gwp_basis"] != "none" or act["gases"] == "CO2", act.key


def test_mee_2023_factors_are_flagged_co2_only_generation_side(shipped):
    acts = [a for a in shipped.bd.Database("pcf-background") if a["code"].endswith("-2023")]
    mee = [a for a in acts if a["code"].startswith("electricity-cn-")]
    assert len(mee) == 40  # national, 7 regions, 30 provinces, residual proxy, fossil-only
    for a in mee:
        assert (a["gases"], a["boundary"], a["gwp_basis"]) == ("CO2", "direct-only", "none")
        assert "generation-side, CO2 only" in a["meta_note"], a.key


def test_steel_and_cement_are_not_labelled_cradle_to_gate(shipped):
    bd = shipped.bd
    steel = bd.get_node(database="pcf-background", code="steel-crude-worldsteel-2022")
    cement = bd.get_node(database="pcf-background", code="cement-gnr-2016")
    assert (steel["gases"], steel["boundary"]) == ("CO2", "unstated")
    assert (cement["gases"], cement["boundary"]) == ("CO2", "direct-only")
    for act in (steel, cement):
        assert "not cradle-to-gate" in act["name"]


# -- China electricity in product systems -------------------------------------------------------


def test_consumer_grid_is_the_2024_average_plus_td_with_losses(pcf):
    d = _footprint(pcf, "pcf-background|electricity-cn-2024-footprint-consumer")
    assert d["total"] == pytest.approx(CN_2024 + TD_WITH_LOSSES, rel=1e-6)  # 0.6104
    gen = _footprint(pcf, "pcf-background|electricity-cn-2024-footprint")["total"]
    td = _footprint(pcf, "pcf-background|electricity-cn-td-incl-losses-2024-footprint")["total"]
    assert (gen, td) == (pytest.approx(CN_2024, rel=1e-6), pytest.approx(TD_WITH_LOSSES, rel=1e-6))


def test_no_product_links_the_scope2_grid_factor():
    old = "electricity, China national grid average, MEE 2023"
    new = (
        "electricity, China national grid average, at consumer, life-cycle carbon footprint "
        "incl. T&D with line losses, MEE 2024"
    )
    used = 0
    for path in PRODUCTS:
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
            assert not row or row[0] != old, path.name
            used += bool(row) and row[0] == new
    # lfp cell, nmc811, lfp pack, laptop: 1 each; PV module 9; T-shirt 3; polyester fabric 2;
    # primary aluminium 1 (its smelter power mix); steel 6 (coke, sinter, BF-BOF, EAF, two hot
    # rolling activities)
    assert used == 28


def test_grid_parameters_default_to_the_consumer_grid():
    from supply_chain.parameters import shipped_parameters

    grids = [p for ps in shipped_parameters().values() for p in ps if p.name == "grid"]
    china = [p for p in grids if "electricity-cn" in str(p.default)]
    # every product made in China with a grid parameter (the server's grid is its EU use): LFP
    # cell, NMC811, LFP pack, PV module, T-shirt, laptop, polyester fabric, primary aluminium
    assert len(china) == 8
    for p in china:
        assert p.default == "pcf-background|electricity-cn-2024-footprint-consumer", p.where


# -- data flags in the footprint ------------------------------------------------------------------


def test_combustion_and_direct_only_datasets_are_flagged(pcf):
    d = _footprint(pcf, "pcf-products-pv-module|pv-module-per-kwp")
    flags = {f["dataset"]: f for f in d["data_flags"] if f["kind"] == "boundary"}
    assert set(flags) == {
        "pcf-background-pv|glass-carbonate-co2-float-ipcc2006",
        "pcf-background-pv|silicon-metal-process-ipcc2006",
        "pcf-background|natural-gas-combustion-ipcc2006",
    }
    assert flags["pcf-background|natural-gas-combustion-ipcc2006"]["boundary"] == "combustion-only"
    assert "upstream supply" in flags["pcf-background|natural-gas-combustion-ipcc2006"]["message"]
    assert flags["pcf-background-pv|glass-carbonate-co2-float-ipcc2006"]["boundary"] == (
        "direct-only"
    )
    # the LFP cell leans on no direct-only dataset, but its CO2e aggregates have unstated bases
    cell = _footprint(pcf, "pcf-products|lfp-cell-per-kwh")
    assert [f["kind"] for f in cell["data_flags"]] == ["gwp_basis"]
    assert set(cell["data_flags"][0]["bases"]) == {"unstated"}


@pytest.fixture
def cement_product(pcf, tmp_path, shipped):
    """A one-activity product that buys cement and steel as if they were cradle-to-gate."""
    db = "test-direct-only-product"
    path = tmp_path / "widget.csv"
    path.write_text(
        f"Database,{db}\n\n"
        'Activity,"concrete widget"\ncode,widget\nreference product,widget\nunit,kilogram\n'
        "location,CN\nstage,production\n"
        'comment,"Test product. Source: none (test)."\nExchanges\n'
        "name,reference product,amount,unit,location,database,categories,type,comment\n"
        f'"concrete widget",widget,1,kilogram,CN,{db},,production,"Reference flow."\n'
        '"cement, cementitious product, GNR 2016 gross direct plant CO2 only (not cradle-to-gate)",'
        'cement,0.3,kilogram,GLO,pcf-background,,technosphere,"Source: test."\n',
        encoding="utf-8",
    )
    pcf("import", path)
    yield f"{db}|widget"
    del shipped.bd.databases[db]


def test_direct_only_dataset_in_a_product_is_flagged_via_the_cli(pcf, cement_product):
    d = _footprint(pcf, cement_product)
    assert d["total"] == pytest.approx(0.3 * 0.640, rel=1e-6)  # GNR 2016: 640 kg CO2/t
    (flag,) = [f for f in d["data_flags"] if f["kind"] == "boundary"]
    assert flag["dataset"] == "pcf-background|cement-gnr-2016"
    assert flag["boundary"] == "direct-only"
    assert "upstream supply chain" in flag["message"]
    # the terminal output names it too
    out = pcf("footprint", cement_product).stdout
    assert "data flag" in out and "cement-gnr-2016" in out


def test_air_freight_rf_uplift_is_reported_apart_from_gwp100(pcf):
    key = "pcf-background|transport-air-longhaul-rf-desnz-2024"
    d = _footprint(pcf, key, "--amount", "1000")
    assert d["total"] == pytest.approx(1000 * (AIR_TTW + AIR_WTT), rel=1e-6)  # no RF inside
    plain = _footprint(pcf, "pcf-background|transport-air-longhaul-desnz-2024", "--amount", "1000")
    assert d["total"] == pytest.approx(plain["total"], rel=1e-9)
    (rf,) = [f for f in d["data_flags"] if f["kind"] == "radiative_forcing"]
    assert rf["kgco2e"] == pytest.approx(1000 * (AIR_TTW_RF - AIR_TTW), rel=1e-9)  # 450.29
    assert "DESNZ" in rf["source"]


# -- the pure rule -------------------------------------------------------------------------------


def _act(code, **meta):
    return {"key": ("db", code), "name": code, "amount": 2.0, **meta}


def test_data_flags_rules():
    ar6 = _act("a", gwp_basis="AR6", boundary="cradle-to-gate", gases="CO2e aggregate")
    ar5 = _act("b", gwp_basis="AR5", boundary="well-to-wheel", gases="CO2e aggregate")
    gas = _act("c", gwp_basis="none", boundary="combustion-only", gases="CO2,CH4,N2O")
    foreground = {"key": ("db", "product"), "name": "product", "amount": 1.0}
    assert data_flags([ar6, foreground]) == []
    flags = data_flags([ar6, ar5, gas, foreground])
    assert [f["kind"] for f in flags] == ["boundary", "gwp_basis"]
    assert flags[0]["dataset"] == "db|c"
    assert flags[1]["bases"] == {"AR5": ["db|b"], "AR6": ["db|a"]}
    rf = _act("d", gwp_basis="AR5", boundary="well-to-wheel", gases="CO2e aggregate")
    rf["rf_uplift_kgco2e_per_tkm"] = 0.5
    (f,) = [f for f in data_flags([rf]) if f["kind"] == "radiative_forcing"]
    assert f["kgco2e"] == 1.0  # 0.5 kg CO2e/tkm x 2 tkm supplied


@pytest.mark.parametrize(
    "key, dataset",
    [
        (
            "pcf-products-ammonium-nitrate|an-eu-bat-per-kg-n",
            "pcf-background|natural-gas-combustion-ipcc2006",
        ),
        (
            "pcf-products-cement-cn|cement-cem1-cn",
            "pcf-background|coal-bituminous-combustion-ipcc2006",
        ),
        (
            "pcf-products-polyester-fabric|polyester-fabric-knitted-dyed-cn",
            "pcf-background|natural-gas-combustion-ipcc2006",
        ),
    ],
)
def test_new_products_flag_their_combustion_only_fuels(pcf, key, dataset):
    """The fertiliser, cement and fabric burn fuels whose IPCC 2006 datasets are combustion-only:
    their footprints say the fuel supply chain is missing, and the CPCD filament's unstated GWP
    basis is flagged for the fabric."""
    d = _footprint(pcf, key)
    flags = {f["dataset"]: f for f in d["data_flags"] if f["kind"] == "boundary"}
    assert flags[dataset]["boundary"] == "combustion-only"
    if "polyester" in key:
        bases = [f for f in d["data_flags"] if f["kind"] == "gwp_basis"]
        assert bases and "pcf-background-textile|pet-filament-virgin-cpcd-2022" in str(bases[0])
