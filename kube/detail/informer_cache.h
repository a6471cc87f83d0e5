// CacheWriter: the write side of a Cache (kube/informer.h), used by the informer thread only.
// Keeps the indexes in step with the objects: every put/remove re-indexes the key under the
// writer lock, so readers never see an object without its index entries or vice versa.
//
// Not thread-safe itself (one writer); the Cache it writes stays safe for concurrent readers.
#pragma once

#include <string>

#include "kube/informer.h"

namespace cairn::kube::detail {

// metadata.<field> of `object` when it is a string, else "" (never throws).
const std::string& meta_string(const nlohmann::json& object, const char* field);

class CacheWriter {
 public:
  explicit CacheWriter(Cache& cache) : cache_(cache) {}

  void set_logger(Logger logger);
  // Adds or replaces an index and indexes the objects already cached under it.
  void add_index(std::string name, IndexFunc func);
  // Stores `object` under `key`; returns the object it replaced (nullptr if none).
  ObjectPtr put(const ObjectKey& key, ObjectPtr object);
  // Removes `key`; returns the removed object (nullptr if absent).
  ObjectPtr remove(const ObjectKey& key);

 private:
  Cache& cache_;
};

}  // namespace cairn::kube::detail
