"""One of each document for a product, from one computed result (``pcf demo``, ``pcf report``).

Declaration metadata comes from a YAML/JSON file with sections ``declaration`` (PACT and
ISO 14067), ``battery`` (EU Battery Regulation) and ``study`` (ISO 14067 goal and scope); the
shipped demo product's metadata is ``pcf/demo/demo_meta.yaml`` (fictitious company and ids).
"""

from __future__ import annotations

import json
import logging
import os
from importlib.resources import files
from pathlib import Path

import yaml

from reports.errors import InvalidDeclaration, ReportInputError

log = logging.getLogger(__name__)

DEMO_PRODUCT = ("pcf-products", "lfp-cell-per-kwh")
DEMO_META = Path(str(files("pcf.demo"))) / "demo_meta.yaml"


def load_meta(path: str | os.PathLike | None = None, product=None) -> dict:
    """Metadata sections from ``path`` (YAML or JSON); the demo's for the demo product."""
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
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ReportInputError(path, f"cannot read metadata ({exc})") from None
    if not isinstance(data, dict) or "declaration" not in data:
        raise ReportInputError(path, "needs a 'declaration' section")
    return data


def section(meta: dict, name: str, where: str = "meta"):
    if name not in meta or meta[name] is None:
        raise InvalidDeclaration(f"{where}.{name}", None, "section is missing")
    return meta[name]


def write_demo_reports(
    engine,
    product_key=DEMO_PRODUCT,
    out_dir="pcf-output/reports",
    uncertainty: dict | None = None,
    method: str = "gwp100",
    lang: str = "en",
    meta: dict | None = None,
) -> list[Path]:
    """Write PACT v3 JSON, the battery declaration (JSON, HTML, PDF), the ISO 14067 report
    (HTML, PDF) and the supplier workbook for ``product_key``, all from one footprint."""
    from reports.battery import battery_declaration, write_battery_declaration
    from reports.iso14067 import write_iso14067_report
    from reports.pact import pact_footprint, write_pact
    from reports.suppliers import supplier_workbook

    meta = meta or load_meta(None, product_key)
    result = engine.footprint(product_key, method)
    out = Path(out_dir)
    code = result.product[1]
    files = [
        write_pact(
            pact_footprint(result, section(meta, "declaration"), 3), out / f"pact-v3-{code}.json"
        )
    ]
    if meta.get("battery"):
        decl = battery_declaration(result, meta["battery"])
        files += write_battery_declaration(decl, out, lang=lang)
    files += write_iso14067_report(
        result,
        meta["declaration"],
        section(meta, "study"),
        out,
        lang=lang,
        uncertainty=uncertainty,
        engine=engine,
    )
    files.append(supplier_workbook(result, out / f"suppliers-{code}.xlsx"))
    log.info("demo reports: %s", ", ".join(str(f) for f in files))
    return files
