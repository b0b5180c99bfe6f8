"""PACT ProductFootprint documents as data: validate, read, write.

- :func:`validate_footprint` runs the engine's one PACT validator,
  :func:`supply_chain.pact_spec.validate_pact` (the official OpenAPI schema when it is available,
  and always our own data-model rules), raising :class:`PactValidationError` (a
  :class:`supply_chain.errors.InvalidPCF`) naming the first failing field.
- :func:`read_product_footprint` / :func:`write_pact` read and write any valid document (ours or
  a partner's); decimal strings become :class:`decimal.Decimal` and date-times
  :class:`datetime.datetime` (by the data model's field types, :mod:`supply_chain.pact_spec`), so
  a read–write round trip keeps the meaning exactly. Other companies' documents are read
  leniently: contradicting figures are logged, not refused (see :mod:`supply_chain.pact_spec`).
  (Reading a supplier's PACT document *into the roll-up* is :func:`supply_chain.read_pact`.)
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lca.files import write_atomic
from supply_chain import pact_spec
from supply_chain.errors import InvalidPCF

from ..errors import PactValidationError, ReportInputError
from .fields import format_datetime


def spec_major(doc: dict) -> int:
    """2 or 3, from the document's ``specVersion`` (:func:`supply_chain.pact_spec.pact_major`).

    >>> spec_major({"specVersion": "3.0.3"})
    3

    Raises
    ------
    PactValidationError
        Naming ``specVersion`` when it is missing or not 2.x or 3.x.
    """
    try:
        return int(pact_spec.document_major(doc))
    except InvalidPCF as exc:
        raise PactValidationError(exc.source, exc.field, exc.why) from None


def validate_footprint(doc: dict, version: int | None = None, *, strict: bool = True) -> None:
    """:func:`supply_chain.pact_spec.validate_pact`, raising :class:`PactValidationError`.

    ``strict=False`` (reading other companies' documents) logs contradicting figures and
    semantic findings instead of refusing them; ``strict=True`` (the documents we issue) also
    makes the semantic rules errors (``reports/pact/RULES.md``).

    Raises
    ------
    PactValidationError
        Naming the first failing field; ``errors`` lists every violation found.
    """
    version = version or spec_major(doc)
    try:
        pact_spec.validate_pact(
            doc, version, source=f"PACT v{version}", strict=strict, issued=strict
        )
    except InvalidPCF as exc:
        raise PactValidationError(exc.source, exc.field, exc.why, exc.errors) from None


@dataclass
class ProductFootprint:
    """A PACT ProductFootprint as read: ``data`` holds the document with decimals as
    :class:`~decimal.Decimal` and date-times as :class:`~datetime.datetime` (by the schema)."""

    version: int
    data: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def pcf_excluding_biogenic(self) -> Decimal:
        key = "pcfExcludingBiogenicUptake" if self.version == 3 else "pCfExcludingBiogenic"
        return self.data["pcf"][key]

    def to_json(self) -> dict:
        """Back to JSON types (decimal strings, RFC 3339 date-times)."""
        return _to_json(self.data)


def _to_json(value):
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return value


def _from_json(doc: dict, version: int) -> dict:
    """Decimal strings -> Decimal and date-times -> datetime, by the data model's field types
    (:mod:`supply_chain.pact_spec`); extensions and unknown fields are left as they are."""
    major = str(version)
    out = copy.deepcopy(doc)

    def dates(obj, names):
        for k in names:
            if isinstance(obj.get(k), str):
                obj[k] = pact_spec.parse_datetime(obj[k])

    dates(out, pact_spec.DATE_TIME_FIELDS[major])
    pcf = out.get("pcf")
    if isinstance(pcf, dict):
        dates(pcf, pact_spec.PCF_DATE_TIME_FIELDS)
        for obj, name in pact_spec.PCF_NESTED_DATE_TIME_FIELDS[major]:
            if isinstance(pcf.get(obj), dict):
                dates(pcf[obj], (name,))
        for k in pact_spec.DECIMAL_FIELDS[major]:
            if isinstance(pcf.get(k), str):
                pcf[k] = Decimal(pcf[k])
        dqi = pcf.get("dqi")
        if major == "3" and isinstance(dqi, dict):
            for k in pact_spec.DQR_NAMES:
                if isinstance(dqi.get(k), str):
                    dqi[k] = Decimal(dqi[k])
    return out


def _unwrap(doc: dict) -> dict:
    """A ProductFootprint from itself or an API response ``{"data": {...}}``."""
    if "pcf" not in doc and isinstance(doc.get("data"), dict):
        return doc["data"]
    return doc


def read_product_footprint(source: str | os.PathLike | dict) -> ProductFootprint:
    """Read and validate a ProductFootprint document (ours or a partner's), keeping it whole, from
    a file path or a dict (for re-issuing or re-writing it; to use a supplier's footprints in a
    roll-up, read them with :func:`supply_chain.read_pact`).

    Validation is lenient about contradicting figures (logged, see :func:`validate_footprint`).

    Raises
    ------
    ReportInputError
        The file cannot be read or is not JSON.
    PactValidationError
        Naming the first field that breaks the PACT data model.
    """
    if isinstance(source, dict):
        raw = source
    else:
        try:
            raw = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportInputError(source, f"cannot read PACT JSON ({exc})") from None
    raw = _unwrap(raw)
    version = spec_major(raw)
    validate_footprint(raw, version, strict=False)
    return ProductFootprint(version=version, data=_from_json(raw, version))


def write_pact(doc: dict | ProductFootprint, path: str | os.PathLike) -> Path:
    """Validate (strictly: we issue it) and write a ProductFootprint as JSON (atomically).

    Raises
    ------
    PactValidationError
        Naming the first field that breaks the PACT data model; nothing is written.
    """
    if isinstance(doc, ProductFootprint):
        version, doc = doc.version, doc.to_json()
    else:
        version = spec_major(doc)
    validate_footprint(doc, version)
    return write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
