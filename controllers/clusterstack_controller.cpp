// ClusterStackController: wanted releases, garbage collection and status (clusterstack_controller.h).
#include "controllers/clusterstack_controller.h"

#include <algorithm>
#include <map>
#include <set>

#include "kube/objects.h"

namespace cairn::controllers {
namespace {

using nlohmann::json;

const std::string& string_at(const json& object, std::string_view key) {
  return string_member(object, key);
}

const json& section(const json& object, std::string_view key) { return object_member(object, key); }

bool release_ready(const json& release) {
  auto ready = section(release, "status").find("ready");
  return ready != section(release, "status").end() && ready->is_boolean() && ready->get<bool>();
}

// The phase of a release as the Go operator derives it for status.summary[].phase.
std::string release_phase(const json& release) {
  if (kube::is_condition_true(release, kReady)) return std::string(api::kPhaseDone);
  if (kube::is_condition_true(release, kProviderClusterStackReleaseReady)) {
    return std::string(api::kPhaseApplyingObjects);
  }
  if (kube::is_condition_true(release, kClusterStackReleaseDownloaded)) {
    return std::string(api::kPhaseProviderSpecificWork);
  }
  if (kube::get_condition(release, kClusterStackReleaseDownloaded)) {
    return std::string(api::kPhaseDownloadingAssets);
  }
  return std::string(api::kPhaseNone);
}

// a is newer than b. Unordered versions (two hashes of one major) are not newer: the first one
// seen stays.
bool newer(const api::Version& a, const api::Version& b) {
  return api::compare(a, b) == std::partial_ordering::greater;
}

}  // namespace

kube::Result<void> ClusterStackController::setup() {
  kube::Manager& manager = *shared_.manager;
  Shared* shared = &shared_;
  // Releases: their owners, when the status changed, on creation and deletion.
  kube::MapFunc release_owners = [](const json& release) {
    std::vector<kube::ObjectKey> keys;
    const std::string& ns = string_at(section(release, "metadata"), "namespace");
    for (const std::string& name : stack_owners(release)) keys.push_back({ns, name});
    return keys;
  };
  kube::Predicate status_changed = [](const kube::ObjectEvent& e) {
    if (e.type != kube::WatchEventType::kUpdate || !e.old_object || !e.object) return true;
    return section(*e.old_object, "status") != section(*e.object, "status");
  };
  // Clusters: the stacks of the namespace whose identity the (old or new) class names.
  kube::MapFunc cluster_stacks = [shared](const json& cluster) {
    std::vector<kube::ObjectKey> keys;
    const std::string cls = cluster_class_of(cluster);
    auto tag = api::ReleaseTag::parse_cluster_class(cls);
    if (!tag) return keys;
    const std::string& ns = string_at(section(cluster, "metadata"), "namespace");
    for (const kube::ObjectPtr& stack : shared->stacks->cache().list(ns)) {
      auto decoded = api::decode<api::ClusterStack>(*stack);
      if (!decoded) continue;
      auto identity = decoded->identity();
      if (identity && *identity == tag->stack) keys.push_back(kube::ObjectKey::of(*stack));
    }
    return keys;
  };
  kube::Predicate class_changed = [](const kube::ObjectEvent& e) {
    if (e.type != kube::WatchEventType::kUpdate || !e.old_object || !e.object) return true;
    return cluster_class_of(*e.old_object) != cluster_class_of(*e.object);
  };
  auto controller =
      kube::ControllerBuilder(manager, "clusterstack")
          .for_kind(kClusterStackKind, {spec_changed_or_resync()})
          .watches(kClusterStackReleaseKind, release_owners, {status_changed})
          .watches(kClusterKind, cluster_stacks, {class_changed})
          .concurrency(shared_.options.clusterstack_concurrency)
          .complete([this](kube::ReconcileContext& ctx) { return reconcile(ctx); });
  if (!controller) return tl::make_unexpected(controller.error());
  controller_ = *controller;
  return {};
}

void ClusterStackController::enqueue(const std::vector<std::string>& keys) {
  if (controller_ == nullptr) return;
  for (const std::string& key : keys) controller_->queue().add(key);
}

kube::ReconcileOutcome ClusterStackController::reconcile(kube::ReconcileContext& ctx) {
  const std::string key = ctx.key.str();
  kube::ObjectPtr stored = shared_.stacks->cache().get(ctx.key);
  if (!stored || kube::is_being_deleted(*stored)) {
    // Its releases go with it (owner references); the feed loses a subscriber.
    shared_.hub->unsubscribe(key);
    return kube::ReconcileResult::done();
  }
  auto stack = api::decode<api::ClusterStack>(*stored);
  if (!stack) {
    ctx.logger.error("the ClusterStack cannot be read", {{"error", stack.error().message}});
    return kube::ReconcileResult::done();
  }
  auto identity = stack->identity();
  if (!identity) {
    ctx.logger.error("the ClusterStack names no valid stack", {{"error", identity.error().message}});
    return kube::ReconcileResult::done();
  }
  const bool custom = stack->spec.channel == api::kChannelCustom;
  auto matches = [&](const api::ReleaseTag& t) {
    return t.stack == *identity && t.version.stable() != custom;
  };
  const std::string& ns = ctx.key.ns;
  const auto now = std::chrono::system_clock::now();
  json object = *stored;
  kube::Client& client = shared_.client();

  // The releases this stack owns, by name.
  std::map<std::string, kube::ObjectPtr> owned;
  for (const kube::ObjectPtr& release : shared_.releases->cache().list(ns)) {
    const auto owners = stack_owners(*release);
    if (std::find(owners.begin(), owners.end(), stack->metadata.name) == owners.end()) continue;
    owned[string_at(section(*release, "metadata"), "name")] = release;
  }

  // The newest ready release.
  std::optional<api::ReleaseTag> latest_ready;
  std::string latest_ready_kubernetes;
  for (const auto& [name, release] : owned) {
    auto tag = api::ReleaseTag::parse(name);
    if (!tag || !matches(*tag) || !release_ready(*release)) continue;
    if (!latest_ready || newer(tag->version, latest_ready->version)) {
      latest_ready = *tag;
      latest_ready_kubernetes = string_at(section(*release, "status"), "kubernetesVersion");
    }
  }

  // What is wanted: spec.versions and, with autoSubscribe, the newest release of the feed.
  std::set<std::string> wanted;
  for (const std::string& text : stack->spec.versions) {
    auto version = api::Version::parse_dot(text);
    if (version) wanted.insert(api::ReleaseTag{*identity, *version}.tag());
  }
  std::string no_release_message;
  // With autoSubscribe the feed's newest release is wanted too: until the feed is listed (or
  // while it is refused or cannot be opened) that one is unknown, and nothing is collected.
  bool wanted_known = true;
  if (stack->spec.auto_subscribe) {
    auto source = resolve_source(shared_, *stack);
    sources::Result<FeedState> state = tl::make_unexpected(sources::Error{});
    if (source) {
      state = shared_.hub->subscribe(key, source->url, source->credentials, source->interval);
    } else {
      shared_.hub->unsubscribe(key);
    }
    if (!source || !state) {
      const std::string reason = source ? std::string(kFailedCreateAssetsClient) : source.error().reason;
      const std::string message = source ? state.error().message : source.error().message;
      if (!kube::get_condition(object, kAssetsClientAPIAvailable) ||
          kube::is_condition_true(object, kAssetsClientAPIAvailable) ||
          kube::get_condition(object, kAssetsClientAPIAvailable)->message != message) {
        shared_.events().warning(*stored, kFailedCreateAssetsClient, message);
      }
      put_condition(object, kAssetsClientAPIAvailable, false, reason, kSeverityError, message, now);
      kube::remove_condition(object, kReleasesSynced);
      wanted_known = false;
    } else {
      put_condition(object, kAssetsClientAPIAvailable, true, "", "", "", now);
      const std::string feed = source->url.str();
      if (!state->listed) {
        wanted_known = false;
        put_condition(object, kReleasesSynced, false,
                      state->error ? kFailedToSync : kReleasesNotListedYet,
                      state->error ? kSeverityWarning : kSeverityInfo,
                      state->error ? state->error->message : "listing the releases of " + feed,
                      now);
      } else {
        if (state->error) {
          put_condition(object, kReleasesSynced, false, kFailedToSync, kSeverityWarning,
                        state->error->message + " (using the " +
                            std::to_string(state->tags.size()) + " tags listed before)",
                        now);
        } else {
          put_condition(object, kReleasesSynced, true, "", "", "", now);
        }
        std::optional<api::ReleaseTag> latest;
        for (const std::string& text : state->tags) {
          auto tag = api::ReleaseTag::parse(text);
          if (!tag || !matches(*tag)) continue;
          if (!latest || newer(tag->version, latest->version)) latest = *tag;
        }
        if (latest) {
          wanted.insert(latest->tag());
        } else {
          no_release_message = "the feed " + feed + " has no release of " + identity->str() +
                               " in channel " + stack->spec.channel;
        }
      }
    }
  } else {
    shared_.hub->unsubscribe(key);
    kube::remove_condition(object, kAssetsClientAPIAvailable);
    kube::remove_condition(object, kReleasesSynced);
  }

  // Kept besides the wanted: the newest ready release and every release a Cluster uses.
  std::set<std::string> keep = wanted;
  if (latest_ready) keep.insert(latest_ready->tag());
  for (std::string& tag : releases_in_use(shared_, ns, *identity)) keep.insert(std::move(tag));

  std::vector<std::string> sync_errors;
  for (const auto& [name, release] : owned) {
    if (!wanted_known) break;
    if (keep.count(name) != 0 || kube::is_being_deleted(*release)) continue;
    kube::DeleteOptions options;
    options.propagation_policy = "Background";
    auto removed = client.remove(kClusterStackReleaseKind, ns, name, options);
    if (!removed && !kube::is_not_found(removed.error())) {
      sync_errors.push_back("cannot delete ClusterStackRelease " + name + ": " +
                            removed.error().message);
      shared_.events().warning(*stored, "FailedToDeleteClusterStackRelease", sync_errors.back());
      continue;
    }
    ctx.logger.info("deleted a release nothing uses", {{"release", name}});
    shared_.events().normal(*stored, "ClusterStackReleaseDeleted",
                            "deleted ClusterStackRelease " + name + ": not wanted, not in use");
  }

  // Create the wanted releases that do not exist; adopt an ownerless one of the same name.
  for (const std::string& name : wanted) {
    if (owned.count(name) != 0) continue;
    json release = {{"apiVersion", kClusterStackReleaseKind.api_version()},
                    {"kind", kClusterStackReleaseKind.kind},
                    {"metadata", {{"name", name}, {"namespace", ns}}},
                    {"spec", json::object()}};
    if (auto set = kube::set_controller_reference(*stored, release); !set) {
      sync_errors.push_back(set.error().message);
      continue;
    }
    auto created = client.create(release);
    if (created) {
      ctx.logger.info("created a release", {{"release", name}});
      shared_.events().normal(*stored, "ClusterStackReleaseCreated",
                              "created ClusterStackRelease " + name);
      owned[name] = std::make_shared<const json>(std::move(*created));
      continue;
    }
    if (!kube::is_already_exists(created.error())) {
      sync_errors.push_back("cannot create ClusterStackRelease " + name + ": " +
                            created.error().message);
      shared_.events().warning(*stored, "ErrorCreatingClusterStackRelease", sync_errors.back());
      continue;
    }
    auto existing = client.get(kClusterStackReleaseKind, ns, name);
    if (!existing) {
      sync_errors.push_back("cannot read ClusterStackRelease " + name + ": " +
                            existing.error().message);
      continue;
    }
    const auto others = stack_owners(*existing);
    if (std::find(others.begin(), others.end(), stack->metadata.name) != others.end()) {
      owned[name] = std::make_shared<const json>(std::move(*existing));  // cache lagged behind
      continue;
    }
    if (!others.empty()) {
      sync_errors.push_back("ClusterStackRelease " + name + " exists and belongs to ClusterStack " +
                            others.front());
      continue;
    }
    json adopted = *existing;
    if (auto set = kube::set_controller_reference(*stored, adopted); !set) {
      sync_errors.push_back("cannot adopt ClusterStackRelease " + name + ": " +
                            set.error().message);
      continue;
    }
    auto updated = client.update(adopted);
    if (!updated) {
      sync_errors.push_back("cannot adopt ClusterStackRelease " + name + ": " +
                            updated.error().message);
      continue;
    }
    owned[name] = std::make_shared<const json>(std::move(*updated));
  }
  if (sync_errors.empty()) {
    put_condition(object, kClusterStackReleasesSynced, true, "", "", "", now);
  } else {
    std::string message = sync_errors.front();
    if (sync_errors.size() > 1) message += " (and " + std::to_string(sync_errors.size() - 1) + " more)";
    put_condition(object, kClusterStackReleasesSynced, false, kFailedToCreateOrUpdate,
                  kSeverityWarning, message, now);
  }

  // status.summary: the kept releases that exist, oldest version first.
  struct Entry {
    api::ReleaseTag tag;
    const json* release;
  };
  std::vector<Entry> entries;
  for (const std::string& name : keep) {
    auto found = owned.find(name);
    auto tag = api::ReleaseTag::parse(name);
    if (found == owned.end() || !tag) continue;
    entries.push_back({*tag, found->second.get()});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return api::compare(a.tag.version, b.tag.version) == std::partial_ordering::less;
  });
  json summary = json::array();
  std::string usable;
  std::vector<std::string> waiting;
  for (const Entry& e : entries) {
    const bool ready = release_ready(*e.release);
    const std::string phase = release_phase(*e.release);
    auto ready_condition = kube::get_condition(*e.release, kReady);
    json item = {{"name", e.tag.version.dot()}, {"ready", ready}, {"phase", phase}};
    if (ready_condition && !ready_condition->reason.empty()) {
      item["message"] = ready_condition->reason;
    }
    summary.push_back(std::move(item));
    if (ready) {
      if (!usable.empty()) usable += ", ";
      usable += e.tag.version.dot();
    }
    if (!ready && wanted.count(e.tag.tag()) != 0) {
      waiting.push_back(e.tag.version.dot() + " (" +
                        (ready_condition && !ready_condition->message.empty()
                             ? ready_condition->message
                             : phase.empty() ? std::string("not reconciled yet") : phase) +
                        ")");
    }
  }
  for (const std::string& name : wanted) {
    if (owned.count(name) == 0) waiting.push_back(name + " (not created)");
  }

