// Sprig's regular-expression functions (sprig regex.go) over RE2, with Go's
// regexp package semantics layered on top: Go's error texts, FindAll's
// empty-match rules, ReplaceAll with Go's `$name`/`${name}` expansion, Split.
//   regexMatch regexFind regexFindAll regexReplaceAll regexReplaceAllLiteral
//   regexSplit regexQuoteMeta and their must* forms.
// The non-must forms other than regexMatch use regexp.MustCompile in sprig, so
// a bad pattern is a (panic) error there too, with MustCompile's text.
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "render/detail/sprigx_common.h"
#include "render/gofmt.h"

namespace cairn::render::detail {
namespace {

// Go's regexp/syntax ErrorCode text for an RE2 error code.
std::string_view go_error_code(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    default: return "regexp/syntax: internal error";
  }
}

Error parse_error(std::string_view code, std::string_view fragment) {
  return Error{"error parsing regexp: " + std::string(code) + ": `" + std::string(fragment) + "`"};
}

// Rewrites Go syntax that RE2 (2022-06) spells differently: the `(?<name>`
// capture form (Go >= 1.22) becomes `(?P<name>`. `\C` (any byte) exists only
// in RE2 and is refused as Go does. Escapes, classes and \Q...\E are skipped.
// Known difference: Go's `.` and negated classes match an invalid UTF-8 byte
// (as U+FFFD); RE2 does not match such bytes.
Result<std::string> go_to_re2(std::string_view expr) {
  std::string out;
  out.reserve(expr.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '\\' && i + 1 < expr.size()) {
      if (expr[i + 1] == 'C') return make_error(parse_error("invalid escape sequence", "\\C").message);
      if (expr[i + 1] == 'Q') {  // literal text up to \E (or the end)
        const std::size_t end = expr.find("\\E", i + 2);
        const std::size_t stop = end == std::string_view::npos ? expr.size() : end + 2;
        out.append(expr.substr(i, stop - i));
        i = stop - 1;
        continue;
      }
      out.append(expr.substr(i, 2));
      ++i;
      continue;
    }
    if (in_class) {
      if (c == '[' && expr.substr(i, 2) == "[:") {  // [:alpha:] inside a class
        const std::size_t end = expr.find(":]", i + 2);
        if (end != std::string_view::npos) {
          out.append(expr.substr(i, end + 2 - i));
          i = end + 1;
          continue;
        }
      }
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      std::size_t j = i + 1;
      if (j < expr.size() && expr[j] == '^') out.push_back(expr[j++]);
      if (j < expr.size() && expr[j] == ']') out.push_back(expr[j++]);  // literal ']'
      i = j - 1;
      continue;
    }
    if (c == '(' && expr.substr(i, 3) == "(?<") {
      // Go checks the name itself: word characters up to '>' (lookbehind
      // such as (?<=...) is an invalid name in Go's syntax).
      const std::size_t close = expr.find('>', i + 3);
      if (close == std::string_view::npos) {
        return make_error(parse_error("invalid named capture", expr.substr(i)).message);
      }
      const std::string_view name = expr.substr(i + 3, close - i - 3);
      const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
        return ch == '_' || std::isalnum(static_cast<unsigned char>(ch));
      });
      if (!valid) {
        return make_error(
            parse_error("invalid named capture", expr.substr(i, close - i + 1)).message);
      }
      out.append("(?P<");
      i += 2;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// regexp.Compile: the compiled pattern or Go's *syntax.Error text.
Result<std::unique_ptr<RE2>> compile(std::string_view expr) {
  auto translated = go_to_re2(expr);
  if (!translated) return tl::unexpected(translated.error());
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(int64_t{64} << 20);
  auto re = std::make_unique<RE2>(*translated, options);
  if (!re->ok()) {
    // Go names the whole expression for paren errors, a fragment otherwise.
    const bool whole = re->error_code() == RE2::ErrorMissingParen ||
                       re->error_code() == RE2::ErrorUnexpectedParen ||
                       re->error_code() == RE2::ErrorPatternTooLarge;
    return make_error(
        parse_error(go_error_code(re->error_code()), whole ? expr : re->error_arg()).message);
  }
  return re;
}

// regexp.MustCompile's panic text for a bad pattern.
Result<std::unique_ptr<RE2>> must_compile(std::string_view expr) {
  auto re = compile(expr);
  if (!re) {
    return make_error("regexp: Compile(" + sprigx_go_regexp_quote(expr) +
                      "): " + re.error().message);
  }
  return re;
}

// Byte offsets of a match and its groups; -1 for a group that did not take part.
using Match = std::vector<std::ptrdiff_t>;

// The leftmost-first match starting the search at byte `pos` (text before
// pos is context for ^ and \b, as in Go's doExecute).
std::optional<Match> match_at(const RE2& re, std::string_view text, std::size_t pos) {
  const int groups = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> sub(static_cast<std::size_t>(groups));
  const re2::StringPiece piece(text.data(), text.size());
  if (!re.Match(piece, pos, text.size(), RE2::UNANCHORED, sub.data(), groups)) return std::nullopt;
  Match m;
  for (const auto& s : sub) {
    if (s.data() == nullptr) {
      m.push_back(-1);
      m.push_back(-1);
    } else {
      m.push_back(s.data() - text.data());
      m.push_back(s.data() - text.data() + static_cast<std::ptrdiff_t>(s.size()));
    }
  }
  return m;
}

// Width of the UTF-8 sequence at s[pos] as Go's DecodeRuneInString reports
// it (1 for an invalid byte, 0 at the end).
std::size_t rune_width(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return 0;
  const auto b = static_cast<unsigned char>(s[pos]);
  std::size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3
                                                      : (b & 0xf8) == 0xf0 ? 4 : 1;
  if (pos + len > s.size()) return 1;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[pos + k]) & 0xc0) != 0x80) return 1;
  }
  return len;
}

