// The GitHub Releases feed (detail/feeds.h): release tags from the REST API with every page
// followed and conditional polling by ETag, rate limits turned into kRateLimited with the time a
// retry makes sense, and release assets streamed from the asset store (after the API's 302) into
// files whose size and published sha256 are checked.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sources/detail/feeds.h"
#include "sources/detail/http.h"
#include "sources/digest.h"

namespace cairn::sources::detail {
namespace {

using Clock = std::chrono::steady_clock;

// How often list() makes a full, unconditional relist. A conditional request covers the first
// page only, and that page (the newest releases) keeps its ETag when a release on a later page
// is deleted or retagged; without a periodic relist the cached list would keep such a release
// forever. Ten minutes bounds that staleness, while an unchanged feed polled every few seconds
// still costs one conditional request per poll (a 304, which GitHub does not count against the
// rate limit) and a full relist of all pages only six times an hour.
constexpr std::chrono::milliseconds kFullRelistInterval = std::chrono::minutes(10);

constexpr int kPerPage = 100;  // GitHub's maximum
// A Link chain longer than this (100000 releases) is taken as a server fault, not followed.
constexpr int kMaxPages = 1000;
constexpr std::string_view kApiVersion = "2022-11-28";
constexpr std::string_view kJson = "application/vnd.github+json";
constexpr std::string_view kOctetStream = "application/octet-stream";
// GitHub's advice for a secondary rate limit that names no time: wait at least a minute.
constexpr std::chrono::seconds kDefaultRateLimitWait{60};
constexpr std::size_t kMaxQuotedMessage = 200;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Non-negative decimal seconds, or nullopt.
std::optional<long long> parse_seconds(std::string_view v) {
  if (v.empty() || v.size() > 15) return std::nullopt;
  long long n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// scheme://host[:port] of a URL.
std::string_view origin(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == url.npos) return url;
  return url.substr(0, url.find('/', sep + 3));
}

// The "message" of a GitHub error body, shortened and printable, or "".
std::string github_message(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  const auto it = j.find("message");
  if (it == j.end() || !it->is_string()) return "";
  std::string m;
  for (char c : it->get_ref<const std::string&>()) {
    if (m.size() >= kMaxQuotedMessage) break;
    m.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  return m;
}

// Why `name` cannot be a file in the release directory, or "" if it is a plain file name.
std::string bad_asset_name(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name.find('/') != name.npos || name.find('\\') != name.npos) {
    return "it contains a path separator";
  }
  if (name.find("..") != name.npos) return "it contains \"..\"";
  if (name.front() == '.') return "it starts with '.'";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "it contains a control character";
  }
  return "";
}

struct Asset {
  std::uint64_t id = 0;
  std::string name;
  std::uint64_t size = 0;
  std::string published_sha256;  // "" when GitHub publishes no sha256 digest
};

class GitHubFeed final : public Feed {
 public:
  GitHubFeed(FeedUrl url, FeedOptions options, std::chrono::milliseconds full_relist_interval)
      : url_(std::move(url)),
        options_(std::move(options)),
        full_relist_interval_(full_relist_interval),
        http_(options_) {}

  const FeedUrl& url() const override { return url_; }
  Result<ListResult> list() override;
  Result<std::vector<ReleaseFile>> fetch(const std::string& tag,
                                         const std::filesystem::path& dir) override;
  FeedStats stats() const override;

 private:
  std::string repo_url() const { return url_.api_base + "/repos/" + url_.org + "/" + url_.repo; }
  Headers api_headers(std::string_view accept) const;
  Error in_context(Error e) const { return with_context(std::move(e), "feed " + url_.str()); }
  // The "message" of a GitHub error body, with the token removed should a server echo it.
  std::string quoted_message(const std::string& body) const;
  tl::unexpected<Error> fail(ErrorKind kind, std::string message) const {
    return tl::unexpected<Error>(in_context(Error{kind, std::move(message), std::nullopt}));
  }
  // The error for a non-success answer to `what`; `not_found` is the message for a 404.
  Error status_error(const HttpResponse& r, std::string_view what,
                     std::string_view not_found) const;
  std::optional<Error> rate_limit_error(const HttpResponse& r, std::string_view what) const;
  Result<std::vector<std::string>> parse_page(const std::string& body, std::string_view what) const;
  Result<std::vector<Asset>> parse_release(const std::string& body, const std::string& tag) const;
  Result<ReleaseFile> download(const Asset& asset, const std::string& tag,
                               const std::filesystem::path& dir);

