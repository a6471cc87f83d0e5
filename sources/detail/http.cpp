// HttpClient on libcurl's easy interface; Link and WWW-Authenticate parsing (detail/http.h).
#include "sources/detail/http.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "sources/digest.h"

namespace cairn::sources::detail {
namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::chrono::seconds kMaxRetryAfter{60};

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// scheme://host/path of a URL: no userinfo and no query (pre-signed asset URLs carry
// signatures in the query), for error messages.
std::string redact_url(std::string_view url) {
  std::string_view u = url.substr(0, url.find_first_of("?#"));
  const std::size_t sep = u.find("://");
  if (sep == u.npos) return std::string(u);
  const std::size_t host_start = sep + 3;
  const std::size_t path_start = u.find('/', host_start);
  std::string_view authority = u.substr(host_start, path_start == u.npos ? u.npos
                                                                          : path_start - host_start);
  if (const std::size_t at = authority.rfind('@'); at != authority.npos) {
    authority.remove_prefix(at + 1);
  }
  return std::string(u.substr(0, host_start)) + std::string(authority) +
         (path_start == u.npos ? std::string() : std::string(u.substr(path_start)));
}

// State of one transfer, shared with libcurl's callbacks.
struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  std::FILE* file = nullptr;
  Sha256 hash;
  bool too_large = false;
  bool file_error = false;
  int file_errno = 0;

  bool streaming() const {
    return !request->to_file.empty() && response.status >= 200 && response.status < 300;
  }
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (the first, or one after a redirect or a 100 Continue).
    t->response.headers.clear();
    const std::size_t sp = line.find(' ');
    t->response.status = sp == line.npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon != line.npos) {
    t->response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->response.size + len > t->request->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->response.size += len;
  if (t->streaming()) {
    if (t->file == nullptr) {
      t->file = std::fopen(t->request->to_file.c_str(), "wb");
      if (t->file == nullptr) {
        t->file_error = true;
        t->file_errno = errno;
        return 0;
      }
    }
    if (std::fwrite(data, 1, len, t->file) != len) {
      t->file_error = true;
      t->file_errno = errno;
      return 0;
    }
    t->hash.update(std::string_view(data, len));
  } else if (t->request->to_file.empty() || t->response.body.size() < kMaxErrorBody) {
    t->response.body.append(data, len);
  }
  return len;
}

// Adds the PEM certificates of `ca_file` to the trust store libcurl already loaded (the
// system's), so a private CA is trusted besides the public ones.
CURLcode add_ca_file(CURL*, void* ssl_ctx, void* user) {
  const auto* path = static_cast<const std::string*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  return X509_STORE_load_file(store, path->c_str()) == 1 ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

std::chrono::milliseconds retry_after(const HttpResponse& r) {
  const std::string v = r.header("retry-after");
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(
                                                          static_cast<unsigned char>(c)); })) {
    return std::chrono::milliseconds(0);
  }
  const long long s = std::min<long long>(std::stoll(v.substr(0, 9)), kMaxRetryAfter.count());
  return std::chrono::seconds(s);
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  const std::string n = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return "";
}

HttpClient::HttpClient(const FeedOptions& options) : options_(options) { global_init(); }

Result<HttpResponse> HttpClient::send(const HttpRequest& request, std::string_view what) {
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return make_error(ErrorKind::kIo, "cannot create an HTTP handle");
  Transfer t;
  t.request = &request;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  // A transfer below 1 byte/s for the stall timeout is abandoned (libcurl counts in seconds).
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                   std::max<long>(1, static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                                           options_.stall_timeout)
                                                           .count())));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_bytes));
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, add_ca_file);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &options_.ca_file);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  // libcurl would otherwise send "Expect: 100-continue" for larger bodies.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  bool close_failed = false;
  if (t.file != nullptr) close_failed = std::fclose(t.file) != 0;
  char* effective = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) t.response.effective_url = effective;
  counters_.bytes.fetch_add(t.response.size, std::memory_order_relaxed);

  const std::string where = std::string(what) + " (" + redact_url(request.url) + ")";
  if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return make_error(ErrorKind::kTooLarge, where + ": larger than the limit of " +
                                                std::to_string(request.max_bytes) + " bytes");
  }
  if (t.file_error || close_failed) {
    return make_error(ErrorKind::kIo, where + ": cannot write " + request.to_file.string() + ": " +
                                          std::strerror(t.file_errno));
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      detail += " (no progress for " + std::to_string(options_.stall_timeout.count()) + " ms)";
    }
    // libcurl's messages may quote the URL; keep only our redacted form.
    if (const auto q = detail.find('?'); q != std::string::npos) detail.erase(q);
    return make_error(ErrorKind::kTransport, where + ": " + detail);
  }
  if (!request.to_file.empty() && t.streaming()) {
    if (t.file == nullptr) {  // an empty body: the file must still exist
      std::FILE* f = std::fopen(request.to_file.c_str(), "wb");
      if (f == nullptr || std::fclose(f) != 0) {
        return make_error(ErrorKind::kIo, where + ": cannot write " + request.to_file.string());
      }
    }
    t.response.sha256 = t.hash.hex();
  }
  return std::move(t.response);
}

