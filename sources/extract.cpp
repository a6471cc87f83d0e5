// Safe extraction of release archives (extract.h): libarchive reads the tar stream (gzip or
// uncompressed), every entry is checked against the rules before anything is created for it, and
// files and directories are created through directory file descriptors (mkdirat/openat with
// O_NOFOLLOW, files with O_CREAT|O_EXCL), so no entry can reach outside the destination even if
// the checks above it were wrong. Any failure removes the destination.
#include "sources/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

namespace cairn::sources {
namespace {

namespace fs = std::filesystem;

// Read size for files and for in-memory archives. Small enough that the bomb ratio is measured
// against what was actually read so far, not against read-ahead.
constexpr std::size_t kBlock = 64 * 1024;
// The ratio is judged only past this many uncompressed bytes: small archives of small, highly
// repetitive files (YAML) legitimately compress far better than any sane limit.
constexpr std::uint64_t kRatioFloor = 1ull << 20;
// Messages quote at most this much of an entry or link name.
constexpr std::size_t kMaxQuoted = 200;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes and reports the close error (which is where a delayed write error shows).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// `"text"` with quotes and backslashes escaped, control characters and all bytes past ASCII as
// \xNN, and long text cut, so that an entry name can neither forge nor bloat a message, and the
// message stays valid UTF-8 (JSON conditions carry it).
std::string quote_name(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuoted; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxQuoted) out += "...";
  out += '"';
  return out;
}

std::string libarchive_message(archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr && *s != '\0' ? std::string(s) : std::string("unknown libarchive error");
}

// Where the compressed bytes come from: an open file or memory, handed to libarchive in kBlock
// pieces (see kBlock). Before each piece it checks the bomb ratio of the whole stream, which also
// covers data libarchive decompresses only to skip it (headers, padding), never written.
struct Source {
  int fd = -1;               // read from this file when >= 0
  std::string_view memory;   // else from here
  std::size_t offset = 0;    // into `memory`
  std::vector<char> buffer;  // for `fd`
  std::uint64_t max_ratio = 0;
  std::uint64_t delivered = 0;      // compressed bytes handed to libarchive
  std::uint64_t bomb_unpacked = 0;  // set when the ratio check stopped the stream
  int read_errno = 0;               // set when reading the file failed
};

la_ssize_t read_source(archive* a, void* client, const void** out) {
  auto* s = static_cast<Source*>(client);
  const auto unpacked =
      static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(a, 0)));
  if (unpacked > kRatioFloor &&
      static_cast<unsigned __int128>(s->delivered) * s->max_ratio < unpacked) {
    s->bomb_unpacked = unpacked;
    archive_set_error(a, EFBIG, "decompression bomb");
    return ARCHIVE_FATAL;
  }
  std::size_t n = 0;
  if (s->fd >= 0) {
    ssize_t got = 0;
    do {
      got = ::read(s->fd, s->buffer.data(), s->buffer.size());
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      s->read_errno = errno;
      archive_set_error(a, errno, "read failed");
      return ARCHIVE_FATAL;
    }
    n = static_cast<std::size_t>(got);
    *out = s->buffer.data();
  } else {
    n = std::min(kBlock, s->memory.size() - s->offset);
    *out = s->memory.data() + s->offset;
    s->offset += n;
  }
  s->delivered += n;
  return static_cast<la_ssize_t>(n);
}

// The components of an entry path below the destination, or why there are none.
struct SplitPath {
  std::vector<std::string> parts;
  std::string problem;  // empty when the path is acceptable
};

