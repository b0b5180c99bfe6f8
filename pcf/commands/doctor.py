"""``pcf doctor``: check the Brightway project for damage and, with ``--repair``, mend it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pcf.context import err, state
from pcf.options import JsonOpt

__all__ = ["doctor"]


def doctor(
    ctx: typer.Context,
    repair: Annotated[
        bool, typer.Option("--repair", help="Mend what can be mended, saying each action.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the project: databases registered vs stored, biosphere, climate methods, leftovers
    of interrupted imports, dangling exchanges, square technosphere. Exit 1 if a problem is
    found (after --repair: if one remains)."""
    # heavy: keeps --help fast (lca imports bw2data)
    from lca.project import check_project, open_project, repair_project

    st = state(ctx)
    proj = open_project(st.data_dir, st.project, use_global=st.use_global, setup=False, mend=False)
    findings = check_project(proj)
    actions: list[str] = []
    if repair and not all(f.ok for f in findings):
        actions = repair_project(proj)
        for line in actions:
            err.print(f"repaired: {escape(line)}", highlight=False, soft_wrap=True)
        findings = check_project(proj)
    problems = [f for f in findings if not f.ok]
    if as_json:
        st.out_json(
            {
                "project": proj.name,
                "data_dir": str(proj.base_dir),
                "ok": not problems,
                "checks": [
                    {"check": f.check, "ok": f.ok, "detail": f.detail, "repair": f.repair}
                    for f in findings
                ],
                "repaired": actions,
            }
        )
    else:
        t = Table(title=f"Project {proj.name!r} in {proj.base_dir}")
        for col in ("check", "status", "detail", "--repair would"):
            t.add_column(col)
        for f in findings:
            status = "[green]OK[/]" if f.ok else "[red]problem[/]"
            t.add_row(f.check, status, escape(f.detail), escape(f.repair))
        st.console().print(t)
        if problems and not repair and any(f.repair for f in problems):
            err.print("run `pcf doctor --repair` to mend what can be mended")
    if problems:
        raise typer.Exit(1)
