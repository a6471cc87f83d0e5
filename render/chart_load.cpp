// Loading charts from directories, archives and file lists, following
// helm v3.19.0's pkg/chart/loader and Metadata.Validate.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include "render/chart.h"
#include "render/codec.h"
#include "render/detail/chart_internal.h"
#include "render/gofmt.h"

namespace cairn::render {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string strip_bom(std::string data) {
  if (data.compare(0, kUtf8Bom.size(), kUtf8Bom) == 0) data.erase(0, kUtf8Bom.size());
  return data;
}

bool has_prefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool has_suffix(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Go's path.Clean for slash-separated paths.
std::string clean_path(std::string_view p) {
  if (p.empty()) return ".";
  const bool rooted = p.front() == '/';
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.emplace_back("..");
      }
      continue;
    }
    parts.emplace_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

// Go's path.Ext.
std::string_view path_ext(std::string_view p) {
  for (std::size_t i = p.size(); i > 0; --i) {
    if (p[i - 1] == '/') break;
    if (p[i - 1] == '.') return p.substr(i - 1);
  }
  return {};
}

// Go's path.Base.
std::string_view path_base(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  const std::size_t slash = p.rfind('/');
  if (slash != std::string_view::npos && p.size() > 1) p = p.substr(slash + 1);
  return p.empty() ? std::string_view(".") : p;
}

// ------------------------------------------------------------ archives

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

// libarchive's last error text (it may have none).
std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown error";
}

bool is_gzip(std::string_view data) {
  return has_prefix(data, std::string_view("\x1F\x8B\x08", 3));
}

// http.DetectContentType for what a non-archive chart file usually is: text
// or binary data.
std::string sniff_content_type(std::string_view data) {
  data = data.substr(0, 512);
  const bool binary = std::any_of(data.begin(), data.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) || (c >= 0x1C && c <= 0x1F);
  });
  return binary ? "application/octet-stream" : "text/plain; charset=utf-8";
}

// Helm's archive entry name: the first path component dropped, backslashes
// treated as separators when the name has any.
std::string entry_relative_name(std::string_view raw) {
  const char delim = raw.find('\\') != std::string_view::npos ? '\\' : '/';
  const std::size_t first = raw.find(delim);
  std::string rest = first == std::string_view::npos ? "" : std::string(raw.substr(first + 1));
  std::replace(rest.begin(), rest.end(), delim, '/');
  return rest;
}

Result<std::string> check_entry_name(std::string_view raw) {
  std::string n = entry_relative_name(raw);
  if (!n.empty() && n.front() == '/') return make_error("chart illegally contains absolute paths");
  n = clean_path(n);
  if (n == ".") {
    return make_error("chart illegally contains content outside the base directory: " +
                      go_quote(raw));
  }
  if (has_prefix(n, "..")) return make_error("chart illegally references parent directory");
  if (n.size() >= 3 && std::isalpha(static_cast<unsigned char>(n[0])) && n[1] == ':' &&
      n[2] == '/') {
    return make_error("chart contains illegally named files");
  }
  const std::size_t slash = raw.find('/');
  if (raw.substr(0, slash) == "Chart.yaml") return make_error("chart yaml not in base directory");
  return n;
}

Result<std::string> read_entry_data(archive* a, std::string_view name, std::size_t& remaining,
                                    const ChartLoadLimits& limits) {
  std::string data;
  char buf[64 * 1024];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return make_error(std::string("error reading chart archive: ") + archive_message(a));
    if (n == 0) break;
    if (static_cast<std::size_t>(n) >= remaining) {
      return make_error("decompressed chart is larger than the maximum file size " +
                        std::to_string(limits.max_chart_size));
    }
    remaining -= static_cast<std::size_t>(n);
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limits.max_file_size) {
      return make_error("decompressed chart file " + go_quote(name) +
                        " is larger than the maximum file size " +
                        std::to_string(limits.max_file_size));
    }
  }
  return data;
}

