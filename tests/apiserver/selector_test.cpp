#include "apiserver/selector.h"

#include <catch2/catch.hpp>

using cairn::apiserver::check_field_selector;
using cairn::apiserver::FieldSelector;
using cairn::apiserver::LabelSelector;
using cairn::apiserver::StatusCode;
using cairn::apiserver::supported_field_labels;
using nlohmann::json;

namespace {

bool label_match(const std::string& selector, const json& labels) {
  auto s = LabelSelector::parse(selector);
  REQUIRE(s.has_value());
  return s->matches(labels);
}

std::string label_error(const std::string& selector) {
  auto s = LabelSelector::parse(selector);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == StatusCode::kBadRequest);
  return s.error().message;
}

}  // namespace

TEST_CASE("label selector matches by the kube grammar", "[selector]") {
  const json labels = {{"app", "web"}, {"tier", "front"}, {"n", "7"}, {"empty", ""}};
  struct Case {
    const char* selector;
    bool match;
  } cases[] = {
      {"", true},
      {"   ", true},
      {"app=web", true},
      {"app==web", true},
      {"app = web", true},
      {"app=db", false},
      {"app!=db", true},
      {"app!=web", false},
      {"missing!=x", true},
      {"app in (web,db)", true},
      {"app in ( db , web )", true},
      {"app in (db)", false},
      {"app notin (db)", true},
      {"app notin (web)", false},
      {"missing notin (x)", true},
      {"missing in (x)", false},
      {"app", true},
      {"missing", false},
      {"!missing", true},
      {"!app", false},
      {"app=web,tier=front", true},
      {"app=web,tier=back", false},
      {"app=web, !missing, tier in (front)", true},
      {"empty=", true},
      {"empty in ()", true},
      {"app in (,web)", true},
      {"n>5", true},
      {"n>7", false},
      {"n<8", true},
      {"app>1", false},
      {"missing<1", false},
      {"example.com/key", false},
      {"in in (in)", false},
  };
  for (const auto& c : cases) {
    INFO(c.selector);
    CHECK(label_match(c.selector, labels) == c.match);
  }
  const json odd = {{"in", "in"}, {"example.com/key", "v"}};
  CHECK(label_match("in in (in)", odd));
  CHECK(label_match("example.com/key=v", odd));
  CHECK(label_match("app!=x", json()));  // no labels at all
}

TEST_CASE("label selector canonical form sorts by key and values", "[selector]") {
  auto s = LabelSelector::parse("z in (b,a,b), !y, a==1, m, k notin (q), g>3");
  REQUIRE(s);
  CHECK(s->to_string() == "a==1,g>3,k notin (q),m,!y,z in (a,b)");
  CHECK(LabelSelector::parse("")->empty());
}

