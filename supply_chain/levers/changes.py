"""The model change behind a lever: the ``change`` columns of a levers CSV.

Besides the solver columns (:mod:`supply_chain.levers.io`), a levers file may carry one
*change* per lever in the columns ``change, part, activity, old, new, share, factor, amount``;
:class:`supply_chain.model.SupplyChainModel` computes the lever's effect from it (first order)
and re-solves a plan exactly:

======================= =====================================================================
``change``              meaning (``Δ`` = reduction per unit of the product, ``m_p`` = units of
                        BOM part ``p`` per unit of product, ``λ`` = Brightway cradle-to-gate
                        intensity per unit of an activity's product)
======================= =====================================================================
``replace_supplier``    in Brightway activity ``activity``, ``share`` of the input from ``old``
                        comes from ``new``: ``δA[old, j] = −share·A[old, j]``,
                        ``δA[new, j] = +share·A[old, j]``. First order:
                        ``Δ = Σ_linked m_p f_p Σ λ_i δA_ij S_j,p`` (``∂h/∂A_ij = −λ_i s_j``);
                        exact: re-factorise ``A + δA``
``scale``               in ``activity``, the exchange with ``old`` (a product or elementary
                        flow) is multiplied by ``factor`` (same first-order / exact treatment)
``bom_replace``         BOM part ``part`` (linked to activity ``old``) is sourced from ``new``
                        for ``share`` of its quantity: ``Δ = m_p·share·(f_old λ_old − f_new
                        λ_new)`` (exact)
``pcf_electricity``     the supplier behind ``part``'s PCF buys ``amount`` kWh per declared unit
                        from ``new`` instead of ``old`` (``share`` of it): its PCF falls by
                        ``amount·share·(λ_old − λ_new)``, ``Δ = m_p f_p`` times that (exact)
``pcf_switch``          part ``part`` is bought under supplier PCF ``new`` instead of ``old``:
                        ``Δ = m_p (f_old v_old − f_new v_new)`` (exact)
======================= =====================================================================

``activity``, ``old`` and ``new`` are ``database|code`` keys (PCF ids for ``pcf_switch``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import LeverError
from ._rows import LeverRow, read_lever_rows

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_KINDS",
    "LeverChange",
    "lever_changes",
    "parse_key",
    "read_lever_changes",
]

CHANGE_KINDS = ("replace_supplier", "scale", "bom_replace", "pcf_electricity", "pcf_switch")
CHANGE_COLUMNS = ("change", "part", "activity", "old", "new", "share", "factor", "amount")


@dataclass(frozen=True)
class LeverChange:
    """The model change behind one lever (see the module doc for the kinds).

    ``old``/``new`` are ``(database, code)`` keys, or PCF ids for ``pcf_switch``; ``where``
    locates the row (``<file>:<line> (lever '<id>')``).
    """

    lever: str
    change: str
    part: str | None = None
    activity: tuple[str, str] | None = None
    old: tuple[str, str] | str | None = None
    new: tuple[str, str] | str | None = None
    share: float = 1.0
    factor: float | None = None
    amount: float | None = None
    where: str = ""

    @property
    def technosphere(self) -> bool:
        """A change of the background technosphere/biosphere (first-order effect)."""
        return self.change in ("replace_supplier", "scale")


def parse_key(value: str, where: str, column: str) -> tuple[str, str]:
    """``"database|code"`` → ``(database, code)``.

    Raises
    ------
    LeverError
        ``"<where>: <column> '<value>' is not a 'database|code' key"``.

    >>> parse_key("pcf-background|grid-cn", "levers.csv:2", "old")
    ('pcf-background', 'grid-cn')
    """
    if "|" not in value or not all(value.split("|", 1)):
        raise LeverError(f"{where}: {column} {value!r} is not a 'database|code' key")
    db, code = value.split("|", 1)
    return (db.strip(), code.strip())


def _change(row: LeverRow) -> LeverChange:
    kind, lid, where = row.get("change"), row.lever, row.where
    if kind not in CHANGE_KINDS:
        raise LeverError(
            f"{where}: change {kind!r} is not one of {', '.join(CHANGE_KINDS)}", lever=lid
        )

    def need(*cols: str) -> None:
        for c in cols:
            if not row.get(c):
                raise LeverError(f"{where}: change {kind!r} needs column {c!r}", lever=lid)

    def key(col: str) -> tuple[str, str]:
        return parse_key(row.get(col), where, col)

    share = row.number("share", 1.0)
    if not 0.0 < share <= 1.0:
        raise LeverError(f"{where}: share {share!r} must be in (0, 1]", lever=lid)
    kw: dict = {"lever": lid, "change": kind, "share": share, "where": where}
    if kind in ("replace_supplier", "scale"):
        need("activity", "old", *(("new",) if kind == "replace_supplier" else ()))
        kw.update(activity=key("activity"), old=key("old"))
        if kind == "replace_supplier":
            kw["new"] = key("new")
        else:
            need("factor")
            kw["factor"] = row.number("factor")
            if kw["factor"] < 0:
                raise LeverError(f"{where}: factor must be ≥ 0", lever=lid)
    elif kind == "bom_replace":
        need("part", "old", "new")
        kw.update(part=row.get("part"), old=key("old"), new=key("new"))
    elif kind == "pcf_electricity":
        need("part", "old", "new", "amount")
        kw.update(part=row.get("part"), old=key("old"), new=key("new"), amount=row.number("amount"))
        if kw["amount"] < 0:
            raise LeverError(f"{where}: amount must be ≥ 0", lever=lid)
    else:  # pcf_switch
        need("part", "new")
        kw.update(part=row.get("part"), old=row.get("old") or None, new=row.get("new"))
    return LeverChange(**kw)


def lever_changes(fields: list[str], rows: list[LeverRow]) -> dict[str, LeverChange]:
    """``{lever id: LeverChange}`` of rows read by :func:`read_lever_rows` (module doc); rows
    without a ``change`` are skipped (those levers keep their typed ``delta``).

    Raises
    ------
    LeverError
        Naming the file and row: an unknown change kind, a second change for one lever, a
        missing or malformed field, or a share outside (0, 1].
    """
    out: dict[str, LeverChange] = {}
    if "change" not in fields:
        return out
    for row in rows:
        if not row.get("change"):
            continue
        if row.lever in out:
            raise LeverError(f"{row.where}: a second change for the same lever", lever=row.lever)
        out[row.lever] = _change(row)
    return out


def read_lever_changes(path: str | os.PathLike) -> dict[str, LeverChange]:
    """The ``change`` columns of a levers CSV: ``{lever id: LeverChange}``
    (:func:`lever_changes` of :func:`read_lever_rows`).

    Raises
    ------
    LeverError
        Naming the file and row (see :func:`lever_changes`).
    """
    return lever_changes(*read_lever_rows(path))
