// Fuzz target: the three patch types. The input is a target document and a patch document
// separated by the first newline; both are read with parse_patch_body (as the server reads
// bodies), then merged with every patch type. Checks that merge patch is idempotent.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "apiserver/patch.h"

namespace {

// A pod-like schema with every list strategy, so strategic merge patch takes all its paths.
const nlohmann::json& schema() {
  static const nlohmann::json kSchema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {"spec": {"type": "object", "properties": {
      "containers": {"type": "array", "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-patch-merge-key": "name", "items": {"type": "object", "properties": {
          "env": {"type": "array", "x-kubernetes-patch-strategy": "merge",
                  "x-kubernetes-patch-merge-key": "name"},
          "args": {"type": "array"}}}},
      "volumes": {"type": "array", "x-kubernetes-patch-strategy": "merge,retainKeys",
                  "x-kubernetes-patch-merge-key": "name"},
      "set": {"type": "array", "x-kubernetes-patch-strategy": "merge"},
      "strategy": {"type": "object", "x-kubernetes-patch-strategy": "retainKeys"},
      "context": {"type": "object", "x-kubernetes-patch-strategy": "replace"},
      "selector": {"type": "object", "additionalProperties": {"type": "string"}}}}}
  })");
  return kSchema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) {
    (void)cairn::apiserver::parse_patch_body(text);
    return 0;
  }
  auto target = cairn::apiserver::parse_patch_body(text.substr(0, newline));
  auto patch = cairn::apiserver::parse_patch_body(text.substr(newline + 1));
  if (!target || !patch) return 0;

  const nlohmann::json merged = cairn::apiserver::merge_patch(*target, *patch);
  if (cairn::apiserver::merge_patch(merged, *patch) != merged) __builtin_trap();
  (void)merged.dump();

  if (auto patched = cairn::apiserver::json_patch(*target, *patch, 64 * 1024)) {
    (void)patched->dump();
  }
  for (const nlohmann::json* s : {&schema(), static_cast<const nlohmann::json*>(nullptr)}) {
    if (auto patched = cairn::apiserver::strategic_merge_patch(*target, *patch, s)) {
      if (!patched->is_object()) __builtin_trap();
      (void)patched->dump();
    }
  }
  return 0;
}
