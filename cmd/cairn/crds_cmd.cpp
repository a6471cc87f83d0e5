// `cairn crds [--capi]`: prints cairn's CRDs (and with --capi the permissive Cluster API CRDs
// `cairn up` installs) as one JSON List for `kubectl apply --server-side -f -`.
#include <iostream>
#include <memory>

#include "api/crd.h"
#include "cmd/cairn/commands.h"
#include "controllers/capi_crds.h"

namespace cairn::cmd {

void add_crds_command(CLI::App& app, int& exit_code) {
  auto capi = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "crds", "Print cairn's CRDs as a JSON List for `kubectl apply --server-side -f -`");
  cmd->add_flag("--capi", *capi,
                "Also the permissive Cluster API CRDs (Cluster, ClusterClass, templates, ...) "
                "that `cairn up` installs, for a test cluster without Cluster API");
  cmd->callback([capi, &exit_code] {
    nlohmann::json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", api::all_crds()}};
    if (*capi) {
      for (nlohmann::json& crd : controllers::capi_crds()) list["items"].push_back(std::move(crd));
    }
    std::cout << list.dump(2) << "\n";
    exit_code = std::cout ? 0 : 1;
  });
}

}  // namespace cairn::cmd
