// The local-directory feed (detail/feeds.h: open_file_feed): file:///DIR holds one directory
// DIR/<tag>/ per release, the Go operator's local mode (cso-reference.md §4.3), where releases
// are placed by `gh release download`, copied from `csmctl create` output or by Tilt.
//
// list() returns the names of the subdirectories of DIR in name order (hidden names, such as the
// Go layout's `.helm` cache, are skipped; callers filter tags); "not modified" when they equal
// the previous answer. fetch() copies DIR/<tag>/ recursively: regular files (keeping the
// executable bit) and directories only; a symbolic link, device, FIFO or socket inside a release
// is refused, naming the entry. Entries are opened relative to their parent directory with
// O_NOFOLLOW, so a link swapped in while copying is refused too. Limits: max_file_bytes per
// file, kMaxTotalBytes and kMaxEntries per release.
//
// Statistics: `requests` counts directory reads (lists and fetches), `downloads` the files
// copied and `bytes` their bytes; `not_modified` counts unchanged lists. Thread-safe.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "sources/detail/feeds.h"
#include "sources/digest.h"

namespace cairn::sources::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxTotalBytes = 1ull << 30;  // all files of one release
constexpr std::uint64_t kMaxEntries = 10'000;         // files and directories of one release
constexpr int kMaxDepth = 64;                         // nested directories of one release

// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes now; returns close(2)'s result (a delayed write error shows here).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

std::string errno_text() { return std::strerror(errno); }

