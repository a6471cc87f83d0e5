// kubectl JSONPath: a parser mirroring k8s.io/client-go/util/jsonpath/parser.go token by token,
// an evaluator over nlohmann::json that works on pointers into the document (values are only
// copied into the final result), and Go-compatible printing of result values.
#include "apiserver/jsonpath.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <optional>
#include <utility>

#include "apiserver/detail/go_text.h"

namespace cairn::apiserver {

namespace {

using nlohmann::json;

enum class NodeKind {
  kText,        // quoted text or template text: yields the string once
  kField,       // .name
  kWildcard,    // .*
  kRecursive,   // ..
  kArray,       // [start:end:step]
  kUnion,       // [a,b]
  kFilter,      // [?(left op right)]
  kInt,         // integer literal
  kFloat,       // float literal
  kBool,        // true / false
  kIdentifier,  // any other bare word: an evaluation error, as in kube
  kList,        // one {action} of a template
};

struct SliceParam {
  bool known = false;
  std::int64_t value = 0;
  bool derived = false;
};

struct Node;
using NodeList = std::vector<Node>;

struct Node {
  NodeKind kind = NodeKind::kText;
  std::string text;  // text, field name, identifier, filter operator
  std::int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::array<SliceParam, 3> params{};
  // kUnion: one list per member; kFilter: {left, right}; kList: {nodes}.
  std::vector<NodeList> lists;
};

bool is_terminator(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n':
    case '.': case ',': case '[': case ']': case '$': case '@': case '{': case '}':
      return true;
    default:
      return false;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// unicode.IsLetter/IsDigit approximated: any non-ASCII byte counts as a letter.
bool is_alnum(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || u >= 0x80;
}

// Go's %#U of an ASCII byte: U+0021 '!' (the quoted glyph only when printable).
std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(u));
  std::string out = buf;
  if (u >= 0x20 && u < 0x7f) out += std::string(" '") + c + "'";
  return out;
}

// strconv.Atoi: optional sign, decimal digits, no overflow.
std::optional<std::int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
    magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > limit + 1) return std::nullopt;
    return magnitude == limit + 1 ? std::numeric_limits<std::int64_t>::min()
                                  : -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > limit) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

// strconv.ParseFloat restricted to what the number scanner collects: sign, digits and dots.
std::optional<double> parse_float(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int dots = 0;
  int digits = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else {
      ++digits;
    }
  }
  if (dots > 1 || digits == 0) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -value : value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// kube's UnquoteExtend: strconv.Unquote that also accepts single quotes.
