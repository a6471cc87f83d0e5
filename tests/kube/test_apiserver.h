// Test helpers shared by the kube test binaries that talk to a real, in-process
// `cairn apiserver` over HTTPS: starting (and restarting) a server on its own data directory,
// one shared server per binary, clients, namespaces, and polling with a deadline.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "apiserver/server.h"
#include "kube/client.h"
#include "kube/config.h"
#include "tests/common/eventually.h"

namespace cairn::kube::testing {

// An API server on a data directory of its own; the directory is removed with it. The
// kubeconfig it writes is loaded into `config` with client-side rate limiting off.
struct TestApiServer {
  std::filesystem::path dir;
  std::unique_ptr<apiserver::ApiServer> server;
  RestConfig config;

  // Starts (or restarts, on the same data directory) on `listen`; plain HTTP when `insecure`.
  void start(const std::string& listen, std::size_t watch_history = 2000, bool insecure = false) {
    apiserver::ApiServerConfig server_config;
    server_config.data_dir = dir;
    server_config.listen = listen;
    server_config.insecure = insecure;
    server_config.watch_history = watch_history;
    auto started = apiserver::ApiServer::start(server_config);
    if (!started) FAIL("apiserver did not start: " << started.error().message);
    server = std::move(*started);
    KubeconfigOptions options;
    options.path = server->kubeconfig();
    auto loaded = load_kubeconfig(options);
    if (!loaded) FAIL("kubeconfig: " << loaded.error().message);
    config = *loaded;
    config.qps = 0;
  }

  ~TestApiServer() {
    server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// A new server on a free port; `tag` names its data directory.
inline std::unique_ptr<TestApiServer> start_test_apiserver(const std::string& tag,
                                                           std::size_t watch_history = 2000,
                                                           bool insecure = false) {
  auto s = std::make_unique<TestApiServer>();
  s->dir = std::filesystem::temp_directory_path() /
           ("cairn-kube-" + tag + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(s->dir);
  s->start("127.0.0.1:0", watch_history, insecure);
  return s;
}

// One server for the whole test binary; each test works in a namespace of its own. The static
// destructor stops it at exit, before LeakSanitizer looks at the heap.
inline TestApiServer& shared_test_apiserver() {
  static std::unique_ptr<TestApiServer> s = start_test_apiserver("shared");
  return *s;
}

inline std::unique_ptr<Client> test_client(const RestConfig& config) {
  auto client = Client::create(config);
  REQUIRE(client);
  return std::move(*client);
}

inline std::unique_ptr<Client> test_client() { return test_client(shared_test_apiserver().config); }

inline void create_test_namespace(Client& client, const std::string& name) {
  auto created = client.create(
      nlohmann::json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  REQUIRE(created);
}

// A ConfigMap object to create in namespace `ns`.
inline nlohmann::json config_map(const std::string& ns, const std::string& name,
                                 nlohmann::json data = nlohmann::json::object(),
                                 nlohmann::json labels = nlohmann::json::object()) {
  return nlohmann::json{{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
                        {"data", data}};
}

using ::cairn::testing::eventually;  // tests/common/eventually.h

}  // namespace cairn::kube::testing
