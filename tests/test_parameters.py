"""Product parameters (supply_chain.parameters): each kind changes the footprint by the amount a
hand calculation from the inventory's sourced figures gives; bad names, values and files raise
located errors; the stored database is never changed.

Figures used (inventories/products/nmc811-battery.csv, background pcf-background.csv):
NMC811 pack materials 50.7895 kg CO2e/kWh (GREET 2024 gases per kg battery / 197.7 Wh/kg,
IPCC 2021 GWP100: CO2 8548.8, CH4 46.6846 x 29.8, N2O 0.2551 x 273, CF4 0.0033755 x 7380, C2F6
0.0005264 x 12400, land-use CO2 0.0024093 g/kg; the net biogenic uptake is not characterised); cell factory 28.9 kWh/kWh
(midpoint of Degen et al. 2023's 20.3-37.5 for current LIB cells) of China grid at consumer
0.5777 + 0.0327 (T&D with losses) = 0.6104 kg CO2e/kWh
(MEE/NBS/NEA 2024 Tables 1 and 3); Sichuan 0.1564, Jiangsu 0.5827
(MEE 2023 Table 3); battery-regulation FU 60 cycles/yr x 8 yr = 480 kWh per kWh capacity.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.greet import GREET_NMC811

ROOT = Path(__file__).resolve().parents[1]
PACK = ("pcf-products-nmc811", "nmc811-pack-per-kwh")
DELIVERED = ("pcf-products-nmc811", "nmc811-pack-per-kwh-delivered")
MATERIALS = GREET_NMC811
FACTORY = 28.9  # kWh per kWh of capacity, the stored factory_electricity (nmc811-battery.csv)
F32 = lambda x: float(np.float32(x))
# China grid at consumer (MEE 2024 footprint 0.5777 + T&D with losses 0.0327), each float32-stored
CN_GRID = F32(0.5777) + F32(0.0327)


@pytest.fixture(scope="module")
def engine(shipped):
    from lca.footprint import FootprintEngine

    return FootprintEngine(shipped)


def test_shipped_parameter_files_load_and_name_their_database():
    from supply_chain.parameters import shipped_parameters

    declared = shipped_parameters()
    assert {"grid", "factory_electricity", "cycles_per_year", "service_life_years"} <= {
        p.name for p in declared["pcf-products-nmc811"]
    }
    assert {p.name for p in declared["pcf-products"]} >= {"grid", "factory_electricity"}


def test_grid_switch_equals_hand_calculation(engine):
    from supply_chain.parameters import footprint_with

    r = footprint_with(engine, PACK, {"grid": "pcf-background|electricity-cn-sc-2023"})
    assert r.baseline == pytest.approx(MATERIALS + FACTORY * CN_GRID, rel=1e-6)
    assert r.total == pytest.approx(MATERIALS + FACTORY * F32(0.1564), rel=1e-6)
    assert sum(r.result.by_stage.values()) == pytest.approx(r.total, rel=1e-9)
    assert r.result.by_stage["production"] == pytest.approx(FACTORY * F32(0.1564), rel=1e-6)
    # the stored system is untouched: a plain footprint still gives the baseline
    assert engine.footprint(PACK).total == pytest.approx(r.baseline, rel=1e-12)


def test_scale_then_switch_moves_the_scaled_electricity(engine):
    from supply_chain.parameters import footprint_with

    r = footprint_with(
        engine, PACK, {"grid": "pcf-background|electricity-cn-js-2023", "factory_electricity": "50"}
    )
    assert r.values == {
        "factory_electricity": 50.0,
        "grid": "pcf-background|electricity-cn-js-2023",
    }
    assert r.total == pytest.approx(MATERIALS + 50 * F32(0.5827), rel=1e-6)


def test_inverse_scales_compose_for_the_battery_regulation_unit(engine):
    from supply_chain.parameters import footprint_with

    pack = engine.footprint(PACK).total
    r = footprint_with(engine, DELIVERED, {"cycles_per_year": 100, "service_life_years": 10})
    assert r.baseline == pytest.approx(pack / 480, rel=1e-6)
    assert r.total == pytest.approx(pack / 1000, rel=1e-6)


def test_share_parameter_moves_mass_between_primary_and_secondary(engine, project):
    """A frame of 0.7 kg primary + 0.3 kg recycled aluminium (stored share 0.3): share r gives
    r kg recycled and 1 - r kg primary, whatever the stored share."""
    from lca.imports import write_database
    from supply_chain.parameters import Parameter, footprint_with

    bd = project.bd
    db = "test-params-share"
    prim, sec = (
        ("pcf-background", "aluminium-primary-cn-2015"),
        ("pcf-background", "aluminium-recycled-postconsumer"),
    )
    data = {
        (db, "frame"): {
            "name": "frame",
            "unit": "kilogram",
            "location": "CN",
            "type": "process",
            "reference product": "frame",
            "stage": "production",
            "exchanges": [
                {"input": (db, "frame"), "amount": 1.0, "type": "production"},
                {"input": prim, "amount": 0.7, "type": "technosphere"},
                {"input": sec, "amount": 0.3, "type": "technosphere"},
            ],
        }
    }
    with project.lock():
        write_database(project, db, data, overwrite=True)
    lam = {k: engine.footprint(k).total for k in (prim, sec)}
    p = Parameter(
        name="recycled",
        kind="share",
        consumers=[f"{db}|frame"],
        primary="|".join(prim),
        secondary="|".join(sec),
        default=0.3,
    )
    for r in (0.0, 0.3, 0.8, 1.0):
        got = footprint_with(engine, (db, "frame"), {"recycled": r}, params=[p]).total
        assert got == pytest.approx((1 - r) * lam[prim] + r * lam[sec], rel=1e-6), r
    wrong = Parameter(
        name="recycled",
        kind="share",
        consumers=[f"{db}|frame"],
        primary="|".join(prim),
        secondary="|".join(sec),
        default=0.5,
    )
    from supply_chain.errors import ParameterError

    with pytest.raises(ParameterError, match="differs from the share stored"):
        footprint_with(engine, (db, "frame"), {"recycled": 0.8}, params=[wrong])
    assert bd.Database(db).get("frame").exchanges().__len__() == 3  # database untouched


@pytest.mark.parametrize(
    "values, match",
    [
        ({"gird": "pcf-background|electricity-cn-sc-2023"}, r"unknown parameter.*'gird'.*grid"),
        ({"factory_electricity": 0}, r"outside \[1, 200\]"),
        ({"factory_electricity": "lots"}, "is not a number"),
        ({"grid": "electricity-cn-sc-2023"}, "is not a key"),
        ({"grid": "pcf-background|no-such-grid"}, "is not in the system"),
    ],
)
def test_bad_values_raise_located_errors(engine, values, match):
    from supply_chain.errors import ParameterError
    from supply_chain.parameters import footprint_with

    with pytest.raises(ParameterError, match=match):
        footprint_with(engine, PACK, values)


def test_supplier_of_another_unit_is_a_unit_mismatch(engine):
    from lca.errors import UnitMismatch
    from supply_chain.parameters import footprint_with

    with pytest.raises(UnitMismatch, match="expected 'kilowatt hour', got 'kilogram'"):
        footprint_with(engine, PACK, {"grid": "pcf-background|steel-crude-worldsteel-2022"})


def test_bad_parameter_file_names_file_and_parameter(tmp_path):
    from supply_chain.errors import ParameterError
    from supply_chain.parameters import load_parameters

    f = tmp_path / "x.params.yaml"
    f.write_text("- name: recycled\n  kind: share\n  consumers: ['a|b']\n  default: 0.2\n")
    with pytest.raises(ParameterError, match=r"x\.params\.yaml: parameter 'recycled'.*primary"):
        load_parameters(f)
    f.write_text(
        "- name: g\n  kind: supplier\n  consumers: ['a|b']\n  default: a|c\n"
        "- name: g\n  kind: supplier\n  consumers: ['a|b']\n  default: a|d\n"
    )
    with pytest.raises(ParameterError, match="duplicate parameter name"):
        load_parameters(f)


def test_cli_set_prints_the_recomputed_footprint(engine, bw_dir):
    cmd = [
        sys.executable,
        "-m",
        "pcf",
        "--data-dir",
        str(bw_dir),
        "footprint",
        "|".join(PACK),
        "--set",
        "grid=pcf-background|electricity-cn-sc-2023",
        "--json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    d = json.loads(out)
    assert d["total"] == pytest.approx(MATERIALS + FACTORY * F32(0.1564), rel=1e-6)
    assert d["baseline_total"] == pytest.approx(MATERIALS + FACTORY * CN_GRID, rel=1e-6)
    bad = subprocess.run(
        cmd[:-3] + ["--set", "nope=1"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == 1 and "unknown parameter" in bad.stderr


# -- the independent corpus's cases (issue 9): a declared parameter that cannot be used -----------
CELL_PARAMS = ROOT / "inventories/products/li-ion-cell.params.yaml"


def _params_with(tmp_path, index: int, field: str, value) -> Path:
    doc = yaml.safe_load(CELL_PARAMS.read_text())
    doc[index][field] = value
    f = tmp_path / "cell.params.yaml"
    f.write_text(yaml.safe_dump(doc))
    return f


@pytest.mark.parametrize(
    "value, why",
    [
        (1e308, r"default 1e\+308: 1e\+308 is too large"),
        (500, r"default 500 is outside its bounds \[1, 200\]"),
        (0.5, r"default 0\.5 is outside its bounds \[1, 200\]"),
    ],
)
def test_a_numeric_default_outside_its_declaration_is_refused_on_load(tmp_path, value, why):
    from supply_chain.errors import ParameterError
    from supply_chain.parameters import load_parameters

    f = _params_with(tmp_path, 1, "default", value)
    with pytest.raises(
        ParameterError, match=rf"cell\.params\.yaml: parameter 'factory_electricity': {why}"
    ) as e:
        load_parameters(f)
    assert e.value.parameter == "factory_electricity" and e.value.where == str(f)


def test_an_unknown_supplier_default_is_refused_even_when_not_set(engine, tmp_path):
    """The corpus's params:supplier-default-unknown: only factory_electricity is set."""
    from supply_chain.errors import ParameterError
    from supply_chain.parameters import footprint_with, load_parameters, parameters_for

    f = _params_with(tmp_path, 0, "default", "pcf-background|nope")
    key = ("pcf-products", "lfp-cell-per-kwh")
    params = parameters_for(key, extra=load_parameters(f))
    with pytest.raises(
        ParameterError,
        match=r"cell\.params\.yaml: parameter 'grid': default 'pcf-background\|nope' is not an "
        r"activity of the product's system",
    ):
        footprint_with(engine, key, {"factory_electricity": 60}, params=params)
