// Sprig defaults/flow (defaults.go) and reflection (reflect.go) functions.
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;
constexpr auto S = Param::String;
constexpr auto A = Param::Any;

}  // namespace

void add_sprig_flow_funcs(FuncMap& f) {
  // default D [GIVEN]: GIVEN unless it is missing or empty (sprig's dfault).
  sprig_def(f, "default", {A, A}, true, [](CallContext&, Args& a) -> Result<Value> {
    if (a.size() < 2 || sprig_empty(a[1])) return a[0];
    return a[1];
  });
  sprig_def(f, "empty", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(sprig_empty(a[0]));
  });
  sprig_def(f, "coalesce", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    for (const auto& v : a) {
      if (!sprig_empty(v)) return v;
    }
    return Value::nil();
  });
  sprig_def(f, "all", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    for (const auto& v : a) {
      if (sprig_empty(v)) return Value(false);
    }
    return Value(true);
  });
  sprig_def(f, "any", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    for (const auto& v : a) {
      if (!sprig_empty(v)) return Value(true);
    }
    return Value(false);
  });
  sprig_def(f, "ternary", {A, A, Param::Bool}, false, [](CallContext&, Args& a) -> Result<Value> {
    return a[2].as_bool() ? a[0] : a[1];
  });
  // copystructure.Copy: maps and slices are copied recursively; scalars and
  // objects are values already.
  // copystructure reflects on the argument's type: a nil interface panics in Go.
  auto deep_copy = [](CallContext&, Args& a) -> Result<Value> {
    if (a[0].is_nothing()) {
      return make_error("reflect: call of reflect.Value.Type on zero Value");
    }
    return a[0].deep_copy();
  };
  sprig_def(f, "deepCopy", {A}, false, deep_copy);
  sprig_def(f, "mustDeepCopy", {A}, false, deep_copy);
  // sprig's own fail (helm replaces it with its engine's).
  sprig_def(f, "fail", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return make_error(a[0].as_string());
  });

  // Reflection: %T spelling and reflect.Kind names.
  sprig_def(f, "typeOf", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(a[0].type_name());
  });
  sprig_def(f, "typeIs", {S, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(a[0].as_string() == a[1].type_name());
  });
  sprig_def(f, "typeIsLike", {S, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    const std::string t = a[1].type_name();
    return Value(a[0].as_string() == t || "*" + a[0].as_string() == t);
  });
  sprig_def(f, "kindOf", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(a[0].kind_name());
  });
  sprig_def(f, "kindIs", {S, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(a[0].as_string() == a[1].kind_name());
  });
  sprig_def(f, "deepEqual", {A, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(go_deep_equal(a[0], a[1]));
  });
}

}  // namespace cairn::render::sprig_detail
