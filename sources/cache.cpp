// The release cache: download into a temporary directory, verify, test-extract, validate,
// publish with one rename; re-verify on reuse; evict what is unused (cache.h).
#include "sources/cache.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sources/digest.h"

namespace cairn::sources {
namespace fs = std::filesystem;
namespace {

constexpr const char* kManifest = ".cairn-release.json";
constexpr std::chrono::hours kLeftoverAge{1};
constexpr const char* kChecksumFiles[] = {"sha256sum.txt", "sha256sums.txt", "SHA256SUMS",
                                          "checksums.txt"};

tl::unexpected<Error> io_error(const std::string& what, const fs::path& path, int err = errno) {
  return make_error(ErrorKind::kIo, what + " " + path.string() + ": " + std::strerror(err));
}

// An exclusive flock(2) on a lock file, held for the object's lifetime. flock locks belong to the
// open file description, so two threads of one process exclude each other like two processes.
class FileLock {
 public:
  static Result<FileLock> acquire(const fs::path& path, bool wait) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot open lock file", path);
    while (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return make_error(ErrorKind::kIo, "busy");
      return io_error("cannot lock", path, err);
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<void> fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("cannot sync", path, err);
  return {};
}

Result<fs::path> make_temp_dir(const fs::path& parent, const std::string& prefix) {
  std::string tmpl = (parent / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return io_error("cannot create a directory in", parent);
  return fs::path(tmpl);
}

// Moves `path` out of sight (into tmp/) first, so that no reader sees a half-removed entry,
// then removes it.
void discard(const fs::path& path, const fs::path& tmp_dir) {
  std::error_code ec;
  auto target = make_temp_dir(tmp_dir, "discard");
  if (target && ::rename(path.c_str(), (*target / "entry").c_str()) == 0) {
    fs::remove_all(*target, ec);
  } else {
    fs::remove_all(path, ec);
    if (target) fs::remove_all(*target, ec);
  }
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// A release file name as recorded: relative, no "..", no absolute path.
bool safe_relative(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  for (const auto& part : fs::path(name)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

nlohmann::json manifest_json(const FeedUrl& url, const std::string& tag,
                             const std::vector<ReleaseFile>& files) {
  nlohmann::json j;
  j["feed"] = url.str();
  j["tag"] = tag;
  j["fetchedAt"] = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  j["files"] = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json e{{"name", f.name}, {"size", f.size}, {"sha256", f.sha256}};
    if (!f.published_sha256.empty()) e["publishedSha256"] = f.published_sha256;
    j["files"].push_back(std::move(e));
  }
  return j;
}

Result<std::vector<ReleaseFile>> manifest_files(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return io_error("cannot read", path);
  try {
    const auto j = nlohmann::json::parse(in);
    std::vector<ReleaseFile> files;
    for (const auto& e : j.at("files")) {
      ReleaseFile f;
      f.name = e.at("name").get<std::string>();
      f.size = e.at("size").get<std::uint64_t>();
      f.sha256 = e.at("sha256").get<std::string>();
      f.published_sha256 = e.value("publishedSha256", "");
      if (!safe_relative(f.name)) throw std::runtime_error("bad file name");
      files.push_back(std::move(f));
    }
    return files;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kIntegrity,
                      "cache manifest " + path.string() + " is damaged: " + e.what());
  }
}

Result<void> write_manifest(const fs::path& path, const nlohmann::json& j) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << j.dump(2) << '\n';
    out.flush();
    if (!out) return io_error("cannot write", path);
  }
  return fsync_path(path);
}

// Checks the release against a checksum file in it ("<hex>  <name>" or "<hex> *<name>" lines,
// as sha256sum prints them), if it has one.
Result<void> verify_checksum_file(const fs::path& root, const std::vector<ReleaseFile>& files) {
  for (const char* name : kChecksumFiles) {
    const fs::path path = root / name;
    if (!fs::is_regular_file(path)) continue;
    std::ifstream in(path);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.front() == '#') continue;
      const std::string where = std::string(name) + " line " + std::to_string(number);
      if (line.size() < 67 || (line[64] != ' ') || (line[65] != ' ' && line[65] != '*')) {
        return make_error(ErrorKind::kInvalidRelease,
                          where + ": expected \"<sha256 hex>  <file name>\"");
      }
      const std::string want = sha256_from_digest("sha256:" + line.substr(0, 64));
      const std::string file = line.substr(66);
      if (want.empty()) {
        return make_error(ErrorKind::kInvalidRelease, where + ": not a sha256 digest");
      }
      const ReleaseFile* found = nullptr;
      for (const auto& f : files) {
        if (f.name == file) found = &f;
      }
      if (found == nullptr) {
        return make_error(ErrorKind::kIntegrity,
                          where + ": lists \"" + file + "\", which the release does not contain");
      }
      if (found->sha256 != want) {
        return make_error(ErrorKind::kIntegrity, "\"" + file + "\" does not match " + where +
                                                     ": expected sha256 " + want + ", got " +
                                                     found->sha256);
      }
    }
  }
  return {};
}

// Replaces `file` by a hard link to its blob (creating the blob from it when new), so equal
// content is stored once. An existing blob is used only after its content is checked: a blob
// damaged on disk (all its links change with it) is replaced by the fresh download.
Result<void> link_blob(const fs::path& file, const fs::path& blob, const std::string& sha256) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (::chmod(file.c_str(), 0444) != 0) return io_error("cannot chmod", file);
    if (::link(file.c_str(), blob.c_str()) == 0) return {};
    if (errno != EEXIST) return io_error("cannot link into the blob store", blob);
    if (auto got = sha256_file(blob); !got || *got != sha256) {
      if (::unlink(blob.c_str()) != 0 && errno != ENOENT) {
        return io_error("cannot remove the damaged blob", blob);
      }
      continue;
    }
    // The blob exists and is intact: use it instead of our copy.
    const fs::path tmp = file.string() + ".cairn-link";
    if (::link(blob.c_str(), tmp.c_str()) == 0) {
      if (::rename(tmp.c_str(), file.c_str()) != 0) return io_error("cannot replace", file);
      return {};
    }
    if (errno != ENOENT) return io_error("cannot link from the blob store", blob);
    // Evicted in between: try again.
  }
  return make_error(ErrorKind::kIo, "blob store keeps changing under " + blob.string());
}

}  // namespace

