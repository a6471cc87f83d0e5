// Link headers, WWW-Authenticate challenges and escaping (the feeds' HTTP helpers).
#include <catch2/catch.hpp>

#include "sources/detail/http.h"

using namespace cairn::sources::detail;

TEST_CASE("the next page comes from rel=\"next\" of a Link header") {
  const std::string gh =
      "<https://api.github.com/repositories/1/releases?per_page=100&page=2>; rel=\"next\", "
      "<https://api.github.com/repositories/1/releases?per_page=100&page=5>; rel=\"last\"";
  CHECK(link_next(gh, "https://api.github.com/repos/o/r/releases") ==
        "https://api.github.com/repositories/1/releases?per_page=100&page=2");
  // The registry sends a path relative to its origin.
  CHECK(link_next("</v2/a/tags/list?last=t99&n=100>; rel=\"next\"",
                  "http://127.0.0.1:5000/v2/a/tags/list?n=100") ==
        "http://127.0.0.1:5000/v2/a/tags/list?last=t99&n=100");
  CHECK(link_next("<https://x/p2>; rel=\"prev\", <https://x/p1>; rel=\"first\"", "https://x/").empty());
  CHECK(link_next("<https://x/p2>; rel=\"prev next\"", "https://x/") == "https://x/p2");
  CHECK(link_next("<https://x/p2>; rel=nextish", "https://x/").empty());
  CHECK(link_next("", "https://x/").empty());
  CHECK(link_next("<unterminated", "https://x/").empty());
}

TEST_CASE("WWW-Authenticate challenges parse into scheme and parameters") {
  auto c = parse_auth_challenge(
      "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
      "scope=\"repository:a/b:pull\"");
  CHECK(c.scheme == "bearer");
  CHECK(c.param("realm") == "https://auth.example/token");
  CHECK(c.param("Service") == "registry.example");
  CHECK(c.param("scope") == "repository:a/b:pull");
  auto b = parse_auth_challenge("Basic realm=\"Registry Realm\"");
  CHECK(b.scheme == "basic");
  CHECK(b.param("realm") == "Registry Realm");
  auto bare = parse_auth_challenge("Negotiate");
  CHECK(bare.scheme == "negotiate");
  CHECK(bare.params.empty());
  auto escaped = parse_auth_challenge("Bearer realm=\"a\\\"b\", error=invalid_token");
  CHECK(escaped.param("realm") == "a\"b");
  CHECK(escaped.param("error") == "invalid_token");
}

TEST_CASE("url_escape keeps unreserved characters only") {
  CHECK(url_escape("repository:a/b:pull") == "repository%3Aa%2Fb%3Apull");
  CHECK(url_escape("v1-alpha.0_x~") == "v1-alpha.0_x~");
}
