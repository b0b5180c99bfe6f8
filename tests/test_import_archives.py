"""ecoSpold2 as ecoinvent releases it: a zip or 7z archive of the datasets, and the release
folder layout (``datasets/`` + ``MasterData/``); each imported the same as the plain folder of
``.spold`` files, footprints equal to plain bw2calc. Real files: ecospold2matrix's
ecoinvent-structured datasets (tests/data/importers/README.md)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.app import app

E2M = Path(__file__).parent / "data" / "importers" / "ecospold2matrix" / "datasets"
PIPELINE = "d0003dc3-4bd3-4422-9c40-8265239e14ff_36dc50ef-017c-4d24-af51-f12ef802FAKE.spold"
runner = CliRunner()


# the databases this module imports are removed after it (conftest.own_databases)
pytestmark = pytest.mark.usefixtures("own_databases")


@pytest.fixture(scope="module")
def pcf(project, bw_dir):
    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


def _release(tmp_path: Path) -> Path:
    """An ecoinvent-style release folder: datasets/ with the pipeline dataset, MasterData/."""
    root = tmp_path / "ecoinvent 3.x_cutoff_ecoSpold02"
    (root / "datasets").mkdir(parents=True)
    (root / "MasterData").mkdir()
    shutil.copy(E2M / PIPELINE, root / "datasets" / PIPELINE)
    return root


def _scores(database: str) -> list[float]:
    import bw2calc as bc
    import bw2data as bd

    from lca import methods

    out = []
    for node in sorted(bd.Database(database), key=lambda n: n["code"]):
        lca = bc.LCA({node.id: 1.0}, methods.resolve(None))
        lca.lci()
        lca.lcia()
        out.append(float(lca.score))
    return out


def _footprint(pcf, database: str) -> float:
    import bw2data as bd

    (node,) = list(bd.Database(database))
    return json.loads(pcf("footprint", f"{database}|{node['code']}", "--json").stdout)["total"]


def test_release_folder_zip_and_7z_import_the_same(pcf, tmp_path):
    py7zr = pytest.importorskip("py7zr")
    root = _release(tmp_path)
    # the pipeline's furnace input has no provider here: dropped (and reported) in every form
    pcf("import", root, "--name", "rel-folder", "--drop-unlinked")
    zipped = tmp_path / "release.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for fp in root.rglob("*"):
            zf.write(fp, fp.relative_to(tmp_path).as_posix())
    (rep,) = json.loads(
        pcf("import", zipped, "--name", "rel-zip", "--drop-unlinked", "--json").stdout
    )
    assert rep["format"] == "ecospold2"
    assert any(
        "datasets read from ecoinvent 3.x_cutoff_ecoSpold02/datasets/" in a for a in rep["assumed"]
    )
    assert len([d for d in rep["dropped"] if "furnace" in d]) == 1
    seven = tmp_path / "release.7z"
    with py7zr.SevenZipFile(seven, "w") as z:
        z.writeall(root, root.name)
    pcf("import", seven, "--name", "rel-7z", "--drop-unlinked")
    folder = _footprint(pcf, "rel-folder")
    assert folder > 0  # the pipeline's methane
    assert _footprint(pcf, "rel-zip") == folder == _footprint(pcf, "rel-7z")
    assert _scores("rel-zip") == pytest.approx([folder], rel=1e-9)


def test_archive_errors_are_located_and_nothing_written(pcf, tmp_path):
    import bw2data as bd

    # every dataset of ecospold2matrix: the furnace's input in kg of a ton-kilometre activity
    zipped = tmp_path / "all.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for fp in E2M.glob("*.spold"):
            zf.write(fp, f"datasets/{fp.name}")
    r = pcf("import", zipped, "--name", "arch-bad", code=1)
    msg = " ".join((r.stderr + r.stdout).split())
    assert str(zipped) in msg and "expected 'ton kilometer', got 'kilogram'" in msg
    assert "arch-bad" not in bd.databases
    # two folders of datasets in one archive: which database is meant is not guessed
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.write(E2M / PIPELINE, f"a/{PIPELINE}")
        zf.write(E2M / PIPELINE, f"b/{PIPELINE}")
    r = pcf("import", two, "--name", "arch-two", code=1)
    assert ".spold files in 2 folders (a, b)" in " ".join(r.stderr.split())
    broken = tmp_path / "broken.7z"
    broken.write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\0" * 20)
    r = pcf("import", broken, "--name", "arch-7z", code=1)
    assert "broken.7z" in r.stderr and "internal error" not in r.stderr
