"""The PACT lifecycle: a changed footprint is a new document that deprecates its predecessor."""

from __future__ import annotations

import copy

from ..errors import PactValidationError
from .document import spec_major, validate_footprint


def reissue(
    previous: dict, successor: dict, reason: str = "", *, source: str = "previous footprint"
) -> tuple[dict, dict]:
    """Deprecate ``previous`` and link ``successor`` to it (PACT lifecycle: a change is a new id).

    Returns ``(deprecated_previous, successor)``: the old document with status ``Deprecated``
    and nothing else changed (PACT v3 "Product Footprint Lifecycle": after creation a footprint
    MUST NOT change except its status; v2 also gets a ``statusComment``); the new one with
    ``precedingPfIds`` = the old one's preceding ids + its id (and, in v2, ``version``
    incremented). Both are validated. ``source`` names ``previous`` in errors (its file).

    Only a footprint we issued can be deprecated: the two documents must share a company id
    (``companyIds``) and a product id; another company's footprint is refused.

    Raises
    ------
    PactValidationError
        The two documents are of different versions, share an id, are not of the same company
        and product (no ``companyIds`` or no ``productIds`` in common: a footprint can only
        supersede its own company's footprint of the same product), or one is invalid.
    """
    version = spec_major(previous)
    if spec_major(successor) != version:
        raise PactValidationError(
            f"PACT v{version}",
            "specVersion",
            "successor and previous footprint have different versions",
        )
    for name in ("companyIds", "productIds"):
        theirs, ours = previous.get(name) or [], successor.get(name) or []
        if not set(theirs) & set(ours):
            raise PactValidationError(
                source,
                name,
                f"{theirs} and the new footprint's {ours} share no id: it is not a footprint of "
                f"the same {'company' if name == 'companyIds' else 'product'}, so it cannot be "
                "superseded (nothing was written)",
            )
    if str(successor["id"]).lower() == str(previous["id"]).lower():
        raise PactValidationError(
            f"PACT v{version}",
            "id",
            "a re-issued footprint needs a new id (the same id means the same content: the "
            "footprint did not change, so there is nothing to re-issue)",
        )
    if previous.get("status") == "Deprecated":
        raise PactValidationError(
            source,
            "status",
            "is already Deprecated: supersede the Active footprint that replaced it",
        )
    old, new = copy.deepcopy(previous), copy.deepcopy(successor)
    old["status"] = "Deprecated"
    text = f"Superseded by {new['id']}." + (f" {reason}" if reason else "")
    if version == 2:
        old["statusComment"] = text
        new["version"] = int(previous.get("version", 0)) + 1
    preceding = [*previous.get("precedingPfIds", []), previous["id"]]
    new["precedingPfIds"] = list(dict.fromkeys(preceding))
    if reason:  # the successor is being created: its comment may say what changed
        key = "statusComment" if version == 2 else "comment"
        new[key] = (new.get(key, "") + "\n" + f"Re-issued: {reason}").strip()
    validate_footprint(old, version)
    validate_footprint(new, version)
    return old, new
