"""``pcf scenario run``: score products in the baseline and in scenarios, each a changed copy of
the technosphere (:mod:`supply_chain.scenarios`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pcf.context import PcfTyper, show_frame, state
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
    show_frame(st, df, _table, csv_out=csv_out, as_json=as_json)


def _table(df) -> Table:
    t = Table(title="scenarios")
    for c in ("product", "scenario", "score", "baseline", "delta", "delta %"):
        t.add_column(c, justify="left" if c in ("product", "scenario") else "right")
    for _, r in df.iterrows():
        t.add_row(
            str(r["product"]),
            str(r["scenario"]),
            f"{r['score']:.6g}",
            f"{r['baseline']:.6g}",
            f"{r['delta']:+.6g}",
            "" if r["delta_pct"] != r["delta_pct"] else f"{r['delta_pct']:+.1f}",
        )
    return t