// Checks an entry's type: regular files are read, directories skipped; links,
// devices and fifos refused (helm would read them as empty files).
Result<bool> accept_entry_type(archive_entry* e) {
  const auto type = archive_entry_filetype(e);
  if (type == AE_IFDIR) return false;
  if (archive_entry_hardlink(e) != nullptr) {
    return make_error("chart archive contains a hard link: " +
                      go_quote(archive_entry_pathname(e) ? archive_entry_pathname(e) : ""));
  }
  if (type == AE_IFREG) return true;
  const char* what = type == AE_IFLNK ? "a symbolic link" : "an irregular file";
  return make_error(std::string("chart archive contains ") + what + ": " +
                    go_quote(archive_entry_pathname(e) ? archive_entry_pathname(e) : ""));
}

// ------------------------------------------------------------ directories

// A file descriptor closed with its scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::generic_category().message(err); }

Error too_large(std::string_view name, std::size_t max_size) {
  return Error{"chart file " + go_quote(name) + " is larger than the maximum file size " +
               std::to_string(max_size)};
}

// Reads the regular file open as `fd` to its end (a file that grew since its size was taken is
// read to its end all the same), refusing more than `max_size` bytes. Plain read(2) into the
// string: an ifstream and a stat by path per file were a tenth of a render.
Result<std::string> read_open_file(const Fd& fd, std::string_view shown, std::string_view name,
                                   std::size_t max_size) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return make_error("error reading " + std::string(shown) + ": " + errno_text(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return make_error("error reading " + std::string(shown) + ": " + errno_text(EISDIR));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error("cannot load irregular file " + std::string(shown) +
                      " as it has file mode type bits set");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_size) return tl::unexpected(too_large(name, max_size));
  // One byte more than the size, so that the read that finds the end needs no second buffer.
  std::string data(size + 1, '\0');
  std::size_t have = 0;
  for (;;) {
    if (have == data.size()) {
      if (data.size() > max_size) return tl::unexpected(too_large(name, max_size));
      data.resize(std::min(data.size() * 2, max_size + 1));
    }
    const ssize_t n = ::read(fd.get(), data.data() + have, data.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("error reading " + std::string(shown) + ": " + errno_text(errno));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_size) return tl::unexpected(too_large(name, max_size));
  data.resize(have);
  return strip_bom(std::move(data));
}

// Opens `name` relative to the directory `dir_fd` (AT_FDCWD: the working directory). Never
// blocks on a FIFO: the type is checked after opening.
Result<Fd> open_at(int dir_fd, const char* name, std::string_view shown, int flags = 0) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags);
  if (fd < 0) return make_error("error reading " + std::string(shown) + ": " + errno_text(errno));
  return Result<Fd>(tl::in_place, fd);
}

Result<std::string> read_small_file(const fs::path& p, std::string_view shown,
                                    std::size_t max_size) {
  auto fd = open_at(AT_FDCWD, p.c_str(), shown);
  if (!fd) return tl::unexpected(fd.error());
  return read_open_file(*fd, shown, p.filename().string(), max_size);
}

// Reads a chart directory like helm's sympath.Walk: names in byte order, symbolic links
// followed, a link back into a directory being walked refused instead of looping. Files are
// opened relative to their directory's descriptor, so no path is resolved twice.
class DirReader {
 public:
  DirReader(const HelmIgnore& ignore, const ChartLoadLimits& limits)
      : ignore_(ignore), limits_(limits) {}

