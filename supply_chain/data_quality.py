"""Data quality of a computed footprint, from the inventory's own pedigree records.

:func:`assess` rates the footprint of a product (a :class:`lca.footprint.FootprintResult`) on the
PACT data-quality criteria (technological, geographical, temporal representativeness, 1 best to
5 worst) and computes its primary data share, from what the inventory records. Nothing is typed
by hand: a declaration file cannot carry quality scores (:mod:`reports.meta` refuses them). The
PACT document (:func:`reports.pact.pact_footprint`) and the ISO 14067 report's data-quality table
(:func:`reports.iso14067.write_iso14067_report`) both take this one assessment.

Where the scores come from
--------------------------
Each exchange may carry an ecoinvent v3 pedigree (reliability R, completeness C, temporal T,
geographical G, further technological Tech; each 1 best .. 5 worst):

* the exchange field ``pedigree``: bw2io's form, a dict keyed ``reliability``, ``completeness``,
  ``temporal correlation``, ``geographical correlation``, ``further technological correlation``
  (what ``bw2io``'s ecospold2 extractor stores), or five scores ``"(R, C, T, G, Tech)"``;
* else the text ``pedigree (R,C,T,G,Tech)=(3, 2, 1, 4, 3)`` in the exchange ``comment`` (the
  convention of ``inventories/*.csv``, README "Conventions: Uncertainty").

PACT criterion <- pedigree indicator: technological <- Tech, geographical <- G, temporal <- T
(the same direction, 1 best .. 5 worst; the definitions of the two scales differ in detail, so
this is a mapping, stated in the reports). R and C are carried too (the ISO report's PEF
``DQR = (TeR + GeR + TiR + P) / 4`` uses R as P).

The rating of one input, and the weighting (the PACT rule)
----------------------------------------------------------
An *input* is one biosphere exchange of one activity of the product system; its contribution
``E_x = s_j * B_kj * c_k`` (supply of the activity times the biosphere matrix entry of its flow
times the method's factor; several exchanges of one flow share ``B_kj`` by their amounts) is its
part of the footprint, and the contributions add up to the result's total. The input's rating, per criterion, is the worse (``max``) of

1. its *own* pedigree (how well the figure represents the dataset's own activity: a US GREET
   aggregate is G 1 for the US), and
2. the dataset's *use* pedigree: the pedigree of the technosphere exchanges through which the
   product system consumes the dataset, weighted by the flow through each (how well the dataset
   represents what the product really uses: the same US aggregate used for a Chinese cell is
   recorded G 4 on that exchange), and
3. for the geographical criterion, a floor from the locations (ecoinvent v3 data quality
   guideline, Weidema et al. 2013, pedigree matrix, geographical correlation: 1 "data from area
   under study", 2 "average data from larger area in which the area under study is included",
   3 "data from area with similar production conditions"): a dataset of another country than
   the declared geography scores at least 3; a global (``GLO``/``RoW``) or other multi-country
   region at least 2; the same country or one of its subdivisions (``CN-JS`` for ``CN``) no
   floor. So a US proxy for a Chinese product never scores 1, whatever its records say.

An input with no pedigree at all (neither its own nor a use pedigree) is *unrated*: it scores 5
(the worst) on every criterion, and its share is reported as ``unrated_share``.

**PACT rule** (Technical Specifications v3.0.3, ``DataQualityIndicators``: each DQR scores "the
sources used for the final absolute PCF excluding biogenic CO2 uptake calculation based on
weighted average of all inputs"): each criterion of the footprint is the average of the inputs'
ratings weighted by their contribution to the PCF, ``DQR_c = sum_x |E_x| r_xc / sum_x |E_x|``
(absolute values, so a removal weighs by its size).

Primary data share
------------------
PACT Technical Specifications v3.0.3 ``primaryDataShare``: "Share of primary data in the final
absolute PCF value excluding biogenic CO2 uptake". Here an input is primary when it is
supplier-specific, recorded as the field ``primary_data`` (true/false) on the biosphere exchange,
else on its activity (a metadata row ``primary_data,true`` in a Brightway CSV, kept by the
importer as an activity field): the figures are measured at the plant that makes the product or
at a supplier's named process, not taken from a database or the literature. Default: false.
``primary_data_share = 100 * sum_{x primary} |E_x| / sum_x |E_x|``.

Also computed on the way (the same contributions): aircraft emissions (inputs of activities
whose name says aircraft / air freight / flight: the whole supplying system is searched), the
grid electricity datasets used and their factors, and the proxies (inputs rated 3 or worse on
the geographical or technological criterion) that the PACT ``comment`` names.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lca import maths
from lca.errors import InventoryError

__all__ = [
    "AIRCRAFT_TERMS",
    "CRITERIA",
    "PEDIGREE_KEYS",
    "DataQualityAssessment",
    "InputRating",
    "InvalidPedigree",
    "assess",
    "geographical_floor",
    "pedigree_of",
    "weighted_ratings",
]

log = logging.getLogger(__name__)

#: bw2io's names of the five pedigree indicators (its ecospold2 extractor's ``PM_MAPPING``), in
#: the order (R, C, T, G, Tech) the inventories write them.
PEDIGREE_KEYS = (
    "reliability",
    "completeness",
    "temporal correlation",
    "geographical correlation",
    "further technological correlation",
)
#: the rated criteria: PACT's three, then the two PEF/ecoinvent ones the ISO table also shows
CRITERIA = ("technological", "geographical", "temporal", "reliability", "completeness")
#: criterion -> pedigree indicator
_FROM_PEDIGREE = {
    "technological": "further technological correlation",
    "geographical": "geographical correlation",
    "temporal": "temporal correlation",
    "reliability": "reliability",
    "completeness": "completeness",
}
UNRATED = 5.0  # the worst score: an input with no record is never rated better than that
#: Lower-case name fragments of aircraft transport activities (ecoinvent "transport, freight,
#: aircraft, ..."; "air freight"; "flight"); reports.iso14067 searches by the same words.
AIRCRAFT_TERMS = ("air freight", "aircraft", "flight")

_COMMENT_RE = re.compile(
    r"pedigree\s*\(\s*R\s*,\s*C\s*,\s*T\s*,\s*G\s*,\s*Tech\s*\)\s*=\s*\(([^)]*)\)", re.IGNORECASE
)
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}


class InvalidPedigree(InventoryError):
    """A pedigree or ``primary_data`` record that cannot be read (names activity and field)."""

    def __init__(self, where: str, field: str, value, why: str):
        self.where, self.field, self.value = where, field, value
        super().__init__(f"{where}: field {field!r} = {value!r}: {why}")


# -- reading the records ----------------------------------------------------------------------------
def _scores(values, where: str, field: str) -> dict[str, int]:
    vals = list(values)
    if len(vals) != 5:
        raise InvalidPedigree(where, field, values, "needs five scores (R, C, T, G, Tech)")
    out = {}
    for key, v in zip(PEDIGREE_KEYS, vals, strict=True):
        try:
            n = float(v)
        except (TypeError, ValueError):
            raise InvalidPedigree(where, field, values, f"{v!r} is not a score 1..5") from None
        if not (n.is_integer() and 1 <= n <= 5):
            raise InvalidPedigree(where, field, values, f"{v!r} is not a score 1..5")
        out[key] = int(n)
    return out


def pedigree_of(exc: Mapping, where: str = "exchange") -> dict[str, int] | None:
    """The pedigree scores of one exchange (dict keyed :data:`PEDIGREE_KEYS`), or None.

    >>> pedigree_of({"comment": "x. Uncertainty: pedigree (R,C,T,G,Tech)=(3, 2, 1, 4, 3)."})[
    ...     "geographical correlation"]
    4
    >>> pedigree_of({"pedigree": "(2,3,2,1,1)"})["temporal correlation"]
    2
    >>> pedigree_of({"comment": "no record"}) is None
    True

    Raises
    ------
    InvalidPedigree
        A record that is there but not five scores 1..5 (naming ``where`` and the field).
    """
    ped = exc.get("pedigree")
    if isinstance(ped, Mapping):
        missing = [k for k in PEDIGREE_KEYS if k not in ped]
        if missing:
            raise InvalidPedigree(where, "pedigree", dict(ped), f"lacks {missing}")
        return _scores([ped[k] for k in PEDIGREE_KEYS], where, "pedigree")
    if isinstance(ped, (list, tuple)):
        return _scores(ped, where, "pedigree")
    if isinstance(ped, str) and ped.strip():
        return _scores(ped.strip().strip("()").split(","), where, "pedigree")
    m = _COMMENT_RE.search(str(exc.get("comment") or ""))
    if m:
        return _scores(m.group(1).split(","), where, "comment")
    return None


def _flag(value, where: str, field: str = "primary_data") -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise InvalidPedigree(where, field, value, "must be true or false")


def geographical_floor(location: str | None, geography: str | None) -> int:
    """The best geographical score a dataset of ``location`` can have for a product of
    ``geography`` (ISO 3166 code, region name or None for global): see the module doc.

    >>> geographical_floor("US", "CN"), geographical_floor("CN-JS", "CN"), geographical_floor(
    ...     "GLO", "CN"), geographical_floor("CN", None)
    (3, 1, 2, 1)
    """
    if not geography or str(geography).strip().upper() in ("GLO", "GLOBAL"):
        return 1
    g = str(geography).strip()
    loc = (location or "").strip()
    if not loc:
        return 2  # unknown location: never the area under study by default
    if loc == g or loc.startswith(g + "-"):
        return 1  # the country itself or one of its subdivisions
    if g.startswith(loc + "-"):
        return 2  # the country of a subdivision: a larger area that includes it
    if re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", loc):
        return 3  # another country: "an area with similar production conditions" at best
    return 2  # GLO, RoW, RER, ...: a larger area that may include the area under study


# -- the result --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputRating:
    """One input (a biosphere exchange of one activity) of the footprint and its rating."""

    key: tuple[str, str]
    name: str
    location: str | None
    flow: str
    contribution: float  # kg CO2e (the method's unit) for the result's amount
    share: float  # |contribution| / sum of |contributions|
    own: dict[str, int] | None  # the exchange's pedigree (PEDIGREE_KEYS)
    use: dict[str, float] | None  # the flow-weighted pedigree of the exchanges consuming it
    rating: dict[str, float]  # CRITERIA -> score used
    primary: bool

    @property
    def rated(self) -> bool:
        return self.own is not None or self.use is not None


@dataclass(frozen=True)
class DataQualityAssessment:
    """The footprint's data quality (see the module doc for every rule).

    ``technological``, ``geographical``, ``temporal`` are the PACT DQRs; ``reliability`` and
    ``completeness`` the two other pedigree indicators, weighted the same way;
    ``primary_data_share`` and ``unrated_share`` are percentages of the PCF.
    """

    product: tuple[str, str]
    method: tuple[str, ...]
    total: float
    technological: float
    geographical: float
    temporal: float
    reliability: float
    completeness: float
    primary_data_share: float
    unrated_share: float
    geography: str | None
    aircraft_emissions: float
    aircraft_activities: tuple[str, ...]
    activities_searched: int
    grid: tuple[dict, ...]  # {"key", "name", "location", "factor", "unit", "share"}
    inputs: tuple[InputRating, ...] = field(repr=False)

    rule: str = (
        "PACT v3 DataQualityIndicators: weighted average of all inputs, each input weighted by "
        "its contribution to the PCF (|kg CO2e|); an input's rating is the worse of its own "
        "ecoinvent pedigree and the pedigree of the exchanges that use its dataset (T -> TiR, "
        "G -> GeR, Tech -> TeR), the geographical score floored by location (another country "
        "at least 3); an input without a pedigree scores 5."
    )

    @property
    def dqr(self) -> float:
        """PEF DQR = (TeR + GeR + TiR + P) / 4 with P = the weighted reliability."""
        return (self.technological + self.geographical + self.temporal + self.reliability) / 4

    @property
    def coverage_percent(self) -> float:
        """Share of the PCF whose inputs carry a pedigree record (100 - unrated)."""
        return 100.0 - self.unrated_share

    def proxies(self, threshold: int = 3) -> list[dict]:
        """Datasets rated ``threshold`` or worse on the geographical or technological criterion
        by their records (summed over their inputs): what the PACT comment names as proxies.
        Datasets without any record are :meth:`unrated`, not proxies."""
        agg: dict[tuple, dict] = {}
        for r in self.inputs:
            if not r.rated or max(r.rating["geographical"], r.rating["technological"]) < threshold:
                continue
            row = agg.setdefault(
                r.key,
                {
                    "key": r.key,
                    "name": r.name,
                    "location": r.location,
                    "share": 0.0,
                    "geographical": r.rating["geographical"],
                    "technological": r.rating["technological"],
                },
            )
            row["share"] += r.share
        return sorted(agg.values(), key=lambda d: -d["share"])

    def unrated(self) -> list[dict]:
        """Datasets with inputs that carry no pedigree record (scored 5), with their share."""
        agg: dict[tuple, dict] = {}
        for r in self.inputs:
            if r.rated:
                continue
            row = agg.setdefault(
                r.key, {"key": r.key, "name": r.name, "location": r.location, "share": 0.0}
            )
            row["share"] += r.share
        return sorted(agg.values(), key=lambda d: -d["share"])

    def by_dataset(self) -> list[dict]:
        """One row per dataset: its share of the PCF and its contribution-weighted ratings."""
        agg: dict[tuple, dict] = {}
        for r in self.inputs:
            row = agg.setdefault(
                r.key,
                {
                    "key": r.key,
                    "name": r.name,
                    "location": r.location,
                    "contribution": 0.0,
                    "share": 0.0,
                    "primary": r.primary,
                    "rated": r.rated,
                    **{c: 0.0 for c in CRITERIA},
                },
            )
            row["contribution"] += r.contribution
            row["share"] += r.share
            for c in CRITERIA:
                row[c] += r.share * r.rating[c]
        rows = sorted(agg.values(), key=lambda d: -d["share"])
        for row in rows:
            for c in CRITERIA:
                row[c] = row[c] / row["share"] if row["share"] else float("nan")
        return rows


def weighted_ratings(weights, ratings) -> dict[str, float]:
    """``sum w_x r_xc / sum w_x`` per criterion (the PACT rule): ``ratings`` one dict per input.

    >>> weighted_ratings([3.0, 1.0], [{"technological": 3}, {"technological": 1}])
    {'technological': 2.5}
    """
    w = np.abs(np.asarray(list(weights), dtype=float))
    ratings = list(ratings)
    if not len(ratings) or w.sum() == 0:
        return {}
    keys = ratings[0].keys()
    return {k: float(np.dot(w, [r[k] for r in ratings]) / w.sum()) for k in keys}


def _is_aircraft(name: str | None) -> bool:
    n = (name or "").lower()
    return any(term in n for term in AIRCRAFT_TERMS)


def _is_grid(node) -> bool:
    name = str(node.get("name") or "").lower()
    prod = str(node.get("reference product") or "").lower()
    return node.get("unit") == "kilowatt hour" and ("electricity" in name or "electricity" in prod)


def assess(engine, result, geography: str | None = None) -> DataQualityAssessment:
    """The data quality of ``result`` (computed by ``engine``), see the module doc.

    Parameters
    ----------
    engine
        The :class:`lca.footprint.FootprintEngine` that computed ``result``.
    result
        A :class:`lca.footprint.FootprintResult` (its product, amount and method are used).
    geography
        The declared geography of the product (ISO 3166 code, region, None for global): the
        reference of the geographical floor.

    Raises
    ------
    InvalidPedigree
        A pedigree or ``primary_data`` record that cannot be read, naming activity and field.
    """
    bd = engine.project.bd
    node = engine.node(result.product)
    sysm = engine.system_for([node])
    c = engine.characterization(sysm, result.method)
    f = engine.demand_vector(sysm, node, result.amount if result.amount else 1.0)
    s = maths.supply(sysm.fact, f)
    active = [j for j in range(len(s)) if s[j] != 0]
    col = {int(sysm.activity_ids[j]): j for j in range(len(sysm.activity_ids))}
    flow_row = {int(fid): i for i, fid in enumerate(sysm.flow_ids)}
    nodes = {j: bd.get_node(id=int(sysm.activity_ids[j])) for j in active}

    # use pedigree of each supplied dataset: flow-weighted over the exchanges consuming it
    use_w: dict[int, float] = defaultdict(float)
    use_sum: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for i in active:
        act = nodes[i]
        for exc in act.technosphere():
            j = col.get(int(exc.input.id))
            if j is None or j == i:
                continue
            where = f"{act.key[0]}|{act.key[1]}: technosphere exchange {exc.input['name']!r}"
            ped = pedigree_of(exc, where)
            if ped is None:
                continue
            w = abs(float(s[i]) * float(exc["amount"]))
            use_w[j] += w
            for k, v in ped.items():
                use_sum[j][k] += w * v
    use = {
        j: {k: float(v / use_w[j]) for k, v in use_sum[j].items()} for j in use_sum if use_w[j] > 0
    }

    inputs: list[dict] = []
    aircraft, aircraft_names, grid = 0.0, set(), []
    for j in active:
        act = nodes[j]
        where_act = f"{act.key[0]}|{act.key[1]}"
        act_primary = _flag(act.get("primary_data"), where_act)
        floor = geographical_floor(act.get("location"), geography)
        direct = 0.0
        excs = [x for x in act.biosphere() if flow_row.get(int(x.input.id)) is not None]
        # the matrix entry (what the result used, float32-stored) split among the exchanges of
        # the same flow by their amounts, so the inputs add up to the result exactly
        per_flow: dict[int, float] = defaultdict(float)
        for exc in excs:
            per_flow[flow_row[int(exc.input.id)]] += float(exc["amount"])
        for exc in excs:
            row = flow_row[int(exc.input.id)]
            if c[row] == 0 or per_flow[row] == 0:
                continue
            part = float(exc["amount"]) / per_flow[row]
            e = float(s[j] * sysm.B[row, j] * c[row]) * part
            if e == 0:
                continue
            where = f"{where_act}: biosphere exchange {exc.input['name']!r}"
            own = pedigree_of(exc, where)
            primary = _flag(exc.get("primary_data", act_primary), where)
            u = use.get(j)
            rating = {}
            for crit in CRITERIA:
                key = _FROM_PEDIGREE[crit]
                vals = [v[key] for v in (own, u) if v is not None]
                rating[crit] = max(vals) if vals else UNRATED
            rating["geographical"] = max(rating["geographical"], floor)
            inputs.append(
                {
                    "key": act.key,
                    "name": act.get("name", ""),
                    "location": act.get("location"),
                    "flow": exc.input.get("name", ""),
                    "contribution": e,
                    "own": own,
                    "use": u,
                    "rating": rating,
                    "primary": primary,
                }
            )
            direct += e
        if _is_aircraft(act.get("name")):
            aircraft += direct
            aircraft_names.add(act.get("name", ""))
        if direct and _is_grid(act):
            grid.append(
                {
                    "key": act.key,
                    "name": act.get("name", ""),
                    "location": act.get("location"),
                    "factor": direct / float(s[j] * sysm.A[j, j]) if sysm.A[j, j] else 0.0,
                    "unit": f"{engine.method_unit(result.method) or 'kg CO2e'}/kWh",
                    "contribution": direct,
                }
            )
    weights = np.array([abs(x["contribution"]) for x in inputs])
    denom = float(weights.sum())
    total = float(sum(x["contribution"] for x in inputs))
    if abs(total - result.total) > 1e-6 * max(1.0, abs(result.total)):
        log.warning(
            "data quality of %s: inputs add up to %.10g, the result is %.10g",
            result.product,
            total,
            result.total,
        )
    rows = tuple(
        InputRating(**x, share=(abs(x["contribution"]) / denom if denom else 0.0)) for x in inputs
    )
    avg = weighted_ratings(weights, [x["rating"] for x in inputs]) if denom else {}
    if not avg:  # a zero footprint has nothing to weigh: every criterion unrated
        avg = {k: UNRATED for k in CRITERIA}
    pds = 100.0 * sum(r.share for r in rows if r.primary)
    unrated = 100.0 * sum(r.share for r in rows if not r.rated)
    for g in grid:
        g["share"] = abs(g["contribution"]) / denom if denom else 0.0
    return DataQualityAssessment(
        product=tuple(result.product),
        method=tuple(result.method),
        total=total,
        technological=avg["technological"],
        geographical=avg["geographical"],
        temporal=avg["temporal"],
        reliability=avg["reliability"],
        completeness=avg["completeness"],
        primary_data_share=pds,
        unrated_share=unrated,
        geography=geography,
        aircraft_emissions=aircraft,
        aircraft_activities=tuple(sorted(aircraft_names)),
        activities_searched=len(active),
        grid=tuple(sorted(grid, key=lambda g: -g["share"])),
        inputs=rows,
    )
