#include "apiserver/store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "store_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

TEST_CASE("create sets the system metadata and rejects duplicates", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const std::int64_t start = store->current_resource_version();
  CHECK(start >= kInitialResourceVersion);

  json in = config_map("a", {{"k", "v"}});
  in["metadata"]["resourceVersion"] = "5";  // ignored on create
  in["metadata"]["uid"] = "client-uid";     // overwritten
  auto a = store->create(kConfigMaps, "ns", in, {GenerationPolicy::kNone});
  REQUIRE(a);
  const json& md = (*a)["metadata"];
  CHECK(md["name"] == "a");
  CHECK(md["namespace"] == "ns");
  CHECK(rv_of(*a) == start + 1);
  CHECK(store->current_resource_version() == start + 1);
  CHECK(std::regex_match(md["uid"].get<std::string>(),
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                    "[0-9a-f]{12}")));
  CHECK(std::regex_match(md["creationTimestamp"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  CHECK_FALSE(md.contains("generation"));
  CHECK((*a)["data"]["k"] == "v");

  auto got = store->get(cm_key("ns", "a"));
  REQUIRE(got);
  CHECK(*got == *a);

  auto dup = store->create(kConfigMaps, "ns", config_map("a"));
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == StatusCode::kAlreadyExists);
  CHECK(dup.error().message == "configmaps \"a\" already exists");
  CHECK(store->current_resource_version() == start + 1);  // failed writes use no RV

  // Same name in another namespace, and a cluster-scoped object, are different keys.
  CHECK(store->create(kConfigMaps, "other", config_map("a")));
  auto cluster = store->create({"example.com", "widgets"}, "", config_map("a"));
  REQUIRE(cluster);
  CHECK_FALSE((*cluster)["metadata"].contains("namespace"));
  CHECK((*cluster)["metadata"]["generation"] == 1);

  auto missing = store->get({"example.com", "widgets", "", "zz"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == StatusCode::kNotFound);
  CHECK(missing.error().message == "widgets.example.com \"zz\" not found");

  json nameless = config_map("");
  auto invalid = store->create(kConfigMaps, "ns", nameless);
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().code == StatusCode::kInvalid);
  CHECK(invalid.error().message.find("name or generateName is required") != std::string::npos);
}

TEST_CASE("generateName appends five characters of kube's alphabet", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::set<std::string> names;
  for (int i = 0; i < 20; ++i) {
    json o = config_map("");
    o["metadata"]["generateName"] = "job-";
    auto c = store->create(kConfigMaps, "ns", o);
    REQUIRE(c);
    const std::string name = (*c)["metadata"]["name"];
    CHECK(std::regex_match(name, std::regex("job-[bcdfghjklmnpqrstvwxz2456789]{5}")));
    CHECK((*c)["metadata"]["generateName"] == "job-");
    names.insert(name);
    CHECK(store->get(cm_key("ns", name)));
  }
  CHECK(names.size() == 20);
}

TEST_CASE("update enforces optimistic concurrency and keeps identity", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto a = store->create(kConfigMaps, "ns", config_map("a", {{"k", "1"}}));
  REQUIRE(a);
  const std::int64_t rv1 = rv_of(*a);

  json next = *a;
  next["data"]["k"] = "2";
  next["metadata"]["uid"] = (*a)["metadata"]["uid"];
  next["metadata"]["creationTimestamp"] = "1999-01-01T00:00:00Z";  // immutable: kept
  next["metadata"]["generation"] = 40;                             // server-owned
  auto b = store->update(cm_key("ns", "a"), next);
  REQUIRE(b);
  CHECK(rv_of(*b) == rv1 + 1);
  CHECK((*b)["data"]["k"] == "2");
  CHECK((*b)["metadata"]["creationTimestamp"] == (*a)["metadata"]["creationTimestamp"]);
  CHECK((*b)["metadata"]["generation"] == 2);  // spec (data) changed

  // Stale resourceVersion -> Conflict with kube's message.
  auto stale = store->update(cm_key("ns", "a"), next);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == StatusCode::kConflict);
  CHECK(stale.error().http_code() == 409);
  CHECK(stale.error().message ==
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please "
        "apply your changes to the latest version and try again");

  // Without resourceVersion: unconditional.
  json blind = config_map("a", {{"k", "3"}});
  auto c = store->update(cm_key("ns", "a"), blind);
  REQUIRE(c);
  CHECK(rv_of(*c) == rv1 + 2);
  CHECK((*c)["metadata"]["uid"] == (*a)["metadata"]["uid"]);

  // A different uid is a failed precondition.
  json wrong_uid = blind;
  wrong_uid["metadata"]["uid"] = "00000000-0000-4000-8000-000000000000";
  auto u = store->update(cm_key("ns", "a"), wrong_uid);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == StatusCode::kConflict);
  CHECK(u.error().message.find("Precondition failed: UID in precondition") != std::string::npos);

  // Metadata-only and status changes do not bump generation (kSpec policy).
  json labelled = *c;
  labelled["metadata"]["labels"] = {{"x", "y"}};
  labelled["status"] = {{"ready", true}};
  auto d = store->update(cm_key("ns", "a"), labelled);
  REQUIRE(d);
  CHECK((*d)["metadata"]["generation"] == (*c)["metadata"]["generation"]);
  CHECK(rv_of(*d) == rv_of(*c) + 1);

  // An update that changes nothing writes nothing.
  auto same = store->update(cm_key("ns", "a"), *d);
  REQUIRE(same);
  CHECK(*same == *d);
  CHECK(store->current_resource_version() == rv_of(*d));

  auto nf = store->update(cm_key("ns", "nope"), blind);
  REQUIRE_FALSE(nf);
  CHECK(nf.error().code == StatusCode::kNotFound);
  CHECK(nf.error().message == "configmaps \"nope\" not found");
}

