// eventually(): polls a condition with a deadline, for tests whose subject works on threads of
// its own (generous limits keep them stable on a loaded machine; no tight timing asserts).
// Header-only and free of Catch2; the condition runs on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace cairn::testing {

// Polls `condition` every 10 ms until it holds or `limit` passed; the result is the last
// evaluation.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace cairn::testing
