"""US EPA USEEIO (spend-based, environmentally extended input-output) for supplier PCF gaps.

Reads a USEEIO model in the layout of the USEEIO API (``matrix/A.json``, ``matrix/B.json``,
``matrix/C.json``, ``sectors.json``, ``flows.json``, ``indicators.json``, ``demands/``; e.g.
USEEIO v2.1.20-GHG) and offers it two ways:

1. :func:`useeio_intensities`: a spend-based factor table, kg CO2e per USD of each sector's
   output, cradle-to-gate. With the IO direct-requirements matrix ``A_io`` (USD/USD), the
   technosphere in the engine's convention is ``A = I − A_io``, the direct emissions per USD are
   ``e = C B`` and the intensities ``λ = e A⁻¹ = C B (I − A_io)⁻¹`` (USEEIO's ``N = C B L``),
   computed with one factorisation by :func:`lca.maths.intensities`.
2. :func:`pending_useeio` / :func:`import_useeio` (``pcf import <model folder>``): the model as
   published, as one Brightway database named after the model (:func:`model_database_name`:
   ``USEEIO v2.1.20-GHG``):

   * one activity per sector, code = the sector id (``327310/US``), reference product 1 USD,
     technosphere inputs ``A_io``;
   * every flow of ``B`` kept: flows with a biosphere3 equivalent (:data:`BIOSPHERE_MAP`) link to
     it, so the engine's IPCC methods characterise them (AR6 factors); the others (HFC-236fa,
     Perfluorocyclobutane, Perfluoropropane, "HFCs and PFCs, unspecified" for v2.1.20-GHG) are
     kept as the model's own elementary flows: nodes of type ``emission`` in the same database,
     code = USEEIO's flow id (``HFC-236fa/emission/air/kg``);
   * the model's characterisation ``C`` installed as one Brightway method per indicator,
     ``(<database>, <indicator name>)``, e.g. ``("USEEIO v2.1.20-GHG", "GWP-AR4-100")``
     (:func:`install_useeio_methods`), with factors on the biosphere3 flows (both methane
     flows get the model's methane factor) and on the model's own flows. With it,
     ``pcf footprint "USEEIO v2.1.20-GHG|327310/US" --method "USEEIO v2.1.20-GHG|GWP-AR4-100"``
     gives USEEIO's published ``N`` for cement (float32 storage in bw2data: ≤ 3e-8 relative).

   Why the model's own flows live in the same database, as ``emission`` nodes, and not in a
   companion biosphere database: bw2data 4 puts a biosphere edge into ``B`` whatever database
   its flow node is in (``biosphere_edge_types``), and never gives a node of a biosphere type an
   implicit production exchange, so bw2calc builds the same square ``A`` and the extra ``B``
   rows; and one database is one :class:`~lca.imports.Pending`, which the importer writes
   all-or-nothing (temporary database renamed into place, rolled back on failure) and leaves
   alone when the folder is unchanged (``digest``). A companion database would be a second
   write the import dispatch cannot express as one step.

   The method's factors point at node ids, and a rewritten database gets new ids: the methods
   are therefore (re)installed after the database is in place (the pending item's
   ``after_write``; see :func:`pending_useeio`) and checked again on every import of the same
   folder (a stale or missing method is rewritten, nothing else).

The biosphere map (USEEIO flowable → biosphere3 flow, all ``('air',)``, kg):

================================  =============================================================
USEEIO flowable                   biosphere3 flow
================================  =============================================================
Carbon dioxide                    Carbon dioxide, fossil (USEEIO's GHG inventory excludes
                                  biogenic CO2 and land-use change)
Methane                           Methane, non-fossil for sectors of NAICS 11 (agriculture,
                                  forestry, fishing) and 562 (waste management: landfills);
                                  Methane, fossil for every other sector
Nitrous oxide                     Dinitrogen monoxide
Carbon tetrafluoride              Methane, tetrafluoro-, R-14
Hexafluoroethane                  Ethane, hexafluoro-, HFC-116
HFC-125 / -134a / -143a / -23     Ethane, pentafluoro-, HFC-125 / Ethane, 1,1,1,2-tetrafluoro-,
/ -32                             HFC-134a / Ethane, 1,1,1-trifluoro-, HFC-143a / Methane,
                                  trifluoro-, HFC-23 / Methane, difluoro-, HFC-32
Nitrogen trifluoride              Nitrogen fluoride
Sulfur hexafluoride               Sulfur hexafluoride
================================  =============================================================

Not in biosphere3 (ecoinvent 3.9 flow list): HFC-236fa, Perfluorocyclobutane, Perfluoropropane,
and "HFCs and PFCs, unspecified" (already in kg CO2e; its factor in the model's ``C`` is 0).
These are the model's own flows above: the model's method characterises them, the IPCC methods
do not (they carry 0.014 % of the model's 2012 US consumption total for v2.1.20-GHG).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InventoryError
from ..maths import direct_intensities, intensities
from ..project import Project
from ..solver import factorize
from ._write import ImportReport, Pending, import_lock, write_databases

log = logging.getLogger(__name__)

#: None: the database is named after the model (:func:`model_database_name`). The import
#: dispatch passes ``name or DEFAULT_DATABASE``, so no name given means the model's own.
DEFAULT_DATABASE: str | None = None

#: USEEIO flowable (emission/air, kg) → biosphere3 flow name (categories ``('air',)``).
BIOSPHERE_MAP: dict[str, str] = {
    "Carbon dioxide": "Carbon dioxide, fossil",
    "Methane": "Methane, fossil",  # "Methane, non-fossil" for BIOGENIC_METHANE_SECTORS
    "Nitrous oxide": "Dinitrogen monoxide",
    "Carbon tetrafluoride": "Methane, tetrafluoro-, R-14",
    "Hexafluoroethane": "Ethane, hexafluoro-, HFC-116",
    "HFC-125": "Ethane, pentafluoro-, HFC-125",
    "HFC-134a": "Ethane, 1,1,1,2-tetrafluoro-, HFC-134a",
    "HFC-143a": "Ethane, 1,1,1-trifluoro-, HFC-143a",
    "HFC-23": "Methane, trifluoro-, HFC-23",
    "HFC-32": "Methane, difluoro-, HFC-32",
    "Nitrogen trifluoride": "Nitrogen fluoride",
    "Sulfur hexafluoride": "Sulfur hexafluoride",
}
#: Sector code prefixes (NAICS) whose methane is biogenic: agriculture etc., waste management.
BIOGENIC_METHANE_SECTORS = ("11", "562")
BIOGENIC_METHANE = "Methane, non-fossil"

#: Database metadata key holding the model's methods (indicator → unit and factors by flow key),
#: from which :func:`install_useeio_methods` writes them once the database is in place.
METHODS_KEY = "useeio methods"
#: Part of the import digest: bump when the layout of the written database changes, so a folder
#: imported by an older version is written again.
_LAYOUT = "useeio-database-2"
#: The files the database and its methods are built from (the digest covers exactly these).
_MODEL_FILES = (
    "sectors.json",
    "flows.json",
    "indicators.json",
    "matrix/A.json",
    "matrix/B.json",
    "matrix/C.json",
)
#: USEEIO units → Brightway's unit names.
_UNITS = {"kg": "kilogram", "kg CO2e": "kilogram CO2-Eq"}


@dataclass
class USEEIOModel:
    """A USEEIO model's matrices and labels (column ``j`` of ``A_io`` and ``B`` is ``sectors[j]``).

    ``A_io``: direct requirements (USD input per USD output); ``B``: flows per USD output;
    ``C``: indicators x flows characterisation factors; ``demands``: name → vector (USD).
    """

    name: str
    path: Path
    sectors: list[dict]
    flows: list[dict]
    indicators: list[dict]
    A_io: sp.csr_matrix
    B: sp.csr_matrix
    C: np.ndarray
    demands: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def technosphere(self) -> sp.csr_matrix:
        """``A = I − A_io``: the technosphere matrix in the engine's sign convention."""
        return (sp.identity(len(self.sectors), format="csr") - self.A_io).tocsr()

    @property
    def sector_ids(self) -> list[str]:
        return [s["id"] for s in self.sectors]


