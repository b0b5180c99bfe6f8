"""``pcf reduce`` and ``pcf macc``: reduction plans on top of ``supply_chain.levers``.

Input layouts (``inventories/bom/README.md``): levers in the ``supply_chain.levers`` layout
(with ``change`` columns for ``reduce --bom``); baselines ``product,footprint[,volume]``; actor
budgets ``actor,budget``; BOMs as for ``pcf bom rollup``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pcf.commands.bom import PcfRuleOpt, supplier_pcfs
from pcf.context import State, figure, state, write_csv
from pcf.options import (
    DEFAULT_METHOD,
    CsvOutOpt,
    CurrencyOpt,
    DateOpt,
    JsonOpt,
    MethodOpt,
    SeedOpt,
    in_file,
    positive,
    scheduler_option,
    workers_option,
)

# as pcf.options' IterationsOpt / SchedulerOpt / WorkersOpt, with help saying what is drawn;
# --iterations is checked in the command (a PCFError naming it, exit 1)
PlanIterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        help="With --bom: Monte Carlo draws of the BOM's background inventory (at least 2); "
        "reports the chance that the plan meets the target per unit.",
    ),
]
PlanSchedulerOpt = scheduler_option("Compute the --iterations draws")
PlanWorkersOpt = workers_option("Compute the --iterations draws")

__all__ = ["macc_cmd", "reduce_cmd"]


def _problem(levers: Path, baseline: Path, budgets: Path | None, total_budget=None):
    # heavy: keeps --help fast (supply_chain imports pandas, networkx, HiGHS; lca Brightway)
    from supply_chain.levers import read_problem

    return read_problem(levers, baseline, budgets, total_budget)


def _verify_with_bom(
    st: State,
    problem,
    plan,
    levers: Path,
    bom: Path,
    pcf: list[Path],
    method: str,
    on: str | None,
    pcf_rule: str = "error",
):
    """Exact re-solve of the plan on the BOM model (levers with ``change`` columns): the
    check (a dict), the :class:`~supply_chain.model.SupplyChainModel` and the lever changes."""
    from lca.footprint import FootprintEngine
    from supply_chain import SupplyChainModel, check_plan_on_model, read_bom, read_lever_changes

    changes = read_lever_changes(levers)
    eng = FootprintEngine(st.open())
    day = dt.date.fromisoformat(on) if on else dt.date.today()
    model = SupplyChainModel(read_bom(bom), eng, method, supplier_pcfs(pcf, pcf_rule), day)
    return check_plan_on_model(problem, plan, model, changes), model, changes


def _finite_positive(value: float | None) -> float | None:
    """:func:`pcf.options.positive`, and refusing nan (every comparison with nan is false)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value:g} is not a finite number")
    return positive(value)


