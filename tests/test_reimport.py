"""Replacing a database keeps the project working (issue 9): dependents relinked or the import
refused, shipped databases protected, multi-file imports all-or-nothing, a live engine sees
edits and re-imports, and bad inventory files answered with located errors."""

from __future__ import annotations

import json

import pytest
from invfiles import activity, background, bio, database, products, tech, write
from typer.testing import CliRunner

from lca.errors import (
    InventoryError,
    SingularTechnosphere,
    UnitMismatch,
    UnknownProduct,
    UnlinkedExchanges,
)

E = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # kg CO2e per kWh, AR6 GWP100 (tests/invfiles.py)
P = 0.002 * 27.0 + 0.01
WIDGET = 2 * E + (3 * E + 0.5 * P + 0.1) + 0.2  # 3.1175


def _dbs():
    import bw2data as bd

    return set(bd.databases)


@pytest.fixture
def pair(project, tmp_path):
    """A background ``r-bg`` and a product database ``r-prod`` that depends on it; dropped
    after the test."""
    import bw2data as bd

    from lca.imports import import_inventory

    bg = write(tmp_path / "bg.csv", background("r-bg"))
    import_inventory(project, bg)
    import_inventory(project, write(tmp_path / "prod.csv", products("r-prod", "r-bg")))
    yield bg
    for name in ("r-prod", "r-bg"):
        if name in bd.databases:
            del bd.databases[name]


# -- item 1: replacing a database keeps its dependents working ----------------------------------
def test_replacing_a_database_keeps_its_dependents_working(project, pair, tmp_path):
    from lca.footprint import FootprintEngine
    from lca.imports import import_inventory

    live = FootprintEngine(project)
    assert live.footprint(("r-prod", "widget")).total == pytest.approx(WIDGET, rel=1e-6)
    more = background("r-bg").replace(
        '"Carbon dioxide, fossil",,0.5,', '"Carbon dioxide, fossil",,0.6,'
    )
    r = import_inventory(project, write(tmp_path / "bg2.csv", more))
    assert r.replaced and not r.unchanged
    expected = WIDGET + 5 * 0.1  # 5 kWh per widget, 0.1 kg CO2 more per kWh
    # a fresh engine: the dependents' processed data point at the new nodes (no NonSquare)
    assert FootprintEngine(project).footprint(("r-prod", "widget")).total == pytest.approx(
        expected, rel=1e-6
    )
    # item 6: the live engine sees the re-import (no stale result, no UnknownProduct)
    assert live.footprint(("r-prod", "widget")).total == pytest.approx(expected, rel=1e-6)


def test_replacement_that_drops_codes_of_dependents_is_refused(project, pair, tmp_path):
    import bw2data as bd

    from lca.imports import import_inventory

    only_grid = database(
        "r-bg",
        activity(
            "grid electricity", "elec", "kilowatt hour", "CN", [bio("Carbon dioxide, fossil", 0.5)]
        ),
    )
    before = bd.databases["r-bg"]["modified"]
    with pytest.raises(InventoryError, match=r"r-bg.*r-prod.*pellets.*nothing was written") as info:
        import_inventory(project, write(tmp_path / "grid-only.csv", only_grid))
    assert "grid-only.csv" in str(info.value)
    assert bd.databases["r-bg"]["modified"] == before and len(bd.Database("r-bg")) == 2


def test_reimporting_an_unchanged_file_writes_nothing(project, pair):
    import bw2data as bd

    from lca.imports import import_any

    before = bd.databases["r-bg"]["modified"]
    r = import_any(project, pair)
    assert r.unchanged and not r.replaced
    assert bd.databases["r-bg"]["modified"] == before


def test_shipped_background_reimport_is_a_noop_and_a_foreign_file_is_refused(shipped, tmp_path):
    import bw2data as bd

    from lca.footprint import FootprintEngine
    from lca.imports import import_any, shipped_inventories

    bg = next(p for p in shipped_inventories() if p.name == "pcf-background.csv")
    n = len(bd.Database("pcf-background"))
    r = import_any(shipped, bg)
    assert r.unchanged
    foreign = write(
        tmp_path / "foreign.csv",
        database(
            "pcf-background",
            activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", 1.0)]),
        ),
    )
    with pytest.raises(InventoryError, match=r"pcf-background.*shipped.*foreign.csv.*--replace"):
        import_any(shipped, foreign)
    assert len(bd.Database("pcf-background")) == n
    assert FootprintEngine(shipped).footprint(("pcf-products", "lfp-cell-per-kwh")).total > 0


