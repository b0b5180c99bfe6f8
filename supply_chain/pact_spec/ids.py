"""Stable PACT footprint ids, and the URN namespaces the PACT specification recommends.

PACT v3 (Technical Specifications 3.0, "Product Footprint Lifecycle"): any change to a footprint
is a new footprint with a new id; an unchanged footprint is the same footprint. So the id of a
footprint we issue is derived from its content: the same product, period and figures give the
same id on every run, and any change gives another.

``footprint_id(doc) = uuid5(FOOTPRINT_ID_NAMESPACE, sha256(canonical JSON of doc without its
lifecycle fields))``: the canonical JSON is ``json.dumps(..., sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` of the document without ``id``, ``created``,
``status``, ``precedingPfIds`` (lifecycle: they change when a footprint is deprecated or
superseded, not its content) and the v2-only ``version``, ``updated``, ``statusComment``.
:data:`FOOTPRINT_ID_NAMESPACE` is ``uuid5(NAMESPACE_URL, "urn:pcf-engine:pact:footprint-id")``
= ``8e8d8a7e-6ad8-5a9e-88a2-ef50467d18f1``, fixed for good: changing it would change every id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping

__all__ = [
    "FOOTPRINT_ID_NAMESPACE",
    "LIFECYCLE_FIELDS",
    "content_hash",
    "footprint_id",
    "gtin_ok",
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


def content_hash(doc: Mapping) -> str:
    """SHA-256 (hex) of the canonical JSON of ``doc`` without :data:`LIFECYCLE_FIELDS`.

    >>> content_hash({"id": "a", "pcf": {"x": "1"}}) == content_hash({"pcf": {"x": "1"}, "id": "b"})
    True
    """
    content = {k: v for k, v in doc.items() if k not in LIFECYCLE_FIELDS}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def footprint_id(doc: Mapping) -> str:
    """The stable id of a footprint: ``uuid5(FOOTPRINT_ID_NAMESPACE, content_hash(doc))``.

    >>> a = footprint_id({"productIds": ["urn:gtin:4712345060507"], "pcf": {"x": "1"}})
    >>> a == footprint_id({"pcf": {"x": "1"}, "productIds": ["urn:gtin:4712345060507"]})
    True
    >>> a == footprint_id({"productIds": ["urn:gtin:4712345060507"], "pcf": {"x": "2"}})
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
