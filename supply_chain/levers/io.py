"""The levers CSV, read once: rows located by file and line, levers, the lever-level checks; the
baselines and budgets tables; and the levers/baseline files written back from a problem.

Layout (one row per (lever, product) effect)::

    lever,node,actor,kind,cost,product,delta,exclusive_group,excludes,year,description
    L1,supplier-a|cell,supplier-a,green_electricity,10,pack-1,20,a-power,,2028,PPA 100 % wind
    L1,,,,,pack-2,10,,,,
    L2,supplier-a|cell,supplier-a,green_electricity,7,pack-1,12,a-power,,,rooftop PV

``lever``, ``node`` and ``cost`` are required; lever-level columns may be left blank on a
lever's further rows (a non-blank value that disagrees with an earlier one is an error);
``actor`` defaults to ``node``; ``excludes`` lists lever ids separated by ``;``. A levers file
may also carry the ``change`` columns of :mod:`supply_chain.levers.changes`, checked on every
read whether or not a BOM is given (rows: :mod:`supply_chain.levers._rows`). Every error is a
:class:`~supply_chain.errors.LeverError` whose message starts with ``<file>:<line> (lever
'<id>')`` and names the column.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from lca.files import open_text, parse_number, write_files_atomically

from ..errors import LeverError
from ._rows import LeverRow, read_lever_rows
from .changes import lever_changes
from .model import Lever, ReductionProblem

__all__ = [
    "baseline_csv_text",
    "check_levers_csv",
    "levers_csv_text",
    "load_levers_csv",
    "read_baseline",
    "read_pairs",
    "read_problem",
    "write_baseline_csv",
    "write_levers_csv",
]

log = logging.getLogger(__name__)

#: Lever-level columns (the same on every row of a lever).
LEVER_COLUMNS = (
    "node",
    "actor",
    "kind",
    "cost",
    "exclusive_group",
    "excludes",
    "year",
    "description",
)


def _check_row(row: LeverRow, products: set[str] | None) -> None:
    """Numbers in ``cost``/``delta``/``year``, ``cost ≥ 0``, ``product`` with a baseline."""
    for col in ("cost", "delta", "year"):
        v = row.number(col)
        if col == "cost" and v is not None and v < 0:
            raise LeverError(
                f"{row.where}: cost {row.get(col)} is negative (costs are ≥ 0)", lever=row.lever
            )
    p = row.get("product")
    if p and products is not None and p not in products:
        raise LeverError(
            f"{row.where}: product {p!r} has no baseline (known: "
            f"{', '.join(sorted(products)) or 'none'})",
            lever=row.lever,
            product=p,
        )


def load_levers_csv(path: str | os.PathLike, products: Iterable[str] | None = None) -> list[Lever]:
    """Read levers from the CSV layout in the module doc (one row per lever × product).

    ``products``: the products with a baseline (a row naming another one is an error).

    Raises
    ------
    LeverError
        Missing ``lever``/``node``/``cost`` column, a row with fewer or more fields than the
        header, an empty lever id, a non-numeric or infinite ``cost``/``delta``/``year``, a
        negative cost, a product without a baseline, a lever's rows that disagree, a lever
        whose every delta is negative, a malformed ``change`` column
        (:func:`~supply_chain.levers.changes.lever_changes`), or any bound violated (names the
        file, row and lever).
    """
    fields, rows = read_lever_rows(path)
    _check_header(path, fields, rows)
    known = set(products) if products is not None else None
    data: dict[str, dict] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if not row.lever:
            raise LeverError(f"{row.file}:{row.line}: empty lever id")
        _check_row(row, known)
        _merge_row(data.setdefault(row.lever, {"id": row.lever, "effects": {}}), row, seen)
    lever_changes(fields, rows)  # the change columns too, whether or not a BOM is given
    _check_signs(rows, data)
    out = [_lever(path, lid, d) for lid, d in data.items()]
    log.info("read %d levers from %s", len(out), path)
    return out


def _check_signs(rows: list[LeverRow], data: dict[str, dict]) -> None:
    """A lever whose every effect is negative (raises every footprint it touches, at a cost
    ≥ 0) can never be part of a plan: a sign error, named by its first row. Mixed signs are
    kept (a lever may cut one product's footprint and raise another's)."""
    for lid, d in data.items():
        effects = d["effects"]
        if effects and all(v < 0 for v in effects.values()):
            row = next(r for r in rows if r.lever == lid and r.get("product"))
            raise LeverError(
                f"{row.where}: delta {row.get('delta')} is negative on every product of the "
                "lever: delta is the reduction per unit of product (> 0 when the lever cuts "
                "the footprint), so this lever could only raise footprints",
                lever=lid,
                product=row.get("product"),
            )


def _check_header(path, fields: list[str], rows: list[LeverRow]) -> None:
    """A header with ``lever``, ``cost`` and ``node``, and at least one row."""
    if not fields:
        raise LeverError(f"{path}: empty file, no levers")
    missing = {"lever", "cost", "node"} - set(fields)
    if missing:
        raise LeverError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    if not rows:
        raise LeverError(f"{path}: no levers (only a header): nothing to choose from")


def _merge_row(d: dict, row: LeverRow, seen: dict[tuple[str, str], int]) -> None:
    """Add ``row`` to its lever's fields ``d``: lever-level columns agree across rows, one
    effect per product (``seen``: ``{(lever, product): line}``)."""
    lid = row.lever
    for col in LEVER_COLUMNS:
        v = row.get(col)
        if not v:
            continue
        if col in d and d[col] != v:
            raise LeverError(
                f"{row.where}: {col} {v!r} disagrees with {d[col]!r} on an earlier row",
                lever=lid,
            )
        d[col] = v
    p = row.get("product")
    if p and (lid, p) in seen:
        raise LeverError(
            f"{row.where}: product {p!r} already has an effect of this lever on row "
            f"{seen[lid, p]} (one row per lever and product)",
            lever=lid,
            product=p,
        )
    if p:
        seen[lid, p] = row.line
        if not row.get("delta"):
            raise LeverError(f"{row.where}: delta '' is not a number", lever=lid, product=p)
        d["effects"][p] = d["effects"].get(p, 0.0) + row.number("delta")


def _lever(path, lid: str, d: dict) -> Lever:
    """The :class:`Lever` of the merged fields ``d``; its errors name the file."""
    try:
        if "cost" not in d:
            raise ValueError("no cost")
        d["cost"] = float(d["cost"])
        if "year" in d:
            d["year"] = int(d["year"])
    except ValueError:
        raise LeverError(
            f"{Path(path).name}: lever {lid!r}: cost/year missing or not a number", lever=lid
        ) from None
    if "excludes" in d:
        d["excludes"] = tuple(x.strip() for x in d["excludes"].split(";") if x.strip())
    try:
        return Lever(**d)
    except LeverError as exc:
        raise LeverError(
            f"{Path(path).name}: {exc}",
            lever=exc.lever or lid,
            product=exc.product,
            constraint=exc.constraint,
        ) from None


def check_levers_csv(path: str | os.PathLike, products: Iterable[str] | None = None) -> None:
    """Check a levers CSV row by row (:func:`load_levers_csv`), so a bad row is named by file
    and line.

    Raises
    ------
    LeverError
        ``"<file>:<row> (lever '<id>'): ..."`` (see :func:`load_levers_csv`).
    """
    load_levers_csv(path, products)


def read_pairs(
    path: str | os.PathLike,
    key: str,
    value: str,
    extra: str | None = None,
    *,
    lo: float | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """``{key: value}`` and ``{key: extra}`` (where given) of a two- or three-column CSV, e.g.
    budgets ``actor,budget``; every number finite and, with ``lo``, ``>= lo``
    (:func:`lca.files.parse_number`).

    Raises
    ------
    LeverError
        A missing column, or a value that is not a number, not finite or below ``lo`` (names
        the file, row and column).
    """
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        if not {key, value} <= set(reader.fieldnames or []):
            raise LeverError(f"{path}: needs columns {key},{value}")
        out, more = {}, {}
        for n, row in enumerate(reader, start=2):
            out[row[key].strip()] = _pair_number(path, n, row, key, value, lo)
            if extra and (row.get(extra) or "").strip():
                more[row[key].strip()] = _pair_number(path, n, row, key, extra, lo)
    return out, more


def _pair_number(path, n: int, row: dict, key: str, col: str, lo: float | None) -> float:
    """The number in column ``col`` of row ``n`` (:func:`read_pairs`); errors name the cell."""
    try:
        return parse_number(row.get(col), lo=lo)
    except ValueError as exc:
        why = "is not a number" if str(exc) == "not a number" else str(exc)
        raise LeverError(
            f"{path}:{n}: {col} {row.get(col)!r} {why}", constraint=row.get(key)
        ) from None


def read_baseline(path: str | os.PathLike) -> tuple[dict[str, float], dict[str, float]]:
    """``{product: footprint}`` and ``{product: volume}`` of a baselines CSV
    ``product,footprint[,volume]``.

    Raises
    ------
    LeverError
        Naming the file, row and column: a footprint or volume that is not a number, not > 0
        (a reduction in % of zero, or of a negative footprint, is meaningless; a product made in
        zero volume would silently drop out of a portfolio target), a product listed twice, or
        no products at all.
    """
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        if not {"product", "footprint"} <= set(reader.fieldnames or []):
            raise LeverError(f"{path}: needs columns product,footprint")
        out: dict[str, float] = {}
        more: dict[str, float] = {}
        rows: dict[str, int] = {}
        for n, row in enumerate(reader, start=2):
            p = (row.get("product") or "").strip()
            if not p:
                raise LeverError(f"{path}:{n}: product is empty")
            if p in rows:
                raise LeverError(
                    f"{path}:{n}: product {p!r} listed twice (first on row {rows[p]})", product=p
                )
            rows[p] = n
            for col in ("footprint", "volume"):
                raw = (row.get(col) or "").strip()
                if col == "volume" and not raw:
                    continue
                try:
                    v = parse_number(raw, lo=0, lo_open=True)
                except ValueError as exc:
                    why = (
                        f": {exc}"
                        if "too large" in str(exc)
                        else " must be a number > 0"
                        + (
                            " (a reduction target in % of it would be meaningless)"
                            if col == "footprint"
                            else " (the product would drop out of a volume-weighted target)"
                        )
                    )
                    raise LeverError(
                        f"{path}:{n}: {col} {raw!r} of product {p!r}{why}",
                        product=p,
                        constraint=col,
                    ) from None
                (out if col == "footprint" else more)[p] = v
    if not out:
        raise LeverError(f"{path}: no products (only a header)")
    return out, more


def read_problem(
    levers_csv: str | os.PathLike,
    baseline_csv: str | os.PathLike,
    budgets_csv: str | os.PathLike | None = None,
    total_budget: float | None = None,
) -> ReductionProblem:
    """A :class:`ReductionProblem` from CSV files.

    ``baseline_csv``: columns ``product,footprint[,volume]`` (:func:`read_baseline`);
    ``budgets_csv``: ``actor,budget`` (each budget a finite number ≥ 0).

    Raises
    ------
    LeverError
        Any error of :func:`load_levers_csv` (a lever acting on a product without a baseline
        included), :func:`read_baseline` or :func:`read_pairs`.
    """
    baseline, volumes = read_baseline(baseline_csv)
    levers = load_levers_csv(levers_csv, baseline)
    budgets = read_pairs(budgets_csv, "actor", "budget", lo=0)[0] if budgets_csv else {}
    return ReductionProblem(
        levers=tuple(levers),
        baseline=baseline,
        volumes=volumes,
        budgets=budgets,
        total_budget=total_budget,
    )


# -- writing back the model-computed effects ---------------------------------------------------
def _csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def levers_csv_text(problem: ReductionProblem, src: str | os.PathLike, digits: int = 10) -> str:
    """The levers CSV ``src`` with ``delta`` = the problem's lever effects, as text."""
    effects = {lv.id: lv.effects for lv in problem.levers}
    fields, rows = read_lever_rows(src)
    out = []
    for row in rows:
        raw, p = dict(row.raw), row.get("product")
        if p and p in effects.get(row.lever, {}):
            raw["delta"] = f"{effects[row.lever][p]:.{digits}g}"
        out.append(raw)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(out)
    return buf.getvalue()


def baseline_csv_text(problem: ReductionProblem, digits: int = 10) -> str:
    """``product,footprint,volume`` of the problem, as text."""
    return _csv_text(
        ["product", "footprint", "volume"],
        (
            [p, f"{h:.{digits}g}", f"{problem.volumes.get(p, 1.0):g}"]
            for p, h in problem.baseline.items()
        ),
    )


def write_levers_csv(
    problem: ReductionProblem, src: str | os.PathLike, dst: str | os.PathLike, digits: int = 10
) -> Path:
    """Copy the levers CSV ``src`` to ``dst`` with ``delta`` = the problem's lever effects."""
    dst = Path(dst)
    return write_files_atomically(dst.parent, {dst.name: levers_csv_text(problem, src, digits)})[0]


def write_baseline_csv(problem: ReductionProblem, dst: str | os.PathLike, digits: int = 10) -> Path:
    """Write ``product,footprint,volume`` of the problem to ``dst``."""
    dst = Path(dst)
    return write_files_atomically(dst.parent, {dst.name: baseline_csv_text(problem, digits)})[0]
