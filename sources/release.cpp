// The content rules of a cluster-stack release (release.h): parsing metadata.yaml,
// clusteraddon.yaml and node-images.yaml with yaml-cpp, and checking a release directory.
//
// yaml-cpp throws; every call into it runs inside a try block of the parser that made it, and
// what it throws becomes a kInvalidRelease error naming the file. Beyond what the Go operator
// checked, the parsers reject keys given twice in one mapping (yaml-cpp keeps both silently, and
// which one wins would be an accident), and the YAML-to-JSON conversion for node-images.yaml
// and wait conditions is bounded in depth and in nodes, since aliases can make a small document
// expand without limit.
//
// clusteraddon.yaml hook names are not limited to the three the operator knows
// (AfterControlPlaneInitialized, BeforeClusterUpgrade, AfterClusterUpgrade): unknown hooks are
// accepted and kept in AddonConfig::addon_stages, so that a release written for a newer operator
// still validates and the stage executor, which knows which hooks it runs, decides about them.
#include "sources/release.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

namespace cairn::sources {
namespace {

namespace fs = std::filesystem;

// No release file is anywhere near this; a larger one is not read.
constexpr std::uintmax_t kMaxFileBytes = 4u << 20;
// Bounds of the YAML-to-JSON conversion (see the file comment).
constexpr int kMaxJsonDepth = 100;
constexpr std::size_t kMaxJsonNodes = 1'000'000;
// How many near-miss file names an error about a missing chart lists.
constexpr std::size_t kMaxHints = 5;

constexpr std::string_view kMetadataFile = "metadata.yaml";
constexpr std::string_view kAddonConfigFile = "clusteraddon.yaml";
constexpr std::string_view kNodeImagesFile = "node-images.yaml";
constexpr std::string_view kAddonValuesFile = "cluster-addon-values.yaml";

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one (overlong
// forms, surrogates and code points past U+10FFFF are not).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
    cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

// Whatever a release carries ends up in JSON (status, conditions, the node images handed to a
// provider), whose serialiser refuses invalid UTF-8: strings are checked when read.
bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `text` with every byte that is not part of valid UTF-8 replaced by '?', for messages (a quoted
// input may be cut inside a multi-byte character).
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string indexed(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "null";
  }
}

// A JSON value for a plain YAML scalar, typed as YAML 1.2's core schema types it (null, bool,
// integer, float); quoted or !!str scalars, and everything else, stay strings.
nlohmann::json scalar_to_json(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return s;
  if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view t = s;
  const bool negative = !t.empty() && t.front() == '-';
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) t.remove_prefix(1);
  if (t.empty()) return s;
  auto digits = [](std::string_view d) {
    return !d.empty() &&
           std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (digits(t)) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc() && end == t.data() + t.size()) return negative ? -v : v;
  }
  // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit before the exponent.
  const std::size_t e = t.find_first_of("eE");
  const std::string_view mantissa = t.substr(0, e);
  const std::size_t dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  bool is_float = (digits(whole) || whole.empty()) && (digits(fraction) || fraction.empty()) &&
                  !(whole.empty() && fraction.empty());
  if (is_float && e != std::string_view::npos) {
    std::string_view exponent = t.substr(e + 1);
    if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
      exponent.remove_prefix(1);
    }
    is_float = digits(exponent);
  }
  if (is_float) {
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc() && end == t.data() + t.size()) return negative ? -v : v;
  }
  return s;
}

