// Informers: the state machine, backoff, selectors and cache units, scripted list/watch sources
// for exact relist behaviour, and an in-process `cairn apiserver` (through a connection-dropping
// TCP proxy, across a server restart, with a tiny watch history) for the end-to-end guarantee
// that handlers see every change exactly once and in order.
#include "kube/informer.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "apiserver/server.h"
#include "kube/detail/informer_backoff.h"
#include "tests/kube/tcp_proxy.h"
#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};

using testing::eventually;

std::string rv_of(const json& obj) { return obj["metadata"].value("resourceVersion", ""); }
std::string uid_of(const json& obj) { return obj["metadata"].value("uid", ""); }

using testing::config_map;

// ------------------------------------------------------------------ API servers
// (tests/kube/test_apiserver.h)

using testing::TestApiServer;

InformerOptions fast_options(const std::string& ns, std::ostream& log) {
  InformerOptions o;
  o.gvk = kConfigMap;
  o.ns = ns;
  o.min_backoff = 20ms;
  o.max_backoff = 300ms;
  o.logger = Logger::to_stream(log, LogFormat::kText, LogLevel::kWarn);
  return o;
}

// A log stream for informer loggers that the test may read while the informer writes to it.
class LogCapture {
 public:
  std::ostream& stream() { return out_; }
  std::string text() {
    std::lock_guard lock(mu_);
    return buf_.str();
  }

 private:
  // Writes lock the same (recursive: xsputn may call overflow) mutex as text().
  class Buf : public std::stringbuf {
   public:
    explicit Buf(std::recursive_mutex& mu) : mu_(mu) {}
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      std::lock_guard lock(mu_);
      return std::stringbuf::xsputn(s, n);
    }
    int overflow(int c) override {
      std::lock_guard lock(mu_);
      return std::stringbuf::overflow(c);
    }

   private:
    std::recursive_mutex& mu_;
  };
  std::recursive_mutex mu_;
  Buf buf_{mu_};
  std::ostream out_{&buf_};
};

// ------------------------------------------------------------------ recording handlers

struct Seen {
  char type = 'A';  // A add, U update, D delete
  std::string key;
  std::string rv;
  std::string old_rv;  // updates
  std::string uid;
  bool same_pointer = false;  // updates: old and new are the same object (resync)
};

class Recorder {
 public:
  InformerEventHandler handler() {
    InformerEventHandler h;
    h.on_add = [this](const ObjectPtr& o) { record({'A', key(*o), rv_of(*o), "", uid_of(*o)}); };
    h.on_update = [this](const ObjectPtr& old_object, const ObjectPtr& o) {
      record({'U', key(*o), rv_of(*o), rv_of(*old_object), uid_of(*o), old_object == o});
    };
    h.on_delete = [this](const ObjectPtr& o) { record({'D', key(*o), rv_of(*o), "", uid_of(*o)}); };
    return h;
  }
  std::vector<Seen> all() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }
  std::size_t count_if(const std::function<bool(const Seen&)>& f) const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(seen_.begin(), seen_.end(), f));
  }
  // Per key: "A:<rv>", "U:<old rv>><new rv>", "D".
  std::map<std::string, std::vector<std::string>> changes() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const Seen& s : all()) {
      if (s.type == 'U' && s.same_pointer) continue;
      if (s.type == 'A') out[s.key].push_back("A:" + s.rv);
      if (s.type == 'U') out[s.key].push_back("U:" + s.old_rv + ">" + s.rv);
      if (s.type == 'D') out[s.key].push_back("D");
    }
    return out;
  }

 private:
  static std::string key(const json& o) { return ObjectKey::of(o).str(); }
  void record(Seen s) {
    std::lock_guard lock(mu_);
    seen_.push_back(std::move(s));
  }
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

// The changes the writer made, in the form Recorder::changes() reports them.
class Expected {
 public:
  void created(const json& o) {
    const std::string k = ObjectKey::of(o).str();
    changes_[k].push_back("A:" + rv_of(o));
    last_rv_[k] = rv_of(o);
  }
  void updated(const json& o) {
    const std::string k = ObjectKey::of(o).str();
    changes_[k].push_back("U:" + last_rv_[k] + ">" + rv_of(o));
    last_rv_[k] = rv_of(o);
  }
  void deleted(const std::string& key) {
    changes_[key].push_back("D");
    last_rv_.erase(key);
  }
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& [k, v] : changes_) n += v.size();
    return n;
  }
  const std::map<std::string, std::vector<std::string>>& changes() const { return changes_; }

 private:
  std::map<std::string, std::vector<std::string>> changes_;
  std::map<std::string, std::string> last_rv_;
};

// Makes `ops` random creates / updates / deletes of `names` in `ns`, recording them.
void random_changes(Client& c, const std::string& ns, const std::vector<std::string>& names,
                    int ops, std::mt19937& rng, Expected& expected,
                    std::map<std::string, bool>& exists) {
  static int serial = 0;  // every update writes a new value, so that it is a real change
  for (int op = 0; op < ops; ++op) {
    const int i = ++serial;
    const std::string& name = names[rng() % names.size()];
    const std::string key = ns + "/" + name;
    if (!exists[key]) {
      auto created = c.create(config_map(ns, name, {{"n", std::to_string(i)}}));
      REQUIRE(created);
      expected.created(*created);
      exists[key] = true;
    } else if (rng() % 4 != 0) {
      auto updated = c.patch(kConfigMap, ns, name, PatchType::kMerge,
                             json{{"data", {{"n", std::to_string(i)}}}});
      REQUIRE(updated);
      expected.updated(*updated);
    } else {
      auto removed = c.remove(kConfigMap, ns, name);
      REQUIRE(removed);
      expected.deleted(key);
      exists[key] = false;
    }
  }
}

