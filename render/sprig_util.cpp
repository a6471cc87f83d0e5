// Shared helpers of the sprig component; see render/detail/sprig_util.h.
#include "render/detail/sprig_util.h"

#include <locale.h>

#include <charconv>
#include <cmath>
#include <cwctype>
#include <limits>

#include "render/gofmt.h"

namespace cairn::render::sprig_detail {

void sprig_def(FuncMap& funcs, const std::string& name, std::vector<Param> params, bool variadic,
               FuncImpl impl) {
  funcs[name] = Func{std::move(params), variadic, std::move(impl)};
}

std::string sprig_strval(const Value& v) {
  if (v.is_string()) return v.as_string();
  // sprig's strval: a []byte is its bytes as text.
  if (v.is_list() && v.list_ptr() && v.list().elem_type == "uint8") {
    std::string bytes;
    bytes.reserve(v.list().items.size());
    for (const Value& b : v.list().items) bytes.push_back(static_cast<char>(b.as_uint()));
    return bytes;
  }
  // Objects print through their Stringer (format), everything else via %v.
  return go_format_value(v);
}

bool sprig_empty(const Value& v) {
  switch (v.kind()) {
    case Kind::Invalid:
    case Kind::Nil: return true;
    case Kind::Bool: return !v.as_bool();
    case Kind::Int: return v.as_uint() == 0;
    case Kind::Float: return v.as_float() == 0;
    case Kind::Complex: return v.real() == 0 && v.imag() == 0;
    case Kind::String: return v.as_string().empty();
    case Kind::List: return list_items(v).empty();
    case Kind::Map: return v.is_nil_container() || v.map().items.empty();
    case Kind::Object: return false;
  }
  return true;
}

bool go_deep_equal(const Value& a, const Value& b) {
  if (a.is_nothing() || b.is_nothing()) return a.is_nothing() && b.is_nothing();
  if (a.type_name() != b.type_name()) return false;
  switch (a.kind()) {
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::Int: return a.as_uint() == b.as_uint();
    case Kind::Float: return a.as_float() == b.as_float();
    case Kind::Complex: return a.real() == b.real() && a.imag() == b.imag();
    case Kind::String: return a.as_string() == b.as_string();
    case Kind::List: {
      // A nil slice is not deeply equal to an empty non-nil one.
      if (a.is_nil_container() || b.is_nil_container()) {
        return a.is_nil_container() == b.is_nil_container();
      }
      const auto& x = a.list().items;
      const auto& y = b.list().items;
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!go_deep_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::Map: {
      if (a.is_nil_container() || b.is_nil_container()) {
        return a.is_nil_container() == b.is_nil_container();
      }
      const auto& x = a.map().items;
      const auto& y = b.map().items;
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !go_deep_equal(i->second, j->second)) return false;
      }
      return true;
    }
    case Kind::Object:
      return a.object_ptr() == b.object_ptr() || a.object().format(true) == b.object().format(true);
    default: return false;
  }
}

const std::vector<Value>& list_items(const Value& v) {
  static const std::vector<Value> kNone;
  if (!v.is_list() || v.is_nil_container()) return kNone;
  return v.list().items;
}

Value make_list(std::vector<Value> items) { return Value::new_list(std::move(items)); }

Error nil_deref_error() {
  return Error{"runtime error: invalid memory address or nil pointer dereference"};
}

