"""Read users' own inventories in any supported format (:func:`lca.imports.import_any` writes them).

Formats (detected by :func:`detect_format`), all read through bw2io and offline:

=============  ================================================================================
format         what :func:`detect_format` looks for; importer
=============  ================================================================================
``ecospold2``  a folder holding ``.spold`` files (e.g. ecoinvent's ``datasets/``), an
               ecoinvent release folder (``datasets/`` + ``MasterData/``), a ``.zip`` or
               ``.7z`` archive of either (extracted to a temporary folder; ``.7z`` with
               ``py7zr``), or one ``.spold`` file;
               ``bw2io.SingleOutputEcospold2Importer(..., use_mp=False)``.
               Biosphere flows link by UUID to biosphere3; technosphere inputs link inside the
               folder, then to installed ecoSpold2 databases (activity + flow ids). A negative
               reference amount (ecoinvent's waste treatments) is kept as bw2calc computes it. bw2io's strategies that silently delete
               technosphere inputs they cannot link are taken out: those inputs are reported.
``ecospold1``  an EcoSpold 1 ``.xml`` dataset (US LCI, ecoinvent 2 era), or a folder of them:
               ``bw2io.SingleOutputEcospold1Importer(..., use_mp=False)``, its strategies
               with the project's biosphere and bw2io's ecoinvent-2-to-3 biosphere names
               and categories. Technosphere inputs link inside the file(s), then to
               installed databases by name + unit + location.
ILCD / EF      an ILCD or EF 3.x package (``ILCD/processes/*.xml``): refused, naming the
               file: neither bw2io 0.9 nor another Brightway package imports ILCD.
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
from functools import partial
from pathlib import Path

from lxml import etree

from .._marks import TEMP_MARK
from .._quiet import quiet
from ..errors import InvalidAmount, InventoryError, UnlinkedExchanges
from ..project import Project
from ._allocation import allocate
from ._brightway import TECHNOSPHERE_FIELDS
from ._brightway import _check_units as check_units
from ._notes import Notes
from ._useeio import is_useeio_folder

log = logging.getLogger(__name__)

FORMATS = ("ecospold2", "ecospold1", "simapro", "jsonld", "brightway", "useeio")
#: XML namespaces of EcoSpold 1 datasets and of ILCD (ILCD/EF packages are refused: no
#: importer in bw2io 0.9 or elsewhere in the Brightway project; see _refuse_ilcd)
_ECOSPOLD1_NS = "http://www.EcoInvent.org/EcoSpold01"
_ILCD_NS = "http://lca.jrc.it/ILCD"
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
        if (path / "datasets").is_dir():  # an ecoinvent release: datasets/ + MasterData/
            return "ecospold2"
        xml = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
        if xml and _xml_namespace(xml[0]) == _ECOSPOLD1_NS:
            return "ecospold1"
        _refuse_ilcd(path)
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
        if any(n.lower().endswith(".xml") and "processes/" in n for n in names):
            raise InventoryError(_ILCD_REFUSAL.format(path=path))
        if any(n.startswith("processes/") or "/processes/" in n for n in names):
            return "jsonld"
        if any(n.lower().endswith(".spold") for n in names):
            return "ecospold2"
        raise InventoryError(
            f"{path}: zip archive holds no openLCA JSON-LD processes/ folder and no ecoSpold2 "
            ".spold file"
        )
    if suffix == ".7z":
        if any(n.lower().endswith(".spold") for n in _7z_names(path)):
            return "ecospold2"
        raise InventoryError(f"{path}: 7z archive holds no ecoSpold2 .spold file")
    if suffix == ".xml":
        ns = _xml_namespace(path)
        if ns == _ECOSPOLD1_NS:
            return "ecospold1"
        if ns and ns.startswith(_ILCD_NS):
            raise InventoryError(_ILCD_REFUSAL.format(path=path))
        raise InventoryError(
            f"{path}: an XML file that is neither EcoSpold 1 nor ILCD (namespace {ns!r})"
        )
    if suffix in (".xlsx", ".xls"):
        return "brightway"
    if suffix == ".csv":
        with open(path, encoding="latin-1") as fh:
            first = fh.readline()
        if "SimaPro" in first or "CSV separator" in first:
            return "simapro"
        return "brightway"
    raise InventoryError(f"{path}: unsupported inventory format {suffix!r}")


_ILCD_REFUSAL = (
    "{path}: an ILCD / EF 3.x package; not imported: bw2io 0.9 has no ILCD importer and no "
    "maintained Brightway package reads ILCD process data sets (pyilcd only parses the XML; "
    "flows, flow properties and unit groups would have to be resolved and linked to biosphere3 "
    "by hand). Export the data sets from openLCA as JSON-LD and import that; nothing was written"
)


def _xml_namespace(path: Path) -> str | None:
    """The namespace of the root element of an XML file (None if unreadable)."""
    try:
        with open(path, "rb") as fh:  # closed here even though iterparse stops at the root
            for _, el in etree.iterparse(fh, events=("start",)):
                return etree.QName(el).namespace
    except (etree.XMLSyntaxError, OSError):
        return None
    return None


def _refuse_ilcd(path: Path) -> None:
    """Raise the ILCD refusal for a folder that is an ILCD package (``processes/*.xml``)."""
    procs = path / "processes" if (path / "processes").is_dir() else path / "ILCD" / "processes"
    if procs.is_dir():
        xml = sorted(procs.glob("*.xml"))
        if xml and (_xml_namespace(xml[0]) or "").startswith(_ILCD_NS):
            raise InventoryError(_ILCD_REFUSAL.format(path=path))


def read_any(
    proj: Project,
    path: str | os.PathLike,
    name: str | None = None,
    link_biosphere_by_name: bool = False,
    drop_unlinked: bool = False,
    fmt: str | None = None,
    notes: Notes | None = None,
    allocation: str | None = None,
) -> tuple[str, dict, dict]:
    """Read, apply strategies and link an ecoSpold2 / SimaPro / JSON-LD inventory; write nothing.

    Returns ``(database name, {(name, code): dataset}, metadata)`` ready for
    :func:`lca.imports.write_database`; ``notes`` receives what was linked by rule, converted,
    assumed and dropped. Raises as :func:`lca.imports.import_any`.
    """
    path = Path(path)
    notes = notes if notes is not None else Notes()
    fmt = fmt or detect_format(path)
    readers: dict[str, Callable] = {
        "ecospold2": _read_ecospold2,
        "ecospold1": _read_ecospold1,
        "simapro": _read_simapro,
        "jsonld": _read_jsonld,
    }
    if fmt not in readers:
        raise InventoryError(
            f"{path}: read_any handles ecospold2, ecospold1, simapro and jsonld, not {fmt}"
        )
    db_name = name if (name or fmt == "simapro") else _default_name(path)
    imp = readers[fmt](proj, path, db_name, notes)
    if not imp.data:
        raise InventoryError(f"{path}: no activities found")
    _link_other_databases(proj, imp, fmt)
    if link_biosphere_by_name:
        _link_biosphere_by_name(proj, imp, path, notes)
    unlinked = _unlinked(imp)
    unmade = [u for _, _, u in unlinked if u["type"] == "production"]
    if unmade:  # never dropped: an activity would lose what it makes
        raise UnlinkedExchanges(str(path), unmade)
    if unlinked and not drop_unlinked:
        raise UnlinkedExchanges(str(path), [u for _, _, u in unlinked])
    for ds, exc, u in unlinked:
        notes.add(
            "dropped",
            f"{path}: activity {u['activity']!r}: unlinked {u['type']} exchange {u['name']!r} "
            f"[{u['unit']}]"
            + (f" {u['categories']}" if u.get("categories") else "")
            + (f" @ {u['location']}" if u.get("location") else "")
            + " dropped (--drop-unlinked)",
        )
    if unlinked:
        for ds, exc, _ in unlinked:
            ds["exchanges"] = [e for e in ds["exchanges"] if e is not exc]
    _check_production(path, imp.data)
    # every technosphere input in the unit of the activity it links to (inside the file or an
    # installed database): kg of a ton-kilometre process is refused, not computed
    check_units(path, imp, proj.bd)
    data = {(imp.db_name, ds["code"]): _strip(ds) for ds in imp.data}
    # several products: allocated with the multifunctional package (lca.imports._allocation)
    data = allocate(data, imp.db_name, str(path), notes, allocation, imp.metadata)
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


def _7z_names(path: Path) -> list[str]:
    try:
        import py7zr
    except ImportError as exc:  # pragma: no cover - py7zr is a dependency
        raise InventoryError(
            f"{path}: reading .7z archives needs py7zr (pip install py7zr)"
        ) from exc
    try:
        with py7zr.SevenZipFile(path) as z:
            return z.getnames()
    except (py7zr.exceptions.ArchiveError, OSError, EOFError) as exc:
        raise InventoryError(f"{path}: not a readable 7z archive ({exc})") from exc


@contextlib.contextmanager
def _spold_folder(path: Path, notes: Notes) -> Iterator[Path]:
    """The folder of ``.spold`` files of ``path``: itself, its ``datasets/`` (an ecoinvent
    release: ``MasterData/`` is not needed, bw2io reads names and units from the datasets), or
    the one folder holding them in a zip / 7z archive, extracted to a temporary folder."""
    if path.is_dir():
        if not any(p.suffix.lower() == ".spold" for p in path.iterdir() if p.is_file()):
            path = path / "datasets"
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="pcf-spold-"))
    try:
        try:
            if path.suffix.lower() == ".7z":
                import py7zr

                with py7zr.SevenZipFile(path) as z:
                    z.extractall(tmp)
            else:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(tmp)
        except Exception as exc:  # any archive library error: the file is named
            raise InventoryError(f"{path}: cannot extract ({type(exc).__name__}: {exc})") from exc
        folders = sorted({p.parent for p in tmp.rglob("*") if p.suffix.lower() == ".spold"})
        if len(folders) != 1:
            where = ", ".join(f.relative_to(tmp).as_posix() or "." for f in folders[:5])
            raise InventoryError(
                f"{path}: .spold files in {len(folders)} folders ({where}): one database is "
                "one folder; extract the archive and import the folder you mean"
            )
        notes.add(
            "assumed",
            f"{path}: datasets read from {folders[0].relative_to(tmp).as_posix() or '.'}/ in "
            "the archive",
        )
        yield folders[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_ecospold2(proj: Project, path: Path, db_name: str, notes: Notes):
    if path.is_file() and path.suffix.lower() != ".spold":  # an archive
        with _spold_folder(path, notes) as folder:
            return _read_ecospold2(proj, folder, db_name, notes)
    if path.is_dir():
        with _spold_folder(path, notes) as folder:
            if folder != path:
                return _read_ecospold2(proj, folder, db_name, notes)
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


def _read_ecospold1(proj: Project, path: Path, db_name: str, notes: Notes):
    import bw2data as bd
    import bw2io  # lazy on purpose: heavy
    from bw2io import strategies as s

    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    for fp in files:  # name the truncated / malformed file (bw2io's extractor does not)
        try:
            etree.parse(str(fp))
        except (etree.XMLSyntaxError, OSError) as exc:
            raise InventoryError(f"{fp}: not a readable EcoSpold 1 file ({exc})") from exc
    failed = None
    with _bw2io():
        try:
            imp = bw2io.SingleOutputEcospold1Importer(str(path), db_name, use_mp=False)
        except (*_READ_ERRORS, etree.XMLSyntaxError, etree.DocumentInvalid) as exc:
            # bw2io validates against the EcoSpold 1 schema: e.g. a root element other than
            # <ecoSpold>
            failed = f"{type(exc).__name__}: {exc}"
        # the traceback holds bw2io's open file: let it go under _bw2io's warning filter
    if failed is not None:
        raise InventoryError(f"{path}: not a valid EcoSpold 1 file ({failed}); nothing was written")
    # bw2io links the biosphere of bw2data's config (not necessarily this project's): the
    # project's biosphere here. bw2io's ecoinvent 2 -> 3 name and category strategies are not
    # applied: they need bw2io's migrations installed in the project (a write the import must
    # not make); a flow whose name differs from biosphere3's is reported unlinked
    # (--link-biosphere-by-name links unique same-name flows)
    keep = [
        f
        for f in imp.strategies
        if getattr(f, "func", f).__name__ not in ("link_iterable_by_fields",)
    ]
    imp.strategies = [
        # several outputs: split by the file's own <allocation> fractions (the source's
        # factors) first; bw2io's MultiOutputEcospold1Importer fails on construction in 0.9
        # (AttributeError) and its es1_allocate_multioutput reads fractions as percent only
        # and drops a co-product with fraction 0 (KeyError): see _es1_allocate
        partial(_es1_allocate, path=path, notes=notes),
        *keep[:-1],
        partial(
            s.link_iterable_by_fields,
            other=bd.Database(proj.biosphere),
            edge_kinds=["biosphere"],
            fields=("name", "categories", "unit"),
        ),
        keep[-1],  # link_technosphere_by_activity_hash: inside the file(s)
    ]
    _apply(imp, path)
    return imp


def _es1_groups(fp: Path) -> dict[int, str]:
    """exchange number -> ``in<group>`` / ``out<group>`` of an EcoSpold 1 file."""
    groups = {}
    for el in etree.parse(str(fp)).iter(f"{{{_ECOSPOLD1_NS}}}exchange"):
        for tag in ("inputGroup", "outputGroup"):
            g = el.find(f"{{{_ECOSPOLD1_NS}}}{tag}")
            if g is not None and g.text:
                groups[int(el.get("number"))] = tag[:-5][:3] + g.text.strip()
    return groups


def _es1_waste_to_treatment(ds: dict, path: Path, where: str, notes: Notes) -> None:
    """EcoSpold 1 "waste to treatment" outputs (outputGroup 3), which bw2io reads as
    production: written as the ecoinvent waste convention writes them, an input of ``-x`` of
    the waste (its treatment makes ``-1``), so they are not taken for products."""
    fp = path if path.is_file() else path / ds.get("filename", "")
    groups = _es1_groups(fp)
    n = 0
    for e in ds.get("exchanges", []):
        if e.get("type") == "production" and groups.get(e.get("code")) == "out3":
            e["type"], e["amount"] = "technosphere", -e["amount"]
            for k in ("loc", "minimum", "maximum"):
                if isinstance(e.get(k), (int, float)):
                    e[k] = -e[k]
            n += 1
    if n:
        notes.add(
            "converted",
            f"{where}: {n} waste-to-treatment output(s) (outputGroup 3) written as negative "
            "inputs (Brightway's and ecoinvent's waste convention)",
        )


def _es1_allocate(data: list[dict], path: Path, notes: Notes) -> list[dict]:
    """EcoSpold 1 datasets with several products split into one dataset per product by the
    file's ``<allocation referenceToCoProduct fraction>`` elements: each listed exchange
    scaled by the fraction for that product (an exchange an allocation does not list is not
    allocated to that product). EcoSpold 1 says percent; US LCI files write 0..1 (e.g.
    ``fraction="1.0"`` and ``"0.0"`` with "100% ... allocated to acetic acid"): the scale is
    taken from the fractions of each exchange, which must add up to 100 or to 1 (else the
    dataset is refused, naming it). Each product's production edge gets its dataset's
    categories so that bw2io links it to its own dataset."""
    out = []
    for ds in data:
        where = f"{path}: dataset {ds.get('name')!r}"
        _es1_waste_to_treatment(ds, path, where, notes)
        made = [e for e in ds.get("exchanges", []) if e.get("type") == "production"]
        allocs = ds.pop("allocations", None) or []
        if len(made) < 2:
            out.append(ds)
            continue
        if not allocs:
            ref = [e for e in made if e.get("name") == ds.get("name")]
            if len(ref) != 1:
                raise InventoryError(
                    f"{where}: {len(made)} products, none of them its reference function, and "
                    "no <allocation>: allocate it in the source before importing"
                )
            for e in made:
                if e is not ref[0]:
                    notes.add(
                        "dropped",
                        f"{where}: byproduct {e.get('name')!r} {e.get('amount')} {e.get('unit')} "
                        "not written: the file has no <allocation>, so every exchange is taken "
                        "as the reference product's (EcoSpold 1 referenceFunction; the byproduct "
                        "bears no burden)",
                    )
            ds["exchanges"] = [
                e for e in ds["exchanges"] if e.get("type") != "production" or e is ref[0]
            ]
            ref[0]["categories"] = ds.get("categories")
            out.append(ds)
            continue
        share: dict[int, dict[int, float]] = {}
        for a in allocs:
            for number in a["exchanges"]:
                share.setdefault(number, {})[a["reference"]] = a["fraction"]
        totals = {n: sum(f.values()) for n, f in share.items()}
        if all(abs(t - 100) <= 1e-6 * 100 for t in totals.values()):
            scale = 100.0
        elif all(abs(t - 1) <= 1e-6 for t in totals.values()):
            scale = 1.0
        else:
            bad = sorted(n for n, t in totals.items() if abs(t - 100) > 1e-4 and abs(t - 1) > 1e-6)
            raise InventoryError(
                f"{where}: the allocation fractions of exchange(s) {bad[:5]} add up to "
                f"{[totals[n] for n in bad[:5]]}, neither 100 % nor 1"
            )
        numbers = {e.get("code") for e in made}
        factors = []
        for product in made:
            new = {k: v for k, v in ds.items() if k != "exchanges"}
            prod = dict(product, categories=ds.get("categories"))
            new.update(name=prod["name"], unit=prod.get("unit"))
            if prod.get("location"):
                new["location"] = prod["location"]
            excs = [prod]
            for e in ds["exchanges"]:
                if e.get("code") in numbers:
                    continue
                f = share.get(e.get("code"), {}).get(product.get("code"), 0.0) / scale
                from bw2io.utils import rescale_exchange  # lazy: bw2io is heavy

                excs.append(rescale_exchange(dict(e), f))
            new["exchanges"] = excs
            factors.append(f"{prod['name']!r}")
            out.append(new)
        notes.add(
            "converted",
            f"{where}: {len(made)} products ({', '.join(factors)}) allocated by the file's "
            f"own <allocation> fractions (read as {'percent' if scale == 100 else '0..1'})",
        )
    return out


def _read_simapro(proj: Project, path: Path, db_name: str | None, notes: Notes):
    from ._simapro import read_simapro

    with _bw2io():
        return read_simapro(path, db_name, proj.biosphere, notes)


def _read_jsonld(proj: Project, path: Path, db_name: str, notes: Notes):
    from ._jsonld import read_jsonld

    with _bw2io():
        imp = read_jsonld(path, db_name, notes)
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
    _to_product_nodes(proj, imp, others)


def _to_product_nodes(proj: Project, imp, others: list[str]) -> None:
    """An input linked to a *process* of a database with product nodes (openLCA JSON-LD,
    Brightway Excel with product rows) is relinked to the product node that process makes:
    bw2calc's rows are products, and a process of such a database has none of its own."""
    bd = proj.bd
    cache: dict[tuple, tuple | None] = {}
    for ds in imp.data:
        for e in ds.get("exchanges", []):
            key = tuple(e["input"]) if e.get("input") else None
            if (
                not key
                or key[0] not in others
                or e.get("type") not in ("technosphere", "substitution")
            ):
                continue
            if key not in cache:
                node = bd.get_node(database=key[0], code=key[1])
                made = [
                    x.input.key
                    for x in node.production()
                    if x.input.key != node.key and x.input.get("type") == "product"
                ]
                cache[key] = made[0] if len(made) == 1 else None
            if cache[key] is not None:
                e["input"] = cache[key]


def _link_biosphere_by_name(proj: Project, imp, path: Path, notes: Notes) -> None:
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
                    notes.add(
                        "assumed",
                        f"{path}: activity {ds.get('name')!r}: {exc.get('name')!r} has no "
                        f"fossil / biogenic qualifier: linked to {cands[0]['name']!r} "
                        f"{tuple(cands[0]['categories'])} (assumed fossil: it counts with the "
                        "full GWP; --link-biosphere-by-name)",
                    )
                    continue
                notes.add(
                    "linked",
                    f"{path}: activity {ds.get('name')!r}: {exc.get('name')!r} "
                    f"{tuple(exc.get('categories') or ())} linked by name to "
                    f"{cands[0]['name']!r} {tuple(cands[0]['categories'])} "
                    "(--link-biosphere-by-name)",
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
