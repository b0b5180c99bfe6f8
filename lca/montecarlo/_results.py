"""Monte Carlo results: scores per draw and their summary statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PERCENTILES = (2.5, 50.0, 97.5)


@dataclass
class Summary:
    """Statistics over draws, each an array of shape (methods, demands)."""

    mean: np.ndarray
    median: np.ndarray
    p2_5: np.ndarray
    p97_5: np.ndarray
    std: np.ndarray
    n: int


def summarize(scores: np.ndarray) -> Summary:
    """Mean, median, 2.5/97.5 percentiles and std (ddof=1) over axis 0 (the draws).

    The deterministic score is not the mean (lognormal skew): report both.
    """
    scores = np.asarray(scores, dtype=np.float64)
    p_lo, med, p_hi = np.percentile(scores, PERCENTILES, axis=0)
    std = scores.std(axis=0, ddof=1) if len(scores) > 1 else np.zeros(scores.shape[1:])
    return Summary(scores.mean(axis=0), med, p_lo, p_hi, std, len(scores))


@dataclass
class MonteCarloResult:
    """Scores per draw and how they were obtained.

    ``scores[t, m, d]``: draw ``t``, method ``m``, demand ``d``. ``deterministic[m, d]``: the
    static system's scores. ``iterations[t]``: refinement sweeps used by draw ``t`` (0 when it
    fell back to a fresh factorisation, listed in ``fallbacks``).
    """

    scores: np.ndarray
    deterministic: np.ndarray
    seed: int | None
    direction: str
    iterations: np.ndarray
    fallbacks: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> Summary:
        return summarize(self.scores)