  const FeedUrl url_;
  const FeedOptions options_;
  const std::chrono::milliseconds full_relist_interval_;
  HttpClient http_;
  detail::FeedCounters counters_;  // requests and retries are the HTTP client's

  // The last full list: guarded by mu_, which is never held across a request.
  std::mutex mu_;
  bool listed_ = false;
  Clock::time_point listed_at_;  // when the list stored below was started
  std::string etag_;             // of its first page
  std::vector<std::string> tags_;
};

Headers GitHubFeed::api_headers(std::string_view accept) const {
  Headers h;
  h.emplace_back("Accept", std::string(accept));
  h.emplace_back("X-GitHub-Api-Version", std::string(kApiVersion));
  if (!options_.credentials.token.empty()) {
    h.emplace_back("Authorization", "Bearer " + options_.credentials.token);
  }
  return h;
}

std::string GitHubFeed::quoted_message(const std::string& body) const {
  std::string m = github_message(body);
  const std::string& token = options_.credentials.token;
  if (!token.empty()) {
    for (std::size_t p = m.find(token); p != std::string::npos; p = m.find(token, p)) {
      m.replace(p, token.size(), "[redacted]");
    }
  }
  return m;
}

std::optional<Error> GitHubFeed::rate_limit_error(const HttpResponse& r,
                                                  std::string_view what) const {
  if (r.status != 403 && r.status != 429) return std::nullopt;
  const auto now = std::chrono::system_clock::now();
  std::optional<std::chrono::system_clock::time_point> at;
  std::string which;
  // GitHub's documented order: Retry-After first, then an exhausted X-RateLimit-Remaining with
  // its X-RateLimit-Reset; a secondary limit that names no time means "wait a minute".
  if (const auto s = parse_seconds(r.header("retry-after"))) {
    at = now + std::chrono::seconds(*s);
    which = "secondary rate limit (Retry-After)";
  } else if (r.header("x-ratelimit-remaining") == "0") {
    which = "rate limit";
    if (const auto reset = parse_seconds(r.header("x-ratelimit-reset"))) {
      at = std::max(now, std::chrono::system_clock::time_point(std::chrono::seconds(*reset)));
    } else {
      at = now + kDefaultRateLimitWait;
    }
  } else if (r.status == 429 ||
             lower(github_message(r.body)).find("rate limit") != std::string::npos) {
    at = now + kDefaultRateLimitWait;
    which = "secondary rate limit";
  } else {
    return std::nullopt;
  }
  const auto wait = std::chrono::ceil<std::chrono::seconds>(*at - now).count();
  std::string message = "GitHub " + which + " reached (" + std::to_string(r.status) + ") on " +
                        std::string(what) + "; retry in " + std::to_string(wait) + " s, at " +
                        utc_text(*at) + "; ";
  if (options_.credentials.token.empty()) {
    message +=
        "anonymous requests get 60 an hour: set GIT_ACCESS_TOKEN (a fine-grained, read-only "
        "token) to get 5000";
  } else {
    message +=
        "the token's quota is shared by everything that uses it: give cairn its own fine-grained, "
        "read-only token (GIT_ACCESS_TOKEN) and poll less often";
  }
  Error e{ErrorKind::kRateLimited, std::move(message), at};
  return e;
}

Error GitHubFeed::status_error(const HttpResponse& r, std::string_view what,
                               std::string_view not_found) const {
  if (auto e = rate_limit_error(r, what)) return *e;
  const bool has_token = !options_.credentials.token.empty();
  const std::string status = std::to_string(r.status);
  const std::string said = quoted_message(r.body);
  const std::string quoted = said.empty() ? std::string() : " \"" + said + "\"";
  switch (r.status) {
    case 401:
      return Error{ErrorKind::kUnauthorized,
                   has_token
                       ? "GitHub rejected the token (401" + quoted + ") on " + std::string(what) +
                             ": token invalid or expired; renew GIT_ACCESS_TOKEN (the "
                             "Secret's git-access-token)"
                       : "GitHub requires authentication (401) for " + std::string(what) +
                             "; set GIT_ACCESS_TOKEN to a fine-grained, read-only token",
                   std::nullopt};
    case 403:
      return Error{ErrorKind::kUnauthorized,
                   "GitHub refused " + std::string(what) + " (403" + quoted + "); " +
                       (has_token ? "the token needs read access to the repository's contents"
                                  : "set GIT_ACCESS_TOKEN to a token that can read the "
                                    "repository"),
                   std::nullopt};
    case 404:
      return Error{ErrorKind::kNotFound, std::string(not_found), std::nullopt};
    default:
      return Error{ErrorKind::kTransport,
                   "GitHub answered " + status + quoted + " to " + std::string(what) +
                       (r.status >= 500 ? " (after " + std::to_string(options_.max_attempts) +
                                              " attempts); try again later"
                                        : ""),
                   std::nullopt};
  }
}

Result<std::vector<std::string>> GitHubFeed::parse_page(const std::string& body,
                                                        std::string_view what) const {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return fail(ErrorKind::kTransport,
                std::string(what) + ": GitHub's answer is not a JSON array of releases");
  }
  std::vector<std::string> tags;
  for (const auto& release : j) {
    if (!release.is_object()) continue;
    const auto draft = release.find("draft");
    // Drafts (visible to tokens with push access) have no tag yet that fetch could name.
    if (draft != release.end() && draft->is_boolean() && draft->get<bool>()) continue;
    const auto tag = release.find("tag_name");
    if (tag == release.end() || !tag->is_string() || tag->get_ref<const std::string&>().empty()) {
      continue;
    }
    tags.push_back(tag->get<std::string>());
  }
  return tags;
}

