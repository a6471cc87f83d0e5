// Sprig date functions and the time.Time object. Expected outputs come from
// the public vectors and from gotpl-ref (Go 1.23 time package, TZ=UTC).
#include <catch2/catch.hpp>

#include "render/detail/sprig_time.h"
#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;
using cairn::render::sprig_detail::as_time;

namespace {

Value to_date(const char* layout, const char* value) {
  auto r = call("toDate", {s(layout), s(value)});
  REQUIRE(r);
  return *r;
}

Value i64(std::int64_t n) { return Value::integer(n, IntType::Int64); }

// Calls a zero-argument method / field of an object value.
std::string field_of(const Value& obj, const char* name) {
  auto v = obj.object().field(name);
  REQUIRE(v);
  return go_format_value(*v);
}

// Calls a method with arguments the way the executor does.
std::string method_of(const Value& obj, const char* name, std::vector<Value> args) {
  const Func* fn = obj.object().method(name);
  REQUIRE(fn != nullptr);
  TestContext ctx;
  auto r = fn->impl(ctx, args);
  if (!r) return "ERROR: " + r.error().message;
  return go_format_value(*r);
}

}  // namespace

TEST_CASE("public vectors: htmlDateInZone, unixEpoch, duration, durationRound, toDate",
          "[sprig][dates]") {
  CHECK(show("htmlDateInZone", {to_date("2006-01-02", "2024-02-29"), s("UTC")}) == "2024-02-29");
  CHECK(show("unixEpoch", {to_date("2006-01-02T15:04:05Z07:00", "2024-01-01T00:00:00Z")}) ==
        "1704067200");
  CHECK(show("duration", {s("3600")}) == "1h0m0s");
  CHECK(show("durationRound", {s("400h")}) == "16d");
  CHECK(show("toDate", {s("2006-01-02"), s("not a date")}) == "0001-01-01 00:00:00 +0000 UTC");
  CHECK(show("mustToDate", {s("2006-01-02"), s("not a date")}) ==
        "ERROR: parsing time \"not a date\" as \"2006-01-02\": cannot parse \"not a date\" as "
        "\"2006\"");
}

TEST_CASE("a time.Time prints like Go's Time.String and marshals as RFC 3339", "[sprig][dates]") {
  Value t = to_date("2006-01-02 15:04:05.999", "2024-02-29 13:14:15.123");
  CHECK(t.type_name() == "time.Time");
  CHECK(go_format_value(t) == "2024-02-29 13:14:15.123 +0000 UTC");
  CHECK(go_format_value(t.object().to_data()) == "2024-02-29T13:14:15.123Z");
  Value off = to_date("2006-01-02 -0700", "2024-02-29 +0130");
  CHECK(go_format_value(off) == "2024-02-29 00:00:00 +0130 +0130");
  CHECK(go_format_value(off.object().to_data()) == "2024-02-29T00:00:00+01:30");
}

TEST_CASE("now carries a monotonic reading and the Local zone", "[sprig][dates]") {
  auto r = call("now", {});
  REQUIRE(r);
  std::string text = go_format_value(*r);
  CHECK(text.find(" +0000 UTC m=+") != std::string::npos);
  CHECK(field_of(*r, "Location") == "Local");
  CHECK(show("ago", {*r}) == "0s");
}

TEST_CASE("date formats unix seconds and times with Go layouts", "[sprig][dates]") {
  CHECK(show("date", {s("Mon Jan _2 15:04:05 MST 2006"), i(1700000000)}) ==
        "Tue Nov 14 22:13:20 UTC 2023");
  CHECK(show("date", {s("2006-01-02T15:04:05.000000Z07:00 PM pm 3 03 _2 __2 002 Monday January "
                        "1 01 06 -07:00:00 Z0700"),
                      i(1700000000)}) ==
        "2023-11-14T22:13:20.000000Z PM pm 10 10 14 318 318 Tuesday November 11 11 23 "
        "+00:00:00 Z");
  CHECK(show("date", {s("Jan"), i(0)}) == "Jan");
  CHECK(show("date", {s("Janx Janu Mond Monx"), i(0)}) == "Janx Janu Mond Monx");
  CHECK(show("date", {s("_2006 _20061 2006_2"), i(0)}) == "_1970 _19701 1970 1");
  CHECK(show("date", {s(".0 .9 1.0 .09 .00x ,9"), i(0)}) == ".0  1.0 .09 .00x ");
  // Extreme unix seconds wrap like Go's int64 arithmetic instead of failing.
  CHECK(show("date", {s("2006-01-02 15:04:05"), i64(INT64_MAX)}) == "292277026596-12-04 15:30:07");
  CHECK(show("date", {s("2006"), i64(-62135596801)}) == "0000");
  CHECK(show("htmlDate", {i(0)}) == "1970-01-01");
}

