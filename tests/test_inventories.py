"""The shipped inventories import cleanly into Brightway and give a plausible cell footprint.

Everything happens in a temporary Brightway directory (module-scoped, done once): the default
biosphere is created with bw2io, both CSV files are imported with ``bw2io.CSVImporter``, linked,
checked for unlinked exchanges and written; the cell's GWP100 is then computed twice, by hand from
the IPCC 2021 factors read from bw2io's bundled LCIA file and with bw2calc, and compared with the
published range cited in ``inventories/README.md``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import uuid
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.greet import LFP_G_PER_KG

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND_CSV = ROOT / "inventories" / "background" / "pcf-background.csv"
PRODUCTS_CSV = ROOT / "inventories" / "products" / "li-ion-cell.csv"
# the cell's materials are the pack chain's cell share: the LFP pack file is written first
PACK_CSV = ROOT / "inventories" / "products" / "lfp-pack.csv"
PACK = "pcf-products-lfp-pack"
BACKGROUND = "pcf-background"
PRODUCTS = "pcf-products"
CELL_CODE = "lfp-cell-per-kwh"

STAGES = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}
BIOSPHERE_FIELDS = ("name", "categories", "unit")
TECHNOSPHERE_FIELDS = ("name", "reference product", "unit", "location")
IPCC_GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")

# Xu et al. 2022, Resources, Conservation & Recycling 187:106606: 41-89 kg CO2-eq per kWh of
# cell, cradle-to-gate, 2020, eight chemistries, CN/US/EU (FACTS-materials.md B1): a plausibility
# range only (all chemistries); the cell's test is the hand calculation below.
PUBLISHED_RANGE = (41.0, 89.0)


@contextlib.contextmanager
def _quiet():
    """bw2data/bw2io print progress to stdout and may warn on import; keep the test output clean."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _import(bd, bi, path: Path, link_background: bool, also: tuple[str, ...] = ()):
    imp = bi.CSVImporter(str(path))
    imp.apply_strategies()
    imp.match_database(bd.config.biosphere, fields=BIOSPHERE_FIELDS)
    if link_background:
        imp.match_database(BACKGROUND, fields=TECHNOSPHERE_FIELDS)
    for db in also:
        imp.match_database(db, fields=TECHNOSPHERE_FIELDS)
    return imp


def _unlinked(imp) -> list[tuple[str, str]]:
    return [
        (ds["name"], exc["name"])
        for ds in imp.data
        for exc in ds.get("exchanges", [])
        if not exc.get("input")
    ]


@pytest.fixture(scope="module")
def bw(tmp_path_factory):
    """A fresh Brightway project in a temporary directory with both inventories written."""
    already_imported = "bw2data" in sys.modules
    if not already_imported:
        base = tmp_path_factory.mktemp("brightway")
        os.environ["BRIGHTWAY2_DIR"] = str(base)  # must exist before bw2data is imported
    with _quiet():
        import bw2data as bd
        import bw2io as bi

        previous = bd.projects.current
        project = f"test-inventories-{uuid.uuid4().hex[:8]}"
        bd.projects.set_current(project)
    try:  # whatever fails here, the session's own project is current again afterwards
        with _quiet():
            bi.create_default_biosphere3()
            bg = _import(bd, bi, BACKGROUND_CSV, link_background=False)
        assert bg.db_name == BACKGROUND
        assert _unlinked(bg) == []
        with _quiet():
            bg.write_database()
            pack = _import(bd, bi, PACK_CSV, link_background=True)
        assert pack.db_name == PACK and _unlinked(pack) == []
        with _quiet():
            pack.write_database()
            pr = _import(bd, bi, PRODUCTS_CSV, link_background=True, also=(PACK,))
        assert pr.db_name == PRODUCTS
        assert _unlinked(pr) == []
        with _quiet():
            pr.write_database()
        yield {"bd": bd, "background": bg, "products": pr}
    finally:
        with _quiet():
            bd.projects.set_current(previous)
            bd.projects.delete_project(project, delete_dir=True)


@pytest.fixture(scope="module")
def gwp100_factors(bw) -> dict[tuple[str, tuple[str, ...]], float]:
    """IPCC 2021 GWP100 factors from bw2io's bundled (LZMA-compressed) ecoinvent 3.9 LCIA file."""
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        methods = json.loads(archive.read(archive.namelist()[0]))
    (method,) = [m for m in methods if tuple(m["name"]) == IPCC_GWP100]
    return {
        (cf["name"], tuple(cf["categories"])): float(cf["amount"]) for cf in method["exchanges"]
    }


