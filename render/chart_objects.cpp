// The objects helm puts into a chart's render data: .Files, .Capabilities,
// .Chart, and the helpers they need (semver checks, kube version parsing,
// Metadata sanitizing).
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "render/codec.h"
#include "render/detail/chart_internal.h"
#include "render/detail/gofmt_unicode.h"
#include "render/funcmap.h"
#include "render/gofmt.h"

namespace cairn::render::detail {
namespace {

// A CallContext for calling pure sprig functions outside a template.
class PlainContext final : public CallContext {
 public:
  const Limits& limits() const override { return limits_; }
  Result<std::string> include(std::string_view, const Value&) override {
    return make_error("include is not available here");
  }
  Result<std::string> tpl(std::string_view, const Value&) override {
    return make_error("tpl is not available here");
  }
  std::string location() const override { return "chart"; }

 private:
  Limits limits_;
};

Result<Value> call_func(std::string_view name, std::vector<Value> args) {
  const FuncMap& funcs = *helm_func_map();
  const auto it = funcs.find(std::string(name));
  if (it == funcs.end()) return make_error("function " + std::string(name) + " is missing");
  PlainContext ctx;
  return it->second.impl(ctx, args);
}

Value string_map(const std::map<std::string, std::string>& m) {
  Value out = Value::new_map("string");
  for (const auto& [k, v] : m) out.map().items[k] = Value(v);
  return out;
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (static_cast<unsigned char>(in[i + 1]) << 8) |
                   static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += two ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string_view base_name(std::string_view p) {
  const std::size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

Value bytes_value(std::string_view data) {
  std::vector<Value> items;
  items.reserve(data.size());
  for (char c : data)
    items.push_back(Value::integer(static_cast<unsigned char>(c), IntType::Uint8));
  return Value::new_list(std::move(items), "uint8");
}

// sigs.k8s.io/yaml.Marshal of a map[string]string, trailing newline removed
// (helm's toYAML, which yields "" on error).
std::string to_yaml_trimmed(const Value& v) {
  auto out = yaml_encode(v);
  if (!out) return "";
  std::string s = std::move(*out);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string go_list_format(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    out += items[i];
  }
  return out + "]";
}

using FileMap = std::map<std::string, std::string, std::less<>>;

// helm's engine.files: a map[string][]byte with methods.
class FilesObject final : public Object {
 public:
  explicit FilesObject(std::shared_ptr<const FileMap> files) : files_(std::move(files)) {
    get_ = {{Param::String}, false, [this](CallContext&, std::vector<Value>& a) -> Result<Value> {
              return Value(lookup(a[0].as_string()));
            }};
    get_bytes_ = {
        {Param::String}, false, [this](CallContext&, std::vector<Value>& a) -> Result<Value> {
          return bytes_value(lookup(a[0].as_string()));
        }};
    glob_ = {{Param::String}, false, [this](CallContext&, std::vector<Value>& a) -> Result<Value> {
               return glob(a[0].as_string());
             }};
    lines_ = {{Param::String}, false, [this](CallContext&, std::vector<Value>& a) -> Result<Value> {
                return lines(a[0].as_string());
              }};
    as_config_ = {{}, false, [this](CallContext&, std::vector<Value>&) -> Result<Value> {
                    return Value(as_config());
                  }};
    as_secrets_ = {{}, false, [this](CallContext&, std::vector<Value>&) -> Result<Value> {
                     return Value(as_secrets());
                   }};
  }
  FilesObject(const FilesObject&) = delete;
  FilesObject& operator=(const FilesObject&) = delete;

  std::string type_name() const override { return "engine.files"; }
  std::string kind_name() const override { return "map"; }

  // Methods without arguments, then map keys (a missing key is the zero
  // []byte, as missingkey=zero gives it).
  std::optional<Value> field(std::string_view name) const override {
    if (name == "AsConfig") return Value(as_config());
    if (name == "AsSecrets") return Value(as_secrets());
    if (const auto it = files_->find(name); it != files_->end()) return bytes_value(it->second);
    return Value::nil_list("uint8");
  }

  const Func* method(std::string_view name) const override {
    if (name == "Get") return &get_;
    if (name == "GetBytes") return &get_bytes_;
    if (name == "Glob") return &glob_;
    if (name == "Lines") return &lines_;
    if (name == "AsConfig") return &as_config_;
    if (name == "AsSecrets") return &as_secrets_;
    return nullptr;
  }

  std::string format(bool) const override { return go_format_value(*container()); }

  // The map[string][]byte itself, built on first use (range, len, index, %v).
  const Value* container() const override {
    std::call_once(container_once_, [this] {
      container_ = Value::new_map("[]uint8");
      for (const auto& [k, v] : *files_) container_.map().items[k] = bytes_value(v);
    });
    return &container_;
  }

  // encoding/json writes []byte as base64.
  Value to_data() const override {
    Value out = Value::new_map();
    for (const auto& [k, v] : *files_) out.map().items[k] = Value(base64_encode(v));
    return out;
  }

 private:
  std::string lookup(const std::string& name) const {
    const auto it = files_->find(name);
    return it == files_->end() ? std::string() : it->second;
  }

  Value glob(const std::string& pattern) const {
    // gobwas/glob falls back to "**" when the pattern does not compile.
    auto re = std::make_unique<RE2>(glob_to_regex(pattern), RE2::Quiet);
    if (!re->ok()) re = std::make_unique<RE2>(".*");
    auto subset = std::make_shared<FileMap>();
    for (const auto& [k, v] : *files_) {
      if (RE2::FullMatch(k, *re)) subset->emplace(k, v);
    }
    return Value(std::shared_ptr<const Object>(std::make_shared<FilesObject>(std::move(subset))));
  }

  // helm splits on "\n" after dropping one trailing newline; an empty file
  // panics in helm (index out of range), reported here as the same error.
  Result<Value> lines(const std::string& name) const {
    const auto it = files_->find(name);
    if (it == files_->end()) return Value::string_list({});
    std::string s = it->second;
    if (s.empty()) return make_error("runtime error: index out of range [-1]");
    if (s.back() == '\n') s.pop_back();
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t nl = s.find('\n', pos);
      out.push_back(s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return Value::string_list(out);
  }

  // Base names as keys; with duplicates the byte-wise last path wins.
  std::string as_config() const {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : *files_) m[std::string(base_name(k))] = v;
    return to_yaml_trimmed(string_map(m));
  }

  std::string as_secrets() const {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : *files_) m[std::string(base_name(k))] = base64_encode(v);
    return to_yaml_trimmed(string_map(m));
  }

  std::shared_ptr<const FileMap> files_;
  Func get_, get_bytes_, glob_, lines_, as_config_, as_secrets_;
  mutable std::once_flag container_once_;
  mutable Value container_;
};

// chartutil.VersionSet: []string with Has.
class VersionSetObject final : public Object {
 public:
  explicit VersionSetObject(std::vector<std::string> versions) : versions_(std::move(versions)) {
    has_ = {{Param::String}, false, [this](CallContext&, std::vector<Value>& a) -> Result<Value> {
              const std::string& want = a[0].as_string();
              return Value(std::find(versions_.begin(), versions_.end(), want) != versions_.end());
            }};
  }
  VersionSetObject(const VersionSetObject&) = delete;
  VersionSetObject& operator=(const VersionSetObject&) = delete;

  std::string type_name() const override { return "chartutil.VersionSet"; }
  std::string kind_name() const override { return "slice"; }
  std::optional<Value> field(std::string_view) const override { return std::nullopt; }
  const Func* method(std::string_view name) const override {
    return name == "Has" ? &has_ : nullptr;
  }
  std::string format(bool) const override { return go_list_format(versions_); }
  Value to_data() const override { return list_; }
  const Value* container() const override { return &list_; }

 private:
  std::vector<std::string> versions_;
  Value list_ = Value::string_list(versions_);
  Func has_;
};

// chartutil.KubeVersion (a field of *Capabilities, so its pointer methods
// String and GitVersion are callable and fmt uses String).
class KubeVersionObject final : public Object {
 public:
  explicit KubeVersionObject(KubeVersion kv) : kv_(std::move(kv)) {}
  std::string type_name() const override { return "chartutil.KubeVersion"; }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "Version" || name == "String" || name == "GitVersion") return Value(kv_.version);
    if (name == "Major") return Value(kv_.major);
    if (name == "Minor") return Value(kv_.minor);
    return std::nullopt;
  }
  std::string format(bool) const override { return kv_.version; }
  Value to_data() const override {
    Value out = Value::new_map();
    out.map().items["Version"] = Value(kv_.version);
    out.map().items["Major"] = Value(kv_.major);
    out.map().items["Minor"] = Value(kv_.minor);
    return out;
  }

