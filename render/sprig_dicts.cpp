// Sprig dict functions (dict.go) and merge with the mergo 1.0.1 semantics of
// sprig 3.3.0. Maps are shared references: set/unset/merge mutate in place.
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;
constexpr auto A = Param::Any;
constexpr auto M = Param::Map;
constexpr auto S = Param::String;

using Items = std::map<std::string, Value, std::less<>>;
const Items& map_items(const Value& m) {
  static const Items kNone;
  return m.is_map() && !m.is_nil_container() ? m.map().items : kNone;
}

// A map[string]interface{} (or a named type over it), as Go's type switch
// in mergo/sprig sees it.
bool is_string_map(const Value& v) {
  return v.is_map() && !v.is_nil_container() && v.map().elem_type == "interface {}";
}

// mergo's isEmptyValue (pointers and interfaces looked through).
bool mergo_empty(const Value& v) { return sprig_empty(v); }

// mergo 1.0.1 Merge / MergeWithOverwrite of map[string]interface{} values.
void merge_map(const Value& dst, const Value& src, bool overwrite) {
  if (!dst.is_map() || dst.is_nil_container()) return;
  auto& d = dst.map().items;
  for (const auto& [key, sv] : map_items(src)) {
    if (sv.is_nothing()) {
      if (overwrite) d[key] = Value::nil();
      continue;
    }
    auto it = d.find(key);
    const bool has = it != d.end();
    const Value dv = has ? it->second : Value::nil();
    if (sv.is_map()) {
      if (has && is_string_map(dv) && is_string_map(sv)) merge_map(dv, sv, overwrite);
    } else if (sv.is_list()) {
      if (overwrite || d.empty()) {
        d[key] = sv;
      } else if (!has || dv.is_nothing()) {
        d[key] = Value::new_list({}, sv.list_ptr() ? sv.list().elem_type : "interface {}");
      }
    }
    if (has && !mergo_empty(dv)) {
      if (sv.is_list()) continue;
      if (sv.is_map() && dv.is_map()) continue;
    }
    if (overwrite || !has || mergo_empty(dv)) d[key] = sv;
  }
}

Result<Value> merge(const Args& a, bool overwrite) {
  for (std::size_t i = 1; i < a.size(); ++i) merge_map(a[0], a[i], overwrite);
  return a[0];
}

// Go's panic text for a failed interface{} type assertion.
Error assertion_error(const Value& v, std::string_view want) {
  return Error{"interface conversion: interface {} is " + v.type_name() + ", not " +
               std::string(want)};
}

// dig KEY... DEFAULT DICT: walk nested map[string]interface{} values.
Result<Value> dig(const Args& a) {
  if (a.size() < 3) return make_error("dig needs at least three arguments");
  const Value& dict = a.back();
  const std::string map_type = "map[string]interface {}";
  if (dict.type_name() != map_type) return tl::unexpected(assertion_error(dict, map_type));
  std::vector<std::string> keys;
  for (std::size_t i = 0; i + 2 < a.size(); ++i) {
    if (!a[i].is_string()) return tl::unexpected(assertion_error(a[i], "string"));
    keys.push_back(a[i].as_string());
  }
  Value current = dict;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const Value* step = current.find(keys[i]);
    if (!step) return a[a.size() - 2];
    if (i + 1 == keys.size()) return *step;
    if (step->type_name() != map_type) return tl::unexpected(assertion_error(*step, map_type));
    current = *step;
  }
  return a[a.size() - 2];
}

}  // namespace

void add_sprig_dict_funcs(FuncMap& f) {
  // dict K V ...: keys through strval, a missing last value is "".
  sprig_def(f, "dict", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    Value d = Value::new_map();
    auto& items = d.map().items;
    for (std::size_t i = 0; i < a.size(); i += 2) {
      items[sprig_strval(a[i])] = i + 1 < a.size() ? a[i + 1] : Value("");
    }
    return d;
  });
  sprig_def(f, "get", {M, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    const Value* v = a[0].find(a[1].as_string());
    return v ? *v : Value("");
  });
  sprig_def(f, "set", {M, S, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    if (a[0].is_nil_container()) return make_error("assignment to entry in nil map");
    a[0].map().items[a[1].as_string()] = a[2];
    return a[0];
  });
  sprig_def(f, "unset", {M, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    if (!a[0].is_nil_container()) a[0].map().items.erase(a[1].as_string());
    return a[0];
  });
  sprig_def(f, "hasKey", {M, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(a[0].find(a[1].as_string()) != nullptr);
  });
  sprig_def(f, "pluck", {S, M}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<Value> out;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (const Value* v = a[i].find(a[0].as_string())) out.push_back(*v);
    }
    return make_list(std::move(out));
  });
  // keys/values: Go's map order is random; cairn gives byte order per map.
  sprig_def(f, "keys", {M}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<std::string> out;
    for (const auto& m : a) {
      for (const auto& [k, v] : map_items(m)) out.push_back(k);
    }
    return Value::string_list(out);
  });
  sprig_def(f, "values", {M}, false, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<Value> out;
    for (const auto& [k, v] : map_items(a[0])) out.push_back(v);
    return make_list(std::move(out));
  });
  sprig_def(f, "pick", {M, S}, true, [](CallContext&, Args& a) -> Result<Value> {
    Value out = Value::new_map();
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (const Value* v = a[0].find(a[i].as_string())) out.map().items[a[i].as_string()] = *v;
    }
    return out;
  });
  sprig_def(f, "omit", {M, S}, true, [](CallContext&, Args& a) -> Result<Value> {
    Value out = Value::new_map();
    for (const auto& [k, v] : map_items(a[0])) {
      bool omitted = false;
      for (std::size_t i = 1; i < a.size() && !omitted; ++i) omitted = a[i].as_string() == k;
      if (!omitted) out.map().items[k] = v;
    }
    return out;
  });
  auto merge_fn = [](CallContext&, Args& a) -> Result<Value> { return merge(a, false); };
  auto overwrite_fn = [](CallContext&, Args& a) -> Result<Value> { return merge(a, true); };
  sprig_def(f, "merge", {M, M}, true, merge_fn);
  sprig_def(f, "mustMerge", {M, M}, true, merge_fn);
  sprig_def(f, "mergeOverwrite", {M, M}, true, overwrite_fn);
  sprig_def(f, "mustMergeOverwrite", {M, M}, true, overwrite_fn);
  sprig_def(f, "dig", {A}, true, [](CallContext&, Args& a) -> Result<Value> { return dig(a); });
}

}  // namespace cairn::render::sprig_detail
