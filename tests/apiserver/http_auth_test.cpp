// Tests of static token and client certificate authentication (apiserver/auth.h).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/auth.h"

namespace {

using namespace cairn::apiserver;

std::filesystem::path write_tokens(const std::string& name, const std::string& content) {
  auto file = std::filesystem::temp_directory_path() /
              ("cairn-auth-" + name + "-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

HttpRequest with_auth(const std::string& value) {
  HttpRequest r;
  r.headers.emplace_back("authorization", value);
  return r;
}

}  // namespace

TEST_CASE("a token file maps tokens to users, uids and groups", "[http][auth]") {
  const auto file = write_tokens("ok",
                                 "# comment line\n"
                                 "\n"
                                 "tok1,alice,uid-1,\"system:masters,devs\"\n"
                                 "tok2, bob, uid-2\r\n"
                                 "tok3,carol,uid-3,ops,extra-column\n"
                                 ",nobody,uid-0\n"
                                 "tok1,alice2,uid-9,\"a\"\"b\"\n");
  auto auth = Authenticator::from_token_file(file);
  REQUIRE(auth.has_value());

  auto alice = auth->authenticate(with_auth("Bearer tok1"));
  REQUIRE(alice.has_value());
  REQUIRE(alice->has_value());
  // The later record of a repeated token wins, as in kube.
  CHECK((*alice)->name == "alice2");
  CHECK((*alice)->uid == "uid-9");
  CHECK((*alice)->groups == std::vector<std::string>{"a\"b"});

  auto bob = auth->authenticate(with_auth("bearer tok2"));
  REQUIRE(bob.has_value());
  REQUIRE(bob->has_value());
  CHECK((*bob)->name == "bob");
  CHECK((*bob)->uid == "uid-2");
  CHECK((*bob)->groups.empty());

  auto carol = auth->authenticate(with_auth("BEARER tok3"));
  REQUIRE(carol.has_value());
  REQUIRE(carol->has_value());
  CHECK((*carol)->groups == std::vector<std::string>{"ops"});
  std::filesystem::remove(file);
}

TEST_CASE("groups in quotes split at commas", "[http][auth]") {
  const auto file = write_tokens("groups", "t,u,id,\"g1,g2,g3\"\n");
  auto auth = Authenticator::from_token_file(file);
  REQUIRE(auth.has_value());
  auto user = auth->authenticate(with_auth("Bearer t"));
  REQUIRE(user.has_value());
  REQUIRE(user->has_value());
  CHECK((*user)->groups == std::vector<std::string>{"g1", "g2", "g3"});
  std::filesystem::remove(file);
}

TEST_CASE("malformed token files name file and line", "[http][auth]") {
  SECTION("too few columns") {
    const auto file = write_tokens("short", "# c\ntok,user\n");
    auto auth = Authenticator::from_token_file(file);
    REQUIRE_FALSE(auth.has_value());
    CHECK(auth.error().code == StatusCode::kBadRequest);
    CHECK(auth.error().message.find(file.string() + ":2: ") == 0);
    CHECK(auth.error().message.find("at least 3 columns") != std::string::npos);
    std::filesystem::remove(file);
  }
  SECTION("broken quoting") {
    const auto file = write_tokens("quote", "a,b,c,\"unterminated\n");
    auto auth = Authenticator::from_token_file(file);
    REQUIRE_FALSE(auth.has_value());
    CHECK(auth.error().message.find(file.string() + ":1: ") == 0);
    std::filesystem::remove(file);
  }
  SECTION("missing file") {
    auto auth = Authenticator::from_token_file("/nonexistent/tokens.csv");
    REQUIRE_FALSE(auth.has_value());
    CHECK(auth.error().code == StatusCode::kInternal);
    CHECK(auth.error().message.find("/nonexistent/tokens.csv") != std::string::npos);
  }
}

TEST_CASE("an unknown bearer token is 401 Unauthorized", "[http][auth]") {
  const auto file = write_tokens("bad", "good,u,1\n");
  auto auth = Authenticator::from_token_file(file);
  REQUIRE(auth.has_value());
  for (const char* header : {"Bearer goo", "Bearer goodx", "Bearer GOOD", "Bearer x"}) {
    auto r = auth->authenticate(with_auth(header));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == StatusCode::kUnauthorized);
    CHECK(r.error().http_code() == 401);
    CHECK(r.error().message == "Unauthorized");
    // The body the API returns for it is kube's 401 Status.
    CHECK(to_json(r.error()) ==
          nlohmann::json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                                R"("status":"Failure","message":"Unauthorized",)"
                                R"("reason":"Unauthorized","code":401})"));
  }
  std::filesystem::remove(file);
}

TEST_CASE("requests without credentials are anonymous", "[http][auth]") {
  Authenticator auth;
  auto none = auth.authenticate(HttpRequest{});
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
  for (const char* header : {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer  x"}) {
    auto r = auth.authenticate(with_auth(header));
    INFO(header);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
  }
}

TEST_CASE("a verified client certificate authenticates as CN with O groups", "[http][auth]") {
  Authenticator auth;
  HttpRequest req = with_auth("Bearer unknown");
  req.client_certificate = ClientCertificate{"kubernetes-admin", {"system:masters", "team"}};
  auto r = auth.authenticate(req);
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  CHECK((*r)->name == "kubernetes-admin");
  CHECK((*r)->groups == std::vector<std::string>{"system:masters", "team"});
}
