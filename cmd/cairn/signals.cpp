#include <signal.h>

#include "cmd/cairn/commands.h"

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

}  // namespace cairn::cmd
