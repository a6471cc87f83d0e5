// The yaml.v2 / yaml.v3 block emitter shared by yaml_encode and
// yaml_encode_pretty. Private to render/codec_*.cpp.
#pragma once

#include <string>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render::detail {

struct YamlEmitOptions {
  // Fold long plain/quoted scalars past this column (yaml.v2: 80; yaml.v3's
  // Encoder: unlimited).
  int best_width = 80;
  // yaml.v2 writes a sequence that is a mapping value at the key's indent
  // ("a:\n- 1"); yaml.v3 indents it ("a:\n  - 1").
  bool indentless_sequences = true;
  // sigs.k8s.io/yaml's JSON round trip (yaml.v2 mode): float64 values that
  // JSON prints as integers become ints, NaN/Inf are errors, raw NELs fold.
  // Without it (yaml.v3 on raw values): floats print with strconv 'g',
  // NaN/Inf as .nan/.inf, and tabs do not prevent literal blocks.
  bool json_numbers = true;
};

// The document text, ending with a newline.
Result<std::string> codec_yaml_emit(const Value& v, const YamlEmitOptions& options);

}  // namespace cairn::render::detail
