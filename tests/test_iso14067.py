"""ISO 14067 / GB/T 24067-2024 study report of the flagship LFP pack, through
``pcf report iso14067``: sensitivity by recomputation, the GHG list from the method, data quality
per dataset, "not assessed" rows, document control, the clause-by-clause conformity table, and
Monte Carlo by default.

Hand calculations (shipped inventories, IPCC 2021 GWP100): the LFP pack is GREET 2024 LFP
materials 41.79 + 37.5 kWh (Degen et al. 2023, LFP cells) x the China grid at the consumer 0.6104
(0.5777 + 0.0327) = 64.68 kg CO2e per kWh of capacity. The sensitivity scenarios change one input
and solve again: grid without T&D 41.79 + 37.5 x 0.5777; MEE 2023 CO2-only grid
41.79 + 37.5 x 0.5306; the published spread of the cell-factory energy, Degen et al. 2023's lowest
current LIB cell 41.79 + 20.3 x 0.6104 and Kurland 2020's midpoint 41.79 + 57.5 x 0.6104; GREET
2024 LIB assembly instead of the cell-factory electricity 41.79 + 1 kWh of greet2024-lib-assembly
(its own footprint); 10 instead of 8 years of service life per kWh delivered 64.68 / (60 x 10).
"""

from __future__ import annotations

import re

import pytest

KEY = "pcf-products-lfp-pack|lfp-pack-per-kwh"
GREET, GRID, GRID_GEN, GRID_2023 = 41.79, 0.5777 + 0.0327, 0.5777, 0.5306
FACTORY = 37.5  # kWh per kWh of LFP cell, Degen et al. 2023 (lfp-pack.csv)


def cli(*args):
    from typer.testing import CliRunner

    from pcf.app import app as root

    return CliRunner().invoke(root, [str(a) for a in args])


def pdf_text(path) -> str:
    from pdfminer.high_level import extract_text

    return " ".join(extract_text(str(path)).split())


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


@pytest.fixture(scope="module")
def report(shipped, tmp_path_factory):
    out = tmp_path_factory.mktemp("iso")
    r = cli("report", "iso14067", KEY, "--out", out, "--iterations", "30")
    assert r.exit_code == 0, (r.output, r.exception)
    return out, r.output


def test_sensitivity_is_recomputed(engine):
    from pcf.demo.reports import load_meta
    from reports.iso14067 import StudyInfo, sensitivity_scenarios

    study = StudyInfo.parse(load_meta(None, KEY)["study"])
    res = engine.footprint(tuple(KEY.split("|")))
    rows = sensitivity_scenarios(engine, res, study.sensitivity)
    got = [r["total"] for r in rows]
    assembly = engine.footprint(("pcf-background", "greet2024-lib-assembly")).total
    want = [
        GREET + FACTORY * GRID_GEN,  # 63.454
        GREET + FACTORY * GRID_2023,  # 61.688
        GREET + 20.3 * GRID,  # 54.181, Degen et al. 2023's lowest current LIB cell (NMC900)
        GREET + 57.5 * GRID,  # 76.888, Kurland 2020's midpoint of 50-65
        GREET + assembly,  # the GREET LIB assembly proxy
        (GREET + FACTORY * GRID) / (60 * 10),  # 0.1078 per kWh delivered
    ]
    assert got == pytest.approx(want, rel=1e-5)
    for r in rows:
        assert r["baseline"] != r["total"]
        assert r["change"] == pytest.approx(r["total"] / r["baseline"] - 1)


def test_ghg_list_reads_the_methods_gwp(shipped):
    from lca import methods
    from reports.iso14067 import ghg_list

    gwp = {r["flow"]: r["gwp"] for r in ghg_list(shipped, methods.resolve("gwp100"))}
    # IPCC AR6 GWP100 (STANDARDS.md: CH4 fossil 29.8, non-fossil 27.0, N2O 273, SF6 25,200,
    # NF3 17,400, HFC-134a 1,530)
    assert gwp["Carbon dioxide, fossil"] == 1.0
    assert gwp["Methane, fossil"] == pytest.approx(29.8)
    assert gwp["Methane, non-fossil"] == pytest.approx(27.0)
    assert gwp["Dinitrogen monoxide"] == pytest.approx(273)
    assert gwp["Sulfur hexafluoride"] == pytest.approx(25200)
    assert gwp["Nitrogen fluoride"] == pytest.approx(17400)
    assert gwp["Ethane, 1,1,1,2-tetrafluoro-, HFC-134a"] == pytest.approx(1530)


def test_report_sections(report):
    out, output = report
    assert "Monte Carlo: 30 draws" in output
    text = pdf_text(out / "iso14067-lfp-pack-per-kwh.en.pdf")
    # document control and conformity
    for s in (
        "Document control",
        "DEMO-ISO14067-LFP-0001",
        "Issue date",
        "2026-12-01",
        "Not critically reviewed",
        "Conformity with ISO 14067:2018, clause by clause",
        "Reference flow",
        "Product specification",
        "Greenhouse gases considered and their GWP",
        "Value choices",
        "9. References",
        "Degen, F., Winter, M., Bendig, D.",
        "Kurland, S. D. (2020)",
    ):
        assert s in text, s
    # not assessed, never 0; the fossil carbon content row (rows read from the HTML)
    html = (out / "iso14067-lfp-pack-per-kwh.en.html").read_text(encoding="utf-8")
    for row in (
        "Direct land-use change (dLUC)",
        "Biogenic GHG emissions (non-CO2, characterised)",
        "Fossil carbon content of the product (kg C)",
    ):
        assert f'<td>{row}</td><td class="n" colspan="2">not assessed</td>' in html, row
    # data quality per dataset, with the rule and the unrated share
    assert "<th>Dataset</th><th>Location</th>" in html and "TiR</th>" in html
    assert "battery materials, LFP, for 1 kWh BEV pack capacity" in text
    assert "weighted average of all inputs" in text
    assert re.search(r"without a pedigree record \(scored 5\): 0\.0 %", text)
    # cut-offs: not quantified, stated
    assert text.count("not quantified") >= 4
    # uncertainty with the number of draws; sensitivity recomputed, not a multiplier
    assert "(30 draws)" in text
    assert "Each scenario is recomputed" in text and "±10 %" not in text
    assert "63.45" in text and "54.18" in text and "76.89" in text and "0.1078" in text


