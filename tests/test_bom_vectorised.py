"""The array reader (:func:`supply_chain.bom.read_bom_arrays`, behind ``read_bom`` and ``pcf bom
rollup``) against the row-by-row reference :func:`supply_chain.bom.bom_from_records`, which
builds the graph one :func:`~supply_chain.bom.add_part` at a time: the same graph, the same
error (file, row, field, message) for every kind of bad cell, the same roll-up.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from lca.errors import PCFError
from supply_chain import SupplierPCF, recursive_rollup, rollup
from supply_chain.bom import COLUMNS, BOMArrays, bom_from_records, read_bom, read_bom_arrays
from supply_chain.bom_math import supply_vector

HEADER = list(COLUMNS)  # every column the reader knows, in its order
UNITS = {"kg": ("kg", "g", "tonne"), "piece": ("piece",), "kWh": ("kWh", "MJ")}


def random_rows(n: int = 120, seed: int = 1) -> list[dict]:
    """A random BOM in file rows, parents before components (one pass of the row-by-row
    reader, so its node order is the file's): shared parts, mixed units of one dimension,
    loss, yield, sources, attributes repeated on a part's later rows, padded cells."""
    rng = np.random.default_rng(seed)
    dims = list(UNITS)
    dim = [dims[rng.integers(3)] for _ in range(n)]
    rows = [{"part": " P0 ", "unit": "piece", "name": "product", "country": "CN"}]
    for j in range(1, n):
        for k, p in enumerate({int(rng.integers(j)), int(rng.integers(j))}):
            if k and rng.random() < 0.6:
                continue
            r = {
                "part": f"P{j}",
                "parent": f"P{p} " if rng.random() < 0.2 else f"P{p}",
                "quantity": repr(round(float(rng.uniform(0.01, 3)), 6)),
                "unit": str(rng.choice(UNITS[dim[j]])),
                "supplier": f"S{j % 7}",
            }
            if rng.random() < 0.3:
                r["loss"] = str(round(float(rng.uniform(0, 0.3)), 3))
            if rng.random() < 0.2:
                r["yield"] = str(round(float(rng.uniform(0.7, 1)), 3))
            if rng.random() < 0.2:
                r["sigma"] = "0.1"
            if rng.random() < 0.2:
                r["comment"] = f"line {j}, from a datasheet"
            if not k:  # a part's first row carries its attributes
                u = rng.random()
                if u < 0.2 and dim[j] == "kg":
                    r["pcf_id"] = f"pcf-{j % 5}"
                elif u < 0.3:
                    r["activity"] = f"db | act-{j % 4}"
                elif u < 0.4:
                    r["spend_sector"] = "332710"
                    r["unit_price_usd"] = "2.5"
                if rng.random() < 0.5:
                    r["direct"] = str(round(float(rng.uniform(0, 2)), 4))
                if rng.random() < 0.3:
                    r["stage"] = "production"
                r["country"] = "DE" if j % 2 else "CN"
            rows.append(r)
    return rows


def write(tmp_path, rows: list[dict], name: str = "bom.csv"):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    f = tmp_path / name
    f.write_text(buf.getvalue(), encoding="utf-8")
    return f


def reference(f):
    """The row-by-row reader on the same file (as ``read_bom`` read it before)."""
    with open(f, encoding="utf-8", newline="") as fh:
        recs = list(csv.DictReader(fh))
    for i, r in enumerate(recs, start=2):
        r["_where"] = f"{f.name}, row {i}"
    G = bom_from_records(recs, source=f.name)
    G.graph["source"] = str(f)
    return G


def same_graph(G, H):
    assert list(G.nodes) == list(H.nodes)
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    assert list(G.edges) == list(H.edges) or set(G.edges) == set(H.edges)
    assert {(u, v): d for u, v, d in G.edges(data=True)} == {
        (u, v): d for u, v, d in H.edges(data=True)
    }
    assert G.graph["roots"] == H.graph["roots"]
    assert G.graph["root_rows"] == H.graph["root_rows"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bom_reads_as_the_row_by_row_reader(tmp_path, seed):
    f = write(tmp_path, random_rows(150, seed))
    same_graph(read_bom(f), reference(f))


def test_unordered_rows_give_the_same_graph(tmp_path):
    rows = random_rows(80, 4)
    rows = [rows[0], *rows[1:][::-1]]  # components before their parents
    f = write(tmp_path, rows)
    G, H = read_bom(f), reference(f)
    assert set(G.nodes) == set(H.nodes)
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    assert {(u, v): d for u, v, d in G.edges(data=True)} == {
        (u, v): d for u, v, d in H.edges(data=True)
    }


# One bad cell each; the row is file row 4 (header row 1, product row 2, a good line row 3).
BAD = {
    "quantity-text": {"quantity": "two"},
    "quantity-negative": {"quantity": "-1"},
    "quantity-inf": {"quantity": "inf"},
    "quantity-huge": {"quantity": "1e308"},
    "quantity-zero": {"quantity": "0"},
    "quantity-empty": {"quantity": ""},
    "unit-empty": {"unit": ""},
    "unit-unknown": {"unit": "bushel"},
    "unit-mismatch": {"unit": "piece"},
    "loss-one": {"loss": "1"},
    "loss-text": {"loss": "a lot"},
    "yield-zero": {"yield": "0"},
    "yield-above-one": {"yield": "1.5"},
    "stage": {"stage": "assembly"},
    "activity": {"activity": "no-database"},
    "direct-text": {"direct": "n/a"},
    "price-negative": {"unit_price_usd": "-3"},
    "sigma-negative": {"sigma": "-0.1"},
    "conflicting-supplier": {"supplier": "Other Ltd"},
    "repeated-line": {"part": "A"},
    "unknown-parent": {"parent": "nowhere"},
    "empty-part": {"part": ""},
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_each_bad_cell_gives_the_reference_error(tmp_path, case):
    rows = [
        {"part": "P", "unit": "piece"},
        {"part": "A", "parent": "P", "quantity": "2", "unit": "kg", "supplier": "Acme"},
        {"part": "B", "parent": "P", "quantity": "1", "unit": "kg", "supplier": "Acme"},
    ]
    if case in ("conflicting-supplier", "unit-mismatch"):
        rows[2]["part"] = "A"
        rows[2]["parent"] = "P2"
        rows.insert(2, {"part": "P2", "parent": "P", "quantity": "1", "unit": "piece"})
        rows[3].update(BAD[case])
        row = 5
    else:
        rows[2].update(BAD[case])
        row = 4
    f = write(tmp_path, rows)
    with pytest.raises(PCFError) as ref:
        reference(f)
    with pytest.raises(PCFError) as got:
        read_bom(f)
    assert type(got.value) is type(ref.value)
    assert str(got.value) == str(ref.value)
    assert f"bom.csv, row {row}" in str(got.value)


def test_unknown_column_and_two_root_rows_are_named(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text("part,parent,quantity,unit,colour\nP,,,piece,\nA,P,1,kg,red\n")
    with pytest.raises(PCFError, match=r"bom.csv, row 3: field 'colour'.*unknown column"):
        read_bom(f)
    f.write_text("part,parent,quantity,unit\nP,,,piece\nA,P,1,kg\nP,,,piece\n")
    with pytest.raises(PCFError, match=r"bom.csv, row 4: field 'part' = 'P': root listed twice"):
        read_bom(f)


def test_short_rows_are_read_as_pandas_pads_them(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_text("part,parent,quantity,unit,supplier\nP,,,piece\nA,P,2,kg,Acme\nB,A,3,g\n")
    G = read_bom(f)
    assert G.edges["A", "B"]["q"] == 3.0 and G.nodes["B"]["unit"] == "g"


def test_rollup_of_the_arrays_equals_the_graph_and_the_recursion(tmp_path):
    f = write(tmp_path, random_rows(200, 5))
    pcfs = [
        SupplierPCF(f"pcf-{k}", 1.0 + k, "kilogram", primary_data_share=20.0 * k) for k in (0, 2)
    ]
    kw = {"pcfs": pcfs, "spend_factors": {"332710": 0.4}}
    a = rollup(read_bom_arrays(f), **kw)
    b = rollup(reference(f), **kw)
    assert a.nodes == b.nodes
    assert a.table.equals(b.table)
    assert (a.Q != b.Q).nnz == 0
    # against the memoised recursion over the graph with the roll-up's own values
    G = reference(f)
    for u, v in a.shadowed:
        G.remove_edge(u, v)
    ref = recursive_rollup(G, dict(zip(a.nodes, a.own.tolist())))
    x = np.array([ref[p] for p in a.nodes])
    assert np.max(np.abs(a.x - x) / np.maximum(np.abs(x), 1e-300)) <= 1e-12
    # the graph of the arrays is built only when asked for, and equals the reader's
    same_graph(a.graph, reference(f))


def test_hand_calculated_rollup_through_pcf(tmp_path, project, bw_dir):
    """``pcf bom rollup`` on a file: a lamp is 1 housing (0.5 kg CO2e made in-house) and
    250 g of copper (10 % lost: 0.2778 kg bought per lamp) at a supplier's 4.0 kg CO2e/kg,
    plus 2 pieces of LED at 0.1 each:  0.5 + 0.25 / 0.9 x 4.0 + 2 x 0.1 = 1.8111..."""
    from pcf.app import app

    f = tmp_path / "lamp.csv"
    f.write_text(
        "part,parent,quantity,unit,loss,pcf_id,direct\n"
        "lamp,,,piece,,,\n"
        "housing,lamp,1,piece,,,0.5\n"
        "copper,housing,250,g,0.1,cu,\n"
        "led,lamp,2,piece,,,0.1\n"
    )
    pcfs = tmp_path / "pcfs.csv"
    pcfs.write_text("id,value,unit\ncu,4.0,kilogram\n")
    r = CliRunner().invoke(
        app, ["--data-dir", str(bw_dir), "bom", "rollup", str(f), "--pcf", str(pcfs), "--json"]
    )
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    out = json.loads(r.stdout)
    assert out["footprint"] == pytest.approx(0.5 + 0.25 / 0.9 * 4.0 + 2 * 0.1, rel=1e-12)
    assert out["sources"] == {"bom": 2, "supplier_pcf": 1, "direct": 1}


def test_rollup_runs_without_huge_pages_and_puts_numpy_s_setting_back(
    tmp_path, project, bw_dir, monkeypatch
):
    """``pcf bom rollup`` turns numpy's request for transparent huge pages off while it reads
    and rolls up (pcf.commands.bom._small_pages) and puts it back after, also on an error."""
    from numpy._core.multiarray import _set_madvise_hugepage

    from pcf.app import app
    from supply_chain import bom

    seen = []
    read = bom.read_bom_arrays

    def spy(*a, **k):
        was = _set_madvise_hugepage(False)  # the setting in force, left as it was
        seen.append(was)
        return read(*a, **k)

    monkeypatch.setattr(bom, "read_bom_arrays", spy)
    f = tmp_path / "b.csv"
    f.write_text("part,parent,quantity,unit,direct\nP,,,piece,\nA,P,2,kg,1.5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("part,parent,quantity,unit\nP,,,piece\nA,P,0,kg\n")
    before = _set_madvise_hugepage(True)
    try:
        for path, code in ((f, 0), (bad, 1)):
            r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), "bom", "rollup", str(path)])
            assert r.exit_code == code, (r.stdout, r.stderr, r.exception)
            assert _set_madvise_hugepage(True) is True  # back on after the command
    finally:
        _set_madvise_hugepage(before)
    assert seen == [False, False]


def test_terminal_lists_the_largest_parts_of_a_large_bom(tmp_path, project, bw_dir):
    from pcf.app import app

    lines = ["part,parent,quantity,unit,direct", "P,,,piece,"]
    lines += [f"c{j},P,1,kg,{j}" for j in range(1, 61)]
    f = tmp_path / "big.csv"
    f.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), "bom", "rollup", str(f)])
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    assert "the 50 of 61" in r.stdout and "c60" in r.stdout and " c10 " not in r.stdout


