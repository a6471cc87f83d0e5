// Tests of the HTTP(S) transport (apiserver/http.h) through real sockets.
#include <stdio.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "apiserver/http.h"
#include "apiserver/pki.h"
#include "tests/common/eventually.h"
#include "tests/apiserver/http_test_client.h"

namespace {

using namespace cairn::apiserver;
using cairn::apiserver::testing::HttpTestClient;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A ResponseStream fed by the test: push() chunks, finish() ends it; records close().
class QueueStream final : public ResponseStream {
 public:
  std::optional<std::string> next(std::chrono::milliseconds max_wait) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, max_wait, [this] { return !queue_.empty() || finished_ || closed_; });
    if (closed_) return std::nullopt;
    if (!queue_.empty()) {
      std::string c = std::move(queue_.front());
      queue_.pop_front();
      return c;
    }
    if (finished_) return std::nullopt;
    return std::string();
  }
  void close() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++close_calls_;
    closed_ = true;
    cv_.notify_all();
  }
  void push(std::string chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
  }
  void finish() {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }
  int close_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return close_calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool finished_ = false;
  bool closed_ = false;
  int close_calls_ = 0;
};

using ::cairn::testing::eventually;

// Echoes the request as JSON.
HttpResponse echo(HttpRequest& req) {
  nlohmann::json j = {{"method", req.method},        {"target", req.target}, {"path", req.path},
                      {"query", req.query},          {"body", req.body},     {"tls", req.tls},
                      {"remote", req.remote_address}};
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : req.headers) headers.push_back({k, v});
  j["headers"] = headers;
  if (req.client_certificate) {
    j["cn"] = req.client_certificate->common_name;
    j["o"] = req.client_certificate->organizations;
  }
  HttpResponse r;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = j.dump();
  return r;
}

