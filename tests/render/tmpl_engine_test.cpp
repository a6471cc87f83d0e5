// Behaviour of the text/template engine with Go's builtins and helm's engine
// functions: lexing, parsing, execution, errors and limits.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "render/template.h"

namespace cairn::render {
namespace {

std::shared_ptr<const FuncMap> funcs() {
  static auto f = [] {
    FuncMap m;
    add_go_builtins(m);
    add_helm_engine_funcs(m);
    return std::make_shared<const FuncMap>(std::move(m));
  }();
  return f;
}

Value sample_data() {
  Value m = Value::new_map();
  m.map().items["n"] = Value::floating(2);
  m.map().items["s"] = Value("str");
  m.map().items["nul"] = Value::nil();
  m.map().items["l"] = Value::new_list({Value::floating(1), Value::floating(2), Value::floating(3)});
  Value inner = Value::new_map();
  inner.map().items["a"] = Value::floating(1);
  inner.map().items["b"] = Value("x");
  m.map().items["m"] = inner;
  return m;
}

Result<std::string> render(std::string_view text, MissingKey mk = MissingKey::Default,
                           TemplateOptions options = {}) {
  options.missing_key = mk;
  TemplateSet set(funcs(), options);
  if (auto p = set.parse("t", text); !p) return tl::unexpected(p.error());
  return set.execute("t", sample_data());
}

std::string out(std::string_view text, MissingKey mk = MissingKey::Default) {
  auto r = render(text, mk);
  return r ? *r : "ERROR: " + r.error().message;
}

std::string err(std::string_view text, MissingKey mk = MissingKey::Default) {
  auto r = render(text, mk);
  return r ? "OK: " + *r : r.error().message;
}

}  // namespace

TEST_CASE("trim markers need a space and trim only ASCII whitespace", "[tmpl]") {
  CHECK(out("a \n {{- 3 -}} \n b") == "a3b");
  CHECK(out("a {{-3}} b") == "a -3 b");
  CHECK(out("a  {{- /* c */ -}}  b") == "ab");
  CHECK(out("x{{/* multi\nline */}}y") == "xy");
}

TEST_CASE("literals are typed like Go constants", "[tmpl]") {
  CHECK(out("{{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' }} {{ -7 }}") ==
        "31 15 15 5 1000 97 -7");
  CHECK(out("{{ printf \"%T %T %T\" 1 1.5 1e3 }}") == "int float64 float64");
  CHECK(out("{{ `raw\\n` }}{{ \"tab\\there\" }}") == "raw\\ntab\there");
  CHECK(err("{{ 08 }}") == "template: t:1: integer overflow: \"08\"");
  CHECK(err("{{ 'ab' }}") == "template: t:1: malformed character constant: 'ab'");
}

TEST_CASE("parse errors read like Go's", "[tmpl]") {
  CHECK(err("{{ | }}") == "template: t:1: unexpected \"|\" in command");
  CHECK(err("{{ .a") == "template: t:1: unclosed action");
  CHECK(err("{{ $y }}") == "template: t:1: undefined variable \"$y\"");
  CHECK(err("{{ expandenv }}") == "template: t:1: function \"expandenv\" not defined");
  CHECK(err("{{break}}") == "template: t:1: {{break}} outside {{range}}");
  CHECK(err("{{ $x, $y, $z := . }}") == "template: t:1: too many declarations in command");
  CHECK(err("{{define \"d\"}}a{{end}}{{define \"d\"}}b{{end}}") ==
        "template: t:1: template: multiple definition of template \"d\"");
  CHECK(err("{{ if true }}") == "template: t:1: unexpected EOF");
  CHECK(err("{{ end }}") == "template: t:1: unexpected {{end}}");
  CHECK(err("{{ .a | 3 }}") == "template: t:1: non executable command in pipeline stage 2");
  CHECK(err("{{ 1.x }}") == "template: t:1: bad number syntax: \"1.x\"");
  CHECK(err("a\n{{ \"x\" \n\n") ==
        "template: t:4: unclosed action started at t:2");
}

TEST_CASE("fields, maps and missing keys follow the missingkey option", "[tmpl]") {
  CHECK(out("{{ .m.b }}|{{ .missing }}|{{ .missing.deeper }}") == "x|<no value>|<no value>");
  CHECK(out("{{ .missing }}", MissingKey::Zero) == "<no value>");
  CHECK(err("{{ .missing.x }}", MissingKey::Zero) ==
        "template: t:1:11: executing \"t\" at <.missing.x>: nil pointer evaluating interface {}.x");
  CHECK(out("{{ (.missing).x }}", MissingKey::Zero) == "<no value>");
  CHECK(err("{{ .missing }}", MissingKey::Error) ==
        "template: t:1:3: executing \"t\" at <.missing>: map has no entry for key \"missing\"");
  CHECK(err("{{ .n.x }}") ==
        "template: t:1:5: executing \"t\" at <.n.x>: can't evaluate field x in type interface {}");
  CHECK(err("{{ .m.a 1 }}") ==
        "template: t:1:5: executing \"t\" at <.m.a>: a is not a method but has arguments");
}

TEST_CASE("control structures scope variables and handle else chains", "[tmpl]") {
  CHECK(out("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}") == "2");
  CHECK(out("{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}") == "0=1;1=2;2=3;");
  CHECK(out("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}") == "a=1;b=x;");
  CHECK(out("{{ range .missing }}x{{ else }}none{{ end }}") == "none");
  CHECK(out("{{ range .l }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ . }}{{ end }}") == "13");
  CHECK(out("{{ range .l }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}") == "1");
  CHECK(out("{{ with .nope }}a{{ else with .n }}{{ . }}{{ end }}") == "2");
  CHECK(out("{{ if .nul }}a{{ else if .s }}b{{ else }}c{{ end }}") == "b");
  CHECK(err("{{ range .s }}x{{ end }}") ==
        "template: t:1:9: executing \"t\" at <.s>: range can't iterate over str");
}

TEST_CASE("define, template and block run with their own dot and variables", "[tmpl]") {
  CHECK(out("{{ define \"d\" }}[{{ . }}]{{ end }}{{ template \"d\" .n }}{{ template \"d\" }}") ==
        "[2][<no value>]");
  CHECK(out("{{ block \"b\" . }}B{{ .n }}{{ end }}|{{ template \"b\" .m }}") == "B2|B<no value>");
  CHECK(err("{{ template \"nope\" }}") ==
        "template: t:1:12: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined");
}

TEST_CASE("function arguments are converted and checked like Go's evalArg", "[tmpl]") {
  CHECK(err("{{ printf 5 }}") ==
        "template: t:1:10: executing \"t\" at <5>: expected string; found 5");
  CHECK(err("{{ printf nil }}") ==
        "template: t:1:10: executing \"t\" at <nil>: cannot assign nil to string");
  CHECK(err("{{ printf .missing }}") ==
        "template: t:1:10: executing \"t\" at <.missing>: invalid value; expected string");
  CHECK(err("{{ printf .n }}") ==
        "template: t:1:10: executing \"t\" at <.n>: wrong type for value; expected string; got "
        "float64");
  CHECK(err("{{ nil }}") == "template: t:1:3: executing \"t\" at <nil>: nil is not a command");
  CHECK(err("{{ $x := 1 }}{{ $x 2 }}") ==
        "template: t:1:16: executing \"t\" at <$x>: can't give argument to non-function $x");
  CHECK(out("{{ \"x\" | printf \"%s %s\" \"a\" }}") == "a x");
}

TEST_CASE("builtins compare, index and escape like Go", "[tmpl]") {
  CHECK(out("{{ and 1 0 }} {{ or 0 \"\" \"z\" }} {{ not .nul }}") == "0 z true");
  CHECK(out("{{ eq .n 2.0 }} {{ eq .missing nil }} {{ eq 1 2 3 1 }} {{ ne 1 2 }}") ==
        "true true true true");
  CHECK(out("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}") ==
        "true true true false");
  CHECK(err("{{ eq .n 3 }}") == "template: t:1:3: executing \"t\" at <eq .n 3>: error calling eq: "
                                "incompatible types for comparison");
  CHECK(err("{{ eq 1 }}") == "template: t:1:3: executing \"t\" at <eq 1>: error calling eq: "
                             "missing argument for comparison");
  CHECK(out("{{ index .l 1 }} {{ index .m \"zz\" }} {{ index \"abc\" 1 }} {{ len .l }}") ==
        "2 <no value> 98 3");
  CHECK(err("{{ index .l 5 }}") == "template: t:1:3: executing \"t\" at <index .l 5>: error "
                                   "calling index: index out of range: 5");
  CHECK(err("{{ index nil 1 }}") == "template: t:1:3: executing \"t\" at <index nil 1>: error "
                                    "calling index: index of untyped nil");
  CHECK(out("{{ slice .l 1 }} {{ slice \"abcdef\" 1 3 }}") == "[2 3] bc");
  CHECK(out("{{ html \"<a&'b>\" }} {{ js \"a'b<\" }} {{ urlquery \"a b&c\" }}") ==
        "&lt;a&amp;&#39;b&gt; a\\'b\\u003C a+b%26c");
  CHECK(out("{{ print 1 2 \"a\" \"b\" 3 }}|{{ println 1 \"a\" }}") == "1 2ab3|1 a\n");
}

TEST_CASE("helm engine functions include, tpl, required, fail and lookup", "[tmpl]") {
  CHECK(out("{{ define \"d\" }}<{{ .a }}>{{ end }}{{ include \"d\" .m | printf \"%q\" }}") ==
        "\"<1>\"");
  CHECK(out("{{ tpl \"{{ .n }}{{ .zz }}\" . }}") == "2");
  CHECK(out("{{ tpl \"{{ define \\\"x\\\" }}X{{ end }}{{ template \\\"x\\\" }}\" . }}") == "X");
  CHECK(out("{{ required \"need\" .s }} {{ required \"need\" 0 }}") == "str 0");
  CHECK(err("{{ define \"r\" }}{{ required \"deep\" .y }}{{ end }}x{{ include \"r\" . }}") ==
        "execution error at (t:1:53): deep");
  CHECK(err("{{ fail \"boom\" }}") == "execution error at (t:1:3): boom");
  CHECK(out("{{ lookup \"v1\" \"Secret\" \"ns\" \"x\" | len }}") == "0");
  CHECK(err("{{ include \"missing\" . }}").find("no template \"missing\"") != std::string::npos);
}

TEST_CASE("limits turn runaway templates into errors", "[tmpl]") {
  CHECK(err("{{ define \"d\" }}{{ include \"d\" . }}{{ end }}{{ include \"d\" . }}")
            .find("rendering template has a nested reference name: d") != std::string::npos);
  CHECK(err("{{ define \"d\" }}{{ template \"d\" . }}{{ end }}{{ template \"d\" . }}")
            .find("exceeded maximum template depth") != std::string::npos);
  TemplateOptions small;
  small.limits.max_output_bytes = 10;
  CHECK_FALSE(render("{{ range .l }}0123456789{{ end }}", MissingKey::Default, small));
  small = {};
  small.limits.max_parse_depth = 5;
  CHECK_FALSE(render("{{ ((((((1)))))) }}", MissingKey::Default, small));
}

}  // namespace cairn::render
