// The ClusterStack and ClusterStackRelease controllers end to end in one process: an in-process
// `cairn apiserver` with cairn's and the Cluster API CRDs, a manager running the controllers,
// and a local-directory feed (file://) holding releases of the example stack
// examples/cluster-stacks/docker-demo-1-32 (one directory per tag, charts as directories).
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "controllers/clusterstack_common.h"
#include "controllers/setup.h"
#include "kube/objects.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"
#include "tests/controllers/fixtures.h"
#include "tests/kube/test_apiserver.h"
#include "tests/sources/archive_writer.h"

namespace {

using cairn::controllers::Controllers;
using cairn::controllers::ControllersOptions;
using cairn::kube::Client;
using cairn::kube::GroupVersionKind;
using cairn::kube::testing::eventually;
using cairn::testing::read_file;
using cairn::testing::TempDir;
using cairn::testing::write_file;
using nlohmann::json;
namespace fs = std::filesystem;

const GroupVersionKind kStack = cairn::controllers::kClusterStackKind;
const GroupVersionKind kRelease = cairn::controllers::kClusterStackReleaseKind;
const GroupVersionKind kCluster = cairn::controllers::kClusterKind;
const GroupVersionKind kClusterClass{"cluster.x-k8s.io", "v1beta1", "ClusterClass"};
const GroupVersionKind kDockerMachineTemplate{"infrastructure.cluster.x-k8s.io", "v1beta1",
                                              "DockerMachineTemplate"};

const fs::path kExample = fs::path(CAIRN_SOURCE_DIR) / "examples/cluster-stacks/docker-demo-1-32";

// Release vN of docker-demo-1-32 in feed directory `feed` (DIR/<tag>/), as a release directory
// of the Go operator's layout with the charts as directories. `metadata_version` lets a test
// publish broken metadata (a clusterStack version that is not the tag's).
void publish(const fs::path& feed, int n, const std::string& metadata_version = "") {
  const std::string v = "v" + std::to_string(n);
  const fs::path tmp = feed / (".tmp-" + v);
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const fs::path cls = tmp / ("docker-demo-1-32-cluster-class-" + v);
  fs::copy(kExample / "cluster-class", cls, fs::copy_options::recursive);
  write_file(cls / "Chart.yaml",
             std::regex_replace(read_file(cls / "Chart.yaml"), std::regex("\nversion: v1\n"),
                                "\nversion: " + v + "\n"));
  fs::copy(kExample / "cluster-addon", tmp / "docker-demo-1-32-cluster-addon-v1",
           fs::copy_options::recursive);
  fs::copy_file(kExample / "cluster-addon-values.yaml", tmp / "cluster-addon-values.yaml");
  write_file(tmp / "metadata.yaml",
             "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n  clusterStack: " +
                 (metadata_version.empty() ? v : metadata_version) +
                 "\n  kubernetes: v1.32.5\n  components:\n    clusterAddon: v1\n"
                 "    nodeImage: v1\n");
  fs::rename(tmp, feed / ("docker-demo-1-32-" + v));
}

// Release vN whose class chart is a .tgz with an entry escaping the release directory.
void publish_hostile(const fs::path& feed, int n) {
  const std::string v = "v" + std::to_string(n);
  const fs::path dir = feed / ("docker-demo-1-32-" + v);
  fs::create_directories(dir);
  {
    cairn::testing::ArchiveWriter tgz(dir / ("docker-demo-1-32-cluster-class-" + v + ".tgz"));
    tgz.file("docker-demo-1-32-cluster-class/Chart.yaml",
             "apiVersion: v2\nname: docker-demo-1-32-cluster-class\nversion: " + v + "\n");
    tgz.file("../../escape.yaml", "kind: Evil\n");
  }
  fs::copy(kExample / "cluster-addon", dir / "docker-demo-1-32-cluster-addon-v1",
           fs::copy_options::recursive);
  fs::copy_file(kExample / "cluster-addon-values.yaml", dir / "cluster-addon-values.yaml");
  write_file(dir / "metadata.yaml",
             "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n  clusterStack: " +
                 v + "\n  kubernetes: v1.32.5\n  components:\n    clusterAddon: v1\n");
}

Client& shared_client() {
  static std::unique_ptr<Client> client = [] {
    auto c = cairn::kube::testing::test_client();
    auto installed = cairn::controllers::install_crds(*c, true, std::chrono::seconds(60));
    if (!installed) FAIL("install_crds: " << installed.error().message);
    return c;
  }();
  return *client;
}

// A manager with the controllers, on the shared test API server, running on a thread.
class Operator {
 public:
  explicit Operator(const fs::path& feed, std::chrono::milliseconds sync_period =
                                              std::chrono::minutes(5)) {
    shared_client();
    cairn::kube::ManagerOptions options;
    options.rest = cairn::kube::testing::shared_test_apiserver().config;
    options.leader_elect = false;
    options.metrics_bind_address = "0";
    options.health_probe_bind_address = "0";
    options.sync_period = sync_period;
    options.graceful_shutdown_timeout = std::chrono::seconds(10);
    auto manager = cairn::kube::Manager::create(options);
    REQUIRE(manager);
    manager_ = std::move(*manager);
    ControllersOptions copts;
    copts.cache_dir = cache_.path();
    copts.allowed_sources = {"file://" + feed.string() + "*", "git+file://" + feed.string() + "*"};
    copts.default_interval = std::chrono::seconds(1);
    copts.min_interval = std::chrono::milliseconds(200);
    auto controllers = Controllers::create(*manager_, copts);
    REQUIRE(controllers);
    controllers_ = std::move(*controllers);
    runner_ = std::thread([this] { result_ = manager_->run(); });
  }
  ~Operator() {
    manager_->stop();
    runner_.join();
    controllers_.reset();
    manager_.reset();
  }
  Controllers& controllers() { return *controllers_; }
  const fs::path& cache_dir() const { return cache_.path(); }

