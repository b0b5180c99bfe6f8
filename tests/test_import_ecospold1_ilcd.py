"""EcoSpold 1 (US LCI era) through bw2io, and ILCD refused with a located message; real public
files (tests/data/importers/README.md)."""

from __future__ import annotations

import json
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

DATA = Path(__file__).parent / "data" / "importers"
ES1 = DATA / "bw2io" / "ecospold1"
ABS = ES1 / "Acrylonitrile-butadiene-styrene copolymer (ABS), resin, at plant CTR.xml"
ACETIC = ES1 / "Acetic acid, at plant.xml"
ILCD = DATA / "pyilcd"
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


def _bw2calc(key) -> float:
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]).id: 1.0}, methods.resolve(None))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        lca.lci()
    lca.lcia()
    return float(lca.score)


def test_ecospold1_us_lci_dataset_imports_and_footprints_equal_bw2calc(pcf):
    """US LCI's ABS resin (Franklin Associates for ACC, 2007) in EcoSpold 1: its inputs come
    from other US LCI datasets (not here) and many of its flows have US LCI names biosphere3
    does not use: nothing is written until the user chooses to link by name and drop the
    rest; then every choice is in the report."""
    before = _dbs()
    r = pcf("import", ABS, "--name", "uslci-abs", code=1)
    assert "unlinked exchange(s); nothing was written" in r.stderr and _dbs() == before
    (rep,) = json.loads(
        pcf(
            "import",
            ABS,
            "--name",
            "uslci-abs",
            "--link-biosphere-by-name",
            "--drop-unlinked",
            "--json",
        ).stdout
    )
    assert rep["format"] == "ecospold1" and rep["read"]["activities"] == 1
    # the recovered-energy byproduct: no <allocation> in the file, so it bears no burden
    (byproduct,) = [d for d in rep["dropped"] if "byproduct" in d]
    assert "'Recovered energy, for Acrylonitrile-butadiene-styrene copolymer, CTR' 0.4791" in (
        byproduct
    )
    # the dataset's own CO2 links (the file names it "Carbon dioxide, fossil")
    assert rep["links"]["biosphere (biosphere3)"] > 0
    rows = [
        x for x in json.loads(pcf("products", "--json").stdout) if x["key"].startswith("uslci-abs|")
    ]
    (row,) = rows
    total = json.loads(pcf("footprint", row["key"], "--json").stdout)["total"]
    assert total == pytest.approx(_bw2calc(tuple(row["key"].split("|", 1))), rel=1e-9)
    assert total > 0


def test_ecospold1_co_products_are_split_by_the_files_allocation(pcf, tmp_path):
    """The US LCI acetic acid dataset (bw2io's fixture) has a root element bw2io's schema
    refuses (<notecoSpold>): a located error, nothing written. With the root named as
    EcoSpold 1 names it, its two products are split by the file's own <allocation> fractions
    (1.0 to acetic acid, 0.0 to recovered energy, US LCI's 0..1 reading of them)."""
    before = _dbs()
    r = pcf("import", ACETIC, "--name", "uslci-acetic", code=1)
    msg = " ".join(r.stderr.split())
    assert "Acetic acid, at plant.xml: not a valid EcoSpold 1 file" in msg
    assert "notecoSpold" in msg and _dbs() == before
    fixed = tmp_path / "acetic.xml"
    fixed.write_text(
        ACETIC.read_text(encoding="utf-8").replace("notecoSpold", "ecoSpold"), encoding="utf-8"
    )
    (rep,) = json.loads(
        pcf(
            "import",
            fixed,
            "--name",
            "uslci-acetic",
            "--link-biosphere-by-name",
            "--drop-unlinked",
            "--json",
        ).stdout
    )
    assert any("2 products" in c and "read as 0..1" in c for c in rep["converted"])
    import bw2data as bd

    totals = {}
    for node in list(bd.Database("uslci-acetic")):
        key = f"uslci-acetic|{node['code']}"
        totals[node["name"]] = json.loads(pcf("footprint", key, "--json").stdout)["total"]
        assert totals[node["name"]] == pytest.approx(_bw2calc(node.key), rel=1e-9, abs=1e-15)
    # fraction 0.0: the recovered energy bears nothing; the acid everything (its CO2 0.00176 kg
    # and the other flows that link)
    assert totals["Recovered energy, at acetic acid production"] == 0
    assert totals["Acetic acid, at plant"] > 0


@pytest.mark.parametrize("form", ["file", "folder", "zip"])
def test_ilcd_is_refused_with_a_located_message(pcf, tmp_path, form):
    """The ILCD format's sample process data set (as shipped with pyilcd)."""
    src = (
        {"file": ILCD / "processes" / "sample_process.xml", "folder": ILCD}[form]
        if (form != "zip")
        else tmp_path / "ilcd.zip"
    )
    if form == "zip":
        with zipfile.ZipFile(src, "w") as zf:
            zf.write(ILCD / "processes" / "sample_process.xml", "ILCD/processes/sample.xml")
    before = _dbs()
    r = pcf("import", src, "--name", "ilcd", code=1)
    msg = " ".join(r.stderr.split())
    assert f"{src}: an ILCD / EF 3.x package; not imported" in msg
    assert "internal error" not in msg and _dbs() == before


def test_an_xml_file_of_no_known_format_is_named(pcf, tmp_path):
    other = tmp_path / "other.xml"
    shutil.copy(DATA / "bw2io" / "ecospold1" / "Acetic acid, at plant.xml", other)
    other.write_text('<?xml version="1.0"?><root xmlns="urn:x"/>', encoding="utf-8")
    r = pcf("import", other, code=1)
    assert "other.xml: an XML file that is neither EcoSpold 1 nor ILCD" in " ".join(
        r.stderr.split()
    )
