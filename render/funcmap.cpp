// Function maps of the two template dialects and the one-shot renderer used by
// `cairn template` and the conformance vectors.
#include "render/funcmap.h"

#include "render/codec.h"

namespace cairn::render {
namespace {

FuncMap sprig_base() {
  FuncMap funcs;
  add_go_builtins(funcs);
  add_sprig_funcs(funcs);
  add_sprigx_funcs(funcs);
  add_sprig_codec_funcs(funcs);
  return funcs;
}

}  // namespace

std::shared_ptr<const FuncMap> gotpl_func_map() {
  static const auto funcs = std::make_shared<const FuncMap>(sprig_base());
  return funcs;
}

std::shared_ptr<const FuncMap> helm_func_map() {
  static const auto funcs = [] {
    FuncMap f = sprig_base();
    // helm's engine deletes these two from sprig's map (engine/funcs.go).
    f.erase("env");
    f.erase("expandenv");
    add_helm_codec_funcs(f);
    add_helm_engine_funcs(f);
    return std::make_shared<const FuncMap>(std::move(f));
  }();
  return funcs;
}

Result<std::string> render_text(Mode mode, std::string_view text, const Value& data,
                                std::string_view name) {
  const bool helm = mode == Mode::Helm;
  TemplateOptions options;
  options.missing_key = helm ? MissingKey::Zero : MissingKey::Default;
  TemplateSet set(helm ? helm_func_map() : gotpl_func_map(), options);

  Value root = data;
  if (helm) {
    if (root.is_nothing()) root = Value::new_map();
    if (root.is_map()) {
      // Helm adds the template's identity to each file's data; copy the top
      // level so the caller's map is not changed.
      auto copy = std::make_shared<MapData>(root.map());
      Value tmpl = Value::new_map();
      tmpl.map().items["Name"] = Value(std::string(name));
      tmpl.map().items["BasePath"] = Value(std::string(name) + "/templates");
      copy->items["Template"] = tmpl;
      root = Value(std::move(copy));
    }
  }
  if (auto parsed = set.parse(name, text); !parsed) return tl::unexpected(parsed.error());
  auto out = set.execute(name, root);
  if (!out) return out;
  return helm ? remove_no_value(std::move(*out)) : std::move(*out);
}

}  // namespace cairn::render
