// Sprig's urlParse / urlJoin (sprig url.go) over Go's net/url: Parse, the
// percent-encoding rules per URL component, Userinfo and URL.String().
#include "render/detail/sprig_time.h"
#include "render/detail/sprig_util.h"
#include "render/gofmt.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;

enum class Enc { Path, PathSegment, Host, Zone, UserPassword, QueryComponent, Fragment };

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
unsigned char unhex(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned char>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned char>(c - 'a' + 10);
  return static_cast<unsigned char>(c - 'A' + 10);
}

// net/url shouldEscape (RFC 3986 per component).
bool should_escape(unsigned char c, Enc mode) {
  if (is_alnum(c)) return false;
  if (mode == Enc::Host || mode == Enc::Zone) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
      case ';': case '=': case ':': case '[': case ']': case '<': case '>': case '"':
        return false;
      default: break;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~': return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?':
    case '@':
      switch (mode) {
        case Enc::Path: return c == '?';
        case Enc::PathSegment: return c == '/' || c == ';' || c == ',' || c == '?';
        case Enc::UserPassword: return c == '@' || c == '/' || c == '?' || c == ':';
        case Enc::QueryComponent: return true;
        case Enc::Fragment: return false;
        default: break;
      }
      break;
    default: break;
  }
  if (mode == Enc::Fragment && (c == '!' || c == '(' || c == ')' || c == '*')) return false;
  return true;
}

// net/url escape.
std::string escape(std::string_view s, Enc mode) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' && mode == Enc::QueryComponent) {
      out += '+';
    } else if (should_escape(c, mode)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

// net/url unescape with its EscapeError / InvalidHostError texts.
Result<std::string> unescape(std::string_view s, Enc mode) {
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
        return make_error("invalid URL escape " + go_quote(s.substr(i, 3)));
      }
      std::string_view esc = s.substr(i, 3);
      if (mode == Enc::Host && unhex(s[i + 1]) < 8 && esc != "%25") {
        return make_error("invalid URL escape " + go_quote(esc));
      }
      if (mode == Enc::Zone) {
        auto v = static_cast<unsigned char>(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
        if (esc != "%25" && v != ' ' && should_escape(v, Enc::Host)) {
          return make_error("invalid URL escape " + go_quote(esc));
        }
      }
      i += 3;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if ((mode == Enc::Host || mode == Enc::Zone) && c < 0x80 && should_escape(c, mode)) {
      return make_error("invalid character " + go_quote(s.substr(i, 1)) + " in host name");
    }
    ++i;
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      out += static_cast<char>(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && mode == Enc::QueryComponent) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Userinfo {
  std::string username;
  std::string password;
  bool password_set = false;
  // Userinfo.String().
  std::string str() const {
    std::string s = escape(username, Enc::UserPassword);
    if (password_set) s += ":" + escape(password, Enc::UserPassword);
    return s;
  }
};

// The fields of net/url.URL that sprig reads or writes.
struct Url {
  std::string scheme, opaque, host, path, raw_path, raw_query, fragment, raw_fragment;
  std::optional<Userinfo> user;
  bool omit_host = false;
  bool force_query = false;
};

bool valid_optional_port(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_userinfo(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (is_alnum(c)) continue;
    switch (c) {
      case '-': case '.': case '_': case ':': case '~': case '!': case '$': case '&': case '\'':
      case '(': case ')': case '*': case '+': case ',': case ';': case '=': case '%': case '@':
        continue;
      default: return false;
    }
  }
  return true;
}

Result<std::string> parse_host(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    std::size_t i = host.rfind(']');
    if (i == std::string_view::npos) return make_error("missing ']' in host");
    std::string_view colon_port = host.substr(i + 1);
    if (!valid_optional_port(colon_port)) {
      return make_error("invalid port " + go_quote(colon_port) + " after host");
    }
    std::size_t zone = host.substr(0, i).find("%25");
    if (zone != std::string_view::npos) {
      auto h1 = unescape(host.substr(0, zone), Enc::Host);
      if (!h1) return h1;
      auto h2 = unescape(host.substr(zone, i - zone), Enc::Zone);
      if (!h2) return h2;
      auto h3 = unescape(host.substr(i), Enc::Host);
      if (!h3) return h3;
      return *h1 + *h2 + *h3;
    }
  } else if (std::size_t i = host.rfind(':'); i != std::string_view::npos) {
    std::string_view colon_port = host.substr(i);
    if (!valid_optional_port(colon_port)) {
      return make_error("invalid port " + go_quote(colon_port) + " after host");
    }
  }
  return unescape(host, Enc::Host);
}

Result<void> parse_authority(std::string_view authority, Url& u) {
  std::size_t at = authority.rfind('@');
  auto host = parse_host(at == std::string_view::npos ? authority : authority.substr(at + 1));
  if (!host) return tl::unexpected(host.error());
  u.host = *host;
  if (at == std::string_view::npos) return {};
  std::string_view info = authority.substr(0, at);
  if (!valid_userinfo(info)) return make_error("net/url: invalid userinfo");
  Userinfo user;
  std::size_t colon = info.find(':');
  auto name = unescape(info.substr(0, colon), Enc::UserPassword);
  if (!name) return tl::unexpected(name.error());
  user.username = *name;
  if (colon != std::string_view::npos) {
    auto pass = unescape(info.substr(colon + 1), Enc::UserPassword);
    if (!pass) return tl::unexpected(pass.error());
    user.password = *pass;
    user.password_set = true;
  }
  u.user = std::move(user);
  return {};
}

// net/url getScheme.
Result<std::string_view> get_scheme(std::string_view raw, std::string_view& rest) {
  rest = raw;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) return std::string_view();
      continue;
    }
    if (c == ':') {
      if (i == 0) return make_error("missing protocol scheme");
      rest = raw.substr(i + 1);
      return raw.substr(0, i);
    }
    return std::string_view();
  }
  return std::string_view();
}

