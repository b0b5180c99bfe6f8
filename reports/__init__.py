"""Reports and declarations, every one generated from one computed
:class:`lca.footprint.FootprintResult` (or, for the plant sheet, one
:class:`factory.PlantInventory`) so all of them agree.

Public API::

    from reports import (read_meta, Declaration, pact_footprint, write_pact,
                         read_product_footprint, reissue, BatteryInfo, battery_declaration,
                         write_battery_declaration, StudyInfo, write_iso14067_report,
                         supplier_workbook, write_plant_sheet)

Modules: :mod:`reports.meta` (declaration metadata files), :mod:`reports.pact` (PACT
ProductFootprint), :mod:`reports.battery` (EU Battery Regulation declaration),
:mod:`reports.iso14067` (ISO 14067 report), :mod:`reports.suppliers` (supplier workbook),
:mod:`reports.plant` (plant sheet); :mod:`reports.render` and :mod:`reports.charts` draw them.
"""

from .battery import (
    BatteryDeclaration,
    BatteryInfo,
    ServiceLife,
    battery_declaration,
    write_battery_declaration,
)
from .errors import (
    InvalidDeclaration,
    PactValidationError,
    ReportError,
    ReportInputError,
    UnsupportedUnit,
)
from .iso14067 import StudyInfo, data_sources, write_iso14067_report
from .meta import read_meta
from .pact import (
    DataQuality,
    Declaration,
    ProductFootprint,
    pact_footprint,
    pact_for,
    pact_from_meta,
    read_product_footprint,
    reissue,
    validate_footprint,
    write_pact,
)
from .plant import write_plant_sheet
from .suppliers import supplier_workbook

__all__ = [
    "BatteryDeclaration",
    "BatteryInfo",
    "DataQuality",
    "Declaration",
    "InvalidDeclaration",
    "PactValidationError",
    "ProductFootprint",
    "ReportError",
    "ReportInputError",
    "ServiceLife",
    "StudyInfo",
    "UnsupportedUnit",
    "battery_declaration",
    "data_sources",
    "pact_footprint",
    "pact_for",
    "pact_from_meta",
    "read_meta",
    "read_product_footprint",
    "reissue",
    "supplier_workbook",
    "validate_footprint",
    "write_battery_declaration",
    "write_iso14067_report",
    "write_pact",
    "write_plant_sheet",
]
