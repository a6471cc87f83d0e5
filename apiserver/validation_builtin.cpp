// prepare_for_create / prepare_for_update / validate_builtin: the per-kind registry strategies.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "apiserver/detail/go_text.h"
#include "apiserver/selector.h"
#include "apiserver/validation.h"
#include "apiserver/validation_internal.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace detail {

// ------------------------------------------------------------------ base64 (Go's StdEncoding)

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_newline(char c) { return c == '\n' || c == '\r'; }
}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                            static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    }
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Mirrors encoding/base64's decodeQuantum loop, so the reported offsets are Go's.
Base64Result base64_decode(std::string_view src) {
  Base64Result r;
  std::size_t si = 0;
  while (true) {
    int dbuf[4] = {0, 0, 0, 0};
    std::size_t dlen = 4;
    bool end = false;
    for (std::size_t j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) return r;
        r.error_offset = si - j;
        return r;
      }
      const auto in = static_cast<unsigned char>(src[si]);
      ++si;
      const int out = decode_char(in);
      if (out >= 0) {
        dbuf[j] = out;
        continue;
      }
      if (is_newline(static_cast<char>(in))) {
        --j;
        continue;
      }
      if (in != '=') {
        r.error_offset = si - 1;
        return r;
      }
      if (j < 2) {
        r.error_offset = si - 1;
        return r;
      }
      if (j == 2) {
        while (si < src.size() && is_newline(src[si])) ++si;
        if (si == src.size()) {
          r.error_offset = src.size();
          return r;
        }
        if (src[si] != '=') {
          r.error_offset = si - 1;
          return r;
        }
        ++si;
      }
      while (si < src.size() && is_newline(src[si])) ++si;
      if (si < src.size()) {
        r.error_offset = si;
        return r;
      }
      dlen = j;
      end = true;
      break;
    }
    const std::uint32_t val = static_cast<std::uint32_t>(dbuf[0]) << 18 |
                              static_cast<std::uint32_t>(dbuf[1]) << 12 |
                              static_cast<std::uint32_t>(dbuf[2]) << 6 |
                              static_cast<std::uint32_t>(dbuf[3]);
    const char bytes[3] = {static_cast<char>(val >> 16), static_cast<char>(val >> 8),
                           static_cast<char>(val)};
    r.data.append(bytes, dlen - 1);
    if (end) return r;
  }
}

}  // namespace detail

