"""The importer: all-or-nothing, with errors that name the file, activity and exchange."""

import re

import pytest
from invfiles import activity, background, bio, database, tech, write

from lca.errors import InvalidAmount, InventoryError, UnitMismatch, UnlinkedExchanges


@pytest.fixture(scope="module")
def bg(project, tmp_path_factory):
    from lca.imports import import_inventory

    d = tmp_path_factory.mktemp("imp")
    import_inventory(project, write(d / "bg.csv", background("i-bg")))
    return "i-bg"


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def test_unlinked_exchanges_are_listed_and_nothing_is_written(project, bg, tmp_path):
    from lca.imports import import_inventory

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
    bad = tmp_path / "bad.csv"
    with pytest.raises(
        UnlinkedExchanges, match=re.escape(f"{bad}: 2 unlinked exchange(s)")
    ) as info:
        import_inventory(project, write(bad, text))
    err = info.value
    assert len(err.unlinked) == 2
    assert {u["name"] for u in err.unlinked} == {"grid electricity", "Unobtainium dioxide"}
    assert "bad.csv" in str(err) and "thing" in str(err) and "nothing was written" in str(err)
    assert _dbs() == before


def test_unit_mismatch_names_the_exchange(project, bg, tmp_path):
    from lca.imports import import_inventory

    # links by name/location only if the unit also matches, so mismatch an internal link's unit
    text = database(
        "i-unit",
        activity("a", "a", "kilogram", "CN", [tech("b", 1, "kilogram", "CN")]),
        activity("b", "b", "kilogram", "CN", []),
    )
    from lca.imports import _brightway as importer

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
    from lca.imports import import_inventory

    text = database(
        "i-amount", activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", amount)])
    )
    with pytest.raises(InvalidAmount, match=f"activity 'x', exchange 2.*{why}"):
        import_inventory(project, write(tmp_path / "amount.csv", text))
    assert "i-amount" not in _dbs()


def test_zero_production_is_rejected_negative_is_the_waste_convention(project, bg, tmp_path):
    from lca.imports import import_inventory

    text = database("i-neg", activity("x", "x", "kilogram", "CN", []))
    zero = text.replace('"x","x",1,kilogram', '"x","x",0,kilogram')
    with pytest.raises(InvalidAmount, match="production amount must not be zero"):
        import_inventory(project, write(tmp_path / "zero.csv", zero))
    assert "i-neg" not in _dbs()
    # ecoinvent / bw2io exports write a waste treatment as producing -1 of the waste it takes
    neg = text.replace('"x","x",1,kilogram', '"x","x",-1,kilogram')
    assert import_inventory(project, write(tmp_path / "neg.csv", neg)).database == "i-neg"


def test_missing_file_and_database(project, tmp_path):
    from lca.imports import import_inventory

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

    from lca.imports import import_inventory

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
    keep = tmp_path / "keep.csv"
    with pytest.raises(UnlinkedExchanges, match=re.escape(f"{keep}: 1 unlinked exchange(s)")):
        import_inventory(project, write(keep, bad))
    assert amount() == [3.0]
    with pytest.raises(InventoryError, match="already exists"):
        import_inventory(project, write(tmp_path / "keep.csv", good), overwrite=False)
    assert not [d for d in bd.databases if ".pcf-import-" in d]


# -- atomic replace (lca.imports.write_database) ------------------------------------------------
def _leftovers(name):
    import bw2data as bd

    return [d for d in bd.databases if d.startswith(f"{name}.pcf-")]


def _fail_writing(monkeypatch, name, times):
    """Make bw2data's SQLiteBackend.write raise when it writes database ``name`` (the final
    name, i.e. inside ``rename``), ``times`` times (None: always). Returns the names written."""
    from bw2data.backends import SQLiteBackend

    original = SQLiteBackend.write
    written, left = [], [times]

    def write(self, data, *args, **kwargs):
        written.append(self.name)
        if self.name == name and (left[0] is None or left[0] > 0):
            if left[0] is not None:
                left[0] -= 1
            raise OSError("disk full (test)")
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(SQLiteBackend, "write", write)
    return written


