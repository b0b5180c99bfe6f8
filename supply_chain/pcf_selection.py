"""Choosing one supplier PCF per product: identical copies dropped, conflicts refused or
resolved by a rule the user chose (``pcf bom rollup --pcf-rule``).

Two PCFs for one product (the same PCF id, or a shared PACT product URN) that differ in any
figure are a conflict: using the first one read without a word would make the result depend on
the order of the files. They are refused (:class:`~supply_chain.errors.ConflictingPCFs`, naming
the product and every source) unless a rule chooses, and every choice is logged with the PCFs
left out. One ``Active`` PCF beside deprecated ones (its predecessors) is not a conflict.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable

from .errors import ConflictingPCFs
from .pcfs import SupplierPCF

__all__ = ["PCF_RULES", "pcf_index", "select_pcfs"]

log = logging.getLogger(__name__)


#: Rules that choose one of several different PCFs for one product (:func:`select_pcfs`).
PCF_RULES = ("error", "latest", "lowest-dqr", "first")


def _figures(p: SupplierPCF) -> tuple:
    """What makes two PCFs the same footprint (everything but where it was read)."""
    return (
        p.id,
        p.value,
        p.unit,
        p.product_ids,
        p.primary_data_share,
        tuple(sorted(p.dqr.items())),
        p.reference_period,
        p.validity_period,
        p.status,
        p.value_including_biogenic,
    )


def _dqr_mean(p: SupplierPCF) -> float:
    """Mean DQR (1 best); a PCF without DQRs ranks last."""
    return sum(p.dqr.values()) / len(p.dqr) if p.dqr else math.inf


def _period_end(p: SupplierPCF) -> float:
    end = p.reference_period[1]
    if end is None:
        return -math.inf
    return (end if end.tzinfo else end.replace(tzinfo=dt.UTC)).timestamp()


def _conflicts(pcfs: list[SupplierPCF]) -> dict[str, list[int]]:
    """``{product: [positions of its different PCFs]}`` where a product (a PCF id or a product
    URN) has more than one; an identical copy and a deprecated one beside one active PCF are not
    a conflict."""
    keys: dict[str, list[int]] = {}
    for i, p in enumerate(pcfs):
        for key in dict.fromkeys((p.id, *p.product_ids)):
            keys.setdefault(key, []).append(i)
    out = {}
    for key, pos in keys.items():
        distinct = list({_figures(pcfs[i]): i for i in reversed(pos)}.values())[::-1]
        active = [i for i in distinct if pcfs[i].status == "Active"]
        if len(distinct) > 1 and len(active) != 1:
            out[key] = sorted(distinct)
    return out


def select_pcfs(pcfs: Iterable[SupplierPCF], rule: str = "error") -> list[SupplierPCF]:
    """``pcfs`` with one PCF per product: copies dropped, conflicts resolved by ``rule``.

    Two PCFs for one product (the same id or a shared product URN) that differ in any figure
    conflict, unless exactly one of them is ``Active`` (the others are its deprecated
    predecessors). ``rule`` is ``"error"`` (refuse, the default), ``"latest"`` (the latest
    reference period end), ``"lowest-dqr"`` (the best, i.e. lowest, mean data-quality rating;
    none stated ranks last) or ``"first"`` (the first read). Ties go to the first read. Each
    choice is logged as a warning naming the PCFs left out.

    Raises
    ------
    ConflictingPCFs
        With ``rule="error"``: naming the product and every source (file and row).
    ValueError
        An unknown ``rule``.
    """
    if rule not in PCF_RULES:
        raise ValueError(f"unknown PCF rule {rule!r}; expected one of {', '.join(PCF_RULES)}")
    pcfs = list(pcfs)
    seen: dict[tuple, int] = {}
    keep = [seen.setdefault(_figures(p), i) == i for i, p in enumerate(pcfs)]  # drop copies
    for key, pos in _conflicts(pcfs).items():
        pos = [i for i in pos if keep[i]]
        if len(pos) < 2:
            continue
        cands = [pcfs[i] for i in pos]
        if rule == "error":
            raise ConflictingPCFs(
                key, [p.source or p.id for p in cands], [f"{p.value:g} per {p.unit}" for p in cands]
            )
        best = {
            "first": lambda k: k,
            "latest": lambda k: (-_period_end(pcfs[k]), k),
            "lowest-dqr": lambda k: (_dqr_mean(pcfs[k]), k),
        }[rule]
        chosen = min(pos, key=best)
        for i in pos:
            keep[i] = keep[i] and i == chosen
        log.warning(
            "%d different supplier PCFs for product %r: using %s (%g per %s, --pcf-rule %s), "
            "left out: %s",
            len(pos),
            key,
            pcfs[chosen].source or pcfs[chosen].id,
            pcfs[chosen].value,
            pcfs[chosen].unit,
            rule,
            "; ".join(
                f"{pcfs[i].source or pcfs[i].id} ({pcfs[i].value:g})" for i in pos if i != chosen
            ),
        )
    return [p for p, k in zip(pcfs, keep, strict=True) if k]


def pcf_index(pcfs: Iterable[SupplierPCF]) -> dict[str, SupplierPCF]:
    """``{id: pcf}``; a PCF is also found by each of its product ids (URNs).

    Raises
    ------
    ConflictingPCFs
        Two different PCFs for one id or product URN (:func:`select_pcfs` chooses by a rule).
    """
    pcfs = select_pcfs(pcfs)
    out: dict[str, SupplierPCF] = {}
    for p in pcfs:
        out[p.id] = p
        for pid in p.product_ids:
            out.setdefault(pid, p)
    # one active PCF beside deprecated ones: the active one
    for key, p in list(out.items()):
        if p.status != "Active":
            active = [q for q in pcfs if q.status == "Active" and key in (q.id, *q.product_ids)]
            if active:
                out[key] = active[0]
    return out
