// The Git feed (detail/feeds.h: open_git_feed): the tags of any Git repository are its releases,
// and the files of a release are the tree of its tag (at the root, or below FeedUrl::path),
// through libgit2 1.5.
//
// list() makes one connection and reads the advertised refs/tags/* (no clone); the answer is
// "not modified" when the advertised tag -> object map equals the previous one.
// fetch() keeps a bare cache repository at <work_dir>/<FeedUrl::key()>.git. Each fetch connects
// once, reads the oid the remote advertises for the tag, and downloads only
// `+refs/tags/<tag>:refs/tags/<tag>` unless the cache already holds the tag at that oid (a moved
// tag is fetched again). The cache is guarded by a mutex per feed and, across feeds and
// processes, by flock(2) on <work_dir>/<key>.lock, opened afresh by each call (flock locks belong
// to an open file description, so two descriptors in one process exclude each other too). The
// files are then written from the cache outside the lock: objects are never removed from it.
//
// libgit2 1.5 knows no shallow fetch, so the first fetch of a tag transfers its whole history,
// and it has no connect or stall timeouts: FeedOptions::connect_timeout and stall_timeout do not
// apply to this feed (the operating system's TCP timeouts do). A received pack is capped at
// kMaxPackBytes.
//
// Statistics: `requests` counts connections; `downloads` counts fetches that transferred a pack
// (Git transfers a release as one pack) and `bytes` the pack bytes received; `not_modified`
// counts lists whose tags were unchanged.
//
// libgit2 is initialised by the first open Git feed and stays initialised for the life of the
// process: libgit2 frees a thread's error state when the thread ends only while it is
// initialised, so shutting it down with the last feed would leak that state on every thread
// that used a feed (download pools outlive feeds opened for one download). HTTPS trust is process-wide in libgit2: the system
// bundle plus the FeedOptions::ca_file of every open Git feed. Replacing it frees mbedTLS's
// chain, so connections hold a shared lock that the replacement takes exclusively.
#include <fcntl.h>
#include <git2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <thread>

#include "sources/detail/feeds.h"
#include "sources/detail/git_ptr.h"
#include "sources/digest.h"

namespace cairn::sources::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxTotalBytes = 1ull << 30;         // all files of one release
constexpr std::uint64_t kMaxEntries = 10'000;                // files and directories of one release
constexpr int kMaxDepth = 64;                                // nested directories of one release
constexpr std::size_t kMaxPackBytes = std::size_t{4} << 30;  // one received pack
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

using RemotePtr = detail::GitRemotePtr;
using RepoPtr = detail::GitRepoPtr;
using ObjectPtr = detail::GitObjectPtr;
using TreePtr = detail::GitTreePtr;
using EntryPtr = detail::GitEntryPtr;
using BlobPtr = detail::GitBlobPtr;
using RefPtr = detail::GitRefPtr;
using OdbPtr = detail::GitOdbPtr;

// Process-wide libgit2 state shared by all Git feeds. Never destroyed, so that a feed released
// during static destruction still finds it.
struct Global {
  std::mutex mu;  // users, ca_files, initialized
  int users = 0;
  bool initialized = false;
  std::multiset<std::string> ca_files;
  std::shared_mutex tls;
};

Global& global() {
  static Global* g = new Global;
  return *g;
}

