// Applier: manifest parsing (YAML 1.1 as sigs.k8s.io/yaml reads it, through yaml-cpp), server-side
// apply with inventory, prune and delete. See applier.h for the contract.
#include "controllers/applier.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "sources/digest.h"

namespace cairn::controllers {
namespace {

using nlohmann::json;

// Bounds for hostile manifests: nesting (recursion), and the number of JSON values one manifest
// may expand to: aliases are shared in YAML but copied into JSON ("billion laughs"). Without
// aliases every value costs at least a byte of text, so the bound grows with the manifest and
// only expansion hits it.
constexpr int kMaxDepth = 1000;
constexpr std::size_t kMaxExpansion = 1'000'000;

const std::string& string_at(const json& object, std::string_view key) {
  static const std::string kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ref<const std::string&>() : kEmpty;
}

const json& metadata_of(const json& object) {
  static const json kEmptyObject = json::object();
  const auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmptyObject;
}

// ------------------------------------------------------------------ manifest text

struct Chunk {
  std::string text;
  std::size_t line = 0;  // 1-based line of the manifest where the chunk's text starts
  std::string source;
};

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// `---` at the start of a line, alone or followed by blanks or content (`--- {a: 1}`).
bool is_separator(std::string_view line) {
  if (line.substr(0, 3) != "---") return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

// `# Source: <path>` as helm prints it above every document.
std::string source_of(std::string_view line) {
  std::string_view rest = trim(line);
  if (rest.empty() || rest.front() != '#') return {};
  rest = trim(rest.substr(1));
  constexpr std::string_view kTag = "Source:";
  if (rest.substr(0, kTag.size()) != kTag) return {};
  return std::string(trim(rest.substr(kTag.size())));
}

// Splits at separator lines. A separator's remainder starts the next chunk, so that line k of a
// chunk is line `chunk.line + k` of the manifest.
std::vector<Chunk> split_documents(std::string_view manifest) {
  std::vector<Chunk> chunks(1);
  chunks.back().line = 1;
  std::size_t line_no = 1;
  std::size_t pos = 0;
  while (pos <= manifest.size()) {
    const auto end = manifest.find('\n', pos);
    const std::string_view line =
        manifest.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    Chunk* chunk = &chunks.back();
    std::string_view content = line;
    if (is_separator(line)) {
      chunks.emplace_back();
      chunk = &chunks.back();
      chunk->line = line_no;
      content = line.substr(3);
    }
    if (chunk->source.empty()) chunk->source = source_of(content);
    chunk->text.append(content);
    chunk->text.push_back('\n');
    if (end == std::string_view::npos || end + 1 == manifest.size()) break;
    pos = end + 1;
    ++line_no;
  }
  return chunks;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// ------------------------------------------------------------------ YAML 1.1 scalars

bool one_of(std::string_view s, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

// Go's strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64), as yaml.v2 tries them.
std::optional<json> parse_go_int(std::string_view s) {
  bool negative = false;
  bool signed_text = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    signed_text = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : (p == 'o' ? 8 : 2);
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  constexpr auto kMaxInt = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > kMaxInt + 1) return std::nullopt;
    if (magnitude == kMaxInt + 1) return json(std::numeric_limits<std::int64_t>::min());
    return json(-static_cast<std::int64_t>(magnitude));
  }
  if (magnitude <= kMaxInt) return json(static_cast<std::int64_t>(magnitude));
  if (signed_text) return std::nullopt;  // ParseUint takes no sign
  return json(magnitude);
}

// yaml.v2's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool yaml_float_syntax(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t whole = digits();
  std::size_t fraction = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (whole == 0 && fraction == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

enum class ScalarKind { kNull, kBool, kNumber, kString, kNotFinite };

struct Resolved {
  ScalarKind kind = ScalarKind::kString;
  json value;
};

// A plain (unquoted, untagged) scalar as yaml.v2 resolves it, then as JSON carries it: Go's
// json.Marshal prints integral floats below 1e21 without a fraction, so they arrive as integers.
Resolved resolve_plain(const std::string& text) {
  if (one_of(text, {"", "~", "null", "Null", "NULL"})) return {ScalarKind::kNull, nullptr};
  if (one_of(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    return {ScalarKind::kBool, true};
  }
  if (one_of(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    return {ScalarKind::kBool, false};
  }
  if (one_of(text, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                    "-.inf", "-.Inf", "-.INF"})) {
    return {ScalarKind::kNotFinite, text};
  }
  const char first = text.front();
  if (!((first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.')) {
    return {ScalarKind::kString, text};
  }
  std::string plain;
  plain.reserve(text.size());
  for (const char c : text) {
    if (c != '_') plain.push_back(c);
  }
  if (auto integer = parse_go_int(plain)) return {ScalarKind::kNumber, std::move(*integer)};
  if (!yaml_float_syntax(plain)) return {ScalarKind::kString, text};
  std::string_view digits = plain;
  if (digits.front() == '+') digits.remove_prefix(1);
  double d = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
  // Out of range: Go's ParseFloat fails and yaml.v2 keeps the text.
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(d)) {
    return {ScalarKind::kString, text};
  }
  if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
    return {ScalarKind::kNumber, static_cast<std::int64_t>(d)};
  }
  return {ScalarKind::kNumber, d};
}

// yaml-cpp tags: "?" plain, "!" quoted or block, else an explicit tag.
Resolved resolve_scalar(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    return {ScalarKind::kString, node.Scalar()};
  }
  return resolve_plain(node.Scalar());
}

// Converts one YAML document to JSON; on failure returns false and sets error (without the
// document's name, the caller adds it).
class YamlToJson {
 public:
  explicit YamlToJson(std::size_t max_nodes) : max_nodes_(max_nodes) {}
  // The manifest line of the document's line 0, for messages.
  void set_first_line(std::size_t line) { first_line_ = line; }

  bool convert(const YAML::Node& node, json& out, int depth) {
    if (++nodes_ > max_nodes_) {
      return fail("expands to more than " + std::to_string(max_nodes_) + " values (aliases?)");
    }
    if (depth > kMaxDepth) {
      return fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        return scalar(node, out);
      case YAML::NodeType::Sequence:
        out = json::array();
        for (const auto& item : node) {
          json value;
          if (!convert(item, value, depth + 1)) return false;
          out.push_back(std::move(value));
        }
        return true;
      case YAML::NodeType::Map:
        return mapping(node, out, depth);
    }
    return fail("unknown YAML node");
  }

  std::string error;

 private:
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }

  bool scalar(const YAML::Node& node, json& out) {
    Resolved r = resolve_scalar(node);
    if (r.kind == ScalarKind::kNotFinite) {
      return fail("value " + node.Scalar() + " at line " + line_of(node) + " has no JSON form");
    }
    if (r.kind == ScalarKind::kString && !valid_utf8(node.Scalar())) {
      return fail("string at line " + line_of(node) + " is not valid UTF-8");
    }
    out = std::move(r.value);
    return true;
  }

  // The JSON key of a scalar key, as sigs.k8s.io/yaml converts non-string keys.
  bool key_text(const YAML::Node& key, std::string& out) {
    const auto line = line_of(key);
    if (!key.IsScalar() && !key.IsNull()) return fail("invalid map key at line " + line);
    if (key.IsNull()) return fail("unsupported null map key at line " + line);
    Resolved r = resolve_scalar(key);
    switch (r.kind) {
      case ScalarKind::kNull:
        return fail("unsupported null map key at line " + line);
      case ScalarKind::kBool:
        out = r.value.get<bool>() ? "true" : "false";
        return true;
      case ScalarKind::kNumber:
        if (r.value.is_number_unsigned()) {
          return fail("unsupported uint64 map key " + key.Scalar() + " at line " + line);
        }
        out = r.value.dump();
        return true;
      case ScalarKind::kNotFinite:
      case ScalarKind::kString:
        break;
    }
    if (!valid_utf8(key.Scalar())) return fail("map key at line " + line + " is not valid UTF-8");
    out = key.Scalar();
    return true;
  }

  // yaml.v2 merges in document order: entries merged later overwrite earlier ones; of a
  // sequence of maps the first takes precedence.
  bool merge(const YAML::Node& value_node, json& out, int depth) {
    json value;
    if (!convert(value_node, value, depth + 1)) return false;
    const auto bad = [&] {
      return fail("map merge at line " + line_of(value_node) +
                  " requires a map or a sequence of maps");
    };
    if (value.is_object()) {
      for (auto& [k, v] : value.items()) out[k] = v;
      return true;
    }
    if (!value.is_array()) return bad();
    for (const auto& item : value) {
      if (!item.is_object()) return bad();
    }
    for (auto it = value.rbegin(); it != value.rend(); ++it) {
      for (auto& [k, v] : it->items()) out[k] = v;
    }
    return true;
  }

  bool mapping(const YAML::Node& node, json& out, int depth) {
    out = json::object();
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<") {
        if (!merge(entry.second, out, depth)) return false;
        continue;
      }
      std::string name;
      if (!key_text(key, name)) return false;
      json value;
      if (!convert(entry.second, value, depth + 1)) return false;
      out[name] = std::move(value);
    }
    return true;
  }

