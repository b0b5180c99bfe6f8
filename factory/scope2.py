"""Scope 2 of a plant period, dual reporting (GHG Protocol Scope 2 Guidance, 2015).

- location-based: every kWh bought × the grid region's average factor;
- market-based: kWh covered by a contractual instrument that meets the quality criteria get the
  instrument's emission rate; the rest get the region's residual mix (China: MEE's national
  factor excluding market-traded non-fossil power, used as a residual-mix proxy), or the grid
  average when the map gives no residual (flagged in ``notes``). Criteria checked: the instrument
  type conveys attributes (it is in the map), it was retired/cancelled for this plant (unique
  claim), its vintage year is within ``max_vintage_gap`` years of the period, and its market
  (country) is the market of the electricity. Instruments failing a criterion are listed with the
  reason and count for nothing. Claiming more instrument kWh than grid kWh bought in a market
  raises :class:`~factory.inputs.CertificateOverclaim` (:func:`check_overclaim`, the one
  over-claim rule; :func:`check_claims` applies it to an inventory built or edited in code).

The green-power share is (qualifying instrument kWh + on-site renewable kWh) / (grid kWh bought
+ on-site renewable kWh).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from lca.units import convert_or_none

from .factors import Factor, FactorResolver
from .inputs import (
    YES,
    CertificateOverclaim,
    FactoryInputError,
    MissingUnit,
    PlantData,
    Record,
    UnknownFactoryItem,
)
from .results import PlantInventory, SourceLine, make_line, scaled

#: Relative tolerance of the over-claim rule (rounding of MWh figures).
OVERCLAIM_TOLERANCE = 1e-9
RETIRED = YES  # retired/cancelled on the plant's behalf


def check_overclaim(
    path, row: int | None, period: str, market: str, claimed_kwh: float, bought_kwh: float
) -> None:
    """The over-claim rule: instruments claimed in a market may not exceed the grid kWh bought
    there (double counting).

    >>> check_overclaim("plant.csv", 9, "2024", "CN", 1000.0, 2000.0)
    >>> check_overclaim("plant.csv", 9, "2024", "CN", 3000.0, 2000.0)
    Traceback (most recent call last):
    ...
    factory.inputs.CertificateOverclaim: plant.csv, row 9, column 'amount': 2024: 3 MWh of \
contractual instruments claimed in market CN but only 2 MWh of grid electricity bought there \
(double counting)

    Raises
    ------
    CertificateOverclaim
        Naming the file and the row of the instrument that tips the balance.
    """
    if claimed_kwh > bought_kwh * (1 + OVERCLAIM_TOLERANCE):
        raise CertificateOverclaim(
            path,
            row,
            "amount",
            f"{period}: {claimed_kwh / 1000:g} MWh of contractual instruments claimed in market "
            f"{market} but only {bought_kwh / 1000:g} MWh of grid electricity bought there "
            "(double counting)",
        )


def check_claims(plant: PlantInventory) -> None:
    """Apply the over-claim rule to every period of an inventory (e.g. built or edited in code;
    :func:`factory.plant_inventory` already refuses such input).

    Raises
    ------
    CertificateOverclaim
        Instruments claim more MWh than the plant bought in a market, or the qualifying
        instruments exceed all the grid electricity bought.
    """
    for period, inv in plant.periods.items():
        bought = inv.electricity.get("purchased_kwh_by_market", {})
        claimed: dict[str, float] = defaultdict(float)
        for ins in inv.instruments:
            m = ins["market"]
            if m not in bought:
                continue
            claimed[m] += ins["kwh"]
            check_overclaim(plant.path, ins.get("row"), period, m, claimed[m], bought[m])
        if inv.electricity.get("instrument_kwh_qualifying", 0.0) > (
            inv.electricity.get("purchased_kwh", 0.0) * (1 + OVERCLAIM_TOLERANCE)
        ):
            raise CertificateOverclaim(
                plant.path,
                None,
                "amount",
                f"{period}: qualifying instruments exceed the grid electricity bought",
            )


def market_of(region: str) -> str:
    """The electricity market (country) of a grid region: ``CN-JS`` -> ``CN``."""
    return region.split("-", 1)[0].upper()


def period_year(path, rec: Record) -> int:
    """The year a record's period starts with (``2024``, ``2024-03``)."""
    m = re.match(r"^(\d{4})", rec.period)
    if not m:
        raise FactoryInputError(
            path,
            rec.row,
            "period",
            f"period {rec.period!r} does not start with a year (2024, 2024-03)",
        )
    return int(m.group(1))


