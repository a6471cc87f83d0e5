// github.com/BurntSushi/toml as helm's toToml/fromToml use it.
//
// Encoding follows encode.go: in each table the plain keys first (sorted),
// then sub-tables and arrays of tables (sorted), sub-table headers indented
// two spaces per level, floats always with a decimal point, nil values
// skipped. Decoding reads TOML 1.0 into map[string]interface{}: integers are
// int64, floats float64; date-times are returned as their text (there is no
// time.Time value here).
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "render/codec.h"
#include "render/detail/codec_util.h"
#include "render/detail/gofmt_unicode.h"

namespace cairn::render {
namespace {

constexpr int kMaxDepth = 1000;

// ---------------------------------------------------------------- encoding

struct TomlEncodeError {
  std::string message;
};

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

std::string toml_quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string maybe_quoted(std::string_view key) {
  if (key.empty()) return "\"\"";
  for (char c : key) {
    if (!is_bare_key_char(c)) return toml_quote(key);
  }
  return std::string(key);
}

Value resolve_object(const Value& v) { return v.is_object() ? v.object().to_data() : v; }

bool is_nil(const Value& v) { return v.is_nothing() || v.is_nil_container(); }

// A non-empty list whose elements are all tables (tomlArrayHash).
bool is_table_array(const Value& v) {
  if (!v.is_list() || v.is_nil_container() || v.list().items.empty()) return false;
  bool all_tables = true;
  for (const Value& item : v.list().items) {
    const Value e = resolve_object(item);
    if (is_nil(e)) throw TomlEncodeError{"toml: cannot encode array with nil element"};
    if (!e.is_map()) all_tables = false;
  }
  return all_tables;
}

bool is_table(const Value& v) { return (v.is_map() && !v.is_nil_container()) || is_table_array(v); }

class TomlWriter {
 public:
  void encode(const std::vector<std::string>& key, const Value& v, int depth);
  std::string take() { return std::move(out_); }

 private:
  void write(std::string_view s) {
    out_.append(s);
    written_ = true;
  }
  void newline() {
    if (written_) write("\n");
  }
  static std::string indent(const std::vector<std::string>& key) {
    std::string s;
    for (std::size_t i = 1; i < key.size(); ++i) s += "  ";
    return s;
  }
  static std::string key_string(const std::vector<std::string>& key) {
    std::string s;
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (i > 0) s.push_back('.');
      s += maybe_quoted(key[i]);
    }
    return s;
  }
  void element(const Value& v, int depth);
  void key_value(const std::vector<std::string>& key, const Value& v, int depth) {
    if (key.empty()) throw TomlEncodeError{"toml: top-level values must be Go maps or structs"};
    write(indent(key) + maybe_quoted(key.back()) + " = ");
    element(v, depth);
    newline();
  }
  void table(const std::vector<std::string>& key, const MapData& map, bool inline_table,
             int depth);

  std::string out_;
  bool written_ = false;
};

void TomlWriter::element(const Value& raw, int depth) {
  if (depth > kMaxDepth) throw TomlEncodeError{"toml: value nested too deeply"};
  const Value v = resolve_object(raw);
  switch (v.kind()) {
    case Kind::String:
      write(toml_quote(v.as_string()));
      return;
    case Kind::Bool:
      write(v.as_bool() ? "true" : "false");
      return;
    case Kind::Int:
      write(v.is_unsigned() ? std::to_string(v.as_uint()) : std::to_string(v.as_int()));
      return;
    case Kind::Float: {
      const double d = v.as_float();
      if (std::isnan(d)) {
        write("nan");
      } else if (std::isinf(d)) {
        write(d < 0 ? "-inf" : "+inf");
      } else {
        std::string s = detail::codec_format_float(d, 'f');
        if (s.find('.') == std::string::npos) s += ".0";
        write(s);
      }
      return;
    }
    case Kind::List: {
      write("[");
      const auto& items = v.is_nil_container() ? std::vector<Value>{} : v.list().items;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (is_nil(resolve_object(items[i]))) {
          throw TomlEncodeError{"toml: cannot encode array with nil element"};
        }
        element(items[i], depth + 1);
        if (i + 1 != items.size()) write(", ");
      }
      write("]");
      return;
    }
    case Kind::Map:
      table({}, v.is_nil_container() ? MapData{} : v.map(), true, depth + 1);
      return;
    case Kind::Complex:
      throw TomlEncodeError{"toml: unexpected type: complex128"};
    default:
      throw TomlEncodeError{"toml: unsupported type: " + v.kind_name()};
  }
}

