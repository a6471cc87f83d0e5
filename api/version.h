// Cluster stack versions and Kubernetes versions, as release tags and ClusterStack specs spell
// them.
//
// A cluster stack version has two spellings of one value (cso-reference.md §2.1):
//   dot form   v1, v1-alpha.0, v0-sha.hipstsw   metadata.yaml, spec.versions, ClusterClass names,
//                                                chart versions and chart asset names
//   dash form  v1, v1-alpha-0, v0-sha-hipstsw   release tags, ClusterStackRelease names, OCI tags
// Grammar (the Go operator's, `\w` = [A-Za-z0-9_]): `v<digits>` optionally followed by
// `-<channel><sep><patch>` with channel and patch made of `\w` and <sep> '.' or '-'. A version
// without channel/patch is in channel "stable"; "stable" never carries a patch. Stricter than Go so
// that every accepted spelling converts to the other and back unchanged: no leading zeros in the
// major, major at most 2^31-1, `stable` never spelled out, at most kMaxVersionLength characters.
// Both forms are parsed and printed by one function each in version.cpp; nothing else in cairn
// converts between them.
//
// Ordering (compare): versions are ordered only within one channel. Majors compare numerically,
// then patches: numerically when both are all digits (v1-alpha.10 is newer than v1-alpha.9; the Go
// operator compared them as strings), digits before words otherwise (as semver pre-releases do),
// words lexicographically. Hash channels (`sha`, `git`, from csmctl/csctl hash mode) have no order:
// two different hashes of one major are unordered. compare returns std::partial_ordering, which is
// `unordered` whenever no order exists; callers must handle that case explicitly.
//
// Kubernetes versions: a minor line {major, minor} ("1.27" in ClusterStack.spec.kubernetesVersion,
// "1-27" inside tags; both numbers non-zero) and a full version ("v1.27.3" from metadata.yaml,
// used as Cluster.spec.topology.version).
//
// All types are plain values; thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/result.h"

namespace cairn::api {

inline constexpr std::string_view kChannelStable = "stable";
// The ClusterStack.spec.channel value for hash-mode releases (no release carries this word).
inline constexpr std::string_view kChannelCustom = "custom";
inline constexpr std::size_t kMaxVersionLength = 128;

class Version {
 public:
  Version() = default;
  // A stable version v<major>.
  explicit Version(std::int32_t major) : major_(major) {}

  // Parse the dot form (`v1-alpha.0`) or the dash form (`v1-alpha-0`); errors name the input.
  static Result<Version> parse_dot(std::string_view text);
  static Result<Version> parse_dash(std::string_view text);
  // Builds a version from parts (as a test or a feed might); the same rules as the parsers.
  static Result<Version> make(std::int32_t major, std::string_view channel, std::string_view patch);

  std::string dot() const;
  std::string dash() const;

  std::int32_t major() const { return major_; }
  const std::string& channel() const { return channel_; }  // "stable" when there is no patch
  const std::string& patch() const { return patch_; }      // empty iff stable
  bool stable() const { return patch_.empty(); }
  // True for the hash channels of csmctl/csctl (`sha`, `git`), whose patches are not ordered.
  bool hash() const;

  friend bool operator==(const Version&, const Version&) = default;

 private:
  std::int32_t major_ = 0;
  std::string channel_ = std::string(kChannelStable);
  std::string patch_;
};

// See the ordering rules above. `equivalent` only for equal versions.
std::partial_ordering compare(const Version& a, const Version& b);
inline std::partial_ordering operator<=>(const Version& a, const Version& b) {
  return compare(a, b);
}

// Conveniences that parse one form and print the other (the errors are the parsers').
Result<std::string> dot_to_dash(std::string_view dot_form);
Result<std::string> dash_to_dot(std::string_view dash_form);

// A Kubernetes minor line, e.g. 1.27. Both numbers are non-zero.
struct KubernetesVersion {
  std::int32_t major = 0;
  std::int32_t minor = 0;

  // "1.27" (ClusterStack.spec.kubernetesVersion).
  static Result<KubernetesVersion> parse(std::string_view text);
  // "1-27" (the part of a release tag or class name).
  static Result<KubernetesVersion> parse_tag_part(std::string_view text);

  std::string dot() const;   // "1.27"
  std::string dash() const;  // "1-27"

  friend bool operator==(const KubernetesVersion&, const KubernetesVersion&) = default;
  friend auto operator<=>(const KubernetesVersion&, const KubernetesVersion&) = default;
};

// A full Kubernetes version, e.g. v1.27.3 or v1.28.0-rc.1+build (semver pre-release and build
// suffixes kept verbatim). The leading 'v' is optional on input and always printed.
struct KubernetesPatchVersion {
  std::int32_t major = 0;
  std::int32_t minor = 0;
  std::int32_t patch = 0;
  std::string suffix;  // "" or "-rc.1", "+k3s1", "-rc.1+build"

  static Result<KubernetesPatchVersion> parse(std::string_view text);
  std::string str() const;
  KubernetesVersion minor_line() const { return {major, minor}; }

  friend bool operator==(const KubernetesPatchVersion&, const KubernetesPatchVersion&) = default;
};

namespace detail {
// Parses a non-negative decimal without sign or leading zeros that fits in int32; -1 otherwise.
std::int32_t parse_int(std::string_view digits);
// The message fragment `"<text>"` with the text quoted and cut at 64 characters.
std::string quote(std::string_view text);
}  // namespace detail

}  // namespace cairn::api
