#include "apiserver/fields.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apiserver/resources.h"

namespace cairn::apiserver {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// JSON helpers

// Compact JSON, never throwing on invalid UTF-8 (replaced instead).
std::string compact(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* member(const json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

std::string string_member(const json* object, std::string_view key) {
  const json* v = member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

bool empty_container(const json& v) {
  return v.is_null() || ((v.is_object() || v.is_array()) && v.empty());
}

// ---------------------------------------------------------------------------------------------
// Schema

// The schema of field `key` of the map or struct described by `s` (nullptr: unknown).
const json* field_schema(const json* s, const std::string& key, bool root) {
  const json* declared = member(member(s, "properties"), key);
  if (root && key == "metadata") {
    return member(declared, "properties") != nullptr ? declared : &object_meta_schema();
  }
  if (declared != nullptr) return declared;
  const json* additional = member(s, "additionalProperties");
  if (additional != nullptr && additional->is_object()) return additional;
  return nullptr;
}

// Whether `key` is a struct field (structured-merge-diff's "named field") rather than an entry of
// a map (additionalProperties). Fields the schema does not describe count as declared, also under
// x-kubernetes-preserve-unknown-fields: the partial built-in schemas use it for fields kube's full
// schemas declare, and the sets should come out as kube's do.
bool declared_field(const json* s, const std::string& key, bool root) {
  if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) return true;
  if (member(member(s, "properties"), key) != nullptr) return true;
  const json* additional = member(s, "additionalProperties");
  return additional == nullptr ||
         !(additional->is_object() || (additional->is_boolean() && additional->get<bool>()));
}

bool atomic_map(const json* s) { return string_member(s, "x-kubernetes-map-type") == "atomic"; }

struct ListType {
  enum Kind { kAtomic, kSet, kMap } kind = kAtomic;
  std::vector<std::string> keys;
};

ListType list_type(const json* s) {
  ListType lt;
  const std::string type = string_member(s, "x-kubernetes-list-type");
  if (type == "set") {
    lt.kind = ListType::kSet;
  } else if (type == "map") {
    const json* keys = member(s, "x-kubernetes-list-map-keys");
    if (keys != nullptr && keys->is_array()) {
      for (const json& k : *keys) {
        if (k.is_string()) lt.keys.push_back(k.get<std::string>());
      }
    }
    if (!lt.keys.empty()) lt.kind = ListType::kMap;
  } else if (type.empty()) {
    // Built-in partial schemas: a merge patch strategy makes the list associative, as kube's
    // OpenAPI-to-structured-merge-diff conversion does.
    const std::string strategy = string_member(s, "x-kubernetes-patch-strategy");
    bool merge = false;
    std::size_t start = 0;
    while (start <= strategy.size()) {
      std::size_t end = strategy.find(',', start);
      if (end == std::string::npos) end = strategy.size();
      if (strategy.compare(start, end - start, "merge") == 0) merge = true;
      start = end + 1;
    }
    if (merge) {
      const std::string key = string_member(s, "x-kubernetes-patch-merge-key");
      if (key.empty()) {
        lt.kind = ListType::kSet;
      } else {
        lt.kind = ListType::kMap;
        lt.keys.push_back(key);
      }
    }
  }
  return lt;
}

// One item of an associative list: its FieldsV1 path element and value.
struct Item {
  std::string pe;
  const json* value;
};

// Go's value.ToString, used in the human-readable paths of conflict messages.
std::string value_string(const json& v) {
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ",";
      out += value_string(v[i]);
    }
    return out + "]";
  }
  if (v.is_object()) {
    std::string out;
    for (auto it = v.begin(); it != v.end(); ++it) out += it.key() + "=" + value_string(*it);
    return out;
  }
  return compact(v);
}

// The human-readable form of one FieldsV1 path element: .name, [k=v,...], [=v] or [i].
std::string display_element(const std::string& pe) {
  if (pe.size() < 2) return pe;
  const std::string rest = pe.substr(2);
  switch (pe[0]) {
    case 'f':
      return "." + rest;
    case 'k': {
      const json key = json::parse(rest, nullptr, false);
      if (!key.is_object()) return "[" + rest + "]";
      std::string out = "[";
      bool first = true;
      for (auto it = key.begin(); it != key.end(); ++it) {
        if (!first) out += ",";
        first = false;
        out += it.key() + "=" + value_string(*it);
      }
      return out + "]";
    }
    case 'v': {
      const json value = json::parse(rest, nullptr, false);
      return "[=" + (value.is_discarded() ? rest : value_string(value)) + "]";
    }
    case 'i':
      return "[" + rest + "]";
    default:
      return pe;
  }
}

std::string display_path(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& pe : path) out += display_element(pe);
  return out;
}

