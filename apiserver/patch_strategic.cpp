// Strategic merge patch, modelled on apimachinery's strategicpatch.StrategicMergeMapPatch with
// the options kube-apiserver uses (MergeParallelList, IgnoreUnmatchedNulls). The schema stands
// in for the Go struct tags: x-kubernetes-patch-strategy and x-kubernetes-patch-merge-key.
#include <algorithm>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "apiserver/patch.h"
#include "apiserver/resources.h"

namespace cairn::apiserver {
namespace {

using nlohmann::json;

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Keys of a patch map that are directives rather than fields.
bool is_directive_key(std::string_view key) {
  return key == kDirective || key == kRetainKeys || starts_with(key, kDeleteFromPrimitiveList) ||
         starts_with(key, kSetElementOrder);
}

// Go's %v of a decoded JSON value, for messages phrased as apimachinery's.
void go_format(const json& value, std::string& out) {
  switch (value.type()) {
    case json::value_t::object: {
      out += "map[";
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ' ';
        first = false;
        out += it.key();
        out += ':';
        go_format(it.value(), out);
      }
      out += ']';
      return;
    }
    case json::value_t::array: {
      out += '[';
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ' ';
        go_format(value[i], out);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      out += value.get_ref<const std::string&>();
      return;
    case json::value_t::null:
      out += "<nil>";
      return;
    default:
      out += value.dump();
      return;
  }
}

std::string go_format(const json& value) {
  std::string out;
  go_format(value, out);
  return out;
}

tl::unexpected<Status> bad_request(std::string message) {
  return error(StatusCode::kBadRequest, std::move(message));
}

tl::unexpected<Status> no_merge_key(const json& element, const std::string& key) {
  return bad_request("map: " + go_format(element) + " does not contain declared merge key: " + key);
}

tl::unexpected<Status> bad_patch_type(const json& directive, const json& map) {
  return bad_request("unknown patch type: " + go_format(directive) + " in map: " + go_format(map));
}

// What the schema says about one field.
struct FieldMeta {
  const json* schema = nullptr;  // the field's own schema, or null
  bool merge = false;            // x-kubernetes-patch-strategy contains "merge"
  bool replace = false;          // ... contains "replace"
  std::string merge_key;         // x-kubernetes-patch-merge-key
};

const json* child_schema(const json* schema, std::string_view member) {
  if (schema == nullptr || !schema->is_object()) return nullptr;
  auto it = schema->find(member);
  if (it == schema->end() || !it->is_object()) return nullptr;
  return &*it;
}

FieldMeta field_meta(const json* schema, const std::string& key, bool root) {
  FieldMeta meta;
  if (const json* properties = child_schema(schema, "properties")) {
    if (auto it = properties->find(key); it != properties->end() && it->is_object())
      meta.schema = &*it;
  }
  if (meta.schema == nullptr && root && key == "metadata") meta.schema = &object_meta_schema();
  if (meta.schema == nullptr) meta.schema = child_schema(schema, "additionalProperties");
  if (meta.schema == nullptr) return meta;
  if (auto it = meta.schema->find("x-kubernetes-patch-strategy");
      it != meta.schema->end() && it->is_string()) {
    std::string_view strategies = it->get_ref<const std::string&>();
    while (!strategies.empty()) {
      std::size_t comma = strategies.find(',');
      std::string_view one = strategies.substr(0, comma);
      if (one == "merge") meta.merge = true;
      if (one == "replace") meta.replace = true;
      if (comma == std::string_view::npos) break;
      strategies.remove_prefix(comma + 1);
    }
  }
  if (auto it = meta.schema->find("x-kubernetes-patch-merge-key");
      it != meta.schema->end() && it->is_string()) {
    meta.merge_key = it->get<std::string>();
  }
  return meta;
}

// How list items are identified when merging and ordering: the merge key's value for maps,
// the value itself for scalars; serialised so it can key a hash map.
std::optional<std::string> identity(const json& item, const std::string& merge_key) {
  if (merge_key.empty()) return item.dump();
  if (!item.is_object()) return std::nullopt;
  auto it = item.find(merge_key);
  if (it == item.end()) return std::nullopt;
  return it->dump();
}

// Position of each identity in a list (first occurrence).
std::unordered_map<std::string, std::size_t> positions(const json& list,
                                                       const std::string& merge_key) {
  std::unordered_map<std::string, std::size_t> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto id = identity(list[i], merge_key)) out.emplace(std::move(*id), i);
  }
  return out;
}

constexpr std::size_t kAbsent = std::numeric_limits<std::size_t>::max();

std::size_t position_of(const std::unordered_map<std::string, std::size_t>& index, const json& item,
                        const std::string& merge_key) {
  auto id = identity(item, merge_key);
  if (!id) return kAbsent;
  auto it = index.find(*id);
  return it == index.end() ? kAbsent : it->second;
}

