// cairn::render::Value - the data model of the template engine.
//
// A Value is what Go's text/template sees through reflection when it renders
// Helm data: an `interface{}` holding nil, bool, a sized integer, float64,
// string, a slice, a map with string keys, or a struct/pointer with fields and
// methods (Release, Capabilities, *semver.Version, time.Time, ...). The Go type
// is tracked exactly, because templates observe it (`printf "%T"`, `typeOf`,
// `eq` refusing int vs float64, sprig's cast rules).
//
// Two "nothing" states exist, as in Go:
//   - Kind::Invalid: no value at all (an invalid reflect.Value): a missing map
//     key under the default missingkey option. Prints "<no value>".
//   - Kind::Nil: a valid `interface{}` holding nil: JSON/YAML null, a missing
//     key under missingkey=zero, the `nil` literal. Also prints "<no value>"
//     when it is an action's result, "<nil>" through fmt.
//
// Ownership: lists, maps and objects are reference types shared between
// copies (Go maps and slices are references; `set $d "k" v` mutates `$d` for
// every holder). Scalars are copied. Copying a Value is cheap.
// Thread-safety: a Value may be read from several threads; mutation of a
// shared map/list is only done by the single thread executing a template.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::render {

enum class Kind : std::uint8_t {
  Invalid,  // no value (missing key, default missingkey)
  Nil,      // nil interface{}
  Bool,
  Int,      // any Go integer type; see IntType
  Float,    // float64 (float32 never arises)
  Complex,  // complex128 (only from imaginary literals like `1i`)
  String,
  List,     // a Go slice; element type in ListData::elem_type
  Map,      // a Go map with string keys; type in MapData
  Object,   // a Go struct or pointer to struct: see Object
};

// Go integer types that templates can observe. `int` is what literals, `len`
// and most sprig functions produce; `int64` comes from sprig math (`add`...).
enum class IntType : std::uint8_t { Int, Int8, Int16, Int32, Int64, Uint, Uint8, Uint16, Uint32, Uint64, Uintptr };

// Go spelling of an integer type ("int", "int64", "uint8", ...).
std::string_view int_type_name(IntType t);

class Value;
class Object;

struct ListData {
  std::vector<Value> items;
  // Go element type as `%T` prints it after "[]": "interface {}" for
  // []interface{}, "string" for []string (sprig's splitList, keys, ...),
  // "int" for until/untilStep, "uint8" for []byte.
  std::string elem_type = "interface {}";
};

struct MapData {
  // std::map orders keys byte-wise, which is Go's order for range and fmt.
  std::map<std::string, Value, std::less<>> items;
  // Go value type: "interface {}" for map[string]interface{}, "string" for
  // map[string]string (sprig's split/splitn).
  std::string elem_type = "interface {}";
  // Full Go type name when it is a named map type, e.g. "chartutil.Values".
  // Empty means "map[string]" + elem_type.
  std::string named_type;
};

