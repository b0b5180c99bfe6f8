"""``pcf report``: documents generated from one computed footprint (see :mod:`reports`).

Registered in :mod:`pcf.app` with ``app.add_typer(report.app, name="report")``.
Declaration metadata (company and product ids, battery service life, study goal and scope) comes
from ``--meta FILE`` (YAML/JSON with sections ``declaration``, ``battery``, ``study``); the
shipped demo products (the LFP and NMC811 packs ``pcf-products-lfp-pack|lfp-pack-per-kwh``,
``pcf-products-nmc811|nmc811-pack-per-kwh`` and their EU Battery Regulation systems) use
``pcf/demo/demo_meta.yaml`` and ``pcf/demo/demo_meta_nmc811.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from pcf.commands.bom import FromStoreOpt, StoreDbOpt, store_pcfs
from pcf.context import PcfTyper, State, state
from pcf.options import (
    DEFAULT_METHOD,
    CurrencyOpt,
    DateOpt,
    IterationsOpt,
    JsonFilesOpt,
    LangOpt,
    MetaOpt,
    MethodOpt,
    OutOpt,
    ProductArg,
    SeedOpt,
    in_file,
)

__all__ = ["app"]

app = PcfTyper(
    help="Reports and declarations: PACT, EU battery, ISO 14067, supplier xlsx.",
    no_args_is_help=True,
    add_completion=False,
)

REPORTS = Path("pcf-output/reports")


def _footprint(st: State, product: str, method: str, out: Path):
    """The engine and the product's footprint; first refuses an output folder that cannot be
    written (:class:`~lca.errors.OutputError` naming ``--out``)."""
    # heavy: keeps --help fast (Brightway, scipy; below: the report renderers)
    from lca.files import check_output_dir
    from lca.footprint import FootprintEngine

    check_output_dir(out)
    eng = FootprintEngine(st.open())
    return eng, eng.footprint(product, method)


def _meta(meta: Path | None, result, lang: str = "en") -> dict:
    from pcf.demo.reports import load_meta

    return load_meta(meta, result.product, lang)


def _done(st: State, files, as_json: bool) -> None:
    paths = [str(f) for f in files]
    if as_json:
        st.out(json.dumps({"files": paths}, indent=2))
        return
    con = st.console()
    for p in paths:
        con.print(f"written: {p}")


@app.command()
def pact(
    ctx: typer.Context,
    product: ProductArg,
    out: OutOpt = REPORTS,
    meta: MetaOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    pact_version: Annotated[
        Literal[3, 2], typer.Option("--pact-version", help="3 or 2 (v2.3).")
    ] = 3,
    previous: Annotated[
        Path | None,
        in_file(
            "A previously issued PACT JSON this one supersedes: it is written back as "
            "Deprecated and listed in precedingPfIds.",
            "--previous",
        ),
    ] = None,
    lang: LangOpt = "en",
    iterations: IterationsOpt = 0,
    seed: SeedOpt = 42,
    as_json: JsonFilesOpt = False,
) -> None:
    """PACT ProductFootprint JSON (validated against the PACT schema).

    With ``--iterations N`` the footprint's uncertainty is analysed by Monte Carlo (the draws
    of ``pcf footprint PRODUCT --iterations N --seed S``) and the comment states the result;
    without it the comment gives a qualitative statement and the ISO 14067 uncertainty clause
    counts as not met. ``--lang`` is accepted as for every report, and the document is the
    same in every language: its id is derived from its identity and values (not the comment),
    so one footprint has one document and one id."""
    from lca import workflows
    from lca.files import staged
    from reports.meta import section
    from reports.pact import (
        Declaration,
        pact_from_meta,
        read_product_footprint,
        reissue,
        write_pact,
    )
    from reports.render import normalize_lang

    st = state(ctx)
    eng, res = _footprint(st, product, method, out)
    normalize_lang(lang)  # checked, like every report's; the document is language-neutral
    m = _meta(meta, res)
    Declaration.parse(section(m, "declaration"))  # the meta is checked before the draws
    unc = None
    if iterations:
        unc = workflows.uncertainty(eng, [res.product], method, iterations, seed)[0]
        if not as_json:
            st.console().print(f"Monte Carlo: {unc['iterations']} draws (seed {seed})")
    # data quality computed from the inventory's pedigree (supply_chain.data_quality);
    # crossSectoralStandards from the study's conformity table (reports.pact.standards), whose
    # uncertainty clause is met only when the draws above were made
    doc = pact_from_meta(eng, res, m, pact_version, uncertainty=unc)
    docs = {}
    if previous is not None:
        prior = read_product_footprint(previous).to_json()
        if prior.get("id") != doc["id"]:  # an unchanged footprint keeps its document and id
            old, doc = reissue(prior, doc, source=str(previous))
            docs[f"{old['id']}.json"] = old
    docs[f"pact-v{pact_version}-{res.product[1]}.json"] = doc
    with staged(out):  # the re-issued and the deprecated document together, or neither
        files = [write_pact(d, out / name) for name, d in docs.items()]
    _done(st, files, as_json)


@app.command()
def battery(
    ctx: typer.Context,
    product: ProductArg,
    out: OutOpt = REPORTS,
    meta: MetaOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    lang: LangOpt = "en",
    require_complete: Annotated[
        bool,
        typer.Option(help="Refuse unless all four Annex II stages are modelled."),
    ] = False,
    as_json: JsonFilesOpt = False,
) -> None:
    """EU Battery Regulation carbon footprint declaration: JSON + one-page HTML and PDF.

    Computed from the meta's Annex II product system (``battery.product_system``, e.g. the pack
    + distribution) when it names one, and checked against its per-kWh-delivered product
    (``battery.delivered_product``); a partial declaration says so and is never called
    complete (``--require-complete`` refuses it)."""
    from reports.battery import battery_declaration_for, write_battery_declaration
    from reports.meta import section

    st = state(ctx)
    eng, res = _footprint(st, product, method, out)
    decl = battery_declaration_for(
        eng,
        res.product,
        section(_meta(meta, res, lang), "battery"),
        method,
        require_complete=require_complete,
    )
    files = write_battery_declaration(decl, out, lang=lang)
    if not as_json:  # what the files declare, before where they are
        from rich.markup import escape

        con = st.console()
        con.print(
            f"{escape(decl.product_name)} ({escape('|'.join(decl.product))}): "
            f"{decl.total:.4g} {escape(decl.unit)} over the modelled stages"
        )
        if decl.status != "complete":
            from lca.footprint import STAGES

            con.print(
                "[red]PARTIAL declaration[/]: not modelled: "
                + escape(", ".join(STAGES.get(k, k).lower() for k in decl.missing_stages))
                + " (the documents say so; --require-complete refuses it)"
            )
    _done(st, files, as_json)


@app.command()
def iso14067(
    ctx: typer.Context,
    product: ProductArg,
    out: OutOpt = REPORTS,
    meta: MetaOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    lang: LangOpt = "en",
    iterations: IterationsOpt = 1000,
    seed: SeedOpt = 42,
    as_json: JsonFilesOpt = False,
) -> None:
    """ISO 14067 CFP study report: HTML (interactive charts) and PDF.

    The uncertainty is always analysed: Monte Carlo with ``--iterations`` draws (default 1000;
    lower it for a quick draft, at least 2), the number printed and stated in the report. The
    study's sensitivity scenarios (meta ``study.sensitivity``) are recomputed."""
    from lca import workflows
    from lca.errors import UncertaintyError
    from reports.iso14067 import write_iso14067_report
    from reports.meta import section

    if iterations < 2:
        raise UncertaintyError(
            f"--iterations: {iterations} draws; the ISO 14067 report always states the "
            "uncertainty of its result: give at least 2 (default 1000)"
        )
    st = state(ctx)
    eng, res = _footprint(st, product, method, out)
    m = _meta(meta, res, lang)
    # the meta file is checked before the Monte Carlo draws, not after them
    from reports.iso14067 import StudyInfo
    from reports.pact import Declaration

    decl = Declaration.parse(section(m, "declaration"))
    study = StudyInfo.parse(section(m, "study"))
    unc = workflows.uncertainty(eng, [res.product], method, iterations, seed, keep_samples=True)[0]
    if not as_json:
        st.console().print(f"Monte Carlo: {unc['iterations']} draws (seed {seed})")
    files = write_iso14067_report(
        res,
        decl,
        study,
        out,
        lang=lang,
        uncertainty=unc,
        engine=eng,
    )
    _done(st, files, as_json)


