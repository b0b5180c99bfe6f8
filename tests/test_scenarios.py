"""Scenarios on a tiny system, checked by hand.

Coal power emits 1 kg CO2/kWh, wind power 0.125; a widget takes 10 kWh coal power and emits
2 kg; a gadget takes 5 kWh coal power, one widget, and emits 1 kg. Baseline: widget
10 + 2 = 12, gadget 5 + 12 + 1 = 18 kg CO2.
"""

from __future__ import annotations

import numpy as np
import pytest

from lca.errors import PCFError, UnitMismatch
from supply_chain.scenarios import (
    ReplaceSupplier,
    ScaleExchange,
    Scenario,
    ScenarioError,
    load_scenarios,
    run_scenarios,
)

METHOD = ("scn", "CO2")


@pytest.fixture(scope="module")
def engine(project):
    import bw2data as bd

    from lca.footprint import FootprintEngine

    bd.Database("scn-bio").write(
        {
            ("scn-bio", "co2"): {
                "name": "Carbon dioxide",
                "unit": "kilogram",
                "type": "emission",
                "categories": ("air",),
            },
        }
    )

    def act(name, unit, exchanges):
        return {"name": name, "unit": unit, "location": "GLO", "exchanges": exchanges}

    def prod(code, amount=1.0):
        return {"input": ("scn", code), "amount": amount, "type": "production"}

    def tech(code, amount):
        return {"input": ("scn", code), "amount": amount, "type": "technosphere"}

    def co2(amount):
        return {"input": ("scn-bio", "co2"), "amount": amount, "type": "biosphere"}

    bd.Database("scn").write(
        {
            ("scn", "coal"): act("coal power", "kilowatt hour", [prod("coal"), co2(1.0)]),
            ("scn", "wind"): act("wind power", "kilowatt hour", [prod("wind"), co2(0.125)]),
            ("scn", "steel"): act("steel", "kilogram", [prod("steel"), co2(2.0)]),
            ("scn", "widget"): act(
                "widget", "unit", [prod("widget"), tech("coal", 10.0), co2(2.0)]
            ),
            ("scn", "gadget"): act(
                "gadget", "unit", [prod("gadget"), tech("coal", 5.0), tech("widget", 1.0), co2(1.0)]
            ),
        }
    )
    m = bd.Method(METHOD)
    m.register(unit="kg CO2")
    m.write([(("scn-bio", "co2"), 1.0)])
    return FootprintEngine(project)


PRODUCTS = [("scn", "widget"), ("scn", "gadget")]


def table(df):
    return {(r.product, r.scenario): r.score for r in df.itertuples()}


def test_grid_switch_and_efficiency(engine):
    scenarios = [
        Scenario(
            name="wind widget",
            changes=[ReplaceSupplier(activity="scn|widget", old="scn|coal", new="scn|wind")],
        ),
        Scenario(
            name="efficient widget",
            changes=[ScaleExchange(activity=("scn", "widget"), input=("scn", "coal"), factor=0.8)],
        ),
        Scenario(
            name="half wind gadget",
            changes=[
                ReplaceSupplier(activity="scn|gadget", old="scn|coal", new="scn|wind", share=0.5)
            ],
        ),
        Scenario(
            name="cleaner widget",
            changes=[ScaleExchange(activity="scn|widget", input="scn-bio|co2", factor=0.5)],
        ),
    ]
    df = run_scenarios(engine, PRODUCTS, scenarios, METHOD)
    assert list(df.columns) == ["product", "scenario", "score", "baseline", "delta", "delta_pct"]
    assert len(df) == 2 * 5
    got = table(df)
    expect = {
        # baseline: widget 10 + 2, gadget 5 + 12 + 1
        ("scn|widget", "baseline"): 12.0,
        ("scn|gadget", "baseline"): 18.0,
        # wind: widget 10·0.125 + 2 = 3.25; gadget 5 + 3.25 + 1 = 9.25
        ("scn|widget", "wind widget"): 3.25,
        ("scn|gadget", "wind widget"): 9.25,
        # 8 kWh: widget 8 + 2 = 10, gadget 5 + 10 + 1 = 16
        ("scn|widget", "efficient widget"): 10.0,
        ("scn|gadget", "efficient widget"): 16.0,
        # gadget 2.5 coal + 2.5·0.125 wind + 12 + 1 = 15.8125; widget unchanged
        ("scn|widget", "half wind gadget"): 12.0,
        ("scn|gadget", "half wind gadget"): 15.8125,
        # widget direct 2 → 1: 11; gadget 17
        ("scn|widget", "cleaner widget"): 11.0,
        ("scn|gadget", "cleaner widget"): 17.0,
    }
    assert got == pytest.approx(expect, rel=1e-9)
    row = df[(df["product"] == "scn|gadget") & (df["scenario"] == "wind widget")].iloc[0]
    assert row.delta == pytest.approx(-8.75) and row.delta_pct == pytest.approx(-8.75 / 18 * 100)


