"""Supplier scoring for purchasing teams: push whom, on what, first.

Per supplier ``s`` (volumes ``wₚ`` of the products ``p``; contributions ``cₛₚ`` per unit of
product, e.g. the upstream contribution of the edge supplier → product from
:func:`lca.maths.edge_contributions` or a BOM roll-up), :func:`supplier_scores` computes

- ``contribution = Σₚ wₚ cₛₚ`` and its ``share`` of the portfolio footprint ``Σₚ wₚ hₚ``;
- ``intensity_ratio = intensity / benchmark`` — the supplier's declared footprint per unit
  against a benchmark for the same material (e.g. the background dataset's cradle-to-gate
  footprint, :func:`background_benchmarks`);
- data quality: ``primary_share`` (share of primary data, PACT ``primaryDataShare``) and
  ``dqr = (TeR + GeR + TiR + P) / 4`` (PEF data quality rating, 1 = excellent … 5 = very poor;
  :func:`dqr`);
- ``reduction_potential``: the most the levers at the supplier (``lever.node`` or
  ``lever.actor`` is the supplier) can cut the portfolio, ``Σ aₖ`` over its levers with
  ``aₖ = Σₚ wₚ Δₖₚ > 0``, counting only the best lever of each exclusive group (pairwise
  exclusions and budgets ignored: an upper bound); ``best_lever`` is its lever with the lowest
  cost per unit abated.

Sub-scores in [0, 1] (higher = push sooner)::

    s_contribution = contribution / max over suppliers of contribution
    s_intensity    = clip(intensity_ratio − 1, 0, 1)      (0 at or below the benchmark, 1 at 2×)
    s_data_quality = mean of (dqr − 1) / 4 and 1 − primary_share  (those known)
    s_reduction    = reduction_potential / max over suppliers of reduction_potential

    score = Σᵢ Wᵢ sᵢ / Σᵢ Wᵢ   over the sub-scores that are known (not NaN)

with default weights :data:`DEFAULT_WEIGHTS` (contribution 0.4, reduction 0.25, intensity 0.2,
data quality 0.15). ``push_on`` names the action with the largest ``Wᵢ sᵢ`` among reduction
(the best lever), intensity and data quality (``"monitor"`` when all are 0).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lca.files import parse_number

from .errors import ScoringError
from .levers import compile_problem, portfolio_abatement

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = {"contribution": 0.4, "reduction": 0.25, "intensity": 0.2, "data_quality": 0.15}

#: Columns of :func:`supplier_scores`, in order.
COLUMNS = [
    "rank",
    "supplier",
    "contribution",
    "share",
    "n_products",
    "top_product",
    "top_product_share",
    "intensity",
    "benchmark",
    "intensity_ratio",
    "primary_share",
    "dqr",
    "reduction_potential",
    "best_lever",
    "best_lever_mac",
    "s_contribution",
    "s_intensity",
    "s_data_quality",
    "s_reduction",
    "score",
    "push_on",
]


def dqr(ter: float, ger: float, tir: float, p: float) -> float:
    """PEF / PACT data quality rating ``DQR = (TeR + GeR + TiR + P) / 4`` (each 1-5).

    >>> dqr(1, 2, 2, 3)
    2.0
    """
    return (ter + ger + tir + p) / 4.0


class DataQuality(BaseModel):
    """A supplier's data quality: primary-data share and the four PEF ratings (1 best, 5 worst).

    Any of them may be omitted; ``dqr`` is known only when all four ratings are given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary_share: float | None = Field(default=None, ge=0, le=1)
    ter: float | None = Field(default=None, ge=1, le=5)
    ger: float | None = Field(default=None, ge=1, le=5)
    tir: float | None = Field(default=None, ge=1, le=5)
    p: float | None = Field(default=None, ge=1, le=5)

    @property
    def dqr(self) -> float:
        r = (self.ter, self.ger, self.tir, self.p)
        return dqr(*r) if all(v is not None for v in r) else float("nan")


