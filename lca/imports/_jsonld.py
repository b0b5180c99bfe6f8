"""openLCA JSON-LD packages (openLCA 1.x and 2.x exports) read through bw2io's JSON-LD importer.

bw2io 0.9's ``JSONLDImporter`` and its strategies do the mapping (allocation by the factors the
package gives, product nodes, units to the flow's reference unit, internal links by UUID), but
they expect one dialect and fail on what openLCA actually writes:

* openLCA 1.x writes ``"input"``, 2.x ``"isInput"``; bw2io's allocation reads the first and
  its exchange typing the second (``KeyError: 'input'``). Both are set here.
* 1.x categories are objects (``{"@id", "name", "categoryPath"}``), 2.x a path string; bw2io
  splits a string. Objects become the path (``categoryPath`` + ``name``, or the chain of
  ``categories/`` files).
* ``defaultAllocationMethod`` may be missing; a process with allocation factors then uses
  physical allocation if the package gives physical factors, else the one type it gives
  (logged), as openLCA applies the factors it has.
* waste flows: openLCA models a waste treatment as a process whose *input* of a waste flow is
  its reference, and a process that makes waste as one with a waste *output* (linked to the
  treatment). Brightway (and ecoinvent 3) model the same with a negative reference product:
  here each waste exchange changes direction and sign (an input of ``x`` kg becomes an output
  of ``-x`` kg and vice versa) and the waste flow becomes a product, so the treatment's
  production is negative on A's diagonal, as bw2calc handles it.
* a process without a marked ``quantitativeReference`` whose one product output is then its
  reference (logged); several product outputs without allocation factors are refused (naming
  the process), never given to the first one silently;
* a process without a location is ``GLO`` (Brightway's default; logged);
* ``bin/`` (openLCA's gzipped layouts), ``context.json`` and product systems are not data of
  the inventory: ignored (product systems with a note).

Every problem is located: the file (relative to the package), the exchange (``internalId``) and
the field. A product input that no process of the package makes is reported unlinked (it
would otherwise link to a product node nobody produces, leaving the system non-square), so
``--drop-unlinked`` or an installed database can take care of it as for the other formats.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..errors import InventoryError
from ._notes import Notes

log = logging.getLogger(__name__)

#: folders of an openLCA package that hold no inventory data (layouts, calculation setups)
_SKIP_DIRS = {"bin"}
_SKIP_FILES = {"context.json", "olca-schema.json", "layout.json"}
#: what bw2io's JSON-LD strategies raise on a package they cannot map
_MAP_ERRORS = (KeyError, ValueError, AssertionError, TypeError, IndexError, AttributeError)


class _Package:
    """An openLCA package's root folder (a temporary copy for a zip) and its raw objects."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp: Path | None = None
        self.root = path
        if path.is_file():
            self.tmp = Path(tempfile.mkdtemp(prefix="pcf-jsonld-"))
            try:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(self.tmp)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                self.close()
                raise InventoryError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc
            self.root = self.tmp
        if not (self.root / "processes").is_dir():  # an archive or folder with one top folder
            found = sorted(
                p for p in self.root.rglob("processes") if p.is_dir() and "bin" not in p.parts
            )
            if not found:
                self.close()
                raise InventoryError(
                    f"{path}: no processes/ folder (not an openLCA JSON-LD package)"
                )
            self.root = found[0].parent

    def close(self) -> None:
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def where(self, fp: Path) -> str:
        return f"{self.path}: {fp.relative_to(self.root).as_posix()}"

    def load(self) -> dict[str, dict[str, dict]]:
        """``{folder: {stem: object}}`` as bw2io's extractor returns it, each object with its
        ``filename``; a file that is not JSON is named."""
        data: dict[str, dict[str, dict]] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if folder.name in _SKIP_DIRS or folder.name.startswith("."):
                continue
            objs = {}
            for fp in sorted(folder.iterdir()):
                if fp.name in _SKIP_FILES or fp.name.startswith(".") or fp.suffix != ".json":
                    continue
                try:
                    with open(fp, encoding="utf-8") as fh:
                        obj = json.load(fh)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise InventoryError(f"{self.where(fp)} is not readable JSON ({exc})") from None
                if not isinstance(obj, dict):
                    raise InventoryError(f"{self.where(fp)}: not a JSON-LD object")
                obj["filename"] = str(fp)
                objs[fp.stem] = obj
            data[folder.name] = objs
        return data


