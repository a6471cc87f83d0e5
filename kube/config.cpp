#include "kube/config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include <yaml-cpp/yaml.h>

#include "kube/detail/text.h"

extern char** environ;

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;

Error config_error(std::string message) {
  return make_error(ErrorKind::kConfig, std::move(message));
}

// A named entry of clusters/users/contexts together with the file that defined it.
struct Entry {
  YAML::Node node;
  fs::path file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  fs::path current_context_file;
};

fs::path resolve(const fs::path& file, const std::string& ref) {
  fs::path p(ref);
  if (p.is_absolute()) return p;
  return (file.parent_path() / p).lexically_normal();
}

// Reads one kubeconfig file into `merged`; keys already present are kept (first file wins).
Result<void> merge_file(const fs::path& file, Merged& merged) {
  std::string error;
  auto text = detail::read_file(file, error);
  if (!text) return tl::unexpected(config_error("kubeconfig " + file.string() + ": " + error));
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return tl::unexpected(config_error("kubeconfig " + file.string() + ": " + e.what()));
  }
  if (!root || root.IsNull()) return {};
  if (!root.IsMap()) {
    return tl::unexpected(config_error("kubeconfig " + file.string() + ": not a YAML mapping"));
  }
  try {
    auto collect = [&](const char* list_key, const char* item_key,
                       std::map<std::string, Entry>& into) -> Result<void> {
      YAML::Node list = root[list_key];
      if (!list || list.IsNull()) return {};
      if (!list.IsSequence()) {
        return tl::unexpected(config_error("kubeconfig " + file.string() + ": " + list_key +
                                           " is not a list"));
      }
      for (const auto& item : list) {
        if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
          return tl::unexpected(config_error("kubeconfig " + file.string() + ": an entry of " +
                                             list_key + " has no name"));
        }
        std::string name = item["name"].as<std::string>();
        YAML::Node body = item[item_key];
        into.emplace(name, Entry{body ? body : YAML::Node(YAML::NodeType::Map), file});
      }
      return {};
    };
    if (auto r = collect("clusters", "cluster", merged.clusters); !r) return r;
    if (auto r = collect("users", "user", merged.users); !r) return r;
    if (auto r = collect("contexts", "context", merged.contexts); !r) return r;
    if (merged.current_context.empty() && root["current-context"] &&
        root["current-context"].IsScalar()) {
      merged.current_context = root["current-context"].as<std::string>();
      merged.current_context_file = file;
    }
  } catch (const YAML::Exception& e) {
    return tl::unexpected(config_error("kubeconfig " + file.string() + ": " + e.what()));
  }
  return {};
}

// Reads a string field of a map node; "" when absent. Throws YAML::Exception on non-scalars
// (callers convert).
std::string str(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return {};
  if (!v.IsScalar()) throw YAML::Exception(v.Mark(), std::string(key) + " is not a string");
  return v.as<std::string>();
}

bool boolean(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return false;
  return v.as<bool>();
}

// `<key>-data` (base64) or `<key>` (a file relative to the kubeconfig).
Result<std::string> data_or_file(const YAML::Node& node, const std::string& key,
                                 const fs::path& file, const std::string& what) {
  std::string data = str(node, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = detail::base64_decode(data);
    if (!decoded) {
      return tl::unexpected(config_error(what + " in " + file.string() + ": " + key +
                                         "-data is not valid base64"));
    }
    return *decoded;
  }
  std::string ref = str(node, key.c_str());
  if (ref.empty()) return std::string();
  fs::path path = resolve(file, ref);
  std::string error;
  auto content = detail::read_file(path, error);
  if (!content) {
    return tl::unexpected(config_error(what + " in " + file.string() + ": cannot read " + key +
                                       " " + path.string() + ": " + error));
  }
  return *content;
}

