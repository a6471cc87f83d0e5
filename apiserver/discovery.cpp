// Discovery documents built from Registry snapshots (see discovery.h).
#include "apiserver/discovery.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::apiserver {
namespace {

using nlohmann::json;

const std::vector<std::string>& standard_verbs() {
  static const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                                  "list",   "patch",  "update",           "watch"};
  return kVerbs;
}

const std::vector<std::string>& verbs_of(const ResourceInfo& info) {
  return info.verbs.empty() ? standard_verbs() : info.verbs;
}

// A served subresource: name, the kind it answers with, and its verbs.
struct Subresource {
  std::string name;
  std::string group;
  std::string version;
  std::string kind;
  std::vector<std::string> verbs;
};

std::vector<Subresource> subresources_of(const ResourceInfo& info) {
  std::vector<Subresource> out;
  const std::vector<std::string> rw = {"get", "patch", "update"};
  if (info.has_status) out.push_back({"status", info.group, info.version, info.kind, rw});
  if (info.scale) out.push_back({"scale", "autoscaling", "v1", "Scale", rw});
  for (const auto& extra : info.extra_subresources) {
    // namespaces/finalize is the only extra kube serves; it is update-only.
    std::vector<std::string> verbs = extra == "finalize" ? std::vector<std::string>{"update"} : rw;
    out.push_back({extra, info.group, info.version, info.kind, std::move(verbs)});
  }
  std::sort(out.begin(), out.end(),
            [](const Subresource& a, const Subresource& b) { return a.name < b.name; });
  return out;
}

// A stable 8-byte digest of the storage group/version/kind, base64-encoded like kube's
// storageVersionHash (which takes 8 bytes of a SHA-256). FNV-1a suffices: it only has to change
// when the storage version changes.
std::string storage_version_hash(const ResourceInfo& info) {
  const std::string& storage = info.storage_version.empty() ? info.version : info.storage_version;
  std::string text = info.group + "/" + storage + "/" + info.kind;
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  std::array<unsigned char, 8> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>(h >> (8 * (7 - i)));
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint32_t>(bytes[i]) << 16;
    std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    if (n > 1) chunk |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (n > 2) chunk |= bytes[i + 2];
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[chunk & 63] : '=');
  }
  return out;
}

std::string group_version_string(std::string_view group, std::string_view version) {
  return group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
}

json group_version_entry(const std::string& group, const std::string& version) {
  return {{"groupVersion", group_version_string(group, version)}, {"version", version}};
}

json api_group(const GroupInfo& g) {
  json versions = json::array();
  for (const auto& v : g.versions) versions.push_back(group_version_entry(g.name, v));
  json out = {{"name", g.name}, {"versions", std::move(versions)}};
  if (!g.versions.empty()) out["preferredVersion"] = group_version_entry(g.name, g.versions[0]);
  return out;
}

json response_kind(const std::string& group, const std::string& version, const std::string& kind) {
  return {{"group", group}, {"version", version}, {"kind", kind}};
}

json aggregated_resource(const ResourceInfo& info) {
  json r = {{"resource", info.resource},
            {"responseKind", response_kind(info.group, info.version, info.kind)},
            {"scope", info.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", info.singular},
            {"verbs", verbs_of(info)}};
  if (!info.short_names.empty()) r["shortNames"] = info.short_names;
  if (!info.categories.empty()) r["categories"] = info.categories;
  std::vector<Subresource> subs = subresources_of(info);
  if (!subs.empty()) {
    json list = json::array();
    for (const auto& s : subs) {
      list.push_back({{"subresource", s.name},
                      {"responseKind", response_kind(s.group, s.version, s.kind)},
                      {"verbs", s.verbs}});
    }
    r["subresources"] = std::move(list);
  }
  return r;
}

json aggregated_group(const Registry& registry, const GroupInfo& g) {
  json versions = json::array();
  for (const auto& v : g.versions) {
    json resources = json::array();
    for (const auto& info : registry.group_version(g.name, v))
      resources.push_back(aggregated_resource(*info));
    versions.push_back(
        {{"version", v}, {"freshness", "Current"}, {"resources", std::move(resources)}});
  }
  return {{"metadata", {{"name", g.name}}}, {"versions", std::move(versions)}};
}

}  // namespace

nlohmann::json version_info() {
#if defined(__aarch64__)
  constexpr const char* kPlatform = "linux/arm64";
#else
  constexpr const char* kPlatform = "linux/amd64";
#endif
  return {{"major", "1"},
          {"minor", "31"},
          {"gitVersion", "v1.31.0"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2026-01-01T00:00:00Z"},
          {"goVersion", "go1.22.5"},
          {"compiler", "gc"},
          {"platform", kPlatform}};
}

nlohmann::json legacy_api_versions(std::string_view server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

nlohmann::json legacy_api_group_list(const Registry& registry) {
  json groups = json::array();
  for (const auto& g : registry.groups()) {
    if (!g.name.empty()) groups.push_back(api_group(g));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}};
}

std::optional<nlohmann::json> legacy_api_group(const Registry& registry, std::string_view group) {
  if (group.empty()) return std::nullopt;
  for (const auto& g : registry.groups()) {
    if (g.name != group) continue;
    json out = {{"kind", "APIGroup"}, {"apiVersion", "v1"}};
    out.update(api_group(g));
    return out;
  }
  return std::nullopt;
}

std::optional<nlohmann::json> legacy_api_resource_list(const Registry& registry,
                                                       std::string_view group,
                                                       std::string_view version) {
  auto infos = registry.group_version(group, version);
  if (infos.empty()) return std::nullopt;
  json resources = json::array();
  for (const auto& info : infos) {
    json r = {{"name", info->resource},
              {"singularName", info->singular},
              {"namespaced", info->namespaced},
              {"kind", info->kind},
              {"verbs", verbs_of(*info)}};
    if (!info->short_names.empty()) r["shortNames"] = info->short_names;
    if (!info->categories.empty()) r["categories"] = info->categories;
    r["storageVersionHash"] = storage_version_hash(*info);
    resources.push_back(std::move(r));
    for (const auto& s : subresources_of(*info)) {
      json sub = {{"name", info->resource + "/" + s.name},
                  {"singularName", ""},
                  {"namespaced", info->namespaced}};
      if (s.group != info->group || s.version != info->version) {
        sub["group"] = s.group;
        sub["version"] = s.version;
      }
      sub["kind"] = s.kind;
      sub["verbs"] = s.verbs;
      resources.push_back(std::move(sub));
    }
  }
  // Kube sorts the entries of a group version by name (subresources right after their parent).
  std::stable_sort(resources.begin(), resources.end(), [](const json& a, const json& b) {
    return a["name"].get_ref<const std::string&>() < b["name"].get_ref<const std::string&>();
  });
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group_version_string(group, version)},
              {"resources", std::move(resources)}};
}

nlohmann::json aggregated_discovery(const Registry& registry, bool core) {
  json items = json::array();
  for (const auto& g : registry.groups()) {
    if (g.name.empty() != core) continue;
    items.push_back(aggregated_group(registry, g));
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/v2"},
          {"metadata", json::object()},
          {"items", std::move(items)}};
}

}  // namespace cairn::apiserver
