// API handler: the CRD lifecycle — install, serve, prune, default, validate, status and scale
// subresources, printer columns, versions, delete (kube-api.md §10, §15).
#include "tests/apiserver/api_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

const std::string kCrds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const std::string kWidgets = "/apis/example.com/v1/namespaces/default/widgets";

json widget_schema() {
  return {{"type", "object"},
          {"properties",
           {{"spec",
             {{"type", "object"},
              {"properties",
               {{"size", {{"type", "integer"}, {"maximum", 10}}},
                {"replicas", {{"type", "integer"}}},
                {"color", {{"type", "string"}, {"default", "red"}}}}}}},
            {"status",
             {{"type", "object"},
              {"properties",
               {{"ready", {{"type", "boolean"}}}, {"replicas", {{"type", "integer"}}}}}}}}}};
}

json widget_crd() {
  json version = {
      {"name", "v1"},
      {"served", true},
      {"storage", true},
      {"schema", {{"openAPIV3Schema", widget_schema()}}},
      {"subresources",
       {{"status", json::object()},
        {"scale",
         {{"specReplicasPath", ".spec.replicas"}, {"statusReplicasPath", ".status.replicas"}}}}},
      {"additionalPrinterColumns",
       json::array({{{"name", "Size"}, {"type", "integer"}, {"jsonPath", ".spec.size"}},
                    {{"name", "Color"}, {"type", "string"}, {"jsonPath", ".spec.color"}}})}};
  json v2 = version;
  v2["name"] = "v2";
  v2["storage"] = false;
  v2.erase("additionalPrinterColumns");
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "widgets.example.com"}}},
          {"spec",
           {{"group", "example.com"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
            {"versions", json::array({version, v2})}}}};
}

