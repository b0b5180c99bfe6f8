"""Report charts, each in two forms from the same data: a static matplotlib PNG (for the PDF)
and an interactive plotly figure (for the HTML, plotly.js inlined by :mod:`reports.render`).

The data they draw (plain lists, testable without drawing) come from :mod:`reports.chart_data`.
matplotlib and plotly are imported inside the drawing functions on purpose: they are heavy and
needed only when a chart is drawn.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from lca.project import cache_key, cached, file_stamp, package_versions

from .chart_data import Flow, waterfall_steps
from .render import cjk_font, num

log = logging.getLogger(__name__)

COLORS = ["#1b6a8a", "#e0812d", "#3a9a5b", "#b5443b", "#7d5ba6", "#8c6d4f", "#c25a9c", "#6f7f8c"]
POS, NEG, TOTAL = "#b5443b", "#3a9a5b", "#1b6a8a"


# -- the chart cache ------------------------------------------------------------------------------
def _canonical(o):
    """JSON for what :func:`json.dumps` cannot write: arrays by content, dataclasses by field."""
    import numpy as np

    if isinstance(o, np.ndarray):
        a = np.ascontiguousarray(o)
        return {"ndarray": [str(a.dtype), list(a.shape), hashlib.sha256(a.tobytes()).hexdigest()]}
    if isinstance(o, np.generic):
        return o.item()
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return {"dataclass": type(o).__qualname__, **dataclasses.asdict(o)}
    raise TypeError(f"{type(o).__name__} is not a chart argument the cache can key")


@functools.cache
def _drawing_code() -> str:
    """What a chart also depends on besides its arguments: the drawing code (this module, the
    chart data, the number formats in :mod:`reports.render`, the plant sheet's charts), the
    drawing libraries' versions and the CJK font (file, size, time)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("charts.py", "chart_data.py", "render.py", "plant.py"):
        h.update((here / name).read_bytes())
    h.update(json.dumps(package_versions("matplotlib", "plotly", "numpy")).encode())
    font = cjk_font()
    if font is not None:
        h.update(json.dumps([os.path.realpath(font), file_stamp(font)]).encode())
    return h.hexdigest()


def cached_chart(draw: Callable[..., str]) -> Callable[..., str]:
    """``draw`` (a chart function: plain arguments in, an SVG data URI or a plotly ``<div>``
    out) served from the ``charts`` cache (:func:`reports.render.cached`) when it has drawn the
    same arguments before with the same code, libraries and fonts: a warm report does not
    import matplotlib or plotly, nor lay out its charts again. The drawing is deterministic
    (fixed SVG id salt, div ids from the figure), so a cached chart is the one it would draw.
    Arguments the cache cannot key (not JSON, an array or a dataclass) are drawn every time."""

    @functools.wraps(draw)
    def chart(*args, **kwargs) -> str:
        try:
            text = json.dumps([args, kwargs], default=_canonical, allow_nan=True)
        except (TypeError, ValueError):
            return draw(*args, **kwargs)
        key = cache_key("chart", draw.__module__, draw.__qualname__, _drawing_code(), text)
        return cached("charts", key, ".txt", lambda: draw(*args, **kwargs).encode("utf-8")).decode(
            "utf-8"
        )

    return chart


# -- static (matplotlib) --------------------------------------------------------------------------
class _Figures:
    """What the drawing functions used from ``matplotlib.pyplot``, without pyplot: a
    :class:`matplotlib.figure.Figure` on the Agg canvas (pyplot costs ~0.3 s to import, keeps
    every figure in a global registry until closed and picks a GUI backend)."""

    @staticmethod
    def subplots(figsize):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig, fig.subplots()

    @property
    def Rectangle(self):
        from matplotlib.patches import Rectangle

        return Rectangle


@contextlib.contextmanager
def mpl_figure(lang: str) -> Iterator[_Figures]:
    import matplotlib
    from matplotlib import font_manager

    rc = {
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "svg.fonttype": "none",
        # the SVG's clip-path and glyph ids from a fixed salt, not a random one per process: the
        # same chart is the same bytes, so the PDF of an unchanged report comes from the cache
        "svg.hashsalt": "pcf",
    }
    if lang == "zh":
        font = cjk_font()
        if font:
            font_manager.fontManager.addfont(str(font))
            name = font_manager.FontProperties(fname=str(font)).get_name()
            rc["font.sans-serif"] = [name, "DejaVu Sans"]
            rc["font.family"] = "sans-serif"
    with matplotlib.rc_context(), warnings.catch_warnings():
        # matplotlib's own defaults, not the user's matplotlibrc, then ours: a chart is a function
        # of its data, the code and the library (what the chart cache keys it by)
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(rc)
        # Without a CJK font matplotlib warns per missing glyph; the render module logs it once.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        yield _Figures()


def png(fig) -> str:
    """The figure as an SVG data URI (the name stays for the callers): vector lines, and text
    kept as text (``svg.fonttype: none``), so the PDF shows every label sharp and its text can
    be extracted, searched and checked (every stage label in full)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _width(ch: str) -> int:
    """Display width of a character: 2 for CJK (full-width), 1 otherwise."""
    return 2 if _CJK.match(ch) else 1


def wrap(s: str, width: int = 28) -> str:
    r"""``s`` on as many lines as it needs, none wider than ``width`` columns (a CJK character
    is two columns): every label is shown in full, never cut off with an ellipsis.

    >>> wrap("electricity, China national grid average", 22)
    'electricity, China\nnational grid average'
    >>> wrap("原材料获取和预处理", 8)
    '原材料获\n取和预处\n理'
    """
    lines: list[str] = []
    for word in re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*", s):
        w = sum(_width(c) for c in word.rstrip())
        cur = lines[-1] if lines else None
        if cur is not None and sum(_width(c) for c in cur) + w <= width:
            lines[-1] = cur + word
        else:
            if lines:
                lines[-1] = lines[-1].rstrip()
            lines.append(word)
    return "\n".join(line.rstrip() for line in lines)


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@cached_chart
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
        n = len(steps) + 1
        col = max(12, int(90 / n))  # label width in columns: the bars share 6.4 in of 7 pt text
        labels = [wrap(by_stage[k], col) for k, _, _ in steps] + [wrap(total_label, col)]
        lines = max(label.count("\n") + 1 for label in labels)
        fig, ax = plt.subplots(figsize=(6.4, 2.4 + 0.13 * lines))
        for i, (k, a, b) in enumerate(steps):
            ax.bar(i, b - a, bottom=a, color=POS if b >= a else NEG, width=0.6)
            ax.text(i, max(a, b), value_label(b - a), ha="center", va="bottom", fontsize=7)
        ax.bar(len(steps), total, color=TOTAL, width=0.6)
        ax.text(len(steps), total, value_label(total), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(n), labels, fontsize=7)
        ax.margins(y=0.12)  # room for the value above the highest bar
        ax.set_ylabel(unit)
        return png(fig)


def value_label(v: float) -> str:
    """A bar's value as printed on it: 3 significant digits, thousands separators.

    >>> value_label(41.7905), value_label(1880.4), value_label(-0.01234)
    ('41.8', '1,880', '-0.0123')
    """
    return num(v, 3)


@cached_chart
def static_bars(labels: list[str], values: list[float], unit: str, lang: str) -> str:
    """Horizontal bars with each label in full (wrapped) and its value at the bar's end."""
    with mpl_figure(lang) as plt:
        wrapped = [wrap(s, 44) for s in labels]
        heights = [0.16 * (w.count("\n") + 1) + 0.14 for w in wrapped]
        fig, ax = plt.subplots(figsize=(6.4, sum(heights) + 0.7))
        y = -np.cumsum(heights) + np.asarray(heights) / 2
        ax.barh(
            y,
            values,
            height=np.asarray(heights) * 0.7,
            color=[POS if v >= 0 else NEG for v in values],
        )
        ax.set_yticks(y, wrapped, fontsize=7)
        ax.set_ylim(y[-1] - heights[-1] / 2, 0)
        ax.set_xlabel(unit)
        for yi, v in zip(y, values):
            ax.text(
                v,
                yi,
                f" {value_label(v)}",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=7,
            )
        ax.margins(x=0.12)  # room for the value at the end of the longest bar
        return png(fig)


def percentile_marks(unc: dict, deterministic: float, labels: dict[str, str]):
    """The vertical lines of the uncertainty histogram: ``(x, label, style)`` for the
    percentiles the report's table cites (2.5th, median, 97.5th) and the deterministic result,
    each label with its value; ``labels`` maps ``p2_5, median, p97_5, deterministic`` to text.
    """
    marks = [
        (unc["p2_5"], labels["p2_5"], ":"),
        (unc["median"], labels["median"], "-"),
        (unc["p97_5"], labels["p97_5"], ":"),
        (deterministic, labels["deterministic"], "det"),
    ]
    return [(float(x), f"{text} {num(x, 4)}", style) for x, text, style in marks]


@cached_chart
def static_uncertainty(
    unc: dict,
    deterministic: float,
    unit: str,
    freq_label: str,
    lang: str,
    labels: dict[str, str] | None = None,
) -> str:
    """Histogram of the draws with the cited percentiles and the deterministic result as
    labelled lines; labels that would collide are stacked on separate rows above the plot."""
    labels = labels or {
        "p2_5": "P2.5",
        "median": "P50",
        "p97_5": "P97.5",
        "deterministic": "deterministic",
    }
    with mpl_figure(lang) as plt:
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        samples = unc.get("samples")
        if samples is not None and len(samples):
            ax.hist(np.asarray(samples, dtype=float), bins=40, color="#9cc3d5")
            ax.set_ylabel(freq_label)
        else:
            ax.hlines(0, unc["p2_5"], unc["p97_5"], color=TOTAL, lw=6)
            ax.set_yticks([])
        marks = percentile_marks(unc, deterministic, labels)
        lo, hi = ax.get_xlim()
        top = ax.get_ylim()[1]
        rows: list[float] = []  # right end (data x) of the last label on each row
        per_char = (hi - lo) / 95.0  # 6 pt text on a 6.4 in axis: ~95 characters across
        for x, text, style in sorted(marks):
            colour = POS if style == "det" else "#333333"
            ax.axvline(x, color=colour, ls="-" if style == "det" else style, lw=1.1)
            half = len(text) * per_char / 2
            row = next((i for i, end in enumerate(rows) if x - half > end), len(rows))
            if row == len(rows):
                rows.append(x + half)
            else:
                rows[row] = x + half
            ax.annotate(
                text,
                (x, top),
                xytext=(0, 2 + 8 * row),
                textcoords="offset points",
                fontsize=6,
                ha="center",
                va="bottom",
                color=colour,
                annotation_clip=False,
            )
        ax.set_xlabel(unit)
        return png(fig)


@cached_chart
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
                label=wrap(lever, 40),
            )
        ax.axhline(0, color="#333333", lw=0.8)
        ax.set_xlabel(abatement_label)
        ax.set_ylabel(cost_label)
        ax.legend(fontsize=6, loc="upper left", frameon=False)
        return png(fig)


