"""lca.units: the factors from the table's exact sizes are pint's, bit for bit, and a
conversion between table units needs no pint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lca import units
from lca.errors import UnitMismatch
from lca.units import SIZES, UNITS, conversion_factor


def _pint(a: str, b: str) -> float | None:
    """pint's factor between two pint expressions, rounded as lca.units rounds it."""
    ureg = units.registry()
    qa, qb = ureg.Quantity(1.0, a), ureg.Quantity(1.0, b)
    if qa.dimensionality != qb.dimensionality:
        return None
    return float(f"{float(qa.to(qb.units).magnitude):.15g}")


def test_every_unit_of_the_table_has_an_exact_size():
    assert set(UNITS.values()) <= set(SIZES)


@pytest.mark.parametrize("a", sorted(SIZES))
def test_size_factors_are_pints_bit_for_bit(a):
    """Every ordered pair of the table's units: the same float as pint's (or None for both
    when the dimensions differ, e.g. piece and kilogram)."""
    for b in sorted(SIZES):
        mine, pints = units._size_factor(a, b), _pint(a, b)
        assert mine == pints, (a, b, mine, pints)
        assert (mine is None) == (SIZES[a][0] != SIZES[b][0])


def test_known_factors_by_hand():
    # metric tonne, not pint's "ton" (the US short ton); 1 kWh = 3.6 MJ; 1 lb = 0.45359237 kg
    assert conversion_factor("t", "kg") == 1000.0
    assert conversion_factor("g", "kilogram") == 0.001
    assert conversion_factor("kilowatt hour", "MJ") == 3.6
    assert conversion_factor("MWh", "GJ") == 3.6
    assert conversion_factor("short ton", "kg") == 907.18474
    assert conversion_factor("liter", "m3") == 0.001
    assert conversion_factor("tkm", "kilogram kilometer") == 1000.0
    with pytest.raises(UnitMismatch):
        conversion_factor("person kilometer", "tkm")  # a piece is no kilogram
    with pytest.raises(UnitMismatch):
        conversion_factor("usd", "piece")


def test_a_conversion_in_a_fresh_process_does_not_import_pint():
    code = (
        "import sys; from lca.units import convert; "
        "assert convert(250.0, 'g', 'kg') == 0.25; "
        "assert convert(1.0, 'kWh', 'MJ') == 3.6; "
        "print('pint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
