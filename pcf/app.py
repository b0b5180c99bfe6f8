"""``pcf``: the command line on top of ``lca``, ``factory``, ``supply_chain`` and ``reports``.

Only this package talks to the terminal. Every command exits non-zero on failure with a one-line
message (a traceback only with ``--debug``); ``--json`` writes machine-readable output to stdout
and nothing else (see :mod:`pcf.context` for how).

Exit codes: 0 done; 1 an engine error (:class:`lca.errors.PCFError`, one red line on stderr);
2 a usage error (click's message) or an internal error; 130 interrupted (Ctrl-C); 143
terminated (SIGTERM).

The commands live in :mod:`pcf.commands`; this module is the root: global options in
:func:`main_options`, the error contract in :class:`PcfGroup`, the registration of every command
below, and :func:`main`, the console-script entry point.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from pcf.commands import bom as bom_cmds
from pcf.commands import demo as demo_cmds
from pcf.commands import doctor as doctor_cmds
from pcf.commands import engine as engine_cmds
from pcf.commands import factory as factory_cmds
from pcf.commands import node as node_cmds
from pcf.commands import pact as pact_cmds
from pcf.commands import report as report_cmds
from pcf.commands import scenario as scenario_cmds
from pcf.commands import suppliers as suppliers_cmds
from pcf.commands import supply as supply_cmds
from pcf.commands import users as users_cmds
from pcf.context import PcfTyper, State, err, interrupted_line

__all__ = ["Terminated", "app", "main"]


class Terminated(BaseException):
    """Raised by the SIGTERM handler of :func:`main` (a ``BaseException``, like
    ``KeyboardInterrupt``, so ``except Exception`` in the engine does not swallow it)."""


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


class PcfGroup(TyperGroup):
    """The root command: turns every way a run can end into one line and an exit code.

    In place for :func:`main` and :class:`typer.testing.CliRunner` alike (both call ``main``).
    """

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        st = extra.setdefault("obj", State())
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == 130:  # typer turns KeyboardInterrupt into exit code 130, silently
                _fail(interrupted_line("interrupted (Ctrl-C)"))
        except typer.Abort:
            _fail(interrupted_line("interrupted"))
            code = 130
        except Terminated:
            _fail(interrupted_line("terminated (SIGTERM)"))
            code = 143
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 2
            code = _exit_code(exc, st.debug)
        if standalone_mode:
            sys.exit(code)
        return code


def _exit_code(exc: Exception, debug: bool) -> int:
    # heavy: keeps --help fast (lca's package imports scipy); lca is loaded by now anyway
    from lca.errors import PCFError

    if isinstance(exc, PCFError):
        if debug:
            raise exc
        _fail(str(exc))
        return 1
    if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors
        exc.show()
        return int(exc.exit_code)
    if debug:
        raise exc
    err.print(
        f"[red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} (rerun with --debug)",
        highlight=False,
        soft_wrap=True,
    )
    return 2


app = PcfTyper(
    name="pcf",
    cls=PcfGroup,
    help="Product carbon footprints (ISO 14067 / GHG Protocol / PACT) on Brightway 2.5.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _project_name(value: str) -> str:
    if not value.strip():
        raise typer.BadParameter(f"{value!r} is empty: give a project name", param_hint="--project")
    return value


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="PCF_DATA_DIR",
            file_okay=False,
            help="Brightway directory of the engine (default: ./.pcf/brightway).",
        ),
    ] = None,
    project: Annotated[
        str, typer.Option(callback=_project_name, help="Brightway project name.")
    ] = "pcf",
    use_global: Annotated[
        bool, typer.Option("--global", help="Use your own Brightway directory and project.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Product carbon footprints (ISO 14067 / GHG Protocol / PACT) on Brightway 2.5."""
    from rich.logging import RichHandler

    st = ctx.ensure_object(State)
    st.data_dir, st.project, st.use_global, st.debug = data_dir, project, use_global, debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    root = logging.getLogger()
    ctx.call_on_close(lambda previous=root.level: root.setLevel(previous))  # in-process runs
    root.setLevel(level)


# every command, in the order of `pcf --help` ---------------------------------------------------
app.command("demo")(demo_cmds.demo)
app.command("footprint")(engine_cmds.footprint)
app.command("import")(engine_cmds.import_)
app.command("methods")(engine_cmds.methods)
app.command("products")(engine_cmds.products)
app.command("parameters")(engine_cmds.parameters)
app.command("doctor")(doctor_cmds.doctor)
app.add_typer(factory_cmds.app, name="factory")
app.add_typer(report_cmds.app, name="report")
app.add_typer(bom_cmds.bom_app, name="bom")
app.command("hotspots")(bom_cmds.hotspots_cmd)
app.command("reduce")(supply_cmds.reduce_cmd)
app.command("macc")(supply_cmds.macc_cmd)
app.add_typer(suppliers_cmds.suppliers_app, name="suppliers")
app.add_typer(scenario_cmds.scenario_app, name="scenario")
app.command("supply-demo")(demo_cmds.supply_demo_cmd)
app.command("serve")(node_cmds.serve)
app.add_typer(node_cmds.clients_app, name="clients")
app.command("publish")(pact_cmds.publish_cmd)
app.add_typer(pact_cmds.pact_app, name="pact")
app.add_typer(node_cmds.node_app, name="node")
app.add_typer(users_cmds.users_app, name="users")


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    """Entry point of the ``pcf`` script: run :data:`app` in a real process.

    Brightway and HiGHS print in places we do not control, HiGHS straight to file descriptor 1:
    fd 1 is pointed at stderr for the run and Python's ``sys.stdout`` becomes a private copy of
    the real stdout, so ``--json`` output stays clean. SIGTERM ends the run like Ctrl-C does
    (``finally`` blocks run), with exit code 143.
    """
    real_stdout = sys.stdout
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = os.fdopen(saved, "w", encoding="utf-8")
    except (OSError, ValueError):  # no real file descriptors (e.g. an embedding host)
        pass
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if sys.stdout is not real_stdout:
            sys.stdout.flush()
            sys.stdout = real_stdout
        # The process ends here: the objects that exist now are left out of the interpreter's
        # last garbage-collector pass, which would scan every object of the imported libraries
        # (~0.5 s after a demo) to free memory the exit frees anyway. Outputs are closed by
        # then (every file is written and closed through lca.files).
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
