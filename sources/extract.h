// Safe extraction of release archives (.tgz, .tar.gz, .tar) with libarchive.
//
// Release archives come from the network and are hostile until proven otherwise. Extraction
// refuses, naming the archive and the entry: absolute paths, `..` components, symbolic and hard
// links, device nodes, FIFOs and sockets, duplicate entries, more than `max_entries` entries, a
// file over `max_file_bytes`, more than `max_total_bytes` in all, and an uncompressed/compressed
// ratio over `max_ratio` (a bomb); corrupt or truncated input is an error too. Nothing is ever
// written outside `dest`: entries are created below it with O_NOFOLLOW/O_EXCL semantics, and on
// any error everything written so far is removed. Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sources/error.h"

namespace cairn::sources {

struct ExtractLimits {
  std::uint64_t max_entries = 10'000;
  std::uint64_t max_file_bytes = 256ull << 20;
  std::uint64_t max_total_bytes = 1ull << 30;
  std::uint64_t max_ratio = 200;  // uncompressed bytes per compressed byte (checked past 1 MiB)
  std::size_t max_path_bytes = 1024;
};

struct ExtractedEntry {
  std::string path;  // relative, '/'-separated, no trailing '/'
  bool directory = false;
  std::uint64_t size = 0;
};

// Unpacks `archive` into `dest`, which must not exist yet (it is created; its parent must
// exist). `name` is how errors name the archive (e.g. the asset file name). Errors are
// kHostileArchive for rule violations and corrupt data, kIo for local failures.
Result<std::vector<ExtractedEntry>> extract_archive(const std::filesystem::path& archive,
                                                    const std::filesystem::path& dest,
                                                    std::string_view name,
                                                    const ExtractLimits& limits = {});
// The same for an archive held in memory (fuzzing, OCI layers already read).
Result<std::vector<ExtractedEntry>> extract_archive_memory(std::string_view data,
                                                           const std::filesystem::path& dest,
                                                           std::string_view name,
                                                           const ExtractLimits& limits = {});

}  // namespace cairn::sources
