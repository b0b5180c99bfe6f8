"""The shipped example supply chains (``inventories/bom/``), run end to end for ``pcf demo``.

Two examples:

- :func:`demo_bom_summary`: the LFP cell BOM (``lfp-cell-bom.csv``), which mirrors the shipped
  product system exactly;
- :func:`demo_supply_chain`: an **illustrative** LFP battery pack bought from four suppliers
  (cells, cathode material, aluminium housing, electronics), rolled up from mixed sources
  (supplier PCFs as PACT v3 JSON and as a table, Brightway background datasets, the shipped
  cell-manufacturing product system), with hotspots, a least-cost reduction plan for a stated
  target (MILP), an exact re-solve of that plan, a MACC and a supplier scorecard.

This module holds only the orchestration (file names, the study date, what is written where).
The model is :class:`supply_chain.model.SupplyChainModel`: lever effects are computed from it,
not typed in. The levers file (``battery-pack-levers.csv``, the layout of
:mod:`supply_chain.levers.io`) carries, besides the solver columns, one *change* per lever
(:mod:`supply_chain.levers.changes`). The ``delta`` column of the shipped file is *written* by
this module from the model (``python -m pcf.demo.supply_chain --write``; a test fails when it is
out of date), so ``pcf reduce`` on the shipped files solves the same problem as the demo.

Every quantity of the pack, every supplier PCF value, lever cost, year and volume in the pack
files is an ILLUSTRATIVE EXAMPLE, NOT DATA (``inventories/bom/README.md``); the emission factors
are the sourced ``pcf-background`` / ``pcf-products`` datasets.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from lca.data import inventories_dir
from lca.errors import PCFError
from lca.files import jsonable, staged, write_files_atomically
from lca.footprint import FootprintEngine
from lca.imports import import_inventory
from lca.methods import DEFAULT as DEFAULT_METHOD
from lca.project import open_project
from supply_chain import (
    bom_paths,
    read_bom,
    read_pact,
    read_pcf_table,
    rollup,
    supplier_inputs,
    write_hotspots,
)
from supply_chain import contributions as contributions_table
from supply_chain.levers import (
    ReductionProblem,
    baseline_csv_text,
    greedy_plan,
    levers_csv_text,
    macc,
    parse_target,
    plan_frame,
    solve_verified,
    write_baseline_csv,
    write_levers_csv,
)
from supply_chain.levers.changes import LeverChange
from supply_chain.model import SupplyChainModel
from supply_chain.model_plans import ShippedValues, model_problem
from supply_chain.scoring import background_benchmarks, scorecard_table, supplier_scores

log = logging.getLogger(__name__)

BOM_DIR = inventories_dir() / "bom"
DEMO_BOM = BOM_DIR / "lfp-cell-bom.csv"
ILLUSTRATIVE_PCF = BOM_DIR / "illustrative-supplier-pcf.json"
DEMO_PRODUCT = ("pcf-products", "lfp-cell-per-kwh")

#: The illustrative battery-pack supply chain (see inventories/bom/README.md).
PACK_BOM = BOM_DIR / "battery-pack-bom.csv"
PACK_PACT = BOM_DIR / "battery-pack-cathode-pcf.json"
PACK_PCF_TABLE = BOM_DIR / "battery-pack-supplier-pcfs.csv"
PACK_LEVERS = BOM_DIR / "battery-pack-levers.csv"
PACK_BASELINE = BOM_DIR / "battery-pack-baseline.csv"
PACK_SUPPLIERS = BOM_DIR / "battery-pack-suppliers.csv"
PACK_SCENARIOS = BOM_DIR / "battery-pack-scenarios.yaml"
#: The stated target of the demo: a 30 % cut of the pack footprint with levers in place by 2030.
PACK_TARGET = "30%"
PACK_YEAR = 2030
#: The period of the pack volume (``battery-pack-baseline.csv``: 10,000 packs per year) and the
#: currency of the lever costs (EUR per year), both ILLUSTRATIVE (``inventories/bom/README.md``).
PACK_VOLUME_PERIOD = "per year"
PACK_COST_UNIT = "EUR"
#: Study date for supplier-PCF validity (fixed, so the demo gives the same answer every day).
STUDY_DATE = dt.date(2026, 1, 1)


def demo_bom_summary(
    engine,
    out_dir: str | os.PathLike,
    method: str = DEFAULT_METHOD,
    bom_path: str | os.PathLike | None = None,
) -> dict:
    """Roll up the example BOM of the LFP cell, write its hotspots into ``out_dir``.

    Needs the shipped inventories (``pcf-background``, ``pcf-products``) in the engine's
    project. Writes ``lfp-cell-bom-rollup.csv``, ``-hotspots.csv``, ``-sensitivities.csv`` and
    ``-hotspots.json`` (:func:`supply_chain.write_hotspots`).

    Returns
    -------
    dict
        ``product``, ``bom``, ``total``, ``unit``, ``product_system_total`` (the same product
        footprinted from ``pcf-products``: the BOM mirrors it, so the two agree),
        ``sources``, ``primary_data_share``, ``top_hotspots`` (parts), ``paths_coverage``,
        ``files``, and ``illustrative_supplier_pcf``: the total when the illustrative supplier
        PCF (not data) replaces the factory grid electricity.
    """
    bom_path = Path(bom_path) if bom_path else DEMO_BOM
    G = read_bom(bom_path)
    result = rollup(G, engine, method)
    files = write_hotspots(result, out_dir, prefix=bom_path.stem)
    summary = result.summary()
    try:
        product_total = engine.footprint(DEMO_PRODUCT, method).total
    except PCFError as exc:  # the product system may not be imported: report, do not fail
        log.info("could not footprint %s for comparison: %s", DEMO_PRODUCT, exc)
        product_total = None
    nodes = contributions_table(result, by="node", top=3)
    spa = bom_paths(result, cutoff=0.005, top=5)
    pcf = read_pact(ILLUSTRATIVE_PCF)
    study_day = pcf[0].validity_period[0].date()  # inside the example's validity period
    alt = rollup(G, engine, method, pcfs=pcf, on=study_day)
    return {
        "product": str(result.root),
        "bom": str(bom_path),
        "method": summary["method"],
        "total": summary["footprint"],
        "unit": result.unit,
        "per": summary["per"],
        "product_system_total": product_total,
        "sources": summary["sources"],
        "primary_data_share": summary["primary_data_share"],
        "top_hotspots": [
            {"part": r.item, "value": r.value, "share": r.share} for r in nodes.itertuples()
        ],
        "paths_coverage": spa.coverage,
        "files": files,
        "illustrative_supplier_pcf": {
            "total": alt.total,
            "primary_data_share": alt.summary()["primary_data_share"],
            "note": "ILLUSTRATIVE EXAMPLE, NOT DATA: factory electricity from the example supplier "
            f"PCF in {ILLUSTRATIVE_PCF.name} (value = MEE 2023 Sichuan grid factor)",
        },
    }


def load_pack(
    engine,
    method=DEFAULT_METHOD,
    *,
    bom=PACK_BOM,
    pact=PACK_PACT,
    pcf_table=PACK_PCF_TABLE,
    on: dt.date = STUDY_DATE,
) -> SupplyChainModel:
    """The illustrative battery pack as a :class:`SupplyChainModel` (shipped files)."""
    pcfs = (read_pact(pact) if pact else []) + (read_pcf_table(pcf_table) if pcf_table else [])
    return SupplyChainModel(read_bom(bom), engine, method, pcfs, on)


def pack_problem(
    model: SupplyChainModel, levers_csv=PACK_LEVERS, baseline_csv=PACK_BASELINE
) -> tuple[ReductionProblem, dict[str, LeverChange], ShippedValues]:
    """The reduction problem of the pack (:func:`supply_chain.model.model_problem` on the
    shipped levers and baseline files)."""
    return model_problem(model, levers_csv, baseline_csv)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def _write(out: str | os.PathLike, files: Mapping[str, str]) -> list[Path]:
    """All of one step's files (``{name: text}``) into ``out`` at once, all or none."""
    return write_files_atomically(out, dict(files))


