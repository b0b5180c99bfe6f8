"""The dataset table of ``inventories/README.md``, generated from the inventory files themselves.

:func:`dataset_table` reads Brightway CSV inventory files (the layout of ``inventories/``: a
``Database,<name>`` row, then ``Activity,<name>`` blocks of metadata rows, an ``Exchanges`` row, a
header row and exchange rows) with the standard library's :mod:`csv` module, so it needs neither a
Brightway project nor bw2io, and returns one row per activity. :func:`render_readme_table` turns
that into the markdown table kept between the markers :data:`START` and :data:`END` in
``inventories/README.md``; the test suite fails when the README's block differs from the rendering,
so the table cannot drift from the data. Regenerate it with::

    python -m lca.inventory_docs --write      # rewrites the block in inventories/README.md
    python -m lca.inventory_docs              # prints the table
"""

from __future__ import annotations

import csv
import logging
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import pandas as pd

from .data import inventories_dir
from .imports import shipped_inventories

log = logging.getLogger(__name__)

START = "<!-- datasets:start -->"
END = "<!-- datasets:end -->"
COLUMNS = [
    "database",
    "code",
    "name",
    "location",
    "unit",
    "stage",
    "gwp_basis",
    "boundary",
    "gases",
    "confidence",
    "source",
    "facts",
    "comment",
    "file",
]
TABLE_COLUMNS = [
    "database",
    "code",
    "name",
    "location",
    "unit",
    "stage",
    "gwp_basis",
    "boundary",
    "confidence",
    "source",
    "facts",
]
README = inventories_dir() / "README.md"
_SOURCE = re.compile(r"Source:\s*(.*?)(?=\s*Confidence:|\s*Uncertainty:|$)", re.DOTALL)
_CONFIDENCE = re.compile(r"Confidence:\s*([A-Za-z/ -]+?)(?=[,.(;]|\s+\(|$)")
_MAX_SOURCE = 400
#: A shared fact sheet (../shared/FACTS-*.md) or the issue-11 research notes, with its section.
_FACTS = re.compile(
    r"(FACTS-(?:materials|energy)\.md|research-products\.md)"
    r"(?:\s+\(issue 11 research notes\))?"
    r"(?:\s+(?:section\s+)?((?:B-[A-Z]+|[A-C]\d*[a-z]?|\d+[a-z]?)(?:/(?:[A-C]?\d+[a-z]?))*)\b)?"
)
#: Section C of FACTS-materials.md is the pedigree-uncertainty method every dataset uses.
_GENERIC = {"FACTS-materials.md C"}


