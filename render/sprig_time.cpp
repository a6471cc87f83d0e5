// Go's time.Time for sprig's date functions: calendar arithmetic (time.go),
// layouts (format.go), durations, and the template-visible objects
// time.Time / time.Duration / time.Month / time.Weekday / *time.Location.
#include <chrono>
#include <cstring>
#include <limits>

#include "render/detail/sprig_time.h"
#include "render/detail/sprig_util.h"
#include "render/gofmt.h"

namespace cairn::render::sprig_detail {
namespace {

// ------------------------------------------------------------------ constants
constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kAbsoluteZeroYear = -292277022399;
constexpr std::int64_t kAbsoluteToInternal = -9223371966579724800;  // (zero year - 1) * 365.2425d
constexpr std::int64_t kUnixToInternal = 62135596800;             // 1970-01-01 - 0001-01-01
constexpr std::int64_t kUnixToAbsolute = 9223372028715321600;     // unixToInternal - absoluteToInternal
constexpr std::uint64_t kDaysPer400Years = 365 * 400 + 97;
constexpr std::uint64_t kDaysPer100Years = 365 * 100 + 24;
constexpr std::uint64_t kDaysPer4Years = 365 * 4 + 1;
constexpr int kDaysBefore[13] = {0,   31,  59,  90,  120, 151, 181,
                                 212, 243, 273, 304, 334, 365};

const char* const kLongMonths[12] = {"January", "February", "March",     "April",
                                     "May",     "June",     "July",      "August",
                                     "September", "October", "November", "December"};
const char* const kShortMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kLongDays[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                  "Thursday", "Friday", "Saturday"};
const char* const kShortDays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// Go's int64 arithmetic wraps; C++'s signed overflow is undefined.
std::int64_t wadd(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wsub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wmul(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}
std::int64_t wneg(std::int64_t a) { return wsub(0, a); }

bool is_leap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}
int days_in(int month, std::int64_t year) {
  if (month == 2 && is_leap(year)) return 29;
  return kDaysBefore[month] - kDaysBefore[month - 1];
}

// Go's norm: hi*base + lo == nhi*base + nlo with 0 <= nlo < base (wrapping).
void norm(std::int64_t& hi, std::int64_t& lo, std::int64_t base) {
  if (lo < 0) {
    std::int64_t n = wadd(wsub(wneg(lo), 1) / base, 1);
    hi = wsub(hi, n);
    lo = wadd(lo, wmul(n, base));
  }
  if (lo >= base) {
    std::int64_t n = lo / base;
    hi = wadd(hi, n);
    lo = wsub(lo, wmul(n, base));
  }
}

std::uint64_t days_since_epoch(std::int64_t year) {
  std::uint64_t y = static_cast<std::uint64_t>(wsub(year, kAbsoluteZeroYear));
  std::uint64_t n = y / 400;
  y -= 400 * n;
  std::uint64_t d = kDaysPer400Years * n;
  n = y / 100;
  y -= 100 * n;
  d += kDaysPer100Years * n;
  n = y / 4;
  y -= 4 * n;
  d += kDaysPer4Years * n;
  return d + 365 * y;
}

struct AbsDate {
  std::int64_t year;
  int month;
  int day;
  int yday;  // 0-based
};

// Go's absDate: calendar date of an absolute (zero-year based) time.
AbsDate abs_date(std::uint64_t abs) {
  std::uint64_t d = abs / kSecondsPerDay;
  std::uint64_t n = d / kDaysPer400Years;
  std::uint64_t y = 400 * n;
  d -= kDaysPer400Years * n;
  n = d / kDaysPer100Years;
  n -= n >> 2;
  y += 100 * n;
  d -= kDaysPer100Years * n;
  n = d / kDaysPer4Years;
  y += 4 * n;
  d -= kDaysPer4Years * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  AbsDate out{wadd(static_cast<std::int64_t>(y), kAbsoluteZeroYear), 0, 0, static_cast<int>(d)};
  int day = out.yday;
  if (is_leap(out.year)) {
    if (day == 31 + 29 - 1) {
      out.month = 2;
      out.day = 29;
      return out;
    }
    if (day > 31 + 29 - 1) --day;
  }
  int month = day / 31;
  int end = kDaysBefore[month + 1];
  int begin;
  if (day >= end) {
    ++month;
    begin = end;
  } else {
    begin = kDaysBefore[month];
  }
  out.month = month + 1;
  out.day = day - begin + 1;
  return out;
}

// Process start, for monotonic clock readings ("m=+0.001").
const std::chrono::steady_clock::time_point kProcessStart =
    std::chrono::steady_clock::now() - std::chrono::nanoseconds(1);

// Go's appendInt: decimal of x, zero-padded to `width` digits after a sign.
void append_int(std::string& b, std::int64_t x, int width) {
  std::uint64_t u = static_cast<std::uint64_t>(x);
  if (x < 0) {
    b += '-';
    u = 0 - u;
  }
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0);
  for (int pad = width - n; pad > 0; --pad) b += '0';
  while (n > 0) b += digits[--n];
}

// ------------------------------------------------------------------- layouts
enum class Std : std::uint8_t {
  None, LongMonth, Month, NumMonth, ZeroMonth, LongWeekDay, WeekDay, Day, UnderDay, ZeroDay,
  UnderYearDay, ZeroYearDay, Hour, Hour12, ZeroHour12, Minute, ZeroMinute, Second, ZeroSecond,
  LongYear, Year, PM, pm, TZ, ISO8601TZ, ISO8601SecondsTZ, ISO8601ShortTZ, ISO8601ColonTZ,
  ISO8601ColonSecondsTZ, NumTZ, NumSecondsTz, NumShortTZ, NumColonTZ, NumColonSecondsTZ,
  FracSecond0, FracSecond9,
};

// One layout element: literal text before it, the element, the rest.
struct Chunk {
  std::string_view prefix;
  Std std = Std::None;
  std::string_view std_text;  // the layout text of the element
  std::string_view suffix;
  int frac_digits = 0;        // FracSecond*: number of digits
  char frac_sep = '.';        // FracSecond*: '.' or ','
};

bool is_digit_at(std::string_view s, std::size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}
bool starts_lower(std::string_view s) { return !s.empty() && s[0] >= 'a' && s[0] <= 'z'; }

// Go's nextStdChunk: the first layout element in `layout`.
Chunk next_chunk(std::string_view layout) {
  auto hit = [&](std::size_t i, Std std, std::size_t len) {
    Chunk c;
    c.prefix = layout.substr(0, i);
    c.std = std;
    c.std_text = layout.substr(i, len);
    c.suffix = layout.substr(i + len);
    return c;
  };
  auto at = [&](std::size_t i, std::string_view lit) { return layout.substr(i, lit.size()) == lit; };
  for (std::size_t i = 0; i < layout.size(); ++i) {
    switch (layout[i]) {
      case 'J':
        if (at(i, "Jan")) {
          if (at(i, "January")) return hit(i, Std::LongMonth, 7);
          if (!starts_lower(layout.substr(i + 3))) return hit(i, Std::Month, 3);
        }
        break;
      case 'M':
        if (at(i, "Mon")) {
          if (at(i, "Monday")) return hit(i, Std::LongWeekDay, 6);
          if (!starts_lower(layout.substr(i + 3))) return hit(i, Std::WeekDay, 3);
        }
        if (at(i, "MST")) return hit(i, Std::TZ, 3);
        break;
      case '0':
        if (i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
          static constexpr Std k0x[6] = {Std::ZeroMonth, Std::ZeroDay, Std::ZeroHour12,
                                         Std::ZeroMinute, Std::ZeroSecond, Std::Year};
          return hit(i, k0x[layout[i + 1] - '1'], 2);
        }
        if (at(i, "002")) return hit(i, Std::ZeroYearDay, 3);
        break;
      case '1':
        if (at(i, "15")) return hit(i, Std::Hour, 2);
        return hit(i, Std::NumMonth, 1);
      case '2':
        if (at(i, "2006")) return hit(i, Std::LongYear, 4);
        return hit(i, Std::Day, 1);
      case '_':
        if (at(i, "_2")) {
          if (at(i + 1, "2006")) return hit(i + 1, Std::LongYear, 4);  // literal '_' + year
          return hit(i, Std::UnderDay, 2);
        }
        if (at(i, "__2")) return hit(i, Std::UnderYearDay, 3);
        break;
      case '3': return hit(i, Std::Hour12, 1);
      case '4': return hit(i, Std::Minute, 1);
      case '5': return hit(i, Std::Second, 1);
      case 'P':
        if (at(i, "PM")) return hit(i, Std::PM, 2);
        break;
      case 'p':
        if (at(i, "pm")) return hit(i, Std::pm, 2);
        break;
      case '-':
        if (at(i, "-070000")) return hit(i, Std::NumSecondsTz, 7);
        if (at(i, "-07:00:00")) return hit(i, Std::NumColonSecondsTZ, 9);
        if (at(i, "-0700")) return hit(i, Std::NumTZ, 5);
        if (at(i, "-07:00")) return hit(i, Std::NumColonTZ, 6);
        if (at(i, "-07")) return hit(i, Std::NumShortTZ, 3);
        break;
      case 'Z':
        if (at(i, "Z070000")) return hit(i, Std::ISO8601SecondsTZ, 7);
        if (at(i, "Z07:00:00")) return hit(i, Std::ISO8601ColonSecondsTZ, 9);
        if (at(i, "Z0700")) return hit(i, Std::ISO8601TZ, 5);
        if (at(i, "Z07:00")) return hit(i, Std::ISO8601ColonTZ, 6);
        if (at(i, "Z07")) return hit(i, Std::ISO8601ShortTZ, 3);
        break;
      case '.':
      case ',':
        if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
          char ch = layout[i + 1];
          std::size_t j = i + 1;
          while (j < layout.size() && layout[j] == ch) ++j;
          if (!is_digit_at(layout, j)) {
            Chunk c = hit(i, ch == '0' ? Std::FracSecond0 : Std::FracSecond9, j - i);
            // Go keeps the digit count in 12 bits.
            c.frac_digits = static_cast<int>((j - (i + 1)) & 0xfff);
            c.frac_sep = layout[i];
            return c;
          }
        }
        break;
      default: break;
    }
  }
  Chunk c;
  c.prefix = layout;
  return c;
}

