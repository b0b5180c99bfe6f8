"""ISO 14067 / GB/T 24067-2024 study report of the flagship LFP pack, through
``pcf report iso14067``: sensitivity by recomputation, the GHG list from the method, data quality
per dataset, "not assessed" rows, document control, the clause-by-clause conformity table, and
Monte Carlo by default.

Hand calculations (shipped inventories, IPCC 2021 GWP100): the LFP pack is GREET 2024 LFP
materials 42.5048 + 37.5 kWh (Degen et al. 2023, LFP cells) x the China grid at the consumer 0.6104
(0.5777 + 0.0327) = 65.39 kg CO2e per kWh of capacity. The sensitivity scenarios change one input
and solve again: grid without T&D 42.5048 + 37.5 x 0.5777; MEE 2023 CO2-only grid
42.5048 + 37.5 x 0.5306; the published spread of the cell-factory energy, Degen et al. 2023's lowest
current LIB cell 42.5048 + 20.3 x 0.6104 and Kurland 2020's midpoint 42.5048 + 57.5 x 0.6104; GREET
2024 LIB assembly instead of the cell-factory electricity 42.5048 + 1 kWh of greet2024-lib-assembly
(its own footprint); 10 instead of 8 years of service life per kWh delivered 65.39 / (60 x 10).
"""

from __future__ import annotations

import re

import pytest

from tests.greet import GREET_LFP

KEY = "pcf-products-lfp-pack|lfp-pack-per-kwh"
# GREET 2024 LFP pack materials per kWh, booked as its gases (Inputs/LIB_upstream_GHG.csv
# @984aa083, CAR / 300mile / LFP, g per kg battery over 142.9 Wh/kg) with IPCC 2021 GWP100
# (CH4 29.8, N2O 273, CF4 7380, C2F6 12400, land-use CO2 1; biogenic uptake 0) = 42.5048
GREET = GREET_LFP
GRID, GRID_GEN, GRID_2023 = 0.5777 + 0.0327, 0.5777, 0.5306
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
        GREET + FACTORY * GRID_GEN,  # 64.169
        GREET + FACTORY * GRID_2023,  # 62.402
        GREET + 20.3 * GRID,  # 54.896, Degen et al. 2023's lowest current LIB cell (NMC900)
        GREET + 57.5 * GRID,  # 77.603, Kurland 2020's midpoint of 50-65
        GREET + assembly,  # the GREET LIB assembly proxy
        (GREET + FACTORY * GRID) / (60 * 10),  # 0.1090 per kWh delivered
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
    # each dataset's P beside its TeR/GeR/TiR, as the DQR = (TeR + GeR + TiR + P) / 4 above uses
    assert '<th class="n">TiR</th><th class="n">P</th></tr>' in html
    greet = re.search(
        r"GREET 2024 aggregate</td><td>US</td>((?:<td class=\"n\">[^<]*</td>){5})", html
    )
    assert greet and greet.group(1).count("<td") == 5, "share, TeR, GeR, TiR, P"
    assert "battery materials, LFP, for 1 kWh BEV pack capacity" in text
    assert "weighted average of all inputs" in text
    assert re.search(r"without a pedigree record \(scored 5\): 0\.0 %", text)
    # cut-offs: not quantified, stated
    assert text.count("not quantified") >= 4
    # uncertainty with the number of draws; sensitivity recomputed, not a multiplier
    assert "(30 draws)" in text
    assert "Each scenario is recomputed" in text and "±10 %" not in text
    assert "64.17" in text and "54.90" in text and "77.60" in text and "0.1090" in text


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
    # the row (read from the HTML: the PDF's text order follows its page layout)
    assert re.search(r"<td>battery cell manufacturing, LFP[^<]*</td><td>[^<]*</td>"
                     r"<td class=\"n\">37\.5 kilowatt hour", html)  # fmt: skip
    assert "Electricity 37.5 kWh per kWh cell capacity (Degen et al. 2023, LFP cells)." in text
    assert "Rest" not in text  # the top-processes table has no Rest row here
    # aircraft: 100 % of the pack's footprint comes from aggregates whose transport modes no
    # name search sees: "not assessed", as its PACT document leaves the field out (never 0)
    assert re.search(
        r"Aircraft emissions<br>.*?</td><td class=\"n\" colspan=\"2\">not assessed", html
    )
    assert render.translate("part.aircraft_aggregated", "en", share="100.0 %", n=11).split(";")[
        0
    ] in " ".join(html.split())
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


