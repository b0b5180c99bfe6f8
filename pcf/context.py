"""The state of one ``pcf`` invocation and the helpers every command uses.

The root callback (:func:`pcf.app.main_options`) fills a :class:`State` that typer keeps in
``ctx.obj``; a command takes ``ctx: typer.Context`` and calls :func:`state` to reach it.
Commands import this module, :mod:`pcf.app` imports the commands: no cycle.

Where output goes. ``--json`` promises stdout holds nothing but the JSON, while Brightway prints
with ``print`` and HiGHS writes straight to file descriptor 1. So:

- :class:`State` keeps ``stdout``, the stream that was ``sys.stdout`` when the invocation began
  (the terminal, a pipe, or :class:`typer.testing.CliRunner`'s buffer); :meth:`State.out` and
  :meth:`State.console` write there and nowhere else.
- :class:`PcfCommand` runs each command with ``sys.stdout`` sent to ``sys.stderr``, so a stray
  ``print`` lands on stderr, in a terminal and under ``CliRunner`` alike. Help and usage errors
  are printed before that, to the usual streams.
- :func:`pcf.app.main`, the real process entry point, also points file descriptor 1 at stderr for
  C libraries and hands Python a private copy of the real stdout.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.table import Table

    from lca.project import Project

__all__ = [
    "PcfCommand",
    "PcfTyper",
    "State",
    "err",
    "interrupted_line",
    "show_frame",
    "state",
    "write_csv",
]

#: Messages, progress and logs: always stderr (resolved at each print, so ``CliRunner`` sees it).
err = Console(stderr=True)


@dataclass
class State:
    """Options of the root command (``--data-dir``, ``--project``, ``--global``, ``--debug``)
    and the stream that receives the command's output."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    data_dir: Path | None = None
    project: str = "pcf"
    use_global: bool = False
    debug: bool = False

    def out(self, text: str) -> None:
        """Write ``text`` and a newline to the output stream (JSON, tables)."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def out_json(self, obj: Any) -> None:
        """Write ``obj`` as strict JSON (NaN refused; numpy and pandas values made plain by
        :func:`lca.files.jsonable`)."""
        # heavy: keeps --help fast (lca imports bw2data and scipy), here and below
        from lca.files import jsonable

        self.out(json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False))

    def console(self) -> Console:
        """A rich console on the output stream, for tables."""
        return Console(file=self.stdout)

    def open(self, setup: bool = True) -> Project:
        """Open the project. ``setup`` (first-use creation) applies to the engine's own
        directory only: with ``--global`` nothing is created in the user's project (missing
        methods raise)."""
        from lca.project import open_project

        return open_project(
            self.data_dir,
            self.project,
            use_global=self.use_global,
            setup=setup and not self.use_global,
        )

    @staticmethod
    def progress() -> Progress:
        """A transient progress bar on stderr."""
        return Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )


def write_csv(path: Path, text: str) -> Path:
    """Write a table built in memory through the one staged writer (no half-written file)."""
    from lca.files import write_files_atomically

    path = Path(path)
    return write_files_atomically(path.parent, {path.name: text})[0]


def show_frame(
    st: State,
    df: pd.DataFrame,
    table: Callable[[pd.DataFrame], Table],
    *,
    csv_out: Path | None = None,
    as_json: bool = False,
) -> None:
    """The tail of a command that shows one table: write ``df`` as CSV to ``csv_out`` (if
    given), then print its rows as JSON (``--json``) or print ``table(df)`` (a rich table)
    followed by ``Written: <csv_out>``."""
    if csv_out is not None:
        write_csv(csv_out, df.to_csv(index=False))
    if as_json:
        st.out_json(df.to_dict(orient="records"))
        return
    con = st.console()
    con.print(table(df))
    if csv_out is not None:
        con.print(f"Written: {csv_out}")


def interrupted_line(base: str) -> str:
    """The CLI's last line when a run is interrupted: ``base`` and what the interrupted writes
    to the project did (e.g. "import background.csv rolled back; the project is unchanged")."""
    project = sys.modules.get("lca.project")  # not loaded: nothing was written to a project
    writes = project.interrupted_writes() if project else []
    return f"{base}: {'; '.join(writes)}" if writes else base


def state(ctx: typer.Context) -> State:
    """The invocation's :class:`State` (``ctx.obj``); a default one when a command runs under
    a root without :func:`pcf.app.main_options` (e.g. a sub-app in a test)."""
    return ctx.ensure_object(State)


class PcfCommand(TyperCommand):
    """A command whose body runs with ``sys.stdout`` sent to stderr (see the module notes)."""

    def invoke(self, ctx: Any) -> Any:
        ctx.ensure_object(State)  # binds the output stream before stdout is redirected
        with contextlib.redirect_stdout(sys.stderr):
            return super().invoke(ctx)


def figure(v, digits: int = 6) -> str:
    """A figure as a reader takes it in at a glance, the one rule of every table the CLI
    prints: thousands separated and no exponent from 1,000 up (2,050,000, not 2.05e+06),
    ``digits`` significant digits below, "< 0.0001" for a tiny non-zero value (no exponent
    there either), "" for None or NaN.

    >>> figure(2050000.0), figure(49.35360096), figure(732.48, 5), figure(3e-7), figure(None)
    ('2,050,000', '49.3536', '732.48', '< 0.0001', '')
    """
    if v is None or math.isnan(v):
        return ""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v == 0 or abs(v) >= 1e-4:
        return f"{v:.{digits}g}"
    return "< 0.0001" if v > 0 else "> -0.0001"


def help_text(doc: str | None) -> str | None:
    r"""A command's ``--help`` text from its docstring, as it reads in a terminal: each paragraph
    one line for rich to wrap at the terminal's width (Typer keeps the docstring's own line
    breaks after the first paragraph, so an 80-column terminal showed every source line broken
    in two), list items kept on their own lines, and the reStructuredText literal marks of the
    docstring (````--x````) dropped.

    >>> help_text("Title.\n\n    Uses ``--x`` to do\n    one thing.\n\n    - a\n    - b\n    ")
    'Title.\n\nUses --x to do one thing.\n\n- a\n- b'
    """
    if not doc:
        return doc
    paragraphs = []
    for para in inspect.cleandoc(doc).split("\n\n"):
        lines = [line.strip() for line in para.splitlines() if line.strip()]
        if any(line.startswith(("- ", "* ", "\b")) for line in lines):
            paragraphs.append("\n".join(lines))
        else:
            paragraphs.append(" ".join(lines))
    return "\n\n".join(p for p in paragraphs if p).replace("``", "")


class PcfTyper(typer.Typer):
    """:class:`typer.Typer` whose commands are :class:`PcfCommand` s, their help from the
    docstring as :func:`help_text` makes it."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Any:
        register = super().command
        if kwargs.get("help") is not None:
            return register(name, cls=cls or PcfCommand, **kwargs)

        def decorator(f: Callable) -> Callable:
            return register(name, cls=cls or PcfCommand, help=help_text(f.__doc__), **kwargs)(f)

        return decorator
