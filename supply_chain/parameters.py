"""Product parameters: the few inputs a user actually changes (grid region, recycled content,
yield, distance, ...), declared beside an inventory and applied in one call.

A product file ``inventories/products/<name>.csv`` may have a sidecar ``<name>.params.yaml``: a
list of parameters, each changing exchanges of the product's own activities (its
``consumers``) in a copy of the matrices, never in the Brightway database. Three kinds, each
translated into the scenario changes of :mod:`supply_chain.scenarios` (one change mechanism):

``supplier``
    The consumers buy what they now buy from ``default`` from the activity ``value``
    (``"database|code"``, same unit) instead: a :class:`~supply_chain.scenarios.ReplaceSupplier`
    with share 1. Grid region, a supplier-specific electricity contract, a cell chemistry.
``share``
    ``value`` ∈ [0, 1] is the fraction of each consumer's combined input from ``primary`` and
    ``secondary`` that comes from ``secondary`` (recycled content). With stored amounts
    ``P`` and ``S`` the stored share is ``r₀ = S/(P+S)`` (checked against ``default``); moving
    to ``r > r₀`` replaces ``(r−r₀)/(1−r₀)`` of ``P`` by ``secondary``, to ``r < r₀`` replaces
    ``(r₀−r)/r₀`` of ``S`` by ``primary``, so that ``S' = r (P+S)`` and the mass is unchanged.
``scale``
    The listed ``inputs`` (activities or elementary flows) of the consumers are multiplied by
    ``value/default`` (a distance, a specific energy use), or by ``default/value`` with
    ``inverse: true`` (a yield: inputs per good output go as 1/yield). An input a consumer does
    not have is skipped for that consumer; each input must occur in at least one consumer.

Parameters are applied in the order scale, share, supplier, each on the matrices the previous
one left, so that e.g. a lower yield followed by a grid switch moves the *scaled* electricity.

>>> p = Parameter(name="yield", kind="scale", consumers=["db|a"], inputs=["db|b"], default=0.9,
...               inverse=True)
>>> round(p.factor(0.75), 6)
1.2
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lca.data import inventories_dir
from lca.files import parse_number, read_text
from lca.inventory_docs import database_of

from .errors import ParameterError, ScenarioError
from .levers import apply_changes
from .scenarios import ReplaceSupplier, ScaleExchange, Scenario, as_key, flow_rows, scenario_changes

log = logging.getLogger(__name__)

Key = tuple[str, str]
SUFFIX = ".params.yaml"
_ORDER = {"scale": 0, "share": 1, "supplier": 2}


class Parameter(BaseModel):
    """One declared parameter (see module doc); keys are ``"database|code"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    kind: Literal["supplier", "share", "scale"]
    description: str = ""
    consumers: tuple[str, ...] = Field(min_length=1)
    default: str | float
    primary: str | None = None
    secondary: str | None = None
    inputs: tuple[str, ...] = ()
    inverse: bool = False
    min: float | None = None
    max: float | None = None
    unit: str = ""
    source: str = ""
    where: str = ""  # the file it was read from (set by the loader)

    @model_validator(mode="after")
    def _check(self):
        for k in (*self.consumers, *self.inputs, self.primary, self.secondary):
            if k is not None:
                as_key(k)
        if self.kind == "supplier":
            if not isinstance(self.default, str):
                raise ValueError("a supplier parameter's default is an activity 'database|code'")
            as_key(self.default)
        else:
            if isinstance(self.default, str) or not math.isfinite(self.default):
                raise ValueError(f"a {self.kind} parameter's default is a finite number")
        if self.kind == "share":
            if not (self.primary and self.secondary):
                raise ValueError("a share parameter needs 'primary' and 'secondary'")
            if not 0.0 <= float(self.default) <= 1.0:
                raise ValueError("a share is between 0 and 1")
        if self.kind == "scale":
            if not self.inputs:
                raise ValueError("a scale parameter needs 'inputs'")
            if float(self.default) <= 0:
                raise ValueError("a scale parameter's default is positive")
        if self.kind != "supplier":
            self._check_numbers()
        return self

    def _check_numbers(self) -> None:
        """``default``, ``min`` and ``max`` by the one number rule (:func:`parse_number`: finite,
        not absurdly large), ``min <= max`` and the default within them."""
        for field in ("default", "min", "max"):
            v = getattr(self, field)
            if v is not None:
                try:
                    parse_number(v)
                except ValueError as exc:
                    raise ValueError(f"{field} {v!r}: {exc}") from None
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        lo, hi = self.bounds()
        if not lo <= float(self.default) <= hi:
            raise ValueError(
                f"default {float(self.default):g} is outside its bounds [{lo:g}, {hi:g}] (min, max)"
            )

    # -- values --------------------------------------------------------------------------------
    def bounds(self) -> tuple[float, float]:
        """``[min, max]`` as declared, within ``[0, 1]`` for a share and ``[0, ∞)`` otherwise."""
        hi = 1.0 if self.kind == "share" else math.inf
        lo = 0.0 if self.min is None else max(0.0, self.min)
        return lo, (hi if self.max is None else min(hi, self.max))

    def parse(self, value) -> str | float:
        """Check ``value`` (a string from the command line is converted); return it."""
        if self.kind == "supplier":
            if not isinstance(value, str):
                raise self._error(f"value {value!r} is not an activity 'database|code'")
            try:
                as_key(value)
            except ValueError as exc:
                raise self._error(str(exc)) from None
            return value
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise self._error(f"value {value!r} is not a number") from None
        lo, hi = self.bounds()
        if not (math.isfinite(v) and lo <= v <= hi) or (self.kind == "scale" and v <= 0):
            raise self._error(
                f"value {v:g} is outside [{lo:g}, {hi:g}]"
                + (" and must be positive" if self.kind == "scale" else "")
            )
        return v

    def factor(self, value: float) -> float:
        """Multiplier of a ``scale`` parameter's inputs at ``value``."""
        v, d = float(value), float(self.default)
        return d / v if self.inverse else v / d

    def _error(self, msg: str) -> ParameterError:
        return ParameterError(f"parameter {self.name!r}: {msg}", self.name, self.where or None)


