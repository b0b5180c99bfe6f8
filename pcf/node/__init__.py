"""The PACT network node: a footprint store on a real database and the PACT Data Exchange API.

- :mod:`pcf.node.store`: the store (SQLAlchemy 2, Alembic migrations; SQLite by default,
  PostgreSQL by URL).
- :mod:`pcf.node.api`: the FastAPI application serving PACT v3.0 (``/3``) and v2.3 (``/2``).
- :mod:`pcf.node.remote`: the httpx client of other nodes (pull, events).
- :mod:`pcf.node.filters`: ListFootprints / RequestCreated criteria as plain data.

Heavy imports (FastAPI, SQLAlchemy, httpx) happen when a submodule is imported, not here.
"""

from __future__ import annotations

__all__ = ["api", "filters", "remote", "store"]
