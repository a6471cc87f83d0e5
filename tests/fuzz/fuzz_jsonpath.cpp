// Fuzz target: the kubectl JSONPath parser, evaluation against a fixed document, printing of
// results, and a CRD printer column built from the same expression.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "apiserver/jsonpath.h"
#include "apiserver/table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using cairn::apiserver::JsonPath;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  static const nlohmann::json kDocument = nlohmann::json::parse(R"({
    "kind": "Widget", "apiVersion": "example.com/v1",
    "metadata": {"name": "w", "namespace": "default", "labels": {"app.kubernetes.io/name": "w"},
                 "creationTimestamp": "2024-05-01T11:54:50Z"},
    "spec": {"replicas": 3, "ratio": 2.5, "paused": false, "list": [1, 2.5, "x", null, [4], {}],
             "big": 18446744073709551615, "neg": -9223372036854775808},
    "status": {"conditions": [{"type": "Ready", "status": "True", "message": "<ok>"},
                              {"type": "Synced", "status": "False", "lastTransitionTime":
                               "2024-05-01T11:00:00Z"}]}})");
  auto path = JsonPath::parse(text);
  if (!path) return 0;
  for (const auto& value : path->evaluate(kDocument)) {
    (void)cairn::apiserver::jsonpath_value_string(value);
  }
  // The same expression as a printer column of each type.
  cairn::apiserver::ResourceInfo info;
  info.group = "example.com";
  info.version = "v1";
  info.resource = "widgets";
  info.kind = "Widget";
  info.custom = true;
  for (const char* type : {"string", "integer", "number", "boolean", "date"}) {
    info.columns.push_back({"C", type, "", "", 0, std::string(text)});
  }
  const auto table = cairn::apiserver::make_table(
      info, {kDocument}, nlohmann::json::object(), cairn::apiserver::IncludeObject::kNone, true,
      std::chrono::system_clock::time_point(std::chrono::hours(477'000)));
  if (table["rows"][0]["cells"].size() != info.columns.size() + 1) __builtin_trap();
  return 0;
}
