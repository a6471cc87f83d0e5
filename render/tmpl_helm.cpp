// Helm's engine functions (helm pkg/engine: include, tpl, required, fail,
// lookup), bound to the running execution through CallContext.
#include "render/detail/tmpl_exec.h"
#include "render/template.h"

namespace cairn::render {
namespace {

// helm's warnWrap: the executor's top level turns the marked message into
// "execution error at (LOCATION): MSG".
std::string helm_wrap(const std::string& msg) {
  return std::string(detail::kHelmErrStart) + msg + std::string(detail::kHelmErrEnd);
}

}  // namespace

void add_helm_engine_funcs(FuncMap& f) {
  using P = Param;
  f["include"] = Func{{P::String, P::Any}, false,
                      [](CallContext& ctx, std::vector<Value>& a) -> Result<Value> {
                        auto out = ctx.include(a[0].as_string(), a[1]);
                        if (!out) return tl::unexpected(out.error());
                        return Value(std::move(*out));
                      }};
  f["tpl"] = Func{{P::String, P::Any}, false,
                  [](CallContext& ctx, std::vector<Value>& a) -> Result<Value> {
                    auto out = ctx.tpl(a[0].as_string(), a[1]);
                    if (!out) return tl::unexpected(out.error());
                    return Value(std::move(*out));
                  }};
  // required fails for nil and "" only (0, false and empty lists pass).
  f["required"] = Func{{P::String, P::Any}, false,
                       [](CallContext&, std::vector<Value>& a) -> Result<Value> {
                         const Value& v = a[1];
                         if (v.is_nothing() || (v.is_string() && v.as_string().empty())) {
                           return make_error(helm_wrap(a[0].as_string()));
                         }
                         return v;
                       }};
  f["fail"] = Func{{P::String}, false, [](CallContext&, std::vector<Value>& a) -> Result<Value> {
                     return make_error(helm_wrap(a[0].as_string()));
                   }};
  // `helm template` has no cluster: lookup always finds nothing.
  f["lookup"] = Func{{P::String, P::String, P::String, P::String}, false,
                     [](CallContext&, std::vector<Value>&) -> Result<Value> {
                       return Value::new_map();
                     }};
}

}  // namespace cairn::render
