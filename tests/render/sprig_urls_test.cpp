// Sprig urlParse / urlJoin over Go's net/url rules. Expected outputs come from
// the public vectors and from gotpl-ref.
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("public vectors: urlParse and urlJoin", "[sprig][urls]") {
  CHECK(show("urlParse", {s("https://user:pw@host.example:8443/p/a?q=1#frag")}) ==
        "map[fragment:frag host:host.example:8443 hostname:host.example opaque: path:/p/a "
        "query:q=1 scheme:https userinfo:user:pw]");
  CHECK(show("urlJoin", {dict({{"scheme", s("https")},
                               {"host", s("h.example")},
                               {"path", s("/x")},
                               {"query", s("a=1")}})}) == "https://h.example/x?a=1");
}

TEST_CASE("urlParse splits opaque, relative, IPv6 and escaped URLs", "[sprig][urls]") {
  CHECK(show("urlParse", {s("mailto:joe@example.com")}) ==
        "map[fragment: host: hostname: opaque:joe@example.com path: query: scheme:mailto "
        "userinfo:]");
  CHECK(show("urlParse", {s("/rel/path?x=1")}) ==
        "map[fragment: host: hostname: opaque: path:/rel/path query:x=1 scheme: userinfo:]");
  CHECK(show("urlParse", {s("http://[::1]:80/a%20b")}) ==
        "map[fragment: host:[::1]:80 hostname:::1 opaque: path:/a b query: scheme:http "
        "userinfo:]");
  CHECK(show("urlParse", {s("http://us%40er@h/")}) ==
        "map[fragment: host:h hostname:h opaque: path:/ query: scheme:http userinfo:us%40er]");
  CHECK(show("urlParse", {s("HTTP://H/")}) ==
        "map[fragment: host:H hostname:H opaque: path:/ query: scheme:http userinfo:]");
  CHECK(show("urlParse", {s("http://[fe80::1%25en0]:8080/")}) ==
        "map[fragment: host:[fe80::1%en0]:8080 hostname:fe80::1%en0 opaque: path:/ query: "
        "scheme:http userinfo:]");
  CHECK(show("urlParse", {s("")}) ==
        "map[fragment: host: hostname: opaque: path: query: scheme: userinfo:]");
}

TEST_CASE("urlParse reports net/url errors", "[sprig][urls]") {
  CHECK(show("urlParse", {s("http://a b.com/")}) ==
        "ERROR: unable to parse url: parse \"http://a b.com/\": invalid character \" \" in host "
        "name");
  CHECK(show("urlParse", {s("http://host:port/")}) ==
        "ERROR: unable to parse url: parse \"http://host:port/\": invalid port \":port\" after "
        "host");
  CHECK(show("urlParse", {s(":foo")}) ==
        "ERROR: unable to parse url: parse \":foo\": missing protocol scheme");
  CHECK(show("urlParse", {s("x/y:z")}) ==
        "map[fragment: host: hostname: opaque: path:x/y:z query: scheme: userinfo:]");
  CHECK(show("urlParse", {s("a:b")}) ==
        "map[fragment: host: hostname: opaque:b path: query: scheme:a userinfo:]");
  CHECK(show("urlParse", {s("http://h/%zz")}) ==
        "ERROR: unable to parse url: parse \"http://h/%zz\": invalid URL escape \"%zz\"");
  CHECK(show("urlParse", {s("http://us er@h/")}) ==
        "ERROR: unable to parse url: parse \"http://us er@h/\": net/url: invalid userinfo");
  CHECK(show("urlParse", {s("http://h\x7f")}) ==
        "ERROR: unable to parse url: parse \"http://h\\x7f\": net/url: invalid control character "
        "in URL");
}

TEST_CASE("urlJoin escapes each component like URL.String", "[sprig][urls]") {
  CHECK(show("urlJoin", {dict({{"scheme", s("https")},
                               {"host", s("h.example")},
                               {"path", s("x y?")},
                               {"fragment", s("f g!")},
                               {"userinfo", s("u:p@w")}})}) ==
        "https://u:p%40w@h.example/x%20y%3F#f%20g!");
  CHECK(show("urlJoin", {dict({{"opaque", s("o")}, {"scheme", s("mailto")}})}) == "mailto:o");
  CHECK(show("urlJoin", {dict({{"path", s("a:b")}})}) == "./a:b");
  CHECK(show("urlJoin", {dict({{"scheme", s("file")}, {"path", s("/x")}})}) == "file:///x");
  CHECK(show("urlJoin", {dict({})}) == "");
  CHECK(show("urlJoin", {Value::nil_map()}) == "");
}

TEST_CASE("urlJoin rejects non-string components", "[sprig][urls]") {
  CHECK(show("urlJoin", {dict({{"host", i(1)}})}) ==
        "ERROR: unable to parse host key, must be of type string, but int found");
  CHECK(show("urlJoin", {dict({{"host", Value::nil()}})}) ==
        "ERROR: runtime error: invalid memory address or nil pointer dereference");
  CHECK(show("urlJoin", {dict({{"userinfo", s("a b")}})}) ==
        "ERROR: unable to parse userinfo in dict: parse \"proto://a b@host\": net/url: invalid "
        "userinfo");
}
