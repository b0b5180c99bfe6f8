"""Report charts, each in two forms from the same data: a static matplotlib PNG (for the PDF)
and an interactive plotly figure (for the HTML, plotly.js inlined by :mod:`reports.render`).

The data they draw (plain lists, testable without drawing) come from :mod:`reports.chart_data`.
matplotlib and plotly are imported inside the drawing functions on purpose: they are heavy and
needed only when a chart is drawn.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import textwrap
import warnings
from collections.abc import Iterator

import numpy as np

from .chart_data import Flow, waterfall_steps
from .render import cjk_font

log = logging.getLogger(__name__)

COLORS = ["#1b6a8a", "#e0812d", "#3a9a5b", "#b5443b", "#7d5ba6", "#8c6d4f", "#c25a9c", "#6f7f8c"]
POS, NEG, TOTAL = "#b5443b", "#3a9a5b", "#1b6a8a"


# -- static (matplotlib) --------------------------------------------------------------------------
@contextlib.contextmanager
def mpl_figure(lang: str) -> Iterator[object]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    rc = {
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "svg.fonttype": "none",
    }
    if lang == "zh":
        font = cjk_font()
        if font:
            font_manager.fontManager.addfont(str(font))
            name = font_manager.FontProperties(fname=str(font)).get_name()
            rc["font.sans-serif"] = [name, "DejaVu Sans"]
            rc["font.family"] = "sans-serif"
    with plt.rc_context(rc), warnings.catch_warnings():
        # Without a CJK font matplotlib warns per missing glyph; the render module logs it once.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        yield plt


def png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _short(s: str, n: int = 48) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def static_waterfall(
    by_stage: dict[str, str],
    values: dict[str, float],
    total: float,
    total_label: str,
    unit: str,
    lang: str,
) -> str:
    """Waterfall PNG (data URI); ``by_stage`` maps stage keys to display labels."""
    with mpl_figure(lang) as plt:
        steps = waterfall_steps(values)
        fig, ax = plt.subplots(figsize=(6.4, 2.6))
        for i, (k, a, b) in enumerate(steps):
            ax.bar(i, b - a, bottom=a, color=POS if b >= a else NEG, width=0.6)
            ax.text(i, max(a, b), f"{b - a:,.3g}", ha="center", va="bottom", fontsize=7)
        ax.bar(len(steps), total, color=TOTAL, width=0.6)
        ax.text(len(steps), total, f"{total:,.4g}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(
            range(len(steps) + 1),
            [_short(by_stage[k], 28) for k, _, _ in steps] + [total_label],
            fontsize=7,
        )
        ax.set_ylabel(unit)
        return png(fig)


def static_bars(labels: list[str], values: list[float], unit: str, lang: str) -> str:
    with mpl_figure(lang) as plt:
        fig, ax = plt.subplots(figsize=(6.4, 0.35 * len(labels) + 0.8))
        y = np.arange(len(labels))[::-1]
        ax.barh(y, values, color=[POS if v >= 0 else NEG for v in values])
        ax.set_yticks(y, [_short(s, 60) for s in labels], fontsize=7)
        ax.set_xlabel(unit)
        for yi, v in zip(y, values):
            ax.text(v, yi, f" {v:,.3g}", va="center", fontsize=7)
        return png(fig)


def static_uncertainty(
    unc: dict, deterministic: float, unit: str, freq_label: str, lang: str
) -> str:
    with mpl_figure(lang) as plt:
        fig, ax = plt.subplots(figsize=(6.4, 2.4))
        samples = unc.get("samples")
        if samples is not None and len(samples):
            ax.hist(np.asarray(samples, dtype=float), bins=40, color="#9cc3d5")
            ax.set_ylabel(freq_label)
        else:
            ax.hlines(0, unc["p2_5"], unc["p97_5"], color=TOTAL, lw=6)
            ax.set_yticks([])
        for key, style in (("p2_5", ":"), ("median", "-"), ("p97_5", ":")):
            ax.axvline(unc[key], color="#333333", ls=style, lw=1)
            ax.text(
                unc[key],
                ax.get_ylim()[1],
                key.replace("_", "."),
                fontsize=6,
                ha="center",
                va="bottom",
            )
        ax.axvline(deterministic, color=POS, lw=1.2)
        ax.set_xlabel(unit)
        return png(fig)


def static_macc(bars, cost_label: str, abatement_label: str, lang: str) -> str:
    with mpl_figure(lang) as plt:
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        for i, (lever, x, w, mac) in enumerate(bars):
            ax.bar(
                x,
                mac,
                width=w,
                align="edge",
                color=COLORS[i % len(COLORS)],
                edgecolor="white",
                label=_short(lever, 40),
            )
        ax.axhline(0, color="#333333", lw=0.8)
        ax.set_xlabel(abatement_label)
        ax.set_ylabel(cost_label)
        ax.legend(fontsize=6, loc="upper left", frameon=False)
        return png(fig)


def static_sankey(flows: list[Flow], lang: str) -> str:
    """A left-to-right Sankey: suppliers (left) to the product (right); band width = kg CO2e."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    nodes = _sankey_levels(flows)
    size: dict[str, float] = {}
    for f in flows:
        size[f.target] = size.get(f.target, 0.0) + f.value
    for f in flows:  # leaves: what they send
        if f.source not in size:
            size[f.source] = sum(g.value for g in flows if g.source == f.source)
    n_levels = max(nodes.values()) + 1
    per_level = [[n for n in nodes if nodes[n] == lv] for lv in range(n_levels)]
    gap = 0.05
    most = max(len(names) for names in per_level)
    scale = (1 - gap * (most - 1)) / max(sum(size[n] for n in names) for names in per_level)
    with mpl_figure(lang) as plt:
        fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.9 * most))
        ax.axis("off")
        pos: dict[str, list[float]] = {}  # node -> [x, out cursor, in cursor]
        for lv, names in enumerate(per_level):
            x = (n_levels - 1 - lv) / max(n_levels - 1, 1)
            y = 1.0
            for n in sorted(names, key=lambda n: -size[n]):
                h = size[n] * scale
                pos[n] = [x, y - h, y - h]
                ax.add_patch(plt.Rectangle((x - 0.005, y - h), 0.01, h, color="#333333", zorder=3))
                text = "\n".join(textwrap.wrap(n, 30)[:3]) + f"\n{size[n]:,.3g}"
                ax.text(
                    x + 0.012,
                    y - h / 2,
                    text,
                    fontsize=5.5,
                    va="center",
                    ha="left",
                    zorder=4,
                    bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 0.5},
                )
                y -= h + gap
        # Stack bands so they do not cross: cursors run bottom-up, so a node's incoming bands
        # go in the order of their sources' heights and its outgoing ones in their targets'.
        centre = {n: p[1] + size[n] * scale / 2 for n, p in pos.items()}
        ends: dict[int, list[float]] = {}
        for k, f in sorted(
            enumerate(flows), key=lambda kf: (centre[kf[1].target], centre[kf[1].source])
        ):
            ends.setdefault(k, [0.0, 0.0])[0] = pos[f.source][1]
            pos[f.source][1] += f.value * scale
        for k, f in sorted(
            enumerate(flows), key=lambda kf: (centre[kf[1].source], centre[kf[1].target])
        ):
            ends[k][1] = pos[f.target][2]
            pos[f.target][2] += f.value * scale
        for i, (k, f) in enumerate(sorted(enumerate(flows), key=lambda kf: -kf[1].value)):
            h = f.value * scale
            x0, x1 = pos[f.source][0] + 0.005, pos[f.target][0] - 0.005
            y0, y1 = ends[k]
            xm = (x0 + x1) / 2
            verts = [
                (x0, y0),
                (xm, y0),
                (xm, y1),
                (x1, y1),
                (x1, y1 + h),
                (xm, y1 + h),
                (xm, y0 + h),
                (x0, y0 + h),
                (x0, y0),
            ]
            codes = [
                MPath.MOVETO,
                MPath.CURVE4,
                MPath.CURVE4,
                MPath.CURVE4,
                MPath.LINETO,
                MPath.CURVE4,
                MPath.CURVE4,
                MPath.CURVE4,
                MPath.CLOSEPOLY,
            ]
            ax.add_patch(
                PathPatch(MPath(verts, codes), color=COLORS[i % len(COLORS)], alpha=0.45, lw=0)
            )
        ax.set_xlim(-0.02, 1.3)
        ax.set_ylim(-0.02, 1.02)
        return png(fig)


