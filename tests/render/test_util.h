// Small helpers shared by the render tests: fixture files, the public
// conformance vectors, JSON test data, scratch chart trees and a fake
// *semver.Version object. Header-only, so every per-component test
// executable can use it; a helper whose component is not linked simply goes
// unused.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "render/codec.h"
#include "render/func.h"
#include "render/value.h"
#include "tests/common/files.h"

namespace cairn::render::testing {

// The whole file at `path` (binary); the test fails when it cannot be read.
using ::cairn::testing::read_file;

// shared/fixtures/template-vectors/public.jsonl.
inline std::string public_vectors_path() {
  return std::string(CAIRN_SHARED_DIR) + "/fixtures/template-vectors/public.jsonl";
}

// "line N: got ... / want ..." for the first differing line, to keep a
// failure readable on a long manifest.
inline std::string first_difference(const std::string& got, const std::string& want) {
  std::istringstream g(got), w(want);
  std::string gl, wl;
  for (int line = 1;; ++line) {
    const bool has_g = static_cast<bool>(std::getline(g, gl));
    const bool has_w = static_cast<bool>(std::getline(w, wl));
    if (!has_g && !has_w) return "outputs differ only in the final newline";
    if (!has_g) return "line " + std::to_string(line) + ": output ends, want \"" + wl + "\"";
    if (!has_w) return "line " + std::to_string(line) + ": extra output \"" + gl + "\"";
    if (gl != wl) {
      return "line " + std::to_string(line) + ":\n  got  \"" + gl + "\"\n  want \"" + wl + "\"";
    }
  }
}

// Data as the vectors define it: decoded JSON (codec), numbers float64.
inline Value json_data(const std::string& json) {
  auto v = json_decode(json);
  REQUIRE(v);
  return *v;
}

// A fresh directory <build>/<suite>/<name> holding `files` (path, content).
using FileList = std::vector<std::pair<std::string, std::string>>;
inline std::filesystem::path write_tree(const std::string& suite, const std::string& name,
                                        const FileList& files) {
  const std::filesystem::path root = std::filesystem::path(CAIRN_BINARY_DIR) / suite / name;
  std::filesystem::remove_all(root);
  for (const auto& [path, data] : files) ::cairn::testing::write_file(root / path, data);
  return root;
}

// A *semver.Version-like object that prints as 1.2.3.
class FakeVersion : public Object {
 public:
  std::string type_name() const override { return "*semver.Version"; }
  std::string kind_name() const override { return "ptr"; }
  std::optional<Value> field(std::string_view) const override { return std::nullopt; }
  std::string format(bool) const override { return "1.2.3"; }
  Value to_data() const override { return Value("1.2.3"); }
};
inline Value fake_version() {
  return Value(std::shared_ptr<const Object>(std::make_shared<FakeVersion>()));
}

}  // namespace cairn::render::testing