# -- what the auditor checked (session 20): statuses from the content, no internal references,
# the gas split, the mass as PACT states it, the plan of another model, the histogram ----------
def html_body(path) -> str:
    """The HTML without the inlined plotly.js (a library, not the document's text)."""
    html = path.read_text(encoding="utf-8")
    return re.sub(
        r'<script type="text/javascript">.*?</script>', "", html, count=1, flags=re.DOTALL
    )


def status_of(html: str, requirement: str) -> str:
    from reports import render

    row = re.search(
        rf"<td>{re.escape(render.translate(requirement, 'en'))}</td><td>[^<]*</td><td>(.*?)</td>",
        html,
    )
    assert row, requirement
    return row.group(1)


def test_conformity_statuses_follow_the_content(report, engine):
    """Hand figures: the LFP pack is GREET 2024 materials 42.5048 (booked as its gases, so the
    method's GWP100 applies) + MEE 2024 grid 21.66 + T&D 1.226 (CO2e aggregates, GWP set unstated):
    22.89 of 65.39 kg CO2e = 35.0 % comes from CO2e aggregates whose GWP set is not stated, so 6.5
    is partly met with 35.0 %; the primary data share is 0 % (all
    secondary datasets), so 6.3 data quality is partly met naming ISO 14067 6.3.5; 4 cut-offs
    are not quantified, so 6.4 inventory is partly met."""
    from reports.iso14067 import aggregate_contributions

    out, _ = report
    html = html_body(out / "iso14067-lfp-pack-per-kwh.en.html")
    impact = status_of(html, "iso.c.impact")
    share = 100 * FACTORY * GRID / (GREET + FACTORY * GRID)  # 35.0
    assert impact.startswith("partly met") and f"{share:.1f} % of the footprint" in impact
    assert "GWP set is not stated by its source, not the method&#39;s AR6" in impact
    dq = status_of(html, "iso.c.data_quality")
    assert dq.startswith("partly met") and "Primary data share 0.0 %" in dq and "6.3.5" in dq
    inv = status_of(html, "iso.c.inventory")
    assert inv.startswith("partly met") and "4 items left out" in inv
    assert status_of(html, "iso.c.limitations") == "met"  # the study lists its own
    res = engine.footprint(tuple(KEY.split("|")))
    agg = aggregate_contributions(engine, res)
    assert agg["by_basis"] == {"unstated": pytest.approx(FACTORY * GRID, rel=1e-4)}
    # the aggregates' part of the gas rows is the grid's CO2e, the rest of the total is real gases
    assert sum(agg["by_gas"].values()) == pytest.approx(FACTORY * GRID, rel=1e-4)
    # the gas table: GREET's gases per kg battery / 142.9 Wh/kg x IPCC 2021 GWP100, and one row
    # for the grid's aggregates (their CO2e is not counted as CO2: no "CO2" artefact)
    gas_table = html.split(">By greenhouse gas<", 1)[1].split("</table>", 1)[0]
    for gas, kg in (
        ("CO2", (4960 + 0.002917) / 142.9),  # fossil + land-use CO2: 34.71
        ("CH4", 34.562 * 29.8 / 142.9),  # 7.207
        ("N2O", 0.1887 * 273 / 142.9),  # 0.3605
        ("CF4", 0.003487 * 7380 / 142.9),  # 0.1801
        ("C2F6", 0.0005438 * 12400 / 142.9),  # 0.04719
        ("CO2e aggregates: gas split not available", FACTORY * GRID),  # 22.89
    ):
        assert f'<td>{gas}</td><td class="n">{kg:.4g}</td>' in gas_table, gas
    assert gas_table.count("<tr>") == 7  # header + 6 rows