def demo_supply_chain(
    engine,
    out_dir: str | os.PathLike,
    method: str = DEFAULT_METHOD,
    *,
    target: str = PACK_TARGET,
    year: int | None = PACK_YEAR,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Run the illustrative battery-pack supply chain end to end; write everything to ``out_dir``.

    Steps: roll up the pack (supplier PCFs for the cathode material and the BMS, Brightway
    background datasets for materials and electricity, the shipped ``pcf-products`` cell
    manufacturing); hotspots; lever effects from the model; the least-cost plan for ``target``
    by ``year`` (MILP); exact re-solve of the plan (re-solved again with the cap tightened by
    the linearisation error if the exact footprint misses the stated target,
    :func:`supply_chain.levers.solve_verified`); MACC; greedy-MACC plan for comparison;
    supplier scorecard. Every file is written into one staging folder and moved into
    ``out_dir`` at the end, all or none (:func:`lca.files.staged`).

    Needs ``pcf-background`` and ``pcf-products`` (``inventories/background/pcf-background.csv``,
    ``inventories/products/li-ion-cell.csv``) in the engine's project.

    Returns
    -------
    dict
        ``product``, ``unit``, ``per``, ``volume``, ``before`` / ``after`` (per pack: the
        baseline, the linear and the exact footprint after the plan), ``target`` (text, year,
        ``cap_per_unit`` / ``cap_portfolio`` of the stated target, ``solved_cap_per_unit`` /
        ``solved_cap_portfolio`` the cap of the last solve and ``tightening_per_unit`` the
        difference), ``plan`` (chosen levers, cost, status, met, binding), ``verification``
        (linear vs exact; ``target_met_exact`` against the stated cap), ``greedy`` (the MACC
        walk), ``sources``, ``primary_data_share``,
        ``top_hotspots``, ``scorecard`` (ranked suppliers), ``shipped_files_current`` (do the
        shipped ``delta``/``footprint`` columns equal the model's), ``illustrative`` (what is
        not data) and ``files``.
    """
    with staged(out_dir):  # the steps' files appear together at the end, or none of them
        return _demo_supply_chain(engine, Path(out_dir), method, target, year, progress)


def _demo_supply_chain(engine, out: Path, method, target, year, progress) -> dict:
    steps = 6

    def step(i, what):
        if progress:
            progress(i, steps, what)

    def written(paths: list[Path], keys: Sequence[str]) -> dict:
        return {k: str(p) for k, p in zip(keys, paths)}

    step(0, "Rolling up the battery pack")
    model = load_pack(engine, method)
    base = model.base
    files = write_hotspots(base, out, prefix="battery-pack")

    step(1, "Computing lever effects from the model")
    problem, changes, shipped = pack_problem(model)
    files.update(
        written(
            _write(
                out,
                {
                    "battery-pack-levers.csv": levers_csv_text(problem, PACK_LEVERS),
                    "battery-pack-baseline.csv": baseline_csv_text(problem),
                },
            ),
            ("levers_csv", "baseline_csv"),
        )
    )
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    current = _shipped_current(problem, shipped)

    step(2, f"Solving for a {target} cut by {year}")
    tgt = parse_target(target, year=year)
    volume = problem.volumes.get(model.product, 1.0)
    verified = solve_verified(
        problem, tgt, lambda chosen: model.verify(chosen, changes, effects), model.product
    )
    plan, ver, caps = verified.plan, verified.verification(), verified.caps()

    step(3, "Writing the MACC and the greedy comparison")
    curve = macc(problem)
    files.update(
        written(
            _write(
                out, {"battery-pack-macc.csv": _with_units(curve, base.unit).to_csv(index=False)}
            ),
            ("macc_csv",),
        )
    )
    greedy = greedy_plan(problem, tgt)

    step(4, "Scoring suppliers")
    contributions, intensity, bench_keys, quality = supplier_inputs(model, PACK_SUPPLIERS)
    benchmark = background_benchmarks(engine, bench_keys, model.method)
    card = supplier_scores(
        contributions,
        volumes=problem.volumes,
        product_totals={model.product: model.total},
        intensity=intensity,
        benchmark=benchmark,
        data_quality=quality,
        problem=problem,
    )
    # readable headers with units, rounded (issue 10 item 8); the raw figures stay in the
    # summary JSON's "scorecard" and in the input CSVs ``pcf suppliers score`` reads
    table = scorecard_table(
        card,
        part_units=_part_units(base, PACK_SUPPLIERS),
        emissions_unit=base.unit,
        period=PACK_VOLUME_PERIOD,
        cost_unit=PACK_COST_UNIT,
    )
    texts = {
        "battery-pack-scorecard.csv": table.to_csv(index=False),
        **_supplier_input_texts(contributions, intensity, benchmark, quality),
    }
    files.update(
        written(
            _write(out, texts), ("scorecard_csv", "supplier_contributions_csv", "supplier_data_csv")
        )
    )

    step(5, "Writing the plan")
    pf = plan_frame(problem, plan)
    files["plan_csv"] = str(out / "battery-pack-plan.csv")
    files["summary_json"] = str(out / "battery-pack-summary.json")
    nodes = contributions_table(base, by="node", top=5)
    summary = base.summary()
    result = {
        "product": model.product,
        "method": list(model.method),
        "unit": base.unit,
        "per": summary["per"],
        "volume": volume,
        "study_date": str(model.on),
        "before": model.total,
        "after": {"linear": ver["footprint_linear"], "exact": ver["footprint_exact"]},
        # cap_per_unit / cap_portfolio: the stated target; solved_*: the cap of the last solve
        "target": {"text": target, "year": year, **caps},
        "plan": {
            "status": plan.status,
            "met": plan.met,
            "chosen": plan.chosen,
            "cost": plan.cost,
            "cost_unit": f"{PACK_COST_UNIT} {PACK_VOLUME_PERIOD}",
            "cost_by_actor": plan.cost_by_actor,
            "reduction_per_unit": plan.reduction.get(model.product),
            "portfolio_reduction": plan.portfolio_reduction,
            "binding": [dataclasses.asdict(b) for b in plan.binding],
            "levers": pf.to_dict("records"),
        },
        "verification": ver,
        "greedy": {"chosen": greedy.chosen, "cost": greedy.cost, "met": greedy.met},
        "effects": effects,
        "sources": summary["sources"],
        "primary_data_share": summary["primary_data_share"],
        "top_hotspots": [
            {"part": r.item, "value": r.value, "share": r.share} for r in nodes.itertuples()
        ],
        "scorecard": card[
            [
                "rank",
                "supplier",
                "contribution",
                "share",
                "intensity_ratio",
                "primary_share",
                "reduction_potential",
                "best_lever",
                "score",
                "push_on",
            ]
        ].to_dict("records"),
        "shipped_files_current": current,
        "illustrative": ILLUSTRATIVE_NOTE,
        # names relative to the output folder: no local path in a file a customer receives
        "files": {k: os.path.relpath(v, out) for k, v in files.items()},
    }
    result = jsonable(result)
    _write(
        out,
        {
            "battery-pack-plan.csv": _with_units(pf, base.unit).to_csv(index=False),
            "battery-pack-summary.json": json.dumps(
                result, indent=2, ensure_ascii=False, allow_nan=False
            ),
        },
    )
    step(6, "Supply-chain demo done")
    return result


ILLUSTRATIVE_NOTE = (
    "ILLUSTRATIVE EXAMPLE, NOT DATA: the pack (60 kWh), its bill of quantities (cathode 2.0 kg/kWh, "
    "0.65 of the GREET materials aggregate, 40 kg housing, 10 % loss, 1.5 kWh/kg forming, 120 kWh "
    "assembly), the suppliers and their PCFs (cathode 9.0 kg CO2e/kg, BMS 70 and 45 per piece, "
    "primary shares, DQRs), the cathode plant's 10 kWh/kg, lever costs, years and the volume "
    "(10,000 packs/yr) are made up. Sourced: the emission factors (pcf-background) and the cell "
    "manufacturing energy (pcf-products, Degen et al. 2023)."
)


def _shipped_current(problem: ReductionProblem, shipped: ShippedValues, rel: float = 1e-6) -> dict:
    """Do the shipped baseline and deltas equal what the model computes?"""

    def close(a, b):
        return abs(a - b) <= rel * max(1.0, abs(a), abs(b))

    base_ok = all(
        close(shipped.baseline.get(p, float("nan")), h) for p, h in problem.baseline.items()
    )
    stale = [
        lv.id
        for lv in problem.levers
        for p, d in lv.effects.items()
        if not close(shipped.deltas.get(lv.id, {}).get(p, float("nan")), d)
    ]
    return {"baseline": base_ok, "levers": not stale, "stale_levers": stale}


def _part_units(base, suppliers_csv) -> dict[str, str]:
    """Supplier -> the unit of the part its intensity is per (the ``part`` column of the
    suppliers file, the part's unit in the rolled-up BOM)."""
    units = {}
    with open(suppliers_csv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            part = (row.get("part") or "").strip()
            if part and part in base.table.index:
                units[(row.get("supplier") or "").strip()] = str(base.table.loc[part, "unit"])
    return units


def _supplier_input_texts(contributions, intensity, benchmark, quality) -> dict[str, str]:
    """The scorecard inputs as the CSVs ``pcf suppliers score`` reads: ``{name: text}``."""
    contrib = _csv_text(
        ["supplier", "product", "contribution"],
        [[s, p, repr(float(v))] for s, per in contributions.items() for p, v in per.items()],
    )
    cols = ["supplier", "intensity", "benchmark", "primary_share", "ter", "ger", "tir", "p"]
    rows = []
    for s in contributions:
        qq = quality.get(s, {})
        vals = [
            intensity.get(s),
            benchmark.get(s),
            qq.get("primary_share"),
            qq.get("ter"),
            qq.get("ger"),
            qq.get("tir"),
            qq.get("p"),
        ]
        rows.append([s] + ["" if v is None else repr(float(v)) for v in vals])
    return {
        "battery-pack-supplier-contributions.csv": contrib,
        "battery-pack-supplier-data.csv": _csv_text(cols, rows),
    }


def main(argv: Sequence[str] | None = None, out=None) -> int:
    """``python -m pcf.demo.supply_chain [--write]``: run the pack demo in a temporary project;
    with ``--write``, rewrite the ``delta`` and ``footprint`` columns of the shipped files.
    The summary (JSON) goes to ``out`` (the ``__main__`` entry passes stdout; library code
    does not write to the terminal)."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    root = BOM_DIR.parent
    with tempfile.TemporaryDirectory() as d:
        proj = open_project(Path(d) / "bw")
        import_inventory(proj, root / "background" / "pcf-background.csv")
        # the cell's materials are the cell share of the pack chain (lfp-pack.csv): first
        import_inventory(proj, root / "products" / "lfp-pack.csv")
        import_inventory(proj, root / "products" / "li-ion-cell.csv")
        eng = FootprintEngine(proj)
        if args.write:
            model = load_pack(eng)
            problem, _c, _s = pack_problem(model)
            write_levers_csv(problem, PACK_LEVERS, PACK_LEVERS)
            write_baseline_csv(problem, PACK_BASELINE)
        summary = demo_supply_chain(eng, Path(d) / "out")
    summary.pop("files", None)
    if out is not None:
        out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(main(out=sys.stdout))


def _with_units(df, emissions_unit: str):
    """A lever table (``plan_frame`` / ``macc``) as the CSV a reader opens: each figure's header
    says its unit (the costs in :data:`PACK_COST_UNIT` per year, the abatement over the pack
    volume's year in ``emissions_unit``, the marginal cost per tonne, as the workbook states it);
    the summary JSON keeps the machine names."""
    per_year = f"{emissions_unit} {PACK_VOLUME_PERIOD}"
    cost = f"{PACK_COST_UNIT} {PACK_VOLUME_PERIOD}"
    df = df.copy()
    names = {
        "cost": f"cost ({cost})",
        "abatement": f"abatement ({per_year})",
        "cumulative_abatement": f"cumulative abatement ({per_year})",
        "cumulative_cost": f"cumulative cost ({cost})",
    }
    if "mac" in df:
        # cost per kg abated x 1000: per tonne (the workbook's unit; kg CO2-Eq -> t CO2-Eq)
        df["mac"] = df["mac"] * 1000
        names["mac"] = (
            f"marginal cost ({PACK_COST_UNIT} per t {emissions_unit.removeprefix('kg ')})"
        )
    return df.rename(columns=names)
