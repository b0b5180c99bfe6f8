"""The bad-input corpus (issue 9, item 10): every bad input gets a located, clear error.

Each case runs ``python -m pcf ...`` in a subprocess, as a user runs it, in a throw-away working
folder and against its own copy of one Brightway data dir prepared once per session (the shipped
inventories imported; never the user's Brightway directory, never ``./.pcf``). A case passes when:

- the exit code is 1 (for a bad value of a command-line option also 2, click's usage error,
  which ``pcf/options.py`` documents for typer-validated options);
- the error names the culprit: every expected substring (file name, row, field or option) is in
  stderr (case-insensitive), after a line starting "error";
- stderr holds no Python traceback and no "internal error";
- the data dir and the working folder (inputs and any output target) are byte-for-byte
  unchanged, and an output folder that did not exist was not created.

Two relaxations, per case: ``success_ok`` (an input that may instead be read correctly, such as
a GBK file from a Chinese supplier; exit 0 is then fine and nothing else is checked but the
traceback) and ``warn_ok`` (an ignored option may instead be warned about: exit 0 with the
expected substrings in stderr).

Cases that fail today are marked ``xfail(strict=True)`` with today's behaviour as the reason:
when a fix makes one pass, pytest reports XPASS(strict) and the mark must go.

The damaging cases (a re-import breaks the products, a foreign file replaces a shipped database,
a multi-file import half-written, a singular technosphere) are separate tests at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.greet import LFP_G_PER_KG

ROOT = Path(__file__).resolve().parent.parent
INV = ROOT / "inventories"
BOM_DIR = INV / "bom"
#: What the cases need: the background and the LFP cell (the BOMs, levers and scenarios use them).
# the cell's materials are the pack chain's cell share: lfp-pack.csv before li-ion-cell.csv
SHIPPED = [
    INV / "background" / "pcf-background.csv",
    INV / "products" / "lfp-pack.csv",
    INV / "products" / "li-ion-cell.csv",
]
LEVERS = BOM_DIR / "battery-pack-levers.csv"
BASELINE = BOM_DIR / "battery-pack-baseline.csv"
PACK_BOM = BOM_DIR / "battery-pack-bom.csv"
CELL_BOM = BOM_DIR / "lfp-cell-bom.csv"
CATHODE_PCF = BOM_DIR / "battery-pack-cathode-pcf.json"
SUPPLIER_PCFS = BOM_DIR / "battery-pack-supplier-pcfs.csv"
SCENARIOS = BOM_DIR / "battery-pack-scenarios.yaml"
PLANT = INV / "factory" / "example-lfp-cell-plant.csv"
PRODUCT = "pcf-products|lfp-cell-per-kwh"
PACK = "pcf-products-lfp-pack|lfp-pack-per-kwh"  # a declared product (demo meta)
CO2_FOSSIL_AIR = "biosphere3|349b29d1-3e58-4c66-98b9-9d1a076efd2e"

# Root ignores file modes: there, a folder the process cannot create is one under /sys.
RO_OUT = "/sys/pcf-bad-inputs-out" if os.geteuid() == 0 else "{w}/read-only/out"


# ---------------------------------------------------------------------------------------------
# running the CLI
def run_pcf(args: list[str], data_dir: Path, cwd: Path, timeout: float = 300):
    env = dict(
        os.environ,
        PCF_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
        COLUMNS="250",
        NO_COLOR="1",
        TERM="dumb",
    )
    env.pop("BRIGHTWAY2_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pcf", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with its sha256 (folders as 'dir'), but Brightway's
    own log files (``logs/``: bw2io writes one per importer run; they hold no project data)."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if rel.split("/")[0] in ("logs", "bw2io_cache_dir"):  # bw2io's own logs and cache
            continue
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        [f"+{k}" for k in after.keys() - before.keys()]
        + [f"-{k}" for k in before.keys() - after.keys()]
        + [f"~{k}" for k in before.keys() & after.keys() if before[k] != after[k]]
    )


def lines_of(stderr: str) -> list[str]:
    """stderr as lines without rich box characters and with collapsed blanks."""
    out = []
    for ln in stderr.splitlines():
        ln = re.sub(r"[│╭╮╰╯─]+", " ", ln)
        ln = re.sub(r"\s+", " ", ln).strip()
        if ln:
            out.append(ln)
    return out


def assert_clean(p) -> None:
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    assert "internal error" not in p.stderr.lower(), p.stderr[-3000:]


def assert_names(stderr: str, expect: list[str | tuple[str, ...]], error: bool) -> None:
    """Every item of ``expect`` (a substring, or a tuple of alternatives) is in stderr,
    case-insensitive; with ``error``, stderr also has a line starting "error" (the message may
    go on over the next lines, e.g. one line per unlinked exchange)."""
    lines = lines_of(stderr)
    want = [tuple(a.lower() for a in (e if isinstance(e, tuple) else (e,))) for e in expect]
    text = " ".join(lines).lower()
    ok = all(any(a in text for a in alts) for alts in want)
    if error:
        ok = ok and any(ln.lower().startswith("error") for ln in lines)
    assert ok, f"error does not name {expect}:\n{stderr[-3000:]}"


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory) -> Path:
    """One Brightway data dir with the inventories the cases use (copied for each case)."""
    d = tmp_path_factory.mktemp("bad-inputs-bw")
    p = run_pcf(["import", *SHIPPED], data_dir=d, cwd=d)
    assert p.returncode == 0, p.stderr
    return d


@pytest.fixture
def data_dir(prepared_dir, tmp_path) -> Path:
    d = tmp_path / "bw"
    shutil.copytree(prepared_dir, d)
    return d


@pytest.fixture
def work(tmp_path) -> Path:
    w = tmp_path / "work"
    w.mkdir()
    return w


# ---------------------------------------------------------------------------------------------
# building bad files from the shipped ones
def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def replace(src: str, old: str, new: str) -> str:
    assert old in src, f"{old!r} not in the source file"
    return src.replace(old, new, 1)


def bw_csv(database: str, activities: list[dict]) -> str:
    """A Brightway CSV (the shipped layout) of ``activities``: dicts with name, code, unit and
    exchanges (name, reference product, amount, unit, location, database, categories, type)."""
    rows = [f"Database,{database}", "description,bad-input corpus", ""]
    for a in activities:
        rows += [
            f'Activity,"{a["name"]}"',
            f"code,{a['code']}",
            f'reference product,"{a["name"]}"',
            f"unit,{a['unit']}",
            "location,GLO",
            "Exchanges",
            "name,reference product,amount,unit,location,database,categories,type",
        ]
        rows.append(f'"{a["name"]}","{a["name"]}",1,{a["unit"]},GLO,{database},,production')
        for e in a.get("exchanges", []):
            rows.append(",".join(f'"{v}"' if "," in str(v) else str(v) for v in e))
        rows.append("")
    return "\n".join(rows) + "\n"


CO2 = ("Carbon dioxide, fossil", "", 2.0, "kilogram", "", "biosphere3", "air", "biosphere")
GRID = (
    "electricity, China national grid average, MEE 2023",
    "electricity, grid average",
    2.0,
    "kilowatt hour",
    "CN",
    "pcf-background",
    "",
    "technosphere",
)


def widget_db(database: str = "bad-widgets", *extra) -> str:
    return bw_csv(
        database,
        [{"name": "widget", "code": "widget", "unit": "kilogram", "exchanges": [CO2, *extra]}],
    )


def textile_as(database: str, name: str | None = None) -> str:
    src = replace(
        text(INV / "background" / "pcf-background-textile.csv"),
        "Database,pcf-background-textile",
        f"Database,{database}",
    )
    src = src.replace(",pcf-background-textile,", f",{database},")
    if name:
        src = src.replace("cotton yarn, conventional, spun in China", name)
    return src


def corrupt(n: int = 4096, seed: int = 9) -> bytes:
    return random.Random(seed).randbytes(n)


def cathode_pcf(**pcf_fields) -> str:
    d = json.loads(text(CATHODE_PCF))
    d["pcf"].update(pcf_fields)
    return json.dumps(d, indent=2)


def levers_rows(keep: int) -> str:
    return "\n".join(text(LEVERS).splitlines()[: keep + 1]) + "\n"


BOM_GBK = replace(
    text(CELL_BOM),
    '"battery cell, LFP, per kWh capacity, made in China"',
    "磷酸铁锂电芯（每千瓦时容量，中国制造）",
)


# ---------------------------------------------------------------------------------------------
# the corpus
@dataclass
class Case:
    args: list[str]  # {w}: the working folder (files below are written there); {bw}: data dir
    expect: list  # substrings (or tuples of alternatives) the error must contain
    files: dict[str, str | bytes] = field(default_factory=dict)
    codes: tuple[int, ...] = (1,)
    success_ok: bool = False  # exit 0 acceptable: the input was read correctly
    warn_ok: bool = False  # exit 0 acceptable with a warning naming ``expect``
    setup: Callable[[Path], None] | None = None


OPT = (1, 2)  # a bad option value: our error (1) or click's usage error (2)


def _read_only(w: Path) -> None:
    if os.geteuid() != 0:
        (w / "read-only").mkdir()
        (w / "read-only").chmod(0o555)


def xf(case: Case, reason: str, id: str):
    return pytest.param(case, id=id, marks=pytest.mark.xfail(strict=True, reason=reason))


CASES = [
    # --- vague today: encodings, corrupt files, output targets -------------------------------
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom-a.csv"],
            ["bom-a.csv", "utf-16"],
            files={"bom-a.csv": text(CELL_BOM).encode("utf-16")},
            success_ok=True,
        ),
        id="bom-utf16",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom-b.csv"],
            ["bom-b.csv", "gbk"],
            files={"bom-b.csv": BOM_GBK.encode("gbk")},
            success_ok=True,
        ),
        id="bom-gbk",
    ),
    pytest.param(
        Case(
            ["macc", "--levers", "{w}/levers-a.csv", "--baseline", BASELINE],
            ["levers-a.csv", "utf-16"],
            files={"levers-a.csv": text(LEVERS).encode("utf-16")},
            success_ok=True,
        ),
        id="levers-utf16",
    ),
    pytest.param(
        Case(
            ["import", "{w}/inventory-a.csv"],
            ["inventory-a.csv", "utf-16"],
            files={"inventory-a.csv": textile_as("bad-utf16").encode("utf-16")},
            success_ok=True,
        ),
        id="import-utf16",
    ),
    pytest.param(
        Case(
            ["import", "{w}/inventory-b.csv"],
            ["inventory-b.csv", "gbk"],
            files={"inventory-b.csv": textile_as("bad-gbk", "棉纱").encode("gbk")},
            success_ok=True,
        ),
        id="import-gbk",
    ),
    pytest.param(
        Case(["bom", "rollup", "{w}/bom.xlsx"], ["bom.xlsx"], files={"bom.xlsx": corrupt()}),
        id="bom-corrupt-xlsx",
    ),
    pytest.param(
        Case(
            ["import", "{w}/inventory.xlsx"],
            ["inventory.xlsx"],
            files={"inventory.xlsx": corrupt()},
        ),
        id="import-corrupt-xlsx",
    ),
    pytest.param(
        Case(
            ["factory", "inventory", "{w}/plant.xlsx"],
            ["plant.xlsx"],
            files={"plant.xlsx": corrupt()},
        ),
        id="factory-corrupt-xlsx",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", CELL_BOM, "--out", RO_OUT],
            [RO_OUT.replace("{w}/", "")],
            setup=_read_only,
        ),
        id="out-read-only",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", CELL_BOM, "--out", "{w}/taken"],
            ["taken"],
            codes=OPT,
            files={"taken": "a file, not a folder\n"},
        ),
        id="out-is-a-file",
    ),
    pytest.param(
        Case(
            ["report", "pact", PRODUCT, "--out", "{w}/taken"],
            ["taken"],
            codes=OPT,
            files={"taken": "a file, not a folder\n"},
        ),
        id="report-out-is-a-file",
    ),
    pytest.param(
        Case(
            ["macc", "--levers", LEVERS, "--baseline", BASELINE, "--csv", "{w}/taken/macc.csv"],
            ["taken"],
            codes=OPT,
            files={"taken": "a file, not a folder\n"},
        ),
        id="csv-parent-is-a-file",
    ),
    # --- vague today: Brightway CSVs --------------------------------------------------------
    pytest.param(
        Case(
            ["import", "{w}/widgets.csv"],
            ["widgets.csv", "unit", "megajoule", "kilowatt hour"],
            files={"widgets.csv": widget_db("bad-units", GRID[:3] + ("megajoule",) + GRID[4:])},
        ),
        id="import-unit-mismatch",
    ),
    pytest.param(
        Case(
            ["import", "{w}/dupes.csv"],
            ["dupes.csv", "duplicate", "widget"],
            files={
                "dupes.csv": bw_csv(
                    "bad-dupes",
                    [
                        {
                            "name": "widget",
                            "code": "widget",
                            "unit": "kilogram",
                            "exchanges": [CO2],
                        },
                        {
                            "name": "gadget",
                            "code": "widget",
                            "unit": "kilogram",
                            "exchanges": [CO2],
                        },
                    ],
                )
            },
        ),
        id="import-duplicate-code",
    ),
    pytest.param(
        Case(
            ["import", "{w}/unlinked.csv"],
            ["unlinked.csv", "Carbon dioxide, imaginary"],
            files={
                "unlinked.csv": widget_db("bad-unlinked", ("Carbon dioxide, imaginary",) + CO2[1:])
            },
        ),
        id="import-unlinked-flow",
    ),
    pytest.param(
        Case(["import", "{w}/empty.csv"], ["empty.csv"], files={"empty.csv": ""}),
        id="import-empty-file",
    ),
    pytest.param(
        Case(["import", "{w}/notes.txt"], ["notes.txt"], files={"notes.txt": "just some notes\n"}),
        id="import-unknown-format",
    ),
    pytest.param(
        Case(["import", "{w}/missing.csv"], ["missing.csv"], codes=OPT), id="import-missing-file"
    ),
    # --- vague today: options ---------------------------------------------------------------
    pytest.param(
        Case(["footprint", PRODUCT, "--iterations", "10", "--seed", "-1"], ["seed"], codes=OPT),
        id="seed-negative",
    ),
    pytest.param(
        Case(["hotspots", PRODUCT, "--cutoff", "2"], ["cutoff"], codes=OPT), id="cutoff-2"
    ),
    pytest.param(
        Case(["hotspots", PRODUCT, "--cutoff", "-0.1"], ["cutoff"], codes=OPT), id="cutoff-negative"
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--top", "-3"], ["top"], codes=OPT), id="top-negative"
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--iterations", "-5"], ["iterations"], codes=OPT),
        id="iterations-negative",
    ),
    pytest.param(
        Case(
            ["factory", "gap", PLANT, "--green-share", "1.5"],
            [("green-share", "green_share")],
            codes=OPT,
        ),
        id="green-share-1.5",
    ),
    pytest.param(
        Case(["bom", "rollup", CELL_BOM, "--on", "2025-13-45"], ["2025-13-45"], codes=OPT),
        id="on-not-a-date",
    ),
    pytest.param(
        Case(
            ["report", "pact", PRODUCT, "--pact-version", "4", "--out", "{w}/o"],
            [("pact-version", "pact_version"), "4"],
            codes=OPT,
        ),
        id="pact-version-4",
    ),
    pytest.param(
        Case(
            ["reduce", "--levers", LEVERS, "--baseline", BASELINE, "--target", "abc"],
            ["target", "abc"],
            codes=OPT,
        ),
        id="target-not-a-number",
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--method", "gwp-bogus"], ["gwp-bogus"], codes=OPT),
        id="method-unknown",
    ),
    # --- vague today: products, BOMs, levers, YAML -------------------------------------------
    pytest.param(Case(["footprint", CO2_FOSSIL_AIR], ["biosphere"]), id="biosphere-as-product"),
    pytest.param(
        Case(["footprint", "pcf-products|no-such-thing"], ["no-such-thing"]), id="product-unknown"
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--set", "nosuchparam=1"], ["nosuchparam"]),
        id="set-unknown-parameter",
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--set", "grid"], ["grid"], codes=OPT), id="set-without-value"
    ),
    pytest.param(
        Case(["bom", "rollup", "{w}/bom.csv"], ["bom.csv"], files={"bom.csv": ""}),
        id="bom-zero-bytes",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv"],
            files={"bom.csv": text(CELL_BOM).splitlines()[0] + "\n"},
        ),
        id="bom-header-only",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "furlong"],
            files={"bom.csv": replace(text(CELL_BOM), "37.5,kilowatt hour", "37.5,furlong")},
        ),
        id="bom-unknown-unit",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "quantity", "lots"],
            files={"bom.csv": replace(text(CELL_BOM), "37.5,kilowatt hour", "lots,kilowatt hour")},
        ),
        id="bom-quantity-not-a-number",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "nope", "factory-electricity"],
            files={
                "bom.csv": replace(
                    text(CELL_BOM),
                    "pcf-background|electricity-cn-2024-footprint-consumer",
                    "pcf-background|nope",
                )
            },
        ),
        id="bom-unknown-activity",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "cycle"],
            files={
                "bom.csv": replace(
                    text(CELL_BOM),
                    "cell-materials,lfp-cell,",
                    "cell-materials,lfp-battery-materials,",
                )
            },
        ),
        id="bom-cycle",
    ),
    pytest.param(
        Case(
            ["macc", "--levers", "{w}/levers.csv", "--baseline", BASELINE],
            ["levers.csv"],
            files={"levers.csv": levers_rows(0)},
        ),
        id="levers-header-only",
    ),
    pytest.param(
        Case(
            ["macc", "--levers", "{w}/levers.csv", "--baseline", BASELINE],
            ["levers.csv", "cell-wind-50"],
            files={"levers.csv": levers_rows(8) + text(LEVERS).splitlines()[1] + "\n"},
        ),
        id="levers-duplicate-id",
    ),
    pytest.param(
        Case(
            ["macc", "--levers", LEVERS, "--baseline", "{w}/baseline.csv"],
            ["baseline.csv", "footprint"],
            files={"baseline.csv": "product,footprint,volume\nbattery-pack,-5,10000\n"},
        ),
        id="baseline-negative-footprint",
    ),
    pytest.param(
        Case(
            ["scenario", "run", "{w}/scenarios.yaml", PRODUCT],
            ["scenarios.yaml"],
            files={"scenarios.yaml": "- name: broken\n  changes: [\n    - type: {\n"},
        ),
        id="scenario-bad-yaml",
    ),
    pytest.param(
        Case(
            ["scenario", "run", "{w}/scenarios.yaml", PRODUCT],
            ["scenarios.yaml", "no-such-activity"],
            files={
                "scenarios.yaml": text(SCENARIOS).replace(
                    "pcf-products|lfp-cell-manufacturing-cn", "pcf-products|no-such-activity"
                )
            },
        ),
        id="scenario-unknown-activity",
    ),
    pytest.param(
        Case(
            ["report", "battery", PRODUCT, "--meta", "{w}/meta.yaml", "--out", "{w}/o"],
            ["meta.yaml"],
            files={"meta.yaml": "company: {name: [unclosed\n"},
        ),
        id="meta-bad-yaml",
    ),
    pytest.param(
        Case(
            ["footprint", PRODUCT, "--params", "{w}/p.params.yaml"],
            ["p.params.yaml"],
            files={"p.params.yaml": "parameters:\n  - name: x\n   kind: [\n"},
        ),
        id="params-bad-yaml",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", PACK_BOM, "--pcf", "{w}/cathode.json"],
            ["cathode.json"],
            files={"cathode.json": '{"id": "x", "pcf": {'},
        ),
        id="pact-not-json",
    ),
    # --- silently accepted today -------------------------------------------------------------
    pytest.param(
        Case(["footprint", PRODUCT, "--amount", "0"], ["amount"], codes=OPT), id="amount-0"
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--amount", "-1"], ["amount"], codes=OPT), id="amount-negative"
    ),
    pytest.param(
        Case(["footprint", PRODUCT, "--iterations", "1", "--json"], ["iterations"], codes=OPT),
        id="iterations-1",
    ),
    pytest.param(
        Case(["report", "battery", PRODUCT, "--lang", "", "--out", "{w}/o"], ["lang"], codes=OPT),
        id="lang-empty",
    ),
    pytest.param(
        Case(
            ["demo", "--iterations", "0", "--lang", "de", "--out", "{w}/o"],
            ["lang", "de"],
            codes=OPT,
        ),
        id="demo-lang-de",
    ),
    pytest.param(
        Case(
            ["demo", "--iterations", "0", "--method", "ef31", "--out", "{w}/o"],
            ["ef31"],
            success_ok=True,
        ),
        id="demo-method-ef31",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "root", "second-root"],
            files={
                "bom.csv": text(CELL_BOM) + "second-root,,,piece,another product,,"
                "CN,production,,,\n"
            },
        ),
        id="bom-two-roots",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "quantity", ("factory-electricity", "row 6")],
            files={"bom.csv": replace(text(CELL_BOM), "37.5,kilowatt hour", "0,kilowatt hour")},
        ),
        id="bom-zero-quantity",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", "{w}/bom.csv"],
            ["bom.csv", "quantity", ("factory-electricity", "row 6")],
            files={"bom.csv": replace(text(CELL_BOM), "37.5,kilowatt hour", "-37.5,kilowatt hour")},
        ),
        id="bom-negative-quantity",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", PACK_BOM, "--pcf", "{w}/pcfs-a.csv", "--pcf", "{w}/pcfs-b.csv"],
            ["bms-example-a", "pcfs-b.csv"],
            files={
                "pcfs-a.csv": text(SUPPLIER_PCFS),
                "pcfs-b.csv": text(SUPPLIER_PCFS).replace("bms-example-a,70,", "bms-example-a,90,"),
            },
        ),
        id="conflicting-supplier-pcfs",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", PACK_BOM, "--pcf", "{w}/pcfs.csv"],
            ["pcfs.csv", "bms-example-a"],
            files={
                "pcfs.csv": text(SUPPLIER_PCFS)
                + text(SUPPLIER_PCFS).splitlines()[1].replace(",70,", ",90,")
                + "\n"
            },
        ),
        id="conflicting-pcfs-one-table",
    ),
    pytest.param(
        Case(
            ["bom", "rollup", PACK_BOM, "--pcf", "{w}/cathode.json"],
            ["cathode.json", "pcfIncludingBiogenicUptake"],
            files={
                "cathode.json": cathode_pcf(
                    pcfIncludingBiogenicUptake="20.0", biogenicCO2Uptake="-1.0"
                )
            },
        ),
        id="pact-biogenic-inconsistent",
    ),
    pytest.param(
        Case(
            ["report", "pact", PACK, "--previous", "{w}/other.json", "--out", "{w}/o"],
            ["other.json", "company"],
            files={"other.json": text(CATHODE_PCF)},
        ),
        id="previous-other-company",
    ),
    pytest.param(
        Case(
            ["reduce", "--levers", LEVERS, "--baseline", "{w}/baseline.csv", "--target", "30%"],
            ["baseline.csv", "volume"],
            files={"baseline.csv": "product,footprint,volume\nbattery-pack,5594.78,0\n"},
        ),
        id="baseline-zero-volume",
    ),
    pytest.param(
        Case(
            ["import", "{w}/textile.csv", "--name", "my-name"],
            ["--name"],
            files={"textile.csv": textile_as("bad-named")},
            warn_ok=True,
        ),
        id="import-name-ignored",
    ),
    pytest.param(
        Case(
            ["import", "{w}/unlinked.csv", "--drop-unlinked"],
            ["unlinked.csv", "--drop-unlinked", "Brightway CSV"],  # the option is refused
            files={
                "unlinked.csv": widget_db(
                    "bad-drop", GRID, ("Carbon dioxide, imaginary",) + CO2[1:]
                )
            },
            warn_ok=True,
        ),
        id="import-drop-unlinked-ignored",
    ),
    # --- damaging, in one command ------------------------------------------------------------
    pytest.param(
        Case(
            ["import", "{w}/foreign.csv"],
            ["foreign.csv", "pcf-background"],
            files={"foreign.csv": widget_db("pcf-background")},
        ),
        id="foreign-file-replaces-shipped-db",
    ),
    pytest.param(
        Case(
            ["import", "{w}/good.csv", "{w}/unlinked.csv"],
            ["unlinked.csv"],
            files={
                "good.csv": widget_db("bad-good-half"),
                "unlinked.csv": widget_db(
                    "bad-unlinked-half", ("Carbon dioxide, imaginary",) + CO2[1:]
                ),
            },
        ),
        id="multi-file-import-half-written",
    ),
]

# Today's behaviour of each case that fails (the reasons for the strict xfail marks).
XFAIL: dict[str, str] = {}  # every case passes (issue 9); a new failing case goes here


def _mark(params):
    out = []
    for p in params:
        (case,), pid = p.values, p.id
        if pid in XFAIL:
            out.append(xf(case, XFAIL[pid], pid))
        else:
            out.append(p)
    return out


@pytest.mark.parametrize("case", _mark(CASES))
def test_bad_input_gives_a_located_error(case: Case, data_dir: Path, work: Path):
    for name, content in case.files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    if case.setup:
        case.setup(work)
    args = [str(a).format(w=work, bw=data_dir) for a in case.args]
    bw_before, work_before = snapshot(data_dir), snapshot(work)
    p = run_pcf(args, data_dir=data_dir, cwd=work)
    if os.environ.get("PCF_BAD_INPUTS_LOG"):  # what each case does, for whoever fixes it
        with open(os.environ["PCF_BAD_INPUTS_LOG"], "a", encoding="utf-8") as fh:
            fh.write(
                f"=== {args} exit {p.returncode}\n{p.stderr.strip()[-1500:]}\n"
                f"data dir: {changes(bw_before, snapshot(data_dir))[:5]}\n"
                f"work: {changes(work_before, snapshot(work))[:5]}\n"
            )
    assert_clean(p)
    if p.returncode == 0 and case.success_ok:
        return
    if p.returncode == 0 and case.warn_ok:
        assert_names(p.stderr, case.expect, error=False)
        return
    assert p.returncode in case.codes, (
        f"exit {p.returncode}, expected {case.codes}\nstdout: {p.stdout[-1500:]}\n"
        f"stderr: {p.stderr[-1500:]}"
    )
    assert_names(p.stderr, case.expect, error=p.returncode == 1)
    assert not changes(bw_before, snapshot(data_dir)), "the data dir changed"
    assert not changes(work_before, snapshot(work)), (
        f"the working folder changed: {changes(work_before, snapshot(work))[:10]}"
    )
    if RO_OUT.startswith("/sys"):
        assert not Path(RO_OUT).exists()


# ---------------------------------------------------------------------------------------------
# damaging cases in more than one command
def test_reimport_of_shipped_background_keeps_products_working(data_dir, work):
    """`pcf import` of the shipped, unchanged background, then a product that depends on it."""
    p = run_pcf(["import", INV / "background" / "pcf-background.csv"], data_dir, work)
    assert_clean(p)
    assert p.returncode in (0, 1), p.stderr
    q = run_pcf(["footprint", PRODUCT, "--json"], data_dir, work)
    assert_clean(q)
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["total"] == pytest.approx(
        0.6226019417475729 * LFP_G_PER_KG / 142.9 + 37.5 * (0.5777 + 0.0327),
        rel=1e-6,
    )


def _singular_db() -> str:
    def needs(other):
        return (other, other, 1, "kilogram", "GLO", "bad-singular", "", "technosphere")

    return bw_csv(
        "bad-singular",
        [
            {
                "name": "chicken",
                "code": "chicken",
                "unit": "kilogram",
                "exchanges": [CO2, needs("egg")],
            },
            {
                "name": "egg",
                "code": "egg",
                "unit": "kilogram",
                "exchanges": [CO2, needs("chicken")],
            },
        ],
    )


def test_singular_technosphere_names_its_activities(data_dir, work):
    """Each of two activities makes one unit and needs one unit of the other: A is singular.
    Refused at import, or at the footprint, naming both activities."""
    (work / "singular.csv").write_text(_singular_db())
    before = snapshot(data_dir)
    p = run_pcf(["import", work / "singular.csv"], data_dir, work)
    assert_clean(p)
    if p.returncode != 0:
        assert p.returncode == 1
        assert_names(p.stderr, ["singular.csv", "chicken", "egg"], error=True)
        assert not changes(before, snapshot(data_dir))
        return
    before = snapshot(data_dir)
    q = run_pcf(["footprint", "bad-singular|chicken"], data_dir, work)
    assert_clean(q)
    assert q.returncode == 1, q.stdout + q.stderr
    assert_names(q.stderr, ["singular", "chicken", "egg"], error=True)
    assert not changes(before, snapshot(data_dir))