// Reads one release file's YAML: lookups that report the file and the dotted key path of what is
// wrong ("metadata.yaml: versions.kubernetes: ...").
class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  tl::unexpected<Error> fail(std::string_view path, std::string_view what) const {
    std::string message(file_);
    message += ": ";
    if (!path.empty()) {
      message += path;
      message += ": ";
    }
    message += what;
    return make_error(ErrorKind::kInvalidRelease, printable(message));
  }

  // The document as a mapping; `expected` says what it should hold.
  Result<YAML::Node> load_mapping(std::string_view text, std::string_view expected) const {
    if (text.size() > kMaxFileBytes) {
      return fail("", "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
    }
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      std::string where;
      if (!e.mark.is_null()) {
        where = " at line " + std::to_string(e.mark.line + 1) + ", column " +
                std::to_string(e.mark.column + 1);
      }
      return fail("", "not valid YAML" + where + ": " + e.msg);
    }
    if (root.IsMap()) return root;
    if (root.IsNull()) return fail("", "empty; expected a mapping with " + std::string(expected));
    return fail("", "expected a mapping with " + std::string(expected) + ", not " + kind_of(root));
  }

  // The value of `key` in `map`; nullopt when absent or null.
  Result<std::optional<YAML::Node>> get(const YAML::Node& map, std::string_view key,
                                        std::string_view path) const {
    std::optional<YAML::Node> found;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar() || kv.first.Scalar() != key) continue;
      if (found) return fail(child(path, key), "given twice");
      found = kv.second;
    }
    if (found && found->IsNull()) found.reset();
    return found;
  }

  Result<std::optional<std::string>> string(const YAML::Node& map, std::string_view key,
                                            std::string_view path) const {
    auto node = get(map, key, path);
    if (!node) return tl::unexpected(node.error());
    if (!*node) return std::optional<std::string>();
    if (!(*node)->IsScalar()) {
      return fail(child(path, key), "must be a string, not " + kind_of(**node));
    }
    if (!valid_utf8((*node)->Scalar())) return fail(child(path, key), "not valid UTF-8");
    return std::optional<std::string>((*node)->Scalar());
  }

  // A non-empty string; `missing` says what the key is for.
  Result<std::string> required_string(const YAML::Node& map, std::string_view key,
                                      std::string_view path, std::string_view missing) const {
    auto s = string(map, key, path);
    if (!s) return tl::unexpected(s.error());
    if (!*s) return fail(child(path, key), "missing; " + std::string(missing));
    if ((*s)->empty()) return fail(child(path, key), "must not be empty");
    return std::move(**s);
  }

  Result<YAML::Node> required_mapping(const YAML::Node& map, std::string_view key,
                                      std::string_view path, std::string_view missing) const {
    auto node = get(map, key, path);
    if (!node) return tl::unexpected(node.error());
    if (!*node) return fail(child(path, key), "missing; " + std::string(missing));
    if (!(*node)->IsMap()) {
      return fail(child(path, key), "must be a mapping, not " + kind_of(**node));
    }
    return **node;
  }

  Result<nlohmann::json> to_json(const YAML::Node& n, std::string_view path) const {
    std::size_t budget = kMaxJsonNodes;
    return to_json(n, path, 0, budget);
  }

 private:
  Result<nlohmann::json> to_json(const YAML::Node& n, std::string_view path, int depth,
                                 std::size_t& budget) const {
    if (budget == 0) {
      return fail(path, "more than " + std::to_string(kMaxJsonNodes) +
                            " values (aliases expanding without bound?)");
    }
    --budget;
    if (depth > kMaxJsonDepth) {
      return fail(path, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        if (!valid_utf8(n.Scalar())) return fail(path, "not valid UTF-8");
        return scalar_to_json(n);
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        std::size_t i = 0;
        for (const auto& item : n) {
          auto v = to_json(item, indexed(path, i++), depth + 1, budget);
          if (!v) return v;
          out.push_back(std::move(*v));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar()) return fail(path, "mapping keys must be strings");
          const std::string& key = kv.first.Scalar();
          if (!valid_utf8(key)) return fail(path, "a mapping key is not valid UTF-8");
          if (out.contains(key)) return fail(child(path, key), "given twice");
          auto v = to_json(kv.second, child(path, key), depth + 1, budget);
          if (!v) return v;
          out[key] = std::move(*v);
        }
        return out;
      }
      default:
        return nlohmann::json(nullptr);
    }
  }

  std::string_view file_;
};

// Anything yaml-cpp throws while a parser walks the nodes, as an error about that file.
template <class T, class F>
Result<T> guarded(const Reader& reader, F&& parse) {
  try {
    return parse();
  } catch (const std::exception& e) {
    return reader.fail("", std::string("unreadable: ") + e.what());
  }
}

