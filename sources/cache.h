// Cache: the release cache under --cache-dir. Downloads become visible only complete and
// verified, and a cached release is re-verified before it is used again.
//
// Layout (one file system, so renames are atomic):
//   DIR/blobs/sha256/<hex>                 every release file, stored once by content (read-only);
//                                          releases hard-link to it, so equal assets of many
//                                          releases and feeds take the space once
//   DIR/releases/<feed key>/<tag>/         one release: its files, plus the multi-stage addon
//                                          archive unpacked next to itself as the Go operator
//                                          does (`<addon asset without .tgz>/<stage>/`)
//      .cairn-release.json                 manifest: feed, tag, files with size and sha256;
//                                          its mtime is the last use (for eviction)
//   DIR/tmp/                               downloads in progress and entries being removed
//   DIR/locks/<feed key>-<tag>.lock        flock(2) per release: one download per release
//                                          across threads and processes
//
// `get` fetches a release into DIR/tmp, checks every published digest (the feed's, and a checksum
// file in the release when there is one: sha256sum.txt, sha256sums.txt, SHA256SUMS,
// checksums.txt), test-extracts every .tgz (hostile archives are refused before anything is
// published), validates the release rules (release.h), and publishes it with one rename. A
// process killed at any point leaves either no entry or a complete one; leftovers in DIR/tmp are
// removed by `evict`. Thread-safe and safe across processes sharing DIR.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/error.h"
#include "sources/extract.h"
#include "sources/feed.h"
#include "sources/release.h"

namespace cairn::sources {

struct CacheOptions {
  std::filesystem::path dir;
  // Releases not used for this long are removed by evict().
  std::chrono::seconds max_unused{std::chrono::hours(24 * 7)};
  ExtractLimits extract_limits;
};

struct CachedRelease {
  std::filesystem::path dir;  // DIR/releases/<feed key>/<tag>
  ReleaseLayout layout;
  std::vector<ReleaseFile> files;
  bool reused = false;  // served from the cache without a download
};

struct EvictionStats {
  std::uint64_t releases = 0;    // release entries removed
  std::uint64_t blobs = 0;       // blobs no release used any more
  std::uint64_t leftovers = 0;   // abandoned temporary entries (from killed processes)
  std::uint64_t bytes = 0;       // blob bytes freed
};

class Cache {
 public:
  // Creates DIR and its subdirectories when missing.
  static Result<std::unique_ptr<Cache>> open(CacheOptions options);

  // The release `tag` of `feed`, from the cache when present and intact, else downloaded. Errors
  // carry the feed's kind (transport, rate limit, not found, ...) or kIntegrity,
  // kHostileArchive, kInvalidRelease, kIo, with the feed URL and tag in the message.
  Result<CachedRelease> get(Feed& feed, const std::string& tag);
  // The cached release, if present and intact; never downloads.
  Result<std::optional<CachedRelease>> lookup(const FeedUrl& feed, const std::string& tag);
  // Removes releases unused for longer than max_unused (skipping any another thread or process
  // holds), blobs no release links any more, and temporary leftovers older than an hour.
  Result<EvictionStats> evict();

  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  explicit Cache(CacheOptions options) : options_(std::move(options)) {}
  std::filesystem::path release_dir(const FeedUrl& feed, const std::string& tag) const;
  std::filesystem::path lock_path(const FeedUrl& feed, const std::string& tag) const;
  Result<std::optional<CachedRelease>> load(const std::string& tag,
                                            const std::filesystem::path& dir);
  Result<CachedRelease> download(Feed& feed, const std::string& tag);

  CacheOptions options_;
  // Releases verified by this process, with the (size, mtime) of each file then: a release is
  // re-hashed when first used by a process or when any of its files changed.
  std::mutex verified_mu_;
  std::unordered_map<std::string, std::vector<std::pair<std::uint64_t, std::int64_t>>> verified_;
};

}  // namespace cairn::sources
