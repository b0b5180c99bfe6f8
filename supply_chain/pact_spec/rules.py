"""The engine's own PACT rules: what keeps a document honest without the official schema, the
rules the schema states only in prose (DQR ranges, the biogenic identity), and the semantic
rules beyond any schema (ids in recognised URN forms with valid check digits, a CPC class that
fits the product, a mass for a physical product, packaging and validity-period rules, ...).

Every rule is listed, with its source, in ``reports/pact/RULES.md``. Structural rules are
errors; consistency rules are errors when ``strict``; semantic rules are errors for the
documents we issue (``issued=True``); otherwise both are logged warnings (see
:func:`supply_chain.pact_spec.validate_pact`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from .ids import gtin_ok, lei_ok
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


def semantic_errors(doc: Mapping, major: str) -> list[tuple[str, str]]:
    """The semantic rules S1-S14 (reports/pact/RULES.md) for ``doc``: ``[(field, message)]``.

    :func:`supply_chain.pact_spec.validate_pact` makes them errors for the documents we issue
    (``issued=True``) and logs them as warnings otherwise.
    """
    c = _Check(major)
    if isinstance(doc, Mapping):
        semantic_findings(c, doc, major)
    return c.consistency


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


# -- semantic rules (beyond the schema; reports/pact/RULES.md) ---------------------------------------
#: URN namespaces accepted in ids: IANA-registered ones a product or company id uses, and the
#: widely used ones the PACT v3 specification names ("Product Identification and
#: Classification": urn:pact, urn:gtin, urn:cpc, urn:unspsc, urn:eclass; company codes
#: urn:pact:company:customcode:...), plus lei and duns for legal entities.
RECOGNISED_NAMESPACES = frozenset(
    {
        "pact",
        "pathfinder",  # PACT v2's own namespace (urn:pathfinder:company:customcode:...)
        "gtin",
        "epc",
        "uuid",
        "isbn",
        "issn",
        "iso",
        "oid",
        "lei",
        "duns",
        "cpc",
        "unspsc",
        "eclass",
        "example",  # RFC 6963: for examples and tests
    }
)
#: Words that make a product rechargeable (a secondary cell, CPC 4642x, not 4641x).
_RECHARGEABLE = re.compile(
    r"recharg|lithium[- ]ion|li-ion|\blfp\b|\bnmc|\bnca\b|accumulator|secondary (cell|batter)|"
    r"lithium iron phosphate|traction batter|ev batter",
    re.IGNORECASE,
)
_CPC_CODE = re.compile(r"[0-9]{1,5}")
#: Declared units of products that may have no mass (energy and services).
MASSLESS_UNITS = ("kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second")


def semantic_findings(c: _Check, doc: Mapping, major: str) -> None:
    """The semantic rules (S1..S14 of reports/pact/RULES.md), appended as consistency findings:
    errors for what we issue, warnings for what we read."""
    find = c.consistency.append
    for name in ("companyIds", "productIds", "productClassifications"):
        ids = doc.get(name)
        if isinstance(ids, list):
            for i, urn in enumerate(ids):
                if isinstance(urn, str):
                    why = _urn_finding(urn, name)
                    if why:
                        find((json_path([name, i]), why))
    _cpc_findings(doc, major, find)
    pf_id = doc.get("id")
    preceding = doc.get("precedingPfIds")
    if isinstance(preceding, list) and pf_id in preceding:
        find(("precedingPfIds", f"lists the footprint's own id {pf_id} (S10)"))
    pcf = doc.get("pcf")
    if not isinstance(pcf, Mapping):
        return
    _pcf_semantics(c, doc, pcf, major, find)


def _urn_finding(urn: str, name: str) -> str | None:
    """What is wrong with one id URN (S1-S4), or None."""
    parts = urn.split(":")
    nid = parts[1].lower() if len(parts) > 2 else ""
    if nid not in RECOGNISED_NAMESPACES:
        return (
            f"{urn!r}: namespace {nid!r} is neither IANA-registered nor one the PACT "
            "specification recommends; use urn:pact:<domain-of-issuer>:<id-type>:<id> (or for "
            "a company urn:pact:company:customcode:supplier-id:<code>), urn:gtin:, urn:lei:, "
            "urn:duns: (S1)"
        )
    rest = parts[2:]
    if nid == "pact" and (len(rest) < 3 or not all(rest)):
        return f"{urn!r}: a PACT URN is urn:pact:<domain-of-issuer>:<type>:<id> (S2)"
    if nid == "pact" and rest[0] not in ("company", "productclassification") and "." not in rest[0]:
        return (
            f"{urn!r}: the part after urn:pact: is the issuer's fully qualified domain name "
            "(e.g. catalog.mycompany.com) (S2)"
        )
    if nid == "gtin" and not gtin_ok(":".join(rest)):
        return f"{urn!r}: not a GTIN-8/12/13/14 with a valid GS1 check digit (S3)"
    if nid == "lei" and not lei_ok(":".join(rest)):
        return f"{urn!r}: not an ISO 17442 LEI (20 characters, MOD 97-10 check digits) (S3)"
    if nid == "duns" and not (len(rest) == 1 and rest[0].isdigit() and len(rest[0]) == 9):
        return f"{urn!r}: a D-U-N-S number is 9 digits (S3)"
    if name == "productClassifications":
        code = _cpc_of(urn)
        if code is not None and not _CPC_CODE.fullmatch(code):
            return f"{urn!r}: a UN CPC code is 1 to 5 digits (S4)"
    return None


def _cpc_of(urn: str) -> str | None:
    """The CPC code of a classification URN, else None: ``urn:cpc:<code>``, the form of the v3.0.3
    specification text ("Product Classification URNs", Examples: UN Central Product
    Classification ``"urn:cpc:0151"``), or ``urn:pact:productclassification:un-cpc:<code>``, the
    form of its OpenAPI ``examples`` (non-normative; not that section's
    ``urn:pact:<domain-of-issuer>:<type>:<value>``), read as other companies write it."""
    low = urn.lower()
    for prefix in ("urn:cpc:", "urn:pact:productclassification:un-cpc:"):
        if low.startswith(prefix):
            return urn[len(prefix) :]
    return None


def _cpc_findings(doc: Mapping, major: str, find) -> None:
    """S5: a rechargeable product classified as a primary (non-rechargeable) cell, CPC 4641."""
    text = " ".join(str(doc.get(k) or "") for k in ("productDescription", "productNameCompany"))
    if not _RECHARGEABLE.search(text):
        return
    codes = []
    if isinstance(doc.get("productCategoryCpc"), str):
        codes.append(("productCategoryCpc", doc["productCategoryCpc"]))
    for i, urn in enumerate(doc.get("productClassifications") or []):
        code = _cpc_of(urn) if isinstance(urn, str) else None
        if code is not None:
            codes.append((json_path(["productClassifications", i]), code))
    for where, code in codes:
        if code.startswith("4641"):
            find(
                (
                    where,
                    (
                        f"CPC {code} is 'primary cells and primary batteries' (non-rechargeable) "
                        "but the product is described as rechargeable; electric accumulators are "
                        "CPC 4642 (subclass 46420, UN CPC Ver. 2.1) (S5)"
                    ),
                )
            )


#: A description saying nothing was exempted (S13 has nothing to check).
_NONE_EXEMPTED = re.compile(r"^\W*(none|no|nothing)\b[^.]*\b(exempt|exclu|cut)", re.IGNORECASE)


def _exempted_zero(exempted, description, find) -> None:
    """S13: ``exemptedEmissionsPercent`` 0 while ``exemptedEmissionsDescription`` describes items
    that were left out reads as "nothing exempted" unless the description says those items are
    not quantified (then the 0 covers the quantified items only, a lower bound). A silent 0
    beside a list of cut-offs is refused for the documents we issue.

    >>> out = []
    >>> _exempted_zero(0, "Packaging of the pack; inbound transport.", out.append)
    >>> _exempted_zero(0, "Lower bound: ... Left out and not quantified: packaging.", out.append)
    >>> _exempted_zero(0, "None exempted.", out.append); _exempted_zero(0, "", out.append)
    >>> [f for f, _ in out]
    ['pcf.exemptedEmissionsPercent']
    """
    text = str(description or "").strip()
    if exempted is None or exempted != 0 or not text or _NONE_EXEMPTED.match(text):
        return
    if "not quantified" not in text.lower():
        find(
            (
                "pcf.exemptedEmissionsPercent",
                (
                    "is 0 while exemptedEmissionsDescription describes exempted items: give "
                    "their estimated share, or say in the description that they are not "
                    "quantified (the 0 is then a lower bound), never a silent 0 (S13)"
                ),
            )
        )


def _pcf_semantics(c: _Check, doc: Mapping, pcf: Mapping, major: str, find) -> None:
    unit = pcf.get("declaredUnitOfMeasurement" if major == "3" else "declaredUnit")
    mass = _dec(pcf.get("productMassPerDeclaredUnit"))
    if mass is not None and mass <= 0 and unit is not None and unit not in MASSLESS_UNITS:
        find(
            (
                "pcf.productMassPerDeclaredUnit",
                (
                    f"{pcf.get('productMassPerDeclaredUnit')!r} for a product declared per {unit!r}:"
                    " a physical product has a mass (S6)"
                ),
            )
        )
    if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
        find(
            (
                "pcf.packagingGhgEmissions",
                "MUST be undefined when packagingEmissionsIncluded is false (S7)",
            )
        )
    exempted = pcf.get("exemptedEmissionsPercent")
    exempted = _dec(exempted) if major == "3" else _num(exempted)
    if exempted and exempted > 0 and not str(pcf.get("exemptedEmissionsDescription") or ""):
        find(
            (
                "pcf.exemptedEmissionsDescription",
                (
                    f"exemptedEmissionsPercent is {exempted}: the exempted items and the basis of "
                    "the estimate must be described (S8)"
                ),
            )
        )
    _exempted_zero(exempted, pcf.get("exemptedEmissionsDescription"), find)
    _validity(doc, pcf, find)
    excl = _dec(pcf.get("pcfExcludingBiogenicUptake" if major == "3" else "pCfExcludingBiogenic"))
    for name in ("aircraftGhgEmissions", "packagingGhgEmissions"):
        part = _dec(pcf.get(name))
        if part is not None and excl is not None and part > excl + rounding_tolerance(part, excl):
            find((f"pcf.{name}", f"{part} exceeds the footprint {excl} it is part of (S11)"))
    _carbon_within_mass(pcf, mass, find)
    if major == "3":
        pds = _dec(pcf.get("primaryDataShare"))
        std = pcf.get("crossSectoralStandards") or []
        if any(str(s).startswith("PACT-") for s in std) and "primaryDataShare" not in pcf:
            find(
                (
                    "pcf.primaryDataShare",
                    (
                        "is a SHALL field of the PACT Methodology the document claims in "
                        "crossSectoralStandards (S12)"
                    ),
                )
            )
        if pds is not None and pds < 100 and "secondaryEmissionFactorSources" not in pcf:
            find(
                (
                    "pcf.secondaryEmissionFactorSources",
                    f"primaryDataShare is {pds} %: the secondary data used MUST be listed (S9)",
                )
            )
        if pds == 100 and "secondaryEmissionFactorSources" in pcf:
            find(
                (
                    "pcf.secondaryEmissionFactorSources",
                    "MUST be undefined when no secondary data is used (primaryDataShare 100) (S9)",
                )
            )


def _validity(doc: Mapping, pcf: Mapping, find) -> None:
    """S10b: a validity period lies within [referencePeriodEnd, referencePeriodEnd + 3 years]."""
    try:
        ref_end = parse_datetime(pcf.get("referencePeriodEnd"))
    except ValueError:
        return
    for name, bad, why in (
        ("validityPeriodStart", lambda d: d < ref_end, "before referencePeriodEnd"),
        (
            "validityPeriodEnd",
            lambda d: d > ref_end.replace(year=ref_end.year + 3),
            "later than referencePeriodEnd + 3 years",
        ),
    ):
        if name in doc:
            try:
                d = parse_datetime(doc[name])
            except ValueError:
                continue
            if bad(d):
                find((name, f"{doc[name]} is {why} (PACT v3 validity period) (S10)"))


def _carbon_within_mass(pcf: Mapping, mass: Decimal | None, find) -> None:
    """S14: the carbon of a product is part of its mass, so fossil + biogenic carbon content
    (kg C, for the same declared unit as productMassPerDeclaredUnit in both versions) is not
    larger than the mass (kg). Not checked without a mass (energy, services)."""
    contents = [_dec(pcf.get(n)) for n in ("fossilCarbonContent", "biogenicCarbonContent")]
    stated = [c for c in contents if c is not None]
    if not stated or mass is None or mass <= 0:
        return
    carbon = sum(stated, Decimal(0))
    if carbon > mass + rounding_tolerance(*stated, mass):
        find(
            (
                "pcf.fossilCarbonContent",
                (
                    f"fossil + biogenic carbon content {carbon} kg C exceeds the product mass "
                    f"{mass} kg (productMassPerDeclaredUnit): carbon is part of the product's "
                    "mass (S14)"
                ),
            )
        )


def _dec(v) -> Decimal | None:
    if isinstance(v, str) and DECIMAL_RE.fullmatch(v):
        return Decimal(v)
    return None


def _num(v) -> Decimal | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Decimal(str(v))
    return _dec(v)
