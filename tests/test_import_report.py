"""``pcf import`` reports what it read, how it linked, and every conversion, assumption and
drop, on the terminal, as ``--json`` and as ``--report FILE`` (written atomically, on a failure
too); a multi-file import is all-or-nothing as a whole. Real third-party files
(tests/data/importers/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

DATA = Path(__file__).parent / "data" / "importers"
BEEF = DATA / "bw2io" / "beef-cattle-finishing.zip"
FPL = DATA / "bw2io" / "US-FPL.zip"
SP = DATA / "bw_simapro_csv"
runner = CliRunner()


# the databases this module imports are removed after it (conftest.own_databases)
pytestmark = pytest.mark.usefixtures("own_databases")


@pytest.fixture(scope="module")
def pcf(project, bw_dir):
    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def test_failed_import_writes_a_report_listing_every_unlinked_exchange(pcf, tmp_path):
    """The beef export has 61 inputs no process of the package makes and no installed database
    holds (test_importers_real): the report says nothing was written and lists all 61."""
    before = _dbs()
    out = tmp_path / "reports" / "beef.json"
    pcf("import", BEEF, "--report", out, code=1)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["ok"] is False and doc["written"] is False
    assert len(doc["unlinked"]) == 61
    assert "61 unlinked exchange(s); nothing was written" in doc["error"]
    assert {"type", "name", "unit", "activity"} <= set(doc["unlinked"][0])
    assert _dbs() == before
    assert [p.name for p in out.parent.iterdir()] == ["beef.json"]  # no temporary file left


def test_report_lists_every_drop_assumption_and_conversion(pcf, tmp_path):
    out = tmp_path / "beef.json"
    r = json.loads(pcf("import", BEEF, "--drop-unlinked", "--json", "--report", out).stdout)
    (rep,) = r
    assert json.loads(out.read_text(encoding="utf-8"))["imports"] == r
    assert rep["format"] == "jsonld"
    # 8 processes, 8 product nodes (test_importers_real)
    assert (rep["read"]["activities"], rep["read"]["products"]) == (8, 8)
    # every one of the 61 dropped inputs, then the product system the package holds
    unlinked = [d for d in rep["dropped"] if "dropped (--drop-unlinked)" in d]
    assert len(unlinked) == 61
    assert any("product system(s) ignored" in d for d in rep["dropped"])
    assert len(rep["dropped"]) == 62
    # the process without a marked reference flow (README of the fixtures)
    assert any("has no quantitativeReference" in a for a in rep["assumed"])
    # the counts add up: every non-production exchange written links somewhere
    read = rep["read"]
    assert sum(rep["links"].values()) == read["exchanges"] - read.get("production exchanges", 0)


def test_allocation_and_waste_are_reported_as_conversions(pcf):
    (rep,) = json.loads(
        pcf("import", FPL, "--name", "fpl-report", "--drop-unlinked", "--json").stdout
    )
    conv = rep["converted"]
    # causal allocation factors of the package's multi-output processes, and its waste output
    assert any("allocated by its CAUSAL_ALLOCATION factors" in c for c in conv), conv
    assert any("waste exchange(s) turned into negative products" in c for c in conv), conv


def test_terminal_report_lists_the_rules_applied(pcf, tmp_path):
    # a copy under its own name: a database of its own (the original may be installed already)
    src = tmp_path / "library-export.csv"
    shutil.copy(SP / "missing-project.csv", src)
    r = pcf("import", src, "--drop-unlinked")
    text = " ".join(r.stdout.split())
    assert "library-export:" in text and "read: activities" in text
    assert "database named 'library-export' after the file" in text
    assert "dropped: nothing" in text  # every exchange of this file links


def test_generic_co2_linked_as_fossil_is_an_assumption(pcf, tmp_path):
    # bw_simapro_csv's waste_scenario.csv without its waste scenario (as test_importers_real)
    lines = (SP / "waste_scenario.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "Process")
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "End")
    src = tmp_path / "two-treatments.csv"
    src.write_text("".join(lines[:start] + lines[end + 1 :]), encoding="utf-8")
    (rep,) = json.loads(
        pcf("import", src, "--name", "sp-rep", "--link-biosphere-by-name", "--json").stdout
    )
    fossil = [a for a in rep["assumed"] if "assumed fossil" in a]
    assert len(fossil) == 2  # one "Carbon dioxide" in each of the two treatments
    assert sum("waste exchange(s) written the ecoinvent way" in c for c in rep["converted"]) == 2


def test_multi_file_import_is_all_or_nothing(pcf, tmp_path):
    """A good package followed by a refused file: neither is written, and the report says so."""
    before = _dbs()
    out = tmp_path / "two.json"
    r = pcf("import", FPL, SP / "stages.csv", "--drop-unlinked", "--report", out, code=1)
    assert "stages.csv, line 2" in " ".join((r.stderr + r.stdout).split())
    assert _dbs() == before  # US-FPL, read and checked first, was not written either
    assert json.loads(out.read_text(encoding="utf-8"))["written"] is False
