"""Real third-party inventory files through the user's path: ``pcf import``, ``pcf products``,
``pcf footprint`` (in-process), each footprint compared with plain bw2calc on the same project.

The files are under tests/data/importers/<origin>/ (README there: repository, path, commit,
licence). Each either imports and footprints equal to bw2calc (relative 1e-12), or gets a
located error and writes nothing.
"""

from __future__ import annotations

import json
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

DATA = Path(__file__).parent / "data" / "importers"
BEEF = DATA / "bw2io" / "beef-cattle-finishing.zip"
FPL = DATA / "bw2io" / "US-FPL.zip"
runner = CliRunner()


@pytest.fixture(scope="module")
def pcf(project, bw_dir):
    """``pcf --data-dir <the session's directory> ARGS`` in-process; asserts the exit code."""

    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


def _dbs():
    import bw2data as bd

    return set(bd.databases)


def _bw2calc(key) -> float:
    """The score plain bw2calc gives one unit of ``key`` under the engine's default method."""
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]).id: 1.0}, methods.resolve(None))
    with warnings.catch_warnings():
        # bw2calc warns, then refuses lcia, when the system has no elementary flow
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        lca.lci()
    try:
        lca.lcia()
    except bc.errors.EmptyBiosphere:  # no elementary flow in the system: bw2calc refuses lcia
        return 0.0
    return float(lca.score)


def _footprints_equal_bw2calc(
    pcf, database: str, all_: bool = True, keys: bool = False
) -> dict[str, float]:
    """``pcf footprint --json`` of every product ``pcf products`` lists for ``database``,
    each checked against bw2calc; returns name (``keys``: key) -> total."""
    args = ["products", "--json"] + (["--all"] if all_ else [])
    rows = [r for r in json.loads(pcf(*args).stdout) if r["key"].split("|", 1)[0] == database]
    assert rows, f"pcf products lists nothing of {database}"
    out = {}
    for r in rows:
        total = json.loads(pcf("footprint", r["key"], "--json").stdout)["total"]
        assert total == pytest.approx(_bw2calc(tuple(r["key"].split("|", 1))), rel=1e-12, abs=0)
        out[r["key"] if keys else r["name"]] = total
    return out


def _to_olca2(src: Path, dst: Path) -> Path:
    """The openLCA 1.x package ``src`` written as openLCA 2.x writes it: ``isInput`` for
    ``input``, categories as path strings, no ``defaultAllocationMethod``; zipped to ``dst``."""
    tmp = dst.with_suffix("")
    with zipfile.ZipFile(src) as zf:
        zf.extractall(tmp)
    for fp in tmp.rglob("*.json"):
        if "bin" in fp.parts or fp.name == "context.json":
            continue
        obj = json.loads(fp.read_text(encoding="utf-8"))
        cat = obj.get("category")
        if isinstance(cat, dict):
            obj["category"] = "/".join([*cat.get("categoryPath", []), cat["name"]])
        obj.pop("defaultAllocationMethod", None)
        for exc in obj.get("exchanges", []):
            exc["isInput"] = exc.pop("input", False)
        fp.write_text(json.dumps(obj), encoding="utf-8")
    with zipfile.ZipFile(dst, "w") as zf:
        for fp in sorted(tmp.rglob("*")):
            if fp.is_file():
                zf.write(fp, fp.relative_to(tmp).as_posix())
    shutil.rmtree(tmp)
    return dst


# -- openLCA JSON-LD: product nodes, 1.x and 2.x dialects --------------------------------------
def test_openlca1_export_unlinked_inputs_are_listed_and_nothing_written(pcf):
    before = _dbs()
    r = pcf("import", BEEF, code=1)
    assert "61 unlinked exchange(s); nothing was written" in r.stderr + r.stdout
    # an input of a product that no process of the package makes is listed with its process
    assert "'Electricity, at Grid, US, 2008'" in r.stderr + r.stdout
    assert _dbs() == before


