"""``pcf scenario run --workers N / --scheduler``: scenario sweeps on dask.distributed
(lca.distributed, supply_chain.scenarios) give the single-process scores exactly.

The system is tests/test_scenarios.py's, checked by hand there: coal power 1 kg CO2/kWh, wind
power 0.125; a widget takes 10 kWh coal power and emits 2 kg; a gadget takes 5 kWh coal power
and one widget and emits 1 kg (baseline widget 12, gadget 18 kg CO2). One LocalCluster of 2
worker processes on 127.0.0.1 (bounded: it starts within TIMEOUT seconds or the test fails).
"""

from __future__ import annotations

import json

import pytest
from test_scenarios import METHOD, PRODUCTS, engine  # noqa: F401 - the fixture
from typer.testing import CliRunner

from pcf.app import app
from supply_chain.scenarios import ReplaceSupplier, ScaleExchange, Scenario, run_scenarios

TIMEOUT = 60
runner = CliRunner()

SCENARIOS_YAML = """\
- name: wind widget
  changes:
    - {type: replace_supplier, activity: scn|widget, old: scn|coal, new: scn|wind}
- name: efficient widget
  changes:
    - {type: scale, activity: scn|widget, input: scn|coal, factor: 0.8}
- name: cleaner widget
  changes:
    - {type: scale, activity: scn|widget, input: scn-bio|co2, factor: 0.5}
"""

# by hand (tests/test_scenarios.py): wind 10·0.125 + 2 = 3.25 and 5 + 3.25 + 1 = 9.25;
# 8 kWh: 8 + 2 = 10 and 5 + 10 + 1 = 16; direct 2 -> 1: 11 and 17 (only B changes)
EXPECT = {
    ("scn|widget", "baseline"): 12.0,
    ("scn|gadget", "baseline"): 18.0,
    ("scn|widget", "wind widget"): 3.25,
    ("scn|gadget", "wind widget"): 9.25,
    ("scn|widget", "efficient widget"): 10.0,
    ("scn|gadget", "efficient widget"): 16.0,
    ("scn|widget", "cleaner widget"): 11.0,
    ("scn|gadget", "cleaner widget"): 17.0,
}


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            timeout=TIMEOUT,
        ) as cluster,
        distributed.Client(cluster, timeout=TIMEOUT) as client,
    ):
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client


def scenario_run(bw_dir, path, *extra, code=0):
    args = ["--data-dir", str(bw_dir), "scenario", "run", str(path), "scn|widget", "scn|gadget"]
    args += ["--method", "|".join(METHOD), "--json", *map(str, extra)]
    r = runner.invoke(app, args)
    assert r.exit_code == code, r.stderr
    return r.stderr if code else json.loads(r.stdout)


def test_run_scenarios_on_a_cluster_equals_one_process(engine, dask_client):  # noqa: F811
    from lca.distributed import DaskExecutor

    scenarios = [
        Scenario(
            name="wind widget",
            changes=[ReplaceSupplier(activity="scn|widget", old="scn|coal", new="scn|wind")],
        ),
        Scenario(
            name="cleaner widget",
            changes=[ScaleExchange(activity="scn|widget", input="scn-bio|co2", factor=0.5)],
        ),
    ]
    seen = []
    one = run_scenarios(engine, PRODUCTS, scenarios, METHOD)
    dist = run_scenarios(
        engine,
        PRODUCTS,
        scenarios,
        METHOD,
        executor=DaskExecutor(dask_client),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert dist.equals(one)  # bit-identical, row order included
    assert seen[-1] == (2, 2)
    got = {(r.product, r.scenario): r.score for r in dist.itertuples()}
    assert got == pytest.approx({k: v for k, v in EXPECT.items() if k[1] != "efficient widget"})


def test_cli_workers_and_scheduler_equal_one_process(
    engine,  # noqa: F811
    bw_dir,
    dask_client,
    tmp_path,
    monkeypatch,
):
    monkeypatch.delenv("PCF_DASK_SCHEDULER", raising=False)
    path = tmp_path / "scenarios.yaml"
    path.write_text(SCENARIOS_YAML)
    one = scenario_run(bw_dir, path)
    got = {(r["product"], r["scenario"]): r["score"] for r in one}
    assert got == pytest.approx(EXPECT, rel=1e-12)
    assert scenario_run(bw_dir, path, "--workers", 2) == one
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    assert scenario_run(bw_dir, path, "--scheduler", address) == one
    err = scenario_run(bw_dir, path, "--scheduler", address, "--workers", 2, code=1)
    assert "give one of them" in " ".join(err.split())
