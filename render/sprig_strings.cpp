// Sprig string functions (sprig strings.go and the goutils/xstrings helpers
// it wraps), with Go's byte/rune semantics.
#include <algorithm>
#include <limits>
#include <string>

#include "render/detail/sprig_util.h"
#include "render/gofmt.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;
constexpr auto S = Param::String;
constexpr auto I = Param::Int;
constexpr auto A = Param::Any;

const std::string& str(const Args& a, std::size_t i) { return a[i].as_string(); }
std::int64_t num(const Args& a, std::size_t i) { return a[i].as_int(); }

// strings.Repeat, with Go's panic for a negative count and the output limit.
Result<std::string> repeat(const CallContext& ctx, std::string_view s, std::int64_t count) {
  if (count < 0) return make_error("strings: negative Repeat count");
  if (count > 0 && s.size() > std::numeric_limits<std::size_t>::max() / static_cast<std::size_t>(count)) {
    return make_error("strings: Repeat output length overflow");
  }
  const std::size_t total = s.size() * static_cast<std::size_t>(count);
  if (auto ok = check_output_size(ctx, total); !ok) return tl::unexpected(ok.error());
  std::string out;
  out.reserve(total);
  for (std::int64_t i = 0; i < count; ++i) out += s;
  return out;
}

// strings.Replace(s, old, new, -1); an empty `old` matches before every rune.
std::string replace_all(std::string_view s, std::string_view old, std::string_view repl) {
  std::string out;
  if (old.empty()) {
    out += repl;
    for (std::size_t pos = 0; pos < s.size();) {
      std::size_t start = pos;
      next_rune(s, pos);
      out += s.substr(start, pos - start);
      out += repl;
    }
    return out;
  }
  std::size_t pos = 0;
  for (std::size_t hit; (hit = s.find(old, pos)) != std::string_view::npos; pos = hit + old.size()) {
    out += s.substr(pos, hit - pos);
    out += repl;
  }
  out += s.substr(pos);
  return out;
}

// strings.SplitN(s, sep, n): n < 0 all parts, n == 0 none; an empty
// separator splits into runes.
std::vector<std::string> split_n(std::string_view s, std::string_view sep, std::int64_t n) {
  std::vector<std::string> parts;
  if (n == 0) return parts;
  if (sep.empty()) {
    for (std::size_t pos = 0; pos < s.size();) {
      if (n > 0 && static_cast<std::int64_t>(parts.size()) == n - 1) {
        parts.emplace_back(s.substr(pos));
        break;
      }
      std::size_t start = pos;
      next_rune(s, pos);
      parts.emplace_back(s.substr(start, pos - start));
    }
    return parts;
  }
  std::size_t pos = 0;
  while (n < 0 || static_cast<std::int64_t>(parts.size()) < n - 1) {
    std::size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  parts.emplace_back(s.substr(pos));
  return parts;
}

// sprig's split/splitn result: map[string]string with keys _0, _1, ...
Value index_map(const std::vector<std::string>& parts) {
  Value m = Value::new_map("string");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    m.map().items["_" + std::to_string(i)] = Value(parts[i]);
  }
  return m;
}

// Rune boundaries of s: (rune, byte offset) pairs, plus the end offset.
struct RuneSpan {
  char32_t r;
  std::size_t begin, end;
};
std::vector<RuneSpan> rune_spans(std::string_view s) {
  std::vector<RuneSpan> out;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t b = pos;
    char32_t r = next_rune(s, pos);
    out.push_back({r, b, pos});
  }
  return out;
}

// strings.TrimFunc-style trimming of both ends by a rune predicate.
template <class Pred>
std::string trim_runes(std::string_view s, Pred drop) {
  auto spans = rune_spans(s);
  std::size_t lo = 0, hi = spans.size();
  while (lo < hi && drop(spans[lo].r)) ++lo;
  while (hi > lo && drop(spans[hi - 1].r)) --hi;
  if (lo == hi) return "";
  return std::string(s.substr(spans[lo].begin, spans[hi - 1].end - spans[lo].begin));
}

// strings.Trim(s, cutset).
std::string trim_cutset(std::string_view s, std::string_view cutset) {
  if (s.empty() || cutset.empty()) return std::string(s);
  auto cut = to_runes(cutset);
  return trim_runes(s, [&](char32_t r) { return std::find(cut.begin(), cut.end(), r) != cut.end(); });
}

