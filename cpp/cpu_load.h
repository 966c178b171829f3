// The default thread count on a busy machine: no more threads than the cores other processes leave free.
//
// A team larger than the free cores waits at every barrier for a thread the OS has descheduled:
// with one of two cores held by another process, select with both threads took 4x its one-thread
// time (issue 17). On Linux the cores busy with other work right now are /proc/loadavg's count of
// runnable tasks (instantaneous, system wide) less this process's own threads in state R (the
// calling thread, and team threads still spinning after a region). Elsewhere nothing is known.
#pragma once

namespace coresample {

/// Cores that other processes are running on now (>= 0), or -1 where that is unknown. Read at
/// most once per 100 ms (a call costs tens of microseconds); thread-safe.
int cores_busy_elsewhere();

/// Online logical CPUs of the machine (what /proc/loadavg counts against), at least 1.
long sysconf_online_cpus();

}  // namespace coresample