  std::string line_of(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return std::to_string(mark.is_null() ? first_line_ : first_line_ + mark.line);
  }

  std::size_t max_nodes_;
  std::size_t first_line_ = 1;
  std::size_t nodes_ = 0;
};

ApplierError document_error(std::size_t index, std::size_t line, const std::string& source,
                            const std::string& problem) {
  ApplierError e;
  e.document = index;
  e.line = line;
  e.source = source;
  e.message = "manifest document " + std::to_string(index) + " (line " + std::to_string(line);
  if (!source.empty()) e.message += ", " + source;
  e.message += "): " + problem;
  return e;
}

std::string type_name(const json& j) {
  if (j.is_array()) return "a list";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  return "a " + std::string(j.type_name());
}

bool non_empty_string(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// Names end up in request paths: one segment each, none that a server could resolve as a
// relative path (Kubernetes' path segment rules).
bool path_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '/' || c == '%' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n';
  });
}

// "" when the object has what the applier needs and can be put into a request path, else what
// is missing or wrong.
std::string object_problem(const json& object) {
  if (!object.is_object()) return "expected an object, got " + type_name(object);
  std::vector<std::string> missing;
  if (!non_empty_string(object, "apiVersion")) missing.emplace_back("apiVersion");
  if (!non_empty_string(object, "kind")) missing.emplace_back("kind");
  const auto meta_it = object.find("metadata");
  if (meta_it == object.end() || !meta_it->is_object()) {
    missing.emplace_back("metadata");
  } else if (!non_empty_string(*meta_it, "name")) {
    missing.emplace_back("metadata.name");
  }
  if (!missing.empty()) {
    std::string text = "missing ";
    for (std::size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) text += ", ";
      text += missing[i];
    }
    return text;
  }
  const std::string& api_version = string_at(object, "apiVersion");
  const auto slash = api_version.find('/');
  const bool version_ok = slash == std::string::npos
                              ? path_segment(api_version)
                              : path_segment(api_version.substr(0, slash)) &&
                                    path_segment(api_version.substr(slash + 1));
  if (!version_ok) return "apiVersion \"" + api_version + "\" is not <group>/<version>";
  const json& meta = *meta_it;
  if (!path_segment(string_at(meta, "name"))) {
    return "metadata.name \"" + string_at(meta, "name") + "\" cannot be an object name";
  }
  const auto ns = meta.find("namespace");
  if (ns == meta.end() || ns->is_null()) return {};
  if (!ns->is_string()) return "metadata.namespace is not a string";
  const std::string& ns_name = ns->get_ref<const std::string&>();
  if (!ns_name.empty() && !path_segment(ns_name)) {
    return "metadata.namespace \"" + ns_name + "\" cannot be a namespace name";
  }
  return {};
}