def test_openlca1_export_product_nodes_footprint_equal_bw2calc(pcf):
    r = json.loads(pcf("import", BEEF, "--drop-unlinked", "--json").stdout)
    # 8 processes, each with its product node (openLCA's flows become bw2data product nodes)
    assert [(x["database"], x["activities"]) for x in r] == [("beef-cattle-finishing", 16)]
    finals = [
        x["name"]
        for x in json.loads(pcf("products", "--json").stdout)
        if x["key"].startswith("beef-cattle-finishing|")
    ]
    # products, not processes: the one product no process of the package consumes
    assert finals == ["beef cattle; CCF operation; finishers and culls at auction; LW"]
    totals = _footprints_equal_bw2calc(pcf, "beef-cattle-finishing")
    assert len(totals) == 8
    # the calf operation's emissions (methane, nitrous oxide) link to biosphere3 and count
    assert totals["calves; CCF operation; at farm"] > 0


def test_openlca2_dialect_of_the_same_export_gives_the_same_footprints(pcf, tmp_path):
    olca2 = _to_olca2(BEEF, tmp_path / "beef-olca2.zip")
    pcf("import", olca2, "--name", "beef-olca2", "--drop-unlinked")
    # the final product: its system holds every process of the package
    two = _footprints_equal_bw2calc(pcf, "beef-olca2", all_=False, keys=True)
    # same UUIDs as codes: the 1.x import's product of the same code scores the same
    one = {k: _bw2calc(("beef-cattle-finishing", k.split("|", 1)[1])) for k in two}
    assert two == pytest.approx(one, rel=1e-12)


def test_openlca_allocation_factors_and_waste_outputs_are_applied(pcf):
    """US Federal LCA Commons excerpt (openLCA 1.x): two processes with causal allocation
    factors are split per product (bw2io's allocation); a waste output becomes a negative
    input of the waste, Brightway's convention; the package has no elementary flows, so every
    footprint is 0 as in bw2calc."""
    r = json.loads(pcf("import", FPL, "--name", "us-fpl", "--drop-unlinked", "--json").stdout)
    assert r[0]["database"] == "us-fpl"
    rows = [
        x
        for x in json.loads(pcf("products", "--all", "--json").stdout)
        if x["key"][:7] == "us-fpl|"
    ]
    names = {x["name"] for x in rows}
    # the pyrolysis process's co-products (syngas, tar, biochar) are products of their own
    assert {"Torgas", "Tar; from thermochemical conversion; at plant"} <= names
    assert set(_footprints_equal_bw2calc(pcf, "us-fpl", all_=False).values()) == {0.0}


