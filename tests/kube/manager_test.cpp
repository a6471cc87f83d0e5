// The controller runtime end to end against an in-process `cairn apiserver`: a Manager with
// controllers built from primary, owned and mapped watches; reconcile results; backoff;
// one worker per key; sharding by label selector; graceful shutdown.
#include "kube/manager.h"

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "kube/objects.h"
#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const GroupVersionKind kSecret{"", "v1", "Secret"};
const GroupVersionKind kNamespace{"", "v1", "Namespace"};

json config_map(const std::string& ns, const std::string& name, json labels = json::object()) {
  return testing::config_map(ns, name, {{"k", "v"}}, std::move(labels));
}

// Keys reconciled, in order, and how often each was seen; thread-safe.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> keys;
  std::map<std::string, int> count;
  void add(const ObjectKey& key) {
    std::lock_guard lock(mu);
    keys.push_back(key.str());
    ++count[key.str()];
  }
  int seen(const std::string& key) {
    std::lock_guard lock(mu);
    return count[key];
  }
};

struct TestManager {
  Metrics metrics;
  std::ostringstream logs;
  std::unique_ptr<Manager> manager;
  std::thread runner;
  Result<void> result;

  explicit TestManager(const std::string& ns, const std::string& selector = "",
                       std::chrono::milliseconds sync_period = std::chrono::minutes(5)) {
    ManagerOptions options;
    options.rest = testing::shared_test_apiserver().config;
    options.namespace_ = ns;
    options.leader_elect = false;
    options.metrics_bind_address = "0";
    options.health_probe_bind_address = "0";
    options.watch_label_selector = selector;
    options.sync_period = sync_period;
    options.graceful_shutdown_timeout = 10s;
    options.metrics = &metrics;
    options.logger = Logger::to_stream(logs, LogFormat::kJson, LogLevel::kDebug);
    auto created = Manager::create(options);
    REQUIRE(created);
    manager = std::move(*created);
  }
  void run() {
    runner = std::thread([this] { result = manager->run(); });
  }
  ~TestManager() {
    manager->stop();
    if (runner.joinable()) runner.join();
  }
  double metric(const std::string& line_prefix) {
    const std::string text = metrics.text();
    const auto at = text.find(line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line_prefix.size() + 1));
  }
};

TEST_CASE("a controller reconciles its primary kind, owned children and mapped objects",
          "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-wiring";
  testing::create_test_namespace(*client, ns);
  REQUIRE(client->create(config_map(ns, "before-start")));

  Recorder recorder;  // before the manager: its workers use it until the manager is destroyed
  TestManager tm(ns);
  auto controller =
      ControllerBuilder(*tm.manager, "configmaps")
          .for_kind(kConfigMap)
          .owns(kSecret)
          .watches(kNamespace,
                   [](const json& object) {
                     // A labelled namespace asks for its "target" ConfigMap.
                     const auto labels = object["metadata"].value("labels", json::object());
                     std::vector<ObjectKey> keys;
                     if (labels.contains("target"))
                       keys.push_back(ObjectKey{object["metadata"]["name"].get<std::string>(),
                                                labels["target"].get<std::string>()});
                     return keys;
                   })
          .complete([&recorder](ReconcileContext& ctx) -> ReconcileOutcome {
            recorder.add(ctx.key);
            CHECK(ctx.reconcile_id.size() == 32);
            return ReconcileResult::done();
          });
  REQUIRE(controller);
  tm.run();

  // Existing objects are reconciled once the cache has synced.
  CHECK(eventually([&] { return recorder.seen(ns + "/before-start") >= 1; }));
  auto owner = client->create(config_map(ns, "owner"));
  REQUIRE(owner);
  CHECK(eventually([&] { return recorder.seen(ns + "/owner") >= 1; }));
  const int owner_before = recorder.seen(ns + "/owner");

  // An owned Secret's events go to its controller owner.
  json secret{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "child"}, {"namespace", ns}}},
              {"stringData", {{"a", "b"}}}};
  REQUIRE(set_controller_reference(*owner, secret));
  REQUIRE(client->create(secret));
  CHECK(eventually([&] { return recorder.seen(ns + "/owner") > owner_before; }));
  CHECK(recorder.seen(ns + "/child") == 0);

  // A mapped watch: labelling the namespace enqueues the ConfigMap it names. (The count is read
  // before the patch: the reconcile may run before the patch call returns.)
  const int before = recorder.seen(ns + "/before-start");
  REQUIRE(client->patch(kNamespace, "", ns, PatchType::kMerge,
                        json{{"metadata", {{"labels", {{"target", "before-start"}}}}}}));
  CHECK(eventually([&] { return recorder.seen(ns + "/before-start") > before; }));

  // A deleted object is reconciled once more (to clean up).
  const int owner_seen = recorder.seen(ns + "/owner");
  REQUIRE(client->remove(kConfigMap, ns, "owner"));
  CHECK(eventually([&] { return recorder.seen(ns + "/owner") > owner_seen; }));

  CHECK(tm.metric(
            R"(controller_runtime_reconcile_total{controller="configmaps",result="success"})") >=
        4);
  CHECK(tm.metric(R"(controller_runtime_max_concurrent_reconciles{controller="configmaps"})") == 1);
  CHECK(tm.logs.str().find(R"("controller":"configmaps")") != std::string::npos);
  CHECK(tm.logs.str().find(R"("reconcileID":")") != std::string::npos);
}