Result<void> apply_cluster(const Entry& entry, const std::string& name, RestConfig& config) {
  const std::string what = "cluster \"" + name + "\"";
  try {
    config.server = str(entry.node, "server");
    if (config.server.empty()) {
      return tl::unexpected(
          config_error(what + " in " + entry.file.string() + " has no server"));
    }
    config.insecure_skip_tls_verify = boolean(entry.node, "insecure-skip-tls-verify");
    config.tls_server_name = str(entry.node, "tls-server-name");
    auto ca = data_or_file(entry.node, "certificate-authority", entry.file, what);
    if (!ca) return tl::unexpected(ca.error());
    config.ca_pem = *ca;
  } catch (const YAML::Exception& e) {
    return tl::unexpected(config_error(what + " in " + entry.file.string() + ": " + e.what()));
  }
  return {};
}

Result<void> apply_user(const Entry& entry, const std::string& name, RestConfig& config) {
  const std::string what = "user \"" + name + "\"";
  try {
    config.bearer_token = str(entry.node, "token");
    std::string token_file = str(entry.node, "tokenFile");
    if (!token_file.empty()) config.token_file = resolve(entry.file, token_file);
    config.username = str(entry.node, "username");
    config.password = str(entry.node, "password");
    auto cert = data_or_file(entry.node, "client-certificate", entry.file, what);
    if (!cert) return tl::unexpected(cert.error());
    auto key = data_or_file(entry.node, "client-key", entry.file, what);
    if (!key) return tl::unexpected(key.error());
    if (cert->empty() != key->empty()) {
      return tl::unexpected(config_error(what + " in " + entry.file.string() +
                                         ": client certificate and key must be given together"));
    }
    config.client_cert_pem = *cert;
    config.client_key_pem = *key;
    YAML::Node exec = entry.node["exec"];
    if (exec && !exec.IsNull()) {
      ExecConfig e;
      e.api_version = str(exec, "apiVersion");
      if (e.api_version != "client.authentication.k8s.io/v1" &&
          e.api_version != "client.authentication.k8s.io/v1beta1") {
        return tl::unexpected(config_error(what + " in " + entry.file.string() +
                                           ": exec plugin: unsupported apiVersion \"" +
                                           e.api_version + "\""));
      }
      e.command = str(exec, "command");
      if (e.command.empty()) {
        return tl::unexpected(config_error(what + " in " + entry.file.string() +
                                           ": exec plugin: command is required"));
      }
      if (e.command.find('/') != std::string::npos) {
        e.command = resolve(entry.file, e.command).string();
      }
      if (YAML::Node args = exec["args"]; args && args.IsSequence()) {
        for (const auto& a : args) e.args.push_back(a.as<std::string>());
      }
      if (YAML::Node env = exec["env"]; env && env.IsSequence()) {
        for (const auto& kv : env) e.env.emplace_back(str(kv, "name"), str(kv, "value"));
      }
      config.exec = std::move(e);
    }
  } catch (const YAML::Exception& e) {
    return tl::unexpected(config_error(what + " in " + entry.file.string() + ": " + e.what()));
  }
  return {};
}

std::vector<fs::path> kubeconfig_files(const KubeconfigOptions& options, bool& explicit_path) {
  explicit_path = !options.path.empty();
  if (explicit_path) return {options.path};
  std::string env;
  if (options.kubeconfig_env) {
    env = *options.kubeconfig_env;
  } else if (const char* v = std::getenv("KUBECONFIG")) {
    env = v;
  }
  std::vector<fs::path> files;
  std::size_t start = 0;
  while (start <= env.size() && !env.empty()) {
    std::size_t end = env.find(':', start);
    if (end == std::string::npos) end = env.size();
    if (end > start) files.emplace_back(env.substr(start, end - start));
    start = end + 1;
  }
  if (files.empty()) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) files.emplace_back(fs::path(home) / ".kube" / "config");
  }
  return files;
}