Result<void> check_output_size(const CallContext& ctx, std::size_t bytes) {
  if (bytes > ctx.limits().max_output_bytes) {
    return make_error("result of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                      std::to_string(ctx.limits().max_output_bytes) + " bytes");
  }
  return {};
}

Result<void> check_list_size(const CallContext& ctx, std::int64_t items) {
  if (items > ctx.limits().max_list_items) {
    return make_error("list of " + std::to_string(items) + " items exceeds the limit of " +
                      std::to_string(ctx.limits().max_list_items) + " items");
  }
  return {};
}

// ------------------------------------------------------------------ numbers

std::int64_t go_float_to_int64(double f) {
  // amd64 CVTTSD2SQ yields the "integer indefinite" value for NaN/overflow.
  if (std::isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(f);
}

namespace {

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// strconv's underscoreOK: underscores only between digits (a base prefix
// counting as a digit).
bool underscore_ok(std::string_view s) {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (lower_ascii(s[1]) == 'b' || lower_ascii(s[1]) == 'o' || lower_ascii(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower_ascii(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && lower_ascii(c) >= 'a' && lower_ascii(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower_ascii(c);
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  return 99;
}

std::size_t common_prefix_ignore_case(std::string_view s, std::string_view word) {
  std::size_t n = 0;
  while (n < s.size() && n < word.size() && lower_ascii(s[n]) == word[n]) ++n;
  return n;
}

}  // namespace

bool go_parse_int(std::string_view s0, int base, std::int64_t& out) {
  std::string_view s = s0;
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  const bool base0 = base == 0;
  if (base0) {
    base = 10;
    if (s[0] == '0') {
      if (s.size() >= 3 && lower_ascii(s[1]) == 'b') {
        base = 2;
        s.remove_prefix(2);
      } else if (s.size() >= 3 && lower_ascii(s[1]) == 'o') {
        base = 8;
        s.remove_prefix(2);
      } else if (s.size() >= 3 && lower_ascii(s[1]) == 'x') {
        base = 16;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
      }
    }
  }
  std::uint64_t n = 0;
  bool underscores = false;
  const std::uint64_t limit = neg ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
  for (char c : s) {
    if (c == '_' && base0) {
      underscores = true;
      continue;
    }
    int d = digit_value(c);
    if (d >= base) return false;
    if (n > (limit - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) {
      return false;  // out of range
    }
    n = n * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
  }
  if (underscores && !underscore_ok(s0)) return false;
  out = neg ? static_cast<std::int64_t>(0 - n) : static_cast<std::int64_t>(n);
  return true;
}

bool go_parse_float(std::string_view s, double& out) {
  if (s.empty()) return false;
  // Infinity and NaN spellings.
  {
    std::string_view t = s;
    double sign = 1;
    if (t[0] == '+' || t[0] == '-') {
      sign = t[0] == '-' ? -1 : 1;
      t.remove_prefix(1);
    }
    std::size_t n = common_prefix_ignore_case(t, "infinity");
    if ((n == 3 && t.size() == 3) || (n == 8 && t.size() == 8)) {
      out = sign * std::numeric_limits<double>::infinity();
      return true;
    }
    if (s.size() == 3 && common_prefix_ignore_case(s, "nan") == 3) {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
  }
  // Validate Go's syntax and collect the text without underscores.
  std::string clean;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    if (s[0] == '-') clean += '-';
    ++i;
  }
  bool hex = false;
  if (i + 2 < s.size() && s[i] == '0' && lower_ascii(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  bool underscores = false, sawdot = false, sawdigits = false;
  std::string mant;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (sawdot) break;
      sawdot = true;
      mant += c;
    } else if ((c >= '0' && c <= '9') || (hex && digit_value(c) < 16)) {
      sawdigits = true;
      mant += c;
    } else {
      break;
    }
  }
  if (!sawdigits) return false;
  std::string exp;
  const char exp_char = hex ? 'p' : 'e';
  if (i < s.size() && lower_ascii(s[i]) == exp_char) {
    ++i;
    if (i >= s.size()) return false;
    if (s[i] == '+' || s[i] == '-') exp += s[i++];
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
      if (s[i] == '_') {
        underscores = true;
      } else {
        exp += s[i];
      }
    }
  } else if (hex) {
    return false;  // hex floats need a 'p' exponent
  }
  if (i != s.size()) return false;
  if (underscores && !underscore_ok(s)) return false;
  clean += mant;
  if (!exp.empty()) clean += std::string(1, exp_char) + exp;
  const char* first = clean.data();
  const char* last = first + clean.size();
  bool negative = !clean.empty() && clean[0] == '-';
  auto res = std::from_chars(negative ? first + 1 : first, last, out,
                             hex ? std::chars_format::hex : std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    // Go: overflow is +-Inf with an error; underflow rounds to 0 without one.
    double probe = std::strtod(clean.c_str(), nullptr);
    if (std::isinf(probe)) return false;
    out = negative ? -0.0 : 0.0;
    return true;
  }
  if (res.ec != std::errc() || res.ptr != last) return false;
  if (negative) out = -out;
  return true;
}

namespace {

// cast's trimZeroDecimal: "12.000" -> "12" (only zeros after the dot).
std::string_view trim_zero_decimal(std::string_view s) {
  bool found_zero = false;
  for (std::size_t i = s.size(); i > 0; --i) {
    char c = s[i - 1];
    if (c == '.') {
      if (found_zero) return s.substr(0, i - 1);
    } else if (c == '0') {
      found_zero = true;
    } else {
      return s;
    }
  }
  return s;
}

}  // namespace

std::int64_t cast_to_int64(const Value& v) {
  switch (v.kind()) {
    case Kind::Int: return v.as_int();
    case Kind::Float: return go_float_to_int64(v.as_float());
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::String: {
      std::int64_t out = 0;
      return go_parse_int(trim_zero_decimal(v.as_string()), 0, out) ? out : 0;
    }
    default: return 0;  // nil, and the types cast refuses
  }
}

double cast_to_float64(const Value& v) {
  switch (v.kind()) {
    case Kind::Int:
      return v.is_unsigned() ? static_cast<double>(v.as_uint()) : static_cast<double>(v.as_int());
    case Kind::Float: return v.as_float();
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::String: {
      double out = 0;
      return go_parse_float(v.as_string(), out) ? out : 0;
    }
    default: return 0;
  }
}

// ------------------------------------------------------------------ Unicode

namespace {

// glibc's C.UTF-8 locale carries the Unicode character classes and case
// mappings; it is built into glibc >= 2.35.
locale_t utf8_locale() {
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return l ? l : newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(nullptr));
  }();
  return loc;
}

wint_t wide(char32_t r) { return static_cast<wint_t>(r); }

// The four Latin digraph triples where Go's title case differs from upper case.
bool digraph_title(char32_t r, char32_t& title) {
  static constexpr char32_t kTriples[][3] = {
      {0x01C4, 0x01C5, 0x01C6}, {0x01C7, 0x01C8, 0x01C9},
      {0x01CA, 0x01CB, 0x01CC}, {0x01F1, 0x01F2, 0x01F3}};
  for (const auto& t : kTriples) {
    if (r == t[0] || r == t[1] || r == t[2]) {
      title = t[1];
      return true;
    }
  }
  return false;
}

}  // namespace

bool uni_is_space(char32_t r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default: return r >= 0x2000 && r <= 0x200A;
  }
}

bool uni_is_upper(char32_t r) {
  if (r < 0x80) return r >= 'A' && r <= 'Z';
  return iswupper_l(wide(r), utf8_locale()) != 0 && !uni_is_title(r);
}

bool uni_is_lower(char32_t r) {
  if (r < 0x80) return r >= 'a' && r <= 'z';
  return iswlower_l(wide(r), utf8_locale()) != 0;
}

bool uni_is_title(char32_t r) {
  char32_t t = 0;
  if (digraph_title(r, t)) return r == t;
  return (r >= 0x1F88 && r <= 0x1F8F) || (r >= 0x1F98 && r <= 0x1F9F) ||
         (r >= 0x1FA8 && r <= 0x1FAF) || r == 0x1FBC || r == 0x1FCC || r == 0x1FFC;
}

bool uni_is_letter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return iswalpha_l(wide(r), utf8_locale()) != 0 && !uni_is_number(r);
}

bool uni_is_digit(char32_t r) { return r >= '0' && r <= '9'; }

bool uni_is_number(char32_t r) {
  if (r < 0x80) return uni_is_digit(r);
  // Latin-1 numbers (superscripts, fractions); other scripts via glibc digits.
  if (r == 0xB2 || r == 0xB3 || r == 0xB9 || (r >= 0xBC && r <= 0xBE)) return true;
  return iswdigit_l(wide(r), utf8_locale()) != 0;
}

bool uni_is_punct(char32_t r) {
  if (r < 0x80) {
    // Unicode category P in ASCII (the symbols $+<=>^`|~ are category S).
    static constexpr std::string_view kPunct = "!\"#%&'()*,-./:;?@[\\]_{}";
    return kPunct.find(static_cast<char>(r)) != std::string_view::npos;
  }
  switch (r) {
    case 0xA1: case 0xA7: case 0xAB: case 0xB6: case 0xB7: case 0xBB: case 0xBF:
      return true;
    default: break;
  }
  if (r < 0x100) return false;
  return (r >= 0x2010 && r <= 0x2027) || (r >= 0x2030 && r <= 0x205E) ||
         (r >= 0x3001 && r <= 0x3003) || (r >= 0x3008 && r <= 0x3011);
}

char32_t uni_to_upper(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') ? r - 32 : r;
  return static_cast<char32_t>(towupper_l(wide(r), utf8_locale()));
}

char32_t uni_to_lower(char32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  return static_cast<char32_t>(towlower_l(wide(r), utf8_locale()));
}

char32_t uni_to_title(char32_t r) {
  char32_t t = 0;
  if (digraph_title(r, t)) return t;
  return uni_to_upper(r);
}

namespace {

template <class F>
std::string map_runes(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) append_rune(out, f(next_rune(s, pos)));
  return out;
}

}  // namespace

std::string go_to_upper(std::string_view s) {
  return map_runes(s, uni_to_upper);
}

std::string go_to_lower(std::string_view s) {
  return map_runes(s, uni_to_lower);
}

}  // namespace cairn::render::sprig_detail
