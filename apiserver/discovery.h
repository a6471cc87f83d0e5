// Discovery documents of the embedded API server: /version, the legacy forms (/api, /apis,
// /apis/G, /api/v1, /apis/G/V) and aggregated discovery (apidiscovery.k8s.io/v2), shaped as
// kube-apiserver shapes them (kube-api.md §3).
//
// Every function builds a fresh JSON value from the registry snapshot it reads; the registry is
// only read. Safe to call from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "apiserver/resources.h"

namespace cairn::apiserver {

// GET /version. Reports minor "31" (gitVersion v1.31.x): on this machine the kubectl
// dispatcher picks kubectl 1.31 for it, which sends JSON bodies for imperative create (1.32+
// sends protobuf, which we do not decode); documented in kube-api.md §2.4.
nlohmann::json version_info();

// GET /api: APIVersions with the single version v1; `server_address` ("host:port") is reported
// for every client CIDR.
nlohmann::json legacy_api_versions(std::string_view server_address);

// GET /apis: APIGroupList of every named group (not the core group), versions in preference
// order, the first one preferred.
nlohmann::json legacy_api_group_list(const Registry& registry);

// GET /apis/G: APIGroup. nullopt when the group is not served (or is the core group "").
std::optional<nlohmann::json> legacy_api_group(const Registry& registry, std::string_view group);

// GET /api/v1 and /apis/G/V: APIResourceList incl. subresource entries (res/status, res/scale
// with autoscaling/v1 Scale, namespaces/finalize), shortNames, categories, singularName,
// storageVersionHash (any stable hash). Entries sorted by name, as kube lists them. nullopt when
// not served.
std::optional<nlohmann::json> legacy_api_resource_list(const Registry& registry,
                                                       std::string_view group,
                                                       std::string_view version);

// Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): core=true for /api (one
// item, the core group), false for /apis (every named group).
nlohmann::json aggregated_discovery(const Registry& registry, bool core);

// The Content-Type value of an aggregated answer.
inline constexpr std::string_view kAggregatedDiscoveryContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

}  // namespace cairn::apiserver
