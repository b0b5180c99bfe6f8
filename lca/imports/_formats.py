"""Read users' own inventories in any supported format (:func:`lca.imports.import_any` writes them).

Formats (detected by :func:`detect_format`), all read through bw2io and offline:

=============  ================================================================================
format         what :func:`detect_format` looks for; importer
=============  ================================================================================
``ecospold2``  a folder holding ``.spold`` files (e.g. ecoinvent's ``datasets/``), or one
               ``.spold`` file; ``bw2io.SingleOutputEcospold2Importer(..., use_mp=False)``.
               Biosphere flows link by UUID to biosphere3; technosphere inputs link inside the
               folder, then to installed ecoSpold2 databases (activity + flow ids). A negative
               reference amount (ecoinvent's waste treatments) is kept as bw2calc computes it. bw2io's strategies that silently delete
               technosphere inputs they cannot link are taken out: those inputs are reported.
``simapro``    a ``.csv`` whose first line names SimaPro (``{SimaPro ...}``); read with
               ``bw_simapro_csv`` and bw2io's offline SimaPro strategies
               (:mod:`lca.imports._simapro`: waste treatments, product nodes, the database
               name from the file's project or, for a library export, its file name).
               Technosphere inputs link inside the file, then to installed databases by
               name + unit + location.
``jsonld``     an openLCA JSON-LD export, 1.x or 2.x (a ``.zip`` or a folder with
               ``processes/``): bw2io's ``JSONLDImporter`` on the package brought to one
               dialect (:mod:`lca.imports._jsonld`). Elementary flows link to biosphere3 by
               UUID (openLCA's ecoinvent-compatible flow lists share ecoinvent's UUIDs), else
               by name + compartment + unit. Products become product nodes, as bw2io makes
               them.
``brightway``  a Brightway ``.csv``/``.xlsx`` (the layout of ``inventories/``):
               :func:`lca.imports.import_inventory`.
``useeio``     a USEEIO model folder (USEEIO API layout): :func:`lca.imports.import_useeio`.
=============  ================================================================================

Nothing is written until every exchange links: :class:`UnlinkedExchanges` lists all the
unlinked ones. Two explicit options say how to handle them:

* ``link_biosphere_by_name=True``: an unlinked elementary flow links to the biosphere3 flow of
  the same name (case-insensitive) and unit, preferring the same top compartment and then the
  unspecified sub-compartment; only a unique best match links. Each such link is logged. An
  unqualified "Carbon dioxide" / "Methane" links to the fossil flow (:data:`GENERIC_SUBSTANCES`;
  logged as a warning).
* ``drop_unlinked=True``: whatever is still unlinked is dropped; the list is logged (warning).

A file that cannot be read (truncated XML/JSON/CSV, not the format it claims) raises
:class:`InventoryError` naming the file. The write goes through
:func:`lca.imports.write_database` (temporary database, renamed when complete).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from lxml import etree

from .._marks import TEMP_MARK
from .._quiet import quiet
from ..errors import InvalidAmount, InventoryError, UnlinkedExchanges
from ..project import Project
from ._brightway import TECHNOSPHERE_FIELDS
from ._brightway import _check_units as check_units
from ._useeio import is_useeio_folder

log = logging.getLogger(__name__)

FORMATS = ("ecospold2", "simapro", "jsonld", "brightway", "useeio")
# openLCA elementary-flow compartments → biosphere3 top categories
_OLCA_COMPARTMENTS = {
    "emission to air": "air",
    "emission to water": "water",
    "emission to soil": "soil",
    "resource": "natural resource",
    "resources": "natural resource",
}
#: elementary flows some sources write without saying fossil or biogenic (SimaPro's generic
#: "Carbon dioxide" and "Methane", the US Federal LCA Commons' "Carbon dioxide"), and the
#: biosphere3 flow ``link_biosphere_by_name`` links them to: the fossil one, so that they count
#: with their full GWP (the conservative reading of an unqualified emission; biosphere3's
#: non-fossil CO2 has no factor in the IPCC 2021 methods the engine installs). Each such link is logged as a warning.
#: (flowmapper's SimaPro 9 -> ecoinvent 3.9 correspondence, in randonneur_data, maps the
#: unqualified "Carbon dioxide" to non-fossil instead: a file that means biogenic should say so.)
GENERIC_SUBSTANCES = {
    "carbon dioxide": "Carbon dioxide, fossil",
    "methane": "Methane, fossil",
}
# bw2io ecoSpold2 strategies that delete technosphere inputs they could not link
_SILENT_DROPS = {"delete_exchanges_missing_activity", "delete_ghost_exchanges"}
# what a truncated or malformed file raises inside bw2io's extractors
_READ_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    TypeError,
    AssertionError,
    OSError,
    UnicodeDecodeError,
    zipfile.BadZipFile,
)


def detect_format(path: str | os.PathLike) -> str:
    """The format of ``path``: one of :data:`FORMATS`.

    Raises
    ------
    InventoryError
        If the path does not exist or is in no supported format.
    """
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"{path}: no such file or folder")
    if path.is_dir():
        if is_useeio_folder(path):
            return "useeio"
        if any(p.suffix.lower() == ".spold" for p in path.iterdir() if p.is_file()):
            return "ecospold2"
        if (path / "processes").is_dir():
            return "jsonld"
        raise InventoryError(
            f"{path}: folder holds no .spold files, no openLCA JSON-LD (processes/) and no "
            "USEEIO model (matrix/A.json)"
        )
    suffix = path.suffix.lower()
    if suffix == ".spold":
        return "ecospold2"
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise InventoryError(f"{path}: not a readable zip archive ({exc})") from exc
        if any(n.startswith("processes/") or "/processes/" in n for n in names):
            return "jsonld"
        raise InventoryError(f"{path}: zip archive holds no openLCA JSON-LD processes/ folder")
    if suffix in (".xlsx", ".xls"):
        return "brightway"
    if suffix == ".csv":
        with open(path, encoding="latin-1") as fh:
            first = fh.readline()
        if "SimaPro" in first or "CSV separator" in first:
            return "simapro"
        return "brightway"
    raise InventoryError(f"{path}: unsupported inventory format {suffix!r}")


def read_any(
    proj: Project,
    path: str | os.PathLike,
    name: str | None = None,
    link_biosphere_by_name: bool = False,
    drop_unlinked: bool = False,
    fmt: str | None = None,
) -> tuple[str, dict, dict]:
    """Read, apply strategies and link an ecoSpold2 / SimaPro / JSON-LD inventory; write nothing.

    Returns ``(database name, {(name, code): dataset}, metadata)`` ready for
    :func:`lca.imports.write_database`. Raises as :func:`lca.imports.import_any`.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    readers: dict[str, Callable] = {
        "ecospold2": _read_ecospold2,
        "simapro": _read_simapro,
        "jsonld": _read_jsonld,
    }
    if fmt not in readers:
        raise InventoryError(f"{path}: read_any handles ecospold2, simapro and jsonld, not {fmt}")
    db_name = name if (name or fmt == "simapro") else _default_name(path)
    imp = readers[fmt](proj, path, db_name)
    if not imp.data:
        raise InventoryError(f"{path}: no activities found")
    _link_other_databases(proj, imp, fmt)
    if link_biosphere_by_name:
        _link_biosphere_by_name(proj, imp, path)
    unlinked = _unlinked(imp)
    if unlinked and not drop_unlinked:
        raise UnlinkedExchanges(str(path), [u for _, _, u in unlinked])
    if unlinked:
        log.warning(
            "%s: dropped %d unlinked exchange(s) (drop_unlinked):\n%s",
            path,
            len(unlinked),
            "\n".join(f"  - {u}" for _, _, u in unlinked),
        )
        for ds, exc, _ in unlinked:
            ds["exchanges"] = [e for e in ds["exchanges"] if e is not exc]
    _check_production(path, imp.data)
    # every technosphere input in the unit of the activity it links to (inside the file or an
    # installed database): kg of a ton-kilometre process is refused, not computed
    check_units(path, imp, proj.bd)
    data = {(imp.db_name, ds["code"]): _strip(ds) for ds in imp.data}
    metadata = {"format": imp.format if hasattr(imp, "format") else fmt, "source": str(path)}
    return imp.db_name, data, metadata