// The items of `list` as an associative list of type `lt`, or nullopt when the list cannot be
// keyed (then it is treated as atomic). Repeated keys keep their first item. When `error` is
// given, unkeyable items and repeated keys are reported there instead (applied configurations
// must be well-formed).
std::optional<std::vector<Item>> list_items(const json& list, const json* s, const ListType& lt,
                                            std::string* error) {
  std::vector<Item> items;
  std::set<std::string> seen;
  const json* item_props = member(member(s, "items"), "properties");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string pe;
    if (lt.kind == ListType::kSet) {
      if (item.is_object() || item.is_array()) {
        if (error != nullptr) {
          *error = "element " + std::to_string(i) + ": expected a scalar in a set";
        }
        return std::nullopt;
      }
      pe = "v:" + compact(item);
    } else {
      if (!item.is_object()) {
        if (error != nullptr) {
          *error = "element " + std::to_string(i) + ": associative list with keys has an " +
                   "element that is not a map";
        }
        return std::nullopt;
      }
      json key = json::object();
      std::string missing;
      for (const std::string& k : lt.keys) {
        if (const json* v = member(&item, k)) {
          key[k] = *v;
        } else if (const json* d = member(member(item_props, k), "default")) {
          key[k] = *d;
        } else if (missing.empty()) {
          missing = k;
        }
      }
      // A partial key is accepted (partial built-in schemas lack the defaults that would fill
      // it in); an item without any key field is not.
      if (key.empty()) {
        if (error != nullptr) {
          *error = "element " + std::to_string(i) + ": associative list with keys has an " +
                   "element that omits key field " + compact(json(missing)) +
                   " (and doesn't have default value)";
        }
        return std::nullopt;
      }
      pe = "k:" + compact(key);
    }
    if (!seen.insert(pe).second) {
      if (error != nullptr) {
        *error = "duplicate entries for key " + display_element(pe);
        return std::nullopt;
      }
      continue;
    }
    items.push_back({std::move(pe), &item});
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Field sets (structured-merge-diff's fieldpath.Set as a trie keyed by FieldsV1 path elements)

struct FieldSet {
  bool member = false;
  std::map<std::string, FieldSet> children;

  bool empty() const { return !member && children.empty(); }

  const FieldSet* child(const std::string& pe) const {
    auto it = children.find(pe);
    return it == children.end() ? nullptr : &it->second;
  }

  // Adds `path` (not its parents). The empty path is never a member.
  void insert(const std::vector<std::string>& path) {
    if (path.empty()) return;
    FieldSet* node = this;
    for (const std::string& pe : path) node = &node->children[pe];
    node->member = true;
  }

  // FieldsV1 of a non-root node.
  json to_fields_v1() const {
    json out = json::object();
    if (member && !children.empty()) out["."] = json::object();
    for (const auto& [pe, child] : children) out[pe] = child.to_fields_v1();
    return out;
  }

  // Parses FieldsV1 (nullopt when malformed).
  static std::optional<FieldSet> parse(const json& v, bool root) {
    if (!v.is_object()) return std::nullopt;
    FieldSet out;
    if (v.empty()) out.member = !root;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == ".") {
        out.member = !root;
        continue;
      }
      if (it.key().size() < 2 || it.key()[1] != ':') return std::nullopt;
      std::optional<FieldSet> child = parse(*it, false);
      if (!child) return std::nullopt;
      out.children.emplace(it.key(), std::move(*child));
    }
    return out;
  }
};

// Adds the members of `b` to `a`.
void unite(FieldSet& a, const FieldSet& b) {
  a.member = a.member || b.member;
  for (const auto& [pe, child] : b.children) {
    auto [it, inserted] = a.children.try_emplace(pe, child);
    if (!inserted) unite(it->second, child);
  }
}

// Removes the members of `b` from `a`, dropping the nodes that are left empty (not recursive:
// a member of `b` does not remove the descendants of that path from `a`).
void subtract(FieldSet& a, const FieldSet& b) {
  if (b.member) a.member = false;
  for (const auto& [pe, other] : b.children) {
    auto it = a.children.find(pe);
    if (it == a.children.end()) continue;
    subtract(it->second, other);
    if (it->second.empty()) a.children.erase(it);
  }
}

FieldSet set_intersection(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && b.member;
  for (const auto& [pe, child] : a.children) {
    const FieldSet* other = b.child(pe);
    if (other == nullptr) continue;
    FieldSet c = set_intersection(child, *other);
    if (!c.empty()) out.children.emplace(pe, std::move(c));
  }
  return out;
}

