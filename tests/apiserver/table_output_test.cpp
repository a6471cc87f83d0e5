// Table output: columns, typed cells, built-in printers, durations, PartialObjectMetadata.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/table.h"

using namespace cairn::apiserver;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

namespace {

// Used at namespace scope, outside any test: no REQUIRE here (value() throws on bad input).
std::chrono::system_clock::time_point at(std::string_view rfc3339) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          parse_rfc3339(rfc3339).value()));
}

const auto kNow = at("2024-05-01T12:00:00Z");

ResourceInfo builtin(std::string group, std::string resource, std::string kind) {
  ResourceInfo info;
  info.group = std::move(group);
  info.version = "v1";
  info.resource = std::move(resource);
  info.kind = std::move(kind);
  return info;
}

ResourceInfo widget_crd(std::vector<PrinterColumn> columns) {
  ResourceInfo info;
  info.group = "example.com";
  info.version = "v1";
  info.resource = "widgets";
  info.kind = "Widget";
  info.custom = true;
  info.crd_name = "widgets.example.com";
  info.columns = std::move(columns);
  return info;
}

json meta(std::string name, std::string created = "2024-05-01T11:54:50Z") {
  return {{"name", std::move(name)},
          {"namespace", "default"},
          {"uid", "u-1"},
          {"resourceVersion", "1001"},
          {"creationTimestamp", std::move(created)},
          {"labels", {{"app", "web"}}}};
}

std::vector<std::string> column_names(const std::vector<PrinterColumn>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  return names;
}

json one_row(const ResourceInfo& info, const json& object) {
  const json table = make_table(info, {object}, json::object(), IncludeObject::kMetadata, true,
                                kNow);
  REQUIRE(table["rows"].size() == 1);
  return table["rows"][0];
}

}  // namespace

TEST_CASE("includeObject parses the three policies and defaults to Metadata", "[table]") {
  CHECK(parse_include_object("") == IncludeObject::kMetadata);
  CHECK(parse_include_object("Metadata") == IncludeObject::kMetadata);
  CHECK(parse_include_object("None") == IncludeObject::kNone);
  CHECK(parse_include_object("Object") == IncludeObject::kObject);
  auto bad = parse_include_object("object");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == StatusCode::kBadRequest);
  CHECK(bad.error().message ==
        "includeObject: Invalid value: \"object\": must be 'Metadata', 'Object', 'None', or "
        "empty");
}

TEST_CASE("human_duration follows kube's HumanDuration boundaries", "[table]") {
  CHECK(human_duration(seconds(-2)) == "<invalid>");
  CHECK(human_duration(std::chrono::milliseconds(-1500)) == "0s");
  CHECK(human_duration(seconds(0)) == "0s");
  CHECK(human_duration(seconds(59)) == "59s");
  CHECK(human_duration(seconds(119)) == "119s");
  CHECK(human_duration(seconds(120)) == "2m");
  CHECK(human_duration(seconds(310)) == "5m10s");
  CHECK(human_duration(minutes(10)) == "10m");
  CHECK(human_duration(minutes(179)) == "179m");
  CHECK(human_duration(hours(3)) == "3h");
  CHECK(human_duration(hours(3) + minutes(5)) == "3h5m");
  CHECK(human_duration(hours(8) + minutes(5)) == "8h");
  CHECK(human_duration(hours(47)) == "47h");
  CHECK(human_duration(hours(48)) == "2d");
  CHECK(human_duration(hours(49)) == "2d1h");
  CHECK(human_duration(hours(24 * 8)) == "8d");
  CHECK(human_duration(hours(24 * 729)) == "729d");
  CHECK(human_duration(hours(24 * 730)) == "2y");
  CHECK(human_duration(hours(24 * 731)) == "2y1d");
  CHECK(human_duration(hours(24 * 365 * 8 + 24 * 100)) == "8y");
  CHECK(human_duration(nanoseconds::max()) == "292y");
}

