"""Outputs are checked before anything is written and appear as one set (issue 9, item 4):
:func:`lca.files.staged` and its users. A failure or Ctrl-C at any point leaves the output folder
as it was (absent if it was), with no ``.pcf-staged-*`` leftovers; a target that cannot be written
is an :class:`~lca.errors.OutputError` naming it as the user gave it; two writers of one folder
never interleave."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lca import _outputs as lf
from lca.errors import OutputError, PCFError
from lca.files import (
    check_output_dir,
    output_lock,
    staged,
    write_atomic,
    write_files_atomically,
)

ROOT = Path(__file__).resolve().parent.parent


def tree(d: Path) -> dict[str, str]:
    """Every file under ``d`` but staging folders (relative path -> text); {} when ``d`` does
    not exist."""
    if not d.exists():
        return {}
    files = (p for p in sorted(d.rglob("*")) if p.is_file())
    return {
        p.relative_to(d).as_posix(): p.read_text(errors="replace")
        for p in files
        if ".pcf-staged-" not in p.relative_to(d).as_posix()
    }


def no_leftovers(d: Path) -> bool:
    return not any(".pcf-staged-" in p.name for p in d.rglob("*")) if d.exists() else True


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An output folder holding an earlier run's files and one file of the user's."""
    out = tmp_path / "out"
    write_files_atomically(out, {"a.csv": "old a", "sub/b.json": "old b", "draws.csv": "old d"})
    (out / "mine.txt").write_text("the user's")
    return out


# -- a set, all or nothing -------------------------------------------------------------------
def test_set_replaces_earlier_run_keeps_user_files(earlier):
    with staged(earlier, replaces=("draws.csv",)) as tmp:
        (tmp / "a.csv").write_text("new a")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.json").write_text("new b")
        assert tree(earlier)["a.csv"] == "old a"  # nothing visible before the end
    assert tree(earlier) == {"a.csv": "new a", "sub/b.json": "new b", "mine.txt": "the user's"}
    assert no_leftovers(earlier)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt("test ctrl-c")])
def test_failure_or_ctrl_c_leaves_folder_as_it_was(earlier, exc):
    before = tree(earlier)
    with pytest.raises(type(exc), match=f"^{exc}$"), staged(earlier) as tmp:
        (tmp / "a.csv").write_text("new a")
        write_atomic(earlier / "sub" / "b.json", "new b")
        raise exc
    assert tree(earlier) == before and no_leftovers(earlier)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt("test ctrl-c")])
def test_failure_leaves_no_new_folder(tmp_path, exc):
    out = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(type(exc), match=f"^{exc}$"), staged(out) as tmp:
        (tmp / "x.csv").write_text("x")
        raise exc
    assert not (tmp_path / "new").exists()


def test_failure_while_moving_rolls_back(earlier, monkeypatch):
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # a.csv backed up and placed, sub/b.json backed up: then a failure
            raise OSError(28, "No space left on device")
        return real(src, dst)

    before = tree(earlier)
    monkeypatch.setattr(lf.os, "replace", flaky)
    with pytest.raises(OutputError, match=r"out: No space left on device"), staged(earlier) as t:
        (t / "a.csv").write_text("new a")
        (t / "sub").mkdir()
        (t / "sub" / "b.json").write_text("new b")
    monkeypatch.setattr(lf.os, "replace", real)
    assert tree(earlier) == before and no_leftovers(earlier)


def test_writes_under_an_open_set_go_to_its_staging_folder(tmp_path):
    out = tmp_path / "out"
    with staged(out):
        p1 = write_atomic(out / "one.json", "1")
        p2 = write_files_atomically(out / "sub", {"two.csv": "2"})
        with staged(out / "reports") as inner:
            (inner / "three.html").write_text("3")
        assert (p1, p2) == (out / "one.json", [out / "sub" / "two.csv"])  # the final paths
        assert tree(out) == {}  # nothing in place yet
    assert tree(out) == {"one.json": "1", "sub/two.csv": "2", "reports/three.html": "3"}
    assert no_leftovers(out)


