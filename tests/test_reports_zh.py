"""Chinese documents through the command line (``pcf report ... --lang zh``), and what every
output file may not contain.

- Every zh PDF is in Chinese: after identifiers are taken out (dataset keys ``db|code``, URLs,
  file names, commit hashes, document ids), the Latin-script words outside :data:`ALLOWED`
  (proper names, units, chemical formulas, standard and method ids) are at most 2 % of the
  tokens. Tokens: the words of ``jieba`` (the standard Chinese word segmenter) for Chinese text,
  Latin words and numbers as they stand.
- zh HTML is self-contained: its CJK font is embedded as a base64 WOFF2 subset covering every
  character of the page, no ``file://`` and no CDN.
- No output file of ``pcf report`` or ``pcf demo`` names a local path (the data directory, the
  home directory, the repository, the output folder).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

KEY = ("pcf-products-lfp-pack", "lfp-pack-per-kwh")  # the demo's flagship: the LFP pack
STEM = "lfp-pack-per-kwh"
BATTERY = "battery-declaration-lfp-pack-eu-per-kwh"  # from its Annex II system
ROOT = Path(__file__).resolve().parent.parent
MAX_LATIN = 0.02

#: Latin-script words a Chinese document keeps as they are. Units and formulas; standard,
#: regulation and method ids; proper names of publishers, datasets, software and places.
ALLOWED = {
    # units, chemical formulas, gases
    *[
        "kg",
        "g",
        "t",
        "kWh",
        "MWh",
        "GWh",
        "Wh",
        "MJ",
        "km",
        "CO2",
        "CO2e",
        "Eq",
        "CH4",
        "N2O",
        "SF6",
        "NF3",
        "HFC",
        "HFCs",
        "PFC",
        "PFCs",
        "C",
    ],
    # standards, regulations, methods, indicators
    *[
        "ISO",
        "GB",
        "T",
        "EU",
        "PEF",
        "PACT",
        "GHG",
        "GHGP",
        "IPCC",
        "AR5",
        "AR6",
        "GWP",
        "GWP100",
        "GWP20",
        "GTP",
        "GTP100",
        "DQR",
        "TeR",
        "GeR",
        "TiR",
        "P",
    ],
    *[
        "dLUC",
        "LUC",
        "CFB",
        "EV",
        "IND",
        "JRC",
        "CPC",
        "UN",
        "SBTi",
        "PCF",
        "CFP",
        "LCA",
        "BOM",
        "MACC",
    ],
    # products and chemistries
    *["LFP", "NMC", "NMC811", "NMC900", "BEV", "Li-ion"],
    # proper names: publishers, datasets, software, countries and regions
    *[
        "GREET",
        "BatPaC",
        "Baars",
        "Kurland",
        "Degen",
        "Notteboom",
        "Pallis",
        "Rodrigue",
        "DESNZ",
        "EQ",
        "ecoinvent",
        "bw2io",
        "R",
        "D",
        "Argonne",
        "National",
        "Laboratory",
        "Busch",
        "MEE",
        "NBS",
        "NEA",
        "CPCD",
        "pcf-engine",
        "pcf",
        "engine",
    ],
    *[
        "Brightway",
        "plotly",
        "CN",
        "US",
        "GLO",
        "RER",
        "EU",
        "CAR",
        "Sichuan",
        "Jiangsu",
        "Noto",
        "Sans",
        "SC",
    ],
    # certificate and offset schemes (proper names)
    *["CCER", "GEC", "VER", "I-REC", "REC", "GO"],
}

_ID = re.compile(
    r"https?://\S+"  # URLs
    r"|\b[\w.-]+\|[\w.-]+"  # dataset keys db|code
    r"|@[0-9a-f]{7,40}\b"  # commit hashes
    r"|\b[\w./-]+\.(?:csv|md|xlsx|json|yaml|pdf|txt|html)\b"  # file names
    r"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|net|org|gov|cn)\b"  # web domains
    r"|\b[\w-]+/[\w./-]+"  # repository paths owner/name
    r"|\b[A-Z]+(?:-[A-Z0-9]+)+\b"  # document ids such as DEMO-ISO14067-0001
    r"|\b\w+(?:_\w+)+\b"  # code identifiers (column and variable names)
    r"|\burn:[\w:.-]+"  # URNs
    r"|\b[a-z0-9]+(?:-[a-z0-9]+)+\b"  # codes such as lfp-cell-ev, demo-lfp-cell-plant
    r"|\b[a-z_]+\.[a-z_]+\b"  # module names such as factory.levers
)
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")


def latin_share(text: str) -> tuple[float, list[str], int]:
    """``(share, offending words, tokens)`` of a Chinese text (see the module doc).

    >>> latin_share("碳足迹合计 64.68 kg CO2e，来源 pcf-background|electricity-cn-2023。")[:2]
    (0.0, [])
    >>> latin_share("碳足迹 the total")[1]
    ['the', 'total']
    """
    import logging

    import jieba

    jieba.setLogLevel(logging.ERROR)
    ids = len(_ID.findall(text))
    text = _ID.sub(" ", text)
    tokens = [w for w in jieba.lcut(text) if re.search(r"\w", w)]
    # a single letter is no word (rotated axis titles come out of a PDF letter by letter)
    bad = [w for w in tokens if _LATIN.fullmatch(w) and len(w) > 1 and w not in ALLOWED]
    n = len(tokens) + ids
    return (len(bad) / n if n else 0.0), bad, n


def pdf_text(path) -> str:
    """All text of a PDF, the charts' labels included (pdfminer.six with ``all_texts``: the
    SVG charts' text sits inside figures, which pypdf does not read)."""
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    return extract_text(str(path), laparams=LAParams(all_texts=True))


