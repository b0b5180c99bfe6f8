"""Scenario studies: named changes to a copy of the technosphere and biosphere, re-scored.

A :class:`Scenario` is a name and a list of changes, each addressed by Brightway keys
``(database, code)`` (or ``"database|code"``):

- :class:`ReplaceSupplier` — ``activity`` takes ``share`` of what it buys from ``old`` from
  ``new`` instead (grid switch, supplier switch): ``A[new, j] += share·A[old, j]`` and
  ``A[old, j] −= share·A[old, j]``. ``old`` and ``new`` must have the same unit.
- :class:`ScaleExchange` — multiply one stored exchange of ``activity`` by ``factor``
  (efficiency, recycled content, a lower emission factor): ``input`` is a technosphere product
  (``Aᵢⱼ ← factor·Aᵢⱼ``) or an elementary flow (``Bₖⱼ ← factor·Bₖⱼ``).

:func:`run_scenarios` applies each scenario to copies of the engine's matrices
(:func:`supply_chain.levers.apply_changes`; the Brightway database and the engine's cached
system are never touched), factorises once per scenario (only when ``A`` changes), and scores
every product with one adjoint solve: ``h = c B¹ (A¹)⁻¹ F`` (:mod:`lca.maths`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from lca import maths, methods
from lca.errors import UnitMismatch
from lca.files import read_text

from .errors import ScenarioError
from .levers import ExchangeChange, apply_changes

log = logging.getLogger(__name__)

Key = tuple[str, str]
BASELINE = "baseline"


def as_key(v) -> Key:
    """``"database|code"`` or a pair → ``(database, code)``; ``ValueError`` otherwise.

    >>> as_key("pcf-background|grid-cn")
    ('pcf-background', 'grid-cn')
    """
    if isinstance(v, str):
        if "|" not in v:
            raise ValueError(f"{v!r} is not a key: use 'database|code'")
        db, code = v.split("|", 1)
        return (db, code)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(p, str) for p in v):
        raise ValueError(f"{v!r} is not a (database, code) key")
    return v  # type: ignore[return-value]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("activity", "old", "new", "input", mode="before", check_fields=False)
    @classmethod
    def _keys(cls, v):
        return as_key(v)


class ReplaceSupplier(_Change):
    """``activity`` buys ``share`` of its input from ``old`` from ``new`` instead."""

    type: Literal["replace_supplier"] = "replace_supplier"
    activity: Key
    old: Key
    new: Key
    share: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False)


class ScaleExchange(_Change):
    """Multiply ``activity``'s exchange with ``input`` (product or elementary flow) by
    ``factor ≥ 0``."""

    type: Literal["scale"] = "scale"
    activity: Key
    input: Key
    factor: float = Field(ge=0, allow_inf_nan=False)


Change = Annotated[ReplaceSupplier | ScaleExchange, Field(discriminator="type")]


class Scenario(BaseModel):
    """A named list of changes (see module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    changes: tuple[Change, ...] = ()
    description: str = ""
    _source: str = PrivateAttr(default="")  # the file it was read from (for errors)

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ScenarioError(
                f"scenario {data.get('name')!r}: {msg}", scenario=data.get("name")
            ) from None


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Scenarios from a YAML or JSON file: a list of ``{name, changes: [...]}``.

    Each change has ``type: replace_supplier`` (``activity, old, new[, share]``) or
    ``type: scale`` (``activity, input, factor``); keys are written ``"database|code"``. The
    file may be UTF-8, UTF-16 or GBK (:func:`lca.files.read_text`).

    Raises
    ------
    ScenarioError
        Naming the file: a YAML or JSON syntax error (and its line), not a list, an entry that is
        not a mapping or has a wrong field (and which entry), a duplicate or reserved name.
    lca.errors.InputFileError
        The file cannot be read or decoded.
    """
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # heavy-ish optional import, only for YAML files

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
            why = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError(f"{where}: not valid YAML ({why})") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise ScenarioError(f"{path}: expected a list of scenarios, got {type(data).__name__}")
    out = []
    for i, d in enumerate(data, start=1):
        if not isinstance(d, Mapping):
            raise ScenarioError(
                f"{path}, scenario {i}: expected a mapping with name and changes, got {d!r}"
            )
        try:
            sc = Scenario(**{str(k): v for k, v in d.items()})
        except ScenarioError as exc:
            raise ScenarioError(f"{path}, scenario {i}: {exc}", scenario=exc.scenario) from None
        sc._source = f"{path}, scenario {i}"
        out.append(sc)
    names = [s.name for s in out]
    dup = {n for n in names if names.count(n) > 1} | ({BASELINE} & set(names))
    if dup:
        raise ScenarioError(f"{path}: duplicate or reserved scenario name(s) {sorted(dup)}")
    return out


def scenario_changes(
    system, scenario: Scenario, flow_rows: Mapping[Key, int] | None = None
) -> list[ExchangeChange]:
    """Translate a scenario into matrix changes on ``system`` (a :class:`lca.footprint.System`).

    ``flow_rows`` maps elementary-flow keys to rows of ``B`` (needed only for biosphere
    changes). Raises :class:`ScenarioError` for an activity or input not in the system or an
    exchange that does not exist, :class:`lca.errors.UnitMismatch` when a replacement supplier
    has another unit.
    """
    col = {tuple(k): i for i, k in enumerate(system.keys)}
    A = sp.csr_matrix(system.A)
    B = sp.csr_matrix(system.B)

    def column(key, role):
        if key not in col:
            raise ScenarioError(
                f"scenario {scenario.name!r}: {role} {key!r} is not in the system",
                scenario=scenario.name,
                activity=key,
            )
        return col[key]

    def row(key):
        return system.product_index[int(system.activity_ids[column(key, "input")])]

    out: list[ExchangeChange] = []
    for ch in scenario.changes:
        j = column(ch.activity, "activity")
        if isinstance(ch, ReplaceSupplier):
            i_old, i_new = row(ch.old), row(ch.new)
            v = float(A[i_old, j])
            if v == 0.0 or i_old == j:
                raise ScenarioError(
                    f"scenario {scenario.name!r}: {ch.activity!r} has no input from {ch.old!r}",
                    scenario=scenario.name,
                    activity=ch.activity,
                    input=ch.old,
                )
            u_old, u_new = (
                system.units[column(ch.old, "input")],
                system.units[column(ch.new, "input")],
            )
            if u_old != u_new:
                raise UnitMismatch(
                    u_old,
                    u_new,
                    f"scenario {scenario.name!r}: replacing "
                    f"{ch.old!r} by {ch.new!r} in {ch.activity!r}",
                )
            out.append(ExchangeChange(matrix="technosphere", row=i_old, col=j, delta=-ch.share * v))
            out.append(ExchangeChange(matrix="technosphere", row=i_new, col=j, delta=ch.share * v))
        else:
            if ch.input in col:
                i, M, matrix = row(ch.input), A, "technosphere"
            elif flow_rows is not None and ch.input in flow_rows:
                i, M, matrix = flow_rows[ch.input], B, "biosphere"
            else:
                raise ScenarioError(
                    f"scenario {scenario.name!r}: input {ch.input!r} is neither "
                    f"an activity nor an elementary flow of the system",
                    scenario=scenario.name,
                    activity=ch.activity,
                    input=ch.input,
                )
            v = float(M[i, j])
            if v == 0.0:
                raise ScenarioError(
                    f"scenario {scenario.name!r}: {ch.activity!r} has no "
                    f"exchange with {ch.input!r}",
                    scenario=scenario.name,
                    activity=ch.activity,
                    input=ch.input,
                )
            out.append(ExchangeChange(matrix=matrix, row=i, col=j, delta=(ch.factor - 1) * v))
    return out


def _flow_rows(engine, system, scenarios: Sequence[Scenario]) -> dict[Key, int]:
    """Rows of ``B`` for the elementary flows the scenarios name (looked up in bw2data)."""
    return flow_rows(
        engine,
        system,
        [ch.input for s in scenarios for ch in s.changes if isinstance(ch, ScaleExchange)],
    )


def flow_rows(engine, system, keys) -> dict[Key, int]:
    """Rows of ``B`` for those of ``keys`` that are elementary flows of ``system`` (looked up in
    bw2data); activities of the system and unknown keys are left out."""
    col = {tuple(k) for k in system.keys}
    wanted = {tuple(k) for k in keys} - col
    if not wanted:
        return {}
    rows = {int(f): r for r, f in enumerate(system.flow_ids)}
    from bw2data.errors import MultipleResults, UnknownObject

    out = {}
    bd = engine.project.bd
    for key in wanted:
        try:
            fid = bd.get_node(database=key[0], code=key[1]).id
        except (UnknownObject, MultipleResults):
            log.debug("scenario input %r is not a node of the project", key)
            continue  # reported by scenario_changes as not in the system
        if fid in rows:
            out[key] = rows[fid]
    return out


def run_scenarios(
    engine,
    products: Sequence,
    scenarios: Sequence[Scenario],
    method=None,
    amounts: Sequence[float] | None = None,
    executor=None,
    progress=None,
):
    """Score ``products`` in the baseline and in every scenario (one factorisation each).

    Parameters
    ----------
    engine : :class:`lca.footprint.FootprintEngine`.
    products : product keys (``(db, code)``, ``"db|code"``, ...), as the engine accepts.
    scenarios : the scenarios; names must be unique and not ``"baseline"``.
    method : method alias or tuple (default: the engine's default).
    amounts : units of each product (default 1).
    executor : a :class:`lca.distributed.DaskExecutor` (``with lca.distributed.cluster(...)``)
        to score the scenarios on a dask cluster, one task per scenario; the scores are
        identical to those of the single-process run (every scenario is applied and solved
        exactly as here; each worker factorises the baseline once).
    progress : ``progress(done, total)``, called as scenarios are scored.

    Returns
    -------
    pandas.DataFrame
        Tidy table, one row per product × scenario (the ``"baseline"`` rows first), columns
        ``product`` (``db|code``), ``scenario``, ``score``, ``baseline``,
        ``delta = score − baseline`` and ``delta_pct = 100 · delta / baseline`` (NaN when the
        baseline is 0), in the method's unit.
    """
    import pandas as pd

    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or BASELINE in names:
        raise ScenarioError(f"scenario names must be unique and not {BASELINE!r}: {names}")
    method = methods.resolve(method)
    nodes = [engine.node(p) for p in products]
    system = engine.system_for(nodes)
    c = engine.characterization(system, method)
    amounts = [1.0] * len(nodes) if amounts is None else [float(a) for a in amounts]
    rows = [system.product_index[n.id] for n in nodes]
    F = np.zeros((system.A.shape[0], len(nodes)))
    F[rows, np.arange(len(nodes))] = amounts
    rows_b = _flow_rows(engine, system, scenarios)

    def scores(fact, B):
        lam = maths.lcia_intensities(fact, c, B)
        return np.asarray(maths.batch_scores(lam, F)).ravel()

    h0 = scores(system.fact, system.B)
    results = {BASELINE: h0}
    todo = []  # every scenario's changes, checked before any is solved
    for s in scenarios:
        try:
            todo.append(scenario_changes(system, s, rows_b))
        except ScenarioError as exc:
            if not s._source:
                raise
            raise ScenarioError(
                f"{s._source}: {exc}", scenario=exc.scenario, activity=exc.activity, input=exc.input
            ) from None
    if executor is not None and scenarios:
        job = ScenarioJob(system.A, system.B, c, F, [f"{k[0]}|{k[1]}" for k in system.keys])
        hs = executor.map(_score_scenario, job, todo, job.token(), progress=progress)
        results.update(zip([s.name for s in scenarios], hs))
    else:
        for k, (s, changes) in enumerate(zip(scenarios, todo), start=1):
            changed = system.changed(*apply_changes(system.A, system.B, changes))
            results[s.name] = scores(changed.fact, changed.B)
            log.info(
                "scenario %r: %d matrix change(s)%s",
                s.name,
                len(changes),
                "" if changed.fact is system.fact else ", refactorised",
            )
            if progress is not None:
                progress(k, len(scenarios))
    keys = [f"{n['database']}|{n['code']}" for n in nodes]
    out = []
    for name, h in results.items():
        for k, base, v in zip(keys, h0, h):
            delta = float(v - base)
            out.append(
                (
                    k,
                    name,
                    float(v),
                    float(base),
                    delta,
                    100.0 * delta / base if base else float("nan"),
                )
            )
    return pd.DataFrame(
        out, columns=["product", "scenario", "score", "baseline", "delta", "delta_pct"]
    )


# -- scenarios on a dask cluster -----------------------------------------------------------------
@dataclass
class ScenarioJob:
    """What a worker needs to score scenarios: the baseline technosphere ``A`` and biosphere
    ``B``, the characterisation factors ``c``, the demands ``F`` (one column per product) and
    the activity labels (for a singular technosphere's error). Scattered once per run."""

    A: sp.spmatrix
    B: sp.spmatrix
    c: np.ndarray
    F: np.ndarray
    labels: list

    def token(self) -> str:
        """A hash of the content: the key of a worker's cached baseline factorisation."""
        h = hashlib.sha256()
        for M in (sp.csr_matrix(self.A), sp.csr_matrix(self.B)):
            for a in (M.data, M.indices, M.indptr):
                h.update(np.ascontiguousarray(a).tobytes())
            h.update(repr(M.shape).encode())
        for a in (self.c, self.F):
            a = np.asarray(a)
            h.update(repr(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


#: A worker's baseline factorisation of the last run it served: ``(token, factorisation)``.
_WORKER_BASE: list = []


def _score_scenario(job: ScenarioJob, token: str, changes: list) -> np.ndarray:
    """On a worker: the scores of one scenario, computed as :func:`run_scenarios` does in one
    process (:func:`~supply_chain.levers.apply_changes`, ``System.changed``'s rule: ``A`` is
    factorised again only if it changed; the baseline's factorisation once per worker)."""
    from lca.solver import factorize_named

    A1, B1 = apply_changes(job.A, job.B, changes)
    A1, B1 = sp.csr_matrix(A1), sp.csr_matrix(B1)
    if (A1 != job.A).nnz == 0:
        if not _WORKER_BASE or _WORKER_BASE[0][0] != token:
            _WORKER_BASE[:] = [(token, factorize_named(job.A, job.labels))]
        fact = _WORKER_BASE[0][1]
    else:
        fact = factorize_named(A1, job.labels)
    lam = maths.lcia_intensities(fact, job.c, B1)
    return np.asarray(maths.batch_scores(lam, job.F)).ravel()
