// WebhookReceiver over loopback (libcurl and raw sockets): signatures, payload kinds, matching
// rules, HTTP edge cases, logs, and end to end with a FeedHub on a file:// feed.
#include "controllers/webhook_receiver.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/feed_hub.h"
#include "tests/common/eventually.h"
#include "tests/common/temp_dir.h"
#include "tests/controllers/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::controllers::FeedHub;
using cairn::controllers::FeedHubOptions;
using cairn::controllers::webhook_signature;
using cairn::controllers::WebhookReceiver;
using cairn::controllers::WebhookReceiverOptions;
using cairn::controllers::testing::json_logger;
using cairn::controllers::testing::LogCapture;
using cairn::sources::FeedUrl;
using cairn::testing::eventually;
using nlohmann::json;

constexpr char kSecret[] = "webhook-secret-0f3a9c";

const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == 0;

// Stands in for FeedHub::poll_now: the feeds the matcher accepted among fixed candidates.
class Candidates {
 public:
  explicit Candidates(const std::vector<std::string>& urls) {
    for (const auto& u : urls) {
      auto parsed = FeedUrl::parse(u);
      INFO(u);
      REQUIRE(parsed);
      urls_.push_back(*parsed);
    }
  }
  cairn::controllers::PollNow poll_now() {
    return [this](const std::function<bool(const FeedUrl&)>& match) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      matched_.clear();
      for (const auto& u : urls_) {
        if (match(u)) matched_.push_back(u.str());
      }
      return matched_.size();
    };
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::string> matched() const {
    std::lock_guard<std::mutex> lock(mu_);
    return matched_;
  }

 private:
  std::vector<FeedUrl> urls_;
  mutable std::mutex mu_;
  int calls_ = 0;
  std::vector<std::string> matched_;
};

struct Response {
  long status = 0;
  std::string body;
  std::string headers;
  long connects = 0;  // new connections this request made (0: reused)
  json json_body() const { return json::parse(body, nullptr, false); }
};

// A libcurl easy handle: requests on one handle reuse the connection.
class Client {
 public:
  explicit Client(std::uint16_t port)
      : base_("http://127.0.0.1:" + std::to_string(port)), curl_(curl_easy_init()) {
    REQUIRE(curl_ready);
    REQUIRE(curl_ != nullptr);
  }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response send(const std::string& method, const std::string& path, const std::string& body,
                std::vector<std::string> headers) {
    Response r;
    curl_easy_reset(curl_);
    const std::string url = base_ + path;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || !body.empty()) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    headers.push_back("Expect:");  // libcurl's own 100-continue is tested with raw sockets
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    INFO(curl_easy_strerror(rc));
    REQUIRE(rc == CURLE_OK);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &r.connects);
    return r;
  }

  // A JSON POST signed in `signature_header` (none when empty).
  Response post(const std::string& path, const std::string& body,
                std::vector<std::string> headers = {},
                const std::string& signature_header = "X-Hub-Signature-256") {
    headers.push_back("Content-Type: application/json");
    if (!signature_header.empty()) {
      headers.push_back(signature_header + ": " + webhook_signature(kSecret, body));
    }
    return send("POST", path, body, headers);
  }

  Response github(const std::string& event, const json& payload) {
    return post("/hooks/releases/github", payload.dump(), {"X-GitHub-Event: " + event});
  }

 private:
  static std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }
  std::string base_;
  CURL* curl_;
};

// A receiver on a free loopback port whose logs go to `log`.
std::unique_ptr<WebhookReceiver> start(cairn::controllers::PollNow poll_now,
                                       std::ostream* log = nullptr,
                                       std::size_t max_body_bytes = 1 << 20) {
  WebhookReceiverOptions o;
  o.address = "127.0.0.1:0";
  o.secret = kSecret;
  o.max_body_bytes = max_body_bytes;
  o.logger = json_logger(log, cairn::kube::LogLevel::kInfo);
  auto r = WebhookReceiver::start(std::move(o), std::move(poll_now));
  REQUIRE(r);
  REQUIRE((*r)->port() != 0);
  return std::move(*r);
}

json release_event(const std::string& full_name, const std::string& html_url) {
  return {{"action", "published"},
          {"release", {{"tag_name", "ferrol-1-27-v2"}}},
          {"repository", {{"full_name", full_name}, {"html_url", html_url}}}};
}