std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back() || (s.front() != '"' && s.front() != '\'')) {
    return std::nullopt;
  }
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote) return std::nullopt;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return std::nullopt;
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < n; ++k) {
          const int h = hex_value(s[i + k]);
          if (h < 0) return std::nullopt;
          v = v * 16 + static_cast<std::uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return std::nullopt;
          append_utf8(out, v);
        }
        break;
      }
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        if (i + 2 > s.size()) return std::nullopt;
        std::uint32_t v = static_cast<std::uint32_t>(e - '0');
        for (std::size_t k = 0; k < 2; ++k) {
          const char d = s[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + static_cast<std::uint32_t>(d - '0');
        }
        if (v > 255) return std::nullopt;
        i += 2;
        out += static_cast<char>(v);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

// The parser. Every method returns false after setting error_ on a syntax error.
class Parser {
 public:
  explicit Parser(std::string_view input, int depth) : in_(input), depth_(depth) {}

  // Parses a template into root nodes (kText and kList).
  bool parse_template(NodeList& root) {
    while (pos_ < in_.size()) {
      const std::size_t brace = in_.find('{', pos_);
      if (brace == std::string_view::npos) {
        root.push_back(text_node(std::string(in_.substr(pos_))));
        pos_ = in_.size();
        break;
      }
      if (brace > pos_) root.push_back(text_node(std::string(in_.substr(pos_, brace - pos_))));
      pos_ = brace + 1;
      Node list;
      list.kind = NodeKind::kList;
      list.lists.emplace_back();
      if (!parse_action(list.lists[0])) return false;
      root.push_back(std::move(list));
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  static Node text_node(std::string text) {
    Node n;
    n.kind = NodeKind::kText;
    n.text = std::move(text);
    return n;
  }

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool starts_with(std::string_view prefix) const {
    return in_.substr(pos_).substr(0, prefix.size()) == prefix;
  }

  // Parses `text` as the inside of one action (kube's parseAction: "{" + text + "}").
  bool sub_action(std::string_view text, NodeList& out) {
    if (depth_ >= kMaxDepth) return fail("expression nests too deeply");
    const std::string wrapped = "{" + std::string(text) + "}";
    Parser sub(wrapped, depth_ + 1);
    NodeList root;
    if (!sub.parse_template(root)) return fail(sub.error());
    if (root.empty() || root[0].kind != NodeKind::kList) return fail("invalid action " +
                                                                    std::string(text));
    out = std::move(root[0].lists[0]);
    return true;
  }

  bool parse_action(NodeList& cur) {
    while (true) {
      if (pos_ >= in_.size()) return fail("unclosed action");
      if (starts_with("}")) {
        ++pos_;
        return true;
      }
      if (starts_with("[?(")) {
        if (!parse_filter(cur)) return false;
        continue;
      }
      if (starts_with("..")) {
        if (!parse_recursive(cur)) return false;
        continue;
      }
      const char c = in_[pos_];
      if (c == '\r' || c == '\n') return fail("unclosed action");
      if (c == ' ' || c == '@' || c == '$') {
        ++pos_;
      } else if (c == '[') {
        if (!parse_array(cur)) return false;
      } else if (c == '"' || c == '\'') {
        if (!parse_quote(cur, c)) return false;
      } else if (c == '.') {
        ++pos_;
        parse_field(cur);
      } else if (c == '+' || c == '-' || is_digit(c)) {
        if (!parse_number(cur)) return false;
      } else if (is_alnum(c)) {
        if (!parse_identifier(cur)) return false;
      } else {
        return fail("unrecognized character in action: " + describe_char(c));
      }
    }
  }

  bool parse_identifier(NodeList& cur) {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && !is_terminator(in_[pos_])) ++pos_;
    const std::string value(in_.substr(start, pos_ - start));
    Node n;
    if (value == "true" || value == "false") {
      n.kind = NodeKind::kBool;
      n.bool_value = value == "true";
    } else if (value == "range" || value == "end") {
      return fail("range/end blocks are not supported");
    } else {
      n.kind = NodeKind::kIdentifier;
      n.text = value;
    }
    cur.push_back(std::move(n));
    return true;
  }

  bool parse_recursive(NodeList& cur) {
    if (!cur.empty() && cur.back().kind == NodeKind::kRecursive) {
      return fail("invalid multiple recursive descent");
    }
    pos_ += 2;
    Node n;
    n.kind = NodeKind::kRecursive;
    cur.push_back(std::move(n));
    if (pos_ < in_.size() && is_alnum(in_[pos_])) parse_field(cur);
    return true;
  }

  bool parse_number(NodeList& cur) {
    const std::size_t start = pos_;
    if (in_[pos_] == '+' || in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() && (in_[pos_] == '.' || is_digit(in_[pos_]))) ++pos_;
    const std::string_view value = in_.substr(start, pos_ - start);
    Node n;
    if (auto i = parse_int(value)) {
      n.kind = NodeKind::kInt;
      n.int_value = *i;
    } else if (auto f = parse_float(value)) {
      n.kind = NodeKind::kFloat;
      n.float_value = *f;
    } else {
      return fail("cannot parse number " + std::string(value));
    }
    cur.push_back(std::move(n));
    return true;
  }

  bool parse_array(NodeList& cur) {
    const std::size_t open = pos_;
    std::size_t close = open + 1;
    while (true) {
      if (close >= in_.size() || in_[close] == '\n') return fail("unterminated array");
      if (in_[close] == ']') break;
      ++close;
    }
    pos_ = close + 1;
    std::string text(in_.substr(open + 1, close - open - 1));
    if (text == "*") text = ":";

    // Union.
    if (text.find(',') != std::string::npos) {
      Node n;
      n.kind = NodeKind::kUnion;
      std::size_t from = 0;
      while (true) {
        const std::size_t comma = text.find(',', from);
        std::string_view part = std::string_view(text).substr(
            from, comma == std::string::npos ? std::string::npos : comma - from);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        NodeList member;
        if (!sub_action("[" + std::string(part) + "]", member)) return false;
        n.lists.push_back(std::move(member));
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
      cur.push_back(std::move(n));
      return true;
    }

    // Quoted key: read as a path, as kube does.
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' &&
        text.find('\'', 1) == text.size() - 1) {
      NodeList nodes;
      if (!sub_action("." + text.substr(1, text.size() - 2), nodes)) return false;
      for (auto& node : nodes) cur.push_back(std::move(node));
      return true;
    }

    // Slice: ^(-?\d*)(:-?\d*)?(:-?\d*)?$
    std::array<std::string, 3> groups;
    std::array<bool, 3> present{true, false, false};
    std::size_t i = 0;
    auto scan_number = [&](std::string& group) {
      if (i < text.size() && text[i] == '-') group += text[i++];
      while (i < text.size() && is_digit(text[i])) group += text[i++];
    };
    scan_number(groups[0]);
    for (int g = 1; g < 3 && i < text.size() && text[i] == ':'; ++g) {
      present[g] = true;
      groups[g] += text[i++];
      scan_number(groups[g]);
    }
    if (i != text.size()) return fail("invalid array index " + text);

    Node n;
    n.kind = NodeKind::kArray;
    for (int g = 0; g < 3; ++g) {
      std::string value = present[g] ? groups[g] : "";
      auto& param = n.params[g];
      if (!value.empty()) {
        if (g > 0) value.erase(0, 1);
        if (g > 0 && value.empty()) {
          param.known = false;
        } else {
          const auto number = parse_int(value);
          if (!number) return fail("array index " + value + " is not a number");
          // No document array comes near 2^40 elements: clamping keeps the index arithmetic
          // free of overflow and still fails evaluation as out of bounds.
          constexpr std::int64_t kLimit = std::int64_t{1} << 40;
          param.known = true;
          param.value = std::clamp(*number, -kLimit, kLimit);
        }
      } else if (g == 1) {
        param.known = true;
        param.value = n.params[0].value + 1;
        param.derived = true;
      } else {
        param.known = false;
        param.value = 0;
      }
    }
    cur.push_back(std::move(n));
    return true;
  }

  bool parse_filter(NodeList& cur) {
    pos_ += 3;
    const std::size_t start = pos_;
    bool begin = false;
    bool end = false;
    char pair = 0;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated filter");
      const char c = in_[pos_++];
      if (c == '"' || c == '\'') {
        if (!begin) {
          begin = true;
          pair = c;
          continue;
        }
        if (in_[pos_ - 2] != '\\' && c == pair) end = true;
      } else if (c == ')' && begin == end) {
        break;
      }
    }
    if (pos_ >= in_.size() || in_[pos_] != ']') return fail("unclosed array expect ]");
    ++pos_;
    const std::string_view text = in_.substr(start, pos_ - 2 - start);

    // ^([^!<>=]+)([!<>=]+)(.+?)$
    auto is_op = [](char c) { return c == '!' || c == '<' || c == '>' || c == '='; };
    std::size_t op_start = 0;
    while (op_start < text.size() && !is_op(text[op_start])) ++op_start;
    std::size_t op_end = op_start;
    while (op_end < text.size() && is_op(text[op_end])) ++op_end;
    if (op_end == text.size() && op_end - op_start >= 2) --op_end;
    const bool comparison = op_start > 0 && op_start < text.size() && op_end < text.size();

    Node n;
    n.kind = NodeKind::kFilter;
    n.lists.resize(2);
    if (!comparison) {
      n.text = "exists";
      if (!sub_action(text, n.lists[0])) return false;
    } else {
      n.text = std::string(text.substr(op_start, op_end - op_start));
      if (n.text != "==" && n.text != "!=" && n.text != "<" && n.text != "<=" && n.text != ">" &&
          n.text != ">=") {
        return fail("unrecognized filter operator " + n.text);
      }
      if (!sub_action(text.substr(0, op_start), n.lists[0])) return false;
      if (!sub_action(text.substr(op_end), n.lists[1])) return false;
    }
    cur.push_back(std::move(n));
    return true;
  }

  bool parse_quote(NodeList& cur, char quote) {
    const std::size_t start = pos_;
    ++pos_;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated quoted string");
      const char c = in_[pos_++];
      if (c == quote && in_[pos_ - 2] != '\\') break;
    }
    const std::string_view value = in_.substr(start, pos_ - start);
    auto text = unquote(value);
    if (!text) return fail("unquote string " + std::string(value) + " error invalid syntax");
    cur.push_back(text_node(std::move(*text)));
    return true;
  }

  // After the '.': the field name up to the next unescaped terminator.
  void parse_field(NodeList& cur) {
    const std::size_t start = pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '\\') {
        pos_ = std::min(pos_ + 2, in_.size());
      } else if (is_terminator(c)) {
        break;
      } else {
        ++pos_;
      }
    }
    const std::string_view raw = in_.substr(start, pos_ - start);
    Node n;
    if (raw == "*") {
      n.kind = NodeKind::kWildcard;
    } else {
      n.kind = NodeKind::kField;
      for (char c : raw) {
        if (c != '\\') n.text += c;
      }
    }
    cur.push_back(std::move(n));
  }

  static constexpr int kMaxDepth = 64;

  std::string_view in_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Evaluation.

