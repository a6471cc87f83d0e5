// gopkg.in/yaml.v3's Encoder with SetIndent(2), as helm's toYamlPretty uses
// it: the value is encoded as is (no JSON round trip, so float64 1e6 prints
// as 1e+06), sequences are indented under their key, no line folding.
// Quoting matches yaml.v2's: v3 resolves YAML 1.2 scalars but still quotes
// the YAML 1.1 booleans (isOldBool), which gives the same set of quoted strings.
#include "render/codec.h"
#include "render/detail/codec_yaml_emit.h"

namespace cairn::render {

Result<std::string> yaml_encode_pretty(const Value& v) {
  detail::YamlEmitOptions options;
  options.best_width = 1 << 30;
  options.indentless_sequences = false;
  options.json_numbers = false;
  return detail::codec_yaml_emit(v, options);
}

}  // namespace cairn::render
