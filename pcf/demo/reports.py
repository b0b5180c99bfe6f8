"""One of each document for a product, from one computed result (``pcf demo``, ``pcf report``).

Declaration metadata comes from a YAML/JSON file with sections ``declaration`` (PACT and
ISO 14067), ``battery`` (EU Battery Regulation) and ``study`` (ISO 14067 goal and scope). The
demo's declared products are the LFP and NMC811 EV battery packs (cell -> module -> pack for
LFP), per kWh of pack capacity; their metadata is ``pcf/demo/demo_meta.yaml`` (LFP) and
``pcf/demo/demo_meta_nmc811.yaml`` (fictitious company and ids). The battery declaration of each
is computed from its EU Battery Regulation product system
(``pcf-products-battery-regulation|<chem>-pack-eu-per-kwh``: the pack + distribution) and
checked against that system's per-kWh-delivered product.
"""

from __future__ import annotations

import logging
import os
from importlib.resources import files
from pathlib import Path

from lca.files import staged
from lca.methods import DEFAULT as DEFAULT_METHOD
from reports import (
    pact_from_meta,
    read_meta,
    supplier_workbook,
    write_battery_declaration,
    write_iso14067_report,
    write_pact,
)
from reports.battery import battery_declaration_for
from reports.errors import InvalidDeclaration
from reports.meta import section
from reports.render import normalize_lang
from reports.suppliers import SupplyChainBook, supply_chain_book, write_scorecard_csv

log = logging.getLogger(__name__)

_HERE = Path(str(files("pcf.demo")))
#: the demo's flagship product: the LFP EV battery pack per kWh of capacity
DEMO_PRODUCT = ("pcf-products-lfp-pack", "lfp-pack-per-kwh")
DEMO_META = _HERE / "demo_meta.yaml"
#: every declared product of the demo, with its meta file: the two packs, per kWh capacity
DEMO_PRODUCTS = {
    DEMO_PRODUCT: DEMO_META,
    ("pcf-products-nmc811", "nmc811-pack-per-kwh"): _HERE / "demo_meta_nmc811.yaml",
}
#: the other products a demo meta file describes (the per-kWh-delivered variants and the EU
#: Battery Regulation systems, for ``pcf report battery KEY``)
_ALSO = {
    ("pcf-products-lfp-pack", "lfp-pack-per-kwh-delivered"): DEMO_META,
    ("pcf-products-battery-regulation", "lfp-pack-eu-per-kwh"): DEMO_META,
    ("pcf-products-battery-regulation", "lfp-pack-eu-per-kwh-delivered"): DEMO_META,
    ("pcf-products-nmc811", "nmc811-pack-per-kwh-delivered"): DEMO_PRODUCTS[
        ("pcf-products-nmc811", "nmc811-pack-per-kwh")
    ],
    ("pcf-products-battery-regulation", "nmc811-pack-eu-per-kwh"): DEMO_PRODUCTS[
        ("pcf-products-nmc811", "nmc811-pack-per-kwh")
    ],
    ("pcf-products-battery-regulation", "nmc811-pack-eu-per-kwh-delivered"): DEMO_PRODUCTS[
        ("pcf-products-nmc811", "nmc811-pack-per-kwh")
    ],
}


def pact_name(product_key) -> str:
    """The file name of the PACT v3 declaration :func:`write_demo_reports` writes for
    ``product_key`` (``(db, code)``)."""
    return f"pact-v3-{product_key[1]}.json"


def demo_meta_path(product) -> Path | None:
    """The shipped meta file of a demo product (``(db, code)`` or ``"db|code"``), else None."""
    key = (
        tuple(product)
        if isinstance(product, (list, tuple))
        else (tuple(str(product).split("|", 1)) if product else None)
    )
    return DEMO_PRODUCTS.get(key) or _ALSO.get(key)