# IPCC 2021 gives CO2 taken up from air no factor (biogenic CO2 is not characterised); the GREET 2024
# battery materials book their net biogenic CO2 as such a removal, reported by the PCF removals
# indicator, so it counts 0 kg CO2e here
UNCHARACTERISED = {("Carbon dioxide, in air", ("natural resource", "in air"))}


def _cf(factors, flow) -> float:
    key = (flow["name"], tuple(flow["categories"]))
    return 0.0 if key in UNCHARACTERISED else factors[key]


def _cell(bd):
    return bd.get_node(database=PRODUCTS, code=CELL_CODE)


def _footprint_by_hand(factors, node, scale=1.0, stage=None, out=None):
    """Walk the (acyclic) supply chain; return {(stage, flow name): kg CO2e}.

    An emission is booked to the stage of the first-level input of the product it belongs to.
    """
    out = {} if out is None else out
    for exc in node.biosphere():
        flow = exc.input
        cf = _cf(factors, flow)
        key = (stage or node.get("stage", ""), flow["name"])
        out[key] = out.get(key, 0.0) + scale * exc["amount"] * cf
    for exc in node.technosphere():
        child = exc.input
        _footprint_by_hand(
            factors, child, scale * exc["amount"], stage or child.get("stage", ""), out
        )
    return out


def test_both_databases_written(bw):
    bd = bw["bd"]
    assert {BACKGROUND, PRODUCTS} <= set(bd.databases)
    assert len(bd.Database(BACKGROUND)) == len(bw["background"].data) >= 10
    assert len(bd.Database(PRODUCTS)) == len(bw["products"].data) >= 3


def test_biosphere_flows_are_characterised_by_ipcc_2021(bw, gwp100_factors):
    bd = bw["bd"]
    for db in (BACKGROUND, PRODUCTS):
        for act in bd.Database(db):
            for exc in act.biosphere():
                flow = exc.input
                key = (flow["name"], tuple(flow["categories"]))
                assert key in gwp100_factors or key in UNCHARACTERISED, flow
    assert not UNCHARACTERISED & set(gwp100_factors)


def test_every_product_activity_has_a_valid_stage(bw):
    bd = bw["bd"]
    for act in bd.Database(PRODUCTS):
        assert act.get("stage") in STAGES, (act["name"], act.get("stage"))


def test_every_activity_and_exchange_has_a_source_comment(bw):
    bd = bw["bd"]
    for db in (BACKGROUND, PRODUCTS):
        for act in bd.Database(db):
            assert str(act.get("comment", "")).strip(), act["name"]
            for exc in act.exchanges():
                comment = str(exc.get("comment", "")).strip()
                assert comment, (act["name"], exc.input["name"])
                if exc["type"] != "production":
                    assert "Source:" in comment or "bookkeeping" in comment, (act["name"], comment)


def test_amounts_are_positive_and_finite(bw):
    bd = bw["bd"]
    for db in (BACKGROUND, PRODUCTS):
        for act in bd.Database(db):
            for exc in act.exchanges():
                amount = exc["amount"]
                assert math.isfinite(amount) and amount > 0, (act["name"], exc.input["name"])


def test_uncertainty_fields_are_consistent(bw):
    bd = bw["bd"]
    for db in (BACKGROUND, PRODUCTS):
        for act in bd.Database(db):
            for exc in act.exchanges():
                kind = exc.get("uncertainty type", 0)
                if exc["type"] == "production":
                    continue
                assert kind in (2, 4), (act["name"], exc.input["name"], kind)
                if kind == 2:
                    assert math.isclose(exc["loc"], math.log(exc["amount"]), abs_tol=1e-9)
                    assert 0 < exc["scale"] < 1
                else:
                    assert exc["minimum"] <= exc["amount"] <= exc["maximum"]