bool is_iso_tz(Std s) {
  return s == Std::ISO8601TZ || s == Std::ISO8601SecondsTZ || s == Std::ISO8601ShortTZ ||
         s == Std::ISO8601ColonTZ || s == Std::ISO8601ColonSecondsTZ;
}

// Go's appendNano: the fractional second of a FracSecond element.
void append_nano(std::string& b, int nsec, const Chunk& c) {
  bool trim = c.std == Std::FracSecond9;
  int n = c.frac_digits;
  if (trim && (n == 0 || nsec == 0)) return;
  b += c.frac_sep;
  std::string digits;
  append_int(digits, nsec, 9);
  if (n < 9) digits.resize(static_cast<std::size_t>(n));
  b += digits;
  if (trim) {
    while (!b.empty() && b.back() == '0') b.pop_back();
    if (!b.empty() && b.back() == c.frac_sep) b.pop_back();
  }
}

// A numeric zone offset element ("-0700", "Z07:00", ...).
void append_offset(std::string& b, Std std, int offset) {
  if (offset == 0 && is_iso_tz(std)) {
    b += 'Z';
    return;
  }
  int zone = offset / 60;
  int absoffset = offset;
  if (zone < 0) {
    b += '-';
    zone = -zone;
    absoffset = -absoffset;
  } else {
    b += '+';
  }
  append_int(b, zone / 60, 2);
  bool colon = std == Std::ISO8601ColonTZ || std == Std::NumColonTZ ||
               std == Std::ISO8601ColonSecondsTZ || std == Std::NumColonSecondsTZ;
  if (colon) b += ':';
  if (std != Std::NumShortTZ && std != Std::ISO8601ShortTZ) append_int(b, zone % 60, 2);
  if (std == Std::ISO8601SecondsTZ || std == Std::NumSecondsTz ||
      std == Std::NumColonSecondsTZ || std == Std::ISO8601ColonSecondsTZ) {
    if (std == Std::NumColonSecondsTZ || std == Std::ISO8601ColonSecondsTZ) b += ':';
    append_int(b, absoffset % 60, 2);
  }
}

