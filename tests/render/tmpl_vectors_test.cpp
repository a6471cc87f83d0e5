// Runs every public conformance vector that needs only Go's builtins and
// helm's engine functions; vectors using other (sprig/codec) functions are
// skipped when parsing reports `function "X" not defined`.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/render/test_util.h"
#include "render/template.h"

namespace cairn::render {
namespace {

Value from_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::nil();
    case nlohmann::json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      for (const auto& e : j) items.push_back(from_json(e));
      return Value::new_list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Value m = Value::new_map();
      for (auto it = j.begin(); it != j.end(); ++it) m.map().items[it.key()] = from_json(it.value());
      return m;
    }
    default: return Value::floating(j.get<double>());  // every JSON number is float64
  }
}

std::shared_ptr<const FuncMap> engine_funcs() {
  static auto funcs = [] {
    FuncMap f;
    add_go_builtins(f);
    add_helm_engine_funcs(f);
    return std::make_shared<const FuncMap>(std::move(f));
  }();
  return funcs;
}

// The conformance vectors' rendering modes (README), with engine functions only.
Result<std::string> render_vector(bool helm, const std::string& text, Value data) {
  TemplateOptions options;
  options.missing_key = helm ? MissingKey::Zero : MissingKey::Default;
  TemplateSet set(engine_funcs(), options);
  if (helm) {
    if (data.is_nothing()) data = Value::new_map();
    if (data.is_map()) {
      Value t = Value::new_map();
      t.map().items["Name"] = Value("vector");
      t.map().items["BasePath"] = Value("vector/templates");
      data.map().items["Template"] = t;
    }
  }
  if (auto p = set.parse("vector", text); !p) return tl::unexpected(p.error());
  auto out = set.execute("vector", data);
  if (!out) return out;
  return helm ? remove_no_value(std::move(*out)) : std::move(*out);
}

bool skipped_for_function(const std::string& message) {
  return message.find("function \"") != std::string::npos &&
         message.find("\" not defined") != std::string::npos;
}

}  // namespace

TEST_CASE("public vectors that use only engine functions render like Go", "[tmpl][vectors]") {
  std::ifstream in(cairn::render::testing::public_vectors_path());
  REQUIRE(in.good());
  std::string line;
  int run = 0, skipped = 0, failed = 0;
  while (std::getline(in, line)) {
    auto v = nlohmann::json::parse(line);
    if (v.value("nondeterministic", false)) {
      ++skipped;
      continue;
    }
    // sprig replaces Go's `slice` (and refuses strings); not an engine concern.
    if (v["name"] == "gotpl/slice/string-sprig-override") {
      ++skipped;
      continue;
    }
    bool helm = v["mode"] == "helm";
    auto out = render_vector(helm, v["template"].get<std::string>(), from_json(v["data"]));
    if (!out && skipped_for_function(out.error().message)) {
      ++skipped;
      continue;
    }
    ++run;
    bool want_error = v.value("error", false);
    bool ok = want_error ? !out.has_value() : (out && *out == v["output"].get<std::string>());
    if (!ok) {
      ++failed;
      UNSCOPED_INFO(v["name"].get<std::string>()
                    << "\n  template: " << v["template"].get<std::string>()
                    << "\n  want: " << (want_error ? "error: " + v.value("error_message", std::string())
                                                  : v["output"].get<std::string>())
                    << "\n  got:  " << (out ? *out : "error: " + out.error().message));
    }
  }
  INFO("ran " << run << ", skipped " << skipped << ", failed " << failed);
  CHECK(failed == 0);
  CHECK(run > 100);
}

}  // namespace cairn::render
