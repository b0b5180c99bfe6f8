"""The plant sheet: one plant period's GHG inventory on one or two pages (HTML and PDF).

Every figure comes from one computed :class:`factory.PlantInventory` (the numbers of
``pcf factory inventory --json``), through :func:`factory.allocate`,
:func:`factory.trajectory` and :func:`factory.gap_report`; the sheet computes nothing of
its own. Contents:

- plant identity, and the "illustrative example" disclaimer when the plant's data file says so
  (its ``plant`` row comment contains "illustrative");
- scope 1 by source and by gas; scope 2 location- and market-based with the green-power share
  and every contractual instrument, accepted or rejected (with the reasons); scope 3 purchased
  goods;
- the allocation to products: per-unit gate-to-gate kg CO2e, the key used and the ISO 14067
  hierarchy statement;
- the zero-carbon view (residual, offsets retired, offsets still needed) shown beside the
  product footprints, never inside them;
- the multi-period trajectory with year-on-year change (a static matplotlib chart in the PDF, an
  interactive plotly chart with plotly.js inlined in the HTML: no CDN);
- the what-if levers, when asked for.

Emissions are shown in t CO2e (:func:`tonnes`: kg / 1000, five significant digits, every integer
digit kept) and per-unit footprints in kg CO2e per declared unit (:func:`reports.render.num`).
The exact kg values are in the HTML (``title`` attributes) and, with ``formats`` including
``"json"``, in ``<stem>.json`` (the same ``PlantInventory.to_dict()`` as the CLI prints).

Dependencies point one way: ``pcf → reports → factory → lca``; :mod:`factory` never imports this.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

import numpy as np

import factory
from lca.files import jsonable, staged

from . import render
from .charts import COLORS, NEG, cached_chart, mpl_figure, png, to_div
from .errors import ReportError

log = logging.getLogger(__name__)

#: Brightway unit names -> short display units, and the display scale (kWh -> MWh, MJ -> GJ).
_UNITS = {
    "kilowatt hour": ("MWh", 1e-3),
    "megajoule": ("GJ", 1e-3),
    "kilogram": ("kg", 1.0),
    "ton": ("t", 1.0),
    "cubic meter": ("m³", 1.0),
    "unit": ("unit", 1.0),
}
WHAT_IF_KEYS = factory.WhatIf.names()


def tonnes(kg) -> str:
    """kg CO2e shown as t CO2e, thousands separated: whole tonnes from 1,000 t, else five
    significant digits.

    >>> tonnes(246_888_000.0), tonnes(6_000_000.0), tonnes(-3_048_000.0), tonnes(96_309.4)
    ('246,888', '6,000', '-3,048', '96.309')
    >>> tonnes(0.0), tonnes(None)
    ('0', '–')
    """
    if kg is None:
        return render.num(None)
    t = kg / 1000.0
    return f"{t:,.0f}" if abs(t) >= 999.5 else render.num(t, 5)


def qty(amount, unit: str) -> str:
    """An activity amount in a readable unit (kWh as MWh, MJ as GJ).

    >>> qty(555_000_000.0, "kilowatt hour"), qty(1_000_000.0, "megajoule")
    ('555,000 MWh', '1,000 GJ')
    """
    short, k = _UNITS.get(unit, (unit, 1.0))
    return f"{render.num(amount * k)} {short}"


#: The factory package's notes and rejection reasons (factory.scope2, factory.inventory), as
#: regular expressions, and their Chinese: a message matching none stays as it is (logged).
MESSAGES_ZH = [
    (
        r"not retired/cancelled on the plant's behalf \(unique claim\)",
        "未代表本工厂注销（唯一性声明）",
    ),
    (r"no vintage", "未注明生产年份"),
    (
        r"vintage (\S+) is (\d+) year\(s\) from the period \(allowed: (\d+)\)",
        "生产年份 {0} 与核算期相差 {1} 年（允许 {2} 年）",
    ),
    (
        r"market (\S+) is not a market the plant buys electricity in \((.*)\)",
        "市场 {0} 不是本工厂购电的市场（{1}）",
    ),
    (
        (
            r"row (\d+): (\S+) ([\d.e+]+) MWh does not meet the Scope 2 quality criteria: "
            r"(.*); not counted"
        ),
        "第 {0} 行：{1} {2} MWh 不满足范围二质量准则：{3}；不计入",
    ),
    (r"row (\d+): offset (.+) not retired; not counted", "第 {0} 行：抵消 {1} 未注销；不计入"),
    (
        r"(\S+): no production rows; allocation to products is not possible",
        "{0}：无生产数据行，无法分配到产品",
    ),
    (
        (
            r"row (\d+): no residual mix mapped for (\S+); market-based scope 2 uses the "
            r"location-based grid average \(Scope 2 Guidance allows it, at the risk of double "
            r"counting renewable attributes\)"
        ),
        (
            "第 {0} 行：未为 {1} 映射剩余电力组合；基于市场的范围二采用基于位置的电网平均值"
            "（《温室气体核算体系范围二指南》允许，但有重复计算可再生能源属性的风险）"
        ),
    ),
]


def message(text: str, lang: str) -> str:
    """A factory note or rejection reason in ``lang`` (:data:`MESSAGES_ZH`); reasons joined
    by "; " inside a note are translated one by one.

    >>> message("vintage 2022 is 2 year(s) from the period (allowed: 0)", "zh")
    '生产年份 2022 与核算期相差 2 年（允许 0 年）'
    """
    if lang != "zh":
        return text
    for pattern, zh in MESSAGES_ZH:
        m = re.fullmatch(pattern, text)
        if m:
            groups = ["；".join(message(g, lang) for g in str(g).split("; ")) for g in m.groups()]
            return zh.format(*groups)
    log.info("no Chinese text for the factory message %r", text)
    return text


def is_illustrative(plant) -> tuple[bool, str]:
    """Whether the plant's data file marks it illustrative (its ``plant`` row comment)."""
    comment = _plant_comment(plant.path)
    return "illustrative" in comment.lower(), comment