def _load(path: Path, rel: str):
    fp = path / rel
    if not fp.exists():
        raise InventoryError(f"{fp}: missing (not a USEEIO model folder in the USEEIO API layout)")
    try:
        with open(fp, encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{fp}: cannot read as JSON ({exc})") from exc


def is_useeio_folder(path: str | os.PathLike) -> bool:
    """True if ``path`` looks like a USEEIO model folder (``matrix/A.json`` and ``sectors.json``)."""
    path = Path(path)
    return (path / "matrix" / "A.json").is_file() and (path / "sectors.json").is_file()


def read_useeio(path: str | os.PathLike) -> USEEIOModel:
    """Read a USEEIO model folder (USEEIO API layout); check shapes and values.

    Raises
    ------
    InventoryError
        Naming the file that is missing, unreadable or of the wrong shape.
    """
    path = Path(path)
    if not path.is_dir():
        raise InventoryError(f"{path}: no such USEEIO model folder")
    sectors = sorted(_load(path, "sectors.json"), key=lambda s: s["index"])
    flows = sorted(_load(path, "flows.json"), key=lambda f: f["index"])
    indicators = sorted(_load(path, "indicators.json"), key=lambda i: i["index"])
    n, k = len(sectors), len(flows)
    mats = {}
    for key, shape in (("A", (n, n)), ("B", (k, n)), ("C", (len(indicators), k))):
        raw = _load(path, f"matrix/{key}.json")
        try:
            arr = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InventoryError(f"{path / 'matrix' / (key + '.json')}: not a matrix ({exc})")
        if arr.shape != shape or not np.isfinite(arr).all():
            raise InventoryError(
                f"{path / 'matrix' / (key + '.json')}: expected a finite {shape[0]}x{shape[1]} "
                f"matrix, got shape {arr.shape}"
            )
        mats[key] = arr
    index = {s["id"]: s["index"] for s in sectors}
    demands = {}
    for d in _load(path, "demands.json") if (path / "demands.json").exists() else []:
        fp = f"demands/{d['id']}.json"
        if (path / fp).exists():
            y = np.zeros(n)
            for row in _load(path, fp):
                y[index[row["sector"]]] += row["amount"]
            demands[d["id"]] = y
    return USEEIOModel(
        name=path.name,
        path=path,
        sectors=sectors,
        flows=flows,
        indicators=indicators,
        A_io=sp.csr_matrix(mats["A"]),
        B=sp.csr_matrix(mats["B"]),
        C=mats["C"],
        demands=demands,
    )


def useeio_intensities(model: USEEIOModel | str | os.PathLike) -> pd.DataFrame:
    """Spend-based cradle-to-gate factors of every sector: ``λ = C B (I − A_io)⁻¹``.

    One factorisation of ``A = I − A_io`` and one adjoint solve per indicator
    (:func:`lca.maths.intensities`). Equals USEEIO's published ``N`` matrix.

    Returns
    -------
    DataFrame
        One row per sector, in the model's order. Columns: ``sector`` (USEEIO id, e.g.
        ``"221100/US"``), ``code``, ``name``, ``location``, then per indicator ``<code>``
        (cradle-to-gate, e.g. ``GHG`` in kg CO2 eq per USD) and ``<code>_direct`` (the
        sector's own emissions per USD, ``C B``). ``attrs["units"]`` maps columns to units.
    """
    if not isinstance(model, USEEIOModel):
        model = read_useeio(model)
    e = np.atleast_2d(direct_intensities(model.C, model.B))
    fact = factorize(model.technosphere, labels=model.sector_ids)
    lam = np.atleast_2d(intensities(fact, e))
    df = pd.DataFrame(
        {
            "sector": model.sector_ids,
            "code": [s.get("code") for s in model.sectors],
            "name": [s.get("name") for s in model.sectors],
            "location": [s.get("location") for s in model.sectors],
        }
    )
    units = {}
    for i, ind in enumerate(model.indicators):
        code = ind.get("code") or ind["id"]
        df[code] = lam[i]
        df[f"{code}_direct"] = e[i]
        units[code] = units[f"{code}_direct"] = f"{ind.get('unit', '?')} per USD"
    df.attrs["units"] = units
    return df


def model_database_name(model: USEEIOModel | str | os.PathLike) -> str:
    """The database name of a model: its folder name, ``USEEIO`` and version set apart as the
    model's documentation writes it (``USEEIOv2.1.20-GHG`` → ``USEEIO v2.1.20-GHG``).

    >>> model_database_name("models/USEEIOv2.1.20-GHG")
    'USEEIO v2.1.20-GHG'
    """
    folder = model.name if isinstance(model, USEEIOModel) else Path(model).name
    m = re.fullmatch(r"(USEEIO)[ _-]?(v\d.*)", folder, flags=re.IGNORECASE)
    return f"USEEIO {m.group(2)}" if m else folder


def _biosphere_keys(proj: Project) -> dict[str, tuple]:
    names = set(BIOSPHERE_MAP.values()) | {BIOGENIC_METHANE}
    keys = {}
    for node in proj.bd.Database(proj.biosphere):
        if node["name"] in names and tuple(node.get("categories", ())) == ("air",):
            keys[node["name"]] = node.key
    return keys


def _flow_target(flow: dict, sector: dict) -> str | None:
    """The biosphere3 flow name of ``flow`` emitted by ``sector`` (None: no equivalent)."""
    name = BIOSPHERE_MAP.get(flow["flowable"])
    if flow.get("unit") != "kg" or not flow.get("context", "").startswith("emission/air"):
        return None
    if name == "Methane, fossil" and str(sector.get("code", "")).startswith(
        BIOGENIC_METHANE_SECTORS
    ):
        return BIOGENIC_METHANE
    return name


def _own_flow(flow: dict, name: str) -> dict:
    """The model's own elementary flow (no biosphere3 equivalent) as an ``emission`` node."""
    context = [p for p in str(flow.get("context", "")).split("/") if p]
    if context[:1] == ["emission"]:  # USEEIO's "emission/air" is biosphere3's ('air',)
        context = context[1:]
    unit = flow.get("unit") or ""
    return {
        "name": flow["flowable"],
        "unit": _UNITS.get(unit, unit),
        "categories": tuple(context) or ("air",),
        "type": "emission",
        "code": flow["id"],
        "database": name,
        "comment": f"USEEIO flow {flow['id']} (no biosphere3 equivalent); unit {unit}",
        "useeio flow": flow["id"],
        "useeio uuid": flow.get("uuid"),
    }


def useeio_datasets(
    proj: Project, model: USEEIOModel, name: str
) -> tuple[dict, dict[str, dict[str, object]]]:
    """Build the Brightway datasets of ``model`` and its methods (nothing written).

    Returns ``(data, methods)``: bw2data's ``{(name, code): dataset}`` (sectors, then the
    model's own flows) and, per indicator name, ``{"unit", "code", "cfs"}`` with ``cfs`` a list
    of ``[database, code, factor]`` (what :func:`install_useeio_methods` writes).

    Raises
    ------
    InventoryError
        Two of the model's flows link to one biosphere3 flow with different factors (the
        method could not hold both).
    """
    bio = _biosphere_keys(proj)
    codes = model.sector_ids
    A = model.A_io.tocsc()
    B = model.B.tocsc()
    used: dict[int, set[tuple]] = {k: set() for k in range(len(model.flows))}
    for k, flow in enumerate(model.flows):  # the default target, even if no sector emits it
        target = BIOSPHERE_MAP.get(flow["flowable"])
        if _flow_target(flow, {}) == target and target in bio:
            used[k].add(bio[target])
    own: dict[int, tuple] = {}
    data = {}
    for j, sec in enumerate(model.sectors):
        exchanges = [
            {"input": (name, codes[j]), "amount": 1.0, "type": "production", "unit": "USD"}
        ]
        col = slice(A.indptr[j], A.indptr[j + 1])
        for i, a in zip(A.indices[col], A.data[col]):
            exchanges.append(
                {
                    "input": (name, codes[i]),
                    "amount": float(a),
                    "type": "technosphere",
                    "unit": "USD",
                }
            )
        col = slice(B.indptr[j], B.indptr[j + 1])
        for k, b in zip(B.indices[col], B.data[col]):
            target = _flow_target(model.flows[k], sec)
            key = bio.get(target) if target else None
            if key is None:
                key = own.setdefault(int(k), (name, model.flows[k]["id"]))
            used[int(k)].add(key)
            exchanges.append({"input": key, "amount": float(b), "type": "biosphere"})
        data[(name, codes[j])] = {
            "name": sec["name"],
            "reference product": sec["name"],
            "unit": "USD",
            "location": sec.get("location") or "US",
            "code": codes[j],
            "type": "process",
            "comment": sec.get("description", ""),
            "useeio sector": sec["id"],
            "exchanges": exchanges,
        }
    for k, flow in enumerate(model.flows):  # every flow kept, emitted by a sector or not
        if not used[k]:
            own[k] = (name, flow["id"])
            used[k] = {own[k]}
    for k, key in sorted(own.items()):
        data[key] = _own_flow(model.flows[k], name)
    if own:
        log.info(
            "USEEIO %s: %d flow(s) with no biosphere3 equivalent kept as the model's own "
            "elementary flows: %s",
            model.name,
            len(own),
            ", ".join(model.flows[k]["flowable"] for k in sorted(own)),
        )
    return data, _methods(model, used)


def _methods(model: USEEIOModel, used: dict[int, set[tuple]]) -> dict[str, dict[str, object]]:
    out = {}
    for i, ind in enumerate(model.indicators):
        cfs: dict[tuple, tuple[float, str]] = {}
        for k, flow in enumerate(model.flows):
            cf = float(model.C[i, k])
            for key in used[k]:
                seen = cfs.setdefault(key, (cf, flow["flowable"]))
                if seen[0] != cf:
                    raise InventoryError(
                        f"{model.path / 'matrix' / 'C.json'}: indicator {ind['name']!r}: flows "
                        f"{seen[1]!r} and {flow['flowable']!r} both link to {key} with "
                        f"different factors ({seen[0]:g}, {cf:g})"
                    )
        out[ind["name"]] = {
            "unit": ind.get("unit", ""),
            "code": ind.get("code", ""),
            "cfs": [[db, code, cf] for (db, code), (cf, _) in sorted(cfs.items())],
        }
    return out


def _digest(model: USEEIOModel, name: str, biosphere: str) -> str:
    """SHA-256 of the model files the database is built from, the name and the layout."""
    h = hashlib.sha256(f"{_LAYOUT}|{name}|{biosphere}".encode())
    for rel in _MODEL_FILES:
        h.update(f"|{rel}|".encode())
        h.update((model.path / rel).read_bytes())
    return h.hexdigest()


def install_useeio_methods(proj: Project, database: str) -> list[tuple[str, str]]:
    """Write the model's methods recorded in ``database``'s metadata (:data:`METHODS_KEY`) as
    Brightway methods ``(database, indicator name)``; call it once the database is in place.

    Idempotent: a method whose factors already point at the database's current nodes is left
    as it is; a missing or stale one (the database was written again since: new node ids) is
    rewritten. Returns the methods written or checked.
    """
    from ..methods import _write_method  # the registry's writer: deregisters a failed write

    bd = proj.bd
    spec = bd.databases.get(database, {}).get(METHODS_KEY) or {}
    done = []
    for indicator, m in spec.items():
        method = (database, indicator)
        try:
            data = [
                (bd.get_node(database=db, code=code).id, float(cf)) for db, code, cf in m["cfs"]
            ]
        except Exception as exc:  # bw2data's UnknownObject / DoesNotExist
            raise InventoryError(
                f"{database}: method {indicator!r} names a flow missing from the project ({exc})"
            ) from exc
        current = bd.Method(method)
        if (
            method in bd.methods
            and current.filepath_processed().exists()
            and sorted((int(f), float(cf)) for f, cf, *_ in current.load()) == sorted(data)
        ):
            done.append(method)
            continue
        _write_method(
            bd,
            method,
            data,
            m.get("unit") or "",
            f"{database}'s own characterisation (matrix C, indicator {indicator}); factors "
            "only on the flows the model's database uses: meant for that database",
        )
        log.info("installed method %s (%d factors)", method, len(data))
        done.append(method)
    return done


def import_useeio(
    proj: Project,
    path: str | os.PathLike,
    name: str | None = DEFAULT_DATABASE,
    overwrite: bool = True,
) -> ImportReport:
    """Write a USEEIO model as Brightway database ``name`` (default: the model's own,
    :func:`model_database_name`) with its methods; what ``pcf import <folder>`` does.

    All-or-nothing for the database (:func:`lca.imports.write_databases`); an unchanged folder
    is not written again. The methods are installed once the database is in place.
    """
    with import_lock(proj, path):
        item = pending_useeio(proj, path, name)
        report = write_databases(proj, [item], overwrite=overwrite)[0]
        install_useeio_methods(proj, report.database)
        return report


def pending_useeio(
    proj: Project,
    path: str | os.PathLike,
    name: str | None = DEFAULT_DATABASE,
    drop_unlinked: bool = False,
) -> Pending:
    """Read and link a USEEIO model folder; what :func:`import_useeio` writes.

    ``name``: the database name (None: :func:`model_database_name`). ``drop_unlinked`` is
    accepted for the import dispatch and changes nothing: every flow links (to biosphere3 or
    to the model's own flow node). The returned item's ``after_write`` installs the model's
    methods (:func:`install_useeio_methods`); a writer calls it once the database is in place.
    When the project already holds this very folder under ``name`` (same digest: the write will
    leave it alone), the methods are checked and, if missing or stale, rewritten right here.
    Call it holding the project's write lock.
    """
    model = read_useeio(path)
    name = name or model_database_name(model)
    if drop_unlinked:
        log.info("USEEIO %s: --drop-unlinked has no effect: every flow is kept", model.name)
    data, methods = useeio_datasets(proj, model, name)
    meta = {
        "format": "USEEIO API JSON",
        "useeio model": model.name,
        "description": f"US EPA {model.name}, spend-based, per USD (2012 USD)",
        METHODS_KEY: methods,
    }
    digest = _digest(model, name, proj.biosphere)
    item = Pending(name, data, meta, source=str(path), digest=digest)
    item.after_write = lambda: install_useeio_methods(proj, name)
    if proj.bd.databases.get(name, {}).get("pcf_source_sha256") == digest:
        install_useeio_methods(proj, name)
    return item
