// Go's path package (base dir clean ext isAbs) and path/filepath on Linux
// (osBase ...), which behave the same with '/' as separator.
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;

// path.Clean: lexical shortest equivalent path.
std::string clean(std::string_view p) {
  if (p.empty()) return ".";
  const bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  std::size_t dotdot_floor = 0;  // parts before this index are leading ".." (unrooted)
  for (std::size_t pos = 0; pos <= p.size();) {
    std::size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view part = p.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.size() > dotdot_floor) {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
        dotdot_floor = parts.size();
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// path.Base: last element after removing trailing slashes.
std::string base(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return "/";
  std::size_t slash = p.rfind('/');
  if (slash != std::string_view::npos) p.remove_prefix(slash + 1);
  return p.empty() ? "/" : std::string(p);
}

// path.Dir: Clean of everything up to the last slash.
std::string dir(std::string_view p) {
  std::size_t slash = p.rfind('/');
  return clean(slash == std::string_view::npos ? std::string_view() : p.substr(0, slash + 1));
}

// path.Ext: suffix from the last dot in the last element.
std::string ext(std::string_view p) {
  for (std::size_t i = p.size(); i > 0 && p[i - 1] != '/'; --i) {
    if (p[i - 1] == '.') return std::string(p.substr(i - 1));
  }
  return "";
}

void def_path(FuncMap& f, const char* name, const char* os_name, std::string (*fn)(std::string_view)) {
  FuncImpl impl = [fn](CallContext&, Args& a) -> Result<Value> { return Value(fn(a[0].as_string())); };
  sprig_def(f, name, {Param::String}, false, impl);
  sprig_def(f, os_name, {Param::String}, false, impl);
}

}  // namespace

void add_sprig_path_funcs(FuncMap& f) {
  def_path(f, "base", "osBase", base);
  def_path(f, "dir", "osDir", dir);
  def_path(f, "clean", "osClean", clean);
  def_path(f, "ext", "osExt", ext);
  FuncImpl is_abs = [](CallContext&, Args& a) -> Result<Value> {
    const auto& s = a[0].as_string();
    return Value(!s.empty() && s[0] == '/');
  };
  sprig_def(f, "isAbs", {Param::String}, false, is_abs);
  sprig_def(f, "osIsAbs", {Param::String}, false, is_abs);
}

}  // namespace cairn::render::sprig_detail
