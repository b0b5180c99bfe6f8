"""Multifunctional processes (several products) allocated with the ``multifunctional`` package
before they are written, so that every database bw2calc can compute is footprinted as it is.

A dataset is multifunctional when it has more than one functional exchange (bw2data's
``functional: True`` edges, else its ``production`` edges with a positive amount; a negative
production is a treated waste, not a co-product). Each is split by
:data:`multifunctional.allocation_strategies` (``multifunctional.generic_allocation``) into one
single-output process per product, every other exchange scaled by that product's allocation
factor; the multifunctional original is not written (its allocated processes record it:
``mf_parent_key``, ``mf_allocation_factor``, ``mf_strategy_label``).

Which allocation, first that applies:

1. the process's own ``default_allocation`` (the source declares it per process);
2. the database's ``default_allocation`` (Brightway Excel/CSV database metadata row);
3. ``allocation`` (``pcf import --allocation``: the user's choice for what the source leaves
   open);
4. the stated default, :data:`DEFAULT_ALLOCATION` = ``"mass"`` (physical allocation, the
   second step of ISO 14044:2006 4.3.4.2 when subdivision and system expansion are not
   available), used only when every product of the process has a ``mass`` property; otherwise
   the import is refused naming the process and its products (never an equal split silently).

A strategy is one of ``mass``, ``price`` (economic), ``manual_allocation`` (the source's own
factors), ``equal``, or the name of a property every product has. Properties come from the
exchange's ``properties`` (columns ``properties.<name>`` in a Brightway CSV/Excel exchange
table) or from the product node it produces. openLCA packages are allocated by bw2io with
their own factors before this step (:mod:`lca.imports._jsonld`).

Allocated processes get codes derived from the parent's code and the product (the same file
gives the same codes, so databases linking to them survive a re-import); a product that is the
process itself (a chimaera's own production edge) keeps the process's code.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from ..errors import InventoryError
from ._notes import Notes

log = logging.getLogger(__name__)

#: the allocation used when neither the source nor the user names one (module doc)
DEFAULT_ALLOCATION = "mass"


def functional_exchanges(ds: dict) -> list[dict]:
    excs = ds.get("exchanges", []) or []
    marked = [e for e in excs if e.get("functional")]
    if marked:
        return marked
    return [e for e in excs if e.get("type") == "production" and (e.get("amount") or 0) > 0]


def is_multifunctional(ds: dict) -> bool:
    return ds.get("type") != "product" and len(functional_exchanges(ds)) > 1


def _properties(e: dict, products: Mapping[tuple, dict]) -> dict:
    props = dict(e.get("properties") or {})
    for k in [k for k in e if isinstance(k, str) and k.startswith("properties.")]:
        value = e.pop(k)
        if value not in (None, ""):
            props.setdefault(k.split(".", 1)[1], float(value))
    node = products.get(tuple(e["input"])) if e.get("input") else None
    for k, v in ((node or {}).get("properties") or {}).items():
        props.setdefault(k, v)
    return props


def allocate(
    data: dict,
    db_name: str,
    source: str,
    notes: Notes,
    allocation: str | None = None,
    metadata: Mapping | None = None,
) -> dict:
    """``data`` (bw2data's ``{(db, code): dataset}``) with each multifunctional process
    replaced by its allocated single-output processes (module doc). Raises
    :class:`InventoryError` naming the file, process and products when no allocation applies
    or the source's factors cannot be used."""
    data = _already_allocated(data, source, notes)
    todo = [k for k, ds in data.items() if is_multifunctional(ds)]
    if not todo:
        return data
    from multifunctional import allocation_strategies, property_allocation

    products = {k: ds for k, ds in data.items() if ds.get("type") == "product"}
    db_default = (metadata or {}).get("default_allocation")
    out = {k: ds for k, ds in data.items() if k not in set(todo)}
    for key in todo:
        ds = dict(data[key], database=key[0], code=key[1])
        ds["exchanges"] = [dict(e) for e in ds.get("exchanges", [])]
        funcs = functional_exchanges(ds)
        where = f"{source}: process {ds.get('name')!r} ({key[1]})"
        names = [str(e.get("name") or (e.get("input") or ("", "?"))[1]) for e in funcs]
        for e in funcs:
            e["functional"] = True
            e["properties"] = _properties(e, products)
            if e.get("input") and tuple(e["input"]) == key:
                # the process's own product (a chimaera): it keeps the process's code
                e.pop("input")
                e["desired_code"] = key[1]
        label, why = _choose(ds, funcs, db_default, allocation)
        if label is None:
            raise InventoryError(
                f"{where} has {len(funcs)} products ({', '.join(map(repr, names))}) and no "
                f"allocation: the source declares none and not every product has a "
                f"{DEFAULT_ALLOCATION!r} property (the default); give --allocation "
                "mass|price|equal|manual_allocation|<property>, or the products' properties"
            )
        missing = [
            n
            for n, e in zip(names, funcs, strict=True)
            if label != "equal" and label not in e["properties"]
        ]
        if missing:
            raise InventoryError(
                f"{where}: allocation {label!r} ({why}) needs property {label!r} on every "
                f"product; missing on {', '.join(map(repr, missing))}"
            )
        strategy = allocation_strategies.get(label) or property_allocation(label)
        try:
            parts = strategy(ds, supplemental_functions=[])
        except ZeroDivisionError as exc:
            raise InventoryError(f"{where}: allocation {label!r}: {exc}") from exc
        factors = []
        for part in parts[1:]:  # parts[0] is the multifunctional original
            (prod,) = [e for e in part["exchanges"] if e.get("functional")]
            old = part["code"]
            own = prod.get("input") and tuple(prod["input"]) == (key[0], old)
            new = old if old == key[1] else _code(key[1], prod, own)
            if own:
                prod["input"] = (key[0], new)
            part["code"] = new
            part["type"] = "process"  # an ordinary process for bw2data and bw2calc
            prod.pop("functional", None)
            for e in part["exchanges"]:
                e.pop("desired_code", None)
            factor = next(
                e.get("mf_allocation_factor")
                for e in parts[0]["exchanges"]
                if e.get("functional") and e.get("mf_allocated_process_code") == old
            )
            part["mf_allocation_factor"] = factor
            part["mf_parent_name"] = ds.get("name")
            if own or not prod.get("input"):  # a process of its own: named by its product
                part["name"] = prod.get("name") or part.get("name")
            part.pop("database", None)
            factors.append(f"{part.get('reference product') or prod.get('name')!r} {factor:.6g}")
            out[(key[0], part.pop("code"))] = part
        notes.add(
            "converted",
            f"{where}: {len(funcs)} products allocated by {label!r} ({why}; multifunctional "
            f"package): {', '.join(factors)}",
        )
    return out


def _already_allocated(data: dict, source: str, notes: Notes) -> dict:
    """A reader that allocated with the multifunctional package itself (bw_simapro_csv, with
    the file's allocation percentages): its read-only processes become ordinary processes and
    the multifunctional originals are not written."""
    parents = [k for k, ds in data.items() if ds.get("mf_was_once_allocated")]
    if not parents and not any(ds.get("type") == "readonly_process" for ds in data.values()):
        return data
    out = {}
    for k, ds in data.items():
        if k in parents:
            continue
        if ds.get("type") == "readonly_process":
            ds = dict(ds, type="process")
        out[k] = ds
    for k in parents:
        notes.add(
            "converted",
            f"{source}: process {data[k].get('name')!r} ({k[1]}): allocated by the reader "
            f"({data[k].get('mf_strategy_label') or 'the source allocation'}; multifunctional "
            "package); written as its single-output processes",
        )
    return out


def _choose(ds, funcs, db_default, allocation) -> tuple[str | None, str]:
    if ds.get("default_allocation"):
        return str(ds["default_allocation"]), "declared by the process"
    if db_default:
        return str(db_default), "declared by the database"
    if allocation:
        return allocation, "--allocation"
    if all(DEFAULT_ALLOCATION in e["properties"] for e in funcs):
        return DEFAULT_ALLOCATION, "the default: physical, by mass"
    return None, ""


def _code(parent: str, prod: dict, own: bool) -> str:
    what = prod.get("name") or "" if own or not prod.get("input") else prod["input"][1]
    return hashlib.sha1(f"{parent}|{what}".encode()).hexdigest()[:24]
