// The content rules of a release (release.h): metadata.yaml, clusteraddon.yaml and
// node-images.yaml parsing, and validate_release on release directories built from the chart
// fixtures (exact chart names, chart directories, addon values, multi-stage addon stages).
#include "sources/release.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "sources/extract.h"
#include "tests/common/files.h"
#include "tests/common/temp_dir.h"
#include "tests/sources/archive_writer.h"

using namespace cairn::sources;
using cairn::api::ReleaseTag;
using cairn::api::Version;
using cairn::testing::ArchiveWriter;
using cairn::testing::read_file;
using cairn::testing::TempDir;
using cairn::testing::write_file;
namespace fs = std::filesystem;

namespace {

const fs::path kCharts = fs::path(CAIRN_SHARED_DIR) / "fixtures/charts/public";

const char* const kMetadata = R"(apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1
versions:
  clusterStack: v1
  kubernetes: v1.30.4
  components:
    clusterAddon: v2
    nodeImage: v1
)";

const char* const kAddonConfig = R"(apiVersion: clusteraddonconfig.x-k8s.io/v1alpha1
clusterAddonVersion: clusteraddons.clusterstack.x-k8s.io/v1alpha1
addonStages:
  AfterControlPlaneInitialized:
    - name: ccm
      action: apply
    - name: metrics-server
      action: apply
  BeforeClusterUpgrade:
    - name: metrics-server
      action: apply
      waitForPreCondition:
        objects:
          - key: ms
            apiVersion: apps/v1
            kind: Deployment
            name: metrics-server
            namespace: kube-system
        conditions: ms.status.readyReplicas == ms.spec.replicas
      waitForPostCondition:
        objects:
          - key: node
            apiVersion: v1
            kind: Node
            name: worker-0
        conditions: "true"
)";

// A release directory of docker-scs-1-30 (the stack of the cc-docker-scs fixture) built from the
// chart fixtures; each test changes what it is about.
struct ReleaseDir {
  TempDir dir{"cairn-release"};
  ReleaseTag tag;

  explicit ReleaseDir(const std::string& tag_text = "docker-scs-1-30-v1")
      : tag(ReleaseTag::parse(tag_text).value()) {}

  fs::path path() const { return dir.path(); }
  void file(const std::string& name, const std::string& text) const {
    write_file(dir / name, text);
  }

  // The cluster-class chart (fixture cc-docker-scs) as `name`.tgz.
  void class_chart(const std::string& name) const {
    ArchiveWriter w(dir / name);
    w.tree(kCharts / "cc-docker-scs/chart", "docker-scs-1-30-cluster-class");
    w.close();
  }
  // A single-chart addon (fixture addon-docker-metrics-server) as `name`.
  void addon_chart(const std::string& name) const {
    ArchiveWriter w(dir / name);
    w.tree(kCharts / "addon-docker-metrics-server/chart", "docker-scs-1-30-cluster-addon");
    w.close();
  }
  // A multi-stage addon archive: one chart directory per stage at its root.
  void staged_addon_chart(const std::string& name) const {
    ArchiveWriter w(dir / name);
    w.tree(kCharts / "addon-openstack-ccm/chart", "ccm");
    w.tree(kCharts / "addon-docker-metrics-server/chart", "metrics-server");
    w.close();
  }

  // metadata.yaml, both charts and cluster-addon-values.yaml: a valid single-chart release.
  void make_good() const {
    file("metadata.yaml", kMetadata);
    class_chart("docker-scs-1-30-cluster-class-v1.tgz");
    addon_chart("docker-scs-1-30-cluster-addon-v2.tgz");
    fs::copy_file(kCharts / "addon-docker-metrics-server/cluster-addon-values.yaml",
                  dir / "cluster-addon-values.yaml");
  }

  Error refused() const {
    auto r = validate_release(path(), tag);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kInvalidRelease);
    return r.error();
  }
};

std::string metadata_error(const std::string& yaml) {
  auto r = parse_metadata(yaml);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kInvalidRelease);
  return r.error().message;
}

std::string addon_error(const std::string& yaml) {
  auto r = parse_clusteraddon(yaml);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kInvalidRelease);
  return r.error().message;
}

}  // namespace

