"""Property tests (Hypothesis) on the engine's maths (issue 9, item 9).

Every test draws small random product systems (../shared/MATHS.md notation): a square
technosphere ``A = (I − W) diag(p)`` where ``W`` is a sparse non-negative off-diagonal matrix
of inputs per unit of output with every column sum ``≤ 0.85 < 0.9`` and ``p ∈ [0.5, 5]`` the
production amounts on the diagonal (Brightway's sign convention: production positive, inputs
negative), a non-negative biosphere ``B``, non-negative characterisation factors ``C``
(methods x flows) and non-negative demands ``F`` (one per column).

Tolerance: one constant, ``RTOL = 1e-9``, worked out by hand and never fitted to results.
``‖W‖₁ ≤ 0.85`` gives ``‖(I − W)⁻¹‖₁ ≤ 1 / 0.15`` and ``‖I − W‖₁ ≤ 1.85``, so
``κ₁(I − W) ≤ 12.3``; the production amounts multiply that by at most ``max p / min p``: 10 here,
10³ in the column-scaling test (a further factor ``k ∈ [0.1, 10]``), so ``κ₁(A) ≤ 1.3·10⁴``.
An LU solve with partial pivoting is backward stable, so the forward error is about
``κ · n · u ≤ 1.3·10⁴ · 8 · 1.1·10⁻¹⁶ ≈ 10⁻¹¹`` (10⁻¹³ outside the scaling test): ``RTOL``
leaves a margin of two orders of magnitude for the constants (growth factor, summation).

That bound is normwise (``‖δs‖₁ ≤ RTOL ‖s‖₁`` for a supply, ``‖δλ‖∞ ≤ RTOL ‖λ‖∞`` for
intensities, since ``κ∞(Aᵀ) = κ₁(A)``), so each comparison is ``|actual − expected| ≤ RTOL ·
scale`` with the scale that bound gives for that entry (``scale_*`` below). A relative test
entry by entry would be wrong near zero: the exact ``λᵢ = 0`` of an activity that reaches no
emitting one came out as ``8.9·10⁻¹⁷`` in a found example (LU subtracts even where the exact
result is a sum of non-negative terms). The BOM roll-up is different: its kernels and the dense
reference only add non-negative terms (no pivoting, no subtraction), so there the comparison
is relative, entry by entry.

``@settings(..., derandomize=True, database=None)``: the examples are the same on every run,
so the file is deterministic and runs in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from bw_processing import UNCERTAINTY_DTYPE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lca import maths
from lca.montecarlo import UncertainMatrix, monte_carlo
from lca.solver import factorize
from supply_chain import add_part, new_bom, recursive_rollup, rollup, rollup_edges

RTOL = 1e-9  # see the module docstring for the hand calculation

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- strategies and helpers ------------------------------------------------------------------
def _floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@dataclass
class System:
    A: sp.csr_matrix  # products x activities
    B: sp.csr_matrix  # flows x activities
    C: np.ndarray  # methods x flows
    F: np.ndarray  # products x demands

    @property
    def n(self) -> int:
        return self.A.shape[0]


@st.composite
def systems(
    draw, max_n: int = 8, max_flows: int = 4, max_methods: int = 3, max_demands: int = 4
) -> System:
    """A productive, well-conditioned system (see the module docstring)."""
    n = draw(st.integers(1, max_n))
    off = ~np.eye(n, dtype=bool)
    mask = draw(hnp.arrays(np.bool_, (n, n))) & off
    raw = draw(hnp.arrays(np.float64, (n, n), elements=_floats(0.01, 1.0)))
    colsum_target = draw(hnp.arrays(np.float64, n, elements=_floats(0.0, 0.85)))
    p = draw(hnp.arrays(np.float64, n, elements=_floats(0.5, 5.0)))
    W = np.where(mask, raw, 0.0)
    s = W.sum(axis=0)
    W = W / np.where(s > 0, s, 1.0) * colsum_target  # column sums ≤ 0.85 (< 0.9)
    A = sp.csr_matrix((np.eye(n) - W) * p)  # column j scaled by its production p_j

    m = draw(st.integers(1, max_flows))
    b_mask = draw(hnp.arrays(np.bool_, (m, n)))
    b_val = draw(hnp.arrays(np.float64, (m, n), elements=_floats(0.01, 10.0)))
    B = sp.csr_matrix(np.where(b_mask, b_val, 0.0))
    k = draw(st.integers(1, max_methods))
    C = draw(hnp.arrays(np.float64, (k, m), elements=_floats(0.0, 5.0)))
    d = draw(st.integers(1, max_demands))
    F = draw(hnp.arrays(np.float64, (n, d), elements=_floats(0.0, 10.0)))
    return System(A, B, C, F)


def forward_scores(A, B, C, F) -> np.ndarray:
    """``H = C B A⁻¹ F`` by the forward route: supply, inventory, score (methods x demands)."""
    return maths.score(C, maths.inventory(B, maths.supply(A, F)))


def dense_supply(A, F) -> np.ndarray:
    """Independent reference: numpy's dense LU, no engine code."""
    return np.linalg.solve(A.toarray(), F)


