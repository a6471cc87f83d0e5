// SourcePolicy: which release feeds users may name in `ClusterStack.spec.source.url`, set by
// the cluster operator with `--allowed-source` patterns (the manager's flag, repeatable).
//
// A pattern is a glob over the canonical feed URL (FeedUrl::str(), e.g.
// `github://SovereignCloudStack/*`, `oci://registry.example.com/kaas/*`,
// `git+https://git.example.com/stacks/*`): `*` matches any run of characters except `?`, every
// other character matches itself, and the whole URL must match. Because `*` stops at `?`,
// query parameters must be spelled out: `github://org/*` does not allow
// `github://org/repo?api=https://elsewhere.example` (which would send the manager's requests
// to another server) nor `oci://reg/repo?insecure=true` (plain HTTP); write
// `github://org/*?api=https://ghe.example.com/api/v3` or `git+https://host/org/*?path=*` to
// allow them. Put a '/' after the host (`oci://reg.example.com/*`): `oci://reg.example.com*`
// also matches `oci://reg.example.com.evil.example/x`. A pattern must start with a feed scheme
// (`github://`, `git+https://`, `git+http://`, `git+ssh://`, `git+file://`, `git://`, `oci://`,
// `file://`).
//
// Without patterns every network feed is allowed (github://, git+https://, git+http://,
// git+ssh://, git://, oci://) but no file:// or git+file:// feed: those read the manager's own
// file system. The manager's default feed (flags or the Go operator's environment) is always
// allowed.
//
// Plain value; immutable after make(), so safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sources/error.h"
#include "sources/feed_url.h"

namespace cairn::controllers {

class SourcePolicy {
 public:
  // A policy that allows every network feed and the default feed (no patterns).
  SourcePolicy() = default;

  // kConfig error naming the first pattern that is empty or does not start with a feed scheme.
  static sources::Result<SourcePolicy> make(std::vector<std::string> patterns,
                                            std::optional<sources::FeedUrl> default_feed);

  // nullopt when `url` is allowed; else a message for the ClusterStack's condition that names
  // the URL and tells the user to ask the cluster operator for an --allowed-source pattern.
  std::optional<std::string> refuse_reason(const sources::FeedUrl& url) const;

  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
  std::optional<sources::FeedUrl> default_feed_;
};

}  // namespace cairn::controllers
