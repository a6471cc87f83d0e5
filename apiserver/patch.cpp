// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and reading patch bodies.
// Strategic merge patch lives in patch_strategic.cpp.
#include "apiserver/patch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cairn::apiserver {
namespace {

using nlohmann::json;

// ------------------------------------------------------------------ merge patch

void merge_into(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      merge_into(target[it.key()], it.value());
    }
  }
}

// ------------------------------------------------------------------ JSON patch

// How the size limit counts a value: roughly its compact serialisation, without allocating it.
std::size_t approximate_size(const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      std::size_t n = 2;
      for (auto it = value.begin(); it != value.end(); ++it)
        n += it.key().size() + 4 + approximate_size(it.value());
      return n;
    }
    case json::value_t::array: {
      std::size_t n = 2;
      for (const auto& v : value) n += approximate_size(v) + 1;
      return n;
    }
    case json::value_t::string:
      return value.get_ref<const std::string&>().size() + 2;
    case json::value_t::boolean:
      return 5;
    case json::value_t::null:
      return 4;
    default:
      return 8;  // numbers
  }
}

enum class Op { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

struct Operation {
  Op op = Op::kAdd;
  std::string path;  // as sent, for messages
  std::vector<std::string> tokens;
  std::string from;
  std::vector<std::string> from_tokens;
  const json* value = nullptr;  // borrowed from the patch document
};

// RFC 6901: "" is the whole document, otherwise "/"-separated tokens with ~1 = '/', ~0 = '~'.
std::optional<std::vector<std::string>> parse_pointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return std::nullopt;
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token.push_back(pointer[i]);
      continue;
    }
    if (i + 1 >= pointer.size()) return std::nullopt;
    if (pointer[i + 1] == '0') {
      token.push_back('~');
    } else if (pointer[i + 1] == '1') {
      token.push_back('/');
    } else {
      return std::nullopt;
    }
    ++i;
  }
  return tokens;
}

// An array index token: digits without leading zeros ("0" itself is fine).
std::optional<std::size_t> parse_index(const std::string& token) {
  if (token.empty() || token.size() > 15) return std::nullopt;
  if (token.size() > 1 && token.front() == '0') return std::nullopt;
  std::size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// The value `tokens` names, or nullptr when it does not exist.
json* resolve(json& doc, const std::vector<std::string>& tokens, std::size_t count) {
  json* node = &doc;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      auto index = parse_index(token);
      if (!index || *index >= node->size()) return nullptr;
      node = &(*node)[*index];
    } else {
      return nullptr;
    }
  }
  return node;
}

Status bad_request(std::string message) {
  return Status{StatusCode::kBadRequest, std::move(message)};
}

Status invalid(std::string message) { return Status{StatusCode::kInvalid, std::move(message)}; }