@pytest.fixture(scope="module")
def engine(project):
    from lca.footprint import FootprintEngine
    from lca.imports import shipped_inventories
    from lca.workflows import ensure_inventories

    ensure_inventories(project, shipped_inventories())  # the pack needs the cell chain
    return FootprintEngine(project)


def cli(*args):
    from typer.testing import CliRunner

    from pcf.app import app as root

    r = CliRunner().invoke(root, [str(a) for a in args])
    assert r.exit_code == 0, (r.output, r.exception)
    return r


@pytest.fixture(scope="module")
def zh_out(engine, tmp_path_factory):
    """Every report of the demo product in Chinese, as a user writes them (rendered once)."""
    out = tmp_path_factory.mktemp("zh")
    product = "|".join(KEY)
    for kind, extra in (
        ("pact", []),
        ("battery", []),
        ("iso14067", ["--iterations", "50"]),
        ("suppliers", []),
    ):
        cli("report", kind, product, "--out", out, "--lang", "zh", *extra)
    return out


def test_latin_share_counts_words_not_ids():
    # tokens: 原材料 获取 electricity China national grid 2024 年 (8); the key is 1 more token
    share, bad, n = latin_share("原材料获取 electricity, China national grid 2024 年")
    assert bad == ["electricity", "China", "national", "grid"] and n == 8
    assert share == pytest.approx(4 / 8)
    assert latin_share("数据集 pcf-background|electricity-cn-2023")[1] == []


def test_source_translations_match_the_shipped_notes(engine):
    """Each translated source note (``src.<key>`` in reports/i18n.yaml) translates the note the
    shipped inventory holds today: a changed English note fails here, instead of a zh report
    quietly showing the English."""
    import hashlib

    from reports.iso14067 import exchange_note
    from reports.render import translations

    bd = engine.project.bd
    for key, entry in translations().items():
        if not key.startswith("src."):
            continue
        if ">" in key:  # src.<activity>><input>: the note of that input exchange (ISO report)
            act, inp = (tuple(k.split("|", 1)) for k in key[4:].split(">", 1))
            node = bd.get_node(database=act[0], code=act[1])
            (exc,) = [e for e in node.technosphere() if e.input.key == inp]
            note = exchange_note(exc.get("comment"))
        else:
            db, code = key[4:].split("|", 1)
            note = bd.get_node(database=db, code=code).get("comment") or ""
        assert entry["en_sha256"] == hashlib.sha256(note.encode()).hexdigest()[:12], key


def test_every_report_takes_lang_zh(zh_out):
    names = {p.name for p in zh_out.iterdir()}
    assert {
        f"pact-v3-{STEM}.json",
        f"{BATTERY}.zh.pdf",
        f"{BATTERY}.zh.json",
        f"{BATTERY}.zh.html",
        f"iso14067-{STEM}.zh.pdf",
        f"iso14067-{STEM}.zh.html",
        f"suppliers-{STEM}.xlsx",
        f"suppliers-{STEM}.csv",
    } <= names
    # PACT is language-neutral: one footprint, one document and one id in any language
    zh = json.loads((zh_out / f"pact-v3-{STEM}.json").read_text(encoding="utf-8"))
    cli("report", "pact", "|".join(KEY), "--out", zh_out / "en", "--lang", "en")
    en = json.loads((zh_out / "en" / f"pact-v3-{STEM}.json").read_text("utf-8"))
    assert zh["id"] == en["id"] and zh["productNameCompany"] == en["productNameCompany"]
    # the battery declaration's company data comes from the meta file's Chinese translation
    # its JSON keeps a name of its own beside the English one (zh free text)
    decl = json.loads((zh_out / f"{BATTERY}.zh.json").read_text(encoding="utf-8"))
    assert "示例电池有限公司（演示用，虚构）" in json.dumps(decl, ensure_ascii=False)


