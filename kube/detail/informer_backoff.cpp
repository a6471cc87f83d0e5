#include "kube/detail/informer_backoff.h"

#include <algorithm>

namespace cairn::kube::detail {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, std::uint32_t seed)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, std::max(min, std::chrono::milliseconds(1)))),
      rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling() const {
  std::chrono::milliseconds d = min_;
  for (int i = 0; i < failures_ && d < max_; ++i) d *= 2;
  return std::min(d, max_);
}

std::chrono::milliseconds Backoff::next() {
  const std::chrono::milliseconds d = ceiling();
  ++failures_;
  std::uniform_int_distribution<std::int64_t> jitter(d.count() / 2, d.count());
  return std::chrono::milliseconds(jitter(rng_));
}

}  // namespace cairn::kube::detail