void append_element(std::string& b, const Chunk& c, const GoTime::Fields& f, int nsec) {
  switch (c.std) {
    case Std::Year: append_int(b, (f.year < 0 ? -f.year : f.year) % 100, 2); break;
    case Std::LongYear: append_int(b, f.year, 4); break;
    case Std::Month: b += kShortMonths[f.month - 1]; break;
    case Std::LongMonth: b += kLongMonths[f.month - 1]; break;
    case Std::NumMonth: append_int(b, f.month, 0); break;
    case Std::ZeroMonth: append_int(b, f.month, 2); break;
    case Std::WeekDay: b += kShortDays[f.weekday]; break;
    case Std::LongWeekDay: b += kLongDays[f.weekday]; break;
    case Std::Day: append_int(b, f.day, 0); break;
    case Std::UnderDay:
      if (f.day < 10) b += ' ';
      append_int(b, f.day, 0);
      break;
    case Std::ZeroDay: append_int(b, f.day, 2); break;
    case Std::UnderYearDay:
      if (f.yday < 100) b += f.yday < 10 ? "  " : " ";
      append_int(b, f.yday, 0);
      break;
    case Std::ZeroYearDay: append_int(b, f.yday, 3); break;
    case Std::Hour: append_int(b, f.hour, 2); break;
    case Std::Hour12:
    case Std::ZeroHour12: {
      int hr = f.hour % 12 == 0 ? 12 : f.hour % 12;
      append_int(b, hr, c.std == Std::Hour12 ? 0 : 2);
      break;
    }
    case Std::Minute: append_int(b, f.minute, 0); break;
    case Std::ZeroMinute: append_int(b, f.minute, 2); break;
    case Std::Second: append_int(b, f.second, 0); break;
    case Std::ZeroSecond: append_int(b, f.second, 2); break;
    case Std::PM: b += f.hour >= 12 ? "PM" : "AM"; break;
    case Std::pm: b += f.hour >= 12 ? "pm" : "am"; break;
    case Std::TZ:
      if (!f.zone.name.empty()) {
        b += f.zone.name;
      } else {  // unnamed zone: -0700 form
        int zone = f.zone.offset / 60;
        b += zone < 0 ? '-' : '+';
        if (zone < 0) zone = -zone;
        append_int(b, zone / 60, 2);
        append_int(b, zone % 60, 2);
      }
      break;
    case Std::FracSecond0:
    case Std::FracSecond9: append_nano(b, nsec, c); break;
    case Std::None: break;
    default: append_offset(b, c.std, f.zone.offset); break;
  }
}

// ------------------------------------------------------------------- parsing
// Go's time.quote: ASCII printable as is, other bytes as \xNN.
std::string time_quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 || c < ' ') {
      // Go escapes every byte of the (possibly invalid) UTF-8 sequence.
      std::size_t pos = i;
      char32_t r = next_rune(s, pos);
      std::size_t width = pos - i;
      if (r == kRuneError && s.substr(i, 3) != "\xEF\xBF\xBD") width = 1;
      for (std::size_t j = 0; j < width; ++j) {
        unsigned char b = static_cast<unsigned char>(s[i + j]);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 15];
      }
      i += width;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
    ++i;
  }
  return out + "\"";
}

// Go's leadingInt: leading digits as uint64; false on overflow past 1<<63.
bool leading_int(std::string_view& s, std::uint64_t& x) {
  x = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (x > (std::uint64_t{1} << 63) / 10) return false;
    x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (x > (std::uint64_t{1} << 63)) return false;
  }
  s.remove_prefix(i);
  return true;
}

// Go's time.atoi: optional sign, digits, nothing else.
bool time_atoi(std::string_view s, std::int64_t& x) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t q;
  if (!leading_int(s, q) || !s.empty()) return false;
  x = static_cast<std::int64_t>(q);
  if (neg) x = wneg(x);
  return true;
}

// getnum: one or two digits (exactly two when fixed).
bool getnum(std::string_view& s, bool fixed, std::int64_t& n) {
  if (!is_digit_at(s, 0)) return false;
  if (!is_digit_at(s, 1)) {
    if (fixed) return false;
    n = s[0] - '0';
    s.remove_prefix(1);
    return true;
  }
  n = (s[0] - '0') * 10 + (s[1] - '0');
  s.remove_prefix(2);
  return true;
}

// getnum3: one to three digits (exactly three when fixed).
bool getnum3(std::string_view& s, bool fixed, std::int64_t& n) {
  n = 0;
  std::size_t i = 0;
  for (; i < 3 && is_digit_at(s, i); ++i) n = n * 10 + (s[i] - '0');
  if (i == 0 || (fixed && i != 3)) return false;
  s.remove_prefix(i);
  return true;
}

// skip: match a literal layout prefix, runs of spaces matching runs of spaces.
bool skip(std::string_view& value, std::string_view prefix) {
  while (!prefix.empty()) {
    if (prefix[0] == ' ') {
      if (!value.empty() && value[0] != ' ') return false;
      while (!prefix.empty() && prefix[0] == ' ') prefix.remove_prefix(1);
      while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      continue;
    }
    if (value.empty() || value[0] != prefix[0]) return false;
    prefix.remove_prefix(1);
    value.remove_prefix(1);
  }
  return true;
}

bool ascii_match_fold(std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c1 = a[i], c2 = b[i];
    if (c1 != c2) {
      c1 = static_cast<char>(c1 | 0x20);
      c2 = static_cast<char>(c2 | 0x20);
      if (c1 != c2 || c1 < 'a' || c1 > 'z') return false;
    }
  }
  return true;
}

// lookup: case-insensitive prefix match against a name table.
bool lookup_name(const char* const* table, int n, std::string_view& value, std::int64_t& idx) {
  for (int i = 0; i < n; ++i) {
    std::string_view name = table[i];
    if (value.size() >= name.size() && ascii_match_fold(value.substr(0, name.size()), name)) {
      idx = i;
      value.remove_prefix(name.size());
      return true;
    }
  }
  return false;
}

// parseSignedOffset: "+03" / "-4" in -23..+23; length or 0.
std::size_t parse_signed_offset(std::string_view value) {
  if (value.empty() || (value[0] != '-' && value[0] != '+')) return 0;
  std::string_view rest = value.substr(1);
  std::uint64_t x;
  if (!leading_int(rest, x) || rest.size() == value.size() - 1 || x > 23) return 0;
  return value.size() - rest.size();
}

