// The example cluster stack under examples/cluster-stacks/docker-demo-1-32:
// both of its charts must render exactly as the Go reference renderer
// (shared/tools/gotpl-ref, i.e. `helm template` of helm v3.19.0) rendered
// them into expected/ - with the options of the README's `cairn render`
// commands.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "render/chart.h"
#include "tests/render/test_util.h"

namespace {

using cairn::render::testing::first_difference;
using cairn::render::testing::read_file;

const std::string kExampleDir =
    std::string(CAIRN_SOURCE_DIR) + "/examples/cluster-stacks/docker-demo-1-32";

void check_render(const cairn::render::ChartRenderOptions& opts, const std::string& expected_file) {
  const std::string want = read_file(kExampleDir + "/expected/" + expected_file);
  const auto got = cairn::render::render_chart(opts);
  if (!got) FAIL("render_chart(" << opts.chart << ") failed: " << got.error().message);
  if (*got != want) {
    FAIL(opts.chart << " renders differently from expected/" << expected_file << ", "
                    << first_difference(*got, want));
  }
  SUCCEED();
}

}  // namespace

TEST_CASE("example cluster stack: the ClusterClass chart renders as helm does", "[examples]") {
  cairn::render::ChartRenderOptions opts;
  opts.chart = kExampleDir + "/cluster-class";
  opts.release_name = "docker-demo-1-32";
  opts.namespace_name = "my-tenant";
  opts.kube_version = "v1.32.5";
  check_render(opts, "cluster-class.yaml");
}

TEST_CASE("example cluster stack: the cluster-addon chart renders as helm does", "[examples]") {
  cairn::render::ChartRenderOptions opts;
  opts.chart = kExampleDir + "/cluster-addon";
  opts.release_name = "cluster-addon";
  opts.namespace_name = "kube-system";
  opts.kube_version = "v1.32.5";
  opts.include_crds = true;
  check_render(opts, "cluster-addon.yaml");
}
