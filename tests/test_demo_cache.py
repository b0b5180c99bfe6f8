"""A warm ``pcf demo`` repeats no work it has done before (issue 13): the PDFs and font subsets
of unchanged documents come from the content-addressed cache in the engine's data directory
(``<data dir>/pcf-cache``, :func:`lca.project.cache_dir`), the documents are the same bytes, and
the declarations it publishes are the ones it wrote. A changed input renders exactly the
documents it changes; the Monte Carlo draws of an unchanged project are read back, not drawn
again."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pcf.app import app

runner = CliRunner()


@pytest.fixture
def pcf(shipped, bw_dir, monkeypatch):
    """``pcf --data-dir <the session's directory> ARGS`` in-process, with the shipped
    inventories imported; the demo publishes into that directory's store."""
    monkeypatch.delenv("PCF_DB_URL", raising=False)

    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


@pytest.fixture
def counted(monkeypatch):
    """Count WeasyPrint renders, fontTools subsets and Monte Carlo runs (the costly steps the
    caches skip)."""
    import weasyprint
    from fontTools import subset

    import pcf.demo.footprints as fp

    calls = {"pdf": 0, "subset": 0, "montecarlo": 0}
    write_pdf, do_subset, uncertainty = (
        weasyprint.HTML.write_pdf,
        subset.Subsetter.subset,
        fp.uncertainty,
    )

    def counting_mc(*a, **kw):
        calls["montecarlo"] += 1
        return uncertainty(*a, **kw)

    def counting_pdf(self, *a, **kw):
        calls["pdf"] += 1
        return write_pdf(self, *a, **kw)

    def counting_subset(self, *a, **kw):
        calls["subset"] += 1
        return do_subset(self, *a, **kw)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counting_pdf)
    monkeypatch.setattr(subset.Subsetter, "subset", counting_subset)
    monkeypatch.setattr(fp, "uncertainty", counting_mc)
    return calls


def _demo(pcf, out, iterations):
    r = pcf("demo", "--out", out, "--iterations", str(iterations), "--json")
    return json.loads(r.stdout)


def _documents(out):
    """The documents for people (PDF, HTML) a run wrote: ``{name: bytes}``."""
    return {
        p.name: p.read_bytes()
        for p in sorted((out / "reports").iterdir())
        if p.suffix in (".pdf", ".html")
    }


def test_a_warm_demo_renders_nothing_again_and_a_changed_input_renders_its_documents(
    pcf, bw_dir, tmp_path, monkeypatch, counted
):
    # the cache of the engine's data directory, not the test session's $PCF_CACHE_DIR
    monkeypatch.delenv("PCF_CACHE_DIR")
    from reports import render

    render.font_subset_b64.cache_clear()  # as a new process: nothing subset in this one yet
    cache = bw_dir / "pcf-cache"
    first = _demo(pcf, tmp_path / "a", 20)
    docs = _documents(tmp_path / "a")
    pdfs = sorted(n for n in docs if n.endswith(".pdf"))
    # two battery declarations, two ISO 14067 reports, the plant sheet; each rendered once
    assert len(pdfs) == 5
    assert counted["pdf"] == len(pdfs)
    assert len(list((cache / "pdf").glob("*.pdf"))) == len(pdfs)
    # the English HTML reports quote Chinese source titles: they embed a subset of the CJK font
    assert counted["subset"] > 0 and list((cache / "fonts").glob("*.b64"))
    # one Monte Carlo run per product (each drawn alone, as `pcf footprint KEY` draws it)
    n_products = len(first["products"])
    assert counted["montecarlo"] == n_products

    render.font_subset_b64.cache_clear()  # as a new process: only the cache on disk remains
    counted.update(pdf=0, subset=0, montecarlo=0)
    second = _demo(pcf, tmp_path / "b", 20)
    assert counted == {"pdf": 0, "subset": 0, "montecarlo": 0}
    # the same documents, byte for byte (chart ids are derived from the charts, not random)
    assert _documents(tmp_path / "b") == docs
    # the same numbers, the Monte Carlo percentiles included (read back, exactly as drawn)
    assert second["products"] == first["products"]
    assert all(p["uncertainty"]["iterations"] == 20 for p in second["products"])
    assert (tmp_path / "b" / "montecarlo-draws.csv").read_bytes() == (
        tmp_path / "a" / "montecarlo-draws.csv"
    ).read_bytes()
    # publishing stores the declarations the run wrote: the same ids, nothing new
    assert [(p["id"], p["action"]) for p in second["published"]] == [
        (p["id"], "unchanged") for p in first["published"]
    ]
    for p in second["published"]:
        code = p["product"].split("|")[1]
        written = json.loads((tmp_path / "b" / "reports" / f"pact-v3-{code}.json").read_text())
        assert written["id"] == p["id"]

    # a changed input (the number of Monte Carlo draws) is drawn, and it changes the two
    # ISO 14067 reports and nothing else: exactly those two PDFs are rendered
    counted.update(pdf=0, subset=0, montecarlo=0)
    _demo(pcf, tmp_path / "c", 40)
    changed = _documents(tmp_path / "c")
    assert counted["montecarlo"] == n_products
    assert counted["pdf"] == 2
    differ = sorted(n for n in pdfs if changed[n] != docs[n])
    assert len(differ) == 2 and all(n.startswith("iso14067-") for n in differ)
    assert len(list((cache / "pdf").glob("*.pdf"))) == len(pdfs) + 2
