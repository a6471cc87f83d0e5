// Subcommands of the `cairn` binary. Each registers its flags on the CLI11 app
// and returns the callback state; main() runs the chosen one.
#pragma once

#include <signal.h>

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace cairn::cmd {

// Blocks SIGTERM and SIGINT in the calling thread (call it before any thread starts, so every
// thread inherits the mask and they reach only sigwait()), ignores SIGPIPE, and returns the
// set to sigwait() on.
sigset_t block_termination_signals();

// Parses --log-format (json|text) and --log-level (debug|info|warn|error) and configures the
// process logger; on a bad value prints "cairn COMMAND: ..." to stderr and returns false.
bool configure_logging_flags(std::string_view command, const std::string& log_format,
                             const std::string& log_level);

// `cairn render CHART ...`: what `helm template` prints.
void add_render_command(CLI::App& app, int& exit_code);
// `cairn template --mode helm|gotpl --data DATA.json FILE`: one template file.
void add_template_command(CLI::App& app, int& exit_code);
// `cairn apiserver --data-dir DIR [--listen H:P] [--kubeconfig-out F] [--insecure]`.
void add_apiserver_command(CLI::App& app, int& exit_code);
// `cairn manager [--kubeconfig F] [--leader-elect] ...`: the operator (kube/manager.h).
void add_manager_command(CLI::App& app, int& exit_code);
// `cairn up [--data-dir DIR] [--listen H:P] [--demo] ...`: API server, CRDs and controllers in
// one process on this machine.
void add_up_command(CLI::App& app, int& exit_code);

// `cairn releases list|fetch SOURCE_URL ...`: release feeds and the asset cache (sources/).
void add_releases_command(CLI::App& app, int& exit_code);

// `cairn crds [--capi]`: the CRDs to install, as a JSON List.
void add_crds_command(CLI::App& app, int& exit_code);

}  // namespace cairn::cmd
