"""``pcf footprint``, ``pcf import``, ``pcf methods``, ``pcf products``, ``pcf parameters``:
the Brightway engine (:mod:`lca`) and product parameters (:mod:`supply_chain.parameters`)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pcf.context import State, state
from pcf.options import (
    DEFAULT_METHOD,
    AmountOpt,
    IterationsOpt,
    JsonOpt,
    MethodOpt,
    OptionalProductArg,
    OutFileOpt,
    ParamsOpt,
    ProductsOpt,
    SchedulerOpt,
    SeedOpt,
    TopOpt,
    WorkersOpt,
)

__all__ = ["footprint", "import_", "methods", "parameters", "products"]


def footprint(
    ctx: typer.Context,
    product: OptionalProductArg = None,
    method: MethodOpt = DEFAULT_METHOD,
    amount: AmountOpt = 1.0,
    top: TopOpt = 10,
    iterations: IterationsOpt = 0,
    seed: SeedOpt = 42,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=VALUE",
            help="Change a product parameter (repeatable; see pcf parameters).",
        ),
    ] = None,
    params: ParamsOpt = None,
    products: ProductsOpt = None,
    out: OutFileOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The carbon footprint of one product, with its splits and top contributors; or of every
    product of a portfolio file (--products FILE --out FILE), from one factorisation."""
    if products is not None or product is None:
        return _portfolio(ctx, product, products, out, method, iterations, seed, scheduler, workers,
                          as_json)  # fmt: skip
    if out is not None:
        raise typer.BadParameter(
            "writes a portfolio's table: give --products too", param_hint="--out"
        )
    # heavy: keeps --help fast (every command here imports Brightway, scipy or pandas lazily)
    from lca import workflows
    from lca.files import MAX_ABS
    from lca.footprint import STAGES, FootprintEngine
    from supply_chain.parameters import (
        footprint_with,
        load_parameters,
        parameters_for,
        parse_assignments,
    )

    if amount > MAX_ABS:  # an amount whose footprint would overflow to inf
        raise typer.BadParameter(
            f"{amount:g} is too large (at most {MAX_ABS:g})", param_hint="--amount"
        )
    st = state(ctx)
    extra = load_parameters(params) if params else ()  # a bad file is named even without --set
    if params and not set_:
        raise typer.BadParameter(
            "declares parameters for --set: give --set NAME=VALUE too", param_hint="--params"
        )
    eng = FootprintEngine(st.open())
    changed = None
    if set_:
        if iterations:
            raise typer.BadParameter("--iterations with --set is not supported: run them apart")
        node = eng.node(product)
        changed = footprint_with(
            eng,
            node.key,
            parse_assignments(set_),
            method,
            amount=amount,
            top=top,
            params=parameters_for(node.key, extra=extra),
        )
        res = changed.result
        d = changed.to_dict()
    else:
        res = eng.footprint(product, method, amount=amount, top=top)
        d = res.to_dict()
    if iterations:
        with _draws(scheduler, workers) as (executor, progress):
            d["uncertainty"] = workflows.uncertainty(
                eng, [product], method, iterations, seed, executor=executor, progress=progress
            )[0]
    if as_json:
        st.out(json.dumps(d, ensure_ascii=False, indent=2))
        return
    con = st.console()
    con.print(
        f"[bold]{res.product_name}[/] {res.amount:g} {res.product_unit}  ({'|'.join(res.product)})"
    )
    con.print(f"{res.total:.6g} {res.unit}  [{'|'.join(res.method)}]")
    if changed is not None:
        shown = ", ".join(f"{k}={v}" for k, v in changed.values.items())
        con.print(f"  with {shown}: {changed.delta:+.6g} vs the stored {changed.baseline:.6g}")

    def _part(k: str) -> str:
        # a figure no dataset in the chain assesses is unknown, never printed as 0
        return "not assessed" if k in res.not_assessed else f"{getattr(res, k):.6g}"

    how = {
        "bundled": "split by the method's own fossil / biogenic / land-use parts",
        "derived": "split by flow names",
    }.get(res.split_source, res.split_source)
    con.print(
        f"  fossil {res.fossil:.6g}  biogenic {_part('biogenic')}  "
        f"land use {_part('land_use')}  ({how})"
    )
    for title, items in (("stage", res.by_stage), ("gas", res.by_gas)):
        t = Table(title=f"by {title}")
        t.add_column(title)
        t.add_column(res.unit, justify="right")
        t.add_column("share", justify="right")
        for k, v in items.items():
            # stages by their GHG Protocol / Annex II names, not the internal tags
            label = STAGES.get(k, k) if title == "stage" else k
            t.add_row(label, f"{v:.6g}", f"{v / res.total:.1%}" if res.total else "")
        con.print(t)
    t = Table(title="top processes")
    for c in ("process", "location", res.unit, "share"):
        t.add_column(c, justify="right" if c in (res.unit, "share") else "left")
    for r in res.top_processes:
        if r.key is None and r.value == 0:  # no "rest": the processes shown are all there is
            continue
        t.add_row(r.name, r.location or "", f"{r.value:.6g}", f"{r.share:.1%}")
    con.print(t)
    from rich.markup import escape

    for flag in res.data_flags:  # what the datasets behind the total do not cover
        con.print(f"[yellow]data flag[/] ({flag['kind']}): {escape(flag['message'])}")
    if iterations:
        u = d["uncertainty"]
        con.print(
            f"Monte Carlo ({u['iterations']} draws, seed {seed}): mean {u['mean']:.6g}, "
            f"median {u['median']:.6g}, 95% interval {u['p2_5']:.6g} – {u['p97_5']:.6g} "
            f"{res.unit}"
        )