void TomlWriter::table(const std::vector<std::string>& key, const MapData& map,
                       bool inline_table, int depth) {
  std::vector<const std::pair<const std::string, Value>*> direct, sub;
  for (const auto& entry : map.items) {
    (is_table(resolve_object(entry.second)) ? sub : direct).push_back(&entry);
  }
  if (inline_table) write("{");
  auto write_keys = [&](const auto& entries, bool trailing_comma) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Value val = resolve_object(entries[i]->second);
      if (is_nil(val)) continue;
      if (inline_table) {
        write(maybe_quoted(entries[i]->first) + " = ");
        element(val, depth + 1);
        if (trailing_comma || i + 1 != entries.size()) write(", ");
      } else {
        std::vector<std::string> child = key;
        child.push_back(entries[i]->first);
        encode(child, val, depth + 1);
      }
    }
  };
  write_keys(direct, !sub.empty());
  write_keys(sub, false);
  if (inline_table) write("}");
}

void TomlWriter::encode(const std::vector<std::string>& key, const Value& raw, int depth) {
  if (depth > kMaxDepth) throw TomlEncodeError{"toml: value nested too deeply"};
  const Value v = resolve_object(raw);
  if (is_nil(v)) return;
  if (v.is_map()) {
    if (key.size() == 1) newline();
    if (!key.empty()) {
      write(indent(key) + "[" + key_string(key) + "]");
      newline();
    }
    table(key, v.map(), false, depth);
    return;
  }
  if (is_table_array(v)) {
    if (key.empty()) throw TomlEncodeError{"toml: top-level values must be Go maps or structs"};
    for (const Value& item : v.list().items) {
      newline();
      write(indent(key) + "[[" + key_string(key) + "]]");
      newline();
      table(key, resolve_object(item).map(), false, depth + 1);
    }
    return;
  }
  key_value(key, v, depth);
}

// ---------------------------------------------------------------- decoding

struct TomlParseError {
  std::string message;
};

class TomlParser {
 public:
  explicit TomlParser(std::string_view s) : s_(s) {}
  Value parse();

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw TomlParseError{"toml: line " + std::to_string(line_) + ": " + msg};
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t') ++pos_;
  }
  void skip_comment() {
    if (peek() == '#') {
      while (!at_end() && peek() != '\n') ++pos_;
    }
  }
  // Whitespace, newlines and comments (inside arrays).
  void skip_all() {
    while (true) {
      skip_ws();
      skip_comment();
      if (peek() == '\n') {
        ++line_;
        ++pos_;
      } else if (peek() == '\r' && peek(1) == '\n') {
        ++line_;
        pos_ += 2;
      } else {
        return;
      }
    }
  }
  void end_of_line() {
    skip_ws();
    skip_comment();
    if (at_end()) return;
    if (peek() == '\r') ++pos_;
    if (peek() != '\n') fail("expected a newline after a value");
    ++pos_;
    ++line_;
  }
  std::vector<std::string> key();
  std::string key_part();
  std::string basic_string(bool multiline);
  std::string literal_string(bool multiline);
  Value value(int depth);
  Value array(int depth);
  Value inline_table(int depth);
  Value scalar_word();
  MapData& descend(MapData& from, const std::vector<std::string>& path, std::size_t count,
                   bool array_tables);
  void assign(MapData& table, const std::vector<std::string>& key, Value v);

  std::string_view s_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

std::string TomlParser::key_part() {
  skip_ws();
  if (peek() == '"') {
    ++pos_;
    return basic_string(false);
  }
  if (peek() == '\'') {
    ++pos_;
    return literal_string(false);
  }
  const std::size_t start = pos_;
  while (is_bare_key_char(peek())) ++pos_;
  if (pos_ == start) fail("expected a key");
  return std::string(s_.substr(start, pos_ - start));
}

std::vector<std::string> TomlParser::key() {
  std::vector<std::string> parts{key_part()};
  skip_ws();
  while (peek() == '.') {
    ++pos_;
    parts.push_back(key_part());
    skip_ws();
  }
  return parts;
}

