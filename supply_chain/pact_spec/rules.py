"""The engine's own PACT data-model rules: what keeps a document honest without the official
schema, and the rules the schema states only in prose (DQR ranges, the biogenic identity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from .model import (
    AR_RE,
    COUNTRY_RE,
    CROSS_SECTORAL_STANDARDS_USED_V2,
    CROSS_SECTORAL_STANDARDS_V2,
    DATE_TIME_FIELDS,
    DECIMAL_FIELDS,
    DECIMAL_RE,
    DECLARED_UNITS,
    DQR_MAX,
    DQR_NAMES,
    EXEMPTED_MAX,
    GEOGRAPHY_FIELDS,
    PCF_NESTED_DATE_TIME_FIELDS,
    PCF_REQUIRED,
    REQUIRED,
    SEMVER_RE,
    SIGN_ANY,
    SIGN_NEG0,
    SIGN_POS,
    SIGN_POS0,
    STATUSES,
    SUBDIVISION_RE,
    UN_M49_REGIONS,
    URN_RE,
    is_uuid,
    parse_datetime,
)
from .schema import json_path

#: The v3 identity pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake + biogenicCO2Uptake
#: (PACT v3 data model, x-comment of pcfIncludingBiogenicUptake); the field it is reported on.
BIOGENIC_IDENTITY = "pcf.pcfIncludingBiogenicUptake"


# -- our own data-model rules ---------------------------------------------------------------------
class _Check:
    """Collects ``(field, message)`` pairs while walking one document."""

    def __init__(self, major: str):
        self.major = major
        self.errors: list[tuple[str, str]] = []
        self.consistency: list[tuple[str, str]] = []

    def fail(self, path, why: str) -> None:
        self.errors.append((json_path(path), why))

    def required(self, obj: Mapping, names, path) -> None:
        for n in names:
            if n not in obj:
                self.fail([*path, n], "is a required property")

    def string(self, obj, name, path, *, nonempty=False) -> str | None:
        if name not in obj:
            return None
        v = obj[name]
        if not isinstance(v, str):
            self.fail([*path, name], f"{v!r} is not a string")
            return None
        if nonempty and not v:
            self.fail([*path, name], "must not be empty")
            return None
        return v

    def enum(self, obj, name, allowed, path) -> None:
        if name in obj and obj[name] not in allowed:
            self.fail([*path, name], f"{obj[name]!r} is not one of {list(allowed)}")

    def date_time(self, obj, name, path) -> dt.datetime | None:
        if name not in obj:
            return None
        try:
            return parse_datetime(obj[name])
        except ValueError as exc:
            self.fail([*path, name], str(exc))
            return None

    def string_list(self, obj, name, path, ok=None, what="") -> None:
        if name not in obj:
            return
        v = obj[name]
        if not isinstance(v, list) or not v:
            self.fail([*path, name], f"{v!r} is not a non-empty list")
            return
        for i, item in enumerate(v):
            if not isinstance(item, str) or (ok is not None and not ok(item)):
                self.fail([*path, name, i], f"{item!r} is not {what or 'a string'}")
        if len(set(map(repr, v))) != len(v):
            self.fail([*path, name], "has duplicate items")

    def decimal(self, obj, name, path, sign=SIGN_ANY) -> Decimal | None:
        if name not in obj:
            return None
        v = obj[name]
        if not isinstance(v, str) or not DECIMAL_RE.fullmatch(v):
            self.fail([*path, name], f'{v!r} is not a decimal string (e.g. "1.25")')
            return None
        d = Decimal(v)
        if (
            (sign == SIGN_POS and not d > 0)
            or (sign == SIGN_POS0 and d < 0)
            or (sign == SIGN_NEG0 and d > 0)
        ):
            self.fail([*path, name], f"{v!r} must be {sign}")
            return None
        return d

    def number(self, obj, name, path) -> Decimal | None:
        """A JSON number (PACT v2 percentages and ratings)."""
        if name not in obj:
            return None
        v = obj[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail([*path, name], f"{v!r} is not a number")
            return None
        return Decimal(str(v))

    def within(self, value: Decimal | None, lo, hi, path) -> None:
        if value is not None and not lo <= value <= hi:
            self.fail(path, f"{value} is not within {lo}..{hi}")


def rule_errors(doc: Mapping, major: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Check ``doc`` against the engine's own PACT data-model rules for ``major`` "3" or "2".

    Returns ``(errors, inconsistencies)``, each a list of ``(field, message)`` in document order;
    inconsistencies are the figures that contradict each other (see the module doc).
    """
    c = _Check(major)
    if not isinstance(doc, Mapping):
        c.fail([], "is not a JSON object")
        return c.errors, c.consistency
    c.required(doc, REQUIRED[major], [])
    if "id" in doc and not is_uuid(doc["id"]):
        c.fail(["id"], f"{doc['id']!r} is not a UUID")
    sv = c.string(doc, "specVersion", [])
    if sv is not None and not SEMVER_RE.fullmatch(sv):
        c.fail(["specVersion"], f"{sv!r} is not a version like 3.0.1")
    c.string_list(doc, "precedingPfIds", [], is_uuid, "a UUID")
    if major == "2" and "version" in doc:
        v = doc["version"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            c.fail(["version"], f"{v!r} is not an integer >= 0")
    for name in DATE_TIME_FIELDS[major]:
        c.date_time(doc, name, [])
    c.enum(doc, "status", STATUSES, [])
    for name in ("companyName", "productNameCompany", "productCategoryCpc"):
        c.string(doc, name, [], nonempty=True)
    for name in ("productDescription", "comment", "statusComment"):
        c.string(doc, name, [])
    for name in ("companyIds", "productIds", "productClassifications"):
        c.string_list(doc, name, [], lambda s: bool(URN_RE.fullmatch(s)), "a URN (urn:...)")
    pcf = doc.get("pcf")
    if "pcf" in doc and not isinstance(pcf, Mapping):
        c.fail(["pcf"], "is not a JSON object")
    elif isinstance(pcf, Mapping):
        _pcf_rules(c, pcf, major)
    return c.errors, c.consistency


def _pcf_rules(c: _Check, pcf: Mapping, major: str) -> None:
    """The rules of the ``pcf`` object of a PACT ``major`` ("2" or "3") document, in order."""
    at = ["pcf"]
    c.required(pcf, PCF_REQUIRED[major], at)
    c.enum(
        pcf,
        "declaredUnitOfMeasurement" if major == "3" else "declaredUnit",
        DECLARED_UNITS[major],
        at,
    )
    figures = {name: c.decimal(pcf, name, at, sign) for name, sign in DECIMAL_FIELDS[major].items()}
    start = c.date_time(pcf, "referencePeriodStart", at)
    end = c.date_time(pcf, "referencePeriodEnd", at)
    for obj, name in PCF_NESTED_DATE_TIME_FIELDS[major]:
        if isinstance(pcf.get(obj), Mapping):
            c.date_time(pcf[obj], name, [*at, obj])
    _geography(c, pcf, at)
    _descriptions(c, pcf, at)
    if major == "3":
        _v3_fields(c, pcf, at, figures)
    else:
        _v2_fields(c, pcf, at, major)
    _dqi(c, pcf, at, major)
    _consistency(c, pcf, major, figures, start, end)


def _geography(c: _Check, pcf: Mapping, at: list) -> None:
    """At most one geography field, each a region, an ISO country or subdivision code."""
    given = [k for k in pcf if k in GEOGRAPHY_FIELDS]  # document order
    for extra in given[1:]:
        c.fail([*at, extra], f"only one geography field may be given, found {given}")
    c.enum(pcf, "geographyRegionOrSubregion", UN_M49_REGIONS, at)
    for name, pattern, what in (
        ("geographyCountry", COUNTRY_RE, "an ISO 3166-1 alpha-2 code"),
        ("geographyCountrySubdivision", SUBDIVISION_RE, "an ISO 3166-2 code"),
    ):
        v = c.string(pcf, name, at)
        if v is not None and not pattern.fullmatch(v):
            c.fail([*at, name], f"{v!r} is not {what}")


def _descriptions(c: _Check, pcf: Mapping, at: list) -> None:
    """``packagingEmissionsIncluded`` a boolean; the free-text descriptions strings."""
    if "packagingEmissionsIncluded" in pcf and not isinstance(
        pcf["packagingEmissionsIncluded"], bool
    ):
        c.fail([*at, "packagingEmissionsIncluded"], "is not true or false")
    for name in (
        "boundaryProcessesDescription",
        "exemptedEmissionsDescription",
        "allocationRulesDescription",
        "uncertaintyAssessmentDescription",
    ):
        c.string(pcf, name, at)


def _v3_fields(c: _Check, pcf: Mapping, at: list, figures: Mapping) -> None:
    """v3: IPCC reports, standards, exempted-emissions and primary-data percentages."""
    c.string_list(
        pcf,
        "ipccCharacterizationFactors",
        at,
        lambda s: bool(AR_RE.fullmatch(s)),
        "an IPCC report (AR5, AR6, ...)",
    )
    c.string_list(pcf, "crossSectoralStandards", at)
    c.within(
        figures["exemptedEmissionsPercent"],
        0,
        EXEMPTED_MAX["3"],
        [*at, "exemptedEmissionsPercent"],
    )
    c.within(figures["primaryDataShare"], 0, 100, [*at, "primaryDataShare"])


def _v2_fields(c: _Check, pcf: Mapping, at: list, major: str) -> None:
    """v2: characterisation factors, standards, exempted-emissions and primary-data shares."""
    c.enum(pcf, "characterizationFactors", ("AR5", "AR6"), at)
    c.string_list(
        pcf,
        "ipccCharacterizationFactorsSources",
        at,
        lambda s: bool(AR_RE.fullmatch(s)),
        "an IPCC report (AR5, AR6, ...)",
    )
    c.string_list(
        pcf,
        "crossSectoralStandardsUsed",
        at,
        lambda s: s in CROSS_SECTORAL_STANDARDS_USED_V2,
        f"one of {list(CROSS_SECTORAL_STANDARDS_USED_V2)}",
    )
    c.string_list(
        pcf,
        "crossSectoralStandards",
        at,
        lambda s: s in CROSS_SECTORAL_STANDARDS_V2,
        f"one of {list(CROSS_SECTORAL_STANDARDS_V2)}",
    )
    for name, hi in (
        ("exemptedEmissionsPercent", EXEMPTED_MAX[major]),
        ("primaryDataShare", Decimal(100)),
    ):
        c.within(c.number(pcf, name, at), 0, hi, [*at, name])


def _dqi(c: _Check, pcf: Mapping, at: list, major: str) -> None:
    """The data-quality indicators: required names, each within its range."""
    dqi = pcf.get("dqi")
    if "dqi" in pcf and not isinstance(dqi, Mapping):
        c.fail([*at, "dqi"], "is not a JSON object")
    elif isinstance(dqi, Mapping):
        where = [*at, "dqi"]
        names = DQR_NAMES if major == "3" else (*DQR_NAMES, "completenessDQR", "reliabilityDQR")
        c.required(dqi, names if major == "3" else ("coveragePercent", *names), where)
        for name in names:
            value = c.decimal(dqi, name, where) if major == "3" else c.number(dqi, name, where)
            c.within(value, 1, DQR_MAX[major], [*where, name])
        if major == "2":
            c.within(c.number(dqi, "coveragePercent", where), 0, 100, [*where, "coveragePercent"])


def _consistency(c: _Check, pcf: Mapping, major: str, figures: Mapping, start, end) -> None:
    """The biogenic identity (v3) and the reference period's order, as consistency findings."""
    # consistency of the figures (errors for what we issue; see the module doc)
    if major == "3":
        excl, incl = figures["pcfExcludingBiogenicUptake"], figures["pcfIncludingBiogenicUptake"]
        uptake = figures["biogenicCO2Uptake"]
        stated = "biogenicCO2Uptake" in pcf
        tol = rounding_tolerance(*(v for v in (excl, incl, uptake) if v is not None))
        if not stated:  # x-rule BIO: an uptake is stated whenever there is one, so none is 0
            uptake = Decimal(0)
        if None not in (excl, incl, uptake) and abs(incl - (excl + uptake)) > tol:
            named = f"biogenicCO2Uptake {uptake}" if stated else "biogenicCO2Uptake (not stated) 0"
            why = (
                f"{incl} != pcfExcludingBiogenicUptake {excl} + {named} = "
                f"{excl + uptake} (tolerance {tol}: half a unit in the last stated decimal "
                "place of each figure)"
            )
            c.consistency.append((BIOGENIC_IDENTITY, why))
    # v2 has no such identity: pCfIncludingBiogenic holds every biogenic emission, which v2
    # does not itemise (biogenicCarbonWithdrawal is the carbon content, not an emission)
    if start is not None and end is not None and end <= start:
        c.consistency.append(
            (
                "pcf.referencePeriodEnd",
                f"{pcf['referencePeriodEnd']} is not after referencePeriodStart",
            )
        )


def rounding_tolerance(*figures: Decimal) -> Decimal:
    """How far a sum of the stated figures may be off from rounding them: half a unit in the
    last stated decimal place of each (``0.384``, ``-1.61``, ``-1.23`` -> 0.0105)."""
    return sum((Decimal(1).scaleb(f.as_tuple().exponent) / 2 for f in figures), Decimal(0))
