#include "api/release_tag.h"

#include <catch2/catch.hpp>

using cairn::api::ChartAsset;
using cairn::api::ChartKind;
using cairn::api::ReleaseTag;
using cairn::api::Version;

TEST_CASE("release tags parse into identity and version and print back unchanged") {
  struct Row {
    const char* tag;
    const char* provider;
    const char* name;
    const char* k8s;
    const char* version_dot;
    const char* cluster_class;
  };
  const Row rows[] = {
      {"docker-ferrol-1-27-v2", "docker", "ferrol", "1.27", "v2", "docker-ferrol-1-27-v2"},
      {"openstack-scs-1-30-v10", "openstack", "scs", "1.30", "v10", "openstack-scs-1-30-v10"},
      {"docker-ferrol-1-27-v0-sha-hipstsw", "docker", "ferrol", "1.27", "v0-sha.hipstsw",
       "docker-ferrol-1-27-v0-sha.hipstsw"},
      {"docker-ferrol-1-27-v1-alpha-0", "docker", "ferrol", "1.27", "v1-alpha.0",
       "docker-ferrol-1-27-v1-alpha.0"},
      {"openstack-scs2-1-9-v3", "openstack", "scs2", "1.9", "v3", "openstack-scs2-1-9-v3"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.tag);
    auto t = ReleaseTag::parse(row.tag);
    REQUIRE(t);
    CHECK(t->stack.provider == row.provider);
    CHECK(t->stack.name == row.name);
    CHECK(t->stack.kubernetes.dot() == row.k8s);
    CHECK(t->version.dot() == row.version_dot);
    CHECK(t->tag() == row.tag);
    CHECK(t->cluster_class() == row.cluster_class);
    auto c = ReleaseTag::parse_cluster_class(row.cluster_class);
    REQUIRE(c);
    CHECK(*c == *t);
    CHECK(cairn::api::release_name_for_class(row.cluster_class).value() == row.tag);
  }
}

TEST_CASE("tags that do not follow the scheme are rejected with a reason") {
  struct Row {
    const char* tag;
    const char* reason;
  };
  const Row rows[] = {
      {"openstack-scs-v5", "expected 5 or 7 '-'-separated parts"},             // issue #231
      {"docker-ferrol-1-27-v1-alpha", "expected 5 or 7 '-'-separated parts"},  // 6 parts
      {"docker-my-stack-1-27-v1-alpha-0-1", "expected 5 or 7"},
      {"docker-ferrol-1-27-v1-alpha.0", "expected 5 or 7"},  // dot form is a class name
      {"docker-ferrol-1-x-v1", "invalid Kubernetes version"},
      {"docker-ferrol-0-27-v1", "major version must not be 0"},
      {"docker-ferrol-1-0-v1", "minor version must not be 0"},
      {"docker-ferrol-1-27-1", "must start with 'v'"},
      {"docker--1-27-v1", "name is empty"},
      {"-ferrol-1-27-v1", "provider is empty"},
      {"Docker-ferrol-1-27-v1", "must be lower case"},
      {"dock_er-ferrol-1-27-v1", "lower-case letters and digits"},
      {"docker-ferrol-1-27-v1-stable-1", "stable channel takes no patch"},
      {"docker-ferrol-1-27-v01", "leading zero"},
      {"", "expected 5 or 7"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.tag);
    auto t = ReleaseTag::parse(row.tag);
    REQUIRE_FALSE(t);
    CHECK_THAT(t.error().message, Catch::Contains("invalid release tag"));
    CHECK_THAT(t.error().message, Catch::Contains(row.reason));
  }
  CHECK_FALSE(ReleaseTag::parse(std::string(300, 'a')));
}

TEST_CASE("class names are the dot form: 5 or 6 parts") {
  CHECK(ReleaseTag::parse_cluster_class("docker-ferrol-1-27-v0-sha.abc"));
  auto bad = ReleaseTag::parse_cluster_class("docker-ferrol-1-27-v0-sha-abc");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("invalid ClusterClass name"));
  CHECK_THAT(bad.error().message, Catch::Contains("5 or 6"));
  CHECK_FALSE(cairn::api::release_name_for_class("docker-ferrol-1-27-v1-alpha.0.1"));
}

