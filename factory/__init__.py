"""Plant GHG accounting (GHG Protocol Corporate Standard, scope 1/2/3): a plant's inventory per
period, green-power instruments, allocation of the plant's emissions to its products (ISO 14067
6.4.6), the gap to zero and what-if levers. A client of :mod:`lca`: emission factors are
Brightway activities of the shipped background, characterised by :mod:`lca.methods`.

Modules: :mod:`~factory.inputs` (reading the activity-data file), :mod:`~factory.factors`
(factor map, resolution to Brightway activities), :mod:`~factory.inventory` (scope 1/3 and the
period inventory), :mod:`~factory.scope2` (dual reporting, instruments, the over-claim rule),
:mod:`~factory.results` (result types), :mod:`~factory.allocation` (products),
:mod:`~factory.gap` (trajectory, gap to zero) and :mod:`~factory.levers` (what-if).

Public API::

    import factory
    plant = factory.plant_inventory(project, factory.EXAMPLE_PLANT)
    factory.gap_report(plant, green=0.6, efficiency=0.10)
    factory.allocate(plant.latest())
"""

from .allocation import (
    AllocationResult,
    ProductShare,
    allocate,
    database_name,
    product_footprints,
    write_product_activities,
)
from .factors import (
    EXAMPLE_PLANT,
    FACTOR_FILES,
    FACTOR_MAP,
    Factor,
    FactorResolver,
    ensure_factor_databases,
    load_factor_map,
)
from .gap import gap_report, trajectory
from .inputs import (
    AllocationKeyMismatch,
    CertificateOverclaim,
    FactoryInputError,
    MissingUnit,
    NegativeAmount,
    PlantData,
    Record,
    UnknownFactoryItem,
    read_plant,
    read_rows,
)
from .inventory import plant_inventory
from .levers import LeverState, WhatIf, what_if
from .results import PeriodInventory, PlantInventory, SourceLine
from .scope2 import check_claims, check_overclaim

__all__ = [
    "EXAMPLE_PLANT",
    "FACTOR_FILES",
    "FACTOR_MAP",
    "AllocationKeyMismatch",
    "AllocationResult",
    "CertificateOverclaim",
    "Factor",
    "FactorResolver",
    "FactoryInputError",
    "LeverState",
    "MissingUnit",
    "NegativeAmount",
    "PeriodInventory",
    "PlantData",
    "PlantInventory",
    "ProductShare",
    "Record",
    "SourceLine",
    "UnknownFactoryItem",
    "WhatIf",
    "allocate",
    "check_claims",
    "check_overclaim",
    "database_name",
    "ensure_factor_databases",
    "gap_report",
    "load_factor_map",
    "plant_inventory",
    "product_footprints",
    "read_plant",
    "read_rows",
    "trajectory",
    "what_if",
    "write_product_activities",
]
