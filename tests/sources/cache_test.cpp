// The release cache: downloads publish atomically and verified, reuse re-verifies, concurrent
// users share one download, faults leave nothing behind, eviction frees what is unused.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "sources/cache.h"
#include "sources/digest.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace fs = std::filesystem;
using namespace cairn::sources;
using cairn::testing::read_file;
using cairn::testing::run_command;
using cairn::testing::TempDir;
using cairn::testing::write_file;

namespace {

const fs::path kExample = fs::path(CAIRN_SOURCE_DIR) / "examples/cluster-stacks/docker-demo-1-32";

// Packs `chart_dir` as a Helm chart archive whose top directory is `top`. The archive's bytes
// depend on the files' contents only (no times, owners or order of the copy), so that equal
// charts packed a second apart are equal assets.
void pack_chart(const fs::path& chart_dir, const std::string& top, const fs::path& out) {
  TempDir stage("cairn-pack");
  fs::copy(chart_dir, stage / top, fs::copy_options::recursive);
  std::string log;
  REQUIRE(run_command({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0",
                       "--numeric-owner", "-I", "gzip -n", "-cf", out.string(), "-C",
                       stage.path().string(), top},
                      &log) == 0);
}

// The example stack packaged as releases docker-demo-1-32-v<version>: the files a feed serves.
fs::path make_release(const fs::path& store, int version) {
  const std::string tag = "docker-demo-1-32-v" + std::to_string(version);
  const fs::path dir = store / tag;
  fs::create_directories(dir);
  std::string metadata = read_file(kExample / "metadata.yaml");
  metadata.replace(metadata.find("clusterStack: v1"), 16,
                   "clusterStack: v" + std::to_string(version));
  write_file(dir / "metadata.yaml", metadata);
  fs::copy_file(kExample / "cluster-addon-values.yaml", dir / "cluster-addon-values.yaml");
  TempDir chart("cairn-chart");
  fs::copy(kExample / "cluster-class", chart / "c", fs::copy_options::recursive);
  std::string chart_yaml = read_file(chart / "c/Chart.yaml");
  chart_yaml.replace(chart_yaml.find("version: v1"), 11, "version: v" + std::to_string(version));
  write_file(chart / "c/Chart.yaml", chart_yaml);
  pack_chart(chart / "c", "docker-demo-1-32-cluster-class",
             dir / ("docker-demo-1-32-cluster-class-v" + std::to_string(version) + ".tgz"));
  pack_chart(kExample / "cluster-addon", "docker-demo-1-32-cluster-addon",
             dir / "docker-demo-1-32-cluster-addon-v1.tgz");
  return dir;
}

// A feed over a directory of releases, with faults the test turns on: the cache's collaborator,
// so that every way a download can fail is reachable. Counts fetches.
class TestFeed : public Feed {
 public:
  explicit TestFeed(fs::path store)
      : store_(std::move(store)), url_(FeedUrl::parse("file://" + store_.string()).value()) {}

  const FeedUrl& url() const override { return url_; }
  Result<ListResult> list() override { return ListResult{}; }
  FeedStats stats() const override { return FeedStats{}; }