def test_graph_input_keeps_working_and_links_behave_as_a_dict():
    from supply_chain.bom import add_part, new_bom

    G = new_bom("bike")
    add_part(G, "frame", "bike", 1, "piece", direct=2.0)
    add_part(G, "steel", "frame", 4.0, "kg", direct=2.0)
    r = rollup(G)
    assert r.graph is G and r.total == 10.0 and r.root == "bike"
    assert isinstance(r.bom, BOMArrays) and dict(r.links) == {}


def test_supply_vector_is_the_inverse_transpose():
    """m = (I − Qᵀ)⁻¹ f, checked against a dense inverse on a random DAG (nodes shuffled)."""
    rng = np.random.default_rng(0)
    n = 60
    p, c = [], []
    for j in range(1, n):
        for i in set(rng.integers(0, j, 2).tolist()):
            p.append(i)
            c.append(j)
    perm = rng.permutation(n)
    Q = sp.csr_matrix((rng.uniform(0.1, 2, len(p)), (perm[p], perm[c])), shape=(n, n))
    f = np.zeros(n)
    f[perm[0]] = 1.0
    m = supply_vector(Q, f)
    ref = np.linalg.solve(np.eye(n) - Q.toarray().T, f)
    assert np.allclose(m, ref, rtol=1e-12, atol=0)
    assert math.isclose(m[perm[0]], 1.0)


