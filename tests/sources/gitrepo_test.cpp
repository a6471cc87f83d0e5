// The Git feed against real repositories made with `git` in the test, served by `git daemon` on
// loopback and read through file:// URLs: tag listing and its "not modified" answer, release
// files from the tagged tree (root and ?path=), refused entries, errors, the cache repository and
// its locking, and credentials against an HTTP server that always answers 401.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "sources/detail/feeds.h"
#include "sources/digest.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace fs = std::filesystem;
using namespace cairn::sources;
using cairn::testing::free_port;
using cairn::testing::Process;
using cairn::testing::read_file;
using cairn::testing::run_command;
using cairn::testing::TempDir;
using cairn::testing::wait_for_port;
using cairn::testing::write_file;

namespace {

struct File {
  std::string content;
  bool executable = false;
  friend bool operator==(const File&, const File&) = default;
};
using Files = std::map<std::string, File>;

// Deterministic binary content with every byte value (a stand-in for a chart archive).
std::string binary_blob(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

// The files of release docker-demo-1-32-v<version>: metadata, values, an archive, a plain chart
// directory and an executable helper.
Files release_files(int version) {
  const std::string v = "v" + std::to_string(version);
  Files f;
  std::string metadata =
      "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\n"
      "versions:\n"
      "  clusterStack: VERSION\n"
      "  kubernetes: v1.32.1\n"
      "  components:\n"
      "    clusterAddon: v1\n"
      "    nodeImage: v1\n";
  metadata.replace(metadata.find("VERSION"), 7, v);
  f["metadata.yaml"] = {metadata, false};
  f["cluster-addon-values.yaml"] = {"values: |\n  cni: {}\n", false};
  f["docker-demo-1-32-cluster-addon-v1.tgz"] = {binary_blob(70'000, version), false};
  const std::string chart = "docker-demo-1-32-cluster-class-" + v + "/";
  f[chart + "Chart.yaml"] = {
      "apiVersion: v2\nname: docker-demo-1-32-cluster-class\nversion: " + v + "\n", false};
  f[chart + "templates/cluster-class.yaml"] = {"kind: ClusterClass\n", false};
  f["hack/build.sh"] = {"#!/bin/sh\necho build\n", true};
  return f;
}

// A work repository where the test commits and tags, and a bare repository `srv/repo.git` the
// feeds read (published with `git push`), in one temporary directory.
class GitRepo {
 public:
  GitRepo() {
    fs::create_directories(root_ / "home");
    fs::create_directories(root_ / "srv");
    env_ = {"HOME=" + (root_ / "home").string(), "GIT_CONFIG_NOSYSTEM=1",
            "GIT_AUTHOR_NAME=cairn test",        "GIT_AUTHOR_EMAIL=test@cairn.invalid",
            "GIT_COMMITTER_NAME=cairn test",     "GIT_COMMITTER_EMAIL=test@cairn.invalid"};
    git({"init", "-q", "-b", "main", work().string()}, root_.path());
    git({"init", "-q", "--bare", bare().string()}, root_.path());
  }

  fs::path work() const { return root_ / "work"; }
  fs::path base() const { return root_ / "srv"; }
  fs::path bare() const { return base() / "repo.git"; }
  fs::path dir(const std::string& name) const {
    fs::create_directories(root_ / name);
    return root_ / name;
  }
  const std::vector<std::string>& env() const { return env_; }

  std::string git(std::vector<std::string> args, const fs::path& cwd = {}) const {
    args.insert(args.begin(), "git");
    std::string out;
    const int rc = run_command(args, &out, cwd.empty() ? work() : cwd, env_);
    INFO("git " << args[1] << ": " << out);
    REQUIRE(rc == 0);
    return out;
  }

  void sh(const std::string& script) const {
    std::string out;
    const int rc = run_command({"sh", "-c", script}, &out, work(), env_);
    INFO("sh: " << out);
    REQUIRE(rc == 0);
  }

  void write(const Files& files, const std::string& under = "") const {
    for (const auto& [name, file] : files) {
      const fs::path p = work() / under / name;
      write_file(p, file.content);
      fs::permissions(p, file.executable ? fs::perms(0755) : fs::perms(0644));
    }
  }
  void remove_all_files() const {
    for (const auto& e : fs::directory_iterator(work())) {
      if (e.path().filename() != ".git") fs::remove_all(e.path());
    }
  }
  // Commits everything in the work tree; returns the commit id.
  std::string commit(const std::string& message) const {
    git({"add", "-A"});
    git({"commit", "-q", "--allow-empty", "-m", message});
    std::string head = git({"rev-parse", "HEAD"});
    head.erase(head.find_last_not_of("\r\n") + 1);
    return head;
  }
  void tag(const std::string& name, bool annotated) const {
    if (annotated) {
      git({"tag", "-f", "-a", "-m", "release " + name, name});
    } else {
      git({"tag", "-f", name});
    }
  }
  void publish() const {
    git({"push", "-q", "--force", bare().string(), "refs/tags/*:refs/tags/*"});
  }

  std::string file_url(const std::string& path = "") const {
    return "git+file://" + bare().string() + (path.empty() ? "" : "?path=" + path);
  }

 private:
  TempDir root_{"cairn-gitrepo"};
  std::vector<std::string> env_;
};

// `git daemon` serving the bare repositories below `base` on a free loopback port.
class Daemon {
 public:
  Daemon(const fs::path& base, const fs::path& log)
      : port_(free_port()),
        process_({"git", "daemon", "--reuseaddr", "--export-all", "--base-path=" + base.string(),
                  "--listen=127.0.0.1", "--port=" + std::to_string(port_), base.string()},
                 log) {
    INFO(process_.log());
    REQUIRE(wait_for_port(port_));
  }
  std::string url(const std::string& path = "") const {
    return "git://127.0.0.1:" + std::to_string(port_) + "/repo.git" +
           (path.empty() ? "" : "?path=" + path);
  }
  void stop() { process_.stop(); }
  std::string log() const { return process_.log(); }

 private:
  int port_;
  Process process_;
};

FeedOptions options_in(const fs::path& work_dir) {
  FeedOptions o;
  o.work_dir = work_dir;
  o.retry_base_delay = std::chrono::milliseconds(10);
  return o;
}

std::unique_ptr<Feed> open(const std::string& url, FeedOptions options) {
  auto parsed = FeedUrl::parse(url);
  INFO(url);
  REQUIRE(parsed);
  auto feed = detail::open_git_feed(*parsed, std::move(options));
  REQUIRE(feed);
  return std::move(*feed);
}

// What a fetch wrote: every regular file with its content and executable bit.
Files files_below(const fs::path& dir) {
  Files found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    REQUIRE_FALSE(e.is_symlink());
    if (!e.is_regular_file()) continue;
    const auto perms = fs::status(e.path()).permissions();
    found[fs::relative(e.path(), dir).generic_string()] = {
        read_file(e.path()), (perms & fs::perms::owner_exec) != fs::perms::none};
  }
  return found;
}

// The written files equal `expected` byte for byte and in mode, and the returned list names
// each of them with its size and digest.
void expect_release(const fs::path& dir, const Files& expected,
                    const std::vector<ReleaseFile>& returned) {
  CHECK(files_below(dir) == expected);
  REQUIRE(returned.size() == expected.size());
  for (const auto& f : returned) {
    INFO(f.name);
    const auto it = expected.find(f.name);
    REQUIRE(it != expected.end());
    CHECK(f.size == it->second.content.size());
    CHECK(f.sha256 == sha256_hex(it->second.content));
  }
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// An HTTP server on loopback that answers every request with 401 and a Basic challenge, and
// records the Authorization header of each request ("" when absent).
class RefusingHttpServer {
 public:
  RefusingHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RefusingHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "git+http://127.0.0.1:" + std::to_string(port_) + "/repo.git"; }
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mu_);
    return authorizations_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      handle(c);
      ::close(c);
    }
  }
  void handle(int c) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    std::string authorization;
    std::istringstream lines(request);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string lower_prefix = "authorization:";
      if (line.size() > lower_prefix.size()) {
        std::string head = line.substr(0, lower_prefix.size());
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (head == lower_prefix) {
          authorization = line.substr(lower_prefix.size());
          authorization.erase(0, authorization.find_first_not_of(' '));
        }
      }
    }
    {
      std::lock_guard lock(mu_);
      authorizations_.push_back(authorization);
    }
    const std::string response =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cairn\"\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> authorizations_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("git feed lists hundreds of annotated and lightweight tags without peeled duplicates") {
  GitRepo repo;
  repo.write(release_files(1));
  const std::string head = repo.commit("release files");
  repo.sh("for i in $(seq 1 320); do echo \"create refs/tags/docker-demo-1-32-v$i " + head +
          "\"; done | git update-ref --stdin");
  for (int i = 1; i <= 5; ++i) repo.tag("openstack-scs-1-30-v" + std::to_string(i), true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");

  for (const std::string& url : {daemon.url(), repo.file_url()}) {
    INFO(url);
    auto feed = open(url, options_in(work.path()));
    auto first = feed->list();
    INFO((first ? "" : first.error().message));
    REQUIRE(first);
    CHECK_FALSE(first->not_modified);
    CHECK(first->tags.size() == 325);
    std::set<std::string> tags(first->tags.begin(), first->tags.end());
    CHECK(tags.size() == 325);
    CHECK(tags.count("docker-demo-1-32-v1") == 1);
    CHECK(tags.count("docker-demo-1-32-v320") == 1);
    CHECK(tags.count("openstack-scs-1-30-v5") == 1);
    CHECK(std::none_of(first->tags.begin(), first->tags.end(),
                       [](const std::string& t) { return t.find('^') != std::string::npos; }));
    CHECK(feed->stats().requests == 1);
    CHECK(feed->stats().downloads == 0);
  }
  // Nothing was cloned: list needs no cache repository.
  CHECK(fs::is_empty(work.path()));
}

