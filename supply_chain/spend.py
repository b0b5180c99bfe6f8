"""Spend-based emission factors (kg CO2e per USD) from a USEEIO model, for BOM parts without
a supplier PCF or a Brightway activity.

The engine does not ship USEEIO. :func:`useeio_spend_factors` reads a model in the USEEIO API
layout (``matrix/A.json`` direct requirements USD/USD, ``matrix/B.json`` flows x sectors kg/USD,
``matrix/C.json`` indicators x flows, ``sectors.json``) and returns the total (cradle-to-gate)
GHG intensity of every sector, ``N = C B (I − A)⁻¹``, computed once by
:func:`lca.imports.useeio_intensities`. USEEIO v2 factors are per USD of the model year at producer prices and use the model's own GWP set (AR4 in v2.1.x):
convert prices and say so when you use them.
"""

from __future__ import annotations

import logging
import os

from lca.imports import useeio_intensities

log = logging.getLogger(__name__)


def useeio_spend_factors(model_dir: str | os.PathLike, indicator: int = 0) -> dict[str, float]:
    """``{sector: kg CO2e per USD}`` for every sector of a USEEIO model directory.

    Each sector is listed under its ``id`` (``"331110/US"``) and its ``code`` (``"331110"``).
    ``indicator`` is the row of ``C`` (0: GHG in the GHG models). The factors are
    :func:`lca.imports.useeio_intensities` (``N = C B (I − A)⁻¹``, one factorisation).

    Raises
    ------
    lca.errors.InventoryError
        If the directory is not a USEEIO model in the API layout.
    """
    df = useeio_intensities(model_dir)
    indicators = [c for c in df.columns[4:] if not str(c).endswith("_direct")]
    col = indicators[indicator]
    out: dict[str, float] = {}
    for sid, code, v in zip(df["sector"], df["code"], df[col]):
        out[str(sid)] = float(v)
        out.setdefault(str(code), float(v))
    log.info("USEEIO %s: %d sector factors (%s)", model_dir, len(df), col)
    return out