Result<std::vector<Operation>> decode_operations(const json& patch) {
  if (!patch.is_array()) {
    return tl::unexpected(bad_request(std::string("json: cannot unmarshal ") +
                                      (patch.is_boolean() ? "bool" : patch.type_name()) +
                                      " into Go value of type jsonpatch.Patch"));
  }
  if (patch.size() > kMaxJsonPatchOperations) {
    return error(StatusCode::kRequestEntityTooLarge,
                 "The allowed maximum operations in a JSON patch is " +
                     std::to_string(kMaxJsonPatchOperations) + ", got " +
                     std::to_string(patch.size()));
  }
  std::vector<Operation> ops;
  ops.reserve(patch.size());
  for (std::size_t i = 0; i < patch.size(); ++i) {
    const json& raw = patch[i];
    const std::string where = "JSON patch operation " + std::to_string(i) + ": ";
    if (!raw.is_object()) return tl::unexpected(bad_request(where + "not an object"));
    Operation op;
    auto name = raw.find("op");
    if (name == raw.end() || !name->is_string())
      return tl::unexpected(bad_request(where + "operation missing op field"));
    const auto& kind = name->get_ref<const std::string&>();
    if (kind == "add") {
      op.op = Op::kAdd;
    } else if (kind == "remove") {
      op.op = Op::kRemove;
    } else if (kind == "replace") {
      op.op = Op::kReplace;
    } else if (kind == "move") {
      op.op = Op::kMove;
    } else if (kind == "copy") {
      op.op = Op::kCopy;
    } else if (kind == "test") {
      op.op = Op::kTest;
    } else {
      return tl::unexpected(bad_request(where + "Unexpected kind: " + kind));
    }
    auto path = raw.find("path");
    if (path == raw.end() || !path->is_string())
      return tl::unexpected(bad_request(where + "operation missing path field"));
    op.path = path->get<std::string>();
    auto tokens = parse_pointer(op.path);
    if (!tokens)
      return tl::unexpected(bad_request(where + "invalid JSON pointer \"" + op.path + "\""));
    op.tokens = std::move(*tokens);
    if (op.op == Op::kMove || op.op == Op::kCopy) {
      auto from = raw.find("from");
      if (from == raw.end() || !from->is_string())
        return tl::unexpected(bad_request(where + "operation missing from field"));
      op.from = from->get<std::string>();
      auto from_tokens = parse_pointer(op.from);
      if (!from_tokens)
        return tl::unexpected(bad_request(where + "invalid JSON pointer \"" + op.from + "\""));
      op.from_tokens = std::move(*from_tokens);
    }
    if (op.op == Op::kAdd || op.op == Op::kReplace || op.op == Op::kTest) {
      auto value = raw.find("value");
      if (value == raw.end())
        return tl::unexpected(bad_request(where + "operation missing value field"));
      op.value = &*value;
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

// Applies operations to a working copy of the document and tracks its approximate size.
class JsonPatcher {
 public:
  JsonPatcher(json doc, std::size_t max_bytes)
      : doc_(std::move(doc)), max_bytes_(max_bytes), size_(approximate_size(doc_)) {}

  Result<void> apply(const Operation& op) {
    switch (op.op) {
      case Op::kAdd:
        return add(op.path, op.tokens, *op.value, "add");
      case Op::kRemove: {
        auto removed = remove(op.path, op.tokens, "remove");
        if (!removed) return tl::unexpected(removed.error());
        return {};
      }
      case Op::kReplace:
        return replace(op);
      case Op::kMove:
        return move(op);
      case Op::kCopy:
        return copy(op);
      case Op::kTest:
        return test(op);
    }
    return {};
  }

  json take() { return std::move(doc_); }

 private:
  Result<void> grew(std::size_t added, std::size_t removed) {
    size_ = size_ + added - std::min(size_ + added, removed);
    if (size_ > max_bytes_) {
      return error(StatusCode::kRequestEntityTooLarge,
                   "Request entity too large: limit is " + std::to_string(max_bytes_));
    }
    return {};
  }

  Result<void> add(const std::string& path, const std::vector<std::string>& tokens,
                   const json& value, const char* what) {
    if (tokens.empty()) {
      std::size_t old = approximate_size(doc_);
      doc_ = value;
      return grew(approximate_size(value), old);
    }
    json* parent = resolve(doc_, tokens, tokens.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return tl::unexpected(invalid(std::string(what) +
                                    " operation does not apply: doc is missing path: \"" + path +
                                    "\": missing value"));
    }
    const std::string& key = tokens.back();
    if (parent->is_object()) {
      std::size_t old = 0;
      if (auto it = parent->find(key); it != parent->end()) old = approximate_size(*it);
      (*parent)[key] = value;
      return grew(approximate_size(value) + key.size() + 4, old);
    }
    std::size_t index = parent->size();
    if (key != "-") {
      auto parsed = parse_index(key);
      if (!parsed || *parsed > parent->size()) {
        return tl::unexpected(invalid("error in " + std::string(what) + " for path: '" + path +
                                      "': Unable to access invalid index: " + key +
                                      ": invalid index referenced"));
      }
      index = *parsed;
    }
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(index), value);
    return grew(approximate_size(value) + 1, 0);
  }

  // Removes and returns the value at `tokens`.
  Result<json> remove(const std::string& path, const std::vector<std::string>& tokens,
                      const char* what) {
    if (tokens.empty()) {
      return tl::unexpected(invalid(std::string(what) +
                                    " operation does not apply: cannot remove the whole "
                                    "document at path: \"\""));
    }
    json* parent = resolve(doc_, tokens, tokens.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return tl::unexpected(invalid(std::string(what) +
                                    " operation does not apply: doc is missing path: \"" + path +
                                    "\": missing value"));
    }
    const std::string& key = tokens.back();
    json removed;
    if (parent->is_object()) {
      auto it = parent->find(key);
      if (it == parent->end()) {
        return tl::unexpected(invalid("error in " + std::string(what) + " for path: '" + path +
                                      "': Unable to remove nonexistent key: " + key +
                                      ": missing value"));
      }
      removed = std::move(*it);
      parent->erase(it);
    } else {
      auto index = parse_index(key);
      if (!index || *index >= parent->size()) {
        return tl::unexpected(invalid("error in " + std::string(what) + " for path: '" + path +
                                      "': Unable to access invalid index: " + key +
                                      ": invalid index referenced"));
      }
      removed = std::move((*parent)[*index]);
      parent->erase(*index);
    }
    size_ -= std::min(size_, approximate_size(removed));
    return removed;
  }

  Result<void> replace(const Operation& op) {
    json* target = resolve(doc_, op.tokens, op.tokens.size());
    if (target == nullptr) {
      return tl::unexpected(invalid(
          "replace operation does not apply: doc is missing key: " + op.path + ": missing value"));
    }
    std::size_t old = approximate_size(*target);
    *target = *op.value;
    return grew(approximate_size(*op.value), old);
  }

  Result<void> move(const Operation& op) {
    if (resolve(doc_, op.from_tokens, op.from_tokens.size()) == nullptr) {
      return tl::unexpected(invalid("move operation does not apply: doc is missing from path: " +
                                    op.from + ": missing value"));
    }
    if (op.from_tokens == op.tokens) return {};
    if (op.from_tokens.size() < op.tokens.size() &&
        std::equal(op.from_tokens.begin(), op.from_tokens.end(), op.tokens.begin())) {
      return tl::unexpected(invalid("move operation does not apply: path " + op.path +
                                    " is a child of from path " + op.from));
    }
    auto value = remove(op.from, op.from_tokens, "move");
    if (!value) return tl::unexpected(value.error());
    return add(op.path, op.tokens, *value, "move");
  }

  Result<void> copy(const Operation& op) {
    const json* source = resolve(doc_, op.from_tokens, op.from_tokens.size());
    if (source == nullptr) {
      return tl::unexpected(invalid("copy operation does not apply: doc is missing from path: " +
                                    op.from + ": missing value"));
    }
    // The limit is checked before the copy is made, so a doubling chain cannot allocate
    // far beyond it.
    if (size_ + approximate_size(*source) > max_bytes_) {
      return error(StatusCode::kRequestEntityTooLarge,
                   "Request entity too large: limit is " + std::to_string(max_bytes_));
    }
    json value = *source;
    return add(op.path, op.tokens, value, "copy");
  }

  Result<void> test(const Operation& op) {
    const json* target = resolve(doc_, op.tokens, op.tokens.size());
    if (target == nullptr) {
      return tl::unexpected(invalid("test operation does not apply: is missing path: " + op.path +
                                    ": missing value"));
    }
    if (*target != *op.value) {
      return tl::unexpected(invalid("testing value " + op.path + " failed: test failed"));
    }
    return {};
  }

  json doc_;
  std::size_t max_bytes_;
  std::size_t size_;
};

// The deepest nesting of `body`, counting brackets outside strings; stops early past `limit`.
std::size_t nesting_depth(std::string_view body, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json merge_patch(const nlohmann::json& target, const nlohmann::json& patch) {
  json result = target;
  merge_into(result, patch);
  return result;
}

Result<nlohmann::json> json_patch(const nlohmann::json& target, const nlohmann::json& patch,
                                  std::size_t max_bytes) {
  auto ops = decode_operations(patch);
  if (!ops) return tl::unexpected(ops.error());
  JsonPatcher patcher(target, max_bytes);
  for (const Operation& op : *ops) {
    if (auto applied = patcher.apply(op); !applied) return tl::unexpected(applied.error());
  }
  return patcher.take();
}

Result<nlohmann::json> parse_patch_body(std::string_view body) {
  if (nesting_depth(body, kMaxPatchDepth) > kMaxPatchDepth) {
    return error(StatusCode::kBadRequest, "error decoding patch: JSON nested deeper than " +
                                              std::to_string(kMaxPatchDepth) + " levels");
  }
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    // nlohmann reports the 1-based index of the byte it stopped at; say the 0-based offset.
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string detail = e.what();
    if (auto pos = detail.find("] "); pos != std::string::npos) detail.erase(0, pos + 2);
    return error(StatusCode::kBadRequest, "error decoding patch: invalid JSON at byte offset " +
                                              std::to_string(offset) + ": " + detail);
  } catch (const json::exception& e) {
    return error(StatusCode::kBadRequest, std::string("error decoding patch: ") + e.what());
  }
}

}  // namespace cairn::apiserver
