// Fuzz target: the request parsers of the API handler. The input is split at the first two
// newlines into a method+path line, a query line and the rest (used as an Accept / Content-Type
// value and as a JSON and YAML body). None of them may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apiserver/request.h"

namespace {

std::string_view take_line(std::string_view& rest) {
  std::size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace cairn::apiserver;
  std::string_view rest(reinterpret_cast<const char*>(bytes), size);
  std::string_view first = take_line(rest);
  std::string_view query_text = take_line(rest);
  std::size_t space = first.find(' ');
  std::string_view method = space == std::string_view::npos ? "GET" : first.substr(0, space);
  std::string_view path = space == std::string_view::npos ? first : first.substr(space + 1);

  auto query = QueryParams::parse(query_text);
  QueryParams q = query ? *query : QueryParams();
  (void)q.get_bool("watch", false);
  (void)q.get_int("limit");
  if (auto info = parse_request_info(method, path, q)) {
    // A parsed resource request never names an invalid path segment.
    if (info->is_resource_request && !info->name.empty() &&
        !path_segment_name_errors(info->name).empty()) {
      __builtin_trap();
    }
  }
  static constexpr Representation kAll[] = {
      Representation::kJson, Representation::kTable, Representation::kPartialObjectMetadata,
      Representation::kPartialObjectMetadataList, Representation::kAggregatedDiscovery};
  (void)negotiate(rest, kAll);
  (void)body_format(rest);
  (void)parse_media_type(rest);
  (void)decode_json_body(rest);
  (void)decode_yaml_body(rest);
  return 0;
}