TEST_CASE("git feed answers not modified while the tags stay and notices a new or moved tag") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.tag("docker-demo-1-32-v2", false);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  auto feed = open(daemon.url(), options_in(work.path()));

  auto first = feed->list();
  REQUIRE(first);
  CHECK_FALSE(first->not_modified);
  CHECK(first->tags == std::vector<std::string>{"docker-demo-1-32-v1", "docker-demo-1-32-v2"});
  auto second = feed->list();
  REQUIRE(second);
  CHECK(second->not_modified);
  CHECK(second->tags == first->tags);
  CHECK(feed->stats().not_modified == 1);

  repo.write(release_files(3));
  repo.commit("v3");
  repo.tag("docker-demo-1-32-v3", false);
  repo.publish();
  auto third = feed->list();
  REQUIRE(third);
  CHECK_FALSE(third->not_modified);
  CHECK(third->tags.size() == 3);
  CHECK(third->tags.back() == "docker-demo-1-32-v3");

  // The same names, but v2 now tags another commit.
  repo.tag("docker-demo-1-32-v2", false);
  repo.publish();
  auto fourth = feed->list();
  REQUIRE(fourth);
  CHECK_FALSE(fourth->not_modified);
  CHECK(fourth->tags == third->tags);
  CHECK(feed->stats().requests == 4);
}