def _sankey_levels(flows: list[Flow]) -> dict[str, int]:
    """Level 0 = the product (a target that is never a source); suppliers further left."""
    sources = {f.source for f in flows}
    level = {f.target: 0 for f in flows if f.target not in sources}
    for _ in range(len(flows) + 1):
        changed = False
        for f in flows:
            if f.target in level and level.get(f.source, -1) < level[f.target] + 1:
                level[f.source] = level[f.target] + 1
                changed = True
        if not changed:
            break
    return level


# -- interactive (plotly) ---------------------------------------------------------------------
def to_div(fig) -> str:
    fig.update_layout(
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        height=360,
        font={"size": 11},
        template="simple_white",
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True}
    )


def interactive_waterfall(
    labels: dict[str, str], values: dict[str, float], total: float, total_label: str, unit: str
) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Waterfall(
            x=[labels[k] for k in values] + [total_label],
            y=list(values.values()) + [total],
            measure=["relative"] * len(values) + ["total"],
            increasing={"marker": {"color": POS}},
            decreasing={"marker": {"color": NEG}},
            totals={"marker": {"color": TOTAL}},
        )
    )
    fig.update_yaxes(title_text=unit)
    return to_div(fig)


def interactive_bars(labels: list[str], values: list[float], unit: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(
            x=values[::-1],
            y=labels[::-1],
            orientation="h",
            marker_color=[POS if v >= 0 else NEG for v in values[::-1]],
        )
    )
    fig.update_xaxes(title_text=unit)
    return to_div(fig)


