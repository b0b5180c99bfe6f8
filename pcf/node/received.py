"""Supplier footprints kept in the store, as the roll-up and the reports use them.

:func:`stored_pcfs` turns each stored document back into the
:class:`supply_chain.pcfs.SupplierPCF` the PACT file reader makes of it (the same reader,
:func:`supply_chain.pcfs.from_pact`, on the same JSON): a footprint pulled from a supplier's node
counts exactly as the same document given as a file.
"""

from __future__ import annotations

from .store import Store

__all__ = ["stored_pcfs"]


def stored_pcfs(store: Store, source: str | None = None) -> list:
    """Every supplier footprint in ``store`` (from ``source`` only, when given), oldest first,
    as :class:`~supply_chain.pcfs.SupplierPCF` objects named ``<node URL> footprint <id>``.

    Raises
    ------
    InvalidPCF
        A stored document the reader refuses (it was validated on receipt; a later, stricter
        reader may still refuse it), naming its node and id.
    """
    from supply_chain.pcfs import from_pact

    return [
        from_pact(row["document"], source=f"{row['source']} footprint {row['id']}")
        for row in store.supplier_footprints(source)
    ]
