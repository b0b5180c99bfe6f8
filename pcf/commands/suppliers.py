"""``pcf suppliers score``: rank suppliers for purchasing (:mod:`supply_chain.scoring`).

Inputs: contributions ``supplier,product,contribution``; supplier data
``supplier,intensity,benchmark,primary_share,ter,ger,tir,p``; baselines
``product,footprint[,volume]``; levers (``supply_chain.levers`` layout). See
``inventories/bom/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pcf.context import PcfTyper, show_frame, state
from pcf.options import CsvOutOpt, JsonOpt, in_file, in_file_arg

__all__ = ["suppliers_app", "suppliers_score_cmd"]

suppliers_app = PcfTyper(help="Supplier scorecards for purchasing.", no_args_is_help=True)


@suppliers_app.command("score")
def suppliers_score_cmd(
    ctx: typer.Context,
    contributions: Annotated[
        Path, in_file_arg("CSV supplier,product,contribution (per unit of product).")
    ],
    suppliers: Annotated[
        Path | None,
        in_file(
            "CSV supplier,intensity,benchmark,primary_share,ter,ger,tir,p "
            "(all but supplier optional)."
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        in_file("Baselines CSV product,footprint[,volume]: product totals and volumes."),
    ] = None,
    levers: Annotated[
        Path | None, in_file("Levers CSV (needs --baseline): reduction potential.")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option(help="Weight override, e.g. contribution=0.5 (repeatable).")
    ] = None,
    csv_out: CsvOutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rank suppliers: push whom, on what, first."""
    # heavy: keeps --help fast (supply_chain imports pandas, networkx, HiGHS; lca Brightway)
    from lca.errors import PCFError
    from supply_chain import read_contributions, read_supplier_data
    from supply_chain.levers import read_baseline, read_problem
    from supply_chain.scoring import supplier_scores

    st = state(ctx)
    contrib = read_contributions(contributions)
    intensity, benchmark, quality = read_supplier_data(suppliers) if suppliers else ({}, {}, {})
    totals = volumes = None
    problem = None
    if levers is not None and baseline is None:
        raise PCFError("--levers needs --baseline")
    if baseline is not None:
        totals, volumes = read_baseline(Path(baseline))
    if levers is not None:
        problem = read_problem(levers, baseline, None, None)
    weights = {}
    for w in weight or []:
        k, sep, v = w.partition("=")
        try:
            weights[k.strip()] = float(v)
        except ValueError:
            raise PCFError(f"--weight {w!r}: expected name=number") from None
        if not sep:
            raise PCFError(f"--weight {w!r}: expected name=number")
    card = supplier_scores(
        contrib,
        volumes=volumes,
        product_totals=totals,
        intensity=intensity,
        benchmark=benchmark,
        data_quality=quality,
        problem=problem,
        weights=weights,
    )
    show_frame(st, card, _table, csv_out=csv_out, as_json=as_json)


def _table(card) -> Table:
    import pandas as pd  # heavy: keeps --help fast

    def f(v, fmt):
        return "" if v is None or pd.isna(v) else format(v, fmt)

    t = Table(title="supplier scorecard (1 = push first)")
    for c in (
        "rank",
        "supplier",
        "contribution",
        "share",
        "intensity/bench",
        "primary",
        "DQR",
        "potential",
        "score",
        "push on",
    ):
        t.add_column(c, justify="left" if c in ("supplier", "push on") else "right")
    for _, r in card.iterrows():
        t.add_row(
            str(r["rank"]),
            str(r["supplier"]),
            f(r["contribution"], ",.6g"),
            f(r["share"], ".1%"),
            f(r["intensity_ratio"], ".2f"),
            f(r["primary_share"], ".0%"),
            f(r["dqr"], ".2f"),
            f(r["reduction_potential"], ",.6g"),
            f(r["score"], ".3f"),
            str(r["push_on"]),
        )
    return t
