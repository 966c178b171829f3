"""Pure NumPy counterpart of `coresample.select`."""
from __future__ import annotations

from functools import partial

from .._algorithm import options
from .._algorithm.api import bind
from .._algorithm.select import Backend, run_select
from .assign import nearest
from .kmeans import KMeans, weighted_total
from .sampling import stratified, with_replacement, without_replacement
from .sensitivity import sensitivities
from .snap import snap


def _assign(X, centers, z, u, nt):
    labels, cost = nearest(X, centers, z)
    return labels, cost, weighted_total(u, cost)


def _sample(p, size, seed, replace, nt):
    return with_replacement(p, size, seed) if replace else without_replacement(p, size, seed)


BACKEND = Backend(
    name="reference", kmeans=KMeans, assign=_assign,
    snap=lambda X, C, labels, nt: snap(X, C, labels), sensitivities=sensitivities, sample=_sample,
    stratified=stratified,
)

select = bind(
    options.select, partial(run_select, BACKEND), __name__,
    doc="Pure NumPy counterpart of `coresample.select` (float64 clustering; n_threads is ignored).",
)
