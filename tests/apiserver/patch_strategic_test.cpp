// Strategic merge patch, with schemas written here in the shape of the built-in OpenAPI.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/patch.h"

namespace {

using cairn::apiserver::StatusCode;
using cairn::apiserver::strategic_merge_patch;
using nlohmann::json;

const json& pod_spec_schema() {
  static const json kSchema = R"({
    "type": "object",
    "properties": {
      "containers": {
        "type": "array",
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-patch-merge-key": "name",
        "items": {
          "type": "object",
          "properties": {
            "name": {"type": "string"},
            "image": {"type": "string"},
            "args": {"type": "array", "items": {"type": "string"}},
            "env": {
              "type": "array",
              "x-kubernetes-patch-strategy": "merge",
              "x-kubernetes-patch-merge-key": "name",
              "items": {"type": "object"}
            },
            "ports": {
              "type": "array",
              "x-kubernetes-patch-strategy": "merge",
              "x-kubernetes-patch-merge-key": "containerPort",
              "items": {"type": "object"}
            }
          }
        }
      },
      "volumes": {
        "type": "array",
        "x-kubernetes-patch-strategy": "merge,retainKeys",
        "x-kubernetes-patch-merge-key": "name",
        "items": {"type": "object"}
      },
      "tolerations": {"type": "array", "items": {"type": "object"}},
      "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
      "securityContext": {"type": "object", "x-kubernetes-patch-strategy": "replace"},
      "matrix": {
        "type": "array",
        "x-kubernetes-patch-strategy": "merge",
        "items": {"type": "array"}
      },
      "unkeyed": {"type": "array", "x-kubernetes-patch-strategy": "merge"}
    }
  })"_json;
  return kSchema;
}

const json& pod_schema() {
  static const json kSchema = [] {
    json s = R"({"type": "object", "properties": {"apiVersion": {"type": "string"},
                 "kind": {"type": "string"}}})"_json;
    s["properties"]["spec"] = pod_spec_schema();
    return s;
  }();
  return kSchema;
}

// A Deployment: the pod template nests a pod spec; strategy uses retainKeys.
const json& deployment_schema() {
  static const json kSchema = [] {
    json s = R"({"type": "object", "properties": {"spec": {"type": "object", "properties": {
      "replicas": {"type": "integer"},
      "strategy": {
        "type": "object",
        "x-kubernetes-patch-strategy": "retainKeys",
        "properties": {"type": {"type": "string"}, "rollingUpdate": {"type": "object"}}
      },
      "template": {"type": "object", "properties": {
        "metadata": {"type": "object", "properties": {
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "finalizers": {"type": "array", "items": {"type": "string"},
                         "x-kubernetes-patch-strategy": "merge"}
        }}
      }}
    }}}})"_json;
    s["properties"]["spec"]["properties"]["template"]["properties"]["spec"] = pod_spec_schema();
    return s;
  }();
  return kSchema;
}

json smp(const json& target, const json& patch, const json* schema = &pod_schema()) {
  auto result = strategic_merge_patch(target, patch, schema);
  INFO("patch " << patch.dump());
  if (!result) FAIL_CHECK("strategic_merge_patch failed: " << result.error().message);
  return result ? *result : json();
}

cairn::apiserver::Status smp_error(const json& target, const json& patch,
                                   const json* schema = &pod_schema()) {
  auto result = strategic_merge_patch(target, patch, schema);
  INFO("patch " << patch.dump());
  REQUIRE_FALSE(result);
  return result.error();
}

const json kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "p", "labels": {"app": "web"}, "finalizers": ["a", "b"],
               "ownerReferences": [
                 {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u1"},
                 {"apiVersion": "v1", "kind": "Y", "name": "y", "uid": "u2"}]},
  "spec": {
    "containers": [
      {"name": "app", "image": "app:1", "args": ["--a", "--b"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
       "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}]},
      {"name": "sidecar", "image": "side:1"}
    ],
    "tolerations": [{"key": "k1"}, {"key": "k2"}],
    "securityContext": {"runAsUser": 1, "fsGroup": 2}
  }
})"_json;

}  // namespace