 private:
  TempDir cache_{"cairn-cs-cache"};
  std::unique_ptr<cairn::kube::Manager> manager_;
  std::unique_ptr<Controllers> controllers_;
  std::thread runner_;
  cairn::kube::Result<void> result_;
};

void create_namespace(const std::string& ns) {
  cairn::kube::testing::create_test_namespace(shared_client(), ns);
}

json stack_object(const std::string& ns, const std::string& name, const fs::path& feed,
                  json versions, bool auto_subscribe = true, const std::string& interval = "1s") {
  return {{"apiVersion", "clusterstack.x-k8s.io/v1alpha1"},
          {"kind", "ClusterStack"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"provider", "docker"},
            {"name", "demo"},
            {"kubernetesVersion", "1.32"},
            {"channel", "stable"},
            {"autoSubscribe", auto_subscribe},
            {"noProvider", true},
            {"versions", std::move(versions)},
            {"source", {{"url", "file://" + feed.string()}, {"interval", interval}}}}}};
}

json cluster_object(const std::string& ns, const std::string& name, const std::string& cls) {
  return {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"topology", {{"class", cls}, {"version", "v1.32.5"}}}}}};
}

std::set<std::string> release_names(const std::string& ns) {
  std::set<std::string> out;
  auto list = shared_client().list(kRelease, ns);
  if (!list) return out;
  for (const json& item : (*list)["items"]) {
    if (!item["metadata"].contains("deletionTimestamp")) {
      out.insert(item["metadata"]["name"].get<std::string>());
    }
  }
  return out;
}

bool exists(const GroupVersionKind& gvk, const std::string& ns, const std::string& name) {
  return shared_client().get(gvk, ns, name).has_value();
}

json get(const GroupVersionKind& gvk, const std::string& ns, const std::string& name) {
  auto got = shared_client().get(gvk, ns, name);
  return got ? *got : json();
}

bool ready(const GroupVersionKind& gvk, const std::string& ns, const std::string& name) {
  auto got = shared_client().get(gvk, ns, name);
  return got && cairn::kube::is_condition_true(*got, "Ready");
}

std::string condition_text(const json& object, const std::string& type) {
  auto c = cairn::kube::get_condition(object, type);
  if (!c) return "<none>";
  return c->status + " " + c->reason + ": " + c->message;
}

}  // namespace

