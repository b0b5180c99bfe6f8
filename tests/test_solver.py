"""lca.solver: one factorisation, many right-hand sides, forward and adjoint; errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from lca.errors import NonSquareTechnosphere, PCFError, SingularTechnosphere
from lca.solver import Factorization, factorize, zero_diagonal


def productive(n: int, seed: int = 0, density: float = 0.1) -> sp.csr_matrix:
    """A seeded productive technosphere: unit diagonal, inputs summing to < 0.6 per column."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, n, density=density, random_state=rng, format="csc")
    X.setdiag(0)
    X.eliminate_zeros()
    colsum = np.asarray(X.sum(axis=0)).ravel()
    X = X @ sp.diags(0.6 / np.maximum(colsum, 1e-12))
    return sp.csr_matrix(sp.eye(n) - X)


@pytest.fixture(scope="module")
def A():
    return productive(80, seed=1)


def test_multi_rhs_forward_equals_spsolve(A):
    rng = np.random.default_rng(2)
    b = rng.standard_normal((80, 7))
    x = factorize(A).solve(b)
    assert x.shape == (80, 7)
    np.testing.assert_allclose(x, spsolve(sp.csc_matrix(A), b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A @ x, b, rtol=1e-10, atol=1e-12)


def test_multi_rhs_adjoint_equals_spsolve(A):
    rng = np.random.default_rng(3)
    c = rng.standard_normal((80, 5))
    y = factorize(A).solve_transposed(c)
    np.testing.assert_allclose(y, spsolve(sp.csc_matrix(A.T), c), rtol=1e-10, atol=1e-12)


def test_vector_rhs_both_directions(A):
    f = np.zeros(80)
    f[4] = 1.0
    F = factorize(A)
    np.testing.assert_allclose(F.solve(f), spsolve(sp.csc_matrix(A), f), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        F.solve_transposed(f), spsolve(sp.csc_matrix(A.T), f), rtol=1e-10, atol=1e-14
    )


def test_one_factorisation_serves_both_directions(A):
    """λ f = e s: adjoint and forward give the same score."""
    rng = np.random.default_rng(4)
    e, f = rng.random(80), rng.random(80)
    F = factorize(A)
    assert F.solve_transposed(e) @ f == pytest.approx(e @ F.solve(f), rel=1e-12)


def test_non_square_raises():
    with pytest.raises(
        NonSquareTechnosphere, match="not square: 3 products x 4 activities"
    ) as info:
        factorize(sp.csr_matrix(np.ones((3, 4))))
    assert (info.value.n_products, info.value.n_activities) == (3, 4)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PCFError)


def test_zero_diagonal_raises_with_labels():
    A = sp.csr_matrix(np.array([[1.0, -0.5, 0.0], [0.0, 0.0, -0.2], [-0.1, 0.0, 1.0]]))
    assert zero_diagonal(A).tolist() == [1]
    with pytest.raises(
        SingularTechnosphere, match=r"zero diagonal: 'b' \(zero on the diagonal\)"
    ) as info:
        factorize(A, labels=["a", "b", "c"])
    assert info.value.activities == ["b"]


def test_exactly_singular_raises():
    # two identical columns with non-zero diagonal: rank deficient
    A = sp.csr_matrix(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    with pytest.raises(SingularTechnosphere, match="Technosphere matrix is singular"):
        factorize(A)


def test_factorization_is_reusable_class(A):
    F = Factorization(A)
    assert F.shape == (80, 80)
    assert F.nnz >= A.nnz