TEST_CASE("git feed fetches a release at the root of an annotated tag byte for byte") {
  GitRepo repo;
  const Files v1 = release_files(1);
  repo.write(v1);
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  TempDir out("cairn-git-out");
  auto feed = open(daemon.url(), options_in(work.path()));

  auto files = feed->fetch("docker-demo-1-32-v1", out.path());
  INFO((files ? "" : files.error().message));
  REQUIRE(files);
  expect_release(out.path(), v1, *files);
  CHECK(fs::is_directory(out / "docker-demo-1-32-cluster-class-v1/templates"));
  CHECK((fs::status(out / "hack/build.sh").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK((fs::status(out / "metadata.yaml").permissions() & fs::perms::owner_exec) ==
        fs::perms::none);
  const FeedStats stats = feed->stats();
  CHECK(stats.requests == 1);
  CHECK(stats.downloads == 1);
  CHECK(stats.bytes > 0);
  CHECK(fs::is_directory(work.path() / (feed->url().key() + ".git")));
}

TEST_CASE("git feed fetches a release below ?path= of a lightweight tag, over git:// and file://") {
  GitRepo repo;
  const Files v2 = release_files(2);
  repo.write({{"README.md", {"stacks\n", false}}});
  repo.write(v2, "releases/docker-demo");
  repo.commit("v2 under releases/");
  repo.tag("docker-demo-1-32-v2", false);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");

  for (const std::string& url :
       {daemon.url("releases/docker-demo"), repo.file_url("releases/docker-demo")}) {
    INFO(url);
    TempDir work("cairn-git-work");
    TempDir out("cairn-git-out");
    auto feed = open(url, options_in(work.path()));
    auto files = feed->fetch("docker-demo-1-32-v2", out.path());
    INFO((files ? "" : files.error().message));
    REQUIRE(files);
    expect_release(out.path(), v2, *files);
    CHECK_FALSE(fs::exists(out / "README.md"));
  }
}

TEST_CASE("git feed refuses a tagged tree holding a symbolic link or a submodule") {
  GitRepo repo;
  repo.write(release_files(1));
  fs::create_symlink("metadata.yaml", repo.work() / "link.yaml");
  repo.commit("with a link");
  repo.tag("docker-demo-1-32-v1", true);
  fs::remove(repo.work() / "link.yaml");
  const std::string head = repo.commit("without the link");
  repo.git({"update-index", "--add", "--cacheinfo", "160000," + head + ",vendor/sub"});
  repo.git({"commit", "-q", "-m", "with a submodule"});
  repo.tag("docker-demo-1-32-v2", false);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  auto feed = open(daemon.url(), options_in(work.path()));

  {
    TempDir out("cairn-git-out");
    auto r = feed->fetch("docker-demo-1-32-v1", out.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kInvalidRelease);
    CHECK_THAT(r.error().message, Catch::Contains("link.yaml") &&
                                      Catch::Contains("symbolic link") &&
                                      Catch::Contains(daemon.url()));
    CHECK_FALSE(fs::exists(fs::symlink_status(out / "link.yaml")));
  }
  {
    TempDir out("cairn-git-out");
    auto r = feed->fetch("docker-demo-1-32-v2", out.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kInvalidRelease);
    CHECK_THAT(r.error().message, Catch::Contains("vendor/sub") && Catch::Contains("submodule"));
  }
}

TEST_CASE("git feed reports a missing tag, a missing path and an invalid tag name as NotFound") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  TempDir out("cairn-git-out");

  auto feed = open(daemon.url(), options_in(work.path()));
  auto missing = feed->fetch("docker-demo-1-32-v9", out.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(missing.error().message,
             Catch::Contains("docker-demo-1-32-v9") && Catch::Contains(daemon.url()));

  auto with_path = open(daemon.url("releases/none"), options_in(work.path()));
  auto no_path = with_path->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(no_path);
  CHECK(no_path.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(no_path.error().message,
             Catch::Contains("releases/none") && Catch::Contains("docker-demo-1-32-v1"));

  // A file is no directory either.
  auto file_path = open(daemon.url("metadata.yaml"), options_in(work.path()));
  auto not_dir = file_path->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(not_dir);
  CHECK(not_dir.error().kind == ErrorKind::kNotFound);

  for (const std::string bad : {"", "a..b", "x:y", "*", "../v1"}) {
    INFO(bad);
    auto r = feed->fetch(bad, out.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kNotFound);
  }
  CHECK(fs::is_empty(out.path()));
}

TEST_CASE("git feed reports a stopped daemon as a transport error after retrying") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  FeedOptions options = options_in(work.path());
  options.max_attempts = 2;
  auto feed = open(daemon.url(), options);
  REQUIRE(feed->list());
  daemon.stop();

  auto listed = feed->list();
  REQUIRE_FALSE(listed);
  CHECK(listed.error().kind == ErrorKind::kTransport);
  CHECK_THAT(listed.error().message, Catch::Contains(daemon.url()));
  TempDir out("cairn-git-out");
  auto fetched = feed->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind == ErrorKind::kTransport);
  CHECK_THAT(fetched.error().message, Catch::Contains("docker-demo-1-32-v1"));
  const FeedStats stats = feed->stats();
  CHECK(stats.retries == 2);
  CHECK(stats.requests == 5);
}

TEST_CASE("git feed reports a repository path that does not exist as NotFound") {
  TempDir dir("cairn-git-none");
  TempDir work("cairn-git-work");
  auto feed = open("git+file://" + (dir.path() / "absent.git").string(), options_in(work.path()));
  auto r = feed->list();
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(r.error().message, Catch::Contains("absent.git"));
}

TEST_CASE("git feed reuses its cache repository and fetches a moved tag again") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  auto feed = open(daemon.url(), options_in(work.path()));

  TempDir first("cairn-git-out");
  REQUIRE(feed->fetch("docker-demo-1-32-v1", first.path()));
  const FeedStats after_first = feed->stats();
  CHECK(after_first.downloads == 1);

  // The second fetch connects to read the tag's oid, finds it in the cache and transfers
  // nothing.
  TempDir second("cairn-git-out");
  auto again = feed->fetch("docker-demo-1-32-v1", second.path());
  REQUIRE(again);
  expect_release(second.path(), release_files(1), *again);
  CHECK(feed->stats().requests == after_first.requests + 1);
  CHECK(feed->stats().downloads == 1);
  CHECK(feed->stats().bytes == after_first.bytes);

  // Another feed (another process, say) on the same work directory shares the cache.
  auto other = open(daemon.url(), options_in(work.path()));
  TempDir third("cairn-git-out");
  REQUIRE(other->fetch("docker-demo-1-32-v1", third.path()));
  CHECK(other->stats().downloads == 0);

  // A tag moved to other content is fetched again.
  repo.remove_all_files();
  repo.write(release_files(7));
  repo.commit("v1 rebuilt");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  TempDir fourth("cairn-git-out");
  auto moved = feed->fetch("docker-demo-1-32-v1", fourth.path());
  REQUIRE(moved);
  expect_release(fourth.path(), release_files(7), *moved);
  CHECK(feed->stats().downloads == 2);
}

