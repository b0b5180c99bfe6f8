"""Option and argument types shared by the ``pcf`` commands, each declared once.

Use them as annotations, with the default after ``=``::

    def footprint(ctx: typer.Context, method: MethodOpt = DEFAULT_METHOD,
                  as_json: JsonOpt = False): ...

Bounds, choices and file checks are typer's: a bad value is a usage error (click's message,
exit 2) before any work starts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

#: The default method alias. Written here, not imported from ``lca.methods.DEFAULT``: importing
#: ``lca`` pulls in scipy and ``pcf --help`` must stay fast (tests/test_cli.py checks they agree).
DEFAULT_METHOD = "gwp100"

__all__ = [
    "DEFAULT_METHOD",
    "AmountOpt",
    "CsvOutOpt",
    "CurrencyOpt",
    "CutoffOpt",
    "DateOpt",
    "IterationsOpt",
    "JsonFilesOpt",
    "JsonOpt",
    "LangOpt",
    "MetaOpt",
    "MethodOpt",
    "OptionalProductArg",
    "OutFileOpt",
    "OutOpt",
    "ParamsOpt",
    "ProductArg",
    "ProductsOpt",
    "SchedulerOpt",
    "SeedOpt",
    "TopOpt",
    "WorkersOpt",
    "fraction",
    "in_file",
    "in_file_arg",
    "positive",
]


def _date(value: str | None) -> str | None:
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def positive(value: float | None) -> float | None:
    """Callback refusing zero, negative and non-finite numbers (typer has closed bounds only;
    ``not value > 0`` also refuses nan, which every comparison lets through)."""
    if value is not None and (not value > 0 or value == float("inf")):
        raise typer.BadParameter(f"{value:g} is not a finite number > 0")
    return value


def _open_share(value: float) -> float:
    if not 0 < value < 1:
        raise typer.BadParameter(f"{value:g} is not between 0 and 1 (exclusive)")
    return value


def _iterations(value: int) -> int:
    if value == 1:
        raise typer.BadParameter("1 draw has no spread: give 0 (none) or at least 2")
    return value


# stdout and choices ----------------------------------------------------------------------------
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON to stdout (nothing else goes there).")
]
#: ``--json`` of the commands that write files: the JSON lists them.
JsonFilesOpt = Annotated[bool, typer.Option("--json", help="Print the written files as JSON.")]
MethodOpt = Annotated[str, typer.Option("--method", help="Method alias (pcf methods) or A|B|C.")]
#: The currency of a levers file's costs, for the headers (a 'currency' column of the file says
#: it too; reports.suppliers.levers_currency checks the two agree)
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        help="Currency of the levers file's costs (e.g. EUR), if its rows do not say "
        "(a 'currency' column); stated in every cost header."
    ),
]
LangOpt = Annotated[Literal["en", "zh"], typer.Option("--lang", help="Report language.")]
ProductArg = Annotated[str, typer.Argument(help="database|code, or a unique activity name.")]

# numbers ---------------------------------------------------------------------------------------
IterationsOpt = Annotated[
    int,
    typer.Option(
        "--iterations",
        min=0,
        callback=_iterations,
        help="Monte Carlo draws (0: none; else at least 2).",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1, help="Monte Carlo seed.")]
AmountOpt = Annotated[
    float, typer.Option("--amount", callback=positive, help="Amount of the product (> 0).")
]
CutoffOpt = Annotated[
    float,
    typer.Option(
        "--cutoff",
        callback=_open_share,
        help="Prune paths below this share of the total (0 < cutoff < 1).",
    ),
]
TopOpt = Annotated[int, typer.Option("--top", min=1, help="Rows to list.")]


# files -----------------------------------------------------------------------------------------
def in_file(help: str, *decls: str) -> Any:
    """An option naming an existing input file: ``Annotated[Path, in_file("Levers CSV.")]``."""
    return typer.Option(*decls, exists=True, dir_okay=False, help=help)


def in_file_arg(help: str) -> Any:
    """An argument naming an existing input file."""
    return typer.Argument(exists=True, dir_okay=False, help=help)


def fraction(help: str) -> Any:
    """An option holding a share, 0 to 1."""
    return typer.Option(min=0, max=1, help=help)


OutOpt = Annotated[Path, typer.Option("--out", file_okay=False, help="Output folder.")]
CsvOutOpt = Annotated[
    Path | None, typer.Option("--csv", dir_okay=False, help="Also write the table to this CSV.")
]
DateOpt = Annotated[
    str | None, typer.Option(callback=_date, help="Study date (YYYY-MM-DD) for PCF validity.")
]
MetaOpt = Annotated[
    Path | None,
    in_file(
        "Declaration metadata (YAML/JSON); default: the demo's for the demo product.", "--meta"
    ),
]
ParamsOpt = Annotated[
    Path | None, in_file("A .params.yaml file of parameters (besides the shipped).", "--params")
]

# portfolios and scale-out (pcf footprint --products ... --out ...) ---------------------------
#: The product of commands that also take a portfolio file instead (``--products``).
OptionalProductArg = Annotated[
    str | None,
    typer.Argument(help="database|code, or a unique activity name (or give --products)."),
]
ProductsOpt = Annotated[
    Path | None,
    in_file(
        "A portfolio: CSV (or Parquet) with a column 'product' (database|code) and an optional "
        "column 'amount'; one product per row. Needs --out.",
        "--products",
    ),
]
OutFileOpt = Annotated[
    Path | None,
    typer.Option("--out", dir_okay=False, help="Output file; .csv or .parquet chooses the format."),
]


def scheduler_option(what: str, note: str = ""):
    """``--scheduler`` (or ``PCF_DASK_SCHEDULER``): ``what`` runs on an existing dask cluster.
    One definition for every command that scales out; only the help's subject differs."""
    return Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="PCF_DASK_SCHEDULER",
            metavar="tcp://HOST:PORT",
            help=f"{what} on this dask scheduler's workers{note}.",
        ),
    ]


def workers_option(what: str):
    """``--workers N``: ``what`` runs on a local dask cluster of N processes."""
    return Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help=f"{what} on a local dask cluster of N processes (127.0.0.1).",
        ),
    ]


SchedulerOpt = scheduler_option("Run the Monte Carlo draws")
WorkersOpt = workers_option("Run the Monte Carlo draws")
