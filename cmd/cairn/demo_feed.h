// The demo of `cairn up --demo`: a local Git repository that publishes releases of the example
// cluster stack examples/cluster-stacks/docker-demo-1-32 as tags, and the objects (a namespace
// and a ClusterStack) that subscribe to it.
//
// The repository is written with libgit2 (no `git` binary needed). Each release is one commit
// with a lightweight tag `docker-demo-1-32-vN` whose tree is a release as sources/release.h
// validates it:
//   metadata.yaml                           versions.clusterStack: vN (the rest as the example's)
//   docker-demo-1-32-cluster-class-vN/      the example's cluster-class chart, Chart.yaml
//                                           version vN (so the ClusterClass is ...-vN)
//   docker-demo-1-32-cluster-addon-<addon>/ the example's cluster-addon chart
//   cluster-addon-values.yaml
// ensure_demo_feed is idempotent: tags already present are left as they are (a moved tag would
// make caches refetch), missing ones are added on top of HEAD, and the working tree shows the
// newest release. Users may add their own tags (`git tag`) to see new releases arrive.
//
// Plain functions; not safe to call concurrently on the same repository (`cairn up` holds its
// data directory lock while it calls them).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sources/error.h"
#include "sources/feed_url.h"

namespace cairn::cmd {

// The example stack and what the demo publishes of it.
inline constexpr const char* kDemoStack = "docker-demo-1-32";
inline constexpr const char* kDemoNamespace = "demo";
inline constexpr const char* kDemoClusterStack = "demo";
inline constexpr const char* kDemoInterval = "30s";
// The versions published, oldest first; the ClusterStack pins the first.
inline const std::vector<std::string>& demo_versions() {
  static const std::vector<std::string> versions = {"v1", "v2"};
  return versions;
}

struct DemoFeed {
  sources::FeedUrl url;              // git+file://<repo>
  std::vector<std::string> tags;     // every demo release tag, oldest first
  std::vector<std::string> created;  // the tags this call created (empty when all existed)
};

// Creates or completes the repository `repo_dir` from the example stack directory
// `example_dir` (the one holding metadata.yaml, cluster-class/, cluster-addon/). Errors name
// the file or the libgit2 operation that failed.
sources::Result<DemoFeed> ensure_demo_feed(const std::filesystem::path& repo_dir,
                                           const std::filesystem::path& example_dir);

// The example stack directory: `explicit_dir` when given (an example stack directory, or an
// examples root holding cluster-stacks/docker-demo-1-32), else the first of: the source tree
// the binary was built from, <binary dir>/../share/cairn/examples, /usr/share/cairn/examples.
// An error lists the places searched.
sources::Result<std::filesystem::path> find_demo_example(const std::filesystem::path& explicit_dir);

// The objects the demo applies, in order: Namespace `demo`, and ClusterStack `demo` (provider
// docker, name demo, Kubernetes 1.32, channel stable, autoSubscribe, noProvider, versions [v1],
// spec.source {url: feed, interval: 30s}).
std::vector<nlohmann::json> demo_objects(const sources::FeedUrl& feed);

}  // namespace cairn::cmd