TEST_CASE("smp merges containers by name and keeps the other containers") {
  json out = smp(kPod, R"({"spec":{"containers":[{"name":"app","image":"app:2"}]}})"_json);
  REQUIRE(out["spec"]["containers"].size() == 2);
  CHECK(out["spec"]["containers"][0]["name"] == "app");
  CHECK(out["spec"]["containers"][0]["image"] == "app:2");
  CHECK(out["spec"]["containers"][0]["env"] == kPod["spec"]["containers"][0]["env"]);
  CHECK(out["spec"]["containers"][1] == kPod["spec"]["containers"][1]);
  // Everything else is untouched.
  out["spec"]["containers"][0]["image"] = "app:1";
  CHECK(out == kPod);
}

TEST_CASE("smp puts new list items before the server's items as kube does") {
  json out = smp(kPod, R"({"spec":{"containers":[{"name":"init","image":"i:1"}]}})"_json);
  REQUIRE(out["spec"]["containers"].size() == 3);
  CHECK(out["spec"]["containers"][0] == R"({"name":"init","image":"i:1"})"_json);
  CHECK(out["spec"]["containers"][1]["name"] == "app");
  CHECK(out["spec"]["containers"][2]["name"] == "sidecar");
}

TEST_CASE("smp merges env by name and ports by containerPort inside a container") {
  json out = smp(kPod, R"({"spec":{"containers":[{"name":"app",
      "env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],
      "ports":[{"containerPort":443,"name":"https"}]}]}})"_json);
  const json& app = out["spec"]["containers"][0];
  CHECK(app["env"] ==
        R"([{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}])"_json);
  CHECK(app["ports"] ==
        R"([{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"name":"https"}])"_json);
  // args has no strategy: replaced.
  json args = smp(kPod, R"({"spec":{"containers":[{"name":"app","args":["--c"]}]}})"_json);
  CHECK(args["spec"]["containers"][0]["args"] == R"(["--c"])"_json);
}

TEST_CASE("smp deletes list items with $patch delete and keys with null") {
  json out = smp(kPod, R"({"spec":{"containers":[
      {"name":"app","env":[{"name":"A","$patch":"delete"}],"image":null},
      {"name":"sidecar","$patch":"delete"}]}})"_json);
  REQUIRE(out["spec"]["containers"].size() == 1);
  CHECK(out["spec"]["containers"][0]["env"] == R"([{"name":"B","value":"2"}])"_json);
  CHECK_FALSE(out["spec"]["containers"][0].contains("image"));
  // Deleting an item that is not there, or a key that is not there, changes nothing.
  CHECK(smp(kPod, R"({"spec":{"containers":[{"name":"none","$patch":"delete"}],
                              "hostname":null}})"_json) == kPod);
}

TEST_CASE("smp replaces a whole list with a $patch replace item") {
  json out = smp(kPod, R"({"spec":{"containers":[{"$patch":"replace"},
      {"name":"only","image":"o:1","env":[{"name":"X","value":null}]}]}})"_json);
  CHECK(out["spec"]["containers"] ==
        R"([{"name":"only","image":"o:1","env":[{"name":"X"}]}])"_json);
}

TEST_CASE("smp $patch in maps replaces, deletes or merges the map") {
  json replaced = smp(kPod, R"({"spec":{"$patch":"replace","containers":[{"name":"n"}]}})"_json);
  CHECK(replaced["spec"] == R"({"containers":[{"name":"n"}]})"_json);
  json deleted = smp(kPod, R"({"spec":{"$patch":"delete"}})"_json);
  CHECK(deleted["spec"] == json::object());
  json merged = smp(kPod, R"({"metadata":{"$patch":"merge","labels":{"tier":"x"}}})"_json);
  CHECK(merged["metadata"]["labels"] == R"({"app":"web","tier":"x"})"_json);
  CHECK_FALSE(merged["metadata"].contains("$patch"));
}

TEST_CASE("smp replaces maps and lists whose strategy is replace or unset") {
  json out = smp(kPod, R"({"spec":{"securityContext":{"runAsUser":5},
                                   "tolerations":[{"key":"k3"}]}})"_json);
  CHECK(out["spec"]["securityContext"] == R"({"runAsUser":5})"_json);
  CHECK(out["spec"]["tolerations"] == R"([{"key":"k3"}])"_json);
  // Maps without a strategy merge (nodeSelector is additionalProperties).
  json labels = smp(R"({"spec":{"nodeSelector":{"a":"1","b":"2"}}})"_json,
                    R"({"spec":{"nodeSelector":{"a":null,"c":"3"}}})"_json);
  CHECK(labels["spec"]["nodeSelector"] == R"({"b":"2","c":"3"})"_json);
}