TEST_CASE("metadata.yaml with every key parses into versions") {
  auto m = parse_metadata(kMetadata);
  REQUIRE(m);
  CHECK(m->api_version == "metadata.clusterstack.x-k8s.io/v1alpha1");
  CHECK(m->cluster_stack == Version(1));
  CHECK(m->kubernetes.str() == "v1.30.4");
  CHECK(m->cluster_addon == Version(2));
  REQUIRE(m->node_image);
  CHECK(*m->node_image == Version(1));

  auto hashed = parse_metadata(R"(versions:
  clusterStack: v0-sha.hipstsw
  kubernetes: v1.28.6
  components: {clusterAddon: v0-sha.hipstsw}
)");
  REQUIRE(hashed);
  CHECK(hashed->cluster_stack.dot() == "v0-sha.hipstsw");
  CHECK(hashed->api_version.empty());
  CHECK_FALSE(hashed->node_image);
}

TEST_CASE("broken metadata.yaml variants are refused naming the key") {
  using Catch::StartsWith;
  CHECK_THAT(metadata_error(""), StartsWith("metadata.yaml: empty; expected a mapping"));
  CHECK_THAT(metadata_error("- a\n- b\n"),
             StartsWith("metadata.yaml: expected a mapping with apiVersion and versions, not a "
                        "list"));
  CHECK_THAT(metadata_error("versions: [unclosed\n"),
             StartsWith("metadata.yaml: not valid YAML at line "));
  CHECK_THAT(metadata_error("apiVersion: x\n"), StartsWith("metadata.yaml: versions: missing"));
  CHECK_THAT(metadata_error("versions: v1\n"),
             StartsWith("metadata.yaml: versions: must be a mapping, not a string"));
  CHECK_THAT(metadata_error("apiVersion: {a: 1}\nversions: {}\n"),
             StartsWith("metadata.yaml: apiVersion: must be a string, not a mapping"));
  CHECK_THAT(metadata_error("versions:\n  kubernetes: v1.27.3\n  components: {clusterAddon: v1}\n"),
             StartsWith("metadata.yaml: versions.clusterStack: missing"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: \"\"\n  kubernetes: v1.27.3\n"
                            "  components: {clusterAddon: v1}\n"),
             StartsWith("metadata.yaml: versions.clusterStack: must not be empty"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: 3\n  kubernetes: v1.27.3\n"
                            "  components: {clusterAddon: v1}\n"),
             StartsWith("metadata.yaml: versions.clusterStack: invalid cluster stack version "
                        "\"3\""));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: {major: 3}\n"),
             StartsWith("metadata.yaml: versions.clusterStack: must be a string, not a mapping"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  components: {clusterAddon: v1}\n"),
             StartsWith("metadata.yaml: versions.kubernetes: missing"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  kubernetes: \"1.27\"\n"
                            "  components: {clusterAddon: v1}\n"),
             StartsWith("metadata.yaml: versions.kubernetes: invalid Kubernetes version "
                        "\"1.27\""));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  kubernetes: v1.27.3\n"),
             StartsWith("metadata.yaml: versions.components: missing"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  kubernetes: v1.27.3\n"
                            "  components: {nodeImage: v3}\n"),
             StartsWith("metadata.yaml: versions.components.clusterAddon: missing"));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  kubernetes: v1.27.3\n"
                            "  components: {clusterAddon: two}\n"),
             StartsWith("metadata.yaml: versions.components.clusterAddon: invalid cluster stack "
                        "version \"two\""));
  CHECK_THAT(metadata_error("versions:\n  clusterStack: v3\n  kubernetes: v1.27.3\n"
                            "  components: {clusterAddon: v1, nodeImage: latest}\n"),
             StartsWith("metadata.yaml: versions.components.nodeImage: invalid cluster stack "
                        "version \"latest\""));
  CHECK(metadata_error("versions:\n  clusterStack: v3\n  clusterStack: v4\n  kubernetes: "
                       "v1.27.3\n  components: {clusterAddon: v1}\n") ==
        "metadata.yaml: versions.clusterStack: given twice");
}

