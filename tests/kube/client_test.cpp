// The REST client against a real, in-process `cairn apiserver` over HTTPS.
#include "kube/client.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const GroupVersionKind kWidget{"example.com", "v1", "Widget"};

using testing::config_map;

std::string rv_of(const json& obj) { return obj["metadata"].value("resourceVersion", ""); }

TEST_CASE("discovery maps kinds to resources and scopes", "[client]") {
  auto c = testing::test_client();
  auto cm = c->mapping(kConfigMap);
  REQUIRE(cm);
  CHECK(c->used_aggregated_discovery());
  CHECK(cm->resource == "configmaps");
  CHECK(cm->namespaced);
  auto ns = c->mapping(GroupVersionKind{"", "v1", "Namespace"});
  REQUIRE(ns);
  CHECK(ns->resource == "namespaces");
  CHECK_FALSE(ns->namespaced);
  auto crd = c->mapping(GroupVersionKind{"apiextensions.k8s.io", "v1",
                                         "CustomResourceDefinition"});
  REQUIRE(crd);
  CHECK(crd->resource == "customresourcedefinitions");
  CHECK(crd->has_status);
  auto all = c->resources();
  REQUIRE(all);
  CHECK(all->size() >= 5);
  auto version = c->server_version();
  REQUIRE(version);
  CHECK(version->contains("gitVersion"));
  auto missing = c->mapping(GroupVersionKind{"", "v1", "Nope"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "no matches for kind \"Nope\" in version \"v1\"");
}

TEST_CASE("ConfigMaps: create, get, update with optimistic concurrency, delete",
          "[client]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "crud");
  auto created = c->create(config_map("crud", "a", {{"k", "1"}}));
  REQUIRE(created);
  CHECK((*created)["data"]["k"] == "1");
  CHECK_FALSE(rv_of(*created).empty());

  auto dup = c->create(config_map("crud", "a"));
  REQUIRE_FALSE(dup);
  CHECK(is_already_exists(dup.error()));
  CHECK(dup.error().code == 409);

  auto got = c->get(kConfigMap, "crud", "a");
  REQUIRE(got);
  CHECK((*got)["metadata"]["uid"] == (*created)["metadata"]["uid"]);

  json changed = *got;
  changed["data"]["k"] = "2";
  auto updated = c->update(changed);
  REQUIRE(updated);
  CHECK((*updated)["data"]["k"] == "2");
  auto stale = c->update(changed);  // still carries the old resourceVersion
  REQUIRE_FALSE(stale);
  CHECK(is_conflict(stale.error()));

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  auto refused = c->remove(kConfigMap, "crud", "a", wrong_uid);
  REQUIRE_FALSE(refused);
  CHECK(is_conflict(refused.error()));

  DeleteOptions background;
  background.propagation_policy = "Background";
  auto gone = c->remove(kConfigMap, "crud", "a", background);
  REQUIRE(gone);
  CHECK(*gone);
  auto after = c->get(kConfigMap, "crud", "a");
  REQUIRE_FALSE(after);
  CHECK(is_not_found(after.error()));
  CHECK(after.error().message == "configmaps \"a\" not found");
}

TEST_CASE("delete reports an object held by a finalizer as not gone", "[client]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "fin");
  json cm = config_map("fin", "held");
  cm["metadata"]["finalizers"] = json::array({"example.com/hold"});
  REQUIRE(c->create(cm));
  auto r = c->remove(kConfigMap, "fin", "held");
  REQUIRE(r);
  CHECK_FALSE(*r);
  auto still = c->get(kConfigMap, "fin", "held");
  REQUIRE(still);
  CHECK((*still)["metadata"].contains("deletionTimestamp"));
  REQUIRE(c->patch(kConfigMap, "fin", "held", PatchType::kMerge,
                   json{{"metadata", {{"finalizers", nullptr}}}}));
  auto gone = c->get(kConfigMap, "fin", "held");
  REQUIRE_FALSE(gone);
  CHECK(is_not_found(gone.error()));
}

TEST_CASE("list filters by label selector and list_all follows continue tokens", "[client]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "lists");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c->create(config_map("lists", "cm" + std::to_string(i), json::object(),
                                 {{"parity", i % 2 == 0 ? "even" : "odd"}})));
  }
  ListOptions even;
  even.label_selector = "parity=even";
  auto evens = c->list(kConfigMap, "lists", even);
  REQUIRE(evens);
  CHECK((*evens)["items"].size() == 3);

  ListOptions page;
  page.limit = 2;
  auto first = c->list(kConfigMap, "lists", page);
  REQUIRE(first);
  CHECK((*first)["items"].size() == 2);
  CHECK_FALSE((*first)["metadata"].value("continue", "").empty());
  auto all = c->list_all(kConfigMap, "lists", page);
  REQUIRE(all);
  REQUIRE((*all)["items"].size() == 5);
  CHECK((*all)["items"][4]["metadata"]["name"] == "cm4");
  CHECK_FALSE((*all)["metadata"].contains("continue"));

  ListOptions bad;
  bad.label_selector = "a in (";
  auto rejected = c->list(kConfigMap, "lists", bad);
  REQUIRE_FALSE(rejected);
  CHECK(is_bad_request(rejected.error()));
}