// strings.Title's separator rule.
bool title_separator(char32_t r) {
  if (r <= 0x7F) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_') {
      return false;
    }
    return true;
  }
  if (uni_is_letter(r) || uni_is_number(r)) return false;
  return uni_is_space(r);
}

std::string title(std::string_view s) {
  std::string out;
  char32_t prev = ' ';
  for (std::size_t pos = 0; pos < s.size();) {
    char32_t r = next_rune(s, pos);
    append_rune(out, title_separator(prev) ? uni_to_title(r) : r);
    prev = r;
  }
  return out;
}

// goutils.Uncapitalize with whitespace delimiters.
std::string untitle(std::string_view s) {
  auto runes = to_runes(s);
  bool next = true;
  for (auto& r : runes) {
    if (uni_is_space(r)) {
      next = true;
    } else if (next) {
      r = uni_to_lower(r);
      next = false;
    }
  }
  return from_runes(runes);
}

// goutils.SwapCase.
std::string swapcase(std::string_view s) {
  auto runes = to_runes(s);
  bool whitespace = true;
  for (auto& r : runes) {
    if (uni_is_upper(r) || uni_is_title(r)) {
      r = uni_to_lower(r);
      whitespace = false;
    } else if (uni_is_lower(r)) {
      r = whitespace ? uni_to_title(r) : uni_to_upper(r);
      whitespace = false;
    } else {
      whitespace = uni_is_space(r);
    }
  }
  return from_runes(runes);
}

// goutils.Initials: works on bytes, each byte written back as a rune (so
// non-ASCII bytes come out re-encoded, as in Go).
std::string initials(std::string_view s) {
  std::string out;
  bool gap = true;
  for (char c : s) {
    auto r = static_cast<char32_t>(static_cast<unsigned char>(c));
    if (uni_is_space(r)) {
      gap = true;
    } else if (gap) {
      append_rune(out, r);
      gap = false;
    }
  }
  return out;
}

// goutils.DeleteWhiteSpace: byte-wise like initials.
std::string nospace(std::string_view s) {
  std::string out;
  bool removed = false;
  for (char c : s) {
    auto r = static_cast<char32_t>(static_cast<unsigned char>(c));
    if (uni_is_space(r)) {
      removed = true;
    } else {
      append_rune(out, r);
    }
  }
  return removed ? out : std::string(s);
}

// goutils.AbbreviateFull; returns "" where goutils reports an error.
std::string abbreviate_full(std::string_view s, std::int64_t offset, std::int64_t width) {
  if (s.empty() || width < 4) return "";
  const auto len = static_cast<std::int64_t>(s.size());
  if (len <= width) return std::string(s);
  if (offset > len) offset = len;
  if (len - offset < width - 3) offset = len - (width - 3);
  if (offset <= 4) return std::string(s.substr(0, static_cast<std::size_t>(width - 3))) + "...";
  if (width < 7) return "";
  if (offset + width - 3 < len) {
    return "..." + abbreviate_full(s.substr(static_cast<std::size_t>(offset)), 0, width - 3);
  }
  return "..." + std::string(s.substr(static_cast<std::size_t>(len - (width - 3))));
}

// goutils.WrapCustom.
std::string wrap_custom(std::string_view s, std::int64_t width, std::string_view nl,
                        bool wrap_long) {
  if (s.empty()) return "";
  if (nl.empty()) nl = "\n";
  if (width < 1) width = 1;
  const auto w = static_cast<std::size_t>(width);
  std::string out;
  std::size_t offset = 0;
  while (s.size() - offset > w) {
    if (s[offset] == ' ') {
      ++offset;
      continue;
    }
    std::size_t space = s.substr(offset, w + 1).rfind(' ');
    if (space != std::string_view::npos) {
      out += s.substr(offset, space);
      out += nl;
      offset += space + 1;
    } else if (wrap_long) {
      out += s.substr(offset, w);
      out += nl;
      offset += w;
    } else {
      std::size_t next = s.find(' ', offset + w);
      if (next == std::string_view::npos) {
        out += s.substr(offset);
        offset = s.size();
      } else {
        out += s.substr(offset, next - offset);
        out += nl;
        offset = next + 1;
      }
    }
  }
  out += s.substr(offset);
  return out;
}