def test_openlca_package_errors_are_located(pcf, tmp_path):
    src = tmp_path / "pkg"
    with zipfile.ZipFile(BEEF) as zf:
        zf.extractall(src)
    proc = next((src / "beef-cattle-finishing" / "processes").glob("*.json"))
    obj = json.loads(proc.read_text(encoding="utf-8"))
    obj["exchanges"][0]["unit"] = {"@type": "Unit", "@id": "no-such-unit", "name": "furlong"}
    proc.write_text(json.dumps(obj), encoding="utf-8")
    before = _dbs()
    r = pcf("import", src / "beef-cattle-finishing", "--name", "beef-bad", code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert f"processes/{proc.name}" in msg and "field 'unit' 'furlong'" in msg
    assert "internal error" not in msg and _dbs() == before
    proc.write_text("{ truncated", encoding="utf-8")
    r = pcf("import", src / "beef-cattle-finishing", "--name", "beef-bad", code=1)
    assert f"processes/{proc.name} is not readable JSON" in " ".join((r.stderr + r.stdout).split())


# -- Brightway Excel with product nodes ----------------------------------------------------------
def test_brightway_excel_with_product_nodes(pcf):
    """bw2io's with_products.xlsx: two processes making two product nodes."""
    pcf("import", DATA / "bw2io" / "with_products.xlsx")
    rows = [
        x
        for x in json.loads(pcf("products", "--all", "--json").stdout)
        if x["key"].startswith("Product example|")
    ]
    assert sorted(x["name"] for x in rows) == ["Acetic acid", "Methanol"]
    _footprints_equal_bw2calc(pcf, "Product example")


# -- ecoSpold2: units, links to an installed database, ecoinvent's waste convention ------------
E2M = DATA / "ecospold2matrix" / "datasets"
PIPELINE = "d0003dc3-4bd3-4422-9c40-8265239e14ff_36dc50ef-017c-4d24-af51-f12ef802FAKE.spold"
STRAW = "c002d7b0-0f0f-4e3e-b600-2acd705a8506_692b4f7e-9e79-4f69-b22f-b66f68f2FAKE.spold"
FURNACE = "40011095-059d-465e-bd79-da3b6b3b8308_842e3faf-8de9-47a3-bfac-606edc0aFAKE.spold"


def _folder(tmp_path, name, *files, edit=None) -> Path:
    d = tmp_path / name
    d.mkdir()
    for f in files:
        shutil.copy(E2M / f, d / f)
    if edit:
        edit(d)
    return d


def test_ecospold2_input_in_another_unit_than_its_provider_is_refused(pcf):
    """ecospold2matrix's datasets: the furnace takes 0.42 *kg* of pipeline transport, a
    ton-kilometre activity; the import names the file, activity, input and both units."""
    before = _dbs()
    r = pcf("import", E2M, "--name", "e2m", code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert f"{E2M / FURNACE}: activity 'furnace production, wood chips, average" in msg
    assert "input 'transport, pipeline, offshore, long distance, natural gas'" in msg
    assert "expected 'ton kilometer', got 'kilogram'" in msg
    assert _dbs() == before


def test_ecospold2_links_to_installed_database_and_waste_convention(pcf, tmp_path):
    straw = _folder(tmp_path, "straw", STRAW)
    # the market's transport input: not in its folder, not installed yet
    r = pcf("import", straw, "--name", "e2m-straw", code=1)
    assert "'transport, pipeline, offshore, long distance, natural gas'" in r.stderr + r.stdout
    # install the pipeline transport (its furnace input has no provider anywhere: dropped)
    pcf("import", _folder(tmp_path, "pipe", PIPELINE), "--name", "e2m-pipeline", "--drop-unlinked")
    # now the market's input links to it by ecoSpold2 activity + product ids
    pcf("import", straw, "--name", "e2m-straw")
    (market,) = _footprints_equal_bw2calc(pcf, "e2m-straw").values()
    assert market > 0  # the pipeline's methane

    # ecoinvent's waste convention: a treatment's reference product is negative (-1 kg of the
    # waste it takes); bw2calc computes it with a negative diagonal, so one unit of demand is
    # the same system run backwards: exactly minus the footprint of the positive dataset
    def negate(d):
        fp = d / STRAW
        text = fp.read_text(encoding="utf-8")
        ref = 'amount="1" intermediateExchangeId="692b4f7e-9e79-4f69-b22f-b66f68f2FAKE"'
        assert text.count(ref) == 1
        fp.write_text(text.replace(ref, ref.replace('"1"', '"-1"')), encoding="utf-8")

    waste = _folder(tmp_path, "waste", STRAW, edit=negate)
    pcf("import", waste, "--name", "e2m-straw-waste")
    (treated,) = _footprints_equal_bw2calc(pcf, "e2m-straw-waste").values()
    assert treated == pytest.approx(-market, rel=1e-12)


# -- SimaPro CSV through bw_simapro_csv -----------------------------------------------------------
SP = DATA / "bw_simapro_csv"


def _without_waste_scenario(tmp_path) -> Path:
    """bw_simapro_csv's waste_scenario.csv without its first process (the waste scenario):
    two waste treatments emitting SimaPro's generic "Carbon dioxide" (1.5 and -0.8 kg per kg)."""
    lines = (SP / "waste_scenario.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "Process")
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "End")
    assert "waste scenario" in "".join(lines[start:end])
    out = tmp_path / "two-treatments.csv"
    out.write_text("".join(lines[:start] + lines[end + 1 :]), encoding="utf-8")
    return out


def test_simapro_waste_treatment_keeps_every_exchange(pcf):
    """bw_simapro_csv's waste.csv: a waste treatment with 13 exchanges, none of whose inputs or
    flows exist outside the file: all 11 are listed (none lost), nothing written."""
    before = _dbs()
    r = pcf("import", SP / "waste.csv", code=1)
    msg = r.stderr + r.stdout
    assert "11 unlinked exchange(s); nothing was written" in msg
    assert "'(+-)-Citronellol'" in msg and "'Soy oil, refined, at plant/kg/RNA'" in msg
    assert _dbs() == before


def test_simapro_generic_co2_waste_treatments_footprint(pcf, tmp_path):
    before = _dbs()
    r = pcf("import", SP / "waste_scenario.csv", code=1)
    assert "a waste scenario" in r.stderr + r.stdout and "internal error" not in r.stderr
    assert _dbs() == before
    src = _without_waste_scenario(tmp_path)
    r = pcf("import", src, code=1)  # SimaPro's generic "Carbon dioxide" is no biosphere3 flow
    assert "2 unlinked exchange(s)" in r.stderr + r.stdout
    assert "'Carbon dioxide'" in r.stderr + r.stdout
    pcf("import", src, "--name", "sp-treatments", "--link-biosphere-by-name")
    totals = _footprints_equal_bw2calc(pcf, "sp-treatments")
    # 1.5 and -0.8 kg CO2 (read as fossil, GWP 1) per kg treated; a treatment's reference is
    # -1 kg of its waste (the waste convention), so one unit of demand scores the opposite
    assert totals == pytest.approx(
        {"test waste treatment 1": -1.5, "test waste treatment 2": 0.8}, rel=1e-6
    )


def test_simapro_library_export_without_project_is_named_after_the_file(pcf):
    r = json.loads(pcf("import", SP / "missing-project.csv", "--drop-unlinked", "--json").stdout)
    assert r[0]["database"] == "missing-project"
    _footprints_equal_bw2calc(pcf, "missing-project", all_=False)


@pytest.mark.parametrize(
    "name,message",
    [
        ("header.csv", "header.csv, line 2: a SimaPro method export"),
        ("method.csv", "method.csv, line 2: a SimaPro method export"),
        ("minimal_header.csv", "minimal_header.csv: no processes"),
        ("stages.csv", "stages.csv, line 2: a SimaPro product-stages export"),
    ],
)
def test_simapro_files_without_processes_are_refused_with_a_located_message(pcf, name, message):
    before = _dbs()
    r = pcf("import", SP / name, code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert message in msg and "internal error" not in msg
    assert _dbs() == before


# -- Brightway Excel with parameters and formulas ---------------------------------------------------
def test_brightway_excel_parameters_and_formulas_are_evaluated(pcf):
    """bw2io's sample_activities_with_variables.xlsx: project parameter PCB_area = 0.25,
    database parameters PCB_cap_mass_* = 0.2 each, activity parameter PCB_mass_total = their
    sum; the board's production is PCB_mass_total (0.6) and its input PCB_area * 2 (0.5)."""
    import bw2data as bd

    pcf("import", DATA / "bw2io" / "sample_activities_with_variables.xlsx")
    board = next(n for n in bd.Database("PCB") if n["name"] == "mounted printed circuit board")
    amounts = {e["type"]: e["amount"] for e in board.exchanges()}
    assert amounts == pytest.approx({"production": 0.6, "technosphere": 0.5}, rel=1e-12)
    _footprints_equal_bw2calc(pcf, "PCB")


def test_brightway_excel_formula_with_an_unknown_name_is_located(pcf, tmp_path):
    import openpyxl

    with warnings.catch_warnings():  # openpyxl: the workbook's data-validation extension
        warnings.filterwarnings("ignore", "Unknown extension", UserWarning)
        wb = openpyxl.load_workbook(DATA / "bw2io" / "sample_activities_with_variables.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    (cell,) = [c for c in cells if c.value == "PCB_area * 2"]
    cell.value = "PCB_areaa * 2"
    bad = tmp_path / "typo.xlsx"
    wb.save(bad)
    before = _dbs()
    r = pcf("import", bad, code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert "activity 'mounted printed circuit board', exchange 1" in msg
    assert "formula uses 'PCB_areaa', which no project, database or activity parameter" in msg
    assert _dbs() == before
