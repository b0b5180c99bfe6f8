"""``pcf demo``, the main job on the shipped examples (:func:`pcf.demo.run`), and
``pcf supply-demo``, the battery-pack supply chain on its own
(:func:`pcf.demo.supply_chain.demo_supply_chain`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from pcf.context import state
from pcf.options import (
    DEFAULT_METHOD,
    IterationsOpt,
    JsonOpt,
    LangOpt,
    MethodOpt,
    OutOpt,
    SeedOpt,
)

__all__ = ["demo", "print_demo", "print_supply_demo", "supply_demo_cmd"]

#: The plant gap items the summary line shows.
GAP_KEYS = ("residual", "offsets_retired", "offsets_needed", "gap_to_zero")


def demo(
    ctx: typer.Context,
    out: OutOpt = Path("pcf-output"),
    method: MethodOpt = DEFAULT_METHOD,
    iterations: IterationsOpt = 1000,
    seed: SeedOpt = 42,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
) -> None:
    """The main job on the shipped examples: set up the embedded project, import inventories/,
    footprint every product (with Monte Carlo), roll up the example supply chain, write the
    declarations and reports, and show the example plant's gap to zero."""
    # heavy: keeps --help fast (the demo imports Brightway, pandas, the report renderers)
    from lca.files import check_output_dir
    from lca.project import gc_frozen
    from pcf import demo as demo_job

    check_output_dir(out)  # before the project is set up; the rest: pcf.demo.preflight
    st = state(ctx)
    t0 = time.perf_counter()
    with st.progress() as progress:
        task = progress.add_task("Setting up the Brightway project", total=None)
        proj = st.open()

        def step(done, total, what):
            progress.update(task, total=total, completed=done, description=what)

        # the libraries imported by now are out of the collector's full passes (gc_frozen)
        with gc_frozen():
            summary = demo_job.run(
                proj, out, method=method, iterations=iterations, seed=seed, lang=lang, progress=step
            )
            # the declarations just written into the footprint store `pcf serve` serves (the
            # same documents, not computed again: an unchanged footprint keeps its document)
            from pcf.node.publish import publish_files_to_store

            progress.update(task, description="Publishing into the footprint store")
            summary["published"] = publish_files_to_store(
                demo_job.pact_files(out), data_dir=st.data_dir
            )
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    if as_json:
        st.out(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    print_demo(st.console(), summary, method)


#: Brightway unit names as the symbols a reader expects in a narrow table
UNIT_SYMBOLS = {
    "kilowatt hour": "kWh",
    "kilogram": "kg",
    "kilowatt": "kW",
    "square meter": "m²",
    "megajoule": "MJ",
    "ton kilometer": "tkm",
    "cubic meter": "m³",
}


def print_demo(con, summary: dict, method: str) -> None:
    """The demo's summary: a table of footprints and one line per other part."""
    unit = summary["unit"]
    table = Table(title=f"Product carbon footprints, {unit} ({summary['method_alias'] or method})")
    products = summary["products"]
    # biogenic and dLUC columns only when some product has them (the shipped ones are fossil)
    parts = [
        (k, h)
        for k, h in (("biogenic", "bio"), ("land_use", "dLUC"))
        if any(p[k] for p in products)
    ]
    # the 95 % interval only with Monte Carlo (--iterations 0 has none)
    interval = ("95% interval",) if any(p.get("uncertainty") for p in products) else ()
    # fossil only when it differs from the total somewhere; else one caption says so
    # (at the digits shown: a land-use part of 2e-5 kg in 65 kg is no column of equal numbers)
    fossil = any(f"{p['fossil']:.4g}" != f"{p['total']:.4g}" for p in products)
    if not fossil:
        unassessed = all(
            {"biogenic", "land_use"} <= set(p.get("not_assessed") or ()) for p in products
        )
        table.caption = "fossil = total as shown" + (
            "; biogenic, land use not assessed" if unassessed else ""
        )
    # at 80 columns every code fits whole (the longest is 32 characters) once the largest
    # stage, the widest optional column, is left to wider terminals and --json
    stages = con.width >= 100
    table.add_column("product (code)", min_width=26, overflow="fold")
    table.add_column("per", no_wrap=True)
    for col in ("total", *(("fossil",) if fossil else ()), *(h for _, h in parts), *interval):
        table.add_column(col, justify="right", no_wrap=True)
    if stages:
        table.add_column("largest stage")
    short = {"raw_material_acquisition": "materials", "end_of_life": "end of life"}
    for p in products:
        mc = p.get("uncertainty") or {}
        stage = max(p["by_stage"].items(), key=lambda kv: abs(kv[1]))[0] if p["by_stage"] else ""
        cells = [f"{mc['p2_5']:.4g}–{mc['p97_5']:.4g}" if mc else ""] if interval else []
        # the code is short and unique; the full names are in footprints.csv/json
        table.add_row(
            p["product"][1],
            f"{p['amount']:g} {UNIT_SYMBOLS.get(p['product_unit'], p['product_unit'])}",
            f"{p['total']:.4g}",
            *((f"{p['fossil']:.4g}",) if fossil else ()),
            *(f"{p[k]:.3g}" for k, _ in parts),
            *cells,
            *((short.get(stage, stage.replace("_", " ")),) if stages else ()),
        )
    con.print(table)
    sc = summary.get("supply_chain") or {}
    if sc:
        hot = [h["part"] for h in sc.get("top_hotspots", []) if h.get("part") != "rest"]
        con.print(
            f"[bold]Supply chain[/] {Path(str(sc.get('bom'))).name}: "
            f"{sc.get('total', 0):.4g} {sc.get('unit', '')} per {sc.get('per', '')}; "
            f"hotspots: {', '.join(hot)}"
        )
    pack = summary.get("supply_chain_pack") or {}
    plan = pack.get("plan") or {}
    if plan:
        con.print(
            f"[bold]Reduction plan[/] ({'met' if plan.get('met') else 'not met'}): "
            f"{', '.join(plan.get('chosen', []))}; cost {plan.get('cost', 0):,.0f} "
            f"{plan.get('cost_unit', '')}"
        )
    fac = summary.get("factory") or {}
    if fac:
        gap = fac.get("gap", {})
        con.print(
            f"[bold]Example plant[/] {fac.get('plant')} (illustrative): "
            + ", ".join(
                f"{k.replace('_', ' ')} {v:,.0f}"
                for k, v in gap.items()
                if isinstance(v, (int, float)) and k in GAP_KEYS
            )
            + f" {gap.get('unit', '')}"
        )
    if summary.get("reports"):
        con.print(
            f"Reports: {len(summary['reports'])} files in {Path(summary['reports'][0]).parent}"
        )
    con.print(f"Written: {', '.join(summary['files'])} ({summary['seconds']} s).")


def supply_demo_cmd(
    ctx: typer.Context,
    out: OutOpt = Path("pcf-output"),
    method: MethodOpt = DEFAULT_METHOD,
    as_json: JsonOpt = False,
) -> None:
    """The illustrative battery-pack supply chain end to end: roll-up, hotspots, a plan for
    −30 % by 2030 verified by an exact re-solve, MACC, supplier scorecard."""
    from lca.files import check_output_dir
    from lca.footprint import FootprintEngine
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories
    from pcf.demo.supply_chain import demo_supply_chain

    check_output_dir(out)
    st = state(ctx)
    with st.progress() as progress:
        task = progress.add_task("Setting up the Brightway project", total=None)
        proj = st.open()

        def step(done, total, what):
            progress.update(task, total=total, completed=done, description=what)

        ensure_inventories(proj, shipped_inventories(), step)
        summary = demo_supply_chain(FootprintEngine(proj), out, method, progress=step)
    if as_json:
        st.out(json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False))
        return
    print_supply_demo(st.console(), summary)