TEST_CASE("smp metadata follows the ObjectMeta schema: finalizers union, owners by uid") {
  json union_ = smp(kPod, R"({"metadata":{"finalizers":["c","a"]}})"_json);
  CHECK(union_["metadata"]["finalizers"] == R"(["c","a","b"])"_json);
  json removed = smp(kPod, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"_json);
  CHECK(removed["metadata"]["finalizers"] == R"(["b"])"_json);
  CHECK_FALSE(removed["metadata"].contains("$deleteFromPrimitiveList/finalizers"));
  json both = smp(kPod, R"({"metadata":{"finalizers":["d"],
                            "$deleteFromPrimitiveList/finalizers":["a","b"]}})"_json);
  CHECK(both["metadata"]["finalizers"] == R"(["d"])"_json);

  json owners = smp(kPod, R"({"metadata":{"ownerReferences":[
      {"uid":"u2","controller":true},
      {"apiVersion":"v1","kind":"Z","name":"z","uid":"u3"}]}})"_json);
  const json& refs = owners["metadata"]["ownerReferences"];
  REQUIRE(refs.size() == 3);
  CHECK(refs[0]["uid"] == "u1");
  CHECK(refs[1] ==
        R"({"apiVersion":"v1","kind":"Y","name":"y","uid":"u2","controller":true})"_json);
  CHECK(refs[2]["uid"] == "u3");
  json dropped =
      smp(kPod, R"({"metadata":{"ownerReferences":[{"uid":"u1","$patch":"delete"}]}})"_json);
  CHECK(dropped["metadata"]["ownerReferences"].size() == 1);
  CHECK(dropped["metadata"]["ownerReferences"][0]["uid"] == "u2");

  // Without any schema, metadata still follows ObjectMeta and other lists are replaced.
  json bare = smp(kPod, R"({"metadata":{"finalizers":["z"]},
                            "spec":{"containers":[{"name":"x"}]}})"_json,
                  nullptr);
  CHECK(bare["metadata"]["finalizers"] == R"(["z","a","b"])"_json);
  CHECK(bare["spec"]["containers"] == R"([{"name":"x"}])"_json);
}

TEST_CASE("smp $setElementOrder orders merged lists, also when the list is not patched") {
  json reordered = smp(kPod, R"({"spec":{"$setElementOrder/containers":
      [{"name":"sidecar"},{"name":"app"}]}})"_json);
  REQUIRE(reordered["spec"]["containers"].size() == 2);
  CHECK(reordered["spec"]["containers"][0]["name"] == "sidecar");
  CHECK(reordered["spec"]["containers"][1]["name"] == "app");
  CHECK_FALSE(reordered["spec"].contains("$setElementOrder/containers"));

  // kubectl apply adding a container between two: the order list places it.
  json inserted = smp(kPod, R"({"spec":{
      "$setElementOrder/containers":[{"name":"app"},{"name":"mid"},{"name":"sidecar"}],
      "containers":[{"name":"mid","image":"m:1"}]}})"_json);
  REQUIRE(inserted["spec"]["containers"].size() == 3);
  CHECK(inserted["spec"]["containers"][0]["name"] == "app");
  CHECK(inserted["spec"]["containers"][1] == R"({"name":"mid","image":"m:1"})"_json);
  CHECK(inserted["spec"]["containers"][2]["name"] == "sidecar");

  // Primitive lists and nested lists too; order lists of unknown fields are only stripped.
  json nested = smp(kPod, R"({"metadata":{"$setElementOrder/finalizers":["b","a"]},
      "spec":{"containers":[{"name":"app",
        "$setElementOrder/env":[{"name":"B"},{"name":"A"}]}],
      "$setElementOrder/unknown":[1]}})"_json);
  CHECK(nested["metadata"]["finalizers"] == R"(["b","a"])"_json);
  CHECK(nested["spec"]["containers"][0]["env"] ==
        R"([{"name":"B","value":"2"},{"name":"A","value":"1"}])"_json);
  CHECK_FALSE(nested["spec"].contains("unknown"));
  CHECK_FALSE(nested["spec"].contains("$setElementOrder/unknown"));
}

