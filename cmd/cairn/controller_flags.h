// ControllerFlags: the command-line flags of the ClusterStack and ClusterStackRelease
// controllers, shared by `cairn manager` and `cairn up`, and their translation into
// controllers::ControllersOptions (controllers/setup.h).
//
// Flag names follow the Go cluster-stack-operator where it had one (--release-dir, --source,
// --local, --clusterstack-concurrency, --clusterstackrelease-concurrency), so that existing
// manifests keep working; cairn's additions name feeds by URL (--default-source,
// --allowed-source) and configure the shared pollers and the release webhook receiver.
//
// The default feed (ClusterStacks without spec.source), first match wins:
//   --default-source URL   that feed; credentials from the Go operator's variables
//                          (sources::credentials_from_env)
//   --local                file://<cache dir>/cluster-stacks: releases placed by hand as
//                          <cache dir>/cluster-stacks/<tag>/, the Go operator's local mode
//   --source github|oci    the Go operator's environment variables
//                          (sources::default_feed_from_env); an error names the missing one
//   (none of these)        github from the environment when any GIT_* variable of the Go
//                          operator is set; otherwise no default feed (stacks with spec.source
//                          still work)
//
// controllers_options() checks every value and returns a FlagError whose message starts with
// the flag at fault ("--source-interval: ..."); callers print it and exit 2. It reads the
// webhook secret file; the secret never appears in a message.
//
// Plain values and functions; thread-compatible. `flags` must outlive the CLI11 parse.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "controllers/setup.h"
#include "sources/feed.h"

namespace cairn::cmd {

struct ControllerFlags {
  std::string cache_dir;       // --cache-dir / --release-dir; preset by add_controller_flags
  std::string source;          // --source; "" when not given
  bool local = false;          // --local
  std::string default_source;  // --default-source URL
  std::vector<std::string> allowed_sources;  // --allowed-source (repeatable)
  std::string source_interval = "5m";
  int list_workers = 4;
  int download_workers = 2;
  int clusterstack_concurrency = 1;
  int clusterstackrelease_concurrency = 1;
  std::string webhook_bind_address = "0";  // --release-webhook-bind-address
  std::string webhook_secret_file;         // --release-webhook-secret-file
};

// Registers the flags on `cmd`, writing into `flags`. `cache_dir_default` becomes the value of
// --cache-dir (the manager's /tmp/downloads); when it is empty (up, whose default depends on
// --data-dir) the caller fills it in after parsing and `cache_dir_help` names the default.
void add_controller_flags(CLI::App& cmd, ControllerFlags& flags,
                          const std::string& cache_dir_default,
                          const std::string& cache_dir_help = "");

// A bad flag value; `message` starts with the flag's name.
struct FlagError {
  std::string message;
};

// Checks the flags and builds the options (cache_dir made absolute, the feeds' scratch space
// under it). `getenv` is the environment to read (sources::process_env in the binary).
tl::expected<controllers::ControllersOptions, FlagError> controllers_options(
    const ControllerFlags& flags, const sources::Getenv& getenv);

// Adds `feed` to `options.allowed_sources`, keeping what an empty list allows (every github://,
// git and oci:// feed) when the list was empty: `cairn up --demo` allows its git+file:// feed
// without shutting out the others.
void allow_source(controllers::ControllersOptions& options, const sources::FeedUrl& feed);

// One line for the start-up log: the default feed ("none" without one) and the cache.
std::string describe_feeds(const controllers::ControllersOptions& options);

}  // namespace cairn::cmd