def test_signals_wait_for_the_move():
    # Python's own SIGINT handler, even where the test runs in a background job (which starts
    # with SIGINT ignored, so Python installs none)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _signals_wait_for_the_move()
    finally:
        signal.signal(signal.SIGINT, before)


def _signals_wait_for_the_move():
    got = []
    # the real SIGINT handler raises a bare KeyboardInterrupt: empty message
    with pytest.raises(KeyboardInterrupt, match="^$"), lf._signals_deferred():
        signal.raise_signal(signal.SIGINT)  # synchronous, unlike os.kill
        got.append("moved")  # not interrupted: the Ctrl-C arrives after the block
    assert got == ["moved"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- targets that cannot be written ----------------------------------------------------------
def test_out_is_a_file(tmp_path):
    f = tmp_path / "report.pdf"
    f.write_text("x")
    with pytest.raises(OutputError, match=r"report\.pdf: is a file, not a folder"):
        check_output_dir(f)
    with pytest.raises(OutputError, match=r"report\.pdf: is a file, not a folder"), staged(f):
        pass
    assert f.read_text() == "x"


def test_out_below_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match=r"cannot write .*file/out: .*file is a file"):
        write_files_atomically(f / "out", {"a": "b"})


def test_file_where_a_subfolder_is_needed_rolls_back(earlier):
    (earlier / "reports").write_text("a file, not a folder")
    before = tree(earlier)
    with pytest.raises(OutputError, match=r"reports is a file, not a folder"), staged(earlier) as t:
        (t / "a.csv").write_text("new a")
        (t / "reports").mkdir()
        (t / "reports" / "r.html").write_text("r")
    assert tree(earlier) == before and no_leftovers(earlier)


def test_write_atomic_onto_a_folder(tmp_path):
    with pytest.raises(OutputError, match=r"is a folder, not a file"):
        write_atomic(tmp_path, "x")


def test_unwritable_target_names_it_not_the_staging_folder(tmp_path, monkeypatch):
    out = tmp_path / "locked"
    out.mkdir()

    def denied(prefix="", dir=None, **_):
        raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "abc"))

    monkeypatch.setattr(lf.tempfile, "mkdtemp", denied)
    with pytest.raises(OutputError, match=r"locked: Permission denied$") as ei, staged(out):
        pass
    assert ".pcf-staged" not in str(ei.value) and ei.value.target == str(out)


def test_unwritable_file_inside_the_set_names_the_target(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=r"out: Permission denied") as ei, staged(out) as t:
        raise PermissionError(13, "Permission denied", str(t / "x.pdf"))
    assert ".pcf-staged" not in str(ei.value) and not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"ro: is not writable"):
            write_files_atomically(out, {"a": "b"})
        with pytest.raises(OutputError, match=r"ro/new: .*ro is not writable"):
            check_output_dir(out / "new")
    finally:
        out.chmod(0o755)


def test_output_error_is_a_pcf_error():
    assert issubclass(OutputError, PCFError)


# -- one writer at a time --------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys, time
    from lca.files import staged
    out, tag = sys.argv[1], sys.argv[2]
    with staged(out) as tmp:
        for i in range(8):
            (tmp / f"f{i}.txt").write_text(tag)
            time.sleep(0.05)
    """
)


def _writer(out: Path, tag: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(out), tag], cwd=ROOT)


def test_two_writers_do_not_interleave(tmp_path):
    out = tmp_path / "out"
    procs = [_writer(out, tag) for tag in ("A", "B", "C")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    values = set(tree(out).values())
    assert len(tree(out)) == 8 and len(values) == 1, tree(out)  # one whole set, not a mix
    assert no_leftovers(out)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from lca.files import output_lock
    with output_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(5)
    """
)


def test_second_writer_gives_up_with_a_clear_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(lf, "LOCK_TIMEOUT", 0.3)
        t0 = time.perf_counter()
        with pytest.raises(OutputError, match=r"another pcf command is writing it"):
            write_files_atomically(out, {"a": "b"})
        assert time.perf_counter() - t0 < 4
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_lock_is_reentrant_in_one_process(tmp_path):
    with output_lock(tmp_path), output_lock(tmp_path):
        pass


