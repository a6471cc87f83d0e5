// Sprig list functions (list.go). Every function accepts any slice type via
// reflection and fails like sprig for other kinds ("Cannot push on type map");
// a nil argument is Go's nil-pointer panic. The non-must forms panic with the
// same error, which text/template reports identically.
#include <cmath>
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;
constexpr auto A = Param::Any;

// The list items of `v`, or sprig's error "<what> on type <kind>".
Result<const std::vector<Value>*> items_of(const Value& v, std::string_view what) {
  if (v.is_nothing()) return tl::unexpected(nil_deref_error());
  if (!v.is_list()) return make_error(std::string(what) + " " + v.kind_name());
  return &list_items(v);
}

using ListFn = Result<Value> (*)(const std::vector<Value>& items);

// Registers NAME and mustNAME sharing one implementation over list items.
void def_list(FuncMap& f, const std::string& name, const std::string& must, std::string what,
              ListFn fn) {
  FuncImpl impl = [what, fn](CallContext&, Args& a) -> Result<Value> {
    auto items = items_of(a[0], what);
    if (!items) return tl::unexpected(items.error());
    return fn(**items);
  };
  sprig_def(f, name, {A}, false, impl);
  sprig_def(f, must, {A}, false, impl);
}

Result<Value> first(const std::vector<Value>& l) { return l.empty() ? Value::nil() : l.front(); }
Result<Value> last(const std::vector<Value>& l) { return l.empty() ? Value::nil() : l.back(); }
Result<Value> rest(const std::vector<Value>& l) {
  if (l.empty()) return Value::nil_list();
  return make_list(std::vector<Value>(l.begin() + 1, l.end()));
}
Result<Value> initial(const std::vector<Value>& l) {
  if (l.empty()) return Value::nil_list();
  return make_list(std::vector<Value>(l.begin(), l.end() - 1));
}
Result<Value> reverse(const std::vector<Value>& l) {
  return make_list(std::vector<Value>(l.rbegin(), l.rend()));
}
Result<Value> compact(const std::vector<Value>& l) {
  std::vector<Value> out;
  for (const auto& v : l) {
    if (!sprig_empty(v)) out.push_back(v);
  }
  return make_list(std::move(out));
}

bool in_list(const std::vector<Value>& haystack, const Value& needle) {
  for (const auto& h : haystack) {
    if (go_deep_equal(needle, h)) return true;
  }
  return false;
}

Result<Value> uniq(const std::vector<Value>& l) {
  std::vector<Value> out;
  for (const auto& v : l) {
    if (!in_list(out, v)) out.push_back(v);
  }
  return make_list(std::move(out));
}

// mustChunk, following sprig's float arithmetic so that sizes <= 0 fail (or
// not) exactly where Go's make() would.
Result<Value> chunk(std::int64_t size, const std::vector<Value>& l) {
  const auto len = static_cast<std::int64_t>(l.size());
  const double chunks_f =
      std::floor(static_cast<double>(len - 1) / static_cast<double>(size)) + 1;
  const std::int64_t chunks = go_float_to_int64(chunks_f);
  const Error bad_len{"runtime error: makeslice: len out of range"};
  if (chunks < 0 || chunks > len + 1) return tl::unexpected(bad_len);
  std::vector<Value> out;
  for (std::int64_t i = 0; i < chunks; ++i) {
    std::int64_t clen = size;
    if (i == chunks - 1) {
      clen = go_float_to_int64(
          std::floor(std::fmod(static_cast<double>(len), static_cast<double>(size))));
      if (clen == 0) clen = size;
    }
    if (clen < 0) return tl::unexpected(bad_len);
    std::vector<Value> part;
    for (std::int64_t j = 0; j < clen; ++j) {
      const std::int64_t ix = i * size + j;
      if (ix < 0 || ix >= len) {
        return make_error("reflect: slice index out of range");
      }
      part.push_back(l[static_cast<std::size_t>(ix)]);
    }
    out.push_back(make_list(std::move(part)));
  }
  return Value::new_list(std::move(out), "[]interface {}");
}

