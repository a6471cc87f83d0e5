// Fuzz target: chart archives (.tgz) from untrusted release feeds. Reading,
// validating and loading arbitrary bytes must end in a Chart or an Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "render/chart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  (void)cairn::render::load_chart_archive(data);
  return 0;
}
