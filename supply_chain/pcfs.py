"""Supplier product carbon footprints: PACT ProductFootprint JSON (v2.x, v3) or a simple table.

A supplier PCF enters the roll-up as a cradle-to-gate value per unit of the supplied part,
together with the data-quality facts PACT carries: the primary-data share (percent), the three
data-quality ratings (technological, geographical, temporal DQR, 1 best .. 5; PACT v2 allowed
1..3) and the reference period.

PACT documents are validated by :func:`validate_pact` (:mod:`supply_chain.pact_spec`, the
engine's one PACT validator, re-exported here): against the official PACT OpenAPI schema when
it is available (read from ``spec_dir_path``, else ``$PCF_PACT_SPEC_DIR``, else
``../shared/reference/pact`` next to the repository; WBCSD's documents are not shipped with the
engine) and always against the engine's own data-model rules. Supplier documents are read
leniently (``strict=False``): figures that contradict each other are logged, not refused,
except the v3 identity ``pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake +
biogenicCO2Uptake`` (beyond the rounding of the stated figures), which is refused naming the
field and the three values: one of them is wrong and a reader cannot tell which. PACT v2 states
no such identity (``pCfIncludingBiogenic`` holds biogenic emissions v2 does not itemise).
Different PCFs for one product are refused or chosen by a rule in :mod:`.pcf_selection`.

Footprint per unit. PACT v3 states its figures per *declared unit*, i.e. per
``declaredUnitAmount`` x ``declaredUnitOfMeasurement``; PACT v2 per one ``declaredUnit``.
:attr:`SupplierPCF.value` is always per one unit of :attr:`SupplierPCF.unit`.

Boundary of :attr:`SupplierPCF.value`. A supplier PCF replaces a background value inside the
roll-up, so it must be on the engine's boundary: the IPCC-characterised total (GWP100), i.e.
fossil GHG + biogenic non-CO2 GHG (e.g. biogenic CH4) + direct land-use change, with biogenic
CO2 emissions and removals at 0 (IPCC methods give them a factor of 0, :mod:`lca.methods`).

======  =====================================================================================
PACT    ``SupplierPCF.value`` (per declared unit, then divided by its amount)
======  =====================================================================================
v2.x    ``pCfExcludingBiogenic``: by definition the PCF *excluding biogenic CO2 emissions*
        (fossil, dLUC, land management, other biogenic non-CO2); already the engine's boundary.
        ``iLucGhgEmissions`` and ``biogenicCarbonWithdrawal`` stay out, as in the v2 total.
v3      ``fossilGhgEmissions + landUseChangeGhgEmissions + biogenicNonCO2Emissions`` (the last
        two when stated; ``landUseChangeGhgEmissions`` replaces v2's ``dLucGhgEmissions``).
        ``landManagementFossilGhgEmissions``, ``aircraftGhgEmissions`` and
        ``packagingGhgEmissions`` are inside ``fossilGhgEmissions`` already and are not added.
        Left out: ``landManagementBiogenicCO2Emissions`` and ``...Removals`` (biogenic CO2),
        ``biogenicCO2Uptake``, ``technologicalCO2Removals`` and ``ccsTechnologicalCO2Capture``
        (CO2 removals and captures, whose fossil or biogenic origin is free text: not credited,
        the conservative reading) and ``landCarbonLeakage`` (iLUC placeholder).
======  =====================================================================================

v3's headline ``pcfExcludingBiogenicUptake`` holds, by the spec, also biogenic CO2 emissions
and removals (``fossilGhgEmissions + landUseChangeGhgEmissions +
landManagementBiogenicCO2Emissions + landManagementBiogenicCO2Removals +
technologicalCO2Removals + ccsTechnologicalCO2Capture + biogenicNonCO2Emissions``), which a v2
``pCfExcludingBiogenic`` and the background leave out; those of them the document states are
taken out of it (logged). When the headline and the sum of its stated parts agree (to the
precision stated), the value is the sum of the parts above. When they differ beyond rounding
(WBCSD's own examples 1, 2 and 4: example 4 declares 0.42 and itemises 0.371, -11.7 %), a
warning gives both values and (``value_from="headline"``, the default):

* a headline *above* its parts: the headline is used (less the biogenic CO2 parts it states).
  Why: the headline is the figure the supplier declares and has verified; the itemised fields
  are optional and may leave emissions out (the spec does not require them to add up), so
  valuing from them would silently under-count what the supplier reports;
* a headline *below* its parts: the parts are used. The difference can only be removals or
  captures the document does not itemise, which the engine's boundary does not credit (as it
  does not credit stated ones).

``value_from="parts"`` values every v3 document from its parts (still warning). The stated
headline is kept in :attr:`SupplierPCF.value_stated`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lca.errors import PCFError
from lca.files import open_text, parse_number, read_text
from lca.units import canonical

from .errors import InvalidPCF
from .pact_spec import (
    BIOGENIC_IDENTITY,
    STATUSES,
    pact_major,
    rounding_tolerance,
    validate_pact,
)

log = logging.getLogger(__name__)

DQR_FIELDS = ("technological", "geographical", "temporal")

#: PACT declared units -> the engine's unit table names (lca.units.UNITS).
PACT_UNITS = {
    "liter": "liter",
    "kilogram": "kilogram",
    "cubic meter": "cubic meter",
    "kilowatt hour": "kilowatt hour",
    "megajoule": "megajoule",
    "ton kilometer": "ton kilometer",
    "square meter": "square meter",
    "piece": "piece",
    "hour": "hour",
    "megabit second": "megabit second",
}


@dataclass(frozen=True)
class SupplierPCF:
    """One supplier footprint, as the roll-up uses it.

    ``value`` is kg CO2e per one ``unit`` on the engine's boundary (fossil + biogenic non-CO2 +
    dLUC, biogenic CO2 at 0; module doc); ``value_stated`` is the document's headline PCF
    excluding biogenic uptake per one ``unit`` (``None`` for a table row). ``primary_data_share`` is
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
    value_stated: float | None = None

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


