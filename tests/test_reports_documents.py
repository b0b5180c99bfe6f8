"""Battery declaration, ISO 14067 report, supplier workbook and the CLI, on the demo's flagship
product, the LFP EV battery pack (cell -> module -> pack): every document agrees with the one
computed result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pcf.demo.reports import load_meta, write_demo_reports
from reports import (
    battery_declaration,
    render,
    supplier_workbook,
    write_battery_declaration,
    write_iso14067_report,
)
from reports.errors import InvalidDeclaration, ReportError

KEY = ("pcf-products-lfp-pack", "lfp-pack-per-kwh")
#: the pack's EU Battery Regulation product system (pack + distribution) and its FU variant
EU = ("pcf-products-battery-regulation", "lfp-pack-eu-per-kwh")
EU_DELIVERED = ("pcf-products-battery-regulation", "lfp-pack-eu-per-kwh-delivered")
STEM = "lfp-pack-per-kwh"
BATTERY_STEM = "battery-declaration-lfp-pack-eu-per-kwh"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories

    ensure_inventories(project, shipped_inventories())  # the packs need the cell chain
    return FootprintEngine(project)


@pytest.fixture(scope="module")
def res(engine):
    """The pack's footprint as the reports show it: only the stages its system supplies (the
    engine may list a stage at 0 of another product assembled in the same matrices)."""
    from reports.battery import only_supplied_stages

    return only_supplied_stages(engine, engine.footprint(KEY, "gwp100"))


@pytest.fixture(scope="module")
def eu(engine):
    """The Annex II system's footprint per kWh capacity, with only the stages it supplies."""
    from reports.battery import only_supplied_stages

    return only_supplied_stages(engine, engine.footprint(EU, "gwp100"))


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
# demo_meta.yaml: 1 kWh capacity × 60 full equivalent cycles per year × 8 years × retention 1.0
# = 480 kWh (the draft delegated act's 60 FEqC/year for M1/N1; 8-year warranties), the same
# figure as the model's per-kWh-delivered products
DELIVERED = 1.0 * 60 * 8 * 1.0


