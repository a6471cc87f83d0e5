// YAML request bodies, decoded with libyaml's event parser into nlohmann::json the way
// sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 resolution) sees them. Iterative, so deep nesting
// cannot overflow the stack; alias expansion is capped (billion-laughs bodies are rejected).
#include <yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "apiserver/request.h"

namespace cairn::apiserver {
namespace {

constexpr std::size_t kMaxNodes = 1'000'000;
constexpr std::size_t kMaxYamlDepth = 10000;

using nlohmann::json;

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '_') continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : std::isxdigit(static_cast<unsigned char>(c))
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : 99;
    if (v >= base) return false;
  }
  return true;
}

std::optional<json> resolve_int(std::string_view s) {
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    body.remove_prefix(2);
  } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) {
    base = 8;
    body.remove_prefix(2);
  } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) {
    base = 2;
    body.remove_prefix(2);
  } else if (body.size() > 1 && body[0] == '0') {
    base = 8;
    body.remove_prefix(1);
  }
  if (!all_digits(body, base)) return std::nullopt;
  std::string digits;
  for (char c : body)
    if (c != '_') digits += c;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  if (negative) {
    if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
      return std::nullopt;
    }
    return json(static_cast<std::int64_t>(0 - magnitude));
  }
  if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return json(magnitude);
  }
  return json(static_cast<std::int64_t>(magnitude));
}

std::optional<json> resolve_float(std::string_view s) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    return json(std::numeric_limits<double>::infinity());
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    return json(-std::numeric_limits<double>::infinity());
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return json(std::nan(""));
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  bool exp = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exp = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size() || (!dot && !exp)) return std::nullopt;
  std::string text(s[0] == '+' ? s.substr(1) : s);
  double d = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return json(d);
}

// A plain scalar as go-yaml v2 resolves it.
json resolve_plain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  // go-yaml v2 also reads y/Y/n/N as booleans; kube's typed decoding turns them back into
  // strings for string fields, so they stay strings here (a CR field `answer: n` is "n").
  static constexpr std::string_view kTrue[] = {"yes",  "Yes", "YES", "true", "True",
                                               "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"no",    "No",  "NO",  "false", "False",
                                                "FALSE", "off", "Off", "OFF"};
  for (std::string_view t : kTrue)
    if (s == t) return true;
  for (std::string_view f : kFalse)
    if (s == f) return false;
  if (auto i = resolve_int(s)) return *i;
  if (auto f = resolve_float(s)) return *f;
  return std::string(s);
}

