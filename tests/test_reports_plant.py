"""The plant sheet (reports.plant): HTML + PDF from one computed PlantInventory; its figures are
the inventory's, formatted; an over-claimed plant writes nothing; zh renders; the CLI wires it."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import factory
from lca.files import jsonable
from pcf.demo.plant import write_demo_plant_sheet
from reports import plant as sheet
from reports import render
from reports.errors import InvalidDeclaration, ReportError

ROOT = Path(__file__).resolve().parent.parent
HEADER = "period,section,item,amount,unit,region,product,vintage,retired,comment\n"
PLANT = ",plant,sheet-plant,,,CN-JS,,,,a small test plant\n"
PERIOD = """\
{y},fuel,natural_gas,{gas},GJ,,,,,
{y},fuel,diesel,10,t,,,,,
{y},process,HFC-134a,5,kg,,part-b,,,chiller on line B
{y},electricity,CN-JS,1000,MWh,CN-JS,,,,
{y},certificate,GEC,{gec},MWh,CN,,{y},yes,
{y},certificate,GEC,100,MWh,CN,,2020,yes,old vintage
{y},onsite,solar_pv,100,MWh,,,,,
{y},production,part-a,1000,kg,,,,,
{y},production,part-b,3000,kg,,,,,
{y},purchased,aluminium_primary,100,kg,,,,,
{y},offset,CCER,{ccer},t CO2e,,,{y},yes,
"""
BODY = PERIOD.format(y=2023, gas=1200, gec=200, ccer=50) + PERIOD.format(
    y=2024, gas=1000, gec=400, ccer=100
)


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def pages(path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


@pytest.fixture(scope="module")
def proj(project):
    factory.ensure_factor_databases(project)
    return project


@pytest.fixture(scope="module")
def plant_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("plant") / "plant.csv"
    p.write_text(HEADER + PLANT + BODY)
    return p


@pytest.fixture(scope="module")
def plant(proj, plant_file):
    return factory.plant_inventory(proj, plant_file)


@pytest.fixture(scope="module")
def en_files(plant, tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet-en")
    files = sheet.write_plant_sheet(
        plant, out, what_if={"green": 0.8, "efficiency": 0.1}, formats=("html", "pdf", "json")
    )
    return {p.suffix: p for p in files}


def test_pdf_figures_equal_the_inventory(plant, en_files):
    inv = plant.latest()
    gap = factory.gap_report(plant)
    pdf = en_files[".pdf"]
    assert pdf.name == "plant-sheet-sheet-plant-2024.en.pdf" and 1 <= pages(pdf) <= 2
    text = pdf_text(pdf)
    for kg in (
        inv.scope1,
        inv.scope2_location,
        inv.scope2_market,
        gap["residual"],
        gap["offsets_needed"],
    ):
        shown = sheet.tonnes(kg)
        assert shown in text, shown
        # the shown figure is the inventory's value in t CO2e, rounded for display only
        assert float(shown.replace(",", "")) * 1000 == pytest.approx(kg, rel=1e-4)
    assert gap["residual"] == inv.scope1 + inv.scope2_market
    assert gap["offsets_needed"] == inv.scope1 + inv.scope2_market - 100_000
    assert render.pct(inv.electricity["green_share"]) in text
    # accepted and rejected instruments, with the reason
    assert "accepted" in text and "rejected" in text and "vintage 2020" in text
    # per-unit gate-to-gate footprints, the key and the ISO 14067 hierarchy; offsets beside
    alloc = factory.allocate(inv)
    for p in alloc.products:
        assert render.num(p.per_unit) in text
    assert "ISO 14067:2018 6.4.6" in text and "“production” (physical, kg)" in text
    assert "never subtracted" in " ".join(text.split())
    # trajectory with year-on-year change, and the what-if levers
    traj = factory.trajectory(plant)
    assert f"{100 * traj[1]['change_vs_previous_pct']:+.1f} %" in text
    assert "Green-power share 80%" in text and "All levers together" in text
    assert "Illustrative example plant" not in text  # this plant does not say so


def test_html_is_offline_and_json_is_the_inventory(plant, en_files):
    html = en_files[".html"].read_text(encoding="utf-8")
    start = html.index('<script type="text/javascript">')
    end = html.index("</script>", start)
    assert end - start > 1_000_000  # plotly.js inlined from the plotly package
    rest = html[:start] + html[end:]
    assert "<script src=" not in rest and "cdn.plot.ly" not in rest
    assert "Plotly.newPlot" in rest
    assert "data:image/png" not in rest and "data:image/svg" not in rest  # the chart is live
    assert f'title="{plant.latest().scope2_market} kg CO2e"' in rest  # exact value kept
    doc = json.loads(en_files[".json"].read_text())
    # the same numbers as `pcf factory inventory --json` (PlantInventory.to_dict())
    assert doc["inventory"] == json.loads(json.dumps(plant.to_dict(), default=jsonable))
    assert doc["gap"]["offsets_needed"] == factory.gap_report(plant)["offsets_needed"]


def test_zh_sheet_and_earlier_period(plant, tmp_path):
    files = sheet.write_plant_sheet(plant, tmp_path, lang="zh-CN", period="2023")
    assert [p.name for p in files] == [
        "plant-sheet-sheet-plant-2023.zh.html",
        "plant-sheet-sheet-plant-2023.zh.pdf",
    ]
    html = files[0].read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and render.translate("doc.plant.title", "zh") in html
    text = pdf_text(files[1])
    inv = plant.get("2023")
    assert sheet.tonnes(inv.scope2_location) in text and sheet.tonnes(inv.scope1) in text
    if render.cjk_font():  # glyphs (and so extractable text) need a CJK font
        assert render.translate("field.offsets_needed", "zh") in text


def test_overclaim_raises_and_writes_nothing(plant, proj, plant_file, tmp_path):
    bad = copy.deepcopy(plant)
    bad.latest().instruments[0]["kwh"] = 5_000_000.0  # more than the 1,000 MWh bought
    out = tmp_path / "out"
    with pytest.raises(
        factory.CertificateOverclaim, match=r"column 'amount': .*\(double counting\)"
    ) as ei:
        sheet.write_plant_sheet(bad, out)
    assert "double counting" in str(ei.value) and ei.value.column == "amount"
    assert not out.exists()
    # from the data file, the factory itself refuses; the CLI writes nothing either
    over = tmp_path / "over.csv"
    over.write_text(HEADER + PLANT + PERIOD.format(y=2024, gas=1000, gec=1200, ccer=0))
    overclaim = re.escape(f"{over}, row 7, column 'amount': 2024: 1200 MWh")
    with pytest.raises(factory.CertificateOverclaim, match=overclaim):
        factory.plant_inventory(proj, over)
    q = _pcf("factory", "sheet", str(over), "--out", str(out), data_dir=proj.base_dir)
    assert q.returncode == 1 and "over.csv, row 7, column 'amount'" in " ".join(q.stderr.split())
    assert not out.exists()


def test_failed_render_leaves_nothing(plant, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(render, "html_to_pdf", boom)
    with pytest.raises(RuntimeError, match="^disk full$"):
        sheet.write_plant_sheet(plant, tmp_path)
    assert list(tmp_path.iterdir()) == []  # not even the HTML written before the PDF failed


def test_demo_sheet_is_illustrative(proj, tmp_path):
    files = write_demo_plant_sheet(proj, tmp_path)
    assert [p.suffix for p in files] == [".html", ".pdf"]
    text = pdf_text(files[1])
    assert "Illustrative example plant — not measured data." in text
    gap = factory.gap_report(factory.plant_inventory(proj, factory.EXAMPLE_PLANT))
    assert sheet.tonnes(gap["offsets_needed"]) == "226,888" and "226,888" in text
    assert pages(files[1]) <= 2


def test_cli_sheet(proj, plant_file, tmp_path):
    p = _pcf(
        "factory",
        "sheet",
        str(plant_file),
        "--out",
        str(tmp_path),
        "--lang",
        "en",
        "--period",
        "2024",
        "--green-share",
        "0.5",
        "--json",
        data_dir=proj.base_dir,
    )
    assert p.returncode == 0, p.stderr
    files = json.loads(p.stdout)["files"]
    assert [Path(f).name for f in files] == [
        "plant-sheet-sheet-plant-2024.en.html",
        "plant-sheet-sheet-plant-2024.en.pdf",
    ]
    assert all(Path(f).exists() for f in files)


def test_lca_does_not_import_reports():
    """Dependencies point pcf -> reports -> supply_chain -> lca: lca never imports reports."""
    import ast

    for path in (ROOT / "lca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            assert not any(n.split(".")[0] == "reports" for n in names), path


def _pcf(*args, data_dir):
    code = (
        "import sys; from pcf import app as cli; from pcf.commands import factory as factory_cmds; "
        "cli.app.add_typer(factory_cmds.app, name='factory'); sys.argv[0] = 'pcf'; cli.main()"
    )
    env = dict(os.environ, PCF_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


# -- options and targets checked before anything is written (issue 9) -----------------------------
@pytest.mark.parametrize("lang", ["de", ""])
def test_unknown_language_writes_nothing(plant, tmp_path, lang):
    out = tmp_path / "out"
    with pytest.raises(InvalidDeclaration, match=r"^lang: .* is not a report language"):
        sheet.write_plant_sheet(plant, out, lang=lang)
    assert not out.exists()


def test_unknown_format_writes_nothing(plant, tmp_path):
    with pytest.raises(ReportError, match=r"unknown sheet format\(s\) \['docx'\]"):
        sheet.write_plant_sheet(plant, tmp_path / "out", formats=("html", "docx"))
    assert not (tmp_path / "out").exists()


def test_cli_outputs_that_cannot_be_written(proj, plant_file, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    for args in (
        ("sheet", str(plant_file), "--out", str(f / "sheets")),
        ("inventory", str(plant_file), "--csv", str(f / "inv.csv")),
        ("gap", str(plant_file), "--csv", str(f / "gap.csv")),
    ):
        p = _pcf("factory", *args, data_dir=proj.base_dir)
        assert p.returncode == 1, (args, p.stderr)
        assert "Traceback" not in p.stderr
        assert f"cannot write {f}" in p.stderr and "is a file, not a folder" in p.stderr
    assert f.read_text() == "x"


def test_sheet_states_the_scope2_factors_and_their_gases(plant, en_files):
    """Every scope-2 figure's factor is on the sheet (kg CO2e per kWh = its emissions over its
    kWh, MEE 2023 Jiangsu 0.5827) with the gases its source covers (the MEE 2023 grid factors
    are CO2 only): an auditor could not tell which factor made the t CO2e figures."""
    inv = plant.latest()
    text = " ".join(pdf_text(en_files[".pdf"]).split())
    assert "Emission factors used" in text
    assert "electricity, Jiangsu provincial grid average, MEE 2023: 0.5827 kg CO2e/kWh" in text
    assert "gases covered by the source: CO2)" in text
    loc = [ln for ln in inv.lines if ln.scope == "2-location"]
    assert sum(ln.total for ln in loc) / sum(ln.amount for ln in loc) == pytest.approx(0.5827)
    assert "(allowed: 0))" not in text  # the rejection reason is not double-bracketed
