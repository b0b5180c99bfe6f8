"""lca.montecarlo: seeded draws, preconditioned solves equal fresh factorisations, analytic cases."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import scipy.sparse as sp
from bw_processing import UNCERTAINTY_DTYPE
from stats_arrays import MCRandomNumberGenerator

from lca.errors import NonSquareTechnosphere, PCFError, UncertaintyError
from lca.montecarlo import (
    BIOSPHERE,
    UncertainMatrix,
    from_bw2calc,
    monte_carlo,
    sample,
    summarize,
)
from lca.solver import factorize

DTYPE = UNCERTAINTY_DTYPE  # stats_arrays parameter records, as bw_processing stores them


def params(amount, sigma):
    """Lognormal where ``sigma > 0`` (median = |amount|), undefined (static) elsewhere."""
    amount, sigma = np.abs(np.asarray(amount, float)), np.asarray(sigma, float)
    p = np.zeros(len(amount), dtype=DTYPE)
    for f in ("scale", "shape", "minimum", "maximum"):
        p[f] = np.nan
    p["loc"] = amount
    unc = sigma > 0
    p["uncertainty_type"][unc] = 2
    p["loc"][unc] = np.log(amount[unc])
    p["scale"][unc] = sigma[unc]
    return p


def small_system(n=60, seed=0, sigma=(0.05, 0.3), share=0.6):
    """Seeded productive system: unit diagonal, ~6 inputs per activity (sum 0.2-0.6), 2 flows."""
    rng = np.random.default_rng(seed)
    rows, cols = [np.arange(n)], [np.arange(n)]
    for j in range(n):
        ins = rng.choice(np.delete(np.arange(n), j), size=6, replace=False)
        rows.append(ins)
        cols.append(np.full(6, j))
    row, col = np.concatenate(rows), np.concatenate(cols)
    w = rng.random(len(row) - n)
    colsum = np.bincount(col[n:], weights=w, minlength=n)
    amount = np.concatenate([np.ones(n), w / colsum[col[n:]] * rng.uniform(0.2, 0.6, n)[col[n:]]])
    flip = np.arange(len(row)) >= n
    sig = np.where(flip & (rng.random(len(row)) < share), rng.uniform(*sigma, len(row)), 0.0)
    tech = UncertainMatrix.from_arrays(row, col, amount, params(amount, sig), (n, n), flip=flip)
    b_row = np.concatenate([np.zeros(n, int), np.ones(n // 2, int)])
    b_col = np.concatenate([np.arange(n), rng.choice(n, n // 2, replace=False)])
    b_amt = rng.lognormal(0, 1, len(b_row))
    bio = UncertainMatrix.from_arrays(
        b_row, b_col, b_amt, params(b_amt, rng.uniform(0.1, 0.5, len(b_row))), (2, n)
    )
    return tech, bio


def fresh(tech, bio, C, F, seed, iterations, bw2calc_seeds=False):
    """Reference: every draw solved with its own factorisation."""
    tg = sample(tech, seed, bw2calc_seeds=bw2calc_seeds)
    bg = sample(bio, seed, tag=BIOSPHERE, bw2calc_seeds=bw2calc_seeds)
    out = []
    for _ in range(iterations):
        tv, bv = next(tg), next(bg)
        A = sp.csr_matrix((tv * tech.sign, (tech.row, tech.col)), shape=tech.shape)
        B = sp.csr_matrix((bv * bio.sign, (bio.row, bio.col)), shape=bio.shape)
        out.append(np.atleast_2d(C) @ (B @ factorize(A).solve(F)))
    return np.array(out)


@pytest.fixture(scope="module")
def system():
    return small_system()


C2 = np.array([[1.0, 29.8], [1.0, 0.0], [0.0, 1.0]])  # three "methods" over two flows


def demands(n, cols=(0, 7, 33, 59)):
    F = np.zeros((n, len(cols)))
    F[list(cols), range(len(cols))] = 1.0
    return F


def test_same_seed_same_draws_different_seed_different(system):
    tech, bio = system
    F = demands(60)
    a = monte_carlo(tech, bio, C2, F, iterations=20, seed=11)
    b = monte_carlo(tech, bio, C2, F, iterations=20, seed=11)
    c = monte_carlo(tech, bio, C2, F, iterations=20, seed=12)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.allclose(a.scores, c.scores)
    assert a.scores.shape == (20, 3, 4)
    g1, g2 = sample(tech, 5), sample(tech, 5)
    np.testing.assert_array_equal(next(g1), next(g2))


@pytest.mark.parametrize("method", ["refine", "gmres"])
@pytest.mark.parametrize("direction", ["adjoint", "forward"])
def test_preconditioned_equals_fresh_factorisation(system, method, direction):
    tech, bio = system
    F = demands(60)
    r = monte_carlo(
        tech, bio, C2, F, iterations=40, seed=3, batch=16, method=method, direction=direction
    )
    ref = fresh(tech, bio, C2, F, seed=3, iterations=40)
    assert r.direction == direction
    assert not r.fallbacks
    assert np.abs(r.scores / ref - 1).max() <= 1e-8
    assert r.iterations.min() >= 2


def test_auto_direction_and_single_method_vector_demand(system):
    tech, bio = system
    f = demands(60, (5,))[:, 0]
    r = monte_carlo(tech, bio, [1.0, 29.8], f, iterations=10, seed=1)
    assert r.direction == "adjoint" and r.scores.shape == (10, 1, 1)
    r = monte_carlo(tech, bio, C2, f, iterations=10, seed=1)
    assert r.direction == "forward"
    np.testing.assert_allclose(
        r.deterministic[:, 0], C2 @ (bio.static() @ factorize(tech.static()).solve(f)), rtol=1e-12
    )


def test_bw2calc_seeds_reproduce_stats_arrays_stream(system):
    """Every group seeded with ``seed``, as bw2calc's seed_override: same numbers as
    ``MCRandomNumberGenerator(params, seed)``."""
    tech, _ = system
    gen = MCRandomNumberGenerator(tech.params, seed=9)
    ours = sample(tech, 9, bw2calc_seeds=True)
    for _ in range(3):
        np.testing.assert_array_equal(next(ours), gen.generate())
    # default: independent streams per matrix, not the raw seed
    assert not np.array_equal(
        next(sample(tech, 9)), MCRandomNumberGenerator(tech.params, seed=9).generate()
    )


def test_groups_are_drawn_by_their_own_generator(system):
    tech, _ = system
    m = len(tech.row)
    split = UncertainMatrix.from_arrays(
        tech.row, tech.col, tech.amount, tech.params, tech.shape, tech.flip, groups=(0, 100, m)
    )
    draw = next(sample(split, 4, bw2calc_seeds=True))
    np.testing.assert_array_equal(
        draw[:100], MCRandomNumberGenerator(tech.params[:100], seed=4).generate()
    )
    np.testing.assert_array_equal(
        draw[100:], MCRandomNumberGenerator(tech.params[100:], seed=4).generate()
    )


def test_single_lognormal_biosphere_exchange_median():
    """One activity, ``A = [1]``, ``B = [b]`` with ``b ~ LN(ln 2, 0.3)``: ``h = c b f``, so the
    median of h is ``c · exp(loc) · f``; its standard error in log space is ≈ 1.25 σ / √n."""
    tech = UncertainMatrix.from_arrays([0], [0], [1.0], params([1.0], [0.0]), (1, 1))
    bio = UncertainMatrix.from_arrays([0], [0], [2.0], params([2.0], [0.3]), (1, 1))
    n = 4000
    r = monte_carlo(tech, bio, [29.8], np.array([3.0]), iterations=n, seed=2024)
    s = r.summary()
    se = 1.2533 * 0.3 / np.sqrt(n)
    assert abs(np.log(s.median[0, 0] / (29.8 * 2.0 * 3.0))) < 4 * se
    # mean of a lognormal: exp(mu + σ²/2)
    assert s.mean[0, 0] == pytest.approx(29.8 * 3.0 * 2.0 * np.exp(0.045), rel=4 * 0.3 / np.sqrt(n))
    assert r.deterministic[0, 0] == pytest.approx(29.8 * 6.0)
    assert s.p2_5[0, 0] < s.median[0, 0] < s.p97_5[0, 0]


def test_static_technosphere_entries_stay_static():
    """Undefined uncertainty (type 0) draws return the amount, consuming no random numbers."""
    tech = UncertainMatrix.from_arrays(
        [0, 1, 1], [0, 1, 0], [1.0, 1.0, 0.5], params([1.0, 1.0, 0.5], [0, 0, 0]), (2, 2),
        flip=[False, False, True],
    )  # fmt: skip
    bio = UncertainMatrix.from_arrays([0], [1], [4.0], params([4.0], [0.0]), (1, 2))
    r = monte_carlo(tech, bio, [1.0], np.array([1.0, 0.0]), iterations=5, seed=1)
    np.testing.assert_allclose(r.scores[:, 0, 0], 2.0)  # 0.5 units of product 1 x 4


def test_fallback_to_fresh_factorisation_is_logged(caplog):
    """Huge perturbations make the refinement diverge: the draw is solved exactly anyway."""
    tech, bio = small_system(n=30, seed=5, sigma=(1.5, 2.5), share=1.0)
    F = demands(30, (0, 10))
    with caplog.at_level(logging.INFO, logger="lca.montecarlo"):
        r = monte_carlo(tech, bio, [1.0, 29.8], F, iterations=30, seed=8, maxiter=4)
    ref = fresh(tech, bio, [1.0, 29.8], F, seed=8, iterations=30)
    assert r.fallbacks, "expected at least one draw to fall back"
    assert any("fresh factorisation" in m for m in caplog.messages)
    assert np.abs(r.scores / ref - 1).max() <= 1e-8


def test_summary_statistics():
    x = np.arange(1.0, 101.0).reshape(100, 1, 1)
    s = summarize(x)
    assert s.mean[0, 0] == pytest.approx(50.5)
    assert s.median[0, 0] == pytest.approx(50.5)
    assert s.p2_5[0, 0] == pytest.approx(np.percentile(x, 2.5))
    assert s.std[0, 0] == pytest.approx(np.std(x, ddof=1))
    assert s.n == 100


def test_bad_input_raises(system):
    tech, bio = system
    F = demands(60)
    rect = UncertainMatrix.from_arrays([0], [0], [1.0], params([1.0], [0]), (2, 3))
    with pytest.raises(NonSquareTechnosphere, match="not square: 2 products x 3 activities"):
        monte_carlo(rect, bio, C2, F, iterations=2)
    with pytest.raises(UncertaintyError, match="characterization has 5 flows; the biosphere has 2"):
        monte_carlo(tech, bio, np.ones((1, 5)), F, iterations=2)
    with pytest.raises(UncertaintyError, match="demands has 59 rows; the technosphere has 60"):
        monte_carlo(tech, bio, C2, np.ones(59), iterations=2)
    with pytest.raises(UncertaintyError, match="iterations must be positive, not 0"):
        monte_carlo(tech, bio, C2, F, iterations=0)
    with pytest.raises(UncertaintyError, match="one element per entry; got 2, 1, 1, 1, 2"):
        UncertainMatrix.from_arrays([0, 1], [0], [1.0], params([1.0], [0]), (2, 2))
    with pytest.raises(UncertaintyError, match="params is not a stats_arrays array"):
        UncertainMatrix.from_arrays([0], [0], [1.0], np.zeros(1), (2, 2))
    assert issubclass(UncertaintyError, PCFError)


def test_singular_static_technosphere_raises():
    from lca.errors import SingularTechnosphere

    tech = UncertainMatrix.from_arrays(
        [0, 1], [0, 0], [1.0, 1.0], params([1.0, 1.0], [0, 0]), (2, 2)
    )  # column 1 produces nothing
    bio = UncertainMatrix.from_arrays([0], [0], [1.0], params([1.0], [0]), (1, 2))
    # column 1 named; "np.int64(1)" until lca/solver.py converts the indices to int
    with pytest.raises(SingularTechnosphere, match=r"zero diagonal: (np\.int64\()?1\)? \(zero"):
        monte_carlo(tech, bio, [1.0], np.array([1.0, 0.0]), iterations=2)


def test_from_bw2calc_reproduces_bw2calc_draws(hs_system):
    """Our draws and scores equal bw2calc's stochastic LCA, draw by draw (same seed).

    Uses the session's temporary Brightway project (conftest ``hs_system``)."""
    import bw2calc as bc
    import bw2data as bd

    db = bd.Database("mc-test")
    bio = ("hs-biosphere", "co2")
    db.write(
        {
            ("mc-test", "elec"): {
                "name": "electricity", "unit": "kilowatt hour", "location": "GLO",
                "exchanges": [
                    {"input": ("mc-test", "elec"), "amount": 10.0, "type": "production"},
                    {"input": ("mc-test", "fuel"), "amount": 2.0, "type": "technosphere",
                     "uncertainty type": 2, "loc": np.log(2.0), "scale": 0.2},
                    {"input": bio, "amount": 1.0, "type": "biosphere",
                     "uncertainty type": 2, "loc": 0.0, "scale": 0.3},
                ],
            },
            ("mc-test", "fuel"): {
                "name": "fuel", "unit": "litre", "location": "GLO",
                "exchanges": [
                    {"input": ("mc-test", "fuel"), "amount": 100.0, "type": "production"},
                    {"input": ("mc-test", "elec"), "amount": 5.0, "type": "technosphere",
                     "uncertainty type": 2, "loc": np.log(5.0), "scale": 0.1},
                    {"input": bio, "amount": 10.0, "type": "biosphere"},
                ],
            },
        }
    )  # fmt: skip
    try:
        elec = bd.get_node(database="mc-test", code="elec")
        lca = bc.LCA({elec.id: 1000.0}, ("HS", "CO2"), use_distributions=True, seed_override=77)
        lca.lci()
        lca.lcia()
        base = [lca.score]
        for _ in range(4):
            next(lca)
            base.append(lca.score)
        stoch = from_bw2calc(lca)
        assert stoch.seed == 77
        r = monte_carlo(
            stoch.technosphere, stoch.biosphere, stoch.characterization,
            stoch.demand_vector({elec.id: 1000.0}), iterations=5, seed=77, bw2calc_seeds=True,
        )  # fmt: skip
        np.testing.assert_allclose(r.scores[:, 0, 0], base, rtol=1e-8)
        # static system: 10 kWh need 2 l fuel, fuel needs 5 kWh per 100 l
        A = stoch.technosphere.static().toarray()
        assert sorted(np.abs(A).ravel().tolist()) == [2.0, 5.0, 10.0, 100.0]
    finally:  # leave the shared session project as we found it
        del bd.databases["mc-test"]


