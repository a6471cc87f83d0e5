// Conditions, finalizers, owner references (pure helpers) and server-side apply of owned
// objects against the in-process `cairn apiserver` shared with leader_test.cpp.
#include "kube/objects.h"

#include <catch2/catch.hpp>

#include <functional>

#include "kube/detail/text.h"

#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::chrono::system_clock::time_point at(const char* rfc3339) {
  return *detail::parse_rfc3339(rfc3339);
}

const auto kT0 = at("2026-11-30T20:31:07Z");
const auto kT1 = at("2026-11-30T20:45:00Z");

Condition cond(std::string type, std::string status, std::string reason = "",
               std::string message = "", std::int64_t generation = 0, std::string severity = "") {
  Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  c.severity = std::move(severity);
  return c;
}

json widget() {
  return json{{"apiVersion", "example.com/v1"},
              {"kind", "Widget"},
              {"metadata", {{"name", "w"}, {"namespace", "ns1"}, {"generation", 4}}}};
}

TEST_CASE("set_condition creates status.conditions and writes a Kubernetes condition",
          "[objects][conditions]") {
  json obj = widget();
  CHECK(set_condition(obj, cond("Ready", "False", "Provisioning", "waiting for nodes", 4), kT0));
  CHECK(obj["status"]["conditions"] ==
        json::array({{{"type", "Ready"},
                      {"status", "False"},
                      {"reason", "Provisioning"},
                      {"message", "waiting for nodes"},
                      {"observedGeneration", 4},
                      {"lastTransitionTime", "2026-11-30T20:31:07Z"}}}));
  json bare = json::object();
  CHECK(set_condition(bare, cond("Synced", "True", "Done"), kT0 + 500ms));
  const json& c = bare["status"]["conditions"][0];
  CHECK_FALSE(c.contains("observedGeneration"));
  CHECK_FALSE(c.contains("severity"));
  CHECK(c["lastTransitionTime"] == "2026-11-30T20:31:07Z");
  CHECK(c["message"] == "");
}

TEST_CASE("lastTransitionTime changes only when the status changes", "[objects][conditions]") {
  struct Step {
    const char* what;
    Condition next;
    bool changed;
    const char* transition_time;
  };
  const std::vector<Step> steps{
      {"same condition again", cond("Ready", "False", "Provisioning", "waiting", 4), false,
       "2026-11-30T20:31:07Z"},
      {"only the reason changes", cond("Ready", "False", "Pulling", "waiting", 4), true,
       "2026-11-30T20:31:07Z"},
      {"only the message changes", cond("Ready", "False", "Pulling", "still waiting", 4), true,
       "2026-11-30T20:31:07Z"},
      {"only the generation changes", cond("Ready", "False", "Pulling", "still waiting", 5), true,
       "2026-11-30T20:31:07Z"},
      {"severity added", cond("Ready", "False", "Pulling", "still waiting", 5, "Warning"), true,
       "2026-11-30T20:31:07Z"},
      {"status changes", cond("Ready", "True", "Ready", "", 5), true, "2026-11-30T20:45:00Z"},
      {"status changes back", cond("Ready", "Unknown", "Lost", "", 5), true,
       "2026-11-30T20:45:00Z"},
  };
  json obj = widget();
  REQUIRE(set_condition(obj, cond("Ready", "False", "Provisioning", "waiting", 4), kT0));
  for (const auto& step : steps) {
    INFO(step.what);
    CHECK(set_condition(obj, step.next, kT1) == step.changed);
    auto got = get_condition(obj, "Ready");
    REQUIRE(got);
    CHECK(got->status == step.next.status);
    CHECK(got->reason == step.next.reason);
    CHECK(got->message == step.next.message);
    CHECK(got->observed_generation == step.next.observed_generation);
    CHECK(got->severity == step.next.severity);
    CHECK(obj["status"]["conditions"][0]["lastTransitionTime"] == step.transition_time);
    REQUIRE(got->last_transition_time);
    CHECK(*got->last_transition_time == at(step.transition_time));
  }
  CHECK(obj["status"]["conditions"].size() == 1);
}

