"""What a project must hold to be used: its biosphere database (found, not assumed) and the
registry's climate methods; checking them, and creating them offline on first use
(:func:`lca.project.open_project` calls these)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._quiet import quiet
from .errors import ProjectError
from .methods import REQUIRED_METHODS, install_methods

if TYPE_CHECKING:  # project.py imports this module: the class is only a type here
    from .project import Project

log = logging.getLogger("lca.project")  # same logger as before the split: messages unchanged


def detect_biosphere(bd) -> str:
    """The biosphere database the current project uses.

    In order: the only database holding elementary flows; else the database the installed
    climate methods of the registry link to; else ``bw2data.config.biosphere`` if it is one of
    several candidates (or if there is none yet: what first use creates).

    Raises
    ------
    ProjectError
        Several biosphere databases and nothing to tell which one the project uses.
    """
    candidates = [d for d in sorted(bd.databases) if _is_biosphere(bd, d)]
    if len(candidates) == 1:
        return candidates[0]
    linked = _method_biosphere(bd)
    if linked:
        return linked
    default = bd.config.biosphere
    if not candidates or default in candidates:
        return default
    raise ProjectError(
        f"Brightway project {bd.projects.current!r} has several biosphere databases "
        f"({', '.join(candidates)}) and no installed climate method telling which one it uses"
    )


def _is_biosphere(bd, name: str) -> bool:
    """Whether database ``name`` holds elementary flows (by its metadata, else its nodes)."""
    meta = bd.databases[name]
    if "biosphere" in (meta.get("type"), meta.get("format")):
        return True
    if meta.get("backend", "sqlite") != "sqlite":
        return False
    from bw2data.backends import ActivityDataset as AD

    kind = AD.select(AD.type).where(AD.database == name).limit(1).scalar()
    labels = bd.labels
    return kind is not None and kind not in (*labels.lci_node_types, *labels.other_node_types)


def _method_biosphere(bd) -> str | None:
    """The database the first installed registry method's first factor links to."""
    for m in REQUIRED_METHODS:
        if m not in bd.methods:
            continue
        for flow, *_ in bd.Method(m).load():
            try:
                node = (
                    bd.get_node(id=flow)
                    if isinstance(flow, int)
                    else bd.get_node(database=flow[0], code=flow[1])
                )
            except Exception:  # a dangling factor: try the next one
                log.debug("method %s: factor for unknown flow %r", m, flow, exc_info=True)
                continue
            return node["database"]
    return None


def missing_setup(proj: Project) -> list[str]:
    """What :func:`ensure_setup` would create: the biosphere database and/or methods."""
    bd = proj.bd
    missing = [] if proj.biosphere in bd.databases else [f"biosphere database {proj.biosphere!r}"]
    return missing + ["|".join(m) for m in REQUIRED_METHODS if m not in bd.methods]


def check_setup(proj: Project) -> None:
    """Raise :class:`ProjectError` naming what the engine needs and ``proj`` lacks."""
    missing = missing_setup(proj)
    if missing:
        raise ProjectError(
            f"Brightway project {proj.name!r} in {proj.base_dir} lacks what the engine needs "
            f"(biosphere {proj.biosphere!r}): {'; '.join(missing)}. Nothing was created in it. "
            "Install them into that project (offline, a few seconds) by running with setup: "
            f"lca.project.open_project(project={proj.name!r}, use_global=True, setup=True), or "
            "use the engine's own directory (without --global)"
        )


def ensure_setup(proj: Project) -> None:
    """Create the biosphere database and the registry's methods if missing (idempotent).

    A biosphere database is created only if the project has none (:func:`detect_biosphere`);
    methods are installed against the project's own biosphere. Takes the write lock.
    """
    if not missing_setup(proj):
        return
    with proj.write_lock(f"set-up of project {proj.name!r}"):
        _create_setup(proj)


def _create_setup(proj: Project) -> None:
    """What :func:`ensure_setup` does, without the lock (its callers hold it)."""
    bd = proj.bd
    if proj.biosphere not in bd.databases:
        log.info("creating biosphere database %r (first use)", proj.biosphere)
        import bw2io  # heavy (~1.4 s): only on first use

        try:
            with quiet():
                bw2io.create_default_biosphere3()
        except Exception as exc:
            if proj.biosphere in bd.databases:
                del bd.databases[proj.biosphere]
            raise ProjectError(f"Could not create the biosphere database: {exc}") from exc
    missing = [m for m in REQUIRED_METHODS if m not in bd.methods]
    if missing:
        log.info("installing %d climate methods (first use)", len(missing))
        install_methods(missing, proj.biosphere)