TEST_CASE("two git feeds on one work directory fetch concurrently with identical results") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  Daemon daemon(repo.base(), repo.dir("log") / "daemon.log");
  TempDir work("cairn-git-work");
  std::unique_ptr<Feed> feeds[] = {open(daemon.url(), options_in(work.path())),
                                   open(daemon.url(), options_in(work.path()))};

  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<TempDir>> outs;
  for (int i = 0; i < kThreads; ++i) outs.push_back(std::make_unique<TempDir>("cairn-git-out"));
  std::vector<Result<std::vector<ReleaseFile>>> results(kThreads,
                                                        make_error(ErrorKind::kIo, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = feeds[i % 2]->fetch("docker-demo-1-32-v1", outs[i]->path()); });
  }
  for (auto& t : threads) t.join();

  const Files expected = release_files(1);
  for (int i = 0; i < kThreads; ++i) {
    INFO("thread " << i << ": " << (results[i] ? "" : results[i].error().message));
    REQUIRE(results[i]);
    expect_release(outs[i]->path(), expected, *results[i]);
  }
  // The locks let exactly one fetch transfer the pack; the others found the tag in the cache.
  CHECK(feeds[0]->stats().downloads + feeds[1]->stats().downloads == 1);
}

TEST_CASE("git feed enforces the per-file size limit") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  TempDir work("cairn-git-work");
  TempDir out("cairn-git-out");
  FeedOptions options = options_in(work.path());
  options.max_file_bytes = 50'000;
  auto feed = open(repo.file_url(), options);
  auto r = feed->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kTooLarge);
  CHECK_THAT(r.error().message, Catch::Contains("docker-demo-1-32-cluster-addon-v1.tgz"));
}

