"""import_any: ecoSpold2, SimaPro CSV, openLCA JSON-LD, Brightway CSV; all-or-nothing.

Fixtures under tests/data/formats are hand-made and minimal: steel sheet production (2 kg CO2
per kg) and widget assembly (1.2 kg steel sheet, 0.5 kg CO2, and in SimaPro/JSON-LD 0.01 kg
CH4 fossil). IPCC 2021 GWP100 (CH4 fossil 29.8): widget = 0.5 + 1.2 x 2 (+ 0.01 x 29.8).
"""

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from invfiles import activity, bio, database, write

from lca.errors import InventoryError, UnlinkedExchanges

DATA = Path(__file__).parent / "data" / "formats"
GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
CO2_UUID = "349b29d1-3e58-4c66-98b9-9d1a076efd2e"


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def _score(db, name):
    import bw2calc as bc
    import bw2data as bd

    node = next(n for n in bd.Database(db) if n["name"] == name and n.get("type") != "product")
    product = next(iter(node.production())).input  # a product node for openLCA's graphs
    lca = bc.LCA({product.id: 1}, GWP100)
    lca.lci()
    lca.lcia()
    return lca.score


def _jsonld_zip(tmp_path, folder=DATA / "jsonld", edit=None):
    src = tmp_path / "jsonld-src"
    shutil.copytree(folder, src)
    if edit:
        edit(src)
    out = tmp_path / "export.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for fp in sorted(src.rglob("*.json")):
            zf.write(fp, fp.relative_to(src).as_posix())
    return out


def _spold_copy(tmp_path):
    d = tmp_path / "spold"
    shutil.copytree(DATA / "ecospold2", d)
    return d


def test_detect_format(tmp_path):
    from lca.imports import detect_format

    assert detect_format(DATA / "ecospold2") == "ecospold2"
    assert detect_format(next((DATA / "ecospold2").glob("*.spold"))) == "ecospold2"
    assert detect_format(DATA / "simapro.csv") == "simapro"
    assert detect_format(DATA / "jsonld") == "jsonld"
    assert detect_format(_jsonld_zip(tmp_path)) == "jsonld"
    csv = write(tmp_path / "bw.csv", database("f-bw", activity("x", "x", "kilogram", "CN", [])))
    assert detect_format(csv) == "brightway"
    (tmp_path / "empty").mkdir()
    with pytest.raises(InventoryError, match="empty: folder holds no"):
        detect_format(tmp_path / "empty")
    with pytest.raises(InventoryError, match="no such file"):
        detect_format(tmp_path / "nope.zip")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InventoryError, match="unsupported"):
        detect_format(tmp_path / "x.txt")


def test_ecospold2_folder(project):
    from lca.imports import import_any

    r = import_any(project, DATA / "ecospold2", name="f-es2")
    assert (r.database, r.activities, r.exchanges, r.replaced) == ("f-es2", 2, 5, False)
    assert _score("f-es2", "widget assembly") == pytest.approx(0.5 + 1.2 * 2, rel=1e-6)


def test_ecospold2_unlinked_are_listed_then_linked_by_name_or_dropped(project, tmp_path):
    from lca.imports import import_any

    d = _spold_copy(tmp_path)
    steel = next(d.glob("*0020_*.spold"))
    steel.write_text(steel.read_text().replace(CO2_UUID, "00000000-dead-beef-0000-000000000000"))
    before = _dbs()
    with pytest.raises(UnlinkedExchanges, match=re.escape(f"{d}: 1 unlinked exchange(s)")) as info:
        import_any(project, d, name="f-es2-bad")
    assert [(u["type"], u["name"], u["activity"]) for u in info.value.unlinked] == [
        ("biosphere", "Carbon dioxide, fossil", "steel sheet production")
    ]
    assert "nothing was written" in str(info.value) and _dbs() == before
    r = import_any(project, d, name="f-es2-byname", link_biosphere_by_name=True)
    assert r.exchanges == 5
    assert _score("f-es2-byname", "widget assembly") == pytest.approx(2.9, rel=1e-6)

    # an input whose supplier is not in the folder links to an installed ecoSpold2 database
    # holding it (by activity + product ids: f-es2-byname, written above)
    steel.unlink()
    r = import_any(project, d, name="f-es2-linked")
    assert (r.activities, r.exchanges) == (1, 3)
    # ... and one that no installed database holds is reported, not silently deleted
    widget = next(d.glob("*0021_*.spold"))
    link = 'activityLinkId="aaaaaaaa-0000-4000-8000-000000000020"'
    widget.write_text(widget.read_text().replace(link, link.replace("0020", "0099")))
    with pytest.raises(UnlinkedExchanges, match=re.escape(f"{d}: 1 unlinked exchange(s)")) as info:
        import_any(project, d, name="f-es2-orphan")
    assert [(u["type"], u["name"]) for u in info.value.unlinked] == [
        ("technosphere", "steel sheet")
    ]
    r = import_any(project, d, name="f-es2-orphan", drop_unlinked=True)
    assert (r.activities, r.exchanges) == (1, 2)


