"""The command line, run as a user runs it: in a subprocess, against a temporary directory."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pcf(*args, data_dir, cwd=None, check=True):
    env = dict(os.environ, PCF_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    p = subprocess.run(
        [sys.executable, "-m", "pcf", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd or ROOT,
        timeout=600,
    )
    if check and p.returncode != 0:
        raise AssertionError(f"pcf {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("cli-bw")
    out = tmp_path_factory.mktemp("cli-out")
    p = pcf("demo", "--out", str(out), "--json", "--iterations", "200", data_dir=data)
    return data, out, p


def test_demo_writes_json_and_csv(demo_run):
    data, out, p = demo_run
    summary = json.loads(p.stdout)  # stdout holds nothing but the JSON
    assert summary["method_alias"] == "gwp100"
    assert (out / "footprints.json").exists() and (out / "footprints.csv").exists()
    assert json.loads((out / "footprints.json").read_text())["products"] == summary["products"]
    keys = {tuple(pr["product"]) for pr in summary["products"]}
    assert ("pcf-products", "lfp-cell-per-kwh") in keys
    for pr in summary["products"]:
        assert sum(pr["by_stage"].values()) == pytest.approx(pr["total"], rel=1e-9)
        u = pr["uncertainty"]
        assert u["iterations"] == 200 and u["p2_5"] <= u["median"] <= u["p97_5"]
    assert (data / "pcf").exists() or any(data.iterdir())
    import pandas as pd

    df = pd.read_csv(out / "footprints.csv")
    assert set(df.breakdown) >= {"total", "stage", "gas", "process", "split"}


def test_footprint_json_matches_demo(demo_run):
    data, _, p = demo_run
    demo = {tuple(x["product"]): x for x in json.loads(p.stdout)["products"]}
    q = pcf("footprint", "pcf-products|lfp-cell-per-kwh", "--json", "--amount", "2", data_dir=data)
    d = json.loads(q.stdout)
    assert d["total"] == pytest.approx(
        2 * demo[("pcf-products", "lfp-cell-per-kwh")]["total"], rel=1e-12
    )
    assert d["unit"] == "kg CO2-Eq"


def test_methods_and_products_json(demo_run):
    data, _, _ = demo_run
    ms = json.loads(pcf("methods", "--json", data_dir=data).stdout)
    assert {m["alias"] for m in ms} >= {"gwp100", "gwp20", "gwp100-ar5"}
    assert all(m["installed"] for m in ms)
    prods = json.loads(pcf("products", "--json", data_dir=data).stdout)
    assert "pcf-products|lfp-cell-per-kwh" in {r["key"] for r in prods}


def test_errors_are_one_line_with_nonzero_exit(demo_run):
    data, _, _ = demo_run
    p = pcf("footprint", "pcf-products|does-not-exist", data_dir=data, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().startswith("error: Unknown product")
    assert "Traceback" not in p.stderr and p.stdout == ""
    p = pcf(
        "footprint", "pcf-products|lfp-cell-per-kwh", "--method", "gwp7", data_dir=data, check=False
    )
    assert p.returncode == 1 and "Unknown method 'gwp7'" in p.stderr
    p = pcf("--debug", "footprint", "pcf-products|nope", data_dir=data, check=False)
    assert p.returncode != 0 and "Traceback" in p.stderr


def test_import_error_lists_unlinked(demo_run, tmp_path):
    data, _, _ = demo_run
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Database,cli-bad\n\nActivity,x\ncode,x\nunit,kilogram\nlocation,CN\n"
        "Exchanges\nname,amount,unit,location,categories,type\n"
        "x,1,kilogram,CN,,production\n"
        "Phlogiston,1,kilogram,,air,biosphere\n"
    )
    p = pcf("import", str(bad), data_dir=data, check=False)
    assert p.returncode == 1
    assert "1 unlinked exchange(s); nothing was written" in p.stderr and "Phlogiston" in p.stderr
    prods = json.loads(pcf("products", "--json", data_dir=data).stdout)
    assert not any(r["key"].startswith("cli-bad|") for r in prods)
