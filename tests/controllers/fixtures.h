// Test helpers for the public fixture charts (shared/fixtures/charts/public/<name>): their render
// options and expected output, the objects of a manifest as kubectl decodes them, and objects
// read back from the API server without what the server sets. Header-only; used by the
// controllers tests.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/chart.h"
#include "render/codec.h"
#include "tests/common/files.h"

namespace cairn::controllers::testing {

using ::cairn::testing::read_file;

// A public fixture chart: its render options and expected output.
struct Fixture {
  std::string name;
  std::filesystem::path dir;
  render::ChartRenderOptions options;
  std::string expected;
};

inline Fixture load_fixture(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(CAIRN_SHARED_DIR) / "fixtures/charts/public" / name;
  const nlohmann::json f = nlohmann::json::parse(read_file(dir / "fixture.json"));
  Fixture fixture;
  fixture.name = name;
  fixture.dir = dir;
  fixture.options.chart = (dir / f.at("chart").get<std::string>()).string();
  fixture.options.release_name = f.at("release").get<std::string>();
  fixture.options.namespace_name = f.at("namespace").get<std::string>();
  fixture.options.kube_version = f.value("kubeVersion", "");
  for (const auto& v : f.value("valuesFiles", nlohmann::json::array())) {
    fixture.options.values_files.push_back((dir / v.get<std::string>()).string());
  }
  fixture.options.include_crds = f.value("includeCRDs", false);
  fixture.options.is_upgrade = f.value("isUpgrade", false);
  fixture.options.revision = f.value("revision", 1);
  fixture.expected = read_file(dir / "expected.yaml");
  return fixture;
}

// The objects of a multi-document manifest, decoded as sigs.k8s.io/yaml decodes them (what
// kubectl and the Go operator send), as JSON.
inline std::vector<nlohmann::json> split_objects(const std::string& manifest) {
  auto documents = render::yaml_decode_all(manifest);
  if (!documents) FAIL("manifest does not decode: " << documents.error().message);
  std::vector<nlohmann::json> out;
  for (const auto& document : *documents) {
    auto text = render::json_encode(document, false);
    REQUIRE(text);
    nlohmann::json object = nlohmann::json::parse(*text);
    if (object.is_null()) continue;
    out.push_back(std::move(object));
  }
  return out;
}

// `got` without the fields the server sets, and without metadata.namespace when `expected`
// names none (the object was sent to the fixture's namespace).
inline nlohmann::json without_server_fields(nlohmann::json got, const nlohmann::json& expected) {
  nlohmann::json& metadata = got["metadata"];
  for (const char* field :
       {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}) {
    metadata.erase(field);
  }
  if (!expected["metadata"].contains("namespace")) metadata.erase("namespace");
  return got;
}

inline std::string kind_and_name(const nlohmann::json& object) {
  return object.value("apiVersion", "") + " " + object.value("kind", "") + " " +
         object["metadata"].value("name", "");
}

}  // namespace cairn::controllers::testing
