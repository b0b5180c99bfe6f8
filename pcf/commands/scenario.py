"""``pcf scenario run``: score products in the baseline and in scenarios, each a changed copy of
the technosphere (:mod:`supply_chain.scenarios`)."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table

from pcf.context import PcfTyper, figure, show_frame, state
from pcf.options import (
    DEFAULT_METHOD,
    CsvOutOpt,
    JsonOpt,
    MethodOpt,
    in_file_arg,
    scheduler_option,
    workers_option,
)

__all__ = ["scenario_app", "scenario_run_cmd"]

# the dask options of pcf.options, with help saying what runs on the cluster
ScenarioSchedulerOpt = scheduler_option("Score the scenarios", " (one task per scenario)")
ScenarioWorkersOpt = workers_option("Score the scenarios")

scenario_app = PcfTyper(
    help="Scenario studies on copies of the technosphere.", no_args_is_help=True
)


@scenario_app.command("run")
def scenario_run_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path,
        in_file_arg("Scenarios YAML/JSON (example: inventories/bom/battery-pack-scenarios.yaml)."),
    ],
    products: Annotated[list[str], typer.Argument(help="Products: database|code (one or more).")],
    method: MethodOpt = DEFAULT_METHOD,
    csv_out: CsvOutOpt = None,
    as_json: JsonOpt = False,
    scheduler: ScenarioSchedulerOpt = None,
    workers: ScenarioWorkersOpt = None,
) -> None:
    """Score products in the baseline and every scenario, side by side (tidy table).

    With --workers N or --scheduler the scenarios are scored on a dask cluster (each worker
    factorises the baseline once; the scores equal those of a run without it)."""
    # heavy: keeps --help fast (Brightway, scipy, pandas)
    from lca import methods
    from lca.distributed import cluster
    from lca.footprint import FootprintEngine
    from supply_chain.scenarios import load_scenarios, run_scenarios

    st = state(ctx)
    scenarios = load_scenarios(path)
    with cluster(scheduler, workers) as executor, st.progress() as progress:
        task = progress.add_task("Opening the project", total=None)
        eng = FootprintEngine(st.open())
        progress.update(
            task,
            description=f"Running {len(scenarios)} scenario(s) on {len(products)} product(s)"
            + (" on the dask cluster" if executor is not None else ""),
        )

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        df = run_scenarios(eng, products, scenarios, method, executor=executor, progress=advance)
        unit = eng.method_unit(methods.resolve(method)) or "score"
        products_of = {}  # db|code -> (name, unit) for the tables' titles
        for key in dict.fromkeys(df["product"]):
            node = eng.node(key)
            products_of[key] = (node.get("name") or key, node.get("unit") or "unit")
    show_frame(
        st,
        df,
        partial(_tables, unit=unit, products=products_of),
        csv_out=csv_out,
        as_json=as_json,
    )


def _tables(df, *, unit: str, products: dict[str, tuple[str, str]]) -> Group:
    """One table per product: its key and name in the title (never cut), its scenarios whole
    in rows (a long name folds), the unit in the column headers, and a caption naming the scenarios that leave it unchanged (delta exactly
    0: the score equals the baseline's), rather than an unexplained +0."""
    out = []
    for key, rows in df.groupby("product", sort=False):
        name, per = products.get(key, (key, "unit"))
        base = rows["baseline"].iloc[0]
        t = Table(
            title=f"{escape(key)}\n{escape(name)}",
            caption_justify="left",
        )
        t.add_column("scenario", overflow="fold")
        t.add_column(f"{unit}\nper {escape(per)}", justify="right", no_wrap=True)
        t.add_column(f"change\n{unit}", justify="right", no_wrap=True)
        t.add_column("change\n%", justify="right", no_wrap=True)
        same = []
        for _, r in rows.iterrows():
            if r["scenario"] == "baseline":
                t.add_row("baseline", figure(r["score"]), "", "")
                continue
            if r["delta"] == 0:
                same.append(str(r["scenario"]))
            pct = r["delta_pct"]
            t.add_row(
                escape(str(r["scenario"])),
                figure(r["score"]),
                "0" if r["delta"] == 0 else _signed(r["delta"]),
                "" if math.isnan(pct) else ("0" if r["delta"] == 0 else f"{pct:+.1f} %"),
            )
        if same:
            t.caption = (
                f"{', '.join(same)}: {'leaves' if len(same) == 1 else 'leave'} this product "
                f"unchanged (score equal to the baseline {figure(base)})"
            )
        out.append(t)
    return Group(*out)


def _signed(v: float) -> str:
    return ("+" if v > 0 else "-") + figure(abs(v))
