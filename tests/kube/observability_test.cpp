// Structured logs, the metrics registry and its text format, and the probe server.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "kube/log.h"
#include "kube/metrics.h"
#include "kube/probe_server.h"
#include "kube/transport.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_CASE("JSON logs carry ts, level, msg and context fields", "[log]") {
  std::ostringstream out;
  Logger base = Logger::to_stream(out, LogFormat::kJson, LogLevel::kInfo);
  Logger log = base.with({{"controller", "clusterstack"}, {"namespace", "ns1"}});
  log.info("reconciled", {{"name", "ferrol"}, {"seconds", 0.25}});
  log.debug("dropped below the level");
  log.with("namespace", "ns2").error("failed \"quoted\"\nline", {{"error", "boom"}});
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  auto first = json::parse(lines[0]);
  CHECK(first["level"] == "info");
  CHECK(first["msg"] == "reconciled");
  CHECK(first["controller"] == "clusterstack");
  CHECK(first["namespace"] == "ns1");
  CHECK(first["name"] == "ferrol");
  CHECK(first["seconds"] == 0.25);
  const std::string ts = first["ts"];
  CHECK(ts.size() == 27);  // 2026-11-30T20:31:07.123456Z
  CHECK(ts.back() == 'Z');
  auto second = json::parse(lines[1]);
  CHECK(second["level"] == "error");
  CHECK(second["namespace"] == "ns2");  // later context wins
  CHECK(second["msg"] == "failed \"quoted\"\nline");
}

TEST_CASE("text logs are one line with key=value fields", "[log]") {
  std::ostringstream out;
  Logger log = Logger::to_stream(out, LogFormat::kText, LogLevel::kDebug).with("kind", "Lease");
  log.debug("watch opened", {{"rv", "42"}, {"why", "has spaces"}, {"kind", "ConfigMap"}});
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" DEBUG watch opened") != std::string::npos);
  CHECK(lines[0].find(" rv=42") != std::string::npos);
  CHECK(lines[0].find(" why=\"has spaces\"") != std::string::npos);
  CHECK(lines[0].find("kind=ConfigMap") != std::string::npos);
  CHECK(lines[0].find("kind=Lease") == std::string::npos);  // overridden by the record's field
}

TEST_CASE("log levels and formats parse", "[log]") {
  CHECK(parse_log_level("debug") == LogLevel::kDebug);
  CHECK(parse_log_level("warning") == LogLevel::kWarn);
  CHECK_FALSE(parse_log_level("loud"));
  CHECK(parse_log_format("json") == LogFormat::kJson);
  CHECK_FALSE(parse_log_format("xml"));
  std::ostringstream out;
  Logger log = Logger::to_stream(out, LogFormat::kJson, LogLevel::kWarn);
  CHECK_FALSE(log.enabled(LogLevel::kInfo));
  CHECK(log.enabled(LogLevel::kError));
}

TEST_CASE("metrics render in the Prometheus text format with the known names", "[metrics]") {
  Metrics metrics;
  auto c = metrics.controller("clusterstack");
  c.reconcile_success->Increment();
  c.reconcile_success->Increment();
  c.reconcile_errors->Increment();
  c.reconcile_time->Observe(0.02);
  auto q = metrics.workqueue("clusterstack");
  q.adds->Increment(3);
  q.depth->Set(1);
  metrics.leader_election_status("clusterstack.x-k8s.io").Set(1);
  RequestMetrics requests;
  requests.record("200", "GET", "127.0.0.1:6443");
  requests.record("200", "GET", "127.0.0.1:6443");
  requests.record("404", "GET", "127.0.0.1:6443");
  std::string text;
  {
    auto handle = metrics.add_request_source(requests);
    text = metrics.text();
  }
  CHECK(text.find("# TYPE controller_runtime_reconcile_total counter") != std::string::npos);
  CHECK(
      text.find(
          R"(controller_runtime_reconcile_total{controller="clusterstack",result="success"} 2)") !=
      std::string::npos);
  CHECK(text.find(R"(controller_runtime_reconcile_errors_total{controller="clusterstack"} 1)") !=
        std::string::npos);
  CHECK(
      text.find(
          R"(controller_runtime_reconcile_time_seconds_bucket{controller="clusterstack",le="0.025"} 1)") !=
      std::string::npos);
  CHECK(text.find(R"(workqueue_adds_total{name="clusterstack"} 3)") != std::string::npos);
  CHECK(text.find(R"(workqueue_depth{name="clusterstack"} 1)") != std::string::npos);
  CHECK(text.find(R"(leader_election_master_status{name="clusterstack.x-k8s.io"} 1)") !=
        std::string::npos);
  CHECK(
      text.find(R"(rest_client_requests_total{code="200",host="127.0.0.1:6443",method="GET"} 2)") !=
      std::string::npos);
  CHECK(
      text.find(R"(rest_client_requests_total{code="404",host="127.0.0.1:6443",method="GET"} 1)") !=
      std::string::npos);
  // The source is gone with its handle.
  CHECK(metrics.text().find(R"(code="200")") == std::string::npos);
  // Asking again for the same controller gives the same series.
  CHECK(metrics.controller("clusterstack").reconcile_success == c.reconcile_success);
}

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

