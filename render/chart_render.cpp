// `helm template`: the engine run over a loaded chart (helm's pkg/engine) and
// the output assembly (helm's releaseutil manifest splitting and sorting,
// hooks, CRDs, `# Source:` headers), as helm v3.19.0 does it.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "render/chart.h"
#include "render/codec.h"
#include "render/detail/chart_internal.h"
#include "render/funcmap.h"
#include "render/gofmt.h"
#include "render/template.h"

namespace cairn::render {
namespace {

constexpr std::string_view kDefaultKubeVersion = "v1.34.0";

// Go's strings.TrimSpace for ASCII whitespace.
std::string_view trim_space(std::string_view s) {
  constexpr std::string_view ws = " \t\n\v\f\r";
  const std::size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool has_prefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool has_suffix(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string_view base_name(std::string_view p) {
  const std::size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}


// A map typed chartutil.Values (a shallow copy of `m`, so the parent's view
// of the same table keeps its plain map type).
Value values_map(const Value& m) {
  auto data = std::make_shared<MapData>();
  if (m.is_map() && !m.is_nil_container()) data->items = m.map().items;
  data->named_type = "chartutil.Values";
  return Value(std::move(data));
}

// ------------------------------------------------------------ templates

struct Renderable {
  std::string_view text;  // into the loaded chart, which outlives the render
  Value vals;             // the chart's render data (a map shared by its templates)
  std::string base_path;
};

using Renderables = std::map<std::string, Renderable>;

// Values.Table(name) of the parent: the subchart's table, or empty Values.
Value subchart_values(const Value& parent_values, const std::string& name) {
  Value cur = parent_values;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t dot = name.find('.', pos);
    const std::string part = name.substr(pos, dot == std::string::npos ? dot : dot - pos);
    const Value* next = cur.find(part);
    if (next == nullptr || !next->is_map() || next->is_nil_container()) return values_map({});
    cur = *next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return values_map(cur);
}

// helm's recAllTpls: the render data of `c` and every template file of it
// and its subcharts; returns the data map (the parent's .Subcharts entry).
Value collect_templates(const Chart& c, const std::string& full_path, bool is_root,
                        const Value& parent, Renderables& out) {
  Value subcharts = Value::new_map();
  Value next = Value::new_map();
  auto& items = next.map().items;
  items["Chart"] = detail::make_chart_object(c.metadata, is_root);
  items["Files"] = detail::make_files_object(c.files);
  items["Release"] = *parent.find("Release");
  items["Capabilities"] = *parent.find("Capabilities");
  items["Values"] =
      is_root ? *parent.find("Values") : subchart_values(*parent.find("Values"), c.metadata.name);
  items["Subcharts"] = subcharts;
  for (const Chart& d : c.dependencies) {
    subcharts.map().items[d.metadata.name] =
        collect_templates(d, full_path + "/charts/" + d.metadata.name, false, next, out);
  }
  std::string type = c.metadata.type;
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  const bool library = type == "library";
  for (const ChartFile& t : c.templates) {
    if (library && !has_prefix(base_name(t.name), "_")) continue;
    out[full_path + "/" + t.name] = Renderable{t.data, next, full_path + "/templates"};
  }
  return next;
}

// Parse order: deepest paths first, then reverse lexical order.
std::vector<std::string> parse_order(const Renderables& tpls) {
  std::vector<std::string> names;
  for (const auto& [name, r] : tpls) names.push_back(name);
  const auto depth = [](const std::string& s) { return std::count(s.begin(), s.end(), '/'); };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    const auto da = depth(a), db = depth(b);
    return da != db ? da > db : a > b;
  });
  return names;
}

std::vector<std::string> split_all(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) {
      out.emplace_back(s.substr(pos));
      return out;
    }
    out.emplace_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
}

// helm's cleanupParseError: "parse error at (<file>:<line>): <message>".
std::string cleanup_parse_error(const std::string& name, const std::string& message) {
  const auto tokens = split_all(message, ": ");
  if (tokens.size() == 1) return "parse error in (" + name + "): " + message;
  return "parse error at (" + tokens[1] + "): " + tokens.back();
}

// helm's cleanupExecError: `required` and `fail` messages (wrapped in
// HELM_ERR_START/END) become "execution error at (<file>:<line>:<col>): MSG";
// other errors pass unchanged.
std::string cleanup_exec_error(const std::string& message) {
  if (!has_prefix(message, "template: ")) return message;
  const std::size_t first = message.find(": ");
  const std::size_t second = message.find(": ", first + 2);
  if (second == std::string::npos) return message;
  const std::string location = message.substr(first + 2, second - first - 2);
  const std::string rest = message.substr(second + 2);
  static constexpr std::string_view kStart = "HELM_ERR_START", kEnd = "HELM_ERR_END";
  const std::size_t b = rest.find(kStart);
  const std::size_t e = rest.rfind(kEnd);
  if (b == std::string::npos || e == std::string::npos || e < b + kStart.size()) return message;
  return "execution error at (" + location +
         "): " + rest.substr(b + kStart.size(), e - b - kStart.size());
}

// helm's Engine.render: one set named by file path, every file parsed, the
// non-partials executed with their chart's data.
Result<std::map<std::string, std::string>> run_engine(Renderables& tpls) {
  TemplateOptions options;
  options.missing_key = MissingKey::Zero;
  TemplateSet set(helm_func_map(), options);
  const auto names = parse_order(tpls);
  for (const std::string& name : names) {
    if (auto r = set.parse(name, tpls[name].text); !r) {
      return make_error(cleanup_parse_error(name, r.error().message));
    }
  }
  std::map<std::string, std::string> out;
  for (const std::string& name : names) {
    if (has_prefix(base_name(name), "_")) continue;
    Renderable& r = tpls[name];
    Value tmpl = values_map({});
    tmpl.map().items["Name"] = Value(name);
    tmpl.map().items["BasePath"] = Value(r.base_path);
    r.vals.map().items["Template"] = tmpl;
    auto text = set.execute(name, r.vals);
    if (!text) return make_error(cleanup_exec_error(text.error().message));
    out[name] = remove_no_value(std::move(*text));
  }
  return out;
}

// ------------------------------------------------------------ output

const std::vector<std::string_view>& install_order() {
  static const std::vector<std::string_view> order = {"PriorityClass",
                                                      "Namespace",
                                                      "NetworkPolicy",
                                                      "ResourceQuota",
                                                      "LimitRange",
                                                      "PodSecurityPolicy",
                                                      "PodDisruptionBudget",
                                                      "ServiceAccount",
                                                      "Secret",
                                                      "SecretList",
                                                      "ConfigMap",
                                                      "StorageClass",
                                                      "PersistentVolume",
                                                      "PersistentVolumeClaim",
                                                      "CustomResourceDefinition",
                                                      "ClusterRole",
                                                      "ClusterRoleList",
                                                      "ClusterRoleBinding",
                                                      "ClusterRoleBindingList",
                                                      "Role",
                                                      "RoleList",
                                                      "RoleBinding",
                                                      "RoleBindingList",
                                                      "Service",
                                                      "DaemonSet",
                                                      "Pod",
                                                      "ReplicationController",
                                                      "ReplicaSet",
                                                      "Deployment",
                                                      "HorizontalPodAutoscaler",
                                                      "StatefulSet",
                                                      "Job",
                                                      "CronJob",
                                                      "IngressClass",
                                                      "Ingress",
                                                      "APIService"};
  return order;
}

bool known_hook_event(std::string_view e) {
  static constexpr std::string_view kEvents[] = {
      "pre-install",  "post-install", "pre-delete",    "post-delete", "pre-upgrade",
      "post-upgrade", "pre-rollback", "post-rollback", "test",        "test-success"};
  return std::find(std::begin(kEvents), std::end(kEvents), e) != std::end(kEvents);
}

// A scalar read into a Go string field by sigs.k8s.io/yaml.
std::string scalar_text(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_nothing()) return "";
  return go_format_value(v);
}