# -- the fast path (supply_chain.bom_read): a clean file straight into arrays ---------------------
def clean_rows(n: int, seed: int) -> list[dict]:
    """:func:`random_rows` without the padded cells (the fast reader's shape)."""
    return [{k: v.strip() for k, v in r.items()} for r in random_rows(n, seed)]


def careful(f, monkeypatch, root=None):
    """The careful reader alone on ``f`` (the fast one declines)."""
    from supply_chain import bom_read

    with monkeypatch.context() as mp:
        mp.setattr(bom_read, "read_fast", lambda *a: None)
        return read_bom_arrays(f, root=root)


def same_arrays(a, b):
    """Two BOMArrays hold the same BOM, array for array."""
    assert a.parts.tolist() == b.parts.tolist()
    assert list(a.node) == list(b.node) and list(a.edge) == list(b.edge)
    for got, ref in ((a.node, b.node), (a.edge, b.edge)):
        for k in ref:
            x, y = got[k], ref[k]
            if y.dtype.kind == "f":
                assert np.array_equal(x, y, equal_nan=True), k
            else:
                assert x.tolist() == y.tolist(), k
    assert a.parent.tolist() == b.parent.tolist() and a.child.tolist() == b.child.tolist()
    assert (a.roots, a.root_rows, a.source) == (b.roots, b.root_rows, b.source)
    assert np.array_equal(a._levels, b._levels)
    every = np.arange(len(a))
    for k in [None, *b._node_text]:
        ta, tb = a.text(k, every), b.text(k, every)
        assert (ta is None) == (tb is None), k
        assert ta is None or ta.to_pylist() == tb.to_pylist(), k


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_reader_reads_a_clean_file_as_the_careful_one(tmp_path, monkeypatch, seed):
    from supply_chain.bom_read import read_fast

    f = write(tmp_path, clean_rows(150, seed))
    assert read_fast(f, f.name) is not None  # the shape of the fast path: taken
    same_arrays(read_bom_arrays(f), careful(f, monkeypatch))
    same_graph(read_bom(f), reference(f))


