// UTF-8 and Unicode helpers with Go's exact semantics (unicode/utf8 and
// strconv.IsPrint of Go 1.23, Unicode 15.0.0). Shared by the core formatting
// code; other components may use them too. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::render::detail {

inline constexpr char32_t kRuneError = 0xFFFD;
inline constexpr char32_t kMaxRune = 0x10FFFF;

struct DecodedRune {
  char32_t rune;
  int width;  // bytes consumed; 1 for an invalid byte, 0 at end of input
};

// utf8.DecodeRuneInString(s[pos:]): an invalid or truncated sequence decodes
// as (U+FFFD, 1); overlong forms and surrogates are invalid.
DecodedRune decode_rune(std::string_view s, std::size_t pos = 0);

// utf8.RuneCountInString: invalid bytes count as one rune each.
std::size_t rune_count(std::string_view s);

// utf8.ValidRune: a Unicode scalar value (not a surrogate, <= U+10FFFF).
bool valid_rune(char32_t r);

// utf8.AppendRune: invalid runes are written as U+FFFD.
void append_rune(std::string& out, char32_t r);

// utf8.ValidString.
bool valid_utf8(std::string_view s);

// strconv.IsPrint / unicode.IsPrint: letters, marks, numbers, punctuation,
// symbols and the ASCII space.
bool go_is_print(char32_t r);

}  // namespace cairn::render::detail