def test_workers_give_the_same_scores(system):
    """Forked workers draw every block and solve their share: results do not depend on them."""
    tech, bio = system
    F = demands(60)
    one = monte_carlo(tech, bio, C2, F, iterations=40, seed=6, batch=8)
    two = monte_carlo(tech, bio, C2, F, iterations=40, seed=6, batch=8, workers=2)
    np.testing.assert_array_equal(one.scores, two.scores)
    np.testing.assert_array_equal(one.iterations, two.iterations)


def test_bad_distribution_names_the_entry():
    """A lognormal with a negative scale: the error names the entry (index, row, col, params)."""
    amount = np.array([1.0, 0.5, 1.0, 0.2])
    p = params(amount, [0, 0.1, 0, 0.2])
    p["scale"][3] = -0.2  # entry 3: input 0 -> activity 1
    tech = UncertainMatrix.from_arrays(
        [0, 1, 1, 0], [0, 0, 1, 1], amount, p, (2, 2), flip=[False, True, False, True]
    )
    bio = UncertainMatrix.from_arrays(
        [0, 0], [0, 1], [1.0, 2.0], params([1.0, 2.0], [0, 0]), (1, 2)
    )
    with pytest.raises(
        UncertaintyError,
        match=r"group 0: entry 3 \(row 0, col 1\).*scale=-0\.2"
        r".*positive scale",
    ):
        monte_carlo(tech, bio, [1.0], np.array([1.0, 0.0]), iterations=2)
    with pytest.raises(UncertaintyError, match="unknown uncertainty type 99"):
        p["scale"][3] = 0.2
        p["uncertainty_type"][1] = 99
        next(sample(tech, 1))
    with pytest.raises(UncertaintyError, match=r"ids must have shape"):
        UncertainMatrix.from_arrays([0], [0], [1.0], params([1.0], [0]), (1, 1), ids=[1, 2])