TEST_CASE("update_with is an atomic read-modify-write", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  REQUIRE(store->create(kConfigMaps, "ns", config_map("counter", {{"n", "0"}})));
  constexpr int kThreads = 8, kIncrements = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto r = store->update_with(cm_key("ns", "counter"), [](const json& cur) -> Result<json> {
          json next = cur;
          next["data"]["n"] = std::to_string(std::stoi(cur["data"]["n"].get<std::string>()) + 1);
          return next;
        });
        CHECK(r);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto got = store->get(cm_key("ns", "counter"));
  REQUIRE(got);
  CHECK((*got)["data"]["n"] == std::to_string(kThreads * kIncrements));

  auto aborted = store->update_with(cm_key("ns", "counter"), [](const json&) -> Result<json> {
    return error(StatusCode::kInvalid, "no");
  });
  REQUIRE_FALSE(aborted);
  CHECK(aborted.error().code == StatusCode::kInvalid);
  CHECK(rv_of(*store->get(cm_key("ns", "counter"))) == rv_of(*got));
}

TEST_CASE("remove honours preconditions and returns the last state", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto a = store->create(kConfigMaps, "ns", config_map("a", {{"k", "v"}}));
  REQUIRE(a);
  auto bad_uid = store->remove(cm_key("ns", "a"), {std::string("x"), std::nullopt});
  REQUIRE_FALSE(bad_uid);
  CHECK(bad_uid.error().code == StatusCode::kConflict);
  CHECK(bad_uid.error().message ==
        "Operation cannot be fulfilled on configmaps \"a\": Precondition failed: UID in "
        "precondition: x, UID in object meta: " +
            (*a)["metadata"]["uid"].get<std::string>());
  auto bad_rv = store->remove(cm_key("ns", "a"), {std::nullopt, std::string("1")});
  REQUIRE_FALSE(bad_rv);
  CHECK(bad_rv.error().message.find("Precondition failed: ResourceVersion in precondition: 1, "
                                    "ResourceVersion in object meta: " +
                                    std::to_string(rv_of(*a))) != std::string::npos);

  auto gone = store->remove(
      cm_key("ns", "a"), {(*a)["metadata"]["uid"].get<std::string>(), std::to_string(rv_of(*a))});
  REQUIRE(gone);
  CHECK(rv_of(*gone) == rv_of(*a) + 1);
  CHECK((*gone)["data"] == (*a)["data"]);
  CHECK(store->get(cm_key("ns", "a")).error().code == StatusCode::kNotFound);
  CHECK(store->remove(cm_key("ns", "a")).error().code == StatusCode::kNotFound);

  // Re-creating gives a new uid.
  auto again = store->create(kConfigMaps, "ns", config_map("a"));
  REQUIRE(again);
  CHECK((*again)["metadata"]["uid"] != (*a)["metadata"]["uid"]);
}

