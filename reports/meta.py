"""Declaration metadata files: the YAML/JSON a user writes once per product.

Sections: ``declaration`` (PACT and ISO 14067, :class:`reports.pact.Declaration`), ``battery``
(EU Battery Regulation, :class:`reports.battery.BatteryInfo`) and ``study`` (ISO 14067 goal and
scope, :class:`reports.iso14067.StudyInfo`); only ``declaration`` is required.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from .errors import InvalidDeclaration, ReportInputError

__all__ = ["read_meta", "section"]


def read_meta(path: str | os.PathLike) -> dict:
    """The metadata sections of a YAML or JSON file (JSON when the name ends in ``.json``).

    Raises
    ------
    ReportInputError
        The file cannot be read or parsed, or has no ``declaration`` section.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ReportInputError(path, f"cannot read metadata ({exc})") from None
    if not isinstance(data, dict) or "declaration" not in data:
        raise ReportInputError(path, "needs a 'declaration' section")
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
