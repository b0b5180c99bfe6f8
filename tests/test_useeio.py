"""USEEIO: spend-based factors equal USEEIO's published totals, and ``pcf import <model folder>``
with no flags gives a Brightway database and method that reproduce them through ``pcf footprint``.

The model files are test data only, read from ../shared/reference/useeio beside the repository
(never copied into the project). The folder holds A, B, C but not USEEIO's ``N``. The published
values below are USEEIO's own ``N`` matrix (total, cradle-to-gate GHG intensities, kg CO2 eq per
USD, GWP-AR4-100) and its 2012 US consumption total, from the USEEIO API export of the same
model: ModelEarth/io commit 5013319196e4144c9095b6ad73ad7839e40ec982,
build/api/USEEIOv2.1.20-GHG/matrix/N.json (row 0; cement is column 42) and
results/final/indicator_results_2012_US_Consumption_Complete.json ("totals"). Every sector is
also checked against ``N = C B (I − A)⁻¹`` computed here with numpy's dense solver from the
published A, B, C (USEEIO's definition, N = C B L), independently of the engine's code path.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

# ../shared beside the repository root (test data only, never copied into the project)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REF = SHARED / "reference" / "useeio" / "USEEIOv2.1.20-GHG"
pytestmark = pytest.mark.skipif(
    not (REF / "matrix" / "A.json").exists(),
    reason=f"USEEIO reference model not found at {REF} (test data kept outside the project)",
)

DB = "USEEIO v2.1.20-GHG"
METHOD = (DB, "GWP-AR4-100")
OWN_FLOWS = {  # the model's flows with no biosphere3 equivalent (ecoinvent 3.9 flow list)
    "HFC-236fa",
    "Perfluorocyclobutane",
    "Perfluoropropane",
    "HFCs and PFCs, unspecified",
}

PUBLISHED_N = {  # sector → kg CO2 eq per USD (N.json)
    "1111A0/US": 1.0708661656509504,  # oilseeds
    "112120/US": 3.011865856669849,  # dairies
    "221100/US": 4.189272557892812,  # electricity
    "327310/US": 8.919330566923831,  # cement
    "327400/US": 4.392907242036527,  # lime and gypsum
    "331110/US": 1.6623482800578826,  # iron and steel mills
    "S00900/US": 0.3213960401931062,  # rest of the world adjustment
}
PUBLISHED_US_2012_CONSUMPTION_TOTAL = 4994453909559.766  # kg CO2 eq


@pytest.fixture(scope="module")
def model():
    from lca.imports import read_useeio

    return read_useeio(REF)


@pytest.fixture(scope="module")
def table(model):
    from lca.imports import useeio_intensities

    return useeio_intensities(model).set_index("sector")


def test_intensities_equal_published_N(table, model):
    assert len(table) == 411 and table.attrs["units"]["GHG"] == "kg CO2 eq per USD"
    for sector, published in PUBLISHED_N.items():
        assert table.loc[sector, "GHG"] == pytest.approx(published, rel=1e-9), sector
    n_file = REF / "matrix" / "N.json"
    if n_file.exists():  # every sector, when the reference folder has USEEIO's N
        N = np.asarray(json.loads(n_file.read_text()))[0]
        np.testing.assert_allclose(table["GHG"].to_numpy(), N, rtol=1e-6, atol=1e-12)


def test_national_total_equals_published(table, model):
    y = model.demands["2012_US_Consumption_Complete"]
    total = float(table["GHG"].to_numpy() @ y)
    assert total == pytest.approx(PUBLISHED_US_2012_CONSUMPTION_TOTAL, rel=1e-9)


def test_every_sector_against_a_dense_solve(table, model):
    """Independent check for all 411 sectors: numpy's dense solve of (I − A)ᵀ λᵀ = (C B)ᵀ."""
    A = model.A_io.toarray()
    e = model.C[0] @ model.B.toarray()
    dense = np.linalg.solve((np.eye(len(A)) - A).T, e)
    np.testing.assert_allclose(table["GHG"].to_numpy(), dense, rtol=1e-9, atol=1e-15)


