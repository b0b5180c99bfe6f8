"""The data the report charts draw: plain lists, testable without drawing.

- :func:`waterfall_steps` — stage contributions, cumulative, ending at the total;
- :func:`supply_chain_flows` — cumulative kg CO2e along supplier edges, from the product down
  ``depth`` tiers (``value = amount per unit × units on the path × λ``, ``λ = c B A⁻¹`` the
  cradle-to-gate intensity of the supplier), with each node's own direct emissions as a leaf;
- :func:`macc_bars` — levers ordered by marginal abatement cost, widths = abatement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def waterfall_steps(by_stage: dict[str, float]) -> list[tuple[str, float, float]]:
    """``(stage, start, end)`` bars: each stage starts where the previous ended.

    >>> waterfall_steps({"a": 2.0, "b": -0.5})
    [('a', 0.0, 2.0), ('b', 2.0, 1.5)]
    """
    out, level = [], 0.0
    for k, v in by_stage.items():
        out.append((k, level, level + v))
        level += v
    return out


@dataclass
class Flow:
    source: str  # label of the upstream node
    target: str
    value: float


def supply_chain_flows(
    engine,
    result,
    depth: int = 3,
    max_children: int = 6,
    min_share: float = 0.005,
    lang: str = "en",
) -> list[Flow]:
    """Supplier-to-customer flows of the result's score (see module doc).

    Children below ``min_share`` of the total, or beyond the ``max_children`` largest of a node,
    are pooled into one "other suppliers" leaf so every node's inflows add up to its value.
    Node labels are the datasets' names in ``lang`` (:func:`reports.render.dataset_name`).

    A node is a dataset at one tier. A node at the depth limit whose supplier is already a node
    of the chart gets that edge too (one tier further), so the depth limit does not hide part of
    a dataset that the chart shows. A node whose value is not the dataset's whole contribution
    to the product (``sⱼ λⱼ``, ``s = A⁻¹ f``: every path; the results table's figure for a
    dataset without suppliers) -- a dataset reached on several paths or tiers -- says so in its
    label (``chart.sankey_part``: "x of y in total").
    """
    from lca import maths

    from .render import dataset_name, num, translate

    node = engine.node(result.product)
    sysm = engine.system_for([node])
    lam = np.asarray(engine.intensities(sysm, [result.method]))[0]
    total = result.total or 1.0
    flows: dict[tuple, float] = {}  # ((source, tier), (target, tier)) -> value
    acts: dict[str, object] = {}  # label -> activity
    boundary: dict[str, list] = {}  # label -> [activity, units, value] not walked (depth)

    def label(act) -> str:
        loc = act.get("location")
        name = dataset_name(act.key, act["name"], lang) + (f" [{loc}]" if loc else "")
        acts[name] = act
        return name

    def add(src: str, dst: str, level: int, v: float) -> None:
        k = ((src, level + 1), (dst, level))
        flows[k] = flows.get(k, 0.0) + v

    def children_of(act, units: float) -> list:
        prod = sum(e["amount"] for e in act.production()) or 1.0
        out = []
        for exc in act.technosphere():
            inp = exc.input
            col = sysm.activity_index.get(inp.id)
            if col is None or inp.key == act.key:
                continue
            u = units * exc["amount"] / prod
            out.append((u * lam[col], inp, u))
        out.sort(key=lambda c: -abs(c[0]))
        return out

    def pool(me: str, level: int, value: float, children: list, shown: list) -> None:
        upstream = sum(c[0] for c in children)
        other = upstream - sum(c[0] for c in shown)
        direct = value - upstream
        if (shown or other) and abs(direct) >= min_share * abs(total):
            add(translate("flow.direct", lang, name=me), me, level, direct)
        if abs(other) >= min_share * abs(total):
            add(translate("flow.other", lang, name=me), me, level, other)

    def walk(act, units: float, value: float, level: int) -> None:
        me = label(act)
        children = children_of(act, units)
        shown = [c for c in children[:max_children] if abs(c[0]) >= min_share * abs(total)]
        pool(me, level, value, children, shown)
        for v, inp, u in shown:
            src = label(inp)
            add(src, me, level, v)
            if level + 1 < depth:
                walk(inp, u, v, level + 1)
            else:
                b = boundary.setdefault(src, [inp, 0.0, 0.0])
                b[1] += u
                b[2] += v

    walk(node, result.amount, result.total, 0)
    # a supplier of a node at the depth limit that the chart shows elsewhere: linked too
    shown_names = {n for k in flows for n, _ in k}
    for me, (act, units, value) in boundary.items():
        children = children_of(act, units)
        more = [c for c in children if label(c[1]) in shown_names and label(c[1]) != me]
        if more:
            pool(me, depth, value, children, more)
            for v, inp, _u in more:
                add(label(inp), me, depth, v)
    # each node's value in the chart: what it sends (the product: what it receives)
    value: dict[tuple, float] = {}
    for (src, dst), v in flows.items():
        value[src] = value.get(src, 0.0) + v
    f = engine.demand_vector(sysm, node, result.amount if result.amount else 1.0)
    s = maths.supply(sysm.fact, f)
    name: dict[tuple, str] = {}
    for nk, v in value.items():
        act = acts.get(nk[0])
        col = sysm.activity_index.get(act.id) if act is not None else None
        whole = float(s[col] * lam[col]) if col is not None else v
        if abs(whole - v) > 1e-6 * max(abs(whole), abs(total)):
            part = translate("chart.sankey_part", lang, value=num(v, 3), total=num(whole, 3))
            name[nk] = f"{nk[0]} ({part})"
    # a name is one node: the same dataset at two tiers with the same text stays apart
    seen: dict[str, tuple] = {}
    for nk in sorted({n for k in flows for n in k}, key=lambda n: n[1]):
        text = name.get(nk, nk[0])
        while text in seen and seen[text] != nk:
            text += " "
        seen[text] = nk
        name[nk] = text
    return [Flow(name[src], name[dst], v) for (src, dst), v in flows.items() if v > 0]


def macc_bars(plan) -> list[tuple[str, float, float, float]]:
    """``(lever, x_start, width, mac)`` from a DataFrame with ``lever``, ``abatement`` and
    ``mac`` (or ``cost``; ``mac = cost / abatement``), ordered by ``mac``."""
    df = plan.copy()
    if "mac" not in df.columns:
        df["mac"] = df["cost"] / df["abatement"]
    df = df[df["abatement"] > 0].sort_values("mac", kind="stable")
    out, x = [], 0.0
    for _, r in df.iterrows():
        out.append((str(r["lever"]), x, float(r["abatement"]), float(r["mac"])))
        x += float(r["abatement"])
    return out
