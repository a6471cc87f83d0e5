// Rules both controllers apply: a stack's feed and credentials, the class a Cluster uses, release
// ownership, conditions and status writes (clusterstack_common.h).
#include "controllers/clusterstack_common.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "kube/detail/text.h"
#include "kube/objects.h"
#include "sources/digest.h"

namespace cairn::controllers {
namespace {

using nlohmann::json;

const std::string& string_at(const json& object, std::string_view key) {
  return string_member(object, key);
}

// Writes an SSH private key from a Secret to keys_dir/<sha256 of the key> (0600), once.
tl::expected<std::string, std::string> write_key_file(const std::filesystem::path& dir,
                                                      const std::string& key) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::make_unexpected("cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  const std::filesystem::path path = dir / sources::sha256_hex(key);
  if (std::filesystem::exists(path, ec)) return path.string();
  const std::filesystem::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return tl::make_unexpected("cannot write an SSH key file in " + dir.string());
  std::size_t done = 0;
  while (done < key.size()) {
    const ssize_t n = ::write(fd, key.data() + done, key.size() - done);
    if (n <= 0) {
      ::close(fd);
      std::filesystem::remove(tmp, ec);
      return tl::make_unexpected("cannot write an SSH key file in " + dir.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return tl::make_unexpected("cannot write an SSH key file in " + dir.string());
  return path.string();
}

// The credentials in Secret `name` of namespace `ns` (keys token, username, password,
// ssh-privatekey; base64 in .data or plain in .stringData as the server may return neither).
tl::expected<sources::Credentials, SourceProblem> credentials_from_secret(
    Shared& shared, const std::string& ns, const std::string& name) {
  auto secret = shared.client().get(kSecretKind, ns, name);
  const std::string where = "Secret " + ns + "/" + name + " (spec.source.secretRef)";
  if (!secret) {
    if (kube::is_not_found(secret.error())) {
      return tl::make_unexpected(SourceProblem{std::string(kSecretUnusable), where + " not found"});
    }
    return tl::make_unexpected(
        SourceProblem{std::string(kSecretUnusable),
                      "cannot read " + where + ": " + secret.error().message});
  }
  sources::Credentials c;
  const json& data = (*secret).contains("data") ? (*secret)["data"] : json::object();
  auto value = [&](const char* key, std::string& out) -> bool {
    const std::string& encoded = string_at(data, key);
    if (encoded.empty()) return true;
    auto decoded = kube::detail::base64_decode(encoded);
    if (!decoded) return false;
    out = std::move(*decoded);
    return true;
  };
  std::string ssh_key;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"token", &c.token},
                          {"username", &c.username},
                          {"password", &c.password},
                          {"ssh-privatekey", &ssh_key}}) {
    if (!value(key, *out)) {
      return tl::make_unexpected(SourceProblem{
          std::string(kSecretUnusable), where + ": data." + key + " is not valid base64"});
    }
  }
  if (c.empty() && ssh_key.empty()) {
    return tl::make_unexpected(SourceProblem{
        std::string(kSecretUnusable),
        where + " has none of the keys token, username, password, ssh-privatekey"});
  }
  if (!ssh_key.empty()) {
    auto file = write_key_file(shared.keys_dir, ssh_key);
    if (!file) return tl::make_unexpected(SourceProblem{std::string(kSecretUnusable), file.error()});
    c.ssh_private_key_file = *file;
  }
  return c;
}

}  // namespace

const std::string& string_member(const json& object, std::string_view key) {
  static const std::string empty;
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ref<const std::string&>() : empty;
}

const json& object_member(const json& object, std::string_view key) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : empty;
}

kube::Predicate spec_changed_or_resync() {
  return [](const kube::ObjectEvent& e) {
    if (e.type != kube::WatchEventType::kUpdate || !e.old_object || !e.object) return true;
    const json& old_meta = object_member(*e.old_object, "metadata");
    const json& new_meta = object_member(*e.object, "metadata");
    if (old_meta.value("generation", json()) != new_meta.value("generation", json())) return true;
    if (old_meta.value("deletionTimestamp", json()) != new_meta.value("deletionTimestamp", json())) {
      return true;
    }
    return string_member(old_meta, "resourceVersion") == string_member(new_meta, "resourceVersion");
  };
}

