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
2. **The data-model and semantic rules**, always (every rule is listed in
   ``reports/pact/RULES.md``): our own checks written from the published facts of the
   PACT data model (required fields, enums, decimal strings, UUIDs, URNs, exactly one geography,
   ranges of DQRs and percentages, the biogenic-uptake identity). They are what keeps a
   document honest on a machine without the spec, and they also cover the rules the spec states
   only in prose (DQR 1-5, primaryDataShare 0-100, pcfIncludingBiogenicUptake =
   pcfExcludingBiogenicUptake + biogenicCO2Uptake to the precision the figures are stated in,
   an uptake not stated counting 0 since PACT requires it whenever there is one), which the
   official schema cannot express.

Consistency rules (the biogenic identity; the reference period ending after it starts) are
errors for the documents we issue (``strict=True``, the default). Readers of other companies'
documents pass ``strict=False``: the inconsistency is then logged as a warning, because even
WBCSD's own v3 response examples state pcfIncludingBiogenicUptake 1.63 for
pcfExcludingBiogenicUptake 1.85 and biogenicCO2Uptake -1.5.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from lca.errors import PCFError

from ..errors import InvalidPCF
from .ids import (
    FOOTPRINT_ID_NAMESPACE,
    IDENTITY_FIELDS,
    content_hash,
    footprint_id,
    gtin_ok,
    identity_fields,
    lei_ok,
)
from .model import (
    CROSS_SECTORAL_STANDARDS_USED_V2,
    CROSS_SECTORAL_STANDARDS_V2,
    DATE_TIME_FIELDS,
    DECIMAL_FIELDS,
    DECLARED_UNITS,
    DQR_MAX,
    DQR_NAMES,
    EXEMPTED_MAX,
    GEOGRAPHY_FIELDS,
    PCF_DATE_TIME_FIELDS,
    PCF_NESTED_DATE_TIME_FIELDS,
    PCF_REQUIRED,
    REQUIRED,
    STATUSES,
    UN_M49_REGIONS,
    is_uuid,
    parse_datetime,
)
from .rules import (
    BIOGENIC_IDENTITY,
    RECOGNISED_NAMESPACES,
    rounding_tolerance,
    rule_errors,
    semantic_errors,
    semantic_findings,
)
from .schema import (
    DEFAULT_SPEC_DIR,
    ENV_SPEC_DIR,
    configured_spec_dir,
    official_validator,
    schema_errors,
    spec_dir,
    spec_file,
    warn_skipped,
)

__all__ = [
    "BIOGENIC_IDENTITY",
    "CROSS_SECTORAL_STANDARDS_USED_V2",
    "CROSS_SECTORAL_STANDARDS_V2",
    "DATE_TIME_FIELDS",
    "DECIMAL_FIELDS",
    "DECLARED_UNITS",
    "DEFAULT_SPEC_DIR",
    "DQR_MAX",
    "DQR_NAMES",
    "ENV_SPEC_DIR",
    "EXEMPTED_MAX",
    "FOOTPRINT_ID_NAMESPACE",
    "GEOGRAPHY_FIELDS",
    "IDENTITY_FIELDS",
    "PCF_DATE_TIME_FIELDS",
    "PCF_NESTED_DATE_TIME_FIELDS",
    "PCF_REQUIRED",
    "RECOGNISED_NAMESPACES",
    "REQUIRED",
    "STATUSES",
    "UN_M49_REGIONS",
    "configured_spec_dir",
    "content_hash",
    "document_major",
    "footprint_id",
    "gtin_ok",
    "identity_fields",
    "is_uuid",
    "lei_ok",
    "official_validator",
    "pact_major",
    "parse_datetime",
    "rounding_tolerance",
    "rule_errors",
    "schema_errors",
    "semantic_errors",
    "semantic_findings",
    "spec_dir",
    "spec_file",
    "validate_pact",
]

log = logging.getLogger(__name__)


# -- the validator ------------------------------------------------------------------------------
def pact_major(version) -> str:
    """``"3"`` or ``"2"`` from ``3``, ``"3.0.1"``, ``"v2"`` ...: the engine's one PACT version
    parser.

    >>> pact_major("3.0.1"), pact_major(2), pact_major("v3")
    ('3', '2', '3')

    Raises
    ------
    PCFError
        Any other version.
    """
    major = str(version).lstrip("vV").split(".", 1)[0]
    if major not in ("2", "3"):
        raise PCFError(f"PACT version {version!r} is not supported (2.x or 3.x)")
    return major


def document_major(doc: Mapping, source: str = "PACT") -> str:
    """``"3"`` or ``"2"``: the major version of a document's own ``specVersion``.

    >>> document_major({"specVersion": "2.3.0"})
    '2'

    Raises
    ------
    InvalidPCF
        Naming ``specVersion`` when it is missing or not a 2.x or 3.x version.
    """
    version = doc.get("specVersion")
    if version is None:
        raise InvalidPCF(source, "specVersion", "missing, and no version given")
    try:
        return pact_major(version)
    except PCFError:
        raise InvalidPCF(source, "specVersion", f"unsupported PACT version {version!r}") from None


def validate_pact(
    doc: Mapping,
    version: str | int | None = None,
    *,
    source: str = "PACT",
    spec_dir_path: str | os.PathLike | None = None,
    strict: bool = True,
    refuse: Iterable[str] = (),
    issued: bool = False,
) -> str:
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
    refuse
        Fields of consistency rules that are errors even when not ``strict`` (the supplier-PCF
        reader refuses :data:`BIOGENIC_IDENTITY`: it cannot tell which figure is wrong).
    issued
        The document is one we issue: the semantic rules (S1-S14 of ``reports/pact/RULES.md``:
        recognised id namespaces and check digits, the CPC class, the mass, packaging,
        exemption, validity and lifecycle rules) are errors. Otherwise they are logged as
        warnings (a partner's document, or WBCSD's examples, which use
        ``urn:company:example:...`` and a GTIN with a wrong check digit).

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
    major = document_major(doc, source) if version is None else pact_major(version)

    openapi = spec_file(major, spec_dir_path)
    errors = schema_errors(doc, major, openapi) if openapi is not None else []
    if openapi is None:
        warn_skipped(major, spec_dir_path)
    ours, inconsistent = rule_errors(doc, major)
    semantic = semantic_errors(doc, major)
    errors += ours
    if issued and strict:
        errors += semantic
        semantic = []
    refuse = set(refuse)
    errors += [(f, m) for f, m in inconsistent if strict or f in refuse]
    inconsistent = [(f, m) for f, m in inconsistent if not (strict or f in refuse)]
    if errors:
        listed = list(dict.fromkeys(f"{f}: {m}" for f, m in errors))
        raise InvalidPCF(source, errors[0][0], errors[0][1], listed)
    for f, m in [*inconsistent, *semantic]:
        log.warning("%s: PACT field %r: %s", source, f, m)
    return major
