#include "kube/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "kube/detail/text.h"
#include "tests/kube/fake_server.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() /
             ("cairn-kube-config-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

KubeconfigOptions from_env(std::string env, std::string context = "", std::string ns = "") {
  KubeconfigOptions o;
  o.kubeconfig_env = std::move(env);
  o.context = std::move(context);
  o.namespace_override = std::move(ns);
  return o;
}

KubeconfigOptions from_path(fs::path path, std::string context = "") {
  KubeconfigOptions o;
  o.path = std::move(path);
  o.context = std::move(context);
  return o;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

constexpr const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: one
  cluster:
    server: https://one.example:6443
    certificate-authority: certs/ca.pem
    tls-server-name: api.one
- name: shared
  cluster:
    server: https://first-wins.example
contexts:
- name: alpha
  context: {cluster: one, user: file-user, namespace: team-a}
- name: beta
  context: {cluster: two, user: data-user}
users:
- name: file-user
  user:
    client-certificate: certs/client.pem
    client-key: certs/client-key.pem
    tokenFile: token
)";

constexpr const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: beta
clusters:
- name: two
  cluster:
    server: http://two.example:8080/prefix
    certificate-authority-data: Q0EtREFUQQ==
    insecure-skip-tls-verify: true
- name: shared
  cluster:
    server: https://second-loses.example
users:
- name: data-user
  user:
    token: static-token
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)";

TEST_CASE("KUBECONFIG files merge with the first file winning per key", "[config]") {
  auto dir = temp_dir("merge");
  write(dir / "a/config", kFirst);
  write(dir / "a/certs/ca.pem", "CA-FILE");
  write(dir / "a/certs/client.pem", "CERT-FILE");
  write(dir / "a/certs/client-key.pem", "KEY-FILE");
  write(dir / "a/token", "file-token\n");
  write(dir / "b/config", kSecond);
  std::string list = (dir / "a/config").string() + ":" + (dir / "missing").string() + ":" +
                     (dir / "b/config").string();

  SECTION("current-context of the first file, relative paths from its directory") {
    auto c = load_kubeconfig(from_env(list));
    REQUIRE(c);
    CHECK(c->context == "alpha");
    CHECK(c->server == "https://one.example:6443");
    CHECK(c->ca_pem == "CA-FILE");
    CHECK(c->tls_server_name == "api.one");
    CHECK(c->client_cert_pem == "CERT-FILE");
    CHECK(c->client_key_pem == "KEY-FILE");
    CHECK(c->token_file == dir / "a/token");
    CHECK(c->default_namespace == "team-a");
    CHECK(c->qps == 20);
    CHECK(c->burst == 30);
  }
  SECTION("a context override reaches entries defined in the second file") {
    auto c = load_kubeconfig(from_env(list, "beta", "ns-x"));
    REQUIRE(c);
    CHECK(c->server == "http://two.example:8080/prefix");
    CHECK(c->ca_pem == "CA-DATA");
    CHECK(c->insecure_skip_tls_verify);
    CHECK(c->bearer_token == "static-token");
    CHECK(c->client_cert_pem == "CERT");
    CHECK(c->client_key_pem == "KEY");
    CHECK(c->default_namespace == "ns-x");
  }
  SECTION("the file order decides which definition of a shared key is used") {
    write(dir / "c/config", R"(current-context: s
contexts: [{name: s, context: {cluster: shared}}]
)");
    auto c = load_kubeconfig(
        from_env((dir / "c/config").string() + ":" + list));
    REQUIRE(c);
    CHECK(c->server == "https://first-wins.example");
    CHECK(c->default_namespace == "default");
  }
  SECTION("an explicit path is used alone") {
    auto c = load_kubeconfig(from_path(dir / "a/config"));
    REQUIRE(c);
    CHECK(c->context == "alpha");
    auto missing_user = load_kubeconfig(from_path(dir / "a/config", "beta"));
    REQUIRE_FALSE(missing_user);
    CHECK(missing_user.error().message.find("cluster \"two\" does not exist") !=
          std::string::npos);
  }
}