TEST_CASE("git feed sends a token once as x-access-token and then gives up with Unauthorized") {
  RefusingHttpServer server;
  TempDir work("cairn-git-work");
  FeedOptions options = options_in(work.path());
  options.credentials.token = "s3cret-t0ken";
  auto feed = open(server.url(), options);

  auto r = feed->list();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kUnauthorized);
  CHECK_THAT(r.error().message, Catch::Contains(server.url()) && Catch::Contains("token"));
  CHECK_THAT(r.error().message, !Catch::Contains("s3cret-t0ken"));
  const auto seen = server.authorizations();
  std::vector<std::string> with_auth;
  for (const auto& a : seen) {
    if (!a.empty()) with_auth.push_back(a);
  }
  REQUIRE(with_auth.size() == 1);
  CHECK(with_auth[0] == "Basic " + base64("x-access-token:s3cret-t0ken"));
  CHECK(feed->stats().retries == 0);
}

TEST_CASE("git feed without credentials says the repository requires them") {
  RefusingHttpServer server;
  TempDir work("cairn-git-work");
  auto feed = open(server.url(), options_in(work.path()));
  auto r = feed->list();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kUnauthorized);
  CHECK_THAT(r.error().message,
             Catch::Contains("requires credentials") && Catch::Contains("GIT_ACCESS_TOKEN"));
  for (const auto& a : server.authorizations()) CHECK(a.empty());
}

