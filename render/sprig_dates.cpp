// Sprig's date functions (sprig date.go): now, date, dateInZone, htmlDate,
// htmlDateInZone, dateModify, mustDateModify, ago, duration, durationRound,
// toDate, mustToDate, unixEpoch, with their snake_case aliases.
#include <limits>

#include "render/detail/sprig_time.h"
#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;

bool is_int_of(const Value& v, IntType t) { return v.is_int() && v.int_type() == t; }

// The time sprig's dateInZone takes from its interface{} argument: a
// time.Time, or int / int32 / int64 unix seconds; anything else is "now".
GoTime time_arg(const Value& v, bool accept_int32) {
  if (const GoTime* t = as_time(v)) return *t;
  if (is_int_of(v, IntType::Int) || is_int_of(v, IntType::Int64) ||
      (accept_int32 && is_int_of(v, IntType::Int32))) {
    return GoTime::unix(v.as_int());
  }
  return GoTime::now();
}

// sprig dateInZone: an unknown zone silently becomes UTC, as in sprig.
std::string date_in_zone(std::string_view layout, const Value& date, std::string_view zone) {
  GoTime t = time_arg(date, true);
  auto loc = Location::load(zone);
  return t.in(loc ? *loc : Location::utc()).format(layout);
}

// time.Duration.Round(m).
Duration round_duration(Duration d, Duration m) {
  constexpr Duration kMin = std::numeric_limits<Duration>::min();
  constexpr Duration kMax = std::numeric_limits<Duration>::max();
  if (m <= 0) return d;
  Duration r = d % m;
  auto less_than_half = [](Duration x, Duration y) {
    return static_cast<std::uint64_t>(x) + static_cast<std::uint64_t>(x) <
           static_cast<std::uint64_t>(y);
  };
  if (d < 0) {
    r = -r;
    if (less_than_half(r, m)) return d + r;
    Duration d1 = static_cast<Duration>(static_cast<std::uint64_t>(d) -
                                        static_cast<std::uint64_t>(m) +
                                        static_cast<std::uint64_t>(r));
    return d1 < d ? d1 : kMin;
  }
  if (less_than_half(r, m)) return d - r;
  Duration d1 = static_cast<Duration>(static_cast<std::uint64_t>(d) +
                                      static_cast<std::uint64_t>(m) -
                                      static_cast<std::uint64_t>(r));
  return d1 > d ? d1 : kMax;
}

// time.Since(t).
Duration since(const GoTime& t) { return GoTime::now().sub(t); }

// strconv.ParseInt(s, 10, 64) with the error ignored: 0 on a syntax error,
// the clamped value on a range error.
std::int64_t parse_int10_lenient(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return 0;
  const std::uint64_t cutoff = neg ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
  std::uint64_t n = 0;
  bool overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    if (overflow) continue;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (n > (cutoff - d) / 10) {
      overflow = true;
      n = cutoff;
      continue;
    }
    n = n * 10 + d;
  }
  return neg ? static_cast<std::int64_t>(0 - n) : static_cast<std::int64_t>(n);
}

// sprig durationRound: the largest whole unit, counted from the absolute value.
std::string duration_round(const Value& v) {
  Duration d = 0;
  if (v.is_string()) {
    auto parsed = parse_duration(v.as_string());
    d = parsed ? *parsed : 0;
  } else if (is_int_of(v, IntType::Int64)) {
    d = v.as_int();
  } else if (const GoTime* t = as_time(v)) {
    d = since(*t);
  }
  std::uint64_t u = static_cast<std::uint64_t>(d);
  if (d < 0) u = 0 - u;
  constexpr std::uint64_t kSec = 1'000'000'000, kMinute = 60 * kSec, kHour = 60 * kMinute,
                          kDay = 24 * kHour, kMonth = 30 * kDay, kYear = 365 * kDay;
  struct Unit {
    std::uint64_t size;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{kYear, "y"},     {kMonth, "mo"}, {kDay, "d"},
                                    {kHour, "h"},     {kMinute, "m"}, {kSec, "s"}};
  for (const Unit& unit : kUnits) {
    if (u > unit.size) return std::to_string(u / unit.size) + unit.suffix;
  }
  return "0s";
}

