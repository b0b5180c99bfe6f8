"""Supplier workbook (xlsx) a buyer can act on, and the same scorecard as CSV.

A supply chain (:class:`SupplyChainBook`: a bill of materials rolled up with the suppliers' own
PCFs, the supplier file naming each supplier's part and benchmark dataset, and the levers of a
reduction plan) gives one row per supplier:

- the parts it supplies (from the BOM ``supplier`` column), their quantity per unit of product
  and per year (the product's annual volume from the baseline file), and the spend where the BOM
  gives ``unit_price_usd``;
- its contribution to the product footprint (kg CO2e per unit of product, share, t CO2e/yr);
- the supplier's declared PCF (the PACT document or PCF-table row the roll-up used) beside the
  database (background) value of the same material (the supplier file's ``benchmark`` dataset)
  and their ratio;
- primary-data share and DQRs (TeR, GeR, TiR; emission-weighted over the supplier's own
  emissions, :func:`supply_chain.suppliers.supplier_quality`);
- verification (the PCF's PACT ``assurance`` statement), validity end date;
- engagement status and due date (optional supplier-file columns ``engagement_status`` and
  ``engagement_due``: what the buyer has agreed with the supplier; "not recorded" otherwise);
- a traffic-light rating by :data:`RATING_RULE` (written out in the workbook's "Rating rule"
  sheet) and the next action it implies.

Sheets: Summary, Suppliers, Parts, Plan (the least-cost plan chosen by the MILP, with costs),
MACC (table and a native Excel chart of the marginal abatement cost curve: bar widths are the
abatement, heights the cost per tonne), Hotspots (processes of the footprinted product), Rating
rule, Notes (where every sheet's figures come from). Every header carries its unit; every sheet
prints landscape, fitted to the page width, with the header row repeated.

Without a supply chain the workbook holds the footprint's own sheets and says on the Suppliers
sheet that no supplier data was given (callers that have one always pass it: ``pcf report
suppliers``, ``pcf demo``).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import math
import os
from pathlib import Path

from lca.files import write_atomic

from .errors import InvalidDeclaration
from .render import num

log = logging.getLogger(__name__)

NUM = "#,##0.000"
INT = "#,##0"
PCT = "0.0%"
DATE = "yyyy-mm-dd"

#: The rating rule (a purchasing policy, not a standard: PACT and ISO 14067 set no thresholds).
#: Thresholds are module constants so that a buyer can change them in one place.
SHARE_RED = 0.10  # share of the product footprint above which missing supplier data is red
RATIO_RED = 1.2  # declared or rolled-up intensity / database benchmark
PRIMARY_AMBER = 0.5  # primary-data share below which the data is amber
DQR_AMBER = 3.0  # mean of TeR, GeR, TiR above which the data is amber (1 best, 5 worst)
EXPIRY_DAYS = 180  # a PCF that expires within this many days of the study date is amber

RATING_RULE = [
    (
        "red",
        (
            f"share of the product footprint ≥ {SHARE_RED:.0%} and no valid supplier PCF "
            f"(primary data missing where it matters), or intensity ≥ {RATIO_RED:g} × the "
            "database benchmark"
        ),
    ),
    (
        "amber",
        (
            "not red, and any of: no valid supplier PCF; primary-data share < "
            f"{PRIMARY_AMBER:.0%}; mean DQR (TeR, GeR, TiR) > {DQR_AMBER:g}; intensity above "
            f"the benchmark; supplier PCF expiring within {EXPIRY_DAYS} days of the study date"
        ),
    ),
    ("green", "none of the above"),
]

#: Readable column names with units (the CSV and the Suppliers sheet use the same ones).
SUPPLIER_COLUMNS = {
    "rank": "Rank (by contribution)",
    "supplier": "Supplier",
    "rating": "Rating (traffic light)",
    "rating_reason": "Rating reason",
    "next_action": "Next action",
    "parts": "Parts supplied (quantity per unit of product)",
    "annual_quantity": "Annual volume (parts per year, units as listed)",
    "annual_spend_usd": "Annual spend (USD per year)",
    "contribution": "Contribution (kg CO2e per unit of product)",
    "share": "Share of product footprint (%)",
    "annual_t": "Annual emissions (t CO2e per year)",
    "part": "Scored part",
    "part_unit": "Unit of scored part",
    "declared_pcf": "Declared supplier PCF (kg CO2e per unit of part)",
    "pcf_id": "Supplier PCF id",
    "intensity": "Rolled-up intensity used (kg CO2e per unit of part)",
    "benchmark": "Database benchmark (kg CO2e per unit of part)",
    "benchmark_dataset": "Benchmark dataset",
    "ratio": "Intensity / benchmark (ratio)",
    "primary_share": "Primary-data share (%)",
    "ter": "TeR (1 best - 5 worst)",
    "ger": "GeR (1 best - 5 worst)",
    "tir": "TiR (1 best - 5 worst)",
    "dqr": "Mean DQR TeR/GeR/TiR (1 best - 5 worst)",
    "verification": "Verification status",
    "valid_until": "PCF valid until (date)",
    "validity": "PCF validity on study date",
    "engagement_status": "Engagement status",
    "engagement_due": "Engagement due date",
    "reduction_potential": "Reduction potential (t CO2e per year)",
    "best_lever": "Best lever",
}


@dataclasses.dataclass
class SupplyChainBook:
    """What the workbook shows about a supply chain (all computed by :func:`supply_chain_book`).

    ``suppliers`` and ``parts`` are DataFrames keyed as :data:`SUPPLIER_COLUMNS` /
    :func:`parts_frame`; ``plan`` the chosen levers; ``macc`` the cost curve
    (:func:`supply_chain.levers.macc`); ``info`` the product, volume, target and plan status.
    """

    suppliers: object
    parts: object
    plan: object
    macc: object
    info: dict


def _f(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _assurance(pcf) -> str:
    """The PACT ``assurance`` statement of a supplier PCF, read back from its JSON file (the
    roll-up's :class:`~supply_chain.pcfs.SupplierPCF` does not keep it)."""
    src = str(getattr(pcf, "source", "") or "")
    if not src.endswith(".json") or not Path(src).is_file():
        return "no assurance statement (PCF table row)"
    try:
        data = json.loads(Path(src).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown (PCF file unreadable)"
    docs = data.get("data", data) if isinstance(data, dict) else data
    docs = docs if isinstance(docs, list) else [docs]
    for d in docs:
        if isinstance(d, dict) and d.get("id") == pcf.id:
            a = d.get("assurance") or (d.get("pcf") or {}).get("assurance")
            if not a:
                return "not verified (no PACT assurance statement)"
            if isinstance(a, dict):
                bits = [
                    str(a.get(k))
                    for k in ("coverage", "level", "boundary", "providerName", "completedAt")
                    if a.get(k)
                ]
                return "assured: " + ", ".join(bits) if bits else "assurance statement given"
            return "assured"
    return "not verified (no PACT assurance statement)"


def _valid_until(pcf) -> dt.date | None:
    end = pcf.validity_period[1]
    if end is None and pcf.reference_period[1] is not None:  # PACT: 3 years after the period
        ref = pcf.reference_period[1]
        try:
            end = ref.replace(year=ref.year + 3)
        except ValueError:  # 29 February
            end = ref.replace(year=ref.year + 3, day=28)
    return end.date() if end is not None else None


def rating(row: dict, on: dt.date) -> tuple[str, str]:
    """``(colour, reason)`` of one supplier row by :data:`RATING_RULE`.

    >>> rating({"share": 0.5, "declared_pcf": None, "ratio": None}, dt.date(2026, 1, 1))
    ('red', 'no valid supplier PCF for 50.0 % of the footprint')
    """
    share, ratio = row.get("share") or 0.0, row.get("ratio")
    valid = row.get("declared_pcf") is not None and row.get("validity") == "valid"
    if ratio is not None and ratio >= RATIO_RED:
        return "red", f"intensity {ratio:.2f} × the database benchmark"
    if share >= SHARE_RED and not valid:
        return "red", f"no valid supplier PCF for {100 * share:.1f} % of the footprint"
    why = []
    if not valid:
        why.append("no valid supplier PCF")
    ps = row.get("primary_share")
    if ps is not None and ps < PRIMARY_AMBER:
        why.append(f"primary data {100 * ps:.0f} %")
    if row.get("dqr") is not None and row["dqr"] > DQR_AMBER:
        why.append(f"DQR {row['dqr']:.1f}")
    if ratio is not None and ratio > 1.0:
        why.append(f"intensity {ratio:.2f} × benchmark")
    until = row.get("valid_until")
    if valid and until is not None and (until - on).days <= EXPIRY_DAYS:
        why.append(f"PCF expires {until.isoformat()}")
    if why:
        return "amber", "; ".join(why)
    return "green", "declared PCF valid, primary data and DQR within the rule"


def _next_action(row: dict) -> str:
    if row.get("own_plant"):
        return "measure the own plant's activity data (primary data)"
    if row.get("declared_pcf") is None:
        return "request a product-specific PCF (PACT) for " + (row.get("part") or "its parts")
    if row.get("validity") != "valid":
        return "request an updated PCF (" + str(row.get("validity")) + ")"
    if row["rating"] == "red":
        return "agree a reduction: " + (row.get("best_lever") or "ask for a plan")
    if row["rating"] == "amber":
        return "request more primary data / a better-rated PCF"
    return "monitor"


def parts_frame(model, volume: float):
    """One row per BOM part with a supplier: quantity per unit of product and per year, the
    source the roll-up used, its footprint per unit and its own contribution."""
    import pandas as pd

    tab = model.base.table
    rows = []
    for part, r in tab.iterrows():
        if part == model.product or not isinstance(r["supplier"], str) or not r["supplier"]:
            continue
        m = float(model.m[model.base.index[part]])
        price = _f(model.G.nodes[part].get("unit_price_usd")) if part in model.G else None
        rows.append(
            {
                "Supplier": r["supplier"],
                "Part": part,
                "Name": r["name"],
                "Unit": r["unit"],
                "Quantity (units per unit of product)": m,
                "Annual quantity (units per year)": m * volume,
                "Unit price (USD per unit)": price,
                "Annual spend (USD per year)": None if price is None else price * m * volume,
                "Source used": r["source"],
                "Source reference": r["source_ref"] or "",
                "Footprint (kg CO2e per unit of part)": float(r["footprint"]),
                "Own emissions (kg CO2e per unit of product)": float(r["own"]) * m,
                "Primary-data share (%)": _f(r["primary_data_share"]),
            }
        )
    return pd.DataFrame(rows)


def supply_chain_book(
    engine,
    method,
    bom,
    suppliers_csv,
    pcfs,
    levers_csv,
    baseline_csv,
    target: str,
    year: int | None,
    on: dt.date,
) -> SupplyChainBook:
    """Roll up ``bom`` with the supplier ``pcfs`` (:class:`~supply_chain.pcfs.SupplierPCF`),
    score the suppliers of ``suppliers_csv``, solve the least-cost plan for ``target`` by
    ``year`` (verified against the exact footprint, :func:`supply_chain.levers.solve_verified`)
    and the MACC of the levers: the content of the workbook's supplier sheets.

    Raises the ``supply_chain`` errors (naming file and row) for bad input files.
    """
    import pandas as pd

    from supply_chain import read_bom, supplier_inputs
    from supply_chain.levers import macc, parse_target, plan_frame, solve_verified
    from supply_chain.model import SupplyChainModel
    from supply_chain.model_plans import model_problem
    from supply_chain.scoring import background_benchmarks, supplier_scores

    model = SupplyChainModel(read_bom(bom), engine, method, list(pcfs), on)
    problem, changes, _shipped = model_problem(model, levers_csv, baseline_csv)
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    tgt = parse_target(target, year=year)
    verified = solve_verified(
        problem, tgt, lambda chosen: model.verify(chosen, changes, effects), model.product
    )
    plan, ver = verified.plan, verified.verification()
    volume = float(problem.volumes.get(model.product, 1.0))
    contributions, intensity, bench_keys, quality = supplier_inputs(model, suppliers_csv)
    benchmark = background_benchmarks(engine, bench_keys, model.method)
    card = supplier_scores(
        contributions,
        volumes=problem.volumes,
        product_totals={model.product: model.total},
        intensity=intensity,
        benchmark=benchmark,
        data_quality=quality,
        problem=problem,
    ).set_index("supplier")
    parts = parts_frame(model, volume)
    extra = _supplier_file(suppliers_csv)
    tab = model.base.table
    by_id = {p.id: p for p in model.pcfs}
    rows = []
    for s, sc in card.iterrows():
        mine = parts[parts["Supplier"] == s]
        part = extra.get(s, {}).get("part") or None
        pcf_row = mine[mine["Source used"] == "supplier_pcf"]
        pcf = by_id.get(pcf_row["Source reference"].iloc[0]) if len(pcf_row) else None
        q = quality.get(s, {})
        dqrs = [q.get(k) for k in ("ter", "ger", "tir")]
        row = {
            "rank": int(sc["rank"]),
            "supplier": s,
            "parts": "; ".join(
                f"{p} ({num_text(m)} {u})"
                for p, m, u in zip(
                    mine["Part"], mine["Quantity (units per unit of product)"], mine["Unit"]
                )
            ),
            "annual_quantity": "; ".join(
                f"{p}: {num_text(a)} {u}"
                for p, a, u in zip(
                    mine["Part"], mine["Annual quantity (units per year)"], mine["Unit"]
                )
            ),
            "annual_spend_usd": (
                float(mine["Annual spend (USD per year)"].sum())
                if mine["Annual spend (USD per year)"].notna().any()
                else None
            ),
            "contribution": float(sc["contribution"]) / volume,
            "share": _f(sc["share"]),
            "annual_t": float(sc["contribution"]) / 1000.0,
            "part": part or (pcf_row["Part"].iloc[0] if len(pcf_row) else ""),
            "part_unit": str(tab.loc[part, "unit"]) if part in tab.index else "",
            "declared_pcf": pcf.value if pcf is not None else None,
            "pcf_id": pcf.id if pcf is not None else "",
            "intensity": _f(intensity.get(s)),
            "benchmark": _f(benchmark.get(s)),
            "benchmark_dataset": "|".join(bench_keys[s]) if s in bench_keys else "",
            "ratio": _f(sc["intensity_ratio"]),
            "primary_share": _f(q.get("primary_share")),
            "ter": _f(dqrs[0]),
            "ger": _f(dqrs[1]),
            "tir": _f(dqrs[2]),
            "dqr": (sum(dqrs) / 3.0) if all(v is not None for v in dqrs) else None,
            "verification": _assurance(pcf) if pcf is not None else "no supplier PCF",
            "valid_until": _valid_until(pcf) if pcf is not None else None,
            "validity": pcf.validity(on)[1] if pcf is not None else "no supplier PCF",
            "engagement_status": extra.get(s, {}).get("engagement_status") or "not recorded",
            "engagement_due": extra.get(s, {}).get("engagement_due") or None,
            "reduction_potential": (
                None
                if _f(sc["reduction_potential"]) is None
                else float(sc["reduction_potential"]) / 1000.0
            ),
            "best_lever": sc["best_lever"] if isinstance(sc["best_lever"], str) else "",
        }
        row["rating"], row["rating_reason"] = rating(row, on)
        # the product's own maker (the BOM root's supplier) is the buyer's own plant
        row["own_plant"] = s == tab.loc[model.product, "supplier"]
        row["next_action"] = _next_action(row)
        rows.append(row)
    suppliers = pd.DataFrame(rows, columns=list(SUPPLIER_COLUMNS)).sort_values("rank")
    lever_info = {lv.id: lv for lv in problem.levers}
    pf = plan_frame(problem, plan)
    pf["year"] = [getattr(lever_info[k], "year", None) for k in pf["lever"]]
    curve = macc(problem)
    info = {
        "product": model.product,
        "product_name": str(tab.loc[model.product, "name"]),
        "unit": model.base.unit,
        "footprint": model.total,
        "volume": volume,
        "study_date": on.isoformat(),
        "target": target,
        "year": year,
        "plan_status": plan.status,
        "plan_met": plan.met,
        "plan_cost": plan.cost,
        "footprint_after_exact": ver["footprint_exact"],
        "target_met_exact": ver["target_met_exact"],
        "bom": Path(bom).name,
        "suppliers_file": Path(suppliers_csv).name,
        "levers_file": Path(levers_csv).name,
        "baseline_file": Path(baseline_csv).name,
        "pcf_sources": sorted({Path(str(p.source).split(",")[0]).name for p in model.pcfs}),
        "left_out": list(curve.attrs.get("left_out", [])),
    }
    return SupplyChainBook(suppliers, parts, pf, curve, info)


def _supplier_file(path) -> dict[str, dict]:
    """Optional per-supplier columns of the supplier file (``part``, ``engagement_status``,
    ``engagement_due``), keyed by supplier; an unreadable due date is an error naming the row."""
    from lca.files import open_text
    from supply_chain.errors import ScoringError

    out = {}
    with open_text(path) as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            s = (row.get("supplier") or "").strip()
            rec = {k: (row.get(k) or "").strip() for k in ("part", "engagement_status")}
            due = (row.get("engagement_due") or "").strip()
            if due:
                try:
                    rec["engagement_due"] = dt.date.fromisoformat(due)
                except ValueError:
                    raise ScoringError(
                        f"{Path(path).name}:{n}: engagement_due {due!r} is not a date (YYYY-MM-DD)",
                        supplier=s,
                    ) from None
            out[s] = rec
    return out


def num_text(x) -> str:
    """``60.0`` → ``'60'``, ``600000.0`` → ``'600,000'`` (4 significant digits)."""
    return num(x).rstrip("0").rstrip(".") if "." in num(x) else num(x)


def scorecard_csv_text(book: SupplyChainBook) -> str:
    """The Suppliers sheet as CSV: readable headers with units, shares and ratios as numbers
    (shares in %), dates ISO."""
    df = book.suppliers.copy()
    for col in ("share", "primary_share"):
        df[col] = [None if _f(v) is None else round(100 * v, 6) for v in df[col]]
    df = df.rename(columns=SUPPLIER_COLUMNS)
    return df.to_csv(index=False, lineterminator="\n")


def write_scorecard_csv(book: SupplyChainBook, path: str | os.PathLike) -> Path:
    """Write :func:`scorecard_csv_text` (atomically)."""
    return write_atomic(path, scorecard_csv_text(book).encode("utf-8"))


# -- footprint-only sheets -------------------------------------------------------------------------
def _frame(rows, columns):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def hotspots_frame(result, threshold: float = 0.8):
    """Processes that together make ``threshold`` of the total (by contribution)."""
    rows, cum = [], 0.0
    for r in result.top_processes:
        if r.key is None or not result.total:
            continue
        cum += r.value / result.total
        rows.append([r.name, r.location or "", f"{r.key[0]}|{r.key[1]}", r.value, r.share, cum])
        if cum >= threshold:
            break
    u = result.unit or "kg CO2e"
    return _frame(
        rows,
        [
            "Process",
            "Location",
            "Dataset",
            f"Contribution ({u} per {result.amount:g} {result.product_unit})",
            "Share (%)",
            "Cumulative share (%)",
        ],
    )


def _summary_rows(result, book: SupplyChainBook | None) -> list[list]:
    u = result.unit or "kg CO2e"
    rows = [
        ["Footprinted product", f"{result.product_name} ({result.product[0]}|{result.product[1]})"],
        ["Declared unit", f"{result.amount:g} {result.product_unit}"],
        ["Method", " | ".join(result.method)],
        [f"Product footprint ({u} per declared unit)", result.total],
    ]
    if book is not None:
        i = book.info
        rows += [
            ["Supply chain (bill of materials)", f"{i['product_name']} ({i['bom']})"],
            [f"Supply-chain footprint ({i['unit']} per unit of {i['product']})", i["footprint"]],
            [f"Annual volume (units of {i['product']} per year)", i["volume"]],
            ["Annual emissions (t CO2e per year)", i["footprint"] * i["volume"] / 1000.0],
            ["Study date (supplier PCF validity)", i["study_date"]],
            ["Reduction target", f"{i['target']} by {i['year']}" if i["year"] else i["target"]],
            ["Plan status", f"{i['plan_status']}; target met (exact): {i['target_met_exact']}"],
            ["Plan cost (currency of the levers file per year)", i["plan_cost"]],
            [f"Footprint after the plan, exact ({i['unit']} per unit)", i["footprint_after_exact"]],
            ["Suppliers rated red / amber / green", _rating_counts(book)],
        ]
    return rows


def _rating_counts(book) -> str:
    c = book.suppliers["rating"].value_counts()
    return " / ".join(str(int(c.get(k, 0))) for k in ("red", "amber", "green"))


# -- writing ---------------------------------------------------------------------------------------
def _formats(wb) -> dict:
    f = {
        "header": wb.add_format(
            {"bold": True, "bg_color": "#EEF4F6", "bottom": 1, "text_wrap": True, "valign": "top"}
        ),
        "num": wb.add_format({"num_format": NUM}),
        "int": wb.add_format({"num_format": INT}),
        "pct": wb.add_format({"num_format": PCT}),
        "date": wb.add_format({"num_format": DATE}),
        "text": wb.add_format({"text_wrap": True, "valign": "top"}),
        "title": wb.add_format({"bold": True, "font_size": 13}),
    }
    for colour, bg in (("red", "#F4B6B6"), ("amber", "#FFE08A"), ("green", "#B9E4C1")):
        f[colour] = wb.add_format({"bold": True, "bg_color": bg, "align": "center"})
    return f


def _print_setup(ws, header_row: int = 0) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&L&A&RPage &P of &N")


def _write_table(ws, df, formats, row0: int = 0, widths: dict | None = None) -> None:
    """``df`` at ``row0`` with a frozen, filterable header; share columns (header with "(%)"
    or "share") as percentages of fractions, dates as dates, numbers as numbers."""
    cols = [str(c) for c in df.columns]
    for c, col in enumerate(cols):
        ws.write(row0, c, col, formats["header"])
    for r, row in enumerate(df.itertuples(index=False), start=row0 + 1):
        for c, (col, v) in enumerate(zip(cols, row)):
            low = col.lower()
            if v is None or (isinstance(v, float) and math.isnan(v)):
                ws.write_blank(r, c, None)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), formats["date"])
            elif isinstance(v, (int, float)):
                fmt = formats["pct"] if "(%)" in low or "share" in low else formats["num"]
                if "rank" in low or "year" == low.split(" ")[0]:
                    fmt = formats["int"]
                ws.write_number(r, c, float(v), fmt)
            elif col.startswith("Rating (") and str(v) in formats:
                ws.write_string(r, c, str(v), formats[str(v)])
            else:
                ws.write_string(r, c, str(v), formats["text"])
    for c, col in enumerate(cols):
        vals = [len(str(v)) for v in df.iloc[:, c].tolist()[:200]]
        width = (widths or {}).get(col) or min(max([12, min(len(col), 28)] + vals) + 2, 50)
        ws.set_column(c, c, width)
    ws.freeze_panes(row0 + 1, 0)
    if cols:
        ws.autofilter(row0, 0, row0 + max(len(df), 1), len(cols) - 1)
    _print_setup(ws, row0)


