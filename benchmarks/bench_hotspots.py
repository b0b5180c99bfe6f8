"""BENCH hotspots: structural path analysis on the 20k synthetic system, against bw_graph_tools.

System: :func:`benchmarks.synthetic.generate` (20,000 activities, ~14 inputs each, clustered),
demand 1 unit of the last activity (the deepest supply chain), GWP100 over its three gases.
Both sides start from a factorised system, not timed (``bw2calc.LCA`` after ``lci()`` and
``lcia()`` for bw_graph_tools, built from in-memory bw_processing datapackages; our
:class:`lca.solver.Factorization` for us).

- ``baseline``: ``NewNodeEachVisitGraphTraversal(lca, cutoff=c).traverse()`` (max_calc raised
  so the cutoff alone stops it); coverage = Σ direct scores of its nodes / score.
- ``ours``: one adjoint solve ``λ = e A⁻¹``, the normalised technosphere, and the best-first
  path enumeration with the ``amount · λ`` bound (:func:`supply_chain.paths.structural_paths`)
  at the same cutoff; coverage = Σ enumerated paths / score.

Both prune the same branches (cumulative score below ``cutoff · score``), so coverages agree.
The BENCH line sums the times at cutoffs 0.005 and 1e-4.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings

import numpy as np

TARGET = 5
CUTOFFS = (0.005, 1e-4)


def _bw2calc_lca(system, demand_col: int):
    # late on purpose, like the imports in main(): BRIGHTWAY2_DIR is set before Brightway loads
    import bw_processing as bwp

    from lca import quiet

    with quiet():
        import bw2calc as bc
    n = system.n
    act = np.arange(n, dtype=np.int64) + 100  # node ids; flows are 1..3
    dp = bwp.create_datapackage()
    idx = np.empty(len(system.tech_row), dtype=bwp.INDICES_DTYPE)
    idx["row"], idx["col"] = act[system.tech_row], act[system.tech_col]
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=idx,
        data_array=np.abs(system.tech_amount),
        flip_array=system.tech_flip,
        name="technosphere",
    )
    bidx = np.empty(len(system.bio_row), dtype=bwp.INDICES_DTYPE)
    bidx["row"], bidx["col"] = system.bio_row + 1, act[system.bio_col]
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=bidx,
        data_array=system.bio_amount,
        name="biosphere",
    )
    cidx = np.empty(len(system.cf), dtype=bwp.INDICES_DTYPE)
    cidx["row"] = cidx["col"] = np.arange(len(system.cf)) + 1
    dp.add_persistent_vector(
        matrix="characterization_matrix", indices_array=cidx, data_array=system.cf, name="cf"
    )
    with quiet():
        lca = bc.LCA({int(act[demand_col]): 1.0}, data_objs=[dp])
        lca.lci()
        lca.lcia()
    return lca


def main() -> dict:
    os.environ.setdefault("BRIGHTWAY2_DIR", tempfile.mkdtemp(prefix="pcf-bench-bw-"))
    # late on purpose: BRIGHTWAY2_DIR must be set before anything can import bw2data
    from lca import maths, quiet
    from lca.solver import factorize
    from supply_chain.paths import normalized_technosphere, structural_paths

    from .synthetic import SyntheticSpec, generate

    system = generate(SyntheticSpec())
    n = system.n
    j = n - 1
    lca = _bw2calc_lca(system, j)
    A, B = system.A, system.B
    fact = factorize(A)  # untimed, as lca.lci() is for the baseline
    f = np.zeros(n)
    f[j] = 1.0
    with quiet():
        from bw_graph_tools import NewNodeEachVisitGraphTraversal
        from bw_graph_tools.graph_traversal.settings import GraphTraversalSettings
    ours_t = base_t = 0.0
    for cutoff in CUTOFFS:
        t = time.perf_counter()
        e = maths.direct_intensities(system.cf, B)
        lam = maths.intensities(fact, e)
        T, et = normalized_technosphere(A, e)
        spa = structural_paths(T, et, lam, f, cutoff=cutoff, top=20)
        o = time.perf_counter() - t
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gt = NewNodeEachVisitGraphTraversal(
                lca,
                GraphTraversalSettings(
                    cutoff=cutoff, max_calc=10_000_000, separate_biosphere_flows=False
                ),
            )
            gt.traverse()
        b = time.perf_counter() - t
        nodes = [v for k, v in gt.nodes.items() if k != -1]
        cov = sum(v.direct_emissions_score for v in nodes) / lca.score
        top_theirs = sorted((v.direct_emissions_score for v in nodes), key=abs, reverse=True)
        same_top = np.allclose([p.value for p in spa.paths[:10]], top_theirs[:10], rtol=1e-6)
        if abs(spa.total - lca.score) > 1e-6 * abs(lca.score):
            raise AssertionError(f"scores differ: {spa.total} vs {lca.score}")
        print(
            f"hotspots cutoff={cutoff:g}: ours {o:.3f} s, {spa.n_enumerated} paths, coverage "
            f"{spa.coverage:.4f}; bw_graph_tools {b:.3f} s, {len(nodes)} nodes, coverage "
            f"{cov:.4f}; same top-10 path values: {same_top}"
        )
        ours_t += o
        base_t += b
    print(
        f"BENCH hotspots: ours={ours_t:.3f} baseline={base_t:.3f} "
        f"ratio={base_t / ours_t:.1f} target={TARGET}"
    )
    return {"ours": ours_t, "baseline": base_t, "ratio": base_t / ours_t, "target": TARGET}


if __name__ == "__main__":
    main()
