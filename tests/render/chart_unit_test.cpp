// Unit tests of chart loading, values, dependencies and output assembly.
#include <archive.h>
#include <archive_entry.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "render/chart.h"
#include "render/codec.h"
#include "render/detail/chart_internal.h"
#include "tests/render/test_util.h"

namespace {

namespace fs = std::filesystem;
using namespace cairn::render;
using testing::FileList;

// A fresh directory under the build tree holding `files`.
fs::path make_chart_dir(const std::string& name, const FileList& files) {
  return testing::write_tree("chart_unit_test", name, files);
}

struct TarEntry {
  TarEntry(std::string n, std::string d, unsigned t = AE_IFREG, std::string l = "")
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string link;
};

// A gzipped tar built with libarchive's writer.
std::string make_tgz(const std::vector<TarEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  std::vector<char> buf(16u << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& e : entries) {
    archive_entry* ent = archive_entry_new();
    archive_entry_set_pathname(ent, e.name.c_str());
    archive_entry_set_filetype(ent, e.type);
    archive_entry_set_perm(ent, 0644);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(ent, e.link.c_str());
    archive_entry_set_size(ent, e.type == AE_IFREG ? static_cast<la_int64_t>(e.data.size()) : 0);
    archive_write_header(a, ent);
    if (e.type == AE_IFREG) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ent);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

const std::string kChartYaml = "apiVersion: v2\nname: demo\nversion: 1.0.0\n";

Value yaml(const std::string& text) {
  auto v = yaml_decode(text);
  REQUIRE(v);
  return *v;
}

std::string to_yaml(const Value& v) {
  auto s = yaml_encode(v);
  REQUIRE(s);
  return *s;
}

Chart chart_with_values(const std::string& name, const std::string& values) {
  Chart c;
  c.metadata.name = name;
  c.metadata.version = "1.0.0";
  c.metadata.api_version = "v2";
  c.values = yaml(values);
  return c;
}

}  // namespace

// ------------------------------------------------------------ output assembly

TEST_CASE("split_manifests splits on --- lines and drops empty documents") {
  CHECK(split_manifests("a: 1\n---\nb: 2\n") == std::vector<std::string>{"a: 1", "b: 2"});
  // the separator's trailing \s* eats the newline before a second "---",
  // which then stays a document of its own (as in helm)
  CHECK(split_manifests("---\na: 1\n---   \n\n---\n") == std::vector<std::string>{"a: 1", "---"});
  CHECK(split_manifests("  \n\n") == std::vector<std::string>{});
  // "---" inside a line is no separator
  CHECK(split_manifests("a: x---y\nb: 1") == std::vector<std::string>{"a: x---y\nb: 1"});
  // whitespace before the newline belongs to the separator
  CHECK(split_manifests("a: 1   \n---b: 2") == std::vector<std::string>{"a: 1", "b: 2"});
}

namespace {

// helm's splitting as helm writes it, with the regexp.
std::vector<std::string> split_manifests_by_regexp(std::string_view text) {
  static const RE2 sep("(?:^|\\s*\n)---\\s*");
  constexpr std::string_view ws = " \t\n\v\f\r";
  const auto trim = [&](std::string_view d) {
    const std::size_t b = d.find_first_not_of(ws);
    return b == std::string_view::npos ? std::string_view()
                                       : d.substr(b, d.find_last_not_of(ws) - b + 1);
  };
  const std::string_view s = trim(text);
  std::vector<std::string> out;
  std::size_t begin = 0, pos = 0;
  re2::StringPiece match;
  while (pos <= s.size() && sep.Match(re2::StringPiece(s.data(), s.size()), pos, s.size(),
                                      RE2::UNANCHORED, &match, 1)) {
    const std::size_t mb = static_cast<std::size_t>(match.data() - s.data());
    const std::size_t me = mb + match.size();
    if (me != 0 && mb > begin) out.emplace_back(trim(s.substr(begin, mb - begin)));
    begin = me;
    pos = me > mb ? me : me + 1;
  }
  if (begin < s.size()) out.emplace_back(trim(s.substr(begin)));
  std::erase_if(out, [](const std::string& d) { return d.empty(); });
  return out;
}

}  // namespace

TEST_CASE("split_manifests splits like helm's regexp on every short text") {
  // Every text of up to 6 characters over the characters that matter.
  constexpr std::string_view alphabet = "-\n \ta\v\r";
  std::string text;
  std::size_t texts = 0;
  const auto all = [&](auto& self, std::size_t left) -> void {
    ++texts;
    REQUIRE(split_manifests(text) == split_manifests_by_regexp(text));
    if (left == 0) return;
    for (const char c : alphabet) {
      text.push_back(c);
      self(self, left - 1);
      text.pop_back();
    }
  };
  all(all, 6);
  CHECK(texts > 100'000);
}

TEST_CASE("sort_manifests_by_kind uses helm's install order, unknown kinds last by name") {
  std::vector<Manifest> ms = {{"f1", "1", "Deployment"}, {"f2", "2", "Foo"},
                              {"f3", "3", "Service"},    {"f4", "4", "Bar"},
                              {"f5", "5", "Namespace"},  {"f6", "6", "Service"}};
  sort_manifests_by_kind(ms);
  std::vector<std::string> order;
  for (const auto& m : ms) order.push_back(m.content);
  CHECK(order == std::vector<std::string>{"5", "3", "6", "1", "4", "2"});
}

namespace {

// The scanned head of `doc`, checked against the full decode: whatever the
// scanner reads must decode without error to the same head.
std::optional<detail::ManifestHead> scanned_head(const std::string& doc) {
  auto scanned = detail::scan_manifest_head(doc);
  if (scanned) {
    auto decoded = detail::decode_manifest_head(doc);
    INFO(doc);
    REQUIRE(decoded);
    CHECK(*scanned == *decoded);
  }
  return scanned;
}

}  // namespace

TEST_CASE("manifest heads are scanned from plain block-style documents") {
  const auto head = scanned_head(
      "# Source: x\n"
      "apiVersion: v1\n"
      "kind: Job # a comment\n"
      "metadata:\n"
      "  name: \"n\"\n"
      "  labels: {}\n"
      "  annotations:\n"
      "    'helm.sh/hook-weight': \"-5\"\n"
      "    \"helm.sh/hook\": post-install,Pre-Upgrade\n"
      "spec:\n"
      "  script: |-\n"
      "    a: b: c\n"
      "\n"
      "    - [\n"
      "  items:\n"
      "  - name: a\n"
      "    args: [\"x\", 'y''s', z-1, \"a\\\\b\"]\n"
      "    env:\n"
      "    - -v\n"
      "    -\n"
      "      - nested\n"
      "  - - inner\n"
      "  empty:\n"
      "  on: 0x1F\n");
  REQUIRE(head);
  CHECK(head->kind == "Job");
  CHECK(head->hook);
  CHECK(head->hook_text == "post-install,Pre-Upgrade");
  for (const char* doc :
       {"", "# only a comment", "kind: 'A''B'\nmetadata:\n",
        "kind: Secret\nmetadata:\n  annotations: [a]\n", "a: \"x\n\ny #z\\\n  w\" # c\nb: 'p\nq'\n",
        "kind: A\nmetadata: {}\nlist:\n- a\n- b: 1\n  c: |\n    x\n"}) {
    CHECK(scanned_head(doc));
  }
}

TEST_CASE("manifest heads outside the scanned subset are left to the decoder") {
  for (const char* doc : {
           "a: b: c",            // invalid: mapping value in a plain scalar
           "a: - b",             // invalid: sequence entry in a value
           "a:\n  b: 1\n c: 2",  // invalid: bad indentation
           "a: 1\n  b",          // a multi-line plain scalar
           "- a",                // not a map
           "plain",              // not a map
           "a:\tb",              // tab
           "kind: K\r\n",        // CR
           "a: caf\xc3\xa9",     // non-ASCII
           "a: &x 1\nb: *x",     // anchors
           "a: !!str 1",         // tags
           "kind:\n",            // a null kind
           "kind: 1",            // kind not a string
           "kind: A\nkind: B",   // duplicate kind
           "metadata: x",        // metadata not a map
           "metadata:\n- a",     // metadata a list
           "kind:\n- a",         // kind a list
           "metadata:\n  annotations:\n    helm.sh/hook:\n    - a",  // hook a list
           "a: .nan",                                                // not JSON
           "a: [.inf]",                                              // not JSON
           "~: 1",                                                   // a null key
           "<<: {}",                                                 // a merge key
           "a: \"\\/\"",                                             // an escape yaml.v2 refuses
           "a: \"x",                                                 // an unclosed quoted scalar
           "a: 'x\n--- y'",            // a document marker in a quoted scalar
           "a: \"x\n y\" z",           // text after a quoted scalar
           "kind: \"x\n y\"",          // a multi-line kind
           "a: [x,\n  y]",             // a multi-line flow sequence
           "a: [x, ]",                 // trailing comma
           "a: {b: 1}",                // a flow mapping
           "a: |2\n  x",               // an explicit indentation
           "a: |\n\n      \n    x",    // a more-indented leading blank line
           "a: 1\n---\nb: 2",          // a document marker
           "%YAML 1.1\n---\na: 1",     // a directive
           "a: 1 #c\n  #d\n    e: 2",  // indentation after a comment
           // invalid: a key where the entries of an indented sequence are (found by fuzzing)
           "subjects:\n  - kind: A\n    name: b\n  namespace: c",
       }) {
    INFO(doc);
    CHECK_FALSE(detail::scan_manifest_head(doc));
  }
}

TEST_CASE("manifest heads of the fixture charts' documents scan like they decode") {
  const fs::path root = fs::path(CAIRN_SHARED_DIR) / "fixtures/charts/public";
  std::size_t docs = 0, scanned = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path expected = entry.path() / "expected.yaml";
    if (!fs::exists(expected)) continue;
    for (const std::string& doc : split_manifests(testing::read_file(expected))) {
      ++docs;
      if (scanned_head(doc)) ++scanned;
    }
  }
  REQUIRE(docs > 50);
  // The scanner is there for the common case: nearly every document.
  CHECK(scanned * 10 >= docs * 9);
}

// ------------------------------------------------------------ .helmignore

TEST_CASE("go_path_match follows filepath.Match") {
  CHECK(*go_path_match("a*b", "axxb"));
  CHECK_FALSE(*go_path_match("a*b", "a/b"));
  CHECK(*go_path_match("[a-c]x", "bx"));
  CHECK_FALSE(*go_path_match("[^a-c]x", "bx"));
  CHECK(*go_path_match("a?c", "abc"));
  CHECK(*go_path_match("\\*", "*"));
  CHECK_FALSE(go_path_match("[", "a"));
  CHECK_FALSE(go_path_match("a[", "b"));  // errors even without a match
}

TEST_CASE("helmignore rules: base-name patterns, directories, defaults, errors") {
  auto ig = HelmIgnore::parse("# comment\n*.md\nsecret/\n/top.txt\n");
  REQUIRE(ig);
  CHECK(ig->ignored("README.md", false));
  CHECK(ig->ignored("docs/guide.md", false));
  CHECK(ig->ignored("secret", true));
  CHECK_FALSE(ig->ignored("secret", false));
  CHECK(ig->ignored("top.txt", false));
  CHECK_FALSE(ig->ignored("sub/top.txt", false));
  CHECK(ig->ignored("templates/.hidden", false));  // helm's default rule
  CHECK_FALSE(ig->ignored("templates/cm.yaml", false));
  CHECK_FALSE(HelmIgnore::parse("a/**/b\n"));
  CHECK_FALSE(HelmIgnore::parse("[\n"));
}

TEST_CASE("a negated helmignore rule ignores every path it does not match") {
  auto ig = HelmIgnore::parse("!keep.txt\n");
  REQUIRE(ig);
  CHECK(ig->ignored("other.txt", false));
  CHECK_FALSE(ig->ignored("keep.txt", false));
}

TEST_CASE("a chart directory applies .helmignore and strips the UTF-8 BOM") {
  const auto dir = make_chart_dir("ignore", {{"Chart.yaml", kChartYaml},
                                             {".helmignore", "*.md\n"},
                                             {"README.md", "x"},
                                             {"files/a.txt", "\xEF\xBB\xBFhello"}});
  auto c = load_chart(dir.string());
  REQUIRE(c);
  std::vector<std::string> names;
  for (const auto& f : c->files) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{".helmignore", "files/a.txt"});
  CHECK(c->files[1].data == "hello");
}

