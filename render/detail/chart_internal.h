// Private pieces shared by the chart_*.cpp files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/chart.h"
#include "render/func.h"
#include "render/value.h"

namespace cairn::render::detail {

// Masterminds semver (through sprig's `semver`): is `version` a valid version?
bool semver_valid(std::string_view version);
// chartutil.IsCompatibleRange: false when either side does not parse (so an
// empty constraint never matches).
bool semver_compatible(std::string_view constraint, std::string_view version);

// chartutil.KubeVersion parsed like helm 3.19 (k8s.io/apimachinery's generic
// parser): Version is "v" + the numeric components as given.
struct KubeVersion {
  std::string version, major, minor;
};
Result<KubeVersion> parse_kube_version(std::string_view text);

// The default APIVersions of helm template (57 group/versions).
const std::vector<std::string>& default_api_versions();

// releaseutil.SimpleHead of a rendered manifest, as output assembly reads it.
struct ManifestHead {
  std::string kind;
  bool hook = false;      // it has a helm.sh/hook annotation
  std::string hook_text;  // the annotation's value
  bool operator==(const ManifestHead&) const = default;
};
// The head of a document in the plain block style charts emit, read without
// decoding it (chart_head.cpp); std::nullopt for any other document, which
// must then be decoded in full. A document it reads decodes without error.
std::optional<ManifestHead> scan_manifest_head(std::string_view doc);
// The head as helm reads it: the document decoded in full (YAML errors fail
// like helm's).
Result<ManifestHead> decode_manifest_head(const std::string& doc);

// Template objects.
// .Files (helm's engine.files): Get, GetBytes, Glob, Lines, AsConfig, AsSecrets.
Value make_files_object(const std::vector<ChartFile>& files);
// .Capabilities (*chartutil.Capabilities).
Value make_capabilities_object(const KubeVersion& kube, std::vector<std::string> api_versions);
// .Chart: struct { chart.Metadata; IsRoot bool }.
Value make_chart_object(const ChartMetadata& metadata, bool is_root);

// gobwas/glob with '/' as separator, as .Files.Glob uses it, translated to an
// RE2 pattern (full match); an unclosed class gives ".*", as gobwas falls
// back to "**" for a pattern it cannot compile.
std::string glob_to_regex(std::string_view pattern);

// Helm's Metadata sanitizing: whitespace runes become ' ', non-printable
// runes are dropped.
std::string sanitize_text(std::string_view s);

}  // namespace cairn::render::detail
