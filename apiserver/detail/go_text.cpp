// Go's fmt, strconv and encoding/json text forms (see go_text.h). Floats start from the shortest
// round-trip digits std::to_chars gives, which are the digits strconv's shortest formatting picks.
#include "apiserver/detail/go_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace cairn::apiserver::go {

namespace {

using nlohmann::json;

constexpr char kHex[] = "0123456789abcdef";

// `prefix` followed by the two lower-case hex digits of `c` (\x7f, \u00 + 3c).
void append_hex_byte(std::string_view prefix, unsigned char c, std::string& out) {
  out += prefix;
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// utf8.DecodeRuneInString for the non-ASCII byte at s[i]: the width (2 to 4) of the well-formed
// sequence starting there, with its code point in `rune`; 0 when the sequence is invalid
// (overlong, a surrogate, above U+10FFFF, truncated), where Go yields RuneError of width 1.
std::size_t decode_rune(std::string_view s, std::size_t i, std::uint32_t& rune) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    rune = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    rune = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    rune = c & 0x07;
  }
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    rune = (rune << 6) | (cc & 0x3F);
  }
  const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (rune < min || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) return 0;
  return len;
}

// The letter of the two-character backslash escape Go uses for an ASCII byte (\" \\ \a \b \f \n
// \r \t \v), or 0 when it has none.
char c_escape(unsigned char c) {
  static constexpr std::string_view kBytes = "\"\\\a\b\f\n\r\t\v";
  static constexpr std::string_view kLetters = "\"\\abfnrtv";
  const std::size_t k = kBytes.find(static_cast<char>(c));
  return k == std::string_view::npos ? 0 : kLetters[k];
}

// Appends `s` between double quotes, read as Go's `for range` reads a string: each ASCII byte
// goes through `ascii(c)`, each well-formed multi-byte sequence through `rune(code_point, bytes)`
// and each byte of an invalid sequence through `invalid(c)`; they append to `out`.
template <typename Ascii, typename Rune, typename Invalid>
void append_quoted(std::string_view s, Ascii ascii, Rune rune, Invalid invalid, std::string& out) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t code_point = 0;
    const std::size_t len = c < 0x80 ? 1 : decode_rune(s, i, code_point);
    if (c < 0x80) {
      ascii(c);
    } else if (len == 0) {
      invalid(c);
    } else {
      rune(code_point, s.substr(i, len));
    }
    i += len == 0 ? 1 : len;
  }
  out += '"';
}

// A finite float64 as its shortest round-trip decimal digits: value = ±0.digits * 10^point.
struct Decimal {
  std::string digits;  // no leading zeros; "0" for zero
  int point = 0;
  bool negative = false;
};

Decimal shortest_decimal(double v) {
  Decimal d;
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  if (!s.empty() && s[0] == '-') {
    d.negative = true;
    s.remove_prefix(1);
  }
  const std::size_t e = s.find('e');
  for (char c : s.substr(0, e)) {
    if (c != '.') d.digits += c;
  }
  int exponent = 0;
  std::string_view exp_text = s.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  d.point = d.digits == "0" ? 0 : exponent + 1;
  return d;
}

// strconv's 'e' with the shortest digits: d.ddde±XX.
std::string format_e(const Decimal& d) {
  std::string out = d.negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) out += "." + d.digits.substr(1);
  const int exponent = d.digits == "0" ? 0 : d.point - 1;
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
  return out;
}

// strconv's 'f' with the shortest digits.
std::string format_f(const Decimal& d) {
  std::string out = d.negative ? "-" : "";
  const int nd = d.digits == "0" ? 0 : static_cast<int>(d.digits.size());
  if (d.point > 0) {
    for (int i = 0; i < d.point; ++i) out += i < nd ? d.digits[static_cast<std::size_t>(i)] : '0';
  } else {
    out += '0';
  }
  const int frac = std::max(nd - d.point, 0);
  if (frac > 0) {
    out += '.';
    for (int i = 0; i < frac; ++i) {
      const int index = d.point + i;
      out += index >= 0 && index < nd ? d.digits[static_cast<std::size_t>(index)] : '0';
    }
  }
  return out;
}

void append_marshal(const json& value, std::string& out) {
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary:
      out += "null";
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case json::value_t::number_float:
      out += json_float(value.get<double>());
      return;
    case json::value_t::string:
      append_json_string(value.get_ref<const std::string&>(), out);
      return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ',';
        first = false;
        append_marshal(item, out);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_json_string(it.key(), out);
        out += ':';
        append_marshal(it.value(), out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out;
  append_quoted(
      s,
      [&](unsigned char c) {
        if (const char e = c_escape(c)) {
          out += '\\';
          out += e;
        } else if (c < 0x20 || c == 0x7f) {
          append_hex_byte("\\x", c, out);
        } else {
          out += static_cast<char>(c);
        }
      },
      [&](std::uint32_t, std::string_view bytes) { out += bytes; },
      [&](unsigned char c) { append_hex_byte("\\x", c, out); }, out);
  return out;
}

std::string format_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  const Decimal d = shortest_decimal(f);
  // %v switches to the 'e' form below 1e-4 and from 1e6 on (strconv's 'g' with eprec 6).
  const int exponent = d.digits == "0" ? -1 : d.point - 1;
  if (d.digits != "0" && (exponent < -4 || exponent >= 6)) return format_e(d);
  return format_f(d);
}

std::string json_float(double f) {
  if (!std::isfinite(f)) return "null";
  const Decimal d = shortest_decimal(f);
  const double magnitude = std::fabs(f);
  if (magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e21)) return format_f(d);
  std::string out = format_e(d);
  // Go cleans up e-09 to e-9 (a positive exponent here always has two digits).
  const std::size_t n = out.size();
  if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  return out;
}

void append_json_string(std::string_view s, std::string& out) {
  append_quoted(
      s,
      [&](unsigned char c) {
        if (const char e = c == '\a' || c == '\v' ? 0 : c_escape(c)) {
          out += '\\';
          out += e;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          append_hex_byte("\\u00", c, out);
        } else {
          out += static_cast<char>(c);
        }
      },
      [&](std::uint32_t rune, std::string_view bytes) {
        if (rune == 0x2028 || rune == 0x2029) {
          out += rune == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
          out += bytes;
        }
      },
      [&](unsigned char) { out += "\\ufffd"; }, out);
}

std::string marshal(const json& value) {
  std::string out;
  append_marshal(value, out);
  return out;
}

std::string value(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return quote(v.get_ref<const std::string&>());
    case json::value_t::number_integer:
      return std::to_string(v.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<std::uint64_t>());
    case json::value_t::number_float:
      return format_float(v.get<double>());
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    default:
      return marshal(v);
  }
}

}  // namespace cairn::apiserver::go
