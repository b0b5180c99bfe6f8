"""Supply-chain layer: bills of materials, supplier PCFs, roll-up, hotspots and paths.

Public API::

    from supply_chain import read_bom, read_pact, rollup, hotspots, bom_paths
    G = read_bom("inventories/bom/lfp-cell-bom.csv")          # networkx.DiGraph
    r = rollup(G, engine, "gwp100", pcfs=read_pact("supplier.json"))
    r.total, r.table                                           # footprint of every part, source used
    hotspots(r)                                                # by node/supplier/first tier/country/stage
    bom_paths(r, cutoff=0.005).to_frame()                      # top supply-chain paths, coverage

Functions take the BOM graph or the roll-up result first (networkx style); results are plain
data (dataclasses, DataFrames). The formulas are in the docstrings of :mod:`.rollup`,
:mod:`.hotspots` and :mod:`.paths`; errors are in :mod:`.errors`.
"""

from .bom import add_part, bom_from_records, check_acyclic, new_bom, read_bom, roots  # noqa: F401
from .errors import (  # noqa: F401
    BOMCycle,
    BOMError,
    BOMFormatError,
    BOMUnitMismatch,
    InvalidPCF,
    LeverError,
    MissingFootprint,
    ScenarioError,
    ScoringError,
    UnknownPart,
    UnknownUnit,
)
from .hotspots import (  # noqa: F401
    contributions,
    edge_sensitivities,
    hotspots,
    rank_stability,
    write_hotspots,
)
from .levers import (  # noqa: F401
    Lever,
    ReductionPlan,
    ReductionProblem,
    Target,
    greedy_plan,
    macc,
    read_problem,
    solve_budget,
    solve_target,
    verify_plan,
)
from .paths import (  # noqa: F401
    activity_paths,
    bom_paths,
    path_exchange,
    structural_paths,
)
from .pcfs import SupplierPCF, read_pact, read_pcf_table, validate_pact  # noqa: F401
from .rollup import (  # noqa: F401
    RollupResult,
    background_intensities,
    recursive_rollup,
    rollup,
    rollup_edges,
)
from .scenarios import ReplaceSupplier, ScaleExchange, Scenario, load_scenarios, run_scenarios  # noqa: F401
from .scoring import supplier_scores  # noqa: F401
from .spend import useeio_spend_factors  # noqa: F401
from .units import conversion_factor, convert  # noqa: F401
