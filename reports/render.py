"""HTML and PDF rendering: one set of jinja2 templates, one translation table, weasyprint.

- Templates live in ``reports/templates``; every visible word goes through ``t("key")``, looked
  up in ``reports/i18n.yaml`` (``key: {en: ..., zh: ...}``). A missing key or language is an
  error, not a silent fallback.
- ``medium="html"`` renders interactive plotly charts (plotly.js inlined from the plotly
  package: no CDN, no network); ``medium="pdf"`` renders static matplotlib PNGs.
- Chinese (``lang="zh"``) needs a CJK font. :func:`cjk_font` looks for one, in order: the
  ``PCF_CJK_FONT`` environment variable; the PyPI package ``pylopdf-fonts-zh-cn`` (Noto Sans SC,
  SIL OFL); the PyPI package ``mplfonts`` (Noto Sans CJK SC); a system font fontconfig lists
  for ``:lang=zh-cn``. Without one the PDF is still written, but Chinese glyphs show as boxes
  (logged as a warning).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import logging
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from lca.footprint import STAGES
from lca.project import CACHE_KEEP, ENV_CACHE_DIR, cache_dir, cached
from lca.project import cache_key as _key

from .errors import InvalidDeclaration, ReportError

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
LANGS = ("en", "zh")
LANG_TAGS = {"en": "en", "zh": "zh-CN"}


def normalize_lang(lang: str | None) -> str:
    """``"zh-CN"``, ``"zh_cn"``, ``"zh"`` -> ``"zh"``; ``"en-GB"`` -> ``"en"``; None -> ``"en"``.

    >>> normalize_lang("zh-CN"), normalize_lang(None)
    ('zh', 'en')
    >>> normalize_lang("de")
    Traceback (most recent call last):
    ...
    reports.errors.InvalidDeclaration: lang: 'de' is not a report language; use en or zh

    Raises
    ------
    InvalidDeclaration
        Naming the option ``lang``: an empty or unsupported language (checked before anything
        is written).
    """
    if lang is None:
        return "en"
    code = lang.strip().lower().replace("_", "-").split("-")[0] if isinstance(lang, str) else ""
    if code not in LANGS:
        raise InvalidDeclaration(
            "lang", lang, f"is not a report language; use {' or '.join(LANGS)}"
        )
    return code


@functools.cache
def translations() -> dict[str, dict[str, str]]:
    """The translation table (``reports/i18n.yaml``); parsed by libyaml when PyYAML has it (the
    same result, ~10 times faster than the pure-Python loader)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((HERE / "i18n.yaml").read_text(encoding="utf-8"), Loader=loader)


def translate(key: str, lang: str, **kw) -> str:
    """The text for ``key`` in ``lang``, ``str.format``-ed with ``kw``."""
    try:
        text = translations()[key][lang]
    except KeyError:
        raise ReportError(f"reports/i18n.yaml: no {lang!r} text for key {key!r}") from None
    return text.format(**kw) if kw else text


def dataset_name(key, name: str, lang: str) -> str:
    """The display name of dataset ``key`` (``db|code`` or a tuple) in ``lang``: the
    ``ds.<db>|<code>`` entry of the translation table, else its (English) ``name``."""
    if lang == "en":
        return name
    k = "|".join(key) if isinstance(key, (tuple, list)) else str(key)
    return translations().get(f"ds.{k}", {}).get(lang) or name


def dataset_source(key, comment: str, lang: str) -> str:
    """The source note (the activity's ``comment``) of dataset ``key`` in ``lang``.

    A translation (``src.<db>|<code>`` in the table) states the SHA-256 (first 12 hex digits)
    of the English note it translates; when the note has changed since, the translation is
    stale and the English note is shown instead (logged), never an outdated text."""
    if lang == "en" or not comment:
        return comment
    k = "|".join(key) if isinstance(key, (tuple, list)) else str(key)
    entry = translations().get(f"src.{k}")
    if not entry or lang not in entry:
        return comment
    if entry.get("en_sha256") != hashlib.sha256(comment.encode("utf-8")).hexdigest()[:12]:
        log.warning("i18n.yaml src.%s translates an older source note: showing the English", k)
        return comment
    return entry[lang]


def unit_name(unit: str, lang: str) -> str:
    """A Brightway unit name in ``lang`` (``unit.<name>`` in the table), else as given."""
    return translations().get(f"unit.{unit}", {}).get(lang) or unit


