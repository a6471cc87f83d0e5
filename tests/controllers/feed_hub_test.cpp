// FeedHub against real feeds: file:// directories (a new tag is a mkdir), a git+file://
// repository made with the git CLI, git:// to a closed port, and the GitHub API test server
// (tests/sources/github_server.py) for rate limits.
#include "controllers/feed_hub.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/metrics.h"
#include "sources/detail/http.h"
#include "tests/common/eventually.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"
#include "tests/controllers/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::controllers::FeedHub;
using cairn::controllers::FeedHubOptions;
using cairn::controllers::FeedState;
using cairn::controllers::testing::json_logger;
using cairn::controllers::testing::LogCapture;
using cairn::sources::Credentials;
using cairn::sources::FeedUrl;
using cairn::testing::eventually;
using cairn::testing::TempDir;
using cairn::testing::write_file;
using nlohmann::json;
using std::chrono::milliseconds;

// Counts the notifications each subscriber received.
class Notes {
 public:
  void add(const std::vector<std::string>& subscribers) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : subscribers) ++counts_[s];
  }
  int count(const std::string& subscriber) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(subscriber);
    return it == counts_.end() ? 0 : it->second;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    counts_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> counts_;
};

// A file:// feed: DIR/<tag>/ per release.
class FileFeedDir {
 public:
  explicit FileFeedDir(std::vector<std::string> tags = {}) {
    fs::create_directories(dir());
    for (const auto& t : tags) add(t);
  }
  fs::path dir() const { return root_.path() / "releases"; }
  void add(const std::string& tag) const { fs::create_directories(dir() / tag); }
  FeedUrl url() const {
    auto u = FeedUrl::parse("file://" + dir().string());
    REQUIRE(u);
    return *u;
  }

 private:
  TempDir root_{"cairn-hub-feed"};
};

// Test-sized intervals; notifications go to `notes`, logs (when given) to `log`.
FeedHubOptions options(Notes& notes, std::ostream* log = nullptr) {
  FeedHubOptions o;
  o.min_interval = milliseconds(20);
  o.list_workers = 2;
  o.feed_options.max_attempts = 1;
  o.feed_options.connect_timeout = std::chrono::seconds(5);
  o.feed_options.stall_timeout = std::chrono::seconds(5);
  o.feed_options.user_agent = "cairn-test";
  o.notify = [&notes](const std::vector<std::string>& subscribers) { notes.add(subscribers); };
  o.logger = json_logger(log, cairn::kube::LogLevel::kDebug);
  return o;
}

FeedState subscribe(FeedHub& hub, const std::string& subscriber, const FeedUrl& url,
                    milliseconds interval, const Credentials& credentials = {}) {
  auto state = hub.subscribe(subscriber, url, credentials, interval);
  INFO(subscriber << " -> " << url.str());
  REQUIRE(state);
  return *state;
}

bool has_tag(const FeedState& s, const std::string& tag) {
  return std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end();
}

std::uint64_t feed_requests(FeedHub& hub, const FeedUrl& url, const Credentials& c = {}) {
  auto feed = hub.feed(url, c);
  REQUIRE(feed);
  return (*feed)->stats().requests;
}

}  // namespace

TEST_CASE("subscribers of one feed share one list per interval") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir feed({"v1"});
  const std::vector<std::string> subs = {"ns/a", "ns/b", "ns/c", "ns/d", "ns/e"};
  for (const auto& s : subs) subscribe(hub, s, feed.url(), milliseconds(200));
  REQUIRE(eventually([&] { return hub.stats().lists >= 1; }));
  for (const auto& s : subs) CHECK(subscribe(hub, s, feed.url(), milliseconds(200)).listed);
  CHECK(hub.stats().feeds == 1);
  CHECK(hub.stats().subscribers == 5);

  const auto lists_before = hub.stats().lists;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(milliseconds(1200));
  const auto lists = hub.stats().lists - lists_before;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  INFO("lists in " << std::chrono::duration_cast<milliseconds>(elapsed).count()
                   << " ms: " << lists);
  CHECK(lists >= 2);
  CHECK(lists <= static_cast<std::uint64_t>(elapsed / milliseconds(200)) + 2);
  // One directory read per list, whatever the number of subscribers. The hub keeps listing
  // while we look: the feed counts a read when it starts and the hub counts a list when it
  // ends, and one list of a feed runs at a time, so the reads lie between the lists counted
  // before and one more than the lists counted after.
  const auto lists_low = hub.stats().lists;
  const auto reads = feed_requests(hub, feed.url());
  const auto lists_high = hub.stats().lists;
  INFO("lists " << lists_low << ".." << lists_high << ", directory reads " << reads);
  CHECK(reads >= lists_low);
  CHECK(reads <= lists_high + 1);
  CHECK(hub.stats().list_errors == 0);
}

