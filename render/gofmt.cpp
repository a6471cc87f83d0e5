// fmt.Sprint / Sprintln / Sprintf over template Values, matching Go's
// fmt/print.go and fmt/format.go: verb dispatch per Go type, flags, width and
// precision (incl. `*` and `%[n]` argument indexes), and the in-band error
// forms "%!d(string=x)", "%!s(MISSING)", "%!(EXTRA ...)", "%!(NOVERB)".
#include "render/gofmt.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/detail/gofmt_quote.h"
#include "render/detail/gofmt_unicode.h"
#include "render/func.h"

namespace cairn::render {
namespace {

constexpr std::string_view kLowerDigits = "0123456789abcdefx";
constexpr std::string_view kUpperDigits = "0123456789ABCDEFX";

// Guards against hostile input that Go itself would not survive: formatting
// stops adding operands once the output exceeds kMaxOutputBytes (far beyond
// any render limit, so callers checking Limits::max_output_bytes fail
// cleanly), and containers nested deeper than kMaxDepth (only reachable
// through cycles such as a map holding itself, where Go overflows its stack)
// print "%!v(DEPTH)" instead of recursing.
constexpr std::size_t kMaxOutputBytes = std::size_t{256} << 20;
constexpr int kMaxDepth = 1000;

// fmt's tooLarge: widths, precisions and argument numbers beyond +-1e6 are refused.
bool too_large(long long x) { return x > 1'000'000 || x < -1'000'000; }

struct Flags {
  bool plus = false;
  bool minus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  bool plus_v = false;   // %+v
  bool sharp_v = false;  // %#v
  bool wid_present = false;
  bool prec_present = false;
  int wid = 0;
  int prec = 0;
};

// One formatting run (Go's pp + fmt): flags of the current verb and the output.
class Printer {
 public:
  std::string take() { return std::move(buf_); }

  void do_print(const std::vector<Value>& args);
  void do_println(const std::vector<Value>& args);
  void do_printf(std::string_view format, const std::vector<Value>& args);
  // printArg: a top-level operand (a Nil/Invalid Value is Go's nil interface).
  void print_arg(const Value& v, char32_t verb);

 private:
  // --- fmt/format.go level: padding and primitive layouts ---
  void write_padding(long long n);
  void pad(std::string_view s);
  void fmt_boolean(bool v) { pad(v ? "true" : "false"); }
  void fmt_integer(std::uint64_t u, int base, bool is_signed, char32_t verb,
                   std::string_view digits);
  void fmt_unicode(std::uint64_t u);
  void fmt_c(std::uint64_t c);
  void fmt_qc(std::uint64_t c);
  std::string_view truncate(std::string_view s) const;
  void fmt_s(std::string_view s) { pad(truncate(s)); }
  void fmt_sbx(std::string_view s, std::string_view digits);
  void fmt_q(std::string_view s);
  void fmt_float_layout(double v, char verb, int prec);

  // --- fmt/print.go level: verb dispatch per Go type ---
  void fmt_bool(bool v, char32_t verb);
  void fmt_int(const Value& v, char32_t verb);
  void fmt_float(double v, char32_t verb);
  void fmt_complex(double re, double im, char32_t verb);
  void fmt_string(std::string_view s, char32_t verb);
  void fmt_bytes(const Value& list, char32_t verb);
  void print_value(const Value& v, char32_t verb, int depth);
  void print_list(const Value& v, char32_t verb, int depth);
  void print_map(const Value& v, char32_t verb, int depth);
  void print_object(const Object& o, char32_t verb);
  void bad_verb(const Value& v, char32_t verb);
  void write_rune(char32_t r) { detail::append_rune(buf_, r); }
  bool overflow() const { return buf_.size() > kMaxOutputBytes; }

  // --- doPrintf helpers ---
  bool arg_number(int& arg_num, std::string_view format, std::size_t& i, int num_args);
  bool int_from_arg(const std::vector<Value>& args, int& arg_num, int& out) const;

