#include "api/version.h"

#include <catch2/catch.hpp>

using cairn::api::KubernetesPatchVersion;
using cairn::api::KubernetesVersion;
using cairn::api::Version;

TEST_CASE("valid versions parse in both forms and convert both ways unchanged") {
  struct Row {
    const char* dot;
    const char* dash;
    int major;
    const char* channel;
    const char* patch;
  };
  const Row rows[] = {
      {"v1", "v1", 1, "stable", ""},
      {"v0", "v0", 0, "stable", ""},
      {"v2147483647", "v2147483647", 2147483647, "stable", ""},
      {"v0-sha.hipstsw", "v0-sha-hipstsw", 0, "sha", "hipstsw"},
      {"v0-git.3f2a9c1", "v0-git-3f2a9c1", 0, "git", "3f2a9c1"},
      {"v1-alpha.0", "v1-alpha-0", 1, "alpha", "0"},
      {"v1-alpha.10", "v1-alpha-10", 1, "alpha", "10"},
      {"v12-rc.x_1", "v12-rc-x_1", 12, "rc", "x_1"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.dot);
    auto d = Version::parse_dot(row.dot);
    REQUIRE(d);
    CHECK(d->major() == row.major);
    CHECK(d->channel() == row.channel);
    CHECK(d->patch() == row.patch);
    CHECK(d->stable() == (std::string(row.patch).empty()));
    CHECK(d->dot() == row.dot);
    CHECK(d->dash() == row.dash);
    auto s = Version::parse_dash(row.dash);
    REQUIRE(s);
    CHECK(*s == *d);
    CHECK(s->dot() == row.dot);
    CHECK(cairn::api::dot_to_dash(row.dot).value() == row.dash);
    CHECK(cairn::api::dash_to_dot(row.dash).value() == row.dot);
  }
}

TEST_CASE("malformed versions are rejected with a reason that names the input") {
  struct Row {
    const char* text;
    bool dot;
    const char* reason;
  };
  const Row rows[] = {
      {"", true, "must start with 'v'"},
      {"1", true, "must start with 'v'"},
      {"V1", true, "must start with 'v'"},
      {"v", true, "major version must be digits"},
      {"v-1", true, "major version must be digits"},
      {"v1.0", true, "major version must be digits"},
      {"v01", true, "leading zero"},
      {"v2147483648", true, "too large"},
      {"v99999999999", true, "too large"},
      {"v1-alpha", true, "expected <channel>.<patch>"},
      {"v1-alpha.", true, "empty patch"},
      {"v1-.1", true, "empty channel"},
      {"v1-alpha-1", true, "expected <channel>.<patch>"},
      {"v1-alpha.1.0", true, "exactly <channel>.<patch>"},
      {"v1-alpha.1-2", true, "exactly <channel>.<patch>"},
      {"v1-al pha.1", true, "must be letters, digits or '_'"},
      {"v1-alpha.1!", true, "must be letters, digits or '_'"},
      {"v1-stable.1", true, "stable channel takes no patch"},
      {"v1-alpha.1", false, "expected <channel>-<patch>"},
      {"v1-alpha-1-2", false, "exactly <channel>-<patch>"},
      {"v1-alpha-", false, "empty patch"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    auto v = row.dot ? Version::parse_dot(row.text) : Version::parse_dash(row.text);
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains(row.reason));
    CHECK_THAT(v.error().message, Catch::Contains("invalid cluster stack version"));
    CHECK_THAT(v.error().message, Catch::Contains(std::string("\"") + row.text));
  }
}

TEST_CASE("overlong and control-character inputs are rejected with a bounded, escaped message") {
  const std::string longer(1000, '1');
  auto v = Version::parse_dot("v" + longer);
  REQUIRE_FALSE(v);
  CHECK_THAT(v.error().message, Catch::Contains("longer than 128"));
  CHECK(v.error().message.size() < 300);
  auto c = Version::parse_dot(std::string("v1-a\n\"b.1", 10));
  REQUIRE_FALSE(c);
  CHECK_THAT(c.error().message, Catch::Contains("\\x0a\\\"b"));
}

TEST_CASE("Version::make checks its parts like the parsers") {
  CHECK(Version::make(3, "", "").value() == Version(3));
  CHECK(Version::make(3, "stable", "").value() == Version(3));
  CHECK(Version::make(1, "alpha", "9").value().dot() == "v1-alpha.9");
  CHECK_FALSE(Version::make(-1, "", ""));
  CHECK_FALSE(Version::make(1, "alpha", ""));
  CHECK_FALSE(Version::make(1, "stable", "1"));
  CHECK_FALSE(Version::make(1, "al-pha", "1"));
  CHECK_FALSE(Version::make(1, "alpha", "1.2"));
}

namespace {
std::partial_ordering cmp(const char* a, const char* b) {
  return cairn::api::compare(Version::parse_dot(a).value(), Version::parse_dot(b).value());
}
}  // namespace

