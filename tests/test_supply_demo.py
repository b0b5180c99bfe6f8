"""The illustrative battery-pack supply chain (inventories/bom/battery-pack-*), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.greet import GREET_LFP

ROOT = Path(__file__).resolve().parent.parent
# kg CO2e per kWh of LFP battery materials (pcf-background greet2024-lfp-battery-materials): GREET
# 2024's gases per kg battery (Inputs/LIB_upstream_GHG.csv @984aa083, CAR / 300mile / LFP) over
# 142.9 Wh/kg, IPCC 2021 GWP100: CO2 + CH4 x 29.8 + N2O x 273 + CF4 x 7380 + C2F6 x 12400 + land-use
# CO2 (the 69.6 g/kg biogenic uptake is not characterised) = 42.5048
GREET = GREET_LFP
GRID = 0.5777 + 0.0327  # China grid at consumer: MEE 2024 footprint + T&D with losses, kg CO2e/kWh
ALU = 20.0  # primary aluminium, China
WIND = 0.0324
RECYCLED = 0.5
# cell-factory energy of pcf-products|lfp-cell-manufacturing-cn: Degen et al. 2023, LFP cells,
# kWh per kWh of cell capacity (inventories/products/li-ion-cell.csv)
FACTORY = 37.5


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.imports import import_inventory

    import_inventory(project, ROOT / "inventories" / "background" / "pcf-background.csv")
    # the cell's materials are the pack chain's cell share (lfp-pack.csv): imported first
    import_inventory(project, ROOT / "inventories" / "products" / "lfp-pack.csv")
    import_inventory(project, ROOT / "inventories" / "products" / "li-ion-cell.csv")
    return FootprintEngine(project)


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    from pcf.demo.supply_chain import demo_supply_chain

    out = tmp_path_factory.mktemp("supply-demo")
    return demo_supply_chain(engine, out), out


@pytest.fixture(scope="module")
def model(engine):
    from pcf.demo.supply_chain import load_pack

    return load_pack(engine)


def hand_total():
    """The pack by hand from its parts (quantities from battery-pack-bom.csv, illustrative)."""
    cell = 2.0 * 9.0 + 0.65 * GREET + FACTORY * GRID  # cathode PCF + other materials + factory
    housing = 40 * (1.0 / 0.9 * ALU + 1.5 * GRID)  # 10 % loss; forming electricity
    return 60 * cell + housing + 70.0 + 120 * GRID  # cells, housing, BMS PCF, assembly


def test_rollup_equals_hand_computation(model):
    r = model.base
    assert r.total == pytest.approx(hand_total(), rel=1e-6)  # float32 storage of factors
    src = r.table["source"]
    assert src["cathode-material"] == "supplier_pcf" and src["bms"] == "supplier_pcf"
    assert src["cell-manufacturing"] == "brightway"
    assert (
        r.table.loc["cell-manufacturing", "source_ref"] == "pcf-products|lfp-cell-manufacturing-cn"
    )
    assert src["housing-aluminium"] == "brightway" and src["cells"] == "bom"
    # emission-weighted primary share: cathode 60 %, BMS 40 %, the rest secondary
    pds = (60 * 2 * 9.0 * 60 + 70 * 40) / r.total
    assert r.summary()["primary_data_share"] == pytest.approx(pds, rel=1e-6)


def test_lever_effects_come_from_the_model(model):
    from pcf.demo.supply_chain import PACK_LEVERS
    from supply_chain.levers import read_lever_changes

    d = model.effects(read_lever_changes(PACK_LEVERS))
    assert d["cell-wind-50"] == pytest.approx(60 * FACTORY * 0.5 * (GRID - WIND), rel=1e-6)
    # 37.5 -> 30 kWh per kWh of cell (factor 0.8 in the levers file)
    assert d["cell-efficiency"] == pytest.approx(60 * (FACTORY - 30) * GRID, rel=1e-5)
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
    assert cap == pytest.approx(0.7 * s["before"])  # the stated −30 %
    assert s["target"]["cap_portfolio"] == pytest.approx(cap * s["volume"])
    v = s["verification"]
    assert v["target_met_exact"] and s["after"]["exact"] <= cap
    # tree-shaped system: the first plan holds exactly, so the cap was never tightened
    assert v["solves"] == 1 and s["target"]["tightening_per_unit"] == 0
    assert s["target"]["solved_cap_per_unit"] == pytest.approx(cap)
    assert v["exact_reduction"] == pytest.approx(v["linear_reduction"], rel=1e-9)
    # −30 % of 5,179.85 = 1,554.0 kg per pack: cell-wind-50 (650.25, 1.2 M) + cathode-green
    # (693.6, 0.5 M) leave 210.1; pack-solar (67.0) + bms-switch (25) are too small, and
    # housing-recycled-50 (433.3, 350 k) closes it for less than cell-efficiency (274.7, 900 k)
    assert set(s["plan"]["chosen"]) == {"cell-wind-50", "cathode-green", "housing-recycled-50"}
    assert s["plan"]["cost"] == pytest.approx(2_050_000)
    assert s["greedy"]["cost"] >= s["plan"]["cost"]  # the MILP is never worse than the MACC walk
    assert "cell-wind-100" not in s["plan"]["chosen"]  # takes effect in 2031
    assert s["shipped_files_current"] == {"baseline": True, "levers": True, "stale_levers": []}
    for f in s["files"].values():  # names inside the output folder, no local path
        assert (out / f).exists()
    assert json.loads((out / "battery-pack-summary.json").read_text()) == s
    assert not list(out.glob(".pcf-staged-*"))  # every step wrote through the staged writer


def test_plan_is_the_brute_force_optimum(demo, model):
    import itertools

    from pcf.demo.supply_chain import pack_problem

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
    assert card["Supplier"].iloc[0] == "Example Cell Co."  # largest share, biggest lever
    # readable columns with units, rounded: shares in % to 0.01, emissions in t
    assert card["Share of portfolio footprint (%)"].sum() == pytest.approx(100.0, abs=0.03)
    raw = {r["supplier"]: r for r in s["scorecard"]}
    for r in card.to_dict("records"):
        k = raw[r["Supplier"]]
        # contribution = share x pack footprint x 10,000 packs per year, kg -> t, kept to 5
        # significant digits (half a unit in the 5th: 5e-5 relative)
        t = r["Emissions attributed (t CO2e per year)"]
        assert t == pytest.approx(k["contribution"] / 1000, rel=5e-5)
        assert t == pytest.approx(k["share"] * s["before"] * s["volume"] / 1000, rel=5e-5)
        assert r["Share of portfolio footprint (%)"] == pytest.approx(100 * k["share"], abs=0.005)
    cell = card.set_index("Supplier").loc["Example Cell Co."]
    # the cell supplier's intensity is per kWh of cell capacity (the BOM's unit of "cells")
    assert cell["Unit of scored part"] == "kilowatt hour"
    assert cell["Intensity / benchmark (ratio)"] == pytest.approx(
        cell["Intensity (kg CO2e per unit of part)"]
        / cell["Database benchmark (kg CO2e per unit of part)"],
        abs=0.01,
    )
    assert card.set_index("Supplier").loc["Example Housing Co.", "Unit of scored part"] == (
        "kilogram"
    )
    assert "Best lever cost (EUR per t CO2e abated)" in card.columns
    text = (out / "battery-pack-scorecard.csv").read_text()
    assert "30032100.747" not in text and "0.582924495" not in text  # no raw floats
    hot = pd.read_csv(out / "battery-pack-hotspots.csv")
    for by, t in hot[hot.breakdown != "path"].groupby("breakdown"):
        assert t["value"].sum() == pytest.approx(s["before"], rel=1e-9), by


def test_bad_lever_change_is_located(model, tmp_path):
    from pcf.demo.supply_chain import PACK_LEVERS
    from supply_chain.levers import LeverError, read_lever_changes

    text = PACK_LEVERS.read_text().replace(
        ",bom_replace,housing-aluminium,", ",bom_swap,housing-aluminium,", 1
    )
    bad = tmp_path / "levers.csv"
    bad.write_text(text)
    with pytest.raises(LeverError, match=r"levers.csv:6 .*bom_swap"):
        read_lever_changes(bad)
    text = PACK_LEVERS.read_text().replace(",pcf_switch,bms,", ",pcf_switch,bms-nope,", 1)
    bad.write_text(text)
    with pytest.raises(LeverError, match="bms-nope"):
        model.effects(read_lever_changes(bad))


def test_supplier_quality_weights_each_supplier_by_its_own_emissions():
    """An intermediate part's rolled-up share mixes in its components: a supplier is rated on
    its own emissions only (hand-computed, no Brightway).

    P ← A (Asm, direct 2, 100 % primary, DQR 1/1/1) ← 2 kg C (Sup, PCF 4 /kg, 50 %, DQR 3/2/3);
    P ← D (Asm, direct 1, 0 % primary, DQR 2/2/2). Rolled up, A is 60 % primary with a
    technological DQR of 2.6; Asm's own parts are (2·100 + 1·0)/3 % primary, TeR (2·1 + 1·2)/3.
    """
    from supply_chain.bom import add_part, new_bom
    from supply_chain.pcfs import SupplierPCF
    from supply_chain.roll_up import rollup
    from supply_chain.suppliers import supplier_quality

    G = new_bom("P", "piece", supplier="Buyer")
    add_part(
        G,
        "A",
        "P",
        1,
        "piece",
        direct=2.0,
        supplier="Asm",
        dqr={"technological": 1.0, "geographical": 1.0, "temporal": 1.0},
    )
    add_part(G, "C", "A", 2.0, "kg", pcf="c1", supplier="Sup")
    add_part(
        G,
        "D",
        "P",
        1,
        "piece",
        direct=1.0,
        direct_primary_share=0.0,
        supplier="Asm",
        dqr={"technological": 2.0, "geographical": 2.0, "temporal": 2.0},
    )
    pcf = SupplierPCF(
        "c1",
        4.0,
        "kilogram",
        primary_data_share=50.0,
        dqr={"technological": 3.0, "geographical": 2.0, "temporal": 3.0},
    )
    r = rollup(G, pcfs=[pcf])
    assert r.table.loc["A", "primary_data_share"] == pytest.approx(60.0)  # mixed with C
    contrib, quality = supplier_quality(r)
    assert list(contrib) == ["Asm", "Sup"]  # Buyer has no own emissions
    assert contrib == pytest.approx({"Asm": 3.0, "Sup": 8.0})
    assert quality["Asm"] == pytest.approx(
        {"primary_share": 2 / 3, "ter": 4 / 3, "ger": 4 / 3, "tir": 4 / 3}
    )
    assert quality["Sup"] == pytest.approx(
        {"primary_share": 0.5, "ter": 3.0, "ger": 2.0, "tir": 3.0}
    )
    # the suppliers' own shares add up to the product's roll-up
    total = sum(contrib[k] * quality[k]["primary_share"] for k in contrib) * 100 / r.total
    assert total == pytest.approx(r.summary()["primary_data_share"])
    # a supplier whose DQR covers only part of its emissions gets none
    del G.nodes["D"]["dqr"]
    _c, quality = supplier_quality(rollup(G, pcfs=[pcf]))
    assert set(quality["Asm"]) == {"primary_share"} and "ter" in quality["Sup"]


def test_supplier_inputs_of_the_pack(model):
    from pcf.demo.supply_chain import PACK_SUPPLIERS
    from supply_chain.suppliers import supplier_inputs

    contributions, intensity, _bench, quality = supplier_inputs(model, PACK_SUPPLIERS)
    assert sum(v["battery-pack"] for v in contributions.values()) == pytest.approx(model.total)
    assert intensity["Example Cathode Co."] == pytest.approx(9.0)  # its PCF per kg
    assert quality["Example Cathode Co."] == pytest.approx(
        {"primary_share": 0.6, "ter": 2.0, "ger": 2.0, "tir": 1.0}
    )
    assert quality["Example BMS Co. A"]["primary_share"] == pytest.approx(0.4)
    assert quality["Example Cell Co."]["primary_share"] == pytest.approx(0.0)


def _toy_problem():
    from supply_chain.levers import Lever, ReductionProblem

    levers = [
        Lever(id="A", node="a", kind="efficiency", cost=1, effects={"p": 30.0}),
        Lever(id="B", node="b", kind="efficiency", cost=2, effects={"p": 35.0}),
        Lever(id="C", node="c", kind="efficiency", cost=10, effects={"p": 50.0}),
    ]
    return ReductionProblem(levers=levers, baseline={"p": 100.0}, volumes={"p": 10.0})


def _verify_with_gaps(gaps):
    """Exact check of a toy plan: the linear footprint plus a known error per lever."""
    from supply_chain.model import ExactCheck

    effects = {"A": 30.0, "B": 35.0, "C": 50.0}

    def verify(chosen):
        lin = 100.0 - sum(effects[k] for k in chosen)
        exact = lin + sum(gaps.get(k, 0.0) for k in chosen)
        return ExactCheck(100.0, 100.0 - lin, 100.0 - exact, lin, exact, exact - lin, [])

    return verify


def test_resolve_is_checked_against_the_stated_target():
    """−30 % of 100 is a cap of 70. Plan A (cut 30) really ends at 72: the cap is tightened by
    the gap to 68 and B (cut 35, really 31) is chosen: 69 meets the stated 70 and the loop stops
    there, though 69 is above the tightened cap. The stated cap is reported, the tightening
    beside it."""
    from supply_chain.levers import solve_verified

    vp = solve_verified(_toy_problem(), "30%", _verify_with_gaps({"A": 2.0, "B": 4.0}), "p")
    plan, ver, caps = vp.plan, vp.verification(), vp.caps()
    assert plan.chosen == ["B"] and plan.cost == 2
    assert ver["footprint_exact"] == pytest.approx(69.0) and ver["target_met_exact"] is True
    assert ver["solves"] == 2 and ver["product"] == "p"
    assert caps["cap_per_unit"] == pytest.approx(70.0)
    assert caps["cap_portfolio"] == pytest.approx(700.0)  # 10 units a year
    assert caps["solved_cap_per_unit"] == pytest.approx(68.0)
    assert caps["tightening_per_unit"] == pytest.approx(2.0)


def test_exact_footprint_missing_the_stated_target_is_reported():
    from supply_chain.levers import solve_verified

    # every plan misses by 25: no lever set meets 70 exactly within the solves allowed
    vp = solve_verified(
        _toy_problem(),
        "30%",
        _verify_with_gaps({"A": 25.0, "B": 25.0, "C": 25.0}),
        "p",
        max_solves=2,
    )
    ver, caps = vp.verification(), vp.caps()
    assert ver["target_met_exact"] is False and ver["solves"] == 2
    assert caps["cap_per_unit"] == pytest.approx(70.0)
    assert ver["footprint_exact"] > caps["cap_per_unit"]
    # no gap: one solve, nothing tightened
    vp = solve_verified(_toy_problem(), "30%", _verify_with_gaps({}), "p")
    plan, ver, caps = vp.plan, vp.verification(), vp.caps()
    assert plan.chosen == ["A"] and ver["solves"] == 1 and ver["target_met_exact"] is True
    assert caps["tightening_per_unit"] == 0 and caps["solved_cap_per_unit"] == 70.0


def test_effects_use_the_levers_formulas(model, monkeypatch):
    """BOM relinks and supplier electricity go through λ·s·δA (levers.lever_effects), PCF
    changes through levers.effects_from_supplier_pcf; the numbers are checked above."""
    import supply_chain.model as levers_mod
    from pcf.demo.supply_chain import PACK_LEVERS
    from supply_chain.levers import read_lever_changes

    calls = []
    for name in ("lever_effects", "effects_from_supplier_pcf"):
        real = getattr(levers_mod, name)

        def spy(*a, _real=real, _name=name, **k):
            calls.append(_name)
            return _real(*a, **k)

        monkeypatch.setattr(levers_mod, name, spy)
    changes = read_lever_changes(PACK_LEVERS)
    used = {}
    for kind in ("bom_replace", "pcf_electricity", "pcf_switch"):
        calls.clear()
        model.effects({k: ch for k, ch in changes.items() if ch.change == kind})
        used[kind] = set(calls)
    assert used == {
        "bom_replace": {"lever_effects"},
        "pcf_electricity": {"lever_effects", "effects_from_supplier_pcf"},
        "pcf_switch": {"effects_from_supplier_pcf"},
    }


def test_write_hotspots_writes_all_files_or_none(tmp_path, monkeypatch):
    """The files are built in memory first: a failure while building leaves nothing behind."""
    import supply_chain.hotspot_analysis as hotspots
    from supply_chain.bom import add_part, new_bom
    from supply_chain.roll_up import rollup

    G = new_bom("bike")
    add_part(G, "frame", "bike", 1, "piece", direct=2.0, supplier="F Ltd")
    add_part(G, "steel", "frame", 4.0, "kg", direct=2.0, supplier="S AG")
    r = rollup(G)
    files = hotspots.write_hotspots(r, tmp_path / "ok", prefix="bike")
    assert sorted(Path(f).name for f in files.values()) == sorted(
        p.name for p in (tmp_path / "ok").iterdir()
    )
    assert len(files) == 4

    def broken(o):
        raise RuntimeError("JSON could not be built")

    monkeypatch.setattr(hotspots, "jsonable", broken)  # fails after the CSV texts exist
    out = tmp_path / "failed"
    with pytest.raises(RuntimeError, match="JSON could not be built"):
        hotspots.write_hotspots(r, out, prefix="bike")
    assert not out.exists() or not list(out.iterdir())


def test_demo_step_failing_leaves_no_partial_step(engine, tmp_path, monkeypatch):
    """The supply-chain demo's files are one set (issue 9): a step that fails late leaves none
    of them, not even the earlier steps' (and no staging folder)."""
    import pcf.demo.supply_chain as demo_mod

    def broken(*a, **k):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(demo_mod, "supplier_scores", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="scoring failed"):
        demo_mod.demo_supply_chain(engine, out)
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.parametrize(
    "name", ["illustrative-supplier-pcf.json", "battery-pack-cathode-pcf.json"]
)
def test_shipped_supplier_pcfs_pass_every_semantic_rule(name, caplog):
    """The PACT documents we ship as examples raise no warning of the semantic validator (the
    illustrative electricity PCF once had a validity end past referencePeriodEnd + 3 years,
    rule S10, and every ``pcf demo`` printed it)."""
    import logging

    from supply_chain.pcfs import read_pact

    with caplog.at_level(logging.WARNING):
        (pcf,) = read_pact(ROOT / "inventories" / "bom" / name)
    assert [r.getMessage() for r in caplog.records] == []
    end = pcf.reference_period[1]
    assert pcf.validity_period[1] <= end.replace(year=end.year + 3)