TEST_CASE("reconcile errors back off and requeue_after comes back", "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-results";
  testing::create_test_namespace(*client, ns);

  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> failing_calls;
  std::vector<std::chrono::steady_clock::time_point> requeue_calls;
  int thrown = 0;
  TestManager tm(ns);  // last: destroyed (workers joined) before what they use
  auto controller = ControllerBuilder(*tm.manager, "results")
                        .for_kind(kConfigMap)
                        .rate_limits(QueueRateLimits{20ms, 1s, 0, 1})
                        .complete([&](ReconcileContext& ctx) -> ReconcileOutcome {
                          std::lock_guard lock(mu);
                          if (ctx.key.name == "failing") {
                            failing_calls.push_back(std::chrono::steady_clock::now());
                            if (failing_calls.size() < 4)
                              return tl::unexpected(std::string("not yet"));
                            return ReconcileResult::done();
                          }
                          if (ctx.key.name == "requeue") {
                            requeue_calls.push_back(std::chrono::steady_clock::now());
                            if (requeue_calls.size() < 3) return ReconcileResult::after(200ms);
                            return ReconcileResult::done();
                          }
                          if (ctx.key.name == "throws" && thrown++ == 0)
                            throw std::runtime_error("kaboom");
                          return ReconcileResult::done();
                        });
  REQUIRE(controller);
  tm.run();
  REQUIRE(client->create(config_map(ns, "failing")));
  REQUIRE(client->create(config_map(ns, "requeue")));
  REQUIRE(client->create(config_map(ns, "throws")));

  CHECK(eventually([&] {
    std::lock_guard lock(mu);
    return failing_calls.size() >= 4 && requeue_calls.size() >= 3 && thrown >= 2;
  }));
  {
    std::lock_guard lock(mu);
    // Exponential backoff: 20 ms, 40 ms, 80 ms between the failing attempts (at least).
    REQUIRE(failing_calls.size() >= 4);
    CHECK(failing_calls[1] - failing_calls[0] >= 20ms);
    CHECK(failing_calls[2] - failing_calls[1] >= 40ms);
    CHECK(failing_calls[3] - failing_calls[2] >= 80ms);
    REQUIRE(requeue_calls.size() >= 3);
    CHECK(requeue_calls[1] - requeue_calls[0] >= 200ms);
    CHECK(requeue_calls[2] - requeue_calls[1] >= 200ms);
  }
  CHECK(tm.metric(R"(controller_runtime_reconcile_errors_total{controller="results"})") == 4);
  CHECK(tm.metric(
            R"(controller_runtime_reconcile_total{controller="results",result="requeue_after"})") ==
        2);
  CHECK(tm.metric(R"(workqueue_retries_total{name="results"})") == 4);
  CHECK(tm.logs.str().find("reconciler threw: kaboom") != std::string::npos);
  CHECK(tm.logs.str().find(R"("error":"not yet")") != std::string::npos);
}