TEST_CASE("git feed uses credentials.username with a password") {
  RefusingHttpServer server;
  TempDir work("cairn-git-work");
  FeedOptions options = options_in(work.path());
  options.credentials.username = "robot";
  options.credentials.password = "pa55word";
  auto feed = open(server.url(), options);
  auto r = feed->list();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kUnauthorized);
  CHECK_THAT(r.error().message, !Catch::Contains("pa55word"));
  std::vector<std::string> with_auth;
  for (const auto& a : server.authorizations()) {
    if (!a.empty()) with_auth.push_back(a);
  }
  REQUIRE(with_auth.size() == 1);
  CHECK(with_auth[0] == "Basic " + base64("robot:pa55word"));
}

TEST_CASE("git feed refuses a CA bundle that cannot be read") {
  auto url = FeedUrl::parse("git+https://git.example.com/stacks.git");
  REQUIRE(url);
  FeedOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto feed = detail::open_git_feed(*url, options);
  REQUIRE_FALSE(feed);
  CHECK(feed.error().kind == ErrorKind::kConfig);
  CHECK_THAT(feed.error().message, Catch::Contains("/nonexistent/ca.pem"));
}

TEST_CASE("git feed refuses a tree entry named .git") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.sh(
      "blob=$(git rev-parse HEAD:metadata.yaml) && "
      "tree=$(printf '100644 blob %s\\t.GIT\\n100644 blob %s\\tmetadata.yaml\\n' $blob $blob | "
      "git mktree) && commit=$(git commit-tree -m hostile $tree) && "
      "git tag docker-demo-1-32-v2 $commit");
  repo.publish();
  TempDir work("cairn-git-work");
  TempDir out("cairn-git-out");
  auto feed = open(repo.file_url(), options_in(work.path()));
  auto r = feed->fetch("docker-demo-1-32-v2", out.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kInvalidRelease);
  CHECK_THAT(r.error().message, Catch::Contains("\".GIT\""));
  CHECK(fs::is_empty(out.path()));
}

TEST_CASE("git feeds accept extra CA bundles besides the system's and keep working") {
  GitRepo repo;
  repo.write(release_files(1));
  repo.commit("v1");
  repo.tag("docker-demo-1-32-v1", true);
  repo.publish();
  const fs::path bundle = repo.dir("ca") / "extra.pem";
  write_file(bundle, read_file("/etc/ssl/certs/ca-certificates.crt"));
  TempDir work("cairn-git-work");
  FeedOptions with_ca = options_in(work.path());
  with_ca.ca_file = bundle.string();
  auto plain = open(repo.file_url(), options_in(work.path()));
  auto extra = open(repo.file_url(), with_ca);
  auto second = open(repo.file_url(), with_ca);
  for (Feed* feed : {plain.get(), extra.get(), second.get()}) {
    auto r = feed->list();
    REQUIRE(r);
    CHECK(r->tags == std::vector<std::string>{"docker-demo-1-32-v1"});
  }
  extra.reset();
  auto r = second->list();
  REQUIRE(r);
  CHECK(r->not_modified);
}

TEST_CASE("git feed trusts a self-signed HTTPS server only through ca_file") {
  TempDir tls("cairn-git-tls");
  const fs::path cert = tls / "cert.pem";
  const fs::path key = tls / "key.pem";
  std::string log;
  INFO(log);
  REQUIRE(run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                       key.string(), "-out", cert.string(), "-days", "2", "-subj", "/CN=127.0.0.1",
                       "-addext", "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1"},
                      &log) == 0);
  // s_server -WWW answers a plain-text page for a file that does not exist: an answer that is
  // read at all shows that the TLS handshake succeeded.
  const int port = free_port();
  Process server(
      {"openssl", "s_server", "-quiet", "-WWW", "-accept", "127.0.0.1:" + std::to_string(port),
       "-cert", cert.string(), "-key", key.string()},
      tls / "server.log", {}, tls.path());
  REQUIRE(wait_for_port(port));
  const std::string url = "git+https://127.0.0.1:" + std::to_string(port) + "/repo.git";
  TempDir work("cairn-git-work");
  FeedOptions options = options_in(work.path());
  options.max_attempts = 1;

  auto untrusted = open(url, options)->list();
  REQUIRE_FALSE(untrusted);
  INFO(untrusted.error().message);
  CHECK(untrusted.error().kind == ErrorKind::kTransport);
  CHECK_THAT(untrusted.error().message, Catch::Contains("certificate"));

  options.ca_file = cert.string();
  auto trusted = open(url, options)->list();
  REQUIRE_FALSE(trusted);
  INFO(trusted.error().message);
  CHECK_THAT(trusted.error().message,
             Catch::Contains("content-type") && !Catch::Contains("certificate"));
}