def test_conformity_rules_by_hand():
    """The rules on small inputs: a primary data share above 0, quantified cut-offs and
    aggregates on the method's GWP set make the rows met; the reverse, partly."""
    from types import SimpleNamespace as NS

    from reports.iso14067 import StudyInfo, conformity

    study = StudyInfo(goal="g", intended_application="a", reference_flow="r", limitations=["x"])
    cut = NS(estimate=1.0)
    decl = NS(cut_offs=[cut], allocation_rules_description="a", not_assessed_biogenic=False)
    good = conformity(
        study.model_copy(update={"electricity": "e"}),
        decl,
        {"p2_5": 1},
        [1],
        quality=NS(primary_data_share=12.5),
        aggregates={"complete": True, "by_basis": {"AR6": 3.0}},
        method_basis="AR6",
        total=10.0,
        sources=[{"key": "a|b"}],
        limitations=["x"],
    )
    assert {r["requirement"]: r["status"] for r in good if r["status"] != "met"} == {
        "iso.c.review": "partly"
    }
    bad = conformity(
        study.model_copy(update={"limitations": []}),
        NS(
            cut_offs=[NS(estimate=None)],
            allocation_rules_description="",
            not_assessed_biogenic=True,
        ),
        None,
        [],
        quality=NS(primary_data_share=0.0),
        aggregates={"complete": True, "by_basis": {"AR6": 3.0, "AR5": 2.5}},
        method_basis="AR6",
        total=10.0,
        sources=[{"key": "a|b"}],
        limitations=[],
    )
    st = {r["requirement"]: r for r in bad}
    assert st["iso.c.impact"]["status"] == "partly"
    assert st["iso.c.impact"]["why"][1]["p"] == "25.0 %"  # 2.5 of 10 on AR5, not AR6
    assert st["iso.c.data_quality"]["status"] == "partly"
    assert st["iso.c.inventory"]["status"] == "partly"
    assert st["iso.c.limitations"]["status"] == "partly"
    assert st["iso.c.uncertainty"]["status"] == "not_met"


def test_mass_as_pact_states_it(report):
    """demo_meta.yaml: 1000 / 145.7 Wh/kg = 6.8634 kg per kWh, the figure PACT's
    productMassPerDeclaredUnit gives (not 6.863)."""
    out, _ = report
    html = html_body(out / "iso14067-lfp-pack-per-kwh.en.html")
    assert "<td>Mass per declared unit</td><td>6.8634 kg<br>" in html


def test_standalone_uncertainty_is_a_captioned_histogram(report):
    """`pcf report iso14067` keeps no draws: the report draws them again with the same seed
    (checked against the summary) and shows the histogram with its caption."""
    from reports import render

    out, _ = report
    text = pdf_text(out / "iso14067-lfp-pack-per-kwh.en.pdf")
    cap = render.translate("chart.caption_uncertainty", "en", n=30, unit="kg CO2-Eq")
    assert " ".join(cap.split()) in text
    html = html_body(out / "iso14067-lfp-pack-per-kwh.en.html")
    assert '"type":"histogram"' in html.replace(" ", "")


def test_reproduced_draws_match_the_summary(shipped, engine):
    from lca import workflows
    from reports.iso14067 import _with_samples

    res = engine.footprint(tuple(KEY.split("|")))
    unc = workflows.uncertainty(engine, [res.product], res.method, 20, 7)[0]
    again = _with_samples(engine, res, unc)
    import numpy as np

    assert len(again["samples"]) == 20
    assert np.percentile(again["samples"], 2.5) == pytest.approx(unc["p2_5"], rel=1e-12)
    wrong = {**unc, "p2_5": unc["p2_5"] * 1.01}  # not these draws: no histogram
    assert "samples" not in _with_samples(engine, res, wrong)


INTERNAL = ("FACTS-", "research-notes", "研究笔记", "inventories/")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_internal_references_in_the_reports(shipped, tmp_path, lang):
    """Both packs' ISO reports: the source notes' internal references (fact-sheet ids, research
    notes, inventory file paths, dataset codes) are not in the document; the public citations
    beside them are."""
    for key in (KEY, "pcf-products-nmc811|nmc811-pack-per-kwh"):
        r = cli("report", "iso14067", key, "--out", tmp_path, "--iterations", "5", "--lang", lang)
        assert r.exit_code == 0, (r.output, r.exception)
        stem = f"iso14067-{key.split('|')[1]}.{lang}"
        html = html_body(tmp_path / f"{stem}.html")
        text = pdf_text(tmp_path / f"{stem}.pdf")
        for s in INTERNAL:
            assert s not in html and s not in text, (key, s)
        assert "nmc811-pack-cell-materials" not in html
        assert "MEE, NBS &amp; NEA" in html or "生态环境部" in html  # the public citation stays


