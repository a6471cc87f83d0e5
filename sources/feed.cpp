// open_feed: the FeedUrl's kind picks the implementation (feed.h, detail/feeds.h).
#include "sources/feed.h"

#include "sources/detail/feeds.h"

namespace cairn::sources {

Result<std::unique_ptr<Feed>> open_feed(const FeedUrl& url, FeedOptions options) {
  switch (url.kind) {
    case FeedKind::kGitHub: return detail::open_github_feed(url, std::move(options));
    case FeedKind::kGit: return detail::open_git_feed(url, std::move(options));
    case FeedKind::kOci: return detail::open_oci_feed(url, std::move(options));
    case FeedKind::kFile: return detail::open_file_feed(url, std::move(options));
  }
  return make_error(ErrorKind::kConfig, "unknown feed kind");
}

}  // namespace cairn::sources