// Points libgit2's TLS trust at the system bundle plus `extra` (a combined file, since libgit2
// keeps one location). Called with Global::mu held and Global::tls held exclusively.
Result<void> apply_trust(const std::multiset<std::string>& extra) {
  std::error_code ec;
  const bool have_system = fs::exists(kSystemBundle, ec);
  if (extra.empty()) {
    if (!have_system) return {};
    if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, kSystemBundle, nullptr) < 0) {
      const git_error* e = git_error_last();
      return make_error(ErrorKind::kConfig, std::string("cannot load the CA bundle ") +
                                                kSystemBundle + ": " +
                                                (e != nullptr ? e->message : "unknown error"));
    }
    return {};
  }
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  std::string combined_name = (tmp / "cairn-git-ca-XXXXXX").string();
  const int fd = ::mkstemp(combined_name.data());
  if (fd < 0) {
    return make_error(ErrorKind::kIo,
                      std::string("cannot create a combined CA bundle: ") + std::strerror(errno));
  }
  ::close(fd);
  {
    std::ofstream out(combined_name, std::ios::binary | std::ios::trunc);
    std::vector<std::string> files;
    if (have_system) files.emplace_back(kSystemBundle);
    files.insert(files.end(), extra.begin(), extra.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      out << text.str() << '\n';
    }
    if (!out) {
      ::unlink(combined_name.c_str());
      return make_error(ErrorKind::kIo, "cannot write a combined CA bundle to " + combined_name);
    }
  }
  const int rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, combined_name.c_str(), nullptr);
  ::unlink(combined_name.c_str());
  if (rc < 0) {
    const git_error* e = git_error_last();
    return make_error(ErrorKind::kConfig,
                      std::string("cannot load the CA bundles (FeedOptions ca_file): ") +
                          (e != nullptr ? e->message : "unknown error"));
  }
  return {};
}

// One Git feed's share of libgit2: initialises it with the first user (once per process) and
// keeps the trusted CA bundles of the open feeds.
class LibGit2User {
 public:
  static Result<std::unique_ptr<LibGit2User>> acquire(const std::string& ca_file) {
    Global& g = global();
    std::lock_guard lock(g.mu);
    if (!ca_file.empty() && !std::ifstream(ca_file, std::ios::binary)) {
      return make_error(ErrorKind::kConfig, "the CA bundle " + ca_file + " cannot be read");
    }
    const bool first = g.users == 0;
    if (!g.initialized) {
      if (git_libgit2_init() < 0) return make_error(ErrorKind::kIo, "cannot initialise libgit2");
      g.initialized = true;
    }
    const bool new_ca = !ca_file.empty() && g.ca_files.count(ca_file) == 0;
    if (!ca_file.empty()) g.ca_files.insert(ca_file);
    if (first || new_ca) {
      std::unique_lock tls(g.tls);
      auto applied = apply_trust(g.ca_files);
      if (!applied) {
        if (!ca_file.empty()) g.ca_files.erase(g.ca_files.find(ca_file));
        return tl::unexpected(applied.error());
      }
    }
    ++g.users;
    return std::unique_ptr<LibGit2User>(new LibGit2User(ca_file));
  }
  ~LibGit2User() {
    Global& g = global();
    std::lock_guard lock(g.mu);
    if (!ca_file_.empty()) {
      auto it = g.ca_files.find(ca_file_);
      if (it != g.ca_files.end()) g.ca_files.erase(it);
    }
    if (--g.users == 0) g.ca_files.clear();
  }
  LibGit2User(const LibGit2User&) = delete;
  LibGit2User& operator=(const LibGit2User&) = delete;

 private:
  explicit LibGit2User(std::string ca_file) : ca_file_(std::move(ca_file)) {}
  std::string ca_file_;
};

// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes now; returns close(2)'s result (a delayed write error shows here).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

// Removes "user:secret@" from URLs in `text` and blanks the secrets themselves.
std::string scrub(std::string text, const Credentials& credentials) {
  std::size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string::npos) {
    const std::size_t start = pos + 3;
    std::size_t end = text.find_first_of("/ \t\r\n'\"", start);
    if (end == std::string::npos) end = text.size();
    const std::size_t at = text.rfind('@', end);
    if (at != std::string::npos && at >= start && at < end) text.erase(start, at + 1 - start);
    pos = start;
  }
  for (const std::string* secret : {&credentials.token, &credentials.password}) {
    if (secret->empty()) continue;
    for (std::size_t p = text.find(*secret); p != std::string::npos; p = text.find(*secret, p)) {
      text.replace(p, secret->size(), "***");
    }
  }
  return text;
}

// What one connection attempt learnt in libgit2's callbacks.
struct ConnectState {
  const Credentials* credentials = nullptr;
  int username_calls = 0;
  int secret_calls = 0;
  bool auth_failed = false;          // the remote refused us, or wants what we do not have
  bool missing_credentials = false;  // it asked for a password and we have none
  bool ssh = false;                  // it asked for an SSH key
  bool too_large = false;            // the pack outgrew kMaxPackBytes
};

