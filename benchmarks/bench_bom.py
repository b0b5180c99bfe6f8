"""BENCH bom: :func:`supply_chain.rollup` of a 1,000,000-part BOM graph against a recursive
networkx roll-up.

The BOM: part ``j`` is a component of a random earlier part (a tree of depth ~15, as deep BOMs
are), plus 10 % extra edges for shared components; labels shuffled so the input is not in
topological order; quantities and own footprints random (seeded).

Both start from the same ``networkx.DiGraph`` (edge quantities ``q``, own footprints ``direct``),
built beforehand and not timed: ``baseline`` is :func:`supply_chain.recursive_rollup`, memoised
recursion over the graph; ``ours`` is :func:`supply_chain.rollup` on that graph, the function
Python users call (the graph read into arrays once, ordering, sources, the roll-up by level of
:func:`~supply_chain.bom_math.rollup_csr`, the result table). Files are rolled up without a
graph; that path, from the CSV to the command's output, is ``BENCH bom-e2e``
(:mod:`benchmarks.bench_bom_e2e`), so it is not counted here. The kernels are printed beside it:
:func:`supply_chain.bom_math.rollup_csr` on the adjacency held as a CSR matrix (vectorised Kahn
levels + one sweep by level) and ``rollup_edges`` (CSR build + ``rollup_csr``) from bare edge
arrays. Results must agree to 1e-12 relative.
"""

from __future__ import annotations

import resource
import sys
import time

import networkx as nx
import numpy as np
import scipy.sparse as sp

from supply_chain import recursive_rollup, rollup
from supply_chain.bom_math import rollup_csr, rollup_edges

TARGET = 50


def make_bom(n: int = 1_000_000, shared: float = 0.1, seed: int = 0):
    rng = np.random.default_rng(seed)
    child = np.arange(1, n)
    parent = (rng.random(n - 1) * child).astype(np.int64)
    k = int(shared * n)
    ec = rng.integers(1, n, k)
    ep = (rng.random(k) * ec).astype(np.int64)
    edges = np.unique(np.c_[np.r_[parent, ep], np.r_[child, ec]], axis=0)
    perm = rng.permutation(n)
    p, c = perm[edges[:, 0]], perm[edges[:, 1]]
    q = rng.uniform(0.05, 1.0, len(p))
    d = rng.random(n)
    return p, c, q, d


def main(n: int = 1_000_000) -> dict:
    p, c, q, d = make_bom(n)
    Q = sp.csr_matrix((q, (p, c)), shape=(n, n))
    G = nx.DiGraph(roots=[])
    G.add_nodes_from((i, {"direct": v}) for i, v in enumerate(d.tolist()))
    G.add_weighted_edges_from(zip(p.tolist(), c.tolist(), q.tolist()), weight="q")
    dd = dict(enumerate(d.tolist()))
    ours, kernel, from_edges = [], [], []
    result = None
    for _ in range(3):
        result = None  # one result alive at a time (each holds a million-row table)
        t = time.perf_counter()
        result = rollup(G)
        ours.append(time.perf_counter() - t)
    for _ in range(7):
        t = time.perf_counter()
        x = rollup_csr(Q, d)
        kernel.append(time.perf_counter() - t)
        t = time.perf_counter()
        x2 = rollup_edges(p, c, q, d)
        from_edges.append(time.perf_counter() - t)
    assert np.array_equal(x, x2)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        t = time.perf_counter()
        ref = recursive_rollup(G, dd)
        base = time.perf_counter() - t
    finally:
        sys.setrecursionlimit(limit)
    ref_x = np.fromiter((ref[i] for i in range(n)), dtype=np.float64, count=n)
    got = np.asarray(result.x)[
        np.fromiter((result.index[i] for i in range(n)), dtype=np.int64, count=n)
    ]
    err = 0.0
    for name, v in (("rollup", got), ("rollup_csr", x)):
        e = float(np.max(np.abs(v - ref_x) / np.maximum(np.abs(ref_x), 1e-300)))
        if e > 1e-12:
            raise AssertionError(f"{name} differs from the recursion: max relative error {e:.3g}")
        err = max(err, e)
    o = min(ours)
    print(
        f"bom: {n} parts, {len(p)} edges, depth-first recursion vs rollup(); max relative "
        f"difference {err:.2g}; kernels: rollup_csr {min(kernel):.3f} s, from bare edge "
        f"arrays incl. CSR build {min(from_edges):.3f} s"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"bom: peak RSS {rss:.2f} GiB (the 1,000,000-node networkx graph and its recursion)")
    print(f"BENCH bom: ours={o:.3f} baseline={base:.3f} ratio={base / o:.1f} target={TARGET}")
    return {"ours": o, "baseline": base, "ratio": base / o, "target": TARGET, "kernel": min(kernel)}


if __name__ == "__main__":
    main()
