// UTF-8 and Unicode helpers with Go's exact semantics (unicode/utf8 and
// strconv.IsPrint of Go 1.23, Unicode 15.0.0). Shared by the core formatting
// code; other components may use them too. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// decode_rune at s[pos] that also advances pos past the rune (one byte for
// an invalid one) and returns just the rune. Requires pos < s.size().
char32_t next_rune(std::string_view s, std::size_t& pos);

// []rune(s) and string(runes): invalid bytes become U+FFFD each way.
std::vector<char32_t> to_runes(std::string_view s);
std::string from_runes(const std::vector<char32_t>& runes);

// utf8.RuneCountInString: invalid bytes count as one rune each.
std::size_t rune_count(std::string_view s);

// utf8.ValidRune: a Unicode scalar value (not a surrogate, <= U+10FFFF).
bool valid_rune(char32_t r);

// utf8.AppendRune: invalid runes are written as U+FFFD.
void append_rune(std::string& out, char32_t r);

// The UTF-8 bit pattern of any r <= 0x1FFFFF with no validity check
// (surrogates and values above U+10FFFF are encoded as is). Only for callers
// that must echo a rune read by a lenient decoder; use append_rune otherwise.
void append_rune_unchecked(std::string& out, char32_t r);

// utf8.ValidString.
bool valid_utf8(std::string_view s);

// strconv.IsPrint / unicode.IsPrint: letters, marks, numbers, punctuation,
// symbols and the ASCII space.
bool go_is_print(char32_t r);

}  // namespace cairn::render::detail
