"""The importer: all-or-nothing, with errors that name the file, activity and exchange."""

import pytest
from invfiles import activity, background, bio, database, tech, write

from lca.errors import InvalidAmount, InventoryError, UnitMismatch, UnlinkedExchanges


@pytest.fixture(scope="module")
def bg(project, tmp_path_factory):
    from lca.importer import import_inventory

    d = tmp_path_factory.mktemp("imp")
    import_inventory(project, write(d / "bg.csv", background("i-bg")))
    return "i-bg"


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def test_unlinked_exchanges_are_listed_and_nothing_is_written(project, bg, tmp_path):
    from lca.importer import import_inventory

    text = database(
        "i-bad",
        activity(
            "thing",
            "thing",
            "kilogram",
            "CN",
            [
                tech("grid electricity", 1, "kilowatt hour", "DE", bg),  # no DE electricity
                bio("Unobtainium dioxide", 1.0),
            ],
        ),
    )
    before = _dbs()
    with pytest.raises(UnlinkedExchanges) as info:
        import_inventory(project, write(tmp_path / "bad.csv", text))
    err = info.value
    assert len(err.unlinked) == 2
    assert {u["name"] for u in err.unlinked} == {"grid electricity", "Unobtainium dioxide"}
    assert "bad.csv" in str(err) and "thing" in str(err) and "nothing was written" in str(err)
    assert _dbs() == before


def test_unit_mismatch_names_the_exchange(project, bg, tmp_path):
    from lca.importer import import_inventory

    # links by name/location only if the unit also matches, so mismatch an internal link's unit
    text = database(
        "i-unit",
        activity("a", "a", "kilogram", "CN", [tech("b", 1, "kilogram", "CN")]),
        activity("b", "b", "kilogram", "CN", []),
    )
    from lca import importer

    old = importer.TECHNOSPHERE_FIELDS
    importer.TECHNOSPHERE_FIELDS = ("name", "location")
    try:
        import_inventory(project, write(tmp_path / "ok.csv", text))  # sanity: units agree
        bad = text.replace(
            '"b","b",1,kilogram,CN,,,technosphere', '"b","b",1,litre,CN,,,technosphere'
        )
        assert bad != text
        before = _dbs()
        with pytest.raises(
            UnitMismatch,
            match=r"unit.csv: activity 'a', input 'b'.*expected 'kilogram', got 'litre'",
        ):
            import_inventory(project, write(tmp_path / "unit.csv", bad))
        assert _dbs() == before
    finally:
        importer.TECHNOSPHERE_FIELDS = old


@pytest.mark.parametrize("amount,why", [("", "missing"), ("abc", "missing"), ("nan", "finite")])
def test_missing_or_bad_amount(project, bg, tmp_path, amount, why):
    from lca.importer import import_inventory

    text = database(
        "i-amount", activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", amount)])
    )
    with pytest.raises(InvalidAmount, match=f"activity 'x', exchange 2.*{why}"):
        import_inventory(project, write(tmp_path / "amount.csv", text))
    assert "i-amount" not in _dbs()


def test_negative_production_is_rejected(project, bg, tmp_path):
    from lca.importer import import_inventory

    text = database("i-neg", activity("x", "x", "kilogram", "CN", []))
    text = text.replace('"x","x",1,kilogram', '"x","x",-1,kilogram')
    with pytest.raises(InvalidAmount, match="production amount must be positive"):
        import_inventory(project, write(tmp_path / "neg.csv", text))


def test_missing_file_and_database(project, tmp_path):
    from lca.importer import import_inventory

    with pytest.raises(InventoryError, match="no such file"):
        import_inventory(project, tmp_path / "nope.csv")
    text = database(
        "i-orphan",
        activity(
            "x",
            "x",
            "kilogram",
            "CN",
            [tech("grid electricity", 1, "kilowatt hour", "CN", "not-installed")],
        ),
    )
    with pytest.raises(InventoryError, match="not-installed.*import those first"):
        import_inventory(project, write(tmp_path / "orphan.csv", text))


def test_reimport_replaces_and_failed_reimport_keeps_the_old(project, bg, tmp_path):
    import bw2data as bd

    from lca.importer import import_inventory

    good = database(
        "i-keep", activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", 2.0)])
    )
    r = import_inventory(project, write(tmp_path / "keep.csv", good))
    assert r.activities == 1 and not r.replaced
    r = import_inventory(project, write(tmp_path / "keep.csv", good.replace(",2.0,", ",3.0,")))
    assert r.replaced
    amount = lambda: [e["amount"] for e in bd.get_node(database="i-keep", code="x").biosphere()]
    assert amount() == [3.0]
    bad = good.replace("Carbon dioxide, fossil", "Carbon dioxide, imaginary")
    with pytest.raises(UnlinkedExchanges):
        import_inventory(project, write(tmp_path / "keep.csv", bad))
    assert amount() == [3.0]
    with pytest.raises(InventoryError, match="already exists"):
        import_inventory(project, write(tmp_path / "keep.csv", good), overwrite=False)
    assert not [d for d in bd.databases if ".pcf-import-" in d]
