// Go fmt/strconv formatting: go_sprintf, go_sprint(ln), go_format_value,
// go_format_float, go_quote, go_unquote. Expected texts come from Go 1.23
// (through the gotpl-ref reference renderer's printf/print/println).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "render/func.h"
#include "render/gofmt.h"
#include "render/value.h"
#include "tests/render/test_util.h"

using cairn::render::go_format_float;
using cairn::render::go_format_value;
using cairn::render::go_quote;
using cairn::render::go_sprint;
using cairn::render::go_sprintf;
using cairn::render::go_sprintln;
using cairn::render::go_unquote;
using cairn::render::IntType;
using cairn::render::Object;
using cairn::render::Value;

namespace {

Value I(long long v) { return Value::integer(v); }
Value I64(long long v) { return Value::integer(v, IntType::Int64); }
Value F(double v) { return Value::floating(v); }
Value S(const char* v) { return Value(v); }
Value B(bool v) { return Value(v); }
Value Nil() { return Value::nil(); }
Value SL(std::vector<std::string> v) { return Value::string_list(v); }

// JSON as helm decodes values: numbers are float64, containers interface{}.
Value from_json(const nlohmann::json& j) {
  if (j.is_null()) return Value::nil();
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number()) return Value::floating(j.get<double>());
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_array()) {
    std::vector<Value> items;
    for (const auto& e : j) items.push_back(from_json(e));
    return Value::new_list(std::move(items));
  }
  Value m = Value::new_map();
  for (const auto& [k, e] : j.items()) m.map().items.emplace(k, from_json(e));
  return m;
}
Value D(const char* json) { return from_json(nlohmann::json::parse(json)); }

Value bytes(std::string_view s) {
  std::vector<Value> items;
  for (unsigned char c : s) items.push_back(Value::uinteger(c, IntType::Uint8));
  return Value::new_list(std::move(items), "uint8");
}

Value version() { return cairn::render::testing::fake_version(); }

struct Case {
  const char* format;
  std::vector<Value> args;
  const char* want;
};

}  // namespace

TEST_CASE("%v of float64 uses the shortest %g with exponent from 1e21 and 1e-5", "[core][gofmt]") {
  CHECK(go_format_value(F(3)) == "3");
  CHECK(go_format_value(F(1.5)) == "1.5");
  CHECK(go_format_value(F(1e6)) == "1e+06");
  CHECK(go_format_value(F(100000)) == "100000");
  CHECK(go_format_value(F(16777216)) == "1.6777216e+07");
  CHECK(go_format_value(F(1e21)) == "1e+21");
  CHECK(go_format_value(F(0.0001)) == "0.0001");
  CHECK(go_format_value(F(0.00001)) == "1e-05");
  CHECK(go_format_value(F(1e-7)) == "1e-07");
  CHECK(go_format_value(F(0.1)) == "0.1");
  CHECK(go_format_value(F(-0.0)) == "-0");
  CHECK(go_format_value(F(1e100)) == "1e+100");
}

TEST_CASE("NaN and infinities print as Go spells them", "[core][gofmt]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(go_format_value(F(inf)) == "+Inf");
  CHECK(go_format_value(F(-inf)) == "-Inf");
  CHECK(go_format_value(F(nan)) == "NaN");
  CHECK(go_sprintf("%010f", {F(inf)}) == "      +Inf");
  CHECK(go_sprintf("%-10f|", {F(-inf)}) == "-Inf      |");
  CHECK(go_sprintf("% f", {F(nan)}) == " NaN");
  CHECK(go_sprintf("%+f", {F(nan)}) == "+NaN");
  CHECK(go_sprintf("%.2f", {F(nan)}) == "NaN");
  CHECK(go_format_float(inf, 'e', 3) == "+Inf");
}

TEST_CASE("go_format_float matches strconv.FormatFloat", "[core][gofmt]") {
  CHECK(go_format_float(1e6, 'g', -1) == "1e+06");
  CHECK(go_format_float(123456, 'g', -1) == "123456");
  CHECK(go_format_float(1234567, 'g', -1) == "1.234567e+06");
  CHECK(go_format_float(1e6, 'f', -1) == "1000000");
  CHECK(go_format_float(1e21, 'f', -1) == "1000000000000000000000");
  CHECK(go_format_float(1e-7, 'f', -1) == "0.0000001");
  CHECK(go_format_float(1.5, 'e', -1) == "1.5e+00");
  CHECK(go_format_float(0, 'e', -1) == "0e+00");
  CHECK(go_format_float(1.5, 'E', 3) == "1.500E+00");
  CHECK(go_format_float(3.14159, 'f', 2) == "3.14");
  CHECK(go_format_float(0.125, 'f', 2) == "0.12");  // exact ties round to even
  CHECK(go_format_float(2.5, 'f', 0) == "2");
  CHECK(go_format_float(3.5, 'f', 0) == "4");
  CHECK(go_format_float(1.0, 'g', 3) == "1");
  CHECK(go_format_float(123456789, 'g', 3) == "1.23e+08");
  CHECK(go_format_float(0.000012345, 'G', 2) == "1.2E-05");
  CHECK(go_format_float(100, 'g', 0) == "1e+02");
  CHECK(go_format_float(1e300, 'e', 2) == "1.00e+300");
  CHECK(go_format_float(1, 'b', -1) == "4503599627370496p-52");
  CHECK(go_format_float(1, 'x', -1) == "0x1p+00");
  CHECK(go_format_float(255, 'X', -1) == "0X1.FEP+07");
  CHECK(go_format_float(1.0 / 3, 'x', 3) == "0x1.555p-02");
  CHECK(go_format_float(5e-324, 'g', -1) == "5e-324");
  CHECK(go_format_float(1.7976931348623157e308, 'g', -1) == "1.7976931348623157e+308");
}

TEST_CASE("go_format_value prints scalars, nil and containers like %v", "[core][gofmt]") {
  CHECK(go_format_value(Value()) == "<nil>");
  CHECK(go_format_value(Nil()) == "<nil>");
  CHECK(go_format_value(B(true)) == "true");
  CHECK(go_format_value(I(-42)) == "-42");
  CHECK(go_format_value(Value::uinteger(18446744073709551615ULL)) == "18446744073709551615");
  CHECK(go_format_value(Value::complex(1, 2)) == "(1+2i)");
  CHECK(go_format_value(Value::complex(0, -1.5)) == "(0-1.5i)");
  CHECK(go_format_value(S("str")) == "str");
  CHECK(go_format_value(D("[1, null, \"a\", [2.5]]")) == "[1 <nil> a [2.5]]");
  CHECK(go_format_value(D(R"({"b": {"c": 1e6}, "a": null, "10": 1, "9": 2})")) ==
        "map[10:1 9:2 a:<nil> b:map[c:1e+06]]");
  CHECK(go_format_value(Value::new_list()) == "[]");
  CHECK(go_format_value(Value::new_map()) == "map[]");
  CHECK(go_format_value(Value::nil_map()) == "map[]");
  CHECK(go_format_value(Value::nil_list()) == "[]");
  CHECK(go_format_value(SL({"b", "a"})) == "[b a]");
  CHECK(go_format_value(version()) == "1.2.3");
}

TEST_CASE("[]byte prints as numbers for %v and as text for %s %q %x", "[core][gofmt]") {
  CHECK(go_format_value(bytes("hi")) == "[104 105]");
  CHECK(go_sprintf("%s", {bytes("hi")}) == "hi");
  CHECK(go_sprintf("%q", {bytes("hi")}) == "\"hi\"");
  CHECK(go_sprintf("%x", {bytes("hi")}) == "6869");
  CHECK(go_sprintf("% X", {bytes("hi")}) == "68 69");
  CHECK(go_sprintf("%d", {bytes("hi")}) == "[104 105]");
  CHECK(go_sprintf("%o", {bytes("hi")}) == "[150 151]");
  CHECK(go_sprintf("%#v", {bytes("hi")}) == "[]uint8{0x68, 0x69}");
  CHECK(go_sprintf("%T", {bytes("")}) == "[]uint8");
  CHECK(go_sprintf("%.1s", {bytes("hi")}) == "h");
}

TEST_CASE("Sprint separates operands only when neither is a string", "[core][gofmt]") {
  CHECK(go_sprint({I(1), I(2), S("a"), S("b"), I(3)}) == "1 2ab3");
  CHECK(go_sprint({F(3), F(1.5), F(1e6)}) == "3 1.5 1e+06");
  CHECK(go_sprint({S("x"), Nil(), S("y"), Nil(), Nil()}) == "x<nil>y<nil> <nil>");
  CHECK(go_sprint({Nil()}) == "<nil>");
  CHECK(go_sprint({}) == "");
}

TEST_CASE("Sprintln separates all operands and ends with a newline", "[core][gofmt]") {
  CHECK(go_sprintln({I(1), S("a")}) == "1 a\n");
  CHECK(go_sprintln({S("a"), S("b"), Nil()}) == "a b <nil>\n");
  CHECK(go_sprintln({}) == "\n");
}

TEST_CASE("printf reports operand errors in band", "[core][gofmt]") {
  CHECK(go_sprintf("%d", {F(3)}) == "%!d(float64=3)");
  CHECK(go_sprintf("%s", {Nil()}) == "%!s(<nil>)");
  CHECK(go_sprintf("%s", {Value()}) == "%!s(<nil>)");
  CHECK(go_sprintf("%s", {B(true)}) == "%!s(bool=true)");
  CHECK(go_sprintf("%s %s", {S("a")}) == "a %!s(MISSING)");
  CHECK(go_sprintf("%s", {S("a"), S("b")}) == "a%!(EXTRA string=b)");
  CHECK(go_sprintf("%d", {I(1), I(2), Nil(), D("[1]")}) ==
        "1%!(EXTRA int=2, <nil>, []interface {}=[1])");
  CHECK(go_sprintf("%", {}) == "%!(NOVERB)");
  CHECK(go_sprintf("%z", {I(3)}) == "%!z(int=3)");
  CHECK(go_sprintf("%5z", {I(3)}) == "%!z(int=    3)");
  CHECK(go_sprintf("%e", {I(3)}) == "%!e(int=3)");
  CHECK(go_sprintf("%[3]s", {S("a")}) == "%!s(BADINDEX)");
  CHECK(go_sprintf("%*d", {S("x"), I(4)}) == "%!(BADWIDTH)4");
  CHECK(go_sprintf("%.*d", {S("x"), I(4)}) == "%!(BADPREC)4");
  CHECK(go_sprintf("%d", {version()}) == "%!d(*semver.Version=1.2.3)");
}

