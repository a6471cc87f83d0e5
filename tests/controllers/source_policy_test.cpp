// SourcePolicy: --allowed-source validation, glob matching over canonical feed URLs, the
// default rules and the refusal message.
#include "controllers/source_policy.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using cairn::controllers::SourcePolicy;
using cairn::sources::FeedUrl;

FeedUrl url(const std::string& text) {
  auto u = FeedUrl::parse(text);
  INFO(text);
  REQUIRE(u);
  return *u;
}

SourcePolicy policy(std::vector<std::string> patterns,
                    std::optional<FeedUrl> default_feed = std::nullopt) {
  auto p = SourcePolicy::make(std::move(patterns), std::move(default_feed));
  REQUIRE(p);
  return *p;
}

bool allowed(const SourcePolicy& p, const std::string& text) {
  return !p.refuse_reason(url(text)).has_value();
}

}  // namespace

TEST_CASE("without patterns every network feed is allowed and no local feed") {
  const SourcePolicy p = policy({});
  for (const char* ok :
       {"github://SovereignCloudStack/cluster-stacks",
        "github://org/repo?api=https://ghe.example.com/api/v3",
        "git+https://git.example.com/org/stacks.git", "git+http://git.example.com/org/stacks.git",
        "git+ssh://git@git.example.com/org/stacks.git", "git://127.0.0.1/repo.git",
        "oci://registry.example.com/kaas/cluster-stacks"}) {
    INFO(ok);
    CHECK(allowed(p, ok));
  }
  for (const char* local : {"file:///var/lib/releases", "git+file:///srv/stacks.git"}) {
    INFO(local);
    const auto reason = p.refuse_reason(url(local));
    REQUIRE(reason);
    CHECK(reason->find(local) != std::string::npos);
    CHECK(reason->find("--allowed-source") != std::string::npos);
    CHECK(reason->find("ask the cluster operator") != std::string::npos);
  }
  CHECK(SourcePolicy().refuse_reason(url("file:///x")).has_value());
  CHECK_FALSE(SourcePolicy().refuse_reason(url("oci://r.example/x")).has_value());
}

TEST_CASE("patterns are globs over the whole canonical URL") {
  const SourcePolicy p =
      policy({"github://SovereignCloudStack/*", "oci://registry.example.com/kaas/*",
              "git+https://git.example.com/stacks/*.git"});
  CHECK(allowed(p, "github://SovereignCloudStack/cluster-stacks"));
  CHECK(allowed(p, "github://SovereignCloudStack/cluster-stacks/"));  // canonical: no slash
  CHECK(allowed(p, "oci://registry.example.com/kaas/cluster-stacks"));
  CHECK(allowed(p, "oci://registry.example.com/kaas/team/openstack"));
  CHECK(allowed(p, "git+https://git.example.com/stacks/openstack.git"));
  // Everything but '*' is literal and the whole URL must match.
  CHECK_FALSE(allowed(p, "github://sovereigncloudstack/cluster-stacks"));
  CHECK_FALSE(allowed(p, "github://Other/cluster-stacks"));
  CHECK_FALSE(allowed(p, "oci://registry.example.com/other/x"));
  CHECK_FALSE(allowed(p, "oci://registry.example.com:5000/kaas/x"));
  CHECK_FALSE(allowed(p, "git+https://git.example.com/stacks/openstack"));
  CHECK_FALSE(allowed(p, "git+ssh://git@git.example.com/stacks/openstack.git"));
  // Patterns replace the defaults: other network feeds are refused too.
  CHECK_FALSE(allowed(p, "github://other/repo"));
}

TEST_CASE("a star does not reach into the query, so API bases and plain HTTP must be named") {
  const SourcePolicy p = policy({"github://org/*", "oci://reg.example.com/*",
                                 "git+https://git.example.com/org/*?path=*",
                                 "github://ghe/*?api=https://ghe.example.com/api/v3"});
  CHECK(allowed(p, "github://org/repo"));
  CHECK_FALSE(allowed(p, "github://org/repo?api=https://evil.example.com"));
  CHECK(allowed(p, "oci://reg.example.com/stacks"));
  CHECK_FALSE(allowed(p, "oci://reg.example.com/stacks?insecure=true"));
  CHECK(allowed(p, "git+https://git.example.com/org/repo?path=releases/openstack"));
  CHECK_FALSE(allowed(p, "git+https://git.example.com/org/repo"));
  CHECK(allowed(p, "github://ghe/repo?api=https://ghe.example.com/api/v3"));
  CHECK_FALSE(allowed(p, "github://ghe/repo?api=https://ghe.example.com/api/v4"));
}

TEST_CASE("a star matches any run, including none and slashes, and several stars combine") {
  const SourcePolicy p = policy({"oci://*.example.com/*/stacks*", "file:///srv/releases"});
  CHECK(allowed(p, "oci://a.example.com/team/stacks"));
  CHECK(allowed(p, "oci://a.b.example.com/x/y/stacks-openstack"));
  CHECK_FALSE(allowed(p, "oci://example.com/team/stacks"));
  CHECK_FALSE(allowed(p, "oci://a.example.com/stacks"));
  CHECK(allowed(p, "file:///srv/releases"));
  CHECK_FALSE(allowed(p, "file:///srv/releases/other"));
  const SourcePolicy all_git_file = policy({"git+file://*"});
  CHECK(allowed(all_git_file, "git+file:///srv/a.git"));
  CHECK_FALSE(allowed(all_git_file, "git+file:///srv/a.git?path=x"));
  CHECK_FALSE(allowed(all_git_file, "file:///srv"));
}

TEST_CASE("the default feed is allowed whatever the patterns say") {
  const FeedUrl local = url("file:///var/lib/cairn/releases");
  const SourcePolicy none = policy({}, local);
  CHECK_FALSE(none.refuse_reason(local).has_value());
  CHECK(none.refuse_reason(url("file:///var/lib/cairn/other")).has_value());
  const SourcePolicy some = policy({"oci://reg.example.com/*"}, url("github://org/repo"));
  CHECK(allowed(some, "github://org/repo"));
  CHECK_FALSE(allowed(some, "github://org/repo2"));
}

TEST_CASE("the refusal names the URL and lists the patterns") {
  const SourcePolicy p = policy({"github://a/*", "oci://b.example/*"});
  const auto reason = p.refuse_reason(url("git+https://c.example/x.git"));
  REQUIRE(reason);
  CHECK(*reason ==
        "feed source \"git+https://c.example/x.git\" is not allowed on this cluster: it matches "
        "none of the --allowed-source patterns (github://a/*, oci://b.example/*); ask the "
        "cluster operator to add an --allowed-source pattern that matches it");
  CHECK(p.patterns() == std::vector<std::string>{"github://a/*", "oci://b.example/*"});
}

TEST_CASE("an empty pattern or one without a feed scheme is a configuration error") {
  for (const char* bad : {"", "*", "SovereignCloudStack/*", "https://github.com/org/*",
                          "*://reg.example.com/*", "GITHUB://org/*", "ftp://x/*"}) {
    INFO(bad);
    auto p = SourcePolicy::make({"github://ok/*", bad}, std::nullopt);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == cairn::sources::ErrorKind::kConfig);
    if (*bad != '\0') {
      CHECK(p.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
    } else {
      CHECK(p.error().message.find("empty pattern") != std::string::npos);
    }
  }
  for (const char* good : {"github://*", "git+https://*", "git+http://*", "git+ssh://*",
                           "git+file://*", "git://*", "oci://*", "file://*"}) {
    INFO(good);
    CHECK(SourcePolicy::make({good}, std::nullopt));
  }
}
