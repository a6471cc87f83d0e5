// Differential test: generated templates and data rendered by cairn and by the
// Go reference renderer (shared/tools/gotpl-ref, built by
// hack/build-gotpl-ref.sh into <build>/tools/gotpl-ref) must agree: same
// output, or both fail. The generator is seeded, so a run is reproducible;
// CAIRN_DIFF_CASES and CAIRN_DIFF_SEED change the amount and the seed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "render/codec.h"
#include "render/funcmap.h"

namespace {

using nlohmann::json;

// Builds random data and templates from pools of values and constructs that
// real charts use, plus the corner cases templates.md lists.
class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  json data(int depth = 0) {
    json m = json::object();
    const int n = pick(2, 6);
    for (int i = 0; i < n; ++i) m[key()] = value(depth + 1);
    // Fixed fields that templates refer to, so that most references resolve.
    m["s"] = string_value();
    m["n"] = number();
    m["list"] = list(depth + 1);
    m["m"] = depth < 2 ? data(depth + 1) : json::object();
    m["b"] = chance(2);
    return m;
  }

  // Helm-mode templates may call include and tpl; both modes get a define "h".
  std::string template_text(bool helm) {
    helm_ = helm;
    std::string out = "{{- define \"h\" }}H{{ . }}{{ end -}}";
    const int pieces = pick(1, 3);
    for (int i = 0; i < pieces; ++i) {
      if (chance(3)) out += oneof({"", "\n", "text ", "  ", "key: "});
      out += piece();
    }
    return out;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int one_in) { return pick(1, one_in) == 1; }
  std::string oneof(std::initializer_list<const char*> items) {
    auto it = items.begin();
    std::advance(it, pick(0, static_cast<int>(items.size()) - 1));
    return *it;
  }

  std::string key() {
    return oneof({"a", "b2", "name", "Values", "x-y", "1", "10", "9", "_k", "Z", "zz", "n",
                  "a.b", "y", "on", "A10", "a2", ""});
  }
  json string_value() {
    return oneof({"", "hello world", "true", "yes", "0", "012", "1e3", "0x1F", "null", "~",
                  "multi\nline\n", "multi\nline", "two\n\nnl\n\n", " lead", "trail ", "\u00e9 \u00fc",
                  "a: b", "- x", "#c", "@at", "*star", "&amp", "!bang", "%p", "[x]", "{x}",
                  "tab\there", "\U0001F600", "<a href=\"x\">&</a>", "1.28.3", "v1.30.0",
                  "registry.k8s.io/x:v1.2.3", "CamelCase-words_here", "  spaced  out  ",
                  "The quick brown fox jumps over the lazy dog and keeps running far beyond the "
                  "eighty column limit of the emitter",
                  "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword"
                  "withoutanyspaceatall"});
  }
  json number() {
    switch (pick(0, 9)) {
      case 0: return 0;
      case 1: return 3;
      case 2: return -2;
      case 3: return 3.5;
      case 4: return 1000000;
      case 5: return 1e21;
      case 6: return 0.1;
      case 7: return 16777216;
      case 8: return 1e-7;
      default: return 8443;
    }
  }
  json list(int depth) {
    json l = json::array();
    const int n = pick(0, 4);
    for (int i = 0; i < n; ++i) l.push_back(depth < 3 ? value(depth + 1) : string_value());
    return l;
  }
  json value(int depth) {
    switch (pick(0, depth < 3 ? 7 : 4)) {
      case 0: case 1: return string_value();
      case 2: return number();
      case 3: return chance(2);
      case 4: return nullptr;
      case 5: return list(depth);
      default: {
        json m = json::object();
        const int n = pick(0, 3);
        for (int i = 0; i < n; ++i) m[key()] = value(depth + 1);
        return m;
      }
    }
  }

  // An expression that yields some piece of the data.
  std::string data_ref() {
    return oneof({".", ".s", ".n", ".list", ".m", ".b", ".a", ".m.s", ".m.list", ".missing",
                  ".m.m", "$", "(index .list 0)", "(dict \"k\" .s \"l\" (list 1 .n))",
                  "(list .s .n .b)", ".m.missing"});
  }
  std::string string_ref() {
    return oneof({".s", ".m.s", "\"lit\"", "\"Hello World\"", "(toString .n)", "\"a-b_c.d\"",
                  "(printf \"%v\" .n)", "\"  pad  \""});
  }
  std::string int_lit() { return oneof({"0", "1", "3", "5", "-2", "63", "100"}); }

