// Error kinds: names used as condition reasons, which ones a retry can help, context prefixes.
#include <catch2/catch.hpp>

#include "sources/error.h"

using namespace cairn::sources;

TEST_CASE("error kinds have CamelCase names and a retry classification") {
  CHECK(kind_name(ErrorKind::kRateLimited) == "RateLimited");
  CHECK(kind_name(ErrorKind::kHostileArchive) == "HostileArchive");
  CHECK(kind_name(ErrorKind::kInvalidRelease) == "InvalidRelease");
  CHECK(is_retriable(ErrorKind::kTransport));
  CHECK(is_retriable(ErrorKind::kRateLimited));
  CHECK(is_retriable(ErrorKind::kIo));
  CHECK_FALSE(is_retriable(ErrorKind::kIntegrity));
  CHECK_FALSE(is_retriable(ErrorKind::kHostileArchive));
  CHECK_FALSE(is_retriable(ErrorKind::kUnauthorized));
  CHECK_FALSE(is_retriable(ErrorKind::kNotFound));
}

TEST_CASE("context is prefixed and the kind kept") {
  auto e = with_context(Error{ErrorKind::kNotFound, "no release v9", std::nullopt},
                        "feed github://o/r");
  CHECK(e.kind == ErrorKind::kNotFound);
  CHECK(e.message == "feed github://o/r: no release v9");
}
