#include <crypt.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprigx;

TEST_CASE("hash functions print lower-case hex digests like sprig", "[sprigx][hash]") {
  CHECK(show("sha256sum", {"hello"}) ==
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK(show("sha1sum", {"hello"}) == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
  CHECK(show("sha512sum", {"abc"}) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
        "a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(show("adler32sum", {"hello"}) == "103547413");
  CHECK(show("adler32sum", {""}) == "1");
}

TEST_CASE("sha256sum of helm's toYaml text matches the checksum annotation vector",
          "[sprigx][hash]") {
  // helm/real/checksum-annotation: toYaml {a: 1, b: [2]} = "a: 1\nb:\n- 2"
  CHECK(show("sha256sum", {"a: 1\nb:\n- 2"}).substr(0, 16) == "8e659530d8b9b1e8");
}

TEST_CASE("b64enc and b32enc use the standard padded alphabets", "[sprigx][encoding]") {
  CHECK(show("b64enc", {"hello world"}) == "aGVsbG8gd29ybGQ=");
  CHECK(show("b64enc", {""}) == "");
  CHECK(show("b64enc", {"ab"}) == "YWI=");
  CHECK(show("b64enc", {"openstack:\n  auth:\n    auth_url: https://k\n    username: u\n"
                        "  region_name: R"}) ==
        "b3BlbnN0YWNrOgogIGF1dGg6CiAgICBhdXRoX3VybDogaHR0cHM6Ly9rCiAgICB1c2VybmFtZTogdQogIHJlZ2lv"
        "bl9uYW1lOiBS");
  CHECK(show("b32enc", {"hi"}) == "NBUQ====");
  CHECK(show("b32enc", {"hello"}) == "NBSWY3DP");
  CHECK(show("b32enc", {""}) == "");
}

TEST_CASE("b64dec decodes and returns Go's error text for bad input", "[sprigx][encoding]") {
  CHECK(show("b64dec", {"aGVsbG8gd29ybGQ="}) == "hello world");
  CHECK(show("b64dec", {"!!!"}) == "illegal base64 data at input byte 0");
  CHECK(show("b64dec", {"aGVsbG8"}) == "illegal base64 data at input byte 4");
  CHECK(show("b64dec", {"aGVsbG8=x"}) == "illegal base64 data at input byte 8");
  CHECK(show("b64dec", {"aGVs\nbG8="}) == "hello");
  CHECK(show("b64dec", {"aR=="}) == "i");  // Go's StdEncoding is not strict
  CHECK(show("b64dec", {""}) == "");
}

TEST_CASE("b32dec decodes and returns Go's error text for bad input", "[sprigx][encoding]") {
  CHECK(show("b32dec", {"NBUQ===="}) == "hi");
  CHECK(show("b32dec", {"NBSWY3DP"}) == "hello");
  CHECK(show("b32dec", {"x"}) == "illegal base32 data at input byte 0");
  CHECK(show("b32dec", {"NBUQ=="}) == "illegal base32 data at input byte 6");
  CHECK(show("b32dec", {"NBU====="}) == "illegal base32 data at input byte 3");
  CHECK(show("b32dec", {"NBUQ====NBUQ===="}) == "illegal base32 data at input byte 4");
}

namespace {
bool bcrypt_verifies(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  return out != nullptr && hash == out;
}
}  // namespace

TEST_CASE("bcrypt produces a $2a$ cost-10 hash that verifies", "[sprigx][bcrypt]") {
  auto r = call("bcrypt", {"pw"});
  REQUIRE(r);
  const std::string hash = r->as_string();
  CHECK(hash.rfind("$2a$10$", 0) == 0);
  CHECK(hash.size() == 60);
  CHECK(bcrypt_verifies("pw", hash));
  CHECK_FALSE(bcrypt_verifies("px", hash));
}

TEST_CASE("htpasswd joins user and bcrypt hash, refusing ':' in the user", "[sprigx][bcrypt]") {
  auto r = call("htpasswd", {"admin", "secret"});
  REQUIRE(r);
  const std::string line = r->as_string();
  REQUIRE(line.rfind("admin:$2a$10$", 0) == 0);
  CHECK(bcrypt_verifies("secret", line.substr(6)));
  CHECK(show("htpasswd", {"a:b", "x"}) == "invalid username: a:b");
}

TEST_CASE("derivePassword matches sprig's master-password output", "[sprigx][derive]") {
  CHECK(show("derivePassword", {ints(1), "long", "password", "user", "example.com"}) ==
        "ZedaFaxcZaso9*");
  CHECK(show("derivePassword", {ints(0), "maximum", "a", "b", "c"}) == "pDGMWgFldIHA@)xe8n1=");
  // Go truncates an over-large constant to uint32.
  CHECK(show("derivePassword", {ints(4294967296), "long", "a", "b", "c"}) == "MepuQaco5%Qimw");
  CHECK(show("derivePassword", {ints(1), "zz", "a", "b", "c"}) ==
        "cannot find password template zz");
  CHECK(show("derivePassword", {ints(-1), "long", "a", "b", "c"}) ==
        "ERROR: expected unsigned integer; found -1");
  CHECK(show("derivePassword", {Value::floating(1), "long", "a", "b", "c"}) ==
        "ERROR: wrong type for value; expected uint32; got float64");
}

TEST_CASE("decryptAES reads what sprig's encryptAES wrote", "[sprigx][aes]") {
  // Produced by the Go reference: encryptAES "secret" "hello".
  CHECK(show("decryptAES", {"secret", "9G+5q7Zq2FJnI9AYREbF+wfvBxs0TqtjNE0O7KPrK5Y="}) == "hello");
}

TEST_CASE("encryptAES output is IV plus padded CBC blocks and round-trips", "[sprigx][aes]") {
  for (std::string plain : {"x", "exactly16bytes!!", "a longer text with more than one block"}) {
    auto enc = call("encryptAES", {"key", plain});
    REQUIRE(enc);
    auto raw = call("b64dec", {enc->as_string()});
    REQUIRE(raw);
    CHECK(raw->as_string().size() == 16 + (plain.size() / 16 + 1) * 16);
    CHECK(show("decryptAES", {"key", enc->as_string()}) == plain);
    // A password longer than 32 bytes is truncated to the key size.
    auto enc_long = call("encryptAES", {std::string(40, 'k'), plain});
    REQUIRE(enc_long);
    CHECK(show("decryptAES", {std::string(32, 'k'), enc_long->as_string()}) == plain);
  }
  CHECK(show("encryptAES", {"k", ""}) == "");
  CHECK(show("decryptAES", {"k", ""}) == "");
}

TEST_CASE("decryptAES of malformed input fails with Go's runtime error", "[sprigx][aes]") {
  CHECK(show("decryptAES", {"k", "!!"}) == "ERROR: illegal base64 data at input byte 0");
  CHECK(show("decryptAES", {"k", "aGVsbG8="}) ==
        "ERROR: runtime error: slice bounds out of range [:16] with capacity 6");
  CHECK(show("decryptAES", {"k", "\n"}) ==
        "ERROR: runtime error: slice bounds out of range [:16] with capacity 0");
  CHECK(show("decryptAES", {"k", "AAAAAAAAAAAAAAAAAAAAAA=="}) ==
        "ERROR: runtime error: index out of range [-1]");
  CHECK(show("decryptAES", {"k", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}) ==
        "ERROR: crypto/cipher: input not full blocks");
}

TEST_CASE("randBytes returns base64 of N random bytes", "[sprigx][random]") {
  auto r = call("randBytes", {ints(3)});
  REQUIRE(r);
  CHECK(r->as_string().size() == 4);
  auto raw = call("b64dec", {r->as_string()});
  CHECK(raw->as_string().size() == 3);
  CHECK(show("randBytes", {ints(0)}) == "");
  CHECK(show("randBytes", {ints(-1)}) == "ERROR: runtime error: makeslice: len out of range");
  TestContext ctx;
  ctx.limits_.max_output_bytes = 10;
  CHECK_FALSE(call("randBytes", {ints(11)}, &ctx));
}