def database_of(path: str | os.PathLike) -> str | None:
    """The database a Brightway CSV inventory declares in its first row (``Database,<name>``),
    or None if the file cannot be read or does not start so."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            row = [c.strip() for c in next(csv.reader(fh), [])]
    except OSError:
        return None
    return row[1] if len(row) >= 2 and row[0] == "Database" else None


def _activities(path: Path) -> Iterable[dict]:
    """Yield one dict per activity block of a Brightway CSV file (metadata only)."""
    database = None
    current: dict | None = None
    in_exchanges = False
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            key = cells[0]
            if key == "Database" and len(cells) > 1:
                database = cells[1]
                continue
            if key == "Activity" and len(cells) > 1:
                if current is not None:
                    yield current
                current = {"database": database, "name": cells[1], "file": path.name}
                in_exchanges = False
                continue
            if current is None:
                continue
            if key == "Exchanges":
                in_exchanges = True
                continue
            if not in_exchanges and len(cells) > 1:
                current[key] = cells[1]
    if current is not None:
        yield current


def source_of(comment: str) -> str:
    """The 'Source: …' part of a comment (up to 'Confidence:'), else the comment itself."""
    comment = " ".join(str(comment or "").split())
    m = _SOURCE.search(comment)
    text = m.group(1).strip() if m and m.group(1).strip() else comment
    text = text.rstrip(" .")
    if len(text) > _MAX_SOURCE:
        text = text[: _MAX_SOURCE - 1].rstrip() + "…"
    return text


def facts_of(*texts: str) -> str:
    """The shared fact sheets and sections a dataset's text cites ('FACTS-energy.md 1c',
    'inventories/research-notes.md B8', ...), sorted and joined by '; ' (the pedigree method section
    FACTS-materials.md C, which every dataset cites for its uncertainty, is left out).

    >>> facts_of("Source: x (FACTS-energy.md 1c). Uncertainty: ... FACTS-materials.md C).")
    'FACTS-energy.md 1c'
    """
    found = set()
    for text in texts:
        for m in _FACTS.finditer(" ".join(str(text or "").split())):
            ref = f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1)
            if ref not in _GENERIC:
                found.add(ref)
    return "; ".join(sorted(found))


def confidence_of(comment: str) -> str:
    m = _CONFIDENCE.search(" ".join(str(comment or "").split()))
    return m.group(1).strip() if m else ""


def dataset_table(paths: Iterable[str | os.PathLike]):
    """One row per activity of the given inventory files (in file order).

    Columns: database, code, name, location, unit, stage (empty for background datasets),
    gwp_basis, boundary and gases (the metadata rows of background datasets, see
    :mod:`lca.dataset_meta`; empty where absent), confidence (as stated in the comment), source
    (the comment's 'Source:' part), facts (the shared fact sheets and sections the comment cites,
    :func:`facts_of`), comment (full activity comment) and file (base name).
    """
    rows = []
    for path in paths:
        for act in _activities(Path(path)):
            comment = act.get("comment", "")
            rows.append(
                {
                    "database": act.get("database") or "",
                    "code": act.get("code", ""),
                    "name": act.get("name", ""),
                    "location": act.get("location", ""),
                    "unit": act.get("unit", ""),
                    "stage": act.get("stage", ""),
                    "gwp_basis": act.get("gwp_basis", ""),
                    "boundary": act.get("boundary", ""),
                    "gases": act.get("gases", ""),
                    "confidence": confidence_of(comment),
                    "source": source_of(comment),
                    "facts": facts_of(comment, act.get("meta_note", "")),
                    "comment": comment,
                    "file": act["file"],
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _cell(value) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("|", "\\|")


def render_readme_table(paths: Iterable[str | os.PathLike]) -> str:
    """The markdown table (header, separator, one line per activity), ending with a newline."""
    df = dataset_table(paths)
    lines = [
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|" + "|".join("---" for _ in TABLE_COLUMNS) + "|",
    ]
    for rec in df[TABLE_COLUMNS].itertuples(index=False):
        cells = [_cell(v) for v in rec]
        cells[1] = f"`{cells[1]}`"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def readme_block(text: str) -> str:
    """What stands between the markers in a README text (raises ValueError if they are missing)."""
    try:
        _, rest = text.split(START, 1)
        body, _ = rest.split(END, 1)
    except ValueError:
        raise ValueError(f"README has no {START} … {END} block") from None
    return body.strip("\n") + "\n"


def write_readme(paths: Iterable[str | os.PathLike], readme: str | os.PathLike = README) -> bool:
    """Replace the marked block of ``readme`` with the rendering; return True if it changed."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8")
    readme_block(text)  # markers must exist
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{render_readme_table(paths)}{END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """The command ``python -m lca.inventory_docs [--write]``; returns its exit code.

    With ``--write`` the README block is rewritten and the outcome logged (INFO). Without it the
    table is written to ``out`` (the command's output; the ``__main__`` entry passes stdout).
    A README without the markers, or one that cannot be read/written, is logged (ERROR), exit 1.
    """
    argv = sys.argv[1:] if argv is None else argv
    paths = shipped_inventories()
    try:
        if "--write" in argv:
            changed = write_readme(paths, README)
            log.info("%s: %s", README, "updated" if changed else "already up to date")
        else:
            table = render_readme_table(paths)
            if out is not None:
                out.write(table)
    except (OSError, ValueError) as exc:
        log.error("%s: %s", README, exc)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main(out=sys.stdout))
