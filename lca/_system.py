"""A product system's matrices with their labels (:class:`System`), and the checks and bulk
metadata reads :class:`~lca.footprint.FootprintEngine` builds it with.

Private: import :class:`System` from :mod:`lca.footprint`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ._footprint_result import STAGES, Key
from .errors import InventoryError, NonSquareTechnosphere, PCFError, UnknownProduct
from .project import Project
from .solver import Factorization, factorize_named

__all__ = ["System", "check_product", "node_metadata", "nonsquare"]


@dataclass
class System:
    """Technosphere and biosphere of a set of databases, with labels and one factorisation."""

    A: sp.csr_matrix
    B: sp.csr_matrix
    activity_ids: np.ndarray  # column -> node id
    product_index: dict[int, int]  # node id -> row of A
    activity_index: dict[int, int]  # node id -> column of A
    flow_ids: np.ndarray  # row of B -> flow id
    keys: list[Key]
    names: list[str]
    locations: list[str | None]
    units: list[str | None]
    stages: np.ndarray
    flow_names: list[str]
    fact: Factorization
    databases: frozenset[str]
    #: each database's (name, modified, processed) stamp when the system was built
    stamp: tuple = ()

    def changed(self, A: sp.spmatrix, B: sp.spmatrix) -> System:
        """A copy with technosphere ``A`` and biosphere ``B`` (same shapes and labels);
        ``A`` is factorised again only if it differs. The Brightway database is not touched."""
        A, B = sp.csr_matrix(A), sp.csr_matrix(B)
        if A.shape != self.A.shape or B.shape != self.B.shape:
            raise ValueError(
                f"changed matrices {A.shape}, {B.shape} do not match the system's "
                f"{self.A.shape}, {self.B.shape}"
            )
        same_a = (A != self.A).nnz == 0
        fact = self.fact if same_a else factorize_named(A, [f"{k[0]}|{k[1]}" for k in self.keys])
        return replace(self, A=A, B=B, fact=fact)


def check_product(project: Project, node) -> None:
    """Raise :class:`UnknownProduct` for an elementary flow given as a product."""
    kind = node.get("type")
    known = (*project.bd.labels.lci_node_types, *project.bd.labels.other_node_types)
    if node["database"] == project.biosphere or (kind is not None and kind not in known):
        raise UnknownProduct(
            node.key, f"{node.get('name')!r} is an elementary flow, not a product (an activity)"
        )


def nonsquare(exc: Exception, databases) -> NonSquareTechnosphere:
    """bw2calc's NonsquareTechnosphere as ours, saying what usually causes it."""
    nums = [int(x) for x in re.findall(r"(\d+) (?:activities|products)", str(exc))]
    n_act, n_prod = (nums + [0, 0])[:2]
    return NonSquareTechnosphere(
        n_prod,
        n_act,
        where=f"databases {', '.join(sorted(databases))}: some exchanges point at nodes that "
        "no longer exist (a database they use was replaced outside pcf import); re-import "
        "the databases that use it, or run pcf doctor",
    )


def node_metadata(ids: np.ndarray) -> dict[int, tuple]:
    """id -> (key, name, location, unit, stage) for nodes, read in bulk from bw2data's SQLite."""
    from bw2data.backends import ActivityDataset as AD

    out: dict[int, tuple] = {}
    ids = [int(i) for i in ids]
    for chunk in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        part = ids[chunk : chunk + 900]
        for row in AD.select(AD.id, AD.database, AD.code, AD.name, AD.location, AD.data).where(
            AD.id.in_(part)
        ):
            data = row.data or {}
            stage = data.get("stage") or None
            if stage is not None and stage not in STAGES:
                raise InventoryError(
                    f"activity {(row.database, row.code)!r} has unknown stage {stage!r}; "
                    f"expected one of {', '.join(STAGES)}"
                )
            out[row.id] = (
                (row.database, row.code),
                row.name,
                row.location,
                data.get("unit"),
                stage,
            )
    missing = set(ids) - set(out)
    if missing:
        raise PCFError(f"{len(missing)} matrix node(s) missing from the project database")
    return out
