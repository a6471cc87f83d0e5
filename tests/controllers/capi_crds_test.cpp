// The permissive Cluster API CRDs: their shape, and against an in-process `cairn apiserver`
// that they install, are discovered, and take the objects of the public ClusterClass fixture
// charts exactly as rendered.
#include "controllers/capi_crds.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "kube/objects.h"
#include "render/chart.h"
#include "render/codec.h"
#include "tests/controllers/fixtures.h"
#include "tests/kube/test_apiserver.h"

namespace {

namespace fs = std::filesystem;
using cairn::controllers::capi_crd;
using cairn::controllers::capi_crds;
using cairn::controllers::capi_kinds;
using cairn::controllers::CapiKind;
using cairn::kube::Client;
using cairn::kube::GroupVersionKind;
using cairn::kube::PatchOptions;
using cairn::kube::testing::eventually;
using cairn::kube::testing::test_client;
using nlohmann::json;
using namespace cairn::controllers::testing;

// The plural of every kind, written independently of the table under test.
const std::map<std::string, std::string>& expected_plurals() {
  static const std::map<std::string, std::string> plurals = {
      {"Cluster", "clusters"},
      {"ClusterClass", "clusterclasses"},
      {"MachineDeployment", "machinedeployments"},
      {"KubeadmControlPlane", "kubeadmcontrolplanes"},
      {"KubeadmControlPlaneTemplate", "kubeadmcontrolplanetemplates"},
      {"KubeadmConfig", "kubeadmconfigs"},
      {"KubeadmConfigTemplate", "kubeadmconfigtemplates"},
      {"ClusterResourceSet", "clusterresourcesets"},
      {"DockerCluster", "dockerclusters"},
      {"DockerClusterTemplate", "dockerclustertemplates"},
      {"DockerMachine", "dockermachines"},
      {"DockerMachineTemplate", "dockermachinetemplates"},
      {"OpenStackCluster", "openstackclusters"},
      {"OpenStackClusterTemplate", "openstackclustertemplates"},
      {"OpenStackMachine", "openstackmachines"},
      {"OpenStackMachineTemplate", "openstackmachinetemplates"},
      {"HetznerCluster", "hetznerclusters"},
      {"HetznerClusterTemplate", "hetznerclustertemplates"},
      {"HCloudMachineTemplate", "hcloudmachinetemplates"},
      {"Metal3Cluster", "metal3clusters"},
      {"Metal3ClusterTemplate", "metal3clustertemplates"},
      {"Metal3MachineTemplate", "metal3machinetemplates"},
      {"Image", "images"},
  };
  return plurals;
}

std::set<std::string> version_names(const json& crd) {
  std::set<std::string> out;
  for (const auto& v : crd["spec"]["versions"]) out.insert(v["name"].get<std::string>());
  return out;
}

PatchOptions apply_options() {
  PatchOptions options;
  options.field_manager = "cairn";
  options.force = true;
  return options;
}

// Applies every CRD (idempotent) and waits until each is Established and each of its versions
// is mapped by the client's discovery.
void install_capi_crds(Client& client) {
  for (const json& crd : capi_crds()) {
    auto applied = client.apply(crd, apply_options());
    INFO(crd["metadata"]["name"]);
    if (!applied) FAIL("apply failed: " << applied.error().to_string());
  }
  const GroupVersionKind crd_kind{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"};
  for (const CapiKind& kind : capi_kinds()) {
    INFO(kind.crd_name());
    CHECK(eventually([&] {
      auto got = client.get(crd_kind, "", kind.crd_name());
      return got && cairn::kube::is_condition_true(*got, "Established");
    }));
    for (const auto& version : kind.versions) {
      const GroupVersionKind gvk{std::string(kind.group), std::string(version.name),
                                 std::string(kind.kind)};
      CHECK(eventually([&] { return client.mapping(gvk).has_value(); }));
    }
  }
}

void ensure_namespace(Client& client, const std::string& name) {
  auto created = client.create(
      json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  if (!created && !cairn::kube::is_already_exists(created.error())) {
    FAIL("namespace " << name << ": " << created.error().to_string());
  }
}

// A GET through the client's transport with `accept`, decoded as JSON.
json raw_get(Client& client, const std::string& target, const std::string& accept) {
  cairn::kube::Request request;
  request.target = target;
  request.accept = accept;
  auto response = client.transport().send(request);
  REQUIRE(response);
  INFO(target << " -> " << response->code << " " << response->body);
  REQUIRE(response->code == 200);
  return json::parse(response->body);
}

// Renders the fixture with cairn, applies its objects into the fixture's namespace and checks
// each one reads back as rendered. Also checks that applying the same objects again writes
// nothing (a reconcile loop that re-applies in steady state costs no writes).
void apply_fixture_and_compare(const std::string& name, std::size_t want_objects) {
  auto client = test_client();
  install_capi_crds(*client);
  const Fixture fixture = load_fixture(name);
  const std::string ns = fixture.options.namespace_name;
  ensure_namespace(*client, ns);

  auto rendered = cairn::render::render_chart(fixture.options);
  if (!rendered) FAIL("render failed: " << rendered.error().message);
  REQUIRE(*rendered == fixture.expected);

  const std::vector<json> objects = split_objects(*rendered);
  REQUIRE(objects.size() == want_objects);
  std::vector<std::string> versions;
  for (const json& expected : objects) {
    INFO(kind_and_name(expected));
    json to_apply = expected;
    if (!to_apply["metadata"].contains("namespace")) to_apply["metadata"]["namespace"] = ns;
    auto applied = client->apply(to_apply, apply_options());
    if (!applied) FAIL("apply failed: " << applied.error().to_string());

    auto gvk = GroupVersionKind::of(expected);
    REQUIRE(gvk);
    auto got = client->get(*gvk, ns, expected["metadata"]["name"].get<std::string>());
    if (!got) FAIL("get failed: " << got.error().to_string());
    CHECK((*got)["metadata"]["namespace"] == ns);
    CHECK((*got)["metadata"]["generation"] == 1);
    const json managed = (*got)["metadata"].value("managedFields", json::array());
    REQUIRE(managed.size() == 1);
    CHECK(managed[0]["manager"] == "cairn");
    CHECK(managed[0]["operation"] == "Apply");
    CHECK(without_server_fields(*got, expected) == expected);
    versions.push_back((*got)["metadata"]["resourceVersion"].get<std::string>());
  }

  for (std::size_t i = 0; i < objects.size(); ++i) {
    INFO("re-apply " << kind_and_name(objects[i]));
    json to_apply = objects[i];
    if (!to_apply["metadata"].contains("namespace")) to_apply["metadata"]["namespace"] = ns;
    auto again = client->apply(to_apply, apply_options());
    if (!again) FAIL("apply failed: " << again.error().to_string());
    CHECK((*again)["metadata"]["resourceVersion"] == versions[i]);
  }
}

json cluster(const std::string& api_version, const std::string& ns, const std::string& name,
             const json& topology) {
  return json{{"apiVersion", api_version},
              {"kind", "Cluster"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"topology", topology}}}};
}

// The cells of the Table for one object, keyed by column name.
std::map<std::string, json> table_cells(const json& table) {
  std::map<std::string, json> out;
  REQUIRE(table.value("kind", "") == "Table");
  REQUIRE(table["rows"].size() == 1);
  const json& columns = table["columnDefinitions"];
  const json& cells = table["rows"][0]["cells"];
  REQUIRE(columns.size() == cells.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out[columns[i]["name"].get<std::string>()] = cells[i];
  }
  return out;
}

constexpr const char* kTableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io";

}  // namespace

