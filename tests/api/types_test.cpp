#include "api/types.h"

#include <catch2/catch.hpp>

using cairn::api::ClusterAddon;
using cairn::api::ClusterStack;
using cairn::api::ClusterStackRelease;
using cairn::api::decode;
using cairn::api::FieldErrors;
using nlohmann::json;

namespace {

// The Go operator's own sample ClusterStack (config/samples), as a user would apply it.
const json kSample = json::parse(R"({
  "apiVersion": "clusterstack.x-k8s.io/v1alpha1",
  "kind": "ClusterStack",
  "metadata": {"name": "clusterstack", "namespace": "cluster"},
  "spec": {
    "provider": "docker",
    "name": "ferrol",
    "kubernetesVersion": "1.27",
    "channel": "stable",
    "autoSubscribe": false,
    "noProvider": true,
    "versions": ["v2"]
  }
})");

std::vector<std::string> messages(const FieldErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.str());
  return out;
}

ClusterStack sample() { return decode<ClusterStack>(kSample).value(); }

}  // namespace

TEST_CASE("the Go operator's sample ClusterStack decodes, validates and round-trips") {
  auto cs = decode<ClusterStack>(kSample);
  REQUIRE(cs);
  CHECK(cs->metadata.name == "clusterstack");
  CHECK(cs->metadata.namespace_ == "cluster");
  CHECK(cs->spec.provider == "docker");
  CHECK(cs->spec.name == "ferrol");
  CHECK(cs->spec.kubernetes_version == "1.27");
  CHECK(cs->spec.channel == "stable");
  CHECK(cs->spec.auto_subscribe == false);
  CHECK(cs->spec.no_provider == true);
  CHECK(cs->spec.versions == std::vector<std::string>{"v2"});
  CHECK_FALSE(cs->spec.provider_ref);
  CHECK(cs->validate().empty());
  CHECK(cs->identity().value().str() == "docker-ferrol-1-27");

  json out = *cs;
  json expected = kSample;
  expected["status"] = {{"latestRelease", ""}};  // Go writes latestRelease without omitempty
  CHECK(out == expected);
  CHECK(decode<ClusterStack>(out).value() == *cs);
}

TEST_CASE("absent fields take the kubebuilder defaults") {
  auto cs = decode<ClusterStack>(json::parse(
      R"({"spec": {"provider": "docker", "name": "ferrol", "kubernetesVersion": "1.27"}})"));
  REQUIRE(cs);
  CHECK(cs->spec.channel == "stable");
  CHECK(cs->spec.auto_subscribe == true);
  CHECK(cs->spec.no_provider == false);
  CHECK(cs->spec.versions.empty());
  // Null reads as absent, as in Go.
  auto n = decode<ClusterStack>(json::parse(R"({"spec": {"channel": null, "versions": null}})"));
  REQUIRE(n);
  CHECK(n->spec.channel == "stable");

  auto csr = decode<ClusterStackRelease>(json::parse(R"({"metadata": {"name": "a"}})"));
  REQUIRE(csr);
  CHECK(csr->status.ready == false);
  auto ca = decode<ClusterAddon>(json::object());
  REQUIRE(ca);
  CHECK(ca->status.ready == false);
}

