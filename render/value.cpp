// Value model helpers: Go type/kind names, truthiness, copies, nil containers;
// also param_type_name from func.h.
#include "render/value.h"

#include <utility>

#include "render/func.h"

namespace cairn::render {

std::string_view int_type_name(IntType t) {
  switch (t) {
    case IntType::Int:
      return "int";
    case IntType::Int8:
      return "int8";
    case IntType::Int16:
      return "int16";
    case IntType::Int32:
      return "int32";
    case IntType::Int64:
      return "int64";
    case IntType::Uint:
      return "uint";
    case IntType::Uint8:
      return "uint8";
    case IntType::Uint16:
      return "uint16";
    case IntType::Uint32:
      return "uint32";
    case IntType::Uint64:
      return "uint64";
    case IntType::Uintptr:
      return "uintptr";
  }
  return "int";
}

std::string_view param_type_name(Param p) {
  switch (p) {
    case Param::Value:
      return "reflect.Value";
    case Param::Any:
      return "interface {}";
    case Param::String:
      return "string";
    case Param::Int:
      return "int";
    case Param::Int64:
      return "int64";
    case Param::Float64:
      return "float64";
    case Param::Bool:
      return "bool";
    case Param::Map:
      return "map[string]interface {}";
    case Param::List:
      return "[]interface {}";
    case Param::StringList:
      return "[]string";
    case Param::Time:
      return "time.Time";
  }
  return "interface {}";
}

Value Value::new_list(std::vector<Value> items, std::string elem_type) {
  auto data = std::make_shared<ListData>();
  data->items = std::move(items);
  data->elem_type = std::move(elem_type);
  return Value(std::move(data));
}

Value Value::new_map(std::string elem_type) {
  auto data = std::make_shared<MapData>();
  data->elem_type = std::move(elem_type);
  return Value(std::move(data));
}

Value Value::string_list(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const auto& s : items) values.emplace_back(s);
  return new_list(std::move(values), "string");
}

namespace {

// A nil container has no storage, yet Go still knows its type (`%T` of a nil
// []string is "[]string"). The type travels in the deleter of an empty-but-
// owning shared_ptr: get() is null (so is_nil_container() holds) while
// std::get_deleter recovers the element type.
struct NilContainerTag {
  std::string elem_type;
  void operator()(const void*) const {}
};

std::shared_ptr<const void> nil_tag(std::string elem_type) {
  return std::shared_ptr<const void>(nullptr, NilContainerTag{std::move(elem_type)});
}

const std::string& nil_elem_type(const std::shared_ptr<const void>& p) {
  static const std::string kDefault = "interface {}";
  const auto* tag = std::get_deleter<NilContainerTag>(p);
  return tag ? tag->elem_type : kDefault;
}

}  // namespace

Value Value::nil_map(std::string elem_type) {
  Value v;
  v.kind_ = Kind::Map;
  v.ptr_ = nil_tag(std::move(elem_type));
  return v;
}

Value Value::nil_list(std::string elem_type) {
  Value v;
  v.kind_ = Kind::List;
  v.ptr_ = nil_tag(std::move(elem_type));
  return v;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Invalid:
    case Kind::Nil:
      return "<nil>";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return std::string(int_type_name(int_type_));
    case Kind::Float:
      return "float64";
    case Kind::Complex:
      return "complex128";
    case Kind::String:
      return "string";
    case Kind::List:
      return "[]" + (ptr_ ? list().elem_type : nil_elem_type(ptr_));
    case Kind::Map:
      if (!ptr_) return "map[string]" + nil_elem_type(ptr_);
      if (!map().named_type.empty()) return map().named_type;
      return "map[string]" + map().elem_type;
    case Kind::Object:
      return object().type_name();
  }
  return "<nil>";
}

std::string Value::kind_name() const {
  switch (kind_) {
    case Kind::Invalid:
    case Kind::Nil:
      return "invalid";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return std::string(int_type_name(int_type_));
    case Kind::Float:
      return "float64";
    case Kind::Complex:
      return "complex128";
    case Kind::String:
      return "string";
    case Kind::List:
      return "slice";
    case Kind::Map:
      return "map";
    case Kind::Object:
      return object().kind_name();
  }
  return "invalid";
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Map || !ptr_) return nullptr;
  const auto& items = map().items;
  auto it = items.find(key);
  return it == items.end() ? nullptr : &it->second;
}

// text/template's isTrue: the zero value of a type is false, except structs,
// which are always true (pointers are true when non-nil).
bool Value::truthy() const {
  switch (kind_) {
    case Kind::Invalid:
    case Kind::Nil:
      return false;
    case Kind::Bool:
      return u_.b;
    case Kind::Int:
      return u_.u != 0;
    case Kind::Float:
      return u_.d != 0;
    case Kind::Complex:
      return u_.d != 0 || im_ != 0;
    case Kind::String:
      return !as_string().empty();
    case Kind::List:
      return ptr_ && !list().items.empty();
    case Kind::Map:
      return ptr_ && !map().items.empty();
    case Kind::Object:
      if (const Value* c = object().container()) return c->truthy();
      return true;
  }
  return false;
}

Value Value::deep_copy() const {
  if (is_nil_container()) return *this;
  if (kind_ == Kind::List) {
    auto copy = std::make_shared<ListData>();
    copy->elem_type = list().elem_type;
    copy->items.reserve(list().items.size());
    for (const auto& item : list().items) copy->items.push_back(item.deep_copy());
    return Value(std::move(copy));
  }
  if (kind_ == Kind::Map) {
    auto copy = std::make_shared<MapData>();
    copy->elem_type = map().elem_type;
    copy->named_type = map().named_type;
    for (const auto& [key, item] : map().items) copy->items.emplace(key, item.deep_copy());
    return Value(std::move(copy));
  }
  return *this;  // scalars are values; objects are immutable and shared
}

}  // namespace cairn::render
