// Template functions over the codecs (helm/fromYaml/*, helm/fromJson*,
// helm/toToml/*, helm/fromToml/*, gotpl/sprig/flow/*Json*), called directly
// through the FuncMap, plus a differential test of toYaml against gotpl-ref.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "render/codec.h"
#include "tests/render/test_util.h"

using namespace cairn::render;

namespace {

constexpr auto data = cairn::render::testing::json_data;

class NullContext : public CallContext {
 public:
  const Limits& limits() const override { return limits_; }
  Result<std::string> include(std::string_view, const Value&) override {
    return make_error("no include");
  }
  Result<std::string> tpl(std::string_view, const Value&) override { return make_error("no tpl"); }
  std::string location() const override { return "test:1:1"; }

 private:
  Limits limits_;
};

FuncMap helm_funcs() {
  FuncMap f;
  add_sprig_codec_funcs(f);
  add_helm_codec_funcs(f);
  return f;
}

Result<Value> call(const FuncMap& funcs, const std::string& name, Value arg) {
  NullContext ctx;
  std::vector<Value> args{std::move(arg)};
  return funcs.at(name).impl(ctx, args);
}

std::string call_json(const FuncMap& funcs, const std::string& name, Value arg) {
  auto v = call(funcs, name, std::move(arg));
  REQUIRE(v);
  auto s = json_encode(*v);
  REQUIRE(s);
  return *s;
}

std::string call_string(const FuncMap& funcs, const std::string& name, Value arg) {
  auto v = call(funcs, name, std::move(arg));
  REQUIRE(v);
  REQUIRE(v->is_string());
  return v->as_string();
}

}  // namespace

TEST_CASE("fromYaml returns an Error map for non-map documents", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_json(f, "fromYaml", Value("- a\n- b")) ==
        R"({"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"})");
  CHECK(call_json(f, "fromYaml", Value("just text")) ==
        R"({"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}"})");
  CHECK(call_json(f, "fromYaml", Value("5")) ==
        R"({"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go value of type map[string]interface {}"})");
  CHECK(call_json(f, "fromYaml", Value("")) == "{}");
  CHECK(call_json(f, "fromYaml", Value("a: .inf")) ==
        R"({"Error":"error converting YAML to JSON: json: unsupported value: +Inf"})");
}

TEST_CASE("fromYamlArray returns the list or a one-message list", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_json(f, "fromYamlArray", Value("- a\n- 1\n- {k: v}")) == R"(["a",1,{"k":"v"}])");
  CHECK(call_json(f, "fromYamlArray", Value("a: 1")) ==
        R"(["error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}"])");
}

TEST_CASE("helm fromJson returns an Error map; sprig fromJson returns the value", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_json(f, "fromJson", Value("{bad")) ==
        R"({"Error":"invalid character 'b' looking for beginning of object key string"})");
  CHECK(call_json(f, "fromJson", Value("[1,2]")) ==
        R"({"Error":"json: cannot unmarshal array into Go value of type map[string]interface {}"})");
  CHECK(call_json(f, "fromJsonArray", Value("[1, \"a\", null]")) == R"([1,"a",null])");
  FuncMap sprig;
  add_sprig_codec_funcs(sprig);
  CHECK(call_json(sprig, "fromJson", Value("{\"a\":1}")) == R"({"a":1})");
  CHECK(call(sprig, "fromJson", Value("nope"))->is_nil());
  CHECK_FALSE(call(sprig, "mustFromJson", Value("nope")));
}

TEST_CASE("toJson family: errors give empty strings except in must forms", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_string(f, "toJson", data(R"({"k":1,"l":["a"]})")) == R"({"k":1,"l":["a"]})");
  CHECK(call_string(f, "toJson", Value::floating(std::nan(""))).empty());
  CHECK_FALSE(call(f, "mustToJson", Value::floating(std::nan(""))));
  CHECK(call_string(f, "toRawJson", data(R"({"h":"<b>&</b>"})")) == R"({"h":"<b>&</b>"})");
  CHECK_FALSE(call(f, "toRawJson", Value::complex(1, 1)));
  CHECK(call_string(f, "toPrettyJson", data(R"({"b":[1,2],"a":{}})")) ==
        "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ]\n}");
}

TEST_CASE("toYaml trims the final newline and gives empty text on error", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_string(f, "toYaml", data(R"({"a":{"x":"y"},"b":[1,2]})")) == "a:\n  x: \"y\"\nb:\n- 1\n- 2");
  CHECK(call_string(f, "toYaml", Value::nil()) == "null");
  CHECK(call_string(f, "toYaml", Value::floating(std::nan(""))).empty());
  CHECK(call_string(f, "toYamlPretty", data(R"({"b":[1]})")) == "b:\n  - 1");
}

