"""The figures the portal shows, computed by the supply-chain library (no maths here).

:func:`rollup_product` runs what ``pcf bom rollup`` runs on the same files
(:func:`supply_chain.bom.read_bom_arrays`, :func:`pcf.commands.bom.supplier_pcfs`,
:func:`supply_chain.rollup`) and keeps, as plain JSON, what the pages need: the total, primary
share and DQR (:meth:`RollupResult.summary`), the parts table, the hotspots
(:func:`supply_chain.hotspots`), the top supply-chain paths (:func:`supply_chain.bom_paths`)
and one row per supplier (:func:`supply_chain.suppliers.supplier_quality`, the contributions
of the scorecard).

:func:`plan_product` solves a reduction target on a levers file with the MILP and re-solves the
chosen plan exactly on the model (:func:`supply_chain.levers.solve_verified`, as ``pcf demo``
does), with the MACC (:func:`supply_chain.levers.macc`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

#: How the portal chooses between several supplier PCFs for one product (see
#: :func:`supply_chain.pcf_selection.select_pcfs`): the latest reference period.
PCF_RULE = "latest"
#: Traffic-light thresholds: the portal's own engagement policy, not a figure of a standard.
GREEN_PRIMARY_SHARE = 0.5
#: Monte Carlo draws of the rank-stability table (supply_chain.hotspot_analysis.rank_stability,
#: seeded; its default spreads where the BOM gives no ``sigma``).
STABILITY_DRAWS = 1000
#: Hotspot breakdowns shown (supply_chain.hotspot_analysis.BREAKDOWNS minus first_tier).
BREAKDOWNS = ("supplier", "node", "stage", "country")


@dataclasses.dataclass
class InputFile:
    """An uploaded file: its name (the suffix says how to read it) and bytes."""

    filename: str
    content: bytes


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _write_inputs(tmp: Path, files: Sequence[InputFile]) -> list[Path]:
    paths = []
    for i, f in enumerate(files):
        name = Path(f.filename).name or f"file-{i}"
        p = tmp / f"{i:02d}-{name}"
        p.write_bytes(f.content)
        paths.append(p)
    return paths


def _validity_end(p, on: dt.date) -> tuple[bool, str, str | None]:
    usable, why = p.validity(on)
    end = p.validity_period[1]
    if end is None and p.reference_period[1] is not None:
        ref_end = p.reference_period[1]
        try:
            end = ref_end.replace(year=ref_end.year + 3)
        except ValueError:
            end = ref_end.replace(year=ref_end.year + 3, day=28)
    return usable, why, end.date().isoformat() if end is not None else None


def rollup_product(
    engine,
    method,
    bom: InputFile,
    pcf_files: Sequence[InputFile] = (),
    *,
    store_docs: Sequence[Mapping] = (),
    on: dt.date | None = None,
    top: int = 10,
    report=None,
) -> dict:
    """Roll up one BOM with its supplier PCFs; the portal's JSON of the result.

    ``report(fraction, stage)``, if given, is called as each step starts (reading, roll-up,
    hotspots, the Monte Carlo rank stability, paths, suppliers).

    ``pcf_files`` are read as ``pcf bom rollup --pcf`` reads them (``.json``: PACT, else a PCF
    table); ``store_docs`` are PACT documents received from suppliers' nodes (each a mapping
    with ``document`` and ``source``), used where the files give no PCF for a product.

    Raises
    ------
    lca.errors.PCFError
        Bad files (naming file, row and field), as the CLI does.
    """
    import numpy as np

    from pcf.commands.bom import supplier_pcfs
    from supply_chain import bom_paths, contributions, rollup, select_pcfs
    from supply_chain.bom import read_bom_arrays
    from supply_chain.bom_math import supply_vector
    from supply_chain.hotspot_analysis import rank_stability
    from supply_chain.pcfs import from_pact
    from supply_chain.suppliers import supplier_quality

    report = report or (lambda fraction, stage: None)
    on = on or dt.date.today()
    report(0.02, "step_read")
    with tempfile.TemporaryDirectory(prefix="pcf-portal-") as d:
        tmp = Path(d)
        (bom_path,) = _write_inputs(tmp, [bom])
        bom_path = bom_path.rename(tmp / Path(bom.filename).name)
        pcf_paths = _write_inputs(tmp, pcf_files)
        G = read_bom_arrays(bom_path)
        pcfs = supplier_pcfs(pcf_paths, PCF_RULE)
        given = {p.id for p in pcfs} | {i for p in pcfs for i in p.product_ids}
        extra = []
        for row in store_docs:
            try:
                p = from_pact(row["document"], source=row["source"])
            except Exception as exc:  # noqa: BLE001 - a stored document we cannot read: skip
                log.warning("stored supplier footprint %s skipped: %s", row.get("source"), exc)
                continue
            if p.id not in given and not set(p.product_ids) & given:
                extra.append(p)
        if extra:
            pcfs = select_pcfs(pcfs + extra, PCF_RULE)
        report(0.1, "step_rollup")
        result = rollup(G, engine, method, pcfs=pcfs, on=on)
    report(0.4, "step_hotspots")
    verification = _verifications(
        [f for f in pcf_files if f.filename.lower().endswith(".json")], store_docs
    )
    summary = result.summary()
    total = summary["footprint"]
    tab = result.table
    by_id = {}
    for p in pcfs:
        by_id[p.id] = p
        for i in p.product_ids:
            by_id.setdefault(i, p)

    from supply_chain.hotspot_analysis import part_amounts

    amounts = dict(zip(result.nodes, part_amounts(result, result.root).tolist()))
    parts = []
    for part, row in tab.iterrows():
        parts.append(
            {
                # rolled-up amount per product unit, own footprint d and its direct share
                "amount": _num(amounts.get(part)),
                "own": _num(row["own"]),
                "direct": _num(row["direct"]) or 0.0,
                "part": str(part),
                "name": str(row.get("name") or ""),
                "supplier": row["supplier"] if isinstance(row["supplier"], str) else "",
                "country": row["country"] if isinstance(row["country"], str) else "",
                "stage": row["stage"] if isinstance(row["stage"], str) else "",
                "source": str(row["source"]),
                "source_ref": str(row["source_ref"]) if isinstance(row["source_ref"], str) else "",
                "footprint": _num(row["footprint"]),
                "unit": str(row["unit"]),
                "primary_data_share": _num(row["primary_data_share"]),
            }
        )

    hot = {}
    for by in BREAKDOWNS:
        df = contributions(result, by=by, top=top)
        hot[by] = [
            {"item": str(r.item), "value": float(r.value), "share": _num(r.share)}
            for r in df.itertuples()
        ]
    report(0.5, "step_montecarlo")
    stab = rank_stability(result, iterations=STABILITY_DRAWS, seed=0, top=5)
    stability = [
        {
            "part": str(r.part),
            "rank": int(r.rank),
            "value": float(r.value),
            "p_same_rank": float(r.p_same_rank),
            "p_in_top": float(r.p_in_top),
            "p05": float(r.p05),
            "p95": float(r.p95),
        }
        for r in stab.itertuples()
    ]
    report(0.85, "step_paths")
    spa = bom_paths(result, cutoff=0.005, top=top)
    pf = spa.to_frame()
    paths = {
        "coverage": _num(spa.coverage),
        "cutoff": spa.cutoff,
        "rows": [
            {
                "rank": None if r.rank is None or r.rank != r.rank else int(r.rank),
                "path": str(r.path),
                "value": float(r.value),
                "share": _num(r.share),
            }
            for r in pf.itertuples()
        ],
    }

    report(0.95, "step_suppliers")
    flows = sankey_flows(result)
    # suppliers: contribution and data quality (the scorecard's inputs), PCFs used, spend
    contrib, quality = supplier_quality(result)
    e = np.zeros(len(result.nodes))
    e[result.index[result.root]] = 1.0
    m = supply_vector(result.Q, e)
    graph = result.graph
    suppliers: dict[str, dict] = {}
    for k, part in enumerate(result.nodes):
        row = tab.loc[part]
        s = row["supplier"] if isinstance(row["supplier"], str) and row["supplier"] else None
        if s is None or part == result.root:
            continue
        d = suppliers.setdefault(
            s, {"supplier": s, "parts": [], "pcfs": [], "spend": None, "background": 0}
        )
        d["parts"].append(str(part))
        price = _num(graph.nodes[part].get("unit_price_usd")) if part in graph else None
        if price is not None:
            d["spend"] = (d["spend"] or 0.0) + price * float(m[k])
        if row["source"] == "supplier_pcf":
            p = by_id.get(str(row["source_ref"]))
            if p is not None:
                usable, why, end = _validity_end(p, on)
                d["pcfs"].append(
                    {
                        "id": p.id,
                        "part": str(part),
                        "value": p.value,
                        "unit": p.unit,
                        "primary_data_share": p.primary_data_share,
                        "dqr": dict(p.dqr),
                        "valid": usable,
                        "validity": why,
                        "validity_end": end,
                        "source": Path(p.source.split("[")[0]).name if p.source else "",
                        "verification": verification.get(p.id),
                        "company": p.company,
                    }
                )
        elif row["source"] in ("brightway", "spend"):
            d["background"] += 1
    for s, d in suppliers.items():
        c = contrib.get(s, 0.0)
        q = quality.get(s, {})
        d["contribution"] = c
        d["share"] = c / total if total else None
        d["primary_share"] = q.get("primary_share")
        d["dqr"] = {k: q.get(k) for k in ("ter", "ger", "tir") if q.get(k) is not None}
        d["verified"] = bool(d["pcfs"]) and all(p["verification"] for p in d["pcfs"])
    return {
        "product": str(result.root),
        "bom": bom.filename,
        "pcf_files": [f.filename for f in pcf_files],
        "store_pcfs": [p.id for p in extra],
        "on": on.isoformat(),
        "method": summary["method"],
        "total": total,
        "unit": summary["unit"],
        "per": summary["per"],
        "primary_data_share": summary["primary_data_share"],
        "dqr": summary["dqr"],
        "dqr_coverage": summary["dqr_coverage"],
        "sources": summary["sources"],
        "missing": summary["missing"],
        "parts": parts,
        "hotspots": hot,
        "paths": paths,
        "flows": flows,
        "stability": stability,
        "suppliers": list(suppliers.values()),
    }


def sankey_flows(result) -> list[dict]:
    """The product's footprint as flows supplier → life-cycle stage: ``dₙ mₙ`` of every part
    (:func:`lca.maths.process_contributions`, as :func:`supply_chain.contributions` by node)
    summed by (supplier, stage); largest first. The flows add up to the footprint."""
    from lca import maths
    from supply_chain.hotspot_analysis import part_amounts

    m = part_amounts(result, result.root)
    c = maths.process_contributions(result.own, m)
    tab = result.table
    out: dict[tuple[str, str], float] = {}
    for k, part in enumerate(result.nodes):
        row = tab.loc[part]
        s = row["supplier"] if isinstance(row["supplier"], str) and row["supplier"] else "—"
        st = row["stage"] if isinstance(row["stage"], str) and row["stage"] else "unassigned"
        out[(s, st)] = out.get((s, st), 0.0) + float(c[k])
    return [
        {"source": s, "target": st, "value": v}
        for (s, st), v in sorted(out.items(), key=lambda kv: -abs(kv[1]))
        if v != 0.0
    ]


def run_scenario_set(
    engine,
    method,
    scenarios: InputFile,
    products: Sequence[str],
    rollup: Mapping | None = None,
) -> dict:
    """What ``pcf scenario run SCENARIOS PRODUCTS`` computes
    (:func:`supply_chain.scenarios.run_scenarios` on the file read by
    :func:`~supply_chain.scenarios.load_scenarios`), as JSON rows, with the scenarios'
    descriptions.

    With ``rollup`` (a portal roll-up of a BOM, :func:`rollup_product`), the scenarios are also
    carried to that product: its Brightway-sourced parts are added to ``products`` and, in each
    scenario, every such part's background share of its contribution, ``(dₙ − directₙ) mₙ``,
    scales by the part's ``score / baseline``; the rest of the BOM (supplier PCFs, direct
    emissions) is unchanged. The product's total per scenario is ``"bom"``."""
    from lca import methods
    from supply_chain.scenarios import load_scenarios, run_scenarios

    with tempfile.TemporaryDirectory(prefix="pcf-portal-") as d:
        path = Path(d) / (Path(scenarios.filename).name or "scenarios.yaml")
        path.write_bytes(scenarios.content)
        sc = load_scenarios(path)
    bw_parts = []
    if rollup is not None:
        bw_parts = [
            p
            for p in rollup["parts"]
            if p["source"] == "brightway" and p.get("amount") is not None and p["source_ref"]
        ]
    keys = list(dict.fromkeys([*products, *(p["source_ref"] for p in bw_parts)]))
    df = run_scenarios(engine, keys, sc, method)
    bom = None
    if rollup is not None:
        ratio = {
            (r.product, r.scenario): (r.score / r.baseline if r.baseline else 1.0)
            for r in df.itertuples()
        }
        total = float(rollup["total"])
        rows = []
        for name in dict.fromkeys(df["scenario"]):
            delta = sum(
                (p["own"] - p["direct"]) * p["amount"] * (ratio[(p["source_ref"], name)] - 1.0)
                for p in bw_parts
            )
            rows.append(
                {
                    "scenario": name,
                    "score": total + delta,
                    "baseline": total,
                    "delta": delta,
                    "delta_pct": 100.0 * delta / total if total else None,
                }
            )
        bom = {"product": rollup["product"], "unit": rollup["unit"], "rows": rows}
    df = df[df["product"].isin(products)]
    m = methods.resolve(method)
    return json.loads(
        json.dumps(
            {
                "bom": bom,
                "products": list(products),
                "method": list(m) if isinstance(m, tuple) else [str(m)],
                "unit": _method_unit(method),
                "descriptions": {s.name: (s.description or "") for s in sc},
                "rows": df.to_dict("records"),
            },
            default=_jsonable,
        )
    )