def interactive_uncertainty(unc: dict, deterministic: float, unit: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    samples = unc.get("samples")
    if samples is not None and len(samples):
        fig.add_trace(
            go.Histogram(
                x=np.asarray(samples, dtype=float).tolist(),
                nbinsx=40,
                marker_color="#9cc3d5",
                name="draws",
            )
        )
    else:
        fig.add_trace(
            go.Scatter(
                x=[unc["p2_5"], unc["p97_5"]],
                y=[0, 0],
                mode="lines",
                line={"width": 10, "color": TOTAL},
                name="95 %",
            )
        )
    for key in ("p2_5", "median", "p97_5"):
        fig.add_vline(x=unc[key], line_dash="dot", annotation_text=key.replace("_", "."))
    fig.add_vline(x=deterministic, line_color=POS)
    fig.update_xaxes(title_text=unit)
    return to_div(fig)


def interactive_macc(bars, cost_label: str, abatement_label: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (lever, x, w, mac) in enumerate(bars):
        fig.add_trace(
            go.Bar(
                x=[x + w / 2], y=[mac], width=[w], name=lever, marker_color=COLORS[i % len(COLORS)]
            )
        )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title_text=abatement_label)
    fig.update_yaxes(title_text=cost_label)
    return to_div(fig)


def interactive_sankey(flows: list[Flow]) -> str:
    import plotly.graph_objects as go

    names = list(dict.fromkeys([f.source for f in flows] + [f.target for f in flows]))
    idx = {n: i for i, n in enumerate(names)}
    fig = go.Figure(
        go.Sankey(
            node={"label": names, "pad": 12, "thickness": 12},
            link={
                "source": [idx[f.source] for f in flows],
                "target": [idx[f.target] for f in flows],
                "value": [f.value for f in flows],
            },
        )
    )
    return to_div(fig)
