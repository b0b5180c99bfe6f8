"""``pcf users …``: people who sign in to the supplier carbon portal (``pcf serve``, ``/app``).

Users live in the footprint store (``--db``, ``$PCF_DB_URL`` or the data directory's SQLite
file, as ``pcf node``); passwords are kept only as argon2id hashes.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table

from pcf.commands.node import DbOpt, _open
from pcf.context import PcfTyper, err, state
from pcf.options import JsonOpt

__all__ = ["users_add", "users_app", "users_disable", "users_list", "users_role"]

users_app = PcfTyper(
    help="Users of the supplier carbon portal (pcf serve, /app).", no_args_is_help=True
)

RoleOpt = Annotated[
    Literal["viewer", "buyer", "admin"],
    typer.Option(help="viewer: reads; buyer: uploads, computes, requests; admin: also users."),
]


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    role: RoleOpt = "viewer",
    password: Annotated[
        str | None,
        typer.Option(help="Password (at least 8 characters); asked for when omitted."),
    ] = None,
    lang: Annotated[Literal["en", "zh"], typer.Option(help="Language of the pages.")] = "en",
    db: DbOpt = None,
) -> None:
    """Add a portal user (the password is asked for, twice, unless given)."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    st = state(ctx)
    from pcf.portal.data import add_user

    with _open(st, db) as store:
        add_user(store, name, password, role, lang)
    err.print(f"added {name} ({role})", highlight=False)


@users_app.command("list")
def users_list(ctx: typer.Context, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List portal users (never their password hashes)."""
    st = state(ctx)
    from pcf.portal.data import users

    with _open(st, db) as store:
        rows = users(store)
    if as_json:
        st.out_json(rows)
        return
    table = Table("name", "role", "lang", "created", "disabled")
    for r in rows:
        table.add_row(
            r["name"], r["role"], r["lang"], r["created_at"], "yes" if r["disabled"] else ""
        )
    st.console().print(table)


@users_app.command("role")
def users_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[Literal["viewer", "buyer", "admin"], typer.Argument(help="The new role.")],
    db: DbOpt = None,
) -> None:
    """Change a user's role."""
    st = state(ctx)
    from pcf.portal.data import update_user

    with _open(st, db) as store:
        update_user(store, name, role=role)
    err.print(f"{name} is now {role}", highlight=False)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
    db: DbOpt = None,
) -> None:
    """Disable a user (their session stops working at once) or, with --enable, enable again."""
    st = state(ctx)
    from pcf.portal.data import update_user

    with _open(st, db) as store:
        update_user(store, name, disabled=not enable)
    err.print(f"{name} {'enabled' if enable else 'disabled'}", highlight=False)
