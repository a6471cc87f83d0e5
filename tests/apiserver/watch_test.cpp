#include <set>
#include <thread>

#include "store_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

constexpr auto kWait = std::chrono::seconds(5);

WatchEvent next_event(Watch& w) {
  auto ev = w.next(kWait);
  if (!ev) FAIL("watch closed: " << ev.error().message);
  if (!*ev) FAIL("no event within the deadline");
  return **ev;
}

void expect_quiet(Watch& w) {
  auto ev = w.try_next();
  REQUIRE(ev);
  CHECK_FALSE(ev->has_value());
}

WatchOptions watch_from(std::int64_t rv, std::optional<std::string> ns = std::nullopt) {
  WatchOptions o(kConfigMaps, std::move(ns));
  o.resource_version = std::to_string(rv);
  return o;
}

}  // namespace

TEST_CASE("watch delivers ADDED, MODIFIED and DELETED in RV order", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = store->watch(watch_from(store->current_resource_version()));
  REQUIRE(w);
  auto a = store->create(kConfigMaps, "ns", config_map("a", {{"k", "1"}}));
  auto b = store->update(cm_key("ns", "a"), config_map("a", {{"k", "2"}}));
  REQUIRE(store->create({"", "secrets"}, "ns", config_map("not-a-configmap")));
  auto c = store->remove(cm_key("ns", "a"));
  REQUIRE((a && b && c));

  auto e1 = next_event(**w);
  CHECK(e1.type == EventType::kAdded);
  CHECK(*e1.object == *a);
  auto e2 = next_event(**w);
  CHECK(e2.type == EventType::kModified);
  CHECK(*e2.object == *b);
  auto e3 = next_event(**w);
  CHECK(e3.type == EventType::kDeleted);
  CHECK(*e3.object == *c);
  CHECK(e1.resource_version < e2.resource_version);
  CHECK(e3.resource_version == rv_of(*c));
  CHECK(to_string(e3.type) == "DELETED");
  expect_quiet(**w);
}

TEST_CASE("watch from an exact RV replays retained history, 410 when too old", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path(), /*history=*/5);
  const std::int64_t start = store->current_resource_version();
  for (int i = 0; i < 8; ++i) {
    REQUIRE(store->create(kConfigMaps, "ns", config_map("cm" + std::to_string(i))));
  }
  // The last 5 events are kept: watching from start+3 sees rv start+4 .. start+8.
  CHECK(store->oldest_watchable_resource_version() == start + 3);
  auto w = store->watch(watch_from(start + 3));
  REQUIRE(w);
  for (int i = 4; i <= 8; ++i) CHECK(next_event(**w).resource_version == start + i);
  expect_quiet(**w);

  auto old = store->watch(watch_from(start + 2));
  REQUIRE_FALSE(old);
  CHECK(old.error().code == StatusCode::kGone);
  CHECK(old.error().message ==
        "too old resource version: " + std::to_string(start + 2) + " (" +
            std::to_string(start + 3) + ")");
  CHECK(store->watch(watch_from(1)).error().code == StatusCode::kGone);

  WatchOptions junk(kConfigMaps);
  junk.resource_version = "12abc";
  CHECK(store->watch(junk).error().code == StatusCode::kBadRequest);
}

TEST_CASE("watch without RV starts with the current state", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  REQUIRE(store->create(kConfigMaps, "a", config_map("x", {{"v", "old"}})));
  REQUIRE(store->update(cm_key("a", "x"), config_map("x", {{"v", "new"}})));
  REQUIRE(store->create(kConfigMaps, "b", config_map("y")));
  REQUIRE(store->create(kConfigMaps, "b", config_map("gone")));
  REQUIRE(store->remove(cm_key("b", "gone")));

  std::vector<std::string> expected = {"x", "y"};
  for (const char* rv : {"", "0"}) {
    INFO("resourceVersion=" << rv);
    WatchOptions o(kConfigMaps);
    o.resource_version = rv;
    o.allow_bookmarks = true;
    auto w = store->watch(o);
    REQUIRE(w);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      auto e = next_event(**w);
      CHECK(e.type == EventType::kAdded);
      names.push_back((*e.object)["metadata"]["name"]);
      if (names.back() == "x") CHECK((*e.object)["data"]["v"] == "new");
    }
    CHECK(names == expected);  // key order: a/x, b/y, b/z...
    expect_quiet(**w);
    // After the initial state, a bookmark carries the snapshot's RV (due unless the newest
    // object already had it: the first time, the newest write was a delete).
    auto b = (*w)->bookmark();
    if (!*rv) REQUIRE(b);
    if (b) CHECK(b->resource_version == store->current_resource_version());
    const std::string name = std::string("z") + (*rv ? "0" : "");
    auto z = store->create(kConfigMaps, "b", config_map(name));
    REQUIRE(z);
    expected.push_back(name);
    auto live = next_event(**w);
    CHECK(live.type == EventType::kAdded);
    CHECK(*live.object == *z);
  }
}

