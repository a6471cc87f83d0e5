// Private pieces shared by the chart_*.cpp files.
#pragma once

#include <memory>
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
