// Feed: one release feed (GitHub Releases, Git tags, OCI registry, local directory) behind one
// interface: list the release tags, fetch the files of one release into a directory.
//
// A Feed is created by `open_feed` and owned by its caller. It is safe for concurrent use: list
// and fetch may run on several threads at once (implementations guard their own state, e.g. the
// ETag of the last list). Calls block (libcurl, libgit2), so callers run them on a bounded pool,
// never on an I/O thread. Transient failures (reset, stall, 5xx) are retried inside a call with
// backoff, `FeedOptions::max_attempts` times in all; what remains is returned as an Error whose
// kind says whether retrying later can help.
//
// Every error message starts with "feed <FeedUrl::str()>: " and names the release or asset
// concerned.
//
// Credentials come from `FeedOptions::credentials` (a Secret, or the Go operator's environment
// variables through `credentials_from_env`), never from the URL, and never appear in errors or
// logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/error.h"
#include "sources/feed_url.h"

namespace cairn::sources {

struct Credentials {
  std::string token;     // GitHub token; OCI access token (sent as a registry token / password)
  std::string username;  // OCI basic auth user; Git HTTPS user ("x-access-token" with a token)
  std::string password;  // OCI basic auth password
  std::string ssh_private_key_file;  // git+ssh: key file (else the SSH agent)

  bool empty() const {
    return token.empty() && username.empty() && password.empty() && ssh_private_key_file.empty();
  }
};

struct FeedOptions {
  Credentials credentials;
  // Scratch space the feed may keep between calls (e.g. the bare Git repository the Git feed
  // fetches tags into). Created on demand. Empty: a directory under the system temp directory.
  std::filesystem::path work_dir;
  // Connect timeout, and the longest a transfer may make no progress before it is abandoned.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};
  int max_attempts = 3;              // per request, for transient failures
  std::chrono::milliseconds retry_base_delay{std::chrono::milliseconds(200)};  // doubled per retry
  std::uint64_t max_file_bytes = 512ull << 20;  // one release file
  std::string ca_file;     // extra PEM bundle trusted for HTTPS (besides the system's)
  std::string user_agent = "cairn/0.1";
};

// One file of a release as the feed published it.
struct ReleaseFile {
  std::string name;  // relative path inside the release directory ("metadata.yaml", "x/y.yaml")
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex, as computed while writing it
  // The digest the feed publishes for it (GitHub asset `digest`, OCI layer digest), if any;
  // fetch has already compared it with `sha256` and failed with kIntegrity on a mismatch.
  std::string published_sha256;
};

struct ListResult {
  std::vector<std::string> tags;  // every release tag of the feed, in the feed's order
  // The tags are those of the last list() of this Feed, learnt from a 304 answer to a
  // conditional request or by comparison (feeds without conditional requests).
  bool not_modified = false;
};

// Counters since the feed was opened (for tests, benchmarks and metrics).
struct FeedStats {
  std::uint64_t requests = 0;       // HTTP requests / remote connections (Git) made
  std::uint64_t not_modified = 0;   // conditional requests answered 304
  // Release files transferred and their bytes. A Git feed receives a release as one pack: it
  // counts fetches that transferred a pack, and the pack bytes.
  std::uint64_t downloads = 0;
  std::uint64_t bytes = 0;
  std::uint64_t retries = 0;        // transient failures retried
};

class Feed {
 public:
  virtual ~Feed() = default;
  virtual const FeedUrl& url() const = 0;
  // Every release tag (all pages), including tags that are not cluster-stack releases; callers
  // filter with api::ReleaseTag::parse.
  virtual Result<ListResult> list() = 0;
  // Writes every file of release `tag` below `dir` (an existing, empty directory), regular files
  // only; chart directories (Git trees) and unpacked layers become subdirectories. Returns the
  // files written. On failure `dir` may hold partial content; the caller discards it.
  virtual Result<std::vector<ReleaseFile>> fetch(const std::string& tag,
                                                 const std::filesystem::path& dir) = 0;
  virtual FeedStats stats() const = 0;
};

Result<std::unique_ptr<Feed>> open_feed(const FeedUrl& url, FeedOptions options);

// The Go operator's environment: GIT_PROVIDER, GIT_ORG_NAME, GIT_REPOSITORY_NAME,
// GIT_ACCESS_TOKEN (GitHub) or OCI_REGISTRY, OCI_REPOSITORY, OCI_USERNAME, OCI_PASSWORD,
// OCI_ACCESS_TOKEN (OCI). `source` is the Go operator's --source flag ("github" or "oci").
// Returns the default feed and its credentials; an error names the missing variable.
struct DefaultFeed {
  FeedUrl url;
  Credentials credentials;
};
using Getenv = std::function<std::optional<std::string>(const char* name)>;
Result<DefaultFeed> default_feed_from_env(std::string_view source, const Getenv& getenv);
// Credentials for a feed named by URL, from the same variables (GIT_ACCESS_TOKEN for github:// and
// git+https://, OCI_* for oci://); empty when none are set.
Credentials credentials_from_env(const FeedUrl& url, const Getenv& getenv);
// The process environment.
std::optional<std::string> process_env(const char* name);

}  // namespace cairn::sources
