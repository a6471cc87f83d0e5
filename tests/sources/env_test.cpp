// The Go operator's environment variables map onto a default feed and credentials.
#include <catch2/catch.hpp>

#include <map>

#include "sources/feed.h"

using namespace cairn::sources;

namespace {
Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("GIT_* variables give the default GitHub feed and its token") {
  auto d = default_feed_from_env("github", env_of({{"GIT_PROVIDER", "github"},
                                                   {"GIT_ORG_NAME", "SovereignCloudStack"},
                                                   {"GIT_REPOSITORY_NAME", "cluster-stacks"},
                                                   {"GIT_ACCESS_TOKEN", "ghp_secret"}}));
  REQUIRE(d);
  CHECK(d->url.str() == "github://SovereignCloudStack/cluster-stacks");
  CHECK(d->credentials.token == "ghp_secret");
  // The empty source means github, as the Go operator's default.
  CHECK(default_feed_from_env("", env_of({{"GIT_PROVIDER", "github"},
                                          {"GIT_ORG_NAME", "o"},
                                          {"GIT_REPOSITORY_NAME", "r"}}))
            .value()
            .credentials.empty());
}

TEST_CASE("missing or wrong GIT_* variables name the variable") {
  auto missing = default_feed_from_env("github", env_of({{"GIT_PROVIDER", "github"},
                                                         {"GIT_ORG_NAME", "o"}}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kConfig);
  CHECK_THAT(missing.error().message,
             Catch::Contains("environment variable GIT_REPOSITORY_NAME is not set"));
  auto gitlab = default_feed_from_env("github", env_of({{"GIT_PROVIDER", "gitlab"},
                                                        {"GIT_ORG_NAME", "o"},
                                                        {"GIT_REPOSITORY_NAME", "r"}}));
  REQUIRE_FALSE(gitlab);
  CHECK_THAT(gitlab.error().message, Catch::Contains("only github is supported as GIT_PROVIDER"));
  auto unknown = default_feed_from_env("s3", env_of({}));
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message, Catch::Contains("expected github or oci"));
}

TEST_CASE("OCI_* variables give the default OCI feed and belong to its registry only") {
  const auto env = env_of({{"OCI_REGISTRY", "registry.scs.community"},
                           {"OCI_REPOSITORY", "registry.scs.community/kaas/cluster-stacks"},
                           {"OCI_USERNAME", "robot"},
                           {"OCI_PASSWORD", "pw"},
                           {"OCI_ACCESS_TOKEN", "tok"}});
  auto d = default_feed_from_env("oci", env);
  REQUIRE(d);
  CHECK(d->url.str() == "oci://registry.scs.community/kaas/cluster-stacks");
  CHECK(d->credentials.username == "robot");
  CHECK(d->credentials.password == "pw");
  CHECK(d->credentials.token == "tok");
  // Another registry named by URL gets none of them.
  CHECK(credentials_from_env(FeedUrl::parse("oci://ghcr.io/x/y").value(), env).empty());
  // Without OCI_REGISTRY, the host OCI_REPOSITORY starts with decides.
  const auto env2 = env_of({{"OCI_REPOSITORY", "reg.example/a"}, {"OCI_USERNAME", "u"}});
  CHECK(credentials_from_env(FeedUrl::parse("oci://reg.example/b").value(), env2).username == "u");
  CHECK(credentials_from_env(FeedUrl::parse("oci://reg.example.evil/b").value(), env2).empty());
  auto missing = default_feed_from_env("oci", env_of({}));
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("OCI_REPOSITORY is not set"));
}

TEST_CASE("a GitHub token is never given to another Git host") {
  const auto env = env_of({{"GIT_ACCESS_TOKEN", "ghp_secret"}});
  CHECK(credentials_from_env(FeedUrl::parse("git+https://github.com/o/r.git").value(), env).token ==
        "ghp_secret");
  CHECK(credentials_from_env(FeedUrl::parse("git+https://gitlab.example/o/r.git").value(), env)
            .empty());
  CHECK(credentials_from_env(FeedUrl::parse("github://o/r").value(), env).token == "ghp_secret");
  CHECK(credentials_from_env(FeedUrl::parse("file:///x").value(), env).empty());
}