def _method_unit(method) -> str:
    import bw2data as bd

    from lca import methods

    return str(bd.methods.get(methods.resolve(method), {}).get("unit", ""))


def _verifications(files: Sequence[InputFile], store_docs: Sequence[Mapping]) -> dict:
    """``{pcf id: verification statement}`` of PACT documents (v3 ``pcf.verification``, v2
    ``pcf.assurance``); documents that state none are left out."""
    docs = []
    for f in files:
        try:
            obj = json.loads(f.content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue
        obj = obj.get("data", obj) if isinstance(obj, dict) else obj
        docs += obj if isinstance(obj, list) else [obj]
    docs += [r["document"] for r in store_docs]
    out = {}
    for d in docs:
        if not isinstance(d, dict):
            continue
        pcf = d.get("pcf") or {}
        ver = pcf.get("verification", pcf.get("assurance"))
        if ver:
            out[str(d.get("id"))] = ver
    return out


def traffic_light(row: Mapping) -> tuple[str, str]:
    """``(colour, reason key)`` of a supplier row of the portfolio (the rule is shown on the
    page): red without a usable supplier PCF; amber with one whose primary-data share is under
    :data:`GREEN_PRIMARY_SHARE`, unknown, or without a stated verification; else green."""
    pcfs = row.get("pcfs") or []
    if not pcfs:
        return "red", "tl_no_pcf"
    if not all(p.get("valid") for p in pcfs):
        return "red", "tl_expired"
    share = row.get("primary_share")
    if share is None or share < GREEN_PRIMARY_SHARE:
        return "amber", "tl_low_primary"
    if not row.get("verified"):
        return "amber", "tl_unverified"
    return "green", "tl_ok"


def plan_product(
    engine,
    method,
    bom: InputFile,
    pcf_files: Sequence[InputFile],
    levers: InputFile,
    baseline: InputFile,
    target: str,
    year: int | None,
    *,
    on: dt.date | None = None,
    report=None,
) -> dict:
    """Least-cost plan for ``target`` (``"30%"`` or an absolute cap) by ``year`` on the levers
    file, verified by the exact re-solve on the BOM's model; MACC of the levers.
    ``report(fraction, stage)`` is called as each step starts."""
    from pcf.commands.bom import supplier_pcfs
    from supply_chain.bom import read_bom
    from supply_chain.levers import macc, parse_target, plan_frame, solve_verified
    from supply_chain.model import SupplyChainModel
    from supply_chain.model_plans import model_problem

    report = report or (lambda fraction, stage: None)
    on = on or dt.date.today()
    report(0.05, "step_model")
    with tempfile.TemporaryDirectory(prefix="pcf-portal-") as d:
        tmp = Path(d)
        bom_path, lev_path, base_path = (
            tmp / Path(bom.filename).name,
            tmp / ("levers-" + Path(levers.filename).name),
            tmp / ("baseline-" + Path(baseline.filename).name),
        )
        bom_path.write_bytes(bom.content)
        lev_path.write_bytes(levers.content)
        base_path.write_bytes(baseline.content)
        pcfs = supplier_pcfs(_write_inputs(tmp, pcf_files), PCF_RULE)
        model = SupplyChainModel(read_bom(bom_path), engine, method, pcfs, on)
        problem, changes, _shipped = model_problem(model, lev_path, base_path)
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    tgt = parse_target(target, year=year)
    report(0.6, "step_solve")
    verified = solve_verified(
        problem, tgt, lambda chosen: model.verify(chosen, changes, effects), model.product
    )
    report(0.95, "step_verify")
    plan, ver, caps = verified.plan, verified.verification(), verified.caps()
    curve = macc(problem)
    pf = plan_frame(problem, plan)
    return json.loads(
        json.dumps(
            {
                "product": model.product,
                "unit": model.base.unit,
                "volume": problem.volumes.get(model.product, 1.0),
                "before": model.total,
                "target": {"text": target, "year": year, **caps},
                "plan": {
                    "status": plan.status,
                    "met": plan.met,
                    "chosen": list(plan.chosen),
                    "cost": plan.cost,
                    "levers": pf.to_dict("records"),
                },
                "verification": ver,
                "levers": [
                    {
                        "id": lv.id,
                        "actor": getattr(lv, "actor", ""),
                        "cost": getattr(lv, "cost", None),
                        "year": getattr(lv, "year", None),
                        "effect": effects.get(lv.id),
                    }
                    for lv in problem.levers
                ],
                "macc": curve.to_dict("records"),
            },
            default=_jsonable,
        )
    )


def _jsonable(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (set, tuple)):
        return list(v)
    if dataclasses.is_dataclass(v):
        return dataclasses.asdict(v)
    return str(v)


#: Columns of a levers table the portal's form lets a buyer edit (the rest stay as in the file).
LEVER_EDITABLE = ("cost", "year", "share", "factor")


def lever_rows(levers: InputFile) -> tuple[list[str], list[dict]]:
    """``(header, rows)`` of a levers CSV (``pcf bom levers``'s format) for the form.

    Raises
    ------
    lca.errors.PCFError
        The file is not UTF-8 CSV with a ``lever`` column (naming the file).
    """
    import csv
    import io

    from lca.errors import PCFError

    try:
        text = levers.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PCFError(f"{levers.filename}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    if "lever" not in header:
        raise PCFError(f"{levers.filename}: no 'lever' column (a levers table, see pcf bom levers)")
    return header, list(reader)


def edit_levers(levers: InputFile, form: Mapping[str, str]) -> InputFile:
    """The levers table with the form's edits: row ``i`` is kept when ``use_i`` is sent, and
    its :data:`LEVER_EDITABLE` cells take the values ``<column>_i`` (blank: the cell is blank).
    The library checks the values when the plan is solved (naming file, row and field)."""
    import csv
    import io

    header, rows = lever_rows(levers)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for i, row in enumerate(rows):
        if f"use_{i}" not in form:
            continue
        for col in LEVER_EDITABLE:
            key = f"{col}_{i}"
            if col in header and key in form:
                row[col] = str(form[key]).strip()
        w.writerow(row)
    return InputFile(levers.filename, buf.getvalue().encode("utf-8"))
