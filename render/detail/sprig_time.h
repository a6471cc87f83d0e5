// Go's time package as sprig's date functions observe it: time.Time values
// (an Object of type "time.Time"), locations, layouts in both directions
// (Format / ParseInLocation), durations (ParseDuration / Duration.String).
// Private to the sprig component (sprig_time.cpp, sprig_dates.cpp).
//
// The representation mirrors Go's: seconds since January 1 of year 1 UTC with
// two's-complement wrap-around on overflow (as Go's int64 arithmetic), so
// hostile inputs (huge unix seconds, huge durations) behave like Go and never
// hit C++ undefined behaviour.
//
// cairn runs with the process time zone UTC (the reference ran with TZ=UTC):
// the Local location is named "Local" and always has the zone "UTC" +0000.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render::sprig_detail {

// One zone of a location: abbreviation ("CET", "" for an unnamed fixed zone)
// and offset east of UTC in seconds.
struct Zone {
  std::string name;
  int offset = 0;
  bool is_dst = false;
};

// A *time.Location: UTC, Local, a fixed zone (from parsing "-0700" or "PST"),
// or a zone loaded from the system tz database (TZif).
class Location {
 public:
  struct Lookup {
    Zone zone;
    std::int64_t start;  // unix seconds the zone is valid from (inclusive)
    std::int64_t end;    // ... until (exclusive)
  };

  static std::shared_ptr<const Location> utc();
  static std::shared_ptr<const Location> local();
  static std::shared_ptr<const Location> fixed(std::string zone_name, int offset);
  // time.LoadLocation: "" and "UTC" give UTC, "Local" Local, other names
  // are read from the tz database (/usr/share/zoneinfo, or $ZONEINFO).
  // Error texts are Go's ("unknown time zone X", "time: invalid location name").
  static Result<std::shared_ptr<const Location>> load(std::string_view name);

  // Location.String(): "UTC", "Local", "Europe/Berlin", or a fixed zone's name.
  const std::string& name() const { return name_; }
  bool is_utc() const { return is_utc_; }
  // The zone in effect at `unix` (Go's Location.lookup).
  Lookup lookup(std::int64_t unix) const;
  // The offset of zone abbreviation `abbr` in effect around `unix`, if this
  // location has such a zone (Go's Location.lookupName).
  std::optional<int> lookup_name(std::string_view abbr, std::int64_t unix) const;

  struct Transition {
    std::int64_t when;  // unix seconds
    std::size_t zone;   // index into zones_
  };
  // `extend`: the TZif footer's POSIX TZ rule for times after the last
  // transition ("CET-1CEST,M3.5.0,M10.5.0/3"), or "".
  Location(std::string name, std::vector<Zone> zones, std::vector<Transition> tx,
           std::string extend, bool is_utc);

 private:
  std::string name_;
  std::vector<Zone> zones_;
  std::vector<Transition> tx_;
  std::string extend_;
  bool is_utc_ = false;
};

using LocationPtr = std::shared_ptr<const Location>;

// Nanoseconds (Go's time.Duration).
using Duration = std::int64_t;
constexpr Duration kSecond = 1'000'000'000;

// A Go time.Time: instant + location (+ monotonic clock reading for now()).
struct GoTime {
  std::int64_t sec = 0;   // seconds since 0001-01-01T00:00:00Z (Go's internal sec)
  std::int32_t nsec = 0;  // [0, 1e9)
  LocationPtr loc = Location::utc();
  std::optional<std::int64_t> mono;  // ns since process start, only from now()

  static GoTime now();
  // time.Unix(sec, 0): a Local time.
  static GoTime unix(std::int64_t sec, std::int64_t nsec = 0);
  // time.Date(...) with Go's normalisation of out-of-range fields.
  static GoTime date(std::int64_t year, std::int64_t month, std::int64_t day, std::int64_t hour,
                     std::int64_t min, std::int64_t sec, std::int64_t nsec, LocationPtr loc);

  std::int64_t unix_sec() const;
  bool is_zero() const { return sec == 0 && nsec == 0; }
  // t.In(loc): same instant, another location; drops the monotonic reading.
  GoTime in(LocationPtr l) const;
  GoTime add(Duration d) const;
  // t.AddDate(years, months, days).
  GoTime add_date(std::int64_t years, std::int64_t months, std::int64_t days) const;
  // t.Sub(u), saturating like Go.
  Duration sub(const GoTime& u) const;
  int compare(const GoTime& u) const;  // -1, 0, +1 (monotonic readings first)
  GoTime truncate(Duration d) const;
  GoTime round(Duration d) const;

  // Calendar fields in the time's location.
  struct Fields {
    std::int64_t year;
    int month;    // 1..12
    int day;      // 1..31
    int yday;     // 1..366
    int hour, minute, second;
    int weekday;  // 0 = Sunday
    Zone zone;
  };
  Fields fields() const;

  // t.Format(layout).
  std::string format(std::string_view layout) const;
  // t.String(): "2006-01-02 15:04:05.999999999 -0700 MST" plus " m=+S.NNNNNNNNN"
  // when there is a monotonic reading.
  std::string to_string() const;
};

// time.ParseInLocation(layout, value, loc), with Go's error texts:
//   parsing time "x" as "2006-01-02": cannot parse "x" as "2006"
Result<GoTime> parse_time(std::string_view layout, std::string_view value, const LocationPtr& loc);
// time.ParseDuration; errors like `time: invalid duration "x"`.
Result<Duration> parse_duration(std::string_view s);
// Duration.String(): "1h0m0s", "1.5s", "300ms", "0s".
std::string duration_string(Duration d);

// Values: a time.Time / time.Duration object and back.
Value time_value(GoTime t);
Value duration_value(Duration d);
// The GoTime of a "time.Time" object value; nullptr for anything else.
const GoTime* as_time(const Value& v);

// Registration (called by add_sprig_funcs): date functions (sprig_dates.cpp)
// and URL functions (sprig_urls.cpp).
void add_sprig_date_funcs(FuncMap& funcs);
void add_sprig_url_funcs(FuncMap& funcs);

}  // namespace cairn::render::sprig_detail