TEST_CASE("unknown fields are kept at object, metadata, spec and status level") {
  json in = kSample;
  in["metadata"]["creationTimestamp"] = "2024-01-02T03:04:05Z";
  in["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  in["spec"]["futureField"] = {{"a", 1}};
  in["status"] = {{"latestRelease", "docker-ferrol-1-27-v2 | v1.27.3"}, {"observedX", 3}};
  in["extraTop"] = true;
  auto cs = decode<ClusterStack>(in);
  REQUIRE(cs);
  CHECK(cs->metadata.extra.contains("managedFields"));
  CHECK(cs->spec.extra == json{{"futureField", {{"a", 1}}}});
  json out = *cs;
  CHECK(out == in);
}

TEST_CASE("type mismatches are reported with the field path") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {
      {R"({"spec": {"autoSubscribe": "yes"}})",
       "spec.autoSubscribe: expected a boolean, got string"},
      {R"({"spec": {"versions": ["v1", 2]}})", "spec.versions[1]: expected a string, got integer"},
      {R"({"spec": {"versions": "v1"}})", "spec.versions: expected an array, got string"},
      {R"({"spec": []})", "spec: expected an object, got array"},
      {R"({"metadata": {"labels": {"a": 1}}})",
       "metadata.labels.a: expected a string, got integer"},
      {R"({"metadata": {"generation": "1"}})", "metadata.generation: expected an integer"},
      {R"({"metadata": {"ownerReferences": [{"controller": 1}]}})",
       "metadata.ownerReferences[0].controller: expected a boolean"},
      {R"({"spec": {"providerRef": {"name": 3}}})", "spec.providerRef.name: expected a string"},
      {R"({"status": {"conditions": [{"type": 1}]}})",
       "status.conditions[0].type: expected a string"},
      {R"({"status": {"summary": [{"ready": "true"}]}})",
       "status.summary[0].ready: expected a boolean"},
      {R"({"kind": "ClusterAddon"})", "kind: expected ClusterStack, got \"ClusterAddon\""},
      {R"({"apiVersion": "v1"})", "apiVersion: expected clusterstack.x-k8s.io/v1alpha1"},
      {R"([1])", "object: expected an object, got array"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    auto cs = decode<ClusterStack>(json::parse(row.text));
    REQUIRE_FALSE(cs);
    CHECK_THAT(cs.error().message, Catch::Contains(row.message));
  }
}

TEST_CASE("invalid ClusterStacks get Kubernetes-style field errors") {
  struct Row {
    const char* patch;  // merged into the sample spec
    std::vector<std::string> errors;
  };
  const Row rows[] = {
      {R"({"kubernetesVersion": "1.x"})",
       {"spec.kubernetesVersion: Invalid value: \"1.x\": must be <major>.<minor> with a "
        "single-digit major, e.g. \"1.27\" (pattern ^\\d\\.\\d+$)"}},
      {R"({"kubernetesVersion": "10.1"})",
       {"spec.kubernetesVersion: Invalid value: \"10.1\": must be <major>.<minor> with a "
        "single-digit major, e.g. \"1.27\" (pattern ^\\d\\.\\d+$)"}},
      {R"({"kubernetesVersion": "1.0"})",
       {"spec.kubernetesVersion: Invalid value: \"1.0\": invalid Kubernetes version \"1.0\" "
        "(expected <major>.<minor>, e.g. \"1.27\"): minor version must not be 0"}},
      {R"({"kubernetesVersion": ""})", {"spec.kubernetesVersion: Required value"}},
      {R"({"channel": "beta"})",
       {"spec.channel: Unsupported value: \"beta\": supported values: \"stable\", \"custom\""}},
      {R"({"provider": ""})", {"spec.provider: Required value"}},
      {R"({"name": "my-stack"})",
       {"spec.name: Invalid value: \"my-stack\": must consist of lower-case letters and digits "
        "('-' separates the parts of a release tag)"}},
      {R"({"versions": ["v1-alpha"]})",
       {"spec.versions[0]: Invalid value: \"v1-alpha\": invalid version: invalid cluster stack "
        "version \"v1-alpha\" (dot form, e.g. v1 or v1-alpha.0): expected <channel>.<patch> after "
        "the major version"}},
      {R"({"versions": ["v2", "v3", "v2"]})", {"spec.versions[2]: Duplicate value: \"v2\""}},
      {R"({"noProvider": false})",
       {"spec.providerRef: Invalid value: \"null\": empty provider ref, even though noProvider "
        "mode is turned off"}},
      {R"({"noProvider": false, "providerRef": {"kind": "DockerClusterStackReleaseTemplate",
           "name": "t"}})",
       {}},
      {R"({"channel": "custom", "versions": ["v0-sha.hipstsw"], "autoSubscribe": true})", {}},
      {R"({"source": {"url": "git+https://example.com/stacks.git", "interval": "1m30s",
           "secretRef": {"name": "feed"}}})",
       {}},
      {R"({"source": {"url": ""}})", {"spec.source.url: Required value"}},
      {R"({"source": {"url": "example.com/stacks"}})",
       {"spec.source.url: Invalid value: \"example.com/stacks\": must be a feed URL such as "
        "github://ORG/REPO, git+https://HOST/PATH or oci://REGISTRY/REPOSITORY"}},
      {R"({"source": {"url": "oci://r/x", "interval": "10"}})",
       {"spec.source.interval: Invalid value: \"10\": invalid duration \"10\": missing unit "
        "(ns, us, ms, s, m or h)"}},
      {R"({"source": {"url": "oci://r/x", "interval": "500ms"}})",
       {"spec.source.interval: Invalid value: \"500ms\": must be at least 1s"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.patch);
    json in = kSample;
    in["spec"].merge_patch(json::parse(row.patch));
    auto cs = decode<ClusterStack>(in);
    REQUIRE(cs);
    CHECK(messages(cs->validate()) == row.errors);
  }
}