def _co2(db, amount):
    return database(
        db, activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", amount)])
    )


def test_failed_rename_restores_the_old_database(project, tmp_path, monkeypatch):
    """The write of the final name fails (inside ``rename``): the old data survive under their
    name, and no temporary, backup or partial database is left."""
    import bw2data as bd

    from lca.imports import import_inventory

    name = "i-atomic"
    import_inventory(project, write(tmp_path / "a.csv", _co2(name, 2.0)))
    amount = lambda: [e["amount"] for e in bd.get_node(database=name, code="x").biosphere()]
    before = set(bd.databases)
    written = _fail_writing(monkeypatch, name, times=1)
    with pytest.raises(
        InventoryError,
        match=r"writing database 'i-atomic' failed: disk full.*"
        r"previous version of 'i-atomic' was restored; nothing was written",
    ):
        import_inventory(project, write(tmp_path / "a.csv", _co2(name, 3.0)))
    # the new data went to a temporary database, the old was moved aside before the swap
    assert any(".pcf-import-" in w for w in written) and any(".pcf-backup-" in w for w in written)
    assert set(bd.databases) == before and not _leftovers(name)
    assert amount() == [2.0] and len(bd.Database(name)) == 1
    monkeypatch.undo()
    r = import_inventory(project, write(tmp_path / "a.csv", _co2(name, 3.0)))  # works again
    assert r.replaced and amount() == [3.0] and not _leftovers(name)
    del bd.databases[name]


def test_failed_restore_keeps_the_backup_and_names_it(project, tmp_path, monkeypatch):
    """If even the restore fails, the old data are kept (as the backup the error names)."""
    import bw2data as bd

    from lca.imports import import_inventory

    name = "i-atomic2"
    import_inventory(project, write(tmp_path / "b.csv", _co2(name, 2.0)))
    _fail_writing(monkeypatch, name, times=None)
    with pytest.raises(InventoryError, match=r"restoring the previous version failed too") as ei:
        import_inventory(project, write(tmp_path / "b.csv", _co2(name, 3.0)))
    monkeypatch.undo()
    backup = str(ei.value).rsplit("kept as ", 1)[1].strip("'")
    assert _leftovers(name) == [backup] and name not in bd.databases  # no partial database
    node = bd.get_node(database=backup, code="x")
    assert [e["amount"] for e in node.biosphere()] == [2.0]
    bd.Database(backup).rename(name)  # what a user would do; tidy the session project
    del bd.databases[name]


def test_new_database_write_failure_leaves_nothing(project, tmp_path, monkeypatch):
    """A first import whose final write fails leaves no database of that name at all."""
    import bw2data as bd

    from lca.imports import import_inventory

    before = set(bd.databases)
    _fail_writing(monkeypatch, "i-atomic3", times=None)
    with pytest.raises(InventoryError, match="disk full"):
        import_inventory(project, write(tmp_path / "c.csv", _co2("i-atomic3", 2.0)))
    assert set(bd.databases) == before


def _db_files(project):
    """The processed datapackages and search indexes in the project (names)."""
    import bw2data as bd

    base = bd.projects.dir
    return {p.name for sub in ("processed", "search") for p in (base / sub).glob("*")}


def test_write_failure_and_success_leave_no_files_of_temporary_databases(
    project, tmp_path, monkeypatch
):
    """bw2data deletes neither the processed datapackage nor the search index of a deleted or
    renamed database: a failed write (corpus: "writing database ... failed") and a successful
    one must not leave those of their ``.pcf-import-`` / ``.pcf-backup-`` databases."""
    from lca.imports import import_inventory

    before = _db_files(project)
    with monkeypatch.context() as m:
        _fail_writing(m, "i-files", times=None)
        with pytest.raises(InventoryError, match="nothing was written"):
            import_inventory(project, write(tmp_path / "f.csv", _co2("i-files", 2.0)))
    assert _db_files(project) == before
    import_inventory(project, write(tmp_path / "f.csv", _co2("i-files", 2.0)))
    import_inventory(project, write(tmp_path / "f.csv", _co2("i-files", 3.0)))  # a replacement
    assert not [n for n in _db_files(project) - before if "pcf-import" in n or "pcf-backup" in n]


