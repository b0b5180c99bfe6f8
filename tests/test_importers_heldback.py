"""The Bar's held-back set: real third-party files not used while developing the importers
(tests/data/importers/heldback/README.md), run the same way as the development fixtures:
each either imports and every product's ``pcf footprint`` equals plain bw2calc (1e-9
relative), or gets a located error (the file named, exit code 1, no "internal error") and
writes nothing. Strict linking first; a file that fails it only on unlinked exchanges is then
imported with the two explicit rules (--link-biosphere-by-name --drop-unlinked) where the
format allows them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

HELD = Path(__file__).parent / "data" / "importers" / "heldback"
runner = CliRunner()
RULES = ("--link-biosphere-by-name", "--drop-unlinked")

#: file -> what happens (see the README's table): "imports", "imports with rules", or the
#: message of the located refusal
OUTCOMES = {
    "bw2io/00000_11111111-2222-3333-4444-555555555555_66666666-7777-8888-9999-000000000000"
    ".spold": "imports with rules",
    "bw2io/Aluminum, extrusion, at plant.xml": "not a valid EcoSpold 1 file",
    "bw2io/allocation.csv": "imports",
    "bw2io/basic_example.xlsx": "imports",
    "bw2io/bw2_compat_test.bw2package": "unsupported inventory format '.bw2package'",
    "bw2io/complicated.csv": "parameters cannot be evaluated",
    "bw2io/inventory.csv": "imports with rules",
    "bw2io/multioutput.txt": "unsupported inventory format '.txt'",
}


# the databases this module imports are removed after it (conftest.own_databases)
pytestmark = pytest.mark.usefixtures("own_databases")


@pytest.fixture(scope="module")
def pcf(project, bw_dir):
    def run(*args, code=None):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        if code is not None:
            assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def _bw2calc(key) -> float:
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]).id: 1.0}, methods.resolve(None))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        lca.lci()
    try:
        with warnings.catch_warnings():
            # a system whose flows have no factor in the method: bw2calc warns, scores 0
            warnings.filterwarnings("ignore", "All values in characterization", UserWarning)
            lca.lcia()
    except bc.errors.EmptyBiosphere:
        return 0.0
    return float(lca.score)


def test_every_held_back_file_is_in_the_table():
    files = {p.relative_to(HELD).as_posix() for p in HELD.rglob("*") if p.is_file()}
    assert files - {"README.md"} == set(OUTCOMES)


@pytest.mark.parametrize("rel", sorted(OUTCOMES))
def test_held_back_file_imports_equal_to_bw2calc_or_is_refused_located(pcf, rel):
    path = HELD / rel
    expected = OUTCOMES[rel]
    before = _dbs()
    r = pcf("import", path, "--json")
    if r.exit_code != 0 and expected == "imports with rules":
        assert "unlinked exchange(s); nothing was written" in r.stderr
        assert _dbs() == before
        r = pcf("import", path, *RULES, "--json")
    if not expected.startswith("imports"):
        msg = " ".join(r.stderr.split())
        assert r.exit_code == 1 and str(path) in msg and expected in msg, msg
        assert "internal error" not in msg and _dbs() == before
        return
    assert r.exit_code == 0, (r.stdout, r.stderr)
    (rep,) = json.loads(r.stdout)
    rows = [
        x
        for x in json.loads(pcf("products", "--all", "--json", code=0).stdout)
        if x["key"].split("|", 1)[0] == rep["database"]
    ]
    assert rows
    for x in rows:
        total = json.loads(pcf("footprint", x["key"], "--json", code=0).stdout)["total"]
        assert total == pytest.approx(_bw2calc(tuple(x["key"].split("|", 1))), rel=1e-9, abs=1e-15)