// The entry names of the directory `fd` (not "." and ".."), sorted; errno set on failure.
std::optional<std::vector<std::string>> read_names(int fd) {
  const int copy = ::dup(fd);
  if (copy < 0) return std::nullopt;
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    ::close(copy);
    return std::nullopt;
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    return std::nullopt;
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string_view type_name(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file or directory";
}

class FileFeed final : public Feed {
 public:
  FileFeed(FeedUrl url, FeedOptions options)
      : url_(std::move(url)), options_(std::move(options)), feed_("feed " + url_.str()) {}

  const FeedUrl& url() const override { return url_; }

  Result<ListResult> list() override {
    ++counters_.requests;
    Fd dir(::open(url_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return make_error(ErrorKind::kNotFound, feed_ + ": directory " + url_.dir +
                                                    " does not exist; releases are "
                                                    "expected as " +
                                                    layout_hint("<tag>"));
      }
      return make_error(ErrorKind::kIo, feed_ + ": cannot read " + url_.dir + ": " + errno_text());
    }
    auto names = read_names(dir.get());
    if (!names) {
      return make_error(ErrorKind::kIo, feed_ + ": cannot read " + url_.dir + ": " + errno_text());
    }
    ListResult out;
    for (const auto& name : *names) {
      if (name.front() == '.') continue;
      struct stat st {};
      if (::fstatat(dir.get(), name.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) {
        out.tags.push_back(name);
      }
    }
    {
      std::lock_guard lock(mu_);
      out.not_modified = last_.has_value() && *last_ == out.tags;
      last_ = out.tags;
    }
    if (out.not_modified) ++counters_.not_modified;
    return out;
  }

  Result<std::vector<ReleaseFile>> fetch(const std::string& tag, const fs::path& dir) override {
    ++counters_.requests;
    if (tag.empty() || tag.front() == '.' || tag.find('/') != std::string::npos ||
        tag.find('\0') != std::string::npos) {
      return make_error(ErrorKind::kNotFound,
                        feed_ + ": release \"" + tag + "\" cannot name a directory of the feed");
    }
    const fs::path source = fs::path(url_.dir) / tag;
    Fd src(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!src) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return make_error(ErrorKind::kNotFound, feed_ + ": release " + tag +
                                                    " not found: expected " + layout_hint(tag) +
                                                    "; place the release there (e.g. with `gh "
                                                    "release download` or from `csmctl create`)");
      }
      return make_error(ErrorKind::kIo, feed_ + ": release " + tag + ": cannot read " +
                                            source.string() + ": " + errno_text());
    }
    Fd dst(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dst) {
      return make_error(ErrorKind::kIo, feed_ + ": release " + tag + ": cannot open " +
                                            dir.string() + ": " + errno_text());
    }
    Copy copy{tag, source, dir, {}, 0, 0};
    auto r = copy_tree(src.get(), dst.get(), "", 0, copy);
    if (!r) return tl::unexpected(r.error());
    return std::move(copy.files);
  }

  FeedStats stats() const override { return counters_.snapshot(); }

 private:
  struct Copy {
    std::string tag;
    fs::path source, dest;
    std::vector<ReleaseFile> files;
    std::uint64_t total = 0;
    std::uint64_t entries = 0;
  };

  // "DIR/<tag>/metadata.yaml, DIR/<tag>/<stack>-cluster-class-<version>.tgz, ..."
  std::string layout_hint(const std::string& tag) const {
    const std::string base = url_.dir + "/" + tag + "/";
    return base + "metadata.yaml, " + base + "<stack>-cluster-class-<version>.tgz and " + base +
           "<stack>-cluster-addon-<version>.tgz";
  }

  Error error(ErrorKind kind, const Copy& c, const std::string& text) const {
    return Error{kind, feed_ + ": release " + c.tag + ": " + text, std::nullopt};
  }

  Result<void> copy_tree(int src, int dst, const std::string& prefix, int depth, Copy& c) {
    auto names = read_names(src);
    if (!names) {
      return tl::unexpected(error(
          ErrorKind::kIo, c, "cannot read " + (c.source / prefix).string() + ": " + errno_text()));
    }
    for (const auto& name : *names) {
      const std::string rel = prefix + name;
      if (++c.entries > kMaxEntries) {
        return tl::unexpected(
            error(ErrorKind::kTooLarge, c,
                  "more than " + std::to_string(kMaxEntries) + " files and directories"));
      }
      struct stat st {};
      if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return tl::unexpected(error(
            ErrorKind::kIo, c, "cannot read " + (c.source / rel).string() + ": " + errno_text()));
      }
      if (S_ISDIR(st.st_mode)) {
        if (depth + 1 > kMaxDepth) {
          return tl::unexpected(error(ErrorKind::kInvalidRelease, c,
                                      "entry \"" + rel + "\" is nested deeper than " +
                                          std::to_string(kMaxDepth) + " directories"));
        }
        Fd sub_src(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_src) return tl::unexpected(open_error(c, rel, errno));
        if (::mkdirat(dst, name.c_str(), 0755) != 0) {
          return tl::unexpected(error(
              ErrorKind::kIo, c, "cannot create " + (c.dest / rel).string() + ": " + errno_text()));
        }
        Fd sub_dst(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_dst) {
          return tl::unexpected(error(
              ErrorKind::kIo, c, "cannot open " + (c.dest / rel).string() + ": " + errno_text()));
        }
        auto r = copy_tree(sub_src.get(), sub_dst.get(), rel + "/", depth + 1, c);
        if (!r) return r;
      } else if (S_ISREG(st.st_mode)) {
        auto r = copy_file(src, dst, name, rel, c);
        if (!r) return r;
      } else {
        return tl::unexpected(not_regular(c, rel, st.st_mode));
      }
    }
    return {};
  }

  Error not_regular(const Copy& c, const std::string& rel, mode_t mode) const {
    return error(ErrorKind::kInvalidRelease, c,
                 "entry \"" + rel + "\" is " + std::string(type_name(mode)) +
                     "; a release directory holds regular files and directories only");
  }

  // An entry that changed between fstatat and openat: ELOOP means it is now a symbolic link.
  Error open_error(const Copy& c, const std::string& rel, int err) const {
    if (err == ELOOP) return not_regular(c, rel, S_IFLNK);
    return error(ErrorKind::kIo, c,
                 "cannot open " + (c.source / rel).string() + ": " + std::strerror(err));
  }

  Result<void> copy_file(int src, int dst, const std::string& name, const std::string& rel,
                         Copy& c) {
    Fd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!in) return tl::unexpected(open_error(c, rel, errno));
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) return tl::unexpected(open_error(c, rel, errno));
    if (!S_ISREG(st.st_mode)) return tl::unexpected(not_regular(c, rel, st.st_mode));
    const mode_t mode = (st.st_mode & S_IXUSR) != 0 ? 0755 : 0644;
    auto too_large = [&](std::uint64_t size) {
      return tl::unexpected(error(ErrorKind::kTooLarge, c,
                                  "file \"" + rel + "\" has " + std::to_string(size) +
                                      " bytes or more, above the limit of " +
                                      std::to_string(options_.max_file_bytes)));
    };
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > options_.max_file_bytes) return too_large(size);
    auto over_total = [&]() {
      return tl::unexpected(error(ErrorKind::kTooLarge, c,
                                  "the files exceed " + std::to_string(kMaxTotalBytes >> 20) +
                                      " MiB in all (at \"" + rel + "\")"));
    };
    if (c.total + size > kMaxTotalBytes) return over_total();
    Fd out(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    auto io_error = [&](const std::string& op, const fs::path& path) {
      return tl::unexpected(
          error(ErrorKind::kIo, c, "cannot " + op + " " + path.string() + ": " + errno_text()));
    };
    if (!out) return io_error("create", c.dest / rel);
    Sha256 hash;
    std::uint64_t copied = 0;
    std::array<char, 1 << 16> buf{};
    while (true) {
      const ssize_t n = ::read(in.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("read", c.source / rel);
      }
      if (n == 0) break;
      copied += static_cast<std::uint64_t>(n);
      if (copied > options_.max_file_bytes) return too_large(copied);
      if (c.total + copied > kMaxTotalBytes) return over_total();
      hash.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      std::size_t done = 0;
      while (done < static_cast<std::size_t>(n)) {
        const ssize_t w = ::write(out.get(), buf.data() + done, static_cast<std::size_t>(n) - done);
        if (w < 0) {
          if (errno == EINTR) continue;
          return io_error("write", c.dest / rel);
        }
        done += static_cast<std::size_t>(w);
      }
    }
    if (::fchmod(out.get(), mode) != 0) return io_error("set the mode of", c.dest / rel);
    if (out.close() != 0) return io_error("write", c.dest / rel);
    c.total += copied;
    ++counters_.downloads;
    counters_.bytes += copied;
    ReleaseFile file;
    file.name = rel;
    file.size = copied;
    file.sha256 = hash.hex();
    c.files.push_back(std::move(file));
    return {};
  }

  const FeedUrl url_;
  const FeedOptions options_;
  const std::string feed_;  // "feed file:///DIR", the prefix of every message

  std::mutex mu_;
  std::optional<std::vector<std::string>> last_;  // the previous list; guarded by mu_

  detail::FeedCounters counters_;
};

}  // namespace

Result<std::unique_ptr<Feed>> open_file_feed(const FeedUrl& url, FeedOptions options) {
  if (url.kind != FeedKind::kFile || url.dir.empty() || url.dir.front() != '/') {
    return make_error(ErrorKind::kConfig,
                      "feed " + url.str() + ": not a local directory feed (file:///DIR)");
  }
  return std::unique_ptr<Feed>(new FileFeed(url, std::move(options)));
}

}  // namespace cairn::sources::detail