// rv strings of this server are increasing integers: the order in which handlers saw adds and
// updates after the first `skip` events (the initial list, in key order) must follow it.
bool increasing_rvs(const std::vector<Seen>& seen, std::size_t skip) {
  long long last = 0;
  for (std::size_t i = skip; i < seen.size(); ++i) {
    const Seen& s = seen[i];
    if (s.type == 'D' || s.same_pointer) continue;
    const long long rv = std::stoll(s.rv);
    if (rv <= last) return false;
    last = rv;
  }
  return true;
}

// The cache holds exactly what a fresh list returns (same keys and resourceVersions).
bool cache_matches_server(const Informer& informer, Client& c, const std::string& ns) {
  auto fresh = c.list(kConfigMap, ns);
  if (!fresh) return false;
  std::map<std::string, std::string> want;
  for (const auto& item : (*fresh)["items"]) want[ObjectKey::of(item).str()] = rv_of(item);
  std::map<std::string, std::string> have;
  for (const auto& o : informer.cache().list(ns)) have[ObjectKey::of(*o).str()] = rv_of(*o);
  return want == have;
}

// ------------------------------------------------------------------ scripted source

// A LineStream fed by the test: lines, then an end or an error; blocks until something is
// there, honours cancel().
class ScriptedLines {
 public:
  void line(const json& event) { push(std::optional<std::string>(event.dump())); }
  void end() { push(std::optional<std::string>()); }
  void fail(Error e) { push(tl::unexpected(std::move(e))); }

 private:
  friend class ScriptedLineStream;
  void push(Result<std::optional<std::string>> item) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result<std::optional<std::string>>> items_;
  bool cancelled_ = false;
};

class ScriptedLineStream final : public LineStream {
 public:
  explicit ScriptedLineStream(std::shared_ptr<ScriptedLines> s) : s_(std::move(s)) {}
  Result<std::optional<std::string>> next_line(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(s_->mu_);
    if (!s_->cv_.wait_for(lock, timeout, [&] { return s_->cancelled_ || !s_->items_.empty(); })) {
      return tl::unexpected(make_error(ErrorKind::kTimeout, "scripted stream timed out"));
    }
    if (s_->cancelled_) return tl::unexpected(make_error(ErrorKind::kCancelled, "cancelled"));
    auto item = std::move(s_->items_.front());
    s_->items_.pop_front();
    return item;
  }
  void cancel() override {
    std::lock_guard lock(s_->mu_);
    s_->cancelled_ = true;
    s_->cv_.notify_all();
  }

 private:
  std::shared_ptr<ScriptedLines> s_;
};

// Lists from `pages` (each a function so that a test can change what the next list returns)
// and watches from `watches` in turn; a watch beyond the script blocks until cancelled.
class ScriptedSource final : public ListerWatcher {
 public:
  struct Shared {
    std::mutex mu;
    std::function<Result<json>(const ListOptions&)> list;
    std::deque<std::shared_ptr<ScriptedLines>> watches;
    std::vector<ListOptions> list_calls;
    std::vector<WatchOptions> watch_calls;
  };
  explicit ScriptedSource(std::shared_ptr<Shared> shared) : s_(std::move(shared)) {}

  Result<json> list(const ListOptions& options) override {
    std::function<Result<json>(const ListOptions&)> f;
    {
      std::lock_guard lock(s_->mu);
      s_->list_calls.push_back(options);
      f = s_->list;
    }
    return f(options);
  }
  Result<std::unique_ptr<WatchStream>> watch(const WatchOptions& options) override {
    std::shared_ptr<ScriptedLines> lines;
    {
      std::lock_guard lock(s_->mu);
      s_->watch_calls.push_back(options);
      if (!s_->watches.empty()) {
        lines = s_->watches.front();
        s_->watches.pop_front();
      }
    }
    if (!lines) lines = std::make_shared<ScriptedLines>();
    return std::make_unique<WatchStream>(std::make_unique<ScriptedLineStream>(lines), 60s);
  }

 private:
  std::shared_ptr<Shared> s_;
};

json cm(const std::string& name, const std::string& rv, const std::string& uid,
        json labels = json::object()) {
  json o = config_map("ns", name, json::object(), std::move(labels));
  o["metadata"]["resourceVersion"] = rv;
  o["metadata"]["uid"] = uid;
  return o;
}

json list_of(std::vector<json> items, const std::string& rv, const std::string& cont = "") {
  json l = {{"kind", "ConfigMapList"},
            {"apiVersion", "v1"},
            {"metadata", {{"resourceVersion", rv}}},
            {"items", json::array()}};
  if (!cont.empty()) l["metadata"]["continue"] = cont;
  for (auto& i : items) {
    i.erase("kind");  // built-in list items may omit kind/apiVersion
    i.erase("apiVersion");
    l["items"].push_back(std::move(i));
  }
  return l;
}

json event(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}};
}

json gone_event() {
  return event("ERROR", json{{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"status", "Failure"},
                             {"message", "too old resource version: 1 (2)"},
                             {"reason", "Expired"},
                             {"code", 410}});
}