def reduce_cmd(
    ctx: typer.Context,
    levers: Annotated[
        Path,
        in_file(
            "Levers CSV (example and layout: inventories/bom/battery-pack-levers.csv, README there)."
        ),
    ],
    baseline: Annotated[Path, in_file("Baselines CSV: product,footprint[,volume].")],
    target: Annotated[
        str | None, typer.Option(help="Target: '30%' (cut) or an absolute cap, e.g. '120'.")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(min=0, help="Most reduction for this total budget (instead of --target)."),
    ] = None,
    budgets: Annotated[Path | None, in_file("Actor budgets CSV: actor,budget.")] = None,
    each: Annotated[
        bool,
        typer.Option(
            "--each",
            help="Target every product on its own (default: the volume-weighted portfolio).",
        ),
    ] = False,
    year: Annotated[
        int | None, typer.Option(help="Target year: levers taking effect later are left out.")
    ] = None,
    product: Annotated[
        list[str] | None, typer.Option(help="Restrict the target to these products (repeatable).")
    ] = None,
    bom: Annotated[
        Path | None,
        in_file(
            "BOM of the product: verify the plan by an exact re-solve of the levers' model changes."
        ),
    ] = None,
    pcf: Annotated[
        list[Path] | None, in_file("Supplier PCFs for --bom (PACT JSON or table).")
    ] = None,
    pcf_rule: PcfRuleOpt = "error",
    on: DateOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    time_limit: Annotated[
        float, typer.Option(callback=_finite_positive, help="MILP time limit, seconds.")
    ] = 60.0,
    iterations: PlanIterationsOpt = None,
    seed: SeedOpt = 0,
    scheduler: PlanSchedulerOpt = None,
    workers: PlanWorkersOpt = None,
    currency: CurrencyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cheapest set of levers that meets a target (or most cut for a budget), MILP/HiGHS.

    An unreachable target is an answer, not an error: the command prints the best achievable
    plan, its shortfall and the binding constraints, and exits 0 ("met": false in JSON).

    With --bom and --iterations N the plan is also evaluated under N Monte Carlo draws of the
    BOM's background inventory (exact footprint per unit before and after the plan in every
    draw); --workers N or --scheduler compute the draws on a dask cluster (same results).
    """
    from lca.errors import PCFError
    from supply_chain.levers import parse_target, plan_frame, solve_budget, solve_target

    st = state(ctx)
    if (target is None) == (budget is None):
        raise PCFError("give exactly one of --target (e.g. '30%') or --budget")
    if iterations is not None:
        if bom is None:
            raise PCFError(
                f"--iterations {iterations}: give --bom too (the draws are of the BOM's "
                "background inventory)"
            )
        if iterations < 2:
            raise PCFError(f"--iterations {iterations}: give at least 2 draws")
    elif workers:  # $PCF_DASK_SCHEDULER alone does not ask for anything
        raise PCFError(f"--workers {workers}: only with --iterations (and --bom)")
    with st.progress() as progress:
        task = progress.add_task("Reading levers", total=3)
        problem = _problem(levers, baseline, budgets)
        cur = _currency(levers, currency)
        progress.update(task, advance=1, description="Solving (MILP)")
        if target is not None:
            t = parse_target(
                target, scope="each" if each else "portfolio", year=year, products=product
            )
            plan = solve_target(problem, t, time_limit=time_limit)
        else:
            plan = solve_budget(problem, budget, products=product, year=year, time_limit=time_limit)
        verification = uncertain = None
        if bom is not None:
            progress.update(task, advance=1, description="Verifying the plan (exact re-solve)")
            verification, model, changes = _verify_with_bom(
                st, problem, plan, levers, bom, pcf or [], method, on, pcf_rule
            )
            if iterations is not None:
                uncertain = _plan_draws(
                    problem, plan, model, changes, iterations, seed, scheduler, workers, progress
                )
        progress.update(task, completed=3)
    pf = plan_frame(problem, plan)
    if as_json:
        d = plan.to_dict()
        d["levers"] = pf.to_dict(orient="records")
        d["products"] = plan.to_frame().to_dict(orient="records")
        d["verification"] = verification
        d["currency"] = cur
        if uncertain is not None:
            d["plan_uncertainty"] = uncertain.to_dict()
        st.out_json(d)
        return
    con = st.console()
    head = {
        "optimal": "[green]target met[/]" if plan.question == "target" else "optimal",
        "infeasible": "[red]target out of reach[/]: best achievable plan",
        "time_limit": "[yellow]time limit[/]: best plan found",
    }.get(plan.status, plan.status)
    con.print(
        f"{head}: {len(plan.chosen)} lever(s), cost {figure(plan.cost)}"
        + (f" {cur}" if cur else "")
        + "; portfolio "
        f"{figure(plan.portfolio_baseline)} → {figure(plan.portfolio_footprint)} "
        f"(−{figure(plan.portfolio_reduction)}"
        + (
            f", −{plan.portfolio_reduction / plan.portfolio_baseline:.1%}"
            if plan.portfolio_baseline
            else ""
        )
        + ")"
    )
    if plan.target_value is not None:
        con.print(
            f"target: portfolio ≤ {figure(plan.target_value)}"
            + (f" by {year}" if year else "")
            + ("" if plan.met else f"; shortfall {figure(plan.shortfall)}")
        )
    t = Table(title="plan")
    # lever ids whole (a reader looks them up in the levers file), node and kind beneath
    t.add_column("lever (node · kind)", overflow="fold")
    t.add_column("actor")
    for c in (f"cost ({cur})" if cur else "cost", "abatement"):
        t.add_column(c, justify="right")
    for _, r in pf.iterrows():
        t.add_row(
            f"{r['lever']}\n[dim]{r['node']} · {r['kind']}[/]",
            str(r["actor"]),
            figure(r["cost"]),
            figure(r["abatement"]),
        )
    con.print(t)
    t = Table(title="products (per unit)")
    for c in ("product", "volume", "baseline", "reduction", "footprint", "target"):
        t.add_column(c, justify="left" if c == "product" else "right")
    for _, r in plan.to_frame().iterrows():
        t.add_row(
            str(r["product"]),
            figure(r["volume"]),
            f"{r['baseline']:,.6g}",
            f"{r['reduction']:,.6g}",
            f"{r['footprint']:,.6g}",
            "" if r["target"] != r["target"] else f"{r['target']:,.6g}",
        )
    con.print(t)
    if plan.binding:
        t = Table(title="binding constraints")
        for c in ("kind", "name", "shortfall if relaxed", "detail"):
            t.add_column(c)
        for b in plan.binding:
            t.add_row(
                b.kind,
                b.name,
                ""
                if b.shortfall_if_relaxed != b.shortfall_if_relaxed
                else f"{b.shortfall_if_relaxed:,.6g}",
                b.detail,
            )
        con.print(t)
    if verification:
        v = verification
        con.print(
            f"verification ({v['product']}, per unit): linear −{v['linear_reduction']:.6g}"
            f", exact −{v['exact_reduction']:.6g} (error {v['error']:.3g}); footprint "
            f"{v['footprint_exact']:.6g}"
            + (
                ""
                if v["target_met_exact"] is None
                else ("; target met" if v["target_met_exact"] else "; [red]target missed[/]")
            )
        )
        if v["stale_levers"]:
            con.print(
                "[yellow]delta differs from the model for:[/] " + ", ".join(v["stale_levers"])
            )
    if uncertain is not None:
        con.print(_uncertainty_table(uncertain.to_dict()))


def _plan_draws(problem, plan, model, changes, iterations, seed, scheduler, workers, progress):
    """The plan under ``iterations`` draws of the BOM's background (on a dask cluster with
    ``scheduler`` / ``workers``): :func:`supply_chain.plan_uncertainty.plan_uncertainty`."""
    from lca.distributed import cluster
    from supply_chain.plan_uncertainty import plan_uncertainty

    with cluster(scheduler, workers) as executor:
        task = progress.add_task(
            f"Plan under {iterations} draws"
            + (" on the dask cluster" if executor is not None else ""),
            total=None,
        )

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return plan_uncertainty(
            model, problem, plan, changes, iterations, seed, executor=executor, progress=advance
        )


def _uncertainty_table(u: dict) -> Table:
    """Quantiles of the footprint per unit before and after the plan, and of the reduction."""
    p = u["probability_target_met"]
    cap = u["cap_per_unit"]
    t = Table(
        title=f"plan under {u['n_draws']} draws of the background ({u['unit']} per unit)",
        caption=(
            "no per-unit target"
            if p is None
            else f"target ≤ {cap:.6g} met in {p:.1%} of the draws (seed {u['seed']})"
        ),
    )
    for c in ("", "p05", "p50", "p95"):
        t.add_column(c, justify="left" if not c else "right")
    for row in ("before", "after", "reduction"):
        t.add_row(row, *(f"{u[row][q]:.6g}" for q in ("p05", "p50", "p95")))
    return t


def macc_cmd(
    ctx: typer.Context,
    levers: Annotated[
        Path,
        in_file(
            "Levers CSV (example and layout: inventories/bom/battery-pack-levers.csv, README there)."
        ),
    ],
    baseline: Annotated[Path, in_file("Baselines CSV: product,footprint[,volume].")],
    product: Annotated[
        list[str] | None, typer.Option(help="Count abatement for these products only.")
    ] = None,
    csv_out: CsvOutOpt = None,
    currency: CurrencyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Marginal abatement cost curve: levers by cost per unit abated (volume-weighted)."""
    from supply_chain.levers import macc

    st = state(ctx)
    problem = _problem(levers, baseline, None)
    cur = _currency(levers, currency)
    curve = macc(problem, products=product)
    if csv_out is not None:
        write_csv(csv_out, curve.to_csv(index=False))
    if as_json:
        st.out_json(
            {
                "levers": curve.to_dict(orient="records"),
                "currency": cur,
                "left_out": curve.attrs.get("left_out", []),
                "csv": str(csv_out) if csv_out else None,
            }
        )
        return
    t = Table(
        title="marginal abatement cost curve",
        caption="cost and abatement in the units of the levers and baseline files "
        "(abatement: footprint per unit x volume); per unit: cost / abatement; cumulative: "
        "abatement of this lever and those above it",
    )
    # lever ids whole (a reader looks them up in the levers file), actor and kind beneath
    t.add_column("lever (actor · kind)", overflow="fold", min_width=24, ratio=1)
    for c in (f"cost ({cur})" if cur else "cost", "abatement", "per unit", "cumulative"):
        t.add_column(c, justify="right", no_wrap=True)
    for _, r in curve.iterrows():
        t.add_row(
            f"{r['lever']}\n[dim]{r['actor']} · {str(r['kind']).replace('_', ' ')}[/]",
            figure(r["cost"]),
            figure(r["abatement"]),
            f"{r['mac']:.4g}",
            figure(r["cumulative_abatement"]),
        )
    con = st.console()
    con.print(t)
    if curve.attrs.get("left_out"):
        con.print("left out (no abatement): " + ", ".join(curve.attrs["left_out"]))
    if csv_out is not None:
        con.print(f"Written: {csv_out}")


def _currency(levers: Path, given: str | None) -> str | None:
    """The currency of the levers' costs: ``--currency`` or the file's ``currency`` column
    (:func:`reports.suppliers.levers_currency`, which refuses two that differ), else None."""
    from reports.suppliers import levers_currency

    return levers_currency(levers, given)
