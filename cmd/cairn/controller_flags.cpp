// The controller flags of `cairn manager` and `cairn up` and their checks (controller_flags.h).
#include "cmd/cairn/controller_flags.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "api/types.h"

namespace cairn::cmd {
namespace {

namespace fs = std::filesystem;

// What an empty --allowed-source list allows (controllers/setup.h), spelled as patterns.
constexpr const char* kRemoteFeedPatterns[] = {"github://*", "git+https://*", "git+ssh://*",
                                               "git://*", "oci://*"};
// The Go operator's variables of its GitHub feed; any of them set selects that feed by default.
constexpr const char* kGitHubVariables[] = {"GIT_PROVIDER", "GIT_ORG_NAME", "GIT_REPOSITORY_NAME"};

tl::unexpected<FlagError> flag_error(std::string message) {
  return tl::unexpected<FlagError>(FlagError{std::move(message)});
}

bool in_range(int value, int low, int high) { return value >= low && value <= high; }

// The secret of the webhook receiver: the file's content without its trailing line break.
tl::expected<std::string, FlagError> read_secret(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return flag_error("--release-webhook-secret-file: " + path +
                      (fs::exists(path, ec) ? " is not a regular file" : " does not exist"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return flag_error("--release-webhook-secret-file: cannot read " + path);
  constexpr std::streamsize kMaxSecret = 64 * 1024;
  std::string secret(static_cast<std::size_t>(kMaxSecret) + 1, '\0');
  in.read(secret.data(), kMaxSecret + 1);
  if (in.bad()) return flag_error("--release-webhook-secret-file: cannot read " + path);
  secret.resize(static_cast<std::size_t>(in.gcount()));
  if (secret.size() > static_cast<std::size_t>(kMaxSecret)) {
    return flag_error("--release-webhook-secret-file: " + path + " is larger than 64 KiB");
  }
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    return flag_error("--release-webhook-secret-file: " + path +
                      " is empty; the receiver needs a shared secret to verify signatures");
  }
  return secret;
}

// The default feed named by --default-source, --local or --source and the environment.
tl::expected<std::optional<sources::DefaultFeed>, FlagError> default_feed(
    const ControllerFlags& flags, const fs::path& cache_dir, const sources::Getenv& getenv) {
  if (!flags.default_source.empty()) {
    auto url = sources::FeedUrl::parse(flags.default_source);
    if (!url) {
      // FeedUrl::parse quotes the URL with any user information redacted.
      return flag_error("--default-source: " + url.error().message);
    }
    return sources::DefaultFeed{*url, sources::credentials_from_env(*url, getenv)};
  }
  if (flags.local) {
    auto url = sources::FeedUrl::parse("file://" + (cache_dir / "cluster-stacks").string());
    if (!url) return flag_error("--local: " + url.error().message);
    return sources::DefaultFeed{*url, {}};
  }
  if (flags.source.empty()) {
    const bool any_set = std::any_of(std::begin(kGitHubVariables), std::end(kGitHubVariables),
                                     [&](const char* name) {
                                       auto v = getenv(name);
                                       return v && !v->empty();
                                     });
    if (!any_set) return std::nullopt;
  }
  const std::string source = flags.source.empty() ? "github" : flags.source;
  auto feed = sources::default_feed_from_env(source, getenv);
  if (!feed) return flag_error("--source " + source + ": " + feed.error().message);
  return std::optional<sources::DefaultFeed>(std::move(*feed));
}

}  // namespace

void add_controller_flags(CLI::App& cmd, ControllerFlags& flags,
                          const std::string& cache_dir_default, const std::string& cache_dir_help) {
  flags.cache_dir = cache_dir_default;
  CLI::Option* cache_dir =
      cmd.add_option("--cache-dir,--release-dir", flags.cache_dir,
                     "Release cache: downloaded, verified and unpacked releases" +
                         (cache_dir_help.empty() ? "" : " (default " + cache_dir_help + ")"));
  if (!cache_dir_default.empty()) cache_dir->capture_default_str();
  cmd.add_option("--source", flags.source,
                 "Default feed from the Go operator's environment variables: github "
                 "(GIT_ORG_NAME, GIT_REPOSITORY_NAME, ...) or oci (OCI_REPOSITORY, ...); "
                 "default github when a GIT_* variable is set");
  cmd.add_flag("--local", flags.local,
               "Default feed: releases placed by hand in CACHE_DIR/cluster-stacks/<tag>/ (the "
               "Go operator's local mode)");
  cmd.add_option("--default-source", flags.default_source,
                 "Default feed as a URL (github://ORG/REPO, git+https://..., oci://..., "
                 "file:///DIR) for ClusterStacks without spec.source");
  cmd.add_option("--allowed-source", flags.allowed_sources,
                 "Feed URL pattern ('*' matches anything) that spec.source.url may name; "
                 "repeatable (default: every github://, git and oci:// feed, no local ones)");
  cmd.add_option("--source-interval", flags.source_interval,
                 "How often a feed is polled unless spec.source.interval says otherwise "
                 "(a duration: 30s, 5m, 1h30m)")
      ->capture_default_str();
  cmd.add_option("--list-workers", flags.list_workers, "Threads that list feeds")
      ->capture_default_str();
  cmd.add_option("--download-workers", flags.download_workers,
                 "Threads that download releases into the cache")
      ->capture_default_str();
  cmd.add_option("--clusterstack-concurrency", flags.clusterstack_concurrency,
                 "Reconcile workers of the ClusterStack controller")
      ->capture_default_str();
  cmd.add_option("--clusterstackrelease-concurrency", flags.clusterstackrelease_concurrency,
                 "Reconcile workers of the ClusterStackRelease controller")
      ->capture_default_str();
  cmd.add_option("--release-webhook-bind-address", flags.webhook_bind_address,
                 "Address of the release webhook receiver (POST /hooks/releases/...), "
                 "HOST:PORT or :PORT; \"0\" disables")
      ->capture_default_str();
  cmd.add_option("--release-webhook-secret-file", flags.webhook_secret_file,
                 "File holding the HMAC secret the webhook senders sign with (required when "
                 "the receiver is on)");
}

tl::expected<controllers::ControllersOptions, FlagError> controllers_options(
    const ControllerFlags& flags, const sources::Getenv& getenv) {
  controllers::ControllersOptions options;
  if (flags.cache_dir.empty()) return flag_error("--cache-dir: must not be empty");
  std::error_code ec;
  fs::path cache_dir = fs::absolute(flags.cache_dir, ec);
  if (ec) return flag_error("--cache-dir: " + flags.cache_dir + ": " + ec.message());
  cache_dir = cache_dir.lexically_normal();
  if (!cache_dir.has_filename() && cache_dir.has_relative_path())
    cache_dir = cache_dir.parent_path();
  options.cache_dir = cache_dir;
  options.feed_options.work_dir = options.cache_dir / "feeds";

  if (!flags.source.empty() && flags.source != "github" && flags.source != "oci") {
    return flag_error("--source: \"" + flags.source +
                      "\" is not a source; expected github or oci (name any other feed with "
                      "--default-source URL)");
  }
  const int chosen =
      int{!flags.default_source.empty()} + int{flags.local} + int{!flags.source.empty()};
  if (chosen > 1) {
    return flag_error(
        "--default-source, --local and --source each choose the default feed; give one");
  }
  auto feed = default_feed(flags, options.cache_dir, getenv);
  if (!feed) return tl::unexpected(feed.error());
  options.default_feed = std::move(*feed);

  for (const std::string& pattern : flags.allowed_sources) {
    if (pattern.empty()) return flag_error("--allowed-source: a pattern must not be empty");
  }
  options.allowed_sources = flags.allowed_sources;

  auto interval = api::parse_duration(flags.source_interval);
  if (!interval) return flag_error("--source-interval: " + interval.error().message);
  if (*interval < options.min_interval) {
    return flag_error("--source-interval: " + flags.source_interval +
                      " is shorter than the minimum of 1s");
  }
  options.default_interval = *interval;

  struct Count {
    const char* flag;
    int value;
    int high;
  };
  for (const Count& c :
       {Count{"--list-workers", flags.list_workers, 256},
        Count{"--download-workers", flags.download_workers, 256},
        Count{"--clusterstack-concurrency", flags.clusterstack_concurrency, 1000},
        Count{"--clusterstackrelease-concurrency", flags.clusterstackrelease_concurrency, 1000}}) {
    if (!in_range(c.value, 1, c.high)) {
      return flag_error(std::string(c.flag) + ": " + std::to_string(c.value) +
                        " is out of range; expected 1 to " + std::to_string(c.high));
    }
  }
  options.list_workers = flags.list_workers;
  options.download_workers = flags.download_workers;
  options.clusterstack_concurrency = flags.clusterstack_concurrency;
  options.clusterstackrelease_concurrency = flags.clusterstackrelease_concurrency;

  options.webhook_bind_address =
      flags.webhook_bind_address.empty() ? std::string("0") : flags.webhook_bind_address;
  if (options.webhook_bind_address != "0") {
    if (flags.webhook_secret_file.empty()) {
      return flag_error(
          "--release-webhook-secret-file: required when --release-webhook-bind-address is "
          "set (the receiver verifies every request's HMAC signature with that secret)");
    }
    auto secret = read_secret(flags.webhook_secret_file);
    if (!secret) return tl::unexpected(secret.error());
    options.webhook_secret = std::move(*secret);
  }
  return options;
}

void allow_source(controllers::ControllersOptions& options, const sources::FeedUrl& feed) {
  if (options.allowed_sources.empty()) {
    options.allowed_sources.assign(std::begin(kRemoteFeedPatterns), std::end(kRemoteFeedPatterns));
  }
  const std::string url = feed.str();
  if (std::find(options.allowed_sources.begin(), options.allowed_sources.end(), url) ==
      options.allowed_sources.end()) {
    options.allowed_sources.push_back(url);
  }
}

std::string describe_feeds(const controllers::ControllersOptions& options) {
  std::ostringstream out;
  out << "default feed "
      << (options.default_feed ? options.default_feed->url.str() : std::string("none"))
      << ", cache " << options.cache_dir.string();
  return out.str();
}

}  // namespace cairn::cmd