void collect_members(const FieldSet& s, std::vector<std::string>& path,
                     std::vector<std::string>& out) {
  if (s.member) out.push_back(display_path(path));
  for (const auto& [pe, child] : s.children) {
    path.push_back(pe);
    collect_members(child, path, out);
    path.pop_back();
  }
}

json root_fields_v1(const FieldSet& s) {
  json out = json::object();
  for (const auto& [pe, child] : s.children) out[pe] = child.to_fields_v1();
  return out;
}

// Paths never recorded as owned (kube's stripMetaManager set, plus the deletion fields only the
// server sets).
const FieldSet& strip_set() {
  static const FieldSet kSet = [] {
    FieldSet s;
    s.insert({"f:apiVersion"});
    s.insert({"f:kind"});
    s.insert({"f:metadata"});
    for (const char* f :
         {"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
          "managedFields", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      s.insert({"f:metadata", std::string("f:") + f});
    }
    return s;
  }();
  return kSet;
}

FieldSet strip(FieldSet s) {
  subtract(s, strip_set());
  return s;
}

// ---------------------------------------------------------------------------------------------
// Walks over typed values

// How a pair of values at one path is treated: a granular map, an associative list, or a leaf
// (scalars, atomic maps and lists, type mismatches, and containers empty on both sides).
enum class Shape { kLeaf, kMap, kList };

bool map_like(const json* v) { return v == nullptr || v->is_null() || v->is_object(); }
bool list_like(const json* v) { return v == nullptr || v->is_null() || v->is_array(); }
bool empty_or_absent(const json* v) { return v == nullptr || empty_container(*v); }

const json kEmptyArray = json::array();

const json& as_array(const json* v) { return v != nullptr && v->is_array() ? *v : kEmptyArray; }

// For kList, `lhs_items`/`rhs_items` receive the keyed items of each side.
Shape shape_of(const json* lhs, const json* rhs, const json* s, std::vector<Item>* lhs_items,
               std::vector<Item>* rhs_items) {
  if (map_like(lhs) && map_like(rhs) && ((lhs && lhs->is_object()) || (rhs && rhs->is_object()))) {
    if (atomic_map(s) || (empty_or_absent(lhs) && empty_or_absent(rhs))) return Shape::kLeaf;
    return Shape::kMap;
  }
  if (list_like(lhs) && list_like(rhs) && ((lhs && lhs->is_array()) || (rhs && rhs->is_array()))) {
    const ListType lt = list_type(s);
    if (lt.kind == ListType::kAtomic || (empty_or_absent(lhs) && empty_or_absent(rhs))) {
      return Shape::kLeaf;
    }
    auto l = list_items(as_array(lhs), s, lt, nullptr);
    auto r = list_items(as_array(rhs), s, lt, nullptr);
    if (!l || !r) return Shape::kLeaf;
    *lhs_items = std::move(*l);
    *rhs_items = std::move(*r);
    return Shape::kList;
  }
  return Shape::kLeaf;
}

using ItemIndex = std::map<std::string, const json*>;

ItemIndex index_items(const std::vector<Item>& items) {
  ItemIndex index;
  for (const Item& item : items) index.emplace(item.pe, item.value);
  return index;
}

const json* item_value(const ItemIndex& index, const std::string& pe) {
  auto it = index.find(pe);
  return it == index.end() ? nullptr : it->second;
}

// --- ToFieldSet

void add_fields(const json& v, const json* s, bool root, std::vector<std::string>& path,
                FieldSet& out);

void add_map_fields(const json& v, const json* s, bool root, std::vector<std::string>& path,
                    FieldSet& out) {
  for (auto it = v.begin(); it != v.end(); ++it) {
    path.push_back("f:" + it.key());
    add_fields(*it, field_schema(s, it.key(), root), false, path, out);
    if (empty_container(*it) && !it->is_array()) out.insert(path);
    if (!declared_field(s, it.key(), root)) out.insert(path);
    path.pop_back();
  }
}

void add_fields(const json& v, const json* s, bool root, std::vector<std::string>& path,
                FieldSet& out) {
  if (v.is_object()) {
    if (atomic_map(s) && !root) {
      out.insert(path);
      return;
    }
    add_map_fields(v, s, root, path, out);
    return;
  }
  if (v.is_array()) {
    const ListType lt = list_type(s);
    auto items = lt.kind == ListType::kAtomic ? std::nullopt : list_items(v, s, lt, nullptr);
    if (!items) {
      out.insert(path);
      return;
    }
    const json* item_schema = member(s, "items");
    for (const Item& item : *items) {
      path.push_back(item.pe);
      add_fields(*item.value, item_schema, false, path, out);
      out.insert(path);
      path.pop_back();
    }
    return;
  }
  out.insert(path);
}

FieldSet to_field_set(const json& object, const json* schema) {
  FieldSet out;
  std::vector<std::string> path;
  if (object.is_object()) add_map_fields(object, schema, true, path, out);
  return out;
}

// Checks that every associative list of an applied configuration can be keyed; the message
// names the list's path.
Result<void> validate_config(const json& v, const json* s, bool root,
                             std::vector<std::string>& path, const std::string& gvk) {
  if (v.is_object()) {
    if (atomic_map(s) && !root) return {};
    for (auto it = v.begin(); it != v.end(); ++it) {
      path.push_back("f:" + it.key());
      Result<void> r = validate_config(*it, field_schema(s, it.key(), root), false, path, gvk);
      path.pop_back();
      if (!r) return r;
    }
    return {};
  }
  if (!v.is_array()) return {};
  const ListType lt = list_type(s);
  if (lt.kind == ListType::kAtomic) return {};
  std::string problem;
  auto items = list_items(v, s, lt, &problem);
  if (!items) {
    return error(StatusCode::kBadRequest, "failed to create typed patch object (" + gvk +
                                              "): " + display_path(path) + ": " + problem);
  }
  const json* item_schema = member(s, "items");
  for (const Item& item : *items) {
    path.push_back(item.pe);
    Result<void> r = validate_config(*item.value, item_schema, false, path, gvk);
    path.pop_back();
    if (!r) return r;
  }
  return {};
}

// --- Compare

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
};

