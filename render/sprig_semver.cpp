// semver / semverCompare: Masterminds/semver v3.2 version parsing and
// constraint checking as sprig 3.3.0 exposes them (helm v3.19.0), with the
// lower-case error texts of semver 3.4. Constraint syntax is parsed by hand
// (the language of semver's validation regexp), so hostile input cannot make
// a backtracking regex blow up.
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;

struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::string pre, metadata, original;

  std::string str() const {
    std::string out = std::to_string(major) + "." + std::to_string(minor) + "." +
                      std::to_string(patch);
    if (!pre.empty()) out += "-" + pre;
    if (!metadata.empty()) out += "+" + metadata;
    return out;
  }
};

// semver 3.4's lower-case spelling of semver 3.2's errors.
std::string lower_errors(std::string msg) {
  static const std::pair<std::string_view, std::string_view> kMap[] = {
      {"Invalid Semantic Version", "invalid semantic version"},
      {"Version string empty", "version string empty"},
      {"Invalid characters in version", "invalid characters in version"},
      {"Version segment starts with 0", "version segment starts with 0"},
      {"Invalid Metadata string", "invalid metadata string"},
      {"Invalid Prerelease string", "invalid prerelease string"},
      {"Error parsing version segment", "error parsing version segment"},
      {"constraint Parser Error", "constraint parser error"}};
  for (const auto& [from, to] : kMap) {
    for (std::size_t pos; (pos = msg.find(from)) != std::string::npos;) msg.replace(pos, from.size(), to);
  }
  return msg;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
bool is_num(char c) { return c >= '0' && c <= '9'; }
bool is_ident(char c) {
  return is_num(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
// Characters of a constraint version segment: [0-9|x|X|*] (the '|' is literal).
bool is_cv_char(char c) { return is_num(c) || c == '|' || c == 'x' || c == 'X' || c == '*'; }

// Matches [0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* at `pos`; returns the end or npos.
std::size_t match_dotted_idents(std::string_view s, std::size_t pos) {
  std::size_t i = pos;
  while (i < s.size() && is_ident(s[i])) ++i;
  if (i == pos) return std::string_view::npos;
  while (i + 1 < s.size() && s[i] == '.' && is_ident(s[i + 1])) {
    ++i;
    while (i < s.size() && is_ident(s[i])) ++i;
  }
  return i;
}

// The parts of a (constraint) version as semver's regexps capture them.
struct VersionMatch {
  std::string_view major, minor, patch, pre, metadata;  // minor/patch include the dot
  std::size_t end = 0;
};

// v?SEG(\.SEG)?(\.SEG)?(-P)?(\+P)? at `pos`, greedily; SEG is digits, or
// the cv character class when `cv`.
std::optional<VersionMatch> match_version(std::string_view s, std::size_t pos, bool cv) {
  auto seg_char = [cv](char c) { return cv ? is_cv_char(c) : is_num(c); };
  VersionMatch m;
  std::size_t i = pos;
  if (i < s.size() && s[i] == 'v') ++i;
  std::size_t start = i;
  while (i < s.size() && seg_char(s[i])) ++i;
  if (i == start) return std::nullopt;
  m.major = s.substr(start, i - start);
  for (std::string_view* part : {&m.minor, &m.patch}) {
    if (i + 1 < s.size() && s[i] == '.' && seg_char(s[i + 1])) {
      start = i++;
      while (i < s.size() && seg_char(s[i])) ++i;
      *part = s.substr(start, i - start);
    } else {
      break;
    }
  }
  if (i < s.size() && s[i] == '-') {
    std::size_t end = match_dotted_idents(s, i + 1);
    if (end != std::string_view::npos) {
      m.pre = s.substr(i + 1, end - i - 1);
      i = end;
    }
  }
  if (i < s.size() && s[i] == '+') {
    std::size_t end = match_dotted_idents(s, i + 1);
    if (end != std::string_view::npos) {
      m.metadata = s.substr(i + 1, end - i - 1);
      i = end;
    }
  }
  m.end = i;
  return m;
}

bool parse_u64(std::string_view digits, std::uint64_t& out) {
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return res.ec == std::errc() && res.ptr == digits.data() + digits.size();
}

std::string segment_error(std::string_view digits) {
  // strconv.ParseUint only fails here on range.
  return "Error parsing version segment: strconv.ParseUint: parsing \"" + std::string(digits) +
         "\": value out of range";
}

bool only_digits(std::string_view s) {
  for (char c : s) {
    if (!is_num(c)) return false;
  }
  return true;
}

// semver.NewVersion (the non-strict parser).
Result<Version> parse_version(std::string_view text) {
  auto m = match_version(text, 0, false);
  if (!m || m->end != text.size()) return make_error("Invalid Semantic Version");
  Version v;
  v.original = std::string(text);
  v.pre = std::string(m->pre);
  v.metadata = std::string(m->metadata);
  if (!parse_u64(m->major, v.major)) return make_error(segment_error(m->major));
  if (!m->minor.empty() && !parse_u64(m->minor.substr(1), v.minor)) {
    return make_error(segment_error(m->minor.substr(1)));
  }
  if (!m->patch.empty() && !parse_u64(m->patch.substr(1), v.patch)) {
    return make_error(segment_error(m->patch.substr(1)));
  }
  // Numeric pre-release identifiers may not have leading zeros.
  for (std::size_t pos = 0; !v.pre.empty() && pos <= v.pre.size();) {
    std::size_t dot = v.pre.find('.', pos);
    std::string_view part = std::string_view(v.pre).substr(pos, dot - pos);
    if (only_digits(part) && part.size() > 1 && part[0] == '0') {
      return make_error("Version segment starts with 0");
    }
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return v;
}

int compare_pre_part(const std::string& s, const std::string& o) {
  if (s == o) return 0;
  if (s.empty()) return o.empty() ? 1 : -1;
  if (o.empty()) return 1;
  std::uint64_t si = 0, oi = 0;
  const bool s_num = parse_u64(s, si), o_num = parse_u64(o, oi);
  if (!s_num && !o_num) return s > o ? 1 : -1;
  if (!o_num) return -1;
  if (!s_num) return 1;
  return si > oi ? 1 : -1;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (std::size_t dot; (dot = s.find('.', pos)) != std::string::npos; pos = dot + 1) {
    out.push_back(s.substr(pos, dot - pos));
  }
  out.push_back(s.substr(pos));
  return out;
}

int compare_prerelease(const std::string& a, const std::string& b) {
  auto x = split_dots(a), y = split_dots(b);
  for (std::size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    int d = compare_pre_part(i < x.size() ? x[i] : "", i < y.size() ? y[i] : "");
    if (d != 0) return d;
  }
  return 0;
}

int compare(const Version& v, const Version& o) {
  for (auto [a, b] : {std::pair{v.major, o.major}, {v.minor, o.minor}, {v.patch, o.patch}}) {
    if (a != b) return a < b ? -1 : 1;
  }
  if (v.pre.empty() && o.pre.empty()) return 0;
  if (v.pre.empty()) return 1;
  if (o.pre.empty()) return -1;
  return compare_prerelease(v.pre, o.pre);
}

// ------------------------------------------------------------ constraints

struct Constraint {
  std::string op;
  Version con;
  bool dirty = false, minor_dirty = false, patch_dirty = false;
};

bool is_x(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

// semver's parseConstraint for an operator and constraint version text.
Result<Constraint> make_constraint(std::string op, std::string_view cv_text) {
  auto m = match_version(cv_text, 0, true);
  Constraint c;
  c.op = std::move(op);
  const std::string pre = m->pre.empty() ? "" : "-" + std::string(m->pre);
  std::string ver(cv_text);
  auto tail = [](std::string_view part) { return part.empty() ? part : part.substr(1); };
  if (is_x(m->major)) {
    ver = "0.0.0" + pre;
    c.dirty = true;
  } else if (is_x(tail(m->minor)) || m->minor.empty()) {
    c.minor_dirty = c.dirty = true;
    ver = std::string(m->major) + ".0.0" + pre;
  } else if (is_x(tail(m->patch)) || m->patch.empty()) {
    c.patch_dirty = c.dirty = true;
    ver = std::string(m->major) + std::string(m->minor) + ".0" + pre;
  }
  auto v = parse_version(ver);
  if (!v) return make_error("constraint Parser Error");
  c.con = std::move(*v);
  return c;
}

std::optional<std::string_view> match_op(std::string_view s, std::size_t& i) {
  static constexpr std::string_view kOps[] = {"!=", ">=", "=>", "<=", "=<", "~>",
                                              "=",  ">",  "<",  "~",  "^"};
  for (auto op : kOps) {
    if (s.substr(i, op.size()) == op) {
      i += op.size();
      return op;
    }
  }
  return std::string_view{};
}

// One "||" alternative: items OP CV separated by whitespace or commas.
Result<std::vector<Constraint>> parse_and_group(std::string_view s) {
  const Error improper{"improper constraint: " + std::string(s)};
  std::vector<Constraint> out;
  std::optional<Error> parse_error;  // reported only once the group is valid
  std::size_t i = 0;
  while (i < s.size() && is_ws(s[i])) ++i;
  while (true) {
    std::string op(*match_op(s, i));
    while (i < s.size() && is_ws(s[i])) ++i;
    auto m = match_version(s, i, true);
    if (!m) return tl::unexpected(improper);
    auto c = make_constraint(op, s.substr(i, m->end - i));
    i = m->end;
    std::size_t ws_start = i;
    while (i < s.size() && is_ws(s[i])) ++i;
    if (c) {
      out.push_back(std::move(*c));
    } else if (!parse_error) {
      parse_error = c.error();
    }
    if (i == s.size()) {
      if (parse_error) return tl::unexpected(*parse_error);
      return out;
    }
    if (s[i] == ',') {
      ++i;
      while (i < s.size() && is_ws(s[i])) ++i;
    } else if (i == ws_start) {
      return tl::unexpected(improper);  // items need a separator
    }
  }
}

// semver's rewriteRange: "A - B" becomes ">= A, <= B".
std::string rewrite_ranges(std::string s) {
  std::vector<std::pair<std::string, std::string>> found;  // (matched text, replacement)
  const std::string_view view = s;
  for (std::size_t p = 0; p < view.size();) {
    std::size_t i = p;
    while (i < view.size() && is_ws(view[i])) ++i;
    auto a = match_version(view, i, true);
    std::optional<VersionMatch> b;
    std::size_t j = 0, b_start = 0;
    if (a) {
      j = a->end;
      std::size_t ws = j;
      while (j < view.size() && is_ws(view[j])) ++j;
      if (j > ws && j < view.size() && view[j] == '-') {
        std::size_t k = ++j;
        while (j < view.size() && is_ws(view[j])) ++j;
        if (j > k) {
          b_start = j;
          b = match_version(view, j, true);
        }
      }
    }
    if (!b) {
      ++p;
      continue;
    }
    std::size_t end = b->end;
    while (end < view.size() && is_ws(view[end])) ++end;
    found.emplace_back(std::string(view.substr(p, end - p)),
                       ">= " + std::string(view.substr(i, a->end - i)) + ", <= " +
                           std::string(view.substr(b_start, b->end - b_start)));
    p = end;
  }
  for (const auto& [text, repl] : found) {
    if (auto pos = s.find(text); pos != std::string::npos) s.replace(pos, text.size(), repl);
  }
  return s;
}

Result<std::vector<std::vector<Constraint>>> parse_constraints(std::string_view text) {
  constexpr std::size_t kMaxConstraint = 64 * 1024;
  if (text.size() > kMaxConstraint) return make_error("improper constraint: too long");
  const std::string rewritten = rewrite_ranges(std::string(text));
  std::vector<std::vector<Constraint>> ors;
  std::size_t pos = 0;
  while (true) {
    std::size_t bar = rewritten.find("||", pos);
    auto group = parse_and_group(std::string_view(rewritten).substr(pos, bar - pos));
    if (!group) return tl::unexpected(group.error());
    ors.push_back(std::move(*group));
    if (bar == std::string::npos) break;
    pos = bar + 2;
  }
  return ors;
}

bool check_tilde(const Version& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) return false;
  if (compare(v, c.con) < 0) return false;
  if (c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minor_dirty &&
      !c.patch_dirty) {
    return true;
  }
  if (v.major != c.con.major) return false;
  return !(v.minor != c.con.minor && !c.minor_dirty);
}

bool check_caret(const Version& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) return false;
  if (compare(v, c.con) < 0) return false;
  if (c.con.major > 0 || c.minor_dirty) return v.major == c.con.major;
  if (v.major > 0) return false;
  if (c.con.minor > 0 || c.patch_dirty) return v.minor == c.con.minor;
  if (v.minor > 0) return false;
  return v.patch == c.con.patch;
}

bool check_not_equal(const Version& v, const Constraint& c) {
  if (c.dirty) {
    if (!v.pre.empty() && c.con.pre.empty()) return false;
    if (c.con.major != v.major) return true;
    if (c.con.minor != v.minor && !c.minor_dirty) return true;
    if (c.minor_dirty) return false;
    if (c.con.patch != v.patch && !c.patch_dirty) return true;
    if (c.patch_dirty) {
      if (!v.pre.empty() || !c.con.pre.empty()) return compare_prerelease(v.pre, c.con.pre) != 0;
      return false;
    }
  }
  return compare(v, c.con) != 0;
}

// One constraint; every operator except != rejects a pre-release version
// unless the constraint itself has a pre-release.
bool check(const Version& v, const Constraint& c) {
  const std::string& op = c.op;
  if (op == "!=") return check_not_equal(v, c);
  if (!v.pre.empty() && c.con.pre.empty()) return false;
  const int cmp = compare(v, c.con);
  if (op.empty() || op == "=") return c.dirty ? check_tilde(v, c) : cmp == 0;
  if (op == ">") {
    if (!c.dirty) return cmp == 1;
    if (v.major != c.con.major) return v.major > c.con.major;
    if (c.minor_dirty) return false;
    if (c.patch_dirty) return v.minor > c.con.minor;
    return cmp == 1;
  }
  if (op == "<") return cmp < 0;
  if (op == ">=" || op == "=>") return cmp >= 0;
  if (op == "<=" || op == "=<") {
    if (!c.dirty) return cmp <= 0;
    if (v.major > c.con.major) return false;
    return !(v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty);
  }
  if (op == "~" || op == "~>") return check_tilde(v, c);
  return check_caret(v, c);  // "^"
}

// ------------------------------------------------------------ *semver.Version

class SemverObject : public Object {
 public:
  explicit SemverObject(Version v);
  std::string type_name() const override { return "*semver.Version"; }
  std::string kind_name() const override { return "ptr"; }
  std::optional<Value> field(std::string_view name) const override;
  const Func* method(std::string_view name) const override;
  std::string format(bool) const override { return v_.str(); }
  Value to_data() const override { return Value(v_.str()); }
  const Version& version() const { return v_; }

 private:
  Version v_;
  FuncMap methods_;
};

Result<const Version*> version_arg(const Value& v) {
  if (!v.is_object() || v.object().type_name() != "*semver.Version") {
    return make_error("wrong type for value; expected *semver.Version; got " + v.type_name());
  }
  return &static_cast<const SemverObject&>(v.object()).version();
}

SemverObject::SemverObject(Version v) : v_(std::move(v)) {
  auto def = [this](const char* name, auto fn) {
    methods_[name] = Func{{Param::Any}, false, [this, fn](CallContext&, Args& a) -> Result<Value> {
                            auto other = version_arg(a[0]);
                            if (!other) return tl::unexpected(other.error());
                            return fn(compare(v_, **other));
                          }};
  };
  def("Compare", [](int c) { return Value::integer(c); });
  def("LessThan", [](int c) { return Value(c < 0); });
  def("GreaterThan", [](int c) { return Value(c > 0); });
  def("Equal", [](int c) { return Value(c == 0); });
}

std::optional<Value> SemverObject::field(std::string_view name) const {
  if (name == "Major") return Value::uinteger(v_.major);
  if (name == "Minor") return Value::uinteger(v_.minor);
  if (name == "Patch") return Value::uinteger(v_.patch);
  if (name == "Prerelease") return Value(v_.pre);
  if (name == "Metadata") return Value(v_.metadata);
  if (name == "Original") return Value(v_.original);
  if (name == "String") return Value(v_.str());
  return std::nullopt;
}

const Func* SemverObject::method(std::string_view name) const {
  auto it = methods_.find(std::string(name));
  return it == methods_.end() ? nullptr : &it->second;
}

}  // namespace

void add_sprig_semver_funcs(FuncMap& f) {
  sprig_def(f, "semver", {Param::String}, false, [](CallContext&, Args& a) -> Result<Value> {
    auto v = parse_version(a[0].as_string());
    if (!v) return make_error(lower_errors(v.error().message));
    return Value(std::shared_ptr<const Object>(std::make_shared<SemverObject>(std::move(*v))));
  });
  sprig_def(f, "semverCompare", {Param::String, Param::String}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              auto cs = parse_constraints(a[0].as_string());
              if (!cs) return make_error(lower_errors(cs.error().message));
              auto v = parse_version(a[1].as_string());
              if (!v) return make_error(lower_errors(v.error().message));
              for (const auto& group : *cs) {
                bool all = true;
                for (const auto& c : group) all = all && check(*v, c);
                if (all) return Value(true);
              }
              return Value(false);
            });
}

}  // namespace cairn::render::sprig_detail
