// Value model: Go type and kind names, truthiness, lookup, copies.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>

#include "render/func.h"
#include "render/value.h"
#include "tests/render/test_util.h"

using cairn::render::IntType;
using cairn::render::Kind;
using cairn::render::Object;
using cairn::render::Param;
using cairn::render::Value;

namespace {

Value object() { return cairn::render::testing::fake_version(); }

}  // namespace

TEST_CASE("int_type_name spells every Go integer type", "[core][value]") {
  CHECK(cairn::render::int_type_name(IntType::Int) == "int");
  CHECK(cairn::render::int_type_name(IntType::Int8) == "int8");
  CHECK(cairn::render::int_type_name(IntType::Int16) == "int16");
  CHECK(cairn::render::int_type_name(IntType::Int32) == "int32");
  CHECK(cairn::render::int_type_name(IntType::Int64) == "int64");
  CHECK(cairn::render::int_type_name(IntType::Uint) == "uint");
  CHECK(cairn::render::int_type_name(IntType::Uint8) == "uint8");
  CHECK(cairn::render::int_type_name(IntType::Uint16) == "uint16");
  CHECK(cairn::render::int_type_name(IntType::Uint32) == "uint32");
  CHECK(cairn::render::int_type_name(IntType::Uint64) == "uint64");
  CHECK(cairn::render::int_type_name(IntType::Uintptr) == "uintptr");
}

TEST_CASE("param_type_name spells Go parameter types for error messages", "[core][value]") {
  CHECK(cairn::render::param_type_name(Param::Value) == "reflect.Value");
  CHECK(cairn::render::param_type_name(Param::Any) == "interface {}");
  CHECK(cairn::render::param_type_name(Param::String) == "string");
  CHECK(cairn::render::param_type_name(Param::Int) == "int");
  CHECK(cairn::render::param_type_name(Param::Int64) == "int64");
  CHECK(cairn::render::param_type_name(Param::Float64) == "float64");
  CHECK(cairn::render::param_type_name(Param::Bool) == "bool");
  CHECK(cairn::render::param_type_name(Param::Map) == "map[string]interface {}");
  CHECK(cairn::render::param_type_name(Param::List) == "[]interface {}");
  CHECK(cairn::render::param_type_name(Param::StringList) == "[]string");
  CHECK(cairn::render::param_type_name(Param::Time) == "time.Time");
}

TEST_CASE("type_name prints Go's %T spelling", "[core][value]") {
  CHECK(Value().type_name() == "<nil>");
  CHECK(Value::nil().type_name() == "<nil>");
  CHECK(Value(true).type_name() == "bool");
  CHECK(Value::integer(1).type_name() == "int");
  CHECK(Value::integer(1, IntType::Int64).type_name() == "int64");
  CHECK(Value::uinteger(1, IntType::Uint8).type_name() == "uint8");
  CHECK(Value::floating(1.5).type_name() == "float64");
  CHECK(Value::complex(0, 1).type_name() == "complex128");
  CHECK(Value("s").type_name() == "string");
  CHECK(Value::new_list().type_name() == "[]interface {}");
  CHECK(Value::string_list({"a"}).type_name() == "[]string");
  CHECK(Value::new_list({}, "int").type_name() == "[]int");
  CHECK(Value::new_map().type_name() == "map[string]interface {}");
  CHECK(Value::new_map("string").type_name() == "map[string]string");
  CHECK(object().type_name() == "*semver.Version");
}

TEST_CASE("type_name of a named map type is the name", "[core][value]") {
  Value m = Value::new_map();
  m.map().named_type = "chartutil.Values";
  CHECK(m.type_name() == "chartutil.Values");
  CHECK(m.kind_name() == "map");
}

TEST_CASE("nil containers keep their Go type", "[core][value]") {
  const Value nm = Value::nil_map();
  const Value nl = Value::nil_list("string");
  CHECK(nm.is_map());
  CHECK(nm.is_nil_container());
  CHECK(nm.type_name() == "map[string]interface {}");
  CHECK(Value::nil_map("string").type_name() == "map[string]string");
  CHECK(nl.is_list());
  CHECK(nl.is_nil_container());
  CHECK(nl.type_name() == "[]string");
  CHECK(Value::nil_list().type_name() == "[]interface {}");
  CHECK_FALSE(Value::new_map().is_nil_container());
  CHECK(nm.find("a") == nullptr);
}

