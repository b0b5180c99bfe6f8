"""The Brightway layer of the PCF engine: project set-up, imports, LCI/LCIA, contributions,
uncertainty. ``lca.maths`` holds the pure matrix maths; the rest orchestrates Brightway.

Public API::

    from lca import open_project, FootprintEngine, import_inventory
    eng = FootprintEngine(open_project())
    eng.footprint(("pcf-products", "lfp-cell-per-kwh"), "gwp100")
"""

from .errors import (  # noqa: F401
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
from .footprint import STAGES, FootprintEngine, FootprintResult  # noqa: F401
from .importer import import_inventory  # noqa: F401
from .project import open_project  # noqa: F401