TEST_CASE("list filters by namespace and selectors, ordered by key", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  for (const char* ns : {"b", "a"}) {
    for (int i = 0; i < 4; ++i) {
      REQUIRE(store->create(
          kConfigMaps, ns,
          config_map("cm" + std::to_string(i), nullptr, {{"parity", i % 2 ? "odd" : "even"}})));
    }
  }
  REQUIRE(store->create({"", "secrets"}, "a", config_map("s")));
  REQUIRE(store->remove(cm_key("a", "cm3")));

  auto all = store->list(ListOptions(kConfigMaps));
  REQUIRE(all);
  CHECK(all->resource_version == store->current_resource_version());
  std::vector<std::string> keys;
  for (auto& o : all->items) {
    keys.push_back(o["metadata"]["namespace"].get<std::string>() + "/" +
                   o["metadata"]["name"].get<std::string>());
  }
  CHECK(keys ==
        std::vector<std::string>{"a/cm0", "a/cm1", "a/cm2", "b/cm0", "b/cm1", "b/cm2", "b/cm3"});
  CHECK(all->continue_token.empty());

  ListOptions in_a(kConfigMaps, "a");
  CHECK(store->list(in_a)->items.size() == 3);

  ListOptions odd(kConfigMaps);
  odd.label_selector = *LabelSelector::parse("parity=odd");
  CHECK(store->list(odd)->items.size() == 3);  // a/cm1, b/cm1, b/cm3

  ListOptions named(kConfigMaps);
  named.field_selector = *FieldSelector::parse("metadata.name=cm2,metadata.namespace!=a");
  auto n = store->list(named);
  REQUIRE(n->items.size() == 1);
  CHECK(n->items[0]["metadata"]["namespace"] == "b");
}

TEST_CASE("list pages read one snapshot while writers continue", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  for (int i = 0; i < 60; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "cm%03d", i);
    REQUIRE(store->create(kConfigMaps, "ns", config_map(name, {{"v", "0"}})));
  }
  // Between pages, another thread updates, deletes and creates objects of the same list.
  int round = 0;
  std::atomic<int> failures{0};
  auto write_between_pages = [&] {
    ++round;
    std::thread writer([&] {
      for (int i = round % 7; i < 60; i += 7) {
        char name[16];
        std::snprintf(name, sizeof name, "cm%03d", i);
        // (Some of these were deleted by an earlier round: NotFound is fine.)
        (void)store->update(cm_key("ns", name), config_map(name, {{"v", std::to_string(round)}}));
      }
      if (!store->remove(cm_key("ns", "cm0" + std::to_string(10 + round)))) failures++;
      if (!store->create(kConfigMaps, "ns", config_map("cm000-new" + std::to_string(round)))) {
        failures++;
      }
      if (!store->create(kConfigMaps, "ns", config_map("zz" + std::to_string(round)))) failures++;
    });
    writer.join();
  };

  ListOptions o(kConfigMaps, "ns");
  o.limit = 7;
  auto page = store->list(o);
  REQUIRE(page);
  const std::int64_t snapshot = page->resource_version;
  std::vector<json> items = page->items;
  int pages = 1;
  while (!page->continue_token.empty()) {
    write_between_pages();
    o.continue_token = page->continue_token;
    page = store->list(o);
    REQUIRE(page);
    CHECK(page->resource_version == snapshot);
    CHECK(page->items.size() <= 7);
    items.insert(items.end(), page->items.begin(), page->items.end());
    ++pages;
  }
  CHECK(failures == 0);
  CHECK(store->current_resource_version() > snapshot);
  REQUIRE(items.size() == 60);
  CHECK(pages == 9);
  for (int i = 0; i < 60; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "cm%03d", i);
    CHECK(items[i]["metadata"]["name"] == name);
    CHECK(rv_of(items[i]) <= snapshot);
    CHECK(items[i]["data"]["v"] == "0");
  }

  // A page size of exactly the remaining count gives no continue token.
  ListOptions exact(kConfigMaps, "nobody");
  exact.limit = 1;
  CHECK(store->list(exact)->continue_token.empty());
}

