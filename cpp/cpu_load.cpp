// cores_busy_elsewhere() of cpu_load.h, from /proc on Linux.
#include "cpu_load.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>

#if defined(__linux__)
#include <dirent.h>
#include <unistd.h>
#endif

namespace coresample {

#if defined(__linux__)
namespace {

// The 4th field of /proc/loadavg: "running/total" scheduling entities, running included ours.
int runnable_tasks() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double a, b, c;
  int running = -1, total = 0;
  if (std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total) != 5) running = -1;
  std::fclose(f);
  return running;
}

// This process's threads whose state (the field after the parenthesised name) is R.
int own_running_threads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int running = 0;
  char path[300];  // "/proc/self/task/" + a 255-byte name
  char line[512];
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::snprintf(path, sizeof(path), "/proc/self/task/%s/stat", entry->d_name);
    std::FILE* f = std::fopen(path, "r");
    if (f == nullptr) continue;  // the thread ended meanwhile
    const size_t got = std::fread(line, 1, sizeof(line) - 1, f);
    std::fclose(f);
    line[got] = '\0';
    const char* close = std::strrchr(line, ')');
    if (close != nullptr && close[1] == ' ' && close[2] == 'R') ++running;
  }
  closedir(dir);
  return running;
}

}  // namespace

int cores_busy_elsewhere() {
  using Clock = std::chrono::steady_clock;
  static std::atomic<long long> last_read{-1};  // ms since the clock's epoch, -1: never
  static std::atomic<int> last_value{-1};
  const long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now().time_since_epoch()).count();
  const long long then = last_read.load(std::memory_order_relaxed);
  if (then >= 0 && now - then < 100) return last_value.load(std::memory_order_relaxed);
  const int all = runnable_tasks();
  const int ours = own_running_threads();
  const int busy = (all < 0 || ours < 0) ? -1 : (all > ours ? all - ours : 0);
  last_value.store(busy, std::memory_order_relaxed);
  last_read.store(now, std::memory_order_relaxed);
  return busy;
}

long sysconf_online_cpus() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n;
}

#else

int cores_busy_elsewhere() { return -1; }

long sysconf_online_cpus() { return 1; }

#endif

}  // namespace coresample
