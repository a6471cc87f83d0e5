// Tests of the request parsers: query parameters, RequestInfo, media types, bodies.
#include <catch2/catch.hpp>

#include "apiserver/request.h"

using namespace cairn::apiserver;
using nlohmann::json;

namespace {

QueryParams query(std::string_view q) {
  auto p = QueryParams::parse(q);
  REQUIRE(p);
  return *p;
}

RequestInfo info(std::string_view method, std::string_view path, std::string_view q = "") {
  auto r = parse_request_info(method, path, query(q));
  if (!r) FAIL(r.error().message);
  return *r;
}

}  // namespace

TEST_CASE("query parameters are percent-decoded with plus as space and first value wins") {
  QueryParams q = query("labelSelector=app%3Ddemo&x=a+b&x=second&flag&empty=");
  CHECK(q.get("labelSelector") == "app=demo");
  CHECK(q.get("x") == "a b");
  CHECK(q.get_all("x") == std::vector<std::string>{"a b", "second"});
  CHECK(q.has("flag"));
  CHECK(q.get("flag") == "");
  CHECK_FALSE(q.get("missing").has_value());
}

TEST_CASE("a malformed percent escape in the query is a BadRequest naming the escape") {
  auto q = QueryParams::parse("a=%zz");
  REQUIRE_FALSE(q);
  CHECK(q.error().code == StatusCode::kBadRequest);
  CHECK(q.error().message == "invalid URL escape \"%zz\"");
  CHECK_FALSE(QueryParams::parse("a=%4"));
}

TEST_CASE("booleans parse like Go strconv.ParseBool") {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    CHECK(query(std::string("w=") + t).get_bool("w", false) == true);
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    CHECK(query(std::string("w=") + f).get_bool("w", true) == false);
  }
  CHECK(query("").get_bool("w", true) == true);
  auto bad = query("w=yes").get_bool("w", false);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == StatusCode::kBadRequest);
}

TEST_CASE("integers parse as int64 and malformed ones are BadRequest") {
  CHECK(query("limit=500").get_int("limit").value() == std::optional<std::int64_t>{500});
  CHECK(query("").get_int("limit").value() == std::nullopt);
  CHECK_FALSE(query("limit=5x").get_int("limit"));
  CHECK_FALSE(query("limit=99999999999999999999").get_int("limit"));
}

TEST_CASE("request info of namespaced resource paths follows kube's RequestInfoFactory") {
  RequestInfo r = info("GET", "/api/v1/namespaces/default/configmaps/cm1");
  CHECK(r.is_resource_request);
  CHECK(r.verb == "get");
  CHECK(r.group == "");
  CHECK(r.version == "v1");
  CHECK(r.namespace_ == "default");
  CHECK(r.resource == "configmaps");
  CHECK(r.name == "cm1");
  CHECK(r.subresource == "");

  r = info("GET", "/apis/apps/v1/namespaces/ns/deployments/d/scale");
  CHECK(r.group == "apps");
  CHECK(r.resource == "deployments");
  CHECK(r.subresource == "scale");

  CHECK(info("GET", "/api/v1/namespaces/default/configmaps").verb == "list");
  CHECK(info("GET", "/api/v1/namespaces/default/configmaps", "watch=true").verb == "watch");
  CHECK(info("GET", "/api/v1/configmaps", "watch=1").verb == "watch");
  CHECK(info("POST", "/api/v1/namespaces/default/configmaps").verb == "create");
  CHECK(info("PUT", "/api/v1/namespaces/default/configmaps/a").verb == "update");
  CHECK(info("PATCH", "/api/v1/namespaces/default/configmaps/a").verb == "patch");
  CHECK(info("DELETE", "/api/v1/namespaces/default/configmaps/a").verb == "delete");
  CHECK(info("DELETE", "/api/v1/namespaces/default/configmaps").verb == "deletecollection");
}

TEST_CASE("namespaces paths address the namespace itself, its status and finalize") {
  RequestInfo r = info("GET", "/api/v1/namespaces/ns1");
  CHECK(r.resource == "namespaces");
  CHECK(r.name == "ns1");
  CHECK(r.namespace_ == "");
  r = info("PUT", "/api/v1/namespaces/ns1/finalize");
  CHECK(r.resource == "namespaces");
  CHECK(r.name == "ns1");
  CHECK(r.subresource == "finalize");
  r = info("GET", "/api/v1/namespaces");
  CHECK(r.resource == "namespaces");
  CHECK(r.verb == "list");
}