def dense_scores(A, B, C, F) -> np.ndarray:
    return C @ (B.toarray() @ dense_supply(A, F))


def scale_supply(S: np.ndarray) -> np.ndarray:
    """``‖s‖₁`` of each demand's supply: the bound on every entry's error is ``RTOL`` times it."""
    return np.abs(S).sum(axis=0, keepdims=True)


def scale_intensities(lam: np.ndarray) -> np.ndarray:
    """``‖λ‖∞`` of each method's intensities."""
    return np.abs(lam).max(axis=-1, keepdims=True)


def scale_forward(M: sp.spmatrix | np.ndarray, S: np.ndarray) -> np.ndarray:
    """Bound of ``M s`` from ``‖δs‖₁``: ``|(M δs)ᵢ| ≤ maxⱼ |Mᵢⱼ| ‖δs‖₁`` (rows x demands)."""
    M = np.abs(M.toarray() if sp.issparse(M) else np.atleast_2d(M))
    return M.max(axis=1, keepdims=True) * scale_supply(S)


def scale_adjoint(lam: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Bound of ``λ F`` from ``‖δλ‖∞``: ``|δλ f| ≤ ‖δλ‖∞ ‖f‖₁`` (methods x demands)."""
    return scale_intensities(np.atleast_2d(lam)) * np.abs(F).sum(axis=0, keepdims=True)


def assert_close(actual, expected, scale, what: str = "") -> None:
    """``|actual − expected| ≤ RTOL · scale`` entry by entry (``scale`` broadcast)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    bound = RTOL * np.broadcast_to(scale, expected.shape)
    err = np.abs(actual - expected)
    bad = err > bound
    assert not bad.any(), (
        f"{what}: {int(bad.sum())} entries differ by more than RTOL x scale; worst at "
        f"{np.unravel_index(np.argmax(err - bound), err.shape)}: actual {actual[bad][:3]}, "
        f"expected {expected[bad][:3]}, bound {bound[bad][:3]}"
    )


# -- 1. linearity in the demand ---------------------------------------------------------------
@PROPERTY
@given(sysm=systems(), a=_floats(-10.0, 10.0), b=_floats(-10.0, 10.0), data=st.data())
def test_score_is_linear_in_the_demand(sysm, a, b, data):
    """``h(a f₁ + b f₂) = a h(f₁) + b h(f₂)`` by the forward and the adjoint route."""
    A, B, C = sysm.A, sysm.B, sysm.C
    n = sysm.n
    f1 = data.draw(hnp.arrays(np.float64, n, elements=_floats(0.0, 10.0)), label="f1")
    f2 = data.draw(hnp.arrays(np.float64, n, elements=_floats(0.0, 10.0)), label="f2")
    f12 = a * f1 + b * f2
    e = maths.direct_intensities(C, B)  # C B, methods x activities
    h1, h2, h12 = (forward_scores(A, B, C, f) for f in (f1, f2, f12))
    # each of the three solves contributes its bound; ‖s(f₁₂)‖₁ ≤ |a| ‖s₁‖₁ + |b| ‖s₂‖₁
    S1, S2 = dense_supply(A, f1[:, None]), dense_supply(A, f2[:, None])
    scale = 2 * (abs(a) * scale_forward(e, S1) + abs(b) * scale_forward(e, S2))[:, 0]
    assert_close(h12, a * h1 + b * h2, scale, "forward")

    lam = maths.lcia_intensities(A, C, B)
    h12_adj = maths.batch_scores(lam, f12[:, None])[:, 0]
    scale_adj = abs(a) * scale_adjoint(lam, f1[:, None]) + abs(b) * scale_adjoint(lam, f2[:, None])
    assert_close(h12_adj, a * h1 + b * h2, scale + scale_adj[:, 0], "adjoint")


# -- 2. scaling an activity's column ------------------------------------------------------------
@PROPERTY
@given(sysm=systems(), data=st.data())
def test_scaling_an_activity_column_keeps_scores_and_divides_its_supply(sysm, data):
    """Describing activity ``j`` per ``k`` runs (its whole column of ``A`` and of ``B`` times
    ``k``, production included) changes nothing physical: ``A' = A D``, ``B' = B D`` with
    ``D = diag(1, …, k, …, 1)`` give ``s' = D⁻¹ s`` (``s'_j = s_j / k``), ``g' = g``, ``h' = h``
    and ``λ' = C B D D⁻¹ A⁻¹ = λ``."""
    A, B, C, F = sysm.A, sysm.B, sysm.C, sysm.F
    n = sysm.n
    j = data.draw(st.integers(0, n - 1), label="j")
    k = data.draw(_floats(0.1, 10.0), label="k")
    D = np.ones(n)
    D[j] = k
    A2 = sp.csr_matrix(A @ sp.diags(D))
    B2 = sp.csr_matrix(B @ sp.diags(D))

    S = maths.supply(A, F)
    S2 = maths.supply(A2, F)
    expected = S.copy()
    expected[j] /= k
    # S errs by RTOL ‖s‖₁, S2 by RTOL ‖s'‖₁ ≤ RTOL ‖s‖₁ / min(k, 1); B' and e' = e D are at
    # most max(k, 1) times B and e
    ref = dense_supply(A, F)
    assert_close(S2, expected, scale_supply(ref) * (1 + 1 / min(k, 1.0)), "supply")
    assert_close(
        maths.inventory(B2, S2),
        maths.inventory(B, S),
        scale_forward(B, ref) * (1 + max(k, 1.0) / min(k, 1.0)),
        "inventory",
    )
    e = maths.direct_intensities(C, B)
    assert_close(
        forward_scores(A2, B2, C, F),
        forward_scores(A, B, C, F),
        scale_forward(e, ref) * (1 + max(k, 1.0) / min(k, 1.0)),
        "scores",
    )
    lam = maths.lcia_intensities(A, C, B)
    assert_close(maths.lcia_intensities(A2, C, B2), lam, 2 * scale_intensities(lam), "intensities")


# -- 3. adjoint = forward -----------------------------------------------------------------------
@PROPERTY
@given(sysm=systems(max_demands=12))
def test_adjoint_scores_equal_forward_scores_for_many_demands(sysm):
    """``λ F`` (one factorisation, one adjoint solve per method) equals ``C B (A⁻¹ F)``."""
    A, B, C, F = sysm.A, sysm.B, sysm.C, sysm.F
    fact = factorize(A)
    lam = maths.lcia_intensities(fact, C, B)  # methods x activities
    e = maths.direct_intensities(C, B)
    assert_close(lam, maths.intensities(A, e), scale_intensities(lam), "λ")
    ref = dense_supply(A, F)
    scale = scale_forward(e, ref) + scale_adjoint(lam, F)  # forward error + adjoint error

    H_adj = maths.batch_scores(lam, F)
    H_fwd = forward_scores(fact, B, C, F)
    assert H_adj.shape == H_fwd.shape == (C.shape[0], F.shape[1])
    assert_close(H_adj, H_fwd, scale, "λ F vs C B A⁻¹ F")
    assert_close(maths.batch_scores(lam, sp.csc_matrix(F)), H_fwd, scale, "sparse F")
    assert_close(H_fwd, dense_scores(A, B, C, F), 2 * scale_forward(e, ref), "dense")
    # one demand at a time, one method at a time (vector shapes) agree with the batch
    for d in range(F.shape[1]):
        s = maths.supply(fact, F[:, d])
        for m in range(C.shape[0]):
            h = maths.score(C[m], maths.inventory(B, s))
            lam_m = maths.lcia_intensities(fact, C[m], B)
            assert_close(h, H_adj[m, d], scale[m, d], "one demand, one method")
            assert_close(lam_m @ F[:, d], h, scale[m, d], "λ f, one method")


# -- 4. BOM roll-up = dense solve ----------------------------------------------------------------
@dataclass
class Bom:
    labels: list  # part label of node i (nodes 0..n-1 in creation order: parents first)
    edges: list  # (parent, child, quantity, loss, yield)
    direct: np.ndarray  # own footprint per unit of each node


@st.composite
def boms(draw, max_parts: int = 12) -> Bom:
    """A DAG BOM with one root (node 0): every part has a first parent created before it and
    possibly more (shared components), positive quantities, losses and yields, and own direct
    emissions. Labels are shuffled so the creation order is not the labels' order."""
    n = draw(st.integers(1, max_parts))
    perm = draw(st.permutations(range(n)))
    edges = []
    for c in range(1, n):
        parents = {draw(st.integers(0, c - 1))}
        parents |= set(draw(st.lists(st.integers(0, c - 1), max_size=2)))
        for p in sorted(parents):
            edges.append(
                (p, c, draw(_floats(0.01, 10.0)), draw(_floats(0.0, 0.5)), draw(_floats(0.5, 1.0)))
            )
    direct = draw(hnp.arrays(np.float64, n, elements=_floats(0.01, 10.0)))
    return Bom([f"part-{perm[i]}" for i in range(n)], edges, direct)


def dense_bom_footprints(bom: Bom) -> np.ndarray:
    """``x = (I − Q)⁻¹ d`` with numpy, ``Q[p, c] = quantity / ((1 − loss) · yield)``."""
    n = len(bom.labels)
    Q = np.zeros((n, n))
    for p, c, q, loss, yld in bom.edges:
        Q[p, c] += q / ((1.0 - loss) * yld)
    return np.linalg.solve(np.eye(n) - Q, bom.direct)


@PROPERTY
@given(bom=boms(), data=st.data())
def test_bom_rollup_equals_dense_solve(bom, data):
    """``x = d + Q x`` from :func:`supply_chain.rollup` (a networkx BOM, no Brightway),
    :func:`supply_chain.rollup_edges` (edge arrays, any node order, duplicate edges adding up)
    and :func:`supply_chain.recursive_rollup` all equal the dense ``(I − Q)⁻¹ d``. Quantities
    and footprints are positive and ``I − Q`` is unit triangular in creation order, so the
    dense reference is an exact back-substitution of non-negative terms: ``RTOL`` is ample."""
    x = dense_bom_footprints(bom)
    n = len(bom.labels)

    G = new_bom(bom.labels[0], "piece", direct=float(bom.direct[0]))
    for i in range(1, n):
        for p, c, q, loss, yld in (e for e in bom.edges if e[1] == i):
            add_part(
                G,
                bom.labels[c],
                bom.labels[p],
                q,
                "piece",
                loss=loss,
                yield_=yld,
                direct=float(bom.direct[c]),
            )
    r = rollup(G)
    got = r.table["footprint"].reindex(bom.labels).to_numpy()
    np.testing.assert_allclose(got, x, rtol=RTOL, atol=0)
    assert r.total == pytest.approx(x[0], rel=RTOL, abs=0)

    # the array kernel, nodes renumbered at random, each edge possibly split in two halves
    order = np.asarray(data.draw(st.permutations(range(n)), label="renumbering"))
    split = data.draw(
        st.lists(st.booleans(), min_size=len(bom.edges), max_size=len(bom.edges)), label="split"
    )
    parent, child, qty = [], [], []
    for (p, c, q, loss, yld), halve in zip(bom.edges, split):
        qe = q / ((1.0 - loss) * yld)
        for part in (qe / 2, qe / 2) if halve else (qe,):
            parent.append(order[p])
            child.append(order[c])
            qty.append(part)
    d = np.empty(n)
    d[order] = bom.direct
    x_edges = rollup_edges(
        np.array(parent, dtype=np.int64), np.array(child, dtype=np.int64), np.array(qty), d
    )
    np.testing.assert_allclose(x_edges[order], x, rtol=RTOL, atol=0)

    memo = recursive_rollup(G, {bom.labels[i]: float(bom.direct[i]) for i in range(n)})
    np.testing.assert_allclose([memo[lbl] for lbl in bom.labels], x, rtol=RTOL, atol=0)


# -- 5. Monte Carlo without variance = deterministic ---------------------------------------------
def _static_params(amount: np.ndarray, types) -> np.ndarray:
    """stats_arrays records of type 0 (undefined) or 1 (no uncertainty), ``loc = amount``."""
    p = np.zeros(len(amount), dtype=UNCERTAINTY_DTYPE)
    for f in ("scale", "shape", "minimum", "maximum"):
        p[f] = np.nan
    p["uncertainty_type"] = types
    p["loc"] = amount
    return p


def _lognormal_params(amount: np.ndarray, sigma: float) -> np.ndarray:
    p = _static_params(amount, 2)
    p["loc"] = np.log(amount)
    p["scale"] = sigma
    return p


def as_uncertain(M: sp.spmatrix, types, flip_negative: bool, groups=None) -> UncertainMatrix:
    """``M`` as an :class:`UncertainMatrix` with the given uncertainty types (0 or 1), inputs
    (negative entries) stored as positive amounts with ``flip`` when ``flip_negative``."""
    coo = sp.coo_matrix(M)
    val = coo.data
    flip = (val < 0) if flip_negative else np.zeros(len(val), dtype=bool)
    amount = np.abs(val)
    types = np.broadcast_to(np.asarray(types, dtype=np.uint8), val.shape)
    return UncertainMatrix.from_arrays(
        coo.row, coo.col, amount, _static_params(amount, types), M.shape, flip=flip, groups=groups
    )


@st.composite
def zero_variance(draw, M: sp.spmatrix, flip_negative: bool) -> UncertainMatrix:
    """``M`` with every record of type 0 or 1 (no variance), split into resource groups."""
    nnz = sp.coo_matrix(M).nnz
    types = draw(st.lists(st.sampled_from([0, 1]), min_size=nnz, max_size=nnz))
    cuts = sorted(set(draw(st.lists(st.integers(0, nnz), max_size=3))) | {0, nnz})
    return as_uncertain(M, types, flip_negative, groups=cuts)


@settings(PROPERTY, max_examples=40)
@given(sysm=systems(), data=st.data())
def test_monte_carlo_without_variance_is_deterministic(sysm, data):
    """Every draw ``h⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹ F`` equals the deterministic ``C B A⁻¹ F`` when no
    record is uncertain, whatever the direction, solver, batch size, seed and groups. The
    refinement starts from the static solution, which is already exact here, so the draws
    differ from it by rounding only (``rtol`` of the solver is set below ``RTOL`` anyway)."""
    tech = data.draw(zero_variance(sysm.A, flip_negative=True), label="technosphere")
    bio = data.draw(zero_variance(sysm.B, flip_negative=False), label="biosphere")
    iterations = data.draw(st.integers(1, 20), label="iterations")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    kw = {
        "batch": data.draw(st.integers(1, 16), label="batch"),
        "direction": data.draw(st.sampled_from(["auto", "adjoint", "forward"]), label="dir"),
        "method": data.draw(st.sampled_from(["refine", "gmres"]), label="method"),
    }
    res = monte_carlo(tech, bio, sysm.C, sysm.F, iterations, seed, rtol=RTOL / 10, **kw)

    H = dense_scores(sysm.A, sysm.B, sysm.C, sysm.F)
    e = maths.direct_intensities(sysm.C, sysm.B)
    lam = maths.lcia_intensities(sysm.A, sysm.C, sysm.B)
    scale = 2 * scale_forward(e, dense_supply(sysm.A, sysm.F)) + scale_adjoint(lam, sysm.F)
    assert res.scores.shape == (iterations, *H.shape)
    assert_close(res.deterministic, H, scale, "deterministic")
    for t in range(iterations):
        assert_close(res.scores[t], H, scale, f"draw {t}")
    summ = res.summary()
    for name in ("mean", "median", "p2_5", "p97_5"):
        assert_close(getattr(summ, name), H, scale, name)


# A deviation found while writing the property above (fixed in the stopping rule), as a minimal
# example: zero scores used to count as 'never converged' and were refactorised.
# (A static entry in an uncertain resource group is drawn at its float32 'loc', as bw2calc does:
# Brightway stores amounts as float32, README "How it computes"; not a deviation from Brightway.)
def test_zero_variance_draw_with_zero_scores_needs_no_refactorisation():
    A = sp.csr_matrix([[1.0, -0.1], [-0.2, 1.0]])
    B = sp.csr_matrix(np.ones((1, 2)))
    C = np.zeros((1, 1))  # a method that characterises none of the system's flows
    F = np.ones((2, 1))
    res = monte_carlo(
        as_uncertain(A, 0, True),
        as_uncertain(B, 0, False),
        C,
        F,
        1,
        0,
        direction="forward",
        method="refine",
    )
    np.testing.assert_array_equal(res.scores, 0.0)  # passes: the fallback gives the result
    assert res.fallbacks == []  # no refactorisation: the stopping rule sees no output error