def _default_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _unreadable(path: Path, exc: Exception) -> InventoryError:
    return InventoryError(f"{path}: cannot read ({type(exc).__name__}: {exc})")


@contextlib.contextmanager
def _bw2io() -> Iterator[None]:
    """Run bw2io quietly, silencing only the upstream warnings its own code triggers."""
    with quiet(), warnings.catch_warnings():
        # bw2io 0.9 passes its own deprecated ``kind=`` argument internally
        warnings.filterwarnings("ignore", "`kind` is deprecated", DeprecationWarning)
        # ecoSpold2: the fix for ecoinvent < 3.5 flows needs bw2io's core migrations; absent
        # them bw2io skips it with a warning (irrelevant to ecoinvent >= 3.5 and own data)
        warnings.filterwarnings(
            "ignore", "Skipping migration 'fix-ecoinvent-flows-pre-35'", UserWarning
        )
        # bw2io's extractors leave their log files (SimaPro) and JSON files (JSON-LD) open
        warnings.filterwarnings("ignore", "unclosed file", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()  # close them here, under the filter


def _apply(imp, path: Path) -> None:
    try:
        with _bw2io():
            imp.apply_strategies()
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def _read_ecospold2(proj: Project, path: Path, db_name: str):
    import bw2io  # lazy on purpose: heavy (~1.4 s); `pcf --help` must stay fast

    folder = path if path.is_dir() else path.parent
    files = sorted(folder.glob("*.spold")) if path.is_dir() else [path]
    for fp in files:  # name the truncated / malformed file (bw2io's extractor does not)
        try:
            etree.parse(str(fp))
        except (etree.XMLSyntaxError, OSError) as exc:
            raise InventoryError(f"{fp}: not a readable ecoSpold2 file ({exc})") from exc
    if path.is_file():
        tmp = Path(tempfile.mkdtemp(prefix="pcf-spold-"))
        shutil.copy(path, tmp / path.name)
        folder = tmp
    try:
        with _bw2io():
            imp = bw2io.SingleOutputEcospold2Importer(
                str(folder),
                db_name,
                biosphere_database_name=proj.biosphere,
                use_mp=False,
                add_product_information=False,
            )
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    finally:
        if path.is_file():
            shutil.rmtree(folder, ignore_errors=True)
    imp.strategies = [s for s in imp.strategies if getattr(s, "__name__", "") not in _SILENT_DROPS]
    _apply(imp, path)
    return imp


def _read_simapro(proj: Project, path: Path, db_name: str | None):
    from ._simapro import read_simapro

    notes: list[str] = []
    with _bw2io():
        imp = read_simapro(path, db_name, proj.biosphere, notes)
    for note in notes:
        log.warning("%s", note)
    return imp


def _read_jsonld(proj: Project, path: Path, db_name: str):
    from ._jsonld import read_jsonld

    notes: list[str] = []
    with _bw2io():
        imp = read_jsonld(path, db_name, notes)
    for note in notes:
        log.info("%s", note)
    _relink_jsonld_biosphere(proj, imp)
    # product nodes: give them the unit of the process that makes them
    units = {
        exc["input"][1]: exc.get("unit")
        for ds in imp.data
        for exc in ds.get("exchanges", [])
        if exc.get("type") == "production" and exc.get("input")
    }
    for ds in imp.data:
        if ds.get("type") == "product" and not ds.get("unit"):
            ds["unit"] = units.get(ds["code"], "")
        if isinstance(ds.get("categories"), list):
            ds["categories"] = tuple(ds["categories"])
    return imp


def _relink_jsonld_biosphere(proj: Project, imp) -> None:
    """Point JSON-LD elementary flows at biosphere3: same UUID, else name + compartment + unit."""
    bd = proj.bd
    flows = {f["code"]: f for f in imp.biosphere_database}
    bio_codes = {n["code"] for n in bd.Database(proj.biosphere)}
    for ds in imp.data:
        for exc in ds.get("exchanges", []):
            if exc.get("type") != "biosphere":
                continue
            code = exc.pop("input", (None, exc.get("code")))[1]
            if code in bio_codes:
                exc["input"] = (proj.biosphere, code)
                continue
            path = [c for c in flows.get(code, {}).get("categories", []) if c]
            if path and path[0].lower() == "elementary flows":
                path = path[1:]
            cats = []
            if path:
                cats.append(_OLCA_COMPARTMENTS.get(path[0].lower(), path[0].lower()))
                cats += [c for c in path[1:] if c.lower() != "unspecified"]
            exc["categories"] = tuple(cats)
    with quiet():
        imp.match_database(
            proj.biosphere, fields=("name", "categories", "unit"), edge_kinds=["biosphere"]
        )
    imp.biosphere_database = []


def _link_other_databases(proj: Project, imp, fmt: str = "") -> None:
    """Link still-unlinked technosphere inputs to installed databases: by activity + product
    ids (ecoSpold2), else by name, unit, location."""
    bd = proj.bd
    if not any(
        not e.get("input") and e.get("type") in ("technosphere", "substitution")
        for ds in imp.data
        for e in ds.get("exchanges", [])
    ):
        return
    others = sorted(
        d for d in bd.databases if d not in (proj.biosphere, imp.db_name) and TEMP_MARK not in d
    )
    with quiet(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`kind` is deprecated", DeprecationWarning)
        for other in others:
            if fmt == "ecospold2":
                # ecoSpold2 inputs name their provider by activity and product (flow) ids, which
                # bw2io keeps on the nodes of an ecoSpold2 database it imported (ecoinvent);
                # their name is the product's and they carry no location, so name + unit +
                # location would not find them
                imp.match_database(
                    other, fields=("activity", "flow"), edge_kinds=["technosphere", "substitution"]
                )
            imp.match_database(
                other, fields=TECHNOSPHERE_FIELDS, edge_kinds=["technosphere", "substitution"]
            )


def _link_biosphere_by_name(proj: Project, imp, path: Path) -> None:
    """Link unlinked elementary flows by name (+ unit): see the module doc."""
    by_name: dict[str, list] = {}
    for node in proj.bd.Database(proj.biosphere):
        by_name.setdefault(node["name"].lower(), []).append(node)
    for ds in imp.data:
        for exc in ds.get("exchanges", []):
            if exc.get("input") or exc.get("type") != "biosphere":
                continue
            name = str(exc.get("name", "")).lower()
            cands = by_name.get(name, [])
            assumed = None
            if not cands and name in GENERIC_SUBSTANCES:
                assumed = GENERIC_SUBSTANCES[name]
                cands = by_name.get(assumed.lower(), [])
            if exc.get("unit"):
                cands = [c for c in cands if c.get("unit") == exc["unit"]]
            top = tuple(exc.get("categories") or ())[:1]
            if top and any(tuple(c["categories"])[:1] == top for c in cands):
                cands = [c for c in cands if tuple(c["categories"])[:1] == top]
            shortest = min((len(c["categories"]) for c in cands), default=0)
            cands = [c for c in cands if len(c["categories"]) == shortest]
            if len(cands) == 1:
                exc["input"] = cands[0].key
                if assumed:
                    log.warning(
                        "%s: %r in %r has no fossil / biogenic qualifier: linked to %r %s "
                        "(assumed fossil: it counts with the full GWP)",
                        path,
                        exc.get("name"),
                        ds.get("name"),
                        cands[0]["name"],
                        tuple(cands[0]["categories"]),
                    )
                    continue
                log.info(
                    "%s: %r in %r linked by name to %s %s",
                    path,
                    exc.get("name"),
                    ds.get("name"),
                    cands[0].key,
                    tuple(cands[0]["categories"]),
                )


def _unlinked(imp) -> list[tuple[dict, dict, dict]]:
    out = []
    for ds in imp.data:
        for exc in ds.get("exchanges", []):
            if not exc.get("input"):
                cats = exc.get("categories")
                out.append(
                    (
                        ds,
                        exc,
                        {
                            "type": exc.get("type"),
                            "name": exc.get("name"),
                            "unit": exc.get("unit"),
                            "categories": tuple(cats) if isinstance(cats, list) else cats,
                            "location": exc.get("location"),
                            "activity": ds.get("name"),
                        },
                    )
                )
    return out


def _check_production(path: Path, data: list[dict]) -> None:
    for ds in data:
        for exc in ds.get("exchanges", []):
            amount = exc.get("amount")
            where = f"{path}: activity {ds.get('name')!r}, exchange {exc.get('name')!r}"
            if not isinstance(amount, (int, float)) or not math.isfinite(amount):
                raise InvalidAmount(where, amount, "missing or not a finite number")
            if exc.get("type") == "production" and amount == 0:
                # negative is ecoinvent's waste convention (a treatment "produces" -1 kg of the
                # waste it takes), which bw2calc computes as it is; zero produces nothing
                raise InvalidAmount(where, amount, "a production amount must not be zero")


def _strip(ds: dict) -> dict:
    """Drop bw2io working fields that bw2data need not store."""
    ds = {k: v for k, v in ds.items() if k not in ("database",)}
    ds["exchanges"] = [
        {k: v for k, v in e.items() if k not in ("database", "code")}
        for e in ds.get("exchanges", [])
    ]
    return ds