TEST_CASE("several errors aggregate into one Invalid message") {
  ClusterStack cs = sample();
  cs.spec.provider.clear();
  cs.spec.channel = "beta";
  const auto errors = cs.validate();
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].cause_reason() == "FieldValueRequired");
  CHECK(errors[1].cause_reason() == "FieldValueNotSupported");
  CHECK(cairn::api::invalid_message("ClusterStack", "clusterstack.x-k8s.io", "clusterstack",
                                    errors) ==
        "ClusterStack.clusterstack.x-k8s.io \"clusterstack\" is invalid: [spec.provider: Required "
        "value, spec.channel: Unsupported value: \"beta\": supported values: \"stable\", "
        "\"custom\"]");
  CHECK(cairn::api::invalid_message("ClusterStack", "clusterstack.x-k8s.io", "x", {errors[0]}) ==
        "ClusterStack.clusterstack.x-k8s.io \"x\" is invalid: spec.provider: Required value");
}

TEST_CASE("provider, name, channel and kubernetesVersion are immutable; versions are not") {
  const ClusterStack old = sample();
  ClusterStack changed = old;
  changed.spec.versions = {"v2", "v3"};
  changed.spec.auto_subscribe = true;
  CHECK(changed.validate_update(old).empty());
  changed.spec.provider = "openstack";
  changed.spec.name = "scs";
  changed.spec.channel = "custom";
  changed.spec.kubernetes_version = "1.28";
  CHECK(messages(changed.validate_update(old)) ==
        std::vector<std::string>{
            "spec.provider: Invalid value: \"openstack\": field is immutable",
            "spec.name: Invalid value: \"scs\": field is immutable",
            "spec.channel: Invalid value: \"custom\": field is immutable",
            "spec.kubernetesVersion: Invalid value: \"1.28\": field is immutable"});
}

TEST_CASE("ClusterStackRelease: name is the tag, status round-trips") {
  const json in = json::parse(R"({
    "apiVersion": "clusterstack.x-k8s.io/v1alpha1",
    "kind": "ClusterStackRelease",
    "metadata": {
      "name": "docker-ferrol-1-27-v0-sha-hipstsw", "namespace": "cluster", "uid": "u1",
      "resourceVersion": "42", "generation": 3, "labels": {"a": "b"},
      "annotations": {"c": "d"}, "finalizers": ["clusterstackrelease.clusterstack.x-k8s.io"],
      "deletionTimestamp": "2024-01-02T03:04:05Z",
      "ownerReferences": [{"apiVersion": "clusterstack.x-k8s.io/v1alpha1", "kind": "ClusterStack",
                           "name": "clusterstack", "uid": "u0"}]
    },
    "spec": {},
    "status": {
      "resources": [{"group": "cluster.x-k8s.io", "version": "v1beta1", "kind": "ClusterClass",
                     "namespace": "cluster", "name": "docker-ferrol-1-27-v0-sha.hipstsw",
                     "status": "not-synced", "error": "boom"}],
      "kubernetesVersion": "v1.27.3",
      "ready": true,
      "conditions": [{"type": "HelmChartApplied", "status": "False", "severity": "Error",
                      "reason": "FailedToApplyObjects", "message": "failed to apply",
                      "lastTransitionTime": "2024-01-02T03:04:05Z", "observedGeneration": 3}]
    }
  })");
  auto csr = decode<ClusterStackRelease>(in);
  REQUIRE(csr);
  CHECK(csr->metadata.generation == 3);
  CHECK(csr->metadata.deletion_timestamp == "2024-01-02T03:04:05Z");
  CHECK(csr->metadata.owner_references.at(0).kind == "ClusterStack");
  CHECK_FALSE(csr->metadata.owner_references.at(0).controller);
  CHECK(csr->status.conditions.at(0).severity == "Error");
  CHECK(csr->status.conditions.at(0).observed_generation == 3);
  CHECK(csr->status.resources.at(0).status == "not-synced");
  CHECK(csr->release().value().cluster_class() == "docker-ferrol-1-27-v0-sha.hipstsw");
  CHECK(csr->validate().empty());
  CHECK(json(*csr) == in);

  ClusterStackRelease bad = *csr;
  bad.metadata.name = "openstack-scs-v5";
  bad.status.kubernetes_version = "1.27";
  const auto errors = messages(bad.validate());
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[0], Catch::StartsWith("metadata.name: Invalid value: \"openstack-scs-v5\": "
                                          "invalid release tag"));
  CHECK_THAT(errors[1], Catch::StartsWith("status.kubernetesVersion: Invalid value: \"1.27\""));
}