  Result<std::vector<ReleaseFile>> fetch(const std::string& tag, const fs::path& dir) override {
    fetches.fetch_add(1);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (block) {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    const fs::path src = store_ / tag;
    if (!fs::exists(src)) return make_error(ErrorKind::kNotFound, "no release " + tag);
    std::vector<ReleaseFile> files;
    for (const auto& e : fs::directory_iterator(src)) {
      const std::string name = e.path().filename().string();
      std::string data = read_file(e.path());
      if (name == fail_on) {
        write_file(dir / name, data.substr(0, data.size() / 2));
        return make_error(ErrorKind::kTransport, "connection reset while downloading " + name);
      }
      write_file(dir / name, data);
      ReleaseFile f;
      f.name = name;
      f.size = data.size();
      f.sha256 = sha256_hex(data);
      files.push_back(f);
    }
    return files;
  }

  std::atomic<int> fetches{0};
  std::chrono::milliseconds delay{0};
  bool block = false;
  std::string fail_on;

 private:
  fs::path store_;
  FeedUrl url_;
};

std::unique_ptr<Cache> open_cache(const fs::path& dir, std::chrono::seconds max_unused =
                                                           std::chrono::hours(1)) {
  CacheOptions o;
  o.dir = dir;
  o.max_unused = max_unused;
  return Cache::open(o).value();
}

// Every entry below DIR/tmp (leftovers of failed downloads would show here).
std::size_t tmp_entries(const fs::path& cache) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(cache / "tmp"), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("a release is downloaded once, published complete and reused") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  auto first = cache->get(feed, "docker-demo-1-32-v1");
  REQUIRE(first);
  CHECK_FALSE(first->reused);
  CHECK(first->layout.metadata.kubernetes.str() == "v1.32.5");
  CHECK(first->layout.cluster_class_chart == "docker-demo-1-32-cluster-class-v1.tgz");
  CHECK(fs::exists(first->dir / "metadata.yaml"));
  CHECK(fs::exists(first->dir / ".cairn-release.json"));
  CHECK(first->files.size() == 4);
  auto second = cache->get(feed, "docker-demo-1-32-v1");
  REQUIRE(second);
  CHECK(second->reused);
  CHECK(second->dir == first->dir);
  CHECK(feed.fetches == 1);
  // A new process (a new Cache) re-verifies and reuses it too.
  auto other = open_cache(cache_dir.path());
  auto third = other->get(feed, "docker-demo-1-32-v1");
  REQUIRE(third);
  CHECK(third->reused);
  CHECK(feed.fetches == 1);
  CHECK(tmp_entries(cache_dir.path()) == 0);
  auto looked = other->lookup(feed.url(), "docker-demo-1-32-v1");
  REQUIRE(looked);
  CHECK(looked->has_value());
  CHECK_FALSE(other->lookup(feed.url(), "docker-demo-1-32-v9").value().has_value());
}

TEST_CASE("concurrent users of one release share a single download") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  TestFeed feed(store.path());
  feed.delay = std::chrono::milliseconds(300);
  auto cache = open_cache(cache_dir.path());
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<fs::path> dirs;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto r = cache->get(feed, "docker-demo-1-32-v1");
      if (!r) {
        failures++;
        return;
      }
      std::lock_guard lock(mu);
      dirs.push_back(r->dir);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(feed.fetches == 1);
  REQUIRE(dirs.size() == 6);
  for (const auto& d : dirs) CHECK(d == dirs.front());
}

TEST_CASE("readers never see a half-written release") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  TestFeed feed(store.path());
  feed.delay = std::chrono::milliseconds(500);
  auto cache = open_cache(cache_dir.path());
  std::atomic<bool> done{false};
  std::atomic<int> complete_views{0}, broken_views{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      auto reader = open_cache(cache_dir.path());
      while (!done) {
        auto r = reader->lookup(feed.url(), "docker-demo-1-32-v1");
        if (!r) {
          broken_views++;
        } else if (r->has_value()) {
          bool all = true;
          for (const auto& f : (*r)->files) {
            all = all && fs::file_size((*r)->dir / f.name) == f.size;
          }
          (all ? complete_views : broken_views)++;
        }
      }
    });
  }
  auto r = cache->get(feed, "docker-demo-1-32-v1");
  // Let the readers see the published entry a few times.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (complete_views < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  done = true;
  for (auto& t : readers) t.join();
  REQUIRE(r);
  CHECK(broken_views == 0);
  CHECK(complete_views >= 3);
}

TEST_CASE("a download that fails midway leaves no entry and no leftovers") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  TestFeed feed(store.path());
  feed.fail_on = "docker-demo-1-32-cluster-class-v1.tgz";
  auto cache = open_cache(cache_dir.path());
  auto r = cache->get(feed, "docker-demo-1-32-v1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kTransport);
  CHECK_THAT(r.error().message, Catch::StartsWith("feed file://" + store.path().string() +
                                                  ": release docker-demo-1-32-v1: "));
  CHECK_FALSE(cache->lookup(feed.url(), "docker-demo-1-32-v1").value().has_value());
  CHECK(tmp_entries(cache_dir.path()) == 0);
  // The next attempt succeeds.
  feed.fail_on.clear();
  CHECK(cache->get(feed, "docker-demo-1-32-v1"));
}