def test_cement_by_hand(table, model):
    """Cement (327310/US): λ_j = e_j + Σ_i λ_i A_ij, written out from the model's own columns."""
    j = model.sector_ids.index("327310/US")
    C, B = model.C[0], model.B.toarray()
    # direct: CO2 alone is ~8.0 kg/USD (calcination + kiln fuel); CH4 x 25, N2O x 298, ...
    direct = sum(C[k] * B[k, j] for k in range(len(C)))
    assert direct == pytest.approx(table["GHG_direct"].iloc[j], rel=1e-12)
    assert 7.9 < B[0, j] < 8.1 and direct == pytest.approx(8.006312, abs=1e-6)
    lam = table["GHG"].to_numpy()
    col = model.A_io[:, [j]].toarray()[:, 0]
    upstream = sum(lam[i] * col[i] for i in np.flatnonzero(col))
    assert direct + upstream == pytest.approx(8.919330566923831, rel=1e-9)
    # the largest upstream term is electricity: A(221100, 327310) x λ(electricity)
    i = model.sector_ids.index("221100/US")
    assert int(np.argmax(lam * col)) == i


def test_bad_model_folder(tmp_path):
    from lca.errors import InventoryError
    from lca.imports import read_useeio

    with pytest.raises(InventoryError, match="no such USEEIO"):
        read_useeio(tmp_path / "nope")
    for f in ("sectors.json", "flows.json", "indicators.json", "demands.json"):
        (tmp_path / f).write_text((REF / f).read_text())
    (tmp_path / "matrix").mkdir()
    (tmp_path / "matrix" / "A.json").write_text((REF / "matrix" / "A.json").read_text()[:5000])
    with pytest.raises(InventoryError, match=r"A\.json: cannot read as JSON"):
        read_useeio(tmp_path)
    (tmp_path / "matrix" / "A.json").write_text("[[1, 2], [3, 4]]")
    with pytest.raises(InventoryError, match=r"A\.json: expected a finite 411x411"):
        read_useeio(tmp_path)


# -- pcf import <model folder>, no flags: the model as published -----------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def pcf(project, bw_dir):
    """``pcf --data-dir <the session's directory> ARGS`` in-process; asserts the exit code."""
    from pcf.app import app

    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *map(str, args)])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


@pytest.fixture(scope="module")
def dense_N(model):
    """USEEIO's N = C B (I − A)⁻¹ for every sector, numpy's dense solve of the published matrices."""
    A = model.A_io.toarray()
    return np.linalg.solve((np.eye(len(A)) - A).T, model.C[0] @ model.B.toarray())


@pytest.fixture(scope="module")
def imported(pcf):
    """``pcf import <folder>`` with no flags (the JSON report)."""
    return json.loads(pcf("import", REF, "--json").stdout)[0]


def footprint(pcf, code, *method, db=DB):
    args = ["footprint", f"{db}|{code}", "--json"]
    if method:
        args += ["--method", "|".join(method)]
    return json.loads(pcf(*args).stdout)


def test_import_keeps_every_sector_and_flow(imported, model):
    import bw2data as bd

    # 411 sectors + the 4 flows kept as the model's own (the report counts every node written)
    assert imported["database"] == DB and imported["activities"] == 411 + 4
    nodes = list(bd.Database(DB))
    sectors = {n["code"] for n in nodes if n["type"] != "emission"}
    assert sectors == set(model.sector_ids)
    own = {n["name"]: n for n in nodes if n["type"] == "emission"}
    assert set(own) == OWN_FLOWS
    assert own["HFC-236fa"]["code"] == "HFC-236fa/emission/air/kg"
    assert own["HFC-236fa"]["categories"] == ("air",)
    # every non-zero of B is an exchange, and each flow's total over the sectors is kept
    kept = {f["flowable"]: 0.0 for f in model.flows}
    n_bio = 0
    for n in nodes:
        for exc in n.biosphere():
            n_bio += 1
            name = exc.input["name"]
            flowable = next(
                (f for f, b in BIOSPHERE_NAMES.items() if name in b), name
            )  # biosphere3 name → USEEIO flowable
            kept[flowable] += exc["amount"]
    assert n_bio == model.B.nnz == 4119
    np.testing.assert_allclose(
        [kept[f["flowable"]] for f in model.flows], model.B.sum(axis=1).A1, rtol=1e-12
    )
    assert bd.methods[METHOD]["unit"] == "kg CO2 eq"


