"""Which cross-sectoral standards a PACT document may list: those the study meets, decided from
the ISO 14067 report's own clause-by-clause conformity table (:func:`reports.iso14067.conformity`),
so the PACT document and the ISO report can never disagree.

Each row of that table is ``met``, ``partly`` (addressed and stated, with a gap the documents
name: cut-offs not quantified, biogenic split not assessed, review status stated but no review)
or ``not_met``. A standard is listed when every requirement it makes of the study is in a status
it accepts (:data:`ACCEPTS`):

``ISO14067`` (ISO 14067:2018)
    every row ``met``, except that a ``partly`` is enough for the review (clause 8: a critical
    review is optional for a study not communicated publicly; clause 7 asks the report to state
    its status) and for the results split (the separate biogenic and land-use figures are
    stated as "not assessed" because no dataset publishes them; PACT v3's own rule for such
    figures is "blank if unknown"). Cut-offs must be quantified (the table's clause 6.3 row:
    the significance of what was cut off is assessed) and uncertainty analysed (its clause 7
    row: the Monte Carlo run): without them ISO 14067 is not listed.
``GHGP-Product`` (GHG Protocol Product Life Cycle Accounting and Reporting Standard, 2011)
    the same, except that exclusions need only be disclosed and justified (chapter 7, boundary
    setting), so a ``partly`` cut-off row is enough, and uncertainty
    needs only a qualitative statement (chapter 10, assessing uncertainty), which the PACT comment gives when no Monte
    Carlo was run (:func:`qualitative_uncertainty`): the uncertainty row is not required.

A PACT methodology (``PACT-x.y``) is decided by :func:`reports.pact.footprint._standards_met`
(quantified exemptions, computed data quality). Another declared standard (``PEF``,
``ISO14040-44``, ...) has no row set here and is not listed when a conformity table is given: the
engine lists nothing it has not checked.

Why both accept ``partly`` results split: the PACT v3 field ``crossSectoralStandards`` MUST be a
non-empty array, and no shipped dataset publishes a biogenic / land-use split; refusing it
would leave no standard to list and no document at all. The gap is stated in the same document
(the comment's "Not assessed", the left-out biogenic fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..errors import InvalidDeclaration

_MET = frozenset({"met"})
_STATED = frozenset({"met", "partly"})

#: standard -> the requirements where it accepts more than ``met`` (the statuses it accepts), or
#: that it does not make of the study (``None``); every other row of the conformity table
#: (:data:`reports.iso14067.CONFORMITY`) must be ``met``.
ACCEPTS: dict[str, dict[str, frozenset[str] | None]] = {
    "ISO14067": {
        "iso.c.review": _STATED,
        "iso.c.results_split": _STATED,
    },
    "GHGP-Product": {
        "iso.c.uncertainty": None,
        "iso.c.cutoff": _STATED,
        "iso.c.review": _STATED,
        "iso.c.results_split": _STATED,
    },
}


def unmet(standard: str, rows: Iterable[Mapping]) -> list[str]:
    """The requirements (``iso.c.*`` keys, with their status) that keep ``standard`` from being
    met by the conformity ``rows``; every requirement when the engine checks no row set for it.

    >>> rows = [{"requirement": "iso.c.cutoff", "status": "partly"},
    ...         {"requirement": "iso.c.review", "status": "partly"}]
    >>> unmet("ISO14067", rows), unmet("GHGP-Product", rows), unmet("PEF", rows)
    (['iso.c.cutoff: partly'], [], ['PEF: not checked by the engine'])
    """
    accepts = ACCEPTS.get(standard)
    if accepts is None:
        return [f"{standard}: not checked by the engine"]
    out = []
    for row in rows:
        ok = accepts.get(row["requirement"], _MET)
        if ok is not None and row["status"] not in ok:
            out.append(f"{row['requirement']}: {row['status']}")
    return out


def standards_met(declared: Sequence[str], rows: Iterable[Mapping]) -> list[str]:
    """The declared standards the conformity ``rows`` meet, in the declared order (PACT
    methodologies kept: :func:`reports.pact.footprint._standards_met` decides those).

    Raises
    ------
    InvalidDeclaration
        None is met: PACT v3 requires a non-empty ``crossSectoralStandards``; the message names
        each standard's unmet requirements.
    """
    rows = list(rows)
    met = [s for s in declared if s.startswith("PACT-") or not unmet(s, rows)]
    if not met:
        why = "; ".join(f"{s}: {', '.join(unmet(s, rows))}" for s in declared)
        raise InvalidDeclaration(
            "declaration.cross_sectoral_standards",
            list(declared),
            f"none is met by the study's conformity assessment ({why}); a PACT document needs "
            "one (quantify the cut-offs, run the uncertainty analysis, or state the missing "
            "sections)",
        )
    return met


#: A status of the conformity table in words.
_STATUS_WORDS = {"partly": "partly met", "not_met": "not met"}


def _label(requirement: str) -> str:
    """The English label the ISO report prints for a conformity requirement (reports/i18n.yaml);
    the key itself if it has none."""
    from ..errors import ReportError
    from ..render import translate  # imported here: only the comment needs the labels

    try:
        return translate(requirement, "en")
    except ReportError:
        return requirement


def dropped_statement(declared: Sequence[str], met: Sequence[str], rows: Iterable[Mapping]) -> str:
    """The comment's sentence naming each declared standard left out of
    ``crossSectoralStandards`` and why: the conformity rows (clause, requirement, status) that
    keep it from being met; ``""`` when none was dropped.

    >>> rows = [{"clause": "6.3", "requirement": "iso.c.cutoff", "status": "partly"}]
    >>> dropped_statement(["ISO14067", "GHGP-Product"], ["GHGP-Product"], rows)[:86]
    'Declared but not listed in crossSectoralStandards: ISO14067, not met by the ISO 14067 '
    """
    rows = list(rows)
    parts = []
    for s in declared:
        if s in met:
            continue
        accepts = ACCEPTS.get(s)
        if accepts is None:
            parts.append(f"{s}, which the engine does not check (no conformity rows for it)")
            continue
        why = [
            f"clause {row.get('clause', '?')} '{_label(row['requirement'])}' "
            f"{_STATUS_WORDS.get(row['status'], row['status'])}"
            for row in rows
            if (ok := accepts.get(row["requirement"], _MET)) is not None and row["status"] not in ok
        ]
        parts.append(f"{s}, not met by the ISO 14067 study's conformity table ({'; '.join(why)})")
    if not parts:
        return ""
    return "Declared but not listed in crossSectoralStandards: " + "; ".join(parts) + "."


def uncertainty_statement(
    uncertainty: Mapping | None,
    rows: Iterable[Mapping] | None = None,
    *,
    scale: float = 1.0,
    unit: str = "kg CO2e",
    basis: str = "the declared amount",
) -> str:
    """The comment's uncertainty sentence, whichever command wrote the document: the Monte Carlo
    result when one was run (``uncertainty``: :func:`lca.workflows.uncertainty`'s summary;
    ``scale`` converts it to the document's basis), else the qualitative statement (GHG Protocol
    Product Standard, chapter 10; :func:`qualitative_uncertainty`). Only the conformity
    ``rows`` saying the study's uncertainty was analysed, without the summary, give a pointer to
    that study.

    >>> uncertainty_statement({"iterations": 1000, "seed": 42, "median": 64.9, "p2_5": 58.21,
    ...                        "p97_5": 73.4, "mean": 65.0})[:60]
    'Uncertainty: Monte Carlo, 1000 draws (seed 42) over the dist'
    """
    if uncertainty:
        seed = uncertainty.get("seed")
        det = uncertainty.get("deterministic")
        sc = {k: uncertainty[k] * scale for k in ("median", "p2_5", "p97_5", "mean")}
        return (
            f"Uncertainty: Monte Carlo, {uncertainty['iterations']} draws"
            + (f" (seed {seed})" if seed is not None else "")
            + " over the distributions the inventory records for its exchanges: median "
            f"{sc['median']:.4g}, 95 % interval {sc['p2_5']:.4g} to {sc['p97_5']:.4g}, mean "
            f"{sc['mean']:.4g} {unit} for {basis}"
            + (
                f"; the figures stated are the deterministic result ({det * scale:.4g})"
                if det is not None
                else "; the figures stated are the deterministic result"
            )
            + "."
        )
    rows = list(rows or [])
    if any(r["requirement"] == "iso.c.uncertainty" and r["status"] == "met" for r in rows):
        return (
            "Uncertainty: analysed by Monte Carlo in the ISO 14067 study report of this "
            "footprint (its figures are stated there)."
        )
    return _QUALITATIVE


_QUALITATIVE = (
    "Uncertainty not quantified (no Monte Carlo run for this document); qualitative "
    "statement: the main sources of uncertainty are the proxies and the grid factor "
    "named above, the data-quality ratings stated, and the cut-offs left out."
)


def qualitative_uncertainty(rows: Iterable[Mapping]) -> str | None:
    """A qualitative uncertainty statement (GHG Protocol Product Standard, chapter 10) when the
    conformity ``rows`` say no uncertainty analysis was run; ``None`` when it was."""
    for row in rows:
        if row["requirement"] == "iso.c.uncertainty" and row["status"] != "met":
            return _QUALITATIVE
    return None
