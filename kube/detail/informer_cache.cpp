// ObjectKey and Cache (kube/informer.h), and the CacheWriter that maintains them.
#include "kube/detail/informer_cache.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <utility>

namespace cairn::kube {

const std::string& detail::meta_string(const nlohmann::json& object, const char* field) {
  static const std::string kEmpty;
  if (!object.is_object()) return kEmpty;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return kEmpty;
  auto it = meta->find(field);
  if (it == meta->end() || !it->is_string()) return kEmpty;
  return it->get_ref<const std::string&>();
}

namespace {

using detail::meta_string;

std::vector<std::string> owner_uids(const nlohmann::json& object) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return out;
  for (const auto& ref : *refs) {
    if (!ref.is_object()) continue;
    auto uid = ref.find("uid");
    if (uid != ref.end() && uid->is_string()) out.push_back(uid->get<std::string>());
  }
  return out;
}

std::vector<std::string> label_pairs(const nlohmann::json& object) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    if (it->is_string()) out.push_back(it.key() + "=" + it->get<std::string>());
  }
  return out;
}

}  // namespace

std::string ObjectKey::str() const { return ns.empty() ? name : ns + "/" + name; }

ObjectKey ObjectKey::of(const nlohmann::json& object) {
  return ObjectKey{meta_string(object, "namespace"), meta_string(object, "name")};
}

ObjectKey ObjectKey::parse(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return ObjectKey{"", std::string(key)};
  return ObjectKey{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

Cache::Cache() {
  indexes_[kIndexOwnerUid].func = owner_uids;
  indexes_[kIndexLabel].func = label_pairs;
}

Cache::~Cache() = default;

ObjectPtr Cache::get(const ObjectKey& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Cache::list(const std::string& ns) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  if (ns.empty()) {
    out.reserve(objects_.size());
    for (const auto& [key, object] : objects_) out.push_back(object);
    return out;
  }
  for (auto it = objects_.lower_bound(ObjectKey{ns, ""});
       it != objects_.end() && it->first.ns == ns; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<ObjectPtr>> Cache::list(const std::string& ns,
                                           const std::string& label_selector) const {
  auto selector = LabelSelector::parse(label_selector);
  if (!selector) return tl::unexpected(selector.error());
  return list(ns, *selector);
}

std::vector<ObjectPtr> Cache::list(const std::string& ns, const LabelSelector& selector) const {
  std::vector<ObjectPtr> out = list(ns);
  if (selector.empty()) return out;
  out.erase(
      std::remove_if(out.begin(), out.end(),
                     [&selector](const ObjectPtr& o) { return !selector.matches_object(*o); }),
      out.end());
  return out;
}

template <class Visit>
void Cache::visit_index(const std::string& index, const std::string& value, Visit visit) const {
  if (index == kIndexNamespace) {
    for (auto it = objects_.lower_bound(ObjectKey{value, ""});
         it != objects_.end() && it->first.ns == value; ++it) {
      visit(*it);
    }
    return;
  }
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return;
  auto postings = idx->second.values.find(value);
  if (postings == idx->second.values.end()) return;
  for (const ObjectKey* key : postings->second) {
    auto it = objects_.find(*key);
    if (it != objects_.end()) visit(*it);
  }
}

std::vector<ObjectKey> Cache::keys_by_index(const std::string& index,
                                            const std::string& value) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectKey> out;
  visit_index(index, value, [&out](const auto& entry) { out.push_back(entry.first); });
  return out;
}

std::vector<ObjectPtr> Cache::by_index(const std::string& index, const std::string& value) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  visit_index(index, value, [&out](const auto& entry) { out.push_back(entry.second); });
  return out;
}

std::vector<ObjectKey> Cache::keys() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectKey> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(key);
  return out;
}

std::size_t Cache::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

namespace detail {

namespace {

std::vector<std::string> index_values(const IndexFunc& func, const nlohmann::json& object,
                                      const std::string& index, const Logger& logger) {
  try {
    std::vector<std::string> values = func(object);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  } catch (const std::exception& e) {
    logger.error("index function failed", {{"index", index}, {"error", e.what()}});
  } catch (...) {
    logger.error("index function failed", {{"index", index}, {"error", "unknown exception"}});
  }
  return {};
}

}  // namespace

void CacheWriter::set_logger(Logger logger) {
  std::unique_lock lock(cache_.mu_);
  cache_.logger_ = std::move(logger);
}

void CacheWriter::add_index(std::string name, IndexFunc func) {
  if (name == kIndexNamespace) return;
  std::unique_lock lock(cache_.mu_);
  Cache::Index& index = cache_.indexes_[name];
  index.func = std::move(func);
  index.values.clear();
  for (const auto& [key, object] : cache_.objects_) {
    for (auto& value : index_values(index.func, *object, name, cache_.logger_)) {
      index.values[value].insert(&key);
    }
  }
}

ObjectPtr CacheWriter::put(const ObjectKey& key, ObjectPtr object) {
  std::unique_lock lock(cache_.mu_);
  auto [it, inserted] = cache_.objects_.try_emplace(key, nullptr);
  const ObjectKey* stored_key = &it->first;
  ObjectPtr old = std::move(it->second);
  it->second = std::move(object);
  for (auto& [name, index] : cache_.indexes_) {
    std::vector<std::string> before;
    if (old) before = index_values(index.func, *old, name, cache_.logger_);
    std::vector<std::string> after = index_values(index.func, *it->second, name, cache_.logger_);
    if (before == after) continue;
    for (const auto& value : before) {
      if (std::binary_search(after.begin(), after.end(), value)) continue;
      auto postings = index.values.find(value);
      if (postings == index.values.end()) continue;
      postings->second.erase(stored_key);
      if (postings->second.empty()) index.values.erase(postings);
    }
    for (auto& value : after) {
      if (std::binary_search(before.begin(), before.end(), value)) continue;
      index.values[std::move(value)].insert(stored_key);
    }
  }
  return old;
}

ObjectPtr CacheWriter::remove(const ObjectKey& key) {
  std::unique_lock lock(cache_.mu_);
  auto it = cache_.objects_.find(key);
  if (it == cache_.objects_.end()) return nullptr;
  const ObjectKey* stored_key = &it->first;
  for (auto& [name, index] : cache_.indexes_) {
    for (const auto& value : index_values(index.func, *it->second, name, cache_.logger_)) {
      auto postings = index.values.find(value);
      if (postings == index.values.end()) continue;
      postings->second.erase(stored_key);
      if (postings->second.empty()) index.values.erase(postings);
    }
  }
  ObjectPtr old = std::move(it->second);
  cache_.objects_.erase(it);
  return old;
}

}  // namespace detail
}  // namespace cairn::kube
