"""Charts as inline SVG, drawn on the server: a horizontal bar chart with its values written on
the bars, and a marginal abatement cost curve (widths = abatement, heights = cost per unit).

Plain SVG text instead of matplotlib or a JavaScript library: a dozen rectangles and labels per
chart, readable without scripts, crisp at every zoom, translated by the same label function as
the page, and no CDN (the portal works offline). The Sankey diagram (two columns: suppliers
on the left, life-cycle stages on the right) is laid out here too: every node is at least one
label line high and nodes are stacked with a gap, so no two labels of a column overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bar_chart", "fmt", "macc_chart", "sankey_chart"]

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


def text_width(text: str, size: float = 12.0) -> float:
    """Width (px) a label needs at ``size`` px, estimated: CJK and full-width characters are
    one em wide, others about 0.6 em (system sans-serif digits and Latin letters average less);
    the charts size their margins with it so that no label is cut off."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return size * (wide + 0.6 * (len(text) - wide))


def bar_chart(rows: Sequence[tuple[str, float, float | None]], unit: str, title: str) -> Markup:
    """``rows`` of ``(label, value, share)``; negative values draw to the left of zero."""
    biggest = max((abs(v) for _, v, _ in rows), default=0.0)
    # the "rest" row of a complete breakdown is round-off (1e-13 of the total): not a bar
    rows = [r for r in rows if r[0] != "rest" or abs(r[1]) > 1e-9 * biggest]
    if not rows:
        return Markup("")
    bar_w, row_h = 380, 26
    values = [
        f"{fmt(v)} {unit}" + (f" ({share * 100:.1f} %)" if share is not None else "")
        for _, v, share in rows
    ]
    shorts = [label if len(label) <= 32 else label[:30] + "…" for label, _, _ in rows]
    label_w = max(120, 16 + max(text_width(x) for x in shorts))
    value_w = 16 + max(text_width(x) for x in values)
    width = round(label_w + bar_w + value_w)
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
    for i, (label, v, _share) in enumerate(rows):
        y = 5 + i * row_h
        w = bar_w * abs(v) / span
        x = x0 if v >= 0 else x0 - w
        short = shorts[i]
        out.append(
            f'<text x="{label_w - 8:.0f}" y="{y + 17}" text-anchor="end" class="lbl">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        out.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}"'
            f' fill="{COLOURS[min(i, len(COLOURS) - 1)]}"/>'
        )
        out.append(
            f'<text x="{label_w + bar_w + 6:.0f}" y="{y + 17}" class="val">'
            f"{escape(values[i])}</text>"
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


#: Sankey layout: label line height (px) = the least height of a node, and the gap between nodes.
SANKEY_LINE, SANKEY_GAP = 16, 6


def sankey_layout(
    flows: Sequence[dict], height: float, line: float = SANKEY_LINE, gap: float = SANKEY_GAP
) -> tuple[dict, dict]:
    """Node boxes of a two-column Sankey: ``({source: (y, h, value)}, {target: (y, h, value)})``.

    Heights are proportional to ``|value|`` over what is left after the minimum heights
    (``line`` each) and the gaps, so that every node can carry its label and labels never
    overlap; each column is stacked from the top, largest first."""

    def column(key: str) -> dict:
        tot: dict[str, float] = {}
        for f in flows:
            tot[f[key]] = tot.get(f[key], 0.0) + f["value"]
        names = sorted(tot, key=lambda n: -abs(tot[n]))
        grand = sum(abs(v) for v in tot.values()) or 1.0
        free = max(height - gap * (len(names) - 1) - line * len(names), 0.0)
        out, y = {}, 0.0
        for n in names:
            h = line + free * abs(tot[n]) / grand
            out[n] = (y, h, tot[n])
            y += h + gap
        return out

    return column("source"), column("target")


def sankey_chart(
    flows: Sequence[dict],
    unit: str,
    title: str,
    label=lambda s: s,
    total: float | None = None,
) -> Markup:
    """Sankey diagram of ``flows`` (``source``, ``target``, ``value``): sources on the left,
    targets on the right, ribbons as wide as the flow's share of each node; every node is
    labelled with its name (``label`` translates it), value and share of ``total``."""
    flows = [f for f in flows if f["value"]]
    if not flows:
        return Markup("")
    n_src = len({f["source"] for f in flows})
    n_tgt = len({f["target"] for f in flows})
    top, plot_h = 10, max(260, (SANKEY_LINE + SANKEY_GAP) * max(n_src, n_tgt) * 1.6)
    src, tgt = sankey_layout(flows, plot_h)
    total = total if total is not None else sum(f["value"] for f in flows)

    def node_text(n: str, v: float) -> str:
        name = label(n)
        short = name if len(name) <= 30 else name[:28] + "…"
        pct = f" ({v / total * 100:.1f} %)" if total else ""
        return f"{short}  {fmt(v)} {unit}{pct}"

    texts = {
        side: {n: node_text(n, v) for n, (_y, _h, v) in nodes.items()}
        for side, nodes in (("src", src), ("tgt", tgt))
    }
    left_w = round(12 + max(text_width(t) for t in texts["src"].values()))
    right_w = round(12 + max(text_width(t) for t in texts["tgt"].values()))
    node_w, mid_w = 14, 300
    width = left_w + 2 * node_w + mid_w + right_w
    height = plot_h + 2 * top
    xs, xt = left_w, left_w + node_w + mid_w
    out = [
        (
            f'<svg class="chart sankey" role="img" aria-label="{escape(title)}"'
            f' viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}"'
            ' xmlns="http://www.w3.org/2000/svg">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    used_s = {n: 0.0 for n in src}
    used_t = {n: 0.0 for n in tgt}
    out_s: dict[str, float] = {}
    out_t: dict[str, float] = {}
    for f in flows:
        out_s[f["source"]] = out_s.get(f["source"], 0.0) + abs(f["value"])
        out_t[f["target"]] = out_t.get(f["target"], 0.0) + abs(f["value"])
    order = list(tgt)
    for f in sorted(flows, key=lambda f: order.index(f["target"])):
        ys, hs, _ = src[f["source"]]
        yt, ht, _ = tgt[f["target"]]
        a = hs * abs(f["value"]) / out_s[f["source"]]
        b = ht * abs(f["value"]) / out_t[f["target"]]
        y0, y1 = top + ys + used_s[f["source"]], top + yt + used_t[f["target"]]
        used_s[f["source"]] += a
        used_t[f["target"]] += b
        x0, x1 = xs + node_w, xt
        cx = (x0 + x1) / 2
        colour = COLOURS[min(list(src).index(f["source"]), len(COLOURS) - 1)]
        out.append(
            f'<path d="M{x0},{y0:.1f} C{cx:.1f},{y0:.1f} {cx:.1f},{y1:.1f} {x1},{y1:.1f}'
            f' L{x1},{y1 + b:.1f} C{cx:.1f},{y1 + b:.1f} {cx:.1f},{y0 + a:.1f} {x0},{y0 + a:.1f} Z"'
            f' fill="{colour}" fill-opacity="0.45"><title>{escape(label(f["source"]))} → '
            f"{escape(label(f['target']))}: {escape(fmt(f['value']))} {escape(unit)}</title></path>"
        )
    for side, nodes, x in (("src", src, xs), ("tgt", tgt, xt)):
        for j, (n, (y, h, v)) in enumerate(nodes.items()):
            fill = COLOURS[min(j, len(COLOURS) - 1)] if side == "src" else "#1f5f8b"
            out.append(
                f'<rect x="{x}" y="{top + y:.1f}" width="{node_w}" height="{h:.1f}" fill="{fill}"/>'
            )
            name = label(n)
            text = texts[side][n]
            tx, anchor = (x - 6, "end") if side == "src" else (x + node_w + 6, "start")
            out.append(
                f'<text x="{tx}" y="{top + y + h / 2 + 4:.1f}" text-anchor="{anchor}"'
                f' class="lbl sankey-{side}"><title>{escape(name)}</title>{escape(text)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))
