"""One writer at a time (issue 9): the project's write lock across threads and processes,
re-entrant in one thread, with a located error after its timeout; an interrupted write is
rolled back and said so; two processes importing into one fresh project both succeed."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from invfiles import background, write

from lca import _health, _lock
from lca.errors import ProjectError
from lca.project import interrupted_writes

ROOT = Path(__file__).resolve().parent.parent


def test_lock_marks_agree_with_the_importer():
    from lca.imports import _write

    assert (_health.TEMP_MARK, _health.BACKUP_MARK) == (_write.TEMP_MARK, _write.BACKUP_MARK)


def test_lock_is_reentrant_and_names_its_holder(tmp_path):
    with _lock.write_lock(tmp_path, "outer"):
        with _lock.write_lock(tmp_path, "inner"):  # the same thread: no deadlock
            assert _lock.held(tmp_path) == ["outer", "inner"]
            assert _lock.holder(tmp_path)["what"] == "outer"
            assert _lock.holder(tmp_path)["pid"] == os.getpid()
        assert _lock.held(tmp_path) == ["outer"]
    assert _lock.held(tmp_path) == [] and _lock.holder(tmp_path) == {}


def test_second_writer_waits_then_fails_naming_lock_and_holder(tmp_path, caplog):
    taken, release = threading.Event(), threading.Event()

    def hold():
        with _lock.write_lock(tmp_path, "import a.csv"):
            taken.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert taken.wait(10)
        start = time.monotonic()
        locked = r"locked by import a\.csv .*pid \d+.*lock file"
        with (
            caplog.at_level(logging.INFO, "lca.project"),
            pytest.raises(ProjectError, match=locked),
            _lock.write_lock(tmp_path, "import b.csv", timeout=0.3),
        ):
            pass
        assert 0.25 < time.monotonic() - start < 5
        assert "waiting for import a.csv in another process (pid" in caplog.text
    finally:
        release.set()
        t.join(10)


def test_second_writer_gets_the_lock_when_the_first_is_done(tmp_path):
    order = []
    taken = threading.Event()

    def hold():
        with _lock.write_lock(tmp_path, "first"):
            taken.set()
            time.sleep(0.3)
            order.append("first")

    t = threading.Thread(target=hold)
    t.start()
    assert taken.wait(10)
    with _lock.write_lock(tmp_path, "second", timeout=10):
        order.append("second")
    t.join(10)
    assert order == ["first", "second"]


def test_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv(_lock.ENV_TIMEOUT, "2.5")
    assert _lock.lock_timeout() == 2.5 and _lock.lock_timeout(1) == 1.0
    monkeypatch.setenv(_lock.ENV_TIMEOUT, "soon")
    with pytest.raises(ProjectError, match="PCF_LOCK_TIMEOUT='soon' is not a number"):
        _lock.lock_timeout()


def test_interrupted_import_is_rolled_back_and_said(project):
    import bw2data as bd

    from pcf.context import interrupted_line

    tmp = "t-int.pcf-import-1a2b"
    ctrl_c = pytest.raises(KeyboardInterrupt, match="^test: Ctrl-C during the import$")
    with ctrl_c, project.write_lock("import t-int.csv"):
        bd.Database(tmp).write({(tmp, "a"): {"name": "a", "unit": "kilogram"}})
        raise KeyboardInterrupt("test: Ctrl-C during the import")
    assert tmp not in bd.databases and not _health.leftovers(project)
    assert interrupted_line("interrupted (Ctrl-C)") == (
        "interrupted (Ctrl-C): import t-int.csv rolled back; the project is unchanged"
    )
    assert interrupted_writes() == []  # read once
    assert interrupted_line("interrupted") == "interrupted"


_IMPORTER = """
import sys, time
from pathlib import Path
from lca.project import open_project
from lca.workflows import ensure_inventories
proj = open_project(sys.argv[1])
time.sleep(float(sys.argv[3]))
print(ensure_inventories(proj, [Path(sys.argv[2])]))
"""


def test_two_processes_import_into_one_fresh_project(tmp_path):
    """Both processes set up (one builds, the other waits) and import; both databases stay."""
    data = tmp_path / "bw"
    files = [write(tmp_path / f"bg{i}.csv", background(f"conc-bg{i}")) for i in (1, 2)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORTER, str(data), str(f), "0"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, errs) in zip(procs, outs, strict=True):
        assert p.returncode == 0, errs
    assert {o.strip() for o, _ in outs} == {"['conc-bg1']", "['conc-bg2']"}
    # the second process waits for the first: while it opens the fresh directory (bw2data
    # creates its 'default' project on import) or while it builds the project
    assert any(
        re.search(r"waiting for (opening the directory|set-up of project 'pcf') in another", e)
        for _, e in outs
    )
    check = (
        "import sys, json; from lca.project import open_project, check_project;"
        "p = open_project(sys.argv[1], setup=False);"
        "print(json.dumps([p.databases(), [f.ok for f in check_project(p)]]))"
    )
    r = subprocess.run(
        [sys.executable, "-c", check, str(data)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dbs, oks = json.loads(r.stdout)
    assert {"conc-bg1", "conc-bg2", "biosphere3"} <= set(dbs) and all(oks), r.stderr
    assert not list(data.glob(".pcf-setup-*"))


_KILLED_IMPORT = """
import sys, time
import bw2data.backends.base as base
def rename(self, name):  # the import's temporary database is written: stop here
    print('ready', file=sys.__stderr__, flush=True)
    time.sleep(60)
base.SQLiteBackend.rename = rename
import pcf.app
sys.argv[0] = 'pcf'
pcf.app.main()
"""


def test_sigterm_during_an_import_rolls_it_back_and_says_so(bw_dir, project, tmp_path):
    """A real ``pcf import`` terminated after writing its temporary database: exit 143, one line
    saying the import was rolled back, and the project holds neither database afterwards."""
    from lca.project import open_project

    src = write(tmp_path / "killed.csv", background("killed-bg"))
    args = ["--data-dir", str(bw_dir), "--project", "sigterm", "import", str(src)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IMPORT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stderr.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        _, errs = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, errs
    line = errs.strip()
    assert line.startswith("error: terminated (SIGTERM): "), errs
    assert line.endswith("rolled back; the project is unchanged") and len(line.splitlines()) == 1
    try:
        proj = open_project(bw_dir, project="sigterm", setup=False, mend=False)
        assert not _health.leftovers(proj) and "killed-bg" not in proj.databases()
    finally:
        open_project(project.base_dir)
