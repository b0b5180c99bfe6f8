"""SimaPro CSV process exports read with ``bw_simapro_csv`` (the Brightway project's maintained
SimaPro parser), linked with bw2io's offline strategies.

bw2io's own ``SimaProBlockCSVImporter`` wraps the same parser, but its last strategy asks a web
service for unit conversions (``SimaProUnitConverter``: SPARQL over the network), so it is not
used as a whole: the engine imports offline. Its other strategies are applied here in its
order. bw2io's older ``SimaProCSVImporter`` is not used: it kept 1 of 13 exchanges of a waste
treatment and crashed on header-only and method files.

What is read, and how:

* processes: every block (products, avoided products, materials, electricity, waste to
  treatment, emissions, resources, final waste flows...), each product a product node;
  processes with several products are allocated by bw_simapro_csv with the allocation the file
  gives (SimaPro's allocation percentages, the ``multifunctional`` package);
* waste treatments: ``bw_simapro_csv`` gives a treatment a functional *input* of its waste and a
  zero production; written here the ecoinvent way (a production of ``-x`` of the waste, one
  edge), and a process's "Waste to treatment" output of ``x`` becomes an input of ``-x``: the
  same A matrix either way;
* the database name: ``name`` if given, else the file's ``{Project: ...}``, else (a library
  export has none) the file name without extension (logged);
* refused, naming the file and line: method (impact assessment) exports, product-stage exports
  and product stages, waste scenarios, processes without exchanges, header-only files.
"""

from __future__ import annotations

import io
import logging
from functools import partial
from pathlib import Path

from ..errors import InventoryError
from ._notes import Notes

log = logging.getLogger(__name__)

#: technosphere edge kinds bw_simapro_csv writes
_TECHNO = ("technosphere", "substitution")


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # SimaPro writes Windows-1252; ftfy's "sloppy" variant (the codec bw_simapro_csv opens
        # files with) maps its five undefined bytes instead of failing
        import ftfy.bad_codecs  # noqa: F401 - registers the sloppy-windows-* codecs

        return raw.decode("sloppy-windows-1252")


def _header(path: Path, text: str) -> dict:
    from bw_simapro_csv.header import parse_header

    try:
        header, _ = parse_header(io.StringIO(text))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InventoryError(
            f"{path}, line 1: not a readable SimaPro CSV header ({type(exc).__name__}: {exc})"
        ) from exc
    return header.model_dump()


