"""``pcf doctor`` (issue 9): each planted kind of damage is found; ``--repair`` mends what can
be mended, saying each action. In-process CLI (``CliRunner``) on a project of its own in the
session's temporary Brightway directory."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pcf.app import app

runner = CliRunner()
GWP20 = ("IPCC 2021", "climate change", "global warming potential (GWP20)")


@pytest.fixture(scope="module")
def doctor(project, bw_dir):
    """``pcf --data-dir <session dir> --project doctor doctor ARGS`` (project built once)."""
    from lca.project import open_project

    open_project(bw_dir, project="doctor")

    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), "--project", "doctor", "doctor", *args])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    yield run
    open_project(project.base_dir)


def _bd():
    import bw2data as bd

    assert bd.projects.current == "doctor"
    return bd


def _db(bd, name, *codes, links=()):
    bd.Database(name).write(
        {
            (name, c): {
                "name": c,
                "unit": "kilogram",
                "exchanges": [{"input": (name, c), "amount": 1.0, "type": "production"}]
                + [{"input": k, "amount": 1.0, "type": "technosphere"} for k in links],
            }
            for c in codes
        }
    )


def _checks(r) -> dict:
    return {c["check"]: c for c in json.loads(r.stdout)["checks"]}


def test_healthy_project_is_ok(doctor):
    r = doctor("--json")
    report = json.loads(r.stdout)
    assert report["ok"] and all(c["ok"] for c in report["checks"])
    assert "OK" in doctor().stdout


def test_planted_problems_are_found_and_repaired(doctor):
    from lca import _health

    doctor()  # opens the project (bw2data's current one)
    bd = _bd()
    _db(bd, "kept", "a")
    _db(bd, "t.pcf-import-1234", "a")  # a killed import's temporary database
    _db(bd, "lost", "a", "b")
    del bd.databases.data["lost"]  # rows without metadata: the lost concurrent import
    bd.databases.flush()
    bd.Database("ghost").register()  # metadata without rows
    bd.Method(GWP20).deregister()  # a missing climate method
    _health._drop(bd, "biosphere3")  # an empty biosphere, as an interrupted set-up leaves it
    bd.Database("biosphere3").register()

    r = doctor("--json", code=1)
    checks = _checks(r)
    assert "'ghost'" in checks["registered databases are stored"]["detail"]
    assert "'lost'" in checks["stored databases are registered"]["detail"]
    assert checks["biosphere"]["detail"] == "'biosphere3': empty"
    assert (
        "IPCC 2021|climate change|global warming potential (GWP20)"
        in (checks["climate methods"]["detail"])
    )
    assert "t.pcf-import-1234" in checks["leftover temporary databases"]["detail"]
    assert [c for c in checks.values() if not c["ok"]] == [
        c for c in checks.values() if c["repair"]
    ]
    table = doctor(code=1)
    assert "problem" in table.stdout and "pcf doctor --repair" in table.stderr

    r = doctor("--repair")
    for line in (
        "dropped the temporary database 't.pcf-import-1234'",
        "re-registered 'lost' (2 activities were stored)",
        "deregistered 'ghost' (no activities stored)",
        "dropped the empty biosphere database 'biosphere3'",
        "built biosphere database 'biosphere3'",
    ):
        assert f"repaired: {line}" in r.stderr
    bd = _bd()
    assert {"kept", "lost", "biosphere3"} <= set(bd.databases) and "ghost" not in bd.databases
    assert len(bd.Database("biosphere3")) > 4000 and bd.methods[GWP20]["num_cfs"] > 0
    assert json.loads(doctor("--json").stdout)["ok"]


def test_dangling_exchanges_and_nonsquare_group_are_reported(doctor):
    from lca import _health

    doctor()
    bd = _bd()
    _db(bd, "dep", "a", "b")
    _db(bd, "user", "u", links=[("dep", "a")])
    from bw2data.backends import ActivityDataset as AD

    AD.delete().where((AD.database == "dep") & (AD.code == "a")).execute()  # 'a' disappears
    checks = _checks(doctor("--json", code=1))
    assert checks["dangling exchanges"]["detail"].startswith("dep: 1 exchange(s) to missing")
    assert "user: 1 exchange(s)" in checks["dangling exchanges"]["detail"]
    assert checks["square technosphere"]["detail"] == "dep+user: 2 activities, 3 products"
    r = doctor("--repair", "--json", code=1)  # nothing the doctor can mend: still reported
    assert not _checks(r)["dangling exchanges"]["ok"]
    bd = _bd()
    for name in ("dep", "user"):
        _health._drop(bd, name)
    doctor()


def test_files_of_unregistered_databases_are_reported_and_deleted(doctor):
    """bw2data leaves processed/<db>.zip and search/<db> behind when a database is deleted (the
    corpus found those of failed imports' temporary databases): reported, and --repair deletes
    them, never a registered database's or method's files."""
    doctor()
    bd = _bd()
    _db(bd, "gone.pcf-import-77", "a")
    del bd.databases["gone.pcf-import-77"]  # rows gone, files stay (bw2data's behaviour)
    base = bd.projects.dir
    left = sorted(p.name for sub in ("processed", "search") for p in (base / sub).glob("gone*"))
    assert len(left) == 2
    check = _checks(doctor("--json", code=1))["files of deleted databases"]
    assert not check["ok"] and all(name in check["detail"] for name in left)
    assert check["repair"] == "delete them"
    r = doctor("--repair")
    assert f"repaired: deleted processed/{left[0]}" in r.stderr
    assert not list((base / "processed").glob("gone*")) and not list(
        (base / "search").glob("gone*")
    )
    assert (base / "processed" / bd.Database("biosphere3").filename_processed()).is_file()
    assert json.loads(doctor("--json").stdout)["ok"]
