"""Seeded draws of an :class:`UncertainMatrix`'s entries, one stats_arrays generator per group."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from stats_arrays import MCRandomNumberGenerator, uncertainty_choices

from ..errors import UncertaintyError
from ._matrix import UncertainMatrix

TECHNOSPHERE, BIOSPHERE = 0, 1  # stream tags for derived seeds

#: Draws per seeded chunk: draw ``t`` belongs to chunk ``t // CHUNK``, whose generators are
#: seeded from the user's seed, the matrix tag, the chunk index and the group
#: (:func:`chunk_seed`). Any process can then draw any chunk on its own, and the draws do not
#: depend on how chunks are spread over processes or cluster workers. Changing it changes the
#: draws of a seed.
CHUNK = 16


def chunk_seed(seed: int, tag: int, chunk: int, group: int) -> int:
    """The seed of ``group``'s generator for draws ``chunk·CHUNK ...`` of matrix ``tag``.

    ``SeedSequence([seed, tag])`` spawns one child per chunk and each chunk one per resource
    group: the child with spawn key ``(chunk, group)``, built directly (numpy's ``spawn`` makes
    exactly that), so no process needs to spawn the chunks before its own.
    """
    ss = np.random.SeedSequence([int(seed), int(tag)], spawn_key=(int(chunk), int(group)))
    return int(ss.generate_state(1)[0])


def run_entropy(seed: int | None) -> int:
    """``seed``, or for ``None`` fresh entropy drawn once per run (shared by all its chunks)."""
    return int(np.random.SeedSequence().entropy) if seed is None else int(seed)


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


def _generators(matrix: UncertainMatrix, seed: int | None) -> list:
    """One ``(MCRandomNumberGenerator, batchable)`` per resource group (``None`` for a group
    without uncertain entries), each seeded with ``seed``; raises naming a bad entry."""
    g = matrix.groups
    gens = []
    for k in range(len(g) - 1):
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
            gens.append((MCRandomNumberGenerator(p, seed=seed), _batchable(p)))
        except Exception as exc:  # stats_arrays raises several types
            raise UncertaintyError(f"cannot draw from group {k}: {exc}") from exc
    return gens


def _draw(matrix: UncertainMatrix, gens: list, size: int) -> np.ndarray:
    """``size`` draws (entries x draws): each generator's next ``size`` ``generate()`` calls."""
    g = matrix.groups
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
    return out


def _skip(gens: list, size: int) -> None:
    """Advance the generators exactly as ``size`` draws would, cheaply where only lognormals
    consume random numbers (one standard normal each, as numpy's legacy ``lognormal`` does)."""
    for item in gens:
        if item is None:
            continue
        gen, batchable = item
        if batchable:
            gen.random.standard_normal((size, int(gen.positions[_LOGNORMAL])))
        else:
            for _ in range(size):
                gen.generate()


def sample_blocks(
    matrix: UncertainMatrix,
    seed: int | None = None,
    size: int = 16,
    *,
    tag: int = TECHNOSPHERE,
    bw2calc_seeds: bool = False,
    wanted=None,
    start: int = 0,
) -> Iterator[np.ndarray | None]:
    """Yield blocks of ``size`` draws (entries x draws) of every entry's value (before flip),
    from draw ``start`` on.

    ``wanted(i)`` false for the ``i``-th block yielded gives ``None`` instead.

    One ``MCRandomNumberGenerator`` per resource group, as matrix_utils does. By default draw
    ``t`` comes from chunk ``t // CHUNK``, whose generators are seeded by :func:`chunk_seed`:
    within a chunk, column ``j`` is the ``j``-th call of the group's ``generate()`` (drawn in one
    ``generate(samples=CHUNK)`` call only when that gives the same numbers, :func:`_batchable`).
    A block, a forked worker or a cluster task draws only its own chunks, and the draws of a
    seed do not depend on ``size``, ``start`` or who draws them. Groups without any uncertain
    entry (types 0 or 1 only) yield their static ``amount`` without consuming random numbers.

    With ``bw2calc_seeds`` every group has one stream seeded with ``seed`` itself (bw2calc's
    ``seed_override``; column ``t`` is the ``t``-th ``generate()``): draws before ``start`` and
    unwanted blocks are drawn past (cheaply where only lognormals consume random numbers).

    Raises
    ------
    UncertaintyError
        If stats_arrays rejects the parameters; the message names the offending entry (matrix
        indices, parameters and, where known, the Brightway keys of its input and output).
    """
    if bw2calc_seeds:
        yield from _stream_blocks(matrix, seed, size, wanted, start)
        return
    sampler = ChunkSampler(matrix, seed, tag)
    block, hi = -1, start
    while True:
        block += 1
        lo, hi = hi, hi + size
        yield sampler.draws(lo, hi) if wanted is None or wanted(block) else None


class ChunkSampler:
    """Draws ``lo ... hi-1`` of a matrix's entries, chunk by chunk (see :func:`sample_blocks`).

    The generators are built (and their parameters validated) once, then reseeded for each
    chunk: a worker solving many blocks of a run keeps one sampler per matrix.
    """

    def __init__(self, matrix: UncertainMatrix, seed: int | None, tag: int = TECHNOSPHERE):
        self.matrix, self.tag = matrix, tag
        self.entropy = run_entropy(seed)
        self.gens = _generators(matrix, 0)  # validated once; reseeded per chunk below
        self._chunk: tuple[int, np.ndarray] | None = None

    def chunk(self, c: int) -> np.ndarray:
        """Draws ``c·CHUNK ... (c+1)·CHUNK - 1`` (entries x CHUNK); the last chunk is kept."""
        if self._chunk is None or self._chunk[0] != c:
            for k, item in enumerate(self.gens):
                if item is not None:  # the state of a generator built with this seed
                    item[0].random = np.random.RandomState(chunk_seed(self.entropy, self.tag, c, k))
            self._chunk = (c, _draw(self.matrix, self.gens, CHUNK))
        return self._chunk[1]

    def draws(self, lo: int, hi: int) -> np.ndarray:
        """Draws ``lo ... hi-1`` (entries x draws)."""
        out = np.empty((len(self.matrix.amount), hi - lo))
        t = lo
        while t < hi:
            c = t // CHUNK
            end = min(hi, (c + 1) * CHUNK)
            out[:, t - lo : end - lo] = self.chunk(c)[:, t - c * CHUNK : end - c * CHUNK]
            t = end
        return out


def _stream_blocks(matrix, seed, size, wanted, start) -> Iterator[np.ndarray | None]:
    """bw2calc's streams: every group's generator seeded with ``seed``, drawn in order."""
    gens = _generators(matrix, seed)
    if start:
        _skip(gens, start)
    block = -1
    while True:
        block += 1
        if wanted is not None and not wanted(block):
            _skip(gens, size)
            yield None
            continue
        yield _draw(matrix, gens, size)


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