def test_bad_distribution_from_bw2calc_names_the_brightway_keys(hs_system):
    """Where from_bw2calc built the matrix, the error gives the (database, code) keys."""
    import bw2calc as bc
    import bw2data as bd

    db = bd.Database("mc-bad")
    db.write(
        {
            ("mc-bad", "elec"): {
                "name": "electricity", "unit": "kilowatt hour", "location": "GLO",
                "exchanges": [
                    {"input": ("mc-bad", "elec"), "amount": 10.0, "type": "production"},
                    {"input": ("mc-bad", "fuel"), "amount": 2.0, "type": "technosphere",
                     "uncertainty type": 2, "loc": np.log(2.0), "scale": 0.2},
                    {"input": ("hs-biosphere", "co2"), "amount": 1.0, "type": "biosphere"},
                ],
            },
            ("mc-bad", "fuel"): {
                "name": "fuel", "unit": "litre", "location": "GLO",
                "exchanges": [
                    {"input": ("mc-bad", "fuel"), "amount": 100.0, "type": "production"},
                    {"input": ("hs-biosphere", "co2"), "amount": 10.0, "type": "biosphere",
                     "uncertainty type": 2, "loc": np.log(10.0), "scale": 0.1},
                ],
            },
        }
    )  # fmt: skip
    try:
        elec = bd.get_node(database="mc-bad", code="elec")
        lca = bc.LCA({elec.id: 1.0}, ("HS", "CO2"), use_distributions=True, seed_override=3)
        lca.lci()
        lca.lcia()
        stoch = from_bw2calc(lca)
        for m in (stoch.technosphere, stoch.biosphere):
            assert m.ids is not None and len(m.ids) == len(m.row)
        # corrupt the drawn parameters after bw2calc accepted them (stats_arrays would refuse
        # them in bw2calc's own lci() as well, with only "Failing row: [0]")
        tech = stoch.technosphere
        i = int(np.flatnonzero(tech.params["uncertainty_type"] == 2)[0])
        tech.params["scale"][i] = -0.2
        f = stoch.demand_vector({elec.id: 1.0})
        with pytest.raises(
            UncertaintyError,
            match=r"input \('mc-bad', 'fuel'\) -> output "
            r"\('mc-bad', 'elec'\).*scale=-0\.2",
        ):
            monte_carlo(tech, stoch.biosphere, stoch.characterization, f, iterations=2)
        bio = stoch.biosphere
        j = int(np.flatnonzero(bio.params["uncertainty_type"] == 2)[0])
        bio.params["scale"][j] = -0.1
        tech.params["scale"][i] = 0.2
        with pytest.raises(
            UncertaintyError,
            match=r"input \('hs-biosphere', 'co2'\) -> output "
            r"\('mc-bad', 'fuel'\)",
        ):
            monte_carlo(tech, bio, stoch.characterization, f, iterations=2)
    finally:  # leave the shared session project as we found it
        del bd.databases["mc-bad"]


