// The function maps and one-shot rendering modes used by cairn.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "render/func.h"
#include "render/template.h"
#include "render/value.h"

namespace cairn::render {

// sprig.TxtFuncMap(): Go builtins overridden by sprig (with env/expandenv).
std::shared_ptr<const FuncMap> gotpl_func_map();
// helm's engine: sprig minus env/expandenv, plus helm's functions.
std::shared_ptr<const FuncMap> helm_func_map();

// Adds sprig's functions, implemented in sprig_*.cpp (strings, lists, dicts,
// math, conversions, defaults/flow, reflection, semver, dates, paths, urls).
void add_sprig_funcs(FuncMap& funcs);
// Adds sprig's functions implemented in sprigx_*.cpp (encodings, hashes,
// crypto and certificates, random, uuid, regex, network, env/expandenv).
void add_sprigx_funcs(FuncMap& funcs);

enum class Mode { Helm, Gotpl };

// Render one template text named "vector" with `data` as the conformance
// vectors define it (fixtures/template-vectors/README.md):
//   Helm: helm_func_map, missingkey=zero, a Nil root becomes {}, a map root
//         gets "Template": {"Name": NAME, "BasePath": NAME + "/templates"},
//         every "<no value>" removed from the output.
//   Gotpl: gotpl_func_map, default missingkey.
Result<std::string> render_text(Mode mode, std::string_view text, const Value& data,
                                std::string_view name = "vector");

}  // namespace cairn::render