TEST_CASE("merge, JSON and apply patches change ConfigMaps", "[client]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "patches");
  REQUIRE(c->create(config_map("patches", "p", {{"a", "1"}})));
  auto merged = c->patch(kConfigMap, "patches", "p", PatchType::kMerge,
                         json{{"data", {{"b", "2"}}}});
  REQUIRE(merged);
  CHECK((*merged)["data"] == json{{"a", "1"}, {"b", "2"}});
  auto json_patched = c->patch(kConfigMap, "patches", "p", PatchType::kJson,
                               json::array({{{"op", "remove"}, {"path", "/data/a"}}}));
  REQUIRE(json_patched);
  CHECK((*json_patched)["data"] == json{{"b", "2"}});
  auto strategic = c->patch(kConfigMap, "patches", "p", PatchType::kStrategic,
                            json{{"data", {{"c", "3"}}}});
  REQUIRE(strategic);
  CHECK((*strategic)["data"] == json{{"b", "2"}, {"c", "3"}});
  auto bad = c->patch(kConfigMap, "patches", "p", PatchType::kJson,
                      json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "x"}}}));
  REQUIRE_FALSE(bad);
  CHECK(is_api_error(bad.error()));

  auto applied = c->apply(config_map("patches", "applied", {{"x", "y"}}));
  REQUIRE(applied);
  CHECK((*applied)["data"]["x"] == "y");
  bool cairn_manager = false;
  for (const auto& entry : (*applied)["metadata"].value("managedFields", json::array())) {
    if (entry.value("manager", "") == "cairn" && entry.value("operation", "") == "Apply") {
      cairn_manager = true;
    }
  }
  CHECK(cairn_manager);
  PatchOptions other;
  other.field_manager = "someone-else";
  auto conflict = c->apply(config_map("patches", "applied", {{"x", "z"}}), other);
  REQUIRE_FALSE(conflict);
  CHECK(is_conflict(conflict.error()));
  other.force = true;
  auto forced = c->apply(config_map("patches", "applied", {{"x", "z"}}), other);
  REQUIRE(forced);
  CHECK((*forced)["data"]["x"] == "z");
}

json widget_crd() {
  return json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                "listKind": "WidgetList"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "maximum": 10}}},
          "status": {"type": "object", "properties": {
            "phase": {"type": "string"}}}}}}}]}})");
}