std::string json_kind(const Value& v) {
  if (v.is_list()) return "array";
  if (v.is_string()) return "string";
  if (v.is_bool()) return "bool";
  return "number";
}

// A helm.sh/hook annotation naming only known events (helm drops the others).
bool known_hook(const std::string& text) {
  for (const std::string& e : split_all(text, ",")) {
    std::string event(trim_space(e));
    std::transform(event.begin(), event.end(), event.begin(), ::tolower);
    if (!known_hook_event(event)) return false;
  }
  return true;
}

// releaseutil.SimpleHead of one document: scanned where the document allows
// (the common case, much cheaper), else decoded in full.
Result<detail::ManifestHead> parse_head(const std::string& doc) {
  if (auto head = detail::scan_manifest_head(doc)) return *std::move(head);
  return detail::decode_manifest_head(doc);
}

bool is_crd_file(std::string_view name) {
  if (!has_prefix(name, "crds/")) return false;
  std::string ext;
  const std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && name.find('/', dot) == std::string_view::npos) {
    ext = std::string(name.substr(dot));
  }
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void collect_crds(const Chart& c, const std::string& full_path, std::vector<Manifest>& out) {
  for (const ChartFile& f : c.files) {
    if (is_crd_file(f.name)) out.push_back({full_path + "/" + f.name, f.data, ""});
  }
  for (const Chart& d : c.dependencies) {
    collect_crds(d, full_path + "/charts/" + d.metadata.name, out);
  }
}

