"""Supplier workbook (xlsx) for purchasing teams: scorecard, supplier detail, hotspots,
reduction plan, and a notes sheet saying where every figure came from.

Sheets and their default sources (each replaceable by a DataFrame from ``supply_chain``):

============= ==================================================================================
Summary       the result: total, fossil / biogenic / dLUC, method, product
Scorecard     ``scores`` DataFrame, else the result's top processes (one row per supplying
              process: kg CO2e, share, rank) with a "rest" row so it adds up to the total
Suppliers     ``suppliers`` DataFrame, else by-stage and by-gas tables of the result
Hotspots      ``hotspots`` DataFrame, else the processes that together make 80 % of the total
Plan          ``plan`` DataFrame (e.g. a MACC), else a note that no plan was supplied
Notes         one row per sheet: what it shows and where its figures came from
============= ==================================================================================

Every sheet has a frozen header row, an autofilter and number formats; figures are written as
numbers (not text), so they equal the computed result exactly.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import os
from pathlib import Path

from lca.files import write_atomic
from lca.footprint import STAGES

from .errors import InvalidDeclaration

log = logging.getLogger(__name__)

NUM = "#,##0.000"
PCT = "0.0%"


def _frame_from_rows(rows, columns):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def scorecard_frame(result):
    """Top processes of the result as a scorecard (rank, process, location, key, kg, share)."""
    rows = []
    for i, r in enumerate(result.top_processes, start=1):
        rank = None if r.key is None else i
        rows.append(
            [
                rank,
                r.name,
                r.location or "",
                f"{r.key[0]}|{r.key[1]}" if r.key else "",
                r.value,
                r.share,
            ]
        )
    return _frame_from_rows(
        rows, ["rank", "process", "location", "key", f"kg CO2e ({result.unit})", "share"]
    )


def hotspots_frame(result, threshold: float = 0.8):
    """Processes that together make ``threshold`` of the total (by |contribution|)."""
    rows, cum = [], 0.0
    for r in result.top_processes:
        if r.key is None or not result.total:
            continue
        cum += r.value / result.total
        rows.append([r.name, r.location or "", r.value, r.share, cum])
        if cum >= threshold:
            break
    return _frame_from_rows(
        rows, ["process", "location", f"kg CO2e ({result.unit})", "share", "cumulative share"]
    )


def _breakdown_frame(result):
    rows = [
        ["stage", STAGES.get(k, k), v, v / result.total if result.total else math.nan]
        for k, v in result.by_stage.items()
    ]
    rows += [
        ["gas", k, v, v / result.total if result.total else math.nan]
        for k, v in result.by_gas.items()
    ]
    return _frame_from_rows(rows, ["breakdown", "item", f"kg CO2e ({result.unit})", "share"])


def _summary_frame(result):
    rows = [
        ["product", f"{result.product[0]}|{result.product[1]}"],
        ["product name", result.product_name],
        ["amount", result.amount],
        ["unit of product", result.product_unit],
        ["method", " | ".join(result.method)],
        ["unit", result.unit],
        ["total", result.total],
        ["fossil", result.fossil],
        ["biogenic", result.biogenic],
        ["land use (dLUC)", result.land_use],
        ["biogenic CO2 emissions (kg CO2)", result.biogenic_co2_emissions],
        ["biogenic CO2 removals (kg CO2)", result.biogenic_co2_removals],
    ]
    return _frame_from_rows(rows, ["item", "value"])


def _write_sheet(wb, name: str, df, formats: dict) -> None:
    ws = wb.add_worksheet(name)
    header = formats["header"]
    for c, col in enumerate(df.columns):
        ws.write(0, c, str(col), header)
    for r, row in enumerate(df.itertuples(index=False), start=1):
        for c, (col, v) in enumerate(zip(df.columns, row)):
            fmt = formats["pct"] if "share" in str(col).lower() else formats["num"]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                ws.write_blank(r, c, None)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, float(v), fmt if isinstance(v, float) else None)
            else:
                ws.write_string(r, c, str(v), formats["text"])
    for c, col in enumerate(df.columns):
        width = max([len(str(col))] + [len(str(v)) for v in df.iloc[:, c].tolist()[:200]]) + 2
        ws.set_column(c, c, min(max(width, 10), 60))
    ws.freeze_panes(1, 0)
    if len(df.columns):
        ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)


def supplier_workbook(
    result, path: str | os.PathLike, scores=None, suppliers=None, hotspots=None, plan=None
) -> Path:
    """Write the workbook (atomically) and return its path. DataFrames replace the defaults."""
    import xlsxwriter

    for name, df in (
        ("scores", scores),
        ("suppliers", suppliers),
        ("hotspots", hotspots),
        ("plan", plan),
    ):
        if df is not None and not hasattr(df, "itertuples"):
            raise InvalidDeclaration(name, type(df).__name__, "must be a pandas DataFrame")
    product = f"{result.product[0]}|{result.product[1]}"
    origin = (
        f"FootprintResult of {product} ({result.amount:g} {result.product_unit}), "
        f"method {' | '.join(result.method)}, computed by pcf-engine on "
        f"{dt.date.today().isoformat()}"
    )
    sheets = [
        ("Summary", _summary_frame(result), origin + ": total and its fossil/biogenic/dLUC split."),
        (
            "Scorecard",
            scores if scores is not None else scorecard_frame(result),
            "supplied DataFrame (supply_chain supplier scores)"
            if scores is not None
            else origin + ": top processes by direct contribution (e_j s_j), with a 'rest' row; "
            "column sums equal the total.",
        ),
        (
            "Suppliers",
            suppliers if suppliers is not None else _breakdown_frame(result),
            "supplied DataFrame (per-supplier detail)"
            if suppliers is not None
            else origin + ": by life-cycle stage and by gas (each group sums to the total). "
            "No per-supplier data was supplied.",
        ),
        (
            "Hotspots",
            hotspots if hotspots is not None else hotspots_frame(result),
            "supplied DataFrame (supply_chain hotspots)"
            if hotspots is not None
            else origin + ": processes that together make 80 % of the total.",
        ),
        (
            "Plan",
            plan
            if plan is not None
            else _frame_from_rows([["No reduction plan was supplied."]], ["note"]),
            "supplied DataFrame (reduction plan / MACC)"
            if plan is not None
            else "nothing: no reduction plan was supplied.",
        ),
    ]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    formats = {
        "header": wb.add_format(
            {"bold": True, "bg_color": "#EEF4F6", "bottom": 1, "text_wrap": True, "valign": "top"}
        ),
        "num": wb.add_format({"num_format": NUM}),
        "pct": wb.add_format({"num_format": PCT}),
        "text": wb.add_format({"text_wrap": False}),
    }
    for name, df, _ in sheets:
        _write_sheet(wb, name, df, formats)
    notes = _frame_from_rows([[name, note] for name, _, note in sheets], ["sheet", "source"])
    _write_sheet(wb, "Notes", notes, formats)
    wb.close()
    out = write_atomic(path, buf.getvalue())
    log.info("supplier workbook written: %s", out)
    return out
