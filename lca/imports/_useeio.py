"""US EPA USEEIO (spend-based, environmentally extended input-output) for supplier PCF gaps.

Reads a USEEIO model in the layout of the USEEIO API (``matrix/A.json``, ``matrix/B.json``,
``matrix/C.json``, ``sectors.json``, ``flows.json``, ``indicators.json``, ``demands/``; e.g.
USEEIO v2.1.20-GHG) and offers it two ways:

1. :func:`useeio_intensities`: a spend-based factor table, kg CO2e per USD of each sector's
   output, cradle-to-gate. With the IO direct-requirements matrix ``A_io`` (USD/USD), the
   technosphere in the engine's convention is ``A = I − A_io``, the direct emissions per USD are
   ``e = C B`` and the intensities ``λ = e A⁻¹ = C B (I − A_io)⁻¹`` (USEEIO's ``N`` matrix),
   computed with one factorisation by :func:`lca.maths.intensities`. The GWP factors are the
   model's own (``C``: GWP-AR4-100 for v2.1.20-GHG), so the table reproduces USEEIO's published
   ``N`` exactly; these are the numbers a supply-chain roll-up should use for spend data.
2. :func:`import_useeio`: a Brightway database (one activity per sector, reference product 1 USD,
   technosphere inputs ``A_io``, biosphere exchanges ``B`` linked to biosphere3 flows by the
   documented name map :data:`BIOSPHERE_MAP`), so the engine's IPCC methods characterise it
   (AR6 factors, not USEEIO's AR4). Written through :func:`lca.imports.write_database`
   (temporary database, then rename: all-or-nothing).

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
and "HFCs and PFCs, unspecified" (already in kg CO2e; its factor in the model's ``C`` is 0). The
database import reports them as unlinked and writes nothing unless ``drop_unlinked=True``, which
drops them and logs their share of the model's GHG total (0.014 % of the 2012 US consumption
total for v2.1.20-GHG); the factor table keeps them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InventoryError, UnlinkedExchanges
from ..maths import direct_intensities, intensities, inventory, score, supply
from ..project import Project
from ..solver import factorize
from ._write import ImportReport, Pending, import_lock, write_databases

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "useeio"

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


def _biosphere_keys(proj: Project) -> dict[str, tuple]:
    names = set(BIOSPHERE_MAP.values()) | {BIOGENIC_METHANE}
    keys = {}
    for node in proj.bd.Database(proj.biosphere):
        if node["name"] in names and tuple(node.get("categories", ())) == ("air",):
            keys[node["name"]] = node.key
    return keys


def _flow_target(flow: dict, sector: dict) -> str | None:
    name = BIOSPHERE_MAP.get(flow["flowable"])
    if flow.get("unit") != "kg" or not flow.get("context", "").startswith("emission/air"):
        return None
    if name == "Methane, fossil" and str(sector.get("code", "")).startswith(
        BIOGENIC_METHANE_SECTORS
    ):
        return BIOGENIC_METHANE
    return name


def useeio_datasets(proj: Project, model: USEEIOModel, name: str, drop_unlinked: bool = False):
    """Build the Brightway datasets of ``model`` (nothing written); see :func:`import_useeio`."""
    bio = _biosphere_keys(proj)
    codes = model.sector_ids
    A = model.A_io.tocsc()
    B = model.B.tocsc()
    data, unlinked = {}, {}
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
            flow = model.flows[k]
            target = _flow_target(flow, sec)
            if target in bio:
                exchanges.append(
                    {
                        "input": bio[target],
                        "amount": float(b),
                        "type": "biosphere",
                        "unit": "kilogram",
                    }
                )
            else:
                unlinked.setdefault(flow["flowable"], []).append((j, float(b)))
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
    if unlinked:
        flows = {f["flowable"]: f for f in model.flows}
        share = _unlinked_share(model, unlinked)
        listing = [
            {
                "type": "biosphere",
                "name": f,
                "unit": flows[f].get("unit"),
                "categories": flows[f].get("context"),
                "activity": model.sectors[v[0][0]]["name"]
                + (f" and {len(v) - 1} more sectors" if len(v) > 1 else ""),
            }
            for f, v in sorted(unlinked.items())
        ]
        if not drop_unlinked:
            raise UnlinkedExchanges(
                f"{model.path} (no biosphere3 flow; drop_unlinked=True "
                f"drops them, {share:.3%} of the GHG total)",
                listing,
            )
        log.warning(
            "USEEIO %s: dropped %d flows with no biosphere3 equivalent (%s), %.3f%% of "
            "the model's GHG total",
            model.name,
            len(unlinked),
            ", ".join(sorted(unlinked)),
            100 * share,
        )
    return data


def _unlinked_share(model: USEEIOModel, unlinked: dict) -> float:
    """Share of the first indicator's total for the first demand carried by ``unlinked`` flows."""
    if not model.demands:
        return float("nan")
    y = next(iter(model.demands.values()))
    g = inventory(model.B, supply(model.technosphere, y))
    c = np.asarray(model.C[0], dtype=np.float64)
    total = float(score(c, g))
    idx = [k for k, f in enumerate(model.flows) if f["flowable"] in unlinked]
    return float(score(c[idx], g[idx])) / total if total else float("nan")


def import_useeio(
    proj: Project,
    path: str | os.PathLike,
    name: str = DEFAULT_DATABASE,
    drop_unlinked: bool = False,
    overwrite: bool = True,
) -> ImportReport:
    """Write a USEEIO model as Brightway database ``name`` (one activity per sector, per USD).

    GHG flows link to biosphere3 by :data:`BIOSPHERE_MAP` (module doc). Flows with no
    biosphere3 equivalent raise :class:`UnlinkedExchanges` and nothing is written, unless
    ``drop_unlinked`` (then they are dropped and listed in the log). All-or-nothing.
    """
    with import_lock(proj, path):
        item = pending_useeio(proj, path, name, drop_unlinked=drop_unlinked)
        return write_databases(proj, [item], overwrite=overwrite)[0]


def pending_useeio(
    proj: Project, path: str | os.PathLike, name: str = DEFAULT_DATABASE, drop_unlinked=False
) -> Pending:
    """Read and link a USEEIO model folder; what :func:`import_useeio` writes."""
    model = read_useeio(path)
    data = useeio_datasets(proj, model, name, drop_unlinked=drop_unlinked)
    meta = {
        "format": "USEEIO API JSON",
        "useeio model": model.name,
        "description": f"US EPA {model.name}, spend-based, per USD (2012 USD)",
    }
    return Pending(name, data, meta, source=str(path))
