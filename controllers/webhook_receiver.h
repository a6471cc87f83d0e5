// WebhookReceiver: a small HTTP server on the manager that turns "a release was published"
// notifications into immediate feed lists (FeedHub::poll_now), so a new release reaches its
// ClusterStacks in seconds instead of one poll interval.
//
//   POST /hooks/releases/github     GitHub webhook (`release`, `create` of a tag, `push` of
//                                   refs/tags/*; `ping` answered), signed with
//                                   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>.
//                                   Matches github://<repository.full_name> feeds (any API base,
//                                   names case-insensitive) and Git feeds whose https:// or
//                                   ssh:// remote is that repository on the host of
//                                   repository.html_url (with or without ".git").
//   POST /hooks/releases/generic    {"source": "<feed URL>"}, signed like GitHub's in
//                                   X-Cairn-Signature-256 (X-Hub-Signature-256 also accepted);
//                                   matches the feed whose canonical URL equals the parsed one.
//   POST /hooks/releases/registry   a CNCF Distribution (docker registry) notification envelope;
//                                   registries cannot sign, so `Authorization: Bearer <secret>`
//                                   is required. Each push of a tag matches oci://<request.host>/
//                                   <target.repository> (host case-insensitive).
//
// Answers (JSON): 200 {"feeds": n} (n = feeds whose list was scheduled), 202 {"ignored":
// "<event>"} for GitHub events that publish nothing, 400 {"message"} for malformed JSON or a
// missing field, 401 for a missing or wrong signature or token (nothing is triggered, nothing
// parsed), 404 other paths, 405 other methods, 413 a body over max_body_bytes, 415 a body that
// is not JSON (application/json or any +json type; GitHub's form-encoded payloads are refused
// with a message to choose application/json). Signatures and tokens are compared in constant
// time. Each request is logged at info (path, event, status, feeds) — never the secret,
// signature or token.
//
// One I/O thread serves every connection; each request has a 10 s deadline and connections are
// kept alive. `poll_now` runs on that thread and must be quick (FeedHub::poll_now is).
//
// Thread-safety: port() and stop() may be called from any thread; stop() (also from the
// destructor) joins the I/O thread. `poll_now` must stay callable until then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kube/error.h"
#include "kube/log.h"
#include "sources/feed_url.h"

namespace cairn::controllers {

struct WebhookReceiverOptions {
  std::string address;  // "HOST:PORT", ":PORT" or "[v6]:PORT" (kube::parse_bind_address)
  std::string secret;   // HMAC-SHA256 key and registry bearer token; required, non-empty
  kube::Logger logger = kube::Logger::root();
  std::size_t max_body_bytes = 1 << 20;
};

// FeedHub::poll_now: schedules a list of every subscribed feed the matcher accepts and returns
// how many matched.
using PollNow =
    std::function<std::size_t(const std::function<bool(const sources::FeedUrl&)>& match)>;

class WebhookReceiver {
 public:
  // Binds and starts serving. kConfig error when the secret is empty, the address malformed or
  // it cannot be bound.
  static kube::Result<std::unique_ptr<WebhookReceiver>> start(WebhookReceiverOptions options,
                                                              PollNow poll_now);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  explicit WebhookReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "sha256=<hex HMAC-SHA256(secret, body)>": the signature header value GitHub sends and the
// receiver expects (for senders and tests).
std::string webhook_signature(std::string_view secret, std::string_view body);

}  // namespace cairn::controllers