TEST_CASE("a read after a page that stopped early sees later writes", "[store]") {
  // Reader connections are reused with their prepared statements: a statement left mid-way
  // (a page ends before the last row) must not keep its snapshot for the next request.
  TempDir dir;
  auto store = open_store(dir.path());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store->create(kConfigMaps, "ns", config_map("cm" + std::to_string(i), {{"v", "0"}})));
  }
  ListOptions o(kConfigMaps, "ns");
  o.limit = 1;
  for (int round = 1; round <= 3; ++round) {
    auto page = store->list(o);
    REQUIRE(page);
    CHECK_FALSE(page->continue_token.empty());
    const std::string v = std::to_string(round);
    REQUIRE(store->update(cm_key("ns", "cm0"), config_map("cm0", {{"v", v}})));
    REQUIRE(store->create(kConfigMaps, "ns", config_map("new" + v)));
    CHECK((*store->get(cm_key("ns", "cm0")))["data"]["v"] == v);
    auto all = store->list(ListOptions(kConfigMaps, "ns"));
    REQUIRE(all);
    CHECK(all->items.size() == static_cast<std::size_t>(3 + round));
    CHECK(all->resource_version == store->current_resource_version());
  }
}

TEST_CASE("namespaces are read from memory that follows every commit and survives restarts",
          "[store]") {
  const ResourceRef namespaces{"", "namespaces"};
  auto ns_key = [](const std::string& name) { return ObjectKey{"", "namespaces", "", name}; };
  auto ns_object = [](const std::string& name, const std::string& phase) {
    return json{{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata", {{"name", name}}},
                {"status", {{"phase", phase}}}};
  };
  TempDir dir;
  {
    auto store = open_store(dir.path());
    CHECK(store->get(ns_key("a")).error().code == StatusCode::kNotFound);
    auto a = store->create(namespaces, "", ns_object("a", "Active"));
    REQUIRE(a);
    CHECK(*store->get(ns_key("a")) == *a);
    REQUIRE(store->create(namespaces, "", ns_object("b", "Active")));
    REQUIRE(store->create(namespaces, "", ns_object("gone", "Active")));
    auto b = store->update(ns_key("b"), ns_object("b", "Terminating"));
    REQUIRE(b);
    CHECK(*store->get(ns_key("b")) == *b);
    REQUIRE(store->remove(ns_key("gone")));
    CHECK(store->get(ns_key("gone")).error().code == StatusCode::kNotFound);
    // A failed write changes nothing.
    CHECK_FALSE(store->create(namespaces, "", ns_object("a", "Terminating")));
    CHECK(*store->get(ns_key("a")) == *a);
  }
  auto store = open_store(dir.path());
  CHECK((*store->get(ns_key("a")))["status"]["phase"] == "Active");
  CHECK((*store->get(ns_key("b")))["status"]["phase"] == "Terminating");
  CHECK(store->get(ns_key("gone")).error().code == StatusCode::kNotFound);
  auto listed = store->list(ListOptions(namespaces));
  REQUIRE(listed);
  CHECK(listed->items.size() == 2);
}

TEST_CASE("continue tokens: tampering is BadRequest, compacted snapshots are Gone", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(store->create(kConfigMaps, "ns", config_map("cm" + std::to_string(i))));
  }
  ListOptions o(kConfigMaps);
  o.limit = 2;
  auto first = store->list(o);
  REQUIRE(first);
  REQUIRE_FALSE(first->continue_token.empty());

  for (std::string bad : {std::string("!!!"), std::string("bm90IGpzb24"),  // "not json"
                          first->continue_token.substr(0, first->continue_token.size() - 3),
                          std::string("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ")}) {  // no rv
    INFO(bad);
    o.continue_token = bad;
    auto r = store->list(o);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == StatusCode::kBadRequest);
    CHECK(r.error().message.rfind("invalid continue token: ", 0) == 0);
  }

  // A token from the future is refused too.
  json future = {{"v", "meta.k8s.io/v1"}, {"rv", 1'000'000'000}, {"ns", ""}, {"name", ""}};
  std::string raw = future.dump();
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string enc;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) n |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) n |= static_cast<unsigned char>(raw[i + 2]);
    enc += kAlpha[(n >> 18) & 63];
    enc += kAlpha[(n >> 12) & 63];
    if (i + 1 < raw.size()) enc += kAlpha[(n >> 6) & 63];
    if (i + 2 < raw.size()) enc += kAlpha[n & 63];
  }
  o.continue_token = enc;
  CHECK(store->list(o).error().code == StatusCode::kBadRequest);

  // Still valid before compaction...
  o.continue_token = first->continue_token;
  REQUIRE(store->list(o));
  // ...but not once history up to a newer RV has been compacted away.
  REQUIRE(store->update(cm_key("ns", "cm4"), config_map("cm4", {{"x", "y"}})));
  REQUIRE(store->compact(store->current_resource_version()));
  auto expired = store->list(o);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().code == StatusCode::kGone);
  CHECK(expired.error().http_code() == 410);
  CHECK(expired.error().reason() == "Expired");
  CHECK(expired.error().message.rfind("The provided continue parameter is too old to display a "
                                      "consistent list result.",
                                      0) == 0);
  // Compaction keeps the current state.
  auto now = store->list(ListOptions(kConfigMaps));
  REQUIRE(now->items.size() == 5);
  CHECK(now->items[4]["data"]["x"] == "y");
}

