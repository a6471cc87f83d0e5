// cairn::render function map and Go-object interface.
//
// Template functions are registered with a Go-like signature (parameter
// types), and the executor converts and checks arguments exactly as Go's
// text/template does before calling the implementation:
//   - a number literal is converted to the parameter's type (`3` to a
//     float64 parameter is 3.0; `3.5` to an int parameter is the error
//     "expected integer; found 3.5");
//   - a value from data must have the parameter's type ("wrong type for value;
//     expected string; got float64"); a Nil interface is only accepted by Any
//     and Value parameters;
//   - an Invalid value (missing key, default missingkey) becomes the zero
//     value of a nilable parameter (Map, List, StringList: a nil container;
//     Any: Nil) and is an error for String/Int/Float64/Bool ("invalid value;
//     expected string").
// So implementations receive arguments already of the declared type.
//
// Thread-safety: a FuncMap is immutable once built and shared by all renders.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

#include "render/value.h"

namespace cairn::render {

// An error from parsing, executing or a function. `message` is the complete
// text shown to the user (Go's wording where reasonable).
struct Error {
  std::string message;
};
template <class T>
using Result = tl::expected<T, Error>;
inline tl::unexpected<Error> make_error(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

// Declared Go parameter types.
enum class Param : std::uint8_t {
  Value,       // reflect.Value (Go builtins eq, index, len, and, or, not...):
               // passed through unchanged, Invalid included
  Any,         // interface{}: Invalid becomes Nil; literals become int/float64/string/bool
  String,      // string
  Int,         // int (not int64: Go refuses int64 for an int parameter)
  Int64,       // int64
  Float64,     // float64
  Bool,        // bool
  Map,         // map[string]interface{} (named map types such as chartutil.Values accepted)
  List,        // []interface{}
  StringList,  // []string
  Time,        // time.Time (an Object whose type_name() is "time.Time")
};

// Go spelling of a parameter type, for error messages ("map[string]interface {}").
std::string_view param_type_name(Param p);

// Limits that keep hostile templates from exhausting the machine. Functions
// that can produce large results (repeat, until, seq, indent...) check them.
struct Limits {
  std::size_t max_output_bytes = 64u << 20;   // per rendered template / string result
  std::int64_t max_list_items = 10'000'000;   // until, seq, repeat counts...
  int max_include_depth = 1000;               // include recursion per name (helm's limit)
  int max_exec_depth = 10'000;                // nested template/include/tpl calls in total
  std::int64_t max_range_iterations = 100'000'000;
  int max_parse_depth = 1000;                 // nesting of actions/parentheses
};

// What a function may ask of the running execution. Implemented by the
// executor; functions that need no context ignore it.
class CallContext {
 public:
  virtual ~CallContext() = default;
  virtual const Limits& limits() const = 0;
  // Run a named template of the current set with `data` and return its output
  // (helm's include).
  virtual Result<std::string> include(std::string_view name, const Value& data) = 0;
  // Parse `text` into a clone of the current template set and execute it with
  // `data` (helm's tpl).
  virtual Result<std::string> tpl(std::string_view text, const Value& data) = 0;
  // "<template>:<line>:<col>" of the action being executed (helm's
  // "execution error at (...)").
  virtual std::string location() const = 0;
};

using FuncImpl = std::function<Result<Value>(CallContext& ctx, std::vector<Value>& args)>;

struct Func {
  std::vector<Param> params;
  bool variadic = false;  // the last entry of params repeats (Go `...T`)
  FuncImpl impl;
};

// Name -> function. Later registrations override earlier ones (helm's map
// overrides sprig's, sprig's `slice` overrides Go's builtin).
using FuncMap = std::unordered_map<std::string, Func>;

// A Go struct (or pointer to one) exposed to templates: `.Release.Name`,
// `.Capabilities.APIVersions.Has "v1"`, `(semver "1.2.3").Major`,
// `.Files.Get "x"`, `$ca.Cert`, a time.Time from `now`.
class Object {
 public:
  virtual ~Object() = default;
  // Go type as `%T` prints it: "*semver.Version", "time.Time",
  // "*chartutil.Capabilities", "chartutil.Values"...
  virtual std::string type_name() const = 0;
  // reflect.Kind name: "struct" or "ptr".
  virtual std::string kind_name() const { return "struct"; }
  // A field (or a method without arguments that Go would call the same way):
  // nullopt when there is no such field.
  virtual std::optional<Value> field(std::string_view name) const = 0;
  // A method that takes arguments (or none). nullptr when there is none.
  // The returned Func's impl receives the converted arguments.
  virtual const Func* method(std::string_view name) const { (void)name; return nullptr; }
  // The Go map or slice that a named map/slice type is (helm's engine.files
  // is a map[string][]byte, chartutil.VersionSet a []string): range, len,
  // index and truthiness use it. nullptr for structs. The pointer stays valid
  // as long as the object.
  virtual const Value* container() const { return nullptr; }
  // fmt's %v (and %s) text: a Stringer's String(), else Go's struct form
  // "{a b}" (with `plus`: "{A:a B:b}").
  virtual std::string format(bool plus) const = 0;
  // What encoding/json.Marshal would produce, as data (maps, lists,
  // strings...), for toJson/toYaml. Struct field order is not kept.
  virtual Value to_data() const = 0;
};

}  // namespace cairn::render
