"""Supplier workbook (xlsx) a buyer can act on, and the same scorecard as CSV.

A supply chain (:class:`SupplyChainBook`: a bill of materials rolled up with the suppliers' own
PCFs, the supplier file naming each supplier's part and benchmark dataset, and the levers of a
reduction plan) gives one row per supplier:

- the parts it supplies (from the BOM ``supplier`` column), their quantity per unit of product
  and per year (the product's annual volume from the baseline file), and the spend where the BOM
  gives ``unit_price_usd`` (the price and spend columns are left out when no part has a price,
  and say "not given" where some parts have one and others not);
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
rule, Notes (where every sheet's figures come from). Every header carries its unit; shares are
stored as fractions and shown as percentages (0.6 → 60.0 %); costs name their currency (the
caller's, or a ``currency`` column of the levers file; otherwise the header says it is not
stated) and the marginal cost is currency per t CO2e abated (cost per year over abatement per
year). The Summary says what the product footprint and the supply-chain footprint are, and
whether the bill of materials models the footprinted product. Every sheet prints landscape,
fitted to the page width, with the header row repeated; the file's properties name its title,
subject, creator (pcf-engine) and creation time.

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
    "rank": "Rank (1 = push first, by score)",
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


#: Written where a row has no figure for a column that other rows fill (a blank cell reads as
#: zero or as a forgotten value).
NOT_GIVEN = "not given"
PRICE = "Unit price (USD per unit)"
#: The roll-up's share for the part with everything that goes into it (so a supplier's part can
#: carry the primary data of its own suppliers); the Suppliers sheet's share is over the
#: supplier's own emissions only.
PART_PRIMARY = "Primary-data share of the part's footprint, inputs included (%)"
SPEND = "Annual spend (USD per year)"


def _unit_price(model, part: str, unit: str) -> float | None:
    """USD per unit of ``part``: the BOM's ``unit_price_usd``, or 1 for a part counted in USD
    (as the spend-based roll-up reads it); None when the BOM gives no price."""
    if str(unit).strip().lower() == "usd":
        return 1.0
    return _f(model.G.nodes[part].get("unit_price_usd")) if part in model.G else None


def parts_frame(model, volume: float):
    """One row per BOM part with a supplier: quantity per unit of product and per year, the
    source the roll-up used, its footprint per unit and its own contribution; the primary-data
    share as a fraction (the roll-up's percent / 100, the workbook shows it as a percentage).

    The price columns (``unit_price_usd``, or parts counted in USD) are left out when no part has
    a price; where some parts have one, the others say :data:`NOT_GIVEN`."""
    import pandas as pd

    tab = model.base.table
    rows = []
    for part, r in tab.iterrows():
        if part == model.product or not isinstance(r["supplier"], str) or not r["supplier"]:
            continue
        m = float(model.m[model.base.index[part]])
        price = _unit_price(model, part, r["unit"])
        pds = _f(r["primary_data_share"])
        rows.append(
            {
                "Supplier": r["supplier"],
                "Part": part,
                "Name": r["name"],
                "Unit": r["unit"],
                "Quantity (units per unit of product)": m,
                "Annual quantity (units per year)": m * volume,
                PRICE: NOT_GIVEN if price is None else price,
                SPEND: NOT_GIVEN if price is None else price * m * volume,
                "Source used": r["source"],
                "Source reference": r["source_ref"] or "",
                "Footprint (kg CO2e per unit of part)": float(r["footprint"]),
                "Own emissions (kg CO2e per unit of product)": float(r["own"]) * m,
                PART_PRIMARY: None if pds is None else pds / 100.0,
            }
        )
    df = pd.DataFrame(rows)
    if len(df) and (df[PRICE] == NOT_GIVEN).all():
        df = df.drop(columns=[PRICE, SPEND])
    return df


def _supplier_spend(model, parts, supplier: str):
    """USD per year bought from ``supplier``: the spend on its parts that no part of its own goes
    into (a housing's aluminium is in the housing's price); None when no BOM row has a price,
    :data:`NOT_GIVEN` when one of those parts has none."""
    if SPEND not in parts.columns:
        return None
    tab = model.base.table
    mine = parts[parts["Supplier"] == supplier]
    bought = [
        (p, v)
        for p, v in zip(mine["Part"], mine[SPEND])
        if not any(
            q in tab.index and tab.loc[q, "supplier"] == supplier for q in model.G.predecessors(p)
        )
    ]
    if not bought or any(v == NOT_GIVEN for _, v in bought):
        return NOT_GIVEN
    return float(sum(v for _, v in bought))


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
    currency: str | None = None,
) -> SupplyChainBook:
    """Roll up ``bom`` with the supplier ``pcfs`` (:class:`~supply_chain.pcfs.SupplierPCF`),
    score the suppliers of ``suppliers_csv``, solve the least-cost plan for ``target`` by
    ``year`` (verified against the exact footprint, :func:`supply_chain.levers.solve_verified`)
    and the MACC of the levers: the content of the workbook's supplier sheets.

    ``currency``: the currency of the lever costs (e.g. ``"EUR"``), when the caller knows it;
    otherwise a ``currency`` column of ``levers_csv`` names it (:func:`levers_currency`), and
    without either the workbook says the currency is not stated.

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
    cur = levers_currency(levers_csv, currency)  # after the levers file has been checked
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
            "annual_spend_usd": _supplier_spend(model, parts, s),
            "contribution": float(sc["contribution"]) / volume,
            "share": _f(sc["share"]),
            "annual_t": float(sc["contribution"]) / 1000.0,
            "part": part or (pcf_row["Part"].iloc[0] if len(pcf_row) else ""),
            "part_unit": str(tab.loc[part, "unit"]) if part in tab.index else "",
            "declared_pcf": pcf.value if pcf is not None else None,
            "pcf_id": pcf.id if pcf is not None else "",
            "intensity": _f(intensity.get(s)),
            "benchmark": _f(benchmark.get(s)),
            "benchmark_dataset": (
                "|".join(bench_keys[s]) if s in bench_keys else "none named in the supplier file"
            ),
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
    root = model.G.nodes[model.product] if model.product in model.G else {}
    activity = root.get("activity")
    info = {
        "product": model.product,
        "product_name": str(tab.loc[model.product, "name"]),
        "product_unit": str(tab.loc[model.product, "unit"]),
        # the Brightway dataset the BOM's root part stands for, if it names one
        "product_activity": (
            tuple(activity) if isinstance(activity, (tuple, list)) else activity or None
        ),
        "unit": _co2e(model.base.unit),
        "currency": cur,
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
        "cap_per_unit": verified.cap_per_unit,
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


def levers_currency(path, given: str | None = None) -> str | None:
    """The currency of the lever costs: ``given`` (the caller knows it) or the ``currency``
    column of the levers file (one value for the whole file; blank cells are fine), or None when
    neither names one.

    Raises
    ------
    supply_chain.errors.LeverError
        Two currencies in the file, or a file currency other than ``given`` (naming the file,
        line and lever).
    """
    from lca.files import open_text
    from supply_chain.errors import LeverError

    given = (given or "").strip() or None
    name = Path(path).name
    first = None  # (value, line)
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        if "currency" not in (reader.fieldnames or []):
            return given
        for n, row in enumerate(reader, start=2):
            v = (row.get("currency") or "").strip()
            if not v:
                continue
            lever = (row.get("lever") or "").strip()
            if first is None:
                first = (v, n)
                if given is not None and v != given:
                    raise LeverError(
                        f"{name}:{n} (lever {lever!r}): currency {v!r} differs from the "
                        f"currency {given!r} given for the lever costs",
                        lever=lever,
                    )
            elif v != first[0]:
                raise LeverError(
                    f"{name}:{n} (lever {lever!r}): currency {v!r} differs from {first[0]!r} "
                    f"on line {first[1]} (one currency per levers file)",
                    lever=lever,
                )
    return given or (first[0] if first else None)


def _co2e(unit: str | None) -> str:
    """The method's ``kg CO2-Eq`` written as the rest of the workbook writes it (kg CO2e)."""
    u = (unit or "").strip() or "kg CO2e"
    return "kg CO2e" if u.replace(" ", "").lower() in ("kgco2-eq", "kgco2eq") else u


def num_text(x) -> str:
    """``60.0`` → ``'60'``, ``600000.0`` → ``'600,000'`` (4 significant digits)."""
    return num(x).rstrip("0").rstrip(".") if "." in num(x) else num(x)


def _supplier_table(book: SupplyChainBook):
    """``book.suppliers`` without the spend column when no supplier has a spend (no BOM row
    gives a price); a supplier without one there says :data:`NOT_GIVEN`."""
    df = book.suppliers.copy()
    spend = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else v
        for v in df["annual_spend_usd"]
    ]
    if all(v is None or v == NOT_GIVEN for v in spend):
        return df.drop(columns=["annual_spend_usd"])
    df["annual_spend_usd"] = [NOT_GIVEN if v is None else v for v in spend]
    return df


def scorecard_csv_text(book: SupplyChainBook) -> str:
    """The Suppliers sheet as CSV: readable headers with units, shares and ratios as numbers
    (shares in %), dates ISO; the spend column only when the BOM gives prices."""
    df = _supplier_table(book)
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
    u = _co2e(result.unit)
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


def _money(label: str, per: str, info: dict) -> str:
    """A cost header naming the currency of the lever costs, or saying it is not stated:
    ``Cost (EUR per year)``, ``Cost per year (currency as given in levers.csv, not stated)``."""
    cur = info.get("currency")
    if cur:
        return f"{label} ({cur} {per})"
    return f"{label} {per} (currency as given in {info['levers_file']}, not stated)"


def _plan_status(i: dict) -> str:
    """The plan's outcome in words: met / not met (the exact footprint after the plan against
    the stated cap per unit where the target gives one), and what the solver found."""
    exact, cap = i.get("target_met_exact"), _f(i.get("cap_per_unit"))
    met = bool(i.get("plan_met")) if exact is None else bool(exact)
    if exact is not None and cap is not None:
        how = (
            f"footprint after the plan, recalculated exactly: {i['footprint_after_exact']:,.3f} "
            f"{i['unit']} per {i.get('product_unit') or 'unit'}; target: at most {cap:,.3f}"
        )
    else:
        how = "by the plan's linear model; the target gives no cap per unit to check exactly"
    found = {
        "optimal": "least-cost plan",
        "infeasible": "the target is out of reach: the plan shown comes closest",
    }.get(str(i.get("plan_status")), f"solver status: {i.get('plan_status')}")
    return f"{'met' if met else 'not met'} ({how}); {found}"


def _same_product(result, i: dict) -> bool:
    """Is the BOM's product the footprinted one? Its part id or its ``activity`` names the
    footprinted dataset."""
    key = tuple(result.product)
    act = i.get("product_activity")
    if isinstance(act, str) and "|" in act:
        act = tuple(act.split("|", 1))
    return act == key or i.get("product") in (key[1], f"{key[0]}|{key[1]}")


def _relation(result, i: dict) -> str:
    """How the product footprint and the supply-chain footprint relate, from the data: the same
    product (and then their difference) or two products whose figures are not expected to
    agree (said plainly when the BOM labels its product illustrative)."""
    key = f"{result.product[0]}|{result.product[1]}"
    if not _same_product(result, i):
        what = (
            "the bill of materials is an illustrative example"
            if "illustrative" in i["product_name"].lower()
            else f"the bill of materials models another product ({i['product']!r})"
        )
        return (
            f"{what}, not a model of the footprinted product ({key}); the two figures are "
            "not expected to agree"
        )
    if i.get("product_unit") == result.product_unit and result.amount:
        per_unit = result.total / result.amount
        if per_unit:
            d = i["footprint"] / per_unit - 1.0
            return (
                f"the same product ({key}): the supply-chain roll-up differs from the product "
                f"footprint by {d:+.1%}"
            )
    return (
        f"the same product ({key}), counted per {i.get('product_unit')} in the bill of "
        f"materials and per {result.amount:g} {result.product_unit} in the footprint"
    )


def _whole(x):
    """``10000.0`` → ``10000`` (written with the integer format), other values unchanged."""
    v = _f(x)
    return int(v) if v is not None and v.is_integer() and abs(v) < 2**53 else x


def _summary_rows(result, book: SupplyChainBook | None) -> list[list]:
    u = _co2e(result.unit)
    key = f"{result.product[0]}|{result.product[1]}"
    rows = [
        ["Footprinted product", f"{result.product_name} ({key})"],
        ["Declared unit", f"{result.amount:g} {result.product_unit}"],
        ["Method", " | ".join(result.method)],
        [f"Product footprint ({u} per declared unit)", result.total],
        [
            "What the product footprint is",
            (
                f"the footprint of the product system {key} (its datasets in the Brightway "
                f"project), per {result.amount:g} {result.product_unit}"
            ),
        ],
    ]
    if book is not None:
        i = book.info
        pu, p = i.get("product_unit") or "unit", i["product"]
        rows += [
            ["Supply chain (bill of materials)", f"{i['product_name']} ({i['bom']})"],
            [f"Supply-chain footprint ({i['unit']} per {pu} of {p})", i["footprint"]],
            [
                "What the supply-chain footprint is",
                (
                    f"the roll-up of the bill of materials {i['bom']} for its product part "
                    f"{p!r} per {pu}: supplier PCFs where the supplier files give one, database "
                    "datasets otherwise"
                ),
            ],
            ["How the two footprints relate", _relation(result, i)],
            [f"Annual volume ({pu} of {p} per year)", _whole(i["volume"])],
            ["Annual emissions (t CO2e per year)", i["footprint"] * i["volume"] / 1000.0],
            ["Study date (supplier PCF validity)", i["study_date"]],
            ["Reduction target", f"{i['target']} by {i['year']}" if i["year"] else i["target"]],
            ["Plan status", _plan_status(i)],
            [
                "Currency of the lever costs",
                i.get("currency") or f"not stated in {i['levers_file']}",
            ],
            [_money("Plan cost", "per year", i), i["plan_cost"]],
            [
                f"Footprint after the plan, exact ({i['unit']} per {pu} of {p})",
                i["footprint_after_exact"],
            ],
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
                if "rank" in low or "year" == low.split(" ")[0] or type(v) is int:
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


def _macc_sheet(wb, ws, curve, formats, info: dict) -> None:
    """The MACC table and its chart: one scatter series per lever drawn as a closed step
    (x from the cumulative abatement before it to after it, y its cost per t CO2e), so bar
    width = abatement and height = marginal cost, as a MACC is read. The marginal cost is the
    cost per year over the abatement per year: currency per t CO2e abated."""
    import pandas as pd

    mac_header = _money("Marginal cost", "per t CO2e abated", info)
    df = pd.DataFrame(
        {
            "Lever": curve["lever"],
            "Actor": curve["actor"],
            "Kind": curve["kind"],
            _money("Cost", "per year", info): curve["cost"],
            "Abatement (t CO2e per year)": curve["abatement"] / 1000.0,
            mac_header: curve["mac"] * 1000.0,
            "Cumulative abatement (t CO2e per year)": curve["cumulative_abatement"] / 1000.0,
        }
    )
    _write_table(ws, df, formats)
    if not len(df):
        return
    # chart data: 4 points per lever, to the right of the table
    c0 = len(df.columns) + 1
    ws.write(0, c0, "chart x (t CO2e per year)", formats["header"])
    ws.write(
        0, c0 + 1, _money("chart y: marginal cost", "per t CO2e abated", info), formats["header"]
    )
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
    chart.set_y_axis({"name": mac_header, "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 460})
    ws.insert_chart(len(df) + 3, 0, chart)


def _created() -> dt.datetime:
    """The workbook's creation time (UTC, whole seconds); ``SOURCE_DATE_EPOCH`` when set, for
    reproducible builds (the reproducible-builds.org convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


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
    wb.set_properties(
        {
            "title": f"Supplier workbook: {result.product_name}",
            "subject": (
                f"Suppliers, reduction plan and marginal abatement cost curve; product footprint "
                f"of {product} per {result.amount:g} {result.product_unit}"
            ),
            "author": "pcf-engine",
            "company": "pcf-engine",
            "keywords": "product carbon footprint, suppliers, PACT, MACC",
            "created": _created(),
        }
    )
    notes = []

    ws = wb.add_worksheet("Summary")
    summary = _frame(_summary_rows(result, book), ["Item", "Value"])
    _write_table(ws, summary, fm, widths={"Item": 52, "Value": 70})
    notes.append(("Summary", origin + "; the supply chain's roll-up and plan (below)."))

    ws = wb.add_worksheet("Suppliers")
    if book is not None:
        df = _supplier_table(book)
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
        notes.append(
            (
                "Parts",
                (
                    f"the BOM {i['bom']} with the source the roll-up used per part. A part's "
                    "primary-data share includes its inputs (the primary data of the parts that "
                    "go into it); the Suppliers sheet's share is over the "
                    "supplier's own emissions. Prices: the BOM's unit_price_usd (the columns are "
                    "left out when no part has one)."
                ),
            )
        )
        ws = wb.add_worksheet("Plan")
        cost = _money("Cost", "per year", i)
        plan = book.plan.assign(abatement=book.plan["abatement"] / 1000.0).rename(
            columns={
                "lever": "Lever",
                "node": "Where (BOM part or dataset)",
                "actor": "Actor (who pays)",
                "kind": "Kind",
                "cost": cost,
                "abatement": "Abatement (t CO2e per year, all units)",
                "year": "Year in effect (calendar year)",
            }
        )
        if len(plan):
            total = {c: None for c in plan.columns}
            total["Lever"] = "Total"
            total[cost] = float(book.plan["cost"].sum())
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
                    f"{i['plan_status']}; costs per year in "
                    f"{i.get('currency') or 'a currency the levers file does not state'}."
                ),
            )
        )
        ws = wb.add_worksheet("MACC")
        _macc_sheet(wb, ws, book.macc, fm, i)
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
