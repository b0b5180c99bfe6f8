"""The background intensities cache (:mod:`lca.intensity_cache`) behind ``pcf bom rollup``: a
second roll-up on an unchanged project builds no system; re-writing a database or changing a
characterisation factor changes the result; an unreadable cache file is logged, ignored and
written again.

The background, by hand: ``steel`` makes 1 kg emitting 2 kg CO2 and uses 0.5 kWh of ``power``,
which emits 0.4 kg CO2 per kWh, so ``λ_steel = 2 + 0.5 x 0.4 = 2.2`` kg CO2/kg; the BOM is a
product with 3 kg of steel: ``3 x 2.2 = 6.6``.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from typer.testing import CliRunner

from lca import intensity_cache
from lca.footprint import FootprintEngine
from pcf.app import app
from supply_chain.roll_up import background_intensities

DB, BIO, METHOD = "ic-background", "ic-biosphere", ("IC", "CO2")


def write_background(power_co2: float) -> None:
    import bw2data as bd

    bd.Database(DB).write(
        {
            (DB, "steel"): {
                "name": "steel production",
                "unit": "kilogram",
                "location": "GLO",
                "exchanges": [
                    {"input": (DB, "steel"), "amount": 1.0, "type": "production"},
                    {"input": (DB, "power"), "amount": 0.5, "type": "technosphere"},
                    {"input": (BIO, "co2"), "amount": 2.0, "type": "biosphere"},
                ],
            },
            (DB, "power"): {
                "name": "electricity production",
                "unit": "kilowatt hour",
                "location": "GLO",
                "exchanges": [
                    {"input": (DB, "power"), "amount": 1.0, "type": "production"},
                    {"input": (BIO, "co2"), "amount": power_co2, "type": "biosphere"},
                ],
            },
        }
    )


def write_method(cf: float) -> None:
    import bw2data as bd

    m = bd.Method(METHOD)
    if METHOD not in bd.methods:
        m.register(unit="kg CO2")
    m.write([((BIO, "co2"), cf)])


@pytest.fixture(scope="module")
def background(project):
    import bw2data as bd

    bd.Database(BIO).write(
        {(BIO, "co2"): {"name": "Carbon dioxide", "unit": "kilogram", "type": "emission"}}
    )
    write_background(0.4)
    write_method(1.0)
    yield project
    for db in (DB, BIO):
        if db in bd.databases:
            del bd.databases[db]
    if METHOD in bd.methods:
        bd.Method(METHOD).deregister()


@pytest.fixture
def bom(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text(f"part,parent,quantity,unit,activity\nP,,,piece,\nsteel,P,3,kg,{DB}|steel\n")
    return f


def rollup(bw_dir, f) -> float:
    r = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(bw_dir),
            "bom",
            "rollup",
            str(f),
            "--method",
            "|".join(METHOD),
            "--json",
        ],
    )
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    out = json.loads(r.stdout)
    assert out["sources"] == {"bom": 1, "brightway": 1}
    return out["footprint"]


def cache_file(project):
    engine = FootprintEngine(project)
    return intensity_cache.cache_path(project, engine.databases_needed({DB}), METHOD)


def no_build(monkeypatch):
    def fail(self, demand, databases):
        raise AssertionError(f"system of {sorted(databases)} built: the cache was not used")

    monkeypatch.setattr(FootprintEngine, "_build", fail)


def test_second_rollup_reads_the_cache(background, bw_dir, bom, monkeypatch):
    cache_file(background).unlink(missing_ok=True)
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)  # float32 factors, as bw2calc
    assert cache_file(background).exists()
    with monkeypatch.context() as mp:
        no_build(mp)
        assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)


def test_rewritten_database_and_changed_factor_change_the_result(background, bw_dir, bom):
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)
    write_background(0.6)  # λ_steel = 2 + 0.5 x 0.6 = 2.3
    try:
        assert rollup(bw_dir, bom) == pytest.approx(3 * 2.3, rel=1e-6)
        write_method(2.0)  # every kg CO2 counts twice
        assert rollup(bw_dir, bom) == pytest.approx(2 * 3 * 2.3, rel=1e-6)
    finally:
        write_background(0.4)
        write_method(1.0)
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_unreadable_cache_is_logged_ignored_and_rebuilt(
    background, bw_dir, bom, caplog, monkeypatch, damage
):
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)
    f = cache_file(background)
    raw = f.read_bytes()
    f.write_bytes(
        {"truncated": raw[: len(raw) // 2], "garbage": b"not a cache" * 10}.get(damage, b"")
    )
    with caplog.at_level(logging.WARNING, logger="lca.intensity_cache"):
        assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)
    assert any("ignoring unreadable background cache" in r.getMessage() for r in caplog.records)
    with np.load(f, allow_pickle=False) as z:  # written anew
        assert "lam" in z.files
    with monkeypatch.context() as mp:
        no_build(mp)
        assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)


def test_cached_background_builds_its_system_on_demand(background):
    engine = FootprintEngine(background)
    key = (DB, "steel")
    background_intensities(engine, [key], METHOD)  # computed (or read), cached either way
    bg = background_intensities(FootprintEngine(background), [key], METHOD)
    assert bg._system is None  # from the cache: no system yet
    assert bg.lam[bg.rows[key]] == pytest.approx(2.2, rel=1e-6)
    assert bg.units[key] == "kilogram"
    sysm = bg.system  # built now, with the cached layout
    node = engine.node(key)
    assert sysm.product_index[node.id] == bg.rows[key]
    assert bg.e[bg.cols[key]] == pytest.approx(2.0, rel=1e-6)  # c B: steel's own CO2


def test_unknown_activity_is_still_named(background, bw_dir, bom, tmp_path):
    """A key that is not in the cached system: the build names it and its part."""
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)  # the cache is warm
    f = tmp_path / "bad.csv"
    f.write_text(f"part,parent,quantity,unit,activity\nP,,,piece,\nx,P,1,kg,{DB}|nope\n")
    r = CliRunner().invoke(
        app,
        ["--data-dir", str(bw_dir), "bom", "rollup", str(f), "--method", "|".join(METHOD)],
    )
    assert r.exit_code == 1
    assert "nope" in r.stderr and "'x'" in r.stderr


def test_failed_command_leaves_no_cache(background, bw_dir, bom, tmp_path):
    """The roll-up succeeds, writing its tables fails (--out is inside a file): nothing is
    cached."""
    f = cache_file(background)
    f.unlink(missing_ok=True)
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder\n")
    r = CliRunner().invoke(
        app,
        ["--data-dir", str(bw_dir), "bom", "rollup", str(bom), "--method", "|".join(METHOD)]
        + ["--out", str(taken / "out")],
    )
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert "taken" in r.stderr
    assert not f.exists()
    assert rollup(bw_dir, bom) == pytest.approx(6.6, rel=1e-6)  # the next success writes it
    assert f.exists()
