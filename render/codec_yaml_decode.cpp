// sigs.k8s.io/yaml.Unmarshal into interface{}: yaml-cpp parses the structure,
// then gopkg.in/yaml.v2's rules give each scalar its type (YAML 1.1 resolver,
// merge keys, timestamps kept as text) and the JSON round trip that
// sigs.k8s.io/yaml performs is applied directly: numbers become float64, map
// keys become strings.
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "render/codec.h"
#include "render/detail/codec_util.h"

namespace cairn::render {
namespace {

using detail::YamlResolved;
using detail::YamlTag;

constexpr int kMaxDepth = 1000;
constexpr std::size_t kMaxInput = 64u << 20;
constexpr std::string_view kLongTagPrefix = "tag:yaml.org,2002:";

// A failure while converting; `line` is 1-based, 0 when unknown.
struct DecodeError {
  std::string message;
};

class YamlConverter {
 public:
  explicit YamlConverter(std::size_t input_size)
      : max_nodes_(1'000'000 + 4 * input_size) {}

  // The JSON-shaped value of a document's root node.
  Value convert(const YAML::Node& node, int depth);

 private:
  YamlResolved scalar(const YAML::Node& node) const;
  Value scalar_value(const YAML::Node& node) const;
  std::string key_string(const YAML::Node& key) const;
  void merge_into(MapData& out, const YAML::Node& value, int depth);
  void fill_map(MapData& out, const YAML::Node& node, int depth);
  void count_node();

  std::size_t max_nodes_;
  std::size_t nodes_ = 0;
};

[[noreturn]] void fail(std::string message) { throw DecodeError{std::move(message)}; }

std::string short_tag(const std::string& tag) {
  if (tag.rfind(kLongTagPrefix, 0) == 0) return "!!" + tag.substr(kLongTagPrefix.size());
  return tag;
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

void YamlConverter::count_node() {
  if (++nodes_ > max_nodes_) fail("yaml: document contains excessive aliasing");
}

// yaml.v2's resolve(tag, value): plain scalars ("?" in yaml-cpp) are
// resolved; quoted ones ("!") are strings; standard explicit tags must agree
// with the text (an !!int-looking value under !!float becomes a float).
YamlResolved YamlConverter::scalar(const YAML::Node& node) const {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  YamlResolved str;
  if (tag == "!") return str;
  if (tag == "?" || tag.empty()) return detail::codec_yaml_resolve(text);
  const std::string shorter = short_tag(tag);
  if (shorter == "!!str" || shorter == "!!binary") return str;
  const bool resolvable = shorter == "!!bool" || shorter == "!!int" || shorter == "!!float" ||
                          shorter == "!!null" || shorter == "!!timestamp";
  if (!resolvable) return str;  // unknown tags keep the text
  YamlResolved r = detail::codec_yaml_resolve(text);
  if (shorter == "!!timestamp" && r.tag == YamlTag::Timestamp) return r;
  if (tag_name(r.tag) == shorter) return r;
  if (shorter == "!!float" && r.tag == YamlTag::Int) {
    r.tag = YamlTag::Float;
    r.d = static_cast<double>(r.i);
    return r;
  }
  fail("yaml: cannot decode " + std::string(tag_name(r.tag)) + " `" + text + "` as a " +
       shorter);
}

// The scalar as json.Marshal + json.Unmarshal into interface{} leave it.
Value YamlConverter::scalar_value(const YAML::Node& node) const {
  YamlResolved r = scalar(node);
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
        fail("json: unsupported value: " + detail::codec_format_float(r.d, 'g'));
      }
      return Value::floating(r.d);
    case YamlTag::Str:
    case YamlTag::Timestamp:
    case YamlTag::Merge:
      break;
  }
  return Value(detail::codec_sanitize_utf8(node.Scalar()));
}

// convertToJSONableObject's key rules: strings as is, ints in decimal, floats
// with strconv 'g' at float32 precision, bools as true/false.
std::string YamlConverter::key_string(const YAML::Node& key) const {
  if (key.IsNull()) fail("Unsupported map key of type: <nil>, key: <nil>");
  if (!key.IsScalar()) fail("yaml: invalid map key: a mapping or sequence");
  YamlResolved r = scalar(key);
  switch (r.tag) {
    case YamlTag::Null:
      fail("Unsupported map key of type: <nil>, key: <nil>");
    case YamlTag::Bool:
      return r.b ? "true" : "false";
    case YamlTag::Int:
      return std::to_string(r.i);
    case YamlTag::Uint:
      fail("Unsupported map key of type: uint64, key: 0x" + key.Scalar());
    case YamlTag::Float: {
      if (std::isnan(r.d)) return ".nan";
      if (std::isinf(r.d)) return r.d > 0 ? ".inf" : "-.inf";
      return detail::codec_format_float(r.d, 'g', 32);
    }
    case YamlTag::Str:
    case YamlTag::Timestamp:
    case YamlTag::Merge:
      break;
  }
  return detail::codec_sanitize_utf8(key.Scalar());
}

// yaml.v2's merge: a map's entries overwrite what is there; a sequence of
// maps is applied last to first so that earlier maps take precedence.
void YamlConverter::merge_into(MapData& out, const YAML::Node& value, int depth) {
  if (value.IsMap()) {
    fill_map(out, value, depth);
    return;
  }
  if (value.IsSequence()) {
    for (std::size_t i = value.size(); i-- > 0;) {
      const YAML::Node item = value[i];
      if (!item.IsMap()) fail("yaml: map merge requires map or sequence of maps as the value");
      fill_map(out, item, depth);
    }
    return;
  }
  fail("yaml: map merge requires map or sequence of maps as the value");
}

void YamlConverter::fill_map(MapData& out, const YAML::Node& node, int depth) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    count_node();
    const bool is_merge = key.IsScalar() && key.Scalar() == "<<" &&
                          (key.Tag() == "?" || short_tag(key.Tag()) == "!!merge");
    if (is_merge) {
      merge_into(out, it->second, depth);
      continue;
    }
    std::string k = key_string(key);
    out.items.insert_or_assign(std::move(k), convert(it->second, depth + 1));
  }
}

