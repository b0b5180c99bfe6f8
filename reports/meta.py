"""Declaration metadata files: the YAML/JSON a user writes once per product.

Sections: ``declaration`` (PACT and ISO 14067, :class:`reports.pact.Declaration`), ``battery``
(EU Battery Regulation, :class:`reports.battery.BatteryInfo`) and ``study`` (ISO 14067 goal and
scope, :class:`reports.iso14067.StudyInfo`); only ``declaration`` is required.

A meta file adds company data, never quality scores: a key of a figure the engine computes
(:data:`reports.pact.declaration.COMPUTED_KEYS`: ``dqi``, ``primary_data_share``,
``exempted_emissions_percent``, ...) anywhere in the file is refused, naming the file and the
key's path (``declaration.dqi``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from .errors import InvalidDeclaration, ReportInputError
from .pact.declaration import COMPUTED_KEYS

__all__ = ["computed_keys", "read_meta", "section"]


def computed_keys(data, path: str = "") -> list[str]:
    """The paths of keys in ``data`` (nested dicts and lists) that name computed figures.

    >>> computed_keys({"declaration": {"dqi": {}, "company_name": "x"}, "study": {}})
    ['declaration.dqi']
    """
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            where = f"{path}.{k}" if path else str(k)
            if k in COMPUTED_KEYS:
                found.append(where)
            else:
                found += computed_keys(v, where)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += computed_keys(v, f"{path}[{i}]")
    return found


def read_meta(path: str | os.PathLike) -> dict:
    """The metadata sections of a YAML or JSON file (JSON when the name ends in ``.json``).

    Raises
    ------
    ReportInputError
        The file cannot be read or parsed, has no ``declaration`` section, or types a figure
        the engine computes (naming the key's path and what computes it).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ReportInputError(path, f"cannot read metadata ({exc})") from None
    if not isinstance(data, dict) or "declaration" not in data:
        raise ReportInputError(path, "needs a 'declaration' section")
    bad = computed_keys(data)
    if bad:
        key = bad[0].rsplit(".", 1)[-1].split("[", 1)[0]
        raise ReportInputError(
            path,
            f"{bad[0]}: {COMPUTED_KEYS[key]}; a meta file adds company data, never "
            "quality scores: remove it",
        )
    return data


def section(meta: dict, name: str, where: str = "meta"):
    """The section ``name`` of metadata read by :func:`read_meta`.

    >>> section({"study": {"goal": "x"}}, "study")
    {'goal': 'x'}

    Raises
    ------
    InvalidDeclaration
        Naming ``<where>.<name>`` when the section is missing or empty.
    """
    if name not in meta or meta[name] is None:
        raise InvalidDeclaration(f"{where}.{name}", None, "section is missing")
    return meta[name]
