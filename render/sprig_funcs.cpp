// add_sprig_funcs: sprig's function map, minus the groups implemented in
// sprigx_*.cpp (encodings, crypto, random, regex, network, env) and codec_*.cpp
// (JSON).
#include "render/detail/sprig_time.h"
#include "render/detail/sprig_util.h"
#include "render/funcmap.h"

namespace cairn::render {

void add_sprig_funcs(FuncMap& funcs) {
  sprig_detail::add_sprig_string_funcs(funcs);
  sprig_detail::add_sprig_flow_funcs(funcs);
  sprig_detail::add_sprig_math_funcs(funcs);
  sprig_detail::add_sprig_list_funcs(funcs);
  sprig_detail::add_sprig_dict_funcs(funcs);
  sprig_detail::add_sprig_semver_funcs(funcs);
  sprig_detail::add_sprig_path_funcs(funcs);
  sprig_detail::add_sprig_date_funcs(funcs);
  sprig_detail::add_sprig_url_funcs(funcs);
}

}  // namespace cairn::render
