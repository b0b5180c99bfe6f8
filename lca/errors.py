"""The project's errors: one base class, one leaf class per thing that can go wrong.

Every layer (``lca``, ``supply_chain``, ``reports``) raises subclasses of :class:`PCFError`, so a
caller (the CLI) can catch one class and print a one-line message. Each error names what is at
fault (the product key, the method, the file and row, the node) and keeps it as attributes so
programs need not parse the message. Leaf errors also subclass the matching builtin (``KeyError``,
``ValueError``, ...) as pint does, so generic handlers keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


class PCFError(Exception):
    """Base class of every error the engine raises on purpose."""


class KeyErrorMessage(KeyError):
    """A ``KeyError`` whose text is its message: a plain ``KeyError`` would print it quoted.

    The base of every leaf error that is also a ``KeyError`` (``class UnknownPart(PCFError,
    KeyErrorMessage)``), so a generic ``except KeyError`` still catches it.

    >>> str(KeyError("no such key")), str(KeyErrorMessage("no such key"))
    ("'no such key'", 'no such key')
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownProduct(PCFError, KeyErrorMessage):
    """A product (activity) key that is not in the project."""

    def __init__(self, key, hint: str = ""):
        self.key = key
        # a (database, code) key is shown as the CLI takes it: 'database|code'
        shown = "|".join(map(str, key)) if isinstance(key, tuple) and len(key) == 2 else key
        super().__init__(f"Unknown product {shown!r}" + (f": {hint}" if hint else ""))


class UnknownMethod(PCFError, KeyErrorMessage):
    """An impact assessment method (alias or tuple) that is not registered or not installed."""

    def __init__(self, method, known: Iterable[str] = ()):
        self.method = method
        known = sorted(known)
        msg = f"Unknown method {method!r}"
        if known:
            msg += f"; known aliases: {', '.join(known)}"
        super().__init__(msg)


class TechnosphereError(PCFError, ValueError):
    """The technosphere matrix cannot be solved."""


class NonSquareTechnosphere(TechnosphereError):
    """More products than activities or the reverse: the system is not square."""

    def __init__(self, n_products: int, n_activities: int, where: str = ""):
        self.n_products, self.n_activities = n_products, n_activities
        super().__init__(
            f"Technosphere matrix is not square: {n_products} products x {n_activities} activities"
            + (f" ({where})" if where else "")
        )


class SingularTechnosphere(TechnosphereError):
    """The technosphere matrix is singular (e.g. an activity produces nothing)."""

    def __init__(self, activities: Sequence = (), detail: str = ""):
        self.activities = list(activities)
        msg = "Technosphere matrix is singular"
        if self.activities:
            shown = ", ".join(repr(a) for a in self.activities[:10])
            more = f" and {len(self.activities) - 10} more" if len(self.activities) > 10 else ""
            msg += f"; activities with no production or zero diagonal: {shown}{more}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class InventoryError(PCFError, ValueError):
    """An inventory file or database that cannot be imported as it is."""


class UnlinkedExchanges(InventoryError):
    """Exchanges that link to no activity or elementary flow; nothing was written."""

    def __init__(self, source: str, unlinked: Sequence[dict]):
        self.source = source
        self.unlinked = list(unlinked)
        lines = [
            f"  - {u.get('type', '?')}: {u.get('name')!r} [{u.get('unit', '?')}]"
            + (f" {u.get('categories')}" if u.get("categories") else "")
            + (f" @ {u.get('location')}" if u.get("location") else "")
            + (f" (in activity {u['activity']!r})" if u.get("activity") else "")
            for u in self.unlinked[:25]
        ]
        more = f"\n  ... and {len(self.unlinked) - 25} more" if len(self.unlinked) > 25 else ""
        super().__init__(
            f"{source}: {len(self.unlinked)} unlinked exchange(s); nothing was written:\n"
            + "\n".join(lines)
            + more
        )


class DuplicateCode(InventoryError):
    """Two activities of one inventory file with one code (bw2data would keep only the last);
    names the file, the code and where it occurs (rows of a CSV, else activity names)."""

    def __init__(self, path, code: str, where: str, more: int = 0):
        self.path, self.code, self.where, self.more = str(path), code, where, more
        also = f" (and {more} more duplicate code(s))" if more else ""
        super().__init__(
            f"{path}: duplicate code {code!r} at {where}{also}: every activity needs its own code"
        )


