"""Hotspots on the hand BOM of test_rollup, SPA against bw_graph_tools, the demo summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supply_chain.hotspot_analysis import (
    contributions,
    edge_sensitivities,
    hotspots,
    rank_stability,
)
from supply_chain.paths import activity_paths, bom_paths
from supply_chain.roll_up import rollup
from tests.greet import LFP_G_PER_KG
from tests.test_rollup import PCFS, hand_bom


@pytest.fixture(scope="module")
def result():
    return rollup(hand_bom(), pcfs=PCFS, spend_factors={"332710": 0.1})


def _as_dict(df):
    return dict(zip(df["item"], df["value"]))


def test_breakdowns_by_hand(result):
    tables = hotspots(result, top=10)
    for by, t in tables.items():  # every table adds up and ends with "rest"
        assert t["value"].sum() == pytest.approx(30.0), by
        assert t["item"].iloc[-1] == "rest"
    by_node = _as_dict(tables["node"])
    assert by_node == pytest.approx(
        {"steel": 16.0, "alu": 10.0, "B": 2.0, "P": 1.0, "A": 1.0, "rest": 0.0}
    )
    assert _as_dict(tables["supplier"]) == pytest.approx(
        {"SteelCo": 16.0, "AluCo": 10.0, "(own or unspecified)": 3.0, "Acme": 1.0, "rest": 0.0}
    )
    assert _as_dict(tables["first_tier"]) == pytest.approx(
        {"A": 27.0, "B": 2.0, "(direct)": 1.0, "rest": 0.0}
    )
    assert _as_dict(tables["country"]) == pytest.approx(
        {"CN": 27.0, "US": 2.0, "DE": 1.0, "rest": 0.0}
    )
    # B has no stage: it counts toward P's (production); A's subtree is raw material
    assert _as_dict(tables["stage"]) == pytest.approx(
        {"raw_material_acquisition": 27.0, "production": 3.0, "rest": 0.0}
    )
    top2 = contributions(result, by="node", top=2)
    assert top2["item"].tolist() == ["steel", "alu", "rest"]
    assert top2["value"].tolist() == pytest.approx([16.0, 10.0, 4.0])
    assert contributions(result, "A", by="node")["value"].sum() == pytest.approx(13.5)


def test_edge_sensitivities_by_hand(result):
    s = edge_sensitivities(result).set_index(["parent", "component"])
    # ∂x_P/∂q(P→A) = m_P x_A = 13.5; ∂x_P/∂q(A→steel) = m_A x_steel = 2 x 2.0 per kg
    assert s.loc[("P", "A"), "dfootprint_dq"] == pytest.approx(13.5)
    assert s.loc[("A", "steel"), "dfootprint_dq"] == pytest.approx(4.0)
    assert s.loc[("A", "steel"), "elasticity"] == pytest.approx(4 * 4.0 / 30)
    assert s.index[0] == ("P", "A")  # largest elasticity first: 27/30
    # first-order check against a re-roll-up
    G = hand_bom()
    G.edges["A", "steel"]["q"] += 1e-6
    x2 = rollup(G, pcfs=PCFS, spend_factors={"332710": 0.1}).total
    assert (x2 - 30.0) / 1e-6 == pytest.approx(4.0, rel=1e-6)


def test_rank_stability(result):
    still = rank_stability(result, iterations=50, seed=1, sigma_quantity=0.0, sigma_footprint=0.0)
    assert still["part"].tolist()[:2] == ["steel", "alu"]
    assert (still["p_same_rank"] == 1.0).all()
    a = rank_stability(result, iterations=400, seed=7, top=3, sigma_footprint=0.5)
    b = rank_stability(result, iterations=400, seed=7, top=3, sigma_footprint=0.5)
    assert a.equals(b)  # seeded
    assert 0.5 < a.loc[0, "p_same_rank"] < 1.0  # steel 16 vs alu 10 swap sometimes
    assert (a["p_in_top"] >= a["p_same_rank"]).all()


def test_bom_paths_match_node_contributions_on_a_tree(result):
    spa = bom_paths(result, cutoff=1e-4, top=10)
    got = {spa.labels[p.nodes[-1]]: p.value for p in spa.paths}
    assert got == pytest.approx({"steel": 16.0, "alu": 10.0, "B": 2.0, "P": 1.0, "A": 1.0})
    assert spa.coverage == pytest.approx(1.0)
    df = spa.to_frame()
    assert df["value"].sum() == pytest.approx(30.0) and df["path"].iloc[0] == "P <- A <- steel"


# -- with Brightway ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def widget(project, tmp_path_factory):
    """tests/invfiles.py's widget system (3.1175 kg CO2e) under its own database names."""
    from lca.footprint import FootprintEngine
    from lca.imports import import_inventory
    from tests.invfiles import background, products, write

    d = tmp_path_factory.mktemp("sc-inv")
    import_inventory(project, write(d / "bg.csv", background("sc-bg")))
    import_inventory(project, write(d / "prod.csv", products("sc-prod", "sc-bg")))
    return FootprintEngine(project)