def read_jsonld(path: Path, db_name: str, notes: Notes):
    """The bw2io importer of an openLCA package, its strategies applied (nothing linked outside
    the package yet). ``notes``: what was assumed or ignored, appended to."""
    from bw2io.importers.json_ld import JSONLDImporter  # lazy on purpose: bw2io is heavy

    pkg = _Package(path)
    try:
        data = pkg.load()
        normalize(pkg, data, notes)
        given = _Given(data)
        importer = type("PackageImporter", (JSONLDImporter,), {"extractor": given})
        try:
            imp = importer(str(pkg.root), db_name)
            imp.apply_strategies(no_warning=True)
        except _MAP_ERRORS as exc:
            raise InventoryError(
                f"{path}: bw2io's JSON-LD strategies cannot map this package "
                f"({type(exc).__name__}: {exc})"
            ) from exc
    finally:
        pkg.close()
    _unlink_unmade_products(imp)
    return imp


class _Given:
    """A stand-in for bw2io's extractor returning data already read and normalised."""

    def __init__(self, data: dict):
        self.data = data

    def extract(self, dirpath, **kwargs) -> dict:
        return self.data


def _category_path(obj: dict, categories: dict[str, dict]) -> str | None:
    cat = obj.get("category")
    if cat is None or isinstance(cat, str):
        return cat
    if not isinstance(cat, dict):
        return None
    if "categoryPath" in cat or "name" in cat:
        parts = list(cat.get("categoryPath") or [])
        if cat.get("name"):
            parts.append(cat["name"])
        if parts and (cat.get("categoryPath") is not None or cat.get("@id") not in categories):
            return "/".join(parts)
    chain, seen, node = [], set(), categories.get(cat.get("@id", ""))
    while node and node.get("@id") not in seen:  # the chain of category files, root last
        seen.add(node.get("@id"))
        chain.append(node.get("name", ""))
        parent = node.get("category")
        node = categories.get(parent.get("@id", "")) if isinstance(parent, dict) else None
    return "/".join(reversed(chain)) or cat.get("name")


def normalize(pkg: _Package, data: dict, notes: Notes) -> None:
    """Bring an openLCA 1.x / 2.x package to the one dialect bw2io's strategies read (module
    doc); raise :class:`InventoryError` naming file, exchange and field."""
    processes = data.get("processes") or {}
    if not processes:
        raise InventoryError(f"{pkg.path}: processes/ holds no process")
    for section in ("flows", "unit_groups", "locations"):
        data.setdefault(section, {})
    categories = data.get("categories", {})
    if data.get("product_systems"):
        notes.add(
            "dropped",
            f"{pkg.path}: {len(data['product_systems'])} product system(s) ignored: the processes are "
            "imported and linked by their flows",
        )
        data["product_systems"] = {}
    flows = data["flows"]
    for section in ("flows", "processes"):
        for obj in data.get(section, {}).values():
            if isinstance(obj.get("category"), dict):
                obj["category"] = _category_path(obj, categories)
            if obj.get("category") is None:
                obj.pop("category", None)
    for flow in flows.values():
        if "flowType" not in flow:
            raise InventoryError(f"{pkg.where(Path(flow['filename']))}: field 'flowType' missing")
        if flow["flowType"] == "WASTE_FLOW":
            flow["flowType"] = "PRODUCT_FLOW"
            flow["pcf_waste_flow"] = True
    units = {
        u.get("@id"): u for g in data["unit_groups"].values() for u in g.get("units", []) or []
    }
    for loc in data["locations"].values():
        loc.setdefault("code", loc.get("@id"))
    for proc in processes.values():
        _normalize_process(pkg, proc, flows, units, notes)