Error api_error(int code, const std::string& reason) {
  Error e;
  e.kind = ErrorKind::kApi;
  e.code = code;
  e.reason = reason;
  e.message = reason;
  return e;
}

// ================================================================== unit tests

TEST_CASE("informer state transitions follow the table", "[informer]") {
  using S = InformerState;
  using I = InformerInput;
  const std::vector<S> states = {S::kEmpty, S::kListing, S::kWatching, S::kBackoff, S::kStopped};
  const std::vector<I> inputs = {I::kStart,      I::kListed,      I::kListFailed,
                                 I::kWatchEnded, I::kWatchFailed, I::kGone,
                                 I::kRetryWatch, I::kRetryList,   I::kStop};
  // Every allowed transition; everything else must be rejected.
  const std::map<std::pair<S, I>, S> allowed = {
      {{S::kEmpty, I::kStart}, S::kListing},
      {{S::kEmpty, I::kStop}, S::kStopped},
      {{S::kListing, I::kListed}, S::kWatching},
      {{S::kListing, I::kListFailed}, S::kBackoff},
      {{S::kListing, I::kStop}, S::kStopped},
      {{S::kWatching, I::kWatchEnded}, S::kWatching},
      {{S::kWatching, I::kWatchFailed}, S::kBackoff},
      {{S::kWatching, I::kGone}, S::kListing},
      {{S::kWatching, I::kStop}, S::kStopped},
      {{S::kBackoff, I::kRetryWatch}, S::kWatching},
      {{S::kBackoff, I::kRetryList}, S::kListing},
      {{S::kBackoff, I::kStop}, S::kStopped},
  };
  int checked = 0;
  for (S from : states) {
    for (I input : inputs) {
      INFO(to_string(from) << " + " << to_string(input));
      auto it = allowed.find({from, input});
      auto to = informer_transition(from, input);
      if (it == allowed.end()) {
        CHECK_FALSE(to.has_value());
      } else {
        REQUIRE(to.has_value());
        CHECK(*to == it->second);
      }
      ++checked;
    }
  }
  CHECK(checked == 45);
}

TEST_CASE("backoff doubles per failure up to the cap, with jitter, and resets", "[informer]") {
  detail::Backoff b(100ms, 1000ms, 42);
  const std::vector<long> ceilings = {100, 200, 400, 800, 1000, 1000};
  std::set<long> distinct;
  for (long ceiling : ceilings) {
    CHECK(b.ceiling().count() == ceiling);
    const auto d = b.next();
    CHECK(d.count() >= ceiling / 2);
    CHECK(d.count() <= ceiling);
    distinct.insert(d.count());
  }
  CHECK(distinct.size() > 2);  // jittered, not a fixed ladder
  CHECK(b.failures() == 6);
  b.reset();
  CHECK(b.ceiling().count() == 100);
  CHECK(b.next().count() <= 100);
  // Same seed, same delays: deterministic for tests.
  detail::Backoff x(10ms, 80ms, 7), y(10ms, 80ms, 7);
  for (int i = 0; i < 5; ++i) CHECK(x.next() == y.next());
}

TEST_CASE("label selectors parse kube syntax and match labels", "[informer]") {
  const json labels = {{"app", "web"}, {"tier", "front"}, {"example.com/team", "a"}};
  auto matches = [&](const std::string& text) {
    auto s = LabelSelector::parse(text);
    REQUIRE(s);
    return s->matches(labels);
  };
  CHECK(matches(""));
  CHECK(matches("app=web"));
  CHECK(matches("app == web"));
  CHECK_FALSE(matches("app=db"));
  CHECK(matches("app!=db"));
  CHECK(matches("missing!=x"));
  CHECK(matches("tier in (front, back)"));
  CHECK_FALSE(matches("tier in (back)"));
  CHECK(matches("tier notin (back)"));
  CHECK(matches("missing notin (x)"));
  CHECK(matches("app"));
  CHECK_FALSE(matches("missing"));
  CHECK(matches("!missing"));
  CHECK_FALSE(matches("!app"));
  CHECK(matches("example.com/team=a,app=web, tier in (front)"));
  CHECK_FALSE(matches("app=web,tier=back"));
  CHECK_FALSE(matches("app="));
  auto empty_value = LabelSelector::parse("app=");
  REQUIRE(empty_value);
  CHECK(empty_value->matches(json{{"app", ""}}));
  CHECK(LabelSelector::parse("!app")->matches(json(nullptr)));

  for (const std::string bad : {"app in (", "a=b=c", "=x", "app notin x", ",", "a,", "!",
                                "Bad Key=x", "a in (b c)", "a=(b)", "app=in valid"}) {
    INFO(bad);
    auto s = LabelSelector::parse(bad);
    REQUIRE_FALSE(s);
    CHECK(s.error().kind == ErrorKind::kConfig);
    CHECK(s.error().message.find("unable to parse label selector") != std::string::npos);
  }
  auto found = LabelSelector::parse("a in (");
  REQUIRE_FALSE(found);
  CHECK(found.error().message.find("found end of string, expected: ") != std::string::npos);
}

TEST_CASE("object keys format and parse namespace/name", "[informer]") {
  CHECK(ObjectKey{"ns", "a"}.str() == "ns/a");
  CHECK(ObjectKey{"", "node-1"}.str() == "node-1");
  CHECK(ObjectKey::parse("ns/a") == ObjectKey{"ns", "a"});
  CHECK(ObjectKey::parse("node-1") == ObjectKey{"", "node-1"});
  CHECK(ObjectKey::of(json{{"metadata", {{"namespace", "x"}, {"name", "y"}}}}) ==
        ObjectKey{"x", "y"});
  CHECK(ObjectKey::of(json{{"metadata", {{"name", "y"}}}}) == ObjectKey{"", "y"});
  CHECK(ObjectKey{"a", "z"} < ObjectKey{"b", "a"});
}

