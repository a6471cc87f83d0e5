// Test helpers for the function components (sprig, sprigx): call a registered
// function the way the executor does (arguments already of the declared Go
// types). Header-only; each test executable uses the namespace of its own
// component, testing::sprig or testing::sprigx, which is the only one linked.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "render/func.h"
#include "render/funcmap.h"
#include "render/gofmt.h"
#include "render/value.h"

namespace cairn::render::testing {

class TestContext : public CallContext {
 public:
  const Limits& limits() const override { return limits_; }
  Result<std::string> include(std::string_view, const Value&) override {
    return make_error("include is not available in unit tests");
  }
  Result<std::string> tpl(std::string_view, const Value&) override {
    return make_error("tpl is not available in unit tests");
  }
  std::string location() const override { return "test:1:1"; }
  Limits limits_;
};

// The functions that `Add` registers, built once.
template <void (*Add)(FuncMap&)>
const FuncMap& funcs_of() {
  static const FuncMap kFuncs = [] {
    FuncMap f;
    Add(f);
    return f;
  }();
  return kFuncs;
}

// Calls `name` from `funcs`; it must be registered and, unless variadic, get
// exactly its declared number of arguments.
inline Result<Value> call_in(const FuncMap& funcs, const std::string& name, std::vector<Value> args,
                             TestContext* ctx = nullptr) {
  auto it = funcs.find(name);
  if (it == funcs.end()) throw std::runtime_error("function not registered: " + name);
  const Func& fn = it->second;
  if (!fn.variadic && args.size() != fn.params.size()) {
    throw std::runtime_error("wrong argument count for " + name);
  }
  TestContext local;
  return fn.impl(ctx ? *ctx : local, args);
}

// The printed (%v) result of a successful call, or "ERROR: message".
inline std::string show_in(const FuncMap& funcs, const std::string& name, std::vector<Value> args) {
  auto r = call_in(funcs, name, std::move(args));
  if (!r) return "ERROR: " + r.error().message;
  return go_format_value(*r);
}

// Value builders.
inline Value i(std::int64_t n) { return Value::integer(n); }
inline Value ints(std::int64_t n) { return Value::integer(n); }
inline Value f(double d) { return Value::floating(d); }
inline Value s(const char* t) { return Value(t); }
inline Value list(std::vector<Value> items) { return Value::new_list(std::move(items)); }
inline Value strs(std::vector<std::string> items) { return Value::string_list(items); }
inline Value dict(std::vector<std::pair<std::string, Value>> kv) {
  Value m = Value::new_map();
  for (auto& [k, v] : kv) m.map().items[k] = v;
  return m;
}

// call/show bound to one component's function map.
#define CAIRN_FUNC_TEST_COMPONENT(ns, add)                                                    \
  namespace ns {                                                                              \
  inline const FuncMap& funcs() { return funcs_of<add>(); }                                   \
  inline Result<Value> call(const std::string& name, std::vector<Value> args,                 \
                            TestContext* ctx = nullptr) {                                     \
    return call_in(funcs(), name, std::move(args), ctx);                                      \
  }                                                                                           \
  inline std::string show(const std::string& name, std::vector<Value> args) {                 \
    return show_in(funcs(), name, std::move(args));                                           \
  }                                                                                           \
  }
CAIRN_FUNC_TEST_COMPONENT(sprig, add_sprig_funcs)
CAIRN_FUNC_TEST_COMPONENT(sprigx, add_sprigx_funcs)
#undef CAIRN_FUNC_TEST_COMPONENT

}  // namespace cairn::render::testing
