// Sprig conversions and math (numeric.go and the arithmetic in functions.go):
// integer math through spf13/cast with int64 wrap-around, the *f family through
// shopspring/decimal (exact decimal arithmetic, division to 16 places).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "render/detail/sprig_util.h"
#include "render/gofmt.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;
constexpr auto A = Param::Any;
constexpr auto I = Param::Int;

Value int64_value(std::int64_t i) { return Value::integer(i, IntType::Int64); }

// Go's wrapping int64 arithmetic.
std::int64_t wrap_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wrap_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wrap_mul(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}

Error divide_by_zero() { return Error{"runtime error: integer divide by zero"}; }

Result<Value> int_div(std::int64_t a, std::int64_t b) {
  if (b == 0) return tl::unexpected(divide_by_zero());
  if (b == -1) return int64_value(wrap_sub(0, a));  // MinInt64 / -1 wraps in Go
  return int64_value(a / b);
}

Result<Value> int_mod(std::int64_t a, std::int64_t b) {
  if (b == 0) return tl::unexpected(divide_by_zero());
  if (b == -1) return int64_value(0);
  return int64_value(a % b);
}

// strconv.Atoi with the error ignored: syntax errors give 0, range errors
// the clamped value (Atoi returns it alongside the error).
std::int64_t atoi(std::string_view s) {
  std::int64_t out = 0;
  if (go_parse_int(s, 10, out)) return out;
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
  }
  return neg ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
}

// ------------------------------------------------------------ decimal math

// A non-negative big integer in base 10^9 limbs, least significant first.
using Big = std::vector<std::uint32_t>;
constexpr std::uint32_t kBase = 1000000000;

void trim(Big& a) {
  while (!a.empty() && a.back() == 0) a.pop_back();
}

Big big_from_digits(std::string_view digits) {
  Big out;
  for (std::size_t end = digits.size(); end > 0;) {
    std::size_t begin = end >= 9 ? end - 9 : 0;
    std::uint32_t limb = 0;
    for (std::size_t i = begin; i < end; ++i) limb = limb * 10 + static_cast<std::uint32_t>(digits[i] - '0');
    out.push_back(limb);
    end = begin;
  }
  trim(out);
  return out;
}

std::string big_to_digits(const Big& a) {
  if (a.empty()) return "0";
  std::string out = std::to_string(a.back());
  for (std::size_t i = a.size() - 1; i-- > 0;) {
    std::string limb = std::to_string(a[i]);
    out += std::string(9 - limb.size(), '0') + limb;
  }
  return out;
}

int big_cmp(const Big& a, const Big& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

Big big_add(const Big& a, const Big& b) {
  Big out;
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    std::uint64_t s = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    out.push_back(static_cast<std::uint32_t>(s % kBase));
    carry = s / kBase;
  }
  trim(out);
  return out;
}

// a - b for a >= b.
Big big_sub(const Big& a, const Big& b) {
  Big out = a;
  std::int64_t borrow = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int64_t d = static_cast<std::int64_t>(out[i]) - borrow - (i < b.size() ? b[i] : 0);
    borrow = d < 0;
    out[i] = static_cast<std::uint32_t>(d < 0 ? d + kBase : d);
  }
  trim(out);
  return out;
}

Big big_mul(const Big& a, const Big& b) {
  if (a.empty() || b.empty()) return {};
  std::vector<std::uint64_t> acc(a.size() + b.size() + 1, 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::uint64_t carry = 0;
    for (std::size_t j = 0; j < b.size() || carry; ++j) {
      std::uint64_t cur = acc[i + j] + carry + (j < b.size() ? std::uint64_t{a[i]} * b[j] : 0);
      acc[i + j] = cur % kBase;
      carry = cur / kBase;
    }
  }
  Big out(acc.begin(), acc.end());
  trim(out);
  return out;
}

Big big_pow10(std::size_t n) { return big_from_digits("1" + std::string(n, '0')); }

// Long division on decimal digits: quotient and remainder of a / b (b != 0).
std::pair<Big, Big> big_divmod(const Big& a, const Big& b) {
  const std::string digits = big_to_digits(a);
  std::string quotient;
  Big rem;
  const Big ten = {10};
  for (char c : digits) {
    rem = big_add(big_mul(rem, ten), Big{static_cast<std::uint32_t>(c - '0')});
    trim(rem);
    int q = 0;
    while (big_cmp(rem, b) >= 0) {
      rem = big_sub(rem, b);
      ++q;
    }
    quotient += static_cast<char>('0' + q);
  }
  return {big_from_digits(quotient), rem};
}

