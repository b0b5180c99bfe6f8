"""Supply-chain layer: bills of materials, supplier PCFs, roll-up, hotspots, paths and levers.

Public API::

    from supply_chain import read_bom, read_pact, rollup, hotspots, bom_paths
    G = read_bom("inventories/bom/lfp-cell-bom.csv")          # networkx.DiGraph
    r = rollup(G, engine, "gwp100", pcfs=read_pact("supplier.json"))
    r.total, r.table                                           # footprint of every part, source used
    hotspots(r)                                                # by node/supplier/first tier/country/stage
    bom_paths(r, cutoff=0.005).to_frame()                      # top supply-chain paths, coverage

Functions take the BOM graph or the roll-up result first (networkx style); results are plain
data (dataclasses, DataFrames). Modules: :mod:`.bom` (reading BOMs), :mod:`.bom_math` (levels
and triangular solves on arrays), :mod:`.roll_up` (the roll-up of a graph),
:mod:`.hotspot_analysis` (contributions, sensitivities), :mod:`.paths`, :mod:`.levers` (the
reduction problem: MILP, MACC, effects, verification, the levers CSV), :mod:`.model` (levers
evaluated on a rolled-up BOM), :mod:`.model_plans` (a levers file's problem on the model and
the exact check of a plan), :mod:`.suppliers` and :mod:`.scoring` (supplier scorecard),
:mod:`.scenarios`, :mod:`.parameters`; supplier PCFs are read by :mod:`.pcfs` and one per
product chosen by :mod:`.pcf_selection`; errors are in :mod:`.errors`.
"""

from lca.units import conversion_factor, convert

from .bom import add_part, bom_from_records, check_acyclic, new_bom, read_bom, roots, select_root
from .bom_math import rollup_edges
from .errors import (
    BOMCycle,
    BOMError,
    BOMFormatError,
    BOMUnitMismatch,
    ConflictingPCFs,
    InvalidPCF,
    LeverError,
    MissingFootprint,
    ScenarioError,
    ScoringError,
    UnknownPart,
    UnknownUnit,
)
from .hotspot_analysis import (
    contributions,
    edge_sensitivities,
    hotspots,
    rank_stability,
    write_hotspots,
)
from .levers import (
    Lever,
    LeverChange,
    ReductionPlan,
    ReductionProblem,
    Target,
    VerifiedPlan,
    greedy_plan,
    macc,
    read_lever_changes,
    read_problem,
    solve_budget,
    solve_target,
    solve_verified,
    verify_plan,
)
from .model import ExactCheck, SupplyChainModel
from .model_plans import check_plan_on_model, model_problem
from .paths import (
    activity_paths,
    bom_paths,
    path_exchange,
    structural_paths,
)
from .pcf_selection import select_pcfs
from .pcfs import SupplierPCF, read_pact, read_pcf_table, validate_pact
from .roll_up import (
    RollupResult,
    background_intensities,
    recursive_rollup,
    rollup,
)
from .scenarios import ReplaceSupplier, ScaleExchange, Scenario, load_scenarios, run_scenarios
from .scoring import supplier_scores
from .spend import useeio_spend_factors
from .suppliers import read_contributions, read_supplier_data, supplier_inputs, supplier_quality

__all__ = [
    "BOMCycle",
    "BOMError",
    "BOMFormatError",
    "BOMUnitMismatch",
    "ConflictingPCFs",
    "ExactCheck",
    "InvalidPCF",
    "Lever",
    "LeverChange",
    "LeverError",
    "MissingFootprint",
    "ReductionPlan",
    "ReductionProblem",
    "ReplaceSupplier",
    "RollupResult",
    "ScaleExchange",
    "Scenario",
    "ScenarioError",
    "ScoringError",
    "SupplierPCF",
    "SupplyChainModel",
    "Target",
    "UnknownPart",
    "UnknownUnit",
    "VerifiedPlan",
    "activity_paths",
    "add_part",
    "background_intensities",
    "bom_from_records",
    "bom_paths",
    "check_acyclic",
    "check_plan_on_model",
    "contributions",
    "conversion_factor",
    "convert",
    "edge_sensitivities",
    "greedy_plan",
    "hotspots",
    "load_scenarios",
    "macc",
    "model_problem",
    "new_bom",
    "path_exchange",
    "rank_stability",
    "read_bom",
    "read_contributions",
    "read_lever_changes",
    "read_pact",
    "read_pcf_table",
    "read_problem",
    "read_supplier_data",
    "recursive_rollup",
    "rollup",
    "rollup_edges",
    "roots",
    "run_scenarios",
    "select_pcfs",
    "select_root",
    "solve_budget",
    "solve_target",
    "solve_verified",
    "structural_paths",
    "supplier_inputs",
    "supplier_quality",
    "supplier_scores",
    "useeio_spend_factors",
    "validate_pact",
    "verify_plan",
    "write_hotspots",
]