Result<ListResult> GitHubFeed::list() {
  const Clock::time_point started = Clock::now();
  bool conditional = false;
  std::string etag;
  std::vector<std::string> cached;
  {
    std::lock_guard lock(mu_);
    if (listed_ && !etag_.empty() && started - listed_at_ < full_relist_interval_) {
      conditional = true;
      etag = etag_;
      cached = tags_;
    }
  }
  const std::string not_found = "repository " + url_.org + "/" + url_.repo +
                                " not found or the token cannot read it; check the feed URL "
                                "and, for a private repository, GIT_ACCESS_TOKEN";
  std::vector<std::string> tags;
  std::set<std::string> seen_tags;
  std::set<std::string> seen_pages;
  std::string first_etag;
  std::string page_url = repo_url() + "/releases?per_page=" + std::to_string(kPerPage);
  for (int page = 1; !page_url.empty(); ++page) {
    const std::string what = "release list page " + std::to_string(page);
    if (page > kMaxPages || !seen_pages.insert(page_url).second) {
      return fail(ErrorKind::kTransport,
                  what + ": the Link header chain does not end; GitHub's pagination is broken");
    }
    HttpRequest request;
    request.url = page_url;
    request.headers = api_headers(kJson);
    if (page == 1 && conditional) request.headers.emplace_back("If-None-Match", etag);
    auto r = http_.send_with_retry(request, what);
    if (!r) return tl::unexpected(in_context(std::move(r.error())));
    if (page == 1 && conditional && r->status == 304) {
      counters_.not_modified.fetch_add(1, std::memory_order_relaxed);
      ListResult result;
      result.tags = std::move(cached);
      result.not_modified = true;
      return result;
    }
    if (r->status != 200) return tl::unexpected(in_context(status_error(*r, what, not_found)));
    if (page == 1) first_etag = r->header("etag");
    auto page_tags = parse_page(r->body, what);
    if (!page_tags) return tl::unexpected(page_tags.error());
    // A release published while the pages are read shifts the pages by one, so the last
    // release of a page comes again as the first of the next.
    for (auto& t : *page_tags) {
      if (seen_tags.insert(t).second) tags.push_back(std::move(t));
    }
    std::string next = link_next(r->header("link"), page_url);
    if (!next.empty() && origin(next) != origin(url_.api_base)) {
      // The token must not follow a link to another host.
      return fail(ErrorKind::kTransport,
                  what + ": the Link header leads away from " + std::string(origin(url_.api_base)));
    }
    page_url = std::move(next);
  }
  {
    std::lock_guard lock(mu_);
    // A list that started earlier than the stored one holds older news; keep the newer.
    if (!listed_ || started >= listed_at_) {
      listed_ = true;
      listed_at_ = started;
      etag_ = std::move(first_etag);
      tags_ = tags;
    }
  }
  ListResult result;
  result.tags = std::move(tags);
  return result;
}

