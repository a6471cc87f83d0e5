// ClusterStackReleaseController: download, render, apply, delete
// (clusterstack_release_controller.h).
#include "controllers/clusterstack_release_controller.h"

#include <algorithm>

#include "controllers/applier.h"
#include "kube/objects.h"
#include "render/chart.h"

namespace cairn::controllers {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kFirstRetry{5000};
constexpr milliseconds kMaxRetry{std::chrono::minutes(5)};
constexpr milliseconds kPartialApplyRetry{20000};
constexpr milliseconds kDeletionPoll{5000};
constexpr milliseconds kInUsePoll{std::chrono::minutes(1)};
constexpr milliseconds kSourceRetry{std::chrono::minutes(1)};

// Finalizers of `object` with or without ours, as a merge patch guarded by resourceVersion.
json finalizer_patch(const json& object, bool present) {
  json finalizers = json::array();
  const json& meta = object_member(object, "metadata");
  if (auto it = meta.find("finalizers"); it != meta.end() && it->is_array()) {
    for (const json& f : *it) {
      if (f != kReleaseFinalizer) finalizers.push_back(f);
    }
  }
  if (present) finalizers.push_back(kReleaseFinalizer);
  return {{"metadata",
           {{"finalizers", std::move(finalizers)},
            {"resourceVersion", string_member(meta, "resourceVersion")}}}};
}

kube::ReconcileOutcome write_error(const kube::Error& e, std::string_view what) {
  if (kube::is_conflict(e) || kube::is_not_found(e)) return kube::ReconcileResult::again();
  return tl::make_unexpected(std::string(what) + ": " + e.message);
}

std::vector<api::Resource> resources_of(const json& object) {
  auto decoded = api::decode<api::ClusterStackRelease>(object);
  return decoded ? decoded->status.resources : std::vector<api::Resource>{};
}

json resources_json(const std::vector<api::Resource>& resources) {
  json out = json::array();
  for (const api::Resource& r : resources) out.push_back(r);
  return out;
}

void set_summary(json& object, std::chrono::system_clock::time_point now) {
  std::vector<std::string> types;
  for (std::string_view t : {kClusterStackReleaseDownloaded, kAssetsClientAPIAvailable,
                             kProviderClusterStackReleaseReady, kHelmChartApplied}) {
    if (kube::get_condition(object, t)) types.emplace_back(t);
  }
  if (types.empty()) types.emplace_back(kClusterStackReleaseDownloaded);
  kube::set_summary_condition(object, kReady, types, now);
}

}  // namespace

kube::Result<void> ClusterStackReleaseController::setup() {
  Shared* shared = &shared_;
  // A Cluster naming a class: the release of that class (a deletion may wait for it).
  kube::MapFunc cluster_release = [](const json& cluster) {
    std::vector<kube::ObjectKey> keys;
    auto tag = api::ReleaseTag::parse_cluster_class(cluster_class_of(cluster));
    if (tag) {
      keys.push_back({string_member(object_member(cluster, "metadata"), "namespace"), tag->tag()});
    }
    return keys;
  };
  kube::Predicate class_changed = [](const kube::ObjectEvent& e) {
    if (e.type != kube::WatchEventType::kUpdate || !e.old_object || !e.object) return true;
    return cluster_class_of(*e.old_object) != cluster_class_of(*e.object);
  };
  // A ClusterStack's spec (its source): the releases it owns.
  kube::MapFunc stack_releases = [shared](const json& stack) {
    std::vector<kube::ObjectKey> keys;
    const json& meta = object_member(stack, "metadata");
    const std::string& ns = string_member(meta, "namespace");
    const std::string& name = string_member(meta, "name");
    for (const kube::ObjectPtr& release : shared->releases->cache().list(ns)) {
      const auto owners = stack_owners(*release);
      if (std::find(owners.begin(), owners.end(), name) != owners.end()) {
        keys.push_back(kube::ObjectKey::of(*release));
      }
    }
    return keys;
  };
  auto controller =
      kube::ControllerBuilder(*shared_.manager, "clusterstackrelease")
          .for_kind(kClusterStackReleaseKind, {spec_changed_or_resync()})
          .watches(kClusterKind, cluster_release, {class_changed})
          .watches(kClusterStackKind, stack_releases, {spec_changed_or_resync()})
          .concurrency(shared_.options.clusterstackrelease_concurrency)
          .complete([this](kube::ReconcileContext& ctx) { return reconcile(ctx); });
  if (!controller) return tl::make_unexpected(controller.error());
  controller_ = *controller;
  return {};
}

