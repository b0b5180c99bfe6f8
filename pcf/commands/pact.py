"""``pcf publish KEY…`` and ``pcf pact pull|request``: the PACT node's commands under the names
of the user's guide (``pcf clients …`` is :data:`pcf.commands.node.clients_app`, registered
twice).

``pcf publish`` computes the footprints of products with the engine and stores them as our
issued PACT documents (:mod:`pcf.node.publish`); ``pcf node publish FILE`` stores documents
already written. ``pcf pact pull`` and ``pcf pact request`` are ``pcf node pull`` and ``pcf
node request``, the same functions.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table

from pcf.commands.node import DbOpt, PublicUrlOpt, _notify, _open
from pcf.commands.node import pull as pull_cmd
from pcf.commands.node import request as request_cmd
from pcf.context import PcfTyper, state
from pcf.options import DEFAULT_METHOD, JsonOpt, MetaOpt, MethodOpt

__all__ = ["pact_app", "publish_cmd"]

pact_app = PcfTyper(
    help="Exchange footprints with other PACT nodes: pull suppliers', request them.",
    no_args_is_help=True,
)
pact_app.command("pull")(pull_cmd)
pact_app.command("request")(request_cmd)


def publish_cmd(
    ctx: typer.Context,
    keys: Annotated[
        list[str], typer.Argument(help="Products: database|code, or a unique activity name.")
    ],
    meta: MetaOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    pact_version: Annotated[
        Literal[3, 2], typer.Option("--pact-version", help="3 or 2 (v2.3).")
    ] = 3,
    db: DbOpt = None,
    notify: Annotated[
        bool, typer.Option(help="Send a PublishedEvent to subscribed partners.")
    ] = True,
    public_url: PublicUrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute products' footprints and publish them on our PACT node: the same footprint keeps
    its id; a changed one is stored as a new version and the old one Deprecated.

    The documents are the ones ``pcf report pact`` writes (data quality computed from the
    inventory), from the ``declaration`` of ``--meta`` (default: the demo's, for a demo
    product). All are computed and validated before any is stored."""
    from lca.footprint import FootprintEngine
    from pcf.node.publish import publish_products

    st = state(ctx)
    eng = FootprintEngine(st.open())
    with _open(st, db) as store:
        done = publish_products(store, eng, keys, meta, method=method, version=pact_version)
        results = [
            {
                "product": key,
                "id": r.pf_id,
                "action": r.action,
                "deprecated": r.deprecated,
                "specVersion": r.document.get("specVersion"),
            }
            for key, r in zip(keys, done, strict=True)
        ]
        changed = [r for r in results if r["action"] != "unchanged"]
        delivered = _notify(store, changed, public_url) if notify and changed else []
    if as_json:
        st.out_json({"published": results, "notified": delivered})
        return
    table = Table("product", "id", "action", "deprecated")
    for r in results:
        table.add_row(r["product"], r["id"], r["action"], ", ".join(r["deprecated"]))
    st.console().print(table)