def method_name(method, lang: str) -> str:
    """A method tuple for people: its parts joined by `` | ``, each part's words from the
    table's ``term.<words>`` entries in ``lang`` (proper names such as "IPCC 2021" stay)."""
    parts = [str(p) for p in method] if isinstance(method, (tuple, list)) else [str(method)]
    if lang != "en":
        table = translations()
        parts = [table.get(f"term.{p}", {}).get(lang, p) for p in parts]
        out = []
        for p in parts:
            for term, tr in table.items():
                if term.startswith("term.") and term[5:] in p and lang in tr:
                    p = p.replace(term[5:], tr[lang])
            out.append(p)
        parts = out
    return " | ".join(parts)


def num(x, sig: int = 4) -> str:
    """A number for people: ``sig`` significant digits, thousands separators, no exponent.

    >>> num(72.299501568079), num(0.0301248), num(41790.0), num(0), num(None)
    ('72.30', '0.03012', '41,790', '0', '–')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def pct(x, digits: int = 1) -> str:
    """A share as a percentage: ``pct(0.578) == '57.8 %'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f} %"


# -- fonts -------------------------------------------------------------------------------------
@functools.cache
def cjk_font() -> Path | None:
    """A font file with Simplified Chinese glyphs, or None (see module doc for the order)."""
    env = os.environ.get("PCF_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env)
    if importlib.util.find_spec("pylopdf_fonts_zh_cn"):
        import pylopdf_fonts_zh_cn

        p = Path(pylopdf_fonts_zh_cn.sans_path())
        if p.is_file():
            return p
    spec = importlib.util.find_spec("mplfonts")
    if spec and spec.submodule_search_locations:
        p = (
            Path(next(iter(spec.submodule_search_locations)))
            / "fonts"
            / "NotoSansCJKsc-Regular.otf"
        )
        if p.is_file():
            return p
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", ":lang=zh-cn", "file"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
        if files:
            return Path(files[0])
    return None


def font_css(lang: str, cjk_text: bool = False, embed_text: str | None = None) -> str:
    """``@font-face`` rules and the font stack for ``lang`` (CJK too if ``cjk_text``).

    ``embed_text``: the document's text, for a document that leaves this machine as HTML: the
    CJK font is embedded as a base64 WOFF2 subset of exactly the characters in it
    (:func:`font_subset_b64`), so the page shows its Chinese on any machine, with no local path
    and no network. Without it (the PDF renderer on this machine, which embeds its own subset)
    the font is referenced by its file.
    """
    stack = '"DejaVu Sans", "Helvetica", "Arial", sans-serif'
    if lang != "zh" and not cjk_text:
        return f"body {{ font-family: {stack}; }}"
    font = cjk_font()
    cjk = (
        '"PCF CJK", "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", '
        '"WenQuanYi Micro Hei", '
    )
    face = ""
    if font and embed_text is not None:
        data = font_subset_b64(str(font), "".join(sorted(set(embed_text))))
        face = (
            '@font-face { font-family: "PCF CJK"; '
            f'src: url("data:font/woff2;base64,{data}") format("woff2"); }}\n'
        )
    elif font:
        face = f'@font-face {{ font-family: "PCF CJK"; src: url("{font.as_uri()}"); }}\n'
    else:
        log.warning(
            "no CJK font found (install the PyPI package pylopdf-fonts-zh-cn or set "
            "PCF_CJK_FONT): Chinese text in the PDF will not display"
        )
    if lang != "zh":  # Latin text keeps its (bold-capable) font; CJK characters fall back
        return face + f"body {{ font-family: {stack.replace('sans-serif', cjk + 'sans-serif')}; }}"
    return face + f"body {{ font-family: {cjk}{stack}; }}"


@functools.lru_cache(maxsize=8)
def font_subset_b64(font_path: str, chars: str) -> str:
    """The font at ``font_path`` cut down to ``chars`` (plus ASCII), as base64 WOFF2.

    fontTools' subsetter (the standard tool; weasyprint uses it for the PDF too): a Noto Sans
    SC subset for a report's few hundred distinct characters is tens of kB instead of 8 MB.
    The subset is a pure function of the font file, the characters and fontTools' version, so
    it is kept in the ``fonts`` cache (:func:`cached`) under their SHA-256: an unchanged report
    does not import fontTools (~0.7 s) or subset again.
    """
    from importlib.metadata import version

    st = os.stat(font_path)
    key = _key(
        "woff2-subset",
        _own_source(),  # the subsetting options (this module) are part of what the bytes are
        version("fonttools"),
        os.path.realpath(font_path),
        str(st.st_size),
        str(st.st_mtime_ns),
        chars,
    )
    return cached("fonts", key, ".b64", lambda: _font_subset(font_path, chars)).decode("ascii")


@functools.cache
def _own_source() -> str:
    """SHA-256 of this module's source."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _font_subset(font_path: str, chars: str) -> bytes:
    import base64

    from fontTools import subset

    opts = subset.Options()
    opts.flavor = "woff2"
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    buf = io.BytesIO()
    with open(font_path, "rb") as fh:  # TTFont reads lazily: subset before the file closes
        font = subset.load_font(fh, opts)
        try:
            sub = subset.Subsetter(opts)
            sub.populate(text=chars + "".join(chr(c) for c in range(32, 127)))
            sub.subset(font)
            subset.save_font(font, buf, opts)
        finally:
            font.close()
    return base64.b64encode(buf.getvalue())


# -- rendering ---------------------------------------------------------------------------------
@functools.cache
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_template_cache(),
    )
    env.filters["num"] = num
    env.filters["pct"] = pct
    env.filters["qty"] = lambda x: f"{float(x):g}"
    return env


def _template_cache():
    """jinja2's own cache of compiled templates (one file per template, written atomically and
    checked against the template's source and the Python version when read), in the ``jinja``
    cache folder (:func:`lca.project.cache_dir`): a warm report does not compile its
    templates again (~0.1 s). None (no cache) when the folder cannot be made."""
    import jinja2

    folder = cache_dir("jinja")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        log.debug("no template cache in %s", folder, exc_info=True)
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(template: str, context: dict, lang: str = "en", medium: str = "html") -> str:
    """Render ``template`` with ``context`` plus ``t`` (translate), ``lang``, ``medium``, CSS."""
    lang = normalize_lang(lang)

    def t(key: str, **kw) -> str:
        return translate(key, lang, **kw)

    def stage(key: str) -> str:
        k = f"stage.{key}"
        return translate(k, lang) if k in translations() else STAGES.get(key, key)

    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    helpers = {
        "ds_name": lambda key, name: dataset_name(key, name, lang),
        "ds_source": lambda key, comment: dataset_source(key, comment, lang),
        "unit_name": lambda u: unit_name(u, lang),
        "method_name": lambda m: method_name(m, lang),
    }
    html = (
        _env()
        .get_template(template)
        .render(
            **context,
            t=t,
            stage=stage,
            lang=lang,
            lang_tag=LANG_TAGS[lang],
            medium=medium,
            css=css,
            font_css=_FONT_SLOT,
            **helpers,
        )
    )
    # the document's text for its reader: no internal references (source notes are the
    # inventory's comments), and Chinese without the spaces of folded source lines
    js = context.get("plotly_js") or ""
    parts = html.split(js) if js else [html]
    codes = set(context.get("internal_codes") or ()) | _table_codes()
    parts = [public_text(p, lang, codes) for p in parts]
    if lang == "zh":
        parts = [cjk_spacing(p) for p in parts]
    html = js.join(parts) if js else parts[0]
    # Source notes may quote Chinese titles in an English report: add the CJK font then too.
    body = html.replace(context.get("plotly_js") or "\0", "")
    embed = _TAGS.sub("", body) if medium == "html" else None
    return html.replace(_FONT_SLOT, font_css(lang, bool(_CJK.search(body)), embed), 1)


# -- text for the reader ----------------------------------------------------------------------
#: a section id of the engine's notes: "1c", "1a/1b", "A3/A4", "C", "G1", "C1-C7", "B-IPCC"
_SEC = r"(?:[A-Z]?\d+[a-z]?|[A-Z](?:-[A-Z]+)?)(?:[-/][A-Z]?\d+[a-z]?)?(?![\w-])"
_SECS = rf"{_SEC}(?:(?:\s*,\s*|\s+and\s+){_SEC})*"
_Q = r"(?:'|&#39;|&#x27;)"
#: internal references of the source notes: the developers' fact sheets (FACTS-*.md and their
#: section), research notes (file and section, also in Chinese: 研究笔记 L1 节), files of the
#: engine's inventories/ folder and Brightway keys (database|code)
_REF = (
    rf"FACTS-[A-Za-z]+\.md(?:\s+{_SECS})?(?:\s+{_Q}[^'&<]{{1,30}}{_Q})?"
    rf"|(?<![\w/])(?:inventories/)?research[- ]notes(?:\.md)?(?:\s+{_SECS})?"
    r"|(?<![\w/])inventories/[\w./-]*[\w/]"
    rf"|研究笔记\s*{_SECS}\s*节?"
)
_REF_RE = re.compile(_REF)
_KEY_RE = re.compile(r"\bpcf-[a-z0-9-]+\|[a-z0-9][a-z0-9-]*")
_PAREN = re.compile(r"\s*([(（])([^()（）<>]*)([)）])")
_SEP = re.compile(r"(\s*[;,；，、]\s*|\s*及\s*|\s+and\s+)")
_HELD = re.compile(
    r"(?:(?:see|cf\.|(?:as )?transcribed in)\s+|见|详见|参见)?\0\d+\0", re.IGNORECASE
)
_HELD_COLON = re.compile(r"\0\d+\0\s*:\s*")
#: outside parentheses: ", FACTS-energy.md 1c" / "; transcribed in ..." / "; research notes M1"
_TAIL = re.compile(rf"\s*[,;]\s*(?:(?:as\s+)?transcribed in\s+|see\s+)?(?:{_REF})(?=[\s.;)<]|$)")
#: a sentence that is only a reference: " inventories/research-notes.md L1."
_SENTENCE = re.compile(rf"(?<=[.。])\s*(?:see\s+)?(?:{_REF})\s*[.。]")


def _table_codes() -> set[str]:
    """Dataset codes the translation table names (``ds.<db>|<code>``)."""
    return {k.split("|", 1)[1] for k in translations() if k.startswith("ds.") and "|" in k}


def public_text(text: str, lang: str = "en", codes=()) -> str:
    """``text`` without the engine's internal references, for a document that leaves it.

    Source notes are the inventory's comments, written for the developers: they cite fact
    sheets (``FACTS-energy.md 1c``), research notes (``inventories/research-notes.md L1``,
    ``研究笔记 L1 节``), files of the ``inventories/`` folder and dataset codes
    (``nmc811-pack-cell-materials``, ``database|code``). A reader can follow none of them; the
    public bibliographic citation beside them stays. The rules:

    - in parentheses, each item (parts split by ``;`` ``,`` ``、`` ``及`` ``and``) that is such a
      reference (with a leading "see" or a trailing ":"), or a listed code or key, is dropped;
      parentheses left empty are dropped with the space before them;
    - outside parentheses, a reference after ``,`` or ``;`` is dropped with its separator, and a
      sentence that is only a reference is dropped;
    - any reference still in running text is replaced by a phrase
      (``text.inventory_file`` for a file, ``text.internal_notes`` for notes).

    ``codes``: dataset codes to drop from parenthesised lists (those with a hyphen only).

    >>> public_text("medium-high (copy; CPCD agrees), FACTS-energy.md 1c. GWP set")
    'medium-high (copy; CPCD agrees). GWP set'
    >>> public_text("mass (inventories/research-notes.md G1; medium) and (see inventories/README.md).")
    'mass (medium) and.'
    >>> public_text("cell materials (nmc811-pack-cell-materials, 0.574088)", codes={"nmc811-pack-cell-materials"})
    'cell materials (0.574088)'
    """
    if not any(m in text for m in ("FACTS-", "research", "inventories/", "研究笔记", "|", "-")):
        return text
    codes = {c for c in codes if "-" in c}

    def paren(m: re.Match) -> str:
        inner = m.group(2)
        if not (_REF_RE.search(inner) or _KEY_RE.search(inner) or any(c in inner for c in codes)):
            return m.group(0)
        refs: list[str] = []

        def hold(r: re.Match) -> str:  # a reference is one item, whatever commas it holds
            refs.append(r.group(0))
            return f"\0{len(refs) - 1}\0"

        pieces = _SEP.split(_REF_RE.sub(hold, inner))  # item, sep, item, sep, ...
        kept: list[str] = []
        for i in range(0, len(pieces), 2):
            item = pieces[i]
            core = item.strip()
            lead = _HELD_COLON.match(core)
            if lead:  # "inventories/x.csv: 0.6 of it" -> "0.6 of it"
                item = core[lead.end() :]
            elif _HELD.fullmatch(core) or core in codes or _KEY_RE.fullmatch(core):
                continue
            if kept:
                kept.append(pieces[i - 1])
            kept.append(item)
        if not kept:
            return ""
        body = re.sub("\0(\\d+)\0", lambda h: refs[int(h.group(1))], "".join(kept).strip())
        space = m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
        return f"{space}{m.group(1)}{body}{m.group(3)}"

    out = _PAREN.sub(paren, text)
    out = _TAIL.sub("", out)
    out = _SENTENCE.sub("", out)
    if _REF_RE.search(out):

        def phrase(m: re.Match) -> str:
            file = "inventories/" in m.group(0) and "research" not in m.group(0)
            return translate("text.inventory_file" if file else "text.internal_notes", lang)

        out = _REF_RE.sub(phrase, out)
    return out


_CJK_CHAR = (
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u201c\u201d"
)
_CJK_GAP = re.compile(rf"(?<=[{_CJK_CHAR}])[ \t\r\n]+(?=[{_CJK_CHAR}])")


def cjk_spacing(text: str) -> str:
    """Chinese text without the ASCII spaces and line breaks between two CJK characters or
    CJK punctuation marks (left by folded YAML lines: "草案 （2024" -> "草案（2024"); spaces
    between Chinese and Latin letters or digits stay.

    >>> cjk_spacing("向公众传达的 碳足迹； 以 1 kWh 为单位")
    '向公众传达的碳足迹；以 1 kWh 为单位'
    """
    return _CJK_GAP.sub("", text)


_FONT_SLOT = "/*pcf-fonts*/"
_TAGS = re.compile(r"<[^>]*>")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


PDF_CACHE_KEEP = CACHE_KEEP["pdf"]  # the names earlier versions had
PDF_CACHE_ENV = ENV_CACHE_DIR


def pdf_cache_dir() -> Path:
    """Where rendered PDFs are kept (:func:`lca.project.cache_dir`: ``$PCF_CACHE_DIR/pdf``, else
    the ``pcf-cache/pdf`` folder of the open engine directory, else ``./.pcf/cache/pdf``)."""
    return cache_dir("pdf")


def html_to_pdf(html: str, lang: str = "en", cache: bool = True) -> bytes:
    """PDF bytes from self-contained HTML (images as data URIs).

    A PDF is a pure function of its HTML, the language and the renderer's version, so it is
    cached under the SHA-256 of the three (:func:`cached`, kind ``pdf``): an unchanged report
    is not rendered again, and weasyprint (~0.5 s to import, seconds to lay out and subset the
    embedded fonts) is not even imported.
    """
    from importlib.metadata import version

    # the version from the package metadata: importing weasyprint alone takes ~0.5 s
    key = _key("pdf", version("weasyprint"), lang, html)
    return cached("pdf", key, ".pdf", lambda: _render_pdf(html), use=cache)


def _render_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    # weasyprint and fontTools log every font subset at INFO/WARNING; keep them quiet.
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(max(logging.getLogger(name).level, logging.ERROR))
    log.info("rendering a PDF with weasyprint (%d kB of HTML)", len(html) // 1024)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(font_config=FontConfiguration())


def write_documents(
    folder: Path,
    template: str,
    contexts: dict[str, dict],
    stem: str,
    lang: str,
    *,
    plotly: bool = True,
) -> list[str]:
    """Render ``template`` once per medium and write ``<stem>.<lang>.<medium>`` into ``folder``.

    Parameters
    ----------
    folder
        The (staged, :func:`lca.files.staged`) output folder.
    template
        A template in ``reports/templates``.
    contexts
        ``{medium: context}`` for ``"html"`` and/or ``"pdf"``, written in this order; the
        contexts are not changed.
    stem, lang
        File name stem and report language.
    plotly
        Inline plotly.js into the HTML (``context["plotly_js"]``) for interactive charts.

    Returns
    -------
    list of str
        The file names written, in the order of ``contexts``.
    """
    written = []
    for medium, context in contexts.items():
        ctx = dict(context)
        if medium == "html" and plotly:
            ctx["plotly_js"] = plotly_js()
        html = render(template, ctx, lang=lang, medium=medium)
        name = f"{stem}.{lang}.{medium}"
        if medium == "pdf":
            (Path(folder) / name).write_bytes(html_to_pdf(html, lang))
        else:
            (Path(folder) / name).write_text(html, encoding="utf-8")
        written.append(name)
    return written


@functools.cache
def plotly_js() -> str:
    """plotly.js from the installed plotly package (inlined into the HTML; no CDN)."""
    # what plotly.offline.get_plotlyjs returns, without importing plotly.offline (and plotly.io)
    import pkgutil

    return pkgutil.get_data("plotly", "package_data/plotly.min.js").decode("utf-8")