// ------------------------------------------------------------------ applying

std::string error_text(const kube::Error& e) {
  return e.kind == kube::ErrorKind::kNoMatch ? e.message : e.to_string();
}

bool is_crd(const kube::GroupVersionKind& gvk) {
  return gvk.group == "apiextensions.k8s.io" && gvk.kind == "CustomResourceDefinition";
}

bool is_namespace(const kube::GroupVersionKind& gvk) {
  return gvk.group.empty() && gvk.kind == "Namespace";
}

// Kinds whose pod template carries the instance label too (cso-reference.md §1.7).
bool has_pod_template(const kube::GroupVersionKind& gvk) {
  if (gvk.group == "apps" || gvk.group == "extensions") {
    return one_of(gvk.kind, {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"});
  }
  return gvk.group == "batch" && gvk.kind == "Job";
}

json& labels_of(json& meta_holder) {
  json& meta = meta_holder["metadata"];
  if (!meta.is_object()) meta = json::object();
  json& labels = meta["labels"];
  if (!labels.is_object()) labels = json::object();
  return labels;
}

void add_labels(json& object, const kube::GroupVersionKind& gvk,
                const std::map<std::string, std::string>& extra) {
  json& labels = labels_of(object);
  for (const auto& [k, v] : extra) labels[k] = v;
  labels[std::string(kInstanceLabel)] = kInstanceLabelValue;
  if (!has_pod_template(gvk)) return;
  auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return;
  auto tmpl = spec->find("template");
  if (tmpl == spec->end() || !tmpl->is_object()) return;
  labels_of(*tmpl)[std::string(kInstanceLabel)] = kInstanceLabelValue;
}

// An object's identity across calls: group, kind, namespace ("" for cluster-scoped) and name.
std::string identity(std::string_view group, std::string_view kind, std::string_view ns,
                     std::string_view name) {
  std::string key;
  key.append(group).append("/").append(kind).append("/").append(ns).append("/").append(name);
  return key;
}

api::Resource record_of(const kube::GroupVersionKind& gvk, std::string ns, std::string name) {
  api::Resource r;
  r.group = gvk.group;
  r.version = gvk.version;
  r.kind = gvk.kind;
  r.namespace_ = std::move(ns);
  r.name = std::move(name);
  r.status = kResourceSynced;
  return r;
}

// True when every field of `want` is in `live` with the same value: objects compare member by
// member (live may hold more: server defaults, status, other managers' fields), arrays element by
// element with equal lengths, numbers by value.
bool contains(const json& live, const json& want) {
  if (want.is_object()) {
    if (!live.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto found = live.find(it.key());
      if (found == live.end() || !contains(*found, it.value())) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!live.is_array() || live.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (!contains(live[i], want[i])) return false;
    }
    return true;
  }
  if (want.is_number() && live.is_number()) return want.get<double>() == live.get<double>();
  return live == want;
}

void mark_failed(api::Resource& r, std::string error) {
  r.status = kResourceNotSynced;
  r.error = std::move(error);
}

bool crd_established(const json& crd) {
  const auto status = crd.find("status");
  if (status == crd.end() || !status->is_object()) return false;
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    if (c.is_object() && string_at(c, "type") == "Established") {
      return string_at(c, "status") == "True";
    }
  }
  return false;
}

// The outcome of deleting one inventory entry.
enum class DeleteOutcome {
  kGone,      // NotFound, or the kind is not served any more
  kNotOwned,  // exists without the instance label: left alone
  kDeleted,   // the server accepted the deletion and the object is gone
  kPending,   // deletion accepted or already under way; waits on finalizers
  kFailed,
};

struct Deletion {
  DeleteOutcome outcome = DeleteOutcome::kFailed;
  bool requested = false;  // this call sent the DELETE
  std::string error;
};

// Runs one apply() or delete_all() call; holds the references the steps share.
class Run {
 public:
  Run(kube::Client& client, kube::Clock& clock, const ApplierConfig& config)
      : client_(client), clock_(clock), config_(config) {}

  // One manifest object, from parsing to its inventory entry.
  struct Item {
    const ManifestDocument* doc = nullptr;
    kube::GroupVersionKind gvk;
    api::Resource record;
    std::string key;  // identity(); "" until planned
  };

  void apply_items(const std::vector<Item*>& items, const ApplyOptions& options,
                   ApplyCounts& counts) {
    for (Item* item : items) apply_item(*item, options, counts);
  }

  // Applies one object: mapping, namespace decision, labels, GET (for the counts), apply.
  void apply_item(Item& item, const ApplyOptions& options, ApplyCounts& counts) {
    json object = item.doc->object;
    const std::string name = string_at(metadata_of(object), "name");
    const std::string declared_ns = string_at(metadata_of(object), "namespace");
    item.record = record_of(item.gvk, declared_ns.empty() ? options.namespace_ : declared_ns, name);
    const auto fail = [&](std::string error) {
      mark_failed(item.record, std::move(error));
      ++counts.failed;
    };
    auto mapping = client_.mapping(item.gvk);
    if (!mapping) {
      item.key = identity(item.gvk.group, item.gvk.kind, item.record.namespace_, name);
      return fail(error_text(mapping.error()));
    }
    if (!mapping->namespaced) item.record.namespace_.clear();
    item.key = identity(item.gvk.group, item.gvk.kind, item.record.namespace_, name);
    if (auto [it, inserted] = first_document_.emplace(item.key, item.doc->index); !inserted) {
      return fail("the manifest holds this object more than once (first in document " +
                  std::to_string(it->second) + ")");
    }
    if (mapping->namespaced && !declared_ns.empty() && declared_ns != options.namespace_) {
      return fail("namespace \"" + declared_ns + "\" differs from the target namespace \"" +
                  options.namespace_ + "\"; objects are only applied into the target namespace");
    }
    if (mapping->namespaced) {
      object["metadata"]["namespace"] = options.namespace_;
    } else {
      object["metadata"].erase("namespace");
    }
    add_labels(object, item.gvk, options.labels);
    json& annotations = object["metadata"]["annotations"];
    if (!annotations.is_object()) annotations = json::object();
    annotations.erase(std::string(kAppliedDigestAnnotation));
    annotations[std::string(kAppliedDigestAnnotation)] = sources::sha256_hex(object.dump());

    auto before = client_.get(item.gvk, item.record.namespace_, name);
    const bool existed = before.has_value() || !kube::is_not_found(before.error());
    const std::string old_version =
        before ? string_at(metadata_of(*before), "resourceVersion") : std::string();
    if (before && contains(*before, object)) {
      ++counts.unchanged;  // applied before from this very object and not changed since
      return;
    }

    kube::PatchOptions patch;
    patch.field_manager = options.field_manager;
    patch.force = true;
    auto applied = client_.apply(object, patch);
    if (!applied) return fail(error_text(applied.error()));
    const std::string& new_version = string_at(metadata_of(*applied), "resourceVersion");
    if (!existed) {
      ++counts.created;
    } else if (!old_version.empty() && old_version == new_version) {
      ++counts.unchanged;
    } else {
      ++counts.configured;
    }
  }

  // Waits until every named CRD reports Established (or the deadline passed), then drops the
  // discovery cache so that the next mappings see the new kinds.
  void await_crds(const std::vector<const Item*>& crds) {
    const auto deadline = clock_.now() + config_.crd_established_timeout;
    for (const Item* crd : crds) {
      while (true) {
        auto got = client_.get(crd->gvk, "", crd->record.name);
        if (got && crd_established(*got)) break;
        if (clock_.now() >= deadline) break;
        clock_.sleep_for(config_.crd_poll_interval);
      }
    }
    client_.invalidate_discovery();
  }

  // The mapping of an inventory entry's kind: its recorded version, else any version of the
  // same group and kind the server serves (a chart may have moved to a newer version). A
  // kNoMatch error means the kind is not served at all.
  kube::Result<kube::ResourceMapping> mapping_of(const api::Resource& r) {
    const kube::GroupVersionKind gvk{r.group, r.version, r.kind};
    auto exact = client_.mapping(gvk);
    if (exact || !kube::is_no_match(exact.error())) return exact;
    auto all = client_.resources();
    if (!all) return tl::unexpected(all.error());
    for (const auto& m : *all) {
      if (m.gvk.group == r.group && m.gvk.kind == r.kind) return m;
    }
    return exact;
  }

  // Deletes the object of one inventory entry if it exists and carries the instance label.
  Deletion remove(const api::Resource& r) {
    Deletion d;
    const auto failed = [&d](const kube::Error& e) {
      d.outcome = DeleteOutcome::kFailed;
      d.error = "delete failed: " + error_text(e);
      return d;
    };
    auto mapping = mapping_of(r);
    if (!mapping) {
      if (!kube::is_no_match(mapping.error())) return failed(mapping.error());
      d.outcome = DeleteOutcome::kGone;
      return d;
    }
    const std::string ns = mapping->namespaced ? r.namespace_ : std::string();
    auto current = client_.get(mapping->gvk, ns, r.name);
    if (!current) {
      if (!kube::is_not_found(current.error())) return failed(current.error());
      d.outcome = DeleteOutcome::kGone;
      return d;
    }
    const json& meta = metadata_of(*current);
    const auto labels = meta.find("labels");
    if (labels == meta.end() || !labels->is_object() ||
        string_at(*labels, kInstanceLabel) != kInstanceLabelValue) {
      d.outcome = DeleteOutcome::kNotOwned;
      return d;
    }
    if (meta.contains("deletionTimestamp")) {
      d.outcome = DeleteOutcome::kPending;
      d.error = "being deleted; waiting for finalizers";
      return d;
    }
    kube::DeleteOptions options;
    options.propagation_policy = "Background";
    options.precondition_uid = string_at(meta, "uid");
    auto removed = client_.remove(mapping->gvk, ns, r.name, options);
    if (!removed) {
      if (!kube::is_not_found(removed.error())) return failed(removed.error());
      d.outcome = DeleteOutcome::kGone;
      return d;
    }
    d.requested = true;
    d.outcome = *removed ? DeleteOutcome::kDeleted : DeleteOutcome::kPending;
    if (!*removed) d.error = "deletion requested; waiting for finalizers";
    return d;
  }

  // The identity an inventory entry has now: its namespace counts only for namespaced kinds.
  // nullopt when the server could not say (discovery failed).
  std::optional<std::string> identity_of(const api::Resource& r) {
    auto mapping = mapping_of(r);
    if (!mapping && !kube::is_no_match(mapping.error())) return std::nullopt;
    const bool namespaced = mapping ? mapping->namespaced : true;
    return identity(r.group, r.kind, namespaced ? r.namespace_ : std::string(), r.name);
  }

 private:
  kube::Client& client_;
  kube::Clock& clock_;
  const ApplierConfig& config_;
  std::map<std::string, std::size_t> first_document_;  // identity -> document index
};

}  // namespace

