"""``pcf report``: documents generated from one computed footprint (see :mod:`reports`).

Registered in :mod:`pcf.app` with ``app.add_typer(report.app, name="report")``.
Declaration metadata (company and product ids, battery service life, study goal and scope) comes
from ``--meta FILE`` (YAML/JSON with sections ``declaration``, ``battery``, ``study``); the
shipped demo product ``pcf-products|lfp-cell-per-kwh`` uses ``pcf/demo/demo_meta.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from pcf.context import PcfTyper, State, state
from pcf.options import (
    DEFAULT_METHOD,
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


def _meta(meta: Path | None, result) -> dict:
    from pcf.demo.reports import load_meta

    return load_meta(meta, result.product)


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
    as_json: JsonFilesOpt = False,
) -> None:
    """PACT ProductFootprint JSON (validated against the PACT schema)."""
    from lca.files import staged
    from reports.meta import section
    from reports.pact import pact_footprint, read_product_footprint, reissue, write_pact

    st = state(ctx)
    _, res = _footprint(st, product, method, out)
    doc = pact_footprint(res, section(_meta(meta, res), "declaration"), pact_version)
    docs = {}
    if previous is not None:
        old, doc = reissue(read_product_footprint(previous).to_json(), doc, source=str(previous))
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
    """EU Battery Regulation carbon footprint declaration: JSON + one-page HTML and PDF."""
    from reports.battery import battery_declaration, write_battery_declaration
    from reports.meta import section

    st = state(ctx)
    _, res = _footprint(st, product, method, out)
    decl = battery_declaration(
        res, section(_meta(meta, res), "battery"), require_complete=require_complete
    )
    _done(st, write_battery_declaration(decl, out, lang=lang), as_json)


@app.command()
def iso14067(
    ctx: typer.Context,
    product: ProductArg,
    out: OutOpt = REPORTS,
    meta: MetaOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    lang: LangOpt = "en",
    iterations: IterationsOpt = 0,
    seed: SeedOpt = 42,
    as_json: JsonFilesOpt = False,
) -> None:
    """ISO 14067 CFP study report: HTML (interactive charts) and PDF."""
    from lca import workflows
    from reports.iso14067 import write_iso14067_report
    from reports.meta import section

    st = state(ctx)
    eng, res = _footprint(st, product, method, out)
    m = _meta(meta, res)
    unc = None
    if iterations:
        unc = workflows.uncertainty(eng, [res.product], method, iterations, seed)[0]
    files = write_iso14067_report(
        res,
        section(m, "declaration"),
        section(m, "study"),
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
    as_json: JsonFilesOpt = False,
) -> None:
    """Supplier workbook (xlsx): scorecard, detail, hotspots, plan, notes."""
    from lca.files import staged
    from reports.suppliers import supplier_workbook

    st = state(ctx)
    _, res = _footprint(st, product, method, out)
    with staged(out):  # locked against another writer of the folder
        path = supplier_workbook(res, out / f"suppliers-{res.product[1]}.xlsx")
    _done(st, [path], as_json)
