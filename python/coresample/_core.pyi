"""Types of coresample's private C++ extension (cpp/bindings.cpp).

Drafted with pybind11-stubgen, cleaned by hand; tests/test_stubs.py checks that every function
of the built module appears here with the same parameter names. Array arguments are bound with
``.noconvert()`` and ``py::array::c_style``: they must already be C-contiguous arrays of exactly
the dtype given (no conversion, no copy). Output arrays (``labels``, ``cost``, ``indices``,
``weights``, ``out``) are allocated by the caller and written in place. Functions defined for
float32 and float64 ``X`` are overloads; ``X`` and ``centers`` share one dtype.
"""
from typing import Callable, List, Optional, Tuple, overload

import numpy as np
from numpy.typing import NDArray
from typing_extensions import TypeAlias

_F32: TypeAlias = NDArray[np.float32]
_F64: TypeAlias = NDArray[np.float64]
_I64: TypeAlias = NDArray[np.int64]

@overload
def assign(
    X: _F32, centers: _F32, z: float, sample_weight: Optional[_F64], labels: _I64, cost: _F64,
    n_threads: int, simd: str = "",
) -> float:
    """Nearest center (ties: lowest index) and cost of every row; returns blocked_sum(u * cost)."""
@overload
def assign(
    X: _F64, centers: _F64, z: float, sample_weight: Optional[_F64], labels: _I64, cost: _F64,
    n_threads: int, simd: str = "",
) -> float: ...
@overload
def kmeans_plusplus(
    X: _F32, sample_weight: Optional[_F64], n_clusters: int, z: float, seed: int,
    n_local_trials: int, indices: _I64, n_threads: int, simd: str = "",
) -> None:
    """Greedy k-means++ seeding; writes the chosen row indices."""
@overload
def kmeans_plusplus(
    X: _F64, sample_weight: Optional[_F64], n_clusters: int, z: float, seed: int,
    n_local_trials: int, indices: _I64, n_threads: int, simd: str = "",
) -> None: ...
@overload
def lloyd(
    X: _F32, sample_weight: Optional[_F64], centers: _F32, z: float, max_iter: int, tol: float,
    labels: _I64, cost: _F64, n_threads: int, simd: str = "", prune: Optional[bool] = None,
) -> Tuple[int, float]:
    """Lloyd / (k,z) iterations in place on centers; returns (n_iter, inertia). simd and prune (tests, benchmarks): a kernel level, and pruning on/off (None: the default, with the dispatched level)."""
@overload
def lloyd(
    X: _F64, sample_weight: Optional[_F64], centers: _F64, z: float, max_iter: int, tol: float,
    labels: _I64, cost: _F64, n_threads: int, simd: str = "", prune: Optional[bool] = None,
) -> Tuple[int, float]: ...
@overload
def mean_variance(X: _F32, n_threads: int) -> float:
    """Mean over features of the population variance of each column."""
@overload
def mean_variance(X: _F64, n_threads: int) -> float: ...
@overload
def snap_to_rows(X: _F32, centers: _F32, labels: _I64, out: _I64, n_threads: int) -> None:
    """Row index of each center's representative."""
@overload
def snap_to_rows(X: _F64, centers: _F64, labels: _I64, out: _I64, n_threads: int) -> None: ...
def sensitivities(
    cost: _F64, labels: _I64, center_losses: Optional[_F64], n_clusters: int, lam: float,
    sample_weight: Optional[_F64], method: str, defensive: float, out: _F64, n_threads: int,
) -> None:
    """Sampling probabilities p from costs, labels and (optional) center losses."""
def sensitivity_probabilities(
    masses: _F64, sample_weight: Optional[_F64], S: float, U: float, defensive: float, out: _F64,
    n_threads: int,
) -> None:
    """p from masses and the whole dataset's S and U, with the defensive uniform share."""
def sensitivity_masses(
    cost: _F64, labels: _I64, center_losses: Optional[_F64], n_clusters: int, lam: float,
    sample_weight: Optional[_F64], method: str, a: float, cluster_size: Optional[_F64],
    phi: float, out: _F64, n_threads: int,
) -> None:
    """Unnormalised masses u v of a run of rows, from the whole dataset's totals."""
def sample_with_replacement(
    p: _F64, size: int, seed: int, indices: _I64, weights: _F64, n_threads: int
) -> None:
    """Inverse-CDF draws from p with Hansen-Hurwitz weights; checks p (ValueError)."""
def sample_without_replacement(
    p: _F64, size: int, seed: int, stream: int, indices: _I64, weights: _F64, n_threads: int
) -> None:
    """Exponential-key sample of distinct rows with Horvitz-Thompson weights; checks p and size."""
def random_uint64(seed: int, stream: int, start: int, out: NDArray[np.uint64]) -> None:
    """Test hook: out[i] = draw(seed, stream, start + i)."""
def log_unit(u: _F64, out: _F64) -> None:
    """Test hook: the core's log_unit applied elementwise."""
def set_progress(callback: Optional[Callable[[str, int, int], object]]) -> None:
    """This thread's progress callback(phase, done, total) for k-means++ centers and Lloyd iterations, or None; a callback that raises stops the computation."""
def simd_level() -> str:
    """The kernel level in use (CORESAMPLE_SIMD if supported, else the best)."""
def available_simd_levels() -> List[str]:
    """Kernel levels usable on this CPU with this build."""
def has_openmp() -> bool:
    """Whether the core was built with OpenMP."""
def max_threads() -> int:
    """OpenMP's default team size (all allowed cores)."""
def last_lloyd_rows_evaluated() -> int:
    """Rows the last lloyd() on this thread ranked against the centers, over all its passes."""
def default_threads() -> int:
    """Threads used when n_threads=0: max_threads() less the cores other processes are busy on now (Linux), at least 1."""
def cores_busy_elsewhere() -> int:
    """Cores other processes are running on now (Linux /proc; -1 where unknown)."""
def forked_after_team() -> bool:
    """Whether this is a child forked after the parent started a GNU OpenMP team: the core then runs single-threaded (fork_guard.h)."""
