// Fuzz target: the fast manifest-head scanner against the full decode. Whatever document the
// scanner reads must decode without error to the same kind and hook; a difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "render/detail/chart_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string doc(reinterpret_cast<const char*>(bytes), size);
  const auto scanned = cairn::render::detail::scan_manifest_head(doc);
  if (!scanned) return 0;
  const auto decoded = cairn::render::detail::decode_manifest_head(doc);
  if (!decoded) {
    std::fprintf(stderr, "scanner accepted a document the decoder rejects: %s\n",
                 decoded.error().message.c_str());
    std::abort();
  }
  if (!(*decoded == *scanned)) {
    std::fprintf(stderr,
                 "heads differ: scanned kind '%s' hook %d '%s', decoded kind '%s' hook %d '%s'\n",
                 scanned->kind.c_str(), scanned->hook, scanned->hook_text.c_str(),
                 decoded->kind.c_str(), decoded->hook, decoded->hook_text.c_str());
    std::abort();
  }
  return 0;
}