Result<HttpResponse> HttpClient::send_with_retry(const HttpRequest& request,
                                                 std::string_view what) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    auto r = send(request, what);
    std::chrono::milliseconds wait(0);
    bool transient = false;
    if (!r) {
      transient = r.error().kind == ErrorKind::kTransport;
    } else if (r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504) {
      transient = true;
      wait = retry_after(*r);
    }
    if (!transient || attempt >= attempts) return r;
    if (wait.count() == 0) {
      const auto base = options_.retry_base_delay * (1 << std::min(attempt - 1, 10));
      std::uniform_int_distribution<long long> jitter(0, base.count() / 2);
      wait = base + std::chrono::milliseconds(jitter(rng));
    }
    counters_.retries.fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(wait);
  }
}

std::string link_next(std::string_view header, std::string_view base_url) {
  // <url>; rel="next", <url>; rel="last"
  std::size_t pos = 0;
  while (pos < header.size()) {
    const std::size_t open = header.find('<', pos);
    if (open == header.npos) return "";
    const std::size_t close = header.find('>', open);
    if (close == header.npos) return "";
    const std::string_view target = header.substr(open + 1, close - open - 1);
    const std::size_t next_link = header.find('<', close);
    const std::string_view params = header.substr(close + 1, next_link == header.npos
                                                                 ? header.npos
                                                                 : next_link - close - 1);
    // rel="next" or rel=next; a quoted rel may list several space-separated relations.
    const std::string p = lower(params);
    bool is_next = false;
    for (std::size_t r = p.find("rel="); r != std::string::npos; r = p.find("rel=", r + 4)) {
      std::string_view v = std::string_view(p).substr(r + 4);
      if (!v.empty() && v.front() == '"') {
        v = v.substr(1, v.find('"', 1) == v.npos ? v.npos : v.find('"', 1) - 1);
      } else {
        v = trim(v.substr(0, v.find_first_of(";,")));
      }
      while (!v.empty()) {
        const std::size_t sp = v.find(' ');
        if (v.substr(0, sp) == "next") is_next = true;
        v = sp == v.npos ? std::string_view() : trim(v.substr(sp + 1));
      }
    }
    if (is_next) {
      if (target.find("://") != target.npos) return std::string(target);
      // Resolve against the origin of base_url (targets are absolute paths in practice).
      const std::size_t sep = base_url.find("://");
      const std::size_t path_start =
          sep == base_url.npos ? base_url.npos : base_url.find('/', sep + 3);
      const std::string origin(base_url.substr(0, path_start));
      if (!target.empty() && target.front() == '/') return origin + std::string(target);
      const std::string_view dir = base_url.substr(0, base_url.rfind('/') + 1);
      return std::string(dir) + std::string(target);
    }
    pos = next_link == header.npos ? header.size() : next_link;
  }
  return "";
}

std::string AuthChallenge::param(std::string_view name) const {
  const std::string n = lower(name);
  for (const auto& [k, v] : params) {
    if (k == n) return v;
  }
  return "";
}

AuthChallenge parse_auth_challenge(std::string_view header) {
  AuthChallenge c;
  header = trim(header);
  const std::size_t sp = header.find(' ');
  c.scheme = lower(header.substr(0, sp));
  if (sp == header.npos) return c;
  std::string_view rest = header.substr(sp + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    const std::size_t eq = rest.find('=');
    if (eq == rest.npos) break;
    const std::string name = lower(trim(rest.substr(0, eq)));
    rest.remove_prefix(eq + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value.push_back(rest[i]);
      }
      rest.remove_prefix(std::min(rest.size(), i + 1));
    } else {
      const std::size_t comma = rest.find(',');
      value = std::string(trim(rest.substr(0, comma)));
      rest.remove_prefix(comma == rest.npos ? rest.size() : comma);
    }
    c.params.emplace_back(name, value);
    rest = trim(rest);
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  return c;
}

std::string url_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace cairn::sources::detail
