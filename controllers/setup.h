// Controllers: what `cairn manager` and `cairn up` add to a kube::Manager — the ClusterStack
// and ClusterStackRelease controllers with what they share: the release cache, the feed hub
// (one poller per feed), the download pool and the release webhook receiver.
//
//   auto controllers = controllers::Controllers::create(manager, options);
//   manager.run();            // controllers reconcile while the manager leads
//   controllers.reset();      // after run() returned: stops pollers, downloads, the receiver
//
// create() checks the options (patterns, cache directory, webhook secret), opens the cache,
// starts the webhook receiver (when enabled) and registers the controllers with the manager.
// Errors name the flag or path that is wrong.
//
// Ownership: the Controllers object refers to the manager, which must outlive it; destroy it
// after Manager::run() returned (its destructor joins its threads). Thread-safe accessors.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/feed_hub.h"
#include "kube/error.h"
#include "kube/manager.h"
#include "sources/feed.h"

namespace cairn::controllers {

struct ControllersOptions {
  // The release cache (--cache-dir; the Go operator's --release-dir).
  std::filesystem::path cache_dir;
  // The feed of ClusterStacks without spec.source (flags, or the Go operator's environment
  // variables); nullopt: such stacks report that no source is configured.
  std::optional<sources::DefaultFeed> default_feed;
  // --allowed-source: glob patterns (`*` matches any run of characters) over the canonical feed
  // URL (sources::FeedUrl::str()) that spec.source.url may name. Empty: every github://, git
  // (https, ssh, git) and oci:// feed, but no file:// or git+file:// feed (those read the
  // manager's own file system and must be allowed explicitly). The default feed is always
  // allowed.
  std::vector<std::string> allowed_sources;
  // Poll interval of stacks whose spec.source.interval is unset; never polled faster than
  // min_interval.
  std::chrono::milliseconds default_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds min_interval{std::chrono::seconds(1)};
  int list_workers = 4;      // threads listing feeds
  int download_workers = 2;  // threads downloading releases into the cache
  int clusterstack_concurrency = 1;
  int clusterstackrelease_concurrency = 1;
  // Release webhook receiver (POST /hooks/releases/...): "HOST:PORT", ":PORT", "0" = off.
  std::string webhook_bind_address = "0";
  std::string webhook_secret;  // HMAC-SHA256 key; required when the receiver is on
  std::string field_manager = "cairn";
  sources::FeedOptions feed_options;  // timeouts, CA file, ... of every feed
};

// Installs cairn's CRDs (api::all_crds) and, with `capi`, the permissive Cluster API CRDs
// (capi_crds.h) by server-side apply as `field_manager`, and waits up to `timeout` until every
// one is Established. What `cairn up` and tests run before the controllers; idempotent.
kube::Result<void> install_crds(kube::Client& client, bool capi,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                const std::string& field_manager = "cairn");

class Controllers {
 public:
  static kube::Result<std::unique_ptr<Controllers>> create(kube::Manager& manager,
                                                           ControllersOptions options);
  ~Controllers();
  Controllers(const Controllers&) = delete;
  Controllers& operator=(const Controllers&) = delete;

  // The port of the webhook receiver (0 when off), for tests and `cairn up`.
  std::uint16_t webhook_port() const;
  // The feed hub's counters: feeds polled, their subscribers, lists made.
  FeedHub::Stats feed_stats() const;

  struct Impl;

 private:
  explicit Controllers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::controllers