// Regexp.FindAllStringSubmatchIndex(s, n): at most n matches (all when n < 0);
// an empty match right after the previous match is skipped.
std::vector<Match> find_all(const RE2& re, std::string_view s, std::int64_t n) {
  std::vector<Match> out;
  if (n < 0) n = static_cast<std::int64_t>(s.size()) + 1;
  std::ptrdiff_t prev_end = -1;
  std::size_t pos = 0;
  while (static_cast<std::int64_t>(out.size()) < n && pos <= s.size()) {
    auto m = match_at(re, s, pos);
    if (!m) break;
    bool accept = true;
    if ((*m)[1] == static_cast<std::ptrdiff_t>(pos)) {
      if ((*m)[0] == prev_end) accept = false;
      const std::size_t width = rune_width(s, pos);
      pos = width > 0 ? pos + width : s.size() + 1;
    } else {
      pos = static_cast<std::size_t>((*m)[1]);
    }
    prev_end = (*m)[1];
    if (accept) out.push_back(std::move(*m));
  }
  return out;
}

// Go's extract: a group name or number after '$' (`name` or `{name}`).
struct Ref {
  std::string name;
  long num = -1;  // -1: not a number
  std::size_t consumed = 0;
};

bool is_name_char(unsigned char c) {
  // Go accepts any Unicode letter or digit; non-ASCII bytes are taken as
  // letters here (names in RE2 patterns are ASCII word characters anyway).
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

std::optional<Ref> extract_ref(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = 0;
  const bool brace = s[0] == '{';
  if (brace) i = 1;
  const std::size_t start = i;
  while (i < s.size() && is_name_char(static_cast<unsigned char>(s[i]))) ++i;
  if (i == start) return std::nullopt;
  Ref ref;
  ref.name = std::string(s.substr(start, i - start));
  if (brace) {
    if (i >= s.size() || s[i] != '}') return std::nullopt;
    ++i;
  }
  ref.num = 0;
  for (char c : ref.name) {
    if (c < '0' || c > '9' || ref.num >= 100000000) {
      ref.num = -1;
      break;
    }
    ref.num = ref.num * 10 + (c - '0');
  }
  if (ref.name.size() > 1 && ref.name[0] == '0') ref.num = -1;
  ref.consumed = i;
  return ref;
}

void append_group(std::string& out, std::string_view src, const Match& m, std::size_t group) {
  if (2 * group + 1 < m.size() && m[2 * group] >= 0) {
    out.append(src.substr(static_cast<std::size_t>(m[2 * group]),
                          static_cast<std::size_t>(m[2 * group + 1] - m[2 * group])));
  }
}

// Regexp.Expand: `$$` is '$', `$1`/`${1}`/`$name`/`${name}` insert a group
// (empty when unknown or unmatched), a malformed reference keeps the '$'.
void expand(const RE2& re, std::string& out, std::string_view tmpl, std::string_view src,
            const Match& m) {
  while (!tmpl.empty()) {
    const std::size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    auto ref = extract_ref(tmpl);
    if (!ref) {
      out.push_back('$');
      continue;
    }
    tmpl.remove_prefix(ref->consumed);
    if (ref->num >= 0) {
      append_group(out, src, m, static_cast<std::size_t>(ref->num));
      continue;
    }
    for (const auto& [index, name] : re.CapturingGroupNames()) {
      if (name == ref->name) {
        append_group(out, src, m, static_cast<std::size_t>(index));
        break;
      }
    }
  }
  out.append(tmpl);
}

// Regexp.ReplaceAllString / ReplaceAllLiteralString.
Result<std::string> replace_all(CallContext& ctx, const RE2& re, std::string_view src,
                                std::string_view repl, bool literal) {
  std::string out;
  std::size_t last_end = 0, search = 0;
  const std::size_t limit = ctx.limits().max_output_bytes;
  while (search <= src.size()) {
    auto m = match_at(re, src, search);
    if (!m) break;
    const auto begin = static_cast<std::size_t>((*m)[0]);
    const auto end = static_cast<std::size_t>((*m)[1]);
    out.append(src.substr(last_end, begin - last_end));
    if (end > last_end || begin == 0) {
      if (literal) {
        out.append(repl);
      } else {
        expand(re, out, repl, src, *m);
      }
    }
    if (out.size() > limit) return make_error("regexReplaceAll: result exceeds the output limit");
    last_end = end;
    const std::size_t width = rune_width(src, search);
    if (search + width > end) {
      search += width;
    } else if (search + 1 > end) {
      ++search;
    } else {
      search = end;
    }
  }
  out.append(src.substr(last_end));
  return out;
}

// Regexp.Split(s, n).
Value split(const RE2& re, std::string_view expr, std::string_view s, std::int64_t n) {
  if (n == 0) return Value::nil_list("string");
  if (!expr.empty() && s.empty()) return Value::string_list({""});
  std::vector<std::string> parts;
  std::size_t begin = 0, end = 0;
  for (const Match& m : find_all(re, s, n)) {
    if (n > 0 && static_cast<std::int64_t>(parts.size()) == n - 1) break;
    end = static_cast<std::size_t>(m[0]);
    if (m[1] != 0) parts.emplace_back(s.substr(begin, end - begin));
    begin = static_cast<std::size_t>(m[1]);
  }
  if (end != s.size()) parts.emplace_back(s.substr(begin));
  return Value::string_list(parts);
}

// A []string result; Go's FindAll returns a nil slice when nothing matched.
Value string_list_or_nil(const std::vector<std::string>& items) {
  return items.empty() ? Value::nil_list("string") : Value::string_list(items);
}

Value find_all_strings(const RE2& re, std::string_view s, std::int64_t n) {
  std::vector<std::string> items;
  for (const Match& m : find_all(re, s, n)) {
    items.emplace_back(s.substr(static_cast<std::size_t>(m[0]),
                                static_cast<std::size_t>(m[1] - m[0])));
  }
  return string_list_or_nil(items);
}

Value find_first(const RE2& re, std::string_view s) {
  auto m = match_at(re, s, 0);
  if (!m) return Value("");
  return Value(s.substr(static_cast<std::size_t>((*m)[0]),
                        static_cast<std::size_t>((*m)[1] - (*m)[0])));
}

// regexp.QuoteMeta: backslash before each of \.+*?()|[]{}^$.
std::string quote_meta(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

using Compiler = Result<std::unique_ptr<RE2>> (*)(std::string_view);

// Registers the plain form (MustCompile) and the must form (Compile) of a
// function whose body runs on the compiled pattern.
template <class Body>
void define_pair(FuncMap& funcs, const std::string& name, std::vector<Param> params, Body body) {
  auto make = [body](Compiler compiler) {
    return [body, compiler](CallContext& ctx, std::vector<Value>& args) -> Result<Value> {
      auto re = compiler(args[0].as_string());
      if (!re) return tl::unexpected(re.error());
      return body(ctx, **re, args);
    };
  };
  sprigx_define(funcs, name, params, make(&must_compile));
  std::string must = "must" + name;
  must[4] = static_cast<char>(std::toupper(static_cast<unsigned char>(must[4])));
  sprigx_define(funcs, must, params, make(&compile));
}

}  // namespace

std::string sprigx_go_regexp_quote(std::string_view s) {
  // strconv.CanBackquote: no backquote, no control character but tab, valid
  // UTF-8 and no U+FEFF.
  bool can_backquote = true;
  for (std::size_t i = 0; i < s.size() && can_backquote;) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '`' || b == 0x7f || (b < 0x20 && b != '\t')) can_backquote = false;
    if (s.substr(i, 3) == "\xef\xbb\xbf") can_backquote = false;
    const std::size_t w = rune_width(s, i);
    if (b >= 0x80 && w == 1) can_backquote = false;
    i += w;
  }
  if (can_backquote) return "`" + std::string(s) + "`";
  return go_quote(s);
}