// The feeds of one GitHub repository (org/repo on github.com) and their look-alikes.
const std::vector<std::string> kRepoFeeds = {
    "github://Org/Repo",
    "github://org/repo?api=https://ghe.example.com/api/v3",
    "git+https://github.com/org/repo.git",
    "git+https://github.com/ORG/repo?path=stacks",
    "git+ssh://git@github.com/org/repo",
    "git+ssh://git@github.com:22/org/repo.git",
};
const std::vector<std::string> kOtherFeeds = {
    "github://org/other",
    "github://other/repo",
    "git+https://github.com/org/other.git",
    "git+https://gitlab.com/org/repo.git",
    "git+https://github.com/org/repo/sub.git",
    "git+http://github.com/org/repo.git",
    "git://github.com/org/repo.git",
    "oci://github.com/org/repo",
    "file:///org/repo",
};

std::vector<std::string> all_feeds() {
  std::vector<std::string> all = kRepoFeeds;
  all.insert(all.end(), kOtherFeeds.begin(), kOtherFeeds.end());
  return all;
}

std::vector<std::string> canonical(const std::vector<std::string>& urls) {
  std::vector<std::string> out;
  for (const auto& u : urls) out.push_back(FeedUrl::parse(u)->str());
  return out;
}

// A blocking loopback connection for requests libcurl does not make.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False when the peer closed or reset the connection.
  bool write(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // The status line and headers of the next response (through the blank line), and its body
  // when it has a Content-Length.
  std::string read_response() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::exchange(buffer_, "");
    }
    std::string head = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    std::size_t length = 0;
    const auto pos = head.find("Content-Length: ");
    if (pos != std::string::npos) length = std::stoul(head.substr(pos + 16));
    while (buffer_.size() < length && fill()) {
    }
    head += buffer_.substr(0, length);
    buffer_.erase(0, std::min(length, buffer_.size()));
    return head;
  }

 private:
  bool fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string buffer_;
};

}  // namespace

TEST_CASE("webhook signatures are HMAC-SHA256 in GitHub's format") {
  // GitHub's documented example and RFC 4231 test case 2.
  CHECK(webhook_signature("It's a Secret to Everybody", "Hello, World!") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(webhook_signature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("a signed GitHub release event lists the repository's github:// and Git feeds") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const Response r =
      client.github("release", release_event("org/Repo", "https://github.com/org/Repo"));
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.headers.find("Content-Type: application/json") != std::string::npos);
  CHECK(r.json_body() == json{{"feeds", kRepoFeeds.size()}});
  CHECK(feeds.matched() == canonical(kRepoFeeds));

  // Without html_url only github:// feeds can be told apart.
  json no_html = release_event("org/repo", "");
  no_html["repository"].erase("html_url");
  const Response r2 = client.github("release", no_html);
  CHECK(r2.status == 200);
  CHECK(feeds.matched() == canonical({kRepoFeeds[0], kRepoFeeds[1]}));

  // A GitHub Enterprise repository matches Git feeds on its own host.
  Candidates ghe({"git+https://ghe.example.com/org/repo.git", "git+https://github.com/org/repo"});
  auto receiver2 = start(ghe.poll_now());
  Client client2(receiver2->port());
  CHECK(client2.github("release", release_event("org/repo", "https://ghe.example.com/org/repo"))
            .status == 200);
  CHECK(ghe.matched() == canonical({"git+https://ghe.example.com/org/repo.git"}));
}

TEST_CASE("GitHub tag creations and tag pushes are releases; other events are ignored") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const json repository = {{"full_name", "org/repo"}, {"html_url", "https://github.com/org/repo"}};

  Response r =
      client.github("create", {{"ref", "v2"}, {"ref_type", "tag"}, {"repository", repository}});
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", kRepoFeeds.size()}});
  r = client.github("push", {{"ref", "refs/tags/v3"}, {"repository", repository}});
  CHECK(r.status == 200);
  CHECK(feeds.calls() == 2);

  r = client.github("create",
                    {{"ref", "main"}, {"ref_type", "branch"}, {"repository", repository}});
  CHECK(r.status == 202);
  CHECK(r.json_body() == json{{"ignored", "create"}});
  r = client.github("push", {{"ref", "refs/heads/main"}, {"repository", repository}});
  CHECK(r.status == 202);
  CHECK(r.json_body() == json{{"ignored", "push"}});
  r = client.github("issues", {{"action", "opened"}, {"repository", repository}});
  CHECK(r.status == 202);
  CHECK(r.json_body() == json{{"ignored", "issues"}});
  r = client.github("ping", {{"zen", "Keep it logically awesome."}, {"hook_id", 1}});
  CHECK(r.status == 200);
  CHECK(feeds.calls() == 2);
}