using Values = std::vector<const json*>;

// Comparison of two filter operands with the outcome of kube's template.{Equal,Less,...}
// (incompatible or unordered operands: == false, != true, ordering false), except that
// integers and floats compare numerically.
bool compare(const std::string& op, const json& a, const json& b) {
  int order = 0;  // -1, 0, 1 when ordered
  bool ordered = false;
  bool comparable = false;
  if (a.is_number() && b.is_number()) {
    comparable = ordered = true;
    if (a.is_number_integer() && b.is_number_integer()) {
      if (a.is_number_unsigned() || b.is_number_unsigned()) {
        // Either may still be negative when the other is unsigned.
        const bool an = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
        const bool bn = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
        if (an != bn) {
          order = an ? -1 : 1;
        } else if (an) {
          const auto x = a.get<std::int64_t>();
          const auto y = b.get<std::int64_t>();
          order = x < y ? -1 : x > y ? 1 : 0;
        } else {
          const auto x = a.get<std::uint64_t>();
          const auto y = b.get<std::uint64_t>();
          order = x < y ? -1 : x > y ? 1 : 0;
        }
      } else {
        const auto x = a.get<std::int64_t>();
        const auto y = b.get<std::int64_t>();
        order = x < y ? -1 : x > y ? 1 : 0;
      }
    } else {
      const double x = a.get<double>();
      const double y = b.get<double>();
      if (x < y) {
        order = -1;
      } else if (x > y) {
        order = 1;
      } else if (x == y) {
        order = 0;
      } else {
        comparable = ordered = false;  // NaN
      }
    }
  } else if (a.is_string() && b.is_string()) {
    comparable = ordered = true;
    const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    order = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else if (a.is_boolean() && b.is_boolean()) {
    comparable = true;
    order = a.get<bool>() == b.get<bool>() ? 0 : 1;
  }
  if (op == "==") return comparable && order == 0;
  if (op == "!=") return !(comparable && order == 0);
  if (!ordered) return false;
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order >= 0;  // ">="
}

class Evaluator {
 public:
  // Evaluates `nodes` left to right starting from `input`. False on an evaluation error.
  bool list(const Values& input, const NodeList& nodes, Values& out) {
    Values current = input;
    for (const Node& node : nodes) {
      Values next;
      if (!step(current, node, next)) return false;
      current = std::move(next);
    }
    out = std::move(current);
    return true;
  }

 private:
  bool add(Values& out, const json* value) {
    if (++produced_ > JsonPath::kMaxIntermediateResults) return false;
    out.push_back(value);
    return true;
  }

  const json* literal(json value) {
    arena_.push_back(std::move(value));
    return &arena_.back();
  }

  bool step(const Values& input, const Node& node, Values& out) {
    switch (node.kind) {
      case NodeKind::kList:
        return list(input, node.lists[0], out);
      case NodeKind::kText:
        return add(out, literal(node.text));
      case NodeKind::kInt:
      case NodeKind::kFloat:
      case NodeKind::kBool: {
        if (input.empty()) return true;
        const json* value = literal(node.kind == NodeKind::kInt     ? json(node.int_value)
                                    : node.kind == NodeKind::kFloat ? json(node.float_value)
                                                                    : json(node.bool_value));
        for (std::size_t i = 0; i < input.size(); ++i) {
          if (!add(out, value)) return false;
        }
        return true;
      }
      case NodeKind::kField:
        for (const json* v : input) {
          if (!v->is_object()) continue;
          auto it = v->find(node.text);
          if (it != v->end() && !add(out, &*it)) return false;
        }
        return true;
      case NodeKind::kWildcard:
        for (const json* v : input) {
          if (!v->is_object() && !v->is_array()) continue;
          for (const auto& child : *v) {
            if (!add(out, &child)) return false;
          }
        }
        return true;
      case NodeKind::kRecursive:
        for (const json* v : input) {
          if (!recursive(v, out)) return false;
        }
        return true;
      case NodeKind::kArray:
        return array(input, node, out);
      case NodeKind::kUnion:
        for (const NodeList& member : node.lists) {
          Values part;
          if (!list(input, member, part)) return false;
          for (const json* v : part) {
            if (!add(out, v)) return false;
          }
        }
        return true;
      case NodeKind::kFilter:
        return filter(input, node, out);
      case NodeKind::kIdentifier:
        return false;  // kube: "unrecognized identifier"
    }
    return false;
  }

  bool recursive(const json* v, Values& out) {
    if ((!v->is_object() && !v->is_array()) || v->empty()) return true;
    if (++depth_ > kMaxDepth) return false;
    bool ok = add(out, v);
    for (auto it = v->begin(); ok && it != v->end(); ++it) ok = recursive(&*it, out);
    --depth_;
    return ok;
  }

  bool array(const Values& input, const Node& node, Values& out) {
    for (const json* v : input) {
      if (v->is_null()) continue;
      if (!v->is_array()) return false;  // kube: "... is not array or slice"
      const auto length = static_cast<std::int64_t>(v->size());
      auto params = node.params;
      if (!params[0].known) params[0].value = 0;
      if (params[0].value < 0) params[0].value += length;
      if (!params[1].known) params[1].value = length;
      if (params[1].value < 0 || (params[1].value == 0 && params[1].derived)) {
        params[1].value += length;
      }
      const std::int64_t begin = params[0].value;
      const std::int64_t end = params[1].value;
      if (end == begin) return true;  // kube returns what it has so far
      if (begin >= length || begin < 0 || end > length || end < 0 || begin > end) return false;
      std::int64_t step = 1;
      if (params[2].known) {
        if (params[2].value <= 0) return false;
        step = params[2].value;
      }
      for (std::int64_t i = begin; i < end; i += step) {
        if (!add(out, &(*v)[static_cast<std::size_t>(i)])) return false;
      }
    }
    return true;
  }

  bool filter(const Values& input, const Node& node, Values& out) {
    for (const json* v : input) {
      if (v->is_null()) continue;
      std::vector<const json*> elements;
      if (v->is_object() || v->is_array()) {
        for (const auto& child : *v) elements.push_back(&child);
      } else {
        elements.push_back(v);
      }
      for (const json* element : elements) {
        const Values scope{element};
        Values lefts;
        // Missing keys are allowed: an error on the left side counts as no value.
        if (!list(scope, node.lists[0], lefts)) lefts.clear();
        Values rights;
        if (!list(scope, node.lists[1], rights)) return false;
        if (lefts.empty()) continue;
        if (lefts.size() > 1) return false;  // kube: "can only compare one element at a time"
        if (node.text == "exists") {
          if (!add(out, element)) return false;
          continue;
        }
        if (rights.empty()) continue;
        if (rights.size() > 1) return false;
        if (compare(node.text, *lefts[0], *rights[0]) && !add(out, element)) return false;
      }
    }
    return true;
  }

  static constexpr int kMaxDepth = 512;

  std::deque<json> arena_;
  std::size_t produced_ = 0;
  int depth_ = 0;
};

}  // namespace