TEST_CASE("a key is reconciled by one worker at a time", "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-exclusive";
  testing::create_test_namespace(*client, ns);
  for (int i = 0; i < 4; ++i) REQUIRE(client->create(config_map(ns, "cm" + std::to_string(i))));

  std::mutex mu;
  std::set<std::string> running;
  std::atomic<int> overlaps{0}, parallel_max{0}, calls{0};
  std::atomic<bool> gate{true};  // holds the first reconciles while the updates arrive
  TestManager tm(ns);  // last: destroyed (workers joined) before what they use
  auto controller = ControllerBuilder(*tm.manager, "exclusive")
                        .for_kind(kConfigMap)
                        .concurrency(4)
                        .complete([&](ReconcileContext& ctx) -> ReconcileOutcome {
                          {
                            std::lock_guard lock(mu);
                            if (!running.insert(ctx.key.str()).second) ++overlaps;
                            parallel_max =
                                std::max<int>(parallel_max, static_cast<int>(running.size()));
                          }
                          while (gate && !ctx.shutting_down()) std::this_thread::sleep_for(5ms);
                          std::this_thread::sleep_for(30ms);
                          {
                            std::lock_guard lock(mu);
                            running.erase(ctx.key.str());
                          }
                          ++calls;
                          return ReconcileResult::done();
                        });
  REQUIRE(controller);
  tm.run();
  // Hammer the same four objects with updates while they are being reconciled (held at the
  // gate, so that the updates meet keys in flight however slow the machine is).
  REQUIRE(eventually([&] { return (*controller)->queue().processing() == 4; }));
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 4; ++i) {
      REQUIRE(client->patch(kConfigMap, ns, "cm" + std::to_string(i), PatchType::kMerge,
                            json{{"data", {{"round", std::to_string(round)}}}}));
    }
  }
  std::this_thread::sleep_for(500ms);  // the watch delivers the 40 updates meanwhile
  gate = false;
  CHECK(eventually([&] {
    auto& q = (*controller)->queue();
    return calls >= 4 && q.len() == 0 && q.processing() == 0;
  }));
  CHECK(overlaps == 0);
  CHECK(parallel_max >= 1);
  // De-duplicated: 40 updates of 4 keys in flight give one more reconcile each (a few more if
  // the watch delivered some updates late), not 40.
  CHECK(calls <= 4 * 4);
}

TEST_CASE("--watch-label-selector shards the primary kind", "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-shard";
  testing::create_test_namespace(*client, ns);
  Recorder seen;  // before the manager: its workers use it until the manager is destroyed
  TestManager shard_a(ns, "shard=a");
  REQUIRE(ControllerBuilder(*shard_a.manager, "sharded")
              .for_kind(kConfigMap)
              .complete([&seen](ReconcileContext& ctx) -> ReconcileOutcome {
                seen.add(ctx.key);
                return ReconcileResult::done();
              }));
  shard_a.run();
  REQUIRE(client->create(config_map(ns, "mine", {{"shard", "a"}})));
  REQUIRE(client->create(config_map(ns, "theirs", {{"shard", "b"}})));
  REQUIRE(client->create(config_map(ns, "unlabelled")));
  CHECK(eventually([&] { return seen.seen(ns + "/mine") >= 1; }));
  std::this_thread::sleep_for(300ms);
  CHECK(seen.seen(ns + "/theirs") == 0);
  CHECK(seen.seen(ns + "/unlabelled") == 0);

  ManagerOptions bad;
  bad.rest = testing::shared_test_apiserver().config;
  bad.watch_label_selector = "shard in ((";
  auto refused = Manager::create(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("--watch-label-selector") != std::string::npos);
}

TEST_CASE("shutdown lets in-flight reconciles finish and stops taking work", "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-shutdown";
  testing::create_test_namespace(*client, ns);
  REQUIRE(client->create(config_map(ns, "slow")));
  std::atomic<bool> started{false}, finished{false}, saw_shutdown{false};
  TestManager tm(ns);  // last: destroyed (workers joined) before what they use
  REQUIRE(ControllerBuilder(*tm.manager, "slow")
              .for_kind(kConfigMap)
              .complete([&](ReconcileContext& ctx) -> ReconcileOutcome {
                started = true;
                while (!ctx.shutting_down()) std::this_thread::sleep_for(5ms);
                saw_shutdown = true;
                std::this_thread::sleep_for(200ms);  // finishing up
                finished = true;
                return ReconcileResult::done();
              }));
  tm.run();
  REQUIRE(eventually([&] { return started.load(); }));
  tm.manager->stop();
  tm.runner.join();
  CHECK(tm.result);
  CHECK(saw_shutdown);
  CHECK(finished);  // run() returned only after the reconcile ended
  CHECK_FALSE(tm.manager->abandoned_work());
  CHECK(tm.logs.str().find("manager stopped") != std::string::npos);
}

