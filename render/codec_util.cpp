// Helpers shared by the JSON, YAML and TOML codecs: see detail/codec_util.h.
#include "render/detail/codec_util.h"

#include "render/detail/gofmt_strconv.h"
#include "render/detail/gofmt_unicode.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <string>

namespace cairn::render::detail {

std::string codec_sanitize_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const DecodedRune r = decode_rune(s, i);
    if (r.rune == kRuneError && r.width == 1) {
      append_rune(out, kRuneError);
    } else {
      out.append(s.substr(i, static_cast<std::size_t>(r.width)));
    }
    i += static_cast<std::size_t>(r.width);
  }
  return out;
}

namespace {

// Shortest round-trip decimal digits of |f| and the exponent of the first
// digit (f = 0.d1d2... * 10^(exp+1)).
struct Digits {
  std::string digits;
  int exp = 0;
};

Digits shortest_digits(double f, int bits) {
  char buf[64];
  std::to_chars_result res;
  if (bits == 32) {
    res = std::to_chars(buf, buf + sizeof buf, std::fabs(static_cast<float>(f)),
                        std::chars_format::scientific);
  } else {
    res = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::scientific);
  }
  std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
  Digits d;
  std::size_t e = text.find('e');
  for (char c : text.substr(0, e)) {
    if (c != '.') d.digits.push_back(c);
  }
  d.exp = std::atoi(std::string(text.substr(e + 1)).c_str());
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

std::string format_e(const Digits& d) {
  std::string out(1, d.digits[0]);
  if (d.digits.size() > 1) {
    out.push_back('.');
    out.append(d.digits, 1);
  }
  out.push_back('e');
  int exp = d.exp;
  out.push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
  return out;
}

std::string format_f(const Digits& d) {
  const int n = static_cast<int>(d.digits.size());
  if (d.exp < 0) {
    return "0." + std::string(static_cast<std::size_t>(-d.exp - 1), '0') + d.digits;
  }
  if (d.exp + 1 >= n) {
    return d.digits + std::string(static_cast<std::size_t>(d.exp + 1 - n), '0');
  }
  std::string out = d.digits.substr(0, static_cast<std::size_t>(d.exp + 1));
  out.push_back('.');
  out.append(d.digits, static_cast<std::size_t>(d.exp + 1));
  return out;
}

}  // namespace

std::string codec_format_float(double f, char fmt, int bits) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  Digits d = shortest_digits(f, bits);
  if (d.digits == "0") d.exp = 0;
  std::string body;
  if (fmt == 'e') {
    body = format_e(d);
  } else if (fmt == 'f') {
    body = format_f(d);
  } else {
    // %g with shortest digits: %e when the exponent is < -4 or >= 6.
    body = (d.exp < -4 || d.exp >= 6) ? format_e(d) : format_f(d);
  }
  return std::signbit(f) ? "-" + body : body;
}

std::string codec_json_float(double f) {
  const double a = std::fabs(f);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = codec_format_float(f, 'e');
    const std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
      s.erase(n - 2, 1);
    }
    return s;
  }
  return codec_format_float(f, 'f');
}

bool codec_parse_decimal_float(std::string_view s, double& out) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  for (char c : body) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
                    c == '-';
    if (!ok) return false;
  }
  double v = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), v);
  if (res.ptr != body.data() + body.size()) return false;
  if (res.ec == std::errc::result_out_of_range) {
    // Underflow rounds to zero (or a subnormal) in Go; overflow is an error.
    std::string copy(body);
    errno = 0;
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (res.ec != std::errc()) {
    return false;
  }
  out = neg ? -v : v;
  return true;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// yaml.v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// Reads 1 or 2 digits (Go layouts "1", "2", "15", "4", "5" accept either).
bool read_small(std::string_view s, std::size_t& i, int& v) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  v = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
  return true;
}

