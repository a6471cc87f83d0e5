// Every public fixture chart renders byte-identical to its expected.yaml.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "render/chart.h"
#include "tests/render/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::render::ChartRenderOptions;
using cairn::render::testing::first_difference;
using cairn::render::testing::read_file;

ChartRenderOptions fixture_options(const fs::path& dir) {
  const auto f = nlohmann::json::parse(read_file(dir / "fixture.json"));
  ChartRenderOptions o;
  o.chart = (dir / f.at("chart").get<std::string>()).string();
  o.release_name = f.at("release").get<std::string>();
  o.namespace_name = f.at("namespace").get<std::string>();
  o.kube_version = f.value("kubeVersion", "");
  for (const auto& v : f.value("valuesFiles", nlohmann::json::array())) {
    o.values_files.push_back((dir / v.get<std::string>()).string());
  }
  o.include_crds = f.value("includeCRDs", false);
  o.is_upgrade = f.value("isUpgrade", false);
  o.revision = f.value("revision", 1);
  return o;
}

}  // namespace

TEST_CASE("every public fixture chart renders exactly like helm template") {
  const fs::path root = fs::path(CAIRN_SHARED_DIR) / "fixtures/charts/public";
  REQUIRE(fs::is_directory(root));
  int count = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "fixture.json")) continue;
    ++count;
    const std::string name = entry.path().filename().string();
    SECTION(name) {
      const auto out = cairn::render::render_chart(fixture_options(entry.path()));
      INFO("fixture " << name);
      if (!out) FAIL("render failed: " << out.error().message);
      const std::string want = read_file(entry.path() / "expected.yaml");
      if (*out != want) FAIL("output differs at " << first_difference(*out, want));
      SUCCEED();
    }
  }
  CHECK(count == 9);
}