TEST_CASE("a change is reconciled before the pending keys of a resync wave", "[manager]") {
  auto client = testing::test_client();
  const std::string ns = "mgr-lanes";
  testing::create_test_namespace(*client, ns);
  constexpr int kObjects = 20;
  for (int i = 0; i < kObjects; ++i) {
    REQUIRE(client->create(config_map(ns, "cm-" + std::to_string(i))));
  }
  Recorder recorder;
  std::atomic<bool> hold{false}, holding{false};
  TestManager tm(ns, "", 1s);  // last: destroyed (workers joined) before what they use
  auto controller = ControllerBuilder(*tm.manager, "lanes")
                        .for_kind(kConfigMap)
                        .complete([&](ReconcileContext& ctx) -> ReconcileOutcome {
                          recorder.add(ctx.key);
                          if (hold.exchange(false)) {  // the first reconcile after hold is set
                            holding = true;
                            while (holding && !ctx.shutting_down()) std::this_thread::sleep_for(5ms);
                          }
                          return ReconcileResult::done();
                        });
  REQUIRE(controller);
  tm.run();
  REQUIRE(eventually([&] {
    std::lock_guard lock(recorder.mu);
    return recorder.count.size() == kObjects;
  }));
  // The next resync blocks the only worker; the rest of its wave queues up behind it.
  hold = true;
  REQUIRE(eventually([&] { return holding.load() && (*controller)->queue().len() >= kObjects - 1; }));
  REQUIRE(client->create(config_map(ns, "new")));
  REQUIRE(eventually([&] { return (*controller)->queue().len() >= kObjects; }));
  std::size_t held_at = 0;
  {
    std::lock_guard lock(recorder.mu);
    held_at = recorder.keys.size();
  }
  holding = false;
  REQUIRE(eventually([&] { return recorder.seen(ns + "/new") == 1; }));
  std::lock_guard lock(recorder.mu);
  REQUIRE(recorder.keys.size() > held_at);
  CHECK(recorder.keys[held_at] == ns + "/new");  // first, ahead of 19 resync keys
}

TEST_CASE("predicates filter events", "[manager]") {
  auto obj = [](int generation, const std::string& rv, json labels) {
    return std::make_shared<const json>(json{
        {"metadata", {{"generation", generation}, {"resourceVersion", rv}, {"labels", labels}}}});
  };
  auto update = [](ObjectPtr a, ObjectPtr b) {
    return ObjectEvent{WatchEventType::kUpdate, std::move(a), std::move(b)};
  };
  auto gen = predicates::generation_changed();
  CHECK_FALSE(gen(update(obj(1, "5", {}), obj(1, "6", {}))));  // status-only write
  CHECK(gen(update(obj(1, "5", {}), obj(2, "6", {}))));
  CHECK(gen(ObjectEvent{WatchEventType::kAdd, nullptr, obj(1, "5", {})}));
  CHECK(gen(ObjectEvent{WatchEventType::kDelete, nullptr, obj(1, "5", {})}));
  auto rv = predicates::resource_version_changed();
  CHECK_FALSE(rv(update(obj(1, "5", {}), obj(1, "5", {}))));  // resync
  CHECK(rv(update(obj(1, "5", {}), obj(1, "6", {}))));
  auto sel = predicates::label_selector("tier in (web,api),!legacy");
  REQUIRE(sel);
  CHECK((*sel)(ObjectEvent{WatchEventType::kAdd, nullptr, obj(1, "1", {{"tier", "web"}})}));
  CHECK_FALSE((*sel)(
      ObjectEvent{WatchEventType::kAdd, nullptr, obj(1, "1", {{"tier", "web"}, {"legacy", "y"}})}));
  CHECK_FALSE(predicates::label_selector("tier in ((("));
  auto meta = predicates::labels_or_annotations_changed();
  CHECK(meta(update(obj(1, "5", {}), obj(1, "6", {{"a", "b"}}))));
  CHECK_FALSE(meta(update(obj(1, "5", {{"a", "b"}}), obj(2, "6", {{"a", "b"}}))));
  auto any = predicates::any_of({gen, meta});
  CHECK(any(update(obj(1, "5", {}), obj(1, "6", {{"a", "b"}}))));
  CHECK_FALSE(any(update(obj(1, "5", {}), obj(1, "6", {}))));
}

TEST_CASE("the builder refuses incomplete controllers", "[manager]") {
  TestManager tm("mgr-builder");
  auto noop = [](ReconcileContext&) -> ReconcileOutcome { return ReconcileResult::done(); };
  auto no_primary = ControllerBuilder(*tm.manager, "x").owns(kSecret).complete(noop);
  REQUIRE_FALSE(no_primary);
  CHECK(no_primary.error().message.find("for_kind") != std::string::npos);
  REQUIRE(ControllerBuilder(*tm.manager, "dup").for_kind(kConfigMap).complete(noop));
  auto dup = ControllerBuilder(*tm.manager, "dup").for_kind(kConfigMap).complete(noop);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("already exists") != std::string::npos);
}

}  // namespace
}  // namespace cairn::kube
