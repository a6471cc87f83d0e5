// The CustomResourceDefinition strategy: defaulting and the cleanup finalizer on create, and the
// CRD's own validation (apiserver/crd.h).
#include <algorithm>
#include <string>
#include <vector>

#include "apiserver/crd.h"
#include "apiserver/validation_internal.h"

namespace cairn::apiserver::detail {

using nlohmann::json;

void prepare_crd_create(json& object) {
  default_crd(object);
  json& finalizers = object["metadata"]["finalizers"];
  if (!finalizers.is_array()) finalizers = json::array();
  const json kCleanup = "customresourcecleanup.apiextensions.k8s.io";
  if (std::find(finalizers.begin(), finalizers.end(), kCleanup) == finalizers.end()) {
    finalizers.push_back(kCleanup);
  }
}

void prepare_crd_update(json& object) { default_crd(object); }

std::vector<StatusCause> crd_causes(const json& object, const json* old) {
  return validate_crd(object, old);
}

}  // namespace cairn::apiserver::detail