@cached_chart
def static_sankey(flows: list[Flow], lang: str) -> str:
    """A left-to-right Sankey: suppliers (left) to the product (right); band width = kg CO2e.
    No two node labels overlap (placed by their rendered size, :func:`sankey_label_boxes`)."""
    with mpl_figure(lang) as plt:
        fig, _ = _sankey_figure(plt, flows)
        return png(fig)


def sankey_label_boxes(flows: list[Flow], lang: str) -> list[tuple[str, tuple]]:
    """``(label, (x0, y0, x1, y1))`` of each node label of :func:`static_sankey` as rendered
    (display units): what a test checks for overlaps."""
    with mpl_figure(lang) as plt:
        fig, labels = _sankey_figure(plt, flows)
        renderer = fig.canvas.get_renderer()
        out = []
        for t in labels:
            b = t.get_window_extent(renderer)
            out.append((t.get_text(), (b.x0, b.y0, b.x1, b.y1)))
        return out


#: Sankey geometry in inches (the axis is drawn in inches): node bar, the label lane right of
#: each node column (no band crosses it, so no label sits on a band), the least gap for bands
SANKEY_NODE, SANKEY_LANE, SANKEY_GAP, SANKEY_WIDTH = 0.06, 1.05, 0.3, 7.0
SANKEY_WRAP = 24  # columns of a label line: 24 x ~3 pt at 5.5 pt fits the lane