void append_manifest(std::string& out, const Manifest& m) {
  out += "---\n# Source: ";
  out += m.name;
  out += '\n';
  out += m.content;
  out += '\n';
}

// Rendered files -> helm template's text.
Result<std::string> assemble_output(const std::map<std::string, std::string>& files,
                                    const Chart& chart, bool include_crds) {
  std::vector<Manifest> generic, hooks;
  for (const auto& [name, content] : files) {
    if (has_suffix(name, "NOTES.txt")) continue;
    if (has_prefix(base_name(name), "_") || trim_space(content).empty()) continue;
    for (std::string& doc : split_manifests(content)) {
      auto head = parse_head(doc);
      if (!head) {
        return tl::unexpected(
            Error{"YAML parse error on " + name + ": " + head.error().message});
      }
      Manifest m{name, std::move(doc), std::move(head->kind)};
      if (!head->hook) {
        generic.push_back(std::move(m));
      } else if (known_hook(head->hook_text)) {
        hooks.push_back(std::move(m));
      }
    }
  }
  sort_manifests_by_kind(generic);
  sort_manifests_by_kind(hooks);
  std::string body;
  if (include_crds) {
    std::vector<Manifest> crds;
    collect_crds(chart, chart.metadata.name, crds);
    for (const Manifest& m : crds) append_manifest(body, m);
  }
  for (const Manifest& m : generic) append_manifest(body, m);
  std::string out(trim_space(body));
  out += '\n';
  for (const Manifest& m : hooks) append_manifest(out, m);
  return out;
}

// ------------------------------------------------------------ inputs

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("open " + path + ": no such file or directory");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// -f files merged left to right, each read through sigs.k8s.io/yaml.
Result<Value> read_user_values(const std::vector<std::string>& paths) {
  Value vals = Value::new_map();
  for (const std::string& p : paths) {
    auto text = read_file(p);
    if (!text) return tl::unexpected(text.error());
    auto doc = yaml_decode(*text);
    if (!doc) return make_error("failed to parse " + p + ": " + doc.error().message);
    if (doc->is_nothing()) continue;
    if (!doc->is_map()) {
      return make_error("failed to parse " + p +
                        ": error unmarshaling JSON: json: cannot unmarshal " + json_kind(*doc) +
                        " into Go value of type map[string]interface {}");
    }
    vals = merge_user_values(vals, *doc);
  }
  return vals;
}

// helm's action.CheckDependencies: every Chart.yaml dependency is in charts/.
Result<void> check_dependencies(const Chart& c) {
  std::string missing;
  for (const ChartDependency& r : c.metadata.dependencies) {
    const bool found = std::any_of(c.dependencies.begin(), c.dependencies.end(),
                                   [&](const Chart& d) { return d.metadata.name == r.name; });
    if (!found) missing += (missing.empty() ? "" : ", ") + r.name;
  }
  if (missing.empty()) return {};
  return make_error(
      "An error occurred while checking for chart dependencies. You may need to run `helm "
      "dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in "
      "charts/ directory: " +
      missing);
}

Value release_map(const ChartRenderOptions& o) {
  Value r = Value::new_map();
  auto& items = r.map().items;
  items["Name"] = Value(o.release_name);
  items["Namespace"] = Value(o.namespace_name);
  items["IsUpgrade"] = Value(o.is_upgrade);
  items["IsInstall"] = Value(!o.is_upgrade);
  items["Revision"] = Value::integer(o.revision);
  items["Service"] = Value("Helm");
  return r;
}

}  // namespace