  // Walks the directory open as `dir_fd` (its path is `dir`, shown as `rel`).
  Result<void> walk(Fd dir_fd, const fs::path& dir, const std::string& rel) {
    struct stat st {};
    if (::fstat(dir_fd.get(), &st) != 0) {
      return make_error("error reading " + dir.string() + ": " + errno_text(errno));
    }
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (!active_.insert(id).second) {
      return make_error("chart directory contains a symbolic link loop at " + dir.string());
    }
    // fdopendir owns the descriptor from here on; closedir closes it.
    DIR* d = ::fdopendir(dir_fd.get());
    if (!d) return make_error("error reading " + dir.string() + ": " + errno_text(errno));
    dir_fd.release();
    std::unique_ptr<DIR, int (*)(DIR*)> dir_stream(d, &::closedir);
    std::vector<std::pair<std::string, unsigned char>> entries;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (!e) {
        if (errno != 0) {
          return make_error("error reading " + dir.string() + ": " + errno_text(errno));
        }
        break;
      }
      const std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      entries.emplace_back(std::string(n), e->d_type);
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& [n, type] : entries) {
      if (auto r = visit(::dirfd(d), dir, n, type, rel.empty() ? n : rel + "/" + n); !r) {
        return r;
      }
    }
    active_.erase(id);
    return {};
  }

  std::vector<ChartFile> take() { return std::move(files_); }

 private:
  Result<void> visit(int dir_fd, const fs::path& dir, const std::string& name,
                     unsigned char type, const std::string& rel) {
    bool is_dir = type == DT_DIR;
    if (type != DT_DIR && type != DT_REG) {  // a link, another type, or a file system that
      struct stat st {};                      // does not say: ask, following links
      if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
        const int err = errno;
        struct stat lst {};
        const bool link = ::fstatat(dir_fd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
                          S_ISLNK(lst.st_mode);
        return make_error(std::string(link ? "error evaluating symlink " : "error reading ") +
                          (dir / name).string() + ": " + errno_text(err));
      }
      is_dir = S_ISDIR(st.st_mode);
      if (!is_dir && !S_ISREG(st.st_mode)) {
        if (ignore_.ignored(rel, false)) return {};
        return make_error("cannot load irregular file " + (dir / name).string() +
                          " as it has file mode type bits set");
      }
    }
    if (is_dir) {
      if (ignore_.ignored(rel, true)) return {};
      auto sub = open_at(dir_fd, name.c_str(), (dir / name).string(), O_DIRECTORY);
      if (!sub) return tl::unexpected(sub.error());
      return walk(std::move(*sub), dir / name, rel);
    }
    if (ignore_.ignored(rel, false)) return {};
    if (files_.size() >= limits_.max_files) {
      return make_error("chart has more than " + std::to_string(limits_.max_files) + " files");
    }
    auto fd = open_at(dir_fd, name.c_str(), rel);
    if (!fd) return tl::unexpected(fd.error());
    auto data = read_open_file(*fd, rel, name, limits_.max_file_size);
    if (!data) return tl::unexpected(data.error());
    total_ += data->size();
    if (total_ > limits_.max_chart_size) {
      return make_error("chart is larger than the maximum size " +
                        std::to_string(limits_.max_chart_size));
    }
    files_.push_back({rel, std::move(*data)});
    return {};
  }

  const HelmIgnore& ignore_;
  const ChartLoadLimits& limits_;
  std::set<std::pair<dev_t, ino_t>> active_;
  std::vector<ChartFile> files_;
  std::size_t total_ = 0;
};

Result<std::vector<ChartFile>> read_chart_dir(const fs::path& root, const ChartLoadLimits& limits) {
  std::error_code ec;
  const fs::path abs = fs::absolute(root, ec);
  if (ec) return make_error(ec.message());
  std::string ignore_text;
  const fs::path ignore_path = abs / ".helmignore";
  if (fs::exists(ignore_path, ec)) {
    auto text = read_small_file(ignore_path, ".helmignore", limits.max_file_size);
    if (!text) return tl::unexpected(text.error());
    ignore_text = std::move(*text);
  }
  auto ignore = HelmIgnore::parse(ignore_text);
  if (!ignore) return tl::unexpected(ignore.error());
  auto root_fd = open_at(AT_FDCWD, abs.c_str(), abs.string(), O_DIRECTORY);
  if (!root_fd) return tl::unexpected(root_fd.error());
  DirReader reader(*ignore, limits);
  if (auto r = reader.walk(std::move(*root_fd), abs, ""); !r) return tl::unexpected(r.error());
  return reader.take();
}

// ------------------------------------------------------------ Chart.yaml

// A scalar decoded into a Go string field the way sigs.k8s.io/yaml does it:
// numbers and booleans are converted to their text.
Result<std::string> as_go_string(const Value& v, std::string_view field) {
  if (v.is_nothing()) return std::string();
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return std::string(v.as_bool() ? "true" : "false");
  if (v.is_float()) {
    const double d = v.as_float();
    if (std::floor(d) == d && std::fabs(d) < 1e18) return std::to_string(static_cast<long long>(d));
    return go_format_float(d, 'g', -1);
  }
  if (v.is_int()) return std::to_string(v.as_int());
  return make_error("error unmarshaling JSON: json: cannot unmarshal " +
                    std::string(v.is_list() ? "array" : "object") + " into Go struct field " +
                    std::string(field) + " of type string");
}

