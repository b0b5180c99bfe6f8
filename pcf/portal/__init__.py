"""The supplier carbon portal for purchasing teams: a web application under ``/app`` of the
node's ASGI app (``pcf serve``), on the footprint store (:mod:`pcf.node.store`).

- :mod:`pcf.portal.app`: routes (:func:`create_portal`), sessions, roles, CSRF;
- :mod:`pcf.portal.data`: users (argon2id), products, roll-ups, suppliers, requests in the store;
- :mod:`pcf.portal.compute`: the figures, by :mod:`supply_chain` (roll-up, hotspots, paths,
  supplier quality, MILP plan and its exact re-solve);
- :mod:`pcf.portal.charts`: server-drawn SVG charts; :mod:`pcf.portal.jobs`: background work;
- :mod:`pcf.portal.i18n`: every label in English and Chinese.
"""

from __future__ import annotations

__all__ = ["create_portal"]


def create_portal(*args, **kwargs):
    """See :func:`pcf.portal.app.create_portal` (imported on use: FastAPI, Jinja2)."""
    from .app import create_portal as make

    return make(*args, **kwargs)