TEST_CASE("toToml and fromToml follow BurntSushi/toml", "[codec][funcs]") {
  auto f = helm_funcs();
  CHECK(call_string(f, "toToml", data(R"({"title": "x", "owner": {"name": "n", "n": 3}, "list": [1, 2]})")) ==
        "list = [1.0, 2.0]\ntitle = \"x\"\n\n[owner]\n  n = 3.0\n  name = \"n\"\n");
  CHECK(call_string(f, "toToml", Value("x")) == "toml: top-level values must be Go maps or structs");
  Value nested = data(R"({"a": [{"b": 1}, {"b": 2}], "c": {"d": {"e": 1}}})");
  CHECK(call_string(f, "toToml", nested) ==
        "[[a]]\n  b = 1.0\n\n[[a]]\n  b = 2.0\n\n[c]\n  [c.d]\n    e = 1.0\n");
  CHECK(call_json(f, "fromToml", Value("a = 1\n[b]\nc = \"d\"\n")) == R"({"a":1,"b":{"c":"d"}})");
  auto parsed = call(f, "fromToml", Value("a = 1"));
  REQUIRE(parsed);
  CHECK(parsed->find("a")->int_type() == IntType::Int64);
  CHECK(call_json(f, "fromToml",
                  Value("x = [1, 2.5, 'lit', \"\"\"multi\nline\"\"\"]\n[[t]]\nk = true\n[[t]]\nk = false")) ==
        R"({"t":[{"k":true},{"k":false}],"x":[1,2.5,"lit","multi\nline"]})");
  CHECK(call(f, "fromToml", Value("a = = 1"))->find("Error") != nullptr);
}

// ---------------------------------------------------------------- differential

namespace {

const char* kRef = "/tmp/gref/bin/gotpl-ref";

std::string run_ref(const std::string& template_text, const std::string& data_json) {
  const std::string dir = std::filesystem::temp_directory_path() / "codec_diff";
  std::filesystem::create_directories(dir);
  const std::string data_file = dir + "/data.json";
  const std::string tpl_file = dir + "/tpl.txt";
  std::FILE* fd = std::fopen(data_file.c_str(), "w");
  std::fputs(data_json.c_str(), fd);
  std::fclose(fd);
  std::FILE* ft = std::fopen(tpl_file.c_str(), "w");
  std::fputs(template_text.c_str(), ft);
  std::fclose(ft);
  const std::string cmd = std::string(kRef) + " tpl --mode helm --template-file " + tpl_file +
                          " --data-file " + data_file;
  std::string out;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  return out;
}

std::string random_string(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "a", "b", "Z", "0", "1", "9", " ", "  ", ":", "-", "#", "'", "\"", "\\", "\n", "\t", "yes",
      "no", "true", "null", "~", "1e3", "0x1F", "012", "1.5", "é", "☃", "日本", "😀", "<", "&",
      "word word word", "[", "{", "}", ",", "?", "*", "!", "%", "@", "`", "|", ">", "2023-01-01",
      "1:20", "---", "...", " x", "x ", "\r", "\xc2\x85", "\xe2\x80\xa8", "_", ".", "10", "2"};
  std::uniform_int_distribution<int> len(0, 6);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::string s;
  const int n = len(rng);
  for (int i = 0; i < n; ++i) s += pieces[pick(rng)];
  if (rng() % 10 == 0) {
    for (int i = 0; i < 25; ++i) s += pieces[pick(rng)] + " ";
  }
  return s;
}

Value random_value(std::mt19937& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth > 2 ? 4 : 7));
  switch (kind) {
    case 0: return Value(random_string(rng));
    case 1: {
      static const double nums[] = {0, 1, -1, 3, 1e6, 1e21, 1e-7, 0.1, -0.5, 1234567.5,
                                    12345678901234567890.0, 1e20, 16777216, 2.5e-5};
      return Value::floating(nums[rng() % (sizeof nums / sizeof nums[0])]);
    }
    case 2: return Value(rng() % 2 == 0);
    case 3: return Value::nil();
    case 4: {
      Value list = Value::new_list();
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) list.list().items.push_back(random_value(rng, depth + 1));
      return list;
    }
    default: {
      Value map = Value::new_map();
      const int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        map.map().items.insert_or_assign(random_string(rng), random_value(rng, depth + 1));
      }
      return map;
    }
  }
}

}  // namespace

TEST_CASE("toYaml, toJson and toYamlPretty agree with gotpl-ref on generated values",
          "[codec][differential]") {
  if (!std::filesystem::exists(kRef)) {
    WARN("gotpl-ref not built; skipping");
    return;
  }
  auto f = helm_funcs();
  std::mt19937 rng(12345);
  // One reference run per batch: every value in a list, outputs separated.
  const std::string sep = "\n@@@@\n";
  Value batch = Value::new_list();
  for (int i = 0; i < 150; ++i) batch.list().items.push_back(random_value(rng, 0));
  Value root = Value::new_map();
  root.map().items.emplace("vs", batch);
  auto json = json_encode(root);
  REQUIRE(json);
  const std::string expected = run_ref(
      "{{ range .vs }}{{ toYaml . }}" + sep + "{{ toJson . }}" + sep + "{{ toYamlPretty . }}" + sep +
          "{{ end }}",
      *json);
  std::string actual;
  for (const Value& v : batch.list().items) {
    actual += call_string(f, "toYaml", v) + sep + call_string(f, "toJson", v) + sep +
              call_string(f, "toYamlPretty", v) + sep;
  }
  // Compare per value for readable failures.
  std::size_t a = 0, e = 0;
  for (int i = 0; i < 450; ++i) {
    const std::size_t an = actual.find(sep, a), en = expected.find(sep, e);
    REQUIRE(an != std::string::npos);
    REQUIRE(en != std::string::npos);
    INFO("item " << i / 3 << " form " << i % 3 << " value " << *json_encode(batch.list().items[i / 3]));
    CHECK(actual.substr(a, an - a) == expected.substr(e, en - e));
    a = an + sep.size();
    e = en + sep.size();
  }
}