def _macc_sheet(wb, ws, curve, formats, cost_unit: str) -> None:
    """The MACC table and its chart: one scatter series per lever drawn as a closed step
    (x from the cumulative abatement before it to after it, y its cost per t CO2e), so bar
    width = abatement and height = marginal cost, as a MACC is read."""
    import pandas as pd

    df = pd.DataFrame(
        {
            "Lever": curve["lever"],
            "Actor": curve["actor"],
            "Kind": curve["kind"],
            f"Cost ({cost_unit})": curve["cost"],
            "Abatement (t CO2e per year)": curve["abatement"] / 1000.0,
            f"Marginal cost ({cost_unit} per t CO2e)": curve["mac"] * 1000.0,
            "Cumulative abatement (t CO2e per year)": curve["cumulative_abatement"] / 1000.0,
        }
    )
    _write_table(ws, df, formats)
    if not len(df):
        return
    # chart data: 4 points per lever, to the right of the table
    c0 = len(df.columns) + 1
    ws.write(0, c0, "chart x (t CO2e per year)", formats["header"])
    ws.write(0, c0 + 1, f"chart y ({cost_unit} per t CO2e)", formats["header"])
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    left = 0.0
    for k, (lever, a, mac) in enumerate(
        zip(df["Lever"], df["Abatement (t CO2e per year)"], df.iloc[:, 5])
    ):
        r = 1 + 5 * k
        pts = [(left, 0.0), (left, mac), (left + a, mac), (left + a, 0.0)]
        for i, (x, y) in enumerate(pts):
            ws.write_number(r + i, c0, x, formats["num"])
            ws.write_number(r + i, c0 + 1, y, formats["num"])
        chart.add_series(
            {
                "name": ["MACC", 1 + k, 0],
                "categories": ["MACC", r, c0, r + 3, c0],
                "values": ["MACC", r, c0 + 1, r + 3, c0 + 1],
                "line": {"width": 2},
                "marker": {"type": "none"},
            }
        )
        left += a
    chart.set_title({"name": "Marginal abatement cost curve"})
    chart.set_x_axis({"name": "Cumulative abatement (t CO2e per year)", "min": 0})
    chart.set_y_axis({"name": f"Marginal cost ({cost_unit} per t CO2e)", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 460})
    ws.insert_chart(len(df) + 3, 0, chart)


