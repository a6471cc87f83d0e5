// ProbeServer: a small plain-HTTP endpoint for what a cluster scrapes and probes — `/metrics`
// (Prometheus text format), `/healthz` and `/readyz` (named checks, kube-apiserver style:
// `ok` or a list of `[+]name ok` / `[-]name failed: reason` lines with `?verbose`, and
// `/healthz/<check>` for one check). The manager runs one for metrics
// (--metrics-bind-address) and one for probes (--health-probe-bind-address); both may be the
// same server.
//
// Addresses are "HOST:PORT", ":PORT" (all interfaces) or "[v6]:PORT"; port 0 picks a free port.
// Requests are served by one I/O thread; each connection has a 10 s deadline, bodies are not
// read (GET and HEAD only; anything else gets 405).
//
// Thread-safety: add_*_check may be called from any thread at any time; checks run on the I/O
// thread and must be quick and thread-safe. stop() (also from the destructor) joins the thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kube/error.h"
#include "kube/log.h"
#include "kube/metrics.h"

namespace cairn::kube {

// A health or readiness check: nullopt when fine, else why not.
using ProbeCheck = std::function<std::optional<std::string>()>;

struct ProbeServerOptions {
  std::string address;         // see above
  Metrics* metrics = nullptr;  // serves /metrics when set
  bool probes = true;          // serves /healthz and /readyz
  Logger logger = Logger::root();
};

// "HOST:PORT" / ":PORT" / "[v6]:PORT" -> (host, port); host "" means all interfaces.
Result<std::pair<std::string, std::uint16_t>> parse_bind_address(const std::string& address);

class ProbeServer {
 public:
  // Binds and starts serving; kConfig error naming the address when it cannot bind.
  static Result<std::unique_ptr<ProbeServer>> start(ProbeServerOptions options);
  ~ProbeServer();
  ProbeServer(const ProbeServer&) = delete;
  ProbeServer& operator=(const ProbeServer&) = delete;

  void add_healthz_check(const std::string& name, ProbeCheck check);
  void add_readyz_check(const std::string& name, ProbeCheck check);
  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  explicit ProbeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::kube
