"""``pcf factory ...``: a plant's GHG inventory, allocation to products, gap to zero.

Registered in :mod:`pcf.app` with ``app.add_typer(factory_cmds.app, name="factory")``. Every
command reads a plant activity-data file (layout: ``inventories/factory/README.md``), imports the
factor databases if they are missing or stale, and prints a table, or JSON with ``--json``
(stdout holds nothing else). ``--csv FILE`` also writes the long table. Input errors are
``PCFError``s naming file, row and column; ``pcf`` prints them as one line and exits 1.
``pcf factory sheet`` writes the plant sheet (HTML + PDF, :mod:`reports.plant`); nothing is
written when the input is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from pcf.context import PcfTyper, State, figure, state, write_csv
from pcf.options import (
    DEFAULT_METHOD,
    CsvOutOpt,
    JsonFilesOpt,
    JsonOpt,
    LangOpt,
    MethodOpt,
    OutOpt,
    fraction,
    in_file_arg,
    positive,
)

__all__ = ["app"]

app = PcfTyper(
    help="Factory carbon accounting: plant inventory, allocation, zero-carbon gap.",
    no_args_is_help=True,
)

PathArg = Annotated[Path, in_file_arg("Plant activity-data file (CSV or Excel).")]
PeriodOpt = Annotated[str | None, typer.Option(help="Period (default: the latest).")]
KeyOpt = Annotated[
    str | None,
    typer.Option(help="Allocation key name in the file, or 'production' (default: physical)."),
]
GreenOpt = Annotated[float | None, fraction("What-if: green-power share of electricity (0-1).")]
ElectrifyOpt = Annotated[
    float | None, fraction("What-if: fraction of fuel heat electrified (0-1).")
]
KwhPerMjOpt = Annotated[
    float | None,
    typer.Option(
        callback=positive,
        help="kWh of electricity per MJ of fuel replaced (needed with --electrify).",
    ),
]
EfficiencyOpt = Annotated[float | None, fraction("What-if: energy saved by efficiency (0-1).")]


def _plant(st: State, path: Path, method: str, out: Path | None = None, csv: Path | None = None):
    """The plant's inventory; first refuses an output target that cannot be written (an
    :class:`~lca.errors.OutputError` naming it), so nothing is computed for nothing."""
    # heavy: keeps --help fast (factory imports Brightway and pandas)
    import factory
    from lca.files import check_output_dir

    if out is not None:
        check_output_dir(out)
    if csv is not None:
        check_output_dir(Path(csv).parent)

    data = factory.read_plant(path)  # a bad plant file is refused before the project is written
    proj = st.open()
    factory.ensure_factor_databases(proj)
    return proj, factory.plant_inventory(proj, data, method)


def _dump(st: State, obj) -> None:
    from lca.files import jsonable

    st.out(json.dumps(obj, ensure_ascii=False, indent=2, default=jsonable))


def _t(kg) -> str:
    """kg CO2e shown as tonnes, thousands separated (tables only; JSON stays in kg)."""
    return "" if kg is None else f"{kg / 1000:,.0f}"


@app.command()
def inventory(
    ctx: typer.Context,
    path: PathArg,
    method: MethodOpt = DEFAULT_METHOD,
    as_json: JsonOpt = False,
    csv: CsvOutOpt = None,
) -> None:
    """Scope 1 by source and gas, scope 2 location- and market-based, green share, scope 3."""
    st = state(ctx)
    _, plant = _plant(st, path, method, csv=csv)
    if csv:
        write_csv(csv, plant.to_frame().to_csv(index=False))
    if as_json:
        _dump(st, plant.to_dict())
        return
    con = st.console()
    for p, inv in plant.periods.items():
        s = inv.summary()
        t = Table(title=f"{plant.plant} {p} (t CO2e; {inv.unit} / 1000)")
        t.add_column("item")
        t.add_column("value", justify="right")
        # no scope-1 line in the file: none reported, not a measured 0
        rows = [("scope 1", s["scope1"] if inv.scope1_sources else "none reported")]
        rows += [(f"  {k}", v) for k, v in s["scope1_by_gas"].items()]
        rows += [
            ("scope 2 location-based", s["scope2_location"]),
            ("scope 2 market-based", s["scope2_market"]),
        ]
        rows += [(f"  {k}", v) for k, v in s["scope2_market_by_category"].items()]
        rows += [
            ("scope 3 purchased goods", s["scope3_purchased_goods"]),
            ("scope 1+2 location", s["scope1_2_location"]),
            ("scope 1+2 market", s["scope1_2_market"]),
        ]
        for k, v in rows:
            t.add_row(k, v if isinstance(v, str) else _t(v))
        t.add_row("green-power share", f"{s['green_share']:.1%}")
        t.add_row("offsets retired (outside footprints)", _t(s["offsets_retired"]))
        con.print(t)
        for note in inv.notes:
            con.print(f"[yellow]note:[/] {note}")


@app.command()
def allocate(
    ctx: typer.Context,
    path: PathArg,
    period: PeriodOpt = None,
    key: KeyOpt = None,
    scope2: Annotated[
        Literal["market", "location"], typer.Option(help="Scope 2 basis.")
    ] = "market",
    write: Annotated[
        bool, typer.Option("--write", help="Write pcf-factory-<plant> product activities.")
    ] = False,
    method: MethodOpt = DEFAULT_METHOD,
    as_json: JsonOpt = False,
    csv: CsvOutOpt = None,
) -> None:
    """Per-product gate-to-gate kg CO2e per unit (ISO 14067 hierarchy; offsets beside)."""
    import factory

    st = state(ctx)
    proj, plant = _plant(st, path, method, csv=csv)
    res = factory.allocate(plant.get(period), key, scope2)
    d = res.to_dict()
    if write:
        d["database"] = factory.write_product_activities(
            proj, path, period, key, scope2, method=method
        )
    if csv:
        write_csv(csv, res.to_frame().to_csv(index=False))
    if as_json:
        _dump(st, d)
        return
    con = st.console()
    t = Table(
        title=f"{res.plant} {res.period}: gate-to-gate per product "
        f"(scope 1 + scope 2 {scope2}-based)"
    )
    # the product's name whole with its amount beneath; the figures never cut
    t.add_column("product\n(amount)", no_wrap=True)
    for c in ("share", "total t CO2e", f"{res.unit} per unit", "offsets beside t CO2e"):
        t.add_column(c, justify="right")
    for p in res.products:
        t.add_row(
            f"{p.product}\n{figure(p.amount)} {p.unit}",
            f"{p.share:.1%}",
            _t(p.total_kg),
            figure(p.per_unit),
            _t(p.offsets_beside_kg),
        )
    con.print(t)
    con.print(f"Key: {res.key} ({res.basis}). {res.hierarchy}.")
    if write:
        con.print(f"Written: database {d['database']}")


@app.command()
def gap(
    ctx: typer.Context,
    path: PathArg,
    period: PeriodOpt = None,
    green_share: GreenOpt = None,
    electrify: ElectrifyOpt = None,
    kwh_per_mj: KwhPerMjOpt = None,
    efficiency: EfficiencyOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    as_json: JsonOpt = False,
    csv: CsvOutOpt = None,
) -> None:
    """Residual emissions, offsets needed for net zero, trajectory and what-if levers."""
    import pandas as pd

    import factory

    st = state(ctx)
    _, plant = _plant(st, path, method, csv=csv)
    levers = factory.WhatIf(green_share, electrify, kwh_per_mj, efficiency)
    d = factory.gap_report(plant, period, **levers.to_dict())
    if csv:
        write_csv(csv, pd.DataFrame(d["trajectory"]).to_csv(index=False))
    if as_json:
        _dump(st, d)
        return
    con = st.console()
    # one column per period, one row per figure (as a financial statement reads): a row of
    # nine figures per period did not fit 80 columns and rich cut the numbers short
    t = Table(title=f"{d['plant']}: trajectory (t CO2e)")
    t.add_column("")
    traj = d["trajectory"]
    for r in traj:
        t.add_column(str(r["period"]), justify="right", no_wrap=True)
    rows = (
        (
            "scope 1",
            lambda r: _t(r["scope1"]) if r.get("scope1_sources", 1) else "none reported",
        ),
        ("scope 2, location-based", lambda r: _t(r["scope2_location"])),
        ("scope 2, market-based", lambda r: _t(r["scope2_market"])),
        ("green power share", lambda r: f"{r['green_share']:.1%}"),
        ("residual", lambda r: _t(r["residual"])),
        ("offsets retired (beside)", lambda r: _t(r["offsets_retired"])),
        ("gap to zero", lambda r: _t(r["gap_to_zero"])),
        (
            "residual vs previous",
            lambda r: (
                "" if r["change_vs_previous_pct"] is None else f"{r['change_vs_previous_pct']:+.1%}"
            ),
        ),
    )
    for label, cell in rows:
        t.add_row(label, *(cell(r) for r in traj))
    con.print(t)
    if len(d["levers"]) > 1:
        t = Table(title=f"What-if levers, {d['period']} (t CO2e)")
        for c in ("lever", "residual", "change", "green", "offsets needed"):
            t.add_column(c, justify="left" if c == "lever" else "right")
        for r in d["levers"]:
            t.add_row(
                r["lever"],
                _t(r["residual_kg"]),
                _t(r["change_kg"]),
                f"{r['green_share']:.1%}",
                _t(r["offsets_needed"]),
            )
        con.print(t)
    con.print(d["note"])


@app.command()
def sheet(
    ctx: typer.Context,
    path: PathArg,
    out: OutOpt = Path("pcf-output/factory"),
    lang: LangOpt = "en",
    period: PeriodOpt = None,
    key: KeyOpt = None,
    green_share: GreenOpt = None,
    electrify: ElectrifyOpt = None,
    kwh_per_mj: KwhPerMjOpt = None,
    efficiency: EfficiencyOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    as_json: JsonFilesOpt = False,
) -> None:
    """Plant sheet (HTML + PDF): scopes 1-3, instruments, products, gap to zero, trajectory."""
    import factory
    from reports.plant import write_plant_sheet

    st = state(ctx)
    _, plant = _plant(st, path, method, out=out)
    levers = factory.WhatIf(green_share, electrify, kwh_per_mj, efficiency).to_dict()
    files = write_plant_sheet(plant, out, lang=lang, period=period, what_if=levers or None, key=key)
    if as_json:
        _dump(st, {"files": [str(f) for f in files]})
        return
    con = st.console()
    for f in files:
        con.print(f"written: {f}")
