#include "apiserver/server.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "apiserver/auth.h"
#include "apiserver/controllers.h"
#include "apiserver/handler.h"
#include "apiserver/http.h"
#include "apiserver/pki.h"
#include "apiserver/resources.h"
#include "apiserver/store.h"

namespace cairn::apiserver {

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& listen) {
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return error(StatusCode::kBadRequest,
                   "invalid listen address \"" + listen + "\": want [IPv6]:PORT");
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon)
      return error(StatusCode::kBadRequest,
                   "invalid listen address \"" + listen + "\": want HOST:PORT");
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535)
    return error(StatusCode::kBadRequest,
                 "invalid listen address \"" + listen + "\": want HOST:PORT with PORT 0-65535");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const in6_addr loopback = IN6ADDR_LOOPBACK_INIT;
    return std::memcmp(&v6, &loopback, sizeof v6) == 0;
  }
  return false;
}

struct ApiServer::Impl {
  ApiServerConfig config;
  std::unique_ptr<Store> store;
  std::unique_ptr<Registry> registry;
  std::optional<Authenticator> authenticator;
  std::unique_ptr<ApiHandler> handler;
  std::unique_ptr<Controllers> controllers;
  std::unique_ptr<HttpServer> http;
  std::filesystem::path kubeconfig;
  std::string url;
  bool stopped = false;

  void stop() {
    if (stopped) return;
    stopped = true;
    if (http) http->stop();
    if (controllers) controllers->stop();
    http.reset();
    controllers.reset();
    handler.reset();
    store.reset();  // commits queued writes, closes watches
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() { stop(); }
void ApiServer::stop() { impl_->stop(); }
std::uint16_t ApiServer::port() const { return impl_->http ? impl_->http->port() : 0; }
std::string ApiServer::url() const { return impl_->url; }
const std::filesystem::path& ApiServer::kubeconfig() const { return impl_->kubeconfig; }

Result<std::unique_ptr<ApiServer>> ApiServer::start(const ApiServerConfig& config) {
  if (config.data_dir.empty()) return error(StatusCode::kBadRequest, "--data-dir is required");
  auto listen = parse_listen_address(config.listen);
  if (!listen) return tl::unexpected(listen.error());
  const auto& [host, port] = *listen;
  if (config.insecure && !is_loopback_host(host))
    return error(StatusCode::kBadRequest,
                 "--insecure serves plain HTTP without authentication and is only allowed on a "
                 "loopback address (127.0.0.1, ::1, localhost), not \"" + host + "\"");

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    return error(StatusCode::kInternal,
                 "cannot create data dir " + config.data_dir.string() + ": " + ec.message());

  StoreOptions store_options;
  store_options.data_dir = config.data_dir / "store";
  store_options.watch_history = config.watch_history;
  auto store = Store::open(store_options);
  if (!store) return tl::unexpected(store.error());
  impl->store = std::move(*store);
  impl->registry = std::make_unique<Registry>();

  ApiHandlerOptions handler_options;
  handler_options.server_address = config.listen;
  std::optional<PkiFiles> pki;
  if (config.insecure) {
    handler_options.insecure = true;
  } else {
    std::vector<std::string> hosts = {host};
    auto files = ensure_pki(config.data_dir / "pki", hosts);
    if (!files) return tl::unexpected(files.error());
    pki = std::move(*files);
    auto auth = Authenticator::from_token_file(pki->token_file);
    if (!auth) return tl::unexpected(auth.error());
    impl->authenticator.emplace(std::move(*auth));
    handler_options.authenticator = &*impl->authenticator;
  }

  impl->handler = std::make_unique<ApiHandler>(*impl->store, *impl->registry, handler_options);
  if (auto started = impl->handler->start(); !started) return tl::unexpected(started.error());
  impl->controllers = std::make_unique<Controllers>(*impl->store, *impl->registry);
  impl->controllers->start();

  HttpServerOptions http_options;
  http_options.host = host;
  http_options.port = port;
  if (pki) http_options.tls = TlsFiles{pki->serving_cert, pki->serving_key, pki->ca_cert};
  ApiHandler* handler = impl->handler.get();
  auto http = HttpServer::start(http_options, [handler](HttpRequest& r) { return handler->handle(r); });
  if (!http) return tl::unexpected(http.error());
  impl->http = std::move(*http);

  const std::string url_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  impl->url = std::string(config.insecure ? "http://" : "https://") + url_host + ":" +
              std::to_string(impl->http->port());
  // The handler names this address in /api (serverAddressByClientCIDRs); it is only known
  // once the listener is bound, which is fine: nothing is served before start() returns.
  impl->kubeconfig =
      config.kubeconfig_out.empty() ? config.data_dir / "admin.kubeconfig" : config.kubeconfig_out;
  if (auto w = write_kubeconfig(impl->kubeconfig, impl->url, pki ? &*pki : nullptr); !w)
    return tl::unexpected(w.error());
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

}  // namespace cairn::apiserver