// parseTimeZone: length of a zone abbreviation at the start of value.
std::size_t parse_time_zone(std::string_view value) {
  if (value.size() < 3) return 0;
  if (value.substr(0, 4) == "ChST" || value.substr(0, 4) == "MeST") return 4;
  if (value.substr(0, 3) == "GMT") return 3 + (value.size() > 3 ? parse_signed_offset(value.substr(3)) : 0);
  if (value[0] == '+' || value[0] == '-') return parse_signed_offset(value);
  std::size_t upper = 0;
  while (upper < 6 && upper < value.size() && value[upper] >= 'A' && value[upper] <= 'Z') ++upper;
  switch (upper) {
    case 3: return 3;
    case 4: return value[3] == 'T' || value.substr(0, 4) == "WITA" ? 4 : 0;
    case 5: return value[4] == 'T' ? 5 : 0;
    default: return 0;
  }
}

// parseNanoseconds: value starts with '.' or ','; nbytes includes it.
bool parse_nanoseconds(std::string_view value, std::size_t nbytes, std::int64_t& ns,
                       std::string& range_err) {
  if (value[0] != '.' && value[0] != ',') return false;
  if (nbytes > 10) nbytes = 10;
  if (!time_atoi(value.substr(1, nbytes - 1), ns)) return false;
  if (ns < 0) {
    range_err = "fractional second";
    return true;
  }
  for (std::size_t i = 0; i < 10 - nbytes; ++i) ns *= 10;
  return true;
}

// State of one parse.
struct ParseState {
  std::int64_t year = 0, month = -1, day = -1, yday = -1;
  std::int64_t hour = 0, min = 0, sec = 0, nsec = 0;
  bool am = false, pm = false;
  LocationPtr z;
  std::int64_t zone_offset = -1;
  std::string zone_name;
  std::string range_err;
};

// A numeric zone offset element: sets state.zone_offset.
bool parse_offset(std::string_view& value, Std std, ParseState& st) {
  std::string_view sign, hh, mm, ss = "00";
  auto take = [&](std::size_t len) {
    if (value.size() < len) return false;
    return true;
  };
  if (std == Std::ISO8601ColonTZ || std == Std::NumColonTZ) {
    if (!take(6) || value[3] != ':') return false;
    sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(4, 2);
    value.remove_prefix(6);
  } else if (std == Std::NumShortTZ || std == Std::ISO8601ShortTZ) {
    if (!take(3)) return false;
    sign = value.substr(0, 1), hh = value.substr(1, 2), mm = "00";
    value.remove_prefix(3);
  } else if (std == Std::ISO8601ColonSecondsTZ || std == Std::NumColonSecondsTZ) {
    if (!take(9) || value[3] != ':' || value[6] != ':') return false;
    sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(4, 2);
    ss = value.substr(7, 2);
    value.remove_prefix(9);
  } else if (std == Std::ISO8601SecondsTZ || std == Std::NumSecondsTz) {
    if (!take(7)) return false;
    sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(3, 2);
    ss = value.substr(5, 2);
    value.remove_prefix(7);
  } else {
    if (!take(5)) return false;
    sign = value.substr(0, 1), hh = value.substr(1, 2), mm = value.substr(3, 2);
    value.remove_prefix(5);
  }
  std::int64_t hr = 0, mi = 0, se = 0;
  bool ok = getnum(hh, true, hr) && getnum(mm, true, mi) && getnum(ss, true, se);
  if (hr > 24) st.range_err = "time zone offset hour";
  if (mi > 60) st.range_err = "time zone offset minute";
  if (se > 60) st.range_err = "time zone offset second";
  st.zone_offset = (hr * 60 + mi) * 60 + se;
  if (sign[0] == '-') {
    st.zone_offset = -st.zone_offset;
  } else if (sign[0] != '+') {
    return false;
  }
  return ok;
}

// Parses one layout element from value; false is Go's errBad.
bool parse_element(const Chunk& c, std::string_view& value, std::string_view layout_rest,
                   ParseState& st) {
  switch (c.std) {
    case Std::Year: {
      if (value.size() < 2) return false;
      std::string_view p = value.substr(0, 2);
      value.remove_prefix(2);
      if (!time_atoi(p, st.year)) return false;
      st.year += st.year >= 69 ? 1900 : 2000;
      return true;
    }
    case Std::LongYear:
      if (value.size() < 4 || !is_digit_at(value, 0)) return false;
      {
        std::string_view p = value.substr(0, 4);
        value.remove_prefix(4);
        return time_atoi(p, st.year);
      }
    case Std::Month:
    case Std::LongMonth:
      if (!lookup_name(c.std == Std::Month ? kShortMonths : kLongMonths, 12, value, st.month)) {
        return false;
      }
      ++st.month;
      return true;
    case Std::NumMonth:
    case Std::ZeroMonth:
      if (!getnum(value, c.std == Std::ZeroMonth, st.month)) return false;
      if (st.month <= 0 || st.month > 12) st.range_err = "month";
      return true;
    case Std::WeekDay:
    case Std::LongWeekDay: {
      std::int64_t ignored;
      return lookup_name(c.std == Std::WeekDay ? kShortDays : kLongDays, 7, value, ignored);
    }
    case Std::Day:
    case Std::UnderDay:
    case Std::ZeroDay:
      if (c.std == Std::UnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
      return getnum(value, c.std == Std::ZeroDay, st.day);
    case Std::UnderYearDay:
    case Std::ZeroYearDay:
      for (int i = 0; i < 2; ++i) {
        if (c.std == Std::UnderYearDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
      }
      return getnum3(value, c.std == Std::ZeroYearDay, st.yday);
    case Std::Hour: {
      bool ok = getnum(value, false, st.hour);
      if (st.hour < 0 || st.hour >= 24) st.range_err = "hour";
      return ok;
    }
    case Std::Hour12:
    case Std::ZeroHour12: {
      bool ok = getnum(value, c.std == Std::ZeroHour12, st.hour);
      if (st.hour < 0 || st.hour > 12) st.range_err = "hour";
      return ok;
    }
    case Std::Minute:
    case Std::ZeroMinute: {
      bool ok = getnum(value, c.std == Std::ZeroMinute, st.min);
      if (st.min < 0 || st.min >= 60) st.range_err = "minute";
      return ok;
    }
    case Std::Second:
    case Std::ZeroSecond: {
      if (!getnum(value, c.std == Std::ZeroSecond, st.sec)) return false;
      if (st.sec < 0 || st.sec >= 60) {
        st.range_err = "second";
        return true;
      }
      // A fractional second in the value that the layout does not spell.
      if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && is_digit_at(value, 1)) {
        Std next = next_chunk(layout_rest).std;
        if (next == Std::FracSecond0 || next == Std::FracSecond9) return true;
        std::size_t n = 2;
        while (n < value.size() && is_digit_at(value, n)) ++n;
        bool ok = parse_nanoseconds(value, n, st.nsec, st.range_err);
        value.remove_prefix(n);
        return ok;
      }
      return true;
    }
    case Std::PM:
    case Std::pm: {
      if (value.size() < 2) return false;
      std::string_view p = value.substr(0, 2);
      value.remove_prefix(2);
      bool upper = c.std == Std::PM;
      if (p == (upper ? "PM" : "pm")) {
        st.pm = true;
      } else if (p == (upper ? "AM" : "am")) {
        st.am = true;
      } else {
        return false;
      }
      return true;
    }
    case Std::TZ: {
      if (value.substr(0, 3) == "UTC") {
        st.z = Location::utc();
        value.remove_prefix(3);
        return true;
      }
      std::size_t n = parse_time_zone(value);
      if (n == 0) return false;
      st.zone_name = std::string(value.substr(0, n));
      value.remove_prefix(n);
      return true;
    }
    case Std::FracSecond0: {
      std::size_t ndigit = 1 + static_cast<std::size_t>(c.frac_digits);
      if (value.size() < ndigit) return false;
      bool ok = parse_nanoseconds(value, ndigit, st.nsec, st.range_err);
      value.remove_prefix(ndigit);
      return ok;
    }
    case Std::FracSecond9: {
      if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !is_digit_at(value, 1)) {
        return true;  // omitted
      }
      std::size_t i = 0;
      while (i + 1 < value.size() && is_digit_at(value, i + 1)) ++i;
      bool ok = parse_nanoseconds(value, 1 + i, st.nsec, st.range_err);
      value.remove_prefix(1 + i);
      return ok;
    }
    case Std::None: return true;
    default:
      if (is_iso_tz(c.std) && !value.empty() && value[0] == 'Z') {
        value.remove_prefix(1);
        st.z = Location::utc();
        return true;
      }
      return parse_offset(value, c.std, st);
  }
}