TEST_CASE("concurrent writers share commits and all get distinct RVs", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const std::int64_t start = store->current_resource_version();
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::vector<std::int64_t>> rvs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store->create(kConfigMaps, "ns",
                               config_map("t" + std::to_string(t) + "-" + std::to_string(i)));
        REQUIRE(r);
        rvs[t].push_back(rv_of(*r));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> all;
  for (auto& v : rvs) {
    CHECK(std::is_sorted(v.begin(), v.end()));  // one thread's writes are ordered
    all.insert(v.begin(), v.end());
  }
  CHECK(all.size() == kThreads * kPerThread);
  CHECK(*all.begin() == start + 1);
  CHECK(*all.rbegin() == start + kThreads * kPerThread);
  CHECK(store->list(ListOptions(kConfigMaps))->items.size() == kThreads * kPerThread);
}

TEST_CASE("a committed write carries its stored JSON text, printed once", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path(), /*history=*/4);
  // Keys that sort before and after metadata, keys that need escaping, and decoys named
  // resourceVersion outside metadata (the text is filled in at metadata.resourceVersion only).
  json in = config_map("text", {{"resourceVersion", ""}, {"quote\"key", "a\\b"}, {"ü", "\u0001"}},
                       {{"resourceVersion", ""}});
  in["metadata"]["annotations"] = {{"x\ty", "tab"}, {"resourceVersion", ""}};
  in["metadata"]["resourceVersion"] = "999";  // ignored on create
  in["metadata"]["zzz"] = json::array({1, 2.5, nullptr, true});
  in["spec"] = {{"metadata", {{"resourceVersion", ""}}}};
  // Values the printer copies and values it leaves to nlohmann (escapes, UTF-8, numbers).
  in["spec"]["values"] =
      json::array({"plain/path", "é", "a\"b", "\x7f", json::array(),
                   json::object({{"k", "line\n"}, {"ü", json::array({"\u2028"})}}), -5,
                   18446744073709551615u, 1e300, 0.1, false, ""});
  in["\x7f"] = json::object();
  auto created = store->commit_create(kConfigMaps, "ns", in, {GenerationPolicy::kSpec});
  REQUIRE(created);
  CHECK(created->text == created->object->dump());
  CHECK(rv_of(*created->object) == store->current_resource_version());
  CHECK((*created->object)["data"]["resourceVersion"] == "");
  CHECK((*created->object)["spec"]["metadata"]["resourceVersion"] == "");
  auto raw = store->list([] {
    ListOptions o(kConfigMaps, "ns");
    o.raw = true;
    return o;
  }());
  REQUIRE(raw);
  REQUIRE(raw->raw_items.size() == 1);
  CHECK(raw->raw_items[0] == created->text);  // the bytes stored
  CHECK(*store->get(cm_key("ns", "text")) == *created->object);

  // A generated name is picked on the writer thread; the text follows it.
  json gen = config_map("");
  gen["metadata"]["generateName"] = "g-";
  auto generated = store->commit_create(kConfigMaps, "ns", gen);
  REQUIRE(generated);
  CHECK(generated->text == generated->object->dump());

  auto updated = store->commit_update(cm_key("ns", "text"), [](const json& cur) -> Result<json> {
    json next = cur;
    next["data"]["more"] = "x";
    return next;
  });
  REQUIRE(updated);
  CHECK(updated->text == updated->object->dump());
  CHECK(rv_of(*updated->object) == store->current_resource_version());

  // Text that cannot be printed (invalid UTF-8) fails the write before it reaches the writer;
  // nothing is written and the store goes on.
  const std::int64_t before = store->current_resource_version();
  auto bad = store->commit_create(kConfigMaps, "ns", config_map("bad", {{"k", "\xff"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == StatusCode::kInternal);
  CHECK(store->current_resource_version() == before);
  CHECK_FALSE(store->get(cm_key("ns", "bad")));

  // More writes than the history holds: the evicted events are freed by the callers.
  for (int i = 0; i < 20; ++i)
    REQUIRE(store->create(kConfigMaps, "ns", config_map("e" + std::to_string(i))));
  CHECK(store->oldest_watchable_resource_version() == store->current_resource_version() - 4);
}

TEST_CASE("writers racing for the same names: one wins each, the losers write nothing", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const std::int64_t start = store->current_resource_version();
  constexpr int kThreads = 8, kNames = 30;
  std::atomic<int> won{0}, lost{0}, other{0};  // counted here, checked after the join
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kNames; ++i) {
        auto r = store->commit_create(kConfigMaps, "ns", config_map("n" + std::to_string(i)));
        ++(r ? won : r.error().code == StatusCode::kAlreadyExists ? lost : other);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == kNames);
  CHECK(lost == (kThreads - 1) * kNames);
  CHECK(other == 0);
  // Failed writes in a shared commit used no RV and left no row.
  CHECK(store->current_resource_version() == start + kNames);
  auto all = store->list(ListOptions(kConfigMaps));
  REQUIRE(all);
  CHECK(all->items.size() == kNames);
  for (const json& item : all->items) CHECK(rv_of(item) > start);
}

TEST_CASE("a failed fsync fails its writes and every later one; a restart recovers", "[store]") {
  TempDir dir;
  std::atomic<bool> disk_fails{false};
  StoreOptions o;
  o.data_dir = dir.path();
  o.compaction_interval = std::chrono::seconds(0);
  o.sync_file = [&](int fd) {
    if (!disk_fails) return ::fdatasync(fd);
    errno = EIO;
    return -1;
  };
  auto opened = Store::open(o);
  REQUIRE(opened);
  auto store = std::move(*opened);
  REQUIRE(store->create(kConfigMaps, "ns", config_map("kept")));
  const std::int64_t durable = store->current_resource_version();

  disk_fails = true;
  auto lost = store->create(kConfigMaps, "ns", config_map("lost"));
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code == StatusCode::kInternal);
  CHECK(lost.error().message.find("fsync of the write-ahead log") != std::string::npos);
  // Readers never saw the write whose fsync failed, and no watcher was told about it.
  CHECK(store->current_resource_version() == durable);
  CHECK(store->get(cm_key("ns", "lost")).error().code == StatusCode::kNotFound);
  CHECK(store->list(ListOptions(kConfigMaps))->items.size() == 1);

  disk_fails = false;  // even a healthy disk now: the store's state is uncertain until restart
  auto after = store->create(kConfigMaps, "ns", config_map("after"));
  REQUIRE_FALSE(after);
  CHECK(after.error().message.find("refuses writes until the server is restarted") !=
        std::string::npos);
  CHECK(store->get(cm_key("ns", "kept")));

  store.reset();
  o.sync_file = nullptr;
  auto reopened = Store::open(o);
  REQUIRE(reopened);
  // What reached the file is recovered (the failed write's outcome was unknown, not undone).
  CHECK((*reopened)->get(cm_key("ns", "kept")));
  CHECK((*reopened)->current_resource_version() >= durable);
  REQUIRE((*reopened)->create(kConfigMaps, "ns", config_map("again")));
}

