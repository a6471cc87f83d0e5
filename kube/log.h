// Structured logging for cairn: one line per record, as JSON or as human-readable text.
//
// A `Logger` is a cheap value: a shared sink plus a list of fields that every record it writes
// carries (`with()` returns a copy with more fields). Controllers log with `controller`,
// `namespace`, `name` and `reconcileID`; the informer with `kind`; leader election with `lease`.
//
//   JSON: {"ts":"2026-11-30T20:31:07.123456Z","level":"info","msg":"lease acquired",
//          "lease":"cairn-system/cairn-leader","identity":"host_1a2b"}
//   text: 2026-11-30T20:31:07.123456Z INFO  lease acquired lease=cairn-system/cairn-leader ...
//
// Records go through spdlog (the project's one logger) to stderr by default; tests can send
// them to a string stream. Levels: debug < info < warn < error; records below the configured
// level are dropped before they are formatted.
//
// Thread-safety: everything here may be called from any thread; configure() is meant for
// start-up (it replaces the process-wide sink atomically).
#pragma once

#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::kube {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kJson, kText };

// "debug", "info", "warn" (or "warning"), "error" -> level; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view text);
// "json" or "text" -> format; nullopt otherwise.
std::optional<LogFormat> parse_log_format(std::string_view text);

struct LogField {
  std::string key;
  nlohmann::json value;
};
using LogFields = std::vector<LogField>;

class LogSink;  // private: the spdlog logger, format and level

class Logger {
 public:
  // The process-wide logger (stderr, text, info until configure() is called).
  static Logger root();

  // A copy whose records also carry `fields` (later fields with the same key win).
  Logger with(LogFields fields) const;
  Logger with(std::string key, nlohmann::json value) const;

  bool enabled(LogLevel level) const;
  void log(LogLevel level, std::string_view message, const LogFields& fields = {}) const;
  void debug(std::string_view message, const LogFields& fields = {}) const {
    log(LogLevel::kDebug, message, fields);
  }
  void info(std::string_view message, const LogFields& fields = {}) const {
    log(LogLevel::kInfo, message, fields);
  }
  void warn(std::string_view message, const LogFields& fields = {}) const {
    log(LogLevel::kWarn, message, fields);
  }
  void error(std::string_view message, const LogFields& fields = {}) const {
    log(LogLevel::kError, message, fields);
  }

  // A logger that writes to `out` (which must outlive it and every copy), for tests.
  static Logger to_stream(std::ostream& out, LogFormat format, LogLevel level);

 private:
  explicit Logger(std::shared_ptr<LogSink> sink) : sink_(std::move(sink)) {}
  std::shared_ptr<LogSink> sink_;
  LogFields fields_;
};

// Sets the root logger's format and level (it writes to stderr). Applies at once to every
// Logger derived from root(), including copies made before the call.
void configure_logging(LogFormat format, LogLevel level);

}  // namespace cairn::kube