TEST_CASE("parse_rfc3339 reads what Go's RFC3339 layout accepts", "[table]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == nanoseconds(0));
  CHECK(parse_rfc3339("1970-01-01T01:00:00+01:00") == nanoseconds(0));
  CHECK(parse_rfc3339("1970-01-01T00:00:01.5Z") == nanoseconds(1'500'000'000));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-01 00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-01T00:00:00").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-01T24:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-01T00:00:00Zjunk").has_value());
}

TEST_CASE("a CRD's columns follow Name and are typed like kube's table convertor", "[table]") {
  const ResourceInfo info = widget_crd({
      {"Replicas", "integer", "", "", 0, ".spec.replicas"},
      {"Ratio", "number", "", "", 0, ".spec.ratio"},
      {"Paused", "boolean", "", "", 0, ".spec.paused"},
      {"Ready", "string", "", "", 0, ".status.conditions[?(@.type=='Ready')].status"},
      {"Message", "string", "", "", 1, R"(.status.conditions[?(@.type=="Ready")].message)"},
      {"Spec", "string", "", "", 1, ".spec.selector"},
      {"Started", "date", "", "", 0, ".status.startTime"},
      {"Bad Date", "date", "", "", 0, ".status.badTime"},
      {"Missing", "string", "", "", 0, ".status.nothing"},
      {"Floor", "integer", "", "", 0, ".spec.ratio"},
      {"Mismatch", "boolean", "", "", 0, ".spec.replicas"},
  });
  CHECK(column_names(table_columns(info)) ==
        std::vector<std::string>{"Name", "Replicas", "Ratio", "Paused", "Ready", "Message",
                                 "Spec", "Started", "Bad Date", "Missing", "Floor", "Mismatch"});
  const json widget = {
      {"apiVersion", "example.com/v1"},
      {"kind", "Widget"},
      {"metadata", meta("w1")},
      {"spec", {{"replicas", 3}, {"ratio", 2.75}, {"paused", false},
                {"selector", {{"tier", "<front>"}}}}},
      {"status",
       {{"startTime", "2024-05-01T11:54:50Z"},
        {"badTime", "yesterday"},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"message", "all good"}}}}}}};
  const json row = one_row(info, widget);
  CHECK(row["cells"] == json::array({"w1", 3, 2.75, false, "True", "all good",
                                     R"({"tier":"\u003cfront\u003e"})", "5m10s", "<invalid>",
                                     nullptr, 2, nullptr}));
  CHECK(row["cells"][1].is_number_integer());
  CHECK(row["cells"][2].is_number_float());
  CHECK(row["cells"][10].is_number_integer());
}

TEST_CASE("a number column turns integers into floats", "[table]") {
  const ResourceInfo info = widget_crd({{"Weight", "number", "", "", 0, ".spec.weight"}});
  const json row = one_row(info, {{"metadata", meta("w")}, {"spec", {{"weight", 4}}}});
  CHECK(row["cells"][1].is_number_float());
  CHECK(row["cells"][1].get<double>() == 4.0);
}

TEST_CASE("date cells say <unknown> for an empty timestamp", "[table]") {
  const ResourceInfo info = widget_crd({{"When", "date", "", "", 0, ".status.when"}});
  CHECK(one_row(info, {{"metadata", meta("w")}, {"status", {{"when", ""}}}})["cells"][1] ==
        "<unknown>");
  CHECK(one_row(info, {{"metadata", meta("w")},
                       {"status", {{"when", "0001-01-01T00:00:00Z"}}}})["cells"][1] ==
        "<unknown>");
  CHECK(one_row(info, {{"metadata", meta("w")}, {"status", {{"when", 5}}}})["cells"][1] ==
        nullptr);
  // Go's Time.Sub saturates at the largest duration, about 292 years.
  CHECK(one_row(info, {{"metadata", meta("w")},
                       {"status", {{"when", "0001-01-02T00:00:00Z"}}}})["cells"][1] == "292y");
  CHECK(one_row(info, {{"metadata", meta("w")},
                       {"status", {{"when", "2024-05-01T12:00:05Z"}}}})["cells"][1] ==
        "<invalid>");
}