TEST_CASE("a chart directory follows symbolic links but refuses loops and huge files") {
  const auto dir = make_chart_dir("links", {{"Chart.yaml", kChartYaml}, {"data/a.txt", "a"}});
  fs::create_directory_symlink(dir / "data", dir / "alias");
  auto c = load_chart(dir.string());
  REQUIRE(c);
  REQUIRE(c->files.size() == 2);
  CHECK(c->files[0].name == "alias/a.txt");

  fs::create_directory_symlink("..", dir / "data" / "loop");
  auto looped = load_chart(dir.string());
  REQUIRE_FALSE(looped);
  CHECK(looped.error().message.find("symbolic link loop") != std::string::npos);

  const auto big = make_chart_dir(
      "big", {{"Chart.yaml", kChartYaml}, {"big.bin", std::string((5u << 20) + 1, 'x')}});
  auto too_big = load_chart(big.string());
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().message ==
        "chart file \"big.bin\" is larger than the maximum file size 5242880");
}

TEST_CASE("a chart directory refuses FIFOs without blocking and names dangling links") {
  const auto dir = make_chart_dir("fifo", {{"Chart.yaml", kChartYaml}, {"files/a.txt", "a"}});
  REQUIRE(::mkfifo((dir / "files/pipe").c_str(), 0600) == 0);
  auto fifo = load_chart(dir.string());  // opening the FIFO for reading would wait for a writer
  REQUIRE_FALSE(fifo);
  CHECK(fifo.error().message == "cannot load irregular file " + (dir / "files/pipe").string() +
                                    " as it has file mode type bits set");
  // An ignored FIFO is skipped like any ignored file.
  cairn::testing::write_file(dir / ".helmignore", "pipe\n");
  auto ignored = load_chart(dir.string());
  REQUIRE(ignored);
  CHECK(ignored->files.size() == 2);  // .helmignore and files/a.txt

  fs::remove(dir / "files/pipe");
  fs::create_symlink(dir / "files/missing.txt", dir / "files/dangling");
  auto dangling = load_chart(dir.string());
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().message == "error evaluating symlink " +
                                        (dir / "files/dangling").string() +
                                        ": No such file or directory");
  // A file the loader may not read is an error that names it, not an empty file.
  fs::remove(dir / "files/dangling");
  if (::geteuid() != 0) {  // root reads it anyway
    fs::permissions(dir / "files/a.txt", fs::perms::none);
    auto unreadable = load_chart(dir.string());
    REQUIRE_FALSE(unreadable);
    CHECK(unreadable.error().message == "error reading files/a.txt: Permission denied");
  }
}

