// parallel(n, threads, work): runs work(i) for every i in [0, n) on `threads` threads, each
// taking the next index when it is free; returns when all are done. Shared by the benchmarks
// that load a server with concurrent clients.
#pragma once

#include <atomic>
#include <thread>
#include <vector>

namespace cairn::bench {

template <class F>
void parallel(int n, int threads, F work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) work(i);
    });
  }
  for (auto& t : pool) t.join();
}

}  // namespace cairn::bench
