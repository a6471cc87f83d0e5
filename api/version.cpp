// Cluster stack and Kubernetes version grammar; see version.h.
#include "api/version.h"

#include <algorithm>
#include <limits>

namespace cairn::api {
namespace detail {

std::int32_t parse_int(std::string_view digits) {
  if (digits.empty() || digits.size() > 10) return -1;
  if (digits.size() > 1 && digits[0] == '0') return -1;
  std::int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  if (value > std::numeric_limits<std::int32_t>::max()) return -1;
  return static_cast<std::int32_t>(value);
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::size_t cut = std::min(text.size(), kMax);
  // Never cut a UTF-8 sequence in two: back up over continuation bytes (10xxxxxx).
  while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  std::string out = "\"";
  for (char c : text.substr(0, cut)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  if (text.size() > cut) out += "...";
  return out;
}

}  // namespace detail

namespace {

using detail::parse_int;
using detail::quote;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_word(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_word_char);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Checks the parts of a version; returns what is wrong, or "" when they are valid.
std::string check_parts(std::int32_t major, std::string_view channel, std::string_view patch) {
  if (major < 0) return "major version must be a non-negative integer";
  if (channel.empty() || channel == kChannelStable) {
    return patch.empty() ? "" : "the stable channel takes no patch";
  }
  if (!is_word(channel)) return "channel " + quote(channel) + " must be letters, digits or '_'";
  if (patch.empty()) return "channel " + quote(channel) + " needs a patch";
  if (!is_word(patch)) return "patch " + quote(patch) + " must be letters, digits or '_'";
  return "";
}

// The one parser of both forms: `sep` is '.' (dot form) or '-' (dash form).
Result<Version> parse_version(std::string_view text, char sep) {
  const std::string_view form = sep == '.' ? "dot form" : "dash form";
  const std::string_view example = sep == '.' ? "v1 or v1-alpha.0" : "v1 or v1-alpha-0";
  auto fail = [&](std::string_view why) {
    return error("invalid cluster stack version " + quote(text) + " (" + std::string(form) +
                 ", e.g. " + std::string(example) + "): " + std::string(why));
  };
  if (text.size() > kMaxVersionLength) {
    return fail("longer than " + std::to_string(kMaxVersionLength) + " characters");
  }
  if (text.empty() || text[0] != 'v') return fail("must start with 'v'");
  const std::size_t dash = text.find('-');
  const std::string_view major_text =
      text.substr(1, dash == std::string_view::npos ? text.npos : dash - 1);
  if (!all_digits(major_text)) return fail("major version must be digits after 'v'");
  const std::int32_t major = parse_int(major_text);
  if (major < 0) {
    return fail(major_text.size() > 1 && major_text[0] == '0' ? "major version has a leading zero"
                                                              : "major version is too large");
  }
  if (dash == std::string_view::npos) return Version(major);
  const std::string_view rest = text.substr(dash + 1);
  const std::size_t split = rest.find(sep);
  if (split == std::string_view::npos) {
    return fail(std::string("expected <channel>") + sep + "<patch> after the major version");
  }
  const std::string_view channel = rest.substr(0, split);
  const std::string_view patch = rest.substr(split + 1);
  if (channel.empty()) return fail("empty channel");
  if (patch.empty()) return fail("empty patch");
  const char other = sep == '.' ? '-' : '.';
  if (patch.find(sep) != std::string_view::npos || patch.find(other) != std::string_view::npos ||
      channel.find(other) != std::string_view::npos) {
    return fail(std::string("expected exactly <channel>") + sep +
                "<patch> after the major version");
  }
  return Version::make(major, channel, patch).or_else([&](const Error& e) -> Result<Version> {
    return fail(e.message);
  });
}

// The one printer of both forms.
std::string format_version(const Version& v, char sep) {
  std::string out = "v" + std::to_string(v.major());
  if (v.stable()) return out;
  out += '-';
  out += v.channel();
  out += sep;
  out += v.patch();
  return out;
}

// 1.27 / 1-27: both parts non-zero integers without leading zeros.
Result<KubernetesVersion> parse_minor_line(std::string_view text, char sep) {
  const std::string example = sep == '.' ? "\"1.27\"" : "\"1-27\"";
  auto fail = [&](std::string_view why) {
    return error("invalid Kubernetes version " + quote(text) + " (expected <major>" + sep +
                 "<minor>, e.g. " + example + "): " + std::string(why));
  };
  if (text.size() > 32) return fail("too long");
  const std::size_t split = text.find(sep);
  if (split == std::string_view::npos) return fail(std::string("no '") + sep + "'");
  const std::string_view major_text = text.substr(0, split);
  const std::string_view minor_text = text.substr(split + 1);
  const std::int32_t major = parse_int(major_text);
  if (major < 0) return fail("major version must be an integer without leading zeros");
  if (major == 0) return fail("major version must not be 0");
  const std::int32_t minor = parse_int(minor_text);
  if (minor < 0) return fail("minor version must be an integer without leading zeros");
  if (minor == 0) return fail("minor version must not be 0");
  return KubernetesVersion{major, minor};
}

// A semver pre-release or build part: dot-separated non-empty [0-9A-Za-z-] identifiers.
bool semver_identifiers(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view id = s.substr(start, dot == s.npos ? s.npos : dot - start);
    if (id.empty()) return false;
    for (char c : id) {
      if (!is_word_char(c) && c != '-') return false;
      if (c == '_') return false;
    }
    if (dot == s.npos) return true;
    start = dot + 1;
  }
}

}  // namespace

Result<Version> Version::parse_dot(std::string_view text) { return parse_version(text, '.'); }
Result<Version> Version::parse_dash(std::string_view text) { return parse_version(text, '-'); }

Result<Version> Version::make(std::int32_t major, std::string_view channel,
                              std::string_view patch) {
  if (std::string why = check_parts(major, channel, patch); !why.empty()) return error(why);
  Version v(major);
  if (!patch.empty()) {
    v.channel_ = std::string(channel);
    v.patch_ = std::string(patch);
  }
  return v;
}

std::string Version::dot() const { return format_version(*this, '.'); }
std::string Version::dash() const { return format_version(*this, '-'); }

bool Version::hash() const { return channel_ == "sha" || channel_ == "git"; }

std::partial_ordering compare(const Version& a, const Version& b) {
  if (a.channel() != b.channel()) return std::partial_ordering::unordered;
  if (a.major() != b.major()) return a.major() <=> b.major();
  if (a.patch() == b.patch()) return std::partial_ordering::equivalent;
  if (a.hash()) return std::partial_ordering::unordered;
  const bool a_num = all_digits(a.patch());
  const bool b_num = all_digits(b.patch());
  if (a_num && b_num) {
    // Compare as numbers of any length: strip leading zeros, then longer is larger, then digits.
    auto strip = [](std::string_view s) {
      const std::size_t nz = s.find_first_not_of('0');
      return nz == s.npos ? std::string_view("0") : s.substr(nz);
    };
    const std::string_view x = strip(a.patch());
    const std::string_view y = strip(b.patch());
    if (x.size() != y.size()) return x.size() <=> y.size();
    if (x != y) return x <=> y;
    // Same number spelled differently ("01" and "1"): order by spelling so that only equal
    // versions are equivalent.
    return a.patch() <=> b.patch();
  }
  if (a_num != b_num) return a_num ? std::partial_ordering::less : std::partial_ordering::greater;
  return a.patch() <=> b.patch();
}

Result<std::string> dot_to_dash(std::string_view dot_form) {
  return Version::parse_dot(dot_form).map([](const Version& v) { return v.dash(); });
}

Result<std::string> dash_to_dot(std::string_view dash_form) {
  return Version::parse_dash(dash_form).map([](const Version& v) { return v.dot(); });
}

Result<KubernetesVersion> KubernetesVersion::parse(std::string_view text) {
  return parse_minor_line(text, '.');
}

Result<KubernetesVersion> KubernetesVersion::parse_tag_part(std::string_view text) {
  return parse_minor_line(text, '-');
}

std::string KubernetesVersion::dot() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string KubernetesVersion::dash() const {
  return std::to_string(major) + "-" + std::to_string(minor);
}

Result<KubernetesPatchVersion> KubernetesPatchVersion::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return error("invalid Kubernetes version " + quote(text) +
                 " (expected v<major>.<minor>.<patch>, e.g. \"v1.27.3\"): " + std::string(why));
  };
  std::string_view rest = text;
  if (!rest.empty() && rest[0] == 'v') rest.remove_prefix(1);
  // Judged on the printed form (always with its 'v'), so that whatever parses prints within the
  // CRD's maxLength and parses again.
  if (rest.size() + 1 > kMaxVersionLength) {
    return fail("longer than " + std::to_string(kMaxVersionLength) + " characters");
  }
  const std::size_t suffix_at = rest.find_first_of("-+");
  const std::string_view core = rest.substr(0, suffix_at);
  const std::string_view suffix =
      suffix_at == rest.npos ? std::string_view() : rest.substr(suffix_at);
  std::int32_t parts[3];
  std::size_t start = 0;
  static constexpr const char* kNames[] = {"major", "minor", "patch"};
  for (int i = 0; i < 3; ++i) {
    const std::size_t dot = core.find('.', start);
    if (i < 2 && dot == core.npos) return fail("needs three numbers separated by '.'");
    if (i == 2 && dot != core.npos) return fail("more than three numbers");
    const std::string_view part = core.substr(start, i < 2 ? dot - start : core.npos);
    parts[i] = parse_int(part);
    if (parts[i] < 0) {
      return fail(std::string(kNames[i]) + " version must be an integer without leading zeros");
    }
    start = dot + 1;
  }
  if (parts[0] == 0) return fail("major version must not be 0");
  if (parts[1] == 0) return fail("minor version must not be 0");
  if (!suffix.empty()) {
    // semver: -<pre-release> and/or +<build>, in that order.
    std::string_view pre, build;
    if (suffix[0] == '-') {
      const std::size_t plus = suffix.find('+');
      pre = suffix.substr(1, plus == suffix.npos ? suffix.npos : plus - 1);
      if (plus != suffix.npos) build = suffix.substr(plus + 1);
      if (!semver_identifiers(pre)) return fail("malformed pre-release suffix");
      if (plus != suffix.npos && !semver_identifiers(build)) return fail("malformed build suffix");
    } else if (!semver_identifiers(suffix.substr(1))) {
      return fail("malformed build suffix");
    }
  }
  return KubernetesPatchVersion{parts[0], parts[1], parts[2], std::string(suffix)};
}

std::string KubernetesPatchVersion::str() const {
  return "v" + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) +
         suffix;
}

}  // namespace cairn::api
