// Fuzz target: the text files of a release from untrusted feeds (sources/release.h). The same
// bytes go to the metadata.yaml, clusteraddon.yaml and node-images.yaml parsers; each must end in
// a value or an Error, never throw or crash, and what they accept must keep the rules: versions
// print and parse back unchanged, stage names are plain directory names with a valid action, and
// everything serialises to JSON (which refuses invalid UTF-8).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "sources/release.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_release_metadata: %s: %s\n", what, detail.c_str());
  std::abort();
}

void expect_dot_round_trip(const cairn::api::Version& v) {
  auto again = cairn::api::Version::parse_dot(v.dot());
  if (!again || !(*again == v)) fail("version does not round-trip", v.dot());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  try {
    if (auto m = cairn::sources::parse_metadata(text)) {
      expect_dot_round_trip(m->cluster_stack);
      expect_dot_round_trip(m->cluster_addon);
      if (m->node_image) expect_dot_round_trip(*m->node_image);
      (void)nlohmann::json(m->api_version).dump();
    } else {
      (void)nlohmann::json(m.error().message).dump();
    }
    if (auto c = cairn::sources::parse_clusteraddon(text)) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& [hook, stages] : c->addon_stages) {
        for (const auto& stage : stages) {
          if (stage.name.empty() || stage.name.find('/') != std::string::npos ||
              stage.name.find("..") != std::string::npos) {
            fail("unsafe stage name", stage.name);
          }
          if (stage.action != "apply" && stage.action != "delete") fail("action", stage.action);
          all.push_back({hook, stage.name});
          for (const auto* wait : {&stage.wait_for_pre_condition, &stage.wait_for_post_condition}) {
            if (*wait) all.push_back({(*wait)->objects, (*wait)->conditions});
          }
        }
      }
      (void)all.dump();
    } else {
      (void)nlohmann::json(c.error().message).dump();
    }
    if (auto n = cairn::sources::parse_node_images(text)) {
      if (!n->is_object()) fail("node images not an object", n->dump());
      (void)n->dump();
    } else {
      (void)nlohmann::json(n.error().message).dump();
    }
  } catch (const std::exception& e) {
    fail("exception escaped", e.what());
  }
  return 0;
}
