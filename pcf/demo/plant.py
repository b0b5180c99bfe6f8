"""The example plant of ``pcf demo``: its inventory, gap to zero and product footprints
(JSON + CSV) and its plant sheet (HTML/PDF). The plant is illustrative, not measured data
(``inventories/factory/README.md``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from factory import EXAMPLE_PLANT, allocate, ensure_factor_databases, gap_report, plant_inventory
from lca.errors import PCFError
from lca.files import jsonable, staged
from lca.footprint import FootprintEngine
from lca.project import Project
from reports import write_plant_sheet

#: What-if levers of the shipped demo: 60 % green electricity, 10 % efficiency.
DEMO_WHAT_IF = {"green": 0.6, "efficiency": 0.10}


def demo_plant_summary(
    project: Project, out_dir: str | os.PathLike, *, path: str | os.PathLike | None = None
) -> dict:
    """The example plant's inventory, gap to zero and product footprints; writes JSON + CSV.

    Files (written to a temporary folder and moved into place): ``factory-inventory.json``,
    ``factory-inventory.csv`` (one row per source and gas), ``factory-gap.json``,
    ``factory-gap.csv`` (trajectory) and ``factory-products.csv`` (allocation, latest period).
    The example plant is illustrative, not measured data (see inventories/factory/README.md).
    """
    ensure_factor_databases(project)
    plant = plant_inventory(project, path or EXAMPLE_PLANT)
    gap = gap_report(plant, **DEMO_WHAT_IF)
    alloc = allocate(plant.latest())
    generic = _generic_cell_production(project)
    summary = {
        "plant": plant.plant,
        "illustrative": True,
        "disclaimer": (
            "Illustrative example plant, not measured data: electricity = 57.5 kWh per "
            "kWh of cell capacity (Kurland 2020's midpoint for two large cell factories, "
            "the plant's own figure; the demo cell, inventories/products/li-ion-cell.csv, "
            "takes Degen et al. 2023's 37.5) x an illustrative annual volume; contracts "
            "and offsets are illustrative."
        ),
        "unit": gap["unit"],
        "periods": list(plant.periods),
        "inventory": {p: inv.summary() for p, inv in plant.periods.items()},
        "gap": gap,
        "products": alloc.to_dict(),
        "generic_cell_production_per_kwh": generic,
    }
    out = Path(out_dir)
    with staged(out) as t:
        (t / "factory-inventory.json").write_text(
            json.dumps(plant.to_dict(), ensure_ascii=False, indent=2, default=jsonable)
        )
        plant.to_frame().to_csv(t / "factory-inventory.csv", index=False)
        (t / "factory-gap.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=jsonable)
        )
        pd.DataFrame(gap["trajectory"]).to_csv(t / "factory-gap.csv", index=False)
        alloc.to_frame().to_csv(t / "factory-products.csv", index=False)
        files = [str(out / f.name) for f in sorted(t.iterdir())]
    summary["files"] = files
    return summary


def _generic_cell_production(project: Project) -> float | None:
    """The demo cell's generic 'production' stage per kWh, for comparison (None if absent)."""
    bd = project.bd
    if "pcf-products" not in bd.databases:
        return None
    try:
        r = FootprintEngine(project).footprint(("pcf-products", "lfp-cell-manufacturing-cn"))
    except PCFError:
        return None
    return r.total


def write_demo_plant_sheet(project, out_dir: str | os.PathLike, lang: str = "en") -> list[Path]:
    """The shipped example plant's sheet (latest period, the demo's what-if levers), for
    ``pcf demo``. Imports the factor databases if missing."""
    ensure_factor_databases(project)
    plant = plant_inventory(project, EXAMPLE_PLANT)
    return write_plant_sheet(plant, out_dir, lang=lang, what_if=DEMO_WHAT_IF)