class DatabaseExists(InventoryError):
    """An import of a database that exists, without ``overwrite``; names the source and the
    database."""

    def __init__(self, source, database: str):
        self.source, self.database = str(source), database
        super().__init__(f"{source}: database {database!r} already exists")


class ShippedDatabase(InventoryError):
    """A user's file would replace a database shipped with the engine (without
    ``replace_shipped``); names the source, the database and the file it was shipped from."""

    def __init__(self, source, database: str, shipped_from):
        self.source, self.database, self.shipped_from = str(source), database, shipped_from
        super().__init__(
            f"database {database!r} is a shipped database (from {shipped_from}); "
            f"{source} would replace it: nothing was written. To replace it anyway, say so: "
            f"pcf import {source} --replace (Python: replace_shipped=True), or give the file "
            "another database name"
        )


class DependentsWouldBreak(InventoryError):
    """Replacing a database would remove codes other databases link to; names the source, the
    database and, per dependent database, the codes it would lose (``lost``)."""

    def __init__(self, source, database: str, lost: Mapping[str, Sequence[str]]):
        self.source, self.database = str(source), database
        self.lost = {db: list(codes) for db, codes in sorted(lost.items())}
        shown = "; ".join(
            f"{db} uses {', '.join(repr(c) for c in cs[:10])}"
            + (f" and {len(cs) - 10} more" if len(cs) > 10 else "")
            for db, cs in self.lost.items()
        )
        super().__init__(
            f"{source}: replacing database {database!r} would remove "
            f"codes its dependents link to ({shown}); nothing was written. Keep those "
            "codes in the file, or re-import the dependents too"
        )


class DatabaseFromSeveralFiles(InventoryError):
    """One import whose files would write the same database; names the database and files."""

    def __init__(self, database: str, sources: Sequence):
        self.database, self.sources = database, [str(s) for s in sources]
        super().__init__(
            f"database {database!r} comes from several of the files "
            f"({', '.join(self.sources)}); nothing was written"
        )


class UnitMismatch(PCFError, ValueError):
    """Two units that should agree do not (as in pint: expected, got, where)."""

    def __init__(self, expected: str, got: str, where: str = ""):
        self.expected, self.got, self.where = expected, got, where
        super().__init__(
            f"Unit mismatch{(' in ' + where) if where else ''}: expected {expected!r}, got {got!r}"
        )


class InvalidAmount(InventoryError):
    """A missing, non-numeric or negative amount where none may be."""

    def __init__(self, where: str, value, why: str = "must be a finite number"):
        self.where, self.value = where, value
        super().__init__(f"{where}: invalid amount {value!r} ({why})")


class InvalidUncertainty(InventoryError):
    """An exchange's uncertainty field (``uncertainty type``, ``loc``, ``scale``, ...) that
    stats_arrays would refuse: an unknown type, a non-number, or parameters invalid for the
    distribution (e.g. a lognormal with ``scale <= 0``)."""

    def __init__(self, where: str, field: str, value, why: str):
        self.where, self.field, self.value = where, field, value
        what = f"missing {field!r}" if value is None else f"invalid {field!r} {value!r}"
        super().__init__(f"{where}: {what} ({why})")


class ProjectError(PCFError, RuntimeError):
    """The Brightway project directory cannot be set up or used."""


class UncertaintyError(PCFError, ValueError):
    """Distribution parameters that cannot be drawn (bad dtype, lengths, or stats_arrays)."""


class InputFileError(PCFError, ValueError):
    """A user's input file cannot be read as text (encoding, binary content, missing file):
    names the file and, where known, the line."""

    def __init__(self, path, why: str, line: int | None = None):
        self.path, self.line, self.why = str(path), line, why
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {why}")


class OutputError(PCFError, OSError):
    """An output target cannot be written (read-only, a file where a folder is needed, ...):
    names the target."""

    def __init__(self, target, why: str):
        self.target, self.why = str(target), why
        super().__init__(f"cannot write {self.target}: {why}")