def _sankey_figure(plt, flows: list[Flow]):
    """The Sankey figure and its label artists (:func:`static_sankey`).

    Columns left to right: suppliers to the product. Each column is a node bar and, right of
    it, a lane for the nodes' labels; the bands run from the end of the source's lane to the
    target's bar, so they never pass under a label."""
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
    most = max(len(names) for names in per_level)
    texts = {n: wrap(n, SANKEY_WRAP) + f"\n{value_label(size[n])}" for n in size}
    # figure height: the tallest column of labels must fit (5.5 pt text, 1.3 line spacing)
    need = max(
        sum(texts[n].count("\n") + 1 for n in names) * 5.5 * 1.3 / 72 + 0.06 * len(names)
        for names in per_level
    )
    height = max(0.9 + 0.9 * most, need / 0.92 + 0.3)
    column_w = SANKEY_NODE + SANKEY_LANE
    gap_w = max(SANKEY_GAP, (SANKEY_WIDTH - 0.1 - n_levels * column_w) / max(n_levels - 1, 1))
    width = n_levels * column_w + (n_levels - 1) * gap_w + 0.1
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_position((0, 0, 1, 1))
    ax.axis("off")
    ax.set_xlim(0, width)
    gap = 0.05
    scale = (1 - gap * (most - 1)) / max(sum(size[n] for n in names) for names in per_level)
    ax.set_ylim(-0.02, 1.02)
    columns: list[list] = []  # per column: [(node, centre, text artist, leader line)]
    pos: dict[str, list[float]] = {}  # node -> [x, out cursor, in cursor]
    for lv, names in enumerate(per_level):
        x = 0.05 + (n_levels - 1 - lv) * (column_w + gap_w)  # the bar's left edge
        y = 1.0
        wanted = []
        for n in sorted(names, key=lambda n: -size[n]):
            h = size[n] * scale
            pos[n] = [x, y - h, y - h]
            ax.add_patch(plt.Rectangle((x, y - h), SANKEY_NODE, h, color="#333333", zorder=3))
            lines = texts[n].count("\n") + 1
            wanted.append((n, y - h / 2, lines * 5.5 * 1.3 / 72 / (height * 1.04) + 0.012))
            y -= h + gap
        column = []
        tx = x + SANKEY_NODE + 0.05
        for (n, centre, _), yl in zip(wanted, label_positions(wanted)):
            (leader,) = ax.plot([x + SANKEY_NODE, tx], [centre, yl], color="#777777", lw=0.5)
            text = ax.text(
                tx,
                yl,
                texts[n],
                fontsize=5.5,
                va="center",
                ha="left",
                zorder=4,
                linespacing=1.15,
            )
            column.append((n, centre, text, leader))
        columns.append(column)
    _place_labels(fig, ax, columns)
    # where each column's lane ends: its widest label as rendered (data units are inches)
    renderer = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    lane_end: dict[str, float] = {}
    for column in columns:
        ends_x = [inv.transform((t.get_window_extent(renderer).x1, 0))[0] for _, _, t, _ in column]
        end = max([pos[column[0][0]][0] + column_w, *ends_x]) + 0.03 if column else 0.0
        for n, _, _, _ in column:
            lane_end[n] = end
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
        # from the end of the source's label lane to the target's bar
        x0, x1 = lane_end[f.source], pos[f.target][0]
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
    labels = [text for column in columns for _, _, text, _ in column]
    return fig, labels