def test_quoted_cells_with_commas_and_line_breaks_read_as_the_careful_reader(tmp_path, monkeypatch):
    """A file with a quote byte is read with line breaks allowed inside cells (one without is
    split at every line break): a comment over two lines and a name with a comma."""
    from supply_chain.bom_read import read_fast

    f = tmp_path / "bom.csv"
    # 3 MB: the reader works in blocks of 1 MiB, each split at a line break
    lines = [f'C{k},A,1,kg,screw,"lot {k}\nchecked"\n' for k in range(100_000)]
    f.write_text(
        "part,parent,quantity,unit,name,comment\n"
        'P,,,piece,"lamp, desk",\n'
        'A,P,2,kg,housing,"cast in\ntwo halves"\n' + "".join(lines),
        encoding="utf-8",
    )
    assert read_fast(f, f.name) is not None  # the fast path takes it
    got = read_bom_arrays(f)
    same_arrays(got, careful(f, monkeypatch))
    assert got.edge["comment"][:2].tolist() == ["cast in\ntwo halves", "lot 0\nchecked"]
    assert got.edge["comment"][-1] == "lot 99999\nchecked"
    assert len(got) == 100_002


def test_codes_by_sorting_are_those_of_a_hash_table():
    """The id words are coded by sorting (:func:`supply_chain.bom_read._first_codes`): the
    codes ``pandas.factorize`` gives (first appearance), on words with many repeats, on
    distinct ones, on one word repeated, on the word 0 (a blank parent) and the largest.
    Small words differ only in the low bits the sort keeps for the row: those take the
    argsort path (the first and last cases), the others the sort of packed words."""
    import pandas as pd

    from supply_chain.bom_read import _first_codes

    rng = np.random.default_rng(5)
    big = np.iinfo(np.uint64).max
    for h in (
        rng.integers(0, 50, 1000).astype(np.uint64),
        rng.permutation(2000).astype(np.uint64) * np.uint64(2**40),
        np.full(7, 3, dtype=np.uint64),
        np.array([0, big, 0, 5, big, 5, 1], dtype=np.uint64),
        rng.integers(0, 2**60, 3000).astype(np.uint64)[rng.integers(0, 3000, 5000)],
        np.array([5, 4, 5, 6, 4], dtype=np.uint64),
    ):
        codes, k = _first_codes(h.copy())  # written over
        ref, uniq = pd.factorize(h)
        assert codes.tolist() == ref.tolist() and k == len(uniq)
    assert _first_codes(np.zeros(0, dtype=np.uint64))[1] == 0