TEST_CASE("discovery and other paths are non-resource requests") {
  for (const char* p : {"/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/version",
                        "/openapi/v3", "/healthz", "/"}) {
    RequestInfo r = info("GET", p);
    CHECK_FALSE(r.is_resource_request);
    CHECK(r.verb == "get");
  }
  RequestInfo r = info("GET", "/apis/apps/v1");
  CHECK(r.group == "apps");
  CHECK(r.version == "v1");
}

TEST_CASE("names with an escaped slash, percent, or dot segments are rejected like kube") {
  auto slash = parse_request_info("GET", "/api/v1/namespaces/default/configmaps/a%2Fb", {});
  REQUIRE_FALSE(slash);
  CHECK(slash.error().code == StatusCode::kBadRequest);
  CHECK(slash.error().message == "Name parameter invalid: \"a/b\": may not contain '/'");
  auto dots = parse_request_info("GET", "/api/v1/namespaces/default/configmaps/..", {});
  REQUIRE_FALSE(dots);
  CHECK(dots.error().message == "Name parameter invalid: \"..\": may not be '..'");
  auto pct = parse_request_info("GET", "/api/v1/namespaces/default/configmaps/a%25b", {});
  REQUIRE_FALSE(pct);
  CHECK(pct.error().message == "Name parameter invalid: \"a%b\": may not contain '%'");
  auto ns = parse_request_info("GET", "/api/v1/namespaces/./configmaps", {});
  REQUIRE_FALSE(ns);
  CHECK(ns.error().message == "Name parameter invalid: \".\": may not be '.'");
}

TEST_CASE("media types parse with lower-cased names, parameters and quality") {
  auto mt = parse_media_type("Application/JSON; as=Table; v=v1; g=meta.k8s.io; q=0.5");
  REQUIRE(mt);
  CHECK(mt->essence() == "application/json");
  CHECK(mt->parameter("as") == "Table");
  CHECK(mt->parameter("g") == "meta.k8s.io");
  CHECK(mt->quality == Approx(0.5));
  CHECK_FALSE(parse_media_type("json"));
  CHECK_FALSE(parse_media_type("application/json; broken"));
}

TEST_CASE("Accept negotiation picks the first supported range in order") {
  const Representation list_reps[] = {Representation::kJson, Representation::kTable,
                                      Representation::kPartialObjectMetadataList};
  const char* tbl =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
      "g=meta.k8s.io,application/json";
  CHECK(negotiate(tbl, list_reps) == Representation::kTable);
  CHECK(negotiate("application/json", list_reps) == Representation::kJson);
  CHECK(negotiate("", list_reps) == Representation::kJson);
  CHECK(negotiate("*/*", list_reps) == Representation::kJson);
  CHECK(negotiate("application/vnd.kubernetes.protobuf,application/json", list_reps) ==
        Representation::kJson);
  CHECK(negotiate("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", list_reps) ==
        Representation::kPartialObjectMetadataList);
  CHECK(negotiate("application/json;q=0.1,application/json;as=Table;v=v1;g=meta.k8s.io",
                  list_reps) == Representation::kTable);

  const Representation discovery[] = {Representation::kJson, Representation::kAggregatedDiscovery};
  const char* agg =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
      "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  CHECK(negotiate(agg, discovery) == Representation::kAggregatedDiscovery);
}

TEST_CASE("an Accept header nothing can satisfy is 406 NotAcceptable") {
  const Representation reps[] = {Representation::kJson};
  auto r = negotiate("application/json;as=Table;v=v1;g=meta.k8s.io", reps);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == StatusCode::kNotAcceptable);
  CHECK(r.error().http_code() == 406);
  CHECK(r.error().message == "only the following media types are accepted: application/json");
  CHECK_FALSE(negotiate("text/html", reps));
  CHECK_FALSE(negotiate("application/json;q=0", reps));
}

TEST_CASE("content types map to body formats") {
  CHECK(body_format("") == BodyFormat::kJson);
  CHECK(body_format("application/json; charset=utf-8") == BodyFormat::kJson);
  CHECK(body_format("application/yaml") == BodyFormat::kYaml);
  CHECK(body_format("application/vnd.kubernetes.protobuf") == BodyFormat::kProtobuf);
  CHECK(body_format("application/merge-patch+json") == BodyFormat::kMergePatch);
  CHECK(body_format("application/json-patch+json") == BodyFormat::kJsonPatch);
  CHECK(body_format("application/strategic-merge-patch+json") == BodyFormat::kStrategicMergePatch);
  CHECK(body_format("application/apply-patch+yaml") == BodyFormat::kApplyPatch);
  CHECK(body_format("text/plain") == BodyFormat::kUnknown);
}

