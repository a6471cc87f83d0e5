// strconv.FormatFloat(f, fmt, prec, 64) with Go's exact output.
//
// Decimal digits come from std::to_chars, which (like Go's Ryu and big-decimal
// paths) yields the shortest round-trip digits or correctly rounded digits of
// the exact binary value, ties to even. They are then laid out with Go's rules
// (strconv/ftoa.go): exponents have at least two digits, %g drops trailing
// zeros and picks %e when exp < -4 || exp >= eprec (eprec 6 when shortest).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "render/gofmt.h"

namespace cairn::render {
namespace {

// A decimal 0.d[0]d[1]... x 10^dp, without trailing zeros; empty for zero.
struct Decimal {
  std::string d;
  int dp = 0;
};

// Parses to_chars scientific output "D.DDDe[+-]XX" of a non-negative value.
Decimal parse_scientific(const char* begin, const char* end) {
  Decimal dec;
  const char* p = begin;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') dec.d.push_back(*p);
  }
  int exp = 0;
  if (p != end) std::from_chars(p + (p[1] == '+' ? 2 : 1), end, exp);
  while (!dec.d.empty() && dec.d.back() == '0') dec.d.pop_back();
  if (dec.d.empty()) return {};  // zero
  dec.dp = exp + 1;
  return dec;
}

// Shortest digits that round-trip (Go's prec < 0).
Decimal shortest_digits(double a) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific);
  return parse_scientific(buf, res.ptr);
}

// `n` (>= 1) significant digits, correctly rounded, trailing zeros dropped.
Decimal fixed_digits(double a, int n) {
  std::string buf(static_cast<std::size_t>(n) + 32, '\0');
  auto res =
      std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::scientific, n - 1);
  return parse_scientific(buf.data(), res.ptr);
}

// Go's fmtE: one digit, '.', prec digits (zero padded), exponent >= 2 digits.
void layout_e(std::string& out, const Decimal& d, int prec, char e) {
  out.push_back(d.d.empty() ? '0' : d.d[0]);
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      out.push_back(i < static_cast<int>(d.d.size()) ? d.d[static_cast<std::size_t>(i)] : '0');
    }
  }
  out.push_back(e);
  int exp = d.d.empty() ? 0 : d.dp - 1;
  out.push_back(exp < 0 ? '-' : '+');
  exp = std::abs(exp);
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
}

// Go's fmtF: integer part (at least "0"), then prec fraction digits.
void layout_f(std::string& out, const Decimal& d, int prec) {
  const int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    for (int i = 0; i < d.dp; ++i) out.push_back(i < nd ? d.d[static_cast<std::size_t>(i)] : '0');
  } else {
    out.push_back('0');
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 0; i < prec; ++i) {
      const int j = d.dp + i;
      out.push_back(j >= 0 && j < nd ? d.d[static_cast<std::size_t>(j)] : '0');
    }
  }
}

// Go's %g layout given digits and the (adjusted) precision.
void layout_g(std::string& out, const Decimal& d, int prec, bool shortest, char fmt) {
  const int nd = static_cast<int>(d.d.size());
  int eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  if (shortest) eprec = 6;
  const int exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    layout_e(out, d, std::min(prec, nd) - 1, fmt == 'g' ? 'e' : 'E');
    return;
  }
  if (prec > d.dp) prec = nd;
  layout_f(out, d, std::max(prec - d.dp, 0));
}

// Go's %b: decimal mantissa "p" binary exponent, e.g. 4503599627370496p-52.
std::string format_b(bool neg, std::uint64_t mant, int exp) {
  std::string out = neg ? "-" : "";
  out += std::to_string(mant);
  out.push_back('p');
  exp -= 52;
  if (exp >= 0) out.push_back('+');
  out += std::to_string(exp);
  return out;
}

// Go's %x/%X: hexadecimal mantissa 1.hhh and binary exponent "p+dd".
std::string format_x(bool neg, std::uint64_t mant, int exp, int prec, char fmt) {
  if (mant == 0) exp = 0;
  mant <<= 60 - 52;
  while (mant != 0 && (mant & (std::uint64_t{1} << 60)) == 0) {
    mant <<= 1;
    --exp;
  }
  if (prec >= 0 && prec < 15) {  // round to prec hex digits, ties to even
    const unsigned shift = static_cast<unsigned>(prec * 4);
    const std::uint64_t extra = (mant << shift) & ((std::uint64_t{1} << 60) - 1);
    mant >>= 60 - shift;
    if ((extra | (mant & 1)) > (std::uint64_t{1} << 59)) ++mant;
    mant <<= 60 - shift;
    if (mant & (std::uint64_t{1} << 61)) {
      mant >>= 1;
      ++exp;
    }
  }
  const char* hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out = neg ? "-" : "";
  out += '0';
  out += fmt;
  out += static_cast<char>('0' + ((mant >> 60) & 1));
  mant <<= 4;
  if (prec < 0 && mant != 0) {
    out.push_back('.');
    for (; mant != 0; mant <<= 4) out.push_back(hex[(mant >> 60) & 15]);
  } else if (prec > 0) {
    out.push_back('.');
    for (int i = 0; i < prec; ++i, mant <<= 4) out.push_back(hex[(mant >> 60) & 15]);
  }
  out.push_back(fmt == 'X' ? 'P' : 'p');
  out.push_back(exp < 0 ? '-' : '+');
  exp = std::abs(exp);
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
  return out;
}

}  // namespace

std::string go_format_float(double f, char fmt, int prec) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-Inf" : "+Inf";
  const bool neg = std::signbit(f);
  const double a = std::fabs(f);

  if (fmt == 'b' || fmt == 'x' || fmt == 'X') {
    const auto bits = std::bit_cast<std::uint64_t>(a);
    int exp = static_cast<int>((bits >> 52) & 0x7FF);
    std::uint64_t mant = bits & ((std::uint64_t{1} << 52) - 1);
    if (exp == 0) {
      ++exp;
    } else {
      mant |= std::uint64_t{1} << 52;
    }
    exp -= 1023;
    return fmt == 'b' ? format_b(neg, mant, exp) : format_x(neg, mant, exp, prec, fmt);
  }

  std::string out = neg ? "-" : "";
  const bool shortest = prec < 0;
  switch (fmt) {
    case 'e':
    case 'E': {
      const Decimal d = shortest ? shortest_digits(a) : fixed_digits(a, prec + 1);
      if (shortest) prec = std::max(static_cast<int>(d.d.size()) - 1, 0);
      layout_e(out, d, prec, fmt);
      return out;
    }
    case 'f': {
      if (shortest) {
        const Decimal d = shortest_digits(a);
        layout_f(out, d, std::max(static_cast<int>(d.d.size()) - d.dp, 0));
        return out;
      }
      // Exact fixed-point rounding at `prec` fraction digits, as printf does.
      std::string buf(static_cast<std::size_t>(prec) + 330, '\0');
      auto res =
          std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::fixed, prec);
      out.append(buf.data(), res.ptr);
      return out;
    }
    case 'g':
    case 'G': {
      if (!shortest && prec == 0) prec = 1;
      const Decimal d = shortest ? shortest_digits(a) : fixed_digits(a, prec);
      if (shortest) prec = static_cast<int>(d.d.size());
      layout_g(out, d, prec, shortest, fmt);
      return out;
    }
    default:
      return std::string("%") + fmt;
  }
}

}  // namespace cairn::render
