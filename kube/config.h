// Client configuration: RestConfig (where the API server is and how to authenticate), loaded
// from kubeconfig files or from the in-cluster service-account environment, plus
// CredentialSource, which produces the current credentials (bearer token or client
// certificate) from a static token, a token file that is re-read periodically (bound
// service-account tokens rotate), or an exec credential plugin whose result is cached until it
// expires or the server rejects it.
//
// RestConfig is a plain value. CredentialSource is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kube/clock.h"
#include "kube/error.h"

namespace cairn::kube {

// users[].user.exec of a kubeconfig (client.authentication.k8s.io/v1 or v1beta1).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or .../v1beta1
  std::string command;      // resolved against the kubeconfig's directory when it holds a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct RestConfig {
  // Scheme, host, port and an optional path prefix: https://10.0.0.1:6443[/clusters/x].
  std::string server;
  std::string ca_pem;  // PEM bundle to verify the server with; "" = system roots
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI and the name verified; "" = the host of `server`
  std::string bearer_token;
  std::filesystem::path token_file;  // re-read every `token_refresh` (wins over bearer_token)
  std::chrono::seconds token_refresh{60};
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<ExecConfig> exec;
  std::string username;  // basic auth (kubeconfig username/password)
  std::string password;
  std::string default_namespace = "default";
  std::string context;  // the kubeconfig context this came from ("" otherwise)
  double qps = 20;      // client-side rate limit; <= 0 disables it
  int burst = 30;
  std::string user_agent;  // default_user_agent() when empty
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};  // non-watch requests
  std::size_t max_response_bytes = 256u << 20;
};

// "cairn/<version> (linux/amd64)".
std::string default_user_agent();

struct KubeconfigOptions {
  // An explicit file (--kubeconfig): used alone, and it must exist.
  std::filesystem::path path;
  // Otherwise the KUBECONFIG list (':'-separated; missing files are skipped; for every map key
  // the first file that sets it wins); nullopt = read the KUBECONFIG environment variable, and
  // when that is empty too, ~/.kube/config.
  std::optional<std::string> kubeconfig_env;
  std::string context;             // overrides current-context
  std::string namespace_override;  // overrides the context's namespace
};

// Loads and merges kubeconfig files as kubectl does. Relative file references (certificate
// files, tokenFile, exec command with a '/') resolve against the directory of the file that
// defined them. Errors name the file, context, cluster or user at fault.
Result<RestConfig> load_kubeconfig(const KubeconfigOptions& options);

struct InClusterOptions {
  // Root prepended to /var/run/secrets/kubernetes.io/serviceaccount (tests use a temp dir).
  std::filesystem::path root = "/";
  // Values of KUBERNETES_SERVICE_HOST / _PORT; nullopt = read the environment.
  std::optional<std::string> service_host;
  std::optional<std::string> service_port;
};

// The service-account configuration of a pod: https://$KUBERNETES_SERVICE_HOST:$..._PORT, the
// token file (re-read periodically), ca.crt and the namespace file.
Result<RestConfig> in_cluster_config(const InClusterOptions& options = {});

struct Credentials {
  std::string bearer_token;
  std::string client_cert_pem;
  std::string client_key_pem;
};

class CredentialSource {
 public:
  // `clock` must outlive this object.
  explicit CredentialSource(const RestConfig& config, Clock& clock = Clock::system());

  // The credentials to send now: the exec plugin's cached result (running the plugin when there
  // is none or it expired), else the token file's content (re-read when older than
  // token_refresh), else the static token / client certificate.
  Result<Credentials> get();
  // Called after a 401: forgets the plugin result and the token file content, so that the next
  // get() runs the plugin again / re-reads the file.
  void invalidate();

 private:
  Result<Credentials> run_exec();

  RestConfig config_;
  Clock& clock_;
  std::mutex mu_;
  std::optional<Credentials> exec_cached_;
  std::optional<std::chrono::system_clock::time_point> exec_expiry_;
  std::optional<std::string> file_token_;
  std::chrono::steady_clock::time_point file_read_at_{};
};

}  // namespace cairn::kube
