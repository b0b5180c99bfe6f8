"""Monte Carlo over the inventories' uncertainty, with the static factorisation as preconditioner.

For each draw ``t`` the technosphere ``A⁽ᵗ⁾`` and biosphere ``B⁽ᵗ⁾`` are sampled from their
stats_arrays distributions and the scores are (../shared/MATHS.md, Monte Carlo)::

    h⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹ F          (methods x demands)

Refactorising every ``A⁽ᵗ⁾`` is the baseline (bw2calc's ``next(lca)``). Here the static ``A`` is
factorised once (:mod:`lca.solver`) and used as a preconditioner ``M = A`` for every draw, with
preconditioned iterative refinement (a stationary Richardson iteration)::

    x₀ = static solution,   x_{k+1} = x_k + M⁻¹ (b − A⁽ᵗ⁾ x_k)

which converges when the spectral radius of ``I − M⁻¹ A⁽ᵗ⁾`` is below one (moderate
perturbations; ~0.05 on the 20,000-activity benchmark, 5-6 sweeps to 1e-8). Many draws are
solved together (one multi-column triangular sweep per iteration: SuperLU costs ~3.5 ms per
column in blocks of 16 against ~11 ms alone), each draw stops when the estimated error of its
scores is below ``rtol`` (see :func:`refine`), and a draw that does not converge is solved with a
fresh factorisation of its own matrix (logged). :func:`gmres` is the Krylov alternative.
``workers > 1`` forks processes that solve interleaved blocks (SuperLU solves use one core).

Direction: the adjoint ``Λ⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹`` (solve ``A⁽ᵗ⁾ᵀ Λᵀ = (C B⁽ᵗ⁾)ᵀ``, one right-hand side
per method) gives every demand at once, ``h = Λ F``; the forward solve ``S = (A⁽ᵗ⁾)⁻¹ F`` needs
one right-hand side per demand. ``direction="auto"`` picks the side with fewer right-hand sides.

Randomness: every resource group of a matrix is drawn by its own
``stats_arrays.MCRandomNumberGenerator``, as matrix_utils (and so bw2calc) does. By default the
draws come in chunks of :data:`CHUNK` draws, each chunk's generators seeded from ``seed`` with
``numpy.random.SeedSequence`` keyed by the chunk index (:func:`chunk_seed`): a block, a forked
worker or a cluster task (:mod:`lca.distributed`) draws its own chunks only, and the scores of
a seed do not depend on where they were computed. With
``bw2calc_seeds=True`` every group is seeded with ``seed`` itself, exactly like bw2calc's
``seed_override``: the draws are then identical to bw2calc's, draw by draw. Note that this makes
the technosphere and biosphere groups consume the *same* stream of standard normal numbers (their
lognormal draws are correlated entry by entry), and a process drawing later draws first draws
past the earlier ones.

No Brightway import at module level: the maths only sees numpy, scipy and stats_arrays.
:func:`from_bw2calc` reads the arrays out of a ``bw2calc.LCA`` object.
"""

from ._bw2calc import StochasticSystem, from_bw2calc
from ._driver import JobSpec, collect_parts, monte_carlo, run_task
from ._iterative import gmres, refine
from ._matrix import UncertainMatrix
from ._results import PERCENTILES, MonteCarloResult, Summary, summarize
from ._sampling import BIOSPHERE, CHUNK, TECHNOSPHERE, chunk_seed, sample, sample_blocks

__all__ = [
    "BIOSPHERE",
    "CHUNK",
    "PERCENTILES",
    "TECHNOSPHERE",
    "JobSpec",
    "MonteCarloResult",
    "StochasticSystem",
    "Summary",
    "UncertainMatrix",
    "chunk_seed",
    "collect_parts",
    "from_bw2calc",
    "gmres",
    "monte_carlo",
    "refine",
    "run_task",
    "sample",
    "sample_blocks",
    "summarize",
]