TEST_CASE("a checksum file in the release is enforced") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  const fs::path rel = make_release(store.path(), 1);
  const std::string md = read_file(rel / "metadata.yaml");
  write_file(rel / "sha256sum.txt", sha256_hex(md) + "  metadata.yaml\n");
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  CHECK(cache->get(feed, "docker-demo-1-32-v1"));

  TempDir store2("cairn-store"), cache_dir2("cairn-cache");
  const fs::path rel2 = make_release(store2.path(), 1);
  write_file(rel2 / "SHA256SUMS", std::string(64, '0') + " *metadata.yaml\n");
  TestFeed feed2(store2.path());
  auto cache2 = open_cache(cache_dir2.path());
  auto bad = cache2->get(feed2, "docker-demo-1-32-v1");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::kIntegrity);
  CHECK_THAT(bad.error().message, Catch::Contains("\"metadata.yaml\" does not match SHA256SUMS"));
  CHECK_FALSE(cache2->lookup(feed2.url(), "docker-demo-1-32-v1").value().has_value());

  write_file(rel2 / "SHA256SUMS", "not a checksum line\n");
  auto malformed = cache2->get(feed2, "docker-demo-1-32-v1");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().kind == ErrorKind::kInvalidRelease);
  write_file(rel2 / "SHA256SUMS", std::string(64, 'a') + "  missing.tgz\n");
  auto missing = cache2->get(feed2, "docker-demo-1-32-v1");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("which the release does not contain"));
}

TEST_CASE("a cached file changed on disk is detected and downloaded again") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  auto r = cache->get(feed, "docker-demo-1-32-v1");
  REQUIRE(r);
  const fs::path victim = r->dir / "cluster-addon-values.yaml";
  fs::permissions(victim, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(victim, std::ios::app) << "# tampered\n";
  auto fresh = open_cache(cache_dir.path());  // as a new process would
  CHECK_FALSE(fresh->lookup(feed.url(), "docker-demo-1-32-v1").value().has_value());
  auto again = fresh->get(feed, "docker-demo-1-32-v1");
  REQUIRE(again);
  CHECK_FALSE(again->reused);
  CHECK(feed.fetches == 2);
  CHECK(read_file(again->dir / "cluster-addon-values.yaml") ==
        read_file(store / "docker-demo-1-32-v1/cluster-addon-values.yaml"));
}

TEST_CASE("hostile archives, bad metadata and non-release tags are refused before publishing") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  const fs::path rel = make_release(store.path(), 1);
  // A chart archive with an entry that climbs out of its directory (tar itself refuses to
  // write one; Python's tarfile does as told).
  std::string log;
  REQUIRE(run_command({"/usr/bin/python3", "-c",
                       "import io, sys, tarfile\n"
                       "with tarfile.open(sys.argv[1], 'w:gz') as t:\n"
                       "  data = b'name: x\\n'\n"
                       "  info = tarfile.TarInfo('../../Chart.yaml')\n"
                       "  info.size = len(data)\n"
                       "  t.addfile(info, io.BytesIO(data))\n",
                       (rel / "docker-demo-1-32-cluster-class-v1.tgz").string()},
                      &log) == 0);
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  auto hostile = cache->get(feed, "docker-demo-1-32-v1");
  REQUIRE_FALSE(hostile);
  CHECK(hostile.error().kind == ErrorKind::kHostileArchive);
  CHECK_THAT(hostile.error().message, Catch::Contains("docker-demo-1-32-cluster-class-v1.tgz"));
  CHECK_FALSE(fs::exists(cache_dir.path().parent_path() / "Chart.yaml"));
  CHECK(tmp_entries(cache_dir.path()) == 0);

  make_release(store.path(), 2);
  write_file(store / "docker-demo-1-32-v2/metadata.yaml", "versions:\n  clusterStack: v2\n");
  auto bad = cache->get(feed, "docker-demo-1-32-v2");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::kInvalidRelease);
  CHECK_THAT(bad.error().message, Catch::Contains("metadata.yaml"));

  auto not_tag = cache->get(feed, "openstack-scs-v5");
  REQUIRE_FALSE(not_tag);
  CHECK(not_tag.error().kind == ErrorKind::kInvalidRelease);
  CHECK_THAT(not_tag.error().message, Catch::Contains("not a cluster-stack release tag"));
  CHECK(feed.fetches == 2);
}

