"""Shared fixtures. Every test runs against a temporary Brightway directory, never the user's."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Rendered-PDF cache (reports.render.html_to_pdf): a fresh one per test session, never ./.pcf.
os.environ["PCF_CACHE_DIR"] = tempfile.mkdtemp(prefix="pcf-test-cache-")


@pytest.fixture(scope="session")
def bw_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("brightway")
    os.environ["PCF_DATA_DIR"] = str(d)
    return d


@pytest.fixture(scope="session")
def project(bw_dir):
    """The engine's project in a temporary directory, with biosphere and climate methods."""
    from lca.project import open_project

    return open_project(bw_dir)


@pytest.fixture(scope="session")
def shipped(project):
    """The temporary project with every shipped inventory imported, once per session
    (``lca.imports.shipped_inventories``: background files first, then products). Imported as
    ``pcf demo`` does (``lca.workflows.ensure_inventories`` records each file's hash), so a demo
    run in the same session finds them and imports nothing again."""
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories

    ensure_inventories(project, shipped_inventories())
    return project


@pytest.fixture(scope="session")
def hs_system(project):
    """Heijungs & Suh (2002) textbook system written with bw2data.

    Electricity production makes 10 kWh from 2 l fuel, emitting 1 kg CO2 and 0.1 kg SO2; fuel
    production makes 100 l fuel, emitting 10 kg CO2 and 2 kg SO2 and extracting 50 l crude oil.
    """
    import bw2data as bd

    bio = bd.Database("hs-biosphere")
    bio.write(
        {
            ("hs-biosphere", "co2"): {
                "name": "Carbon dioxide",
                "unit": "kilogram",
                "type": "emission",
                "categories": ("air",),
            },
            ("hs-biosphere", "so2"): {
                "name": "Sulfur dioxide",
                "unit": "kilogram",
                "type": "emission",
                "categories": ("air",),
            },
            ("hs-biosphere", "crude"): {
                "name": "Crude oil",
                "unit": "litre",
                "type": "natural resource",
                "categories": ("natural resource",),
            },
        }
    )
    db = bd.Database("hs")
    db.write(
        {
            ("hs", "electricity"): {
                "name": "electricity production",
                "unit": "kilowatt hour",
                "location": "GLO",
                "stage": "production",
                "exchanges": [
                    {"input": ("hs", "electricity"), "amount": 10.0, "type": "production"},
                    {"input": ("hs", "fuel"), "amount": 2.0, "type": "technosphere"},
                    {"input": ("hs-biosphere", "co2"), "amount": 1.0, "type": "biosphere"},
                    {"input": ("hs-biosphere", "so2"), "amount": 0.1, "type": "biosphere"},
                ],
            },
            ("hs", "fuel"): {
                "name": "fuel production",
                "unit": "litre",
                "location": "GLO",
                "exchanges": [
                    {"input": ("hs", "fuel"), "amount": 100.0, "type": "production"},
                    {"input": ("hs-biosphere", "co2"), "amount": 10.0, "type": "biosphere"},
                    {"input": ("hs-biosphere", "so2"), "amount": 2.0, "type": "biosphere"},
                    {"input": ("hs-biosphere", "crude"), "amount": 50.0, "type": "biosphere"},
                ],
            },
        }
    )
    m = bd.Method(("HS", "CO2"))
    m.register(unit="kg CO2")
    m.write([(("hs-biosphere", "co2"), 1.0)])
    m = bd.Method(("HS", "SO2"))
    m.register(unit="kg SO2")
    m.write([(("hs-biosphere", "so2"), 1.0)])
    return db


# the handlers the test session started with (the real SIGINT handler raises KeyboardInterrupt)
_HANDLERS = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    """After each test SIGINT/SIGTERM are the session's own again: the CLI, servers and clusters
    run in-process install their own handlers, which would change what a later test sees."""
    yield
    for sig, handler in _HANDLERS.items():
        if handler is not None and signal.getsignal(sig) is not handler:
            signal.signal(sig, handler)


@pytest.fixture(scope="session")
def write_uncertain_hs(hs_system):
    """``write(db)``: the Heijungs & Suh electricity/fuel system as database ``db`` with
    lognormal uncertainty on three exchanges (CO2 of the ``hs_system`` biosphere): the small
    stochastic system of the portfolio and dask tests."""
    import bw2data as bd
    import numpy as np

    def write(db: str) -> None:
        bio = ("hs-biosphere", "co2")
        bd.Database(db).write(
            {
                (db, "elec"): {
                    "name": "electricity", "unit": "kilowatt hour", "location": "GLO",
                    "exchanges": [
                        {"input": (db, "elec"), "amount": 10.0, "type": "production"},
                        {"input": (db, "fuel"), "amount": 2.0, "type": "technosphere",
                         "uncertainty type": 2, "loc": np.log(2.0), "scale": 0.2},
                        {"input": bio, "amount": 1.0, "type": "biosphere",
                         "uncertainty type": 2, "loc": 0.0, "scale": 0.3},
                    ],
                },
                (db, "fuel"): {
                    "name": "fuel", "unit": "litre", "location": "GLO",
                    "exchanges": [
                        {"input": (db, "fuel"), "amount": 100.0, "type": "production"},
                        {"input": (db, "elec"), "amount": 5.0, "type": "technosphere",
                         "uncertainty type": 2, "loc": np.log(5.0), "scale": 0.1},
                        {"input": bio, "amount": 10.0, "type": "biosphere"},
                    ],
                },
            }
        )  # fmt: skip

    return write


@pytest.fixture(scope="module")
def own_databases(project):
    """Remove the databases this module imported: the session's project is shared, and a later
    module's import must not link to them."""
    import bw2data as bd

    from lca.imports import is_shipped

    before = set(bd.databases)
    yield
    for name in sorted(set(bd.databases) - before):
        if not is_shipped(bd.databases[name]):  # shipped ones belong to the session
            del bd.databases[name]
