// JsonPath: the kubectl JSONPath dialect (k8s.io/client-go/util/jsonpath), as the API server
// uses it for CRD printer columns and as `kubectl get -o jsonpath` reads it.
//
// Grammar, following kube's parser: a template is literal text with actions in braces
// ("kind is {.kind}"); an expression without any brace is one action. Inside an action:
// `.field` (backslash escapes a terminator: `.a\.b` is the key "a.b"), `.*` and `..` (recursive
// descent), `[n]`, `[start:end:step]` (negative indices count from the end), `[*]`, `['key']`
// (the key is read as a path: `['a.b']` is `.a.b`, as in kube), unions `[a,b]`, filters
// `[?(@.type=="Ready")]` with either quote style, existence filters `[?(@.x)]`, the comparison
// operators == != < <= > >=, quoted text, integer/float/true/false literals, `@` and `$`.
// `range`/`end` blocks are not supported (a parse error).
//
// Evaluation follows kube with missing keys allowed: a missing field yields no result, and the
// errors kube reports while evaluating (an index out of range, indexing a non-array, comparing
// several values at once, an unknown identifier, more than kMaxIntermediateResults values in
// flight) make the whole evaluation yield no results, as kube's table convertor then prints an
// empty cell. Numbers compare numerically whether integral or not (kubectl's behaviour).
//
// A JsonPath is an immutable value, cheap to copy (the parsed program is shared); evaluate() is
// safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/status.h"

namespace cairn::apiserver {

class JsonPath {
 public:
  // Longest expression parse() accepts.
  static constexpr std::size_t kMaxExpressionBytes = 4096;
  // Most values one evaluation step may produce before the evaluation is abandoned.
  static constexpr std::size_t kMaxIntermediateResults = 1'000'000;

  // Parses a kubectl JSONPath expression, with or without the surrounding {}. BadRequest with a
  // message naming the expression and the problem on a syntax error or an over-long input.
  static Result<JsonPath> parse(std::string_view expression);

  // All results in document order (copies). Literal text of a template is a string result.
  std::vector<nlohmann::json> evaluate(const nlohmann::json& document) const;

  // The expression as given to parse().
  const std::string& expression() const { return expression_; }

  struct Program;  // the parsed form; defined in jsonpath.cpp

 private:
  JsonPath(std::string expression, std::shared_ptr<const Program> program)
      : expression_(std::move(expression)), program_(std::move(program)) {}

  std::string expression_;
  std::shared_ptr<const Program> program_;
};

// How the server prints one result value into a string cell (kube's JSONPath PrintResults):
// strings raw, integers in decimal, other numbers as Go's %v prints a float64 ("1.5", "1e+06"),
// booleans true/false, null as "<no value>", objects and arrays as compact JSON the way Go's
// encoding/json writes it (sorted keys, <>& escaped as \u003c \u003e \u0026).
std::string jsonpath_value_string(const nlohmann::json& value);

}  // namespace cairn::apiserver
