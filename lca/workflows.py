"""Whole jobs built from the pieces: import the shipped inventories, footprint every product.

Thin orchestration for the CLI and notebooks; the maths stays in :mod:`lca.maths`.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import methods
from ._quiet import quiet
from .errors import InventoryError, UncertaintyError
from .footprint import FootprintEngine
from .imports import import_inventory
from .montecarlo import from_bw2calc, monte_carlo
from .project import Project

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def ensure_inventories(
    proj: Project, paths: Sequence[Path], progress: Progress | None = None
) -> list[str]:
    """Import each file unless the database already holds exactly that file (by SHA-256).

    Returns the database names, in order. Re-importing only what changed keeps warm runs fast.
    """
    bd = proj.bd
    names = []
    for i, path in enumerate(paths):
        if progress:
            progress(i, len(paths), f"Importing {Path(path).name}")
        digest = file_sha256(path)
        with proj.write_lock(f"import {Path(path).name}"):  # the check and the import as one
            known = {n: m for n, m in bd.databases.items() if m.get("pcf_source_sha256")}
            hit = [n for n, meta in known.items() if meta["pcf_source_sha256"] == digest]
            if hit:
                names.append(hit[0])
                continue
            # the import records the file's SHA-256 and path in the database's metadata itself
            names.append(import_inventory(proj, path).database)
    if progress:
        progress(len(paths), len(paths), "Inventories imported")
    return names


def final_products(proj: Project, database: str) -> list:
    """Activities of ``database`` that no other activity of it consumes (its end products)."""
    bd = proj.bd
    acts = list(bd.Database(database))
    consumed = set()
    for a in acts:
        for exc in a.technosphere():
            if exc.input.key != a.key:
                consumed.add(exc.input.key)
    return [a for a in acts if a.key not in consumed]


def list_products(proj: Project, final_only: bool = True) -> list[dict]:
    """What ``pcf footprint`` can compute, per database: its products.

    In a database with product nodes (bw2data ``type: product``, made by a process's
    ``production`` edge: openLCA JSON-LD, Brightway Excel with product rows) these are the
    product nodes some process of the database makes (the processes are not listed: they are
    footprinted through their product); elsewhere the processes (a process is its own product).
    ``final_only``: only the products no process of the database consumes."""
    bd = proj.bd
    rows = []
    for db in sorted(bd.databases):
        if db == proj.biosphere or bd.databases[db].get("backend") == "iotable":
            continue
        if bd.Database(db).metadata.get("format") == "biosphere":
            continue
        acts = list(bd.Database(db))
        made = _made_products(acts)
        if made:
            consumed = _consumed(acts) if final_only else set()
            picked = [made[k] for k in made if k not in consumed]
        else:
            picked = final_products(proj, db) if final_only else acts
            picked = [
                a
                for a in picked
                if a.get("type", "process") in ("process", "processwithreferenceproduct")
            ]
        for a in sorted(picked, key=lambda a: a["name"]):
            rows.append(
                {
                    "key": f"{a['database']}|{a['code']}",
                    "name": a["name"],
                    "unit": a.get("unit"),
                    "location": a.get("location"),
                    "stage": a.get("stage"),
                }
            )
    return rows


def _made_products(acts: list) -> dict:
    """key -> product node, for the product nodes of ``acts`` a process of ``acts`` makes."""
    products = {a.key: a for a in acts if a.get("type") == "product"}
    if not products:
        return {}
    made = {}
    for a in acts:
        if a.key in products:
            continue
        for exc in a.production():
            if exc.input.key in products:
                made[exc.input.key] = products[exc.input.key]
    return made


def _consumed(acts: list) -> set:
    return {exc.input.key for a in acts for exc in a.technosphere() if exc.input.key != a.key}


def key_products(proj: Project, database: str) -> list[tuple[str, str]]:
    """The products a database declares (its metadata row ``pcf_key_products``: codes separated
    by spaces, e.g. a pack per kWh *and* its battery-regulation variant that consumes it), else
    its final products (:func:`final_products`)."""
    declared = str(proj.bd.databases[database].get("pcf_key_products", "")).split()
    if not declared:
        return [a.key for a in final_products(proj, database)]
    codes = {a["code"] for a in proj.bd.Database(database)}
    missing = [c for c in declared if c not in codes]
    if missing:
        raise InventoryError(f"{database}: pcf_key_products names unknown activities {missing}")
    return [(database, c) for c in declared]


def shipped_product_keys(proj: Project, databases: Sequence[str]) -> list[tuple[str, str]]:
    """Key products of the shipped *product* databases (those whose file is under products/)."""
    bd = proj.bd
    keys = []
    for db in databases:
        src = bd.databases[db].get("pcf_source_path", "")
        if Path(src).parent.name == "products":
            keys += key_products(proj, db)
    return keys


def stochastic_system(ids: Sequence[int], method, seed: int | None = None):
    """The stats_arrays distributions of the system that supplies Brightway node ``ids``
    under ``method``, read through bw2calc (``use_distributions=True``) as a
    :class:`lca.montecarlo.StochasticSystem` (:func:`lca.montecarlo.from_bw2calc`).

    The draws depend on that system (the databases ``ids`` depend on): products of other
    databases drawn together sample a larger system, so one product's interval can differ
    from its interval drawn alone by sampling noise. Documents that state a product's
    interval draw that product alone (``pcf demo``, ``pcf footprint``, the ISO 14067 report
    agree for a seed); a portfolio draws its products together."""
    import bw2calc as bc  # lazy on purpose: heavy (~1.9 s); `pcf --help` must stay fast

    m = methods.resolve(method)
    with quiet(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        lca = bc.LCA({int(i): 1.0 for i in ids}, m, use_distributions=True, seed_override=seed)
        lca.lci()
        lca.lcia()
    return from_bw2calc(lca)


def uncertainty_scores(
    project: Project,
    ids: Sequence[int],
    method,
    iterations: int,
    seed: int | None,
    *,
    executor=None,
    progress=None,
):
    """Monte Carlo scores of one unit of each product (Brightway node ``ids``) under ``method``.

    The inventories' stats_arrays distributions are read through bw2calc
    (``use_distributions=True``, :func:`lca.montecarlo.from_bw2calc`) and drawn by
    :func:`lca.montecarlo.monte_carlo`: one factorisation of the static technosphere serves
    every draw, and each draw's adjoint scores every product at once. ``executor`` runs the
    blocks of draws elsewhere (:class:`lca.distributed.DaskExecutor`); the scores do not depend
    on it. Returns the :class:`~lca.montecarlo.MonteCarloResult` (scores: draws x 1 x products).

    Raises
    ------
    UncertaintyError
        Naming ``iterations`` when it is below 2 (a standard deviation needs 2 draws).
    """
    if iterations < 2:
        raise UncertaintyError(
            f"iterations: {iterations!r} is too few: a standard deviation needs at least 2 draws"
        )
    ids = [int(i) for i in ids]
    system = stochastic_system(ids, method, seed)
    rows = [system.products[i] for i in ids]
    F = sp.csc_matrix(
        (np.ones(len(ids)), (rows, np.arange(len(ids)))),
        shape=(system.technosphere.shape[0], len(ids)),
    )
    result = monte_carlo(
        system.technosphere,
        system.biosphere,
        system.characterization,
        F,
        iterations,
        seed,
        executor=executor,
        progress=progress,
    )
    log.info(
        "Monte Carlo: %d draws x %d products in %.2f s (%d fallbacks)",
        iterations,
        len(ids),
        result.seconds,
        len(result.fallbacks),
    )
    return result


def uncertainty(
    engine: FootprintEngine,
    products: Sequence,
    method,
    iterations: int,
    seed: int,
    keep_samples: bool = False,
    *,
    executor=None,
    progress=None,
) -> list[dict]:
    """Monte Carlo percentiles of each product's score, seeded and reproducible.

    Drawn by :func:`uncertainty_scores` (``executor``, ``progress``: see there). Returns one
    dict per product: ``iterations, seed, deterministic, mean, median, std, p2_5, p97_5`` (the
    deterministic score is not the mean: lognormal inputs skew the distribution); with
    ``keep_samples`` also ``samples``, the score of every draw (a numpy array).

    Raises
    ------
    UncertaintyError
        Naming ``iterations`` when it is below 2 (a standard deviation needs 2 draws).
    """
    if iterations < 2:
        raise UncertaintyError(
            f"iterations: {iterations!r} is too few: a standard deviation needs at least 2 draws"
        )
    m = methods.resolve(method)
    nodes = [engine.node(p) for p in products]
    result = uncertainty_scores(
        engine.project, [n.id for n in nodes], m, iterations, seed,
        executor=executor, progress=progress,
    )  # fmt: skip
    scores = result.scores[:, 0, :]  # draws x products (one method)
    out = []
    for j, n in enumerate(nodes):
        x = scores[:, j]
        p2_5, median, p97_5 = np.percentile(x, [2.5, 50.0, 97.5])
        out.append(
            {
                "product": list(n.key),
                "method": list(m),
                "iterations": int(iterations),
                "seed": seed,
                "deterministic": float(result.deterministic[0, j]),
                "mean": float(x.mean()),
                "median": float(median),
                "std": float(x.std(ddof=1)),
                "p2_5": float(p2_5),
                "p97_5": float(p97_5),
            }
        )
        if keep_samples:
            out[-1]["samples"] = x.copy()
    return out
