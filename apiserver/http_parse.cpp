#include "apiserver/http_parse.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

namespace cairn::apiserver {

namespace http = boost::beast::http;

struct HttpRequestParser::Impl {
  http::request_parser<http::string_body> parser;
  State state = State::kNeedMore;

  void fail(const boost::system::error_code& ec) {
    if (ec == http::error::body_limit) {
      state = State::kBodyTooLarge;
    } else if (ec == http::error::header_limit) {
      state = State::kHeaderTooLarge;
    } else {
      state = State::kBadRequest;
    }
  }
};

HttpRequestParser::HttpRequestParser(const HttpParseLimits& limits) : impl_(new Impl) {
  impl_->parser.eager(true);
  impl_->parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
  // Beast keeps the header limit in 32 bits.
  impl_->parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, 0xffffffffu)));
}

HttpRequestParser::~HttpRequestParser() = default;

std::size_t HttpRequestParser::feed(std::string_view data) {
  std::size_t consumed = 0;
  while (impl_->state == State::kNeedMore && consumed < data.size()) {
    // Beast 1.81 asserts (in builds without NDEBUG) when a last chunk "0\r\n" that came
    // alone is offered again with only one more byte. A message ending there needs at least
    // two more bytes anyway ("\r\n"), so wait for them.
    const std::string_view rest = data.substr(consumed);
    if (impl_->parser.is_header_done() && impl_->parser.chunked() && rest.size() == 4 &&
        rest.substr(0, 3) == "0\r\n")
      break;
    boost::system::error_code ec;
    const std::size_t n = impl_->parser.put(
        boost::asio::const_buffer(data.data() + consumed, data.size() - consumed), ec);
    consumed += n;
    if (ec == http::error::need_more) break;
    if (ec) {
      impl_->fail(ec);
      break;
    }
    if (impl_->parser.is_done()) {
      impl_->state = State::kComplete;
      break;
    }
    if (n == 0) break;
  }
  return consumed;
}

void HttpRequestParser::finish() {
  if (impl_->state != State::kNeedMore) return;
  if (!impl_->parser.got_some()) {
    // Nothing arrived: no request at all (Beast's put_eof requires some input).
    impl_->state = State::kBadRequest;
    return;
  }
  boost::system::error_code ec;
  impl_->parser.put_eof(ec);
  if (ec) {
    impl_->fail(ec);
  } else if (impl_->parser.is_done()) {
    impl_->state = State::kComplete;
  } else {
    impl_->state = State::kBadRequest;
  }
}

HttpRequestParser::State HttpRequestParser::state() const { return impl_->state; }

bool HttpRequestParser::header_done() const { return impl_->parser.is_header_done(); }

bool HttpRequestParser::expects_continue() const {
  if (!impl_->parser.is_header_done()) return false;
  const auto& msg = impl_->parser.get();
  if (msg.version() < 11) return false;
  auto it = msg.find(http::field::expect);
  if (it == msg.end()) return false;
  std::string value(it->value());
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value == "100-continue";
}

bool HttpRequestParser::keep_alive() const {
  if (!impl_->parser.is_header_done()) return false;
  return impl_->parser.get().keep_alive();
}

int HttpRequestParser::version() const {
  if (!impl_->parser.is_header_done()) return 0;
  return static_cast<int>(impl_->parser.get().version());
}

HttpRequest HttpRequestParser::take_request() {
  HttpRequest out;
  if (impl_->state != State::kComplete) return out;
  auto msg = impl_->parser.release();
  out.method = std::string(msg.method_string());
  out.target = std::string(msg.target());
  const std::size_t q = out.target.find('?');
  if (q == std::string::npos) {
    out.path = out.target;
  } else {
    out.path = out.target.substr(0, q);
    out.query = out.target.substr(q + 1);
  }
  for (const auto& field : msg) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(msg.body());
  return out;
}

}  // namespace cairn::apiserver
