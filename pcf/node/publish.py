"""Compute our footprints with the engine and store them as issued PACT documents.

:func:`publish_products` is what ``pcf publish KEY…`` runs: each product's footprint becomes a
PACT document with :func:`reports.pact.pact_for` (data quality computed from the inventory,
exactly the document ``pcf report pact`` writes) from the ``declaration`` section of its meta
file, and :meth:`pcf.node.store.Store.publish` stores it. The same footprint keeps its id (the
document's id is derived from its content, and the store compares content without the creation
time); a changed one is stored as a new version and the earlier one becomes Deprecated.
:func:`publish_files_to_store` is what ``pcf demo`` calls: it stores the PACT documents the demo
has just written (the same documents, not computed a second time).

Every document is computed and validated before the first is stored, so a product that fails
(an unknown key, a meta file without a valid declaration) stores nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .store import PublishResult, Store

__all__ = [
    "pact_documents",
    "publish_documents",
    "publish_files_to_store",
    "publish_products",
    "publish_results",
    "publish_to_store",
]

log = logging.getLogger(__name__)

#: A meta argument: a meta file (YAML/JSON), already-read sections, a function of the product
#: key giving either, or ``None`` for the shipped demo's meta of a demo product.
Meta = str | os.PathLike | Mapping | Callable[[tuple[str, str]], Any] | None


def _meta_for(meta: Meta, key: tuple[str, str]) -> dict:
    # the meta reader of `pcf report`: a file (with its checks) or the demo's for a demo product
    from pcf.demo.reports import load_meta

    if callable(meta):
        meta = meta(key)
    if isinstance(meta, Mapping):
        return dict(meta)
    return load_meta(meta, key)


def pact_documents(engine, results: Iterable, meta: Meta = None, version: int = 3) -> list[dict]:
    """The PACT documents (v3 or v2.3) of computed footprints ``results``
    (:class:`lca.footprint.FootprintResult`), each from the ``declaration`` of its meta.

    Raises
    ------
    InvalidDeclaration, ReportInputError, PactValidationError
        As ``pcf report pact`` (a meta file without a valid declaration, a document that
        fails validation).
    """
    from reports.pact import pact_from_meta

    docs = []
    for result in results:
        docs.append(pact_from_meta(engine, result, _meta_for(meta, tuple(result.product)), version))
    return docs


def publish_documents(
    store: Store, docs: Sequence[Mapping], sources: Sequence[str]
) -> list[PublishResult]:
    """Store our documents (:meth:`Store.publish`), ``sources[i]`` naming ``docs[i]`` in
    messages."""
    out = []
    for doc, source in zip(docs, sources, strict=True):
        r = store.publish(doc, source=source)
        log.info("%s: %s (%s)", source, r.pf_id, r.action)
        out.append(r)
    return out


def publish_results(
    store: Store, engine, results: Iterable, meta: Meta = None, *, version: int = 3
) -> list[PublishResult]:
    """Compute the PACT documents of ``results`` (footprints computed by ``engine``) and store
    them; returns one :class:`~pcf.node.store.PublishResult` per result, in order."""
    results = list(results)
    docs = pact_documents(engine, results, meta, version)  # all computed before any is stored
    return publish_documents(store, docs, ["|".join(r.product) for r in results])


def publish_products(
    store: Store,
    engine,
    keys: Iterable,
    meta: Meta = None,
    *,
    method: str | None = None,
    version: int = 3,
) -> list[PublishResult]:
    """Footprint each product ``keys`` (``"db|code"``, ``(db, code)`` or a unique activity
    name) with ``method`` (default: the engine's default, IPCC 2021 GWP100) and publish it
    (:func:`publish_results`)."""
    from pcf.options import DEFAULT_METHOD

    results = [engine.footprint(k, method or DEFAULT_METHOD) for k in keys]
    return publish_results(store, engine, results, meta, version=version)


def publish_to_store(
    engine,
    keys: Iterable,
    *,
    db: str | None = None,
    data_dir: str | os.PathLike | None = None,
    meta: Meta = None,
    method: str | None = None,
    version: int = 3,
) -> list[dict]:
    """:func:`publish_products` into the store ``pcf serve`` uses (``db`` > ``$PCF_DB_URL`` >
    ``pact-node.sqlite`` in ``data_dir``, the engine's data directory), opened and closed here.
    Returns ``{product, id, action, deprecated}`` per product, in order."""
    keys = list(keys)
    with _default_store(db, data_dir) as store:
        done = publish_products(store, engine, keys, meta, method=method, version=version)
    return _rows(keys, done)


def publish_files_to_store(
    files: Mapping,
    *,
    db: str | None = None,
    data_dir: str | os.PathLike | None = None,
) -> list[dict]:
    """Store PACT documents already written (``{product: path of its JSON document}``, the
    product as ``(db, code)`` or ``"db|code"``) in the store ``pcf serve`` uses (as
    :func:`publish_to_store`): what ``pcf demo`` calls for the declarations it has just
    written, so that what is served is exactly what was written, computed once. Every file is
    read before the first is stored. Returns ``{product, id, action, deprecated}`` per
    document, in order.

    Raises
    ------
    InvalidPCF
        A document fails strict PACT validation (:meth:`pcf.node.store.Store.publish`).
    OSError, ValueError
        A file cannot be read or is not JSON.
    """
    import json
    from pathlib import Path

    keys = list(files)
    docs = [json.loads(Path(files[k]).read_text(encoding="utf-8")) for k in keys]
    with _default_store(db, data_dir) as store:
        done = publish_documents(store, docs, [str(files[k]) for k in keys])
    return _rows(keys, done)


def _default_store(db, data_dir):
    from .store import open_store, resolve_db_url

    return open_store(resolve_db_url(db, data_dir))


def _rows(keys: Sequence, done: Sequence[PublishResult]) -> list[dict]:
    return [
        {
            "product": k if isinstance(k, str) else "|".join(k),
            "id": r.pf_id,
            "action": r.action,
            "deprecated": r.deprecated,
        }
        for k, r in zip(keys, done, strict=True)
    ]