TEST_CASE("a feed is listed at the shortest interval of its subscribers") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir feed({"v1"});
  subscribe(hub, "ns/slow", feed.url(), std::chrono::hours(1));
  REQUIRE(eventually([&] { return hub.stats().lists == 1; }));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK(hub.stats().lists == 1);

  subscribe(hub, "ns/fast", feed.url(), milliseconds(100));
  CHECK(eventually([&] { return hub.stats().lists >= 4; }));

  hub.unsubscribe("ns/fast");
  std::this_thread::sleep_for(milliseconds(200));
  const auto lists = hub.stats().lists;
  std::this_thread::sleep_for(milliseconds(600));
  CHECK(hub.stats().lists <= lists + 1);
  CHECK(hub.stats().feeds == 1);
}

TEST_CASE("a new tag notifies every subscriber of its feed and nobody else") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir one({"v1"});
  FileFeedDir two({"v1"});
  // A subscriber that joins a feed after its first list reads the state from subscribe() and
  // is not notified; so the feeds start with one subscriber each.
  subscribe(hub, "ns/a", one.url(), milliseconds(50));
  subscribe(hub, "ns/c", two.url(), milliseconds(50));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1 && notes.count("ns/c") == 1; }));
  CHECK(subscribe(hub, "ns/b", one.url(), milliseconds(50)).tags == std::vector<std::string>{"v1"});

  // Lists that find nothing new notify nobody.
  const auto lists = hub.stats().lists;
  REQUIRE(eventually([&] { return hub.stats().lists >= lists + 6; }));
  CHECK(notes.count("ns/a") == 1);
  CHECK(notes.count("ns/b") == 0);
  CHECK(notes.count("ns/c") == 1);

  one.add("v2");
  REQUIRE(eventually([&] { return notes.count("ns/a") == 2 && notes.count("ns/b") == 1; }));
  const FeedState state = subscribe(hub, "ns/a", one.url(), milliseconds(50));
  CHECK(state.listed);
  CHECK(has_tag(state, "v1"));
  CHECK(has_tag(state, "v2"));
  CHECK_FALSE(state.error);
  CHECK(state.last_success > std::chrono::system_clock::time_point());

  const auto later = hub.stats().lists;
  REQUIRE(eventually([&] { return hub.stats().lists >= later + 4; }));
  CHECK(notes.count("ns/c") == 1);
  CHECK(notes.count("ns/a") == 2);
}

TEST_CASE("unsubscribing the last subscriber drops the feed and its lists") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir feed({"v1"});
  subscribe(hub, "ns/a", feed.url(), milliseconds(50));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  subscribe(hub, "ns/b", feed.url(), milliseconds(50));

  hub.unsubscribe("ns/a");
  CHECK(hub.stats().feeds == 1);
  CHECK(hub.stats().subscribers == 1);
  hub.unsubscribe("ns/b");
  hub.unsubscribe("ns/never-subscribed");
  CHECK(hub.stats().feeds == 0);
  CHECK(hub.stats().subscribers == 0);

  std::this_thread::sleep_for(milliseconds(200));
  const auto lists = hub.stats().lists;
  feed.add("v2");
  std::this_thread::sleep_for(milliseconds(500));
  CHECK(hub.stats().lists == lists);
  CHECK(notes.count("ns/b") == 0);
}

