"""The Brightway layer of the PCF engine: project set-up, imports, LCI/LCIA, contributions,
uncertainty. ``lca.maths`` holds the pure matrix maths; the rest orchestrates Brightway."""

from .errors import (  # noqa: F401
    InvalidAmount,
    InventoryError,
    NonSquareTechnosphere,
    PCFError,
    ProjectError,
    SingularTechnosphere,
    TechnosphereError,
    UnitMismatch,
    UnknownMethod,
    UnknownProduct,
    UnlinkedExchanges,
)
