// Private helpers shared by the sprigx_*.cpp files (sprig's encodings,
// crypto, random, regex and environment functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render::detail {

// Registers `name` with its Go signature (see Func in func.h).
void sprigx_define(FuncMap& funcs, const std::string& name, std::vector<Param> params,
                   FuncImpl impl, bool variadic = false);

// Fills `out` with `n` bytes from OpenSSL's CSPRNG (Go's crypto/rand).
Result<void> sprigx_random_bytes(unsigned char* out, std::size_t n);
// A uniformly distributed integer in [0, bound) from the CSPRNG; bound > 0.
Result<std::uint64_t> sprigx_random_below(std::uint64_t bound);

// encoding/base64 StdEncoding.
std::string sprigx_base64_encode(std::string_view data);
// StdEncoding.DecodeString: padding required, '\r' and '\n' skipped; a
// failure carries Go's CorruptInputError text ("illegal base64 data at input
// byte N").
Result<std::string> sprigx_base64_decode(std::string_view text);
// encoding/base32 StdEncoding (RFC 4648 alphabet, '=' padding).
std::string sprigx_base32_encode(std::string_view data);
Result<std::string> sprigx_base32_decode(std::string_view text);

// Go's strconv.Quote-or-backquote used by regexp.MustCompile's panic text.
std::string sprigx_go_regexp_quote(std::string_view s);

// Registration of each area; add_sprigx_funcs calls them all.
void add_sprigx_encoding_funcs(FuncMap& funcs);
void add_sprigx_random_funcs(FuncMap& funcs);
void add_sprigx_regex_funcs(FuncMap& funcs);
void add_sprigx_cert_funcs(FuncMap& funcs);
void add_sprigx_env_funcs(FuncMap& funcs);

}  // namespace cairn::render::detail