int acquire_credentials(git_credential** out, const char* /*url*/, const char* username_from_url,
                        unsigned int allowed_types, void* payload) {
  auto& state = *static_cast<ConnectState*>(payload);
  const Credentials& c = *state.credentials;
  const bool url_user = username_from_url != nullptr && *username_from_url != '\0';
  const std::string ssh_user =
      url_user ? username_from_url : (c.username.empty() ? "git" : c.username);
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    // SSH asks for the user name first, then for a key for it.
    if (++state.username_calls > 1) {
      state.auth_failed = true;
      return GIT_EAUTH;
    }
    return git_credential_username_new(out, ssh_user.c_str());
  }
  // libgit2 calls again with the same question after a refusal; one answer is all we have.
  if (++state.secret_calls > 1) {
    state.auth_failed = true;
    return GIT_EAUTH;
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0) {
    const std::string& secret = !c.token.empty() ? c.token : c.password;
    if (secret.empty()) {
      state.auth_failed = true;
      state.missing_credentials = true;
      return GIT_EAUTH;
    }
    const std::string user =
        !c.username.empty() ? c.username : (!c.token.empty() ? "x-access-token" : "");
    return git_credential_userpass_plaintext_new(out, user.c_str(), secret.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) != 0) {
    state.ssh = true;
    if (!c.ssh_private_key_file.empty()) {
      return git_credential_ssh_key_new(out, ssh_user.c_str(), nullptr,
                                        c.ssh_private_key_file.c_str(), nullptr);
    }
    return git_credential_ssh_key_from_agent(out, ssh_user.c_str());
  }
  state.auth_failed = true;
  state.missing_credentials = true;
  return GIT_EAUTH;
}

int transfer_progress(const git_indexer_progress* stats, void* payload) {
  auto& state = *static_cast<ConnectState*>(payload);
  if (stats->received_bytes > kMaxPackBytes) {
    state.too_large = true;
    return -1;
  }
  return 0;
}

git_remote_callbacks callbacks_for(ConnectState& state) {
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = acquire_credentials;
  cb.transfer_progress = transfer_progress;
  cb.payload = &state;
  return cb;
}

git_proxy_options proxy_options() {
  git_proxy_options proxy;
  git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION);
  proxy.type = GIT_PROXY_AUTO;  // http(s)_proxy / no_proxy from the environment
  return proxy;
}

// libgit2's error class and code → what a caller can do about it.
ErrorKind classify(int code, ErrorKind fallback) {
  const git_error* e = git_error_last();
  const int klass = e != nullptr ? e->klass : GIT_ERROR_NONE;
  const std::string message = e != nullptr && e->message != nullptr ? e->message : "";
  switch (code) {
    case GIT_EAUTH:
      return ErrorKind::kUnauthorized;
    case GIT_ECERTIFICATE:
      return ErrorKind::kTransport;
    case GIT_EMISMATCH:
      return ErrorKind::kIntegrity;
    case GIT_ENOTFOUND:
      return ErrorKind::kNotFound;
    default:
      break;
  }
  switch (klass) {
    case GIT_ERROR_HTTP:
      if (message.find("status code: 404") != std::string::npos) return ErrorKind::kNotFound;
      if (message.find("status code: 401") != std::string::npos ||
          message.find("status code: 403") != std::string::npos) {
        return ErrorKind::kUnauthorized;
      }
      return ErrorKind::kTransport;
    case GIT_ERROR_NET:
    case GIT_ERROR_SSL:
    case GIT_ERROR_SSH:
    case GIT_ERROR_ZLIB:
      return ErrorKind::kTransport;
    case GIT_ERROR_INDEXER:
      return ErrorKind::kIntegrity;
    default:
      return fallback;
  }
}

std::string errno_text() { return std::strerror(errno); }

// Tree entry names that can be written as they are: no separators, no "." or "..", and not
// ".git" (a release written into a work tree must not become a repository). Other names that
// start with ".git" (.gitignore, .github/) are ordinary files of a repository root.
bool plain_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != name.npos) return false;
  if (name.size() == 4) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower == ".git") return false;
  }
  return true;
}

