// Registry: an immutable State snapshot (built-ins plus the entries of every installed CRD, and
// the lookup indexes derived from them) replaced as a whole under mu_ on every change, so that
// readers only copy a shared_ptr while holding the lock (see resources.h for the contract).
#include "apiserver/resources.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace cairn::apiserver {

// The built-in kinds (defined in resources_builtin.cpp; private to this library, so declared
// here rather than in the shared header).
std::vector<ResourceInfo> builtin_resources();

namespace {

using Entry = std::shared_ptr<const ResourceInfo>;

std::string lookup_key(std::string_view group, std::string_view version, std::string_view name) {
  std::string key;
  key.reserve(group.size() + version.size() + name.size() + 2);
  key.append(group).push_back('\0');
  key.append(version).push_back('\0');
  key.append(name);
  return key;
}

// A version string split the way apimachinery's CompareKubeAwareVersionStrings reads it:
// v<major>[(alpha|beta)<minor>]. Stability: 2 GA, 1 beta, 0 alpha.
struct KubeVersion {
  bool kube_like = false;
  int major = 0;
  int stability = 2;
  int minor = 0;
};

KubeVersion parse_kube_version(std::string_view v) {
  KubeVersion out;
  if (v.size() < 2 || v[0] != 'v') return out;
  const char* begin = v.data() + 1;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(begin, end, out.major);
  if (ec != std::errc() || p == begin || out.major <= 0) return out;
  std::string_view rest(p, static_cast<std::size_t>(end - p));
  if (rest.empty()) {
    out.kube_like = true;
    return out;
  }
  std::string_view digits;
  if (rest.substr(0, 5) == "alpha") {
    out.stability = 0;
    digits = rest.substr(5);
  } else if (rest.substr(0, 4) == "beta") {
    out.stability = 1;
    digits = rest.substr(4);
  } else {
    return out;
  }
  if (digits.empty()) return out;
  auto [q, ec2] = std::from_chars(digits.data(), digits.data() + digits.size(), out.minor);
  if (ec2 != std::errc() || q != digits.data() + digits.size() || out.minor <= 0) return out;
  out.kube_like = true;
  return out;
}

// True when version a is preferred over b: GA before beta before alpha, higher numbers first,
// versions that do not look like Kubernetes versions last in lexical order.
bool kube_version_less(const std::string& a, const std::string& b) {
  KubeVersion va = parse_kube_version(a);
  KubeVersion vb = parse_kube_version(b);
  if (va.kube_like != vb.kube_like) return va.kube_like;
  if (!va.kube_like) return a < b;
  if (va.stability != vb.stability) return va.stability > vb.stability;
  if (va.major != vb.major) return va.major > vb.major;
  return va.minor > vb.minor;
}

}  // namespace

struct Registry::State {
  std::uint64_t generation = 0;
  std::vector<Entry> builtins;                     // built-in table order
  std::map<std::string, std::vector<Entry>> crds;  // by CRD name; versions in preference order

  // Derived indexes.
  std::vector<Entry> all;  // discovery order
  std::vector<GroupInfo> groups;
  std::unordered_map<std::string, Entry> by_resource;  // lookup_key(g, v, plural)
  std::unordered_map<std::string, Entry> by_kind;      // lookup_key(g, v, kind)
  std::map<std::pair<std::string, std::string>, std::vector<Entry>> by_group_version;

  static std::shared_ptr<const State> build(std::uint64_t generation, std::vector<Entry> builtins,
                                            std::map<std::string, std::vector<Entry>> crds);
};

std::shared_ptr<const Registry::State> Registry::State::build(
    std::uint64_t generation, std::vector<Entry> builtins,
    std::map<std::string, std::vector<Entry>> crds) {
  auto state = std::make_shared<State>();
  state->generation = generation;
  state->builtins = std::move(builtins);
  state->crds = std::move(crds);

  // Group order: core, built-in groups in table order, then CRD groups by name (kube gives
  // every CRD group the same priority and breaks ties by name).
  std::vector<std::string> group_order;
  std::map<std::string, std::vector<std::string>> versions;  // group -> versions
  std::map<std::string, bool> builtin_group;
  auto add_version = [&](const ResourceInfo& info) {
    auto& vs = versions[info.group];
    if (std::find(vs.begin(), vs.end(), info.version) == vs.end()) vs.push_back(info.version);
  };
  for (const auto& e : state->builtins) {
    if (!builtin_group.count(e->group)) {
      builtin_group[e->group] = true;
      group_order.push_back(e->group);
    }
    add_version(*e);
  }
  std::set<std::string> crd_groups;
  for (const auto& [name, entries] : state->crds) {
    for (const auto& e : entries) {
      if (!builtin_group.count(e->group)) crd_groups.insert(e->group);
      add_version(*e);
    }
  }
  group_order.insert(group_order.end(), crd_groups.begin(), crd_groups.end());
  for (const auto& g : group_order) {
    std::vector<std::string> vs = versions[g];
    if (builtin_group.count(g)) {
      // Built-in versions keep their table order; CRD versions of the same group follow.
      std::stable_partition(vs.begin(), vs.end(), [&](const std::string& v) {
        return std::any_of(state->builtins.begin(), state->builtins.end(),
                           [&](const Entry& e) { return e->group == g && e->version == v; });
      });
    } else {
      std::stable_sort(vs.begin(), vs.end(), kube_version_less);
    }
    state->groups.push_back(GroupInfo{g, std::move(vs)});
  }

  auto index = [&](const Entry& e) {
    state->by_resource.emplace(lookup_key(e->group, e->version, e->resource), e);
    state->by_kind.emplace(lookup_key(e->group, e->version, e->kind), e);
    state->by_group_version[{e->group, e->version}].push_back(e);
  };
  for (const auto& e : state->builtins) index(e);
  for (const auto& [name, entries] : state->crds)
    for (const auto& e : entries) index(e);
  // Kube lists the resources of a group version sorted by name.
  for (auto& [gv, entries] : state->by_group_version) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a->resource < b->resource; });
  }
  for (const auto& g : state->groups) {
    for (const auto& v : g.versions) {
      auto it = state->by_group_version.find({g.name, v});
      if (it == state->by_group_version.end()) continue;
      state->all.insert(state->all.end(), it->second.begin(), it->second.end());
    }
  }
  return state;
}

