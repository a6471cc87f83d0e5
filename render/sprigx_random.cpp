// Sprig's random functions: randAlphaNum randAlpha randNumeric randAscii
// (goutils' CryptoRandom* semantics), randInt, shuffle (xstrings.Shuffle),
// uuidv4. All randomness comes from OpenSSL's CSPRNG.
#include <openssl/rand.h>

#include <climits>
#include <cstdint>

#include "render/detail/gofmt_unicode.h"
#include "render/detail/sprigx_common.h"

namespace cairn::render::detail {
namespace {

// `count` characters drawn uniformly from `alphabet`. goutils draws from
// ' '..'z' and keeps letters/digits, which is uniform over the kept set, so
// drawing from the set directly gives the same distribution. A negative count
// gives "" (sprig drops goutils' error).
Result<Value> random_string(CallContext& ctx, std::int64_t count, std::string_view alphabet,
                            std::string_view name) {
  if (count <= 0) return Value("");
  if (static_cast<std::uint64_t>(count) > ctx.limits().max_output_bytes) {
    return make_error(std::string(name) + ": length " + std::to_string(count) +
                      " exceeds the output limit");
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    auto k = sprigx_random_below(alphabet.size());
    if (!k) return tl::unexpected(k.error());
    out.push_back(alphabet[*k]);
  }
  return Value(std::move(out));
}

constexpr std::string_view kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kAlphaNum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kDigits = "0123456789";

std::string printable_ascii() {
  std::string s;
  for (char c = ' '; c <= '~'; ++c) s.push_back(c);
  return s;
}

// randInt(min, max int) = rand.Intn(max-min) + min; Go panics when max-min
// (computed with wrap-around) is not positive.
Result<Value> rand_int_func(CallContext&, std::vector<Value>& args) {
  const auto lo = static_cast<std::uint64_t>(args[0].as_int());
  const auto hi = static_cast<std::uint64_t>(args[1].as_int());
  const auto span = static_cast<std::int64_t>(hi - lo);
  if (span <= 0) return make_error("invalid argument to Intn");
  auto k = sprigx_random_below(static_cast<std::uint64_t>(span));
  if (!k) return tl::unexpected(k.error());
  return Value::integer(static_cast<std::int64_t>(*k + lo));
}

// xstrings.Shuffle: a Fisher-Yates shuffle of the string's runes.
Result<Value> shuffle_func(CallContext&, std::vector<Value>& args) {
  const std::string& s = args[0].as_string();
  std::vector<char32_t> runes = to_runes(s);
  for (std::size_t i = runes.size(); i-- > 1;) {
    auto k = sprigx_random_below(i + 1);
    if (!k) return tl::unexpected(k.error());
    std::swap(runes[i], runes[*k]);
  }
  return Value(from_runes(runes));
}

// google/uuid New(): random version 4, RFC 4122 variant, lower-case hex.
Result<Value> uuidv4_func(CallContext&, std::vector<Value>&) {
  unsigned char b[16];
  if (auto r = sprigx_random_bytes(b, sizeof b); !r) return tl::unexpected(r.error());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return Value(std::move(out));
}

}  // namespace

Result<void> sprigx_random_bytes(unsigned char* out, std::size_t n) {
  while (n > 0) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n, INT_MAX));
    if (RAND_bytes(out, chunk) != 1) return make_error("crypto/rand: random source failed");
    out += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
  return {};
}

Result<std::uint64_t> sprigx_random_below(std::uint64_t bound) {
  // Rejection sampling avoids modulo bias.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    std::uint64_t v = 0;
    auto r = sprigx_random_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
    if (!r) return tl::unexpected(r.error());
    if (v < limit) return v % bound;
  }
}

void add_sprigx_random_funcs(FuncMap& funcs) {
  using P = Param;
  sprigx_define(funcs, "randAlphaNum", {P::Int}, [](CallContext& c, std::vector<Value>& a) {
    return random_string(c, a[0].as_int(), kAlphaNum, "randAlphaNum");
  });
  sprigx_define(funcs, "randAlpha", {P::Int}, [](CallContext& c, std::vector<Value>& a) {
    return random_string(c, a[0].as_int(), kAlpha, "randAlpha");
  });
  sprigx_define(funcs, "randNumeric", {P::Int}, [](CallContext& c, std::vector<Value>& a) {
    return random_string(c, a[0].as_int(), kDigits, "randNumeric");
  });
  sprigx_define(funcs, "randAscii", {P::Int}, [](CallContext& c, std::vector<Value>& a) {
    static const std::string kAscii = printable_ascii();
    return random_string(c, a[0].as_int(), kAscii, "randAscii");
  });
  sprigx_define(funcs, "randInt", {P::Int, P::Int}, rand_int_func);
  sprigx_define(funcs, "shuffle", {P::String}, shuffle_func);
  sprigx_define(funcs, "uuidv4", {}, uuidv4_func);
}

}  // namespace cairn::render::detail