Result<std::vector<Asset>> GitHubFeed::parse_release(const std::string& body,
                                                     const std::string& tag) const {
  const std::string what = "release " + tag;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorKind::kTransport, what + ": GitHub's answer is not a JSON release");
  }
  const auto assets = j.find("assets");
  if (assets == j.end() || !assets->is_array()) {
    return fail(ErrorKind::kTransport, what + ": GitHub's answer has no asset list");
  }
  std::vector<Asset> out;
  std::set<std::string> names;
  for (const auto& a : *assets) {
    const auto id = a.is_object() ? a.find("id") : a.end();
    const auto name = a.is_object() ? a.find("name") : a.end();
    const auto size = a.is_object() ? a.find("size") : a.end();
    if (!a.is_object() || id == a.end() || !id->is_number_unsigned() || name == a.end() ||
        !name->is_string() || size == a.end() || !size->is_number_unsigned()) {
      return fail(ErrorKind::kTransport,
                  what + ": an asset lacks a numeric id, a name or a numeric size");
    }
    Asset asset;
    asset.id = id->get<std::uint64_t>();
    asset.name = name->get<std::string>();
    asset.size = size->get<std::uint64_t>();
    if (const std::string why = bad_asset_name(asset.name); !why.empty()) {
      return fail(ErrorKind::kInvalidRelease,
                  what + ": asset name \"" + asset.name + "\" is not a plain file name (" + why +
                      "); the release must be republished with plain asset names");
    }
    if (!names.insert(asset.name).second) {
      return fail(ErrorKind::kInvalidRelease,
                  what + ": two assets are named \"" + asset.name + "\"");
    }
    const auto digest = a.find("digest");
    if (digest != a.end() && digest->is_string()) {
      const std::string& d = digest->get_ref<const std::string&>();
      if (d.rfind("sha256:", 0) == 0) {
        asset.published_sha256 = sha256_from_digest(d);
        if (asset.published_sha256.empty()) {
          return fail(ErrorKind::kIntegrity, what + ": asset " + asset.name +
                                                 " has a malformed sha256 digest \"" +
                                                 d.substr(0, 80) + "\"");
        }
      }
    }
    if (asset.size > options_.max_file_bytes) {
      return fail(ErrorKind::kTooLarge,
                  what + ": asset " + asset.name + " has " + std::to_string(asset.size) +
                      " bytes, more than the limit of " + std::to_string(options_.max_file_bytes));
    }
    out.push_back(std::move(asset));
  }
  return out;
}

