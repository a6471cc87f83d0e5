// The constructors of the four feed implementations, called by open_feed (feed.cpp). Each takes
// a FeedUrl of its kind (checked by the caller) and returns a thread-safe Feed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "sources/feed.h"

namespace cairn::sources::detail {

// The counters behind Feed::stats(), updated from any thread.
struct FeedCounters {
  std::atomic<std::uint64_t> requests{0}, not_modified{0}, downloads{0}, bytes{0}, retries{0};

  FeedStats snapshot() const {
    FeedStats s;
    s.requests = requests.load(std::memory_order_relaxed);
    s.not_modified = not_modified.load(std::memory_order_relaxed);
    s.downloads = downloads.load(std::memory_order_relaxed);
    s.bytes = bytes.load(std::memory_order_relaxed);
    s.retries = retries.load(std::memory_order_relaxed);
    return s;
  }
};

Result<std::unique_ptr<Feed>> open_github_feed(const FeedUrl& url, FeedOptions options);
// The same with the interval of the forced full relist (default 10 minutes), for tests.
Result<std::unique_ptr<Feed>> open_github_feed(const FeedUrl& url, FeedOptions options,
                                               std::chrono::milliseconds full_relist_interval);
Result<std::unique_ptr<Feed>> open_oci_feed(const FeedUrl& url, FeedOptions options);
Result<std::unique_ptr<Feed>> open_git_feed(const FeedUrl& url, FeedOptions options);
Result<std::unique_ptr<Feed>> open_file_feed(const FeedUrl& url, FeedOptions options);

}  // namespace cairn::sources::detail
