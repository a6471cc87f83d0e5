// ErrorKind names and retry classification; context prefixes (error.h).
#include "sources/error.h"

namespace cairn::sources {

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig: return "Config";
    case ErrorKind::kNotFound: return "NotFound";
    case ErrorKind::kUnauthorized: return "Unauthorized";
    case ErrorKind::kRateLimited: return "RateLimited";
    case ErrorKind::kTransport: return "Transport";
    case ErrorKind::kIntegrity: return "Integrity";
    case ErrorKind::kHostileArchive: return "HostileArchive";
    case ErrorKind::kInvalidRelease: return "InvalidRelease";
    case ErrorKind::kTooLarge: return "TooLarge";
    case ErrorKind::kIo: return "Io";
  }
  return "Unknown";
}

bool is_retriable(ErrorKind kind) {
  return kind == ErrorKind::kTransport || kind == ErrorKind::kRateLimited ||
         kind == ErrorKind::kIo;
}

Error with_context(Error e, std::string_view context) {
  e.message = std::string(context) + ": " + e.message;
  return e;
}

}  // namespace cairn::sources