Error parse_error(std::string_view layout, std::string_view value, std::string_view elem,
                  std::string_view value_elem, std::string_view message) {
  if (message.empty()) {
    return Error{"parsing time " + time_quote(value) + " as " + time_quote(layout) +
                 ": cannot parse " + time_quote(value_elem) + " as " + time_quote(elem)};
  }
  return Error{"parsing time " + time_quote(value) + std::string(message)};
}

// Converts a day of the year into month and day; an error message or "".
std::string resolve_yday(ParseState& st) {
  std::int64_t m = 0, d = 0, yday = st.yday;
  if (is_leap(st.year)) {
    if (yday == 31 + 29) {
      m = 2;
      d = 29;
    } else if (yday > 31 + 29) {
      --yday;
    }
  }
  if (yday < 1 || yday > 365) return ": day-of-year out of range";
  if (m == 0) {
    m = (yday - 1) / 31 + 1;
    if (kDaysBefore[m] < yday) ++m;
    d = yday - kDaysBefore[m - 1];
  }
  if (st.month >= 0 && st.month != m) return ": day-of-year does not match month";
  st.month = m;
  if (st.day >= 0 && st.day != d) return ": day-of-year does not match day";
  st.day = d;
  return "";
}

// The final time from a successful element-by-element parse.
GoTime build_time(ParseState& st, const LocationPtr& loc) {
  if (st.z) return GoTime::date(st.year, st.month, st.day, st.hour, st.min, st.sec, st.nsec, st.z);
  if (st.zone_offset != -1) {
    GoTime t = GoTime::date(st.year, st.month, st.day, st.hour, st.min, st.sec, st.nsec,
                            Location::utc());
    t.sec = wsub(t.sec, st.zone_offset);
    Location::Lookup l = loc->lookup(t.unix_sec());
    if (l.zone.offset == st.zone_offset && (st.zone_name.empty() || l.zone.name == st.zone_name)) {
      t.loc = loc;
      return t;
    }
    t.loc = Location::fixed(st.zone_name, static_cast<int>(st.zone_offset));
    return t;
  }
  if (!st.zone_name.empty()) {
    GoTime t = GoTime::date(st.year, st.month, st.day, st.hour, st.min, st.sec, st.nsec,
                            Location::utc());
    if (auto off = loc->lookup_name(st.zone_name, t.unix_sec())) {
      t.sec = wsub(t.sec, *off);
      t.loc = loc;
      return t;
    }
    std::int64_t offset = 0;
    if (st.zone_name.size() > 3 && st.zone_name.compare(0, 3, "GMT") == 0) {
      time_atoi(std::string_view(st.zone_name).substr(3), offset);
      offset *= 3600;
    }
    t.loc = Location::fixed(st.zone_name, static_cast<int>(offset));
    return t;
  }
  return GoTime::date(st.year, st.month, st.day, st.hour, st.min, st.sec, st.nsec, loc);
}

// ----------------------------------------------------------------- durations
// fmtFrac / fmtInt of Duration.String, writing backwards into buf.
std::size_t fmt_frac(char* buf, std::size_t w, std::uint64_t& v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    std::uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (print) buf[--w] = '.';
  return w;
}
std::size_t fmt_int(char* buf, std::size_t w, std::uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return w;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return w;
}

}  // namespace

// ====================================================================== GoTime
GoTime GoTime::now() {
  auto wall = std::chrono::system_clock::now().time_since_epoch();
  std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count();
  std::int64_t s = ns / kSecond, n = ns % kSecond;
  if (n < 0) {
    n += kSecond;
    --s;
  }
  GoTime t = unix(s, n);
  t.mono = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now() - kProcessStart)
               .count();
  return t;
}

GoTime GoTime::unix(std::int64_t sec, std::int64_t nsec) {
  if (nsec < 0 || nsec >= kSecond) {
    std::int64_t n = nsec / kSecond;
    sec = wadd(sec, n);
    nsec -= n * kSecond;
    if (nsec < 0) {
      nsec += kSecond;
      sec = wsub(sec, 1);
    }
  }
  GoTime t;
  t.sec = wadd(sec, kUnixToInternal);
  t.nsec = static_cast<std::int32_t>(nsec);
  t.loc = Location::local();
  return t;
}

