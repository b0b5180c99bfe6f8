"""``pcf bom ...``, ``pcf hotspots``, ``pcf reduce``, ``pcf macc``, ``pcf suppliers score``,
``pcf scenario run`` and ``pcf supply-demo``: supply-chain commands on top of ``supply_chain``.

Input layouts: BOMs ``supply_chain/bom.py``; levers ``supply_chain/levers.py`` (plus the
``change`` columns of ``supply_chain/demo.py``); baselines ``product,footprint[,volume]``;
actor budgets ``actor,budget``; supplier contributions ``supplier,product,contribution`` and
supplier data ``supplier,intensity,benchmark,primary_share,ter,ger,tir,p`` (see
``inventories/bom/README.md``); scenarios ``supply_chain/scenarios.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

bom_app = typer.Typer(help="Bills of materials: roll-up with supplier PCFs, hotspots.",
                      no_args_is_help=True)


def _pcfs(paths: list[Path]):
    from supply_chain import read_pact, read_pcf_table

    out = []
    for p in paths:
        out += read_pact(p) if p.suffix.lower() == ".json" else read_pcf_table(p)
    return out


@bom_app.command("roll-up", hidden=True)  # the spelling of the issue and the docs
@bom_app.command("rollup")
def rollup_cmd(
    path: Annotated[Path, typer.Argument(help="BOM file (CSV/xlsx; inventories/bom/README.md).")],
    pcf: Annotated[
        list[Path] | None,
        typer.Option(help="Supplier PCFs: PACT JSON (v2/v3) or a PCF table (CSV); repeatable."),
    ] = None,
    useeio: Annotated[
        Path | None, typer.Option(help="USEEIO model folder for spend-based factors.")
    ] = None,
    method: Annotated[str, typer.Option(help="Method alias or A|B|C.")] = "gwp100",
    on: Annotated[
        str | None, typer.Option(help="Study date (YYYY-MM-DD) for PCF validity.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write roll-up and hotspot tables here.")
    ] = None,
    top: Annotated[int, typer.Option(help="Rows per hotspot table.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Roll a BOM up: each part from a supplier PCF, else its Brightway activity, else spend."""
    from lca.footprint import FootprintEngine
    from pcf.app import _console, _open, _out, _progress
    from supply_chain import hotspots, read_bom, rollup, useeio_spend_factors, write_hotspots

    with _progress() as progress:
        task = progress.add_task("Reading the BOM", total=None)
        G = read_bom(path)
        pcfs = _pcfs(pcf or [])
        spend = useeio_spend_factors(useeio) if useeio else None
        progress.update(task, description="Rolling up")
        eng = FootprintEngine(_open())
        day = dt.date.fromisoformat(on) if on else None
        result = rollup(G, eng, method, pcfs=pcfs, spend_factors=spend, on=day)
        files = write_hotspots(result, out, top=top, prefix=path.stem) if out else {}
    summary = result.summary()
    summary["files"] = {k: str(v) for k, v in files.items()}
    if as_json:
        summary["hotspots"] = {
            k: df.to_dict(orient="records") for k, df in hotspots(result, top=top).items()
        }
        _out(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return
    con = _console()
    con.print(f"[bold]{summary['part']}[/]: {summary['footprint']:.6g} {summary['unit']} "
              f"per {summary['per']}; sources {summary['sources']}; primary data "
              f"{summary['primary_data_share'] or 0:.1f} %")
    t = Table(title="parts")
    for c in ("part", "source", "footprint", "unit"):
        t.add_column(c, justify="right" if c == "footprint" else "left")
    for part, row in result.table.iterrows():
        t.add_row(str(part), str(row["source"]), f"{row['footprint']:.6g}", str(row["unit"]))
    con.print(t)
    for kind, df in hotspots(result, top=top).items():
        t = Table(title=f"hotspots by {kind}")
        for c in ("item", "value", "share"):
            t.add_column(c, justify="left" if c == "item" else "right")
        for _, row in df.iterrows():
            t.add_row(str(row["item"]), f"{row['value']:.6g}", f"{row['share']:.1%}")
        con.print(t)
    if files:
        con.print("Written: " + ", ".join(str(v) for v in files.values()))


def hotspots_cmd(
    product: Annotated[str, typer.Argument(help="database|code of a product.")],
    method: Annotated[str, typer.Option(help="Method alias or A|B|C.")] = "gwp100",
    cutoff: Annotated[float, typer.Option(help="Prune paths below this share.")] = 0.005,
    top: Annotated[int, typer.Option(help="Paths to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Top supply-chain paths of a product (structural path analysis) with coverage."""
    from lca.footprint import FootprintEngine
    from pcf.app import _console, _open, _out
    from supply_chain import activity_paths

    eng = FootprintEngine(_open())
    spa = activity_paths(eng, product, method, cutoff=cutoff, top=top)
    df = spa.to_frame()
    if as_json:
        _out(json.dumps({"total": spa.total, "coverage": spa.coverage, "cutoff": spa.cutoff,
                         "paths": df.to_dict(orient="records")}, indent=2, default=str))
        return
    t = Table(title=f"top paths (coverage {spa.coverage:.1%} at cutoff {spa.cutoff:g})")
    for c in ("rank", "path", "value", "share"):
        t.add_column(c, justify="right" if c in ("rank", "value", "share") else "left")
    for _, row in df.iterrows():
        rank = "" if row["rank"] is None or row["rank"] != row["rank"] else str(int(row["rank"]))
        t.add_row(rank, str(row["path"]), f"{row['value']:.6g}", f"{row['share']:.1%}")
    _console().print(t)


# ------------------------------------------------------------------------------------------------
# reduction: pcf reduce, pcf macc
# ------------------------------------------------------------------------------------------------
def _need_file(path: Path | None, what: str) -> None:
    from lca.errors import PCFError

    if path is not None and not Path(path).is_file():
        raise PCFError(f"{what} {str(path)!r} does not exist")


def check_levers_csv(path: Path, products: set[str] | None = None) -> None:
    """Row-level checks of a levers CSV, so a bad row is named by file and line.

    Negative or non-numeric ``cost``, non-numeric ``delta``/``year``, and a ``product`` that is
    not in ``products`` (the baseline) raise :class:`supply_chain.levers.LeverError`
    ``"<file>:<row>: ..."``. Everything else is left to :func:`supply_chain.levers.read_problem`.
    """
    import csv
    import math

    from supply_chain.levers import LeverError

    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for n, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            lid = row.get("lever", "")
            where = f"{Path(path).name}:{n} (lever {lid!r})"
            for col in ("cost", "delta", "year"):
                raw = row.get(col, "")
                if not raw:
                    continue
                try:
                    v = float(raw)
                except ValueError:
                    raise LeverError(f"{where}: {col} {raw!r} is not a number",
                                     lever=lid) from None
                if not math.isfinite(v):
                    raise LeverError(f"{where}: {col} {raw!r} is not finite", lever=lid)
                if col == "cost" and v < 0:
                    raise LeverError(f"{where}: cost {raw} is negative (costs are ≥ 0)",
                                     lever=lid)
            p = row.get("product", "")
            if p and products is not None and p not in products:
                raise LeverError(f"{where}: product {p!r} has no baseline (known: "
                                 f"{', '.join(sorted(products)) or 'none'})", lever=lid,
                                 product=p)


def _problem(levers: Path, baseline: Path, budgets: Path | None, total_budget=None):
    from supply_chain.levers import _read_pairs, read_problem

    _need_file(levers, "levers file")
    _need_file(baseline, "baseline file")
    _need_file(budgets, "budgets file")
    base, _vol = _read_pairs(Path(baseline), "product", "footprint", "volume")
    check_levers_csv(levers, set(base))
    return read_problem(levers, baseline, budgets, total_budget)


def _verify_with_bom(problem, plan, levers: Path, bom: Path, pcf: list[Path], method: str,
                     on: str | None):
    """Exact re-solve of the plan on the BOM model (levers with ``change`` columns)."""
    from lca.errors import PCFError
    from lca.footprint import FootprintEngine
    from pcf.app import _open
    from supply_chain import read_bom
    from pcf.demo.supply_chain import STUDY_DATE, SupplyChainModel, read_lever_changes

    _need_file(bom, "BOM file")
    changes = read_lever_changes(levers)
    eng = FootprintEngine(_open())
    day = dt.date.fromisoformat(on) if on else STUDY_DATE
    model = SupplyChainModel(read_bom(bom), eng, method, _pcfs(pcf), day)
    if model.product not in problem.baseline:
        raise PCFError(f"the BOM's product {model.product!r} is not in the baseline "
                       f"({', '.join(problem.baseline)})")
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    model_effects = model.effects({k: v for k, v in changes.items() if k in effects})
    ver = model.verify(plan.chosen, changes, effects)
    ver["product"] = model.product
    ver["model_effects"] = model_effects
    ver["stale_levers"] = [k for k, d in model_effects.items()
                           if abs(d - effects[k]) > 1e-6 * max(1.0, abs(d))]
    w = problem.volumes.get(model.product, 1.0)
    cap = plan.targets.get(model.product)
    if cap is None and plan.target_value is not None and len(problem.baseline) == 1:
        cap = plan.target_value / w if w else None
    ver["target_met_exact"] = None if cap is None else bool(
        ver["footprint_exact"] <= cap * (1 + 1e-9) + 1e-12)
    return ver


def reduce_cmd(
    levers: Annotated[Path, typer.Option(help="Levers CSV (supply_chain/levers.py layout).")],
    baseline: Annotated[Path, typer.Option(help="Baselines CSV: product,footprint[,volume].")],
    target: Annotated[
        str | None, typer.Option(help="Target: '30%' (cut) or an absolute cap, e.g. '120'.")
    ] = None,
    budget: Annotated[
        float | None, typer.Option(help="Most reduction for this total budget (instead of "
                                        "--target).")
    ] = None,
    budgets: Annotated[
        Path | None, typer.Option(help="Actor budgets CSV: actor,budget.")
    ] = None,
    each: Annotated[
        bool, typer.Option("--each", help="Target every product on its own (default: the "
                                          "volume-weighted portfolio).")
    ] = False,
    year: Annotated[
        int | None, typer.Option(help="Target year: levers taking effect later are left out.")
    ] = None,
    product: Annotated[
        list[str] | None, typer.Option(help="Restrict the target to these products "
                                            "(repeatable).")
    ] = None,
    bom: Annotated[
        Path | None, typer.Option(help="BOM of the product: verify the plan by an exact "
                                       "re-solve of the levers' model changes.")
    ] = None,
    pcf: Annotated[
        list[Path] | None, typer.Option(help="Supplier PCFs for --bom (PACT JSON or table).")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="Study date for PCF validity with --bom (YYYY-MM-DD).")
    ] = None,
    method: Annotated[str, typer.Option(help="Method alias for --bom.")] = "gwp100",
    time_limit: Annotated[float, typer.Option(help="MILP time limit, seconds.")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Cheapest set of levers that meets a target (or most cut for a budget), MILP/HiGHS.

    An unreachable target is an answer, not an error: the command prints the best achievable
    plan, its shortfall and the binding constraints, and exits 0 ("met": false in JSON).
    """
    from lca.errors import PCFError
    from pcf.app import _console, _out, _progress
    from supply_chain.levers import parse_target, plan_frame, solve_budget, solve_target

    if (target is None) == (budget is None):
        raise PCFError("give exactly one of --target (e.g. '30%') or --budget")
    with _progress() as progress:
        task = progress.add_task("Reading levers", total=3)
        problem = _problem(levers, baseline, budgets)
        progress.update(task, advance=1, description="Solving (MILP)")
        if target is not None:
            t = parse_target(target, scope="each" if each else "portfolio", year=year,
                             products=product)
            plan = solve_target(problem, t, time_limit=time_limit)
        else:
            plan = solve_budget(problem, budget, products=product, year=year,
                                time_limit=time_limit)
        verification = None
        if bom is not None:
            progress.update(task, advance=1, description="Verifying the plan (exact re-solve)")
            verification = _verify_with_bom(problem, plan, levers, bom, pcf or [], method, on)
        progress.update(task, completed=3)
    pf = plan_frame(problem, plan)
    if as_json:
        d = plan.to_dict()
        d["levers"] = pf.to_dict(orient="records")
        d["products"] = plan.to_frame().to_dict(orient="records")
        d["verification"] = verification
        _out(json.dumps(_json_ready(d), indent=2, ensure_ascii=False, allow_nan=False))
        return
    con = _console()
    head = {"optimal": "[green]target met[/]" if plan.question == "target" else "optimal",
            "infeasible": "[red]target out of reach[/]: best achievable plan",
            "time_limit": "[yellow]time limit[/]: best plan found",
            }.get(plan.status, plan.status)
    con.print(f"{head}: {len(plan.chosen)} lever(s), cost {plan.cost:,.6g}; portfolio "
              f"{plan.portfolio_baseline:,.6g} → {plan.portfolio_footprint:,.6g} "
              f"(−{plan.portfolio_reduction:,.6g}"
              + (f", −{plan.portfolio_reduction / plan.portfolio_baseline:.1%}"
                 if plan.portfolio_baseline else "") + ")")
    if plan.target_value is not None:
        con.print(f"target: portfolio ≤ {plan.target_value:,.6g}"
                  + (f" by {year}" if year else "")
                  + ("" if plan.met else f"; shortfall {plan.shortfall:,.6g}"))
    t = Table(title="plan")
    for c in ("lever", "node", "actor", "kind", "cost", "abatement"):
        t.add_column(c, justify="right" if c in ("cost", "abatement") else "left")
    for _, r in pf.iterrows():
        t.add_row(str(r["lever"]), str(r["node"]), str(r["actor"]), str(r["kind"]),
                  f"{r['cost']:,.6g}", f"{r['abatement']:,.6g}")
    con.print(t)
    t = Table(title="products (per unit)")
    for c in ("product", "volume", "baseline", "reduction", "footprint", "target"):
        t.add_column(c, justify="left" if c == "product" else "right")
    for _, r in plan.to_frame().iterrows():
        t.add_row(str(r["product"]), f"{r['volume']:g}", f"{r['baseline']:.6g}",
                  f"{r['reduction']:.6g}", f"{r['footprint']:.6g}",
                  "" if r["target"] != r["target"] else f"{r['target']:.6g}")
    con.print(t)
    if plan.binding:
        t = Table(title="binding constraints")
        for c in ("kind", "name", "shortfall if relaxed", "detail"):
            t.add_column(c)
        for b in plan.binding:
            t.add_row(b.kind, b.name, "" if b.shortfall_if_relaxed != b.shortfall_if_relaxed
                      else f"{b.shortfall_if_relaxed:,.6g}", b.detail)
        con.print(t)
    if verification:
        v = verification
        con.print(f"verification ({v['product']}, per unit): linear −{v['linear_reduction']:.6g}"
                  f", exact −{v['exact_reduction']:.6g} (error {v['error']:.3g}); footprint "
                  f"{v['footprint_exact']:.6g}"
                  + ("" if v["target_met_exact"] is None else
                     ("; target met" if v["target_met_exact"] else "; [red]target missed[/]")))
        if v["stale_levers"]:
            con.print("[yellow]delta differs from the model for:[/] "
                      + ", ".join(v["stale_levers"]))


def _write_csv(path: Path, text: str) -> Path:
    """Write a table built in memory through the one staged writer (no half-written file)."""
    from lca.files import write_files_atomically

    path = Path(path)
    return write_files_atomically(path.parent, {path.name: text})[0]


def _json_ready(o):
    from lca.files import jsonable as _clean

    return _clean(o)


def macc_cmd(
    levers: Annotated[Path, typer.Option(help="Levers CSV (supply_chain/levers.py layout).")],
    baseline: Annotated[Path, typer.Option(help="Baselines CSV: product,footprint[,volume].")],
    product: Annotated[
        list[str] | None, typer.Option(help="Count abatement for these products only.")
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the curve to this CSV file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Marginal abatement cost curve: levers by cost per unit abated (volume-weighted)."""
    from pcf.app import _console, _out
    from supply_chain.levers import macc

    problem = _problem(levers, baseline, None)
    curve = macc(problem, products=product)
    if csv_out is not None:
        _write_csv(csv_out, curve.to_csv(index=False))
    if as_json:
        _out(json.dumps(_json_ready({"levers": curve.to_dict(orient="records"),
                                     "left_out": curve.attrs.get("left_out", []),
                                     "csv": str(csv_out) if csv_out else None}),
                        indent=2, ensure_ascii=False, allow_nan=False))
        return
    t = Table(title="marginal abatement cost curve")
    for c in ("lever", "actor", "kind", "cost", "abatement", "cost/unit", "cum. abatement",
              "cum. cost"):
        t.add_column(c, justify="left" if c in ("lever", "actor", "kind") else "right")
    for _, r in curve.iterrows():
        t.add_row(str(r["lever"]), str(r["actor"]), str(r["kind"]), f"{r['cost']:,.6g}",
                  f"{r['abatement']:,.6g}", f"{r['mac']:.6g}",
                  f"{r['cumulative_abatement']:,.6g}", f"{r['cumulative_cost']:,.6g}")
    con = _console()
    con.print(t)
    if curve.attrs.get("left_out"):
        con.print("left out (no abatement): " + ", ".join(curve.attrs["left_out"]))
    if csv_out is not None:
        con.print(f"Written: {csv_out}")


# ------------------------------------------------------------------------------------------------
# suppliers: pcf suppliers score
# ------------------------------------------------------------------------------------------------
suppliers_app = typer.Typer(help="Supplier scorecards for purchasing.", no_args_is_help=True)

#: Columns of the per-supplier file of ``pcf suppliers score --suppliers`` (all but
#: ``supplier`` optional): intensity and benchmark per unit supplied, primary-data share (0-1),
#: the PEF ratings TeR, GeR, TiR, P (1-5).
SUPPLIER_COLUMNS = ("supplier", "intensity", "benchmark", "primary_share", "ter", "ger", "tir",
                    "p")


def read_contributions(path: Path) -> dict[str, dict[str, float]]:
    """``supplier,product,contribution`` rows (contribution per unit of product; repeated
    supplier/product pairs add up) → ``{supplier: {product: value}}``."""
    import csv
    import math

    from supply_chain.scoring import ScoringError

    _need_file(path, "contributions file")
    out: dict[str, dict[str, float]] = {}
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"supplier", "product", "contribution"} - set(reader.fieldnames or [])
        if missing:
            raise ScoringError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            s, p = (row["supplier"] or "").strip(), (row["product"] or "").strip()
            where = f"{Path(path).name}:{n}"
            if not s or not p:
                raise ScoringError(f"{where}: empty supplier or product", supplier=s or None)
            try:
                v = float(row["contribution"])
            except (TypeError, ValueError):
                raise ScoringError(f"{where}: contribution {row['contribution']!r} is not a "
                                   f"number", supplier=s) from None
            if not math.isfinite(v):
                raise ScoringError(f"{where}: contribution is not finite", supplier=s)
            out.setdefault(s, {})
            out[s][p] = out[s].get(p, 0.0) + v
    return out


def read_supplier_data(path: Path):
    """Per-supplier intensity, benchmark and data quality (:data:`SUPPLIER_COLUMNS`)."""
    import csv
    import math

    from supply_chain.scoring import DataQuality, ScoringError

    _need_file(path, "suppliers file")
    intensity, benchmark, quality = {}, {}, {}
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "supplier" not in (reader.fieldnames or []):
            raise ScoringError(f"{path}: missing column supplier")
        for n, row in enumerate(reader, start=2):
            s = (row.get("supplier") or "").strip()
            where = f"{Path(path).name}:{n} (supplier {s!r})"
            vals = {}
            for col in SUPPLIER_COLUMNS[1:]:
                raw = (row.get(col) or "").strip()
                if not raw:
                    continue
                try:
                    vals[col] = float(raw)
                except ValueError:
                    raise ScoringError(f"{where}: {col} {raw!r} is not a number",
                                       supplier=s) from None
                if not math.isfinite(vals[col]):
                    raise ScoringError(f"{where}: {col} is not finite", supplier=s)
            if "intensity" in vals:
                intensity[s] = vals.pop("intensity")
            if "benchmark" in vals:
                benchmark[s] = vals.pop("benchmark")
            if vals:
                try:
                    quality[s] = DataQuality(**vals)
                except ValueError as exc:
                    msg = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()) \
                        if hasattr(exc, "errors") else str(exc)
                    raise ScoringError(f"{where}: {msg}", supplier=s) from None
    return intensity, benchmark, quality


@suppliers_app.command("score")
def suppliers_score_cmd(
    contributions: Annotated[
        Path, typer.Argument(help="CSV supplier,product,contribution (per unit of product).")
    ],
    suppliers: Annotated[
        Path | None, typer.Option(help="CSV supplier,intensity,benchmark,primary_share,ter,"
                                       "ger,tir,p (all but supplier optional).")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Baselines CSV product,footprint[,volume]: product "
                                       "totals and volumes.")
    ] = None,
    levers: Annotated[
        Path | None, typer.Option(help="Levers CSV (needs --baseline): reduction potential.")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option(help="Weight override, e.g. contribution=0.5 "
                                            "(repeatable).")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the scorecard here.")
                       ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Rank suppliers: push whom, on what, first (supply_chain/scoring.py)."""
    from lca.errors import PCFError
    from pcf.app import _console, _out
    from supply_chain.levers import _read_pairs
    from supply_chain.scoring import supplier_scores

    contrib = read_contributions(contributions)
    intensity, benchmark, quality = read_supplier_data(suppliers) if suppliers else ({}, {}, {})
    totals = volumes = None
    problem = None
    if levers is not None and baseline is None:
        raise PCFError("--levers needs --baseline")
    if baseline is not None:
        _need_file(baseline, "baseline file")
        totals, volumes = _read_pairs(Path(baseline), "product", "footprint", "volume")
    if levers is not None:
        problem = _problem(levers, baseline, None)
    weights = {}
    for w in weight or []:
        k, sep, v = w.partition("=")
        try:
            weights[k.strip()] = float(v)
        except ValueError:
            raise PCFError(f"--weight {w!r}: expected name=number") from None
        if not sep:
            raise PCFError(f"--weight {w!r}: expected name=number")
    card = supplier_scores(contrib, volumes=volumes, product_totals=totals, intensity=intensity,
                           benchmark=benchmark, data_quality=quality, problem=problem,
                           weights=weights)
    if csv_out is not None:
        _write_csv(csv_out, card.to_csv(index=False))
    if as_json:
        _out(json.dumps(_json_ready(card.to_dict(orient="records")), indent=2,
                        ensure_ascii=False, allow_nan=False))
        return
    t = Table(title="supplier scorecard (1 = push first)")
    for c in ("rank", "supplier", "contribution", "share", "intensity/bench", "primary",
              "DQR", "potential", "score", "push on"):
        t.add_column(c, justify="left" if c in ("supplier", "push on") else "right")

    import pandas as pd

    def f(v, fmt):
        return "" if v is None or pd.isna(v) else format(v, fmt)

    for _, r in card.iterrows():
        t.add_row(str(r["rank"]), str(r["supplier"]), f(r["contribution"], ",.6g"),
                  f(r["share"], ".1%"), f(r["intensity_ratio"], ".2f"),
                  f(r["primary_share"], ".0%"), f(r["dqr"], ".2f"),
                  f(r["reduction_potential"], ",.6g"), f(r["score"], ".3f"), str(r["push_on"]))
    _console().print(t)
    if csv_out is not None:
        _console().print(f"Written: {csv_out}")


# ------------------------------------------------------------------------------------------------
# scenarios: pcf scenario run
# ------------------------------------------------------------------------------------------------
scenario_app = typer.Typer(help="Scenario studies on copies of the technosphere.",
                           no_args_is_help=True)


@scenario_app.command("run")
def scenario_run_cmd(
    path: Annotated[Path, typer.Argument(help="Scenarios YAML/JSON (supply_chain/scenarios.py).")],
    products: Annotated[list[str], typer.Argument(help="Products: database|code (one or more).")],
    method: Annotated[str, typer.Option(help="Method alias or A|B|C.")] = "gwp100",
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the tidy table here.")
                       ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """Score products in the baseline and every scenario, side by side (tidy table)."""
    from lca.footprint import FootprintEngine
    from pcf.app import _console, _open, _out, _progress
    from supply_chain.scenarios import load_scenarios, run_scenarios

    _need_file(path, "scenarios file")
    scenarios = load_scenarios(path)
    with _progress() as progress:
        task = progress.add_task("Opening the project", total=2)
        eng = FootprintEngine(_open())
        progress.update(task, advance=1,
                        description=f"Running {len(scenarios)} scenario(s) on "
                                    f"{len(products)} product(s)")
        df = run_scenarios(eng, products, scenarios, method)
        progress.update(task, completed=2)
    if csv_out is not None:
        _write_csv(csv_out, df.to_csv(index=False))
    if as_json:
        _out(json.dumps(_json_ready(df.to_dict(orient="records")), indent=2,
                        ensure_ascii=False, allow_nan=False))
        return
    t = Table(title="scenarios")
    for c in ("product", "scenario", "score", "baseline", "delta", "delta %"):
        t.add_column(c, justify="left" if c in ("product", "scenario") else "right")
    for _, r in df.iterrows():
        t.add_row(str(r["product"]), str(r["scenario"]), f"{r['score']:.6g}",
                  f"{r['baseline']:.6g}", f"{r['delta']:+.6g}",
                  "" if r["delta_pct"] != r["delta_pct"] else f"{r['delta_pct']:+.1f}")
    _console().print(t)
    if csv_out is not None:
        _console().print(f"Written: {csv_out}")


# ------------------------------------------------------------------------------------------------
# the battery-pack demo on its own: pcf supply-demo
# ------------------------------------------------------------------------------------------------
def supply_demo_cmd(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("pcf-output"),
    method: Annotated[str, typer.Option(help="Method alias or A|B|C.")] = "gwp100",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
):
    """The illustrative battery-pack supply chain end to end: roll-up, hotspots, a plan for
    −30 % by 2030 verified by an exact re-solve, MACC, supplier scorecard."""
    from lca.footprint import FootprintEngine
    from lca.importer import shipped_inventories
    from lca.workflows import ensure_inventories
    from pcf.app import _open, _out, _progress
    from pcf.demo.supply_chain import demo_supply_chain

    with _progress() as progress:
        task = progress.add_task("Setting up the Brightway project", total=None)
        proj = _open()

        def step(done, total, what):
            progress.update(task, total=total, completed=done, description=what)

        ensure_inventories(proj, shipped_inventories(), step)
        summary = demo_supply_chain(FootprintEngine(proj), out, method, progress=step)
    if as_json:
        _out(json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False))
        return
    print_supply_demo(summary)


def print_supply_demo(summary: dict) -> None:
    """The supply-chain demo's summary as tables (also for ``pcf demo``)."""
    from pcf.app import _console

    con = _console()
    s, v, p = summary, summary["verification"], summary["plan"]
    con.print(f"[bold]{s['product']}[/] (ILLUSTRATIVE EXAMPLE): {s['before']:.6g} {s['unit']} "
              f"per {s['per']}; sources {s['sources']}; primary data "
              f"{s['primary_data_share'] or 0:.1f} %")
    con.print(f"target {s['target']['text']} by {s['target']['year']}: ≤ "
              f"{s['target']['cap_per_unit']:.6g} per {s['per']} → plan {', '.join(p['chosen'])}"
              f" at {p['cost']:,.0f}/yr ({p['status']}); greedy MACC would cost "
              f"{s['greedy']['cost']:,.0f}")
    met = {True: "met", False: "[red]missed[/]", None: "not checked"}[v["target_met_exact"]]
    con.print(f"after: linear {s['after']['linear']:.6g}, exact re-solve "
              f"{s['after']['exact']:.6g} (error {v['error']:.3g}); target {met}")
    if s["target"].get("tightening_per_unit"):
        con.print(f"re-solved {v.get('solves', 1)} times with the cap tightened by "
                  f"{s['target']['tightening_per_unit']:.6g} to "
                  f"{s['target']['solved_cap_per_unit']:.6g} per {s['per']} (the linear "
                  f"estimate overstated the cut); checked against the stated cap")
    t = Table(title="supplier scorecard")
    for c in ("rank", "supplier", "share", "score", "push on"):
        t.add_column(c, justify="right" if c in ("rank", "share", "score") else "left")
    for r in s["scorecard"]:
        t.add_row(str(r["rank"]), r["supplier"], f"{r['share']:.1%}", f"{r['score']:.3f}",
                  str(r["push_on"]))
    con.print(t)
    con.print("Written: " + ", ".join(sorted(s["files"].values())))