 private:
  KubeVersion kv_;
};

// helm's version.BuildInfo of v3.19.0.
class HelmVersionObject final : public Object {
 public:
  std::string type_name() const override { return "version.BuildInfo"; }
  std::optional<Value> field(std::string_view name) const override {
    for (const auto& [go, json, value] : kFields) {
      (void)json;
      if (name == go) return Value(value);
    }
    return std::nullopt;
  }
  std::string format(bool plus) const override {
    std::string out = "{";
    for (std::size_t i = 0; i < std::size(kFields); ++i) {
      if (i > 0) out += ' ';
      if (plus) out += std::string(std::get<0>(kFields[i])) + ":";
      out += std::get<2>(kFields[i]);
    }
    return out + "}";
  }
  Value to_data() const override {
    Value out = Value::new_map();
    for (const auto& [go, json, value] : kFields) {
      (void)go;
      out.map().items[json] = Value(value);
    }
    return out;
  }

 private:
  static constexpr std::tuple<const char*, const char*, const char*> kFields[] = {
      {"Version", "version", "v3.19.0"},
      {"GitCommit", "git_commit", "3d8990f0836691f0229297773f3524598f46bda6"},
      {"GitTreeState", "git_tree_state", "clean"},
      {"GoVersion", "go_version", "go1.24.7"}};
};

class CapabilitiesObject final : public Object {
 public:
  CapabilitiesObject(const KubeVersion& kube, std::vector<std::string> api_versions)
      : api_versions_(std::shared_ptr<const Object>(
            std::make_shared<VersionSetObject>(std::move(api_versions)))),
        kube_version_(std::shared_ptr<const Object>(std::make_shared<KubeVersionObject>(kube))),
        helm_version_(std::shared_ptr<const Object>(std::make_shared<HelmVersionObject>())) {}

