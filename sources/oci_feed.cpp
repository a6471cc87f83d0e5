// The OCI registry feed (detail/feeds.h): oci://REGISTRY/REPOSITORY over the OCI distribution v2
// API. Tags of the repository are the releases; a release is an ORAS artifact whose layers are
// the release files, each named by its `org.opencontainers.image.title` annotation, and ORAS
// directory layers (`io.deis.oras.content.unpack: "true"`) are unpacked into a subdirectory.
//
// Authentication follows the registry's 401 challenge, anonymous first:
//   Basic   the credentials are sent as HTTP Basic.
//   Bearer  a token is fetched from the challenge's realm (GET ?service=&scope=, with the
//           credentials as HTTP Basic, anonymous without them), cached until `expires_in` runs
//           out, and sent as `Authorization: Bearer`.
// Credentials are OCI_USERNAME/OCI_PASSWORD, or the access token OCI_ACCESS_TOKEN sent as the
// password (with OCI_USERNAME when set, else the placeholder user "cairn"). The Go operator
// (through ORAS) base64-encodes OCI_ACCESS_TOKEN and sends it to the registry itself as the
// bearer token, skipping the token service: a shortcut GHCR happens to accept. The clean
// equivalent is the standard distribution token flow with the token as password, which is what
// `docker login ghcr.io -u USER --password-stdin` does with a personal access token and what
// token services generally accept; the same OCI_ACCESS_TOKEN value keeps working, unencoded.
//
// Listing: GET /v2/<repo>/tags/list?n=100 and every page its Link header (rel="next") names.
// A page that carried an ETag is asked for again with If-None-Match, and a 304 reuses the page
// kept from last time. ListResult::not_modified is true when the set of tags equals the previous
// list()'s, whichever way it was learnt: Debian's docker-registry (distribution 2.8) sends no
// ETag (and ignores `n`: it answers every tag in one page), so there every poll transfers the
// list and not_modified comes from the comparison.
//
// Integrity: the manifest is checked against the Docker-Content-Digest header when the registry
// sends one (sha256), every blob is hashed while it is written and compared with the layer
// digest and size (kIntegrity). The layer digest covers a directory layer's compressed bytes;
// the ORAS `io.deis.oras.content.digest` of the uncompressed tar adds nothing to that and is not
// checked.
//
// Files: a file layer becomes dir/<title>, its ReleaseFile::published_sha256 the layer digest. A
// directory layer becomes dir/<title>/..., its tarball is not kept, and its files carry no
// published digest of their own (the layer digest, checked before unpacking, covers them).
//
// Thread-safety: list and fetch may run on several threads at once. The cached authorization
// and the kept tag pages are guarded by one mutex that is never held across a request; two
// threads that meet a 401 at once may both fetch a token, and the later one is kept.
#include <openssl/evp.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "sources/detail/feeds.h"
#include "sources/detail/http.h"
#include "sources/digest.h"
#include "sources/extract.h"

namespace cairn::sources::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciArtifactManifest = "application/vnd.oci.artifact.manifest.v1+json";
constexpr std::string_view kTarGzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kTarLayer = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view kTitleAnnotation = "org.opencontainers.image.title";
constexpr std::string_view kUnpackAnnotation = "io.deis.oras.content.unpack";

constexpr int kPageSize = 100;
// A Link chain longer than this (a million tags) is taken as a registry fault.
constexpr std::size_t kMaxPages = 10'000;
// distribution refuses manifests over 4 MiB; so do we.
constexpr std::uint64_t kMaxManifestBytes = 4ull << 20;
constexpr std::uint64_t kMaxTagPageBytes = 16ull << 20;
constexpr std::uint64_t kMaxTokenResponseBytes = 1ull << 20;
constexpr std::uint64_t kMinBlobLimit = 64ull << 10;
// The distribution token spec's default lifetime when a token response names none.
constexpr std::chrono::seconds kDefaultTokenLifetime{60};
// A cached token is dropped this much before it expires (a tenth of a short lifetime), so it
// does not run out between the check and the registry reading it.
constexpr std::chrono::milliseconds kMaxTokenMargin{30'000};
// A 429 without Retry-After: try again after a minute.
constexpr std::chrono::seconds kDefaultRateLimitWait{60};
// The user name sent with an access token when OCI_USERNAME is not set.
constexpr std::string_view kTokenUser = "cairn";
constexpr std::size_t kMaxQuoted = 200;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Standard base64 (with padding) of Basic credentials, through OpenSSL.
std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

// Text from the network, made safe to quote in a message: printable ASCII, bounded.
std::string quote(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxQuoted)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out;
}