TEST_CASE("conditions keep their order and other conditions", "[objects][conditions]") {
  json obj = widget();
  obj["status"] = {{"phase", "Running"}};
  CHECK(set_condition(obj, cond("A", "True", "Ok"), kT0));
  CHECK(set_condition(obj, cond("B", "False", "Broken"), kT0));
  CHECK(set_condition(obj, cond("C", "Unknown", "Pending"), kT0));
  CHECK(set_condition(obj, cond("B", "True", "Fixed"), kT1));
  const json& list = obj["status"]["conditions"];
  REQUIRE(list.size() == 3);
  CHECK(list[0]["type"] == "A");
  CHECK(list[1]["type"] == "B");
  CHECK(list[1]["reason"] == "Fixed");
  CHECK(list[2]["type"] == "C");
  CHECK(obj["status"]["phase"] == "Running");

  CHECK(is_condition_true(obj, "A"));
  CHECK(is_condition_true(obj, "B"));
  CHECK_FALSE(is_condition_true(obj, "C"));
  CHECK_FALSE(is_condition_true(obj, "Missing"));
  CHECK_FALSE(get_condition(obj, "Missing"));
  CHECK_FALSE(get_condition(json::object(), "A"));

  CHECK(remove_condition(obj, "B"));
  CHECK_FALSE(remove_condition(obj, "B"));
  json without = widget();
  CHECK_FALSE(remove_condition(without, "B"));
  REQUIRE(obj["status"]["conditions"].size() == 2);
  CHECK(obj["status"]["conditions"][1]["type"] == "C");
}

TEST_CASE("set_summary_condition derives Ready from the listed conditions",
          "[objects][conditions]") {
  struct Case {
    const char* what;
    std::vector<Condition> conditions;
    std::string status, reason, message, severity;
  };
  const std::vector<Case> cases{
      {"all true",
       {cond("A", "True", "Ok"), cond("B", "True", "Ok")},
       "True",
       std::string(kReasonAllTrue),
       "",
       ""},
      {"one false",
       {cond("A", "True", "Ok"), cond("B", "False", "PullFailed", "image not found")},
       "False",
       "PullFailed",
       "image not found",
       ""},
      {"false wins over unknown",
       {cond("A", "Unknown", "Waiting"), cond("B", "False", "Broken", "b is broken")},
       "False",
       "Broken",
       "b is broken",
       ""},
      {"most severe false wins",
       {cond("A", "False", "Slow", "a is slow", 0, "Info"),
        cond("B", "False", "Down", "b is down", 0, "Error")},
       "False",
       "Down",
       "b is down",
       "Error"},
      {"first false wins among equals",
       {cond("A", "False", "First", "a"), cond("B", "False", "Second", "b")},
       "False",
       "First",
       "a",
       ""},
      {"unknown",
       {cond("A", "True", "Ok"), cond("B", "Unknown", "Checking", "checking b")},
       "Unknown",
       "Checking",
       "checking b",
       ""},
      {"missing",
       {cond("A", "True", "Ok")},
       "Unknown",
       std::string(kReasonConditionMissing),
       "B is not reported",
       ""},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    json obj = widget();
    for (const auto& condition : c.conditions) set_condition(obj, condition, kT0);
    CHECK(set_summary_condition(obj, "Ready", {"A", "B"}, kT1));
    auto ready = get_condition(obj, "Ready");
    REQUIRE(ready);
    CHECK(ready->status == c.status);
    CHECK(ready->reason == c.reason);
    CHECK(ready->message == c.message);
    CHECK(ready->severity == c.severity);
    CHECK(ready->observed_generation == 4);
    CHECK(obj["status"]["conditions"].back()["type"] == "Ready");
    CHECK_FALSE(set_summary_condition(obj, "Ready", {"A", "B"}, kT1 + 1h));
  }
}

TEST_CASE("finalizers are added once and removed", "[objects][finalizers]") {
  const std::string fin = "clusterstack.x-k8s.io/cleanup";
  json obj = widget();
  CHECK_FALSE(has_finalizer(obj, fin));
  CHECK(add_finalizer(obj, fin));
  CHECK_FALSE(add_finalizer(obj, fin));
  CHECK(add_finalizer(obj, "other/keep"));
  CHECK(obj["metadata"]["finalizers"] == json::array({fin, "other/keep"}));
  CHECK(has_finalizer(obj, fin));
  CHECK(remove_finalizer(obj, fin));
  CHECK_FALSE(remove_finalizer(obj, fin));
  CHECK(obj["metadata"]["finalizers"] == json::array({"other/keep"}));
  CHECK(remove_finalizer(obj, "other/keep"));
  CHECK(obj["metadata"]["finalizers"] == json::array());

  struct Case {
    const char* what;
    json metadata;
    bool deleting;
  };
  const std::vector<Case> cases{
      {"no deletionTimestamp", json{{"name", "x"}}, false},
      {"deletionTimestamp set", json{{"name", "x"}, {"deletionTimestamp", "2026-11-30T20:31:07Z"}},
       true},
      {"deletionTimestamp null", json{{"name", "x"}, {"deletionTimestamp", nullptr}}, false},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(is_being_deleted(json{{"metadata", c.metadata}}) == c.deleting);
  }
  CHECK_FALSE(is_being_deleted(json::object()));
}

