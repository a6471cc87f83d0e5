// add_sprigx_funcs: registration of sprig's encoding, crypto, random, regex
// and environment functions (the sprigx component).
#include "render/detail/sprigx_common.h"
#include "render/funcmap.h"

namespace cairn::render {
namespace detail {

void sprigx_define(FuncMap& funcs, const std::string& name, std::vector<Param> params,
                   FuncImpl impl, bool variadic) {
  funcs[name] = Func{std::move(params), variadic, std::move(impl)};
}

}  // namespace detail

void add_sprigx_funcs(FuncMap& funcs) {
  detail::add_sprigx_encoding_funcs(funcs);
  detail::add_sprigx_random_funcs(funcs);
  detail::add_sprigx_regex_funcs(funcs);
  detail::add_sprigx_cert_funcs(funcs);
  detail::add_sprigx_env_funcs(funcs);
}

}  // namespace cairn::render
