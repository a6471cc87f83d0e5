// cairn: the cluster-stack lifecycle operator. main() only parses the command
// line and dispatches to a subcommand (one file per subcommand).
#include <signal.h>

#include <CLI/CLI.hpp>

#include "cmd/cairn/commands.h"

int main(int argc, char** argv) {
  // A peer that closes a connection must not kill the process: libgit2 and other socket
  // writers rely on EPIPE errors, not on the signal.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"cairn - cluster-stack lifecycle operator for Cluster API", "cairn"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  int exit_code = 0;
  cairn::cmd::add_render_command(app, exit_code);
  cairn::cmd::add_template_command(app, exit_code);
  cairn::cmd::add_apiserver_command(app, exit_code);
  cairn::cmd::add_manager_command(app, exit_code);
  cairn::cmd::add_up_command(app, exit_code);
  cairn::cmd::add_releases_command(app, exit_code);
  cairn::cmd::add_crds_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 1 like any other error.
    return app.exit(e) == 0 ? 0 : 1;
  }
  return exit_code;
}
