"""One of each document for a product, from one computed result (``pcf demo``, ``pcf report``).

Declaration metadata comes from a YAML/JSON file with sections ``declaration`` (PACT and
ISO 14067), ``battery`` (EU Battery Regulation) and ``study`` (ISO 14067 goal and scope); the
shipped demo product's metadata is ``pcf/demo/demo_meta.yaml`` (fictitious company and ids).
"""

from __future__ import annotations

import logging
import os
from importlib.resources import files
from pathlib import Path

from lca.files import staged
from lca.methods import DEFAULT as DEFAULT_METHOD
from reports import (
    battery_declaration,
    pact_footprint,
    read_meta,
    supplier_workbook,
    write_battery_declaration,
    write_iso14067_report,
    write_pact,
)
from reports.errors import InvalidDeclaration
from reports.meta import section
from reports.render import normalize_lang

log = logging.getLogger(__name__)

DEMO_PRODUCT = ("pcf-products", "lfp-cell-per-kwh")
DEMO_META = Path(str(files("pcf.demo"))) / "demo_meta.yaml"


def load_meta(path: str | os.PathLike | None = None, product=None) -> dict:
    """Metadata sections from ``path`` (:func:`reports.read_meta`); without a path, the shipped
    demo's metadata for the demo product.

    Raises
    ------
    InvalidDeclaration
        No path, and ``product`` is not the demo product.
    ReportInputError
        As :func:`reports.read_meta`.
    """
    if path is None:
        key = (
            tuple(product)
            if isinstance(product, (list, tuple))
            else (tuple(str(product).split("|", 1)) if product else None)
        )
        if key != DEMO_PRODUCT:
            raise InvalidDeclaration(
                "meta",
                None,
                f"no declaration metadata for {product!r}: pass a YAML/JSON file "
                "with sections declaration, battery, study (see pcf/demo/demo_meta.yaml)",
            )
        path = DEMO_META
    return read_meta(path)


def write_demo_reports(
    engine,
    product_key=DEMO_PRODUCT,
    out_dir="pcf-output/reports",
    uncertainty: dict | None = None,
    method: str = DEFAULT_METHOD,
    lang: str = "en",
    meta: dict | None = None,
) -> list[Path]:
    """Write PACT v3 JSON, the battery declaration (JSON, HTML, PDF), the ISO 14067 report
    (HTML, PDF) and the supplier workbook for ``product_key``, all from one footprint.

    The language and the metadata are checked first, and the documents appear together at the
    end, all or none (:func:`lca.files.staged`)."""
    lang = normalize_lang(lang)
    meta = meta or load_meta(None, product_key)
    result = engine.footprint(product_key, method)
    out = Path(out_dir)
    code = result.product[1]
    pact = pact_footprint(result, section(meta, "declaration"), 3)
    decl = battery_declaration(result, meta["battery"]) if meta.get("battery") else None
    with staged(out):
        written = [write_pact(pact, out / f"pact-v3-{code}.json")]
        if decl is not None:
            written += write_battery_declaration(decl, out, lang=lang)
        written += write_iso14067_report(
            result,
            meta["declaration"],
            section(meta, "study"),
            out,
            lang=lang,
            uncertainty=uncertainty,
            engine=engine,
        )
        written.append(supplier_workbook(result, out / f"suppliers-{code}.xlsx"))
    log.info("demo reports: %s", ", ".join(str(f) for f in written))
    return written