def test_not_writable_target_refused_before_work(tmp_path, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    monkeypatch.setattr(lf.os, "access", lambda p, mode: Path(p) != out)
    with pytest.raises(OutputError, match=r"ro: is not writable$"):
        write_files_atomically(out, {"a": "b"})
    with pytest.raises(OutputError, match=r"ro/new/deeper: .*ro is not writable$"):
        check_output_dir(out / "new" / "deeper")
    assert list(out.iterdir()) == []


# -- pcf demo: every option checked first, the whole output one set --------------------------
@pytest.mark.parametrize(
    "kw,exc,match",
    [
        ({"lang": "de"}, "InvalidDeclaration", r"^lang: 'de' is not a report language"),
        ({"lang": ""}, "InvalidDeclaration", r"^lang: '' is not a report language"),
        (
            {"method": "ef31"},
            "InvalidDeclaration",
            r"^method: 'ef31 = EF v3\.1.*PACT needs IPCC characterisation factors",
        ),
        ({"method": "gwp7"}, "UnknownMethod", r"Unknown method 'gwp7'"),
        ({"iterations": 1}, "UncertaintyError", r"^iterations: 1 draw has no spread"),
        ({"iterations": -3}, "UncertaintyError", r"^iterations: -3 is not"),
        ({"seed": -1}, "UncertaintyError", r"^seed: -1 is not"),
    ],
)
def test_demo_refuses_options_before_writing(shipped, tmp_path, kw, exc, match):
    from pcf import demo

    out = tmp_path / "out"
    t0 = time.perf_counter()
    with pytest.raises(PCFError, match=match) as ei:
        demo.run(shipped, out, **{"iterations": 0, **kw})
    assert type(ei.value).__name__ == exc
    assert not out.exists()
    assert time.perf_counter() - t0 < 20  # refused up front, not after the footprints


def test_demo_out_is_a_file(shipped, tmp_path):
    from pcf import demo

    f = tmp_path / "out.txt"
    f.write_text("x")
    with pytest.raises(OutputError, match=r"out\.txt: is a file, not a folder"):
        demo.run(shipped, f, iterations=0)


@pytest.fixture
def earlier_demo(tmp_path) -> Path:
    """An output folder with files of an earlier demo (with Monte Carlo) and one of the user's."""
    out = tmp_path / "demo"
    for rel in ("footprints.json", "montecarlo-draws.csv", "reports/pact-v3-lfp-pack-per-kwh.json"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("earlier run")
    (out / "notes.md").write_text("the user's")
    return out


def test_demo_interrupted_at_the_last_step_leaves_the_folder(shipped, earlier_demo, monkeypatch):
    from pcf import demo

    def interrupted(*a, **k):
        raise KeyboardInterrupt("test: Ctrl-C in the plant sheet")

    before = tree(earlier_demo)
    monkeypatch.setattr(demo, "write_demo_plant_sheet", interrupted)
    with pytest.raises(KeyboardInterrupt, match="^test: Ctrl-C in the plant sheet$"):
        demo.run(shipped, earlier_demo, iterations=0)
    assert tree(earlier_demo) == before and no_leftovers(earlier_demo)


def test_demo_replaces_an_earlier_run_as_a_set(shipped, earlier_demo):
    from pcf import demo

    summary = demo.run(shipped, earlier_demo, iterations=0)
    now = tree(earlier_demo)
    assert now["notes.md"] == "the user's"  # not the demo's: left alone
    assert "montecarlo-draws.csv" not in now  # the earlier run's draws: not mixed with this run
    assert now["footprints.json"] != "earlier run"
    assert now["reports/pact-v3-lfp-pack-per-kwh.json"] != "earlier run"
    written = summary["files"] + summary["reports"] + summary["factory"]["files"]
    assert all(Path(f).exists() and ".pcf-staged" not in f for f in written)
    assert no_leftovers(earlier_demo)