Result<detail::ManifestHead> detail::decode_manifest_head(const std::string& doc) {
  auto parsed = yaml_decode(doc);
  if (!parsed) return tl::unexpected(parsed.error());
  ManifestHead head;
  if (parsed->is_nothing()) return head;
  if (!parsed->is_map()) {
    return make_error("error unmarshaling JSON: json: cannot unmarshal " + json_kind(*parsed) +
                      " into Go value of type releaseutil.SimpleHead");
  }
  if (const Value* k = parsed->find("kind")) head.kind = scalar_text(*k);
  const Value* md = parsed->find("metadata");
  if (md == nullptr || md->is_nothing()) return head;
  if (!md->is_map()) {
    return make_error("error unmarshaling JSON: json: cannot unmarshal " + json_kind(*md) +
                      " into Go struct field SimpleHead.metadata of type struct { Name string "
                      "\"json:\\\"name\\\"\"; Annotations map[string]string "
                      "\"json:\\\"annotations\\\"\" }");
  }
  const Value* ann = md->find("annotations");
  if (ann == nullptr || !ann->is_map() || ann->is_nil_container()) return head;
  const Value* hook = ann->find("helm.sh/hook");
  if (hook == nullptr) return head;
  head.hook = true;
  head.hook_text = scalar_text(*hook);
  return head;
}

std::vector<std::string> split_manifests(std::string_view text) {
  // The regexp's \s: ASCII whitespace without \v.
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
  };
  const std::string_view s = trim_space(text);
  std::vector<std::string> out;
  const auto keep = [&out](std::string_view doc) {
    if (!doc.empty()) out.emplace_back(trim_space(doc));
  };
  // The regexp's leftmost matches, found by hand (RE2 cost as much as the
  // rest of the output assembly): "---" at the start, else the first "\n---"
  // with the whitespace before it; either with the whitespace after it.
  std::size_t begin = 0;
  for (;;) {
    std::size_t mb = 0, me = 3;
    if (begin != 0 || !s.starts_with("---")) {
      mb = s.find("\n---", begin);
      if (mb == std::string_view::npos) break;
      me = mb + 4;
      while (mb > begin && is_space(s[mb - 1])) --mb;
    }
    while (me < s.size() && is_space(s[me])) ++me;
    keep(s.substr(begin, mb - begin));
    begin = me;
  }
  keep(s.substr(begin));
  return out;
}

void sort_manifests_by_kind(std::vector<Manifest>& manifests) {
  std::unordered_map<std::string_view, std::size_t> rank;
  const auto& order = install_order();
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  std::stable_sort(manifests.begin(), manifests.end(), [&](const Manifest& a, const Manifest& b) {
    const auto ia = rank.find(a.kind), ib = rank.find(b.kind);
    const bool ka = ia != rank.end(), kb = ib != rank.end();
    if (!ka && !kb) return a.kind < b.kind;
    if (!ka || !kb) return ka;
    return ia->second < ib->second;
  });
}

Result<std::string> render_chart(const ChartRenderOptions& opts) {
  auto user = read_user_values(opts.values_files);
  if (!user) return tl::unexpected(user.error());
  auto chart = load_chart(opts.chart);
  if (!chart) return tl::unexpected(chart.error());
  Chart& c = *chart;
  if (!c.metadata.type.empty() && c.metadata.type != "application") {
    return make_error(c.metadata.type + " charts are not installable");
  }
  if (auto r = check_dependencies(c); !r) return tl::unexpected(r.error());
  if (auto r = process_dependencies(c, *user); !r) return tl::unexpected(r.error());

  auto kube = detail::parse_kube_version(kDefaultKubeVersion);
  if (!opts.kube_version.empty()) {
    kube = detail::parse_kube_version(opts.kube_version);
    if (!kube) {
      return make_error("invalid kube version '" + opts.kube_version +
                        "': " + kube.error().message);
    }
  }
  std::vector<std::string> api_versions = detail::default_api_versions();
  api_versions.insert(api_versions.end(), opts.api_versions.begin(), opts.api_versions.end());

  auto vals = coalesce_values(c, *user, false);
  if (!vals) return tl::unexpected(vals.error());
  Value top = Value::new_map();
  top.map().items["Capabilities"] =
      detail::make_capabilities_object(*kube, std::move(api_versions));
  top.map().items["Release"] = release_map(opts);
  top.map().items["Values"] = values_map(*vals);

  if (!c.metadata.kube_version.empty() &&
      !detail::semver_compatible(c.metadata.kube_version, kube->version)) {
    return tl::unexpected(
        Error{"chart requires kubeVersion: " + c.metadata.kube_version +
              " which is incompatible with Kubernetes " + kube->version});
  }
  Renderables tpls;
  collect_templates(c, c.metadata.name, true, top, tpls);
  auto files = run_engine(tpls);
  if (!files) return tl::unexpected(files.error());
  return assemble_output(*files, c, opts.include_crds);
}

}  // namespace cairn::render
