"""Supplier inputs of the scorecard (:func:`supply_chain.scoring.supplier_scores`): from a
roll-up (contribution and data quality of every supplier) or from the CSV files of
``pcf suppliers score``.

Files: contributions ``supplier,product,contribution`` (per unit of product; repeated
supplier/product pairs add up); supplier data :data:`SUPPLIER_COLUMNS` (all but ``supplier``
optional). Errors are :class:`~supply_chain.errors.ScoringError` naming the file and row.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from lca.files import open_text, parse_number

from .bom_math import supply_vector
from .errors import ScoringError
from .levers import parse_key
from .pcfs import DQR_FIELDS
from .roll_up import RollupResult
from .scoring import DataQuality

if TYPE_CHECKING:  # the model imports the roll-up and the levers; only its type is used here
    from .model import SupplyChainModel

__all__ = [
    "SUPPLIER_COLUMNS",
    "read_contributions",
    "read_supplier_data",
    "supplier_inputs",
    "supplier_quality",
]


def _need_file(path: str | os.PathLike, what: str) -> None:
    if not Path(path).is_file():
        raise ScoringError(f"{what} {str(path)!r} does not exist")


def supplier_quality(result: RollupResult, part=None) -> tuple[dict[str, float], dict[str, dict]]:
    """Contribution and data quality of every supplier to one unit of ``part`` (default: the
    product), from a :class:`~supply_chain.roll_up.RollupResult`.

    Returns ``(contributions, quality)``: ``contributions`` ``{supplier: Σ d_n m_n}`` over the
    supplier's parts with a non-zero contribution; ``quality`` ``{supplier: {primary_share
    (0-1), ter, ger, tir}}``: the emission-weighted means of the roll-up (PACT methodology 4.2,
    :mod:`supply_chain.roll_up`) over the supplier's *own* emissions ``d_n m_n``. DQRs only when
    they are known for all of them (PACT gives no precision rating, so the PEF DQR stays
    unknown).

    The roll-up solves ``X = (I − Q)⁻¹ [d, d ⊙ v_d, ...]`` and reports node values
    ``v = X₁ / x``, which mix in everything below a node. A part's own right-hand sides are
    therefore taken back from its outputs, ``d ⊙ v_d = (I − Q)(x ⊙ v)``, and summed per
    supplier weighted by the amounts ``m`` (:func:`supply_chain.bom_math.supply_vector`):
    ``Σₙ mₙ rₙ``, the same weighted mean the roll-up gives a part, restricted to the supplier's
    own emissions. DQRs use the roll-up's ``dqr_coverage``, which it states for the three
    ratings alike.
    """
    tab, x = result.table, np.asarray(result.x, dtype=float)
    n = len(result.nodes)
    root = result.index[result.root if part is None else part]
    IQ = sp.identity(n, format="csr") - sp.csr_matrix(result.Q)

    def own(v):  # own right-hand side of a rolled-up node quantity x ⊙ v
        return np.asarray(IQ @ (x * np.nan_to_num(np.asarray(v, dtype=float)))).ravel()

    cov = np.nan_to_num(tab["dqr_coverage"].to_numpy(dtype=float))
    rhs = [np.asarray(result.own, dtype=float), own(tab["primary_data_share"]), own(cov)]
    for f in DQR_FIELDS:
        rhs.append(own(cov * np.nan_to_num(tab[f"dqr_{f}"].to_numpy(dtype=float))))
    rhs = np.column_stack(rhs)
    rhs[np.asarray(result.own) == 0] = 0.0  # no own emissions: only round-off is left
    e = np.zeros(n)
    e[root] = 1.0
    m = supply_vector(result.Q, e)  # units of every part in one unit of `part`
    contributes = (np.asarray(result.own, dtype=float) * m) != 0
    suppliers = [v if isinstance(v, str) and v else None for v in tab["supplier"]]
    names = list(dict.fromkeys(v for v, c in zip(suppliers, contributes) if v and c))
    code = {s: k for k, s in enumerate(names)}
    rows = np.array([code.get(v, -1) if v else -1 for v in suppliers], dtype=np.int64)
    keep = rows >= 0
    at_root = np.zeros((len(names), rhs.shape[1]))
    np.add.at(at_root, rows[keep], m[keep, None] * rhs[keep])  # Σₙ mₙ rₙ per supplier
    contrib, quality = {}, {}
    for s, (c, pds, known, *dqr) in zip(names, at_root):
        contrib[s] = float(c)
        q = {"primary_share": float(pds / c) / 100.0 if c else None}
        if known and abs(known - c) <= 1e-7 * abs(c):  # (I − Q)(x ⊙ v) rounds
            q.update(zip(("ter", "ger", "tir"), (float(v / known) for v in dqr)))
        quality[s] = q
    return contrib, quality


def supplier_inputs(
    model: SupplyChainModel, suppliers_csv: str | os.PathLike
) -> tuple[dict, dict[str, float], dict[str, tuple[str, str]], dict]:
    """Scorecard inputs from the roll-up: contributions per supplier, intensity, benchmark
    (the sourced background dataset named in ``suppliers_csv``) and data quality.

    Returns ``(contributions, intensity, benchmark_keys, data_quality)``: ``contributions`` is
    ``{supplier: {product: kg per unit}}`` (``d_n m_n`` summed over the supplier's parts);
    ``data_quality`` ``{supplier: {primary_share (0-1), ter, ger, tir}}``, emission-weighted
    over the supplier's own emissions (:func:`supplier_quality`).
    """
    base = model.base
    contrib, quality = supplier_quality(base)
    intensity, bench = {}, {}
    with open_text(suppliers_csv) as fh:
        for row in csv.DictReader(fh):
            s = (row.get("supplier") or "").strip()
            part = (row.get("part") or "").strip()
            if part:
                intensity[s] = float(base.footprint(part))
            if (row.get("benchmark") or "").strip():
                bench[s] = parse_key(row["benchmark"].strip(), str(suppliers_csv), "benchmark")
    contributions = {s: {model.product: v} for s, v in contrib.items()}
    return contributions, intensity, bench, quality


#: Columns of the per-supplier file of ``pcf suppliers score --suppliers`` (all but
#: ``supplier`` optional): intensity and benchmark per unit supplied, primary-data share (0-1),
#: the PEF ratings TeR, GeR, TiR, P (1-5).
SUPPLIER_COLUMNS = ("supplier", "intensity", "benchmark", "primary_share", "ter", "ger", "tir", "p")


def read_contributions(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """``supplier,product,contribution`` rows (contribution per unit of product; repeated
    supplier/product pairs add up) → ``{supplier: {product: value}}``.

    Raises
    ------
    ScoringError
        A missing column, no rows, an empty supplier or product, a contribution that is not a
        finite number (naming the file and row)."""
    _need_file(path, "contributions file")
    out: dict[str, dict[str, float]] = {}
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        missing = {"supplier", "product", "contribution"} - set(reader.fieldnames or [])
        if missing:
            raise ScoringError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            s, p = (row["supplier"] or "").strip(), (row["product"] or "").strip()
            where = f"{Path(path).name}:{n}"
            if not s or not p:
                raise ScoringError(f"{where}: empty supplier or product", supplier=s or None)
            v = _number(row["contribution"], where, "contribution", s)
            out.setdefault(s, {})
            out[s][p] = out[s].get(p, 0.0) + v
    if not out:
        raise ScoringError(f"{path}: no rows (only a header): no supplier contributions to score")
    return out


def _number(raw, where: str, col: str, supplier: str) -> float:
    """The cell ``raw`` as a finite number (:func:`lca.files.parse_number`), or a located error."""
    try:
        return parse_number(raw)
    except ValueError as exc:
        if str(exc) == "not a number":
            raise ScoringError(
                f"{where}: {col} {raw!r} is not a number", supplier=supplier
            ) from None
        raise ScoringError(f"{where}: {col} {raw!r}: {exc}", supplier=supplier) from None


def read_supplier_data(
    path: str | os.PathLike,
) -> tuple[dict[str, float], dict[str, float], dict[str, DataQuality]]:
    """Per-supplier intensity, benchmark and data quality (:data:`SUPPLIER_COLUMNS`)."""
    _need_file(path, "suppliers file")
    intensity, benchmark, quality = {}, {}, {}
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        if "supplier" not in (reader.fieldnames or []):
            raise ScoringError(f"{path}: missing column supplier")
        for n, row in enumerate(reader, start=2):
            s = (row.get("supplier") or "").strip()
            where = f"{Path(path).name}:{n} (supplier {s!r})"
            vals = {}
            for col in SUPPLIER_COLUMNS[1:]:
                raw = (row.get(col) or "").strip()
                if raw:
                    vals[col] = _number(raw, where, col, s)
            if "intensity" in vals:
                intensity[s] = vals.pop("intensity")
            if "benchmark" in vals:
                benchmark[s] = vals.pop("benchmark")
            if vals:
                try:
                    quality[s] = DataQuality(**vals)
                except ValueError as exc:
                    msg = (
                        "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
                        if hasattr(exc, "errors")
                        else str(exc)
                    )
                    raise ScoringError(f"{where}: {msg}", supplier=s) from None
    return intensity, benchmark, quality
