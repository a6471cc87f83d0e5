// Fuzz target: parse and execute arbitrary template text in both dialects
// against fixed data. Any input must end in output or an Error: never a crash,
// a sanitizer report, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "render/codec.h"
#include "render/funcmap.h"

namespace {

const cairn::render::Value& data() {
  static const cairn::render::Value v = *cairn::render::json_decode(
      R"({"a":"A","n":3,"f":1.5,"big":1000000,"t":true,"nul":null,"s":"hello world",)"
      R"("list":[1,"two",{"x":3}],"m":{"x":1,"y":"two","b":{"c":"deep"}},"em":{},"el":[]})");
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const auto mode = (bytes[0] & 1) ? cairn::render::Mode::Gotpl : cairn::render::Mode::Helm;
  const std::string_view text(reinterpret_cast<const char*>(bytes + 1), size - 1);
  (void)cairn::render::render_text(mode, text, data());
  return 0;
}