// net/url parse(rawURL, viaRequest=false), without the fragment.
Result<Url> parse_no_fragment(std::string_view raw) {
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) {
      return make_error("net/url: invalid control character in URL");
    }
  }
  Url u;
  if (raw == "*") {
    u.path = "*";
    return u;
  }
  std::string_view rest;
  auto scheme = get_scheme(raw, rest);
  if (!scheme) return tl::unexpected(scheme.error());
  u.scheme = go_to_lower(*scheme);
  std::size_t q = rest.find('?');
  if (!rest.empty() && rest.back() == '?' && q == rest.size() - 1) {
    u.force_query = true;
    rest.remove_suffix(1);
  } else if (q != std::string_view::npos) {
    u.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  bool slash = !rest.empty() && rest[0] == '/';
  if (!slash) {
    if (!u.scheme.empty()) {
      u.opaque = std::string(rest);
      return u;
    }
    std::string_view segment = rest.substr(0, rest.find('/'));
    if (segment.find(':') != std::string_view::npos) {
      return make_error("first path segment in URL cannot contain colon");
    }
  }
  bool has_authority = rest.substr(0, 2) == "//" &&
                       (!u.scheme.empty() || rest.substr(0, 3) != "///");
  if (has_authority) {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (std::size_t i = authority.find('/'); i != std::string_view::npos) {
      rest = authority.substr(i);
      authority = authority.substr(0, i);
    }
    auto ok = parse_authority(authority, u);
    if (!ok) return tl::unexpected(ok.error());
  } else if (!u.scheme.empty() && slash) {
    u.omit_host = true;
  }
  auto path = unescape(rest, Enc::Path);
  if (!path) return tl::unexpected(path.error());
  u.path = *path;
  if (escape(u.path, Enc::Path) != rest) u.raw_path = std::string(rest);
  return u;
}

// url.Parse; errors read `parse "URL": reason`.
Result<Url> parse_url(std::string_view raw) {
  std::size_t hash = raw.find('#');
  std::string_view main = raw.substr(0, hash);
  auto u = parse_no_fragment(main);
  if (!u) return make_error("parse " + go_quote(main) + ": " + u.error().message);
  if (hash == std::string_view::npos || hash + 1 == raw.size()) return u;
  std::string_view frag = raw.substr(hash + 1);
  auto f = unescape(frag, Enc::Fragment);
  if (!f) return make_error("parse " + go_quote(raw) + ": " + f.error().message);
  u->fragment = *f;
  if (escape(u->fragment, Enc::Fragment) != frag) u->raw_fragment = std::string(frag);
  return u;
}

bool valid_encoded(std::string_view s, Enc mode) {
  for (char ch : s) {
    switch (ch) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
      case ';': case '=': case ':': case '@': case '[': case ']': case '%':
        break;
      default:
        if (should_escape(static_cast<unsigned char>(ch), mode)) return false;
    }
  }
  return true;
}