void ClusterStackReleaseController::run_download(const std::string& id, const StackSource& source,
                                                 const std::string& tag) {
  auto feed = shared_.hub->feed(source.url, source.credentials);
  sources::Result<sources::CachedRelease> release =
      feed ? shared_.cache->get(**feed, tag) : tl::make_unexpected(feed.error());
  std::set<std::string> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Download& d = downloads_[id];
    waiters = d.waiters;
    d.running = false;
    if (release) {
      downloads_.erase(id);
    } else {
      d.error = release.error();
      ++d.failures;
      milliseconds delay = kFirstRetry;
      for (int i = 1; i < d.failures && delay < kMaxRetry; ++i) delay *= 2;
      delay = std::min(delay, kMaxRetry);
      d.retry_at = std::chrono::steady_clock::now() + delay;
      if (release.error().retry_at) {
        const auto wait = *release.error().retry_at - std::chrono::system_clock::now();
        if (wait > delay) d.retry_at = std::chrono::steady_clock::now() + wait;
      }
    }
  }
  if (release) {
    shared_.manager->logger().info(
        "release downloaded", {{"feed", source.url.str()}, {"release", tag},
                               {"files", std::to_string(release->files.size())}});
  } else {
    shared_.manager->logger().warn(
        "release download failed", {{"feed", source.url.str()}, {"release", tag},
                                    {"error", release.error().message}});
  }
  if (controller_ == nullptr) return;
  for (const std::string& key : waiters) controller_->queue().add(key);
}