TEST_CASE("a subscriber moves to another feed with its URL") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir one({"v1"});
  FileFeedDir two({"w1"});
  subscribe(hub, "ns/a", one.url(), milliseconds(50));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  subscribe(hub, "ns/b", one.url(), milliseconds(50));

  const FeedState moved = subscribe(hub, "ns/a", two.url(), milliseconds(50));
  CHECK_FALSE(moved.listed);  // a new feed: listed asynchronously
  CHECK(hub.stats().feeds == 2);
  CHECK(hub.stats().subscribers == 2);
  REQUIRE(eventually([&] { return notes.count("ns/a") == 2; }));
  CHECK(has_tag(subscribe(hub, "ns/a", two.url(), milliseconds(50)), "w1"));

  one.add("v2");
  REQUIRE(eventually([&] { return notes.count("ns/b") == 1; }));
  two.add("w2");
  REQUIRE(eventually([&] { return notes.count("ns/a") == 3; }));
  CHECK(notes.count("ns/b") == 1);

  // The last subscriber of `one` leaves it: only `two` remains.
  subscribe(hub, "ns/b", two.url(), milliseconds(50));
  CHECK(hub.stats().feeds == 1);
  CHECK(hub.stats().subscribers == 2);
}

TEST_CASE("one URL with different credentials gives different feeds; feed() shares objects") {
  Notes notes;
  FeedHub hub(options(notes));
  FileFeedDir feed({"v1"});
  Credentials a;
  a.token = "token-a";
  Credentials b;
  b.username = "user";
  b.password = "token-a";
  subscribe(hub, "ns/1", feed.url(), milliseconds(50), a);
  subscribe(hub, "ns/2", feed.url(), milliseconds(50), b);
  subscribe(hub, "ns/3", feed.url(), milliseconds(50), a);
  CHECK(hub.stats().feeds == 2);

  auto fa = hub.feed(feed.url(), a);
  auto fa2 = hub.feed(feed.url(), a);
  auto fb = hub.feed(feed.url(), b);
  REQUIRE(fa);
  REQUIRE(fa2);
  REQUIRE(fb);
  CHECK(fa->get() == fa2->get());
  CHECK(fa->get() != fb->get());
  // The object the poller lists with.
  const auto requests = (*fa)->stats().requests;
  CHECK(eventually([&] { return (*fa)->stats().requests > requests; }));

  // An unsubscribed feed is opened on demand and shared while held; a subscription uses it.
  FileFeedDir other({"x1"});
  auto o1 = hub.feed(other.url(), {});
  auto o2 = hub.feed(other.url(), {});
  REQUIRE(o1);
  REQUIRE(o2);
  CHECK(o1->get() == o2->get());
  CHECK(hub.stats().feeds == 2);
  subscribe(hub, "ns/4", other.url(), milliseconds(50));
  CHECK(eventually([&] { return (*o1)->stats().requests >= 1; }));
  CHECK(hub.feed(other.url(), {})->get() == o1->get());
}

TEST_CASE("a feed that fails reports the error to its subscribers and recovery clears it") {
  Notes notes;
  LogCapture log;
  std::ostream log_stream(&log);
  FeedHub hub(options(notes, &log_stream));
  FileFeedDir feed({"v1"});
  Credentials secret;
  secret.token = "tok-SECRET-4711";
  subscribe(hub, "ns/a", feed.url(), milliseconds(50), secret);
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  const auto first_success = subscribe(hub, "ns/a", feed.url(), milliseconds(50), secret);

  fs::remove_all(feed.dir());
  REQUIRE(eventually([&] { return notes.count("ns/a") == 2; }));
  FeedState state = subscribe(hub, "ns/a", feed.url(), milliseconds(50), secret);
  REQUIRE(state.error);
  CHECK(state.error->kind == cairn::sources::ErrorKind::kNotFound);
  CHECK(state.listed);
  CHECK(has_tag(state, "v1"));  // the tags of the last success stay
  CHECK(state.last_success == first_success.last_success);

  // The same error again notifies nobody.
  const auto errors = hub.stats().list_errors;
  REQUIRE(eventually([&] { return hub.stats().list_errors >= errors + 4; }));
  CHECK(notes.count("ns/a") == 2);

  feed.add("v1");
  feed.add("v2");
  REQUIRE(eventually([&] { return notes.count("ns/a") == 3; }));
  state = subscribe(hub, "ns/a", feed.url(), milliseconds(50), secret);
  CHECK_FALSE(state.error);
  CHECK(has_tag(state, "v2"));
  CHECK(state.last_success > first_success.last_success);

  const std::string text = log.text();
  CHECK(text.find("release feed list failed") != std::string::npos);
  CHECK(text.find("release feed listed again") != std::string::npos);
  CHECK(text.find(feed.url().str()) != std::string::npos);
  CHECK(text.find("tok-SECRET-4711") == std::string::npos);
}