void add_format_funcs(FuncMap& funcs) {
  sprig_def(funcs, "now", {}, false,
            [](CallContext&, Args&) -> Result<Value> { return time_value(GoTime::now()); });
  sprig_def(funcs, "date", {Param::String, Param::Any}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              return Value(date_in_zone(a[0].as_string(), a[1], "Local"));
            });
  auto in_zone = [](CallContext&, Args& a) -> Result<Value> {
    return Value(date_in_zone(a[0].as_string(), a[1], a[2].as_string()));
  };
  sprig_def(funcs, "dateInZone", {Param::String, Param::Any, Param::String}, false, in_zone);
  sprig_def(funcs, "date_in_zone", {Param::String, Param::Any, Param::String}, false, in_zone);
  sprig_def(funcs, "htmlDate", {Param::Any}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(date_in_zone("2006-01-02", a[0], "Local"));
  });
  sprig_def(funcs, "htmlDateInZone", {Param::Any, Param::String}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              return Value(date_in_zone("2006-01-02", a[0], a[1].as_string()));
            });
  sprig_def(funcs, "unixEpoch", {Param::Time}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              return Value(std::to_string(as_time(a[0])->unix_sec()));
            });
}

void add_modify_funcs(FuncMap& funcs) {
  // dateModify: an unparsable duration leaves the date unchanged.
  auto modify = [](CallContext&, Args& a) -> Result<Value> {
    auto d = parse_duration(a[0].as_string());
    const GoTime& t = *as_time(a[1]);
    return time_value(d ? t.add(*d) : t);
  };
  sprig_def(funcs, "dateModify", {Param::String, Param::Time}, false, modify);
  sprig_def(funcs, "date_modify", {Param::String, Param::Time}, false, modify);
  auto must_modify = [](CallContext&, Args& a) -> Result<Value> {
    auto d = parse_duration(a[0].as_string());
    if (!d) return tl::unexpected(d.error());
    return time_value(as_time(a[1])->add(*d));
  };
  sprig_def(funcs, "mustDateModify", {Param::String, Param::Time}, false, must_modify);
  sprig_def(funcs, "must_date_modify", {Param::String, Param::Time}, false, must_modify);

  // toDate parses in the Local zone; a failure gives the zero time.
  sprig_def(funcs, "toDate", {Param::String, Param::String}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              auto t = parse_time(a[0].as_string(), a[1].as_string(), Location::local());
              return time_value(t ? *t : GoTime{});
            });
  sprig_def(funcs, "mustToDate", {Param::String, Param::String}, false,
            [](CallContext&, Args& a) -> Result<Value> {
              auto t = parse_time(a[0].as_string(), a[1].as_string(), Location::local());
              if (!t) return tl::unexpected(t.error());
              return time_value(*t);
            });
}

void add_duration_funcs(FuncMap& funcs) {
  // ago: time since a time.Time / int / int64 unix seconds, to the second.
  sprig_def(funcs, "ago", {Param::Any}, false, [](CallContext&, Args& a) -> Result<Value> {
    GoTime t = time_arg(a[0], false);
    return Value(duration_string(round_duration(since(t), kSecond)));
  });
  // duration: seconds given as a string or an int64 (any other type is 0).
  sprig_def(funcs, "duration", {Param::Any}, false, [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t n = 0;
    if (a[0].is_string()) {
      n = parse_int10_lenient(a[0].as_string());
    } else if (is_int_of(a[0], IntType::Int64)) {
      n = a[0].as_int();
    }
    auto wrapped = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(kSecond);
    return Value(duration_string(static_cast<Duration>(wrapped)));
  });
  sprig_def(funcs, "durationRound", {Param::Any}, false,
            [](CallContext&, Args& a) -> Result<Value> { return Value(duration_round(a[0])); });
}

}  // namespace

void add_sprig_date_funcs(FuncMap& funcs) {
  add_format_funcs(funcs);
  add_modify_funcs(funcs);
  add_duration_funcs(funcs);
}

}  // namespace cairn::render::sprig_detail