Result<std::vector<std::string>> as_go_strings(const Value& v, std::string_view field) {
  std::vector<std::string> out;
  if (v.is_nothing()) return out;
  if (!v.is_list()) {
    return make_error("error unmarshaling JSON: json: cannot unmarshal " +
                      std::string(v.is_map() ? "object" : "scalar") + " into Go struct field " +
                      std::string(field) + " of type []string");
  }
  for (const Value& item : v.list().items) {
    auto s = as_go_string(item, field);
    if (!s) return tl::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

// Looks a JSON key up like encoding/json: exact name first, then ASCII
// case-insensitive.
const Value* json_field(const Value& m, std::string_view key) {
  if (const Value* v = m.find(key)) return v;
  for (const auto& [k, v] : m.map().items) {
    if (k.size() == key.size() && std::equal(k.begin(), k.end(), key.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &v;
    }
  }
  return nullptr;
}

Result<void> read_string(const Value& m, std::string_view key, std::string_view field,
                         std::string& out) {
  if (const Value* v = json_field(m, key)) {
    auto s = as_go_string(*v, field);
    if (!s) return tl::unexpected(s.error());
    out = std::move(*s);
  }
  return {};
}

Result<void> read_strings(const Value& m, std::string_view key, std::string_view field,
                          std::vector<std::string>& out) {
  if (const Value* v = json_field(m, key)) {
    auto s = as_go_strings(*v, field);
    if (!s) return tl::unexpected(s.error());
    out = std::move(*s);
  }
  return {};
}

Error null_node_error(std::string_view what) {
  return Error{"validation: " + std::string(what) + " must not contain empty or null nodes"};
}

Result<void> read_maintainers(const Value& m, std::vector<ChartMaintainer>& out) {
  const Value* v = json_field(m, "maintainers");
  if (v == nullptr || v->is_nothing()) return {};
  if (!v->is_list()) {
    return make_error(
        "error unmarshaling JSON: json: cannot unmarshal scalar into Go struct field "
        "Metadata.maintainers of type []*chart.Maintainer");
  }
  for (const Value& item : v->list().items) {
    if (item.is_nothing()) return tl::unexpected(null_node_error("maintainers"));
    if (!item.is_map()) {
      return make_error(
          "error unmarshaling JSON: json: cannot unmarshal scalar into Go struct field "
          "Metadata.maintainers of type chart.Maintainer");
    }
    ChartMaintainer mt;
    for (auto [key, dst] : {std::pair{"name", &mt.name}, {"email", &mt.email}, {"url", &mt.url}}) {
      if (auto r = read_string(item, key, std::string("Maintainer.") + key, *dst); !r) return r;
    }
    out.push_back(std::move(mt));
  }
  return {};
}

Result<ChartDependency> read_dependency(const Value& item) {
  ChartDependency d;
  const std::pair<const char*, std::string*> fields[] = {{"name", &d.name},
                                                         {"version", &d.version},
                                                         {"repository", &d.repository},
                                                         {"condition", &d.condition},
                                                         {"alias", &d.alias}};
  for (auto [key, dst] : fields) {
    if (auto r = read_string(item, key, std::string("Dependency.") + key, *dst); !r) {
      return tl::unexpected(r.error());
    }
  }
  if (auto r = read_strings(item, "tags", "Dependency.tags", d.tags); !r) {
    return tl::unexpected(r.error());
  }
  if (const Value* en = json_field(item, "enabled"); en && en->is_bool()) d.enabled = en->as_bool();
  if (const Value* iv = json_field(item, "import-values"); iv && !iv->is_nothing()) {
    if (!iv->is_list()) {
      return make_error(
          "error unmarshaling JSON: json: cannot unmarshal scalar into Go struct field "
          "Dependency.import-values of type []interface {}");
    }
    for (const Value& x : iv->list().items) d.import_values.push_back(x.deep_copy());
  }
  return d;
}

Result<void> read_dependencies(const Value& m, std::vector<ChartDependency>& out) {
  const Value* v = json_field(m, "dependencies");
  if (v == nullptr || v->is_nothing()) return {};
  if (!v->is_list()) {
    return make_error(
        "error unmarshaling JSON: json: cannot unmarshal scalar into Go struct field "
        "Metadata.dependencies of type []*chart.Dependency");
  }
  out.clear();
  for (const Value& item : v->list().items) {
    if (item.is_nothing()) return tl::unexpected(null_node_error("dependencies"));
    if (!item.is_map()) {
      return make_error(
          "error unmarshaling JSON: json: cannot unmarshal scalar into Go struct field "
          "Metadata.dependencies of type chart.Dependency");
    }
    auto d = read_dependency(item);
    if (!d) return tl::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return {};
}

// Decodes Chart.yaml (or requirements.yaml) over `md`, like yaml.Unmarshal
// into *chart.Metadata: keys present replace fields, others stay.
Result<void> decode_metadata(std::string_view text, ChartMetadata& md) {
  auto doc = yaml_decode(text);
  if (!doc) return tl::unexpected(doc.error());
  if (doc->is_nothing()) return {};
  if (!doc->is_map()) {
    return make_error("error unmarshaling JSON: json: cannot unmarshal " +
                      std::string(doc->is_list()     ? "array"
                                  : doc->is_string() ? "string"
                                                     : "number") +
                      " into Go value of type chart.Metadata");
  }
  const Value& m = *doc;
  const std::pair<const char*, std::string*> fields[] = {{"name", &md.name},
                                                         {"home", &md.home},
                                                         {"version", &md.version},
                                                         {"description", &md.description},
                                                         {"icon", &md.icon},
                                                         {"apiVersion", &md.api_version},
                                                         {"condition", &md.condition},
                                                         {"tags", &md.tags},
                                                         {"appVersion", &md.app_version},
                                                         {"kubeVersion", &md.kube_version},
                                                         {"type", &md.type}};
  for (auto [key, dst] : fields) {
    if (auto r = read_string(m, key, std::string("Metadata.") + key, *dst); !r) return r;
  }
  if (auto r = read_strings(m, "sources", "Metadata.sources", md.sources); !r) return r;
  if (auto r = read_strings(m, "keywords", "Metadata.keywords", md.keywords); !r) return r;
  if (const Value* v = json_field(m, "deprecated"); v && v->is_bool()) md.deprecated = v->as_bool();
  if (const Value* v = json_field(m, "annotations"); v && v->is_map()) {
    md.annotations.clear();
    for (const auto& [k, x] : v->map().items) {
      auto s = as_go_string(x, "Metadata.annotations");
      if (!s) return tl::unexpected(s.error());
      md.annotations[k] = std::move(*s);
    }
  }
  if (auto r = read_maintainers(m, md.maintainers); !r) return r;
  return read_dependencies(m, md.dependencies);
}

bool alias_name_valid(std::string_view alias) {
  return !alias.empty() && std::all_of(alias.begin(), alias.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

void sanitize_metadata(ChartMetadata& md) {
  using detail::sanitize_text;
  for (std::string* s : {&md.name, &md.description, &md.home, &md.icon, &md.condition, &md.tags,
                         &md.app_version, &md.kube_version}) {
    *s = sanitize_text(*s);
  }
  for (auto& s : md.sources) s = sanitize_text(s);
  for (auto& s : md.keywords) s = sanitize_text(s);
  for (auto& m : md.maintainers) {
    m.name = sanitize_text(m.name);
    m.email = sanitize_text(m.email);
    m.url = sanitize_text(m.url);
  }
  for (auto& d : md.dependencies) {
    d.name = sanitize_text(d.name);
    d.version = sanitize_text(d.version);
    d.repository = sanitize_text(d.repository);
    d.condition = sanitize_text(d.condition);
    for (auto& t : d.tags) t = sanitize_text(t);
  }
}

// chart.Metadata.Validate of helm 3.19.
Result<void> validate_metadata(ChartMetadata& md) {
  sanitize_metadata(md);
  if (md.api_version.empty())
    return make_error("validation: chart.metadata.apiVersion is required");
  if (md.name.empty()) return make_error("validation: chart.metadata.name is required");
  if (md.name != path_base(md.name) || md.name == "." || md.name == "/") {
    return make_error("validation: chart.metadata.name " + go_quote(md.name) + " is invalid");
  }
  if (md.version.empty()) return make_error("validation: chart.metadata.version is required");
  if (!detail::semver_valid(md.version)) {
    return make_error("validation: chart.metadata.version " + go_quote(md.version) + " is invalid");
  }
  if (md.type != "" && md.type != "application" && md.type != "library") {
    return make_error("validation: chart.metadata.type must be application or library");
  }
  std::set<std::string> seen;
  for (const auto& d : md.dependencies) {
    if (!d.alias.empty() && !alias_name_valid(d.alias)) {
      return make_error("validation: dependency " + go_quote(d.name) +
                        " has disallowed characters in the alias");
    }
    const std::string& key = d.alias.empty() ? d.name : d.alias;
    if (!seen.insert(key).second) {
      return make_error("validation: more than one dependency with name or alias " + go_quote(key));
    }
  }
  return {};
}

Result<Value> decode_values_file(std::string_view text) {
  auto doc = yaml_decode(text);
  if (!doc) return tl::unexpected(doc.error());
  if (doc->is_nothing()) return Value::new_map();
  if (!doc->is_map()) {
    return make_error("error unmarshaling JSON: json: cannot unmarshal " +
                      std::string(doc->is_list()     ? "array"
                                  : doc->is_string() ? "string"
                                                     : "number") +
                      " into Go value of type map[string]interface {}");
  }
  return *doc;
}

// The files of one entry of charts/, grouped by the entry's first component.
struct SubchartFiles {
  std::vector<ChartFile> files;
};

Result<Chart> load_subchart(const std::string& parent, const std::string& entry,
                            std::vector<ChartFile>& files, const ChartLoadLimits& limits) {
  Result<Chart> sub = make_error("");
  if (path_ext(entry) == ".tgz") {
    if (files.front().name != entry) {
      return make_error("error unpacking subchart tar in " + parent + ": expected " + entry +
                        ", got " + files.front().name);
    }
    sub = load_chart_archive(files.front().data, limits);
  } else {
    std::vector<ChartFile> inner;
    for (ChartFile& f : files) {
      const std::size_t slash = f.name.find('/');
      if (slash == std::string::npos) continue;
      inner.push_back({f.name.substr(slash + 1), std::move(f.data)});
    }
    sub = load_chart_files(std::move(inner), limits);
  }
  if (!sub) {
    return make_error("error unpacking subchart " + entry + " in " + parent + ": " +
                      sub.error().message);
  }
  return sub;
}

}  // namespace

// ------------------------------------------------------------ public

Result<std::vector<ChartFile>> read_chart_archive(std::string_view data,
                                                  const ChartLoadLimits& limits) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a) return make_error("cannot allocate archive reader");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return make_error("error reading chart archive: " + archive_message(a.get()));
  }
  if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_GZIP) {
    return make_error("gzip: invalid header");
  }
  std::vector<ChartFile> files;
  std::size_t remaining = limits.max_chart_size;
  std::size_t entries = 0;
  archive_entry* e = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return make_error(std::string("error reading chart archive: ") + archive_message(a.get()));
    }
    if (++entries > limits.max_files) {
      return make_error("chart archive has more than " + std::to_string(limits.max_files) +
                        " entries");
    }
    auto accept = accept_entry_type(e);
    if (!accept) return tl::unexpected(accept.error());
    if (!*accept) continue;
    const char* path = archive_entry_pathname(e);
    const std::string raw = path ? path : "";
    auto name = check_entry_name(raw);
    if (!name) return tl::unexpected(name.error());
    if (archive_entry_size_is_set(e)) {
      const auto size = static_cast<std::size_t>(std::max<la_int64_t>(0, archive_entry_size(e)));
      if (size > remaining) {
        return make_error("decompressed chart is larger than the maximum file size " +
                          std::to_string(limits.max_chart_size));
      }
      if (size > limits.max_file_size) {
        return make_error("decompressed chart file " + go_quote(raw) +
                          " is larger than the maximum file size " +
                          std::to_string(limits.max_file_size));
      }
    }
    auto content = read_entry_data(a.get(), raw, remaining, limits);
    if (!content) return tl::unexpected(content.error());
    files.push_back({std::move(*name), strip_bom(std::move(*content))});
  }
  if (files.empty()) return make_error("no files in chart archive");
  return files;
}

