#include "kube/log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>

#include "kube/detail/text.h"

namespace cairn::kube {

// The spdlog logger plus our format and level. spdlog only carries the finished line ("%v"):
// the record layout (time, level, message, fields) is ours, so that JSON lines stay valid JSON.
class LogSink {
 public:
  LogSink(std::shared_ptr<spdlog::sinks::sink> sink, LogFormat format, LogLevel level)
      : logger_("cairn", std::move(sink)), format_(format), level_(level) {
    logger_.set_pattern("%v");
    logger_.set_level(spdlog::level::trace);
  }

  void set(LogFormat format, LogLevel level) {
    format_.store(format);
    level_.store(level);
  }
  bool enabled(LogLevel level) const { return level >= level_.load(); }

  void write(LogLevel level, std::string_view message, const LogFields& context,
             const LogFields& fields) {
    const std::string ts = detail::format_rfc3339(std::chrono::system_clock::now(), 6);
    std::string line;
    if (format_.load() == LogFormat::kJson) {
      nlohmann::json record = nlohmann::json::object();
      record["ts"] = ts;
      record["level"] = level_name(level);
      record["msg"] = message;
      for (const auto& f : context) record[f.key] = f.value;
      for (const auto& f : fields) record[f.key] = f.value;
      line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = ts;
      line += ' ';
      std::string lvl = level_name(level);
      for (auto& c : lvl) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      lvl.resize(5, ' ');
      line += lvl;
      line += ' ';
      line += message;
      auto append = [&line](const LogFields& list, const LogFields* later) {
        for (const auto& f : list) {
          if (later != nullptr) {
            bool overridden = false;
            for (const auto& g : *later) overridden = overridden || g.key == f.key;
            if (overridden) continue;
          }
          line += ' ';
          line += f.key;
          line += '=';
          if (f.value.is_string()) {
            const auto& s = f.value.get_ref<const std::string&>();
            const bool plain = !s.empty() && s.find_first_of(" \"=\n\t") == std::string::npos;
            line += plain ? s
                          : nlohmann::json(s).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
          } else {
            line += f.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          }
        }
      };
      append(context, &fields);
      append(fields, nullptr);
    }
    logger_.log(spdlog::level::info, "{}", line);
    logger_.flush();
  }

 private:
  static std::string level_name(LogLevel level) {
    switch (level) {
      case LogLevel::kDebug:
        return "debug";
      case LogLevel::kInfo:
        return "info";
      case LogLevel::kWarn:
        return "warn";
      case LogLevel::kError:
        return "error";
    }
    return "info";
  }

  spdlog::logger logger_;
  std::atomic<LogFormat> format_;
  std::atomic<LogLevel> level_;
};

namespace {

std::shared_ptr<LogSink>& root_sink() {
  static auto* sink = new std::shared_ptr<LogSink>(std::make_shared<LogSink>(
      std::make_shared<spdlog::sinks::stderr_sink_mt>(), LogFormat::kText, LogLevel::kInfo));
  return *sink;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "json") return LogFormat::kJson;
  if (text == "text") return LogFormat::kText;
  return std::nullopt;
}

Logger Logger::root() { return Logger(root_sink()); }

Logger Logger::to_stream(std::ostream& out, LogFormat format, LogLevel level) {
  return Logger(std::make_shared<LogSink>(std::make_shared<spdlog::sinks::ostream_sink_mt>(out),
                                          format, level));
}

Logger Logger::with(LogFields fields) const {
  Logger copy = *this;
  for (auto& f : fields) {
    bool replaced = false;
    for (auto& existing : copy.fields_) {
      if (existing.key == f.key) {
        existing.value = std::move(f.value);
        replaced = true;
      }
    }
    if (!replaced) copy.fields_.push_back(std::move(f));
  }
  return copy;
}

Logger Logger::with(std::string key, nlohmann::json value) const {
  return with(LogFields{LogField{std::move(key), std::move(value)}});
}

bool Logger::enabled(LogLevel level) const { return sink_->enabled(level); }

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields) const {
  if (!sink_->enabled(level)) return;
  sink_->write(level, message, fields_, fields);
}

void configure_logging(LogFormat format, LogLevel level) { root_sink()->set(format, level); }

}  // namespace cairn::kube
