"""Charts as inline SVG, drawn on the server: a horizontal bar chart with its values written on
the bars, and a marginal abatement cost curve (widths = abatement, heights = cost per unit).

Plain SVG text instead of matplotlib or a JavaScript library: a dozen rectangles and labels per
chart, readable without scripts, crisp at every zoom, translated by the same label function as
the page, and no CDN (the portal works offline).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bar_chart", "fmt", "macc_chart"]

COLOURS = ("#1f5f8b", "#2f7fb5", "#4f9fd5", "#7fbfe5", "#a8d2ec", "#c9e3f3")


def fmt(v: float | None, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits (whole numbers kept whole),
    thousands separated.

    >>> fmt(5884.450987), fmt(5884.450987, 6), fmt(0.012345), fmt(None)
    ('5,884', '5,884.45', '0.01235', '—')
    """
    if v is None:
        return "—"
    a = abs(v)
    if a == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    return f"{v:,.{decimals}f}"


def bar_chart(rows: Sequence[tuple[str, float, float | None]], unit: str, title: str) -> Markup:
    """``rows`` of ``(label, value, share)``; negative values draw to the left of zero."""
    biggest = max((abs(v) for _, v, _ in rows), default=0.0)
    # the "rest" row of a complete breakdown is round-off (1e-13 of the total): not a bar
    rows = [r for r in rows if r[0] != "rest" or abs(r[1]) > 1e-9 * biggest]
    if not rows:
        return Markup("")
    label_w, bar_w, value_w, row_h = 230, 380, 190, 26
    width = label_w + bar_w + value_w
    height = row_h * len(rows) + 10
    lo = min(0.0, min(v for _, v, _ in rows))
    hi = max(0.0, max(v for _, v, _ in rows))
    span = (hi - lo) or 1.0
    x0 = label_w + bar_w * (-lo / span)
    out = [
        (
            f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, v, share) in enumerate(rows):
        y = 5 + i * row_h
        w = bar_w * abs(v) / span
        x = x0 if v >= 0 else x0 - w
        short = label if len(label) <= 32 else label[:30] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lbl">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        out.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}"'
            f' fill="{COLOURS[min(i, len(COLOURS) - 1)]}"/>'
        )
        pct = f" ({share * 100:.1f} %)" if share is not None else ""
        out.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 17}" class="val">'
            f"{escape(fmt(v))} {escape(unit)}{pct}</text>"
        )
    out.append(
        f'<line x1="{x0:.1f}" y1="0" x2="{x0:.1f}" y2="{height}" stroke="#333" stroke-width="1"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def macc_chart(
    rows: Sequence[dict],
    unit: str,
    title: str,
    chosen: Sequence[str] = (),
    y_title: str = "",
    x_title: str = "",
) -> Markup:
    """MACC of ``rows`` (``lever``, ``abatement``, ``mac`` in the order of the curve): bar
    widths are the abatement, heights the cost per unit abated; the levers of the plan are
    drawn dark, the others light. Bars too narrow for a label are named in the table the page
    shows under the chart."""
    rows = [r for r in rows if (r.get("abatement") or 0) > 0]
    if not rows:
        return Markup("")
    width, height, left, right, bottom, top = 980, 400, 80, 30, 120, 24
    plot_w, plot_h = width - left - right, height - bottom - top
    total = sum(r["abatement"] for r in rows)
    hi = max(max(r["mac"] for r in rows), 0.0) or 1.0
    lo = min(min(r["mac"] for r in rows), 0.0)
    span = hi - lo
    y0 = top + plot_h * hi / span
    out = [
        (
            f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        ),
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{y0:.1f}" x2="{left + plot_w}" y2="{y0:.1f}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="val">{escape(fmt(hi))}</text>',
        f'<text x="{left - 6}" y="{y0 + 4:.1f}" text-anchor="end" class="val">0</text>',
        (
            f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="lbl"'
            f' transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_title)}</text>'
        ),
        (
            f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end" class="lbl">'
            f"{escape(x_title)}: {escape(fmt(total))} {escape(unit)}</text>"
        ),
    ]
    x = float(left)
    for r in rows:
        w = plot_w * r["abatement"] / total
        h = plot_h * abs(r["mac"]) / span
        y = y0 - h if r["mac"] >= 0 else y0
        fill = "#1f5f8b" if r["lever"] in chosen else "#a8d2ec"
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 1):.1f}" height="{max(h, 1):.1f}"'
            f' fill="{fill}" stroke="#fff"><title>{escape(r["lever"])}: {escape(fmt(r["mac"]))}'
            f" / {escape(unit)}</title></rect>"
        )
        cx, ly = x + w / 2, top + plot_h + 14
        if w >= 14:
            out.append(
                f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" class="lbl"'
                f' transform="rotate(-35 {cx:.1f} {ly})">{escape(r["lever"])}</text>'
            )
        if w >= 48:
            ty = (y - 4) if r["mac"] >= 0 else (y + h + 12)
            out.append(
                f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="middle" class="val">'
                f"{escape(fmt(r['mac']))}</text>"
            )
        x += w
    out.append("</svg>")
    return Markup("".join(out))
