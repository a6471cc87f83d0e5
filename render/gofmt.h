// Go's fmt and strconv formatting of template values.
//
// Everything a template prints goes through here: action output, print,
// printf, println, sprig's toString/quote/cat, error texts. The rules are
// Go's (fmt/print.go, fmt/format.go, strconv/ftoa.go, strconv/quote.go):
// `%v` of float64 1e6 is "1e+06", of a map "map[a:1 b:2]" (sorted keys), of
// a list "[1 2 3]", of nil "<nil>"; bad verbs print "%!d(string=x)", missing
// operands "%!s(MISSING)", extras "%!(EXTRA int=1)".
// Stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "render/value.h"

namespace cairn::render {

// fmt.Sprint(args...): a space is added between operands when neither is a string.
std::string go_sprint(const std::vector<Value>& args);
// fmt.Sprintln(args...): spaces between all operands, newline at the end.
std::string go_sprintln(const std::vector<Value>& args);
// fmt.Sprintf(format, args...).
std::string go_sprintf(std::string_view format, const std::vector<Value>& args);
// fmt.Sprint(v) for one value (== "%v"). Invalid and Nil print "<nil>".
std::string go_format_value(const Value& v);

// strconv.FormatFloat(f, fmt, prec, 64): fmt one of 'e' 'E' 'f' 'g' 'G' 'b' 'x' 'X';
// prec -1 means the shortest representation that round-trips.
std::string go_format_float(double f, char fmt, int prec);
// strconv.Quote / QuoteToASCII.
std::string go_quote(std::string_view s, bool ascii_only = false);
// strconv.Unquote of a Go interpreted ("..."), raw (`...`) or rune ('x') literal.
bool go_unquote(std::string_view literal, std::string& out);

}  // namespace cairn::render