# -- files ------------------------------------------------------------------------------------
def load_parameters(path: str | os.PathLike) -> list[Parameter]:
    """The parameters declared in a ``.params.yaml`` file (a list of mappings)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        why = getattr(exc, "problem", None) or str(exc)
        raise ParameterError(f"not valid YAML ({why})", where=where) from None
    if not isinstance(data, list):
        raise ParameterError("expected a list of parameters", where=str(path))
    out = []
    for i, d in enumerate(data, 1):
        if not isinstance(d, dict):
            raise ParameterError(f"entry {i} is not a mapping", where=str(path))
        try:
            out.append(Parameter(**d, where=str(path)))
        except ValidationError as exc:
            msg = "; ".join(
                (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "")
                + e["msg"].removeprefix("Value error, ")
                for e in exc.errors()
            )
            raise ParameterError(
                f"parameter {d.get('name', i)!r}: {msg}", d.get("name"), str(path)
            ) from None
    names = [p.name for p in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(f"duplicate parameter name(s) {dup}", where=str(path))
    return out


def shipped_parameters(root: str | os.PathLike | None = None) -> dict[str, list[Parameter]]:
    """``{database: parameters}`` from the ``*.params.yaml`` files beside the product inventories
    (``<name>.params.yaml`` belongs to ``<name>.csv``, i.e. to that file's database)."""
    root = Path(root) if root else inventories_dir()
    out: dict[str, list[Parameter]] = {}
    for f in sorted((root / "products").glob(f"*{SUFFIX}")):
        inv = f.with_name(f.name[: -len(SUFFIX)] + ".csv")
        db = database_of(inv)
        if db is None:
            raise ParameterError(
                f"no inventory {inv.name} (with a 'Database' row) beside it", where=str(f)
            )
        out.setdefault(db, []).extend(load_parameters(f))
    return out


def parameters_for(
    product,
    declared: Mapping[str, Sequence[Parameter]] | None = None,
    extra: Sequence[Parameter] = (),
) -> dict[str, Parameter]:
    """The parameters that apply to ``product`` (``(database, code)`` or ``"database|code"``):
    those declared for its database, plus ``extra`` (which win on a name clash)."""
    db = as_key(product)[0] if isinstance(product, str) else next(iter(product))
    declared = shipped_parameters() if declared is None else declared
    out = {p.name: p for p in declared.get(db, ())}
    out.update({p.name: p for p in extra})
    return out


# -- applying ---------------------------------------------------------------------------------
@dataclass
class ParameterResult:
    """A footprint recomputed with parameter values, beside the stored (default) one."""

    values: dict[str, str | float]
    result: object  # lca.footprint.FootprintResult with the values applied
    baseline_result: object  # the same without them

    @property
    def total(self) -> float:
        return self.result.total

    @property
    def baseline(self) -> float:
        return self.baseline_result.total

    @property
    def delta(self) -> float:
        return self.total - self.baseline

    def to_dict(self) -> dict:
        return {
            "parameters": dict(self.values),
            "baseline_total": self.baseline,
            "delta": self.delta,
            **self.result.to_dict(),
        }


def _scenario(p: Parameter, value, system, rows_b) -> Scenario:
    """The scenario changes of parameter ``p`` at ``value`` on ``system`` (current matrices)."""
    col = {tuple(k): j for j, k in enumerate(system.keys)}
    name = f"{p.name}={value}"
    for c in p.consumers:
        if as_key(c) not in col:
            raise p._error(f"consumer {c!r} is not in the product's system")

    def amount(consumer: Key, inp: Key) -> float:
        return _stored_amount(p, system, col, rows_b, consumer, inp)

    changes: list = []
    if p.kind == "supplier":
        if value != p.default:
            changes = [ReplaceSupplier(activity=c, old=p.default, new=value) for c in p.consumers]
    elif p.kind == "share":
        changes = _share_changes(p, float(value), amount)
    else:
        changes = _scale_changes(p, float(value), amount)
    return Scenario(name=name, changes=tuple(changes))


def _check_supplier_default(p: Parameter, system) -> None:
    """A supplier parameter's ``default`` is bought by each of its consumers in ``system``
    (checked whether or not the parameter is set; a parameter none of whose consumers is in
    the system belongs to another product of the database and is skipped)."""
    col = {tuple(k): j for j, k in enumerate(system.keys)}
    consumers = [c for c in map(as_key, p.consumers) if c in col]
    if not consumers:
        return
    d = as_key(p.default)
    if d not in col:
        raise p._error(f"default {p.default!r} is not an activity of the product's system")
    i = system.product_index[int(system.activity_ids[col[d]])]
    for c in consumers:
        if system.A[i, col[c]] == 0:
            raise p._error(f"default {p.default!r} is not an input of consumer {'|'.join(c)!r}")


def _stored_amount(p: Parameter, system, col: Mapping, rows_b: Mapping, consumer, inp) -> float:
    """Stored amount of ``inp`` into ``consumer`` (technosphere sign: inputs < 0)."""
    j = col[consumer]
    if inp in col:
        i = system.product_index[int(system.activity_ids[col[inp]])]
        return float(system.A[i, j])
    if inp in rows_b:
        return float(system.B[rows_b[inp], j])
    raise p._error(
        f"input {'|'.join(inp)!r} is neither an activity nor an elementary flow "
        "of the product's system"
    )


def _share_changes(p: Parameter, r: float, amount) -> list:
    """``share`` kind: move each consumer's recycled share from the stored ``r₀`` to ``r``."""
    prim, sec = as_key(p.primary), as_key(p.secondary)
    changes: list = []
    for c in map(as_key, p.consumers):
        P, S = -amount(c, prim), -amount(c, sec)
        if P + S <= 0:
            raise p._error(
                f"consumer {'|'.join(c)!r} buys nothing from {p.primary!r} or {p.secondary!r}"
            )
        r0 = S / (P + S)
        if not math.isclose(r0, float(p.default), rel_tol=1e-5, abs_tol=1e-6):
            raise p._error(
                f"default {float(p.default):g} differs from the share stored in "
                f"{'|'.join(c)!r} ({r0:.6g})"
            )
        if r > r0:
            changes.append(
                ReplaceSupplier(activity=c, old=prim, new=sec, share=min(1.0, (r - r0) / (1 - r0)))
            )
        elif r < r0:
            changes.append(
                ReplaceSupplier(activity=c, old=sec, new=prim, share=min(1.0, (r0 - r) / r0))
            )
    return changes


def _scale_changes(p: Parameter, value: float, amount) -> list:
    """``scale`` kind: each listed input a consumer has, times :meth:`Parameter.factor`."""
    f = p.factor(value)
    found = set()
    changes: list = []
    for c in map(as_key, p.consumers):
        for inp in map(as_key, p.inputs):
            if amount(c, inp) != 0.0:
                found.add(inp)
                if f != 1.0:
                    changes.append(ScaleExchange(activity=c, input=inp, factor=f))
    missing = [i for i in p.inputs if as_key(i) not in found]
    if missing:
        raise p._error(f"no consumer has the input(s) {missing}")
    return changes


def apply_parameters(engine, system, params: Mapping[str, Parameter], values: Mapping):
    """``system`` (an :class:`lca.footprint.System`) with ``values`` applied (a changed copy).

    Raises :class:`ParameterError` for an unknown name, a value out of bounds, a consumer or
    input not in the system; :class:`lca.errors.UnitMismatch` for a supplier of another unit.
    """
    unknown = sorted(set(values) - set(params))
    if unknown:
        known = ", ".join(sorted(params)) or "none"
        raise ParameterError(f"unknown parameter(s) {unknown}; this product has: {known}")
    parsed = {n: params[n].parse(v) for n, v in values.items()}
    for p in params.values():
        if p.kind == "supplier":
            _check_supplier_default(p, system)
    order = sorted(parsed, key=lambda n: (_ORDER[params[n].kind], n))
    # rows of B for the elementary flows named as inputs of scale parameters
    rows_b = flow_rows(engine, system, [as_key(i) for n in order for i in params[n].inputs])
    cur = system
    for n in order:
        s = _scenario(params[n], parsed[n], cur, rows_b)
        if s.changes:
            try:
                changes = scenario_changes(cur, s, rows_b)
            except ScenarioError as exc:
                raise params[n]._error(str(exc).split(": ", 1)[-1]) from None
            A1, B1 = apply_changes(cur.A, cur.B, changes)
            cur = replace(cur, A=A1, B=B1)  # factorised once, at the end
        log.info("parameter %s = %s: %d change(s)", n, parsed[n], len(s.changes))
    return parsed, (system if cur is system else system.changed(cur.A, cur.B))


def footprint_with(
    engine,
    product,
    values: Mapping,
    method=None,
    amount: float = 1.0,
    top: int = 10,
    params: Mapping[str, Parameter] | Sequence[Parameter] | None = None,
) -> ParameterResult:
    """The footprint of ``product`` with parameter ``values`` (``{name: value}``) applied.

    ``params``: the parameters to use (default: those shipped for the product's database,
    :func:`parameters_for`). One call: the product's system is copied, the changes applied,
    the technosphere refactorised once, and the full :class:`lca.footprint.FootprintResult`
    computed, beside the baseline.
    """
    node = engine.node(product)
    if params is None:
        params = parameters_for(node.key)
    elif not isinstance(params, Mapping):
        params = {p.name: p for p in params}
    system = engine.system_for([node])
    parsed, changed = apply_parameters(engine, system, params, values)
    base = engine.footprint(node.key, method, amount=amount, top=top)
    res = engine.footprint(node.key, method, amount=amount, top=top, system=changed)
    return ParameterResult(parsed, res, base)


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["grid=db|code", "yield=0.9"]`` → ``{"grid": "db|code", "yield": "0.9"}``."""
    out = {}
    for it in items:
        name, sep, value = it.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ParameterError(f"{it!r} is not name=value")
        out[name.strip()] = value.strip()
    return out


__all__ = [
    "Parameter",
    "ParameterError",
    "ParameterResult",
    "apply_parameters",
    "footprint_with",
    "load_parameters",
    "parameters_for",
    "parse_assignments",
    "shipped_parameters",
]
