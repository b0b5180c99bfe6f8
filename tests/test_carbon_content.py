"""Carbon content of the shipped products (inventories/carbon-content.csv, lca.carbon_content):
the table covers every shipped product key with its unit, its computed figures are the
stoichiometry by hand, a bad row is an error naming file, line and column, and through
``pcf report pact`` a computed product states its figure while a not-assessed one keeps the
spec-required 0 with the comment that says so (reports/pact/RULES.md B5, B10)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from lca.carbon_content import (
    COLUMNS,
    CarbonContentError,
    carbon_content,
    carbon_content_path,
    read_carbon_contents,
)
from lca.errors import InputFileError, PCFError

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ROOT / "inventories" / "products"

# IUPAC abridged standard atomic weights (IUPAC 2021 Technical Report, Table 2)
C, H, O, N = 12.011, 1.008, 15.999, 14.007
PP = ("pcf-products-polypropylene", "polypropylene-resin-us")
PET_FABRIC = ("pcf-products-polyester-fabric", "polyester-fabric-knitted-dyed-cn")


def _shipped_products() -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """(every activity key of inventories/products -> its unit, the pcf_key_products keys),
    read from the CSV files themselves (no Brightway)."""
    units, declared = {}, set()
    for f in sorted(PRODUCTS.glob("*.csv")):
        rows = list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
        db = next(r[1] for r in rows if r and r[0] == "Database")
        code = None
        for r in rows:
            if not r:
                continue
            if r[0] == "pcf_key_products":
                declared |= {(db, c) for c in r[1].split()}
            elif r[0] == "code":
                code = r[1]
            elif r[0] == "unit" and code:
                units[(db, code)] = r[1]
                code = None
    return units, declared


def test_table_covers_every_shipped_product_with_its_unit():
    from pcf.demo.reports import _ALSO, DEMO_PRODUCTS

    table = read_carbon_contents()
    units, declared = _shipped_products()
    assert declared, "no pcf_key_products rows read"
    needed = declared | set(DEMO_PRODUCTS) | set(_ALSO)
    assert sorted(needed - set(table)) == []  # every product we footprint has a row
    for key, row in table.items():
        assert key in units, f"{row.label}: not an activity of inventories/products"
        assert row.unit == units[key], row.label  # per unit of the reference flow
        assert row.derivation
        assert bool(row.source) == row.assessed, row.label  # a computed figure has its source


def test_shipped_table_is_package_data():
    """The table is found where the wheel puts it (the ``inventories`` package), and the wheel
    carries it: a package-data glob of ``inventories`` matches the file name (setuptools
    globs are relative to the package folder; ``*/*.csv`` matches only the sub-folders)."""
    import fnmatch
    import tomllib

    assert carbon_content_path() == ROOT / "inventories" / "carbon-content.csv"
    assert carbon_content_path().is_file()
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = conf["tool"]["setuptools"]["package-data"]["inventories"]
    assert any(fnmatch.fnmatchcase("carbon-content.csv", g) for g in globs), (
        f"pyproject.toml [tool.setuptools.package-data] inventories = {globs}: add "
        "'carbon-content.csv' so the wheel ships the table"
    )


def test_computed_figures_are_the_stoichiometry():
    pp = carbon_content(PP)
    # (C3H6)n: 3 C of 12.011 in 42.081 g/mol; 1 kg resin per declared kg
    assert pp.status == "computed"
    assert pp.fossil_carbon_kg_per_unit == pytest.approx(3 * C / (3 * C + 6 * H), rel=1e-6)
    assert pp.fossil_carbon_kg_per_unit == pytest.approx(36.033 / 42.081, rel=1e-6)
    assert pp.biogenic_carbon_kg_per_unit == 0.0
    pet = carbon_content(PET_FABRIC)
    # (C10H8O4)n, 1 kg PET per kg of fabric = 1.036484 kg filament x (1 - 0.0352 knitting waste)
    assert 1.036484 * (1 - 0.0352) == pytest.approx(1.0, rel=1e-6)
    assert pet.fossil_carbon_kg_per_unit == pytest.approx(
        1.036484 * (1 - 0.0352) * 10 * C / (10 * C + 8 * H + 4 * O), rel=1e-6
    )
    assert pet.fossil_carbon_kg_per_unit == pytest.approx(120.11 / 192.17, rel=1e-6)
    assert pet.biogenic_carbon_kg_per_unit == 0.0
    # NH4NO3 holds no carbon: a computed zero, not "not assessed"
    for code in ("an-eu-bat-per-kg-n", "an-eu-unabated-per-kg-n"):
        an = carbon_content(f"pcf-products-ammonium-nitrate|{code}")
        assert an.assessed and an.for_amount(1.0) == (0.0, 0.0)
        assert f"{80.043 / 28.014:.6f}" in an.derivation  # kg NH4NO3 per kg N, as stated
    assert 2 * N + 4 * H + 3 * O == pytest.approx(80.043, abs=1e-9)
    # scaling: per unit x amount
    assert pp.for_amount(2.5)[0] == 2.5 * pp.fossil_carbon_kg_per_unit


def test_products_without_a_sourced_composition_are_not_assessed():
    for key in (
        "pcf-products-lfp-pack|lfp-pack-per-kwh",
        "pcf-products-nmc811|nmc811-pack-per-kwh",
        "pcf-products-steel-hrc-cn|steel-hrc-bof-cn",
        "pcf-products-cement-cn|cement-cem1-cn",
        "pcf-products-pv-module|pv-module-per-m2",
        "pcf-products-laptop|laptop-manufacture",
        "pcf-products-tshirt|tshirt-cotton-cn",
    ):
        row = carbon_content(key)
        assert row.status == "not assessed" and row.for_amount(1.0) == (None, None), key
        assert row.derivation.startswith("Not assessed:"), key
    assert carbon_content(("db", "no-such-product")) is None


HEADER = ",".join(COLUMNS)
GOOD = 'db|a,kilogram,0.5,0,computed,"1 kg x 0.5 [derived]",a source'


@pytest.mark.parametrize(
    "row, line, field, says",
    [
        ('db|b,kilogram,-1,0,computed,"x",s', 3, "fossil_carbon_kg_per_unit", ">= 0"),
        ("db|b,kilogram,abc,0,computed,x,s", 3, "fossil_carbon_kg_per_unit", "not a number"),
        ("db|b,kilogram,0.1,,computed,x,s", 3, "row", "biogenic_carbon_kg_per_unit is empty"),
        ("db|b,kilogram,0.1,0,computed,x,", 3, "row", "needs its source"),
        ("db|b,kilogram,0.1,,not assessed,x,", 3, "row", "takes no figure"),
        ("db|b,kilogram,,,unknown,x,", 3, "status", "computed"),
        ("db-b,kilogram,,,not assessed,x,", 3, "key", "database|code"),
        ("db|b,kilogram,,,not assessed,,", 3, "derivation", "at least 1"),
        (GOOD, 3, "key", "given twice"),
    ],
)
def test_bad_row_is_a_located_error(tmp_path, row, line, field, says):
    f = tmp_path / "carbon-content.csv"
    f.write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(CarbonContentError) as e:
        read_carbon_contents(f)
    err = e.value
    assert isinstance(err, InputFileError) and isinstance(err, PCFError)
    assert (err.path, err.line, err.field) == (str(f), line, field)
    assert says in str(err) and str(err).startswith(f"{f}, line {line}: {field}: ")


def test_missing_column_names_the_header(tmp_path):
    f = tmp_path / "cc.csv"
    f.write_text("key,unit,fossil_carbon_kg_per_unit,status,derivation,source\n", encoding="utf-8")
    with pytest.raises(CarbonContentError, match="line 1: header: no column 'biogenic_carbon"):
        read_carbon_contents(f)
    with pytest.raises(InputFileError, match="cannot be read"):
        read_carbon_contents(tmp_path / "missing.csv")


def test_a_good_table_reads(tmp_path):
    f = tmp_path / "cc.csv"
    f.write_text(f"{HEADER}\n{GOOD}\n\n", encoding="utf-8")
    (row,) = read_carbon_contents(f).values()
    assert row.key == ("db", "a") and row.for_amount(2.0) == (1.0, 0.0)
    assert carbon_content("db|a", f).to_dict(2.0)["fossil_carbon_kg"] == 1.0


# -- through the CLI: pcf report pact ---------------------------------------------------------------
@pytest.fixture(scope="module")
def pcf(shipped, bw_dir):
    from typer.testing import CliRunner

    from pcf.app import app

    def run(*args, code: int = 0):
        r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), *map(str, args)])
        assert r.exit_code == code, (r.stdout, r.stderr, r.exception)
        return r

    return run


def _meta(tmp_path: Path, **decl) -> Path:
    """A meta file for 1 kg of the shipped polypropylene resin (illustrative company)."""
    d = {
        "company_name": "Example Resin Co. (test)",
        "company_ids": ["urn:pact:company:customcode:supplier-id:example-resin"],
        "product_name": "PP resin",
        "product_description": "Polypropylene homopolymer resin, per kg",
        "product_ids": ["urn:pact:test.pcf-engine.example:supplier-id:pp-resin"],
        "product_category_cpc": "34740",
        "product_mass_per_declared_unit": 1.0,
        "product_mass_source": "the declared unit is 1 kg of resin",
        "reference_period_start": "2023-01-01",
        "reference_period_end": "2024-01-01",
        "geography": "US",
        "secondary_emission_factor_sources": [
            {"name": "U.S. Life Cycle Inventory Database (USLCI)", "version": "2011"},
            {"name": "EPA eGRID", "version": "2022"},
        ],
        **decl,
    }
    f = tmp_path / "meta.yaml"
    f.write_text(yaml.safe_dump({"declaration": d}), encoding="utf-8")
    return f


def _doc(out: Path, version: int = 3) -> dict:
    (f,) = sorted(out.glob(f"pact-v{version}-*.json"))
    return json.loads(f.read_text(encoding="utf-8"))


@pytest.mark.parametrize("version", [3, 2])
def test_report_pact_states_the_computed_carbon_content(pcf, tmp_path, version):
    key = "|".join(PP)
    out = tmp_path / "out"
    pcf("report", "pact", key, "--meta", _meta(tmp_path), "--out", out, "--pact-version", version)
    doc = _doc(out, version)
    fossil = 36.033 / 42.081  # kg C per kg resin, 1 kg declared
    assert float(doc["pcf"]["fossilCarbonContent"]) == pytest.approx(fossil, rel=1e-6)
    assert doc["pcf"]["biogenicCarbonContent"] == "0"  # a computed zero, stated
    assert "fossil carbon content (fossilCarbonContent is a required field" not in doc["comment"]
    assert "biogenic carbon content (biogenicCarbonContent" not in doc["comment"]
    assert (
        "fossilCarbonContent and biogenicCarbonContent computed from the product's composition "
        "(inventories/carbon-content.csv, pcf-products-polypropylene|polypropylene-resin-us"
    ) in doc["comment"]
    assert "36.033 / 42.081" in doc["comment"]


def test_the_company_figure_wins_over_the_table(pcf, tmp_path):
    out = tmp_path / "out"
    meta = _meta(tmp_path, fossil_carbon_content=0.84)  # e.g. a resin with additives, measured
    pcf("report", "pact", "|".join(PP), "--meta", meta, "--out", out)
    doc = _doc(out)
    assert doc["pcf"]["fossilCarbonContent"] == "0.84"
    assert doc["pcf"]["biogenicCarbonContent"] == "0"  # not given: from the composition
    assert "biogenicCarbonContent computed from the product's composition" in doc["comment"]
    assert "fossilCarbonContent and" not in doc["comment"]


def test_carbon_above_the_product_mass_is_refused(pcf, tmp_path):
    meta = _meta(tmp_path, product_mass_per_declared_unit=0.5, product_mass_source="test")
    r = pcf("report", "pact", "|".join(PP), "--meta", meta, "--out", tmp_path / "o", code=1)
    text = r.stdout + r.stderr
    assert "declaration.fossil_carbon_content" in text and "exceeds the product mass" in text
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.json"))


def test_a_not_assessed_product_keeps_the_comment(pcf, tmp_path):
    """The demo's LFP pack: no sourced composition, so the spec-required 0 and the comment."""
    out = tmp_path / "out"
    pcf("report", "pact", "pcf-products-lfp-pack|lfp-pack-per-kwh", "--out", out)
    doc = _doc(out)
    assert doc["pcf"]["fossilCarbonContent"] == "0"
    assert "biogenicCarbonContent" not in doc["pcf"]
    assert (
        "fossil carbon content (fossilCarbonContent is a required field: its 0 is not a "
        "measured zero)"
    ) in doc["comment"]
    assert "computed from the product's composition" not in doc["comment"]
