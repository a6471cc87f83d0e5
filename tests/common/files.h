// Test helpers for whole files: read one, or write one (with its parent directories), byte for
// byte. Header-only and free of Catch2, so they may also run on a test's own threads.
//
// read_file and write_file throw std::runtime_error naming the path when the file cannot be
// read or written: a test fails with that message instead of going on with empty content.
// try_read_file is for a file that may be missing. Thread-safe for distinct paths.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cairn::testing {

// The whole file at `path`; nullopt when it cannot be opened.
inline std::optional<std::string> try_read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The whole file at `path`.
inline std::string read_file(const std::filesystem::path& path) {
  auto text = try_read_file(path);
  if (!text) throw std::runtime_error("cannot read " + path.string());
  return std::move(*text);
}

// Writes `data` to `path` (replacing it), creating the parent directories first.
inline void write_file(const std::filesystem::path& path, const std::string& data) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace cairn::testing
