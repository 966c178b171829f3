// Progress reports: hook storage and the throwing report.
#include "progress.h"

#include <atomic>

#include "interrupt.h"

namespace coresample {

namespace {
std::atomic<ProgressHook> g_hook{nullptr};
}  // namespace

void set_progress_hook(ProgressHook hook) { g_hook.store(hook, std::memory_order_release); }

void report_progress(const char* phase, index_t done, index_t total) {
  const ProgressHook hook = g_hook.load(std::memory_order_acquire);
  if (hook != nullptr && hook(phase, done, total)) throw Interrupted();
}

}  // namespace coresample