TEST_CASE("a missing or wrong signature or token is refused and triggers nothing") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const std::string body = release_event("org/repo", "https://github.com/org/repo").dump();
  const std::string good = webhook_signature(kSecret, body);
  const std::vector<std::string> bad_signatures = {
      webhook_signature("other-secret", body),
      webhook_signature(kSecret, body + " "),
      "sha256=" + std::string(64, '0'),
      good.substr(0, good.size() - 1),
      "sha1=" + good.substr(7),
      "sha256=zz",
      good.substr(7),
  };
  const std::vector<std::string> json_type = {"Content-Type: application/json",
                                              "X-GitHub-Event: release"};
  for (const auto& sig : bad_signatures) {
    INFO(sig);
    auto headers = json_type;
    headers.push_back("X-Hub-Signature-256: " + sig);
    const Response r = client.send("POST", "/hooks/releases/github", body, headers);
    CHECK(r.status == 401);
    CHECK(r.json_body()["message"].get<std::string>().find("X-Hub-Signature-256") !=
          std::string::npos);
  }
  CHECK(client.send("POST", "/hooks/releases/github", body, json_type).status == 401);
  // Malformed JSON without a signature is refused as unauthenticated, never parsed.
  CHECK(client.send("POST", "/hooks/releases/github", "{nope", json_type).status == 401);

  // Generic: X-Cairn-Signature-256 wins over X-Hub-Signature-256.
  const std::string generic = json{{"source", "github://org/repo"}}.dump();
  CHECK(client
            .send("POST", "/hooks/releases/generic", generic,
                  {"Content-Type: application/json",
                   "X-Cairn-Signature-256: " + webhook_signature("wrong", generic),
                   "X-Hub-Signature-256: " + webhook_signature(kSecret, generic)})
            .status == 401);
  CHECK(client.post("/hooks/releases/generic", generic, {}, "").status == 401);

  // Registry: a bearer token, nothing else.
  const std::string envelope = json{{"events", json::array()}}.dump();
  const std::vector<std::string> auths = {"", "Bearer wrong", std::string("Basic ") + kSecret,
                                          std::string("Bearer ") + kSecret + "x"};
  for (const std::string& auth : auths) {
    INFO(auth);
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!auth.empty()) headers.push_back("Authorization: " + auth);
    CHECK(client.send("POST", "/hooks/releases/registry", envelope, headers).status == 401);
  }
  CHECK(feeds.calls() == 0);

  // The same requests, correctly signed, pass (hex digits in either case).
  auto headers = json_type;
  std::string upper = good;
  std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7, ::toupper);
  headers.push_back("X-Hub-Signature-256: " + upper);
  CHECK(client.send("POST", "/hooks/releases/github", body, headers).status == 200);
  CHECK(client.post("/hooks/releases/generic", generic, {}, "X-Cairn-Signature-256").status == 200);
  CHECK(client.post("/hooks/releases/generic", generic, {}, "X-Hub-Signature-256").status == 200);
  CHECK(
      client
          .send("POST", "/hooks/releases/registry", envelope,
                {"Content-Type: application/json", std::string("Authorization: bearer ") + kSecret})
          .status == 200);
}

TEST_CASE("malformed payloads and missing fields are 400 with a message") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  auto message = [](const Response& r) {
    const json j = r.json_body();
    return j.is_object() && j.contains("message") ? j["message"].get<std::string>() : r.body;
  };
  auto check_400 = [&](const Response& r, const std::string& part) {
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(message(r).find(part) != std::string::npos);
  };
  check_400(client.post("/hooks/releases/github", "{\"repository\": ", {"X-GitHub-Event: release"}),
            "not valid JSON");
  check_400(client.post("/hooks/releases/github", "[1, 2]", {"X-GitHub-Event: release"}),
            "JSON object");
  check_400(client.github("release", {{"action", "published"}}), "repository.full_name");
  check_400(client.github("release", {{"repository", {{"full_name", 42}}}}),
            "repository.full_name");
  check_400(client.post("/hooks/releases/github", release_event("o/r", "").dump()),
            "X-GitHub-Event");
  check_400(client.post("/hooks/releases/generic", "{}", {}, "X-Cairn-Signature-256"),
            "missing field source");
  check_400(client.post("/hooks/releases/generic",
                        json{{"source", "git+https://user:pw@example.com/r.git"}}.dump(), {},
                        "X-Cairn-Signature-256"),
            "credentials do not belong");
  check_400(client.post("/hooks/releases/generic", json{{"source", "ftp://x/y"}}.dump(), {},
                        "X-Cairn-Signature-256"),
            "unknown scheme");
  const std::vector<std::string> bearer = {std::string("Authorization: Bearer ") + kSecret};
  check_400(client.post("/hooks/releases/registry", "{}", bearer, ""), "missing field events");
  check_400(
      client.post(
          "/hooks/releases/registry",
          json{{"events",
                {{{"action", "push"}, {"target", {{"repository", "kaas/stacks"}, {"tag", "v1"}}}}}}}
              .dump(),
          bearer, ""),
      "events[0].request.host");
  CHECK(feeds.calls() == 0);
}