TEST_CASE("a ClusterStack gets releases for its pinned versions and the newest, which apply "
          "their ClusterClass objects",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  for (int n : {1, 2, 3}) publish(feed.path(), n);
  Operator op(feed.path());
  const std::string ns = "cs-basic";
  create_namespace(ns);
  REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), {"v1"})));

  REQUIRE(eventually([&] {
    return release_names(ns) == std::set<std::string>{"docker-demo-1-32-v1", "docker-demo-1-32-v3"};
  }));
  REQUIRE(eventually([&] { return ready(kStack, ns, "demo"); }, std::chrono::seconds(60)));
  for (const char* name : {"docker-demo-1-32-v1", "docker-demo-1-32-v3"}) {
    INFO(name);
    const json release = get(kRelease, ns, name);
    CHECK(cairn::kube::is_condition_true(release, "Ready"));
    CHECK(release["status"]["ready"] == true);
    CHECK(release["status"]["kubernetesVersion"] == "v1.32.5");
    CHECK(cairn::kube::has_finalizer(release, "clusterstackrelease.clusterstack.x-k8s.io"));
    const json& owner = release["metadata"]["ownerReferences"][0];
    CHECK(owner["kind"] == "ClusterStack");
    CHECK(owner["name"] == "demo");
    CHECK(release["status"]["resources"].size() == 6);
    for (const json& r : release["status"]["resources"]) CHECK(r["status"] == "synced");
  }
  CHECK_FALSE(exists(kRelease, ns, "docker-demo-1-32-v2"));

  const json cc = get(kClusterClass, ns, "docker-demo-1-32-v3");
  REQUIRE(cc.is_object());
  CHECK(cc["metadata"]["labels"]["clusterstack.x-k8s.io/instance"] == "owned");
  CHECK(exists(kClusterClass, ns, "docker-demo-1-32-v1"));
  CHECK(exists(kDockerMachineTemplate, ns, "docker-demo-1-32-v3-control-plane-machine"));

  const json stack = get(kStack, ns, "demo");
  CHECK(stack["status"]["usableVersions"] == "v1, v3");
  CHECK(stack["status"]["latestRelease"] == "docker-demo-1-32-v3 | v1.32.5");
  REQUIRE(stack["status"]["summary"].size() == 2);
  CHECK(stack["status"]["summary"][0] ==
        json{{"name", "v1"}, {"ready", true}, {"phase", "done"}, {"message", "AllConditionsTrue"}});
  CHECK(cairn::kube::is_condition_true(stack, "ReleasesSynced"));
  CHECK(cairn::kube::is_condition_true(stack, "ClusterStackReleaseAvailable"));
}

