"""The official PACT OpenAPI documents: where they are, and validation against them.

WBCSD's documents are licensed for verbatim non-commercial copies, so the engine neither ships
them nor anything derived from them; they are read from ``spec_dir_path``, else
``$PCF_PACT_SPEC_DIR``, else ``../shared/reference/pact`` beside the project.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from lca.errors import PCFError
from lca.files import read_text

from .model import is_uuid, parse_datetime

log = logging.getLogger(__name__)

ENV_SPEC_DIR = "PCF_PACT_SPEC_DIR"
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "pact"


# -- where the official documents are -------------------------------------------------------------
def configured_spec_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory to read the official documents from: ``path``, else ``$PCF_PACT_SPEC_DIR``,
    else ``../shared/reference/pact`` beside the project. It need not exist."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_SPEC_DIR)
    return Path(env) if env else DEFAULT_SPEC_DIR


def spec_file(major: str, path: str | os.PathLike | None = None) -> Path | None:
    """``<dir>/v<major>/openapi.yaml`` when it exists, else ``None``."""
    f = configured_spec_dir(path) / f"v{major}" / "openapi.yaml"
    return f if f.is_file() else None


def spec_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory holding ``v3/openapi.yaml`` (and ``v2/``); PCFError when there is none."""
    if spec_file("3", path) is None:
        raise PCFError(
            f"PACT OpenAPI documents not found in {configured_spec_dir(path)}: pass spec_dir or "
            f"set {ENV_SPEC_DIR} to a directory with v2/openapi.yaml and v3/openapi.yaml"
        )
    return configured_spec_dir(path)


_warned: set[tuple[str, str]] = set()


def warn_skipped(major: str, path) -> None:
    key = (major, str(configured_spec_dir(path)))
    if key not in _warned:
        _warned.add(key)
        log.warning(
            "PACT v%s: full schema validation against the official OpenAPI document was skipped "
            "(no v%s/openapi.yaml in %s; set %s to the directory of the PACT specification); "
            "only the engine's own data-model rules were checked",
            major,
            major,
            key[1],
            ENV_SPEC_DIR,
        )


# -- the official schema ---------------------------------------------------------------------------
@functools.cache
def official_validator(openapi_yaml: str | os.PathLike):
    """A Draft 2020-12 validator for ``#/components/schemas/ProductFootprint`` of an OpenAPI 3.1
    document (read from ``openapi_yaml``; nothing of it is kept beyond the process)."""
    import yaml
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    # libyaml's loader where PyYAML was built with it: the spec is ~1 MB of YAML (0.9 s → 0.1 s)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(read_text(openapi_yaml), Loader=loader)
    uri = "urn:pcf-engine:pact:openapi"
    registry = Registry().with_resource(uri, Resource(contents=doc, specification=DRAFT202012))
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:  # jsonschema needs an extra package for this otherwise
        if isinstance(value, str):
            parse_datetime(value)
        return True

    @checker.checks("uuid")
    def _uuid(value) -> bool:
        return not isinstance(value, str) or is_uuid(value)

    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/ProductFootprint"},
        registry=registry,
        format_checker=checker,
    )


def json_path(parts) -> str:
    """``["pcf", "dqi", "temporalDQR"]`` -> ``pcf.dqi.temporalDQR``; indices as ``[0]``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _schema_field(err) -> str:
    parts = list(err.absolute_path)
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [r for r in err.validator_value if r not in err.instance]
        parts += missing[:1]
    return json_path(parts)


def schema_errors(doc: Mapping, major: str, openapi_yaml) -> list[tuple[str, str]]:
    """``[(field, message)]`` of the official schema, the most relevant first."""
    errors = list(official_validator(str(openapi_yaml)).iter_errors(doc))
    if not errors:
        return []
    from jsonschema.exceptions import best_match

    first = best_match(errors)
    rest = [e for e in errors if e is not first]
    return [(_schema_field(e), e.message) for e in [first, *rest]]
