"""ISO 14067:2018 CFP study report (HTML + PDF) from one :class:`FootprintResult`.

Sections: goal; scope (declared/functional unit, system boundary, reference period); data
sources (the Brightway ``comment`` of each top-contributing activity) and quality (DQR);
allocation; cut-offs; electricity; results (total; fossil, biogenic, dLUC, aircraft; by stage,
gas, process; supply-chain Sankey); uncertainty (Monte Carlo summary); sensitivity; reduction
plan (MACC, when given); limitations.

``uncertainty`` is a dict with ``mean, median, p2_5, p97_5, iterations`` (and optionally
``samples``), e.g. one entry of :func:`lca.workflows.uncertainty`; the table shows the
deterministic score beside them (it is not the Monte Carlo mean). Aircraft emissions: every
activity supplying the product system is searched (:func:`aircraft_search`). Sensitivity: the
study's scenarios (``study.sensitivity``: parameter values of the product, e.g. another grid
dataset, the low and high end of a published energy range, another proxy, another service
life) are RECOMPUTED with :func:`supply_chain.parameters.footprint_with`
(:func:`sensitivity_scenarios`); without an engine or scenarios the report says the sensitivity
was not analysed (no ±x % multipliers). ``sensitivity`` may also be given as a DataFrame with
columns ``scenario, product, baseline, total``. ``macc`` is a DataFrame with
``lever, abatement`` and ``mac`` or ``cost`` (e.g. :func:`supply_chain.levers.macc`).

The report's structure follows ISO 14067:2018 clause 7 (CFP study report) and, in Chinese,
GB/T 24067-2024: document control (id, version, issue date, review status), a clause-by-clause
conformity table (:data:`CONFORMITY`), goal and scope with the reference flow and product
specification, the GHGs with the GWP of each gas from the installed method
(:func:`ghg_list`), allocation and value choices, cut-offs with their quantified significance
(or "not quantified"), results, data quality per dataset, uncertainty, sensitivity,
limitations and full bibliographic references.

Every status of the conformity table is decided from the report's content by a written rule
(:func:`conformity`): e.g. 6.5 (GWP100 of each gas) is partly met by the share of the footprint
that comes from CO2e aggregates whose GWP set is not the method's (:func:`aggregate_contributions`),
and the by-gas table shows that part as one "CO2e aggregates" row (:func:`gas_rows`). A
reduction plan is shown only when it was computed on the report's own product system.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from lca import maths
from lca.files import staged
from supply_chain.data_quality import DataQualityAssessment, assess

from . import chart_data, charts, render
from .errors import InvalidDeclaration
from .pact import Declaration, parse_model
from .pact.footprint import with_carbon_content

log = logging.getLogger(__name__)


class Scenario(BaseModel):
    """One sensitivity scenario: parameter values of ``product`` (default: the report's product)
    applied in a copy of the matrices (:func:`supply_chain.parameters.footprint_with`)."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    values: dict[str, str | float] = Field(min_length=1)
    product: str | None = None


class StudyInfo(BaseModel):
    """The study's goal and scope choices (ISO 14067 6.3); what the engine cannot know."""

    model_config = ConfigDict(extra="forbid")
    goal: str = Field(min_length=1)
    document_version: str = ""
    issue_date: dt.date | None = None
    review: str = ""  # critical review / verification status (ISO 14067 clause 8)
    reference_flow: str = ""
    product_specification: str = ""
    value_choices: list[str] = Field(default_factory=list)
    sensitivity: list[Scenario] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    intended_application: str = ""
    audience: str = ""
    cfp_type: Literal["partial", "full"] = "partial"
    practitioner: str = ""
    study_id: str = ""
    cut_off: str = ""
    allocation: str = ""
    electricity: str = ""
    limitations: list[str] = Field(default_factory=list)

    @classmethod
    def parse(cls, data, where: str = "study") -> StudyInfo:
        return parse_model(cls, data, where)


def data_sources(project, result) -> list[dict]:
    """Source notes of the result's top contributors: each activity's ``comment`` in bw2data.

    ``project`` is a :class:`lca.project.Project` (or anything with ``.bd``, the bw2data module).
    """
    from bw2data.errors import MultipleResults, UnknownObject

    bd = project.bd
    rows = []
    for r in result.top_processes:
        if r.key is None:
            continue
        try:
            act = bd.get_node(database=r.key[0], code=r.key[1])
            comment = act.get("comment") or ""
        except (UnknownObject, MultipleResults) as exc:  # a source note is not worth a crash
            log.warning("no activity %s for its comment: %s", r.key, exc)
            comment = ""
        rows.append(
            {
                "key": f"{r.key[0]}|{r.key[1]}",
                "name": r.name,
                "location": r.location,
                "value": r.value,
                "share": r.share,
                "comment": comment,
            }
        )
    return rows


def exchange_note(comment) -> str:
    """What an exchange's ``comment`` says of its amount: the text before its ``Source:``
    (the first sentence, e.g. "Electricity 37.5 kWh per kWh cell capacity (Degen et al. 2023,
    LFP cells)."); the full citation is in the study's references."""
    note = str(comment or "").split(". Source:", 1)[0].strip()
    return note + ("" if not note or note.endswith(".") else ".")


def foreground_inputs(project, result) -> list[dict]:
    """The inputs the product's own activities take from other databases (e.g. the cell
    factory's electricity), read from the inventory's exchanges: rows ``{"activity", "key",
    "input", "input_key", "amount", "unit", "minimum", "maximum", "note"}``. ``note`` is the
    first sentence of the exchange's ``comment`` (what the amount is and where it comes from;
    the full citation is in the study's references). The product's own activities are those of
    its database reached from the product through that database's technosphere exchanges.
    """
    bd = project.bd
    db = result.product[0]
    rows: list[dict] = []
    seen: set = set()
    todo = [bd.get_node(database=db, code=result.product[1])]
    while todo:
        act = todo.pop(0)
        if act.key in seen:
            continue
        seen.add(act.key)
        for exc in act.technosphere():
            node = exc.input
            if node.key[0] == db:
                todo.append(node)
                continue
            note = exchange_note(exc.get("comment"))
            rows.append(
                {
                    "activity": act.get("name") or "",
                    "key": f"{act.key[0]}|{act.key[1]}",
                    "location": act.get("location") or "",
                    "input": node.get("name") or "",
                    "input_key": f"{node.key[0]}|{node.key[1]}",
                    "amount": float(exc["amount"]),
                    "unit": exc.get("unit") or node.get("unit") or "",
                    "minimum": exc.get("minimum"),
                    "maximum": exc.get("maximum"),
                    "note": note,
                }
            )
    return rows


def sensitivity_scenarios(engine, result, scenarios, method=None) -> list[dict]:
    """Each scenario RECOMPUTED: the footprint of its product with its parameter values
    (:func:`supply_chain.parameters.footprint_with`, the product's shipped parameters), beside
    the stored one. Rows ``{"scenario", "values", "product", "baseline", "total", "change"}``
    (``change`` relative to the baseline of the same product).

    Raises :class:`supply_chain.errors.ParameterError` for an unknown parameter or value.
    """
    from supply_chain.parameters import footprint_with, parameters_for, shipped_parameters

    rows = []
    declared = None  # the shipped parameter files, read once for all the scenarios
    for sc in scenarios:
        sc = sc if isinstance(sc, Scenario) else Scenario.model_validate(sc)
        product = sc.product or "|".join(result.product)
        if declared is None:
            declared = shipped_parameters()
        params = parameters_for(engine.node(product).key, declared)
        r = footprint_with(engine, product, sc.values, method or result.method, params=params)
        rows.append(
            {
                "scenario": sc.label,
                "values": dict(sc.values),
                "product": list(r.result.product),
                "product_name": r.result.product_name,
                "baseline": r.baseline,
                "total": r.total,
                # the product system has no distribution (transport to the customer): its
                # footprint is cradle-to-gate, unlike a declaration that adds distribution
                "no_distribution": not r.result.by_stage.get("distribution"),
                "change": (r.total / r.baseline - 1.0) if r.baseline else float("nan"),
            }
        )
    return rows


#: Gases always listed (ISO 14067 asks for the GHGs considered and the GWP of each), plus any
#: other characterised gas the product system emits.
KEY_GASES = (
    "Carbon dioxide, fossil",
    "Carbon dioxide, from soil or biomass stock",
    "Methane, fossil",
    "Methane, non-fossil",
    "Dinitrogen monoxide",
    "Sulfur hexafluoride",
    "Nitrogen fluoride",
    "Ethane, 1,1,1,2-tetrafluoro-, HFC-134a",
    "Methane, tetrafluoro-, R-14",
)


def _flow_names(flows) -> dict:
    """``{flow: name}`` for characterisation-factor flows (node ids or ``(database, code)``
    keys), read in a few queries rather than one per flow; a flow with no node is absent."""
    from bw2data.backends import ActivityDataset as AD

    ids = sorted({f for f in flows if isinstance(f, int)})
    keys = {tuple(f) for f in flows if not isinstance(f, int)}
    out: dict = {}
    step = 500  # well under SQLite's limit of bound variables per statement
    for i in range(0, len(ids), step):
        out.update(AD.select(AD.id, AD.name).where(AD.id.in_(ids[i : i + step])).tuples())
    for db in sorted({k[0] for k in keys}):
        codes = sorted(k[1] for k in keys if k[0] == db)
        for i in range(0, len(codes), step):
            q = AD.select(AD.code, AD.name).where(
                (AD.database == db) & AD.code.in_(codes[i : i + step])
            )
            out.update({(db, code): name for code, name in q.tuples()})
    return out


def ghg_list(project, method, result=None) -> list[dict]:
    """The GHGs with the GWP of each, read from the installed method's characterisation
    factors (not typed): :data:`KEY_GASES` and every other characterised flow of a gas in
    ``result.by_gas``. Rows ``{"flow", "gas", "gwp"}`` (kg CO2e per kg of the flow)."""
    from lca import methods

    bd = project.bd
    data = list(bd.Method(tuple(method)).load())
    flow_name = _flow_names([flow for flow, _ in data])
    cfs: dict[str, float] = {}
    for flow, cf in data:
        amount = cf.get("amount") if isinstance(cf, dict) else cf
        name = flow_name.get(flow if isinstance(flow, int) else tuple(flow))
        if name is None:  # a dangling CF is logged, not fatal
            log.warning("method %s: no flow %s", method, flow)
            continue
        cfs.setdefault(name, float(amount))
    by_gas = dict(result.by_gas) if result is not None else {}
    names = [n for n in KEY_GASES if n in cfs]
    names += sorted(
        n for n in cfs if n not in names and methods.gas_of(n) in by_gas and cfs[n] != 0
    )
    rows = []
    for n in names:
        g = methods.gas_of(n)
        rows.append({"flow": n, "gas": g, "gwp": cfs[n]})
    return rows


#: ISO 14067:2018 requirements for a CFP study (clause 6: methodology; clause 7: the report;
#: clause 8: critical review) -> the report section that meets each. The zh report cites the same
#: clauses of GB/T 24067-2024. ``status`` is decided per report by :func:`conformity`.
CONFORMITY = (
    ("6.2", "iso.c.goal", "sec.goal"),
    ("6.3", "iso.c.scope", "sec.scope"),
    ("6.3", "iso.c.cutoff", "sec.cutoff"),
    ("6.3", "iso.c.data_quality", "sec.data"),
    ("6.4", "iso.c.inventory", "sec.data"),
    ("6.4", "iso.c.allocation", "sec.allocation"),
    ("6.4", "iso.c.electricity", "sec.electricity"),
    ("6.5", "iso.c.impact", "sec.ghg"),
    ("6.6", "iso.c.interpretation", "sec.sensitivity"),
    ("7", "iso.c.results_split", "sec.results"),
    ("7", "iso.c.uncertainty", "sec.uncertainty"),
    ("7", "iso.c.limitations", "sec.limitations"),
    ("8", "iso.c.review", "sec.control"),
)


def aggregate_contributions(engine, result) -> dict:
    """Where the footprint rests on CO2e aggregates (datasets whose ``gases`` metadata says
    ``CO2e aggregate``: one CO2e figure booked as 'Carbon dioxide, fossil', :mod:`lca.dataset_meta`).

    Every activity of the product system is counted (``s = A⁻¹ f``; its direct contribution
    ``eⱼ sⱼ``, the same terms as the result's process contributions). Returns
    ``{"complete": True, "by_basis": {gwp_basis: kg CO2e}, "by_gas": {gas: kg CO2e},
    "datasets": [{"key", "name", "basis", "value"}]}``: ``by_basis`` groups the aggregates by
    the GWP set their source used (``unstated`` where it does not say), ``by_gas`` is the part
    of each gas row of ``result.by_gas`` that comes from aggregates (so has no real gas split).

    Without ``engine`` the datasets named in the result's ``gwp_basis`` data flag are matched
    with its top processes only: ``complete`` is False and the figures are lower bounds.
    """
    from lca import dataset_meta, maths
    from lca.footprint import gas_contributions

    if engine is None:
        bases = {}
        for flag in result.data_flags or []:
            if flag.get("kind") == "gwp_basis":
                for basis, names in flag.get("bases", {}).items():
                    for n in names:
                        bases[n] = basis
        rows = [
            {"key": f"{r.key[0]}|{r.key[1]}", "name": r.name, "basis": bases[f"{r.key[0]}|{r.key[1]}"],
             "value": float(r.value)}
            for r in result.top_processes
            if r.key is not None and f"{r.key[0]}|{r.key[1]}" in bases
        ]  # fmt: skip
        by_basis: dict[str, float] = {}
        for r in rows:
            by_basis[r["basis"]] = by_basis.get(r["basis"], 0.0) + r["value"]
        # an aggregate is one 'Carbon dioxide, fossil' flow (lca.dataset_meta)
        agg = sum(r["value"] for r in rows)
        return {
            "complete": False,
            "by_basis": by_basis,
            "by_gas": {"CO2": agg} if agg else {},
            "datasets": rows,
        }
    node = engine.node(result.product)
    sysm = engine.system_for([node])
    c = engine.characterization(sysm, result.method)
    f = engine.demand_vector(sysm, node, result.amount if result.amount else 1.0)
    s = maths.supply(sysm.fact, f)
    s[~maths.supply_chain_mask(sysm.A, f)] = 0.0
    proc = maths.process_contributions(maths.direct_intensities(c, sysm.B), s)
    chain = np.flatnonzero(s)
    column = {tuple(sysm.keys[j]): j for j in chain}
    rows, by_basis, cols = [], {}, []
    for rec in dataset_meta.read_activity_meta(sysm.activity_ids[chain], s[chain]):
        if not dataset_meta.is_co2e_aggregate(rec):
            continue
        j = column[tuple(rec["key"])]
        if proc[j] == 0:
            continue
        basis = str(rec.get("gwp_basis") or "unstated")
        rows.append({"key": "|".join(rec["key"]), "name": rec["name"], "basis": basis,
                     "value": float(proc[j])})  # fmt: skip
        by_basis[basis] = by_basis.get(basis, 0.0) + float(proc[j])
        cols.append(j)
    rows.sort(key=lambda r: -abs(r["value"]))
    by_gas = gas_contributions(sysm, c, s, cols)
    return {"complete": True, "by_basis": by_basis, "by_gas": by_gas, "datasets": rows}


def gas_rows(result, aggregates: dict | None) -> list[dict]:
    """The by-gas table: each gas with the part that comes from CO2e aggregates taken out into
    its own row ``aggregate=True`` (booked as CO2 but a CO2e figure: its gas split is not
    available). Rows ``{"gas", "value", "aggregate"}``; they add up to the total.

    The engine's results keep that part apart already (``by_gas[AGGREGATE_GAS]``,
    :mod:`lca.footprint`); for a result without that row (built by hand or by an older engine),
    ``aggregates["by_gas"]`` (:func:`aggregate_contributions`) is taken out of the gas rows."""
    from lca.footprint import AGGREGATE_GAS

    if AGGREGATE_GAS in result.by_gas:
        rows = [
            {"gas": g, "value": v, "aggregate": False}
            for g, v in result.by_gas.items()
            if g != AGGREGATE_GAS
        ]
        return rows + [{"gas": "CO2e", "value": result.by_gas[AGGREGATE_GAS], "aggregate": True}]
    agg = dict((aggregates or {}).get("by_gas") or {})
    rows = []
    for g, v in result.by_gas.items():
        rest = v - agg.get(g, 0.0)
        if abs(rest) > 1e-12 * max(1.0, abs(result.total)):
            rows.append({"gas": g, "value": rest, "aggregate": False})
    total_agg = sum(agg.values())
    if total_agg:
        rows.append({"gas": "CO2e", "value": total_agg, "aggregate": True})
    return rows


#: a :func:`conformity` input the caller did not evaluate
UNKNOWN = object()


def conformity(
    study,
    decl,
    uncertainty,
    sensitivity_rows,
    *,
    quality=UNKNOWN,
    aggregates=UNKNOWN,
    method_basis: str | None = None,
    total: float = 0.0,
    limitations=UNKNOWN,
    sources=UNKNOWN,
) -> list[dict]:
    """One row per :data:`CONFORMITY` requirement with its ``status`` (``met``, ``partly`` or
    ``not_met``) and ``why`` (i18n key and its arguments, shown under a status other than met),
    each decided from what this report contains. The rules:

    - 6.2 goal: met with a goal and an intended application, else partly.
    - 6.3 scope: met with a reference flow, else partly.
    - 6.3 cut-off: met when every item left out is quantified, else partly.
    - 6.3 data quality: not met without a data-quality assessment; partly when the primary data
      share is 0 % (ISO 14067 6.3.5: site-specific data are collected for the processes under
      the organisation's financial or operational control); else met.
    - 6.4 inventory: not met without data sources; partly when items left out of the model are
      not quantified (the inventory is not shown to be complete); else met.
    - 6.4 allocation / electricity: met when stated, else not met.
    - 6.5 impact: partly when CO2e aggregates whose GWP set is not the method's (unstated or
      another IPCC report) make part of the footprint: the method's GWP100 factors do not apply
      to them (the share is stated); else met.
    - 6.6 interpretation: met with recomputed sensitivity scenarios, else not met.
    - 7 split: partly when biogenic or land-use figures are not assessed, else met.
    - 7 uncertainty: met with a Monte Carlo summary, else not met.
    - 7 limitations: met when the study lists its own limitations (beyond the engine's general
      ones), else partly.
    - 8 review: partly (the status is stated; a review itself is outside the engine).

    A keyword left at :data:`UNKNOWN` (not evaluated by the caller, e.g. the PACT document's
    check of its standards) leaves its row as it was decided before these rules: ``met``.
    The ISO report passes them all.
    """
    unquantified = [c for c in decl.cut_offs if c.estimate is None]
    status: dict[str, tuple[str, tuple | None]] = {}

    def put(key, ok: bool, why=None, fail="partly"):
        status[key] = ("met", None) if ok else (fail, why)

    put("iso.c.goal", bool(study.goal and study.intended_application), ("why.goal", {}))
    put("iso.c.scope", bool(study.reference_flow), ("why.scope", {}))
    put("iso.c.cutoff", not unquantified, ("why.cutoff", {"n": len(unquantified)}))
    if quality is UNKNOWN:
        put("iso.c.data_quality", True)
    elif quality is None:
        put("iso.c.data_quality", False, ("why.dq_none", {}), "not_met")
    else:
        pds = quality.primary_data_share
        put("iso.c.data_quality", pds > 0, ("why.dq_primary", {"p": f"{pds:.1f} %"}))
    if sources is UNKNOWN:
        put("iso.c.inventory", True)
    elif not sources:
        put("iso.c.inventory", False, ("why.inventory_none", {}), "not_met")
    else:
        put("iso.c.inventory", not unquantified, ("why.inventory", {"n": len(unquantified)}))
    put(
        "iso.c.allocation",
        bool(study.allocation or decl.allocation_rules_description),
        ("why.not_stated", {}),
        "not_met",
    )
    put("iso.c.electricity", bool(study.electricity), ("why.not_stated", {}), "not_met")
    aggregates = None if aggregates is UNKNOWN else aggregates
    off = {
        b: v
        for b, v in ((aggregates or {}).get("by_basis") or {}).items()
        if method_basis is None or b != method_basis
    }
    off_value = sum(off.values())
    share = off_value / total if total else 0.0
    put(
        "iso.c.impact",
        not off_value,
        (
            "why.impact" if (aggregates or {}).get("complete", True) else "why.impact_at_least",
            {
                "p": f"{100 * share:.1f} %",
                "bases": ", ".join(sorted(off)),
                "method": method_basis or "?",
            },
        ),
    )
    put("iso.c.interpretation", bool(sensitivity_rows), ("why.no_sensitivity", {}), "not_met")
    put("iso.c.results_split", not decl.not_assessed_biogenic, ("why.split", {}))
    put("iso.c.uncertainty", bool(uncertainty), ("why.no_uncertainty", {}), "not_met")
    put(
        "iso.c.limitations",
        limitations is UNKNOWN or bool(study.limitations),
        ("why.limitations", {}),
    )
    status["iso.c.review"] = ("partly", ("why.review", {}))
    return [
        {
            "clause": c,
            "requirement": k,
            "section": sec,
            "status": status[k][0],
            "why": status[k][1],
        }
        for c, k, sec in CONFORMITY
    ]


#: Lower-case name fragments of aircraft transport activities (ecoinvent: "transport, freight,
#: aircraft, ..."; also "air freight", "flight").
AIRCRAFT_TERMS = ("air freight", "aircraft", "flight")


def _is_aircraft(name: str | None) -> bool:
    n = (name or "").lower()
    return any(term in n for term in AIRCRAFT_TERMS)


def aircraft_search(result, engine=None) -> dict:
    """What the report can state about aircraft emissions (ISO 14067 asks for them apart).

    With ``engine`` (a :class:`lca.footprint.FootprintEngine`), every activity with non-zero
    supply in the assembled product system is searched by name (``s = A⁻¹ f``), not just the
    top contributors. Returns ``{"key", "searched", "activities"}``: ``key`` is the i18n text,
    ``part.aircraft_flows`` (aircraft transport found: included in the total, not split out),
    ``part.aircraft_note`` (the whole system searched, none found) or
    ``part.aircraft_unsearched`` (no engine: the system could not be searched, so absence is
    never claimed); ``searched`` is the number of activities searched (None without engine).
    """
    if engine is None:
        found = sorted({r.name for r in result.top_processes if r.key and _is_aircraft(r.name)})
        key = "part.aircraft_flows" if found else "part.aircraft_unsearched"
        return {"key": key, "searched": None, "activities": found}
    node = engine.node(result.product)
    sysm = engine.system_for([node])
    f = engine.demand_vector(sysm, node, result.amount if result.amount else 1.0)
    s = maths.supply(sysm.fact, f)
    active = [j for j in range(len(sysm.names)) if s[j] != 0]
    found = sorted({sysm.names[j] for j in active if _is_aircraft(sysm.names[j])})
    return {
        "key": "part.aircraft_flows" if found else "part.aircraft_note",
        "searched": len(active),
        "activities": found,
    }


def _aircraft_as_pact_states_it(aircraft: dict, quality) -> dict:
    """The name search's finding, unless the PACT rule (:mod:`reports.pact.aircraft`, B3) says
    aircraft emissions cannot be assessed: part of the footprint comes from aggregated datasets
    (or datasets without a recorded boundary) whose transport modes no name search sees. The
    report then says "not assessed" with that share, as the PACT document of the same
    footprint leaves the field out; never a 0 the search could not establish."""
    from .pact.aircraft import dataset_boundaries, hidden_datasets

    hidden = hidden_datasets(quality, dataset_boundaries(quality))
    if not hidden:
        return aircraft
    share = sum(d["share"] for d in hidden)
    return {**aircraft, "key": "part.aircraft_aggregated", "hidden_share": share}


def report_context(
    result,
    decl: Declaration,
    study: StudyInfo,
    lang: str,
    medium: str,
    uncertainty: dict | None = None,
    sensitivity=None,
    macc=None,
    sources: list[dict] | None = None,
    flows=None,
    aircraft: dict | None = None,
    quality: DataQualityAssessment | None = None,
    ghg: list[dict] | None = None,
    inputs: list[dict] | None = None,
    macc_note: str = "",
    aggregates: dict | None = None,
    macc_other: bool = False,
) -> dict:
    """Everything the template shows, charts included (static or interactive by ``medium``).

    ``aircraft`` is :func:`aircraft_search` (default: without an engine, which never claims
    that the system has no aircraft transport). ``quality`` is the data-quality assessment
    (:func:`supply_chain.data_quality.assess`, the same one the PACT document states): the
    data-quality table shows its emission-weighted ratings and primary data share; without it
    the table says the quality was not assessed. ``inputs`` is :func:`foreground_inputs`;
    ``macc_note`` says whose plan ``macc`` is (shown under the plan); ``macc_other``: a plan
    was given but not for this product system, so none is shown and the report says so.
    ``aggregates`` is :func:`aggregate_contributions` (the by-gas table's CO2e-aggregate row
    and the 6.5 conformity status).
    """
    from lca.methods import IPCC_REPORT

    def t(k, **kw):
        return render.translate(k, lang, **kw)

    stage_labels = {k: t(f"stage.{k}") for k in result.by_stage}
    unit = result.unit or "kg CO2e"
    procs = [r for r in result.top_processes if r.value or r.key]
    proc_labels = [
        (render.dataset_name(r.key, r.name, lang) + (f" [{r.location}]" if r.location else ""))
        if r.key
        else t("stage.rest")
        for r in procs
    ]
    proc_values = [r.value for r in procs]
    charts_ctx: dict[str, str | None] = {}
    static = medium == "pdf"
    if static:
        charts_ctx["waterfall"] = charts.static_waterfall(
            stage_labels, result.by_stage, result.total, t("field.total"), unit, lang
        )
        charts_ctx["top"] = charts.static_bars(proc_labels, proc_values, unit, lang)
    else:
        charts_ctx["waterfall"] = charts.interactive_waterfall(
            stage_labels, result.by_stage, result.total, t("field.total"), unit
        )
        charts_ctx["top"] = charts.interactive_bars(proc_labels, proc_values, unit)
    charts_ctx["sankey"] = None
    if flows:
        charts_ctx["sankey"] = (
            charts.static_sankey(flows, lang) if static else charts.interactive_sankey(flows)
        )
    charts_ctx["uncertainty"] = None
    if uncertainty:
        charts_ctx["uncertainty"] = (
            charts.static_uncertainty(
                uncertainty,
                result.total,
                unit,
                t("chart.frequency"),
                lang,
                {k: t(f"chart.{k}") for k in ("p2_5", "median", "p97_5", "deterministic")},
            )
            if static
            else charts.interactive_uncertainty(
                uncertainty,
                result.total,
                unit,
                {k: t(f"chart.{k}") for k in ("p2_5", "median", "p97_5", "deterministic")},
            )
        )
    macc_rows = None
    charts_ctx["macc"] = None
    if macc is not None and len(macc):
        bars = chart_data.macc_bars(macc)
        macc_rows = bars
        charts_ctx["macc"] = (
            charts.static_macc(bars, t("chart.cost_axis"), t("chart.abatement_axis"), lang)
            if static
            else charts.interactive_macc(bars, t("chart.cost_axis"), t("chart.abatement_axis"))
        )
    if sensitivity is None:
        sensitivity = []
    elif hasattr(sensitivity, "to_dict"):  # a DataFrame
        sensitivity = sensitivity.to_dict("records")
    sens_rows = []
    for row in sensitivity:
        row = dict(row)
        base = row.get("baseline")
        if row.get("change") is None and base:
            row["change"] = row["total"] / base - 1.0
        key = row.get("product") or list(result.product)
        row["product_label"] = render.dataset_name(key, row.get("product_name") or "", lang)
        if row.get("no_distribution"):
            row["product_label"] += f" ({t('field.cradle_to_gate_excl_distribution')})"
        sens_rows.append(row)
    limitations = list(study.limitations) + [t("text.limit_default_1"), t("text.limit_default_2")]
    method_basis = IPCC_REPORT.get(result.method_alias or "")
    if study.cfp_type == "partial":
        limitations.append(t("text.limit_default_3"))
    dq = quality  # computed from the inventory's pedigree records, never declared
    if quality is not None:
        decl = decl.model_copy()
        decl._computed_pds = quality.primary_data_share
    return {
        "r": result,
        "decl": decl,
        "study": study,
        "unit": unit,
        "date": dt.date.today().isoformat(),
        "stages": [(k, stage_labels[k], v) for k, v in result.by_stage.items()],
        "gases": gas_rows(result, aggregates),
        "aggregates": aggregates,
        "mass": (
            _as_pact(decl.product_mass_per_declared_unit)
            if decl.product_mass_per_declared_unit
            else None
        ),
        # shares shown to 1 decimal may not add up to exactly 100.0 %: the note says so
        "stages_rounded": _rounded_off([v for v in result.by_stage.values()], result.total),
        "processes_rounded": _rounded_off([p.value for p in procs], result.total),
        "processes": list(zip(proc_labels, procs)),
        "has_rest": any(r.key is None for r in procs),
        "sources": sources,
        "inputs": [
            {
                **i,
                "activity_label": render.dataset_name(i["key"], i["activity"], lang),
                "input_label": render.dataset_name(i["input_key"], i["input"], lang),
                "note_text": render.dataset_source(f"{i['key']}>{i['input_key']}", i["note"], lang),
            }
            for i in inputs or []
        ],
        "dq": dq,
        "dq_rows": quality.by_dataset() if quality is not None else [],
        "aircraft": aircraft if aircraft is not None else aircraft_search(result),
        "uncertainty": uncertainty,
        "sensitivity": sens_rows,
        "ghg": [
            {**g, "label": render.translations().get(f"flow.{g['flow']}", {}).get(lang, g["flow"])}
            for g in ghg or []
        ],
        "conformity": _basis_words(
            conformity(
                study,
                decl,
                uncertainty,
                sens_rows,
                quality=quality,
                aggregates=aggregates,
                method_basis=method_basis,
                total=result.total,
                limitations=limitations,
                sources=sources,
            ),
            lang,
        ),
        "cutoffs": list(decl.cut_offs),
        "macc": macc_rows,
        "macc_note": macc_note,
        "macc_other": macc_other,
        "charts": charts_ctx,
        "limitations": limitations,
        "plotly_js": None,
    }


def _as_pact(mass: float) -> str:
    """The declared mass as the PACT document states ``productMassPerDeclaredUnit``: a declared
    figure, as typed (``decimal_string(..., exact=True)``; 6.8634 stays 6.8634)."""
    from .pact.fields import decimal_string

    try:
        return decimal_string(mass, exact=True)
    except TypeError:  # a decimal_string without ``exact``: its one rule for every figure
        return decimal_string(mass)


def _basis_words(rows: list[dict], lang: str) -> list[dict]:
    """The GWP bases named in the 6.5 row in ``lang`` (``gwp.<basis>``; AR5, AR6 stay)."""
    table = render.translations()
    for row in rows:
        if row["why"] and "bases" in row["why"][1]:
            args = dict(row["why"][1])
            args["bases"] = ", ".join(
                table.get(f"gwp.{b.strip()}", {}).get(lang, b.strip())
                for b in args["bases"].split(",")
            )
            row["why"] = (row["why"][0], args)
    return rows


def _rounded_off(values, total) -> bool:
    """True when the shares of ``values`` in ``total``, each shown to 0.1 %, do not add up to
    the 100.0 % the table's total row shows."""
    if not total:
        return False
    return round(sum(round(1000 * v / total) for v in values)) != 1000


def write_iso14067_report(
    result,
    decl: Declaration | dict,
    study: StudyInfo | dict,
    out_dir: str | os.PathLike,
    lang: str = "en",
    uncertainty: dict | None = None,
    sensitivity=None,
    macc=None,
    project=None,
    engine=None,
    formats=("html", "pdf"),
    stem: str | None = None,
    macc_note: str = "",
    macc_product=None,
) -> list[Path]:
    """Write the study report as HTML (interactive charts) and PDF (static charts).

    ``engine`` (a :class:`lca.footprint.FootprintEngine`) adds the data sources, the
    supply-chain Sankey, the data-quality table (computed from the inventory's pedigree
    records, :func:`supply_chain.data_quality.assess`) and the recomputed sensitivity scenarios
    of ``study.sensitivity`` (:func:`sensitivity_scenarios`); ``project`` alone adds the data
    sources, the inputs of the product's own activities (:func:`foreground_inputs`) and the GHG
    list with the method's GWP values (:func:`ghg_list`). ``macc`` (a reduction plan's cost
    curve) is shown in section 7 with ``macc_note`` (whose plan it is) only when it was computed
    on this report's own product system: ``macc_product`` (``(db, code)`` or ``"db|code"``)
    equals ``result.product``; a plan for another model is left out and section 7 says that no
    plan computed on this product system was supplied. All files or none.

    A Monte Carlo summary without its draws (``samples``) but with its ``seed`` is drawn again
    with the engine (:func:`lca.workflows.uncertainty`, the same seed gives the same draws,
    checked against the summary) so the chart is the histogram of the draws.
    """
    lang = render.normalize_lang(lang)
    unknown = set(formats) - {"html", "pdf"}
    if unknown:
        raise InvalidDeclaration("formats", sorted(unknown), "unknown; use html, pdf")
    if uncertainty is not None and uncertainty.get("iterations", 2) < 2:
        raise InvalidDeclaration(
            "uncertainty.iterations",
            uncertainty.get("iterations"),
            "a Monte Carlo summary needs at least 2 draws (1 draw has no spread)",
        )
    decl = decl if isinstance(decl, Declaration) else Declaration.parse(decl)
    # the carbon contents the product's composition gives where the declaration gives none
    # (inventories/carbon-content.csv): the figures the PACT document states, or not assessed
    decl = with_carbon_content(decl, result)
    study = study if isinstance(study, StudyInfo) else StudyInfo.parse(study)
    project = project or (engine.project if engine is not None else None)
    sources = data_sources(project, result) if project is not None else None
    inputs = foreground_inputs(project, result) if project is not None else None
    flows = chart_data.supply_chain_flows(engine, result, lang=lang) if engine else None
    aircraft = aircraft_search(result, engine)
    if engine is not None:  # a stage the product does not supply is not shown as 0
        from .battery import only_supplied_stages

        result = only_supplied_stages(engine, result)
    if sensitivity is None and engine is not None and study.sensitivity:
        sensitivity = sensitivity_scenarios(engine, result, study.sensitivity)
    ghg = ghg_list(project, result.method, result) if project is not None else None
    quality = assess(engine, result, decl.geography) if engine is not None else None
    if quality is not None:
        aircraft = _aircraft_as_pact_states_it(aircraft, quality)
    aggregates = aggregate_contributions(engine, result)
    macc_other = False
    if macc is not None and len(macc):
        own = macc_product is not None and _key_str(macc_product) == _key_str(result.product)
        if not own:
            log.info("reduction plan of %s is not for %s: not shown", macc_product, result.product)
            macc, macc_note, macc_other = None, "", True
    if engine is not None and uncertainty is not None and uncertainty.get("samples") is None:
        uncertainty = _with_samples(engine, result, uncertainty)
    stem = stem or f"iso14067-{result.product[1]}"
    contexts = {
        medium: report_context(
            result,
            decl,
            study,
            lang,
            "pdf" if medium == "pdf" else "html",
            uncertainty,
            sensitivity,
            macc,
            sources,
            flows,
            aircraft,
            quality,
            ghg,
            inputs,
            macc_note,
            aggregates,
            macc_other,
        )
        for medium in formats
    }
    with staged(out_dir) as tmp:
        written = render.write_documents(tmp, "iso14067.html.j2", contexts, stem, lang)
    log.info("ISO 14067 report written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]


def _key_str(key) -> str:
    return "|".join(key) if isinstance(key, (tuple, list)) else str(key)


def _with_samples(engine, result, unc: dict) -> dict:
    """``unc`` with its ``samples``, drawn again with the same seed and number of draws when
    it states them (a Monte Carlo summary of :func:`lca.workflows.uncertainty` does); the
    draws are used only if their percentiles reproduce the summary's. Else ``unc`` unchanged."""
    from lca import workflows

    if unc.get("seed") is None or not unc.get("iterations"):
        return unc
    method = unc.get("method") or result.method
    again = workflows.uncertainty(
        engine, [result.product], method, int(unc["iterations"]), unc["seed"], keep_samples=True
    )[0]
    if all(
        abs(again[k] - unc[k]) <= 1e-9 * max(1.0, abs(unc[k]))
        for k in ("p2_5", "median", "p97_5")
        if k in unc
    ):
        return {**unc, "samples": again["samples"]}
    log.warning("Monte Carlo draws could not be reproduced from seed %s: no histogram", unc["seed"])
    return unc
