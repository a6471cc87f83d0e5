// Fuzz target: release archives from untrusted feeds (sources/extract.h). Arbitrary bytes are
// unpacked with small limits to `dest` in a fresh sandbox directory; the run must end in entries
// or an Error, and either way nothing may appear outside `dest`: after a success the sandbox
// holds only `dest`, which holds only directories and regular files, each reported as an entry;
// after a failure the sandbox is empty. The sandbox is removed after each run.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "sources/extract.h"

namespace {

namespace fs = std::filesystem;

// A fresh sandbox directory for one run. (Made per run: libFuzzer ends without running atexit
// handlers, so a directory shared by all runs would be left behind.)
fs::path make_sandbox() {
  std::string tmpl = (fs::temp_directory_path() / "cairn-fuzz-extract-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) ::abort();
  return fs::path(tmpl);
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_extract: %s: %s\n", what, detail.c_str());
  ::abort();
}

// The only names directly in `dir` are `allowed` (or nothing when empty).
void expect_only(const fs::path& dir, std::string_view allowed) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() != allowed) fail("written outside the destination", e.path());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const fs::path box = make_sandbox();
  const fs::path dest = box / "dest";

  cairn::sources::ExtractLimits limits;
  limits.max_entries = 64;
  limits.max_file_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  limits.max_path_bytes = 256;
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  auto result = cairn::sources::extract_archive_memory(data, dest, "fuzz.tgz", limits);

  if (result) {
    std::uint64_t total = 0;
    for (const auto& entry : *result) {
      const fs::path p = dest / entry.path;
      if (entry.path.empty() || entry.path.front() == '/') fail("entry path", entry.path);
      for (const auto& part : fs::path(entry.path)) {
        if (part == ".." || part == ".") fail("entry path component", entry.path);
      }
      const auto type = fs::symlink_status(p).type();
      if (type != (entry.directory ? fs::file_type::directory : fs::file_type::regular)) {
        fail("entry missing or of the wrong type", entry.path);
      }
      if (!entry.directory && fs::file_size(p) != entry.size) fail("entry size", entry.path);
      total += entry.size;
    }
    if (total > limits.max_total_bytes) fail("total over the limit", std::to_string(total));
    for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator();
         ++it) {
      const auto type = it->symlink_status().type();
      if (type != fs::file_type::directory && type != fs::file_type::regular) {
        fail("neither file nor directory", it->path());
      }
    }
    expect_only(box, "dest");
  } else {
    expect_only(box, "");
  }
  fs::remove_all(box);
  return 0;
}
