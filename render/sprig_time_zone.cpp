// time.Location: UTC, Local (UTC in cairn), fixed zones, and zones loaded
// from the system tz database in TZif format with the POSIX TZ footer rule
// (Go's zoneinfo.go / zoneinfo_read.go behaviour).
#include <fstream>
#include <limits>
#include <map>
#include <mutex>

#include "render/detail/sprig_time.h"

namespace cairn::render::sprig_detail {
namespace {

constexpr std::int64_t kAlpha = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kOmega = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::size_t kMaxZoneFileBytes = 10u << 20;  // Go's readFile limit

// ------------------------------------------------------------ POSIX TZ rules
struct TzRule {
  enum Kind { Julian, DayOfYear, MonthWeekDay } kind = Julian;
  int day = 0, week = 0, mon = 0;
  std::int64_t time = 2 * 3600;  // transition time, default 02:00
};

// tzsetNum: a decimal in [min, max].
bool tz_num(std::string_view& s, int min, int max, int& num) {
  if (s.empty()) return false;
  num = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') {
      if (i == 0 || num < min) return false;
      s.remove_prefix(i);
      return true;
    }
    num = num * 10 + (c - '0');
    if (num > max) return false;
  }
  if (num < min) return false;
  s = {};
  return true;
}

// tzsetName: "CET" or "<+03>".
bool tz_name(std::string_view& s, std::string& name) {
  if (s.empty()) return false;
  if (s[0] == '<') {
    std::size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    name = std::string(s.substr(1, close - 1));
    s.remove_prefix(close + 1);
    return true;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || c == ',' || c == '-' || c == '+') {
      if (i < 3) return false;
      name = std::string(s.substr(0, i));
      s.remove_prefix(i);
      return true;
    }
  }
  if (s.size() < 3) return false;
  name = std::string(s);
  s = {};
  return true;
}

// tzsetOffset: [+-]hh[:mm[:ss]] in seconds.
bool tz_offset(std::string_view& s, std::int64_t& off) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int hours = 0, mins = 0, secs = 0;
  if (!tz_num(s, 0, 24 * 7, hours)) return false;
  off = hours * 3600;
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    if (!tz_num(s, 0, 59, mins)) return false;
    off += mins * 60;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      if (!tz_num(s, 0, 59, secs)) return false;
      off += secs;
    }
  }
  if (neg) off = -off;
  return true;
}

bool tz_rule(std::string_view& s, TzRule& r) {
  if (s.empty()) return false;
  if (s[0] == 'J') {
    s.remove_prefix(1);
    if (!tz_num(s, 1, 365, r.day)) return false;
    r.kind = TzRule::Julian;
  } else if (s[0] == 'M') {
    s.remove_prefix(1);
    if (!tz_num(s, 1, 12, r.mon) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!tz_num(s, 1, 5, r.week) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!tz_num(s, 0, 6, r.day)) return false;
    r.kind = TzRule::MonthWeekDay;
  } else {
    if (!tz_num(s, 0, 365, r.day)) return false;
    r.kind = TzRule::DayOfYear;
  }
  if (s.empty() || s[0] != '/') return true;
  s.remove_prefix(1);
  return tz_offset(s, r.time);
}

