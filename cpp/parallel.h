// OpenMP loop over independent work items (row blocks, centers): interrupt polling, stop flag, first exception rethrown.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>
#include <vector>

#include "common.h"
#include "cpu_load.h"
#include "fork_guard.h"
#include "interrupt.h"

#ifdef CORESAMPLE_HAVE_OPENMP
#include <omp.h>
#endif

namespace coresample {

/// True when the core was built with OpenMP.
inline bool has_openmp() {
#ifdef CORESAMPLE_HAVE_OPENMP
  return true;
#else
  return false;
#endif
}

/// OpenMP's default team size (omp_get_max_threads()), 1 without OpenMP or where teams are
/// unusable after fork (fork_guard.h).
inline int max_threads() {
#ifdef CORESAMPLE_HAVE_OPENMP
  return threads_unsafe_after_fork() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

/// The team for n_threads=0: OpenMP's default, but no more than the online cores that other
/// processes leave free now (cpu_load.h), and at least 1. Speed only: results never depend on it.
inline int default_threads() {
  const int all = max_threads();
  if (all <= 1) return all;
  const int busy = cores_busy_elsewhere();
  if (busy <= 0) return all;
  const long online = sysconf_online_cpus();
  const long free = online - busy;
  return free >= all ? all : (free < 1 ? 1 : static_cast<int>(free));
}

/// n_threads as given by the caller: 0 means the default team (default_threads); negative is a
/// broken contract.
inline int resolve_threads(int n_threads) {
  CORESAMPLE_CHECK(n_threads >= 0, "n_threads must be >= 0, got " + std::to_string(n_threads));
  return n_threads == 0 ? default_threads() : n_threads;
}

/// Work (element operations) below which a loop runs on the calling thread alone. Waking the team
/// costs microseconds on an idle machine but up to a scheduler time slice (milliseconds) when the
/// other cores are busy, so loops shorter than about a millisecond of work are not worth it.
constexpr double kMinParallelWork = 4.0e6;

/// n_threads for a loop of `work` element operations: 1 below kMinParallelWork. Results never depend
/// on the thread count, so this changes speed only.
inline int threads_for_work(int n_threads, double work) {
  return work < kMinParallelWork ? 1 : n_threads;
}

/// The calling thread's kernel scratch (one per element type T) of at least `size` elements. It lives as long as the
/// thread (OpenMP keeps its pool), so a block allocates nothing once a thread has seen this d.
template <class T>
T* thread_workspace(index_t size) {
  static thread_local std::vector<T> work;
  if (work.size() < static_cast<size_t>(size)) work.resize(static_cast<size_t>(size));
  return work.data();
}

/// Calls fn(i) for every i in [0, n_items), in parallel on up to n_threads threads.
///
/// Results must not depend on which thread ran which item: fn writes only its own item's outputs
/// (per-block partial sums are combined by the caller in item order). The calling thread (OpenMP
/// thread 0) polls the interrupt hook before each item it takes; when the hook says stop, or when
/// fn throws, a shared flag makes every thread skip its remaining items. No exception leaves the
/// OpenMP region: the first one is captured and rethrown after it, then Interrupted if polled.
template <class F>
void parallel_for(index_t n_items, int n_threads, F&& fn) {
  if (n_items <= 0) return;
  int nt = resolve_threads(n_threads);
  if (static_cast<index_t>(nt) > n_items) nt = static_cast<int>(n_items);
  bool interrupted = false;
#ifdef CORESAMPLE_HAVE_OPENMP
  if (nt > 1 && !threads_unsafe_after_fork()) {
    g_team_started.store(true, std::memory_order_relaxed);
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::mutex error_mutex;
#pragma omp parallel num_threads(nt)
    {
      // Thread 0 of the team is the thread that entered the core (no nested regions here).
      const bool caller = omp_get_thread_num() == 0;
#pragma omp for schedule(dynamic, 1)
      for (index_t i = 0; i < n_items; ++i) {
        if (stop.load(std::memory_order_relaxed)) continue;
        if (caller && stop_requested()) {
          interrupted = true;
          stop.store(true, std::memory_order_relaxed);
          continue;
        }
        try {
          fn(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          stop.store(true, std::memory_order_relaxed);
        }
      }
    }
    if (error) std::rethrow_exception(error);
    if (interrupted) throw Interrupted();
    return;
  }
#endif
  (void)nt;
  for (index_t i = 0; i < n_items; ++i) {
    if (stop_requested()) {
      interrupted = true;
      break;
    }
    fn(i);
  }
  if (interrupted) throw Interrupted();
}

}  // namespace coresample
