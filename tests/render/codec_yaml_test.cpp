// sigs.k8s.io/yaml behaviour of yaml_decode / yaml_encode / yaml_encode_pretty
// (vectors helm/toYaml/*, helm/fromYaml/*, helm/toYamlPretty/*).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "render/codec.h"
#include "tests/render/test_util.h"

using cairn::render::IntType;
using cairn::render::json_decode;
using cairn::render::json_encode;
using cairn::render::Value;
using cairn::render::yaml_decode;
using cairn::render::yaml_decode_all;
using cairn::render::yaml_encode;
using cairn::render::yaml_encode_pretty;

namespace {

constexpr auto data = cairn::render::testing::json_data;

// helm's toYaml: the encoding without its final newline.
std::string to_yaml(const Value& v) {
  auto s = yaml_encode(v);
  REQUIRE(s);
  REQUIRE(!s->empty());
  REQUIRE(s->back() == '\n');
  return s->substr(0, s->size() - 1);
}

std::string pretty(const Value& v) {
  auto s = yaml_encode_pretty(v);
  REQUIRE(s);
  return s->substr(0, s->size() - 1);
}

// yaml_decode then json_encode: the shape fromYaml + toJson shows.
std::string from_yaml_json(const std::string& text) {
  auto v = yaml_decode(text);
  REQUIRE(v);
  auto s = json_encode(*v);
  REQUIRE(s);
  return *s;
}

}  // namespace

TEST_CASE("yaml_encode quotes strings that would read back as another type", "[codec][yaml]") {
  Value v = data(R"({"a": "true", "b": "yes", "c": "no", "d": "on", "e": "null", "f": "~", "g": "",
    "h": "012", "i": "1e3", "j": "0x1F", "k": "1.0", "l": " lead", "m": "trail ", "n": "a: b",
    "o": "- x", "p": "#c", "q": "@at", "r": "*star", "s": "&amp", "t": "!bang", "u": "%p",
    "v": "`tick", "w": "it's", "x": "say \"hi\"", "y": "[x]", "z": "{x}"})");
  CHECK(to_yaml(v) ==
        "a: \"true\"\nb: \"yes\"\nc: \"no\"\nd: \"on\"\ne: \"null\"\nf: \"~\"\ng: \"\"\nh: \"012\"\n"
        "i: \"1e3\"\nj: \"0x1F\"\nk: \"1.0\"\nl: ' lead'\nm: 'trail '\n\"n\": 'a: b'\no: '- x'\n"
        "p: '#c'\nq: '@at'\nr: '*star'\ns: '&amp'\nt: '!bang'\nu: '%p'\nv: '`tick'\nw: it's\n"
        "x: say \"hi\"\n\"y\": '[x]'\nz: '{x}'");
}

TEST_CASE("yaml_encode writes multi-line strings as literal blocks", "[codec][yaml]") {
  Value v = data(R"({"one": "line1\nline2", "trail": "line1\nline2\n", "two-trail": "a\n\n",
    "lead-space": "  indented\nnext", "tab": "a\tb", "crlf": "a\r\nb"})");
  CHECK(to_yaml(v) ==
        "crlf: \"a\\r\\nb\"\nlead-space: |2-\n    indented\n  next\none: |-\n  line1\n  line2\n"
        "tab: \"a\\tb\"\ntrail: |\n  line1\n  line2\ntwo-trail: |+\n  a\n");
}

TEST_CASE("yaml_encode folds long strings at spaces past column 80", "[codec][yaml]") {
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word ";
  Value v = Value::new_map();
  v.map().items.emplace("k", Value(words));
  CHECK(to_yaml(v) ==
        "k: 'word word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word word word word word word word '");
  Value nospace = Value::new_map();
  nospace.map().items.emplace("k", Value(std::string(120, 'x')));
  CHECK(to_yaml(nospace) == "k: " + std::string(120, 'x'));
}