def test_iso_report_needs_draws(shipped, tmp_path):
    r = cli("report", "iso14067", KEY, "--out", tmp_path / "o", "--iterations", "0")
    assert r.exit_code == 1
    assert "--iterations" in r.output and "at least 2" in r.output
    assert not (tmp_path / "o").exists()


def test_zh_report_is_gb_t_24067(shipped, tmp_path):
    r = cli("report", "iso14067", KEY, "--out", tmp_path, "--iterations", "10", "--lang", "zh")
    assert r.exit_code == 0, (r.output, r.exception)
    html = (tmp_path / "iso14067-lfp-pack-per-kwh.zh.html").read_text(encoding="utf-8")
    assert "产品碳足迹研究报告（GB/T 24067-2024" in html
    assert "与 GB/T 24067-2024 的符合性（逐条）" in html and "条款（GB/T 24067-2024）" in html
    assert html.count("未评估") >= 5  # biogenic, dLUC, biogenic CO2 x2, contents
    assert "二氧化碳，化石" in html and "未量化" in html


def test_inputs_of_the_products_own_processes(shipped):
    """The cell factory's energy is a row of the data sources, read from the inventory's
    exchanges: 37.5 kWh per kWh of LFP cell (Degen et al. 2023) and, for NMC811, 28.9 kWh per
    kWh = the midpoint of Degen et al. 2023's 20.3-37.5 for current LIB cells, with that range."""
    from lca.footprint import FootprintEngine
    from reports.iso14067 import foreground_inputs

    eng = FootprintEngine(shipped)
    lfp = foreground_inputs(shipped, eng.footprint(tuple(KEY.split("|"))))
    (cell,) = [r for r in lfp if r["key"].endswith("lfp-pack-cell-manufacturing-cn")]
    assert cell["amount"] == FACTORY and cell["unit"] == "kilowatt hour"
    assert cell["input_key"] == "pcf-background|electricity-cn-2024-footprint-consumer"
    assert "Degen et al. 2023" in cell["note"] and "Source:" not in cell["note"]
    # the GREET materials enter the cell, module and pack parts: 3 inputs adding to 1 kWh-eq of
    # the pack aggregate (the mass shares of one pack add up to the whole)
    greet = [r for r in lfp if r["input_key"].endswith("greet2024-lfp-battery-materials")]
    assert len(greet) == 3 and sum(r["amount"] for r in greet) == pytest.approx(1.0, abs=1e-6)
    nmc = foreground_inputs(shipped, eng.footprint(("pcf-products-nmc811", "nmc811-pack-per-kwh")))
    (cell,) = [r for r in nmc if r["key"].endswith("nmc811-pack-cell-manufacturing-cn")]
    assert cell["amount"] == pytest.approx((20.3 + 37.5) / 2, abs=0.05)  # 28.9
    assert (cell["minimum"], cell["maximum"]) == (20.3, 37.5)
    assert "midpoint" in cell["note"] and "not read" in cell["note"]


def test_report_states_only_what_is_true(report):
    """What an auditor checked in the ISO report: the cell-factory energy row; no "Rest" note
    without a Rest row; the aircraft 0 in the number column; the fossil-only split note when
    biogenic and land use are not assessed; chart captions; the sensitivity rows' boundary;
    table headers repeated on each page; no internal key in the data sources."""
    from reports import render

    out, _ = report
    html = (out / "iso14067-lfp-pack-per-kwh.en.html").read_text(encoding="utf-8")
    text = pdf_text(out / "iso14067-lfp-pack-per-kwh.en.pdf")
    assert render.translate("sec.inputs", "en") in text
    assert re.search(r"battery cell manufacturing, LFP.*?37\.5 kilowatt hour", text)
    assert "Electricity 37.5 kWh per kWh cell capacity (Degen et al. 2023, LFP cells)." in text
    assert "Rest" not in text  # the top-processes table has no Rest row here
    assert re.search(r"Aircraft emissions<br>.*?</td><td class=\"n\">0</td>", html)
    assert "bundled sub-indicators" not in text  # not assessed: only the fossil figure is stated
    assert render.translate("text.split_source_bundled_fossil", "en") in text
    for cap in ("chart.caption_waterfall", "chart.caption_top"):
        assert render.translate(cap, "en", unit="kg CO2-Eq") in text
    # the per-kWh-delivered sensitivity rows are the cradle-to-gate products (no distribution),
    # unlike the battery declaration's: every row says so, and the column is "Baseline"
    assert text.count("(cradle-to-gate, excluding distribution)") == 6
    assert '<th class="n">Baseline</th>' in html and "Stored value" not in text
    assert html.count("<thead>") >= 2  # data sources and inputs: header repeated on a new page
    assert "Model identifier of the product" in text and "Brightway" not in text
    assert "pcf-products-lfp-pack|lfp-pack-cell" not in html  # no activity keys in the sources