// scheme://host/path of a URL (no query), for messages.
std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

// The OCI distribution tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    const char c = tag[i];
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

// Why a layer title is not a plain file name, or "" when it is one. Titles become file names
// in the release directory, so nothing that could leave it or hide in it is accepted.
std::string bad_title_reason(std::string_view title) {
  if (title.empty()) return "it is empty";
  if (title.size() > 255) return "it is longer than 255 bytes";
  if (title.front() == '.') return "it starts with '.'";
  if (title.find("..") != title.npos) return "it contains \"..\"";
  for (char c : title) {
    if (c == '/' || c == '\\') return "it contains a path separator";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "it contains a control character";
  }
  return "";
}

// "CODE: message" of the first entry of a registry error body ({"errors":[{code, message}]}),
// or "".
std::string registry_error(std::string_view body) {
  try {
    const json j = json::parse(body);
    const json& errors = j.at("errors");
    if (!errors.is_array() || errors.empty()) return "";
    const json& e = errors.front();
    std::string out = e.value("code", "");
    const std::string message = e.value("message", "");
    if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
    return quote(out);
  } catch (const json::exception&) {
    return "";
  }
}

// Retry-After as delta-seconds or an HTTP date.
std::optional<std::chrono::system_clock::time_point> parse_retry_after(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v.size() <= 9 &&
      std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::chrono::system_clock::now() + std::chrono::seconds(std::stoll(v));
  }
  std::tm tm{};
  if (::strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
  }
  return std::nullopt;
}

// One layer of an artifact manifest, checked.
struct Layer {
  std::string title;
  std::string media_type;
  std::string sha256;  // hex
  std::uint64_t size = 0;
  bool unpack = false;
};