#: USEEIO flowable → the biosphere3 flow names it links to (module doc of lca.imports._useeio)
BIOSPHERE_NAMES = {
    "Carbon dioxide": {"Carbon dioxide, fossil"},
    "Methane": {"Methane, fossil", "Methane, non-fossil"},
    "Nitrous oxide": {"Dinitrogen monoxide"},
    "Carbon tetrafluoride": {"Methane, tetrafluoro-, R-14"},
    "Hexafluoroethane": {"Ethane, hexafluoro-, HFC-116"},
    "HFC-125": {"Ethane, pentafluoro-, HFC-125"},
    "HFC-134a": {"Ethane, 1,1,1,2-tetrafluoro-, HFC-134a"},
    "HFC-143a": {"Ethane, 1,1,1-trifluoro-, HFC-143a"},
    "HFC-23": {"Methane, trifluoro-, HFC-23"},
    "HFC-32": {"Methane, difluoro-, HFC-32"},
    "Nitrogen trifluoride": {"Nitrogen fluoride"},
    "Sulfur hexafluoride": {"Sulfur hexafluoride"},
}


def test_footprint_with_the_models_method_equals_published_N(pcf, imported, dense_N, model):
    """The issue's command: cement = USEEIO's published N (8.9193 kg CO2 eq/USD) to 1e-6."""
    r = footprint(pcf, "327310/US", *METHOD)
    assert r["unit"] == "kg CO2 eq"
    assert r["total"] == pytest.approx(PUBLISHED_N["327310/US"], rel=1e-6)
    for sector, published in PUBLISHED_N.items():
        total = footprint(pcf, sector, *METHOD)["total"]
        assert total == pytest.approx(published, rel=1e-6), sector
        j = model.sector_ids.index(sector)
        assert total == pytest.approx(dense_N[j], rel=1e-6), sector


def test_the_models_own_flows_count(pcf, imported, model):
    """Cement's HFC-236fa, C4F8 and C3F8 (the model's own flows) are in the total, by gas."""
    by_gas = footprint(pcf, "327310/US", *METHOD)["by_gas"]
    assert {"HFC-236fa", "Perfluorocyclobutane", "Perfluoropropane"} <= set(by_gas)
    A = model.A_io.toarray()
    own = np.array([f["flowable"] == "HFC-236fa" for f in model.flows])
    e = (model.C[0] * own) @ model.B.toarray()
    lam = np.linalg.solve((np.eye(len(A)) - A).T, e)
    assert by_gas["HFC-236fa"] == pytest.approx(lam[model.sector_ids.index("327310/US")], rel=1e-6)


def test_ipcc_2021_applies_through_the_mapped_flows(pcf, imported, model, project):
    """Default method (IPCC 2021 GWP100, AR6) on the database = the hand-built AR6 intensities:
    bundled AR6 factors on the biosphere3 flows each USEEIO flow links to (methane non-fossil
    for NAICS 11 and 562), nothing on the model's own flows."""
    import bw2data as bd

    ipcc = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
    by_name = {}
    for flow, cf, *_ in bd.Method(ipcc).load():
        node = bd.get_node(id=flow) if isinstance(flow, int) else bd.get_node(key=tuple(flow))
        if tuple(node.get("categories", ())) == ("air",):
            by_name[node["name"]] = cf
    B = model.B.toarray()
    e = np.zeros(len(model.sectors))
    for j, sec in enumerate(model.sectors):
        biogenic = sec["code"].startswith(("11", "562"))
        for k, flow in enumerate(model.flows):
            names = BIOSPHERE_NAMES.get(flow["flowable"], set())
            if flow["flowable"] == "Methane":
                names = {"Methane, non-fossil" if biogenic else "Methane, fossil"}
            for n in names:
                e[j] += by_name[n] * B[k, j]
    A = model.A_io.toarray()
    lam = np.linalg.solve((np.eye(len(A)) - A).T, e)
    for sector in ("221100/US", "327310/US", "112120/US", "562212/US"):
        r = footprint(pcf, sector)
        assert r["method"] == list(ipcc)
        assert r["total"] == pytest.approx(lam[model.sector_ids.index(sector)], rel=1e-6), sector
        assert not set(r["by_gas"]) & OWN_FLOWS