TEST_CASE("yaml_encode orders keys like yaml.v2's sorter", "[codec][yaml]") {
  Value v = data(R"({"b": 1, "a10": 1, "a2": 1, "A": 1, "_x": 1, "1": 1, "10": 1, "2": 1,
    "a-b": 1, "a.b": 1, "Z": 1, "z": 1})");
  CHECK(to_yaml(v) ==
        "_x: 1\n\"1\": 1\n\"2\": 1\n\"10\": 1\nA: 1\nZ: 1\na-b: 1\na.b: 1\na2: 1\na10: 1\nb: 1\nz: 1");
  Value s = data(R"({"with space": 1, "colon:key": 2, "quote\"key": 3, "": 4, "true": 5, "123": 6})");
  CHECK(to_yaml(s) == "\"\": 4\n\"123\": 6\ncolon:key: 2\nquote\"key: 3\n\"true\": 5\nwith space: 1");
}

TEST_CASE("yaml_encode nests block collections without indenting sequences", "[codec][yaml]") {
  Value v = data(R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}],
    "env": []}], "empty": {}, "list": [[1, 2], []]}})");
  CHECK(to_yaml(v) ==
        "spec:\n  containers:\n  - env: []\n    name: c\n    ports:\n    - containerPort: 80\n"
        "  empty: {}\n  list:\n  - - 1\n    - 2\n  - []");
  Value t = data(R"([{"key": "k", "operator": "Exists", "effect": "NoSchedule"}])");
  CHECK(to_yaml(t) == "- effect: NoSchedule\n  key: k\n  operator: Exists");
}

TEST_CASE("yaml_encode prints numbers after the JSON round trip", "[codec][yaml]") {
  Value v = data(R"({"int": 3, "big": 1000000, "huge": 12345678901234567890, "frac": 0.1,
    "exp": 1e+21, "neg": -5, "negf": -0.5, "small": 1e-07})");
  CHECK(to_yaml(v) ==
        "big: 1000000\nexp: 1e+21\nfrac: 0.1\nhuge: 12345678901234567000\nint: 3\nneg: -5\n"
        "negf: -0.5\nsmall: 1e-07");
  CHECK(to_yaml(Value::integer(5)) == "5");
  CHECK(to_yaml(Value::floating(1234567.5)) == "1.2345675e+06");
  CHECK(to_yaml(Value::floating(1e20)) == "1e+20");
  CHECK_FALSE(yaml_encode(Value::floating(std::nan(""))));
}

TEST_CASE("yaml_encode escapes non-BMP characters and keeps other Unicode", "[codec][yaml]") {
  Value v = Value::new_map();
  v.map().items.emplace("k", Value("h\xc3\xa9llo \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac"));
  v.map().items.emplace("emoji", Value("\xf0\x9f\x98\x80"));
  CHECK(to_yaml(v) == "emoji: \"\\U0001F600\"\nk: h\xc3\xa9llo \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac");
}

TEST_CASE("yaml_encode handles scalars at the top level", "[codec][yaml]") {
  CHECK(to_yaml(Value("just a string")) == "just a string");
  CHECK(to_yaml(Value::nil()) == "null");
  CHECK(to_yaml(Value()) == "null");
  CHECK(to_yaml(Value::new_map()) == "{}");
  CHECK(to_yaml(Value::new_list()) == "[]");
  CHECK(to_yaml(Value("a\n\n")) == "|+\n  a\n");
  CHECK(to_yaml(Value("2023-01-01")) == "\"2023-01-01\"");
  CHECK(to_yaml(Value("1:20")) == "\"1:20\"");
  CHECK(to_yaml(Value("10s")) == "10s");
  CHECK(to_yaml(Value("1.10")) == "\"1.10\"");
}