def _normalize_process(pkg, proc: dict, flows: dict, units: dict, notes: Notes) -> None:
    fp = Path(proc["filename"])
    name = proc.get("name", fp.stem)
    if not isinstance(proc.get("exchanges"), list):
        raise InventoryError(f"{pkg.where(fp)}: process {name!r}: field 'exchanges' missing")
    if not isinstance(proc.get("location"), dict) or not proc["location"].get("name"):
        proc["location"] = {"name": "GLO"}
        notes.add("assumed", f"{pkg.where(fp)}: process {name!r} has no location: GLO")
    waste_flipped = 0
    for i, exc in enumerate(proc["exchanges"], 1):
        at = f"{pkg.where(fp)}: process {name!r}, exchange {exc.get('internalId', i)}"
        flow = exc.get("flow")
        if not isinstance(flow, dict) or not flow.get("@id"):
            raise InventoryError(f"{at}: field 'flow' missing or without '@id'")
        at += f" ({flow.get('name')!r})"
        known = flows.get(flow["@id"])
        if known is not None:
            flow["flowType"] = known["flowType"]  # waste flows are products from here on
            if known.get("pcf_waste_flow"):
                flow["pcf_waste_flow"] = True
        elif "flowType" not in flow:
            raise InventoryError(f"{at}: field 'flowType' missing and no flows/ file for it")
        elif flow["flowType"] == "WASTE_FLOW":
            flow["flowType"], flow["pcf_waste_flow"] = "PRODUCT_FLOW", True
        amount = exc.get("amount")
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            raise InventoryError(f"{at}: field 'amount' is {amount!r}, not a number")
        unit = exc.get("unit")
        if not isinstance(unit, dict) or unit.get("@id") not in units:
            raise InventoryError(
                f"{at}: field 'unit' {unit.get('name') if isinstance(unit, dict) else unit!r} "
                "is in no unit group of the package (unit_groups/)"
            )
        factor = units[unit["@id"]].get("conversionFactor", 1.0)
        if not units[unit["@id"]].get("referenceUnit") and factor != 1.0:
            notes.add(
                "converted",
                f"{at}: {amount!r} {unit.get('name')} converted to the reference unit of its "
                f"unit group (x {factor!r})",
            )
        is_input = bool(exc.get("isInput", exc.get("input", False)))
        if flow.get("pcf_waste_flow"):
            is_input, exc["amount"] = not is_input, -amount
            waste_flipped += 1
        exc["isInput"] = exc["input"] = is_input
    if waste_flipped:
        notes.add(
            "converted",
            f"{pkg.where(fp)}: process {name!r}: {waste_flipped} waste exchange(s) turned into "
            "negative products (Brightway's waste convention)",
        )
    outputs = [
        e for e in proc["exchanges"] if e["flow"]["flowType"] == "PRODUCT_FLOW" and not e["isInput"]
    ]
    refs = [e for e in proc["exchanges"] if e.get("quantitativeReference")]
    if not refs:
        if len(outputs) != 1:
            raise InventoryError(
                f"{pkg.where(fp)}: process {name!r} has no quantitativeReference and "
                f"{len(outputs)} product outputs: mark its reference flow"
            )
        outputs[0]["quantitativeReference"] = True
        notes.add(
            "assumed",
            f"{pkg.where(fp)}: process {name!r} has no quantitativeReference: its one product "
            f"output {outputs[0]['flow'].get('name')!r} taken as reference",
        )
    factors = proc.get("allocationFactors") or []
    if len(outputs) > 1 and not factors:
        raise InventoryError(
            f"{pkg.where(fp)}: process {name!r} has {len(outputs)} product outputs "
            f"({', '.join(repr(e['flow'].get('name')) for e in outputs[:5])}) and no "
            "allocationFactors: allocate it in openLCA (or give the factors) before importing"
        )
    if factors:
        kinds = sorted({f.get("allocationType") for f in factors})
        method = proc.get("defaultAllocationMethod")
        if method not in kinds:
            chosen = "PHYSICAL_ALLOCATION" if "PHYSICAL_ALLOCATION" in kinds else kinds[0]
            if len(kinds) > 1 and chosen != "PHYSICAL_ALLOCATION":
                raise InventoryError(
                    f"{pkg.where(fp)}: process {name!r}: field 'defaultAllocationMethod' is "
                    f"{method!r} and the factors are of {len(kinds)} types ({', '.join(kinds)})"
                )
            proc["defaultAllocationMethod"] = chosen
            notes.add(
                "assumed",
                f"{pkg.where(fp)}: process {name!r}: defaultAllocationMethod {method!r} has no "
                f"factors; {chosen} used (the factors the package gives)",
            )
        if len(outputs) > 1:
            notes.add(
                "converted",
                f"{pkg.where(fp)}: process {name!r}: {len(outputs)} products allocated by its "
                f"{proc['defaultAllocationMethod']} factors (openLCA's allocationFactors)",
            )
        products = {e["flow"]["@id"] for e in outputs}
        for f in factors:
            if f.get("allocationType") == proc["defaultAllocationMethod"] and (
                (f.get("product") or {}).get("@id") not in products
            ):
                raise InventoryError(
                    f"{pkg.where(fp)}: process {name!r}: allocation factor for "
                    f"{(f.get('product') or {}).get('name')!r}, which is not a product output"
                )


def _unlink_unmade_products(imp) -> None:
    """Product nodes no process of the package makes are not written; inputs that linked to
    them are left unlinked (reported, or linked to an installed database, by the caller)."""
    made = {
        tuple(e["input"])
        for ds in imp.data
        if ds.get("type") != "product"
        for e in ds.get("exchanges", [])
        if e.get("type") == "production" and e.get("input")
    }
    for ds in imp.data:
        if ds.get("type") == "product":
            continue
        for e in ds.get("exchanges", []):
            linked = e.get("input") and tuple(e["input"]) in made
            if e.get("type") in ("technosphere", "substitution") and e.get("input") and not linked:
                e.pop("input")
    imp.data = [
        ds for ds in imp.data if ds.get("type") != "product" or (imp.db_name, ds["code"]) in made
    ]