std::string TomlParser::basic_string(bool multiline) {
  std::string out;
  if (multiline && peek() == '\n') {
    ++pos_;
    ++line_;
  }
  while (true) {
    if (at_end()) fail("unterminated string");
    const char c = s_[pos_];
    if (c == '"') {
      if (!multiline) {
        ++pos_;
        return out;
      }
      if (peek(1) == '"' && peek(2) == '"') {
        // """ closes; up to two more quotes right before it are content.
        std::size_t n = 3;
        while (n < 5 && peek(n) == '"') ++n;
        out.append(n - 3, '"');
        pos_ += n;
        return out;
      }
    }
    if (c == '\n') {
      if (!multiline) fail("newline in string");
      ++line_;
    }
    if (c != '\\') {
      out.push_back(c);
      ++pos_;
      continue;
    }
    ++pos_;
    const char e = peek();
    ++pos_;
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'f': out.push_back('\f'); break;
      case 'r': out.push_back('\r'); break;
      case 'e': out.push_back('\x1b'); break;
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'u':
      case 'U': {
        const std::size_t n = e == 'u' ? 4 : 8;
        if (pos_ + n > s_.size()) fail("invalid escape");
        char32_t r = 0;
        for (std::size_t k = 0; k < n; ++k) {
          const char h = s_[pos_ + k];
          int d;
          if (h >= '0' && h <= '9') {
            d = h - '0';
          } else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
            d = (h | 0x20) - 'a' + 10;
          } else {
            fail("invalid escape");
          }
          r = r * 16 + static_cast<char32_t>(d);
        }
        pos_ += n;
        detail::append_rune(out, r);
        break;
      }
      default:
        if (multiline && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
          // line-ending backslash: trim whitespace and newlines
          --pos_;
          while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') {
            if (peek() == '\n') ++line_;
            ++pos_;
          }
          break;
        }
        fail(std::string("invalid escape character '") + e + "'");
    }
  }
}

std::string TomlParser::literal_string(bool multiline) {
  if (multiline && peek() == '\n') {
    ++pos_;
    ++line_;
  }
  const std::size_t start = pos_;
  while (true) {
    if (at_end()) fail("unterminated string");
    if (s_[pos_] == '\'' && (!multiline || (peek(1) == '\'' && peek(2) == '\''))) {
      std::string out(s_.substr(start, pos_ - start));
      pos_ += multiline ? 3 : 1;
      return out;
    }
    if (s_[pos_] == '\n') {
      if (!multiline) fail("newline in string");
      ++line_;
    }
    ++pos_;
  }
}

// Numbers, booleans, inf/nan and date-times: one run of non-delimiters.
Value TomlParser::scalar_word() {
  const std::size_t start = pos_;
  while (!at_end()) {
    const char c = peek();
    if (c == ',' || c == ']' || c == '}' || c == '\n' || c == '\r' || c == '#') break;
    if (c == ' ' && !(pos_ > start && std::isdigit(static_cast<unsigned char>(s_[pos_ - 1])) &&
                      std::isdigit(static_cast<unsigned char>(peek(1))) &&
                      s_.substr(start, pos_ - start).find('-') != std::string_view::npos)) {
      break;  // a space is only part of "1979-05-27 07:32:00"
    }
    ++pos_;
  }
  std::string word(s_.substr(start, pos_ - start));
  while (!word.empty() && word.back() == ' ') word.pop_back();
  if (word == "true") return Value(true);
  if (word == "false") return Value(false);
  if (word == "inf" || word == "+inf") return Value::floating(HUGE_VAL);
  if (word == "-inf") return Value::floating(-HUGE_VAL);
  if (word == "nan" || word == "+nan" || word == "-nan") return Value::floating(std::nan(""));
  if (word.empty()) fail("expected a value");
  // Date-times: digits with '-' after four digits, or a time "07:32:00".
  if ((word.size() >= 10 && word[4] == '-') || (word.size() >= 8 && word[2] == ':')) {
    return Value(word);
  }
  std::string plain;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] == '_') {
      const bool ok = i > 0 && i + 1 < word.size() && std::isxdigit(static_cast<unsigned char>(word[i - 1])) &&
                      std::isxdigit(static_cast<unsigned char>(word[i + 1]));
      if (!ok) fail("invalid use of '_' in number");
      continue;
    }
    plain.push_back(word[i]);
  }
  const bool prefixed = plain.size() > 2 && plain[0] == '0' &&
                        (plain[1] == 'x' || plain[1] == 'o' || plain[1] == 'b');
  if (prefixed) {
    const int base = plain[1] == 'x' ? 16 : plain[1] == 'o' ? 8 : 2;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(plain.c_str() + 2, &end, base);
    if (errno != 0 || *end != '\0') fail("invalid integer " + word);
    return Value::integer(v, IntType::Int64);
  }
  const bool is_float = plain.find_first_of(".eE") != std::string::npos;
  if (!is_float) {
    std::string digits = plain;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.erase(0, 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        (digits.size() > 1 && digits[0] == '0')) {
      fail("invalid value " + word);
    }
    errno = 0;
    const long long v = std::strtoll(plain.c_str(), nullptr, 10);
    if (errno != 0) fail("integer out of range: " + word);
    return Value::integer(v, IntType::Int64);
  }
  double d;
  if (!detail::codec_parse_decimal_float(plain, d)) fail("invalid float " + word);
  return Value::floating(d);
}