  std::string type_name() const override { return "*chartutil.Capabilities"; }
  std::string kind_name() const override { return "ptr"; }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "APIVersions") return api_versions_;
    if (name == "KubeVersion") return kube_version_;
    if (name == "HelmVersion") return helm_version_;
    return std::nullopt;
  }
  std::string format(bool plus) const override {
    const auto& kv = static_cast<const KubeVersionObject&>(kube_version_.object());
    const Value version = *kv.field("Version");
    const std::string kube = "{" + std::string(plus ? "Version:" : "") + version.as_string() +
                             (plus ? " Major:" : " ") + kv.field("Major")->as_string() +
                             (plus ? " Minor:" : " ") + kv.field("Minor")->as_string() + "}";
    if (plus) {
      return "&{APIVersions:" + api_versions_.object().format(true) + " KubeVersion:" + kube +
             " HelmVersion:" + helm_version_.object().format(true) + "}";
    }
    return "&{" + api_versions_.object().format(false) + " " + kube + " " +
           helm_version_.object().format(false) + "}";
  }
  Value to_data() const override {
    Value out = Value::new_map();
    out.map().items["APIVersions"] = api_versions_.object().to_data();
    out.map().items["KubeVersion"] = kube_version_.object().to_data();
    out.map().items["HelmVersion"] = helm_version_.object().to_data();
    return out;
  }

 private:
  Value api_versions_, kube_version_, helm_version_;
};

// A Go struct shown through named fields (chart.Maintainer, chart.Dependency,
// struct { chart.Metadata; IsRoot bool }). Each field has its Go name, its
// JSON name and whether json omits it when empty.
class StructObject final : public Object {
 public:
  struct Field {
    std::string go_name;
    std::string json_name;  // empty: not marshalled under another name
    bool omit_empty = true;
    Value value;
  };
  StructObject(std::string type, std::string kind, std::vector<Field> fields)
      : type_(std::move(type)), kind_(std::move(kind)), fields_(std::move(fields)) {}

