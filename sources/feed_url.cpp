// Parsing and printing of feed URLs (feed_url.h).
#include "sources/feed_url.h"

#include <algorithm>

#include <cctype>
#include <vector>

#include "sources/digest.h"

namespace cairn::sources {
namespace {

constexpr std::string_view kDefaultGitHubApi = "https://api.github.com";

constexpr std::string_view kForms =
    "github://ORG/REPO, git+https://HOST/PATH, git+ssh://HOST/PATH, git+file:///PATH, "
    "git://HOST/PATH, oci://REGISTRY/REPOSITORY or file:///DIR";

// The URL as an error may repeat it: user information (which may hold a password or token)
// replaced by "REDACTED".
std::string redacted(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == url.npos) return std::string(url);
  const std::size_t start = sep + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const std::size_t at = url.substr(start, end - start).rfind('@');
  if (at == url.npos) return std::string(url);
  return std::string(url.substr(0, start)) + "REDACTED" + std::string(url.substr(start + at));
}

tl::unexpected<Error> fail(std::string_view url, std::string_view why) {
  return make_error(ErrorKind::kConfig, "invalid feed URL \"" + redacted(url) + "\": " +
                                            std::string(why));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// GitHub organisation and repository names: letters, digits, '.', '-', '_'.
bool github_name(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// OCI distribution repository names: path components of [a-z0-9]+ joined by '.', '_', '__' or
// '-'s, separated by '/'.
bool oci_repository(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = s.find('/', start);
    const std::string_view part = s.substr(start, slash == s.npos ? s.npos : slash - start);
    if (part.empty()) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(part.front()) || !alnum(part.back())) return false;
    for (char c : part) {
      if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    if (part.find("..") != part.npos || part.find("___") != part.npos) return false;
    if (slash == s.npos) return true;
    start = slash + 1;
  }
}

// host[:port]: letters, digits, '.', '-', and an optional numeric port; or a bracketed IPv6.
bool host_port(std::string_view s) {
  if (s.empty()) return false;
  std::string_view host = s;
  if (s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == s.npos) return false;
    host = s.substr(1, close - 1);
    s = s.substr(close + 1);
    if (host.empty()) return false;
    for (char c : host) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    if (s.empty()) return true;
    if (s.front() != ':') return false;
  } else {
    const std::size_t colon = s.find(':');
    host = s.substr(0, colon);
    if (host.empty()) return false;
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
        return false;
      }
    }
    if (colon == s.npos) return true;
    s = s.substr(colon);
  }
  const std::string_view port = s.substr(1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return std::stoi(std::string(port)) <= 65535;
}

struct Query {
  std::vector<std::pair<std::string, std::string>> params;
};