TEST_CASE("kind_name prints reflect.Kind names as sprig's kindOf", "[core][value]") {
  CHECK(Value().kind_name() == "invalid");
  CHECK(Value::nil().kind_name() == "invalid");
  CHECK(Value(false).kind_name() == "bool");
  CHECK(Value::integer(1).kind_name() == "int");
  CHECK(Value::integer(1, IntType::Int64).kind_name() == "int64");
  CHECK(Value::floating(1).kind_name() == "float64");
  CHECK(Value::complex(1, 1).kind_name() == "complex128");
  CHECK(Value("x").kind_name() == "string");
  CHECK(Value::new_list().kind_name() == "slice");
  CHECK(Value::string_list({}).kind_name() == "slice");
  CHECK(Value::new_map().kind_name() == "map");
  CHECK(Value::nil_map().kind_name() == "map");
  CHECK(object().kind_name() == "ptr");
}

TEST_CASE("truthy follows text/template's isTrue", "[core][value]") {
  CHECK_FALSE(Value().truthy());
  CHECK_FALSE(Value::nil().truthy());
  CHECK_FALSE(Value(false).truthy());
  CHECK(Value(true).truthy());
  CHECK_FALSE(Value::integer(0).truthy());
  CHECK(Value::integer(-1).truthy());
  CHECK(Value::uinteger(1).truthy());
  CHECK_FALSE(Value::floating(0.0).truthy());
  CHECK_FALSE(Value::floating(-0.0).truthy());
  CHECK(Value::floating(0.1).truthy());
  CHECK_FALSE(Value::complex(0, 0).truthy());
  CHECK(Value::complex(0, 1).truthy());
  CHECK_FALSE(Value("").truthy());
  CHECK(Value("0").truthy());
  CHECK(Value("false").truthy());
  CHECK_FALSE(Value::new_list().truthy());
  CHECK(Value::new_list({Value::nil()}).truthy());
  CHECK_FALSE(Value::new_map().truthy());
  CHECK_FALSE(Value::nil_map().truthy());
  CHECK_FALSE(Value::nil_list().truthy());
  CHECK(object().truthy());
}

TEST_CASE("string_list builds a []string", "[core][value]") {
  const Value l = Value::string_list({"b", "a"});
  REQUIRE(l.is_list());
  REQUIRE(l.list().items.size() == 2);
  CHECK(l.list().items[0].as_string() == "b");
  CHECK(l.list().elem_type == "string");
}

TEST_CASE("find looks up map keys only", "[core][value]") {
  Value m = Value::new_map();
  m.map().items.emplace("a", Value::integer(1));
  REQUIRE(m.find("a") != nullptr);
  CHECK(m.find("a")->as_int() == 1);
  CHECK(m.find("b") == nullptr);
  CHECK(Value("a").find("a") == nullptr);
  CHECK(Value::new_list().find("a") == nullptr);
}

TEST_CASE("lists and maps are shared between copies like Go references", "[core][value]") {
  Value m = Value::new_map();
  Value alias = m;
  alias.map().items.emplace("k", Value("v"));
  CHECK(m.find("k") != nullptr);
}

TEST_CASE("deep_copy duplicates nested lists and maps", "[core][value]") {
  Value inner = Value::new_list({Value::integer(1)}, "int");
  Value m = Value::new_map("interface {}");
  m.map().named_type = "chartutil.Values";
  m.map().items.emplace("l", inner);
  m.map().items.emplace("s", Value("x"));
  const Value copy = m.deep_copy();
  inner.list().items.push_back(Value::integer(2));
  m.map().items.emplace("new", Value::nil());
  CHECK(copy.type_name() == "chartutil.Values");
  CHECK(copy.find("new") == nullptr);
  REQUIRE(copy.find("l") != nullptr);
  CHECK(copy.find("l")->list().items.size() == 1);
  CHECK(copy.find("l")->type_name() == "[]int");
  CHECK(copy.find("s")->as_string() == "x");
}

TEST_CASE("deep_copy keeps scalars, objects and nil containers", "[core][value]") {
  CHECK(Value::integer(7, IntType::Int64).deep_copy().int_type() == IntType::Int64);
  CHECK(Value::nil().deep_copy().is_nil());
  CHECK(Value::nil_map("string").deep_copy().type_name() == "map[string]string");
  CHECK(Value::nil_map().deep_copy().is_nil_container());
  const Value o = object();
  CHECK(o.deep_copy().object_ptr() == o.object_ptr());
}
