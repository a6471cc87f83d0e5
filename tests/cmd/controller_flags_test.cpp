// Tests of the controller flags shared by `cairn manager` and `cairn up` (controller_flags.h).
#include "cmd/cairn/controller_flags.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>

#include "tests/common/temp_dir.h"

namespace cairn::cmd {
namespace {

using Env = std::map<std::string, std::string>;

sources::Getenv env_of(Env env) {
  return [env = std::move(env)](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// Parses `args` as the manager would and converts them.
tl::expected<controllers::ControllersOptions, FlagError> options_for(const std::string& args,
                                                                     const Env& env = {}) {
  CLI::App app{"test"};
  ControllerFlags flags;
  add_controller_flags(app, flags, "/tmp/downloads");
  app.parse(args, false);
  return controllers_options(flags, env_of(env));
}

std::string error_of(const std::string& args, const Env& env = {}) {
  auto options = options_for(args, env);
  REQUIRE_FALSE(options);
  return options.error().message;
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

TEST_CASE("controller flags default like the Go operator with no default feed and no receiver",
          "[controller_flags]") {
  auto options = options_for("");
  REQUIRE(options);
  CHECK(options->cache_dir == "/tmp/downloads");
  CHECK(options->feed_options.work_dir == "/tmp/downloads/feeds");
  CHECK_FALSE(options->default_feed);
  CHECK(options->allowed_sources.empty());
  CHECK(options->default_interval == std::chrono::minutes(5));
  CHECK(options->list_workers == 4);
  CHECK(options->download_workers == 2);
  CHECK(options->clusterstack_concurrency == 1);
  CHECK(options->clusterstackrelease_concurrency == 1);
  CHECK(options->webhook_bind_address == "0");
  CHECK(options->webhook_secret.empty());
}

TEST_CASE("--release-dir is the Go operator's name for --cache-dir and is made absolute",
          "[controller_flags]") {
  auto options = options_for("--release-dir /var/cache/cairn/");
  REQUIRE(options);
  CHECK(options->cache_dir == "/var/cache/cairn");
  auto relative = options_for("--cache-dir cache");
  REQUIRE(relative);
  CHECK(relative->cache_dir.is_absolute());
  CHECK(relative->cache_dir == std::filesystem::current_path() / "cache");
}

TEST_CASE("--source-interval takes Kubernetes durations and refuses others naming the flag",
          "[controller_flags]") {
  auto ten = options_for("--source-interval 10s");
  REQUIRE(ten);
  CHECK(ten->default_interval == std::chrono::seconds(10));
  auto long_one = options_for("--source-interval 1h30m");
  REQUIRE(long_one);
  CHECK(long_one->default_interval == std::chrono::minutes(90));
  CHECK_THAT(error_of("--source-interval 5"), Catch::StartsWith("--source-interval: "));
  CHECK_THAT(error_of("--source-interval soon"), Catch::StartsWith("--source-interval: "));
  CHECK_THAT(error_of("--source-interval 500ms"),
             Catch::StartsWith("--source-interval: ") && Catch::Contains("minimum of 1s"));
}

TEST_CASE("the default feed comes from the Go operator's GitHub variables when they are set",
          "[controller_flags]") {
  const Env env = {{"GIT_PROVIDER", "github"},
                   {"GIT_ORG_NAME", "SovereignCloudStack"},
                   {"GIT_REPOSITORY_NAME", "cluster-stacks"},
                   {"GIT_ACCESS_TOKEN", "ghp_secret"}};
  auto options = options_for("", env);
  REQUIRE(options);
  REQUIRE(options->default_feed);
  CHECK(options->default_feed->url.str() == "github://SovereignCloudStack/cluster-stacks");
  CHECK(options->default_feed->credentials.token == "ghp_secret");

  auto incomplete = options_for("", {{"GIT_ORG_NAME", "org"}});
  REQUIRE_FALSE(incomplete);
  CHECK_THAT(incomplete.error().message,
             Catch::StartsWith("--source github: ") && Catch::Contains("GIT_PROVIDER"));
}

TEST_CASE("--source oci reads the OCI variables and names a missing one", "[controller_flags]") {
  auto options = options_for("--source oci", {{"OCI_REPOSITORY", "registry.example.com/kaas/cs"},
                                              {"OCI_USERNAME", "robot"},
                                              {"OCI_PASSWORD", "pw"}});
  REQUIRE(options);
  REQUIRE(options->default_feed);
  CHECK(options->default_feed->url.str() == "oci://registry.example.com/kaas/cs");
  CHECK(options->default_feed->credentials.username == "robot");
  CHECK(options->default_feed->credentials.password == "pw");

  CHECK_THAT(error_of("--source oci"),
             Catch::StartsWith("--source oci: ") && Catch::Contains("OCI_REPOSITORY"));
}

TEST_CASE("an unknown --source is refused naming the flag and the choices", "[controller_flags]") {
  CHECK_THAT(error_of("--source gitlab"),
             Catch::StartsWith("--source: \"gitlab\"") && Catch::Contains("github or oci"));
}

TEST_CASE("--local serves releases placed in CACHE_DIR/cluster-stacks", "[controller_flags]") {
  for (const char* spelling : {"--local", "--local=true"}) {
    INFO(spelling);
    auto options = options_for(std::string("--release-dir /srv/releases ") + spelling);
    REQUIRE(options);
    REQUIRE(options->default_feed);
    CHECK(options->default_feed->url.str() == "file:///srv/releases/cluster-stacks");
    CHECK(options->default_feed->credentials.empty());
  }
  auto off = options_for("--local=false");
  REQUIRE(off);
  CHECK_FALSE(off->default_feed);
}

TEST_CASE("--default-source names a feed by URL and takes its credentials from the environment",
          "[controller_flags]") {
  auto options = options_for("--default-source git+https://github.com/org/stacks",
                             {{"GIT_ACCESS_TOKEN", "ghp_token"}});
  REQUIRE(options);
  REQUIRE(options->default_feed);
  CHECK(options->default_feed->url.str() == "git+https://github.com/org/stacks");
  CHECK(options->default_feed->credentials.token == "ghp_token");

  const std::string bad = error_of("--default-source git+https://user:hunter2@example.com/x");
  CHECK_THAT(bad, Catch::StartsWith("--default-source: "));
  CHECK_THAT(bad, !Catch::Contains("hunter2") && Catch::Contains("REDACTED@example.com"));
  CHECK_THAT(error_of("--default-source ftp://example.com/x"),
             Catch::StartsWith("--default-source: "));
}

TEST_CASE("only one of --default-source, --local and --source may choose the default feed",
          "[controller_flags]") {
  CHECK_THAT(error_of("--local --source oci"), Catch::Contains("give one"));
  CHECK_THAT(error_of("--default-source github://a/b --local"), Catch::Contains("give one"));
}

TEST_CASE("worker counts and concurrencies out of range are refused naming the flag",
          "[controller_flags]") {
  auto options = options_for(
      "--list-workers 8 --download-workers 3 --clusterstack-concurrency 5 "
      "--clusterstackrelease-concurrency 6");
  REQUIRE(options);
  CHECK(options->list_workers == 8);
  CHECK(options->download_workers == 3);
  CHECK(options->clusterstack_concurrency == 5);
  CHECK(options->clusterstackrelease_concurrency == 6);
  CHECK_THAT(error_of("--list-workers 0"), Catch::StartsWith("--list-workers: 0"));
  CHECK_THAT(error_of("--download-workers -1"), Catch::StartsWith("--download-workers: -1"));
  CHECK_THAT(error_of("--clusterstackrelease-concurrency 5000"),
             Catch::StartsWith("--clusterstackrelease-concurrency: "));
}

TEST_CASE("--allowed-source patterns are kept in order and may not be empty",
          "[controller_flags]") {
  auto options = options_for("--allowed-source github://org/* --allowed-source oci://reg/*");
  REQUIRE(options);
  CHECK(options->allowed_sources == std::vector<std::string>{"github://org/*", "oci://reg/*"});
  ControllerFlags flags;
  flags.cache_dir = "/c";
  flags.allowed_sources = {"github://*", ""};
  auto empty = controllers_options(flags, env_of({}));
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message, Catch::StartsWith("--allowed-source: "));
}

TEST_CASE("the release webhook receiver needs a secret file, read without its line break",
          "[controller_flags]") {
  testing::TempDir dir("cairn-flags");
  CHECK_THAT(error_of("--release-webhook-bind-address :9443"),
             Catch::StartsWith("--release-webhook-secret-file: required"));

  write_file(dir / "secret", "s3cret-value\n");
  auto options = options_for(
      "--release-webhook-bind-address 127.0.0.1:9443 "
      "--release-webhook-secret-file " +
      (dir / "secret").string());
  REQUIRE(options);
  CHECK(options->webhook_bind_address == "127.0.0.1:9443");
  CHECK(options->webhook_secret == "s3cret-value");

  write_file(dir / "crlf", "windows\r\n");
  auto crlf = options_for("--release-webhook-bind-address :0 --release-webhook-secret-file " +
                          (dir / "crlf").string());
  REQUIRE(crlf);
  CHECK(crlf->webhook_secret == "windows");

  write_file(dir / "empty", "\n");
  CHECK_THAT(error_of("--release-webhook-bind-address :0 --release-webhook-secret-file " +
                      (dir / "empty").string()),
             Catch::StartsWith("--release-webhook-secret-file: ") && Catch::Contains("empty"));
  CHECK_THAT(
      error_of("--release-webhook-bind-address :0 --release-webhook-secret-file " +
               (dir / "missing").string()),
      Catch::StartsWith("--release-webhook-secret-file: ") && Catch::Contains("does not exist"));

  // Off ("0", the default): the secret file is not read.
  auto off = options_for("--release-webhook-secret-file " + (dir / "missing").string());
  REQUIRE(off);
  CHECK(off->webhook_secret.empty());
}

TEST_CASE("allow_source keeps every remote feed allowed when no pattern was given",
          "[controller_flags]") {
  auto demo = sources::FeedUrl::parse("git+file:///data/demo-feed");
  REQUIRE(demo);

  controllers::ControllersOptions open;
  allow_source(open, *demo);
  CHECK(open.allowed_sources == std::vector<std::string>{"github://*", "git+https://*",
                                                         "git+ssh://*", "git://*", "oci://*",
                                                         "git+file:///data/demo-feed"});
  allow_source(open, *demo);
  CHECK(open.allowed_sources.size() == 6);

  controllers::ControllersOptions restricted;
  restricted.allowed_sources = {"github://org/*"};
  allow_source(restricted, *demo);
  CHECK(restricted.allowed_sources ==
        std::vector<std::string>{"github://org/*", "git+file:///data/demo-feed"});
}

TEST_CASE("describe_feeds names the default feed and the cache", "[controller_flags]") {
  auto options = options_for("--default-source github://org/repo --cache-dir /c");
  REQUIRE(options);
  CHECK(describe_feeds(*options) == "default feed github://org/repo, cache /c");
  auto none = options_for("--cache-dir /c");
  REQUIRE(none);
  CHECK(describe_feeds(*none) == "default feed none, cache /c");
}

}  // namespace
}  // namespace cairn::cmd