class Value {
 public:
  Value() = default;  // Kind::Invalid
  static Value invalid() { return Value(); }
  static Value nil() { Value v; v.kind_ = Kind::Nil; return v; }
  Value(bool b) : kind_(Kind::Bool) { u_.b = b; }
  // Integers: the C++ type does not choose the Go type; pass IntType.
  static Value integer(std::int64_t i, IntType t = IntType::Int) {
    Value v; v.kind_ = Kind::Int; v.int_type_ = t; v.u_.i = i; return v;
  }
  static Value uinteger(std::uint64_t u, IntType t = IntType::Uint64) {
    Value v; v.kind_ = Kind::Int; v.int_type_ = t; v.u_.u = u; return v;
  }
  static Value floating(double d) { Value v; v.kind_ = Kind::Float; v.u_.d = d; return v; }
  static Value complex(double re, double im) {
    Value v; v.kind_ = Kind::Complex; v.u_.d = re; v.im_ = im; return v;
  }
  // Nil/empty container of a given Go type name: see nil_map/nil_list.
  Value(std::string s) : kind_(Kind::String), ptr_(std::make_shared<const std::string>(std::move(s))) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::shared_ptr<ListData> l) : kind_(Kind::List), ptr_(std::move(l)) {}
  Value(std::shared_ptr<MapData> m) : kind_(Kind::Map), ptr_(std::move(m)) {}
  Value(std::shared_ptr<const Object> o) : kind_(Kind::Object), ptr_(std::move(o)) {}

  // New empty []interface{} / map[string]interface{} (or other element types).
  static Value new_list(std::vector<Value> items = {}, std::string elem_type = "interface {}");
  static Value new_map(std::string elem_type = "interface {}");
  // []string from strings.
  static Value string_list(const std::vector<std::string>& items);

  Kind kind() const { return kind_; }
  bool is_invalid() const { return kind_ == Kind::Invalid; }
  bool is_nil() const { return kind_ == Kind::Nil; }
  // Invalid or Nil.
  bool is_nothing() const { return kind_ == Kind::Invalid || kind_ == Kind::Nil; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return u_.b; }
  IntType int_type() const { return int_type_; }
  bool is_unsigned() const { return kind_ == Kind::Int && int_type_ >= IntType::Uint; }
  std::int64_t as_int() const { return u_.i; }      // signed view (also of unsigned bits)
  std::uint64_t as_uint() const { return u_.u; }    // unsigned view
  double as_float() const { return u_.d; }
  double real() const { return u_.d; }
  double imag() const { return im_; }
  const std::string& as_string() const { return *static_cast<const std::string*>(ptr_.get()); }
  // Lists and maps: shared, mutable storage (reference semantics).
  ListData& list() const { return *static_cast<ListData*>(const_cast<void*>(ptr_.get())); }
  MapData& map() const { return *static_cast<MapData*>(const_cast<void*>(ptr_.get())); }
  std::shared_ptr<ListData> list_ptr() const {
    return std::const_pointer_cast<ListData>(std::static_pointer_cast<const ListData>(ptr_));
  }
  std::shared_ptr<MapData> map_ptr() const {
    return std::const_pointer_cast<MapData>(std::static_pointer_cast<const MapData>(ptr_));
  }
  const Object& object() const { return *static_cast<const Object*>(ptr_.get()); }
  std::shared_ptr<const Object> object_ptr() const {
    return std::static_pointer_cast<const Object>(ptr_);
  }

  // A list or map value of a nil slice/map type (e.g. a nil map passed to a
  // map parameter): kind List/Map with a null pointer. Such values are
  // "empty" and len 0; writes fail like Go ("assignment to entry in nil map").
  static Value nil_map(std::string elem_type = "interface {}");
  static Value nil_list(std::string elem_type = "interface {}");
  bool is_nil_container() const {
    return (kind_ == Kind::List || kind_ == Kind::Map) && !ptr_;
  }

  // Go type as `%T` prints it: "<nil>" for Nil/Invalid, "int", "float64",
  // "string", "[]interface {}", "map[string]interface {}", "*semver.Version".
  std::string type_name() const;
  // reflect.Kind name as sprig's kindOf prints it: "invalid", "bool", "int",
  // "int64", "float64", "string", "slice", "map", "struct", "ptr".
  std::string kind_name() const;

  // Map lookup helper (nullptr when not a map or key missing).
  const Value* find(std::string_view key) const;
  // Go truthiness (text/template `if`): false for false, 0, 0.0, "", nil,
  // invalid, empty list/map; true otherwise (structs are always true).
  bool truthy() const;

  // Deep copy of lists/maps (sprig deepCopy, values coalescing).
  Value deep_copy() const;

 private:
  Kind kind_ = Kind::Invalid;
  IntType int_type_ = IntType::Int;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
  } u_{};
  double im_ = 0;
  // String (const std::string), ListData, MapData or const Object by kind_.
  std::shared_ptr<const void> ptr_;
};

}  // namespace cairn::render