def _plant_comment(path) -> str:
    try:
        rows = factory.read_rows(path)
    except (OSError, ValueError):  # file gone or changed: the sheet renders without it
        return ""
    if not rows:
        return ""
    header = [str(h or "").strip().lower() for h in rows[0]]
    if "section" not in header or "comment" not in header:
        return ""
    s, c = header.index("section"), header.index("comment")
    for r in rows[1:]:
        if len(r) > max(s, c) and str(r[s] or "").strip().lower() == "plant":
            return str(r[c] or "").strip()
    return ""


# ------------------------------------------------------------------------------------------------
# context
def _rows_by(lines, *fields) -> list[dict]:
    """Lines grouped by ``fields`` (order kept): amount, unit and kg CO2e summed."""
    out: dict[tuple, dict] = {}
    for ln in lines:
        k = tuple(getattr(ln, f) for f in fields) + (ln.unit,)
        row = out.setdefault(
            k, {**{f: getattr(ln, f) for f in fields}, "unit": ln.unit, "amount": 0.0, "kg": 0.0}
        )
        row["amount"] += ln.amount
        row["kg"] += ln.total
    return list(out.values())


def _scope2_factors(lines) -> list[dict]:
    """The emission factor of each scope-2 dataset the sheet's figures come from (kg CO2e per
    unit = the lines' kg / amount, not a new figure) with the gases its source covers (the
    dataset's ``gases`` metadata, e.g. the MEE 2023 grid factors are CO2 only)."""
    out: dict[str, dict] = {}
    for ln in lines:
        f = out.setdefault(
            ln.dataset,
            {"dataset": ln.dataset, "unit": ln.unit, "amount": 0.0, "kg": 0.0, "link": ln.link},
        )
        f["amount"] += ln.amount
        f["kg"] += ln.total
    rows = []
    for f in out.values():
        if not f["amount"]:
            continue
        gases = ""
        try:
            import bw2data as bd

            gases = bd.get_node(database=f["link"][0], code=f["link"][1]).get("gases", "")
        except Exception:  # noqa: BLE001 - a sheet without the project's metadata omits it
            log.info("no gas coverage for %s", f["dataset"])
        rows.append({**f, "factor": f["kg"] / f["amount"], "gases": gases})
    return rows