def _place_labels(fig, ax, columns) -> None:
    """Move each column's labels apart by their RENDERED heights (the text's extent measured by
    matplotlib's renderer, plus its white box's padding and a small gap) instead of an estimate; a
    label moved off its node keeps a leader line to it, one on its node has none."""
    fig.canvas.draw()  # the layout the text boxes are measured in
    renderer = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    (_, a), (_, b) = inv.transform([(0, 0), (0, 4)])  # 4 px: the white box's padding and a gap
    pad = abs(b - a)
    for column in columns:
        if not column:
            continue
        wanted = []
        for n, centre, text, _ in column:
            b = text.get_window_extent(renderer)
            (_, y0), (_, y1) = inv.transform([(b.x0, b.y0), (b.x1, b.y1)])
            wanted.append((n, centre, abs(y1 - y0) + pad))
        lo, hi = ax.get_ylim()
        for (_, centre, text, leader), yl in zip(
            column, label_positions(wanted, lo, hi), strict=True
        ):
            text.set_y(yl)
            leader.set_ydata([centre, yl])
            leader.set_visible(abs(yl - centre) > 1e-9)


def label_positions(
    wanted: list[tuple[str, float, float]], lo: float = -0.02, hi: float = 1.02
) -> list[float]:
    """Label centres for ``(name, wanted centre, height)`` in one column, top to bottom, as near
    to their nodes as they can be without overlapping (heights in the same axis units).

    >>> [round(v, 3) for v in label_positions([("a", 0.5, 0.2), ("b", 0.45, 0.2)])]
    [0.575, 0.375]
    """
    n = len(wanted)
    ys = [c for _, c, _ in wanted]
    hs = [h for _, _, h in wanted]
    for _ in range(200):  # push overlapping neighbours apart, half each way, until none overlap
        moved = False
        for i in range(n - 1):
            overlap = (ys[i] - hs[i] / 2) - (ys[i + 1] + hs[i + 1] / 2)
            if overlap < 0:
                ys[i] -= overlap / 2
                ys[i + 1] += overlap / 2
                moved = True
        if ys and ys[0] + hs[0] / 2 > hi:
            d = ys[0] + hs[0] / 2 - hi
            ys = [y - d for y in ys]
            moved = True
        if ys and ys[-1] - hs[-1] / 2 < lo:
            d = lo - (ys[-1] - hs[-1] / 2)
            ys = [y + d for y in ys]
            moved = True
        if not moved:
            break
    return ys


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
        # the page's embedded CJK font (reports.render.font_css) first: Chinese labels in the
        # chart show on any machine
        font={"size": 11, "family": '"PCF CJK", "Noto Sans SC", "DejaVu Sans", Arial, sans-serif'},
        template="simple_white",
    )
    # the div's id from the figure's content, not plotly's random uuid4: an unchanged report is
    # the same bytes run after run (two identical figures in one page would share it; no report
    # draws the same chart twice)
    div_id = "pcf-" + hashlib.sha256(fig.to_json().encode("utf-8")).hexdigest()[:20]
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False, "responsive": True},
        div_id=div_id,
    )


