// The GitHub Releases feed against github_server.py, a GitHub REST API test server started per
// test case on free loopback ports: pagination, conditional polling, rate limits, credentials,
// asset downloads through a 302 to a second port, and download faults.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sources/detail/feeds.h"
#include "sources/detail/http.h"
#include "sources/digest.h"
#include "sources/feed.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace {

using cairn::sources::ErrorKind;
using cairn::sources::Feed;
using cairn::sources::FeedOptions;
using cairn::sources::FeedUrl;
using cairn::sources::ListResult;
using cairn::sources::ReleaseFile;
using cairn::testing::Process;
using cairn::testing::read_file;
using cairn::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;
namespace detail = cairn::sources::detail;

constexpr const char* kOrg = "cairn-test";
constexpr const char* kRepo = "stacks";
constexpr const char* kToken = "ghp_Secret0123456789TokenValue";

std::string stack_tag(int version) { return "docker-ferrol-1-27-v" + std::to_string(version); }

json release(const std::string& tag, json assets = json::array()) {
  return {{"tag_name", tag}, {"name", "Ferrol release " + tag}, {"assets", std::move(assets)}};
}

json text_asset(const std::string& name, const std::string& content) {
  return {{"name", name}, {"content", content}};
}

// `count` releases without assets, newest (highest version) first.
json stack_releases(int count) {
  json releases = json::array();
  for (int v = count; v >= 1; --v) releases.push_back(release(stack_tag(v)));
  return releases;
}

const std::string kMetadata =
    "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\n"
    "versions:\n  clusterStack: v3\n  kubernetes: v1.27.3\n"
    "  components:\n    clusterAddon: v2\n    nodeImage: v3\n";