Result<AddonCondition> parse_condition(const Reader& r, const YAML::Node& map,
                                       const std::string& path) {
  AddonCondition condition;
  auto objects = r.get(map, "objects", path);
  if (!objects) return tl::unexpected(objects.error());
  if (*objects) {
    const std::string objects_path = child(path, "objects");
    if (!(*objects)->IsSequence()) {
      return r.fail(objects_path, "must be a list, not " + kind_of(**objects));
    }
    std::size_t i = 0;
    for (const auto& object : **objects) {
      const std::string object_path = indexed(objects_path, i++);
      if (!object.IsMap()) return r.fail(object_path, "must be a mapping, not " + kind_of(object));
      nlohmann::json out = nlohmann::json::object();
      for (const char* key : {"key", "apiVersion", "kind", "name"}) {
        auto value = r.required_string(object, key, object_path,
                                       "each object needs key, apiVersion, kind and name");
        if (!value) return tl::unexpected(value.error());
        out[key] = std::move(*value);
      }
      auto ns = r.string(object, "namespace", object_path);
      if (!ns) return tl::unexpected(ns.error());
      if (*ns) out["namespace"] = std::move(**ns);
      condition.objects.push_back(std::move(out));
    }
  }
  auto conditions =
      r.required_string(map, "conditions", path, "a CEL expression that must become true");
  if (!conditions) return tl::unexpected(conditions.error());
  condition.conditions = std::move(*conditions);
  return condition;
}

Result<AddonStage> parse_stage(const Reader& r, const YAML::Node& node, const std::string& path) {
  if (!node.IsMap())
    return r.fail(path, "must be a mapping with name and action, not " + kind_of(node));
  AddonStage stage;
  auto name = r.required_string(node, "name", path, "the directory of the stage's chart");
  if (!name) return tl::unexpected(name.error());
  // The name becomes a path below the unpacked addon archive.
  if (name->find('/') != std::string::npos || name->find("..") != std::string::npos ||
      *name == "." || name->find('\0') != std::string::npos) {
    return r.fail(child(path, "name"),
                  "stage name \"" + *name + "\" must be a plain directory name (no '/' or '..')");
  }
  stage.name = std::move(*name);
  auto action = r.required_string(node, "action", path, "apply or delete");
  if (!action) return tl::unexpected(action.error());
  if (*action != "apply" && *action != "delete") {
    return r.fail(child(path, "action"), "\"" + *action + "\" is neither apply nor delete");
  }
  stage.action = std::move(*action);
  for (const char* key : {"waitForPreCondition", "waitForPostCondition"}) {
    auto wait = r.get(node, key, path);
    if (!wait) return tl::unexpected(wait.error());
    if (!*wait) continue;
    const std::string wait_path = child(path, key);
    if (!(*wait)->IsMap()) {
      return r.fail(wait_path,
                    "must be a mapping with objects and conditions, not " + kind_of(**wait));
    }
    auto condition = parse_condition(r, **wait, wait_path);
    if (!condition) return tl::unexpected(condition.error());
    (std::string_view(key) == "waitForPreCondition" ? stage.wait_for_pre_condition
                                                    : stage.wait_for_post_condition) =
        std::move(*condition);
  }
  return stage;
}

