"""Errors of the PACT node: leaves of :class:`lca.errors.PCFError`, each naming what is at fault.

:class:`ApiError` is what the HTTP layer turns into the PACT ``{"code", "message"}`` body with the
specification's status (see :data:`ERROR_STATUS`).
"""

from __future__ import annotations

from lca.errors import KeyErrorMessage, PCFError

__all__ = [
    "ERROR_STATUS",
    "ApiError",
    "NodeError",
    "RemoteError",
    "StoreError",
    "UnknownClient",
]

#: PACT error code -> HTTP status, from the ``Error`` schema of the v2.3 and v3.0 OpenAPI
#: documents (``BadRequest # 400``, ``AccessDenied # 403``, ``TokenExpired # 401``,
#: ``NotFound # 404 NoSuchFootprint``, ``InternalError # 500``, ``NotImplemented #501``).
#: ``NoSuchFootprint`` is the code WBCSD's conformance tests expect for an unknown footprint id.
ERROR_STATUS = {
    "BadRequest": 400,
    "AccessDenied": 403,
    "TokenExpired": 401,
    "NoSuchFootprint": 404,
    "NotFound": 404,
    "InternalError": 500,
    "NotImplemented": 501,
}


class NodeError(PCFError):
    """Base of the node's errors."""


class StoreError(NodeError, ValueError):
    """The footprint store cannot be opened, upgraded or written (names the database)."""

    def __init__(self, where: str, why: str):
        self.where, self.why = where, why
        super().__init__(f"{where}: {why}")


class UnknownClient(NodeError, KeyErrorMessage):
    """An API client id that is not in the store."""

    def __init__(self, client_id: str):
        self.client_id = client_id
        super().__init__(f"Unknown API client {client_id!r}")


class RemoteError(NodeError, RuntimeError):
    """Another PACT node answered with an error or could not be reached (names the URL)."""

    def __init__(self, url: str, why: str):
        self.url, self.why = url, why
        super().__init__(f"{url}: {why}")


class ApiError(NodeError):
    """An error answered to an API caller as the PACT ``Error`` object."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        self.status = ERROR_STATUS[code]
        super().__init__(f"{code}: {message}")