json scalar_value(const yaml_event_t& ev) {
  std::string_view text(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
  std::string_view tag =
      ev.data.scalar.tag ? reinterpret_cast<const char*>(ev.data.scalar.tag) : "";
  if (tag == "tag:yaml.org,2002:str") return std::string(text);
  if (tag == "tag:yaml.org,2002:int") {
    if (auto i = resolve_int(text)) return *i;
  }
  if (tag == "tag:yaml.org,2002:float") {
    if (auto i = resolve_int(text)) return json(static_cast<double>(i->get<std::int64_t>()));
    if (auto f = resolve_float(text)) return *f;
  }
  if (ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return std::string(text);
  return resolve_plain(text);
}

std::string key_string(const json& key) {
  if (key.is_string()) return key.get<std::string>();
  if (key.is_null()) return "null";
  return key.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::size_t count_nodes(const json& j) {
  std::size_t n = 1;
  if (j.is_structured())
    for (const auto& c : j) n += count_nodes(c);
  return n;
}

// One open container while events stream in.
struct Frame {
  json value;
  std::string anchor;
  std::optional<std::string> pending_key;  // mappings: the key awaiting its value
  std::string path;
  std::set<std::string> keys;
};

class YamlBuilder {
 public:
  Result<void> add(json value, const std::string& anchor) {
    if (++nodes_ > kMaxNodes) return too_big();
    if (!anchor.empty()) anchors_[anchor] = value;
    return place(std::move(value));
  }

  Result<void> alias(const std::string& anchor) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return error(
          StatusCode::kBadRequest,
          "error converting YAML to JSON: yaml: unknown anchor '" + anchor + "' referenced");
    }
    nodes_ += count_nodes(it->second);
    if (nodes_ > kMaxNodes) return too_big();
    return place(it->second);
  }

  Result<void> open(json container, const std::string& anchor) {
    if (stack_.size() >= kMaxYamlDepth) {
      return error(StatusCode::kBadRequest, "error converting YAML to JSON: nesting too deep");
    }
    std::string path;
    if (!stack_.empty()) {
      const Frame& p = stack_.back();
      path = p.value.is_object() && p.pending_key
                 ? (p.path.empty() ? *p.pending_key : p.path + "." + *p.pending_key)
                 : p.path;
    }
    stack_.push_back(Frame{std::move(container), anchor, std::nullopt, path, {}});
    return {};
  }

  Result<void> close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    return add(std::move(f.value), f.anchor);
  }

  bool done() const { return root_.has_value(); }
  // True when the next node is a mapping key (keys keep their literal text).
  bool expecting_key() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().pending_key;
  }
  json take_root() { return root_ ? std::move(*root_) : json(nullptr); }
  std::vector<std::string> take_duplicates() { return std::move(duplicates_); }

 private:
  static tl::unexpected<Status> too_big() {
    return error(StatusCode::kBadRequest, "error converting YAML to JSON: document too large");
  }

  Result<void> place(json value) {
    if (stack_.empty()) {
      if (!root_) root_ = std::move(value);
      return {};
    }
    Frame& f = stack_.back();
    if (f.value.is_array()) {
      f.value.push_back(std::move(value));
    } else if (!f.pending_key) {
      f.pending_key = key_string(value);
    } else {
      std::string key = std::move(*f.pending_key);
      f.pending_key.reset();
      if (!f.keys.insert(key).second)
        duplicates_.push_back(f.path.empty() ? key : f.path + "." + key);
      f.value[key] = std::move(value);
    }
    return {};
  }

  std::vector<Frame> stack_;
  std::optional<json> root_;
  std::map<std::string, json> anchors_;
  std::vector<std::string> duplicates_;
  std::size_t nodes_ = 0;
};

std::string anchor_of(const yaml_char_t* a) {
  return a ? std::string(reinterpret_cast<const char*>(a)) : std::string();
}

}  // namespace

Result<DecodedBody> decode_yaml_body(std::string_view body) {
  std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t);
  if (!yaml_parser_initialize(parser.get())) {
    delete parser.release();
    return error(StatusCode::kInternal, "yaml: cannot initialise the parser");
  }
  // libyaml asserts on a null input pointer, which an empty string_view may carry.
  static const unsigned char kEmpty[1] = {0};
  const unsigned char* input =
      body.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  yaml_parser_set_input_string(parser.get(), input, body.size());
  YamlBuilder builder;
  bool document_seen = false;
  while (!builder.done()) {
    yaml_event_t ev;
    if (!yaml_parser_parse(parser.get(), &ev)) {
      std::string problem = parser->problem ? parser->problem : "syntax error";
      return error(StatusCode::kBadRequest, "error converting YAML to JSON: yaml: line " +
                                                std::to_string(parser->problem_mark.line + 1) +
                                                ": " + problem);
    }
    std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> guard(&ev, yaml_event_delete);
    Result<void> r;
    switch (ev.type) {
      case YAML_STREAM_END_EVENT:
        if (!document_seen) return DecodedBody{nullptr, {}};
        return DecodedBody{builder.take_root(), builder.take_duplicates()};
      case YAML_DOCUMENT_START_EVENT:
        document_seen = true;
        break;
      case YAML_SCALAR_EVENT:
        r = builder.add(builder.expecting_key()
                            ? json(std::string(reinterpret_cast<const char*>(ev.data.scalar.value),
                                               ev.data.scalar.length))
                            : scalar_value(ev),
                        anchor_of(ev.data.scalar.anchor));
        break;
      case YAML_ALIAS_EVENT:
        r = builder.alias(anchor_of(ev.data.alias.anchor));
        break;
      case YAML_SEQUENCE_START_EVENT:
        r = builder.open(json::array(), anchor_of(ev.data.sequence_start.anchor));
        break;
      case YAML_MAPPING_START_EVENT:
        r = builder.open(json::object(), anchor_of(ev.data.mapping_start.anchor));
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        r = builder.close();
        break;
      default:
        break;
    }
    if (!r) return tl::unexpected(r.error());
  }
  return DecodedBody{builder.take_root(), builder.take_duplicates()};
}

}  // namespace cairn::apiserver