// ------------------------------------------------------------ loading errors

TEST_CASE("a chart without Chart.yaml is refused") {
  const auto dir = make_chart_dir("nochart", {{"templates/a.yaml", "a: 1"}});
  auto c = load_chart(dir.string());
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "Chart.yaml file is missing");
}

TEST_CASE("Chart.yaml is validated like helm") {
  auto bad_version = load_chart_files({{"Chart.yaml", "apiVersion: v2\nname: x\nversion: abc\n"}});
  REQUIRE_FALSE(bad_version);
  CHECK(bad_version.error().message == "validation: chart.metadata.version \"abc\" is invalid");
  auto no_name = load_chart_files({{"Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n"}});
  REQUIRE_FALSE(no_name);
  CHECK(no_name.error().message == "validation: chart.metadata.name is required");
  auto bad_type =
      load_chart_files({{"Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\ntype: foo\n"}});
  REQUIRE_FALSE(bad_type);
  CHECK(bad_type.error().message ==
        "validation: chart.metadata.type must be application or library");
}

TEST_CASE("Chart.yaml descriptive fields are sanitized to one line") {
  auto c = load_chart_files(
      {{"Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\ndescription: |\n  a\n  b\n"}});
  REQUIRE(c);
  CHECK(c->metadata.description == "a b ");
}

