"""``pcf bom rollup`` and ``pcf hotspots``: where a product's footprint comes from, by part of
its bill of materials (BOM layout: ``inventories/bom/README.md``) or by supply-chain path."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from pcf.context import PcfTyper, err, state
from pcf.options import (
    DEFAULT_METHOD,
    CutoffOpt,
    DateOpt,
    JsonOpt,
    MethodOpt,
    TopOpt,
    in_file,
    in_file_arg,
)

__all__ = [
    "FromStoreOpt",
    "PcfRuleOpt",
    "StoreDbOpt",
    "bom_app",
    "hotspots_cmd",
    "rollup_cmd",
    "store_pcfs",
    "supplier_pcfs",
]

#: How to choose between different supplier PCFs for one product (supply_chain.pcfs.select_pcfs).
PcfRuleOpt = Annotated[
    Literal["error", "latest", "lowest-dqr", "first"],
    typer.Option(
        "--pcf-rule",
        help="Several different supplier PCFs for one product: refuse (error), or use the one "
        "with the latest reference period, the lowest (best) mean DQR, or the first given.",
    ),
]

#: Parts listed on the terminal; a larger BOM shows the largest footprints (all: ``--out``).
SHOWN_PARTS = 50
#: How the summary line names each source of a part's footprint (supply_chain._sources.SOURCES)
SOURCE_WORDS = {
    "supplier_pcf": "supplier PCF",
    "brightway": "background dataset",
    "spend": "spend-based (USEEIO)",
    "bom": "BOM roll-up",
    "direct": "own direct emissions only",
    "missing": "MISSING",
}

bom_app = PcfTyper(
    help="Bills of materials: roll-up with supplier PCFs, hotspots.", no_args_is_help=True
)


def supplier_pcfs(paths: list[Path], rule: str = "error", stored: list | None = None) -> list:
    """Supplier PCFs from PACT JSON files (``.json``) and PCF tables (anything else), plus
    ``stored`` ones (:func:`pcf.node.received.stored_pcfs`), one per product (different PCFs
    for one product: refused, or chosen by ``rule``)."""
    # heavy: keeps --help fast (supply_chain and lca import pandas, networkx, Brightway)
    from supply_chain import read_pact, read_pcf_table, select_pcfs

    out = []
    for p in paths:
        out += read_pact(p) if p.suffix.lower() == ".json" else read_pcf_table(p)
    return select_pcfs(out + list(stored or []), rule)


#: ``--from-store``: the supplier footprints pulled into the PACT node's store.
FromStoreOpt = Annotated[
    bool,
    typer.Option(
        "--from-store",
        help="Also use the supplier PCFs in the PACT node's store (`pcf pact pull`).",
    ),
]
#: ``--db``: the store (as ``pcf serve --db``).
StoreDbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="PCF_DB_URL",
        show_envvar=True,
        help="The store's database URL, for --from-store (default: sqlite in the data directory).",
    ),
]


def store_pcfs(st, from_store: bool, db: str | None) -> list:
    """The supplier PCFs in the store when ``from_store``, else none (``--db`` alone is
    refused: it would be silently ignored)."""
    if not from_store:
        if db is not None and not _db_from_env(db):
            from lca.errors import PCFError

            raise PCFError("--db is the store of --from-store: add --from-store")
        return []
    from pcf.node.received import stored_pcfs
    from pcf.node.store import open_store, resolve_db_url

    with open_store(resolve_db_url(db, st.data_dir)) as store:
        got = stored_pcfs(store)
        if not got:
            err.print(
                f"[yellow]warning:[/] no supplier PCF in the store {escape(store.url)}",
                highlight=False,
            )
    return got


def _db_from_env(db: str) -> bool:
    import os

    return os.environ.get("PCF_DB_URL") == db


@bom_app.command("roll-up", hidden=True)  # the spelling of the issue and the docs
@bom_app.command("rollup")
def rollup_cmd(
    ctx: typer.Context,
    path: Annotated[Path, in_file_arg("BOM file (CSV/xlsx; inventories/bom/README.md).")],
    pcf: Annotated[
        list[Path] | None,
        in_file("Supplier PCFs: PACT JSON (v2/v3) or a PCF table (CSV); repeatable."),
    ] = None,
    useeio: Annotated[
        Path | None,
        typer.Option(
            exists=True, file_okay=False, help="USEEIO model folder for spend-based factors."
        ),
    ] = None,
    method: MethodOpt = DEFAULT_METHOD,
    on: DateOpt = None,
    out: Annotated[
        Path | None, typer.Option(file_okay=False, help="Write roll-up and hotspot tables here.")
    ] = None,
    top: TopOpt = 10,
    as_json: JsonOpt = False,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The product to roll up when the BOM has several roots."),
    ] = None,
    pcf_rule: PcfRuleOpt = "error",
    from_store: FromStoreOpt = False,
    db: StoreDbOpt = None,
) -> None:
    """Roll a BOM up: each part from a supplier PCF (files, and with --from-store the PACT
    node's store), else its Brightway activity, else spend."""
    from lca.intensity_cache import deferred

    # the background intensities computed here are cached only if the command succeeds
    with deferred(), _small_pages():
        _rollup(ctx, path, pcf, useeio, method, on, out, top, as_json, root, pcf_rule,
                from_store, db)  # fmt: skip


@contextlib.contextmanager
def _small_pages():
    """numpy's large arrays without its request for transparent huge pages while a BOM is
    read and rolled up.

    numpy asks the kernel to back every array of 4 MB or more with 2 MB pages
    (``madvise(MADV_HUGEPAGE)``). Where the kernel then compacts memory to find such pages
    when they are first touched (``/sys/kernel/mm/transparent_hugepage/defrag`` set to
    ``madvise``, the kernel's default), a fragmented machine stalls there: on the benchmark's
    million-row BOM (bench ``bom-e2e``, three runs each) the command took 0.64, 1.49 and
    1.53 s with them, 0.71 to 0.80 s without. The command's arrays live a second, too short
    for larger pages to pay back. The setting is numpy's own switch (what
    ``NUMPY_MADVISE_HUGEPAGE=0`` sets), put back afterwards."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # pragma: no cover - numpy without the switch
        yield
        return
    was = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(was)


def _rollup(ctx, path, pcf, useeio, method, on, out, top, as_json, root, pcf_rule, from_store, db):
    from lca.footprint import FootprintEngine
    from supply_chain import hotspots, rollup, useeio_spend_factors, write_hotspots
    from supply_chain.bom import read_bom_arrays

    st = state(ctx)
    with st.progress() as progress:
        task = progress.add_task("Reading the BOM", total=None)
        G = read_bom_arrays(path, root=root)  # arrays: a million rows need no graph
        pcfs = supplier_pcfs(pcf or [], pcf_rule, store_pcfs(st, from_store, db))
        spend = useeio_spend_factors(useeio) if useeio else None
        progress.update(task, description="Rolling up")
        eng = FootprintEngine(st.open())
        day = dt.date.fromisoformat(on) if on else None
        result = rollup(G, eng, method, pcfs=pcfs, spend_factors=spend, on=day)
        files = write_hotspots(result, out, top=top, prefix=path.stem) if out else {}
    summary = result.summary()
    summary["files"] = {k: str(v) for k, v in files.items()}
    if as_json:
        summary["hotspots"] = {
            k: df.to_dict(orient="records") for k, df in hotspots(result, top=top).items()
        }
        st.out(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return
    con = st.console()
    sources = ", ".join(f"{SOURCE_WORDS.get(k, k)} {n:,}" for k, n in summary["sources"].items())
    missing = summary.get("missing") or {}
    con.print(
        f"[bold]{summary['part']}[/]: {summary['footprint']:.6g} {summary['unit']} "
        f"per {summary['per']}"
        + (" [red](INCOMPLETE: see below)[/]" if missing else "")
        + f"; parts by source: {sources}; primary data {summary['primary_data_share'] or 0:.1f} %"
    )
    if missing:  # the total leaves them out: say so where the total is read, not only in a log
        from rich.markup import escape

        shown = "; ".join(f"{k} ({v})" for k, v in list(missing.items())[:5])
        con.print(
            f"[red]{len(missing):,} part(s) without a footprint source, counted as 0 in the "
            f"total[/]: {escape(shown)}" + (" ..." if len(missing) > 5 else "")
        )
    tab = result.table
    title = "parts"
    if len(tab) > SHOWN_PARTS:  # the largest footprints per unit; every part with --out
        tab = tab.iloc[tab["footprint"].abs().to_numpy().argsort(kind="stable")[::-1][:SHOWN_PARTS]]
        title = (
            f"parts: the {SHOWN_PARTS} of {len(result.table):,} with the largest footprint per "
            "unit" + ("" if files else " (--out DIR writes every part)")
        )
    t = Table(title=title)
    for c in ("part", "source", f"{summary['unit']} per unit", "unit"):
        t.add_column(c, justify="left" if c in ("part", "source", "unit") else "right")
    for part, src, fp, unit in zip(
        tab.index.tolist(), tab["source"].tolist(), tab["footprint"].tolist(), tab["unit"].tolist()
    ):
        t.add_row(str(part), str(src), f"{fp:.6g}", str(unit))
    con.print(t)
    for kind, df in hotspots(result, top=top).items():
        t = Table(title=f"hotspots by {kind.replace('_', ' ')}")
        for c in ("item", f"{summary['unit']} per {summary['per']}", "share"):
            t.add_column(c, justify="left" if c == "item" else "right")
        for _, row in df.iterrows():
            if row["item"] == "rest" and row["value"] == 0:  # nothing beyond the rows shown
                continue
            t.add_row(str(row["item"]), f"{row['value']:.6g}", f"{row['share']:.1%}")
        con.print(t)
    if files:
        con.print("Written: " + ", ".join(str(v) for v in files.values()))


def hotspots_cmd(
    ctx: typer.Context,
    product: Annotated[str, typer.Argument(help="database|code of a product.")],
    method: MethodOpt = DEFAULT_METHOD,
    cutoff: CutoffOpt = 0.005,
    top: TopOpt = 20,
    as_json: JsonOpt = False,
) -> None:
    """Top supply-chain paths of a product (structural path analysis) with coverage."""
    from lca.footprint import FootprintEngine
    from supply_chain import activity_paths

    st = state(ctx)
    eng = FootprintEngine(st.open())
    spa = activity_paths(eng, product, method, cutoff=cutoff, top=top)
    df = spa.to_frame()
    if as_json:
        st.out(
            json.dumps(
                {
                    "total": spa.total,
                    "coverage": spa.coverage,
                    "cutoff": spa.cutoff,
                    "paths": df.to_dict(orient="records"),
                },
                indent=2,
                default=str,
            )
        )
        return
    t = Table(title=f"top paths (coverage {spa.coverage:.1%} at cutoff {spa.cutoff:g})")
    for c in ("rank", "path", "value", "share"):
        t.add_column(c, justify="right" if c in ("rank", "value", "share") else "left")
    for _, row in df.iterrows():
        rank = "" if row["rank"] is None or row["rank"] != row["rank"] else str(int(row["rank"]))
        t.add_row(rank, str(row["path"]), f"{row['value']:.6g}", f"{row['share']:.1%}")
    st.console().print(t)