def _quality(supplier: str, q) -> DataQuality:
    if isinstance(q, DataQuality):
        return q
    try:
        return DataQuality(**dict(q))
    except (ValidationError, TypeError, ValueError) as exc:
        raise ScoringError(
            f"data quality of supplier {supplier!r}: {exc}", supplier=supplier
        ) from None


def _finite(supplier, what, v) -> float:
    """``v`` as a finite number (:func:`lca.files.parse_number`); errors name the supplier."""
    try:
        return parse_number(v)
    except ValueError as exc:
        why = f"is not a number: {v!r}" if str(exc) == "not a number" else "is not finite"
        raise ScoringError(f"{what} of supplier {supplier!r} {why}", supplier=supplier) from None


def supplier_scores(
    contributions: Mapping[str, Mapping[str, float]],
    *,
    volumes: Mapping[str, float] | None = None,
    product_totals: Mapping[str, float] | None = None,
    intensity: Mapping[str, float] | None = None,
    benchmark: Mapping[str, float] | None = None,
    data_quality: Mapping[str, DataQuality | Mapping] | None = None,
    problem=None,
    weights: Mapping[str, float] | None = None,
):
    """Score and rank suppliers (formulas in the module doc).

    Parameters
    ----------
    contributions : supplier → {product → contribution per unit of product}.
    volumes : product → units (default 1 each).
    product_totals : product → footprint per unit; ``share`` is of ``Σₚ wₚ hₚ``. Default: the
        sum of the given contributions (then shares are of the suppliers' total).
    intensity, benchmark : supplier → footprint per unit of what it supplies, and the benchmark
        for the same material (both needed for ``intensity_ratio``; benchmark > 0).
    data_quality : supplier → :class:`DataQuality` (or a mapping of its fields).
    problem : a :class:`supply_chain.levers.ReductionProblem` for ``reduction_potential``.
    weights : overrides of :data:`DEFAULT_WEIGHTS` (keys ``contribution``, ``reduction``,
        ``intensity``, ``data_quality``; ≥ 0).

    Returns
    -------
    pandas.DataFrame
        One row per supplier sorted by ``rank`` (1 = push first; ties by contribution, then
        name), columns :data:`COLUMNS`. Unknown values are missing (NaN).

    Raises
    ------
    ScoringError
        A non-finite contribution, intensity or benchmark, a benchmark ≤ 0, ratings outside 1-5,
        a share outside [0, 1], or an unknown or negative weight.
    """
    import pandas as pd

    W = _weights(weights)
    volumes = dict(volumes or {})
    data_quality = dict(data_quality or {})
    suppliers = list(contributions)

    contrib, top, top_share, n_products = _contributions(
        contributions, suppliers, volumes, product_totals
    )
    if product_totals is not None:
        portfolio = sum(volumes.get(p, 1.0) * float(h) for p, h in product_totals.items())
    else:
        portfolio = float(contrib.sum())

    inten, bench = _intensities(suppliers, dict(intensity or {}), dict(benchmark or {}))
    ratio = inten / bench

    quals = [_quality(s, data_quality[s]) if s in data_quality else None for s in suppliers]
    primary = np.array(
        [q.primary_share if q and q.primary_share is not None else np.nan for q in quals],
        dtype=float,
    )
    rating = np.array([q.dqr if q else np.nan for q in quals], dtype=float)

    potential, best, best_mac = _reduction_potential(suppliers, problem)

    with np.errstate(invalid="ignore", divide="ignore"):
        cmax = np.max(contrib) if len(contrib) else 0.0
        s_contrib = np.clip(contrib / cmax, 0, 1) if cmax > 0 else np.zeros(len(contrib))
        s_int = np.clip(ratio - 1.0, 0.0, 1.0)
        dq_parts = np.vstack([(rating - 1.0) / 4.0, 1.0 - primary])
        known = ~np.isnan(dq_parts)
        s_dq = np.where(
            known.any(axis=0),
            np.nansum(dq_parts, axis=0) / np.maximum(known.sum(axis=0), 1),
            np.nan,
        )
        pmax = np.nanmax(potential) if problem is not None and len(potential) else np.nan
        s_red = (
            np.clip(potential / pmax, 0, 1)
            if pmax and pmax > 0
            else np.where(np.isnan(potential), np.nan, 0.0)
        )
    subs = {"contribution": s_contrib, "intensity": s_int, "data_quality": s_dq, "reduction": s_red}
    num = sum(W[k] * np.nan_to_num(v) for k, v in subs.items())
    den = sum(W[k] * (~np.isnan(v)) for k, v in subs.items())
    score = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    push = [
        _push_on(W, s_red[i], s_int[i], s_dq[i], best[i], ratio[i], rating[i], primary[i])
        for i in range(len(suppliers))
    ]

    df = pd.DataFrame(
        {
            "supplier": suppliers,
            "contribution": contrib,
            "share": contrib / portfolio if portfolio else np.nan,
            "n_products": n_products,
            "top_product": top,
            "top_product_share": top_share,
            "intensity": inten,
            "benchmark": bench,
            "intensity_ratio": ratio,
            "primary_share": primary,
            "dqr": rating,
            "reduction_potential": potential,
            "best_lever": best,
            "best_lever_mac": best_mac,
            "s_contribution": s_contrib,
            "s_intensity": s_int,
            "s_data_quality": s_dq,
            "s_reduction": s_red,
            "score": score,
            "push_on": push,
        }
    )
    df = df.sort_values(
        ["score", "contribution", "supplier"],
        ascending=[False, False, True],
        kind="stable",
        na_position="last",
    ).reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    log.info("scored %d suppliers", len(df))
    return df[COLUMNS]


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """:data:`DEFAULT_WEIGHTS` with the known, finite, non-negative ``weights`` applied."""
    W = dict(DEFAULT_WEIGHTS)
    for k, v in (weights or {}).items():
        if k not in W:
            raise ScoringError(f"unknown weight {k!r}; known: {', '.join(W)}")
        if not (math.isfinite(v) and v >= 0):
            raise ScoringError(f"weight {k!r} must be finite and ≥ 0, got {v!r}")
        W[k] = float(v)
    return W


