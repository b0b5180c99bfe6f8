"""Supplier product carbon footprints: PACT ProductFootprint JSON (v2.x, v3) or a simple table.

A supplier PCF enters the roll-up as a cradle-to-gate value per unit of the supplied part,
together with the data-quality facts PACT carries: the primary-data share (percent), the three
data-quality ratings (technological, geographical, temporal DQR, 1 best .. 5; PACT v2 allowed
1..3) and the reference period.

PACT documents are validated with ``jsonschema`` against ``#/components/schemas/ProductFootprint``
inside the PACT OpenAPI document of the matching major version (OpenAPI 3.1 schemas are JSON
Schema 2020-12), plus the rules the specification states in prose that the schema cannot
express (DQR between 1 and 5, primary-data share between 0 and 100). The OpenAPI documents are
WBCSD's and are not shipped with the engine: they are read from ``spec_dir``, else
``$PCF_PACT_SPEC_DIR``, else ``../shared/reference/pact`` next to the repository
(``<dir>/v2/openapi.yaml``, ``<dir>/v3/openapi.yaml``).

Footprint per unit. PACT v3 states ``pcfExcludingBiogenicUptake`` per *declared unit*, i.e. per
``declaredUnitAmount`` x ``declaredUnitOfMeasurement``; PACT v2 states ``pCfExcludingBiogenic``
per one ``declaredUnit``. :attr:`SupplierPCF.value` is always per one unit of
:attr:`SupplierPCF.unit`. The headline value is the PCF *excluding* biogenic uptake, as PACT
prescribes for roll-ups and for the data-quality weighting.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lca.errors import PCFError

from .errors import InvalidPCF
from .units import canonical

log = logging.getLogger(__name__)

ENV_SPEC_DIR = "PCF_PACT_SPEC_DIR"
DQR_FIELDS = ("technological", "geographical", "temporal")

#: PACT declared units -> the engine's unit table names (supply_chain.units.UNITS).
PACT_UNITS = {
    "liter": "liter", "kilogram": "kilogram", "cubic meter": "cubic meter",
    "kilowatt hour": "kilowatt hour", "megajoule": "megajoule", "ton kilometer": "ton kilometer",
    "square meter": "square meter", "piece": "piece", "hour": "hour",
    "megabit second": "megabit second",
}


@dataclass(frozen=True)
class SupplierPCF:
    """One supplier footprint, as the roll-up uses it.

    ``value`` is kg CO2e per one ``unit`` (excluding biogenic uptake). ``primary_data_share`` is
    a percentage (0-100) or ``None`` when not stated; ``dqr`` maps ``technological``,
    ``geographical``, ``temporal`` to ratings (1 best .. 5), empty when not stated.
    """

    id: str
    value: float
    unit: str
    product: str = ""
    company: str = ""
    product_ids: tuple[str, ...] = ()
    primary_data_share: float | None = None
    dqr: dict = field(default_factory=dict)
    reference_period: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    validity_period: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    status: str = "Active"
    value_including_biogenic: float | None = None
    fossil: float | None = None
    spec_version: str = ""
    source: str = ""

    def validity(self, on: dt.date | dt.datetime | None = None) -> tuple[bool, str]:
        """``(usable, reason)`` on date ``on`` (today when ``None``).

        Usable means status ``Active`` and ``on`` within the validity period. Without an explicit
        validity period PACT sets it to the 3 years after the reference period ends.

        >>> p = SupplierPCF("x", 1.0, "kilogram",
        ...                 reference_period=(None, dt.datetime(2024, 1, 1)))
        >>> p.validity(dt.date(2026, 6, 1)), p.validity(dt.date(2027, 6, 1))[0]
        ((True, 'valid'), False)
        """
        if self.status != "Active":
            return False, f"status is {self.status}"
        on = on or dt.date.today()
        day = on.date() if isinstance(on, dt.datetime) else on
        start, end = self.validity_period
        if end is None and self.reference_period[1] is not None:
            ref_end = self.reference_period[1]
            try:
                end = ref_end.replace(year=ref_end.year + 3)
            except ValueError:  # 29 February
                end = ref_end.replace(year=ref_end.year + 3, day=28)
        if start is not None and day < start.date():
            return False, f"validity starts {start.date()}"
        if end is not None and day > end.date():
            return False, f"validity ended {end.date()}"
        return True, "valid"


# -- PACT schema ---------------------------------------------------------------------------------
def spec_dir(path: str | os.PathLike | None = None) -> Path:
    """Directory holding ``v2/openapi.yaml`` and ``v3/openapi.yaml`` (see module doc)."""
    candidates = [path, os.environ.get(ENV_SPEC_DIR),
                  Path(__file__).resolve().parents[2] / "shared" / "reference" / "pact"]
    for c in candidates:
        if c and (Path(c) / "v3" / "openapi.yaml").exists():
            return Path(c)
    raise PCFError(
        "PACT OpenAPI documents not found: pass spec_dir or set "
        f"{ENV_SPEC_DIR} to a directory with v2/openapi.yaml and v3/openapi.yaml"
    )


def _major(version) -> str:
    v = str(version).lstrip("vV")
    major = v.split(".", 1)[0]
    if major not in ("2", "3"):
        raise PCFError(f"PACT version {version!r} is not supported (2.x or 3.x)")
    return major


@functools.cache
def _validator(major: str, directory: str):
    import yaml
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    with open(Path(directory) / f"v{major}" / "openapi.yaml", encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    uri = f"urn:pcf-engine:pact:v{major}:openapi"
    registry = Registry().with_resource(uri, Resource(contents=doc, specification=DRAFT202012))
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:  # jsonschema needs an extra package for this otherwise
        if not isinstance(value, str):
            return True
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("date-time needs a time zone (RFC 3339)")
        return True

    schema = {"$ref": f"{uri}#/components/schemas/ProductFootprint"}
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def _field_of(err) -> str:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [r for r in err.validator_value if r not in err.instance]
        path += missing[:1]
    return ".".join(path) or "(document)"


def validate_pact(doc: Mapping, version: str | int | None = None, *, source: str = "PACT",
                  spec_dir_path: str | os.PathLike | None = None) -> str:
    """Validate one PACT ProductFootprint against the PACT schema of ``version``.

    Parameters
    ----------
    doc
        One ProductFootprint object (not an API response wrapper).
    version
        ``"2"``/``"3"`` or a full version (``"2.3.0"``, ``"3.0.0"``); by default the document's
        own ``specVersion``.
    source
        What to call the document in an error (a file name).
    spec_dir_path
        Directory of the PACT OpenAPI documents (see :func:`spec_dir`).

    Returns
    -------
    str
        The major version validated against (``"2"`` or ``"3"``).

    Raises
    ------
    InvalidPCF
        Naming the failing field (dotted path, e.g. ``pcf.declaredUnitOfMeasurement``).

    Examples
    --------
    >>> import json
    >>> d = json.loads((spec_dir() / "v3" / "examples" / "example-1.json").read_text())
    >>> validate_pact(d)
    '3'
    >>> d["pcf"]["declaredUnitOfMeasurement"] = "bucket"
    >>> validate_pact(d)
    Traceback (most recent call last):
    ...
    supply_chain.errors.InvalidPCF: PACT: invalid supplier PCF, field 'pcf.declaredUnitOfMeasurement': 'bucket' is not one of [...]
    """
    if not isinstance(doc, Mapping):
        raise InvalidPCF(source, "(document)", "not a JSON object")
    version = version if version is not None else doc.get("specVersion")
    if version is None:
        raise InvalidPCF(source, "specVersion", "missing, and no version given")
    major = _major(version)
    validator = _validator(major, str(spec_dir(spec_dir_path)))
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), str(e.path)))
    if errors:
        from jsonschema.exceptions import best_match

        err = best_match(errors)
        raise InvalidPCF(source, _field_of(err), err.message)
    _check_prose_rules(doc, major, source)
    return major


def _check_prose_rules(doc: Mapping, major: str, source: str) -> None:
    """Rules of the PACT text that the schema leaves to prose."""
    pcf = doc.get("pcf", {})
    share = pcf.get("primaryDataShare")
    if share is not None:
        v = float(share)
        if not 0.0 <= v <= 100.0:
            raise InvalidPCF(source, "pcf.primaryDataShare", f"{share!r} is not within 0..100")
    dqi = pcf.get("dqi") or {}
    hi = 5.0 if major == "3" else 3.0
    for name in ("technologicalDQR", "geographicalDQR", "temporalDQR"):
        if name in dqi and not 1.0 <= float(dqi[name]) <= hi:
            raise InvalidPCF(source, f"pcf.dqi.{name}", f"{dqi[name]!r} is not within 1..{hi:g}")


# -- reading ---------------------------------------------------------------------------------
def _date(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _num(value) -> float | None:
    return None if value is None or value == "" else float(value)


def from_pact(doc: Mapping, *, source: str = "PACT", validate: bool = True,
              spec_dir_path: str | os.PathLike | None = None) -> SupplierPCF:
    """One PACT ProductFootprint (v2.x or v3) as a :class:`SupplierPCF` (validated first)."""
    major = (validate_pact(doc, source=source, spec_dir_path=spec_dir_path) if validate
             else _major(doc.get("specVersion", "3")))
    pcf = doc["pcf"]
    if major == "3":
        per = float(pcf["declaredUnitAmount"])
        unit = PACT_UNITS[pcf["declaredUnitOfMeasurement"]]
        value = float(pcf["pcfExcludingBiogenicUptake"]) / per
        incl = _num(pcf.get("pcfIncludingBiogenicUptake"))
        incl = incl / per if incl is not None else None
        fossil = _num(pcf.get("fossilGhgEmissions"))
        fossil = fossil / per if fossil is not None else None
    else:
        unit = PACT_UNITS[pcf["declaredUnit"]]
        value = float(pcf["pCfExcludingBiogenic"])
        incl = _num(pcf.get("pCfIncludingBiogenic"))
        fossil = _num(pcf.get("fossilGhgEmissions"))
    dqi = pcf.get("dqi") or {}
    dqr = {k: float(dqi[f"{k}DQR"]) for k in DQR_FIELDS if dqi.get(f"{k}DQR") is not None}
    return SupplierPCF(
        id=str(doc["id"]), value=value, unit=unit, product=doc.get("productNameCompany", ""),
        company=doc.get("companyName", ""), product_ids=tuple(doc.get("productIds", ())),
        primary_data_share=_num(pcf.get("primaryDataShare")), dqr=dqr,
        reference_period=(_date(pcf.get("referencePeriodStart")),
                          _date(pcf.get("referencePeriodEnd"))),
        validity_period=(_date(doc.get("validityPeriodStart")),
                         _date(doc.get("validityPeriodEnd"))),
        status=doc.get("status", "Active"), value_including_biogenic=incl, fossil=fossil,
        spec_version=str(doc.get("specVersion", "")), source=source,
    )


def read_pact(source, *, validate: bool = True,
              spec_dir_path: str | os.PathLike | None = None) -> list[SupplierPCF]:
    """Supplier PCFs from a PACT JSON file or object.

    Accepts one ProductFootprint, a list of them, or a PACT API response (``{"data": ...}``).
    Every footprint is validated (:func:`validate_pact`); the first invalid one raises
    :class:`~supply_chain.errors.InvalidPCF` naming the file, the footprint's index and the field.
    """
    name = "PACT"
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        try:
            with open(source, encoding="utf-8") as fh:
                source = json.load(fh)
        except json.JSONDecodeError as exc:
            raise InvalidPCF(name, "(document)", f"not JSON: {exc}") from None
    docs = source.get("data", source) if isinstance(source, Mapping) else source
    docs = [docs] if isinstance(docs, Mapping) else list(docs)
    return [
        from_pact(d, source=name if len(docs) == 1 else f"{name}[{i}]", validate=validate,
                  spec_dir_path=spec_dir_path)
        for i, d in enumerate(docs)
    ]


#: Columns of the simple supplier-PCF table (CSV); the first three are required.
TABLE_COLUMNS = ("id", "value", "unit", "product", "company", "primary_data_share",
                 "technological_dqr", "geographical_dqr", "temporal_dqr",
                 "reference_period_start", "reference_period_end", "status")


def read_pcf_table(path: str | os.PathLike) -> list[SupplierPCF]:
    """Supplier PCFs from a CSV table with the columns :data:`TABLE_COLUMNS`.

    ``value`` is kg CO2e per one ``unit`` (a name of :data:`supply_chain.units.UNITS`);
    ``primary_data_share`` in percent; DQRs 1..5; dates ISO 8601.

    Raises
    ------
    InvalidPCF
        Naming the file, the row (1-based, header is row 1) and the column.
    """
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in TABLE_COLUMNS[:3] if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidPCF(str(path), missing[0], "required column is missing")
        for rowno, row in enumerate(reader, start=2):
            out.append(_from_row(row, f"{path}, row {rowno}"))
    return out


def _from_row(row: Mapping, where: str) -> SupplierPCF:
    def number(col, lo=None, hi=None):
        raw = (row.get(col) or "").strip()
        if not raw:
            return None
        try:
            v = float(raw)
        except ValueError:
            raise InvalidPCF(where, col, f"{raw!r} is not a number") from None
        if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            raise InvalidPCF(where, col, f"{raw!r} is not within {lo}..{hi}")
        return v

    if not (row.get("id") or "").strip():
        raise InvalidPCF(where, "id", "empty")
    value = number("value")
    if value is None:
        raise InvalidPCF(where, "value", "empty")
    try:
        unit = canonical(row.get("unit"), where)
    except PCFError as exc:
        raise InvalidPCF(where, "unit", str(exc)) from None
    dqr = {k: number(f"{k}_dqr", 1, 5) for k in DQR_FIELDS}
    try:
        period = (_date((row.get("reference_period_start") or "").strip()),
                  _date((row.get("reference_period_end") or "").strip()))
    except ValueError as exc:
        raise InvalidPCF(where, "reference_period", str(exc)) from None
    return SupplierPCF(
        id=row["id"].strip(), value=value, unit=unit, product=(row.get("product") or "").strip(),
        company=(row.get("company") or "").strip(),
        primary_data_share=number("primary_data_share", 0, 100),
        dqr={k: v for k, v in dqr.items() if v is not None}, reference_period=period,
        status=(row.get("status") or "Active").strip(), source=where,
    )


def pcf_index(pcfs: Iterable[SupplierPCF]) -> dict[str, SupplierPCF]:
    """``{id: pcf}``; a PCF is also found by each of its product ids (URNs)."""
    out: dict[str, SupplierPCF] = {}
    for p in pcfs:
        out[p.id] = p
        for pid in p.product_ids:
            out.setdefault(pid, p)
    return out
