// API handler: merge, JSON and strategic merge patches, server-side apply, preconditions
// (kube-api.md §7, §8, §9).
#include "tests/apiserver/api_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

const std::string kCms = "/api/v1/namespaces/default/configmaps";
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";

json deployment() {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "web"}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "web"}}}}},
              {"spec",
               {{"containers", json::array({{{"name", "a"}, {"image", "a:1"}},
                                            {{"name", "b"}, {"image", "b:1"}}})}}}}}}}};
}

}  // namespace

TEST_CASE("merge patch labels and removes keys with null, as kubectl label does") {
  ApiFixture f;
  REQUIRE(f.post(kCms, config_map_json("m", {{"a", "1"}})).status == 201);
  Reply labelled = f.patch(kCms + "/m?fieldManager=kubectl-label", "application/merge-patch+json",
                           {{"metadata", {{"labels", {{"k", "v"}}}}}});
  REQUIRE(labelled.status == 200);
  CHECK(labelled.json["metadata"]["labels"]["k"] == "v");
  bool has_label_manager = false;
  for (const json& e : labelled.json["metadata"]["managedFields"]) {
    has_label_manager = has_label_manager || e["manager"] == "kubectl-label";
  }
  CHECK(has_label_manager);
  Reply removed = f.patch(kCms + "/m", "application/merge-patch+json",
                          {{"metadata", {{"labels", {{"k", nullptr}}}}}});
  CHECK_FALSE(removed.json["metadata"].value("labels", json::object()).contains("k"));
  CHECK(removed.json["data"]["a"] == "1");
}

TEST_CASE("a resourceVersion in a patch is a precondition") {
  ApiFixture f;
  Reply created = f.post(kCms, config_map_json("p"));
  std::string rv = created.json["metadata"]["resourceVersion"];
  REQUIRE(f.patch(kCms + "/p", "application/merge-patch+json", {{"data", {{"x", "1"}}}}).status ==
          200);
  Reply stale = f.patch(kCms + "/p", "application/merge-patch+json",
                        {{"metadata", {{"resourceVersion", rv}}}, {"data", {{"x", "2"}}}});
  CHECK(stale.status == 409);
  CHECK(stale.json["reason"] == "Conflict");
  CHECK(f.get(kCms + "/p").json["data"]["x"] == "1");
}

TEST_CASE("JSON patch applies operations and failed tests are 4xx") {
  ApiFixture f;
  REQUIRE(f.post(kCms, config_map_json("j", {{"a", "1"}})).status == 201);
  Reply ok = f.patch(kCms + "/j", "application/json-patch+json",
                     json::array({{{"op", "add"}, {"path", "/data/b"}, {"value", "2"}},
                                  {{"op", "remove"}, {"path", "/data/a"}}}));
  REQUIRE(ok.status == 200);
  CHECK(ok.json["data"] == json{{"b", "2"}});
  Reply failed = f.patch(kCms + "/j", "application/json-patch+json",
                         json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "9"}}}));
  CHECK(failed.status >= 400);
  CHECK(failed.status < 500);
  CHECK(f.patch(kCms + "/j", "application/json-patch+json", {{"not", "an array"}}).status == 400);
}

TEST_CASE("strategic merge patch on a Deployment merges containers by name") {
  ApiFixture f;
  Reply created = f.post(kDeploys, deployment());
  REQUIRE(created.status == 201);
  CHECK(created.json["metadata"]["generation"] == 1);
  Reply patched = f.patch(
      kDeploys + "/web", "application/strategic-merge-patch+json",
      {{"spec",
        {{"template",
          {{"spec", {{"containers", json::array({{{"name", "b"}, {"image", "b:2"}}})}}}}}}}});
  REQUIRE(patched.status == 200);
  const json& containers = patched.json["spec"]["template"]["spec"]["containers"];
  REQUIRE(containers.size() == 2);
  CHECK(containers[0]["image"] == "a:1");
  CHECK(containers[1]["image"] == "b:2");
  CHECK(patched.json["metadata"]["generation"] == 2);
  CHECK(patched.json["spec"]["replicas"].is_number_integer());
}

TEST_CASE("unknown patch content types are 415") {
  ApiFixture f;
  REQUIRE(f.post(kCms, config_map_json("u")).status == 201);
  Reply r = f.patch(kCms + "/u", "application/json", {{"data", {{"a", "b"}}}});
  CHECK(r.status == 415);
  CHECK(r.json["message"] ==
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml");
}

TEST_CASE("apply requires a fieldManager (422 PatchOptions)") {
  ApiFixture f;
  Reply r = f.call("PATCH", kCms + "/a", config_map_json("a").dump(),
                   {{"content-type", "application/apply-patch+yaml"}});
  CHECK(r.status == 422);
  CHECK(r.json["message"] ==
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
        "apply patch");
  CHECK(r.json["details"]["kind"] == "PatchOptions");
  CHECK(r.json["details"]["causes"][0]["field"] == "fieldManager");
}

TEST_CASE("apply creates (201), updates (200) and conflicts with another manager (409)") {
  ApiFixture f;
  std::string target = kCms + "/s?fieldManager=alice&fieldValidation=Strict&force=false";
  Reply created = f.call("PATCH", target,
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  key: a\n",
                         {{"content-type", "application/apply-patch+yaml"}});
  REQUIRE(created.status == 201);
  CHECK(created.json["data"]["key"] == "a");
  CHECK(created.json["metadata"]["managedFields"][0]["manager"] == "alice");
  CHECK(created.json["metadata"]["managedFields"][0]["operation"] == "Apply");

  Reply again = f.call("PATCH", target, config_map_json("s", {{"key", "a"}, {"more", "1"}}).dump(),
                       {{"content-type", "application/apply-patch+yaml"}});
  CHECK(again.status == 200);
  CHECK(again.json["data"]["more"] == "1");

  std::string bob = kCms + "/s?fieldManager=bob";
  Reply conflict = f.call("PATCH", bob, config_map_json("s", {{"key", "b"}}).dump(),
                          {{"content-type", "application/apply-patch+yaml"}});
  CHECK(conflict.status == 409);
  CHECK(conflict.json["reason"] == "Conflict");
  CHECK(conflict.json["details"]["causes"][0]["reason"] == "FieldManagerConflict");
  Reply forced = f.call("PATCH", bob + "&force=true", config_map_json("s", {{"key", "b"}}).dump(),
                        {{"content-type", "application/apply-patch+yaml"}});
  CHECK(forced.status == 200);
  CHECK(forced.json["data"]["key"] == "b");

  Reply mismatch = f.call("PATCH", kCms + "/other?fieldManager=alice", config_map_json("s").dump(),
                          {{"content-type", "application/apply-patch+yaml"}});
  CHECK(mismatch.status == 400);
}
