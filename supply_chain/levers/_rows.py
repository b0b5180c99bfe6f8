"""The rows of a levers CSV as read, each located by file and line: the one reader behind
:mod:`supply_chain.levers.io` (the levers) and :mod:`supply_chain.levers.changes` (the model
change behind a lever)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from lca.files import open_text, parse_number

from ..errors import LeverError

__all__ = ["LeverRow", "read_lever_rows"]


@dataclass(frozen=True)
class LeverRow:
    """One row of a levers CSV: ``values`` stripped (blank = ``""``), ``raw`` as read."""

    file: str
    line: int
    values: dict[str, str]
    raw: dict[str, str]

    @property
    def lever(self) -> str:
        return self.values.get("lever", "")

    @property
    def where(self) -> str:
        """``<file>:<line> (lever '<id>')``, the start of every error about this row."""
        return f"{self.file}:{self.line} (lever {self.lever!r})"

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def number(self, column: str, default: float | None = None) -> float | None:
        """The column as a finite number (:func:`lca.files.parse_number`); ``default`` when
        blank.

        Raises
        ------
        LeverError
            ``"<where>: <column> '<text>' is not a number"`` (or ``: must be a finite
            number``, ``: ... is too large ...``).
        """
        raw = self.get(column)
        if not raw:
            return default
        try:
            return parse_number(raw)
        except ValueError as exc:
            why = " is not a number" if str(exc) == "not a number" else f": {exc}"
            raise LeverError(
                f"{self.where}: {column} {raw!r}{why}",
                lever=self.lever,
                product=self.get("product") or None,
            ) from None


def read_lever_rows(path: str | os.PathLike) -> tuple[list[str], list[LeverRow]]:
    """The header and the rows of a levers CSV (UTF-8, UTF-16 or GBK; :func:`lca.files.open_text`).

    Raises
    ------
    LeverError
        A row with fewer or more fields than the header (a truncated or mis-quoted file),
        naming the file and the row.
    """
    path = Path(path)
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        rows = []
        for n, row in enumerate(reader, start=2):
            fields = reader.fieldnames or []
            got = sum(1 for k in fields if row.get(k) is not None) + len(row.get(None) or ())
            if got != len(fields):
                raise LeverError(
                    f"{path.name}:{n}: row has {got} of the header's {len(fields)} fields "
                    "(a truncated file, or a missing or extra comma/quote?)",
                    lever=(row.get("lever") or "").strip() or None,
                )
            rows.append(
                LeverRow(path.name, n, {k: (v or "").strip() for k, v in row.items() if k}, row)
            )
        return list(reader.fieldnames or []), rows