// Go's wrapping int64 addition (extreme times must not be C++ overflow).
std::int64_t wadd(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

bool leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// tzruleTime: seconds after the start of `year` (local time at offset `off`).
std::int64_t tz_rule_time(std::int64_t year, const TzRule& r, std::int64_t off) {
  static constexpr int kDaysBefore[13] = {0,   31,  59,  90,  120, 151, 181,
                                          212, 243, 273, 304, 334, 365};
  std::int64_t s = 0;
  switch (r.kind) {
    case TzRule::Julian:
      s = (r.day - 1) * kSecondsPerDay;
      if (leap(year) && r.day >= 60) s += kSecondsPerDay;
      break;
    case TzRule::DayOfYear: s = r.day * kSecondsPerDay; break;
    case TzRule::MonthWeekDay: {
      // Zeller's congruence for the weekday of the first of the month.
      std::int64_t m1 = (r.mon + 9) % 12 + 1;
      std::int64_t yy0 = r.mon <= 2 ? year - 1 : year;
      std::int64_t yy1 = yy0 / 100, yy2 = yy0 % 100;
      std::int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      std::int64_t d = r.day - dow;
      if (d < 0) d += 7;
      int month_days = kDaysBefore[r.mon] - kDaysBefore[r.mon - 1] +
                       (r.mon == 2 && leap(year) ? 1 : 0);
      for (int i = 1; i < r.week; ++i) {
        if (d + 7 >= month_days) break;
        d += 7;
      }
      d += kDaysBefore[r.mon - 1];
      if (leap(year) && r.mon > 2) ++d;
      s = d * kSecondsPerDay;
      break;
    }
  }
  return s + r.time - off;
}

// Go's tzset: the zone the POSIX TZ string gives for `sec`.
bool tzset(std::string_view s, std::int64_t last_tx, std::int64_t sec, Location::Lookup& out) {
  std::string std_name, dst_name;
  std::int64_t std_off = 0, dst_off = 0;
  if (!tz_name(s, std_name) || !tz_offset(s, std_off)) return false;
  std_off = -std_off;
  if (s.empty() || s[0] == ',') {
    out = {Zone{std_name, static_cast<int>(std_off), false}, last_tx, kOmega};
    return true;
  }
  if (!tz_name(s, dst_name)) return false;
  if (s.empty() || s[0] == ',') {
    dst_off = std_off + 3600;
  } else {
    if (!tz_offset(s, dst_off)) return false;
    dst_off = -dst_off;
  }
  std::string_view rules = s.empty() ? std::string_view(",M3.2.0,M11.1.0") : s;
  if (rules[0] != ',' && rules[0] != ';') return false;
  rules.remove_prefix(1);
  TzRule start_rule, end_rule;
  if (!tz_rule(rules, start_rule) || rules.empty() || rules[0] != ',') return false;
  rules.remove_prefix(1);
  if (!tz_rule(rules, end_rule) || !rules.empty()) return false;

  GoTime::Fields f = GoTime::unix(sec).in(Location::utc()).fields();
  std::int64_t year_start = GoTime::date(f.year, 1, 1, 0, 0, 0, 0, Location::utc()).unix_sec();
  // Go mixes the day of the year with C-style `sec % day` (negative before 1970).
  std::int64_t ysec = static_cast<std::int64_t>(f.yday - 1) * kSecondsPerDay + sec % kSecondsPerDay;

  std::int64_t start = tz_rule_time(f.year, start_rule, std_off);
  std::int64_t end = tz_rule_time(f.year, end_rule, dst_off);
  bool dst_is_dst = true, std_is_dst = false;
  if (end < start) {
    std::swap(start, end);
    std::swap(std_name, dst_name);
    std::swap(std_off, dst_off);
    std::swap(std_is_dst, dst_is_dst);
  }
  if (ysec < start) {
    out = {Zone{std_name, static_cast<int>(std_off), std_is_dst}, year_start,
           wadd(start, year_start)};
  } else if (ysec >= end) {
    out = {Zone{std_name, static_cast<int>(std_off), std_is_dst}, wadd(end, year_start),
           wadd(year_start, 365 * kSecondsPerDay)};
  } else {
    out = {Zone{dst_name, static_cast<int>(dst_off), dst_is_dst}, wadd(start, year_start),
           wadd(end, year_start)};
  }
  return true;
}

// ---------------------------------------------------------------- TZif files
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::string_view read(std::size_t n) {
    if (n > data_.size()) {
      error_ = true;
      n = data_.size();
    }
    std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  std::uint64_t big(std::size_t n) {
    std::string_view b = read(n);
    std::uint64_t v = 0;
    for (char c : b) v = v << 8 | static_cast<unsigned char>(c);
    return b.size() == n ? v : 0;
  }
  std::string_view rest() const { return data_; }
  bool error() const { return error_; }

 private:
  std::string_view data_;
  bool error_ = false;
};

// LoadLocationFromTZData; nullptr when the data is malformed.
LocationPtr parse_tzif(const std::string& name, std::string_view data) {
  Reader d(data);
  if (d.read(4) != "TZif") return nullptr;
  std::string_view header = d.read(16);
  if (header.size() != 16) return nullptr;
  int version = header[0] == 0 ? 1 : header[0] == '2' ? 2 : header[0] == '3' ? 3 : 0;
  if (version == 0) return nullptr;
  enum { kUtcLocal, kStdWall, kLeap, kTime, kZone, kChar };
  std::size_t n[6];
  auto read_counts = [&] {
    for (std::size_t& c : n) c = static_cast<std::size_t>(d.big(4));
    return !d.error();
  };
  if (!read_counts()) return nullptr;
  std::size_t size = 4;
  if (version > 1) {  // skip the 32-bit block, use the 64-bit one
    d.read(n[kTime] * 5 + n[kZone] * 6 + n[kChar] + n[kLeap] * 8 + n[kStdWall] +
           n[kUtcLocal] + 20);
    if (!read_counts()) return nullptr;
    size = 8;
  }
  Reader times(d.read(n[kTime] * size));
  std::string_view tx_zones = d.read(n[kTime]);
  Reader zone_data(d.read(n[kZone] * 6));
  std::string_view abbrev = d.read(n[kChar]);
  d.read(n[kLeap] * (size + 4));
  d.read(n[kStdWall]);
  d.read(n[kUtcLocal]);
  if (d.error()) return nullptr;
  std::string extend;
  std::string_view rest = d.rest();
  if (rest.size() > 2 && rest.front() == '\n' && rest.back() == '\n') {
    extend = std::string(rest.substr(1, rest.size() - 2));
  }
  if (n[kZone] == 0) return nullptr;
  std::vector<Zone> zones(n[kZone]);
  for (Zone& z : zones) {
    z.offset = static_cast<int>(static_cast<std::int32_t>(zone_data.big(4)));
    z.is_dst = zone_data.big(1) != 0;
    std::size_t ab = static_cast<std::size_t>(zone_data.big(1));
    if (zone_data.error() || ab >= abbrev.size()) return nullptr;
    std::string_view nm = abbrev.substr(ab);
    z.name = std::string(nm.substr(0, nm.find('\0')));
  }
  std::vector<Location::Transition> tx(n[kTime]);
  for (std::size_t i = 0; i < tx.size(); ++i) {
    std::uint64_t w = times.big(size);
    tx[i].when = size == 4 ? static_cast<std::int32_t>(w) : static_cast<std::int64_t>(w);
    tx[i].zone = static_cast<unsigned char>(tx_zones[i]);
    if (tx[i].zone >= zones.size()) return nullptr;
  }
  if (tx.empty()) tx.push_back({kAlpha, 0});
  return std::make_shared<const Location>(name, std::move(zones), std::move(tx),
                                          std::move(extend), false);
}

bool contains_dot_dot(std::string_view s) {
  if (s.size() < 2) return false;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '.' && s[i + 1] == '.') return true;
  }
  return false;
}

