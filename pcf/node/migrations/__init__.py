"""Alembic migrations of the footprint store (run by :func:`pcf.node.store.upgrade`)."""
