"""The illustrative battery-pack supply chain (inventories/bom/battery-pack-*), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GREET = 41.79  # kg CO2e per kWh of LFP battery materials (pcf-background, float32-stored)
GRID = 0.5306  # China grid 2023, kg CO2 per kWh
ALU = 20.0  # primary aluminium, China
WIND = 0.0324
RECYCLED = 0.5


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.importer import import_inventory

    import_inventory(project, ROOT / "inventories" / "background" / "pcf-background.csv")
    import_inventory(project, ROOT / "inventories" / "products" / "li-ion-cell.csv")
    return FootprintEngine(project)


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    from supply_chain.demo import demo_supply_chain

    out = tmp_path_factory.mktemp("supply-demo")
    return demo_supply_chain(engine, out), out


@pytest.fixture(scope="module")
def model(engine):
    from supply_chain.demo import load_pack

    return load_pack(engine)


def hand_total():
    """The pack by hand from its parts (quantities from battery-pack-bom.csv, illustrative)."""
    cell = 2.0 * 9.0 + 0.65 * GREET + 57.5 * GRID  # cathode PCF + other materials + factory
    housing = 40 * (1.0 / 0.9 * ALU + 1.5 * GRID)  # 10 % loss; forming electricity
    return 60 * cell + housing + 70.0 + 120 * GRID  # cells, housing, BMS PCF, assembly


def test_rollup_equals_hand_computation(model):
    r = model.base
    assert r.total == pytest.approx(hand_total(), rel=1e-6)  # float32 storage of factors
    src = r.table["source"]
    assert src["cathode-material"] == "supplier_pcf" and src["bms"] == "supplier_pcf"
    assert src["cell-manufacturing"] == "brightway"
    assert r.table.loc["cell-manufacturing", "source_ref"] == "pcf-products|lfp-cell-manufacturing-cn"
    assert src["housing-aluminium"] == "brightway" and src["cells"] == "bom"
    # emission-weighted primary share: cathode 60 %, BMS 40 %, the rest secondary
    pds = (60 * 2 * 9.0 * 60 + 70 * 40) / r.total
    assert r.summary()["primary_data_share"] == pytest.approx(pds, rel=1e-6)


def test_lever_effects_come_from_the_model(model):
    from supply_chain.demo import PACK_LEVERS, read_lever_changes

    d = model.effects(read_lever_changes(PACK_LEVERS))
    assert d["cell-wind-50"] == pytest.approx(60 * 57.5 * 0.5 * (GRID - WIND), rel=1e-6)
    assert d["cell-efficiency"] == pytest.approx(60 * 7.5 * GRID, rel=1e-5)
    assert d["cathode-green"] == pytest.approx(60 * 2 * 10 * (GRID - WIND), rel=1e-6)
    assert d["housing-recycled-50"] == pytest.approx(40 / 0.9 * 0.5 * (ALU - RECYCLED), rel=1e-6)
    assert d["pack-solar"] == pytest.approx(120 * (GRID - 0.052), rel=1e-6)
    assert d["bms-switch"] == pytest.approx(25.0)
    # each lever alone: the exact re-solve equals the estimate (tree-shaped system)
    changes = read_lever_changes(PACK_LEVERS)
    for k in ("cell-wind-50", "housing-recycled-80", "cathode-green"):
        exact = model.total - model.apply([changes[k]]).total
        assert exact == pytest.approx(d[k], rel=1e-9)


def test_demo_plan_meets_target_and_exact_resolve_confirms(demo):
    s, out = demo
    assert s["plan"]["status"] == "optimal" and s["plan"]["met"]
    cap = s["target"]["cap_per_unit"]
    assert cap == pytest.approx(0.7 * s["before"])
    v = s["verification"]
    assert v["target_met_exact"] and s["after"]["exact"] <= cap
    assert v["exact_reduction"] == pytest.approx(v["linear_reduction"], rel=1e-9)
    assert set(s["plan"]["chosen"]) == {"cell-wind-50", "cathode-green", "housing-recycled-50"}
    assert s["plan"]["cost"] == pytest.approx(2_050_000)
    assert s["greedy"]["cost"] >= s["plan"]["cost"]  # the MILP is never worse than the MACC walk
    assert "cell-wind-100" not in s["plan"]["chosen"]  # takes effect in 2031
    assert s["shipped_files_current"] == {"baseline": True, "levers": True, "stale_levers": []}
    for f in s["files"].values():
        assert Path(f).exists()
    assert json.loads((out / "battery-pack-summary.json").read_text())["plan"]["chosen"] == \
        s["plan"]["chosen"]


def test_plan_is_the_brute_force_optimum(demo, model):
    import itertools

    from supply_chain.demo import pack_problem

    s, _ = demo
    problem, _c, _ = pack_problem(model)
    levers = [lv for lv in problem.levers if (lv.year or 0) <= 2030]
    need = 0.3 * model.total
    best = None
    for n in range(len(levers) + 1):
        for combo in itertools.combinations(levers, n):
            ids = {lv.id for lv in combo}
            groups = [lv.exclusive_group for lv in combo if lv.exclusive_group]
            if len(groups) != len(set(groups)) or any(set(lv.excludes) & ids for lv in combo):
                continue
            if sum(lv.effects["battery-pack"] for lv in combo) >= need * (1 - 1e-9):
                cost = sum(lv.cost for lv in combo)
                best = cost if best is None else min(best, cost)
    assert s["plan"]["cost"] == pytest.approx(best)


def test_scorecard_and_hotspots(demo):
    import pandas as pd

    s, out = demo
    card = pd.read_csv(out / "battery-pack-scorecard.csv")
    assert card["supplier"].iloc[0] == "Example Cell Co."  # largest share, biggest lever
    assert card["share"].sum() == pytest.approx(1.0)
    hot = pd.read_csv(out / "battery-pack-hotspots.csv")
    for by, t in hot[hot.breakdown != "path"].groupby("breakdown"):
        assert t["value"].sum() == pytest.approx(s["before"], rel=1e-9), by


def test_bad_lever_change_is_located(model, tmp_path):
    from supply_chain.demo import PACK_LEVERS, read_lever_changes
    from supply_chain.levers import LeverError

    text = PACK_LEVERS.read_text().replace(",bom_replace,housing-aluminium,",
                                           ",bom_swap,housing-aluminium,", 1)
    bad = tmp_path / "levers.csv"
    bad.write_text(text)
    with pytest.raises(LeverError, match=r"levers.csv:6 .*bom_swap"):
        read_lever_changes(bad)
    text = PACK_LEVERS.read_text().replace(",pcf_switch,bms,", ",pcf_switch,bms-nope,", 1)
    bad.write_text(text)
    with pytest.raises(LeverError, match="bms-nope"):
        model.effects(read_lever_changes(bad))
