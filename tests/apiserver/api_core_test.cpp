// API handler: discovery, health, CRUD status codes and bodies (kube-api.md §3, §5, §6, §14),
// authentication.
#include "apiserver/auth.h"
#include "tests/apiserver/api_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {
const std::string kCms = "/api/v1/namespaces/default/configmaps";
}

TEST_CASE("version, health and legacy discovery documents are served") {
  ApiFixture f;
  Reply v = f.get("/version?timeout=5s");
  CHECK(v.status == 200);
  CHECK(v.json["major"] == "1");
  CHECK(v.json.contains("minor"));
  Reply h = f.get("/readyz");
  CHECK(h.status == 200);
  CHECK(h.body == "ok");
  CHECK(f.get("/healthz").body == "ok");
  CHECK(f.get("/livez").body == "ok");

  Reply api = f.get("/api?timeout=32s");
  CHECK(api.status == 200);
  CHECK(api.json["kind"] == "APIVersions");
  CHECK(api.json["versions"] == json::array({"v1"}));
  Reply apis = f.get("/apis");
  CHECK(apis.json["kind"] == "APIGroupList");
  Reply v1 = f.get("/api/v1");
  CHECK(v1.json["kind"] == "APIResourceList");
  bool has_cm = false;
  for (const json& r : v1.json["resources"]) has_cm = has_cm || r["name"] == "configmaps";
  CHECK(has_cm);
  CHECK(f.get("/apis/apps/v1").json["groupVersion"] == "apps/v1");
  CHECK(f.get("/apis/apps").json["kind"] == "APIGroup");
  CHECK(f.get("/apis/nope.example.com/v1").status == 404);
  CHECK(f.get("/api/v2").status == 404);
}

