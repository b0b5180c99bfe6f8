"""``pcf suppliers score``: rank suppliers for purchasing (:mod:`supply_chain.scoring`).

Inputs: contributions ``supplier,product,contribution``; supplier data
``supplier,intensity,benchmark,primary_share,ter,ger,tir,p``; baselines
``product,footprint[,volume]``; levers (``supply_chain.levers`` layout). See
``inventories/bom/README.md``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pcf.context import PcfTyper, figure, show_frame, state
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
    period: Annotated[
        str,
        typer.Option(
            help="The period of the --baseline volumes, for the headers (e.g. 'per quarter')."
        ),
    ] = "per year",
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
    table = partial(
        _table,
        per=period if volumes else None,
        of="portfolio footprint" if totals else "suppliers' total",
        levers=problem is not None,
    )
    show_frame(st, card, table, csv_out=csv_out, as_json=as_json)


def _table(card, *, per: str | None = None, of: str = "suppliers' total", levers=False) -> Table:
    """The scorecard at 80 columns: the figures a buyer ranks by in columns (in the units and
    wording of the demo's exported scorecard, :data:`supply_chain.scoring.SCORECARD_HEADERS`),
    what to push on and the data-quality fields on the supplier's second and third lines.

    ``per``: the period of the volumes (contributions × volumes are then t CO2e per period;
    without volumes they stay kg CO2e per unit of product); ``of``: what ``share`` is a share
    of; ``levers``: a levers file was given (a supplier without a potential has no lever)."""
    import pandas as pd  # heavy: keeps --help fast

    def known(v) -> bool:
        return v is not None and not pd.isna(v)

    # contributions are kg CO2e per unit of product; × volumes: t CO2e per period, as the CSV
    scale, unit = (1000.0, f"t CO2e {per}") if per else (1.0, "kg CO2e per unit of product")
    caption = [
        ("emissions attributed" + (" and reduction potential" if levers else "") + f" in {unit}")
        + (" (the baseline's volumes × kg CO2e per unit, in t)" if per else ""),
        f"share: of the {of}",
        "score 0-1, higher = push sooner",
    ]
    if levers:
        caption.append(
            "reduction potential: the supplier's levers, the best of each exclusive group (an upper "
            "bound); no lever: none of the levers cuts its emissions"
        )
    if card["primary_share"].notna().any():
        caption.append(
            "primary data: the share of primary data in the supplier's emissions, as the "
            "suppliers file gives it (0% = all secondary data)"
        )
    if card["dqr"].notna().any():
        caption.append("DQR: PEF (TeR+GeR+TiR+P)/4, 1 best - 5 worst")
    caption.append("every column: --csv or --json")
    t = Table(
        title="supplier scorecard (1 = push first)",
        caption="; ".join(caption),
        caption_justify="left",
    )
    t.add_column("#", justify="right", no_wrap=True)
    # names and lever ids whole (a reader looks them up in the input files)
    quality_known = card[["intensity_ratio", "primary_share", "dqr"]].notna().to_numpy().any()
    t.add_column(
        "supplier\n[dim]push on" + ("\ndata quality" if quality_known else "") + "[/]",
        overflow="fold",
    )
    # the unit on lines of its own: the figures' columns stay as narrow as the figures
    head = f"t CO2e\n{per}" if per else "kg CO2e\nper unit of\nproduct"
    t.add_column(f"emissions\nattributed\n{head}", justify="right", no_wrap=True)
    t.add_column("share", justify="right", no_wrap=True)
    if levers:
        t.add_column(f"reduction\npotential\n{head}", justify="right", no_wrap=True)
    t.add_column("score", justify="right", no_wrap=True)
    for _, r in card.iterrows():
        push = str(r["push_on"])
        quality = []
        if known(r["intensity_ratio"]):
            quality.append(f"intensity {r['intensity_ratio']:.2f}× benchmark")
        if not push.startswith("primary data"):  # else push_on names them already
            if known(r["primary_share"]):
                quality.append(f"primary data {r['primary_share']:.0%}")
            if known(r["dqr"]):
                quality.append(f"DQR {r['dqr']:.2f}")
        cell = escape(str(r["supplier"])) + f"\n[dim]push on: {escape(push)}[/]"
        if quality:
            cell += f"\n[dim]{', '.join(quality)}[/]"
        row = [
            str(r["rank"]),
            cell,
            figure(r["contribution"] / scale, 5),
            f"{r['share']:.1%}" if known(r["share"]) else "",
        ]
        if levers:
            pot = r["reduction_potential"]
            row.append(
                figure(pot / scale, 5)
                if known(pot) and (pot > 0 or known(r["best_lever"]))
                else "no lever"
            )
        row.append(f"{r['score']:.3f}" if known(r["score"]) else "")
        t.add_row(*row)
    return t
