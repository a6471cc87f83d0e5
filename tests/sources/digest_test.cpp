// SHA-256 of strings and files, and "sha256:" digest parsing.
#include <catch2/catch.hpp>

#include <fstream>

#include "sources/digest.h"
#include "tests/common/temp_dir.h"

using namespace cairn::sources;

TEST_CASE("sha256 matches the published test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.hex() == sha256_hex("abc"));
  h.update("");  // reset after hex()
  CHECK(h.hex() == sha256_hex(""));
}

TEST_CASE("sha256 of a file streams it; a missing file is an I/O error") {
  cairn::testing::TempDir dir;
  const std::string big(3 << 20, 'x');
  std::ofstream(dir / "f") << big;
  CHECK(sha256_file(dir / "f").value() == sha256_hex(big));
  auto missing = sha256_file(dir / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kIo);
}

TEST_CASE("sha256 digests are recognised and lower-cased") {
  const std::string hex(64, 'A');
  CHECK(sha256_from_digest("sha256:" + hex) == std::string(64, 'a'));
  CHECK(sha256_from_digest("sha512:" + hex).empty());
  CHECK(sha256_from_digest("sha256:abc").empty());
  CHECK(sha256_from_digest("sha256:" + std::string(64, 'g')).empty());
}
