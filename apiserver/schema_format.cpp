// RE2 patterns (cached) and the OpenAPI string formats kube-openapi's registry validates.
#include <arpa/inet.h>
#include <re2/re2.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "apiserver/schema.h"

namespace cairn::apiserver {

using schema_detail::regex_partial_match;

namespace {

// Compiled patterns shared by all threads. Bounded: cleared when it grows past kMaxCached, so a
// client sending many distinct schemas cannot grow it without limit.
class RegexCache {
 public:
  std::shared_ptr<const RE2> get(const std::string& pattern) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(pattern);
    if (it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCached) cache_.clear();
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    cache_.emplace(pattern, re);
    return re;
  }

 private:
  static constexpr std::size_t kMaxCached = 512;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const RE2>> cache_;
};

RegexCache& regex_cache() {
  static RegexCache* cache = new RegexCache();
  return *cache;
}

bool full_match(const char* pattern, const std::string& s) {
  return regex_partial_match(pattern, s, nullptr).value_or(false);
}

bool all_digits(const std::string& s, std::size_t from, std::size_t len) {
  if (from + len > s.size()) return false;
  for (std::size_t i = from; i < from + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int number_at(const std::string& s, std::size_t from, std::size_t len) {
  return std::atoi(s.substr(from, len).c_str());
}

bool valid_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!all_digits(s, 0, 4) || !all_digits(s, 5, 2) || !all_digits(s, 8, 2)) return false;
  const int year = number_at(s, 0, 4);
  const int month = number_at(s, 5, 2);
  const int day = number_at(s, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[month - 1];
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap) max = 29;
  return day <= max;
}

bool valid_date_time(const std::string& s) {
  if (s.size() < 20 || !valid_date(s.substr(0, 10))) return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  const std::string rest = s.substr(11);
  if (!full_match(R"(^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)", rest)) return false;
  return number_at(rest, 0, 2) < 24 && number_at(rest, 3, 2) < 60 && number_at(rest, 6, 2) < 60;
}

bool valid_ipv4(const std::string& s) {
  // Go's net.ParseIP: four decimal octets, no leading zeros.
  if (!full_match(R"(^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$)", s)) return false;
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    std::size_t end = s.find('.', start);
    if (end == std::string::npos) end = s.size();
    const std::string octet = s.substr(start, end - start);
    if (octet.size() > 1 && octet[0] == '0') return false;
    if (std::atoi(octet.c_str()) > 255) return false;
    start = end + 1;
  }
  return true;
}

bool valid_ipv6(const std::string& s) {
  if (s.find(':') == std::string::npos) return false;
  in6_addr addr{};
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

bool valid_cidr(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  const std::string ip = s.substr(0, slash);
  const std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !all_digits(bits, 0, bits.size())) return false;
  if (bits.size() > 1 && bits[0] == '0') return false;
  const int n = std::atoi(bits.c_str());
  if (valid_ipv4(ip)) return n <= 32;
  return valid_ipv6(ip) && n <= 128;
}

bool valid_mac(const std::string& s) {
  return full_match(R"(^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{2}:){7}[0-9A-Fa-f]{2}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{2}-){7}[0-9A-Fa-f]{2}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{4}\.){3}[0-9A-Fa-f]{4}$)", s) ||
         full_match(R"(^([0-9A-Fa-f]{4}\.){9}[0-9A-Fa-f]{4}$)", s);
}

bool valid_hostname(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  static const std::string kLabel = "[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?";
  static const std::string kHostname = "^" + kLabel + "(\\." + kLabel + ")*\\.?$";
  return full_match(kHostname.c_str(), s);
}

bool valid_base64(const std::string& s) {
  if (s.size() % 4 != 0) return false;
  return full_match(R"(^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$)", s);
}

bool valid_duration(const std::string& s) {
  // Go's time.ParseDuration, or kube-openapi's "<n> <unit>" spelling.
  if (s == "0") return true;
  if (full_match(R"(^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$)", s)) return true;
  return full_match(
      R"(^(\d+)\s*(ns|nanoseconds?|us|µs|microseconds?|ms|milliseconds?|s|seconds?|m|minutes?|h|)"
      R"(hours?|d|days?|w|weeks?)$)",
      s);
}

}  // namespace

std::optional<bool> schema_detail::regex_partial_match(const std::string& pattern,
                                                       const std::string& text,
                                                       std::string* error) {
  auto re = regex_cache().get(pattern);
  if (!re->ok()) {
    if (error) *error = re->error();
    return std::nullopt;
  }
  return RE2::PartialMatch(text, *re);
}

bool schema_detail::string_matches_format(const std::string& format, const std::string& s) {
  if (format == "byte") return valid_base64(s);
  if (format == "date") return valid_date(s);
  if (format == "date-time" || format == "datetime") return valid_date_time(s);
  if (format == "uuid") {
    return full_match(R"((?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$)",
                      s);
  }
  if (format == "email") return full_match(R"(^[^@\s<>]+@[^@\s<>]+$)", s);
  if (format == "hostname") return valid_hostname(s);
  if (format == "ipv4") return valid_ipv4(s);
  if (format == "ipv6") return valid_ipv6(s);
  if (format == "cidr") return valid_cidr(s);
  if (format == "mac") return valid_mac(s);
  if (format == "uri")
    return s.size() > 0 && (s[0] == '/' || full_match(R"(^[A-Za-z][A-Za-z0-9+.-]*:\S*$)", s));
  if (format == "duration") return valid_duration(s);
  return true;
}

}  // namespace cairn::apiserver
