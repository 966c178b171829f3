// The only pybind11 file: shape checks with the GIL held, raw pointers, the core call with the GIL released, errors and the Ctrl-C hook.
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "assign.h"
#include "common.h"
#include "interrupt.h"
#include "progress.h"
#include "kernels/kernels.h"
#include "kmeans.h"
#include "parallel.h"
#include "rng.h"
#include "sampling.h"
#include "seeding.h"
#include "sensitivity.h"
#include "snap.h"

namespace py = pybind11;

namespace coresample {
namespace {

// noconvert() on every array argument: a wrong dtype or a non-C-contiguous array is refused
// instead of being copied (an OUT array copied would silently lose the results).
template <class T>
using Array = py::array_t<T, py::array::c_style>;
template <class T>
using OptArray = std::optional<Array<T>>;

std::string describe_shape(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(a.shape(i));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

void require_ndim(const py::array& a, py::ssize_t ndim, const char* name) {
  if (a.ndim() != ndim) {
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) +
                          "-dimensional, got shape " + describe_shape(a));
  }
  // Misaligned data would make the typed loads below undefined behaviour.
  if ((a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) == 0) {
    throw py::value_error(std::string(name) + " must be aligned");
  }
}

void require_vector(const py::array& a, py::ssize_t n, const char* name) {
  require_ndim(a, 1, name);
  if (a.shape(0) != n) {
    throw py::value_error(std::string(name) + " must have shape (" + std::to_string(n) +
                          ",), got " + describe_shape(a));
  }
}

void require_writeable(const py::array& a, const char* name) {
  if (!a.writeable()) throw py::value_error(std::string(name) + " must be writeable");
}

template <class T>
T* out_ptr(Array<T>& a, py::ssize_t n, const char* name) {
  require_vector(a, n, name);
  require_writeable(a, name);
  return a.mutable_data();
}

template <class T>
const T* opt_ptr(const OptArray<T>& a, py::ssize_t n, const char* name) {
  if (!a.has_value()) return nullptr;
  require_vector(*a, n, name);
  return a->data();
}

int require_threads(int n_threads) {
  if (n_threads < 0) {
    throw py::value_error("n_threads must be >= 0, got " + std::to_string(n_threads));
  }
  return n_threads;
}

const KernelTable& table_for(const std::string& simd) {
  if (simd.empty()) return kernels();
  SimdLevel level;
  if (!parse_simd_level(simd.c_str(), &level)) {
    throw py::value_error("simd must be '', 'scalar', 'avx2' or 'avx512', got '" + simd + "'");
  }
  const KernelTable* table = kernels_for(level);
  if (table == nullptr) {
    throw py::value_error("simd level '" + simd + "' is not available on this CPU or build");
  }
  return *table;
}

template <class T>
index_t require_centers(const Array<T>& centers, index_t d) {
  require_ndim(centers, 2, "centers");
  if (centers.shape(1) != d) {
    throw py::value_error("centers must have " + std::to_string(d) + " columns like X, got shape " +
                          describe_shape(centers));
  }
  if (centers.shape(0) < 1) throw py::value_error("centers must have at least one row");
  return centers.shape(0);
}

template <class T>
double assign_py(const Array<T>& X, const Array<T>& centers, double z,
                 const OptArray<double>& sample_weight, Array<std::int64_t>& labels,
                 Array<double>& cost, int n_threads, const std::string& simd) {
  require_ndim(X, 2, "X");
  const index_t n = X.shape(0), d = X.shape(1), k = require_centers(centers, d);
  const double* u = opt_ptr(sample_weight, n, "sample_weight");
  index_t* lab = out_ptr(labels, n, "labels");
  double* c = out_ptr(cost, n, "cost");
  require_threads(n_threads);
  const KernelTable& table = table_for(simd);
  const T* x = X.data();
  const T* ctr = centers.data();
  py::gil_scoped_release release;
  return assign<T>(x, n, d, ctr, k, z, u, lab, c, nullptr, n_threads, table);
}

template <class T>
void kmeans_plusplus_py(const Array<T>& X, const OptArray<double>& sample_weight,
                        index_t n_clusters, double z, std::uint64_t seed, index_t n_local_trials,
                        Array<std::int64_t>& indices, int n_threads, const std::string& simd) {
  require_ndim(X, 2, "X");
  const index_t n = X.shape(0), d = X.shape(1);
  if (n < 1) throw py::value_error("X must have at least one row");
  if (n_clusters < 1) throw py::value_error("n_clusters must be >= 1");
  if (n_local_trials < 0) throw py::value_error("n_local_trials must be >= 0");
  const double* u = opt_ptr(sample_weight, n, "sample_weight");
  index_t* idx = out_ptr(indices, n_clusters, "indices");
  require_threads(n_threads);
  const KernelTable& table = table_for(simd);
  const T* x = X.data();
  py::gil_scoped_release release;
  kmeans_plusplus<T>(x, n, d, u, n_clusters, z, seed, n_local_trials, idx, n_threads, table);
}

template <class T>
std::pair<index_t, double> lloyd_py(const Array<T>& X, const OptArray<double>& sample_weight,
                                    Array<T>& centers, double z, index_t max_iter, double tol,
                                    Array<std::int64_t>& labels, Array<double>& cost,
                                    int n_threads, const std::string& simd, py::object prune) {
  require_ndim(X, 2, "X");
  const index_t n = X.shape(0), d = X.shape(1), k = require_centers(centers, d);
  if (n < k) throw py::value_error("X must have at least as many rows as centers");
  if (max_iter < 0) throw py::value_error("max_iter must be >= 0");
  require_writeable(centers, "centers");
  const double* u = opt_ptr(sample_weight, n, "sample_weight");
  index_t* lab = out_ptr(labels, n, "labels");
  double* c = out_ptr(cost, n, "cost");
  require_threads(n_threads);
  const T* x = X.data();
  T* ctr = centers.mutable_data();
  const KernelTable& table = table_for(simd);
  const bool pruned = prune.is_none() ? lloyd_prunes_by_default() : prune.cast<bool>();
  LloydResult r;
  {
    py::gil_scoped_release release;
    r = lloyd<T>(x, n, d, u, ctr, k, z, max_iter, tol, lab, c, n_threads, table, pruned);
  }
  return {r.n_iter, r.inertia};
}

template <class T>
double mean_variance_py(const Array<T>& X, int n_threads) {
  require_ndim(X, 2, "X");
  const index_t n = X.shape(0), d = X.shape(1);
  if (n < 1 || d < 1) throw py::value_error("X must have at least one row and one column");
  require_threads(n_threads);
  const T* x = X.data();
  py::gil_scoped_release release;
  return mean_variance<T>(x, n, d, n_threads);
}

template <class T>
void snap_to_rows_py(const Array<T>& X, const Array<T>& centers,
                     const Array<std::int64_t>& labels, Array<std::int64_t>& out, int n_threads) {
  require_ndim(X, 2, "X");
  const index_t n = X.shape(0), d = X.shape(1), k = require_centers(centers, d);
  if (n < 1) throw py::value_error("X must have at least one row");
  require_vector(labels, n, "labels");
  index_t* o = out_ptr(out, k, "out");
  require_threads(n_threads);
  const T* x = X.data();
  const T* ctr = centers.data();
  const index_t* lab = labels.data();
  py::gil_scoped_release release;
  snap_to_rows<T>(x, n, d, ctr, k, lab, o, n_threads);
}

SensitivityMethod method_of(const std::string& method) {
  if (method == "lightweight") return SensitivityMethod::kLightweight;
  if (method == "coreset") return SensitivityMethod::kCoreset;
  throw py::value_error("method must be 'lightweight' or 'coreset', got '" + method + "'");
}

/// The checked arguments shared by sensitivities and sensitivity_masses (GIL held).
struct SensitivityArgs {
  index_t n;
  const double* cost;
  const index_t* labels;
  const double* center_losses;
  const double* u;
  SensitivityMethod method;
  double* out;
};

SensitivityArgs sensitivity_args(const Array<double>& cost, const Array<std::int64_t>& labels,
                                 const OptArray<double>& center_losses, index_t n_clusters,
                                 const OptArray<double>& sample_weight, const std::string& method,
                                 Array<double>& out, int n_threads) {
  require_ndim(cost, 1, "cost");
  const index_t n = cost.shape(0);
  if (n_clusters < 1) throw py::value_error("n_clusters must be >= 1");
  require_vector(labels, n, "labels");
  SensitivityArgs a{n, cost.data(), labels.data(),
                    opt_ptr(center_losses, n_clusters, "center_losses"),
                    opt_ptr(sample_weight, n, "sample_weight"), method_of(method),
                    out_ptr(out, n, "out")};
  require_threads(n_threads);
  return a;
}

void sensitivities_py(const Array<double>& cost, const Array<std::int64_t>& labels,
                      const OptArray<double>& center_losses, index_t n_clusters, double lam,
                      const OptArray<double>& sample_weight, const std::string& method,
                      double defensive, Array<double>& out, int n_threads) {
  const SensitivityArgs a = sensitivity_args(cost, labels, center_losses, n_clusters,
                                             sample_weight, method, out, n_threads);
  py::gil_scoped_release release;
  sensitivities(a.cost, a.labels, a.n, a.center_losses, n_clusters, lam, a.u, a.method, defensive,
                a.out, n_threads);
}

void sensitivity_probabilities_py(const Array<double>& masses,
                                  const OptArray<double>& sample_weight, double S, double U,
                                  double defensive, Array<double>& out, int n_threads) {
  require_ndim(masses, 1, "masses");
  const index_t n = masses.shape(0);
  const double* u = opt_ptr(sample_weight, n, "sample_weight");
  double* o = out_ptr(out, n, "out");
  require_threads(n_threads);
  const double* mp = masses.data();
  py::gil_scoped_release release;
  sensitivity_probabilities(mp, u, n, S, U, defensive, o, n_threads);
}

void sensitivity_masses_py(const Array<double>& cost, const Array<std::int64_t>& labels,
                           const OptArray<double>& center_losses, index_t n_clusters, double lam,
                           const OptArray<double>& sample_weight, const std::string& method,
                           double a, const OptArray<double>& cluster_size, double phi,
                           Array<double>& out, int n_threads) {
  const SensitivityArgs s = sensitivity_args(cost, labels, center_losses, n_clusters,
                                             sample_weight, method, out, n_threads);
  const double* size = opt_ptr(cluster_size, n_clusters, "cluster_size");
  if (s.center_losses == nullptr && s.method == SensitivityMethod::kCoreset && size == nullptr) {
    throw py::value_error("method 'coreset' needs cluster_size");
  }
  py::gil_scoped_release release;
  sensitivity_masses(s.cost, s.labels, s.n, s.center_losses, n_clusters, lam, s.u, s.method, a,
                     size, phi, s.out, n_threads);
}

void sample_with_replacement_py(const Array<double>& p, index_t size, std::uint64_t seed,
                                Array<std::int64_t>& indices, Array<double>& weights,
                                int n_threads) {
  require_ndim(p, 1, "p");
  if (size < 0) throw py::value_error("size must be >= 0");
  const index_t n = p.shape(0);
  if (size > 0 && n < 1) throw py::value_error("p must not be empty");
  index_t* idx = out_ptr(indices, size, "indices");
  double* w = out_ptr(weights, size, "weights");
  require_threads(n_threads);
  const double* pp = p.data();
  py::gil_scoped_release release;
  sample_with_replacement(pp, n, size, seed, idx, w, n_threads);
}

void sample_without_replacement_py(const Array<double>& p, index_t size, std::uint64_t seed,
                                   std::uint64_t stream, Array<std::int64_t>& indices,
                                   Array<double>& weights, int n_threads) {
  require_ndim(p, 1, "p");
  if (size < 0) throw py::value_error("size must be >= 0");
  const index_t n = p.shape(0);
  index_t* idx = out_ptr(indices, size, "indices");
  double* w = out_ptr(weights, size, "weights");
  require_threads(n_threads);
  const double* pp = p.data();
  py::gil_scoped_release release;
  sample_without_replacement(pp, n, size, seed, stream, idx, w, n_threads);
}

void random_uint64_py(std::uint64_t seed, std::uint64_t stream, std::uint64_t start,
                      Array<std::uint64_t>& out) {
  require_ndim(out, 1, "out");
  std::uint64_t* o = out_ptr(out, out.shape(0), "out");
  const py::ssize_t m = out.shape(0);
  py::gil_scoped_release release;
  const std::uint64_t key = stream_key(seed, stream);
  for (py::ssize_t i = 0; i < m; ++i) o[i] = draw_from_key(key, start + static_cast<std::uint64_t>(i));
}

void log_unit_py(const Array<double>& u, Array<double>& out) {
  require_ndim(u, 1, "u");
  const py::ssize_t m = u.shape(0);
  double* o = out_ptr(out, m, "out");
  const double* in = u.data();
  py::gil_scoped_release release;
  for (py::ssize_t i = 0; i < m; ++i) o[i] = log_unit(in[i]);
}

std::vector<std::string> available_simd_levels_py() {
  std::vector<std::string> names;
  for (SimdLevel level : available_simd_levels()) names.emplace_back(simd_level_name(level));
  return names;
}

// Called by the core on the thread that entered it, between blocks, with the GIL released.
bool python_interrupt_hook() {
  PyGILState_STATE state = PyGILState_Ensure();
  const int r = PyErr_CheckSignals();
  PyGILState_Release(state);
  return r != 0;
}

// The calling thread's progress callback (a strong reference, or nullptr), set by set_progress.
// Thread-local, so concurrent calls from several Python threads report to their own callbacks.
thread_local PyObject* t_progress = nullptr;

// Called by the core on the thread that entered it, with the GIL released. A callback that raises
// stops the computation: its exception stays set and propagates (see the translator below).
bool python_progress_hook(const char* phase, index_t done, index_t total) {
  if (t_progress == nullptr) return false;
  PyGILState_STATE state = PyGILState_Ensure();
  PyObject* r = PyObject_CallFunction(t_progress, "sLL", phase, static_cast<long long>(done),
                                      static_cast<long long>(total));
  const bool stop = r == nullptr;
  Py_XDECREF(r);
  PyGILState_Release(state);
  return stop;
}

void set_progress_py(py::object fn) {
  if (!fn.is_none() && !PyCallable_Check(fn.ptr())) {
    throw py::type_error("progress callback must be callable or None");
  }
  Py_XDECREF(t_progress);
  t_progress = nullptr;
  if (!fn.is_none()) t_progress = fn.inc_ref().ptr();
}

template <class T>
void def_typed(py::module_& m) {
  m.def("assign", &assign_py<T>, py::arg("X").noconvert(), py::arg("centers").noconvert(),
        py::arg("z"), py::arg("sample_weight").noconvert(), py::arg("labels").noconvert(),
        py::arg("cost").noconvert(), py::arg("n_threads"), py::arg("simd") = std::string(),
        "Nearest center (ties: lowest index) and cost of every row; returns blocked_sum(u * cost).");
  m.def("kmeans_plusplus", &kmeans_plusplus_py<T>, py::arg("X").noconvert(),
        py::arg("sample_weight").noconvert(), py::arg("n_clusters"), py::arg("z"),
        py::arg("seed"), py::arg("n_local_trials"), py::arg("indices").noconvert(),
        py::arg("n_threads"), py::arg("simd") = std::string(),
        "Greedy k-means++ seeding; writes the chosen row indices.");
  m.def("lloyd", &lloyd_py<T>, py::arg("X").noconvert(), py::arg("sample_weight").noconvert(),
        py::arg("centers").noconvert(), py::arg("z"), py::arg("max_iter"), py::arg("tol"),
        py::arg("labels").noconvert(), py::arg("cost").noconvert(), py::arg("n_threads"),
        py::arg("simd") = std::string(), py::arg("prune") = py::none(),
        "Lloyd / (k,z) iterations in place on centers; returns (n_iter, inertia). simd and prune "
        "(tests, benchmarks): a kernel level, and pruning on/off (None: the default, with the "
        "dispatched level).");
  m.def("mean_variance", &mean_variance_py<T>, py::arg("X").noconvert(), py::arg("n_threads"),
        "Mean over features of the population variance of each column.");
  m.def("snap_to_rows", &snap_to_rows_py<T>, py::arg("X").noconvert(),
        py::arg("centers").noconvert(), py::arg("labels").noconvert(),
        py::arg("out").noconvert(), py::arg("n_threads"),
        "Row index of each center's representative.");
}

}  // namespace
}  // namespace coresample

