"""Footprints of a portfolio: many products from a file, one factorisation, one adjoint solve.

A portfolio file holds one product per row: a column ``product`` (``database|code``) and an
optional column ``amount`` (default 1; > 0). Rows may repeat a product. The scores are
(../shared/MATHS.md; :mod:`lca.maths`)::

    λ = C B A⁻¹          (one adjoint solve per row of C: lca.maths.lcia_intensities)
    H = λ F              (F: one column per row of the file; lca.maths.batch_scores)

with ``C`` the method's factors and the fossil / biogenic / land-use factor vectors
(:meth:`lca.footprint.FootprintEngine.part_vectors`), so every row gets the same ``total``,
``fossil``, ``biogenic`` and ``land_use`` a single :meth:`~lca.footprint.FootprintEngine.footprint`
gives (equal to rounding: ``λ f`` and ``c B A⁻¹ f`` associate differently).

With ``iterations``, Monte Carlo through :func:`lca.workflows.uncertainty_scores`: one sampled
``A``/``B`` per draw, every distinct product scored on it (the adjoint per draw serves them all),
optionally on a dask cluster (:mod:`lca.distributed`). The statistics of a row are its amount
times those of one unit of its product.

Keys are resolved in bulk (one query per database), not one bw2data lookup per row: 100,000
rows take well under a second to resolve.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import maths, methods
from .errors import InputFileError, OutputError, UnknownProduct
from .files import MAX_ABS, read_text, write_atomic

__all__ = [
    "OUTPUT_SUFFIXES",
    "Portfolio",
    "PortfolioFileError",
    "check_output",
    "portfolio_footprints",
    "read_portfolio",
    "write_table",
]

log = logging.getLogger(__name__)

#: Output formats, chosen by the suffix of the output file.
OUTPUT_SUFFIXES = (".csv", ".parquet")
PRODUCT_COLUMNS = ("product", "key")  # the first present is used
AMOUNT_COLUMN = "amount"


class PortfolioFileError(InputFileError):
    """A portfolio file with a missing column or a bad cell: names the file, the line (CSV; the
    header is line 1) or row (Parquet) and the field."""

    def __init__(self, path, why: str, line: int | None = None, field: str | None = None):
        self.field = field
        super().__init__(path, f"{field}: {why}" if field else why, line)


@dataclass(frozen=True)
class Portfolio:
    """A portfolio as read: ``databases[i]``, ``codes[i]``, ``amounts[i]`` of row ``i``, found
    on ``lines[i]`` of ``path``."""

    path: Path
    databases: np.ndarray
    codes: np.ndarray
    amounts: np.ndarray
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def keys(self) -> list[str]:
        return [f"{d}|{c}" for d, c in zip(self.databases, self.codes)]


def read_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio file (CSV in any encoding :func:`lca.files.read_text` reads, or Parquet).

    Blank CSV lines are skipped. Column names are matched case-insensitively.

    Raises
    ------
    PortfolioFileError
        No ``product`` column, an empty or malformed key (not ``database|code``), an amount
        that is not a finite number > 0 (at most :data:`lca.files.MAX_ABS`), or no rows; names
        the file, line and field.
    InputFileError
        The file cannot be read.
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(path).astype(str)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
            raise InputFileError(path, f"cannot be read as Parquet ({exc})") from None
        first_line = 1  # Parquet rows are numbered from 1 (and named "row", not "line")
    else:
        text = read_text(path)
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
            )
        except pd.errors.ParserError as exc:
            raise InputFileError(path, f"not a CSV table ({exc})") from None
        except pd.errors.EmptyDataError:
            raise PortfolioFileError(path, "the file is empty: no header, no rows") from None
        first_line = 2  # line 1 is the header; rows map to lines one to one (blank lines kept)
    cols = {str(c).strip().lower(): c for c in df.columns}
    pcol = next((cols[c] for c in PRODUCT_COLUMNS if c in cols), None)
    if pcol is None:
        raise PortfolioFileError(
            path,
            f"no column 'product' (database|code); the columns are {list(map(str, df.columns))}",
            1 if first_line == 2 else None,
            "header",
        )
    lines = np.arange(len(df)) + first_line

    def fail(i: int, field: str, why: str) -> PortfolioFileError:
        if first_line == 1:
            return PortfolioFileError(path, f"row {int(lines[i])}: {why}", None, field)
        return PortfolioFileError(path, why, int(lines[i]), field)

    keys = df[pcol].astype(str).str.strip()
    acol = cols.get(AMOUNT_COLUMN)
    raw_amounts = df[acol].astype(str).str.strip() if acol is not None else None
    blank = (keys == "") & ((raw_amounts == "") if raw_amounts is not None else True)
    blank &= df.astype(str).apply(lambda s: s.str.strip() == "").all(axis=1)
    if blank.any():
        keep = ~blank.to_numpy()
        keys, lines = keys[keep], lines[keep]
        raw_amounts = raw_amounts[keep] if raw_amounts is not None else None
    if len(keys) == 0:
        raise PortfolioFileError(path, "no rows: give one product (database|code) per row")
    parts = keys.str.split("|", n=1, expand=True)
    if parts.shape[1] < 2:
        parts[1] = None
    db, code = parts[0].to_numpy(dtype=object), parts[1].to_numpy(dtype=object)
    bad = np.flatnonzero((keys.to_numpy() == "") | pd.isna(code) | (db == "") | (code == ""))
    if len(bad):
        i = bad[0]
        shown = keys.iloc[i]
        why = "empty" if shown == "" else f"{shown!r} is not database|code"
        raise fail(i, str(pcol), why)
    if raw_amounts is None:
        amounts = np.ones(len(keys))
    else:
        amounts = pd.to_numeric(raw_amounts.replace("", "1"), errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~(np.isfinite(amounts) & (amounts > 0) & (amounts <= MAX_ABS)))
        if len(bad):
            i = bad[0]
            value = raw_amounts.iloc[i]
            from .files import parse_number

            try:
                parse_number(value, lo=0, lo_open=True)
                why = f"{value!r} must be a finite number > 0"
            except ValueError as exc:
                why = f"{value!r}: {exc}"
            raise fail(i, str(acol), why)
    return Portfolio(path, db.astype(str), code.astype(str), amounts, lines)


def check_output(out: str | Path) -> Path:
    """Refuse an output file whose suffix is not one of :data:`OUTPUT_SUFFIXES`, or whose folder
    cannot be written, before any work.

    Raises
    ------
    OutputError
        Naming ``out``.
    """
    from .files import check_output_dir

    out = Path(out)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise OutputError(out, f"give a file ending in {' or '.join(OUTPUT_SUFFIXES)}")
    if out.is_dir():
        raise OutputError(out, "is a folder, not a file")
    check_output_dir(out.parent if str(out.parent) else ".")
    return out


def write_table(df: pd.DataFrame, out: str | Path) -> Path:
    """Write ``df`` to ``out`` as CSV or Parquet (by suffix), atomically
    (:func:`lca.files.write_atomic`: a failed run leaves no half-written file)."""
    out = check_output(out)
    if out.suffix.lower() == ".parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        data: bytes | str = buf.getvalue()
    else:
        data = df.to_csv(index=False, lineterminator="\n", float_format="%.17g")
    return write_atomic(out, data)


def _resolve(engine, pf: Portfolio) -> tuple[np.ndarray, dict]:
    """Node ids of the rows (one query per database) and one representative node per database.

    Raises
    ------
    PortfolioFileError
        For the first row naming an unknown database or code, or an elementary flow.
    """
    from bw2data.backends import ActivityDataset as AD  # lazy: heavy, as everywhere in lca

    project = engine.project
    bd = project.bd
    known_types = {*bd.labels.lci_node_types, *bd.labels.other_node_types}
    ids = np.empty(len(pf), dtype=np.int64)
    reps = {}
    for db in map(str, pd.unique(pf.databases)):
        rows = np.flatnonzero(pf.databases == db)
        if db not in bd.databases:
            raise PortfolioFileError(
                pf.path, f"unknown product {pf.keys()[rows[0]]!r}: no database {db!r}",
                int(pf.lines[rows[0]]), "product",
            )  # fmt: skip
        found = {
            r.code: (r.id, r.type)
            for r in AD.select(AD.id, AD.code, AD.type).where(AD.database == db)
        }
        for i in rows:
            hit = found.get(str(pf.codes[i]))
            if hit is None:
                why = f"unknown product {db}|{pf.codes[i]}: no activity with that code"
            elif db == project.biosphere or (hit[1] is not None and hit[1] not in known_types):
                why = f"{db}|{pf.codes[i]} is an elementary flow, not a product (an activity)"
            else:
                ids[i] = hit[0]
                continue
            raise PortfolioFileError(pf.path, why, int(pf.lines[i]), "product")
        reps[db] = engine.node((db, str(pf.codes[rows[0]])))
    return ids, reps


def portfolio_footprints(
    engine,
    portfolio: Portfolio | str | Path,
    method=None,
    *,
    iterations: int = 0,
    seed: int = 42,
    executor=None,
    progress=None,
) -> pd.DataFrame:
    """One row per portfolio row: the footprint of ``amount`` units of its product.

    Columns: ``product`` (``database|code``), ``product_name``, ``product_unit``, ``amount``,
    ``method`` (alias or ``A|B|C``), ``unit``, ``total``, ``fossil``, ``biogenic``, ``land_use``
    (as :class:`~lca.footprint.FootprintResult`); with ``iterations`` also ``mean``, ``median``,
    ``std``, ``p2_5``, ``p97_5`` over the draws (``seed``; ``executor``: see
    :func:`lca.montecarlo.monte_carlo`; ``progress(done, total)`` per block of draws).

    Raises
    ------
    PortfolioFileError
        A bad row (see :func:`read_portfolio`), an unknown product or an elementary flow.
    UncertaintyError
        ``iterations`` of 1 (a spread needs 2 draws) or distributions that cannot be drawn.
    """
    t0 = time.perf_counter()
    pf = portfolio if isinstance(portfolio, Portfolio) else read_portfolio(portfolio)
    method = methods.resolve(method)
    ids, reps = _resolve(engine, pf)
    sysm = engine.system_for(list(reps.values()))
    try:
        rows = np.fromiter((sysm.product_index[int(i)] for i in ids), np.int64, len(ids))
    except KeyError as exc:  # every activity of a database is in its system: should not happen
        raise UnknownProduct(exc.args[0], "not a product of the assembled system") from None
    n = sysm.A.shape[0]
    F = sp.csc_matrix((pf.amounts, (rows, np.arange(len(pf)))), shape=(n, len(pf)))
    parts, _ = engine.part_vectors(sysm, method)
    C = np.vstack([engine.characterization(sysm, method)] + [parts[k] for k in methods.PARTS])
    H = maths.batch_scores(maths.lcia_intensities(sysm.fact, C, sysm.B), F)  # 4 x rows
    alias = methods.alias_of(method) or "|".join(method)
    df = pd.DataFrame(
        {
            "product": pf.keys(),
            "product_name": np.asarray(sysm.names, dtype=object)[rows],
            "product_unit": np.asarray(sysm.units, dtype=object)[rows],
            "amount": pf.amounts,
            "method": alias,
            "unit": engine.method_unit(method),
            "total": H[0],
            **{k: H[1 + i] for i, k in enumerate(methods.PARTS)},
        }
    )
    # a split the supply chain's datasets do not assess is unknown, never 0 (as
    # FootprintResult.not_assessed): the rows whose product reaches such a dataset leave it blank
    unknown = _not_assessed(sysm)[rows]
    if unknown.any():
        for k in ("biogenic", "land_use"):
            df.loc[unknown, k] = np.nan
    log.info("portfolio: %d rows scored in %.2f s", len(pf), time.perf_counter() - t0)
    if iterations:
        from .workflows import uncertainty_scores

        uniq, inverse = np.unique(ids, return_inverse=True)
        res = uncertainty_scores(
            engine.project, uniq, method, iterations, seed, executor=executor, progress=progress
        )
        x = res.scores[:, 0, :]  # draws x distinct products, one unit each
        p_lo, med, p_hi = np.percentile(x, [2.5, 50.0, 97.5], axis=0)
        stats = {
            "mean": x.mean(axis=0),
            "median": med,
            "std": x.std(axis=0, ddof=1),
            "p2_5": p_lo,
            "p97_5": p_hi,
        }
        for k, v in stats.items():
            df[k] = pf.amounts * v[inverse]
    return df


def _not_assessed(sysm) -> np.ndarray:
    """Per activity of ``sysm``: whether its supply chain holds a dataset recording
    ``biogenic: not assessed`` (:func:`lca._footprint_result.not_assessed_parts`, the rule of a
    single footprint), found by one reverse reachability search (:func:`lca.maths.reaches`)."""
    from . import dataset_meta
    from ._footprint_result import leaves_split_unassessed

    ids = np.asarray(sysm.activity_ids)
    meta = dataset_meta.read_activity_meta(ids, np.ones(len(ids)))
    flagged = {tuple(r["key"]) for r in meta if leaves_split_unassessed(r)}
    if not flagged:
        return np.zeros(len(ids), dtype=bool)
    targets = np.fromiter((tuple(k) in flagged for k in sysm.keys), bool, len(ids))
    return maths.reaches(sysm.A, targets)
