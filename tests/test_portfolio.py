"""``pcf footprint --products FILE --out FILE``: a portfolio from one factorisation, through the
CLI in-process, equal to single ``pcf footprint`` runs; bad files named by file, line and field.

System (written here into the session's temporary project, next to conftest's ``hs_system``):
electricity makes 10 kWh from 2 l fuel and emits 1 kg CO2; fuel makes 100 l from 5 kWh and
emits 10 kg CO2. By hand, with λ the kg CO2 per unit::

    10 λe = 1 + 2 λf,  100 λf = 10 + 5 λe   →   λe = 1.2 / 9.9 = 4/33,  λf = 0.1 + λe/20 = 7/66
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pcf.app import app

runner = CliRunner()
DB = "pf-test"
METHOD = "HS|CO2"


def run(bw_dir, *args, code=0):
    r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return r


@pytest.fixture(scope="module")
def pf_db(project, write_uncertain_hs, bw_dir):
    import bw2data as bd

    write_uncertain_hs(DB)
    yield bw_dir
    del bd.databases[DB]


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def single(bw_dir, key: str, amount: float, *extra) -> dict:
    r = run(bw_dir, "footprint", key, "--amount", amount, "--method", METHOD, "--json", *extra)
    return json.loads(r.stdout)


def test_portfolio_equals_hand_values_and_single_footprints(pf_db, tmp_path):
    rows = [(f"{DB}|elec", 10.0), (f"{DB}|fuel", 66.0), ("hs|electricity", 1.0), (f"{DB}|elec", 1)]
    src = write(tmp_path / "p.csv", "product,amount\n" + "".join(f"{k},{a}\n" for k, a in rows))
    out = tmp_path / "out" / "scores.csv"
    r = run(pf_db, "footprint", "--products", src, "--method", METHOD, "--out", out)
    assert "4 products" in r.stdout and "[HS|CO2]" in r.stdout, r.stdout
    df = pd.read_csv(out)
    assert df["product"].tolist() == [k for k, _ in rows]
    hand = [10 * 4 / 33, 66 * 7 / 66, 0.12, 4 / 33]  # kg CO2 (module docstring; H&S 2002: 0.12)
    np.testing.assert_allclose(df["total"], hand, rtol=1e-12)
    assert df["product_unit"].tolist() == ["kilowatt hour", "litre"] + ["kilowatt hour"] * 2
    for (key, amount), (_, row) in zip(rows, df.iterrows()):
        one = single(pf_db, key, amount)
        assert one["product"] == key.split("|")
        for field in ("total", "fossil", "biogenic", "land_use"):
            assert abs(row[field] - one[field]) <= 1e-12 * abs(one["total"]), (key, field)
    # the same table as Parquet, chosen by the suffix
    pq = tmp_path / "scores.parquet"
    r = run(pf_db, "footprint", "--products", src, "--method", METHOD, "--out", pq, "--json")
    summary = json.loads(r.stdout)
    assert summary["rows"] == 4 and summary["out"] == str(pq)
    assert summary["total"] == pytest.approx(sum(hand), rel=1e-12)
    pd.testing.assert_frame_equal(pd.read_parquet(pq), df, check_exact=True, check_dtype=False)


def test_portfolio_monte_carlo_equals_single_runs(pf_db, tmp_path):
    """Shared draws: each product's statistics equal those of ``pcf footprint KEY --iterations``
    (same seed, same system) to the solver's accuracy; a row's amount scales them."""
    src = write(tmp_path / "p.csv", f"product,amount\n{DB}|elec,1\n{DB}|fuel,1\n{DB}|elec,3\n")
    out = tmp_path / "mc.csv"
    args = ("--iterations", 40, "--seed", 11)
    run(pf_db, "footprint", "--products", src, "--method", METHOD, "--out", out, *args)
    df = pd.read_csv(out)
    for i, key in enumerate((f"{DB}|elec", f"{DB}|fuel")):
        u = single(pf_db, key, 1.0, *args)["uncertainty"]
        for field in ("mean", "median", "std", "p2_5", "p97_5"):
            assert df[field][i] == pytest.approx(u[field], rel=1e-7), (key, field)
        assert df["total"][i] == pytest.approx(u["deterministic"], rel=1e-12)
    for field in ("mean", "median", "std", "p2_5", "p97_5"):
        assert df[field][2] == pytest.approx(3 * df[field][0], rel=1e-15)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("sku,amount\npf-test|elec,1\n", 1, ["header", "no column 'product'"]),
        ("product,amount\npf-test|elec,1\n\npf-test|fuel,abc\n", 4, ["amount", "not a number"]),
        ("product,amount\npf-test|elec,-2\n", 2, ["amount", "> 0"]),
        ("product\nelec\n", 2, ["product", "not database|code"]),
        ("product\npf-test|elec\npf-test|nope\n", 3, ["product", "unknown product"]),
        ("product\nno-db|x\n", 2, ["product", "no database 'no-db'"]),
        ("product\nhs-biosphere|co2\n", 2, ["product", "elementary flow"]),
    ],
)
def test_bad_portfolio_file_is_named_and_nothing_written(pf_db, tmp_path, text, line, words):
    src = write(tmp_path / "bad.csv", text)
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    r = run(pf_db, "footprint", "--products", src, "--method", METHOD, "--out", out, code=1)
    msg = " ".join(r.stderr.split())
    assert f"bad.csv, line {line}:" in msg, msg
    for w in words:
        assert w in msg, msg
    assert out.read_text() == "previous\n"  # the earlier output is left as it was
    assert {p.name for p in tmp_path.iterdir()} == {"bad.csv", "out.csv"}  # no temporary left


def test_bad_output_and_option_combinations(pf_db, tmp_path):
    src = write(tmp_path / "p.csv", f"product\n{DB}|elec\n")
    r = run(pf_db, "footprint", "--products", src, "--out", tmp_path / "x.txt", code=1)
    assert "x.txt" in r.stderr and ".csv or .parquet" in " ".join(r.stderr.split())
    assert not (tmp_path / "x.txt").exists()
    run(pf_db, "footprint", "--products", src, code=2)  # no --out
    run(pf_db, "footprint", f"{DB}|elec", "--products", src, "--out", tmp_path / "y.csv", code=2)
    run(pf_db, "footprint", "--products", src, "--top", 3, "--out", tmp_path / "y.csv", code=2)
    run(pf_db, "footprint", f"{DB}|elec", "--out", tmp_path / "y.csv", code=2)
    assert not (tmp_path / "y.csv").exists()


def test_portfolio_leaves_a_split_blank_where_the_single_footprint_says_not_assessed(
    shipped, bw_dir, tmp_path
):
    """The laptop's chain holds CO2e aggregates publishing no biogenic / land-use split: the
    single footprint says 'not assessed' (null), so the portfolio's cells are blank, not 0 or a
    partial value; cement (IPCC process CO2, coal, grid with its gases) assesses them: 0.0."""
    keys = ["pcf-products-laptop|laptop-manufacture", "pcf-products-cement-cn|cement-cem1-cn"]
    src = write(tmp_path / "p.csv", "product,amount\n" + "".join(f"{k},1\n" for k in keys))
    out = tmp_path / "scores.csv"
    r = run(bw_dir, "footprint", "--products", src, "--out", out)
    # a unit of laptop and a kg of cement do not add up: no sum is printed
    assert "products in 2 units (kilogram, unit): no sum" in " ".join(r.stdout.split())
    df = pd.read_csv(out, keep_default_na=False)
    for key, (_, row) in zip(keys, df.iterrows()):
        one = json.loads(run(bw_dir, "footprint", key, "--json").stdout)
        assert row["total"] == pytest.approx(one["total"], rel=1e-12)
        for field in ("biogenic", "land_use"):
            if one[field] is None:
                assert row[field] == "", (key, field)
            else:
                assert float(row[field]) == pytest.approx(one[field], abs=1e-12), (key, field)
    assert df["biogenic"].tolist()[0] == "" and df["land_use"].tolist()[1] != ""
