"""Footprints on a small hand-checkable system imported through the engine's importer."""

import json

import numpy as np
import pytest
from invfiles import background, products, write

from lca.errors import InvalidAmount, UnknownMethod, UnknownProduct

E = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # kg CO2e per kWh, AR6 GWP100
P = 0.002 * 27.0 + 0.01  # kg CO2e per kg pellets
TOTAL = 2 * E + (3 * E + 0.5 * P + 0.1) + 0.2


@pytest.fixture(scope="module")
def engine(project, tmp_path_factory):
    from lca.footprint import FootprintEngine
    from lca.imports import import_inventory

    d = tmp_path_factory.mktemp("inv")
    import_inventory(project, write(d / "bg.csv", background()))
    import_inventory(project, write(d / "prod.csv", products()))
    return FootprintEngine(project)


def test_total_split_gas_stage_processes(engine):
    r = engine.footprint(("t-prod", "widget"), "gwp100")
    assert r.total == pytest.approx(TOTAL, rel=1e-6)  # float32 storage of amounts
    assert r.split_source == "bundled"
    assert r.biogenic == pytest.approx(0.5 * 0.002 * 27.0, rel=1e-6)
    assert r.land_use == pytest.approx(0.5 * 0.01, rel=1e-6)
    assert r.fossil == pytest.approx(TOTAL - 0.5 * P, rel=1e-6)
    assert r.fossil + r.biogenic + r.land_use == pytest.approx(r.total, rel=1e-12)
    assert r.by_gas == pytest.approx(
        {
            "CO2": 5 * 0.5 + 0.1 + 0.2 + 0.5 * 0.01,
            "CH4": 5 * 0.001 * 29.8 + 0.5 * 0.002 * 27.0,
            "N2O": 5 * 0.0001 * 273,
        },
        rel=1e-6,
    )
    assert r.by_stage == pytest.approx(
        {
            "raw_material_acquisition": 3 * E + 0.5 * P + 0.1,
            "production": 2 * E,
            "distribution": 0.2,
        },
        rel=1e-6,
    )
    assert sum(r.by_stage.values()) == pytest.approx(r.total, rel=1e-12)
    assert sum(r.by_gas.values()) == pytest.approx(r.total, rel=1e-12)
    assert sum(p.value for p in r.top_processes) == pytest.approx(r.total, rel=1e-12)
    assert r.top_processes[0].name == "grid electricity"
    assert r.top_processes[0].value == pytest.approx(5 * E, rel=1e-6)
    assert r.biogenic_co2_removals == pytest.approx(-0.5, rel=1e-6)
    assert r.biogenic_co2_emissions == 0.0


def test_top_n_keeps_a_rest_row(engine):
    r = engine.footprint(("t-prod", "widget"), top=2)
    assert [p.name for p in r.top_processes] == ["grid electricity", "delivery", "rest"]
    assert r.top_processes[-1].value == pytest.approx(0.1 + 0.5 * P, rel=1e-6)


def test_amount_scales_and_serialises(engine):
    r = engine.footprint("t-prod|widget", amount=10)
    assert r.total == pytest.approx(10 * TOTAL, rel=1e-6)
    d = json.loads(r.to_json())
    assert d["product"] == ["t-prod", "widget"] and d["total"] == pytest.approx(r.total)
    df = r.to_frame()
    for breakdown in ("stage", "gas", "process"):
        assert df[df.breakdown == breakdown].value.sum() == pytest.approx(r.total, rel=1e-12)


def test_amount_above_max_abs_is_refused(engine):
    """Corpus opt:footprint:--amount 1e308: the overflow was reported as a singular matrix."""
    from lca.files import MAX_ABS

    with pytest.raises(InvalidAmount, match="footprint amount: invalid amount 1e"):
        engine.footprint("t-prod|widget", amount=1e308)
    assert engine.footprint("t-prod|widget", amount=MAX_ABS).total == pytest.approx(MAX_ABS * TOTAL)


