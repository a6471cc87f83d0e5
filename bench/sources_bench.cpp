// Release feeds on loopback: for each feed type (file, Git through git daemon, GitHub through
// tests/sources/github_server.py, OCI through Debian's docker-registry), the time to list 500
// release tags, the time to fetch one ~20 MiB release into a fresh cache (download, verify,
// test-extract, validate, publish), and what 100 polls of the unchanged feed cost (requests,
// 304s, downloads: the target is one conditional request per poll and no download).
//
//   sources_bench [--tags N] [--mib M] [--polls P]
// Needs git, docker-registry and /usr/bin/python3 (hack/install-deps.sh --test installs them).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sources/cache.h"
#include "sources/feed.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace fs = std::filesystem;
using namespace cairn::sources;
using cairn::testing::free_port;
using cairn::testing::Process;
using cairn::testing::run_command;
using cairn::testing::TempDir;
using cairn::testing::wait_for_port;

namespace {

const fs::path kSource = CAIRN_SOURCE_DIR;
const fs::path kExample = kSource / "examples/cluster-stacks/docker-demo-1-32";
constexpr const char* kStack = "docker-demo-1-32";

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void must(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "sources_bench: " << what << "\n";
    std::exit(1);
  }
}

void run(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
  std::string out;
  const std::vector<std::string> env = {"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=b@example.com",
                                        "GIT_COMMITTER_NAME=bench",
                                        "GIT_COMMITTER_EMAIL=b@example.com"};
  must(run_command(argv, &out, cwd, env) == 0, argv[0] + " failed: " + out);
}

std::string tag_of(int version) { return std::string(kStack) + "-v" + std::to_string(version); }

// The newest release: the example stack as version `version`, plus `mib` MiB of random bytes
// (a node-image build context, as some stacks ship).
void make_release(const fs::path& dir, int version, int mib) {
  fs::create_directories(dir);
  std::ifstream in(kExample / "metadata.yaml");
  std::string metadata((std::istreambuf_iterator<char>(in)), {});
  metadata.replace(metadata.find("clusterStack: v1"), 16, "clusterStack: v" + std::to_string(version));
  std::ofstream(dir / "metadata.yaml") << metadata;
  fs::copy_file(kExample / "cluster-addon-values.yaml", dir / "cluster-addon-values.yaml");
  TempDir stage("cairn-bench-stage");
  const std::string cc = std::string(kStack) + "-cluster-class";
  fs::copy(kExample / "cluster-class", stage / cc, fs::copy_options::recursive);
  {
    std::ifstream cin(stage / cc / "Chart.yaml");
    std::string chart((std::istreambuf_iterator<char>(cin)), {});
    chart.replace(chart.find("version: v1"), 11, "version: v" + std::to_string(version));
    std::ofstream(stage / cc / "Chart.yaml") << chart;
  }
  fs::copy(kExample / "cluster-addon", stage / (std::string(kStack) + "-cluster-addon"),
           fs::copy_options::recursive);
  run({"tar", "-czf", (dir / (cc + "-v" + std::to_string(version) + ".tgz")).string(), "-C",
       stage.path().string(), cc});
  run({"tar", "-czf", (dir / (std::string(kStack) + "-cluster-addon-v1.tgz")).string(), "-C",
       stage.path().string(), std::string(kStack) + "-cluster-addon"});
  std::mt19937_64 rng(42);
  std::ofstream blob(dir / "node-image-context.bin", std::ios::binary);
  std::vector<std::uint64_t> chunk(1 << 14);
  for (int i = 0; i < mib * 8; ++i) {
    for (auto& w : chunk) w = rng();
    blob.write(reinterpret_cast<const char*>(chunk.data()),
               static_cast<std::streamsize>(chunk.size() * sizeof(std::uint64_t)));
  }
}

