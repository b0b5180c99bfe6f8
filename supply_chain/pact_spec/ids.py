"""Stable PACT footprint ids, and the URN namespaces the PACT specification recommends.

PACT v3 (Technical Specifications 3.0, "Product Footprint Lifecycle"): any change to a footprint
is a new footprint with a new id; an unchanged footprint is the same footprint. So the id of a
footprint we issue is derived from what the footprint *is*: the same product, company, declared
unit, period, geography and figures give the same id on every run and from every command
(``pcf demo``, ``pcf report pact``, ``pcf publish``), and a change of any of them gives another.

``footprint_id(doc) = uuid5(FOOTPRINT_ID_NAMESPACE, content_hash(doc))``, ``content_hash`` the
SHA-256 of the canonical JSON (``json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``) of :func:`identity_fields`: the footprint's identity and values only,

- ``specVersion``; ``companyIds``, ``productIds``, ``productClassifications`` (v2 also
  ``productCategoryCpc``): the URN lists as sets (sorted; RFC 8141 makes a URN's specific
  string case-sensitive, so case is kept);
- of ``pcf``: the declared unit and amount, the reference period, the geography, every decimal
  figure of the version (:data:`~supply_chain.pact_spec.model.DECIMAL_FIELDS`: the PCF and its
  parts, carbon contents, mass, exempted percent, primary data share), the DQI ratings, and the
  coded fields that say what the figures mean (``ipccCharacterizationFactors`` and the v2
  ``characterizationFactors`` / ``ipccCharacterizationFactorsSources``,
  ``crossSectoralStandards`` and v2 ``crossSectoralStandardsUsed``,
  ``packagingEmissionsIncluded``); decimals compared by value (``"1.50"`` = ``"1.5"``).

Left out: free text (``comment``, ``companyName``, ``productDescription``,
``productNameCompany``, the ``pcf`` descriptions, source and rule lists), time stamps and the
validity period (``created``, ``updated``, ``validityPeriodStart`` / ``End``), and the lifecycle
fields (``id``, ``status``, ``precedingPfIds``, the v2 ``version``, ``statusComment``): rewording
the comment, or the Monte Carlo statement only one command can give, does not make a footprint
a different footprint. :data:`FOOTPRINT_ID_NAMESPACE` is ``uuid5(NAMESPACE_URL,
"urn:pcf-engine:pact:footprint-id")`` = ``8e8d8a7e-6ad8-5a9e-88a2-ef50467d18f1``, fixed for good:
changing it would change every id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from .model import DECIMAL_FIELDS, DQR_NAMES, GEOGRAPHY_FIELDS, PCF_DATE_TIME_FIELDS

__all__ = [
    "FOOTPRINT_ID_NAMESPACE",
    "IDENTITY_FIELDS",
    "LIFECYCLE_FIELDS",
    "content_hash",
    "footprint_id",
    "gtin_ok",
    "identity_fields",
    "lei_ok",
]

FOOTPRINT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pcf-engine:pact:footprint-id")
#: Fields that belong to a footprint's lifecycle, not to its content.
LIFECYCLE_FIELDS = (
    "id",
    "created",
    "status",
    "precedingPfIds",
    "version",
    "updated",
    "statusComment",
)
_URN_LISTS = ("companyIds", "productIds", "productClassifications")
#: Per major version: the ProductFootprint fields and the ``pcf`` fields (besides the decimal
#: figures of :data:`DECIMAL_FIELDS`, the geography and the DQI) that make a footprint's identity.
IDENTITY_FIELDS = {
    "3": (
        ("specVersion", *_URN_LISTS),
        (
            "declaredUnitOfMeasurement",
            *PCF_DATE_TIME_FIELDS,
            "ipccCharacterizationFactors",
            "crossSectoralStandards",
            "packagingEmissionsIncluded",
        ),
    ),
    "2": (
        ("specVersion", *_URN_LISTS, "productCategoryCpc"),
        (
            "declaredUnit",
            *PCF_DATE_TIME_FIELDS,
            "characterizationFactors",
            "ipccCharacterizationFactorsSources",
            "crossSectoralStandardsUsed",
            "crossSectoralStandards",
            "packagingEmissionsIncluded",
            "exemptedEmissionsPercent",  # a JSON number in v2
            "primaryDataShare",  # a JSON number in v2
        ),
    ),
}
_V2_DQI = (*DQR_NAMES, "coveragePercent", "completenessDQR", "reliabilityDQR")


def _major(doc: Mapping) -> str:
    return "2" if str(doc.get("specVersion", "3")).startswith("2") else "3"


def _number(v):
    """A decimal figure by value (``"1.50"`` and ``"1.5"``, ``2`` and ``2.0`` are the same)."""
    if isinstance(v, bool) or not isinstance(v, (str, int, float, Decimal)):
        return v
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return v
    return "0" if d == 0 else format(d.normalize(), "f")


def identity_fields(doc: Mapping) -> dict:
    """What the id of ``doc`` depends on (see the module doc): its identity and values.

    >>> a = {"specVersion": "3.0.3", "comment": "x", "created": "2026-01-01T00:00:00Z",
    ...      "productIds": ["urn:B", "urn:a"], "pcf": {"pcfExcludingBiogenicUptake": "1.50",
    ...      "boundaryProcessesDescription": "y"}}
    >>> identity_fields(a)
    {'specVersion': '3.0.3', 'productIds': ['urn:B', 'urn:a'], 'pcf': {'pcfExcludingBiogenicUptake': '1.5'}}
    """
    major = _major(doc)
    top, pcf_names = IDENTITY_FIELDS[major]
    out: dict = {}
    for k in top:
        if k not in doc:
            continue
        v = doc[k]
        if k in _URN_LISTS and isinstance(v, list):
            v = sorted({str(u) for u in v})
        out[k] = v
    pcf = doc.get("pcf")
    if isinstance(pcf, Mapping):
        p: dict = {}
        for k in (*pcf_names, *GEOGRAPHY_FIELDS):
            if pcf.get(k) is not None:
                p[k] = pcf[k]
        for k in DECIMAL_FIELDS[major]:
            if pcf.get(k) is not None:
                p[k] = _number(pcf[k])
        for k in ("exemptedEmissionsPercent", "primaryDataShare"):
            if k in p:
                p[k] = _number(p[k])
        dqi = pcf.get("dqi")
        if isinstance(dqi, Mapping):
            names = DQR_NAMES if major == "3" else _V2_DQI
            p["dqi"] = {k: _number(dqi[k]) for k in names if dqi.get(k) is not None}
        out["pcf"] = p
    return out


def content_hash(doc: Mapping) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`identity_fields` of ``doc``.

    >>> content_hash({"id": "a", "pcf": {"fossilGhgEmissions": "1"}, "comment": "x"}) == (
    ...     content_hash({"pcf": {"fossilGhgEmissions": "1.0"}, "id": "b", "comment": "y"}))
    True
    """
    text = json.dumps(
        identity_fields(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def footprint_id(doc: Mapping) -> str:
    """The stable id of a footprint: ``uuid5(FOOTPRINT_ID_NAMESPACE, content_hash(doc))``.

    >>> a = footprint_id({"productIds": ["urn:gtin:4712345060507"],
    ...                   "pcf": {"fossilGhgEmissions": "1"}, "comment": "from pcf demo"})
    >>> a == footprint_id({"pcf": {"fossilGhgEmissions": "1"}, "comment": "from pcf report",
    ...                    "productIds": ["urn:gtin:4712345060507"]})
    True
    >>> a == footprint_id({"productIds": ["urn:gtin:4712345060507"],
    ...                    "pcf": {"fossilGhgEmissions": "2"}})
    False
    """
    return str(uuid.uuid5(FOOTPRINT_ID_NAMESPACE, content_hash(doc)))


def gtin_ok(digits: str) -> bool:
    """A GTIN-8/12/13/14 with a valid GS1 check digit (GS1 General Specifications 7.9: weights
    3 and 1 alternating from the right, excluding the check digit).

    >>> gtin_ok("4712345060507"), gtin_ok("4712345060508"), gtin_ok("5695872369587")
    (True, False, False)
    """
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def lei_ok(code: str) -> bool:
    """An ISO 17442 Legal Entity Identifier: 18 alphanumerics and two check digits, valid under
    ISO 7064 MOD 97-10 (letters A=10 .. Z=35; the number mod 97 is 1).

    >>> lei_ok("5493001KJTIIGC8Y1R12"), lei_ok("5493001KJTIIGC8Y1R13")
    (True, False)
    """
    code = code.upper()
    if len(code) != 20 or not code.isalnum() or not code[-2:].isdigit():
        return False
    return int("".join(str(int(ch, 36)) for ch in code)) % 97 == 1