_HASH_SEED_RUN = """
import hashlib, sys
import bw2calc as bc
from lca.footprint import FootprintEngine
from lca import open_project, quiet
from lca.workflows import uncertainty

engine = FootprintEngine(open_project(sys.argv[1]))
node = engine.node(("mc-hash-a", "a"))
with quiet():
    lca = bc.LCA({node.id: 1.0}, ("HS", "CO2"), use_distributions=True, seed_override=5)
    lca.lci()
print(" ".join(g.label for g in lca.technosphere_mm.groups if not g.empty))
r = uncertainty(engine, [("mc-hash-a", "a")], ("HS", "CO2"), 64, 5, keep_samples=True)[0]
print(hashlib.sha256(r["samples"].tobytes()).hexdigest())
"""


def test_same_seed_same_draws_across_hash_seeds(project, hs_system, bw_dir):
    """Issue 9 item 5: bw2data lists a demand's databases in ``set`` order, which changes with
    ``PYTHONHASHSEED``; the draws must not. Two processes with hash seeds that order the
    databases differently (checked) give bit-identical Monte Carlo samples."""
    import os
    import subprocess
    import sys

    import bw2data as bd

    def db(name, code, inputs, co2):
        exchanges = [{"input": (name, code), "amount": 1.0, "type": "production"}]
        exchanges += [
            {"input": key, "amount": 0.5, "type": "technosphere", "uncertainty type": 2,
             "loc": np.log(0.5), "scale": 0.2}
            for key in inputs
        ]  # fmt: skip
        exchanges.append({"input": ("hs-biosphere", "co2"), "amount": co2, "type": "biosphere",
                          "uncertainty type": 2, "loc": np.log(co2), "scale": 0.3})  # fmt: skip
        bd.Database(name).write({(name, code): {"name": code, "unit": "kilogram",
                                                "location": "GLO", "exchanges": exchanges}})  # fmt: skip

    names = ("mc-hash-c", "mc-hash-b", "mc-hash-a")
    try:
        db("mc-hash-c", "c", [], 3.0)
        db("mc-hash-b", "b", [], 2.0)
        db("mc-hash-a", "a", [("mc-hash-b", "b"), ("mc-hash-c", "c")], 1.0)
        runs = []
        for hash_seed in ("1", "2"):  # these two order {b, c, hs-biosphere} differently
            env = {**os.environ, "PYTHONHASHSEED": hash_seed}
            out = subprocess.run(
                [sys.executable, "-c", _HASH_SEED_RUN, str(bw_dir)],
                env=env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert out.returncode == 0, out.stderr[-2000:]
            runs.append(out.stdout.splitlines()[-2:])  # group order, hash of the samples
        (order1, draws1), (order2, draws2) = runs
        assert order1 != order2, "bw2calc used the same group order: the test proves nothing"
        assert draws1 == draws2
    finally:  # leave the shared session project as we found it
        for name in names:
            if name in bd.databases:
                del bd.databases[name]