def read_simapro(path: Path, name: str | None, biosphere: str, notes: Notes):
    """A bw2io ``LCIImporter`` holding the file's processes and products, its strategies
    applied (nothing linked outside the file yet)."""
    from bw_simapro_csv import SimaProCSV, SimaProCSVType
    from bw_simapro_csv.blocks import Process
    from loguru import logger

    text = _text(path)
    header = _header(path, text)
    kind = header.get("kind")
    if kind == SimaProCSVType.methods:
        raise InventoryError(
            f"{path}, line 2: a SimaPro method export (impact assessment methods), not an "
            "inventory: export processes from SimaPro to import them"
        )
    if kind == SimaProCSVType.stages:
        raise InventoryError(
            f"{path}, line 2: a SimaPro product-stages export; product stages (assemblies, life "
            "cycles, disposal and waste scenarios) are not imported: export their processes"
        )
    db_name = name or header.get("project") or ""
    if not db_name:
        db_name = path.stem
        notes.add(
            "assumed",
            f"{path}: the file names no SimaPro project (a library export): database named "
            f"{db_name!r} after the file (give --name to choose)",
        )
    # bw_simapro_csv logs through loguru to stderr and to files under the user's log folder;
    # the engine's library code logs through logging only
    logger.remove()
    try:
        spcsv = SimaProCSV(
            io.StringIO(text), database_name=db_name, stderr_logs=False, write_logs=False
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise InventoryError(
            f"{path}: not a readable SimaPro CSV file ({type(exc).__name__}: {exc})"
        ) from exc
    processes = [b for b in spcsv.blocks if isinstance(b, Process)]
    if not processes:
        raise InventoryError(f"{path}: no processes (a header without data?); nothing to import")
    for block in processes:
        meta = block.parsed.get("metadata", {})
        category = str(meta.get("Category type") or "").lower()
        where = f"{path}, process {meta.get('Process name') or meta.get('Process identifier')!r}"
        if category == "waste scenario":
            raise InventoryError(
                f"{where}: a waste scenario (SimaPro splits waste over treatments by fractions), "
                "not imported: model it as a process with its treatments as inputs"
            )
    data = spcsv.to_brightway(separate_products=True)
    datasets = data["processes"] + data["products"]
    for ds in data["processes"]:
        if not ds.get("exchanges"):
            raise InventoryError(
                f"{path}: process {ds.get('name')!r} ({ds.get('code')}) has no exchanges"
            )
        flipped = _waste_convention(ds)
        if flipped:
            notes.add(
                "converted",
                f"{path}: process {ds.get('name')!r}: {flipped} waste exchange(s) written the "
                "ecoinvent way (waste treated: negative production; waste to treatment: "
                "negative input)",
            )
    return _importer(datasets, spcsv.database_name, data["database"], biosphere, path)


def _waste_convention(ds: dict) -> int:
    """bw_simapro_csv's waste edges the ecoinvent way (module doc); how many changed."""
    out, flipped = [], 0
    treatment = any(
        e.get("functional") and e.get("type") == "technosphere" for e in ds["exchanges"]
    )
    for e in ds["exchanges"]:
        placeholder = e.get("type") == "production" and not e.get("functional")
        if treatment and placeholder and not e.get("amount"):
            continue  # the zero production bw_simapro_csv puts next to a treatment's waste input
        if e.get("type") == "technosphere" and e.get("functional"):
            e = dict(e, type="production", amount=-e["amount"])
            flipped += 1
        elif e.get("type") == "production" and not e.get("functional"):  # waste to treatment
            e = dict(e, type="technosphere", amount=-e["amount"])
            flipped += 1
        out.append(e)
    ds["exchanges"] = out
    return flipped


def _context_as_categories(data: list[dict]) -> list[dict]:
    """bw_simapro_csv's ``context`` of an elementary flow as bw2io's ``categories``."""
    for ds in data:
        for e in ds.get("exchanges", []):
            if e.get("type") == "biosphere" and "categories" not in e:
                e["categories"] = tuple(e.get("context") or ())
    return data


def _importer(datasets: list[dict], db_name: str, metadata: dict, biosphere: str, path: Path):
    import bw2data as bd
    from bw2io import strategies as s
    from bw2io.importers.base_lci import LCIImporter

    imp = LCIImporter(db_name)
    imp.data = datasets
    imp.metadata = {k: v for k, v in metadata.items() if k != "name"}
    products = [ds for ds in datasets if ds.get("type") == "product"]
    imp.strategies = [
        _context_as_categories,
        s.set_metadata_using_single_functional_exchange,
        s.drop_unspecified_subcategories,
        s.split_simapro_name_geo,
        s.normalize_units,
        s.normalize_simapro_biosphere_categories,
        s.normalize_simapro_biosphere_names,
        partial(
            s.link_iterable_by_fields,
            other=bd.Database(biosphere),
            edge_kinds=["biosphere"],
            fields=("name", "categories", "unit"),
        ),
        # inputs link to the file's own products (name + unit + location)
        partial(
            s.link_iterable_by_fields,
            other=products,
            edge_kinds=list(_TECHNO),
            fields=("name", "unit", "location"),
        ),
    ]
    try:
        imp.apply_strategies(verbose=False)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise InventoryError(
            f"{path}: bw2io's SimaPro strategies cannot map this file ({type(exc).__name__}: {exc})"
        ) from exc
    for ds in datasets:
        ds.pop("database", None)
        ds["database"] = db_name
        for e in ds.get("exchanges", []):
            if isinstance(e.get("categories"), list):
                e["categories"] = tuple(e["categories"])
    return imp
