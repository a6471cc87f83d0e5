// Incremental parsing of one HTTP/1.x request from bytes, without sockets.
//
// The transport (http_server.cpp) feeds the bytes it reads from a connection into an
// HttpRequestParser and gets back an HttpRequest once the request is whole; the fuzz target
// tests/fuzz/fuzz_http_request.cpp drives the very same code. Beast is kept out of this header
// (the parser state lives behind a pointer) so that including it stays cheap.
//
// Thread-safety: an HttpRequestParser is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "apiserver/http.h"

namespace cairn::apiserver {

struct HttpParseLimits {
  std::size_t max_body_bytes = 3 * 1024 * 1024;
  std::size_t max_header_bytes = 1024 * 1024;
};

class HttpRequestParser {
 public:
  enum class State {
    kNeedMore,        // feed more bytes
    kComplete,        // take_request() returns the request
    kBadRequest,      // malformed HTTP: answer 400 and close
    kBodyTooLarge,    // body beyond max_body_bytes: answer 413 and close
    kHeaderTooLarge,  // header block beyond max_header_bytes: answer 431 and close
  };

  explicit HttpRequestParser(const HttpParseLimits& limits);
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Parses as much of `data` as possible and returns how many bytes were consumed; bytes not
  // consumed must be offered again (with more appended) in the next call. Once the state is
  // anything but kNeedMore, feed() consumes nothing more.
  std::size_t feed(std::string_view data);
  // Tells the parser the peer closed the connection (no more bytes will come): a request that
  // is not complete by then (including one of which nothing arrived) becomes kBadRequest.
  void finish();

  State state() const;
  // True once the header block is parsed (the request line and fields are known).
  bool header_done() const;
  // True when the (parsed) header asks for "Expect: 100-continue".
  bool expects_continue() const;
  // Whether the connection may stay open after this request (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with "Connection: keep-alive"). Ask before
  // take_request(), which hands the parsed message over.
  bool keep_alive() const;
  // The HTTP version of the request: 10 or 11 (0 before the header is parsed).
  int version() const;
  // The parsed request (method, target, path, query, lower-case headers, body). Only in state
  // kComplete; transport fields (tls, client_certificate, remote_address) are left empty.
  HttpRequest take_request();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::apiserver
