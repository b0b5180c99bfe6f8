"""Check each exchange's uncertainty (stats_arrays parameters) before an import writes anything.

bw2data writes whatever an exchange holds and only fails (or, worse, succeeds) later: a text
``scale`` stops the write half-way, an unknown uncertainty type or a lognormal with a negative
``scale`` is stored and only refused by the first Monte Carlo run. Here each exchange's
``uncertainty type``, ``loc``, ``scale``, ``shape``, ``minimum`` and ``maximum`` are read as
bw_processing will (``loc`` defaults to the amount) and checked with stats_arrays' own
``validate`` of that distribution (lognormal and normal: ``scale > 0``; triangular:
``minimum <= loc <= maximum``; uniform: ``minimum < maximum``; ...).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import InvalidUncertainty
from ..files import parse_number

#: the exchange fields of a stats_arrays parameter row (besides ``uncertainty type``)
NUMBER_FIELDS = ("loc", "scale", "shape", "minimum", "maximum")
TYPE_FIELD = "uncertainty type"


def check_uncertainties(path: Path, data: list[dict]) -> None:
    """Raise :class:`InvalidUncertainty` naming the file, activity, exchange and field of the
    first exchange whose uncertainty fields stats_arrays would refuse (``data``: bw2io's
    activities after its strategies)."""
    for ds in data:
        for i, exc in enumerate(ds.get("exchanges", []), 1):
            where = f"{path}: activity {ds.get('name')!r}, exchange {i} ({exc.get('name')!r})"
            _check_exchange(where, exc)


def _missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _check_exchange(where: str, exc: dict) -> None:
    from stats_arrays import uncertainty_choices  # lazy on purpose: imported with bw2data

    values = {}
    for field in NUMBER_FIELDS:
        value = exc.get(field)
        if _missing(value):
            continue
        try:
            values[field] = parse_number(value)
        except ValueError as why:
            raise InvalidUncertainty(where, field, value, str(why)) from None
    kind = exc.get(TYPE_FIELD, exc.get("uncertainty_type"))
    if _missing(kind):
        return
    try:
        number = float(kind)
        if not number.is_integer():
            raise ValueError
        dist = uncertainty_choices[int(number)]
    except (TypeError, ValueError, KeyError, OverflowError):
        known = ", ".join(str(k) for k in sorted(uncertainty_choices.id_dict))
        raise InvalidUncertainty(
            where, TYPE_FIELD, kind, f"not a known stats_arrays uncertainty type ({known})"
        ) from None
    if dist.id in (0, 1):
        return
    params = np.full(1, np.nan, dtype=dist.from_dicts({"loc": 0.0}).dtype)
    params["uncertainty_type"] = dist.id
    params["negative"] = False
    amount = exc.get("amount")
    params["loc"] = values.get("loc", amount if isinstance(amount, (int, float)) else np.nan)
    for field in NUMBER_FIELDS[1:]:
        params[field] = values.get(field, np.nan)
    try:
        dist.validate(params)
    except Exception as err:  # noqa: BLE001 - stats_arrays raises several types
        why = str(err).split(" Failing row")[0].strip()
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
        field = next((f for f in NUMBER_FIELDS if f in why), TYPE_FIELD)
        raise InvalidUncertainty(
            where,
            field,
            exc.get(field) if field != TYPE_FIELD else kind,
            f"{dist.__name__} refuses its parameters ({shown or 'none given'}): {why}",
        ) from None