// Reads a zone file from the platform directories Go searches.
LocationPtr load_from_system(const std::string& name) {
  static const char* const kDirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                      "/usr/lib/locale/TZ/", "/etc/zoneinfo/"};
  for (const char* dir : kDirs) {
    std::ifstream in(std::string(dir) + name, std::ios::binary);
    if (!in) continue;
    std::string data;
    char buf[4096];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      data.append(buf, static_cast<std::size_t>(in.gcount()));
      if (data.size() > kMaxZoneFileBytes) return nullptr;
    }
    if (auto loc = parse_tzif(name, data)) return loc;
  }
  return nullptr;
}

}  // namespace

Location::Location(std::string name, std::vector<Zone> zones, std::vector<Transition> tx,
                   std::string extend, bool is_utc)
    : name_(std::move(name)),
      zones_(std::move(zones)),
      tx_(std::move(tx)),
      extend_(std::move(extend)),
      is_utc_(is_utc) {}

LocationPtr Location::utc() {
  static const LocationPtr loc =
      std::make_shared<const Location>("UTC", std::vector<Zone>{}, std::vector<Transition>{}, "",
                                       true);
  return loc;
}

LocationPtr Location::local() {
  static const LocationPtr loc = std::make_shared<const Location>(
      "Local", std::vector<Zone>{Zone{"UTC", 0, false}},
      std::vector<Transition>{Transition{kAlpha, 0}}, "", false);
  return loc;
}

