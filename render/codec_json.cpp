// encoding/json as helm and sprig use it: Marshal, MarshalIndent, an Encoder
// without HTML escaping, and Unmarshal into interface{}.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "render/codec.h"
#include "render/detail/codec_util.h"
#include "render/detail/gofmt_unicode.h"

namespace cairn::render {
namespace {

using detail::append_rune;
using detail::decode_rune;

// Nesting deeper than this is refused (codec.h); for encoding it also stops
// self-referencing maps, which Go reports as a cycle.
constexpr int kMaxDepth = 1000;

// ---------------------------------------------------------------- encoding

class JsonWriter {
 public:
  JsonWriter(bool escape_html, std::string_view prefix, std::string_view indent, bool pretty)
      : escape_html_(escape_html), prefix_(prefix), indent_(indent), pretty_(pretty) {}

  Result<bool> write(const Value& v, int depth);
  std::string take() { return std::move(out_); }

 private:
  void newline(int depth);
  void write_string(std::string_view s);
  Result<bool> write_float(double d);
  void write_bytes(const ListData& bytes);
  Result<bool> write_list(const Value& v, int depth);
  Result<bool> write_map(const Value& v, int depth);

  bool escape_html_;
  std::string_view prefix_;
  std::string_view indent_;
  bool pretty_;
  std::string out_;
};

void JsonWriter::newline(int depth) {
  out_.push_back('\n');
  out_.append(prefix_);
  for (int i = 0; i < depth; ++i) out_.append(indent_);
}

// appendString of encoding/json: short escapes for \b \f \n \r \t, \u00XX for
// other controls (and <, >, & with escape_html), \u2028/\u2029 always, and
// \ufffd for each invalid UTF-8 byte.
void JsonWriter::write_string(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      const bool html = b == '<' || b == '>' || b == '&';
      if (b >= 0x20 && b != '"' && b != '\\' && !(html && escape_html_)) {
        out_.push_back(static_cast<char>(b));
      } else {
        out_.push_back('\\');
        switch (b) {
          case '"': case '\\': out_.push_back(static_cast<char>(b)); break;
          case '\b': out_.push_back('b'); break;
          case '\f': out_.push_back('f'); break;
          case '\n': out_.push_back('n'); break;
          case '\r': out_.push_back('r'); break;
          case '\t': out_.push_back('t'); break;
          default:
            out_ += "u00";
            out_.push_back(kHex[b >> 4]);
            out_.push_back(kHex[b & 0xF]);
        }
      }
      ++i;
      continue;
    }
    detail::DecodedRune r = decode_rune(s, i);
    if (r.rune == 0xFFFD && r.width == 1) {
      out_ += "\\ufffd";
    } else if (r.rune == 0x2028 || r.rune == 0x2029) {
      out_ += r.rune == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out_.append(s.substr(i, static_cast<std::size_t>(r.width)));
    }
    i += static_cast<std::size_t>(r.width);
  }
  out_.push_back('"');
}

Result<bool> JsonWriter::write_float(double d) {
  if (std::isnan(d) || std::isinf(d)) {
    return make_error("json: unsupported value: " + detail::codec_format_float(d, 'g'));
  }
  out_ += detail::codec_json_float(d);
  return true;
}

// A []byte marshals as a base64 string.
void JsonWriter::write_bytes(const ListData& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw;
  raw.reserve(bytes.items.size());
  for (const Value& item : bytes.items) raw.push_back(static_cast<char>(item.as_int()));
  out_.push_back('"');
  std::size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(raw[i]) << 16) |
                       (static_cast<unsigned char>(raw[i + 1]) << 8) |
                       static_cast<unsigned char>(raw[i + 2]);
    out_.push_back(kAlphabet[(n >> 18) & 63]);
    out_.push_back(kAlphabet[(n >> 12) & 63]);
    out_.push_back(kAlphabet[(n >> 6) & 63]);
    out_.push_back(kAlphabet[n & 63]);
  }
  if (i < raw.size()) {
    unsigned n = static_cast<unsigned char>(raw[i]) << 16;
    const bool two = i + 1 < raw.size();
    if (two) n |= static_cast<unsigned char>(raw[i + 1]) << 8;
    out_.push_back(kAlphabet[(n >> 18) & 63]);
    out_.push_back(kAlphabet[(n >> 12) & 63]);
    out_.push_back(two ? kAlphabet[(n >> 6) & 63] : '=');
    out_.push_back('=');
  }
  out_.push_back('"');
}