TEST_CASE("dateInZone loads tz database zones and falls back to UTC", "[sprig][dates]") {
  CHECK(show("dateInZone", {s("2006-01-02 15:04 MST"), i(0), s("America/New_York")}) ==
        "1969-12-31 19:00 EST");
  CHECK(show("dateInZone", {s("2006-01-02 15:04 MST -0700"), i(1720000000), s("Europe/Berlin")}) ==
        "2024-07-03 11:46 CEST +0200");
  // After the last transition the POSIX TZ footer rule applies.
  CHECK(show("dateInZone", {s("2006-01-02 15:04 MST -0700"), i(4102444800), s("Europe/Berlin")}) ==
        "2100-01-01 01:00 CET +0100");
  CHECK(show("dateInZone", {s("2006-01-02 15:04 MST -0700"), i(4118000000),
                            s("Australia/Sydney")}) == "2100-06-30 10:53 AEST +1000");
  CHECK(show("dateInZone", {s("Z07:00 MST"), i(0), s("Etc/GMT+5")}) == "-05:00 -05");
  CHECK(show("dateInZone", {s("2006-01-02 15:04 MST"), i(0), s("Nope/X")}) ==
        "1970-01-01 00:00 UTC");
  CHECK(show("date_in_zone", {s("2006-01-02 15:04 MST"), i(0), s("../etc/passwd")}) ==
        "1970-01-01 00:00 UTC");
}

TEST_CASE("toDate parses Go layouts with Go's errors", "[sprig][dates]") {
  CHECK(show("mustToDate", {s("Jan _2 2006"), s("Feb  3 2024")}) ==
        "2024-02-03 00:00:00 +0000 UTC");
  CHECK(show("mustToDate", {s("January 2, 2006 3:04PM MST"), s("March 9, 2021 11:05AM PST")}) ==
        "2021-03-09 11:05:00 +0000 PST");
  CHECK(show("mustToDate", {s("2006-01-02T15:04:05Z07:00"), s("2024-01-01T10:00:00+02:00")}) ==
        "2024-01-01 10:00:00 +0200 +0200");
  CHECK(show("mustToDate", {s("2006-002"), s("2024-060")}) == "2024-02-29 00:00:00 +0000 UTC");
  CHECK(show("mustToDate", {s("15:04:05"), s("10:11:12,5")}) ==
        "0000-01-01 10:11:12.5 +0000 UTC");
  CHECK(show("mustToDate", {s("3:04pm"), s("12:30am")}) == "0000-01-01 00:30:00 +0000 UTC");
  CHECK(show("mustToDate", {s("2006 MST"), s("2020 GMT+3")}) ==
        "2020-01-01 03:00:00 +0300 GMT+3");
  CHECK(show("mustToDate", {s("2006-01-02"), s("2024-02-30")}) ==
        "ERROR: parsing time \"2024-02-30\": day out of range");
  CHECK(show("mustToDate", {s("2006-01-02 15:04"), s("2024-02-03 25:00")}) ==
        "ERROR: parsing time \"2024-02-03 25:00\": hour out of range");
  CHECK(show("mustToDate", {s("2006-01-02"), s("2024-02-03x")}) ==
        "ERROR: parsing time \"2024-02-03x\": extra text: \"x\"");
  CHECK(show("mustToDate", {s("2006-01-02T15:04:05.000Z07:00"), s("2024-01-01T10:00:00.12Z")}) ==
        "ERROR: parsing time \"2024-01-01T10:00:00.12Z\" as \"2006-01-02T15:04:05.000Z07:00\": "
        "cannot parse \".12Z\" as \".000\"");
  CHECK(show("mustToDate", {s("2006-__2"), s("2023-366")}) ==
        "ERROR: parsing time \"2023-366\": day-of-year out of range");
  CHECK(show("mustToDate", {s("2006"), s("2020\x01\xc3\xa9")}) ==
        "ERROR: parsing time \"2020\\x01\\xc3\\xa9\": extra text: \"\\x01\\xc3\\xa9\"");
}

TEST_CASE("dateModify adds a Go duration; mustDateModify reports bad ones", "[sprig][dates]") {
  Value t = to_date("2006-01-02", "2024-02-29");
  CHECK(show("dateModify", {s("1h30m"), t}) == "2024-02-29 01:30:00 +0000 UTC");
  CHECK(show("date_modify", {s("bad"), t}) == "2024-02-29 00:00:00 +0000 UTC");
  CHECK(show("mustDateModify", {s("1.5\xC2\xB5s"), t}) ==
        "2024-02-29 00:00:00.0000015 +0000 UTC");
  CHECK(show("must_date_modify", {s("-2562047h"), t}) == "1731-11-20 01:00:00 +0000 UTC");
  CHECK(show("mustDateModify", {s(".5h"), t}) == "2024-02-29 00:30:00 +0000 UTC");
  CHECK(show("dateModify", {s("-.000000001s"), t}) ==
        "2024-02-28 23:59:59.999999999 +0000 UTC");
  CHECK(show("mustDateModify", {s("bad"), t}) == "ERROR: time: invalid duration \"bad\"");
  CHECK(show("mustDateModify", {s("9999999999h"), t}) ==
        "ERROR: time: invalid duration \"9999999999h\"");
  CHECK(show("mustDateModify", {s("1x"), t}) ==
        "ERROR: time: unknown unit \"x\" in duration \"1x\"");
  CHECK(show("mustDateModify", {s("1"), t}) == "ERROR: time: missing unit in duration \"1\"");
}

