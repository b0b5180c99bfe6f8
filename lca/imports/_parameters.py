"""Evaluate the parameters and formulas of a Brightway CSV/Excel inventory, as bw2io does.

bw2io's ``CSVImporter`` / ``ExcelImporter`` read project, database and activity parameters and
exchange formulas, and leave the evaluation to bw2data's parameter tables when the importer
writes the database itself. The engine writes through :func:`lca.imports.write_databases`
(all-or-nothing), so the formulas are evaluated here with bw2parameters (the library bw2data
uses): project parameters first, then database parameters (which may use project ones), then
each activity's parameters (which may use both), then each exchange's ``formula``; an
exchange's ``amount`` is set to its formula's value (the formula is kept on the exchange). The
values are fixed at import: bw2data's parameter tables are not filled.

Errors (an unknown name, a circular reference, a formula that does not evaluate to a finite
number) raise :class:`InvalidAmount` / :class:`InventoryError` naming the file, the parameter or
the activity and exchange.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import InvalidAmount, InventoryError


def _as_dict(params, where: str) -> dict[str, dict]:
    """bw2io gives parameters as a list of dicts with ``name`` (or already as a dict)."""
    if isinstance(params, dict):
        return {k: dict(v) for k, v in params.items()}
    out: dict[str, dict] = {}
    for p in params or []:
        name = p.get("name")
        if not name:
            raise InventoryError(f"{where}: a parameter without a name")
        out[name] = {k: v for k, v in p.items() if k != "name"}
    return out


def _evaluate(params: dict[str, dict], known: dict, where: str) -> dict:
    from bw2parameters import ParameterSet

    if not params:
        return {}
    for name, p in params.items():
        if p.get("formula") in (None, "") and not isinstance(p.get("amount"), (int, float)):
            raise InvalidAmount(f"{where}: parameter {name!r}", p.get("amount"), "not a number")
        if p.get("formula") in (None, ""):
            p.pop("formula", None)
    try:
        values = ParameterSet(params, global_params=dict(known)).evaluate()
    except Exception as exc:  # bw2parameters raises several types
        raise InventoryError(
            f"{where}: parameters cannot be evaluated ({type(exc).__name__}: {exc})"
        ) from exc
    return {k: v for k, v in values.items() if k in params}


def evaluate_parameters(path: Path, imp) -> int:
    """Set the ``amount`` of every exchange with a ``formula`` of bw2io importer ``imp``; return
    how many were set. Raises naming the file, parameter, activity and exchange."""
    from bw2parameters import Interpreter

    project = _evaluate(
        _as_dict(getattr(imp, "project_parameters", None), f"{path}: project parameters"),
        {},
        f"{path}: project parameters",
    )
    database = _evaluate(
        _as_dict(getattr(imp, "database_parameters", None), f"{path}: database parameters"),
        project,
        f"{path}: database parameters",
    )
    known = {**project, **database}
    done = 0
    for ds in imp.data:
        where = f"{path}: activity {ds.get('name')!r}"
        own = _evaluate(_as_dict(ds.get("parameters"), where), known, where)
        symbols = {**known, **own}
        for i, exc in enumerate(ds.get("exchanges", []), 1):
            formula = exc.get("formula")
            if formula in (None, ""):
                continue
            at = f"{where}, exchange {i} ({exc.get('name')!r})"
            interp = Interpreter()
            interp.symtable.update(symbols)
            unknown = sorted(interp.get_unknown_symbols(str(formula)))
            if unknown:
                raise InvalidAmount(
                    at,
                    formula,
                    f"formula uses {', '.join(map(repr, unknown))}, which no project, database "
                    "or activity parameter defines",
                )
            try:
                value = interp(str(formula))
            except Exception as err:  # noqa: BLE001 - asteval raises several types
                raise InvalidAmount(at, formula, f"formula does not evaluate: {err}") from None
            if interp.error:
                why = "; ".join(str(e.get_error()[1]).strip() for e in interp.error)
                raise InvalidAmount(at, formula, f"formula does not evaluate: {why}")
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidAmount(at, formula, f"formula gives {value!r}, not a finite number")
            exc["amount"] = float(value)
            done += 1
    return done
