"""Plant GHG accounting (GHG Protocol Corporate Standard, scope 1/2/3): a plant's inventory per
period, green-power instruments, allocation of the plant's emissions to its products (ISO 14067
6.4.6), the gap to zero and what-if levers. A client of :mod:`lca`: emission factors are
Brightway activities of the shipped background, characterised by :mod:`lca.methods`.

Public API::

    import factory
    plant = factory.plant_inventory(project, factory.EXAMPLE_PLANT)
    factory.gap_report(plant, green=0.6, efficiency=0.10)
    factory.allocate(plant.latest())
"""

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
)
from .levers import LeverState, what_if
from .plant import (
    EXAMPLE_PLANT,
    FACTOR_FILES,
    FACTOR_MAP,
    AllocationResult,
    PeriodInventory,
    PlantInventory,
    ProductShare,
    allocate,
    database_name,
    ensure_factor_databases,
    gap_report,
    load_factor_map,
    plant_inventory,
    product_footprints,
    trajectory,
    write_product_activities,
)

__all__ = [
    "EXAMPLE_PLANT", "FACTOR_FILES", "FACTOR_MAP", "AllocationKeyMismatch", "AllocationResult",
    "CertificateOverclaim", "FactoryInputError", "LeverState", "MissingUnit", "NegativeAmount",
    "PeriodInventory", "PlantData", "PlantInventory", "ProductShare", "Record",
    "UnknownFactoryItem", "allocate", "database_name", "ensure_factor_databases", "gap_report",
    "load_factor_map", "plant_inventory", "product_footprints", "read_plant", "trajectory",
    "what_if", "write_product_activities",
]
