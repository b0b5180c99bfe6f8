"""Processes with several products: allocated with the ``multifunctional`` package by the
allocation the source declares (process, then database), else ``--allocation``, else by mass
(the stated default) or refused; every footprint equal to plain bw2calc on the allocated
database, and to hand values.

``multifunctional/products.csv``: the multifunctional package's own test fixture
(tests/data/importers/README.md): process 1 makes 4 kg of "first product" (price 7, mass 6)
and 6 MJ of "second product - 1" (price 12, mass 4) and emits 10 kg of CO2 (here the
biosphere3 "Carbon dioxide, fossil", GWP 1 in every IPCC method).

* by mass: factors 4*6 : 6*4 = 0.5 : 0.5, so 5 kg CO2 / 4 kg = 1.25 and 5 / 6 = 0.8333 per MJ;
* by price (economic): 4*7 : 6*12 = 28 : 72, so 2.8 / 4 = 0.7 and 7.2 / 6 = 1.2;
* equal: as by mass here (0.5 : 0.5).

Hand values are compared to 1e-7 relative: the allocated amounts (2.8, 7.2 kg) reach bw2calc
rounded to single precision (0.7 comes out as 0.69999999 in plain bw2calc too); footprints
equal plain bw2calc to 1e-9.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

DATA = Path(__file__).parent / "data" / "importers"
MF = DATA / "multifunctional" / "products.csv"
FPL = DATA / "bw2io" / "US-FPL.zip"
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


def _bw2calc(key) -> float:
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]).id: 1.0}, methods.resolve(None))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        lca.lci()
    try:
        lca.lcia()
    except bc.errors.EmptyBiosphere:
        return 0.0
    return float(lca.score)


def _footprints(pcf, database: str) -> dict[str, float]:
    """``pcf footprint`` of every product ``pcf products --all`` lists for ``database``, each
    equal to plain bw2calc (1e-9 relative)."""
    rows = [
        r
        for r in json.loads(pcf("products", "--all", "--json").stdout)
        if r["key"].split("|", 1)[0] == database
    ]
    out = {}
    for r in rows:
        total = json.loads(pcf("footprint", r["key"], "--json").stdout)["total"]
        assert total == pytest.approx(_bw2calc(tuple(r["key"].split("|", 1))), rel=1e-9, abs=1e-15)
        out[r["name"]] = total
    return out


def _variant(tmp_path, name, edit) -> Path:
    text = edit(MF.read_text(encoding="utf-8"))
    out = tmp_path / f"{name}.csv"
    out.write_text(text, encoding="utf-8")
    return out


def test_default_allocation_is_by_mass_and_products_are_listed(pcf):
    (rep,) = json.loads(pcf("import", MF, "--json").stdout)
    assert any("allocated by 'mass' (the default" in c for c in rep["converted"])
    # products, not the multifunctional process
    assert _footprints(pcf, "mf-products") == pytest.approx(
        {"first product": 1.25, "second product - 1": 5 / 6}, rel=1e-7
    )


def test_allocation_chosen_by_the_user(pcf, tmp_path):
    src = _variant(tmp_path, "price", lambda t: t.replace("mf-products", "mf-price"))
    pcf("import", src, "--allocation", "price")
    assert _footprints(pcf, "mf-price") == pytest.approx(
        {"first product": 0.7, "second product - 1": 1.2}, rel=1e-7
    )


def test_allocation_declared_by_the_database_wins_over_the_option(pcf, tmp_path):
    def declare(t):
        t = t.replace("mf-products", "mf-declared")
        return t.replace(
            "Database,mf-declared\n", "Database,mf-declared\ndefault_allocation,price\n"
        )

    (rep,) = json.loads(
        pcf(
            "import", _variant(tmp_path, "declared", declare), "--allocation", "equal", "--json"
        ).stdout
    )
    assert any("'price' (declared by the database" in c for c in rep["converted"])
    assert _footprints(pcf, "mf-declared") == pytest.approx(
        {"first product": 0.7, "second product - 1": 1.2}, rel=1e-7
    )


def test_no_allocation_is_refused_with_the_process_named(pcf, tmp_path):
    import bw2data as bd

    def no_mass(t):
        t = t.replace("mf-products", "mf-nomass")
        return t.replace(",7,6\n", ",7,\n").replace(",12,4\n", ",12,\n")

    src = _variant(tmp_path, "nomass", no_mass)
    r = pcf("import", src, code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert "process 'process - 1'" in msg and "2 products ('first product'" in msg
    assert "--allocation" in msg and "mf-nomass" not in bd.databases
    # a property the products do not have: named, nothing written
    r = pcf("import", src, "--allocation", "mass", code=1)
    assert "missing on 'first product', 'second product - 1'" in " ".join(r.stderr.split())
    assert "mf-nomass" not in bd.databases