kube::ReconcileOutcome ClusterStackReleaseController::reconcile(kube::ReconcileContext& ctx) {
  kube::ObjectPtr cached = shared_.releases->cache().get(ctx.key);
  if (!cached) return kube::ReconcileResult::done();
  const std::string key = ctx.key.str();
  const std::string& ns = ctx.key.ns;
  const std::string& name = ctx.key.name;
  const auto now = std::chrono::system_clock::now();
  kube::Client& client = shared_.client();
  json stored = *cached;
  const bool deleting = kube::is_being_deleted(stored);

  // 1. The finalizer, before anything is applied.
  if (!deleting && !kube::has_finalizer(stored, kReleaseFinalizer)) {
    auto patched = client.patch(kClusterStackReleaseKind, ns, name, kube::PatchType::kMerge,
                                finalizer_patch(stored, true));
    if (!patched) return write_error(patched.error(), "cannot add the finalizer");
    stored = std::move(*patched);
  }
  json object = stored;
  auto finish = [&](kube::ReconcileResult result) -> kube::ReconcileOutcome {
    set_summary(object, now);
    auto written = write_status_if_changed(shared_, stored, object);
    if (!written) return write_error(written.error(), "cannot write the status");
    return result;
  };

  auto tag = api::ReleaseTag::parse(name);
  if (deleting) {
    if (!kube::has_finalizer(stored, kReleaseFinalizer)) return kube::ReconcileResult::done();
    // Clusters using the class keep the release and its objects.
    if (tag) {
      std::vector<std::string> users;
      for (const kube::ObjectPtr& cluster : shared_.clusters->cache().list(ns)) {
        auto used = api::ReleaseTag::parse_cluster_class(cluster_class_of(*cluster));
        if (used && *used == *tag) {
          users.push_back(string_member(object_member(*cluster, "metadata"), "name"));
        }
      }
      if (!users.empty()) {
        std::string list;
        for (const std::string& u : users) list += (list.empty() ? "" : ", ") + u;
        ctx.logger.info("deletion waits: Clusters use the class",
                        {{"class", tag->cluster_class()}, {"clusters", list}});
        shared_.events().normal(stored, "DeletionWaitsForClusters",
                                "ClusterClass " + tag->cluster_class() +
                                    " is used by Cluster(s) " + list);
        return kube::ReconcileResult::after(kInUsePoll);
      }
    }
    Applier applier(client);
    const DeleteResult removed = applier.delete_all(resources_of(stored));
    if (removed.deleted > 0) {
      shared_.events().normal(stored, "ObjectsDeleted",
                              "deleted " + std::to_string(removed.deleted) + " applied object(s)");
    }
    if (!removed.done()) {
      object["status"]["resources"] = resources_json(removed.remaining);
      auto written = write_status_if_changed(shared_, stored, object);
      if (!written) return write_error(written.error(), "cannot write the status");
      return kube::ReconcileResult::after(kDeletionPoll);
    }
    auto patched = client.patch(kClusterStackReleaseKind, ns, name, kube::PatchType::kMerge,
                                finalizer_patch(stored, false));
    if (!patched && !kube::is_not_found(patched.error())) {
      return write_error(patched.error(), "cannot remove the finalizer");
    }
    ctx.logger.info("release deleted with its objects");
    return kube::ReconcileResult::done();
  }

  if (!tag) {
    put_condition(object, kClusterStackReleaseDownloaded, false, kIssueWithReleaseAssets,
                  kSeverityError, "the name is not a release tag: " + tag.error().message, now);
    return finish(kube::ReconcileResult::done());
  }

  // The stack that owns the release decides the feed.
  const auto owners = stack_owners(stored);
  kube::ObjectPtr stack_object =
      owners.empty() ? nullptr : shared_.stacks->cache().get({ns, owners.front()});
  api::Result<api::ClusterStack> stack = tl::make_unexpected(api::Error{});
  if (stack_object) stack = api::decode<api::ClusterStack>(*stack_object);
  if (!stack) {
    put_condition(object, kAssetsClientAPIAvailable, false, kClusterStackNotFound, kSeverityError,
                  owners.empty() ? "no ClusterStack owns this release"
                                 : "ClusterStack " + owners.front() + " not found",
                  now);
    return finish(kube::ReconcileResult::done());
  }
  auto source = resolve_source(shared_, *stack);
  if (!source) {
    put_condition(object, kAssetsClientAPIAvailable, false, source.error().reason, kSeverityError,
                  source.error().message, now);
    return finish(kube::ReconcileResult::after(kSourceRetry));
  }
  put_condition(object, kAssetsClientAPIAvailable, true, "", "", "", now);

  // 2. The assets: cached, or downloaded on the pool.
  const std::string id = source->url.key() + "/" + name;
  std::optional<sources::CachedRelease> release;
  if (auto found = shared_.cache->lookup(source->url, name); found && *found) {
    release = std::move(**found);
  }
  if (!release) {
    std::lock_guard<std::mutex> lock(mu_);
    Download& d = downloads_[id];
    d.waiters.insert(key);
    const bool running = d.running;
    const auto steady_now = std::chrono::steady_clock::now();
    if (!running && d.error && steady_now < d.retry_at) {
      const bool retriable = sources::is_retriable(d.error->kind);
      put_condition(object, kClusterStackReleaseDownloaded, false,
                    retriable ? kReleaseAssetsNotDownloadedYet : kIssueWithReleaseAssets,
                    retriable ? kSeverityWarning : kSeverityError,
                    std::string(sources::kind_name(d.error->kind)) + ": " + d.error->message, now);
      return finish(kube::ReconcileResult::after(
          std::chrono::duration_cast<milliseconds>(d.retry_at - steady_now) + milliseconds(1)));
    }
    if (!running) {
      StackSource src = *source;
      std::string release_name = name;
      d.running = shared_.downloads->submit(
          id + "#" + std::to_string(++attempts_), [this, id, src, release_name] {
        run_download(id, src, release_name);
      });
      // Refused only while the pool stops; nothing would re-queue this release otherwise.
      if (!d.running) {
        put_condition(object, kClusterStackReleaseDownloaded, false,
                      kReleaseAssetsNotDownloadedYet, kSeverityInfo,
                      "the download of release " + name + " could not be started; retrying",
                      now);
        return finish(kube::ReconcileResult::after(kFirstRetry));
      }
    }
    std::string message = "downloading release " + name + " from " + source->url.str();
    if (d.error) message += " (attempt " + std::to_string(d.failures + 1) + ")";
    put_condition(object, kClusterStackReleaseDownloaded, false, kReleaseAssetsNotDownloadedYet,
                  kSeverityInfo, message, now);
    return finish(kube::ReconcileResult::done());
  }
  {
    // A failed attempt's record is done with. A running download is not, even though the cache
    // already holds its result: its waiters are re-queued when run_download ends, which erases
    // the record then (erasing it here lost them, and they waited for the next resync).
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = downloads_.find(id); it != downloads_.end() && !it->second.running) {
      downloads_.erase(it);
    }
  }
  put_condition(object, kClusterStackReleaseDownloaded, true, "", "", "", now);
  const sources::ReleaseLayout& layout = release->layout;
  object["status"]["kubernetesVersion"] = layout.metadata.kubernetes.str();

  // 3. Provider-specific work: only noProvider stacks for now.
  if (!stack->spec.no_provider) {
    put_condition(object, kProviderClusterStackReleaseReady, false, kProviderModeNotSupported,
                  kSeverityError,
                  "ClusterStack " + stack->metadata.name +
                      " is in provider mode (noProvider: false); this cairn version supports "
                      "noProvider stacks only",
                  now);
    return finish(kube::ReconcileResult::done());
  }
  put_condition(object, kProviderClusterStackReleaseReady, true, "", "", "", now);

  // 4. Render the ClusterClass chart and apply every object.
  render::ChartRenderOptions options;
  options.chart = (release->dir / layout.cluster_class_chart).string();
  options.release_name = tag->stack.str();
  options.namespace_name = ns;
  options.kube_version = layout.metadata.kubernetes.str();
  auto manifest = render::render_chart(options);
  if (!manifest) {
    const std::string message =
        "rendering " + layout.cluster_class_chart + " failed: " + manifest.error().message;
    shared_.events().warning(stored, kFailedToApplyObjects, message);
    put_condition(object, kHelmChartApplied, false, kFailedToApplyObjects, kSeverityError,
                  message, now);
    return finish(kube::ReconcileResult::done());
  }
  Applier applier(client);
  ApplyOptions apply_options;
  apply_options.namespace_ = ns;
  apply_options.field_manager = shared_.options.field_manager;
  auto applied = applier.apply(*manifest, resources_of(stored), apply_options);
  if (!applied) {
    const std::string message = "the rendered " + layout.cluster_class_chart +
                                " cannot be applied: " + applied.error().message;
    shared_.events().warning(stored, kFailedToApplyObjects, message);
    put_condition(object, kHelmChartApplied, false, kFailedToApplyObjects, kSeverityError,
                  message, now);
    return finish(kube::ReconcileResult::done());
  }
  object["status"]["resources"] = resources_json(applied->resources);
  const ApplyCounts& counts = applied->counts;
  if (counts.created + counts.configured + counts.deleted > 0) {
    shared_.events().normal(stored, "ObjectsApplied",
                            "created " + std::to_string(counts.created) + ", updated " +
                                std::to_string(counts.configured) + ", pruned " +
                                std::to_string(counts.deleted) + " object(s)");
  }
  if (applied->synced()) {
    put_condition(object, kHelmChartApplied, true, "", "", "", now);
    object["status"]["ready"] = true;
    return finish(kube::ReconcileResult::done());
  }
  std::size_t failed = 0;
  std::string first;
  for (const api::Resource& r : applied->resources) {
    if (r.status == kResourceSynced) continue;
    if (failed++ == 0) first = r.kind + " " + r.name + ": " + r.error;
  }
  const std::string message = "failed to successfully apply everything: " +
                              std::to_string(failed) + " of " +
                              std::to_string(applied->resources.size()) +
                              " object(s) not synced; " + first;
  shared_.events().warning(stored, kObjectsApplyingOngoing, message);
  put_condition(object, kHelmChartApplied, false, kObjectsApplyingOngoing, kSeverityWarning,
                message, now);
  return finish(kube::ReconcileResult::after(kPartialApplyRetry));
}

}  // namespace cairn::controllers