// ------------------------------------------------------------ archives

TEST_CASE("a chart archive loads with its .tgz subchart") {
  const std::string sub =
      make_tgz({{"sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"},
                {"sub/values.yaml", "port: 80\n"}});
  const std::string tgz = make_tgz({{"demo/Chart.yaml", kChartYaml},
                                    {"demo/templates/a.yaml", "a: 1\n"},
                                    {"demo/charts/sub-0.1.0.tgz", sub}});
  auto c = load_chart_archive(tgz);
  REQUIRE(c);
  CHECK(c->metadata.name == "demo");
  REQUIRE(c->templates.size() == 1);
  CHECK(c->templates[0].name == "templates/a.yaml");
  REQUIRE(c->dependencies.size() == 1);
  CHECK(c->dependencies[0].metadata.name == "sub");
  CHECK(to_yaml(c->dependencies[0].values) == "port: 80\n");
}

TEST_CASE("hostile archives are refused with clear errors") {
  const auto error_of = [](const std::vector<TarEntry>& entries) {
    auto r = read_chart_archive(make_tgz(entries));
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(error_of({{"demo/../../etc/passwd", "x"}}) ==
        "chart illegally references parent directory");
  CHECK(error_of({{"demo//etc/passwd", "x"}}) == "chart illegally contains absolute paths");
  CHECK(error_of({{"demo/link", "", AE_IFLNK, "/etc/passwd"}}).find("symbolic link") !=
        std::string::npos);
  CHECK(error_of({{"demo/fifo", "", AE_IFIFO}}).find("irregular file") != std::string::npos);
  CHECK(error_of({{"demo/big", std::string((5u << 20) + 1, 'a')}}).find("maximum file size") !=
        std::string::npos);
  CHECK(error_of({{"Chart.yaml/x", "x"}}) == "chart yaml not in base directory");
  CHECK(error_of({{"Chart.yaml", "x"}}) ==
        "chart illegally contains content outside the base directory: \"Chart.yaml\"");
  CHECK(error_of({}) == "no files in chart archive");
  auto not_gzip = read_chart_archive("plain text");
  CHECK_FALSE(not_gzip);
}

TEST_CASE("archives with too many files or too much data are refused") {
  ChartLoadLimits limits;
  limits.max_files = 3;
  std::vector<TarEntry> many;
  for (int i = 0; i < 5; ++i) many.push_back({"demo/f" + std::to_string(i), "x"});
  CHECK_FALSE(read_chart_archive(make_tgz(many), limits));
  ChartLoadLimits small;
  small.max_chart_size = 10;
  CHECK_FALSE(read_chart_archive(make_tgz({{"demo/a", "0123456789abc"}}), small));
}

// ------------------------------------------------------------ values

TEST_CASE("coalescing: maps merge, user values win, a user null deletes a default") {
  Chart c = chart_with_values("demo", "a: 1\nb:\n  c: 2\n  d: 3\ne: x\nl: [1, 2]\n");
  auto v = coalesce_values(c, yaml("b:\n  c: null\ne: null\nl: [3]\n"));
  REQUIRE(v);
  CHECK(to_yaml(*v) == "a: 1\nb:\n  d: 3\nl:\n- 3\n");
}

TEST_CASE("coalescing copies global into subcharts and fills subchart defaults") {
  Chart c = chart_with_values("demo", "global:\n  g: 1\nsub:\n  x: 1\n");
  c.dependencies.push_back(chart_with_values("sub", "x: 0\ny: 2\nglobal:\n  h: 2\n"));
  auto v = coalesce_values(c, yaml("sub:\n  y: null\n"));
  REQUIRE(v);
  CHECK(to_yaml(*v) == "global:\n  g: 1\nsub:\n  global:\n    g: 1\n    h: 2\n  x: 1\n");
}

TEST_CASE("a subchart value that is not a table is a type mismatch") {
  Chart c = chart_with_values("demo", "sub: 3\n");
  c.dependencies.push_back(chart_with_values("sub", "x: 0\n"));
  auto v = coalesce_values(c, Value::new_map());
  REQUIRE_FALSE(v);
  CHECK(v.error().message == "type mismatch on sub: %!t(float64=3)");
}

TEST_CASE("values files merge recursively, later files win") {
  const Value merged =
      merge_user_values(yaml("a:\n  b: 1\n  c: 2\nd: 1\n"), yaml("a:\n  c: 3\nd: [1]\n"));
  CHECK(to_yaml(merged) == "a:\n  b: 1\n  c: 3\nd:\n- 1\n");
}

// ------------------------------------------------------------ dependencies

TEST_CASE("dependencies: aliases copy a chart, conditions and tags disable entries") {
  Chart c = chart_with_values("demo", "one:\n  enabled: true\ntwo:\n  enabled: false\n");
  c.dependencies.push_back(chart_with_values("sub", "x: 1\n"));
  c.dependencies.push_back(chart_with_values("tagged", "x: 1\n"));
  ChartDependency one{"sub", ">=1.0.0", "", "one.enabled", "one", {}, false, {}};
  ChartDependency two{"sub", ">=1.0.0", "", "two.enabled", "two", {}, false, {}};
  ChartDependency tagged{"tagged", "1.0.0", "", "", "", {"extra"}, false, {}};
  c.metadata.dependencies = {one, two, tagged};
  REQUIRE(process_dependencies(c, yaml("tags:\n  extra: false\n")));
  std::vector<std::string> names;
  for (const auto& d : c.dependencies) names.push_back(d.metadata.name);
  CHECK(names == std::vector<std::string>{"one"});
  REQUIRE(c.metadata.dependencies.size() == 1);
  CHECK(c.metadata.dependencies[0].name == "one");
}

TEST_CASE("a dependency without a version never matches, so its alias is ignored") {
  Chart c = chart_with_values("demo", "");
  c.dependencies.push_back(chart_with_values("sub", ""));
  c.metadata.dependencies = {ChartDependency{"sub", "", "", "", "renamed", {}, false, {}}};
  REQUIRE(process_dependencies(c, Value::new_map()));
  REQUIRE(c.dependencies.size() == 1);
  CHECK(c.dependencies[0].metadata.name == "sub");
}

TEST_CASE("import-values pulls a child's exports into the parent") {
  Chart c = chart_with_values("demo", "own: 1\n");
  c.dependencies.push_back(chart_with_values("sub", "exports:\n  data:\n    port: 80\n"));
  ChartDependency dep{"sub", "1.0.0", "", "", "", {}, false, {Value("data")}};
  c.metadata.dependencies = {dep};
  REQUIRE(process_dependencies(c, Value::new_map()));
  const Value* port = c.values.find("port");
  REQUIRE(port);
  CHECK(port->as_float() == 80);
  REQUIRE(c.metadata.dependencies[0].import_values.size() == 1);
  CHECK(to_yaml(c.metadata.dependencies[0].import_values[0]) == "child: exports.data\nparent: .\n");
}

// ------------------------------------------------------------ render_chart

namespace {

const FileList kDemoChart = {
    {"Chart.yaml",
     "apiVersion: v2\nname: demo\nversion: 1.0.0\ndescription: |\n  multi\n  line\n"
     "dependencies:\n  - name: sub\n    version: \">=0.1.0\"\n    alias: sidecar\n"
     "    condition: sidecar.enabled\n  - name: sub\n    version: \">=0.1.0\"\n"
     "    alias: other\n    condition: other.enabled\n    tags: [extra]\n"},
    {"values.yaml",
     "global:\n  region: eu\nname: demo\nsidecar:\n  enabled: true\n  port: 8080\n"
     "other:\n  enabled: false\nremove: me\n"},
    {"templates/_helpers.tpl",
     "{{- define \"demo.name\" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}\n"},
    {"templates/cm.yaml",
     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"demo.name\" . }}\n"
     "data:\n  desc: {{ .Chart.Description | quote }}\n  ns: {{ .Release.Namespace }}\n"
     "  kube: {{ .Capabilities.KubeVersion.Version }}\n"
     "  has: {{ .Capabilities.APIVersions.Has \"apps/v1\" | quote }}\n"
     "  tmpl: {{ .Template.Name }}\n  remove: {{ .Values.remove | quote }}\n"
     "  missing: {{ .Values.nothing }}\n---\napiVersion: apps/v1\nkind: Deployment\n"
     "metadata:\n  name: d\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hook\n"
     "  annotations:\n    helm.sh/hook: pre-install\n---\nkind: Foo\nmetadata:\n  name: foo\n"},
    {"templates/NOTES.txt", "Thanks\n"},
    {"crds/x.yaml", "kind: CustomResourceDefinition\nmetadata:\n  name: x\n"},
    {"charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.2.0\n"},
    {"charts/sub/values.yaml", "port: 80\nenabled: false\n"},
    {"charts/sub/templates/svc.yaml",
     "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Chart.Name }}\n  labels:\n"
     "    region: {{ .Values.global.region }}\nspec:\n  port: {{ .Values.port }}\n"},
};

// gotpl-ref chart demo -f user.yaml --name rel --namespace ns --include-crds
const char* const kDemoExpected = R"(---
# Source: demo/crds/x.yaml
kind: CustomResourceDefinition
metadata:
  name: x

---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-rel
data:
  desc: "multi line "
  ns: ns
  kube: v1.34.0
  has: "true"
  tmpl: demo/templates/cm.yaml
  remove: 
  missing:
---
# Source: demo/charts/sidecar/templates/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: sidecar
  labels:
    region: eu
spec:
  port: 9090
---
# Source: demo/templates/cm.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
---
# Source: demo/templates/cm.yaml
kind: Foo
metadata:
  name: foo
---
# Source: demo/templates/cm.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: hook
  annotations:
    helm.sh/hook: pre-install
)";

ChartRenderOptions demo_options(const fs::path& dir) {
  ChartRenderOptions o;
  o.chart = dir.string();
  o.release_name = "rel";
  o.namespace_name = "ns";
  o.include_crds = true;
  return o;
}

}  // namespace