bool read_fixed(std::string_view s, std::size_t& i, int n, int& v) {
  v = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// yaml.v2's parseTimestamp: time.Parse with "2006-1-2T15:4:5.999999999Z07:00"
// (also lower-case t), "2006-1-2 15:4:5.999999999" or "2006-1-2".
bool yaml_timestamp(std::string_view s) {
  std::size_t i = 0;
  int year, month, day;
  if (!read_fixed(s, i, 4, year) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!read_small(s, i, month) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!read_small(s, i, day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  if (i == s.size()) return true;
  const char sep = s[i];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  ++i;
  int hour, minute, second;
  if (!read_small(s, i, hour) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_small(s, i, minute) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_small(s, i, second)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (i < s.size() && (s[i] == '.' || s[i] == ',') && i + 1 < s.size() && is_digit(s[i + 1])) {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (sep == ' ') return i == s.size();
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
    int zh, zm;
    if (!read_fixed(s, i, 2, zh) || i >= s.size() || s[i] != ':') return false;
    ++i;
    if (!read_fixed(s, i, 2, zm)) return false;
    return i == s.size() && zh < 24 && zm < 60;
  }
  return false;
}

bool in_list(std::string_view s, std::initializer_list<std::string_view> list) {
  for (auto item : list) {
    if (s == item) return true;
  }
  return false;
}

// yaml.v2's resolveMap (exact spellings only).
bool resolve_map(std::string_view s, YamlResolved& r) {
  if (in_list(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    r.tag = YamlTag::Bool;
    r.b = true;
  } else if (in_list(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                         "OFF"})) {
    r.tag = YamlTag::Bool;
    r.b = false;
  } else if (in_list(s, {"", "~", "null", "Null", "NULL"})) {
    r.tag = YamlTag::Null;
  } else if (in_list(s, {".nan", ".NaN", ".NAN"})) {
    r.tag = YamlTag::Float;
    r.d = std::nan("");
  } else if (in_list(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    r.tag = YamlTag::Float;
    r.d = HUGE_VAL;
  } else if (in_list(s, {"-.inf", "-.Inf", "-.INF"})) {
    r.tag = YamlTag::Float;
    r.d = -HUGE_VAL;
  } else if (s == "<<") {
    r.tag = YamlTag::Merge;
  } else {
    return false;
  }
  return true;
}

void set_int(YamlResolved& r, std::int64_t v) {
  r.tag = YamlTag::Int;
  r.i = v;
}

}  // namespace

YamlResolved codec_yaml_resolve(std::string_view s) {
  YamlResolved r;
  // yaml.v2's resolveTable: text starting with any other byte is a string.
  if (!s.empty() && std::string_view("yYnNtTfFoO~<.+-0123456789").find(s[0]) == std::string_view::npos) {
    return r;
  }
  if (resolve_map(s, r)) return r;
  const char c = s[0];  // s is not empty: "" is in the map
  if (c == '.') {
    double d;
    if (codec_parse_decimal_float(s, d)) {
      r.tag = YamlTag::Float;
      r.d = d;
    }
    return r;
  }
  if (!is_digit(c) && c != '+' && c != '-') return r;
  if (yaml_timestamp(s)) {
    r.tag = YamlTag::Timestamp;
    return r;
  }
  std::string plain;
  plain.reserve(s.size());
  for (char ch : s) {
    if (ch != '_') plain.push_back(ch);
  }
  std::int64_t i;
  std::uint64_t u;
  double d;
  // yaml.v2 calls strconv.ParseInt(plain, 0, 64) on the text with every '_'
  // removed, so the shared parser's underscore rules never come into play.
  if (parse_go_int(plain, i)) {
    set_int(r, i);
  } else if (parse_go_uint(plain, u)) {
    r.tag = YamlTag::Uint;
    r.u = u;
  } else if (yaml_style_float(plain) && codec_parse_decimal_float(plain, d)) {
    r.tag = YamlTag::Float;
    r.d = d;
  }
  return r;
}

bool codec_yaml_is_base60_float(std::string_view s) {
  // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !is_digit(s[i])) return false;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    // [0-5]?[0-9]: one digit, or two with the first in 0-5.
    if (i >= s.size() || !is_digit(s[i])) return false;
    if (i + 1 < s.size() && is_digit(s[i + 1]) && s[i] <= '5') {
      i += 2;
    } else {
      i += 1;
    }
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

}  // namespace cairn::render::detail