// The release fetch tests use: a text file, a 300 kB chart, and a file without a digest.
json fetchable_release(const std::string& tag) {
  json notes = text_asset("notes.txt", "published before GitHub had asset digests\n");
  notes["digest"] = false;
  return release(
      tag, json::array({text_asset("metadata.yaml", kMetadata),
                        {{"name", "docker-ferrol-1-27-cluster-class-v3.tgz"}, {"generate", 300000}},
                        notes}));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One github_server.py with its own data file, API port and asset port.
class GitHubServer {
 public:
  explicit GitHubServer(json data, const std::vector<std::string>& extra_args = {}) {
    data["owner"] = kOrg;
    data["repo"] = kRepo;
    if (!data.contains("token")) data["token"] = kToken;
    cairn::testing::write_file(dir_ / "data.json", data.dump());
    port_ = cairn::testing::free_port();
    do {
      asset_port_ = cairn::testing::free_port();
    } while (asset_port_ == port_);
    std::vector<std::string> argv = {
        "/usr/bin/python3", std::string(CAIRN_SOURCE_DIR) + "/tests/sources/github_server.py",
        "--port",           std::to_string(port_),
        "--asset-port",     std::to_string(asset_port_),
        "--data",           (dir_ / "data.json").string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Process>(argv, dir_ / "server.log");
    const bool up =
        cairn::testing::wait_for_port(port_) && cairn::testing::wait_for_port(asset_port_);
    INFO(process_->log());
    REQUIRE(up);
  }

  std::string api() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->log(); }

  FeedUrl url(const std::string& repo = kRepo) const {
    auto u = FeedUrl::parse("github://" + std::string(kOrg) + "/" + repo + "?api=" + api());
    REQUIRE(u);
    return *u;
  }

  void control(const json& body) {
    detail::HttpRequest request;
    request.method = "POST";
    request.url = api() + "/_control";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = body.dump();
    auto r = client_.send(request, "control");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  json stats() {
    detail::HttpRequest request;
    request.url = api() + "/_control/stats";
    auto r = client_.send(request, "stats");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }

 private:
  TempDir dir_{"cairn-github"};
  int port_ = 0;
  int asset_port_ = 0;
  std::unique_ptr<Process> process_;
  detail::HttpClient client_{FeedOptions{}};
};

FeedOptions test_options(const std::string& token = kToken) {
  FeedOptions o;
  o.credentials.token = token;
  o.connect_timeout = std::chrono::seconds(5);
  o.stall_timeout = std::chrono::seconds(5);
  o.retry_base_delay = std::chrono::milliseconds(10);
  o.max_attempts = 3;
  o.user_agent = "cairn-test";
  return o;
}

std::unique_ptr<Feed> open(const GitHubServer& server, FeedOptions options = test_options(),
                           const std::string& repo = kRepo) {
  auto feed = detail::open_github_feed(server.url(repo), std::move(options));
  REQUIRE(feed);
  return std::move(*feed);
}

bool empty_dir(const fs::path& p) { return fs::is_empty(p); }

}  // namespace

TEST_CASE("list follows every page of 260 releases and returns tag names, never titles or drafts") {
  json releases = stack_releases(260);
  json draft = release("docker-ferrol-1-27-v261");
  draft["draft"] = true;
  releases.insert(releases.begin(), draft);
  GitHubServer server(json{{"releases", releases}});
  auto feed = open(server);

  auto listed = feed->list();
  REQUIRE(listed);
  CHECK_FALSE(listed->not_modified);
  REQUIRE(listed->tags.size() == 260);
  CHECK(listed->tags.front() == stack_tag(260));
  CHECK(listed->tags[100] == stack_tag(160));
  CHECK(listed->tags.back() == stack_tag(1));
  for (const auto& t : listed->tags) CHECK_FALSE(contains(t, "Ferrol release"));

  const json stats = server.stats();
  CHECK(stats["requests"]["list"] == 3);  // 100 per page
  CHECK(stats["auth_schemes"]["bearer"] == 3);
  CHECK(stats["user_agents"]["cairn-test"] == 3);
  CHECK(stats["api_versions"]["2022-11-28"] == 3);
  CHECK(feed->stats().requests == 3);
}

TEST_CASE("100 polls of an unchanged feed are 100 conditional requests answered 304, 0 downloads") {
  GitHubServer server(json{{"releases", stack_releases(250)}});
  auto feed = open(server);
  auto first = feed->list();
  REQUIRE(first);
  REQUIRE(first->tags.size() == 250);

  for (int i = 0; i < 100; ++i) {
    auto poll = feed->list();
    REQUIRE(poll);
    CHECK(poll->not_modified);
    CHECK(poll->tags == first->tags);
  }
  const json stats = server.stats();
  CHECK(stats["requests"]["list"] == 3 + 100);
  CHECK(stats["conditional"] == 100);
  CHECK(stats["not_modified"] == 100);
  CHECK(stats["requests"]["asset_download"] == 0);
  CHECK(stats["requests"]["asset_api"] == 0);
  const auto fs = feed->stats();
  CHECK(fs.requests == 103);
  CHECK(fs.not_modified == 100);
  CHECK(fs.downloads == 0);
  CHECK(fs.bytes == 0);
}

TEST_CASE("a release published after a 304 appears in the next list") {
  GitHubServer server(json{{"releases", stack_releases(120)}});
  auto feed = open(server);
  REQUIRE(feed->list());
  auto unchanged = feed->list();
  REQUIRE(unchanged);
  REQUIRE(unchanged->not_modified);

  server.control({{"add_release", release(stack_tag(121))}});
  auto changed = feed->list();
  REQUIRE(changed);
  CHECK_FALSE(changed->not_modified);
  REQUIRE(changed->tags.size() == 121);
  CHECK(changed->tags.front() == stack_tag(121));
  CHECK(changed->tags.back() == stack_tag(1));

  auto again = feed->list();
  REQUIRE(again);
  CHECK(again->not_modified);
  CHECK(again->tags == changed->tags);
}

TEST_CASE("a release deleted from a later page disappears at the next full relist") {
  GitHubServer server(json{{"releases", stack_releases(250)}});
  // The first page's ETag does not change when page 3 does: only a full relist notices.
  auto conditional = open(server);
  auto relisting =
      detail::open_github_feed(server.url(), test_options(), std::chrono::milliseconds(0));
  REQUIRE(relisting);
  REQUIRE(conditional->list());
  REQUIRE((*relisting)->list());

  server.control({{"delete_release", stack_tag(5)}});
  auto stale = conditional->list();
  REQUIRE(stale);
  CHECK(stale->not_modified);
  auto fresh = (*relisting)->list();
  REQUIRE(fresh);
  CHECK_FALSE(fresh->not_modified);
  CHECK(fresh->tags.size() == 249);
  CHECK(std::find(fresh->tags.begin(), fresh->tags.end(), stack_tag(5)) == fresh->tags.end());
  CHECK(std::find(fresh->tags.begin(), fresh->tags.end(), stack_tag(6)) != fresh->tags.end());
  // The relisting feed never sent If-None-Match; the other sent it once.
  CHECK(server.stats()["conditional"] == 1);
}

TEST_CASE("an exhausted rate limit (403) gives RateLimited with retry_at from X-RateLimit-Reset") {
  GitHubServer server(json{{"releases", stack_releases(3)}});
  auto feed = open(server, test_options(""));
  const long long reset = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          1800;
  server.control({{"rate_limit", {{"kind", "primary"}, {"reset", reset}, {"count", 1}}}});

  auto limited = feed->list();
  REQUIRE_FALSE(limited);
  CHECK(limited.error().kind == ErrorKind::kRateLimited);
  REQUIRE(limited.error().retry_at);
  CHECK(*limited.error().retry_at ==
        std::chrono::system_clock::time_point(std::chrono::seconds(reset)));
  const std::string& m = limited.error().message;
  CHECK(contains(m, "github://cairn-test/stacks"));
  CHECK(contains(m, "retry in"));
  CHECK(contains(m, "GIT_ACCESS_TOKEN"));
  CHECK(contains(m, "fine-grained"));
  // Not retried inside the call: one request, then the limit is over for the server.
  CHECK(server.stats()["rate_limited"] == 1);
  auto after = feed->list();
  REQUIRE(after);
  CHECK(after->tags.size() == 3);
}

TEST_CASE("a secondary rate limit (429 Retry-After) gives RateLimited with retry_at from it") {
  GitHubServer server(json{{"releases", json::array({fetchable_release(stack_tag(3))})}});
  auto feed = open(server);
  server.control({{"rate_limit", {{"kind", "secondary"}, {"retry_after", 120}}}});
  const auto before = std::chrono::system_clock::now();

  auto limited = feed->list();
  REQUIRE_FALSE(limited);
  CHECK(limited.error().kind == ErrorKind::kRateLimited);
  REQUIRE(limited.error().retry_at);
  CHECK(*limited.error().retry_at >= before + std::chrono::seconds(119));
  CHECK(*limited.error().retry_at <= std::chrono::system_clock::now() + std::chrono::seconds(121));
  CHECK(contains(limited.error().message, "Retry-After"));
  CHECK_FALSE(contains(limited.error().message, kToken));

  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kRateLimited);
  CHECK(fetched.error().retry_at);
  CHECK(server.stats()["requests"]["asset_download"] == 0);
}

