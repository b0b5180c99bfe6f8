"""The climate-method registry: short aliases, their Brightway tuples, and their sub-results.

Aliases resolve to the method tuples of bw2io's bundled ecoinvent 3.9 LCIA implementation:

- ``gwp100``: ('IPCC 2021', 'climate change', 'global warming potential (GWP100)'), AR6 GWP100,
  the default;
- ``gwp20``: ('IPCC 2021', 'climate change', 'global warming potential (GWP20)'), AR6 GWP20;
- ``gwp100-ar5`` / ``gwp20-ar5``: ('IPCC 2013', 'climate change', ...), AR5 GWP100 / GWP20;
- ``ef31``: ('EF v3.1', 'climate change', 'global warming potential (GWP100)'), EF 3.1 (the
  PEF method behind the EU battery rules).

Sub-results (fossil, biogenic, land use) are the bundled sub-indicator methods where bw2io has
them (IPCC 2021 and EF 3.1). For IPCC 2013 (AR5) bw2io bundles none, so they are *derived* from
the total method by the elementary flows' names, with the rule :func:`split_kind`:

- land use (dLUC): flows "... from soil or biomass stock" / "... to soil or biomass stock"
  (ecoinvent's land-transformation carbon flows);
- biogenic: flows named "non-fossil" (e.g. "Methane, non-fossil");
- fossil: every other characterised flow (fossil CO2 and CH4, N2O, F-gases, ...).

Applied to IPCC 2021 this rule reproduces bw2io's bundled fossil / biogenic / land-use split
exactly (tested), which is the evidence that it is the same convention.

Two engine-defined inventory indicators (kg CO2, not CO2e) support the PACT and ISO 14067
biogenic reporting, because IPCC methods give biogenic CO2 a factor of 0:

- ``('PCF', 'biogenic CO2', 'emissions')``: 1 per kg of "Carbon dioxide, non-fossil" (air);
- ``('PCF', 'biogenic CO2', 'removals')``: −1 per kg of "Carbon dioxide, in air" (natural
  resource), i.e. uptake counted negative as PACT prescribes.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ._quiet import quiet
from .errors import ProjectError, UnknownMethod

# bw2data and bw2io are imported inside the functions that need them, on purpose: they are
# heavy (~1.4 s each) and `pcf --help` must stay under 1 s.

log = logging.getLogger(__name__)

Method = tuple[str, ...]

ALIASES: dict[str, Method] = {
    "gwp100": ("IPCC 2021", "climate change", "global warming potential (GWP100)"),
    "gwp20": ("IPCC 2021", "climate change", "global warming potential (GWP20)"),
    "gwp100-ar5": ("IPCC 2013", "climate change", "global warming potential (GWP100)"),
    "gwp20-ar5": ("IPCC 2013", "climate change", "global warming potential (GWP20)"),
    "ef31": ("EF v3.1", "climate change", "global warming potential (GWP100)"),
}
DEFAULT = "gwp100"

#: IPCC assessment report behind each alias (PACT ``ipccCharacterizationFactors``).
IPCC_REPORT = {"gwp100": "AR6", "gwp20": "AR6", "gwp100-ar5": "AR5", "gwp20-ar5": "AR5"}

PARTS = ("fossil", "biogenic", "land_use")

# Bundled sub-indicator methods, by total method: part -> method tuple.
_BUNDLED_PARTS: dict[Method, dict[str, Method]] = {}
for _m in ("GWP100", "GWP20"):
    _total = ("IPCC 2021", "climate change", f"global warming potential ({_m})")
    _BUNDLED_PARTS[_total] = {
        "fossil": ("IPCC 2021", "climate change: fossil", _total[2]),
        "biogenic": ("IPCC 2021", "climate change: biogenic", _total[2]),
        "land_use": ("IPCC 2021", "climate change: land use", _total[2]),
    }
_BUNDLED_PARTS[ALIASES["ef31"]] = {
    "fossil": ("EF v3.1", "climate change: fossil", ALIASES["ef31"][2]),
    "biogenic": ("EF v3.1", "climate change: biogenic", ALIASES["ef31"][2]),
    "land_use": ("EF v3.1", "climate change: land use and land use change", ALIASES["ef31"][2]),
}

BIOGENIC_CO2_EMISSIONS: Method = ("PCF", "biogenic CO2", "emissions")
BIOGENIC_CO2_REMOVALS: Method = ("PCF", "biogenic CO2", "removals")

#: Bundled methods installed on first use (the derived ones are computed from these).
REQUIRED_METHODS: list[Method] = sorted(
    set(ALIASES.values())
    | {m for parts in _BUNDLED_PARTS.values() for m in parts.values()}
    | {BIOGENIC_CO2_EMISSIONS, BIOGENIC_CO2_REMOVALS}
)


def resolve(method: str | Iterable[str] | None) -> Method:
    """Method tuple for an alias (``"gwp100"``), a tuple, or ``"A|B|C"``; None → default."""
    if method is None:
        return ALIASES[DEFAULT]
    if isinstance(method, str):
        if method in ALIASES:
            return ALIASES[method]
        if "|" in method:
            return tuple(p.strip() for p in method.split("|"))
        raise UnknownMethod(method, ALIASES)
    return tuple(method)


def alias_of(method: Method) -> str | None:
    """The short alias of a method tuple, if it has one."""
    for k, v in ALIASES.items():
        if v == tuple(method):
            return k
    return None


def split_kind(flow_name: str) -> str:
    """Which part of climate change a characterised elementary flow belongs to (see module doc).

    >>> split_kind("Carbon dioxide, fossil"), split_kind("Methane, non-fossil")
    ('fossil', 'biogenic')
    >>> split_kind("Carbon dioxide, from soil or biomass stock")
    'land_use'
    """
    n = flow_name.lower()
    if "soil or biomass stock" in n or "land transformation" in n:
        return "land_use"
    if "non-fossil" in n or "biogenic" in n:
        return "biogenic"
    return "fossil"


def bundled_parts(method: Method) -> dict[str, Method] | None:
    """The bundled fossil / biogenic / land-use methods of a total method, if bw2io has them."""
    return _BUNDLED_PARTS.get(tuple(method))


#: Biosphere names of the perfluorocarbons (ecoinvent / biosphere3) -> their formula.
_PFC_FORMULAS = {
    "methane, tetrafluoro-": "CF4",
    "ethane, hexafluoro-": "C2F6",
    "propane, perfluoro-": "C3F8",
}


def gas_of(flow_name: str) -> str:
    """A short gas label for a characterised flow ("Methane, fossil" → "CH4").

    Perfluorocarbons take their formula, as IPCC AR6 Table 7.SM.7 and GHG inventories name them
    (the biosphere's trade-name tails "R-14" and "HFC-116" are not what a reader knows them by,
    and C2F6 is no HFC); other halocarbons keep their trade name.

    >>> gas_of("Dinitrogen monoxide"), gas_of("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a")
    ('N2O', 'HFC-134a')
    >>> gas_of("Methane, tetrafluoro-, R-14"), gas_of("Ethane, hexafluoro-, HFC-116")
    ('CF4', 'C2F6')
    """
    low = flow_name.lower()
    for prefix, formula in _PFC_FORMULAS.items():
        if low.startswith(prefix):
            return formula
    head, _, rest = flow_name.partition(",")
    rest = rest.strip()
    common = {
        "carbon dioxide": "CO2",
        "methane": "CH4",
        "dinitrogen monoxide": "N2O",
        "sulfur hexafluoride": "SF6",
        "nitrogen fluoride": "NF3",
        "carbon monoxide": "CO",
    }
    plain = rest in ("", "fossil", "non-fossil", "in air") or "soil or biomass" in rest
    if head.strip().lower() in common and plain:
        return common[head.strip().lower()]
    # Halocarbons end in their trade name: "Methane, tetrafluoro-, R-14" -> "R-14".
    tail = flow_name.rsplit(",", 1)[-1].strip()
    if re.match(r"^(HFC|CFC|HCFC|HCC|PFC|R|Halon)[- ]?\w", tail):
        return tail
    return flow_name


def install_methods(methods: Iterable[Method], biosphere: str) -> list[Method]:
    """Write the given methods into the current project (offline, from bw2io's bundled file).

    Bundled flow identifiers (``[database, code]`` lists) are mapped to the biosphere database's
    flows; factors for flows absent from it are skipped (and logged). The engine's own
    biogenic-CO2 indicators are built from the biosphere flows' names.
    """
    import bw2data as bd

    methods = [tuple(m) for m in methods]
    wanted = set(methods)
    codes = {
        f["code"]: (f["name"], tuple(f.get("categories") or ())) for f in bd.Database(biosphere)
    }
    written: list[Method] = []
    for raw in bundled_lcia_methods():
        name = tuple(raw["name"])
        if name not in wanted:
            continue
        data, skipped = [], 0
        for exc in raw["exchanges"]:
            code = exc["input"][1]
            if code in codes:
                data.append(((biosphere, code), float(exc["amount"])))
            else:
                skipped += 1
        if skipped:
            log.warning("%s: %d factor(s) for flows not in %r skipped", name, skipped, biosphere)
        _write_method(
            bd,
            name,
            data,
            raw.get("unit", "kg CO2-Eq"),
            "bw2io bundled LCIA (ecoinvent 3.9)",
        )
        written.append(name)
    for name, flow_name, cats, cf in (
        (BIOGENIC_CO2_EMISSIONS, "Carbon dioxide, non-fossil", "air", 1.0),
        (BIOGENIC_CO2_REMOVALS, "Carbon dioxide, in air", "natural resource", -1.0),
    ):
        if name not in wanted:
            continue
        data = [
            ((biosphere, code), cf)
            for code, (n, c) in codes.items()
            if n == flow_name and c and c[0] == cats
        ]
        _write_method(bd, name, data, "kg CO2", "PCF engine: biogenic CO2 inventory indicator")
        written.append(name)
    missing = wanted - set(written)
    if missing:
        raise ProjectError(f"Methods not found in bw2io's bundled file: {sorted(missing)}")
    return written


def _write_method(bd, name: Method, data, unit: str, description: str) -> None:
    m = bd.Method(name)
    try:
        with quiet():
            m.register(unit=unit, description=description)
            m.write(data)
    except Exception:
        if name in bd.methods:
            m.deregister()
        raise


def bundled_lcia_methods() -> list[dict]:
    """All LCIA methods bundled with bw2io (ecoinvent 3.9 implementation), as raw dicts.

    The file is a zip (LZMA) holding one JSON list; flow identifiers are ``[database, code]``.
    """
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    if not path.exists():
        raise ProjectError(f"bw2io's bundled LCIA file is missing: {path}")
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(zf.namelist()[0]))
