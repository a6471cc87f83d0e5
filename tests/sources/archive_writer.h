// ArchiveWriter: writes tar and tar.gz archives with arbitrary entries through libarchive's write
// API, so that tests make hostile archives (absolute paths, `..`, links, device nodes, bombs)
// themselves instead of checking them in. Test helper: throws std::runtime_error on failure; not
// thread-safe.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace cairn::testing {

class ArchiveWriter {
 public:
  enum class Compression { kGzip, kNone };

  // Writes to `file`.
  explicit ArchiveWriter(const std::filesystem::path& file,
                         Compression compression = Compression::kGzip)
      : a_(make(compression)) {
    check(archive_write_open_filename(a_, file.c_str()), "open");
  }
  // Writes into `*out` (which must outlive the writer).
  explicit ArchiveWriter(std::string* out, Compression compression = Compression::kGzip)
      : a_(make(compression)) {
    check(archive_write_open(a_, out, nullptr, &ArchiveWriter::append, nullptr), "open");
  }
  // Raw mode: no tar format; what `bytes` and `zero_bytes` write is only compressed (for
  // hand-made tar headers that libarchive's tar writer would never produce).
  struct Raw {};
  ArchiveWriter(const std::filesystem::path& file, Raw) : a_(make_raw()) {
    check(archive_write_open_filename(a_, file.c_str()), "open");
    Entry e("raw", AE_IFREG, 0644);
    header(e);
  }
  ~ArchiveWriter() {
    if (a_ != nullptr) archive_write_free(a_);  // closes too; errors are lost here
  }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void file(const std::string& path, const std::string& data, int perm = 0644) {
    Entry e(path, AE_IFREG, perm);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    header(e);
    data_block(data.data(), data.size());
  }
  // A file of `size` zero bytes, written in pieces (never held in memory).
  void zeros(const std::string& path, std::uint64_t size) {
    Entry e(path, AE_IFREG, 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    header(e);
    zero_bytes(size);
  }
  // Raw data: in raw mode anything, in tar mode the data of the entry just begun.
  void bytes(const std::string& data) { data_block(data.data(), data.size()); }
  void zero_bytes(std::uint64_t size) {
    const std::vector<char> block(1 << 16, '\0');
    for (std::uint64_t left = size; left > 0;) {
      const std::size_t n = left < block.size() ? static_cast<std::size_t>(left) : block.size();
      data_block(block.data(), n);
      left -= n;
    }
  }
  void dir(const std::string& path, int perm = 0755) {
    Entry e(path, AE_IFDIR, perm);
    header(e);
  }
  void symlink(const std::string& path, const std::string& target) {
    Entry e(path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e.get(), target.c_str());
    header(e);
  }
  void hardlink(const std::string& path, const std::string& target) {
    Entry e(path, AE_IFREG, 0644);
    archive_entry_set_hardlink(e.get(), target.c_str());
    archive_entry_set_size(e.get(), 0);
    header(e);
  }
  // AE_IFCHR, AE_IFBLK or AE_IFIFO.
  void special(const std::string& path, unsigned type) {
    Entry e(path, type, 0644);
    if (type == AE_IFCHR || type == AE_IFBLK) archive_entry_set_rdevmajor(e.get(), 1);
    header(e);
  }
  // Every file and directory below `root`, named `prefix/<relative path>`, in sorted order.
  void tree(const std::filesystem::path& root, const std::string& prefix) {
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    dir(prefix);
    for (const auto& p : paths) {
      const std::string name = prefix + "/" + std::filesystem::relative(p, root).string();
      if (std::filesystem::is_directory(p)) {
        dir(name);
      } else {
        std::ifstream in(p, std::ios::binary);
        file(name, std::string(std::istreambuf_iterator<char>(in), {}));
      }
    }
  }
  void close() {
    check(archive_write_close(a_), "close");
    archive_write_free(a_);
    a_ = nullptr;
  }

 private:
  class Entry {
   public:
    Entry(const std::string& path, unsigned type, int perm) : e_(archive_entry_new()) {
      archive_entry_set_pathname(e_, path.c_str());
      archive_entry_set_filetype(e_, type);
      archive_entry_set_perm(e_, static_cast<mode_t>(perm));
      archive_entry_set_mtime(e_, 1700000000, 0);
      archive_entry_set_uname(e_, "root");
      archive_entry_set_gname(e_, "root");
    }
    ~Entry() { archive_entry_free(e_); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    archive_entry* get() const { return e_; }

   private:
    archive_entry* e_;
  };

  static archive* make(Compression compression) {
    archive* a = archive_write_new();
    if (a == nullptr) throw std::runtime_error("archive_write_new failed");
    const int format = archive_write_set_format_pax_restricted(a);
    const int filter = compression == Compression::kGzip ? archive_write_add_filter_gzip(a)
                                                         : archive_write_add_filter_none(a);
    if (format != ARCHIVE_OK || filter != ARCHIVE_OK) {
      archive_write_free(a);
      throw std::runtime_error("cannot set up the archive writer");
    }
    return a;
  }

  static archive* make_raw() {
    archive* a = archive_write_new();
    if (a == nullptr) throw std::runtime_error("archive_write_new failed");
    if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a) != ARCHIVE_OK) {
      archive_write_free(a);
      throw std::runtime_error("cannot set up the raw archive writer");
    }
    return a;
  }

  static la_ssize_t append(archive*, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  void header(const Entry& e) { check(archive_write_header(a_, e.get()), "header"); }
  void data_block(const char* data, std::size_t size) {
    const la_ssize_t n = archive_write_data(a_, data, size);
    if (n < 0 || static_cast<std::size_t>(n) != size) check(ARCHIVE_FATAL, "data");
  }
  void check(int r, const char* what) {
    if (r < ARCHIVE_WARN) {
      const char* msg = archive_error_string(a_);
      throw std::runtime_error(std::string("archive writer: ") + what + ": " +
                               (msg != nullptr ? msg : "unknown error"));
    }
  }

  archive* a_;
};

// A 512-byte ustar header block for `name` of type `typeflag` declaring `size` bytes of data.
inline std::string ustar_header(const std::string& name, char typeflag, std::uint64_t size) {
  std::string h(512, '\0');
  auto put = [&h](std::size_t at, const std::string& value) { h.replace(at, value.size(), value); };
  auto octal = [](std::uint64_t v, int width) {
    std::string out(static_cast<std::size_t>(width), '0');
    for (int i = width - 1; i >= 0 && v > 0; --i, v >>= 3) {
      out[static_cast<std::size_t>(i)] = static_cast<char>('0' + (v & 7));
    }
    return out;
  };
  put(0, name.substr(0, 100));
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  put(124, octal(size, 11));
  put(136, octal(1700000000, 11));
  put(148, std::string(8, ' '));
  h[156] = typeflag;
  put(257, std::string("ustar\0"
                       "00",
                       8));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put(148, octal(sum, 6) + std::string("\0 ", 2));
  return h;
}

}  // namespace cairn::testing