SplitPath split_entry_path(std::string_view raw, const ExtractLimits& limits) {
  SplitPath out;
  if (raw.size() > limits.max_path_bytes) {
    out.problem = "path longer than " + std::to_string(limits.max_path_bytes) +
                  " bytes (limit max_path_bytes)";
    return out;
  }
  if (!raw.empty() && raw.front() == '/') {
    out.problem = "absolute path";
    return out;
  }
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('/', start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(start, end - start);
    if (part == "..") {
      out.problem = "path escapes the destination";
      out.parts.clear();
      return out;
    }
    if (part.size() > NAME_MAX) {
      out.problem = "path component longer than " + std::to_string(NAME_MAX) + " bytes";
      out.parts.clear();
      return out;
    }
    if (!part.empty() && part != ".") out.parts.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

// One extraction: the archive being read, the open destination and the running totals.
class Extractor {
 public:
  Extractor(archive* a, const Source& source, const fs::path& dest, std::string_view name,
            const ExtractLimits& limits)
      : a_(a), source_(source), dest_(dest), name_(name), limits_(limits), buffer_(kBlock) {}

  Result<std::vector<ExtractedEntry>> run() {
    if (::mkdir(dest_.c_str(), 0700) != 0) {
      const int err = errno;
      if (err == EEXIST) return io_failure(0, "destination already exists:", dest_.native());
      return io_failure(err, "cannot create destination", dest_.native());
    }
    auto result = unpack();
    if (!result) {
      root_ = Fd();
      std::error_code ec;
      fs::remove_all(dest_, ec);
    }
    return result;
  }

 private:
  Result<std::vector<ExtractedEntry>> unpack() {
    root_ = Fd(::open(dest_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root_.valid()) return io_failure(errno, "cannot open destination", dest_.native());
    std::vector<ExtractedEntry> entries;
    std::uint64_t count = 0;
    for (;;) {
      archive_entry* entry = nullptr;
      const int r = archive_read_next_header(a_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return read_failure(nullptr);
      // The name in the locale's charset; without one that can hold it (the "C" locale of a
      // daemon), the UTF-8 name a pax header carries.
      const char* raw_name = archive_entry_pathname(entry);
      if (raw_name == nullptr) raw_name = archive_entry_pathname_utf8(entry);
      if (raw_name == nullptr) return hostile_archive("entry without a readable name");
      const std::string raw(raw_name);
      if (++count > limits_.max_entries) {
        return hostile(raw, "more than " + std::to_string(limits_.max_entries) +
                                " entries (limit max_entries)");
      }
      auto added = add(entry, raw);
      if (!added) return tl::unexpected(added.error());
      if (*added) entries.push_back(std::move(**added));
    }
    if (::fchmod(root_.get(), 0755) != 0) {
      return io_failure(errno, "cannot set the mode of", dest_.native());
    }
    return entries;
  }

  // Checks and writes one entry; nothing for the archive root ("./").
  Result<std::optional<ExtractedEntry>> add(archive_entry* entry, const std::string& raw) {
    if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
      return hostile(raw, "hard link (to " + quote_name(target) + ") is not allowed");
    }
    const auto type = archive_entry_filetype(entry);
    switch (type) {
      case AE_IFREG:
      case AE_IFDIR:
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        return hostile(raw, "symbolic link (to " + quote_name(target != nullptr ? target : "") +
                                ") is not allowed");
      }
      case AE_IFCHR:
      case AE_IFBLK:
        return hostile(raw, "device node is not allowed");
      case AE_IFIFO:
        return hostile(raw, "FIFO is not allowed");
      case AE_IFSOCK:
        return hostile(raw, "socket is not allowed");
      default:
        return hostile(raw, "unsupported entry type");
    }
    const bool directory = type == AE_IFDIR;
    if (archive_entry_size_is_set(entry)) {
      const auto declared =
          static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
      // libarchive would decompress a directory's data only to skip it; no tar writer makes any.
      if (directory && declared > 0) return hostile(raw, "directory entry carries data");
      if (declared > limits_.max_file_bytes) return file_too_large(raw);
      if (declared > limits_.max_total_bytes - std::min(total_, limits_.max_total_bytes)) {
        return total_too_large(raw);
      }
    }
    SplitPath path = split_entry_path(raw, limits_);
    if (!path.problem.empty()) return hostile(raw, path.problem);
    if (path.parts.empty()) {
      if (directory) return std::optional<ExtractedEntry>();
      return hostile(raw, "empty path");
    }
    std::string normal = join(path.parts, path.parts.size());
    if (!seen_.insert(normal).second) return hostile(raw, "duplicate entry");

    auto parent = open_parent(raw, path.parts);
    if (!parent) return tl::unexpected(parent.error());
    const std::string& leaf = path.parts.back();
    std::uint64_t size = 0;
    if (directory) {
      auto made = make_directory(raw, parent->get(), leaf);
      if (!made) return tl::unexpected(made.error());
    } else {
      auto written = write_file(entry, raw, parent->get(), leaf);
      if (!written) return tl::unexpected(written.error());
      size = *written;
    }
    return std::optional<ExtractedEntry>(ExtractedEntry{std::move(normal), directory, size});
  }

  // Opens (creating as needed) the directory that holds the entry's last component. Every step
  // is relative to the previous descriptor and refuses to follow a symbolic link.
  Result<Fd> open_parent(const std::string& raw, const std::vector<std::string>& parts) {
    Fd current(::dup(root_.get()));
    if (!current.valid()) return io_failure(errno, "cannot duplicate a descriptor", {});
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const char* part = parts[i].c_str();
      const bool created = ::mkdirat(current.get(), part, 0700) == 0;
      if (!created && errno != EEXIST) {
        return entry_io_failure(errno, raw, "cannot create a parent directory");
      }
      Fd next(::openat(current.get(), part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next.valid()) {
        if (errno != ENOTDIR && errno != ELOOP) {
          return entry_io_failure(errno, raw, "cannot open a parent directory");
        }
        return hostile(raw, "goes through " + quote_name(join(parts, i + 1)) +
                                ", which an earlier entry made a file");
      }
      if (created && ::fchmod(next.get(), 0755) != 0) {
        return entry_io_failure(errno, raw, "cannot set the mode of a parent directory");
      }
      current = std::move(next);
    }
    return Result<Fd>(std::move(current));
  }

  Result<void> make_directory(const std::string& raw, int parent, const std::string& leaf) {
    if (::mkdirat(parent, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
      return entry_io_failure(errno, raw, "cannot create the directory");
    }
    // Already there is fine when an earlier entry made it as its parent; a file is not.
    Fd dir(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
      if (errno != ENOTDIR && errno != ELOOP) {
        return entry_io_failure(errno, raw, "cannot open the directory");
      }
      return hostile(raw, "conflicts with a file of an earlier entry");
    }
    if (::fchmod(dir.get(), 0755) != 0) {
      return entry_io_failure(errno, raw, "cannot set the mode");
    }
    return {};
  }

  Result<std::uint64_t> write_file(archive_entry* entry, const std::string& raw, int parent,
                                   const std::string& leaf) {
    Fd file(
        ::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) {
      if (errno != EEXIST) return entry_io_failure(errno, raw, "cannot create the file");
      return hostile(raw, "conflicts with a directory of an earlier entry");
    }
    std::uint64_t size = 0;
    for (;;) {
      const la_ssize_t n = archive_read_data(a_, buffer_.data(), buffer_.size());
      if (n == 0) break;
      if (n < 0) return read_failure(&raw);
      const auto got = static_cast<std::uint64_t>(n);
      size += got;
      total_ += got;
      if (size > limits_.max_file_bytes) return file_too_large(raw);
      if (total_ > limits_.max_total_bytes) return total_too_large(raw);
      if (auto ratio = check_ratio(raw); !ratio) return tl::unexpected(ratio.error());
      for (std::size_t done = 0; done < got;) {
        const ssize_t w = ::write(file.get(), buffer_.data() + done, got - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return entry_io_failure(errno, raw, "cannot write");
        done += static_cast<std::size_t>(w);
      }
    }
    // Only the permission bits this package allows: executable or not, never setuid/setgid.
    const mode_t mode = (archive_entry_perm(entry) & 0111) != 0 ? 0755 : 0644;
    if (::fchmod(file.get(), mode) != 0) {
      return entry_io_failure(errno, raw, "cannot set the mode");
    }
    if (file.close() != 0) return entry_io_failure(errno, raw, "cannot write");
    return size;
  }

  // A decompression bomb: far more output than input once past kRatioFloor.
  Result<void> check_ratio(const std::string& raw) const {
    if (total_ <= kRatioFloor) return {};
    const auto read =
        static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(a_, -1)));
    if (static_cast<unsigned __int128>(read) * limits_.max_ratio >= total_) return {};
    return bomb(&raw, total_, read);
  }

  tl::unexpected<Error> bomb(const std::string* raw, std::uint64_t unpacked,
                             std::uint64_t read) const {
    const std::string why = "unpacks to " + std::to_string(unpacked) + " bytes from " +
                            std::to_string(read) + " compressed bytes, a ratio over " +
                            std::to_string(limits_.max_ratio) +
                            " (a decompression bomb; limit max_ratio)";
    return raw != nullptr ? hostile(*raw, why) : hostile_archive(why);
  }

  // libarchive failed while reading headers (raw == nullptr) or the data of entry `raw`.
  tl::unexpected<Error> read_failure(const std::string* raw) const {
    if (source_.bomb_unpacked != 0) return bomb(raw, source_.bomb_unpacked, source_.delivered);
    if (source_.read_errno != 0) return io_failure(source_.read_errno, "cannot read it", {});
    const std::string why = "corrupt or truncated archive: " + libarchive_message(a_);
    return raw != nullptr ? hostile(*raw, why) : hostile_archive(why);
  }

  tl::unexpected<Error> file_too_large(const std::string& raw) const {
    return hostile(raw, "file larger than " + std::to_string(limits_.max_file_bytes) +
                            " bytes (limit max_file_bytes)");
  }
  tl::unexpected<Error> total_too_large(const std::string& raw) const {
    return hostile(raw, "archive unpacks to more than " + std::to_string(limits_.max_total_bytes) +
                            " bytes (limit max_total_bytes)");
  }

  tl::unexpected<Error> hostile(const std::string& raw, const std::string& why) const {
    return make_error(ErrorKind::kHostileArchive,
                      "archive " + quote_name(name_) + ": entry " + quote_name(raw) + ": " + why);
  }
  tl::unexpected<Error> hostile_archive(const std::string& why) const {
    return make_error(ErrorKind::kHostileArchive, "archive " + quote_name(name_) + ": " + why);
  }
  // Local failures. Callers pass `errno` straight from the failed call; no other argument
  // allocates, so nothing can change errno before it is read.
  tl::unexpected<Error> io_failure(int err, std::string_view what, std::string_view path) const {
    std::string message = "archive " + quote_name(name_) + ": " + std::string(what);
    if (!path.empty()) message += " " + std::string(path);
    if (err != 0) message += ": " + std::generic_category().message(err);
    return make_error(ErrorKind::kIo, std::move(message));
  }
  tl::unexpected<Error> entry_io_failure(int err, const std::string& raw,
                                         std::string_view what) const {
    return make_error(ErrorKind::kIo, "archive " + quote_name(name_) + ": entry " +
                                          quote_name(raw) + ": " + std::string(what) + ": " +
                                          std::generic_category().message(err));
  }

  archive* a_;
  const Source& source_;
  const fs::path& dest_;
  std::string_view name_;
  const ExtractLimits& limits_;
  std::vector<char> buffer_;
  Fd root_;
  std::set<std::string> seen_;  // normalised paths of the entries so far
  std::uint64_t total_ = 0;     // uncompressed bytes written so far
};

Result<std::vector<ExtractedEntry>> extract(Source& source, const fs::path& dest,
                                            std::string_view name, const ExtractLimits& limits) {
  ArchivePtr a(archive_read_new());
  if (!a) return make_error(ErrorKind::kIo, "archive " + quote_name(name) + ": out of memory");
  // gzip or plain tar only: no external decompressor programs, no other formats, so fewer
  // parsers see untrusted bytes.
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_none(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK) {
    return make_error(ErrorKind::kIo, "archive " + quote_name(name) +
                                          ": libarchive lacks built-in gzip or tar support: " +
                                          libarchive_message(a.get()));
  }
  source.max_ratio = limits.max_ratio;
  if (archive_read_open(a.get(), &source, nullptr, read_source, nullptr) != ARCHIVE_OK) {
    if (source.read_errno != 0) {
      return make_error(ErrorKind::kIo, "archive " + quote_name(name) +
                                            ": cannot read the archive: " +
                                            std::generic_category().message(source.read_errno));
    }
    return make_error(
        ErrorKind::kHostileArchive,
        "archive " + quote_name(name) +
            ": corrupt, truncated or not a tar/tar.gz archive: " + libarchive_message(a.get()));
  }
  return Extractor(a.get(), source, dest, name, limits).run();
}

}  // namespace

Result<std::vector<ExtractedEntry>> extract_archive(const fs::path& archive_path,
                                                    const fs::path& dest, std::string_view name,
                                                    const ExtractLimits& limits) {
  Fd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                      "archive " + quote_name(name) + ": cannot open " + archive_path.string() +
                          ": " + std::generic_category().message(err));
  }
  Source source;
  source.fd = fd.get();
  source.buffer.resize(kBlock);
  return extract(source, dest, name, limits);
}

Result<std::vector<ExtractedEntry>> extract_archive_memory(std::string_view data,
                                                           const fs::path& dest,
                                                           std::string_view name,
                                                           const ExtractLimits& limits) {
  Source source;
  source.memory = data;
  return extract(source, dest, name, limits);
}

}  // namespace cairn::sources
