"""The name marks of an import's temporary and backup databases, in one place.

:func:`lca.imports.write_database` writes ``<db>.pcf-import-<id>`` and moves the database it
replaces aside to ``<db>.pcf-backup-<id>``; :mod:`lca._health` finds what a killed import left.
"""

__all__ = ["BACKUP_MARK", "TEMP_MARK"]

#: Mark of an import's temporary database: ``<db>.pcf-import-<id>``.
TEMP_MARK = ".pcf-import-"
#: Mark of the previous version of a database being replaced: ``<db>.pcf-backup-<id>``.
BACKUP_MARK = ".pcf-backup-"