@cached_chart
def interactive_waterfall(
    labels: dict[str, str], values: dict[str, float], total: float, total_label: str, unit: str
) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Waterfall(
            x=[wrap(labels[k], 24).replace("\n", "<br>") for k in values]
            + [wrap(total_label, 24).replace("\n", "<br>")],
            y=list(values.values()) + [total],
            text=[value_label(v) for v in values.values()] + [value_label(total)],
            textposition="outside",
            measure=["relative"] * len(values) + ["total"],
            increasing={"marker": {"color": POS}},
            decreasing={"marker": {"color": NEG}},
            totals={"marker": {"color": TOTAL}},
        )
    )
    fig.update_yaxes(title_text=unit)
    fig.update_xaxes(automargin=True)
    return to_div(fig)


@cached_chart
def interactive_bars(labels: list[str], values: list[float], unit: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(
            x=values[::-1],
            y=[wrap(s, 50).replace("\n", "<br>") for s in labels[::-1]],
            orientation="h",
            text=[value_label(v) for v in values[::-1]],
            textposition="outside",
            cliponaxis=False,
            marker_color=[POS if v >= 0 else NEG for v in values[::-1]],
        )
    )
    fig.update_xaxes(title_text=unit)
    fig.update_yaxes(automargin=True)
    return to_div(fig)


@cached_chart
def interactive_uncertainty(
    unc: dict, deterministic: float, unit: str, labels: dict[str, str] | None = None
) -> str:
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
    labels = labels or {
        "p2_5": "P2.5",
        "median": "P50",
        "p97_5": "P97.5",
        "deterministic": "deterministic",
    }
    for i, (x, text, style) in enumerate(sorted(percentile_marks(unc, deterministic, labels))):
        fig.add_vline(
            x=x,
            line_dash="solid" if style in ("-", "det") else "dot",
            line_color=POS if style == "det" else "#333333",
            annotation_text=text,
            annotation_position="top" if i % 2 == 0 else "bottom",
        )
    fig.update_xaxes(title_text=unit)
    return to_div(fig)


@cached_chart
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


@cached_chart
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