json owner(const std::string& ns, const std::string& name = "owner",
           const std::string& uid = "uid-owner") {
  json o{{"apiVersion", "example.com/v1"},
         {"kind", "Widget"},
         {"metadata", {{"name", name}, {"uid", uid}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

json child(const std::string& ns) {
  json c{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "child"}}}};
  if (!ns.empty()) c["metadata"]["namespace"] = ns;
  return c;
}

TEST_CASE("set_controller_reference sets one controller owner reference", "[objects][owners]") {
  json c = child("ns1");
  auto set = set_controller_reference(owner("ns1"), c);
  REQUIRE(set);
  CHECK(*set);
  CHECK(c["metadata"]["ownerReferences"] == json::array({{{"apiVersion", "example.com/v1"},
                                                          {"kind", "Widget"},
                                                          {"name", "owner"},
                                                          {"uid", "uid-owner"},
                                                          {"controller", true},
                                                          {"blockOwnerDeletion", true}}}));
  auto again = set_controller_reference(owner("ns1"), c);
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK(is_controlled_by(c, owner("ns1")));
  CHECK_FALSE(is_controlled_by(c, owner("ns1", "owner", "uid-other")));
  auto ctrl = controller_of(c);
  REQUIRE(ctrl);
  CHECK((*ctrl)["uid"] == "uid-owner");

  // The same owner under another version (and a new uid after re-creation) updates in place.
  json v2 = owner("ns1", "owner", "uid-new");
  v2["apiVersion"] = "example.com/v2";
  auto moved = set_controller_reference(v2, c);
  REQUIRE(moved);
  CHECK(*moved);
  REQUIRE(c["metadata"]["ownerReferences"].size() == 1);
  CHECK(c["metadata"]["ownerReferences"][0]["apiVersion"] == "example.com/v2");
  CHECK(c["metadata"]["ownerReferences"][0]["uid"] == "uid-new");
}

TEST_CASE("owner reference rules are enforced", "[objects][owners]") {
  struct Case {
    const char* what;
    json owner, child;
    bool ok;
    ErrorKind kind;
    std::string reason;
  };
  json controlled = child("ns1");
  REQUIRE(set_controller_reference(owner("ns1", "first", "uid-1"), controlled));
  json no_uid = owner("ns1");
  no_uid["metadata"].erase("uid");
  json no_kind = child("ns1");
  no_kind.erase("kind");
  const std::vector<Case> cases{
      {"same namespace", owner("ns1"), child("ns1"), true, ErrorKind::kApi, ""},
      {"cluster-scoped owner of a namespaced child", owner(""), child("ns1"), true, ErrorKind::kApi,
       ""},
      {"cluster-scoped owner of a cluster-scoped child", owner(""), child(""), true,
       ErrorKind::kApi, ""},
      {"another namespace", owner("ns1"), child("ns2"), false, ErrorKind::kConfig,
       "CrossNamespaceOwner"},
      {"namespaced owner of a cluster-scoped child", owner("ns1"), child(""), false,
       ErrorKind::kConfig, "CrossNamespaceOwner"},
      {"already controlled by another owner", owner("ns1", "second", "uid-2"), controlled, false,
       ErrorKind::kConfig, "AlreadyOwned"},
      {"owner without uid", no_uid, child("ns1"), false, ErrorKind::kDecode, ""},
      {"child without kind", owner("ns1"), no_kind, false, ErrorKind::kDecode, ""},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    json target = c.child;
    auto r = set_controller_reference(c.owner, target);
    REQUIRE(static_cast<bool>(r) == c.ok);
    if (!r) {
      CHECK(r.error().kind == c.kind);
      CHECK(r.error().reason == c.reason);
      CHECK(target == c.child);  // unchanged on error
    } else {
      CHECK(is_controlled_by(target, c.owner));
    }
  }
}

TEST_CASE("set_owner_reference adds non-controller owners and keeps controller flags",
          "[objects][owners]") {
  json c = child("ns1");
  auto added = set_owner_reference(owner("ns1", "a", "uid-a"), c);
  REQUIRE(added);
  CHECK(*added);
  CHECK(
      c["metadata"]["ownerReferences"][0] ==
      json{{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"name", "a"}, {"uid", "uid-a"}});
  CHECK_FALSE(controller_of(c));
  REQUIRE(set_controller_reference(owner("ns1", "b", "uid-b"), c));
  auto again = set_owner_reference(owner("ns1", "b", "uid-b"), c);
  REQUIRE(again);
  CHECK_FALSE(*again);  // the controller reference keeps controller/blockOwnerDeletion
  REQUIRE(c["metadata"]["ownerReferences"].size() == 2);
  CHECK(c["metadata"]["ownerReferences"][1]["controller"] == true);
  CHECK(is_controlled_by(c, owner("ns1", "b", "uid-b")));
  CHECK_FALSE(is_controlled_by(c, owner("ns1", "a", "uid-a")));
  auto cross = set_owner_reference(owner("ns2"), c);
  REQUIRE_FALSE(cross);
  CHECK(cross.error().reason == "CrossNamespaceOwner");
}

TEST_CASE("apply_owned applies as its field manager, ignoring server-owned fields",
          "[objects][apply]") {
  auto client = testing::test_client();
  testing::create_test_namespace(*client, "objects-apply");
  const GroupVersionKind cm_gvk{"", "v1", "ConfigMap"};
  json desired{{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", "owned"},
                 {"namespace", "objects-apply"},
                 {"resourceVersion", "12345"},
                 {"uid", "00000000-0000-0000-0000-000000000001"},
                 {"managedFields", json::array({{{"manager", "old"}}})},
                 {"labels", {{"app.kubernetes.io/managed-by", "cairn"}}}}},
               {"data", {{"k", "1"}}},
               {"status", {{"bogus", true}}}};
  auto applied = apply_owned(*client, desired, "cairn-test");
  REQUIRE(applied);
  CHECK((*applied)["data"]["k"] == "1");
  CHECK_FALSE(applied->contains("status"));
  CHECK((*applied)["metadata"]["uid"] != "00000000-0000-0000-0000-000000000001");
  bool ours = false;
  for (const auto& entry : (*applied)["metadata"]["managedFields"]) {
    if (entry.value("manager", "") == "cairn-test" && entry.value("operation", "") == "Apply") {
      ours = true;
    }
  }
  CHECK(ours);

  // Another manager takes the field; apply_owned forces it back, from a stale read.
  json stale = *applied;
  PatchOptions other;
  other.field_manager = "someone-else";
  other.force = true;
  json theirs = desired;
  theirs["metadata"].erase("resourceVersion");
  theirs["metadata"].erase("uid");
  theirs["metadata"].erase("managedFields");
  theirs.erase("status");
  theirs["data"]["k"] = "2";
  REQUIRE(client->apply(theirs, other));
  stale["data"]["k"] = "3";
  auto forced = apply_owned(*client, stale, "cairn-test");
  REQUIRE(forced);
  CHECK((*forced)["data"]["k"] == "3");
  auto got = client->get(cm_gvk, "objects-apply", "owned");
  REQUIRE(got);
  CHECK((*got)["data"]["k"] == "3");
  CHECK((*got)["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "cairn");

  auto not_object = apply_owned(*client, json::array(), "cairn-test");
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().kind == ErrorKind::kDecode);
}

TEST_CASE("patch_status_apply applies only the status subresource", "[objects][apply]") {
  auto client = testing::test_client();
  testing::create_test_namespace(*client, "objects-status");
  json pvc{{"apiVersion", "v1"},
           {"kind", "PersistentVolumeClaim"},
           {"metadata", {{"name", "data"}, {"namespace", "objects-status"}}},
           {"spec",
            {{"accessModes", json::array({"ReadWriteOnce"})},
             {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};
  auto created = apply_owned(*client, pvc, "cairn-test");
  REQUIRE(created);
  json with_status = *created;
  with_status["status"] = {{"phase", "Bound"}};
  with_status["spec"]["storageClassName"] = "ignored";  // not part of a status apply
  auto applied = patch_status_apply(*client, with_status, "cairn-test");
  REQUIRE(applied);
  CHECK((*applied)["status"]["phase"] == "Bound");
  CHECK_FALSE((*applied)["spec"].contains("storageClassName"));
}

}  // namespace
}  // namespace cairn::kube