TEST_CASE("render_chart: aliases, conditions, globals, hooks last, CRDs first, NOTES dropped") {
  const auto dir = make_chart_dir("demo", kDemoChart);
  const auto user =
      make_chart_dir("demo-values", {{"user.yaml", "remove: null\nsidecar:\n  port: 9090\n"}});
  ChartRenderOptions o = demo_options(dir);
  o.values_files = {(user / "user.yaml").string()};
  auto out = render_chart(o);
  REQUIRE(out);
  CHECK(*out == kDemoExpected);
}

TEST_CASE("render_chart: a YAML error in a rendered document names the file") {
  FileList files = kDemoChart;
  files.push_back({"templates/bad.yaml", "a: b: c\n"});
  auto out = render_chart(demo_options(make_chart_dir("bad", files)));
  REQUIRE_FALSE(out);
  CHECK(out.error().message.rfind("YAML parse error on demo/templates/bad.yaml: ", 0) == 0);
}

TEST_CASE("render_chart: required fails with helm's execution error") {
  FileList files = kDemoChart;
  files.push_back({"templates/req.yaml", "{{ required \"need foo\" .Values.foo }}\n"});
  auto out = render_chart(demo_options(make_chart_dir("req", files)));
  REQUIRE_FALSE(out);
  CHECK(out.error().message ==
        "execution error at (demo/templates/req.yaml:1:3): need foo");
}