TEST_CASE("strings that are not valid UTF-8 are refused, and messages stay valid UTF-8") {
  CHECK(metadata_error("apiVersion: \"\xff\"\nversions: {}\n") ==
        "metadata.yaml: apiVersion: not valid UTF-8");
  // An over-long version is quoted cut at 64 bytes, which would split a two-byte character
  // here: the cut backs up to the character's start.
  const std::string cut = metadata_error("versions:\n  clusterStack: v1-" + std::string(60, 'x') +
                                         "\xc3\xa9\xc3\xa9\n");
  CHECK_THAT(cut, Catch::StartsWith("metadata.yaml: versions.clusterStack: invalid cluster stack "
                                    "version \"v1-"));
  CHECK_THAT(cut, Catch::Contains(std::string(60, 'x') + "\"..."));
  CHECK_NOTHROW(nlohmann::json(cut).dump());
  CHECK(addon_error("addonStages:\n  \"\xc3\x28\": []\n") ==
        "clusteraddon.yaml: addonStages: hook names must be non-empty UTF-8 strings");
  auto images = parse_node_images("images:\n  - \"ok\"\n  - \"\xed\xa0\x80\"\n");
  REQUIRE_FALSE(images);
  CHECK(images.error().message == "node-images.yaml: images[1]: not valid UTF-8");
  auto fine = parse_node_images("name: caf\xc3\xa9\n");
  REQUIRE(fine);
  CHECK((*fine)["name"] == "caf\xc3\xa9");
}

TEST_CASE("a valid single-chart release validates with exact chart names") {
  ReleaseDir r;
  r.make_good();
  r.file("node-images.yaml", "dockerImages:\n  - controlplaneamd64\n  - workeramd64\n");
  auto layout = validate_release(r.path(), r.tag);
  REQUIRE(layout);
  CHECK(layout->tag == r.tag);
  CHECK(layout->metadata.cluster_addon == Version(2));
  CHECK(layout->cluster_class_chart == "docker-scs-1-30-cluster-class-v1.tgz");
  CHECK(layout->cluster_addon_chart == "docker-scs-1-30-cluster-addon-v2.tgz");
  CHECK(layout->has_cluster_addon_values);
  CHECK_FALSE(layout->addon_config);
  REQUIRE(layout->node_images);
  CHECK(*layout->node_images ==
        nlohmann::json::parse(R"({"dockerImages": ["controlplaneamd64", "workeramd64"]})"));
}

TEST_CASE("the fixture chart packed into a release unpacks to the fixture's files") {
  ReleaseDir r;
  r.make_good();
  TempDir out;
  auto entries = extract_archive(r.dir / "docker-scs-1-30-cluster-class-v1.tgz", out / "chart",
                                 "docker-scs-1-30-cluster-class-v1.tgz");
  REQUIRE(entries);
  const fs::path fixture = kCharts / "cc-docker-scs/chart";
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fixture)) {
    if (!e.is_regular_file()) continue;
    ++files;
    const fs::path rel = fs::relative(e.path(), fixture);
    CHECK(read_file(out / "chart/docker-scs-1-30-cluster-class" / rel) == read_file(e.path()));
  }
  CHECK(files >= 8);
}

TEST_CASE("metadata clusterStack must equal the release tag's version") {
  ReleaseDir r;
  r.make_good();
  r.file("metadata.yaml",
         "versions:\n  clusterStack: v2\n  kubernetes: v1.30.4\n"
         "  components: {clusterAddon: v2}\n");
  CHECK(r.refused().message ==
        "metadata.yaml: versions.clusterStack: v2 does not match the release tag "
        "docker-scs-1-30-v1 (version v1); the Go operator did not check this, cairn does: fix "
        "metadata.yaml or publish the release under the matching tag");
}

TEST_CASE("metadata kubernetes must be on the release tag's Kubernetes line") {
  ReleaseDir r;
  r.make_good();
  r.file("metadata.yaml",
         "versions:\n  clusterStack: v1\n  kubernetes: v1.31.2\n"
         "  components: {clusterAddon: v2}\n");
  CHECK(r.refused().message ==
        "metadata.yaml: versions.kubernetes: v1.31.2 is not on the Kubernetes line 1.30 of the "
        "release tag docker-scs-1-30-v1; Clusters of this stack would get the wrong version");
}