  std::string string_func() {
    switch (pick(0, 21)) {
      case 0: return "upper";
      case 1: return "lower";
      case 2: return "title";
      case 3: return "trim";
      case 4: return "quote";
      case 5: return "squote";
      case 6: return "trunc " + int_lit();
      case 7: return "replace \"a\" \"b\"";
      case 8: return "b64enc";
      case 9: return "sha256sum";
      case 10: return "indent 2";
      case 11: return "nindent 4";
      case 12: return "trimSuffix \"-\"";
      case 13: return "default \"dflt\"";
      case 14: return "len";
      case 15: return "contains \"o\"";
      case 16: return "splitList \" \"";
      case 17: return "kebabcase";
      case 18: return "snakecase";
      case 19: return "camelcase";
      case 20: return "regexReplaceAll \"[^a-z0-9-]\" \"-\"" ;
      default: return "toJson";
    }
  }
  std::string any_func() {
    return oneof({"toYaml", "toJson", "toString", "typeOf", "kindOf", "empty", "not", "len",
                  "default \"d\"", "quote", "toRawJson", "toPrettyJson", "keys | sortAlpha", "first",
                  "last", "uniq", "compact", "sortAlpha", "int", "int64", "float64", "toStrings",
                  "b64enc", "deepCopy", "nindent 2"});
  }
  std::string pipeline() {
    switch (pick(0, 13)) {
      case 0: return string_ref() + " | " + string_func();
      case 1: return string_ref() + " | " + string_func() + " | " + string_func();
      case 2: return data_ref() + " | " + any_func();
      case 3: return "toYaml " + data_ref();
      case 4: return "toJson " + data_ref();
      case 5: return "printf \"" + oneof({"%v", "%s", "%d", "%q", "%5.2f", "%x", "%T", "%v-%v",
                                          "%-6s|", "%+v", "%03d"}) + "\" " + data_ref() +
                     (chance(2) ? " " + int_lit() : "");
      case 6: return oneof({"add", "sub", "mul", "div", "mod", "max", "min"}) + std::string(" ") +
                     oneof({".n", "3", "(len .list)", "(int .n)", "1.5"}) + " " + int_lit();
      case 7: return oneof({"eq", "ne", "lt", "gt", "le", "ge"}) + std::string(" ") +
                     oneof({".n", "3", "(int .n)", ".s", "(len .list)", ".missing", "3.5"}) + " " +
                     oneof({"3", ".n", "\"hello world\"", "(int64 5)", "0.1", "nil"});
      case 8: return "semverCompare \"" + oneof({">=1.21-0", "~1.28", "^1.2", "<2.0.0", "1.x"}) +
                     "\" \"" + oneof({"1.28.3", "v1.30.0", "1.28.0-gke.1", "2.0.0", "1.2.9"}) +
                     "\"";
      case 9: return helm_ ? "include \"h\" " + data_ref() : "print (toString " + data_ref() + ")";
      case 10: return helm_ ? "tpl \"" + oneof({"{{ .s }}-{{ len .list }}", "{{ include \\\"h\\\" .n }}",
                                              "{{ toYaml .m | nindent 2 }}", "{{ .Template.Name }}"}) +
                                  "\" " + oneof({".", "$"})
                            : "len " + oneof({".list", ".m", ".s"});
      case 11: return oneof({"dig \"m\" \"s\" \"none\" .", "hasKey .m \"s\"", "get .m \"s\"",
                             "pluck \"s\" .m .", "merge (dict \"z\" 1) .m | toYaml",
                             "keys .m | sortAlpha | join \",\"", "coalesce .missing .s",
                             "ternary \"y\" \"n\" .b", "list 1 2 3 | has 2", "splitList \",\" \"a,b\"",
                             "toYaml . | fromYaml | toJson", "toYaml .m | fromYaml | toYaml",
                             "toJson .list | fromJsonArray | toYaml", "fromYaml \"a: [1, yes, ~]\" | toJson"});
      case 12: return "(" + data_ref() + ")" + oneof({".s", ".n", ".list", ".x"});
      default: return data_ref();
    }
  }

