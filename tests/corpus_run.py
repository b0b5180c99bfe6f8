"""Independent bad-input corpus run against the ``pcf`` CLI (issue 9, "Bar").

A script, not a pytest module::

    .venv/bin/python tests/corpus_run.py [--out REPORT.json] [--jobs 2] [--mode fork|subprocess]
                                         [--verify 20] [--limit N]

It prepares one throw-away Brightway data dir (``pcf demo --iterations 0`` with ``PCF_DATA_DIR``
in a temporary folder), generates several hundred bad inputs by mutating the shipped example
files and every command's options, runs each through the CLI on a fresh copy of that data dir
(its own working folder as the current directory), and classifies the outcome:

CLEAR      exit 1, or click's usage exit 2, with a message naming the culprit (the mutated file's
           name, the row/line, the field/column, the option or the offending value); also exit 0
           with a warning naming the culprit for cases whose expectation is "warn" (a
           warning is the documented answer, e.g. ``--drop-unlinked``, an expired PCF).
VAGUE      an error that names no culprit.
TRACEBACK  a Python traceback, "internal error", or an exit code other than 0/1/2.
WARNED     exit 0 on an invalid input, with a warning naming the culprit (not counted as clear).
SILENT     exit 0 on an input that is clearly invalid, without such a warning.
DAMAGED    the data dir changed on failure (``logs/`` and ``bw2io_cache_dir/`` ignored), the
           working folder changed on failure (an output created or half-written), or a later
           ``pcf footprint pcf-products|lfp-cell-per-kwh`` on that data dir fails.
HANG       no answer within the per-case timeout.
VALID      exit 0 on a mutation that is valid input (a larger positive number, an accented name
           read correctly, ...) or whose expectation is "either" (a defensible input: accepted
           or refused, but when refused it must be clear). Excluded from the denominator.

Runner: ``--mode fork`` (default) imports the CLI once (not bw2data, which is imported only in
each child, as in a fresh process) and forks one child per case that calls the console-script
entry point ``pcf.app:main`` with real file descriptors, ``sys.argv`` and ``PCF_DATA_DIR``; it is
checked against real subprocesses (``python -m pcf``) on ``--verify`` cases.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import hashlib
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INV = ROOT / "inventories"
PY = sys.executable
KEY = "pcf-products|lfp-cell-per-kwh"
TIMEOUT = 90.0
IGNORED_DIRS = {"logs", "bw2io_cache_dir"}
# a path nobody (not even root) can create a folder in, and one under a regular file
UNWRITABLE = "/proc/pcf-corpus-out"
UNDER_FILE = "/dev/null/pcf-corpus-out"
SCRATCH: list[Path] = []  # the parent's own bw2data folder (fork mode), removed at the end


@dataclass
class Case:
    """One bad input: the CLI arguments (``{W}`` is the case's working folder) and the files
    to put there (bytes; ``None``: a folder)."""

    id: str
    command: str
    mutation: str
    args: list[str]
    files: dict[str, bytes | None] = field(default_factory=dict)
    culprits: list[str] = field(default_factory=list)
    expect: str = "invalid"  # invalid | valid | either | warn


@dataclass
class Result:
    id: str
    command: str
    mutation: str
    args: list[str]
    expect: str
    cls: str
    exit: int | None
    seconds: float
    stderr_head: str
    note: str = ""


# --- file helpers ------------------------------------------------------------------------------


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def with_cell(rows: list[list[str]], r: int, c: int, value: str) -> list[list[str]]:
    out = [list(x) for x in rows]
    while len(out[r]) <= c:
        out[r].append("")
    out[r][c] = value
    return out


HUGE = "x" * 100_000
NUM_POS = [
    ("empty", "", "invalid"),
    ("text", "abc", "invalid"),
    ("negative", "-1", "invalid"),
    ("zero", "0", "invalid"),
    ("nan", "nan", "invalid"),
    ("inf", "inf", "invalid"),
    ("1e308", "1e308", "invalid"),
    ("comma-decimal", "1,5", "invalid"),
    ("larger", "123", "valid"),
]
NUM_NONNEG = [(n, v, "either" if n == "zero" else e) for n, v, e in NUM_POS]
SHARE = [
    ("empty", "", "either"),
    ("text", "abc", "invalid"),
    ("negative", "-0.1", "invalid"),
    ("above-1", "1.5", "invalid"),
    ("nan", "nan", "invalid"),
    ("inf", "inf", "invalid"),
    ("in-range", "0.2", "valid"),
]
REF = [
    ("empty", "", "invalid"),
    ("unknown", "no-such-ref-42", "invalid"),
    ("huge", HUGE, "invalid"),
]
ENUM = [
    ("empty", "", "either"),
    ("unknown", "bananas", "invalid"),
    ("number", "123", "invalid"),
]
TEXT = [("huge", HUGE, "valid"), ("accented", "Société Générale 铝外壳", "valid")]


def distinctive(value: str) -> list[str]:
    """The mutated value itself, when naming it locates the culprit (not a bare number)."""
    try:
        float(value)
        return []
    except ValueError:
        return [value] if 4 <= len(value) <= 100 else []


def mutate_columns(
    prefix: str,
    command: str,
    args_for: callable,
    fname: str,
    rows: list[list[str]],
    plan: list[tuple[int, str, list[tuple[str, str, str]]]],
    header_row: int = 0,
) -> list[Case]:
    """Cell mutations: for each (row, column, mutations) of ``plan``."""
    cases = []
    header = rows[header_row]
    for r, col, muts in plan:
        c = header.index(col)
        for name, value, expect in muts:
            cases.append(
                Case(
                    f"{prefix}:{col}@{r}:{name}",
                    command,
                    f"{fname} row {r} column {col}: {name}",
                    args_for(f"{{W}}/{fname}"),
                    {fname: csv_bytes(with_cell(rows, r, c, value))},
                    [fname, col, f"row {r}", f"line {r + 1}", *distinctive(value)],
                    expect,
                )
            )
    return cases


def file_level(
    prefix: str,
    command: str,
    args_for: callable,
    fname: str,
    text: str,
    dup_expect: str = "invalid",
    swap: tuple[str, str] | None = None,
    text_col: tuple[int, int] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> list[Case]:
    """File-level mutations of one input file (CSV, JSON or YAML)."""
    extra = dict(extra_files or {})
    lines = text.splitlines(keepends=True)
    accented = text
    chinese = text
    if text_col is not None:  # put accents / Chinese in a free-text cell
        rows = list(csv.reader(io.StringIO(text)))
        r, c = text_col
        accented = csv_bytes(with_cell(rows, r, c, rows[r][c] + " Société Générale")).decode()
        chinese = csv_bytes(with_cell(rows, r, c, rows[r][c] + " 铝外壳 电池")).decode()
    muts: list[tuple[str, bytes | None, str]] = [
        ("empty-file", b"", "invalid"),
        ("header-only", lines[0].encode(), "invalid"),
        ("no-header", "".join(lines[1:]).encode(), "invalid"),
        ("truncated", text[: int(len(text) * 0.6)].encode(), "invalid"),
        ("binary-junk", bytes(range(256)) * 8, "invalid"),
        ("latin-1", accented.encode("latin-1", errors="replace"), "either"),
        ("utf-16-no-bom", chinese.encode("utf-16-le"), "either"),
        ("gbk", chinese.encode("gbk", errors="replace"), "either"),
        ("utf-8-bom", b"\xef\xbb\xbf" + text.encode(), "valid"),
        ("crlf", text.replace("\n", "\r\n").encode(), "valid"),
        ("a-folder", None, "invalid"),
    ]
    if len(lines) > 2 and not fname.endswith((".json", ".yaml", ".yml")):
        muts.append(("duplicated-row", (text + lines[-1]).encode(), dup_expect))
    if swap:
        rows = list(csv.reader(io.StringIO(text)))
        h = rows[0]
        i, j = h.index(swap[0]), h.index(swap[1])
        h[i], h[j] = h[j], h[i]
        muts.append((f"swapped-{swap[0]}-{swap[1]}", csv_bytes(rows), "invalid"))
    cases = []
    for name, content, expect in muts:
        cases.append(
            Case(
                f"{prefix}:file:{name}",
                command,
                f"{fname}: {name}",
                args_for(f"{{W}}/{fname}"),
                {fname: content, **extra},
                [fname, "encoding", "utf-8", "line", "row"]
                if "utf" in name or "gbk" in name
                else [fname],
                expect,
            )
        )
    cases.append(
        Case(
            f"{prefix}:file:missing",
            command,
            f"{fname}: missing file",
            args_for(f"{{W}}/{fname}"),
            extra,
            [fname],
        )
    )
    return cases


# --- the corpus --------------------------------------------------------------------------------


def corpus() -> list[Case]:
    cases: list[Case] = []
    add = cases.extend
    bom_dir = INV / "bom"
    cath = (bom_dir / "battery-pack-cathode-pcf.json").read_bytes()
    supp = (bom_dir / "battery-pack-supplier-pcfs.csv").read_bytes()
    pcfs = {"cathode.json": cath, "supplier-pcfs.csv": supp}
    pcf_args = ["--pcf", "{W}/cathode.json", "--pcf", "{W}/supplier-pcfs.csv"]

    # BOM (battery pack, with its supplier PCFs) -------------------------------------------------
    bom = bom_dir / "battery-pack-bom.csv"
    rows = rows_of(bom)
    idx = {r[0]: i for i, r in enumerate(rows)}

    def bom_args(p: str) -> list[str]:
        return ["bom", "rollup", p, *pcf_args]

    cases.append(
        Case(
            "bom:base",
            "bom rollup",
            "shipped BOM",
            bom_args("{W}/bom.csv"),
            {"bom.csv": bom.read_bytes(), **pcfs},
            [],
            "valid",
        )
    )
    he, ha, hs, bms = (
        idx["housing-electricity"],
        idx["housing-aluminium"],
        idx["housing"],
        idx["bms"],
    )
    ref_act = [
        ("unknown-code", "pcf-background|no-such-code", "invalid"),
        ("unknown-db", "no-such-db|electricity-cn-2023", "invalid"),
        ("no-pipe", "no such activity name 42", "invalid"),
        ("biosphere-flow", "biosphere3|349b29d1-3e58-4c66-98b9-9d1a076efd2e", "invalid"),
    ]
    plan = [
        (he, "quantity", NUM_POS),
        (he, "unit", [*ENUM, ("wrong-unit", "kilogram", "invalid")]),
        (ha, "loss", SHARE + [("one", "1", "invalid")]),
        (he, "activity", ref_act),
        (
            he,
            "parent",
            [
                ("empty-second-root", "", "invalid"),
                ("unknown", "no-such-parent", "invalid"),
                ("self-cycle", "housing-electricity", "invalid"),
            ],
        ),
        (hs, "parent", [("cycle", "housing-aluminium", "invalid")]),
        (he, "part", [("empty", "", "invalid"), ("duplicate", "housing-aluminium", "invalid")]),
        (he, "stage", ENUM),
        (he, "country", [("unknown", "XX", "either")]),
        (he, "name", TEXT[:1]),
        (bms, "pcf_id", [("unknown", "no-such-pcf-id", "warn")]),
    ]
    add(mutate_columns("bom", "bom rollup", bom_args, "bom.csv", rows, plan))
    for c in cases:
        if c.id.startswith("bom:") and c.id != "bom:base":
            c.files.update(pcfs)
    add(
        file_level(
            "bom",
            "bom rollup",
            bom_args,
            "bom.csv",
            bom.read_text(),
            swap=("quantity", "unit"),
            text_col=(he, 5),
            extra_files=pcfs,
        )
    )
    # the LFP cell BOM (no PCFs)
    cell = bom_dir / "lfp-cell-bom.csv"
    crow = rows_of(cell)
    fe = [r[0] for r in crow].index("factory-electricity")

    def cell_args(p: str) -> list[str]:
        return ["bom", "rollup", p]

    add(
        mutate_columns(
            "cellbom",
            "bom rollup",
            cell_args,
            "cell-bom.csv",
            crow,
            [(fe, "quantity", NUM_POS[:7]), (fe, "activity", ref_act[:2])],
        )
    )
    add(file_level("cellbom", "bom rollup", cell_args, "cell-bom.csv", cell.read_text())[:5])

    # supplier PCF table ---------------------------------------------------------------------------
    srows = rows_of(bom_dir / "battery-pack-supplier-pcfs.csv")

    def sp_args(p: str) -> list[str]:
        return ["bom", "rollup", "{W}/bom.csv", "--pcf", "{W}/cathode.json", "--pcf", p]

    splan = [
        (1, "value", NUM_NONNEG[:8]),
        (1, "unit", [("wrong-unit", "kilogram", "invalid"), ("unknown", "bananas", "invalid")]),
        (
            1,
            "primary_data_share",
            [
                ("above-100", "150", "invalid"),
                ("negative", "-1", "invalid"),
                ("text", "abc", "invalid"),
            ],
        ),
        (1, "technological_dqr", [("out-of-range", "9", "invalid"), ("zero", "0", "invalid")]),
        (
            1,
            "reference_period_start",
            [
                ("not-a-date", "notadate", "invalid"),
                ("after-end", "2026-01-01T00:00:00+00:00", "invalid"),
            ],
        ),
        (1, "status", [("unknown", "Bananas", "invalid")]),
        (1, "id", [("empty", "", "invalid")]),
    ]
    sp = mutate_columns("spcf", "bom rollup --pcf", sp_args, "supplier-pcfs.csv", srows, splan)
    sp.append(
        Case(
            "spcf:conflict",
            "bom rollup --pcf",
            "two different PCFs for one id",
            sp_args("{W}/supplier-pcfs.csv"),
            {"supplier-pcfs.csv": csv_bytes(srows + [with_cell(srows, 1, 1, "99")[1]])},
            ["bms-example-a", "supplier-pcfs.csv"],
        )
    )
    for c in sp:
        c.files.update({"bom.csv": bom.read_bytes(), "cathode.json": cath})
    add(sp)
    add(
        file_level(
            "spcf",
            "bom rollup --pcf",
            sp_args,
            "supplier-pcfs.csv",
            supp.decode(),
            extra_files={"bom.csv": bom.read_bytes(), "cathode.json": cath},
        )[:6]
    )

    # PACT JSON ------------------------------------------------------------------------------------
    pact = json.loads(cath)

    def pj_args(p: str) -> list[str]:
        return ["bom", "rollup", "{W}/bom.csv", "--pcf", p, "--pcf", "{W}/supplier-pcfs.csv"]

    def pact_case(name: str, doc: object, culprits: list[str], expect: str = "invalid") -> Case:
        return Case(
            f"pact:{name}",
            "bom rollup --pcf (PACT)",
            f"cathode.json: {name}",
            pj_args("{W}/cathode.json"),
            {
                "cathode.json": json.dumps(doc).encode(),
                "bom.csv": bom.read_bytes(),
                "supplier-pcfs.csv": supp,
            },
            ["cathode.json", pact["id"], *culprits],
            expect,
        )

    def setp(path: list[str], value: object) -> dict:
        doc = json.loads(cath)
        d = doc
        for k in path[:-1]:
            d = d[k]
        if value is KeyError:
            del d[path[-1]]
        else:
            d[path[-1]] = value
        return doc

    for fld in ["pcfExcludingBiogenicUptake", "declaredUnitAmount"]:
        for name, value, expect in NUM_POS[:7] + [("number-type", 9.0, "either")]:
            if fld == "declaredUnitAmount" and name == "number-type":
                value = 1
            cases.append(pact_case(f"{fld}:{name}", setp(["pcf", fld], value), [fld], expect))
        cases.append(pact_case(f"{fld}:missing", setp(["pcf", fld], KeyError), [fld]))
    for path, name, value, expect in [
        (["pcf", "pcfIncludingBiogenicUptake"], "incl-ne-excl", "5.0", "invalid"),
        (["pcf", "declaredUnitOfMeasurement"], "unit-unknown", "bananas", "invalid"),
        (["pcf", "declaredUnitOfMeasurement"], "unit-wrong", "liter", "invalid"),
        (["pcf", "primaryDataShare"], "pds-150", "150", "invalid"),
        (["pcf", "dqi"], "dqi-text", "abc", "invalid"),
        (["specVersion"], "spec-9", "9.9.9", "invalid"),
        (["status"], "status-unknown", "Bananas", "invalid"),
        (["status"], "deprecated", "Deprecated", "warn"),
        (["validityPeriodEnd"], "expired", "2020-01-01T00:00:00Z", "warn"),
        (["productIds"], "no-product-ids", [], "invalid"),
        (["pcf"], "pcf-null", None, "invalid"),
        (["id"], "id-empty", "", "invalid"),
        (["created"], "created-not-date", "yesterday", "invalid"),
        (["unknownKey"], "unknown-key", "x", "valid"),
    ]:
        cases.append(pact_case(name, setp(path, value), [path[-1]], expect))
    for name, doc, e in [
        ("array-of-one", [pact], "either"),
        ("empty-object", {}, "invalid"),
        ("null", None, "invalid"),
    ]:
        cases.append(pact_case(name, doc, [], e))
    add(
        file_level(
            "pact",
            "bom rollup --pcf (PACT)",
            pj_args,
            "cathode.json",
            cath.decode(),
            extra_files={"bom.csv": bom.read_bytes(), "supplier-pcfs.csv": supp},
        )[:5]
    )

    # Brightway CSV imports (renamed so that the shipped-database protection is not the answer) ----
    tex = (INV / "background/pcf-background-textile.csv").read_text()
    tex = tex.replace("pcf-background-textile", "corpus-textile")
    li = (INV / "products/li-ion-cell.csv").read_text().replace("pcf-products", "corpus-products")

    def imp_args(p: str) -> list[str]:
        return ["import", p]

    cases.append(
        Case(
            "imp:base-textile",
            "import",
            "renamed textile background",
            imp_args("{W}/textile.csv"),
            {"textile.csv": tex.encode()},
            [],
            "valid",
        )
    )
    cases.append(
        Case(
            "imp:base-cell",
            "import",
            "renamed LFP cell product",
            imp_args("{W}/cell.csv"),
            {"cell.csv": li.encode()},
            [],
            "valid",
        )
    )
    trow = list(csv.reader(io.StringIO(tex)))
    hdr = next(i for i, r in enumerate(trow) if r[:1] == ["name"])
    bio = hdr + 2  # the biosphere exchange row
    exch = [
        (
            bio,
            "amount",
            [m for m in NUM_POS if m[0] not in ("larger", "negative", "zero", "1e308")]
            + [("negative", "-1", "either"), ("zero", "0", "either"), ("1e308", "1e308", "either")],
        ),
        (bio, "unit", [("unknown", "bananas", "invalid"), ("mismatch", "gram", "invalid")]),
        (bio, "name", [("unknown", "no such flow 42", "invalid")]),
        (bio, "database", [("unknown", "no-such-db", "either")]),
        (bio, "categories", [("unknown", "nowhere", "invalid")]),
        (bio, "type", [("unknown", "bananas", "invalid"), ("empty", "", "invalid")]),
        (bio, "uncertainty type", [("unknown", "99", "invalid"), ("text", "abc", "invalid")]),
        (bio, "scale", [("negative", "-1", "invalid"), ("text", "abc", "invalid")]),
        (
            hdr + 1,
            "amount",
            [("production-zero", "0", "invalid"), ("production-empty", "", "invalid")],
        ),
    ]
    imp = mutate_columns("imp", "import", imp_args, "textile.csv", trow, exch, header_row=hdr)
    meta = {r[0]: i for i, r in enumerate(trow) if r and i < hdr}
    for name, r, value, expect in [
        ("code-empty", meta["code"], "", "either"),
        ("activity-unit-mismatch", meta["unit"], "gram", "invalid"),
        ("db-name-empty", 0, "", "invalid"),
        ("db-name-shipped", 0, "pcf-background", "invalid"),
    ]:
        imp.append(
            Case(
                f"imp:{name}",
                "import",
                f"textile.csv: {name}",
                imp_args("{W}/textile.csv"),
                {"textile.csv": csv_bytes(with_cell(trow, r, 1, value))},
                ["textile.csv", trow[r][0], "code", "unit", "Database", "pcf-background"],
                expect,
            )
        )
    add(imp)
    add(file_level("imp", "import", imp_args, "textile.csv", tex, dup_expect="either"))
    lrow = list(csv.reader(io.StringIO(li)))
    tech = next(i for i, r in enumerate(lrow) if len(r) > 7 and r[7] == "technosphere")
    dup_code = next(i for i, r in enumerate(lrow) if r[:1] == ["code"])
    second_code = [i for i, r in enumerate(lrow) if r[:1] == ["code"]][1]
    for name, rr, c, value, cul in [
        ("tech-unknown-ref", tech, 0, "no such activity 42", ["no such activity 42"]),
        ("tech-unknown-db", tech, 5, "no-such-db", ["no-such-db"]),
        ("tech-unit-mismatch", tech, 3, "kilogram", ["kilogram", "unit"]),
        ("tech-amount-text", tech, 2, "abc", ["amount"]),
        ("duplicate-code", second_code, 1, lrow[dup_code][1], [lrow[dup_code][1], "code"]),
    ]:
        add(
            [
                Case(
                    f"imp:cell:{name}",
                    "import",
                    f"cell.csv: {name}",
                    imp_args("{W}/cell.csv"),
                    {"cell.csv": csv_bytes(with_cell(lrow, rr, c, value))},
                    ["cell.csv", *cul],
                )
            ]
        )
    add(
        [
            Case(
                "imp:shipped-unchanged",
                "import",
                "shipped pcf-background-textile.csv again",
                imp_args(str(INV / "background/pcf-background-textile.csv")),
                {},
                ["pcf-background-textile", "--replace"],
                "either",
            ),
            Case(
                "imp:foreign-shipped-name",
                "import",
                "one-activity file named pcf-background",
                imp_args("{W}/textile.csv"),
                {"textile.csv": tex.replace("corpus-textile", "pcf-background").encode()},
                ["pcf-background", "--replace"],
            ),
            Case(
                "imp:name-ignored",
                "import --name",
                "--name on a Brightway CSV",
                ["import", "{W}/textile.csv", "--name", "other-name"],
                {"textile.csv": tex.encode()},
                ["--name", "other-name"],
                "warn",
            ),
            Case(
                "imp:drop-unlinked",
                "import --drop-unlinked",
                "unlinked flow dropped",
                ["import", "{W}/textile.csv", "--drop-unlinked"],
                {"textile.csv": csv_bytes(with_cell(trow, bio, 0, "no such flow 42"))},
                ["no such flow 42", "--drop-unlinked"],
                "warn",
            ),
            Case(
                "imp:good-then-bad",
                "import",
                "good file then unlinked file",
                ["import", "{W}/cell.csv", "{W}/textile.csv"],
                {
                    "cell.csv": li.encode(),
                    "textile.csv": csv_bytes(with_cell(trow, bio, 0, "no such flow 42")),
                },
                ["textile.csv", "no such flow 42"],
            ),
            Case(
                "imp:empty-folder",
                "import",
                "an empty folder",
                ["import", "{W}/dir"],
                {"dir": None},
                ["dir"],
            ),
            Case(
                "imp:txt",
                "import",
                "a .txt file",
                ["import", "{W}/notes.txt"],
                {"notes.txt": b"hello\n"},
                ["notes.txt"],
            ),
            Case(
                "imp:xlsx-corrupt",
                "import",
                "corrupt xlsx",
                ["import", "{W}/book.xlsx"],
                {"book.xlsx": b"PK\x03\x04garbage"},
                ["book.xlsx"],
            ),
            Case(
                "imp:no-overwrite",
                "import --no-overwrite",
                "existing database",
                ["import", "{W}/textile.csv", "--no-overwrite"],
                {"textile.csv": tex.replace("corpus-textile", "pcf-background-textile").encode()},
                ["pcf-background-textile"],
                "either",
            ),
        ]
    )

    # product parameters (--params, --set) ---------------------------------------------------------
    params = yaml.safe_load((INV / "products/li-ion-cell.params.yaml").read_text())

    def par_case(
        name: str, doc: object, cul: list[str], expect: str = "invalid", raw: bytes | None = None
    ) -> Case:
        data = raw if raw is not None else yaml.safe_dump(doc, allow_unicode=True).encode()
        return Case(
            f"params:{name}",
            "footprint --params",
            f"cell.params.yaml: {name}",
            [
                "footprint",
                KEY,
                "--params",
                "{W}/cell.params.yaml",
                "--set",
                "factory_electricity=60",
            ],
            {"cell.params.yaml": data},
            ["cell.params.yaml", *cul],
            expect,
        )

    def setpar(i: int, k: str, v: object) -> list:
        doc = json.loads(json.dumps(params))
        if v is KeyError:
            del doc[i][k]
        else:
            doc[i][k] = v
        return doc

    cases.append(par_case("base", params, [], "either"))
    for name, v, e in [
        ("text", "abc", "invalid"),
        ("negative", -1, "invalid"),
        ("nan", float("nan"), "invalid"),
        ("1e308", 1e308, "invalid"),
        ("above-max", 500, "invalid"),
        ("below-min", 0.5, "invalid"),
    ]:
        cases.append(par_case(f"default-{name}", setpar(1, "default", v), ["default"], e))
    for name, i, k, v in [
        ("kind-unknown", 1, "kind", "bananas"),
        ("consumer-unknown", 1, "consumers", ["x|y"]),
        ("input-unknown", 1, "inputs", ["pcf-background|nope"]),
        ("name-empty", 1, "name", ""),
        ("name-missing", 1, "name", KeyError),
        ("min-gt-max", 1, "min", 300),
        ("supplier-default-unknown", 0, "default", "pcf-background|nope"),
        ("consumers-not-list", 1, "consumers", 5),
    ]:
        cases.append(par_case(name, setpar(i, k, v), [k, str(v)[:20]]))
    cases.append(par_case("duplicate-entry", params + params[1:2], ["factory_electricity"]))
    for name, raw in [
        ("yaml-syntax", b"- name: [unclosed\n"),
        ("not-a-list", b"hello\n"),
        ("empty", b""),
        ("binary", bytes(range(256))),
    ]:
        cases.append(par_case(name, None, [], "invalid", raw))
    cases.append(
        Case(
            "params:folder",
            "footprint --params",
            "a folder",
            ["footprint", KEY, "--params", "{W}/p"],
            {"p": None},
            ["--params", "p"],
        )
    )
    for name, s, e in [
        ("text", "factory_electricity=abc", "invalid"),
        ("no-name", "=5", "invalid"),
        ("no-equals", "factory_electricity", "invalid"),
        ("unknown", "nope=1", "invalid"),
        ("negative", "factory_electricity=-1", "invalid"),
        ("nan", "factory_electricity=nan", "invalid"),
        ("1e308", "factory_electricity=1e308", "invalid"),
        ("above-max", "factory_electricity=500", "invalid"),
        ("supplier-unknown", "grid=pcf-background|nope", "invalid"),
        ("supplier-biosphere", "grid=biosphere3|349b29d1-3e58-4c66-98b9-9d1a076efd2e", "invalid"),
        ("in-range", "factory_electricity=60", "valid"),
    ]:
        cases.append(
            Case(
                f"set:{name}",
                "footprint --set",
                f"--set {s[:40]}",
                ["footprint", KEY, "--set", s],
                {},
                ["--set", s.split("=")[0] or "="],
                e,
            )
        )

    # factory plant file ---------------------------------------------------------------------------
    plant = INV / "factory/example-lfp-cell-plant.csv"
    prow = rows_of(plant)

    def find(period: str, section: str, item: str | None = None, product: str | None = None):
        for i, r in enumerate(prow):
            if (
                r[0] == period
                and r[1] == section
                and (item is None or r[2] == item)
                and (product is None or r[6] == product)
            ):
                return i
        raise KeyError(section)

    el, cert = find("2024", "electricity"), find("2024", "certificate", "GEC")
    alloc = find("2024", "allocation", product="lfp-cell-ev")
    prod, off = find("2024", "production", "lfp-cell-ev"), find("2024", "offset")

    def inv_args(p: str) -> list[str]:
        return ["factory", "inventory", p]

    def alloc_args(p: str) -> list[str]:
        return ["factory", "allocate", p]

    add(
        mutate_columns(
            "plant",
            "factory inventory",
            inv_args,
            "plant.csv",
            prow,
            [
                (el, "amount", NUM_NONNEG),
                (el, "unit", [*ENUM, ("wrong-unit", "kg", "invalid"), ("kWh", "kWh", "valid")]),
                (el, "region", [("unknown", "XX-YY", "invalid")]),
                (el, "item", [("unknown", "XX-YY", "either")]),
                (el, "period", [("text", "20x4", "invalid")]),
                (el, "section", [("unknown", "bananas", "invalid")]),
                (cert, "vintage", [("text", "abcd", "invalid")]),
                (cert, "retired", [("unknown", "maybe", "invalid")]),
                (cert, "amount", [("negative", "-1", "invalid"), ("nan", "nan", "invalid")]),
                (off, "unit", [("unknown", "bananas", "invalid")]),
            ],
        )
    )
    add(
        mutate_columns(
            "plant-alloc",
            "factory allocate",
            alloc_args,
            "plant.csv",
            prow,
            [
                (alloc, "amount", NUM_NONNEG[:7] + [("total-mismatch", "6500000", "invalid")]),
                (alloc, "product", [("unknown", "no-such-product", "invalid")]),
                (prod, "amount", [("zero", "0", "invalid"), ("negative", "-1", "invalid")]),
            ],
        )
    )
    add(
        file_level(
            "plant",
            "factory inventory",
            inv_args,
            "plant.csv",
            plant.read_text(),
            dup_expect="either",
            swap=("amount", "unit"),
            text_col=(el, 9),
        )
    )

    # levers and baseline (reduce) -----------------------------------------------------------------
    lev = bom_dir / "battery-pack-levers.csv"
    base = bom_dir / "battery-pack-baseline.csv"
    lrows, brows = rows_of(lev), rows_of(base)
    lb = {"levers.csv": lev.read_bytes(), "baseline.csv": base.read_bytes()}

    def red_lev(p: str) -> list[str]:
        return ["reduce", "--levers", p, "--baseline", "{W}/baseline.csv", "--target", "30%"]

    def red_base(p: str) -> list[str]:
        return ["reduce", "--levers", "{W}/levers.csv", "--baseline", p, "--target", "30%"]

    cases.append(
        Case(
            "reduce:base",
            "reduce",
            "shipped levers",
            red_lev("{W}/levers.csv"),
            dict(lb),
            [],
            "valid",
        )
    )
    lv = mutate_columns(
        "levers",
        "reduce",
        red_lev,
        "levers.csv",
        lrows,
        [
            (1, "cost", [(n, v, "either" if n == "1e308" else e) for n, v, e in NUM_NONNEG]),
            (1, "delta", [(n, v, "either" if n == "zero" else e) for n, v, e in NUM_POS[:8]]),
            (
                1,
                "year",
                [
                    ("text", "abcd", "invalid"),
                    ("negative", "-5", "invalid"),
                    ("fraction", "2027.5", "invalid"),
                ],
            ),
            (1, "change", [("unknown", "bananas", "invalid")]),
            (1, "product", [("unknown", "no-such-product", "invalid")]),
            (1, "share", SHARE[1:6]),
            (1, "excludes", [("unknown", "no-such-lever", "invalid")]),
            (1, "lever", [("empty", "", "invalid"), ("duplicate", "cell-wind-100", "invalid")]),
        ],
    )
    for c in lv:
        c.files["baseline.csv"] = lb["baseline.csv"]
    add(lv)
    add(
        file_level(
            "levers",
            "reduce",
            red_lev,
            "levers.csv",
            lev.read_text(),
            extra_files={"baseline.csv": lb["baseline.csv"]},
        )[:6]
    )
    bs = mutate_columns(
        "baseline",
        "reduce",
        red_base,
        "baseline.csv",
        brows,
        [
            (1, "footprint", NUM_POS),
            (1, "volume", [("empty-optional", "", "either"), *NUM_POS[1:7]]),
            (1, "product", [("unknown", "no-such-product", "invalid"), ("empty", "", "invalid")]),
        ],
    )
    for c in bs:
        c.files["levers.csv"] = lb["levers.csv"]
    add(bs)
    add(
        file_level(
            "baseline",
            "reduce",
            red_base,
            "baseline.csv",
            base.read_text(),
            extra_files={"levers.csv": lb["levers.csv"]},
        )[:4]
    )
    red = ["reduce", "--levers", "{W}/levers.csv", "--baseline", "{W}/baseline.csv"]
    for name, extra, cul, e in [
        ("target-text", ["--target", "abc"], ["--target", "abc"], "invalid"),
        ("target-negative", ["--target", "-10%"], ["--target"], "invalid"),
        ("target-150", ["--target", "150%"], ["--target"], "invalid"),
        ("target-empty", ["--target", ""], ["--target"], "invalid"),
        ("target-zero-cap", ["--target", "0"], ["--target"], "either"),
        ("budget-negative", ["--budget", "-1"], ["--budget"], "invalid"),
        ("budget-nan", ["--budget", "nan"], ["--budget"], "invalid"),
        (
            "target-and-budget",
            ["--target", "30%", "--budget", "100"],
            ["--target", "--budget"],
            "invalid",
        ),
        ("neither", [], ["--target", "--budget"], "invalid"),
        ("year-text", ["--target", "30%", "--year", "abc"], ["--year"], "invalid"),
        (
            "time-limit-negative",
            ["--target", "30%", "--time-limit", "-1"],
            ["--time-limit"],
            "invalid",
        ),
        ("time-limit-nan", ["--target", "30%", "--time-limit", "nan"], ["--time-limit"], "invalid"),
        (
            "product-unknown",
            ["--target", "30%", "--product", "nope"],
            ["--product", "nope"],
            "invalid",
        ),
        (
            "on-bad-date",
            ["--target", "30%", "--on", "2024-13-45"],
            ["--on", "2024-13-45"],
            "invalid",
        ),
        ("pcf-rule-unknown", ["--target", "30%", "--pcf-rule", "foo"], ["--pcf-rule"], "invalid"),
        (
            "bom-missing",
            ["--target", "30%", "--bom", "{W}/nope.csv"],
            ["--bom", "nope.csv"],
            "invalid",
        ),
        (
            "budgets-bad",
            ["--budget", "100", "--budgets", "{W}/budgets.csv"],
            ["budgets.csv", "budget"],
            "invalid",
        ),
    ]:
        files = dict(lb)
        files["budgets.csv"] = b"actor,budget\nExample Cell Co.,abc\n"
        cases.append(Case(f"reduce:opt:{name}", "reduce", name, red + extra, files, cul, e))
    for name, extra, cul in [
        ("product-unknown", ["--product", "nope"], ["--product", "nope"]),
        ("csv-folder", ["--csv", "{W}"], ["--csv"]),
        ("csv-unwritable", ["--csv", UNWRITABLE + "/m.csv"], ["--csv", "pcf-corpus-out"]),
        ("csv-under-file", ["--csv", UNDER_FILE + "/m.csv"], ["--csv", "pcf-corpus-out"]),
    ]:
        cases.append(
            Case(
                f"macc:opt:{name}",
                "macc",
                name,
                ["macc", "--levers", "{W}/levers.csv", "--baseline", "{W}/baseline.csv", *extra],
                dict(lb),
                cul,
            )
        )

    # scenarios YAML -------------------------------------------------------------------------------
    scen_path = bom_dir / "battery-pack-scenarios.yaml"
    scen = yaml.safe_load(scen_path.read_text())

    def sc_case(
        name: str, doc: object, cul: list[str], expect: str = "invalid", raw: bytes | None = None
    ) -> Case:
        data = raw if raw is not None else yaml.safe_dump(doc, allow_unicode=True).encode()
        return Case(
            f"scen:{name}",
            "scenario run",
            f"scenarios.yaml: {name}",
            ["scenario", "run", "{W}/scenarios.yaml", KEY],
            {"scenarios.yaml": data},
            ["scenarios.yaml", *cul],
            expect,
        )

    def setsc(i: int, k: str, v: object, in_change: bool = True) -> list:
        doc = json.loads(json.dumps(scen))
        d = doc[i]["changes"][0] if in_change else doc[i]
        if v is KeyError:
            del d[k]
        else:
            d[k] = v
        return doc

    cases.append(sc_case("base", scen, [], "valid"))
    for name, v in [("above-1", 1.5), ("negative", -0.5), ("text", "abc"), ("nan", float("nan"))]:
        cases.append(sc_case(f"share-{name}", setsc(0, "share", v), ["share"]))
    for name, v in [("negative", -1), ("text", "abc"), ("inf", float("inf")), ("zero", 0)]:
        cases.append(
            sc_case(
                f"factor-{name}",
                setsc(2, "factor", v),
                ["factor"],
                "either" if name == "zero" else "invalid",
            )
        )
    for name, i, k, v in [
        ("type-unknown", 0, "type", "bananas"),
        ("activity-unknown", 0, "activity", "x|y"),
        ("old-unknown", 0, "old", "pcf-background|nope"),
        ("new-unknown", 0, "new", "pcf-background|nope"),
        ("new-biosphere", 0, "new", "biosphere3|349b29d1-3e58-4c66-98b9-9d1a076efd2e"),
        ("old-not-an-input", 0, "old", "pcf-background|electricity-cn-sc-2023"),
        ("activity-missing", 0, "activity", KeyError),
    ]:
        cases.append(sc_case(k + ":" + name, setsc(i, k, v), [k, str(v)[:20]]))
    cases.append(
        sc_case("name-duplicate", setsc(1, "name", scen[0]["name"], False), [scen[0]["name"]])
    )
    cases.append(sc_case("name-empty", setsc(1, "name", "", False), ["name"]))
    cases.append(sc_case("changes-empty", setsc(1, "changes", [], False), ["changes"], "either"))
    for name, raw in [
        ("yaml-syntax", b"- name: [unclosed\n"),
        ("not-a-list", b"hello\n"),
        ("empty", b""),
        ("binary", bytes(range(256))),
        ("utf-16", scen_path.read_text().encode("utf-16-le")),
    ]:
        cases.append(sc_case(name, None, [], "either" if name == "utf-16" else "invalid", raw))
    cases.append(
        Case(
            "scen:product-unknown",
            "scenario run",
            "unknown product",
            ["scenario", "run", "{W}/s.yaml", "pcf-products|nope"],
            {"s.yaml": scen_path.read_bytes()},
            ["pcf-products|nope", "nope"],
        )
    )
    cases.append(
        Case(
            "scen:csv-folder",
            "scenario run",
            "--csv a folder",
            ["scenario", "run", "{W}/s.yaml", KEY, "--csv", "{W}"],
            {"s.yaml": scen_path.read_bytes()},
            ["--csv"],
        )
    )

    # declaration metadata (report pact / battery) -------------------------------------------------
    meta_doc = yaml.safe_load((ROOT / "pcf/demo/demo_meta.yaml").read_text())

    def setm(path: list[str], v: object) -> dict:
        doc = json.loads(json.dumps(meta_doc))
        d = doc
        for k in path[:-1]:
            d = d[k]
        if v is KeyError:
            del d[path[-1]]
        else:
            d[path[-1]] = v
        return doc

    for path, name, v, e in [
        (["declaration", "reference_period_start"], "not-a-date", "notadate", "invalid"),
        (["declaration", "reference_period_end"], "end-before-start", "2022-01-01", "invalid"),
        (["declaration", "primary_data_share"], "150", 150, "invalid"),
        (["declaration", "primary_data_share"], "negative", -1, "invalid"),
        (["declaration", "dqi", "technological"], "dqr-9", 9, "invalid"),
        (["declaration", "geography"], "unknown", "XX", "invalid"),
        (["declaration", "exempted_emissions_percent"], "text", "abc", "invalid"),
        (["declaration", "company_ids"], "empty-list", [], "invalid"),
        (["declaration", "product_mass_per_declared_unit"], "negative", -1, "invalid"),
        (["declaration", "unknown_key"], "unknown-key", "x", "either"),
        (["declaration", "company_name"], "missing", KeyError, "invalid"),
    ]:
        cases.append(
            Case(
                f"meta:pact:{name}:{path[-1]}",
                "report pact --meta",
                f"meta.yaml {path[-1]}: {name}",
                ["report", "pact", KEY, "--meta", "{W}/meta.yaml", "--out", "{W}/out"],
                {"meta.yaml": yaml.safe_dump(setm(path, v)).encode()},
                ["meta.yaml", path[-1]],
                e,
            )
        )
    for path, name, v in [
        (["battery", "service_life", "full_equivalent_cycles"], "zero", 0),
        (["battery", "service_life", "full_equivalent_cycles"], "negative", -1),
        (["battery", "service_life", "full_equivalent_cycles"], "text", "abc"),
        (["battery", "service_life", "capacity_retention"], "above-1", 1.5),
        (["battery", "service_life", "capacity_kwh"], "nan", float("nan")),
        (["battery", "service_life"], "missing", KeyError),
    ]:
        cases.append(
            Case(
                f"meta:battery:{name}:{path[-1]}",
                "report battery --meta",
                f"meta.yaml {path[-1]}: {name}",
                ["report", "battery", KEY, "--meta", "{W}/meta.yaml", "--out", "{W}/out"],
                {"meta.yaml": yaml.safe_dump(setm(path, v)).encode()},
                ["meta.yaml", path[-1]],
            )
        )
    for name, raw in [
        ("yaml-syntax", b"declaration: [unclosed\n"),
        ("list", b"- a\n"),
        ("empty", b""),
        ("binary", bytes(range(256))),
    ]:
        cases.append(
            Case(
                f"meta:file:{name}",
                "report pact --meta",
                f"meta.yaml: {name}",
                ["report", "pact", KEY, "--meta", "{W}/meta.yaml", "--out", "{W}/out"],
                {"meta.yaml": raw},
                ["meta.yaml"],
            )
        )
    illus = (bom_dir / "illustrative-supplier-pcf.json").read_bytes()
    for name, data, cul in [
        ("other-company", illus, ["prev.json", "company", "product"]),
        ("truncated", illus[:200], ["prev.json"]),
        ("not-json", b"hello", ["prev.json"]),
    ]:
        cases.append(
            Case(
                f"pact:previous:{name}",
                "report pact --previous",
                f"--previous {name}",
                ["report", "pact", KEY, "--previous", "{W}/prev.json", "--out", "{W}/out"],
                {"prev.json": data},
                ["--previous", *cul],
            )
        )

    # suppliers score ------------------------------------------------------------------------------
    contrib = (
        "supplier,product,contribution\nExample Cell Co.,battery-pack,4000\n"
        "Example Housing Co.,battery-pack,900\nExample BMS Co. A,battery-pack,70\n"
    )
    crows = rows_of_text(contrib)

    def sc_args(p: str) -> list[str]:
        return ["suppliers", "score", p]

    cases.append(
        Case(
            "score:base",
            "suppliers score",
            "base",
            sc_args("{W}/contrib.csv"),
            {"contrib.csv": contrib.encode()},
            [],
            "valid",
        )
    )
    add(
        mutate_columns(
            "score",
            "suppliers score",
            sc_args,
            "contrib.csv",
            crows,
            [
                (
                    1,
                    "contribution",
                    [
                        (n, v, "either" if n in ("negative", "1e308") else e)
                        for n, v, e in NUM_NONNEG[:7]
                    ],
                ),
                (1, "supplier", [("empty", "", "invalid")]),
            ],
        )
    )
    add(file_level("score", "suppliers score", sc_args, "contrib.csv", contrib)[:5])
    for name, extra, cul, files in [
        ("weight-text", ["--weight", "contribution=abc"], ["--weight", "contribution"], {}),
        ("weight-unknown", ["--weight", "bananas=0.5"], ["--weight", "bananas"], {}),
        ("weight-negative", ["--weight", "contribution=-1"], ["--weight", "contribution"], {}),
        ("weight-no-equals", ["--weight", "contribution"], ["--weight", "contribution"], {}),
        (
            "levers-without-baseline",
            ["--levers", "{W}/levers.csv"],
            ["--levers", "--baseline"],
            {"levers.csv": lev.read_bytes()},
        ),
        (
            "suppliers-bad-intensity",
            ["--suppliers", "{W}/sup.csv"],
            ["sup.csv", "intensity"],
            {"sup.csv": b"supplier,intensity\nExample Cell Co.,abc\n"},
        ),
        ("csv-folder", ["--csv", "{W}"], ["--csv"], {}),
    ]:
        cases.append(
            Case(
                f"score:opt:{name}",
                "suppliers score",
                name,
                sc_args("{W}/contrib.csv") + extra,
                {"contrib.csv": contrib.encode(), **files},
                cul,
            )
        )

    # options of every command ---------------------------------------------------------------------
    def opt(
        cmd: str,
        name: str,
        args: list[str],
        cul: list[str],
        e: str = "invalid",
        files: dict | None = None,
    ) -> Case:
        return Case(f"opt:{cmd}:{name}", cmd, name, args, files or {}, cul, e)

    fp = ["footprint", KEY]
    for o, vals in [
        ("--amount", ["0", "-1", "nan", "inf", "abc", ""]),
        ("--top", ["0", "-1", "abc"]),
        ("--iterations", ["-1", "1", "abc"]),
        ("--seed", ["-1", "4294967296", "abc"]),
        ("--method", ["nope", "", "a|b|c"]),
    ]:
        for v in vals:
            cases.append(opt("footprint", f"{o} {v!r}", [*fp, o, v], [o, v] if len(v) > 2 else [o]))
    cases.append(opt("footprint", "--amount 1e308", [*fp, "--amount", "1e308"], ["--amount"]))
    cases.append(opt("footprint", "--amount 5 (valid)", [*fp, "--amount", "5"], [], "valid"))
    for name, prod in [
        ("unknown-key", "pcf-products|nope"),
        ("unknown-name", "no such product"),
        ("empty", ""),
        ("biosphere-flow", "biosphere3|349b29d1-3e58-4c66-98b9-9d1a076efd2e"),
        ("unknown-db", "nodb|x"),
    ]:
        cases.append(
            opt(
                "footprint",
                f"product {name}",
                ["footprint", prod],
                [prod, "unknown product"] if prod else ["product", "PRODUCT"],
            )
        )
    hs = ["hotspots", KEY]
    for v in ["0", "1", "2", "-0.1", "nan", "abc"]:
        cases.append(opt("hotspots", f"--cutoff {v}", [*hs, "--cutoff", v], ["--cutoff", "cutoff"]))
    cases.append(opt("hotspots", "--top 0", [*hs, "--top", "0"], ["--top"]))
    cases.append(
        opt("hotspots", "unknown product", ["hotspots", "x|y"], ["x|y", "unknown product"])
    )
    cases.append(
        opt("parameters", "unknown product", ["parameters", "x|y"], ["x|y", "unknown product"])
    )
    dm = ["demo", "--out", "{W}/out", "--iterations", "0"]
    for name, extra, cul in [
        ("--iterations -1", ["--iterations", "-1"], ["--iterations"]),
        ("--iterations 1", ["--iterations", "1"], ["--iterations"]),
        ("--seed -1", ["--seed", "-1"], ["--seed"]),
        ("--lang fr", ["--lang", "fr"], ["--lang"]),
        ("--lang ''", ["--lang", ""], ["--lang"]),
        ("--method nope", ["--method", "nope"], ["--method", "nope"]),
        ("--out a file", ["--out", "{W}/afile"], ["--out", "afile"]),
        ("--out unwritable", ["--out", UNWRITABLE], ["--out", "pcf-corpus-out"]),
        ("--out under a file", ["--out", UNDER_FILE], ["--out", "pcf-corpus-out"]),
    ]:
        cases.append(opt("demo", name, dm + extra, cul, files={"afile": b"x"}))
    for name, extra, cul in [
        ("--out a file", ["--out", "{W}/afile"], ["--out", "afile"]),
        ("--out under a file", ["--out", UNDER_FILE], ["--out", "pcf-corpus-out"]),
        ("--method nope", ["--method", "nope"], ["--method", "nope"]),
    ]:
        out = [] if "--out" in extra else ["--out", "{W}/o"]
        cases.append(
            opt("supply-demo", name, ["supply-demo", *out, *extra], cul, files={"afile": b"x"})
        )
    for sub in ["pact", "battery", "iso14067", "suppliers"]:
        r = ["report", sub, KEY]
        for name, extra, cul in [
            ("--out a file", ["--out", "{W}/afile"], ["--out", "afile"]),
            ("--out unwritable", ["--out", UNWRITABLE], ["--out", "pcf-corpus-out"]),
            ("--method nope", ["--method", "nope", "--out", "{W}/o"], ["--method", "nope"]),
            ("unknown product", ["--out", "{W}/o"], ["x|y"]),
        ]:
            args = r + extra if name != "unknown product" else ["report", sub, "x|y", *extra]
            cul = [*cul, "unknown product"] if name == "unknown product" else cul
            cases.append(opt(f"report {sub}", name, args, cul, files={"afile": b"x"}))
    cases.append(
        opt(
            "report pact",
            "--pact-version 4",
            ["report", "pact", KEY, "--pact-version", "4", "--out", "{W}/o"],
            ["--pact-version"],
        )
    )
    cases.append(
        opt(
            "report pact",
            "--meta missing",
            ["report", "pact", KEY, "--meta", "{W}/nope.yaml", "--out", "{W}/o"],
            ["--meta", "nope.yaml"],
        )
    )
    cases.append(
        opt(
            "report battery",
            "--lang fr",
            ["report", "battery", KEY, "--lang", "fr", "--out", "{W}/o"],
            ["--lang"],
        )
    )
    cases.append(
        opt(
            "report iso14067",
            "--iterations 1",
            ["report", "iso14067", KEY, "--iterations", "1", "--out", "{W}/o"],
            ["--iterations"],
        )
    )
    cases.append(
        opt(
            "report iso14067",
            "--seed -1",
            ["report", "iso14067", KEY, "--seed", "-1", "--out", "{W}/o"],
            ["--seed"],
        )
    )
    pl = {"plant.csv": plant.read_bytes(), "afile": b"x"}
    for sub, extra, cul in [
        ("allocate", ["--period", "1999"], ["--period", "1999"]),
        ("allocate", ["--key", "nope"], ["--key", "nope"]),
        ("allocate", ["--scope2", "foo"], ["--scope2"]),
        ("allocate", ["--csv", "{W}"], ["--csv"]),
        ("allocate", ["--csv", UNDER_FILE + "/a.csv"], ["--csv", "pcf-corpus-out"]),
        ("gap", ["--green-share", "2"], ["--green-share"]),
        ("gap", ["--green-share", "-1"], ["--green-share"]),
        ("gap", ["--green-share", "nan"], ["--green-share"]),
        ("gap", ["--electrify", "0.5"], ["--kwh-per-mj", "--electrify"]),
        ("gap", ["--electrify", "0.5", "--kwh-per-mj", "-1"], ["--kwh-per-mj"]),
        ("gap", ["--electrify", "0.5", "--kwh-per-mj", "0"], ["--kwh-per-mj"]),
        ("gap", ["--electrify", "0.5", "--kwh-per-mj", "nan"], ["--kwh-per-mj"]),
        ("gap", ["--efficiency", "1.5"], ["--efficiency"]),
        ("gap", ["--period", "abc"], ["--period", "abc"]),
        ("inventory", ["--method", "nope"], ["--method", "nope"]),
        ("inventory", ["--csv", UNWRITABLE + "/i.csv"], ["--csv", "pcf-corpus-out"]),
        ("sheet", ["--lang", "fr"], ["--lang"]),
        ("sheet", ["--out", "{W}/afile"], ["--out", "afile"]),
        ("sheet", ["--out", UNWRITABLE], ["--out", "pcf-corpus-out"]),
    ]:
        cases.append(
            opt(
                f"factory {sub}",
                " ".join(extra).replace("{W}", "W"),
                ["factory", sub, "{W}/plant.csv", *extra],
                cul,
                files=pl,
            )
        )
    cases.append(
        opt("factory inventory", "path a folder", ["factory", "inventory", "{W}"], ["path", "PATH"])
    )
    bomf = {"bom.csv": bom.read_bytes(), "afile": b"x", **pcfs}
    br = ["bom", "rollup", "{W}/bom.csv"]
    for name, extra, cul in [
        ("--on 2024-13-45", ["--on", "2024-13-45"], ["--on", "2024-13-45"]),
        ("--on abc", ["--on", "abc"], ["--on", "abc"]),
        ("--top 0", ["--top", "0"], ["--top"]),
        ("--root nope", [*pcf_args, "--root", "nope"], ["--root", "nope"]),
        ("--pcf-rule foo", ["--pcf-rule", "foo"], ["--pcf-rule"]),
        ("--useeio a file", ["--useeio", "{W}/afile"], ["--useeio", "afile"]),
        ("--useeio missing", ["--useeio", "{W}/nope"], ["--useeio", "nope"]),
        ("--useeio empty folder", ["--useeio", "{W}/empty"], ["--useeio", "empty"]),
        ("--out a file", [*pcf_args, "--out", "{W}/afile"], ["--out", "afile"]),
        ("--out unwritable", [*pcf_args, "--out", UNWRITABLE], ["--out", "pcf-corpus-out"]),
        ("--pcf missing", ["--pcf", "{W}/nope.json"], ["--pcf", "nope.json"]),
        ("--pcf folder", ["--pcf", "{W}/empty"], ["--pcf", "empty"]),
        ("--method nope", ["--method", "nope"], ["--method", "nope"]),
    ]:
        cases.append(opt("bom rollup", name, br + extra, cul, files={**bomf, "empty": None}))
    for name, args, cul, e in [
        (
            "--data-dir a file",
            ["--data-dir", "{W}/afile", "products"],
            ["--data-dir", "afile"],
            "invalid",
        ),
        ("--project ''", ["--project", "", "products"], ["--project"], "invalid"),
        ("unknown command", ["bananas"], ["bananas"], "invalid"),
        ("unknown option", ["products", "--bananas"], ["--bananas"], "invalid"),
    ]:
        cases.append(opt("global", name, args, cul, e, files={"afile": b"x"}))
    return cases


def rows_of_text(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- running -----------------------------------------------------------------------------------


def tree_hash(root: Path, skip_top: set[str] = frozenset()) -> dict[str, str]:
    out = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel.parts and rel.parts[0] in skip_top:
            dirnames[:] = []
            continue
        if not rel.parts:
            dirnames[:] = [d for d in dirnames if d not in skip_top]
        out[str(rel) + "/"] = "dir"
        for f in filenames:
            p = Path(dirpath) / f
            try:
                out[str(rel / f)] = hashlib.sha1(p.read_bytes()).hexdigest()
            except OSError as exc:
                out[str(rel / f)] = f"unreadable {exc}"
    return out


def diff_keys(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


class Runner:
    """Starts cases as forked children (``fork``) or subprocesses, at most ``jobs`` at a time."""

    def __init__(self, mode: str):
        self.mode = mode
        self.procs: dict[int, subprocess.Popen] = {}
        if mode == "fork":
            self.preload()

    @staticmethod
    def preload() -> None:
        """Import the CLI, the engine packages and the Brightway stack once, in the parent.

        bw2data creates a project where it points at import: a scratch folder here (never the
        user's directory); each child unsets ``BRIGHTWAY2_DIR`` and the engine moves bw2data
        to the case's data dir, as it does when bw2data was imported earlier in a process.
        """
        scratch = Path(tempfile.mkdtemp(prefix="pcf-corpus-parent-bw-"))
        SCRATCH.append(scratch)
        os.environ["BRIGHTWAY2_DIR"] = str(scratch)
        for name in ["bw2data", "bw2calc", "bw2io", "pandas", "scipy.sparse", "pcf.app"]:
            importlib.import_module(name)
        for pkg in ["lca", "supply_chain", "factory", "reports", "pcf"]:
            mod = importlib.import_module(pkg)
            for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
                if ".tests" in info.name or info.name.endswith("__main__"):
                    continue
                # an optional module that fails here is imported (or not) by the child itself
                with contextlib.suppress(Exception):
                    importlib.import_module(info.name)

    def start(self, args: list[str], env: dict[str, str], cwd: Path, out: Path, err: Path):
        if self.mode == "subprocess":
            with open(out, "wb") as fo, open(err, "wb") as fe:
                p = subprocess.Popen(
                    [PY, "-m", "pcf", *args],
                    cwd=cwd,
                    env={**{k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}, **env},
                    stdout=fo,
                    stderr=fe,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self.procs[p.pid] = p
            return p.pid
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return pid
        code = 98
        try:
            os.setsid()
            fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fi = os.open(os.devnull, os.O_RDONLY)
            os.dup2(fi, 0)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            os.environ.pop("BRIGHTWAY2_DIR", None)
            os.environ.update(env)
            os.chdir(cwd)
            sys.argv = ["pcf", *args]
            from pcf.app import main

            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - an escaped exception is a traceback
            traceback.print_exc()
            code = 99
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)


def wait_all(runner: Runner, jobs: list[tuple], parallel: int, timeout: float) -> list[tuple]:
    """Run ``jobs`` = (key, args, env, cwd, out, err); return (key, exit, seconds, timed_out)."""
    pending = list(jobs)
    running: dict[int, tuple] = {}
    done = []
    while pending or running:
        while pending and len(running) < parallel:
            key, args, env, cwd, out, err = pending.pop(0)
            pid = runner.start(args, env, cwd, out, err)
            running[pid] = (key, time.monotonic())
        time.sleep(0.02)
        for pid, (key, t0) in list(running.items()):
            proc = runner.procs.get(pid)
            if proc is not None:  # a subprocess: reaped by Popen itself
                code = proc.poll()
                finished = code is not None
            else:
                r, status = os.waitpid(pid, os.WNOHANG)
                finished = r != 0
                code = os.waitstatus_to_exitcode(status) if finished else None
            if not finished:
                if time.monotonic() - t0 > timeout:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                    if proc is not None:
                        proc.wait()
                    else:
                        os.waitpid(pid, 0)
                    done.append((key, None, time.monotonic() - t0, True))
                    del running[pid]
                continue
            done.append((key, code, time.monotonic() - t0, False))
            del running[pid]
    return done


def materialise(case: Case, work: Path) -> None:
    work.mkdir(parents=True)
    for name, content in case.files.items():
        p = work / name
        if content is None:
            p.mkdir(parents=True, exist_ok=True)
        else:
            p.write_bytes(content)


def norm(text: str) -> str:
    text = re.sub(r"[│╭╮╰╯─]", " ", text)
    return re.sub(r"\s+", " ", text).lower()


TRACE = re.compile(r"Traceback \(most recent call last\)|internal error", re.IGNORECASE)
USAGE = re.compile(
    r"Usage:|Error:|Invalid value|Missing (option|argument)|No such (option|command)"
)


def classify(
    case: Case,
    code: int | None,
    timed_out: bool,
    stderr: str,
    data_changed: list[str],
    work_changed: list[str],
    later_ok: bool | None,
) -> tuple[str, str]:
    note = ""
    if timed_out:
        return "HANG", f"no answer in {TIMEOUT:.0f} s"
    failed = code != 0
    if TRACE.search(stderr) or code not in (0, 1, 2):
        return "TRACEBACK", f"exit {code}"
    if code == 2 and not USAGE.search(stderr):
        return "TRACEBACK", "exit 2 without a usage message"
    if failed and data_changed:
        return "DAMAGED", "data dir changed on failure: " + ", ".join(data_changed[:5])
    if failed and work_changed:
        return "DAMAGED", "output left on failure: " + ", ".join(work_changed[:5])
    if later_ok is False:
        return "DAMAGED", "later `pcf footprint` fails"
    tokens = list(case.culprits)
    for c in case.culprits:  # "--kwh-per-mj" is also named as "kwh-per-mj" or "kwh_per_mj"
        if c.startswith("--") and len(c) >= 7:
            tokens += [c[2:], c[2:].replace("-", "_")]
    named = any(c and norm(c) in norm(stderr) for c in tokens)
    warned = named and re.search(r"warn", stderr, re.IGNORECASE)
    if not failed:
        if case.expect == "invalid":
            return ("WARNED", "exit 0 with a warning naming it") if warned else ("SILENT", "exit 0")
        if case.expect == "warn":
            return (
                ("CLEAR", "exit 0 with a warning naming it")
                if warned
                else ("SILENT", "exit 0, no warning naming it")
            )
        return "VALID", f"exit 0 (expect {case.expect})"
    if not stderr.strip():
        return "VAGUE", "no message"
    return ("CLEAR", note) if named else ("VAGUE", "culprit not named")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="JSON report")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mode", choices=["fork", "subprocess"], default="fork")
    ap.add_argument("--verify", type=int, default=16, help="cases re-run as real subprocesses")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = ap.parse_args(argv)
    os.environ["COLUMNS"] = "200"  # before rich is imported: no wrapped messages
    t_start = time.monotonic()
    cases = corpus()
    ids = [c.id for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, dup
    if opts.limit:
        cases = cases[: opts.limit]
    tmp = Path(tempfile.mkdtemp(prefix="pcf-corpus-"))
    # removed however the run ends (forked children leave by os._exit: no atexit there)
    atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in SCRATCH])
    if not opts.keep:
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    base = tmp / "base"
    print(f"{len(cases)} cases; preparing {base} with `pcf demo --iterations 0` ...", flush=True)
    env0 = {**os.environ, "PCF_DATA_DIR": str(base)}
    prep = subprocess.run(  # noqa: PLW1510 - the return code is checked below
        [PY, "-m", "pcf", "demo", "--iterations", "0", "--out", str(tmp / "demo-out")],
        cwd=tmp,
        env=env0,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if prep.returncode:
        print(prep.stderr[-3000:])
        return 3
    base_hash = tree_hash(base, IGNORED_DIRS)
    print(f"prepared in {time.monotonic() - t_start:.0f} s", flush=True)
    runner = Runner(opts.mode)
    print(f"runner: {runner.mode}", flush=True)

    serial = iter(range(10**6))

    def job(case: Case, tag: str = "") -> tuple:
        name = f"{next(serial):04d}_" + re.sub(r"[^A-Za-z0-9]+", "_", case.id)[:60] + tag
        d = tmp / "cases" / name
        data = d / "data"
        work = d / "work"
        shutil.copytree(base, data)
        materialise(case, work)
        args = [a.replace("{W}", str(work)) for a in case.args]
        return (
            case.id + tag,
            args,
            {"PCF_DATA_DIR": str(data), "COLUMNS": "200"},
            work,
            d / "stdout",
            d / "stderr",
        ), d

    t_run = time.monotonic()
    results: list[Result] = []
    batch = 40  # data-dir copies on disk at a time
    for b0 in range(0, len(cases), batch):
        prepared = {}
        jobs = []
        for c in cases[b0 : b0 + batch]:
            j, d = job(c)
            prepared[c.id] = (c, d, tree_hash(d / "work"))
            jobs.append(j)
        outcomes = wait_all(runner, jobs, opts.jobs, TIMEOUT)
        # a later footprint on every data dir that changed (or after a hang)
        later_jobs = []
        info = {}
        for key, code, secs, timed_out in outcomes:
            c, d, work_before = prepared[key]
            data_changed = diff_keys(base_hash, tree_hash(d / "data", IGNORED_DIRS))
            work_changed = diff_keys(work_before, tree_hash(d / "work"))
            stderr = (d / "stderr").read_text(errors="replace")
            info[key] = (c, d, code, secs, timed_out, stderr, data_changed, work_changed)
            if data_changed or timed_out:
                later_jobs.append(
                    (
                        key,
                        ["footprint", KEY, "--top", "1"],
                        {"PCF_DATA_DIR": str(d / "data"), "COLUMNS": "200"},
                        d,
                        d / "later.out",
                        d / "later.err",
                    )
                )
        later_out = wait_all(runner, later_jobs, opts.jobs, TIMEOUT)
        later = {k: (code == 0) for k, code, _, _ in later_out}
        for key, (c, d, code, secs, timed_out, stderr, dch, wch) in info.items():
            cls, note = classify(c, code, timed_out, stderr, dch, wch, later.get(key))
            if key in later and later[key] and dch and code == 0:
                note += "; data dir changed (accepted write), later footprint OK"
            head = "\n".join(ln for ln in stderr.strip().splitlines() if ln.strip())[:600]
            results.append(
                Result(
                    c.id,
                    c.command,
                    c.mutation,
                    [a[:120] for a in c.args],
                    c.expect,
                    cls,
                    code,
                    round(secs, 2),
                    head,
                    note,
                )
            )
            shutil.rmtree(d, ignore_errors=True)
        print(f"  {len(results)}/{len(cases)} cases, {time.monotonic() - t_run:.0f} s", flush=True)
    # check the runner against real subprocesses on a spread of cases
    verify = []
    if opts.verify and runner.mode == "fork":
        step = max(1, len(cases) // opts.verify)
        sample = [c for c in cases[::step] if not c.args[0].startswith("demo")][: opts.verify]
        vjobs, vdirs = [], {}
        for c in sample:
            j, d = job(c, "~sub")
            vjobs.append(j)
            vdirs[j[0]] = (c, d, tree_hash(d / "work"))
        sub = Runner("subprocess")
        by_id = {r.id: r for r in results}
        for key, code, secs, timed_out in wait_all(sub, vjobs, opts.jobs, TIMEOUT):
            c, d, wb = vdirs[key]
            stderr = (d / "stderr").read_text(errors="replace")
            cls, _ = classify(
                c,
                code,
                timed_out,
                stderr,
                diff_keys(base_hash, tree_hash(d / "data", IGNORED_DIRS)),
                diff_keys(wb, tree_hash(d / "work")),
                None,
            )
            r = by_id[c.id]
            if cls == "DAMAGED" and r.cls != "DAMAGED":
                cls = r.cls  # the later-footprint check is not repeated here
            verify.append(
                {
                    "id": c.id,
                    "fork": [r.exit, r.cls],
                    "subprocess": [code, cls],
                    "same": r.exit == code and r.cls == cls,
                }
            )
    wall = time.monotonic() - t_start
    # summary --------------------------------------------------------------------------------------
    classes = ["CLEAR", "WARNED", "VAGUE", "TRACEBACK", "SILENT", "DAMAGED", "HANG", "VALID"]
    tot = {k: sum(r.cls == k for r in results) for k in classes}
    denom = len(results) - tot["VALID"]
    by_cmd: dict[str, dict[str, int]] = {}
    for r in results:
        by_cmd.setdefault(r.command, dict.fromkeys(classes, 0))[r.cls] += 1
    print(f"\n{'command':32} " + " ".join(f"{k:>9}" for k in classes))
    for cmd, row in sorted(by_cmd.items()):
        print(f"{cmd:32} " + " ".join(f"{row[k]:>9}" for k in classes))
    print(f"{'TOTAL':32} " + " ".join(f"{tot[k]:>9}" for k in classes))
    pct = 100.0 * tot["CLEAR"] / denom if denom else 0.0
    print(
        f"\n{len(results)} cases, {tot['VALID']} valid (excluded), {denom} bad inputs: "
        f"{tot['CLEAR']} clear ({pct:.1f} %), {tot['WARNED']} accepted with a warning "
        f"naming the culprit, {tot['VAGUE']} vague, {tot['TRACEBACK']} "
        f"tracebacks, {tot['SILENT']} silent, {tot['DAMAGED']} damaged, {tot['HANG']} hung"
    )
    if verify:
        same = sum(v["same"] for v in verify)
        print(
            f"runner check: {same}/{len(verify)} cases identical (exit code and class) "
            "between fork and `python -m pcf` subprocesses"
        )
        for v in verify:
            if not v["same"]:
                print("  differs:", v)
    print(f"wall time {wall:.0f} s (cases {time.monotonic() - t_run:.0f} s)\n")
    print("--- every non-CLEAR case (VALID listed last) ---")
    order = {k: i for i, k in enumerate(classes)}
    for r in sorted(results, key=lambda r: (order[r.cls] if r.cls != "VALID" else 99, r.id)):
        if r.cls == "CLEAR":
            continue
        args = " ".join(a if len(a) < 60 else a[:57] + "..." for a in r.args)
        print(f"[{r.cls}] {r.id} ({r.command}; expect {r.expect}; exit {r.exit}) {r.note}")
        print(f"    pcf {args}")
        for ln in r.stderr_head.splitlines()[:3]:
            print(f"    | {ln[:200]}")
    if opts.out:
        opts.out.write_text(
            json.dumps(
                {
                    "cases": len(results),
                    "valid_excluded": tot["VALID"],
                    "denominator": denom,
                    "counts": tot,
                    "percent_clear": round(pct, 2),
                    "by_command": by_cmd,
                    "wall_seconds": round(wall, 1),
                    "runner": runner.mode,
                    "runner_check": verify,
                    "results": [asdict(r) for r in results],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        print(f"report: {opts.out}")
    if opts.keep:
        print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
