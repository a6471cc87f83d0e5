#include "kube/transport.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "apiserver/pki.h"
#include "kube/client.h"
#include "tests/kube/fake_server.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeServer;
using testing::http_reply;
using testing::RawRequest;
using testing::Reply;

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cairn-kube-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const apiserver::PkiFiles& pki_a() {
  static apiserver::PkiFiles pki = *apiserver::ensure_pki(temp_dir("pki-a"), {"127.0.0.1"});
  return pki;
}
const apiserver::PkiFiles& pki_b() {
  static apiserver::PkiFiles pki = *apiserver::ensure_pki(temp_dir("pki-b"), {"127.0.0.1"});
  return pki;
}

std::unique_ptr<Transport> make_transport(RestConfig config, FakeClock& clock,
                                          RetryPolicy retry = {}) {
  config.qps = 0;
  TransportOptions options;
  options.clock = &clock;
  options.retry = retry;
  auto t = Transport::create(config, options);
  REQUIRE(t);
  return std::move(*t);
}

RestConfig at(const std::string& url) {
  RestConfig c;
  c.server = url;
  return c;
}

Request get(const std::string& target) {
  Request r;
  r.target = target;
  return r;
}

Reply ok_json(const std::string& body) { return http_reply(200, "application/json", body); }

// A minimal legacy-discovery API that serves configmaps and hands every other path to `tail`.
FakeServer::Handler api_handler(std::function<Reply(const RawRequest&)> tail) {
  return [tail](const RawRequest& r) {
    if (r.target == "/api") return ok_json(R"({"kind":"APIVersions","versions":["v1"]})");
    if (r.target == "/apis") return ok_json(R"({"kind":"APIGroupList","groups":[]})");
    if (r.target == "/api/v1") {
      return ok_json(R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
        {"name":"configmaps","namespaced":true,"kind":"ConfigMap","verbs":["get","list"]}]})");
    }
    return tail(r);
  };
}

TEST_CASE("keep-alive connections are reused and requests carry the User-Agent",
          "[transport]") {
  FakeServer server([](const RawRequest& r) { return ok_json("{\"path\":\"" + r.target + "\"}"); });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  for (int i = 0; i < 3; ++i) {
    auto r = t->send(get("/x" + std::to_string(i)));
    REQUIRE(r);
    CHECK(r->code == 200);
    CHECK(r->body == "{\"path\":\"/x" + std::to_string(i) + "\"}");
  }
  CHECK(server.connections() == 1);
  CHECK(t->connections_opened() == 1);
  CHECK(t->idle_connections() == 1);
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].header("User-Agent") == "cairn/0.1.0 (linux/amd64)");
  CHECK(requests[0].header("Authorization").empty());
  CHECK(t->metrics().count("200", "GET") == 3);
}