  std::string piece() {
    switch (pick(0, 13)) {
      case 8: return "{{ if " + pipeline() + " }}A{{ else if " + pipeline() + " }}B{{ else }}C{{ end }}";
      case 9: return "{{ range " + oneof({".list", ".m.list", "(list 1 2 3 4)"}) +
                     " }}{{ if eq (kindOf .) \"string\" }}{{ continue }}{{ end }}" +
                     "{{ if eq (kindOf .) \"map\" }}{{ break }}{{ end }}<{{ . }}>{{ end }}";
      case 10: return "{{ " + oneof({"and", "or"}) + " " + data_ref() + " " + data_ref() + " }}";
      case 11: return "{{ $v := " + data_ref() + " }}{{ range $k, $e := " + data_ref() +
                      " }}{{ $v = $e }}{{ end }}{{ $v | " + any_func() + " }}";
      case 12: return "{{ index " + oneof({".m", ".", ".m.m"}) + " \"" + key() + "\" }}";
      case 13: return "\n{{- " + pipeline() + " | " + oneof({"nindent 4", "indent 2", "quote",
                                                               "toYaml", "b64enc"}) + " }}\n";
      case 0: return "{{ if " + pipeline() + " }}T{{ else }}F{{ end }}";
      case 1: return "{{ range $i, $v := " + oneof({".list", ".m", ".m.list", ".missing"}) +
                     " }}[{{ $i }}={{ $v }}]{{ end }}";
      case 2: return "{{ with " + data_ref() + " }}<{{ . }}>{{ else }}none{{ end }}";
      case 3: return "{{- " + pipeline() + " -}}";
      case 4: return "{{ $x := " + pipeline() + " }}{{ $x }}";
      case 5: return "{{ template \"h\" " + data_ref() + " }}";
      default: return "{{ " + pipeline() + " }}";
    }
  }

  std::mt19937 rng_;
  bool helm_ = true;
};

std::string reference_binary() {
  if (const char* env = std::getenv("GOTPL_REF")) return env;
  return std::string(CAIRN_BINARY_DIR) + "/tools/gotpl-ref";
}

// Runs `gotpl-ref vectors < in > out` and returns the output lines.
std::vector<json> run_reference(const std::string& bin, const std::string& input_path) {
  const std::string out_path = input_path + ".out";
  const std::string cmd = "'" + bin + "' vectors < '" + input_path + "' > '" + out_path + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::vector<json> lines;
  std::ifstream in(out_path);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST_CASE("generated templates render as the Go reference renders them", "[differential]") {
  const std::string bin = reference_binary();
  if (!std::filesystem::exists(bin)) {
    WARN("gotpl-ref not built (" << bin << "): run hack/build-gotpl-ref.sh; differential test skipped");
    return;
  }
  const char* cases_env = std::getenv("CAIRN_DIFF_CASES");
  const char* seed_env = std::getenv("CAIRN_DIFF_SEED");
  const int cases = cases_env ? std::atoi(cases_env) : 10000;
  const unsigned seed = seed_env ? static_cast<unsigned>(std::atoi(seed_env)) : 20261130u;
  Generator gen(seed);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("cairn-diff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string input_path = (dir / "cases.jsonl").string();
  {
    std::ofstream out(input_path);
    for (int i = 0; i < cases; ++i) {
      json c = {{"name", "case-" + std::to_string(i)},
                {"mode", i % 3 == 0 ? "gotpl" : "helm"},
                {"template", gen.template_text(i % 3 != 0)},
                {"data", gen.data()}};
      out << c.dump() << "\n";
    }
  }
  const auto expected = run_reference(bin, input_path);
  REQUIRE(expected.size() == static_cast<std::size_t>(cases));

  int compared = 0, mismatches = 0, errors = 0;
  for (const auto& c : expected) {
    const auto mode = c.at("mode") == "gotpl" ? cairn::render::Mode::Gotpl : cairn::render::Mode::Helm;
    auto data = cairn::render::json_decode(c.at("data").dump());
    REQUIRE(data.has_value());
    const auto got = cairn::render::render_text(mode, c.at("template").get<std::string>(), *data);
    ++compared;
    const bool want_error = c.value("error", false);
    errors += want_error;
    std::string problem;
    if (want_error && got) {
      problem = "cairn rendered " + json(*got).dump() + ", reference failed: " +
                c.value("error_message", "");
    } else if (!want_error && !got) {
      problem = "cairn failed: " + got.error().message;
    } else if (!want_error && *got != c.at("output").get<std::string>()) {
      problem = "got  " + json(*got).dump() + "\n  want " + c.at("output").dump();
    }
    if (!problem.empty()) {
      if (++mismatches <= 40) {
        std::cerr << "MISMATCH " << c.at("mode").get<std::string>() << " "
                  << c.at("template").dump() << "\n  data " << c.at("data").dump() << "\n  "
                  << problem << "\n";
      }
    }
  }
  if (!std::getenv("CAIRN_DIFF_KEEP")) std::filesystem::remove_all(dir);
  std::cerr << "differential: compared " << compared << " cases against gotpl-ref, "
            << mismatches << " mismatches (" << errors
            << " of them are templates that must fail)\n";
  CHECK(mismatches == 0);
  // The generator must mostly produce templates that render: a suite of
  // errors on both sides would compare little.
  CHECK(errors < compared / 3);
}
