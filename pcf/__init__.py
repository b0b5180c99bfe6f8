"""``pcf``, the application: the command line (:mod:`pcf.app`, entry point
``pcf.app:main``; commands in :mod:`pcf.commands`) and every example and demo
(:mod:`pcf.demo`). Nothing in ``lca``, ``factory``, ``supply_chain`` or ``reports`` imports it."""

__all__: list[str] = []