# -- reading ---------------------------------------------------------------------------------
def _date(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _aware(d: dt.datetime) -> dt.datetime:
    """``d`` with a time zone (UTC when it has none), so that any two dates compare."""
    return d if d.tzinfo is not None else d.replace(tzinfo=dt.UTC)


def _num(value) -> float | None:
    return None if value is None or value == "" else float(value)


#: v3 parts that make up :attr:`SupplierPCF.value` (module doc), per declared unit.
V3_VALUE_PARTS = ("fossilGhgEmissions", "landUseChangeGhgEmissions", "biogenicNonCO2Emissions")
#: v3 parts of ``pcfExcludingBiogenicUptake`` left out of the value: biogenic CO2 emissions and
#: removals, technological removals and CCS captures.
V3_EXCLUDED_PARTS = (
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "technologicalCO2Removals",
    "ccsTechnologicalCO2Capture",
)


#: how a v3 value is taken when its headline and its itemised parts differ (module doc)
VALUE_FROM = ("headline", "parts")


def _v3_value(pcf: Mapping, source: str, value_from: str = "headline") -> float:
    """The value of a v3 CarbonFootprint per declared unit on the engine's boundary (module
    doc): ``fossilGhgEmissions + landUseChangeGhgEmissions + biogenicNonCO2Emissions``, or the
    headline less its stated biogenic CO2 parts when it exceeds them beyond rounding; logs what
    is left out and any difference with both values."""
    if value_from not in VALUE_FROM:
        raise ValueError(f"value_from must be one of {VALUE_FROM}, not {value_from!r}")

    def dec(name):
        raw = pcf.get(name)
        if raw is None or raw == "":
            return None
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            raise InvalidPCF(source, f"pcf.{name}", f"{raw!r} is not a decimal") from None

    parts = {k: dec(k) for k in V3_VALUE_PARTS}
    if parts["fossilGhgEmissions"] is None:
        raise InvalidPCF(
            source, "pcf.fossilGhgEmissions", "required: the footprint is valued from its parts"
        )
    left_out = {k: dec(k) for k in V3_EXCLUDED_PARTS}
    value = sum((v for v in parts.values() if v is not None), Decimal(0))
    nonzero = {k: v for k, v in left_out.items() if v}
    if nonzero:
        log.warning(
            "%s: biogenic CO2 emissions/removals and CO2 captures are left out of the supplier "
            "PCF (IPCC GWP100 gives biogenic CO2 a factor of 0): %s; value used %s kg CO2e per "
            "declared unit (fossil + land-use change + biogenic non-CO2)",
            source,
            ", ".join(f"{k} {v}" for k, v in nonzero.items()),
            value,
        )
    stated = dec("pcfExcludingBiogenicUptake")
    if stated is None:
        return float(value)
    known = [v for v in (*parts.values(), *left_out.values()) if v is not None]
    itemised = sum(known, Decimal(0))
    # "beyond rounding": the sum of the parts, rounded as the headline is stated, is not the
    # headline (half a unit in its last decimal place). The parts' own decimals are not
    # counted as imprecision: WBCSD's example 4 states land-use change as "0.2", and reading
    # it as anything in 0.15..0.25 would hide the -11.7 % gap between 0.42 and 0.371 the
    # issue is about; a gap that is only the parts' rounding costs a warning, and the
    # headline (above) or the parts (below) differ from each other by that rounding only.
    tol = rounding_tolerance(stated) if stated else Decimal(0)
    if abs(stated - itemised) <= tol:
        return float(value)
    listed = ", ".join(f"{k} {v}" for k, v in {**parts, **left_out}.items() if v is not None)
    diff = f"{(itemised - stated) / stated:+.1%} " if stated else ""
    headline = stated - sum((v for v in left_out.values() if v is not None), Decimal(0))
    if value_from == "headline" and stated > itemised:
        used = headline
        why = (
            "the headline is used (less its stated biogenic CO2 parts): it is what the "
            "supplier declares, and the parts may leave emissions out; value_from='parts' "
            "uses the parts"
        )
    else:
        used = value
        why = (
            "the parts are used (fossil + land-use change + biogenic non-CO2)"
            if value_from == "parts"
            else "the parts are used: the difference can only be removals or captures the "
            "document does not itemise, which the engine's boundary does not credit"
        )
    log.warning(
        "%s: pcfExcludingBiogenicUptake %s and the sum of its stated parts %s (%s) differ "
        "%sbeyond rounding (tolerance %s); %s: %s kg CO2e per declared unit",
        source,
        stated,
        itemised,
        listed,
        diff,
        tol,
        why,
        used,
    )
    return float(used)


def from_pact(
    doc: Mapping,
    *,
    source: str = "PACT",
    validate: bool = True,
    spec_dir_path: str | os.PathLike | None = None,
    value_from: str = "headline",
) -> SupplierPCF:
    """One PACT ProductFootprint (v2.x or v3) as a :class:`SupplierPCF` (validated first).
    ``value_from``: ``"headline"`` or ``"parts"``, how a v3 value is taken when its headline
    and itemised parts differ beyond rounding (module doc).

    Read leniently (other companies' documents), except that a v3 document breaking
    ``pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake + biogenicCO2Uptake`` beyond the
    rounding of its figures is refused (:class:`~supply_chain.errors.InvalidPCF` naming the
    field and the three values): one of them is wrong and the reader cannot tell which.
    """
    if not isinstance(doc, Mapping):
        raise InvalidPCF(
            source, "(document)", f"not a PACT ProductFootprint: it is {_json_kind(doc)}"
        )
    major = (
        validate_pact(
            doc,
            source=source,
            spec_dir_path=spec_dir_path,
            strict=False,
            refuse=(BIOGENIC_IDENTITY,),
        )
        if validate
        else pact_major(doc.get("specVersion", "3"))
    )
    pcf = doc["pcf"]
    if major == "3":
        per = float(pcf["declaredUnitAmount"])
        unit = PACT_UNITS[pcf["declaredUnitOfMeasurement"]]
        value = _v3_value(pcf, source, value_from) / per
        stated = float(pcf["pcfExcludingBiogenicUptake"]) / per
        incl = _num(pcf.get("pcfIncludingBiogenicUptake"))
        incl = incl / per if incl is not None else None
        fossil = _num(pcf.get("fossilGhgEmissions"))
        fossil = fossil / per if fossil is not None else None
    else:
        unit = PACT_UNITS[pcf["declaredUnit"]]
        value = stated = float(pcf["pCfExcludingBiogenic"])
        incl = _num(pcf.get("pCfIncludingBiogenic"))
        fossil = _num(pcf.get("fossilGhgEmissions"))
    dqi = pcf.get("dqi") or {}
    dqr = {k: float(dqi[f"{k}DQR"]) for k in DQR_FIELDS if dqi.get(f"{k}DQR") is not None}
    return SupplierPCF(
        id=str(doc["id"]),
        value=value,
        unit=unit,
        product=doc.get("productNameCompany", ""),
        company=doc.get("companyName", ""),
        product_ids=tuple(doc.get("productIds", ())),
        primary_data_share=_num(pcf.get("primaryDataShare")),
        dqr=dqr,
        reference_period=(
            _date(pcf.get("referencePeriodStart")),
            _date(pcf.get("referencePeriodEnd")),
        ),
        validity_period=(
            _date(doc.get("validityPeriodStart")),
            _date(doc.get("validityPeriodEnd")),
        ),
        status=doc.get("status", "Active"),
        value_including_biogenic=incl,
        fossil=fossil,
        spec_version=str(doc.get("specVersion", "")),
        source=source,
        value_stated=stated,
    )


def read_pact(
    source,
    *,
    validate: bool = True,
    spec_dir_path: str | os.PathLike | None = None,
    value_from: str = "headline",
) -> list[SupplierPCF]:
    """Supplier PCFs from a PACT JSON file or object.

    Accepts one ProductFootprint, a list of them, a PACT API response (``{"data": ...}``) or a
    PACT v3 event envelope (CloudEvents, ``{"type": ..., "data": {"pfs": [...]}}``: the
    ``PublishedEvent`` / ``RequestFulfilledEvent`` a partner sends). ``value_from``: see
    :func:`from_pact`.
    Every footprint is validated (:func:`validate_pact`); the first invalid one raises
    :class:`~supply_chain.errors.InvalidPCF` naming the file, the footprint's index and the field.
    """
    name = "PACT"
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        try:
            source = json.loads(read_text(source))
        except json.JSONDecodeError as exc:
            raise InvalidPCF(name, "(document)", f"not JSON: {exc}") from None
    docs = source.get("data", source) if isinstance(source, Mapping) else source
    if isinstance(docs, Mapping) and "pfs" in docs and "specVersion" not in docs:
        docs = docs["pfs"]  # an event envelope: its footprints
        if isinstance(source, Mapping) and source.get("type"):
            log.info("%s: %s event, %s footprint(s)", name, source["type"], _count(docs))
    if isinstance(docs, Mapping):
        docs = [docs]
    elif not isinstance(docs, (list, tuple)) or not docs:
        raise InvalidPCF(
            name,
            "(document)",
            f"not a PACT ProductFootprint: the file holds {_json_kind(docs)}"
            ' (expected an object, a list of them or {"data": [...]})',
        )
    else:
        docs = list(docs)
    return [
        from_pact(
            d,
            source=name if len(docs) == 1 else f"{name}[{i}]",
            validate=validate,
            spec_dir_path=spec_dir_path,
            value_from=value_from,
        )
        for i, d in enumerate(docs)
    ]


def _count(docs) -> str:
    return str(len(docs)) if isinstance(docs, (list, tuple)) else "no list of"


def _json_kind(value) -> str:
    """What a JSON value is, for a message (``null``, ``an empty list``, ``a string``, ...)."""
    if value is None or isinstance(value, (list, tuple)):
        return "null" if value is None else ("a list" if value else "an empty list")
    return {bool: "true/false", str: "a string"}.get(type(value), "a number")


#: Columns of the simple supplier-PCF table (CSV); the first three are required.
TABLE_COLUMNS = (
    "id",
    "value",
    "unit",
    "product",
    "company",
    "primary_data_share",
    "technological_dqr",
    "geographical_dqr",
    "temporal_dqr",
    "reference_period_start",
    "reference_period_end",
    "status",
)


#: Status names by their lower case (statuses are matched ignoring case).
_STATUS_BY_LOWER = {s.lower(): s for s in STATUSES}
#: The DQR columns of the table with the rating each fills.
_DQR_COLUMNS = tuple((k, f"{k}_dqr") for k in DQR_FIELDS)


def read_pcf_table(path: str | os.PathLike) -> list[SupplierPCF]:
    """Supplier PCFs from a CSV table with the columns :data:`TABLE_COLUMNS`.

    ``value`` is kg CO2e per one ``unit`` (a name of :data:`lca.units.UNITS`);
    ``primary_data_share`` in percent; DQRs 1..5; dates ISO 8601.

    Raises
    ------
    InvalidPCF
        Naming the file, the row (1-based, header is row 1) and the column.
    """
    out = []
    # csv.reader and a dict per row of the table's own columns, read as csv.DictReader reads
    # them (blank lines skipped, rows counted without them, missing cells absent) without its
    # per-row overhead; a unit cell's table name is looked up once per distinct text (a table
    # of thousands of PCFs repeats a few); every other cell is checked on every row
    units: dict = {}
    with open_text(path) as fh:
        reader = csv.reader(fh)
        fields = next(reader, None)
        missing = [c for c in TABLE_COLUMNS[:3] if c not in (fields or ())]
        if missing:
            raise InvalidPCF(str(path), missing[0], "required column is missing")
        index = {c: i for i, c in enumerate(fields)}  # a repeated name: its last column
        cols = [(c, index[c]) for c in TABLE_COLUMNS if c in index]
        rowno = 1
        for cells in reader:
            if not cells:
                continue
            rowno += 1
            n = len(cells)
            row = {c: cells[i] for c, i in cols if i < n}
            out.append(_from_row(row, f"{path}, row {rowno}", units))
    if not out:
        raise InvalidPCF(str(path), "(table)", "no rows: the file holds a header only")
    return out


def _number(raw, col: str, where: str, lo=None, hi=None) -> float | None:
    """The number in cell ``raw`` of column ``col`` (None when empty), within ``lo..hi``."""
    raw = raw.strip() if raw else ""
    if not raw:
        return None
    try:
        return parse_number(raw, lo=lo, hi=hi)
    except ValueError as exc:
        if str(exc) == "not a number":
            why = "is not a number"
        elif lo is not None and hi is not None:
            why = f"is not within {lo}..{hi}"
        else:  # "must be a finite number >= 0", "... is too large ..."
            why = f"is refused: {exc}"
        raise InvalidPCF(where, col, f"{raw!r} {why}") from None


def _from_row(row: Mapping, where: str, units: dict | None = None) -> SupplierPCF:
    """One table row (column -> cell) as a :class:`SupplierPCF`; ``units`` keeps the table
    names of the unit cells already checked (cell -> name), for the next rows."""
    get = row.get
    ident = (get("id") or "").strip()
    if not ident:
        raise InvalidPCF(where, "id", "empty")
    value = _number(get("value"), "value", where, 0)  # engine's boundary: never < 0
    if value is None:
        raise InvalidPCF(where, "value", "empty")
    raw_unit = get("unit")
    unit = units.get(raw_unit) if units is not None else None
    if unit is None:
        try:
            unit = canonical(raw_unit, where)
        except PCFError as exc:
            raise InvalidPCF(where, "unit", str(exc)) from None
        if units is not None:
            units[raw_unit] = unit
    dqr = {}
    for k, col in _DQR_COLUMNS:
        raw = get(col)
        if raw:
            v = _number(raw, col, where, 1, 5)
            if v is not None:
                dqr[k] = v
    raw_start, raw_end = get("reference_period_start"), get("reference_period_end")
    if raw_start or raw_end:
        try:
            period = (_date((raw_start or "").strip()), _date((raw_end or "").strip()))
        except ValueError as exc:
            raise InvalidPCF(where, "reference_period", str(exc)) from None
        start, end = period
        if start is not None and end is not None and _aware(end) <= _aware(start):
            raise InvalidPCF(
                where,
                "reference_period_start",
                f"{start.isoformat()} is not before reference_period_end {end.isoformat()}",
            )
    else:
        period = (None, None)
    status = (get("status") or "Active").strip()
    known = _STATUS_BY_LOWER.get(status.lower())
    if known is None:
        raise InvalidPCF(where, "status", f"{status!r} is not one of {list(STATUSES)}")
    return SupplierPCF(
        id=ident,
        value=value,
        unit=unit,
        product=(get("product") or "").strip(),
        company=(get("company") or "").strip(),
        primary_data_share=_number(get("primary_data_share"), "primary_data_share", where, 0, 100),
        dqr=dqr,
        reference_period=period,
        status=known,
        source=where,
    )