TEST_CASE("kubeconfig problems name the file, context, cluster or user", "[config]") {
  auto dir = temp_dir("errors");
  SECTION("missing explicit file") {
    auto c = load_kubeconfig(from_path(dir / "nope"));
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().message.find((dir / "nope").string()) != std::string::npos);
  }
  SECTION("unknown context") {
    write(dir / "k", kSecond);
    auto c = load_kubeconfig(from_path(dir / "k", "zeta"));
    REQUIRE_FALSE(c);
    CHECK(c.error().message == "kubeconfig: context \"zeta\" does not exist");
  }
  SECTION("unreadable certificate file") {
    write(dir / "k", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: gone.pem}}]
contexts: [{name: x, context: {cluster: c}}]
)");
    auto c = load_kubeconfig(from_path(dir / "k"));
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("cluster \"c\"") != std::string::npos);
    CHECK(c.error().message.find("gone.pem") != std::string::npos);
  }
  SECTION("bad base64 data") {
    write(dir / "k", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate-data: "!!", client-key-data: "S0VZ"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)");
    auto c = load_kubeconfig(from_path(dir / "k"));
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("user \"u\"") != std::string::npos);
    CHECK(c.error().message.find("base64") != std::string::npos);
  }
  SECTION("invalid YAML") {
    write(dir / "k", "clusters: [unclosed\n");
    auto c = load_kubeconfig(from_path(dir / "k"));
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find((dir / "k").string()) != std::string::npos);
  }
  SECTION("no file at all") {
    auto c = load_kubeconfig(from_env((dir / "none").string()));
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("no kubeconfig found") != std::string::npos);
  }
}

TEST_CASE("in-cluster configuration reads the service-account files under a root",
          "[config]") {
  auto root = temp_dir("incluster");
  fs::path sa = root / "var/run/secrets/kubernetes.io/serviceaccount";
  write(sa / "token", "sa-token\n");
  write(sa / "ca.crt", "CLUSTER-CA");
  write(sa / "namespace", "kube-system\n");
  auto c = in_cluster_config(InClusterOptions{root, "10.96.0.1", "443"});
  REQUIRE(c);
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->ca_pem == "CLUSTER-CA");
  CHECK(c->token_file == sa / "token");
  CHECK(c->default_namespace == "kube-system");
  auto v6 = in_cluster_config(InClusterOptions{root, "fd00::1", "6443"});
  REQUIRE(v6);
  CHECK(v6->server == "https://[fd00::1]:6443");
  auto no_env = in_cluster_config(InClusterOptions{root, "", ""});
  REQUIRE_FALSE(no_env);
  CHECK(no_env.error().message.find("KUBERNETES_SERVICE_HOST") != std::string::npos);
  fs::remove(sa / "ca.crt");
  auto no_ca = in_cluster_config(InClusterOptions{root, "10.96.0.1", "443"});
  REQUIRE_FALSE(no_ca);
  CHECK(no_ca.error().message.find("ca.crt") != std::string::npos);
}

TEST_CASE("the token file is re-read after the refresh interval", "[config]") {
  auto dir = temp_dir("tokenfile");
  write(dir / "token", "one\n");
  testing::FakeClock clock;
  RestConfig config;
  config.token_file = dir / "token";
  config.token_refresh = 60s;
  CredentialSource source(config, clock);
  REQUIRE(source.get());
  CHECK(source.get()->bearer_token == "one");
  write(dir / "token", "two\n");
  clock.advance(30s);
  CHECK(source.get()->bearer_token == "one");
  clock.advance(31s);
  CHECK(source.get()->bearer_token == "two");
  fs::remove(dir / "token");
  clock.advance(61s);
  CHECK(source.get()->bearer_token == "two");  // last good token kept during rotation
}

