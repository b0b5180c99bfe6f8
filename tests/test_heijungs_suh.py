"""The textbook system of Heijungs & Suh (2002), by the pure maths and by the Brightway path.

For 1000 kWh of electricity: supply (electricity 100, fuel 2); inventory 120 kg CO2, 14 kg SO2,
100 l crude oil extracted.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from lca import maths

# Brightway stores exchange amounts as float32 in its datapackages (bw_processing), so 0.1 kg SO2
# arrives as float32(0.1) = 0.100000001490116...; the Brightway path is exact for that stored value.
SO2_BW = 100.0 * float(np.float32(0.1)) + 2.0 * 2.0

A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
B = sp.csr_matrix([[1.0, 10.0], [0.1, 2.0], [0.0, 50.0]])  # CO2, SO2, crude oil
f = np.array([1000.0, 0.0])


def test_pure_supply_and_inventory():
    s = maths.supply(A, f)
    assert s == pytest.approx([100.0, 2.0], rel=1e-14)
    g = maths.inventory(B, s)
    assert g == pytest.approx([120.0, 14.0, 100.0], rel=1e-14)


def test_pure_scores_contributions_and_adjoint():
    c = np.array([1.0, 0.0, 0.0])
    s = maths.supply(A, f)
    g = maths.inventory(B, s)
    assert maths.score(c, g) == pytest.approx(120.0)
    e = maths.direct_intensities(c, B)
    assert e == pytest.approx([1.0, 10.0])
    lam = maths.intensities(A, e)
    assert lam == pytest.approx([0.12, 0.1])  # kg CO2 per kWh, per litre
    assert float(lam @ f) == pytest.approx(120.0)
    proc = maths.process_contributions(e, s)
    assert proc == pytest.approx([100.0, 20.0])
    direct, upstream = maths.first_tier(A, e, s, lam, 0)
    assert direct == pytest.approx(100.0) and upstream.sum() == pytest.approx(20.0)
    # ∂h/∂A: one more litre of fuel per 10 kWh costs 0.1 kg CO2 x 100 scalings
    sens = maths.sensitivity_technosphere(A, s, lam).toarray()
    assert sens[1, 0] == pytest.approx(-0.1 * 100.0)


def test_brightway_bw2calc_reproduces_textbook(hs_system):
    import bw2calc as bc
    import bw2data as bd

    node = bd.get_node(database="hs", code="electricity")
    lca = bc.LCA({node: 1000.0}, ("HS", "CO2"))
    lca.lci()
    lca.lcia()
    assert lca.score == pytest.approx(120.0, rel=1e-12)
    inv = {
        bd.get_node(id=i)["code"]: lca.inventory[row].sum()
        for i, row in lca.dicts.biosphere.items()
    }
    assert inv == pytest.approx({"co2": 120.0, "so2": SO2_BW, "crude": 100.0}, rel=1e-14)
    assert inv["so2"] == pytest.approx(14.0, rel=2e-8)


def test_engine_reproduces_textbook(project, hs_system):
    from lca.footprint import FootprintEngine

    eng = FootprintEngine(project)
    r = eng.footprint(("hs", "electricity"), ("HS", "CO2"), amount=1000.0)
    assert r.total == pytest.approx(120.0, rel=1e-12)
    assert r.by_stage == pytest.approx({"production": 120.0}, rel=1e-12)
    so2 = eng.footprint(("hs", "electricity"), ("HS", "SO2"), amount=1000.0)
    assert so2.total == pytest.approx(SO2_BW, rel=1e-14)
    # top processes: electricity direct 100, fuel 20, rest 0
    vals = {row.name: row.value for row in r.top_processes}
    assert vals == pytest.approx(
        {"electricity production": 100.0, "fuel production": 20.0, "rest": 0.0}
    )
    sysm = eng.system_for([eng.node(("hs", "electricity"))])
    s = maths.supply(sysm.fact, eng.demand_vector(sysm, eng.node(("hs", "electricity")), 1000.0))
    by_code = {k[1]: s[i] for i, k in enumerate(sysm.keys)}
    assert by_code == pytest.approx({"electricity": 100.0, "fuel": 2.0}, rel=1e-12)
