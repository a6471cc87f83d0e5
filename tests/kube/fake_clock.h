// A fake kube::Clock for tests: time stands still until the test advances it, and
// sleep_for advances it instantly while recording the requested durations. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "kube/clock.h"

namespace cairn::kube::testing {

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override {
    std::lock_guard lock(mu_);
    return std::chrono::steady_clock::time_point{} + std::chrono::hours(1) + offset_;
  }
  std::chrono::system_clock::time_point wall_now() override {
    std::lock_guard lock(mu_);
    return wall_base_ + offset_;
  }
  void sleep_for(std::chrono::nanoseconds d) override {
    std::lock_guard lock(mu_);
    if (d.count() <= 0) return;
    offset_ += d;
    sleeps_.push_back(d);
  }
  // The wall time at offset 0 (default: late 2025; tests that check timestamps set it).
  void set_wall_base(std::chrono::system_clock::time_point base) {
    std::lock_guard lock(mu_);
    wall_base_ = base;
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    offset_ += d;
  }
  std::vector<std::chrono::nanoseconds> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  std::chrono::nanoseconds total_slept() {
    std::lock_guard lock(mu_);
    std::chrono::nanoseconds sum{0};
    for (auto d : sleeps_) sum += d;
    return sum;
  }

 private:
  std::mutex mu_;
  std::chrono::nanoseconds offset_{0};
  std::chrono::system_clock::time_point wall_base_ =
      std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace cairn::kube::testing
