#include "kube/error.h"

#include <catch2/catch.hpp>

namespace cairn::kube {
namespace {

TEST_CASE("a Status body decodes into code, reason, message, details and causes", "[error]") {
  Error e = error_from_response(
      422, "application/json",
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
      R"("message":"Widget.example.com \"w\" is invalid: spec.size: Invalid value: 11",)"
      R"("reason":"Invalid","details":{"name":"w","group":"example.com","kind":"Widget",)"
      R"("causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 11",)"
      R"("field":"spec.size"}],"retryAfterSeconds":3},"code":422})");
  CHECK(e.kind == ErrorKind::kApi);
  CHECK(e.code == 422);
  CHECK(e.reason == "Invalid");
  CHECK(e.message == "Widget.example.com \"w\" is invalid: spec.size: Invalid value: 11");
  CHECK(e.details["kind"] == "Widget");
  REQUIRE(e.causes.size() == 1);
  CHECK(e.causes[0].reason == "FieldValueInvalid");
  CHECK(e.causes[0].field == "spec.size");
  CHECK(e.retry_after_seconds == 3);
  CHECK(is_invalid(e));
  CHECK_FALSE(is_not_found(e));
  CHECK(e.to_string() == e.message);
}

TEST_CASE("bodies that are not a Status give an error synthesised from the HTTP code",
          "[error]") {
  Error html = error_from_response(404, "text/html", "<h1>no</h1>");
  CHECK(html.reason == "NotFound");
  CHECK(is_not_found(html));
  CHECK(html.message == "the server responded with the status code 404: <h1>no</h1>");
  Error broken = error_from_response(409, "application/json", "{\"kind\":\"Sta");
  CHECK(broken.reason == "Conflict");
  CHECK(is_conflict(broken));
  Error other = error_from_response(502, "text/plain", std::string(1000, 'x'));
  CHECK(other.reason == "InternalError");
  CHECK(is_server_error(other));
  CHECK(other.message.size() < 400);
}

TEST_CASE("predicates match the reasons and codes kube uses", "[error]") {
  auto api = [](int code, std::string reason) {
    Error e;
    e.code = code;
    e.reason = std::move(reason);
    return e;
  };
  CHECK(is_gone(api(410, "Expired")));
  CHECK(is_gone(api(410, "Gone")));
  CHECK(is_gone(api(0, "Expired")));
  CHECK(is_already_exists(api(409, "AlreadyExists")));
  CHECK_FALSE(is_conflict(api(409, "AlreadyExists")));
  CHECK(is_too_many_requests(api(429, "")));
  CHECK(is_unauthorized(api(401, "Unauthorized")));
  CHECK(is_forbidden(api(403, "Forbidden")));
  CHECK(is_timeout(api(504, "Timeout")));
  CHECK(is_timeout(make_error(ErrorKind::kTimeout, "read")));
  CHECK(is_transport_error(make_error(ErrorKind::kTls, "handshake")));
  CHECK_FALSE(is_transport_error(api(500, "InternalError")));
  CHECK_FALSE(is_not_found(make_error(ErrorKind::kNoMatch, "no matches")));
  CHECK(is_no_match(make_error(ErrorKind::kNoMatch, "no matches")));
  CHECK(make_error(ErrorKind::kTls, "bad").to_string() == "tls: bad");
}

TEST_CASE("an ERROR event's Status without a code keeps the fallback code", "[error]") {
  Error e = error_from_status(nlohmann::json{{"kind", "Status"}, {"reason", "Expired"},
                                             {"message", "too old resource version: 1 (5)"}},
                              410);
  CHECK(e.code == 410);
  CHECK(is_gone(e));
  Error not_object = error_from_status(nlohmann::json("x"), 500);
  CHECK(not_object.reason == "InternalError");
  CHECK_FALSE(not_object.message.empty());
}

}  // namespace
}  // namespace cairn::kube