def test_cell_footprint_by_hand_is_in_published_range(bw, gwp100_factors):
    bd = bw["bd"]
    split = _footprint_by_hand(gwp100_factors, _cell(bd))
    total = sum(split.values())
    by_stage = {}
    for (stage, _flow), value in split.items():
        by_stage[stage] = by_stage.get(stage, 0.0) + value
    assert set(by_stage) == {"raw_material_acquisition", "production"}
    # the cell share of the GREET 2024 LFP materials aggregate (BatPaC 5 LFP-G: 288 cells x
    # 1.336 kg of a 618 kg pack, lfp-pack.csv) x 42.5048 (GREET 2024 gases per kg battery / 142.9
    # Wh/kg, IPCC 2021 GWP100) + 37.5 kWh (Degen et al. 2023, LFP cells)
    # x (0.5777 + 0.0327) kg CO2e/kWh (China grid at the consumer: MEE/NBS/NEA 2024 Table 1
    # national average + Table 3 T&D) = 26.4636 + 22.89 = 49.3536
    assert math.isclose(
        by_stage["raw_material_acquisition"],
        288 * 1.336 / 618 * LFP_G_PER_KG / 142.9,
        rel_tol=1e-6,
    )
    assert math.isclose(by_stage["production"], 37.5 * (0.5777 + 0.0327), rel_tol=1e-9)
    assert PUBLISHED_RANGE[0] <= total <= PUBLISHED_RANGE[1], total


def test_cell_footprint_with_bw2calc_matches_hand_calculation(bw, gwp100_factors):
    bd = bw["bd"]
    with _quiet():
        import bw2calc as bc

        flows = {
            exc.input.key
            for db in (BACKGROUND, PACK, PRODUCTS)
            for act in bd.Database(db)
            for exc in act.biosphere()
        }
        cfs = []
        for key in sorted(flows):
            flow = bd.get_node(database=key[0], code=key[1])
            cfs.append((flow.id, _cf(gwp100_factors, flow)))
        name = ("test-inventories", *IPCC_GWP100)
        method = bd.Method(name)
        method.register(unit="kg CO2-Eq")
        method.write(cfs)
        lca = bc.LCA({_cell(bd).id: 1}, method=name)
        lca.lci()
        lca.lcia()
    by_hand = sum(_footprint_by_hand(gwp100_factors, _cell(bd)).values())
    assert math.isclose(lca.score, by_hand, rel_tol=1e-6)  # sparse solver round-off
    assert PUBLISHED_RANGE[0] <= lca.score <= PUBLISHED_RANGE[1]


# -- documentation generated from the data (lca/inventory_docs.py) ---------------------------------


def test_readme_dataset_table_is_up_to_date():
    """The README's marked block must equal the table rendered from the shipped files."""
    from lca.imports import shipped_inventories
    from lca.inventory_docs import readme_block, render_readme_table

    readme = (ROOT / "inventories" / "README.md").read_text(encoding="utf-8")
    expected = render_readme_table(shipped_inventories())
    assert readme_block(readme) == expected, (
        "inventories/README.md dataset table is out of date: run "
        "`python -m lca.inventory_docs --write`"
    )


def test_dataset_table_has_one_row_per_activity():
    from lca.inventory_docs import COLUMNS, dataset_table

    df = dataset_table([BACKGROUND_CSV, PRODUCTS_CSV])
    assert list(df.columns) == COLUMNS
    assert len(df) == BACKGROUND_CSV.read_text(encoding="utf-8").count("\nActivity,") + 3
    assert df["code"].is_unique
    cell = df.set_index("code").loc[CELL_CODE]
    assert (cell["database"], cell["unit"], cell["stage"]) == (
        PRODUCTS,
        "kilowatt hour",
        "production",
    )


def test_every_background_dataset_names_its_source():
    from lca.inventory_docs import dataset_table

    paths = sorted((ROOT / "inventories" / "background").glob("*.csv"))
    df = dataset_table(paths)
    assert len(df) > 100
    for rec in df.itertuples():
        assert rec.comment.strip(), (rec.file, rec.code)
        assert rec.source.strip(), (rec.file, rec.code)
    ours = df[df["database"] == BACKGROUND]
    missing = ours[~ours["comment"].str.contains("Source:")]
    assert missing.empty, list(missing["code"])
    assert not ours["location"].eq("").any()


def test_shipped_inventories_import_the_core_background_first(tmp_path):
    """``pcf-background.csv`` before every other file: other background files link to its
    datasets, and by name ``pcf-background-x.csv`` would sort before it."""
    from lca.imports import shipped_inventories

    for sub in ("background", "products"):
        (tmp_path / sub).mkdir()
    for name in ("pcf-background-aaa.csv", "pcf-background.csv", "pcf-factory.csv"):
        (tmp_path / "background" / name).write_text("")
    (tmp_path / "products" / "a.csv").write_text("")
    names = [p.name for p in shipped_inventories(tmp_path)]
    assert names == ["pcf-background.csv", "pcf-background-aaa.csv", "pcf-factory.csv", "a.csv"]
    assert shipped_inventories()[0].name == "pcf-background.csv"