def test_empty_database_name_is_located(project, tmp_path):
    """Corpus imp:db-name-empty: bw2io's AssertionError became "internal error"."""
    from lca.imports import import_inventory

    text = _co2("i-noname", 2.0).replace("Database,i-noname", "Database,")
    path = write(tmp_path / "noname.csv", text)
    with pytest.raises(InventoryError, match=re.escape(f"{path}: the 'Database' row")):
        import_inventory(project, path)
    assert "" not in _dbs()


@pytest.mark.parametrize(
    "unc,field,why",
    [
        (("99", "1", "0.1"), "uncertainty type", "not a known stats_arrays uncertainty type"),
        (("abc", "1", "0.1"), "uncertainty type", "not a known"),
        (("2", "1", "-1"), "scale", "positive scale"),
        (("2", "1", "abc"), "scale", "not a number"),
        (("", "", "abc"), "scale", "not a number"),
        (("3", "1", "0"), "scale", "positive scale"),
        (("4", "", ""), "minimum", "requires minimum and maximum"),
    ],
)
def test_invalid_uncertainty_is_refused_before_writing(project, bg, tmp_path, unc, field, why):
    """Corpus imp:uncertainty type / scale: accepted silently (99, -1) or failing half-way
    through the write (abc); now refused with file, activity, exchange and field named."""
    from lca.errors import InvalidUncertainty
    from lca.imports import import_inventory

    before = _db_files(project)
    text = database(
        "i-unc",
        activity("x", "x", "kilogram", "CN", [bio("Carbon dioxide, fossil", 1.0, unc=unc)]),
    )
    path = write(tmp_path / "unc.csv", text)
    with pytest.raises(InvalidUncertainty, match=re.escape(why)) as info:
        import_inventory(project, path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: activity 'x', exchange 2 ('Carbon dioxide, fossil')")
    assert info.value.field == field and repr(field) in msg
    assert "i-unc" not in _dbs() and _db_files(project) == before


def test_valid_uncertainty_is_accepted(project, bg, tmp_path):
    from lca.imports import import_inventory

    exchanges = [
        bio("Carbon dioxide, fossil", 1.0, unc=("2", "0", "0.1")),
        bio("Methane, fossil", 0.1, unc=("1", "", "")),
        bio("Dinitrogen monoxide", 0.1, unc=("5", "0.1", "")).replace(",,,test", ",0.05,0.2,test"),
    ]
    text = database("i-unc-ok", activity("x", "x", "kilogram", "CN", exchanges))
    import_inventory(project, write(tmp_path / "ok.csv", text))
    assert "i-unc-ok" in _dbs()


# -- inventories/README.md generator (lca.inventory_docs) -----------------------------------------
def test_inventory_docs_main_logs_and_returns_an_exit_code(tmp_path, monkeypatch, caplog, capsys):
    import io
    import logging

    from lca import inventory_docs

    readme = tmp_path / "README.md"
    readme.write_text(inventory_docs.README.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(inventory_docs, "README", readme)
    with caplog.at_level(logging.INFO, logger="lca.inventory_docs"):
        assert inventory_docs.main(["--write"]) == 0
    assert "already up to date" in caplog.text
    out = io.StringIO()
    assert inventory_docs.main([], out=out) == 0
    assert out.getvalue().startswith("| database |")
    readme.write_text("no markers\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="lca.inventory_docs"):
        assert inventory_docs.main(["--write"]) == 1
    assert "no <!-- datasets:start -->" in caplog.text
    assert capsys.readouterr().out == ""  # library code does not print
