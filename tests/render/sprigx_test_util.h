// Test helpers for the sprigx component: call a registered function the way
// the executor does (arguments already of the declared Go types).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "render/func.h"
#include "render/funcmap.h"
#include "render/gofmt.h"
#include "render/value.h"

namespace cairn::render::sprigx_test {

class TestContext : public CallContext {
 public:
  const Limits& limits() const override { return limits_; }
  Result<std::string> include(std::string_view, const Value&) override {
    return make_error("include not available in unit tests");
  }
  Result<std::string> tpl(std::string_view, const Value&) override {
    return make_error("tpl not available in unit tests");
  }
  std::string location() const override { return "test:1:1"; }
  Limits limits_;
};

inline const FuncMap& funcs() {
  static const FuncMap kFuncs = [] {
    FuncMap f;
    add_sprigx_funcs(f);
    return f;
  }();
  return kFuncs;
}

// Calls `name`; the argument count must match its signature.
inline Result<Value> call(const std::string& name, std::vector<Value> args,
                          TestContext* ctx = nullptr) {
  auto it = funcs().find(name);
  if (it == funcs().end()) throw std::runtime_error("function not registered: " + name);
  const Func& f = it->second;
  if (!f.variadic && args.size() != f.params.size()) {
    throw std::runtime_error("wrong argument count for " + name);
  }
  TestContext local;
  return f.impl(ctx ? *ctx : local, args);
}

// The printed (%v) result of a successful call, or "ERROR: message".
inline std::string show(const std::string& name, std::vector<Value> args) {
  auto r = call(name, std::move(args));
  if (!r) return "ERROR: " + r.error().message;
  return go_format_value(*r);
}

inline Value ints(std::int64_t i) { return Value::integer(i); }

}  // namespace cairn::render::sprigx_test