// Writes an exec plugin that counts its runs in `counter` and prints an ExecCredential.
fs::path write_plugin(const fs::path& dir, const std::string& api_version,
                      const std::string& expiry) {
  fs::path script = dir / "plugin.sh";
  write(script, "#!/bin/sh\n"
                "n=$(cat \"$COUNTER\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$COUNTER\"\n"
                "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
                "echo '{\"apiVersion\":\"" + api_version + "\",\"kind\":\"ExecCredential\","
                "\"status\":{\"token\":\"'\"$1-$n\"'\"" +
                (expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"") + "}}'\n");
  chmod(script.c_str(), 0755);
  return script;
}

TEST_CASE("an exec plugin from a kubeconfig supplies a cached token until it expires",
          "[config][exec]") {
  auto dir = temp_dir("exec");
  write_plugin(dir, "client.authentication.k8s.io/v1", "2026-01-01T00:10:00Z");
  write(dir / "config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [tok]
      env: [{name: COUNTER, value: )" + (dir / "count").string() + R"(}]
)");
  auto config = load_kubeconfig(from_path(dir / "config"));
  REQUIRE(config);
  REQUIRE(config->exec);
  CHECK(config->exec->command == (dir / "plugin.sh").string());
  CHECK(config->exec->args == std::vector<std::string>{"tok"});

  testing::FakeClock clock;
  // FakeClock's wall time starts in 2026; move it to just before the expiry.
  auto target = *detail::parse_rfc3339("2026-01-01T00:00:00Z");
  clock.advance(target - clock.wall_now());
  CredentialSource source(*config, clock);
  auto first = source.get();
  REQUIRE(first);
  CHECK(first->bearer_token == "tok-1");
  CHECK(source.get()->bearer_token == "tok-1");  // cached
  clock.advance(11min);
  CHECK(source.get()->bearer_token == "tok-2");  // expired: plugin ran again
  source.invalidate();                          // e.g. after a 401
  CHECK(source.get()->bearer_token == "tok-3");
}

TEST_CASE("exec plugin failures are configuration errors naming the plugin", "[config][exec]") {
  auto dir = temp_dir("exec-bad");
  RestConfig config;
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1beta1";
  exec.command = (dir / "plugin.sh").string();
  exec.args = {"x"};
  exec.env = {{"COUNTER", (dir / "count").string()}};
  config.exec = exec;
  SECTION("apiVersion mismatch") {
    write_plugin(dir, "client.authentication.k8s.io/v1", "");
    auto r = CredentialSource(config).get();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::kConfig);
    CHECK(r.error().message.find("does not match") != std::string::npos);
  }
  SECTION("plugin exits non-zero") {
    write(dir / "plugin.sh", "#!/bin/sh\nexit 7\n");
    chmod((dir / "plugin.sh").c_str(), 0755);
    auto r = CredentialSource(config).get();
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("exited with status 7") != std::string::npos);
  }
  SECTION("plugin missing") {
    auto r = CredentialSource(config).get();
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("plugin.sh") != std::string::npos);
  }
  SECTION("plugin hangs") {
    write(dir / "plugin.sh", "#!/bin/sh\nexec sleep 30\n");
    chmod((dir / "plugin.sh").c_str(), 0755);
    config.exec->timeout = 200ms;
    auto r = CredentialSource(config).get();
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("timed out") != std::string::npos);
  }
}

TEST_CASE("RFC 3339 timestamps and base64 decode strictly", "[config]") {
  auto t = detail::parse_rfc3339("2026-01-01T01:00:00+01:00");
  REQUIRE(t);
  CHECK(*t == *detail::parse_rfc3339("2026-01-01T00:00:00.123Z"));
  CHECK_FALSE(detail::parse_rfc3339("2026-01-01 00:00:00"));
  CHECK(detail::base64_decode("aGVsbG8=") == std::optional<std::string>("hello"));
  CHECK_FALSE(detail::base64_decode("a"));
  CHECK(detail::base64_encode("hello") == "aGVsbG8=");
}

}  // namespace
}  // namespace cairn::kube
