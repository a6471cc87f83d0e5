// The Go operator's environment variables mapped onto a default feed and credentials (feed.h).
#include <cstdlib>

#include "sources/feed.h"

namespace cairn::sources {
namespace {

Result<std::string> required(const Getenv& getenv, const char* name, std::string_view why) {
  auto v = getenv(name);
  if (!v || v->empty()) {
    return make_error(ErrorKind::kConfig, "environment variable " + std::string(name) +
                                              " is not set (" + std::string(why) + ")");
  }
  return *v;
}

std::string value_or_empty(const Getenv& getenv, const char* name) {
  auto v = getenv(name);
  return v ? *v : std::string();
}

// The host of "https://HOST/..." (or "" for other remotes).
std::string https_host(const std::string& remote) {
  constexpr std::string_view kPrefix = "https://";
  if (remote.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  const std::size_t end = remote.find('/', kPrefix.size());
  return remote.substr(kPrefix.size(), end == std::string::npos ? end : end - kPrefix.size());
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Credentials credentials_from_env(const FeedUrl& url, const Getenv& getenv) {
  Credentials c;
  switch (url.kind) {
    case FeedKind::kGitHub:
      c.token = value_or_empty(getenv, "GIT_ACCESS_TOKEN");
      break;
    case FeedKind::kGit:
      // A GitHub token goes to GitHub only, never to another Git host.
      if (https_host(url.remote) == "github.com") {
        c.token = value_or_empty(getenv, "GIT_ACCESS_TOKEN");
      }
      break;
    case FeedKind::kOci: {
      // OCI_* belong to the registry OCI_REGISTRY names (or, without it, the one OCI_REPOSITORY
      // starts with); another registry gets nothing.
      const std::string registry = value_or_empty(getenv, "OCI_REGISTRY");
      const std::string repository = value_or_empty(getenv, "OCI_REPOSITORY");
      const bool match = registry.empty()
                             ? repository.compare(0, url.registry.size() + 1,
                                                  url.registry + "/") == 0
                             : registry == url.registry;
      if (match) {
        c.username = value_or_empty(getenv, "OCI_USERNAME");
        c.password = value_or_empty(getenv, "OCI_PASSWORD");
        c.token = value_or_empty(getenv, "OCI_ACCESS_TOKEN");
      }
      break;
    }
    case FeedKind::kFile:
      break;
  }
  return c;
}

Result<DefaultFeed> default_feed_from_env(std::string_view source, const Getenv& getenv) {
  if (source.empty() || source == "github") {
    auto provider = required(getenv, "GIT_PROVIDER", "the default GitHub feed needs it");
    if (!provider) return tl::unexpected(provider.error());
    if (*provider != "github") {
      return make_error(ErrorKind::kConfig, "only github is supported as GIT_PROVIDER, not \"" +
                                                *provider + "\"; name other feeds by URL");
    }
    auto org = required(getenv, "GIT_ORG_NAME", "the GitHub organisation of the releases");
    if (!org) return tl::unexpected(org.error());
    auto repo = required(getenv, "GIT_REPOSITORY_NAME", "the GitHub repository of the releases");
    if (!repo) return tl::unexpected(repo.error());
    auto url = FeedUrl::parse("github://" + *org + "/" + *repo);
    if (!url) return tl::unexpected(url.error());
    return DefaultFeed{*url, credentials_from_env(*url, getenv)};
  }
  if (source == "oci") {
    auto repository = required(getenv, "OCI_REPOSITORY",
                               "the full repository, e.g. registry.example.com/kaas/cluster-stacks");
    if (!repository) return tl::unexpected(repository.error());
    auto url = FeedUrl::parse("oci://" + *repository);
    if (!url) return tl::unexpected(url.error());
    return DefaultFeed{*url, credentials_from_env(*url, getenv)};
  }
  return make_error(ErrorKind::kConfig, "unknown source \"" + std::string(source) +
                                            "\": expected github or oci (other feeds are named "
                                            "by URL)");
}

}  // namespace cairn::sources