GoTime GoTime::date(std::int64_t year, std::int64_t month, std::int64_t day, std::int64_t hour,
                    std::int64_t min, std::int64_t sec, std::int64_t nsec, LocationPtr loc) {
  std::int64_t m = wsub(month, 1);
  norm(year, m, 12);
  month = m + 1;
  norm(sec, nsec, kSecond);
  norm(min, sec, 60);
  norm(hour, min, 60);
  norm(day, hour, 24);

  std::uint64_t d = days_since_epoch(year);
  d += static_cast<std::uint64_t>(kDaysBefore[month - 1]);
  if (is_leap(year) && month >= 3) ++d;
  d += static_cast<std::uint64_t>(wsub(day, 1));
  std::uint64_t abs = d * kSecondsPerDay;
  abs += static_cast<std::uint64_t>(wadd(wadd(wmul(hour, 3600), wmul(min, 60)), sec));
  std::int64_t unix = wsub(static_cast<std::int64_t>(abs), kUnixToAbsolute);

  Location::Lookup l = loc->lookup(unix);
  if (l.zone.offset != 0) {
    std::int64_t utc = wsub(unix, l.zone.offset);
    int offset = l.zone.offset;
    if (utc < l.start || utc >= l.end) offset = loc->lookup(utc).zone.offset;
    unix = wsub(unix, offset);
  }
  GoTime t;
  t.sec = wadd(unix, kUnixToInternal);
  t.nsec = static_cast<std::int32_t>(nsec);
  t.loc = std::move(loc);
  return t;
}

std::int64_t GoTime::unix_sec() const { return wsub(sec, kUnixToInternal); }

GoTime GoTime::in(LocationPtr l) const {
  GoTime t = *this;
  t.loc = std::move(l);
  t.mono.reset();
  return t;
}

GoTime GoTime::add(Duration d) const {
  GoTime t = *this;
  std::int64_t dsec = d / kSecond;
  std::int64_t ns = nsec + d % kSecond;
  if (ns >= kSecond) {
    ++dsec;
    ns -= kSecond;
  } else if (ns < 0) {
    --dsec;
    ns += kSecond;
  }
  t.nsec = static_cast<std::int32_t>(ns);
  t.sec = wadd(t.sec, dsec);
  if (t.mono) {
    std::int64_t te = wadd(*t.mono, d);
    if ((d < 0 && te > *t.mono) || (d > 0 && te < *t.mono)) {
      t.mono.reset();
    } else {
      t.mono = te;
    }
  }
  return t;
}

GoTime GoTime::add_date(std::int64_t years, std::int64_t months, std::int64_t days) const {
  Fields f = fields();
  return date(wadd(f.year, years), wadd(f.month, months), wadd(f.day, days), f.hour, f.minute,
              f.second, nsec, loc);
}

int GoTime::compare(const GoTime& u) const {
  if (mono && u.mono) return *mono < *u.mono ? -1 : (*mono > *u.mono ? 1 : 0);
  if (sec != u.sec) return sec < u.sec ? -1 : 1;
  if (nsec != u.nsec) return nsec < u.nsec ? -1 : 1;
  return 0;
}

Duration GoTime::sub(const GoTime& u) const {
  constexpr Duration kMin = std::numeric_limits<Duration>::min();
  constexpr Duration kMax = std::numeric_limits<Duration>::max();
  if (mono && u.mono) {
    Duration d = wsub(*mono, *u.mono);
    if (d < 0 && *mono > *u.mono) return kMax;
    if (d > 0 && *mono < *u.mono) return kMin;
    return d;
  }
  Duration d = wadd(wmul(wsub(sec, u.sec), kSecond), nsec - u.nsec);
  GoTime back = u;
  back.mono.reset();
  GoTime self = *this;
  self.mono.reset();
  if (back.add(d).compare(self) == 0) return d;
  return self.compare(back) < 0 ? kMin : kMax;
}

namespace {
// Remainder of t (as nanoseconds since the zero time) modulo d, in [0, d).
Duration time_mod(const GoTime& t, Duration d) {
  __int128 total = static_cast<__int128>(t.sec) * kSecond + t.nsec;
  __int128 r = total % d;
  if (r < 0) r += d;
  return static_cast<Duration>(r);
}
}  // namespace

GoTime GoTime::truncate(Duration d) const {
  GoTime t = *this;
  t.mono.reset();
  if (d <= 0) return t;
  return t.add(-time_mod(t, d));
}

GoTime GoTime::round(Duration d) const {
  GoTime t = *this;
  t.mono.reset();
  if (d <= 0) return t;
  Duration r = time_mod(t, d);
  bool less_than_half = static_cast<std::uint64_t>(r) + static_cast<std::uint64_t>(r) <
                        static_cast<std::uint64_t>(d);
  if (less_than_half) return t.add(-r);
  // Go: t.Add(d - r); overflow of d - r cannot happen as 0 <= r < d.
  return t.add(d - r);
}

GoTime::Fields GoTime::fields() const {
  Location::Lookup l = loc->lookup(unix_sec());
  std::uint64_t abs =
      static_cast<std::uint64_t>(wadd(wadd(unix_sec(), l.zone.offset), kUnixToAbsolute));
  AbsDate ad = abs_date(abs);
  Fields f;
  f.year = ad.year;
  f.month = ad.month;
  f.day = ad.day;
  f.yday = ad.yday + 1;
  int s = static_cast<int>(abs % kSecondsPerDay);
  f.hour = s / 3600;
  f.minute = s % 3600 / 60;
  f.second = s % 60;
  // January 1 of the absolute year was a Monday.
  f.weekday = static_cast<int>((abs + 1 * kSecondsPerDay) % (7 * kSecondsPerDay) / kSecondsPerDay);
  f.zone = l.zone;
  if (loc->is_utc()) f.zone.name = "UTC";
  return f;
}

std::string GoTime::format(std::string_view layout) const {
  std::string out;
  if (layout.empty()) return out;
  Fields f = fields();
  while (!layout.empty()) {
    Chunk c = next_chunk(layout);
    out += c.prefix;
    if (c.std == Std::None) break;
    layout = c.suffix;
    append_element(out, c, f, nsec);
  }
  return out;
}

std::string GoTime::to_string() const {
  std::string s = format("2006-01-02 15:04:05.999999999 -0700 MST");
  if (mono) {
    std::uint64_t m2 = static_cast<std::uint64_t>(*mono);
    char sign = '+';
    if (*mono < 0) {
      sign = '-';
      m2 = 0 - m2;
    }
    s += " m=";
    s += sign;
    s += std::to_string(m2 / kSecond);
    s += '.';
    std::string frac;
    append_int(frac, static_cast<std::int64_t>(m2 % kSecond), 9);
    s += frac;
  }
  return s;
}

