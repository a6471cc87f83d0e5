// Controllers::create: the shared parts and the registration of the controllers (setup.h).
#include "controllers/setup.h"

#include <thread>

#include "api/crd.h"
#include "controllers/capi_crds.h"
#include "kube/objects.h"

#include "controllers/clusterstack_common.h"
#include "controllers/clusterstack_controller.h"
#include "controllers/clusterstack_release_controller.h"
#include "controllers/webhook_receiver.h"

namespace cairn::controllers {

struct Controllers::Impl {
  Shared shared;
  std::unique_ptr<ClusterStackController> stacks;
  std::unique_ptr<ClusterStackReleaseController> releases;
  std::unique_ptr<WebhookReceiver> webhook;

  // In dependency order: the receiver calls the hub; downloads use the hub's feeds, the cache
  // and the release controller; the hub's lists notify the stack controller. The download
  // threads end before the last feed closes: libgit2 frees a thread's state only while it is
  // initialised.
  ~Impl() {
    if (webhook) webhook->stop();
    if (shared.downloads) shared.downloads->stop();
    shared.hub.reset();
  }
};

Controllers::Controllers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Controllers::~Controllers() = default;

kube::Result<std::unique_ptr<Controllers>> Controllers::create(kube::Manager& manager,
                                                               ControllersOptions options) {
  auto config_error = [](std::string message) {
    return tl::make_unexpected(kube::make_error(kube::ErrorKind::kConfig, std::move(message)));
  };
  if (options.cache_dir.empty()) return config_error("--cache-dir must not be empty");
  if (options.webhook_bind_address != "0" && options.webhook_secret.empty()) {
    return config_error(
        "--release-webhook-secret-file is required when the release webhook receiver is on "
        "(--release-webhook-bind-address " + options.webhook_bind_address + ")");
  }
  if (options.min_interval < std::chrono::milliseconds(1)) {
    options.min_interval = std::chrono::milliseconds(1);
  }

  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  Shared& shared = impl->shared;
  shared.manager = &manager;
  shared.options = std::move(options);
  const ControllersOptions& opts = shared.options;

  auto policy = SourcePolicy::make(
      opts.allowed_sources,
      opts.default_feed ? std::optional<sources::FeedUrl>(opts.default_feed->url) : std::nullopt);
  if (!policy) return config_error("--allowed-source: " + policy.error().message);
  shared.policy = std::move(*policy);

  sources::CacheOptions cache_options;
  cache_options.dir = opts.cache_dir;
  auto cache = sources::Cache::open(cache_options);
  if (!cache) {
    return config_error("--cache-dir " + opts.cache_dir.string() + ": " + cache.error().message);
  }
  shared.cache = std::move(*cache);
  shared.keys_dir = opts.cache_dir / "keys";

  const kube::Logger& logger = manager.logger();
  shared.downloads = std::make_unique<WorkerPool>("downloads", opts.download_workers,
                                                  logger.with({{"component", "downloads"}}));
  shared.stacks = &manager.informer(kClusterStackKind);
  shared.releases = &manager.informer(kClusterStackReleaseKind);
  shared.clusters = &manager.informer(kClusterKind);

  impl->stacks = std::make_unique<ClusterStackController>(shared);
  if (auto ok = impl->stacks->setup(); !ok) return tl::make_unexpected(ok.error());
  impl->releases = std::make_unique<ClusterStackReleaseController>(shared);
  if (auto ok = impl->releases->setup(); !ok) return tl::make_unexpected(ok.error());

  FeedHubOptions hub;
  hub.feed_options = opts.feed_options;
  hub.work_dir = opts.cache_dir / "feeds";
  hub.list_workers = opts.list_workers;
  hub.min_interval = opts.min_interval;
  hub.notify = [raw](const std::vector<std::string>& subscribers) {
    raw->stacks->enqueue(subscribers);
  };
  hub.logger = logger.with({{"component", "feeds"}});
  hub.metrics = &manager.metrics();
  shared.hub = std::make_unique<FeedHub>(std::move(hub));

  if (opts.webhook_bind_address != "0") {
    WebhookReceiverOptions receiver;
    receiver.address = opts.webhook_bind_address;
    receiver.secret = opts.webhook_secret;
    receiver.logger = logger.with({{"component", "release-webhook"}});
    FeedHub* feeds = shared.hub.get();
    auto started = WebhookReceiver::start(
        std::move(receiver),
        [feeds](const std::function<bool(const sources::FeedUrl&)>& match) {
          return feeds->poll_now(match);
        });
    if (!started) return tl::make_unexpected(started.error());
    impl->webhook = std::move(*started);
  }

  // Leftovers of a process killed mid-download, and releases unused for a week.
  sources::Cache* cache_ptr = shared.cache.get();
  shared.downloads->submit("evict", [cache_ptr, logger] {
    auto evicted = cache_ptr->evict();
    if (!evicted) {
      logger.warn("release cache clean-up failed", {{"error", evicted.error().message}});
    } else if (evicted->releases + evicted->blobs + evicted->leftovers > 0) {
      logger.info("release cache cleaned up",
                  {{"releases", std::to_string(evicted->releases)},
                   {"blobs", std::to_string(evicted->blobs)},
                   {"leftovers", std::to_string(evicted->leftovers)}});
    }
  });
  return std::unique_ptr<Controllers>(new Controllers(std::move(impl)));
}

kube::Result<void> install_crds(kube::Client& client, bool capi, std::chrono::milliseconds timeout,
                                const std::string& field_manager) {
  std::vector<nlohmann::json> crds = api::all_crds();
  if (capi) {
    for (nlohmann::json& crd : capi_crds()) crds.push_back(std::move(crd));
  }
  kube::PatchOptions options;
  options.field_manager = field_manager;
  options.force = true;
  for (const nlohmann::json& crd : crds) {
    auto applied = client.apply(crd, options);
    if (!applied) {
      return tl::make_unexpected(kube::make_error(
          applied.error().kind, "cannot install CustomResourceDefinition " +
                                    crd["metadata"]["name"].get<std::string>() + ": " +
                                    applied.error().message));
    }
  }
  const kube::GroupVersionKind crd_kind{"apiextensions.k8s.io", "v1",
                                        "CustomResourceDefinition"};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const nlohmann::json& crd : crds) {
    const std::string name = crd["metadata"]["name"].get<std::string>();
    for (;;) {
      auto got = client.get(crd_kind, "", name);
      if (got && kube::is_condition_true(*got, "Established")) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return tl::make_unexpected(kube::make_error(
            kube::ErrorKind::kTimeout,
            "CustomResourceDefinition " + name + " is not Established after " +
                std::to_string(timeout.count()) + " ms" +
                (got ? std::string() : ": " + got.error().message)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  client.invalidate_discovery();
  return {};
}

FeedHub::Stats Controllers::feed_stats() const { return impl_->shared.hub->stats(); }

std::uint16_t Controllers::webhook_port() const {
  return impl_->webhook ? impl_->webhook->port() : 0;
}

}  // namespace cairn::controllers
