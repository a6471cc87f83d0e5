// `cairn render`: render a chart exactly as `helm template` does.
#include <iostream>

#include "cmd/cairn/commands.h"
#include "render/chart.h"

namespace cairn::cmd {

void add_render_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<render::ChartRenderOptions>();
  CLI::App* cmd = app.add_subcommand(
      "render", "Render a chart (directory or .tgz) like `helm template`, without helm");
  cmd->add_option("chart", opts->chart, "chart directory or .tgz")->required();
  cmd->add_option("--name", opts->release_name, "release name")->capture_default_str();
  cmd->add_option("-n,--namespace", opts->namespace_name, "release namespace")
      ->capture_default_str();
  cmd->add_option("--kube-version", opts->kube_version,
                  "Kubernetes version for .Capabilities (default v1.34.0)");
  cmd->add_option("-f,--values", opts->values_files, "values file (repeatable, merged in order)");
  cmd->add_option("-a,--api-versions", opts->api_versions,
                  "extra API versions for .Capabilities.APIVersions (repeatable)");
  cmd->add_flag("--include-crds", opts->include_crds, "print the charts' crds/ files first");
  cmd->add_flag("--is-upgrade", opts->is_upgrade, "set .Release.IsUpgrade instead of IsInstall");
  cmd->add_option("--revision", opts->revision, "value of .Release.Revision")
      ->capture_default_str();
  cmd->callback([opts, &exit_code] {
    auto out = render::render_chart(*opts);
    if (!out) {
      std::cerr << "Error: " << out.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << *out << std::flush;
  });
}

}  // namespace cairn::cmd
