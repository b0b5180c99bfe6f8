"""Every example and demo of the engine, and ``pcf demo``'s orchestration (the main job on the
shipped examples). Nothing in ``lca``, ``supply_chain``, ``factory`` or ``reports`` imports it."""

from __future__ import annotations

import os
from pathlib import Path

from lca.files import staged
from lca.footprint import FootprintEngine
from lca.methods import DEFAULT as DEFAULT_METHOD
from lca.project import Project
from lca.workflows import Progress

from . import supply_chain as sc_demo
from .footprints import footprint_shipped
from .plant import demo_plant_summary, write_demo_plant_sheet
from .preflight import preflight
from .reports import DEMO_PRODUCT, DEMO_PRODUCTS, pact_name, write_demo_reports

__all__ = ["DEMO_REPLACES", "pact_files", "preflight", "run"]

#: Outputs of an earlier demo that a run may not write again (``--iterations 0`` has no draws):
#: removed with the new set, so the folder never mixes two runs.
DEMO_REPLACES = ("montecarlo-draws.csv",)


def pact_files(out: str | os.PathLike) -> dict[tuple[str, str], Path]:
    """The PACT v3 declaration :func:`run` writes into ``out`` for each declared product
    (:data:`DEMO_PRODUCTS`): ``{product key: path}``."""
    return {key: Path(out) / "reports" / pact_name(key) for key in DEMO_PRODUCTS}


def run(
    proj: Project,
    out: str | os.PathLike,
    method: str = DEFAULT_METHOD,
    iterations: int = 1000,
    seed: int = 42,
    lang: str = "en",
    progress: Progress | None = None,
) -> dict:
    """The whole demo into ``out``: footprints with Monte Carlo, the two supply chains, the
    declarations and reports of the demo's declared products (the LFP and NMC811 EV battery
    packs, :data:`pcf.demo.reports.DEMO_PRODUCTS`; the supplier workbook once, for the LFP
    pack), the example plant. Returns the summary.

    Every option is checked before anything is written (:func:`preflight`: the language, the
    draws and seed, the method for every document the demo writes, the declaration metadata,
    the output folder), and the whole output appears at the end as one set
    (:func:`lca.files.staged`): a failure or Ctrl-C at any point leaves ``out`` as it was.

    Raises
    ------
    PCFError
        A leaf class naming the option or file at fault (:func:`preflight`), or an
        :class:`~lca.errors.OutputError` naming ``out``.
    """
    out = Path(out)

    def step(done, total, what):
        if progress:
            progress(done, total, what)

    eng = FootprintEngine(proj)
    lang = preflight(proj, eng, out, method, iterations, seed, lang, progress)
    with staged(out, replaces=DEMO_REPLACES):  # every write below goes to one staging folder
        summary = footprint_shipped(
            proj,
            out,
            method=method,
            iterations=iterations,
            seed=seed,
            progress=progress,
            engine=eng,
        )
        step(0, 3, "Supply chain: roll-up, hotspots, reduction plan")
        summary["supply_chain"] = sc_demo.demo_bom_summary(eng, out / "supply-chain", method)
        summary["supply_chain_pack"] = sc_demo.demo_supply_chain(eng, out / "supply-chain", method)
        step(1, 3, "Declarations and reports (PACT, battery, ISO 14067, workbook)")
        products = {tuple(p["product"]): p for p in summary["products"]}
        all_samples = summary.pop("samples", {})
        summary["reports"] = []
        for key in DEMO_PRODUCTS:
            unc = products.get(key, {}).get("uncertainty")
            samples = all_samples.get("|".join(key))
            if unc and samples is not None:
                unc = {**unc, "samples": samples}  # the report draws the distribution
            reports_written = write_demo_reports(
                eng,
                key,
                out / "reports",
                uncertainty=unc,
                method=method,
                lang=lang,
                workbook=key == DEMO_PRODUCT,
            )
            summary["reports"] += [str(p) for p in reports_written]
        step(2, 3, "Example plant: inventory and gap to zero")
        summary["factory"] = demo_plant_summary(proj, out / "factory")
        summary["reports"] += [str(p) for p in write_demo_plant_sheet(proj, out / "reports", lang)]
    step(3, 3, "Done")
    return summary
