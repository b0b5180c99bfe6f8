"""Supplier scoring on a three-supplier case computed by hand.

Products P1 (100 kg/unit, 2 units) and P2 (50 kg/unit, 1 unit): portfolio 250 kg.
Supplier S (shared) contributes 30 to P1 and 20 to P2 → 2·30 + 20 = 80; A 40 to P1 → 80;
B 10 to P2 → 10.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lca.errors import PCFError
from supply_chain.levers import Lever, ReductionProblem
from supply_chain.scoring import (
    COLUMNS,
    DataQuality,
    ScoringError,
    background_benchmarks,
    dqr,
    supplier_scores,
)

CONTRIB = {"S": {"P1": 30.0, "P2": 20.0}, "A": {"P1": 40.0}, "B": {"P2": 10.0}}
VOLUMES = {"P1": 2.0, "P2": 1.0}
TOTALS = {"P1": 100.0, "P2": 50.0}


def problem():
    return ReductionProblem(
        levers=[
            Lever(id="L1", node="S", cost=10, effects={"P1": 5, "P2": 5}, exclusive_group="g"),
            Lever(id="L2", node="S", cost=20, effects={"P1": 10}, exclusive_group="g"),
            Lever(id="L3", node="A", cost=4, effects={"P1": 2}),
        ],
        baseline=TOTALS,
        volumes=VOLUMES,
    )


def test_dqr():
    assert dqr(1, 2, 2, 3) == 2.0
    assert DataQuality(ter=4, ger=4, tir=4, p=4).dqr == 4.0
    assert math.isnan(DataQuality(primary_share=0.5).dqr)


def test_scores_by_hand():
    df = supplier_scores(
        CONTRIB,
        volumes=VOLUMES,
        product_totals=TOTALS,
        intensity={"S": 12.0, "A": 5.0, "B": 30.0},
        benchmark={"S": 8.0, "A": 10.0, "B": 10.0},
        data_quality={
            "S": DataQuality(primary_share=0.8, ter=1, ger=2, tir=2, p=3),
            "A": {"primary_share": 0.1},
            "B": {"ter": 4, "ger": 4, "tir": 4, "p": 4},
        },
        problem=problem(),
    )
    assert list(df.columns) == COLUMNS
    assert df["supplier"].tolist() == ["S", "A", "B"] and df["rank"].tolist() == [1, 2, 3]
    r = df.set_index("supplier")
    assert r["contribution"].tolist() == pytest.approx([80, 80, 10])
    assert r["share"].tolist() == pytest.approx([0.32, 0.32, 0.04])
    assert r.loc["S", "top_product"] == "P1" and r.loc["S", "top_product_share"] == 0.3
    assert r.loc["B", "top_product_share"] == pytest.approx(0.2)
    assert r["intensity_ratio"].tolist() == pytest.approx([1.5, 0.5, 3.0])
    assert r["s_intensity"].tolist() == pytest.approx([0.5, 0.0, 1.0])
    # S: DQR 2 → (2-1)/4 = 0.25 and 1-0.8 = 0.2 → 0.225; A: 0.9; B: DQR 4 → 0.75
    assert r["dqr"].tolist()[0] == 2.0 and math.isnan(r.loc["A", "dqr"])
    assert r["s_data_quality"].tolist() == pytest.approx([0.225, 0.9, 0.75])
    # S: best of group g: max(a_L1 = 2·5+5 = 15, a_L2 = 20) = 20; A: L3 → 4; B none
    assert r["reduction_potential"].tolist() == pytest.approx([20, 4, 0])
    assert r.loc["S", "best_lever"] == "L1" and r.loc["S", "best_lever_mac"] == pytest.approx(
        10 / 15
    )
    assert pd.isna(r.loc["B", "best_lever"])
    assert r["s_reduction"].tolist() == pytest.approx([1.0, 0.2, 0.0])
    # 0.4·1 + 0.25·1 + 0.2·0.5 + 0.15·0.225; 0.4 + 0.25·0.2 + 0.15·0.9; 0.4·0.125 + 0.2 + 0.15·0.75
    assert r["score"].tolist() == pytest.approx([0.78375, 0.585, 0.3625])
    assert r["push_on"].tolist() == [
        "lever L1",
        "primary data (10 % primary)",
        "intensity (3.00x benchmark)",
    ]


def test_missing_subscores_reweighted():
    # contributions only: score = s_contribution (the other weights drop out)
    df = supplier_scores(CONTRIB, volumes=VOLUMES)
    r = df.set_index("supplier")
    assert r["score"].tolist() == pytest.approx([1.0, 1.0, 0.125])
    assert r["share"].tolist() == pytest.approx([80 / 170, 80 / 170, 10 / 170])
    assert df["supplier"].tolist() == ["A", "S", "B"]  # tie on score and contribution: by name
    assert set(df["push_on"]) == {"monitor"}
    # weights: only data quality counts
    df = supplier_scores(
        CONTRIB,
        data_quality={"B": {"primary_share": 0.0}},
        weights={"contribution": 0, "reduction": 0, "intensity": 0},
    )
    assert df["supplier"].iloc[0] == "B" and df["score"].iloc[0] == 1.0


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"benchmark": {"S": 0.0}}, "benchmark of supplier 'S' must be > 0"),
        ({"intensity": {"A": float("nan")}}, "intensity of supplier 'A' is not finite"),
        ({"data_quality": {"B": {"ter": 7}}}, "data quality of supplier 'B'"),
        ({"data_quality": {"B": {"primary_share": 1.5}}}, "data quality of supplier 'B'"),
        ({"weights": {"price": 1.0}}, "unknown weight 'price'"),
        ({"weights": {"intensity": -1.0}}, "weight 'intensity'"),
    ],
)
def test_bad_input(kw, match):
    with pytest.raises(ScoringError, match=match) as info:
        supplier_scores(CONTRIB, **kw)
    assert isinstance(info.value, PCFError) and isinstance(info.value, ValueError)


def test_background_benchmarks_heijungs_suh(project, hs_system):
    from lca.footprint import FootprintEngine

    eng = FootprintEngine(project)
    got = background_benchmarks(
        eng,
        {"fuel supplier": ("hs", "fuel"), "power supplier": ("hs", "electricity")},
        ("HS", "CO2"),
    )
    # λ = (0.12 kg/kWh, 0.1 kg/l) in the textbook system
    assert got == pytest.approx({"fuel supplier": 0.1, "power supplier": 0.12})


def test_scorecard_table_readable_with_units():
    """The scorecard for people: t CO2e, %, cost per t, headers with units; by hand from the
    module's case (portfolio 250 kg; S 80 kg, A 80 kg, B 10 kg; L1 abates 2·5 + 5 = 15 kg for
    10, L3 abates 2·2 = 4 kg for 4)."""
    from supply_chain.scoring import SCORECARD_HEADERS, scorecard_table

    card = supplier_scores(
        CONTRIB,
        volumes=VOLUMES,
        product_totals=TOTALS,
        data_quality={"A": {"primary_share": 0.5, "ter": 2, "ger": 3, "tir": 1, "p": 2}},
        problem=problem(),
    )
    table = scorecard_table(card, part_units={"S": "kilogram"}, cost_unit="EUR")
    assert list(table.columns) == [
        v.format(period="per year", cost="EUR") for v in SCORECARD_HEADERS.values()
    ]
    t = table.set_index("Supplier")
    assert t.loc["S", "Emissions attributed (t CO2e per year)"] == 0.08
    assert t.loc["B", "Emissions attributed (t CO2e per year)"] == 0.01
    assert t.loc["S", "Share of portfolio footprint (%)"] == 32.0  # 80 / 250
    assert t.loc["B", "Share of portfolio footprint (%)"] == 4.0
    # best lever of S: L1 at 10 / 15 kg = 666.67 EUR per t (L2: 20 / 20 kg = 1000 per t)
    assert t.loc["S", "Best lever"] == "L1"
    assert t.loc["S", "Best lever cost (EUR per t CO2e abated)"] == 666.67
    assert t.loc["S", "Reduction potential (t CO2e per year)"] == 0.02  # the larger of group g
    assert t.loc["A", "Best lever cost (EUR per t CO2e abated)"] == 1000.0  # 4 / 4 kg
    assert t.loc["A", "Primary-data share (%)"] == 50.0
    assert t.loc["A", "PEF DQR (TeR+GeR+TiR+P)/4 (1 best - 5 worst)"] == 2.0  # (2+3+1+2)/4
    assert t.loc["S", "Unit of scored part"] == "kilogram"
    assert pd.isna(t.loc["A", "Unit of scored part"])
    assert pd.isna(t.loc["B", "Primary-data share (%)"])  # unknown stays empty, never 0
    with pytest.raises(ScoringError, match="expected kg CO2e"):
        scorecard_table(card, emissions_unit="t CO2e")