// A decimal value: (-1)^neg * mag * 10^exp, as shopspring's Decimal.
struct Decimal {
  bool neg = false;
  Big mag;
  std::int64_t exp = 0;
};

// decimal.NewFromFloat: the shortest decimal that round-trips.
Result<Decimal> decimal_from_float(double f) {
  if (std::isnan(f) || std::isinf(f)) {
    return make_error("Cannot create a Decimal from " + go_format_float(f, 'g', -1));
  }
  Decimal d;
  if (f == 0) return d;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::scientific);
  std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
  std::size_t e = text.find('e');
  std::string mant;
  for (char c : text.substr(0, e)) {
    if (c != '.') mant += c;
  }
  std::int64_t exp10 = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(), exp10);
  d.neg = f < 0;
  d.mag = big_from_digits(mant);
  d.exp = exp10 - static_cast<std::int64_t>(mant.size() - 1);
  return d;
}

// Brings both operands to the smaller exponent.
void align(Decimal& a, Decimal& b) {
  if (a.exp > b.exp) {
    a.mag = big_mul(a.mag, big_pow10(static_cast<std::size_t>(a.exp - b.exp)));
    a.exp = b.exp;
  } else if (b.exp > a.exp) {
    b.mag = big_mul(b.mag, big_pow10(static_cast<std::size_t>(b.exp - a.exp)));
    b.exp = a.exp;
  }
}

Decimal dec_add(Decimal a, Decimal b) {
  align(a, b);
  Decimal out;
  out.exp = a.exp;
  if (a.neg == b.neg) {
    out.neg = a.neg;
    out.mag = big_add(a.mag, b.mag);
  } else if (big_cmp(a.mag, b.mag) >= 0) {
    out.neg = a.neg;
    out.mag = big_sub(a.mag, b.mag);
  } else {
    out.neg = b.neg;
    out.mag = big_sub(b.mag, a.mag);
  }
  if (out.mag.empty()) out.neg = false;
  return out;
}

Decimal dec_sub(Decimal a, Decimal b) {
  b.neg = !b.neg && !b.mag.empty();
  return dec_add(std::move(a), std::move(b));
}

Decimal dec_mul(const Decimal& a, const Decimal& b) {
  Decimal out;
  out.mag = big_mul(a.mag, b.mag);
  out.exp = a.exp + b.exp;
  out.neg = !out.mag.empty() && a.neg != b.neg;
  return out;
}

// Decimal.Div: the quotient rounded half away from zero to 16 places.
Result<Decimal> dec_div(const Decimal& a, const Decimal& b) {
  if (b.mag.empty()) return make_error("decimal division by 0");
  constexpr std::int64_t kPlaces = 16;
  // a/b * 10^16 = a.mag * 10^(a.exp - b.exp + 16) / b.mag
  const std::int64_t shift = a.exp - b.exp + kPlaces;
  Big num = a.mag, den = b.mag;
  if (shift >= 0) {
    num = big_mul(num, big_pow10(static_cast<std::size_t>(shift)));
  } else {
    den = big_mul(den, big_pow10(static_cast<std::size_t>(-shift)));
  }
  auto [q, r] = big_divmod(num, den);
  if (big_cmp(big_add(r, r), den) >= 0) q = big_add(q, Big{1});
  Decimal out;
  out.mag = std::move(q);
  out.exp = -kPlaces;
  out.neg = !out.mag.empty() && a.neg != b.neg;
  return out;
}

