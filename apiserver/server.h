// ApiServer: the whole embedded control plane in one object — store, resource registry,
// request handler, the namespace / garbage-collection / CRD controllers, certificates and the
// HTTP(S) listener. `cairn apiserver` and `cairn up` create one; integration tests too.
//
// Layout of the data directory:
//   <data-dir>/store/   SQLite databases (WAL): cairn.db and its key index, see store.h
//   <data-dir>/pki/     CA, serving and admin certificates, static token file (pki.h)
//   <data-dir>/admin.kubeconfig   unless ApiServerConfig::kubeconfig_out names another file
//
// Thread-safety: start() and stop() from one thread; the accessors from any.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "apiserver/status.h"

namespace cairn::apiserver {

struct ApiServerConfig {
  std::filesystem::path data_dir;
  // "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 picks a free port (see ApiServer::port()).
  std::string listen = "127.0.0.1:6443";
  // Plain HTTP without authentication (every request acts as the admin). Only allowed on a
  // loopback address: kubectl sends no credentials over plain HTTP, so anybody who can connect
  // is admin.
  bool insecure = false;
  std::filesystem::path kubeconfig_out;  // "" = <data-dir>/admin.kubeconfig
  // Events kept in memory for watches that resume from an older resourceVersion (older ones
  // get 410 and relist). Each costs about one object in memory: 2000 keeps RSS near 40 MiB
  // with 10,000 stored objects (10,000 history events would add ~90 MiB).
  std::size_t watch_history = 2000;
};

class ApiServer {
 public:
  // Opens the store (exclusive: a second server on the same data dir fails), creates or loads
  // the certificates, seeds the default namespaces, registers stored CRDs, starts the
  // controllers and the listener, and writes the admin kubeconfig. Errors say what failed
  // (bad --listen, port in use, data dir locked or unwritable, ...).
  static Result<std::unique_ptr<ApiServer>> start(const ApiServerConfig& config);
  ~ApiServer();  // stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // https://127.0.0.1:PORT (http:// when insecure)
  const std::filesystem::path& kubeconfig() const;

  // Stops the listener (open watches end), the controllers and the store (pending writes are
  // committed first). Idempotent.
  void stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" / "[v6]:PORT"; BadRequest with the reason otherwise.
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& listen);
// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace cairn::apiserver