std::string json_escape(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

std::string default_user_agent() { return "cairn/0.1.0 (linux/amd64)"; }

Result<RestConfig> load_kubeconfig(const KubeconfigOptions& options) {
  bool explicit_path = false;
  std::vector<fs::path> files = kubeconfig_files(options, explicit_path);
  Merged merged;
  bool any = false;
  for (const auto& file : files) {
    std::error_code ec;
    if (!explicit_path && !fs::exists(file, ec)) continue;  // KUBECONFIG entries may be missing
    if (auto r = merge_file(file, merged); !r) return tl::unexpected(r.error());
    any = true;
  }
  if (!any) {
    return tl::unexpected(config_error("no kubeconfig found (looked at KUBECONFIG and " +
                                       (files.empty() ? std::string("$HOME/.kube/config")
                                                      : files.back().string()) + ")"));
  }
  std::string context_name = options.context.empty() ? merged.current_context : options.context;
  if (context_name.empty()) {
    return tl::unexpected(config_error("kubeconfig: no current-context is set and no context "
                                       "was given"));
  }
  auto ctx = merged.contexts.find(context_name);
  if (ctx == merged.contexts.end()) {
    return tl::unexpected(config_error("kubeconfig: context \"" + context_name +
                                       "\" does not exist"));
  }
  RestConfig config;
  config.context = context_name;
  std::string cluster_name, user_name, ns;
  try {
    cluster_name = str(ctx->second.node, "cluster");
    user_name = str(ctx->second.node, "user");
    ns = str(ctx->second.node, "namespace");
  } catch (const YAML::Exception& e) {
    return tl::unexpected(config_error("context \"" + context_name + "\" in " +
                                       ctx->second.file.string() + ": " + e.what()));
  }
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return tl::unexpected(config_error("context \"" + context_name + "\" in " +
                                       ctx->second.file.string() + ": cluster \"" +
                                       cluster_name + "\" does not exist"));
  }
  if (auto r = apply_cluster(cluster->second, cluster_name, config); !r) {
    return tl::unexpected(r.error());
  }
  if (!user_name.empty()) {
    auto user = merged.users.find(user_name);
    if (user == merged.users.end()) {
      return tl::unexpected(config_error("context \"" + context_name + "\" in " +
                                         ctx->second.file.string() + ": user \"" + user_name +
                                         "\" does not exist"));
    }
    if (auto r = apply_user(user->second, user_name, config); !r) {
      return tl::unexpected(r.error());
    }
  }
  if (!ns.empty()) config.default_namespace = ns;
  if (!options.namespace_override.empty()) config.default_namespace = options.namespace_override;
  return config;
}