Value YamlConverter::convert(const YAML::Node& node, int depth) {
  if (depth > kMaxDepth) fail("yaml: exceeded max depth of " + std::to_string(kMaxDepth));
  count_node();
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
    {
      // An empty node is null unless an explicit tag says otherwise: yaml.v2
      // keeps the (empty) text of !!str and of tags it does not resolve.
      const std::string& tag = node.Tag();
      const std::string shorter = short_tag(tag);
      if (tag.empty() || tag == "?" || tag == "!" || shorter == "!!null") return Value::nil();
      if (shorter == "!!bool" || shorter == "!!int" || shorter == "!!float") return Value::nil();
      return Value("");
    }
    case YAML::NodeType::Scalar:
      return scalar_value(node);
    case YAML::NodeType::Sequence: {
      Value list = Value::new_list();
      auto& items = list.list().items;
      items.reserve(node.size());
      for (const YAML::Node& item : node) items.push_back(convert(item, depth + 1));
      return list;
    }
    case YAML::NodeType::Map: {
      Value map = Value::new_map();
      fill_map(map.map(), node, depth);
      return map;
    }
  }
  return Value::nil();
}

std::string yaml_error(const YAML::Exception& e) {
  std::string msg = e.msg;
  if (!e.mark.is_null()) {
    return "yaml: line " + std::to_string(e.mark.line + 1) + ": " + msg;
  }
  return "yaml: " + msg;
}

Error conversion_error(std::string message) {
  return Error{"error converting YAML to JSON: " + std::move(message)};
}

// Runs `decode` (which parses and converts YAML text of `size` bytes) and maps
// every failure to sigs.k8s.io/yaml's "error converting YAML to JSON" error.
template <typename T, typename F>
Result<T> guarded_decode(std::size_t size, F&& decode) {
  if (size > kMaxInput) return make_error("yaml: input larger than 64 MiB");
  try {
    return decode();
  } catch (const DecodeError& e) {
    return tl::unexpected(conversion_error(e.message));
  } catch (const YAML::Exception& e) {
    return tl::unexpected(conversion_error(yaml_error(e)));
  } catch (const std::exception& e) {
    return tl::unexpected(conversion_error(std::string("yaml: ") + e.what()));
  }
}

}  // namespace

Result<Value> yaml_decode(std::string_view text) {
  return guarded_decode<Value>(text.size(), [&] {
    YAML::Node root = YAML::Load(std::string(text));
    YamlConverter converter(text.size());
    return converter.convert(root, 0);
  });
}

Result<std::vector<Value>> yaml_decode_all(std::string_view text) {
  return guarded_decode<std::vector<Value>>(text.size(), [&] {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    std::vector<Value> out;
    out.reserve(docs.size());
    YamlConverter converter(text.size());
    for (const YAML::Node& doc : docs) out.push_back(converter.convert(doc, 0));
    return out;
  });
}

}  // namespace cairn::render
