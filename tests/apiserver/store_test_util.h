// Test helpers for the store tests: temporary data directories and small object builders.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "apiserver/store.h"
#include "tests/common/temp_dir.h"

namespace cairn::apiserver::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
using TempDir = cairn::testing::TempDir;

inline std::unique_ptr<Store> open_store(const std::filesystem::path& dir,
                                         std::size_t history = 10'000, std::size_t queue = 1'000) {
  StoreOptions o;
  o.data_dir = dir;
  o.watch_history = history;
  o.watch_queue = queue;
  o.compaction_interval = std::chrono::seconds(0);
  auto s = Store::open(o);
  if (!s) FAIL(s.error().message);
  return std::move(*s);
}

inline const ResourceRef kConfigMaps{"", "configmaps"};

inline nlohmann::json config_map(const std::string& name, const nlohmann::json& data = {},
                                 const nlohmann::json& labels = nullptr) {
  nlohmann::json o = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
  if (!labels.is_null()) o["metadata"]["labels"] = labels;
  if (!data.is_null()) o["data"] = data;
  return o;
}

inline std::int64_t rv_of(const nlohmann::json& o) {
  return std::stoll(o.at("metadata").at("resourceVersion").get<std::string>());
}

inline ObjectKey cm_key(const std::string& ns, const std::string& name) {
  return {"", "configmaps", ns, name};
}

}  // namespace cairn::apiserver::testing