json widget(const std::string& name, json spec) {
  return {{"apiVersion", "example.com/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

void install(ApiFixture& f) {
  Reply r = f.post(kCrds, widget_crd());
  if (r.status != 201) FAIL(r.body);
}

}  // namespace

TEST_CASE("a created CRD is established at once and served in discovery and OpenAPI") {
  ApiFixture f;
  Reply r = f.post(kCrds, widget_crd());
  REQUIRE(r.status == 201);
  bool established = false;
  for (const json& c : r.json["status"]["conditions"]) {
    if (c["type"] == "Established") established = c["status"] == "True";
  }
  CHECK(established);
  CHECK(r.json["status"]["acceptedNames"]["kind"] == "Widget");
  Reply rl = f.get("/apis/example.com/v1");
  REQUIRE(rl.status == 200);
  bool has_widgets = false;
  for (const json& res : rl.json["resources"])
    has_widgets = has_widgets || res["name"] == "widgets";
  CHECK(has_widgets);
  CHECK(f.get("/openapi/v3").json["paths"].contains("apis/example.com/v1"));
  CHECK(f.get(kWidgets).json["kind"] == "WidgetList");
}

TEST_CASE("custom resources are pruned, defaulted and validated") {
  ApiFixture f;
  install(f);
  Reply created = f.post(kWidgets, widget("w1", {{"size", 3}}));
  REQUIRE(created.status == 201);
  CHECK(created.json["spec"]["color"] == "red");
  CHECK(created.json["spec"]["size"].is_number_integer());
  CHECK(created.json["metadata"]["generation"] == 1);

  json unknown = widget("w2", {{"size", 3}, {"bogus", 1}});
  Reply strict = f.post(kWidgets + "?fieldValidation=Strict", unknown);
  CHECK(strict.status == 400);
  CHECK(strict.json["message"] ==
        "Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown "
        "field \"spec.bogus\"");
  Reply warned = f.post(kWidgets, unknown);
  CHECK(warned.status == 201);
  CHECK(warned.header("Warning") == "299 - \"unknown field \\\"spec.bogus\\\"\"");
  CHECK_FALSE(warned.json["spec"].contains("bogus"));

  Reply invalid = f.post(kWidgets, widget("w3", {{"size", 11}}));
  CHECK(invalid.status == 422);
  CHECK(invalid.json["reason"] == "Invalid");
  CHECK(invalid.json["details"]["kind"] == "Widget");
  CHECK(invalid.json["details"]["group"] == "example.com");
  CHECK(invalid.json["message"].get<std::string>().rfind("Widget.example.com \"w3\" is invalid: ",
                                                         0) == 0);
}

TEST_CASE("custom resource updates need a resourceVersion and strategic patches are 415") {
  ApiFixture f;
  install(f);
  Reply created = f.post(kWidgets, widget("w", {{"size", 1}}));
  REQUIRE(created.status == 201);
  json next = created.json;
  next["metadata"].erase("resourceVersion");
  Reply no_rv = f.put(kWidgets + "/w", next);
  CHECK(no_rv.status == 422);
  CHECK(no_rv.json["details"]["causes"][0]["field"] == "metadata.resourceVersion");
  CHECK(no_rv.json["message"] ==
        "Widget.example.com \"w\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must "
        "be specified for an update");

  Reply smp =
      f.patch(kWidgets + "/w", "application/strategic-merge-patch+json", {{"spec", {{"size", 2}}}});
  CHECK(smp.status == 415);
  CHECK(smp.json["message"] ==
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  Reply merged =
      f.patch(kWidgets + "/w", "application/merge-patch+json", {{"spec", {{"size", 2}}}});
  CHECK(merged.status == 200);
  CHECK(merged.json["metadata"]["generation"] == 2);
}

TEST_CASE("the status subresource splits status from spec") {
  ApiFixture f;
  install(f);
  json w = widget("s", {{"size", 1}});
  w["status"] = {{"ready", true}};
  Reply created = f.post(kWidgets, w);
  REQUIRE(created.status == 201);
  CHECK_FALSE(created.json.contains("status"));

  Reply status = f.patch(kWidgets + "/s/status", "application/merge-patch+json",
                         {{"status", {{"ready", true}}}, {"spec", {{"size", 9}}}});
  REQUIRE(status.status == 200);
  CHECK(status.json["status"]["ready"] == true);
  CHECK(status.json["spec"]["size"] == 1);
  CHECK(status.json["metadata"]["generation"] == 1);
  CHECK(f.get(kWidgets + "/s/status").json["status"]["ready"] == true);

  json main = status.json;
  main["status"]["ready"] = false;
  main["spec"]["size"] = 4;
  Reply updated = f.put(kWidgets + "/s", main);
  REQUIRE(updated.status == 200);
  CHECK(updated.json["status"]["ready"] == true);
  CHECK(updated.json["spec"]["size"] == 4);
}

TEST_CASE("the scale subresource reads and writes the replicas paths") {
  ApiFixture f;
  install(f);
  REQUIRE(f.post(kWidgets, widget("sc", {{"replicas", 2}})).status == 201);
  Reply scale = f.get(kWidgets + "/sc/scale");
  REQUIRE(scale.status == 200);
  CHECK(scale.json["kind"] == "Scale");
  CHECK(scale.json["apiVersion"] == "autoscaling/v1");
  CHECK(scale.json["spec"]["replicas"] == 2);
  Reply patched = f.patch(kWidgets + "/sc/scale", "application/merge-patch+json",
                          {{"spec", {{"replicas", 5}}}});
  REQUIRE(patched.status == 200);
  CHECK(patched.json["spec"]["replicas"] == 5);
  CHECK(f.get(kWidgets + "/sc").json["spec"]["replicas"] == 5);
}

TEST_CASE("custom resources list as Tables with their printer columns") {
  ApiFixture f;
  install(f);
  REQUIRE(f.post(kWidgets, widget("t", {{"size", 7}})).status == 201);
  Reply table = f.get("/apis/example.com/v1/widgets?limit=500", kTableAccept);
  REQUIRE(table.status == 200);
  std::vector<std::string> names;
  for (const json& c : table.json["columnDefinitions"]) names.push_back(c["name"]);
  CHECK(names == std::vector<std::string>{"Name", "Size", "Color"});
  REQUIRE(table.json["rows"].size() == 1);
  CHECK(table.json["rows"][0]["cells"] == json::array({"t", 7, "red"}));
}

TEST_CASE("custom resources are served in every served version and stored in one") {
  ApiFixture f;
  install(f);
  REQUIRE(f.post(kWidgets, widget("v", {{"size", 2}})).status == 201);
  Reply v2 = f.get("/apis/example.com/v2/namespaces/default/widgets/v");
  REQUIRE(v2.status == 200);
  CHECK(v2.json["apiVersion"] == "example.com/v2");
  Reply stored = f.get(kWidgets + "/v");
  CHECK(stored.json["apiVersion"] == "example.com/v1");
}

TEST_CASE("a CRD whose names conflict is not accepted and deleting a CR answers Success") {
  ApiFixture f;
  install(f);
  CHECK(f.post(kCrds, widget_crd()).status == 409);
  json clash = widget_crd();
  clash["metadata"]["name"] = "gadgets.example.com";
  clash["spec"]["names"] = {{"plural", "gadgets"}, {"singular", "gadget"}, {"kind", "Widget"}};
  Reply rejected = f.post(kCrds, clash);
  REQUIRE(rejected.status == 201);
  bool names_accepted = true;
  for (const json& c : rejected.json["status"]["conditions"]) {
    if (c["type"] == "NamesAccepted") names_accepted = c["status"] == "True";
  }
  CHECK_FALSE(names_accepted);
  CHECK(f.get("/apis/example.com/v1/namespaces/default/gadgets").status == 404);
  REQUIRE(f.post(kWidgets, widget("d", {{"size", 1}})).status == 201);
  Reply deleted = f.del(kWidgets + "/d");
  CHECK(deleted.status == 200);
  CHECK(deleted.json["status"] == "Success");
  CHECK(deleted.json["details"]["group"] == "example.com");
  CHECK(deleted.json["details"]["kind"] == "widgets");
  Reply crd_delete = f.del(kCrds + "/widgets.example.com");
  CHECK(crd_delete.status == 200);
  CHECK(crd_delete.json["metadata"].contains("deletionTimestamp"));
}