TEST_CASE("aggregated discovery is served with its content type when asked for") {
  ApiFixture f;
  Reply api = f.get("/api?timeout=32s", kAggregatedAccept);
  CHECK(api.status == 200);
  CHECK(api.header("Content-Type") ==
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  CHECK(api.json["kind"] == "APIGroupDiscoveryList");
  Reply apis = f.get("/apis", kAggregatedAccept);
  CHECK(apis.json["kind"] == "APIGroupDiscoveryList");
  CHECK(apis.json["items"].size() > 0);
}

TEST_CASE("OpenAPI v3 index and documents are served and v2 is a 404 Status") {
  ApiFixture f;
  Reply index = f.get("/openapi/v3");
  REQUIRE(index.status == 200);
  REQUIRE(index.json["paths"].contains("api/v1"));
  std::string url = index.json["paths"]["api/v1"]["serverRelativeURL"];
  Reply doc = f.get(url);
  CHECK(doc.status == 200);
  CHECK(doc.json.contains("components"));
  Reply v2 = f.get("/openapi/v2?timeout=32s",
                   "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
  CHECK(v2.status == 404);
  CHECK(v2.json["kind"] == "Status");
  CHECK(f.get("/no/such/path").json["message"] ==
        "the server could not find the requested resource");
}

TEST_CASE("start seeds the default namespaces as Active with the name label") {
  ApiFixture f;
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Reply r = f.get(std::string("/api/v1/namespaces/") + ns);
    CHECK(r.status == 200);
    CHECK(r.json["status"]["phase"] == "Active");
    CHECK(r.json["metadata"]["labels"]["kubernetes.io/metadata.name"] == ns);
  }
}

TEST_CASE("configmap create, get, update, delete follow kube's codes and bodies") {
  ApiFixture f;
  Reply created = f.post(kCms + "?fieldManager=kubectl-create&fieldValidation=Strict",
                         config_map_json("cm1", {{"a", "1"}}));
  REQUIRE(created.status == 201);
  CHECK(created.json["metadata"]["namespace"] == "default");
  CHECK_FALSE(created.json["metadata"]["uid"].get<std::string>().empty());
  CHECK(created.json["metadata"]["managedFields"][0]["manager"] == "kubectl-create");
  std::string rv = created.json["metadata"]["resourceVersion"];

  Reply dup = f.post(kCms, config_map_json("cm1"));
  CHECK(dup.status == 409);
  CHECK(dup.json["reason"] == "AlreadyExists");
  CHECK(dup.json["message"] == "configmaps \"cm1\" already exists");
  CHECK(dup.json["details"] == json{{"name", "cm1"}, {"kind", "configmaps"}});

  Reply got = f.get(kCms + "/cm1");
  CHECK(got.status == 200);
  CHECK(got.json["data"]["a"] == "1");

  json next = got.json;
  next["data"]["a"] = "2";
  Reply updated = f.put(kCms + "/cm1", next);
  CHECK(updated.status == 200);
  CHECK(updated.json["data"]["a"] == "2");
  CHECK(updated.json["metadata"]["resourceVersion"] != rv);

  Reply stale = f.put(kCms + "/cm1", next);
  CHECK(stale.status == 409);
  CHECK(stale.json["reason"] == "Conflict");
  CHECK(stale.json["message"] ==
        "Operation cannot be fulfilled on configmaps \"cm1\": the object has been modified; "
        "please apply your changes to the latest version and try again");
  CHECK(stale.json["details"]["kind"] == "configmaps");

  json renamed = updated.json;
  renamed["metadata"]["name"] = "other";
  Reply mismatch = f.put(kCms + "/cm1", renamed);
  CHECK(mismatch.status == 400);
  CHECK(mismatch.json["message"] ==
        "the name of the object (other) does not match the name on the URL (cm1)");

  Reply deleted = f.del(kCms + "/cm1", R"({"propagationPolicy":"Background"})");
  CHECK(deleted.status == 200);
  CHECK(deleted.json["kind"] == "Status");
  CHECK(deleted.json["status"] == "Success");
  CHECK(deleted.json["details"]["name"] == "cm1");
  CHECK(deleted.json["details"]["kind"] == "configmaps");

  Reply missing = f.get(kCms + "/cm1");
  CHECK(missing.status == 404);
  CHECK(missing.json["message"] == "configmaps \"cm1\" not found");
  CHECK(missing.json["details"] == json{{"name", "cm1"}, {"kind", "configmaps"}});
  CHECK(f.del(kCms + "/cm1").status == 404);
  CHECK(f.put(kCms + "/cm1", next).status == 404);
}

TEST_CASE("create checks the namespace: missing 404, mismatch 400, terminating 403") {
  ApiFixture f;
  Reply missing = f.post("/api/v1/namespaces/nope/configmaps", config_map_json("a"));
  CHECK(missing.status == 404);
  CHECK(missing.json["message"] == "namespaces \"nope\" not found");
  CHECK(missing.json["details"] == json{{"name", "nope"}, {"kind", "namespaces"}});

  json other = config_map_json("a");
  other["metadata"]["namespace"] = "kube-system";
  Reply mismatch = f.post(kCms, other);
  CHECK(mismatch.status == 400);
  CHECK(mismatch.json["message"] ==
        "the namespace of the provided object does not match the namespace sent on the request");

  REQUIRE(f.post("/api/v1/namespaces",
                 {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ns1"}}}})
              .status == 201);
  Reply deleting = f.del("/api/v1/namespaces/ns1");
  CHECK(deleting.status == 200);
  CHECK(deleting.json["kind"] == "Namespace");
  CHECK(deleting.json["metadata"].contains("deletionTimestamp"));
  Reply forbidden = f.post("/api/v1/namespaces/ns1/configmaps", config_map_json("x"));
  CHECK(forbidden.status == 403);
  CHECK(forbidden.json["message"] ==
        "configmaps \"x\" is forbidden: unable to create new content in namespace ns1 because it "
        "is being terminated");
  CHECK(forbidden.json["details"]["causes"][0]["reason"] == "NamespaceTerminating");

  Reply protected_ns = f.del("/api/v1/namespaces/default");
  CHECK(protected_ns.status == 403);
  CHECK(protected_ns.json["message"] ==
        "namespaces \"default\" is forbidden: this namespace may not be deleted");
}

TEST_CASE("generateName creates a name and dryRun writes nothing") {
  ApiFixture f;
  json cm = config_map_json("");
  cm["metadata"] = {{"generateName", "gen-"}};
  Reply r = f.post(kCms, cm);
  REQUIRE(r.status == 201);
  std::string name = r.json["metadata"]["name"];
  CHECK(name.size() == 9);
  CHECK(name.rfind("gen-", 0) == 0);

  Reply dry = f.post(kCms + "?dryRun=All&fieldManager=kubectl-create", config_map_json("dry"));
  CHECK(dry.status == 201);
  CHECK(dry.json["metadata"]["name"] == "dry");
  CHECK(f.get(kCms + "/dry").status == 404);
  CHECK(f.post(kCms + "?dryRun=Bogus", config_map_json("dry")).status == 400);

  Reply none = f.post(kCms, config_map_json(""));
  CHECK(none.status == 422);
  CHECK(none.json["reason"] == "Invalid");
}

TEST_CASE("bad bodies are 400 or 415 with kube's messages") {
  ApiFixture f;
  Reply malformed =
      f.call("POST", kCms, "{\"apiVersion\":", {{"content-type", "application/json"}});
  CHECK(malformed.status == 400);
  CHECK(malformed.json["reason"] == "BadRequest");
  Reply bad_yaml = f.call("POST", kCms, "a: [1,\n", {{"content-type", "application/yaml"}});
  CHECK(bad_yaml.status == 400);
  Reply yaml = f.call("POST", kCms,
                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  "
                      "k: v\n",
                      {{"content-type", "application/yaml"}});
  CHECK(yaml.status == 201);
  CHECK(yaml.json["data"]["k"] == "v");

  json wrong_version = config_map_json("w");
  wrong_version["apiVersion"] = "v2";
  Reply wv = f.post(kCms, wrong_version);
  CHECK(wv.status == 400);
  CHECK(wv.json["message"] ==
        "the API version in the data (v2) does not match the expected API version (v1)");
  json wrong_kind = config_map_json("w");
  wrong_kind["kind"] = "Secret";
  CHECK(f.post(kCms, wrong_kind).status == 400);
  CHECK(f.call("POST", kCms, "[1,2]", {{"content-type", "application/json"}}).status == 400);

  Reply proto =
      f.call("POST", kCms, "k8s\0", {{"content-type", "application/vnd.kubernetes.protobuf"}});
  CHECK(proto.status == 415);
  CHECK(proto.json["reason"] == "UnsupportedMediaType");
  CHECK(proto.json["message"] ==
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf");
  CHECK(f.call("POST", kCms, "x", {{"content-type", "text/plain"}}).status == 415);
}

TEST_CASE("names with a slash or dot segments and bad queries are rejected") {
  ApiFixture f;
  Reply slash = f.get(kCms + "/a%2Fb");
  CHECK(slash.status == 400);
  CHECK(slash.json["message"] == "Name parameter invalid: \"a/b\": may not contain '/'");
  CHECK(f.get(kCms + "/..").status == 400);
  CHECK(f.get(kCms + "?limit=%zz").status == 400);
  json dotted = config_map_json("a/b");
  Reply invalid = f.post(kCms, dotted);
  CHECK(invalid.status == 422);
}

TEST_CASE("unsupported methods are 405, unknown resources 404, unacceptable Accept 406") {
  ApiFixture f;
  REQUIRE(f.post(kCms, config_map_json("a")).status == 201);
  Reply m = f.post(kCms + "/a", config_map_json("a"));
  CHECK(m.status == 405);
  CHECK(m.json["reason"] == "MethodNotAllowed");
  CHECK(f.get("/api/v1/namespaces/default/widgets").status == 404);
  CHECK(f.get(kCms + "/a/status").status == 404);
  CHECK(f.get("/api/v1/configmaps/a").status == 404);
  Reply na = f.get(kCms + "/a", "text/html");
  CHECK(na.status == 406);
  CHECK(na.json["reason"] == "NotAcceptable");
}

TEST_CASE("deleting an object with finalizers marks it and the last finalizer removal deletes") {
  ApiFixture f;
  json cm = config_map_json("held");
  cm["metadata"]["finalizers"] = json::array({"example.com/hold"});
  REQUIRE(f.post(kCms, cm).status == 201);
  Reply marked = f.del(kCms + "/held");
  CHECK(marked.status == 200);
  CHECK(marked.json["kind"] == "ConfigMap");
  CHECK(marked.json["metadata"].contains("deletionTimestamp"));
  CHECK(f.get(kCms + "/held").status == 200);
  Reply released = f.patch(kCms + "/held", "application/merge-patch+json",
                           {{"metadata", {{"finalizers", nullptr}}}});
  CHECK(released.status == 200);
  CHECK(f.get(kCms + "/held").status == 404);
}

TEST_CASE("delete preconditions and deletecollection with a label selector") {
  ApiFixture f;
  Reply a = f.post(kCms, config_map_json("a"));
  REQUIRE(a.status == 201);
  Reply pre = f.del(kCms + "/a", R"({"preconditions":{"uid":"not-the-uid"}})");
  CHECK(pre.status == 409);
  CHECK(pre.json["reason"] == "Conflict");
  CHECK(f.del(kCms + "/a", R"({"propagationPolicy":"Sideways"})").status == 422);

  for (const char* n : {"l1", "l2"}) {
    json cm = config_map_json(n);
    cm["metadata"]["labels"] = {{"app", "demo"}};
    REQUIRE(f.post(kCms, cm).status == 201);
  }
  Reply dc = f.call("DELETE", kCms + "?labelSelector=app%3Ddemo");
  CHECK(dc.status == 200);
  CHECK(dc.json["kind"] == "ConfigMapList");
  CHECK(dc.json["items"].size() == 2);
  CHECK(f.get(kCms + "/l1").status == 404);
  CHECK(f.get(kCms + "/a").status == 200);
}

TEST_CASE("without insecure serving, requests need credentials (401 otherwise)") {
  Authenticator authenticator;
  ApiHandlerOptions o;
  o.authenticator = &authenticator;
  ApiFixture f(o);
  Reply anonymous = f.get("/api/v1/namespaces");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.json["message"] == "Unauthorized");
  CHECK(anonymous.json["reason"] == "Unauthorized");
  Reply bad_token = f.call("GET", "/api/v1/namespaces", "", {{"authorization", "Bearer nope"}});
  CHECK(bad_token.status == 401);

  HttpRequest with_cert;
  with_cert.method = "GET";
  with_cert.target = with_cert.path = "/api/v1/namespaces/default";
  with_cert.tls = true;
  with_cert.client_certificate = ClientCertificate{"kubernetes-admin", {"system:masters"}};
  CHECK(f.send(with_cert).status == 200);

  ApiHandlerOptions none;
  ApiFixture no_auth(none);
  CHECK(no_auth.get("/version").status == 401);
}