TEST_CASE("a connection the server closed after a response is replaced transparently",
          "[transport]") {
  FakeServer server([](const RawRequest&) {
    Reply r = ok_json("{}");
    r.after = Reply::After::kClose;
    return r;
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  REQUIRE(t->send(get("/a")));
  REQUIRE(t->send(get("/b")));
  CHECK(server.requests().size() == 2);
  CHECK(clock.sleeps().empty());

  // A POST is never retried on a reused connection (it may have been applied), so the client
  // must notice the close before it writes, as the idle timeout of a real server causes.
  for (const char* path : {"/c", "/d", "/e"}) {
    INFO(path);
    std::this_thread::sleep_for(50ms);  // the server has closed the pooled connection
    Request post = get(path);
    post.method = "POST";
    post.body = "{}";
    auto r = t->send(post);
    REQUIRE(r);
    CHECK(r->code == 200);
  }
  CHECK(server.requests().size() == 5);
  CHECK(t->connections_opened() == 5);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("429 with Retry-After is retried after the advertised delay and then succeeds",
          "[transport]") {
  std::atomic<int> calls{0};
  FakeServer server([&](const RawRequest&) {
    if (calls.fetch_add(1) == 0) {
      return http_reply(429, "application/json",
                        R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                        R"("reason":"TooManyRequests","code":429})",
                        "Retry-After: 2\r\n");
    }
    return ok_json(R"({"ok":true})");
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto r = t->send(get("/x"));
  REQUIRE(r);
  CHECK(r->code == 200);
  CHECK(calls.load() == 2);
  REQUIRE(clock.sleeps().size() == 1);
  CHECK(clock.sleeps()[0] == 2s);
  CHECK(t->metrics().count("429", "GET") == 1);
  CHECK(t->metrics().count("200", "GET") == 1);
}

TEST_CASE("503 with Retry-After is retried at most max_retries times with the wait capped",
          "[transport]") {
  FakeServer server([](const RawRequest&) {
    return http_reply(503, "text/plain", "busy", "Retry-After: 120\r\n");
  });
  FakeClock clock;
  RetryPolicy retry;
  retry.max_retries = 3;
  retry.max_retry_after = 5s;
  auto t = make_transport(at(server.url()), clock, retry);
  auto r = t->send(get("/x"));
  REQUIRE(r);
  CHECK(r->code == 503);
  CHECK(server.requests().size() == 4);
  CHECK(clock.sleeps() == std::vector<std::chrono::nanoseconds>{5s, 5s, 5s});
  Error e = error_from_response(r->code, r->content_type, r->body);
  CHECK(e.reason == "ServiceUnavailable");
  CHECK(is_server_error(e));
}

TEST_CASE("500 without Retry-After is returned at once and decodes to an InternalError",
          "[transport]") {
  FakeServer server([](const RawRequest&) {
    return http_reply(500, "text/html", "<html>oops</html>");
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto r = t->send(get("/x"));
  REQUIRE(r);
  CHECK(r->code == 500);
  CHECK(server.requests().size() == 1);
  Error e = error_from_response(r->code, r->content_type, r->body);
  CHECK(e.reason == "InternalError");
  CHECK(e.message.find("500") != std::string::npos);
  CHECK(e.message.find("oops") != std::string::npos);
}

TEST_CASE("connection resets are retried with growing backoff for idempotent requests only",
          "[transport]") {
  std::atomic<int> calls{0};
  FakeServer server([&](const RawRequest&) {
    if (calls.fetch_add(1) < 2) return Reply{"", Reply::After::kReset};
    return ok_json("{}");
  });
  FakeClock clock;
  RetryPolicy retry;
  retry.base_backoff = 100ms;
  auto t = make_transport(at(server.url()), clock, retry);
  auto r = t->send(get("/x"));
  REQUIRE(r);
  CHECK(r->code == 200);
  auto sleeps = clock.sleeps();
  REQUIRE(sleeps.size() == 2);
  CHECK(sleeps[0] >= 50ms);
  CHECK(sleeps[0] <= 100ms);
  CHECK(sleeps[1] >= 100ms);
  CHECK(sleeps[1] <= 200ms);

  calls.store(0);
  Request create = get("/create");
  create.method = "POST";
  create.body = "{}";
  create.content_type = "application/json";
  auto post = t->send(create);
  REQUIRE_FALSE(post);
  CHECK(post.error().kind == ErrorKind::kTransport);
  CHECK(is_transport_error(post.error()));
  CHECK(calls.load() == 1);
}

TEST_CASE("a response cut short is a transport error after bounded retries", "[transport]") {
  FakeServer server([](const RawRequest&) {
    Reply r{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            "{\"kind\":\"Conf",
            Reply::After::kClose};
    return r;
  });
  FakeClock clock;
  RetryPolicy retry;
  retry.max_retries = 2;
  auto t = make_transport(at(server.url()), clock, retry);
  auto r = t->send(get("/x"));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kTransport);
  CHECK(server.requests().size() == 3);
  CHECK(clock.sleeps().size() == 2);
}

TEST_CASE("truncated JSON and a wrong content type are decode errors from the client",
          "[transport][client]") {
  FakeServer server(api_handler([](const RawRequest& r) {
    if (r.target.find("/configmaps/truncated") != std::string::npos) {
      return ok_json(R"({"kind":"ConfigMap","metadata":{"name":)");
    }
    if (r.target.find("/configmaps/html") != std::string::npos) {
      return http_reply(200, "text/html", "<html></html>");
    }
    return http_reply(404, "application/json",
                      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":)"
                      R"("configmaps \"x\" not found","reason":"NotFound",)"
                      R"("details":{"name":"x","kind":"configmaps"},"code":404})");
  }));
  FakeClock clock;
  ClientOptions client_options;
  client_options.transport.clock = &clock;
  RestConfig config = at(server.url());
  config.qps = 0;
  auto client = Client::create(config, client_options);
  REQUIRE(client);
  GroupVersionKind cm{"", "v1", "ConfigMap"};
  auto truncated = (*client)->get(cm, "default", "truncated");
  REQUIRE_FALSE(truncated);
  CHECK(truncated.error().kind == ErrorKind::kDecode);
  CHECK_FALSE((*client)->used_aggregated_discovery());  // the fake serves legacy documents
  auto html = (*client)->get(cm, "default", "html");
  REQUIRE_FALSE(html);
  CHECK(html.error().kind == ErrorKind::kDecode);
  CHECK(html.error().message.find("text/html") != std::string::npos);
  auto missing = (*client)->get(cm, "default", "x");
  REQUIRE_FALSE(missing);
  CHECK(is_not_found(missing.error()));
  CHECK(missing.error().code == 404);
  CHECK(missing.error().message == "configmaps \"x\" not found");
  CHECK(missing.error().details["name"] == "x");
  auto unknown = (*client)->get(GroupVersionKind{"example.com", "v1", "Widget"}, "", "w");
  REQUIRE_FALSE(unknown);
  CHECK(is_no_match(unknown.error()));
  CHECK(unknown.error().message ==
        "no matches for kind \"Widget\" in version \"example.com/v1\"");
}

const char* kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n";
}

TEST_CASE("a streamed body is split into lines across chunk boundaries", "[transport]") {
  FakeServer server([](const RawRequest&) {
    std::string body = std::string(kChunkedHead) + chunk("{\"a\":1}\n{\"b\"") +
                       chunk(":2}\n\n") + chunk("{\"c\":3}\n") + "0\r\n\r\n";
    return Reply{body, Reply::After::kKeepOpen};
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto stream = t->stream(get("/w?watch=true"));
  REQUIRE(stream);
  std::vector<std::string> lines;
  for (;;) {
    auto line = (*stream)->next_line(5s);
    REQUIRE(line);
    if (!*line) break;
    lines.push_back(**line);
  }
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
}

TEST_CASE("a chunk that never ends times out, and cancel() ends a blocked read",
          "[transport]") {
  FakeServer server([](const RawRequest&) {
    return Reply{std::string(kChunkedHead) + chunk("{\"type\":\"ADDED\"") , Reply::After::kHang};
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto stream = t->stream(get("/w?watch=true"));
  REQUIRE(stream);
  auto start = std::chrono::steady_clock::now();
  auto line = (*stream)->next_line(300ms);
  REQUIRE_FALSE(line);
  CHECK(line.error().kind == ErrorKind::kTimeout);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  auto again = (*stream)->next_line(100ms);  // the stream stays failed, without blocking
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::kTimeout);
}

TEST_CASE("cancel() from another thread ends a blocked stream read promptly", "[transport]") {
  FakeServer server([](const RawRequest&) {
    return Reply{std::string(kChunkedHead), Reply::After::kHang};
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto stream = t->stream(get("/w?watch=true"));
  REQUIRE(stream);
  LineStream* s = stream->get();
  auto start = std::chrono::steady_clock::now();
  std::thread canceller([s] {
    std::this_thread::sleep_for(100ms);
    s->cancel();
  });
  auto line = s->next_line(60s);
  canceller.join();
  REQUIRE_FALSE(line);
  CHECK(line.error().kind == ErrorKind::kCancelled);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("a non-2xx answer to a stream request is a decoded error", "[transport]") {
  FakeServer server([](const RawRequest&) {
    return http_reply(410, "application/json",
                      R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                      R"js("message":"too old resource version: 1 (1050)","reason":"Expired",)js"
                      R"("code":410})");
  });
  FakeClock clock;
  auto t = make_transport(at(server.url()), clock);
  auto stream = t->stream(get("/w?watch=true&resourceVersion=1"));
  REQUIRE_FALSE(stream);
  CHECK(is_gone(stream.error()));
  CHECK(stream.error().message == "too old resource version: 1 (1050)");
}

TEST_CASE("TLS verifies the CA, the address and presents the client certificate",
          "[transport][tls]") {
  const auto& pki = pki_a();
  FakeServer server([](const RawRequest& r) { return ok_json("{\"auth\":\"" +
                                                              r.header("Authorization") +
                                                              "\"}"); },
                    pki.serving_cert, pki.serving_key);
  FakeClock clock;
  RestConfig good = at(server.url());
  good.ca_pem = slurp(pki.ca_cert);
  good.bearer_token = "t0k";
  auto t = make_transport(good, clock);
  auto r = t->send(get("/x"));
  REQUIRE(r);
  CHECK(r->body == "{\"auth\":\"Bearer t0k\"}");

  SECTION("the DNS name localhost is in the SAN too") {
    RestConfig by_name = good;
    by_name.server = server.url("localhost");
    CHECK(make_transport(by_name, clock)->send(get("/x")));
  }
  SECTION("a certificate from another CA is rejected") {
    RestConfig wrong_ca = good;
    wrong_ca.ca_pem = slurp(pki_b().ca_cert);
    auto bad = make_transport(wrong_ca, clock)->send(get("/x"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::kTls);
    CHECK(bad.error().message.find("certificate verification failed") != std::string::npos);
  }
  SECTION("a name the certificate does not hold is rejected") {
    RestConfig wrong_name = good;
    wrong_name.tls_server_name = "wrong.example.com";
    auto bad = make_transport(wrong_name, clock)->send(get("/x"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::kTls);
  }
  SECTION("insecure_skip_tls_verify accepts any certificate") {
    RestConfig insecure = good;
    insecure.ca_pem = slurp(pki_b().ca_cert);
    insecure.insecure_skip_tls_verify = true;
    CHECK(make_transport(insecure, clock)->send(get("/x")));
  }
  SECTION("a client certificate is accepted by the context") {
    RestConfig with_cert = good;
    with_cert.client_cert_pem = slurp(pki.admin_cert);
    with_cert.client_key_pem = slurp(pki.admin_key);
    CHECK(make_transport(with_cert, clock)->send(get("/x")));
  }
  SECTION("a malformed CA bundle is a configuration error") {
    RestConfig broken = good;
    broken.ca_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
    auto created = Transport::create(broken);
    REQUIRE_FALSE(created);
    CHECK(created.error().kind == ErrorKind::kConfig);
  }
}

TEST_CASE("a 401 re-reads a rotated token file and retries once", "[transport][tls]") {
  const auto& pki = pki_a();
  auto dir = temp_dir("token-rotate");
  std::atomic<bool> rotated{false};
  FakeServer server(
      [&](const RawRequest& r) {
        std::string expected = rotated.load() ? "Bearer new" : "Bearer old";
        if (r.header("Authorization") != expected) {
          return http_reply(401, "application/json",
                            R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                            R"("message":"Unauthorized","reason":"Unauthorized","code":401})");
        }
        return ok_json("{}");
      },
      pki.serving_cert, pki.serving_key);
  std::ofstream(dir / "token") << "old\n";
  FakeClock clock;
  RestConfig config = at(server.url());
  config.ca_pem = slurp(pki.ca_cert);
  config.token_file = dir / "token";
  auto t = make_transport(config, clock);
  auto first = t->send(get("/x"));
  REQUIRE(first);
  CHECK(first->code == 200);
  std::ofstream(dir / "token") << "new\n";
  rotated.store(true);
  auto second = t->send(get("/x"));
  REQUIRE(second);
  CHECK(second->code == 200);
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].header("Authorization") == "Bearer old");
  CHECK(requests[2].header("Authorization") == "Bearer new");
}

TEST_CASE("credentials are not sent over plain HTTP", "[transport]") {
  FakeServer server([](const RawRequest&) { return ok_json("{}"); });
  FakeClock clock;
  RestConfig config = at(server.url());
  config.bearer_token = "secret";
  auto t = make_transport(config, clock);
  REQUIRE(t->send(get("/x")));
  CHECK(server.requests().at(0).header("Authorization").empty());
}

TEST_CASE("connecting to a closed port fails fast with a transport error", "[transport]") {
  std::string url;
  {
    FakeServer gone([](const RawRequest&) { return ok_json("{}"); });
    url = gone.url();
  }
  FakeClock clock;
  RetryPolicy retry;
  retry.max_retries = 1;
  auto t = make_transport(at(url), clock, retry);
  auto r = t->send(get("/x"));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kTransport);
  CHECK(clock.sleeps().size() == 1);
}

TEST_CASE("the rate limiter allows a burst, then spaces requests at qps", "[transport]") {
  FakeClock clock;
  RateLimiter limiter(10, 3, clock);
  for (int i = 0; i < 3; ++i) limiter.acquire();
  CHECK(clock.total_slept() == 0ns);
  for (int i = 0; i < 4; ++i) limiter.acquire();
  // Four requests beyond the burst at 10/s take 0.4 s (each waits until its token refilled).
  auto slept = std::chrono::duration<double>(clock.total_slept()).count();
  CHECK(slept == Approx(0.4).margin(0.01));
  clock.advance(10s);  // refills to the burst, not beyond
  auto before = clock.total_slept();
  for (int i = 0; i < 3; ++i) limiter.acquire();
  CHECK(clock.total_slept() == before);
  limiter.acquire();
  CHECK(clock.total_slept() > before);
}

TEST_CASE("the transport applies the configured QPS through its clock", "[transport]") {
  FakeServer server([](const RawRequest&) { return ok_json("{}"); });
  FakeClock clock;
  TransportOptions options;
  options.clock = &clock;
  RestConfig config = at(server.url());
  config.qps = 5;
  config.burst = 1;
  auto t = Transport::create(config, options);
  REQUIRE(t);
  for (int i = 0; i < 3; ++i) REQUIRE((*t)->send(get("/x")));
  auto slept = std::chrono::duration<double>(clock.total_slept()).count();
  CHECK(slept == Approx(0.4).margin(0.01));
}

TEST_CASE("server URLs are validated", "[transport]") {
  CHECK_FALSE(Transport::create(at("ftp://x")));
  CHECK_FALSE(Transport::create(at("https://:443")));
  CHECK_FALSE(Transport::create(at("https://h:12a")));
  CHECK(Transport::create(at("http://[::1]:8080/prefix/")));
}

}  // namespace
}  // namespace cairn::kube