struct Figures {
  std::string feed;
  std::size_t tags = 0;
  double list_ms = 0;
  double fetch_ms = 0;
  std::uint64_t fetch_bytes = 0;
  FeedStats polls;  // the difference over the polls
  int polls_not_modified = 0;
};

Figures measure(const std::string& name, const FeedUrl& url, int polls, const fs::path& work) {
  FeedOptions o;
  o.work_dir = work / ("feed-" + name);
  o.retry_base_delay = std::chrono::milliseconds(50);
  auto feed = open_feed(url, o);
  must(feed.has_value(), name + ": " + (feed ? "" : feed.error().message));
  Figures f;
  f.feed = name;
  auto t = Clock::now();
  auto listed = (*feed)->list();
  f.list_ms = ms_since(t);
  must(listed.has_value(), name + " list: " + (listed ? "" : listed.error().message));
  f.tags = listed->tags.size();

  CacheOptions co;
  co.dir = work / ("cache-" + name);
  auto cache = Cache::open(co);
  must(cache.has_value(), "cache");
  const std::string newest = tag_of(static_cast<int>(f.tags));
  t = Clock::now();
  auto got = (*cache)->get(**feed, newest);
  f.fetch_ms = ms_since(t);
  must(got.has_value(), name + " fetch: " + (got ? "" : got.error().message));
  for (const auto& file : got->files) f.fetch_bytes += file.size;

  const FeedStats before = (*feed)->stats();
  for (int i = 0; i < polls; ++i) {
    auto again = (*feed)->list();
    must(again.has_value(), name + " poll: " + (again ? "" : again.error().message));
    if (again->not_modified) ++f.polls_not_modified;
  }
  const FeedStats after = (*feed)->stats();
  f.polls.requests = after.requests - before.requests;
  f.polls.not_modified = after.not_modified - before.not_modified;
  f.polls.downloads = after.downloads - before.downloads;
  f.polls.bytes = after.bytes - before.bytes;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int tags = 500, mib = 20, polls = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tags") tags = std::stoi(argv[i + 1]);
    else if (a == "--mib") mib = std::stoi(argv[i + 1]);
    else if (a == "--polls") polls = std::stoi(argv[i + 1]);
    else must(false, "unknown flag " + a + " (--tags N --mib M --polls P)");
  }
  TempDir work("cairn-sources-bench");
  const fs::path release = work / "release";
  make_release(release, tags, mib);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(release)) files.push_back(e.path().filename());

  // file:///DIR
  const fs::path dir = work / "dir";
  for (int v = 1; v < tags; ++v) fs::create_directories(dir / tag_of(v));
  fs::copy(release, dir / tag_of(tags), fs::copy_options::recursive);

  // A Git repository: the release at the root, every tag on one commit (written in one go).
  const fs::path repo = work / "git/stacks.git";
  const fs::path wt = work / "git-worktree";
  fs::copy(release, wt, fs::copy_options::recursive);
  run({"git", "init", "-q", "-b", "main", wt.string()});
  run({"git", "add", "-A"}, wt);
  run({"git", "commit", "-q", "-m", "release"}, wt);
  {
    std::string refs;
    for (int v = 1; v <= tags; ++v) refs += "create refs/tags/" + tag_of(v) + " HEAD\n";
    std::ofstream(work / "refs.txt") << refs;
    run({"sh", "-c", "git update-ref --stdin < " + (work / "refs.txt").string()}, wt);
  }
  run({"git", "clone", "-q", "--bare", wt.string(), repo.string()});
  const int git_port = free_port();
  Process daemon({"git", "daemon", "--reuseaddr", "--export-all",
                  "--base-path=" + (work / "git").string(), "--listen=127.0.0.1",
                  "--port=" + std::to_string(git_port), (work / "git").string()},
                 work / "git-daemon.log");
  must(wait_for_port(git_port), "git daemon did not start: " + daemon.log());

  // The GitHub API test server: releases newest first, assets of the newest from files.
  nlohmann::json data{{"owner", "bench"}, {"repo", "stacks"}, {"token", nullptr}};
  data["releases"] = nlohmann::json::array();
  for (int v = tags; v >= 1; --v) {
    nlohmann::json r{{"tag_name", tag_of(v)}, {"name", tag_of(v)}, {"assets", nlohmann::json::array()}};
    if (v == tags) {
      for (const auto& f : files) {
        r["assets"].push_back({{"name", f}, {"file", (release / f).string()}, {"digest", true}});
      }
    }
    data["releases"].push_back(r);
  }
  std::ofstream(work / "github.json") << data.dump();
  const int gh_port = free_port(), asset_port = free_port();
  Process github({"/usr/bin/python3", (kSource / "tests/sources/github_server.py").string(),
                  "--port", std::to_string(gh_port), "--asset-port", std::to_string(asset_port),
                  "--data", (work / "github.json").string()},
                 work / "github.log");
  must(wait_for_port(gh_port) && wait_for_port(asset_port), "github_server.py: " + github.log());

  // docker-registry with the release pushed under every tag.
  const int oci_port = free_port();
  std::ofstream(work / "registry.yml")
      << "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
         "storage:\n  filesystem:\n    rootdirectory: "
      << (work / "registry").string() << "\nhttp:\n  addr: 127.0.0.1:" << oci_port
      << "\n  secret: bench\n";
  Process registry({"docker-registry", "serve", (work / "registry.yml").string()},
                   work / "registry.log");
  must(wait_for_port(oci_port), "docker-registry: " + registry.log());
  {
    std::vector<std::string> push = {"/usr/bin/python3",
                                     (kSource / "tests/sources/oci_push.py").string(),
                                     "127.0.0.1:" + std::to_string(oci_port), "bench/stacks"};
    for (int v = 1; v <= tags; ++v) {
      push.push_back("--tag");
      push.push_back(tag_of(v));
    }
    for (const auto& f : files) {
      push.push_back("--file");
      push.push_back(f + "=" + (release / f).string());
    }
    run(push);
  }

  std::vector<Figures> all;
  all.push_back(measure("file", FeedUrl::parse("file://" + dir.string()).value(), polls, work.path()));
  all.push_back(measure(
      "git", FeedUrl::parse("git://127.0.0.1:" + std::to_string(git_port) + "/stacks.git").value(),
      polls, work.path()));
  all.push_back(measure("github",
                        FeedUrl::parse("github://bench/stacks?api=http://127.0.0.1:" +
                                       std::to_string(gh_port))
                            .value(),
                        polls, work.path()));
  all.push_back(measure("oci",
                        FeedUrl::parse("oci://127.0.0.1:" + std::to_string(oci_port) +
                                       "/bench/stacks?insecure=true")
                            .value(),
                        polls, work.path()));

  std::printf("%-7s %6s %9s %10s %9s | %d polls: %8s %6s %9s %9s\n", "feed", "tags", "list ms",
              "fetch ms", "MiB/s", polls, "requests", "not-mod", "unchanged", "downloads");
  for (const auto& f : all) {
    const double mibs = f.fetch_bytes / (1024.0 * 1024.0) / (f.fetch_ms / 1000.0);
    std::printf("%-7s %6zu %9.1f %10.1f %9.1f | %15llu %6llu %9d %9llu\n", f.feed.c_str(), f.tags,
                f.list_ms, f.fetch_ms, mibs, static_cast<unsigned long long>(f.polls.requests),
                static_cast<unsigned long long>(f.polls.not_modified), f.polls_not_modified,
                static_cast<unsigned long long>(f.polls.downloads));
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  std::printf("release: %.1f MiB in %zu files; peak RSS of this process %.1f MiB\n",
              all.front().fetch_bytes / (1024.0 * 1024.0), files.size(), ru.ru_maxrss / 1024.0);
  return 0;
}