Result<RestConfig> in_cluster_config(const InClusterOptions& options) {
  auto env_or = [](const std::optional<std::string>& given, const char* name) -> std::string {
    if (given) return *given;
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  std::string host = env_or(options.service_host, "KUBERNETES_SERVICE_HOST");
  std::string port = env_or(options.service_port, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return tl::unexpected(config_error("unable to load in-cluster configuration, "
                                       "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
                                       "be defined"));
  }
  fs::path dir = options.root / "var/run/secrets/kubernetes.io/serviceaccount";
  RestConfig config;
  bool ipv6 = host.find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  std::string error;
  fs::path token = dir / "token";
  if (!detail::read_file(token, error)) {
    return tl::unexpected(config_error("in-cluster token " + token.string() + ": " + error));
  }
  config.token_file = token;
  fs::path ca = dir / "ca.crt";
  auto ca_pem = detail::read_file(ca, error);
  if (!ca_pem) {
    return tl::unexpected(config_error("in-cluster CA " + ca.string() + ": " + error));
  }
  config.ca_pem = *ca_pem;
  if (auto ns = detail::read_file(dir / "namespace", error)) {
    std::string trimmed = detail::trim(*ns);
    if (!trimmed.empty()) config.default_namespace = trimmed;
  }
  return config;
}

CredentialSource::CredentialSource(const RestConfig& config, Clock& clock)
    : config_(config), clock_(clock) {}

void CredentialSource::invalidate() {
  std::lock_guard lock(mu_);
  exec_cached_.reset();
  exec_expiry_.reset();
  file_token_.reset();
}

Result<Credentials> CredentialSource::get() {
  std::lock_guard lock(mu_);
  Credentials creds{config_.bearer_token, config_.client_cert_pem, config_.client_key_pem};
  if (config_.exec) {
    bool expired = exec_expiry_ && clock_.wall_now() >= *exec_expiry_;
    if (!exec_cached_ || expired) {
      auto fresh = run_exec();
      if (!fresh) return fresh;
      exec_cached_ = *fresh;
    }
    Credentials out = *exec_cached_;
    if (out.bearer_token.empty() && out.client_cert_pem.empty()) return creds;
    if (out.client_cert_pem.empty()) {
      out.client_cert_pem = creds.client_cert_pem;
      out.client_key_pem = creds.client_key_pem;
    }
    return out;
  }
  if (!config_.token_file.empty()) {
    auto now = clock_.now();
    if (!file_token_ || now - file_read_at_ >= config_.token_refresh) {
      std::string error;
      auto text = detail::read_file(config_.token_file, error);
      if (!text) {
        if (!file_token_) {
          return tl::unexpected(config_error("token file " + config_.token_file.string() + ": " +
                                             error));
        }
        // Keep the last good token while the file is briefly missing during rotation.
      } else {
        file_token_ = detail::trim(*text);
        file_read_at_ = now;
      }
    }
    creds.bearer_token = *file_token_;
  }
  return creds;
}

Result<Credentials> CredentialSource::run_exec() {
  const ExecConfig& exec = *config_.exec;
  const std::string what = "exec plugin " + exec.command;
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const auto& [k, v] : exec.env) {
      if (entry.rfind(k + "=", 0) == 0) overridden = true;
    }
    if (entry.rfind("KUBERNETES_EXEC_INFO=", 0) == 0) overridden = true;
    if (!overridden) env_strings.push_back(std::move(entry));
  }
  for (const auto& [k, v] : exec.env) env_strings.push_back(k + "=" + v);
  env_strings.push_back("KUBERNETES_EXEC_INFO={\"apiVersion\":" + json_escape(exec.api_version) +
                        ",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{exec.command};
  argv_strings.insert(argv_strings.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return tl::unexpected(config_error(what + ": pipe: " + std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return tl::unexpected(config_error(what + ": cannot run: " + std::strerror(rc)));
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + exec.timeout;
  bool timed_out = false;
  constexpr std::size_t kMaxOutput = 1u << 20;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[4096];
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
    if (out.size() > kMaxOutput) break;
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return tl::unexpected(config_error(what + ": timed out"));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return tl::unexpected(config_error(what + ": exited with status " +
                                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status)
                                                                        : 128 + WTERMSIG(status))));
  }
  nlohmann::json cred = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!cred.is_object() || cred.value("kind", "") != "ExecCredential") {
    return tl::unexpected(config_error(what + ": output is not an ExecCredential"));
  }
  if (cred.value("apiVersion", "") != exec.api_version) {
    return tl::unexpected(config_error(what + ": ExecCredential apiVersion \"" +
                                       cred.value("apiVersion", "") + "\" does not match \"" +
                                       exec.api_version + "\""));
  }
  auto st = cred.find("status");
  if (st == cred.end() || !st->is_object()) {
    return tl::unexpected(config_error(what + ": ExecCredential has no status"));
  }
  Credentials creds;
  auto get_str = [&](const char* key) {
    auto it = st->find(key);
    return it != st->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  creds.bearer_token = get_str("token");
  creds.client_cert_pem = get_str("clientCertificateData");
  creds.client_key_pem = get_str("clientKeyData");
  if (creds.bearer_token.empty() && creds.client_cert_pem.empty()) {
    return tl::unexpected(config_error(what + ": ExecCredential status has neither token nor "
                                       "clientCertificateData"));
  }
  if (creds.client_cert_pem.empty() != creds.client_key_pem.empty()) {
    return tl::unexpected(config_error(what + ": clientCertificateData and clientKeyData must "
                                       "be given together"));
  }
  exec_expiry_.reset();
  if (std::string exp = get_str("expirationTimestamp"); !exp.empty()) {
    auto t = detail::parse_rfc3339(exp);
    if (!t) {
      return tl::unexpected(config_error(what + ": bad expirationTimestamp \"" + exp + "\""));
    }
    exec_expiry_ = *t;
  }
  return creds;
}

}  // namespace cairn::kube