def _dataset_label(f: dict, lang: str) -> str:
    """A scope-2 dataset's name in ``lang`` (the ``ds.`` translations), else its own name."""
    k = f"ds.{f['link'][0]}|{f['link'][1]}"
    return render.translate(k, lang) if k in render.translations() else f["dataset"]


_LEVER = [
    (re.compile(r"^baseline$"), "lever.baseline"),
    (re.compile(r"^all levers$"), "lever.all"),
    (re.compile(r"^efficiency (?P<p>.+)$"), "lever.efficiency"),
    (re.compile(r"^electrify (?P<p>.+) of fuel heat$"), "lever.electrify"),
    (re.compile(r"^green power share (?P<p>.+)$"), "lever.green"),
]


def _lever_label(label: str, t) -> str:
    for rx, key in _LEVER:
        m = rx.match(label)
        if m:
            return t(key, **m.groupdict())
    return label


def _what_if_rows(plant, period, what_if):
    """Lever rows from ``what_if``: a dict of :func:`factory.gap_report` lever arguments
    (``green``, ``electrify``, ``kwh_per_mj``, ``efficiency``), or rows already computed
    (``gap_report(...)["levers"]``)."""
    if not what_if:
        return None, factory.gap_report(plant, period)
    if isinstance(what_if, dict):
        unknown = set(what_if) - set(WHAT_IF_KEYS)
        if unknown:
            raise ReportError(f"what_if: unknown lever(s) {sorted(unknown)}; use {WHAT_IF_KEYS}")
        gap = factory.gap_report(plant, period, **what_if)
        return gap["levers"], gap
    gap = factory.gap_report(plant, period)
    retired = gap["offsets_retired"]
    rows = [dict(r) for r in what_if]
    for r in rows:
        r.setdefault("offsets_needed", max(r["residual_kg"] - retired, 0.0))
    return rows, gap


def sheet_context(
    plant,
    period: str | None = None,
    what_if=None,
    lang: str = "en",
    medium: str = "html",
    key: str | None = None,
    scope2: str = "market",
) -> dict:
    """Everything the template shows, taken from the computed inventory (no new figures)."""
    lang = render.normalize_lang(lang)
    inv = plant.get(period)

    def t(k: str, **kw) -> str:
        return render.translate(k, lang, **kw)

    def cat(c: str) -> str:
        k = f"cat.{c}"
        return t(k) if k in render.translations() else c.replace("_", " ")

    levers, gap = _what_if_rows(plant, inv.period, what_if)
    alloc = factory.allocate(inv, key, scope2) if inv.production else None
    illustrative, comment = is_illustrative(plant)
    traj = gap["trajectory"]
    s1 = inv.by("1", "gas")
    scope2_rows = []
    for scope in ("2-location", "2-market"):
        for r in _rows_by([ln for ln in inv.lines if ln.scope == scope], "category", "item"):
            scope2_rows.append({**r, "scope": scope, "category_label": cat(r["category"])})
    factors = [
        {**f, "dataset": _dataset_label(f, lang)}
        for f in _scope2_factors([ln for ln in inv.lines if ln.scope.startswith("2")])
    ]
    chart_labels = {
        "scope1": t("field.scope1"),
        "scope2": t("field.scope2_market"),
        "location": t("field.scope12_location"),
        "offsets": t("field.offsets_retired"),
        "axis": "t CO2e",
    }
    if medium == "pdf":
        chart = static_trajectory(traj, chart_labels, lang)
    else:
        chart = interactive_trajectory(traj, chart_labels)
    return {
        "plant": plant,
        "inv": inv,
        "unit": inv.unit,
        "method": render.method_name(inv.method, lang),
        "date": dt.date.today().isoformat(),
        "file": Path(plant.path).name,
        "illustrative": illustrative,
        # the data file's own note is English text: a zh sheet names the file instead
        "plant_comment": comment if lang == "en" else "",
        "s": inv.summary(),
        "scope1_sources": [
            {**r, "category_label": cat(r["category"])}
            for r in _rows_by([ln for ln in inv.lines if ln.scope == "1"], "category", "item")
        ],
        "scope1_gas": sorted(s1.items(), key=lambda kv: -abs(kv[1])),
        "scope2_rows": scope2_rows,
        "scope2_factors": factors,
        "scope3_rows": _rows_by([ln for ln in inv.lines if ln.scope == "3"], "item"),
        "e": inv.electricity,
        "instruments": inv.instruments,
        "reason": lambda text: message(text, lang),
        "alloc": alloc,
        "gap": gap,
        "trajectory": traj,
        "levers": (
            [{**r, "label": _lever_label(r["lever"], t)} for r in levers]
            if levers and len(levers) > 1
            else None
        ),  # baseline alone: nothing to show
        "notes": [message(n, lang) for n in inv.notes],
        "chart": chart,
        "plotly_js": None,
        "tonnes": tonnes,
        "qty": qty,
        "cat": cat,
    }