TEST_CASE("a git feed whose server is down reports a transport error") {
  Notes notes;
  FeedHub hub(options(notes));
  const int port = cairn::testing::free_port();  // nothing listens there
  auto url = FeedUrl::parse("git://127.0.0.1:" + std::to_string(port) + "/repo.git");
  REQUIRE(url);
  subscribe(hub, "ns/a", *url, milliseconds(100));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  const FeedState state = subscribe(hub, "ns/a", *url, milliseconds(100));
  REQUIRE(state.error);
  CHECK(state.error->kind == cairn::sources::ErrorKind::kTransport);
  CHECK(state.error->message.find(url->str()) != std::string::npos);
  CHECK_FALSE(state.listed);
  CHECK(hub.stats().list_errors >= 1);
}

TEST_CASE("a git+file feed made with git notifies a new tag; releases come from feed()") {
  TempDir root("cairn-hub-git");
  const fs::path repo = root.path() / "repo";
  const std::vector<std::string> env = {
      "HOME=" + root.path().string(),  "GIT_CONFIG_NOSYSTEM=1",
      "GIT_AUTHOR_NAME=cairn test",    "GIT_AUTHOR_EMAIL=test@cairn.invalid",
      "GIT_COMMITTER_NAME=cairn test", "GIT_COMMITTER_EMAIL=test@cairn.invalid"};
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    std::string out;
    const int rc = cairn::testing::run_command(args, &out, root.path(), env);
    INFO(out);
    REQUIRE(rc == 0);
  };
  git({"init", "-q", "-b", "main", repo.string()});
  write_file(repo / "metadata.yaml", "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\n");
  git({"-C", repo.string(), "add", "-A"});
  git({"-C", repo.string(), "commit", "-q", "-m", "first"});
  git({"-C", repo.string(), "tag", "v1"});

  Notes notes;
  FeedHubOptions o = options(notes);
  o.work_dir = root.path() / "work";
  FeedHub hub(std::move(o));
  auto url = FeedUrl::parse("git+file://" + repo.string());
  REQUIRE(url);
  subscribe(hub, "ns/a", *url, milliseconds(100));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  CHECK(subscribe(hub, "ns/a", *url, milliseconds(100)).tags == std::vector<std::string>{"v1"});

  git({"-C", repo.string(), "tag", "v2"});
  REQUIRE(eventually([&] { return notes.count("ns/a") == 2; }));
  CHECK(has_tag(subscribe(hub, "ns/a", *url, milliseconds(100)), "v2"));

  // Fetching through the shared Feed uses the hub's work directory (one directory per feed).
  auto feed = hub.feed(*url, {});
  REQUIRE(feed);
  const fs::path out = root.path() / "out";
  fs::create_directories(out);
  auto files = (*feed)->fetch("v2", out);
  REQUIRE(files);
  CHECK(fs::exists(out / "metadata.yaml"));
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root.path() / "work")) dirs.push_back(e.path());
  REQUIRE(dirs.size() == 1);
  CHECK(dirs[0].filename().string().size() == 16);
}