HttpAnswer http_get(std::uint16_t port, const std::string& target,
                    boost::beast::http::verb verb = boost::beast::http::verb::get) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(verb == http::verb::head);  // a HEAD answer has Content-Length but no body
  http::read(stream, buffer, parser);
  const auto& res = parser.get();
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          res.body()};
}

TEST_CASE("the probe server serves /metrics, /healthz and /readyz", "[probe]") {
  Metrics metrics;
  metrics.controller("c1").reconcile_success->Increment();
  std::ostringstream logs;
  ProbeServerOptions options;
  options.address = "127.0.0.1:0";
  options.metrics = &metrics;
  options.logger = Logger::to_stream(logs, LogFormat::kJson, LogLevel::kInfo);
  auto server = ProbeServer::start(options);
  REQUIRE(server);
  const auto port = (*server)->port();
  REQUIRE(port != 0);

  auto m = http_get(port, "/metrics");
  CHECK(m.status == 200);
  CHECK(m.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(m.body.find(R"(controller_runtime_reconcile_total{controller="c1",result="success"} 1)") !=
        std::string::npos);

  // No checks: healthy.
  CHECK(http_get(port, "/healthz").body == "ok");
  std::atomic<bool> synced{false};
  (*server)->add_healthz_check("ping", [] { return std::optional<std::string>(); });
  (*server)->add_readyz_check("informers", [&synced]() -> std::optional<std::string> {
    if (synced) return std::nullopt;
    return std::string("ConfigMap informer has not synced yet");
  });
  auto not_ready = http_get(port, "/readyz");
  CHECK(not_ready.status == 500);
  CHECK(not_ready.body.find("[-]informers failed: ConfigMap informer has not synced yet") !=
        std::string::npos);
  CHECK(logs.str().find("readyz check failed") != std::string::npos);
  synced = true;
  CHECK(http_get(port, "/readyz").status == 200);
  CHECK(http_get(port, "/readyz").body == "ok");
  auto verbose = http_get(port, "/readyz?verbose");
  CHECK(verbose.body == "[+]informers ok\nreadyz check passed\n");
  CHECK(http_get(port, "/healthz/ping").status == 200);
  CHECK(http_get(port, "/healthz/nope").status == 404);
  CHECK(http_get(port, "/nowhere").status == 404);
  CHECK(http_get(port, "/healthz", boost::beast::http::verb::post).status == 405);
  auto head = http_get(port, "/healthz", boost::beast::http::verb::head);
  CHECK(head.status == 200);
  (*server)->stop();
  (*server)->stop();  // idempotent
}

TEST_CASE("probe server addresses are checked", "[probe]") {
  CHECK(parse_bind_address(":8080").value() == std::make_pair(std::string(), std::uint16_t{8080}));
  CHECK(parse_bind_address("127.0.0.1:0").value().first == "127.0.0.1");
  CHECK(parse_bind_address("[::1]:9440").value().first == "::1");
  for (const char* bad : {"8080", "nonsense", ":99999", "host:", "[::1]9440", "a:b:c"}) {
    auto parsed = parse_bind_address(bad);
    CHECK_FALSE(parsed);
    if (!parsed) CHECK(parsed.error().message.find(bad) != std::string::npos);
  }
  // A taken port is a clear error, not a crash.
  ProbeServerOptions options;
  options.address = "127.0.0.1:0";
  auto first = ProbeServer::start(options);
  REQUIRE(first);
  options.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = ProbeServer::start(options);
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("cannot listen on 127.0.0.1:") != std::string::npos);
}

}  // namespace
}  // namespace cairn::kube