Result<Chart> load_chart_archive(std::string_view data, const ChartLoadLimits& limits) {
  auto files = read_chart_archive(data, limits);
  if (!files) return tl::unexpected(files.error());
  return load_chart_files(std::move(*files), limits);
}

Result<Chart> load_chart(const std::string& path, const ChartLoadLimits& limits) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return make_error("stat " + path + ": no such file or directory");
  }
  if (fs::is_directory(st)) {
    auto files = read_chart_dir(path, limits);
    if (!files) return tl::unexpected(files.error());
    return load_chart_files(std::move(*files), limits);
  }
  auto data = read_small_file(path, path, limits.max_chart_size);
  if (!data) return tl::unexpected(data.error());
  if (!is_gzip(*data)) {
    if (has_suffix(path, ".yml") || has_suffix(path, ".yaml")) {
      return make_error("file '" + path +
                        "' seems to be a YAML file, but expected a gzipped archive");
    }
    return make_error("file '" + path + "' does not appear to be a gzipped archive; got '" +
                      sniff_content_type(*data) + "'");
  }
  return load_chart_archive(*data, limits);
}

Result<Chart> load_chart_files(std::vector<ChartFile> files, const ChartLoadLimits& limits) {
  Chart c;
  c.values = Value::new_map();
  bool has_metadata = false;
  for (const ChartFile& f : files) {
    if (f.name != "Chart.yaml") continue;
    has_metadata = true;
    if (auto r = decode_metadata(f.data, c.metadata); !r) {
      return make_error("cannot load Chart.yaml: " + r.error().message);
    }
    if (c.metadata.api_version.empty()) c.metadata.api_version = "v1";
  }
  std::map<std::string, std::vector<ChartFile>> subcharts;  // sorted: helm's order is random
  for (ChartFile& f : files) {
    const std::string& n = f.name;
    if (n == "Chart.yaml" || n == "Chart.lock" || n == "values.schema.json") continue;
    if (n == "values.yaml") {
      auto v = decode_values_file(f.data);
      if (!v) return make_error("cannot load values.yaml: " + v.error().message);
      c.values = std::move(*v);
    } else if (n == "requirements.yaml" || n == "requirements.lock") {
      has_metadata = true;
      if (n == "requirements.yaml") {
        if (auto r = decode_metadata(f.data, c.metadata); !r) {
          return make_error("cannot load requirements.yaml: " + r.error().message);
        }
      }
      if (c.metadata.api_version == "v1") c.files.push_back(std::move(f));
    } else if (has_prefix(n, "templates/")) {
      c.templates.push_back(std::move(f));
    } else if (has_prefix(n, "charts/")) {
      if (path_ext(n) == ".prov") {
        c.files.push_back(std::move(f));
        continue;
      }
      std::string rest = n.substr(7);
      std::string entry = rest.substr(0, rest.find('/'));
      subcharts[entry].push_back({std::move(rest), std::move(f.data)});
    } else {
      c.files.push_back(std::move(f));
    }
  }
  if (!has_metadata) return make_error("Chart.yaml file is missing");
  if (auto r = validate_metadata(c.metadata); !r) return tl::unexpected(r.error());
  for (auto& [entry, sub_files] : subcharts) {
    if (!entry.empty() && (entry.front() == '_' || entry.front() == '.')) continue;
    auto sub = load_subchart(c.metadata.name, entry, sub_files, limits);
    if (!sub) return tl::unexpected(sub.error());
    c.dependencies.push_back(std::move(*sub));
  }
  return c;
}