TEST_CASE("equal assets of different releases are stored once") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  make_release(store.path(), 2);
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  auto a = cache->get(feed, "docker-demo-1-32-v1");
  auto b = cache->get(feed, "docker-demo-1-32-v2");
  REQUIRE(a);
  REQUIRE(b);
  struct stat sa {}, sb {};
  REQUIRE(::stat((a->dir / "docker-demo-1-32-cluster-addon-v1.tgz").c_str(), &sa) == 0);
  REQUIRE(::stat((b->dir / "docker-demo-1-32-cluster-addon-v1.tgz").c_str(), &sb) == 0);
  CHECK(sa.st_ino == sb.st_ino);
  CHECK(sa.st_nlink == 3);  // two releases and the blob
}

TEST_CASE("eviction removes unused releases, orphaned blobs and old leftovers") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  make_release(store.path(), 2);
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path(), std::chrono::hours(1));
  auto old = cache->get(feed, "docker-demo-1-32-v1");
  auto recent = cache->get(feed, "docker-demo-1-32-v2");
  REQUIRE(old);
  REQUIRE(recent);
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(old->dir / ".cairn-release.json", two_hours_ago);
  fs::create_directories(cache_dir / "tmp/docker-demo-1-32-v3-abandoned/release");
  fs::last_write_time(cache_dir / "tmp/docker-demo-1-32-v3-abandoned", two_hours_ago);
  auto stats = cache->evict();
  REQUIRE(stats);
  CHECK(stats->releases == 1);
  CHECK(stats->leftovers == 1);
  // metadata.yaml and the class chart differ between the releases; values and addon are shared.
  CHECK(stats->blobs == 2);
  CHECK(stats->bytes > 0);
  CHECK_FALSE(fs::exists(old->dir));
  CHECK(fs::exists(recent->dir / "metadata.yaml"));
  CHECK(cache->get(feed, "docker-demo-1-32-v2").value().reused);
  CHECK(tmp_entries(cache_dir.path()) == 0);
}

TEST_CASE("a process killed during a download leaves the release downloadable") {
  TempDir store("cairn-store"), cache_dir("cairn-cache");
  make_release(store.path(), 1);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    TestFeed blocking(store.path());
    blocking.block = true;  // holds the release lock and a half-made temp dir until killed
    auto cache = open_cache(cache_dir.path());
    (void)cache->get(blocking, "docker-demo-1-32-v1");
    ::_exit(0);
  }
  // The child dies with this scope whatever happens below.
  struct Reaper {
    pid_t pid;
    ~Reaper() { now(); }
    void now() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
      }
      pid = -1;
    }
  } reaper{child};
  // Wait until the child is inside the download (its temp dir exists).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((!fs::exists(cache_dir / "tmp") || tmp_entries(cache_dir.path()) == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(tmp_entries(cache_dir.path()) == 1);
  reaper.now();  // kill -9 mid-download
  TestFeed feed(store.path());
  auto cache = open_cache(cache_dir.path());
  auto r = cache->get(feed, "docker-demo-1-32-v1");  // the lock died with the child
  REQUIRE(r);
  CHECK_FALSE(r->reused);
  // The child's temp dir is a leftover for eviction (once old enough), never a visible entry.
  CHECK(tmp_entries(cache_dir.path()) == 1);
}
