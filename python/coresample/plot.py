"""A 2-D picture of a Selection (matplotlib, an optional extra: `pip install "coresample[plot]"`).

Importing coresample never imports matplotlib; this module does, when a function is called.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._base.results import Selection
from ._base.validation import check_array


def project_2d(X: np.ndarray) -> np.ndarray:
    """The rows of X on their first two principal axes (X itself when it has two columns).

    Computed from an SVD of at most 20,000 evenly spaced rows, so it costs one pass over X.
    """
    X = check_array(X)
    if X.shape[1] == 2:
        return np.asarray(X, dtype=np.float64)
    step = max(1, X.shape[0] // 20_000)
    S = np.asarray(X[::step], dtype=np.float64)
    mean = S.mean(axis=0)
    _, _, Vt = np.linalg.svd(S - mean, full_matrices=False)
    axes = Vt[:2].T if Vt.shape[0] >= 2 else np.pad(Vt.T, ((0, 0), (0, 1)))
    return (np.asarray(X, dtype=np.float64) - mean) @ axes


def plot_selection(
    X: np.ndarray,
    sel: Selection,
    *,
    ax: Any = None,
    max_background: int = 20_000,
    size_range: tuple = (6.0, 120.0),
    title: Optional[str] = None,
) -> Any:
    """Draw the data (grey), the representatives (black stars) and the sampled rows, coloured by
    cluster and sized by weight (area proportional to the weight, clipped to `size_range`).

    X is projected with `project_2d` unless it has two columns. At most `max_background` evenly
    spaced rows are drawn as background. Returns the matplotlib Axes.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> from coresample.plot import plot_selection
    >>> X = np.random.default_rng(0).normal(size=(2000, 2))
    >>> sel = coresample.select(X, 100, n_clusters=8, random_state=0)
    >>> ax = plot_selection(X, sel)            # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    P = project_2d(X)
    if P.shape[0] != sel.probabilities.shape[0]:
        raise ValueError(f"X has {P.shape[0]} rows but the selection was made on {sel.probabilities.shape[0]}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 5.0))
    step = max(1, P.shape[0] // max_background)
    ax.scatter(P[::step, 0], P[::step, 1], s=2, c="0.82", linewidths=0, label="all rows")
    # one marker per distinct sampled row, its weight summed over repeated draws
    order = np.argsort(sel.indices, kind="stable")
    rows, starts = np.unique(sel.indices[order], return_index=True)
    w = np.add.reduceat(sel.weights[order], starts) if rows.size else np.zeros(0)
    lo, hi = size_range
    sizes = lo + (hi - lo) * (w / w.max() if w.size and w.max() > 0 else w)
    colours = sel.labels[rows] if sel.labels.shape[0] else None
    ax.scatter(P[rows, 0], P[rows, 1], s=sizes, c=colours, cmap="tab20", alpha=0.75,
               edgecolors="k", linewidths=0.3, label=f"sampled ({rows.size} rows, size ~ weight)")
    if sel.representatives.shape[0]:
        ax.scatter(P[sel.representatives, 0], P[sel.representatives, 1], marker="*", s=140,
                   c="k", label=f"representatives ({sel.representatives.shape[0]})")
    ax.legend(loc="best", fontsize=8, frameon=True)
    ax.set_title(title or "coresample selection")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
