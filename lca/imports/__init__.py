"""Import inventories into the engine's project, all-or-nothing.

* :func:`import_inventory`: a Brightway CSV/Excel inventory (the layout of ``inventories/``),
  strictly linked and checked before anything is written; :func:`shipped_inventories` lists
  the files the engine ships.
* :func:`import_any`: any supported format (ecoSpold2 folders, ecoinvent release folders and
  their zip/7z archives, EcoSpold 1, SimaPro CSV, openLCA JSON-LD, Brightway CSV/Excel, a
  USEEIO model folder), detected by :func:`detect_format`; ILCD/EF packages are refused with
  a located message. Processes with several products are allocated with the
  ``multifunctional`` package (:mod:`lca.imports._allocation`). Every import reports what it
  read, how it linked, and what it converted, assumed and dropped (:class:`ImportReport`).
* :func:`useeio_intensities` / :func:`import_useeio`: US EPA USEEIO as a spend-based factor
  table or as a Brightway database.
* :func:`import_many`: several files as one all-or-nothing step (all read and checked first).
* :func:`write_database` / :func:`write_databases`: the one implementation of "replace
  databases all-or-nothing" (temporary databases renamed into place when all are complete),
  used by every importer: a database that already holds the file is left alone, a shipped
  database is protected, and the databases that link to a replaced one keep working.
"""

from ._allocation import DEFAULT_ALLOCATION
from ._brightway import import_inventory, read_inventory, shipped_inventories
from ._formats import FORMATS, detect_format, read_any
from ._import import import_any, import_many
from ._notes import Notes
from ._useeio import (
    BIOSPHERE_MAP,
    USEEIOModel,
    import_useeio,
    is_useeio_folder,
    read_useeio,
    useeio_datasets,
    useeio_intensities,
)
from ._write import ImportReport, Pending, is_shipped, write_database, write_databases

__all__ = [
    "BIOSPHERE_MAP",
    "DEFAULT_ALLOCATION",
    "FORMATS",
    "ImportReport",
    "Notes",
    "Pending",
    "USEEIOModel",
    "detect_format",
    "import_any",
    "import_inventory",
    "import_many",
    "import_useeio",
    "is_shipped",
    "is_useeio_folder",
    "read_any",
    "read_inventory",
    "read_useeio",
    "shipped_inventories",
    "useeio_datasets",
    "useeio_intensities",
    "write_database",
    "write_databases",
]
