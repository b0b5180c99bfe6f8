"""What each dataset covers, and what a footprint built from them is missing.

Every background dataset in ``inventories/background/`` carries machine-readable metadata as
activity fields (metadata rows of the Brightway CSV, kept by the importer as activity fields):

``gwp_basis``
    The IPCC report whose GWP100 values the *source* used to aggregate gases into CO2e: ``AR4``,
    ``AR5``, ``AR6``; ``unstated`` where the source does not say; ``none`` where the dataset holds
    gas masses (or CO2 only), so no GWP set is embedded and the LCIA method's factors apply.
``boundary``
    ``cradle-to-gate``, ``gate-to-gate``, ``life-cycle``, ``well-to-wheel``, ``upstream-only``,
    ``manufacture (embodied)``, ``direct-only``, ``combustion-only`` or ``unstated``.
``gases``
    ``CO2``, ``CO2,CH4,N2O`` (masses of each gas), a longer list of the gases booked (e.g.
    ``CO2,CH4,N2O,CF4,C2F6,biogenic CO2,land-use CO2`` for the GREET battery materials),
    ``CO2e aggregate`` (one CO2e figure booked as ``Carbon dioxide, fossil``) or ``none``.
``biogenic``
    ``not assessed`` where the source publishes no fossil / biogenic / land-use split; else how
    the published biogenic figure is booked.

Optional: ``rf_uplift_kgco2e_per_tkm`` (air freight: the radiative-forcing uplift, never part of
GWP100) with ``rf_uplift_source``, and ``meta_note``.

:func:`data_flags` is pure: given the activities of a product's supply chain (those with nonzero
supply, as mappings with their metadata and supply amount) it lists what the footprint cannot
claim — datasets that are direct-only / combustion-only / of unstated boundary (their upstream is
missing from a cradle-to-gate total), aggregates on different or unstated GWP bases, and the
radiative-forcing uplift of air freight as a separate figure. :func:`read_activity_meta` reads
those fields in bulk from bw2data for the footprint engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FIELDS",
    "INCOMPLETE_BOUNDARIES",
    "data_flags",
    "is_co2e_aggregate",
    "read_activity_meta",
]

FIELDS = ("gwp_basis", "boundary", "gases", "biogenic")
RF_FIELD = "rf_uplift_kgco2e_per_tkm"
#: Boundaries that do not make a cradle-to-gate footprint on their own.
INCOMPLETE_BOUNDARIES = ("direct-only", "combustion-only", "unstated")
_MISSING = {
    "direct-only": (
        "covers the direct emissions only: the upstream supply chain of its inputs (materials, "
        "fuels, purchased electricity) is not in this footprint"
    ),
    "combustion-only": (
        "covers fuel combustion only: the fuel's upstream supply (extraction, processing, "
        "transport, leakage) is not in this footprint"
    ),
    "unstated": (
        "boundary not stated by its source: it may not be cradle-to-gate, so parts of the "
        "upstream may be missing"
    ),
}


def is_co2e_aggregate(act: Mapping) -> bool:
    """Whether a dataset's metadata says it publishes one CO2e figure (``gases: CO2e
    aggregate``, booked as 'Carbon dioxide, fossil'), so its gas split is not available.

    >>> is_co2e_aggregate({"gases": "CO2e aggregate"}), is_co2e_aggregate({"gases": "CO2,CH4"})
    (True, False)
    """
    return "CO2e" in str(act.get("gases", ""))


def _label(key) -> str:
    return f"{key[0]}|{key[1]}" if isinstance(key, (tuple, list)) else str(key)


def data_flags(activities: Iterable[Mapping]) -> list[dict]:
    """What the footprint of a supply chain is missing or mixes (see module doc).

    ``activities``: one mapping per activity with nonzero supply, with ``key`` (``(database,
    code)``), ``name``, optionally ``amount`` (its supply for the footprint's demand) and the
    metadata fields. Activities without a ``boundary`` field (foreground product activities,
    databases imported from elsewhere) are not judged.

    Returns a list of dicts, each with ``kind`` and ``message``:

    - ``boundary``: one per dataset whose boundary is in :data:`INCOMPLETE_BOUNDARIES`
      (``dataset``, ``name``, ``boundary``, ``gases``);
    - ``gwp_basis``: once, when the CO2e aggregates in the chain were made with different GWP
      bases or with an unstated one (``bases``: basis → datasets);
    - ``radiative_forcing``: one per air-freight dataset with an RF uplift (``dataset``,
      ``kgco2e``: uplift × tkm supplied, not in the total; ``source``).
    """
    flags: list[dict] = []
    bases: dict[str, list[str]] = {}
    for act in sorted(activities, key=lambda a: _label(a.get("key"))):
        label = _label(act.get("key"))
        boundary = act.get("boundary")
        if boundary in INCOMPLETE_BOUNDARIES:
            flags.append(
                {
                    "kind": "boundary",
                    "dataset": label,
                    "name": act.get("name", ""),
                    "boundary": boundary,
                    "gases": act.get("gases", "unstated"),
                    "message": f"{label} ({boundary}): {_MISSING[boundary]}",
                }
            )
        if is_co2e_aggregate(act):
            basis = str(act.get("gwp_basis") or "unstated")
            bases.setdefault(basis, []).append(label)
        rf = act.get(RF_FIELD)
        if rf not in (None, ""):
            uplift = float(rf) * float(act.get("amount", 0.0))
            if math.isfinite(uplift):
                flags.append(
                    {
                        "kind": "radiative_forcing",
                        "dataset": label,
                        "kgco2e": uplift,
                        "source": act.get("rf_uplift_source", ""),
                        "message": (
                            f"{label}: air freight radiative-forcing uplift {uplift:.6g} kg CO2e "
                            f"({float(rf):g} kg CO2e/tkm), reported separately, not in GWP100"
                        ),
                    }
                )
    if len(bases) > 1 or "unstated" in bases:
        counts = ", ".join(f"{len(v)} {b}" for b, v in sorted(bases.items()))
        flags.append(
            {
                "kind": "gwp_basis",
                "bases": {b: bases[b] for b in sorted(bases)},
                "message": (
                    f"CO2e aggregates on mixed or unstated GWP bases ({counts}): summed as their "
                    "sources published them, each as one 'Carbon dioxide, fossil' flow, so the "
                    "method's own GWP100 factors do not apply to them"
                ),
            }
        )
    return flags


def read_activity_meta(ids: Sequence[int], amounts: Sequence[float]) -> list[dict]:
    """The metadata of the activities ``ids`` (bw2data node ids) with their supply ``amounts``,
    read in bulk from bw2data's SQLite (one query per 900 ids), as :func:`data_flags` takes."""
    from bw2data.backends import ActivityDataset as AD

    amount_of = {int(i): float(a) for i, a in zip(ids, amounts)}
    keys = list(amount_of)
    out = []
    for start in range(0, len(keys), 900):  # SQLite's bound-parameter limit
        part = keys[start : start + 900]
        for row in AD.select(AD.id, AD.database, AD.code, AD.name, AD.data).where(AD.id.in_(part)):
            data = row.data or {}
            rec = {"key": (row.database, row.code), "name": row.name, "amount": amount_of[row.id]}
            for f in (*FIELDS, RF_FIELD, "rf_uplift_source"):
                if f in data:
                    rec[f] = data[f]
            out.append(rec)
    return out