def _bgt_paths(key, method, cutoff):
    import bw2calc as bc
    import bw2data as bd
    from bw_graph_tools import NewNodeEachVisitGraphTraversal
    from bw_graph_tools.graph_traversal.settings import GraphTraversalSettings

    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]).id: 1.0}, method)
    lca.lci()
    lca.lcia()
    gt = NewNodeEachVisitGraphTraversal(
        lca, GraphTraversalSettings(cutoff=cutoff, max_calc=100_000, separate_biosphere_flows=False)
    )
    gt.traverse()
    parent = {e.producer_unique_id: e.consumer_unique_id for e in gt.edges}
    rev = {v: k for k, v in lca.dicts.activity.items()}
    out = {}
    for uid, node in gt.nodes.items():
        if uid == -1:
            continue
        seq, u = [], uid
        while u != -1:
            n = bd.get_node(id=rev[gt.nodes[u].activity_index])
            seq.append(f"{n['database']}|{n['code']}")
            u = parent[u]
        out[" <- ".join(reversed(seq))] = node.direct_emissions_score
    return out, lca.score


def test_activity_paths_equal_bw_graph_tools(widget):
    from lca.methods import resolve

    key = ("sc-prod", "widget")
    spa = activity_paths(widget, key, "gwp100", cutoff=1e-3, top=20)
    assert spa.total == pytest.approx(3.1175, rel=1e-6)
    ours = {" <- ".join(spa.labels[i] for i in p.nodes): p.value for p in spa.paths}
    theirs, score = _bgt_paths(key, resolve("gwp100"), 1e-3)
    theirs = {k: v for k, v in theirs.items() if v != 0}
    assert score == pytest.approx(spa.total, rel=1e-9)
    assert ours.keys() == theirs.keys()
    for k, v in ours.items():
        assert v == pytest.approx(theirs[k], rel=1e-9), k
    assert ours["sc-prod|widget <- sc-prod|part <- sc-bg|elec"] == pytest.approx(
        3 * 0.5571, rel=1e-6
    )
    assert spa.coverage == pytest.approx(1.0)


def test_demo_bom_summary(project, tmp_path):
    from lca.footprint import FootprintEngine
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories
    from pcf.demo.supply_chain import demo_bom_summary

    ensure_inventories(project, shipped_inventories())
    s = demo_bom_summary(FootprintEngine(project), tmp_path)
    assert s["total"] == pytest.approx(s["product_system_total"], rel=1e-12)
    # the cell share (BatPaC 5.0 masses: 288 x 1.336 / 618 = 0.622602) of the 42.5048 GREET LFP
    # materials (GREET 2024 gases per kg battery / 142.9 Wh/kg, IPCC 2021 GWP100: CO2 4960, CH4
    # 34.562 x 29.8, N2O 0.1887 x 273, CF4 0.003487 x 7380, C2F6 0.0005438 x 12400, land-use CO2
    # 0.002917 g/kg) + 37.5 kWh (Degen et al. 2023, LFP) x China grid at consumer (0.5777 + 0.0327,
    # MEE 2024) = 26.4636 + 22.89 = 49.3536
    materials = 0.6226019417475729 * LFP_G_PER_KG / 142.9
    factory = 37.5 * (0.5777 + 0.0327)
    assert s["total"] == pytest.approx(materials + factory, rel=1e-6)
    assert s["sources"] == {"bom": 3, "brightway": 2}
    # 26.02 (the cell share of the materials) > 22.89 (factory electricity, 37.5 x 0.6104)
    assert [h["part"] for h in s["top_hotspots"][:2]] == [
        "lfp-battery-materials",
        "factory-electricity",
    ]
    assert s["top_hotspots"][0]["value"] == pytest.approx(materials, rel=1e-6)
    assert s["top_hotspots"][1]["value"] == pytest.approx(factory, rel=1e-6)
    assert s["paths_coverage"] == pytest.approx(1.0)
    assert s["illustrative_supplier_pcf"]["total"] == pytest.approx(
        materials + 37.5 * 0.1564, rel=1e-6
    )
    doc = json.loads((tmp_path / "lfp-cell-bom-hotspots.json").read_text())
    assert doc["summary"]["footprint"] == pytest.approx(s["total"])
    import pandas as pd

    long = pd.read_csv(tmp_path / "lfp-cell-bom-hotspots.csv")
    for by, t in long.groupby("breakdown"):
        assert t["value"].sum() == pytest.approx(s["total"]), by
    stage = long[long.breakdown == "stage"].set_index("item")["value"]
    assert stage["raw_material_acquisition"] == pytest.approx(materials, rel=1e-6)
    assert stage["production"] == pytest.approx(factory, rel=1e-6)
    assert np.isfinite(long["value"]).all()
    # every value says its unit and what it is per (as footprints.csv)
    assert set(long["unit"]) == {"kg CO2-Eq"}
    assert set(long["per"]) == {"1 kilowatt hour of lfp-cell"}