TEST_CASE("smp $retainKeys clears the keys it does not list") {
  const json live = R"({"spec":{"replicas":1,"strategy":{"type":"RollingUpdate",
                         "rollingUpdate":{"maxSurge":1}}}})"_json;
  json out = smp(live, R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"_json,
                 &deployment_schema());
  CHECK(out == R"({"spec":{"replicas":1,"strategy":{"type":"Recreate"}}})"_json);

  auto mismatch =
      smp_error(live, R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"_json,
                &deployment_schema());
  CHECK(mismatch.code == StatusCode::kInvalid);
  CHECK(mismatch.message == "patch content doesn't match retainKeys list");
  auto not_list =
      smp_error(live, R"({"spec":{"strategy":{"$retainKeys":"type"}}})"_json, &deployment_schema());
  CHECK(not_list.code == StatusCode::kBadRequest);
  CHECK(not_list.message == "invalid patch format of retainKeys");

  // In list items (volumes use merge,retainKeys): the volume source is switched.
  json volumes = smp(R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}]}})"_json,
                     R"({"spec":{"volumes":[{"name":"v","$retainKeys":["name","configMap"],
                                             "configMap":{"name":"cm"}}]}})"_json);
  CHECK(volumes["spec"]["volumes"] == R"([{"name":"v","configMap":{"name":"cm"}}])"_json);
}

TEST_CASE("smp merges the pod template of a Deployment") {
  const json live = R"({"spec":{"replicas":2,"template":{
      "metadata":{"labels":{"app":"web"},"finalizers":["x"]},
      "spec":{"containers":[{"name":"web","image":"w:1",
                             "env":[{"name":"MODE","value":"a"}]}]}}}})"_json;
  json out = smp(live, R"({"spec":{"replicas":3,"template":{
      "metadata":{"labels":{"rev":"2"},"finalizers":["y"]},
      "spec":{"containers":[{"name":"web","image":"w:2",
                             "env":[{"name":"DEBUG","value":"1"}]}]}}}})"_json,
                 &deployment_schema());
  CHECK(out == R"({"spec":{"replicas":3,"template":{
      "metadata":{"labels":{"app":"web","rev":"2"},"finalizers":["y","x"]},
      "spec":{"containers":[{"name":"web","image":"w:2",
                             "env":[{"name":"DEBUG","value":"1"},
                                    {"name":"MODE","value":"a"}]}]}}}})"_json);
}

TEST_CASE("smp of a kubectl client-side apply patch to a ConfigMap") {
  const json live = R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"d","resourceVersion":"7"},
      "data":{"a":"1","b":"2"}})"_json;
  const json patch = R"({"data":{"a":"2","b":null,"c":"3"},"metadata":{"annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"{}\n"},"labels":{"tier":"x"}}})"_json;
  CHECK(smp(live, patch, nullptr) == R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"d","resourceVersion":"7",
        "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"},
        "labels":{"tier":"x"}},
      "data":{"a":"2","c":"3"}})"_json);
}

TEST_CASE("smp drops nulls and directives from values that are new") {
  json out = smp(R"({"spec":{}})"_json, R"({"spec":{"nodeSelector":{"a":"1","b":null},
      "containers":[{"name":"x","env":[{"name":"E","value":null}]},{"name":"y","$patch":"delete"}],
      "securityContext":{"$patch":"replace","runAsUser":3}}})"_json);
  CHECK(out ==
        R"({"spec":{"nodeSelector":{"a":"1"},"containers":[{"name":"x","env":[{"name":"E"}]}],
      "securityContext":{"runAsUser":3}}})"_json);
  // A field whose type changes takes the patch value.
  json retyped = smp(R"({"spec":{"nodeSelector":"x","tolerations":{"a":1}}})"_json,
                     R"({"spec":{"nodeSelector":{"a":"1"},"tolerations":[{"key":"k"}]}})"_json);
  CHECK(retyped == R"({"spec":{"nodeSelector":{"a":"1"},"tolerations":[{"key":"k"}]}})"_json);
}

TEST_CASE("smp leaves its inputs unchanged and treats a null patch as no change") {
  const json patch = R"({"spec":{"containers":[{"name":"app","$patch":"delete"}]}})"_json;
  const json patch_copy = patch;
  const json pod_copy = kPod;
  CHECK(smp(kPod, patch)["spec"]["containers"].size() == 1);
  CHECK(kPod == pod_copy);
  CHECK(patch == patch_copy);
  CHECK(smp(kPod, json()) == kPod);
}

