// Tests of the incremental request parser the transport uses (apiserver/http_parse.h).
#include "apiserver/http_parse.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

using cairn::apiserver::HttpParseLimits;
using cairn::apiserver::HttpRequestParser;
using State = HttpRequestParser::State;

}  // namespace

TEST_CASE("a request fed byte by byte parses like one fed whole", "[http][parse]") {
  const std::string raw =
      "PUT /api/v1/namespaces/a?dryRun=All HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nX-Dup: 1\r\nX-DUP: 2\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  HttpRequestParser parser(HttpParseLimits{});
  std::string pending;
  for (char c : raw) {
    REQUIRE(parser.state() == State::kNeedMore);
    pending.push_back(c);
    pending.erase(0, parser.feed(pending));
  }
  REQUIRE(parser.state() == State::kComplete);
  CHECK(pending.empty());
  CHECK(parser.keep_alive());
  CHECK(parser.version() == 11);
  auto req = parser.take_request();
  CHECK(req.method == "PUT");
  CHECK(req.target == "/api/v1/namespaces/a?dryRun=All");
  CHECK(req.path == "/api/v1/namespaces/a");
  CHECK(req.query == "dryRun=All");
  CHECK(req.header("content-type") == "application/json");
  CHECK(req.header("x-dup") == "1");
  CHECK(req.headers.size() == 5);
  CHECK(req.headers[3] == std::pair<std::string, std::string>{"x-dup", "2"});
  CHECK(req.body == "{\"a\":1}");
}

TEST_CASE("the parser stops at the end of one request, leaving the next", "[http][parse]") {
  const std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  HttpRequestParser parser(HttpParseLimits{});
  CHECK(parser.feed(first + second) == first.size());
  REQUIRE(parser.state() == State::kComplete);
  CHECK(parser.take_request().path == "/a");
  HttpRequestParser next(HttpParseLimits{});
  CHECK(next.feed(second) == second.size());
  REQUIRE(next.state() == State::kComplete);
  CHECK_FALSE(next.keep_alive());
}

TEST_CASE("a chunked request body is decoded", "[http][parse]") {
  HttpRequestParser parser(HttpParseLimits{});
  parser.feed(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  REQUIRE(parser.state() == State::kComplete);
  CHECK(parser.take_request().body == "abcde");
}

TEST_CASE("a chunked body arriving byte by byte completes", "[http][parse]") {
  const std::string raw =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: t\r\n\r\n";
  HttpRequestParser parser(HttpParseLimits{});
  std::string pending;
  for (char c : raw) {
    REQUIRE(parser.state() == State::kNeedMore);
    pending.push_back(c);
    pending.erase(0, parser.feed(pending));
  }
  REQUIRE(parser.state() == State::kComplete);
  CHECK(parser.take_request().body.empty());
}

TEST_CASE("limits and malformed input give their states", "[http][parse]") {
  HttpParseLimits limits{10, 100};
  SECTION("declared body too large") {
    HttpRequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    CHECK(p.state() == State::kBodyTooLarge);
  }
  SECTION("chunked body too large") {
    HttpRequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n");
    CHECK(p.state() == State::kBodyTooLarge);
  }
  SECTION("header too large") {
    HttpRequestParser p(limits);
    p.feed("GET / HTTP/1.1\r\nX: " + std::string(200, 'x') + "\r\n\r\n");
    CHECK(p.state() == State::kHeaderTooLarge);
  }
  SECTION("garbage") {
    HttpRequestParser p(limits);
    p.feed("\x01\x02\x03 nonsense\r\n\r\n");
    CHECK(p.state() == State::kBadRequest);
  }
  SECTION("truncated body at end of input") {
    HttpRequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab");
    CHECK(p.state() == State::kNeedMore);
    p.finish();
    CHECK(p.state() == State::kBadRequest);
  }
  SECTION("end of input before any byte") {
    HttpRequestParser p(limits);
    p.finish();
    CHECK(p.state() == State::kBadRequest);
  }
}

TEST_CASE("HTTP/1.0 keeps the connection only when asked", "[http][parse]") {
  HttpRequestParser plain(HttpParseLimits{});
  plain.feed("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(plain.state() == State::kComplete);
  CHECK(plain.version() == 10);
  CHECK_FALSE(plain.keep_alive());
  HttpRequestParser keep(HttpParseLimits{});
  keep.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(keep.keep_alive());
}

TEST_CASE("Expect: 100-continue is reported once the header is parsed", "[http][parse]") {
  HttpRequestParser p(HttpParseLimits{});
  p.feed("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  CHECK(p.header_done());
  CHECK(p.expects_continue());
  CHECK(p.state() == State::kNeedMore);
  p.feed("abc");
  CHECK(p.state() == State::kComplete);
}