TEST_CASE("bodies that are not JSON are 415; GitHub's form encoding is explained") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const std::string form = "payload=%7B%7D";
  Response r =
      client.send("POST", "/hooks/releases/github", form,
                  {"Content-Type: application/x-www-form-urlencoded", "X-GitHub-Event: release",
                   "X-Hub-Signature-256: " + webhook_signature(kSecret, form)});
  CHECK(r.status == 415);
  CHECK(r.json_body()["message"].get<std::string>().find("application/json") != std::string::npos);
  CHECK(r.json_body()["message"].get<std::string>().find("Content type") != std::string::npos);

  const std::string body = json{{"source", "github://org/repo"}}.dump();
  const std::string sig = "X-Cairn-Signature-256: " + webhook_signature(kSecret, body);
  CHECK(client.send("POST", "/hooks/releases/generic", body, {"Content-Type: text/plain", sig})
            .status == 415);
  CHECK(client.send("POST", "/hooks/releases/generic", body, {"Content-Type:", sig}).status == 415);
  CHECK(client
            .send("POST", "/hooks/releases/generic", body,
                  {"Content-Type: Application/JSON; charset=utf-8", sig})
            .status == 200);
  CHECK(client
            .send("POST", "/hooks/releases/registry", json{{"events", json::array()}}.dump(),
                  {"Content-Type: application/vnd.docker.distribution.events.v1+json",
                   std::string("Authorization: Bearer ") + kSecret})
            .status == 200);
}

TEST_CASE("a generic notification lists the feed whose canonical URL equals its source") {
  Candidates feeds({"github://org/repo", "github://Org/Repo", "oci://reg.example.com/kaas/x",
                    "oci://reg.example.com/kaas/x?insecure=true", "file:///srv/releases"});
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  auto notify = [&](const std::string& source) {
    return client.post("/hooks/releases/generic", json{{"source", source}}.dump(), {},
                       "X-Cairn-Signature-256");
  };
  Response r = notify("github://org/repo/");  // canonical form: no trailing slash
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", 1}});
  CHECK(feeds.matched() == std::vector<std::string>{"github://org/repo"});
  r = notify("oci://reg.example.com/kaas/x?insecure=true");
  CHECK(r.json_body() == json{{"feeds", 1}});
  CHECK(feeds.matched() == std::vector<std::string>{"oci://reg.example.com/kaas/x?insecure=true"});
  r = notify("file:///srv/releases/");
  CHECK(feeds.matched() == std::vector<std::string>{"file:///srv/releases"});
  r = notify("github://nobody/here");
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", 0}});
}

TEST_CASE("registry push notifications of tags list oci://host/repository feeds") {
  Candidates feeds({"oci://registry.example:5000/kaas/stacks",
                    "oci://registry.example:5000/kaas/stacks?insecure=true",
                    "oci://registry.example:5000/kaas/other", "oci://registry.example/kaas/stacks",
                    "github://kaas/stacks"});
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const std::vector<std::string> headers = {
      "Content-Type: application/vnd.docker.distribution.events.v1+json",
      std::string("Authorization: Bearer ") + kSecret};
  auto event = [](const std::string& action, const std::string& repository,
                  const std::string& tag) {
    json target = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"repository", repository},
                   {"digest", "sha256:" + std::string(64, 'a')}};
    if (!tag.empty()) target["tag"] = tag;
    return json{{"id", "e1"},
                {"action", action},
                {"target", target},
                {"request", {{"host", "Registry.Example:5000"}, {"method", "PUT"}}}};
  };
  const json envelope = {{"events",
                          {event("push", "kaas/stacks", "ferrol-1-27-v2"),
                           event("pull", "kaas/other", "v1"), event("push", "kaas/other", "")}}};
  Response r = client.send("POST", "/hooks/releases/registry", envelope.dump(), headers);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", 2}});
  CHECK(feeds.matched() ==
        std::vector<std::string>{"oci://registry.example:5000/kaas/stacks",
                                 "oci://registry.example:5000/kaas/stacks?insecure=true"});

  const json pulls = {{"events", {event("pull", "kaas/stacks", "v1")}}};
  r = client.send("POST", "/hooks/releases/registry", pulls.dump(), headers);
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", 0}});
  CHECK(feeds.calls() == 1);
}

