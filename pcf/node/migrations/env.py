"""Alembic environment of the footprint store.

Run from :func:`pcf.node.store.upgrade`, which passes an open SQLAlchemy connection in
``config.attributes["connection"]``; there is no ``alembic.ini`` and no URL here.
"""

from __future__ import annotations

from alembic import context

from pcf.node.models import Base


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic's `context` has a `config` only while Alembic runs this file; pytest's doctest
# collection (which imports every module of the package) must find nothing to do.
if hasattr(context, "config"):
    run_migrations()