std::unique_ptr<HttpServer> start_server(HttpServerOptions options, HttpHandler handler = echo) {
  auto server = HttpServer::start(options, std::move(handler));
  REQUIRE(server.has_value());
  return std::move(*server);
}

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cairn-http-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("several requests reuse one keep-alive connection", "[http]") {
  auto server = start_server({});
  HttpTestClient client(server->port());
  std::string first_remote;
  for (int i = 0; i < 3; ++i) {
    auto r = client.request("POST", "/api/v1/x?watch=1&a=%20b", {{"X-Test", "v"}},
                            "body" + std::to_string(i));
    REQUIRE(r.status == 200);
    auto j = nlohmann::json::parse(r.body);
    CHECK(j["method"] == "POST");
    CHECK(j["path"] == "/api/v1/x");
    CHECK(j["query"] == "watch=1&a=%20b");
    CHECK(j["body"] == "body" + std::to_string(i));
    CHECK(j["tls"] == false);
    CHECK(j["headers"].dump().find(R"(["x-test","v"])") != std::string::npos);
    CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
    if (i == 0) first_remote = j["remote"];
    CHECK(j["remote"] == first_remote);
  }
  CHECK(first_remote.rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("an oversized body gets 413 with kube's Status", "[http]") {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = start_server(options);
  HttpTestClient client(server->port());
  auto r = client.request("POST", "/x", {}, std::string(5000, 'a'));
  REQUIRE(r.status == 413);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["kind"] == "Status");
  CHECK(j["reason"] == "RequestEntityTooLarge");
  CHECK(j["message"] == "Request entity too large: limit is 1024");
  CHECK(j["code"] == 413);

  // A chunked body beyond the limit too, and a body at the limit passes.
  std::string raw = client.raw_exchange(
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
      std::string(0x800, 'b') + "\r\n0\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
  HttpTestClient again(server->port());
  CHECK(again.request("POST", "/x", {}, std::string(1024, 'c')).status == 200);
}

TEST_CASE("the default body limit is kube's 3 MiB", "[http]") {
  auto server = start_server({});
  HttpTestClient client(server->port());
  auto r = client.raw_exchange("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3145729\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(r.find("Request entity too large: limit is 3145728") != std::string::npos);
}

TEST_CASE("malformed requests get 400 and the server keeps serving", "[http]") {
  auto server = start_server({});
  for (const std::string bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    HttpTestClient client(server->port());
    const std::string r = client.raw_exchange(bad);
    INFO(bad);
    CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(r.find("\"reason\":\"BadRequest\"") != std::string::npos);
  }
  HttpTestClient client(server->port());
  CHECK(client.request("GET", "/ok").status == 200);
}

TEST_CASE("a header block beyond the limit gets 431", "[http]") {
  HttpServerOptions options;
  options.max_header_bytes = 2048;
  auto server = start_server(options);
  HttpTestClient client(server->port());
  const std::string r =
      client.raw_exchange("GET / HTTP/1.1\r\nX-Big: " + std::string(4096, 'x') + "\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 431", 0) == 0);
}

TEST_CASE("HTTP/1.0 and Connection: close end the connection after the response", "[http]") {
  auto server = start_server({});
  HttpTestClient client(server->port(), std::nullopt, "127.0.0.1", seconds(5));
  const auto start = Clock::now();
  std::string r = client.raw_exchange("GET /a HTTP/1.0\r\n\r\n");
  CHECK(r.rfind("HTTP/1.0 200", 0) == 0);
  r = client.raw_exchange("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.find("\"path\":\"/a\"") != std::string::npos);
  // Both returned because the server closed, not because the 5 s client timeout passed.
  CHECK(Clock::now() - start < seconds(4));
}

TEST_CASE("the response head: fields in order, framing by the transport, no injected lines",
          "[http]") {
  auto server = start_server({}, [](HttpRequest&) {
    HttpResponse r;
    r.status = 201;
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("Content-Length", "999");  // the transport's to set
    r.headers.emplace_back("Connection", "upgrade");
    r.headers.emplace_back("Warning", "299 - \"field a\r\nX-Injected: 1\"");
    r.body = "{}";
    return r;
  });
  HttpTestClient client(server->port(), std::nullopt, "127.0.0.1", seconds(5));
  std::string r = client.raw_exchange(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  CHECK(r ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Warning: 299 - \"field a  X-Injected: 1\"\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\n{}");
  // HEAD: the head of the GET, no body. HTTP/1.0 keeping the connection says so (the server
  // keeps it open: the exchange ends with the client's one-second timeout).
  HttpTestClient keep(server->port(), std::nullopt, "127.0.0.1", seconds(1));
  r = keep.raw_exchange("HEAD /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(r.rfind("HTTP/1.0 201 Created\r\n", 0) == 0);
  CHECK(r.find("Content-Length: 2\r\nConnection: keep-alive\r\n\r\n") != std::string::npos);
  CHECK(r.find("{}") == std::string::npos);
}

TEST_CASE("pipelined requests are answered in order", "[http]") {
  auto server = start_server({});
  HttpTestClient client(server->port());
  const std::string r = client.raw_exchange(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n");
  const auto one = r.find("\"path\":\"/one\"");
  const auto two = r.find("\"path\":\"/two\"");
  REQUIRE(one != std::string::npos);
  REQUIRE(two != std::string::npos);
  CHECK(one < two);
}

TEST_CASE("Expect: 100-continue gets an interim response before the body", "[http]") {
  HttpServerOptions options;
  options.read_timeout = seconds(1);
  auto server = start_server(options);
  HttpTestClient client(server->port());
  // The body never comes: the server asks for it, then gives up after the read timeout.
  std::string r = client.raw_exchange(
      "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(r == "HTTP/1.1 100 Continue\r\n\r\n");
  // A body sent along with the header needs no interim response.
  r = client.raw_exchange(
      "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\nhi");
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.find("\"body\":\"hi\"") != std::string::npos);
}

TEST_CASE("a handler that throws gives 500 and the server survives", "[http]") {
  auto server = start_server({}, [](HttpRequest& req) -> HttpResponse {
    if (req.path == "/throw") throw std::runtime_error("boom");
    return HttpResponse{};
  });
  HttpTestClient client(server->port());
  auto r = client.request("GET", "/throw");
  CHECK(r.status == 500);
  CHECK(nlohmann::json::parse(r.body)["message"] == "Internal error occurred: boom");
  CHECK(client.request("GET", "/fine").status == 200);
}

TEST_CASE("a streamed response delivers each chunk promptly", "[http][stream]") {
  auto stream = std::make_shared<QueueStream>();
  auto server = start_server({}, [stream](HttpRequest&) {
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json");
    r.stream = stream;
    return r;
  });
  HttpTestClient client(server->port());
  auto watch = client.open_stream("GET", "/watch");
  REQUIRE(watch->status() == 200);
  bool chunked = false;
  for (const auto& [k, v] : watch->headers())
    if (boost::beast::iequals(k, "Transfer-Encoding") && v == "chunked") chunked = true;
  CHECK(chunked);
  for (int i = 0; i < 3; ++i) {
    const std::string event = "{\"type\":\"ADDED\",\"n\":" + std::to_string(i) + "}\n";
    const auto pushed = Clock::now();
    stream->push(event);
    auto chunk = watch->next_chunk(seconds(2));
    REQUIRE(chunk.has_value());
    CHECK(*chunk == event);
    CHECK(Clock::now() - pushed < milliseconds(500));
  }
  CHECK_FALSE(watch->next_chunk(milliseconds(100)).has_value());
  CHECK_FALSE(watch->ended());
  stream->push("{\"a\":1}\n{\"b\"");
  stream->push(":2}\n");
  CHECK(watch->next_line(seconds(2)) == std::optional<std::string>("{\"a\":1}"));
  CHECK(watch->next_line(seconds(2)) == std::optional<std::string>("{\"b\":2}"));
  CHECK(stream->close_calls() == 0);
}

TEST_CASE("the stream's close() is called when the client disconnects", "[http][stream]") {
  auto stream = std::make_shared<QueueStream>();
  auto server = start_server({}, [stream](HttpRequest&) {
    HttpResponse r;
    r.stream = stream;
    return r;
  });
  HttpTestClient client(server->port());
  auto watch = client.open_stream("GET", "/watch");
  stream->push("x");
  REQUIRE(watch->next_chunk(seconds(2)) == std::optional<std::string>("x"));
  watch->close();
  CHECK(eventually([&] { return stream->close_calls() == 1; }));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK(stream->close_calls() == 1);
}

TEST_CASE("a stream that ends sends the last chunk and keeps the connection", "[http][stream]") {
  auto server = start_server({}, [](HttpRequest& req) {
    HttpResponse r;
    if (req.path == "/watch") {
      auto s = std::make_shared<QueueStream>();
      s->push("a");
      s->push("b");
      s->finish();
      r.stream = s;
    } else {
      r.body = req.remote_address;
    }
    return r;
  });
  HttpTestClient client(server->port());
  // Read through request(): the whole chunked body arrives and the response completes.
  auto r = client.request("GET", "/watch");
  CHECK(r.status == 200);
  CHECK(r.body == "ab");
  const std::string remote1 = client.request("GET", "/who").body;
  const std::string remote2 = client.request("GET", "/who").body;
  CHECK(remote1 == remote2);
}

TEST_CASE("stop() returns promptly with idle and streaming connections open", "[http][stream]") {
  auto stream = std::make_shared<QueueStream>();
  auto server = start_server({}, [stream](HttpRequest& req) {
    HttpResponse r;
    if (req.path == "/watch") r.stream = stream;
    return r;
  });
  HttpTestClient idle(server->port());
  REQUIRE(idle.request("GET", "/").status == 200);
  HttpTestClient watching(server->port());
  auto watch = watching.open_stream("GET", "/watch");
  REQUIRE(watch->status() == 200);
  HttpTestClient half(server->port());
  std::thread partial([&] { half.raw_exchange("GET / HTTP/1.1\r\nHost"); });

  std::this_thread::sleep_for(milliseconds(100));  // let the partial request arrive
  const auto start = Clock::now();
  server->stop();
  const auto took = Clock::now() - start;
  CHECK(took < seconds(1));
  CHECK(stream->close_calls() == 1);
  partial.join();
  CHECK_FALSE(watch->next_chunk(seconds(2)).has_value());
  CHECK(watch->ended());
  server->stop();  // idempotent
}

TEST_CASE("a client that sends a request too slowly is disconnected", "[http]") {
  HttpServerOptions options;
  options.read_timeout = seconds(1);
  options.idle_timeout = seconds(1);
  auto server = start_server(options);
  HttpTestClient client(server->port(), std::nullopt, "127.0.0.1", seconds(10));
  auto start = Clock::now();
  const std::string r = client.raw_exchange("GET / HTTP/1.1\r\nHost: x\r\n");
  CHECK(r.empty());
  CHECK(Clock::now() - start < seconds(4));

  // An idle keep-alive connection is closed too.
  start = Clock::now();
  CHECK(client.raw_exchange("").empty());
  CHECK(Clock::now() - start < seconds(4));
}

TEST_CASE("connections beyond max_connections get 503", "[http]") {
  HttpServerOptions options;
  options.max_connections = 1;
  auto server = start_server(options);
  HttpTestClient first(server->port());
  REQUIRE(first.request("GET", "/").status == 200);
  HttpTestClient second(server->port());
  const std::string r = second.raw_exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(r.find("ServiceUnavailable") != std::string::npos);
  first.disconnect();
  CHECK(eventually([&] {
    HttpTestClient third(server->port());
    try {
      return third.request("GET", "/").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }));
}

TEST_CASE("start() reports a port in use and bad certificate files", "[http]") {
  auto server = start_server({});
  HttpServerOptions same;
  same.port = server->port();
  auto clash = HttpServer::start(same, echo);
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().message.find("cannot listen on 127.0.0.1:" +
                                   std::to_string(server->port())) == 0);

  HttpServerOptions tls;
  tls.tls = TlsFiles{"/nonexistent/cert.pem", "/nonexistent/key.pem", {}};
  auto bad = HttpServer::start(tls, echo);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("/nonexistent/cert.pem") != std::string::npos);
}

TEST_CASE("TLS reports a verified client certificate and no unverified one", "[http][tls]") {
  const auto dir = temp_dir("tls");
  auto pki = ensure_pki(dir / "pki", {});
  REQUIRE(pki.has_value());
  auto other = ensure_pki(dir / "other", {});  // a CA the server does not trust
  REQUIRE(other.has_value());
  HttpServerOptions options;
  options.tls = TlsFiles{pki->serving_cert, pki->serving_key, pki->ca_cert};
  auto server = start_server(options);

  SECTION("without a client certificate") {
    HttpTestClient client(server->port(), HttpTestClient::Tls{pki->ca_cert});
    auto j = nlohmann::json::parse(client.request("GET", "/x").body);
    CHECK(j["tls"] == true);
    CHECK_FALSE(j.contains("cn"));
    // The same connection serves again.
    CHECK(nlohmann::json::parse(client.request("GET", "/y").body)["remote"] == j["remote"]);
  }
  SECTION("with the admin client certificate") {
    HttpTestClient client(server->port(),
                          HttpTestClient::Tls{pki->ca_cert, pki->admin_cert, pki->admin_key});
    auto j = nlohmann::json::parse(client.request("GET", "/x").body);
    CHECK(j["cn"] == "kubernetes-admin");
    CHECK(j["o"] == nlohmann::json::array({"system:masters"}));
  }
  SECTION("with a certificate from another CA") {
    HttpTestClient client(server->port(),
                          HttpTestClient::Tls{pki->ca_cert, other->admin_cert, other->admin_key});
    auto j = nlohmann::json::parse(client.request("GET", "/x").body);
    CHECK(j["tls"] == true);
    CHECK_FALSE(j.contains("cn"));
  }
  SECTION("without SNI, by IP address") {
    HttpTestClient client(server->port(), HttpTestClient::Tls{pki->ca_cert, {}, {}, ""});
    CHECK(client.request("GET", "/x").status == 200);
  }
  SECTION("a plain HTTP request to the TLS port gets no answer but does not hurt") {
    HttpTestClient plain(server->port(), std::nullopt, "127.0.0.1", seconds(3));
    const std::string r = plain.raw_exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r.find("HTTP/1.1 200") == std::string::npos);
    HttpTestClient client(server->port(), HttpTestClient::Tls{pki->ca_cert});
    CHECK(client.request("GET", "/x").status == 200);
  }
  SECTION("chunked streams work over TLS") {
    auto stream = std::make_shared<QueueStream>();
    auto tls_stream_server = start_server(options, [stream](HttpRequest&) {
      HttpResponse r;
      r.stream = stream;
      return r;
    });
    HttpTestClient client(tls_stream_server->port(), HttpTestClient::Tls{pki->ca_cert});
    auto watch = client.open_stream("GET", "/watch");
    stream->push("event\n");
    CHECK(watch->next_line(seconds(2)) == std::optional<std::string>("event"));
    watch->close();
    CHECK(eventually([&] { return stream->close_calls() == 1; }));
  }
  server->stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("kubectl reaches the TLS server with the written kubeconfig", "[http][tls][kubectl]") {
  if (!std::filesystem::exists("/usr/bin/kubectl")) {
    WARN("kubectl not installed; skipped");
    return;
  }
  const auto dir = temp_dir("kubectl");
  auto pki = ensure_pki(dir / "pki", {"localhost"});
  REQUIRE(pki.has_value());
  HttpServerOptions options;
  options.tls = TlsFiles{pki->serving_cert, pki->serving_key, pki->ca_cert};
  std::mutex mu;
  std::vector<std::string> users;
  auto server = start_server(options, [&](HttpRequest& req) {
    {
      std::lock_guard<std::mutex> lock(mu);
      users.push_back(req.client_certificate ? req.client_certificate->common_name : "");
    }
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json");
    if (req.path == "/version") {
      r.body = R"({"major":"1","minor":"31","gitVersion":"v1.31.0"})";
    } else if (req.path == "/x") {
      r.body = R"({"hello":"kubectl"})";
    } else {
      r.status = 404;
      r.body =
          to_json(Status{StatusCode::kNotFound, "the server could not find the requested resource"})
              .dump();
    }
    return r;
  });
  const auto kubeconfig = dir / "kubeconfig";
  REQUIRE(write_kubeconfig(kubeconfig, "https://127.0.0.1:" + std::to_string(server->port()), &*pki)
              .has_value());
  const std::string cmd = "/usr/bin/kubectl --kubeconfig " + kubeconfig.string() +
                          " --request-timeout=20s get --raw /x 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int rc = ::pclose(p);
  INFO(out);
  CHECK(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 0);
  CHECK(out.find(R"({"hello":"kubectl"})") != std::string::npos);
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE_FALSE(users.empty());
    for (const auto& u : users) CHECK(u == "kubernetes-admin");
  }
  server->stop();
  std::filesystem::remove_all(dir);
}
