"""A data-driven Hoelder constant lambda from rows whose losses are known (select's lam="auto")."""
from __future__ import annotations

from typing import Any

import numpy as np

from .validation import check_array, check_losses, check_z

_BLOCK = 256  # rows of the pairwise table computed at once (memory O(_BLOCK * m))
# Squared distances below this fraction of ||a||^2 + ||b||^2 are recomputed from the differences:
# the expansion's rounding error is a few d * eps of that sum, so above 1e-6 it is negligible.
_CANCELLATION = 1e-6


def estimate_lam(X_rows: Any, losses: Any, z: float = 2.0) -> float:
    """The smallest lambda consistent with the given rows: max |l_a - l_b| / ||x_a - x_b||^z.

    select(lam="auto") calls it on the k representatives and their losses (no extra oracle
    calls); pass more rows (e.g. a previous selection's sampled rows and their losses) for a
    tighter value.

    What it guarantees and what not. Any lambda >= 0 keeps the estimates unbiased (every row with
    a positive clustering cost keeps a positive probability when lambda > 0); only the variance
    bound of the method (l(e) <= l(c(e)) + lambda cost(e)) needs lambda at least the true Hoelder
    constant. The value returned is a lower bound on that constant over these rows: the true
    constant may be larger, and then some rows' losses exceed the proxy and the variance may be
    larger than the theory says. Pairs at distance 0 are skipped (a loss that differs between
    identical embeddings admits no finite constant). Returns 0.0 for fewer than two distinct rows;
    raises ValueError (naming z) when a ratio overflows double, which takes rows very close
    together with a large z.

    Parameters
    ----------
    X_rows : ndarray of shape (m, n_features)
        Embeddings of rows with known losses.
    losses : array-like of shape (m,)
        Their losses (non-negative).
    z : float, default=2.0
        The cost exponent of the clustering (the constant is for ||x - y||^z).

    Examples
    --------
    >>> import numpy as np
    >>> estimate_lam(np.array([[0.0], [1.0], [3.0]]), [0.0, 2.0, 3.0], z=1.0)
    2.0
    """
    A = np.asarray(check_array(X_rows, "X_rows"), dtype=np.float64)
    m = A.shape[0]
    y = check_losses(losses, m, "losses")
    z = check_z(z)
    sq = np.einsum("ij,ij->i", A, A)
    best = 0.0
    for start in range(0, m, _BLOCK):
        a = A[start:start + _BLOCK]
        scale = sq[start:start + _BLOCK, None] + sq[None, :]
        d2 = np.maximum(scale - 2.0 * a @ A.T, 0.0)
        # The expansion loses d2 to cancellation when it is tiny against the norms: identical
        # rows then came out at distance ~1e-10 and set lambda near 1e10. Those pairs are
        # measured again from their differences.
        close = np.argwhere(d2 <= _CANCELLATION * scale)
        if close.size:
            i, j = close[:, 0], close[:, 1]
            d2[i, j] = ((a[i] - A[j]) ** 2).sum(axis=1)
        dist_z = d2 if z == 2.0 else np.sqrt(d2) ** z
        diff = np.abs(y[start:start + _BLOCK, None] - y[None, :])
        ok = dist_z > 0
        if ok.any():
            with np.errstate(over="ignore"):  # an overflowing ratio is refused below
                best = max(best, float((diff[ok] / dist_z[ok]).max()))
    if not np.isfinite(best):
        raise ValueError(
            f"the Hoelder ratio |l_a - l_b| / ||x_a - x_b||^z overflows double at z={z:g} (two "
            "rows very close together with different losses); use a smaller z or scale X up"
        )
    return best
