// Go text/template: parsing and executing a set of named templates.
//
// A TemplateSet is Go's *template.Template with its associated templates:
// `parse(name, text)` adds template `name` and every `define`/`block` in it;
// `execute(name, data)` runs one. Semantics follow Go 1.23's text/template
// (see templates.md); errors read like Go's:
//   template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE
// Limits (Limits in func.h) turn hostile templates into errors.
//
// Thread-safety: parse() is not thread-safe; after parsing, execute() may be
// called from several threads at once (each call has its own state).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render {

enum class MissingKey { Default, Zero, Error };  // Go's missingkey=default|zero|error

struct TemplateOptions {
  MissingKey missing_key = MissingKey::Default;
  Limits limits;
};

class TemplateSet {
 public:
  TemplateSet(std::shared_ptr<const FuncMap> funcs, TemplateOptions options);
  ~TemplateSet();
  TemplateSet(TemplateSet&&) noexcept;
  TemplateSet& operator=(TemplateSet&&) noexcept;

  // Parse `text` as the body of template `name`. Defines inside it are added
  // to the set (a later non-empty definition replaces an earlier one, as Go's
  // AddParseTree does; a redefinition inside one text is a parse error).
  Result<void> parse(std::string_view name, std::string_view text);
  bool has(std::string_view name) const;
  // Run template `name` with dot = data.
  Result<std::string> execute(std::string_view name, const Value& data) const;
  // Deep copy of the set (helm's tpl parses into a clone).
  TemplateSet clone() const;

  const FuncMap& funcs() const;
  const TemplateOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Removes every "<no value>" from a rendered text, as helm does with each
// rendered file and with tpl's output (implemented in tmpl_strip.cpp).
std::string remove_no_value(std::string text);

// Go's builtin functions (and, or, not, eq, ne, lt, le, gt, ge, index,
// slice, len, print, printf, println, html, js, urlquery, call).
void add_go_builtins(FuncMap& funcs);
// Helm's engine functions bound to the running execution: include, tpl,
// required, fail, lookup (empty map offline).
void add_helm_engine_funcs(FuncMap& funcs);

}  // namespace cairn::render