  std::string type_name() const override { return type_; }
  std::string kind_name() const override { return kind_; }
  std::optional<Value> field(std::string_view name) const override {
    for (const Field& f : fields_) {
      if (f.go_name == name) return f.value;
    }
    return std::nullopt;
  }
  std::string format(bool plus) const override {
    std::string out = kind_ == "ptr" ? "&{" : "{";
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (i > 0) out += ' ';
      if (plus) out += fields_[i].go_name + ":";
      out += go_format_value(fields_[i].value);
    }
    return out + "}";
  }
  Value to_data() const override {
    Value out = Value::new_map();
    for (const Field& f : fields_) {
      if (f.omit_empty && !f.value.truthy()) continue;
      Value v = f.value.is_object() ? f.value.object().to_data() : to_plain(f.value);
      out.map().items[f.json_name.empty() ? f.go_name : f.json_name] = v;
    }
    return out;
  }

 private:
  static Value to_plain(const Value& v) {
    if (!v.is_list() || v.is_nil_container()) return v;
    std::vector<Value> items;
    for (const Value& x : v.list().items) items.push_back(x.is_object() ? x.object().to_data() : x);
    return Value::new_list(std::move(items), v.list().elem_type);
  }

  std::string type_;
  std::string kind_;
  std::vector<Field> fields_;
};

Value make_struct(std::string type, std::string kind, std::vector<StructObject::Field> fields) {
  return Value(std::shared_ptr<const Object>(
      std::make_shared<StructObject>(std::move(type), std::move(kind), std::move(fields))));
}

Value maintainer_value(const ChartMaintainer& m) {
  return make_struct("*chart.Maintainer", "ptr",
                     {{"Name", "name", true, Value(m.name)},
                      {"Email", "email", true, Value(m.email)},
                      {"URL", "url", true, Value(m.url)}});
}

Value dependency_value(const ChartDependency& d) {
  Value imports = d.import_values.empty() ? Value::nil_list() : Value::new_list(d.import_values);
  return make_struct("*chart.Dependency", "ptr",
                     {{"Name", "name", false, Value(d.name)},
                      {"Version", "version", true, Value(d.version)},
                      {"Repository", "repository", false, Value(d.repository)},
                      {"Condition", "condition", true, Value(d.condition)},
                      {"Tags", "tags", true,
                       d.tags.empty() ? Value::nil_list("string") : Value::string_list(d.tags)},
                      {"Enabled", "enabled", true, Value(d.enabled)},
                      {"ImportValues", "import-values", true, imports},
                      {"Alias", "alias", true, Value(d.alias)}});
}

Value object_list(std::vector<Value> items, std::string elem_type) {
  if (items.empty()) return Value::nil_list(std::move(elem_type));
  return Value::new_list(std::move(items), std::move(elem_type));
}

Value strings_or_nil(const std::vector<std::string>& items) {
  return items.empty() ? Value::nil_list("string") : Value::string_list(items);
}

// unicode.IsSpace.
bool is_go_space(std::uint32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// unicode.IsPrint for the runes charts contain: controls, format characters
// and private-use runes are not printable.
bool is_go_print(std::uint32_t r) {
  if (r < 0x20 || (r >= 0x7F && r <= 0x9F)) return false;
  if (r == 0xAD || (r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F ||
      r == 0x180E || (r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) ||
      (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB)) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000 || r == 0xFFFE || r == 0xFFFF) return false;
  return true;
}

}  // namespace

std::string sanitize_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::uint32_t r = next_rune(s, i);
    if (is_go_space(r)) {
      out += ' ';
    } else if (is_go_print(r)) {
      append_rune(out, r);
    }
  }
  return out;
}

bool semver_valid(std::string_view version) {
  auto v = call_func("semver", {Value(version)});
  return v.has_value();
}

bool semver_compatible(std::string_view constraint, std::string_view version) {
  auto ok = call_func("semverCompare", {Value(constraint), Value(version)});
  return ok && ok->is_bool() && ok->as_bool();
}