def test_ar5_split_is_derived_and_adds_up(engine):
    r = engine.footprint(("t-prod", "widget"), "gwp100-ar5")
    assert r.split_source == "derived"
    # ecoinvent's IPCC 2013: CH4 fossil 29.7, non-fossil 28.5, N2O 264.8
    e5 = 0.5 + 0.001 * 29.7 + 0.0001 * 264.8
    p5 = 0.002 * 28.5 + 0.01
    assert r.total == pytest.approx(2 * e5 + 3 * e5 + 0.5 * p5 + 0.1 + 0.2, rel=1e-6)
    assert r.biogenic == pytest.approx(0.5 * 0.002 * 28.5, rel=1e-6)
    assert r.land_use == pytest.approx(0.005, rel=1e-6)
    assert r.fossil + r.biogenic + r.land_use == pytest.approx(r.total, rel=1e-12)


def test_batch_equals_bw2calc_loop(engine):
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    keys = [
        ("t-prod", "widget"),
        ("t-prod", "part"),
        ("t-prod", "delivery"),
        ("t-bg", "elec"),
        ("t-bg", "pellets"),
    ]
    ms = ["gwp100", "gwp20", "gwp100-ar5"]
    df = engine.batch(keys, ms)
    assert list(df.columns) == ms
    for key in keys:
        for m in ms:
            lca = bc.LCA({bd.get_node(database=key[0], code=key[1]): 1}, methods.resolve(m))
            lca.lci()
            lca.lcia()
            got = df.loc[f"{key[0]}|{key[1]}", m]
            assert got == pytest.approx(lca.score, rel=1e-9, abs=1e-15), (key, m)
    single = engine.footprint(("t-prod", "widget"), "gwp20").total
    assert df.loc["t-prod|widget", "gwp20"] == pytest.approx(single, rel=1e-12)


def test_unknown_product_and_method(engine):
    with pytest.raises(UnknownProduct, match="nope"):
        engine.footprint(("t-prod", "nope"))
    with pytest.raises(UnknownProduct, match="no database 'ghost'"):
        engine.footprint(("ghost", "x"))
    with pytest.raises(UnknownProduct, match="no activity of that name"):
        engine.footprint("no such widget")
    with pytest.raises(UnknownMethod, match="Unknown method 'gwp1000'; known aliases: "):
        engine.footprint(("t-prod", "widget"), "gwp1000")
    with pytest.raises(UnknownMethod, match="Not|There"):
        engine.footprint(("t-prod", "widget"), "Not|There")
    with pytest.raises(InvalidAmount, match="footprint amount: invalid amount nan"):
        engine.footprint(("t-prod", "widget"), amount=float("nan"))


def test_singular_technosphere_names_the_activity(project):
    import bw2data as bd

    from lca.errors import SingularTechnosphere
    from lca.footprint import FootprintEngine

    db = bd.Database("t-singular")
    db.write(
        {
            ("t-singular", "a"): {
                "name": "a",
                "unit": "kg",
                "exchanges": [
                    {"input": ("t-singular", "a"), "amount": 1.0, "type": "production"},
                    {"input": ("t-singular", "b"), "amount": 1.0, "type": "technosphere"},
                ],
            },
            ("t-singular", "b"): {
                "name": "b",
                "unit": "kg",
                "exchanges": [{"input": ("t-singular", "b"), "amount": 0.0, "type": "production"}],
            },
        }
    )
    with pytest.raises(SingularTechnosphere, match=r"t-singular\|b"):
        FootprintEngine(project).footprint(("t-singular", "a"))


def test_unknown_stage_is_rejected(project):
    import bw2data as bd

    from lca.errors import InventoryError
    from lca.footprint import FootprintEngine

    db = bd.Database("t-badstage")
    db.write(
        {
            ("t-badstage", "a"): {
                "name": "a",
                "unit": "kg",
                "stage": "manufacture",
                "exchanges": [{"input": ("t-badstage", "a"), "amount": 1.0, "type": "production"}],
            }
        }
    )
    with pytest.raises(InventoryError, match="unknown stage 'manufacture'"):
        FootprintEngine(project).footprint(("t-badstage", "a"))