Result<GoTime> parse_time(std::string_view layout, std::string_view value,
                          const LocationPtr& loc) {
  const std::string_view full_layout = layout, full_value = value;
  ParseState st;
  for (;;) {
    Chunk c = next_chunk(layout);
    if (!skip(value, c.prefix)) {
      return tl::unexpected(parse_error(full_layout, full_value, c.prefix, value, ""));
    }
    if (c.std == Std::None) {
      if (!value.empty()) {
        return tl::unexpected(parse_error(full_layout, full_value, "", value,
                                          ": extra text: " + time_quote(value)));
      }
      break;
    }
    layout = c.suffix;
    std::string_view hold = value;
    bool ok = parse_element(c, value, layout, st);
    if (!st.range_err.empty()) {
      return tl::unexpected(parse_error(full_layout, full_value, c.std_text, value,
                                        ": " + st.range_err + " out of range"));
    }
    if (!ok) return tl::unexpected(parse_error(full_layout, full_value, c.std_text, hold, ""));
  }
  if (st.pm && st.hour < 12) {
    st.hour += 12;
  } else if (st.am && st.hour == 12) {
    st.hour = 0;
  }
  if (st.yday >= 0) {
    std::string msg = resolve_yday(st);
    if (!msg.empty()) return tl::unexpected(parse_error(full_layout, full_value, "", value, msg));
  } else {
    if (st.month < 0) st.month = 1;
    if (st.day < 0) st.day = 1;
  }
  if (st.day < 1 || st.day > days_in(static_cast<int>(st.month), st.year)) {
    return tl::unexpected(parse_error(full_layout, full_value, "", value, ": day out of range"));
  }
  return build_time(st, loc);
}

Result<Duration> parse_duration(std::string_view s) {
  const std::string orig(s);
  auto invalid = [&] { return make_error("time: invalid duration " + time_quote(orig)); };
  std::uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{0};
  if (s.empty()) return invalid();
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid();
    std::size_t before = s.size();
    std::uint64_t v = 0, f = 0;
    double scale = 1;
    if (!leading_int(s, v)) return invalid();
    bool pre = before != s.size();
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t i = 0;
      bool overflow = false;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (overflow) continue;
        if (f > 922337203685477580ULL) {  // (1<<63-1)/10
          overflow = true;
          continue;
        }
        std::uint64_t y = f * 10 + static_cast<std::uint64_t>(s[i] - '0');
        if (y > (std::uint64_t{1} << 63)) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i > 0;
      s.remove_prefix(i);
    }
    if (!pre && !post) return invalid();
    std::size_t i = 0;
    while (i < s.size() && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9')) ++i;
    if (i == 0) return make_error("time: missing unit in duration " + time_quote(orig));
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    std::uint64_t unit;
    if (u == "ns") unit = 1;
    else if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") unit = 1000;
    else if (u == "ms") unit = 1000000;
    else if (u == "s") unit = kSecond;
    else if (u == "m") unit = 60 * kSecond;
    else if (u == "h") unit = 3600 * kSecond;
    else {
      return make_error("time: unknown unit " + time_quote(u) + " in duration " +
                        time_quote(orig));
    }
    if (v > (std::uint64_t{1} << 63) / unit) return invalid();
    v *= unit;
    if (f > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(f) *
                                      (static_cast<double>(unit) / scale));
      if (v > (std::uint64_t{1} << 63)) return invalid();
    }
    d += v;
    if (d > (std::uint64_t{1} << 63)) return invalid();
  }
  if (neg) return static_cast<Duration>(0 - d);
  if (d > (std::uint64_t{1} << 63) - 1) return invalid();
  return static_cast<Duration>(d);
}

std::string duration_string(Duration d) {
  char buf[32];
  std::size_t w = sizeof buf;
  std::uint64_t u = static_cast<std::uint64_t>(d);
  bool neg = d < 0;
  if (neg) u = 0 - u;
  if (u < static_cast<std::uint64_t>(kSecond)) {
    int prec = 0;
    buf[--w] = 's';
    --w;
    if (u == 0) {
      buf[w] = '0';
      return std::string(buf + w, sizeof buf - w);
    } else if (u < 1000) {
      buf[w] = 'n';
    } else if (u < 1000000) {
      prec = 3;
      --w;
      std::memcpy(buf + w, "\xC2\xB5", 2);
    } else {
      prec = 6;
      buf[w] = 'm';
    }
    w = fmt_frac(buf, w, u, prec);
    w = fmt_int(buf, w, u);
  } else {
    buf[--w] = 's';
    w = fmt_frac(buf, w, u, 9);
    w = fmt_int(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = fmt_int(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        w = fmt_int(buf, w, u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf + w, sizeof buf - w);
}

// ================================================================== objects
namespace {

// A Go named integer type with a String method: time.Duration, time.Month,
// time.Weekday. Prints as its String(); JSON-encodes as the number.
class NamedIntObject final : public Object {
 public:
  NamedIntObject(std::string type, std::int64_t value, std::string text)
      : type_(std::move(type)), value_(value), text_(std::move(text)) {}
  std::string type_name() const override { return type_; }
  std::string kind_name() const override { return "int64"; }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "String") return Value(text_);
    if (type_ != "time.Duration") return std::nullopt;
    return duration_field(name);
  }
  std::string format(bool) const override { return text_; }
  Value to_data() const override { return Value::integer(value_, IntType::Int64); }

 private:
  std::optional<Value> duration_field(std::string_view name) const {
    if (name == "Nanoseconds") return Value::integer(value_, IntType::Int64);
    if (name == "Microseconds") return Value::integer(value_ / 1000, IntType::Int64);
    if (name == "Milliseconds") return Value::integer(value_ / 1000000, IntType::Int64);
    if (name == "Seconds") {
      return Value::floating(static_cast<double>(value_ / kSecond) +
                             static_cast<double>(value_ % kSecond) / 1e9);
    }
    if (name == "Minutes") {
      constexpr std::int64_t kMinute = 60 * kSecond;
      return Value::floating(static_cast<double>(value_ / kMinute) +
                             static_cast<double>(value_ % kMinute) / (60 * 1e9));
    }
    if (name == "Hours") {
      constexpr std::int64_t kHour = 3600 * kSecond;
      return Value::floating(static_cast<double>(value_ / kHour) +
                             static_cast<double>(value_ % kHour) / (3600 * 1e9));
    }
    if (name == "Abs") {
      if (value_ >= 0) return duration_value(value_);
      if (value_ == std::numeric_limits<std::int64_t>::min()) {
        return duration_value(std::numeric_limits<std::int64_t>::max());
      }
      return duration_value(-value_);
    }
    return std::nullopt;
  }

  std::string type_;
  std::int64_t value_;
  std::string text_;
};

// *time.Location: prints its name; JSON has no exported fields.
class LocationObject final : public Object {
 public:
  explicit LocationObject(LocationPtr loc) : loc_(std::move(loc)) {}
  std::string type_name() const override { return "*time.Location"; }
  std::string kind_name() const override { return "ptr"; }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "String") return Value(loc_->name());
    return std::nullopt;
  }
  std::string format(bool) const override { return loc_->name(); }
  Value to_data() const override { return Value::new_map(); }

 private:
  LocationPtr loc_;
};