TEST_CASE("a wrong or expired token gives Unauthorized and its text never appears") {
  GitHubServer server(json{{"releases", json::array({fetchable_release(stack_tag(3))})}});
  const std::string wrong = "ghp_Expired9876543210TokenText";
  auto feed = open(server, test_options(wrong));

  auto listed = feed->list();
  REQUIRE_FALSE(listed);
  CHECK(listed.error().kind == ErrorKind::kUnauthorized);
  CHECK(contains(listed.error().message, "token invalid or expired"));
  CHECK_FALSE(contains(listed.error().message, wrong));
  CHECK_FALSE(contains(listed.error().message, "Expired9876"));

  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kUnauthorized);
  CHECK_FALSE(contains(fetched.error().message, wrong));
  CHECK(server.stats()["unauthorized"] == 2);
  CHECK(empty_dir(dir.path()));
}

TEST_CASE("403 without an exhausted rate limit gives Unauthorized") {
  GitHubServer server(json{{"releases", stack_releases(3)}});
  auto feed = open(server);
  server.control({{"forbidden", true}});
  auto listed = feed->list();
  REQUIRE_FALSE(listed);
  CHECK(listed.error().kind == ErrorKind::kUnauthorized);
  CHECK_FALSE(listed.error().retry_at);
  CHECK(contains(listed.error().message, "403"));
  CHECK(contains(listed.error().message, "read access"));
  CHECK_FALSE(contains(listed.error().message, kToken));
}

TEST_CASE("a missing repository, or a private one without the token, gives NotFound") {
  SECTION("missing repository") {
    GitHubServer server(json{{"releases", stack_releases(3)}});
    auto feed = open(server, test_options(), "missing");
    auto listed = feed->list();
    REQUIRE_FALSE(listed);
    CHECK(listed.error().kind == ErrorKind::kNotFound);
    CHECK(contains(listed.error().message, "cairn-test/missing"));
    CHECK(contains(listed.error().message, "not found or the token cannot read it"));
  }
  SECTION("private repository read anonymously, then with the token") {
    GitHubServer server(json{{"releases", stack_releases(3)}, {"private", true}});
    auto anonymous = open(server, test_options(""));
    auto listed = anonymous->list();
    REQUIRE_FALSE(listed);
    CHECK(listed.error().kind == ErrorKind::kNotFound);
    CHECK(contains(listed.error().message, "GIT_ACCESS_TOKEN"));
    auto authorized = open(server);
    auto ok = authorized->list();
    REQUIRE(ok);
    CHECK(ok->tags.size() == 3);
  }
}

TEST_CASE("fetching a tag that has no release gives NotFound naming the tag") {
  GitHubServer server(json{{"releases", json::array({fetchable_release(stack_tag(3))})}});
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(99), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kNotFound);
  CHECK(contains(fetched.error().message, stack_tag(99)));
  CHECK(empty_dir(dir.path()));
}

