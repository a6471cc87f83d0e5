// Rendering of config/crd; see crd_files.h.
#include "tests/api/crd_files.h"

#include "api/crd.h"
#include "render/codec.h"

namespace cairn::api::testing {

Result<std::vector<GeneratedFile>> generated_crd_files() {
  std::vector<GeneratedFile> files;
  std::string kustomization = std::string(kGeneratedHeader) +
                              "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                              "kind: Kustomization\n"
                              "resources:\n";
  for (const nlohmann::json& crd : all_crds()) {
    // Through JSON text into render's Value model, whose YAML encoder is sigs.k8s.io/yaml's.
    auto value = render::json_decode(crd.dump());
    if (!value) return error("CRD " + crd.dump() + ": " + value.error().message);
    auto yaml = render::yaml_encode(*value);
    if (!yaml) return error("CRD " + crd.dump() + ": " + yaml.error().message);
    const std::string path =
        "bases/" + crd_file_name(crd["spec"]["names"]["plural"].get<std::string>());
    files.push_back(GeneratedFile{path, std::string(kGeneratedHeader) + "---\n" + *yaml});
    kustomization += "- " + path + "\n";
  }
  files.push_back(GeneratedFile{"kustomization.yaml", std::move(kustomization)});
  return files;
}

}  // namespace cairn::api::testing