// ------------------------------------------------------------------ parse_manifest

ApplierResult<std::vector<ManifestDocument>> parse_manifest(std::string_view manifest) {
  std::vector<ManifestDocument> documents;
  YamlToJson converter(kMaxExpansion + manifest.size());
  for (const Chunk& chunk : split_documents(manifest)) {
    converter.set_first_line(chunk.line);
    // yaml-cpp throws; its exceptions end here.
    try {
      for (const YAML::Node& node : YAML::LoadAll(chunk.text)) {
        if (node.IsNull()) continue;
        ManifestDocument doc;
        doc.index = documents.size() + 1;
        doc.line = chunk.line;
        doc.source = chunk.source;
        if (!converter.convert(node, doc.object, 0)) {
          return tl::unexpected(document_error(doc.index, doc.line, doc.source, converter.error));
        }
        if (auto problem = object_problem(doc.object); !problem.empty()) {
          return tl::unexpected(document_error(doc.index, doc.line, doc.source, problem));
        }
        documents.push_back(std::move(doc));
      }
    } catch (const YAML::Exception& e) {
      std::string problem = "invalid YAML";
      if (!e.mark.is_null()) {
        problem += " at line " + std::to_string(chunk.line + e.mark.line) + ", column " +
                   std::to_string(e.mark.column + 1);
      }
      return tl::unexpected(
          document_error(documents.size() + 1, chunk.line, chunk.source, problem + ": " + e.msg));
    }
  }
  return documents;
}