TEST_CASE("label selector syntax errors read like kube-apiserver's", "[selector]") {
  CHECK(label_error("a=b,") == "found '', expected: identifier after ','");
  CHECK(label_error(",a") == "found ',', expected: !, identifier, or 'end of string'");
  CHECK(label_error("a b") ==
        "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  CHECK(label_error("a=b c") == "found 'c', expected: ',' or 'end of string'");
  CHECK(label_error("a in b") == "unable to parse requirement: found 'b' expected: '('");
  CHECK(label_error("a in (b") == "unable to parse requirement: found '', expected: ',' or ')'");
  CHECK(label_error("a (b)") ==
        "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  CHECK(label_error("a=(") == "unable to parse requirement: found '(', expected: identifier");
  CHECK(label_error("!a=b") == "found '=', expected: ',' or 'end of string'");
  CHECK(label_error("!") == "unable to parse requirement: found '', expected: identifier");
  CHECK(label_error("a in (b c)") ==
        "unable to parse requirement: found 'c', expected: ',' or ')'");
  CHECK(label_error("a in (=)") ==
        "unable to parse requirement: found '=', expected: ',', ')' or identifier");
}

TEST_CASE("label selector validates keys and values", "[selector]") {
  const std::string name_rule =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
      "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  CHECK(label_error("-a=b") == "unable to parse requirement: <nil>: Invalid value: \"-a\": " +
                                   name_rule);
  CHECK(label_error(std::string(64, 'k')) ==
        "unable to parse requirement: <nil>: Invalid value: \"" + std::string(64, 'k') +
            "\": name part must be no more than 63 characters");
  CHECK(LabelSelector::parse(std::string(63, 'k')).has_value());
  CHECK(label_error("Example.com/a") ==
        "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a "
        "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
        "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
        "')");
  CHECK(label_error("/a").find("prefix part must be non-empty") != std::string::npos);
  CHECK(label_error("a/").find("name part must be non-empty") != std::string::npos);
  CHECK(label_error("a/b/c").find("a qualified name must consist of") != std::string::npos);
  CHECK(LabelSelector::parse(std::string(253, 'a') + "/k").has_value());
  CHECK(label_error(std::string(254, 'a') + "/k")
            .find("prefix part must be no more than 253 characters") != std::string::npos);

  CHECK(label_error("a=-b") ==
        "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label must be "
        "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
        "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  CHECK(label_error("a=" + std::string(64, 'v'))
            .find("values[0][a]: Invalid value: \"" + std::string(64, 'v') +
                  "\": must be no more than 63 characters") != std::string::npos);
  CHECK(LabelSelector::parse("a=" + std::string(63, 'v')).has_value());
  CHECK(label_error("a>x") ==
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, "
        "the value must be an integer");
  CHECK(label_error("a in (x,-y)").find("values[0][a]: Invalid value: \"-y\"") !=
        std::string::npos);
  // Several errors come as kube's aggregate "[e1, e2]".
  const std::string two = label_error("a>-x");
  CHECK(two.rfind("unable to parse requirement: [values[0]: Invalid value: \"-x\"", 0) == 0);
  CHECK(two.find(", values[0][a]: Invalid value: \"-x\"") != std::string::npos);
  CHECK(LabelSelector::parse("a>-1").error().message.find("values[0][a]") != std::string::npos);
}

TEST_CASE("field selector grammar and matching", "[selector]") {
  const json obj = {{"metadata", {{"name", "x"}, {"namespace", "ns"}}},
                    {"type", "Opaque"},
                    {"status", {{"succeeded", 2}}}};
  struct Case {
    const char* selector;
    bool match;
  } cases[] = {
      {"", true},
      {"metadata.name=x", true},
      {"metadata.name==x", true},
      {"metadata.name!=x", false},
      {"metadata.name=y", false},
      {"metadata.name=x,metadata.namespace=ns", true},
      {"metadata.name=x,metadata.namespace!=ns", false},
      {"metadata.namespace=", false},
      {"metadata.missing=", true},
      {"type=Opaque", true},
      {"status.successful=2", true},
      {"metadata.name=x,,", true},
  };
  for (const auto& c : cases) {
    INFO(c.selector);
    auto s = FieldSelector::parse(c.selector);
    REQUIRE(s);
    CHECK(s->matches_object(obj) == c.match);
  }
  CHECK(cairn::apiserver::field_value(json::object(), "status.successful") == "0");

  auto escaped = FieldSelector::parse("metadata.name=a\\,b\\=c\\\\");
  REQUIRE(escaped);
  CHECK(escaped->requirements()[0].value == "a,b=c\\");
  CHECK(escaped->to_string() == "metadata.name=a\\,b\\=c\\\\");

  auto bad = [](const char* text) {
    auto s = FieldSelector::parse(text);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == StatusCode::kBadRequest);
    return s.error().message;
  };
  CHECK(bad("metadata.name") == "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  CHECK(bad("a=b=c") == "invalid field selector: unescaped character in value: =");
  CHECK(bad("a=b\\x") == "invalid field selector: invalid escape sequence: \\x");
  CHECK(bad("a=b\\") == "invalid field selector: invalid escape sequence: \\");
}

TEST_CASE("field selector only accepts the resource's field labels", "[selector]") {
  auto s = FieldSelector::parse("metadata.name=a,spec.foo=b");
  REQUIRE(s);
  auto cm = supported_field_labels("", "configmaps");
  auto r = check_field_selector(*s, cm, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == StatusCode::kBadRequest);
  CHECK(r.error().message == "field label not supported: spec.foo");
  auto cr = check_field_selector(*s, cm, true);
  REQUIRE_FALSE(cr);
  CHECK(cr.error().message ==
        "\"spec.foo\" is not a known field selector: only \"metadata.name\", "
        "\"metadata.namespace\"");
  auto ok = FieldSelector::parse("type=kubernetes.io/tls,metadata.namespace=x");
  REQUIRE(ok);
  CHECK(check_field_selector(*ok, supported_field_labels("", "secrets"), false));
  CHECK_FALSE(check_field_selector(*ok, cm, false));
  auto ev = FieldSelector::parse("involvedObject.name=x,reason=Failed,source=kubelet");
  REQUIRE(ev);
  CHECK(check_field_selector(*ev, supported_field_labels("", "events"), false));
  auto job = FieldSelector::parse("status.successful=1");
  CHECK(check_field_selector(*job, supported_field_labels("batch", "jobs"), false));
  auto ns = FieldSelector::parse("status.phase=Active");
  CHECK(check_field_selector(*ns, supported_field_labels("", "namespaces"), false));
}
