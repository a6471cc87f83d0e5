// Values coalescing and dependency processing (conditions, tags, aliases,
// import-values), following helm v3.19.0's chartutil package as the
// reference renderer (gotpl-ref chart.go) describes it.
#include <set>

#include "render/chart.h"
#include "render/detail/chart_internal.h"
#include "render/gofmt.h"

namespace cairn::render {
namespace {

// A Go map[string]interface{} (a nil map is not a table).
bool is_table(const Value& v) { return v.is_map() && !v.is_nil_container(); }

// copyMap: a deep copy, or a new empty map for nil.
Value copy_map(const Value& m) { return is_table(m) ? m.deep_copy() : Value::new_map(); }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

std::string trim_space(std::string_view s) {
  const char* ws = " \t\n\v\f\r";
  const std::size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(ws) - b + 1));
}

// coalesceTables: src merged into dst, dst wins; with merge=false a nil in
// dst deletes the key. Returns dst (or src when dst is not a table).
Value coalesce_tables(Value dst, const Value& src, bool merge) {
  if (!is_table(src)) return dst;
  if (!is_table(dst)) return src;
  auto& d = dst.map().items;
  for (const auto& [k, sv] : src.map().items) {
    const auto it = d.find(k);
    if (it != d.end() && !merge && it->second.is_nil()) {
      d.erase(it);
    } else if (it == d.end()) {
      d.emplace(k, sv);
    } else if (is_table(sv) && is_table(it->second)) {
      coalesce_tables(it->second, sv, merge);
    }
  }
  return dst;
}

bool has_dependency_named(const Chart& c, std::string_view name) {
  for (const Chart& d : c.dependencies) {
    if (d.metadata.name == name) return true;
  }
  return false;
}

// The chart's own defaults folded into v (v wins). A subchart's table is
// merged with merge=true (helm >= 3.17.1), so a user null in it survives
// until that subchart's own values are coalesced.
void coalesce_chart_values(const Chart& c, Value& v, bool merge) {
  const Value defaults = copy_map(c.values);
  auto& items = v.map().items;
  for (const auto& [k, cv] : defaults.map().items) {
    const auto it = items.find(k);
    if (it == items.end()) {
      items.emplace(k, cv);
    } else if (it->second.is_nil() && !merge) {
      items.erase(it);
    } else if (is_table(it->second) && is_table(cv)) {
      coalesce_tables(it->second, cv, merge || has_dependency_named(c, k));
    }
  }
}

// The parent's `global` table copied into a subchart's values (the parent's
// entries win; tables are merged).
void coalesce_globals(Value& dest, const Value& src) {
  Value dg = Value::new_map();
  if (const Value* g = dest.find("global")) {
    if (!is_table(*g)) return;
    dg = *g;
  }
  Value sg = Value::new_map();
  if (const Value* g = src.find("global")) {
    if (!is_table(*g)) return;
    sg = *g;
  }
  auto& dgi = dg.map().items;
  for (const auto& [k, v] : sg.map().items) {
    const auto it = dgi.find(k);
    if (is_table(v)) {
      Value copy = Value::new_map();
      copy.map().items = v.map().items;  // shallow, as Go copies the top level
      if (it == dgi.end()) {
        dgi.emplace(k, copy);
      } else if (is_table(it->second)) {
        coalesce_tables(copy, it->second, true);
        it->second = copy;
      }
    } else if (it != dgi.end() && is_table(it->second)) {
      // a table in the subchart is kept
    } else {
      dgi[k] = v;
    }
  }
  dest.map().items["global"] = dg;
}