// The text of release file `name` below `dir`; nullopt when there is none.
Result<std::optional<std::string>> read_release_file(const fs::path& dir, std::string_view name) {
  const fs::path path = dir / name;
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (status.type() == fs::file_type::not_found) return std::optional<std::string>();
  if (ec) return make_error(ErrorKind::kIo, "cannot stat " + path.string() + ": " + ec.message());
  if (status.type() != fs::file_type::regular) {
    return make_error(ErrorKind::kInvalidRelease,
                      std::string(name) + ": not a regular file in the release");
  }
  const auto size = fs::file_size(path, ec);
  if (ec) return make_error(ErrorKind::kIo, "cannot stat " + path.string() + ": " + ec.message());
  if (size > kMaxFileBytes) {
    return make_error(ErrorKind::kInvalidRelease, std::string(name) + ": larger than " +
                                                      std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) return make_error(ErrorKind::kIo, "cannot read " + path.string());
  return std::optional<std::string>(std::move(text));
}

fs::file_type type_of(const fs::path& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type();
}

// Names of entries in `dir` that start with `prefix`, sorted, for "did you mean" hints.
std::vector<std::string> names_starting_with(const fs::path& dir, std::string_view prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string listing(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kMaxHints; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > kMaxHints) out += ", ...";
  return out;
}

std::string without_tgz(const std::string& asset) { return asset.substr(0, asset.size() - 4); }

// Finds chart `asset` in `dir`: that exact file, or a directory named like it without ".tgz"
// (holding Chart.yaml when `needs_chart_yaml`). Returns the name found.
Result<std::string> find_chart(const fs::path& dir, const std::string& asset, std::string_view what,
                               std::string_view family, bool needs_chart_yaml) {
  const auto file_type = type_of(dir / asset);
  if (file_type == fs::file_type::regular) return asset;
  if (file_type != fs::file_type::not_found) {
    return make_error(ErrorKind::kInvalidRelease,
                      std::string(what) + " " + asset + ": not a regular file in the release");
  }
  const std::string stem = without_tgz(asset);
  if (type_of(dir / stem) == fs::file_type::directory) {
    if (!needs_chart_yaml || type_of(dir / stem / "Chart.yaml") == fs::file_type::regular) {
      return stem;
    }
    return make_error(ErrorKind::kInvalidRelease, std::string(what) + " " + asset +
                                                      ": the directory " + stem +
                                                      "/ in its place has no Chart.yaml");
  }
  std::string message = std::string(what) + " " + asset + ": missing from the release (as " +
                        "that file or as a chart directory " + stem + "/)";
  const auto near = names_starting_with(dir, family);
  if (!near.empty()) {
    message += "; it has " + listing(near) + ", which chart names must match exactly";
  }
  return make_error(ErrorKind::kInvalidRelease, std::move(message));
}

// Every stage of `config` must be a directory of the unpacked addon archive `unpacked`.
Result<void> check_stages(const AddonConfig& config, const fs::path& unpacked,
                          const std::string& unpacked_name) {
  const Reader r(kAddonConfigFile);
  for (const auto& [hook, stages] : config.addon_stages) {
    for (std::size_t i = 0; i < stages.size(); ++i) {
      if (type_of(unpacked / stages[i].name) == fs::file_type::directory) continue;
      std::vector<std::string> dirs;
      std::error_code ec;
      for (fs::directory_iterator it(unpacked, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->symlink_status(ec).type() == fs::file_type::directory) {
          dirs.push_back(it->path().filename().string());
        }
      }
      std::sort(dirs.begin(), dirs.end());
      return r.fail(child(indexed("addonStages." + hook, i), "name"),
                    "stage \"" + stages[i].name + "\" has no directory in the addon chart " +
                        unpacked_name + "/ (it has: " + (dirs.empty() ? "none" : listing(dirs)) +
                        ")");
    }
  }
  return {};
}

// The checks of validate_release, in the order a reader of a release would make them.
Result<ReleaseLayout> validate(const fs::path& dir, const api::ReleaseTag& tag) {
  if (const auto type = type_of(dir); type != fs::file_type::directory) {
    return make_error(
        ErrorKind::kNotFound,
        "release " + tag.tag() + ": " + dir.string() +
            (type == fs::file_type::not_found ? " does not exist" : " is not a directory"));
  }
  ReleaseLayout layout;
  layout.tag = tag;

  auto metadata_text = read_release_file(dir, kMetadataFile);
  if (!metadata_text) return tl::unexpected(metadata_text.error());
  if (!*metadata_text) {
    return make_error(ErrorKind::kInvalidRelease,
                      "metadata.yaml: missing; every cluster-stack release needs it");
  }
  auto metadata = parse_metadata(**metadata_text);
  if (!metadata) return tl::unexpected(metadata.error());
  if (!(metadata->cluster_stack == tag.version)) {
    return make_error(ErrorKind::kInvalidRelease,
                      "metadata.yaml: versions.clusterStack: " + metadata->cluster_stack.dot() +
                          " does not match the release tag " + tag.tag() + " (version " +
                          tag.version.dot() +
                          "); the Go operator did not check this, cairn does: fix metadata.yaml "
                          "or publish the release under the matching tag");
  }
  if (!(metadata->kubernetes.minor_line() == tag.stack.kubernetes)) {
    return make_error(ErrorKind::kInvalidRelease,
                      "metadata.yaml: versions.kubernetes: " + metadata->kubernetes.str() +
                          " is not on the Kubernetes line " + tag.stack.kubernetes.dot() +
                          " of the release tag " + tag.tag() +
                          "; Clusters of this stack would get the wrong version");
  }
  layout.metadata = std::move(*metadata);

  auto addon_text = read_release_file(dir, kAddonConfigFile);
  if (!addon_text) return tl::unexpected(addon_text.error());
  if (*addon_text) {
    auto config = parse_clusteraddon(**addon_text);
    if (!config) return tl::unexpected(config.error());
    layout.addon_config = std::move(*config);
  }
  const auto values_type = type_of(dir / kAddonValuesFile);
  if (values_type != fs::file_type::not_found && values_type != fs::file_type::regular) {
    return make_error(ErrorKind::kInvalidRelease,
                      "cluster-addon-values.yaml: not a regular file in the release");
  }
  layout.has_cluster_addon_values = values_type == fs::file_type::regular;
  if (!layout.addon_config && !layout.has_cluster_addon_values) {
    return make_error(ErrorKind::kInvalidRelease,
                      "cluster-addon-values.yaml: missing; a release without clusteraddon.yaml "
                      "(single-chart addon) needs it for the addon chart's values");
  }

  const std::string stack = tag.stack.str();
  auto class_chart = find_chart(dir, tag.cluster_class_asset(), "cluster-class chart",
                                stack + "-cluster-class-", /*needs_chart_yaml=*/true);
  if (!class_chart) return tl::unexpected(class_chart.error());
  layout.cluster_class_chart = std::move(*class_chart);

  // A multi-stage addon archive holds one chart per stage and no Chart.yaml at its root.
  const std::string addon_asset = tag.cluster_addon_asset(layout.metadata.cluster_addon);
  auto addon_chart = find_chart(dir, addon_asset, "cluster-addon chart", stack + "-cluster-addon-",
                                /*needs_chart_yaml=*/!layout.addon_config);
  if (!addon_chart) {
    Error e = addon_chart.error();
    e.message += " (metadata.yaml versions.components.clusterAddon is " +
                 layout.metadata.cluster_addon.dot() + ")";
    return tl::unexpected(std::move(e));
  }
  layout.cluster_addon_chart = std::move(*addon_chart);

  // The addon archive, once unpacked, lives next to it in a directory named without ".tgz".
  const std::string unpacked = without_tgz(addon_asset);
  if (layout.addon_config && type_of(dir / unpacked) == fs::file_type::directory) {
    if (auto ok = check_stages(*layout.addon_config, dir / unpacked, unpacked); !ok) {
      return tl::unexpected(ok.error());
    }
  }

  auto node_images_text = read_release_file(dir, kNodeImagesFile);
  if (!node_images_text) return tl::unexpected(node_images_text.error());
  if (*node_images_text) {
    auto node_images = parse_node_images(**node_images_text);
    if (!node_images) return tl::unexpected(node_images.error());
    layout.node_images = std::move(*node_images);
  }
  return layout;
}

}  // namespace

