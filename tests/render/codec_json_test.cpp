// encoding/json behaviour of json_encode / json_decode (vectors helm/toJson/*,
// helm/fromJson*, gotpl/sprig/flow/toRawJson...).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "render/codec.h"
#include "tests/render/test_util.h"

using cairn::render::IntType;
using cairn::render::json_decode;
using cairn::render::json_encode;
using cairn::render::json_encode_indent;
using cairn::render::Value;

namespace {

constexpr auto data = cairn::render::testing::json_data;

std::string enc(const Value& v, bool html = true) {
  auto s = json_encode(v, html);
  REQUIRE(s);
  return *s;
}

std::string decode_error(const std::string& text) {
  auto v = json_decode(text);
  REQUIRE_FALSE(v);
  return v.error().message;
}

}  // namespace

TEST_CASE("json_encode sorts map keys byte-wise and keeps list order", "[codec][json]") {
  CHECK(enc(data(R"({"b": 1, "a": [1, 2.5, null, true]})")) == R"({"a":[1,2.5,null,true],"b":1})");
  CHECK(enc(data(R"({"x":1,"y":"two","b":{"c":"deep"}})")) == R"({"b":{"c":"deep"},"x":1,"y":"two"})");
}

TEST_CASE("json_encode escapes HTML characters unless told not to", "[codec][json]") {
  Value v = data(R"({"h": "<a href=\"x\">&</a>"})");
  CHECK(enc(v) == R"({"h":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e"})");
  CHECK(enc(data(R"({"h":"<b>&</b>"})"), false) == R"({"h":"<b>&</b>"})");
}

TEST_CASE("json_encode formats float64 like Go", "[codec][json]") {
  Value v = data(R"({"i": 3, "big": 1000000, "exp": 1e+21, "frac": 0.1, "small": 1e-07, "neg": -0.0})");
  CHECK(enc(v) == R"({"big":1000000,"exp":1e+21,"frac":0.1,"i":3,"neg":-0,"small":1e-7})");
  CHECK(enc(Value::floating(123456789.5)) == "123456789.5");
  CHECK(enc(Value::floating(1e20)) == "100000000000000000000");
  CHECK(enc(Value::floating(1.5e-300)) == "1.5e-300");
  CHECK(enc(Value::floating(12345678901234567890.0)) == "12345678901234567000");
}

TEST_CASE("json_encode prints integers exactly and nil as null", "[codec][json]") {
  CHECK(enc(Value::integer(-5)) == "-5");
  CHECK(enc(Value::integer(INT64_MAX, IntType::Int64)) == "9223372036854775807");
  CHECK(enc(Value::uinteger(UINT64_MAX)) == "18446744073709551615");
  CHECK(enc(Value::nil()) == "null");
  CHECK(enc(Value()) == "null");
  CHECK(enc(Value::nil_map()) == "null");
  CHECK(enc(Value::nil_list()) == "null");
  CHECK(enc(Value::new_map()) == "{}");
  CHECK(enc(Value::new_list()) == "[]");
}

TEST_CASE("json_encode escapes controls, invalid UTF-8 and line separators", "[codec][json]") {
  CHECK(enc(Value("a\nb\tc\x01\x7f")) == "\"a\\nb\\tc\\u0001\x7f\"");
  CHECK(enc(Value(std::string("x\xff" "y"))) == "\"x\\ufffdy\"");
  CHECK(enc(Value("\xe2\x80\xa8")) == "\"\\u2028\"");
  CHECK(enc(Value("h\xc3\xa9")) == "\"h\xc3\xa9\"");
}

TEST_CASE("json_encode refuses NaN, Inf and complex numbers", "[codec][json]") {
  auto nan = json_encode(Value::floating(std::nan("")));
  REQUIRE_FALSE(nan);
  CHECK(nan.error().message == "json: unsupported value: NaN");
  auto inf = json_encode(Value::floating(-HUGE_VAL));
  REQUIRE_FALSE(inf);
  CHECK(inf.error().message == "json: unsupported value: -Inf");
  auto c = json_encode(Value::complex(1, 2));
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "json: unsupported type: complex128");
}

TEST_CASE("json_encode encodes a []byte as base64", "[codec][json]") {
  Value bytes = Value::new_list({Value::integer(104, IntType::Uint8), Value::integer(105, IntType::Uint8)},
                                "uint8");
  CHECK(enc(bytes) == "\"aGk=\"");
}

TEST_CASE("json_encode_indent matches MarshalIndent", "[codec][json]") {
  auto s = json_encode_indent(data(R"({"b": [1, 2], "a": {}})"), "", "  ");
  REQUIRE(s);
  CHECK(*s == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ]\n}");
  auto p = json_encode_indent(data(R"({"a":[]})"), ">", "\t");
  REQUIRE(p);
  CHECK(*p == "{\n>\t\"a\": []\n>}");
}

TEST_CASE("json_decode gives float64 numbers, maps and lists", "[codec][json]") {
  Value v = data(R"({"a": 1, "l": ["x", "y"], "n": null, "t": true})");
  REQUIRE(v.is_map());
  CHECK(v.find("a")->is_float());
  CHECK(v.find("a")->as_float() == 1.0);
  CHECK(v.find("l")->list().items.at(1).as_string() == "y");
  CHECK(v.find("n")->is_nil());
  CHECK(v.find("t")->as_bool());
}

TEST_CASE("json_decode keeps the last of duplicate keys", "[codec][json]") {
  CHECK(enc(data(R"({"a":1,"a":2})")) == R"({"a":2})");
}

TEST_CASE("json_decode unquotes escapes and surrogate pairs", "[codec][json]") {
  CHECK(data(R"("\ud83d\ude00\u00e9\n\/")").as_string() == "\xf0\x9f\x98\x80\xc3\xa9\n/");
  CHECK(data(R"("\ud83d x")").as_string() == "\xef\xbf\xbd x");
}

TEST_CASE("json_decode reports Go's syntax errors", "[codec][json]") {
  CHECK(decode_error("{bad") == "invalid character 'b' looking for beginning of object key string");
  CHECK(decode_error("not json") == "invalid character 'o' in literal null (expecting 'u')");
  CHECK(decode_error("") == "unexpected end of JSON input");
  CHECK(decode_error("[1,2") == "unexpected end of JSON input");
  CHECK(decode_error("[1 2]") == "invalid character '2' after array element");
  CHECK(decode_error("{\"a\" 1}") == "invalid character '1' after object key");
  CHECK(decode_error("{\"a\":1 \"b\"}") == "invalid character '\"' after object key:value pair");
  CHECK(decode_error("1 2") == "invalid character '2' after top-level value");
  CHECK(decode_error("-x") == "invalid character 'x' in numeric literal");
  CHECK(decode_error("1.x") == "invalid character 'x' after decimal point in numeric literal");
  CHECK(decode_error("1ex") == "invalid character 'x' in exponent of numeric literal");
  CHECK(decode_error("\"a\nb\"") == "invalid character '\\n' in string literal");
  CHECK(decode_error("\"\\q\"") == "invalid character 'q' in string escape code");
  CHECK(decode_error("'x'") == "invalid character '\\'' looking for beginning of value");
  CHECK(decode_error("1e400") == "json: cannot unmarshal number 1e400 into Go value of type float64");
}

TEST_CASE("json_decode refuses nesting deeper than 1000 levels", "[codec][json]") {
  std::string deep(5000, '[');
  CHECK(decode_error(deep) == "exceeded max depth");
}