class Merger {
 public:
  // Merges `patch` (an object) into `original` (made an object when it is not).
  Result<void> merge_map(json& original, const json& patch, const json* schema, bool root) {
    if (!original.is_object()) original = json::object();
    if (auto directive = patch.find(kDirective); directive != patch.end()) {
      if (*directive == "replace") {
        json rest = patch;
        rest.erase(std::string(kDirective));
        json fresh = json::object();
        if (auto merged = merge_map(fresh, rest, schema, root); !merged) return merged;
        original = std::move(fresh);
        return {};
      }
      if (*directive == "delete") {
        original = json::object();
        return {};
      }
      if (*directive != "merge") return bad_patch_type(*directive, patch);
    }

    if (auto retain = patch.find(kRetainKeys); retain != patch.end()) {
      if (auto applied = apply_retain_keys(original, patch, *retain); !applied) return applied;
    }

    // Parallel lists first: $setElementOrder lists are remembered for the merge below,
    // $deleteFromPrimitiveList lists are applied before the field's own patch so that a value
    // both deleted and added stays.
    std::map<std::string, const json*> orders;
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (starts_with(key, kSetElementOrder)) {
        if (!it->is_array()) return bad_request("invalid patch format of setElementOrder list");
        orders[key.substr(kSetElementOrder.size())] = &*it;
      } else if (starts_with(key, kDeleteFromPrimitiveList)) {
        if (!it->is_array()) return bad_request("invalid patch format of primitive list");
        auto field = original.find(key.substr(kDeleteFromPrimitiveList.size()));
        if (field == original.end() || !field->is_array()) continue;
        std::unordered_set<std::string> doomed;
        for (const json& item : *it) doomed.insert(item.dump());
        json kept = json::array();
        for (auto& item : *field) {
          if (doomed.count(item.dump()) == 0) kept.push_back(std::move(item));
        }
        *field = std::move(kept);
      }
    }

    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (is_directive_key(key)) continue;
      const json& value = *it;
      if (value.is_null()) {
        original.erase(key);
        continue;
      }
      FieldMeta meta = field_meta(schema, key, root);
      auto order = orders.find(key);
      const json* order_list = order == orders.end() ? nullptr : order->second;
      auto current = original.find(key);
      if (value.is_object()) {
        if (current != original.end() && current->is_object() && !meta.replace) {
          if (auto merged = merge_map(*current, value, meta.schema, false); !merged) return merged;
        } else {
          json fresh = json::object();
          if (auto merged = merge_map(fresh, value, meta.schema, false); !merged) return merged;
          original[key] = std::move(fresh);
        }
      } else if (value.is_array()) {
        if (meta.merge) {
          json list = json::array();
          if (current != original.end() && current->is_array()) list = std::move(*current);
          if (auto merged = merge_list(list, value, meta, order_list, key); !merged) return merged;
          original[key] = std::move(list);
        } else {
          auto cleaned = clean_list(value, child_schema(meta.schema, "items"));
          if (!cleaned) return tl::unexpected(cleaned.error());
          original[key] = std::move(*cleaned);
        }
      } else {
        original[key] = value;
      }
    }

    // $setElementOrder for a merging list the patch does not otherwise touch: reorder it.
    for (const auto& [key, order_list] : orders) {
      if (auto in_patch = patch.find(key); in_patch != patch.end() && !in_patch->is_null())
        continue;
      auto current = original.find(key);
      if (current == original.end() || !current->is_array()) continue;
      FieldMeta meta = field_meta(schema, key, root);
      if (!meta.merge) continue;
      if (auto merged = merge_list(*current, json::array(), meta, order_list, key); !merged)
        return merged;
    }
    return {};
  }

 private:
  Result<void> apply_retain_keys(json& original, const json& patch, const json& retain) {
    if (!retain.is_array()) return bad_request("invalid patch format of retainKeys");
    std::unordered_set<std::string> keys;
    for (const json& key : retain) {
      if (key.is_string()) keys.insert(key.get<std::string>());
    }
    auto retained = [&keys](const std::string& key) { return keys.count(key) != 0; };
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (it->is_null() || is_directive_key(it.key())) continue;
      if (!retained(it.key())) {
        return error(StatusCode::kInvalid, "patch content doesn't match retainKeys list");
      }
    }
    for (auto it = original.begin(); it != original.end();) {
      if (retained(it.key())) {
        ++it;
      } else {
        it = original.erase(it);
      }
    }
    return {};
  }

  // A list that replaces the old one: nested maps lose their nulls and directives.
  Result<json> clean_list(const json& list, const json* items) {
    json out = json::array();
    for (const json& item : list) {
      if (item.is_object()) {
        json fresh = json::object();
        if (auto merged = merge_map(fresh, item, items, false); !merged)
          return tl::unexpected(merged.error());
        out.push_back(std::move(fresh));
      } else if (item.is_array()) {
        auto nested = clean_list(item, child_schema(items, "items"));
        if (!nested) return nested;
        out.push_back(std::move(*nested));
      } else {
        out.push_back(item);
      }
    }
    return out;
  }

  // Merges the patch list into `list` (both arrays) for a field with strategy merge, then
  // orders the result as kube does (see patch.h).
  Result<void> merge_list(json& list, const json& patch, const FieldMeta& meta,
                          const json* order_list, const std::string& field) {
    bool maps = false;
    bool scalars = false;
    for (const json* side : std::initializer_list<const json*>{&list, &patch}) {
      for (const json& item : *side) {
        if (item.is_array()) return error(StatusCode::kInvalid, "lists of lists are not supported");
        (item.is_object() ? maps : scalars) = true;
      }
    }
    if (maps && scalars) {
      return bad_request("list element types are not identical: [" + go_format(list) + " " +
                         go_format(patch) + "]");
    }
    if (!maps && !scalars) return {};

    const json original = list;  // the server's order, for interleaving
    std::string merge_key;       // empty for scalars: items are their own identity
    json patch_items = json::array();
    if (scalars) {
      auto seen = positions(list, "");
      for (const json& item : patch) {
        patch_items.push_back(item);
        if (seen.emplace(item.dump(), list.size()).second) list.push_back(item);
      }
    } else {
      merge_key = meta.merge_key;
      if (merge_key.empty())
        return bad_request("cannot merge lists without merge key for " + field);
      const json* items = child_schema(meta.schema, "items");
      bool replace = false;
      for (const json& item : patch) {
        auto directive = item.find(kDirective);
        if (directive == item.end() || *directive == "merge") {
          patch_items.push_back(item);
        } else if (*directive == "replace") {
          replace = true;
        } else if (*directive == "delete") {
          auto key = item.find(merge_key);
          if (key == item.end()) return no_merge_key(item, merge_key);
          json kept = json::array();
          for (auto& old : list) {
            bool match = old.is_object() && old.contains(merge_key) && old[merge_key] == *key;
            if (!match) kept.push_back(std::move(old));
          }
          list = std::move(kept);
        } else {
          return bad_patch_type(*directive, item);
        }
      }
      if (replace) {
        auto cleaned = clean_list(patch_items, items);
        if (!cleaned) return tl::unexpected(cleaned.error());
        list = std::move(*cleaned);
        return {};
      }
      auto index = positions(list, merge_key);
      for (const json& item : patch_items) {
        auto key = identity(item, merge_key);
        if (!key) return no_merge_key(item, merge_key);
        if (auto found = index.find(*key); found != index.end()) {
          if (auto merged = merge_map(list[found->second], item, items, false); !merged)
            return merged;
        } else {
          json fresh = json::object();
          if (auto merged = merge_map(fresh, item, items, false); !merged) return merged;
          index.emplace(std::move(*key), list.size());
          list.push_back(std::move(fresh));
        }
      }
    }
    order(list, order_list != nullptr ? *order_list : patch_items, original, merge_key);
    return {};
  }

  // kube's normalizeElementOrder: the items named by `patch_order` in that order, the others
  // in their server order, interleaved by their positions in the server's list.
  static void order(json& list, const json& patch_order, const json& server,
                    const std::string& merge_key) {
    auto patch_index = positions(patch_order, merge_key);
    auto server_index = positions(server, merge_key);
    std::vector<std::pair<std::size_t, json*>> from_patch;
    std::vector<std::pair<std::size_t, json*>> server_only;
    for (json& item : list) {
      std::size_t at = position_of(patch_index, item, merge_key);
      if (at != kAbsent) {
        from_patch.emplace_back(at, &item);
      } else {
        server_only.emplace_back(position_of(server_index, item, merge_key), &item);
      }
    }
    auto by_position = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::stable_sort(from_patch.begin(), from_patch.end(), by_position);
    std::stable_sort(server_only.begin(), server_only.end(), by_position);

    json out = json::array();
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < server_only.size() || j < from_patch.size()) {
      bool take_server = false;
      if (j >= from_patch.size()) {
        take_server = true;
      } else if (i < server_only.size()) {
        // A server-only item goes first only when both are in the server list and it was
        // before the patch item there.
        std::size_t left = server_only[i].first;
        std::size_t right = position_of(server_index, *from_patch[j].second, merge_key);
        take_server = left != kAbsent && right != kAbsent && left < right;
      }
      if (take_server) {
        out.push_back(std::move(*server_only[i++].second));
      } else {
        out.push_back(std::move(*from_patch[j++].second));
      }
    }
    list = std::move(out);
  }
};

}  // namespace

Result<nlohmann::json> strategic_merge_patch(const nlohmann::json& target,
                                             const nlohmann::json& patch,
                                             const nlohmann::json* schema) {
  if (patch.is_null()) return target;  // as json.Unmarshal of null into a map: no change
  if (!patch.is_object()) {
    std::string type = patch.is_boolean() ? "bool" : patch.type_name();
    return bad_request("json: cannot unmarshal " + type +
                       " into Go value of type map[string]interface {}");
  }
  json result = target.is_object() ? target : json::object();
  Merger merger;
  if (auto merged = merger.merge_map(result, patch, schema, true); !merged)
    return tl::unexpected(merged.error());
  return result;
}

}  // namespace cairn::apiserver
