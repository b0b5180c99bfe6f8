"""Data quality computed from the inventory's pedigree records (supply_chain.data_quality), never
typed: a small hand-checkable system imported through the engine's importer, the PACT document
and the ISO 14067 report built from the same assessment, a pedigree change that moves the DQRs,
and stable PACT ids through `pcf report pact` run twice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from invfiles import HEADER, write

from reports import pact
from supply_chain.data_quality import InvalidPedigree, assess, geographical_floor, pedigree_of

CO2 = '"Carbon dioxide, fossil",,{amount},kilogram,,biosphere3,air,biosphere,,,,,,"{comment}"'


def _act(name, code, unit, location, exchanges, extra=()):
    lines = [
        f'Activity,"{name}"',
        f"code,{code}",
        f'reference product,"{name}"',
        f"unit,{unit}",
        f"location,{location}",
        *extra,
        "Exchanges",
        HEADER,
        f'"{name}","{name}",1,{unit},{location},,,production,,,,,,',
        *exchanges,
    ]
    return "\n".join(lines) + "\n"


def _tech(name, amount, unit, location, db, comment):
    return f'"{name}","{name}",{amount},{unit},{location},{db},,technosphere,,,,,,"{comment}"'


def background(elec_pedigree="(2, 3, 2, 1, 1)"):
    """Grid electricity CN 0.5 kg CO2/kWh (pedigree R,C,T,G,Tech as given); a US materials
    aggregate 2.0 kg CO2/kg (3, 2, 1, 1, 2); heat 0.1 kg CO2/MJ with no pedigree record."""
    return "Database,dq-bg\n\n" + "\n".join(
        [
            _act(
                "grid electricity, CN",
                "elec-cn",
                "kilowatt hour",
                "CN",
                [CO2.format(amount=0.5, comment=f"pedigree (R,C,T,G,Tech)={elec_pedigree}")],
            ),
            _act(
                "materials aggregate, US",
                "mat-us",
                "kilogram",
                "US",
                [CO2.format(amount=2.0, comment="pedigree (R,C,T,G,Tech)=(3, 2, 1, 1, 2)")],
            ),
            _act(
                "heat, unrecorded",
                "heat",
                "megajoule",
                "GLO",
                [CO2.format(amount=0.1, comment="no record")],
            ),
        ]
    )


def products():
    """A cell made in CN: 2 kWh grid (use pedigree (2, 2, 1, 1, 1)), 1 kg US materials used as
    a proxy (use pedigree (3, 2, 1, 4, 3)), 5 MJ heat (no record), and its own measured 0.3 kg
    CO2 (pedigree (1, 1, 1, 1, 1), activity flagged primary_data)."""
    return "Database,dq-prod\n\n" + _act(
        "cell, CN",
        "cell",
        "kilowatt hour",
        "CN",
        [
            _tech(
                "grid electricity, CN",
                2,
                "kilowatt hour",
                "CN",
                "dq-bg",
                "pedigree (R,C,T,G,Tech)=(2, 2, 1, 1, 1)",
            ),
            _tech(
                "materials aggregate, US",
                1,
                "kilogram",
                "US",
                "dq-bg",
                "pedigree (R,C,T,G,Tech)=(3, 2, 1, 4, 3)",
            ),
            _tech("heat, unrecorded", 5, "megajoule", "GLO", "dq-bg", "no record"),
            CO2.format(amount=0.3, comment="measured. pedigree (R,C,T,G,Tech)=(1, 1, 1, 1, 1)"),
        ],
        extra=("stage,production", "primary_data,true"),
    )


# Contributions (kg CO2e, AR6: CO2 = 1): grid 2 x 0.5 = 1.0, materials 2.0, heat 5 x 0.1 = 0.5,
# own 0.3; total 3.8. Ratings (worse of own and use pedigree; geographical floored by location):
#   grid      Tech max(1,1)=1  G max(1,1)=1            T max(2,1)=2
#   materials Tech max(2,3)=3  G max(1,4, US floor 3)=4 T max(1,1)=1
#   heat      unrated: 5 on every criterion
#   own       1, 1, 1 (primary data)
TER = (1.0 * 1 + 2.0 * 3 + 0.5 * 5 + 0.3 * 1) / 3.8  # 2.578947...
GER = (1.0 * 1 + 2.0 * 4 + 0.5 * 5 + 0.3 * 1) / 3.8  # 3.105263...
TIR = (1.0 * 2 + 2.0 * 1 + 0.5 * 5 + 0.3 * 1) / 3.8  # 1.789474...


@pytest.fixture
def engine(project, tmp_path):
    from lca.footprint import FootprintEngine
    from lca.imports import import_inventory

    import_inventory(project, write(tmp_path / "bg.csv", background()))
    import_inventory(project, write(tmp_path / "prod.csv", products()))
    return FootprintEngine(project)


def test_dqr_is_the_contribution_weighted_pedigree(engine):
    r = engine.footprint(("dq-prod", "cell"), "gwp100")
    assert r.total == pytest.approx(3.8, rel=1e-6)
    q = assess(engine, r, "CN")
    assert q.total == pytest.approx(r.total, rel=1e-9)
    assert (q.technological, q.geographical, q.temporal) == pytest.approx((TER, GER, TIR), 1e-6)
    assert q.primary_data_share == pytest.approx(100 * 0.3 / 3.8, rel=1e-6)
    assert q.unrated_share == pytest.approx(100 * 0.5 / 3.8, rel=1e-6)
    rows = {d["name"]: d for d in q.by_dataset()}
    assert rows["materials aggregate, US"]["geographical"] == 4  # a US proxy for a CN cell
    assert rows["grid electricity, CN"]["geographical"] == 1
    assert [p["name"] for p in q.proxies()] == ["materials aggregate, US"]
    assert [u["name"] for u in q.unrated()] == ["heat, unrecorded"]
    assert [(g["name"], g["factor"]) for g in q.grid] == [("grid electricity, CN", 0.5)]
    assert q.aircraft_emissions == 0 and q.activities_searched == 4


def test_changing_one_pedigree_moves_the_dqr_in_every_document(engine, project, tmp_path):
    """The same function the reports call (assess), and the documents built from it."""
    from lca.imports import import_inventory
    from reports.iso14067 import write_iso14067_report

    decl = {
        "company_name": "Example Co.",
        "company_ids": ["urn:pact:company:customcode:supplier-id:example-co"],
        "product_name": "Cell",
        "product_description": "cell",
        "product_ids": ["urn:pact:catalog.example.com:product-id:cell"],
        "product_mass_per_declared_unit": 4.273,
        "product_mass_source": "test",
        "reference_period_start": "2024-01-01",
        "reference_period_end": "2025-01-01",
        "geography": "CN",
        "secondary_emission_factor_sources": [{"name": "test", "version": "1"}],
    }
    r = engine.footprint(("dq-prod", "cell"), "gwp100")
    before = pact.pact_footprint(r, decl, 3, quality=assess(engine, r, "CN"))
    assert before["pcf"]["dqi"]["temporalDQR"] == f"{round(TIR, 2):g}"  # 1.79
    # the grid dataset's figure is re-rated: temporal correlation 2 -> 5 (old data)
    import_inventory(project, write(tmp_path / "bg2.csv", background("(2, 3, 5, 1, 1)")))
    r2 = engine.footprint(("dq-prod", "cell"), "gwp100")
    assert r2.total == pytest.approx(r.total, rel=1e-12)  # the figures did not change
    q2 = assess(engine, r2, "CN")
    tir2 = (1.0 * 5 + 2.0 * 1 + 0.5 * 5 + 0.3 * 1) / 3.8  # 2.578947...
    assert q2.temporal == pytest.approx(tir2, rel=1e-9)
    assert (q2.technological, q2.geographical) == pytest.approx((TER, GER), rel=1e-9)
    after = pact.pact_footprint(r2, decl, 3, quality=q2)
    assert after["pcf"]["dqi"]["temporalDQR"] == "2.58"
    assert after["id"] != before["id"]  # a changed footprint document is a new footprint
    html = write_iso14067_report(
        r2, decl, {"goal": "test"}, tmp_path / "iso", engine=engine, formats=("html",)
    )
    text = html[0].read_text(encoding="utf-8")
    # the report's table shows two significant digits: TiR 2.578947 -> 2.6, GeR 3.105263 -> 3.1
    assert re.search(r"\(TiR\)</td>\s*<td[^>]*>2\.6<", text), "TiR 2.6 not in the report"
    assert re.search(r"\(GeR\)</td>\s*<td[^>]*>3\.1<", text), "GeR 3.1 not in the report"


def test_pedigree_records_are_read_or_refused_naming_the_exchange():
    assert pedigree_of(
        {
            "pedigree": {
                "reliability": 2,
                "completeness": 1,
                "temporal correlation": 3,
                "geographical correlation": 4,
                "further technological correlation": 5,
            }
        }
    ) == dict(
        zip(
            (
                "reliability",
                "completeness",
                "temporal correlation",
                "geographical correlation",
                "further technological correlation",
            ),
            (2, 1, 3, 4, 5),
            strict=True,
        )
    )
    with pytest.raises(InvalidPedigree, match=r"^db\|a: field 'comment' = .*not a score 1..5"):
        pedigree_of({"comment": "pedigree (R,C,T,G,Tech)=(1, 2, 3, 4, 6)"}, "db|a")
    with pytest.raises(InvalidPedigree, match="needs five scores"):
        pedigree_of({"pedigree": "(1, 2)"}, "db|a")


def test_geographical_floor():
    assert geographical_floor("US", "CN") == 3  # another country
    assert geographical_floor("CN-JS", "CN") == 1  # a subdivision of the country
    assert geographical_floor("CN", "CN-JS") == 2  # the country of a subdivision
    assert geographical_floor("GLO", "CN") == 2 and geographical_floor("RER", "DE") == 2
    assert geographical_floor("US", None) == 1  # a global product: no floor


# -- the shipped demo, through the CLI --------------------------------------------------------------
@pytest.fixture(scope="module")
def pcf(shipped, bw_dir):
    from typer.testing import CliRunner

    from pcf.app import app

    def run(*args):
        r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), *map(str, args)])
        assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
        return r

    return run


def test_two_runs_give_the_same_pact_id(pcf, tmp_path):
    key = "pcf-products-lfp-pack|lfp-pack-per-kwh"  # the demo's declared product
    docs = []
    for d in ("one", "two"):
        pcf("report", "pact", key, "--out", tmp_path / d, "--json")
        (f,) = sorted((tmp_path / d).glob("pact-v3-*.json"))
        docs.append(json.loads(f.read_text(encoding="utf-8")))
    assert docs[0]["id"] == docs[1]["id"]
    assert {k: v for k, v in docs[0].items() if k != "created"} == {
        k: v for k, v in docs[1].items() if k != "created"
    }
    assert docs[0]["productIds"] == [
        "urn:pact:demo.pcf-engine.example:supplier-id:lfp-pack-per-kwh"
    ]
    assert docs[0]["productClassifications"] == ["urn:cpc:46420"]
    assert float(docs[0]["pcf"]["productMassPerDeclaredUnit"]) > 0


def test_shipped_demo_proxy_is_not_rated_geographical_1(shipped):
    """The GREET (US) materials aggregate used for a Chinese cell: never geographical 1."""
    from lca.footprint import FootprintEngine

    eng = FootprintEngine(shipped)
    r = eng.footprint(("pcf-products", "lfp-cell-per-kwh"), "gwp100")
    q = assess(eng, r, "CN")
    greet = [d for d in q.by_dataset() if "GREET" in d["name"]]
    assert greet and all(d["geographical"] >= 3 for d in greet)
    assert q.geographical > 1.0
    # the DQRs are the share-weighted dataset ratings (the rule, checked on the real system)
    rows = q.by_dataset()
    assert sum(d["share"] for d in rows) == pytest.approx(1.0)
    for c in ("technological", "geographical", "temporal"):
        assert getattr(q, c) == pytest.approx(sum(d["share"] * d[c] for d in rows), rel=1e-9)
    doc = pact.pact_for(eng, r, _demo_declaration(), 3)  # what pcf report pact calls
    assert doc["pcf"]["dqi"]["geographicalDQR"] == f"{round(q.geographical, 2):g}"
    assert (
        "Proxy: battery materials, LFP, for 1 kWh BEV pack capacity, GREET 2024" in doc["comment"]
    )
    assert "Grid electricity: electricity, China" in doc["comment"]


def _demo_declaration():
    from pcf.demo.reports import DEMO_META
    from reports.meta import read_meta

    return read_meta(Path(DEMO_META))["declaration"]
