#include "apiserver/validation.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "apiserver/resources.h"
#include "apiserver/validation_internal.h"

using namespace cairn::apiserver;
using nlohmann::json;

namespace {

const ResourceInfo& info_of(const char* group, const char* version, const char* resource) {
  static Registry registry;
  auto info = registry.find(group, version, resource);
  REQUIRE(info);
  // The registry keeps every built-in entry alive for its own lifetime (static here).
  return *info;
}

const ResourceInfo& config_maps() { return info_of("", "v1", "configmaps"); }

json object(const std::string& name, const std::string& ns = "default") {
  json o = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

// "<field>: <message>" of every cause, to compare whole lists at once.
std::vector<std::string> texts(const std::vector<StatusCause>& causes) {
  std::vector<std::string> out;
  for (const StatusCause& c : causes) out.push_back(c.field + ": " + c.message);
  return out;
}

constexpr const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

}  // namespace

TEST_CASE("object names follow the kind's rule with kube's messages", "[validation]") {
  struct Case {
    const char* group;
    const char* version;
    const char* resource;
    std::string name;
    bool namespaced;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"", "v1", "configmaps", "Bad_Name", true,
       {std::string("metadata.name: Invalid value: \"Bad_Name\": ") + kSubdomainMsg}},
      {"", "v1", "configmaps", "a.b-c", true, {}},
      {"", "v1", "configmaps", "a/..", true,
       {std::string("metadata.name: Invalid value: \"a/..\": ") + kSubdomainMsg}},
      {"", "v1", "configmaps", std::string(254, 'a'), true,
       {"metadata.name: Invalid value: \"" + std::string(254, 'a') +
        "\": must be no more than 253 characters"}},
      {"", "v1", "namespaces", "a.b", false,
       {std::string("metadata.name: Invalid value: \"a.b\": ") + kLabelMsg}},
      {"", "v1", "namespaces", "team-a", false, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "system:controller:x", false, {}},
      {"rbac.authorization.k8s.io", "v1", "roles", "a/b%c", true,
       {"metadata.name: Invalid value: \"a/b%c\": may not contain '/'",
        "metadata.name: Invalid value: \"a/b%c\": may not contain '%'"}},
      {"rbac.authorization.k8s.io", "v1", "roles", "..", true,
       {"metadata.name: Invalid value: \"..\": may not be '..'"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.resource, c.name);
    const ResourceInfo& info = info_of(c.group, c.version, c.resource);
    json o = object(c.name, c.namespaced ? "default" : "");
    CHECK(texts(validate_object_meta(info, o, nullptr)) == c.want);
  }
}

TEST_CASE("a missing name needs generateName, which is checked as a prefix", "[validation]") {
  json o = object("");
  o["metadata"].erase("name");
  auto causes = validate_object_meta(config_maps(), o, nullptr);
  REQUIRE(causes.size() == 1);
  CHECK(causes[0].reason == "FieldValueRequired");
  CHECK(causes[0].field == "metadata.name");
  CHECK(causes[0].message == "Required value: name or generateName is required");

  // After the Store generated the name, generateName is still there and checked as a prefix.
  o["metadata"]["name"] = "web-x7k2p";
  o["metadata"]["generateName"] = "web-";
  CHECK(validate_object_meta(config_maps(), o, nullptr).empty());
  o["metadata"]["generateName"] = "Web_";
  CHECK(texts(validate_object_meta(config_maps(), o, nullptr)) ==
        std::vector<std::string>{std::string("metadata.generateName: Invalid value: \"Web_\": ") +
                                 kSubdomainMsg});
}

TEST_CASE("namespace is required for namespaced kinds and forbidden for cluster ones",
          "[validation]") {
  auto missing = validate_object_meta(config_maps(), object("a", ""), nullptr);
  CHECK(texts(missing) == std::vector<std::string>{"metadata.namespace: Required value"});
  json ns = object("a", "x");
  auto forbidden = validate_object_meta(info_of("", "v1", "namespaces"), ns, nullptr);
  REQUIRE(forbidden.size() == 1);
  CHECK(forbidden[0].reason == "FieldValueForbidden");
  CHECK(forbidden[0].message == "Forbidden: not allowed on this type");
}

TEST_CASE("labels, annotations and generation are validated", "[validation]") {
  json o = object("a");
  o["metadata"]["labels"] = {{"bad key!", "ok"}, {"good", std::string(64, 'v')}};
  o["metadata"]["annotations"] = {{"big", std::string(256 * 1024, 'x')}};
  o["metadata"]["generation"] = -1;
  const auto got = texts(validate_object_meta(config_maps(), o, nullptr));
  const std::vector<std::string> want = {
      "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
      "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric "
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
      "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "metadata.labels: Invalid value: \"" + std::string(64, 'v') +
          "\": must be no more than 63 characters",
      "metadata.annotations: Too long: must have at most 262144 bytes",
  };
  CHECK(got == want);
}

TEST_CASE("owner references need their fields and at most one controller", "[validation]") {
  json o = object("a");
  o["metadata"]["ownerReferences"] = {
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "p"}, {"uid", "1"},
       {"controller", true}},
      {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "d"}, {"uid", "2"},
       {"controller", true}},
      {{"apiVersion", "a/b/c"}, {"kind", ""}, {"name", ""}}};
  const auto causes = validate_object_meta(config_maps(), o, nullptr);
  REQUIRE(causes.size() == 5);
  CHECK(causes[0].field == "metadata.ownerReferences");
  CHECK(causes[0].message.find("Only one reference can have Controller set to true. Found "
                               "\"true\" in references for ConfigMap/p and Deployment/d") !=
        std::string::npos);
  CHECK(texts({causes[1], causes[2], causes[3], causes[4]}) ==
        std::vector<std::string>{
            "metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be "
            "empty",
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty"});
}

TEST_CASE("finalizers are qualified names and not both orphan and foreground", "[validation]") {
  json o = object("a");
  o["metadata"]["finalizers"] = {"example.com/ok", "orphan", "foregroundDeletion", "bad name"};
  const auto got = texts(validate_object_meta(config_maps(), o, nullptr));
  REQUIRE(got.size() == 2);
  CHECK(got[0].rfind("metadata.finalizers: Invalid value: \"bad name\": name part must consist",
                     0) == 0);
  CHECK(got[1] ==
        "metadata.finalizers: Invalid value: []string{\"example.com/ok\", \"orphan\", "
        "\"foregroundDeletion\", \"bad name\"}: finalizer orphan and foregroundDeletion cannot "
        "be both set");
}

TEST_CASE("updates may not add finalizers while deleting nor change identity", "[validation]") {
  json old = object("a");
  old["metadata"]["uid"] = "u1";
  old["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z";
  old["metadata"]["deletionTimestamp"] = "2024-05-02T10:00:00Z";
  old["metadata"]["deletionGracePeriodSeconds"] = 0;
  old["metadata"]["finalizers"] = {"example.com/a"};
  json next = old;
  next["metadata"]["finalizers"] = {"example.com/a", "example.com/z", "example.com/b"};
  next["metadata"]["uid"] = "u2";
  next["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z";
  const auto got = texts(validate_object_meta(config_maps(), next, &old));
  const std::vector<std::string> want = {
      "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
      "deleted, found new finalizers []string{\"example.com/b\", \"example.com/z\"}",
      "metadata.uid: Invalid value: \"u2\": field is immutable",
      "metadata.creationTimestamp: Invalid value: 2020-01-01 00:00:00 +0000 UTC: field is "
      "immutable"};
  CHECK(got == want);

  // Removing finalizers is always allowed.
  json removal = old;
  removal["metadata"]["finalizers"] = json::array();
  CHECK(validate_object_meta(config_maps(), removal, &old).empty());
}

TEST_CASE("invalid_status formats one cause, several causes and duplicates as kube",
          "[validation]") {
  const ResourceInfo& cm = config_maps();
  StatusCause a{"FieldValueInvalid", "Invalid value: \"x\": bad", "metadata.name"};
  StatusCause b{"FieldValueRequired", "Required value", "data"};
  Status one = invalid_status(cm, "x", {a});
  CHECK(one.code == StatusCode::kInvalid);
  CHECK(one.http_code() == 422);
  CHECK(one.message == "ConfigMap \"x\" is invalid: metadata.name: Invalid value: \"x\": bad");
  REQUIRE(one.details);
  CHECK(one.details->kind == "ConfigMap");
  CHECK(one.details->name == "x");
  CHECK(one.details->causes.size() == 1);

  Status two = invalid_status(cm, "x", {a, b, a});
  CHECK(two.message ==
        "ConfigMap \"x\" is invalid: [metadata.name: Invalid value: \"x\": bad, data: Required "
        "value]");
  CHECK(two.details->causes.size() == 3);

  Status job = invalid_status(info_of("batch", "v1", "jobs"), "j", {b});
  CHECK(job.message == "Job.batch \"j\" is invalid: data: Required value");
  CHECK(job.details->group == "batch");
}

TEST_CASE("base64 decoding reports Go's offsets", "[validation]") {
  struct Case {
    const char* in;
    const char* out;
    int error;  // -1: none
  };
  const std::vector<Case> cases = {{"YWJj", "abc", -1},  {"YQ==", "a", -1},  {"YWI=", "ab", -1},
                                   {"", "", -1},         {"YW\nJj", "abc", -1}, {"abc", "", 0},
                                   {"ab!d", "", 2},      {"YQ=", "", 3},     {"YQ==YQ==", "", 4},
                                   {"Y===", "", 1}};
  for (const Case& c : cases) {
    CAPTURE(c.in);
    auto r = detail::base64_decode(c.in);
    if (c.error < 0) {
      CHECK_FALSE(r.error_offset);
      CHECK(r.data == c.out);
    } else {
      REQUIRE(r.error_offset);
      CHECK(*r.error_offset == static_cast<std::size_t>(c.error));
    }
  }
  CHECK(detail::base64_encode("abcd") == "YWJjZA==");
  CHECK(detail::base64_encode("ab") == "YWI=");
}

TEST_CASE("secrets merge stringData, check base64 and default their type", "[validation]") {
  const ResourceInfo& secrets = info_of("", "v1", "secrets");
  json s = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "s"}, {"namespace", "default"}}},
            {"data", {{"a", "eA=="}, {"b", "eA=="}}},
            {"stringData", {{"b", "hello"}}}};
  REQUIRE(prepare_for_create(secrets, s));
  CHECK(s["data"] == json{{"a", "eA=="}, {"b", "aGVsbG8="}});
  CHECK_FALSE(s.contains("stringData"));
  CHECK(s["type"] == "Opaque");
  CHECK(validate_builtin(secrets, s, nullptr).empty());

  json bad = s;
  bad["data"]["c"] = "abc";
  auto r = prepare_for_create(secrets, bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == StatusCode::kBadRequest);
  CHECK(r.error().message ==
        "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
        "byte 0");

  json changed = s;
  changed["type"] = "kubernetes.io/tls";
  const auto causes = texts(validate_builtin(secrets, changed, &s));
  CHECK(causes == std::vector<std::string>{
                      "type: Invalid value: \"kubernetes.io/tls\": field is immutable",
                      "data[tls.crt]: Required value", "data[tls.key]: Required value"});
}

