// Helpers shared by the sprig_*.cpp function groups: registration, sprig's
// value rules (strval, empty, reflect.DeepEqual), spf13/cast conversions,
// strconv number parsing, UTF-8 and the Unicode classes Go's strings and
// unicode packages use. Private to the sprig component.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/detail/gofmt_unicode.h"
#include "render/func.h"
#include "render/value.h"

namespace cairn::render::sprig_detail {

// Registers `name` with a Go signature (see Func).
void sprig_def(FuncMap& funcs, const std::string& name, std::vector<Param> params, bool variadic,
               FuncImpl impl);

// Per-group registration, called by add_sprig_funcs.
void add_sprig_string_funcs(FuncMap& funcs);
void add_sprig_case_funcs(FuncMap& funcs);
void add_sprig_flow_funcs(FuncMap& funcs);
void add_sprig_math_funcs(FuncMap& funcs);
void add_sprig_list_funcs(FuncMap& funcs);
void add_sprig_dict_funcs(FuncMap& funcs);
void add_sprig_semver_funcs(FuncMap& funcs);
void add_sprig_path_funcs(FuncMap& funcs);

// sprig's strval: a string as is, a Stringer's String(), else fmt's %v.
std::string sprig_strval(const Value& v);
// sprig's empty(): Go zero values (nil, false, 0, "", empty list/map) are
// empty; structs and non-nil pointers are not.
bool sprig_empty(const Value& v);
// reflect.DeepEqual over template values: identical Go types and equal
// contents (int 1 and float64 1 differ; NaN differs from itself).
bool go_deep_equal(const Value& a, const Value& b);

// Items of a list value; a nil slice has none.
const std::vector<Value>& list_items(const Value& v);
// A new []interface{} / nil []interface{}.
Value make_list(std::vector<Value> items);
// Go's error text when sprig calls reflect.TypeOf(nil).Kind().
Error nil_deref_error();
// Limits check for results that grow with the input.
Result<void> check_output_size(const CallContext& ctx, std::size_t bytes);
Result<void> check_list_size(const CallContext& ctx, std::int64_t items);

// Go's conversion of a float64 to int64 on amd64 (NaN and out-of-range
// values give math.MinInt64).
std::int64_t go_float_to_int64(double f);
// strconv.ParseInt(s, base, 64); base 0 honours 0x/0o/0b/0 prefixes and
// underscores. False on syntax or range error.
bool go_parse_int(std::string_view s, int base, std::int64_t& out);
// strconv.ParseFloat(s, 64): decimal and hex floats, inf/infinity/nan,
// underscores after a base prefix. False on syntax error (range errors
// give +-Inf and false, as Go returns an error then).
bool go_parse_float(std::string_view s, double& out);
// spf13/cast ToInt64 / ToFloat64 with errors ignored (0).
std::int64_t cast_to_int64(const Value& v);
double cast_to_float64(const Value& v);

// UTF-8 as Go decodes it (core's, detail/gofmt_unicode.h): an invalid or
// truncated sequence is one byte decoded as U+FFFD. next_rune(s, pos)
// returns the rune at s[pos] and advances pos past it.
using detail::append_rune;
using detail::from_runes;
using detail::kRuneError;
using detail::next_rune;
using detail::to_runes;

// Go's unicode package (classes approximated by the C library outside ASCII).
bool uni_is_space(char32_t r);
bool uni_is_upper(char32_t r);
bool uni_is_lower(char32_t r);
bool uni_is_title(char32_t r);
bool uni_is_letter(char32_t r);
bool uni_is_digit(char32_t r);
bool uni_is_number(char32_t r);
bool uni_is_punct(char32_t r);
char32_t uni_to_upper(char32_t r);
char32_t uni_to_lower(char32_t r);
char32_t uni_to_title(char32_t r);
// strings.ToUpper / ToLower.
std::string go_to_upper(std::string_view s);
std::string go_to_lower(std::string_view s);

}  // namespace cairn::render::sprig_detail