// ------------------------------------------------------------ .helmignore

namespace {

// One rune of UTF-8 starting at s[i] (invalid bytes count as one rune).
std::size_t rune_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return std::min(n, s.size() - i);
}

std::uint32_t rune_at(std::string_view s, std::size_t i, std::size_t n) {
  const auto b = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k]));
  };
  if (n == 1) return b(0);
  if (n == 2) return ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
  if (n == 3) return ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
  return ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
}

// One character of a class (Go's getEsc): '-' and ']' must be escaped.
bool class_char(std::string_view p, std::size_t& i, std::uint32_t& r) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') return false;
  if (p[i] == '\\' && ++i >= p.size()) return false;
  const std::size_t n = rune_len(p, i);
  r = rune_at(p, i, n);
  i += n;
  return true;
}

// Parses the class whose '[' is just before p[i] and tests rune r against it.
// Returns the index after ']' or npos when the class is malformed.
std::size_t match_class(std::string_view p, std::size_t i, std::uint32_t r, bool& matched) {
  const bool negated = i < p.size() && p[i] == '^';
  if (negated) ++i;
  bool in = false;
  for (int ranges = 0;; ++ranges) {
    if (i < p.size() && p[i] == ']' && ranges > 0) {
      matched = in != negated;
      return i + 1;
    }
    std::uint32_t lo = 0;
    if (!class_char(p, i, lo)) return std::string_view::npos;
    std::uint32_t hi = lo;
    if (i < p.size() && p[i] == '-') {
      ++i;
      if (!class_char(p, i, hi)) return std::string_view::npos;
    }
    if (lo <= r && r <= hi) in = true;
  }
}