def print_supply_demo(con, summary: dict) -> None:
    """The supply-chain demo's summary as tables: the parts by source in words (as
    ``pcf bom rollup``), every figure with its unit, the exact re-solve's agreement in words."""
    from pcf.commands.bom import SOURCE_WORDS

    s, v, p = summary, summary["verification"], summary["plan"]
    per = f"{s['unit']} per {s['per']}"
    cost_unit = p.get("cost_unit")
    if not cost_unit:  # a summary written before the plan carried its unit
        from pcf.demo.supply_chain import PACK_COST_UNIT, PACK_VOLUME_PERIOD

        cost_unit = f"{PACK_COST_UNIT} {PACK_VOLUME_PERIOD}"
    sources = ", ".join(f"{SOURCE_WORDS.get(k, k)} {n:,}" for k, n in s["sources"].items())
    con.print(
        f"[bold]{s['product']}[/] (ILLUSTRATIVE EXAMPLE): {s['before']:,.6g} {per}; "
        f"parts by source: {sources}; primary data {s['primary_data_share'] or 0:.1f} %"
    )
    con.print(
        f"target {s['target']['text']} by {s['target']['year']}: ≤ "
        f"{s['target']['cap_per_unit']:,.6g} {per} → plan {', '.join(p['chosen'])}"
        f" at {p['cost']:,.0f} {cost_unit} ({p['status']}); greedy MACC would cost "
        f"{s['greedy']['cost']:,.0f} {cost_unit}"
    )
    met = {True: "met", False: "[red]missed[/]", None: "not checked"}[v["target_met_exact"]]
    if abs(v["error"]) < 1e-6:  # kg per unit: below any digit shown
        after = f"{s['after']['exact']:,.6g} {per}, target {met}; the exact re-solve agrees"
    else:
        after = (
            f"{s['after']['exact']:,.6g} {per} by the exact re-solve, "
            f"{s['after']['linear']:,.6g} by the linear estimate (they differ by "
            f"{v['error']:.3g}); target {met}"
        )
    con.print(f"after the plan: {after}")
    if s["target"].get("tightening_per_unit"):
        con.print(
            f"re-solved {v.get('solves', 1)} times with the cap tightened by "
            f"{s['target']['tightening_per_unit']:,.6g} to "
            f"{s['target']['solved_cap_per_unit']:,.6g} {per} (the linear "
            f"estimate overstated the cut); checked against the stated cap"
        )
    t = Table(
        title="supplier scorecard",
        caption=f"share: of the {s['product']} footprint; score 0-1, higher = push sooner; "
        "every column: " + s["files"].get("scorecard_csv", "the scorecard CSV"),
        caption_justify="left",
    )
    for c in ("rank", "supplier", "share", "score", "push on"):
        t.add_column(c, justify="right" if c in ("rank", "share", "score") else "left")
    for r in s["scorecard"]:
        t.add_row(
            str(r["rank"]),
            r["supplier"],
            f"{r['share']:.1%}",
            f"{r['score']:.3f}",
            str(r["push_on"]),
        )
    con.print(t)
    con.print("Written: " + ", ".join(sorted(s["files"].values())))