Result<KubeVersion> parse_kube_version(std::string_view text) {
  const std::string quoted = go_quote(text);
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                             text[i] == '\f' || text[i] == '\r')) {
    ++i;
  }
  if (i < text.size() && text[i] == 'v') ++i;
  std::vector<std::string> comps;
  std::size_t end = i;
  for (std::size_t j = i;;) {
    std::size_t k = j;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
    if (k == j) break;
    comps.emplace_back(text.substr(j, k - j));
    end = k;
    if (k + 1 < text.size() && text[k] == '.' &&
        std::isdigit(static_cast<unsigned char>(text[k + 1]))) {
      j = k + 1;
    } else {
      break;
    }
  }
  if (comps.empty() || text.substr(end).find('\n') != std::string_view::npos) {
    return make_error("could not parse " + quoted + " as version");
  }
  if (comps.size() < 2) return make_error("illegal version string " + quoted);
  std::string version = "v";
  for (std::size_t c = 0; c < comps.size(); ++c) {
    const std::string& s = comps[c];
    if (c == 0 && s.size() > 1 && s[0] == '0') {
      return make_error("illegal zero-prefixed version component " + go_quote(s) + " in " + quoted);
    }
    std::size_t digits = s.find_first_not_of('0');
    std::string num = digits == std::string::npos ? "0" : s.substr(digits);
    if (num.size() > 20 || (num.size() == 20 && num > "18446744073709551615")) {
      return make_error("illegal non-numeric version component " + go_quote(s) + " in " + quoted +
                        ": strconv.ParseUint: parsing " + go_quote(s) + ": value out of range");
    }
    comps[c] = num;
    version += (c > 0 ? "." : "") + num;
  }
  return KubeVersion{version, comps[0], comps[1]};
}

const std::vector<std::string>& default_api_versions() {
  static const std::vector<std::string> versions = {"v1",
                                                    "admissionregistration.k8s.io/v1",
                                                    "admissionregistration.k8s.io/v1alpha1",
                                                    "admissionregistration.k8s.io/v1beta1",
                                                    "internal.apiserver.k8s.io/v1alpha1",
                                                    "apps/v1",
                                                    "apps/v1beta1",
                                                    "apps/v1beta2",
                                                    "authentication.k8s.io/v1",
                                                    "authentication.k8s.io/v1alpha1",
                                                    "authentication.k8s.io/v1beta1",
                                                    "authorization.k8s.io/v1",
                                                    "authorization.k8s.io/v1beta1",
                                                    "autoscaling/v1",
                                                    "autoscaling/v2",
                                                    "autoscaling/v2beta1",
                                                    "autoscaling/v2beta2",
                                                    "batch/v1",
                                                    "batch/v1beta1",
                                                    "certificates.k8s.io/v1",
                                                    "certificates.k8s.io/v1beta1",
                                                    "certificates.k8s.io/v1alpha1",
                                                    "coordination.k8s.io/v1alpha2",
                                                    "coordination.k8s.io/v1beta1",
                                                    "coordination.k8s.io/v1",
                                                    "discovery.k8s.io/v1",
                                                    "discovery.k8s.io/v1beta1",
                                                    "events.k8s.io/v1",
                                                    "events.k8s.io/v1beta1",
                                                    "extensions/v1beta1",
                                                    "flowcontrol.apiserver.k8s.io/v1",
                                                    "flowcontrol.apiserver.k8s.io/v1beta1",
                                                    "flowcontrol.apiserver.k8s.io/v1beta2",
                                                    "flowcontrol.apiserver.k8s.io/v1beta3",
                                                    "networking.k8s.io/v1",
                                                    "networking.k8s.io/v1beta1",
                                                    "node.k8s.io/v1",
                                                    "node.k8s.io/v1alpha1",
                                                    "node.k8s.io/v1beta1",
                                                    "policy/v1",
                                                    "policy/v1beta1",
                                                    "rbac.authorization.k8s.io/v1",
                                                    "rbac.authorization.k8s.io/v1beta1",
                                                    "rbac.authorization.k8s.io/v1alpha1",
                                                    "resource.k8s.io/v1",
                                                    "resource.k8s.io/v1beta2",
                                                    "resource.k8s.io/v1beta1",
                                                    "resource.k8s.io/v1alpha3",
                                                    "scheduling.k8s.io/v1alpha1",
                                                    "scheduling.k8s.io/v1beta1",
                                                    "scheduling.k8s.io/v1",
                                                    "storage.k8s.io/v1beta1",
                                                    "storage.k8s.io/v1",
                                                    "storage.k8s.io/v1alpha1",
                                                    "storagemigration.k8s.io/v1alpha1",
                                                    "apiextensions.k8s.io/v1beta1",
                                                    "apiextensions.k8s.io/v1"};
  return versions;
}

