"""``pcf demo``, first step: import the shipped inventories and footprint every shipped product
(with Monte Carlo); writes ``footprints.json``, ``footprints.csv`` and ``montecarlo-draws.csv``."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lca import methods
from lca.carbon_content import carbon_content
from lca.files import write_files_atomically
from lca.footprint import FootprintEngine
from lca.imports import shipped_inventories
from lca.intensity_cache import database_stamps, method_stamp
from lca.project import Project, cache_key, cached, package_versions
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
        mc = cached_uncertainty(eng, keys, method, iterations, seed)
    products = []
    for i, r in enumerate(results):
        d = r.to_dict()
        # the product's carbon content from its composition (inventories/carbon-content.csv):
        # kg C for the footprint's amount, or "not assessed" (figures null), never a silent 0
        cc = carbon_content(r.product)
        d["carbon_content"] = cc.to_dict(r.amount) if cc is not None else None
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
    frames = [r.to_frame() for r in results]
    for j, u in enumerate(mc):  # the Monte Carlo statistics, in the same long table
        f = frames[j]
        stats = [k for k in ("mean", "median", "std", "p2_5", "p97_5") if k in u]
        rows = f.iloc[[0] * len(stats)].copy()
        rows["breakdown"], rows["item"] = "uncertainty", stats
        rows["value"] = [u[k] for k in stats]
        rows["share"], rows["not_assessed"] = np.nan, False
        rows["item"] += f" ({u['iterations']} draws, seed {u['seed']})"
        frames[j] = pd.concat([f, rows], ignore_index=True)
    frame = pd.concat(frames, ignore_index=True) if frames else None
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


def cached_uncertainty(
    engine: FootprintEngine, keys: list, method, iterations: int, seed: int
) -> list[dict]:
    """:func:`lca.workflows.uncertainty` of ``keys`` (with the draws, ``samples``), kept in the
    ``montecarlo`` cache of the engine's data directory (:func:`lca.project.cached`) under the
    hash of everything the draws depend on (:func:`_draws_fingerprint`): a warm demo on an
    unchanged project reads its draws (exactly the numbers it drew) instead of drawing again."""
    key = cache_key("montecarlo", _draws_fingerprint(engine, keys, method, iterations, seed))

    def draw() -> bytes:
        # each product drawn alone, as `pcf footprint KEY --iterations` and the ISO 14067
        # report draw it: the interval a document states is the one its reader reproduces
        # (drawn together, the products sample one larger system and each interval differs
        # by sampling noise from the product's own; an auditor once could not reproduce it)
        mc = [
            uncertainty(engine, [k], method, iterations, seed, keep_samples=True)[0] for k in keys
        ]
        stats = [{k: v for k, v in u.items() if k != "samples"} for u in mc]
        buf = io.BytesIO()
        np.savez(
            buf,
            stats=np.array(json.dumps(stats, allow_nan=True)),
            samples=np.column_stack([np.asarray(u["samples"], dtype=np.float64) for u in mc]),
        )
        return buf.getvalue()

    with np.load(io.BytesIO(cached("montecarlo", key, ".npz", draw)), allow_pickle=False) as z:
        stats, samples = json.loads(str(z["stats"])), z["samples"]
    return [{**u, "samples": samples[:, j].copy()} for j, u in enumerate(stats)]


@functools.cache
def _code_digest() -> str:
    """SHA-256 of the engine's source (every module of :mod:`lca`: the draws, the solver, the
    matrices) and of the versions of the libraries that read and solve the matrices."""
    import lca

    h = hashlib.sha256()
    root = Path(lca.__file__).resolve().parent
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    libraries = package_versions("numpy", "scipy", "bw2calc", "bw2data", "bw_processing",
                                 "matrix_utils", "stats_arrays", "pypardiso")  # fmt: skip
    h.update(json.dumps(libraries, sort_keys=True).encode())
    return h.hexdigest()


def _draws_fingerprint(engine: FootprintEngine, keys, method, iterations, seed) -> str:
    """What the Monte Carlo draws of ``keys`` depend on, as text: the engine's code and
    libraries (:func:`_code_digest`), every database of the project and the method as the
    background-intensity cache stamps them (:func:`lca.intensity_cache.database_stamps`,
    :func:`~lca.intensity_cache.method_stamp`: bw2data's stamps and the processed files the
    draws' distributions and factors are read from), the products (keys and node ids), the
    draws and the seed."""
    bd = engine.project.bd
    return json.dumps(
        {
            "code": _code_digest(),
            "project": [engine.project.name, str(engine.project.base_dir)],
            "databases": database_stamps(engine, sorted(bd.databases)),
            "method": method_stamp(engine, methods.resolve(method)),
            "products": [[list(k), engine.node(k).id] for k in keys],
            "iterations": iterations,
            "seed": seed,
        },
        sort_keys=True,
        default=str,
    )