namespace {

using detail::decode_error;
using detail::unmarshal_error;

bool is_core(const ResourceInfo& info, std::string_view resource) {
  return info.group.empty() && info.resource == resource && !info.custom;
}
bool is_kind(const ResourceInfo& info, std::string_view group, std::string_view resource) {
  return info.group == group && info.resource == resource && !info.custom;
}
bool is_crd(const ResourceInfo& info) {
  return is_kind(info, "apiextensions.k8s.io", "customresourcedefinitions");
}

const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

// ObjectMeta field types, as json decoding into metav1.ObjectMeta checks them.
Result<void> check_meta_types(const ResourceInfo& info, const json& object) {
  const json& md = member(object, "metadata");
  if (md.is_null()) return {};
  if (!md.is_object()) {
    return tl::unexpected(unmarshal_error(info, md, info.kind, "metadata", "v1.ObjectMeta"));
  }
  for (const char* key : {"name", "generateName", "namespace", "uid", "resourceVersion",
                          "creationTimestamp", "deletionTimestamp"}) {
    const json& v = member(md, key);
    if (!v.is_null() && !v.is_string()) {
      return tl::unexpected(unmarshal_error(info, v, "ObjectMeta",
                                            std::string("metadata.") + key, "string"));
    }
  }
  for (const char* key : {"labels", "annotations"}) {
    const json& v = member(md, key);
    if (v.is_null()) continue;
    if (!v.is_object()) {
      return tl::unexpected(unmarshal_error(info, v, "ObjectMeta", std::string("metadata.") + key,
                                            "map[string]string"));
    }
    for (const auto& [k, e] : v.items()) {
      if (!e.is_string()) {
        return tl::unexpected(
            unmarshal_error(info, e, "ObjectMeta", std::string("metadata.") + key, "string"));
      }
    }
  }
  const json& finalizers = member(md, "finalizers");
  if (!finalizers.is_null()) {
    if (!finalizers.is_array()) {
      return tl::unexpected(
          unmarshal_error(info, finalizers, "ObjectMeta", "metadata.finalizers", "[]string"));
    }
    for (const json& f : finalizers) {
      if (!f.is_string()) {
        return tl::unexpected(
            unmarshal_error(info, f, "ObjectMeta", "metadata.finalizers", "string"));
      }
    }
  }
  const json& refs = member(md, "ownerReferences");
  if (!refs.is_null()) {
    if (!refs.is_array()) {
      return tl::unexpected(unmarshal_error(info, refs, "ObjectMeta", "metadata.ownerReferences",
                                            "[]v1.OwnerReference"));
    }
    for (const json& r : refs) {
      if (!r.is_object()) {
        return tl::unexpected(unmarshal_error(info, r, "ObjectMeta", "metadata.ownerReferences",
                                              "v1.OwnerReference"));
      }
      for (const char* key : {"apiVersion", "kind", "name", "uid"}) {
        const json& v = member(r, key);
        if (!v.is_null() && !v.is_string()) {
          return tl::unexpected(unmarshal_error(
              info, v, "OwnerReference", std::string("metadata.ownerReferences.") + key,
              "string"));
        }
      }
      for (const char* key : {"controller", "blockOwnerDeletion"}) {
        const json& v = member(r, key);
        if (!v.is_null() && !v.is_boolean()) {
          return tl::unexpected(unmarshal_error(
              info, v, "OwnerReference", std::string("metadata.ownerReferences.") + key, "bool"));
        }
      }
    }
  }
  const json& generation = member(md, "generation");
  if (!generation.is_null() && !generation.is_number_integer()) {
    return tl::unexpected(
        unmarshal_error(info, generation, "ObjectMeta", "metadata.generation", "int64"));
  }
  return {};
}

// A map[string]string field: null/absent allowed, else an object of strings.
Result<void> check_string_map(const ResourceInfo& info, const json& v, const std::string& field) {
  if (v.is_null()) return {};
  if (!v.is_object()) {
    return tl::unexpected(unmarshal_error(info, v, info.kind, field, "map[string]string"));
  }
  for (const auto& [k, e] : v.items()) {
    if (!e.is_string()) return tl::unexpected(unmarshal_error(info, e, info.kind, field, "string"));
  }
  return {};
}

// A map[string][]byte field: every value a base64 string.
Result<void> check_bytes_map(const ResourceInfo& info, const json& v, const std::string& field) {
  if (v.is_null()) return {};
  if (!v.is_object()) {
    return tl::unexpected(unmarshal_error(info, v, info.kind, field, "map[string][]uint8"));
  }
  for (const auto& [k, e] : v.items()) {
    if (e.is_null()) continue;
    if (!e.is_string()) {
      return tl::unexpected(unmarshal_error(info, e, info.kind, field, "[]uint8"));
    }
    const auto decoded = detail::base64_decode(e.get_ref<const std::string&>());
    if (decoded.error_offset) {
      return tl::unexpected(decode_error(
          info, "illegal base64 data at input byte " + std::to_string(*decoded.error_offset)));
    }
  }
  return {};
}

// Secret: stringData -> data (base64), data checked, type defaulted.
Result<void> prepare_secret(const ResourceInfo& info, json& object) {
  if (auto r = check_bytes_map(info, member(object, "data"), "data"); !r) return r;
  const json string_data = member(object, "stringData");
  if (auto r = check_string_map(info, string_data, "stringData"); !r) return r;
  if (string_data.is_object() && !string_data.empty()) {
    json& data = object["data"];
    if (!data.is_object()) data = json::object();
    for (const auto& [k, v] : string_data.items()) {
      data[k] = detail::base64_encode(v.get_ref<const std::string&>());
    }
  }
  object.erase("stringData");
  const json& type = member(object, "type");
  if (!type.is_null() && !type.is_string()) {
    return tl::unexpected(unmarshal_error(info, type, "Secret", "type", "v1.SecretType"));
  }
  if (type.is_null() || type.get_ref<const std::string&>().empty()) object["type"] = "Opaque";
  return {};
}

Result<void> prepare_config_map(const ResourceInfo& info, json& object) {
  if (auto r = check_string_map(info, member(object, "data"), "data"); !r) return r;
  return check_bytes_map(info, member(object, "binaryData"), "binaryData");
}

// MicroTime: time.Parse with "2006-01-02T15:04:05.000000Z07:00" (exactly six fraction digits).
std::optional<std::string> micro_time_error(const std::string& value) {
  static constexpr std::string_view kLayout = "2006-01-02T15:04:05.000000Z07:00";
  struct Chunk {
    std::string_view layout;
    int digits;  // 0: literal
  };
  static constexpr Chunk kChunks[] = {{"2006", 4}, {"-", 0},       {"01", 2}, {"-", 0},
                                      {"02", 2},   {"T", 0},       {"15", 2}, {":", 0},
                                      {"04", 2},   {":", 0},       {"05", 2}, {".000000", 7},
                                      {"Z07:00", -1}};
  auto fail = [&](std::string_view rest, std::string_view elem) {
    return "parsing time " + go::quote(value) + " as " + go::quote(kLayout) + ": cannot parse " +
           go::quote(rest) + " as " + go::quote(elem);
  };
  std::string_view rest = value;
  int fields[6] = {0, 0, 0, 0, 0, 0};
  int field = 0;
  for (const Chunk& c : kChunks) {
    if (c.digits == 0) {
      if (rest.substr(0, c.layout.size()) != c.layout) return fail(rest, c.layout);
      rest.remove_prefix(c.layout.size());
    } else if (c.digits == 7) {
      bool ok = rest.size() >= 7 && rest[0] == '.';
      for (int i = 1; ok && i < 7; ++i) ok = rest[i] >= '0' && rest[i] <= '9';
      if (!ok) return fail(rest, c.layout);
      rest.remove_prefix(7);
    } else if (c.digits > 0) {
      bool ok = rest.size() >= static_cast<std::size_t>(c.digits);
      int v = 0;
      for (int i = 0; ok && i < c.digits; ++i) {
        ok = rest[i] >= '0' && rest[i] <= '9';
        v = v * 10 + (rest[i] - '0');
      }
      if (!ok) return fail(rest, c.layout);
      fields[field++] = v;
      rest.remove_prefix(c.digits);
    } else {
      if (!rest.empty() && rest[0] == 'Z') {
        rest.remove_prefix(1);
      } else {
        bool ok = rest.size() >= 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':';
        for (int i : {1, 2, 4, 5}) ok = ok && rest[i] >= '0' && rest[i] <= '9';
        if (!ok) return fail(rest, c.layout);
        rest.remove_prefix(6);
      }
    }
  }
  if (!rest.empty()) {
    return "parsing time " + go::quote(value) + ": extra text: " + go::quote(rest);
  }
  static constexpr const char* kRange[] = {nullptr, "month", "day", "hour", "minute", "second"};
  static constexpr int kMax[] = {9999, 12, 31, 23, 59, 59};
  for (int i = 1; i < 6; ++i) {
    const int min = (i == 1 || i == 2) ? 1 : 0;
    if (fields[i] < min || fields[i] > kMax[i]) {
      return "parsing time " + go::quote(value) + ": " + kRange[i] + " out of range";
    }
  }
  return std::nullopt;
}

Result<void> prepare_lease(const ResourceInfo& info, const json& object) {
  const json& spec = member(object, "spec");
  if (spec.is_null()) return {};
  if (!spec.is_object()) {
    return tl::unexpected(unmarshal_error(info, spec, "Lease", "spec", "v1.LeaseSpec"));
  }
  for (const char* key : {"holderIdentity", "strategy", "preferredHolder"}) {
    const json& v = member(spec, key);
    if (!v.is_null() && !v.is_string()) {
      return tl::unexpected(
          unmarshal_error(info, v, "LeaseSpec", std::string("spec.") + key, "string"));
    }
  }
  for (const char* key : {"leaseDurationSeconds", "leaseTransitions"}) {
    const json& v = member(spec, key);
    if (v.is_null()) continue;
    const bool ok = v.is_number_integer() &&
                    v.get<std::int64_t>() >= std::numeric_limits<std::int32_t>::min() &&
                    v.get<std::int64_t>() <= std::numeric_limits<std::int32_t>::max() &&
                    !(v.is_number_unsigned() &&
                      v.get<std::uint64_t>() > std::numeric_limits<std::int32_t>::max());
    if (!ok) {
      return tl::unexpected(
          unmarshal_error(info, v, "LeaseSpec", std::string("spec.") + key, "int32"));
    }
  }
  for (const char* key : {"acquireTime", "renewTime"}) {
    const json& v = member(spec, key);
    if (v.is_null()) continue;
    if (!v.is_string()) {
      return tl::unexpected(
          unmarshal_error(info, v, "LeaseSpec", std::string("spec.") + key, "v1.MicroTime"));
    }
    if (auto err = micro_time_error(v.get<std::string>())) {
      return tl::unexpected(decode_error(info, *err));
    }
  }
  return {};
}

// Namespace: "kubernetes" in spec.finalizers, the name label.
void set_namespace_label(json& object) {
  const json& md = member(object, "metadata");
  const json& name = member(md, "name");
  if (!name.is_string()) return;
  json& labels = object["metadata"]["labels"];
  if (!labels.is_object()) labels = json::object();
  labels["kubernetes.io/metadata.name"] = name;
}

Result<void> prepare_namespace_create(const ResourceInfo& info, json& object) {
  json& spec = object["spec"];
  if (spec.is_null()) spec = json::object();
  if (!spec.is_object()) {
    return tl::unexpected(unmarshal_error(info, spec, "Namespace", "spec", "v1.NamespaceSpec"));
  }
  json& finalizers = spec["finalizers"];
  if (finalizers.is_null()) finalizers = json::array();
  if (!finalizers.is_array()) {
    return tl::unexpected(unmarshal_error(info, finalizers, "NamespaceSpec", "spec.finalizers",
                                          "[]v1.FinalizerName"));
  }
  if (std::find(finalizers.begin(), finalizers.end(), json("kubernetes")) == finalizers.end()) {
    finalizers.push_back("kubernetes");
  }
  object["status"] = {{"phase", "Active"}};
  set_namespace_label(object);
  return {};
}

void job_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) return;
  auto set_default = [&](const char* key, const json& v) {
    if (!spec.contains(key) || spec[key].is_null()) spec[key] = v;
  };
  const bool indexed = spec.value("completionMode", std::string()) == "Indexed";
  set_default("completions", 1);
  set_default("parallelism", 1);
  set_default("backoffLimit", 6);
  set_default("completionMode", indexed ? "Indexed" : "NonIndexed");
  set_default("suspend", false);
}