def _contributions(contributions, suppliers: list, volumes: Mapping, product_totals):
    """Per supplier: ``Σₚ wₚ cₛₚ``, the product it contributes most to, that contribution's
    share of the product's total, and how many products it contributes to."""
    contrib, top, top_share, n_products = [], [], [], []
    for s in suppliers:
        per = {
            p: _finite(s, f"contribution to {p!r}", v) * volumes.get(p, 1.0)
            for p, v in contributions[s].items()
        }
        contrib.append(sum(per.values()))
        n_products.append(sum(1 for v in per.values() if v != 0))
        if per:
            p_top = max(per, key=lambda p: abs(per[p]))
            top.append(p_top)
            tot = (product_totals or {}).get(p_top)
            if tot is None:
                tot = sum(float(contributions[o].get(p_top, 0.0)) for o in suppliers)
            top_share.append(float(contributions[s][p_top]) / tot if tot else np.nan)
        else:
            top.append(None)
            top_share.append(np.nan)
    return np.array(contrib, dtype=float), top, top_share, n_products


def _intensities(suppliers: list, intensity: Mapping, benchmark: Mapping):
    """Each supplier's declared intensity and its benchmark (> 0); NaN where not given."""
    inten = np.array(
        [_finite(s, "intensity", intensity[s]) if s in intensity else np.nan for s in suppliers]
    )
    bench = []
    for s in suppliers:
        if s in benchmark:
            b = _finite(s, "benchmark", benchmark[s])
            if b <= 0:
                raise ScoringError(f"benchmark of supplier {s!r} must be > 0, got {b}", supplier=s)
            bench.append(b)
        else:
            bench.append(np.nan)
    return inten, np.array(bench)


