"""The engine's one validator of PACT (WBCSD Pathfinder) ProductFootprint documents (v2.x, v3).

:func:`validate_pact` runs two checks and raises :class:`~supply_chain.errors.InvalidPCF`
naming the first failing field (a JSON path such as ``pcf.dqi.temporalDQR`` or
``companyIds[0]``):

1. **The official schema**, when it is available: ``jsonschema`` (Draft 2020-12) over
   ``#/components/schemas/ProductFootprint`` of WBCSD's PACT OpenAPI document of the matching
   major version (``<dir>/v3/openapi.yaml``, ``<dir>/v2/openapi.yaml``). The documents are
   WBCSD's, licensed for verbatim non-commercial copies, so the engine neither ships them nor
   anything derived from them. ``<dir>`` is the ``spec_dir_path`` argument, else
   ``$PCF_PACT_SPEC_DIR``, else ``../shared/reference/pact`` beside the project; the first of
   these that is *given* is used. When it holds no OpenAPI document for the version, this step
   is skipped and a WARNING is logged once (per directory and version).
2. **The data-model rules**, always: our own checks written from the published facts of the
   PACT data model (required fields, enums, decimal strings, UUIDs, URNs, exactly one geography,
   ranges of DQRs and percentages, the biogenic-uptake identity). They are what keeps a
   document honest on a machine without the spec, and they also cover the rules the spec states
   only in prose (DQR 1-5, primaryDataShare 0-100, pcfIncludingBiogenicUptake =
   pcfExcludingBiogenicUptake + biogenicCO2Uptake to the precision the figures are stated in),
   which the official schema cannot express.

Consistency rules (the biogenic identity; the reference period ending after it starts) are
errors for the documents we issue (``strict=True``, the default). Readers of other companies'
documents pass ``strict=False``: the inconsistency is then logged as a warning, because even
WBCSD's own v3 response examples state pcfIncludingBiogenicUptake 1.63 for
pcfExcludingBiogenicUptake 1.85 and biogenicCO2Uptake -1.5.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from lca.errors import PCFError

from .errors import InvalidPCF

log = logging.getLogger(__name__)

ENV_SPEC_DIR = "PCF_PACT_SPEC_DIR"
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "pact"

# -- facts of the data model (PACT Technical Specifications v3.0 and v2.3, STANDARDS.md) ---------
STATUSES = ("Active", "Deprecated")

#: Declared units of PACT v3 (``declaredUnitOfMeasurement``); v2 (``declaredUnit``) has the
#: first seven only.
DECLARED_UNITS = {
    "3": ("liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "ton kilometer",
          "square meter", "piece", "hour", "megabit second"),
    "2": ("liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "ton kilometer",
          "square meter"),
}

#: UN M49 regions and sub-regions PACT accepts in ``geographyRegionOrSubregion``.
UN_M49_REGIONS = (
    "Africa", "Americas", "Asia", "Europe", "Oceania",
    "Australia and New Zealand", "Central Asia", "Eastern Asia", "Eastern Europe",
    "Latin America and the Caribbean", "Melanesia", "Micronesia", "Northern Africa",
    "Northern America", "Northern Europe", "Polynesia", "South-eastern Asia", "Southern Asia",
    "Southern Europe", "Sub-Saharan Africa", "Western Asia", "Western Europe",
)
GEOGRAPHY_FIELDS = ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")

#: v2.3 ``crossSectoralStandards`` values (v3 leaves the list open) and the deprecated, but
#: required, v2 ``crossSectoralStandardsUsed`` values.
CROSS_SECTORAL_STANDARDS_V2 = ("ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF",
                               "PACT-1.0", "PACT-2.0", "PACT-3.0")
CROSS_SECTORAL_STANDARDS_USED_V2 = ("GHG Protocol Product standard", "ISO Standard 14067",
                                    "ISO Standard 14044")

REQUIRED = {
    "3": ("id", "specVersion", "created", "status", "companyName", "companyIds",
          "productDescription", "productIds", "productNameCompany", "pcf"),
    "2": ("id", "specVersion", "version", "created", "status", "comment", "companyName",
          "companyIds", "productDescription", "productIds", "productCategoryCpc",
          "productNameCompany", "pcf"),
}
PCF_REQUIRED = {
    "3": ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
          "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
          "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
          "ipccCharacterizationFactors", "crossSectoralStandards", "exemptedEmissionsPercent"),
    "2": ("declaredUnit", "unitaryProductAmount", "referencePeriodStart", "referencePeriodEnd",
          "pCfExcludingBiogenic", "fossilGhgEmissions", "fossilCarbonContent",
          "biogenicCarbonContent", "characterizationFactors", "ipccCharacterizationFactorsSources",
          "crossSectoralStandardsUsed", "boundaryProcessesDescription",
          "exemptedEmissionsPercent", "exemptedEmissionsDescription",
          "packagingEmissionsIncluded"),
}

# Sign of a decimal-string figure: "any", ">=0" (emissions, contents), "<=0" (uptakes,
# removals, captures), ">0" (amounts of declared units).
_ANY, _POS0, _NEG0, _POS = "any", ">=0", "<=0", ">0"

#: The CarbonFootprint figures that are decimal strings, with their sign.
DECIMAL_FIELDS = {
    "3": {
        "declaredUnitAmount": _POS, "productMassPerDeclaredUnit": _ANY,
        "pcfExcludingBiogenicUptake": _ANY, "pcfIncludingBiogenicUptake": _ANY,
        "fossilGhgEmissions": _POS0, "fossilCarbonContent": _POS0,
        "biogenicCarbonContent": _POS0, "recycledCarbonContent": _POS0,
        "landUseChangeGhgEmissions": _POS0, "landCarbonLeakage": _POS0,
        "landManagementFossilGhgEmissions": _POS0, "landManagementBiogenicCO2Emissions": _POS0,
        "landManagementBiogenicCO2Removals": _NEG0, "biogenicCO2Uptake": _NEG0,
        "biogenicNonCO2Emissions": _POS0, "landAreaOccupation": _POS0,
        "aircraftGhgEmissions": _POS0, "packagingGhgEmissions": _POS0,
        "packagingBiogenicCarbonContent": _POS0, "outboundLogisticsGhgEmissions": _POS0,
        "ccsTechnologicalCO2Capture": _NEG0, "technologicalCO2Removals": _NEG0,
        "ccuCarbonContent": _POS0,
        # percentages and ratings: decimal strings in v3, ranges checked separately
        "exemptedEmissionsPercent": _ANY, "primaryDataShare": _ANY,
    },
    "2": {
        "unitaryProductAmount": _POS, "productMassPerDeclaredUnit": _ANY,
        "pCfExcludingBiogenic": _POS0, "pCfIncludingBiogenic": _ANY,
        "fossilGhgEmissions": _POS0, "fossilCarbonContent": _POS0,
        "biogenicCarbonContent": _POS0, "dLucGhgEmissions": _POS0,
        "landManagementGhgEmissions": _POS0, "otherBiogenicGhgEmissions": _POS0,
        "iLucGhgEmissions": _POS0, "biogenicCarbonWithdrawal": _NEG0,
        "aircraftGhgEmissions": _POS0, "packagingGhgEmissions": _POS0,
    },
}
DQR_NAMES = ("technologicalDQR", "geographicalDQR", "temporalDQR")
#: Upper bound of a DQR: 1 (best) .. 5 in v3; v2.3 rated 1 .. 3.
DQR_MAX = {"3": Decimal(5), "2": Decimal(3)}
#: Upper bound of exemptedEmissionsPercent: v3 dropped v2's 5 % cap (a percentage, so 100).
EXEMPTED_MAX = {"3": Decimal(100), "2": Decimal(5)}

#: Date-time fields of a ProductFootprint, of its ``pcf``, and of nested objects of ``pcf``.
DATE_TIME_FIELDS = {
    "3": ("created", "validityPeriodStart", "validityPeriodEnd"),
    "2": ("created", "updated", "validityPeriodStart", "validityPeriodEnd"),
}
PCF_DATE_TIME_FIELDS = ("referencePeriodStart", "referencePeriodEnd")
PCF_NESTED_DATE_TIME_FIELDS = {"3": (("verification", "completedAt"),),
                               "2": (("assurance", "completedAt"),)}

_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_URN = re.compile(r"urn:\S+", re.IGNORECASE)
_SEMVER = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9]{8})?")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
_AR = re.compile(r"AR[0-9]+")
_COUNTRY = re.compile(r"[A-Z]{2}")
_SUBDIVISION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def parse_datetime(value: str) -> dt.datetime:
    """An RFC 3339 date-time (with a time zone) as an aware datetime; ValueError otherwise.

    >>> parse_datetime("2024-01-01T00:00:00Z")
    datetime.datetime(2024, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with a time zone")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))


def is_uuid(value) -> bool:
    """A UUID in its hyphenated 8-4-4-4-12 hex form."""
    return isinstance(value, str) and bool(_UUID.fullmatch(value))


# -- where the official documents are -------------------------------------------------------------
def configured_spec_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory to read the official documents from: ``path``, else ``$PCF_PACT_SPEC_DIR``,
    else ``../shared/reference/pact`` beside the project. It need not exist."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_SPEC_DIR)
    return Path(env) if env else DEFAULT_SPEC_DIR


def spec_file(major: str, path: str | os.PathLike | None = None) -> Path | None:
    """``<dir>/v<major>/openapi.yaml`` when it exists, else ``None``."""
    f = configured_spec_dir(path) / f"v{major}" / "openapi.yaml"
    return f if f.is_file() else None


def spec_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory holding ``v3/openapi.yaml`` (and ``v2/``); PCFError when there is none."""
    if spec_file("3", path) is None:
        raise PCFError(
            f"PACT OpenAPI documents not found in {configured_spec_dir(path)}: pass spec_dir or "
            f"set {ENV_SPEC_DIR} to a directory with v2/openapi.yaml and v3/openapi.yaml"
        )
    return configured_spec_dir(path)


_warned: set[tuple[str, str]] = set()


def _warn_skipped(major: str, path) -> None:
    key = (major, str(configured_spec_dir(path)))
    if key not in _warned:
        _warned.add(key)
        log.warning(
            "PACT v%s: full schema validation against the official OpenAPI document was skipped "
            "(no v%s/openapi.yaml in %s; set %s to the directory of the PACT specification); "
            "only the engine's own data-model rules were checked",
            major, major, key[1], ENV_SPEC_DIR,
        )


# -- the official schema ---------------------------------------------------------------------------
@functools.cache
def official_validator(openapi_yaml: str | os.PathLike):
    """A Draft 2020-12 validator for ``#/components/schemas/ProductFootprint`` of an OpenAPI 3.1
    document (read from ``openapi_yaml``; nothing of it is kept beyond the process)."""
    import yaml
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    # libyaml's loader where PyYAML was built with it: the spec is ~1 MB of YAML (0.9 s → 0.1 s)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(openapi_yaml, encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    uri = "urn:pcf-engine:pact:openapi"
    registry = Registry().with_resource(uri, Resource(contents=doc, specification=DRAFT202012))
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:  # jsonschema needs an extra package for this otherwise
        if isinstance(value, str):
            parse_datetime(value)
        return True

    @checker.checks("uuid")
    def _uuid(value) -> bool:
        return not isinstance(value, str) or is_uuid(value)

    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/ProductFootprint"},
                                registry=registry, format_checker=checker)


def json_path(parts) -> str:
    """``["pcf", "dqi", "temporalDQR"]`` -> ``pcf.dqi.temporalDQR``; indices as ``[0]``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _schema_field(err) -> str:
    parts = list(err.absolute_path)
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [r for r in err.validator_value if r not in err.instance]
        parts += missing[:1]
    return json_path(parts)


def schema_errors(doc: Mapping, major: str, openapi_yaml) -> list[tuple[str, str]]:
    """``[(field, message)]`` of the official schema, the most relevant first."""
    errors = list(official_validator(str(openapi_yaml)).iter_errors(doc))
    if not errors:
        return []
    from jsonschema.exceptions import best_match

    first = best_match(errors)
    rest = [e for e in errors if e is not first]
    return [(_schema_field(e), e.message) for e in [first, *rest]]


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

    def decimal(self, obj, name, path, sign=_ANY) -> Decimal | None:
        if name not in obj:
            return None
        v = obj[name]
        if not isinstance(v, str) or not _DECIMAL.fullmatch(v):
            self.fail([*path, name], f"{v!r} is not a decimal string (e.g. \"1.25\")")
            return None
        d = Decimal(v)
        if (sign == _POS and not d > 0) or (sign == _POS0 and d < 0) or (sign == _NEG0 and d > 0):
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
    if sv is not None and not _SEMVER.fullmatch(sv):
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
        c.string_list(doc, name, [], lambda s: bool(_URN.fullmatch(s)), "a URN (urn:...)")
    pcf = doc.get("pcf")
    if "pcf" in doc and not isinstance(pcf, Mapping):
        c.fail(["pcf"], "is not a JSON object")
    elif isinstance(pcf, Mapping):
        _pcf_rules(c, pcf, major)
    return c.errors, c.consistency


def _pcf_rules(c: _Check, pcf: Mapping, major: str) -> None:
    at = ["pcf"]
    c.required(pcf, PCF_REQUIRED[major], at)
    c.enum(pcf, "declaredUnitOfMeasurement" if major == "3" else "declaredUnit",
           DECLARED_UNITS[major], at)
    figures = {name: c.decimal(pcf, name, at, sign) for name, sign in DECIMAL_FIELDS[major].items()}
    start = c.date_time(pcf, "referencePeriodStart", at)
    end = c.date_time(pcf, "referencePeriodEnd", at)
    for obj, name in PCF_NESTED_DATE_TIME_FIELDS[major]:
        if isinstance(pcf.get(obj), Mapping):
            c.date_time(pcf[obj], name, [*at, obj])

    given = [k for k in pcf if k in GEOGRAPHY_FIELDS]  # document order
    for extra in given[1:]:
        c.fail([*at, extra], f"only one geography field may be given, found {given}")
    c.enum(pcf, "geographyRegionOrSubregion", UN_M49_REGIONS, at)
    for name, pattern, what in (("geographyCountry", _COUNTRY, "an ISO 3166-1 alpha-2 code"),
                                ("geographyCountrySubdivision", _SUBDIVISION, "an ISO 3166-2 code")):
        v = c.string(pcf, name, at)
        if v is not None and not pattern.fullmatch(v):
            c.fail([*at, name], f"{v!r} is not {what}")

    if "packagingEmissionsIncluded" in pcf and not isinstance(pcf["packagingEmissionsIncluded"],
                                                              bool):
        c.fail([*at, "packagingEmissionsIncluded"], "is not true or false")
    for name in ("boundaryProcessesDescription", "exemptedEmissionsDescription",
                 "allocationRulesDescription", "uncertaintyAssessmentDescription"):
        c.string(pcf, name, at)

    if major == "3":
        c.string_list(pcf, "ipccCharacterizationFactors", at, lambda s: bool(_AR.fullmatch(s)),
                      "an IPCC report (AR5, AR6, ...)")
        c.string_list(pcf, "crossSectoralStandards", at)
        c.within(figures["exemptedEmissionsPercent"], 0, EXEMPTED_MAX[major],
                 [*at, "exemptedEmissionsPercent"])
        c.within(figures["primaryDataShare"], 0, 100, [*at, "primaryDataShare"])
    else:
        c.enum(pcf, "characterizationFactors", ("AR5", "AR6"), at)
        c.string_list(pcf, "ipccCharacterizationFactorsSources", at,
                      lambda s: bool(_AR.fullmatch(s)), "an IPCC report (AR5, AR6, ...)")
        c.string_list(pcf, "crossSectoralStandardsUsed", at,
                      lambda s: s in CROSS_SECTORAL_STANDARDS_USED_V2,
                      f"one of {list(CROSS_SECTORAL_STANDARDS_USED_V2)}")
        c.string_list(pcf, "crossSectoralStandards", at,
                      lambda s: s in CROSS_SECTORAL_STANDARDS_V2,
                      f"one of {list(CROSS_SECTORAL_STANDARDS_V2)}")
        for name, hi in (("exemptedEmissionsPercent", EXEMPTED_MAX[major]),
                         ("primaryDataShare", Decimal(100))):
            c.within(c.number(pcf, name, at), 0, hi, [*at, name])

    dqi = pcf.get("dqi")
    if "dqi" in pcf and not isinstance(dqi, Mapping):
        c.fail([*at, "dqi"], "is not a JSON object")
    elif isinstance(dqi, Mapping):
        where = [*at, "dqi"]
        names = DQR_NAMES if major == "3" else (*DQR_NAMES, "completenessDQR", "reliabilityDQR")
        c.required(dqi, names if major == "3" else ("coveragePercent", *names), where)
        for name in names:
            value = (c.decimal(dqi, name, where) if major == "3"
                     else c.number(dqi, name, where))
            c.within(value, 1, DQR_MAX[major], [*where, name])
        if major == "2":
            c.within(c.number(dqi, "coveragePercent", where), 0, 100, [*where, "coveragePercent"])

    # consistency of the figures (errors for what we issue; see the module doc)
    if major == "3":
        excl, incl = figures["pcfExcludingBiogenicUptake"], figures["pcfIncludingBiogenicUptake"]
        uptake = figures["biogenicCO2Uptake"]
        if None not in (excl, incl, uptake) and abs(incl - (excl + uptake)) > _rounding(
            excl, incl, uptake
        ):
            c.consistency.append((
                "pcf.pcfIncludingBiogenicUptake",
                f"{incl} != pcfExcludingBiogenicUptake + biogenicCO2Uptake = {excl + uptake}",
            ))
    if start is not None and end is not None and end <= start:
        c.consistency.append(("pcf.referencePeriodEnd",
                              f"{pcf['referencePeriodEnd']} is not after referencePeriodStart"))


def _rounding(*figures: Decimal) -> Decimal:
    """How far a sum of the stated figures may be off from rounding them: half a unit in the
    last stated decimal place of each (``0.384``, ``-1.61``, ``-1.23`` -> 0.0105)."""
    return sum((Decimal(1).scaleb(f.as_tuple().exponent) / 2 for f in figures), Decimal(0))


# -- the validator ------------------------------------------------------------------------------
def pact_major(version) -> str:
    """``"3"`` or ``"2"`` from ``3``, ``"3.0.1"``, ``"v2"`` ...; PCFError otherwise."""
    major = str(version).lstrip("vV").split(".", 1)[0]
    if major not in ("2", "3"):
        raise PCFError(f"PACT version {version!r} is not supported (2.x or 3.x)")
    return major


def validate_pact(doc: Mapping, version: str | int | None = None, *, source: str = "PACT",
                  spec_dir_path: str | os.PathLike | None = None, strict: bool = True) -> str:
    """Validate one PACT ProductFootprint: the official schema (when available) and our rules.

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
        Directory of the official PACT OpenAPI documents (see the module doc).
    strict
        Contradicting figures are errors (``True``, for documents we issue) or logged warnings
        (``False``, for reading other companies' documents).

    Returns
    -------
    str
        The major version validated against (``"2"`` or ``"3"``).

    Raises
    ------
    InvalidPCF
        Naming the first failing field (``e.field``, a JSON path such as
        ``pcf.declaredUnitOfMeasurement``); ``e.errors`` lists every violation found.
    """
    if not isinstance(doc, Mapping):
        raise InvalidPCF(source, "(document)", "not a JSON object")
    if version is None:
        version = doc.get("specVersion")
        if version is None:
            raise InvalidPCF(source, "specVersion", "missing, and no version given")
        try:
            major = pact_major(version)
        except PCFError:
            raise InvalidPCF(source, "specVersion", f"unsupported PACT version {version!r}") \
                from None
    else:
        major = pact_major(version)

    openapi = spec_file(major, spec_dir_path)
    errors = schema_errors(doc, major, openapi) if openapi is not None else []
    if openapi is None:
        _warn_skipped(major, spec_dir_path)
    ours, inconsistent = rule_errors(doc, major)
    errors += ours
    if strict:
        errors += inconsistent
    if errors:
        listed = list(dict.fromkeys(f"{f}: {m}" for f, m in errors))
        raise InvalidPCF(source, errors[0][0], errors[0][1], listed)
    for f, m in inconsistent:
        log.warning("%s: PACT field %r: %s", source, f, m)
    return major
