"""Errors of the reports layer; each names the field or file at fault (see :mod:`lca.errors`)."""

from __future__ import annotations

from lca.errors import PCFError
from supply_chain.errors import InvalidPCF


class ReportError(PCFError, ValueError):
    """Base class of the errors raised while building or writing a report."""


class InvalidDeclaration(ReportError):
    """User-supplied declaration metadata (or a result) that a document cannot be built from.

    ``field`` names the metadata field at fault (e.g. ``"declaration.company_ids[0]"``).
    """

    def __init__(self, field: str, value=None, why: str = "invalid value"):
        self.field, self.value, self.why = field, value, why
        shown = "" if value is None else f" {value!r}"
        super().__init__(f"{field}:{shown} {why}")


class UnsupportedUnit(InvalidDeclaration):
    """A product unit that the target format cannot declare (e.g. ``piece`` in PACT v2)."""

    def __init__(self, unit: str, target: str, known=()):
        self.unit, self.target = unit, target
        hint = f"; known: {', '.join(sorted(known))}" if known else ""
        super().__init__("declared_unit", unit, f"cannot be declared in {target}{hint}")


class PactValidationError(InvalidPCF, ReportError):
    """A PACT ProductFootprint that breaks the official schema or a rule of the data model.

    Raised by :mod:`reports.pact` for what :func:`supply_chain.pact_spec.validate_pact` (the one
    validator) finds; it is also a :class:`supply_chain.errors.InvalidPCF`, so callers catching
    either class work. ``field`` is the JSON path of the first failing field
    (``"pcf.declaredUnitOfMeasurement"``, ``"(document)"`` for the document itself); ``errors``
    lists every violation found; ``spec`` (also ``source``) names the document or version.
    """

    def __init__(self, spec: str, field: str, reason: str, errors: list[str] | None = None):
        self.spec, self.reason = spec, reason
        super().__init__(spec, field, reason, errors)

    def _message(self) -> str:
        return f"{self.spec} ProductFootprint field {self.field!r}: {self.reason}"


class ReportInputError(ReportError):
    """An input file (metadata YAML/JSON, PACT document) that cannot be read."""

    def __init__(self, path, why: str):
        self.path, self.why = str(path), why
        super().__init__(f"{path}: {why}")