// Checks a filepath.Match pattern for syntax errors (Go reports them even
// when the name does not match).
bool pattern_well_formed(std::string_view p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (++i >= p.size()) return false;
    } else if (p[i] == '[') {
      bool unused = false;
      const std::size_t end = match_class(p, i + 1, 0, unused);
      if (end == std::string_view::npos) return false;
      i = end - 1;
    }
  }
  return true;
}

// Matches a well-formed pattern against name; '*', '?' and classes never
// match '/'.
bool match_from(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p[0] == '*') {
      std::size_t stars = 0;
      while (stars < p.size() && p[stars] == '*') ++stars;
      const std::string_view rest = p.substr(stars);
      for (std::size_t k = 0;; ++k) {
        if (match_from(rest, s.substr(k))) return true;
        if (k >= s.size() || s[k] == '/') return false;
      }
    }
    if (s.empty()) return false;
    const std::size_t sn = rune_len(s, 0);
    if (p[0] == '?') {
      if (s[0] == '/') return false;
      p.remove_prefix(1);
    } else if (p[0] == '[') {
      if (s[0] == '/') return false;
      bool matched = false;
      const std::size_t end = match_class(p, 1, rune_at(s, 0, sn), matched);
      if (end == std::string_view::npos || !matched) return false;
      p.remove_prefix(end);
    } else {
      const std::size_t pn = p[0] == '\\' ? 1 : 0;
      const std::size_t len = rune_len(p, pn);
      if (p.substr(pn, len) != s.substr(0, sn)) return false;
      p.remove_prefix(pn + len);
    }
    s.remove_prefix(sn);
  }
  return s.empty();
}

}  // namespace