TEST_CASE("new tags become releases; what a Cluster uses is kept; the rest is collected with "
          "its objects",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  publish(feed.path(), 1);
  Operator op(feed.path());
  const std::string ns = "cs-gc";
  create_namespace(ns);
  REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), json::array())));
  REQUIRE(eventually([&] { return ready(kRelease, ns, "docker-demo-1-32-v1"); },
                     std::chrono::seconds(60)));
  REQUIRE(shared_client().create(cluster_object(ns, "uses-v1", "docker-demo-1-32-v1")));

  // A new tag: released within the poll interval; v1 stays while the Cluster uses it.
  publish(feed.path(), 2);
  REQUIRE(eventually([&] { return ready(kRelease, ns, "docker-demo-1-32-v2"); },
                     std::chrono::seconds(60)));
  REQUIRE(eventually([&] { return ready(kStack, ns, "demo"); }));
  CHECK(get(kStack, ns, "demo")["status"]["latestRelease"] == "docker-demo-1-32-v2 | v1.32.5");
  CHECK(exists(kRelease, ns, "docker-demo-1-32-v1"));
  CHECK(exists(kClusterClass, ns, "docker-demo-1-32-v1"));

  // Deleting the release by hand while the Cluster uses it: the finalizer holds it.
  REQUIRE(shared_client().remove(kRelease, ns, "docker-demo-1-32-v1"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(exists(kRelease, ns, "docker-demo-1-32-v1"));
  CHECK(exists(kClusterClass, ns, "docker-demo-1-32-v1"));

  // The Cluster goes: the release and every object it applied go too.
  REQUIRE(shared_client().remove(kCluster, ns, "uses-v1"));
  REQUIRE(eventually([&] { return !exists(kRelease, ns, "docker-demo-1-32-v1"); },
                     std::chrono::seconds(90)));
  CHECK_FALSE(exists(kClusterClass, ns, "docker-demo-1-32-v1"));
  CHECK_FALSE(exists(kDockerMachineTemplate, ns, "docker-demo-1-32-v1-control-plane-machine"));
  CHECK(exists(kClusterClass, ns, "docker-demo-1-32-v2"));
}

TEST_CASE("a hand edit of an applied object is reverted by the next reconcile",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  publish(feed.path(), 1);
  Operator op(feed.path(), std::chrono::seconds(2));
  const std::string ns = "cs-drift";
  create_namespace(ns);
  REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), json::array())));
  REQUIRE(eventually([&] { return ready(kRelease, ns, "docker-demo-1-32-v1"); },
                     std::chrono::seconds(60)));
  const json before = get(kClusterClass, ns, "docker-demo-1-32-v1");
  REQUIRE(before["spec"]["controlPlane"]["machineHealthCheck"]["maxUnhealthy"] == "33%");
  REQUIRE(shared_client().patch(
      kClusterClass, ns, "docker-demo-1-32-v1", cairn::kube::PatchType::kMerge,
      json{{"spec", {{"controlPlane", {{"machineHealthCheck", {{"maxUnhealthy", "99%"}}}}}}}}));
  CHECK(eventually([&] {
    return get(kClusterClass, ns, "docker-demo-1-32-v1")["spec"] == before["spec"];
  }));
}

TEST_CASE("broken metadata and hostile archives give a false condition and apply nothing",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  publish(feed.path(), 1, "v9");
  publish_hostile(feed.path(), 2);
  Operator op(feed.path());
  const std::string ns = "cs-bad";
  create_namespace(ns);
  REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), {"v1", "v2"}, false)));
  for (const char* name : {"docker-demo-1-32-v1", "docker-demo-1-32-v2"}) {
    INFO(name);
    REQUIRE(eventually([&] {
      auto c = cairn::kube::get_condition(get(kRelease, ns, name), "ClusterStackReleaseDownloaded");
      return c && c->reason == "IssueWithReleaseAssets";
    }));
    const json release = get(kRelease, ns, name);
    INFO(condition_text(release, "ClusterStackReleaseDownloaded"));
    CHECK(cairn::kube::get_condition(release, "Ready")->status == "False");
    CHECK_FALSE(release["status"].contains("resources"));
  }
  CHECK_THAT(condition_text(get(kRelease, ns, "docker-demo-1-32-v1"),
                            "ClusterStackReleaseDownloaded"),
             Catch::Contains("InvalidRelease") && Catch::Contains("v9"));
  CHECK_THAT(condition_text(get(kRelease, ns, "docker-demo-1-32-v2"),
                            "ClusterStackReleaseDownloaded"),
             Catch::Contains("HostileArchive"));
  CHECK_FALSE(exists(kClusterClass, ns, "docker-demo-1-32-v1"));
  CHECK_FALSE(exists(kClusterClass, ns, "docker-demo-1-32-v2"));
  CHECK_FALSE(fs::exists(feed.path().parent_path() / "escape.yaml"));

  // Releases whose assets never downloaded can be deleted: unpinning removes them.
  REQUIRE(shared_client().patch(kStack, ns, "demo", cairn::kube::PatchType::kMerge,
                                json{{"spec", {{"versions", json::array()}}}}));
  CHECK(eventually([&] { return release_names(ns).empty() && !exists(kRelease, ns,
                                                                      "docker-demo-1-32-v1"); }));
}