TEST_CASE("chart names match exactly: v1 never takes the v10 chart and v10 never the v1 chart") {
  SECTION("release v1 with only the v10 chart") {
    ReleaseDir r;
    r.make_good();
    fs::rename(r.dir / "docker-scs-1-30-cluster-class-v1.tgz",
               r.dir / "docker-scs-1-30-cluster-class-v10.tgz");
    CHECK(r.refused().message ==
          "cluster-class chart docker-scs-1-30-cluster-class-v1.tgz: missing from the release (as "
          "that file or as a chart directory docker-scs-1-30-cluster-class-v1/); it has "
          "docker-scs-1-30-cluster-class-v10.tgz, which chart names must match exactly");
  }
  SECTION("release v10 with only the v1 chart") {
    ReleaseDir r("docker-scs-1-30-v10");
    r.make_good();
    r.file("metadata.yaml",
           "versions:\n  clusterStack: v10\n  kubernetes: v1.30.4\n"
           "  components: {clusterAddon: v2}\n");
    CHECK_THAT(r.refused().message,
               Catch::StartsWith("cluster-class chart docker-scs-1-30-cluster-class-v10.tgz: "
                                 "missing from the release"));
  }
  SECTION("both present: each release takes its own") {
    ReleaseDir r;
    r.make_good();
    r.class_chart("docker-scs-1-30-cluster-class-v10.tgz");
    r.class_chart("docker-scs-1-30-cluster-class-v1.tgz.bak");
    auto layout = validate_release(r.path(), r.tag);
    REQUIRE(layout);
    CHECK(layout->cluster_class_chart == "docker-scs-1-30-cluster-class-v1.tgz");
  }
  SECTION("the addon chart follows metadata clusterAddon, exactly") {
    ReleaseDir r;
    r.make_good();
    fs::rename(r.dir / "docker-scs-1-30-cluster-addon-v2.tgz",
               r.dir / "docker-scs-1-30-cluster-addon-v20.tgz");
    CHECK(r.refused().message ==
          "cluster-addon chart docker-scs-1-30-cluster-addon-v2.tgz: missing from the release (as "
          "that file or as a chart directory docker-scs-1-30-cluster-addon-v2/); it has "
          "docker-scs-1-30-cluster-addon-v20.tgz, which chart names must match exactly "
          "(metadata.yaml versions.components.clusterAddon is v2)");
  }
}

TEST_CASE(
    "a chart directory named like the asset without .tgz is accepted when it holds "
    "Chart.yaml") {
  ReleaseDir r;
  r.make_good();
  fs::remove(r.dir / "docker-scs-1-30-cluster-class-v1.tgz");
  fs::copy(kCharts / "cc-docker-scs/chart", r.dir / "docker-scs-1-30-cluster-class-v1",
           fs::copy_options::recursive);
  auto layout = validate_release(r.path(), r.tag);
  REQUIRE(layout);
  CHECK(layout->cluster_class_chart == "docker-scs-1-30-cluster-class-v1");

  fs::remove(r.dir / "docker-scs-1-30-cluster-class-v1/Chart.yaml");
  CHECK(r.refused().message ==
        "cluster-class chart docker-scs-1-30-cluster-class-v1.tgz: the directory "
        "docker-scs-1-30-cluster-class-v1/ in its place has no Chart.yaml");

  fs::remove_all(r.dir / "docker-scs-1-30-cluster-class-v1");
  fs::create_directory(r.dir / "docker-scs-1-30-cluster-class-v1.tgz");
  CHECK(r.refused().message ==
        "cluster-class chart docker-scs-1-30-cluster-class-v1.tgz: not a regular file in the "
        "release");
}

TEST_CASE("a single-chart release without cluster-addon-values.yaml is refused") {
  ReleaseDir r;
  r.make_good();
  fs::remove(r.dir / "cluster-addon-values.yaml");
  CHECK(r.refused().message ==
        "cluster-addon-values.yaml: missing; a release without clusteraddon.yaml (single-chart "
        "addon) needs it for the addon chart's values");
}

TEST_CASE("missing metadata.yaml, a missing directory and broken optional files are refused") {
  ReleaseDir r;
  r.make_good();
  r.file("node-images.yaml", "- not\n- a mapping\n");
  CHECK(r.refused().message ==
        "node-images.yaml: expected a mapping with the provider's node images, not a list");
  fs::remove(r.dir / "node-images.yaml");
  r.file("metadata.yaml", "");
  CHECK(r.refused().message ==
        "metadata.yaml: empty; expected a mapping with apiVersion and versions");
  fs::remove(r.dir / "metadata.yaml");
  CHECK(r.refused().message == "metadata.yaml: missing; every cluster-stack release needs it");

  auto gone = validate_release(r.dir / "nope", r.tag);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().kind == ErrorKind::kNotFound);
  CHECK(gone.error().message ==
        "release docker-scs-1-30-v1: " + (r.dir / "nope").string() + " does not exist");
}

