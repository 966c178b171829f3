// The interrupt hook: storage, rate-limited polling and the throwing check.
#include "interrupt.h"

#include <atomic>
#include <chrono>

namespace coresample {

namespace {

std::atomic<bool (*)()> g_hook{nullptr};

// The hook may take a lock (the binding's takes the GIL), so calls are spaced by this much.
constexpr std::chrono::milliseconds kPollInterval{5};

}  // namespace

void set_interrupt_hook(bool (*hook)()) { g_hook.store(hook, std::memory_order_release); }

bool stop_requested() {
  bool (*hook)() = g_hook.load(std::memory_order_acquire);
  if (hook == nullptr) return false;
  thread_local std::chrono::steady_clock::time_point last_poll{};
  const auto now = std::chrono::steady_clock::now();
  if (last_poll != std::chrono::steady_clock::time_point{} && now - last_poll < kPollInterval) {
    return false;
  }
  last_poll = now;
  return hook();
}

void check_interrupt() {
  if (stop_requested()) throw Interrupted();
}

}  // namespace coresample