// mustSlice LIST [START [END]]: Go's s[start:end] keeping the slice type.
Result<Value> slice(const Value& list, const Args& a) {
  auto items = items_of(list, "list should be type of slice or array but");
  if (!items) return tl::unexpected(items.error());
  const auto& l = **items;
  if (l.empty()) return Value::nil();
  const auto len = static_cast<std::int64_t>(l.size());
  const std::int64_t start = a.size() > 1 ? cast_to_int64(a[1]) : 0;
  const std::int64_t end = a.size() > 2 ? cast_to_int64(a[2]) : len;
  if (start < 0 || end < start || end > len) {
    return make_error("reflect.Value.Slice: slice index out of bounds");
  }
  return Value::new_list(std::vector<Value>(l.begin() + start, l.begin() + end),
                         list.list().elem_type);
}

}  // namespace

void add_sprig_list_funcs(FuncMap& f) {
  auto list = [](CallContext&, Args& a) -> Result<Value> { return make_list(a); };
  sprig_def(f, "list", {A}, true, list);
  sprig_def(f, "tuple", {A}, true, list);

  auto push = [](CallContext&, Args& a) -> Result<Value> {
    auto items = items_of(a[0], "Cannot push on type");
    if (!items) return tl::unexpected(items.error());
    std::vector<Value> out = **items;
    out.push_back(a[1]);
    return make_list(std::move(out));
  };
  for (const char* name : {"append", "push", "mustAppend", "mustPush"}) {
    sprig_def(f, name, {A, A}, false, push);
  }
  auto prepend = [](CallContext&, Args& a) -> Result<Value> {
    auto items = items_of(a[0], "Cannot prepend on type");
    if (!items) return tl::unexpected(items.error());
    std::vector<Value> out{a[1]};
    out.insert(out.end(), (*items)->begin(), (*items)->end());
    return make_list(std::move(out));
  };
  sprig_def(f, "prepend", {A, A}, false, prepend);
  sprig_def(f, "mustPrepend", {A, A}, false, prepend);

  def_list(f, "first", "mustFirst", "Cannot find first on type", first);
  def_list(f, "last", "mustLast", "Cannot find last on type", last);
  def_list(f, "rest", "mustRest", "Cannot find rest on type", rest);
  def_list(f, "initial", "mustInitial", "Cannot find initial on type", initial);
  def_list(f, "reverse", "mustReverse", "Cannot find reverse on type", reverse);
  def_list(f, "compact", "mustCompact", "Cannot compact on type", compact);
  def_list(f, "uniq", "mustUniq", "Cannot find uniq on type", uniq);

  auto chunk_fn = [](CallContext&, Args& a) -> Result<Value> {
    auto items = items_of(a[1], "Cannot chunk type");
    if (!items) return tl::unexpected(items.error());
    return chunk(a[0].as_int(), **items);
  };
  sprig_def(f, "chunk", {Param::Int, A}, false, chunk_fn);
  sprig_def(f, "mustChunk", {Param::Int, A}, false, chunk_fn);

  auto without = [](CallContext&, Args& a) -> Result<Value> {
    auto items = items_of(a[0], "Cannot find without on type");
    if (!items) return tl::unexpected(items.error());
    const std::vector<Value> omit(a.begin() + 1, a.end());
    std::vector<Value> out;
    for (const auto& v : **items) {
      if (!in_list(omit, v)) out.push_back(v);
    }
    return make_list(std::move(out));
  };
  sprig_def(f, "without", {A, A}, true, without);
  sprig_def(f, "mustWithout", {A, A}, true, without);

  // has NEEDLE HAYSTACK: a nil haystack has nothing.
  auto has = [](CallContext&, Args& a) -> Result<Value> {
    if (a[1].is_nothing()) return Value(false);
    auto items = items_of(a[1], "Cannot find has on type");
    if (!items) return tl::unexpected(items.error());
    return Value(in_list(**items, a[0]));
  };
  sprig_def(f, "has", {A, A}, false, has);
  sprig_def(f, "mustHas", {A, A}, false, has);

  auto slice_fn = [](CallContext&, Args& a) -> Result<Value> { return slice(a[0], a); };
  sprig_def(f, "slice", {A, A}, true, slice_fn);
  sprig_def(f, "mustSlice", {A, A}, true, slice_fn);

  sprig_def(f, "concat", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<Value> out;
    for (const auto& v : a) {
      if (v.is_nothing()) return tl::unexpected(nil_deref_error());
      if (!v.is_list()) return make_error("Cannot concat type " + v.kind_name() + " as list");
      const auto& items = list_items(v);
      out.insert(out.end(), items.begin(), items.end());
    }
    if (out.empty()) return Value::nil_list();
    return make_list(std::move(out));
  });
}

}  // namespace cairn::render::sprig_detail