TEST_CASE("a data directory is opened by one store at a time", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  StoreOptions o;
  o.data_dir = dir.path();
  auto second = Store::open(o);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == StatusCode::kUnavailable);
}

TEST_CASE("the write-ahead log is copied back into the database and stays bounded", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  // 16 MiB of objects, four times SQLite's checkpoint threshold of 1000 pages (4 MiB).
  const std::string payload(64 * 1024, 'x');
  for (int i = 0; i < 256; ++i) {
    REQUIRE(
        store->create(kConfigMaps, "ns", config_map("big" + std::to_string(i), {{"v", payload}})));
  }
  std::filesystem::path db;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (f.path().filename() == "cairn.db") db = f.path();
  }
  REQUIRE_FALSE(db.empty());
  const auto wal = std::filesystem::path(db.string() + "-wal");
  // SQLite's automatic checkpoints copy the WAL back and let it be reused. They stop working
  // when the writer's connection loses its default WAL hook (sqlite3_wal_hook replaces it) or
  // a read snapshot stays open: the database would stay empty and the WAL hold all 16 MiB.
  CHECK(std::filesystem::file_size(db) > 8u * 1024 * 1024);
  CHECK(std::filesystem::file_size(wal) < 8u * 1024 * 1024);
}

TEST_CASE("restart keeps every acknowledged write and RVs continue upward", "[store]") {
  TempDir dir;
  std::int64_t last = 0;
  std::vector<json> written;
  std::int64_t before_restart = 0;
  {
    auto store = open_store(dir.path());
    for (int i = 0; i < 20; ++i) {
      auto r = store->create(kConfigMaps, "ns", config_map("cm" + std::to_string(i), {{"i", i}}));
      REQUIRE(r);
      written.push_back(*r);
    }
    before_restart = store->current_resource_version();
    auto u = store->update(cm_key("ns", "cm0"), config_map("cm0", {{"i", "updated"}}));
    REQUIRE(u);
    written[0] = *u;
    auto d = store->remove(cm_key("ns", "cm19"));
    REQUIRE(d);
    written.pop_back();
    last = rv_of(*d);
    CHECK(store->current_resource_version() == last);
    // Compact away the delete's tombstone: the counter must still not go back.
    REQUIRE(store->compact(last));
  }
  auto store = open_store(dir.path());
  CHECK(store->current_resource_version() == last);
  for (const auto& w : written) {
    auto got = store->get(cm_key("ns", w["metadata"]["name"]));
    REQUIRE(got);
    CHECK(*got == w);
  }
  CHECK(store->get(cm_key("ns", "cm19")).error().code == StatusCode::kNotFound);
  auto next = store->create(kConfigMaps, "ns", config_map("after"));
  REQUIRE(next);
  CHECK(rv_of(*next) == last + 1);

  // History rebuilt from the database reaches back to the compaction point, never to 1.
  CHECK(store->oldest_watchable_resource_version() == last);
  WatchOptions from_one(kConfigMaps);
  from_one.resource_version = "1";
  CHECK(store->watch(from_one).error().code == StatusCode::kGone);
  WatchOptions before(kConfigMaps);
  before.resource_version = std::to_string(before_restart);
  CHECK(store->watch(before).error().code == StatusCode::kGone);
  WatchOptions at_last(kConfigMaps);
  at_last.resource_version = std::to_string(last);
  auto w = store->watch(at_last);
  REQUIRE(w);
  auto ev = (*w)->next(std::chrono::seconds(5));
  REQUIRE(ev);
  REQUIRE(*ev);
  CHECK((*ev)->type == EventType::kAdded);
  CHECK((*ev)->resource_version == last + 1);
}

