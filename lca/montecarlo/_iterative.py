"""Many perturbed systems solved at once with the static factorisation as preconditioner."""

from __future__ import annotations

import numpy as np

from ._matrix import _Pattern


class _StoppingRule:
    """The stopping rule of :func:`refine` and :func:`gmres` (written once, here).

    After step ``k`` (1-based) with update ``δ`` of the active columns, a column stops when
    for each output ``10 max(|o(δ)|, ρ̂ |o(δ')|) ρ̂/(1−ρ̂) ≤ tolerance(|o(x)|)`` (or ``δ = 0``),
    where ``ρ̂`` is the largest contraction ``‖δ_k‖∞ / ‖δ_{k−1}‖∞`` seen so far and ``δ'`` the
    previous update; never after the first step. A column diverges when ``ρ ≥ 1`` from the
    third step on.
    """

    def __init__(self, columns: int, rtol: float):
        self.rtol = rtol
        self.prev = np.full(columns, np.inf)  # ‖δ_{k−1}‖∞ per column
        self.rho_max = np.zeros(columns)  # ρ̂ per column
        self.prev_od: np.ndarray | None = None  # |o(δ_{k−1})| (outputs x columns)

    def tolerance(self, out: np.ndarray) -> np.ndarray:
        """``rtol · |o(x)| + rtol · 1e-6 · max|o(x)|`` (``out`` = |o(x)|, outputs x columns)."""
        return self.rtol * out + self.rtol * 1e-6 * out.max(axis=0, keepdims=True)

    def step(
        self, step: int, active: np.ndarray, x: np.ndarray, d: np.ndarray, outputs
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Record update ``d`` of columns ``active`` (``x`` already updated); return
        ``(converged, diverging, ‖δ‖∞)``, one element per active column."""
        norm = np.abs(d).max(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = norm / self.prev[active]
            self.rho_max[active] = np.fmax(self.rho_max[active], rho)
            r_hat = self.rho_max[active]
            factor = np.where(r_hat < 1.0, 10.0 * r_hat / (1.0 - r_hat), np.inf)
        self.prev[active] = norm
        out = np.abs(outputs(x[:, active], active))
        od = np.abs(outputs(d, active))
        if self.prev_od is None:
            self.prev_od = np.full((od.shape[0], len(self.prev)), np.inf)
        # guard against |o(δ)| vanishing by cancellation: it is at least ρ̂ |o(δ_{k−1})|
        # (no previous update at the first step: prev_od is inf there, and 0 x inf is nan)
        prev_od = self.prev_od[:, active]
        guard = np.zeros_like(prev_od)
        np.multiply(r_hat, prev_od, out=guard, where=np.isfinite(prev_od))
        base = np.maximum(od, guard)
        # outputs the updates do not reach (e.g. a method characterising none of the flows) have
        # no error, whatever the contraction: 0 x inf would make them 'never converge'
        err = np.where(base == 0.0, 0.0, base * factor)
        self.prev_od[:, active] = od
        ok = np.all((err <= self.tolerance(out)) | (norm == 0), axis=0) & (step >= 2)
        diverging = (rho >= 1.0) & (step >= 3)
        return ok, diverging, norm


def refine(
    solve,
    pattern: _Pattern,
    data: np.ndarray,
    rhs: np.ndarray,
    x0: np.ndarray,
    outputs,
    *,
    rtol: float = 1e-8,
    maxiter: int = 30,
    width: int = 1,
    dual: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preconditioned iterative refinement for many systems ``K_t x_t = b_t`` at once.

    Column ``c`` solves with ``K_t``, ``t = c // width`` (``width`` right-hand sides per matrix),
    which has the shared ``pattern`` and CSR data ``data[t]``; ``solve`` applies
    the preconditioner ``M⁻¹`` (the static factorisation) to a block of columns::

        x_{k+1} = x_k + M⁻¹ (b − K_t x_k)

    ``outputs(v, cols)`` maps columns ``cols`` of a block ``v`` to the watched outputs (the
    scores; linear in ``v``, shape outputs x columns). Column ``t`` stops when, for each output,
    ``10 max(|o(δ)|, ρ |o(δ')|) ρ/(1−ρ) ≤ rtol · |o(x)| + rtol · 1e-6 · max|o(x)|``, where ``δ``
    and ``δ'`` are the last two updates and ``ρ`` is the largest contraction
    ``‖δ_k‖∞ / ‖δ_{k−1}‖∞`` seen so far. ``|o(δ)| ρ/(1−ρ)`` bounds the remaining error of a
    linearly converging iteration (``Σ_{j>k} ρ^{j−k} |o(δ_k)|``); the factor 10 is a margin for
    ``ρ`` being estimated, and ``ρ |o(δ')|`` guards against ``o(δ)`` vanishing by cancellation.
    The first step never stops. A column whose updates stop shrinking (``ρ ≥ 1`` after 3 steps)
    or that reaches ``maxiter`` is left unconverged.

    ``dual`` (``W = M⁻ᵀ G``, one column per output, the same for every column of the block)
    switches on a cheaper, dual-weighted residual test, checked *before* each correction: the
    error of output ``o = gᵀ x`` is ``gᵀ K⁻¹ r ≈ wᵀ r`` (exact when ``K = M``), so the column
    stops when ``2 (|Wᵀ r| + max(ρ, 0.1) |W|ᵀ |r|) ≤`` the tolerance above; the second term
    bounds the error of using ``M`` for ``K``. This saves the confirming step of the δ rule.

    Returns ``(x, iterations, converged)``.
    """
    k = rhs.shape[1]
    x = np.array(x0, dtype=np.float64, copy=True)
    its = np.zeros(k, dtype=np.int64)
    done = np.zeros(k, dtype=bool)
    rule = _StoppingRule(k, rtol)
    active = np.arange(k)
    absW = None if dual is None else np.abs(dual)
    for it in range(1, maxiter + 2):
        r = rhs[:, active] - pattern.block_matvec(data, x[:, active], active // width)
        if dual is not None and it >= 2:
            tol = rule.tolerance(np.abs(outputs(x[:, active], active)))
            est = np.abs(dual.T @ r) + np.fmax(rule.rho_max[active], 0.1) * (absW.T @ np.abs(r))
            ok = np.all(2.0 * est <= tol, axis=0)
            done[active[ok]] = True
            active, r = active[~ok], r[:, ~ok]
            if len(active) == 0:
                break
        if it > maxiter:
            break
        d = solve(r)
        x[:, active] += d
        its[active] = it
        ok, diverging, norm = rule.step(it, active, x, d, outputs)
        if dual is not None:
            ok &= np.all(norm == 0)  # the dual test (next pass) decides
        done[active[ok]] = True
        active = active[~ok & ~diverging]
        if len(active) == 0:
            break
    return x, its, done


def gmres(
    solve,
    pattern: _Pattern,
    data: np.ndarray,
    rhs: np.ndarray,
    x0: np.ndarray,
    outputs,
    *,
    rtol: float = 1e-8,
    maxiter: int = 30,
    width: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-preconditioned GMRES for many systems ``K_t x_t = b_t`` at once (no restart).

    Same arguments, stopping rule and returns as :func:`refine`. Each column builds its own
    Krylov space ``span{r₀, K_t M⁻¹ r₀, ...}``; the columns advance together so that every
    step applies ``M⁻¹`` to all active columns in one multi-column triangular sweep. The iterate
    ``x_i = x₀ + M⁻¹ V_i y_i`` minimises ``‖b − K_t x‖₂`` over the space (``y_i`` from the small
    least-squares problem with the Hessenberg matrix). ``δ`` of the stopping rule is
    ``x_i − x_{i−1}``.
    """
    n, k = rhs.shape
    x0 = np.array(x0, dtype=np.float64, copy=True)
    r = rhs - pattern.block_matvec(data, x0, np.arange(k) // width)
    beta = np.linalg.norm(r, axis=0)
    beta[beta == 0] = 1.0
    V = [r / beta]  # Krylov basis, each n x k
    Z = []  # M⁻¹ V
    H = np.zeros((maxiter + 1, maxiter, k))
    x = x0.copy()
    its = np.zeros(k, dtype=np.int64)
    done = np.zeros(k, dtype=bool)
    rule = _StoppingRule(k, rtol)
    active = np.arange(k)
    for i in range(maxiter):
        z = np.zeros((n, k))
        z[:, active] = solve(V[i][:, active])
        Z.append(z)
        w = np.zeros((n, k))
        w[:, active] = pattern.block_matvec(data, z[:, active], active // width)
        for j in range(i + 1):  # modified Gram-Schmidt, column-wise
            h = np.einsum("ij,ij->j", V[j], w)
            H[j, i] = h
            w -= V[j] * h
        h = np.linalg.norm(w, axis=0)
        H[i + 1, i] = h
        V.append(w / np.where(h == 0, 1.0, h))
        x_new = x.copy()
        for c in active:
            e1 = np.zeros(i + 2)
            e1[0] = beta[c]
            y = np.linalg.lstsq(H[: i + 2, : i + 1, c], e1, rcond=None)[0]
            x_new[:, c] = x0[:, c] + np.stack([Zj[:, c] for Zj in Z], axis=1) @ y
        d = (x_new - x)[:, active]
        x = x_new
        its[active] = i + 1
        ok, diverging, _ = rule.step(i + 1, active, x, d, outputs)
        ok |= H[i + 1, i, active] == 0  # the Krylov space is exhausted: x is exact
        done[active[ok]] = True
        active = active[~ok & ~diverging]
        if len(active) == 0:
            break
    return x, its, done