# ------------------------------------------------------------------------------------------------
# charts (same style as reports.charts: static PNG for the PDF, plotly for the HTML)
@cached_chart
def static_trajectory(traj: list[dict], labels: dict, lang: str) -> str:
    """Stacked bars per period (scope 1 + market-based scope 2 = residual), the location-based
    scope 1+2 as a marker, retired offsets as a bar beside; year-on-year change above."""
    from matplotlib.ticker import FuncFormatter

    with mpl_figure(lang) as plt:
        x = np.arange(len(traj))
        s1 = np.array([r["scope1"] for r in traj]) / 1000
        s2 = np.array([r["scope2_market"] for r in traj]) / 1000
        loc = np.array([r["scope1_2_location"] for r in traj]) / 1000
        off = np.array([r["offsets_retired"] for r in traj]) / 1000
        fig, ax = plt.subplots(figsize=(6.4, 2.3))
        w = 0.36
        ax.bar(x - w / 2, s1, w, color=COLORS[1], label=labels["scope1"])
        ax.bar(x - w / 2, s2, w, bottom=s1, color=COLORS[0], label=labels["scope2"])
        ax.scatter(
            x - w / 2, loc, marker="_", s=400, color="#333333", zorder=3, label=labels["location"]
        )
        ax.bar(x + w / 2, off, w, color=NEG, label=labels["offsets"])
        top = max(float(np.max(loc)), float(np.max(s1 + s2)), float(np.max(off)), 1e-9)
        for i, r in enumerate(traj):
            # each value beside what it measures: the residual (and its change) inside the top
            # of its bar, the location-based total above its marker, offsets above their bar
            # (a single label above the marker once read as the marker's value)
            txt = tonnes(r["residual"])
            if r["change_vs_previous_pct"] is not None:
                txt += f"\n{r['change_vs_previous_pct']:+.1%}"
            height = s1[i] + s2[i]
            inside = height >= 0.3 * top
            ax.text(
                x[i] - w / 2,
                height - 0.03 * top if inside else height + 0.02 * top,
                txt,
                ha="center",
                va="top" if inside else "bottom",
                fontsize=7,
                color="white" if inside else "#333333",
            )
            above = loc[i] >= height  # else the marker lies on the bar: its value to the left
            ax.text(
                x[i] - w / 2 if above else x[i] - w,
                loc[i] + 0.03 * top if above else loc[i],
                tonnes(r["scope1_2_location"]),
                ha="center" if above else "right",
                va="bottom" if above else "center",
                fontsize=7,
                color="#333333",
            )
            if off[i] > 0:
                ax.text(
                    x[i] + w / 2,
                    off[i] + 0.02 * top,
                    tonnes(r["offsets_retired"]),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_ylim(0, top * 1.3)
        ax.set_xticks(x, [r["period"] for r in traj])
        ax.set_ylabel(labels["axis"])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return png(fig)


@cached_chart
def interactive_trajectory(traj: list[dict], labels: dict) -> str:
    import plotly.graph_objects as go  # heavy: only when an HTML sheet is drawn

    periods = [r["period"] for r in traj]
    fig = go.Figure()
    fig.add_bar(
        x=periods,
        y=[r["scope1"] / 1000 for r in traj],
        name=labels["scope1"],
        marker_color=COLORS[1],
        offsetgroup="residual",
    )
    fig.add_bar(
        x=periods,
        y=[r["scope2_market"] / 1000 for r in traj],
        name=labels["scope2"],
        marker_color=COLORS[0],
        offsetgroup="residual",
        base=[r["scope1"] / 1000 for r in traj],
        customdata=[
            ("" if r["change_vs_previous_pct"] is None else f"{r['change_vs_previous_pct']:+.1%}")
            for r in traj
        ],
        hovertemplate="%{x}: %{y:,.0f} t<br>%{customdata}<extra></extra>",
    )
    fig.add_scatter(
        x=periods,
        y=[r["scope1_2_location"] / 1000 for r in traj],
        name=labels["location"],
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 28, "color": "#333333"},
    )
    fig.add_bar(
        x=periods,
        y=[r["offsets_retired"] / 1000 for r in traj],
        name=labels["offsets"],
        marker_color=NEG,
        offsetgroup="offsets",
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=labels["axis"])
    return to_div(fig)