TEST_CASE("the key index is rebuilt on open: a lost, stale or torn index loses nothing",
          "[store]") {
  TempDir dir;
  const auto index = dir.path() / "cairn-index.db";
  const auto saved = dir.path() / "saved-index";
  std::map<std::string, json> want;  // namespace/name -> object
  auto put = [&](const json& o) {
    want[o["metadata"]["namespace"].get<std::string>() + "/" +
         o["metadata"]["name"].get<std::string>()] = o;
  };
  {
    auto store = open_store(dir.path());
    for (int i = 0; i < 30; ++i) {
      auto r = store->create(kConfigMaps, "ns" + std::to_string(i % 3),
                             config_map("cm" + std::to_string(i), {{"i", i}}));
      REQUIRE(r);
      put(*r);
    }
    // The index as it stands now, to put back later as a stale one.
    std::filesystem::create_directory(saved);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::copy_file(index.string() + suffix,
                                 (saved / ("cairn-index.db" + std::string(suffix))), ec);
    }
    for (int i = 0; i < 10; ++i) {
      auto u = store->update(cm_key("ns" + std::to_string(i % 3), "cm" + std::to_string(i)),
                             config_map("cm" + std::to_string(i), {{"i", "updated"}}));
      REQUIRE(u);
      put(*u);
    }
    REQUIRE(store->remove(cm_key("ns2", "cm29")));
    want.erase("ns2/cm29");
    REQUIRE(store->compact(store->current_resource_version()));
    for (int i = 30; i < 40; ++i) {
      auto r = store->create(kConfigMaps, "ns0", config_map("cm" + std::to_string(i)));
      REQUIRE(r);
      put(*r);
    }
  }
  auto check = [&](Store& store) {
    for (const auto& [key, obj] : want) {
      INFO(key);
      auto got = store.get(cm_key(obj["metadata"]["namespace"], obj["metadata"]["name"]));
      REQUIRE(got);
      CHECK(*got == obj);
    }
    CHECK(store.get(cm_key("ns2", "cm29")).error().code == StatusCode::kNotFound);
    // Pages of 7 over all namespaces: every object once, in key order.
    std::vector<json> listed;
    ListOptions o(kConfigMaps);
    o.limit = 7;
    do {
      auto page = store.list(o);
      REQUIRE(page);
      listed.insert(listed.end(), page->items.begin(), page->items.end());
      o.continue_token = page->continue_token;
    } while (!o.continue_token.empty());
    REQUIRE(listed.size() == want.size());
    std::size_t i = 0;
    for (const auto& entry : want) CHECK(listed[i++] == entry.second);
    // Existing names stay taken; new ones are free.
    CHECK(store.create(kConfigMaps, "ns1", config_map("cm1")).error().code ==
          StatusCode::kAlreadyExists);
  };
  SECTION("the index files are gone") {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(index.string() + suffix);
  }
  SECTION("the index is an older copy, from before the later writes") {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(index.string() + suffix);
      const auto from = saved / ("cairn-index.db" + std::string(suffix));
      if (std::filesystem::exists(from)) std::filesystem::copy_file(from, index.string() + suffix);
    }
  }
  SECTION("the index file is garbage") {
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(index.string() + suffix);
    std::ofstream(index, std::ios::binary | std::ios::trunc) << std::string(10000, '\x5a');
  }
  auto store = open_store(dir.path());
  check(*store);
  auto next = store->create(kConfigMaps, "ns1", config_map("new"));
  REQUIRE(next);
  CHECK(store->get(cm_key("ns1", "new")));
}

// Hidden (run with `apiserver_test "[.bench]"`): writes/s with 1 and 8 concurrent writers, to
// see the effect of group commit. Prints figures; asserts only that the writes succeeded.
TEST_CASE("group commit throughput", "[.bench]") {
  for (int threads : {1, 8, 64}) {
    TempDir dir;
    auto store = open_store(dir.path());
    const int per_thread = 2000 / threads + 1;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    std::atomic<int> ok{0};
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          if (store->create(kConfigMaps, "ns",
                            config_map("t" + std::to_string(t) + "-" + std::to_string(i))))
            ok++;
        }
      });
    }
    for (auto& p : pool) p.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN(threads << " writer thread(s): " << static_cast<int>(ok / secs) << " creates/s");
    CHECK(ok == threads * per_thread);
  }
}
