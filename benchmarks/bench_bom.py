"""BENCH bom: vectorised roll-up of a 1,000,000-part BOM against a recursive networkx roll-up.

The BOM: part ``j`` is a component of a random earlier part (a tree of depth ~15, as deep BOMs
are), plus 10 % extra edges for shared components; labels shuffled so the input is not in
topological order; quantities and own footprints random (seeded).

Both start from the BOM's adjacency, built beforehand and not timed: ``baseline`` is
:func:`supply_chain.rollup.recursive_rollup`, memoised recursion over the ``networkx.DiGraph``;
``ours`` is :func:`supply_chain.rollup.rollup_csr` over the same adjacency held as a CSR matrix
(vectorised Kahn levels + one sweep by level = the triangular solve). The time to build that CSR
from bare edge arrays is printed too (``rollup_edges`` = build + ``rollup_csr``). Results must
agree to 1e-12 relative.
"""

from __future__ import annotations

import sys
import time

import numpy as np

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
    import networkx as nx
    import scipy.sparse as sp

    from supply_chain.rollup import recursive_rollup, rollup_csr, rollup_edges

    p, c, q, d = make_bom(n)
    Q = sp.csr_matrix((q, (p, c)), shape=(n, n))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(p.tolist(), c.tolist(), q.tolist()), weight="q")
    dd = dict(enumerate(d.tolist()))
    ours, from_edges = [], []
    for _ in range(7):
        t = time.perf_counter()
        x = rollup_csr(Q, d)
        ours.append(time.perf_counter() - t)
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
    err = float(np.max(np.abs(x - ref_x) / np.maximum(np.abs(ref_x), 1e-300)))
    if err > 1e-12:
        raise AssertionError(f"roll-ups differ: max relative error {err:.3g}")
    o = min(ours)
    print(f"bom: {n} parts, {len(p)} edges, depth-first recursion vs level sweep; "
          f"max relative difference {err:.2g}; from bare edge arrays incl. CSR build: "
          f"{min(from_edges):.3f} s")
    print(f"BENCH bom: ours={o:.3f} baseline={base:.3f} ratio={base / o:.1f} target={TARGET}")
    return {"ours": o, "baseline": base, "ratio": base / o, "target": TARGET}


if __name__ == "__main__":
    main()