Result<bool> JsonWriter::write_list(const Value& v, int depth) {
  if (v.is_nil_container()) {
    out_ += "null";
    return true;
  }
  const ListData& list = v.list();
  if (list.elem_type == "uint8") {
    write_bytes(list);
    return true;
  }
  out_.push_back('[');
  bool first = true;
  for (const Value& item : list.items) {
    if (!first) out_.push_back(',');
    first = false;
    if (pretty_) newline(depth + 1);
    auto ok = write(item, depth + 1);
    if (!ok) return ok;
  }
  if (pretty_ && !list.items.empty()) newline(depth);
  out_.push_back(']');
  return true;
}

Result<bool> JsonWriter::write_map(const Value& v, int depth) {
  if (v.is_nil_container()) {
    out_ += "null";
    return true;
  }
  const MapData& map = v.map();
  out_.push_back('{');
  bool first = true;
  for (const auto& [key, item] : map.items) {  // std::map: byte-wise key order
    if (!first) out_.push_back(',');
    first = false;
    if (pretty_) newline(depth + 1);
    write_string(key);
    out_.push_back(':');
    if (pretty_) out_.push_back(' ');
    auto ok = write(item, depth + 1);
    if (!ok) return ok;
  }
  if (pretty_ && !map.items.empty()) newline(depth);
  out_.push_back('}');
  return true;
}

Result<bool> JsonWriter::write(const Value& v, int depth) {
  if (depth > kMaxDepth) {
    return make_error("json: unsupported value: encountered a cycle via " + v.type_name());
  }
  switch (v.kind()) {
    case Kind::Invalid:
    case Kind::Nil:
      out_ += "null";
      return true;
    case Kind::Bool:
      out_ += v.as_bool() ? "true" : "false";
      return true;
    case Kind::Int:
      out_ += v.is_unsigned() ? std::to_string(v.as_uint()) : std::to_string(v.as_int());
      return true;
    case Kind::Float:
      return write_float(v.as_float());
    case Kind::Complex:
      return make_error("json: unsupported type: complex128");
    case Kind::String:
      write_string(v.as_string());
      return true;
    case Kind::List:
      return write_list(v, depth);
    case Kind::Map:
      return write_map(v, depth);
    case Kind::Object:
      return write(v.object().to_data(), depth + 1);
  }
  return make_error("json: unsupported value");
}

// ---------------------------------------------------------------- decoding

// Go's quoteChar for scanner messages: 'x', '\'', '"', '\n', '\x01'...
std::string quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  static const char kHex[] = "0123456789abcdef";
  std::string body;
  switch (c) {
    case '\a': body = "\\a"; break;
    case '\b': body = "\\b"; break;
    case '\f': body = "\\f"; break;
    case '\n': body = "\\n"; break;
    case '\r': body = "\\r"; break;
    case '\t': body = "\\t"; break;
    case '\v': body = "\\v"; break;
    case '\\': body = "\\\\"; break;
    default:
      if (c < 0x20 || c == 0x7F) {
        body = std::string("\\x") + kHex[c >> 4] + kHex[c & 0xF];
      } else if (c >= 0x80 && (c < 0xA1 || c == 0xAD)) {
        // string(byte) is the rune U+00XX; C1 controls, NBSP and SHY are not printable.
        body = std::string("\\u00") + kHex[c >> 4] + kHex[c & 0xF];
      } else if (c >= 0x80) {
        append_rune(body, c);
      } else {
        body = std::string(1, static_cast<char>(c));
      }
  }
  return "'" + body + "'";
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  Result<Value> parse_document();

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(s_[pos_]); }
  void skip_space();
  Error syntax(std::string_view context) const;
  Error syntax_at_end() const { return Error{"unexpected end of JSON input"}; }

  Result<Value> parse_value(int depth);
  Result<Value> parse_object(int depth);
  Result<Value> parse_array(int depth);
  Result<Value> parse_literal(std::string_view word, Value result);
  Result<Value> parse_number();
  Result<std::string> parse_string();
  bool read_hex4(std::size_t at, char32_t& out) const;

  std::string_view s_;
  std::size_t pos_ = 0;
  // First non-syntax error (a number out of float64 range); Go keeps
  // decoding and reports it only when the whole text is valid.
  std::optional<Error> deferred_;
};

