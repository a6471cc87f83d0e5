// `cairn releases list|fetch`: list the cluster-stack releases of a feed, and download, verify
// and unpack one into the cache (sources/).
#include <algorithm>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "api/release_tag.h"
#include "cmd/cairn/commands.h"
#include "sources/cache.h"
#include "sources/feed.h"

namespace cairn::cmd {
namespace {

struct ReleasesOptions {
  std::string url;
  std::string tag;
  std::string stack;
  std::string channel;
  std::string output = "text";
  std::string cache_dir;
  std::string ca_file;
  int timeout_seconds = 30;
};

std::string default_cache_dir() {
  if (auto xdg = sources::process_env("XDG_CACHE_HOME"); xdg && !xdg->empty()) {
    return *xdg + "/cairn";
  }
  if (auto home = sources::process_env("HOME"); home && !home->empty()) {
    return *home + "/.cache/cairn";
  }
  return ".cairn-cache";
}

// The feed named on the command line, with credentials from the Go operator's variables.
sources::Result<std::unique_ptr<sources::Feed>> open_cli_feed(const ReleasesOptions& o) {
  auto url = sources::FeedUrl::parse(o.url);
  if (!url) return tl::unexpected(url.error());
  sources::FeedOptions fo;
  fo.credentials = sources::credentials_from_env(*url, sources::process_env);
  fo.work_dir = std::filesystem::path(o.cache_dir) / "feeds";
  fo.ca_file = o.ca_file;
  fo.stall_timeout = std::chrono::seconds(o.timeout_seconds);
  fo.connect_timeout = std::chrono::seconds(std::min(o.timeout_seconds, 15));
  return sources::open_feed(*url, std::move(fo));
}

int fail(const sources::Error& e) {
  std::cerr << "Error: " << e.message << "\n";
  return 1;
}

// Stack first, then stable before other channels, then newest first within a channel; versions
// without an order (hash channels) keep the feed's order.
bool newer_first(const api::ReleaseTag& a, const api::ReleaseTag& b) {
  const std::string sa = a.stack.str(), sb = b.stack.str();
  if (sa != sb) return sa < sb;
  const auto& ca = a.version.channel();
  const auto& cb = b.version.channel();
  if (ca != cb) {
    if (ca == api::kChannelStable) return true;
    if (cb == api::kChannelStable) return false;
    return ca < cb;
  }
  return api::compare(a.version, b.version) == std::partial_ordering::greater;
}

int run_list(const ReleasesOptions& o) {
  if (o.output != "text" && o.output != "json") {
    std::cerr << "Error: -o must be text or json\n";
    return 1;
  }
  if (!o.stack.empty()) {
    if (auto probe = api::ReleaseTag::parse(o.stack + "-v1"); !probe) {
      std::cerr << "Error: --stack \"" << o.stack
                << "\" is not PROVIDER-NAME-MAJOR-MINOR (e.g. docker-ferrol-1-27)\n";
      return 1;
    }
  }
  auto feed = open_cli_feed(o);
  if (!feed) return fail(feed.error());
  auto listed = (*feed)->list();
  if (!listed) return fail(listed.error());
  std::vector<api::ReleaseTag> tags;
  for (const auto& t : listed->tags) {
    auto parsed = api::ReleaseTag::parse(t);
    if (!parsed) continue;  // not a cluster-stack release (feeds hold other tags too)
    if (!o.stack.empty() && parsed->stack.str() != o.stack) continue;
    if (!o.channel.empty() && parsed->version.channel() != o.channel) continue;
    tags.push_back(std::move(*parsed));
  }
  std::stable_sort(tags.begin(), tags.end(), newer_first);
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tags) {
      out.push_back({{"tag", t.tag()},
                     {"stack", t.stack.str()},
                     {"version", t.version.dot()},
                     {"channel", t.version.channel()},
                     {"clusterClass", t.cluster_class()}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::size_t width = 3;
  for (const auto& t : tags) width = std::max(width, t.tag().size());
  std::cout << "TAG" << std::string(width - 3 + 2, ' ') << "VERSION\tCHANNEL\n";
  for (const auto& t : tags) {
    const std::string tag = t.tag();
    std::cout << tag << std::string(width - tag.size() + 2, ' ') << t.version.dot() << "\t"
              << t.version.channel() << "\n";
  }
  return 0;
}

int run_fetch(const ReleasesOptions& o) {
  auto feed = open_cli_feed(o);
  if (!feed) return fail(feed.error());
  sources::CacheOptions co;
  co.dir = o.cache_dir;
  auto cache = sources::Cache::open(co);
  if (!cache) return fail(cache.error());
  auto release = (*cache)->get(**feed, o.tag);
  if (!release) return fail(release.error());
  if (o.output == "json") {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : release->files) {
      files.push_back({{"name", f.name}, {"size", f.size}, {"sha256", f.sha256}});
    }
    std::cout << nlohmann::json{{"dir", release->dir.string()},
                                {"reused", release->reused},
                                {"kubernetesVersion", release->layout.metadata.kubernetes.str()},
                                {"clusterClassChart", release->layout.cluster_class_chart},
                                {"clusterAddonChart", release->layout.cluster_addon_chart},
                                {"files", files}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << release->dir.string() << "\n";
  }
  return 0;
}

}  // namespace

void add_releases_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReleasesOptions>();
  o->cache_dir = default_cache_dir();
  CLI::App* cmd = app.add_subcommand(
      "releases", "List the cluster-stack releases of a feed, or fetch one into the cache");
  cmd->require_subcommand(1);
  const std::string feeds =
      "feed URL: github://ORG/REPO, git+https://HOST/PATH[?path=DIR], git+file:///PATH, "
      "oci://REGISTRY/REPOSITORY, file:///DIR";
  auto common = [&](CLI::App* sub) {
    sub->add_option("source", o->url, feeds)->required();
    sub->add_option("--cache-dir", o->cache_dir, "release cache directory")->capture_default_str();
    sub->add_option("--ca-file", o->ca_file, "extra PEM CA bundle trusted for HTTPS feeds");
    sub->add_option("--timeout", o->timeout_seconds,
                    "seconds without progress before a transfer is abandoned")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    sub->add_option("-o,--output", o->output, "text or json")->capture_default_str();
  };
  CLI::App* list = cmd->add_subcommand("list", "Print the feed's release tags, newest first");
  common(list);
  list->add_option("--stack", o->stack, "only releases of PROVIDER-NAME-MAJOR-MINOR");
  list->add_option("--channel", o->channel, "only releases of this channel (stable, alpha, ...)");
  list->callback([o, &exit_code] { exit_code = run_list(*o); });
  CLI::App* fetch = cmd->add_subcommand(
      "fetch", "Download, verify and unpack one release; print its cache directory");
  common(fetch);
  fetch->add_option("tag", o->tag, "release tag, e.g. docker-ferrol-1-27-v3")->required();
  fetch->callback([o, &exit_code] { exit_code = run_fetch(*o); });
}

}  // namespace cairn::cmd
