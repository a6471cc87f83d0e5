// Helpers of the controller tests: a Store in a temporary directory with a Registry, object
// creation through the real create strategy, and deadline polls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/common/eventually.h"
#include "apiserver/controller_lifecycle.h"
#include "apiserver/resources.h"
#include "apiserver/store.h"
#include "apiserver/validation.h"
#include "store_test_util.h"

namespace cairn::apiserver::testing {

struct Cluster {
  TempDir dir;
  std::unique_ptr<Store> store = open_store(dir.path());
  Registry registry;

  std::shared_ptr<const ResourceInfo> info(const std::string& group, const std::string& version,
                                           const std::string& resource) {
    auto i = registry.find(group, version, resource);
    REQUIRE(i);
    return i;
  }

  // Creates through prepare_for_create + validate_builtin, as the request handler does.
  nlohmann::json create(const ResourceInfo& info, const std::string& ns, nlohmann::json obj) {
    if (!ns.empty()) obj["metadata"]["namespace"] = ns;
    auto prepared = prepare_for_create(info, obj);
    REQUIRE(prepared);
    auto causes = validate_object_meta(info, obj, nullptr);
    auto more = validate_builtin(info, obj, nullptr);
    causes.insert(causes.end(), more.begin(), more.end());
    INFO(obj.dump());
    REQUIRE(causes.empty());
    auto created = store->create(info.ref(), ns, obj, {info.generation});
    if (!created) FAIL(created.error().message);
    return *created;
  }

  nlohmann::json config_map(const std::string& ns, const std::string& name,
                            const nlohmann::json& owners = nullptr,
                            const nlohmann::json& finalizers = nullptr) {
    nlohmann::json o = {
        {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
    if (!owners.is_null()) o["metadata"]["ownerReferences"] = owners;
    if (!finalizers.is_null()) o["metadata"]["finalizers"] = finalizers;
    return create(*info("", "v1", "configmaps"), ns, o);
  }

  nlohmann::json name_space(const std::string& name) {
    return create(*info("", "v1", "namespaces"), "",
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  }

  bool exists(const ObjectKey& key) {
    auto got = store->get(key);
    if (!got && got.error().code != StatusCode::kNotFound) FAIL(got.error().message);
    return got.has_value();
  }

  nlohmann::json get(const ObjectKey& key) {
    auto got = store->get(key);
    if (!got) FAIL(got.error().message);
    return *got;
  }

  // Removes one finalizer by update and completes the deletion, as an update request does.
  void remove_finalizer(const ObjectKey& key, const std::string& finalizer) {
    auto drop = [&](const nlohmann::json& cur) -> Result<nlohmann::json> {
      nlohmann::json next = cur;
      nlohmann::json kept = nlohmann::json::array();
      for (const auto& f : next["metadata"]["finalizers"])
        if (f != finalizer) kept.push_back(f);
      next["metadata"]["finalizers"] = kept;
      return next;
    };
    auto written = store->update_with(key, drop);
    REQUIRE(written);
    REQUIRE(finish_deletion_if_ready(*store, key, *written));
  }
};

// A reference to `owner` (a stored object) as a dependent carries it.
inline nlohmann::json owner_ref(const nlohmann::json& owner, bool block = false) {
  nlohmann::json r = {{"apiVersion", owner.value("apiVersion", "v1")},
                      {"kind", owner.value("kind", "ConfigMap")},
                      {"name", owner["metadata"]["name"]},
                      {"uid", owner["metadata"]["uid"]}};
  if (block) r["blockOwnerDeletion"] = true;
  return r;
}

using ::cairn::testing::eventually;  // tests/common/eventually.h

}  // namespace cairn::apiserver::testing
