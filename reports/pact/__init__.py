"""PACT (WBCSD Pathfinder) ProductFootprint documents: build, validate, read, write, re-issue.

- :func:`pact_footprint` builds a v3 (default) or v2.3 ProductFootprint from a
  :class:`lca.footprint.FootprintResult` and a :class:`Declaration` (the metadata only the user
  knows: company and product ids, declared unit, product mass, reference period, geography,
  primary data share, DQI, ...). Every document is validated before it is returned
  (:mod:`reports.pact.footprint`, whose docstring maps every figure to the result).
- :func:`validate_footprint` runs the engine's one PACT validator
  (:func:`supply_chain.pact_spec.validate_pact`), raising :class:`PactValidationError`.
- :func:`read_product_footprint` / :func:`write_pact` read and write a whole document, exactly
  (:mod:`reports.pact.document`). Reading suppliers' footprints for the roll-up is
  :func:`supply_chain.read_pact`.
- :func:`reissue` deprecates a footprint and issues its successor (new id, ``precedingPfIds``),
  only our own (the two share a company id).
- The ``id`` of a footprint is stable (:func:`supply_chain.pact_spec.footprint_id`: uuid5 of
  its identity and values, never of free text or time stamps); computed figures are stated with
  7 significant digits (Brightway's float32 data; ``RULES.md`` B11); data quality is computed (:func:`supply_chain.data_quality.assess`, passed as
  ``pact_footprint(..., quality=...)``), never declared. ``RULES.md`` beside this package lists
  every rule the validator checks.
"""

from .aircraft import aircraft_emissions, dataset_boundaries
from .declaration import COMPUTED_KEYS, CutOff, DataQuality, Declaration, parse_model
from .document import (
    ProductFootprint,
    read_product_footprint,
    spec_major,
    validate_footprint,
    write_pact,
)
from .fields import (
    SIGNIFICANT_DIGITS,
    SPEC_VERSION,
    UNITS,
    decimal_string,
    declared_unit,
    geography_fields,
    unit_factor,
)
from .footprint import exempted_emissions, pact_comment, pact_footprint, pact_for, pact_from_meta
from .lifecycle import reissue

__all__ = [
    "COMPUTED_KEYS",
    "SIGNIFICANT_DIGITS",
    "SPEC_VERSION",
    "UNITS",
    "CutOff",
    "DataQuality",
    "Declaration",
    "ProductFootprint",
    "aircraft_emissions",
    "dataset_boundaries",
    "decimal_string",
    "declared_unit",
    "exempted_emissions",
    "geography_fields",
    "pact_comment",
    "pact_footprint",
    "pact_for",
    "pact_from_meta",
    "parse_model",
    "read_product_footprint",
    "reissue",
    "spec_major",
    "unit_factor",
    "validate_footprint",
    "write_pact",
]