@pytest.mark.parametrize("stem", ["battery-declaration", "iso14067"])
def test_zh_pdf_is_chinese(zh_out, stem):
    name = BATTERY if stem == "battery-declaration" else f"{stem}-{STEM}"
    text = pdf_text(zh_out / f"{name}.zh.pdf")
    share, bad, n = latin_share(text)
    assert n > 200, "the PDF has no text to speak of"
    assert share <= MAX_LATIN, f"{share:.1%} Latin words of {n} tokens: {sorted(set(bad))}"


@pytest.mark.parametrize("stem", ["battery-declaration", "iso14067"])
def test_zh_html_embeds_its_font(zh_out, stem):
    from fontTools.ttLib import TTFont

    name = BATTERY if stem == "battery-declaration" else f"{stem}-{STEM}"
    html = (zh_out / f"{name}.zh.html").read_text(encoding="utf-8")
    page = re.sub(r"<script.*?</script>", "", html, flags=re.DOTALL)  # plotly.js quotes file://
    assert "file://" not in page and not re.search(r"<script[^>]+src=|<link", html)
    assert not re.search(r"url\(\s*[\"']?(https?:|file:|/)", page)  # fonts and images inline
    m = re.search(r'src: url\("data:font/woff2;base64,([A-Za-z0-9+/=]+)"\)', html)
    assert m, "no embedded font"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    cmap = font.getBestCmap()
    body = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]*>", "", html, flags=re.DOTALL)
    cjk = {c for c in body if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"}
    assert len(cjk) > 100
    missing = sorted(c for c in cjk if ord(c) not in cmap)
    assert not missing, f"characters the embedded subset cannot show: {''.join(missing)}"
    assert len(m.group(1)) < 2_000_000  # a subset, not the 8 MB font


def _texts(path: Path):
    """Every text a file holds: the bytes; an xlsx's members; a PDF's page text and metadata."""
    data = path.read_bytes()
    yield data.decode("utf-8", "replace")
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield z.read(name).decode("utf-8", "replace")
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        yield pdf_text(path)
        yield json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()})
        for page in reader.pages:  # decompressed content streams
            yield page.get_contents().get_data().decode("latin-1") if page.get_contents() else ""


def _no_local_path(folder: Path, local: list[str]) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    leaks = []
    for p in files:
        for text in _texts(p):
            for loc in local:
                if loc in text or loc.replace(os.sep, "\\/") in text:
                    leaks.append(f"{p.relative_to(folder)}: {loc}")
    assert not leaks, sorted(set(leaks))


def _local_paths(*more) -> list[str]:
    paths = [str(ROOT), str(Path.home()), os.environ["PCF_DATA_DIR"], *map(str, more)]
    return sorted({p for p in paths if len(p) > 4})


def test_no_local_path_in_report_outputs(zh_out):
    _no_local_path(zh_out, _local_paths(zh_out))


@pytest.fixture(scope="module")
def demo_zh(engine, tmp_path_factory):
    """``pcf demo --lang zh`` (few draws: the draws are not what is tested), run once."""
    out = tmp_path_factory.mktemp("demo") / "out"
    cli("demo", "--out", out, "--iterations", "20", "--lang", "zh")
    return out


def test_every_zh_pdf_of_the_demo_is_chinese(demo_zh):
    pdfs = sorted(demo_zh.rglob("*.zh.pdf"))
    assert {p.name.split("-")[0] for p in pdfs} >= {"battery", "iso14067", "plant"}
    for p in pdfs:
        share, bad, n = latin_share(pdf_text(p))
        assert share <= MAX_LATIN, f"{p.name}: {share:.1%} of {n} tokens: {sorted(set(bad))}"


def test_no_local_path_in_demo_outputs(demo_zh):
    _no_local_path(demo_zh, _local_paths(demo_zh))