TEST_CASE("a source the policy refuses is a false condition naming the source",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  TempDir other("cairn-cs-other");
  publish(other.path(), 1);
  Operator op(feed.path());
  const std::string ns = "cs-refused";
  create_namespace(ns);
  REQUIRE(shared_client().create(stack_object(ns, "demo", other.path(), json::array())));
  REQUIRE(eventually([&] {
    auto c = cairn::kube::get_condition(get(kStack, ns, "demo"), "AssetsClientAPIAvailable");
    return c && c->status == "False";
  }));
  const json stack = get(kStack, ns, "demo");
  const auto c = cairn::kube::get_condition(stack, "AssetsClientAPIAvailable");
  CHECK(c->reason == "SourceNotAllowed");
  CHECK_THAT(c->message, Catch::Contains(other.path().string()));
  CHECK(cairn::kube::get_condition(stack, "Ready")->status == "False");
  CHECK(release_names(ns).empty());
}

TEST_CASE("while the newest release of the feed is unknown nothing is collected",
          "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  TempDir other("cairn-cs-other");
  publish(feed.path(), 1);
  publish_hostile(feed.path(), 2);  // the newest: wanted, never ready
  Operator op(feed.path());
  const std::string ns = "cs-unknown";
  create_namespace(ns);
  // v1 is pinned, later it stays as the newest ready release; v2 is wanted as the newest.
  REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), {"v1"})));
  REQUIRE(eventually([&] { return ready(kRelease, ns, "docker-demo-1-32-v1"); },
                     std::chrono::seconds(60)));
  REQUIRE(eventually([&] {
    auto c = cairn::kube::get_condition(get(kRelease, ns, "docker-demo-1-32-v2"),
                                        "ClusterStackReleaseDownloaded");
    return c && c->reason == "IssueWithReleaseAssets";
  }));
  REQUIRE(shared_client().patch(kStack, ns, "demo", cairn::kube::PatchType::kMerge,
                                json{{"spec", {{"versions", json::array()}}}}));

  // The source changes to one the policy refuses: v2 (not ready, not pinned, no longer known to
  // be the newest) is not collected, nor is anything else.
  REQUIRE(shared_client().patch(
      kStack, ns, "demo", cairn::kube::PatchType::kMerge,
      json{{"spec", {{"source", {{"url", "file://" + other.path().string()}}}}}}));
  REQUIRE(eventually([&] {
    auto c = cairn::kube::get_condition(get(kStack, ns, "demo"), "AssetsClientAPIAvailable");
    return c && c->reason == "SourceNotAllowed";
  }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(release_names(ns) ==
        std::set<std::string>{"docker-demo-1-32-v1", "docker-demo-1-32-v2"});

  // Back on the feed: v2 is the newest again and stays; once it is gone from the feed it is
  // collected and v1, the newest ready release, stays.
  REQUIRE(shared_client().patch(
      kStack, ns, "demo", cairn::kube::PatchType::kMerge,
      json{{"spec", {{"source", {{"url", "file://" + feed.path().string()}}}}}}));
  fs::remove_all(feed.path() / "docker-demo-1-32-v2");
  CHECK(eventually([&] {
    return release_names(ns) == std::set<std::string>{"docker-demo-1-32-v1"};
  }));
}

TEST_CASE("many stacks on one feed share one poller", "[clusterstack]") {
  TempDir feed("cairn-cs-feed");
  publish(feed.path(), 1);
  Operator op(feed.path());
  for (int i = 0; i < 8; ++i) {
    const std::string ns = "cs-shared-" + std::to_string(i);
    create_namespace(ns);
    REQUIRE(shared_client().create(stack_object(ns, "demo", feed.path(), json::array(), true,
                                                std::to_string(1 + i) + "s")));
  }
  for (int i = 0; i < 8; ++i) {
    const std::string ns = "cs-shared-" + std::to_string(i);
    INFO(ns);
    const bool stack_ready =
        eventually([&] { return ready(kStack, ns, "demo"); }, std::chrono::seconds(60));
    INFO("stack: " << condition_text(get(kStack, ns, "demo"), "Ready"));
    INFO("release: " << get(kRelease, ns, "docker-demo-1-32-v1").dump());
    CHECK(stack_ready);
  }
  const auto stats = op.controllers().feed_stats();
  CHECK(stats.feeds == 1);
  CHECK(stats.subscribers == 8);
}

namespace {

void git(const fs::path& repo, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-c", "user.name=cairn test", "-c",
                                   "user.email=test@cairn.invalid", "-c", "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  const int code = cairn::testing::run_command(argv, &output, repo);
  if (code != 0) FAIL("git " << args.front() << " failed: " << output);
}

}  // namespace

TEST_CASE("the public ClusterClass fixture charts, released on a Git feed, are applied as "
          "rendered",
          "[clusterstack][fixtures]") {
  using cairn::controllers::testing::Fixture;
  TempDir repo("cairn-cs-git");
  git(repo.path(), {"init", "-q", "."});
  std::vector<Fixture> fixtures;
  for (const char* name : {"cc-docker-scs", "cc-openstack-scs", "cc-openstack-scs-1-28"}) {
    fixtures.push_back(cairn::controllers::testing::load_fixture(name));
  }
  // One tag per fixture: <release>-v1 with the chart as <release>-cluster-class-v1/.
  for (const Fixture& f : fixtures) {
    for (const auto& entry : fs::directory_iterator(repo.path())) {
      if (entry.path().filename() != ".git") fs::remove_all(entry.path());
    }
    const std::string& release = f.options.release_name;
    fs::copy(f.options.chart, repo.path() / (release + "-cluster-class-v1"),
             fs::copy_options::recursive);
    fs::copy(kExample / "cluster-addon", repo.path() / (release + "-cluster-addon-v1"),
             fs::copy_options::recursive);
    fs::copy_file(kExample / "cluster-addon-values.yaml",
                  repo.path() / "cluster-addon-values.yaml");
    write_file(repo.path() / "metadata.yaml",
               "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n  clusterStack: "
               "v1\n  kubernetes: " +
                   f.options.kube_version + "\n  components:\n    clusterAddon: v1\n");
    git(repo.path(), {"add", "-A"});
    git(repo.path(), {"commit", "-q", "-m", release});
    git(repo.path(), {"tag", release + "-v1"});
  }

  Operator op(repo.path());
  const std::string ns = fixtures.front().options.namespace_name;
  for (const Fixture& f : fixtures) REQUIRE(f.options.namespace_name == ns);
  create_namespace(ns);
  const std::string url = "git+file://" + repo.path().string();
  for (const Fixture& f : fixtures) {
    auto tag = cairn::api::ReleaseTag::parse(f.options.release_name + "-v1");
    REQUIRE(tag);
    json stack = {{"apiVersion", "clusterstack.x-k8s.io/v1alpha1"},
                  {"kind", "ClusterStack"},
                  {"metadata", {{"name", f.name}, {"namespace", ns}}},
                  {"spec",
                   {{"provider", tag->stack.provider},
                    {"name", tag->stack.name},
                    {"kubernetesVersion", tag->stack.kubernetes.dot()},
                    {"autoSubscribe", false},
                    {"noProvider", true},
                    {"versions", {"v1"}},
                    {"source", {{"url", url}}}}}};
    REQUIRE(shared_client().create(stack));
  }
  for (const Fixture& f : fixtures) {
    INFO(f.name);
    const std::string release = f.options.release_name + "-v1";
    REQUIRE(eventually([&] { return ready(kRelease, ns, release); }, std::chrono::seconds(60)));
    const std::vector<json> objects = cairn::controllers::testing::split_objects(f.expected);
    CHECK(get(kRelease, ns, release)["status"]["resources"].size() == objects.size());
    for (const json& expected : objects) {
      INFO(cairn::controllers::testing::kind_and_name(expected));
      auto gvk = GroupVersionKind::of(expected);
      REQUIRE(gvk);
      json got = get(*gvk, ns, expected["metadata"]["name"].get<std::string>());
      REQUIRE(got.is_object());
      CHECK(got["metadata"]["labels"]["clusterstack.x-k8s.io/instance"] == "owned");
      // What the controller adds: the instance label and the applied-digest annotation.
      json& meta = got["metadata"];
      meta["labels"].erase("clusterstack.x-k8s.io/instance");
      if (meta["labels"].empty()) meta.erase("labels");
      meta["annotations"].erase("clusterstack.x-k8s.io/applied-digest");
      if (meta["annotations"].empty()) meta.erase("annotations");
      CHECK(cairn::controllers::testing::without_server_fields(got, expected) == expected);
    }
  }
}