// Decimal.Float64: the nearest float64.
double dec_to_float(const Decimal& d) {
  if (d.mag.empty()) return 0;
  std::string text = big_to_digits(d.mag) + "e" + std::to_string(d.exp);
  double out = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  if (res.ec == std::errc::result_out_of_range) {
    out = d.exp > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
  return d.neg ? -out : out;
}

using DecOp = Result<Decimal> (*)(const Decimal&, const Decimal&);

// sprig's execDecimalOp: fold `rest` into `first` with op, as float64s.
Result<Value> decimal_fold(const Value& first, const std::vector<Value>& rest, DecOp op) {
  auto acc = decimal_from_float(cast_to_float64(first));
  if (!acc) return tl::unexpected(acc.error());
  for (const auto& v : rest) {
    auto x = decimal_from_float(cast_to_float64(v));
    if (!x) return tl::unexpected(x.error());
    auto next = op(*acc, *x);
    if (!next) return tl::unexpected(next.error());
    acc = std::move(next);
  }
  return Value::floating(dec_to_float(*acc));
}

Result<Decimal> op_add(const Decimal& a, const Decimal& b) { return dec_add(a, b); }
Result<Decimal> op_sub(const Decimal& a, const Decimal& b) { return dec_sub(a, b); }
Result<Decimal> op_mul(const Decimal& a, const Decimal& b) { return dec_mul(a, b); }
Result<Decimal> op_div(const Decimal& a, const Decimal& b) { return dec_div(a, b); }

std::vector<Value> tail(const Args& a, std::size_t from) {
  return std::vector<Value>(a.begin() + static_cast<std::ptrdiff_t>(std::min(from, a.size())), a.end());
}

// ------------------------------------------------------------ sequences

// sprig's untilStep: start, start+step, ... up to (excluding) stop; empty
// when the step points away from stop or is zero.
Result<std::vector<std::int64_t>> until_step(const CallContext& ctx, std::int64_t start,
                                             std::int64_t stop, std::int64_t step) {
  std::vector<std::int64_t> out;
  const __int128 span = static_cast<__int128>(stop) - start;
  if (stop < start) {
    if (step >= 0) return out;
  } else if (step <= 0) {
    return out;
  }
  if (span == 0) return out;
  const __int128 count = (span + step + (step > 0 ? -1 : 1)) / step;
  if (count > ctx.limits().max_list_items) {
    return tl::unexpected(check_list_size(ctx, std::numeric_limits<std::int64_t>::max()).error());
  }
  out.reserve(static_cast<std::size_t>(count));
  for (__int128 i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.push_back(static_cast<std::int64_t>(i));
  }
  return out;
}

Value int_list(const std::vector<std::int64_t>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (auto i : items) values.push_back(Value::integer(i));
  return Value::new_list(std::move(values), "int");
}

std::string join_ints(const std::vector<std::int64_t>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(items[i]);
  }
  return out;
}

// sprig's seq: "1 2 3" counting towards the end, with an optional step.
Result<Value> seq(const CallContext& ctx, const Args& a) {
  std::int64_t start = 1, end = 0, step = 1;
  switch (a.size()) {
    case 1:
      end = a[0].as_int();
      step = end < start ? -1 : 1;
      break;
    case 2:
      start = a[0].as_int();
      end = a[1].as_int();
      step = end < start ? -1 : 1;
      break;
    case 3: {
      start = a[0].as_int();
      step = a[1].as_int();
      end = a[2].as_int();
      if (end < start && step > 0) return Value("");
      const std::int64_t inc = end < start ? -1 : 1;
      auto r = until_step(ctx, start, wrap_add(end, inc), step);
      if (!r) return tl::unexpected(r.error());
      return Value(join_ints(*r));
    }
    default: return Value("");
  }
  auto r = until_step(ctx, start, wrap_add(end, step), step);
  if (!r) return tl::unexpected(r.error());
  return Value(join_ints(*r));
}

}  // namespace