@dataclass
class Purchase:
    """Grid electricity bought in one row: kWh, location and market factors, market."""

    rec: Record
    kwh: float
    loc: Factor
    mkt: Factor
    market: str


@dataclass
class Scope2:
    """What a period's electricity adds up to (the lines themselves go to the inventory)."""

    lines: list[SourceLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    instruments: list[dict] = field(default_factory=list)
    bought: dict[str, float] = field(default_factory=dict)
    covered_kwh: float = 0.0
    uncovered_kwh: float = 0.0
    uncovered_kg: float = 0.0
    residual_weighted: float = 0.0


def _purchases(data: PlantData, period: str, res: FactorResolver, s2: Scope2) -> list[Purchase]:
    purchases = []
    for rec in data.of(period, "electricity"):
        if not rec.region:
            raise UnknownFactoryItem(
                data.path, rec.row, "region", "purchased electricity needs its grid region"
            )
        e = res.entry("grid", rec, "region")
        loc = res.direct((e["database"], e["code"]), rec, "region")
        if e.get("residual_code"):
            mkt = res.direct((e["residual_database"], e["residual_code"]), rec, "region")
        else:
            mkt = loc
            s2.notes.append(
                f"row {rec.row}: no residual mix mapped for {rec.region}; market-based "
                "scope 2 uses the location-based grid average (Scope 2 Guidance "
                "allows it, at the risk of double counting renewable attributes)"
            )
        kwh = res.amount_in(rec, loc.unit)
        purchases.append(Purchase(rec, kwh, loc, mkt, market_of(rec.region)))
        s2.lines.append(
            make_line(
                "2-location",
                "purchased_electricity",
                rec,
                "technosphere",
                loc.key,
                loc.name,
                kwh,
                loc.unit,
                scaled(loc.by_gas, kwh),
            )
        )
    bought: dict[str, float] = defaultdict(float)
    for p in purchases:
        bought[p.market] += p.kwh
    s2.bought = dict(bought)
    return purchases


def _instrument_reasons(
    data: PlantData, rec: Record, year: int, market: str, bought: dict, max_gap: int
) -> list[str]:
    """Why an instrument fails the Scope 2 quality criteria (empty: it qualifies)."""
    reasons = []
    if rec.retired not in RETIRED:
        reasons.append("not retired/cancelled on the plant's behalf (unique claim)")
    if not rec.vintage:
        reasons.append("no vintage")
    else:
        try:
            gap = abs(int(str(rec.vintage)[:4]) - year)
        except ValueError:
            raise FactoryInputError(
                data.path, rec.row, "vintage", f"vintage {rec.vintage!r} is not a year"
            ) from None
        if gap > max_gap:
            reasons.append(
                f"vintage {rec.vintage} is {gap} year(s) from the period (allowed: {max_gap})"
            )
    if market not in bought:
        reasons.append(
            f"market {market} is not a market the plant buys electricity in "
            f"({', '.join(sorted(bought)) or 'none'})"
        )
    return reasons


def _instruments(
    data: PlantData, period: str, res: FactorResolver, max_gap: int, s2: Scope2
) -> dict[str, list]:
    """Every instrument of the period checked; the qualifying ones by market."""
    claimed: dict[str, float] = defaultdict(float)
    qualifying: dict[str, list] = defaultdict(list)  # market -> [(kwh, Factor, rec)]
    for rec in data.of(period, "certificate"):
        year = period_year(data.path, rec)
        e = res.entry("instrument", rec)
        f = res.direct((e["database"], e["code"]), rec)
        kwh = res.amount_in(rec, f.unit)
        market = market_of(rec.region or data.region)
        reasons = _instrument_reasons(data, rec, year, market, s2.bought, max_gap)
        if market in s2.bought:
            claimed[market] += kwh
            check_overclaim(data.path, rec.row, period, market, claimed[market], s2.bought[market])
        ok = not reasons
        s2.instruments.append(
            {
                "row": rec.row,
                "item": rec.item,
                "kwh": kwh,
                "market": market,
                "vintage": rec.vintage,
                "retired": rec.retired,
                "qualifies": ok,
                "reasons": reasons,
                "dataset": f"{f.key[0]}|{f.key[1]}",
            }
        )
        if ok:
            qualifying[market].append((kwh, f, rec))
        else:
            s2.notes.append(
                f"row {rec.row}: {rec.item} {kwh / 1000:g} MWh does not meet the "
                f"Scope 2 quality criteria: {'; '.join(reasons)}; not counted"
            )
    return qualifying


def _market_lines(purchases: list[Purchase], qualifying: dict[str, list], s2: Scope2) -> None:
    """Market-based lines: each purchase split pro rata into instrument and residual kWh."""
    bought = s2.bought
    for p in purchases:
        rec, kwh, loc, mkt, m = p.rec, p.kwh, p.loc, p.mkt, p.market
        q = sum(k for k, *_ in qualifying.get(m, []))
        for qk, f, crec in qualifying.get(m, []):
            part = kwh * qk / bought[m]
            s2.lines.append(
                SourceLine(
                    "2-market",
                    "contractual_instrument",
                    crec.item,
                    rec.product or None,
                    rec.row,
                    "technosphere",
                    f.key,
                    f.name,
                    part,
                    f.unit,
                    scaled(f.by_gas, part),
                )
            )
            s2.covered_kwh += part
        rest = kwh * (1 - q / bought[m]) if bought[m] else kwh
        ln = make_line(
            "2-market",
            "residual_mix" if mkt is not loc else "grid_average",
            rec,
            "technosphere",
            mkt.key,
            mkt.name,
            rest,
            mkt.unit,
            scaled(mkt.by_gas, rest),
        )
        s2.lines.append(ln)
        s2.uncovered_kwh += rest
        s2.uncovered_kg += ln.total
        s2.residual_weighted += kwh * mkt.total


def electricity_scope2(data: PlantData, period: str, res: FactorResolver, max_gap: int) -> Scope2:
    """Location- and market-based scope 2 of a period's grid electricity (module doc).

    Raises
    ------
    CertificateOverclaim
        More instrument kWh claimed in a market than bought there.
    FactoryInputError
        (or a subclass) for a row that cannot be used, naming file, row and column.
    """
    s2 = Scope2()
    purchases = _purchases(data, period, res, s2)
    qualifying = _instruments(data, period, res, max_gap, s2)
    _market_lines(purchases, qualifying, s2)
    return s2


def heat_lines(data: PlantData, period: str, res: FactorResolver) -> list[SourceLine]:
    """Location- and market-based lines of the heat and steam bought."""
    lines = []
    for rec in data.of(period, "heat"):
        e = res.entry("heat", rec, "item")
        loc = res.direct((e["database"], e["code"]), rec)
        mkt = (
            res.direct((e["residual_database"], e["residual_code"]), rec)
            if e.get("residual_code")
            else loc
        )
        amt = res.amount_in(rec, loc.unit)
        lines.append(
            make_line(
                "2-location",
                "purchased_heat",
                rec,
                "technosphere",
                loc.key,
                loc.name,
                amt,
                loc.unit,
                scaled(loc.by_gas, amt),
            )
        )
        lines.append(
            make_line(
                "2-market",
                "purchased_heat",
                rec,
                "technosphere",
                mkt.key,
                mkt.name,
                amt,
                mkt.unit,
                scaled(mkt.by_gas, amt),
            )
        )
    return lines


def onsite_kwh(data: PlantData, period: str, res: FactorResolver) -> tuple[float, float]:
    """(renewable, other) kWh generated and consumed on site."""
    ren = other = 0.0
    for rec in data.of(period, "onsite"):
        e = res.entry("onsite", rec)
        kwh = convert_or_none(rec.amount, rec.unit, "kilowatt hour")
        if kwh is None:
            raise MissingUnit(
                data.path, rec.row, "unit", f"on-site generation needs kWh/MWh, got {rec.unit!r}"
            )
        if e.get("renewable") == "yes":
            ren += kwh
        else:
            other += kwh
    return ren, other


def electricity_balance(s2: Scope2, onsite_ren: float, onsite_other: float) -> dict:
    """The kWh balance and green-power share of a period (module doc)."""
    purchased = sum(s2.bought.values())
    demand = purchased + onsite_ren
    green = s2.covered_kwh + onsite_ren
    return {
        "purchased_kwh": purchased,
        "purchased_kwh_by_market": dict(s2.bought),
        "onsite_renewable_kwh": onsite_ren,
        "onsite_fossil_kwh": onsite_other,
        "instrument_kwh_qualifying": s2.covered_kwh,
        "instrument_kwh_rejected": sum(i["kwh"] for i in s2.instruments if not i["qualifies"]),
        "uncovered_kwh": s2.uncovered_kwh,
        "green_kwh": green,
        "green_share": green / demand if demand else 0.0,
        "consumed_kwh": demand + onsite_other,
    }
