"""The footprint source of every BOM part, chosen in the order of :mod:`supply_chain.roll_up`
(supplier PCF, Brightway activity, spend-based factor, the BOM itself, direct emissions).

:func:`choose_sources` decides everything that needs no Brightway solve; the parts linked to a
Brightway activity are left in ``want_bw`` and filled by :func:`link_background` once the
background intensities are known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lca.units import conversion_factor

from .pcfs import DQR_FIELDS


@dataclass
class PartSources:
    """Per part (topological order): the source used, its reference, why a source was skipped,
    the outside value per unit of the part with its primary-data share and DQRs, and the parts
    waiting for a Brightway value (``{node index: activity key}``)."""

    source: np.ndarray
    ref: list
    note: list
    ext: np.ndarray
    ext_pds: np.ndarray
    ext_dqr: np.ndarray
    want_bw: dict

    @classmethod
    def empty(cls, n: int) -> PartSources:
        return cls(
            source=np.array(["missing"] * n, dtype=object),
            ref=[""] * n,
            note=[""] * n,
            ext=np.zeros(n),
            ext_pds=np.full(n, np.nan),
            ext_dqr=np.full((n, len(DQR_FIELDS)), np.nan),
            want_bw={},
        )


def choose_sources(
    nodes: list,
    attrs: Mapping,
    has_children: np.ndarray,
    pool: Mapping,
    on: dt.date | None,
    have_engine: bool,
    spend_factors: Mapping[str, float] | None,
) -> PartSources:
    """The source of every part except the Brightway ones (left in ``want_bw``)."""
    s = PartSources.empty(len(nodes))
    for i, part in enumerate(nodes):
        a = attrs[part]
        unit = a.get("unit", "piece")
        if a.get("pcf") is not None and _from_pcf(s, i, a, unit, f"part {part!r}", pool, on):
            continue
        if a.get("activity") is not None:
            if not have_engine:
                s.note[i] = _join(s.note[i], "no Brightway project given for the linked activity")
            else:
                s.want_bw[i] = tuple(a["activity"])
                continue
        if a.get("spend_sector") is not None and _from_spend(s, i, a, unit, spend_factors):
            continue
        s.source[i] = "bom" if has_children[i] else ("direct" if a.get("direct") else "missing")
    return s


def _from_pcf(s: PartSources, i: int, a: Mapping, unit: str, where: str, pool, on) -> bool:
    """Use the part's supplier PCF if it is loaded and valid on ``on``; else say why not."""
    p = pool.get(a["pcf"])
    if p is None:
        s.note[i] = f"supplier PCF {a['pcf']!r} not loaded"
        return False
    ok, why = p.validity(on)
    if not ok:
        s.note[i] = f"supplier PCF {p.id!r} not used: {why}"
        return False
    s.source[i], s.ref[i] = "supplier_pcf", p.id
    s.ext[i] = p.value * conversion_factor(unit, p.unit, where + f" (PCF {p.id})")
    s.ext_pds[i] = p.primary_data_share if p.primary_data_share is not None else 0
    for k, f in enumerate(DQR_FIELDS):
        s.ext_dqr[i, k] = p.dqr.get(f, np.nan)
    return True


def _from_spend(s: PartSources, i: int, a: Mapping, unit: str, spend_factors) -> bool:
    """Use the part's spend-based factor if factors, its sector and a price are there."""
    sector = a["spend_sector"]
    if spend_factors is None:
        s.note[i] = _join(s.note[i], "spend-based factor skipped: no USEEIO factors loaded")
        return False
    if sector not in spend_factors:
        s.note[i] = _join(s.note[i], f"spend-based factor skipped: no sector {sector!r}")
        return False
    price = 1.0 if unit == "usd" else a.get("unit_price_usd")
    if price is None:
        s.note[i] = _join(s.note[i], "spend-based factor skipped: no unit_price_usd")
        return False
    s.source[i], s.ref[i] = "spend", str(sector)
    s.ext[i] = float(spend_factors[sector]) * float(price)
    s.ext_pds[i] = 0.0
    return True


def link_background(
    s: PartSources, background, engine, nodes: list, attrs: Mapping
) -> dict[int, tuple[int, float]]:
    """Fill the Brightway parts from ``background`` (:class:`~supply_chain.roll_up.Background`);
    returns ``{node index: (product row, unit factor)}``."""
    sysm = background.system
    links: dict[int, tuple[int, float]] = {}
    for i, key in s.want_bw.items():
        node = engine.node(key)
        row = sysm.product_index[node.id]
        act_unit = sysm.units[sysm.activity_index[node.id]] or "unit"
        factor = conversion_factor(
            attrs[nodes[i]].get("unit", "piece"),
            act_unit,
            f"part {nodes[i]!r} linked to {key[0]}|{key[1]}",
        )
        s.source[i], s.ref[i] = "brightway", f"{key[0]}|{key[1]}"
        s.ext[i] = factor * float(background.lam[row])
        s.ext_pds[i] = 0.0
        links[i] = (row, factor)
    return links


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