// ================================================================== scripted sources

TEST_CASE("a relist diffs against the cache: add, update only on rv change, delete, uid change",
          "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  std::atomic<int> lists{0};
  // The first list sees the old world, every later one the new world.
  shared->list = [&lists](const ListOptions&) -> Result<json> {
    if (lists.fetch_add(1) == 0) {
      return list_of({cm("keep", "10", "u-keep"), cm("change", "11", "u-change"),
                      cm("gone", "12", "u-gone"), cm("recreate", "13", "u-old")},
                     "20");
    }
    return list_of({cm("keep", "10", "u-keep"), cm("change", "30", "u-change"),
                    cm("new", "31", "u-new"), cm("recreate", "32", "u-new-incarnation")},
                   "40");
  };
  auto first = std::make_shared<ScriptedLines>();
  shared->watches.push_back(first);
  LogCapture log;
  Informer informer(std::make_unique<ScriptedSource>(shared), fast_options("ns", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  CHECK(rec.count() == 4);
  // Items without kind/apiVersion get them from the informer's kind.
  auto keep = informer.cache().get({"ns", "keep"});
  REQUIRE(keep);
  CHECK((*keep)["kind"] == "ConfigMap");
  CHECK((*keep)["apiVersion"] == "v1");

  // The watch sees one change, then 410: the relist finds a different world.
  first->line(event("MODIFIED", cm("change", "21", "u-change")));
  first->line(gone_event());
  REQUIRE(eventually([&] { return informer.stats().lists == 2 && rec.count() >= 10; }));
  std::this_thread::sleep_for(50ms);
  std::vector<std::string> got;
  for (const Seen& s : rec.all()) got.push_back(std::string(1, s.type) + " " + s.key + " " + s.rv);
  const std::vector<std::string> want = {
      "A ns/change 11", "A ns/gone 12",   "A ns/keep 10", "A ns/recreate 13", "U ns/change 21",
      "D ns/gone 12",   "U ns/change 30", "A ns/new 31",  "D ns/recreate 13", "A ns/recreate 32"};
  CHECK(got == want);
  CHECK(informer.stats().relists_after_gone == 1);
  CHECK(informer.stats().events == 1);
  CHECK(informer.cache().size() == 4);
  CHECK_FALSE(informer.cache().get({"ns", "gone"}));
  CHECK(uid_of(*informer.cache().get({"ns", "recreate"})) == "u-new-incarnation");
  // Unchanged objects keep their cached instance.
  CHECK(informer.cache().get({"ns", "keep"}) == keep);
  std::lock_guard lock(shared->mu);
  // The watch after a list starts from the list's resourceVersion, with bookmarks and a
  // timeout in [min, max].
  REQUIRE(shared->watch_calls.size() >= 2);
  CHECK(shared->watch_calls[0].resource_version == "20");
  CHECK(shared->watch_calls[0].allow_bookmarks);
  REQUIRE(shared->watch_calls[0].timeout_seconds);
  CHECK(*shared->watch_calls[0].timeout_seconds >= 300);
  CHECK(*shared->watch_calls[0].timeout_seconds <= 600);
  CHECK(shared->watch_calls.back().resource_version == "40");
  CHECK(shared->list_calls[0].limit == 500);
}

TEST_CASE("watch events: duplicates are dropped, bookmarks only advance the rv, re-watch resumes",
          "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  shared->list = [](const ListOptions&) -> Result<json> {
    return list_of({cm("a", "10", "u-a")}, "10");
  };
  auto w1 = std::make_shared<ScriptedLines>();
  auto w2 = std::make_shared<ScriptedLines>();
  shared->watches = {w1, w2};
  LogCapture log;
  Informer informer(std::make_unique<ScriptedSource>(shared), fast_options("ns", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  w1->line(event("MODIFIED", cm("a", "10", "u-a")));  // same rv: no event
  w1->line(event("MODIFIED", cm("a", "11", "u-a")));
  w1->line(event("BOOKMARK", json{{"kind", "ConfigMap"},
                                  {"apiVersion", "v1"},
                                  {"metadata", {{"resourceVersion", "15"}}}}));
  w1->end();  // a clean end after events: re-watch at once from the bookmark's rv
  w2->line(event("ADDED", cm("b", "16", "u-b")));
  w2->line(event("DELETED", cm("a", "17", "u-a")));
  w2->line(event("DELETED", cm("zzz", "18", "u-z")));  // unknown: nothing to report
  REQUIRE(eventually([&] { return rec.count() >= 4; }));
  REQUIRE(eventually([&] { return informer.stats().events == 5; }));
  auto changes = rec.changes();
  CHECK(changes["ns/a"] == std::vector<std::string>{"A:10", "U:10>11", "D"});
  CHECK(changes["ns/b"] == std::vector<std::string>{"A:16"});
  CHECK(rec.count() == 4);
  // The delete handler got the final state from the DELETED event.
  CHECK(rec.all()[3].type == 'D');
  CHECK(rec.all()[3].rv == "17");
  std::lock_guard lock(shared->mu);
  REQUIRE(shared->watch_calls.size() >= 2);
  CHECK(shared->watch_calls[1].resource_version == "15");
  CHECK(shared->list_calls.size() == 1);
}

TEST_CASE("list errors back off and retry; an expired continue token restarts the list",
          "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  std::atomic<int> calls{0};
  shared->list = [&calls](const ListOptions& o) -> Result<json> {
    const int n = calls.fetch_add(1);
    if (n == 0) return tl::unexpected(api_error(500, "InternalError"));
    if (o.continue_token.empty()) return list_of({cm("a", "10", "u-a")}, "30", "page2");
    if (n == 2) return tl::unexpected(api_error(410, "Expired"));  // first continue: expired
    return list_of({cm("b", "11", "u-b")}, "30");
  };
  LogCapture log;
  InformerOptions o = fast_options("ns", log.stream());
  o.page_size = 1;
  Informer informer(std::make_unique<ScriptedSource>(shared), o);
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  CHECK(informer.cache().size() == 2);
  CHECK(informer.stats().lists == 1);
  std::lock_guard lock(shared->mu);
  // failed, page 1, expired page 2, page 1 again, page 2.
  REQUIRE(shared->list_calls.size() == 5);
  CHECK(shared->list_calls[1].limit == 1);
  CHECK(shared->list_calls[2].continue_token == "page2");
  CHECK(shared->list_calls[3].continue_token.empty());
  CHECK(log.text().find("list failed") != std::string::npos);
}

TEST_CASE("a watch that cannot stay open is retried with backoff, not in a hot loop",
          "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  shared->list = [](const ListOptions&) -> Result<json> { return list_of({}, "10"); };
  for (int i = 0; i < 6; ++i) {
    auto w = std::make_shared<ScriptedLines>();
    w->fail(make_error(ErrorKind::kTransport, "connection reset"));
    shared->watches.push_back(w);
  }
  LogCapture log;
  InformerOptions o = fast_options("ns", log.stream());
  o.min_backoff = 40ms;
  o.max_backoff = 80ms;
  Informer informer(std::make_unique<ScriptedSource>(shared), o);
  const auto start = std::chrono::steady_clock::now();
  informer.start();
  REQUIRE(eventually([&] { return informer.stats().watches >= 7; }));
  // Six immediate failures, each followed by a wait of at least min_backoff / 2.
  CHECK(std::chrono::steady_clock::now() - start >= 6 * 20ms);
  CHECK(informer.stats().lists == 1);
  std::lock_guard lock(shared->mu);
  for (const auto& call : shared->watch_calls) CHECK(call.resource_version == "10");
}

TEST_CASE("handlers: exceptions are caught and logged, late handlers get the cache replayed",
          "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  shared->list = [](const ListOptions&) -> Result<json> {
    return list_of({cm("a", "10", "u-a"), cm("b", "11", "u-b")}, "11");
  };
  auto w = std::make_shared<ScriptedLines>();
  shared->watches.push_back(w);
  LogCapture log;
  Informer informer(std::make_unique<ScriptedSource>(shared), fast_options("ns", log.stream()));
  InformerEventHandler thrower;
  thrower.on_add = [](const ObjectPtr&) { throw std::runtime_error("boom"); };
  informer.add_handler(thrower);
  Recorder first;
  informer.add_handler(first.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  CHECK(first.count() == 2);  // the thrower did not stop the others
  CHECK(log.text().find("event handler failed") != std::string::npos);
  CHECK(log.text().find("boom") != std::string::npos);

  Recorder late;
  informer.add_handler(late.handler());
  w->line(event("ADDED", cm("c", "12", "u-c")));
  REQUIRE(eventually([&] { return late.count() == 3 && first.count() == 3; }));
  auto seen = late.all();
  CHECK(seen[0].key == "ns/a");
  CHECK(seen[1].key == "ns/b");
  CHECK(seen[2].key == "ns/c");
  for (const Seen& s : seen) CHECK(s.type == 'A');
}

TEST_CASE("stop() cancels a scripted watch and is idempotent", "[informer]") {
  auto shared = std::make_shared<ScriptedSource::Shared>();
  shared->list = [](const ListOptions&) -> Result<json> { return list_of({}, "10"); };
  LogCapture log;
  Informer informer(std::make_unique<ScriptedSource>(shared), fast_options("ns", log.stream()));
  CHECK(informer.state() == InformerState::kEmpty);
  informer.start();
  REQUIRE(eventually([&] { return informer.stats().watches == 1; }));
  CHECK(informer.state() == InformerState::kWatching);
  informer.stop();
  CHECK(informer.state() == InformerState::kStopped);
  informer.stop();
  CHECK(informer.state() == InformerState::kStopped);
  CHECK(informer.has_synced());

  Informer never(std::make_unique<ScriptedSource>(shared), fast_options("ns", log.stream()));
  never.stop();
  CHECK(never.state() == InformerState::kStopped);
  CHECK_FALSE(never.wait_for_sync(10ms));
}

// ================================================================== against an API server

TEST_CASE("the cache lists by namespace and label selector and serves indexes", "[informer]") {
  auto c = testing::test_client(testing::shared_test_apiserver().config);
  testing::create_test_namespace(*c, "idx-a");
  testing::create_test_namespace(*c, "idx-b");
  auto web1 = c->create(
      config_map("idx-a", "web1", {{"size", "s"}}, {{"suite", "cache"}, {"tier", "web"}}));
  REQUIRE(web1);
  const std::string owner_uid = uid_of(*web1);
  json owned = config_map("idx-a", "owned", json::object(), {{"suite", "cache"}, {"tier", "db"}});
  owned["metadata"]["ownerReferences"] = json::array(
      {{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "web1"}, {"uid", owner_uid}}});
  REQUIRE(c->create(owned));
  REQUIRE(c->create(
      config_map("idx-b", "web2", {{"size", "l"}}, {{"suite", "cache"}, {"tier", "web"}})));
  REQUIRE(c->create(config_map("idx-b", "other", json::object(), {{"suite", "other"}})));

  LogCapture log;
  InformerOptions o = fast_options("", log.stream());
  o.label_selector = "suite=cache";
  o.page_size = 2;
  Informer informer(*c, o);
  informer.add_index("size", [](const json& obj) {
    std::vector<std::string> out;
    if (obj.contains("data") && obj["data"].contains("size")) out.push_back(obj["data"]["size"]);
    return out;
  });
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  const Cache& cache = informer.cache();
  CHECK(cache.size() == 3);
  auto names = [](const std::vector<ObjectPtr>& objects) {
    std::vector<std::string> out;
    for (const auto& obj : objects) out.push_back(ObjectKey::of(*obj).str());
    return out;
  };
  CHECK(names(cache.list()) == std::vector<std::string>{"idx-a/owned", "idx-a/web1", "idx-b/web2"});
  CHECK(names(cache.list("idx-b")) == std::vector<std::string>{"idx-b/web2"});
  auto web = cache.list("", "tier in (web), suite");
  REQUIRE(web);
  CHECK(names(*web) == std::vector<std::string>{"idx-a/web1", "idx-b/web2"});
  auto not_web = cache.list("idx-a", "tier!=web");
  REQUIRE(not_web);
  CHECK(names(*not_web) == std::vector<std::string>{"idx-a/owned"});
  auto bad = cache.list("", "tier in (");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::kConfig);
  CHECK(names(cache.by_index(kIndexNamespace, "idx-a")) ==
        std::vector<std::string>{"idx-a/owned", "idx-a/web1"});
  CHECK(names(cache.by_index(kIndexOwnerUid, owner_uid)) ==
        std::vector<std::string>{"idx-a/owned"});
  CHECK(names(cache.by_index(kIndexLabel, "tier=web")) ==
        std::vector<std::string>{"idx-a/web1", "idx-b/web2"});
  CHECK(names(cache.by_index("size", "l")) == std::vector<std::string>{"idx-b/web2"});
  CHECK(cache.by_index("no-such-index", "x").empty());
  CHECK(cache.keys_by_index(kIndexLabel, "tier=db") == std::vector<ObjectKey>{{"idx-a", "owned"}});
  auto got = cache.get({"idx-a", "web1"});
  REQUIRE(got);
  CHECK((*got)["data"]["size"] == "s");
  CHECK_FALSE(cache.get({"idx-b", "other"}));

  // Changes move index entries; deletes remove them.
  REQUIRE(c->patch(kConfigMap, "idx-a", "web1", PatchType::kMerge,
                   json{{"metadata", {{"labels", {{"tier", "db"}}}}}, {"data", {{"size", "l"}}}}));
  REQUIRE(c->remove(kConfigMap, "idx-b", "web2"));
  REQUIRE(eventually(
      [&] { return cache.size() == 2 && cache.by_index(kIndexLabel, "tier=web").empty(); }));
  REQUIRE(eventually([&] { return cache.by_index(kIndexLabel, "tier=db").size() == 2; }));
  CHECK(names(cache.by_index("size", "l")) == std::vector<std::string>{"idx-a/web1"});
  CHECK(cache.by_index("size", "s").empty());
  CHECK(cache.by_index(kIndexNamespace, "idx-b").empty());
  CHECK(informer.stats().lists == 1);
}

TEST_CASE("managedFields are dropped by default and kept without a transform", "[informer]") {
  auto c = testing::test_client(testing::shared_test_apiserver().config);
  testing::create_test_namespace(*c, "managed");
  auto created = c->create(config_map("managed", "m", {{"k", "v"}}));
  REQUIRE(created);
  REQUIRE((*created)["metadata"].contains("managedFields"));
  LogCapture log;
  Informer stripped(*c, fast_options("managed", log.stream()));
  InformerOptions o = fast_options("managed", log.stream());
  o.transform = nullptr;
  Informer verbatim(*c, o);
  stripped.start();
  verbatim.start();
  REQUIRE(stripped.wait_for_sync(20s));
  REQUIRE(verbatim.wait_for_sync(20s));
  auto a = stripped.cache().get({"managed", "m"});
  auto b = verbatim.cache().get({"managed", "m"});
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE((*a)["metadata"].contains("managedFields"));
  CHECK((*a)["data"]["k"] == "v");
  CHECK(*b == *created);
  // Watch events go through the same transform.
  auto updated =
      c->patch(kConfigMap, "managed", "m", PatchType::kMerge, json{{"data", {{"k", "w"}}}});
  REQUIRE(updated);
  REQUIRE(eventually([&] {
    return rv_of(*stripped.cache().get({"managed", "m"})) == rv_of(*updated);
  }));
  REQUIRE(eventually([&] {
    return rv_of(*verbatim.cache().get({"managed", "m"})) == rv_of(*updated);
  }));
  CHECK_FALSE((*stripped.cache().get({"managed", "m"}))["metadata"].contains("managedFields"));
  CHECK(*verbatim.cache().get({"managed", "m"}) == *updated);
}

TEST_CASE("sees every change exactly once and in order through forced watch disconnects",
          "[informer]") {
  TestApiServer& server = testing::shared_test_apiserver();
  auto c = testing::test_client(server.config);
  testing::create_test_namespace(*c, "flaky");
  testing::TcpProxy proxy(server.server->port());
  RestConfig via_proxy = server.config;
  via_proxy.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto informer_client = testing::test_client(via_proxy);

  std::mt19937 rng(1234);
  Expected expected;
  std::map<std::string, bool> exists;
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f"};
  random_changes(*c, "flaky", names, 20, rng, expected, exists);  // some exist before the list

  LogCapture log;
  Informer informer(*informer_client, fast_options("flaky", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  // The list reports the current state as adds: the expected history restarts from there.
  Expected after_sync;
  for (const auto& o : informer.cache().list("flaky")) after_sync.created(*o);
  const std::size_t listed = after_sync.count();

  // Connections break at random moments while changes are made, and at the end of every round,
  // after which the informer must have reconnected before the next round starts.
  std::atomic<bool> done{false};
  std::atomic<bool> writing{false};
  std::thread dropper([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(30ms);
      if (writing.load()) proxy.drop_all();
    }
  });
  REQUIRE(eventually([&] { return informer.stats().watches >= 1; }));
  const int rounds = 8;
  for (int round = 0; round < rounds; ++round) {
    writing.store(true);
    random_changes(*c, "flaky", names, 25, rng, after_sync, exists);
    writing.store(false);
    const auto watches = informer.stats().watches;
    proxy.drop_all();
    REQUIRE(eventually([&] { return informer.stats().watches > watches; }));
  }
  done.store(true);
  dropper.join();

  REQUIRE(eventually([&] { return rec.count() >= after_sync.count(); }));
  std::this_thread::sleep_for(100ms);  // anything extra would show up now
  CHECK(rec.changes() == after_sync.changes());
  CHECK(increasing_rvs(rec.all(), listed));
  CHECK(cache_matches_server(informer, *c, "flaky"));
  const auto stats = informer.stats();
  CHECK(stats.relists_after_gone == 0);
  CHECK(stats.lists == 1);
  CHECK(stats.watches >= rounds + 1);  // the proxy broke it at least once per round
  CHECK(proxy.drops() >= rounds);
  informer.stop();
}

TEST_CASE("continues through an API server restart and sees each change once", "[informer]") {
  auto server = testing::start_test_apiserver("informer-restart");
  const std::uint16_t port = server->server->port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  auto c = testing::test_client(server->config);
  testing::create_test_namespace(*c, "restart");

  LogCapture log;
  auto informer_client = testing::test_client(server->config);
  Informer informer(*informer_client, fast_options("restart", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));

  std::mt19937 rng(99);
  Expected expected;
  std::map<std::string, bool> exists;
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  random_changes(*c, "restart", names, 30, rng, expected, exists);
  REQUIRE(eventually([&] { return rec.count() >= expected.count(); }));

  server->server->stop();
  server->server.reset();
  server->start(listen);
  // A probe change proves that the informer is live again before the next changes.
  auto c2 = testing::test_client(server->config);
  auto probe = c2->create(config_map("restart", "probe"));
  REQUIRE(probe);
  expected.created(*probe);
  REQUIRE(eventually([&] { return rec.count() >= expected.count(); }));
  random_changes(*c2, "restart", names, 30, rng, expected, exists);
  REQUIRE(eventually([&] { return rec.count() >= expected.count(); }));
  std::this_thread::sleep_for(100ms);
  // Whether the new server still had the history (re-watch) or answered 410 (relist), nothing
  // changed while the informer was away, so it reports each change exactly once.
  CHECK(rec.changes() == expected.changes());
  CHECK(increasing_rvs(rec.all(), 0));
  CHECK(cache_matches_server(informer, *c2, "restart"));
  CHECK(informer.stats().watches >= 2);
  informer.stop();
  server->server->stop();
}

TEST_CASE("410 leads to relist without losing updates", "[informer]") {
  auto server = testing::start_test_apiserver("informer-gone", /*watch_history=*/5);
  auto c = testing::test_client(server->config);
  testing::create_test_namespace(*c, "gone");
  testing::TcpProxy proxy(server->server->port());
  RestConfig via_proxy = server->config;
  via_proxy.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto informer_client = testing::test_client(via_proxy);

  std::map<std::string, json> written;  // the writes, in order, per object
  std::map<std::string, std::vector<std::string>> rvs;
  auto track = [&](const json& o) { rvs[ObjectKey::of(o).str()].push_back(rv_of(o)); };
  for (const std::string name : {"a", "b", "c", "doomed", "reborn"}) {
    auto created = c->create(config_map("gone", name, {{"v", "0"}}));
    REQUIRE(created);
    track(*created);
  }
  const std::string reborn_old_uid = uid_of(*c->get(kConfigMap, "gone", "reborn"));

  LogCapture log;
  Informer informer(*informer_client, fast_options("gone", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  REQUIRE(eventually([&] { return informer.state() == InformerState::kWatching; }));

  // Cut the informer off, and make more changes than the server's history keeps.
  proxy.set_rejecting(true);
  proxy.drop_all();
  for (int i = 1; i <= 4; ++i) {
    for (const std::string name : {"a", "b", "c"}) {
      auto updated = c->patch(kConfigMap, "gone", name, PatchType::kMerge,
                              json{{"data", {{"v", std::to_string(i)}}}});
      REQUIRE(updated);
      track(*updated);
    }
  }
  REQUIRE(c->remove(kConfigMap, "gone", "doomed"));
  REQUIRE(c->remove(kConfigMap, "gone", "reborn"));
  auto reborn = c->create(config_map("gone", "reborn", {{"v", "new"}}));
  REQUIRE(reborn);
  track(*reborn);
  auto fresh = c->create(config_map("gone", "fresh"));
  REQUIRE(fresh);
  track(*fresh);
  proxy.set_rejecting(false);

  REQUIRE(eventually([&] { return informer.stats().relists_after_gone > 0; }));
  REQUIRE(eventually([&] { return cache_matches_server(informer, *c, "gone"); }));
  REQUIRE(eventually(
      [&] { return rec.count_if([](const Seen& s) { return s.key == "gone/fresh"; }) == 1; }));
  std::this_thread::sleep_for(100ms);
  CHECK(informer.stats().lists >= 2);

  // Per object: what the handlers saw is an in-order subsequence of the writes that ends with
  // the final state (coalescing is allowed only for what the informer never saw).
  auto seen = rec.all();
  std::map<std::string, std::vector<const Seen*>> per_key;
  for (const Seen& s : seen) per_key[s.key].push_back(&s);
  for (const std::string name : {"a", "b", "c"}) {
    const std::string key = "gone/" + name;
    INFO(key);
    const auto& written_rvs = rvs[key];
    std::size_t pos = 0;
    for (const Seen* s : per_key[key]) {
      CHECK(s->type != 'D');
      while (pos < written_rvs.size() && written_rvs[pos] != s->rv) ++pos;
      CHECK(pos < written_rvs.size());  // seen in write order, each at most once
      ++pos;
    }
    REQUIRE_FALSE(per_key[key].empty());
    CHECK(per_key[key].back()->rv == written_rvs.back());  // no update lost
  }
  REQUIRE_FALSE(per_key["gone/doomed"].empty());
  CHECK(per_key["gone/doomed"].back()->type == 'D');
  // The recreated object (new uid): delete of the old incarnation, then add of the new one.
  const auto& r = per_key["gone/reborn"];
  REQUIRE(r.size() == 3);
  CHECK(r[0]->type == 'A');
  CHECK(r[1]->type == 'D');
  CHECK(r[1]->uid == reborn_old_uid);
  CHECK(r[2]->type == 'A');
  CHECK(r[2]->uid == uid_of(*reborn));
  CHECK(r[2]->rv == rv_of(*reborn));
  informer.stop();
  server->server->stop();
}

TEST_CASE("periodic resync emits on_update with the same object", "[informer]") {
  auto c = testing::test_client(testing::shared_test_apiserver().config);
  testing::create_test_namespace(*c, "resync");
  REQUIRE(c->create(config_map("resync", "one")));
  REQUIRE(c->create(config_map("resync", "two")));
  LogCapture log;
  InformerOptions o = fast_options("resync", log.stream());
  o.resync_period = 200ms;
  Informer informer(*c, o);
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  auto resyncs = [&] { return rec.count_if([](const Seen& s) { return s.same_pointer; }); };
  REQUIRE(eventually([&] { return resyncs() >= 4; }));
  for (const Seen& s : rec.all()) {
    if (s.type == 'U') CHECK(s.same_pointer);
  }
  CHECK(rec.count_if([](const Seen& s) { return s.type == 'A'; }) == 2);
  informer.stop();
}

TEST_CASE("a recreated object is seen as delete then add", "[informer]") {
  auto c = testing::test_client(testing::shared_test_apiserver().config);
  testing::create_test_namespace(*c, "reborn");
  auto first = c->create(config_map("reborn", "x"));
  REQUIRE(first);
  LogCapture log;
  Informer informer(*c, fast_options("reborn", log.stream()));
  Recorder rec;
  informer.add_handler(rec.handler());
  informer.start();
  REQUIRE(informer.wait_for_sync(20s));
  REQUIRE(c->remove(kConfigMap, "reborn", "x"));
  auto second = c->create(config_map("reborn", "x"));
  REQUIRE(second);
  REQUIRE(eventually([&] { return rec.count() == 3; }));
  auto seen = rec.all();
  CHECK(seen[0].type == 'A');
  CHECK(seen[0].uid == uid_of(*first));
  CHECK(seen[1].type == 'D');
  CHECK(seen[1].uid == uid_of(*first));
  CHECK(seen[2].type == 'A');
  CHECK(seen[2].uid == uid_of(*second));
  CHECK(uid_of(*informer.cache().get({"reborn", "x"})) == uid_of(*second));
}

TEST_CASE("stop() while watching returns promptly", "[informer]") {
  auto c = testing::test_client(testing::shared_test_apiserver().config);
  testing::create_test_namespace(*c, "stopping");
  LogCapture log;
  InformerOptions o = fast_options("stopping", log.stream());
  auto informer = std::make_unique<Informer>(*c, o);
  informer->start();
  REQUIRE(informer->wait_for_sync(20s));
  REQUIRE(eventually([&] { return informer->stats().watches == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  informer->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(informer->state() == InformerState::kStopped);
  // The watch asked for a 300..600 s timeout; stop() must not wait for it.
  CHECK(took < 10s);
  informer.reset();  // the destructor after stop() is fine too
}

}  // namespace
}  // namespace cairn::kube