def test_activity_cells_read_as_the_careful_reader_reads_them():
    """The fast reader's loop over the distinct ``activity`` cells gives the key the careful
    reader's rule gives (:func:`supply_chain.bom_careful._text_value`), and declines a cell that rule
    refuses."""
    from supply_chain.bom_careful import _text_value
    from supply_chain.bom_read import _activity_keys, _NotFast

    good = ["db|code", "db | code", "db|a|b", "db |a | b", "x|y ", ""]
    assert _activity_keys(good) == [_text_value("activity", v)[0] for v in good]
    assert _activity_keys(good)[:3] == [("db", "code"), ("db", "code"), ("db", "a|b")]
    for bad in ("dbcode", "db|", "|code", " | ", "db| "):
        assert not _text_value("activity", bad)[1]
        with pytest.raises(_NotFast):
            _activity_keys(["db|code", bad])


def test_sources_chosen_from_codes_are_those_chosen_from_objects():
    """The roll-up hands the reader's codes of ``pcf``, ``activity``, ``spend_sector`` and
    ``unit`` to the source choice (:class:`supply_chain._sources.CodedValues`): the same
    sources, references, values, notes and Brightway keys as the same columns as objects,
    where two codes hold one value (a unit's two spellings made one; a None under a code),
    a part has none, and the unit is 'piece' given or by default."""
    from supply_chain._sources import CodedValues, choose_sources

    def coded(values, codes):
        v = np.empty(len(values) + 1, dtype=object)
        v[:-1] = values  # code -1: the None at the end
        return CodedValues(v, np.asarray(codes, dtype=np.int64))

    cols = {
        "unit": coded(
            ["kilogram", "gram", "kilogram", "piece", None], [0, 1, 2, 3, -1, 4, 0, 2, 1, 3, -1, 0]
        ),
        "pcf": coded(["s1", "s2", "gone", None], [0, -1, 1, 2, 2, -1, 3, -1, 1, -1, -1, 0]),
        "activity": coded(
            [("db", "a"), ("db", "b"), ("db", "a")], [-1, 0, -1, -1, -1, 1, 2, 0, -1, 2, -1, -1]
        ),
        "spend_sector": coded(["332710", "999"], [-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 1]),
        "unit_price_usd": np.array([np.nan] * 10 + [2.0, np.nan]),
        "direct": np.array([0.0, 1.5, np.nan, 2.0] + [np.nan] * 8),
    }
    objects = {k: (np.asarray(v[slice(None)], dtype=object) if isinstance(v, CodedValues) else v)
               for k, v in cols.items()}  # fmt: skip
    has_children = np.array([True, False] * 6)
    pool = {
        "s1": SupplierPCF("s1", 2.0, "kilogram", primary_data_share=40.0),
        "s2": SupplierPCF("s2", 3.0, "gram"),
    }
    nodes = [f"P{k}" for k in range(12)]
    for have_engine in (True, False):
        for spend in (None, {"332710": 0.4}):
            a = choose_sources(nodes, cols, has_children, pool, None, have_engine, spend)
            b = choose_sources(nodes, objects, has_children, pool, None, have_engine, spend)
            assert a.source.tolist() == b.source.tolist()
            assert np.array_equal(a.ext, b.ext) and np.array_equal(a.ext_pds, b.ext_pds, True)
            assert [a.refs[i] if i >= 0 else None for i in a.ref.tolist()] == [
                b.refs[i] if i >= 0 else None for i in b.ref.tolist()
            ]
            assert a.notes == b.notes and a.want_bw == b.want_bw and a.bw_keys == b.bw_keys
    # s2 (3 kg CO2e per gram) on a part counted in kilograms (P2, the unit's second code for
    # 'kilogram'): 1000 g x 3 = 3000 per kilogram; on one counted in grams (P8): 3
    assert a.ext[2] == 3000.0 and a.ext[8] == 3.0 and a.ext[0] == 2.0


