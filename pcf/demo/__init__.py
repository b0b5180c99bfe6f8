"""Every example and demo of the engine, and ``pcf demo``'s orchestration (the main job on the
shipped examples). Nothing in ``lca``, ``supply_chain``, ``factory`` or ``reports`` imports it."""

from __future__ import annotations

import os
from pathlib import Path

from lca.footprint import FootprintEngine
from lca.project import Project
from lca.workflows import Progress

from . import supply_chain as sc_demo
from .footprints import footprint_shipped
from .plant import demo_plant_summary, write_demo_plant_sheet
from .reports import DEMO_PRODUCT, write_demo_reports

__all__ = ["run"]


def run(
    proj: Project,
    out: str | os.PathLike,
    method: str = "gwp100",
    iterations: int = 1000,
    seed: int = 42,
    lang: str = "en",
    progress: Progress | None = None,
) -> dict:
    """The whole demo into ``out``: footprints with Monte Carlo, the two supply chains, the
    declarations and reports of the demo cell, the example plant. Returns the summary."""
    out = Path(out)

    def step(done, total, what):
        if progress:
            progress(done, total, what)

    eng = FootprintEngine(proj)
    summary = footprint_shipped(
        proj, out, method=method, iterations=iterations, seed=seed, progress=progress, engine=eng
    )
    step(0, 3, "Supply chain: roll-up, hotspots, reduction plan")
    summary["supply_chain"] = sc_demo.demo_bom_summary(eng, out / "supply-chain", method)
    summary["supply_chain_pack"] = sc_demo.demo_supply_chain(eng, out / "supply-chain", method)
    step(1, 3, "Declarations and reports (PACT, battery, ISO 14067, workbook)")
    products = {tuple(p["product"]): p for p in summary["products"]}
    cell = DEMO_PRODUCT
    unc = products.get(cell, {}).get("uncertainty")
    samples = summary.pop("samples", {}).get("|".join(cell))
    if unc and samples is not None:
        unc = {**unc, "samples": samples}  # the report draws the distribution
    reports_written = write_demo_reports(
        eng, cell, out / "reports", uncertainty=unc, method=method, lang=lang
    )
    summary["reports"] = [str(p) for p in reports_written]
    step(2, 3, "Example plant: inventory and gap to zero")
    summary["factory"] = demo_plant_summary(proj, out / "factory")
    summary["reports"] += [str(p) for p in write_demo_plant_sheet(proj, out / "reports", lang)]
    step(3, 3, "Done")
    return summary