TEST_CASE("column JSONPaths may carry braces", "[table]") {
  const ResourceInfo info = widget_crd({{"Phase", "string", "", "", 0, "{.status.phase}"}});
  CHECK(one_row(info, {{"metadata", meta("w")}, {"status", {{"phase", "Done"}}}})["cells"][1] ==
        "Done");
}

TEST_CASE("a column whose JSONPath does not parse has empty cells", "[table]") {
  const ResourceInfo info = widget_crd({{"Broken", "string", "", "", 0, ".status[?(@.x"}});
  CHECK(one_row(info, {{"metadata", meta("w")}})["cells"] == json::array({"w", nullptr}));
}

TEST_CASE("the table carries column definitions, list metadata and metadata objects",
          "[table]") {
  const ResourceInfo info = widget_crd(
      {{"Replicas", "integer", "", "Desired replicas.", 0, ".spec.replicas"},
       {"Age", "date", "", "", 0, ".metadata.creationTimestamp"}});
  const json a = {{"metadata", meta("a")}, {"spec", {{"replicas", 1}}}};
  const json b = {{"metadata", meta("b", "2024-04-28T12:00:00Z")}, {"spec", {{"replicas", 2}}}};
  const json table = make_table(info, {a, b}, {{"resourceVersion", "1234"}, {"continue", "tok"}},
                                IncludeObject::kMetadata, true, kNow);
  CHECK(table["kind"] == "Table");
  CHECK(table["apiVersion"] == "meta.k8s.io/v1");
  CHECK(table["metadata"] == json{{"resourceVersion", "1234"}, {"continue", "tok"}});
  REQUIRE(table["columnDefinitions"].size() == 3);
  CHECK(table["columnDefinitions"][0]["name"] == "Name");
  CHECK(table["columnDefinitions"][0]["type"] == "string");
  CHECK(table["columnDefinitions"][0]["format"] == "name");
  CHECK(table["columnDefinitions"][0]["priority"] == 0);
  CHECK_FALSE(table["columnDefinitions"][0]["description"].get<std::string>().empty());
  CHECK(table["columnDefinitions"][1] == json{{"name", "Replicas"},
                                              {"type", "integer"},
                                              {"format", ""},
                                              {"description", "Desired replicas."},
                                              {"priority", 0}});
  REQUIRE(table["rows"].size() == 2);
  CHECK(table["rows"][0]["cells"] == json::array({"a", 1, "5m10s"}));
  CHECK(table["rows"][1]["cells"] == json::array({"b", 2, "3d"}));
  CHECK(table["rows"][1]["object"] == json{{"kind", "PartialObjectMetadata"},
                                           {"apiVersion", "meta.k8s.io/v1"},
                                           {"metadata", b["metadata"]}});
}

TEST_CASE("watch tables after the first leave out column definitions", "[table]") {
  const ResourceInfo info = widget_crd({});
  const json table = make_table(info, {{{"metadata", meta("a")}}}, json::object(),
                                IncludeObject::kMetadata, false, kNow);
  CHECK_FALSE(table.contains("columnDefinitions"));
  CHECK(table["rows"].size() == 1);
}

TEST_CASE("includeObject chooses what each row carries", "[table]") {
  const ResourceInfo info = widget_crd({});
  const json object = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"},
                       {"metadata", meta("a")}, {"spec", {{"x", 1}}}};
  auto row_object = [&](IncludeObject include) {
    return make_table(info, {object}, json::object(), include, true, kNow)["rows"][0]["object"];
  };
  CHECK(row_object(IncludeObject::kNone).is_null());
  CHECK(row_object(IncludeObject::kObject) == object);
  CHECK(row_object(IncludeObject::kMetadata)["metadata"] == object["metadata"]);
}

