// SourcePolicy: --allowed-source validation and glob matching of feed URLs (source_policy.h).
#include "controllers/source_policy.h"

#include <array>
#include <string_view>
#include <vector>

namespace cairn::controllers {
namespace {

constexpr std::array<std::string_view, 8> kSchemes = {"github://",  "git+https://", "git+http://",
                                                      "git+ssh://", "git+file://",  "git://",
                                                      "oci://",     "file://"};

bool starts_with_scheme(std::string_view pattern) {
  for (std::string_view scheme : kSchemes) {
    if (pattern.substr(0, scheme.size()) == scheme) return true;
  }
  return false;
}

// Whether `text` matches `pattern` in whole, `*` standing for any run of characters other than
// '?'. Dynamic programming over the pattern: after each pattern character, reach[t] says whether
// the pattern so far matches text[0, t); O(pattern x text), both short.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::vector<char> reach(text.size() + 1, 0);
  std::vector<char> next(text.size() + 1, 0);
  reach[0] = 1;
  for (char c : pattern) {
    next[0] = c == '*' ? reach[0] : 0;
    for (std::size_t t = 1; t <= text.size(); ++t) {
      if (c == '*') {
        next[t] = reach[t] || (next[t - 1] && text[t - 1] != '?');
      } else {
        next[t] = reach[t - 1] && text[t - 1] == c;
      }
    }
    reach.swap(next);
  }
  return reach[text.size()] != 0;
}

// Feeds on the manager's own file system.
bool local_feed(const sources::FeedUrl& url) {
  return url.kind == sources::FeedKind::kFile ||
         (url.kind == sources::FeedKind::kGit && url.remote.rfind("file://", 0) == 0);
}

}  // namespace

sources::Result<SourcePolicy> SourcePolicy::make(std::vector<std::string> patterns,
                                                 std::optional<sources::FeedUrl> default_feed) {
  for (const std::string& pattern : patterns) {
    if (pattern.empty()) {
      return sources::make_error(sources::ErrorKind::kConfig,
                                 "--allowed-source: an empty pattern allows nothing; give a "
                                 "feed URL pattern such as github://ORG/*");
    }
    if (!starts_with_scheme(pattern)) {
      return sources::make_error(
          sources::ErrorKind::kConfig,
          "--allowed-source \"" + pattern +
              "\": a pattern must start with a feed scheme (github://, git+https://, "
              "git+http://, git+ssh://, git+file://, git://, oci:// or file://), e.g. "
              "github://ORG/* or oci://REGISTRY/REPOSITORY/*");
    }
  }
  SourcePolicy policy;
  policy.patterns_ = std::move(patterns);
  policy.default_feed_ = std::move(default_feed);
  return policy;
}

std::optional<std::string> SourcePolicy::refuse_reason(const sources::FeedUrl& url) const {
  if (default_feed_ && *default_feed_ == url) return std::nullopt;
  const std::string text = url.str();
  const std::string refused = "feed source \"" + text + "\" is not allowed on this cluster: ";
  const std::string ask =
      "; ask the cluster operator to add an --allowed-source pattern that matches it";
  if (patterns_.empty()) {
    if (!local_feed(url)) return std::nullopt;
    return refused +
           "file:// and git+file:// feeds read the manager's file system and need an "
           "--allowed-source pattern (none is set)" +
           ask;
  }
  for (const std::string& pattern : patterns_) {
    if (glob_match(pattern, text)) return std::nullopt;
  }
  std::string list;
  for (const std::string& pattern : patterns_) {
    if (!list.empty()) list += ", ";
    list += pattern;
  }
  return refused + "it matches none of the --allowed-source patterns (" + list + ")" + ask;
}

}  // namespace cairn::controllers