def test_lifetime_energy_by_hand():
    from reports.battery import lifetime_energy

    assert lifetime_energy(1.0, 3000, 0.9) == pytest.approx(2700.0)
    assert lifetime_energy(2.5, 2000) == pytest.approx(5000.0)  # retention 1 by default
    # 3000 cycles at 80 % depth of discharge are 2400 full equivalent cycles: DoD counted once
    assert lifetime_energy(1.0, cycles_at_dod=(3000, 0.8)) == pytest.approx(2400.0)
    assert lifetime_energy(1.0, cycles_at_dod=(3000, 0.8), retention=0.9) == pytest.approx(2160.0)
    one_of = "give full_equivalent_cycles or cycles_at_dod=(cycles, dod), not both"
    for bad, message in (
        ({"full_equivalent_cycles": 3000, "cycles_at_dod": (3000, 0.8)}, one_of),  # both
        ({}, one_of),  # neither
        ({"cycles_at_dod": (3000, 1.5)}, "depth of discharge 1.5 must be in (0, 1]"),
        ({"full_equivalent_cycles": 3000, "retention": 1.2}, "capacity retention 1.2 must be in"),
        ({"full_equivalent_cycles": -1}, "full equivalent cycles -1 must be > 0"),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            lifetime_energy(1.0, **bad)


def test_battery_stage_split_sums_to_total(eu, meta, engine):
    res = eu
    d = battery_declaration(res, meta["battery"])
    assert set(d.stages) == {
        "raw_material_acquisition",
        "production",
        "distribution",
        "end_of_life",
    }
    assert d.energy_delivered_kwh == pytest.approx(480.0)
    assert d.service_life["total_full_equivalent_cycles"] == 480
    # end of life has no sourced inventory: not modelled, never declared as 0
    assert d.stages["end_of_life"] is None and d.stages["distribution"] > 0
    assert not d.complete and d.missing_stages == ["end_of_life"] and d.status == "partial"
    # one service life: the model's per-kWh-delivered product gives the same figure
    delivered = engine.footprint(EU_DELIVERED, "gwp100")
    assert delivered.total == pytest.approx(d.total, rel=1e-6)  # float32 matrices
    modelled = [v for v in d.stages.values() if v is not None]
    assert sum(modelled) == pytest.approx(d.total, rel=1e-12)
    assert d.total == pytest.approx(res.total / DELIVERED, rel=1e-12)
    assert d.stages["raw_material_acquisition"] == pytest.approx(
        res.by_stage["raw_material_acquisition"] / DELIVERED
    )


def test_battery_complete_declaration_and_require_complete(eu, meta, tmp_path):
    from dataclasses import replace

    res = eu
    incomplete = r"^result\.by_stage: .* requires all four life-cycle stages"
    with pytest.raises(InvalidDeclaration, match=incomplete) as e:
        battery_declaration(res, meta["battery"], require_complete=True)
    assert e.value.field == "result.by_stage"
    assert "end_of_life" in str(e.value)
    assert "raw_material_acquisition" not in str(e.value) and "distribution" not in str(e.value)
    # all four stages modelled (a stage modelled at 0 is modelled): complete, no partial note
    full = replace(
        res,
        by_stage={**res.by_stage, "end_of_life": 0.0},
    )
    info = {k: v for k, v in meta["battery"].items() if k != "stage_notes"}  # they say partial
    d = battery_declaration(full, info, require_complete=True)
    assert d.complete and d.missing_stages == [] and d.status == "complete"
    assert d.stages["end_of_life"] == 0.0
    assert d.stages["distribution"] == pytest.approx(res.by_stage["distribution"] / DELIVERED)
    assert sum(d.stages.values()) == pytest.approx(d.total, rel=1e-12)
    (html,) = write_battery_declaration(d, tmp_path, formats=("html",))
    text = html.read_text(encoding="utf-8")
    assert (
        "Partial declaration" not in text
        and "PARTIAL" not in text
        and f'<td class="n">{render.translate("field.not_modelled", "en")}</td>' not in text
    )
    assert render.translate("field.status_complete", "en") in text


def test_battery_use_stage_excluded_and_unassigned_refused(eu, meta):
    from dataclasses import replace

    res = eu
    with_use = replace(res, by_stage={**res.by_stage, "use": 5.0}, total=res.total + 5.0)
    d = battery_declaration(with_use, meta["battery"])
    assert d.excluded == {"use": pytest.approx(5.0 / DELIVERED)}
    assert d.total == pytest.approx(res.total / DELIVERED)
    untagged = replace(res, by_stage={"unassigned": res.total})
    unassigned = r"^result\.by_stage\['unassigned'\]: .* is not attributed to a life-cycle stage"
    with pytest.raises(InvalidDeclaration, match=unassigned) as e:
        battery_declaration(untagged, meta["battery"])
    assert "unassigned" in e.value.field


def test_battery_service_life_needs_cycles(res, meta):
    def with_life(**life):
        return {**meta["battery"], "service_life": {"capacity_kwh": 1, **life}}

    for life in (
        {},  # no cycles at all
        {"full_equivalent_cycles": 3000, "cycles_at_dod": [3000, 0.8]},  # two answers
        {"full_equivalent_cycles_per_year": 300},  # years missing
    ):
        with pytest.raises(
            InvalidDeclaration, match="^battery.service_life: .*exactly one of"
        ) as e:
            battery_declaration(res, with_life(**life))
        assert e.value.field.startswith("battery.service_life")
    # the old fields multiplied full equivalent cycles by the DoD again: refused with a hint
    old = "^battery.service_life: .*'cycles' is no longer accepted"
    with pytest.raises(InvalidDeclaration, match=old) as e:
        battery_declaration(res, with_life(cycles=3000, depth_of_discharge=0.8))
    assert "full_equivalent_cycles" in str(e.value) and "cycles_at_dod" in str(e.value)
    # by hand: 300 FEC/year × 10 years × 1 kWh = 3000 kWh; 3000 cycles × 0.8 DoD = 2400 FEC
    per_year = with_life(full_equivalent_cycles_per_year=300, service_life_years=10)
    assert battery_declaration(res, per_year).energy_delivered_kwh == pytest.approx(3000)
    at_dod = with_life(cycles_at_dod={"cycles": 3000, "depth_of_discharge": 0.8})
    d = battery_declaration(res, at_dod)
    assert d.energy_delivered_kwh == pytest.approx(2400)
    assert d.service_life["total_full_equivalent_cycles"] == pytest.approx(2400)
    pair = with_life(cycles_at_dod=[3000, 0.8], capacity_retention=0.9)
    assert battery_declaration(res, pair).energy_delivered_kwh == pytest.approx(2160)
    # two units of the product deliver twice the energy
    two = replace_amount(res, 2.0)
    assert battery_declaration(two, at_dod).energy_delivered_kwh == pytest.approx(4800)


def replace_amount(res, amount):
    from dataclasses import replace

    return replace(res, amount=amount)


def test_battery_pdf_shows_total_and_each_stage(demo_files, eu, meta):
    d = battery_declaration(eu, meta["battery"])
    stem = BATTERY_STEM
    js = json.loads(demo_files[f"{stem}.json"].read_text())
    assert js["total"] == pytest.approx(d.total)
    assert js["stages"]["distribution"] > 0 and js["stages"]["end_of_life"] is None
    assert js["complete"] is False and js["missing_stages"] == ["end_of_life"]
    assert js["status"] == "partial" and js["battery_category"] == "electric vehicle battery"
    assert js["declaration_version"] == "1.0" and js["declaration_date"] == "2026-12-01"
    assert js["delivered_product"] == "|".join(EU_DELIVERED)
    text = pdf_text(demo_files[f"{stem}.en.pdf"])
    flat = " ".join(text.split())
    assert render.num(d.total) in text
    for k, v in d.stages.items():
        assert render.translate(f"stage.{k}", "en") in " ".join(text.split())
        if v is not None:
            assert render.num(v) in text
    assert "End of life and recycling not modelled" in flat  # a stage row, never "0"
    # a partial declaration never calls its per-kWh figure "all stages"
    assert "(modelled stages only)" in flat and "(all stages)" not in flat
    # the partial-declaration note is visible, and the document never calls itself complete
    assert "Partial declaration" in flat and "for demonstration only" in flat
    assert "PARTIAL — not a complete declaration under Annex II" in flat
    # (the PDF's text breaks "life-cycle" at its hyphen when the line wraps there)
    assert "requires all four life-cycle stages" in flat.replace("life- cycle", "life-cycle")
    assert "not modelled here: End of life and recycling." in flat
    assert (
        "electric vehicle battery" in flat
        and "DEMO-CFD-LFP-0001 · version 1.0 · 2026-12-01" in flat
    )
    from pypdf import PdfReader

    assert len(PdfReader(str(demo_files[f"{stem}.en.pdf"])).pages) == 1  # one page


def test_battery_zh(eu, tmp_path):
    zh = load_meta(None, KEY, "zh")
    files = write_battery_declaration(
        battery_declaration(eu, zh["battery"]), tmp_path, lang="zh", formats=("html", "pdf")
    )
    html = files[0].read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and render.translate("field.total_modelled", "zh") in html
    assert html.count("未建模") >= 2  # the stage row and the partial note
    assert render.translate("stage.end_of_life", "zh") in html and "电动汽车电池" in html
    text = pdf_text(files[1])
    assert render.num(eu.total / DELIVERED) in text
    if render.cjk_font():  # glyphs (and so extractable text) need a CJK font
        assert "未建模" in text


# -- ISO 14067 ------------------------------------------------------------------------------------
def test_iso_pdf_contains_total_stages_and_sources(demo_files, res, engine):
    text = pdf_text(demo_files["iso14067-" + STEM + ".en.pdf"])
    assert render.num(res.total) in text
    for k, v in res.by_stage.items():
        assert render.translate(f"stage.{k}", "en") in text
        assert render.num(v) in text
    for part in ("part.fossil", "part.land_use", "part.aircraft"):
        assert render.translate(part, "en").split(" (")[0] in text
    # data sources are the top contributors' Brightway comments
    assert "Argonne National Laboratory" in text and "MEE" in text
    assert "Monte Carlo" in text
    flat = " ".join(text.split())
    # the deterministic score beside the Monte Carlo summary, and that it is not their mean
    assert render.translate("field.deterministic", "en") in flat
    assert "is not the mean of the Monte Carlo distribution" in flat
    assert "right-skewed" in flat
    # aircraft: the whole supplied system was searched (engine given), not the top 10
    from reports.iso14067 import aircraft_search

    air = aircraft_search(res, engine)
    assert air["key"] == "part.aircraft_note" and air["searched"] >= 2
    # ... but the footprint is all aggregated datasets, so the report says "not assessed" with
    # that share (reports.pact.aircraft, rule B3), not the search's 0
    assert "Not assessed: 100.0 % of the footprint comes from aggregated datasets" in flat
    assert render.translate("part.aircraft_note", "en", n=air["searched"]) not in flat


AIR_DB, AIR_BIO = "reports-air-test", "reports-air-test-bio"


@pytest.fixture(scope="module")
def air_system(project):
    """A product with 12 suppliers: the aircraft freight is the smallest, outside the top 10;
    an unconnected "flight" activity has zero supply and must not count."""
    import bw2data as bd

    bd.Database(AIR_BIO).write(
        {
            (AIR_BIO, "co2"): {
                "name": "Carbon dioxide",
                "unit": "kilogram",
                "type": "emission",
                "categories": ("air",),
            }
        }
    )

    def act(code, name, co2, inputs=()):
        return {
            "name": name,
            "unit": "kilogram",
            "location": "GLO",
            "stage": "production",
            "exchanges": [
                {"input": (AIR_DB, code), "amount": 1.0, "type": "production"},
                {"input": (AIR_BIO, "co2"), "amount": co2, "type": "biosphere"},
                *({"input": (AIR_DB, c), "amount": 1.0, "type": "technosphere"} for c in inputs),
            ],
        }

    parts = [f"part-{i}" for i in range(11)]
    data = {(AIR_DB, c): act(c, f"component {c}", 10.0 + i) for i, c in enumerate(parts)}
    data[(AIR_DB, "air")] = act("air", "transport, freight, aircraft, long haul", 0.001)
    data[(AIR_DB, "other-flight")] = act("other-flight", "passenger flight, unrelated", 5.0)
    data[(AIR_DB, "product")] = act("product", "assembled product", 1.0, [*parts, "air"])
    bd.Database(AIR_DB).write(data)
    yield (AIR_DB, "product")
    for name in (AIR_DB, AIR_BIO):
        del bd.databases[name]


def test_aircraft_found_beyond_the_top_10(air_system, project, res):
    from dataclasses import replace

    from lca.footprint import FootprintEngine, ProcessRow
    from reports.iso14067 import aircraft_search

    eng = FootprintEngine(project)
    top = [
        ProcessRow((AIR_DB, f"part-{i}"), f"component part-{i}", "GLO", 1.0, 0.1) for i in range(10)
    ]
    r = replace(res, product=air_system, amount=1.0, top_processes=top)
    air = aircraft_search(r, eng)  # the top 10 hold no aircraft; the system does
    assert air["key"] == "part.aircraft_flows"
    assert air["activities"] == ["transport, freight, aircraft, long haul"]
    assert air["searched"] == 13  # product, 11 components, aircraft; not the unrelated flight
    # without the system the report claims nothing either way
    none = aircraft_search(r)
    assert none == {"key": "part.aircraft_unsearched", "searched": None, "activities": []}
    assert "not searched" in render.translate(none["key"], "en")
    # a searched system without aircraft transport: 0, saying how many activities were searched
    assert aircraft_search(replace(r, product=(AIR_DB, "part-3")), eng) == {
        "key": "part.aircraft_note",
        "searched": 1,
        "activities": [],
    }


def test_iso_html_is_offline_and_interactive(demo_files):
    html = demo_files["iso14067-" + STEM + ".en.html"].read_text(encoding="utf-8")
    start = html.index('<script type="text/javascript">')
    end = html.index("</script>", start)
    assert end - start > 1_000_000  # plotly.js itself, inlined from the plotly package
    rest = html[:start] + html[end:]
    assert "<script src=" not in rest and "cdn.plot.ly" not in rest
    assert "Plotly.newPlot" in rest and "sankey" in rest.lower()
    assert "data:image/png" not in rest and "data:image/svg" not in rest  # static: PDF only


# -- charts: drawn as SVG, so their text is in the PDF and can be checked ------------------------
def layout_lines(path):
    """``[(page, text, bbox)]`` of every text line of a PDF, chart text included (pdfminer with
    ``all_texts``: the SVG charts' labels are text inside figures)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextLine

    def lines(obj):
        for x in obj:
            if isinstance(x, LTTextLine):
                yield x
            elif hasattr(x, "__iter__"):
                yield from lines(x)

    out = []
    for n, page in enumerate(extract_pages(str(path), laparams=LAParams(all_texts=True)), 1):
        out += [(n, x.get_text().strip(), x.bbox) for x in lines(page) if x.get_text().strip()]
    return out


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def iso_lines(demo_files):
    return layout_lines(demo_files["iso14067-" + STEM + ".en.pdf"])


def test_chart_labels_in_full_with_values(iso_lines, res, engine):
    """Every stage, process and Sankey node label appears whole in the PDF (wrapped, never cut
    off with an ellipsis), and every bar carries its value."""
    from reports.chart_data import supply_chain_flows
    from reports.charts import value_label

    text = squash(" ".join(t for _, t, _ in iso_lines))
    assert "…" not in text
    for key, v in res.by_stage.items():
        label = render.translate(f"stage.{key}", "en")
        assert text.count(squash(label)) >= 2, label  # the stage table and the waterfall
        assert squash(value_label(v)) in text, key  # the waterfall bar's value
    assert squash(value_label(res.total)) in text
    for p in res.top_processes:
        if p.key is None:
            continue
        label = p.name + (f" [{p.location}]" if p.location else "")
        assert text.count(squash(label)) >= 2, label  # the table and the bar chart
        assert squash(value_label(p.value)) in text
    for f in supply_chain_flows(engine, res):
        assert squash(f.source) in text and squash(f.target) in text


def test_histogram_shows_the_cited_percentiles(iso_lines, uncertainty, res):
    from reports.render import num

    text = squash(" ".join(t for _, t, _ in iso_lines))
    for label, v in (
        ("P2.5", uncertainty["p2_5"]),
        ("P50 (median)", uncertainty["median"]),
        ("P97.5", uncertainty["p97_5"]),
        ("deterministic", res.total),
    ):
        assert squash(f"{label} {num(v, 4)}") in text, label


@pytest.mark.parametrize("name", ["iso14067", "battery-declaration"])
def test_no_text_overlaps_on_any_page(demo_files, name):
    """No two text lines of the rendered PDF overlap (chart labels included)."""
    lines = layout_lines(
        demo_files[f"{name}-{STEM if name == 'iso14067' else 'lfp-pack-eu-per-kwh'}.en.pdf"]
    )
    clashes = []
    for i, (pa, ta, a) in enumerate(lines):
        for pb, tb, b in lines[i + 1 :]:
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if pa == pb and dx > 0.5 and dy > 0.5:
                clashes.append((pa, ta, tb))
    assert not clashes


def test_sankey_labels_pushed_apart():
    from reports.charts import label_positions

    # five labels of height 0.1 wanted at nearly the same place: stacked without overlap,
    # order kept, inside the axis
    wanted = [(str(i), 0.5 - 0.01 * i, 0.1) for i in range(5)]
    ys = label_positions(wanted)
    assert all(ys[i] - ys[i + 1] >= 0.1 - 1e-9 for i in range(4))
    assert ys == sorted(ys, reverse=True) and ys[0] + 0.05 <= 1.02 and ys[-1] - 0.05 >= -0.02
    assert label_positions([("a", 0.9, 0.1), ("b", 0.1, 0.1)]) == [0.9, 0.1]  # room: unmoved


def test_sankey_labels_never_overlap_as_rendered():
    """The NMC811 pack's supply chain (its node names and kg CO2e per kWh): a large and a small
    supplier of the same node with long names side by side. No two rendered label boxes
    intersect (before, the T&D label covered the grid label's value)."""
    import itertools

    from reports.chart_data import Flow
    from reports.charts import sankey_label_boxes

    pack = "battery pack, NMC811, per kWh capacity, cells made in China [CN]"
    materials = "battery pack materials, NMC811, per kWh pack capacity [US]"
    cell = "battery cell manufacturing, NMC811, per kWh capacity, China grid [CN]"
    consumer = (
        "electricity, China national grid average, at consumer, life-cycle carbon footprint "
        "incl. T&D with line losses, MEE 2024 [CN]"
    )
    grid = "electricity, China national grid average, life-cycle carbon footprint, MEE 2024 [CN]"
    td = "electricity transmission and distribution, China, including line losses, MEE 2024 [CN]"
    # 28.9 kWh x 0.5777 and x 0.0327 kg CO2e/kWh (MEE 2024 generation and T&D factors)
    flows = [
        Flow(materials, pack, 49.97),
        Flow(cell, pack, 28.9 * 0.6104),
        Flow(consumer, cell, 28.9 * 0.6104),
        Flow(grid, consumer, 28.9 * 0.5777),
        Flow(td, consumer, 28.9 * 0.0327),
    ]
    for lang in ("en", "zh"):
        boxes = sankey_label_boxes(flows, lang)
        assert len(boxes) == 6
        for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
            apart = ba[2] <= bb[0] or bb[2] <= ba[0] or ba[3] <= bb[1] or bb[3] <= ba[1]
            assert apart, (lang, a, b)


def test_demo_iso_report_leaves_out_another_models_plan(demo_files, engine, tmp_path):
    """The demo's reduction plan is computed on its illustrative supplier BOM (5,152 kg CO2e per
    pack), not on the LFP pack's product system (64.68 kg CO2e per kWh): the ISO report leaves
    it out (the demo passes none) and says no plan was supplied; none of that plan's levers
    appears. A plan of another product passed to the report is refused
    (``test_iso_report_leaves_out_a_plan_of_another_product``)."""
    from pcf.demo.reports import demo_supply_chain_book

    html = demo_files["iso14067-" + STEM + ".en.html"].read_text(encoding="utf-8")
    assert render.translate("text.no_macc", "en") in html
    book = demo_supply_chain_book(engine)
    for lever in book.macc["lever"]:
        assert f"<td>{lever}</td>" not in html
    assert "illustrative supplier model" not in html
    nmc = write_demo_reports(
        engine, ("pcf-products-nmc811", "nmc811-pack-per-kwh"), tmp_path, workbook=False
    )
    (nmc_html,) = [p for p in nmc if p.name.startswith("iso14067") and p.suffix == ".html"]
    assert render.translate("text.no_macc", "en") in nmc_html.read_text(encoding="utf-8")


def test_iso_report_zh_and_macc(res, meta, tmp_path, uncertainty):
    macc = pd.DataFrame(
        {
            "lever": ["Sichuan grid", "Recycled Li2CO3"],
            "abatement": [20.0, 4.0],
            "cost": [-40.0, 80.0],
        }
    )
    files = write_iso14067_report(
        res,
        meta["declaration"],
        meta["study"],
        tmp_path,
        lang="zh",
        macc=macc,
        macc_product=res.product,  # a plan computed on the report's own product system
        uncertainty=uncertainty,
        formats=("html",),
    )
    html = files[0].read_text(encoding="utf-8")
    assert render.translate("field.deterministic", "zh") in html
    assert render.translate("text.deterministic_not_mean", "zh") in html
    assert render.translate("part.aircraft_unsearched", "zh") in html  # no engine given
    assert render.translate("sec.macc", "zh") in html and "Sichuan grid" in html
    assert render.translate("text.no_sources", "zh") in html  # no project given
    assert "Plotly.newPlot" in html


def test_iso_report_leaves_out_a_plan_of_another_product(res, meta, tmp_path):
    """A reduction plan computed on another product system (``macc_product`` not the report's
    product, or not said) is not shown: the report says no plan computed on its product
    system was supplied, and none of that plan's levers appears."""
    macc = pd.DataFrame({"lever": ["Sichuan grid"], "abatement": [20.0], "cost": [-40.0]})
    for other in (("pcf-products", "some-other-product"), None):
        (html,) = write_iso14067_report(
            res,
            meta["declaration"],
            meta["study"],
            tmp_path / str(other),
            macc=macc,
            macc_product=other,
            formats=("html",),
        )
        text = html.read_text(encoding="utf-8")
        assert render.translate("text.no_macc_own", "en") in text
        assert "Sichuan grid" not in text


def test_translation_table_is_complete():
    table = render.translations()
    for key, texts in table.items():
        if key.startswith("src."):  # a source note's translation names the note it translates
            assert set(texts) == {"en_sha256", "zh"}, key
        else:
            assert set(texts) == set(render.LANGS), key
    with pytest.raises(ReportError, match=r"i18n\.yaml: no 'en' text for key 'no\.such\.key'"):
        render.translate("no.such.key", "en")
    with pytest.raises(ReportError, match="^lang: 'fr' is not a report language"):
        render.normalize_lang("fr")
    assert render.normalize_lang("zh-CN") == "zh"


def test_failed_report_leaves_nothing(res, meta, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(render, "html_to_pdf", boom)
    with pytest.raises(RuntimeError, match="^disk full$"):
        write_iso14067_report(res, meta["declaration"], meta["study"], tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- supplier workbook ----------------------------------------------------------------------------
def test_workbook_figures_equal_result(demo_files, res):
    """The footprint's own figures in the demo workbook equal the result (the supplier sheets
    are tested against their input files in tests/test_workbook.py)."""
    import openpyxl

    wb = openpyxl.load_workbook(demo_files["suppliers-" + STEM + ".xlsx"])
    assert {"Summary", "Suppliers", "Plan", "MACC", "Hotspots", "Notes"} <= set(wb.sheetnames)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    # xlsx stores 15-16 significant digits (xlsxwriter writes %.16g)
    total = next(v for k, v in summary.items() if k.startswith("Product footprint"))
    assert total == pytest.approx(res.total, rel=1e-15, abs=0)
    hot = list(wb["Hotspots"].iter_rows(min_row=2, values_only=True))
    top = [p for p in res.top_processes if p.key is not None]
    assert [r[3] for r in hot] == pytest.approx([p.value for p in top[: len(hot)]], rel=1e-15)
    assert hot[-1][5] >= 0.8  # the processes that together make 80 % of the total
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    notes = {r[0]: r[1] for r in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    assert set(notes) == set(wb.sheetnames) - {"Notes"}
    assert STEM in notes["Hotspots"]
    assert wb["Hotspots"].cell(2, 4).number_format == "#,##0.000"


def test_workbook_without_supply_chain_says_so(res, tmp_path):
    import openpyxl

    p = supplier_workbook(res, tmp_path / "w.xlsx")
    wb = openpyxl.load_workbook(p)
    assert list(wb["Suppliers"].iter_rows(values_only=True))[1][0].startswith("No supplier data")
    with pytest.raises(InvalidDeclaration, match="^book: 'list' must be a SupplyChainBook"):
        supplier_workbook(res, tmp_path / "x.xlsx", [1, 2])


# -- demo and CLI -------------------------------------------------------------------------------
def test_demo_writes_one_of_each(demo_files, res):
    names = set(demo_files)
    assert {
        "pact-v3-" + STEM + ".json",
        BATTERY_STEM + ".en.pdf",
        "iso14067-" + STEM + ".en.pdf",
        "iso14067-" + STEM + ".en.html",
        "suppliers-" + STEM + ".xlsx",
        "suppliers-" + STEM + ".csv",
    } <= names
    doc = json.loads(demo_files["pact-v3-" + STEM + ".json"].read_text())
    # 7 significant digits (reports/pact/RULES.md B11)
    assert float(doc["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(res.total, rel=5e-7)
    assert all(p.exists() for p in demo_files.values())


def test_meta_required_for_other_products():
    with pytest.raises(
        InvalidDeclaration, match=r"^meta: no declaration metadata for \('db', 'other'\)"
    ) as e:
        load_meta(None, ("db", "other"))
    assert e.value.field == "meta"


def other_mass_meta(tmp_path) -> str:
    """The demo's meta file with another product mass per kWh (7.0 instead of 6.8634): the
    footprint of an earlier document that a re-issue with the shipped meta replaces. (A
    comment or a time stamp alone is not a new footprint: the PACT id is made of the
    footprint's identity and values.)"""
    import yaml

    meta = yaml.safe_load((ROOT / "pcf" / "demo" / "demo_meta.yaml").read_text("utf-8"))
    meta["declaration"]["product_mass_per_declared_unit"] = 7.0
    path = tmp_path / "earlier-meta.yaml"
    path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_cli_report_commands(engine, tmp_path):
    from typer.testing import CliRunner

    from pcf.app import app as root

    runner = CliRunner()
    product = "|".join(KEY)
    # the earlier footprint: another value (the pack's mass per kWh, a value of the footprint's
    # identity), so the re-issue below is a new version
    earlier = other_mass_meta(tmp_path)
    for args in (
        ["pact", product, "--out", str(tmp_path), "--pact-version", "2", "--meta", earlier],
        ["suppliers", product, "--out", str(tmp_path), "--lang", "zh"],
    ):
        r = runner.invoke(root, ["report", *args])
        assert r.exit_code == 0, (r.output, r.exception)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"pact-v2-" + STEM + ".json", "suppliers-" + STEM + ".xlsx"} <= names
    first = json.loads((tmp_path / f"pact-v2-{STEM}.json").read_text())
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
            str(tmp_path / f"pact-v2-{STEM}.json"),
        ],
    )
    assert r.exit_code == 0, (r.output, r.exception)
    new = json.loads((tmp_path / "v2" / f"pact-v2-{STEM}.json").read_text())
    old = json.loads((tmp_path / "v2" / f"{first['id']}.json").read_text())
    assert new["precedingPfIds"] == [first["id"]] and old["status"] == "Deprecated"


def test_pdf_cache_renders_once_per_distinct_html(monkeypatch, tmp_path):
    """A PDF is a function of its HTML: the same HTML comes from the cache without WeasyPrint,
    a changed one is rendered again; cache=False always renders."""
    import weasyprint

    from reports import render

    monkeypatch.setenv("PCF_CACHE_DIR", str(tmp_path))
    calls = []
    real = weasyprint.HTML.write_pdf

    def counting(self, *a, **kw):
        calls.append(1)
        return real(self, *a, **kw)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counting)
    html = "<html><body><p>42.5 kg CO2e</p></body></html>"
    first = render.html_to_pdf(html)
    assert first.startswith(b"%PDF") and len(calls) == 1
    assert render.html_to_pdf(html) == first and len(calls) == 1
    assert len(list((tmp_path / "pdf").glob("*.pdf"))) == 1
    render.html_to_pdf(html.replace("42.5", "42.6"))
    assert len(calls) == 2
    render.html_to_pdf(html, cache=False)
    assert len(calls) == 3


# -- options checked before anything is written (issue 9) -----------------------------------------
@pytest.mark.parametrize("lang", ["de", "", "  ", "xx-CN"])
def test_unknown_language_refused_before_writing(res, meta, tmp_path, lang):
    out = tmp_path / "out"
    decl = battery_declaration(res, meta["battery"])
    with pytest.raises(InvalidDeclaration, match=r"^lang: .* is not a report language") as e:
        write_battery_declaration(decl, out, lang=lang)
    assert e.value.field == "lang"
    with pytest.raises(InvalidDeclaration, match=r"^lang: .* is not a report language"):
        write_iso14067_report(res, meta["declaration"], meta["study"], out, lang=lang)
    with pytest.raises(InvalidDeclaration, match=r"^lang: .* is not a report language"):
        write_demo_reports(None, KEY, out, lang=lang)
    assert not out.exists()


def test_one_draw_uncertainty_refused(res, meta, tmp_path, uncertainty):
    one = {**uncertainty, "iterations": 1}
    with pytest.raises(InvalidDeclaration, match=r"^uncertainty\.iterations: 1 a Monte Carlo"):
        write_iso14067_report(
            res, meta["declaration"], meta["study"], tmp_path / "o", uncertainty=one
        )
    assert not (tmp_path / "o").exists()


def test_cli_report_output_below_a_file(engine, tmp_path):
    from typer.testing import CliRunner

    from pcf.app import app as root

    f = tmp_path / "file.txt"
    f.write_text("x")
    for cmd in ("pact", "suppliers", "battery", "iso14067"):
        r = CliRunner().invoke(root, ["report", cmd, "|".join(KEY), "--out", str(f / "sub")])
        assert r.exit_code == 1, (cmd, r.output, r.exception)
        assert r.stderr.strip() == f"error: cannot write {f / 'sub'}: {f} is a file, not a folder"
    assert f.read_text() == "x"


def test_cli_pact_reissue_is_one_set(engine, tmp_path, monkeypatch):
    """The deprecated and the new document appear together or not at all."""
    from typer.testing import CliRunner

    from pcf.app import app as root
    from reports import pact

    runner = CliRunner()
    product = "|".join(KEY)
    earlier = other_mass_meta(tmp_path)
    args = ["report", "pact", product, "--out", str(tmp_path), "--meta", earlier]
    assert runner.invoke(root, args).exit_code == 0  # another value: the re-issue is a change
    first = tmp_path / f"pact-v3-{STEM}.json"
    out = tmp_path / "re"
    real, calls = pact.write_pact, []

    def second_fails(doc, path):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(doc, path)

    monkeypatch.setattr(pact, "write_pact", second_fails)
    r = runner.invoke(
        root, ["report", "pact", product, "--out", str(out), "--previous", str(first)]
    )
    assert r.exit_code != 0 and len(calls) == 2
    assert not out.exists()


def test_cli_pact_unknown_country_is_refused_before_writing(engine, tmp_path):
    """The independent corpus: ``geography: XX`` (no ISO 3166-1 code) was accepted silently."""
    from typer.testing import CliRunner

    from pcf.app import app as root

    doc = yaml.safe_load((ROOT / "pcf/demo/demo_meta.yaml").read_text())
    doc["declaration"]["geography"] = "XX"
    (tmp_path / "meta.yaml").write_text(yaml.safe_dump(doc))
    out = tmp_path / "out"
    args = ["report", "pact", "|".join(KEY), "--meta", str(tmp_path / "meta.yaml")]
    r = CliRunner().invoke(root, [*args, "--out", str(out)])
    assert r.exit_code == 1, (r.output, r.exception)
    assert "declaration.geography" in r.output and "'XX'" in r.output
    assert not out.exists() or not any(out.iterdir())


def test_cli_pact_states_the_monte_carlo_of_pcf_footprint(engine, tmp_path):
    """``pcf report pact --iterations N --seed S`` states the interval that ``pcf footprint
    PRODUCT --iterations N --seed S`` prints (the same draws), keeps the document's id (the
    comment is free text) and meets the ISO 14067 uncertainty clause only with the draws."""
    from typer.testing import CliRunner

    from pcf.app import app as root

    runner = CliRunner()
    product = "|".join(KEY)

    def pact(*extra):
        out = tmp_path / f"out{len(extra)}"
        r = runner.invoke(root, ["report", "pact", product, "--out", str(out), *extra])
        assert r.exit_code == 0, (r.output, r.exception)
        return json.loads((out / f"pact-v3-{STEM}.json").read_text())

    plain, drawn = pact(), pact("--iterations", "40", "--seed", "7")
    r = runner.invoke(root, ["footprint", product, "--iterations", "40", "--seed", "7", "--json"])
    assert r.exit_code == 0, (r.output, r.exception)
    unc = json.loads(r.stdout)["uncertainty"]
    assert unc["iterations"] == 40
    interval = f"95 % interval {unc['p2_5']:.4g} to {unc['p97_5']:.4g}"
    assert "Monte Carlo, 40 draws (seed 7)" in drawn["comment"] and interval in drawn["comment"]
    assert "no Monte Carlo run for this document" in plain["comment"]
    assert "draws" not in plain["comment"]
    assert drawn["id"] == plain["id"]
    assert drawn["pcf"]["pcfExcludingBiogenicUptake"] == plain["pcf"]["pcfExcludingBiogenicUptake"]