struct TagRef {
  std::string name;  // without "refs/tags/"
  git_oid oid;       // the ref's object: an annotated tag object or a commit
};

bool same_tags(const std::vector<TagRef>& a, const std::vector<TagRef>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || git_oid_cmp(&a[i].oid, &b[i].oid) != 0) return false;
  }
  return true;
}

// Holds flock(2) on a lock file while alive.
class FileLock {
 public:
  static Result<FileLock> acquire(const fs::path& path) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) {
      return make_error(ErrorKind::kIo,
                        "cannot open lock file " + path.string() + ": " + errno_text());
    }
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        return make_error(ErrorKind::kIo, "cannot lock " + path.string() + ": " + errno_text());
      }
    }
    return FileLock(std::move(fd));
  }

 private:
  explicit FileLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;  // closing it releases the lock
};

class GitFeed final : public Feed {
 public:
  GitFeed(FeedUrl url, FeedOptions options, std::unique_ptr<LibGit2User> lib)
      : url_(std::move(url)),
        options_(std::move(options)),
        lib_(std::move(lib)),
        feed_("feed " + url_.str()) {}

  const FeedUrl& url() const override { return url_; }

  Result<ListResult> list() override {
    auto tags = with_retries<std::vector<TagRef>>([&]() -> Result<std::vector<TagRef>> {
      ++counters_.requests;
      std::shared_lock tls(global().tls);
      git_remote* raw = nullptr;
      if (const int rc = git_remote_create_detached(&raw, url_.remote.c_str()); rc < 0) {
        return tl::unexpected(failure(rc, ErrorKind::kConfig, "cannot use the remote", nullptr));
      }
      RemotePtr remote(raw);
      ConnectState state;
      state.credentials = &options_.credentials;
      return advertised_tags(remote.get(), state, "cannot list the tags");
    });
    if (!tags) return tl::unexpected(tags.error());
    ListResult out;
    out.tags.reserve(tags->size());
    for (const auto& t : *tags) out.tags.push_back(t.name);
    {
      std::lock_guard lock(state_mu_);
      out.not_modified = last_tags_.has_value() && same_tags(*last_tags_, *tags);
      last_tags_ = std::move(*tags);
    }
    if (out.not_modified) ++counters_.not_modified;
    return out;
  }

  Result<std::vector<ReleaseFile>> fetch(const std::string& tag, const fs::path& dir) override {
    const std::string ref = "refs/tags/" + tag;
    int valid = 0;
    if (tag.empty() || git_reference_name_is_valid(&valid, ref.c_str()) < 0 || valid == 0) {
      return make_error(ErrorKind::kNotFound,
                        feed_ + ": release \"" + tag + "\" is not a valid Git tag name");
    }
    auto cached = update_cache(tag);
    if (!cached) return tl::unexpected(cached.error());
    return write_release(cached->repo.get(), tag, cached->oid, dir);
  }

  FeedStats stats() const override { return counters_.snapshot(); }

 private:
  struct Cached {
    RepoPtr repo;
    git_oid oid;
  };
  struct WriteState {
    std::vector<ReleaseFile> files;
    std::uint64_t total = 0;
    std::uint64_t entries = 0;
  };

  // Runs `attempt` up to options_.max_attempts times while it fails with kTransport, waiting
  // retry_base_delay, doubled each time, in between.
  template <class T>
  Result<T> with_retries(const std::function<Result<T>()>& attempt) {
    const int attempts = std::max(1, options_.max_attempts);
    for (int i = 1;; ++i) {
      auto r = attempt();
      if (r || r.error().kind != ErrorKind::kTransport || i >= attempts) return r;
      ++counters_.retries;
      std::this_thread::sleep_for(options_.retry_base_delay * (1 << std::min(i - 1, 10)));
    }
  }

