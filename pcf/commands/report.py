"""``pcf report``: documents generated from one computed footprint (see :mod:`reports`).

Registered in :mod:`pcf.app` with ``app.add_typer(report_cmds.app, name="report")``.
Declaration metadata (company and product ids, battery service life, study goal and scope) comes
from ``--meta FILE`` (YAML/JSON with sections ``declaration``, ``battery``, ``study``); the
shipped demo product ``pcf-products|lfp-cell-per-kwh`` uses ``reports/demo_meta.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Reports and declarations: PACT, EU battery, ISO 14067, supplier xlsx.",
    no_args_is_help=True,
    add_completion=False,
)

Product = Annotated[str, typer.Argument(help="database|code, or a unique activity name.")]
Out = Annotated[Path, typer.Option("--out", help="Output folder.")]
Meta = Annotated[
    Path | None,
    typer.Option(
        "--meta", help="Declaration metadata (YAML/JSON); default: the demo's for the demo product."
    ),
]
Method = Annotated[str, typer.Option(help="Method alias (pcf methods) or A|B|C.")]
Lang = Annotated[str, typer.Option("--lang", help="Report language: en or zh (zh-CN).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the written files as JSON.")]


def _footprint(product: str, method: str):
    from lca.footprint import FootprintEngine
    from pcf.app import _open

    eng = FootprintEngine(_open())
    return eng, eng.footprint(product, method)


def _meta(meta: Path | None, result) -> dict:
    from pcf.demo.reports import load_meta

    return load_meta(meta, result.product)


def _done(files, as_json: bool) -> None:
    from pcf.app import _console, _out

    paths = [str(f) for f in files]
    if as_json:
        _out(json.dumps({"files": paths}, indent=2))
        return
    con = _console()
    for p in paths:
        con.print(f"written: {p}")


@app.command()
def pact(
    product: Product,
    out: Out = Path("pcf-output/reports"),
    meta: Meta = None,
    method: Method = "gwp100",
    pact_version: Annotated[int, typer.Option("--pact-version", help="3 or 2 (v2.3).")] = 3,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="A previously issued PACT JSON this one supersedes: it is written back as "
            "Deprecated and listed in precedingPfIds."
        ),
    ] = None,
    as_json: AsJson = False,
):
    """PACT ProductFootprint JSON (validated against the PACT schema)."""
    from pcf.demo.reports import section
    from reports.pact import pact_footprint, read_pact, reissue, write_pact

    _, res = _footprint(product, method)
    doc = pact_footprint(res, section(_meta(meta, res), "declaration"), pact_version)
    files = []
    if previous is not None:
        old, doc = reissue(read_pact(previous).to_json(), doc)
        files.append(write_pact(old, out / f"{old['id']}.json"))
    files.append(write_pact(doc, out / f"pact-v{pact_version}-{res.product[1]}.json"))
    _done(files, as_json)


@app.command()
def battery(
    product: Product,
    out: Out = Path("pcf-output/reports"),
    meta: Meta = None,
    method: Method = "gwp100",
    lang: Lang = "en",
    require_complete: Annotated[
        bool,
        typer.Option(help="Refuse unless all four Annex II stages are modelled."),
    ] = False,
    as_json: AsJson = False,
):
    """EU Battery Regulation carbon footprint declaration: JSON + one-page HTML and PDF."""
    from reports.battery import battery_declaration, write_battery_declaration
    from pcf.demo.reports import section

    _, res = _footprint(product, method)
    decl = battery_declaration(
        res, section(_meta(meta, res), "battery"), require_complete=require_complete
    )
    _done(write_battery_declaration(decl, out, lang=lang), as_json)


@app.command()
def iso14067(
    product: Product,
    out: Out = Path("pcf-output/reports"),
    meta: Meta = None,
    method: Method = "gwp100",
    lang: Lang = "en",
    iterations: Annotated[int, typer.Option(help="Monte Carlo draws (0: none).")] = 0,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 42,
    as_json: AsJson = False,
):
    """ISO 14067 CFP study report: HTML (interactive charts) and PDF."""
    from pcf.demo.reports import section
    from reports.iso14067 import write_iso14067_report

    eng, res = _footprint(product, method)
    m = _meta(meta, res)
    unc = None
    if iterations:
        from lca import workflows

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
    _done(files, as_json)


@app.command()
def suppliers(
    product: Product,
    out: Out = Path("pcf-output/reports"),
    method: Method = "gwp100",
    as_json: AsJson = False,
):
    """Supplier workbook (xlsx): scorecard, detail, hotspots, plan, notes."""
    from reports.suppliers import supplier_workbook

    _, res = _footprint(product, method)
    _done([supplier_workbook(res, out / f"suppliers-{res.product[1]}.xlsx")], as_json)
