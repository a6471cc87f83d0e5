// Go's text/template builtin functions (text/template/funcs.go).
#include <cstdio>

#include "render/gofmt.h"
#include "render/template.h"

namespace cairn::render {
namespace {

// Go's basicKind classes for comparisons.
enum class BasicKind { Invalid, Bool, Complex, Int, Float, String, Uint };

BasicKind basic_kind(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool: return BasicKind::Bool;
    case Kind::Int: return v.is_unsigned() ? BasicKind::Uint : BasicKind::Int;
    case Kind::Float: return BasicKind::Float;
    case Kind::Complex: return BasicKind::Complex;
    case Kind::String: return BasicKind::String;
    default: return BasicKind::Invalid;
  }
}

// Go's indirectInterface: a nil interface is no value.
Value indirect_interface(const Value& v) { return v.is_nil() ? Value() : v; }

const char* const kBadComparison = "incompatible types for comparison";
const char* const kBadComparisonType = "invalid type for comparison";

// Go's fmt %s of a reflect.Value, for error texts.
std::string describe(const Value& v) { return go_sprintf("%s", {v}); }

Result<bool> eq_values(const Value& a0, const std::vector<Value>& rest, std::size_t from) {
  Value a = indirect_interface(a0);
  if (rest.size() <= from) return make_error("missing argument for comparison");
  BasicKind k1 = basic_kind(a);
  for (std::size_t i = from; i < rest.size(); ++i) {
    Value b = indirect_interface(rest[i]);
    BasicKind k2 = basic_kind(b);
    bool truth = false;
    if (k1 != k2) {
      if (k1 == BasicKind::Int && k2 == BasicKind::Uint) {
        truth = a.as_int() >= 0 && static_cast<std::uint64_t>(a.as_int()) == b.as_uint();
      } else if (k1 == BasicKind::Uint && k2 == BasicKind::Int) {
        truth = b.as_int() >= 0 && a.as_uint() == static_cast<std::uint64_t>(b.as_int());
      } else if (!a.is_invalid() && !b.is_invalid()) {
        return make_error(kBadComparison);
      }
    } else {
      switch (k1) {
        case BasicKind::Bool: truth = a.as_bool() == b.as_bool(); break;
        case BasicKind::Complex: truth = a.real() == b.real() && a.imag() == b.imag(); break;
        case BasicKind::Float: truth = a.as_float() == b.as_float(); break;
        case BasicKind::Int: truth = a.as_int() == b.as_int(); break;
        case BasicKind::String: truth = a.as_string() == b.as_string(); break;
        case BasicKind::Uint: truth = a.as_uint() == b.as_uint(); break;
        case BasicKind::Invalid: {
          // Both are no value, lists, maps or objects.
          if (a.is_invalid() || b.is_invalid()) {
            truth = a.is_invalid() == b.is_invalid();
            if (!truth && (a.is_nil_container() || b.is_nil_container())) truth = true;
            break;
          }
          if (a.type_name() != b.type_name()) {
            return make_error("non-comparable types " + describe(a) + ": " + a.type_name() +
                              ", " + b.type_name() + ": " + describe(b));
          }
          if (a.is_nil_container() || b.is_nil_container()) {
            truth = a.is_nil_container() == b.is_nil_container();
            break;
          }
          if (a.is_list() || a.is_map()) {
            return make_error("non-comparable type " + describe(b) + ": " + b.type_name());
          }
          // Objects: identity.
          truth = a.object_ptr() == b.object_ptr();
          break;
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

Result<bool> lt_values(const Value& a0, const Value& b0) {
  Value a = indirect_interface(a0);
  Value b = indirect_interface(b0);
  BasicKind k1 = basic_kind(a);
  if (k1 == BasicKind::Invalid) return make_error(kBadComparisonType);
  BasicKind k2 = basic_kind(b);
  if (k2 == BasicKind::Invalid) return make_error(kBadComparisonType);
  if (k1 != k2) {
    if (k1 == BasicKind::Int && k2 == BasicKind::Uint) {
      return a.as_int() < 0 || static_cast<std::uint64_t>(a.as_int()) < b.as_uint();
    }
    if (k1 == BasicKind::Uint && k2 == BasicKind::Int) {
      return b.as_int() >= 0 && a.as_uint() < static_cast<std::uint64_t>(b.as_int());
    }
    return make_error(kBadComparison);
  }
  switch (k1) {
    case BasicKind::Float: return a.as_float() < b.as_float();
    case BasicKind::Int: return a.as_int() < b.as_int();
    case BasicKind::String: return a.as_string() < b.as_string();
    case BasicKind::Uint: return a.as_uint() < b.as_uint();
    default: return make_error(kBadComparisonType);
  }
}

Result<bool> le_values(const Value& a, const Value& b) {
  auto lt = lt_values(a, b);
  if (!lt || *lt) return lt;
  return eq_values(a, std::vector<Value>{b}, 0);
}

Result<Value> to_value(Result<bool> r) {
  if (!r) return tl::unexpected(r.error());
  return Value(*r);
}

// Go's indexArg: an integer index within [0, cap].
Result<std::int64_t> index_arg(const Value& index0, std::int64_t cap) {
  Value index = indirect_interface(index0);
  std::int64_t x;
  if (index.is_int()) {
    x = index.as_int();
    if (index.is_unsigned() && index.as_uint() > static_cast<std::uint64_t>(INT64_MAX)) x = -1;
  } else if (index.is_invalid()) {
    return make_error("cannot index slice/array with nil");
  } else {
    return make_error("cannot index slice/array with type " + index.type_name());
  }
  if (x < 0 || x > cap) return make_error("index out of range: " + std::to_string(x));
  return x;
}

Result<Value> builtin_index(CallContext&, std::vector<Value>& args) {
  Value item = indirect_interface(args[0]);
  if (item.is_invalid()) return make_error("index of untyped nil");
  if (item.is_object()) {
    if (const Value* c = item.object().container()) item = *c;  // named map/slice types
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (item.is_nil()) return make_error("index of nil pointer");
    switch (item.kind()) {
      case Kind::List: {
        std::int64_t len = item.is_nil_container() ? 0 : static_cast<std::int64_t>(item.list().items.size());
        auto x = index_arg(args[i], len);
        if (!x) return tl::unexpected(x.error());
        if (*x == len) return make_error("reflect: slice index out of range");
        item = item.list().items[static_cast<std::size_t>(*x)];
        break;
      }
      case Kind::String: {
        const std::string& s = item.as_string();
        auto x = index_arg(args[i], static_cast<std::int64_t>(s.size()));
        if (!x) return tl::unexpected(x.error());
        if (*x == static_cast<std::int64_t>(s.size())) {
          return make_error("reflect: string index out of range");
        }
        item = Value::uinteger(static_cast<unsigned char>(s[static_cast<std::size_t>(*x)]),
                               IntType::Uint8);
        break;
      }
      case Kind::Map: {
        Value key = indirect_interface(args[i]);
        if (key.is_invalid()) return make_error("value is nil; should be of type string");
        if (!key.is_string()) {
          return make_error("value has type " + key.type_name() + "; should be string");
        }
        const MapData* m = item.is_nil_container() ? nullptr : &item.map();
        const Value* found = m ? item.find(key.as_string()) : nullptr;
        if (found) {
          item = *found;
        } else {
          std::string_view elem = m ? std::string_view(m->elem_type) : "interface {}";
          item = elem == "string" ? Value(std::string()) : Value::nil();
        }
        break;
      }
      case Kind::Invalid:
        return make_error("index of untyped nil");
      default:
        return make_error("can't index item of type " + item.type_name());
    }
  }
  return item;
}

Result<Value> builtin_slice(CallContext&, std::vector<Value>& args) {
  Value item = indirect_interface(args[0]);
  if (item.is_invalid()) return make_error("slice of untyped nil");
  std::size_t nidx = args.size() - 1;
  if (nidx > 3) return make_error("too many slice indexes: " + std::to_string(nidx));
  std::int64_t len;
  if (item.is_string()) {
    if (nidx == 3) return make_error("cannot 3-index slice a string");
    len = static_cast<std::int64_t>(item.as_string().size());
  } else if (item.is_list()) {
    len = item.is_nil_container() ? 0 : static_cast<std::int64_t>(item.list().items.size());
  } else {
    return make_error("can't slice item of type " + item.type_name());
  }
  std::int64_t idx[3] = {0, len, len};
  for (std::size_t i = 0; i < nidx; ++i) {
    auto x = index_arg(args[i + 1], len);
    if (!x) return tl::unexpected(x.error());
    idx[i] = *x;
  }
  if (idx[0] > idx[1]) {
    // Go 1.23 leaves this to reflect, which panics.
    return make_error(item.is_string() ? "reflect.Value.Slice: string slice index out of bounds"
                                       : "reflect.Value.Slice: slice index out of bounds");
  }
  if (nidx == 3 && idx[1] > idx[2]) {
    return make_error("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  if (item.is_string()) {
    return Value(item.as_string().substr(static_cast<std::size_t>(idx[0]),
                                         static_cast<std::size_t>(idx[1] - idx[0])));
  }
  if (item.is_nil_container()) return item;
  const auto& items = item.list().items;
  std::vector<Value> part(items.begin() + idx[0], items.begin() + idx[1]);
  return Value::new_list(std::move(part), item.list().elem_type);
}

Result<Value> builtin_len(CallContext&, std::vector<Value>& args) {
  const Value* container = args[0].is_object() ? args[0].object().container() : nullptr;
  const Value& v = container ? *container : args[0];
  switch (v.kind()) {
    case Kind::Nil: return make_error("len of nil pointer");
    // Go's len calls Type() on the zero Value and panics with this text.
    case Kind::Invalid: return make_error("reflect: call of reflect.Value.Type on zero Value");
    case Kind::String: return Value::integer(static_cast<std::int64_t>(v.as_string().size()));
    case Kind::List:
      return Value::integer(v.is_nil_container() ? 0 : static_cast<std::int64_t>(v.list().items.size()));
    case Kind::Map:
      return Value::integer(v.is_nil_container() ? 0 : static_cast<std::int64_t>(v.map().items.size()));
    default: return make_error("len of type " + v.type_name());
  }
}

// Go's evalArgs for html/js/urlquery: one string as is, else fmt.Sprint with
// no-value arguments shown as "<no value>".
std::string eval_args(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].is_string()) return args[0].as_string();
  std::vector<Value> printable;
  printable.reserve(args.size());
  for (const auto& a : args) printable.push_back(a.is_nothing() ? Value("<no value>") : a);
  return go_sprint(printable);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0': out += "\xEF\xBF\xBD"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string js_escape(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '<': out += "\\u003C"; break;
      case '>': out += "\\u003E"; break;
      case '&': out += "\\u0026"; break;
      case '=': out += "\\u003D"; break;
      default:
        if (c < ' ') {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;  // printable ASCII and UTF-8 (assumed printable)
        }
    }
  }
  return out;
}

std::string url_query_escape(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

void add(FuncMap& f, const char* name, std::vector<Param> params, bool variadic, FuncImpl impl) {
  f[name] = Func{std::move(params), variadic, std::move(impl)};
}

}  // namespace

void add_go_builtins(FuncMap& f) {
  using P = Param;
  // and/or are evaluated lazily by the executor; these bodies serve direct calls.
  add(f, "and", {P::Value, P::Value}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
      if (!a[i].truthy()) return a[i];
    }
    return a.back();
  });
  add(f, "or", {P::Value, P::Value}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
      if (a[i].truthy()) return a[i];
    }
    return a.back();
  });
  add(f, "not", {P::Value}, false, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(!a[0].truthy());
  });
  add(f, "len", {P::Value}, false, builtin_len);
  add(f, "index", {P::Value, P::Value}, true, builtin_index);
  add(f, "slice", {P::Value, P::Value}, true, builtin_slice);
  add(f, "print", {P::Any}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(go_sprint(a));
  });
  add(f, "println", {P::Any}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(go_sprintln(a));
  });
  add(f, "printf", {P::String, P::Any}, true,
      [](CallContext&, std::vector<Value>& a) -> Result<Value> {
        std::string format = a[0].as_string();
        a.erase(a.begin());
        return Value(go_sprintf(format, a));
      });
  add(f, "html", {P::Any}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(html_escape(eval_args(a)));
  });
  add(f, "js", {P::Any}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(js_escape(eval_args(a)));
  });
  add(f, "urlquery", {P::Any}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    return Value(url_query_escape(eval_args(a)));
  });
  // Templates cannot hold function values, so `call` can only fail like Go.
  add(f, "call", {P::Value, P::Value}, true, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    Value fn = indirect_interface(a[0]);
    if (fn.is_invalid()) return make_error("call of nil");
    return make_error("non-function of type " + fn.type_name());
  });
  add(f, "eq", {P::Value, P::Value}, true, [](CallContext&, std::vector<Value>& a) {
    return to_value(eq_values(a[0], a, 1));
  });
  add(f, "ne", {P::Value, P::Value}, false, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    auto r = eq_values(a[0], a, 1);
    if (!r) return tl::unexpected(r.error());
    return Value(!*r);
  });
  add(f, "lt", {P::Value, P::Value}, false, [](CallContext&, std::vector<Value>& a) {
    return to_value(lt_values(a[0], a[1]));
  });
  add(f, "le", {P::Value, P::Value}, false, [](CallContext&, std::vector<Value>& a) {
    return to_value(le_values(a[0], a[1]));
  });
  add(f, "gt", {P::Value, P::Value}, false, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    auto r = le_values(a[0], a[1]);
    if (!r) return tl::unexpected(r.error());
    return Value(!*r);
  });
  add(f, "ge", {P::Value, P::Value}, false, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
    auto r = lt_values(a[0], a[1]);
    if (!r) return tl::unexpected(r.error());
    return Value(!*r);
  });
}

}  // namespace cairn::render