# ------------------------------------------------------------------------------------------------
# writing
def write_plant_sheet(
    plant,
    out_dir: str | os.PathLike,
    lang: str = "en",
    period: str | None = None,
    formats=("html", "pdf"),
    stem: str | None = None,
    what_if=None,
    *,
    key: str | None = None,
    scope2: str = "market",
) -> list[Path]:
    """Write the plant sheet of ``period`` (default: the latest) as HTML and/or PDF.

    Parameters
    ----------
    plant
        A :class:`factory.PlantInventory` (``factory.plant_inventory``).
    what_if
        Optional levers: a dict of :func:`factory.gap_report` arguments (``green``,
        ``electrify``, ``kwh_per_mj``, ``efficiency``), or lever rows already computed
        (``gap_report(...)["levers"]``).
    formats
        Any of ``"html"`` (interactive chart, plotly.js inlined), ``"pdf"`` (static chart) and
        ``"json"`` (``plant.to_dict()``, the allocation and the gap report, exact kg).
    key, scope2
        Allocation key and scope 2 basis for the products (as :func:`factory.allocate`).

    Files: ``<stem>.<lang>.html``, ``<stem>.<lang>.pdf``, ``<stem>.json``; default stem
    ``plant-sheet-<plant>-<period>``. All files or none (:func:`lca.files.staged`); an
    over-claimed plant (:func:`factory.check_claims`) or an unknown period raises before anything is
    written.
    """
    lang = render.normalize_lang(lang)
    factory.check_claims(plant)
    inv = plant.get(period)
    stem = stem or "plant-sheet-" + re.sub(
        r"[^A-Za-z0-9._-]+", "-", f"{plant.plant}-{inv.period}"
    ).strip("-")
    # compute every medium's context before anything touches the output folder
    pages = {
        m: sheet_context(plant, inv.period, what_if, lang, m, key, scope2)
        for m in formats
        if m in ("html", "pdf")
    }
    unknown = set(formats) - {"html", "pdf", "json"}
    if unknown:
        raise ReportError(f"unknown sheet format(s) {sorted(unknown)}; use html, pdf, json")
    written = []
    with staged(out_dir) as tmp:
        for medium in formats:
            if medium == "json":
                ctx = (
                    pages.get("html")
                    or pages.get("pdf")
                    or sheet_context(plant, inv.period, what_if, lang, "html", key, scope2)
                )
                doc = {
                    "period": inv.period,
                    "inventory": plant.to_dict(),
                    "allocation": ctx["alloc"].to_dict() if ctx["alloc"] else None,
                    "gap": ctx["gap"],
                    "levers": ctx["levers"],
                }
                (tmp / f"{stem}.json").write_text(
                    json.dumps(doc, ensure_ascii=False, indent=2, default=jsonable) + "\n",
                    encoding="utf-8",
                )
                written.append(f"{stem}.json")
                continue
            written += render.write_documents(
                tmp, "plant.html.j2", {medium: pages[medium]}, stem, lang
            )
    log.info("plant sheet written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]