TEST_CASE("yaml_decode resolves YAML 1.1 scalars to JSON types", "[codec][yaml]") {
  CHECK(from_yaml_json("a: 1\nb:\n  - x\n  - 2.5\nc: {d: true}") ==
        R"({"a":1,"b":["x",2.5],"c":{"d":true}})");
  CHECK(from_yaml_json("i: 3\nbig: 1000000\nf: 1.50\nhex: 0x1F\noct: 0o17\nexp: 1e3") ==
        R"({"big":1000000,"exp":1000,"f":1.5,"hex":31,"i":3,"oct":15})");
  CHECK(from_yaml_json("a: yes\nb: on\nc: \"yes\"\nd: True\ne: n") ==
        R"({"a":true,"b":true,"c":"yes","d":true,"e":false})");
  CHECK(from_yaml_json("a: ~\nb:\nc: null\nd: 012\ne: 1_000\nf: .5\ng: 2023-01-01\nh: '3'") ==
        R"({"a":null,"b":null,"c":null,"d":10,"e":1000,"f":0.5,"g":"2023-01-01","h":"3"})");
  auto big = yaml_decode("v: 12345678901234567890");
  REQUIRE(big);
  CHECK(big->find("v")->as_float() == 12345678901234567890.0);
}

TEST_CASE("yaml_decode turns every key into a string", "[codec][yaml]") {
  CHECK(from_yaml_json("1: one\n2: two") == R"({"1":"one","2":"two"})");
  CHECK(from_yaml_json("z: 1\na:\n- b\n- c\nm: {y: 2, x: 1}") ==
        R"({"a":["b","c"],"m":{"true":2,"x":1},"z":1})");
  CHECK(from_yaml_json("1.5: a\n0x10: b") == R"({"1.5":"a","16":"b"})");
}

TEST_CASE("yaml_decode applies merge keys and aliases", "[codec][yaml]") {
  CHECK(from_yaml_json("base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3") ==
        R"({"base":{"p":1,"q":2},"d":{"p":1,"q":3}})");
  CHECK(from_yaml_json("a: &a {p: 1}\nb: &b {p: 2, q: 2}\nd:\n  <<: [*a, *b]") ==
        R"({"a":{"p":1},"b":{"p":2,"q":2},"d":{"p":1,"q":2}})");
  CHECK(from_yaml_json("a: &a [1, 2]\nb: *a") == R"({"a":[1,2],"b":[1,2]})");
}

TEST_CASE("yaml_decode keeps the last of duplicate keys", "[codec][yaml]") {
  CHECK(from_yaml_json("a: 1\na: 2") == R"({"a":2})");
}

TEST_CASE("yaml_decode reads only the first document; decode_all reads all", "[codec][yaml]") {
  CHECK(from_yaml_json("a: 1\n---\nb: 2") == R"({"a":1})");
  auto empty = yaml_decode("");
  REQUIRE(empty);
  CHECK(empty->is_nil());
  auto all = yaml_decode_all("a: 1\n---\nb: 2\n");
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK(all->at(1).find("b")->as_float() == 2.0);
}

TEST_CASE("yaml_decode reports syntax errors in helm's shape", "[codec][yaml]") {
  auto bad = yaml_decode("a: [1, 2\nb: c");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.rfind("error converting YAML to JSON: yaml: line ", 0) == 0);
  auto nan = yaml_decode("a: .nan");
  REQUIRE_FALSE(nan);
  CHECK(nan.error().message == "error converting YAML to JSON: json: unsupported value: NaN");
}

TEST_CASE("yaml_decode refuses alias bombs", "[codec][yaml]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  auto v = yaml_decode(bomb);
  REQUIRE_FALSE(v);
  CHECK(v.error().message.find("excessive aliasing") != std::string::npos);
}

TEST_CASE("yaml_decode and yaml_encode round-trip a document", "[codec][yaml]") {
  auto v = yaml_decode("z: 1\na:\n- b\n- c\nm: {y: 2, x: 1}");
  REQUIRE(v);
  CHECK(to_yaml(*v) == "a:\n- b\n- c\nm:\n  \"true\": 2\n  x: 1\nz: 1");
}

