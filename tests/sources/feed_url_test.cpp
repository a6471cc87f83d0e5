// Feed URLs: every form parses, prints back canonically, and bad ones say what is wrong.
#include <catch2/catch.hpp>

#include "sources/feed_url.h"

using cairn::sources::ErrorKind;
using cairn::sources::FeedKind;
using cairn::sources::FeedUrl;

TEST_CASE("every feed form parses and prints back the same") {
  struct Case {
    const char* in;
    FeedKind kind;
    const char* canonical;
  };
  const Case cases[] = {
      {"github://SovereignCloudStack/cluster-stacks", FeedKind::kGitHub,
       "github://SovereignCloudStack/cluster-stacks"},
      {"github://org/repo/", FeedKind::kGitHub, "github://org/repo"},
      {"github://org/repo?api=https://ghe.example.com/api/v3/", FeedKind::kGitHub,
       "github://org/repo?api=https://ghe.example.com/api/v3"},
      {"git+https://git.example.com/stacks.git", FeedKind::kGit,
       "git+https://git.example.com/stacks.git"},
      {"git+https://git.example.com/stacks.git?path=releases/", FeedKind::kGit,
       "git+https://git.example.com/stacks.git?path=releases"},
      {"git+ssh://git@git.example.com:2222/stacks.git", FeedKind::kGit,
       "git+ssh://git@git.example.com:2222/stacks.git"},
      {"git+file:///srv/git/stacks", FeedKind::kGit, "git+file:///srv/git/stacks"},
      {"git://127.0.0.1:9418/stacks.git?path=a/b", FeedKind::kGit,
       "git://127.0.0.1:9418/stacks.git?path=a/b"},
      {"oci://registry.scs.community/kaas/cluster-stacks", FeedKind::kOci,
       "oci://registry.scs.community/kaas/cluster-stacks"},
      {"oci://127.0.0.1:5000/stacks?insecure=true", FeedKind::kOci,
       "oci://127.0.0.1:5000/stacks?insecure=true"},
      {"file:///var/lib/cairn/releases/", FeedKind::kFile, "file:///var/lib/cairn/releases"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto u = FeedUrl::parse(c.in);
    REQUIRE(u);
    CHECK(u->kind == c.kind);
    CHECK(u->str() == c.canonical);
    auto again = FeedUrl::parse(u->str());
    REQUIRE(again);
    CHECK(*again == *u);
    CHECK(u->key().size() == 16);
  }
}

TEST_CASE("feed URL parts land in their fields") {
  auto g = FeedUrl::parse("github://org/repo").value();
  CHECK(g.org == "org");
  CHECK(g.repo == "repo");
  CHECK(g.api_base == "https://api.github.com");
  auto git = FeedUrl::parse("git+https://h.example/r.git?path=rel").value();
  CHECK(git.remote == "https://h.example/r.git");
  CHECK(git.path == "rel");
  auto oci = FeedUrl::parse("oci://localhost:5000/a/b?insecure=true").value();
  CHECK(oci.registry == "localhost:5000");
  CHECK(oci.repository == "a/b");
  CHECK(oci.plain_http);
  auto f = FeedUrl::parse("file:///tmp/x").value();
  CHECK(f.dir == "/tmp/x");
  CHECK(FeedUrl::parse("github://a/b").value().key() != FeedUrl::parse("github://a/c").value().key());
}

TEST_CASE("bad feed URLs are refused with a reason") {
  struct Case {
    const char* in;
    const char* why;
  };
  const Case cases[] = {
      {"", "expected one of"},
      {"https://github.com/org/repo", "unknown scheme \"https\""},
      {"github://org", "expected github://ORG/REPO"},
      {"github://org/repo/extra", "expected github://ORG/REPO"},
      {"github://org/repo?token=abc", "unknown parameter \"token\""},
      {"github://org/repo?api=ftp://x", "api must be an http(s) URL"},
      {"git+https://user:secret@h.example/r.git", "credentials do not belong"},
      {"git+https://token@h.example/r.git", "credentials do not belong"},
      {"git+https://h.example/r.git?path=../x", "without '.' or '..'"},
      {"git+https://h.example/r.git?path=/abs", "without '.' or '..'"},
      {"git+https://h.example", "repository path"},
      {"git+file://relative/path", "git+file:///ABSOLUTE/PATH"},
      {"oci://registry.example", "expected oci://REGISTRY/REPOSITORY"},
      {"oci://registry.example/Upper", "lower-case"},
      {"oci://u:p@registry.example/x", "credentials do not belong"},
      {"oci://registry.example/x?insecure=yes", "insecure must be true or false"},
      {"oci://registry.example:99999/x", "malformed registry host"},
      {"file://relative", "file:///ABSOLUTE/DIR"},
      {"file:///x?y=1", "takes no parameters"},
      {"github://org/repo#frag", "fragments"},
      {"github://org/ repo", "whitespace"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto u = FeedUrl::parse(c.in);
    REQUIRE_FALSE(u);
    CHECK(u.error().kind == ErrorKind::kConfig);
    CHECK_THAT(u.error().message, Catch::Contains(c.why));
    CHECK_THAT(u.error().message, !Catch::Contains(":secret@") && !Catch::Contains("u:p@") &&
                                      !Catch::Contains("//token@"));
  }
  // Secrets given by mistake are not echoed beyond the URL the user typed; the message says
  // where credentials belong.
  auto u = FeedUrl::parse("oci://u:p@registry.example/x");
  CHECK_THAT(u.error().message, Catch::Contains("OCI_USERNAME"));
}