@app.command()
def suppliers(
    ctx: typer.Context,
    product: ProductArg,
    out: OutOpt = REPORTS,
    method: MethodOpt = DEFAULT_METHOD,
    bom: Annotated[
        Path | None,
        in_file(
            "Bill of materials of the supply chain (default for the demo product: the shipped "
            "illustrative battery pack, inventories/bom/battery-pack-*).",
            "--bom",
        ),
    ] = None,
    supplier_file: Annotated[
        Path | None,
        in_file(
            "Suppliers CSV: supplier, part, benchmark[, engagement_status, engagement_due].",
            "--suppliers",
        ),
    ] = None,
    pcf: Annotated[
        list[Path] | None,
        in_file("Supplier PCFs: PACT JSON or a PCF table CSV (repeat).", "--pcf"),
    ] = None,
    levers: Annotated[Path | None, in_file("Levers CSV of the reduction plan.", "--levers")] = None,
    baseline: Annotated[
        Path | None, in_file("Baseline CSV (product, footprint, volume).", "--baseline")
    ] = None,
    target: Annotated[str, typer.Option(help="Reduction target, e.g. 30% (of the baseline).")] = (
        "30%"
    ),
    year: Annotated[int | None, typer.Option(help="Target year (levers in effect by then).")] = (
        2030
    ),
    on: DateOpt = None,
    currency: CurrencyOpt = None,
    from_store: FromStoreOpt = False,
    db: StoreDbOpt = None,
    lang: LangOpt = "en",
    as_json: JsonFilesOpt = False,
) -> None:
    """Supplier workbook (xlsx) and scorecard CSV: per supplier parts, volume, declared PCF vs
    database value, data quality, validity, engagement and a traffic-light rating; the
    reduction plan with costs and its MACC chart.

    ``--lang`` is accepted for every report; the workbook's headers are English (one header
    row per sheet, units included) in either language."""
    import datetime as dt

    from lca.files import staged
    from reports.render import normalize_lang
    from reports.suppliers import supplier_workbook, supply_chain_book, write_scorecard_csv

    normalize_lang(lang)
    st = state(ctx)
    eng, res = _footprint(st, product, method, out)
    given = {"--suppliers": supplier_file, "--levers": levers, "--baseline": baseline}
    if bom is None:
        from pcf.demo.reports import DEMO_PRODUCT, demo_supply_chain_book

        if tuple(res.product) != DEMO_PRODUCT or any(v is not None for v in given.values()):
            from reports.errors import InvalidDeclaration

            raise InvalidDeclaration(
                "--bom",
                None,
                "is needed: the workbook lists the suppliers of a bill of materials (with "
                "--suppliers, --levers, --baseline); only the demo product has a shipped one",
            )
        book = demo_supply_chain_book(eng, method)
    else:
        from reports.errors import InvalidDeclaration
        from supply_chain import read_pact, read_pcf_table

        for name, v in given.items():
            if v is None:
                raise InvalidDeclaration(name, None, "is needed with --bom")
        pcfs = []
        for f in pcf or []:
            pcfs += read_pact(f) if f.suffix.lower() == ".json" else read_pcf_table(f)
        pcfs += store_pcfs(st, from_store, db)  # supplier PCFs received into the footprint store
        day = dt.date.fromisoformat(on) if on else dt.date.today()
        book = supply_chain_book(
            eng, method, bom, supplier_file, pcfs, levers, baseline, target, year, day,
            currency=currency,
        )  # fmt: skip
    code = res.product[1]
    with staged(out):  # the workbook and its CSV together, or neither
        files = [
            supplier_workbook(res, out / f"suppliers-{code}.xlsx", book),
            write_scorecard_csv(book, out / f"suppliers-{code}.csv"),
        ]
    _done(st, files, as_json)