@pytest.mark.parametrize("width", [3, 12, 16, 40])
def test_ids_of_any_length_are_told_apart(tmp_path, monkeypatch, width):
    """Ids up to 8 bytes are one 64-bit word, up to 16 two, longer ones go to Arrow's hash
    table; ids that share their first 8 or 16 bytes stay apart."""
    from supply_chain.bom_read import read_fast

    rows = clean_rows(120, 7)
    names = {r["part"]: r["part"].rjust(width, "x") for r in rows}  # 'xxxxxxxxxP17'
    for r in rows:
        r["part"] = names[r["part"]]
        if r.get("parent"):
            r["parent"] = names[r["parent"]]
    f = write(tmp_path, rows)
    assert read_fast(f, f.name) is not None
    same_arrays(read_bom_arrays(f), careful(f, monkeypatch))
    same_graph(read_bom(f), reference(f))


def test_a_root_row_after_its_lines_and_several_roots(tmp_path, monkeypatch):
    """Root rows count first wherever they are (the row-by-row reader adds roots first)."""
    from supply_chain.bom_read import read_fast

    f = tmp_path / "bom.csv"
    f.write_text(
        "part,parent,quantity,unit,supplier\n"
        "A,P,2,kg,Acme\nB,A,500,g,Bolt\nR,,,piece,\nC,R,1,kg,\nP,,,piece,Own\nB,R,1,kg,Bolt\n"
    )
    assert read_fast(f, f.name) is not None
    same_arrays(read_bom_arrays(f, root="P"), careful(f, monkeypatch, root="P"))
    same_graph(read_bom(f, root="R"), select_root_ref(f, "R"))
    assert read_bom_arrays(f, root="P").parts.tolist() == ["P", "A", "B"]


