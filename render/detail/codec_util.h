// Shared helpers of the codec component: UTF-8 sanitizing, strconv float
// formatting/parsing, and gopkg.in/yaml.v2's plain-scalar resolver.
// Private to render/codec_*.cpp. UTF-8 decoding and encoding are core's
// (detail/gofmt_unicode.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::render::detail {

// Replaces each invalid byte with U+FFFD, as a json.Marshal/Unmarshal round
// trip does. Returns s unchanged (copied) when it is valid.
std::string codec_sanitize_utf8(std::string_view s);

// strconv.FormatFloat(f, fmt, -1, bits) for fmt 'e', 'f' or 'g' (shortest
// round-trip digits; bits 32 formats float32(f)). Inf/NaN give "+Inf",
// "-Inf", "NaN".
std::string codec_format_float(double f, char fmt, int bits = 64);
// encoding/json's float64 text: 'f' unless |f| < 1e-6 or >= 1e21, then 'e'
// with a one-digit negative exponent cleaned ("1e-07" -> "1e-7").
std::string codec_json_float(double f);

// strconv.ParseFloat(s, 64) for decimal text (optional sign, digits, '.',
// exponent; no hex, inf or underscores): false on syntax error or overflow.
bool codec_parse_decimal_float(std::string_view s, double& out);

// What gopkg.in/yaml.v2's resolve("", s) makes of a plain scalar.
enum class YamlTag : std::uint8_t { Null, Bool, Int, Uint, Float, Str, Timestamp, Merge };
struct YamlResolved {
  YamlTag tag = YamlTag::Str;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};
YamlResolved codec_yaml_resolve(std::string_view s);
// yaml.v2's isBase60Float ("1:20" would read back as a sexagesimal float).
bool codec_yaml_is_base60_float(std::string_view s);

}  // namespace cairn::render::detail