Result<std::unique_ptr<Cache>> Cache::open(CacheOptions options) {
  if (options.dir.empty()) return make_error(ErrorKind::kConfig, "no cache directory given");
  std::error_code ec;
  options.dir = fs::absolute(options.dir, ec);
  for (const char* sub : {"blobs/sha256", "releases", "tmp", "locks"}) {
    fs::create_directories(options.dir / sub, ec);
    if (ec) {
      return make_error(ErrorKind::kIo, "cannot create cache directory " +
                                            (options.dir / sub).string() + ": " + ec.message());
    }
  }
  return std::unique_ptr<Cache>(new Cache(std::move(options)));
}

fs::path Cache::release_dir(const FeedUrl& feed, const std::string& tag) const {
  return options_.dir / "releases" / feed.key() / tag;
}

fs::path Cache::lock_path(const FeedUrl& feed, const std::string& tag) const {
  return options_.dir / "locks" / (feed.key() + "-" + tag + ".lock");
}

Result<std::optional<CachedRelease>> Cache::load(const std::string& tag, const fs::path& dir) {
  const fs::path manifest = dir / kManifest;
  struct stat st {};
  if (::stat(manifest.c_str(), &st) != 0) return std::optional<CachedRelease>();
  auto files = manifest_files(manifest);
  if (!files) return tl::unexpected(files.error());
  std::vector<std::pair<std::uint64_t, std::int64_t>> snapshot;
  for (const auto& f : *files) {
    struct stat fst {};
    if (::stat((dir / f.name).c_str(), &fst) != 0) {
      return make_error(ErrorKind::kIntegrity, "cached file " + f.name + " is missing");
    }
    snapshot.emplace_back(static_cast<std::uint64_t>(fst.st_size), mtime_ns(fst));
  }
  bool known = false;
  {
    std::lock_guard lock(verified_mu_);
    auto it = verified_.find(dir.string());
    known = it != verified_.end() && it->second == snapshot;
  }
  if (!known) {
    for (const auto& f : *files) {
      auto got = sha256_file(dir / f.name);
      if (!got) return tl::unexpected(got.error());
      if (*got != f.sha256) {
        return make_error(ErrorKind::kIntegrity, "cached file " + f.name +
                                                     " changed on disk: expected sha256 " +
                                                     f.sha256 + ", got " + *got);
      }
    }
  }
  auto tag_parsed = api::ReleaseTag::parse(tag);
  if (!tag_parsed) return make_error(ErrorKind::kInvalidRelease, tag_parsed.error().message);
  auto layout = validate_release(dir, *tag_parsed);
  if (!layout) return tl::unexpected(layout.error());
  {
    std::lock_guard lock(verified_mu_);
    verified_[dir.string()] = std::move(snapshot);
  }
  // The manifest's mtime records the last use, for eviction.
  ::utimensat(AT_FDCWD, manifest.c_str(), nullptr, 0);
  return std::optional<CachedRelease>(CachedRelease{dir, std::move(*layout), std::move(*files), true});
}

