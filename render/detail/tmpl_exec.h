// Internals shared by the executor and the helm engine functions.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "render/detail/tmpl_ast.h"
#include "render/template.h"

namespace cairn::render {

struct TemplateSet::Impl {
  std::shared_ptr<const FuncMap> funcs;
  TemplateOptions options;
  std::map<std::string, std::shared_ptr<const detail::Tree>, std::less<>> templates;
};

namespace detail {

// Name of the set's root template in helm ("gotpl"): tpl parses its text as
// a template of this name and missing-template errors name it.
inline constexpr std::string_view kRootName = "gotpl";

// helm's markers around required/fail messages (engine.go warnWrap).
inline constexpr std::string_view kHelmErrStart = "HELM_ERR_START";
inline constexpr std::string_view kHelmErrEnd = "HELM_ERR_END";

}  // namespace detail
}  // namespace cairn::render
