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

// The state of one reconcile of a ClusterStack, built up step by step.
struct ClusterStackController::Pass {
  Pass(kube::ReconcileContext& c, kube::ObjectPtr s, const api::ClusterStack& st,
       const api::StackIdentity& id)
      : ctx(c),
        key(c.key.str()),
        stored(std::move(s)),
        stack(&st),
        identity(&id),
        now(std::chrono::system_clock::now()),
        object(*stored) {}

  kube::ReconcileContext& ctx;
  std::string key;  // namespace/name, the feed hub's subscriber name
  kube::ObjectPtr stored;
  const api::ClusterStack* stack;
  const api::StackIdentity* identity;
  std::chrono::system_clock::time_point now;
  json object;  // the stored object with the status being built
  // The releases this stack owns, by name.
  std::map<std::string, kube::ObjectPtr> owned;
  // The newest ready release and its Kubernetes version.
  std::optional<api::ReleaseTag> latest_ready;
  std::string latest_ready_kubernetes;
  // What is wanted: spec.versions and, with autoSubscribe, the newest release of the feed.
  std::set<std::string> wanted;
  // With autoSubscribe the feed's newest release is wanted too: until the feed is listed (or
  // while it is refused or cannot be opened) that one is unknown, and nothing is collected.
  bool wanted_known = true;
  std::string no_release_message;  // the feed has no release of the stack
  // Kept besides the wanted: the newest ready release and every release a Cluster uses.
  std::set<std::string> keep;
  std::vector<std::string> sync_errors;  // for ClusterStackReleasesSynced

  // A release tag of this stack in its channel.
  bool matches(const api::ReleaseTag& t) const {
    return t.stack == *identity && t.version.stable() != (stack->spec.channel == api::kChannelCustom);
  }
};

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
  Pass p(ctx, stored, *stack, *identity);
  for (const kube::ObjectPtr& release : shared_.releases->cache().list(ctx.key.ns)) {
    const auto owners = stack_owners(*release);
    if (std::find(owners.begin(), owners.end(), stack->metadata.name) == owners.end()) continue;
    p.owned[string_at(section(*release, "metadata"), "name")] = release;
  }
  for (const auto& [name, release] : p.owned) {
    auto tag = api::ReleaseTag::parse(name);
    if (!tag || !p.matches(*tag) || !release_ready(*release)) continue;
    if (!p.latest_ready || newer(tag->version, p.latest_ready->version)) {
      p.latest_ready = *tag;
      p.latest_ready_kubernetes = string_at(section(*release, "status"), "kubernetesVersion");
    }
  }
  for (const std::string& text : stack->spec.versions) {
    auto version = api::Version::parse_dot(text);
    if (version) p.wanted.insert(api::ReleaseTag{*identity, *version}.tag());
  }
  read_feed(p);

  p.keep = p.wanted;
  if (p.latest_ready) p.keep.insert(p.latest_ready->tag());
  for (std::string& tag : releases_in_use(shared_, ctx.key.ns, *identity)) {
    p.keep.insert(std::move(tag));
  }
  collect(p);
  create_wanted(p);
  set_status(p);

  auto written = write_status_if_changed(shared_, *stored, p.object);
  if (!written) {
    if (kube::is_conflict(written.error()) || kube::is_not_found(written.error())) {
      return kube::ReconcileResult::again();
    }
    return tl::make_unexpected("cannot write the status: " + written.error().message);
  }
  return kube::ReconcileResult::done();
}