TEST_CASE("printf applies the verb to each element of lists and maps", "[core][gofmt]") {
  CHECK(go_sprintf("%s", {D("[1, \"a\"]")}) == "[%!s(float64=1) a]");
  CHECK(go_sprintf("%d", {D("{\"a\": 1}")}) == "map[%!d(string=a):%!d(float64=1)]");
  CHECK(go_sprintf("%d", {Value::new_list({I(1), Nil(), S("a")})}) == "[1 <nil> %!d(string=a)]");
  CHECK(go_sprintf("%q", {SL({"b", "a"})}) == "[\"b\" \"a\"]");
  CHECK(go_sprintf("%5v|", {D("[1, 2]")}) == "[    1     2]|");
  CHECK(go_sprintf("%#v", {D("{\"a\": [1, null]}")}) ==
        "map[string]interface {}{\"a\":[]interface {}{1, interface {}(nil)}}");
}

TEST_CASE("printf verbs on objects use their String form", "[core][gofmt]") {
  CHECK(go_sprintf("%s|%v|%q|%10s|%T", {version(), version(), version(), version(), version()}) ==
        "1.2.3|1.2.3|\"1.2.3\"|     1.2.3|*semver.Version");
}

TEST_CASE("printf of int64 and unsigned integers", "[core][gofmt]") {
  CHECK(go_sprintf("%d %T", {I64(-42), I64(1)}) == "-42 int64");
  CHECK(go_sprintf("%#v", {Value::uinteger(255, IntType::Uint8)}) == "0xff");
  CHECK(go_sprintf("%x", {Value::uinteger(18446744073709551615ULL)}) == "ffffffffffffffff");
  CHECK(go_sprintf("%d", {Value::uinteger(18446744073709551615ULL)}) == "18446744073709551615");
}

TEST_CASE("printf of complex numbers", "[core][gofmt]") {
  CHECK(go_sprintf("%v", {Value::complex(0, 1)}) == "(0+1i)");
  CHECK(go_sprintf("%.2f", {Value::complex(1.5, -2)}) == "(1.50-2.00i)");
  CHECK(go_sprintf("%T", {Value::complex(1, 1)}) == "complex128");
  CHECK(go_sprintf("%d", {Value::complex(1, 1)}) == "%!d(complex128=(1+1i))");
}

TEST_CASE("printf survives hostile widths and precisions", "[core][gofmt]") {
  CHECK(go_sprintf("%c", {I(0)}) == std::string(1, '\0'));
  CHECK(go_sprintf("%1000001d", {I(1)}).size() == 1000001);
  CHECK(go_sprintf("%99999999d", {I(1)}) == "%!(NOVERB)%!(EXTRA int=1)");
  CHECK(go_sprintf("%*d", {I(10000000), I(1)}) == "%!(BADWIDTH)1");
  CHECK(go_sprintf("%.1000000d", {I(1)}).size() == 1000000);
}