Result<Value> coalesce_all(const Chart& c, Value dest, bool merge) {
  coalesce_chart_values(c, dest, merge);
  for (const Chart& sub : c.dependencies) {
    auto& items = dest.map().items;
    const std::string& name = sub.metadata.name;
    auto it = items.find(name);
    if (it == items.end()) {
      it = items.emplace(name, Value::new_map()).first;
    } else if (!is_table(it->second)) {
      return make_error("type mismatch on " + name + ": " + go_sprintf("%t", {it->second}));
    }
    Value child = it->second;
    coalesce_globals(child, dest);
    auto merged = coalesce_all(sub, child, merge);
    if (!merged) return merged;
    dest.map().items[name] = *merged;
  }
  return dest;
}

// chartutil.Values.Table: the table at a dotted path.
std::optional<Value> table_at(const Value& root, std::string_view path) {
  Value cur = root;
  for (const std::string& part : split(path, '.')) {
    const Value* next = cur.find(part);
    if (next == nullptr || !is_table(*next)) return std::nullopt;
    cur = *next;
  }
  return cur;
}

// chartutil.Values.PathValue: the non-table value at a dotted path.
std::optional<Value> path_value(const Value& root, std::string_view path) {
  if (path.empty()) return std::nullopt;
  const std::size_t dot = path.rfind('.');
  Value table = root;
  if (dot != std::string_view::npos) {
    auto t = table_at(root, path.substr(0, dot));
    if (!t) return std::nullopt;
    table = *t;
  }
  const Value* v = table.find(dot == std::string_view::npos ? path : path.substr(dot + 1));
  if (v == nullptr || is_table(*v)) return std::nullopt;
  return *v;
}

// A dependency entry and the loaded chart it selects (same name, version
// within the entry's range).
bool selects(const ChartDependency& req, const Chart& chart) {
  return chart.metadata.name == req.name &&
         detail::semver_compatible(req.version, chart.metadata.version);
}

// Aliases applied: charts not selected by any entry keep their name; each
// entry contributes a copy of the first chart it selects, renamed to its alias.
std::vector<Chart> apply_aliases(Chart& c) {
  std::vector<Chart> deps;
  for (const Chart& existing : c.dependencies) {
    bool selected = false;
    for (const ChartDependency& req : c.metadata.dependencies) selected |= selects(req, existing);
    if (!selected) deps.push_back(existing);
  }
  for (ChartDependency& req : c.metadata.dependencies) {
    for (const Chart& existing : c.dependencies) {
      if (!selects(req, existing)) continue;
      Chart copy = existing;
      if (!req.alias.empty()) copy.metadata.name = req.alias;
      deps.push_back(std::move(copy));
      break;
    }
    if (!req.alias.empty()) req.name = req.alias;
  }
  return deps;
}

// Tags: an entry is disabled when none of its tags is true and one is false.
void apply_tags(ChartMetadata& md, const Value& values) {
  const auto tags = table_at(values, "tags");
  if (!tags) return;
  for (ChartDependency& r : md.dependencies) {
    bool has_true = false, has_false = false;
    for (const std::string& k : r.tags) {
      const Value* v = tags->find(k);
      if (v == nullptr || !v->is_bool()) continue;
      (v->as_bool() ? has_true : has_false) = true;
    }
    r.enabled = has_true || !has_false;
  }
}

// Conditions: the first path of the (comma separated) list holding a bool wins.
void apply_conditions(ChartMetadata& md, const Value& values, const std::string& prefix) {
  for (ChartDependency& r : md.dependencies) {
    for (const std::string& cond : split(trim_space(r.condition), ',')) {
      if (cond.empty()) continue;
      const auto v = path_value(values, prefix + cond);
      if (v && v->is_bool()) {
        r.enabled = v->as_bool();
        break;
      }
    }
  }
}

