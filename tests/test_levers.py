"""Reduction levers: a five-lever instance solved by hand, MACC order, the Heijungs & Suh system.

The instance (two products, P1 = 100 and P2 = 50 kg CO2e per unit, volume 1 each):

======  ========  =====  ==============  ==========  =================
lever   node      cost   Δ P1 / Δ P2     abatement   note
======  ========  =====  ==============  ==========  =================
L1      S         10     20 / 10         30          shared supplier
L2      S          7     12 /  6         18          excludes L1 (group)
L3      F1         5      8 /  –          8
L4      F2         3      – /  5          5
L5      F1        12     15 /  –         15          from 2031
======  ========  =====  ==============  ==========  =================
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from lca.errors import PCFError
from supply_chain.levers import (
    ExchangeChange,
    Lever,
    LeverError,
    ReductionProblem,
    Target,
    estimate_effects,
    evaluate_plan,
    greedy_plan,
    lever_effects,
    load_levers_csv,
    macc,
    parse_target,
    read_problem,
    solve_budget,
    solve_target,
    system_sensitivities,
    verify_changes,
)


def levers():
    return [
        Lever(
            id="L1",
            node="S",
            kind="green_electricity",
            cost=10,
            effects={"P1": 20, "P2": 10},
            exclusive_group="S-power",
        ),
        Lever(
            id="L2",
            node="S",
            kind="green_electricity",
            cost=7,
            effects={"P1": 12, "P2": 6},
            exclusive_group="S-power",
        ),
        Lever(id="L3", node="F1", kind="efficiency", cost=5, effects={"P1": 8}),
        Lever(id="L4", node="F2", kind="transport_mode", cost=3, effects={"P2": 5}),
        Lever(id="L5", node="F1", kind="recycled_content", cost=12, effects={"P1": 15}, year=2031),
    ]


@pytest.fixture
def problem():
    return ReductionProblem(levers=levers(), baseline={"P1": 100.0, "P2": 50.0})


def test_cheapest_set_shared_supplier_counted_once(problem):
    # Portfolio 150, -20 % needs 30: L1 alone (cost 10, once) cuts 20 + 10 = 30 on two products.
    plan = solve_target(problem, "20%")
    assert plan.status == "optimal" and plan.met
    assert plan.chosen == ["L1"]
    assert plan.cost == pytest.approx(10.0)
    assert plan.cost_by_actor == {"S": 10.0}
    assert plan.footprint == pytest.approx({"P1": 80.0, "P2": 40.0})
    assert plan.portfolio_footprint == pytest.approx(120.0)
    assert plan.target_value == pytest.approx(120.0)


def test_each_product_target_shared_lever_serves_both(problem):
    # -20 % on each product: P1 needs 20, P2 needs 10; L1 does both for 10.
    plan = solve_target(problem, Target(value=20, scope="each"))
    assert plan.chosen == ["L1"] and plan.cost == pytest.approx(10.0)
    assert plan.targets == pytest.approx({"P1": 80.0, "P2": 40.0})
    df = plan.to_frame()
    assert list(df.columns) == ["product", "volume", "baseline", "reduction", "footprint", "target"]
    assert df["reduction"].tolist() == pytest.approx([20.0, 10.0])


def test_single_product_target(problem):
    # P2 alone to ≤ 44 (needs 6): L4 gives 5 (too little); L2 (7) gives 6; L1 (10) gives 10.
    plan = solve_target(problem, Target(kind="absolute", value=44, products=("P2",), scope="each"))
    assert plan.chosen == ["L2"] and plan.cost == pytest.approx(7.0)


def test_mutual_exclusion_respected_and_binding(problem):
    # -40 % needs 60. Without the L1/L2 exclusion L1+L2+L3+L4 = 61 would do; with it the best
    # is L1+L3+L4+L5 = 58 (cost 30), footprint 92 against a target of 90.
    plan = solve_target(problem, "40%")
    assert plan.status == "infeasible" and not plan.met
    assert not {"L1", "L2"} <= set(plan.chosen)
    assert sorted(plan.chosen) == ["L1", "L3", "L4", "L5"]
    assert plan.cost == pytest.approx(30.0)
    assert plan.portfolio_footprint == pytest.approx(92.0)
    assert plan.shortfall == pytest.approx(2.0)
    assert [(b.kind, b.name) for b in plan.binding] == [("exclusive_group", "S-power")]
    assert plan.binding[0].shortfall_if_relaxed == pytest.approx(0.0)


def test_actor_budget_and_exclusion_both_bind():
    # F1 may spend 10: L3 (5) fits, L5 (12) does not. -35 % needs 52.5; best is L1+L3+L4 = 43.
    # Relaxing the budget (L1+L3+L5 = 53) or the exclusion (L1+L2+L3+L4 = 61) each reach it.
    pb = ReductionProblem(levers=levers(), baseline={"P1": 100.0, "P2": 50.0}, budgets={"F1": 10.0})
    plan = solve_target(pb, "35%")
    assert plan.status == "infeasible"
    assert sorted(plan.chosen) == ["L1", "L3", "L4"]
    assert plan.shortfall == pytest.approx(9.5)
    assert {(b.kind, b.name) for b in plan.binding} == {
        ("actor_budget", "F1"),
        ("exclusive_group", "S-power"),
    }
    assert all(b.shortfall_if_relaxed == pytest.approx(0.0) for b in plan.binding)


def test_year_binds(problem):
    # By 2030 L5 is not available: best L1+L3+L4 = 43 of 60 (shortfall 17); allowing L5 → 2.
    plan = solve_target(problem, Target(value=40, year=2030))
    assert "L5" not in plan.chosen and plan.shortfall == pytest.approx(17.0)
    by = {b.kind: b for b in plan.binding}
    assert by["year"].shortfall_if_relaxed == pytest.approx(2.0)
    assert by["exclusive_group"].shortfall_if_relaxed == pytest.approx(0.0)


def test_target_beyond_all_levers(problem):
    # All levers together cut at most 76 of 150 (ignoring the exclusion): -60 % (90) is out.
    plan = solve_target(problem, "60%")
    assert plan.binding[0].kind == "target" and plan.binding[0].name == "portfolio"
    assert plan.portfolio_footprint == pytest.approx(92.0)  # the best achievable, as at -40 %


def test_budget_dual_beats_greedy(problem):
    # Budget 15: L1+L3 = 38 (cost 15) is best; the MACC walk takes L1, L4 (35), then L3 no
    # longer fits.
    plan = solve_budget(problem, 15.0)
    assert sorted(plan.chosen) == ["L1", "L3"]
    assert plan.portfolio_reduction == pytest.approx(38.0)
    greedy = greedy_plan(problem, budget=15.0)
    assert greedy.chosen == ["L1", "L4"] and greedy.portfolio_reduction == pytest.approx(35.0)


def test_budget_dual_picks_cheapest_of_equal_reductions():
    lv = [
        Lever(id="a", node="n", cost=5, effects={"p": 10}),
        Lever(id="b", node="n", cost=3, effects={"p": 10}, excludes=("a",)),
    ]
    plan = solve_budget(ReductionProblem(levers=lv, baseline={"p": 50}), 100.0)
    assert plan.chosen == ["b"] and plan.cost == 3.0


def test_macc_order(problem):
    df = macc(problem)
    # cost / abatement: L1 10/30, L2 7/18, L4 3/5, L3 5/8, L5 12/15
    assert df["lever"].tolist() == ["L1", "L2", "L4", "L3", "L5"]
    assert df["mac"].tolist() == pytest.approx([1 / 3, 7 / 18, 0.6, 0.625, 0.8])
    assert df["cumulative_abatement"].tolist() == pytest.approx([30, 48, 53, 61, 76])
    assert df["cumulative_cost"].tolist() == pytest.approx([10, 17, 20, 25, 37])


def test_macc_uses_volumes_and_leaves_out_harmful_levers():
    lv = [
        Lever(id="a", node="n", cost=4, effects={"p": 1, "q": 1}),
        Lever(id="b", node="m", cost=1, effects={"p": -2}),
    ]
    df = macc(ReductionProblem(levers=lv, baseline={"p": 10, "q": 10}, volumes={"p": 3, "q": 1}))
    assert df["lever"].tolist() == ["a"] and df["abatement"].tolist() == [4.0]
    assert df.attrs["left_out"] == ["b"]


def test_uncertainty_probability(problem):
    plan = solve_target(problem, "20%")  # L1: abatement exactly 30 = the requirement
    factors = np.ones((4, 5))
    factors[:, 0] = [0.5, 0.99, 1.01, 1.5]
    u = evaluate_plan(problem, plan, "20%", factors)
    assert u.probability == pytest.approx(0.5) and u.n_draws == 4
    assert u.footprint_quantiles["p50"] == pytest.approx(150 - 30 * 1.0)


# -- malformed input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, fault",
    [
        ({"id": "x", "node": "n", "cost": -1}, "cost"),
        ({"id": "x", "node": "n", "cost": float("nan")}, "cost"),
        ({"id": "x", "node": "n", "cost": 1, "kind": "magic"}, "kind"),
        ({"id": "x", "node": "n", "cost": 1, "effects": {"p": float("inf")}}, "'p'"),
        ({"id": "x", "node": "n", "cost": 1, "excludes": ("x",)}, "excludes itself"),
    ],
)
def test_bad_lever(kw, fault):
    with pytest.raises(LeverError, match=fault) as info:
        Lever(**kw)
    assert isinstance(info.value, PCFError) and isinstance(info.value, ValueError)
    assert info.value.lever == "x"


def test_bad_problem_names_what_is_at_fault():
    with pytest.raises(LeverError, match="'L9' acts on 'P3'") as info:
        ReductionProblem(
            levers=[Lever(id="L9", node="n", cost=1, effects={"P3": 1})], baseline={"P1": 1}
        )
    assert (info.value.lever, info.value.product) == ("L9", "P3")
    with pytest.raises(LeverError, match="duplicate lever id 'L1'"):
        ReductionProblem(levers=levers() + levers()[:1], baseline={"P1": 1, "P2": 1})
    with pytest.raises(LeverError, match="actor 'nobody'") as info:
        ReductionProblem(levers=levers(), baseline={"P1": 1, "P2": 1}, budgets={"nobody": 3})
    assert info.value.constraint == "budget:nobody"
    with pytest.raises(LeverError, match="Lever 'L1': cost"):
        ReductionProblem(levers=[{"id": "L1", "node": "n", "cost": -2}], baseline={"P1": 1})
    with pytest.raises(LeverError, match="within"):
        parse_target("130%")
    with pytest.raises(LeverError, match="cannot read target"):
        parse_target("thirty")


# -- CSV ------------------------------------------------------------------------------------
def test_read_problem_csv(tmp_path):
    (tmp_path / "levers.csv").write_text(
        "lever,node,actor,kind,cost,product,delta,exclusive_group,excludes,year,description\n"
        "L1,S,,green_electricity,10,P1,20,S-power,,,PPA\n"
        "L1,,,,,P2,10,,,,\n"
        "L2,S,,green_electricity,7,P1,12,S-power,,,rooftop PV\n"
        "L2,,,,,P2,6,,,,\n"
        "L3,F1,,efficiency,5,P1,8,,,,\n"
        "L4,F2,,transport_mode,3,P2,5,,,,\n"
        "L5,F1,,recycled_content,12,P1,15,,L4,2031,\n"
    )
    (tmp_path / "baseline.csv").write_text("product,footprint,volume\nP1,100,1\nP2,50,1\n")
    (tmp_path / "budgets.csv").write_text("actor,budget\nF1,10\n")
    pb = read_problem(tmp_path / "levers.csv", tmp_path / "baseline.csv", tmp_path / "budgets.csv")
    by = {lv.id: lv for lv in pb.levers}
    assert by["L1"].effects == {"P1": 20.0, "P2": 10.0} and by["L1"].actor == "S"
    assert by["L5"].excludes == ("L4",) and by["L5"].year == 2031
    assert pb.budgets == {"F1": 10.0}
    assert solve_target(pb, "20%").chosen == ["L1"]


def test_levers_csv_errors(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("lever,node,cost,product,delta\nL1,S,10,P1,20\nL1,T,,P2,1\n")
    with pytest.raises(LeverError, match=r"bad.csv:3 \(lever 'L1'\): node 'T' disagrees with 'S'"):
        load_levers_csv(f)
    f.write_text("lever,node,cost,product,delta\nL1,S,10,P1,lots\n")
    with pytest.raises(
        LeverError, match=r"bad.csv:2 \(lever 'L1'\): delta 'lots' is not a number"
    ) as info:
        load_levers_csv(f)
    assert info.value.product == "P1"
    f.write_text("lever,node,cost,product,delta\nL1,S,-3,P1,1\n")
    with pytest.raises(LeverError, match="cost"):
        load_levers_csv(f)
    f.write_text("lever,cost\nL1,3\n")
    with pytest.raises(LeverError, match="missing column"):
        load_levers_csv(f)


# -- Heijungs & Suh: first-order ΔA versus exact re-solve ------------------------------------
# A = [[10, 0], [-2, 100]] (10 kWh from 2 l fuel; 100 l fuel), B = [[1, 10], [0.1, 2], [0, 50]]
# (CO2, SO2, crude), f = 1000 kWh: s = (100, 2), CO2 = 100·1 + 2·10 = 120 kg, λ = (0.12, 0.1).
A_HS = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
B_HS = sp.csr_matrix([[1.0, 10.0], [0.1, 2.0], [0.0, 50.0]])
C_CO2 = np.array([1.0, 0.0, 0.0])
F_HS = np.array([[1000.0], [0.0]])

FUEL = Lever(
    id="fuel",
    node="electricity",
    kind="efficiency",
    cost=1,
    changes=[ExchangeChange(matrix="technosphere", row=1, col=0, delta=0.5)],
)  # 2 → 1.5 l per 10 kWh
GEN = Lever(
    id="gen",
    node="electricity",
    kind="efficiency",
    cost=1,
    changes=[ExchangeChange(matrix="technosphere", row=0, col=0, delta=2.5)],
)  # 10 → 12.5 kWh per run
SCRUB = Lever(
    id="scrub",
    node="fuel",
    kind="other",
    cost=1,
    changes=[ExchangeChange(matrix="biosphere", row=0, col=1, delta=-2.0)],
)  # 10 → 8 kg CO2 per 100 l


def test_sensitivities_heijungs_suh():
    lam, S = system_sensitivities(A_HS, B_HS, C_CO2, F_HS)
    assert lam.tolist() == pytest.approx([0.12, 0.1])
    assert S.ravel().tolist() == pytest.approx([100.0, 2.0])


def test_first_order_vs_exact_heijungs_suh():
    fuel, gen, scrub = estimate_effects([FUEL, GEN, SCRUB], A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    # fuel: λ_fuel s_elec δ = 0.1·100·0.5 = 5. Exact: s = (100, 1.5), CO2 = 100 + 15 = 115.
    assert fuel.effects["kwh"] == pytest.approx(5.0)
    v = verify_changes([fuel], A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    assert v.baseline[0] == pytest.approx(120.0)
    assert v.footprint[0] == pytest.approx(115.0) and v.exact[0] == pytest.approx(5.0)
    # generator: λ_elec s_elec δ = 0.12·100·2.5 = 30 (first order). Exact: s = (80, 1.6),
    # CO2 = 80 + 16 = 96, a cut of 24.
    assert gen.effects["kwh"] == pytest.approx(30.0)
    v = verify_changes([gen], A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    assert v.exact[0] == pytest.approx(24.0) and v.linear[0] == pytest.approx(30.0)
    # biosphere: −c δB s_fuel = 2·2 = 4, exact (linear in B).
    assert scrub.effects["kwh"] == pytest.approx(4.0)
    # all three: s = (80, 1.2), CO2 = 80·1 + 1.2·8 = 89.6 → exact 30.4 vs linear 5+30+4 = 39.
    v = verify_changes([fuel, gen, scrub], A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    assert v.footprint[0] == pytest.approx(89.6)
    assert v.linear[0] == pytest.approx(39.0) and v.exact[0] == pytest.approx(30.4)
    assert v.to_frame()["error"].tolist() == pytest.approx([39.0 - 30.4])
    # the inputs were not modified
    assert A_HS.toarray().tolist() == [[10.0, 0.0], [-2.0, 100.0]]


def test_lever_effects_many_demands():
    lam, S = system_sensitivities(A_HS, B_HS, C_CO2, np.array([[1000.0, 0.0], [0.0, 100.0]]))
    # per 100 l fuel demand the electricity lever does nothing; the scrubber saves 2 kg
    d = lever_effects(FUEL.changes + SCRUB.changes, lam, S, C_CO2)
    assert d.tolist() == pytest.approx([5.0 + 4.0, 2.0])


def test_solve_then_verify_heijungs_suh():
    fuel, gen, scrub = estimate_effects([FUEL, GEN, SCRUB], A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    pb = ReductionProblem(
        levers=[fuel, gen.model_copy(update={"cost": 5.0}), scrub], baseline={"kwh": 120.0}
    )
    plan = solve_target(pb, Target(kind="absolute", value=111.0))  # needs 9: fuel + scrub
    assert sorted(plan.chosen) == ["fuel", "scrub"] and plan.cost == 2.0
    from supply_chain.levers import verify_plan

    v = verify_plan(plan, pb, A_HS, B_HS, C_CO2, F_HS, ["kwh"])
    # exact: s = (100, 1.5), CO2 = 100 + 1.5·8 = 112 (the linear estimate says 111)
    assert v.footprint[0] == pytest.approx(112.0) and v.linear[0] == pytest.approx(9.0)


def test_change_outside_matrix():
    bad = Lever(
        id="bad",
        node="n",
        cost=1,
        changes=[ExchangeChange(matrix="biosphere", row=7, col=0, delta=1.0)],
    )
    with pytest.raises(LeverError, match="'bad'.*outside"):
        estimate_effects([bad], A_HS, B_HS, C_CO2, F_HS, ["kwh"])


def test_each_product_unreachable_names_the_product(problem):
    # P2 -50 % needs 25; every lever acting on P2 together gives 10 + 6 + 5 = 21.
    plan = solve_target(problem, Target(value=50, scope="each", products=("P2",)))
    assert plan.status == "infeasible"
    assert (plan.binding[0].kind, plan.binding[0].name) == ("target", "P2")
    # best achievable under the L1/L2 exclusion: L1 + L4 = 15, footprint 35 against 25
    assert sorted(plan.chosen) == ["L1", "L4"] and plan.shortfall == pytest.approx(10.0)
    from supply_chain.levers import plan_frame

    df = plan_frame(problem, plan)
    assert df["abatement"].tolist() == pytest.approx([30.0, 5.0])


def test_time_limit_without_any_plan_is_a_lever_error(problem, monkeypatch):
    """HiGHS stops at its time limit before finding any feasible plan (status 1, no x)."""
    from scipy.optimize import OptimizeResult

    import supply_chain.levers.compiled as levers_mod

    seen = []

    def no_plan_in_time(c, **kw):
        seen.append(kw["options"]["time_limit"])
        return OptimizeResult(
            status=1,
            x=None,
            fun=None,
            success=False,
            message="Time limit reached. (HiGHS Status 13)",
        )

    monkeypatch.setattr(levers_mod, "milp", no_plan_in_time)
    for solve in (
        lambda: solve_target(problem, "30%", time_limit=0.25),
        lambda: solve_budget(problem, 10.0, time_limit=0.25),
    ):
        with pytest.raises(
            LeverError,
            match=r"no reduction plan was found within the MILP "
            r"time limit of 0\.25 s",
        ) as e:
            solve()
        assert e.value.constraint == "time_limit" and "HiGHS Status 13" in str(e.value)
    assert seen == [0.25, 0.25]


def test_time_limit_with_a_plan_returns_it(problem, monkeypatch):
    """A plan found before the limit is an answer (status "time_limit"), not an error."""
    from scipy.optimize import OptimizeResult

    import supply_chain.levers.compiled as levers_mod

    monkeypatch.setattr(
        levers_mod,
        "milp",
        lambda c, **kw: OptimizeResult(
            status=1,
            x=np.array([1.0, 0, 1.0, 0, 0]),
            fun=15.0,
            success=False,
            mip_gap=0.1,
            message="Time limit reached",
        ),
    )
    plan = solve_target(problem, "20%", time_limit=0.25)
    assert plan.status == "time_limit" and plan.chosen == ["L1", "L3"]


# -- bad inputs (issue 9): located errors ---------------------------------------------------------
LEVERS_HEADER = (
    "lever,node,actor,kind,cost,product,delta,exclusive_group,excludes,year,description\n"
)


def _files(tmp_path, levers: str, baseline: str = "product,footprint,volume\nP1,100,10\n"):
    (tmp_path / "levers.csv").write_text(levers)
    (tmp_path / "baseline.csv").write_text(baseline)
    return tmp_path / "levers.csv", tmp_path / "baseline.csv"


@pytest.mark.parametrize("content", ["", LEVERS_HEADER], ids=["zero-bytes", "header-only"])
def test_levers_file_without_levers_is_named(tmp_path, content):
    levers, baseline = _files(tmp_path, content)
    with pytest.raises(LeverError, match=r"levers.csv.*no levers"):
        read_problem(levers, baseline)


@pytest.mark.parametrize(
    "baseline,match",
    [
        ("product,footprint,volume\nP1,100,0\n", r"baseline.csv:2: .*volume '0'.*> 0"),
        ("product,footprint,volume\nP1,100,-5\n", r"baseline.csv:2: .*volume '-5'.*> 0"),
        ("product,footprint,volume\nP1,-5,10\n", r"baseline.csv:2: .*footprint '-5'.*> 0"),
        ("product,footprint,volume\nP1,0,10\n", r"baseline.csv:2: .*footprint '0'.*> 0"),
        ("product,footprint,volume\nP1,100,10\nP1,90,5\n", r"baseline.csv:3: .*'P1'.*twice"),
        ("product,footprint,volume\n", r"baseline.csv.*no products"),
    ],
)
def test_baseline_errors_name_file_row_and_column(tmp_path, baseline, match):
    levers, base = _files(tmp_path, LEVERS_HEADER + "L1,S,,efficiency,10,P1,20,,,,\n", baseline)
    with pytest.raises(LeverError, match=match):
        read_problem(levers, base)


def test_a_lever_twice_for_one_product_is_refused(tmp_path):
    levers, baseline = _files(
        tmp_path, LEVERS_HEADER + "L1,S,,efficiency,10,P1,20,,,,\nL1,S,,efficiency,10,P1,20,,,,\n"
    )
    with pytest.raises(LeverError, match=r"levers.csv:3 \(lever 'L1'\).*'P1'.*row 2"):
        read_problem(levers, baseline)


@pytest.mark.parametrize("encoding", ["utf-16", "gbk"])
def test_levers_and_baseline_in_other_encodings(tmp_path, encoding):
    (tmp_path / "levers.csv").write_bytes(
        (LEVERS_HEADER + "L1,S,电池厂,efficiency,10,P1,20,,,,绿色电力\n").encode(encoding)
    )
    (tmp_path / "baseline.csv").write_bytes(
        "product,footprint,volume\nP1,100,10\n".encode(encoding)
    )
    pb = read_problem(tmp_path / "levers.csv", tmp_path / "baseline.csv")
    assert pb.levers[0].actor == "电池厂" and pb.volumes == {"P1": 10.0}