void JsonParser::skip_space() {
  while (!at_end()) {
    const char c = s_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

Error JsonParser::syntax(std::string_view context) const {
  return Error{"invalid character " + quote_char(peek()) + " " + std::string(context)};
}

Result<Value> JsonParser::parse_document() {
  skip_space();
  if (at_end()) return tl::unexpected(syntax_at_end());
  auto v = parse_value(0);
  if (!v) return v;
  skip_space();
  if (!at_end()) return tl::unexpected(syntax("after top-level value"));
  if (deferred_) return tl::unexpected(*deferred_);
  return v;
}

Result<Value> JsonParser::parse_value(int depth) {
  if (at_end()) return tl::unexpected(syntax_at_end());
  if (depth >= kMaxDepth) return make_error("exceeded max depth");
  switch (peek()) {
    case '{':
      return parse_object(depth + 1);
    case '[':
      return parse_array(depth + 1);
    case '"': {
      auto s = parse_string();
      if (!s) return tl::unexpected(s.error());
      return Value(std::move(*s));
    }
    case 't':
      return parse_literal("true", Value(true));
    case 'f':
      return parse_literal("false", Value(false));
    case 'n':
      return parse_literal("null", Value::nil());
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
      return tl::unexpected(syntax("looking for beginning of value"));
  }
}

Result<Value> JsonParser::parse_object(int depth) {
  ++pos_;  // '{'
  Value result = Value::new_map();
  auto& items = result.map().items;
  skip_space();
  if (at_end()) return tl::unexpected(syntax_at_end());
  if (peek() == '}') {
    ++pos_;
    return result;
  }
  while (true) {
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (peek() != '"') return tl::unexpected(syntax("looking for beginning of object key string"));
    auto key = parse_string();
    if (!key) return tl::unexpected(key.error());
    skip_space();
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (peek() != ':') return tl::unexpected(syntax("after object key"));
    ++pos_;
    skip_space();
    auto value = parse_value(depth);
    if (!value) return value;
    items.insert_or_assign(std::move(*key), std::move(*value));  // duplicates: last wins
    skip_space();
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (peek() == '}') {
      ++pos_;
      return result;
    }
    if (peek() != ',') return tl::unexpected(syntax("after object key:value pair"));
    ++pos_;
    skip_space();
  }
}

Result<Value> JsonParser::parse_array(int depth) {
  ++pos_;  // '['
  Value result = Value::new_list();
  auto& items = result.list().items;
  skip_space();
  if (at_end()) return tl::unexpected(syntax_at_end());
  if (peek() == ']') {
    ++pos_;
    return result;
  }
  while (true) {
    auto value = parse_value(depth);
    if (!value) return value;
    items.push_back(std::move(*value));
    skip_space();
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (peek() == ']') {
      ++pos_;
      return result;
    }
    if (peek() != ',') return tl::unexpected(syntax("after array element"));
    ++pos_;
    skip_space();
  }
}

Result<Value> JsonParser::parse_literal(std::string_view word, Value result) {
  ++pos_;
  for (std::size_t k = 1; k < word.size(); ++k, ++pos_) {
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (s_[pos_] != word[k]) {
      return tl::unexpected(syntax("in literal " + std::string(word) + " (expecting '" +
                                   std::string(1, word[k]) + "')"));
    }
  }
  return result;
}

Result<Value> JsonParser::parse_number() {
  const std::size_t start = pos_;
  auto digit = [&] { return !at_end() && peek() >= '0' && peek() <= '9'; };
  if (peek() == '-') {
    ++pos_;
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (!digit()) return tl::unexpected(syntax("in numeric literal"));
  }
  if (peek() == '0') {
    ++pos_;
  } else {
    while (digit()) ++pos_;
  }
  if (!at_end() && peek() == '.') {
    ++pos_;
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (!digit()) return tl::unexpected(syntax("after decimal point in numeric literal"));
    while (digit()) ++pos_;
  }
  if (!at_end() && (peek() == 'e' || peek() == 'E')) {
    ++pos_;
    if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
    if (at_end()) return tl::unexpected(syntax_at_end());
    if (!digit()) return tl::unexpected(syntax("in exponent of numeric literal"));
    while (digit()) ++pos_;
  }
  std::string_view text = s_.substr(start, pos_ - start);
  double d = 0;
  if (!detail::codec_parse_decimal_float(text, d) && !deferred_) {
    deferred_ = Error{"json: cannot unmarshal number " + std::string(text) +
                      " into Go value of type float64"};
  }
  return Value::floating(d);
}

bool JsonParser::read_hex4(std::size_t at, char32_t& out) const {
  if (at + 4 > s_.size()) return false;
  out = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const char c = s_[at + k];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      digit = (c | 0x20) - 'a' + 10;
    } else {
      return false;
    }
    out = out * 16 + static_cast<char32_t>(digit);
  }
  return true;
}