// Subscribes to the stack's feed (autoSubscribe) and adds its newest release to the wanted.
void ClusterStackController::read_feed(Pass& p) {
  json& object = p.object;
  if (!p.stack->spec.auto_subscribe) {
    shared_.hub->unsubscribe(p.key);
    kube::remove_condition(object, kAssetsClientAPIAvailable);
    kube::remove_condition(object, kReleasesSynced);
    return;
  }
  auto source = resolve_source(shared_, *p.stack);
  sources::Result<FeedState> state = tl::make_unexpected(sources::Error{});
  if (source) {
    state = shared_.hub->subscribe(p.key, source->url, source->credentials, source->interval);
  } else {
    shared_.hub->unsubscribe(p.key);
  }
  if (!source || !state) {
    const std::string reason =
        source ? std::string(kFailedCreateAssetsClient) : source.error().reason;
    const std::string message = source ? state.error().message : source.error().message;
    auto before = kube::get_condition(object, kAssetsClientAPIAvailable);
    if (!before || before->status == "True" || before->message != message) {
      shared_.events().warning(*p.stored, kFailedCreateAssetsClient, message);
    }
    put_condition(object, kAssetsClientAPIAvailable, false, reason, kSeverityError, message,
                  p.now);
    kube::remove_condition(object, kReleasesSynced);
    p.wanted_known = false;
    return;
  }
  put_condition(object, kAssetsClientAPIAvailable, true, "", "", "", p.now);
  const std::string feed = source->url.str();
  if (!state->listed) {
    p.wanted_known = false;
    put_condition(object, kReleasesSynced, false,
                  state->error ? kFailedToSync : kReleasesNotListedYet,
                  state->error ? kSeverityWarning : kSeverityInfo,
                  state->error ? state->error->message : "listing the releases of " + feed, p.now);
    return;
  }
  if (state->error) {
    put_condition(object, kReleasesSynced, false, kFailedToSync, kSeverityWarning,
                  state->error->message + " (using the " + std::to_string(state->tags.size()) +
                      " tags listed before)",
                  p.now);
  } else {
    put_condition(object, kReleasesSynced, true, "", "", "", p.now);
  }
  std::optional<api::ReleaseTag> latest;
  for (const std::string& text : state->tags) {
    auto tag = api::ReleaseTag::parse(text);
    if (!tag || !p.matches(*tag)) continue;
    if (!latest || newer(tag->version, latest->version)) latest = *tag;
  }
  if (latest) {
    p.wanted.insert(latest->tag());
  } else {
    p.no_release_message = "the feed " + feed + " has no release of " + p.identity->str() +
                           " in channel " + p.stack->spec.channel;
  }
}

// Deletes the owned releases that are not kept (only when the wanted set is known).
void ClusterStackController::collect(Pass& p) {
  const kube::ObjectPtr& stored = p.stored;
  const std::string& ns = p.ctx.key.ns;
  kube::Client& client = shared_.client();
  std::vector<std::string>& sync_errors = p.sync_errors;
  if (!p.wanted_known) return;
  for (const auto& [name, release] : p.owned) {
    if (p.keep.count(name) != 0 || kube::is_being_deleted(*release)) continue;
    kube::DeleteOptions options;
    options.propagation_policy = "Background";
    auto removed = client.remove(kClusterStackReleaseKind, ns, name, options);
    if (!removed && !kube::is_not_found(removed.error())) {
      sync_errors.push_back("cannot delete ClusterStackRelease " + name + ": " +
                            removed.error().message);
      shared_.events().warning(*stored, "FailedToDeleteClusterStackRelease", sync_errors.back());
      continue;
    }
    p.ctx.logger.info("deleted a release nothing uses", {{"release", name}});
    shared_.events().normal(*stored, "ClusterStackReleaseDeleted",
                            "deleted ClusterStackRelease " + name + ": not wanted, not in use");
  }
}

// Creates the wanted releases that do not exist; adopts an ownerless one of the same name.
void ClusterStackController::create_wanted(Pass& p) {
  const kube::ObjectPtr& stored = p.stored;
  const api::ClusterStack* stack = p.stack;
  const std::string& ns = p.ctx.key.ns;
  kube::Client& client = shared_.client();
  std::map<std::string, kube::ObjectPtr>& owned = p.owned;
  std::vector<std::string>& sync_errors = p.sync_errors;
  for (const std::string& name : p.wanted) {
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
      p.ctx.logger.info("created a release", {{"release", name}});
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
}

// status: summary, usableVersions, latestRelease and the conditions (ClusterStackReleasesSynced
// from the sync errors, the rest derived from the releases, Ready summing them up).
void ClusterStackController::set_status(Pass& p) {
  const api::ClusterStack* stack = p.stack;
  const auto now = p.now;
  json& object = p.object;
  const auto& owned = p.owned;
  const auto& wanted = p.wanted;
  const auto& latest_ready = p.latest_ready;
  const std::string& latest_ready_kubernetes = p.latest_ready_kubernetes;
  const std::string& no_release_message = p.no_release_message;
  if (p.sync_errors.empty()) {
    put_condition(object, kClusterStackReleasesSynced, true, "", "", "", now);
  } else {
    std::string message = p.sync_errors.front();
    if (p.sync_errors.size() > 1) {
      message += " (and " + std::to_string(p.sync_errors.size() - 1) + " more)";
    }
    put_condition(object, kClusterStackReleasesSynced, false, kFailedToCreateOrUpdate,
                  kSeverityWarning, message, now);
  }
  // status.summary: the kept releases that exist, oldest version first.
  struct Entry {
    api::ReleaseTag tag;
    const json* release;
  };
  std::vector<Entry> entries;
  for (const std::string& name : p.keep) {
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
}

}  // namespace cairn::controllers