def supplier_workbook(
    result,
    path: str | os.PathLike,
    book: SupplyChainBook | None = None,
    hotspots=None,
) -> Path:
    """Write the workbook (atomically) and return its path (see the module doc).

    ``book`` is :func:`supply_chain_book` (the suppliers, plan and cost curve); ``hotspots``
    a DataFrame replacing :func:`hotspots_frame`.
    """
    import pandas as pd
    import xlsxwriter

    if book is not None and not isinstance(book, SupplyChainBook):
        raise InvalidDeclaration("book", type(book).__name__, "must be a SupplyChainBook")
    if hotspots is not None and not hasattr(hotspots, "itertuples"):
        raise InvalidDeclaration("hotspots", type(hotspots).__name__, "must be a DataFrame")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    fm = _formats(wb)
    product = f"{result.product[0]}|{result.product[1]}"
    origin = f"pcf-engine footprint of {product} ({result.amount:g} {result.product_unit})"
    notes = []

    ws = wb.add_worksheet("Summary")
    summary = _frame(_summary_rows(result, book), ["Item", "Value"])
    _write_table(ws, summary, fm, widths={"Item": 52, "Value": 70})
    notes.append(("Summary", origin + "; the supply chain's roll-up and plan (below)."))

    ws = wb.add_worksheet("Suppliers")
    if book is not None:
        df = book.suppliers.copy()
        for col in ("share", "primary_share"):  # shares as fractions, shown as %
            df[col] = [_f(v) for v in df[col]]
        df = df.rename(columns=SUPPLIER_COLUMNS)
        _write_table(ws, df, fm, widths={SUPPLIER_COLUMNS["parts"]: 40})
        i = book.info
        notes.append(
            (
                "Suppliers",
                (
                    f"roll-up of {i['bom']} with the supplier PCFs of "
                    f"{', '.join(i['pcf_sources'])}; supplier part, benchmark dataset and "
                    f"engagement from {i['suppliers_file']}; volume from {i['baseline_file']}; "
                    "scores: supply_chain.scoring; rating: the 'Rating rule' sheet. "
                    "Contribution per unit of product = the supplier's own emissions times the "
                    "parts' quantities per unit."
                ),
            )
        )
        ws = wb.add_worksheet("Parts")
        _write_table(ws, book.parts, fm)
        notes.append(("Parts", f"the BOM {i['bom']} with the source the roll-up used per part."))
        ws = wb.add_worksheet("Plan")
        cost_unit = "currency of the levers file per year"
        plan = book.plan.assign(abatement=book.plan["abatement"] / 1000.0).rename(
            columns={
                "lever": "Lever",
                "node": "Where (BOM part or dataset)",
                "actor": "Actor (who pays)",
                "kind": "Kind",
                "cost": f"Cost ({cost_unit})",
                "abatement": "Abatement (t CO2e per year, all units)",
                "year": "Year in effect (calendar year)",
            }
        )
        if len(plan):
            total = {c: None for c in plan.columns}
            total["Lever"] = "Total"
            total[f"Cost ({cost_unit})"] = float(book.plan["cost"].sum())
            total["Abatement (t CO2e per year, all units)"] = float(plan.iloc[:, 5].sum())
            plan = pd.concat([plan, pd.DataFrame([total])], ignore_index=True)
        _write_table(ws, plan, fm)
        notes.append(
            (
                "Plan",
                (
                    f"least-cost plan for the target {i['target']} by {i['year']} (MILP, "
                    "re-solved until the exact footprint meets it; "
                    f"supply_chain.levers.solve_verified) on {i['levers_file']}; status "
                    f"{i['plan_status']}."
                ),
            )
        )
        ws = wb.add_worksheet("MACC")
        _macc_sheet(wb, ws, book.macc, fm, "currency of the levers file per year")
        notes.append(
            (
                "MACC",
                "levers ordered by cost per tonne abated (supply_chain.levers.macc); exclusions "
                "and budgets not applied (that is the Plan's job); left out (no abatement): "
                + (", ".join(i["left_out"]) or "none"),
            )
        )
    else:
        _write_table(
            ws,
            _frame([["No supplier data was given (pass a bill of materials)."]], ["Note"]),
            fm,
        )
        notes.append(("Suppliers", "no supply chain was given."))

    ws = wb.add_worksheet("Hotspots")
    _write_table(ws, hotspots if hotspots is not None else hotspots_frame(result), fm)
    notes.append(("Hotspots", origin + ": processes that together make 80 % of the total."))

    ws = wb.add_worksheet("Rating rule")
    rule = _frame(
        [[c, text] for c, text in RATING_RULE]
        + [["next action", "from the rating: request a PCF, an update, a reduction or monitor"]],
        ["Rating", "Rule"],
    )
    _write_table(ws, rule, fm, widths={"Rating": 14, "Rule": 110})
    for r, (c, _) in enumerate(RATING_RULE, start=1):
        ws.write_string(r, 0, c, fm[c])
    notes.append(("Rating rule", "reports.suppliers.RATING_RULE (a purchasing policy)."))

    ws = wb.add_worksheet("Notes")
    _write_table(
        ws,
        _frame(notes, ["Sheet", "Where the figures come from"]),
        fm,
        widths={"Sheet": 14, "Where the figures come from": 120},
    )
    wb.close()
    out = write_atomic(path, buf.getvalue())
    log.info("supplier workbook written: %s", out)
    return out