TEST_CASE("chart asset names are built and matched exactly: v1 never matches v10") {
  const ReleaseTag v1 = ReleaseTag::parse("docker-ferrol-1-27-v1").value();
  const ReleaseTag v10 = ReleaseTag::parse("docker-ferrol-1-27-v10").value();
  CHECK(v1.cluster_class_asset() == "docker-ferrol-1-27-cluster-class-v1.tgz");
  CHECK(v10.cluster_class_asset() == "docker-ferrol-1-27-cluster-class-v10.tgz");
  const Version addon = Version::parse_dot("v2").value();
  CHECK(v1.cluster_addon_asset(addon) == "docker-ferrol-1-27-cluster-addon-v2.tgz");

  CHECK(cairn::api::is_cluster_class_asset("docker-ferrol-1-27-cluster-class-v1.tgz", v1));
  CHECK_FALSE(cairn::api::is_cluster_class_asset("docker-ferrol-1-27-cluster-class-v10.tgz", v1));
  CHECK_FALSE(cairn::api::is_cluster_class_asset("docker-ferrol-1-27-cluster-class-v1.tgz", v10));
  CHECK_FALSE(cairn::api::is_cluster_class_asset("xdocker-ferrol-1-27-cluster-class-v1.tgz", v1));
  CHECK_FALSE(cairn::api::is_cluster_class_asset("docker-ferrol-1-27-cluster-addon-v1.tgz", v1));
  CHECK(cairn::api::is_cluster_addon_asset("docker-ferrol-1-27-cluster-addon-v2.tgz", v1, addon));
  CHECK_FALSE(
      cairn::api::is_cluster_addon_asset("docker-ferrol-1-27-cluster-addon-v20.tgz", v1, addon));

  // Hash versions use the dot form in asset names.
  const ReleaseTag h = ReleaseTag::parse("docker-ferrol-1-27-v0-sha-hipstsw").value();
  CHECK(h.cluster_class_asset() == "docker-ferrol-1-27-cluster-class-v0-sha.hipstsw.tgz");
}

TEST_CASE("chart asset names parse back into their parts") {
  auto a = ChartAsset::parse("docker-ferrol-1-27-cluster-addon-v1-alpha.10.tgz");
  REQUIRE(a);
  CHECK(a->kind == ChartKind::kClusterAddon);
  CHECK(a->stack.str() == "docker-ferrol-1-27");
  CHECK(a->version.dot() == "v1-alpha.10");
  CHECK(a->file_name() == "docker-ferrol-1-27-cluster-addon-v1-alpha.10.tgz");
  auto c = ChartAsset::parse("openstack-scs-1-30-cluster-class-v10.tgz");
  REQUIRE(c);
  CHECK(c->kind == ChartKind::kClusterClass);
  CHECK(c->version == Version(10));

  struct Row {
    const char* file;
    const char* reason;
  };
  const Row rows[] = {
      {"docker-ferrol-1-27-cluster-class-v1.tar.gz", "does not end in .tgz"},
      {"docker-ferrol-1-27-node-image-v1.tgz", "expected cluster-class-<version>"},
      {"docker-ferrol-1-27-cluster-class-v1-alpha-0.tgz", "invalid cluster stack version"},
      {"docker-ferrol-1-27-cluster-class-.tgz", "must start with 'v'"},
      {"metadata.yaml", "does not end in .tgz"},
      {"cluster-class-v1.tgz", "expected <provider>-<name>"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.file);
    auto r = ChartAsset::parse(row.file);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("invalid chart asset name"));
    CHECK_THAT(r.error().message, Catch::Contains(row.reason));
  }
}

TEST_CASE("the assets of the longest valid tag still parse (found by fuzz_version)") {
  const std::string tag = "p-" + std::string(240, 'n') + "-1-13-v1";
  REQUIRE(tag.size() <= 253);
  const ReleaseTag t = ReleaseTag::parse(tag).value();
  auto a = ChartAsset::parse(t.cluster_class_asset());
  REQUIRE(a);
  CHECK(a->version == t.version);
  CHECK_FALSE(ChartAsset::parse(std::string(300, 'a') + ".tgz"));
}
