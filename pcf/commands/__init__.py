"""The ``pcf`` commands, one module per family; :mod:`pcf.app` registers them.

- :mod:`~pcf.commands.demo`: ``pcf demo``, ``pcf supply-demo``
- :mod:`~pcf.commands.engine`: ``pcf footprint``, ``import``, ``methods``, ``products``,
  ``parameters``
- :mod:`~pcf.commands.bom`: ``pcf bom rollup``, ``pcf hotspots``
- :mod:`~pcf.commands.supply`: ``pcf reduce``, ``pcf macc``
- :mod:`~pcf.commands.suppliers`: ``pcf suppliers score``
- :mod:`~pcf.commands.scenario`: ``pcf scenario run``
- :mod:`~pcf.commands.factory`: ``pcf factory inventory|allocate|gap|sheet``
- :mod:`~pcf.commands.report`: ``pcf report pact|battery|iso14067|suppliers``

Every command takes ``ctx: typer.Context`` and reaches the invocation's state with
:func:`pcf.context.state`; shared options come from :mod:`pcf.options`.
"""

__all__: list[str] = []