Registry::Registry() {
  std::vector<Entry> builtins;
  for (auto& info : builtin_resources())
    builtins.push_back(std::make_shared<const ResourceInfo>(std::move(info)));
  state_ = State::build(1, std::move(builtins), {});
}

std::shared_ptr<const ResourceInfo> Registry::find(std::string_view group, std::string_view version,
                                                   std::string_view resource) const {
  std::shared_ptr<const State> state;
  {
    std::lock_guard lock(mu_);
    state = state_;
  }
  auto it = state->by_resource.find(lookup_key(group, version, resource));
  return it == state->by_resource.end() ? nullptr : it->second;
}

std::shared_ptr<const ResourceInfo> Registry::find_kind(std::string_view group,
                                                        std::string_view version,
                                                        std::string_view kind) const {
  std::shared_ptr<const State> state;
  {
    std::lock_guard lock(mu_);
    state = state_;
  }
  auto it = state->by_kind.find(lookup_key(group, version, kind));
  return it == state->by_kind.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const ResourceInfo>> Registry::all() const {
  std::lock_guard lock(mu_);
  return state_->all;
}

std::vector<GroupInfo> Registry::groups() const {
  std::lock_guard lock(mu_);
  return state_->groups;
}

std::vector<std::shared_ptr<const ResourceInfo>> Registry::group_version(
    std::string_view group, std::string_view version) const {
  std::shared_ptr<const State> state;
  {
    std::lock_guard lock(mu_);
    state = state_;
  }
  auto it = state->by_group_version.find({std::string(group), std::string(version)});
  if (it == state->by_group_version.end()) return {};
  return it->second;
}

Result<void> Registry::set_crd(const std::string& crd_name, std::vector<ResourceInfo> versions) {
  std::vector<Entry> entries;
  entries.reserve(versions.size());
  for (auto& info : versions) {
    info.custom = true;
    info.crd_name = crd_name;
    entries.push_back(std::make_shared<const ResourceInfo>(std::move(info)));
  }

  std::lock_guard lock(mu_);
  // Names in use in the same group by others, as apiextensions' naming controller collects
  // them: resource names (plural, singular, short names) and kind names (kind, list kind).
  std::set<std::string> used_resource_names;
  std::set<std::string> used_kinds;
  auto collect = [&](const Entry& other, const std::string& group) {
    if (other->group != group) return;
    used_resource_names.insert(other->resource);
    if (!other->singular.empty()) used_resource_names.insert(other->singular);
    used_resource_names.insert(other->short_names.begin(), other->short_names.end());
    used_kinds.insert(other->kind);
    if (!other->list_kind.empty()) used_kinds.insert(other->list_kind);
  };
  for (const auto& e : entries) {
    used_resource_names.clear();
    used_kinds.clear();
    for (const auto& other : state_->builtins) collect(other, e->group);
    for (const auto& [name, others] : state_->crds) {
      if (name == crd_name) continue;
      for (const auto& other : others) collect(other, e->group);
    }
    auto conflict = [](const std::string& name) {
      return error(StatusCode::kConflict, "\"" + name + "\" is already in use");
    };
    if (used_resource_names.count(e->resource)) return conflict(e->resource);
    if (!e->singular.empty() && used_resource_names.count(e->singular))
      return conflict(e->singular);
    for (const auto& s : e->short_names)
      if (used_resource_names.count(s)) return conflict(s);
    if (used_kinds.count(e->kind)) return conflict(e->kind);
    if (!e->list_kind.empty() && used_kinds.count(e->list_kind)) return conflict(e->list_kind);
  }

  auto crds = state_->crds;
  if (entries.empty()) {
    crds.erase(crd_name);
  } else {
    crds[crd_name] = std::move(entries);
  }
  state_ = State::build(state_->generation + 1, state_->builtins, std::move(crds));
  return {};
}

void Registry::remove_crd(const std::string& crd_name) {
  std::lock_guard lock(mu_);
  if (!state_->crds.count(crd_name)) return;
  auto crds = state_->crds;
  crds.erase(crd_name);
  state_ = State::build(state_->generation + 1, state_->builtins, std::move(crds));
}

std::uint64_t Registry::generation() const {
  std::lock_guard lock(mu_);
  return state_->generation;
}

}  // namespace cairn::apiserver