TEST_CASE("duration takes int64 or string seconds; other types are 0s", "[sprig][dates]") {
  CHECK(show("duration", {i(3600)}) == "0s");
  CHECK(show("duration", {i64(90061)}) == "25h1m1s");
  CHECK(show("duration", {s("-1")}) == "-1s");
  CHECK(show("duration", {s("1.5")}) == "0s");
  CHECK(show("duration", {s("99999999999999999999")}) == "-1s");
}

TEST_CASE("durationRound keeps the largest whole unit", "[sprig][dates]") {
  CHECK(show("durationRound", {s("2h30m")}) == "2h");
  CHECK(show("durationRound", {s("-61s")}) == "1m");
  CHECK(show("durationRound", {s("1s")}) == "0s");
  CHECK(show("durationRound", {i64(5000000000000000)}) == "1mo");
  CHECK(show("durationRound", {s("bad")}) == "0s");
  CHECK(show("durationRound", {i(5)}) == "0s");
}

TEST_CASE("time.Time fields and methods match Go", "[sprig][dates]") {
  Value t = to_date("2006-01-02 15:04:05.999", "2024-02-29 13:14:15.123");
  CHECK(field_of(t, "Year") == "2024");
  CHECK(field_of(t, "Month") == "February");
  CHECK(field_of(t, "Weekday") == "Thursday");
  CHECK(field_of(t, "YearDay") == "60");
  CHECK(field_of(t, "Unix") == "1709212455");
  CHECK(field_of(t, "UnixNano") == "1709212455123000000");
  CHECK(field_of(t, "Nanosecond") == "123000000");
  CHECK(field_of(t, "UTC") == "2024-02-29 13:14:15.123 +0000 UTC");
  CHECK(method_of(t, "Format", {s("Jan 2")}) == "Feb 29");
  CHECK(method_of(t, "AddDate", {i(0), i(1), i(1)}) == "2024-03-30 13:14:15.123 +0000 UTC");
  CHECK(method_of(t, "Truncate", {i64(3600000000000)}) == "2024-02-29 13:00:00 +0000 UTC");
  CHECK(method_of(t, "Round", {i64(3600000000000)}) == "2024-02-29 13:00:00 +0000 UTC");
  Value u = to_date("2006-01-02", "2024-03-01");
  Value day = to_date("2006-01-02", "2024-02-29");
  CHECK(method_of(u, "Sub", {day}) == "24h0m0s");
  CHECK(method_of(day, "Before", {u}) == "true");
  CHECK(method_of(day, "Equal", {day}) == "true");
  CHECK(method_of(day, "Add", {i64(1000000000)}) == "2024-02-29 00:00:01 +0000 UTC");
  CHECK(t.object().field("Nope") == std::nullopt);
}

TEST_CASE("Go durations print like Duration.String", "[sprig][dates]") {
  using cairn::render::sprig_detail::duration_string;
  CHECK(duration_string(0) == "0s");
  CHECK(duration_string(1) == "1ns");
  CHECK(duration_string(1500) == "1.5\xC2\xB5s");
  CHECK(duration_string(1500000) == "1.5ms");
  CHECK(duration_string(-90 * 1000000000LL) == "-1m30s");
  CHECK(duration_string(INT64_MIN) == "-2562047h47m16.854775808s");
}

TEST_CASE("time values round-trip through as_time", "[sprig][dates]") {
  Value t = to_date("2006-01-02", "2024-02-29");
  REQUIRE(as_time(t) != nullptr);
  CHECK(as_time(t)->unix_sec() == 1709164800);
  CHECK(as_time(s("2024")) == nullptr);
}

TEST_CASE("extreme times and durations wrap like Go instead of failing", "[sprig][dates]") {
  Value t = to_date("2006", "2020");
  CHECK(method_of(t, "AddDate", {i(INT64_MAX), i(INT64_MAX), i(INT64_MIN)}) ==
        "2018-12-01 10:33:36 +0000 UTC");
  CHECK(method_of(t, "Round", {i64(INT64_MAX)}) == "2046-12-09 22:30:57.983430649 +0000 UTC");
  CHECK(show("dateInZone", {s("2006-01-02 MST"), i64(INT64_MIN), s("America/New_York")}) ==
        "292277026596-12-04 LMT");
  CHECK(show("dateInZone", {s("2006-01-02 MST"), i64(INT64_MAX), s("Europe/Berlin")}) ==
        "292277026596-12-04 CET");
  CHECK(show("mustDateModify", {s("-9223372036854775808ns"), t}) ==
        "1727-09-22 00:12:43.145224192 +0000 UTC");
  CHECK(show("durationRound", {s("-9223372036854775808ns")}) == "292y");
}
