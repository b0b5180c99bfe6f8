"""``pcf``: the command line on top of ``lca`` (and later ``supply_chain`` and ``reports``).

Only this package talks to the terminal. Every command exits non-zero on failure with a one-line
message (a traceback only with ``--debug``); ``--json`` writes machine-readable output to stdout
and nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    name="pcf",
    help="Product carbon footprints (ISO 14067 / GHG Protocol / PACT) on Brightway 2.5.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err = Console(stderr=True)


class _State:
    data_dir: Path | None = None
    project: str = "pcf"
    use_global: bool = False
    debug: bool = False
    stdout = sys.stdout  # the real stdout, kept for --json output


state = _State()


def _out(text: str) -> None:
    state.stdout.write(text + "\n")
    state.stdout.flush()


def _console() -> Console:
    return Console(file=state.stdout)


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="PCF_DATA_DIR",
            help="Brightway directory of the engine (default: ./.pcf/brightway).",
        ),
    ] = None,
    project: Annotated[str, typer.Option(help="Brightway project name.")] = "pcf",
    use_global: Annotated[
        bool, typer.Option("--global", help="Use your own Brightway directory and project.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
):
    """Product carbon footprints (ISO 14067 / GHG Protocol / PACT) on Brightway 2.5."""
    from rich.logging import RichHandler

    state.data_dir, state.project, state.use_global, state.debug = (
        data_dir,
        project,
        use_global,
        debug,
    )
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    # Brightway and HiGHS print to stdout in places we do not control, HiGHS straight to file
    # descriptor 1: keep fd 1 for our output only and send everything else to stderr.
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
        state.stdout = os.fdopen(saved, "w", encoding="utf-8")
    except (OSError, ValueError):  # no real file descriptors (e.g. an embedding host)
        state.stdout = sys.stdout
    sys.stdout = sys.stderr


def _open(setup: bool = True):
    """Open the project. ``setup`` (first-use creation) applies to the engine's own directory
    only: with ``--global`` nothing is created in the user's project (missing methods raise)."""
    from lca.project import open_project

    return open_project(state.data_dir, state.project, use_global=state.use_global,
                        setup=setup and not state.use_global)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