def test_shipped_database_is_replaced_only_when_asked(project, tmp_path, monkeypatch):
    import bw2data as bd

    from lca.imports import _write, import_inventory

    pkg = tmp_path / "pkg"
    (pkg / "background").mkdir(parents=True)
    monkeypatch.setattr(_write, "inventories_dir", lambda: pkg)
    ship = write(pkg / "background" / "r-ship.csv", background("r-ship"))
    import_inventory(project, ship)
    assert bd.databases["r-ship"]["pcf_shipped"] is True
    mine = write(tmp_path / "mine.csv", background("r-ship").replace(",0.5,", ",0.7,"))
    with pytest.raises(InventoryError, match=r"'r-ship'.*shipped.*mine.csv.*--replace"):
        import_inventory(project, mine)
    r = import_inventory(project, mine, replace_shipped=True)
    assert r.replaced and not bd.databases["r-ship"].get("pcf_shipped")
    del bd.databases["r-ship"]


# -- item 3: a multi-file import is all-or-nothing --------------------------------------------
def _unlinked(tmp_path, name="r-bad"):
    return write(
        tmp_path / "unlinked.csv",
        database(name, activity("x", "x", "kilogram", "CN", [bio("Phlogiston", 1.0)])),
    )


def _good(tmp_path, name="r-good", amount=2.0):
    return write(
        tmp_path / f"{name}.csv",
        database(
            name, activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", amount)])
        ),
    )


def test_multi_file_import_is_all_or_nothing(project, tmp_path):
    from lca.imports import import_many

    before = _dbs()
    with pytest.raises(UnlinkedExchanges, match="unlinked.csv.*nothing was written"):
        import_many(project, [_good(tmp_path), _unlinked(tmp_path)])
    assert _dbs() == before


def test_multi_file_write_failure_rolls_every_file_back(project, tmp_path, monkeypatch):
    import bw2data as bd
    from bw2data.backends import SQLiteBackend

    from lca.imports import import_inventory, import_many

    import_inventory(project, _good(tmp_path, "r-one", 2.0))
    original = SQLiteBackend.write

    def write_(self, data, *args, **kwargs):
        if self.name == "r-two":
            raise OSError("disk full (test)")
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(SQLiteBackend, "write", write_)
    before = _dbs()
    with pytest.raises(InventoryError, match=r"r-two.*disk full.*nothing was written"):
        import_many(project, [_good(tmp_path, "r-one", 5.0), _good(tmp_path, "r-two")])
    monkeypatch.undo()
    assert _dbs() == before
    node = bd.get_node(database="r-one", code="x")
    assert [e["amount"] for e in node.biosphere()] == [2.0]
    del bd.databases["r-one"]


def test_cli_multi_file_import_writes_nothing_and_says_so(project, bw_dir, tmp_path):
    from pcf.app import app

    r = CliRunner().invoke(
        app, ["--data-dir", str(bw_dir), "import", str(_good(tmp_path)), str(_unlinked(tmp_path))]
    )
    assert r.exit_code == 1 and "nothing was written" in r.stderr
    assert "r-good" not in _dbs()


def test_cli_reimport_says_unchanged(project, pair, bw_dir):
    from pcf.app import app

    r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), "import", str(pair)])
    assert r.exit_code == 0 and "unchanged, nothing written" in r.stdout
    r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), "import", str(pair), "--json"])
    assert json.loads(r.stdout)[0]["unchanged"] is True


# -- item 6: a live engine sees an edited exchange -----------------------------------------------
def test_live_engine_sees_an_edited_exchange(project, pair):
    import bw2data as bd

    from lca.footprint import FootprintEngine

    eng = FootprintEngine(project)
    assert eng.footprint(("r-prod", "widget")).total == pytest.approx(WIDGET, rel=1e-6)
    widget = bd.get_node(database="r-prod", code="widget")
    exc = next(e for e in widget.technosphere() if e.input["code"] == "elec")
    exc["amount"] = 4.0
    exc.save()
    assert eng.footprint(("r-prod", "widget")).total == pytest.approx(WIDGET + 2 * E, rel=1e-6)


