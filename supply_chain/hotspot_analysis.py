"""Hotspots of a rolled-up BOM: contributions, edge sensitivities, rank stability.

A rolled-up BOM is a technosphere ``A = I − Qᵀ`` with intensities ``x`` and own footprints ``d``
(:mod:`supply_chain.roll_up`), so the contribution formulas of :mod:`lca.maths` apply as they are.
For one unit of product ``r`` the amounts of every part are ``m = A⁻¹ e_r``
(:func:`~supply_chain.bom_math.supply_vector`) and

- by part: ``dₙ mₙ`` (:func:`lca.maths.process_contributions`);
- by supplier / by country: the same, summed by the part's ``supplier`` / ``country``;
- by first-tier input: ``Q_rc x_c`` for each component ``c`` of ``r``, plus ``r``'s own ``d_r``
  (:func:`lca.maths.first_tier`);
- by life-cycle stage: parts without a stage count toward the stage of the part that consumes
  them (:func:`lca.maths.tag_contributions`);
- sensitivity to each BOM edge: ``∂x_r/∂Q_pc = m_p x_c`` (``= −∂h/∂A_cp``,
  :func:`lca.maths.sensitivity_technosphere`): one forward and one adjoint solve rank every
  supplier link.

Every table ends with a "rest" row, so its ``value`` column sums to the product's footprint.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from lca import maths
from lca.files import jsonable, write_files_atomically
from lca.footprint import UNASSIGNED

from .bom_math import rollup_csr, rollup_levels, supply_levels, supply_vector
from .errors import UnknownPart
from .paths import bom_paths
from .roll_up import RollupResult

log = logging.getLogger(__name__)

BREAKDOWNS = ("node", "supplier", "first_tier", "country", "stage")
NO_SUPPLIER = "(own or unspecified)"
NO_COUNTRY = "(unspecified)"
DIRECT = "(direct)"


def _part(result: RollupResult, part):
    part = result.root if part is None else part
    if part not in result.index:
        raise UnknownPart(part, "the rolled-up BOM")
    return part


def bom_technosphere(result: RollupResult) -> sp.csr_matrix:
    """The BOM as a technosphere: ``A = I − Qᵀ`` (components x parents)."""
    n = len(result.x)
    return sp.csr_matrix(sp.identity(n) - result.Q.T)


def part_amounts(result: RollupResult, part=None) -> np.ndarray:
    """``m``: units of every part in one unit of ``part`` (``m = (I − Qᵀ)⁻¹ e_part``)."""
    f = np.zeros(len(result.x))
    f[result.index[_part(result, part)]] = 1.0
    return supply_levels(result.Q, f, result._bounds)


def _table(items, values, total: float, top: int):
    import pandas as pd

    values = np.asarray(values, dtype=np.float64)
    idx, rest = maths.top_with_rest(values, top)
    idx = [i for i in idx if values[i] != 0]
    rest = float(total - values[idx].sum()) if len(idx) else float(total)
    df = pd.DataFrame(
        {
            "item": [str(items[i]) for i in idx] + ["rest"],
            "value": [float(values[i]) for i in idx] + [rest],
        }
    )
    df["share"] = df["value"] / total if total else np.nan
    return df


def _group_sum(values: np.ndarray, column, blank: str) -> dict:
    """:func:`lca.maths.group_sum` of ``values`` by a table column whose empty cells (None,
    NaN, ``""``, anything not a string) count as ``blank``: the same sums (``np.bincount`` in
    row order) and group order (first appearance), from the column's codes, without turning a
    million cells into Python strings. ``column`` may also be given as its ``(codes,
    values)`` (:meth:`~supply_chain.roll_up.RollupResult.codes`; code -1: not given)."""
    import pandas as pd

    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return {}
    if isinstance(column, tuple):
        codes, uniq = column
    else:
        codes, uniq = pd.factorize(column, use_na_sentinel=True)  # NA: -1
        uniq = uniq.tolist()
    names = [v if isinstance(v, str) and v else blank for v in uniq] + [blank]
    gid_of, group = {}, []
    for name in names:
        group.append(gid_of.setdefault(name, len(gid_of)))
    gid = np.asarray(group, dtype=np.int64)[codes]  # code -1: the last name, blank
    sums = np.bincount(gid, weights=values, minlength=len(gid_of))
    first = np.full(len(gid_of), len(gid), dtype=np.int64)  # each group's first row
    np.minimum.at(first, gid, np.arange(len(gid), dtype=np.int64))
    seen = np.flatnonzero(first < len(gid))
    labels = list(gid_of)
    return {labels[k]: float(sums[k]) for k in seen[np.argsort(first[seen])].tolist()}


class _Prefixed:
    """``[first, *rest]`` read by index, without copying ``rest``."""

    def __init__(self, first, rest):
        self.first, self.rest = first, rest

    def __getitem__(self, i):
        return self.first if i == 0 else self.rest[i - 1]


def contributions(result: RollupResult, part=None, by: str = "node", top: int = 10):
    """Contributions to the footprint of one unit of ``part`` (default: the product).

    Parameters
    ----------
    by
        One of :data:`BREAKDOWNS`.
    top
        Rows before the "rest" row.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``value``, ``share``; the last row is ``rest`` and ``value`` sums to
        the footprint.

    Examples
    --------
    >>> from supply_chain.bom import new_bom, add_part
    >>> from supply_chain.roll_up import rollup
    >>> G = new_bom("bike")
    >>> add_part(G, "frame", "bike", 1, "piece", direct=2.0, supplier="F Ltd")
    >>> add_part(G, "steel", "frame", 4.0, "kg", direct=2.0, supplier="S AG")
    >>> contributions(rollup(G), by="supplier").values.tolist()
    [['S AG', 8.0, 0.8], ['F Ltd', 2.0, 0.2], ['rest', 0.0, 0.0]]
    """
    return _contributions(result, _part(result, part), by, top)


def _contributions(result: RollupResult, part, by: str, top: int, m=None, c=None):
    """:func:`contributions` of a checked ``part``, with its amounts ``m`` and their
    contributions ``c`` if known."""
    total = result.footprint(part)
    if m is None:
        m = part_amounts(result, part)
    if c is None:
        c = maths.process_contributions(result.own, m)
    if by == "node":
        return _table(result.labels, c, total, top)
    if by in ("supplier", "country"):
        blank = NO_SUPPLIER if by == "supplier" else NO_COUNTRY
        col = result.codes(by)
        g = _group_sum(c, result.table[by] if col is None else col, blank)
        return _table(list(g), list(g.values()), total, top)
    if by == "first_tier":
        j = result.index[part]
        # maths.first_tier on A = I − Qᵀ, whose column j off the diagonal is −Q[j, :]: read
        # from Q's row j, without building A (a million-part transpose)
        Q = sp.csr_matrix(result.Q)
        a, b = Q.indptr[j], Q.indptr[j + 1]
        kids, at = np.unique(Q.indices[a:b], return_inverse=True)  # the components of j
        row = np.zeros(len(kids))
        np.add.at(row, at, -Q.data[a:b])  # A[i, j] = −Q[j, i], i ≠ j
        row[kids == j] = 0.0
        # [own, upstream of every part]: zero but at the components of j (computed there)
        values = np.zeros(len(result.x) + 1)
        values[0] = float(result.own[j] * m[j])
        values[1 + kids] = -row * m[j] * result.x[kids]
        return _table(_Prefixed(DIRECT, result.labels), values, total, top)
    if by == "stage":
        f = np.zeros(len(result.x))
        f[result.index[part]] = 1.0
        col = result.codes("stage")
        if col is None:
            col = result.table["stage"]
            # a stage is a non-empty string (what the reader lets through); anything else: none
            named = col.notna().to_numpy() & (col.astype(object).to_numpy() != "")
            stages = col
        else:
            codes, values = col
            ok = np.array([isinstance(v, str) and v != "" for v in values] + [False], dtype=bool)
            named = ok[codes]
            stages = None
        if not named.any():
            # no part has a stage: maths.tag_contributions has no tagged activity, so its
            # answer is {None: 0.0 + λᵁ·f} with λᵁ the roll-up of the whole BOM (U is every
            # part, in order): the same sum, without its per-part masks and copies
            lam_u = rollup_levels(
                result.Q, np.asarray(result.own, dtype=np.float64), result._bounds
            )
            raw = {None: 0.0 + float(lam_u @ f)} if np.any(f != 0) else {}
        else:
            if stages is None:
                stages = [values[k] if k >= 0 else None for k in codes.tolist()]
            stages = np.array(
                [s if isinstance(s, str) and s else None for s in stages], dtype=object
            )
            # λᵁ = e_U (I − Qᵀ)_UU⁻¹ is the roll-up of the untagged sub-BOM: no factorisation
            U = np.flatnonzero(np.array([t is None for t in stages], dtype=bool))
            Q = sp.csr_matrix(result.Q)
            lam_u = rollup_csr(Q[U][:, U], np.asarray(result.own, dtype=np.float64)[U])
            raw = maths.tag_contributions(
                bom_technosphere(result), result.own, m, f, stages, lam_u=lam_u
            )
        g = {(k if k is not None else UNASSIGNED): v for k, v in raw.items()}
        return _table(list(g), list(g.values()), total, top)
    raise ValueError(f"unknown breakdown {by!r}; expected one of {', '.join(BREAKDOWNS)}")


def hotspots(result: RollupResult, part=None, top: int = 10) -> dict:
    """Every breakdown of :data:`BREAKDOWNS` for ``part``: ``{by: DataFrame}``."""
    part = _part(result, part)
    m = part_amounts(result, part)  # once for every breakdown
    c = maths.process_contributions(result.own, m)
    return {by: _contributions(result, part, by, top, m, c) for by in BREAKDOWNS}


def edge_sensitivities(result: RollupResult, part=None):
    """Sensitivity of the footprint of ``part`` to every BOM edge that was rolled up.

    Returns a DataFrame sorted by ``|elasticity|``: ``parent``, ``component``, ``q`` (effective
    quantity), ``dfootprint_dq`` (``m_p x_c``), ``elasticity`` (``q m_p x_c / x_part``: the
    relative change of the footprint per relative change of the quantity).
    """
    import pandas as pd

    part = _part(result, part)
    m = part_amounts(result, part)
    # ∂h/∂A_cp = −x_c m_p on A = I − Qᵀ; Q_pc = −A_cp
    S = sp.coo_matrix(maths.sensitivity_technosphere(bom_technosphere(result), m, result.x))
    off = S.row != S.col
    comp, par, dA = S.row[off], S.col[off], S.data[off]
    q = np.asarray(result.Q[par, comp]).ravel()
    dq = -dA
    total = result.footprint(part)
    df = pd.DataFrame(
        {
            "parent": [result.nodes[i] for i in par],
            "component": [result.nodes[i] for i in comp],
            "q": q,
            "dfootprint_dq": dq,
            "elasticity": q * dq / total if total else np.nan,
        }
    )
    df = df[df["dfootprint_dq"] != 0]
    return df.reindex(df["elasticity"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )


def rank_stability(
    result: RollupResult,
    part=None,
    iterations: int = 1000,
    seed: int = 0,
    top: int = 5,
    sigma_quantity: float = 0.1,
    sigma_footprint: float = 0.2,
):
    """How often each of the ``top`` hotspot parts keeps its rank under Monte Carlo.

    Each draw multiplies every rolled-up quantity ``Q_pc`` by a lognormal factor (median 1, σ
    from the edge's ``sigma`` attribute, else ``sigma_quantity``) and every own footprint ``dₙ``
    by one (σ from the part's ``sigma`` attribute, else ``sigma_footprint``), rolls up again
    and ranks the parts by ``|dₙ mₙ|``. Seeded: the same seed gives the same table.

    Returns
    -------
    pandas.DataFrame
        ``part``, ``rank`` (deterministic, 1 = largest), ``value``, ``p_same_rank``,
        ``p_in_top`` (probability of staying among the ``top``), ``p05``/``p95`` of the
        contribution.
    """
    import pandas as pd

    part = _part(result, part)
    G, nodes = result.graph, result.nodes
    r0 = result.index[part]
    m0 = part_amounts(result, part)
    c0 = result.own * m0
    k = min(top, int(np.count_nonzero(c0)))
    order0 = np.argsort(-np.abs(c0), kind="stable")[:k]
    Q = sp.csr_matrix(result.Q)
    rows = np.repeat(np.arange(Q.shape[0]), np.diff(Q.indptr))
    s_q = np.array(
        [G.edges[nodes[p], nodes[c]].get("sigma", sigma_quantity) for p, c in zip(rows, Q.indices)],
        dtype=np.float64,
    )
    s_d = np.array([G.nodes[n].get("sigma", sigma_footprint) for n in nodes], dtype=np.float64)
    rng = np.random.default_rng(seed)
    same = np.zeros(k)
    intop = np.zeros(k)
    draws = np.empty((iterations, k))
    f = np.zeros(len(nodes))
    f[r0] = 1.0
    for t in range(iterations):
        Qt = sp.csr_matrix((Q.data * rng.lognormal(0.0, s_q), Q.indices, Q.indptr), shape=Q.shape)
        own = result.own * rng.lognormal(0.0, s_d)
        c = own * supply_vector(Qt, f)
        rank = np.empty(len(c), dtype=np.int64)
        rank[np.argsort(-np.abs(c), kind="stable")] = np.arange(len(c))
        same += rank[order0] == np.arange(k)
        intop += rank[order0] < k
        draws[t] = c[order0]
    return pd.DataFrame(
        {
            "part": [nodes[i] for i in order0],
            "rank": np.arange(1, k + 1),
            "value": c0[order0],
            "p_same_rank": same / iterations,
            "p_in_top": intop / iterations,
            "p05": np.percentile(draws, 5, axis=0),
            "p95": np.percentile(draws, 95, axis=0),
        }
    )


def write_hotspots(
    result: RollupResult,
    out_dir: str | os.PathLike,
    part=None,
    top: int = 10,
    prefix: str = "bom",
    paths_cutoff: float = 0.005,
) -> dict:
    """Write the roll-up and its hotspots for ``part`` into ``out_dir``.

    Files: ``<prefix>-rollup.csv`` (one row per part), ``<prefix>-hotspots.csv`` (long table:
    ``breakdown, item, value, share, unit, per``, every breakdown with its "rest" row; plus the
    top supply paths), ``<prefix>-sensitivities.csv`` and ``<prefix>-hotspots.json`` (all of it, plus the
    summary and the path coverage). Every file is built in memory first and the four are
    written together, all or none (:func:`lca.files.write_files_atomically`). Returns
    ``{kind: path}``.
    """
    import pandas as pd

    part = _part(result, part)
    out = Path(out_dir)
    tables = hotspots(result, part, top)
    spa = bom_paths(result, part, cutoff=paths_cutoff, top=top)
    paths_df = spa.to_frame()
    long = pd.concat(
        [t.assign(breakdown=by) for by, t in tables.items()]
        + [
            paths_df.rename(columns={"path": "item"})[["item", "value", "share"]].assign(
                breakdown="path"
            )
        ],
        ignore_index=True,
    )[["breakdown", "item", "value", "share"]]
    # each value's unit and what it is per, as footprints.csv states them (columns added at the
    # end: readers of the four first columns are unaffected)
    summary = result.summary(part)
    long["unit"] = summary["unit"]
    long["per"] = f"1 {summary['per']} of {summary['part']}"
    sens = edge_sensitivities(result, part)
    doc = {
        "summary": summary,
        "hotspots": {by: t.to_dict("records") for by, t in tables.items()},
        "paths": {
            "coverage": spa.coverage,
            "cutoff": spa.cutoff,
            "n_enumerated": spa.n_enumerated,
            "rows": paths_df.to_dict("records"),
        },
        "sensitivities": sens.head(top).to_dict("records"),
    }
    texts = {
        "rollup_csv": (f"{prefix}-rollup.csv", result.table.to_csv()),
        "hotspots_csv": (f"{prefix}-hotspots.csv", long.to_csv(index=False)),
        "sensitivities_csv": (f"{prefix}-sensitivities.csv", sens.to_csv(index=False)),
        "hotspots_json": (
            f"{prefix}-hotspots.json",
            json.dumps(jsonable(doc), indent=2, ensure_ascii=False, allow_nan=False),
        ),
    }
    paths = write_files_atomically(out, dict(texts.values()))
    return {k: str(p) for k, p in zip(texts, paths)}