TEST_CASE("clusteraddon.yaml parses hooks, ordered stages and wait conditions") {
  auto c = parse_clusteraddon(kAddonConfig);
  REQUIRE(c);
  CHECK(c->api_version == "clusteraddonconfig.x-k8s.io/v1alpha1");
  CHECK(c->cluster_addon_version == "clusteraddons.clusterstack.x-k8s.io/v1alpha1");
  REQUIRE(c->addon_stages.size() == 2);
  const auto& init = c->addon_stages.at("AfterControlPlaneInitialized");
  REQUIRE(init.size() == 2);
  CHECK(init[0].name == "ccm");
  CHECK(init[0].action == "apply");
  CHECK(init[1].name == "metrics-server");
  CHECK_FALSE(init[0].wait_for_pre_condition);
  const auto& upgrade = c->addon_stages.at("BeforeClusterUpgrade");
  REQUIRE(upgrade.size() == 1);
  REQUIRE(upgrade[0].wait_for_pre_condition);
  CHECK(upgrade[0].wait_for_pre_condition->conditions ==
        "ms.status.readyReplicas == ms.spec.replicas");
  CHECK(upgrade[0].wait_for_pre_condition->objects == nlohmann::json::parse(R"([
    {"key": "ms", "apiVersion": "apps/v1", "kind": "Deployment", "name": "metrics-server",
     "namespace": "kube-system"}])"));
  REQUIRE(upgrade[0].wait_for_post_condition);
  CHECK(upgrade[0].wait_for_post_condition->conditions == "true");
  CHECK_FALSE(upgrade[0].wait_for_post_condition->objects[0].contains("namespace"));

  // Hooks this operator does not run are kept for the executor to decide about.
  auto other = parse_clusteraddon(
      "addonStages:\n  AfterClusterUpgrade:\n    - {name: cni, action: delete}\n"
      "  SomeFutureHook:\n    - {name: extra, action: apply}\n  Empty:\n");
  REQUIRE(other);
  CHECK(other->addon_stages.at("AfterClusterUpgrade")[0].action == "delete");
  CHECK(other->addon_stages.at("SomeFutureHook")[0].name == "extra");
  CHECK(other->addon_stages.at("Empty").empty());
}

TEST_CASE("broken clusteraddon.yaml variants are refused naming the stage") {
  using Catch::StartsWith;
  CHECK_THAT(addon_error("apiVersion: x\n"), StartsWith("clusteraddon.yaml: addonStages: missing"));
  CHECK(addon_error("addonStages:\n  AfterControlPlaneInitialized: cni\n") ==
        "clusteraddon.yaml: addonStages.AfterControlPlaneInitialized: must be a list of stages, "
        "not a string");
  CHECK(addon_error("addonStages:\n  AfterControlPlaneInitialized:\n    - name: cni\n"
                    "      action: install\n") ==
        "clusteraddon.yaml: addonStages.AfterControlPlaneInitialized[0].action: \"install\" is "
        "neither apply nor delete");
  CHECK_THAT(addon_error("addonStages:\n  AfterControlPlaneInitialized:\n    - name: cni\n"),
             StartsWith("clusteraddon.yaml: addonStages.AfterControlPlaneInitialized[0].action: "
                        "missing"));
  CHECK_THAT(addon_error("addonStages:\n  AfterControlPlaneInitialized:\n    - action: apply\n"),
             StartsWith("clusteraddon.yaml: addonStages.AfterControlPlaneInitialized[0].name: "
                        "missing"));
  for (const std::string bad : {"../etc", "a/b", "..", "x..y", "/abs"}) {
    CAPTURE(bad);
    CHECK(addon_error("addonStages:\n  BeforeClusterUpgrade:\n    - {name: \"" + bad +
                      "\", action: apply}\n") ==
          "clusteraddon.yaml: addonStages.BeforeClusterUpgrade[0].name: stage name \"" + bad +
              "\" must be a plain directory name (no '/' or '..')");
  }
  CHECK(addon_error("addonStages:\n  BeforeClusterUpgrade: []\n  BeforeClusterUpgrade: []\n") ==
        "clusteraddon.yaml: addonStages.BeforeClusterUpgrade: given twice");
  CHECK_THAT(addon_error("addonStages:\n  BeforeClusterUpgrade:\n    - name: cni\n"
                         "      action: apply\n      waitForPreCondition:\n"
                         "        objects: [{key: a, kind: Node, name: n}]\n"
                         "        conditions: a.ready\n"),
             StartsWith("clusteraddon.yaml: "
                        "addonStages.BeforeClusterUpgrade[0].waitForPreCondition.objects[0]."
                        "apiVersion: missing"));
  CHECK_THAT(addon_error("addonStages:\n  BeforeClusterUpgrade:\n    - name: cni\n"
                         "      action: apply\n      waitForPostCondition: {objects: []}\n"),
             StartsWith("clusteraddon.yaml: "
                        "addonStages.BeforeClusterUpgrade[0].waitForPostCondition.conditions: "
                        "missing"));
}