  json& status = object["status"];
  if (!status.is_object()) status = json::object();
  status["latestRelease"] =
      latest_ready ? latest_ready->tag() + " | " + latest_ready_kubernetes : std::string();
  if (summary.empty()) {
    status.erase("summary");
  } else {
    status["summary"] = std::move(summary);
  }
  if (usable.empty()) {
    status.erase("usableVersions");
  } else {
    status["usableVersions"] = usable;
  }
  if (latest_ready) {
    put_condition(object, kClusterStackReleaseAvailable, true, "", "", "", now);
  } else {
    put_condition(object, kClusterStackReleaseAvailable, false, kNoReadyRelease, kSeverityInfo,
                  "no release of the stack is ready yet", now);
  }
  if (!no_release_message.empty() && stack->spec.versions.empty()) {
    put_condition(object, kClusterStackReleasesReady, false, "NoReleaseFound", kSeverityWarning,
                  no_release_message, now);
  } else if (!waiting.empty()) {
    std::string message = "waiting for ";
    for (std::size_t i = 0; i < waiting.size(); ++i) message += (i ? ", " : "") + waiting[i];
    put_condition(object, kClusterStackReleasesReady, false, kReleasesNotReady, kSeverityInfo,
                  message, now);
  } else {
    put_condition(object, kClusterStackReleasesReady, true, "", "", "", now);
  }
  std::vector<std::string> types;
  if (stack->spec.auto_subscribe) {
    types.emplace_back(kAssetsClientAPIAvailable);
    if (kube::get_condition(object, kReleasesSynced)) types.emplace_back(kReleasesSynced);
  }
  for (std::string_view t :
       {kClusterStackReleasesSynced, kClusterStackReleaseAvailable, kClusterStackReleasesReady}) {
    types.emplace_back(t);
  }
  kube::set_summary_condition(object, kReady, types, now);

  auto written = write_status_if_changed(shared_, *stored, object);
  if (!written) {
    if (kube::is_conflict(written.error()) || kube::is_not_found(written.error())) {
      return kube::ReconcileResult::again();
    }
    return tl::make_unexpected("cannot write the status: " + written.error().message);
  }
  return kube::ReconcileResult::done();
}

}  // namespace cairn::controllers
