// ApiHandler: the Kubernetes API request handler of the embedded API server.
//
// It turns one HTTP request into one response, doing what kube-apiserver does for the served
// resources: authentication, discovery (/api, /apis, legacy and aggregated), /version, OpenAPI
// v3, health endpoints, and get / list / watch / create / update / patch (merge, JSON,
// strategic, apply) / delete / deletecollection on every resource of the Registry, including
// the status, scale and namespaces/finalize subresources, CRD registration and custom resource
// pruning, defaulting, validation and version conversion. Every error becomes a `kind: Status`
// body. Specification: shared/design/kube-api.md.
//
// Ownership: the handler refers to the Store and Registry given to the constructor; both must
// outlive it, and watch streams it returned (they hold the Store's Watch objects, which may
// outlive the Store and are then closed). Thread-safety: handle() may be called concurrently
// from any number of threads; start() once before serving.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "apiserver/http.h"
#include "apiserver/resources.h"
#include "apiserver/status.h"
#include "apiserver/store.h"

namespace cairn::apiserver {

class Authenticator;

struct ApiHandlerOptions {
  bool insecure = false;                         // plain HTTP: every request acts as admin
  const Authenticator* authenticator = nullptr;  // TLS: tokens / client certs; none -> 401
  std::string server_address;                    // host:port for /api serverAddressByClientCIDRs
  std::chrono::seconds watch_bookmark_interval{60};
  std::size_t max_list_limit = 0;  // 0 = no cap
};

class ApiHandler {
 public:
  ApiHandler(Store& store, Registry& registry, ApiHandlerOptions options);
  ~ApiHandler();
  ApiHandler(const ApiHandler&) = delete;
  ApiHandler& operator=(const ApiHandler&) = delete;

  // Seeds the default namespaces (default, kube-system, kube-public, kube-node-lease) when
  // missing and registers every stored CRD in the registry (server start-up).
  Result<void> start();

  // One HTTP request -> response (Status bodies for every error; never throws).
  HttpResponse handle(HttpRequest& request);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::apiserver