Result<std::optional<CachedRelease>> Cache::lookup(const FeedUrl& feed, const std::string& tag) {
  auto r = load(tag, release_dir(feed, tag));
  if (!r) {
    if (r.error().kind == ErrorKind::kIo) return tl::unexpected(r.error());
    return std::optional<CachedRelease>();  // damaged: as good as absent; get() replaces it
  }
  return r;
}

namespace {
// Feeds start their messages with "feed <url>: " and name the release themselves; everything
// else gets both.
Error in_context(Error e, const FeedUrl& url, const std::string& tag) {
  const std::string feed = "feed " + url.str() + ": ";
  if (e.message.compare(0, feed.size(), feed) == 0) return e;
  return with_context(std::move(e), feed + "release " + tag);
}
}  // namespace

Result<CachedRelease> Cache::get(Feed& feed, const std::string& tag) {
  const FeedUrl& url = feed.url();
  const std::string context = "feed " + url.str() + ": release " + tag;
  if (auto t = api::ReleaseTag::parse(tag); !t) {
    return tl::unexpected(with_context(
        Error{ErrorKind::kInvalidRelease, "not a cluster-stack release tag: " + t.error().message,
              std::nullopt},
        context));
  }
  const fs::path final_dir = release_dir(url, tag);
  if (auto hit = lookup(url, tag); hit && *hit) return std::move(**hit);

  auto lock = FileLock::acquire(lock_path(url, tag), /*wait=*/true);
  if (!lock) return tl::unexpected(with_context(lock.error(), context));
  // Another thread or process may have published it while we waited.
  auto again = load(tag, final_dir);
  if (again && *again) return std::move(**again);
  if (!again && again.error().kind == ErrorKind::kIo) {
    return tl::unexpected(with_context(again.error(), context));
  }
  if (fs::exists(final_dir)) discard(final_dir, options_.dir / "tmp");
  auto r = download(feed, tag);
  if (!r) return tl::unexpected(in_context(r.error(), url, tag));
  return r;
}