Result<ReleaseMetadata> parse_metadata(std::string_view yaml) {
  const Reader r(kMetadataFile);
  return guarded<ReleaseMetadata>(r, [&]() -> Result<ReleaseMetadata> {
    auto root = r.load_mapping(yaml, "apiVersion and versions");
    if (!root) return tl::unexpected(root.error());
    ReleaseMetadata m;
    auto api_version = r.string(*root, "apiVersion", "");
    if (!api_version) return tl::unexpected(api_version.error());
    m.api_version = api_version->value_or("");

    auto versions = r.required_mapping(*root, "versions", "",
                                       "it holds clusterStack, kubernetes and components");
    if (!versions) return tl::unexpected(versions.error());
    auto cluster_stack = r.required_string(*versions, "clusterStack", "versions",
                                           "the cluster stack version, e.g. v3");
    if (!cluster_stack) return tl::unexpected(cluster_stack.error());
    auto cs = api::Version::parse_dot(*cluster_stack);
    if (!cs) return r.fail("versions.clusterStack", cs.error().message);
    m.cluster_stack = std::move(*cs);

    auto kubernetes = r.required_string(*versions, "kubernetes", "versions",
                                        "the Kubernetes version, e.g. v1.27.3");
    if (!kubernetes) return tl::unexpected(kubernetes.error());
    auto k8s = api::KubernetesPatchVersion::parse(*kubernetes);
    if (!k8s) return r.fail("versions.kubernetes", k8s.error().message);
    m.kubernetes = std::move(*k8s);

    auto components = r.required_mapping(*versions, "components", "versions",
                                         "it holds clusterAddon (and nodeImage)");
    if (!components) return tl::unexpected(components.error());
    auto addon = r.required_string(*components, "clusterAddon", "versions.components",
                                   "the cluster addon version, e.g. v2");
    if (!addon) return tl::unexpected(addon.error());
    auto av = api::Version::parse_dot(*addon);
    if (!av) return r.fail("versions.components.clusterAddon", av.error().message);
    m.cluster_addon = std::move(*av);

    auto node_image = r.string(*components, "nodeImage", "versions.components");
    if (!node_image) return tl::unexpected(node_image.error());
    if (*node_image) {
      auto nv = api::Version::parse_dot(**node_image);
      if (!nv) return r.fail("versions.components.nodeImage", nv.error().message);
      m.node_image = std::move(*nv);
    }
    return m;
  });
}

