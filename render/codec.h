// JSON, YAML and TOML as helm's Go libraries read and write them.
//
// - JSON: encoding/json. Decoding gives float64 numbers, map[string]interface{}
//   and []interface{}; encoding sorts map keys byte-wise, escapes <, >, & and
//   U+2028/U+2029 unless `escape_html` is false, formats floats like Go.
// - YAML: sigs.k8s.io/yaml 1.3 over gopkg.in/yaml.v2 2.4: decoding applies
//   YAML 1.1 resolution (yes/no/on/off booleans, 0x/0o/octal ints, timestamps
//   kept as strings) then goes through JSON, so numbers are float64 and keys
//   strings; encoding is json.Marshal then yaml.v2's emitter (its key order,
//   quoting, literal blocks, folding at 80 columns).
// - yaml.v3 for toYamlPretty; BurntSushi/toml for toToml/fromToml.
// Limits: input nesting deeper than 1000 levels and documents over 64 MiB
// are rejected with an error. Stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render {

Result<Value> json_decode(std::string_view text);
// json.Marshal; fails for values JSON cannot carry (NaN, Inf, complex).
Result<std::string> json_encode(const Value& v, bool escape_html = true);
// json.MarshalIndent(v, prefix, indent).
Result<std::string> json_encode_indent(const Value& v, std::string_view prefix,
                                       std::string_view indent, bool escape_html = true);

// sigs.k8s.io/yaml.Unmarshal into interface{} (first document only; an
// empty document gives Nil).
Result<Value> yaml_decode(std::string_view text);
// Every document of a multi-document stream, as sigs.k8s.io/yaml would decode each.
Result<std::vector<Value>> yaml_decode_all(std::string_view text);
// sigs.k8s.io/yaml.Marshal: ends with a newline (helm's toYaml trims it).
Result<std::string> yaml_encode(const Value& v);
// yaml.v3 encoder with indent 2 (helm's toYamlPretty), ends with a newline.
Result<std::string> yaml_encode_pretty(const Value& v);

// BurntSushi/toml encoder and decoder.
Result<std::string> toml_encode(const Value& v);
Result<Value> toml_decode(std::string_view text);

// Registers sprig's JSON functions (toJson, toPrettyJson, toRawJson and their
// must* forms) into `funcs`.
void add_sprig_codec_funcs(FuncMap& funcs);
// Registers helm's own: toYaml, mustToYaml? (helm 3 has none), toYamlPretty,
// fromYaml, fromYamlArray, toJson, mustToJson, fromJson, fromJsonArray,
// toToml, fromToml - with helm's error behaviour (fromYaml returns {"Error": msg}).
void add_helm_codec_funcs(FuncMap& funcs);

}  // namespace cairn::render
