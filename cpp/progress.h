// Progress reports from the core's long sequential loops (k-means++ centers, Lloyd iterations); knows no Python.
#pragma once

#include "common.h"

namespace coresample {

/// The hook: called with the phase name, the units done and the total, on the thread that entered
/// the core; returns true when the computation should stop (the binding's callback raised).
using ProgressHook = bool (*)(const char* phase, index_t done, index_t total);

/// Installs the hook (nullptr: no reports).
void set_progress_hook(ProgressHook hook);

/// Reports progress; throws Interrupted when the hook asks to stop. Call only from the thread that
/// entered the core, between units of work (never inside a parallel region).
void report_progress(const char* phase, index_t done, index_t total);

}  // namespace coresample