Result<AddonConfig> parse_clusteraddon(std::string_view yaml) {
  const Reader r(kAddonConfigFile);
  return guarded<AddonConfig>(r, [&]() -> Result<AddonConfig> {
    auto root = r.load_mapping(yaml, "addonStages");
    if (!root) return tl::unexpected(root.error());
    AddonConfig config;
    auto api_version = r.string(*root, "apiVersion", "");
    if (!api_version) return tl::unexpected(api_version.error());
    config.api_version = api_version->value_or("");
    auto addon_version = r.string(*root, "clusterAddonVersion", "");
    if (!addon_version) return tl::unexpected(addon_version.error());
    config.cluster_addon_version = addon_version->value_or("");

    auto hooks =
        r.required_mapping(*root, "addonStages", "", "it maps hook names to their ordered stages");
    if (!hooks) return tl::unexpected(hooks.error());
    for (const auto& kv : *hooks) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty() || !valid_utf8(kv.first.Scalar())) {
        return r.fail("addonStages", "hook names must be non-empty UTF-8 strings");
      }
      const std::string& hook = kv.first.Scalar();
      const std::string path = "addonStages." + hook;
      if (config.addon_stages.count(hook) != 0) return r.fail(path, "given twice");
      auto& stages = config.addon_stages[hook];
      if (kv.second.IsNull()) continue;
      if (!kv.second.IsSequence()) {
        return r.fail(path, "must be a list of stages, not " + kind_of(kv.second));
      }
      std::size_t i = 0;
      for (const auto& node : kv.second) {
        auto stage = parse_stage(r, node, indexed(path, i++));
        if (!stage) return tl::unexpected(stage.error());
        stages.push_back(std::move(*stage));
      }
    }
    return config;
  });
}

Result<nlohmann::json> parse_node_images(std::string_view yaml) {
  const Reader r(kNodeImagesFile);
  return guarded<nlohmann::json>(r, [&]() -> Result<nlohmann::json> {
    auto root = r.load_mapping(yaml, "the provider's node images");
    if (!root) return tl::unexpected(root.error());
    return r.to_json(*root, "");
  });
}

Result<ReleaseLayout> validate_release(const fs::path& dir, const api::ReleaseTag& tag) {
  auto layout = validate(dir, tag);
  // File names from the release directory appear in messages; keep them valid UTF-8.
  if (!layout) layout.error().message = printable(layout.error().message);
  return layout;
}

}  // namespace cairn::sources