def test_shared_database_untouched(engine):
    sysm = engine.system_for([engine.node(("scn", "widget"))])
    before = sysm.A.copy()
    run_scenarios(
        engine,
        PRODUCTS,
        [
            Scenario(
                name="wind",
                changes=[ReplaceSupplier(activity="scn|widget", old="scn|coal", new="scn|wind")],
            )
        ],
        METHOD,
    )
    assert (sysm.A != before).nnz == 0
    assert engine.footprint(("scn", "widget"), METHOD).total == pytest.approx(12.0)
    import bw2data as bd

    amounts = {
        e.input["code"]: e["amount"]
        for e in bd.get_node(database="scn", code="widget").technosphere()
    }
    assert amounts == {"coal": 10.0}


def test_scenario_errors(engine):
    with pytest.raises(UnitMismatch, match="kilowatt hour.*kilogram"):
        run_scenarios(
            engine,
            PRODUCTS,
            [
                Scenario(
                    name="bad",
                    changes=[
                        ReplaceSupplier(activity="scn|widget", old="scn|coal", new="scn|steel")
                    ],
                )
            ],
            METHOD,
        )
    with pytest.raises(ScenarioError, match="'scn\\|gadget'|has no input from") as info:
        run_scenarios(
            engine,
            PRODUCTS,
            [
                Scenario(
                    name="nothing",
                    changes=[
                        ReplaceSupplier(activity="scn|widget", old="scn|gadget", new="scn|wind")
                    ],
                )
            ],
            METHOD,
        )
    assert info.value.scenario == "nothing" and info.value.input == ("scn", "gadget")
    with pytest.raises(ScenarioError, match="not in the system"):
        run_scenarios(
            engine,
            PRODUCTS,
            [
                Scenario(
                    name="x",
                    changes=[ScaleExchange(activity="scn|nowhere", input="scn|coal", factor=2)],
                )
            ],
            METHOD,
        )
    with pytest.raises(ScenarioError, match="factor") as info:
        Scenario(
            name="neg", changes=[{"type": "scale", "activity": "a|b", "input": "a|c", "factor": -1}]
        )
    assert isinstance(info.value, PCFError) and isinstance(info.value, ValueError)
    with pytest.raises(ScenarioError, match="not a key"):
        Scenario(
            name="nokey",
            changes=[{"type": "scale", "activity": "widget", "input": "a|c", "factor": 1}],
        )
    with pytest.raises(ScenarioError, match="unique"):
        run_scenarios(engine, PRODUCTS, [Scenario(name="baseline")], METHOD)


def test_load_scenarios(tmp_path, engine):
    f = tmp_path / "s.yaml"
    f.write_text(
        "- name: wind widget\n"
        "  changes:\n"
        "    - {type: replace_supplier, activity: scn|widget, old: scn|coal, new: scn|wind}\n"
        "- name: efficient widget\n"
        "  changes:\n"
        "    - {type: scale, activity: scn|widget, input: scn|coal, factor: 0.8}\n"
    )
    sc = load_scenarios(f)
    assert [s.name for s in sc] == ["wind widget", "efficient widget"]
    df = run_scenarios(engine, [("scn", "widget")], sc, METHOD)
    assert df["score"].tolist() == pytest.approx([12.0, 3.25, 10.0])
    assert np.isfinite(df["delta_pct"]).all()


# -- bad scenario files (issue 9): the file, and the line for YAML syntax errors ------------------
@pytest.mark.parametrize(
    "name,content,match",
    [
        (
            "s.yaml",
            "- name: broken\n  changes: [\n    - type: {\n",
            r"s.yaml, line \d+: not valid YAML",
        ),
        ("s.yaml", "- name: a\n\tchanges: []\n", r"s.yaml, line 2: not valid YAML"),
        ("s.json", '[{"name": "a",}]', r"s.json, line 1: not valid JSON"),
        ("s.yaml", "name: a\n", r"s.yaml: expected a list of scenarios"),
        ("s.yaml", "- just a string\n", r"s.yaml, scenario 1: expected a mapping"),
        ("s.yaml", "- name: a\n  changes: 5\n", r"s.yaml, scenario 1: scenario 'a': changes"),
        (
            "s.yaml",
            "- name: a\n  changes:\n    - {type: scale, activity: x|y, input: x|z, factor: lots}\n",
            r"s.yaml, scenario 1: scenario 'a': .*factor",
        ),
        ("s.yaml", "", r"s.yaml: expected a list of scenarios"),
    ],
)
def test_bad_scenario_files_name_the_file(tmp_path, name, content, match):
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(ScenarioError, match=match):
        load_scenarios(f)


@pytest.mark.parametrize("encoding", ["utf-16", "gbk"])
def test_scenario_files_in_other_encodings(tmp_path, encoding):
    f = tmp_path / "s.yaml"
    f.write_bytes("- name: 风电\n  description: 绿色电力\n".encode(encoding))
    assert [s.name for s in load_scenarios(f)] == ["风电"]


def test_unknown_activity_names_the_file_and_scenario(tmp_path, engine):
    f = tmp_path / "s.yaml"
    f.write_text(
        "- name: wind widget\n"
        "  changes:\n"
        "    - {type: replace_supplier, activity: scn|nope, old: scn|coal, new: scn|wind}\n"
    )
    with pytest.raises(ScenarioError, match=r"s.yaml, scenario 1: scenario 'wind widget'.*nope"):
        run_scenarios(engine, [("scn", "widget")], load_scenarios(f), METHOD)