// Whether `path` is metadata itself, whose managedFields is the bookkeeping, never a field.
bool is_metadata(const std::vector<std::string>& path) {
  return path.size() == 1 && path[0] == "f:metadata";
}

// What compare_values finds for a value on one side only: the value and everything in it, added
// to (or removed from) `node`, the value's own node.
void mark_all(const json& v, const json* s, bool metadata, FieldSet& node) {
  node.member = true;
  std::vector<Item> none;
  std::vector<Item> items;
  switch (shape_of(nullptr, &v, s, &none, &items)) {
    case Shape::kLeaf:
      return;
    case Shape::kMap:
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (metadata && it.key() == "managedFields") continue;
        mark_all(*it, field_schema(s, it.key(), false), false, node.children["f:" + it.key()]);
      }
      return;
    case Shape::kList: {
      const json* item_schema = member(s, "items");
      for (const Item& item : items) {
        mark_all(*item.value, item_schema, false, node.children[item.pe]);
      }
      return;
    }
  }
}

void compare_values(const json* lhs, const json* rhs, const json* s, bool root,
                    std::vector<std::string>& path, Comparison& out) {
  if (lhs == nullptr || rhs == nullptr) {
    if (lhs == rhs) return;  // on neither side
    FieldSet* node = lhs == nullptr ? &out.added : &out.removed;
    for (const std::string& pe : path) node = &node->children[pe];
    mark_all(lhs == nullptr ? *rhs : *lhs, s, is_metadata(path), *node);
    return;
  }
  std::vector<Item> lhs_items;
  std::vector<Item> rhs_items;
  const Shape shape = root ? Shape::kMap : shape_of(lhs, rhs, s, &lhs_items, &rhs_items);
  if (shape == Shape::kLeaf) {
    if (*lhs != *rhs) out.modified.insert(path);
    return;
  }
  if (shape == Shape::kMap) {
    // Both maps' keys in order (objects iterate sorted by key), each key once.
    static const json kNoFields = json::object();
    const json& l = lhs->is_object() ? *lhs : kNoFields;
    const json& r = rhs->is_object() ? *rhs : kNoFields;
    const bool in_metadata = is_metadata(path);
    auto li = l.begin();
    auto ri = r.begin();
    while (li != l.end() || ri != r.end()) {
      const bool from_l = li != l.end() && (ri == r.end() || li.key() <= ri.key());
      const bool from_r = ri != r.end() && (li == l.end() || ri.key() <= li.key());
      const std::string& key = from_l ? li.key() : ri.key();
      if (!in_metadata || key != "managedFields") {
        path.push_back("f:" + key);
        compare_values(from_l ? &*li : nullptr, from_r ? &*ri : nullptr, field_schema(s, key, root),
                       false, path, out);
        path.pop_back();
      }
      if (from_l) ++li;
      if (from_r) ++ri;
    }
  } else {
    const json* item_schema = member(s, "items");
    const ItemIndex lhs_index = index_items(lhs_items);
    const ItemIndex rhs_index = index_items(rhs_items);
    for (const Item& item : lhs_items) {
      path.push_back(item.pe);
      compare_values(item.value, item_value(rhs_index, item.pe), item_schema, false, path, out);
      path.pop_back();
    }
    for (const Item& item : rhs_items) {
      if (item_value(lhs_index, item.pe) != nullptr) continue;
      path.push_back(item.pe);
      compare_values(nullptr, item.value, item_schema, false, path, out);
      path.pop_back();
    }
  }
}