Result<void> process_enabled(Chart& c, const Value& values, const std::string& prefix) {
  if (c.metadata.dependencies.empty()) return {};
  c.dependencies = apply_aliases(c);
  for (ChartDependency& r : c.metadata.dependencies) r.enabled = true;
  auto cvals = coalesce_values(c, values, false);
  if (!cvals) return tl::unexpected(cvals.error());
  apply_tags(c.metadata, *cvals);
  apply_conditions(c.metadata, *cvals, prefix);

  std::set<std::string> disabled;
  for (const ChartDependency& r : c.metadata.dependencies) {
    if (!r.enabled) disabled.insert(r.name);
  }
  std::vector<Chart> keep;
  for (Chart& d : c.dependencies) {
    if (!disabled.count(d.metadata.name)) keep.push_back(std::move(d));
  }
  std::vector<ChartDependency> keep_meta;
  for (ChartDependency& r : c.metadata.dependencies) {
    if (!disabled.count(r.name)) keep_meta.push_back(std::move(r));
  }
  for (Chart& d : keep) {
    if (auto r = process_enabled(d, *cvals, prefix + d.metadata.name + "."); !r) return r;
  }
  c.metadata.dependencies = std::move(keep_meta);
  c.dependencies = std::move(keep);
  return {};
}

// pathToMap: data nested under the dotted path ("." is the top level).
Value path_to_map(const std::string& path, Value data) {
  if (path == ".") return data;
  const auto parts = split(path, '.');
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    Value m = Value::new_map();
    m.map().items[*it] = data;
    data = m;
  }
  return data;
}

Value import_entry(const std::string& child, const std::string& parent) {
  Value m = Value::new_map("string");
  m.map().items["child"] = Value(child);
  m.map().items["parent"] = Value(parent);
  return m;
}

// import-values, children first. Each entry is rewritten to {child, parent};
// the chart's values become its merged values with the imports under them.
Result<void> process_imports(Chart& c) {
  for (Chart& d : c.dependencies) {
    if (auto r = process_imports(d); !r) return r;
  }
  if (c.metadata.dependencies.empty()) return {};
  auto cvals = coalesce_values(c, Value::new_map(), true);
  if (!cvals) return tl::unexpected(cvals.error());
  Value imported = Value::new_map();
  for (ChartDependency& r : c.metadata.dependencies) {
    std::vector<Value> rewritten;
    for (const Value& iv : r.import_values) {
      if (iv.is_map() && !iv.is_nil_container()) {
        const Value* c_v = iv.find("child");
        const Value* p_v = iv.find("parent");
        const std::string child = go_format_value(c_v ? *c_v : Value::nil());
        const std::string parent = go_format_value(p_v ? *p_v : Value::nil());
        rewritten.push_back(import_entry(child, parent));
        if (auto t = table_at(*cvals, r.name + "." + child)) {
          imported = coalesce_tables(imported, path_to_map(parent, copy_map(*t)), true);
        }
      } else if (iv.is_string()) {
        const std::string child = "exports." + iv.as_string();
        rewritten.push_back(import_entry(child, "."));
        if (auto t = table_at(*cvals, r.name + "." + child)) {
          imported = coalesce_tables(imported, copy_map(*t), true);
        }
      }
    }
    r.import_values = std::move(rewritten);
  }
  c.values = coalesce_tables(copy_map(*cvals), imported, true);
  return {};
}

}  // namespace

Value merge_user_values(const Value& into, const Value& next) {
  Value out = Value::new_map();
  if (is_table(into)) out.map().items = into.map().items;
  if (!is_table(next)) return out;
  auto& items = out.map().items;
  for (const auto& [k, v] : next.map().items) {
    const auto it = items.find(k);
    if (is_table(v) && it != items.end() && is_table(it->second)) {
      it->second = merge_user_values(it->second, v);
    } else {
      items[k] = v;
    }
  }
  return out;
}

Result<Value> coalesce_values(const Chart& chart, const Value& user, bool merge) {
  return coalesce_all(chart, copy_map(user), merge);
}

Result<void> process_dependencies(Chart& chart, const Value& user) {
  if (auto r = process_enabled(chart, user, ""); !r) return r;
  return process_imports(chart);
}

}  // namespace cairn::render
