// Fuzz target: the label and field selector parsers, and matching/printing what they accept.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apiserver/selector.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  static const nlohmann::json kObject = {
      {"metadata", {{"name", "a"}, {"namespace", "b"}, {"labels", {{"app", "web"}, {"n", "3"}}}}}};
  if (auto s = cairn::apiserver::LabelSelector::parse(text)) {
    (void)s->matches_object(kObject);
    // The canonical form parses again to the same selector.
    auto again = cairn::apiserver::LabelSelector::parse(s->to_string());
    if (!again || again->to_string() != s->to_string()) __builtin_trap();
  }
  if (auto f = cairn::apiserver::FieldSelector::parse(text)) {
    (void)f->matches_object(kObject);
    (void)cairn::apiserver::check_field_selector(
        *f, cairn::apiserver::supported_field_labels("", "events"), false);
  }
  return 0;
}