TEST_CASE("fetch follows the 302 to the asset port, checks digests, sends no token there") {
  GitHubServer server(json{{"releases", json::array({fetchable_release(stack_tag(3))})}});
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  INFO(server.log());
  REQUIRE(fetched);
  REQUIRE(fetched->size() == 3);

  const ReleaseFile& metadata = (*fetched)[0];
  CHECK(metadata.name == "metadata.yaml");
  CHECK(read_file(dir / "metadata.yaml") == kMetadata);
  CHECK(metadata.size == kMetadata.size());
  CHECK(metadata.sha256 == cairn::sources::sha256_hex(kMetadata));
  CHECK(metadata.published_sha256 == metadata.sha256);

  const ReleaseFile& chart = (*fetched)[1];
  CHECK(chart.name == "docker-ferrol-1-27-cluster-class-v3.tgz");
  CHECK(chart.size == 300000);
  CHECK(fs::file_size(dir / chart.name) == 300000);
  auto on_disk = cairn::sources::sha256_file(dir / chart.name);
  REQUIRE(on_disk);
  CHECK(chart.sha256 == *on_disk);
  CHECK(chart.published_sha256 == chart.sha256);

  const ReleaseFile& notes = (*fetched)[2];
  CHECK(notes.name == "notes.txt");
  CHECK(notes.published_sha256.empty());
  CHECK(notes.sha256 == cairn::sources::sha256_hex(read_file(dir / "notes.txt")));

  const json stats = server.stats();
  CHECK(stats["requests"]["asset_api"] == 3);
  CHECK(stats["requests"]["asset_download"] == 3);
  CHECK(stats["asset_port_authorization"] == 0);
  CHECK(stats["bad_signature"] == 0);
  CHECK(stats["auth_schemes"]["bearer"] == 4);  // the release and three asset API requests
  const auto fs = feed->stats();
  CHECK(fs.downloads == 3);
  CHECK(fs.bytes == kMetadata.size() + 300000 + notes.size);
  CHECK(fs.retries == 0);
}

TEST_CASE("a connection reset mid-download is retried and the file is whole") {
  json data = {{"releases", json::array({fetchable_release(stack_tag(3))})}};
  data["releases"][0]["assets"][1]["fault"] = "fail_once";
  GitHubServer server(data);
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  INFO(server.log());
  REQUIRE(fetched);
  const ReleaseFile& chart = (*fetched)[1];
  CHECK(chart.size == 300000);
  CHECK(chart.sha256 == chart.published_sha256);
  CHECK(fs::file_size(dir / chart.name) == 300000);
  CHECK(server.stats()["downloads"][stack_tag(3) + "/" + chart.name] == 2);
  CHECK(feed->stats().retries >= 1);
}

TEST_CASE("a connection reset on every attempt gives Transport after max_attempts") {
  json data = {{"releases", json::array({fetchable_release(stack_tag(3))})}};
  data["releases"][0]["assets"][1]["fault"] = "reset";
  GitHubServer server(data);
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kTransport);
  CHECK(contains(fetched.error().message, "docker-ferrol-1-27-cluster-class-v3.tgz"));
  CHECK(contains(fetched.error().message, stack_tag(3)));
  CHECK_FALSE(contains(fetched.error().message, "X-Amz-Signature"));
  CHECK(server.stats()["downloads"][stack_tag(3) + "/docker-ferrol-1-27-cluster-class-v3.tgz"] ==
        3);
  CHECK(feed->stats().retries == 2);
}

TEST_CASE("a stalled download gives Transport after the stall timeout, not the server's delay") {
  json data = {{"releases", json::array({fetchable_release(stack_tag(3))})}};
  data["releases"][0]["assets"][0]["fault"] = "stall";
  GitHubServer server(data, {"--stall-seconds", "60"});
  FeedOptions options = test_options();
  options.stall_timeout = std::chrono::seconds(1);
  options.max_attempts = 2;
  auto feed = open(server, options);
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kTransport);
  CHECK(contains(fetched.error().message, "metadata.yaml"));
  // Two attempts of about a second each; the server would have stalled for two minutes.
  CHECK(elapsed < std::chrono::seconds(30));
  CHECK(server.stats()["downloads"][stack_tag(3) + "/metadata.yaml"] == 2);
}