def load_meta(path: str | os.PathLike | None = None, product=None, lang: str = "en") -> dict:
    """Metadata sections from ``path`` (:func:`reports.read_meta`); without a path, the shipped
    demo's metadata for the demo product.

    For a language other than English, the file ``<stem>.<lang>.yaml`` beside ``path`` (when
    it exists) holds the translations of its free text, in the same sections
    (``declaration``, ``battery``, ``study``): each key it gives replaces the key of the main
    file (lists whole). Ids, codes, numbers and dates stay in the main file; the translation
    file is read with the same checks (no computed figures).

    Raises
    ------
    InvalidDeclaration
        No path, and ``product`` is not a demo product (:data:`DEMO_PRODUCTS`).
    ReportInputError
        As :func:`reports.read_meta`.
    """
    if path is None:
        path = demo_meta_path(product)
        if path is None:
            raise InvalidDeclaration(
                "meta",
                None,
                f"no declaration metadata for {product!r}: pass a YAML/JSON file "
                "with sections declaration, battery, study (see pcf/demo/demo_meta.yaml)",
            )
    stem = Path(path).stem
    main = Path(path).with_name(f"{stem.rsplit('.', 1)[0]}{Path(path).suffix}")
    tail = stem.rsplit(".", 1)[-1]
    if "." in stem and len(tail) == 2 and tail.isalpha() and tail.islower() and main.is_file():
        # demo_meta.zh.yaml beside demo_meta.yaml: a translation overlay, not a meta file (it
        # has no ids or numbers, so it would fail later with a missing-field error)
        raise InvalidDeclaration(
            "--meta",
            None,
            f"{path} is the {tail!r} translation of {main.name}: pass "
            f"--meta {main} --lang {tail} (the translation is read with it)",
        )
    meta = read_meta(path)
    lang = normalize_lang(lang)
    overlay = Path(path).with_name(f"{Path(path).stem}.{lang}.yaml")
    if lang != "en" and overlay.is_file():
        meta = _translated(meta, read_meta(overlay), overlay)
    return meta


def _translated(meta: dict, tr: dict, where: Path) -> dict:
    """``meta`` with the keys of the translation file ``tr`` replacing its own, section by
    section; a key the main file does not have is an error naming the translation file (a
    translation translates, it adds no data)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in meta.items()}
    for name, sec in tr.items():
        if not isinstance(sec, dict) or not isinstance(out.get(name), dict):
            raise InvalidDeclaration(f"{where.name}: {name}", None, "is not a section of the meta")
        for key, text in sec.items():
            if key not in out[name]:
                raise InvalidDeclaration(
                    f"{where.name}: {name}.{key}", None, "translates no key of the meta file"
                )
            out[name][key] = text
    return out


def demo_supply_chain_book(engine, method: str = DEFAULT_METHOD) -> SupplyChainBook:
    """The supplier workbook's content for the shipped illustrative battery pack
    (``inventories/bom/battery-pack-*``, the same files, target, year and study date as
    :func:`pcf.demo.supply_chain.demo_supply_chain`)."""
    from supply_chain import read_pact, read_pcf_table

    from . import supply_chain as sc

    return supply_chain_book(
        engine,
        method,
        sc.PACK_BOM,
        sc.PACK_SUPPLIERS,
        read_pact(sc.PACK_PACT) + read_pcf_table(sc.PACK_PCF_TABLE),
        sc.PACK_LEVERS,
        sc.PACK_BASELINE,
        sc.PACK_TARGET,
        sc.PACK_YEAR,
        sc.STUDY_DATE,
        currency=sc.PACK_COST_UNIT,
    )


def write_demo_reports(
    engine,
    product_key=DEMO_PRODUCT,
    out_dir="pcf-output/reports",
    uncertainty: dict | None = None,
    method: str = DEFAULT_METHOD,
    lang: str = "en",
    meta: dict | None = None,
    workbook: bool = True,
) -> list[Path]:
    """Write PACT v3 JSON, the battery declaration (JSON, HTML, PDF), the ISO 14067 report
    (HTML, PDF) and (``workbook``) the supplier workbook for ``product_key``, all from one
    footprint; the battery declaration from the meta's Annex II product system
    (:func:`reports.battery.battery_declaration_for`, checked against its per-kWh-delivered
    product); the workbook and its scorecard CSV hold the suppliers of the shipped illustrative
    battery pack (:func:`demo_supply_chain_book`); the ISO report shows no reduction plan (the
    illustrative pack's plan was computed on another product system).

    The language and the metadata are checked first, and the documents appear together at the
    end, all or none (:func:`lca.files.staged`)."""
    lang = normalize_lang(lang)
    # PACT is language-neutral (one footprint, one document, one id): the meta file's own text;
    # the documents for people take its translation for ``lang``
    pact_meta = meta or load_meta(None, product_key)
    meta = meta or load_meta(None, product_key, lang)
    result = engine.footprint(product_key, method)
    out = Path(out_dir)
    code = result.product[1]
    pact = pact_from_meta(engine, result, pact_meta, 3, uncertainty=uncertainty)
    decl = (
        battery_declaration_for(engine, product_key, meta["battery"], method)
        if meta.get("battery")
        else None
    )
    book = demo_supply_chain_book(engine, method) if workbook else None
    with staged(out):
        written = [write_pact(pact, out / pact_name(result.product))]
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
        )  # no reduction plan: the illustrative pack's plan is not this product system's
        if book is not None:
            written.append(supplier_workbook(result, out / f"suppliers-{code}.xlsx", book))
            written.append(write_scorecard_csv(book, out / f"suppliers-{code}.csv"))
    log.info("demo reports: %s", ", ".join(str(f) for f in written))
    return written
