// Small text helpers shared by the kube library: base64, file reading, RFC 3339 times, URL
// query escaping. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::kube::detail {

// Standard base64 (padding optional, whitespace ignored); nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view in);
// The whole file, or nullopt with `error` set to strerror-style text.
std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error);
// "2026-01-02T03:04:05Z" / "...05.123Z" / "...05+01:00" → time point; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// UTC "2026-01-02T03:04:05Z" with `fraction_digits` (0, 3, 6 or 9) digits of the second:
// 6 is Kubernetes' MicroTime (Lease renewTime, Event eventTime), 0 its Time.
std::string format_rfc3339(std::chrono::system_clock::time_point time, int fraction_digits = 0);
// Percent-encodes everything except RFC 3986 unreserved characters.
std::string query_escape(std::string_view in);
std::string trim(std::string_view in);
// Standard base64 with padding.
std::string base64_encode(std::string_view in);

}  // namespace cairn::kube::detail