// URL.EscapedPath / EscapedFragment: the raw form when it is a valid
// encoding of the decoded one, else the canonical escaping.
std::string escaped(const std::string& raw, const std::string& decoded, Enc mode) {
  if (!raw.empty() && valid_encoded(raw, mode)) {
    auto d = unescape(raw, mode);
    if (d && *d == decoded) return raw;
  }
  if (mode == Enc::Path && decoded == "*") return "*";
  return escape(decoded, mode);
}

// URL.String().
std::string url_string(const Url& u) {
  std::string buf;
  if (!u.scheme.empty()) buf += u.scheme + ":";
  if (!u.opaque.empty()) {
    buf += u.opaque;
  } else {
    if (!u.scheme.empty() || !u.host.empty() || u.user) {
      if (!(u.omit_host && u.host.empty() && !u.user)) {
        if (!u.host.empty() || !u.path.empty() || u.user) buf += "//";
        if (u.user) buf += u.user->str() + "@";
        if (!u.host.empty()) buf += escape(u.host, Enc::Host);
      }
    }
    std::string path = escaped(u.raw_path, u.path, Enc::Path);
    if (!path.empty() && path[0] != '/' && !u.host.empty()) buf += '/';
    if (buf.empty()) {
      std::string_view segment = std::string_view(path).substr(0, path.find('/'));
      if (segment.find(':') != std::string_view::npos) buf += "./";
    }
    buf += path;
  }
  if (u.force_query || !u.raw_query.empty()) buf += "?" + u.raw_query;
  if (!u.fragment.empty()) buf += "#" + escaped(u.raw_fragment, u.fragment, Enc::Fragment);
  return buf;
}

// URL.Hostname(): the host without port and IPv6 brackets.
std::string hostname(std::string_view host) {
  std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && valid_optional_port(host.substr(colon))) {
    host = host.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

Result<Value> url_parse(const std::string& raw) {
  auto u = parse_url(raw);
  if (!u) return make_error("unable to parse url: " + u.error().message);
  Value m = Value::new_map();
  auto& items = m.map().items;
  items["scheme"] = Value(u->scheme);
  items["host"] = Value(u->host);
  items["hostname"] = Value(hostname(u->host));
  items["path"] = Value(u->path);
  items["query"] = Value(u->raw_query);
  items["opaque"] = Value(u->opaque);
  items["fragment"] = Value(u->fragment);
  items["userinfo"] = Value(u->user ? u->user->str() : std::string());
  return m;
}

// sprig dictGetOrEmpty: a missing key is "", a non-string value an error.
Result<std::string> dict_string(const Value& dict, const char* key) {
  const Value* v = dict.is_nil_container() ? nullptr : dict.find(key);
  if (v == nullptr) return std::string();
  if (v->is_nothing()) return tl::unexpected(nil_deref_error());
  if (!v->is_string()) {
    return make_error(std::string("unable to parse ") + key +
                      " key, must be of type string, but " + v->kind_name() + " found");
  }
  return v->as_string();
}

Result<Value> url_join(const Value& dict) {
  Url u;
  struct Field {
    const char* key;
    std::string* dest;
  };
  const Field fields[] = {{"scheme", &u.scheme}, {"host", &u.host},       {"path", &u.path},
                          {"query", &u.raw_query}, {"opaque", &u.opaque}, {"fragment", &u.fragment}};
  for (const Field& f : fields) {
    auto s = dict_string(dict, f.key);
    if (!s) return tl::unexpected(s.error());
    *f.dest = std::move(*s);
  }
  auto info = dict_string(dict, "userinfo");
  if (!info) return tl::unexpected(info.error());
  if (!info->empty()) {
    auto parsed = parse_url("proto://" + *info + "@host");
    if (!parsed) return make_error("unable to parse userinfo in dict: " + parsed.error().message);
    u.user = parsed->user;
  }
  return Value(url_string(u));
}

}  // namespace

void add_sprig_url_funcs(FuncMap& funcs) {
  sprig_def(funcs, "urlParse", {Param::String}, false,
            [](CallContext&, Args& a) { return url_parse(a[0].as_string()); });
  sprig_def(funcs, "urlJoin", {Param::Map}, false,
            [](CallContext&, Args& a) { return url_join(a[0]); });
}

}  // namespace cairn::render::sprig_detail