// Compares two objects field by field, ignoring metadata.managedFields.
Comparison compare_objects(const json& lhs, const json& rhs, const json* schema) {
  Comparison out;
  std::vector<std::string> path;
  compare_values(&lhs, &rhs, schema, true, path, out);
  return out;
}

// --- Merge (the applied configuration wins on leaves)

json merge_values(const json* lhs, const json& rhs, const json* s, bool root);

json merge_lists(const std::vector<Item>& l, const std::vector<Item>& r, const json* item_schema) {
  // Items keep the configuration's order; live-only items stay where they were relative to the
  // items around them (structured-merge-diff's list merge order).
  const ItemIndex l_index = index_items(l);
  std::set<std::string> in_rhs;
  for (const Item& item : r) in_rhs.insert(item.pe);
  std::vector<std::string> shared;
  for (const Item& item : r) {
    if (item_value(l_index, item.pe) != nullptr) shared.push_back(item.pe);
  }
  std::size_t next_shared = 0;
  std::set<std::string> emitted;
  auto advance_shared = [&](const std::string& pe) {
    if (next_shared < shared.size() && shared[next_shared] == pe) ++next_shared;
  };
  json out = json::array();
  std::size_t li = 0;
  std::size_t ri = 0;
  while (li < l.size() || ri < r.size()) {
    if (li < l.size() && emitted.count(l[li].pe) > 0) {
      ++li;
      continue;
    }
    if (li < l.size() && ri < r.size()) {
      if (l[li].pe == r[ri].pe) {
        out.push_back(merge_values(l[li].value, *r[ri].value, item_schema, false));
        emitted.insert(r[ri].pe);
        advance_shared(r[ri].pe);
        ++li;
        ++ri;
        continue;
      }
      if (in_rhs.count(l[li].pe) > 0 && next_shared < shared.size() &&
          shared[next_shared] != l[li].pe) {
        ++li;
        continue;
      }
    }
    if (li < l.size() && in_rhs.count(l[li].pe) == 0) {
      out.push_back(*l[li].value);
      ++li;
      continue;
    }
    if (ri < r.size()) {
      out.push_back(merge_values(item_value(l_index, r[ri].pe), *r[ri].value, item_schema, false));
      emitted.insert(r[ri].pe);
      advance_shared(r[ri].pe);
      ++ri;
      continue;
    }
    ++li;
  }
  return out;
}

json merge_values(const json* lhs, const json& rhs, const json* s, bool root) {
  if (lhs == nullptr) return rhs;
  if (lhs->is_object() && rhs.is_object() && (root || !atomic_map(s))) {
    json out = *lhs;
    for (auto it = rhs.begin(); it != rhs.end(); ++it) {
      out[it.key()] =
          merge_values(member(lhs, it.key()), *it, field_schema(s, it.key(), root), false);
    }
    return out;
  }
  if (lhs->is_array() && rhs.is_array()) {
    const ListType lt = list_type(s);
    if (lt.kind != ListType::kAtomic) {
      auto l = list_items(*lhs, s, lt, nullptr);
      auto r = list_items(rhs, s, lt, nullptr);
      if (l && r) return merge_lists(*l, *r, member(s, "items"));
    }
  }
  return rhs;
}

// --- Prune

bool in_set(const FieldSet* node, bool named) {
  return node != nullptr && (node->member || (named && !node->children.empty()));
}

// Removes from `v` what `last` holds and `managed` does not (structured-merge-diff's prune with
// named fields counted as members). A container emptied by the removal is removed as well.
void prune_value(json& v, const json* s, bool root, const FieldSet& last, const FieldSet* managed) {
  if (v.is_object()) {
    if (!root && atomic_map(s)) return;
    std::vector<std::string> remove;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string pe = "f:" + it.key();
      const FieldSet* l = last.child(pe);
      if (l == nullptr) continue;
      const FieldSet* m = managed == nullptr ? nullptr : managed->child(pe);
      const bool named = declared_field(s, it.key(), root);
      if (in_set(l, named) && !in_set(m, named)) {
        remove.push_back(it.key());
        continue;
      }
      if (l->children.empty() || empty_container(*it)) continue;
      prune_value(*it, field_schema(s, it.key(), root), false, *l, m);
      if (empty_container(*it)) remove.push_back(it.key());
    }
    for (const std::string& key : remove) v.erase(key);
    return;
  }
  if (!v.is_array()) return;
  const ListType lt = list_type(s);
  if (lt.kind == ListType::kAtomic) return;
  auto items = list_items(v, s, lt, nullptr);
  if (!items) return;
  const json* item_schema = member(s, "items");
  json out = json::array();
  for (const Item& item : *items) {
    const FieldSet* l = last.child(item.pe);
    const FieldSet* m = managed == nullptr ? nullptr : managed->child(item.pe);
    if (l == nullptr) {
      out.push_back(*item.value);
      continue;
    }
    if (in_set(l, false) && !in_set(m, false)) continue;
    json copy = *item.value;
    if (!l->children.empty() && !empty_container(copy)) {
      prune_value(copy, item_schema, false, *l, m);
      if (empty_container(copy)) continue;
    }
    out.push_back(std::move(copy));
  }
  v = std::move(out);
}