// sprig's strslice (toStrings, join, sortAlpha): nil items are dropped.
Value strslice(const Value& v) {
  if (v.is_list()) {
    if (v.list_ptr() && v.list().elem_type == "string") return v;
    std::vector<std::string> out;
    for (const auto& item : list_items(v)) {
      if (!item.is_nothing()) out.push_back(sprig_strval(item));
    }
    return Value::string_list(out);
  }
  if (v.is_nothing()) return Value::string_list({});
  return Value::string_list({sprig_strval(v)});
}

std::vector<std::string> string_items(const Value& list) {
  std::vector<std::string> out;
  for (const auto& item : list_items(list)) out.push_back(item.as_string());
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// Go's runtime error for s[:end] / s[start:] / s[start:end] out of range.
Error slice_error(std::int64_t start, std::int64_t end, std::size_t len, bool has_start) {
  const auto n = static_cast<std::int64_t>(len);
  if (end > n || end < 0 || !has_start) {
    return Error{"runtime error: slice bounds out of range [:" + std::to_string(end) +
                 "] with length " + std::to_string(len)};
  }
  return Error{"runtime error: slice bounds out of range [" + std::to_string(start) + ":" +
               std::to_string(end) + "]"};
}

// sprig's substring: start < 0 means s[:end]; end < 0 or past the end means s[start:].
Result<Value> substr(std::int64_t start, std::int64_t end, const std::string& s) {
  const auto n = static_cast<std::int64_t>(s.size());
  if (start < 0) {
    if (end < 0 || end > n) return tl::unexpected(slice_error(0, end, s.size(), false));
    return Value(s.substr(0, static_cast<std::size_t>(end)));
  }
  if (end < 0 || end > n) {
    if (start > n) return tl::unexpected(slice_error(start, n, s.size(), true));
    return Value(s.substr(static_cast<std::size_t>(start)));
  }
  if (start > end) return tl::unexpected(slice_error(start, end, s.size(), true));
  return Value(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)));
}

std::string trunc(std::int64_t c, const std::string& s) {
  const auto n = static_cast<std::int64_t>(s.size());
  if (c < 0 && n + c > 0) return s.substr(static_cast<std::size_t>(n + c));
  if (c >= 0 && n > c) return s.substr(0, static_cast<std::size_t>(c));
  return s;
}

Result<Value> indent(const CallContext& ctx, std::int64_t spaces, const std::string& s,
                     bool leading_newline) {
  if (spaces < 0) return make_error("strings: negative Repeat count");
  const auto lines = static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
  if (static_cast<std::uint64_t>(spaces) > ctx.limits().max_output_bytes) {
    return tl::unexpected(check_output_size(ctx, static_cast<std::size_t>(spaces)).error());
  }
  if (auto ok = check_output_size(ctx, s.size() + lines * static_cast<std::size_t>(spaces)); !ok) {
    return tl::unexpected(ok.error());
  }
  const std::string pad(static_cast<std::size_t>(spaces), ' ');
  std::string out = leading_newline ? "\n" + pad : pad;
  out += replace_all(s, "\n", "\n" + pad);
  return Value(std::move(out));
}

}  // namespace