// Kind-specific strategies shared by create and update.
Result<void> prepare_kind(const ResourceInfo& info, json& object) {
  if (is_core(info, "secrets")) return prepare_secret(info, object);
  if (is_core(info, "configmaps")) return prepare_config_map(info, object);
  if (is_kind(info, "coordination.k8s.io", "leases")) return prepare_lease(info, object);
  return {};
}

// ------------------------------------------------------------------ kind validation

// validation.IsConfigMapKey.
std::vector<std::string> config_key_errors(const std::string& key) {
  std::vector<std::string> errs;
  if (key.size() > 253) errs.push_back("must be no more than 253 characters");
  const bool chars = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
  if (!chars) {
    errs.push_back(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  }
  if (key == ".") {
    errs.push_back("must not be '.'");
  } else if (key == "..") {
    errs.push_back("must not be '..'");
  } else if (key.rfind("..", 0) == 0) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

constexpr std::int64_t kMaxSecretSize = 1024 * 1024;

void validate_keys(const json& map, const std::string& field, std::vector<StatusCause>& out,
                   std::int64_t& total, bool decoded) {
  if (!map.is_object()) return;
  for (const auto& [k, v] : map.items()) {
    for (const std::string& msg : config_key_errors(k)) {
      out.push_back(detail::invalid(field + "[" + k + "]", go::quote(k), msg));
    }
    if (!v.is_string()) continue;
    total += static_cast<std::int64_t>(
        decoded ? detail::base64_decode(v.get_ref<const std::string&>()).data.size()
                : v.get_ref<const std::string&>().size());
  }
}

bool immutable_set(const json& object) {
  const json& v = member(object, "immutable");
  return v.is_boolean() && v.get<bool>();
}

void validate_config_map(const json& object, const json* old, std::vector<StatusCause>& out) {
  if (old != nullptr && immutable_set(*old)) {
    constexpr const char* kMsg = "field is immutable when `immutable` is set";
    if (!immutable_set(object)) out.push_back(detail::forbidden("immutable", kMsg));
    if (member(object, "data") != member(*old, "data")) {
      out.push_back(detail::forbidden("data", kMsg));
    }
    if (member(object, "binaryData") != member(*old, "binaryData")) {
      out.push_back(detail::forbidden("binaryData", kMsg));
    }
  }
  std::int64_t total = 0;
  const json& data = member(object, "data");
  const json& binary = member(object, "binaryData");
  validate_keys(data, "data", out, total, false);
  if (data.is_object() && binary.is_object()) {
    for (const auto& [k, v] : data.items()) {
      if (binary.contains(k)) {
        out.push_back(detail::invalid("data[" + k + "]", go::quote(k),
                                      "duplicate of key present in binaryData"));
      }
    }
  }
  validate_keys(binary, "binaryData", out, total, true);
  if (total > kMaxSecretSize) out.push_back(detail::too_long("", kMaxSecretSize));
}

void validate_secret(const json& object, const json* old, std::vector<StatusCause>& out) {
  const std::string type = member(object, "type").is_string()
                               ? member(object, "type").get<std::string>()
                               : std::string();
  if (old != nullptr) {
    const std::string old_type = member(*old, "type").is_string()
                                     ? member(*old, "type").get<std::string>()
                                     : std::string();
    if (type != old_type) out.push_back(detail::invalid("type", go::quote(type),
                                                        "field is immutable"));
    if (immutable_set(*old)) {
      constexpr const char* kMsg = "field is immutable when `immutable` is set";
      if (!immutable_set(object)) out.push_back(detail::forbidden("immutable", kMsg));
      if (member(object, "data") != member(*old, "data")) {
        out.push_back(detail::forbidden("data", kMsg));
      }
    }
  }
  std::int64_t total = 0;
  const json& data = member(object, "data");
  validate_keys(data, "data", out, total, true);
  if (total > kMaxSecretSize) out.push_back(detail::too_long("data", kMaxSecretSize));
  auto need_key = [&](const char* key) {
    if (!data.is_object() || !data.contains(key)) {
      out.push_back(detail::required(std::string("data[") + key + "]", ""));
    }
  };
  if (type == "kubernetes.io/service-account-token") {
    const json& ann = member(member(object, "metadata"), "annotations");
    const json& sa = member(ann, "kubernetes.io/service-account.name");
    if (!sa.is_string() || sa.get_ref<const std::string&>().empty()) {
      out.push_back(detail::required(
          "metadata.annotations[kubernetes.io/service-account.name]", ""));
    }
  } else if (type == "kubernetes.io/tls") {
    need_key("tls.crt");
    need_key("tls.key");
  } else if (type == "kubernetes.io/dockercfg") {
    need_key(".dockercfg");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    need_key(".dockerconfigjson");
  } else if (type == "kubernetes.io/ssh-auth") {
    need_key("ssh-privatekey");
  } else if (type == "kubernetes.io/basic-auth") {
    const bool has_user = data.is_object() && data.contains("username");
    const bool has_pass = data.is_object() && data.contains("password");
    if (!has_user && !has_pass) {
      out.push_back(detail::required("data[username]", ""));
      out.push_back(detail::required("data[password]", ""));
    }
  }
}

void validate_namespace(const json& object, std::vector<StatusCause>& out) {
  for (const json& f : member(member(object, "spec"), "finalizers")) {
    if (!f.is_string()) continue;
    const std::string name = f.get<std::string>();
    for (const std::string& msg : label_key_errors(name)) {
      out.push_back(detail::invalid("spec.finalizers", go::quote(name), msg));
    }
    if (name.find('/') == std::string::npos && name != "kubernetes" && name != "orphan" &&
        name != "foregroundDeletion") {
      out.push_back(detail::invalid("spec.finalizers", go::quote(name),
                                    "name is neither a standard finalizer name nor is it fully "
                                    "qualified"));
    }
  }
  const json& phase = member(member(object, "status"), "phase");
  if (!phase.is_string()) return;
  const bool deleting = member(member(object, "metadata"), "deletionTimestamp").is_string();
  const std::string p = phase.get<std::string>();
  if (!deleting && p != "Active") {
    out.push_back(detail::invalid("status.Phase", go::quote(p),
                                  "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (deleting && p != "Terminating") {
    out.push_back(detail::invalid("status.Phase", go::quote(p),
                                  "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
}

void validate_lease(const json& object, std::vector<StatusCause>& out) {
  const json& spec = member(object, "spec");
  const json& duration = member(spec, "leaseDurationSeconds");
  if (duration.is_number_integer() && duration.get<std::int64_t>() <= 0) {
    out.push_back(detail::invalid("spec.leaseDurationSeconds", duration.dump(),
                                  "must be greater than 0"));
  }
  const json& transitions = member(spec, "leaseTransitions");
  if (transitions.is_number_integer() && transitions.get<std::int64_t>() < 0) {
    out.push_back(detail::invalid("spec.leaseTransitions", transitions.dump(),
                                  "must be greater than or equal to 0"));
  }
}

void validate_job(const json& object, std::vector<StatusCause>& out) {
  const json& pod_spec = member(member(member(object, "spec"), "template"), "spec");
  const json& containers = member(pod_spec, "containers");
  if (!containers.is_array() || containers.empty()) {
    out.push_back(detail::required("spec.template.spec.containers", ""));
  }
  const json& policy = member(pod_spec, "restartPolicy");
  // The pod defaults make an unset restartPolicy "Always" before validation.
  const std::string p = policy.is_string() && !policy.get_ref<const std::string&>().empty()
                            ? policy.get<std::string>()
                            : std::string("Always");
  if (p != "OnFailure" && p != "Never") {
    out.push_back(detail::not_supported("spec.template.spec.restartPolicy", go::quote(p),
                                        {"OnFailure", "Never"}));
  }
}

}  // namespace

namespace detail {
// validation_crd.cpp: the CRD strategy (defaulting, finalizer, validate_crd).
void prepare_crd_create(json& object);
void prepare_crd_update(json& object);
std::vector<StatusCause> crd_causes(const json& object, const json* old);
}  // namespace detail

Result<void> prepare_for_create(const ResourceInfo& info, json& object) {
  if (!object.is_object()) {
    return tl::unexpected(decode_error(info, "the object must be a JSON object"));
  }
  if (auto r = check_meta_types(info, object); !r) return r;
  json& md = object["metadata"];
  if (md.is_null()) md = json::object();
  for (const char* key : {"deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) {
    md.erase(key);
  }
  if (is_core(info, "namespaces")) return prepare_namespace_create(info, object);
  if (is_crd(info)) {
    detail::prepare_crd_create(object);
    return {};
  }
  if (info.has_status) {
    if (info.custom) {
      object.erase("status");
    } else {
      object["status"] = json::object();
    }
  }
  if (is_kind(info, "batch", "jobs")) job_defaults(object);
  return prepare_kind(info, object);
}

Result<void> prepare_for_update(const ResourceInfo& info, json& object, const json& old,
                                std::string_view subresource) {
  if (!object.is_object()) {
    return tl::unexpected(decode_error(info, "the object must be a JSON object"));
  }
  if (auto r = check_meta_types(info, object); !r) return r;
  if (subresource == "status" || subresource == "finalize") {
    // Only .status (or spec.finalizers) comes from the request; resourceVersion (the
    // precondition) and managedFields (field tracking) come with it.
    json next = old;
    const json& md = member(object, "metadata");
    for (const char* key : {"resourceVersion", "managedFields"}) {
      const json& v = member(md, key);
      if (v.is_null()) {
        if (next.contains("metadata")) next["metadata"].erase(key);
      } else {
        next["metadata"][key] = v;
      }
    }
    if (subresource == "status") {
      if (object.contains("status")) {
        next["status"] = object["status"];
      } else {
        next.erase("status");
      }
    } else {
      const json& finalizers = member(member(object, "spec"), "finalizers");
      if (!finalizers.is_null() && !finalizers.is_array()) {
        return tl::unexpected(unmarshal_error(info, finalizers, "NamespaceSpec",
                                              "spec.finalizers", "[]v1.FinalizerName"));
      }
      next["spec"]["finalizers"] = finalizers.is_null() ? json::array() : finalizers;
    }
    object = std::move(next);
    return {};
  }
  json& md = object["metadata"];
  if (md.is_null()) md = json::object();
  const json& old_md = member(old, "metadata");
  if (member(md, "uid").is_null() || member(md, "uid") == "") {
    if (old_md.contains("uid")) md["uid"] = old_md["uid"];
  }
  // generation is server-owned: the strategies of kube copy it from the stored object (the
  // Store then bumps it per policy), so a stale client value never fails validation.
  for (const char* key : {"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation"}) {
    if (old_md.is_object() && old_md.contains(key)) {
      md[key] = old_md[key];
    } else {
      md.erase(key);
    }
  }
  md.erase("selfLink");
  if (is_crd(info)) detail::prepare_crd_update(object);
  if (info.has_status) {
    if (old.contains("status")) {
      object["status"] = old["status"];
    } else {
      object.erase("status");
    }
  }
  if (is_core(info, "namespaces")) {
    const json& old_finalizers = member(member(old, "spec"), "finalizers");
    if (!object["spec"].is_object()) object["spec"] = json::object();
    if (old_finalizers.is_null()) {
      object["spec"].erase("finalizers");
    } else {
      object["spec"]["finalizers"] = old_finalizers;
    }
    set_namespace_label(object);
  }
  return prepare_kind(info, object);
}

std::vector<StatusCause> validate_builtin(const ResourceInfo& info, const json& object,
                                          const json* old) {
  std::vector<StatusCause> out;
  if (info.custom) return out;
  if (is_core(info, "configmaps")) {
    validate_config_map(object, old, out);
  } else if (is_core(info, "secrets")) {
    validate_secret(object, old, out);
  } else if (is_core(info, "namespaces")) {
    validate_namespace(object, out);
  } else if (is_kind(info, "coordination.k8s.io", "leases")) {
    validate_lease(object, out);
  } else if (is_kind(info, "batch", "jobs")) {
    validate_job(object, out);
  } else if (is_crd(info)) {
    // validate_crd checks metadata.name too; a cause validate_object_meta reports already is
    // left out.
    const std::vector<StatusCause> meta = detail::meta_causes(info, object, old);
    for (StatusCause& c : detail::crd_causes(object, old)) {
      const bool seen = std::any_of(meta.begin(), meta.end(), [&](const StatusCause& e) {
        return e.field == c.field && e.message == c.message;
      });
      if (!seen) out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace cairn::apiserver