LocationPtr Location::fixed(std::string zone_name, int offset) {
  std::vector<Zone> zones{Zone{zone_name, offset, false}};
  return std::make_shared<const Location>(std::move(zone_name), std::move(zones),
                                          std::vector<Transition>{Transition{kAlpha, 0}}, "",
                                          false);
}

Result<LocationPtr> Location::load(std::string_view name) {
  if (name.empty() || name == "UTC") return utc();
  if (name == "Local") return local();
  if (contains_dot_dot(name) || name[0] == '/' || name[0] == '\\' ||
      name.find('\0') != std::string_view::npos) {
    return make_error("time: invalid location name");
  }
  static std::mutex mu;
  static std::map<std::string, LocationPtr, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::string key(name);
  LocationPtr loc = load_from_system(key);
  if (!loc) return make_error("unknown time zone " + key);
  if (cache.size() < 1024) cache.emplace(key, loc);
  return loc;
}

Location::Lookup Location::lookup(std::int64_t sec) const {
  if (zones_.empty()) return {Zone{"UTC", 0, false}, kAlpha, kOmega};
  if (tx_.empty() || sec < tx_[0].when) {
    // Go's lookupFirstZone.
    std::size_t zi = 0;
    bool first_used = false;
    for (const Transition& t : tx_) first_used = first_used || t.zone == 0;
    if (first_used) {
      bool found = false;
      if (!tx_.empty() && zones_[tx_[0].zone].is_dst) {
        for (std::size_t i = tx_[0].zone; i-- > 0;) {
          if (!zones_[i].is_dst) {
            zi = i;
            found = true;
            break;
          }
        }
      }
      for (std::size_t i = 0; !found && i < zones_.size(); ++i) {
        if (!zones_[i].is_dst) {
          zi = i;
          found = true;
        }
      }
    }
    return {zones_[zi], kAlpha, tx_.empty() ? kOmega : tx_[0].when};
  }
  std::size_t lo = 0, hi = tx_.size();
  std::int64_t end = kOmega;
  while (hi - lo > 1) {
    std::size_t m = (lo + hi) / 2;
    if (sec < tx_[m].when) {
      end = tx_[m].when;
      hi = m;
    } else {
      lo = m;
    }
  }
  Lookup out{zones_[tx_[lo].zone], tx_[lo].when, end};
  if (lo == tx_.size() - 1 && !extend_.empty()) {
    Lookup ext;
    if (tzset(extend_, out.start, sec, ext)) return ext;
  }
  return out;
}

std::optional<int> Location::lookup_name(std::string_view abbr, std::int64_t unix) const {
  for (const Zone& z : zones_) {
    if (z.name == abbr) {
      Lookup l = lookup(static_cast<std::int64_t>(static_cast<std::uint64_t>(unix) -
                                                  static_cast<std::uint64_t>(z.offset)));
      if (l.zone.name == z.name) return l.zone.offset;
    }
  }
  for (const Zone& z : zones_) {
    if (z.name == abbr) return z.offset;
  }
  return std::nullopt;
}

}  // namespace cairn::render::sprig_detail
