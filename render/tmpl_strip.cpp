// remove_no_value: helm's post-processing of every rendered file.
#include <string>
#include <string_view>

#include "render/template.h"

namespace cairn::render {

std::string remove_no_value(std::string text) {
  static constexpr std::string_view kNoValue = "<no value>";
  std::size_t hit = text.find(kNoValue);
  if (hit == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (; hit != std::string::npos; hit = text.find(kNoValue, pos)) {
    out.append(text, pos, hit - pos);
    pos = hit + kNoValue.size();
  }
  out.append(text, pos);
  return out;
}

}  // namespace cairn::render