def test_pure_errors():
    import scipy.sparse as sp

    from lca.errors import NonSquareTechnosphere, SingularTechnosphere
    from lca.solver import factorize

    with pytest.raises(NonSquareTechnosphere, match="2 products x 3 activities"):
        factorize(sp.csr_matrix(np.ones((2, 3))))
    with pytest.raises(SingularTechnosphere, match="Technosphere matrix is singular"):
        factorize(sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0]])))


def test_not_assessed_split_is_null_never_zero(engine):
    """A split the datasets do not assess is written as unknown (null, an empty CSV cell, named
    in ``not_assessed``), while the model's sums stay on the object."""
    import dataclasses
    import io

    import pandas as pd

    from lca._footprint_result import NOT_ASSESSED_PARTS

    r = engine.footprint(("t-prod", "widget"), "gwp100")
    assert r.not_assessed == []  # the test background carries no "biogenic: not assessed"
    assert r.to_dict()["biogenic"] == pytest.approx(0.5 * 0.002 * 27.0, rel=1e-6)
    u = dataclasses.replace(r, not_assessed=list(NOT_ASSESSED_PARTS))
    d = json.loads(u.to_json())
    assert {k: d[k] for k in NOT_ASSESSED_PARTS} == dict.fromkeys(NOT_ASSESSED_PARTS)
    assert d["not_assessed"] == list(NOT_ASSESSED_PARTS)
    assert d["fossil"] == pytest.approx(r.fossil, rel=1e-12) and d["total"] == r.total
    df = pd.read_csv(io.StringIO(u.to_frame().to_csv(index=False)))
    split = df[df.breakdown == "split"].set_index("item")
    assert split.loc["fossil", "value"] == pytest.approx(r.fossil, rel=1e-12)
    assert not split.loc["fossil", "not_assessed"]
    for k in ("biogenic", "land_use"):
        assert np.isnan(split.loc[k, "value"]) and np.isnan(split.loc[k, "share"])
        assert split.loc[k, "not_assessed"]
    # the empty cell is an empty CSV field, not "0" nor "nan"
    line = next(s for s in u.to_frame().to_csv(index=False).splitlines() if ",land_use," in s)
    assert line.endswith(",land_use,,,True")


def test_not_assessed_parts_from_dataset_meta():
    from lca._footprint_result import NOT_ASSESSED_PARTS, not_assessed_parts

    chain = [
        {"key": ("bg", "coal"), "biogenic": "not applicable (fossil fuel)", "amount": 2.0},
        {"key": ("fg", "cell")},  # foreground: no metadata, not judged
    ]
    assert not_assessed_parts(chain) == []
    grid = {"key": ("bg", "grid"), "biogenic": "not assessed", "amount": 0.5}
    assert not_assessed_parts([*chain, grid]) == list(NOT_ASSESSED_PARTS)
    # a dataset outside the chain (no supply) does not make the chain's split unknown
    assert not_assessed_parts([*chain, {**grid, "amount": 0.0}]) == []


def test_pcf_footprint_json_says_not_assessed(shipped, bw_dir):
    """``pcf footprint --json`` of the demo cell: the grid datasets of its chain record
    ``biogenic: not assessed`` (inventories/background), so the split is null, never 0.0."""
    from typer.testing import CliRunner

    from pcf.app import app

    r = CliRunner().invoke(
        app, ["--data-dir", str(bw_dir), "footprint", "pcf-products|lfp-cell-per-kwh", "--json"]
    )
    assert r.exit_code == 0, (r.stdout, r.stderr)
    d = json.loads(r.stdout)
    assert d["not_assessed"] == [
        "biogenic",
        "land_use",
        "biogenic_co2_emissions",
        "biogenic_co2_removals",
    ]
    assert d["biogenic"] is None and d["land_use"] is None
    assert d["biogenic_co2_emissions"] is None and d["biogenic_co2_removals"] is None
    # all fossil but the GREET 2024 LFP materials' land-use CO2 (0.002917 g/kg / 142.9 Wh/kg x
    # 0.622602 = 1.27e-5 kg per kWh of cell, 2.6e-7 of the total), which "not assessed" keeps out
    assert d["fossil"] == pytest.approx(d["total"], rel=1e-6)