TEST_CASE("custom resources become usable after their CRD is installed, incl. status",
          "[client][crd]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "crs");
  auto before = c->mapping(kWidget);
  REQUIRE_FALSE(before);
  CHECK(is_no_match(before.error()));

  REQUIRE(c->create(widget_crd()));
  // The mapper rediscovers on a miss; the CRD is served once established.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  Result<ResourceMapping> m = tl::unexpected(Error{});
  while (!(m = c->mapping(kWidget)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(m);
  CHECK(m->resource == "widgets");
  CHECK(m->namespaced);
  CHECK(m->has_status);

  json w = {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", "w"}, {"namespace", "crs"}}},
            {"spec", {{"size", 3}}}};
  auto created = c->create(w);
  REQUIRE(created);
  CHECK((*created)["spec"]["size"] == 3);

  json too_big = w;
  too_big["metadata"]["name"] = "big";
  too_big["spec"]["size"] = 11;
  auto invalid = c->create(too_big);
  REQUIRE_FALSE(invalid);
  CHECK(is_invalid(invalid.error()));
  CHECK(invalid.error().code == 422);
  REQUIRE_FALSE(invalid.error().causes.empty());
  CHECK(invalid.error().causes[0].field == "spec.size");

  json with_status = *created;
  with_status["status"] = {{"phase", "Ready"}};
  with_status["spec"]["size"] = 5;  // ignored by the status subresource
  auto status_updated = c->update_status(with_status);
  REQUIRE(status_updated);
  CHECK((*status_updated)["status"]["phase"] == "Ready");
  CHECK((*status_updated)["spec"]["size"] == 3);

  auto status_patched = c->patch_status(kWidget, "crs", "w", PatchType::kMerge,
                                        json{{"status", {{"phase", "Done"}}}});
  REQUIRE(status_patched);
  auto status = c->get_status(kWidget, "crs", "w");
  REQUIRE(status);
  CHECK((*status)["status"]["phase"] == "Done");

  auto list = c->list(kWidget, "crs");
  REQUIRE(list);
  CHECK((*list)["kind"] == "WidgetList");
  CHECK((*list)["items"].size() == 1);
  auto removed = c->remove(kWidget, "crs", "w");
  REQUIRE(removed);
  CHECK(*removed);
}

TEST_CASE("watch delivers ADDED, MODIFIED and DELETED in order from a resourceVersion",
          "[client][watch]") {
  auto c = testing::test_client();
  testing::create_test_namespace(*c, "watching");
  auto list = c->list(kConfigMap, "watching");
  REQUIRE(list);
  WatchOptions options;
  options.resource_version = (*list)["metadata"]["resourceVersion"].get<std::string>();
  options.read_timeout = 20s;
  auto stream = c->watch(kConfigMap, "watching", options);
  REQUIRE(stream);

  REQUIRE(c->create(config_map("watching", "w", {{"v", "1"}})));
  REQUIRE(c->patch(kConfigMap, "watching", "w", PatchType::kMerge,
                   json{{"data", {{"v", "2"}}}}));
  REQUIRE(c->remove(kConfigMap, "watching", "w"));

  std::vector<EventType> types;
  std::vector<std::string> rvs;
  while (types.size() < 3) {
    auto event = (*stream)->next();
    REQUIRE(event);
    REQUIRE(*event);
    if ((*event)->type == EventType::kBookmark) continue;
    types.push_back((*event)->type);
    rvs.push_back((*event)->resource_version());
    CHECK((*event)->object["metadata"]["name"] == "w");
  }
  CHECK(types == std::vector<EventType>{EventType::kAdded, EventType::kModified,
                                        EventType::kDeleted});
  CHECK(std::stoll(rvs[0]) < std::stoll(rvs[1]));
  CHECK(std::stoll(rvs[1]) < std::stoll(rvs[2]));

  // cancel() from another thread ends a watch that has nothing to deliver.
  WatchStream* s = stream->get();
  std::thread canceller([s] {
    std::this_thread::sleep_for(100ms);
    s->cancel();
  });
  auto idle = s->next();
  canceller.join();
  REQUIRE_FALSE(idle);
  CHECK(idle.error().kind == ErrorKind::kCancelled);
}

TEST_CASE("a watch from a too-old resourceVersion fails with Gone", "[client][watch]") {
  auto c = testing::test_client();
  WatchOptions options;
  options.resource_version = "1";
  options.read_timeout = 20s;
  auto stream = c->watch(kConfigMap, "default", options);
  Error error;
  if (!stream) {
    error = stream.error();
  } else {
    auto event = (*stream)->next();
    REQUIRE_FALSE(event);
    error = event.error();
  }
  CHECK(is_gone(error));
  CHECK(error.message.find("too old resource version") != std::string::npos);
}

TEST_CASE("requests reuse one keep-alive connection and are counted", "[client]") {
  auto c = testing::test_client();
  REQUIRE(c->mapping(kConfigMap));
  auto opened = c->transport().connections_opened();
  for (int i = 0; i < 20; ++i) REQUIRE(c->list(kConfigMap, "default"));
  CHECK(c->transport().connections_opened() == opened);
  CHECK(c->transport().metrics().count("200", "GET") >= 20);
}

TEST_CASE("the client-side QPS limit spaces requests to a real server", "[client]") {
  RestConfig config = testing::shared_test_apiserver().config;
  config.qps = 20;
  config.burst = 1;
  auto c = Client::create(config);
  REQUIRE(c);
  REQUIRE((*c)->mapping(kConfigMap));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) REQUIRE((*c)->list(kConfigMap, "default"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 400ms);  // 10 requests at 20/s after the burst: at least ~0.45 s
}

TEST_CASE("wrong credentials are Unauthorized", "[client]") {
  RestConfig config = testing::shared_test_apiserver().config;
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  config.bearer_token = "not-a-valid-token";
  auto c = Client::create(config);
  REQUIRE(c);
  auto list = (*c)->list(kConfigMap, "default");
  REQUIRE_FALSE(list);
  CHECK(is_unauthorized(list.error()));
}

}  // namespace
}  // namespace cairn::kube