// ------------------------------------------------------------------ Applier

bool ApplyResult::synced() const {
  return std::all_of(resources.begin(), resources.end(),
                     [](const api::Resource& r) { return r.status == kResourceSynced; });
}

Applier::Applier(kube::Client& client, kube::Clock& clock, ApplierConfig config)
    : client_(client), clock_(clock), config_(config) {}

ApplierResult<ApplyResult> Applier::apply(std::string_view manifest,
                                          const std::vector<api::Resource>& previous,
                                          const ApplyOptions& options) {
  if (options.namespace_.empty()) {
    ApplierError e;
    e.message = "apply needs a target namespace";
    return tl::unexpected(std::move(e));
  }
  auto documents = parse_manifest(manifest);
  if (!documents) return tl::unexpected(documents.error());

  Run run(client_, clock_, config_);
  std::vector<Run::Item> items(documents->size());
  std::vector<Run::Item*> first;
  std::vector<Run::Item*> rest;
  for (std::size_t i = 0; i < documents->size(); ++i) {
    Run::Item& item = items[i];
    item.doc = &(*documents)[i];
    // parse_manifest checked apiVersion and kind.
    item.gvk = *kube::GroupVersionKind::of(item.doc->object);
    (is_crd(item.gvk) || is_namespace(item.gvk) ? first : rest).push_back(&item);
  }

  ApplyResult result;
  run.apply_items(first, options, result.counts);
  std::vector<const Run::Item*> crds;
  for (const Run::Item* item : first) {
    if (is_crd(item->gvk) && item->record.status == kResourceSynced) crds.push_back(item);
  }
  if (!crds.empty()) run.await_crds(crds);
  run.apply_items(rest, options, result.counts);

  std::set<std::string> produced;
  for (const Run::Item* item : first) {
    produced.insert(item->key);
    result.resources.push_back(item->record);
  }
  for (const Run::Item* item : rest) {
    produced.insert(item->key);
    result.resources.push_back(item->record);
  }

  // Prune, last entry first (custom resources before their CRDs); what is not gone keeps its
  // place in inventory order after the manifest's objects.
  std::vector<api::Resource> left;
  for (auto it = previous.rbegin(); it != previous.rend(); ++it) {
    const auto key = run.identity_of(*it);
    if (!key) {
      // Without discovery the applier cannot tell whether the entry is still produced: keep
      // it unless an entry with the same recorded identity is in the new inventory.
      if (!produced.contains(identity(it->group, it->kind, it->namespace_, it->name))) {
        api::Resource kept = *it;
        mark_failed(kept, "not pruned: discovery failed");
        left.push_back(std::move(kept));
        ++result.counts.failed;
      }
      continue;
    }
    if (produced.contains(*key)) continue;
    const Deletion d = run.remove(*it);
    if (d.requested) ++result.counts.deleted;
    if (d.outcome == DeleteOutcome::kPending || d.outcome == DeleteOutcome::kFailed) {
      api::Resource kept = *it;
      mark_failed(kept, d.error);
      left.push_back(std::move(kept));
      if (d.outcome == DeleteOutcome::kFailed) ++result.counts.failed;
    }
  }
  result.resources.insert(result.resources.end(), left.rbegin(), left.rend());
  return result;
}

DeleteResult Applier::delete_all(const std::vector<api::Resource>& inventory) {
  Run run(client_, clock_, config_);
  DeleteResult result;
  std::vector<api::Resource> left;
  for (auto it = inventory.rbegin(); it != inventory.rend(); ++it) {
    const Deletion d = run.remove(*it);
    if (d.requested) ++result.deleted;
    if (d.outcome == DeleteOutcome::kPending || d.outcome == DeleteOutcome::kFailed) {
      api::Resource kept = *it;
      mark_failed(kept, d.error);
      left.push_back(std::move(kept));
      if (d.outcome == DeleteOutcome::kFailed) ++result.failed;
    }
  }
  result.remaining.assign(left.rbegin(), left.rend());
  return result;
}

}  // namespace cairn::controllers