# ------------------------------------------------------------------------------------------------
@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("pcf-output"),
    method: Annotated[str, typer.Option(help="Method alias or A|B|C.")] = "gwp100",
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations (0: none).")] = 1000,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 42,
    lang: Annotated[str, typer.Option(help="Report language: en or zh.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """The main job on the shipped examples: set up the embedded project, import inventories/,
    footprint every product (with Monte Carlo), roll up the example supply chain, write the
    declarations and reports, and show the example plant's gap to zero."""
    from pcf import demo as demo_job

    t0 = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Setting up the Brightway project", total=None)
        proj = _open()

        def step(done, total, what):
            progress.update(task, total=total, completed=done, description=what)

        summary = demo_job.run(proj, out, method=method, iterations=iterations, seed=seed,
                               lang=lang, progress=step)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    if as_json:
        _out(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    _print_demo(summary, method)


def _print_demo(summary: dict, method: str) -> None:
    con = _console()
    unit = summary["unit"]
    table = Table(title=f"Product carbon footprints, {unit} ({summary['method_alias'] or method})")
    products = summary["products"]
    # biogenic and dLUC columns only when some product has them (the shipped ones are fossil)
    parts = [(k, h) for k, h in (("biogenic", "bio"), ("land_use", "dLUC"))
             if any(p[k] for p in products)]
    table.add_column("product (code, per unit)", min_width=26, overflow="fold")
    for col in ("total", "fossil", *(h for _, h in parts), "95% interval"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("largest stage")
    short = {"raw_material_acquisition": "materials", "end_of_life": "end of life"}
    for p in products:
        mc = p.get("uncertainty") or {}
        stage = max(p["by_stage"].items(), key=lambda kv: abs(kv[1]))[0] if p["by_stage"] else ""
        interval = f"{mc['p2_5']:.4g}–{mc['p97_5']:.4g}" if mc else ""
        # the code is short and unique; the full names are in footprints.csv/json
        table.add_row(f"{p['product'][1]} [{p['amount']:g} {p['product_unit']}]",
                      f"{p['total']:.4g}", f"{p['fossil']:.4g}",
                      *(f"{p[k]:.3g}" for k, _ in parts), interval,
                      short.get(stage, stage.replace("_", " ")))
    con.print(table)
    sc = summary.get("supply_chain") or {}
    if sc:
        parts = [h["part"] for h in sc.get("top_hotspots", []) if h.get("part") != "rest"]
        con.print(f"[bold]Supply chain[/] {Path(str(sc.get('bom'))).name}: "
                  f"{sc.get('total', 0):.4g} {sc.get('unit', '')}; hotspots: {', '.join(parts)}")
    pack = summary.get("supply_chain_pack") or {}
    plan = pack.get("plan") or {}
    if plan:
        con.print(f"[bold]Reduction plan[/] ({'met' if plan.get('met') else 'not met'}): "
                  f"{', '.join(plan.get('chosen', []))}; cost {plan.get('cost', 0):,.0f}")
    fac = summary.get("factory") or {}
    if fac:
        gap = fac.get("gap", {})
        con.print(f"[bold]Example plant[/] {fac.get('plant')} (illustrative): "
                  + ", ".join(f"{k.replace('_', ' ')} {v:,.0f}" for k, v in gap.items()
                              if isinstance(v, (int, float)) and k in GAP_KEYS)
                  + f" {gap.get('unit', '')}")
    if summary.get("reports"):
        con.print(f"Reports: {len(summary['reports'])} files in "
                  f"{Path(summary['reports'][0]).parent}")
    con.print(f"Written: {', '.join(summary['files'])} ({summary['seconds']} s).")


GAP_KEYS = ("residual", "offsets_retired", "offsets_needed", "gap_to_zero")


def _fmt(v) -> str:
    return "" if v is None else f"{v:.4g}"


@app.command()
def footprint(
    product: Annotated[str, typer.Argument(help="database|code, or a unique activity name.")],
    method: Annotated[str, typer.Option(help="Method alias (pcf methods) or A|B|C.")] = "gwp100",
    amount: Annotated[float, typer.Option(help="Amount of the product.")] = 1.0,
    top: Annotated[int, typer.Option(help="Top processes to list.")] = 10,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations (0: none).")] = 0,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 42,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="NAME=VALUE",
                     help="Change a product parameter (repeatable; see pcf parameters)."),
    ] = None,
    params: Annotated[
        Path | None, typer.Option(help="A .params.yaml file of parameters (besides the shipped).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """The carbon footprint of one product, with its splits and top contributors."""
    from lca.footprint import FootprintEngine

    eng = FootprintEngine(_open())
    changed = None
    if set_:
        from supply_chain.parameters import (
            footprint_with,
            load_parameters,
            parameters_for,
            parse_assignments,
        )

        if iterations:
            raise typer.BadParameter("--iterations with --set is not supported: run them apart")
        node = eng.node(product)
        extra = load_parameters(params) if params else ()
        changed = footprint_with(eng, node.key, parse_assignments(set_), method, amount=amount,
                                 top=top, params=parameters_for(node.key, extra=extra))
        res = changed.result
        d = changed.to_dict()
    else:
        res = eng.footprint(product, method, amount=amount, top=top)
        d = res.to_dict()
    if iterations:
        from lca import workflows

        d["uncertainty"] = workflows.uncertainty(eng, [product], method, iterations, seed)[0]
    if as_json:
        _out(json.dumps(d, ensure_ascii=False, indent=2))
        return
    con = _console()
    con.print(
        f"[bold]{res.product_name}[/] {res.amount:g} {res.product_unit}  ({'|'.join(res.product)})"
    )
    con.print(f"{res.total:.6g} {res.unit}  [{'|'.join(res.method)}]")
    if changed is not None:
        shown = ", ".join(f"{k}={v}" for k, v in changed.values.items())
        con.print(f"  with {shown}: {changed.delta:+.6g} vs the stored {changed.baseline:.6g}")
    con.print(
        f"  fossil {res.fossil:.6g}  biogenic {res.biogenic:.6g}  "
        f"land use {res.land_use:.6g}  ({res.split_source})"
    )
    for title, items in (("stage", res.by_stage), ("gas", res.by_gas)):
        t = Table(title=f"by {title}")
        t.add_column(title)
        t.add_column("value", justify="right")
        t.add_column("share", justify="right")
        for k, v in items.items():
            t.add_row(k, f"{v:.6g}", f"{v / res.total:.1%}" if res.total else "")
        con.print(t)
    t = Table(title="top processes")
    for c in ("process", "location", "value", "share"):
        t.add_column(c, justify="right" if c in ("value", "share") else "left")
    for r in res.top_processes:
        t.add_row(r.name, r.location or "", f"{r.value:.6g}", f"{r.share:.1%}")
    con.print(t)
    if iterations:
        u = d["uncertainty"]
        con.print(
            f"Monte Carlo ({u['iterations']} draws, seed {seed}): mean {u['mean']:.6g}, "
            f"median {u['median']:.6g}, 95% interval {u['p2_5']:.6g} – {u['p97_5']:.6g}"
        )


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Inventories: Brightway CSV/Excel, ecoSpold2 folder, SimaPro CSV, "
            "openLCA JSON-LD (zip/folder) or a USEEIO model folder."
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="Database name (formats without their own).")
    ] = None,
    no_overwrite: Annotated[
        bool, typer.Option("--no-overwrite", help="Fail if the database exists.")
    ] = False,
    link_biosphere_by_name: Annotated[
        bool,
        typer.Option(help="Link unlinked elementary flows to a unique same-name biosphere flow."),
    ] = False,
    drop_unlinked: Annotated[
        bool, typer.Option(help="Drop what stays unlinked (listed in the log) instead of failing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Import inventories, all-or-nothing: unlinked exchanges are listed and nothing is written
    unless you say how to handle them."""
    from lca.import_formats import detect_format, import_any

    proj = _open()
    reports = []
    with _progress() as progress:
        task = progress.add_task("Importing", total=len(paths))
        for p in paths:
            progress.update(task, description=f"Importing {p.name} ({detect_format(p)})")
            options = {"overwrite": not no_overwrite}
            if detect_format(p) != "brightway":
                options.update(name=name, link_biosphere_by_name=link_biosphere_by_name,
                               drop_unlinked=drop_unlinked)
            reports.append(import_any(proj, p, **options))
            progress.advance(task)
    if as_json:
        _out(json.dumps([r.__dict__ for r in reports], indent=2))
        return
    for r in reports:
        _console().print(
            f"{r.database}: {r.activities} activities, {r.exchanges} exchanges "
            f"{'(replaced) ' if r.replaced else ''}from {r.path}"
        )


@app.command()
def methods(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """The method aliases and the Brightway methods they stand for."""
    from lca import methods as m

    proj = _open()
    rows = [
        {
            "alias": k,
            "method": list(v),
            "installed": v in proj.bd.methods,
            "unit": proj.bd.methods.get(v, {}).get("unit"),
            "parts": "bundled" if m.bundled_parts(v) else "derived",
        }
        for k, v in m.ALIASES.items()
    ]
    if as_json:
        _out(json.dumps(rows, indent=2))
        return
    t = Table(title="Climate methods (default: gwp100)")
    for c in ("alias", "method", "unit", "fossil/biogenic/LUC"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["alias"], " | ".join(r["method"]), r["unit"] or "", r["parts"])
    _console().print(t)


@app.command()
def products(
    all_: Annotated[bool, typer.Option("--all", help="Include intermediate activities.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Products in the project (final products of each database unless --all)."""
    from lca import workflows

    rows = workflows.list_products(_open(), final_only=not all_)
    if as_json:
        _out(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = Table(title="Products")
    t.add_column("key", no_wrap=True)
    for c in ("name", "unit", "location", "stage"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["key"], r["name"], r["unit"] or "", r["location"] or "", r["stage"] or "")
    _console().print(t)


@app.command()
def parameters(
    product: Annotated[str, typer.Argument(help="database|code of a product.")],
    params: Annotated[
        Path | None, typer.Option(help="A .params.yaml file of parameters (besides the shipped).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """The parameters of a product that `pcf footprint --set NAME=VALUE` changes."""
    from supply_chain.parameters import load_parameters, parameters_for

    key = tuple(product.split("|", 1)) if "|" in product else None
    if key is None:
        raise typer.BadParameter("give the product as database|code")
    extra = load_parameters(params) if params else ()
    rows = [p.model_dump(exclude={"where"}) | {"file": p.where}
            for p in parameters_for(key, extra=extra).values()]
    if as_json:
        _out(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = Table(title=f"Parameters of {product}")
    for c in ("name", "kind", "default", "unit", "description"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["kind"], str(r["default"]), r["unit"], r["description"])
    _console().print(t)


def _register_subcommands() -> None:
    from pcf.commands import factory as factory_cmds, report as report_cmds, supply as supply_cmds

    app.add_typer(factory_cmds.app, name="factory")
    app.add_typer(report_cmds.app, name="report")
    app.add_typer(supply_cmds.bom_app, name="bom")
    app.command("hotspots")(supply_cmds.hotspots_cmd)
    app.command("reduce")(supply_cmds.reduce_cmd)
    app.command("macc")(supply_cmds.macc_cmd)
    app.add_typer(supply_cmds.suppliers_app, name="suppliers")
    app.add_typer(supply_cmds.scenario_app, name="scenario")
    app.command("supply-demo")(supply_cmds.supply_demo_cmd)


_register_subcommands()


def main() -> None:
    """Entry point: run the app, turning engine errors into one-line messages and exit codes."""
    from lca.errors import PCFError

    real_stdout = sys.stdout
    try:
        app(standalone_mode=False)
    except PCFError as exc:
        if state.debug:
            raise
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit codes
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if state.debug:
            raise
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc} (rerun with --debug)")
        sys.exit(2)
    finally:
        sys.stdout = real_stdout


if __name__ == "__main__":  # pragma: no cover
    main()
