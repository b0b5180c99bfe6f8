"""What an import did besides reading: the full list of links by rule, conversions, assumptions
and drops, kept for the import's report (:class:`lca.imports.ImportReport`) and logged.

Every reader appends to one :class:`Notes` per file; the counts of what was read and how each
exchange linked are computed from the datasets themselves (:func:`read_counts`,
:func:`link_counts`), so they hold for every format.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

KINDS = ("linked", "converted", "assumed", "dropped")


@dataclass
class Notes:
    """Lists of one-line, located notes (file, activity, exchange): ``linked`` (links made by a
    rule the user chose, e.g. by name), ``converted`` (amounts or directions changed: units to
    a reference unit, waste flows to negative products, allocation), ``assumed`` (a default
    taken where the file says nothing) and ``dropped`` (data not imported)."""

    linked: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def add(self, kind: str, message: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"note kind {kind!r} not one of {KINDS}")
        getattr(self, kind).append(message)
        (log.warning if kind in ("assumed", "dropped") else log.info)("%s", message)

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(getattr(self, k)) for k in KINDS}


def read_counts(data: dict) -> dict[str, int]:
    """``{"activities", "products", "exchanges", "<edge type>": n}`` of bw2data's
    ``{(db, code): dataset}``."""
    kinds = Counter(
        e.get("type", "?") for ds in data.values() for e in ds.get("exchanges", []) or []
    )
    products = sum(1 for ds in data.values() if ds.get("type") == "product")
    return {
        "activities": len(data) - products,
        "products": products,
        "exchanges": sum(kinds.values()),
        **{f"{k} exchanges": n for k, n in sorted(kinds.items())},
    }


def link_counts(name: str, data: dict, biosphere: str) -> dict[str, int]:
    """How many exchanges (production excluded) link inside the database itself, to the
    biosphere, and to each other installed database."""
    out: Counter = Counter()
    for ds in data.values():
        for e in ds.get("exchanges", []) or []:
            if e.get("type") == "production" or not e.get("input"):
                continue
            db = e["input"][0]
            if db == name:
                out["within the database"] += 1
            elif db == biosphere:
                out[f"biosphere ({biosphere})"] += 1
            else:
                out[f"database {db!r}"] += 1
    return dict(sorted(out.items()))
