// The "stop requested?" hook that long core loops poll between blocks on the calling thread; knows no Python.
#pragma once

#include <stdexcept>

namespace coresample {

/// Thrown by the core after the hook asked it to stop; the binding turns it into KeyboardInterrupt.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("coresample: interrupted") {}
};

/// Installs the hook (nullptr: never stop). It is called only from the thread that entered the
/// core, and returns true when the computation should stop.
void set_interrupt_hook(bool (*hook)());

/// Polls the hook, at most once every few milliseconds per thread (steady clock); true means stop.
/// Once this returns true the caller must throw Interrupted: the hook may have set a Python error.
bool stop_requested();

/// Throws Interrupted if stop_requested(); for sequential loops (between iterations or centers).
void check_interrupt();

}  // namespace coresample
