// Go's text forms of values as kube prints them in error messages and Table cells: fmt's %q
// (strconv.Quote) and %v, and encoding/json's Marshal. The one implementation for the whole API
// server; every component formats Go-style text through these. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cairn::apiserver::go {

// strconv.Quote (what %q prints): `"` `\` and control bytes escaped (\a \b \f \n \r \t \v, other
// bytes below 0x20 and 0x7f as \xNN), well-formed UTF-8 kept as it is, each byte of an invalid
// sequence as \xNN. Not done: Go's \uXXXX escapes of valid but non-printable runes (U+00A0,
// U+2028, ...), which need Unicode tables.
std::string quote(std::string_view s);

// fmt's %v of a float64 (strconv 'g' with the shortest digits): 10, 0.5, 123456, 1e+06, 1e-05,
// -0, NaN, +Inf, -Inf.
std::string format_float(double f);

// encoding/json's float64: shortest digits, 'f' form unless |f| < 1e-6 or |f| >= 1e21, then 'e'
// form with at least one exponent digit (1e-7, 1e+21); -0 stays -0; NaN and infinities (which Go
// refuses to marshal) as null.
std::string json_float(double f);

// encoding/json's string encoding of `s` appended to `out`, quotes included: \" \\ \b \f \n \r
// \t, other control bytes and the HTML-unsafe < > & as \u00XX, U+2028 and U+2029 as \u2028 and
// \u2029, each byte of an invalid UTF-8 sequence as \ufffd.
void append_json_string(std::string_view s, std::string& out);

// encoding/json's Marshal of `value`: compact, object keys in byte order, strings as
// append_json_string, floats as json_float, binary values as null.
std::string marshal(const nlohmann::json& value);

// Go's %v of a decoded JSON value as kube prints bad values and limits: strings quoted (quote),
// integers plainly, floats as format_float, booleans true/false, null, arrays and objects as
// marshal.
std::string value(const nlohmann::json& v);

}  // namespace cairn::apiserver::go
