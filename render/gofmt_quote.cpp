// strconv.Quote, QuoteRune, CanBackquote and Unquote with Go's exact rules
// (strconv/quote.go).
#include "render/detail/gofmt_quote.h"

#include <string>
#include <string_view>

#include "render/detail/gofmt_unicode.h"
#include "render/gofmt.h"

namespace cairn::render {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

void append_hex(std::string& out, char32_t v, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out.push_back(kLowerHex[(v >> shift) & 0xF]);
  }
}

// appendEscapedRune: the quote character and backslash are escaped, printable
// runes are kept (only ASCII ones when ascii_only), the rest use C escapes,
// \xHH for other control bytes, \uHHHH or \UHHHHHHHH beyond.
void append_escaped_rune(std::string& out, char32_t r, char quote, bool ascii_only) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(r));
    return;
  }
  if (ascii_only ? (r < 0x80 && detail::go_is_print(r)) : detail::go_is_print(r)) {
    detail::append_rune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out += "\\x";
    append_hex(out, r, 2);
    return;
  }
  if (!detail::valid_rune(r)) r = detail::kRuneError;
  if (r < 0x10000) {
    out += "\\u";
    append_hex(out, r, 4);
  } else {
    out += "\\U";
    append_hex(out, r, 8);
  }
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.UnquoteChar: decodes one (possibly escaped) character of a literal
// quoted by `quote` from s[pos:], appending it to out. False on bad syntax.
bool unquote_char(std::string_view s, std::size_t& pos, char quote, std::string& out) {
  if (pos >= s.size()) return false;
  const char c = s[pos];
  if (c == quote && (quote == '\'' || quote == '"')) return false;
  if (static_cast<unsigned char>(c) >= 0x80) {
    const detail::DecodedRune d = detail::decode_rune(s, pos);
    detail::append_rune(out, d.rune);
    pos += static_cast<std::size_t>(d.width);
    return true;
  }
  if (c != '\\') {
    out.push_back(c);
    ++pos;
    return true;
  }
  if (pos + 1 >= s.size()) return false;
  const char e = s[pos + 1];
  pos += 2;
  switch (e) {
    case 'a':
      out.push_back('\a');
      return true;
    case 'b':
      out.push_back('\b');
      return true;
    case 'f':
      out.push_back('\f');
      return true;
    case 'n':
      out.push_back('\n');
      return true;
    case 'r':
      out.push_back('\r');
      return true;
    case 't':
      out.push_back('\t');
      return true;
    case 'v':
      out.push_back('\v');
      return true;
    case '\\':
      out.push_back('\\');
      return true;
    case '\'':
    case '"':
      if (e != quote) return false;
      out.push_back(e);
      return true;
    case 'x':
    case 'u':
    case 'U': {
      const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s.size() - pos < n) return false;
      char32_t v = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const int x = unhex(s[pos + j]);
        if (x < 0) return false;
        v = (v << 4) | static_cast<char32_t>(x);
      }
      pos += n;
      if (e == 'x') {  // a single byte, not a rune
        out.push_back(static_cast<char>(v));
        return true;
      }
      if (!detail::valid_rune(v)) return false;
      detail::append_rune(out, v);
      return true;
    }
    default:
      break;
  }
  if (e < '0' || e > '7' || s.size() - pos < 2) return false;
  unsigned v = static_cast<unsigned>(e - '0');  // octal: exactly three digits
  for (int j = 0; j < 2; ++j) {
    const char d = s[pos++];
    if (d < '0' || d > '7') return false;
    v = (v << 3) | static_cast<unsigned>(d - '0');
  }
  if (v > 255) return false;
  out.push_back(static_cast<char>(v));
  return true;
}

}  // namespace

namespace detail {

void append_quoted_rune(std::string& out, char32_t r, bool ascii_only) {
  out.push_back('\'');
  append_escaped_rune(out, valid_rune(r) ? r : kRuneError, '\'', ascii_only);
  out.push_back('\'');
}

bool can_backquote(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const DecodedRune d = decode_rune(s, i);
    i += static_cast<std::size_t>(d.width);
    if (d.width > 1) {
      if (d.rune == 0xFEFF) return false;
      continue;
    }
    if (d.rune == kRuneError) return false;
    if ((d.rune < ' ' && d.rune != '\t') || d.rune == '`' || d.rune == 0x7F) return false;
  }
  return true;
}

}  // namespace detail

std::string go_quote(std::string_view s, bool ascii_only) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const detail::DecodedRune d = detail::decode_rune(s, i);
    if (d.width == 1 && d.rune == detail::kRuneError) {  // invalid byte
      out += "\\x";
      append_hex(out, static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    append_escaped_rune(out, d.rune, '"', ascii_only);
    i += static_cast<std::size_t>(d.width);
  }
  out.push_back('"');
  return out;
}

bool go_unquote(std::string_view literal, std::string& out) {
  out.clear();
  if (literal.size() < 2) return false;
  const char quote = literal.front();
  if (literal.back() != quote) return false;
  const std::string_view body = literal.substr(1, literal.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    if (body.find('\r') == std::string_view::npos) {
      out.assign(body);  // the common case, in one copy
      return true;
    }
    for (char c : body) {
      if (c != '\r') out.push_back(c);  // raw strings drop carriage returns
    }
    return true;
  }
  if (quote != '"' && quote != '\'') return false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    if (quote == '"') {
      // A run of ASCII that stands for itself is copied at once (template
      // strings are mostly that).
      const std::size_t begin = pos;
      while (pos < body.size() && static_cast<unsigned char>(body[pos]) < 0x80 &&
             body[pos] != '\\' && body[pos] != '"' && body[pos] != '\n') {
        ++pos;
      }
      out.append(body.substr(begin, pos - begin));
      if (pos == body.size()) break;
    }
    if (body[pos] == '\n') return false;
    if (!unquote_char(body, pos, quote, out)) return false;
    if (quote == '\'') break;  // a rune literal holds exactly one character
  }
  // Like Go, '' unquotes to the empty string; more than one character fails.
  if (quote == '\'' && pos != body.size()) return false;
  return true;
}

}  // namespace cairn::render