struct JsonPath::Program {
  NodeList root;
};

Result<JsonPath> JsonPath::parse(std::string_view expression) {
  if (expression.size() > kMaxExpressionBytes) {
    return error(StatusCode::kBadRequest, "JSONPath expression is longer than " +
                                              std::to_string(kMaxExpressionBytes) + " bytes");
  }
  const bool has_braces = expression.find('{') != std::string_view::npos;
  const std::string text =
      has_braces ? std::string(expression) : "{" + std::string(expression) + "}";
  Parser parser(text, 0);
  auto program = std::make_shared<Program>();
  if (!parser.parse_template(program->root)) {
    return error(StatusCode::kBadRequest, "invalid JSONPath expression \"" +
                                              std::string(expression) + "\": " + parser.error());
  }
  return JsonPath(std::string(expression), std::move(program));
}

std::vector<nlohmann::json> JsonPath::evaluate(const nlohmann::json& document) const {
  std::vector<nlohmann::json> results;
  Evaluator evaluator;
  const Values root{&document};
  for (const Node& node : program_->root) {
    Values values;
    if (node.kind == NodeKind::kText) {
      results.emplace_back(node.text);
      continue;
    }
    if (!evaluator.list(root, node.lists[0], values)) return {};
    for (const json* v : values) results.push_back(*v);
  }
  return results;
}

std::string jsonpath_value_string(const nlohmann::json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::number_integer:
      return std::to_string(value.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case json::value_t::number_float:
      return go::format_float(value.get<double>());
    case json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case json::value_t::null:
    case json::value_t::discarded:
      return "<no value>";
    default:
      return go::marshal(value);
  }
}

}  // namespace cairn::apiserver
