// Fuzz target: the HTTP request parser the API server's transport uses (apiserver/http_parse.h),
// fed in pieces as a socket would deliver them, with small limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apiserver/http_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using cairn::apiserver::HttpParseLimits;
  using cairn::apiserver::HttpRequestParser;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  // The first byte picks the size of the pieces (1..256 bytes).
  const std::size_t piece = static_cast<std::size_t>(bytes[0]) + 1;
  const HttpParseLimits limits{4096, 2048};
  std::string buffer;
  std::size_t offset = 0;
  // Parse requests one after another, as the transport does on a keep-alive connection.
  while (true) {
    HttpRequestParser parser(limits);
    for (;;) {
      if (!buffer.empty()) {
        const std::size_t used = parser.feed(buffer);
        if (used > buffer.size()) __builtin_trap();
        buffer.erase(0, used);
      }
      if (parser.state() != HttpRequestParser::State::kNeedMore) break;
      if (offset >= input.size()) {
        parser.finish();
        break;
      }
      const std::size_t n = std::min(piece, input.size() - offset);
      buffer.append(input.substr(offset, n));
      offset += n;
    }
    if (parser.state() != HttpRequestParser::State::kComplete) break;
    (void)parser.keep_alive();
    const auto request = parser.take_request();
    if (request.body.size() > limits.max_body_bytes) __builtin_trap();
    if (request.path.size() > request.target.size()) __builtin_trap();
    if (buffer.empty() && offset >= input.size()) break;
  }
  return 0;
}
