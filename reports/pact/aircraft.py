"""``aircraftGhgEmissions``: stated only where the model can compute it.

PACT v3.0.3 and v2.3 make the field optional ("If present, the GHG emissions resulting from
aircraft engine usage for the transport of the product"; in neither version's ``required``
list). :func:`supply_chain.data_quality.assess` finds aircraft transport by the names of the
supplying activities (:data:`supply_chain.data_quality.AIRCRAFT_TERMS`). That search sees every
transport of the product system only where transport is modelled as activities of its own: in
datasets of one process's own emissions (``boundary`` ``direct-only``, ``combustion-only`` or
``gate-to-gate`` in the dataset metadata, :mod:`lca.dataset_meta`), whose inputs, transport
included, are other activities of the system. An *aggregated* dataset, one figure for a whole
upstream supply chain (``cradle-to-gate``, ``life-cycle``, ``well-to-wheel``, ``upstream-only``,
``manufacture (embodied)``; ``unstated`` may be one), holds the transport of that chain by every
mode inside its figure, where no name search can see it. A dataset with emissions but no
recorded ``boundary`` (a foreground activity, an imported database) is not known to be a single
process: the shipped NMC811 pack books its GREET cradle-to-gate materials aggregate that way.

So (rule B3): when every input of the footprint comes from a single-process dataset (or from an
activity named as aircraft transport), the search covered the whole system and its sum is the
figure (``0`` is then a computed zero); otherwise the field is left out and the comment says
why, naming the share of the footprint that the search cannot see and the largest datasets
behind it (the aircraft activities found by name are named too, as a part of an unknown total).
Without the datasets' metadata (``boundaries=None``) nothing can be told apart, and the field
is left out. A unit-process database (ecoinvent's, say) gets an aircraft figure once its
datasets carry ``boundary: gate-to-gate``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

#: Dataset ``boundary`` values (:mod:`lca.dataset_meta`) of one process's own emissions: its
#: inputs, transport included, are other activities of the model, which the name search sees.
#: Every other value (``cradle-to-gate``, ``life-cycle``, ``well-to-wheel``, ``upstream-only``,
#: ``manufacture (embodied)``: aggregated datasets whose figure holds their upstream transport;
#: ``unstated``) and no value at all leave the transport modes behind a figure unknown.
SINGLE_PROCESS_BOUNDARIES = frozenset({"direct-only", "combustion-only", "gate-to-gate"})


def dataset_boundaries(quality) -> dict[tuple[str, str], str]:
    """The ``boundary`` metadata field of every dataset with an input in ``quality.inputs``
    (a :class:`supply_chain.data_quality.DataQualityAssessment`), read from bw2data in a few
    queries; datasets without the field (unit processes, foreground activities) are absent."""
    keys = {tuple(r.key) for r in quality.inputs}
    if not keys:
        return {}
    from bw2data.backends import ActivityDataset as AD

    out: dict[tuple[str, str], str] = {}
    step = 500  # well under SQLite's limit of bound variables per statement
    for db in sorted({k[0] for k in keys}):
        codes = sorted(k[1] for k in keys if k[0] == db)
        for i in range(0, len(codes), step):
            rows = AD.select(AD.code, AD.data).where(
                (AD.database == db) & AD.code.in_(codes[i : i + step])
            )
            for row in rows:
                boundary = (row.data or {}).get("boundary")
                if boundary:
                    out[(db, row.code)] = str(boundary)
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def hidden_datasets(quality, boundaries: Mapping[tuple[str, str], str]) -> list[dict]:
    """The inputs whose transport modes no name search sees (module doc): every dataset that
    is neither named as aircraft transport nor a single-process dataset, with its share of the
    footprint, largest first; empty when the search covers the whole system."""
    names = set(quality.aircraft_activities)
    hidden: dict[tuple, dict] = defaultdict(lambda: {"share": 0.0})
    for r in quality.inputs:
        key = tuple(r.key)
        boundary = boundaries.get(key)
        if r.name in names or boundary in SINGLE_PROCESS_BOUNDARIES:
            continue
        row = hidden[key]
        row.update(name=r.name, location=r.location, boundary=boundary or "boundary not recorded")
        row["share"] += r.share
    return sorted(hidden.values(), key=lambda d: -d["share"])


def aircraft_emissions(
    quality, boundaries: Mapping[tuple[str, str], str] | None, scale: float = 1.0
) -> tuple[float | None, str]:
    """``(aircraftGhgEmissions or None, the comment's sentence)`` (see the module doc).

    ``scale`` converts kg CO2e for the result's amount to the document's basis (v2: per declared
    unit). ``None`` when the field must be left out: inputs from aggregated datasets, or
    ``boundaries`` not given.
    """
    if quality is None:
        return None, ""
    found = quality.aircraft_emissions * scale
    names = tuple(quality.aircraft_activities)
    by_name = (
        f"activities named as aircraft transport ({'; '.join(names)}) give {found:.4g} kg CO2e"
        if names
        else "no activity named as aircraft transport was found"
    )
    searched = f"the name search of the {quality.activities_searched} supplying activities"
    if boundaries is None:
        return None, (
            "Aircraft emissions (aircraftGhgEmissions, optional) not assessed and left out: the "
            f"datasets' boundaries were not read, so aggregated datasets cannot be told apart "
            f"({searched}: {by_name})."
        )
    rows = hidden_datasets(quality, boundaries)
    if not rows:
        return found, (
            f"Aircraft emissions: {found:.4g} kg CO2e, computed: every input comes from a "
            "single-process dataset (direct, combustion or gate-to-gate emissions), so every "
            f"transport is an activity of the model and {searched} covers them all ({by_name})."
        )
    share = sum(d["share"] for d in rows)
    largest = "; ".join(
        f"{d['name']} [{d['location']}], {d['boundary']}, {_pct(d['share'])}" for d in rows[:3]
    )
    more = f"; and {len(rows) - 3} more" if len(rows) > 3 else ""
    return None, (
        "Aircraft emissions (aircraftGhgEmissions, optional) not assessed and left out: "
        f"{_pct(share)} of the PCF comes from aggregated datasets (or datasets without a recorded "
        "boundary) whose figures may include upstream transport by modes that cannot be "
        f"separated ({largest}{more}); {searched} sees only transport modelled as activities "
        f"({by_name})."
    )
