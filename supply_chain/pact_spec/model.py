"""Facts of the PACT data model (Technical Specifications v3.0 and v2.3, STANDARDS.md): required
fields, enums, the decimal-string and date-time fields, and the patterns of ids and codes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# -- facts of the data model (PACT Technical Specifications v3.0 and v2.3, STANDARDS.md) ---------
STATUSES = ("Active", "Deprecated")

#: Declared units of PACT v3 (``declaredUnitOfMeasurement``); v2 (``declaredUnit``) has the
#: first seven only.
_DECLARED_UNITS_V3 = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit second",
)
DECLARED_UNITS = {"3": _DECLARED_UNITS_V3, "2": _DECLARED_UNITS_V3[:7]}

#: UN M49 regions and sub-regions PACT accepts in ``geographyRegionOrSubregion``.
UN_M49_REGIONS = (
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
)
GEOGRAPHY_FIELDS = ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")

#: v2.3 ``crossSectoralStandards`` values (v3 leaves the list open) and the deprecated, but
#: required, v2 ``crossSectoralStandardsUsed`` values.
CROSS_SECTORAL_STANDARDS_V2 = (
    "ISO14067",
    "ISO14083",
    "ISO14040-44",
    "GHGP-Product",
    "PEF",
    "PACT-1.0",
    "PACT-2.0",
    "PACT-3.0",
)
CROSS_SECTORAL_STANDARDS_USED_V2 = (
    "GHG Protocol Product standard",
    "ISO Standard 14067",
    "ISO Standard 14044",
)

REQUIRED = {
    "3": (
        "id",
        "specVersion",
        "created",
        "status",
        "companyName",
        "companyIds",
        "productDescription",
        "productIds",
        "productNameCompany",
        "pcf",
    ),
    "2": (
        "id",
        "specVersion",
        "version",
        "created",
        "status",
        "comment",
        "companyName",
        "companyIds",
        "productDescription",
        "productIds",
        "productCategoryCpc",
        "productNameCompany",
        "pcf",
    ),
}
PCF_REQUIRED = {
    "3": (
        "declaredUnitOfMeasurement",
        "declaredUnitAmount",
        "productMassPerDeclaredUnit",
        "referencePeriodStart",
        "referencePeriodEnd",
        "pcfExcludingBiogenicUptake",
        "pcfIncludingBiogenicUptake",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "ipccCharacterizationFactors",
        "crossSectoralStandards",
        "exemptedEmissionsPercent",
    ),
    "2": (
        "declaredUnit",
        "unitaryProductAmount",
        "referencePeriodStart",
        "referencePeriodEnd",
        "pCfExcludingBiogenic",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "biogenicCarbonContent",
        "characterizationFactors",
        "ipccCharacterizationFactorsSources",
        "crossSectoralStandardsUsed",
        "boundaryProcessesDescription",
        "exemptedEmissionsPercent",
        "exemptedEmissionsDescription",
        "packagingEmissionsIncluded",
    ),
}

# Sign of a decimal-string figure: "any", ">=0" (emissions, contents), "<=0" (uptakes,
# removals, captures), ">0" (amounts of declared units).
SIGN_ANY, SIGN_POS0, SIGN_NEG0, SIGN_POS = "any", ">=0", "<=0", ">0"

#: The CarbonFootprint figures that are decimal strings, with their sign.
DECIMAL_FIELDS = {
    "3": {
        "declaredUnitAmount": SIGN_POS,
        "productMassPerDeclaredUnit": SIGN_ANY,
        "pcfExcludingBiogenicUptake": SIGN_ANY,
        "pcfIncludingBiogenicUptake": SIGN_ANY,
        "fossilGhgEmissions": SIGN_POS0,
        "fossilCarbonContent": SIGN_POS0,
        "biogenicCarbonContent": SIGN_POS0,
        "recycledCarbonContent": SIGN_POS0,
        "landUseChangeGhgEmissions": SIGN_POS0,
        "landCarbonLeakage": SIGN_POS0,
        "landManagementFossilGhgEmissions": SIGN_POS0,
        "landManagementBiogenicCO2Emissions": SIGN_POS0,
        "landManagementBiogenicCO2Removals": SIGN_NEG0,
        "biogenicCO2Uptake": SIGN_NEG0,
        "biogenicNonCO2Emissions": SIGN_POS0,
        "landAreaOccupation": SIGN_POS0,
        "aircraftGhgEmissions": SIGN_POS0,
        "packagingGhgEmissions": SIGN_POS0,
        "packagingBiogenicCarbonContent": SIGN_POS0,
        "outboundLogisticsGhgEmissions": SIGN_POS0,
        "ccsTechnologicalCO2Capture": SIGN_NEG0,
        "technologicalCO2Removals": SIGN_NEG0,
        "ccuCarbonContent": SIGN_POS0,
        # percentages and ratings: decimal strings in v3, ranges checked separately
        "exemptedEmissionsPercent": SIGN_ANY,
        "primaryDataShare": SIGN_ANY,
    },
    "2": {
        "unitaryProductAmount": SIGN_POS,
        "productMassPerDeclaredUnit": SIGN_ANY,
        "pCfExcludingBiogenic": SIGN_POS0,
        "pCfIncludingBiogenic": SIGN_ANY,
        "fossilGhgEmissions": SIGN_POS0,
        "fossilCarbonContent": SIGN_POS0,
        "biogenicCarbonContent": SIGN_POS0,
        "dLucGhgEmissions": SIGN_POS0,
        "landManagementGhgEmissions": SIGN_POS0,
        "otherBiogenicGhgEmissions": SIGN_POS0,
        "iLucGhgEmissions": SIGN_POS0,
        "biogenicCarbonWithdrawal": SIGN_NEG0,
        "aircraftGhgEmissions": SIGN_POS0,
        "packagingGhgEmissions": SIGN_POS0,
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
PCF_NESTED_DATE_TIME_FIELDS = {
    "3": (("verification", "completedAt"),),
    "2": (("assurance", "completedAt"),),
}

DECIMAL_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
URN_RE = re.compile(r"urn:\S+", re.IGNORECASE)
SEMVER_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9]{8})?")
RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
AR_RE = re.compile(r"AR[0-9]+")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
SUBDIVISION_RE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def parse_datetime(value: str) -> dt.datetime:
    """An RFC 3339 date-time (with a time zone) as an aware datetime; ValueError otherwise.

    >>> parse_datetime("2024-01-01T00:00:00Z")
    datetime.datetime(2024, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(value, str) or not RFC3339_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with a time zone")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))


def is_uuid(value) -> bool:
    """A UUID in its hyphenated 8-4-4-4-12 hex form."""
    return isinstance(value, str) and bool(UUID_RE.fullmatch(value))