TEST_CASE("smp rejects malformed patches with kube's messages") {
  auto not_object = smp_error(kPod, R"([1])"_json);
  CHECK(not_object.code == StatusCode::kBadRequest);
  CHECK(not_object.message ==
        "json: cannot unmarshal array into Go value of type map[string]interface {}");

  auto no_key = smp_error(kPod, R"({"spec":{"containers":[{"image":"x"}]}})"_json);
  CHECK(no_key.code == StatusCode::kBadRequest);
  CHECK(no_key.message == "map: map[image:x] does not contain declared merge key: name");
  auto delete_no_key = smp_error(kPod, R"({"spec":{"containers":[{"$patch":"delete"}]}})"_json);
  CHECK(delete_no_key.message ==
        "map: map[$patch:delete] does not contain declared merge key: name");

  auto bad_map_directive = smp_error(kPod, R"({"spec":{"$patch":"remove"}})"_json);
  CHECK(bad_map_directive.code == StatusCode::kBadRequest);
  CHECK(bad_map_directive.message == "unknown patch type: remove in map: map[$patch:remove]");
  auto bad_item_directive =
      smp_error(kPod, R"({"spec":{"containers":[{"name":"app","$patch":"keep"}]}})"_json);
  CHECK(bad_item_directive.message == "unknown patch type: keep in map: map[$patch:keep name:app]");

  CHECK(smp_error(kPod, R"({"metadata":{"$setElementOrder/finalizers":"a"}})"_json).message ==
        "invalid patch format of setElementOrder list");
  CHECK(
      smp_error(kPod, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})"_json).message ==
      "invalid patch format of primitive list");

  auto mixed = smp_error(kPod, R"({"metadata":{"finalizers":[{"a":1}]}})"_json);
  CHECK(mixed.code == StatusCode::kBadRequest);
  CHECK_THAT(mixed.message, Catch::StartsWith("list element types are not identical"));

  auto lists = smp_error(R"({"spec":{"matrix":[[1]]}})"_json, R"({"spec":{"matrix":[[2]]}})"_json);
  CHECK(lists.code == StatusCode::kInvalid);
  CHECK(lists.message == "lists of lists are not supported");

  auto unkeyed =
      smp_error(R"({"spec":{"unkeyed":[{"a":1}]}})"_json, R"({"spec":{"unkeyed":[{"a":2}]}})"_json);
  CHECK(unkeyed.code == StatusCode::kBadRequest);
  CHECK(unkeyed.message == "cannot merge lists without merge key for unkeyed");
  // A merge list of scalars without a merge key is a union.
  CHECK(smp(R"({"spec":{"unkeyed":[1,2]}})"_json, R"({"spec":{"unkeyed":[2,3]}})"_json) ==
        R"({"spec":{"unkeyed":[1,2,3]}})"_json);
}

TEST_CASE("smp with an empty merge list or a deletion list for a missing field changes nothing") {
  CHECK(smp(kPod, R"({"spec":{"containers":[]},"metadata":{"finalizers":[]}})"_json) == kPod);
  json out = smp(kPod, R"({"spec":{"$deleteFromPrimitiveList/imagePullSecrets":["x"]}})"_json);
  CHECK(out == kPod);
  CHECK_FALSE(out["spec"].contains("imagePullSecrets"));
  // null removes a merge list entirely.
  json cleared = smp(kPod, R"({"metadata":{"finalizers":null}})"_json);
  CHECK_FALSE(cleared["metadata"].contains("finalizers"));
}

TEST_CASE("smp combines $setElementOrder with deletions in the same list") {
  json out = smp(kPod, R"({"spec":{
      "$setElementOrder/containers":[{"name":"new"},{"name":"app"}],
      "containers":[{"name":"new","image":"n:1"},{"name":"sidecar","$patch":"delete"}]}})"_json);
  REQUIRE(out["spec"]["containers"].size() == 2);
  CHECK(out["spec"]["containers"][0] == R"({"name":"new","image":"n:1"})"_json);
  CHECK(out["spec"]["containers"][1]["name"] == "app");
  CHECK(out["spec"]["containers"][1]["image"] == "app:1");
}
