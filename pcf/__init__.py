"""The ``pcf`` command line. Nothing imports this package; it imports ``lca`` (and later
``supply_chain`` and ``reports``)."""