// ---------------------------------------------------------------------------------------------
// managedFields entries

struct Entry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet set;

  bool same_manager(const Entry& o) const {
    if (manager != o.manager || operation != o.operation || subresource != o.subresource) {
      return false;
    }
    // Appliers are one manager across versions; updaters are one per apiVersion.
    return operation == "Apply" || api_version == o.api_version;
  }

  // How kube names the manager in conflict messages (printManager).
  std::string printed() const {
    std::string out = compact(json(manager));
    if (!subresource.empty()) out += " with subresource " + compact(json(subresource));
    if (operation == "Update") out += " using " + api_version;
    return out;
  }
};

// Decodes metadata.managedFields; nullopt when it is malformed. Entries of the same manager are
// folded into the first.
std::optional<std::vector<Entry>> decode_entries(const json& list) {
  if (!list.is_array()) return std::nullopt;
  std::vector<Entry> out;
  for (const json& e : list) {
    if (!e.is_object()) return std::nullopt;
    Entry entry;
    for (const char* f :
         {"manager", "operation", "apiVersion", "time", "subresource", "fieldsType"}) {
      const json* v = member(&e, f);
      if (v != nullptr && !v->is_string() && !v->is_null()) return std::nullopt;
    }
    entry.manager = string_member(&e, "manager");
    entry.operation = string_member(&e, "operation");
    entry.api_version = string_member(&e, "apiVersion");
    entry.time = string_member(&e, "time");
    entry.subresource = string_member(&e, "subresource");
    if (entry.operation != "Apply" && entry.operation != "Update") return std::nullopt;
    const std::string fields_type = string_member(&e, "fieldsType");
    if (!fields_type.empty() && fields_type != "FieldsV1") return std::nullopt;
    if (const json* fields = member(&e, "fieldsV1"); fields != nullptr && !fields->is_null()) {
      std::optional<FieldSet> set = FieldSet::parse(*fields, true);
      if (!set) return std::nullopt;
      entry.set = std::move(*set);
    }
    bool folded = false;
    for (Entry& existing : out) {
      if (existing.same_manager(entry)) {
        unite(existing.set, entry.set);
        folded = true;
        break;
      }
    }
    if (!folded) out.push_back(std::move(entry));
  }
  return out;
}

std::vector<Entry> live_entries(const json* live) {
  const json* list = member(member(live, "metadata"), "managedFields");
  if (list == nullptr) return {};
  std::optional<std::vector<Entry>> entries = decode_entries(*list);
  return entries ? std::move(*entries) : std::vector<Entry>{};
}

// Writes `entries` (those with a non-empty set) into object.metadata.managedFields, or removes
// the field when none is left.
void encode_entries(const std::vector<Entry>& entries, json& object) {
  json list = json::array();
  for (const Entry& e : entries) {
    if (e.set.empty()) continue;
    json j = json::object();
    j["manager"] = e.manager;
    j["operation"] = e.operation;
    j["apiVersion"] = e.api_version;
    if (!e.time.empty()) j["time"] = e.time;
    j["fieldsType"] = "FieldsV1";
    j["fieldsV1"] = root_fields_v1(e.set);
    if (!e.subresource.empty()) j["subresource"] = e.subresource;
    list.push_back(std::move(j));
  }
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    if (list.empty()) return;
    object["metadata"] = json::object();
  }
  if (list.empty()) {
    object["metadata"].erase("managedFields");
  } else {
    object["metadata"]["managedFields"] = std::move(list);
  }
}

// Whether two objects are equal but for metadata.managedFields (without copying them).
bool equal_but_managed_fields(const json& a, const json& b) {
  if (!a.is_object() || !b.is_object()) return a == b;
  if (a.size() != b.size()) return false;
  for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt) {
    if (it.key() != jt.key()) return false;
    if (it.key() != "metadata" || !it->is_object() || !jt->is_object()) {
      if (*it != *jt) return false;
      continue;
    }
    auto m = it->begin(), n = jt->begin();
    while (true) {
      if (m != it->end() && m.key() == "managedFields") ++m;
      if (n != jt->end() && n.key() == "managedFields") ++n;
      if (m == it->end() || n == jt->end()) {
        if (m != it->end() || n != jt->end()) return false;
        break;
      }
      if (m.key() != n.key() || *m != *n) return false;
      ++m;
      ++n;
    }
  }
  return true;
}