def select_root_ref(f, root):
    from supply_chain.bom import select_root

    return select_root(reference(f), root)


# Files the fast reader declines (another shape, or a broken rule): the careful reader reads
# them, with its result or its error.
DECLINED = {
    "parent-after-component": "part,parent,quantity,unit\nP,,,piece\nB,A,1,kg\nA,P,1,kg\n",
    "padded": "part,parent,quantity,unit\nP,,,piece\nA, P,1,kg\n",
    "unicode-space": "part,parent,quantity,unit\nP,,,piece\nA\u3000,P,1,kg\n",
    "nan-quantity": "part,parent,quantity,unit\nP,,,piece\nA,P,nan,kg\n",
    "nan-loss": "part,parent,quantity,unit,loss\nP,,,piece,\nA,P,1,kg,NaN\n",
    "conflicting-direct": "part,parent,quantity,unit,direct\nP,,,piece,\nA,P,1,kg,2\n"
    "B,P,1,kg,\nA,B,1,kg,3\n",
    "minus-zero-direct": "part,parent,quantity,unit,direct\nP,,,piece,\nA,P,1,kg,0\n"
    "B,P,1,kg,\nA,B,1,kg,-0\n",
    "cycle": "part,parent,quantity,unit\nP,,,piece\nA,P,1,kg\nB,A,1,kg\nA,B,1,kg\n",
    "blank-unit-on-a-line": "part,parent,quantity,unit\nP,,,piece\nA,P,1,\n",
    "no-unit-column": "part,parent,quantity\nP,,\nA,P,1\n",
    "nul-byte": "part,parent,quantity,unit\nP,,,piece\nA\x00,P,1,kg\n",
    "repeated-column": "part,parent,quantity,unit,unit\nP,,,piece,piece\nA,P,1,kg,kg\n",
}


@pytest.mark.parametrize("case", list(DECLINED), ids=list(DECLINED))
def test_files_the_fast_reader_declines_read_as_before(tmp_path, monkeypatch, case):
    from supply_chain.bom_read import read_fast

    f = tmp_path / "bom.csv"
    f.write_text(DECLINED[case], encoding="utf-8")
    assert read_fast(f, f.name) is None
    try:
        want = careful(f, monkeypatch)
    except PCFError as exc:
        with pytest.raises(type(exc)) as got:
            read_bom_arrays(f)
        assert str(got.value) == str(exc)
        return
    same_arrays(read_bom_arrays(f), want)


def test_rollup_and_hotspots_of_the_fast_arrays_equal_the_graphs(tmp_path):
    """The roll-up reads the fast reader's arrays without the parts table or the part ids
    as Python strings; what it reports is the graph's, table and hotspots included."""
    from supply_chain import hotspots

    f = write(tmp_path, clean_rows(200, 5))
    pcfs = [
        SupplierPCF(f"pcf-{k}", 1.0 + k, "kilogram", primary_data_share=20.0 * k) for k in (0, 2)
    ]
    kw = {"pcfs": pcfs, "spend_factors": {"332710": 0.4}}
    a = rollup(read_bom_arrays(f), **kw)
    b = rollup(reference(f), **kw)
    assert a._table is None and a.bom._parts is None  # nothing made yet
    assert a.summary() == b.summary()
    ha, hb = hotspots(a, top=5), hotspots(b, top=5)
    assert list(ha) == list(hb)
    for k in ha:
        assert ha[k].equals(hb[k]), k
    assert a.nodes == b.nodes
    assert a.table.equals(b.table)
    assert (a.Q != b.Q).nnz == 0 and np.array_equal(a.x, b.x)
