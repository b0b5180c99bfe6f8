"""The method registry: aliases, the offline install, and the fossil/biogenic/land-use split."""

import numpy as np
import pytest

from lca import methods
from lca.errors import UnknownMethod


def test_aliases_resolve_to_bundled_tuples(project):
    import bw2data as bd

    assert methods.resolve(None) == (
        "IPCC 2021",
        "climate change",
        "global warming potential (GWP100)",
    )
    assert methods.resolve("gwp100-ar5")[0] == "IPCC 2013"
    assert methods.resolve("A|B|C") == ("A", "B", "C")
    for alias, m in methods.ALIASES.items():
        assert m in bd.methods, alias
    with pytest.raises(UnknownMethod, match="gwp42.*known aliases: .*gwp100"):
        methods.resolve("gwp42")


def _cf_by_name(m):
    import bw2data as bd

    out = {}
    for fid, cf in bd.Method(m).load():
        flow = bd.get_node(id=fid)
        out[(flow["name"], tuple(flow["categories"]))] = cf
    return out


def test_installed_factors_are_the_ipcc_values(project):
    """AR6 GWP100 (IPCC 2021 WG1 Ch. 7 Table 7.15, as bundled by bw2io): CO2 1, CH4 fossil
    29.8, CH4 non-fossil 27.0, N2O 273, SF6 25 200. AR5 (ecoinvent's IPCC 2013 implementation
    keeps unrounded values: N2O 264.8, which AR5 WG1 Table 8.7 prints as 265)."""
    ar6 = _cf_by_name(methods.ALIASES["gwp100"])
    air = ("air",)
    assert ar6[("Carbon dioxide, fossil", air)] == 1.0
    assert ar6[("Methane, fossil", air)] == pytest.approx(29.8)
    assert ar6[("Methane, non-fossil", air)] == pytest.approx(27.0)
    assert ar6[("Dinitrogen monoxide", air)] == pytest.approx(273.0)
    assert ar6[("Sulfur hexafluoride", air)] == pytest.approx(25200.0)
    ar5 = _cf_by_name(methods.ALIASES["gwp100-ar5"])
    assert ar5[("Dinitrogen monoxide", air)] == pytest.approx(264.8)
    assert round(ar5[("Dinitrogen monoxide", air)]) == 265


def test_derived_split_reproduces_bundled_ipcc2021_split(project):
    """The name rule used for AR5 gives exactly bw2io's bundled IPCC 2021 sub-methods."""
    total = _cf_by_name(methods.ALIASES["gwp100"])
    parts = {k: _cf_by_name(m) for k, m in methods.bundled_parts(methods.ALIASES["gwp100"]).items()}
    derived = {k: {} for k in methods.PARTS}
    for flow, cf in total.items():
        derived[methods.split_kind(flow[0])][flow] = cf
    for k in methods.PARTS:
        assert derived[k] == parts[k], k
    assert len(parts["land_use"]) > 0 and len(parts["biogenic"]) > 0


def test_biogenic_co2_indicators(project):
    em = _cf_by_name(methods.BIOGENIC_CO2_EMISSIONS)
    rm = _cf_by_name(methods.BIOGENIC_CO2_REMOVALS)
    assert set(em.values()) == {1.0} and all(n == "Carbon dioxide, non-fossil" for n, _ in em)
    assert set(rm.values()) == {-1.0} and all(n == "Carbon dioxide, in air" for n, _ in rm)


@pytest.mark.parametrize(
    "name,gas",
    [
        ("Carbon dioxide, fossil", "CO2"),
        ("Carbon dioxide, from soil or biomass stock", "CO2"),
        ("Methane, non-fossil", "CH4"),
        ("Dinitrogen monoxide", "N2O"),
        ("Methane, tetrafluoro-, R-14", "CF4"),
        ("Ethane, hexafluoro-, HFC-116", "C2F6"),
        ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", "HFC-134a"),
        ("Sulfur hexafluoride", "SF6"),
        ("Chloroform", "Chloroform"),
    ],
)
def test_gas_labels(name, gas):
    assert methods.gas_of(name) == gas


def test_setup_is_idempotent_and_fast_when_warm(project):
    import time

    from lca.project import open_project

    t = time.perf_counter()
    again = open_project(project.base_dir)
    assert again.biosphere == project.biosphere
    assert time.perf_counter() - t < 30  # generous: warm opening must not re-install anything
    import bw2data as bd

    assert all(m in bd.methods for m in methods.REQUIRED_METHODS)
    assert len(bd.Database(project.biosphere)) > 4000
    assert np.isfinite(len(bd.methods))
