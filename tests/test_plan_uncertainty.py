"""``pcf reduce --bom --iterations N``: a reduction plan under Monte Carlo draws of the BOM's
background inventory (supply_chain.plan_uncertainty).

The BOM is 100 kWh of the Heijungs & Suh electricity (``write_uncertain_hs``: lognormal fuel
input, lognormal CO2 of electricity, lognormal electricity input of fuel); the one lever cuts
electricity's own CO2 by 40 % (``scale`` factor 0.6). Static, by hand: λ_elec = 0.121212 kg
CO2/kWh (λ·A = B with A = [[10, -5], [-2, 100]], B = [1, 10]), so the pack is 12.1212; the
supply of electricity per kWh delivered is x = 1/9.9 = 0.10101, so the lever cuts
0.4 x 1 x 0.10101 x 100 = 4.0404 (33.3 %). Per draw the cut is 0.4 x q x B⁽ᵗ⁾[co2, elec] x
x⁽ᵗ⁾_elec: checked against numpy from the same draws, as is the chance of meeting the cap.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pcf.app import app

DB = "plan-unc-test"
TIMEOUT = 60
runner = CliRunner()
Q = 100.0  # kWh of electricity per widget
STATIC = Q * 1.2 / 9.9  # λ_elec = (1 + 2 λ_fuel)/10, λ_fuel = 10.5/99: 0.121212 kg/kWh
CUT = 0.4 * Q * 1.0 / 9.9  # x_elec = 1/9.9 kWh of electricity made per kWh delivered


@pytest.fixture(scope="module")
def files(project, write_uncertain_hs, bw_dir, tmp_path_factory):
    import bw2data as bd

    write_uncertain_hs(DB)
    d = tmp_path_factory.mktemp("plan-unc")
    (d / "bom.csv").write_text(
        "part,parent,quantity,unit,activity\n"
        "widget,,,piece,\n"
        f"power,widget,{Q},kilowatt hour,{DB}|elec\n"
    )
    (d / "levers.csv").write_text(
        "lever,node,actor,kind,cost,product,delta,change,part,activity,old,new,share,factor,"
        "amount\n"
        f"less-co2,power,Power Co.,efficiency,100,widget,{CUT!r},scale,,{DB}|elec,"
        "hs-biosphere|co2,,,0.6,\n"
    )
    (d / "baseline.csv").write_text(f"product,footprint,volume\nwidget,{STATIC!r},1\n")
    yield bw_dir, d
    del bd.databases[DB]


def reduce(bw_dir, d, *extra, code=0):
    args = ["--data-dir", str(bw_dir), "reduce", "--levers", d / "levers.csv"]
    args += ["--baseline", d / "baseline.csv", "--target", "30%", "--bom", d / "bom.csv"]
    args += ["--method", "HS|CO2", "--json", *extra]
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return json.loads(r.stdout) if code == 0 else " ".join(r.stderr.split())


def model_and_plan(bw_dir, d):
    from lca.footprint import FootprintEngine
    from lca.project import open_project
    from supply_chain import SupplyChainModel, read_bom, read_lever_changes
    from supply_chain.levers import parse_target, read_problem, solve_target

    problem = read_problem(d / "levers.csv", d / "baseline.csv", None, None)
    plan = solve_target(problem, parse_target("30%"))
    model = SupplyChainModel(
        read_bom(d / "bom.csv"), FootprintEngine(open_project(bw_dir)), "HS|CO2"
    )
    return model, problem, plan, read_lever_changes(d / "levers.csv")


def by_hand(spec, n):
    """Before and cut per draw from the drawn entries, with dense numpy solves."""
    from supply_chain.plan_uncertainty import draws_of

    tv, bv = draws_of(spec, 0, n)
    t, b = spec.tech, spec.bio
    before, cut = np.empty(n), np.empty(n)
    elec = next(r for r, c, v in zip(t.row, t.col, t.amount) if r == c and v == 10.0)
    co2 = int(np.flatnonzero(spec.c)[0])
    for k in range(n):
        A = np.zeros(t.shape)
        np.add.at(A, (t.row, t.col), np.where(t.flip, -1.0, 1.0) * tv[:, k])
        B = np.zeros(b.shape)
        np.add.at(B, (b.row, b.col), bv[:, k])
        x = np.linalg.solve(A, np.eye(t.shape[0])[:, elec])  # supply per kWh delivered
        before[k] = Q * spec.c @ B @ x
        cut[k] = 0.4 * Q * B[co2, elec] * x[elec]
    return before, cut


def test_static_model_is_the_hand_computation(files):
    bw_dir, d = files
    model, _problem, plan, changes = model_and_plan(bw_dir, d)
    assert plan.chosen == ["less-co2"]
    assert model.total == pytest.approx(STATIC, rel=1e-12)
    assert model.apply([changes["less-co2"]]).total == pytest.approx(STATIC - CUT, rel=1e-12)


def test_reduction_per_draw_is_share_times_the_drawn_exchange(files):
    from supply_chain.plan_uncertainty import build, plan_uncertainty

    bw_dir, d = files
    model, problem, plan, changes = model_and_plan(bw_dir, d)
    res = plan_uncertainty(model, problem, plan, changes, 100, seed=3)
    spec, cap = build(model, problem, plan, changes, 100, 3)
    assert cap == pytest.approx(0.7 * STATIC, rel=1e-12)
    before, cut = by_hand(spec, 100)
    np.testing.assert_allclose(res.before, before, rtol=1e-10)
    np.testing.assert_allclose(res.reduction, cut, rtol=1e-9)
    assert np.std(cut) > 0.05 * np.mean(cut)  # the draws do move the cut
    want = float(np.mean(before - cut <= cap * (1 + 1e-9) + 1e-12))
    assert 0.0 < want < 1.0 and res.probability == want

    out = reduce(bw_dir, d, "--iterations", 100, "--seed", 3)["plan_uncertainty"]
    assert out["n_draws"] == 100 and out["probability_target_met"] == want
    for key, x in (("before", before), ("after", before - cut), ("reduction", cut)):
        q = np.quantile(x, [0.05, 0.5, 0.95])
        assert [out[key][p] for p in ("p05", "p50", "p95")] == pytest.approx(q, rel=1e-9)


def test_workers_give_the_single_process_result_bit_for_bit(files, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.delenv("PCF_DASK_SCHEDULER", raising=False)
    bw_dir, d = files
    one = reduce(bw_dir, d, "--iterations", 70, "--seed", 11)
    two = reduce(bw_dir, d, "--iterations", 70, "--seed", 11, "--workers", 2)
    assert two["plan_uncertainty"] == one["plan_uncertainty"]
    assert one["plan_uncertainty"]["n_draws"] == 70


def test_text_output_fits_80_columns(files):
    bw_dir, d = files
    args = ["--data-dir", str(bw_dir), "reduce", "--levers", d / "levers.csv"]
    args += ["--baseline", d / "baseline.csv", "--target", "30%", "--bom", d / "bom.csv"]
    args += ["--method", "HS|CO2", "--iterations", 20]
    r = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "80"})
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "plan under 20 draws" in r.stdout and "reduction" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (("--iterations", 50), r"--iterations 50: give --bom too"),
        (("--iterations", 1, "--bom", "BOM"), r"--iterations 1: give at least 2 draws"),
        (("--workers", 2), r"--workers 2: only with --iterations"),
    ],
)
def test_bad_options_exit_1_naming_the_option(tmp_path, extra, expect):
    import re

    bom = tmp_path / "bom.csv"
    bom.write_text("part,parent,quantity,unit\nw,,,piece\n")
    levers = tmp_path / "levers.csv"
    levers.write_text("lever,node,actor,kind,cost,product,delta\n")
    base = tmp_path / "baseline.csv"
    base.write_text("product,footprint\nw,1\n")
    args = ["--data-dir", str(tmp_path / "bw"), "reduce", "--levers", levers, "--baseline", base]
    args += ["--target", "30%", *(bom if a == "BOM" else a for a in extra)]
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert re.search(expect, " ".join(r.stderr.split())), r.stderr
    assert "internal error" not in r.stderr.lower()


def test_pcf_electricity_cut_follows_the_drawn_grid(shipped, bw_dir):
    """The shipped pack with the budget of the cathode plant's wind lever alone (500,000): the
    supplier PCF falls by 10 kWh/kg x 2 kg/kWh x 60 kWh x (λ_grid − λ_wind) in each draw, so
    the cut per draw is the static cut x (λ_grid⁽ᵗ⁾ − λ_wind⁽ᵗ⁾) / (λ_grid − λ_wind), with λ
    solved here with numpy from the same draws."""
    import datetime as dt
    from pathlib import Path

    from lca.footprint import FootprintEngine
    from pcf.commands.bom import supplier_pcfs
    from supply_chain import SupplyChainModel, read_bom, read_lever_changes
    from supply_chain.levers import read_problem, solve_budget
    from supply_chain.plan_uncertainty import build, draws_of, plan_uncertainty

    b = Path(__file__).resolve().parents[1] / "inventories" / "bom"
    problem = read_problem(b / "battery-pack-levers.csv", b / "battery-pack-baseline.csv")
    plan = solve_budget(problem, 500_000)
    assert plan.chosen == ["cathode-green"]
    pcfs = supplier_pcfs(
        [b / "battery-pack-cathode-pcf.json", b / "battery-pack-supplier-pcfs.csv"], "error"
    )
    model = SupplyChainModel(
        read_bom(b / "battery-pack-bom.csv"), FootprintEngine(shipped), "gwp100", pcfs,
        dt.date(2026, 1, 1),
    )  # fmt: skip
    changes = read_lever_changes(b / "battery-pack-levers.csv")
    static_cut = model.total - model.verify(["cathode-green"], changes, {}).footprint_exact
    ch = changes["cathode-green"]
    lam = model.intensities([ch.old, ch.new])
    # 10 kWh per kg of cathode material, 2 kg per kWh of cell, 60 kWh of cells per pack
    assert static_cut == pytest.approx(10 * 2 * 60 * (lam[ch.old] - lam[ch.new]), rel=1e-9)
    n = 40
    res = plan_uncertainty(model, problem, plan, changes, n, seed=5)
    spec, _ = build(model, problem, plan, changes, n, 5)
    sysm = model.base.background.system
    rows = [sysm.product_index[model.engine.node(k).id] for k in (ch.old, ch.new)]
    tv, bv = draws_of(spec, 0, n)
    t, bio = spec.tech, spec.bio
    keep_t, keep_b = (t.row >= 0) & (t.col >= 0), (bio.row >= 0) & (bio.col >= 0)
    want = np.empty(n)
    for k in range(n):
        A = np.zeros(t.shape)
        sign = np.where(t.flip, -1.0, 1.0)
        np.add.at(A, (t.row[keep_t], t.col[keep_t]), (sign * tv[:, k])[keep_t])
        B = np.zeros(bio.shape)
        np.add.at(B, (bio.row[keep_b], bio.col[keep_b]), bv[keep_b, k])
        lam_t = np.linalg.solve(A.T, B.T @ spec.c)  # λ A = c B
        want[k] = static_cut * (lam_t[rows[0]] - lam_t[rows[1]]) / (lam[ch.old] - lam[ch.new])
    np.testing.assert_allclose(res.reduction, want, rtol=1e-7)
    assert np.std(want) > 0.01 * np.mean(want)