TEST_CASE("content that does not match the published digest gives Integrity") {
  json data = {{"releases", json::array({fetchable_release(stack_tag(3))})}};
  data["releases"][0]["assets"][0]["fault"] = "wrong_content";
  GitHubServer server(data);
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kIntegrity);
  const std::string& m = fetched.error().message;
  CHECK(contains(m, "metadata.yaml"));
  CHECK(contains(m, stack_tag(3)));
  CHECK(contains(m, cairn::sources::sha256_hex(kMetadata)));
  std::string corrupted = kMetadata;
  corrupted[0] = static_cast<char>(corrupted[0] ^ 0xff);
  CHECK(contains(m, cairn::sources::sha256_hex(corrupted)));
  CHECK(feed->stats().downloads == 0);
}

TEST_CASE("a size that differs from the published one gives Integrity") {
  json data = {{"releases", json::array({fetchable_release(stack_tag(3))})}};
  data["releases"][0]["assets"][2]["size"] = 7;
  GitHubServer server(data);
  auto feed = open(server);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kIntegrity);
  CHECK(contains(fetched.error().message, "notes.txt"));
  CHECK(contains(fetched.error().message, "GitHub lists 7"));
}

TEST_CASE("an asset larger than max_file_bytes gives TooLarge before it is downloaded") {
  GitHubServer server(json{{"releases", json::array({fetchable_release(stack_tag(3))})}});
  FeedOptions options = test_options();
  options.max_file_bytes = 100000;
  auto feed = open(server, options);
  TempDir dir;
  auto fetched = feed->fetch(stack_tag(3), dir.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kTooLarge);
  CHECK(contains(fetched.error().message, "docker-ferrol-1-27-cluster-class-v3.tgz"));
  CHECK(server.stats()["requests"]["asset_download"] == 0);
}

TEST_CASE("asset names that are not plain file names are rejected before any download") {
  const std::vector<std::string> hostile = {"../escape.yaml", "..", ".hidden", "charts/x.tgz",
                                            "a\\b.tgz",       "",   "x..y",    "bell\a"};
  json releases = json::array();
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    releases.push_back(release("hostile-" + std::to_string(i),
                               json::array({text_asset("metadata.yaml", kMetadata),
                                            text_asset(hostile[i], "escaped\n")})));
  }
  GitHubServer server(json{{"releases", releases}});
  auto feed = open(server);
  TempDir outer;
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    INFO("asset name \"" << hostile[i] << "\"");
    const fs::path dir = outer / ("release-" + std::to_string(i));
    fs::create_directory(dir);
    auto fetched = feed->fetch("hostile-" + std::to_string(i), dir);
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().kind == ErrorKind::kInvalidRelease);
    CHECK(contains(fetched.error().message, "not a plain file name"));
    CHECK(empty_dir(dir));
  }
  CHECK_FALSE(fs::exists(outer / "escape.yaml"));
  CHECK(server.stats()["requests"]["asset_api"] == 0);
}

TEST_CASE("list and fetch run from 4 threads at once on one feed") {
  json releases = stack_releases(150);
  for (int i = 0; i < 4; ++i)
    releases.insert(releases.begin(), fetchable_release(stack_tag(200 + i)));
  GitHubServer server(json{{"releases", releases}});
  auto feed = open(server);
  TempDir dirs;
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::size_t> list_sizes;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const fs::path dir = dirs / ("t" + std::to_string(i));
      fs::create_directory(dir);
      for (int round = 0; round < 5; ++round) {
        auto listed = feed->list();
        std::lock_guard lock(mu);
        if (listed) {
          list_sizes.push_back(listed->tags.size());
        } else {
          failures.push_back(listed.error().message);
        }
      }
      auto fetched = feed->fetch(stack_tag(200 + i), dir);
      std::lock_guard lock(mu);
      if (!fetched) {
        failures.push_back(fetched.error().message);
      } else if (fetched->size() != 3 ||
                 cairn::testing::try_read_file(dir / "metadata.yaml") != kMetadata ||
                 (*fetched)[1].sha256 != (*fetched)[1].published_sha256) {
        failures.push_back("thread " + std::to_string(i) + ": wrong files");
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO(server.log());
  CHECK(failures.empty());
  REQUIRE(list_sizes.size() == 20);
  for (std::size_t n : list_sizes) CHECK(n == 154);
  const auto stats = feed->stats();
  CHECK(stats.downloads == 12);
  CHECK(server.stats()["asset_port_authorization"] == 0);
  // Each thread's lists after its first are conditional and answered 304; a full list is two
  // pages; the rest are 4 release and 12 asset requests.
  CHECK(stats.not_modified >= 16);
  CHECK(stats.retries == 0);
  const auto full_lists = (stats.requests - 16 - stats.not_modified) / 2;
  CHECK(stats.not_modified + full_lists == 20);
}