void add_sprigx_regex_funcs(FuncMap& funcs) {
  using P = Param;
  // regexMatch swallows compile errors (false); mustRegexMatch reports them.
  sprigx_define(funcs, "regexMatch", {P::String, P::String},
                [](CallContext&, std::vector<Value>& a) -> Result<Value> {
                  auto re = compile(a[0].as_string());
                  if (!re) return Value(false);
                  return Value(RE2::PartialMatch(a[1].as_string(), **re));
                });
  sprigx_define(funcs, "mustRegexMatch", {P::String, P::String},
                [](CallContext&, std::vector<Value>& a) -> Result<Value> {
                  auto re = compile(a[0].as_string());
                  if (!re) return tl::unexpected(re.error());
                  return Value(RE2::PartialMatch(a[1].as_string(), **re));
                });
  define_pair(funcs, "regexFindAll", {P::String, P::String, P::Int},
              [](CallContext&, const RE2& re, std::vector<Value>& a) -> Result<Value> {
                return find_all_strings(re, a[1].as_string(), a[2].as_int());
              });
  define_pair(funcs, "regexFind", {P::String, P::String},
              [](CallContext&, const RE2& re, std::vector<Value>& a) -> Result<Value> {
                return find_first(re, a[1].as_string());
              });
  define_pair(funcs, "regexReplaceAll", {P::String, P::String, P::String},
              [](CallContext& ctx, const RE2& re, std::vector<Value>& a) -> Result<Value> {
                auto r = replace_all(ctx, re, a[1].as_string(), a[2].as_string(), false);
                if (!r) return tl::unexpected(r.error());
                return Value(std::move(*r));
              });
  define_pair(funcs, "regexReplaceAllLiteral", {P::String, P::String, P::String},
              [](CallContext& ctx, const RE2& re, std::vector<Value>& a) -> Result<Value> {
                auto r = replace_all(ctx, re, a[1].as_string(), a[2].as_string(), true);
                if (!r) return tl::unexpected(r.error());
                return Value(std::move(*r));
              });
  define_pair(funcs, "regexSplit", {P::String, P::String, P::Int},
              [](CallContext&, const RE2& re, std::vector<Value>& a) -> Result<Value> {
                return split(re, a[0].as_string(), a[1].as_string(), a[2].as_int());
              });
  sprigx_define(funcs, "regexQuoteMeta", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return Result<Value>(Value(quote_meta(a[0].as_string())));
  });
}

}  // namespace cairn::render::detail
