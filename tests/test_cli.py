"""The command line, in-process (``typer.testing.CliRunner``) against the session's temporary
Brightway project (``shipped`` in tests/conftest.py), plus three real processes: ``--json``
stdout stays clean when Brightway and C libraries print, SIGTERM exits 143, and ``pcf --help``
imports nothing heavy."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lca.errors import PCFError
from pcf.app import Terminated, app
from pcf.context import State

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args, code=0):
    """``pcf ARGS`` in-process; asserts the exit code."""
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return r


@pytest.fixture(scope="module")
def pcf(shipped, bw_dir):
    """``pcf --data-dir <the session's directory> ARGS``, in-process."""
    return lambda *args, code=0: run("--data-dir", bw_dir, *args, code=code)


@pytest.fixture(scope="module")
def demo_run(pcf, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-out")
    return out, pcf("demo", "--out", out, "--json", "--iterations", "200")


def test_demo_writes_json_and_csv(demo_run):
    out, r = demo_run
    summary = json.loads(r.stdout)  # stdout holds nothing but the JSON
    assert summary["method_alias"] == "gwp100"
    assert (out / "footprints.json").exists() and (out / "footprints.csv").exists()
    assert json.loads((out / "footprints.json").read_text())["products"] == summary["products"]
    keys = {tuple(pr["product"]) for pr in summary["products"]}
    assert ("pcf-products", "lfp-cell-per-kwh") in keys
    for pr in summary["products"]:
        assert sum(pr["by_stage"].values()) == pytest.approx(pr["total"], rel=1e-9)
        u = pr["uncertainty"]
        assert u["iterations"] == 200 and u["p2_5"] <= u["median"] <= u["p97_5"]
    import pandas as pd

    df = pd.read_csv(out / "footprints.csv")
    assert set(df.breakdown) >= {"total", "stage", "gas", "process", "split", "uncertainty"}
    # every value with its unit and declared unit; the Monte Carlo interval in the same table
    assert set(df.unit) == {"kg CO2-Eq"} and df.per.notna().all()
    lfp = df[df["product"] == "pcf-products-lfp-pack|lfp-pack-per-kwh"]
    assert set(lfp.per) == {"1 kilowatt hour"}
    p975 = lfp[lfp["item"] == "p97_5 (200 draws, seed 42)"]["value"]
    u = next(p["uncertainty"] for p in summary["products"] if p["product"][1] == "lfp-pack-per-kwh")
    assert p975.tolist() == [pytest.approx(u["p97_5"], rel=1e-12)]


def test_footprint_json_matches_demo(pcf, demo_run):
    demo = {tuple(x["product"]): x for x in json.loads(demo_run[1].stdout)["products"]}
    d = json.loads(
        pcf("footprint", "pcf-products|lfp-cell-per-kwh", "--json", "--amount", "2").stdout
    )
    assert d["total"] == pytest.approx(
        2 * demo[("pcf-products", "lfp-cell-per-kwh")]["total"], rel=1e-12
    )
    assert d["unit"] == "kg CO2-Eq"


def test_methods_and_products_json(pcf):
    ms = json.loads(pcf("methods", "--json").stdout)
    assert {m["alias"] for m in ms} >= {"gwp100", "gwp20", "gwp100-ar5"}
    assert all(m["installed"] for m in ms)
    prods = json.loads(pcf("products", "--json").stdout)
    assert "pcf-products|lfp-cell-per-kwh" in {r["key"] for r in prods}


def test_errors_are_one_line_with_exit_1(pcf):
    r = pcf("footprint", "pcf-products|does-not-exist", code=1)
    assert r.stderr.strip().startswith("error: Unknown product")
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    r = pcf("footprint", "pcf-products|lfp-cell-per-kwh", "--method", "gwp7", code=1)
    assert "Unknown method 'gwp7'" in r.stderr
    r = runner.invoke(app, ["--debug", "footprint", "pcf-products|nope"])
    assert r.exit_code != 0 and isinstance(r.exception, PCFError)  # --debug: the traceback


def test_parameters_of_an_unknown_product_is_an_error(pcf):
    """Corpus opt:parameters:unknown product: was an empty table and exit 0."""
    r = pcf("parameters", "x|y", code=1)
    assert "Unknown product 'x|y'" in r.stderr and r.stdout == ""  # as the CLI takes it
    rows = json.loads(pcf("parameters", "pcf-products|lfp-cell-per-kwh", "--json").stdout)
    assert "factory_electricity" in {row["name"] for row in rows}
    none = pcf("parameters", "pcf-background-textile|cotton-yarn-conventional-base-impacts")
    assert "Parameters of" in none.stdout  # an existing product without parameters: empty table


def test_empty_project_name_is_refused_by_the_library(tmp_path):
    from lca.errors import ProjectError
    from lca.project import open_project

    with pytest.raises(ProjectError, match="project name '' is empty"):
        open_project(tmp_path, project="")
    assert not any(tmp_path.iterdir())


def test_import_error_lists_unlinked(pcf, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Database,cli-bad\n\nActivity,x\ncode,x\nunit,kilogram\nlocation,CN\n"
        "Exchanges\nname,amount,unit,location,categories,type\n"
        "x,1,kilogram,CN,,production\n"
        "Phlogiston,1,kilogram,,air,biosphere\n"
    )
    r = pcf("import", bad, code=1)
    assert "1 unlinked exchange(s); nothing was written" in r.stderr and "Phlogiston" in r.stderr
    prods = json.loads(pcf("products", "--json").stdout)
    assert not any(row["key"].startswith("cli-bad|") for row in prods)


@pytest.mark.parametrize(
    "args,where",
    [
        (["footprint", "a|b", "--amount", "0"], "--amount"),
        (["footprint", "a|b", "--amount", "-1"], "--amount"),
        (["footprint", "a|b", "--amount", "1e308"], "--amount"),
        (["--project", "", "products"], "--project"),
        (["--project", "  ", "products"], "--project"),
        (["footprint", "a|b", "--iterations", "1"], "--iterations"),
        (["footprint", "a|b", "--iterations", "-5"], "--iterations"),
        (["footprint", "a|b", "--seed", "-1"], "--seed"),
        (["demo", "--lang", "de"], "--lang"),
        (["demo", "--lang", ""], "--lang"),
        (["hotspots", "a|b", "--cutoff", "2"], "--cutoff"),
        (["hotspots", "a|b", "--cutoff", "0"], "--cutoff"),
        (["report", "pact", "a|b", "--pact-version", "4"], "--pact-version"),
        (["report", "iso14067", "a|b", "--meta", "missing.yaml"], "--meta"),
        (["factory", "gap", "missing.csv"], "'path'"),
        (["bom", "rollup", "missing.csv"], "'path'"),
        (
            ["reduce", "--levers", "missing.csv", "--baseline", "missing.csv", "--target", "30%"],
            "--levers",
        ),
        (["parameters", "no-bar"], "product"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_options_are_usage_errors_exit_2(args, where, tmp_path):
    r = runner.invoke(app, ["--data-dir", str(tmp_path), *args])
    assert r.exit_code == 2, (r.stdout, r.stderr, r.exception)
    assert where in r.stderr and "Traceback" not in r.stderr and r.stdout == ""
    assert not any(tmp_path.iterdir())  # refused before any work: no project created


def test_out_must_be_a_folder(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = runner.invoke(app, ["--data-dir", str(tmp_path), "demo", "--out", str(f)])
    assert r.exit_code == 2 and "--out" in r.stderr


@pytest.mark.parametrize(
    "exc,code,line", [(KeyboardInterrupt, 130, "interrupted"), (Terminated, 143, "terminated")]
)
def test_interrupt_and_terminate_one_line(monkeypatch, tmp_path, exc, code, line):
    def stop(self, setup=True):
        raise exc()

    monkeypatch.setattr(State, "open", stop)
    r = runner.invoke(app, ["--data-dir", str(tmp_path), "products", "--json"])
    assert r.exit_code == code
    assert r.stderr.strip().startswith(f"error: {line}") and len(r.stderr.splitlines()) == 1


def test_sub_app_under_a_bare_root_writes_to_stdout(monkeypatch):
    """A sub-app mounted without pcf's root callback gets a default state (stdout as is)."""
    import typer

    from pcf.commands import engine

    calls = []
    monkeypatch.setattr(State, "open", lambda self, setup=True: calls.append(self))
    monkeypatch.setattr("lca.workflows.list_products", lambda proj, final_only: [{"key": "a|b"}])
    root = typer.Typer()
    root.command("products")(engine.products)
    root.command("noop")(lambda: None)
    r = CliRunner().invoke(root, ["products", "--json"])
    assert r.exit_code == 0, r.exception
    assert json.loads(r.stdout) == [{"key": "a|b"}] and calls[0].project == "pcf"


def test_default_method_is_the_engines():
    from lca.methods import DEFAULT
    from pcf.options import DEFAULT_METHOD

    assert DEFAULT_METHOD == DEFAULT


# ---- real processes ----------------------------------------------------------------------------
def _python(code: str, *args, data_dir=None, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if data_dir is not None:
        env["PCF_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        **kw,
    )


NOISY = """
import os, sys
import lca.workflows, pcf.app
real = lca.workflows.list_products
def noisy(*a, **k):
    os.write(1, b"HiGHS-like noise on fd 1\\n")
    print("Brightway-like noise on sys.stdout")
    return real(*a, **k)
lca.workflows.list_products = noisy
sys.argv[0] = "pcf"
pcf.app.main()
"""


def test_json_stdout_is_clean_in_a_real_process(shipped, bw_dir):
    p = _python(NOISY, "products", "--json", data_dir=bw_dir)
    assert p.returncode == 0, p.stderr
    assert "pcf-products|lfp-cell-per-kwh" in {r["key"] for r in json.loads(p.stdout)}
    assert "noise on fd 1" in p.stderr and "noise on sys.stdout" in p.stderr


def test_sigterm_exits_143_with_one_line(tmp_path):
    code = (
        "import sys, time, pcf.context, pcf.app\n"
        "def wait(self, setup=True):\n"
        "    print('ready', file=sys.__stderr__, flush=True); time.sleep(60)\n"
        "pcf.context.State.open = wait\n"
        "sys.argv[0] = 'pcf'; pcf.app.main()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), PCF_DATA_DIR=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "products"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stderr.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        out, errs = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143 and out == ""
    assert errs.strip() == "error: terminated (SIGTERM)"


def test_help_is_fast_and_imports_nothing_heavy():
    heavy = ("bw2data", "bw2calc", "pandas", "matplotlib", "weasyprint", "scipy")
    code = (
        "import sys, time; t = time.perf_counter(); import pcf.app; "
        "print(time.perf_counter() - t); "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    p = _python(code)
    seconds, loaded = p.stdout.splitlines()
    assert loaded == "" and float(seconds) < 1.0, p.stdout
    t = time.perf_counter()
    q = _python("import sys; sys.argv[0] = 'pcf'; import pcf.app; pcf.app.main()", "--help")
    assert q.returncode == 0 and "footprint" in q.stdout and time.perf_counter() - t < 5


def test_demo_refuses_a_method_before_writing(pcf, tmp_path):
    """ef31 (listed by ``pcf methods``) cannot give the demo's PACT declaration: refused in
    the first seconds, one line naming the method, nothing written."""
    out = tmp_path / "out"
    r = pcf("demo", "--out", out, "--method", "ef31", "--iterations", "0", code=1)
    line = r.stderr.strip()
    assert line.startswith("error: method: 'ef31 = EF v3.1") and "PACT needs IPCC" in line
    assert len(line.splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("cmd", ["demo", "supply-demo"])
def test_out_below_a_file_is_an_output_error(pcf, tmp_path, cmd):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = pcf(cmd, "--out", f / "out", code=1)
    assert r.stderr.strip() == f"error: cannot write {f / 'out'}: {f} is a file, not a folder"
    assert f.read_text() == "x"


def test_demo_table_reads_at_80_columns():
    """The demo's footprint table at 80 columns: every product code whole on one line (rich
    once folded 'nmc811-pack-eu-per-kwh-delivered' mid-word), the unit as a symbol, no line
    wider than the terminal; the fossil column only where it says something."""
    from rich.console import Console

    from pcf.commands.demo import print_demo

    codes = ["nmc811-pack-eu-per-kwh-delivered", "polyester-fabric-knitted-dyed-cn", "cement"]
    units = ["kilowatt hour", "kilogram", "kilogram"]
    na = ["biogenic", "land_use"]
    products = [
        {
            "product": ("db", c, ""),
            "amount": 1.0,
            "product_unit": u,
            "total": 0.145,
            "fossil": 0.145,
            "biogenic": 0.0,
            "land_use": 0.0,
            "by_stage": {"raw_material_acquisition": 0.1, "production": 0.045},
            "uncertainty": {"p2_5": 0.1155, "p97_5": 0.1684},
            "not_assessed": na,
        }
        for c, u in zip(codes, units)
    ]
    summary = {"unit": "kg CO2-Eq", "method_alias": "gwp100", "products": products}
    summary |= {"files": ["footprints.json"], "seconds": 1.0}
    con = Console(width=80, record=True, force_terminal=False)
    print_demo(con, summary, "m")
    text = con.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for c in codes:
        assert any(c in line for line in lines), c
    assert "1 kWh" in text and "1 kg" in text
    assert "fossil = total as shown; biogenic, land use not assessed" in text
    assert "largest stage" not in text  # left to wider terminals
    products[0]["fossil"] = 0.1  # a product with a non-fossil part: the column is shown
    con = Console(width=120, record=True, force_terminal=False)
    print_demo(con, summary, "m")
    text = con.export_text()
    assert "fossil" in text.splitlines()[2] and "largest stage" in text
    assert "materials" in text


def test_iso_report_meta_is_checked_before_the_draws(pcf, tmp_path, monkeypatch):
    """``--meta demo_meta.zh.yaml`` (the translation overlay, not a meta file) is refused at
    once, naming the main file and --lang; a meta file without a required field fails before
    any Monte Carlo draw (an auditor once waited 1,000 draws for 'company_ids: Field
    required'). Nothing is written either way."""
    import yaml

    from lca import workflows

    def no_draws(*a, **k):
        raise AssertionError("Monte Carlo ran before the meta file was checked")

    monkeypatch.setattr(workflows, "uncertainty", no_draws)
    key = "pcf-products-lfp-pack|lfp-pack-per-kwh"
    out = tmp_path / "out"
    zh = ROOT / "pcf" / "demo" / "demo_meta.zh.yaml"
    r = pcf("report", "iso14067", key, "--meta", zh, "--lang", "zh", "--out", out, code=1)
    assert "translation of demo_meta.yaml" in r.stderr and "--lang zh" in r.stderr
    meta = yaml.safe_load((ROOT / "pcf" / "demo" / "demo_meta.yaml").read_text("utf-8"))
    del meta["declaration"]["company_ids"]
    bad = tmp_path / "meta.yaml"
    bad.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    r = pcf("report", "iso14067", key, "--meta", bad, "--out", out, code=1)
    assert "company_ids" in r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_demo_interval_is_the_one_pcf_footprint_reproduces(demo_run, pcf):
    """The Monte Carlo interval the demo states for a product (footprints.json, the ISO
    report) is the one ``pcf footprint KEY --iterations N --seed S`` gives: each product is
    drawn alone. Drawn together with the other 23 products, it once differed, and an auditor
    re-running the stated command could not reproduce the stated interval."""
    _, r = demo_run
    summary = json.loads(r.stdout)
    key = "pcf-products-lfp-pack|lfp-pack-per-kwh"
    (stated,) = [p["uncertainty"] for p in summary["products"] if "|".join(p["product"]) == key]
    args = ("--iterations", stated["iterations"], "--seed", stated["seed"], "--json")
    alone = json.loads(pcf("footprint", key, *args).stdout)["uncertainty"]
    for field in ("mean", "median", "std", "p2_5", "p97_5"):
        assert stated[field] == pytest.approx(alone[field], rel=1e-7), field


def test_parameters_read_at_80_columns(shipped, bw_dir):
    """Each parameter's name and default whole (what --set takes), its description beneath:
    the five-column table cut them at 80 columns ('factory_elect…', 'pcf-backgroun…')."""
    args = ["--data-dir", str(bw_dir), "parameters", "pcf-products-lfp-pack|lfp-pack-per-kwh"]
    r = runner.invoke(app, args, terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "…" not in r.stdout and max(map(len, r.stdout.splitlines())) <= 80
    lines = r.stdout.splitlines()
    assert "grid (supplier): default pcf-background|electricity-cn-2024-footprint-consumer" in lines
    # Degen et al. 2023's 37.5 kWh per kWh for LFP cells (inventories/products/lfp-pack.csv)
    assert any(line.startswith("factory_electricity (scale): default 37.5 kWh") for line in lines)


def test_products_read_at_80_columns(shipped, bw_dir):
    """The key whole (what every command takes), its name, unit and location beneath: five
    columns left the key alone at 80 columns and blanked the others."""
    r = runner.invoke(app, ["--data-dir", str(bw_dir), "products"], terminal_width=80)
    assert r.exit_code == 0, (r.output, r.exception)
    lines = [line.strip("│ ").rstrip() for line in r.stdout.splitlines()]
    i = lines.index("pcf-products-lfp-pack|lfp-pack-per-kwh-delivered")
    assert lines[i + 1].startswith("battery pack, LFP, per kWh delivered") and "kilowatt hour" in (
        lines[i + 1] + lines[i + 2]
    )
    assert max(map(len, r.stdout.splitlines())) <= 80
