// Test helpers shared by the controllers tests whose subjects run threads of their own (FeedHub,
// WebhookReceiver): a log sink that may be read while those threads write to it, and a JSON
// Logger writing to such a sink or nowhere. Header-only. (Polling with a deadline is
// tests/common/eventually.h, files tests/common/files.h.)
//
// Thread-safety: LogCapture may be written from any number of threads and read at any time.
#pragma once

#include <cstddef>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

#include "kube/log.h"

namespace cairn::controllers::testing {

// A log destination (wrap it in a std::ostream) whose text may be read while other threads
// write to it.
class LogCapture : public std::streambuf {
 public:
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    std::lock_guard<std::mutex> lock(mu_);
    text_ += static_cast<char>(c);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

// JSON records at `level` and above to `log`, or nowhere when it is null (keeps the test output
// readable). The discarding stream never changes state, so any number of loggers on any threads
// may share it.
inline kube::Logger json_logger(std::ostream* log, kube::LogLevel level) {
  struct Discard : std::streambuf {
    int overflow(int c) override { return traits_type::not_eof(c); }
    std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
  };
  static Discard discard_buffer;
  static std::ostream discard(&discard_buffer);
  return kube::Logger::to_stream(log != nullptr ? *log : discard, kube::LogFormat::kJson, level);
}

}  // namespace cairn::controllers::testing
