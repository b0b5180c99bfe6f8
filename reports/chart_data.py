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
    """
    from .render import dataset_name, translate

    node = engine.node(result.product)
    sysm = engine.system_for([node])
    lam = np.asarray(engine.intensities(sysm, [result.method]))[0]
    total = result.total or 1.0
    flows: dict[tuple[str, str], float] = {}

    def label(act) -> str:
        loc = act.get("location")
        return dataset_name(act.key, act["name"], lang) + (f" [{loc}]" if loc else "")

    def add(src: str, dst: str, v: float) -> None:
        flows[(src, dst)] = flows.get((src, dst), 0.0) + v

    def walk(act, units: float, value: float, level: int) -> None:
        me = label(act)
        prod = sum(e["amount"] for e in act.production()) or 1.0
        children = []
        for exc in act.technosphere():
            inp = exc.input
            col = sysm.activity_index.get(inp.id)
            if col is None or inp.key == act.key:
                continue
            u = units * exc["amount"] / prod
            children.append((u * lam[col], inp, u))
        children.sort(key=lambda c: -abs(c[0]))
        shown = [c for c in children[:max_children] if abs(c[0]) >= min_share * abs(total)]
        upstream = sum(c[0] for c in children)
        other = upstream - sum(c[0] for c in shown)
        direct = value - upstream
        if (shown or other) and abs(direct) >= min_share * abs(total):
            add(translate("flow.direct", lang, name=me), me, direct)
        if abs(other) >= min_share * abs(total):
            add(translate("flow.other", lang, name=me), me, other)
        for v, inp, u in shown:
            add(label(inp), me, v)
            if level + 1 < depth:
                walk(inp, u, v, level + 1)

    walk(node, result.amount, result.total, 0)
    return [Flow(s, t, v) for (s, t), v in flows.items() if v > 0]


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