std::string glob_to_regex(std::string_view p) {
  std::string out;
  int alternatives = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    switch (c) {
      case '*':
        if (i + 1 < p.size() && p[i + 1] == '*') {
          out += ".*";
          ++i;
        } else {
          out += "[^/]*";
        }
        break;
      case '?':
        out += "[^/]";
        break;
      case '{':
        ++alternatives;
        out += "(?:";
        break;
      case '}':
        if (alternatives > 0) {
          --alternatives;
          out += ")";
        } else {
          out += "\\}";
        }
        break;
      case ',':
        out += alternatives > 0 ? "|" : ",";
        break;
      case '[': {
        const std::size_t close = p.find(']', i);
        if (close == std::string_view::npos) return ".*";  // gobwas error: "**"
        std::string_view cls = p.substr(i + 1, close - i - 1);
        out += '[';
        if (!cls.empty() && cls.front() == '!') {
          out += '^';
          cls.remove_prefix(1);
        }
        out += std::string(cls) + "]";
        i = close;
        break;
      }
      case '\\':
        if (i + 1 < p.size()) out += RE2::QuoteMeta(std::string(1, p[++i]));
        break;
      default:
        out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out;
}

Value make_files_object(const std::vector<ChartFile>& files) {
  auto map = std::make_shared<FileMap>();
  for (const ChartFile& f : files) (*map)[f.name] = f.data;
  return Value(std::shared_ptr<const Object>(std::make_shared<FilesObject>(std::move(map))));
}

Value make_capabilities_object(const KubeVersion& kube, std::vector<std::string> api_versions) {
  return Value(std::shared_ptr<const Object>(
      std::make_shared<CapabilitiesObject>(kube, std::move(api_versions))));
}

Value make_chart_object(const ChartMetadata& md, bool is_root) {
  std::vector<Value> maintainers, dependencies;
  for (const auto& m : md.maintainers) maintainers.push_back(maintainer_value(m));
  for (const auto& d : md.dependencies) dependencies.push_back(dependency_value(d));
  Value annotations =
      md.annotations.empty() ? Value::nil_map("string") : string_map(md.annotations);
  return make_struct("struct { chart.Metadata; IsRoot bool }", "struct",
                     {{"Name", "name", true, Value(md.name)},
                      {"Home", "home", true, Value(md.home)},
                      {"Sources", "sources", true, strings_or_nil(md.sources)},
                      {"Version", "version", true, Value(md.version)},
                      {"Description", "description", true, Value(md.description)},
                      {"Keywords", "keywords", true, strings_or_nil(md.keywords)},
                      {"Maintainers", "maintainers", true,
                       object_list(std::move(maintainers), "*chart.Maintainer")},
                      {"Icon", "icon", true, Value(md.icon)},
                      {"APIVersion", "apiVersion", true, Value(md.api_version)},
                      {"Condition", "condition", true, Value(md.condition)},
                      {"Tags", "tags", true, Value(md.tags)},
                      {"AppVersion", "appVersion", true, Value(md.app_version)},
                      {"Deprecated", "deprecated", true, Value(md.deprecated)},
                      {"Annotations", "annotations", true, annotations},
                      {"KubeVersion", "kubeVersion", true, Value(md.kube_version)},
                      {"Dependencies", "dependencies", true,
                       object_list(std::move(dependencies), "*chart.Dependency")},
                      {"Type", "type", true, Value(md.type)},
                      {"IsRoot", "", false, Value(is_root)}});
}

}  // namespace cairn::render::detail
