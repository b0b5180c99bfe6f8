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
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Literal

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


def conformity(study, decl, uncertainty, sensitivity_rows) -> list[dict]:
    """One row per :data:`CONFORMITY` requirement with its status: ``met``, ``partly``
    (stated but incomplete: cut-offs not quantified, partial CFP, proxies) or ``not_met``."""
    cutoffs_quantified = all(c.estimate is not None for c in decl.cut_offs)
    status = {
        "iso.c.goal": "met" if study.goal and study.intended_application else "partly",
        "iso.c.scope": "met" if study.reference_flow else "partly",
        "iso.c.cutoff": "met" if cutoffs_quantified else "partly",
        "iso.c.data_quality": "met",
        "iso.c.inventory": "met",
        "iso.c.allocation": "met"
        if (study.allocation or decl.allocation_rules_description)
        else "not_met",
        "iso.c.electricity": "met" if study.electricity else "not_met",
        "iso.c.impact": "met",
        "iso.c.interpretation": "met" if sensitivity_rows else "not_met",
        "iso.c.results_split": "partly" if decl.not_assessed_biogenic else "met",
        "iso.c.uncertainty": "met" if uncertainty else "not_met",
        "iso.c.limitations": "met",
        "iso.c.review": "partly",  # stated; a review itself is outside the engine
    }
    return [
        {"clause": c, "requirement": k, "section": sec, "status": status[k]}
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
) -> dict:
    """Everything the template shows, charts included (static or interactive by ``medium``).

    ``aircraft`` is :func:`aircraft_search` (default: without an engine, which never claims
    that the system has no aircraft transport). ``quality`` is the data-quality assessment
    (:func:`supply_chain.data_quality.assess`, the same one the PACT document states): the
    data-quality table shows its emission-weighted ratings and primary data share; without it
    the table says the quality was not assessed. ``inputs`` is :func:`foreground_inputs`;
    ``macc_note`` says whose plan ``macc`` is (shown under the plan).
    """

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
        "gases": list(result.by_gas.items()),
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
        "conformity": conformity(study, decl, uncertainty, sens_rows),
        "cutoffs": list(decl.cut_offs),
        "macc": macc_rows,
        "macc_note": macc_note,
        "charts": charts_ctx,
        "limitations": limitations,
        "plotly_js": None,
    }


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
) -> list[Path]:
    """Write the study report as HTML (interactive charts) and PDF (static charts).

    ``engine`` (a :class:`lca.footprint.FootprintEngine`) adds the data sources, the
    supply-chain Sankey, the data-quality table (computed from the inventory's pedigree
    records, :func:`supply_chain.data_quality.assess`) and the recomputed sensitivity scenarios
    of ``study.sensitivity`` (:func:`sensitivity_scenarios`); ``project`` alone adds the data
    sources, the inputs of the product's own activities (:func:`foreground_inputs`) and the GHG
    list with the method's GWP values (:func:`ghg_list`). ``macc`` (a reduction plan's cost
    curve) is shown in section 7 with ``macc_note`` (whose plan it is). All files or none.
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
        )
        for medium in formats
    }
    with staged(out_dir) as tmp:
        written = render.write_documents(tmp, "iso14067.html.j2", contexts, stem, lang)
    log.info("ISO 14067 report written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]
