// Go's strconv integer parsing with base 0: see detail/gofmt_strconv.h.
#include "render/detail/gofmt_strconv.h"

#include <cstdint>

namespace cairn::render::detail {

bool parse_go_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  std::size_t i = 0;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16, i = 2, prefixed = true;
    else if (p == 'o') base = 8, i = 2, prefixed = true;
    else if (p == 'b') base = 2, i = 2, prefixed = true;
    else base = 8, i = 1, prefixed = true;
  }
  std::uint64_t v = 0;
  bool any = false;
  bool last_digit = prefixed;  // '_' may follow a base prefix
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (!last_digit) return false;
      last_digit = false;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return false;
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) {
      return false;
    }
    v = v * base + d;
    any = true;
    last_digit = true;
  }
  if (!last_digit) return false;
  if (!any) return false;
  out = v;
  return true;
}

bool parse_go_int(std::string_view s, std::int64_t& out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t u;
  if (!parse_go_uint(s, u)) return false;
  if (neg) {
    if (u > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
    out = static_cast<std::int64_t>(0 - u);
  } else {
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(u);
  }
  return true;
}

}  // namespace cairn::render::detail