Result<bool> go_path_match(std::string_view pattern, std::string_view name) {
  if (!pattern_well_formed(pattern)) return make_error("syntax error in pattern");
  return match_from(pattern, name);
}

Result<HelmIgnore> HelmIgnore::parse(std::string_view text) {
  HelmIgnore out;
  auto add = [&out](std::string_view line) -> Result<void> {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') return {};
    if (line.find("**") != std::string_view::npos) {
      return make_error("double-star (**) syntax is not supported");
    }
    if (!pattern_well_formed(line)) return make_error("syntax error in pattern");
    Rule r;
    if (line.front() == '!') {
      r.negate = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      r.dir_only = true;
      line.remove_suffix(1);
    }
    if (!line.empty() && line.front() == '/') {
      r.full_path = true;
      line.remove_prefix(1);
    } else if (line.find('/') != std::string_view::npos) {
      r.full_path = true;
    }
    r.pattern = std::string(line);
    out.rules_.push_back(std::move(r));
    return {};
  };
  if (has_prefix(text, kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto r = add(line); !r) return tl::unexpected(r.error());
    pos = nl + 1;
  }
  if (auto r = add("templates/.?*"); !r) return tl::unexpected(r.error());
  return out;
}

bool HelmIgnore::ignored(std::string_view path, bool is_dir) const {
  if (path.empty() || path == "." || path == "./") return false;
  for (const Rule& r : rules_) {
    const std::string_view name = r.full_path ? path : path_base(path);
    auto m = go_path_match(r.pattern, name);
    const bool matched = m && *m;
    if (r.negate) {
      if (r.dir_only && !is_dir) return true;
      if (!matched) return true;
      continue;
    }
    if (r.dir_only && !is_dir) continue;
    if (matched) return true;
  }
  return false;
}

}  // namespace cairn::render
