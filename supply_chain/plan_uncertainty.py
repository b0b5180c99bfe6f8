"""A reduction plan under Monte Carlo draws of the BOM model's background inventory.

For each draw ``t`` the background technosphere ``A⁽ᵗ⁾`` and biosphere ``B⁽ᵗ⁾`` are sampled
from the inventories' stats_arrays distributions exactly as :mod:`lca.montecarlo` samples them
(one ``MCRandomNumberGenerator`` per resource group, reseeded per chunk of draws by
:func:`lca.montecarlo.chunk_seed`), and the footprint per unit of the product is re-solved
exactly (one factorisation per draw and matrix)::

    before⁽ᵗ⁾ = k₀ + Σ_p w⁰_p λ⁽ᵗ⁾_p,            λ⁽ᵗ⁾ = c B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹
    after⁽ᵗ⁾  = k₁ + Σ_p w¹_p λ¹⁽ᵗ⁾_p + Σ_p wᵉ_p λ⁽ᵗ⁾_p,  λ¹⁽ᵗ⁾ from A⁽ᵗ⁾ + δA⁽ᵗ⁾, B⁽ᵗ⁾ + δB⁽ᵗ⁾

A roll-up is linear in the background intensities of the activities its parts link to: ``w⁰``
(``w¹``) holds, per product row, the units of that activity in one unit of the product before
(after) the plan (part amounts × unit factors of the links, :attr:`RollupResult.links`), and
``k₀`` (``k₁``) the rest (supplier PCFs, direct emissions), taken from the exact roll-ups of
:meth:`supply_chain.model.SupplyChainModel.apply` — the same changes ``pcf reduce --bom``
verifies. The plan's background changes (``replace_supplier``, ``scale``) act on each draw's
own exchange: ``δ⁽ᵗ⁾ = (δ / v) · v⁽ᵗ⁾`` with ``v`` the static value of the exchange the change
is taken from (a lever removing a share of an exchange removes that share of the sampled
exchange). ``pcf_electricity`` cuts a supplier PCF by ``share · amount · (λ_old − λ_new)``
(kWh): ``wᵉ`` carries that per draw. Levers without a model change count with their given
effect in every draw.

Draws are computed in tasks of whole chunks; each draw's arithmetic is the same whichever
process (or dask worker, :class:`lca.distributed.DaskExecutor`) computes it, so the results
are bit-identical to a single-process run for the same seed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lca import maths
from lca.distributed import WorkerCache
from lca.errors import SingularTechnosphere
from lca.montecarlo import BIOSPHERE, CHUNK, TECHNOSPHERE, UncertainMatrix
from lca.montecarlo._matrix import _Pattern  # the CSR pattern lca.montecarlo draws into
from lca.montecarlo._sampling import ChunkSampler, run_entropy
from lca.solver import factorize

from .errors import LeverError
from .levers import ExchangeChange, LeverChange, apply_changes

__all__ = [
    "PlanDraws",
    "PlanUncertainty",
    "PlanUncertaintyError",
    "build",
    "draws_of",
    "plan_uncertainty",
    "run_draws",
]

log = logging.getLogger(__name__)

QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}


class PlanUncertaintyError(LeverError):
    """A plan that cannot be evaluated under the background's uncertainty (names the option,
    the lever or the activity)."""


@dataclass(frozen=True, eq=False)
class PlanDraws:
    """What a process needs to compute draws of a plan (what travels to dask workers).

    ``tech``/``bio``: the background's uncertain matrices in the rows and columns of the
    model's :class:`lca.footprint.System`; ``c``: characterisation factors per flow row;
    ``w0``/``w1``/``we``: weights per product row (see module doc), ``k0``/``k1`` the
    constants; ``changes``: per background change of the plan ``(matrix, row, col,
    ((matrix, row, col, coefficient), ...))`` — the source exchange and the deltas as
    multiples of its drawn value; ``seed``: the run's entropy; ``iterations``: draws.
    """

    tech: UncertainMatrix
    bio: UncertainMatrix
    c: np.ndarray
    w0: np.ndarray
    w1: np.ndarray
    we: np.ndarray
    k0: float
    k1: float
    changes: tuple
    seed: int
    iterations: int

    def token(self) -> str:
        """A hash of the content: the key of a worker's cached samplers."""
        h = hashlib.sha256()
        for m in (self.tech, self.bio):
            for a in (m.row, m.col, m.amount, m.params, m.flip, np.asarray(m.groups)):
                h.update(np.ascontiguousarray(a).tobytes())
        for a in (self.c, self.w0, self.w1, self.we):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((self.k0, self.k1, self.changes, self.seed, self.iterations)).encode())
        return h.hexdigest()

    def tasks(self, per_task: int | None = None) -> list[tuple[int, int]]:
        """Draw ranges ``(lo, hi)`` of whole chunks (default: ~64 tasks at most)."""
        n_chunks = -(-self.iterations // CHUNK)
        per = per_task or max(1, -(-n_chunks // 64))
        return [
            (c * CHUNK, min(self.iterations, (c + per) * CHUNK)) for c in range(0, n_chunks, per)
        ]


class _Worker:
    """One process's samplers and patterns for a :class:`PlanDraws` (built once per run)."""

    def __init__(self, spec: PlanDraws):
        self.spec = spec
        self.samplers = (
            ChunkSampler(spec.tech, spec.seed, TECHNOSPHERE),
            ChunkSampler(spec.bio, spec.seed, BIOSPHERE),
        )
        self.pats = (_Pattern(spec.tech), _Pattern(spec.bio))
        self.rows0 = np.flatnonzero(spec.w0)
        self.rows1 = np.flatnonzero(spec.w1)
        self.rowse = np.flatnonzero(spec.we)

    def draws(self, lo: int, hi: int) -> tuple[int, np.ndarray, np.ndarray]:
        """``(lo, before, after)`` of draws ``lo ... hi-1``."""
        s = self.spec
        tv = self.samplers[0].draws(lo, hi)
        bv = self.samplers[1].draws(lo, hi)
        before = np.empty(hi - lo)
        after = np.empty(hi - lo)
        for t in range(hi - lo):
            A = self.pats[0].matrix(self.pats[0].values(tv[:, t]))
            B = self.pats[1].matrix(self.pats[1].values(bv[:, t]))
            lam = _lambda(A, B, s.c, lo + t)
            before[t] = s.k0 + s.w0[self.rows0] @ lam[self.rows0]
            if s.changes:
                deltas = []
                for matrix, r, col, parts in s.changes:
                    v = float((A if matrix == "technosphere" else B)[r, col])
                    deltas += [
                        ExchangeChange(matrix=m, row=i, col=j, delta=k * v) for m, i, j, k in parts
                    ]
                A1, B1 = apply_changes(A, B, deltas)
                lam1 = _lambda(A1, B1, s.c, lo + t)
            else:
                lam1 = lam
            after[t] = (
                s.k1 + s.w1[self.rows1] @ lam1[self.rows1] + s.we[self.rowse] @ lam[self.rowse]
            )
        return lo, before, after


def _lambda(A: sp.csr_matrix, B: sp.csr_matrix, c: np.ndarray, draw: int) -> np.ndarray:
    try:
        return np.asarray(maths.lcia_intensities(factorize(A), c, B)).ravel()
    except SingularTechnosphere as exc:  # name the draw
        raise PlanUncertaintyError(f"draw {draw}: the drawn technosphere: {exc}") from None


#: Workers a cluster process has built, by :meth:`PlanDraws.token`; the last two kept.
_WORKERS = WorkerCache(keep=2)


def run_draws(spec: PlanDraws, token: str, item: tuple[int, int]):
    """What a process (or a dask worker, through ``DaskExecutor.map``) runs for one task:
    ``(lo, before, after)`` of draws ``item = (lo, hi)``. Errors come back as
    ``("error", message)`` (the project's errors do not round-trip through pickle)."""
    try:
        with _WORKERS.lock:
            return _WORKERS.get(token, lambda: _Worker(spec)).draws(*item)
    except LeverError as exc:
        return ("error", str(exc))


@dataclass(frozen=True)
class PlanUncertainty:
    """A plan under Monte Carlo draws of the background, per unit of ``product``.

    ``before``/``after``: footprint of every draw; ``reduction = before − after``;
    ``cap_per_unit``: the stated target's cap (``None`` without one);
    ``probability``: share of draws with ``after ≤ cap`` (``None`` without a cap).
    """

    product: str
    unit: str
    before: np.ndarray
    after: np.ndarray
    cap_per_unit: float | None
    seed: int | None

    @property
    def reduction(self) -> np.ndarray:
        return self.before - self.after

    @property
    def met(self) -> np.ndarray | None:
        if self.cap_per_unit is None:
            return None
        # the rule of supply_chain.levers.verification (check_plan's target_met_exact)
        return self.after <= self.cap_per_unit * (1 + 1e-9) + 1e-12

    @property
    def probability(self) -> float | None:
        met = self.met
        return None if met is None else float(met.mean())

    def to_dict(self) -> dict[str, object]:
        def q(x):
            v = np.quantile(x, list(QUANTILES.values()))
            return {k: float(a) for k, a in zip(QUANTILES, v)}

        return {
            "product": self.product,
            "unit": self.unit,
            "n_draws": len(self.before),
            "seed": self.seed,
            "cap_per_unit": self.cap_per_unit,
            "probability_target_met": self.probability,
            "before": q(self.before),
            "after": q(self.after),
            "reduction": q(self.reduction),
        }


def _stochastic(model, sysm):
    """The background's uncertain matrices, read through bw2calc, in ``sysm``'s rows/columns."""
    from lca.workflows import stochastic_system

    # one activity of every database of the system: bw2calc then holds all of them
    first: dict[str, int] = {}
    for j, k in enumerate(sysm.keys):
        first.setdefault(k[0], int(sysm.activity_ids[j]))
    ss = stochastic_system(list(first.values()), model.method, 0)
    flow_row = {int(f): i for i, f in enumerate(sysm.flow_ids)}

    def remap(idx: np.ndarray, fwd: Mapping, ours: Mapping, what: str) -> np.ndarray:
        inv = {v: k for k, v in fwd.items()}  # bw2calc index -> node id
        table = np.full(max(inv) + 1 if inv else 0, -2, dtype=np.int64)
        for i, node_id in inv.items():
            table[i] = ours.get(int(node_id), -2)
        out = np.full(len(idx), -1, dtype=np.int64)
        use = idx >= 0
        out[use] = table[idx[use]]
        if np.any(out == -2):
            raise PlanUncertaintyError(
                f"--iterations: a {what} of the inventories' uncertainty is not in the BOM "
                f"model's background system"
            )
        return out

    def rebuilt(m: UncertainMatrix, rows, cols, shape) -> UncertainMatrix:
        r, c = rows.copy(), cols.copy()
        r[c < 0], c[r < 0] = -1, -1
        return UncertainMatrix.from_arrays(
            r, c, m.amount, m.params, shape, flip=m.flip, groups=m.groups, ids=m.ids
        )

    t = ss.technosphere
    tech = rebuilt(
        t,
        remap(t.row, ss.products, sysm.product_index, "product"),
        remap(t.col, ss.activities, sysm.activity_index, "activity"),
        sysm.A.shape,
    )
    b = ss.biosphere
    bio = rebuilt(
        b,
        remap(b.row, ss.flows, flow_row, "flow"),
        remap(b.col, ss.activities, sysm.activity_index, "activity"),
        sysm.B.shape,
    )
    for name, m, ref in (("technosphere", tech, sysm.A), ("biosphere", bio, sysm.B)):
        diff = abs(m.static() - sp.csr_matrix(ref))
        scale = max(1.0, float(abs(ref).max()) if ref.nnz else 1.0)
        if diff.nnz and diff.max() > 1e-9 * scale:
            raise PlanUncertaintyError(
                f"--iterations: the inventories' static {name} differs from the BOM model's "
                f"background (max {diff.max():.3g}): re-import the inventories"
            )
    return tech, bio


def _row_of(sysm, kidx: Mapping, key) -> int:
    key = tuple(key)
    if key not in kidx:
        raise PlanUncertaintyError(
            f"--iterations: activity {'|'.join(key)} is not in the BOM model's background system"
        )
    return sysm.product_index[int(sysm.activity_ids[kidx[key]])]


def _weights(result, amounts, sysm, kidx) -> tuple[np.ndarray, float]:
    """``w`` per product row of ``sysm`` and the constant ``k`` with ``total = k + w·λ``."""
    w = np.zeros(sysm.A.shape[0])
    lam_used = 0.0
    bg = result.background
    if bg is not None:
        inv = {row: key for key, row in bg.rows.items()}
        for i, (row, f) in result.links.items():
            weight = float(amounts[i]) * float(f)
            w[_row_of(sysm, kidx, inv[row])] += weight
            lam_used += weight * float(bg.lam[row])
    return w, float(result.total) - lam_used


def build(
    model,
    problem,
    plan,
    changes: Mapping[str, LeverChange],
    iterations: int,
    seed: int | None,
) -> tuple[PlanDraws, float | None]:
    """The :class:`PlanDraws` of ``plan`` on ``model`` and the stated cap per unit."""
    from .hotspot_analysis import part_amounts
    from .levers import check_plan

    if iterations < 2:
        raise PlanUncertaintyError(
            f"--iterations {iterations}: give at least 2 draws (quantiles need several)"
        )
    if model.base.background is None:
        raise PlanUncertaintyError(
            "--iterations: the BOM links no Brightway activity: nothing of it is uncertain"
        )
    sysm = model.base.background.system
    kidx = {tuple(k): j for j, k in enumerate(sysm.keys)}
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    applied = [changes[k] for k in plan.chosen if k in changes]
    typed = sum(float(effects.get(k, 0.0)) for k in plan.chosen if k not in changes)
    after = model.apply(applied) if applied else model.base
    w0, k0 = _weights(model.base, model.m, sysm, kidx)
    w1, k1 = _weights(after, part_amounts(after), sysm, kidx)
    k1 -= typed
    # pcf_electricity: the supplier PCF falls by share·amount·(f_old λ_old − f_new λ_new)
    we = np.zeros_like(w0)
    lam0 = np.zeros_like(w0)
    for ch in applied:
        if ch.change != "pcf_electricity":
            continue
        i = model._part(ch)
        p = model._used_pcf(ch, i)
        f = model._pcf_factor(model.base.table.iloc[i]["unit"], p, ch)
        per = float(model.m[i]) * f * ch.share * ch.amount
        for key, sign in ((ch.old, -1.0), (ch.new, 1.0)):
            r = _row_of(sysm, kidx, key)
            g = sign * per * model._factor("kilowatt hour", key, ch.where)
            we[r] += g
            lam0[r] = model.intensities([tuple(key)])[tuple(key)]
    k1 -= float(we @ lam0)
    # background changes, as multiples of the drawn value of the exchange each is taken from
    out = []
    for ch in applied:
        if not ch.technosphere:
            continue
        ex = model._system_changes([ch])
        src = ex[0]
        M = sysm.A if src.matrix == "technosphere" else sysm.B
        v = float(M[src.row, src.col])
        out.append(
            (
                src.matrix,
                src.row,
                src.col,
                tuple((e.matrix, e.row, e.col, e.delta / v) for e in ex),
            )
        )
    tech, bio = _stochastic(model, sysm)
    c = np.asarray(model.engine.characterization(sysm, model.method), dtype=np.float64)
    cap = check_plan(
        problem, plan, lambda chosen: model.verify(chosen, changes, effects), model.product
    ).cap_per_unit
    spec = PlanDraws(
        tech, bio, c, w0, w1, we, k0, k1, tuple(out), run_entropy(seed), int(iterations)
    )
    return spec, cap


def plan_uncertainty(
    model,
    problem,
    plan,
    changes: Mapping[str, LeverChange],
    iterations: int,
    seed: int | None = None,
    *,
    executor=None,
    progress: Callable[[int, int], None] | None = None,
) -> PlanUncertainty:
    """``plan`` (solved on ``problem``) under ``iterations`` Monte Carlo draws of the
    background of ``model`` (:class:`supply_chain.model.SupplyChainModel`), with the lever
    changes ``changes`` (:func:`supply_chain.levers.read_lever_changes`).

    ``executor`` (:class:`lca.distributed.DaskExecutor`) computes the tasks of draws on a dask
    cluster (one task per range of whole chunks, the spec scattered once); the draws do not
    depend on it. ``progress(done, total)`` after each task.

    Raises
    ------
    PlanUncertaintyError
        ``iterations`` below 2, a BOM without Brightway links, inventories whose uncertain
        matrices do not match the model's background, a singular drawn technosphere.
    """
    spec, cap = build(model, problem, plan, changes, iterations, seed)
    tasks = spec.tasks()
    token = spec.token()
    if executor is not None:
        parts = executor.map(run_draws, spec, tasks, token, progress=progress)
    else:
        parts = []
        for i, item in enumerate(tasks, start=1):
            parts.append(run_draws(spec, token, item))
            if progress is not None:
                progress(i, len(tasks))
    before = np.empty(spec.iterations)
    after = np.empty(spec.iterations)
    for part in parts:
        if isinstance(part, tuple) and part and part[0] == "error":
            raise PlanUncertaintyError(part[1])
        lo, b, a = part
        before[lo : lo + len(b)] = b
        after[lo : lo + len(a)] = a
    log.info("plan uncertainty: %d draws of %s", spec.iterations, model.product)
    return PlanUncertainty(model.product, model.base.unit, before, after, cap, seed)


def draws_of(spec: PlanDraws, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """The sampled entries (technosphere, biosphere; entries x draws) of draws ``lo ... hi-1``
    (for checks against an independent computation)."""
    w = _Worker(spec)
    return w.samplers[0].draws(lo, hi), w.samplers[1].draws(lo, hi)
