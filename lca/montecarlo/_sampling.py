"""Seeded draws of an :class:`UncertainMatrix`'s entries, one stats_arrays generator per group."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from stats_arrays import MCRandomNumberGenerator, uncertainty_choices

from ..errors import UncertaintyError
from ._matrix import UncertainMatrix

TECHNOSPHERE, BIOSPHERE = 0, 1  # stream tags for derived seeds


def _group_seeds(seed: int | None, tag: int, n_groups: int, bw2calc_seeds: bool) -> list:
    if seed is None or bw2calc_seeds:
        return [seed] * n_groups
    ss = np.random.SeedSequence([int(seed), tag])
    return [int(s.generate_state(1)[0]) for s in ss.spawn(n_groups)]


_LOGNORMAL = uncertainty_choices[2]


def _batchable(p: np.ndarray) -> bool:
    """Whether ``generate(samples=k)`` equals ``k`` calls of ``generate()`` for params ``p``.

    True when only lognormal (2) consumes random numbers (types 0 and 1 consume none) and no
    lognormal entry has bounds (bounds trigger redraws of the whole block).
    """
    types = p["uncertainty_type"]
    if not np.all(np.isin(types, (0, 1, 2))):
        return False
    logn = types == 2
    return not (np.any(np.isfinite(p["minimum"][logn])) or np.any(np.isfinite(p["maximum"][logn])))


def _first_invalid(p: np.ndarray) -> tuple[int, str] | None:
    """The first record of ``p`` that stats_arrays rejects, and why (None if all are valid).

    Each distribution validates its records at once (as ``MCRandomNumberGenerator`` does);
    only when that fails are its records checked one by one to find the offending one.
    """
    types = p["uncertainty_type"]
    for t in np.unique(types):
        idx = np.flatnonzero(types == t)
        try:
            dist = uncertainty_choices[int(t)]
        except KeyError:
            return int(idx[0]), f"unknown uncertainty type {int(t)}"
        try:
            dist.validate(p[idx])
        except Exception as exc:  # noqa: BLE001 - stats_arrays raises several types
            for i in idx:
                try:
                    dist.validate(p[i : i + 1])
                except Exception as one:  # noqa: BLE001
                    why = str(one).split(" Failing row")[0]  # its row within the 1-record array
                    return int(i), f"{type(one).__name__}: {why}"
            return int(idx[0]), f"{type(exc).__name__}: {exc}"
    return None


def _param_text(rec) -> str:
    fields = ("uncertainty_type", "loc", "scale", "shape", "minimum", "maximum")
    return ", ".join(
        f"{f}={rec[f]:g}"
        for f in fields
        if f in rec.dtype.names and (f == "uncertainty_type" or np.isfinite(rec[f]))
    )


def sample_blocks(
    matrix: UncertainMatrix,
    seed: int | None = None,
    size: int = 16,
    *,
    tag: int = TECHNOSPHERE,
    bw2calc_seeds: bool = False,
    wanted=None,
) -> Iterator[np.ndarray | None]:
    """Yield blocks of ``size`` draws (entries x draws) of every entry's value (before flip).

    ``wanted(i)`` false for block ``i`` yields ``None`` instead, after advancing the generators
    exactly as drawing would (cheaply where only lognormals consume random numbers: one
    standard normal each, as numpy's legacy ``lognormal`` does).

    One ``MCRandomNumberGenerator`` per resource group, as matrix_utils does. Column ``t`` of
    the blocks, in order, is the ``t``-th call of that generator's ``generate()``: a group is
    drawn in one ``generate(samples=size)`` call only when that gives the same numbers
    (:func:`_batchable`), otherwise draw by draw. Groups without any uncertain entry (types 0
    or 1 only) yield their static ``amount`` without consuming random numbers. Same ``seed`` →
    same draws; ``size`` does not change them.

    Raises
    ------
    UncertaintyError
        If stats_arrays rejects the parameters; the message names the offending entry (matrix
        indices, parameters and, where known, the Brightway keys of its input and output).
    """
    g = matrix.groups
    seeds = _group_seeds(seed, tag, len(g) - 1, bw2calc_seeds)
    gens = []
    for k, s in enumerate(seeds):
        p = matrix.params[g[k] : g[k + 1]]
        if len(p) == 0 or np.all(np.isin(p["uncertainty_type"], (0, 1))):
            gens.append(None)
            continue
        bad = _first_invalid(p)
        if bad is not None:
            i, why = bad
            raise UncertaintyError(
                f"cannot draw from group {k}: {matrix.describe(g[k] + i)}: {_param_text(p[i])}: "
                f"{why}"
            )
        try:
            gens.append((MCRandomNumberGenerator(p, seed=s), _batchable(p)))
        except Exception as exc:  # stats_arrays raises several types
            raise UncertaintyError(f"cannot draw from group {k}: {exc}") from exc
    block = -1
    while True:
        block += 1
        if wanted is not None and not wanted(block):
            for k, item in enumerate(gens):
                if item is None:
                    continue
                gen, batchable = item
                if batchable:
                    gen.random.standard_normal((size, int(gen.positions[_LOGNORMAL])))
                else:
                    for _ in range(size):
                        gen.generate()
            yield None
            continue
        out = np.repeat(matrix.amount[:, None], size, axis=1)
        for k, item in enumerate(gens):
            if item is None:
                continue
            gen, batchable = item
            if batchable and size > 1:
                out[g[k] : g[k + 1]] = gen.generate(samples=size)
            else:
                for t in range(size):
                    out[g[k] : g[k + 1], t] = gen.generate()
        yield out


def sample(
    matrix: UncertainMatrix,
    seed: int | None = None,
    *,
    tag: int = TECHNOSPHERE,
    bw2calc_seeds: bool = False,
) -> Iterator[np.ndarray]:
    """Yield draws of every entry's value (before the sign flip), one array per draw.

    The same draws as :func:`sample_blocks`, one at a time.
    """
    for block in sample_blocks(matrix, seed, 1, tag=tag, bw2calc_seeds=bw2calc_seeds):
        yield block[:, 0]