def _push_on(W, s_red, s_int, s_dq, best, ratio, rating, primary) -> str:
    """The action with the largest weighted sub-score (``"monitor"`` when all are 0)."""
    options = {
        "reduction": W["reduction"] * np.nan_to_num(s_red),
        "intensity": W["intensity"] * np.nan_to_num(s_int),
        "data_quality": W["data_quality"] * np.nan_to_num(s_dq),
    }
    what = max(options, key=options.get)
    if options[what] <= 0:
        return "monitor"
    if what == "reduction":
        return f"lever {best}"
    if what == "intensity":
        return f"intensity ({ratio:.2f}x benchmark)"
    bits = []
    if not np.isnan(rating):
        bits.append(f"DQR {rating:.2f}")
    if not np.isnan(primary):
        bits.append(f"{100 * primary:.0f} % primary")
    return f"primary data ({', '.join(bits)})"


def _reduction_potential(suppliers: Sequence[str], problem):
    n = len(suppliers)
    if problem is None:
        return np.full(n, np.nan), [None] * n, np.full(n, np.nan)
    abatement = portfolio_abatement(compile_problem(problem)).tolist()
    idx = {s: i for i, s in enumerate(suppliers)}
    groups: list[dict[str, float]] = [{} for _ in range(n)]
    best: list[tuple[float, str] | None] = [None] * n
    for lv, a in zip(problem.levers, abatement):
        if a <= 0:
            continue
        for s in {lv.node, lv.actor}:
            if s not in idx:
                continue
            i = idx[s]
            g = lv.exclusive_group or f"\0{lv.id}"  # ungrouped levers are their own group
            groups[i][g] = max(groups[i].get(g, 0.0), a)
            mac = lv.cost / a
            if best[i] is None or mac < best[i][0]:
                best[i] = (mac, lv.id)
    potential = np.array([sum(g.values()) for g in groups], dtype=float)
    return (
        potential,
        [b[1] if b else None for b in best],
        np.array([b[0] if b else np.nan for b in best], dtype=float),
    )


def background_benchmarks(engine, datasets: Mapping[str, object], method=None) -> dict[str, float]:
    """Benchmark intensities: the cradle-to-gate footprint of one unit of a background dataset.

    ``datasets``: supplier → the dataset for the same material (``(db, code)`` or anything
    :meth:`lca.footprint.FootprintEngine.node` accepts). One factorisation and one adjoint
    solve for all (:meth:`lca.footprint.FootprintEngine.batch`).
    """
    if not datasets:
        return {}
    df = engine.batch(list(datasets.values()), [method])
    return {s: float(df.iloc[i, 0]) for i, s in enumerate(datasets)}


#: :func:`supplier_scores` column -> the readable CSV header (with its unit) of
#: :func:`scorecard_table`; ``{period}`` is the period of the product volumes (the demo's
#: ``battery-pack-baseline.csv`` gives packs per year), ``{cost}`` the cost unit of the levers.
SCORECARD_HEADERS = {
    "rank": "Rank (1 = push first, by score)",
    "supplier": "Supplier",
    "contribution": "Emissions attributed (t CO2e {period})",
    "share": "Share of portfolio footprint (%)",
    "n_products": "Products contributed to (count)",
    "top_product": "Top product",
    "top_product_share": "Share of top product's footprint (%)",
    "part_unit": "Unit of scored part",
    "intensity": "Intensity (kg CO2e per unit of part)",
    "benchmark": "Database benchmark (kg CO2e per unit of part)",
    "intensity_ratio": "Intensity / benchmark (ratio)",
    "primary_share": "Primary-data share (%)",
    "dqr": "PEF DQR (TeR+GeR+TiR+P)/4 (1 best - 5 worst)",
    "reduction_potential": "Reduction potential (t CO2e {period})",
    "best_lever": "Best lever",
    "best_lever_mac": "Best lever cost ({cost} per t CO2e abated)",
    "s_contribution": "Contribution sub-score (0-1)",
    "s_intensity": "Intensity sub-score (0-1)",
    "s_data_quality": "Data-quality sub-score (0-1)",
    "s_reduction": "Reduction sub-score (0-1)",
    "score": "Score (0-1, higher = push sooner)",
    "push_on": "Push on",
}

