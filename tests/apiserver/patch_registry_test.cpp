// Strategic merge patch with the schemas the registry serves for built-in kinds.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "apiserver/patch.h"
#include "apiserver/resources.h"

using cairn::apiserver::Registry;
using cairn::apiserver::strategic_merge_patch;
using nlohmann::json;

TEST_CASE("smp with the registry's Deployment schema merges pod template containers and env") {
  Registry registry;
  auto info = registry.find("apps", "v1", "deployments");
  REQUIRE(info);
  REQUIRE(info->schema);
  const json live = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d","finalizers":["a"]},
      "spec":{"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[
        {"name":"web","image":"w:1","env":[{"name":"A","value":"1"}]},
        {"name":"log","image":"l:1"}]}}}})"_json;
  auto out = strategic_merge_patch(live, R"({"metadata":{"finalizers":["b"]},
      "spec":{"template":{"spec":{"containers":[
        {"name":"web","env":[{"name":"A","value":"2"}]}]}}}})"_json,
                                   info->schema.get());
  REQUIRE(out);
  CHECK((*out)["metadata"]["finalizers"] == R"(["b","a"])"_json);
  const json& containers = (*out)["spec"]["template"]["spec"]["containers"];
  CHECK(containers == R"([{"name":"web","image":"w:1","env":[{"name":"A","value":"2"}]},
                          {"name":"log","image":"l:1"}])"_json);
}

TEST_CASE("smp with the registry's ConfigMap schema merges data like a merge patch") {
  Registry registry;
  auto info = registry.find("", "v1", "configmaps");
  REQUIRE(info);
  const json live = R"({"metadata":{"name":"c","ownerReferences":[{"uid":"1","name":"x"}]},
                        "data":{"a":"1","b":"2"}})"_json;
  auto out = strategic_merge_patch(
      live, R"({"metadata":{"ownerReferences":[{"uid":"1","controller":true}]},
                "data":{"a":null,"c":"3"}})"_json,
      info->schema.get());
  REQUIRE(out);
  CHECK(*out == R"({"metadata":{"name":"c","ownerReferences":[
                     {"uid":"1","name":"x","controller":true}]},
                   "data":{"b":"2","c":"3"}})"_json);
}