Value TomlParser::array(int depth) {
  ++pos_;  // '['
  Value list = Value::new_list();
  while (true) {
    skip_all();
    if (peek() == ']') {
      ++pos_;
      return list;
    }
    list.list().items.push_back(value(depth + 1));
    skip_all();
    if (peek() == ',') {
      ++pos_;
      continue;
    }
    if (peek() == ']') {
      ++pos_;
      return list;
    }
    fail("expected ',' or ']' in array");
  }
}

Value TomlParser::inline_table(int depth) {
  ++pos_;  // '{'
  Value map = Value::new_map();
  skip_ws();
  if (peek() == '}') {
    ++pos_;
    return map;
  }
  while (true) {
    std::vector<std::string> k = key();
    skip_ws();
    if (peek() != '=') fail("expected '=' after a key");
    ++pos_;
    skip_ws();
    assign(map.map(), k, value(depth + 1));
    skip_ws();
    if (peek() == ',') {
      ++pos_;
      skip_ws();
      continue;
    }
    if (peek() == '}') {
      ++pos_;
      return map;
    }
    fail("expected ',' or '}' in inline table");
  }
}

Value TomlParser::value(int depth) {
  if (depth > kMaxDepth) fail("value nested too deeply");
  skip_ws();
  if (s_.substr(pos_, 3) == "\"\"\"") {
    pos_ += 3;
    return Value(basic_string(true));
  }
  if (s_.substr(pos_, 3) == "'''") {
    pos_ += 3;
    return Value(literal_string(true));
  }
  switch (peek()) {
    case '"': ++pos_; return Value(basic_string(false));
    case '\'': ++pos_; return Value(literal_string(false));
    case '[': return array(depth);
    case '{': return inline_table(depth);
    default: return scalar_word();
  }
}

// The table at path[0..count) below `from`, creating tables as needed; an
// array of tables resolves to its last element.
MapData& TomlParser::descend(MapData& from, const std::vector<std::string>& path,
                             std::size_t count, bool array_tables) {
  MapData* cur = &from;
  for (std::size_t i = 0; i < count; ++i) {
    auto it = cur->items.find(path[i]);
    if (it == cur->items.end()) {
      it = cur->items.emplace(path[i], Value::new_map()).first;
    }
    Value& v = it->second;
    if (array_tables && v.is_list() && !v.list().items.empty() &&
        v.list().items.back().is_map()) {
      cur = &v.list().items.back().map();
    } else if (v.is_map()) {
      cur = &v.map();
    } else {
      fail("key \"" + path[i] + "\" is already defined as a value");
    }
  }
  return *cur;
}

void TomlParser::assign(MapData& table, const std::vector<std::string>& key, Value v) {
  MapData& target = descend(table, key, key.size() - 1, false);
  if (target.items.count(key.back()) != 0) fail("key \"" + key.back() + "\" has already been defined");
  target.items.emplace(key.back(), std::move(v));
}

Value TomlParser::parse() {
  Value root = Value::new_map();
  MapData* current = &root.map();
  while (true) {
    skip_all();
    if (at_end()) return root;
    if (peek() == '[') {
      const bool array_table = peek(1) == '[';
      pos_ += array_table ? 2 : 1;
      std::vector<std::string> k = key();
      skip_ws();
      if (peek() != ']' || (array_table && peek(1) != ']')) fail("expected ']' after table name");
      pos_ += array_table ? 2 : 1;
      MapData& parent = descend(root.map(), k, k.size() - 1, true);
      auto it = parent.items.find(k.back());
      if (array_table) {
        if (it == parent.items.end()) it = parent.items.emplace(k.back(), Value::new_list()).first;
        if (!it->second.is_list()) fail("key \"" + k.back() + "\" is not an array of tables");
        it->second.list().items.push_back(Value::new_map());
        current = &it->second.list().items.back().map();
      } else {
        if (it == parent.items.end()) it = parent.items.emplace(k.back(), Value::new_map()).first;
        if (!it->second.is_map()) fail("key \"" + k.back() + "\" is already defined as a value");
        current = &it->second.map();
      }
      end_of_line();
      continue;
    }
    std::vector<std::string> k = key();
    skip_ws();
    if (peek() != '=') fail("expected '=' after a key");
    ++pos_;
    assign(*current, k, value(0));
    end_of_line();
  }
}

}  // namespace

Result<std::string> toml_encode(const Value& v) {
  try {
    TomlWriter w;
    w.encode({}, v, 0);
    return w.take();
  } catch (const TomlEncodeError& e) {
    return make_error(e.message);
  }
}

Result<Value> toml_decode(std::string_view text) {
  if (text.size() > (64u << 20)) return make_error("toml: input larger than 64 MiB");
  try {
    return TomlParser(text).parse();
  } catch (const TomlParseError& e) {
    return make_error(e.message);
  }
}

}  // namespace cairn::render