TEST_CASE("poll_now lists matching feeds at once and does not double queued lists") {
  Notes notes;
  FeedHubOptions o = options(notes);
  o.min_interval = milliseconds(300);
  FeedHub hub(std::move(o));
  FileFeedDir one({"v1"});
  FileFeedDir two({"v1"});
  subscribe(hub, "ns/a", one.url(), std::chrono::hours(1));
  subscribe(hub, "ns/b", two.url(), std::chrono::hours(1));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1 && notes.count("ns/b") == 1; }));

  one.add("v2");
  two.add("v2");
  std::this_thread::sleep_for(milliseconds(400));
  CHECK(notes.count("ns/a") == 1);  // the interval is an hour

  const FeedUrl target = one.url();
  CHECK(hub.poll_now([&](const FeedUrl& u) { return u == target; }) == 1);
  REQUIRE(eventually([&] { return notes.count("ns/a") == 2; }));
  CHECK(has_tag(subscribe(hub, "ns/a", one.url(), std::chrono::hours(1)), "v2"));
  CHECK(notes.count("ns/b") == 1);
  CHECK(hub.poll_now([](const FeedUrl&) { return false; }) == 0);

  std::this_thread::sleep_for(milliseconds(400));
  const auto lists = hub.stats().lists;
  for (int i = 0; i < 10; ++i) {
    CHECK(hub.poll_now([&](const FeedUrl& u) { return u == target; }) == 1);
  }
  REQUIRE(eventually([&] { return hub.stats().lists >= lists + 1; }));
  std::this_thread::sleep_for(milliseconds(800));
  CHECK(hub.stats().lists <= lists + 2);
}

TEST_CASE("a rate-limited feed is not listed again before its retry time") {
  TempDir dir("cairn-hub-github");
  const json data = {{"owner", "o"},
                     {"repo", "r"},
                     {"repo_id", 77},
                     {"token", nullptr},
                     {"private", false},
                     {"releases",
                      {{{"tag_name", "v1"},
                        {"name", "v1"},
                        {"draft", false},
                        {"prerelease", false},
                        {"assets", json::array()}}}}};
  write_file(dir.path() / "data.json", data.dump());
  const int port = cairn::testing::free_port();
  int asset_port = cairn::testing::free_port();
  while (asset_port == port) asset_port = cairn::testing::free_port();
  cairn::testing::Process server(
      {"/usr/bin/python3", std::string(CAIRN_SOURCE_DIR) + "/tests/sources/github_server.py",
       "--port", std::to_string(port), "--asset-port", std::to_string(asset_port), "--data",
       (dir.path() / "data.json").string()},
      dir.path() / "server.log");
  REQUIRE(cairn::testing::wait_for_port(port));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  {
    cairn::sources::detail::HttpClient client{cairn::sources::FeedOptions{}};
    cairn::sources::detail::HttpRequest request;
    request.method = "POST";
    request.url = api + "/_control";
    request.headers = {{"Content-Type", "application/json"}};
    request.body =
        json{{"rate_limit", {{"kind", "secondary"}, {"retry_after", 3}, {"count", 1}}}}.dump();
    auto r = client.send(request, "control");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  Notes notes;
  FeedHub hub(options(notes));
  auto url = FeedUrl::parse("github://o/r?api=" + api);
  REQUIRE(url);
  subscribe(hub, "ns/a", *url, milliseconds(100));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));
  FeedState state = subscribe(hub, "ns/a", *url, milliseconds(100));
  INFO(server.log());
  REQUIRE(state.error);
  CHECK(state.error->kind == cairn::sources::ErrorKind::kRateLimited);
  REQUIRE(state.error->retry_at);
  CHECK(hub.poll_now([](const FeedUrl&) { return true; }) == 1);  // held as well

  const auto requests = feed_requests(hub, *url);
  std::this_thread::sleep_for(milliseconds(1500));
  CHECK(feed_requests(hub, *url) == requests);
  CHECK(notes.count("ns/a") == 1);

  REQUIRE(eventually([&] { return notes.count("ns/a") == 2; }));
  CHECK(std::chrono::system_clock::now() >= *state.error->retry_at);
  state = subscribe(hub, "ns/a", *url, milliseconds(100));
  CHECK_FALSE(state.error);
  CHECK(state.tags == std::vector<std::string>{"v1"});
}

