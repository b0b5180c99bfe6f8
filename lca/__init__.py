"""The Brightway layer of the PCF engine: project set-up, imports, LCI/LCIA, contributions,
uncertainty. ``lca.maths`` holds the pure matrix maths; the rest orchestrates Brightway.

Public API::

    from lca import open_project, FootprintEngine, import_inventory
    eng = FootprintEngine(open_project())
    eng.footprint(("pcf-products", "lfp-cell-per-kwh"), DEFAULT_METHOD)

Modules and subpackages for the rest: :mod:`lca.maths` (pure matrix maths), :mod:`lca.solver`
(factorise once, solve many), :mod:`lca.methods` (method aliases and the fossil / biogenic /
land-use split), :mod:`lca.imports` (every importer), :mod:`lca.montecarlo` (uncertainty),
:mod:`lca.workflows` (whole jobs: shipped inventories, product lists, Monte Carlo per product),
:mod:`lca.files` (atomic writes, JSON clean-up), :mod:`lca.errors`.
"""

from ._quiet import quiet
from .errors import (
    InvalidAmount,
    InventoryError,
    NonSquareTechnosphere,
    PCFError,
    ProjectError,
    SingularTechnosphere,
    TechnosphereError,
    UncertaintyError,
    UnitMismatch,
    UnknownMethod,
    UnknownProduct,
    UnlinkedExchanges,
)
from .footprint import STAGES, UNASSIGNED, FootprintEngine, FootprintResult, System
from .imports import ImportReport, import_any, import_inventory, shipped_inventories
from .methods import DEFAULT as DEFAULT_METHOD
from .methods import resolve as resolve_method
from .project import Project, open_project
from .workflows import ensure_inventories, list_products, uncertainty

__all__ = [
    "DEFAULT_METHOD",
    "STAGES",
    "UNASSIGNED",
    "FootprintEngine",
    "FootprintResult",
    "ImportReport",
    "InvalidAmount",
    "InventoryError",
    "NonSquareTechnosphere",
    "PCFError",
    "Project",
    "ProjectError",
    "SingularTechnosphere",
    "System",
    "TechnosphereError",
    "UncertaintyError",
    "UnitMismatch",
    "UnknownMethod",
    "UnknownProduct",
    "UnlinkedExchanges",
    "ensure_inventories",
    "import_any",
    "import_inventory",
    "list_products",
    "open_project",
    "quiet",
    "resolve_method",
    "shipped_inventories",
    "uncertainty",
]