Result<ReleaseFile> GitHubFeed::download(const Asset& asset, const std::string& tag,
                                         const std::filesystem::path& dir) {
  const std::string what = "asset " + asset.name + " of release " + tag;
  HttpRequest request;
  request.url = repo_url() + "/releases/assets/" + std::to_string(asset.id);
  // The API answers 302 to the asset store, another host (here: port); libcurl drops the
  // Authorization header there (detail/http.h), as the store's pre-signed URL needs none.
  request.headers = api_headers(kOctetStream);
  request.to_file = dir / asset.name;
  request.max_bytes = options_.max_file_bytes;
  auto r = http_.send_with_retry(request, what);
  if (!r) return tl::unexpected(in_context(std::move(r.error())));
  if (r->status != 200) {
    return tl::unexpected(in_context(status_error(
        *r, what, what + " is gone (404): the release changed while it was fetched; retry")));
  }
  if (r->size != asset.size) {
    return fail(ErrorKind::kIntegrity, what + ": received " + std::to_string(r->size) +
                                           " bytes, GitHub lists " + std::to_string(asset.size) +
                                           "; the download was cut or the asset was replaced");
  }
  if (!asset.published_sha256.empty() && r->sha256 != asset.published_sha256) {
    return fail(ErrorKind::kIntegrity,
                what + ": sha256 mismatch: GitHub publishes " + asset.published_sha256 +
                    ", received " + r->sha256 +
                    "; the download was corrupted or the asset was replaced");
  }
  counters_.downloads.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(r->size, std::memory_order_relaxed);
  ReleaseFile file;
  file.name = asset.name;
  file.size = r->size;
  file.sha256 = r->sha256;
  file.published_sha256 = asset.published_sha256;
  return file;
}

Result<std::vector<ReleaseFile>> GitHubFeed::fetch(const std::string& tag,
                                                   const std::filesystem::path& dir) {
  const std::string what = "release " + tag;
  if (tag.empty()) return fail(ErrorKind::kConfig, "fetch needs a release tag");
  HttpRequest request;
  request.url = repo_url() + "/releases/tags/" + url_escape(tag);
  request.headers = api_headers(kJson);
  auto r = http_.send_with_retry(request, what);
  if (!r) return tl::unexpected(in_context(std::move(r.error())));
  if (r->status != 200) {
    return tl::unexpected(in_context(status_error(
        *r, what,
        "release " + tag + " not found: no published release of " + url_.org + "/" + url_.repo +
            " has this tag (or the repository is not readable); list the feed for its tags")));
  }
  auto assets = parse_release(r->body, tag);
  if (!assets) return tl::unexpected(assets.error());
  std::vector<ReleaseFile> files;
  files.reserve(assets->size());
  for (const Asset& asset : *assets) {
    auto file = download(asset, tag, dir);
    if (!file) return tl::unexpected(file.error());
    files.push_back(std::move(*file));
  }
  return files;
}

FeedStats GitHubFeed::stats() const {
  FeedStats s = counters_.snapshot();
  s.requests = http_.counters().requests.load(std::memory_order_relaxed);
  s.retries = http_.counters().retries.load(std::memory_order_relaxed);
  return s;
}

}  // namespace

// As open_github_feed, with the interval of full relists chosen by the caller (tests show the
// relist without waiting ten minutes).
Result<std::unique_ptr<Feed>> open_github_feed(const FeedUrl& url, FeedOptions options,
                                               std::chrono::milliseconds full_relist_interval) {
  if (url.kind != FeedKind::kGitHub || url.org.empty() || url.repo.empty() ||
      url.api_base.empty()) {
    return make_error(ErrorKind::kConfig,
                      "feed " + url.str() + ": not a github://ORG/REPO feed with an API base");
  }
  return std::unique_ptr<Feed>(
      std::make_unique<GitHubFeed>(url, std::move(options), full_relist_interval));
}

Result<std::unique_ptr<Feed>> open_github_feed(const FeedUrl& url, FeedOptions options) {
  return open_github_feed(url, std::move(options), kFullRelistInterval);
}

}  // namespace cairn::sources::detail
