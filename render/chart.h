// Helm charts: loading, values coalescing and `helm template` rendering.
//
// render_chart() prints exactly what `helm template NAME CHART -n NS -f ...`
// of helm v3.19.0 prints (see shared/tools/gotpl-ref/README.md, "What `chart`
// reproduces"): charts are loaded from a directory or a .tgz, dependencies
// are enabled/aliased/imported, values coalesced, every template of the chart
// and its subcharts parsed into one template set and executed, and the
// rendered manifests split, ordered (install order of kinds, hooks last) and
// printed with `# Source:` headers.
//
// Hostile input (archives with absolute or `..` paths, links, devices, huge
// or too many files, symlink loops in directories) gives an Error, never a
// crash. Stateless; charts may be rendered from several threads at once.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render {

struct ChartRenderOptions {
  std::string chart;  // directory or .tgz path
  std::string release_name = "release-name";
  std::string namespace_name = "default";
  std::string kube_version;               // "" = v1.34.0
  std::vector<std::string> values_files;  // -f, merged left to right
  std::vector<std::string> api_versions;  // --api-versions, appended
  bool include_crds = false;
  bool is_upgrade = false;
  int revision = 1;
};

// `helm template` output, or helm's error text (without helm's "Use --debug
// flag" hint: cairn has no such flag).
Result<std::string> render_chart(const ChartRenderOptions& opts);

// ---------------------------------------------------------------- loading

// Helm's loader limits (MaxDecompressedFileSize / MaxDecompressedChartSize)
// plus cairn's own bound on the number of files.
struct ChartLoadLimits {
  std::size_t max_file_size = 5u << 20;
  std::size_t max_chart_size = 100u << 20;
  std::size_t max_files = 100'000;
};

struct ChartFile {
  std::string name;  // slash-separated path relative to the chart root
  std::string data;  // UTF-8 BOM removed
};

// chart.Maintainer / chart.Dependency / chart.Metadata (Chart.yaml), after
// helm's validation and sanitizing.
struct ChartMaintainer {
  std::string name, email, url;
};

struct ChartDependency {
  std::string name, version, repository, condition, alias;
  std::vector<std::string> tags;
  bool enabled = false;
  std::vector<Value> import_values;  // strings or {child, parent} maps
};

struct ChartMetadata {
  std::string name, home, version, description, icon, api_version, condition, tags, app_version,
      kube_version, type;
  std::vector<std::string> sources, keywords;
  std::vector<ChartMaintainer> maintainers;
  bool deprecated = false;
  std::map<std::string, std::string> annotations;
  std::vector<ChartDependency> dependencies;
};

// A loaded chart. Subcharts are owned by value; their place in the tree
// (`root/charts/sub`) is given by the traversal, not stored.
struct Chart {
  ChartMetadata metadata;
  Value values;                      // values.yaml as a map (empty map when absent)
  std::vector<ChartFile> templates;  // templates/...
  std::vector<ChartFile> files;      // everything else (.Files)
  std::vector<Chart> dependencies;   // charts/ (directories and .tgz)
};

// A chart directory (with .helmignore) or a .tgz file.
Result<Chart> load_chart(const std::string& path, const ChartLoadLimits& limits = {});
// A gzipped tar archive held in memory (helm's LoadArchive; no .helmignore).
Result<Chart> load_chart_archive(std::string_view data, const ChartLoadLimits& limits = {});
// The files of a gzipped tar archive, the top directory stripped, checked
// like helm's loader (and refusing links and devices).
Result<std::vector<ChartFile>> read_chart_archive(std::string_view data,
                                                  const ChartLoadLimits& limits = {});
// A chart built from its files (helm's loader.LoadFiles).
Result<Chart> load_chart_files(std::vector<ChartFile> files, const ChartLoadLimits& limits = {});

// .helmignore rules with helm's semantics (first matching rule wins, a
// negated rule ignores what it does not match, `**` refused); helm's default
// rule `templates/.?*` is appended.
class HelmIgnore {
 public:
  static Result<HelmIgnore> parse(std::string_view text);
  // `path` relative to the chart root, slash-separated.
  bool ignored(std::string_view path, bool is_dir) const;

 private:
  struct Rule {
    bool negate = false;
    bool dir_only = false;
    bool full_path = false;
    std::string pattern;
  };
  std::vector<Rule> rules_;
};

// Go's path/filepath.Match with '/' as separator; an Error ("syntax error in
// pattern") for a malformed pattern, reported even when the name differs.
Result<bool> go_path_match(std::string_view pattern, std::string_view name);

// ---------------------------------------------------------------- values

// Values of several -f files merged left to right (later files win, maps
// merged recursively), as helm's CLI does.
Value merge_user_values(const Value& into, const Value& next);
// chartutil.CoalesceValues: `user` values over the chart's defaults,
// recursively into subcharts with `global` copied down. With merge=false a
// user null deletes a default key. `user` is not modified.
Result<Value> coalesce_values(const Chart& chart, const Value& user, bool merge = false);
// Dependency processing before rendering: conditions, tags, aliases (helm's
// ProcessDependenciesWithMerge), then import-values.
Result<void> process_dependencies(Chart& chart, const Value& user);

// ---------------------------------------------------------------- output

// Helm's manifest splitting: `(?:^|\s*\n)---\s*` on the trimmed text,
// every document trimmed, empty ones dropped.
std::vector<std::string> split_manifests(std::string_view text);

struct Manifest {
  std::string name;     // "<chart>/templates/<file>"
  std::string content;  // one trimmed document
  std::string kind;
};
// Helm's install order of kinds; unknown kinds last in byte order; stable.
void sort_manifests_by_kind(std::vector<Manifest>& manifests);

}  // namespace cairn::render