TEST_CASE("other paths are 404 and other methods 405") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  Response r = client.send("GET", "/hooks/releases/github", "", {});
  CHECK(r.status == 405);
  CHECK(r.headers.find("Allow: POST") != std::string::npos);
  CHECK(client.send("PUT", "/hooks/releases/generic", "{}", {}).status == 405);
  CHECK(client.post("/hooks/releases/gitlab", "{}").status == 404);
  CHECK(client.post("/hooks/releases", "{}").status == 404);
  CHECK(client.send("GET", "/", "", {}).status == 404);
  CHECK(client.send("GET", "/healthz", "", {}).status == 404);
  // A query string does not change the path.
  CHECK(client
            .post("/hooks/releases/generic?from=ci", json{{"source", "github://org/repo"}}.dump(),
                  {}, "X-Cairn-Signature-256")
            .status == 200);
}

TEST_CASE("a body over the limit is 413 and the server goes on serving") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now(), nullptr, 1024);
  {
    Client client(receiver->port());
    json big = release_event("org/repo", "https://github.com/org/repo");
    big["padding"] = std::string(4000, 'x');
    const Response r = client.github("release", big);
    CHECK(r.status == 413);
    CHECK(r.json_body()["message"].get<std::string>().find("1024") != std::string::npos);
  }
  {
    // Chunked, so the size shows only while reading.
    RawConnection c(receiver->port());
    std::string request =
        "POST /hooks/releases/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) request += "400\r\n" + std::string(1024, ' ') + "\r\n";
    request += "0\r\n\r\n";
    c.write(request);
    CHECK(c.read_response().rfind("HTTP/1.1 413", 0) == 0);
  }
  Client client(receiver->port());
  const Response ok =
      client.github("release", release_event("org/repo", "https://github.com/org/repo"));
  CHECK(ok.status == 200);
  CHECK(feeds.calls() == 1);
}

