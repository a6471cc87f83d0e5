// Fuzz target: the JSON and YAML decoders, and re-encoding what they accept.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "render/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  if (auto v = cairn::render::json_decode(text)) {
    (void)cairn::render::json_encode(*v);
    (void)cairn::render::yaml_encode(*v);
  }
  if (auto v = cairn::render::yaml_decode(text)) {
    (void)cairn::render::yaml_encode(*v);
    (void)cairn::render::json_encode(*v);
  }
  (void)cairn::render::yaml_decode_all(text);
  return 0;
}
