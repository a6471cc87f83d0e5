// strconv quoting helpers shared by the core formatter (see gofmt.h for the
// public go_quote / go_unquote).
#pragma once

#include <string>
#include <string_view>

namespace cairn::render::detail {

// strconv.QuoteRune / QuoteRuneToASCII appended to `out` ('a', '\n', '\u00e9'...).
void append_quoted_rune(std::string& out, char32_t r, bool ascii_only);
// strconv.CanBackquote: a single-line string without backquote, control
// characters (except tab), invalid UTF-8 or a BOM.
bool can_backquote(std::string_view s);

}  // namespace cairn::render::detail