  std::string buf_;
  Flags f_;
  bool erroring_ = false;  // inside bad_verb: Stringers are not consulted
  bool good_arg_num_ = true;
  bool reordered_ = false;
};

void Printer::write_padding(long long n) {
  if (n <= 0) return;
  buf_.append(static_cast<std::size_t>(n), f_.zero && !f_.minus ? '0' : ' ');
}

// Width counts runes, not bytes; '-' pads on the right.
void Printer::pad(std::string_view s) {
  if (!f_.wid_present || f_.wid == 0) {
    buf_ += s;
    return;
  }
  const long long width = f_.wid - static_cast<long long>(detail::rune_count(s));
  if (!f_.minus) {
    write_padding(width);
    buf_ += s;
  } else {
    buf_ += s;
    write_padding(width);
  }
}

// fmt.fmtInteger: sign, precision as minimum digit count, '0' flag as
// precision when no precision is given, '#' prefixes, %O's "0o".
void Printer::fmt_integer(std::uint64_t u, int base, bool is_signed, char32_t verb,
                          std::string_view digits) {
  const bool negative = is_signed && static_cast<std::int64_t>(u) < 0;
  if (negative) u = ~u + 1;
  long long prec = 0;
  if (f_.prec_present) {
    prec = f_.prec;
    if (prec == 0 && u == 0) {  // %.0d of 0 prints nothing but padding
      const bool old_zero = f_.zero;
      f_.zero = false;
      write_padding(f_.wid);
      f_.zero = old_zero;
      return;
    }
  } else if (f_.zero && !f_.minus && f_.wid_present) {
    prec = f_.wid;
    if (negative || f_.plus || f_.space) --prec;  // room for the sign
  }
  std::string rev;  // digits in reverse order, then prefixes
  const auto b = static_cast<std::uint64_t>(base);
  do {
    rev.push_back(digits[u % b]);
    u /= b;
  } while (u != 0);
  while (static_cast<long long>(rev.size()) < prec) rev.push_back('0');
  if (f_.sharp) {
    if (base == 2) {
      rev += "b0";
    } else if (base == 8) {
      if (rev.back() != '0') rev.push_back('0');
    } else if (base == 16) {
      rev.push_back(digits[16]);
      rev.push_back('0');
    }
  }
  if (verb == 'O') rev += "o0";
  if (negative) {
    rev.push_back('-');
  } else if (f_.plus) {
    rev.push_back('+');
  } else if (f_.space) {
    rev.push_back(' ');
  }
  const std::string s(rev.rbegin(), rev.rend());
  const bool old_zero = f_.zero;
  f_.zero = false;
  pad(s);
  f_.zero = old_zero;
}

// %U: "U+0041", at least `prec` (default 4) hex digits; '#' appends " 'A'".
void Printer::fmt_unicode(std::uint64_t u) {
  std::string hex;
  const std::uint64_t orig = u;
  do {
    hex.insert(hex.begin(), kUpperDigits[u & 0xF]);
    u >>= 4;
  } while (u != 0);
  const long long prec = f_.prec_present && f_.prec > 4 ? f_.prec : 4;
  if (static_cast<long long>(hex.size()) < prec) {
    hex.insert(0, static_cast<std::size_t>(prec) - hex.size(), '0');
  }
  std::string s = "U+" + hex;
  if (f_.sharp && orig <= detail::kMaxRune && detail::go_is_print(static_cast<char32_t>(orig))) {
    s += " '";
    detail::append_rune(s, static_cast<char32_t>(orig));
    s += "'";
  }
  const bool old_zero = f_.zero;
  f_.zero = false;
  pad(s);
  f_.zero = old_zero;
}

void Printer::fmt_c(std::uint64_t c) {
  std::string s;
  detail::append_rune(s, c > detail::kMaxRune ? detail::kRuneError : static_cast<char32_t>(c));
  pad(s);
}

void Printer::fmt_qc(std::uint64_t c) {
  std::string s;
  const char32_t r = c > detail::kMaxRune ? detail::kRuneError : static_cast<char32_t>(c);
  detail::append_quoted_rune(s, r, f_.plus);
  pad(s);
}

// Precision limits the number of runes of a string.
std::string_view Printer::truncate(std::string_view s) const {
  if (!f_.prec_present) return s;
  long long n = f_.prec;
  for (std::size_t i = 0; i < s.size();) {
    if (--n < 0) return s.substr(0, i);
    i += static_cast<unsigned char>(s[i]) < 0x80
             ? 1
             : static_cast<std::size_t>(detail::decode_rune(s, i).width);
  }
  return s;
}

// %x / %X of a string or byte slice: two hex digits per byte; ' ' separates
// bytes, '#' adds 0x (to each byte when combined with ' ').
void Printer::fmt_sbx(std::string_view s, std::string_view digits) {
  long long length = static_cast<long long>(s.size());
  if (f_.prec_present && f_.prec < length) length = f_.prec;
  long long width = 2 * length;
  if (width > 0) {
    if (f_.space) {
      if (f_.sharp) width *= 2;
      width += length - 1;
    } else if (f_.sharp) {
      width += 2;
    }
  } else {
    if (f_.wid_present) write_padding(f_.wid);
    return;
  }
  if (f_.wid_present && f_.wid > width && !f_.minus) write_padding(f_.wid - width);
  if (f_.sharp) {
    buf_.push_back('0');
    buf_.push_back(digits[16]);
  }
  for (long long i = 0; i < length; ++i) {
    if (f_.space && i > 0) {
      buf_.push_back(' ');
      if (f_.sharp) {
        buf_.push_back('0');
        buf_.push_back(digits[16]);
      }
    }
    const auto c = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    buf_.push_back(digits[c >> 4]);
    buf_.push_back(digits[c & 0xF]);
  }
  if (f_.wid_present && f_.wid > width && f_.minus) write_padding(f_.wid - width);
}

// %q of a string: '#' prefers a raw `...` literal, '+' forces ASCII.
void Printer::fmt_q(std::string_view s) {
  s = truncate(s);
  if (f_.sharp && detail::can_backquote(s)) {
    // Built with append: GCC 12 -O3 reports a false -Wrestrict on "`" + std::string.
    std::string raw;
    raw.reserve(s.size() + 2);
    raw.append(1, '`').append(s).append(1, '`');
    pad(raw);
    return;
  }
  pad(go_quote(s, f_.plus));
}

// fmt.fmtFloat: strconv layout, then sign handling ('+', ' '), '#' keeping
// the decimal point and trailing zeros, and zero padding after the sign.
void Printer::fmt_float_layout(double v, char verb, int prec) {
  if (f_.prec_present) prec = f_.prec;
  std::string num = go_format_float(v, verb, prec);
  if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
  if (f_.space && num[0] == '+' && !f_.plus) num[0] = ' ';
  if (num[1] == 'I' || num[1] == 'N') {  // Inf and NaN are never zero padded
    const bool old_zero = f_.zero;
    f_.zero = false;
    if (num[1] == 'N' && !f_.space && !f_.plus) num.erase(0, 1);
    pad(num);
    f_.zero = old_zero;
    return;
  }
  if (f_.sharp && verb != 'b') {
    int digits = 0;
    if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') digits = prec == -1 ? 6 : prec;
    std::string tail;
    bool has_point = false;
    bool saw_nonzero = false;
    for (std::size_t i = 1; i < num.size(); ++i) {
      const char c = num[i];
      if (c == '.') {
        has_point = true;
      } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail = num.substr(i);
        num.resize(i);
        break;
      } else {
        if (c != '0') saw_nonzero = true;
        if (saw_nonzero) --digits;
      }
    }
    if (!has_point) {
      if (num.size() == 2 && num[1] == '0') --digits;  // "0" counts as a digit
      num.push_back('.');
    }
    if (digits > 0) num.append(static_cast<std::size_t>(digits), '0');
    num += tail;
  }
  if (f_.plus || num[0] != '+') {
    if (f_.zero && !f_.minus && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
      buf_.push_back(num[0]);
      write_padding(f_.wid - static_cast<long long>(num.size()));
      buf_.append(num, 1);
      return;
    }
    pad(num);
    return;
  }
  pad(std::string_view(num).substr(1));
}

void Printer::fmt_bool(bool v, char32_t verb) {
  if (verb == 't' || verb == 'v') {
    fmt_boolean(v);
  } else {
    bad_verb(Value(v), verb);
  }
}

void Printer::fmt_int(const Value& v, char32_t verb) {
  const bool is_signed = !v.is_unsigned();
  const std::uint64_t u = v.as_uint();
  switch (verb) {
    case 'v':
      if (f_.sharp_v && !is_signed) {  // %#v of unsigned: 0x hex
        const bool sharp = f_.sharp;
        f_.sharp = true;
        fmt_integer(u, 16, false, 'v', kLowerDigits);
        f_.sharp = sharp;
      } else {
        fmt_integer(u, 10, is_signed, verb, kLowerDigits);
      }
      return;
    case 'd':
      fmt_integer(u, 10, is_signed, verb, kLowerDigits);
      return;
    case 'b':
      fmt_integer(u, 2, is_signed, verb, kLowerDigits);
      return;
    case 'o':
    case 'O':
      fmt_integer(u, 8, is_signed, verb, kLowerDigits);
      return;
    case 'x':
      fmt_integer(u, 16, is_signed, verb, kLowerDigits);
      return;
    case 'X':
      fmt_integer(u, 16, is_signed, verb, kUpperDigits);
      return;
    case 'c':
      fmt_c(u);
      return;
    case 'q':
      fmt_qc(u);
      return;
    case 'U':
      fmt_unicode(u);
      return;
    default:
      bad_verb(v, verb);
      return;
  }
}

void Printer::fmt_float(double v, char32_t verb) {
  switch (verb) {
    case 'v':
      fmt_float_layout(v, 'g', -1);
      return;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
      fmt_float_layout(v, static_cast<char>(verb), -1);
      return;
    case 'f':
    case 'e':
    case 'E':
      fmt_float_layout(v, static_cast<char>(verb), 6);
      return;
    case 'F':
      fmt_float_layout(v, 'f', 6);
      return;
    default:
      bad_verb(Value::floating(v), verb);
      return;
  }
}

// "(re+imi)": the imaginary part always carries its sign.
void Printer::fmt_complex(double re, double im, char32_t verb) {
  switch (verb) {
    case 'v':
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
    case 'f':
    case 'F':
    case 'e':
    case 'E': {
      const bool old_plus = f_.plus;
      buf_.push_back('(');
      fmt_float(re, verb);
      f_.plus = true;
      fmt_float(im, verb);
      buf_ += "i)";
      f_.plus = old_plus;
      return;
    }
    default:
      bad_verb(Value::complex(re, im), verb);
      return;
  }
}

void Printer::fmt_string(std::string_view s, char32_t verb) {
  switch (verb) {
    case 'v':
      if (f_.sharp_v) {
        fmt_q(s);
      } else {
        fmt_s(s);
      }
      return;
    case 's':
      fmt_s(s);
      return;
    case 'x':
      fmt_sbx(s, kLowerDigits);
      return;
    case 'X':
      fmt_sbx(s, kUpperDigits);
      return;
    case 'q':
      fmt_q(s);
      return;
    default:
      bad_verb(Value(s), verb);
      return;
  }
}

// The byte string of a []uint8 list (elements are small unsigned ints).
std::string list_bytes(const Value& list) {
  std::string out;
  if (list.is_nil_container()) return out;
  out.reserve(list.list().items.size());
  for (const Value& item : list.list().items) {
    out.push_back(static_cast<char>(item.is_int() ? item.as_uint() & 0xFF : 0));
  }
  return out;
}

// fmt's fmtBytes for []byte: %v/%d as "[104 105]", %s/%q/%x as a string.
void Printer::fmt_bytes(const Value& list, char32_t verb) {
  switch (verb) {
    case 'v':
    case 'd': {
      if (f_.sharp_v) {
        buf_ += list.type_name();
        if (list.is_nil_container()) {
          buf_ += "(nil)";
          return;
        }
        buf_.push_back('{');
        const std::string bytes = list_bytes(list);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
          if (i > 0) buf_ += ", ";
          const bool sharp = f_.sharp;
          f_.sharp = true;
          fmt_integer(static_cast<unsigned char>(bytes[i]), 16, false, 'v', kLowerDigits);
          f_.sharp = sharp;
        }
        buf_.push_back('}');
        return;
      }
      buf_.push_back('[');
      const std::string bytes = list_bytes(list);
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0) buf_.push_back(' ');
        fmt_integer(static_cast<unsigned char>(bytes[i]), 10, false, verb, kLowerDigits);
      }
      buf_.push_back(']');
      return;
    }
    case 's':
      fmt_s(list_bytes(list));
      return;
    case 'x':
      fmt_sbx(list_bytes(list), kLowerDigits);
      return;
    case 'X':
      fmt_sbx(list_bytes(list), kUpperDigits);
      return;
    case 'q':
      fmt_q(list_bytes(list));
      return;
    default:
      print_list(list, verb, 0);
      return;
  }
}

