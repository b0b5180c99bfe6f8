"""``pcf demo``, first step: import the shipped inventories and footprint every shipped product
(with Monte Carlo); writes ``footprints.json``, ``footprints.csv`` and ``montecarlo-draws.csv``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from lca import methods
from lca.files import write_files_atomically
from lca.footprint import FootprintEngine
from lca.imports import shipped_inventories
from lca.project import Project
from lca.workflows import Progress, ensure_inventories, shipped_product_keys, uncertainty

from .preflight import check_draws


def footprint_shipped(
    proj: Project,
    out: str | os.PathLike,
    method: str = methods.DEFAULT,
    iterations: int = 1000,
    seed: int = 42,
    progress: Progress | None = None,
    engine: FootprintEngine | None = None,
) -> dict:
    """Import the shipped inventories, footprint every shipped product, write JSON + CSV.

    The files are written together, all or none (:func:`lca.files.write_files_atomically`).
    Returns the summary (``products``: one dict per product with its
    footprint and, with ``iterations``, its Monte Carlo ``uncertainty``).
    """
    check_draws(iterations, seed)
    dbs = ensure_inventories(proj, shipped_inventories(), progress)
    keys = shipped_product_keys(proj, dbs)
    eng = engine or FootprintEngine(proj)
    results = []
    for i, key in enumerate(keys):
        if progress:
            progress(i, len(keys), f"Footprinting {key[1]}")
        results.append(eng.footprint(key, method))
    mc = []
    if iterations and keys:
        if progress:
            progress(0, 1, f"Monte Carlo, {iterations} draws")
        mc = uncertainty(eng, keys, method, iterations, seed, keep_samples=True)
    products = []
    for i, r in enumerate(results):
        d = r.to_dict()
        if mc:
            d["uncertainty"] = {k: v for k, v in mc[i].items() if k != "samples"}
        products.append(d)
    m = methods.resolve(method)
    summary = {
        "method": list(m),
        "method_alias": methods.alias_of(m),
        "unit": results[0].unit if results else "",
        "databases": dbs,
        "products": products,
    }
    out = Path(out)
    frame = pd.concat([r.to_frame() for r in results], ignore_index=True) if results else None
    files = {"footprints.json": json.dumps(summary, ensure_ascii=False, indent=2)}
    if mc:  # every draw, one column per product, for researchers and the report's histogram
        draws = pd.DataFrame({f"{k[0]}|{k[1]}": u["samples"] for k, u in zip(keys, mc)})
        files["montecarlo-draws.csv"] = draws.to_csv(index_label="draw")
    summary["samples"] = {f"{k[0]}|{k[1]}": u["samples"] for k, u in zip(keys, mc)}
    # the local data directory is for the terminal summary only: a file that leaves the
    # machine (footprints.json) names no local path
    summary["data_dir"] = str(proj.base_dir)
    if frame is not None:
        files["footprints.csv"] = frame.to_csv(index=False)
    written = write_files_atomically(out, files)
    summary["files"] = [str(f) for f in written]
    return summary
