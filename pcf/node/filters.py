"""What a ListFootprints call or a RequestCreated event asks for, parsed into plain data.

:class:`Criteria` is the v3 filter set (``productId``, ``companyId``, ``geography``,
``classification``, ``validOn``, ``validAfter``, ``validBefore``, ``status``: OR within a
criterion, AND between criteria) plus the conditions of a v2 ``$filter``. Nothing here builds SQL:
:mod:`pcf.node.store` turns a :class:`Criteria` into SQLAlchemy expressions with bound
parameters.

The v2 ``$filter`` is the OData v4 subset of the PACT Technical Specifications 2.x ("Filtering"):
comparisons ``eq lt le gt ge`` on ``created``, ``updated``, ``productCategoryCpc``,
``pcf/geographyCountry``, ``pcf/referencePeriodStart``, ``pcf/referencePeriodEnd``; the lambda
``productIds/any(x:(x eq 'urn:...'))`` (and ``companyIds/any``); ``and``; parentheses. Anything
else is :class:`FilterNotImplemented` (the API's ``NotImplemented``); a malformed expression is
:class:`FilterSyntaxError` (``BadRequest``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import NodeError

__all__ = [
    "Condition",
    "Criteria",
    "FilterNotImplemented",
    "FilterSyntaxError",
    "criteria_from_event",
    "parse_timestamp",
    "parse_v2_filter",
    "parse_v3_query",
]

#: v3 query parameters (lower-cased; the spec's own example writes ``productid``) -> field.
V3_PARAMS = {
    "productid": "product_ids",
    "companyid": "company_ids",
    "geography": "geographies",
    "classification": "classifications",
    "status": "statuses",
}
V3_DATES = {"validon": "valid_on", "validafter": "valid_after", "validbefore": "valid_before"}


class FilterSyntaxError(NodeError, ValueError):
    """A filter value or expression that cannot be parsed (names the parameter)."""

    def __init__(self, param: str, value: str, why: str):
        self.param, self.value, self.why = param, value, why
        super().__init__(f"{param}={value!r}: {why}")


class FilterNotImplemented(FilterSyntaxError):
    """A v2 ``$filter`` using a property or operator outside the supported subset."""


@dataclass(frozen=True)
class Condition:
    """One v2 ``$filter`` comparison: ``field`` (a column of the store: created, updated,
    reference_start, reference_end; or a key kind: cpc, geography, productid, companyid),
    ``op`` (eq lt le gt ge), ``value`` (a UTC datetime or a lower-cased string)."""

    field: str
    op: str
    value: object


@dataclass
class Criteria:
    """Filters of one listing; empty lists mean "no restriction". Strings are lower-cased
    (matches are case-insensitive), datetimes are naive UTC."""

    product_ids: list[str] = field(default_factory=list)
    company_ids: list[str] = field(default_factory=list)
    geographies: list[str] = field(default_factory=list)
    classifications: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    valid_on: dt.datetime | None = None
    valid_after: dt.datetime | None = None
    valid_before: dt.datetime | None = None
    conditions: list[Condition] = field(default_factory=list)


def parse_timestamp(value: str, param: str = "date-time") -> dt.datetime:
    """An ISO 8601 / RFC 3339 timestamp as naive UTC; a missing zone is taken as UTC.

    Query values reach us not URL-encoded (see PACT-NOTES): the ``+`` of an offset arrives as a
    space, so a space before ``hh:mm`` is read as ``+``.

    >>> parse_timestamp("2025-04-01T02:00 02:00")
    datetime.datetime(2025, 4, 1, 0, 0)
    >>> parse_timestamp("2025-04-01T00:00:00Z")
    datetime.datetime(2025, 4, 1, 0, 0)
    """
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        stamp = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise FilterSyntaxError(param, value, "not an ISO 8601 date-time") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def parse_v3_query(items: Iterable[tuple[str, str]]) -> Criteria:
    """:class:`Criteria` from the query parameters of ``GET /3/footprints`` (names are
    case-insensitive; ``limit``, ``offset``, ``x-…`` and unknown names are left to the caller).

    >>> c = parse_v3_query([("productId", "URN:X"), ("status", "Active"), ("status", "xyz")])
    >>> c.product_ids, c.statuses
    (['urn:x'], ['active', 'xyz'])
    """
    crit = Criteria()
    for name, value in items:
        key = name.lower()
        if key in V3_PARAMS:
            getattr(crit, V3_PARAMS[key]).append(value.strip().lower())
        elif key in V3_DATES:
            setattr(crit, V3_DATES[key], parse_timestamp(value, name))
    return crit


def criteria_from_event(data: Mapping) -> Criteria:
    """:class:`Criteria` from the ``data`` of a RequestCreated event: v3's filter fields
    (``productId``, ``geography``…) or v2's ``pf`` fragment (``pf.productIds``,
    ``pf.companyIds``), which WBCSD's v3 tests also send.

    >>> criteria_from_event({"pf": {"productIds": ["urn:A"]}}).product_ids
    ['urn:a']
    """
    if not isinstance(data, Mapping):
        raise FilterSyntaxError("data", repr(data), "not an object")
    items: list[tuple[str, str]] = []
    pf = data.get("pf")
    sources: list[tuple[Mapping, dict[str, str]]] = [
        (data, {k: k for k in ("productId", "companyId", "geography", "classification", "status")})
    ]
    if isinstance(pf, Mapping):
        sources.append(
            (pf, {"productIds": "productId", "companyIds": "companyId", "status": "status"})
        )
    for obj, names in sources:
        for name, param in names.items():
            value = obj.get(name)
            values = value if isinstance(value, list) else [] if value is None else [value]
            for v in values:
                if not isinstance(v, str):
                    raise FilterSyntaxError(name, repr(v), "not a string")
                items.append((param, v))
    for name in ("validOn", "validAfter", "validBefore"):
        if isinstance(data.get(name), str):
            items.append((name, data[name]))
    return parse_v3_query(items)


# -- v2 $filter -------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[():])|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
_COMPARE = {"eq", "lt", "le", "gt", "ge"}
_DATE_FIELDS = {
    "created": "created",
    "updated": "updated",
    "pcf/referenceperiodstart": "reference_start",
    "pcf/referenceperiodend": "reference_end",
    # v2.0-2.2 names of the reference period
    "pcf/reportingperiodstart": "reference_start",
    "pcf/reportingperiodend": "reference_end",
}
_KEY_FIELDS = {"productcategorycpc": "cpc", "pcf/geographycountry": "geography"}
_ANY_FIELDS = {"productids": "productid", "companyids": "companyid"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterSyntaxError("$filter", text, f"unexpected text at {text[pos:]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append((kind, value[1:-1].replace("''", "'") if kind == "str" else value))
        pos = m.end()
    return out


def parse_v2_filter(text: str) -> list[Condition]:
    """The conditions of a v2 ``$filter`` (all of them must hold).

    >>> parse_v2_filter("created ge '2023-01-15T10:15:30Z' and pcf/geographyCountry eq 'DE'")
    [Condition(field='created', op='ge', value=datetime.datetime(2023, 1, 15, 10, 15, 30)), \
Condition(field='geography', op='eq', value='de')]
    >>> parse_v2_filter("productIds/any(p:(p eq 'urn:gtin:1'))")
    [Condition(field='productid', op='eq', value='urn:gtin:1')]
    """
    toks = _tokens(text)
    if not toks:
        return []
    conds: list[Condition] = []
    i = 0

    def expect(kind: str, value: str | None = None) -> str:
        nonlocal i
        if i >= len(toks) or toks[i][0] != kind or (value is not None and toks[i][1] != value):
            got = toks[i][1] if i < len(toks) else "the end"
            raise FilterSyntaxError("$filter", text, f"expected {value or kind}, got {got!r}")
        i += 1
        return toks[i - 1][1]

    def term() -> None:
        nonlocal i
        if i < len(toks) and toks[i] == ("punct", "("):
            i += 1
            conjunction()
            expect("punct", ")")
            return
        name = expect("word")
        key = name.lower()
        if key.endswith("/any") and key[:-4] in _ANY_FIELDS:
            expect("punct", "(")
            var = expect("word")
            expect("punct", ":")
            depth = 0
            while i < len(toks) and toks[i] == ("punct", "("):
                i, depth = i + 1, depth + 1
            if expect("word") != var:
                raise FilterSyntaxError("$filter", text, f"lambda must compare {var!r}")
            if expect("word").lower() != "eq":
                raise FilterNotImplemented("$filter", text, "only 'eq' inside any()")
            value = expect("str")
            for _ in range(depth):
                expect("punct", ")")
            expect("punct", ")")
            conds.append(Condition(_ANY_FIELDS[key[:-4]], "eq", value.strip().lower()))
            return
        op = expect("word").lower()
        if op not in _COMPARE:
            raise FilterNotImplemented("$filter", text, f"operator {op!r} is not supported")
        value = expect("str")
        if key in _DATE_FIELDS:
            conds.append(Condition(_DATE_FIELDS[key], op, parse_timestamp(value, "$filter")))
        elif key in _KEY_FIELDS:
            if op != "eq":
                raise FilterNotImplemented("$filter", text, f"{name} supports only 'eq'")
            conds.append(Condition(_KEY_FIELDS[key], "eq", value.strip().lower()))
        else:
            raise FilterNotImplemented("$filter", text, f"filtering on {name!r} is not supported")

    def conjunction() -> None:
        nonlocal i
        term()
        while i < len(toks) and toks[i][0] == "word" and toks[i][1].lower() in ("and", "or"):
            if toks[i][1].lower() == "or":
                raise FilterNotImplemented("$filter", text, "'or' is not supported")
            i += 1
            term()

    conjunction()
    if i != len(toks):
        raise FilterSyntaxError("$filter", text, f"unexpected {toks[i][1]!r}")
    return conds