// The reference table below is plain constant data: eight hundred Value constructions in
// one function took GCC minutes to compile under ASan. These POD stand-ins for the helpers
// above hide them inside namespace ref, and to_value() builds the real operands.
namespace ref {

struct Arg {
  char kind;  // 0 = no operand
  long long i;
  double f;
  const char* s;
};
constexpr Arg I(long long v) { return {'i', v, 0, nullptr}; }
constexpr Arg I64(long long v) { return {'I', v, 0, nullptr}; }
constexpr Arg F(double v) { return {'f', 0, v, nullptr}; }
constexpr Arg S(const char* v) { return {'s', 0, 0, v}; }
constexpr Arg B(bool v) { return {'b', v, 0, nullptr}; }
constexpr Arg Nil() { return {'n', 0, 0, nullptr}; }
constexpr Arg D(const char* json) { return {'d', 0, 0, json}; }
constexpr Arg SL(const char* json_array) { return {'l', 0, 0, json_array}; }

struct Case {
  const char* format;
  Arg args[5];
  const char* want;
};

// Generated from the reference renderer (gotpl-ref printf) over a grid of
// verbs, flags and operands; kept verbatim, except that string lists (SL) are written as
// JSON arrays.
// clang-format off
constexpr Case kCases[] = {
    {"%d", {I(0LL)}, "0"},
    {"%d", {I(255LL)}, "255"},
    {"%d", {I(INT64_MIN)}, "-9223372036854775808"},
    {"%5d", {I(7LL)}, "    7"},
    {"%5d", {I(128512LL)}, "128512"},
    {"%-5d|", {I(1LL)}, "1    |"},
    {"%-5d|", {I(-255LL)}, "-255 |"},
    {"%-5d|", {I(9223372036854775807LL)}, "9223372036854775807|"},
    {"%05d", {I(42LL)}, "00042"},
    {"%05d", {I(1234567LL)}, "1234567"},
    {"%+d", {I(-1LL)}, "-1"},
    {"%+d", {I(65LL)}, "+65"},
    {"% d", {I(0LL)}, " 0"},
    {"% d", {I(255LL)}, " 255"},
    {"% d", {I(INT64_MIN)}, "-9223372036854775808"},
    {"%x", {I(7LL)}, "7"},
    {"%x", {I(128512LL)}, "1f600"},
    {"%X", {I(1LL)}, "1"},
    {"%X", {I(-255LL)}, "-FF"},
    {"%X", {I(9223372036854775807LL)}, "7FFFFFFFFFFFFFFF"},
    {"%#x", {I(42LL)}, "0x2a"},
    {"%#x", {I(1234567LL)}, "0x12d687"},
    {"%#X", {I(-1LL)}, "-0X1"},
    {"%#X", {I(65LL)}, "0X41"},
    {"%o", {I(0LL)}, "0"},
    {"%o", {I(255LL)}, "377"},
    {"%o", {I(INT64_MIN)}, "-1000000000000000000000"},
    {"%#o", {I(7LL)}, "07"},
    {"%#o", {I(128512LL)}, "0373000"},
    {"%O", {I(1LL)}, "0o1"},
    {"%O", {I(-255LL)}, "-0o377"},
    {"%O", {I(9223372036854775807LL)}, "0o777777777777777777777"},
    {"%b", {I(42LL)}, "101010"},
    {"%b", {I(1234567LL)}, "100101101011010000111"},
    {"%#b", {I(-1LL)}, "-0b1"},
    {"%#b", {I(65LL)}, "0b1000001"},
    {"%c", {I(255LL)}, "\303\277"},
    {"%c", {I(INT64_MIN)}, "\357\277\275"},
    {"%q", {I(7LL)}, "'\\a'"},
    {"%q", {I(128512LL)}, "'\360\237\230\200'"},
    {"%+q", {I(1LL)}, "'\\x01'"},
    {"%+q", {I(-255LL)}, "'\\ufffd'"},
    {"%+q", {I(9223372036854775807LL)}, "'\\ufffd'"},
    {"%U", {I(42LL)}, "U+002A"},
    {"%U", {I(1234567LL)}, "U+12D687"},
    {"%#U", {I(-1LL)}, "U+FFFFFFFFFFFFFFFF"},
    {"%#U", {I(65LL)}, "U+0041 'A'"},
    {"%v", {I(0LL)}, "0"},
    {"%v", {I(255LL)}, "255"},
    {"%v", {I(INT64_MIN)}, "-9223372036854775808"},
    {"%+v", {I(7LL)}, "7"},
    {"%+v", {I(128512LL)}, "128512"},
    {"%#v", {I(1LL)}, "1"},
    {"%#v", {I(-255LL)}, "-255"},
    {"%#v", {I(9223372036854775807LL)}, "9223372036854775807"},
    {"%s", {I(42LL)}, "%!s(int=42)"},
    {"%s", {I(1234567LL)}, "%!s(int=1234567)"},
    {"%e", {I(-1LL)}, "%!e(int=-1)"},
    {"%e", {I(65LL)}, "%!e(int=65)"},
    {"%f", {I(0LL)}, "%!f(int=0)"},
    {"%f", {I(255LL)}, "%!f(int=255)"},
    {"%f", {I(INT64_MIN)}, "%!f(int=-9223372036854775808)"},
    {"%.3d", {I(7LL)}, "007"},
    {"%.3d", {I(128512LL)}, "128512"},
    {"%8.3d", {I(1LL)}, "     001"},
    {"%8.3d", {I(-255LL)}, "    -255"},
    {"%8.3d", {I(9223372036854775807LL)}, "9223372036854775807"},
    {"%-08d|", {I(42LL)}, "42      |"},
    {"%-08d|", {I(1234567LL)}, "1234567 |"},
    {"%+05d", {I(-1LL)}, "-0001"},
    {"%+05d", {I(65LL)}, "+0065"},
    {"%t", {I(0LL)}, "%!t(int=0)"},
    {"%t", {I(255LL)}, "%!t(int=255)"},
    {"%t", {I(INT64_MIN)}, "%!t(int=-9223372036854775808)"},
    {"%T", {I(7LL)}, "int"},
    {"%T", {I(128512LL)}, "int"},
    {"% x", {I(1LL)}, " 1"},
    {"% x", {I(-255LL)}, "-ff"},
    {"% x", {I(9223372036854775807LL)}, " 7fffffffffffffff"},
    {"%.0d", {I(42LL)}, "42"},
    {"%.0d", {I(1234567LL)}, "1234567"},
    {"%5.0d|", {I(-1LL)}, "   -1|"},
    {"%5.0d|", {I(65LL)}, "   65|"},
    {"%#.3o", {I(0LL)}, "000"},
    {"%#.3o", {I(255LL)}, "0377"},
    {"%#.3o", {I(INT64_MIN)}, "-01000000000000000000000"},
    {"%08.3d", {I(7LL)}, "     007"},
    {"%08.3d", {I(128512LL)}, "  128512"},
    {"%x %X", {I(1LL), I(1LL)}, "1 1"},
    {"%x %X", {I(-255LL), I(-255LL)}, "-ff -FF"},
    {"%x %X", {I(9223372036854775807LL), I(9223372036854775807LL)},
     "7fffffffffffffff 7FFFFFFFFFFFFFFF"},
    {"%v", {F(1.5)}, "1.5"},
    {"%v", {F(1e+20)}, "1e+20"},
    {"%v", {F(1e-07)}, "1e-07"},
    {"%v", {F(0.6666666666666666)}, "0.6666666666666666"},
    {"%v", {F(999999.0)}, "999999"},
    {"%v", {F(1e+16)}, "1e+16"},
    {"%g", {F(-1.0)}, "-1"},
    {"%g", {F(1e+21)}, "1e+21"},
    {"%g", {F(0.000123)}, "0.000123"},
    {"%g", {F(0.3333333333333333)}, "0.3333333333333333"},
    {"%g", {F(123456.0)}, "123456"},
    {"%g", {F(1000000000000000.0)}, "1e+15"},
    {"%G", {F(1.0)}, "1"},
    {"%G", {F(1000000.0)}, "1E+06"},
    {"%G", {F(0.0001)}, "0.0001"},
    {"%G", {F(0.125)}, "0.125"},
    {"%G", {F(1.7976931348623157e+308)}, "1.7976931348623157E+308"},
    {"%G", {F(100.0)}, "100"},
    {"%e", {F(-0.0)}, "-0.000000e+00"},
    {"%e", {F(0.1)}, "1.000000e-01"},
    {"%e", {F(1e-05)}, "1.000000e-05"},
    {"%e", {F(2.5)}, "2.500000e+00"},
    {"%e", {F(5e-324)}, "4.940656e-324"},
    {"%e", {F(0.5)}, "5.000000e-01"},
    {"%E", {F(0.0)}, "0.000000E+00"},
    {"%E", {F(3.14159)}, "3.141590E+00"},
    {"%E", {F(123456789.0)}, "1.234568E+08"},
    {"%E", {F(16777216.0)}, "1.677722E+07"},
    {"%E", {F(1e+100)}, "1.000000E+100"},
    {"%E", {F(9999999.0)}, "9.999999E+06"},
    {"%E", {F(1.2345678901234567e+19)}, "1.234568E+19"},
    {"%f", {F(1.5)}, "1.500000"},
    {"%f", {F(1e+20)}, "100000000000000000000.000000"},
    {"%f", {F(1e-07)}, "0.000000"},
    {"%f", {F(0.6666666666666666)}, "0.666667"},
    {"%f", {F(999999.0)}, "999999.000000"},
    {"%f", {F(1e+16)}, "10000000000000000.000000"},
    {"%F", {F(-1.0)}, "-1.000000"},
    {"%F", {F(1e+21)}, "1000000000000000000000.000000"},
    {"%F", {F(0.000123)}, "0.000123"},
    {"%F", {F(0.3333333333333333)}, "0.333333"},
    {"%F", {F(123456.0)}, "123456.000000"},
    {"%F", {F(1000000000000000.0)}, "1000000000000000.000000"},
    {"%.2f", {F(1.0)}, "1.00"},
    {"%.2f", {F(1000000.0)}, "1000000.00"},
    {"%.2f", {F(0.0001)}, "0.00"},
    {"%.2f", {F(0.125)}, "0.12"},
    {"%.2f", {F(100.0)}, "100.00"},
    {"%5.2f", {F(-0.0)}, "-0.00"},
    {"%5.2f", {F(0.1)}, " 0.10"},
    {"%5.2f", {F(1e-05)}, " 0.00"},
    {"%5.2f", {F(2.5)}, " 2.50"},
    {"%5.2f", {F(5e-324)}, " 0.00"},
    {"%5.2f", {F(0.5)}, " 0.50"},
    {"%-8.3f|", {F(0.0)}, "0.000   |"},
    {"%-8.3f|", {F(3.14159)}, "3.142   |"},
    {"%-8.3f|", {F(123456789.0)}, "123456789.000|"},
    {"%-8.3f|", {F(16777216.0)}, "16777216.000|"},
    {"%-8.3f|", {F(1e+100)},
     "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699"
     "85856815104.000|"},
    {"%-8.3f|", {F(9999999.0)}, "9999999.000|"},
    {"%-8.3f|", {F(1.2345678901234567e+19)}, "12345678901234567168.000|"},
    {"%08.3f", {F(1.5)}, "0001.500"},
    {"%08.3f", {F(1e+20)}, "100000000000000000000.000"},
    {"%08.3f", {F(1e-07)}, "0000.000"},
    {"%08.3f", {F(0.6666666666666666)}, "0000.667"},
    {"%08.3f", {F(999999.0)}, "999999.000"},
    {"%08.3f", {F(1e+16)}, "10000000000000000.000"},
    {"%+.1e", {F(-1.0)}, "-1.0e+00"},
    {"%+.1e", {F(1e+21)}, "+1.0e+21"},
    {"%+.1e", {F(0.000123)}, "+1.2e-04"},
    {"%+.1e", {F(0.3333333333333333)}, "+3.3e-01"},
    {"%+.1e", {F(123456.0)}, "+1.2e+05"},
    {"%+.1e", {F(1000000000000000.0)}, "+1.0e+15"},
    {"%.3g", {F(1.0)}, "1"},
    {"%.3g", {F(1000000.0)}, "1e+06"},
    {"%.3g", {F(0.0001)}, "0.0001"},
    {"%.3g", {F(0.125)}, "0.125"},
    {"%.3g", {F(1.7976931348623157e+308)}, "1.8e+308"},
    {"%.3g", {F(100.0)}, "100"},
    {"%.10g", {F(-0.0)}, "-0"},
    {"%.10g", {F(0.1)}, "0.1"},
    {"%.10g", {F(1e-05)}, "1e-05"},
    {"%.10g", {F(2.5)}, "2.5"},
    {"%.10g", {F(5e-324)}, "4.940656458e-324"},
    {"%.10g", {F(0.5)}, "0.5"},
    {"%10.4v", {F(0.0)}, "         0"},
    {"%10.4v", {F(3.14159)}, "     3.142"},
    {"%10.4v", {F(123456789.0)}, " 1.235e+08"},
    {"%10.4v", {F(16777216.0)}, " 1.678e+07"},
    {"%10.4v", {F(1e+100)}, "    1e+100"},
    {"%10.4v", {F(9999999.0)}, "     1e+07"},
    {"%10.4v", {F(1.2345678901234567e+19)}, " 1.235e+19"},
    {"%#g", {F(1.5)}, "1.50000"},
    {"%#g", {F(1e+20)}, "1.00000e+20"},
    {"%#g", {F(1e-07)}, "1.00000e-07"},
    {"%#g", {F(0.6666666666666666)}, "0.6666666666666666"},
    {"%#g", {F(999999.0)}, "999999."},
    {"%#g", {F(1e+16)}, "1.00000e+16"},
    {"%#v", {F(-1.0)}, "-1"},
    {"%#v", {F(1e+21)}, "1e+21"},
    {"%#v", {F(0.000123)}, "0.000123"},
    {"%#v", {F(0.3333333333333333)}, "0.3333333333333333"},
    {"%#v", {F(123456.0)}, "123456"},
    {"%#v", {F(1000000000000000.0)}, "1e+15"},
    {"%#.3g", {F(1.0)}, "1.00"},
    {"%#.3g", {F(1000000.0)}, "1.00e+06"},
    {"%#.3g", {F(0.0001)}, "0.000100"},
    {"%#.3g", {F(0.125)}, "0.125"},
    {"%#.3g", {F(1.7976931348623157e+308)}, "1.80e+308"},
    {"%#.3g", {F(100.0)}, "100."},
    {"%#e", {F(-0.0)}, "-0.000000e+00"},
    {"%#e", {F(0.1)}, "1.000000e-01"},
    {"%#e", {F(1e-05)}, "1.000000e-05"},
    {"%#e", {F(2.5)}, "2.500000e+00"},
    {"%#e", {F(5e-324)}, "4.940656e-324"},
    {"%#e", {F(0.5)}, "5.000000e-01"},
    {"%#f", {F(0.0)}, "0.000000"},
    {"%#f", {F(3.14159)}, "3.141590"},
    {"%#f", {F(123456789.0)}, "123456789.000000"},
    {"%#f", {F(16777216.0)}, "16777216.000000"},
    {"%#f", {F(1e+100)},
     "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699"
     "85856815104.000000"},
    {"%#f", {F(9999999.0)}, "9999999.000000"},
    {"%#f", {F(1.2345678901234567e+19)}, "12345678901234567168.000000"},
    {"%.0e", {F(1.5)}, "2e+00"},
    {"%.0e", {F(1e+20)}, "1e+20"},
    {"%.0e", {F(1e-07)}, "1e-07"},
    {"%.0e", {F(0.6666666666666666)}, "7e-01"},
    {"%.0e", {F(999999.0)}, "1e+06"},
    {"%.0e", {F(1e+16)}, "1e+16"},
    {"%.0f", {F(-1.0)}, "-1"},
    {"%.0f", {F(1e+21)}, "1000000000000000000000"},
    {"%.0f", {F(0.000123)}, "0"},
    {"%.0f", {F(0.3333333333333333)}, "0"},
    {"%.0f", {F(123456.0)}, "123456"},
    {"%.0f", {F(1000000000000000.0)}, "1000000000000000"},
    {"%#.0f", {F(1.0)}, "1."},
    {"%#.0f", {F(1000000.0)}, "1000000."},
    {"%#.0f", {F(0.0001)}, "0."},
    {"%#.0f", {F(0.125)}, "0."},
    {"%#.0f", {F(100.0)}, "100."},
    {"%.0g", {F(-0.0)}, "-0"},
    {"%.0g", {F(0.1)}, "0.1"},
    {"%.0g", {F(1e-05)}, "1e-05"},
    {"%.0g", {F(2.5)}, "2"},
    {"%.0g", {F(5e-324)}, "5e-324"},
    {"%.0g", {F(0.5)}, "0.5"},
    {"%b", {F(0.0)}, "0p-1074"},
    {"%b", {F(3.14159)}, "7074231776675438p-51"},
    {"%b", {F(123456789.0)}, "8285044862877696p-26"},
    {"%b", {F(16777216.0)}, "4503599627370496p-28"},
    {"%b", {F(1e+100)}, "5147557589468029p+280"},
    {"%b", {F(9999999.0)}, "5368708583129088p-29"},
    {"%b", {F(1.2345678901234567e+19)}, "6028163525993441p+11"},
    {"%x", {F(1.5)}, "0x1.8p+00"},
    {"%x", {F(1e+20)}, "0x1.5af1d78b58c4p+66"},
    {"%x", {F(1e-07)}, "0x1.ad7f29abcaf48p-24"},
    {"%x", {F(0.6666666666666666)}, "0x1.5555555555555p-01"},
    {"%x", {F(999999.0)}, "0x1.e847ep+19"},
    {"%x", {F(1e+16)}, "0x1.1c37937e08p+53"},
    {"%X", {F(-1.0)}, "-0X1P+00"},
    {"%X", {F(1e+21)}, "0X1.B1AE4D6E2EF5P+69"},
    {"%X", {F(0.000123)}, "0X1.01F31F46ED246P-13"},
    {"%X", {F(0.3333333333333333)}, "0X1.5555555555555P-02"},
    {"%X", {F(123456.0)}, "0X1.E24P+16"},
    {"%X", {F(1000000000000000.0)}, "0X1.C6BF52634P+49"},
    {"%.3x", {F(1.0)}, "0x1.000p+00"},
    {"%.3x", {F(1000000.0)}, "0x1.e84p+19"},
    {"%.3x", {F(0.0001)}, "0x1.a37p-14"},
    {"%.3x", {F(0.125)}, "0x1.000p-03"},
    {"%.3x", {F(1.7976931348623157e+308)}, "0x1.000p+1024"},
    {"%.3x", {F(100.0)}, "0x1.900p+06"},
    {"%+f", {F(-0.0)}, "-0.000000"},
    {"%+f", {F(0.1)}, "+0.100000"},
    {"%+f", {F(1e-05)}, "+0.000010"},
    {"%+f", {F(2.5)}, "+2.500000"},
    {"%+f", {F(5e-324)}, "+0.000000"},
    {"%+f", {F(0.5)}, "+0.500000"},
    {"% f", {F(0.0)}, " 0.000000"},
    {"% f", {F(3.14159)}, " 3.141590"},
    {"% f", {F(123456789.0)}, " 123456789.000000"},
    {"% f", {F(16777216.0)}, " 16777216.000000"},
    {"% f", {F(1e+100)},
     " 10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469"
     "985856815104.000000"},
    {"% f", {F(9999999.0)}, " 9999999.000000"},
    {"% f", {F(1.2345678901234567e+19)}, " 12345678901234567168.000000"},
    {"%+v", {F(1.5)}, "1.5"},
    {"%+v", {F(1e+20)}, "1e+20"},
    {"%+v", {F(1e-07)}, "1e-07"},
    {"%+v", {F(0.6666666666666666)}, "0.6666666666666666"},
    {"%+v", {F(999999.0)}, "999999"},
    {"%+v", {F(1e+16)}, "1e+16"},
    {"%d", {F(-1.0)}, "%!d(float64=-1)"},
    {"%d", {F(1e+21)}, "%!d(float64=1e+21)"},
    {"%d", {F(0.000123)}, "%!d(float64=0.000123)"},
    {"%d", {F(0.3333333333333333)}, "%!d(float64=0.3333333333333333)"},
    {"%d", {F(123456.0)}, "%!d(float64=123456)"},
    {"%d", {F(1000000000000000.0)}, "%!d(float64=1e+15)"},
    {"%s", {F(1.0)}, "%!s(float64=1)"},
    {"%s", {F(1000000.0)}, "%!s(float64=1e+06)"},
    {"%s", {F(0.0001)}, "%!s(float64=0.0001)"},
    {"%s", {F(0.125)}, "%!s(float64=0.125)"},
    {"%s", {F(1.7976931348623157e+308)}, "%!s(float64=1.7976931348623157e+308)"},
    {"%s", {F(100.0)}, "%!s(float64=100)"},
    {"%q", {F(-0.0)}, "%!q(float64=-0)"},
    {"%q", {F(0.1)}, "%!q(float64=0.1)"},
    {"%q", {F(1e-05)}, "%!q(float64=1e-05)"},
    {"%q", {F(2.5)}, "%!q(float64=2.5)"},
    {"%q", {F(5e-324)}, "%!q(float64=5e-324)"},
    {"%q", {F(0.5)}, "%!q(float64=0.5)"},
    {"%T", {F(0.0)}, "float64"},
    {"%T", {F(3.14159)}, "float64"},
    {"%T", {F(123456789.0)}, "float64"},
    {"%T", {F(16777216.0)}, "float64"},
    {"%T", {F(1e+100)}, "float64"},
    {"%T", {F(9999999.0)}, "float64"},
    {"%T", {F(1.2345678901234567e+19)}, "float64"},
    {"%.20f", {F(1.5)}, "1.50000000000000000000"},
    {"%.20f", {F(1e+20)}, "100000000000000000000.00000000000000000000"},
    {"%.20f", {F(1e-07)}, "0.00000010000000000000"},
    {"%.20f", {F(0.6666666666666666)}, "0.66666666666666662966"},
    {"%.20f", {F(999999.0)}, "999999.00000000000000000000"},
    {"%.20f", {F(1e+16)}, "10000000000000000.00000000000000000000"},
    {"%.17g", {F(-1.0)}, "-1"},
    {"%.17g", {F(1e+21)}, "1e+21"},
    {"%.17g", {F(0.000123)}, "0.00012300000000000001"},
    {"%.17g", {F(0.3333333333333333)}, "0.33333333333333331"},
    {"%.17g", {F(123456.0)}, "123456"},
    {"%.17g", {F(1000000000000000.0)}, "1000000000000000"},
    {"%.30e", {F(1.0)}, "1.000000000000000000000000000000e+00"},
    {"%.30e", {F(1000000.0)}, "1.000000000000000000000000000000e+06"},
    {"%.30e", {F(0.0001)}, "1.000000000000000047921736023859e-04"},
    {"%.30e", {F(0.125)}, "1.250000000000000000000000000000e-01"},
    {"%.30e", {F(1.7976931348623157e+308)}, "1.797693134862315708145274237317e+308"},
    {"%.30e", {F(100.0)}, "1.000000000000000000000000000000e+02"},
    {"%010.2f", {F(-0.0)}, "-000000.00"},
    {"%010.2f", {F(0.1)}, "0000000.10"},
    {"%010.2f", {F(1e-05)}, "0000000.00"},
    {"%010.2f", {F(2.5)}, "0000002.50"},
    {"%010.2f", {F(5e-324)}, "0000000.00"},
    {"%010.2f", {F(0.5)}, "0000000.50"},
    {"%-10v|", {F(0.0)}, "0         |"},
    {"%-10v|", {F(3.14159)}, "3.14159   |"},
    {"%-10v|", {F(123456789.0)}, "1.23456789e+08|"},
    {"%-10v|", {F(16777216.0)}, "1.6777216e+07|"},
    {"%-10v|", {F(1e+100)}, "1e+100    |"},
    {"%-10v|", {F(9999999.0)}, "9.999999e+06|"},
    {"%-10v|", {F(1.2345678901234567e+19)}, "1.2345678901234567e+19|"},
    {"% .3e", {F(1.5)}, " 1.500e+00"},
    {"% .3e", {F(1e+20)}, " 1.000e+20"},
    {"% .3e", {F(1e-07)}, " 1.000e-07"},
    {"% .3e", {F(0.6666666666666666)}, " 6.667e-01"},
    {"% .3e", {F(999999.0)}, " 1.000e+06"},
    {"% .3e", {F(1e+16)}, " 1.000e+16"},
    {"%s", {S("h\303\251llo")}, "h\303\251llo"},
    {"%s", {S("\302\240nbsp")}, "\302\240nbsp"},
    {"%s", {S("it's")}, "it's"},
    {"%v", {S("tab\011here")}, "tab\011here"},
    {"%v", {S("\360\237\230\200")}, "\360\237\230\200"},
    {"%q", {S("")}, "\"\""},
    {"%q", {S("new\012line")}, "\"new\\nline\""},
    {"%q", {S("ab\\c")}, "\"ab\\\\c\""},
    {"%#q", {S("str")}, "`str`"},
    {"%#q", {S("\007\177")}, "\"\\a\\x7f\""},
    {"%#q", {S("\342\200\250")}, "`\342\200\250`"},
    {"%+q", {S("a\"b")}, "\"a\\\"b\""},
    {"%+q", {S("back`tick")}, "\"back`tick\""},
    {"%+q", {S("\357\273\277bom")}, "\"\\ufeffbom\""},
    {"%x", {S("h\303\251llo")}, "68c3a96c6c6f"},
    {"%x", {S("\302\240nbsp")}, "c2a06e627370"},
    {"%x", {S("it's")}, "69742773"},
    {"%X", {S("tab\011here")}, "7461620968657265"},
    {"%X", {S("\360\237\230\200")}, "F09F9880"},
    {"% x", {S("")}, ""},
    {"% x", {S("new\012line")}, "6e 65 77 0a 6c 69 6e 65"},
    {"% x", {S("ab\\c")}, "61 62 5c 63"},
    {"%# x", {S("str")}, "0x73 0x74 0x72"},
    {"%# x", {S("\007\177")}, "0x07 0x7f"},
    {"%# x", {S("\342\200\250")}, "0xe2 0x80 0xa8"},
    {"%#x", {S("a\"b")}, "0x612262"},
    {"%#x", {S("back`tick")}, "0x6261636b607469636b"},
    {"%#x", {S("\357\273\277bom")}, "0xefbbbf626f6d"},
    {"%10s|", {S("h\303\251llo")}, "     h\303\251llo|"},
    {"%10s|", {S("\302\240nbsp")}, "     \302\240nbsp|"},
    {"%10s|", {S("it's")}, "      it's|"},
    {"%-10s|", {S("tab\011here")}, "tab\011here  |"},
    {"%-10s|", {S("\360\237\230\200")}, "\360\237\230\200         |"},
    {"%.2s", {S("")}, ""},
    {"%.2s", {S("new\012line")}, "ne"},
    {"%.2s", {S("ab\\c")}, "ab"},
    {"%5.1s|", {S("str")}, "    s|"},
    {"%5.1s|", {S("\007\177")}, "    \007|"},
    {"%5.1s|", {S("\342\200\250")}, "    \342\200\250|"},
    {"%d", {S("a\"b")}, "%!d(string=a\"b)"},
    {"%d", {S("back`tick")}, "%!d(string=back`tick)"},
    {"%d", {S("\357\273\277bom")}, "%!d(string=\357\273\277bom)"},
    {"%T", {S("h\303\251llo")}, "string"},
    {"%T", {S("\302\240nbsp")}, "string"},
    {"%T", {S("it's")}, "string"},
    {"%#v", {S("tab\011here")}, "\"tab\\there\""},
    {"%#v", {S("\360\237\230\200")}, "\"\360\237\230\200\""},
    {"%010s", {S("")}, "0000000000"},
    {"%010s", {S("new\012line")}, "00new\012line"},
    {"%010s", {S("ab\\c")}, "000000ab\\c"},
    {"%.3q", {S("str")}, "\"str\""},
    {"%.3q", {S("\007\177")}, "\"\\a\\x7f\""},
    {"%.3q", {S("\342\200\250")}, "\"\\u2028\""},
    {"%.1x", {S("a\"b")}, "61"},
    {"%.1x", {S("back`tick")}, "62"},
    {"%.1x", {S("\357\273\277bom")}, "ef"},
    {"%c", {S("h\303\251llo")}, "%!c(string=h\303\251llo)"},
    {"%c", {S("\302\240nbsp")}, "%!c(string=\302\240nbsp)"},
    {"%c", {S("it's")}, "%!c(string=it's)"},
    {"%08q", {S("tab\011here")}, "\"tab\\there\""},
    {"%08q", {S("\360\237\230\200")}, "00000\"\360\237\230\200\""},
    {"%t", {B(true)}, "true"},
    {"%t", {B(false)}, "false"},
    {"%v", {B(true)}, "true"},
    {"%v", {B(false)}, "false"},
    {"%s", {B(true)}, "%!s(bool=true)"},
    {"%s", {B(false)}, "%!s(bool=false)"},
    {"%d", {B(true)}, "%!d(bool=true)"},
    {"%d", {B(false)}, "%!d(bool=false)"},
    {"%5t|", {B(true)}, " true|"},
    {"%5t|", {B(false)}, "false|"},
    {"%-6v|", {B(true)}, "true  |"},
    {"%-6v|", {B(false)}, "false |"},
    {"%q", {B(true)}, "%!q(bool=true)"},
    {"%q", {B(false)}, "%!q(bool=false)"},
    {"%T", {B(true)}, "bool"},
    {"%T", {B(false)}, "bool"},
    {"%#v", {B(true)}, "true"},
    {"%#v", {B(false)}, "false"},
    {"%v", {Nil()}, "<nil>"},
    {"%s", {Nil()}, "%!s(<nil>)"},
    {"%d", {Nil()}, "%!d(<nil>)"},
    {"%T", {Nil()}, "<nil>"},
    {"%q", {Nil()}, "%!q(<nil>)"},
    {"%#v", {Nil()}, "<nil>"},
    {"%+v", {Nil()}, "<nil>"},
    {"%5v|", {Nil()}, "<nil>|"},
    {"%x", {Nil()}, "%!x(<nil>)"},
    {"%v", {D("[1, 2, 3]")}, "[1 2 3]"},
    {"%v", {D("[]")}, "[]"},
    {"%v", {D("[\"b\", \"a\"]")}, "[b a]"},
    {"%v", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[b:map[c:deep] x:1 y:two]"},
    {"%v", {D("{}")}, "map[]"},
    {"%v", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[1 <nil> a true [2.5 map[k:<nil>]]]"},
    {"%v", {D("{\"a\": null}")}, "map[a:<nil>]"},
    {"%v", {D("[[1, 2], [3]]")}, "[[1 2] [3]]"},
    {"%v", {D("[1000000.0, 0.1]")}, "[1e+06 0.1]"},
    {"%+v", {D("[1, 2, 3]")}, "[1 2 3]"},
    {"%+v", {D("[]")}, "[]"},
    {"%+v", {D("[\"b\", \"a\"]")}, "[b a]"},
    {"%+v", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[b:map[c:deep] x:1 y:two]"},
    {"%+v", {D("{}")}, "map[]"},
    {"%+v", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[1 <nil> a true [2.5 map[k:<nil>]]]"},
    {"%+v", {D("{\"a\": null}")}, "map[a:<nil>]"},
    {"%+v", {D("[[1, 2], [3]]")}, "[[1 2] [3]]"},
    {"%+v", {D("[1000000.0, 0.1]")}, "[1e+06 0.1]"},
    {"%#v", {D("[1, 2, 3]")}, "[]interface {}{1, 2, 3}"},
    {"%#v", {D("[]")}, "[]interface {}{}"},
    {"%#v", {D("[\"b\", \"a\"]")}, "[]interface {}{\"b\", \"a\"}"},
    {"%#v", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[string]interface {}{\"b\":map[string]interface {}{\"c\":\"deep\"}, \"x\":1, \"y\":\"tw"
     "o\"}"},
    {"%#v", {D("{}")}, "map[string]interface {}{}"},
    {"%#v", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[]interface {}{1, interface {}(nil), \"a\", true, []interface {}{2.5, map[string]interface"
     " {}{\"k\":interface {}(nil)}}}"},
    {"%#v", {D("{\"a\": null}")}, "map[string]interface {}{\"a\":interface {}(nil)}"},
    {"%#v", {D("[[1, 2], [3]]")}, "[]interface {}{[]interface {}{1, 2}, []interface {}{3}}"},
    {"%#v", {D("[1000000.0, 0.1]")}, "[]interface {}{1e+06, 0.1}"},
    {"%s", {D("[1, 2, 3]")}, "[%!s(float64=1) %!s(float64=2) %!s(float64=3)]"},
    {"%s", {D("[]")}, "[]"},
    {"%s", {D("[\"b\", \"a\"]")}, "[b a]"},
    {"%s", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[b:map[c:deep] x:%!s(float64=1) y:two]"},
    {"%s", {D("{}")}, "map[]"},
    {"%s", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!s(float64=1) <nil> a %!s(bool=true) [%!s(float64=2.5) map[k:<nil>]]]"},
    {"%s", {D("{\"a\": null}")}, "map[a:<nil>]"},
    {"%s", {D("[[1, 2], [3]]")}, "[[%!s(float64=1) %!s(float64=2)] [%!s(float64=3)]]"},
    {"%s", {D("[1000000.0, 0.1]")}, "[%!s(float64=1e+06) %!s(float64=0.1)]"},
    {"%d", {D("[1, 2, 3]")}, "[%!d(float64=1) %!d(float64=2) %!d(float64=3)]"},
    {"%d", {D("[]")}, "[]"},
    {"%d", {D("[\"b\", \"a\"]")}, "[%!d(string=b) %!d(string=a)]"},
    {"%d", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!d(string=b):map[%!d(string=c):%!d(string=deep)] %!d(string=x):%!d(float64=1) %!d(str"
     "ing=y):%!d(string=two)]"},
    {"%d", {D("{}")}, "map[]"},
    {"%d", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!d(float64=1) <nil> %!d(string=a) %!d(bool=true) [%!d(float64=2.5) map[%!d(string=k):<ni"
     "l>]]]"},
    {"%d", {D("{\"a\": null}")}, "map[%!d(string=a):<nil>]"},
    {"%d", {D("[[1, 2], [3]]")}, "[[%!d(float64=1) %!d(float64=2)] [%!d(float64=3)]]"},
    {"%d", {D("[1000000.0, 0.1]")}, "[%!d(float64=1e+06) %!d(float64=0.1)]"},
    {"%q", {D("[1, 2, 3]")}, "[%!q(float64=1) %!q(float64=2) %!q(float64=3)]"},
    {"%q", {D("[]")}, "[]"},
    {"%q", {D("[\"b\", \"a\"]")}, "[\"b\" \"a\"]"},
    {"%q", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[\"b\":map[\"c\":\"deep\"] \"x\":%!q(float64=1) \"y\":\"two\"]"},
    {"%q", {D("{}")}, "map[]"},
    {"%q", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!q(float64=1) <nil> \"a\" %!q(bool=true) [%!q(float64=2.5) map[\"k\":<nil>]]]"},
    {"%q", {D("{\"a\": null}")}, "map[\"a\":<nil>]"},
    {"%q", {D("[[1, 2], [3]]")}, "[[%!q(float64=1) %!q(float64=2)] [%!q(float64=3)]]"},
    {"%q", {D("[1000000.0, 0.1]")}, "[%!q(float64=1e+06) %!q(float64=0.1)]"},
    {"%x", {D("[1, 2, 3]")}, "[0x1p+00 0x1p+01 0x1.8p+01]"},
    {"%x", {D("[]")}, "[]"},
    {"%x", {D("[\"b\", \"a\"]")}, "[62 61]"},
    {"%x", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[62:map[63:64656570] 78:0x1p+00 79:74776f]"},
    {"%x", {D("{}")}, "map[]"},
    {"%x", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[0x1p+00 <nil> 61 %!x(bool=true) [0x1.4p+01 map[6b:<nil>]]]"},
    {"%x", {D("{\"a\": null}")}, "map[61:<nil>]"},
    {"%x", {D("[[1, 2], [3]]")}, "[[0x1p+00 0x1p+01] [0x1.8p+01]]"},
    {"%x", {D("[1000000.0, 0.1]")}, "[0x1.e848p+19 0x1.999999999999ap-04]"},
    {"%X", {D("[1, 2, 3]")}, "[0X1P+00 0X1P+01 0X1.8P+01]"},
    {"%X", {D("[]")}, "[]"},
    {"%X", {D("[\"b\", \"a\"]")}, "[62 61]"},
    {"%X", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[62:map[63:64656570] 78:0X1P+00 79:74776F]"},
    {"%X", {D("{}")}, "map[]"},
    {"%X", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[0X1P+00 <nil> 61 %!X(bool=true) [0X1.4P+01 map[6B:<nil>]]]"},
    {"%X", {D("{\"a\": null}")}, "map[61:<nil>]"},
    {"%X", {D("[[1, 2], [3]]")}, "[[0X1P+00 0X1P+01] [0X1.8P+01]]"},
    {"%X", {D("[1000000.0, 0.1]")}, "[0X1.E848P+19 0X1.999999999999AP-04]"},
    {"%5v", {D("[1, 2, 3]")}, "[    1     2     3]"},
    {"%5v", {D("[]")}, "[]"},
    {"%5v", {D("[\"b\", \"a\"]")}, "[    b     a]"},
    {"%5v", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[    b:map[    c: deep]     x:    1     y:  two]"},
    {"%5v", {D("{}")}, "map[]"},
    {"%5v", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[    1 <nil>     a  true [  2.5 map[    k:<nil>]]]"},
    {"%5v", {D("{\"a\": null}")}, "map[    a:<nil>]"},
    {"%5v", {D("[[1, 2], [3]]")}, "[[    1     2] [    3]]"},
    {"%5v", {D("[1000000.0, 0.1]")}, "[1e+06   0.1]"},
    {"%T", {D("[1, 2, 3]")}, "[]interface {}"},
    {"%T", {D("[]")}, "[]interface {}"},
    {"%T", {D("[\"b\", \"a\"]")}, "[]interface {}"},
    {"%T", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")}, "map[string]interface {}"},
    {"%T", {D("{}")}, "map[string]interface {}"},
    {"%T", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")}, "[]interface {}"},
    {"%T", {D("{\"a\": null}")}, "map[string]interface {}"},
    {"%T", {D("[[1, 2], [3]]")}, "[]interface {}"},
    {"%T", {D("[1000000.0, 0.1]")}, "[]interface {}"},
    {"%.1f", {D("[1, 2, 3]")}, "[1.0 2.0 3.0]"},
    {"%.1f", {D("[]")}, "[]"},
    {"%.1f", {D("[\"b\", \"a\"]")}, "[%!f(string=b) %!f(string=a)]"},
    {"%.1f", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!f(string=b):map[%!f(string=c):%!f(string=d)] %!f(string=x):1.0 %!f(string=y):%!f(str"
     "ing=t)]"},
    {"%.1f", {D("{}")}, "map[]"},
    {"%.1f", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[1.0 <nil> %!f(string=a) %!f(bool=true) [2.5 map[%!f(string=k):<nil>]]]"},
    {"%.1f", {D("{\"a\": null}")}, "map[%!f(string=a):<nil>]"},
    {"%.1f", {D("[[1, 2], [3]]")}, "[[1.0 2.0] [3.0]]"},
    {"%.1f", {D("[1000000.0, 0.1]")}, "[1000000.0 0.1]"},
    {"%t", {D("[1, 2, 3]")}, "[%!t(float64=1) %!t(float64=2) %!t(float64=3)]"},
    {"%t", {D("[]")}, "[]"},
    {"%t", {D("[\"b\", \"a\"]")}, "[%!t(string=b) %!t(string=a)]"},
    {"%t", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!t(string=b):map[%!t(string=c):%!t(string=deep)] %!t(string=x):%!t(float64=1) %!t(str"
     "ing=y):%!t(string=two)]"},
    {"%t", {D("{}")}, "map[]"},
    {"%t", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!t(float64=1) <nil> %!t(string=a) true [%!t(float64=2.5) map[%!t(string=k):<nil>]]]"},
    {"%t", {D("{\"a\": null}")}, "map[%!t(string=a):<nil>]"},
    {"%t", {D("[[1, 2], [3]]")}, "[[%!t(float64=1) %!t(float64=2)] [%!t(float64=3)]]"},
    {"%t", {D("[1000000.0, 0.1]")}, "[%!t(float64=1e+06) %!t(float64=0.1)]"},
    {"%05d", {D("[1, 2, 3]")}, "[%!d(float64=00001) %!d(float64=00002) %!d(float64=00003)]"},
    {"%05d", {D("[]")}, "[]"},
    {"%05d", {D("[\"b\", \"a\"]")}, "[%!d(string=0000b) %!d(string=0000a)]"},
    {"%05d", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!d(string=0000b):map[%!d(string=0000c):%!d(string=0deep)] %!d(string=0000x):%!d(float"
     "64=00001) %!d(string=0000y):%!d(string=00two)]"},
    {"%05d", {D("{}")}, "map[]"},
    {"%05d", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!d(float64=00001) <nil> %!d(string=0000a) %!d(bool=0true) [%!d(float64=002.5) map[%!d(st"
     "ring=0000k):<nil>]]]"},
    {"%05d", {D("{\"a\": null}")}, "map[%!d(string=0000a):<nil>]"},
    {"%05d", {D("[[1, 2], [3]]")},
     "[[%!d(float64=00001) %!d(float64=00002)] [%!d(float64=00003)]]"},
    {"%05d", {D("[1000000.0, 0.1]")}, "[%!d(float64=1e+06) %!d(float64=000.1)]"},
    {"%-4v|", {D("[1, 2, 3]")}, "[1    2    3   ]|"},
    {"%-4v|", {D("[]")}, "[]|"},
    {"%-4v|", {D("[\"b\", \"a\"]")}, "[b    a   ]|"},
    {"%-4v|", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[b   :map[c   :deep] x   :1    y   :two ]|"},
    {"%-4v|", {D("{}")}, "map[]|"},
    {"%-4v|", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[1    <nil> a    true [2.5  map[k   :<nil>]]]|"},
    {"%-4v|", {D("{\"a\": null}")}, "map[a   :<nil>]|"},
    {"%-4v|", {D("[[1, 2], [3]]")}, "[[1    2   ] [3   ]]|"},
    {"%-4v|", {D("[1000000.0, 0.1]")}, "[1e+06 0.1 ]|"},
    {"%e", {D("[1, 2, 3]")}, "[1.000000e+00 2.000000e+00 3.000000e+00]"},
    {"%e", {D("[]")}, "[]"},
    {"%e", {D("[\"b\", \"a\"]")}, "[%!e(string=b) %!e(string=a)]"},
    {"%e", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!e(string=b):map[%!e(string=c):%!e(string=deep)] %!e(string=x):1.000000e+00 %!e(strin"
     "g=y):%!e(string=two)]"},
    {"%e", {D("{}")}, "map[]"},
    {"%e", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[1.000000e+00 <nil> %!e(string=a) %!e(bool=true) [2.500000e+00 map[%!e(string=k):<nil>]]]"},
    {"%e", {D("{\"a\": null}")}, "map[%!e(string=a):<nil>]"},
    {"%e", {D("[[1, 2], [3]]")}, "[[1.000000e+00 2.000000e+00] [3.000000e+00]]"},
    {"%e", {D("[1000000.0, 0.1]")}, "[1.000000e+06 1.000000e-01]"},
    {"%c", {D("[1, 2, 3]")}, "[%!c(float64=1) %!c(float64=2) %!c(float64=3)]"},
    {"%c", {D("[]")}, "[]"},
    {"%c", {D("[\"b\", \"a\"]")}, "[%!c(string=b) %!c(string=a)]"},
    {"%c", {D("{\"x\": 1, \"y\": \"two\", \"b\": {\"c\": \"deep\"}}")},
     "map[%!c(string=b):map[%!c(string=c):%!c(string=deep)] %!c(string=x):%!c(float64=1) %!c(str"
     "ing=y):%!c(string=two)]"},
    {"%c", {D("{}")}, "map[]"},
    {"%c", {D("[1, null, \"a\", true, [2.5, {\"k\": null}]]")},
     "[%!c(float64=1) <nil> %!c(string=a) %!c(bool=true) [%!c(float64=2.5) map[%!c(string=k):<ni"
     "l>]]]"},
    {"%c", {D("{\"a\": null}")}, "map[%!c(string=a):<nil>]"},
    {"%c", {D("[[1, 2], [3]]")}, "[[%!c(float64=1) %!c(float64=2)] [%!c(float64=3)]]"},
    {"%c", {D("[1000000.0, 0.1]")}, "[%!c(float64=1e+06) %!c(float64=0.1)]"},
    {"%q", {SL(R"(["b", "a", "c"])")}, "[\"b\" \"a\" \"c\"]"},
    {"%x", {SL(R"(["b", "a", "c"])")}, "[62 61 63]"},
    {"%T", {SL(R"(["b", "a", "c"])")}, "[]string"},
    {"%d", {SL(R"(["b", "a", "c"])")}, "[%!d(string=b) %!d(string=a) %!d(string=c)]"},
    {"%5s", {SL(R"(["b", "a", "c"])")}, "[    b     a     c]"},
    {"%v", {I64(-42LL)}, "-42"},
    {"%v", {I64(1099511627776LL)}, "1099511627776"},
    {"%d", {I64(-42LL)}, "-42"},
    {"%d", {I64(1099511627776LL)}, "1099511627776"},
    {"%T", {I64(-42LL)}, "int64"},
    {"%T", {I64(1099511627776LL)}, "int64"},
    {"%#v", {I64(-42LL)}, "-42"},
    {"%#v", {I64(1099511627776LL)}, "1099511627776"},
    {"%x", {I64(-42LL)}, "-2a"},
    {"%x", {I64(1099511627776LL)}, "10000000000"},
    {"%s", {I64(-42LL)}, "%!s(int64=-42)"},
    {"%s", {I64(1099511627776LL)}, "%!s(int64=1099511627776)"},
    {"%s", {}, "%!s(MISSING)"},
    {"%s %s", {S("a")}, "a %!s(MISSING)"},
    {"%s", {S("a"), S("b")}, "a%!(EXTRA string=b)"},
    {"%d", {I(1LL), I(2LL), S("x"), Nil(), D("[1]")},
     "1%!(EXTRA int=2, string=x, <nil>, []interface {}=[1])"},
    {"%[2]s %[1]s", {S("a"), S("b")}, "b a"},
    {"%[3]s", {S("a")}, "%!s(BADINDEX)"},
    {"%[0]s", {S("a")}, "%!s(BADINDEX)"},
    {"%[1]s %s", {S("a"), S("b")}, "a b"},
    {"%[2]s %s", {S("a"), S("b"), S("c")}, "b c"},
    {"%[x]s", {S("a")}, "%!s(BADINDEX)"},
    {"%[1", {S("a")}, "%!(NOVERB)"},
    {"%[]d", {I(1LL)}, "%!d(BADINDEX)"},
    {"%*d", {I(5LL), I(42LL)}, "   42"},
    {"%-*d|", {I(5LL), I(42LL)}, "42   |"},
    {"%*d|", {I(-5LL), I(42LL)}, "42   |"},
    {"%.*f", {I(2LL), F(3.14159)}, "3.14"},
    {"%*d", {S("x"), I(42LL)}, "%!(BADWIDTH)42"},
    {"%.*f", {F(2.0), F(3.14159)}, "%!(BADPREC)3.141590"},
    {"%.*d", {I(-1LL), I(42LL)}, "%!(BADPREC)42"},
    {"%*d", {I(10000000LL), I(1LL)}, "%!(BADWIDTH)1"},
    {"%[2]*[1]d", {I(42LL), I(6LL)}, "    42"},
    {"%[3]*.[2]*[1]f", {F(12.0), I(2LL), I(6LL)}, " 12.00"},
    {"%[1]2d", {I(1LL)}, "%!d(BADINDEX)"},
    {"%[1].2d", {I(1LL)}, "%!d(BADINDEX)"},
    {"%", {}, "%!(NOVERB)"},
    {"abc%", {}, "abc%!(NOVERB)"},
    {"%-", {}, "%!(NOVERB)"},
    {"%5", {}, "%!(NOVERB)"},
    {"%.", {}, "%!.(MISSING)"},
    {"%.5", {I(1LL)}, "%!(NOVERB)%!(EXTRA int=1)"},
    {"100%%", {}, "100%"},
    {"%%d", {I(1LL)}, "%d%!(EXTRA int=1)"},
    {"%5%", {}, "%"},
    {"%z", {I(3LL)}, "%!z(int=3)"},
    {"%5z", {I(3LL)}, "%!z(int=    3)"},
    {"%!", {I(1LL)}, "%!!(int=1)"},
    {"%\303\251", {I(1LL)}, "%!\303\251(int=1)"},
    {"%\303\251x", {S("a")}, "%!\303\251(string=a)x"},
    {"%d %d %d", {I(1LL)}, "1 %!d(MISSING) %!d(MISSING)"},
    {"%v", {I(1LL), F(2.0), Nil()}, "1%!(EXTRA float64=2, <nil>)"},
    {"%w", {S("x")}, "%!w(string=x)"},
    {"%p", {I(1LL)}, "%!p(int=1)"},
    {"%h", {F(1.5)}, "%!h(float64=1.5)"},
    {"%99999999d", {I(1LL)}, "%!(NOVERB)%!(EXTRA int=1)"},
    {"%.99999999d", {I(1LL)}, "%!(NOVERB)%!(EXTRA int=1)"},
    {"no verbs", {I(1LL)}, "no verbs%!(EXTRA int=1)"},
    {"%-+ #0d", {I(5LL)}, "+5"},
    {"%+-5d|", {I(5LL)}, "+5   |"},
    {"%0-5d|", {I(5LL)}, "5    |"},
    {"%x", {F(255.0)}, "0x1.fep+07"},
    {"%o", {S("x")}, "%!o(string=x)"},
    {"%v %v", {F(3.0), F(1000000.0)}, "3 1e+06"},
    {"%d", {F(3.0)}, "%!d(float64=3)"},
    {"%s", {F(1.5)}, "%!s(float64=1.5)"},
    {"%s", {I(3LL)}, "%!s(int=3)"},
    {"%5.1q", {S("h\303\251llo")}, "  \"h\""},
    {"%U", {I(-1LL)}, "U+FFFFFFFFFFFFFFFF"},
    {"%c", {I(1114112LL)}, "\357\277\275"},
    {"%q", {I(55296LL)}, "'\357\277\275'"},
    {"%q", {I(7LL)}, "'\\a'"},
    {"%+q", {I(233LL)}, "'\\u00e9'"},
    {"%#U", {I(7LL)}, "U+0007"},
    {"%.6U", {I(65LL)}, "U+000041"},
    {"%#.6U", {I(128512LL)}, "U+01F600 '\360\237\230\200'"},
    {"%g", {F(3.035766360112293e-65)}, "3.035766360112293e-65"},
    {"%b", {F(-870000.0486)}, "-7473243512510821p-33"},
    {"%.3g", {F(-376295.37)}, "-3.76e+05"},
    {"%.18g", {F(-0.005095205)}, "-0.00509520500000000022"},
    {"%g", {F(-215271.24283)}, "-215271.24283"},
    {"%.15g", {F(401.771)}, "401.771"},
    {"%v", {F(-5.74110012325727e-283)}, "-5.74110012325727e-283"},
    {"%.25f", {F(3.600182336911237e-21)}, "0.0000000000000000000036002"},
    {"%.18g", {F(505336.0185)}, "505336.018500000006"},
    {"%g", {F(364150.1234306)}, "364150.1234306"},
    {"%b", {F(-3.58458527149687e-195)}, "-4713851419690552p-698"},
    {"%.18g", {F(65582.34)}, "65582.3399999999965"},
    {"%.0f", {F(-4.391421968502189e-199)}, "-0"},
    {"%.10f", {F(-0.8540472)}, "-0.8540472000"},
    {"%.10f", {F(-15368.76)}, "-15368.7600000000"},
    {"%.17g", {F(-6.7018355651582825e+202)}, "-6.7018355651582825e+202"},
    {"%x", {F(4.094249577008946e-106)}, "0x1.e0c6a63825046p-351"},
    {"%f", {F(-0.006950254)}, "-0.006950"},
    {"%.3g", {F(-65839.39)}, "-6.58e+04"},
    {"%.19e", {F(-3.832607)}, "-3.8326069999999998750e+00"},
    {"%.15g", {F(1.624734e-06)}, "1.624734e-06"},
    {"%.3g", {F(-4.104159492290666e+95)}, "-4.1e+95"},
    {"%v", {F(-3.718216410742373e-229)}, "-3.718216410742373e-229"},
    {"%.18g", {F(0.0008382731)}, "0.000838273099999999982"},
    {"%g", {F(-4.03083444601166e-26)}, "-4.03083444601166e-26"},
    {"%.1x", {F(-1.061208)}, "-0x1.1p+00"},
    {"%.17g", {F(971427.0)}, "971427"},
    {"%.10f", {F(8826744.0)}, "8826744.0000000000"},
    {"%.10f", {F(1.3423761202485311e-208)}, "0.0000000000"},
    {"%f", {F(-2.4394417221471412e+244)},
     "-24394417221471412341713944929576666605445254741336215825201252864721989742795307482677113"
     "963514120051047578485763090269899449099495472706353914567888798384049746099436501837741656"
     "952371376200933787082174944124664091751152674462295255271239319552.000000"},
    {"%.19e", {F(-709292.17104955)}, "-7.0929217104954994284e+05"},
    {"%.10f", {F(1.4309076395446321e-136)}, "0.0000000000"},
    {"%.2f", {F(-1.4029594373535384e+123)},
     "-14029594373535383956512292410849781296085819147493798534881527384963094336182468980356789"
     "37924502179947950471430774965927936.00"},
    {"%.2f", {F(-9.207331480161081e-09)}, "-0.00"},
    {"%.10f", {F(4.13587e-06)}, "0.0000041359"},
    {"%.15g", {F(-105310.0)}, "-105310"},
    {"%e", {F(606042.0)}, "6.060420e+05"},
    {"%.1x", {F(-6803.873)}, "-0x1.bp+12"},
    {"%.15g", {F(-841383.20277)}, "-841383.20277"},
    {"%e", {F(-549890.5)}, "-5.498905e+05"},
    {"%.15g", {F(-4902145.0)}, "-4902145"},
    {"%v", {F(-0.0005199985)}, "-0.0005199985"},
    {"%.17g", {F(-101370.8318079)}, "-101370.8318079"},
    {"%e", {F(0.03478063)}, "3.478063e-02"},
    {"%b", {F(0.009867315)}, "5688119828114855p-59"},
    {"%.25f", {F(-5.38944806768808e+224)},
     "-53894480676880800737809060817565868829625462788991219016197104435387489900232012993001390"
     "194463379360830944030126048560130591727725955332246587856473887619718774221277340628886238"
     "7020489334152900117720205345496730131748618240.0000000000000000000000000"},
    {"%e", {F(-949294.6)}, "-9.492946e+05"},
    {"%.25f", {F(-4.790998923142785e+175)},
     "-47909989231427848826724595510620005525947018069716133156560689030084116614660329385832582"
     "719360560517582783524167708813835596719061324760077654956895404713039223232146190630912.00"
     "00000000000000000000000"},
    {"%x", {F(969040.71498926)}, "0x1.d92a16e131281p+19"},
    {"%.17g", {F(2.083275e-05)}, "2.0832750000000001e-05"},
    {"%g", {F(-5.16269501019743e-268)}, "-5.16269501019743e-268"},
    {"%.0f", {F(0.0001053675)}, "0"},
    {"%b", {F(1.0651559981196901e+292)}, "4807034043060884p+918"},
    {"%.19e", {F(6.115911164970955e+34)}, "6.1159111649709552615e+34"},
    {"%.10f", {F(-2.6127891113730915e+27)}, "-2612789111373091459169255424.0000000000"},
    {"%.10f", {F(-1.11474014412029e+187)},
     "-11147401441202900382359962735634515487849490248519638315817257282335360788721639144422740"
     "988110675581547672039549702757797145924446483722663002887752821919604427225325982116517797"
     "538299904.0000000000"},
    {"%x", {F(0.008886836)}, "0x1.23342efe11b5bp-07"},
    {"%.1x", {F(797268.0)}, "0x1.8p+19"},
    {"%.18g", {F(-0.008084691)}, "-0.00808469099999999975"},
    {"%v", {F(2.9543551640312044e+130)}, "2.9543551640312044e+130"},
    {"%.10f", {F(0.391101)}, "0.3911010000"},
    {"%.18g", {F(-2.8163440472907976e+271)}, "-2.81634404729079757e+271"},
    {"%.10f", {F(-76416.63)}, "-76416.6300000000"},
    {"%.19e", {F(8.401004034387231e-181)}, "8.4010040343872306726e-181"},
    {"%.18g", {F(0.9865943)}, "0.986594300000000035"},
    {"%g", {F(4.497830570909411e-76)}, "4.497830570909411e-76"},
    {"%v", {F(-990797.12479843)}, "-990797.12479843"},
    {"%#g", {F(729928.37)}, "729928.37"},
    {"%f", {F(-0.5291021)}, "-0.529102"},
    {"%.25f", {F(0.00434602)}, "0.0043460199999999999179168"},
    {"%.1x", {F(-542152.141)}, "-0x1.1p+19"},
    {"%.25f", {F(6.80817e-06)}, "0.0000068081699999999999037"},
    {"%.17g", {F(4.740188646237182e-115)}, "4.7401886462371822e-115"},
    {"%x", {F(0.05754167)}, "0x1.d761a0d9d4c82p-05"},
    {"%.0f", {F(4.4690897671867045e-201)}, "0"},
};
// clang-format on

}  // namespace ref

namespace {

Value to_value(const ref::Arg& a) {
  switch (a.kind) {
    case 'i':
      return I(a.i);
    case 'I':
      return I64(a.i);
    case 'f':
      return F(a.f);
    case 's':
      return S(a.s);
    case 'b':
      return B(a.i != 0);
    case 'n':
      return Nil();
    case 'd':
      return D(a.s);
    case 'l':
      return SL(nlohmann::json::parse(a.s).get<std::vector<std::string>>());
  }
  FAIL("unknown operand kind " << a.kind);
  return Value();
}

}  // namespace

TEST_CASE("go_sprintf matches Go's fmt on reference cases", "[core][gofmt]") {
  for (const ref::Case& c : ref::kCases) {
    std::vector<Value> args;
    for (const ref::Arg& a : c.args)
      if (a.kind != 0) args.push_back(to_value(a));
    INFO("format " << c.format);
    CHECK(go_sprintf(c.format, args) == c.want);
  }
}

TEST_CASE("go_quote matches strconv.Quote", "[core][gofmt]") {
  CHECK(go_quote("") == "\"\"");
  CHECK(go_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(go_quote("\a\b\f\n\r\t\v") == "\"\\a\\b\\f\\n\\r\\t\\v\"");
  CHECK(go_quote(std::string("\x00\x01\x7f", 3)) == "\"\\x00\\x01\\x7f\"");
  CHECK(go_quote("h\xc3\xa9llo") == "\"h\xc3\xa9llo\"");
  CHECK(go_quote("h\xc3\xa9llo", true) == "\"h\\u00e9llo\"");
  CHECK(go_quote("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
  CHECK(go_quote("\xf0\x9f\x98\x80", true) == "\"\\U0001f600\"");
  CHECK(go_quote("\xc2\xa0") == "\"\\u00a0\"");              // NBSP is not printable
  CHECK(go_quote("\xe2\x80\xa8") == "\"\\u2028\"");          // line separator
  CHECK(go_quote("\xef\xbb\xbf") == "\"\\ufeff\"");          // BOM
  CHECK(go_quote("a\xffz") == "\"a\\xffz\"");                // invalid byte
  CHECK(go_quote("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");  // encoded surrogate
  CHECK(go_quote("it's") == "\"it's\"");
}

TEST_CASE("go_unquote decodes Go string literals", "[core][gofmt]") {
  std::string out;
  REQUIRE(go_unquote("\"a\\tb\\n\\\"q\\\"\"", out));
  CHECK(out == "a\tb\n\"q\"");
  REQUIRE(go_unquote("\"\\x41\\101\\u00e9\\U0001F600\\\\\"", out));
  CHECK(out == "AA\xc3\xa9\xf0\x9f\x98\x80\\");
  REQUIRE(go_unquote("\"\\xff\"", out));
  CHECK(out == "\xff");
  REQUIRE(go_unquote("`raw\\n\r\nx`", out));
  CHECK(out == "raw\\n\nx");
  REQUIRE(go_unquote("'a'", out));
  CHECK(out == "a");
  REQUIRE(go_unquote("'\\''", out));
  CHECK(out == "'");
  REQUIRE(go_unquote("'\xc3\xa9'", out));
  CHECK(out == "\xc3\xa9");
  REQUIRE(go_unquote("\"'\"", out));
  CHECK(out == "'");
  REQUIRE(go_unquote("\"\"", out));
  CHECK(out.empty());
}

TEST_CASE("go_unquote rejects malformed literals", "[core][gofmt]") {
  std::string out;
  CHECK_FALSE(go_unquote("", out));
  CHECK_FALSE(go_unquote("\"", out));
  CHECK_FALSE(go_unquote("\"abc", out));
  CHECK_FALSE(go_unquote("\"a\"b\"", out));
  CHECK_FALSE(go_unquote("\"a\nb\"", out));
  CHECK_FALSE(go_unquote("\"\\q\"", out));
  CHECK_FALSE(go_unquote("\"\\x4\"", out));
  CHECK_FALSE(go_unquote("\"\\400\"", out));
  CHECK_FALSE(go_unquote("\"\\uD800\"", out));
  CHECK_FALSE(go_unquote("\"\\'\"", out));
  CHECK_FALSE(go_unquote("'\\\"'", out));
  CHECK_FALSE(go_unquote("'ab'", out));
  CHECK_FALSE(go_unquote("`a`b`", out));
  CHECK_FALSE(go_unquote("abc", out));
  CHECK_FALSE(go_unquote("\"abc\\\"", out));
}

// The printf/print vectors of public.jsonl (gotpl/printf/*, helm/printf/*,
// gotpl/print*), with data numbers as float64 and template literals as int.
TEST_CASE("printf and print reproduce the public conformance vectors", "[core][gofmt]") {
  const Value m = D(R"({"x": 1, "y": "two", "b": {"c": "deep"}})");
  const Value strs = D(R"(["b", "a", "c"])");
  const Value users = D(R"([{"name": "ann", "age": 31}, {"name": "bob", "age": 27}])");
  CHECK(go_sprint({I(1), I(2), S("a"), S("b"), I(3)}) == "1 2ab3");
  CHECK(go_sprintln({I(1), S("a")}) == "1 a\n");
  CHECK(go_sprint({F(3), F(1.5), F(1000000)}) == "3 1.5 1e+06");
  CHECK(go_sprint({Nil()}) == "<nil>");
  const std::vector<Case> cases = {
      {"%d", {I(42)}, "42"},
      {"%d", {F(3)}, "%!d(float64=3)"},
      {"%d", {I(-5)}, "-5"},
      {"%5d", {I(42)}, "   42"},
      {"%-5d|", {I(42)}, "42   |"},
      {"%+d", {I(3)}, "+3"},
      {"%x", {I(255)}, "ff"},
      {"%X", {I(255)}, "FF"},
      {"%#x", {I(255)}, "0xff"},
      {"%o", {I(8)}, "10"},
      {"%c", {I(65)}, "A"},
      {"%U", {I(0x1F600)}, "U+1F600"},
      {"%q", {I(65)}, "'A'"},
      {"% X", {S("hi")}, "68 69"},
      {"%s", {S("str")}, "str"},
      {"%10s|", {S("str")}, "       str|"},
      {"%-10s|", {S("str")}, "str       |"},
      {"%q", {S("a\"b")}, "\"a\\\"b\""},
      {"%#q", {S("ab")}, "`ab`"},
      {"%v", {S("str")}, "str"},
      {"%+v", {m}, "map[b:map[c:deep] x:1 y:two]"},
      {"%v", {strs}, "[b a c]"},
      {"%q", {strs}, "[\"b\" \"a\" \"c\"]"},
      {"%v", {Nil()}, "<nil>"},
      {"%v", {Value()}, "<nil>"},
      {"%s", {Nil()}, "%!s(<nil>)"},
      {"%d", {Nil()}, "%!d(<nil>)"},
      {"%f", {F(1.5)}, "1.500000"},
      {"%.2f", {F(3.14159)}, "3.14"},
      {"%8.3f|", {F(3.14159)}, "   3.142|"},
      {"%e", {F(123456.789)}, "1.234568e+05"},
      {"%E", {F(0.000123)}, "1.230000E-04"},
      {"%g", {F(1e21)}, "1e+21"},
      {"%g", {F(0.00001)}, "1e-05"},
      {"%G", {F(1e-7)}, "1E-07"},
      {"%v", {F(1000000)}, "1e+06"},
      {"%g", {F(1000000)}, "1e+06"},
      {"%.0f", {F(1000000)}, "1000000"},
      {"%T", {F(3)}, "float64"},
      {"%T", {D("[1, 2, 3]")}, "[]interface {}"},
      {"%T", {m}, "map[string]interface {}"},
      {"%T", {Nil()}, "<nil>"},
      {"%T", {I(42)}, "int"},
      {"%T", {Value::complex(0, 1)}, "complex128"},
      {"%v", {users}, "[map[age:31 name:ann] map[age:27 name:bob]]"},
      {"%s", {B(true)}, "%!s(bool=true)"},
      {"%s", {S("a"), S("b")}, "a%!(EXTRA string=b)"},
      {"%s %s", {S("a")}, "a %!s(MISSING)"},
      {"%[2]s %[1]s", {S("a"), S("b")}, "b a"},
      {"%d %d", {I64(3), I64(4)}, "3 4"},
      {"%s-%s", {S("release"), S("chart")}, "release-chart"},
      {"%v", {D(R"({"a": null})")}, "map[a:<nil>]"},
  };
  for (const Case& c : cases) {
    INFO("format " << c.format);
    CHECK(go_sprintf(c.format, c.args) == c.want);
  }
}

TEST_CASE("printing a map that contains itself stops at a depth limit", "[core][gofmt]") {
  Value m = Value::new_map();
  m.map().items.emplace("self", m);
  const std::string out = go_format_value(m);
  CHECK(out.rfind("map[self:map[self:", 0) == 0);
  CHECK(out.find("%!v(DEPTH)") != std::string::npos);
  m.map().items.clear();  // break the cycle so the map is freed
}

// Hidden (run with `render_core_test "[slow]"`): it formats ~256 MiB.
TEST_CASE("printing a self-referencing list with fan-out stays bounded", "[.][slow][core][gofmt]") {
  Value l = Value::new_list();
  l.list().items = {l, l};
  const std::string out = go_sprintf("%5v", {l});
  CHECK(out.size() < (std::size_t{300} << 20));
  l.list().items.clear();
}
