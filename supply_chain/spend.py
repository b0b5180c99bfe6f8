"""Spend-based emission factors (kg CO2e per USD) from a USEEIO model, for BOM parts without
a supplier PCF or a Brightway activity.

The engine does not ship USEEIO. :func:`useeio_spend_factors` reads a model in the USEEIO API
layout (``matrix/A.json`` direct requirements USD/USD, ``matrix/B.json`` flows x sectors kg/USD,
``matrix/C.json`` indicators x flows, ``sectors.json``) and returns the total (cradle-to-gate)
GHG intensity of every sector, ``N = C B (I − A)⁻¹``, computed with the engine's adjoint solve
(:func:`lca.maths.intensities`, the technosphere being ``I − A``). USEEIO v2 factors are per
USD of the model year at producer prices and use the model's own GWP set (AR4 in v2.1.x):
convert prices and say so when you use them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from lca import maths
from lca.errors import PCFError

log = logging.getLogger(__name__)


def useeio_spend_factors(model_dir: str | os.PathLike, indicator: int = 0) -> dict[str, float]:
    """``{sector: kg CO2e per USD}`` for every sector of a USEEIO model directory.

    Each sector is listed under its ``code`` (``"331110"``) and its ``id`` (``"331110/US"``).
    ``indicator`` is the row of ``C`` (0: GHG in the GHG models).

    Raises
    ------
    PCFError
        If the directory is not in the USEEIO API layout.
    """
    d = Path(model_dir)
    try:
        A = np.asarray(json.loads((d / "matrix" / "A.json").read_text()), dtype=np.float64)
        B = np.asarray(json.loads((d / "matrix" / "B.json").read_text()), dtype=np.float64)
        C = np.asarray(json.loads((d / "matrix" / "C.json").read_text()), dtype=np.float64)
        sectors = json.loads((d / "sectors.json").read_text())
    except (OSError, ValueError) as exc:
        raise PCFError(f"{d}: not a USEEIO model directory in the API layout ({exc})") from None
    n = A.shape[0]
    technosphere = sp.csr_matrix(np.eye(n) - A)
    e = C[indicator] @ B  # direct kg CO2e per USD of each sector
    lam = maths.intensities(technosphere, e)
    out: dict[str, float] = {}
    for s in sectors:
        v = float(lam[int(s["index"])])
        out[str(s["id"])] = v
        out.setdefault(str(s["code"]), v)
    log.info("USEEIO %s: %d sector factors", d.name, n)
    return out