def test_ecospold2_truncated_file_is_named(project, tmp_path):
    from lca.imports import import_any

    d = _spold_copy(tmp_path)
    widget = next(d.glob("*0021_*.spold"))
    widget.write_text(widget.read_text()[:900])
    before = _dbs()
    with pytest.raises(InventoryError, match=rf"{widget.name}: not a readable ecoSpold2 file"):
        import_any(project, d, name="f-es2-trunc")
    assert _dbs() == before


def test_simapro_csv(project, tmp_path):
    from lca.imports import import_any

    r = import_any(project, DATA / "simapro.csv")
    assert (r.database, r.activities) == ("pcf-test-simapro", 4)  # 2 processes + 2 products
    assert _score(r.database, "widget assembly") == pytest.approx(0.5 + 0.01 * 29.8 + 2.4, rel=1e-6)

    text = (DATA / "simapro.csv").read_text(encoding="latin-1")
    bad = write(tmp_path / "bad.csv", text.replace("Methane, fossil", "Unobtainium"))
    before = _dbs()
    with pytest.raises(UnlinkedExchanges, match="Unobtainium") as info:
        import_any(project, bad, name="f-sp-bad")
    assert len(info.value.unlinked) == 1 and _dbs() == before
    trunc = write(tmp_path / "trunc.csv", text[: text.index("Products")])
    with pytest.raises(InventoryError, match="trunc.csv: not a readable SimaPro CSV file"):
        import_any(project, trunc, name="f-sp-trunc")
    assert _dbs() == before


def test_openlca_jsonld_zip(project, tmp_path):
    from lca.imports import import_any

    r = import_any(project, _jsonld_zip(tmp_path), name="f-jsonld")
    assert r.database == "f-jsonld" and r.activities == 4  # 2 processes + 2 product nodes
    # CO2 links by UUID; the methane flow (own UUID) by name + compartment + unit; t -> kg
    assert _score("f-jsonld", "widget assembly") == pytest.approx(0.5 + 0.298 + 2.4, rel=1e-6)


def test_openlca_jsonld_errors(project, tmp_path):
    from lca.imports import import_any

    def rename_methane(src):
        for fp in [*src.glob("flows/*000000000012.json"), *src.glob("processes/*21.json")]:
            fp.write_text(fp.read_text().replace("Methane, fossil", "Methane, imaginary"))

    before = _dbs()
    zipped = _jsonld_zip(tmp_path / "a", edit=rename_methane)
    with pytest.raises(
        UnlinkedExchanges, match=re.escape(f"{zipped}: 1 unlinked exchange(s)")
    ) as info:
        import_any(project, zipped, name="f-jl-bad")
    assert [(u["name"], u["categories"]) for u in info.value.unlinked] == [
        ("Methane, imaginary", ("air",))
    ]

    def truncate(src):
        fp = next(src.glob("processes/*21.json"))
        fp.write_text(fp.read_text()[:200])

    with pytest.raises(
        InventoryError, match=r"export.zip: processes/\S+21.json is not readable JSON"
    ):
        import_any(project, _jsonld_zip(tmp_path / "b", edit=truncate), name="f-jl-trunc")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_jsonld_zip(tmp_path / "c").read_bytes()[:300])
    with pytest.raises(InventoryError, match="broken.zip: not a readable zip"):
        import_any(project, broken, name="f-jl-broken")
    assert _dbs() == before


def test_brightway_csv_goes_the_existing_way(project, tmp_path):
    from lca.imports import import_any

    csv = write(
        tmp_path / "bw.csv",
        database(
            "f-bw", activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", 2.0)])
        ),
    )
    r = import_any(project, csv)
    assert (r.database, r.activities) == ("f-bw", 1)
    with pytest.raises(InventoryError, match="--drop-unlinked does not apply"):
        import_any(project, csv, drop_unlinked=True)


def test_failed_reimport_keeps_the_old_database(project, tmp_path):
    import bw2data as bd

    from lca.imports import import_any

    import_any(project, DATA / "ecospold2", name="f-keep")
    d = _spold_copy(tmp_path)
    for fp in d.glob("*.spold"):
        fp.write_text(fp.read_text().replace(CO2_UUID, "00000000-dead-beef-0000-000000000000"))
    with pytest.raises(UnlinkedExchanges, match=re.escape(f"{d}: 2 unlinked exchange(s)")):
        import_any(project, d, name="f-keep")
    assert len(bd.Database("f-keep")) == 2
    assert _score("f-keep", "widget assembly") == pytest.approx(2.9, rel=1e-6)
    with pytest.raises(InventoryError, match="already exists"):
        import_any(project, DATA / "ecospold2", name="f-keep", overwrite=False)
    assert not [db for db in bd.databases if ".pcf-import-" in db]