# -- item 7: located errors in the importers and the engine ------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "gbk"])
def test_brightway_csv_in_utf16_or_gbk_is_read(project, tmp_path, encoding):
    import bw2data as bd

    from lca.imports import import_inventory

    text = database(
        "r-enc", activity("钢板", "steel", "kilogram", "CN", [bio("Carbon dioxide, fossil", 2.0)])
    )
    path = tmp_path / "enc.csv"
    path.write_bytes(text.encode(encoding))
    r = import_inventory(project, path)
    assert r.activities == 1 and bd.get_node(database="r-enc", code="steel")["name"] == "钢板"
    del bd.databases["r-enc"]


def test_corrupt_xlsx_names_the_file(project, tmp_path):
    from lca.imports import import_any

    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"\x00\x01 not a zip archive at all " * 20)
    with pytest.raises(InventoryError, match=r"broken.xlsx.*not a readable Excel"):
        import_any(project, bad)


def test_unit_mismatch_is_reported_as_such(project, pair, tmp_path):
    from lca.imports import import_inventory

    text = database(
        "r-unit",
        activity(
            "thing",
            "thing",
            "kilogram",
            "CN",
            [tech("grid electricity", 1, "megajoule", "CN", "r-bg")],
        ),
    )
    before = _dbs()
    with pytest.raises(
        UnitMismatch, match=r"unit.csv.*'thing'.*'grid electricity'.*kilowatt hour.*megajoule"
    ):
        import_inventory(project, write(tmp_path / "unit.csv", text))
    assert _dbs() == before


def test_duplicate_code_is_reported_with_its_rows(project, tmp_path):
    from lca.imports import import_inventory

    text = database(
        "r-dup",
        activity("a", "same", "kilogram", "CN", [bio("Carbon dioxide, fossil", 1.0)]),
        activity("b", "same", "kilogram", "CN", [bio("Carbon dioxide, fossil", 2.0)]),
    )
    with pytest.raises(InventoryError, match=r"dup.csv.*duplicate code 'same'.*rows 4 and 1[0-9]"):
        import_inventory(project, write(tmp_path / "dup.csv", text))


@pytest.mark.parametrize("option", ["--name", "--drop-unlinked", "--link-biosphere-by-name"])
def test_options_that_do_not_apply_to_brightway_csv_are_refused(project, bw_dir, tmp_path, option):
    from pcf.app import app

    args = [option, "other"] if option == "--name" else [option]
    r = CliRunner().invoke(
        app, ["--data-dir", str(bw_dir), "import", str(_good(tmp_path, "r-opt")), *args]
    )
    assert r.exit_code == 1 and option in r.stderr and "Brightway CSV" in r.stderr
    assert "r-opt" not in _dbs()


def test_a_biosphere_flow_is_not_a_product(project):
    import bw2data as bd

    from lca.footprint import FootprintEngine

    flow = next(iter(bd.Database(project.biosphere)))
    with pytest.raises(UnknownProduct, match="is an elementary flow, not a product"):
        FootprintEngine(project).footprint(flow.key)


def test_singular_technosphere_names_the_dependent_activities(project):
    import bw2data as bd

    from lca.footprint import FootprintEngine

    # a and b each make 1 unit and consume 1 unit of the other: columns (1, -1) and (-1, 1)
    db = bd.Database("r-loop")
    db.write(
        {
            ("r-loop", "a"): {
                "name": "a",
                "unit": "kg",
                "exchanges": [
                    {"input": ("r-loop", "a"), "amount": 1.0, "type": "production"},
                    {"input": ("r-loop", "b"), "amount": 1.0, "type": "technosphere"},
                ],
            },
            ("r-loop", "b"): {
                "name": "b",
                "unit": "kg",
                "exchanges": [
                    {"input": ("r-loop", "b"), "amount": 1.0, "type": "production"},
                    {"input": ("r-loop", "a"), "amount": 1.0, "type": "technosphere"},
                ],
            },
        }
    )
    try:
        with pytest.raises(SingularTechnosphere, match=r"r-loop\|a.*r-loop\|b"):
            FootprintEngine(project).footprint(("r-loop", "a"))
    finally:
        del bd.databases["r-loop"]