tl::expected<StackSource, SourceProblem> resolve_source(Shared& shared,
                                                        const api::ClusterStack& stack) {
  StackSource out;
  out.interval = shared.options.default_interval;
  if (!stack.spec.source) {
    if (!shared.options.default_feed) {
      return tl::make_unexpected(SourceProblem{
          std::string(kNoSourceConfigured),
          "no release source: set spec.source.url, or start the manager with a default source "
          "(--default-source, or --source github|oci with the GIT_* / OCI_* environment "
          "variables)"});
    }
    out.url = shared.options.default_feed->url;
    out.credentials = shared.options.default_feed->credentials;
  } else {
    const api::ClusterStackSource& src = *stack.spec.source;
    auto url = sources::FeedUrl::parse(src.url);
    if (!url) {
      return tl::make_unexpected(
          SourceProblem{std::string(kInvalidSource), "spec.source.url: " + url.error().message});
    }
    if (auto refused = shared.policy->refuse_reason(*url)) {
      return tl::make_unexpected(SourceProblem{std::string(kSourceNotAllowed), *refused});
    }
    out.url = std::move(*url);
    if (!src.secret_name.empty()) {
      auto creds = credentials_from_secret(shared, stack.metadata.namespace_, src.secret_name);
      if (!creds) return tl::make_unexpected(creds.error());
      out.credentials = std::move(*creds);
    }
    if (!src.interval.empty()) {
      auto interval = api::parse_duration(src.interval);
      if (!interval) {
        return tl::make_unexpected(SourceProblem{std::string(kInvalidSource),
                                                 "spec.source.interval: " + interval.error().message});
      }
      out.interval = *interval;
    }
  }
  out.interval = std::max(out.interval, shared.options.min_interval);
  return out;
}

std::string cluster_class_of(const json& cluster) {
  auto spec = cluster.find("spec");
  if (spec == cluster.end() || !spec->is_object()) return "";
  auto topology = spec->find("topology");
  if (topology == spec->end() || !topology->is_object()) return "";
  const std::string& cls = string_at(*topology, "class");
  if (!cls.empty()) return cls;
  auto ref = topology->find("classRef");
  return ref != topology->end() ? string_at(*ref, "name") : std::string();
}

std::vector<std::string> stack_owners(const json& object) {
  std::vector<std::string> out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return out;
  for (const json& ref : *refs) {
    const std::string& api_version = string_at(ref, "apiVersion");
    if (string_at(ref, "kind") != kClusterStackKind.kind) continue;
    if (api_version.rfind(kClusterStackKind.group + "/", 0) != 0) continue;
    const std::string& name = string_at(ref, "name");
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

std::vector<std::string> releases_in_use(const Shared& shared, const std::string& ns,
                                         const api::StackIdentity& identity) {
  std::vector<std::string> out;
  for (const kube::ObjectPtr& cluster : shared.clusters->cache().list(ns)) {
    const std::string cls = cluster_class_of(*cluster);
    if (cls.empty()) continue;
    auto tag = api::ReleaseTag::parse_cluster_class(cls);
    if (!tag || !(tag->stack == identity)) continue;
    out.push_back(tag->tag());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void put_condition(json& object, std::string_view type, bool ok, std::string_view reason,
                   std::string_view severity, std::string message,
                   std::chrono::system_clock::time_point now) {
  kube::Condition c;
  c.type = std::string(type);
  c.status = std::string(ok ? kube::kConditionTrue : kube::kConditionFalse);
  c.reason = std::string(reason);
  c.message = std::move(message);
  if (!ok) c.severity = std::string(severity);
  kube::set_condition(object, c, now);
}

kube::Result<bool> write_status_if_changed(Shared& shared, const json& stored, const json& object) {
  const json empty = json::object();
  const json& before = stored.contains("status") ? stored["status"] : empty;
  const json& after = object.contains("status") ? object["status"] : empty;
  if (before == after) return false;
  json update = stored;
  update["status"] = after;
  auto written = shared.client().update_status(update);
  if (!written) return tl::make_unexpected(written.error());
  return true;
}

}  // namespace cairn::controllers
