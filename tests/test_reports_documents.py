"""Battery declaration, ISO 14067 report, supplier workbook and the CLI, on the shipped LFP cell:
every document agrees with the one computed result."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports import (
    battery_declaration,
    load_meta,
    render,
    supplier_workbook,
    write_battery_declaration,
    write_demo_reports,
    write_iso14067_report,
)
from reports.errors import InvalidDeclaration, ReportError

KEY = ("pcf-products", "lfp-cell-per-kwh")


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.importer import shipped_inventories
    from lca.workflows import ensure_inventories

    paths = [
        p for p in shipped_inventories() if p.name in ("pcf-background.csv", "li-ion-cell.csv")
    ]
    ensure_inventories(project, sorted(paths, key=lambda p: p.parent.name))  # background first
    return FootprintEngine(project)


@pytest.fixture(scope="module")
def res(engine):
    return engine.footprint(KEY, "gwp100")


@pytest.fixture(scope="module")
def meta():
    return load_meta(None, KEY)


@pytest.fixture(scope="module")
def uncertainty():
    s = np.random.default_rng(3).lognormal(np.log(72.3), 0.05, 400)
    return {
        "mean": float(s.mean()),
        "median": float(np.median(s)),
        "p2_5": float(np.percentile(s, 2.5)),
        "p97_5": float(np.percentile(s, 97.5)),
        "iterations": 400,
        "samples": s,
    }


@pytest.fixture(scope="module")
def demo_files(engine, tmp_path_factory, uncertainty):
    out = tmp_path_factory.mktemp("reports")
    return {p.name: p for p in write_demo_reports(engine, KEY, out, uncertainty=uncertainty)}


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


# -- battery --------------------------------------------------------------------------------------
def test_battery_stage_split_sums_to_total(res, meta):
    d = battery_declaration(res, meta["battery"])
    assert set(d.stages) == {
        "raw_material_acquisition",
        "production",
        "distribution",
        "end_of_life",
    }
    assert sum(d.stages.values()) == pytest.approx(d.total, rel=1e-12)
    assert d.energy_delivered_kwh == pytest.approx(1.0 * 3000 * 0.8)
    assert d.total == pytest.approx(res.total / 2400, rel=1e-12)
    assert d.stages["raw_material_acquisition"] == pytest.approx(
        res.by_stage["raw_material_acquisition"] / 2400
    )


def test_battery_use_stage_excluded_and_unassigned_refused(res, meta):
    from dataclasses import replace

    with_use = replace(res, by_stage={**res.by_stage, "use": 5.0}, total=res.total + 5.0)
    d = battery_declaration(with_use, meta["battery"])
    assert d.excluded == {"use": pytest.approx(5.0 / 2400)}
    assert d.total == pytest.approx(res.total / 2400)
    untagged = replace(res, by_stage={"unassigned": res.total})
    with pytest.raises(InvalidDeclaration) as e:
        battery_declaration(untagged, meta["battery"])
    assert "unassigned" in e.value.field


def test_battery_service_life_needs_cycles(res, meta):
    bad = {**meta["battery"], "service_life": {"capacity_kwh": 1, "depth_of_discharge": 0.8}}
    with pytest.raises(InvalidDeclaration) as e:
        battery_declaration(res, bad)
    assert e.value.field.startswith("battery.service_life")
    alt = {
        **meta["battery"],
        "service_life": {
            "capacity_kwh": 1,
            "depth_of_discharge": 0.8,
            "cycles_per_year": 300,
            "service_life_years": 10,
        },
    }
    assert battery_declaration(res, alt).energy_delivered_kwh == pytest.approx(2400)


def test_battery_pdf_shows_total_and_each_stage(demo_files, res, meta):
    d = battery_declaration(res, meta["battery"])
    stem = "battery-declaration-lfp-cell-per-kwh"
    js = json.loads(demo_files[f"{stem}.json"].read_text())
    assert js["total"] == pytest.approx(d.total) and js["stages"] == pytest.approx(d.stages)
    text = pdf_text(demo_files[f"{stem}.en.pdf"])
    assert render.num(d.total) in text
    for k, v in d.stages.items():
        assert render.translate(f"stage.{k}", "en") in text
        assert render.num(v) in text
    from pypdf import PdfReader

    assert len(PdfReader(str(demo_files[f"{stem}.en.pdf"])).pages) == 1  # one page


def test_battery_zh(res, meta, tmp_path):
    files = write_battery_declaration(
        battery_declaration(res, meta["battery"]), tmp_path, lang="zh", formats=("html", "pdf")
    )
    html = files[0].read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and render.translate("field.total", "zh") in html
    text = pdf_text(files[1])
    assert render.num(res.total / 2400) in text
    if render.cjk_font():  # glyphs (and so extractable text) need a CJK font
        assert render.translate("field.total", "zh") in text


# -- ISO 14067 ------------------------------------------------------------------------------------
def test_iso_pdf_contains_total_stages_and_sources(demo_files, res):
    text = pdf_text(demo_files["iso14067-lfp-cell-per-kwh.en.pdf"])
    assert render.num(res.total) in text
    for k, v in res.by_stage.items():
        assert render.translate(f"stage.{k}", "en") in text
        assert render.num(v) in text
    for part in ("part.fossil", "part.land_use", "part.aircraft"):
        assert render.translate(part, "en").split(" (")[0] in text
    # data sources are the top contributors' Brightway comments
    assert "Argonne National Laboratory" in text and "MEE" in text
    assert "Monte Carlo" in text


def test_iso_html_is_offline_and_interactive(demo_files):
    html = demo_files["iso14067-lfp-cell-per-kwh.en.html"].read_text(encoding="utf-8")
    start = html.index('<script type="text/javascript">')
    end = html.index("</script>", start)
    assert end - start > 1_000_000  # plotly.js itself, inlined from the plotly package
    rest = html[:start] + html[end:]
    assert "<script src=" not in rest and "cdn.plot.ly" not in rest
    assert "Plotly.newPlot" in rest and "sankey" in rest.lower()
    assert "data:image/png" not in rest  # static images are for the PDF


def test_iso_report_zh_and_macc(res, meta, tmp_path, uncertainty):
    macc = pd.DataFrame(
        {
            "lever": ["Sichuan grid", "Recycled Li2CO3"],
            "abatement": [20.0, 4.0],
            "cost": [-40.0, 80.0],
        }
    )
    files = write_iso14067_report(
        res, meta["declaration"], meta["study"], tmp_path, lang="zh", macc=macc, formats=("html",)
    )
    html = files[0].read_text(encoding="utf-8")
    assert render.translate("sec.macc", "zh") in html and "Sichuan grid" in html
    assert render.translate("text.no_sources", "zh") in html  # no project given
    assert "Plotly.newPlot" in html


def test_translation_table_is_complete():
    table = render.translations()
    for key, texts in table.items():
        assert set(texts) == set(render.LANGS), key
    with pytest.raises(ReportError):
        render.translate("no.such.key", "en")
    with pytest.raises(ReportError):
        render.normalize_lang("fr")
    assert render.normalize_lang("zh-CN") == "zh"


def test_failed_report_leaves_nothing(res, meta, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(render, "html_to_pdf", boom)
    with pytest.raises(RuntimeError):
        write_iso14067_report(res, meta["declaration"], meta["study"], tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- supplier workbook ----------------------------------------------------------------------------
def test_workbook_figures_equal_result(demo_files, res):
    import openpyxl

    wb = openpyxl.load_workbook(demo_files["suppliers-lfp-cell-per-kwh.xlsx"])
    assert wb.sheetnames == ["Summary", "Scorecard", "Suppliers", "Hotspots", "Plan", "Notes"]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    # xlsx stores 15-16 significant digits (xlsxwriter writes %.16g)
    assert summary["total"] == pytest.approx(res.total, rel=1e-15, abs=0)
    assert summary["fossil"] == pytest.approx(res.fossil, rel=1e-15, abs=0)
    rows = list(wb["Scorecard"].iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in rows] == pytest.approx(
        [p.value for p in res.top_processes], rel=1e-15, abs=0
    )
    assert sum(r[4] for r in rows) == pytest.approx(res.total, rel=1e-12)
    stages = {
        r[1]: r[2]
        for r in wb["Suppliers"].iter_rows(min_row=2, values_only=True)
        if r[0] == "stage"
    }
    assert sum(stages.values()) == pytest.approx(res.total, rel=1e-12)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    notes = {r[0]: r[1] for r in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    assert set(notes) == set(wb.sheetnames) - {"Notes"}
    assert "lfp-cell-per-kwh" in notes["Scorecard"]
    assert wb["Scorecard"].cell(2, 5).number_format == "#,##0.000"


def test_workbook_takes_dataframes(res, tmp_path):
    import openpyxl

    plan = pd.DataFrame({"lever": ["a", "b"], "abatement": [1.5, 2.0], "cost": [10.0, -3.0]})
    p = supplier_workbook(res, tmp_path / "w.xlsx", plan=plan)
    rows = list(openpyxl.load_workbook(p)["Plan"].iter_rows(values_only=True))
    assert rows[0] == ("lever", "abatement", "cost") and rows[1] == ("a", 1.5, 10.0)
    with pytest.raises(InvalidDeclaration):
        supplier_workbook(res, tmp_path / "x.xlsx", plan=[1, 2])


# -- demo and CLI -------------------------------------------------------------------------------
def test_demo_writes_one_of_each(demo_files, res):
    names = set(demo_files)
    assert {
        "pact-v3-lfp-cell-per-kwh.json",
        "battery-declaration-lfp-cell-per-kwh.en.pdf",
        "iso14067-lfp-cell-per-kwh.en.pdf",
        "iso14067-lfp-cell-per-kwh.en.html",
        "suppliers-lfp-cell-per-kwh.xlsx",
    } <= names
    doc = json.loads(demo_files["pact-v3-lfp-cell-per-kwh.json"].read_text())
    assert float(doc["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(res.total, rel=1e-9)
    assert all(p.exists() for p in demo_files.values())


def test_meta_required_for_other_products():
    with pytest.raises(InvalidDeclaration) as e:
        load_meta(None, ("db", "other"))
    assert e.value.field == "meta"


def test_cli_report_commands(engine, tmp_path, monkeypatch):
    import io

    import typer
    from typer.testing import CliRunner

    from pcf import cli, report_cmds

    monkeypatch.setattr(cli.state, "stdout", io.StringIO())  # where pcf writes its output

    root = typer.Typer()
    root.add_typer(report_cmds.app, name="report")
    runner = CliRunner()
    product = "|".join(KEY)
    for args in (
        ["pact", product, "--out", str(tmp_path), "--pact-version", "2"],
        ["suppliers", product, "--out", str(tmp_path)],
    ):
        r = runner.invoke(root, ["report", *args])
        assert r.exit_code == 0, (r.output, r.exception)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"pact-v2-lfp-cell-per-kwh.json", "suppliers-lfp-cell-per-kwh.xlsx"} <= names
    first = json.loads((tmp_path / "pact-v2-lfp-cell-per-kwh.json").read_text())
    r = runner.invoke(
        root,
        [
            "report",
            "pact",
            product,
            "--out",
            str(tmp_path / "v2"),
            "--pact-version",
            "2",
            "--previous",
            str(tmp_path / "pact-v2-lfp-cell-per-kwh.json"),
        ],
    )
    assert r.exit_code == 0, (r.output, r.exception)
    new = json.loads((tmp_path / "v2" / "pact-v2-lfp-cell-per-kwh.json").read_text())
    old = json.loads((tmp_path / "v2" / f"{first['id']}.json").read_text())
    assert new["precedingPfIds"] == [first["id"]] and old["status"] == "Deprecated"