// "%!verb(type=value)", the value printed with %v and the current flags.
void Printer::bad_verb(const Value& v, char32_t verb) {
  erroring_ = true;
  buf_ += "%!";
  write_rune(verb);
  buf_.push_back('(');
  if (v.is_nothing()) {
    buf_ += "<nil>";
  } else {
    buf_ += v.type_name();
    buf_.push_back('=');
    print_arg(v, 'v');
  }
  buf_.push_back(')');
  erroring_ = false;
}

bool is_byte_list(const Value& v) { return v.is_list() && v.type_name() == "[]uint8"; }

void Printer::print_arg(const Value& v, char32_t verb) {
  if (v.is_nothing()) {
    if (verb == 'T' || verb == 'v') {
      pad("<nil>");
    } else {
      bad_verb(v, verb);
    }
    return;
  }
  if (verb == 'T') {
    fmt_s(v.type_name());
    return;
  }
  if (verb == 'p') {  // no pointers are observable here; Go prints an address
    bad_verb(v, verb);
    return;
  }
  if (is_byte_list(v)) {
    fmt_bytes(v, verb);
    return;
  }
  print_value(v, verb, 0);
}

// printValue: containers print their elements with the same verb; a nil
// element of an interface{} container prints "<nil>" whatever the verb.
void Printer::print_value(const Value& v, char32_t verb, int depth) {
  switch (v.kind()) {
    case Kind::Invalid:
    case Kind::Nil:
      if (depth == 0) {
        buf_ += "<invalid reflect.Value>";
      } else if (f_.sharp_v) {
        buf_ += "interface {}(nil)";
      } else {
        buf_ += "<nil>";
      }
      return;
    case Kind::Bool:
      fmt_bool(v.as_bool(), verb);
      return;
    case Kind::Int:
      fmt_int(v, verb);
      return;
    case Kind::Float:
      fmt_float(v.as_float(), verb);
      return;
    case Kind::Complex:
      fmt_complex(v.real(), v.imag(), verb);
      return;
    case Kind::String:
      fmt_string(v.as_string(), verb);
      return;
    case Kind::List:
    case Kind::Map:
      if (depth > kMaxDepth) {
        buf_ += "%!v(DEPTH)";
      } else if (v.is_list()) {
        print_list(v, verb, depth);
      } else {
        print_map(v, verb, depth);
      }
      return;
    case Kind::Object:
      print_object(v.object(), verb);
      return;
  }
}

