// WebhookReceiver: the Beast HTTP server of the release webhooks — connection handling (body
// limit, 100-continue, keep-alive, deadlines), authentication (HMAC-SHA256 signatures, bearer
// token) and the three payload kinds turned into FeedHub::poll_now matchers
// (webhook_receiver.h).
#include "controllers/webhook_receiver.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "kube/detail/listener.h"
#include "sources/digest.h"

namespace cairn::controllers {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

constexpr std::chrono::seconds kRequestDeadline{10};
// After refusing a body that is too large, the rest the client sends is read and dropped for up
// to this long before closing, so the client reads the 413 instead of a connection reset.
constexpr std::chrono::seconds kLingerDeadline{2};
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kLoggedPathChars = 200;

constexpr std::string_view kGitHubPath = "/hooks/releases/github";
constexpr std::string_view kGenericPath = "/hooks/releases/generic";
constexpr std::string_view kRegistryPath = "/hooks/releases/registry";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view sv(beast::string_view s) { return std::string_view(s.data(), s.size()); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &size);
  return to_hex(mac.data(), size);
}

// Equal strings, in time that depends on neither content nor length: both are hashed first.
bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::string ha = sources::sha256_hex(a);
  const std::string hb = sources::sha256_hex(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

// `header` is "sha256=<hex HMAC-SHA256(secret, body)>" (hex in either case).
bool signature_ok(std::string_view header, std::string_view secret, std::string_view body) {
  constexpr std::string_view kPrefix = "sha256=";
  header = trim(header);
  if (!starts_with(lower(header.substr(0, kPrefix.size())), kPrefix)) return false;
  return constant_time_equal(lower(header.substr(kPrefix.size())), hmac_sha256_hex(secret, body));
}

// `header` is "Bearer <secret>" (scheme case-insensitive).
bool bearer_ok(std::string_view header, std::string_view secret) {
  constexpr std::string_view kScheme = "bearer ";
  header = trim(header);
  if (lower(header.substr(0, kScheme.size())) != kScheme) return false;
  return constant_time_equal(trim(header.substr(kScheme.size())), secret);
}

// application/json, or any structured-syntax +json type (the registry's
// application/vnd.docker.distribution.events.v1+json), parameters ignored.
bool json_media_type(std::string_view content_type) {
  const std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  return media == "application/json" ||
         (media.find('/') != std::string::npos && ends_with(media, "+json"));
}

std::optional<std::string> string_field(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The host (lower case, no user, no port) and repository path (lower case, no leading or
// trailing '/', no ".git") of "SCHEME://[USER@]HOST[:PORT]/PATH"; nullopt when malformed.
struct HostAndPath {
  std::string host;
  std::string path;
};
std::optional<HostAndPath> split_url(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (starts_with(authority, "[")) {
    host = authority.substr(0, authority.find(']') + 1);
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (ends_with(path, ".git")) path.remove_suffix(4);
  if (host.empty() || path.empty()) return std::nullopt;
  return HostAndPath{lower(host), lower(path)};
}

// The feeds a GitHub repository publishes to: github://<full_name> on any API base, and Git
// feeds whose https:// or ssh:// remote is that repository on `host` (from html_url).
bool github_repository_feed(const sources::FeedUrl& url, const std::string& full_name,
                            const std::string& host) {
  if (url.kind == sources::FeedKind::kGitHub) return lower(url.org + "/" + url.repo) == full_name;
  if (url.kind != sources::FeedKind::kGit || host.empty()) return false;
  if (!starts_with(url.remote, "https://") && !starts_with(url.remote, "ssh://")) return false;
  const auto remote = split_url(url.remote);
  return remote && remote->host == host && remote->path == full_name;
}

// The outcome of one request, for the answer and the log record.
struct Reply {
  http::status status = http::status::ok;
  json body;
  std::string event;  // GitHub event, registry actions; "" when none
  std::size_t feeds = 0;
};

Reply message_reply(http::status status, std::string message) {
  Reply r;
  r.status = status;
  r.body = {{"message", std::move(message)}};
  return r;
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

struct WebhookReceiver::Impl {
  WebhookReceiverOptions options;
  PollNow poll_now;
  // Last: stopped and destroyed first, so no connection outlives what it uses.
  std::unique_ptr<kube::detail::Listener> listener;

  std::size_t poll(const std::function<bool(const sources::FeedUrl&)>& match) {
    return poll_now ? poll_now(match) : 0;
  }

  Reply handle(const http::request<http::string_body>& req, std::string_view path) {
    if (path != kGitHubPath && path != kGenericPath && path != kRegistryPath) {
      return message_reply(http::status::not_found,
                           "no such endpoint; the release webhooks are POST " +
                               std::string(kGitHubPath) + ", " + std::string(kGenericPath) +
                               " and " + std::string(kRegistryPath));
    }
    if (req.method() != http::verb::post) {
      return message_reply(http::status::method_not_allowed,
                           "release webhooks take POST requests only");
    }
    const std::string_view body = req.body();
    if (path == kRegistryPath) {
      if (!bearer_ok(sv(req[http::field::authorization]), options.secret)) {
        return message_reply(http::status::unauthorized,
                             "missing or wrong token: send \"Authorization: Bearer <secret>\" "
                             "with the webhook secret (registry notification endpoint headers)");
      }
    } else {
      std::string_view signature = sv(req["X-Hub-Signature-256"]);
      if (path == kGenericPath && !req["X-Cairn-Signature-256"].empty()) {
        signature = sv(req["X-Cairn-Signature-256"]);
      }
      if (!signature_ok(signature, options.secret, body)) {
        return message_reply(
            http::status::unauthorized,
            std::string("missing or wrong signature: send ") +
                (path == kGitHubPath ? "X-Hub-Signature-256" : "X-Cairn-Signature-256") +
                ": sha256=<hex HMAC-SHA256 of the body keyed with the webhook secret>");
      }
    }
    const std::string_view content_type = sv(req[http::field::content_type]);
    if (!json_media_type(content_type)) {
      const bool form = starts_with(lower(content_type), "application/x-www-form-urlencoded");
      return message_reply(
          http::status::unsupported_media_type,
          form && path == kGitHubPath
              ? "GitHub sent a form-encoded payload: set the webhook's Content type to "
                "application/json"
              : "the body must be JSON (Content-Type: application/json)");
    }
    json doc;
    try {
      doc = json::parse(body);
    } catch (const json::parse_error& e) {
      return message_reply(http::status::bad_request,
                           "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
    }
    if (!doc.is_object()) {
      return message_reply(http::status::bad_request, "the body must be a JSON object");
    }
    if (path == kGitHubPath) return github(req, doc);
    if (path == kGenericPath) return generic(doc);
    return registry(doc);
  }

  Reply github(const http::request<http::string_body>& req, const json& doc) {
    const std::string event(trim(sv(req["X-GitHub-Event"])));
    if (event.empty()) {
      return message_reply(http::status::bad_request, "missing X-GitHub-Event header");
    }
    Reply r;
    r.event = event;
    if (event == "ping") {
      r.body = {{"message", "pong"}};
      return r;
    }
    bool publishes = event == "release";
    if (event == "create") publishes = string_field(doc, "ref_type") == "tag";
    if (event == "push")
      publishes = starts_with(string_field(doc, "ref").value_or(""), "refs/tags/");
    if (!publishes) {
      r.status = http::status::accepted;
      r.body = {{"ignored", event}};
      return r;
    }
    const json& repository = doc.contains("repository") ? doc["repository"] : json();
    const auto full_name = string_field(repository, "full_name");
    if (!full_name || full_name->find('/') == std::string::npos) {
      r = message_reply(http::status::bad_request, "missing field repository.full_name");
      r.event = event;
      return r;
    }
    std::string host;
    if (const auto html_url = string_field(repository, "html_url")) {
      if (const auto parsed = split_url(*html_url)) host = parsed->host;
    }
    const std::string name = lower(*full_name);
    r.feeds = poll([&name, &host](const sources::FeedUrl& url) {
      return github_repository_feed(url, name, host);
    });
    r.body = {{"feeds", r.feeds}};
    return r;
  }

  Reply generic(const json& doc) {
    const auto source = string_field(doc, "source");
    if (!source) return message_reply(http::status::bad_request, "missing field source");
    const auto url = sources::FeedUrl::parse(*source);
    if (!url) return message_reply(http::status::bad_request, url.error().message);
    const std::string canonical = url->str();
    Reply r;
    r.feeds = poll([&canonical](const sources::FeedUrl& feed) { return feed.str() == canonical; });
    r.body = {{"feeds", r.feeds}};
    return r;
  }

  Reply registry(const json& doc) {
    const auto events = doc.find("events");
    if (events == doc.end() || !events->is_array()) {
      return message_reply(http::status::bad_request, "missing field events");
    }
    std::set<std::pair<std::string, std::string>> pushed;  // (host, repository)
    std::set<std::string> actions;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const json& event = (*events)[i];
      const std::string where = "events[" + std::to_string(i) + "]";
      if (!event.is_object()) {
        return message_reply(http::status::bad_request, where + " is not an object");
      }
      const std::string action = string_field(event, "action").value_or("");
      actions.insert(action);
      const json& target = event.contains("target") ? event["target"] : json();
      // Pushes of blobs and of manifests by digest change no tag: nothing to list.
      if (action != "push" || string_field(target, "tag").value_or("").empty()) continue;
      const auto repository = string_field(target, "repository");
      if (!repository) {
        return message_reply(http::status::bad_request,
                             "missing field " + where + ".target.repository");
      }
      const auto host = string_field(event.contains("request") ? event["request"] : json(), "host");
      if (!host) {
        return message_reply(http::status::bad_request, "missing field " + where + ".request.host");
      }
      pushed.emplace(lower(*host), *repository);
    }
    Reply r;
    for (const std::string& action : actions) r.event += (r.event.empty() ? "" : ",") + action;
    if (!pushed.empty()) {
      r.feeds = poll([&pushed](const sources::FeedUrl& url) {
        return url.kind == sources::FeedKind::kOci &&
               pushed.count({lower(url.registry), url.repository}) != 0;
      });
    }
    r.body = {{"feeds", r.feeds}};
    return r;
  }

  // Builds the answer to a complete request and logs it.
  http::response<http::string_body> respond(const http::request<http::string_body>& req,
                                            const std::string& remote) {
    const std::string_view target = sv(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    Reply reply = handle(req, path);
    http::response<http::string_body> res{reply.status, req.version()};
    res.set(http::field::content_type, "application/json");
    if (reply.status == http::status::method_not_allowed) res.set(http::field::allow, "POST");
    res.body() = reply.body.dump() + "\n";
    kube::LogFields fields = {{"path", std::string(path.substr(0, kLoggedPathChars))},
                              {"status", static_cast<int>(reply.status)},
                              {"remote", remote}};
    if (!reply.event.empty()) fields.push_back({"event", reply.event});
    if (reply.status == http::status::ok && reply.body.contains("feeds")) {
      fields.push_back({"feeds", reply.feeds});
    }
    if (reply.body.contains("message") && reply.status != http::status::ok) {
      fields.push_back({"error", reply.body["message"]});
    }
    options.logger.info("release webhook", fields);
    return res;
  }

  http::response<http::string_body> too_large(unsigned version, std::string_view target,
                                              const std::string& remote) {
    http::response<http::string_body> res{http::status::payload_too_large, version};
    res.set(http::field::content_type, "application/json");
    res.body() =
        json{{"message", "the body exceeds " + std::to_string(options.max_body_bytes) + " bytes"}}
            .dump() +
        "\n";
    const std::string_view path = target.substr(0, target.find('?'));
    options.logger.info("release webhook", {{"path", std::string(path.substr(0, kLoggedPathChars))},
                                            {"status", 413},
                                            {"remote", remote}});
    return res;
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* impl, tcp::socket socket) : impl(impl), stream(std::move(socket)) {}
    Impl* impl;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::empty_body> continue_res;
    http::response<http::string_body> res;
    std::array<char, 4096> drain{};
    std::string remote;

    void start() {
      beast::error_code ec;
      const auto endpoint = stream.socket().remote_endpoint(ec);
      if (!ec) remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
      read_header();
    }

    void read_header() {
      parser.emplace();
      parser->header_limit(kHeaderLimit);
      parser->body_limit(impl->options.max_body_bytes);
      stream.expires_after(kRequestDeadline);
      http::async_read_header(stream, buffer, *parser,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                // A Content-Length over the limit fails the header already.
                                if (ec == http::error::body_limit) return self->refuse_too_large();
                                if (ec) return self->close();
                                self->on_header();
                              });
    }

    void on_header() {
      const auto& req = parser->get();
      if (lower(sv(req[http::field::expect])) == "100-continue") {
        continue_res = http::response<http::empty_body>{http::status::continue_, req.version()};
        http::async_write(stream, continue_res,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->close();
                            self->read_body();
                          });
        return;
      }
      read_body();
    }

    void read_body() {
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec == http::error::body_limit) return self->refuse_too_large();
                         if (ec) return self->close();
                         const auto& req = self->parser->get();
                         self->write(self->impl->respond(req, self->remote), req.keep_alive());
                       });
    }

    void refuse_too_large() {
      const auto& req = parser->get();
      write(impl->too_large(req.version(), sv(req.target()), remote), false);
    }

    void write(http::response<http::string_body> response, bool keep_alive) {
      res = std::move(response);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      stream.expires_after(kRequestDeadline);
      http::async_write(stream, res,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          if (!self->res.keep_alive()) return self->linger();
                          self->read_header();
                        });
    }

    // Half-close, then read and drop what the client still sends until it closes too.
    void linger() {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.expires_after(kLingerDeadline);
      drain_some();
    }

    void drain_some() {
      stream.async_read_some(asio::buffer(drain),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->close();
                               self->drain_some();
                             });
    }

    void close() { kube::detail::close_connection(stream.socket()); }
  };
};

kube::Result<std::unique_ptr<WebhookReceiver>> WebhookReceiver::start(
    WebhookReceiverOptions options, PollNow poll_now) {
  if (options.secret.empty()) {
    return tl::unexpected(kube::make_error(
        kube::ErrorKind::kConfig,
        "release webhook receiver: a secret is required (it verifies the HMAC-SHA256 "
        "signatures of GitHub and generic webhooks and is the registry's bearer token)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->poll_now = std::move(poll_now);
  Impl* raw = impl.get();
  auto listener = kube::detail::Listener::start(
      raw->options.address, "release webhook receiver: ", [raw](tcp::socket socket) {
        std::make_shared<Impl::Session>(raw, std::move(socket))->start();
      });
  if (!listener) return tl::unexpected(listener.error());
  impl->listener = std::move(*listener);
  return std::unique_ptr<WebhookReceiver>(new WebhookReceiver(std::move(impl)));
}

WebhookReceiver::WebhookReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookReceiver::~WebhookReceiver() { stop(); }

std::uint16_t WebhookReceiver::port() const { return impl_->listener->port(); }

void WebhookReceiver::stop() { impl_->listener->stop(); }

}  // namespace cairn::controllers