TEST_CASE("yaml_encode_pretty indents sequences and keeps raw float formatting", "[codec][yaml]") {
  CHECK(pretty(data(R"({"b": [1, {"x": 2}], "a": "str", "c": {"d": null}})")) ==
        "a: str\nb:\n  - 1\n  - x: 2\nc:\n  d: null");
  CHECK(pretty(data(R"({"a": "true", "b": "yes", "c": "012", "d": "a\nb"})")) ==
        "a: \"true\"\nb: \"yes\"\nc: \"012\"\nd: |-\n  a\n  b");
}

namespace {

// The error text of a failed yaml_decode, without the sigs.k8s.io/yaml prefix.
std::string yaml_error_of(const std::string& text) {
  auto v = yaml_decode(text);
  if (v) return "<no error>";
  const std::string prefix = "error converting YAML to JSON: ";
  const std::string& msg = v.error().message;
  return msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg;
}

}  // namespace

TEST_CASE("yaml_decode reports yaml.v2's syntax errors and lines", "[codec][yaml]") {
  CHECK(yaml_error_of("a: [1, 2\n") == "yaml: line 1: did not find expected ',' or ']'");
  CHECK(yaml_error_of("a: b: c") == "yaml: mapping values are not allowed in this context");
  CHECK(yaml_error_of("a:\n  - 1\n - 2") == "yaml: line 2: did not find expected key");
  CHECK(yaml_error_of("a: 1\nb\nc: 2") == "yaml: line 3: could not find expected ':'");
  CHECK(yaml_error_of("a: *nope") == "yaml: unknown anchor 'nope' referenced");
  CHECK(yaml_error_of("a: &a [1, *a]") == "yaml: anchor 'a' value contains itself");
  CHECK(yaml_error_of("%YAML 1.2\n---\na: 1") == "yaml: found incompatible YAML document");
  // libyaml 0.2.5 differences from yaml.v2, made up for.
  CHECK(yaml_error_of("a: \"x\\/y\"") == "yaml: found unknown escape character");
  CHECK(yaml_error_of("a: [a?b]") == "yaml: did not find expected ',' or ']'");
  CHECK(yaml_error_of("x:\n  {u: http://x?y=1}") == "yaml: line 1: did not find expected ',' or '}'");
  CHECK(from_yaml_json("a: \"don\\'t\"\nb: !x,y 1") == R"({"a":"don't","b":"1"})");
}

TEST_CASE("yaml_decode applies yaml.v2's tags", "[codec][yaml]") {
  CHECK(from_yaml_json("a: !!binary aGVsbG8=\nb: !foo\nc: !!str\nd: !!float 3\ne: ! 3") ==
        R"({"a":"hello","b":"","c":"","d":3,"e":"3"})");
  CHECK(yaml_error_of("a: !!int x") == "yaml: cannot decode !!str `x` as a !!int");
  CHECK(yaml_error_of("a: !!int") == "yaml: cannot decode !!null `` as a !!int");
  CHECK(yaml_error_of("a: !!binary aGVsbG8") == "yaml: !!binary value contains invalid base64 data");
  CHECK(yaml_error_of("~: 1") ==
        "Unsupported map key of type: %!s(<nil>), key: <nil>, value: 1");
  CHECK(yaml_error_of("? [a]\n: 1") ==
        "yaml: invalid map key: []interface {}{\"a\"}");
}

TEST_CASE("yaml_decode gives each alias a value of its own", "[codec][yaml]") {
  auto v = yaml_decode("a: &x {b: 1}\nc: *x\nd: *x");
  REQUIRE(v);
  v->find("a")->map().items.insert_or_assign("b", Value("changed"));
  v->find("c")->map().items.insert_or_assign("b", Value("other"));
  CHECK(v->find("d")->find("b")->as_float() == 1.0);
  CHECK(v->find("c")->find("b")->as_string() == "other");
}