def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            help="Inventories: Brightway CSV/Excel, ecoSpold2 folder, SimaPro CSV, "
            "openLCA JSON-LD (zip/folder) or a USEEIO model folder.",
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
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace a shipped database (from the inventories package) anyway."
        ),
    ] = False,
    allocation: Annotated[
        str | None,
        typer.Option(
            help="Allocation of processes with several products where the file declares none: "
            "mass, price, equal, manual_allocation or a property name (default: by mass when "
            "every product has a mass property, else refused).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the full import report as JSON to FILE (atomically; on a failure "
            "too, with the error and what did not link).",
        ),
    ] = None,
) -> None:
    """Import inventories, all-or-nothing as a whole: every file is read and checked first;
    unlinked exchanges are listed and nothing is written unless you say how to handle them.
    Reports what was read, how it linked, and every conversion, assumption and drop."""
    from lca._outputs import write_atomic
    from lca.errors import PCFError
    from lca.imports import import_many

    st = state(ctx)
    proj = st.open()
    try:
        with st.progress() as progress:
            progress.add_task(f"Importing {len(paths)} file(s)", total=None)
            reports = import_many(
                proj,
                paths,
                name=name,
                overwrite=not no_overwrite,
                link_biosphere_by_name=link_biosphere_by_name,
                drop_unlinked=drop_unlinked,
                replace_shipped=replace,
                allocation=allocation,
            )
    except PCFError as exc:
        if report is not None:
            failed = {"ok": False, "written": False, "error": str(exc), "imports": []}
            if getattr(exc, "unlinked", None) is not None:
                failed["unlinked"] = [
                    {k: list(v) if isinstance(v, tuple) else v for k, v in u.items()}
                    for u in exc.unlinked
                ]
            write_atomic(report, json.dumps(failed, indent=2, ensure_ascii=False) + "\n")
        raise
    rows = [r.as_dict() for r in reports]
    if report is not None:
        doc = {"ok": True, "written": any(not r.unchanged for r in reports), "imports": rows}
        write_atomic(report, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if as_json:  # one object per file, as before (scripts index it)
        st.out(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    con = st.console()
    for r in reports:
        if r.unchanged:
            con.print(f"{r.database}: unchanged, nothing written ({r.path})")
            continue
        con.print(
            f"[bold]{r.database}[/]: {r.activities} activities, {r.exchanges} exchanges "
            f"{'(replaced) ' if r.replaced else ''}from {r.path} ({r.format})",
            highlight=False,
        )
        con.print(
            "  read: " + ", ".join(f"{k} {v}" for k, v in r.read.items()),
            highlight=False,
            markup=False,
        )
        con.print(
            "  links: " + (", ".join(f"{k} {v}" for k, v in r.links.items()) or "none"),
            highlight=False,
            markup=False,
        )
        for kind in ("linked", "converted", "assumed", "dropped"):
            notes = getattr(r, kind)
            label = "linked by rule" if kind == "linked" else kind
            con.print(f"  {label}: {len(notes) or 'nothing'}", highlight=False, markup=False)
            for note in notes:
                con.print(f"    - {note}", highlight=False, markup=False, soft_wrap=True)


def methods(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The method aliases and the Brightway methods they stand for."""
    from lca import methods as m

    st = state(ctx)
    proj = st.open()
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
        st.out(json.dumps(rows, indent=2))
        return
    t = Table(title=f"Climate methods (default: {m.DEFAULT})")
    for c in ("alias", "method", "unit", "fossil/biogenic/LUC"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["alias"], " | ".join(r["method"]), r["unit"] or "", r["parts"])
    st.console().print(t)


def products(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include intermediate products.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Products in the project: what `pcf footprint` computes (a database's product nodes
    where it has them, else its processes; final products of each database unless --all)."""
    from lca import workflows

    st = state(ctx)
    rows = workflows.list_products(st.open(), final_only=not all_)
    if as_json:
        st.out(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    # the key (what every command takes) whole on its line, the name, unit, location and
    # stage beneath: five columns left the key alone at 80 columns, the others empty
    t = Table(title="Products", caption="key, then name · per unit · location · stage")
    t.add_column("product", overflow="fold")
    from rich.markup import escape

    for r in rows:
        detail = " · ".join(
            x for x in (r["name"], r["unit"] or "", r["location"] or "", r["stage"] or "") if x
        )
        t.add_row(f"{escape(r['key'])}\n[dim]{escape(detail)}[/]")
    st.console().print(t)


def _product_key(value: str) -> str:
    if "|" not in value:
        raise typer.BadParameter("give the product as database|code")
    return value


def parameters(
    ctx: typer.Context,
    product: Annotated[
        str, typer.Argument(callback=_product_key, help="database|code of a product.")
    ],
    params: ParamsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The parameters of a product that `pcf footprint --set NAME=VALUE` changes."""
    from supply_chain.parameters import load_parameters, parameters_for

    st = state(ctx)
    key = tuple(product.split("|", 1))
    extra = load_parameters(params) if params else ()
    rows = [
        p.model_dump(exclude={"where"}) | {"file": p.where}
        for p in parameters_for(key, extra=extra).values()
    ]
    if not rows:  # none declared: an existing product without parameters, or an unknown one
        from lca.footprint import FootprintEngine  # heavy (bw2data): only for this check

        FootprintEngine(st.open()).node(product)  # UnknownProduct naming the key
    if as_json:
        st.out(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    # one block per parameter, the name and default whole (they are what --set takes) and the
    # description as a paragraph: a five-column table cut both at 80 columns
    from rich.markup import escape
    from rich.padding import Padding

    con = st.console()
    con.print(f"[bold]Parameters of {escape(product)}[/] (pcf footprint PRODUCT --set NAME=VALUE)")
    for r in rows:
        unit = f" {r['unit']}" if r.get("unit") else ""
        con.print(
            f"\n[bold]{escape(r['name'])}[/] ({escape(str(r['kind']))}): default "
            f"{escape(str(r['default']))}{escape(unit)}"
        )
        con.print(Padding(escape(str(r["description"] or "")), (0, 0, 0, 2)))


@contextlib.contextmanager
def _draws(scheduler: str | None, workers: int | None):
    """``(executor, progress)`` for Monte Carlo draws: a dask cluster (``--scheduler`` /
    ``$PCF_DASK_SCHEDULER``, or ``--workers`` local processes) or none, and a progress bar on
    stderr fed by the finished blocks (the cluster's futures as they complete)."""
    from lca.distributed import cluster

    with cluster(scheduler, workers) as executor, State.progress() as bar:
        task = bar.add_task("Monte Carlo draws", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield executor, progress


def _portfolio(
    ctx: typer.Context,
    product: str | None,
    products: Path | None,
    out: Path | None,
    method: str,
    iterations: int,
    seed: int,
    scheduler: str | None,
    workers: int | None,
    as_json: bool,
) -> None:
    """``pcf footprint --products FILE --out FILE``: one row per product (lca.portfolio)."""
    if products is None:
        raise typer.BadParameter("give a product (database|code) or --products FILE")
    if product is not None:
        raise typer.BadParameter(
            f"give a product ({product}) or --products, not both", param_hint="--products"
        )
    if out is None:
        raise typer.BadParameter("--products writes a table: give --out FILE (.csv or .parquet)")
    for name in ("amount", "top", "set_", "params"):  # single-product options
        source = ctx.get_parameter_source(name)  # typer's own click: compare by name
        if source is not None and source.name != "DEFAULT":
            opt = "--" + name.rstrip("_")
            raise typer.BadParameter("applies to one product, not to --products", param_hint=opt)
    from lca.footprint import FootprintEngine
    from lca.portfolio import check_output, portfolio_footprints, write_table

    st = state(ctx)
    check_output(out)  # before any work: a wrong suffix or an unwritable folder
    t0 = time.perf_counter()
    eng = FootprintEngine(st.open())
    if iterations:
        with _draws(scheduler, workers) as (executor, progress):
            df = portfolio_footprints(
                eng, products, method, iterations=iterations, seed=seed, executor=executor,
                progress=progress,
            )  # fmt: skip
    else:
        df = portfolio_footprints(eng, products, method)
    write_table(df, out)
    seconds = time.perf_counter() - t0
    summary = {
        "products": str(products),
        "rows": len(df),
        "out": str(out),
        "method": df["method"].iloc[0],
        "unit": df["unit"].iloc[0],
        "total": float(df["total"].sum()),
        "iterations": iterations,
        "seed": seed if iterations else None,
        "seconds": round(seconds, 3),
    }
    if as_json:
        st.out(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    from rich.markup import escape

    # a sum means something only over one declared unit (kg of steel and kWh of battery do not add)
    units = sorted(set(df["product_unit"].astype(str)))
    total = (
        f"sum of totals {summary['total']:,.6g} {escape(summary['unit'])} "
        f"for {df['amount'].sum():,.6g} {escape(units[0])}"
        if len(units) == 1
        else f"products in {len(units)} units ({escape(', '.join(units[:4]))}"
        + (", ..." if len(units) > 4 else "")
        + "): no sum"
    )
    st.console().print(
        escape(f"{len(df):,} products from {products} -> {out} [{summary['method']}] ")
        + f"in {seconds:.1f} s; {total}"
        + (f"; Monte Carlo {iterations} draws, seed {seed}" if iterations else "")
    )