TEST_CASE("render_chart: an incompatible kubeVersion constraint fails") {
  FileList files = kDemoChart;
  files[0].second += "kubeVersion: \">=1.35.0\"\n";
  auto out = render_chart(demo_options(make_chart_dir("kv", files)));
  REQUIRE_FALSE(out);
  CHECK(out.error().message ==
        "chart requires kubeVersion: >=1.35.0 which is incompatible with Kubernetes v1.34.0");
}

TEST_CASE("render_chart: a dependency missing from charts/ is reported") {
  FileList files = {
      {"Chart.yaml", kChartYaml + "dependencies:\n  - name: gone\n    version: 1.0.0\n"}};
  auto out = render_chart(demo_options(make_chart_dir("missing", files)));
  REQUIRE_FALSE(out);
  CHECK(out.error().message.find("missing in charts/ directory: gone") != std::string::npos);
}

TEST_CASE("render_chart: library charts are not installable") {
  auto out = render_chart(
      demo_options(make_chart_dir("lib", {{"Chart.yaml", kChartYaml + "type: library\n"}})));
  REQUIRE_FALSE(out);
  CHECK(out.error().message == "library charts are not installable");
}

TEST_CASE("render_chart: a bad --kube-version is refused") {
  ChartRenderOptions o = demo_options(make_chart_dir("kvbad", kDemoChart));
  o.kube_version = "1";
  auto out = render_chart(o);
  REQUIRE_FALSE(out);
  CHECK(out.error().message == "invalid kube version '1': illegal version string \"1\"");
}