TEST_CASE("multi-stage release: stages must be directories of the unpacked addon archive") {
  ReleaseDir r;
  r.make_good();
  fs::remove(r.dir / "cluster-addon-values.yaml");  // not needed with clusteraddon.yaml
  fs::remove(r.dir / "docker-scs-1-30-cluster-addon-v2.tgz");
  r.staged_addon_chart("docker-scs-1-30-cluster-addon-v2.tgz");
  r.file("clusteraddon.yaml", kAddonConfig);

  // Not unpacked yet: the stages cannot be checked and are not.
  auto packed = validate_release(r.path(), r.tag);
  REQUIRE(packed);
  REQUIRE(packed->addon_config);
  CHECK_FALSE(packed->has_cluster_addon_values);
  CHECK(packed->cluster_addon_chart == "docker-scs-1-30-cluster-addon-v2.tgz");

  // Unpacked next to itself, as the cache does it.
  auto entries = extract_archive(r.dir / "docker-scs-1-30-cluster-addon-v2.tgz",
                                 r.dir / "docker-scs-1-30-cluster-addon-v2",
                                 "docker-scs-1-30-cluster-addon-v2.tgz");
  REQUIRE(entries);
  auto unpacked = validate_release(r.path(), r.tag);
  REQUIRE(unpacked);
  CHECK(unpacked->cluster_addon_chart == "docker-scs-1-30-cluster-addon-v2.tgz");

  r.file("clusteraddon.yaml",
         "addonStages:\n  AfterControlPlaneInitialized:\n"
         "    - {name: ccm, action: apply}\n    - {name: cni, action: apply}\n");
  CHECK(r.refused().message ==
        "clusteraddon.yaml: addonStages.AfterControlPlaneInitialized[1].name: stage \"cni\" has no "
        "directory in the addon chart docker-scs-1-30-cluster-addon-v2/ (it has: ccm, "
        "metrics-server)");

  // Only the unpacked directory (e.g. a Git tree): it is the addon chart, without a Chart.yaml.
  fs::remove(r.dir / "docker-scs-1-30-cluster-addon-v2.tgz");
  r.file("clusteraddon.yaml", kAddonConfig);
  auto tree = validate_release(r.path(), r.tag);
  REQUIRE(tree);
  CHECK(tree->cluster_addon_chart == "docker-scs-1-30-cluster-addon-v2");
}

TEST_CASE("node-images.yaml becomes typed JSON; aliases cannot blow it up") {
  auto images =
      parse_node_images(R"(apiVersion: openstack.infrastructure.clusterstack.x-k8s.io/v1alpha1
openStackNodeImages:
  - url: https://example.org/images/ubuntu-2204-kube-v1.28.7.qcow2
    createOpts:
      name: ubuntu-capi-image-v1.28.7
      disk_format: qcow2
      min_disk: 20
      ratio: 1.5
      protected: false
      tag: "42"
      none: ~
)");
  REQUIRE(images);
  const auto& opts = (*images)["openStackNodeImages"][0]["createOpts"];
  CHECK(opts["name"] == "ubuntu-capi-image-v1.28.7");
  CHECK(opts["min_disk"] == 20);
  CHECK(opts["ratio"] == 1.5);
  CHECK(opts["protected"] == false);
  CHECK(opts["tag"] == "42");
  CHECK(opts["none"].is_null());

  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  auto blown = parse_node_images(bomb);
  REQUIRE_FALSE(blown);
  CHECK_THAT(blown.error().message,
             Catch::StartsWith("node-images.yaml: ") &&
                 Catch::Contains("more than 1000000 values (aliases expanding without bound?)"));

  auto dup = parse_node_images("a: 1\na: 2\n");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == "node-images.yaml: a: given twice");
}