#: Decimals kept per column of :func:`scorecard_table` (after the unit conversion): percentages
#: to 0.01 %, ratios and ratings to 0.01, costs to 0.01 per t, sub-scores to 0.001; tonnes and
#: intensities keep :data:`_SIGNIFICANT` significant digits (they span 0.01 to 100,000). The raw
#: figures stay in :func:`supplier_scores` (and the demo's summary JSON).
_SIGNIFICANT = {"contribution": 5, "reduction_potential": 5, "intensity": 4, "benchmark": 4}
_DECIMALS = {
    "share": 2,
    "top_product_share": 2,
    "intensity_ratio": 2,
    "primary_share": 1,
    "dqr": 2,
    "best_lever_mac": 2,
    "s_contribution": 3,
    "s_intensity": 3,
    "s_data_quality": 3,
    "s_reduction": 3,
    "score": 3,
}


def _significant(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant digits.

    >>> _significant(30032.100747, 5), _significant(0.0812345, 4), _significant(float("nan"))
    (30032.0, 0.08123, nan)
    """
    if not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def scorecard_table(
    card,
    *,
    part_units: Mapping[str, str] | None = None,
    emissions_unit: str = "kg CO2e",
    period: str = "per year",
    cost_unit: str = "currency of the levers file",
):
    """:func:`supplier_scores` as a table for people: readable headers with units
    (:data:`SCORECARD_HEADERS`), emissions in t CO2e, shares in %, figures rounded
    (:data:`_DECIMALS`, :data:`_SIGNIFICANT`). Unknown values stay empty.

    ``part_units`` maps a supplier to the unit of the part its intensity is per (a column
    ``Unit of scored part``); ``emissions_unit`` is the unit of the contributions (kg CO2e or
    the method's ``kg CO2-Eq``; anything else is refused, so tonnes are never mislabelled);
    ``period`` the period of the product volumes the contributions were weighted with.

    Raises
    ------
    ScoringError
        ``emissions_unit`` not in kg of CO2 equivalent.

    >>> import pandas as pd
    >>> t = scorecard_table(supplier_scores({"A": {"p": 2.0}, "B": {"p": 1.0}},
    ...     volumes={"p": 1000.0}), part_units={"A": "kilogram"})
    >>> t.iloc[0, :4].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'Rank (1 = push first, by score)': 1, 'Supplier': 'A',
     'Emissions attributed (t CO2e per year)': 2.0, 'Share of portfolio footprint (%)': 66.67}
    """
    if emissions_unit.replace(" ", "").lower() not in ("kgco2e", "kgco2-eq", "kgco2eq"):
        raise ScoringError(
            f"scorecard emissions unit {emissions_unit!r}: expected kg CO2e (the contributions "
            "are converted to t CO2e)"
        )
    df = card.copy()
    for col in ("contribution", "reduction_potential"):
        df[col] = df[col] / 1000.0  # kg -> t
    df["best_lever_mac"] = df["best_lever_mac"] * 1000.0  # per kg -> per t abated
    for col in ("share", "top_product_share", "primary_share"):
        df[col] = df[col] * 100.0
    for col, n in _DECIMALS.items():
        df[col] = df[col].astype(float).round(n)
    for col, n in _SIGNIFICANT.items():
        df[col] = [_significant(float(v), n) for v in df[col]]
    df.insert(
        df.columns.get_loc("intensity"),
        "part_unit",
        [(part_units or {}).get(s) for s in df["supplier"]],
    )
    headers = {k: v.format(period=period, cost=cost_unit) for k, v in SCORECARD_HEADERS.items()}
    return df.rename(columns=headers)[list(headers.values())]