  // An Error for libgit2 return code `code` (read before any other libgit2 call).
  Error failure(int code, ErrorKind fallback, std::string_view what,
                const ConnectState* state) const {
    const git_error* e = git_error_last();
    const std::string detail = scrub(
        e != nullptr && e->message != nullptr ? e->message : "unknown error", options_.credentials);
    if (state != nullptr && state->too_large) {
      return Error{ErrorKind::kTooLarge,
                   feed_ + ": " + std::string(what) + ": the repository sent more than " +
                       std::to_string(kMaxPackBytes >> 30) + " GiB",
                   std::nullopt};
    }
    if (state != nullptr && state->auth_failed) {
      std::string message = feed_ + ": " + std::string(what) + ": ";
      if (state->missing_credentials) {
        message +=
            "the repository requires credentials; set GIT_ACCESS_TOKEN or the "
            "ClusterStack's secretRef (token, or username and password)";
      } else if (state->ssh) {
        message +=
            "the SSH key was refused; check the key file (or the SSH agent's keys) and "
            "that the key has read access to the repository";
      } else {
        message +=
            "the credentials were refused; check the token (GIT_ACCESS_TOKEN or the "
            "ClusterStack's secretRef) and its read access to the repository";
      }
      return Error{ErrorKind::kUnauthorized, message, std::nullopt};
    }
    ErrorKind kind = classify(code, fallback);
    // libgit2 reports a missing local repository as an OS error.
    constexpr std::string_view kFileScheme = "file://";
    if (kind == ErrorKind::kTransport && url_.remote.rfind(kFileScheme, 0) == 0) {
      std::error_code ec;
      if (!fs::exists(url_.remote.substr(kFileScheme.size()), ec)) kind = ErrorKind::kNotFound;
    }
    std::string message = feed_ + ": " + std::string(what) + ": " + detail;
    switch (kind) {
      case ErrorKind::kTransport:
        message += "; check that the repository is reachable (address, network, proxy, TLS trust)";
        break;
      case ErrorKind::kNotFound:
        message += "; check the repository URL";
        break;
      case ErrorKind::kUnauthorized:
        message +=
            "; check the credentials (GIT_ACCESS_TOKEN, the ClusterStack's secretRef or "
            "the SSH key)";
        break;
      default:
        break;
    }
    return Error{kind, message, std::nullopt};
  }