// Splits "a=b&c=d"; no percent-decoding (values that need it are rejected by the callers).
Result<Query> parse_query(std::string_view url, std::string_view q) {
  Query out;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view item = q.substr(0, amp);
    const std::size_t eq = item.find('=');
    if (eq == item.npos || eq == 0) return fail(url, "query must be NAME=VALUE pairs");
    out.params.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    if (amp == q.npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

// A relative directory inside a tree: no leading '/', no '.' or '..' components, no '%' or '\'.
Result<std::string> clean_relative(std::string_view url, std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part = path.substr(start, slash == path.npos ? path.npos : slash - start);
    if (part == "." || part == ".." || (part.empty() && slash != path.npos && start == 0)) {
      return fail(url, "path must be a relative directory without '.' or '..' components");
    }
    if (!part.empty()) {
      if (!out.empty()) out += '/';
      out += part;
    }
    if (slash == path.npos) break;
    start = slash + 1;
  }
  for (char c : out) {
    if (c == '%' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return fail(url, "path contains a character that is not allowed ('%', '\\' or control)");
    }
  }
  return out;
}

Result<FeedUrl> parse_github(std::string_view url, std::string_view rest, const Query& q) {
  FeedUrl f;
  f.kind = FeedKind::kGitHub;
  f.api_base = std::string(kDefaultGitHubApi);
  for (const auto& [name, value] : q.params) {
    if (name != "api") return fail(url, "unknown parameter \"" + name + "\" (github:// takes api)");
    if (!starts_with(value, "https://") && !starts_with(value, "http://")) {
      return fail(url, "api must be an http(s) URL, e.g. https://github.example.com/api/v3");
    }
    if (value.find('@') != std::string::npos) {
      return fail(url, "api must not contain credentials");
    }
    f.api_base = value;
    while (!f.api_base.empty() && f.api_base.back() == '/') f.api_base.pop_back();
  }
  const std::size_t slash = rest.find('/');
  if (slash == rest.npos) return fail(url, "expected github://ORG/REPO");
  f.org = std::string(rest.substr(0, slash));
  f.repo = std::string(rest.substr(slash + 1));
  if (!f.repo.empty() && f.repo.back() == '/') f.repo.pop_back();
  if (!github_name(f.org) || !github_name(f.repo)) {
    return fail(url, "expected github://ORG/REPO with names of letters, digits, '.', '-', '_'");
  }
  return f;
}

Result<FeedUrl> parse_git(std::string_view url, std::string_view scheme, std::string_view rest,
                          const Query& q) {
  FeedUrl f;
  f.kind = FeedKind::kGit;
  for (const auto& [name, value] : q.params) {
    if (name != "path") return fail(url, "unknown parameter \"" + name + "\" (Git feeds take path)");
    auto p = clean_relative(url, value);
    if (!p) return tl::unexpected(p.error());
    f.path = *p;
  }
  if (scheme == "file") {
    if (rest.empty() || rest.front() != '/') return fail(url, "expected git+file:///ABSOLUTE/PATH");
    f.remote = "file://" + std::string(rest);
    return f;
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == rest.npos ? std::string_view() : rest.substr(slash);
  if (path.size() < 2) return fail(url, "expected a repository path after the host");
  if (const std::size_t at = authority.rfind('@'); at != authority.npos) {
    const std::string_view user = authority.substr(0, at);
    if (scheme != "ssh" || user.find(':') != user.npos) {
      return fail(url, "credentials do not belong in a feed URL; put them in the ClusterStack's "
                       "secretRef or in GIT_ACCESS_TOKEN");
    }
    authority.remove_prefix(at + 1);
  }
  if (!host_port(authority)) return fail(url, "malformed host");
  f.remote = std::string(scheme) + "://" + std::string(rest);
  return f;
}

Result<FeedUrl> parse_oci(std::string_view url, std::string_view rest, const Query& q) {
  FeedUrl f;
  f.kind = FeedKind::kOci;
  for (const auto& [name, value] : q.params) {
    if (name != "insecure") {
      return fail(url, "unknown parameter \"" + name + "\" (oci:// takes insecure)");
    }
    if (value != "true" && value != "false") return fail(url, "insecure must be true or false");
    f.plain_http = value == "true";
  }
  const std::size_t slash = rest.find('/');
  if (slash == rest.npos) return fail(url, "expected oci://REGISTRY/REPOSITORY");
  f.registry = std::string(rest.substr(0, slash));
  f.repository = std::string(rest.substr(slash + 1));
  if (f.registry.find('@') != std::string::npos) {
    return fail(url, "credentials do not belong in a feed URL; put them in the ClusterStack's "
                     "secretRef or in OCI_USERNAME/OCI_PASSWORD/OCI_ACCESS_TOKEN");
  }
  if (!host_port(f.registry)) return fail(url, "malformed registry host");
  if (!oci_repository(f.repository)) {
    return fail(url, "repository must be lower-case path components of letters, digits and "
                     "'.', '_', '-' separators");
  }
  return f;
}

}  // namespace

std::string_view feed_kind_name(FeedKind kind) {
  switch (kind) {
    case FeedKind::kGitHub: return "github";
    case FeedKind::kGit: return "git";
    case FeedKind::kOci: return "oci";
    case FeedKind::kFile: return "file";
  }
  return "unknown";
}

Result<FeedUrl> FeedUrl::parse(std::string_view url) {
  if (url.size() > 2048) return fail(url.substr(0, 64), "longer than 2048 characters");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail(url, "contains whitespace or a control character");
    }
  }
  const std::size_t sep = url.find("://");
  if (sep == url.npos) return fail(url, std::string("expected one of ") + std::string(kForms));
  const std::string_view scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  if (rest.find('#') != rest.npos) return fail(url, "fragments ('#') are not allowed");
  std::string_view query;
  if (const std::size_t qm = rest.find('?'); qm != rest.npos) {
    query = rest.substr(qm + 1);
    rest = rest.substr(0, qm);
  }
  auto q = parse_query(url, query);
  if (!q) return tl::unexpected(q.error());
  if (scheme == "github") return parse_github(url, rest, *q);
  if (scheme == "git+https") return parse_git(url, "https", rest, *q);
  if (scheme == "git+http") return parse_git(url, "http", rest, *q);
  if (scheme == "git+ssh") return parse_git(url, "ssh", rest, *q);
  if (scheme == "git+file") return parse_git(url, "file", rest, *q);
  if (scheme == "git") return parse_git(url, "git", rest, *q);
  if (scheme == "oci") return parse_oci(url, rest, *q);
  if (scheme == "file") {
    if (!q->params.empty()) return fail(url, "file:// takes no parameters");
    if (rest.empty() || rest.front() != '/') return fail(url, "expected file:///ABSOLUTE/DIR");
    FeedUrl f;
    f.kind = FeedKind::kFile;
    f.dir = std::string(rest);
    while (f.dir.size() > 1 && f.dir.back() == '/') f.dir.pop_back();
    return f;
  }
  return fail(url, "unknown scheme \"" + std::string(scheme) + "\"; expected one of " +
                       std::string(kForms));
}

std::string FeedUrl::str() const {
  switch (kind) {
    case FeedKind::kGitHub:
      return "github://" + org + "/" + repo +
             (api_base == kDefaultGitHubApi ? std::string() : "?api=" + api_base);
    case FeedKind::kGit:
      return (starts_with(remote, "git://") ? std::string() : std::string("git+")) + remote +
             (path.empty() ? std::string() : "?path=" + path);
    case FeedKind::kOci:
      return "oci://" + registry + "/" + repository + (plain_http ? "?insecure=true" : "");
    case FeedKind::kFile:
      return "file://" + dir;
  }
  return "";
}

std::string FeedUrl::key() const { return sha256_hex(str()).substr(0, 16); }

}  // namespace cairn::sources
