// Hostile templates end in a clear error, never a crash, a hang or unbounded
// memory: recursion, output size, iteration counts, huge repeat/until/indent,
// deep nesting, alias bombs. Each case must fail and say why.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "render/codec.h"
#include "render/funcmap.h"

namespace {

using cairn::render::Mode;
using cairn::render::render_text;
using cairn::render::Value;

std::string nested(const std::string& open, const std::string& close, int depth,
                   const std::string& middle) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += middle;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

// Renders `text` in helm mode and returns the error message; fails the test
// when rendering succeeds or takes longer than a few seconds.
std::string must_fail(const std::string& text, Mode mode = Mode::Helm) {
  const auto t0 = std::chrono::steady_clock::now();
  auto out = render_text(mode, text, Value::new_map());
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("template: " << text.substr(0, 200));
  CHECK(seconds < 20);
  REQUIRE_FALSE(out.has_value());
  return out.error().message;
}

}  // namespace

TEST_CASE("unbounded template recursion is an error", "[hostile]") {
  CHECK_THAT(must_fail(R"({{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }})"),
             Catch::Contains("depth"));
}

TEST_CASE("unbounded include recursion stops at helm's limit", "[hostile]") {
  CHECK_THAT(must_fail(R"({{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }})"),
             Catch::Contains("nested reference"));
}

TEST_CASE("tpl calling itself through include is bounded", "[hostile]") {
  const std::string msg = must_fail(
      R"({{ define "t" }}{{ tpl "{{ include \"t\" . }}" . }}{{ end }}{{ include "t" . }})");
  CHECK_FALSE(msg.empty());
}

TEST_CASE("huge repeat, until, seq and indent are errors, not allocations", "[hostile]") {
  CHECK_FALSE(must_fail(R"({{ repeat 1000000000000 "x" }})").empty());
  CHECK_FALSE(must_fail(R"({{ "abcdefgh" | repeat 100000 | repeat 100000 }})").empty());
  CHECK_FALSE(must_fail(R"({{ until 100000000000 }})").empty());
  CHECK_FALSE(must_fail(R"({{ untilStep 0 100000000000 1 }})").empty());
  CHECK_FALSE(must_fail(R"({{ seq 1 100000000000 }})").empty());
  CHECK_FALSE(must_fail(R"({{ indent 1000000000 "x" }})").empty());
  // fmt refuses widths beyond 1e6 in-band, as Go does: no giant padding.
  CHECK(*render_text(Mode::Helm, R"({{ printf "%999999999d" 1 }})", Value::new_map()) ==
        "%!(NOVERB)%!(EXTRA int=1)");
}

TEST_CASE("output larger than the limit is an error", "[hostile]") {
  CHECK_FALSE(must_fail(R"({{ range until 100000 }}{{ range until 100000 }}xxxxxxxxxx{{ end }}{{ end }})")
                  .empty());
  CHECK_FALSE(
      must_fail(R"({{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}{{ $s }})")
          .empty());
}

TEST_CASE("deeply nested actions and parentheses are parse errors", "[hostile]") {
  CHECK_FALSE(must_fail(nested("{{ if true }}", "{{ end }}", 100000, "x")).empty());
  CHECK_FALSE(must_fail("{{ " + nested("(", ")", 100000, "1") + " }}").empty());
  CHECK_FALSE(must_fail(nested("{{ range until 1 }}", "{{ end }}", 100000, "x")).empty());
}

TEST_CASE("YAML alias bombs and deep documents are errors", "[hostile]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
  }
  CHECK_FALSE(cairn::render::yaml_decode(bomb).has_value());
  CHECK_FALSE(cairn::render::yaml_decode(nested("[", "]", 100000, "1")).has_value());
  CHECK_FALSE(cairn::render::json_decode(nested("[", "]", 100000, "1")).has_value());
  // Through fromYaml the failure is helm's error map, not a crash.
  auto out = render_text(Mode::Helm, "{{ (fromYaml .y).Error }}",
                         *cairn::render::json_decode(nlohmann::json{{"y", bomb}}.dump()));
  REQUIRE(out.has_value());
  CHECK_THAT(*out, Catch::Contains("alias"));
}
