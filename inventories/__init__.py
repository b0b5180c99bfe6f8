"""The shipped inventories (data only): bw2io CSV files, parameters, the example BOM and plant.

A package so that the wheel carries the files and an installed engine finds them through
:func:`lca.data.inventories_dir` (``importlib.resources``), never by path arithmetic.
"""
