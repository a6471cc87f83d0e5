// Template functions over the codecs: sprig's JSON family (defaults.go) and
// helm's engine/funcs.go (toYaml, fromYaml, toJson, fromJson, toToml, ...).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "render/codec.h"

namespace cairn::render {
namespace {

// A function of one argument of the given Go parameter type.
Func unary(Param param, std::function<Result<Value>(const Value&)> body) {
  Func f;
  f.params = {param};
  f.impl = [body = std::move(body)](CallContext&, std::vector<Value>& args) -> Result<Value> {
    return body(args.at(0));
  };
  return f;
}

std::string trim_one_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// json's UnmarshalTypeError wording for a decoded value of the wrong shape.
std::string json_kind(const Value& v) {
  switch (v.kind()) {
    case Kind::List: return "array";
    case Kind::Map: return "object";
    case Kind::String: return "string";
    case Kind::Bool: return "bool";
    default: return "number";
  }
}

std::string cannot_unmarshal(const Value& v, std::string_view go_type) {
  return "json: cannot unmarshal " + json_kind(v) + " into Go value of type " +
         std::string(go_type);
}

constexpr std::string_view kMapType = "map[string]interface {}";
constexpr std::string_view kListType = "[]interface {}";

// helm's map-returning decoders: a fresh map, or {"Error": message}.
Value map_or_error(const Result<Value>& decoded, std::string_view wrap) {
  Value out = Value::new_map();
  if (!decoded) {
    out.map().items.emplace("Error", Value(decoded.error().message));
  } else if (decoded->is_map()) {
    return *decoded;
  } else if (!decoded->is_nothing()) {
    out.map().items.emplace("Error",
                            Value(std::string(wrap) + cannot_unmarshal(*decoded, kMapType)));
  }
  return out;
}

// helm's list-returning decoders: the list, or [message].
Value list_or_error(const Result<Value>& decoded, std::string_view wrap) {
  if (!decoded) return Value::new_list({Value(decoded.error().message)});
  if (decoded->is_list()) return *decoded;
  if (decoded->is_nothing()) return Value::new_list();
  return Value::new_list({Value(std::string(wrap) + cannot_unmarshal(*decoded, kListType))});
}

constexpr std::string_view kSigsWrap = "error unmarshaling JSON: while decoding JSON: ";

}  // namespace

void add_sprig_codec_funcs(FuncMap& funcs) {
  // toJson / toPrettyJson swallow errors (empty string); must* report them.
  funcs["toJson"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = json_encode(v);
    return Value(s ? std::move(*s) : std::string());
  });
  funcs["mustToJson"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = json_encode(v);
    if (!s) return tl::unexpected(s.error());
    return Value(std::move(*s));
  });
  funcs["toPrettyJson"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = json_encode_indent(v, "", "  ");
    return Value(s ? std::move(*s) : std::string());
  });
  funcs["mustToPrettyJson"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = json_encode_indent(v, "", "  ");
    if (!s) return tl::unexpected(s.error());
    return Value(std::move(*s));
  });
  // toRawJson panics on error in sprig, which text/template turns into an error.
  auto raw = [](const Value& v) -> Result<Value> {
    auto s = json_encode(v, false);
    if (!s) return tl::unexpected(s.error());
    return Value(std::move(*s));
  };
  funcs["toRawJson"] = unary(Param::Any, raw);
  funcs["mustToRawJson"] = unary(Param::Any, raw);
  // fromJson gives nil on error; mustFromJson reports it.
  funcs["fromJson"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    auto d = json_decode(v.as_string());
    return d ? *d : Value::nil();
  });
  funcs["mustFromJson"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return json_decode(v.as_string());
  });
}

void add_helm_codec_funcs(FuncMap& funcs) {
  funcs["toYaml"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = yaml_encode(v);
    return Value(s ? trim_one_newline(std::move(*s)) : std::string());
  });
  funcs["toYamlPretty"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = yaml_encode_pretty(v);
    return Value(s ? trim_one_newline(std::move(*s)) : std::string());
  });
  funcs["fromYaml"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return map_or_error(yaml_decode(v.as_string()), kSigsWrap);
  });
  funcs["fromYamlArray"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return list_or_error(yaml_decode(v.as_string()), kSigsWrap);
  });
  funcs["toJson"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = json_encode(v);
    return Value(s ? std::move(*s) : std::string());
  });
  funcs["fromJson"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return map_or_error(json_decode(v.as_string()), "");
  });
  funcs["fromJsonArray"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return list_or_error(json_decode(v.as_string()), "");
  });
  // toToml returns the error text itself on failure.
  funcs["toToml"] = unary(Param::Any, [](const Value& v) -> Result<Value> {
    auto s = toml_encode(v);
    return Value(s ? std::move(*s) : s.error().message);
  });
  funcs["fromToml"] = unary(Param::String, [](const Value& v) -> Result<Value> {
    return map_or_error(toml_decode(v.as_string()), "");
  });
}

}  // namespace cairn::render
