// Private to validation*.cpp and controller*.cpp: kube's field.Error formatting (cause
// constructors and Go's value printing), decode-error Status values and base64 as Go's
// encoding/base64 StdEncoding does it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resources.h"
#include "apiserver/status.h"

namespace cairn::apiserver::detail {

// %#v of a []string: []string{"a", "b"}.
std::string go_string_slice(const std::vector<std::string>& values);
// time.Time's String() of an RFC 3339 UTC timestamp: "2024-05-01 10:00:00 +0000 UTC".
std::string go_time(std::string_view rfc3339);

// field.Invalid / Required / Forbidden / TooLong / NotSupported as StatusCause.
// `rendered_value` is the bad value already printed the way kube prints it.
StatusCause invalid(std::string field, const std::string& rendered_value,
                    const std::string& detail);
StatusCause required(std::string field, const std::string& detail);
StatusCause forbidden(std::string field, const std::string& detail);
StatusCause too_long(std::string field, std::int64_t max_bytes);
StatusCause not_supported(std::string field, const std::string& rendered_value,
                          const std::vector<std::string>& supported);

// `<Kind> in version "<v>" cannot be handled as a <Kind>: <reason>` (400).
Status decode_error(const ResourceInfo& info, const std::string& reason);
// encoding/json's UnmarshalTypeError wrapped by decode_error:
// `json: cannot unmarshal <type> into Go struct field <go_struct>.<field> of type <go_type>`.
Status unmarshal_error(const ResourceInfo& info, const nlohmann::json& value,
                       const std::string& go_struct, const std::string& field,
                       const std::string& go_type);

// validate_object_meta's implementation.
std::vector<StatusCause> meta_causes(const ResourceInfo& info, const nlohmann::json& object,
                                     const nlohmann::json* old);

// base64.StdEncoding: encode with padding; decode like Go (CR/LF ignored, padding required).
std::string base64_encode(std::string_view in);
// The decoded bytes, or the CorruptInputError offset ("illegal base64 data at input byte N").
struct Base64Result {
  std::string data;
  std::optional<std::size_t> error_offset;
};
Base64Result base64_decode(std::string_view in);

}  // namespace cairn::apiserver::detail