  // Connects `remote` for fetching and returns the tags it advertises, in its order, without
  // the peeled "^{}" duplicates of annotated tags.
  Result<std::vector<TagRef>> advertised_tags(git_remote* remote, ConnectState& state,
                                              std::string_view what) {
    const git_remote_callbacks cb = callbacks_for(state);
    const git_proxy_options proxy = proxy_options();
    if (const int rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, &proxy, nullptr);
        rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kTransport, what, &state));
    }
    const git_remote_head** heads = nullptr;
    std::size_t count = 0;
    if (const int rc = git_remote_ls(&heads, &count, remote); rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kTransport, what, &state));
    }
    constexpr std::string_view kPrefix = "refs/tags/";
    constexpr std::string_view kPeeled = "^{}";
    std::vector<TagRef> tags;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view name = heads[i]->name;
      if (name.substr(0, kPrefix.size()) != kPrefix) continue;
      if (name.size() >= kPeeled.size() && name.substr(name.size() - kPeeled.size()) == kPeeled) {
        continue;
      }
      tags.push_back(TagRef{std::string(name.substr(kPrefix.size())), heads[i]->oid});
    }
    return tags;
  }

  fs::path work_dir() const {
    if (!options_.work_dir.empty()) return options_.work_dir;
    std::error_code ec;
    fs::path tmp = fs::temp_directory_path(ec);
    if (ec) tmp = "/tmp";
    return tmp / "cairn-git-feeds";
  }

  // Opens the bare cache repository at `path`, creating it (or recreating a broken one).
  Result<RepoPtr> open_cache(const fs::path& path) const {
    git_repository* raw = nullptr;
    if (git_repository_open_bare(&raw, path.c_str()) == 0) return RepoPtr(raw);
    std::error_code ec;
    fs::remove_all(path, ec);
    if (const int rc = git_repository_init(&raw, path.c_str(), 1); rc < 0) {
      return tl::unexpected(failure(
          rc, ErrorKind::kIo, "cannot create the cache repository " + path.string(), nullptr));
    }
    return RepoPtr(raw);
  }

  // Brings refs/tags/<tag> of the cache repository up to the remote's and returns its oid.
  Result<Cached> update_cache(const std::string& tag) {
    std::lock_guard feed_lock(fetch_mu_);
    const fs::path work = work_dir();
    std::error_code ec;
    fs::create_directories(work, ec);
    if (ec) {
      return make_error(ErrorKind::kIo, feed_ + ": cannot create the work directory " +
                                            work.string() + ": " + ec.message());
    }
    const std::string key = url_.key();
    auto file_lock = FileLock::acquire(work / (key + ".lock"));
    if (!file_lock) return tl::unexpected(with_context(file_lock.error(), feed_));
    auto repo = open_cache(work / (key + ".git"));
    if (!repo) return tl::unexpected(repo.error());
    const std::string ref = "refs/tags/" + tag;
    const std::string what = "release " + tag;
    auto oid = with_retries<git_oid>([&]() -> Result<git_oid> {
      ++counters_.requests;
      std::shared_lock tls(global().tls);
      git_remote_create_options create;
      git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION);
      create.repository = repo->get();
      create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
      git_remote* raw = nullptr;
      if (const int rc = git_remote_create_with_opts(&raw, url_.remote.c_str(), &create); rc < 0) {
        return tl::unexpected(failure(rc, ErrorKind::kConfig, what, nullptr));
      }
      RemotePtr remote(raw);
      ConnectState state;
      state.credentials = &options_.credentials;
      auto tags = advertised_tags(remote.get(), state, what);
      if (!tags) return tl::unexpected(tags.error());
      const auto it =
          std::find_if(tags->begin(), tags->end(), [&](const TagRef& t) { return t.name == tag; });
      if (it == tags->end()) {
        return make_error(ErrorKind::kNotFound, feed_ + ": release " + tag +
                                                    ": the repository has no tag " + tag +
                                                    "; list the feed to see the tags it has");
      }
      git_oid local;
      if (git_reference_name_to_id(&local, repo->get(), ref.c_str()) == 0 &&
          git_oid_cmp(&local, &it->oid) == 0) {
        return it->oid;
      }
      git_fetch_options opts;
      git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
      opts.callbacks = callbacks_for(state);
      opts.proxy_opts = proxy_options();
      opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
      opts.update_fetchhead = 0;
      std::string refspec = "+" + ref + ":" + ref;
      char* specs[] = {refspec.data()};
      const git_strarray refspecs{specs, 1};
      if (const int rc = git_remote_download(remote.get(), &refspecs, &opts); rc < 0) {
        return tl::unexpected(failure(rc, ErrorKind::kTransport, what, &state));
      }
      ++counters_.downloads;
      counters_.bytes += git_remote_stats(remote.get())->received_bytes;
      git_reference* created = nullptr;
      if (const int rc = git_reference_create(&created, repo->get(), ref.c_str(), &it->oid, 1,
                                              "cairn: fetch release tag");
          rc < 0) {
        return tl::unexpected(failure(rc, ErrorKind::kIntegrity,
                                      what + ": the fetched objects do not hold the tag", nullptr));
      }
      RefPtr created_ref(created);
      return it->oid;
    });
    if (!oid) return tl::unexpected(oid.error());
    return Cached{std::move(*repo), *oid};
  }

  Result<std::vector<ReleaseFile>> write_release(git_repository* repo, const std::string& tag,
                                                 const git_oid& oid, const fs::path& dir) {
    const std::string what = "release " + tag;
    git_object* raw = nullptr;
    if (const int rc = git_object_lookup(&raw, repo, &oid, GIT_OBJECT_ANY); rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kIo, what, nullptr));
    }
    ObjectPtr object(raw);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object.get(), GIT_OBJECT_TREE) < 0) {
      return make_error(ErrorKind::kInvalidRelease,
                        feed_ + ": " + what + ": the tag points to a " +
                            git_object_type2string(git_object_type(object.get())) +
                            ", not to a commit; release tags must tag a commit");
    }
    TreePtr tree(reinterpret_cast<git_tree*>(peeled));
    if (!url_.path.empty()) {
      git_tree_entry* entry = nullptr;
      const int rc = git_tree_entry_bypath(&entry, tree.get(), url_.path.c_str());
      EntryPtr entry_ptr(entry);
      if (rc == GIT_ENOTFOUND ||
          (rc == 0 && git_tree_entry_type(entry_ptr.get()) != GIT_OBJECT_TREE)) {
        return make_error(ErrorKind::kNotFound,
                          feed_ + ": " + what + ": no directory \"" + url_.path +
                              "\" in the tree of tag " + tag +
                              "; check ?path= in the feed URL against the repository layout");
      }
      if (rc < 0) return tl::unexpected(failure(rc, ErrorKind::kIo, what, nullptr));
      git_tree* sub = nullptr;
      if (const int lrc = git_tree_lookup(&sub, repo, git_tree_entry_id(entry_ptr.get()));
          lrc < 0) {
        return tl::unexpected(failure(lrc, ErrorKind::kIo, what, nullptr));
      }
      tree.reset(sub);
    }
    Fd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
      return make_error(ErrorKind::kIo, feed_ + ": " + what + ": cannot open " + dir.string() +
                                            ": " + errno_text());
    }
    git_odb* odb_raw = nullptr;
    if (const int rc = git_repository_odb(&odb_raw, repo); rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kIo, what, nullptr));
    }
    OdbPtr odb(odb_raw);
    WriteState state;
    auto written = write_tree(repo, odb.get(), tree.get(), root.get(), dir, "", 0, tag, state);
    if (!written) return tl::unexpected(written.error());
    return std::move(state.files);
  }

  Error release_error(ErrorKind kind, const std::string& tag, const std::string& text) const {
    return Error{kind, feed_ + ": release " + tag + ": " + text, std::nullopt};
  }

  // Writes the entries of `tree` into the directory `dirfd` (`prefix` is its path relative to
  // the release directory `dir`, "" or ending in '/').
  Result<void> write_tree(git_repository* repo, git_odb* odb, const git_tree* tree, int dirfd,
                          const fs::path& dir, const std::string& prefix, int depth,
                          const std::string& tag, WriteState& state) {
    const std::size_t count = git_tree_entrycount(tree);
    for (std::size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      const std::string name = git_tree_entry_name(entry);
      const std::string rel = prefix + name;
      if (!plain_name(name)) {
        return tl::unexpected(release_error(ErrorKind::kInvalidRelease, tag,
                                            "entry \"" + rel +
                                                "\" has a name that cannot be "
                                                "written (\".\", \"..\", \".git\" or a '/')"));
      }
      if (++state.entries > kMaxEntries) {
        return tl::unexpected(
            release_error(ErrorKind::kTooLarge, tag,
                          "more than " + std::to_string(kMaxEntries) + " files and directories"));
      }
      const git_filemode_t mode = git_tree_entry_filemode(entry);
      switch (mode) {
        case GIT_FILEMODE_TREE: {
          if (depth + 1 > kMaxDepth) {
            return tl::unexpected(release_error(ErrorKind::kInvalidRelease, tag,
                                                "entry \"" + rel + "\" is nested deeper than " +
                                                    std::to_string(kMaxDepth) + " directories"));
          }
          if (::mkdirat(dirfd, name.c_str(), 0755) != 0) {
            return tl::unexpected(
                release_error(ErrorKind::kIo, tag,
                              "cannot create " + (dir / rel).string() + ": " + errno_text()));
          }
          Fd sub_fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!sub_fd) {
            return tl::unexpected(release_error(
                ErrorKind::kIo, tag, "cannot open " + (dir / rel).string() + ": " + errno_text()));
          }
          git_tree* sub = nullptr;
          if (const int rc = git_tree_lookup(&sub, repo, git_tree_entry_id(entry)); rc < 0) {
            return tl::unexpected(failure(rc, ErrorKind::kIo, "release " + tag, nullptr));
          }
          TreePtr sub_tree(sub);
          auto r = write_tree(repo, odb, sub_tree.get(), sub_fd.get(), dir, rel + "/", depth + 1,
                              tag, state);
          if (!r) return r;
          break;
        }
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE: {
          auto r = write_blob(repo, odb, entry, dirfd, dir, rel,
                              mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644, tag, state);
          if (!r) return r;
          break;
        }
        case GIT_FILEMODE_LINK:
          return tl::unexpected(
              release_error(ErrorKind::kInvalidRelease, tag,
                            "entry \"" + rel +
                                "\" is a symbolic link; a release holds regular files and "
                                "directories only"));
        case GIT_FILEMODE_COMMIT:
          return tl::unexpected(
              release_error(ErrorKind::kInvalidRelease, tag,
                            "entry \"" + rel +
                                "\" is a submodule; a release holds regular files and "
                                "directories only"));
        default:
          return tl::unexpected(release_error(ErrorKind::kInvalidRelease, tag,
                                              "entry \"" + rel + "\" has an unknown file mode"));
      }
    }
    return {};
  }

  Result<void> write_blob(git_repository* repo, git_odb* odb, const git_tree_entry* entry,
                          int dirfd, const fs::path& dir, const std::string& rel, mode_t mode,
                          const std::string& tag, WriteState& state) {
    const git_oid* id = git_tree_entry_id(entry);
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (const int rc = git_odb_read_header(&size, &type, odb, id); rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kIo, "release " + tag + ": " + rel, nullptr));
    }
    if (size > options_.max_file_bytes) {
      return tl::unexpected(release_error(ErrorKind::kTooLarge, tag,
                                          "file \"" + rel + "\" has " + std::to_string(size) +
                                              " bytes, more than the limit of " +
                                              std::to_string(options_.max_file_bytes)));
    }
    if (state.total + size > kMaxTotalBytes) {
      return tl::unexpected(release_error(ErrorKind::kTooLarge, tag,
                                          "the files exceed " +
                                              std::to_string(kMaxTotalBytes >> 20) +
                                              " MiB in all (at \"" + rel + "\")"));
    }
    git_blob* raw = nullptr;
    if (const int rc = git_blob_lookup(&raw, repo, id); rc < 0) {
      return tl::unexpected(failure(rc, ErrorKind::kIo, "release " + tag + ": " + rel, nullptr));
    }
    BlobPtr blob(raw);
    const std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                   static_cast<std::size_t>(git_blob_rawsize(blob.get())));
    const std::string name = fs::path(rel).filename().string();
    Fd fd(
        ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    auto io_error = [&](const std::string& op) {
      return tl::unexpected(release_error(
          ErrorKind::kIo, tag, "cannot " + op + " " + (dir / rel).string() + ": " + errno_text()));
    };
    if (!fd) return io_error("create");
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write");
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd.get(), mode) != 0) return io_error("set the mode of");
    if (fd.close() != 0) return io_error("write");
    state.total += content.size();
    ReleaseFile file;
    file.name = rel;
    file.size = content.size();
    file.sha256 = sha256_hex(content);
    state.files.push_back(std::move(file));
    return {};
  }

  const FeedUrl url_;
  const FeedOptions options_;
  const std::unique_ptr<LibGit2User> lib_;
  const std::string feed_;  // "feed <url>", the prefix of every message

  std::mutex fetch_mu_;  // one fetch at a time updates this feed's cache repository
  std::mutex state_mu_;
  std::optional<std::vector<TagRef>> last_tags_;  // guarded by state_mu_

  detail::FeedCounters counters_;
};

}  // namespace

Result<std::unique_ptr<Feed>> open_git_feed(const FeedUrl& url, FeedOptions options) {
  if (url.kind != FeedKind::kGit || url.remote.empty()) {
    return make_error(ErrorKind::kConfig, "feed " + url.str() +
                                              ": not a Git feed URL (git+https://, git+ssh://, "
                                              "git+file:// or git://)");
  }
  auto lib = LibGit2User::acquire(options.ca_file);
  if (!lib) return tl::unexpected(with_context(lib.error(), "feed " + url.str()));
  return std::unique_ptr<Feed>(new GitFeed(url, std::move(options), std::move(*lib)));
}

}  // namespace cairn::sources::detail
