// sigs.k8s.io/yaml.Unmarshal into interface{}: libyaml's event parser (the C
// library gopkg.in/yaml.v2 is a port of, so the same grammar and syntax-error
// messages) drives a builder that applies yaml.v2's rules to each node (YAML
// 1.1 resolver, merge keys, timestamps kept as text, !!binary) and the JSON
// round trip that sigs.k8s.io/yaml performs: numbers become float64, map keys
// strings. Values are built directly from the events with an explicit stack.
//
// Errors come in the order Go finds them: a syntax error anywhere in the
// document (or an unknown anchor before it) first, then yaml.v2's decoding
// errors, then sigs.k8s.io/yaml's key conversion, then json.Marshal's.
#include <yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "render/codec.h"
#include "render/detail/codec_util.h"
#include "render/gofmt.h"

namespace cairn::render {
namespace {

using detail::YamlResolved;
using detail::YamlTag;

constexpr int kMaxDepth = 1000;
constexpr std::size_t kMaxInput = 64u << 20;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

// The standard tags yaml.v2 knows, as libyaml expands them.
enum class StdTag : std::uint8_t { None, Str, Bool, Int, Float, Null, Timestamp, Binary, Merge, Other };

StdTag classify_tag(const yaml_char_t* raw) {
  if (raw == nullptr) return StdTag::None;
  const std::string_view tag(reinterpret_cast<const char*>(raw));
  if (tag.substr(0, kTagPrefix.size()) != kTagPrefix) return StdTag::Other;
  const std::string_view name = tag.substr(kTagPrefix.size());
  if (name == "str") return StdTag::Str;
  if (name == "bool") return StdTag::Bool;
  if (name == "int") return StdTag::Int;
  if (name == "float") return StdTag::Float;
  if (name == "null") return StdTag::Null;
  if (name == "timestamp") return StdTag::Timestamp;
  if (name == "binary") return StdTag::Binary;
  if (name == "merge") return StdTag::Merge;
  return StdTag::Other;
}

std::string_view tag_name(YamlTag t) {
  switch (t) {
    case YamlTag::Null: return "!!null";
    case YamlTag::Bool: return "!!bool";
    case YamlTag::Int: case YamlTag::Uint: return "!!int";
    case YamlTag::Float: return "!!float";
    case YamlTag::Timestamp: return "!!timestamp";
    case YamlTag::Merge: return "!!merge";
    case YamlTag::Str: break;
  }
  return "!!str";
}

std::string_view std_tag_name(StdTag t) {
  switch (t) {
    case StdTag::Bool: return "!!bool";
    case StdTag::Int: return "!!int";
    case StdTag::Float: return "!!float";
    case StdTag::Null: return "!!null";
    case StdTag::Timestamp: return "!!timestamp";
    default: break;
  }
  return "!!str";
}

// encoding/base64.StdEncoding.DecodeString (CR and LF ignored).
bool base64_decode(std::string_view in, std::string& out) {
  static const std::array<std::int8_t, 256> table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  std::string s;
  s.reserve(in.size());
  for (char c : in) {
    if (c != '\r' && c != '\n') s.push_back(c);
  }
  if (s.size() % 4 != 0) return false;
  out.clear();
  out.reserve(s.size() / 4 * 3);
  for (std::size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    int pad = 0;
    std::uint32_t acc = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = s[i + j];
      if (c == '=') {
        // Padding only at the end of the last quantum, after two or three digits.
        if (!last || j < 2) return false;
        if (j == 2 && s[i + 3] != '=') return false;
        ++pad;
        acc <<= 6;
        continue;
      }
      if (pad > 0) return false;
      const std::int8_t v = table[static_cast<unsigned char>(c)];
      if (v < 0) return false;
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>((acc >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((acc >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(acc & 0xff));
  }
  return true;
}

// fmt's %#v of the interface{} value yaml.v2 would have built (keys already
// strings, numbers float64: close enough for an error message).
void go_sharp_v(std::string& out, const Value& v, bool nested = false) {
  if (v.is_map()) {
    out += "map[interface {}]interface {}{";
    bool first = true;
    for (const auto& [k, item] : v.map().items) {
      if (!first) out += ", ";
      first = false;
      out += go_quote(k);
      out.push_back(':');
      go_sharp_v(out, item, true);
    }
    out.push_back('}');
  } else if (v.is_list()) {
    out += "[]interface {}{";
    bool first = true;
    for (const Value& item : v.list().items) {
      if (!first) out += ", ";
      first = false;
      go_sharp_v(out, item, true);
    }
    out.push_back('}');
  } else if (v.is_string()) {
    out += go_quote(v.as_string());
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_float()) {
    out += detail::codec_format_float(v.as_float(), 'g');
  } else {
    out += nested ? "interface {}(nil)" : "<nil>";
  }
}

std::string go_sharp_v(const YamlResolved& r, const Value& v) {
  std::string out;
  switch (r.tag) {
    case YamlTag::Int: return std::to_string(r.i);
    case YamlTag::Uint: {
      static const char* hex = "0123456789abcdef";
      std::string digits;
      std::uint64_t u = r.u;
      do {
        digits.insert(digits.begin(), hex[u & 15]);
        u >>= 4;
      } while (u != 0);
      return "0x" + digits;
    }
    default: break;
  }
  go_sharp_v(out, v);
  return out;
}

// A deep copy of maps and lists (strings are immutable and shared): each use
// of an alias is a value of its own, as yaml.v2 decodes the node again.
Value deep_copy(const Value& v) {
  if (v.is_map()) {
    Value out = Value::new_map();
    auto& items = out.map().items;
    for (const auto& [k, item] : v.map().items) items.emplace_hint(items.end(), k, deep_copy(item));
    return out;
  }
  if (v.is_list()) {
    Value out = Value::new_list();
    auto& items = out.list().items;
    items.reserve(v.list().items.size());
    for (const Value& item : v.list().items) items.push_back(deep_copy(item));
    return out;
  }
  return v;
}

// The raw data of a scalar node, enough to resolve it again (aliases).
struct ScalarText {
  StdTag tag = StdTag::None;
  bool plain = false;  // plain_implicit: resolved as untagged plain text
  std::string_view text;
};

class Builder {
 public:
  explicit Builder(std::string_view input)
      : input_(input), max_nodes_(1'000'000 + 4 * input.size()) {
    if (input.substr(0, 3) == "\xEF\xBB\xBF") base_byte_ = cursor_byte_ = 3;
    yaml_parser_initialize(&parser_);
    // libyaml asserts a non-null pointer, which an empty string_view may not have.
    const char* data = input.data() != nullptr ? input.data() : "";
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(data),
                                 input.size());
  }
  ~Builder() {
    if (have_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  // Decodes the next document into `out`. Returns false at the end of the
  // stream or on an error (then error() is set).
  bool next_document(Value& out);
  const std::string& error() const { return error_; }
  // After a syntax error libyaml 0.2.5 raises but yaml.v2 does not: the input
  // respelled so that libyaml reads what yaml.v2 reads.
  bool patch(std::string& out);

 private:
  // Error tiers, in the order Go reports them.
  enum Tier { kDecode = 0, kKey = 1, kJson = 2, kTiers = 3 };

  enum class KeyState : std::uint8_t { None, Normal, Merge, Skip, NullKey, UintKey };

  struct Frame {
    bool is_map = false;
    bool flow = false;
    bool has_props = false;  // an anchor or a tag
    KeyState key_state = KeyState::None;
    std::size_t start_index = 0;  // libyaml's mark
    std::size_t start_line = 0;
    int height = 0;
    int anchor = -1;
    std::size_t start_nodes = 0;
    Value value;
    std::string key;
    std::string bad_key;  // %#v of a null or uint64 key
  };

  struct Anchor {
    bool open = true;
    bool scalar = false;
    int height = 0;
    std::size_t nodes = 0;
    Value value;       // a collection's
    std::string text;  // a scalar's raw text and resolution inputs
    StdTag tag = StdTag::None;
    bool plain = false;
  };

  bool parse();
  bool fail_syntax();
  bool check_escapes();
  bool check_flow_question();
  std::size_t byte_offset(std::size_t char_index);
  bool fail_now(std::string message) {
    error_ = std::move(message);
    return false;
  }
  void record(Tier tier, std::string message) {
    if (!has_error_[tier]) {
      has_error_[tier] = true;
      errors_[tier] = std::move(message);
    }
  }
  bool count(std::size_t n) {
    nodes_ += n;
    if (nodes_ > max_nodes_) return fail_now("yaml: document contains excessive aliasing");
    return true;
  }
  bool check_depth(int extra) {
    if (static_cast<int>(stack_.size()) + extra > kMaxDepth) {
      return fail_now("yaml: exceeded max depth of " + std::to_string(kMaxDepth));
    }
    return true;
  }
  int begin_anchor(const yaml_char_t* name);

  bool resolve(const ScalarText& s, YamlResolved& r, std::string& binary);
  Value scalar_value(const ScalarText& s, YamlResolved& r);
  void scalar_key(Frame& map, const ScalarText& s, bool node_is_scalar);
  void add_value(Value v, int height, const YamlResolved* scalar);
  void add_collection_key(Frame& map, const Value& v);
  void merge(Frame& map, Value v);

  bool on_scalar();
  bool on_alias();
  bool on_start(bool is_map);
  bool on_end();

  std::string_view input_;
  std::size_t cursor_char_ = 0;  // byte_offset's position
  std::size_t cursor_byte_ = 0;
  std::size_t base_byte_ = 0;    // a UTF-8 byte order mark

  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool have_event_ = false;

  std::size_t max_nodes_;
  std::size_t nodes_ = 0;
  std::vector<Frame> stack_;
  std::vector<Anchor> anchors_;
  std::unordered_map<std::string, int> anchor_index_;
  Value root_;
  bool has_root_ = false;
  std::array<bool, kTiers> has_error_{};
  std::array<std::string, kTiers> errors_;
  std::string error_;
};

// yaml.v2's parser.fail: "yaml: line N: problem", N from problem_mark (0-based,
// plus one for scanner errors only) or else context_mark; no line when both
// are on the first line.
bool Builder::fail_syntax() {
  std::size_t line = 0;
  if (parser_.problem_mark.line != 0) {
    line = parser_.problem_mark.line;
    if (parser_.error == YAML_SCANNER_ERROR) ++line;
  } else if (parser_.context_mark.line != 0) {
    line = parser_.context_mark.line;
  }
  std::string msg = "yaml: ";
  if (line != 0) msg += "line " + std::to_string(line) + ": ";
  if (parser_.problem != nullptr && *parser_.problem != '\0') {
    msg += parser_.problem;
  } else {
    msg += "unknown problem parsing YAML content";
  }
  return fail_now(std::move(msg));
}

// yaml.v2 takes the escape "\'" in double-quoted scalars (libyaml 0.2.5 no
// longer does): respelled "\x27" up to the scalar's end. Its tags may contain
// ',', '[' and ']' (libyaml 0.2.5 ends local tags there): respelled as %XX.
// Only the lines of later error messages matter, and they do not move.
bool Builder::patch(std::string& out) {
  if (parser_.error != YAML_SCANNER_ERROR || parser_.problem == nullptr || parser_.context == nullptr) {
    return false;
  }
  const std::string_view problem = parser_.problem;
  const std::string_view context = parser_.context;
  const std::size_t pos = byte_offset(parser_.problem_mark.index);
  if (pos >= input_.size()) return false;
  if (problem == "found unknown escape character" && context == "while parsing a quoted scalar") {
    if (pos + 1 >= input_.size() || input_[pos] != '\\' || input_[pos + 1] != '\'') return false;
    out.assign(input_.substr(0, pos));
    std::size_t i = pos;
    while (i < input_.size() && input_[i] != '"') {
      if (input_[i] == '\\' && i + 1 < input_.size()) {
        if (input_[i + 1] == '\'') {
          out += "\\x27";
        } else {
          out.append(input_.substr(i, 2));
        }
        i += 2;
      } else {
        out.push_back(input_[i++]);
      }
    }
    out.append(input_.substr(i));
    return true;
  }
  if (problem == "did not find expected whitespace or line break" && context == "while scanning a tag") {
    const char c = input_[pos];
    const char* spelled = c == ',' ? "%2C" : c == '[' ? "%5B" : c == ']' ? "%5D" : nullptr;
    if (spelled == nullptr) return false;
    out.assign(input_.substr(0, pos));
    out += spelled;
    out.append(input_.substr(pos + 1));
    return true;
  }
  return false;
}

bool Builder::parse() {
  if (have_event_) {
    yaml_event_delete(&event_);
    have_event_ = false;
  }
  if (!yaml_parser_parse(&parser_, &event_)) return fail_syntax();
  have_event_ = true;
  return true;
}

int Builder::begin_anchor(const yaml_char_t* name) {
  if (name == nullptr) return -1;
  const int idx = static_cast<int>(anchors_.size());
  anchors_.emplace_back();
  anchor_index_[reinterpret_cast<const char*>(name)] = idx;
  return idx;
}

// yaml.v2's resolve(tag, value) for a scalar node; false on a decoding error
// (recorded). `binary` receives the decoded bytes of a !!binary scalar.
bool Builder::resolve(const ScalarText& s, YamlResolved& r, std::string& binary) {
  r = YamlResolved{};
  switch (s.tag) {
    case StdTag::None:
      if (s.plain) r = detail::codec_yaml_resolve(s.text);
      return true;
    case StdTag::Str:
    case StdTag::Other:
    case StdTag::Merge:  // not resolvable: the text
      return true;
    case StdTag::Binary:
      if (!base64_decode(s.text, binary)) {
        record(kDecode, "yaml: !!binary value contains invalid base64 data");
        return false;
      }
      return true;
    default:
      break;
  }
  r = detail::codec_yaml_resolve(s.text);
  // Timestamps are only tried untagged or under !!timestamp.
  if (r.tag == YamlTag::Timestamp && s.tag != StdTag::Timestamp) r.tag = YamlTag::Str;
  const std::string_view want = std_tag_name(s.tag);
  if (tag_name(r.tag) == want && r.tag != YamlTag::Merge) return true;
  if (s.tag == StdTag::Float && r.tag == YamlTag::Int) {
    r.tag = YamlTag::Float;
    r.d = static_cast<double>(r.i);
    return true;
  }
  record(kDecode, "yaml: cannot decode " + std::string(tag_name(r.tag)) + " `" +
                      std::string(s.text) + "` as a " + std::string(want));
  return false;
}

// The scalar as json.Marshal + json.Unmarshal into interface{} leave it.
Value Builder::scalar_value(const ScalarText& s, YamlResolved& r) {
  std::string binary;
  if (!resolve(s, r, binary)) return Value::nil();
  switch (r.tag) {
    case YamlTag::Null:
      return Value::nil();
    case YamlTag::Bool:
      return Value(r.b);
    case YamlTag::Int:
      return Value::floating(static_cast<double>(r.i));
    case YamlTag::Uint:
      return Value::floating(static_cast<double>(r.u));
    case YamlTag::Float:
      if (std::isnan(r.d) || std::isinf(r.d)) {
        record(kJson, "json: unsupported value: " + detail::codec_format_float(r.d, 'g'));
      }
      return Value::floating(r.d);
    case YamlTag::Str:
    case YamlTag::Timestamp:
    case YamlTag::Merge:
      break;
  }
  if (s.tag == StdTag::Binary) return Value(detail::codec_sanitize_utf8(binary));
  return Value(std::string(s.text));
}

// A scalar in key position: yaml.v2's merge test, then
// convertToJSONableObject's key rules (ints in decimal, floats with 'g' at
// float32 precision, bools as true/false; null and uint64 keys fail).
void Builder::scalar_key(Frame& map, const ScalarText& s, bool node_is_scalar) {
  // An alias naming "<<" is no merge key: yaml.v2 checks the node kind.
  if (node_is_scalar && s.text == "<<" && (s.plain || s.tag == StdTag::Merge)) {
    map.key_state = KeyState::Merge;
    return;
  }
  YamlResolved r;
  std::string binary;
  if (!resolve(s, r, binary)) {
    map.key_state = KeyState::Skip;
    return;
  }
  map.key_state = KeyState::Normal;
  switch (r.tag) {
    case YamlTag::Null:
      map.key_state = KeyState::NullKey;
      return;
    case YamlTag::Bool:
      map.key = r.b ? "true" : "false";
      return;
    case YamlTag::Int:
      map.key = std::to_string(r.i);
      return;
    case YamlTag::Uint:
      map.key_state = KeyState::UintKey;
      map.bad_key = go_sharp_v(r, Value::nil());
      return;
    case YamlTag::Float:
      if (std::isnan(r.d)) {
        map.key = ".nan";
      } else if (std::isinf(r.d)) {
        map.key = r.d > 0 ? ".inf" : "-.inf";
      } else {
        map.key = detail::codec_format_float(r.d, 'g', 32);
      }
      return;
    case YamlTag::Str:
    case YamlTag::Timestamp:
    case YamlTag::Merge:
      break;
  }
  if (s.tag == StdTag::Binary) {
    map.key = detail::codec_sanitize_utf8(binary);
  } else {
    map.key.assign(s.text);
  }
}

void Builder::add_collection_key(Frame& map, const Value& v) {
  std::string text;
  go_sharp_v(text, v);
  record(kDecode, "yaml: invalid map key: " + text);
  map.key_state = KeyState::Skip;
}

// yaml.v2's merge: a map's entries overwrite what is there; a sequence of
// maps is applied last to first so that earlier maps take precedence.
void Builder::merge(Frame& map, Value v) {
  auto& out = map.value.map().items;
  if (v.is_map()) {
    for (auto& [k, item] : v.map().items) out.insert_or_assign(k, item);
    return;
  }
  if (v.is_list()) {
    const auto& items = v.list().items;
    for (const Value& item : items) {
      if (!item.is_map()) {
        record(kDecode, "yaml: map merge requires map or sequence of maps as the value");
        return;
      }
    }
    for (std::size_t i = items.size(); i-- > 0;) {
      for (auto& [k, entry] : items[i].map().items) out.insert_or_assign(k, entry);
    }
    return;
  }
  record(kDecode, "yaml: map merge requires map or sequence of maps as the value");
}

// Hands a finished value node to its parent (or makes it the root).
void Builder::add_value(Value v, int height, const YamlResolved* scalar) {
  if (stack_.empty()) {
    root_ = std::move(v);
    has_root_ = true;
    return;
  }
  Frame& top = stack_.back();
  if (height + 1 > top.height) top.height = height + 1;
  if (!top.is_map) {
    top.value.list().items.push_back(std::move(v));
    return;
  }
  switch (top.key_state) {
    case KeyState::None:  // a collection in key position
      add_collection_key(top, v);
      return;
    case KeyState::Normal:
      top.value.map().items.insert_or_assign(std::move(top.key), std::move(v));
      break;
    case KeyState::Merge:
      merge(top, std::move(v));
      break;
    case KeyState::Skip:
      break;
    case KeyState::NullKey:
    case KeyState::UintKey: {
      const YamlResolved none;
      std::string value = go_sharp_v(scalar != nullptr ? *scalar : none, v);
      if (top.key_state == KeyState::NullKey) {
        record(kKey, "Unsupported map key of type: %!s(<nil>), key: <nil>, value: " + value);
      } else {
        record(kKey, "Unsupported map key of type: uint64, key: " + top.bad_key + ", value: " + value);
      }
      break;
    }
  }
  top.key_state = KeyState::None;
}

// The byte offset in the input of libyaml's mark index (which counts
// characters), moving a cursor forward as the events do.
std::size_t Builder::byte_offset(std::size_t char_index) {
  if (char_index < cursor_char_) {
    cursor_char_ = 0;
    cursor_byte_ = base_byte_;
  }
  while (cursor_char_ < char_index && cursor_byte_ < input_.size()) {
    ++cursor_byte_;
    while (cursor_byte_ < input_.size() &&
           (static_cast<unsigned char>(input_[cursor_byte_]) & 0xC0) == 0x80) {
      ++cursor_byte_;
    }
    ++cursor_char_;
  }
  return cursor_byte_;
}

// libyaml 0.2 accepts the escape "\/" in double-quoted scalars; yaml.v2's
// scanner fails on it ("found unknown escape character").
bool Builder::check_escapes() {
  const auto& data = event_.data.scalar;
  if (data.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE || data.length == 0 ||
      std::memchr(data.value, '/', data.length) == nullptr) {
    return true;
  }
  if (input_.size() >= 2 && (input_.substr(0, 2) == "\xFE\xFF" || input_.substr(0, 2) == "\xFF\xFE")) {
    return true;  // UTF-16: marks are not byte offsets
  }
  // A one-line scalar whose source is just its text in quotes has no escapes.
  if (event_.start_mark.line == event_.end_mark.line) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < data.length; ++i) chars += (data.value[i] & 0xC0) != 0x80;
    if (event_.end_mark.index - event_.start_mark.index == chars + 2) return true;
  }
  const std::size_t begin = byte_offset(event_.start_mark.index);
  const std::size_t end = std::min(byte_offset(event_.end_mark.index), input_.size());
  std::size_t line = event_.start_mark.line;
  for (std::size_t i = begin + 1; i < end; ++i) {
    const char c = input_[i];
    if (c == '\n' || (c == '\r' && (i + 1 >= end || input_[i + 1] != '\n'))) ++line;
    if (c != '\\' || i + 1 >= end) continue;
    if (input_[i + 1] == '/') {
      std::string msg = "yaml: ";
      if (line != 0) msg += "line " + std::to_string(line + 1) + ": ";
      return fail_now(msg + "found unknown escape character");
    }
    ++i;
    if (input_[i] == '\n' || (input_[i] == '\r' && (i + 1 >= end || input_[i + 1] != '\n'))) ++line;
  }
  return true;
}

// libyaml 0.2.5 lets a plain scalar in a flow collection contain '?'; yaml.v2's
// scanner ends the scalar there and takes '?' as a key indicator, which its
// parser then refuses where an entry must end.
bool Builder::check_flow_question() {
  const auto& data = event_.data.scalar;
  if (data.style != YAML_PLAIN_SCALAR_STYLE || stack_.empty() || !stack_.back().flow ||
      std::memchr(data.value, '?', data.length) == nullptr) {
    return true;
  }
  // The innermost flow collection written with brackets (a single-pair
  // mapping inside a flow sequence has none).
  const Frame* outer = &stack_.back();
  for (std::size_t i = stack_.size(); i-- > 0;) {
    const Frame& f = stack_[i];
    outer = &f;
    const bool pair = f.is_map && !f.has_props && i > 0 && stack_[i - 1].flow &&
                      !stack_[i - 1].is_map && byte_offset(f.start_index) < input_.size() &&
                      input_[byte_offset(f.start_index)] != '{';
    if (!pair) break;
  }
  // The line of the first '?' in the scalar's source.
  std::size_t line = event_.start_mark.line;
  for (std::size_t i = byte_offset(event_.start_mark.index); i < input_.size() && input_[i] != '?'; ++i) {
    if (input_[i] == '\n' || (input_[i] == '\r' && (i + 1 >= input_.size() || input_[i + 1] != '\n'))) {
      ++line;
    }
  }
  if (line == 0) line = outer->start_line;
  std::string msg = "yaml: ";
  if (line != 0) msg += "line " + std::to_string(line) + ": ";
  return fail_now(msg + (outer->is_map ? "did not find expected ',' or '}'" : "did not find expected ',' or ']'"));
}

bool Builder::on_scalar() {
  if (!check_depth(0) || !count(1) || !check_escapes() || !check_flow_question()) return false;
  const auto& data = event_.data.scalar;
  ScalarText s;
  s.tag = classify_tag(data.tag);
  s.plain = data.plain_implicit != 0;
  s.text = std::string_view(reinterpret_cast<const char*>(data.value), data.length);
  const int anchor = begin_anchor(data.anchor);
  if (anchor >= 0) {
    Anchor& a = anchors_[static_cast<std::size_t>(anchor)];
    a.scalar = true;
    a.nodes = 1;
    a.text.assign(s.text);
    a.tag = s.tag;
    a.plain = s.plain;
  }
  if (anchor >= 0) anchors_[static_cast<std::size_t>(anchor)].open = false;
  if (!stack_.empty() && stack_.back().is_map && stack_.back().key_state == KeyState::None) {
    scalar_key(stack_.back(), s, true);
    return true;
  }
  YamlResolved r;
  Value v = scalar_value(s, r);
  add_value(std::move(v), 0, &r);
  return true;
}

bool Builder::on_alias() {
  const char* name = reinterpret_cast<const char*>(event_.data.alias.anchor);
  auto it = anchor_index_.find(name);
  if (it == anchor_index_.end()) {
    return fail_now("yaml: unknown anchor '" + std::string(name) + "' referenced");
  }
  const Anchor& a = anchors_[static_cast<std::size_t>(it->second)];
  if (a.open) {
    record(kDecode, "yaml: anchor '" + std::string(name) + "' value contains itself");
    if (!stack_.empty() && stack_.back().is_map && stack_.back().key_state == KeyState::None) {
      stack_.back().key_state = KeyState::Skip;
    } else {
      add_value(Value::nil(), 0, nullptr);
    }
    return true;
  }
  if (!check_depth(a.height) || !count(a.nodes)) return false;
  if (!stack_.empty() && stack_.back().is_map && stack_.back().key_state == KeyState::None) {
    // Not a merge key even when it names "<<": yaml.v2 checks the node kind.
    Frame& map = stack_.back();
    if (!a.scalar) {
      add_collection_key(map, a.value);
      return true;
    }
    scalar_key(map, ScalarText{a.tag, a.plain, a.text}, false);
    return true;
  }
  if (a.scalar) {  // decoded again, as yaml.v2 does
    YamlResolved r;
    Value v = scalar_value(ScalarText{a.tag, a.plain, a.text}, r);
    add_value(std::move(v), 0, &r);
    return true;
  }
  add_value(deep_copy(a.value), a.height, nullptr);
  return true;
}

bool Builder::on_start(bool is_map) {
  if (!check_depth(0) || !count(1)) return false;
  const yaml_char_t* anchor = is_map ? event_.data.mapping_start.anchor : event_.data.sequence_start.anchor;
  const yaml_char_t* tag = is_map ? event_.data.mapping_start.tag : event_.data.sequence_start.tag;
  Frame f;
  f.is_map = is_map;
  f.flow = is_map ? event_.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                  : event_.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
  f.has_props = anchor != nullptr || tag != nullptr;
  f.start_index = event_.start_mark.index;
  f.start_line = event_.start_mark.line;
  f.anchor = begin_anchor(anchor);
  f.start_nodes = nodes_;
  f.value = is_map ? Value::new_map() : Value::new_list();
  stack_.push_back(std::move(f));
  return true;
}

bool Builder::on_end() {
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  Value v = std::move(f.value);  // yaml.v2 ignores collection tags
  if (f.anchor >= 0) {
    Anchor& a = anchors_[static_cast<std::size_t>(f.anchor)];
    a.open = false;
    a.height = f.height;
    a.nodes = nodes_ - f.start_nodes + 1;
    a.value = v;
  }
  add_value(std::move(v), f.height, nullptr);
  return true;
}

bool Builder::next_document(Value& out) {
  // Skip to the next document (or the end of the stream).
  for (;;) {
    if (!parse()) return false;
    if (event_.type == YAML_STREAM_END_EVENT) return false;
    if (event_.type == YAML_DOCUMENT_START_EVENT) break;
  }
  // libyaml 0.2 also accepts %YAML 1.2; yaml.v2 only 1.1.
  if (const yaml_version_directive_t* v = event_.data.document_start.version_directive;
      v != nullptr && (v->major != 1 || v->minor != 1)) {
    std::string msg = "yaml: ";
    if (event_.start_mark.line != 0) msg += "line " + std::to_string(event_.start_mark.line) + ": ";
    return fail_now(msg + "found incompatible YAML document");
  }
  stack_.clear();
  anchors_.clear();
  anchor_index_.clear();
  has_root_ = false;
  root_ = Value::nil();
  has_error_ = {};
  for (;;) {
    if (!parse()) return false;
    bool ok = true;
    switch (event_.type) {
      case YAML_SCALAR_EVENT: ok = on_scalar(); break;
      case YAML_ALIAS_EVENT: ok = on_alias(); break;
      case YAML_SEQUENCE_START_EVENT: ok = on_start(false); break;
      case YAML_MAPPING_START_EVENT: ok = on_start(true); break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: ok = on_end(); break;
      case YAML_DOCUMENT_END_EVENT: {
        for (int tier = 0; tier < kTiers; ++tier) {
          if (has_error_[static_cast<std::size_t>(tier)]) {
            return fail_now(std::move(errors_[static_cast<std::size_t>(tier)]));
          }
        }
        out = has_root_ ? std::move(root_) : Value::nil();
        return true;
      }
      default:
        return fail_now("yaml: unexpected event in a document");
    }
    if (!ok) return false;
  }
}

Error conversion_error(std::string message) {
  return Error{"error converting YAML to JSON: " + std::move(message)};
}

// Decodes the first document (`all` false) or every document of `text`.
// Where libyaml 0.2.5 refuses what yaml.v2 accepts, the text is patched to an
// equivalent spelling and parsed again (a bounded number of times).
Result<std::vector<Value>> decode_stream(std::string_view text, bool all) {
  if (text.size() > kMaxInput) return make_error("yaml: input larger than 64 MiB");
  constexpr int kMaxPatches = 100;
  try {
    std::string patched;
    std::string_view input = text;
    for (int attempt = 0;; ++attempt) {
      Builder builder(input);
      std::vector<Value> out;
      Value doc;
      while (builder.next_document(doc)) {
        out.push_back(std::move(doc));
        if (!all) break;
      }
      if (builder.error().empty()) return out;
      std::string next;
      if (attempt < kMaxPatches && builder.patch(next)) {
        patched = std::move(next);
        input = patched;
        continue;
      }
      return tl::unexpected(conversion_error(builder.error()));
    }
  } catch (const std::exception& e) {  // allocation failure
    return tl::unexpected(conversion_error(std::string("yaml: ") + e.what()));
  }
}

}  // namespace

Result<Value> yaml_decode(std::string_view text) {
  auto docs = decode_stream(text, false);
  if (!docs) return tl::unexpected(std::move(docs.error()));
  if (docs->empty()) return Value::nil();
  return std::move(docs->front());
}

Result<std::vector<Value>> yaml_decode_all(std::string_view text) { return decode_stream(text, true); }

}  // namespace cairn::render
