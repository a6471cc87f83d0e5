// Test helpers for the sprig component: call a registered function the way
// the executor does (arguments already converted to the declared types).
#pragma once

#include <string>
#include <vector>

#include "render/func.h"
#include "render/funcmap.h"
#include "render/gofmt.h"

namespace cairn::render::testing {

class FakeContext : public CallContext {
 public:
  const Limits& limits() const override { return limits_; }
  Result<std::string> include(std::string_view, const Value&) override {
    return make_error("include is not available in sprig tests");
  }
  Result<std::string> tpl(std::string_view, const Value&) override {
    return make_error("tpl is not available in sprig tests");
  }
  std::string location() const override { return "test:1:1"; }
  Limits limits_;
};

inline const FuncMap& sprig_funcs() {
  static const FuncMap funcs = [] {
    FuncMap f;
    add_sprig_funcs(f);
    return f;
  }();
  return funcs;
}

inline Result<Value> call(const std::string& name, std::vector<Value> args) {
  FakeContext ctx;
  const Func& fn = sprig_funcs().at(name);
  return fn.impl(ctx, args);
}

// The function's result as fmt's %v prints it; "ERROR: msg" on failure.
inline std::string show(const std::string& name, std::vector<Value> args) {
  auto r = call(name, std::move(args));
  if (!r) return "ERROR: " + r.error().message;
  return go_format_value(*r);
}

inline Value i(std::int64_t n) { return Value::integer(n); }
inline Value f(double d) { return Value::floating(d); }
inline Value s(const char* t) { return Value(t); }
inline Value list(std::vector<Value> items) { return Value::new_list(std::move(items)); }
inline Value strs(std::vector<std::string> items) { return Value::string_list(items); }
inline Value dict(std::vector<std::pair<std::string, Value>> kv) {
  Value m = Value::new_map();
  for (auto& [k, v] : kv) m.map().items[k] = v;
  return m;
}

}  // namespace cairn::render::testing