TEST_CASE("there is one permissive CRD per Cluster API kind, named by its real plural", "[capi]") {
  const auto crds = capi_crds();
  REQUIRE(crds.size() == expected_plurals().size());
  REQUIRE(crds.size() == capi_kinds().size());
  std::set<std::string> names;
  for (const json& crd : crds) {
    const json& spec = crd["spec"];
    const std::string kind = spec["names"]["kind"].get<std::string>();
    INFO(kind);
    REQUIRE(expected_plurals().count(kind) == 1);
    const std::string plural = expected_plurals().at(kind);
    CHECK(crd["apiVersion"] == "apiextensions.k8s.io/v1");
    CHECK(crd["kind"] == "CustomResourceDefinition");
    CHECK(crd["metadata"]["name"] == plural + "." + spec["group"].get<std::string>());
    CHECK(crd["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "cairn");
    CHECK(spec["names"]["plural"] == plural);
    CHECK(spec["names"]["listKind"] == kind + "List");
    std::string lower = kind;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(spec["names"]["singular"] == lower);
    CHECK(spec["names"]["categories"] == json::array({"cluster-api"}));
    CHECK(spec["scope"] == "Namespaced");
    CHECK(spec["conversion"]["strategy"] == "None");
    names.insert(crd["metadata"]["name"].get<std::string>());

    int storage = 0;
    for (const json& v : spec["versions"]) {
      INFO(v["name"]);
      CHECK(v["served"] == true);
      if (v["storage"] == true) ++storage;
      CHECK(v["subresources"] == json{{"status", json::object()}});
      const json& schema = v["schema"]["openAPIV3Schema"];
      CHECK(schema["type"] == "object");
      for (const char* part : {"spec", "status"}) {
        CHECK(schema["properties"][part]["type"] == "object");
        CHECK(schema["properties"][part]["x-kubernetes-preserve-unknown-fields"] == true);
      }
    }
    CHECK(storage == 1);
  }
  CHECK(names.size() == crds.size());
}

TEST_CASE("each Cluster API kind is served in the versions cluster stacks use", "[capi]") {
  std::map<std::string, std::set<std::string>> versions;
  std::map<std::string, std::string> groups;
  for (const CapiKind& kind : capi_kinds()) {
    versions[std::string(kind.kind)] = version_names(capi_crd(kind));
    groups[std::string(kind.kind)] = std::string(kind.group);
  }
  const std::set<std::string> v1beta1 = {"v1beta1"};
  const std::set<std::string> core = {"v1beta1", "v1beta2"};
  const std::set<std::string> openstack = {"v1alpha7", "v1beta1"};
  for (const char* kind : {"Cluster", "ClusterClass", "MachineDeployment"}) {
    CHECK(versions[kind] == core);
    CHECK(groups[kind] == "cluster.x-k8s.io");
  }
  for (const char* kind : {"OpenStackCluster", "OpenStackClusterTemplate", "OpenStackMachine",
                           "OpenStackMachineTemplate"}) {
    CHECK(versions[kind] == openstack);
    CHECK(groups[kind] == "infrastructure.cluster.x-k8s.io");
  }
  CHECK(versions["Image"] == std::set<std::string>{"v1alpha1"});
  CHECK(groups["Image"] == "openstack.k-orc.cloud");
  CHECK(groups["KubeadmControlPlaneTemplate"] == "controlplane.cluster.x-k8s.io");
  CHECK(groups["KubeadmConfigTemplate"] == "bootstrap.cluster.x-k8s.io");
  CHECK(groups["ClusterResourceSet"] == "addons.cluster.x-k8s.io");
  for (const char* kind : {"KubeadmControlPlane", "KubeadmControlPlaneTemplate", "KubeadmConfig",
                           "KubeadmConfigTemplate", "ClusterResourceSet", "DockerCluster",
                           "DockerClusterTemplate", "DockerMachine", "DockerMachineTemplate",
                           "HetznerCluster", "HetznerClusterTemplate", "HCloudMachineTemplate",
                           "Metal3Cluster", "Metal3ClusterTemplate", "Metal3MachineTemplate"}) {
    INFO(kind);
    CHECK(versions[kind] == v1beta1);
  }
  for (const CapiKind& kind : capi_kinds()) {
    INFO(kind.kind);
    CHECK(kind.storage_version() == (kind.kind == "Image" ? "v1alpha1" : "v1beta1"));
  }
}

TEST_CASE("the Cluster printer column reads each version's class field", "[capi]") {
  const CapiKind* cluster_kind = nullptr;
  for (const CapiKind& kind : capi_kinds()) {
    if (kind.kind == "Cluster") cluster_kind = &kind;
  }
  REQUIRE(cluster_kind != nullptr);
  const json crd = capi_crd(*cluster_kind);
  std::map<std::string, std::string> class_paths;
  for (const json& v : crd["spec"]["versions"]) {
    for (const json& column : v["additionalPrinterColumns"]) {
      if (column["name"] == "ClusterClass") {
        class_paths[v["name"].get<std::string>()] = column["jsonPath"].get<std::string>();
      }
    }
  }
  CHECK(class_paths["v1beta1"] == ".spec.topology.class");
  CHECK(class_paths["v1beta2"] == ".spec.topology.classRef.name");
}

TEST_CASE("the API server establishes every CAPI CRD and lists the kinds under their groups",
          "[capi][apiserver]") {
  auto client = test_client();
  install_capi_crds(*client);

  client->invalidate_discovery();
  auto resources = client->resources();
  REQUIRE(resources);
  for (const CapiKind& kind : capi_kinds()) {
    for (const auto& version : kind.versions) {
      INFO(kind.kind << " " << version.name);
      bool found = false;
      for (const auto& m : *resources) {
        if (m.gvk.group != kind.group || m.gvk.version != version.name || m.gvk.kind != kind.kind) {
          continue;
        }
        found = true;
        CHECK(m.resource == kind.plural);
        CHECK(m.namespaced);
        CHECK(m.has_status);
      }
      CHECK(found);

      const json list =
          raw_get(*client, "/apis/" + std::string(kind.group) + "/" + std::string(version.name),
                  "application/json");
      bool listed = false;
      for (const json& r : list["resources"]) {
        if (r.value("name", "") != kind.plural) continue;
        listed = true;
        CHECK(r["kind"] == kind.kind);
        CHECK(r["singularName"] == kind.singular());
        CHECK(r["namespaced"] == true);
        CHECK(r["categories"] == json::array({"cluster-api"}));
      }
      CHECK(listed);
    }
  }

  const json core_group = raw_get(*client, "/apis/cluster.x-k8s.io", "application/json");
  std::set<std::string> served;
  for (const json& v : core_group["versions"]) served.insert(v["version"].get<std::string>());
  CHECK(served == std::set<std::string>{"v1beta1", "v1beta2"});
  const json infra_group =
      raw_get(*client, "/apis/infrastructure.cluster.x-k8s.io", "application/json");
  served.clear();
  for (const json& v : infra_group["versions"]) served.insert(v["version"].get<std::string>());
  CHECK(served == std::set<std::string>{"v1alpha7", "v1beta1"});
}

TEST_CASE("cc-docker-scs objects apply through the CRDs and read back as rendered",
          "[capi][apiserver][fixtures]") {
  apply_fixture_and_compare("cc-docker-scs", 5);
}

TEST_CASE("cc-openstack-scs objects (v1beta1 and an ORC Image) read back as rendered",
          "[capi][apiserver][fixtures]") {
  apply_fixture_and_compare("cc-openstack-scs", 7);
}

TEST_CASE("cc-openstack-scs-1-28 objects (OpenStack v1alpha7) read back as rendered",
          "[capi][apiserver][fixtures]") {
  apply_fixture_and_compare("cc-openstack-scs-1-28", 6);
}

TEST_CASE("a Cluster shows its ClusterClass in the Table printer column", "[capi][apiserver]") {
  auto client = test_client();
  install_capi_crds(*client);
  const std::string ns = "capi-table";
  ensure_namespace(*client, ns);

  const json topology{{"class", "docker-scs-1-32-v1"}, {"version", "v1.32.5"}};
  REQUIRE(client->apply(cluster("cluster.x-k8s.io/v1beta1", ns, "old-style", topology),
                        apply_options()));
  const json v1beta1 =
      raw_get(*client, "/apis/cluster.x-k8s.io/v1beta1/namespaces/" + ns + "/clusters/old-style",
              kTableAccept);
  auto cells = table_cells(v1beta1);
  CHECK(cells["Name"] == "old-style");
  CHECK(cells["ClusterClass"] == "docker-scs-1-32-v1");
  CHECK(cells["Version"] == "v1.32.5");
  CHECK(cells["Phase"].is_null());

  const json class_ref{{"classRef", {{"name", "docker-scs-1-33-v2"}}}, {"version", "v1.33.1"}};
  REQUIRE(client->apply(cluster("cluster.x-k8s.io/v1beta2", ns, "new-style", class_ref),
                        apply_options()));
  const json v1beta2 =
      raw_get(*client, "/apis/cluster.x-k8s.io/v1beta2/namespaces/" + ns + "/clusters/new-style",
              kTableAccept);
  cells = table_cells(v1beta2);
  CHECK(cells["ClusterClass"] == "docker-scs-1-33-v2");
  CHECK(cells["Version"] == "v1.33.1");
}

TEST_CASE("without conversion an object keeps its fields in every served version",
          "[capi][apiserver]") {
  auto client = test_client();
  install_capi_crds(*client);
  const std::string ns = "capi-versions";
  ensure_namespace(*client, ns);

  const json spec{{"template", {{"spec", {{"flavor", "SCS-2V-4"}, {"image", {{"name", "u"}}}}}}}};
  REQUIRE(client->apply(json{{"apiVersion", "infrastructure.cluster.x-k8s.io/v1alpha7"},
                             {"kind", "OpenStackMachineTemplate"},
                             {"metadata", {{"name", "workers"}, {"namespace", ns}}},
                             {"spec", spec}},
                        apply_options()));
  const GroupVersionKind v1beta1{"infrastructure.cluster.x-k8s.io", "v1beta1",
                                 "OpenStackMachineTemplate"};
  auto as_v1beta1 = client->get(v1beta1, ns, "workers");
  REQUIRE(as_v1beta1);
  CHECK((*as_v1beta1)["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta1");
  CHECK((*as_v1beta1)["spec"] == spec);
}

TEST_CASE("status is a subresource that keeps whatever a provider reports", "[capi][apiserver]") {
  auto client = test_client();
  install_capi_crds(*client);
  const std::string ns = "capi-status";
  ensure_namespace(*client, ns);

  const GroupVersionKind docker_cluster{"infrastructure.cluster.x-k8s.io", "v1beta1",
                                        "DockerCluster"};
  const json status{{"ready", true}, {"failureDomains", {{"a", {{"controlPlane", true}}}}}};
  auto created = client->create(json{{"apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1"},
                                     {"kind", "DockerCluster"},
                                     {"metadata", {{"name", "dc"}, {"namespace", ns}}},
                                     {"spec", {{"loadBalancer", {{"imageTag", "v1"}}}}},
                                     {"status", status}});
  REQUIRE(created);
  CHECK_FALSE(created->contains("status"));

  json with_status = *created;
  with_status["status"] = status;
  auto updated = client->update_status(with_status);
  if (!updated) FAIL("status update failed: " << updated.error().to_string());
  CHECK((*updated)["status"] == status);
  CHECK((*updated)["metadata"]["generation"] == 1);

  auto got = client->get(docker_cluster, ns, "dc");
  REQUIRE(got);
  CHECK((*got)["status"] == status);
  CHECK((*got)["spec"] == json{{"loadBalancer", {{"imageTag", "v1"}}}});
}