PYBIND11_MODULE(_core, m) {
  using namespace coresample;
  m.doc() = "coresample's private C++ core; use the public coresample package instead.";

  set_interrupt_hook(&python_interrupt_hook);
  set_progress_hook(&python_progress_hook);
  install_fork_guard();
  m.def("set_progress", &set_progress_py, py::arg("callback"),
        "This thread's progress callback(phase, done, total) for k-means++ centers and Lloyd "
        "iterations, or None; a callback that raises stops the computation.");
  // Interrupted means the hook saw PyErr_CheckSignals fail: the Python error (KeyboardInterrupt,
  // or whatever the signal handler raised) is already set; keep it, or raise KeyboardInterrupt.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Interrupted&) {
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });

  def_typed<float>(m);
  def_typed<double>(m);

  m.def("sensitivities", &sensitivities_py, py::arg("cost").noconvert(),
        py::arg("labels").noconvert(), py::arg("center_losses").noconvert(),
        py::arg("n_clusters"), py::arg("lam"), py::arg("sample_weight").noconvert(),
        py::arg("method"), py::arg("defensive"), py::arg("out").noconvert(), py::arg("n_threads"),
        "Sampling probabilities p from costs, labels and (optional) center losses.");
  m.def("sensitivity_probabilities", &sensitivity_probabilities_py,
        py::arg("masses").noconvert(), py::arg("sample_weight").noconvert(), py::arg("S"),
        py::arg("U"), py::arg("defensive"), py::arg("out").noconvert(), py::arg("n_threads"),
        "p from masses and the whole dataset's S and U, with the defensive uniform share.");
  m.def("sensitivity_masses", &sensitivity_masses_py, py::arg("cost").noconvert(),
        py::arg("labels").noconvert(), py::arg("center_losses").noconvert(),
        py::arg("n_clusters"), py::arg("lam"), py::arg("sample_weight").noconvert(),
        py::arg("method"), py::arg("a"), py::arg("cluster_size").noconvert(), py::arg("phi"),
        py::arg("out").noconvert(), py::arg("n_threads"),
        "Unnormalised masses u v of a run of rows, from the whole dataset's totals.");
  m.def("sample_with_replacement", &sample_with_replacement_py, py::arg("p").noconvert(),
        py::arg("size"), py::arg("seed"), py::arg("indices").noconvert(),
        py::arg("weights").noconvert(), py::arg("n_threads"),
        "Inverse-CDF draws from p with Hansen-Hurwitz weights; checks p (ValueError).");
  m.def("sample_without_replacement", &sample_without_replacement_py, py::arg("p").noconvert(),
        py::arg("size"), py::arg("seed"), py::arg("stream"), py::arg("indices").noconvert(),
        py::arg("weights").noconvert(), py::arg("n_threads"),
        "Exponential-key sample of distinct rows with Horvitz-Thompson weights; checks p and size.");
  m.def("random_uint64", &random_uint64_py, py::arg("seed"), py::arg("stream"), py::arg("start"),
        py::arg("out").noconvert(), "Test hook: out[i] = draw(seed, stream, start + i).");
  m.def("log_unit", &log_unit_py, py::arg("u").noconvert(), py::arg("out").noconvert(),
        "Test hook: the core's log_unit applied elementwise.");
  m.def("simd_level", [] { return std::string(simd_level_name(kernels().level)); },
        "The kernel level in use (CORESAMPLE_SIMD if supported, else the best).");
  m.def("available_simd_levels", &available_simd_levels_py,
        "Kernel levels usable on this CPU with this build.");
  m.def("has_openmp", &has_openmp, "Whether the core was built with OpenMP.");
  m.def("last_lloyd_rows_evaluated", &last_lloyd_rows_evaluated,
        "Rows the last lloyd() on this thread ranked against the centers, over all its passes.");
  m.def("max_threads", &max_threads, "OpenMP's default team size (all allowed cores).");
  m.def("default_threads", &default_threads,
        "Threads used when n_threads=0: max_threads() less the cores other processes are busy on "
        "now (Linux), at least 1.");
  m.def("cores_busy_elsewhere", &cores_busy_elsewhere,
        "Cores other processes are running on now (Linux /proc; -1 where unknown).");
  m.def("forked_after_team", &threads_unsafe_after_fork,
        "Whether this is a child forked after the parent started a GNU OpenMP team: the core "
        "then runs single-threaded (fork_guard.h).");
}
