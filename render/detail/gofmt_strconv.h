// Go's strconv integer parsing with base 0 (Go literal syntax), shared by the
// template parser (number literals) and the YAML resolver. Stateless.
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::render::detail {

// strconv.ParseUint(s, 0, 64): no sign; 0x/0o/0b prefixes, a leading 0 means
// octal, '_' only between digits or right after a prefix (Go's underscoreOK).
// False on syntax or range error.
bool parse_go_uint(std::string_view s, std::uint64_t& out);

// strconv.ParseInt(s, 0, 64): an optional sign, then parse_go_uint's syntax.
bool parse_go_int(std::string_view s, std::int64_t& out);

}  // namespace cairn::render::detail
