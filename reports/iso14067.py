"""ISO 14067:2018 CFP study report (HTML + PDF) from one :class:`FootprintResult`.

Sections: goal; scope (declared/functional unit, system boundary, reference period); data
sources (the Brightway ``comment`` of each top-contributing activity) and quality (DQR);
allocation; cut-offs; electricity; results (total; fossil, biogenic, dLUC, aircraft; by stage,
gas, process; supply-chain Sankey); uncertainty (Monte Carlo summary); sensitivity; reduction
plan (MACC, when given); limitations.

``uncertainty`` is a dict with ``mean, median, p2_5, p97_5, iterations`` (and optionally
``samples``), e.g. one entry of :func:`lca.workflows.uncertainty`; the table shows the
deterministic score beside them (it is not the Monte Carlo mean). Aircraft emissions: every
activity supplying the product system is searched (:func:`aircraft_search`). ``sensitivity`` is a
DataFrame with columns ``scenario, change, total`` (default: ±10 % on each top contributor's
direct emissions, computed from the result). ``macc`` is a DataFrame with ``lever, abatement``
and ``mac`` or ``cost`` (e.g. :func:`supply_chain.levers.macc`).
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

log = logging.getLogger(__name__)


class StudyInfo(BaseModel):
    """The study's goal and scope choices (ISO 14067 6.3); what the engine cannot know."""

    model_config = ConfigDict(extra="forbid")
    goal: str = Field(min_length=1)
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


def default_sensitivity(result, change: float = 0.10):
    """±``change`` on each top contributor's direct emissions (the score is linear in them)."""
    import pandas as pd

    rows = []
    for r in result.top_processes:
        if r.key is None or not r.value:
            continue
        for sign in (+1, -1):
            rows.append(
                {
                    "scenario": r.name,
                    "change": sign * change,
                    "total": result.total + sign * change * r.value,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "change", "total"])


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
) -> dict:
    """Everything the template shows, charts included (static or interactive by ``medium``).

    ``aircraft`` is :func:`aircraft_search` (default: without an engine, which never claims
    that the system has no aircraft transport). ``quality`` is the data-quality assessment
    (:func:`supply_chain.data_quality.assess`, the same one the PACT document states): the
    data-quality table shows its emission-weighted ratings and primary data share; without it
    the table says the quality was not assessed.
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
        sensitivity = default_sensitivity(result)
        sens_note = "text.sensitivity_default"
    else:
        sens_note = None
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
        "sources": sources,
        "dq": dq,
        "dq_rows": quality.by_dataset() if quality is not None else [],
        "aircraft": aircraft if aircraft is not None else aircraft_search(result),
        "uncertainty": uncertainty,
        "sensitivity": sensitivity.to_dict("records"),
        "sensitivity_note": sens_note,
        "scenario_labels": {
            r.name: render.dataset_name(r.key, r.name, lang) for r in result.top_processes if r.key
        },
        "macc": macc_rows,
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
) -> list[Path]:
    """Write the study report as HTML (interactive charts) and PDF (static charts).

    ``engine`` (a :class:`lca.footprint.FootprintEngine`) adds the data sources, the
    supply-chain Sankey and the data-quality table (computed from the inventory's pedigree
    records, :func:`supply_chain.data_quality.assess`); ``project`` alone adds the data sources.
    All files or none.
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
    study = study if isinstance(study, StudyInfo) else StudyInfo.parse(study)
    project = project or (engine.project if engine is not None else None)
    sources = data_sources(project, result) if project is not None else None
    flows = chart_data.supply_chain_flows(engine, result, lang=lang) if engine else None
    aircraft = aircraft_search(result, engine)
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
        )
        for medium in formats
    }
    with staged(out_dir) as tmp:
        written = render.write_documents(tmp, "iso14067.html.j2", contexts, stem, lang)
    log.info("ISO 14067 report written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]