TEST_CASE("JSON bodies report duplicate keys by path and keep integers integers") {
  auto b = decode_json_body(R"({"metadata":{"name":"a","name":"b"},"spec":{"n":3,"x":1.5}})");
  REQUIRE(b);
  CHECK(b->value["metadata"]["name"] == "b");
  CHECK(b->duplicate_fields == std::vector<std::string>{"metadata.name"});
  CHECK(b->value["spec"]["n"].is_number_integer());
  CHECK(b->value["spec"]["x"].is_number_float());
  auto bad = decode_json_body("{\"a\":");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == StatusCode::kBadRequest);
}

TEST_CASE("JSON duplicate keys are named by the keys of their enclosing objects") {
  auto b = decode_json_body(
      R"({"a":[{"b":1,"b":2}],"c":{"d":{"e":{"x":1},"e":[3]}},"c2":[[{"f":0,"f":{}}]],"g":1,"g":2})");
  REQUIRE(b);
  CHECK(b->duplicate_fields == std::vector<std::string>{"a.b", "c.d.e", "c2.f", "g"});
  CHECK(b->value["a"][0]["b"] == 2);
  CHECK(b->value["c"]["d"]["e"] == json::array({3}));
  CHECK(b->value["c2"][0][0]["f"] == json::object());
  CHECK(b->value["g"] == 2);
  auto plain = decode_json_body(R"([{"a":1},{"a":2}])");
  REQUIRE(plain);
  CHECK(plain->duplicate_fields.empty());
  CHECK(decode_json_body("\"text\"")->value == "text");
}

TEST_CASE("JSON errors name what is wrong and where") {
  auto trailing = decode_json_body(R"({"a":1} x)");
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error().message.rfind("json: ", 0) == 0);
  CHECK(trailing.error().message.find("column 9") != std::string::npos);
  auto empty = decode_json_body("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == StatusCode::kBadRequest);
}

TEST_CASE("JSON nesting deeper than the cap is rejected, not a crash") {
  std::string deep(20000, '[');
  deep += std::string(20000, ']');
  auto b = decode_json_body(deep);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == StatusCode::kBadRequest);
  CHECK(b.error().message == "json: exceeded max depth of 10000");
  // Go's limit: 10000 levels are accepted, 10001 are not.
  const auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(decode_json_body(nested(10000)));
  CHECK_FALSE(decode_json_body(nested(10001)));
  CHECK_FALSE(decode_json_body(R"({"a":)" + nested(10000) + "}"));
}

TEST_CASE("YAML bodies resolve scalars like sigs.k8s.io/yaml") {
  auto b = decode_yaml_body(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {a: b}\n"
      "data:\n  n: \"3\"\nspec:\n  i: 3\n  f: 1.5\n  t: true\n  y: yes\n  z: ~\n  h: 0x10\n"
      "  q: '007'\n  list: [1, two]\n");
  REQUIRE(b);
  const json& v = b->value;
  CHECK(v["metadata"]["labels"]["a"] == "b");
  CHECK(v["data"]["n"] == "3");
  CHECK(v["spec"]["i"] == 3);
  CHECK(v["spec"]["i"].is_number_integer());
  CHECK(v["spec"]["f"] == 1.5);
  CHECK(v["spec"]["t"] == true);
  CHECK(v["spec"]["y"] == true);
  CHECK(v["spec"]["z"].is_null());
  CHECK(v["spec"]["h"] == 16);
  CHECK(v["spec"]["q"] == "007");
  CHECK(v["spec"]["list"] == json::array({1, "two"}));
}

TEST_CASE("YAML anchors expand and syntax errors are BadRequest with the line") {
  auto b = decode_yaml_body("a: &x {k: v}\nb: *x\n");
  REQUIRE(b);
  CHECK(b->value["b"]["k"] == "v");
  auto bad = decode_yaml_body("a: [1, 2\nb: c\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == StatusCode::kBadRequest);
  CHECK(bad.error().message.find("line") != std::string::npos);
  auto laughs = decode_yaml_body(
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
      "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n");
  REQUIRE_FALSE(laughs);
  CHECK(laughs.error().code == StatusCode::kBadRequest);
}

TEST_CASE("apply bodies may be JSON or YAML") {
  auto j = decode_json_or_yaml_body("  {\"a\": 1}");
  REQUIRE(j);
  CHECK(j->value["a"] == 1);
  auto y = decode_json_or_yaml_body("a: 1\n");
  REQUIRE(y);
  CHECK(y->value["a"] == 1);
}

TEST_CASE("an empty YAML body decodes to null instead of crashing") {
  auto b = decode_yaml_body(std::string_view());
  REQUIRE(b);
  CHECK(b->value.is_null());
  auto blank = decode_json_or_yaml_body("");
  REQUIRE(blank);
  CHECK(blank->value.is_null());
}