TEST_CASE("ClusterAddon: clusterRef rules of the Go webhook") {
  const json in = json::parse(R"({
    "apiVersion": "clusterstack.x-k8s.io/v1alpha1",
    "kind": "ClusterAddon",
    "metadata": {"name": "cluster-addon-c1", "namespace": "ns",
                 "annotations": {"ClusterAddonStage": "created"}},
    "spec": {
      "clusterStack": "docker-ferrol-1-27-v2", "version": "v2", "hook": "BeforeClusterUpgrade",
      "clusterRef": {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "name": "c1",
                     "namespace": "ns", "uid": "u"}
    },
    "status": {
      "stages": [{"name": "cni", "action": "apply", "phase": "done"},
                 {"name": "metrics-server", "phase": "Pending"}],
      "ready": false
    }
  })");
  auto ca = decode<ClusterAddon>(in);
  REQUIRE(ca);
  CHECK(ca->spec.hook == "BeforeClusterUpgrade");
  CHECK(ca->status.stages.at(1).phase == cairn::api::kStagePending);
  CHECK(ca->metadata.annotations.at(std::string(cairn::api::kClusterAddonStageAnnotation)) ==
        "created");
  CHECK(ca->validate().empty());
  CHECK(ca->validate_update(*ca).empty());
  CHECK(json(*ca) == in);

  ClusterAddon no_ref = *ca;
  no_ref.spec.cluster_ref.reset();
  CHECK(messages(no_ref.validate()) ==
        std::vector<std::string>{"spec.clusterRef: Required value: must not be empty"});
  CHECK(messages(no_ref.validate_update(*ca)) ==
        std::vector<std::string>{"spec.clusterRef: Required value: must not be empty"});

  ClusterAddon wrong_kind = *ca;
  wrong_kind.spec.cluster_ref->kind = "Machine";
  CHECK(messages(wrong_kind.validate()) ==
        std::vector<std::string>{
            "spec.clusterRef.kind: Invalid value: \"Machine\": kind must be cluster"});

  ClusterAddon moved = *ca;
  moved.spec.cluster_ref->name = "c2";
  moved.spec.cluster_ref->namespace_ = "other";
  CHECK(messages(moved.validate_update(*ca)) ==
        std::vector<std::string>{
            "spec.clusterRef.name: Invalid value: \"c2\": field is immutable",
            "spec.clusterRef.namespace: Invalid value: \"other\": cluster and clusterAddon need "
            "to be in same namespace"});
}

TEST_CASE("spec.source decodes, round-trips and is optional") {
  json in = kSample;
  in["spec"]["source"] = {{"url", "github://org/stacks"},
                          {"secretRef", {{"name", "token"}}},
                          {"interval", "45s"}};
  auto cs = decode<ClusterStack>(in);
  REQUIRE(cs);
  REQUIRE(cs->spec.source);
  CHECK(cs->spec.source->url == "github://org/stacks");
  CHECK(cs->spec.source->secret_name == "token");
  CHECK(cs->spec.source->interval == "45s");
  json out = *cs;
  CHECK(out["spec"]["source"] == in["spec"]["source"]);
  CHECK(decode<ClusterStack>(out).value() == *cs);

  CHECK_FALSE(sample().spec.source);
  CHECK_FALSE(json(sample())["spec"].contains("source"));

  in["spec"]["source"] = {{"url", "github://org/stacks"}};
  json minimal = decode<ClusterStack>(in).value();
  CHECK(minimal["spec"]["source"] == json{{"url", "github://org/stacks"}});

  in["spec"]["source"] = {{"url", 3}};
  auto bad = decode<ClusterStack>(in);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "spec.source.url: expected a string, got integer");
}

TEST_CASE("parse_duration reads Go duration strings") {
  using cairn::api::parse_duration;
  using std::chrono::milliseconds;
  CHECK(parse_duration("10s").value() == milliseconds(10000));
  CHECK(parse_duration("5m").value() == milliseconds(300000));
  CHECK(parse_duration("1h30m").value() == milliseconds(5400000));
  CHECK(parse_duration("1.5h").value() == milliseconds(5400000));
  CHECK(parse_duration("300ms").value() == milliseconds(300));
  CHECK(parse_duration("2500us").value() == milliseconds(2));
  CHECK(parse_duration("0").value() == milliseconds(0));
  CHECK(parse_duration("").error().message == "invalid duration \"\": empty");
  CHECK(parse_duration("5").error().message ==
        "invalid duration \"5\": missing unit (ns, us, ms, s, m or h)");
  CHECK(parse_duration("5d").error().message ==
        "invalid duration \"5d\": unknown unit \"d\" (use ns, us, ms, s, m or h)");
  CHECK(parse_duration("-5s").error().message ==
        "invalid duration \"-5s\": expected a number at \"-5s\"");
  CHECK(parse_duration("s").error().message ==
        "invalid duration \"s\": expected a number at \"s\"");
  CHECK(parse_duration("99999999999h").error().message == "invalid duration \"99999999999h\": too long");
}