TEST_CASE("watch filters by namespace and selectors with kube's transitions", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  WatchOptions o(kConfigMaps, "ns");
  o.resource_version = std::to_string(store->current_resource_version());
  o.label_selector = *LabelSelector::parse("app=web");
  auto w = store->watch(o);
  REQUIRE(w);
  WatchOptions by_name(kConfigMaps);
  by_name.resource_version = o.resource_version;
  by_name.field_selector = *FieldSelector::parse("metadata.name=b");
  auto wn = store->watch(by_name);
  REQUIRE(wn);

  REQUIRE(store->create(kConfigMaps, "other", config_map("a", nullptr, {{"app", "web"}})));
  REQUIRE(store->create(kConfigMaps, "ns", config_map("b", nullptr, {{"app", "db"}})));
  auto c = store->create(kConfigMaps, "ns", config_map("c", nullptr, {{"app", "web"}}));
  // b starts matching (ADDED), c stops matching (DELETED, with its new state).
  auto b2 = store->update(cm_key("ns", "b"), config_map("b", nullptr, {{"app", "web"}}));
  auto c2 = store->update(cm_key("ns", "c"), config_map("c", nullptr, {{"app", "db"}}));
  auto b3 = store->update(cm_key("ns", "b"), config_map("b", {{"k", "v"}}, {{"app", "web"}}));
  REQUIRE((c && b2 && c2 && b3));

  auto e = next_event(**w);
  CHECK(e.type == EventType::kAdded);
  CHECK(*e.object == *c);
  e = next_event(**w);
  CHECK(e.type == EventType::kAdded);
  CHECK(*e.object == *b2);
  e = next_event(**w);
  CHECK(e.type == EventType::kDeleted);
  CHECK(*e.object == *c2);
  e = next_event(**w);
  CHECK(e.type == EventType::kModified);
  CHECK(*e.object == *b3);
  expect_quiet(**w);

  // The field-selector watch sees only b, in every namespace.
  CHECK(next_event(**wn).type == EventType::kAdded);
  CHECK(next_event(**wn).type == EventType::kModified);
  CHECK(next_event(**wn).type == EventType::kModified);
  expect_quiet(**wn);
}

TEST_CASE("bookmarks report progress past filtered events", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  WatchOptions o = watch_from(store->current_resource_version(), "quiet");
  o.allow_bookmarks = true;
  auto w = store->watch(o);
  REQUIRE(w);
  CHECK_FALSE((*w)->bookmark());  // nothing new yet... (progress == from)
  auto other = store->create(kConfigMaps, "busy", config_map("a"));
  REQUIRE(other);
  auto b = (*w)->bookmark();
  REQUIRE(b);
  CHECK(b->type == EventType::kBookmark);
  CHECK(b->resource_version == rv_of(*other));
  CHECK((*b->object)["metadata"]["resourceVersion"] == std::to_string(rv_of(*other)));
  CHECK_FALSE((*w)->bookmark());  // already reported

  WatchOptions plain = watch_from(store->current_resource_version());
  auto pw = store->watch(plain);
  REQUIRE(store->create(kConfigMaps, "busy", config_map("b")));
  CHECK_FALSE((*pw)->bookmark());  // not requested
}

TEST_CASE("a slow watcher is closed with 410 and never blocks writers", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path(), 10'000, /*queue=*/4);
  auto slow = store->watch(watch_from(store->current_resource_version()));
  auto fast = store->watch(watch_from(store->current_resource_version()));
  REQUIRE((slow && fast));
  std::atomic<int> notified{0};
  (*slow)->set_notify([&] { notified++; });
  std::set<std::int64_t> seen;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(store->create(kConfigMaps, "ns", config_map("cm" + std::to_string(i))));
    seen.insert(next_event(**fast).resource_version);  // the fast one keeps up
  }
  CHECK(seen.size() == 20);
  CHECK(notified > 0);
  auto r = (*slow)->next(kWait);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == StatusCode::kGone);
  CHECK(r.error().message.find("relist") != std::string::npos);
}

TEST_CASE("closing the store closes its watches", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = store->watch(watch_from(store->current_resource_version()));
  REQUIRE(w);
  std::thread waiter([&] {
    auto r = (*w)->next(std::chrono::seconds(30));
    CHECK_FALSE(r);
    if (!r) CHECK(r.error().code == StatusCode::kUnavailable);
  });
  store.reset();
  waiter.join();
}

TEST_CASE("watchers see each RV once, with the object committed under it", "[watch]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto w = store->watch(watch_from(store->current_resource_version()));
  REQUIRE(w);
  constexpr int kThreads = 4, kPerThread = 30;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::int64_t, json> acked;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string name = "t" + std::to_string(t);
        auto r = i == 0 ? store->create(kConfigMaps, "ns", config_map(name, {{"i", "0"}}))
                        : store->update(cm_key("ns", name),
                                        config_map(name, {{"i", std::to_string(i)}}));
        if (r) {
          std::lock_guard lock(mu);
          acked[rv_of(*r)] = *r;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(acked.size() == kThreads * kPerThread);
  std::int64_t last = 0;
  for (std::size_t i = 0; i < acked.size(); ++i) {
    auto e = next_event(**w);
    CHECK(e.resource_version > last);
    last = e.resource_version;
    REQUIRE(acked.count(e.resource_version));
    CHECK(*e.object == acked[e.resource_version]);
  }
  expect_quiet(**w);
}
