// Clock: the time source of cairn::kube, injectable so that rate limiting, retry backoff,
// token-file refresh and credential expiry are testable without real waiting.
//
// `system()` returns the process-wide real clock (thread-safe, never destroyed). A test clock
// may advance its time in `sleep_for` instead of sleeping; implementations must be thread-safe
// when shared between threads.
#pragma once

#include <chrono>

namespace cairn::kube {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual std::chrono::system_clock::time_point wall_now() = 0;
  virtual void sleep_for(std::chrono::nanoseconds duration) = 0;

  static Clock& system();
};

}  // namespace cairn::kube
