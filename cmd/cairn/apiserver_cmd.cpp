// `cairn apiserver`: the embedded Kubernetes API server on its own (see apiserver/server.h).
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "apiserver/server.h"
#include "cmd/cairn/commands.h"

namespace cairn::cmd {
namespace {

struct ApiserverFlags {
  std::string data_dir;
  std::string listen = "127.0.0.1:6443";
  std::string kubeconfig_out;
  bool insecure = false;
  std::size_t watch_history = 0;  // 0 = ApiServerConfig's default
};

int run_apiserver(const ApiserverFlags& flags) {
  sigset_t signals = block_termination_signals();

  apiserver::ApiServerConfig config;
  config.data_dir = flags.data_dir;
  config.listen = flags.listen;
  config.kubeconfig_out = flags.kubeconfig_out;
  config.insecure = flags.insecure;
  if (flags.watch_history > 0) config.watch_history = flags.watch_history;
  auto server = apiserver::ApiServer::start(config);
  if (!server) {
    std::cerr << "cairn apiserver: " << server.error().message << "\n";
    return 1;
  }
  std::cout << "cairn apiserver serving on " << (*server)->url() << "\n"
            << "admin kubeconfig: " << (*server)->kubeconfig().string() << "\n"
            << "  export KUBECONFIG=" << (*server)->kubeconfig().string() << "\n"
            << std::flush;
  int received = 0;
  sigwait(&signals, &received);
  std::cout << "cairn apiserver: " << (received == SIGTERM ? "SIGTERM" : "SIGINT")
            << " received, shutting down\n"
            << std::flush;
  (*server)->stop();
  return 0;
}

}  // namespace

void add_apiserver_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ApiserverFlags>();
  CLI::App* cmd = app.add_subcommand(
      "apiserver",
      "Run the embedded Kubernetes API server (SQLite storage, HTTPS, admin kubeconfig)");
  cmd->add_option("--data-dir", flags->data_dir, "Directory for the database and certificates")
      ->required();
  cmd->add_option("--listen", flags->listen, "Address to serve on, HOST:PORT")
      ->capture_default_str();
  cmd->add_option("--kubeconfig-out", flags->kubeconfig_out,
                  "Where to write the admin kubeconfig (default DATA_DIR/admin.kubeconfig)");
  cmd->add_option("--watch-history", flags->watch_history,
                  "Events kept in memory for watches that resume from an older resourceVersion "
                  "(older ones get 410 Gone and relist); default 2000")
      ->check(CLI::Range(std::size_t{100}, std::size_t{10'000'000}));
  cmd->add_flag("--insecure", flags->insecure,
                "Serve plain HTTP without authentication (loopback addresses only)");
  cmd->callback([flags, &exit_code] { exit_code = run_apiserver(*flags); });
}

}  // namespace cairn::cmd
