"""Import inventories into the engine's project, all-or-nothing.

* :func:`import_inventory`: a Brightway CSV/Excel inventory (the layout of ``inventories/``),
  strictly linked and checked before anything is written; :func:`shipped_inventories` lists
  the files the engine ships.
* :func:`import_any`: any supported format (ecoSpold2, SimaPro CSV, openLCA JSON-LD, Brightway
  CSV/Excel, a USEEIO model folder), detected by :func:`detect_format`.
* :func:`useeio_intensities` / :func:`import_useeio`: US EPA USEEIO as a spend-based factor
  table or as a Brightway database.
* :func:`write_database`: the one implementation of "replace a database all-or-nothing"
  (temporary database renamed into place when complete), used by every importer.
"""

from ._brightway import import_inventory, read_inventory, shipped_inventories
from ._formats import FORMATS, detect_format, import_any, read_any
from ._useeio import (
    BIOSPHERE_MAP,
    USEEIOModel,
    import_useeio,
    is_useeio_folder,
    read_useeio,
    useeio_datasets,
    useeio_intensities,
)
from ._write import ImportReport, write_database

__all__ = [
    "BIOSPHERE_MAP",
    "FORMATS",
    "ImportReport",
    "USEEIOModel",
    "detect_format",
    "import_any",
    "import_inventory",
    "import_useeio",
    "is_useeio_folder",
    "read_any",
    "read_inventory",
    "read_useeio",
    "shipped_inventories",
    "useeio_datasets",
    "useeio_intensities",
    "write_database",
]