TEST_CASE("versions order by major, then patch numerically, only within one channel") {
  using O = std::partial_ordering;
  struct Row {
    const char* a;
    const char* b;
    O expected;
  };
  const Row rows[] = {
      {"v1", "v2", O::less},
      {"v10", "v9", O::greater},
      {"v2", "v2", O::equivalent},
      {"v1-alpha.10", "v1-alpha.9", O::greater},  // the Go operator said less (string order)
      {"v1-alpha.9", "v1-alpha.10", O::less},
      {"v1-alpha.2", "v1-alpha.2", O::equivalent},
      {"v2-alpha.0", "v1-alpha.99", O::greater},
      {"v1-alpha.01", "v1-alpha.1", O::less},  // same number, ordered by spelling, not equal
      {"v1-alpha.123456789012345678901", "v1-alpha.99", O::greater},  // beyond 64 bits
      {"v1-alpha.9", "v1-alpha.rc1", O::less},                        // digits before words
      {"v1-alpha.rc1", "v1-alpha.rc2", O::less},
      {"v1", "v1-alpha.1", O::unordered},  // different channels
      {"v1-alpha.1", "v1-beta.1", O::unordered},
      {"v0-sha.abc", "v0-sha.abd", O::unordered},  // hashes have no order
      {"v0-sha.abc", "v0-sha.abc", O::equivalent},
      {"v0-sha.abc", "v1-sha.aaa", O::less},  // the major still orders
      {"v0-git.111", "v0-git.222", O::unordered},
  };
  for (const Row& row : rows) {
    CAPTURE(row.a, row.b);
    CHECK(cmp(row.a, row.b) == row.expected);
  }
  CHECK(Version::parse_dot("v1-alpha.10").value() > Version::parse_dot("v1-alpha.9").value());
  CHECK_FALSE(Version::parse_dot("v0-sha.b").value() < Version::parse_dot("v0-sha.a").value());
  CHECK_FALSE(Version::parse_dot("v0-sha.b").value() > Version::parse_dot("v0-sha.a").value());
  CHECK(Version::parse_dot("v0-sha.a").value().hash());
  CHECK_FALSE(Version::parse_dot("v0-alpha.a").value().hash());
}

TEST_CASE("Kubernetes minor lines convert between 1.27 and 1-27") {
  auto k = KubernetesVersion::parse("1.27");
  REQUIRE(k);
  CHECK(k->major == 1);
  CHECK(k->minor == 27);
  CHECK(k->dash() == "1-27");
  CHECK(k->dot() == "1.27");
  CHECK(KubernetesVersion::parse_tag_part("1-27").value() == *k);
  CHECK(KubernetesVersion::parse("10.3").value().dash() == "10-3");
  CHECK(KubernetesVersion::parse("1.27").value() < KubernetesVersion::parse("1.28").value());

  struct Row {
    const char* text;
    const char* reason;
  };
  const Row rows[] = {
      {"1.x", "minor version must be an integer"},
      {"x.27", "major version must be an integer"},
      {"1", "no '.'"},
      {"1.27.3", "minor version must be an integer"},
      {"0.27", "major version must not be 0"},
      {"1.0", "minor version must not be 0"},
      {"1.027", "leading zeros"},
      {"", "no '.'"},
      {"-1.2", "major version must be an integer"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    auto v = KubernetesVersion::parse(row.text);
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains(row.reason));
    CHECK_THAT(v.error().message, Catch::Contains("invalid Kubernetes version"));
  }
  CHECK_FALSE(KubernetesVersion::parse_tag_part("1.27"));
  CHECK_FALSE(KubernetesVersion::parse_tag_part("1-27-3"));
}

TEST_CASE("full Kubernetes versions parse with an optional v and semver suffixes") {
  auto v = KubernetesPatchVersion::parse("v1.27.3");
  REQUIRE(v);
  CHECK(v->major == 1);
  CHECK(v->minor == 27);
  CHECK(v->patch == 3);
  CHECK(v->str() == "v1.27.3");
  CHECK(v->minor_line() == KubernetesVersion{1, 27});
  CHECK(KubernetesPatchVersion::parse("1.28.0").value().str() == "v1.28.0");
  CHECK(KubernetesPatchVersion::parse("v1.28.0-rc.1+build.7").value().str() ==
        "v1.28.0-rc.1+build.7");
  CHECK(KubernetesPatchVersion::parse("v1.28.6+k3s1").value().suffix == "+k3s1");
  for (const char* bad : {"v1.27", "v1.27.", "v1.27.3.4", "v0.27.3", "v1.0.3", "v1.27.x",
                          "v1.27.3-", "v1.27.3+", "v1.27.3-rc..1", "vv1.27.3", "", "v1.27.03"}) {
    CAPTURE(bad);
    auto r = KubernetesPatchVersion::parse(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("expected v<major>.<minor>.<patch>"));
  }
  // The length limit is judged on the printed form, which always carries the 'v': an input of
  // the full length without its 'v' would print one character longer than the CRD allows.
  const std::string longest = "v1.1.1-" + std::string(cairn::api::kMaxVersionLength - 7, 'a');
  REQUIRE(KubernetesPatchVersion::parse(longest));
  CHECK(KubernetesPatchVersion::parse(longest).value().str() == longest);
  CHECK(KubernetesPatchVersion::parse(longest.substr(1)).value().str() == longest);
  const std::string too_long = "1.1.1-" + std::string(cairn::api::kMaxVersionLength - 6, 'a');
  REQUIRE_FALSE(KubernetesPatchVersion::parse(too_long));
  CHECK_THAT(KubernetesPatchVersion::parse(too_long).error().message,
             Catch::Contains("longer than 128 characters"));
}
