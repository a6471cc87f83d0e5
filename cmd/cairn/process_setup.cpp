// Process-wide set-up shared by the long-running commands (apiserver, manager, up).
#include <signal.h>

#include <iostream>

#include "cmd/cairn/commands.h"
#include "kube/log.h"

namespace cairn::cmd {

sigset_t block_termination_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer that disconnects mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

bool configure_logging_flags(std::string_view command, const std::string& log_format,
                             const std::string& log_level) {
  auto format = kube::parse_log_format(log_format);
  auto level = kube::parse_log_level(log_level);
  if (!format || !level) {
    std::cerr << "cairn " << command << ": "
              << (!format ? "--log-format must be json or text"
                          : "--log-level must be debug, info, warn or error")
              << "\n";
    return false;
  }
  kube::configure_logging(*format, *level);
  return true;
}

}  // namespace cairn::cmd