void add_sprig_math_funcs(FuncMap& f) {
  // Conversions (spf13/cast, errors ignored).
  sprig_def(f, "atoi", {Param::String}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::integer(atoi(a[0].as_string()));
  });
  sprig_def(f, "int", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::integer(cast_to_int64(a[0]));
  });
  sprig_def(f, "int64", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return int64_value(cast_to_int64(a[0]));
  });
  sprig_def(f, "float64", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::floating(cast_to_float64(a[0]));
  });
  // toDecimal: fmt.Sprint(v) read as an octal number, 0 when it is not one.
  sprig_def(f, "toDecimal", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t out = 0;
    const std::string text = a[0].is_string() ? a[0].as_string() : go_format_value(a[0]);
    return int64_value(go_parse_int(text, 8, out) ? out : 0);
  });
  sprig_def(f, "seq", {I}, true, [](CallContext& ctx, Args& a) -> Result<Value> {
    return seq(ctx, a);
  });
  sprig_def(f, "until", {I}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    const std::int64_t n = a[0].as_int();
    auto r = until_step(ctx, 0, n, n < 0 ? -1 : 1);
    if (!r) return tl::unexpected(r.error());
    return int_list(*r);
  });
  sprig_def(f, "untilStep", {I, I, I}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    auto r = until_step(ctx, a[0].as_int(), a[1].as_int(), a[2].as_int());
    if (!r) return tl::unexpected(r.error());
    return int_list(*r);
  });

  // Integer math: int64 results, wrapping like Go.
  sprig_def(f, "add1", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return int64_value(wrap_add(cast_to_int64(a[0]), 1));
  });
  sprig_def(f, "add", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t sum = 0;
    for (const auto& v : a) sum = wrap_add(sum, cast_to_int64(v));
    return int64_value(sum);
  });
  sprig_def(f, "sub", {A, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return int64_value(wrap_sub(cast_to_int64(a[0]), cast_to_int64(a[1])));
  });
  sprig_def(f, "div", {A, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return int_div(cast_to_int64(a[0]), cast_to_int64(a[1]));
  });
  sprig_def(f, "mod", {A, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return int_mod(cast_to_int64(a[0]), cast_to_int64(a[1]));
  });
  sprig_def(f, "mul", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t product = cast_to_int64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) product = wrap_mul(product, cast_to_int64(a[i]));
    return int64_value(product);
  });
  auto max_fn = [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t m = cast_to_int64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) m = std::max(m, cast_to_int64(a[i]));
    return int64_value(m);
  };
  sprig_def(f, "max", {A, A}, true, max_fn);
  sprig_def(f, "biggest", {A, A}, true, max_fn);
  sprig_def(f, "min", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::int64_t m = cast_to_int64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) m = std::min(m, cast_to_int64(a[i]));
    return int64_value(m);
  });

  // Float math: math.Max/Min (NaN wins, +0 beats -0), Floor/Ceil, sprig's round.
  sprig_def(f, "maxf", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    double m = cast_to_float64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) {
      double x = cast_to_float64(a[i]);
      if (std::isnan(m) || std::isnan(x)) {
        m = std::numeric_limits<double>::quiet_NaN();
      } else if (x > m || (x == 0 && m == 0 && !std::signbit(x))) {
        m = x;
      }
    }
    return Value::floating(m);
  });
  sprig_def(f, "minf", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    double m = cast_to_float64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) {
      double x = cast_to_float64(a[i]);
      if (std::isnan(m) || std::isnan(x)) {
        m = std::numeric_limits<double>::quiet_NaN();
      } else if (x < m || (x == 0 && m == 0 && std::signbit(x))) {
        m = x;
      }
    }
    return Value::floating(m);
  });
  sprig_def(f, "floor", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::floating(std::floor(cast_to_float64(a[0])));
  });
  sprig_def(f, "ceil", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::floating(std::ceil(cast_to_float64(a[0])));
  });
  // round V PLACES [ROUND_ON=.5]: the fraction of V*10^PLACES decides ceil or floor.
  sprig_def(f, "round", {A, I, Param::Float64}, true, [](CallContext&, Args& a) -> Result<Value> {
    const double round_on = a.size() > 2 ? a[2].as_float() : 0.5;
    const double pow = std::pow(10.0, static_cast<double>(a[1].as_int()));
    const double digit = pow * cast_to_float64(a[0]);
    double whole = 0;
    const double frac = std::modf(digit, &whole);
    return Value::floating((frac >= round_on ? std::ceil(digit) : std::floor(digit)) / pow);
  });

  // Decimal math.
  sprig_def(f, "add1f", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return decimal_fold(a[0], {Value::integer(1)}, op_add);
  });
  sprig_def(f, "addf", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    return decimal_fold(Value::floating(0), a, op_add);
  });
  sprig_def(f, "subf", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    return decimal_fold(a[0], tail(a, 1), op_sub);
  });
  sprig_def(f, "mulf", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    return decimal_fold(a[0], tail(a, 1), op_mul);
  });
  sprig_def(f, "divf", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    return decimal_fold(a[0], tail(a, 1), op_div);
  });
}

}  // namespace cairn::render::sprig_detail
