// go::quote, format_float, json_float, append_json_string, marshal and value: Go's strconv.Quote,
// fmt's %v and encoding/json.Marshal. Expected texts are what Go prints for the same input.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/detail/go_text.h"

namespace go = cairn::apiserver::go;
using nlohmann::json;

namespace {

// encoding/json of one string, through append_json_string.
std::string json_string(const std::string& s) {
  std::string out;
  go::append_json_string(s, out);
  return out;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("quote matches strconv.Quote", "[go_text]") {
  CHECK(go::quote("") == R"("")");
  CHECK(go::quote("plain it's") == R"("plain it's")");
  CHECK(go::quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(go::quote("\a\b\f\n\r\t\v") == R"("\a\b\f\n\r\t\v")");
  CHECK(go::quote(std::string("\x00\x1f\x7f", 3)) == R"("\x00\x1f\x7f")");
  // strconv.Quote("a\"b\n\x01é\xff") == `"a\"b\n\x01é\xff"`.
  const std::string e_acute = "\xc3\xa9";
  CHECK(go::quote("a\"b\n\x01" + e_acute + "\xff") == R"("a\"b\n\x01)" + e_acute + R"(\xff")");
  // Well-formed UTF-8 stays as it is.
  CHECK(go::quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // Each byte of an invalid sequence is escaped: a lone continuation byte, an overlong encoding,
  // an encoded surrogate, a code point above U+10FFFF, a truncated sequence.
  CHECK(go::quote("a\x80z") == R"("a\x80z")");
  CHECK(go::quote("\xc0\xaf") == R"("\xc0\xaf")");
  CHECK(go::quote("\xed\xa0\x80") == R"("\xed\xa0\x80")");
  CHECK(go::quote("\xf4\x90\x80\x80") == R"("\xf4\x90\x80\x80")");
  CHECK(go::quote("\xe2\x82") == R"("\xe2\x82")");
  CHECK(go::quote("\xe2\x82!") == R"("\xe2\x82!")");
}

TEST_CASE("format_float matches fmt's %v of a float64", "[go_text]") {
  CHECK(go::format_float(10) == "10");
  CHECK(go::format_float(0.5) == "0.5");
  CHECK(go::format_float(-2.25) == "-2.25");
  CHECK(go::format_float(123456) == "123456");
  CHECK(go::format_float(999999) == "999999");
  CHECK(go::format_float(1e6) == "1e+06");
  CHECK(go::format_float(1234567) == "1.234567e+06");
  CHECK(go::format_float(1e20) == "1e+20");
  CHECK(go::format_float(1e21) == "1e+21");
  CHECK(go::format_float(1e100) == "1e+100");
  CHECK(go::format_float(0.0001) == "0.0001");
  CHECK(go::format_float(0.000123) == "0.000123");
  CHECK(go::format_float(0.00001) == "1e-05");
  CHECK(go::format_float(0.1 + 0.2) == "0.30000000000000004");
  CHECK(go::format_float(0.0) == "0");
  CHECK(go::format_float(-0.0) == "-0");
  CHECK(go::format_float(5e-324) == "5e-324");
  CHECK(go::format_float(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(go::format_float(kNaN) == "NaN");
  CHECK(go::format_float(kInf) == "+Inf");
  CHECK(go::format_float(-kInf) == "-Inf");
}

TEST_CASE("json_float matches encoding/json's float64", "[go_text]") {
  CHECK(go::json_float(2.0) == "2");
  CHECK(go::json_float(2.5) == "2.5");
  CHECK(go::json_float(0.0) == "0");
  CHECK(go::json_float(-0.0) == "-0");
  CHECK(go::json_float(1e6) == "1000000");
  CHECK(go::json_float(123456789) == "123456789");
  CHECK(go::json_float(1e20) == "100000000000000000000");
  CHECK(go::json_float(1e21) == "1e+21");
  CHECK(go::json_float(-1.2345e25) == "-1.2345e+25");
  CHECK(go::json_float(0.000001) == "0.000001");
  CHECK(go::json_float(1e-7) == "1e-7");
  CHECK(go::json_float(1.5e-10) == "1.5e-10");
  CHECK(go::json_float(1e-100) == "1e-100");
  CHECK(go::json_float(5e-324) == "5e-324");
  CHECK(go::json_float(kNaN) == "null");
  CHECK(go::json_float(kInf) == "null");
}

TEST_CASE("append_json_string matches encoding/json's string encoding", "[go_text]") {
  CHECK(json_string("") == R"("")");
  CHECK(json_string("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_string("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json_string(std::string("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(json_string("line\nbreak\x01") == R"("line\nbreak\u0001")");
  CHECK(json_string("<a&b>") == R"("\u003ca\u0026b\u003e")");
  CHECK(json_string("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  CHECK(json_string("\xe2\x80\xa8|\xe2\x80\xa9") == R"("\u2028|\u2029")");
  CHECK(json_string("\xef\xbf\xbd") == "\"\xef\xbf\xbd\"");  // a real U+FFFD stays as it is
  CHECK(json_string("bad\xff") == R"("bad\ufffd")");
  CHECK(json_string("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");
  CHECK(json_string("\xc0\xafx") == R"("\ufffd\ufffdx")");
  std::string out = "x=";
  go::append_json_string("y", out);
  CHECK(out == R"(x="y")");
}

TEST_CASE("marshal matches encoding/json.Marshal", "[go_text]") {
  CHECK(go::marshal(nullptr) == "null");
  CHECK(go::marshal(true) == "true");
  CHECK(go::marshal(-5) == "-5");
  CHECK(go::marshal(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(go::marshal(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(go::marshal(1e21) == "1e+21");
  CHECK(go::marshal(1e-7) == "1e-7");
  CHECK(go::marshal("\xe2\x80\xa8") == R"("\u2028")");
  CHECK(go::marshal(json::object()) == "{}");
  CHECK(go::marshal(json::array()) == "[]");
  CHECK(go::marshal(json::parse(R"({"b":[1,2.5,3.0],"a":"<x>"})")) ==
        R"({"a":"\u003cx\u003e","b":[1,2.5,3]})");
  CHECK(go::marshal(json{{"<k>", json{{"z", nullptr}, {"B", false}}}}) ==
        R"({"\u003ck\u003e":{"B":false,"z":null}})");
  CHECK(go::marshal(json::binary({1, 2})) == "null");
}

TEST_CASE("value matches fmt's %v of a decoded JSON value", "[go_text]") {
  CHECK(go::value(json("a\"b")) == R"("a\"b")");
  CHECK(go::value(json("\xc3\xa9\xff")) == "\"\xc3\xa9\\xff\"");
  CHECK(go::value(json(7)) == "7");
  CHECK(go::value(json(-7)) == "-7");
  CHECK(go::value(json(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
  CHECK(go::value(json(1e6)) == "1e+06");
  CHECK(go::value(json(0.5)) == "0.5");
  CHECK(go::value(json(true)) == "true");
  CHECK(go::value(json(nullptr)) == "null");
  CHECK(go::value(json::array({1, "<x>"})) == R"([1,"\u003cx\u003e"])");
  CHECK(go::value(json{{"a", 1.5}}) == R"({"a":1.5})");
}