// time.Time with the methods templates can call.
class TimeObject final : public Object {
 public:
  explicit TimeObject(GoTime t) : t_(std::move(t)) { add_methods(); }
  TimeObject(const TimeObject&) = delete;
  TimeObject& operator=(const TimeObject&) = delete;

  const GoTime& time() const { return t_; }
  std::string type_name() const override { return "time.Time"; }
  std::optional<Value> field(std::string_view name) const override;
  const Func* method(std::string_view name) const override {
    auto it = methods_.find(std::string(name));
    return it == methods_.end() ? nullptr : &it->second;
  }
  std::string format(bool) const override { return t_.to_string(); }
  // encoding/json: RFC 3339 with nanoseconds.
  Value to_data() const override { return Value(t_.format("2006-01-02T15:04:05.999999999Z07:00")); }

 private:
  void def(const std::string& name, std::vector<Param> params,
           std::function<Result<Value>(const GoTime&, std::vector<Value>&)> fn) {
    methods_[name] = Func{std::move(params), false,
                          [this, fn = std::move(fn)](CallContext&, std::vector<Value>& a) {
                            return fn(t_, a);
                          }};
  }
  void add_methods();

  GoTime t_;
  FuncMap methods_;
};

Value int_value(std::int64_t v, IntType t = IntType::Int) { return Value::integer(v, t); }

std::optional<Value> TimeObject::field(std::string_view name) const {
  if (name == "String") return Value(t_.to_string());
  if (name == "Unix") return int_value(t_.unix_sec(), IntType::Int64);
  if (name == "UnixNano") {
    return int_value(wadd(wmul(t_.unix_sec(), kSecond), t_.nsec), IntType::Int64);
  }
  if (name == "UnixMilli") {
    return int_value(wadd(wmul(t_.unix_sec(), 1000), t_.nsec / 1000000), IntType::Int64);
  }
  if (name == "UnixMicro") {
    return int_value(wadd(wmul(t_.unix_sec(), 1000000), t_.nsec / 1000), IntType::Int64);
  }
  if (name == "Nanosecond") return int_value(t_.nsec);
  if (name == "IsZero") return Value(t_.is_zero());
  if (name == "UTC") return time_value(t_.in(Location::utc()));
  if (name == "Local") return time_value(t_.in(Location::local()));
  if (name == "Location") return Value(std::make_shared<const LocationObject>(t_.loc));
  if (name == "IsDST") return Value(t_.loc->lookup(t_.unix_sec()).zone.is_dst);
  GoTime::Fields f = t_.fields();
  if (name == "Year") return int_value(f.year);
  if (name == "Month") {
    return Value(std::make_shared<const NamedIntObject>("time.Month", f.month,
                                                        kLongMonths[f.month - 1]));
  }
  if (name == "Day") return int_value(f.day);
  if (name == "YearDay") return int_value(f.yday);
  if (name == "Hour") return int_value(f.hour);
  if (name == "Minute") return int_value(f.minute);
  if (name == "Second") return int_value(f.second);
  if (name == "Weekday") {
    return Value(std::make_shared<const NamedIntObject>("time.Weekday", f.weekday,
                                                        kLongDays[f.weekday]));
  }
  return std::nullopt;
}

void TimeObject::add_methods() {
  using Args = std::vector<Value>;
  def("Format", {Param::String}, [](const GoTime& t, Args& a) -> Result<Value> {
    return Value(t.format(a[0].as_string()));
  });
  def("Add", {Param::Int64}, [](const GoTime& t, Args& a) -> Result<Value> {
    return time_value(t.add(a[0].as_int()));
  });
  def("AddDate", {Param::Int, Param::Int, Param::Int},
      [](const GoTime& t, Args& a) -> Result<Value> {
        return time_value(t.add_date(a[0].as_int(), a[1].as_int(), a[2].as_int()));
      });
  def("Sub", {Param::Time}, [](const GoTime& t, Args& a) -> Result<Value> {
    return duration_value(t.sub(*as_time(a[0])));
  });
  def("After", {Param::Time}, [](const GoTime& t, Args& a) -> Result<Value> {
    return Value(t.compare(*as_time(a[0])) > 0);
  });
  def("Before", {Param::Time}, [](const GoTime& t, Args& a) -> Result<Value> {
    return Value(t.compare(*as_time(a[0])) < 0);
  });
  def("Equal", {Param::Time}, [](const GoTime& t, Args& a) -> Result<Value> {
    return Value(t.compare(*as_time(a[0])) == 0);
  });
  def("Compare", {Param::Time}, [](const GoTime& t, Args& a) -> Result<Value> {
    return int_value(t.compare(*as_time(a[0])));
  });
  def("Truncate", {Param::Int64}, [](const GoTime& t, Args& a) -> Result<Value> {
    return time_value(t.truncate(a[0].as_int()));
  });
  def("Round", {Param::Int64}, [](const GoTime& t, Args& a) -> Result<Value> {
    return time_value(t.round(a[0].as_int()));
  });
}

}  // namespace

Value time_value(GoTime t) { return Value(std::make_shared<const TimeObject>(std::move(t))); }

Value duration_value(Duration d) {
  return Value(std::make_shared<const NamedIntObject>("time.Duration", d, duration_string(d)));
}

const GoTime* as_time(const Value& v) {
  if (!v.is_object()) return nullptr;
  const auto* obj = dynamic_cast<const TimeObject*>(&v.object());
  return obj ? &obj->time() : nullptr;
}

}  // namespace cairn::render::sprig_detail
