#include "apiserver/controller_lifecycle.h"

#include <string>

#include "controller_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

TEST_CASE("delete removes an object without finalizers at once", "[lifecycle]") {
  Cluster c;
  auto cm = c.info("", "v1", "configmaps");
  const json created = c.config_map("ns", "a");
  auto out = delete_object(*c.store, *cm, cm_key("ns", "a"), {});
  REQUIRE(out);
  CHECK(out->removed);
  CHECK(out->object["metadata"]["uid"] == created["metadata"]["uid"]);
  CHECK_FALSE(c.exists(cm_key("ns", "a")));

  auto again = delete_object(*c.store, *cm, cm_key("ns", "a"), {});
  REQUIRE_FALSE(again);
  CHECK(again.error().code == StatusCode::kNotFound);
  CHECK(again.error().message == "configmaps \"a\" not found");
}

TEST_CASE("delete marks a finalizer-held object once and finishes when finalizers go",
          "[lifecycle]") {
  Cluster c;
  auto cm = c.info("", "v1", "configmaps");
  c.config_map("ns", "a", nullptr, json{"example.com/hold"});
  auto first = delete_object(*c.store, *cm, cm_key("ns", "a"), {});
  REQUIRE(first);
  CHECK_FALSE(first->removed);
  const json& md = first->object["metadata"];
  CHECK(md["deletionTimestamp"].is_string());
  CHECK(md["deletionGracePeriodSeconds"] == 0);
  CHECK(md["finalizers"] == json{"example.com/hold"});

  // A repeated DELETE changes nothing: same resourceVersion, same timestamp.
  auto second = delete_object(*c.store, *cm, cm_key("ns", "a"), {});
  REQUIRE(second);
  CHECK_FALSE(second->removed);
  CHECK(second->object == first->object);

  // Nothing to finish while a finalizer is left.
  auto none = finish_deletion_if_ready(*c.store, cm_key("ns", "a"), second->object);
  REQUIRE(none);
  CHECK_FALSE(*none);

  c.remove_finalizer(cm_key("ns", "a"), "example.com/hold");
  CHECK_FALSE(c.exists(cm_key("ns", "a")));
}

TEST_CASE("propagation policies set and clear the GC finalizers", "[lifecycle]") {
  Cluster c;
  auto cm = c.info("", "v1", "configmaps");
  c.config_map("ns", "a");
  DeleteRequest orphan;
  orphan.propagation_policy = "Orphan";
  auto o = delete_object(*c.store, *cm, cm_key("ns", "a"), orphan);
  REQUIRE(o);
  CHECK_FALSE(o->removed);
  CHECK(o->object["metadata"]["finalizers"] == json{"orphan"});

  DeleteRequest foreground;
  foreground.propagation_policy = "Foreground";
  auto f = delete_object(*c.store, *cm, cm_key("ns", "a"), foreground);
  REQUIRE(f);
  CHECK(f->object["metadata"]["finalizers"] == json{"foregroundDeletion"});
  CHECK(f->object["metadata"]["deletionTimestamp"] == o->object["metadata"]["deletionTimestamp"]);

  // Background drops the GC finalizer; nothing holds the object any more.
  DeleteRequest background;
  background.propagation_policy = "Background";
  auto b = delete_object(*c.store, *cm, cm_key("ns", "a"), background);
  REQUIRE(b);
  CHECK(b->removed);

  DeleteRequest bogus;
  bogus.propagation_policy = "Sideways";
  c.config_map("ns", "b");
  auto err = delete_object(*c.store, *cm, cm_key("ns", "b"), bogus);
  REQUIRE_FALSE(err);
  CHECK(err.error().code == StatusCode::kInvalid);
  CHECK(err.error().message ==
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
        "\"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
}

TEST_CASE("batch/v1 jobs orphan their dependents by default", "[lifecycle]") {
  Cluster c;
  auto jobs = c.info("batch", "v1", "jobs");
  json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", {{"name", "j"}}}};
  job["spec"]["template"]["spec"] = {{"restartPolicy", "Never"},
                                     {"containers", {{{"name", "c"}, {"image", "busybox"}}}}};
  c.create(*jobs, "ns", job);
  auto out = delete_object(*c.store, *jobs, {"batch", "jobs", "ns", "j"}, {});
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  CHECK(out->object["metadata"]["finalizers"] == json{"orphan"});
}

TEST_CASE("delete preconditions and dry run", "[lifecycle]") {
  Cluster c;
  auto cm = c.info("", "v1", "configmaps");
  const json a = c.config_map("ns", "a");
  DeleteRequest wrong_uid;
  wrong_uid.preconditions.uid = "nope";
  auto r = delete_object(*c.store, *cm, cm_key("ns", "a"), wrong_uid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == StatusCode::kConflict);
  CHECK(r.error().message ==
        "Operation cannot be fulfilled on ConfigMap \"a\": the UID in the precondition (nope) "
        "does not match the UID in record (" +
            a["metadata"]["uid"].get<std::string>() +
            "). The object might have been deleted and then recreated");

  DeleteRequest wrong_rv;
  wrong_rv.preconditions.resource_version = "1";
  auto rv = delete_object(*c.store, *cm, cm_key("ns", "a"), wrong_rv);
  REQUIRE_FALSE(rv);
  CHECK(rv.error().message.find("the ResourceVersion in the precondition (1) does not match") !=
        std::string::npos);

  DeleteRequest dry;
  dry.dry_run = true;
  auto d = delete_object(*c.store, *cm, cm_key("ns", "a"), dry);
  REQUIRE(d);
  CHECK(d->removed);
  CHECK(c.get(cm_key("ns", "a")) == a);

  DeleteRequest right;
  right.preconditions.uid = a["metadata"]["uid"].get<std::string>();
  right.preconditions.resource_version = a["metadata"]["resourceVersion"].get<std::string>();
  auto ok = delete_object(*c.store, *cm, cm_key("ns", "a"), right);
  REQUIRE(ok);
  CHECK(ok->removed);
}

TEST_CASE("deleting a namespace makes it Terminating until its finalizers are gone",
          "[lifecycle]") {
  Cluster c;
  auto namespaces = c.info("", "v1", "namespaces");
  c.name_space("team");
  const ObjectKey key{"", "namespaces", "", "team"};
  auto out = delete_object(*c.store, *namespaces, key, {});
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  CHECK(out->object["status"]["phase"] == "Terminating");
  CHECK(out->object["metadata"]["deletionTimestamp"].is_string());
  CHECK(out->object["spec"]["finalizers"] == json{"kubernetes"});

  // Still held by spec.finalizers: a second DELETE keeps it.
  auto again = delete_object(*c.store, *namespaces, key, {});
  REQUIRE(again);
  CHECK_FALSE(again->removed);

  // /finalize empties spec.finalizers; the namespace goes.
  auto written = c.store->update_with(key, [](const json& cur) -> Result<json> {
    json next = cur;
    next["spec"]["finalizers"] = json::array();
    return next;
  });
  REQUIRE(written);
  auto done = finish_deletion_if_ready(*c.store, key, *written);
  REQUIRE(done);
  REQUIRE(*done);
  CHECK((**done)["metadata"]["name"] == "team");
  CHECK_FALSE(c.exists(key));
}