def _node_ids():
    import bw2data as bd

    return sorted(n.id for n in bd.Database(DB))


def test_reimport_is_idempotent_and_mends_the_method(pcf, imported):
    import bw2data as bd

    ids = _node_ids()
    again = json.loads(pcf("import", REF, "--json").stdout)[0]
    assert again["unchanged"] and _node_ids() == ids
    bd.Method(METHOD).deregister()  # a lost method comes back with the next import
    assert json.loads(pcf("import", REF, "--json").stdout)[0]["unchanged"]
    assert METHOD in bd.methods and _node_ids() == ids
    r = footprint(pcf, "327310/US", *METHOD)
    assert r["total"] == pytest.approx(PUBLISHED_N["327310/US"], rel=1e-6)


def test_a_broken_model_changes_nothing(pcf, imported, tmp_path):
    import bw2data as bd

    ids, meta = _node_ids(), dict(bd.databases[DB])
    broken = tmp_path / REF.name
    (broken / "matrix").mkdir(parents=True)
    for rel in ("sectors.json", "flows.json", "indicators.json", "matrix/A.json", "matrix/C.json"):
        (broken / rel).write_bytes((REF / rel).read_bytes())
    (broken / "matrix" / "B.json").write_text("[[1, 2], [3, 4]]")
    r = pcf("import", broken, code=1)
    assert "B.json: expected a finite 16x411" in r.stderr + r.stdout
    assert _node_ids() == ids and dict(bd.databases[DB]) == meta
    r = footprint(pcf, "327310/US", *METHOD)
    assert r["total"] == pytest.approx(PUBLISHED_N["327310/US"], rel=1e-6)


def test_a_replaced_model_gets_its_method_rewritten(pcf, model, tmp_path):
    """A changed folder replaces the database, whose nodes get new ids: the method follows them.
    The copy's C scales the HFC-236fa factor (a flow of the model's own) by 1e5, so a method
    left pointing at the old node would miss a term as large as the rest of cement's total."""
    import bw2data as bd

    changed = tmp_path / REF.name
    (changed / "matrix").mkdir(parents=True)
    for rel in ("sectors.json", "flows.json", "indicators.json", "matrix/A.json", "matrix/B.json"):
        (changed / rel).write_bytes((REF / rel).read_bytes())
    C = model.C.copy()
    k = next(k for k, f in enumerate(model.flows) if f["flowable"] == "HFC-236fa")
    C[0, k] *= 1e5
    (changed / "matrix" / "C.json").write_text(json.dumps(C.tolist()))
    A = model.A_io.toarray()
    j = model.sector_ids.index("327310/US")
    name = "USEEIO replaced"
    ids = []
    for folder, c, replaced in ((REF, model.C[0], False), (changed, C[0], True)):
        report = json.loads(pcf("import", folder, "--name", name, "--json").stdout)[0]
        assert report["database"] == name and report["replaced"] == replaced
        ids.append(bd.get_node(database=name, code=model.flows[k]["id"]).id)
        expected = np.linalg.solve((np.eye(len(A)) - A).T, c @ model.B.toarray())[j]
        total = footprint(pcf, "327310/US", name, "GWP-AR4-100", db=name)["total"]
        assert total == pytest.approx(expected, rel=1e-6)
    # new ids, and a term far above the 1e-6 tolerance: a stale method could not pass
    assert ids[0] != ids[1] and expected / PUBLISHED_N["327310/US"] - 1 > 1e-3