void Printer::print_list(const Value& v, char32_t verb, int depth) {
  if (is_byte_list(v) && (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
    fmt_bytes(v, verb);
    return;
  }
  if (f_.sharp_v) {
    buf_ += v.type_name();
    if (v.is_nil_container()) {
      buf_ += "(nil)";
      return;
    }
    buf_.push_back('{');
  } else {
    buf_.push_back('[');
  }
  if (!v.is_nil_container()) {
    bool first = true;
    for (const Value& item : v.list().items) {
      if (overflow()) break;
      if (!first) buf_ += f_.sharp_v ? ", " : " ";
      first = false;
      print_value(item, verb, depth + 1);
    }
  }
  buf_.push_back(f_.sharp_v ? '}' : ']');
}

// Maps print "map[k:v ...]" in sorted key order; keys get the verb too.
void Printer::print_map(const Value& v, char32_t verb, int depth) {
  if (f_.sharp_v) {
    buf_ += v.type_name();
    if (v.is_nil_container()) {
      buf_ += "(nil)";
      return;
    }
    buf_.push_back('{');
  } else {
    buf_ += "map[";
  }
  if (!v.is_nil_container()) {
    bool first = true;
    for (const auto& [key, item] : v.map().items) {
      if (overflow()) break;
      if (!first) buf_ += f_.sharp_v ? ", " : " ";
      first = false;
      fmt_string(key, verb);
      buf_.push_back(':');
      print_value(item, verb, depth + 1);
    }
  }
  buf_.push_back(f_.sharp_v ? '}' : ']');
}

// Go objects are Stringers (semver, time) or structs: the string verbs use
// Object::format; other verbs are bad verbs.
void Printer::print_object(const Object& o, char32_t verb) {
  if (erroring_ || f_.sharp_v) {
    buf_ += o.format(f_.plus_v || f_.sharp_v);
    return;
  }
  switch (verb) {
    case 'v':
    case 's':
    case 'x':
    case 'X':
    case 'q':
      fmt_string(o.format(f_.plus_v), verb);
      return;
    default:
      break;
  }
  erroring_ = true;
  buf_ += "%!";
  write_rune(verb);
  buf_.push_back('(');
  buf_ += o.type_name();
  buf_.push_back('=');
  buf_ += o.format(false);
  buf_.push_back(')');
  erroring_ = false;
}

// fmt.Sprint: a space between operands when neither is a string.
void Printer::do_print(const std::vector<Value>& args) {
  bool prev_string = false;
  for (std::size_t i = 0; i < args.size() && !overflow(); ++i) {
    const bool is_string = args[i].is_string();
    if (i > 0 && !is_string && !prev_string) buf_.push_back(' ');
    print_arg(args[i], 'v');
    prev_string = is_string;
  }
}

void Printer::do_println(const std::vector<Value>& args) {
  for (std::size_t i = 0; i < args.size() && !overflow(); ++i) {
    if (i > 0) buf_.push_back(' ');
    print_arg(args[i], 'v');
  }
  buf_.push_back('\n');
}

// parsenum: a decimal number at s[i:end]; refuses values beyond 1e6 by
// consuming the rest of the format (which then reports NOVERB).
bool parse_num(std::string_view s, std::size_t& i, std::size_t end, int& num) {
  num = 0;
  bool is_num = false;
  while (i < end && s[i] >= '0' && s[i] <= '9') {
    if (too_large(num)) {
      num = 0;
      i = end;
      return false;
    }
    num = num * 10 + (s[i] - '0');
    is_num = true;
    ++i;
  }
  return is_num;
}

// argNumber: an explicit "[n]" index at format[i]. Returns whether one was found.
bool Printer::arg_number(int& arg_num, std::string_view format, std::size_t& i, int num_args) {
  if (i >= format.size() || format[i] != '[') return false;
  reordered_ = true;
  // parseArgNumber: "[n]" with n >= 1; otherwise skip to after ']' (or 1 byte).
  const std::string_view rest = format.substr(i);
  std::size_t width = 1;
  bool ok = false;
  int index = 0;
  if (rest.size() >= 3) {
    const std::size_t close = rest.find(']', 1);
    if (close != std::string_view::npos) {
      std::size_t j = 1;
      int n = 0;
      ok = parse_num(rest, j, close, n) && j == close;
      index = n - 1;
      width = close + 1;
    }
  }
  if (ok && index >= 0 && index < num_args) {
    arg_num = index;
    i += width;
    return true;
  }
  good_arg_num_ = false;
  i += width;
  return ok;
}

// intFromArg: `*` takes an integer operand of any integer type within +-1e6.
bool Printer::int_from_arg(const std::vector<Value>& args, int& arg_num, int& out) const {
  out = 0;
  if (arg_num >= static_cast<int>(args.size())) return false;
  const Value& a = args[static_cast<std::size_t>(arg_num)];
  ++arg_num;
  if (!a.is_int()) return false;
  if (a.is_unsigned()) {
    if (a.as_uint() > 1'000'000) return false;
    out = static_cast<int>(a.as_uint());
    return true;
  }
  if (too_large(a.as_int())) return false;
  out = static_cast<int>(a.as_int());
  return true;
}

void Printer::do_printf(std::string_view format, const std::vector<Value>& args) {
  const std::size_t end = format.size();
  const int num_args = static_cast<int>(args.size());
  int arg_num = 0;
  bool after_index = false;
  reordered_ = false;
  std::size_t i = 0;
  while (i < end && !overflow()) {
    good_arg_num_ = true;
    const std::size_t text_end = format.find('%', i);
    if (text_end == std::string_view::npos) {
      buf_ += format.substr(i);
      break;
    }
    buf_ += format.substr(i, text_end - i);
    i = text_end + 1;

    f_ = Flags{};
    for (; i < end; ++i) {
      const char c = format[i];
      if (c == '#') {
        f_.sharp = true;
      } else if (c == '0') {
        f_.zero = true;
      } else if (c == '+') {
        f_.plus = true;
      } else if (c == '-') {
        f_.minus = true;
      } else if (c == ' ') {
        f_.space = true;
      } else {
        break;
      }
    }

    after_index = arg_number(arg_num, format, i, num_args);

    if (i < end && format[i] == '*') {
      ++i;
      f_.wid_present = int_from_arg(args, arg_num, f_.wid);
      if (!f_.wid_present) buf_ += "%!(BADWIDTH)";
      if (f_.wid < 0) {
        f_.wid = -f_.wid;
        f_.minus = true;
        f_.zero = false;
      }
      after_index = false;
    } else {
      f_.wid_present = parse_num(format, i, end, f_.wid);
      if (after_index && f_.wid_present) good_arg_num_ = false;  // "%[3]2d"
    }

    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num_ = false;  // "%[3].2d"
      after_index = arg_number(arg_num, format, i, num_args);
      if (i < end && format[i] == '*') {
        ++i;
        f_.prec_present = int_from_arg(args, arg_num, f_.prec);
        if (f_.prec < 0) {
          f_.prec = 0;
          f_.prec_present = false;
        }
        if (!f_.prec_present) buf_ += "%!(BADPREC)";
        after_index = false;
      } else {
        f_.prec_present = parse_num(format, i, end, f_.prec);
        if (!f_.prec_present) {
          f_.prec = 0;
          f_.prec_present = true;
        }
      }
    }

    if (!after_index) after_index = arg_number(arg_num, format, i, num_args);

    if (i >= end) {
      buf_ += "%!(NOVERB)";
      break;
    }

    char32_t verb = static_cast<unsigned char>(format[i]);
    std::size_t size = 1;
    if (verb >= 0x80) {
      const detail::DecodedRune d = detail::decode_rune(format, i);
      verb = d.rune;
      size = static_cast<std::size_t>(d.width);
    }
    i += size;

    if (verb == '%') {  // takes no operand; ignores width and precision
      buf_.push_back('%');
    } else if (!good_arg_num_) {
      buf_ += "%!";
      write_rune(verb);
      buf_ += "(BADINDEX)";
    } else if (arg_num >= num_args) {
      buf_ += "%!";
      write_rune(verb);
      buf_ += "(MISSING)";
    } else {
      if (verb == 'v' || verb == 'w') {
        f_.sharp_v = f_.sharp;
        f_.sharp = false;
        f_.plus_v = f_.plus;
        f_.plus = false;
      }
      if (verb == 'w') {  // %w is only meaningful in fmt.Errorf
        bad_verb(args[static_cast<std::size_t>(arg_num)], verb);
      } else {
        print_arg(args[static_cast<std::size_t>(arg_num)], verb);
      }
      ++arg_num;
    }
  }

  if (!reordered_ && arg_num < num_args) {
    f_ = Flags{};
    buf_ += "%!(EXTRA ";
    for (int k = arg_num; k < num_args && !overflow(); ++k) {
      if (k > arg_num) buf_ += ", ";
      const Value& a = args[static_cast<std::size_t>(k)];
      if (a.is_nothing()) {
        buf_ += "<nil>";
      } else {
        buf_ += a.type_name();
        buf_.push_back('=');
        print_arg(a, 'v');
      }
    }
    buf_.push_back(')');
  }
}

}  // namespace

std::string go_sprint(const std::vector<Value>& args) {
  Printer p;
  p.do_print(args);
  return p.take();
}

std::string go_sprintln(const std::vector<Value>& args) {
  Printer p;
  p.do_println(args);
  return p.take();
}

std::string go_sprintf(std::string_view format, const std::vector<Value>& args) {
  Printer p;
  p.do_printf(format, args);
  return p.take();
}

std::string go_format_value(const Value& v) {
  Printer p;
  p.print_arg(v, 'v');
  return p.take();
}

}  // namespace cairn::render