TEST_CASE("config map keys and immutable data are validated", "[validation]") {
  json cm = object("c");
  cm["data"] = {{"ok.key", "v"}, {"bad key", "v"}, {"..x", "v"}};
  const auto got = texts(validate_builtin(config_maps(), cm, nullptr));
  CHECK(got == std::vector<std::string>{
                   "data[..x]: Invalid value: \"..x\": must not start with '..'",
                   "data[bad key]: Invalid value: \"bad key\": a valid config key must consist "
                   "of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                   "'KEY_NAME',  or 'key-name', regex used for validation is "
                   "'[-._a-zA-Z0-9]+')"});

  // Metadata problems are validate_object_meta's alone, so the handler lists them once.
  json bad_name = object("Bad_Name");
  CHECK(validate_builtin(config_maps(), bad_name, nullptr).empty());
  CHECK(validate_object_meta(config_maps(), bad_name, nullptr).size() == 1);

  json old = object("c");
  old["data"] = {{"k", "v"}};
  old["immutable"] = true;
  json next = old;
  next["data"]["k"] = "w";
  const auto causes = validate_builtin(config_maps(), next, &old);
  REQUIRE(causes.size() == 1);
  CHECK(causes[0].reason == "FieldValueForbidden");
  CHECK(causes[0].field == "data");
  CHECK(causes[0].message == "Forbidden: field is immutable when `immutable` is set");

  json num = object("c");
  num["data"] = {{"k", 1}};
  auto r = prepare_for_create(config_maps(), num);
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal "
        "number into Go struct field ConfigMap.data of type string");
}

