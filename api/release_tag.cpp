// Release tags, class names and chart asset names; see release_tag.h.
#include "api/release_tag.h"

#include <algorithm>
#include <vector>

namespace cairn::api {
namespace {

using detail::quote;

constexpr std::size_t kMaxNameLength = 253;  // object names are DNS-1123 subdomains

bool is_lower_alnum(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool lower_case(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::vector<std::string_view> split_dash(std::string_view s, std::size_t limit) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() + 1 < limit) {
    const std::size_t dash = s.find('-', start);
    if (dash == s.npos) break;
    parts.push_back(s.substr(start, dash - start));
    start = dash + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string check_part(std::string_view what, std::string_view value) {
  if (value.empty()) return std::string(what) + " is empty";
  if (!is_lower_alnum(value)) {
    return std::string(what) + " " + quote(value) + " must be lower-case letters and digits";
  }
  return "";
}

// Parses "<provider>-<name>-<maj>-<min>-<rest>"; `rest` is left for the caller.
Result<StackIdentity> parse_stack_prefix(std::string_view text, std::string_view& rest) {
  const auto parts = split_dash(text, 5);
  if (parts.size() < 5) {
    return error("expected <provider>-<name>-<k8s major>-<k8s minor>-<version>, found " +
                 std::to_string(parts.size()) + " '-'-separated parts");
  }
  auto k8s = KubernetesVersion::parse_tag_part(std::string(parts[2]) + "-" + std::string(parts[3]));
  if (!k8s) return error(k8s.error().message);
  rest = parts[4];
  return StackIdentity::make(parts[0], parts[1], *k8s);
}

Result<ReleaseTag> parse_release(std::string_view text, char sep) {
  const std::string what = sep == '-' ? "release tag" : "ClusterClass name";
  auto fail = [&](std::string_view why) {
    return error("invalid " + what + " " + quote(text) + ": " + std::string(why));
  };
  if (text.size() > kMaxNameLength) return fail("longer than 253 characters");
  if (!lower_case(text)) return fail("must be lower case (it is an object name)");
  const std::size_t dashes = static_cast<std::size_t>(std::count(text.begin(), text.end(), '-'));
  // 5 or 7 parts for a tag, 5 or 6 for a class name.
  const bool count_ok = dashes == 4 || (sep == '-' ? dashes == 6 : dashes == 5);
  if (!count_ok) {
    return fail(
        std::string("expected ") + (sep == '-' ? "5 or 7" : "5 or 6") +
        " '-'-separated parts (<provider>-<name>-<k8s major>-<k8s minor>-<version>), found " +
        std::to_string(dashes + 1));
  }
  std::string_view rest;
  auto stack = parse_stack_prefix(text, rest);
  if (!stack) return fail(stack.error().message);
  auto version = sep == '-' ? Version::parse_dash(rest) : Version::parse_dot(rest);
  if (!version) return fail(version.error().message);
  return ReleaseTag{std::move(*stack), std::move(*version)};
}

constexpr std::string_view kClassInfix = "cluster-class-";
constexpr std::string_view kAddonInfix = "cluster-addon-";
constexpr std::string_view kTgz = ".tgz";
// An asset name is its release tag plus "cluster-class-" and ".tgz"; every valid tag's assets
// parse.
constexpr std::size_t kMaxAssetLength = kMaxNameLength + kClassInfix.size() + kTgz.size();

}  // namespace

Result<StackIdentity> StackIdentity::make(std::string_view provider, std::string_view name,
                                          KubernetesVersion kubernetes) {
  if (auto why = check_part("provider", provider); !why.empty()) return error(why);
  if (auto why = check_part("name", name); !why.empty()) return error(why);
  if (kubernetes.major <= 0 || kubernetes.minor <= 0) {
    return error("Kubernetes version " + kubernetes.dot() + " must have non-zero major and minor");
  }
  return StackIdentity{std::string(provider), std::string(name), kubernetes};
}

std::string StackIdentity::str() const { return provider + "-" + name + "-" + kubernetes.dash(); }

Result<ReleaseTag> ReleaseTag::parse(std::string_view tag) { return parse_release(tag, '-'); }

Result<ReleaseTag> ReleaseTag::parse_cluster_class(std::string_view class_name) {
  return parse_release(class_name, '.');
}

std::string ReleaseTag::tag() const { return stack.str() + "-" + version.dash(); }
std::string ReleaseTag::cluster_class() const { return stack.str() + "-" + version.dot(); }

std::string ReleaseTag::cluster_class_asset() const {
  return ChartAsset{stack, ChartKind::kClusterClass, version}.file_name();
}

std::string ReleaseTag::cluster_addon_asset(const Version& addon_version) const {
  return ChartAsset{stack, ChartKind::kClusterAddon, addon_version}.file_name();
}

Result<std::string> release_name_for_class(std::string_view class_name) {
  return ReleaseTag::parse_cluster_class(class_name).map([](const ReleaseTag& r) {
    return r.tag();
  });
}

Result<ChartAsset> ChartAsset::parse(std::string_view file_name) {
  auto fail = [&](std::string_view why) {
    return error("invalid chart asset name " + quote(file_name) + ": " + std::string(why));
  };
  if (file_name.size() > kMaxAssetLength) {
    return fail("longer than " + std::to_string(kMaxAssetLength) + " characters");
  }
  if (!file_name.ends_with(kTgz)) return fail("does not end in .tgz");
  std::string_view rest;
  auto stack = parse_stack_prefix(file_name.substr(0, file_name.size() - kTgz.size()), rest);
  if (!stack) return fail(stack.error().message);
  ChartKind kind;
  if (rest.starts_with(kClassInfix)) {
    kind = ChartKind::kClusterClass;
    rest.remove_prefix(kClassInfix.size());
  } else if (rest.starts_with(kAddonInfix)) {
    kind = ChartKind::kClusterAddon;
    rest.remove_prefix(kAddonInfix.size());
  } else {
    return fail("expected cluster-class-<version> or cluster-addon-<version> after " +
                quote(stack->str()));
  }
  auto version = Version::parse_dot(rest);
  if (!version) return fail(version.error().message);
  if (!lower_case(rest)) return fail("version must be lower case");
  return ChartAsset{std::move(*stack), kind, std::move(*version)};
}

std::string ChartAsset::file_name() const {
  return stack.str() + "-" +
         std::string(kind == ChartKind::kClusterClass ? kClassInfix : kAddonInfix) + version.dot() +
         std::string(kTgz);
}

bool is_cluster_class_asset(std::string_view file_name, const ReleaseTag& release) {
  return file_name == release.cluster_class_asset();
}

bool is_cluster_addon_asset(std::string_view file_name, const ReleaseTag& release,
                            const Version& addon_version) {
  return file_name == release.cluster_addon_asset(addon_version);
}

}  // namespace cairn::api
