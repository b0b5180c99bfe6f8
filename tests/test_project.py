"""lca.project with ``use_global``: the user's own Brightway directory is used, never written to
unless asked, and its own biosphere database is the one the engine uses.

The "global" directory here is a temporary one (``BRIGHTWAY2_DIR``), never the user's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lca.errors import ProjectError

ROOT = Path(__file__).resolve().parent.parent

EI_BIO = "ecoinvent-3.10-biosphere"
CO2_FOSSIL = "349b29d1-3e58-4c66-98b9-9d1a076efd2e"  # biosphere3 / ecoinvent code
GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")


def _flows(db):
    return {
        (db, CO2_FOSSIL): {"name": "Carbon dioxide, fossil", "unit": "kilogram",
                           "type": "emission", "categories": ("air",)},
        (db, "ch4"): {"name": "Methane, fossil", "unit": "kilogram", "type": "emission",
                      "categories": ("air",)},
    }  # fmt: skip


@pytest.fixture
def global_dir(project, tmp_path, monkeypatch):
    """A 'global' Brightway directory holding project ``mine`` with an ecoinvent-named
    biosphere and no methods; ``BRIGHTWAY2_DIR`` points at it. The session project is reopened
    afterwards."""
    import lca.project
    from lca.project import open_project

    g = tmp_path / "global-bw"
    try:
        open_project(g, project="mine", setup=False)
        import bw2data as bd

        from lca import quiet

        with quiet():
            bd.Database(EI_BIO).write(_flows(EI_BIO))
        open_project(project.base_dir)  # back to the engine's directory
        monkeypatch.setenv("BRIGHTWAY2_DIR", str(g))
        # reopening the engine's directory resets BRIGHTWAY2_DIR to it; the user's own value is
        # then the one saved before: make that the temporary dir too, never the real user dir
        monkeypatch.setattr(lca.project, "_env_state", {"before": str(g)})
        assert lca.project.global_data_dir() == g.resolve()
        yield g.resolve()
    finally:
        open_project(project.base_dir)


def _state(g: Path):
    """Projects of the global directory, and databases and methods of its project ``mine``
    (bw2data is pointed at it for the reading, then left there)."""
    import bw2data as bd

    from lca import quiet
    from lca.project import _global_project_names

    names = _global_project_names(g)
    with quiet():
        if Path(bd.projects._base_data_dir).resolve() != g:
            bd.projects.change_base_directories(g, project_name="mine", update=False)
        bd.projects.set_current("mine", update=False)
    return names, sorted(bd.databases), len(bd.methods)


def test_global_without_methods_raises_and_creates_nothing(project, global_dir):
    import bw2data as bd

    from lca.project import global_data_dir, open_project

    before = _state(global_dir)
    for kwargs in ({}, {"setup": False}):
        open_project(project.base_dir)  # bw2data on the engine's directory: --global switches
        assert global_data_dir() == global_dir
        with pytest.raises(ProjectError, match="Brightway project 'mine' in .* lacks what") as ei:
            open_project(project="mine", use_global=True, **kwargs)
        msg = str(ei.value)
        assert "IPCC 2021|climate change|global warming potential (GWP100)" in msg
        assert f"biosphere {EI_BIO!r}" in msg and "setup=True" in msg
        assert "Nothing was created" in msg
        assert Path(bd.projects._base_data_dir).resolve() == global_dir
        assert _state(global_dir) == before  # no project, database (biosphere3!) or method
    assert before[1] == [EI_BIO] and before[2] == 0


def test_global_unknown_project_is_not_created(global_dir, tmp_path, monkeypatch):
    from lca.project import _global_project_names, open_project

    names = _global_project_names(global_dir)
    with pytest.raises(ProjectError, match=r"'nope' does not exist.*known: default, mine"):
        open_project(project="nope", use_global=True)
    assert _global_project_names(global_dir) == names
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("BRIGHTWAY2_DIR", str(empty))
    with pytest.raises(ProjectError, match="No Brightway projects"):
        open_project(project="mine", use_global=True)
    assert list(empty.iterdir()) == []


def test_global_setup_uses_the_projects_own_biosphere(global_dir):
    import bw2data as bd

    from lca import methods, quiet
    from lca.project import detect_biosphere, open_project

    proj = open_project(project="mine", use_global=True, setup=True)  # explicitly asked
    assert proj.biosphere == EI_BIO and proj.base_dir.resolve() == global_dir
    assert sorted(bd.databases) == [EI_BIO]  # no second biosphere (biosphere3) created
    assert all(m in bd.methods for m in methods.REQUIRED_METHODS)
    linked = {bd.get_node(id=f)["database"] for f, *_ in bd.Method(GWP100).load()}
    assert linked == {EI_BIO}
    # another database of elementary flows: the methods tell which one the project uses
    with quiet():
        bd.Database("other-flows").write(_flows("other-flows"))
    assert detect_biosphere(bd) == EI_BIO
    again = open_project(project="mine", use_global=True)  # default: no setup, nothing missing
    assert again.biosphere == EI_BIO
    assert sorted(bd.databases) == [EI_BIO, "other-flows"]


def test_cli_open_does_not_set_up_a_global_project(monkeypatch):
    import lca.project
    from pcf.context import State

    calls = []
    monkeypatch.setattr(lca.project, "open_project", lambda *a, **k: calls.append(k))
    State(use_global=True).open()
    State(use_global=False).open()
    assert [(c["use_global"], c["setup"]) for c in calls] == [(True, False), (False, True)]


# --- atomic set-up, half-built projects, leftovers of killed imports (issue 9) -----------------


@pytest.fixture
def reopen(project):
    """Give the test bw2data to itself; the session project is reopened afterwards."""
    from lca.project import open_project

    yield
    open_project(project.base_dir)


def test_interrupted_setup_leaves_nothing_and_next_open_builds(tmp_path, reopen, monkeypatch):
    import bw2data as bd

    import lca.project
    from lca.project import interrupted_writes, open_project

    def killed(proj):
        bd.Database(proj.biosphere).register()  # 1.5 s in: biosphere registered, still empty
        raise KeyboardInterrupt("test: Ctrl-C in the set-up")

    base = tmp_path / "bw"
    monkeypatch.setattr(lca.project, "_create_setup", killed)
    with pytest.raises(KeyboardInterrupt, match="^test: Ctrl-C in the set-up$"):
        open_project(base)
    assert interrupted_writes() == ["set-up of project 'pcf' rolled back; nothing was created"]
    assert "pcf" not in bd.projects and not list(base.glob(".pcf-setup-*"))
    monkeypatch.undo()
    proj = open_project(base)
    assert len(bd.Database(proj.biosphere)) > 4000
    assert not lca.project.missing_setup(proj)
    assert [p.name for p in base.iterdir() if p.name.startswith("pcf.")]  # moved into place


def test_half_built_project_is_rebuilt_on_open(tmp_path, reopen, caplog):
    import bw2data as bd

    from lca.methods import REQUIRED_METHODS
    from lca.project import missing_setup, open_project

    base = tmp_path / "bw"
    proj = open_project(base, setup=False)  # an old, interrupted set-up: registered, empty
    bd.Database("biosphere3").register()
    assert len(bd.Database("biosphere3")) == 0 and missing_setup(proj)
    with caplog.at_level(logging.INFO, "lca.project"):
        proj = open_project(base)
    assert "is half-built (biosphere database 'biosphere3' is registered but empty" in caplog.text
    assert "rebuilding it" in caplog.text
    assert len(bd.Database("biosphere3")) > 4000
    assert all(bd.methods[m]["num_cfs"] > 0 for m in REQUIRED_METHODS)


def _db(bd, name, *codes):
    bd.Database(name).write({(name, c): {"name": c, "unit": "kilogram"} for c in codes})


def test_leftovers_of_killed_imports_are_cleaned_on_open(bw_dir, reopen, caplog):
    import bw2data as bd

    from lca.project import open_project

    open_project(bw_dir, project="leftovers", setup=False)
    _db(bd, "x", "a")
    _db(bd, "x.pcf-import-1234", "a", "b")  # killed while writing: dropped
    _db(bd, "y.pcf-backup-5678", "old")  # killed after moving y aside: y restored
    _db(bd, "z", "new")
    _db(bd, "z.pcf-backup-9abc", "old")  # killed after the swap: the new z stays
    _db(bd, "w", "partial")
    _db(bd, "w.pcf-import-def0", "new")
    _db(bd, "w.pcf-backup-def0", "old")  # killed during the swap: w restored from its backup
    with caplog.at_level(logging.WARNING, "lca.project"):
        open_project(bw_dir, project="leftovers", setup=False)
    assert sorted(bd.databases) == ["w", "x", "y", "z"]
    assert {a["code"] for a in bd.Database("y")} == {"old"}
    assert {a["code"] for a in bd.Database("w")} == {"old"}
    assert {a["code"] for a in bd.Database("z")} == {"new"}
    assert {a["code"] for a in bd.Database("x")} == {"a"}
    for line in (
        "dropped the temporary database 'x.pcf-import-1234'",
        "restored 'y' from 'y.pcf-backup-5678'",
        "dropped 'z.pcf-backup-9abc' (the replacement of 'z' had finished)",
        "restored 'w' from 'w.pcf-backup-def0'",
    ):
        assert line in caplog.text
    from lca import _health

    assert not _health.leftovers(open_project(bw_dir, project="leftovers", setup=False))


@pytest.mark.parametrize("package", ["inventories", "pcf/demo", "reports"])
def test_every_data_file_the_code_reads_is_package_data(package):
    """What an installed wheel needs (the shipped inventories, the demo's meta files, the report
    templates) matches a [tool.setuptools.package-data] glob of its package: the demo's NMC811
    meta files once were not listed, so ``pcf demo`` from a wheel could not find them."""
    import fnmatch
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = conf["tool"]["setuptools"]["package-data"][package.replace("/", ".")]
    base = ROOT / package
    files = [
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert files
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, g) for g in globs)]
    assert missing == [], f"not in the wheel (pyproject package-data {package}): {missing}"
