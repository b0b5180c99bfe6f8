"""Roll-up: a 3-level BOM by hand, sources in order, PACT-weighted quality, Brightway links,
path exchange, and the vectorised solve against the recursive one."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pytest

from supply_chain.bom import add_part, new_bom, read_bom
from supply_chain.bom_math import rollup_edges, topological_order
from supply_chain.errors import BOMCycle, BOMUnitMismatch, MissingFootprint
from supply_chain.pcfs import SupplierPCF
from supply_chain.roll_up import background_intensities, recursive_rollup, rollup
from tests.greet import LFP_G_PER_KG

# the cell's materials: the cell share (BatPaC 5 LFP-G: 288 cells x 1.336 kg of a 618 kg pack) of
# the GREET 2024 LFP materials 42.5048 kg CO2e per kWh (pcf-products-lfp-pack|lfp-pack-cell-materials):
# GREET's gases per kg battery (Inputs/LIB_upstream_GHG.csv @984aa083, CAR / 300mile / LFP) over
# 142.9 Wh/kg, IPCC 2021 GWP100 (CH4 29.8, N2O 273, CF4 7380, C2F6 12400; biogenic uptake 0)
GREET = 288 * 1.336 / 618 * LFP_G_PER_KG / 142.9
GRID = 0.5777 + 0.0327  # kg CO2e/kWh, China at the consumer, MEE/NBS/NEA 2024 (Tables 1 and 3)
SICHUAN = 0.1564  # the illustrative supplier PCF's value (MEE 2023 Sichuan factor)
FACTORY = 37.5  # kWh per kWh of LFP cell, Degen et al. 2023 (lfp-cell-bom.csv, li-ion-cell.csv)

PCFS = [
    SupplierPCF(
        "steel-pcf",
        2.0,
        "kilogram",
        primary_data_share=50.0,
        dqr={"technological": 2.0, "geographical": 3.0, "temporal": 1.0},
    ),
    SupplierPCF("alu-pcf", 10.0, "kilogram", primary_data_share=0.0),
]


def hand_bom():
    """P (1 direct) <- 2 A (0.5 direct each) <- [3 kg steel, 25 % loss; 500 g aluminium];
    P <- 1 B, bought for 20 USD (spend factor 0.1 kg/USD).

    x_steel = 2.0/kg, x_alu = 0.01/g, x_B = 20 x 0.1 = 2
    x_A = 0.5 + 4 kg x 2.0 + 500 g x 0.01 = 13.5
    x_P = 1 + 2 x 13.5 + 2 = 30
    primary share of P = (1 x 100 + 2 x 0.5 x 100 + 2 x 8 x 50 + 0 + 0) / 30 = 1000/30 %
    technological DQR: only steel's 16 of 30 have one -> 2.0, coverage 16/30
    """
    G = new_bom("P", "piece", direct=1.0, stage="production", country="CN")
    add_part(
        G,
        "A",
        "P",
        2,
        "piece",
        direct=0.5,
        supplier="Acme",
        country="DE",
        stage="raw_material_acquisition",
    )
    add_part(
        G, "steel", "A", 3.0, "kg", loss=0.25, pcf="steel-pcf", supplier="SteelCo", country="CN"
    )
    add_part(G, "alu", "A", 500, "g", pcf="alu-pcf", supplier="AluCo", country="CN")
    add_part(G, "B", "P", 1, "piece", spend_sector="332710", unit_price_usd=20.0, country="US")
    return G


def test_hand_bom():
    r = rollup(hand_bom(), pcfs=PCFS, spend_factors={"332710": 0.1})
    t = r.table
    assert r.total == pytest.approx(30.0, rel=1e-15)
    assert t.loc["A", "footprint"] == pytest.approx(13.5)
    assert t.loc["alu", "footprint"] == pytest.approx(0.01)  # per gram
    assert dict(t["source"]) == {
        "P": "bom",
        "A": "bom",
        "B": "spend",
        "steel": "supplier_pcf",
        "alu": "supplier_pcf",
    }
    assert t.loc["P", "primary_data_share"] == pytest.approx(1000 / 30)
    assert t.loc["A", "primary_data_share"] == pytest.approx((0.5 * 100 + 8 * 50) / 13.5)
    assert t.loc["P", "dqr_technological"] == pytest.approx(2.0)
    assert t.loc["P", "dqr_coverage"] == pytest.approx(16 / 30)
    assert r.summary()["sources"] == {"bom": 2, "supplier_pcf": 2, "spend": 1}


def test_sources_fall_back_in_order_and_say_why():
    G = hand_bom()
    # spend factors absent: B is skipped (0) and says so; strict mode refuses
    r = rollup(G, pcfs=PCFS)
    assert r.total == pytest.approx(28.0)
    assert r.table.loc["B", "source"] == "missing"
    assert "no USEEIO factors loaded" in r.missing["B"]
    with pytest.raises(MissingFootprint, match="'B'"):
        rollup(G, pcfs=PCFS, strict=True)
    # an expired PCF is not used: steel falls back to its spend factor
    G.nodes["steel"]["spend_sector"] = "331110"
    G.nodes["steel"]["unit_price_usd"] = 1.0
    old = SupplierPCF("steel-pcf", 2.0, "kg", reference_period=(None, dt.datetime(2020, 1, 1)))
    r = rollup(
        G, pcfs=[old, PCFS[1]], spend_factors={"332710": 0.1, "331110": 1.5}, on=dt.date(2025, 1, 1)
    )
    assert r.table.loc["steel", "source"] == "spend"
    assert "validity ended 2023-01-01" in r.table.loc["steel", "note"]
    assert r.total == pytest.approx(1 + 2 * (0.5 + 4 * 1.5 + 5) + 2)


def test_part_with_outside_source_shadows_its_components():
    G = hand_bom()
    G.nodes["A"]["pcf"] = "A-pcf"
    r = rollup(G, pcfs=PCFS + [SupplierPCF("A-pcf", 7.0, "piece")], spend_factors={"332710": 0.1})
    assert r.total == pytest.approx(1 + 2 * (7.0 + 0.5) + 2)  # A's direct stays its own
    assert set(r.shadowed) == {("A", "steel"), ("A", "alu")}


def test_pcf_unit_mismatch_names_the_part():
    G = hand_bom()
    with pytest.raises(BOMUnitMismatch, match="part 'steel'.*steel-pcf"):
        rollup(G, pcfs=[SupplierPCF("steel-pcf", 2.0, "piece"), PCFS[1]])


def test_cycle_in_graph_is_named():
    G = hand_bom()
    G.add_edge("steel", "P", q=1.0)
    with pytest.raises(BOMCycle, match="has a cycle") as e:
        rollup(G, pcfs=PCFS)
    assert set(e.value.cycle) == {"P", "A", "steel"}


def test_vectorised_equals_recursive_on_a_random_dag():
    rng = np.random.default_rng(3)
    n = 3000
    child = np.arange(1, n)
    parent = (rng.random(n - 1) * child).astype(np.int64)  # tree
    extra_c = rng.integers(1, n, 2000)
    extra_p = (rng.random(2000) * extra_c).astype(np.int64)  # shared components
    parent, child = np.r_[parent, extra_p], np.r_[child, extra_c]
    keep = np.unique(np.c_[parent, child], axis=0, return_index=True)[1]
    parent, child = parent[keep], child[keep]
    q = rng.uniform(0.1, 1.0, len(parent))
    d = rng.random(n)
    perm = rng.permutation(n)  # node labels not in topological order
    x = rollup_edges(perm[parent], perm[child], q, d[np.argsort(perm)])
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(parent.tolist(), child.tolist(), q.tolist()), weight="q")
    ref = recursive_rollup(G, dict(enumerate(d)))
    np.testing.assert_allclose(x[perm], [ref[i] for i in range(n)], rtol=1e-12)


def test_topological_order_detects_cycles():
    order = topological_order(np.array([0, 1, 0]), np.array([1, 2, 2]), 3)
    assert order.tolist() == [0, 1, 2]
    with pytest.raises(BOMCycle, match="has a cycle"):
        topological_order(np.array([0, 1, 2]), np.array([1, 2, 1]), 3)


# -- with Brightway ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories

    ensure_inventories(project, shipped_inventories())
    return FootprintEngine(project)


def test_demo_bom_equals_the_product_system(engine):
    from pcf.demo.supply_chain import DEMO_BOM

    r = rollup(read_bom(DEMO_BOM), engine, "gwp100")
    product = engine.footprint(("pcf-products", "lfp-cell-per-kwh"), "gwp100").total
    assert r.total == pytest.approx(product, rel=1e-12)
    assert r.total == pytest.approx(GREET + FACTORY * GRID, rel=1e-6)  # float32 storage
    assert r.table.loc["factory-electricity", "source"] == "brightway"
    assert "not loaded" in r.table.loc["factory-electricity", "note"]
    assert r.summary()["primary_data_share"] == 0.0  # all secondary data


def test_illustrative_supplier_pcf_replaces_the_grid(engine):
    from pcf.demo.supply_chain import DEMO_BOM, ILLUSTRATIVE_PCF
    from supply_chain.pcfs import read_pact

    pcfs = read_pact(ILLUSTRATIVE_PCF)
    r = rollup(read_bom(DEMO_BOM), engine, "gwp100", pcfs=pcfs, on=dt.date(2025, 6, 1))
    assert r.table.loc["factory-electricity", "source"] == "supplier_pcf"
    assert r.total == pytest.approx(GREET + FACTORY * SICHUAN, rel=1e-6)  # README: 32.33
    assert r.summary()["primary_data_share"] == pytest.approx(
        100 * FACTORY * SICHUAN / (GREET + FACTORY * SICHUAN), rel=1e-6
    )


def test_linked_activity_units_are_converted(engine):
    G = new_bom("heat", "piece")
    add_part(G, "power", "heat", 36.0, "MJ", activity="pcf-background|electricity-cn-2023")
    assert rollup(G, engine).total == pytest.approx(10 * 0.5306, rel=1e-6)  # MEE 2023, CO2
    G = new_bom("heat", "piece")
    add_part(G, "power", "heat", 1.0, "kg", activity="pcf-background|electricity-cn-2023")
    with pytest.raises(BOMUnitMismatch, match="part 'power' linked to pcf-background"):
        rollup(G, engine)


def test_unknown_activity_names_the_part(engine):
    from lca.errors import UnknownProduct

    G = new_bom("x")
    add_part(G, "y", "x", 1.0, "kg", activity="pcf-background|nope")
    with pytest.raises(UnknownProduct, match="nope"):
        rollup(G, engine)


def test_path_exchange_propagates_without_touching_the_database(engine, hs_system):
    """Heijungs & Suh: fuel 0.1 kg CO2/l replaced by a supplier's 0.05: electricity becomes
    (1 + 2 x 0.05) / 10 = 0.11 kg CO2/kWh (was 0.12)."""
    bg = background_intensities(
        engine,
        [("hs", "electricity")],
        ("HS", "CO2"),
        exchange={("hs", "fuel"): SupplierPCF("f", 0.05, "litre")},
    )
    elec = engine.node(("hs", "electricity"))
    assert bg.lam[bg.system.product_index[elec.id]] == pytest.approx(0.11, rel=1e-7)
    assert engine.footprint(("hs", "electricity"), ("HS", "CO2")).total == pytest.approx(
        0.12, rel=1e-7
    )
    G = new_bom("lamp")
    add_part(G, "kwh", "lamp", 2.0, "kilowatt hour", activity="hs|electricity")
    r = rollup(G, engine, ("HS", "CO2"), exchange={("hs", "fuel"): 0.05})
    assert r.total == pytest.approx(0.22, rel=1e-7)


def test_useeio_spend_factors_solve_the_model():
    import json
    from pathlib import Path

    from supply_chain.pact_spec import spec_dir
    from supply_chain.spend import useeio_spend_factors

    d = spec_dir().parent / "useeio" / "USEEIOv2.1.20-GHG"
    if not d.exists():
        pytest.skip("USEEIO reference model not available")
    f = useeio_spend_factors(d)
    sectors = json.loads((Path(d) / "sectors.json").read_text())
    A = np.array(json.loads((d / "matrix" / "A.json").read_text()))
    e = np.array(json.loads((d / "matrix" / "C.json").read_text()))[0] @ np.array(
        json.loads((d / "matrix" / "B.json").read_text())
    )
    lam = np.array([f[s["id"]] for s in sorted(sectors, key=lambda s: s["index"])])
    np.testing.assert_allclose(lam - A.T @ lam, e, rtol=1e-9, atol=1e-12)  # λ(I − A) = CB
    assert all(v >= 0 for v in lam) and f[sectors[0]["code"]] == lam[0]


def test_rollup_csr_fallback_without_private_scipy_kernels(monkeypatch):
    """The public-scipy path (used if scipy moves its private kernels) gives the same roll-up."""
    import numpy as np
    import scipy.sparse as sp

    import supply_chain.bom_math as r

    rng = np.random.default_rng(3)
    n = 400
    child = np.arange(1, n)
    parent = (rng.random(n - 1) * child).astype(np.int64)
    perm = rng.permutation(n)
    Q = sp.csr_matrix((rng.uniform(0.1, 1.0, n - 1), (perm[parent], perm[child])), shape=(n, n))
    d = rng.random((n, 2))
    fast = r.rollup_csr(Q, d)
    monkeypatch.setattr(r, "_csr_row_index", None)
    monkeypatch.setattr(r, "_csr_matvec", None)
    monkeypatch.setattr(r, "_csr_matvecs", None)
    slow = r.rollup_csr(Q, d)
    exact = np.linalg.solve(np.eye(n) - Q.toarray(), d)
    assert np.allclose(fast, exact, rtol=1e-12) and np.allclose(slow, exact, rtol=1e-12)


def test_default_part_of_a_bom_with_two_roots_is_not_guessed():
    from supply_chain.bom import bom_from_records
    from supply_chain.errors import BOMFormatError

    G = bom_from_records(
        [
            {"part": "P", "direct": 1.0},
            {"part": "R", "direct": 2.0},
            {"part": "a", "parent": "R", "quantity": 2, "unit": "piece", "direct": 3.0},
        ],
        source="two.csv",
    )
    r = rollup(G)
    assert r.footprint("R") == 8.0 and r.footprint("P") == 1.0
    with pytest.raises(BOMFormatError, match=r"two.csv.*2 roots.*'P' \(row 1\), 'R' \(row 2\)"):
        r.summary()
