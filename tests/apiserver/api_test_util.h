// Test fixture for the API handler tests: a Store in a temporary directory, a Registry and a
// started ApiHandler, called in-process with HttpRequest values.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "apiserver/handler.h"
#include "apiserver/resources.h"
#include "apiserver/store.h"

namespace cairn::apiserver::testing {

inline constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
    "g=meta.k8s.io,application/json";
inline constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
    "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  nlohmann::json json;  // the parsed body (discarded when not JSON)
  std::shared_ptr<ResponseStream> stream;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k == name) out.push_back(v);
    return out;
  }
};

class ApiFixture {
 public:
  explicit ApiFixture(ApiHandlerOptions options = insecure_options()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-api-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    StoreOptions so;
    so.data_dir = dir_;
    so.compaction_interval = std::chrono::seconds(0);
    auto s = Store::open(so);
    if (!s) FAIL(s.error().message);
    store_ = std::move(*s);
    registry_ = std::make_unique<Registry>();
    handler_ = std::make_unique<ApiHandler>(*store_, *registry_, std::move(options));
    auto started = handler_->start();
    if (!started) FAIL(started.error().message);
  }
  ~ApiFixture() {
    handler_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static ApiHandlerOptions insecure_options() {
    ApiHandlerOptions o;
    o.insecure = true;
    o.server_address = "127.0.0.1:6443";
    return o;
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    r.headers = std::move(headers);
    return send(r);
  }

  Reply send(HttpRequest& r) {
    HttpResponse resp = handler_->handle(r);
    Reply out;
    out.status = resp.status;
    out.headers = resp.headers;
    out.body = resp.body;
    out.stream = resp.stream;
    out.json = nlohmann::json::parse(resp.body, nullptr, false);
    return out;
  }

  Reply get(const std::string& target, const std::string& accept = "application/json") {
    return call("GET", target, "", {{"accept", accept}});
  }
  Reply post(const std::string& target, const nlohmann::json& body) {
    return call("POST", target, body.dump(), {{"content-type", "application/json"}});
  }
  Reply put(const std::string& target, const nlohmann::json& body) {
    return call("PUT", target, body.dump(), {{"content-type", "application/json"}});
  }
  Reply patch(const std::string& target, const std::string& content_type,
              const nlohmann::json& body) {
    return call("PATCH", target, body.dump(), {{"content-type", content_type}});
  }
  Reply del(const std::string& target, const std::string& body = "") {
    return call("DELETE", target, body, {{"content-type", "application/json"}});
  }

  Store& store() { return *store_; }
  Registry& registry() { return *registry_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ApiHandler> handler_;
};

// Reads watch events (one JSON object per line) from a stream until `count` arrived or the
// deadline passed.
inline std::vector<nlohmann::json> read_events(
    ResponseStream& stream, std::size_t count,
    std::chrono::milliseconds deadline = std::chrono::milliseconds(5000)) {
  std::vector<nlohmann::json> events;
  std::string buffer;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (events.size() < count && std::chrono::steady_clock::now() < end) {
    auto chunk = stream.next(std::chrono::milliseconds(50));
    if (!chunk) break;
    buffer += *chunk;
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      events.push_back(nlohmann::json::parse(buffer.substr(0, nl)));
      buffer.erase(0, nl + 1);
    }
  }
  return events;
}

inline nlohmann::json config_map_json(const std::string& name,
                                      const nlohmann::json& data = nlohmann::json::object()) {
  return {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", data}};
}

}  // namespace cairn::apiserver::testing
