// Tests of the demo feed of `cairn up --demo` (demo_feed.h): read back through cairn's own Git
// feed, every release validates; a second run changes nothing; lost tags are restored.
#include "cmd/cairn/demo_feed.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "api/types.h"
#include "sources/feed.h"
#include "sources/release.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace cairn::cmd {
namespace {

namespace fs = std::filesystem;

const fs::path kExample =
    fs::path(CAIRN_SOURCE_DIR) / "examples" / "cluster-stacks" / "docker-demo-1-32";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::unique_ptr<sources::Feed> open(const sources::FeedUrl& url, const fs::path& work) {
  sources::FeedOptions options;
  options.work_dir = work;
  auto feed = sources::open_feed(url, options);
  REQUIRE(feed);
  return std::move(*feed);
}

std::set<std::string> tags_of(sources::Feed& feed) {
  auto listed = feed.list();
  REQUIRE(listed);
  return {listed->tags.begin(), listed->tags.end()};
}

// `git ARGS...` in `repo`; its output, and a failed check when it fails.
std::string git(const fs::path& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  const int rc = testing::run_command(argv, &output);
  INFO("git " << args.front() << ": " << output);
  CHECK(rc == 0);
  return output;
}

TEST_CASE("the demo feed publishes v1 and v2 as tags whose trees are valid releases",
          "[demo_feed]") {
  testing::TempDir dir("cairn-demo");
  auto feed = ensure_demo_feed(dir / "demo-feed", kExample);
  REQUIRE(feed);
  CHECK(feed->url.str() == "git+file://" + (dir / "demo-feed").string());
  const std::vector<std::string> expected = {"docker-demo-1-32-v1", "docker-demo-1-32-v2"};
  CHECK(feed->tags == expected);
  CHECK(feed->created == expected);

  auto git_feed = open(feed->url, dir / "work");
  CHECK(tags_of(*git_feed) == std::set<std::string>(expected.begin(), expected.end()));
  for (const std::string& version : {std::string("v1"), std::string("v2")}) {
    const std::string tag = "docker-demo-1-32-" + version;
    INFO(tag);
    const fs::path out = dir / ("fetch-" + version);
    fs::create_directories(out);
    auto files = git_feed->fetch(tag, out);
    REQUIRE(files);
    auto parsed = api::ReleaseTag::parse(tag);
    REQUIRE(parsed);
    auto layout = sources::validate_release(out, *parsed);
    if (!layout) FAIL(layout.error().message);
    CHECK(layout->cluster_class_chart == "docker-demo-1-32-cluster-class-" + version);
    CHECK(layout->cluster_addon_chart == "docker-demo-1-32-cluster-addon-v1");
    CHECK(layout->has_cluster_addon_values);
    CHECK(layout->metadata.cluster_stack.dot() == version);
    CHECK(layout->metadata.kubernetes.str() == "v1.32.5");
    // The class chart's version names the ClusterClass ({{ .Release.Name }}-{{ .Chart.Version }}).
    CHECK_THAT(read_text(out / layout->cluster_class_chart / "Chart.yaml"),
               Catch::Contains("\nversion: " + version + "\n"));
    CHECK(fs::is_regular_file(out / layout->cluster_class_chart / "templates" /
                              "cluster-class.yaml"));
    CHECK(fs::is_regular_file(out / layout->cluster_addon_chart / "charts" / "demo-metrics" /
                              "crds" / "scrapeprofiles.yaml"));
  }

  // An ordinary repository: v2 on top of v1, the working tree checked out and clean.
  CHECK(git(dir / "demo-feed", {"log", "--format=%s", "main"}) ==
        "Release docker-demo-1-32-v2\nRelease docker-demo-1-32-v1\n");
  CHECK(git(dir / "demo-feed", {"status", "--porcelain"}).empty());
  CHECK(fs::is_regular_file(dir / "demo-feed" / "metadata.yaml"));
}

TEST_CASE("a second run of the demo feed changes nothing", "[demo_feed]") {
  testing::TempDir dir("cairn-demo");
  auto first = ensure_demo_feed(dir / "demo-feed", kExample);
  REQUIRE(first);
  auto git_feed = open(first->url, dir / "work");
  REQUIRE(git_feed->list());
  const std::string refs = git(dir / "demo-feed", {"show-ref"});

  auto second = ensure_demo_feed(dir / "demo-feed", kExample);
  REQUIRE(second);
  CHECK(second->created.empty());
  CHECK(second->tags == first->tags);
  CHECK(git(dir / "demo-feed", {"show-ref"}) == refs);
  auto listed = git_feed->list();
  REQUIRE(listed);
  CHECK(listed->not_modified);
}

TEST_CASE("a lost demo tag is restored on top of the history, others are left alone",
          "[demo_feed]") {
  testing::TempDir dir("cairn-demo");
  const fs::path repo = dir / "demo-feed";
  REQUIRE(ensure_demo_feed(repo, kExample));
  const std::string v1 = git(repo, {"rev-parse", "docker-demo-1-32-v1"});
  git(repo, {"tag", "-d", "docker-demo-1-32-v2"});

  auto again = ensure_demo_feed(repo, kExample);
  REQUIRE(again);
  CHECK(again->created == std::vector<std::string>{"docker-demo-1-32-v2"});
  CHECK(git(repo, {"rev-parse", "docker-demo-1-32-v1"}) == v1);
  CHECK(git(repo, {"rev-parse", "main"}) == git(repo, {"rev-parse", "docker-demo-1-32-v2"}));
  CHECK(git(repo, {"fsck", "--no-progress"}).empty());
}

TEST_CASE("a demo feed path that is not a Git repository is refused with what to do",
          "[demo_feed]") {
  testing::TempDir dir("cairn-demo");
  fs::create_directories(dir / "demo-feed");
  std::ofstream(dir / "demo-feed" / "notes.txt") << "mine\n";
  auto feed = ensure_demo_feed(dir / "demo-feed", kExample);
  REQUIRE_FALSE(feed);
  CHECK_THAT(feed.error().message,
             Catch::Contains("is not a Git repository") && Catch::Contains("remove it"));
  CHECK(fs::is_regular_file(dir / "demo-feed" / "notes.txt"));
}

TEST_CASE("a directory without the example is refused naming the missing chart", "[demo_feed]") {
  testing::TempDir dir("cairn-demo");
  fs::create_directories(dir / "example");
  fs::copy_file(kExample / "metadata.yaml", dir / "example" / "metadata.yaml");
  auto feed = ensure_demo_feed(dir / "demo-feed", dir / "example");
  REQUIRE_FALSE(feed);
  CHECK_THAT(feed.error().message,
             Catch::Contains("cluster-class") && Catch::Contains("Chart.yaml"));
}

TEST_CASE("find_demo_example takes the stack directory or an examples root", "[demo_feed]") {
  auto from_stack = find_demo_example(kExample);
  REQUIRE(from_stack);
  CHECK(*from_stack == kExample);
  auto from_root = find_demo_example(fs::path(CAIRN_SOURCE_DIR) / "examples");
  REQUIRE(from_root);
  CHECK(fs::equivalent(*from_root, kExample));
  auto built_in = find_demo_example({});
  REQUIRE(built_in);
  CHECK(fs::equivalent(*built_in, kExample));

  testing::TempDir empty("cairn-demo");
  auto missing = find_demo_example(empty.path());
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::StartsWith("--demo-source: "));
}

TEST_CASE("the demo ClusterStack is valid and subscribes to the demo feed", "[demo_feed]") {
  auto url = sources::FeedUrl::parse("git+file:///data/demo-feed");
  REQUIRE(url);
  const auto objects = demo_objects(*url);
  REQUIRE(objects.size() == 2);
  CHECK(objects[0]["kind"] == "Namespace");
  CHECK(objects[0]["metadata"]["name"] == "demo");

  auto stack = api::decode<api::ClusterStack>(objects[1]);
  REQUIRE(stack);
  CHECK(stack->validate().empty());
  CHECK(stack->metadata.namespace_ == "demo");
  CHECK(stack->metadata.name == "demo");
  CHECK(stack->spec.provider == "docker");
  CHECK(stack->spec.name == "demo");
  CHECK(stack->spec.kubernetes_version == "1.32");
  CHECK(stack->spec.auto_subscribe);
  CHECK(stack->spec.no_provider);
  CHECK(stack->spec.versions == std::vector<std::string>{"v1"});
  REQUIRE(stack->spec.source);
  CHECK(stack->spec.source->url == "git+file:///data/demo-feed");
  CHECK(stack->spec.source->interval == "30s");
}

}  // namespace
}  // namespace cairn::cmd