// Reads the layers of an image manifest; an index, another manifest type or a layer without a
// usable title is kInvalidRelease.
Result<std::vector<Layer>> read_layers(const json& j, std::string_view content_type) {
  if (!j.is_object()) return make_error(ErrorKind::kInvalidRelease, "the manifest is no object");
  std::string media_type;
  if (auto it = j.find("mediaType"); it != j.end() && it->is_string()) {
    media_type = it->get<std::string>();
  } else {
    media_type = std::string(content_type.substr(0, content_type.find(';')));
  }
  if (media_type == kOciIndex || media_type == kDockerManifestList || j.contains("manifests")) {
    return make_error(ErrorKind::kInvalidRelease,
                      "the tag names an image index (a list of manifests, e.g. one per "
                      "platform), not a release artifact; push the release files as one artifact "
                      "whose layers are the files (`oras push REGISTRY/REPO:TAG FILE...`)");
  }
  if (media_type == kOciArtifactManifest) {
    return make_error(ErrorKind::kInvalidRelease,
                      "the tag names an OCI artifact manifest (a draft type dropped from OCI 1.1); "
                      "push the release with an ORAS that writes image manifests (ORAS >= 1.0)");
  }
  if (!media_type.empty() && media_type != kOciManifest && media_type != kDockerManifest) {
    return make_error(ErrorKind::kInvalidRelease,
                      "unsupported manifest media type \"" + quote(media_type) + "\"");
  }
  const auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != 2) {
    return make_error(ErrorKind::kInvalidRelease, "the manifest's schemaVersion is not 2");
  }
  const auto layers_it = j.find("layers");
  if (layers_it == j.end() || !layers_it->is_array()) {
    return make_error(ErrorKind::kInvalidRelease, "the manifest has no layers array");
  }
  std::vector<Layer> layers;
  std::set<std::string> titles;
  std::size_t index = 0;
  for (const json& l : *layers_it) {
    const std::string where = "layer " + std::to_string(index++);
    if (!l.is_object()) return make_error(ErrorKind::kInvalidRelease, where + " is no object");
    Layer layer;
    const auto digest = l.find("digest");
    if (digest == l.end() || !digest->is_string()) {
      return make_error(ErrorKind::kInvalidRelease, where + " has no digest");
    }
    layer.sha256 = sha256_from_digest(digest->get<std::string>());
    if (layer.sha256.empty()) {
      return make_error(
          ErrorKind::kInvalidRelease,
          where + ": digest \"" + quote(digest->get<std::string>()) + "\" is not a sha256 digest");
    }
    const auto size = l.find("size");
    if (size == l.end() || !size->is_number_unsigned()) {
      return make_error(ErrorKind::kInvalidRelease, where + " has no valid size");
    }
    layer.size = size->get<std::uint64_t>();
    layer.media_type = l.value("mediaType", "");
    const auto annotations = l.find("annotations");
    const json empty = json::object();
    const json& a = annotations != l.end() && annotations->is_object() ? *annotations : empty;
    const auto title = a.find(kTitleAnnotation);
    if (title == a.end() || !title->is_string()) {
      return make_error(ErrorKind::kInvalidRelease,
                        where + " (sha256:" + layer.sha256 + ") has no " +
                            std::string(kTitleAnnotation) +
                            " annotation; every layer of a release must be a titled file, as "
                            "`oras push` makes them");
    }
    layer.title = title->get<std::string>();
    if (const std::string why = bad_title_reason(layer.title); !why.empty()) {
      return make_error(
          ErrorKind::kInvalidRelease,
          where + ": title \"" + quote(layer.title) + "\" is not a plain file name (" + why + ")");
    }
    if (!titles.insert(layer.title).second) {
      return make_error(ErrorKind::kInvalidRelease,
                        "two layers have the title \"" + layer.title + "\"");
    }
    const auto unpack = a.find(kUnpackAnnotation);
    layer.unpack = unpack != a.end() && unpack->is_string() && unpack->get<std::string>() == "true";
    if (layer.unpack && layer.media_type != kTarGzipLayer && layer.media_type != kTarLayer) {
      return make_error(ErrorKind::kInvalidRelease,
                        "directory layer " + layer.title + " has media type \"" +
                            quote(layer.media_type) + "\", expected " + std::string(kTarGzipLayer));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

Result<std::vector<Layer>> parse_manifest(std::string_view body, std::string_view content_type) {
  try {
    return read_layers(json::parse(body), content_type);
  } catch (const json::exception& e) {
    return make_error(ErrorKind::kInvalidRelease,
                      std::string("the manifest is malformed JSON (") + e.what() + ")");
  }
}

void remove_quietly(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

class OciFeed final : public Feed {
 public:
  OciFeed(FeedUrl url, FeedOptions options)
      : url_(std::move(url)),
        options_(std::move(options)),
        http_(options_),
        base_((url_.plain_http ? "http://" : "https://") + url_.registry),
        repository_url_(base_ + "/v2/" + url_.repository),
        context_("feed " + url_.str()) {}

  const FeedUrl& url() const override { return url_; }

  Result<ListResult> list() override {
    auto r = list_all();
    if (!r) return tl::unexpected(with_context(r.error(), context_));
    return r;
  }

  Result<std::vector<ReleaseFile>> fetch(const std::string& tag, const fs::path& dir) override {
    auto r = fetch_release(tag, dir);
    if (!r) return tl::unexpected(with_context(r.error(), context_ + ": release " + quote(tag)));
    return r;
  }

  FeedStats stats() const override {
    FeedStats s = counters_.snapshot();
    s.requests = http_.counters().requests.load();
    s.retries = http_.counters().retries.load();
    return s;
  }

 private:
  // One page of the tag list as last received, kept when it carried an ETag.
  struct Page {
    std::string etag;
    std::vector<std::string> tags;
    std::string next;  // absolute URL of the next page, or ""
  };

  Result<ListResult> list_all();
  Result<std::vector<ReleaseFile>> fetch_release(const std::string& tag, const fs::path& dir);
  Result<void> fetch_layer(const Layer& layer, const fs::path& dir,
                           std::vector<ReleaseFile>& files);
  Result<void> unpack_layer(const Layer& layer, const fs::path& tarball, const fs::path& dir,
                            std::vector<ReleaseFile>& files);

  // Sends a request to the registry with the cached authorization; a 401 is answered once (a
  // token fetched, or Basic credentials) and the request repeated. Transient failures are
  // retried by the HttpClient. Any status is returned as a response.
  Result<HttpResponse> send(const HttpRequest& request, std::string_view what);
  // The Authorization value for the challenge of a 401 answer (and caches it).
  Result<std::string> authorize(const HttpResponse& unauthorized, std::string_view what);
  Result<std::string> fetch_token(const AuthChallenge& challenge);
  std::string cached_authorization();
  void cache_authorization(std::string value, std::optional<Clock::time_point> expiry);

  // "user:password" for HTTP Basic, or "" without credentials.
  std::string basic_pair() const;
  // What to tell a user whose request was refused: which variables were used, never values.
  std::string credential_advice() const;
  // The error for a non-success answer; `missing` says what a 404 means.
  Error status_error(const HttpResponse& r, std::string_view what, std::string_view missing) const;

  const FeedUrl url_;
  const FeedOptions options_;
  HttpClient http_;
  const std::string base_;            // scheme://registry
  const std::string repository_url_;  // scheme://registry/v2/<repository>
  const std::string context_;

  detail::FeedCounters counters_;  // requests and retries are the HTTP client's

  std::mutex mu_;
  std::string authorization_;                             // guarded by mu_
  std::optional<Clock::time_point> authorization_until_;  // guarded by mu_; none: no expiry
  std::map<std::string, Page> pages_;                     // by page URL; guarded by mu_
  std::optional<std::vector<std::string>> last_tags_;     // sorted; guarded by mu_
};

std::string OciFeed::basic_pair() const {
  const Credentials& c = options_.credentials;
  if (!c.password.empty()) return c.username + ":" + c.password;
  if (!c.token.empty()) {
    return (c.username.empty() ? std::string(kTokenUser) : c.username) + ":" + c.token;
  }
  return "";
}

std::string OciFeed::credential_advice() const {
  const Credentials& c = options_.credentials;
  if (!c.password.empty()) {
    return "the registry refused the credentials from OCI_USERNAME/OCI_PASSWORD; check them (or "
           "the Secret that holds them) and that they may pull " +
           url_.repository;
  }
  if (!c.token.empty()) {
    return "the registry refused the access token from OCI_ACCESS_TOKEN; check it (or the "
           "Secret that holds it), that it may pull " +
           url_.repository + ", and set OCI_USERNAME when the registry checks the user name";
  }
  return "the registry requires credentials; set OCI_USERNAME/OCI_PASSWORD or OCI_ACCESS_TOKEN "
         "(or name a Secret that holds them)";
}

std::string OciFeed::cached_authorization() {
  std::lock_guard lock(mu_);
  if (authorization_until_ && Clock::now() >= *authorization_until_) {
    authorization_.clear();
    authorization_until_.reset();
  }
  return authorization_;
}

void OciFeed::cache_authorization(std::string value, std::optional<Clock::time_point> expiry) {
  std::lock_guard lock(mu_);
  authorization_ = std::move(value);
  authorization_until_ = expiry;
}

Result<HttpResponse> OciFeed::send(const HttpRequest& request, std::string_view what) {
  std::string authorization = cached_authorization();
  for (int round = 0;; ++round) {
    HttpRequest r = request;
    if (!authorization.empty()) r.headers.emplace_back("Authorization", authorization);
    auto response = http_.send_with_retry(r, what);
    if (!response || response->status != 401 || round == 1) return response;
    auto fresh = authorize(*response, what);
    if (!fresh) return tl::unexpected(fresh.error());
    authorization = std::move(*fresh);
  }
}

Result<std::string> OciFeed::authorize(const HttpResponse& unauthorized, std::string_view what) {
  const std::string header = unauthorized.header("www-authenticate");
  if (header.empty()) {
    return make_error(ErrorKind::kUnauthorized,
                      std::string(what) + ": HTTP 401 without an authentication challenge; " +
                          credential_advice());
  }
  const AuthChallenge challenge = parse_auth_challenge(header);
  if (challenge.scheme == "bearer") return fetch_token(challenge);
  if (challenge.scheme == "basic") {
    const std::string pair = basic_pair();
    if (pair.empty()) {
      return make_error(ErrorKind::kUnauthorized, std::string(what) + ": " + credential_advice());
    }
    std::string value = "Basic " + base64(pair);
    cache_authorization(value, std::nullopt);
    return value;
  }
  return make_error(ErrorKind::kUnauthorized,
                    std::string(what) + ": unsupported authentication scheme \"" +
                        quote(challenge.scheme) + "\" (cairn speaks Basic and Bearer)");
}

Result<std::string> OciFeed::fetch_token(const AuthChallenge& challenge) {
  const std::string realm = challenge.param("realm");
  const std::string what = "token request to " + without_query(realm);
  if (realm.empty()) {
    return make_error(ErrorKind::kUnauthorized,
                      "the registry's Bearer challenge names no token service (realm)");
  }
  if (!starts_with(realm, "https://") && !(url_.plain_http && starts_with(realm, "http://"))) {
    return make_error(ErrorKind::kUnauthorized,
                      what +
                          ": the token service is not an https URL; cairn sends credentials "
                          "to it only over TLS (or to a registry named with ?insecure=true)");
  }
  std::string scope = challenge.param("scope");
  if (scope.empty()) scope = "repository:" + url_.repository + ":pull";
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (const std::string service = challenge.param("service"); !service.empty()) {
    url += "service=" + url_escape(service) + "&";
  }
  url += "scope=" + url_escape(scope);

  HttpRequest request;
  request.url = url;
  request.max_bytes = kMaxTokenResponseBytes;
  if (const std::string pair = basic_pair(); !pair.empty()) {
    request.headers.emplace_back("Authorization", "Basic " + base64(pair));
  }
  auto r = http_.send_with_retry(request, what);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 401 || r->status == 403) {
    return make_error(ErrorKind::kUnauthorized,
                      what + ": HTTP " + std::to_string(r->status) + ": " + credential_advice());
  }
  if (r->status < 200 || r->status >= 300) {
    return tl::unexpected(status_error(*r, what, "the token service does not exist at that URL"));
  }
  std::string token;
  std::chrono::seconds lifetime = kDefaultTokenLifetime;
  try {
    const json j = json::parse(r->body);
    token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
    if (auto it = j.find("expires_in");
        it != j.end() && it->is_number_integer() && it->get<long long>() > 0) {
      lifetime = std::chrono::seconds(std::min<long long>(it->get<long long>(), 86'400 * 365));
    }
  } catch (const json::exception&) {
    token.clear();
  }
  if (token.empty()) {
    return make_error(ErrorKind::kTransport,
                      what + ": the answer holds no token (expected JSON with \"token\")");
  }
  const auto life = std::chrono::duration_cast<std::chrono::milliseconds>(lifetime);
  const auto expiry = Clock::now() + life - std::min(kMaxTokenMargin, life / 10);
  std::string value = "Bearer " + token;
  cache_authorization(value, expiry);
  return value;
}

Error OciFeed::status_error(const HttpResponse& r, std::string_view what,
                            std::string_view missing) const {
  const std::string detail = registry_error(r.body);
  std::string message = std::string(what) + ": HTTP " + std::to_string(r.status) +
                        (detail.empty() ? "" : " (" + detail + ")");
  switch (r.status) {
    case 401:
      return Error{ErrorKind::kUnauthorized, message + ": " + credential_advice(), std::nullopt};
    case 403:
      return Error{ErrorKind::kUnauthorized, message + ": access denied; " + credential_advice(),
                   std::nullopt};
    case 404:
      return Error{ErrorKind::kNotFound, message + ": " + std::string(missing), std::nullopt};
    case 429: {
      auto at = parse_retry_after(r.header("retry-after"));
      if (!at) at = std::chrono::system_clock::now() + kDefaultRateLimitWait;
      const auto wait =
          std::chrono::duration_cast<std::chrono::seconds>(*at - std::chrono::system_clock::now());
      return Error{ErrorKind::kRateLimited,
                   message + ": the registry's rate limit is exhausted; retry in " +
                       std::to_string(std::max<long long>(0, wait.count())) + " s",
                   at};
    }
    default:
      break;
  }
  if (r.status >= 500) {
    return Error{ErrorKind::kTransport, message + ": the registry failed; retry later",
                 parse_retry_after(r.header("retry-after"))};
  }
  return Error{ErrorKind::kTransport, message + ": unexpected answer from the registry",
               std::nullopt};
}

Result<ListResult> OciFeed::list_all() {
  const std::string missing = "the repository " + url_.repository +
                              " does not exist on the registry; check the feed URL (or "
                              "OCI_REPOSITORY)";
  std::string url = repository_url_ + "/tags/list?n=" + std::to_string(kPageSize);
  std::vector<std::string> tags;
  std::map<std::string, Page> keep;
  std::set<std::string> visited;
  for (std::size_t number = 1; !url.empty(); ++number) {
    const std::string what = "tag list page " + std::to_string(number);
    if (number > kMaxPages || !visited.insert(url).second) {
      return make_error(ErrorKind::kTransport,
                        what + ": the registry's pagination does not end (Link header loops)");
    }
    std::optional<Page> previous;
    {
      std::lock_guard lock(mu_);
      if (auto it = pages_.find(url); it != pages_.end()) previous = it->second;
    }
    HttpRequest request;
    request.url = url;
    request.max_bytes = kMaxTagPageBytes;
    if (previous) request.headers.emplace_back("If-None-Match", previous->etag);
    auto r = send(request, what);
    if (!r) return tl::unexpected(r.error());
    Page page;
    if (r->status == 304 && previous) {
      counters_.not_modified.fetch_add(1, std::memory_order_relaxed);
      page = std::move(*previous);
    } else if (r->status == 200) {
      try {
        const json j = json::parse(r->body);
        const json& t = j.at("tags");
        if (!t.is_null()) page.tags = t.get<std::vector<std::string>>();
      } catch (const json::exception&) {
        return make_error(ErrorKind::kTransport,
                          what + ": malformed answer (expected {\"name\", \"tags\": [...]})");
      }
      page.etag = r->header("etag");
      page.next = link_next(r->header("link"), url);
      if (!page.next.empty() && !starts_with(page.next, base_ + "/")) {
        return make_error(ErrorKind::kTransport,
                          what + ": the Link header leads to another host (" +
                              quote(without_query(page.next)) +
                              "); cairn does not follow it with the registry's credentials");
      }
    } else {
      return tl::unexpected(status_error(*r, what, missing));
    }
    tags.insert(tags.end(), page.tags.begin(), page.tags.end());
    std::string next = page.next;
    if (!page.etag.empty()) keep.emplace(url, std::move(page));
    url = std::move(next);
  }
  std::vector<std::string> sorted = tags;
  std::sort(sorted.begin(), sorted.end());
  ListResult result;
  result.tags = std::move(tags);
  std::lock_guard lock(mu_);
  result.not_modified = last_tags_.has_value() && *last_tags_ == sorted;
  last_tags_ = std::move(sorted);
  pages_ = std::move(keep);
  return result;
}

Result<std::vector<ReleaseFile>> OciFeed::fetch_release(const std::string& tag,
                                                        const fs::path& dir) {
  if (!valid_tag(tag)) {
    return make_error(ErrorKind::kNotFound,
                      "not a valid OCI tag, so the registry cannot hold such a release");
  }
  HttpRequest request;
  request.url = repository_url_ + "/manifests/" + tag;
  request.max_bytes = kMaxManifestBytes;
  request.headers.emplace_back(
      "Accept", std::string(kOciManifest) + ", " + std::string(kDockerManifest) + ", " +
                    std::string(kOciIndex) + ", " + std::string(kDockerManifestList));
  auto r = send(request, "manifest");
  if (!r) return tl::unexpected(r.error());
  if (r->status != 200) {
    return tl::unexpected(status_error(*r, "manifest",
                                       "no such release: the repository " + url_.repository +
                                           " has no tag " + tag +
                                           " (or does not exist); list the feed to see "
                                           "its releases"));
  }
  if (const std::string expected = sha256_from_digest(r->header("docker-content-digest"));
      !expected.empty()) {
    if (const std::string got = sha256_hex(r->body); got != expected) {
      return make_error(ErrorKind::kIntegrity,
                        "the manifest does not match its digest: the registry names sha256:" +
                            expected + ", the content hashes to sha256:" + got +
                            "; the registry's copy is damaged or was altered");
    }
  }
  auto layers = parse_manifest(r->body, r->header("content-type"));
  if (!layers) return tl::unexpected(layers.error());
  for (const Layer& layer : *layers) {
    if (layer.size > options_.max_file_bytes) {
      return make_error(ErrorKind::kTooLarge,
                        "layer " + layer.title + " is " + std::to_string(layer.size) +
                            " bytes, over the limit of " + std::to_string(options_.max_file_bytes) +
                            " bytes per release file");
    }
  }
  std::vector<ReleaseFile> files;
  for (const Layer& layer : *layers) {
    if (auto ok = fetch_layer(layer, dir, files); !ok) return tl::unexpected(ok.error());
  }
  return files;
}

Result<void> OciFeed::fetch_layer(const Layer& layer, const fs::path& dir,
                                  std::vector<ReleaseFile>& files) {
  const std::string what = "layer " + layer.title;
  // A directory layer's tarball goes to a hidden name no title can have, and is removed after
  // unpacking.
  const fs::path target = layer.unpack ? dir / ("." + layer.title + ".layer") : dir / layer.title;
  HttpRequest request;
  request.url = repository_url_ + "/blobs/sha256:" + layer.sha256;
  request.to_file = target;
  // Error bodies count against the limit too; a blob longer than the manifest says fails the
  // size check below, or this limit.
  request.max_bytes = std::max(layer.size, kMinBlobLimit);
  auto r = send(request, what);
  if (!r) {
    remove_quietly(target);
    if (r.error().kind == ErrorKind::kTooLarge) {
      return make_error(ErrorKind::kIntegrity,
                        what + ": the answer is larger than the " + std::to_string(layer.size) +
                            " bytes the manifest gives; the registry's copy is damaged or was "
                            "altered");
    }
    return tl::unexpected(r.error());
  }
  if (r->status != 200) {
    remove_quietly(target);
    return tl::unexpected(status_error(*r, what,
                                       "the registry lacks the blob sha256:" + layer.sha256 +
                                           " the manifest names; push the release again"));
  }
  if (r->size != layer.size || r->sha256 != layer.sha256) {
    remove_quietly(target);
    return make_error(
        ErrorKind::kIntegrity,
        what + ": the blob does not match the manifest: expected sha256:" + layer.sha256 + " (" +
            std::to_string(layer.size) + " bytes), got sha256:" + r->sha256 + " (" +
            std::to_string(r->size) + " bytes); the registry's copy is damaged or was altered");
  }
  counters_.downloads.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(r->size, std::memory_order_relaxed);
  if (layer.unpack) return unpack_layer(layer, target, dir, files);
  files.push_back(ReleaseFile{layer.title, r->size, r->sha256, layer.sha256});
  return {};
}

Result<void> OciFeed::unpack_layer(const Layer& layer, const fs::path& tarball, const fs::path& dir,
                                   std::vector<ReleaseFile>& files) {
  // ORAS packs a directory with its name as the top entry ("charts/", "charts/a.yaml"). The
  // archive is extracted into a hidden staging directory, its entries are checked to lie under
  // that name, and the directory is moved into place.
  const fs::path staging = dir / ("." + layer.title + ".unpack");
  ExtractLimits limits;
  limits.max_file_bytes = std::min(limits.max_file_bytes, options_.max_file_bytes);
  struct Cleanup {
    fs::path path;
    ~Cleanup() { remove_quietly(path); }
  } cleanup{staging};
  auto entries = extract_archive(tarball, staging, layer.title, limits);
  remove_quietly(tarball);
  if (!entries) return tl::unexpected(entries.error());
  const std::string prefix = layer.title + "/";
  for (const ExtractedEntry& e : *entries) {
    const bool top = e.path == layer.title;
    if ((top && !e.directory) || (!top && !starts_with(e.path, prefix))) {
      return make_error(ErrorKind::kInvalidRelease,
                        "directory layer " + layer.title + ": entry \"" + quote(e.path) +
                            "\" is not inside " + prefix +
                            " (ORAS packs a directory under its own name)");
    }
  }
  const fs::path from = staging / layer.title;
  const fs::path to = dir / layer.title;
  std::error_code ec;
  if (fs::exists(from, ec)) {
    fs::rename(from, to, ec);
  } else {
    fs::create_directory(to, ec);
  }
  if (ec) {
    return make_error(ErrorKind::kIo, "directory layer " + layer.title + ": cannot create " +
                                          to.string() + ": " + ec.message());
  }
  for (const ExtractedEntry& e : *entries) {
    if (e.directory) continue;
    auto sha = sha256_file(dir / e.path);
    if (!sha) return tl::unexpected(sha.error());
    files.push_back(ReleaseFile{e.path, e.size, std::move(*sha), ""});
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Feed>> open_oci_feed(const FeedUrl& url, FeedOptions options) {
  if (url.kind != FeedKind::kOci || url.registry.empty() || url.repository.empty()) {
    return make_error(ErrorKind::kConfig,
                      "feed " + url.str() + ": not an oci://REGISTRY/REPOSITORY feed");
  }
  return std::unique_ptr<Feed>(std::make_unique<OciFeed>(url, std::move(options)));
}

}  // namespace cairn::sources::detail
