// GNU OpenMP and fork(): a child forked after the parent started an OpenMP team runs single-threaded.
//
// libgomp keeps its worker threads in a pool that fork() does not copy: the child's first parallel
// region waits forever for threads that do not exist (multiprocessing with "fork", DataLoader
// workers). The guard notes when this process starts a team; a pthread_atfork child handler then
// marks a child forked after that, and parallel_for runs its loops on the calling thread there.
// Results do not depend on the thread count, so only speed changes. LLVM's and Intel's runtimes
// re-create their pools after fork; the guard is compiled in only for libgomp.
#pragma once

#include <atomic>

namespace coresample {

/// Whether this process has started a multi-thread OpenMP team (set before the first one).
inline std::atomic<bool> g_team_started{false};
/// Whether this process is a child forked after its parent had started a team.
inline std::atomic<bool> g_forked_after_team{false};

/// Registers the pthread_atfork handler once (no-op without libgomp or off POSIX).
void install_fork_guard();

/// Whether OpenMP teams are unusable here (a libgomp child forked after the parent's team).
inline bool threads_unsafe_after_fork() {
  return g_forked_after_team.load(std::memory_order_relaxed);
}

}  // namespace coresample