Result<CachedRelease> Cache::download(Feed& feed, const std::string& tag) {
  const fs::path tmp_root = options_.dir / "tmp";
  auto work = make_temp_dir(tmp_root, tag);
  if (!work) return tl::unexpected(work.error());
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{*work};
  const fs::path root = *work / "release";
  if (!fs::create_directory(root)) return io_error("cannot create", root);

  auto files = feed.fetch(tag, root);
  if (!files) return tl::unexpected(files.error());
  for (const auto& f : *files) {
    if (!safe_relative(f.name)) {
      return make_error(ErrorKind::kInvalidRelease, "feed returned an unsafe file name \"" +
                                                        f.name + "\"");
    }
  }
  if (auto ok = verify_checksum_file(root, *files); !ok) return tl::unexpected(ok.error());

  const auto tag_parsed = api::ReleaseTag::parse(tag);
  auto layout = validate_release(root, *tag_parsed);
  if (!layout) return tl::unexpected(layout.error());

  // Every archive of the release is extracted once here, so a hostile one is refused before
  // anything is published. The multi-stage addon archive stays unpacked next to itself (where
  // the Go operator unpacks it); the others are only checked.
  auto is_tgz = [](const std::string& n) {
    return n.size() > 4 && n.compare(n.size() - 4, 4, ".tgz") == 0;
  };
  int scratch = 0;
  for (const auto& f : *files) {
    if (!is_tgz(f.name)) continue;
    const bool keep = layout->addon_config.has_value() && f.name == layout->cluster_addon_chart;
    const fs::path dest = keep ? root / f.name.substr(0, f.name.size() - 4)
                               : *work / ("check-" + std::to_string(scratch++));
    if (keep && fs::exists(dest)) {
      return make_error(ErrorKind::kInvalidRelease,
                        "the release has both " + f.name + " and a directory of that name");
    }
    auto entries = extract_archive(root / f.name, dest, f.name, options_.extract_limits);
    if (!entries) return tl::unexpected(entries.error());
    if (!keep) {
      std::error_code ec;
      fs::remove_all(dest, ec);
    }
  }
  if (layout->addon_config) {
    layout = validate_release(root, *tag_parsed);  // now checks the stages against the archive
    if (!layout) return tl::unexpected(layout.error());
  }

  for (const auto& f : *files) {
    const fs::path file = root / f.name;
    if (auto ok = fsync_path(file); !ok) return tl::unexpected(ok.error());
    if (auto ok = link_blob(file, options_.dir / "blobs" / "sha256" / f.sha256, f.sha256); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  if (auto ok = write_manifest(root / kManifest, manifest_json(feed.url(), tag, *files)); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = fsync_path(root); !ok) return tl::unexpected(ok.error());

  const fs::path final_dir = release_dir(feed.url(), tag);
  std::error_code ec;
  fs::create_directories(final_dir.parent_path(), ec);
  if (ec) return io_error("cannot create", final_dir.parent_path(), ec.value());
  if (::rename(root.c_str(), final_dir.c_str()) != 0) return io_error("cannot publish", final_dir);
  if (auto ok = fsync_path(final_dir.parent_path()); !ok) return tl::unexpected(ok.error());

  std::vector<std::pair<std::uint64_t, std::int64_t>> snapshot;
  for (const auto& f : *files) {
    struct stat st {};
    ::stat((final_dir / f.name).c_str(), &st);
    snapshot.emplace_back(static_cast<std::uint64_t>(st.st_size), mtime_ns(st));
  }
  {
    std::lock_guard lock(verified_mu_);
    verified_[final_dir.string()] = std::move(snapshot);
  }
  return CachedRelease{final_dir, std::move(*layout), std::move(*files), false};
}

Result<EvictionStats> Cache::evict() {
  EvictionStats stats;
  const auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  const fs::path tmp_root = options_.dir / "tmp";
  for (const auto& feed_dir : fs::directory_iterator(options_.dir / "releases", ec)) {
    std::error_code ec2;
    for (const auto& entry : fs::directory_iterator(feed_dir.path(), ec2)) {
      const fs::path manifest = entry.path() / kManifest;
      std::error_code ec3;
      const auto used = fs::last_write_time(manifest, ec3);
      if (!ec3 && now - used <= options_.max_unused) continue;
      const std::string tag = entry.path().filename().string();
      auto lock = FileLock::acquire(
          options_.dir / "locks" / (feed_dir.path().filename().string() + "-" + tag + ".lock"),
          /*wait=*/false);
      if (!lock) continue;  // in use by a download
      discard(entry.path(), tmp_root);
      ++stats.releases;
    }
  }
  for (const auto& blob : fs::directory_iterator(options_.dir / "blobs" / "sha256", ec)) {
    struct stat st {};
    if (::stat(blob.path().c_str(), &st) == 0 && st.st_nlink == 1) {
      // Only this name is left. A download that links to it now gets ENOENT and re-creates it.
      if (::unlink(blob.path().c_str()) == 0) {
        ++stats.blobs;
        stats.bytes += static_cast<std::uint64_t>(st.st_size);
      }
    }
  }
  for (const auto& entry : fs::directory_iterator(tmp_root, ec)) {
    std::error_code ec2;
    const auto t = fs::last_write_time(entry.path(), ec2);
    if (!ec2 && now - t > kLeftoverAge) {
      fs::remove_all(entry.path(), ec2);
      ++stats.leftovers;
    }
  }
  return stats;
}

}  // namespace cairn::sources