TEST_CASE("Expect: 100-continue gets 100 before the body, or 413 when the body is too large") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now(), nullptr, 1024);
  const std::string body = json{{"source", "github://Org/Repo"}}.dump();
  {
    RawConnection c(receiver->port());
    REQUIRE(
        c.write("POST /hooks/releases/generic HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                "X-Cairn-Signature-256: " +
                webhook_signature(kSecret, body) +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    CHECK(c.read_response().rfind("HTTP/1.1 100 Continue", 0) == 0);
    REQUIRE(c.write(body));
    const std::string response = c.read_response();
    CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(response.find("{\"feeds\":1}") != std::string::npos);
  }
  {
    RawConnection c(receiver->port());
    REQUIRE(
        c.write("POST /hooks/releases/generic HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                "Content-Length: 5000\r\n\r\n"));
    CHECK(c.read_response().rfind("HTTP/1.1 413", 0) == 0);
  }
  CHECK(feeds.calls() == 1);
}

TEST_CASE("connections are kept alive between requests") {
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now());
  Client client(receiver->port());
  const std::string body = json{{"source", "github://org/repo"}}.dump();
  const Response first = client.post("/hooks/releases/generic", body, {}, "X-Cairn-Signature-256");
  const Response second = client.post("/hooks/releases/generic", body, {}, "X-Cairn-Signature-256");
  const Response refused = client.post("/hooks/releases/generic", body, {}, "");
  const Response third = client.post("/hooks/releases/generic", body, {}, "X-Cairn-Signature-256");
  CHECK(first.connects == 1);
  CHECK(second.connects == 0);
  CHECK(refused.status == 401);
  CHECK(refused.connects == 0);
  CHECK(third.connects == 0);
  CHECK(third.status == 200);
}

TEST_CASE("requests are logged with path, event and feeds, never with secrets") {
  LogCapture log;
  std::ostream log_stream(&log);
  Candidates feeds(all_feeds());
  auto receiver = start(feeds.poll_now(), &log_stream);
  Client client(receiver->port());
  const json event = release_event("org/repo", "https://github.com/org/repo");
  CHECK(client.github("release", event).status == 200);
  const std::string body = event.dump();
  CHECK(client
            .send("POST", "/hooks/releases/github", body,
                  {"Content-Type: application/json", "X-GitHub-Event: release",
                   "X-Hub-Signature-256: " + webhook_signature("guess", body)})
            .status == 401);
  CHECK(
      client
          .send("POST", "/hooks/releases/registry", "{\"events\": []}",
                {"Content-Type: application/json", std::string("Authorization: Bearer ") + kSecret})
          .status == 200);
  receiver->stop();

  const std::string text = log.text();
  INFO(text);
  std::vector<json> records;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    records.push_back(json::parse(line, nullptr, false));
  }
  REQUIRE(records.size() == 3);
  CHECK(records[0]["msg"] == "release webhook");
  CHECK(records[0]["level"] == "info");
  CHECK(records[0]["path"] == "/hooks/releases/github");
  CHECK(records[0]["event"] == "release");
  CHECK(records[0]["status"] == 200);
  CHECK(records[0]["feeds"] == kRepoFeeds.size());
  CHECK(records[1]["status"] == 401);
  CHECK(records[2]["path"] == "/hooks/releases/registry");
  CHECK(text.find(kSecret) == std::string::npos);
  CHECK(text.find(webhook_signature(kSecret, body).substr(7)) == std::string::npos);
  CHECK(text.find(webhook_signature("guess", body).substr(7)) == std::string::npos);
}

TEST_CASE("the receiver needs a secret and an address it can bind") {
  WebhookReceiverOptions o;
  o.address = "127.0.0.1:0";
  auto no_secret = WebhookReceiver::start(o, nullptr);
  REQUIRE_FALSE(no_secret);
  CHECK(no_secret.error().kind == cairn::kube::ErrorKind::kConfig);
  CHECK(no_secret.error().message.find("secret") != std::string::npos);

  o.secret = kSecret;
  o.address = "nonsense";
  auto bad = WebhookReceiver::start(o, nullptr);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == cairn::kube::ErrorKind::kConfig);

  o.address = "127.0.0.1:0";
  auto first = WebhookReceiver::start(o, nullptr);
  REQUIRE(first);
  o.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto taken = WebhookReceiver::start(o, nullptr);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().message.find(o.address) != std::string::npos);
  (*first)->stop();
  (*first)->stop();  // idempotent
}

TEST_CASE("end to end: a generic webhook makes the hub list its feed at once") {
  cairn::testing::TempDir dir("cairn-webhook-e2e");
  fs::create_directories(dir.path() / "releases" / "ferrol-1-27-v1");
  auto url = FeedUrl::parse("file://" + (dir.path() / "releases").string());
  REQUIRE(url);

  std::mutex mu;
  int notified = 0;
  FeedHubOptions o;
  o.min_interval = std::chrono::milliseconds(100);
  o.logger = json_logger(nullptr, cairn::kube::LogLevel::kInfo);
  o.notify = [&](const std::vector<std::string>& subscribers) {
    std::lock_guard<std::mutex> lock(mu);
    notified += static_cast<int>(std::count(subscribers.begin(), subscribers.end(), "ns/stack"));
  };
  FeedHub hub(std::move(o));
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return notified;
  };
  REQUIRE(hub.subscribe("ns/stack", *url, {}, std::chrono::hours(1)));
  REQUIRE(eventually([&] { return count() == 1; }));

  auto receiver = start(
      [&hub](const std::function<bool(const FeedUrl&)>& match) { return hub.poll_now(match); });
  fs::create_directories(dir.path() / "releases" / "ferrol-1-27-v2");
  Client client(receiver->port());
  const Response r = client.post("/hooks/releases/generic", json{{"source", url->str()}}.dump(), {},
                                 "X-Cairn-Signature-256");
  CHECK(r.status == 200);
  CHECK(r.json_body() == json{{"feeds", 1}});
  REQUIRE(eventually([&] { return count() == 2; }));
  auto state = hub.subscribe("ns/stack", *url, {}, std::chrono::hours(1));
  REQUIRE(state);
  CHECK(state->tags == std::vector<std::string>{"ferrol-1-27-v1", "ferrol-1-27-v2"});
  receiver->stop();
}