// A copy of `object` without metadata.managedFields.
json without_managed_fields(const json& object) {
  json out = object;
  if (out.is_object()) {
    auto meta = out.find("metadata");
    if (meta != out.end() && meta->is_object()) meta->erase("managedFields");
  }
  return out;
}

// managedFields without the entries' times.
json without_times(const json* list) {
  json out = list != nullptr ? *list : json::array();
  if (!out.is_array()) return out;
  for (json& e : out) {
    if (e.is_object()) e.erase("time");
  }
  return out;
}

// When a write changes neither the object nor any manager's fields, the entries keep their
// times, so that a no-op write stays a no-op (kube's IgnoreManagedFieldsTimestampsTransformer).
void keep_times_of_noop(const json* live, json& result) {
  if (live == nullptr || !equal_but_managed_fields(*live, result)) return;
  const json* old_list = member(member(live, "metadata"), "managedFields");
  const json* new_list = member(member(&result, "metadata"), "managedFields");
  if (old_list == nullptr || new_list == nullptr) return;
  if (without_times(old_list) == without_times(new_list)) {
    result["metadata"]["managedFields"] = *old_list;
  }
}

bool is_reset(const json& list) {
  if (!list.is_array()) return false;
  if (list.empty()) return true;
  return list.size() == 1 && list[0].is_object() && list[0].empty();
}

std::string gvk_string(const json& object) {
  std::string api_version = string_member(&object, "apiVersion");
  if (api_version.find('/') == std::string::npos) api_version = "/" + api_version;
  return api_version + ", Kind=" + string_member(&object, "kind");
}

// The parts of an applied configuration that apply may merge: server-managed metadata is
// dropped, and a status apply keeps only the object's identity and status.
json apply_config(const json& applied, const std::string& subresource) {
  json config = applied;
  if (subresource == "status") {
    config = json::object();
    for (const char* f : {"apiVersion", "kind"}) {
      if (applied.contains(f)) config[f] = applied[f];
    }
    const json* meta = member(&applied, "metadata");
    config["metadata"] = json::object();
    for (const char* f : {"name", "namespace"}) {
      if (const json* v = member(meta, f)) config["metadata"][f] = *v;
    }
    if (const json* status = member(&applied, "status")) config["status"] = *status;
  }
  json& meta = config["metadata"];
  for (const char* f :
       {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    meta.erase(f);
  }
  return config;
}

Status conflict_error(const std::vector<std::pair<const Entry*, std::vector<std::string>>>& found) {
  // Managers in kube's sorted order (by the identifier's manager name, then its other parts).
  std::vector<std::pair<std::string, std::vector<std::string>>> by_manager;
  for (const auto& [entry, paths] : found) by_manager.emplace_back(entry->printed(), paths);
  std::sort(by_manager.begin(), by_manager.end());
  StatusDetails details;
  std::size_t count = 0;
  for (const auto& [printed, paths] : by_manager) {
    for (const std::string& path : paths) {
      details.causes.push_back({"FieldManagerConflict", "conflict with " + printed, path});
      ++count;
    }
  }
  std::string message;
  if (count == 1) {
    message = "Apply failed with 1 conflict: conflict with " + by_manager[0].first + ": " +
              by_manager[0].second[0];
  } else {
    message = "Apply failed with " + std::to_string(count) + " conflicts: ";
    bool first = true;
    for (const auto& [printed, paths] : by_manager) {
      if (!first) message += "\n";
      first = false;
      message += "conflicts with " + printed + ":";
      for (const std::string& path : paths) message += "\n- " + path;
    }
  }
  return Status{StatusCode::kConflict, std::move(message), std::move(details)};
}

}  // namespace

