// Registers the pthread_atfork child handler of fork_guard.h.
#include "fork_guard.h"

#include <mutex>

#if defined(CORESAMPLE_HAVE_OPENMP)
#include <omp.h>
#endif
#if defined(CORESAMPLE_HAVE_OPENMP) && defined(_LIBGOMP_OMP_LOCK_DEFINED) && \
    (defined(__unix__) || defined(__APPLE__))
#define CORESAMPLE_FORK_GUARD 1
#include <pthread.h>
#endif

namespace coresample {

#ifdef CORESAMPLE_FORK_GUARD
namespace {
// Runs in the child right after fork(): only async-signal-safe work (two atomic stores).
void mark_child() {
  if (g_team_started.load(std::memory_order_relaxed)) {
    g_forked_after_team.store(true, std::memory_order_relaxed);
  }
}
}  // namespace

void install_fork_guard() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, &mark_child); });
}
#else
void install_fork_guard() {}
#endif

}  // namespace coresample
