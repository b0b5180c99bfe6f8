"""Emission factors of a plant's sources: the factor map and its resolution to Brightway activities.

Factors are never typed into code: every fuel, grid region, instrument and material of a plant's
activity data is resolved, through the factor map ``inventories/factory/factor-map.csv`` (or a
``database|code`` key given directly), to a Brightway activity in the project, and its emissions
are characterised with the chosen method (default IPCC 2021 GWP100):

- fuels, grids, heat, instruments: the activity's **direct** elementary flows × CFs, by gas
  (:meth:`FactorResolver.direct`);
- process gases: the biosphere flow named in ``item`` (exact flow name, or a short label such
  as ``HFC-134a``, ``SF6``, ``CO2`` → the fossil flow) × its CF (:meth:`FactorResolver.gas`);
- purchased goods (scope 3, category 1): the activity's cradle-to-gate footprint
  (:class:`lca.footprint.FootprintEngine`, :meth:`FactorResolver.cradle_to_gate`).
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lca import methods
from lca.data import inventories_dir
from lca.errors import UnknownMethod
from lca.footprint import FootprintEngine
from lca.project import Project
from lca.units import convert_or_none, pint_name
from lca.workflows import ensure_inventories

from .inputs import FactoryInputError, MissingUnit, Record, UnknownFactoryItem

FACTORY_DIR = inventories_dir() / "factory"
FACTOR_MAP = FACTORY_DIR / "factor-map.csv"
EXAMPLE_PLANT = FACTORY_DIR / "example-lfp-cell-plant.csv"
# pcf-background holds every grid, residual-mix proxy and fuel factor the map uses (one source of
# truth); pcf-factory-factors holds only what pcf-background lacks (the renewable-instrument rate).
FACTOR_FILES = (
    inventories_dir() / "background" / "pcf-background.csv",
    inventories_dir() / "background" / "pcf-factory-factors.csv",
)

Key = tuple[str, str]


def load_factor_map(path: str | os.PathLike | None = None) -> dict[tuple[str, str], dict]:
    """The factor map: ``(kind, id) -> row`` (kinds: grid, fuel, heat, instrument, onsite,
    material). Columns are documented in ``inventories/factory/README.md``.

    Raises
    ------
    FactoryInputError
        The map file does not exist.
    """
    path = Path(path) if path else FACTOR_MAP
    if not path.exists():
        raise FactoryInputError(path, None, None, "factor map not found")
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            row = {k: (v or "").strip() for k, v in row.items()}
            row["_row"], row["_path"] = i, str(path)
            out[(row["kind"], row["id"])] = row
    return out


def ensure_factor_databases(project: Project) -> list[str]:
    """Import the factor databases the factory module needs, unless already current."""
    return ensure_inventories(project, list(FACTOR_FILES))


@dataclass(frozen=True)
class Factor:
    """Characterised emissions of one unit of a Brightway activity (kg CO2e by gas)."""

    key: Key
    name: str
    unit: str  # Brightway unit name
    by_gas: dict

    @property
    def total(self) -> float:
        return sum(self.by_gas.values())


class FactorResolver:
    """Resolves layout items to Brightway activities and characterises them (cached).

    Raises
    ------
    UnknownMethod
        ``method`` is not a method of the project.
    """

    def __init__(self, project: Project, method=None, factor_map=None, path: str = ""):
        self.project = project
        self.method = methods.resolve(method)
        bd = project.bd
        if self.method not in bd.methods:
            raise UnknownMethod(self.method, methods.ALIASES)
        self.map = factor_map if isinstance(factor_map, dict) else load_factor_map(factor_map)
        self.path = path  # the activity-data file, named in errors
        self._cf: dict[int, float] | None = None
        self._direct: dict[Key, Factor] = {}
        self._engine: FootprintEngine | None = None
        self._flows: dict[str, tuple] | None = None

    @property
    def unit(self) -> str:
        return self.project.bd.methods.get(self.method, {}).get("unit", "kg CO2-Eq")

    def cfs(self) -> dict[int, float]:
        if self._cf is None:
            bd = self.project.bd
            cf: dict[int, float] = defaultdict(float)
            for flow, amount, *_ in bd.Method(self.method).load():
                fid = flow if isinstance(flow, int) else bd.get_id(tuple(flow))
                cf[fid] += float(amount["amount"] if isinstance(amount, dict) else amount)
            self._cf = dict(cf)
        return self._cf

    def entry(self, kind: str, rec: Record, column: str = "item") -> dict:
        """The map row for a record's item (or region); ``database|code`` passes through.

        Raises
        ------
        UnknownFactoryItem
            The item is not in the map.
        """
        ident = getattr(rec, column)
        if "|" in ident:
            db, code = ident.split("|", 1)
            return {
                "kind": kind,
                "id": ident,
                "database": db,
                "code": code,
                "residual_database": "",
                "residual_code": "",
                "ncv_mj_per_kg": "",
                "renewable": "",
                "_row": None,
            }
        hit = self.map.get((kind, ident))
        if hit is None:
            known = sorted(i for k, i in self.map if k == kind)
            raise UnknownFactoryItem(
                self.path,
                rec.row,
                column,
                f"unknown {kind} {ident!r}; known: {', '.join(known) or 'none'} "
                "(or give a Brightway key as database|code)",
            )
        return hit

    def node(self, key: Key, rec: Record, column: str):
        """The Brightway activity ``key``; :class:`UnknownFactoryItem` if not in the project."""
        bd = self.project.bd
        try:
            if key[0] not in bd.databases:
                raise KeyError(key[0])
            return bd.get_node(database=key[0], code=key[1])
        except Exception as exc:
            if isinstance(exc, KeyError) or type(exc).__name__ in ("UnknownObject", "DoesNotExist"):
                raise UnknownFactoryItem(
                    self.path,
                    rec.row,
                    column,
                    f"{rec.section} {getattr(rec, column)!r} maps to {key[0]}|{key[1]}, which is "
                    "not in the project (import inventories/background first)",
                ) from None
            raise

    def direct(self, key: Key, rec: Record, column: str = "item") -> Factor:
        """Direct emissions of one unit of an activity: its biosphere exchanges × CFs, by gas."""
        if key not in self._direct:
            node = self.node(key, rec, column)
            cf = self.cfs()
            by_gas: dict[str, float] = defaultdict(float)
            for exc in node.biosphere():
                flow = exc.input
                c = cf.get(flow.id)
                if c:
                    by_gas[methods.gas_of(flow["name"])] += float(exc["amount"]) * c
            self._direct[key] = Factor(key, node["name"], node.get("unit", ""), dict(by_gas))
        return self._direct[key]

    def cradle_to_gate(self, key: Key, amount: float, rec: Record) -> Factor:
        """Cradle-to-gate footprint of ``amount`` of an activity (FootprintEngine), by gas."""
        node = self.node(key, rec, "item")
        if self._engine is None:
            self._engine = FootprintEngine(self.project)
        r = self._engine.footprint(node.key, self.method, amount=amount)
        return Factor(node.key, node["name"], node.get("unit", ""), dict(r.by_gas))

    def gas(self, rec: Record) -> tuple[Key, str, float]:
        """(flow key, gas label, CF) of a process gas: exact flow name in air, else short label.

        Raises
        ------
        UnknownFactoryItem
            The gas is not a characterised air emission of the method.
        """
        if self._flows is None:
            self._flows = self._gas_flows()
        hit = self._flows.get(rec.item.lower())
        if hit is None:
            raise UnknownFactoryItem(
                self.path,
                rec.row,
                "item",
                f"gas {rec.item!r} is not a characterised air emission in {'|'.join(self.method)}"
                " (give the biosphere flow name, e.g. 'Ethane, 1,1,1,2-tetrafluoro-, HFC-134a', or "
                "a label such as HFC-134a, SF6, CO2; split blends such as R-410A into components)",
            )
        return hit

    def _gas_flows(self) -> dict[str, tuple]:
        bd, cf = self.project.bd, self.cfs()
        flows: dict[str, tuple] = {}
        labels: dict[str, list] = defaultdict(list)
        for fl in bd.Database(self.project.biosphere):
            if tuple(fl.get("categories") or ()) == ("air",) and cf.get(fl.id):
                flows[fl["name"].lower()] = (fl.key, methods.gas_of(fl["name"]), cf[fl.id])
                labels[methods.gas_of(fl["name"]).lower()].append(fl)
                # the trade name ends the biosphere name ("Methane, tetrafluoro-, R-14"): also a
                # label, as a plant's records may name a PFC by it rather than its formula (CF4)
                tail = fl["name"].rsplit(",", 1)[-1].strip()
                label = methods.gas_of(fl["name"])
                if re.match(r"^(HFC|CFC|HCFC|PFC|R)-\w", tail) and tail != label:
                    labels[tail.lower()].append(fl)
        for label, fls in labels.items():
            if len(fls) > 1:  # CO2, CH4: the fossil flow (process emissions are fossil)
                fls = [f for f in fls if f["name"].lower().endswith(", fossil")]
            if len(fls) == 1 and label not in flows:
                f = fls[0]
                flows[label] = (f.key, methods.gas_of(f["name"]), cf[f.id])
        return flows

    def amount_in(self, rec: Record, bw_unit: str, ncv: str = "") -> float:
        """A record's amount in a dataset's Brightway unit (a fuel's mass through its NCV).

        Raises
        ------
        MissingUnit
            The record's unit cannot be converted to ``bw_unit``.
        """
        if pint_name(bw_unit) is None:
            if rec.unit.strip().lower() == bw_unit.lower():
                return rec.amount
            raise MissingUnit(
                self.path,
                rec.row,
                "unit",
                f"unit {rec.unit!r} cannot be converted to the dataset's {bw_unit!r}",
            )
        v = convert_or_none(rec.amount, rec.unit, bw_unit)
        if v is None and ncv and pint_name(bw_unit) == "megajoule":
            kg = convert_or_none(rec.amount, rec.unit, "kilogram")
            if kg is not None:
                return kg * float(ncv)
        if v is None:
            extra = " or a mass (kg, t; converted with the map's NCV)" if ncv else ""
            raise MissingUnit(
                self.path,
                rec.row,
                "unit",
                f"unit {rec.unit!r} cannot be converted to {bw_unit!r}{extra}",
            )
        return v