TEST_CASE("lease field types and values are checked", "[validation]") {
  const ResourceInfo& leases = info_of("coordination.k8s.io", "v1", "leases");
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "l"}, {"namespace", "default"}}},
                {"spec",
                 {{"holderIdentity", "me"},
                  {"leaseDurationSeconds", 15},
                  {"acquireTime", "2024-05-01T10:00:00.000000Z"},
                  {"renewTime", "2024-05-01T10:00:05.123456+02:00"}}}};
  REQUIRE(prepare_for_create(leases, lease));
  CHECK(validate_builtin(leases, lease, nullptr).empty());

  struct Case {
    const char* field;
    json value;
    std::string message;
  };
  const std::string prefix = "Lease in version \"v1\" cannot be handled as a Lease: ";
  const std::vector<Case> cases = {
      {"holderIdentity", 5,
       "json: cannot unmarshal number into Go struct field LeaseSpec.spec.holderIdentity of "
       "type string"},
      {"leaseDurationSeconds", "15",
       "json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds "
       "of type int32"},
      {"leaseDurationSeconds", 1.5,
       "json: cannot unmarshal number 1.5 into Go struct field "
       "LeaseSpec.spec.leaseDurationSeconds of type int32"},
      {"renewTime", "2024-05-01T10:00:05Z",
       "parsing time \"2024-05-01T10:00:05Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot "
       "parse \"Z\" as \".000000\""},
      {"acquireTime", "yesterday",
       "parsing time \"yesterday\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse "
       "\"yesterday\" as \"2006\""},
      {"acquireTime", "2024-13-01T10:00:00.000000Z",
       "parsing time \"2024-13-01T10:00:00.000000Z\": month out of range"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.field, c.value.dump());
    json bad = lease;
    bad["spec"][c.field] = c.value;
    auto r = prepare_for_create(leases, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == StatusCode::kBadRequest);
    CHECK(r.error().message == prefix + c.message);
  }

  json zero = lease;
  zero["spec"]["leaseDurationSeconds"] = 0;
  CHECK(texts(validate_builtin(leases, zero, nullptr)) ==
        std::vector<std::string>{
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"});
}

TEST_CASE("jobs need a pod template with Never or OnFailure restarts", "[validation]") {
  const ResourceInfo& jobs = info_of("batch", "v1", "jobs");
  json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", "j"}, {"namespace", "default"}}},
              {"spec", json::object()}};
  REQUIRE(prepare_for_create(jobs, job));
  CHECK(job["spec"]["backoffLimit"] == 6);
  CHECK(job["spec"]["completionMode"] == "NonIndexed");
  CHECK(job["status"] == json::object());
  const auto causes = validate_builtin(jobs, job, nullptr);
  REQUIRE(causes.size() == 2);
  CHECK(causes[0].reason == "FieldValueRequired");
  CHECK(causes[0].field == "spec.template.spec.containers");
  CHECK(causes[1].reason == "FieldValueNotSupported");
  CHECK(causes[1].message ==
        "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");

  job["spec"]["template"] = {
      {"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "c"}, {"image", "i"}}}}}}};
  CHECK(validate_builtin(jobs, job, nullptr).empty());
}

TEST_CASE("namespaces are created Active with the kubernetes finalizer and name label",
          "[validation]") {
  const ResourceInfo& namespaces = info_of("", "v1", "namespaces");
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", "team"}}},
             {"status", {{"phase", "Terminating"}}}};
  REQUIRE(prepare_for_create(namespaces, ns));
  CHECK(ns["spec"]["finalizers"] == json{"kubernetes"});
  CHECK(ns["status"] == json{{"phase", "Active"}});
  CHECK(ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team");
  CHECK(validate_builtin(namespaces, ns, nullptr).empty());

  // An update cannot drop the label or the spec finalizers; /finalize can change them.
  json update = ns;
  update["metadata"]["labels"] = json::object();
  update["spec"]["finalizers"] = json::array();
  REQUIRE(prepare_for_update(namespaces, update, ns, ""));
  CHECK(update["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team");
  CHECK(update["spec"]["finalizers"] == json{"kubernetes"});
  json finalize = ns;
  finalize["spec"]["finalizers"] = json::array();
  finalize["metadata"]["labels"]["extra"] = "ignored";
  REQUIRE(prepare_for_update(namespaces, finalize, ns, "finalize"));
  CHECK(finalize["spec"]["finalizers"] == json::array());
  CHECK_FALSE(finalize["metadata"]["labels"].contains("extra"));

  json phase = ns;
  phase["status"]["phase"] = "Terminating";
  CHECK(texts(validate_builtin(namespaces, phase, &ns)) ==
        std::vector<std::string>{"status.Phase: Invalid value: \"Terminating\": may only be "
                                 "'Active' if `deletionTimestamp` is empty"});
}

TEST_CASE("the main endpoint keeps status and /status takes only status", "[validation]") {
  const ResourceInfo& jobs = info_of("batch", "v1", "jobs");
  json old = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", "j"},
                {"namespace", "default"},
                {"uid", "u"},
                {"resourceVersion", "5"},
                {"creationTimestamp", "2024-05-01T10:00:00Z"},
                {"labels", {{"a", "1"}}}}},
              {"spec", {{"parallelism", 1}}},
              {"status", {{"active", 1}}}};
  json main = old;
  main["metadata"].erase("uid");
  main["metadata"]["deletionTimestamp"] = "2024-05-01T10:00:00Z";
  main["spec"]["parallelism"] = 2;
  main["status"] = {{"active", 9}};
  REQUIRE(prepare_for_update(jobs, main, old, ""));
  CHECK(main["status"] == json{{"active", 1}});
  CHECK(main["spec"]["parallelism"] == 2);
  CHECK(main["metadata"]["uid"] == "u");
  CHECK_FALSE(main["metadata"].contains("deletionTimestamp"));

  json status = old;
  status["metadata"]["labels"] = {{"b", "2"}};
  status["metadata"]["resourceVersion"] = "4";
  status["spec"]["parallelism"] = 7;
  status["status"] = {{"active", 3}};
  REQUIRE(prepare_for_update(jobs, status, old, "status"));
  CHECK(status["status"] == json{{"active", 3}});
  CHECK(status["spec"]["parallelism"] == 1);
  CHECK(status["metadata"]["labels"] == json{{"a", "1"}});
  CHECK(status["metadata"]["resourceVersion"] == "4");  // still the precondition
}

TEST_CASE("custom resources drop status on create when they have a status subresource",
          "[validation]") {
  ResourceInfo widgets;
  widgets.group = "example.com";
  widgets.version = "v1";
  widgets.resource = "widgets";
  widgets.kind = "Widget";
  widgets.custom = true;
  widgets.has_status = true;
  json w = {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", "w"}, {"namespace", "default"}, {"deletionTimestamp", "x"}}},
            {"status", {{"ready", true}}}};
  REQUIRE(prepare_for_create(widgets, w));
  CHECK_FALSE(w.contains("status"));
  CHECK_FALSE(w["metadata"].contains("deletionTimestamp"));
  CHECK(validate_object_meta(widgets, w, nullptr).empty());
}