def test_public_text_rules():
    from reports.render import public_text

    assert (
        public_text("Confidence: medium-high (copy; CPCD agrees), FACTS-energy.md 1c. GWP set")
        == "Confidence: medium-high (copy; CPCD agrees). GWP set"
    )
    assert public_text("x (see their comments, inventories/research-notes.md L1). Source: A") == (
        "x (see their comments). Source: A"
    )
    assert public_text("（见各自说明及研究笔记 L1 节）。", "zh") == "（见各自说明）。"
    assert public_text("(searched: none, inventories/research-notes.md D1, M1): all") == (
        "(searched: none): all"
    )
    # a public repository's path and the report's model identifier stay
    keep = "(premise/data/additional_inventories/lci-battery-LFP-eol.xlsx, a.xlsx)"
    assert public_text(keep) == keep
    assert public_text("<td>pcf-products-lfp-pack|lfp-pack-per-kwh</td>") == (
        "<td>pcf-products-lfp-pack|lfp-pack-per-kwh</td>"
    )


def test_zh_has_no_spaces_between_chinese_characters(shipped, tmp_path):
    """Folded YAML lines leave a space where two lines join ("向公众传达的 碳足迹"): none is
    left between two CJK characters or CJK punctuation marks; a space between Chinese and
    Latin or digits stays ("以 1 kWh")."""
    from reports.render import cjk_spacing

    assert cjk_spacing("草案 （2024 电池 质保期； 以 1 kWh") == "草案（2024 电池质保期；以 1 kWh"
    r = cli("report", "iso14067", KEY, "--out", tmp_path, "--iterations", "5", "--lang", "zh")
    assert r.exit_code == 0, (r.output, r.exception)
    html = html_body(tmp_path / "iso14067-lfp-pack-per-kwh.zh.html")
    body = "\x01".join(re.findall(r">([^<]*)<", html.split("<body>", 1)[1]))  # text nodes
    gaps = re.findall(r"[\u4e00-\u9fff\u3001-\u303f\uff01-\uff0f\uff1a-\uff20][ \t\r\n]+"
                      r"[\u4e00-\u9fff\u3001-\u303f\uff01-\uff0f\uff1a-\uff20]", body)  # fmt: skip
    assert not gaps
    assert "向公众传达的碳足迹" in html and "以 1 kWh" in html


def test_sankey_node_is_the_whole_dataset_or_says_part(engine):
    """The GREET 2024 LFP materials enter the pack through the cell materials (26.46), module
    parts (2.502) and pack parts (13.54): together its whole 42.50 (the results table's
    figure); each of its three nodes says which part of 42.5 it is."""
    from reports.chart_data import supply_chain_flows

    res = engine.footprint(tuple(KEY.split("|")))
    flows = supply_chain_flows(engine, res)
    greet = [f for f in flows if f.source.startswith("battery materials, LFP, for 1 kWh")]
    assert sum(f.value for f in greet) == pytest.approx(GREET, abs=0.01)
    assert len(greet) == 3 and all("of 42.5 in total)" in f.source for f in greet)
    # every other node's value is its whole contribution: no other node says "part"
    assert all("in total)" not in f.source for f in flows if f not in greet)


def test_sankey_labels_are_not_on_bands(engine):
    """Each node's label sits in the lane right of its column; no band crosses that lane."""
    from reports.chart_data import supply_chain_flows
    from reports.charts import _sankey_figure, mpl_figure

    res = engine.footprint(tuple(KEY.split("|")))
    flows = supply_chain_flows(engine, res)
    with mpl_figure("en") as plt:
        fig, labels = _sankey_figure(plt, flows)
        fig.canvas.draw()
        rend = fig.canvas.get_renderer()
        from matplotlib.patches import PathPatch

        bands = [p.get_window_extent(rend) for p in fig.axes[0].patches if isinstance(p, PathPatch)]
        assert len(bands) == len(flows)
        for t in labels:
            b = t.get_window_extent(rend)
            for band in bands:
                apart = b.x1 <= band.x0 or band.x1 <= b.x0 or b.y1 <= band.y0 or band.y1 <= b.y0
                assert apart, t.get_text()


def test_rounded_shares_are_said_to_be_rounded():
    """Three equal thirds show 33.3 % each, 99.9 % together beside a total row of 100.0 %: the
    table says its shares are rounded; 65.0 % + 35.0 % (the LFP pack's stages) needs no note."""
    from reports.iso14067 import _rounded_off

    assert _rounded_off([1.0, 1.0, 1.0], 3.0)
    assert not _rounded_off([42.5048, 22.89], 65.3948)
