// Backoff: the retry delays of an informer — exponential per consecutive failure, capped, with
// jitter so that many informers do not retry in lockstep. The n-th consecutive failure (n >= 1)
// waits a duration drawn uniformly from [d/2, d] with d = min(max, min * 2^(n-1)).
//
// A plain value used by one thread (the informer's watcher); the random source is a seeded
// std::mt19937 so that tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace cairn::kube::detail {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, std::uint32_t seed);

  // The delay before the next retry; counts one more consecutive failure.
  std::chrono::milliseconds next();
  // The cap d of the next delay (before jitter), without counting a failure.
  std::chrono::milliseconds ceiling() const;
  // After a success: the next failure waits about `min` again.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  int failures_ = 0;
  std::mt19937 rng_;
};

}  // namespace cairn::kube::detail
