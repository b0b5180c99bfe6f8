"""Reports and declarations, every one generated from one computed
:class:`lca.footprint.FootprintResult` so all of them agree.

Public API::

    from reports import (Declaration, pact_footprint, validate_pact, read_pact, write_pact,
                         reissue, BatteryInfo, battery_declaration, write_battery_declaration,
                         StudyInfo, write_iso14067_report, supplier_workbook,
                         write_plant_sheet)
"""

from .battery import (  # noqa: F401
    BatteryDeclaration,
    BatteryInfo,
    ServiceLife,
    battery_declaration,
    write_battery_declaration,
)
from .errors import (  # noqa: F401
    InvalidDeclaration,
    PactValidationError,
    ReportError,
    ReportInputError,
    UnsupportedUnit,
)
from .iso14067 import StudyInfo, data_sources, write_iso14067_report  # noqa: F401
from .pact import (  # noqa: F401
    DataQuality,
    Declaration,
    ProductFootprint,
    pact_footprint,
    read_pact,
    reissue,
    validate_pact,
    write_pact,
)
from .plant import write_plant_sheet  # noqa: F401
from .suppliers import supplier_workbook  # noqa: F401