void add_sprig_string_funcs(FuncMap& f) {
  sprig_def(f, "hello", {}, false, [](CallContext&, Args&) -> Result<Value> { return Value("Hello!"); });
  sprig_def(f, "abbrev", {I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    if (num(a, 0) < 4) return a[1];
    return Value(abbreviate_full(str(a, 1), 0, num(a, 0)));
  });
  sprig_def(f, "abbrevboth", {I, I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    const auto left = num(a, 0), right = num(a, 1);
    if (right < 4 || (left > 0 && right < 7)) return a[2];
    return Value(abbreviate_full(str(a, 2), left, right));
  });
  sprig_def(f, "trunc", {I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(trunc(num(a, 0), str(a, 1)));
  });
  sprig_def(f, "trim", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(trim_runes(str(a, 0), uni_is_space));
  });
  sprig_def(f, "upper", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(go_to_upper(str(a, 0)));
  });
  sprig_def(f, "lower", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(go_to_lower(str(a, 0)));
  });
  sprig_def(f, "title", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(title(str(a, 0)));
  });
  sprig_def(f, "untitle", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(untitle(str(a, 0)));
  });
  sprig_def(f, "substr", {I, I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return substr(num(a, 0), num(a, 1), str(a, 2));
  });
  sprig_def(f, "repeat", {I, S}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    auto r = repeat(ctx, str(a, 1), num(a, 0));
    if (!r) return tl::unexpected(r.error());
    return Value(std::move(*r));
  });
  auto trim_all = [](CallContext&, Args& a) -> Result<Value> {
    return Value(trim_cutset(str(a, 1), str(a, 0)));
  };
  sprig_def(f, "trimall", {S, S}, false, trim_all);
  sprig_def(f, "trimAll", {S, S}, false, trim_all);
  sprig_def(f, "trimSuffix", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    const auto& suffix = str(a, 0);
    const auto& s = str(a, 1);
    if (s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return Value(s.substr(0, s.size() - suffix.size()));
    }
    return a[1];
  });
  sprig_def(f, "trimPrefix", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    const auto& prefix = str(a, 0);
    const auto& s = str(a, 1);
    if (s.compare(0, prefix.size(), prefix) == 0) return Value(s.substr(prefix.size()));
    return a[1];
  });
  sprig_def(f, "nospace", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(nospace(str(a, 0)));
  });
  sprig_def(f, "initials", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(initials(str(a, 0)));
  });
  sprig_def(f, "swapcase", {S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(swapcase(str(a, 0)));
  });
  add_sprig_case_funcs(f);
  sprig_def(f, "wrap", {I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(wrap_custom(str(a, 1), num(a, 0), "", false));
  });
  sprig_def(f, "wrapWith", {I, S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(wrap_custom(str(a, 2), num(a, 0), str(a, 1), true));
  });
  sprig_def(f, "contains", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(str(a, 1).find(str(a, 0)) != std::string::npos);
  });
  sprig_def(f, "hasPrefix", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(str(a, 1).compare(0, str(a, 0).size(), str(a, 0)) == 0);
  });
  sprig_def(f, "hasSuffix", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    const auto& suffix = str(a, 0);
    const auto& s = str(a, 1);
    return Value(s.size() >= suffix.size() &&
                 s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0);
  });
  // quote/squote/cat drop nil operands; quote uses %q of strval, squote '%v'.
  sprig_def(f, "quote", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<std::string> out;
    for (const auto& v : a) {
      if (!v.is_nothing()) out.push_back(go_quote(sprig_strval(v)));
    }
    return Value(join(out, " "));
  });
  sprig_def(f, "squote", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<std::string> out;
    for (const auto& v : a) {
      if (!v.is_nothing()) out.push_back("'" + go_format_value(v) + "'");
    }
    return Value(join(out, " "));
  });
  sprig_def(f, "cat", {A}, true, [](CallContext&, Args& a) -> Result<Value> {
    std::vector<std::string> out;
    for (const auto& v : a) {
      if (!v.is_nothing()) out.push_back(go_format_value(v));
    }
    return Value(join(out, " "));
  });
  sprig_def(f, "indent", {I, S}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    return indent(ctx, num(a, 0), str(a, 1), false);
  });
  sprig_def(f, "nindent", {I, S}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    return indent(ctx, num(a, 0), str(a, 1), true);
  });
  sprig_def(f, "replace", {S, S, S}, false, [](CallContext& ctx, Args& a) -> Result<Value> {
    std::string out = replace_all(str(a, 2), str(a, 0), str(a, 1));
    if (auto ok = check_output_size(ctx, out.size()); !ok) return tl::unexpected(ok.error());
    return Value(std::move(out));
  });
  sprig_def(f, "plural", {S, S, I}, false, [](CallContext&, Args& a) -> Result<Value> {
    return num(a, 2) == 1 ? a[0] : a[1];
  });
  sprig_def(f, "toString", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(sprig_strval(a[0]));
  });
  sprig_def(f, "toStrings", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return strslice(a[0]);
  });
  sprig_def(f, "join", {S, A}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(join(string_items(strslice(a[1])), str(a, 0)));
  });
  sprig_def(f, "sortAlpha", {A}, false, [](CallContext&, Args& a) -> Result<Value> {
    if (!a[0].is_list()) return Value::string_list({sprig_strval(a[0])});
    auto items = string_items(strslice(a[0]));
    std::sort(items.begin(), items.end());
    return Value::string_list(items);
  });
  sprig_def(f, "split", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return index_map(split_n(str(a, 1), str(a, 0), -1));
  });
  sprig_def(f, "splitn", {S, I, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return index_map(split_n(str(a, 2), str(a, 0), num(a, 1)));
  });
  sprig_def(f, "splitList", {S, S}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value::string_list(split_n(str(a, 1), str(a, 0), -1));
  });
}

}  // namespace cairn::render::sprig_detail
