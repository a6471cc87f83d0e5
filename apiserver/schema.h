// Structural OpenAPI v3 schemas of CustomResourceDefinitions: validation, pruning and defaulting
// of custom resources, and the structural-schema check of a CRD's own schema.
//
// All functions are pure: they read the schema (a CRD version's openAPIV3Schema as JSON, with the
// x-kubernetes-* extensions) and read or modify only the object passed in. Thread-safe for
// distinct objects. Messages and field paths follow kube-apiserver (apiextensions-apiserver on
// top of kube-openapi's validator) so that clients see the texts a real cluster returns.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/status.h"

namespace cairn::apiserver {

// Validates `object` (a whole custom resource) against a structural schema.
//
// One cause per violation, with kube's reasons (FieldValueTypeInvalid, FieldValueRequired,
// FieldValueNotSupported, FieldValueInvalid, FieldValueTooLong, FieldValueTooMany,
// FieldValueDuplicate), field paths as kube prints them (`spec.size`, `spec.items[2].name`, map
// values `spec.labels.key`) and `message` = the cause body kube puts into causes[].message, e.g.
// `Invalid value: 11: spec.size in body should be less than or equal to 10`.
//
// Checks run by the kind of the value, as kube-openapi does: a string with a wrong type still gets
// its string checks. Root `metadata` is only checked against the schema's `name` and
// `generateName` restrictions (ObjectMeta validation happens elsewhere). Errors of
// anyOf/oneOf/allOf/not carry the field `<nil>` as kube's do. Stops after 1000 causes to bound
// the work on hostile input (kube has no cap).
std::vector<StatusCause> validate_against_schema(const nlohmann::json& schema,
                                                 const nlohmann::json& object);

// Drops the fields the schema does not describe, everywhere except below
// `x-kubernetes-preserve-unknown-fields: true`. At the root and in embedded resources
// `apiVersion` and `kind` are kept and `metadata` is trimmed to ObjectMeta's fields. Returns the
// dropped paths in document order, spelled as kube reports them in `unknown field "<path>"`
// warnings and strict errors: `spec.bogus`, `spec.items[0].bogus`, `metadata.bogus`. A schema
// that is not an object (no schema known) prunes nothing.
std::vector<std::string> prune_unknown_fields(const nlohmann::json& schema, nlohmann::json& object);

// Applies `default:` values parents first: a missing property gets its default (and so does a
// null one that is not nullable), then its children are defaulted (so an object default gets its
// children's defaults). A null property that is not nullable and has no default is dropped.
// Nothing is defaulted inside values that are not objects or arrays. Idempotent.
void apply_schema_defaults(const nlohmann::json& schema, nlohmann::json& object);

// Checks that a CRD version's schema is structural and valid as apiextensions validation does:
// every node has a type (except with x-kubernetes-int-or-string or
// x-kubernetes-preserve-unknown-fields), the root is an object without additionalProperties,
// arrays have items, no additionalProperties together with properties, no $ref, no uniqueItems,
// valid RE2 patterns, root metadata restricts only name/generateName, value validations
// (allOf/anyOf/oneOf/not) carry no structure, list types are valid, defaults validate and
// contain no pruned fields. `path` prefixes the field paths (for example
// "spec.versions[0].schema.openAPIV3Schema"); property names print as `properties[name]`.
std::vector<StatusCause> check_structural_schema(const nlohmann::json& schema,
                                                 const std::string& path);

// "<field>: <message>" as kube joins a cause into the Invalid message (just the message when the
// field is empty).
std::string format_cause(const StatusCause& cause);

// Helpers shared by the schema and CRD code (schema*.cpp, crd*.cpp); not part of the API. In
// their own namespace so that they never clash with other components' helpers.
namespace schema_detail {

// RE2 partial match of `text` against `pattern` (Go regexp semantics, compiled once and cached).
// nullopt when the pattern does not compile; `error` then holds RE2's message.
std::optional<bool> regex_partial_match(const std::string& pattern, const std::string& text,
                                        std::string* error);
// Whether `s` is valid for an OpenAPI string `format` as kube-openapi's format registry checks it.
// Formats kube does not check (and unknown ones) accept everything.
bool string_matches_format(const std::string& format, const std::string& s);
// validate_against_schema for a value that is not a resource root (a `default:`), with every
// cause's field prefixed by `field_prefix`.
std::vector<StatusCause> validate_value_at(const nlohmann::json& schema,
                                           const nlohmann::json& value,
                                           const std::string& field_prefix);
// prune_unknown_fields for a value that is not a resource root; returns the dropped paths.
std::vector<std::string> prune_value(const nlohmann::json& schema, nlohmann::json& value);

}  // namespace schema_detail
}  // namespace cairn::apiserver
