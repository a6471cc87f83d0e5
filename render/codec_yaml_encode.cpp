// sigs.k8s.io/yaml.Marshal: json.Marshal, then gopkg.in/yaml.v2 2.4 reads the
// JSON back (integral numbers become ints, the rest float64) and emits it.
// The JSON step is applied directly on the Value; the emitter below follows
// yaml.v2's emitterc.go state by state for the events the encoder produces
// (block mappings and sequences, empty flow collections, scalars), so that
// quoting, literal blocks and folding at 80 columns come out identical.
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "render/codec.h"
#include "render/detail/codec_util.h"
#include "render/detail/gofmt_unicode.h"
#include "render/detail/codec_yaml_emit.h"

namespace cairn::render {
namespace {

using detail::YamlTag;

constexpr int kMaxDepth = 1000;
constexpr int kBestIndent = 2;

enum class Style { Plain, SingleQuoted, DoubleQuoted, Literal };

// ---------------------------------------------------------------- byte classes
// yamlprivateh.go's predicates; out-of-range positions read as NUL.

unsigned char at(std::string_view s, std::size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

int width(unsigned char b) {
  if ((b & 0x80) == 0) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;  // not reached for valid UTF-8
}

bool is_printable(std::string_view s, std::size_t i) {
  const unsigned char b = at(s, i), b1 = at(s, i + 1), b2 = at(s, i + 2);
  return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
         (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
         (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

bool is_space(std::string_view s, std::size_t i) { return at(s, i) == ' '; }

bool is_break(std::string_view s, std::size_t i) {
  const unsigned char b = at(s, i), b1 = at(s, i + 1), b2 = at(s, i + 2);
  return b == '\r' || b == '\n' || (b == 0xC2 && b1 == 0x85) ||
         (b == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9));
}

bool is_blankz(std::string_view s, std::size_t i) {
  return at(s, i) == ' ' || at(s, i) == '\t' || at(s, i) == 0 || is_break(s, i);
}

bool is_bom_start(std::string_view s) { return at(s, 0) == 0xEF && at(s, 1) == 0xBB && at(s, 2) == 0xBF; }

// ---------------------------------------------------------------- analysis

struct ScalarAnalysis {
  bool multiline = false;
  bool flow_plain_allowed = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = false;
};

// yaml_emitter_analyze_scalar (with unicode output enabled). With
// `tabs_allow_block` (yaml.v3) a tab only rules out plain and single-quoted
// styles; in yaml.v2 it is a special character.
ScalarAnalysis analyze_scalar(std::string_view v, bool tabs_allow_block) {
  ScalarAnalysis a;
  if (v.empty()) return a;
  bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false;
  bool trailing_break = false, break_space = false, space_break = false;
  bool previous_space = false, previous_break = false, tabs = false;
  if (v.size() >= 3 && (v.substr(0, 3) == "---" || v.substr(0, 3) == "...")) {
    block_ind = flow_ind = true;
  }
  bool preceded_by_ws = true;
  for (std::size_t i = 0, w = 0; i < v.size(); i += w) {
    w = static_cast<std::size_t>(width(at(v, i)));
    const bool followed_by_ws = i + w >= v.size() || at(v, i + w) == ' ' ||
                                at(v, i + w) == '\t' || is_break(v, i + w);
    const char c = v[i];
    if (i == 0) {
      switch (c) {
        case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*':
        case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
          flow_ind = block_ind = true;
          break;
        case '?': case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '-':
          if (followed_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    } else {
      switch (c) {
        case ',': case '?': case '[': case ']': case '{': case '}':
          flow_ind = true;
          break;
        case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '#':
          if (preceded_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    }
    if (tabs_allow_block && c == '\t') {
      tabs = true;
    } else if (!is_printable(v, i)) {
      special = true;
    }
    if (is_space(v, i)) {
      if (i == 0) leading_space = true;
      if (i + w == v.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(v, i)) {
      line_breaks = true;
      if (i == 0) leading_break = true;
      if (i + w == v.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_ws = is_blankz(v, i);
  }
  a.multiline = line_breaks;
  a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = true;
  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.flow_plain_allowed = a.block_plain_allowed = false;
  }
  if (trailing_space) a.block_allowed = false;
  if (break_space) a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = false;
  if (space_break || special || tabs) {
    a.flow_plain_allowed = a.block_plain_allowed = a.single_quoted_allowed = false;
  }
  if (space_break || special) a.block_allowed = false;
  if (line_breaks) a.flow_plain_allowed = a.block_plain_allowed = false;
  if (flow_ind) a.flow_plain_allowed = false;
  if (block_ind) a.block_plain_allowed = false;
  return a;
}

// ---------------------------------------------------------------- key order

bool is_ascii_digit(char32_t r) { return r >= '0' && r <= '9'; }

// unicode.IsLetter: exact for ASCII and Latin-1; above that, code points in
// the common punctuation, symbol, digit and emoji blocks are not letters and
// everything else is treated as one (close enough for map keys).
bool is_letter(char32_t r) {
  if (r < 0x80) return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
  if (r < 0x100) return r == 0xAA || r == 0xB5 || r == 0xBA || (r >= 0xC0 && r != 0xD7 && r != 0xF7);
  if (r >= 0x2000 && r <= 0x2BFF) return false;
  if (r >= 0x3000 && r <= 0x3004) return false;
  if (r >= 0xFF00 && r <= 0xFF20) return false;
  if (r >= 0x1F000 && r <= 0x1FAFF) return false;
  if (r >= 0xE000 && r <= 0xF8FF) return false;
  return true;
}

std::u32string runes(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    detail::DecodedRune r = detail::decode_rune(s, i);
    out.push_back(r.rune);
    i += static_cast<std::size_t>(r.width);
  }
  return out;
}

// yaml.v2 sorter.go keyList.Less for two string keys: letters by code point,
// non-letters before letters, digit runs compared as numbers.
// yaml.v3's variant (`v3`): after a common digit, a letter sorts before a
// non-letter (so "a1b" < "a1-").
bool key_less(const std::u32string& a, const std::u32string& b, bool v3) {
  bool digits = false;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) {
      digits = is_ascii_digit(a[i]);
      continue;
    }
    const bool al = is_letter(a[i]), bl = is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return v3 && digits ? al : bl;
    std::int64_t an = 0, bn = 0;
    if (a[i] == '0' || b[i] == '0') {
      for (std::size_t j = i; j-- > 0 && is_ascii_digit(a[j]);) {
        if (a[j] != '0') {
          an = bn = 1;
          break;
        }
      }
    }
    std::size_t ai = i, bi = i;
    for (; ai < a.size() && is_ascii_digit(a[ai]); ++ai) an = an * 10 + (a[ai] - '0');
    for (; bi < b.size() && is_ascii_digit(b[bi]); ++bi) bn = bn * 10 + (b[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return a[i] < b[i];
  }
  return a.size() < b.size();
}

// ---------------------------------------------------------------- JSON text

constexpr std::string_view kNel = "\xC2\x85";

// json.Marshal writes U+0085 (NEL) raw, and yaml.v2 reads a raw NEL inside a
// double-quoted JSON string as a line break that folds: spaces before it are
// dropped, spaces after it are indentation, one break becomes a space and
// further breaks become newlines.
std::string fold_nel(const std::string& s) {
  if (s.find(kNel) == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != ' ' && s.compare(i, 2, kNel) != 0) {
      out.push_back(s[i++]);
      continue;
    }
    std::string spaces;
    bool leading_break = false;
    std::string trailing_breaks;
    while (i < s.size() && (s[i] == ' ' || s.compare(i, 2, kNel) == 0)) {
      if (s[i] == ' ') {
        if (!leading_break) spaces.push_back(' ');
        ++i;
      } else {
        if (leading_break) trailing_breaks.push_back('\n');
        leading_break = true;
        spaces.clear();
        i += 2;
      }
    }
    if (!leading_break) {
      out += spaces;
    } else {
      out += trailing_breaks.empty() ? std::string(" ") : trailing_breaks;
    }
  }
  return out;
}

// ---------------------------------------------------------------- emitter

class V2Emitter {
 public:
  explicit V2Emitter(const detail::YamlEmitOptions& options) : options_(options) {}
  Result<bool> node(const Value& v, int depth, bool root, bool sequence, bool mapping,
                    bool simple_key);
  std::string finish();

 private:
  // Low-level writers (put/write/write_indent/write_indicator of emitterc.go).
  void put(char c) {
    out_.push_back(c);
    ++column_;
  }
  void put_break() {
    out_.push_back('\n');
    column_ = 0;
  }
  void write(std::string_view s, std::size_t& i) {
    const auto w = static_cast<std::size_t>(width(at(s, i)));
    out_.append(s.substr(i, w));
    ++column_;
    i += w;
  }
  void write_break(std::string_view s, std::size_t& i) {
    if (s[i] == '\n') {
      put_break();
      ++i;
    } else {
      write(s, i);
      column_ = 0;
    }
  }
  void write_indent();
  void write_indicator(std::string_view ind, bool need_ws, bool is_ws, bool is_indention);
  void increase_indent(bool flow, bool indentless);
  void pop_indent() {
    indent_ = indents_.back();
    indents_.pop_back();
  }

  void set_context(bool root, bool sequence, bool mapping, bool simple_key) {
    (void)root;
    sequence_ctx_ = sequence;
    mapping_ctx_ = mapping;
    simple_key_ctx_ = simple_key;
  }

  Result<bool> string_scalar(const std::string& s);
  void scalar(std::string_view value, Style requested);
  void write_plain(std::string_view v, bool allow_breaks);
  void write_single(std::string_view v, bool allow_breaks);
  void write_double(std::string_view v, bool allow_breaks);
  void write_literal(std::string_view v);
  void write_block_hints(std::string_view v);
  void empty_flow(char open, char close);
  Result<bool> sequence(const ListData& list, int depth);
  Result<bool> mapping(const MapData& map, int depth);
  Result<bool> number(double d);

  detail::YamlEmitOptions options_;
  std::string out_;
  int column_ = 0;
  int indent_ = -1;
  std::vector<int> indents_;
  bool whitespace_ = true;
  bool indention_ = true;
  int flow_level_ = 0;
  bool sequence_ctx_ = false;
  bool mapping_ctx_ = false;
  bool simple_key_ctx_ = false;
};

void V2Emitter::write_indent() {
  const int ind = std::max(indent_, 0);
  if (!indention_ || column_ > ind || (column_ == ind && !whitespace_)) put_break();
  while (column_ < ind) put(' ');
  whitespace_ = true;
  indention_ = true;
}

void V2Emitter::write_indicator(std::string_view ind, bool need_ws, bool is_ws,
                                bool is_indention) {
  if (need_ws && !whitespace_) put(' ');
  for (char c : ind) put(c);
  whitespace_ = is_ws;
  indention_ = indention_ && is_indention;
}

void V2Emitter::increase_indent(bool flow, bool indentless) {
  indents_.push_back(indent_);
  if (indent_ < 0) {
    indent_ = flow ? kBestIndent : 0;
  } else if (!indentless) {
    indent_ += kBestIndent;
  }
}

std::string V2Emitter::finish() {
  write_indent();  // document end
  return std::move(out_);
}

// yaml_emitter_select_scalar_style then process_scalar, for untagged scalars.
void V2Emitter::scalar(std::string_view value, Style requested) {
  const ScalarAnalysis a = analyze_scalar(value, !options_.json_numbers);
  Style style = requested;
  if (simple_key_ctx_ && a.multiline) style = Style::DoubleQuoted;
  if (style == Style::Plain) {
    if ((flow_level_ > 0 && !a.flow_plain_allowed) ||
        (flow_level_ == 0 && !a.block_plain_allowed)) {
      style = Style::SingleQuoted;
    }
    if (value.empty() && (flow_level_ > 0 || simple_key_ctx_)) style = Style::SingleQuoted;
  }
  if (style == Style::SingleQuoted && !a.single_quoted_allowed) style = Style::DoubleQuoted;
  if (style == Style::Literal && (!a.block_allowed || flow_level_ > 0 || simple_key_ctx_)) {
    style = Style::DoubleQuoted;
  }
  increase_indent(true, false);
  const bool allow_breaks = !simple_key_ctx_;
  switch (style) {
    case Style::Plain: write_plain(value, allow_breaks); break;
    case Style::SingleQuoted: write_single(value, allow_breaks); break;
    case Style::DoubleQuoted: write_double(value, allow_breaks); break;
    case Style::Literal: write_literal(value); break;
  }
  pop_indent();
}

void V2Emitter::write_plain(std::string_view v, bool allow_breaks) {
  if (!whitespace_) put(' ');
  bool spaces = false, breaks = false;
  for (std::size_t i = 0; i < v.size();) {
    if (is_space(v, i)) {
      if (allow_breaks && !spaces && column_ > options_.best_width && !is_space(v, i + 1)) {
        write_indent();
        ++i;
      } else {
        write(v, i);
      }
      spaces = true;
    } else if (is_break(v, i)) {
      if (!breaks && v[i] == '\n') put_break();
      write_break(v, i);
      indention_ = true;
      breaks = true;
    } else {
      if (breaks) write_indent();
      write(v, i);
      indention_ = false;
      spaces = breaks = false;
    }
  }
  whitespace_ = false;
  indention_ = false;
}

void V2Emitter::write_single(std::string_view v, bool allow_breaks) {
  write_indicator("'", true, false, false);
  bool spaces = false, breaks = false;
  for (std::size_t i = 0; i < v.size();) {
    if (is_space(v, i)) {
      if (allow_breaks && !spaces && column_ > options_.best_width && i > 0 && i < v.size() - 1 &&
          !is_space(v, i + 1)) {
        write_indent();
        ++i;
      } else {
        write(v, i);
      }
      spaces = true;
    } else if (is_break(v, i)) {
      if (!breaks && v[i] == '\n') put_break();
      write_break(v, i);
      indention_ = true;
      breaks = true;
    } else {
      if (breaks) write_indent();
      if (v[i] == '\'') put('\'');
      write(v, i);
      indention_ = false;
      spaces = breaks = false;
    }
  }
  write_indicator("'", false, false, false);
  whitespace_ = false;
  indention_ = false;
}

void V2Emitter::write_double(std::string_view v, bool allow_breaks) {
  static const char kHex[] = "0123456789ABCDEF";
  bool spaces = false;
  write_indicator("\"", true, false, false);
  const bool bom = is_bom_start(v);
  for (std::size_t i = 0; i < v.size();) {
    if (!is_printable(v, i) || bom || is_break(v, i) || v[i] == '"' || v[i] == '\\') {
      const detail::DecodedRune r = detail::decode_rune(v, i);
      i += static_cast<std::size_t>(r.width);
      put('\\');
      switch (r.rune) {
        case 0x00: put('0'); break;
        case 0x07: put('a'); break;
        case 0x08: put('b'); break;
        case 0x09: put('t'); break;
        case 0x0A: put('n'); break;
        case 0x0B: put('v'); break;
        case 0x0C: put('f'); break;
        case 0x0D: put('r'); break;
        case 0x1B: put('e'); break;
        case 0x22: put('"'); break;
        case 0x5C: put('\\'); break;
        case 0x85: put('N'); break;
        case 0xA0: put('_'); break;
        case 0x2028: put('L'); break;
        case 0x2029: put('P'); break;
        default: {
          int digits;
          if (r.rune <= 0xFF) {
            put('x');
            digits = 2;
          } else if (r.rune <= 0xFFFF) {
            put('u');
            digits = 4;
          } else {
            put('U');
            digits = 8;
          }
          for (int k = (digits - 1) * 4; k >= 0; k -= 4) put(kHex[(r.rune >> k) & 0xF]);
        }
      }
      spaces = false;
    } else if (is_space(v, i)) {
      if (allow_breaks && !spaces && column_ > options_.best_width && i > 0 && i < v.size() - 1) {
        write_indent();
        if (is_space(v, i + 1)) put('\\');
        ++i;
      } else {
        write(v, i);
      }
      spaces = true;
    } else {
      write(v, i);
      spaces = false;
    }
  }
  write_indicator("\"", false, false, false);
  whitespace_ = false;
  indention_ = false;
}

// Indentation hint when the text starts with a space or break; chomping '-'
// without a final break, '+' when it ends with two breaks (or is one).
void V2Emitter::write_block_hints(std::string_view v) {
  if (is_space(v, 0) || is_break(v, 0)) {
    const char hint[2] = {static_cast<char>('0' + kBestIndent), 0};
    write_indicator(hint, false, false, false);
  }
  char chomp = 0;
  if (v.empty()) {
    chomp = '-';
  } else {
    std::size_t i = v.size() - 1;
    while ((at(v, i) & 0xC0) == 0x80) --i;
    if (!is_break(v, i)) {
      chomp = '-';
    } else if (i == 0) {
      chomp = '+';
    } else {
      --i;
      while ((at(v, i) & 0xC0) == 0x80) --i;
      if (is_break(v, i)) chomp = '+';
    }
  }
  if (chomp != 0) {
    const char text[2] = {chomp, 0};
    write_indicator(text, false, false, false);
  }
}

void V2Emitter::write_literal(std::string_view v) {
  write_indicator("|", true, false, false);
  write_block_hints(v);
  if (options_.json_numbers) {
    put_break();
    indention_ = true;
  }
  // yaml.v3 writes no break here: the first write_indent or break does.
  whitespace_ = true;
  bool breaks = true;
  for (std::size_t i = 0; i < v.size();) {
    if (is_break(v, i)) {
      write_break(v, i);
      indention_ = true;
      breaks = true;
    } else {
      if (breaks) write_indent();
      write(v, i);
      indention_ = false;
      breaks = false;
    }
  }
}

void V2Emitter::empty_flow(char open, char close) {
  const char o[2] = {open, 0}, c[2] = {close, 0};
  write_indicator(o, true, true, false);
  increase_indent(true, false);
  ++flow_level_;
  --flow_level_;
  pop_indent();
  write_indicator(c, false, false, false);
}

// encode.go stringv: text with a newline is a literal block; text that would
// resolve to another type (or a base-60 float) is double-quoted.
Result<bool> V2Emitter::string_scalar(const std::string& s) {
  Style style = Style::Plain;
  const detail::YamlResolved r = detail::codec_yaml_resolve(s);
  const bool can_plain = r.tag == YamlTag::Str && !detail::codec_yaml_is_base60_float(s);
  if (s.find('\n') != std::string::npos) {
    style = Style::Literal;
  } else if (!can_plain) {
    style = Style::DoubleQuoted;
  }
  scalar(s, style);
  return true;
}

// A float64 after json.Marshal + yaml.v2 Unmarshal: the JSON text of an
// integral value reads back as int (or uint64), anything else as float64,
// printed with strconv 'g'.
Result<bool> V2Emitter::number(double d) {
  if (!options_.json_numbers) {
    std::string text = detail::codec_format_float(d, 'g');
    if (text == "+Inf") text = ".inf";
    if (text == "-Inf") text = "-.inf";
    if (text == "NaN") text = ".nan";
    scalar(text, Style::Plain);
    return true;
  }
  if (std::isnan(d) || std::isinf(d)) {
    return make_error("json: unsupported value: " + detail::codec_format_float(d, 'g'));
  }
  const std::string json = detail::codec_json_float(d);
  const detail::YamlResolved r = detail::codec_yaml_resolve(json);
  switch (r.tag) {
    case YamlTag::Int: scalar(std::to_string(r.i), Style::Plain); break;
    case YamlTag::Uint: scalar(std::to_string(r.u), Style::Plain); break;
    default: scalar(detail::codec_format_float(r.d, 'g'), Style::Plain); break;
  }
  return true;
}

Result<bool> V2Emitter::sequence(const ListData& list, int depth) {
  if (list.items.empty()) {
    empty_flow('[', ']');
    return true;
  }
  increase_indent(false, options_.indentless_sequences && mapping_ctx_ && !indention_);
  for (const Value& item : list.items) {
    write_indent();
    write_indicator("-", true, false, true);
    auto ok = node(item, depth + 1, false, true, false, false);
    if (!ok) return ok;
  }
  pop_indent();
  return true;
}

Result<bool> V2Emitter::mapping(const MapData& map, int depth) {
  if (map.items.empty()) {
    empty_flow('{', '}');
    return true;
  }
  struct Entry {
    std::string key;  // valid UTF-8, as JSON leaves it
    std::u32string runes;
    const Value* value;
  };
  std::vector<Entry> entries;
  entries.reserve(map.items.size());
  for (const auto& [key, value] : map.items) {
    std::string clean = detail::codec_sanitize_utf8(key);
    // A raw NEL makes the JSON key span two lines, which yaml.v2 cannot read.
    if (options_.json_numbers && clean.find(kNel) != std::string::npos) {
      return make_error("yaml: line 1: did not find expected ',' or '}'");
    }
    std::u32string r = runes(clean);
    entries.push_back(Entry{std::move(clean), std::move(r), &value});
  }
  // stable_sort stays in bounds even if the comparison is not a strict order.
  std::stable_sort(entries.begin(), entries.end(),
                   [v3 = !options_.json_numbers](const Entry& a, const Entry& b) {
                     return key_less(a.runes, b.runes, v3);
                   });
  increase_indent(false, false);
  for (const Entry& e : entries) {
    write_indent();
    const ScalarAnalysis a = analyze_scalar(e.key, !options_.json_numbers);
    const bool simple = !a.multiline && e.key.size() <= 128;
    if (simple) {
      set_context(false, false, true, true);
      string_scalar(e.key);
      write_indicator(":", false, false, false);
    } else {
      write_indicator("?", true, false, true);
      set_context(false, false, true, false);
      string_scalar(e.key);
      write_indent();
      write_indicator(":", true, false, true);
    }
    auto ok = node(*e.value, depth + 1, false, false, true, false);
    if (!ok) return ok;
  }
  pop_indent();
  return true;
}

Result<bool> V2Emitter::node(const Value& v, int depth, bool root, bool sequence_ctx,
                             bool mapping_ctx, bool simple_key) {
  if (depth > kMaxDepth) {
    return make_error("json: unsupported value: encountered a cycle via " + v.type_name());
  }
  set_context(root, sequence_ctx, mapping_ctx, simple_key);
  switch (v.kind()) {
    case Kind::Invalid:
    case Kind::Nil:
      scalar("null", Style::Plain);
      return true;
    case Kind::Bool:
      scalar(v.as_bool() ? "true" : "false", Style::Plain);
      return true;
    case Kind::Int:
      scalar(v.is_unsigned() ? std::to_string(v.as_uint()) : std::to_string(v.as_int()),
             Style::Plain);
      return true;
    case Kind::Float:
      return number(v.as_float());
    case Kind::Complex:
      return make_error("json: unsupported type: complex128");
    case Kind::String:
    {
      std::string text = detail::codec_sanitize_utf8(v.as_string());
      return string_scalar(options_.json_numbers ? fold_nel(text) : text);
    }
    case Kind::List: {
      if (v.is_nil_container()) {
        scalar("null", Style::Plain);
        return true;
      }
      if (v.list().elem_type == "uint8") {
        // json.Marshal writes []byte as base64 text.
        auto encoded = json_encode(v);
        if (!encoded) return tl::unexpected(encoded.error());
        return string_scalar(encoded->substr(1, encoded->size() - 2));
      }
      return sequence(v.list(), depth);
    }
    case Kind::Map:
      if (v.is_nil_container()) {
        scalar("null", Style::Plain);
        return true;
      }
      return mapping(v.map(), depth);
    case Kind::Object:
      return node(v.object().to_data(), depth + 1, root, sequence_ctx, mapping_ctx, simple_key);
  }
  return make_error("json: unsupported value");
}

}  // namespace

namespace detail {

Result<std::string> codec_yaml_emit(const Value& v, const YamlEmitOptions& options) {
  V2Emitter emitter(options);
  auto ok = emitter.node(v, 0, true, false, false, false);
  if (!ok) return tl::unexpected(ok.error());
  return emitter.finish();
}

}  // namespace detail

Result<std::string> yaml_encode(const Value& v) {
  auto out = detail::codec_yaml_emit(v, detail::YamlEmitOptions{});
  if (!out) return make_error("error marshaling into JSON: " + out.error().message);
  return out;
}

}  // namespace cairn::render