// A string literal: validates like Go's scanner, then unquotes like
// decode.go's unquoteBytes (surrogate pairs joined, lone surrogates and
// invalid UTF-8 become U+FFFD).
Result<std::string> JsonParser::parse_string() {
  ++pos_;  // '"'
  std::string out;
  while (true) {
    if (at_end()) return tl::unexpected(syntax_at_end());
    const unsigned char c = peek();
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (c < 0x20) return tl::unexpected(syntax("in string literal"));
    if (c >= 0x80) {
      detail::DecodedRune r = decode_rune(s_, pos_);
      if (r.rune == 0xFFFD && r.width == 1) {
        append_rune(out, 0xFFFD);
      } else {
        out.append(s_.substr(pos_, static_cast<std::size_t>(r.width)));
      }
      pos_ += static_cast<std::size_t>(r.width);
      continue;
    }
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      ++pos_;
      continue;
    }
    ++pos_;
    if (at_end()) return tl::unexpected(syntax_at_end());
    const char e = s_[pos_];
    switch (e) {
      case '"': case '\\': case '/': out.push_back(e); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        char32_t r = 0;
        for (std::size_t k = 1; k <= 4; ++k) {
          if (pos_ + k >= s_.size()) return tl::unexpected(syntax_at_end());
          const char h = s_[pos_ + k];
          const bool hex = (h >= '0' && h <= '9') || ((h | 0x20) >= 'a' && (h | 0x20) <= 'f');
          if (!hex) {
            pos_ += k;
            return tl::unexpected(syntax("in \\u hexadecimal character escape"));
          }
        }
        read_hex4(pos_ + 1, r);
        pos_ += 4;
        if (r >= 0xD800 && r < 0xE000) {
          char32_t low = 0;
          const bool pair = r < 0xDC00 && pos_ + 2 < s_.size() && s_[pos_ + 1] == '\\' &&
                            s_[pos_ + 2] == 'u' && read_hex4(pos_ + 3, low) && low >= 0xDC00 &&
                            low < 0xE000;
          if (pair) {
            r = 0x10000 + ((r - 0xD800) << 10) + (low - 0xDC00);
            pos_ += 6;
          } else {
            r = 0xFFFD;
          }
        }
        append_rune(out, r);
        break;
      }
      default:
        return tl::unexpected(syntax("in string escape code"));
    }
    ++pos_;
  }
}

}  // namespace

Result<Value> json_decode(std::string_view text) {
  if (text.size() > (64u << 20)) return make_error("json: input larger than 64 MiB");
  return JsonParser(text).parse_document();
}

Result<std::string> json_encode(const Value& v, bool escape_html) {
  JsonWriter w(escape_html, {}, {}, false);
  auto ok = w.write(v, 0);
  if (!ok) return tl::unexpected(ok.error());
  return w.take();
}

Result<std::string> json_encode_indent(const Value& v, std::string_view prefix,
                                       std::string_view indent, bool escape_html) {
  JsonWriter w(escape_html, prefix, indent, true);
  auto ok = w.write(v, 0);
  if (!ok) return tl::unexpected(ok.error());
  return w.take();
}

}  // namespace cairn::render