TEST_CASE("an empty list is a table with no rows", "[table]") {
  const json table = make_table(widget_crd({}), {}, {{"resourceVersion", "9"}},
                                IncludeObject::kMetadata, true, kNow);
  CHECK(table["rows"] == json::array());
  CHECK(table["metadata"]["resourceVersion"] == "9");
}

TEST_CASE("a CRD without columns shows Name and Age", "[table]") {
  const ResourceInfo info = widget_crd({});
  const auto columns = table_columns(info);
  CHECK(column_names(columns) == std::vector<std::string>{"Name", "Age"});
  CHECK(columns[1].type == "date");
  CHECK(columns[1].json_path == ".metadata.creationTimestamp");
  CHECK(one_row(info, {{"metadata", meta("w")}})["cells"] == json::array({"w", "5m10s"}));
  CHECK(one_row(info, {{"metadata", {{"name", "n"}}}})["cells"] == json::array({"n", nullptr}));
}

TEST_CASE("a CRD with columns gets no Age unless it defines one", "[table]") {
  const ResourceInfo info = widget_crd({{"Phase", "string", "", "", 0, ".status.phase"}});
  CHECK(column_names(table_columns(info)) == std::vector<std::string>{"Name", "Phase"});
}

TEST_CASE("built-in kinds have kube's column sets", "[table]") {
  auto names = [](const ResourceInfo& info) { return column_names(table_columns(info)); };
  using V = std::vector<std::string>;
  CHECK(names(builtin("", "configmaps", "ConfigMap")) == V{"Name", "Data", "Age"});
  CHECK(names(builtin("", "secrets", "Secret")) == V{"Name", "Type", "Data", "Age"});
  CHECK(names(builtin("", "namespaces", "Namespace")) == V{"Name", "Status", "Age"});
  CHECK(names(builtin("coordination.k8s.io", "leases", "Lease")) == V{"Name", "Holder", "Age"});
  CHECK(names(builtin("batch", "jobs", "Job")) ==
        V{"Name", "Status", "Completions", "Duration", "Age", "Containers", "Images",
          "Selector"});
  CHECK(names(builtin("", "events", "Event")) ==
        V{"Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message",
          "First Seen", "Count", "Name"});
  CHECK(names(builtin("apiextensions.k8s.io", "customresourcedefinitions",
                      "CustomResourceDefinition")) == V{"Name", "Created At"});
  CHECK(names(builtin("", "serviceaccounts", "ServiceAccount")) == V{"Name", "Secrets", "Age"});
  CHECK(names(builtin("apps", "deployments", "Deployment")) ==
        V{"Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"});
  CHECK(names(builtin("", "pods", "Pod")) ==
        V{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
          "Readiness Gates"});
  CHECK(names(builtin("", "services", "Service")) ==
        V{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"});
  CHECK(names(builtin("rbac.authorization.k8s.io", "roles", "Role")) == V{"Name", "Age"});

  const auto deployment = table_columns(builtin("apps", "deployments", "Deployment"));
  CHECK(deployment[0].format == "name");
  CHECK(deployment[4].priority == 0);
  CHECK(deployment[5].priority == 1);
  const auto events = table_columns(builtin("", "events", "Event"));
  CHECK(events[4].priority == 1);
  CHECK(events[6].priority == 0);
}

TEST_CASE("ConfigMap, Secret, Namespace, Lease and ServiceAccount cells", "[table]") {
  CHECK(one_row(builtin("", "configmaps", "ConfigMap"),
                {{"metadata", meta("cm")},
                 {"data", {{"a", "1"}, {"b", "2"}}},
                 {"binaryData", {{"c", "AA=="}}}})["cells"] == json::array({"cm", 3, "5m10s"}));
  CHECK(one_row(builtin("", "configmaps", "ConfigMap"), {{"metadata", meta("e")}})["cells"] ==
        json::array({"e", 0, "5m10s"}));
  CHECK(one_row(builtin("", "secrets", "Secret"),
                {{"metadata", meta("s")}, {"type", "Opaque"}, {"data", {{"k", "dg=="}}}})
            ["cells"] ==
        json::array({"s", "Opaque", 1, "5m10s"}));
  CHECK(one_row(builtin("", "namespaces", "Namespace"),
                {{"metadata", meta("ns")}, {"status", {{"phase", "Terminating"}}}})["cells"] ==
        json::array({"ns", "Terminating", "5m10s"}));
  CHECK(one_row(builtin("coordination.k8s.io", "leases", "Lease"),
                {{"metadata", meta("l")}, {"spec", {{"holderIdentity", "op-1"}}}})["cells"] ==
        json::array({"l", "op-1", "5m10s"}));
  CHECK(one_row(builtin("", "serviceaccounts", "ServiceAccount"),
                {{"metadata", meta("sa")}})["cells"] == json::array({"sa", 0, "5m10s"}));
  CHECK(one_row(builtin("", "serviceaccounts", "ServiceAccount"),
                {{"metadata", {{"name", "old"}}}})["cells"] == json::array({"old", 0,
                                                                            "<unknown>"}));
}

TEST_CASE("CustomResourceDefinition rows show the creation time in RFC 3339", "[table]") {
  const ResourceInfo info =
      builtin("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition");
  CHECK(table_columns(info)[1].type == "date");
  CHECK(one_row(info, {{"metadata", meta("widgets.example.com", "2024-05-01T13:54:50+02:00")}})
            ["cells"] == json::array({"widgets.example.com", "2024-05-01T11:54:50Z"}));
}

TEST_CASE("Job cells: status, completions and duration", "[table]") {
  const ResourceInfo info = builtin("batch", "jobs", "Job");
  const json template_spec = {
      {"spec", {{"containers", {{{"name", "main"}, {"image", "busybox"}},
                                {{"name", "side"}, {"image", "envoy"}}}}}}};
  const json done = {
      {"metadata", meta("done")},
      {"spec", {{"completions", 1}, {"template", template_spec},
                {"selector", {{"matchLabels", {{"job", "done"}}}}}}},
      {"status", {{"succeeded", 1}, {"startTime", "2024-05-01T11:50:00Z"},
                  {"completionTime", "2024-05-01T11:52:05Z"},
                  {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  CHECK(one_row(info, done)["cells"] ==
        json::array({"done", "Complete", "1/1", "2m5s", "5m10s", "main,side", "busybox,envoy",
                     "job=done"}));
  const json running = {
      {"metadata", meta("run")},
      {"spec", {{"parallelism", 3}}},
      {"status", {{"startTime", "2024-05-01T11:00:00Z"}}}};
  CHECK(one_row(info, running)["cells"] ==
        json::array({"run", "Running", "0/1 of 3", "60m", "5m10s", "", "", "<none>"}));
  const json failed = {
      {"metadata", meta("f")},
      {"status", {{"conditions", {{{"type", "Complete"}, {"status", "False"}},
                                  {{"type", "Failed"}, {"status", "True"}}}}}}};
  CHECK(one_row(info, failed)["cells"][1] == "Failed");
  CHECK(one_row(info, failed)["cells"][3] == "");
}

TEST_CASE("Deployment cells: ready ratio, counts and wide columns", "[table]") {
  const ResourceInfo info = builtin("apps", "deployments", "Deployment");
  const json d = {
      {"metadata", meta("web")},
      {"spec",
       {{"replicas", 3},
        {"selector",
         {{"matchLabels", {{"app", "web"}}},
          {"matchExpressions",
           {{{"key", "tier"}, {"operator", "In"}, {"values", {"front", "back"}}},
            {{"key", "canary"}, {"operator", "DoesNotExist"}}}}}},
        {"template", {{"spec", {{"containers", {{{"name", "nginx"}, {"image", "nginx:1"}}}}}}}}}},
      {"status", {{"readyReplicas", 2}, {"updatedReplicas", 3}, {"availableReplicas", 2}}}};
  CHECK(one_row(info, d)["cells"] == json::array({"web", "2/3", 3, 2, "5m10s", "nginx",
                                                  "nginx:1",
                                                  "app=web,!canary,tier in (back,front)"}));
  const json fresh = {{"metadata", meta("new")}, {"spec", {{"replicas", 1}}}};
  CHECK(one_row(info, fresh)["cells"] == json::array({"new", "0/1", 0, 0, "5m10s", "", "", ""}));
}

TEST_CASE("Pod cells: readiness, status and restarts like kubectl get pods", "[table]") {
  const ResourceInfo info = builtin("", "pods", "Pod");
  const json running = json::parse(R"({
    "metadata": {"name": "p", "creationTimestamp": "2024-05-01T11:54:50Z"},
    "spec": {"nodeName": "node-1", "containers": [{"name": "a"}, {"name": "b"}]},
    "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}],
      "conditions": [{"type": "Ready", "status": "False"}],
      "containerStatuses": [
        {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}},
         "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T11:55:00Z"}}},
        {"name": "b", "ready": false, "restartCount": 0,
         "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}})");
  const json row = one_row(info, running);
  CHECK(row["cells"] == json::array({"p", "1/2", "CrashLoopBackOff", "2 (5m ago)", "5m10s",
                                     "10.0.0.5", "node-1", "<none>", "<none>"}));
  CHECK_FALSE(row.contains("conditions"));

  const json pending = {{"metadata", meta("q")},
                        {"spec", {{"containers", {{{"name", "a"}}}}}},
                        {"status", {{"phase", "Pending"}}}};
  CHECK(one_row(info, pending)["cells"] ==
        json::array({"q", "0/1", "Pending", "0", "5m10s", "<none>", "<none>", "<none>",
                     "<none>"}));

  const json terminated = {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};
  const json done = {
      {"metadata", meta("d")},
      {"spec", {{"containers", {{{"name", "a"}}}}}},
      {"status",
       {{"phase", "Succeeded"},
        {"containerStatuses", {{{"name", "a"}, {"ready", false}, {"state", terminated}}}}}}};
  const json done_row = one_row(info, done);
  CHECK(done_row["cells"][2] == "Completed");
  const json completed = {{"type", "Completed"},
                           {"status", "True"},
                           {"reason", "Succeeded"},
                           {"message", "The pod has completed successfully."}};
  CHECK(done_row["conditions"] == json::array({completed}));

  json deleting = pending;
  deleting["metadata"]["deletionTimestamp"] = "2024-05-01T11:59:00Z";
  CHECK(one_row(info, deleting)["cells"][2] == "Terminating");
}

TEST_CASE("Pod cells while init containers run", "[table]") {
  const ResourceInfo info = builtin("", "pods", "Pod");
  const json pod = json::parse(R"({
    "metadata": {"name": "i", "creationTimestamp": "2024-05-01T11:54:50Z"},
    "spec": {"initContainers": [{"name": "setup"}, {"name": "sidecar", "restartPolicy": "Always"}],
             "containers": [{"name": "main"}]},
    "status": {"phase": "Pending",
      "initContainerStatuses": [
        {"name": "setup", "restartCount": 0, "state": {"running": {}}},
        {"name": "sidecar", "restartCount": 0, "state": {"waiting": {}}}]}})");
  CHECK(one_row(info, pod)["cells"][1] == "0/2");
  CHECK(one_row(info, pod)["cells"][2] == "Init:0/2");
}

TEST_CASE("Service cells: type, addresses and ports", "[table]") {
  const ResourceInfo info = builtin("", "services", "Service");
  const json svc = {
      {"metadata", meta("web")},
      {"spec",
       {{"type", "NodePort"},
        {"clusterIPs", {"10.96.0.10"}},
        {"ports", {{{"port", 80}, {"protocol", "TCP"}},
                   {{"port", 443}, {"nodePort", 30443}, {"protocol", "TCP"}}}},
        {"selector", {{"tier", "front"}, {"app", "web"}}}}}};
  CHECK(one_row(info, svc)["cells"] == json::array({"web", "NodePort", "10.96.0.10", "<none>",
                                                    "80/TCP,443:30443/TCP", "5m10s",
                                                    "app=web,tier=front"}));
  const json lb = {{"metadata", meta("lb")},
                   {"spec", {{"type", "LoadBalancer"}, {"clusterIPs", {"10.96.0.11"}}}}};
  CHECK(one_row(info, lb)["cells"] == json::array({"lb", "LoadBalancer", "10.96.0.11",
                                                   "<pending>", "<none>", "5m10s", "<none>"}));
  const json ext = {{"metadata", meta("ext")},
                    {"spec", {{"type", "ExternalName"}, {"externalName", "db.example.com"}}}};
  CHECK(one_row(info, ext)["cells"][3] == "db.example.com");
  CHECK(one_row(info, ext)["cells"][2] == "<none>");
}

TEST_CASE("Event cells: last seen, object and source", "[table]") {
  const ResourceInfo info = builtin("", "events", "Event");
  const json event = {
      {"metadata", meta("web.17a")},
      {"type", "Warning"},
      {"reason", "BackOff"},
      {"message", "  Back-off restarting failed container \n"},
      {"involvedObject", {{"kind", "Pod"}, {"name", "web-0"}, {"fieldPath", "spec.containers{a}"}}},
      {"source", {{"component", "kubelet"}, {"host", "node-1"}}},
      {"firstTimestamp", "2024-05-01T11:00:00Z"},
      {"lastTimestamp", "2024-05-01T11:58:00Z"},
      {"count", 7}};
  CHECK(one_row(info, event)["cells"] ==
        json::array({"2m", "Warning", "BackOff", "pod/web-0", "spec.containers{a}",
                     "kubelet, node-1", "Back-off restarting failed container", "60m", 7,
                     "web.17a"}));
  const json fresh = {{"metadata", meta("e2")},
                      {"type", "Normal"},
                      {"reason", "Created"},
                      {"involvedObject", {{"kind", "Namespace"}}},
                      {"reportingComponent", "cairn"},
                      {"eventTime", "2024-05-01T11:59:30.123456Z"}};
  CHECK(one_row(info, fresh)["cells"] ==
        json::array({"29s", "Normal", "Created", "namespace", "", "cairn", "", "29s", 1, "e2"}));
}

TEST_CASE("other built-ins show Name and Age", "[table]") {
  const ResourceInfo info = builtin("rbac.authorization.k8s.io", "roles", "Role");
  CHECK(one_row(info, {{"metadata", meta("r")}})["cells"] == json::array({"r", "5m10s"}));
}

TEST_CASE("PartialObjectMetadata keeps the whole metadata", "[table]") {
  const json object = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta("cm")},
                       {"data", {{"a", "1"}}}};
  CHECK(partial_object_metadata(object) == json{{"kind", "PartialObjectMetadata"},
                                                {"apiVersion", "meta.k8s.io/v1"},
                                                {"metadata", object["metadata"]}});
  CHECK(partial_object_metadata(json::object())["metadata"] == json::object());
  const json list = partial_object_metadata_list({object, object}, {{"resourceVersion", "77"}});
  CHECK(list["kind"] == "PartialObjectMetadataList");
  CHECK(list["apiVersion"] == "meta.k8s.io/v1");
  CHECK(list["metadata"] == json{{"resourceVersion", "77"}});
  REQUIRE(list["items"].size() == 2);
  CHECK(list["items"][1] == partial_object_metadata(object));
}
