"""The shipped example BOM (``inventories/bom/``), rolled up for ``pcf demo``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

BOM_DIR = Path(__file__).resolve().parent.parent / "inventories" / "bom"
DEMO_BOM = BOM_DIR / "lfp-cell-bom.csv"
ILLUSTRATIVE_PCF = BOM_DIR / "illustrative-supplier-pcf.json"
DEMO_PRODUCT = ("pcf-products", "lfp-cell-per-kwh")


def demo_bom_summary(engine, out_dir: str | os.PathLike, method: str = "gwp100",
                     bom_path: str | os.PathLike | None = None) -> dict:
    """Roll up the example BOM of the LFP cell, write its hotspots into ``out_dir``.

    Needs the shipped inventories (``pcf-background``, ``pcf-products``) in the engine's
    project. Writes ``lfp-cell-bom-rollup.csv``, ``-hotspots.csv``, ``-sensitivities.csv`` and
    ``-hotspots.json`` (:func:`supply_chain.hotspots.write_hotspots`).

    Returns
    -------
    dict
        ``product``, ``bom``, ``total``, ``unit``, ``product_system_total`` (the same product
        footprinted from ``pcf-products``: the BOM mirrors it, so the two agree),
        ``sources``, ``primary_data_share``, ``top_hotspots`` (parts), ``paths_coverage``,
        ``files``, and ``illustrative_supplier_pcf``: the total when the illustrative supplier
        PCF (not data) replaces the factory grid electricity.
    """
    from lca.errors import PCFError

    from .bom import read_bom
    from .hotspots import contributions, write_hotspots
    from .paths import bom_paths
    from .pcfs import read_pact
    from .rollup import rollup

    bom_path = Path(bom_path) if bom_path else DEMO_BOM
    G = read_bom(bom_path)
    result = rollup(G, engine, method)
    files = write_hotspots(result, out_dir, prefix=bom_path.stem)
    summary = result.summary()
    try:
        product_total = engine.footprint(DEMO_PRODUCT, method).total
    except PCFError as exc:  # the product system may not be imported: report, do not fail
        log.info("could not footprint %s for comparison: %s", DEMO_PRODUCT, exc)
        product_total = None
    nodes = contributions(result, by="node", top=3)
    spa = bom_paths(result, cutoff=0.005, top=5)
    pcf = read_pact(ILLUSTRATIVE_PCF)
    study_day = pcf[0].validity_period[0].date()  # inside the example's validity period
    alt = rollup(G, engine, method, pcfs=pcf, on=study_day)
    return {
        "product": str(result.root), "bom": str(bom_path), "method": summary["method"],
        "total": summary["footprint"], "unit": result.unit, "per": summary["per"],
        "product_system_total": product_total, "sources": summary["sources"],
        "primary_data_share": summary["primary_data_share"],
        "top_hotspots": [{"part": r.item, "value": r.value, "share": r.share}
                         for r in nodes.itertuples()],
        "paths_coverage": spa.coverage, "files": files,
        "illustrative_supplier_pcf": {
            "total": alt.total, "primary_data_share": alt.summary()["primary_data_share"],
            "note": "ILLUSTRATIVE EXAMPLE, NOT DATA: factory electricity from the example supplier "
                    f"PCF in {ILLUSTRATIVE_PCF.name} (value = MEE 2023 Sichuan grid factor)",
        },
    }
