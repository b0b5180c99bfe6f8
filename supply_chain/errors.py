"""Errors of the supply-chain layer: leaves of :class:`lca.errors.PCFError`.

Each names what is at fault (the BOM file and row, the node, the edge, the PACT field) and keeps
it as attributes, and also subclasses the matching builtin (``ValueError``, ``KeyError``) as
:mod:`lca.errors` does, so generic handlers keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

from lca.errors import KeyErrorMessage, PCFError
from lca.errors import UnitMismatch as BOMUnitMismatch  # noqa: F401  (the unit table's error)
from lca.units import UnknownUnit  # noqa: F401  (the unit table lives in lca.units)


class BOMError(PCFError, ValueError):
    """A bill of materials that cannot be used as it is."""


class BOMFormatError(BOMError):
    """A BOM file or record with a missing or invalid field (names the file, row and column)."""

    def __init__(self, where: str, field: str, value=None, why: str = ""):
        self.where, self.field, self.value = where, field, value
        msg = f"{where}: field {field!r}"
        if value is not None:
            msg += f" = {value!r}"
        super().__init__(msg + (f": {why}" if why else ""))


class BOMCycle(BOMError):
    """The BOM has a cycle (a part that, through its components, contains itself)."""

    def __init__(self, cycle: Sequence, where: str = ""):
        self.cycle, self.where = list(cycle), where
        shown = " -> ".join(repr(n) for n in self.cycle + self.cycle[:1])
        super().__init__(
            f"{where + ': ' if where else ''}The bill of materials has a cycle: {shown}"
        )


class UnknownPart(PCFError, KeyErrorMessage):
    """A part (BOM node) that is not in the bill of materials."""

    def __init__(self, part, where: str = ""):
        self.part = part
        super().__init__(f"Unknown part {part!r}" + (f" in {where}" if where else ""))


class InvalidPCF(PCFError, ValueError):
    """A PCF that fails validation: a supplier table row or a PACT ProductFootprint.

    ``field`` names the first failing field (a column, or a JSON path such as
    ``pcf.dqi.temporalDQR``); ``errors`` lists every violation found (``"field: why"``).
    :class:`reports.errors.PactValidationError` subclasses it.
    """

    def __init__(self, source: str, field: str, why: str, errors: Sequence[str] | None = None):
        self.source, self.field, self.why = source, field, why
        self.errors = list(errors or [f"{field}: {why}"])
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(self._message() + more)

    def _message(self) -> str:
        return f"{self.source}: invalid supplier PCF, field {self.field!r}: {self.why}"


class ConflictingPCFs(PCFError, ValueError):
    """Two or more different supplier PCFs for one product (PCF id or product URN) and no rule
    to choose between them; names the product and every source (file and row)."""

    def __init__(self, product: str, sources: Sequence[str], values: Sequence[str] = ()):
        self.product, self.sources = product, list(sources)
        shown = " and ".join(
            f"{s} ({v})" if v else s for s, v in zip(self.sources, [*values, *[""] * 99])
        )
        super().__init__(
            f"{len(self.sources)} different supplier PCFs for product {product!r}: {shown}; "
            "remove all but one, or choose a rule (--pcf-rule latest|lowest-dqr|first)"
        )


class MissingFootprint(BOMError):
    """BOM leaves with no usable footprint source (no valid PCF, activity or spend factor)."""

    def __init__(self, parts: Sequence, reasons: dict | None = None):
        self.parts = list(parts)
        self.reasons = dict(reasons or {})
        shown = "; ".join(f"{p!r} ({self.reasons.get(p, 'no source')})" for p in self.parts[:10])
        more = f" and {len(self.parts) - 10} more" if len(self.parts) > 10 else ""
        super().__init__(f"{len(self.parts)} BOM part(s) have no footprint source: {shown}{more}")


class LeverError(PCFError, ValueError):
    """Malformed lever input: names the lever, product or constraint at fault.

    Attributes ``lever``, ``product`` and ``constraint`` hold what is at fault (``None`` when it
    does not apply).
    """

    def __init__(
        self,
        message: str,
        *,
        lever: str | None = None,
        product: str | None = None,
        constraint: str | None = None,
    ):
        self.lever, self.product, self.constraint = lever, product, constraint
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# user input (pydantic)
# --------------------------------------------------------------------------------------------


class ScenarioError(PCFError, ValueError):
    """A scenario that cannot be applied: names the scenario, activity and input at fault."""

    def __init__(self, message: str, *, scenario: str | None = None, activity=None, input=None):
        self.scenario, self.activity, self.input = scenario, activity, input
        super().__init__(message)


class ScoringError(PCFError, ValueError):
    """Malformed scoring input; names the supplier (or weight) at fault."""

    def __init__(self, message: str, *, supplier: str | None = None):
        self.supplier = supplier
        super().__init__(message)


class ParameterError(PCFError, ValueError):
    """A product parameter file, name or value that cannot be used (names the file and the
    parameter; :mod:`supply_chain.parameters`)."""

    def __init__(self, msg: str, parameter: str | None = None, where: str | None = None):
        self.parameter, self.where = parameter, where
        super().__init__(f"{where}: {msg}" if where else msg)