TEST_CASE("tag changes are logged with the feed, the count and at most ten added tags") {
  Notes notes;
  LogCapture log;
  std::ostream log_stream(&log);
  FeedHub hub(options(notes, &log_stream));
  std::vector<std::string> tags;
  for (int i = 10; i < 25; ++i) tags.push_back("v" + std::to_string(i));
  FileFeedDir feed(tags);
  subscribe(hub, "ns/a", feed.url(), milliseconds(50));
  REQUIRE(eventually([&] { return notes.count("ns/a") == 1; }));

  std::istringstream lines(log.text());
  std::string line;
  int found = 0;
  while (std::getline(lines, line)) {
    const json record = json::parse(line, nullptr, false);
    if (record.is_discarded() || record.value("msg", "") != "release feed tags changed") continue;
    ++found;
    CHECK(record["level"] == "info");
    CHECK(record["feed"] == feed.url().str());
    CHECK(record["tags"] == 15);
    CHECK(record["addedCount"] == 15);
    REQUIRE(record["added"].size() == 10);
    CHECK(record["added"][0] == "v10");
  }
  CHECK(found == 1);
}

TEST_CASE("metrics count lists by result and the feeds polled") {
  cairn::kube::Metrics metrics;
  Notes notes;
  FileFeedDir good({"v1"});
  auto missing = FeedUrl::parse("file://" + (good.dir() / "missing").string());
  REQUIRE(missing);
  {
    FeedHubOptions o = options(notes);
    o.metrics = &metrics;
    FeedHub hub(std::move(o));
    subscribe(hub, "ns/a", good.url(), milliseconds(50));
    subscribe(hub, "ns/b", *missing, milliseconds(50));
    REQUIRE(eventually([&] { return notes.count("ns/a") == 1 && notes.count("ns/b") == 1; }));
    const std::string text = metrics.text();
    INFO(text);
    CHECK(text.find("cairn_feed_lists_total{result=\"success\"}") != std::string::npos);
    CHECK(text.find("cairn_feed_lists_total{result=\"error\"}") != std::string::npos);
    CHECK(text.find("cairn_feeds 2") != std::string::npos);
    hub.unsubscribe("ns/b");
    CHECK(metrics.text().find("cairn_feeds 1") != std::string::npos);
  }
  CHECK(metrics.text().find("cairn_feeds 0") != std::string::npos);
}

TEST_CASE("destroying the hub while lists are queued and running is clean") {
  Notes notes;
  std::vector<std::unique_ptr<FileFeedDir>> feeds;
  for (int i = 0; i < 8; ++i) {
    std::vector<std::string> tags;
    for (int t = 0; t < 300; ++t) tags.push_back("v" + std::to_string(t));
    feeds.push_back(std::make_unique<FileFeedDir>(tags));
  }
  const int closed_port = cairn::testing::free_port();
  for (int round = 0; round < 5; ++round) {
    FeedHub hub(options(notes));
    int n = 0;
    for (const auto& f : feeds) {
      subscribe(hub, "ns/f" + std::to_string(n++), f->url(), milliseconds(20));
    }
    for (int i = 0; i < 3; ++i) {
      auto url = FeedUrl::parse("git://127.0.0.1:" + std::to_string(closed_port) + "/r" +
                                std::to_string(i) + ".git");
      REQUIRE(url);
      subscribe(hub, "ns/g" + std::to_string(n++), *url, milliseconds(20));
    }
    hub.poll_now([](const FeedUrl&) { return true; });
    if (round % 2 == 1) std::this_thread::sleep_for(milliseconds(5 * round));
    CHECK(hub.stats().subscribers == 11);
  }
  // Every list ended with its hub: nothing notifies afterwards.
  const int before = notes.count("ns/f0");
  std::this_thread::sleep_for(milliseconds(200));
  CHECK(notes.count("ns/f0") == before);
}