Result<void> update_managed_fields(const json* live, json& updated, const ManagedFieldsContext& ctx,
                                   bool client_sent_managed_fields) {
  if (!updated.is_object()) return error(StatusCode::kBadRequest, "the object must be a map");
  std::vector<Entry> entries;
  const json* sent = member(member(&updated, "metadata"), "managedFields");
  if (!ctx.subresource.empty() || !client_sent_managed_fields || sent == nullptr) {
    entries = live_entries(live);
  } else if (!is_reset(*sent)) {
    std::optional<std::vector<Entry>> decoded = decode_entries(*sent);
    entries = decoded && !decoded->empty() ? std::move(*decoded) : live_entries(live);
  }

  static const json kNothing = json::object();
  Comparison diff = compare_objects(live != nullptr ? *live : kNothing, updated, ctx.schema);
  FieldSet changed = std::move(diff.added);
  unite(changed, diff.modified);

  for (Entry& e : entries) {
    subtract(e.set, changed);
    subtract(e.set, diff.removed);
  }
  FieldSet taken = std::move(changed);
  subtract(taken, diff.removed);
  subtract(taken, strip_set());
  if (!taken.empty()) {
    Entry self{ctx.manager, "Update", ctx.api_version, ctx.now, ctx.subresource, {}};
    bool found = false;
    for (Entry& e : entries) {
      if (e.same_manager(self)) {
        unite(e.set, taken);
        e.time = ctx.now;
        found = true;
        break;
      }
    }
    if (!found) {
      self.set = std::move(taken);
      entries.push_back(std::move(self));
    }
  }
  for (Entry& e : entries) subtract(e.set, strip_set());
  encode_entries(entries, updated);
  keep_times_of_noop(live, updated);
  return {};
}

Result<json> server_side_apply(const json* live, const json& applied, const ApplyOptions& options) {
  const ManagedFieldsContext& ctx = options.ctx;
  if (!applied.is_object()) return error(StatusCode::kBadRequest, "the object must be a map");
  const json* meta = member(&applied, "metadata");
  if (const json* mf = member(meta, "managedFields"); mf != nullptr && !mf->is_null()) {
    return error(StatusCode::kBadRequest, "metadata.managedFields must be nil");
  }
  if (string_member(&applied, "apiVersion").empty()) {
    return error(StatusCode::kBadRequest,
                 "Object 'apiVersion' is missing in '" + compact(applied) + "'");
  }
  if (string_member(&applied, "kind").empty()) {
    return error(StatusCode::kBadRequest, "Object 'Kind' is missing in '" + compact(applied) + "'");
  }
  if (string_member(meta, "name").empty()) {
    return error(StatusCode::kBadRequest, "metadata.name: Required value: name is required");
  }

  const json config = apply_config(applied, ctx.subresource);
  std::vector<std::string> path;
  if (Result<void> valid = validate_config(config, ctx.schema, true, path, gvk_string(applied));
      !valid) {
    return tl::unexpected<Status>(valid.error());
  }

  std::vector<Entry> entries = live_entries(live);
  const json before = live != nullptr ? without_managed_fields(*live) : json::object();
  if (live != nullptr && entries.empty()) {
    // Fields of an object nobody tracked belong to an unknown updater, so that applying a
    // different value to them conflicts (kube's "before-first-apply").
    Entry unknown{"before-first-apply", "Update", ctx.api_version, "", "", {}};
    unknown.set = strip(to_field_set(before, ctx.schema));
    if (!unknown.set.empty()) entries.push_back(std::move(unknown));
  }

  Entry self{ctx.manager, "Apply", ctx.api_version, ctx.now, ctx.subresource, {}};
  const FieldSet applied_set = to_field_set(config, ctx.schema);
  std::optional<std::size_t> self_index;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].same_manager(self)) self_index = i;
  }

  json merged = merge_values(&before, config, ctx.schema, true);
  if (self_index && !entries[*self_index].set.empty()) {
    FieldSet managed = applied_set;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i != *self_index) unite(managed, entries[i].set);
    }
    prune_value(merged, ctx.schema, true, entries[*self_index].set, &managed);
  }

  Comparison diff = compare_objects(before, merged, ctx.schema);
  FieldSet changed = std::move(diff.added);
  unite(changed, diff.modified);
  std::vector<std::pair<const Entry*, std::vector<std::string>>> conflicts;
  std::vector<FieldSet> conflict_sets(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (self_index && i == *self_index) continue;
    conflict_sets[i] = set_intersection(entries[i].set, changed);
    if (conflict_sets[i].empty()) continue;
    std::vector<std::string> paths;
    std::vector<std::string> scratch;
    collect_members(conflict_sets[i], scratch, paths);
    conflicts.emplace_back(&entries[i], std::move(paths));
  }
  if (!conflicts.empty() && !options.force) {
    return tl::unexpected<Status>(conflict_error(conflicts));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (self_index && i == *self_index) continue;
    subtract(entries[i].set, conflict_sets[i]);
    subtract(entries[i].set, diff.removed);
  }
  self.set = strip(applied_set);
  if (self_index) {
    entries[*self_index] = std::move(self);
  } else {
    entries.push_back(std::move(self));
  }
  for (Entry& e : entries) subtract(e.set, strip_set());
  encode_entries(entries, merged);
  keep_times_of_noop(live, merged);
  return merged;
}

json fields_of(const json& object, const json* schema) {
  return root_fields_v1(strip(to_field_set(object, schema)));
}

}  // namespace cairn::apiserver
