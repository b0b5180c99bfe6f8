"""``pcf demo``'s checks before anything is written: every option and input of the run is
refused here, with its name, or the run cannot fail on it half way."""

from __future__ import annotations

import os
from pathlib import Path

from lca import methods
from lca.errors import UncertaintyError
from lca.files import check_output_dir
from lca.footprint import FootprintEngine
from lca.imports import shipped_inventories
from lca.project import Project
from lca.workflows import Progress, ensure_inventories
from reports import StudyInfo, pact_footprint
from reports.battery import battery_declaration_for
from reports.meta import section
from reports.pact import Declaration
from reports.pact.fields import ipcc_factors
from reports.render import normalize_lang

from .reports import DEMO_PRODUCTS, load_meta

__all__ = ["check_draws", "preflight"]


def check_draws(iterations: int, seed: int) -> None:
    """Refuse Monte Carlo options that give no usable result.

    >>> check_draws(1, 42)
    Traceback (most recent call last):
    ...
    lca.errors.UncertaintyError: iterations: 1 draw has no spread (its standard deviation is undefined); give 0 (no Monte Carlo) or at least 2

    Raises
    ------
    UncertaintyError
        Naming ``iterations`` (negative, or 1) or ``seed`` (outside 0 to 2**32 - 1).
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise UncertaintyError(f"iterations: {iterations!r} is not a whole number >= 0")
    if iterations == 1:
        raise UncertaintyError(
            "iterations: 1 draw has no spread (its standard deviation is undefined); "
            "give 0 (no Monte Carlo) or at least 2"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise UncertaintyError(f"seed: {seed!r} is not a whole number from 0 to 2**32 - 1")


def preflight(
    proj: Project,
    engine: FootprintEngine,
    out: str | os.PathLike,
    method: str,
    iterations: int,
    seed: int,
    lang: str,
    progress: Progress | None = None,
) -> str:
    """Check every option of :func:`pcf.demo.run` before it writes anything; the language code.

    Cheap checks first (language, draws, output folder, method name, metadata), then the
    demo product's footprint with ``method`` is put through every document the demo writes
    from it (PACT needs IPCC characterisation factors; the battery declaration its stages), so
    a method such as ``ef31`` is refused in seconds rather than after the footprints.

    Raises
    ------
    PCFError
        The leaf class of the first check that fails, naming the option, file or field.
    """
    code = normalize_lang(lang)
    check_draws(iterations, seed)
    check_output_dir(Path(out))
    m = methods.resolve(method)
    metas = {key: load_meta(None, key) for key in DEMO_PRODUCTS}
    for meta in metas.values():
        StudyInfo.parse(section(meta, "study"))
        # what the method alone decides (PACT's IPCC factors), before the project is written to
        ipcc_factors(m, Declaration.parse(section(meta, "declaration")))
    ensure_inventories(proj, shipped_inventories(), progress)
    for key, meta in metas.items():
        result = engine.footprint(key, method)
        pact_footprint(result, section(meta, "declaration"), 3)
        if meta.get("battery"):  # also: the meta's service life is the model's
            battery_declaration_for(engine, key, meta["battery"], method)
    return code
