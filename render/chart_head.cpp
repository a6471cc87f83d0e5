// releaseutil.SimpleHead of a rendered manifest without decoding it.
//
// helm decodes every rendered document in full only to read its kind and hook
// annotation; done with libyaml that was a third of a render. This scanner
// reads the block-style subset that charts emit (block maps and sequences,
// one-line plain scalars, quoted and block scalars, one-line flow sequences)
// and gives up (std::nullopt) on anything else, which the caller then decodes
// in full. So it need not know YAML: every document it accepts must be one the
// full decoder accepts without error, with the same kind and hook; everything
// unusual (tabs, non-ASCII, anchors, tags, multi-line plain scalars, odd keys)
// is left to the decoder.
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/detail/chart_internal.h"
#include "render/detail/codec_util.h"

namespace cairn::render::detail {
namespace {

// Where a node sits, as far as SimpleHead cares.
enum class Role : std::uint8_t { Other, Root, Metadata, Annotations, Kind, Hook };

// libyaml refuses simple keys longer than 1024 characters.
constexpr std::size_t kMaxKey = 1000;
constexpr std::size_t kMaxDepth = 200;

// Characters of the plain keys read here (a table: the test is per character).
bool is_key_char(char c) {
  static constexpr auto kKey = [] {
    std::array<bool, 256> key{};
    for (int c = 0; c < 256; ++c) {
      key[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '/' || c == '-';
    }
    return key;
  }();
  return kKey[static_cast<unsigned char>(c)];
}

bool starts_key(char c) { return is_key_char(c) && c != '.' && c != '/' && c != '-'; }

// After a token: spaces, then the end of the line or a comment.
bool only_comment(std::string_view rest) {
  std::size_t i = 0;
  while (i < rest.size() && rest[i] == ' ') ++i;
  return i == rest.size() || (i > 0 && rest[i] == '#');
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// How yaml.v2 resolves a plain scalar.
YamlTag resolved_tag(std::string_view text, double* number = nullptr) {
  const YamlResolved r = codec_yaml_resolve(text);
  if (number != nullptr) *number = r.d;
  return r.tag;
}

// A plain scalar sigs.k8s.io/yaml can turn into JSON: no NaN or infinity.
// Only text starting like a number can resolve to a float.
bool plain_ok(std::string_view text) {
  if (!is_digit(text[0]) && text[0] != '.' && text[0] != '+' && text[0] != '-') return true;
  double d = 0;
  return resolved_tag(text, &d) != YamlTag::Float || std::isfinite(d);
}

// A plain key (of key characters, so never the merge key "<<") that the
// decoder accepts: neither null nor an uint64, which are errors.
bool plain_key_ok(std::string_view key) {
  if (key == "null" || key == "Null" || key == "NULL") return false;
  return !is_digit(key[0]) || resolved_tag(key) != YamlTag::Uint;
}

// Printable ASCII and line feeds only: no tabs, CRs, BOMs or UTF-8 rules.
bool plain_ascii(std::string_view doc) {
  static constexpr auto kBad = [] {
    std::array<bool, 256> bad{};
    for (int c = 0; c < 256; ++c) bad[c] = (c < 0x20 && c != '\n') || c >= 0x7F;
    return bad;
  }();
  bool any = false;  // no early exit: this loop is the scanner's hottest
  for (const char c : doc) any |= kBad[static_cast<unsigned char>(c)];
  return !any;
}

enum class QuoteScan : std::uint8_t { Closed, Open, Bad };

// Reads a quoted scalar's text on one line from `i` (inside the quotes): on
// Closed `i` is one past the closing quote, Open means the scalar goes on
// on the next line. `escaped` tells whether the text is not verbatim.
// Double-quoted escapes are limited to those libyaml and yaml.v2 agree on.
QuoteScan scan_quoted(std::string_view s, char quote, std::size_t& i, bool& escaped) {
  for (; i < s.size(); ++i) {
    if (s[i] == quote) {
      if (quote == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        escaped = true;
        ++i;
        continue;
      }
      ++i;
      return QuoteScan::Closed;
    }
    if (quote == '"' && s[i] == '\\') {
      escaped = true;
      if (i + 1 == s.size()) return QuoteScan::Open;  // an escaped line break
      if (std::string_view("\\\"ntr0").find(s[i + 1]) == std::string_view::npos) {
        return QuoteScan::Bad;
      }
      ++i;
    }
  }
  return QuoteScan::Open;
}

// The end (one past the closing quote) of a one-line quoted scalar at the
// start of `s`, or npos.
std::size_t quoted_end(std::string_view s, bool& escaped) {
  std::size_t i = 1;
  return scan_quoted(s, s[0], i, escaped) == QuoteScan::Closed ? i : std::string_view::npos;
}

// The text of a quoted scalar (no double-quoted escapes: the caller checked).
std::string unquote(std::string_view quoted) {
  std::string out;
  const std::string_view body = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    out.push_back(body[i]);
    if (body[i] == '\'' && quoted[0] == '\'') ++i;  // '' is one quote
  }
  return out;
}

// A key at the start of `s` followed by ':' and a blank: its text in `key`
// (`scratch` holds it when it is not verbatim), what follows the ':' in `rest`.
bool split_key(std::string_view s, std::string_view& key, std::string& scratch,
               std::string_view& rest) {
  std::size_t end = 0;
  if (s[0] == '"' || s[0] == '\'') {
    bool escaped = false;
    end = quoted_end(s, escaped);
    if (end == std::string_view::npos || (escaped && s[0] == '"')) return false;
    key = s.substr(1, end - 2);
    if (escaped) key = scratch = unquote(s.substr(0, end));
  } else {
    if (!starts_key(s[0])) return false;
    while (end < s.size() && is_key_char(s[end])) ++end;
    key = s.substr(0, end);
    if (!plain_key_ok(key)) return false;
  }
  if (end > kMaxKey || end == s.size() || s[end] != ':') return false;
  rest = s.substr(end + 1);
  return rest.empty() || rest[0] == ' ';
}

// A one-line plain scalar at the start of `s` (which a block node may start
// with), without a comment; false where libyaml would see more than a scalar.
bool plain_scalar(std::string_view s, std::string_view& text) {
  static constexpr std::string_view kIndicators = "?:,]}#&*!%@`";
  if (kIndicators.find(s[0]) != std::string_view::npos) return false;
  if (s[0] == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  std::size_t end = s.size();
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '#' && s[i - 1] == ' ') {
      end = i;
      break;
    }
    if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
  }
  while (s[end - 1] == ' ') --end;
  text = s.substr(0, end);
  return plain_ok(text);
}

// A one-line flow sequence of quoted and simple plain scalars, or "{}".
bool flow_collection(std::string_view s) {
  if (s[0] == '{') return s.size() >= 2 && s[1] == '}' && only_comment(s.substr(2));
  std::size_t i = 1;
  const auto skip_spaces = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  skip_spaces();
  if (i < s.size() && s[i] == ']') return only_comment(s.substr(i + 1));
  for (;;) {
    if (i == s.size()) return false;
    if (s[i] == '"' || s[i] == '\'') {
      bool escaped = false;
      const std::size_t end = quoted_end(s.substr(i), escaped);
      if (end == std::string_view::npos) return false;
      i += end;
    } else {
      const std::size_t begin = i;
      if (!starts_key(s[i])) return false;
      while (i < s.size() && is_key_char(s[i])) ++i;
      if (!plain_ok(s.substr(begin, i - begin))) return false;
    }
    skip_spaces();
    if (i == s.size()) return false;
    if (s[i] == ']') return only_comment(s.substr(i + 1));
    if (s[i] != ',') return false;
    ++i;
    skip_spaces();
  }
}

struct Frame {
  int indent;
  bool is_map;
  bool indentless;  // a sequence at its parent mapping's indentation
  Role role;
};

class HeadScanner {
 public:
  std::optional<ManifestHead> run(std::string_view doc);

 private:
  enum class BlockLine : std::uint8_t { Consumed, Ended, Fail };

  bool content_line(int indent, std::string_view s);
  bool open_block(int indent, std::string_view s, Role role);
  bool map_entry(int indent, std::string_view s);
  bool seq_entry(int indent, std::string_view s);
  bool inline_node(int col, std::string_view s, int parent_indent);
  bool value(std::string_view s, int parent_indent, Role role);
  BlockLine block_scalar_line(std::string_view line);
  bool quoted_line(std::string_view line);
  bool push(Frame f) {
    stack_.push_back(f);
    return stack_.size() <= kMaxDepth;
  }
  void expect_block(int indent, bool map_value, Role role) {
    pending_ = true;
    pending_indent_ = indent;
    pending_map_value_ = map_value;
    pending_role_ = role;
  }

  std::vector<Frame> stack_;
  // A node whose value starts on a later line (after "key:" or "-").
  bool pending_ = true;
  int pending_indent_ = -1;
  bool pending_map_value_ = false;
  Role pending_role_ = Role::Root;
  // The quote of a multi-line quoted scalar being read, else 0.
  char quote_ = 0;
  // A block scalar's content lines: indentation unknown (0) until its first
  // non-blank line; more spaces on a leading blank line would change it.
  bool in_block_scalar_ = false;
  int block_parent_ = 0;
  int block_indent_ = 0;
  int block_blank_max_ = 0;

  ManifestHead head_;
  bool seen_kind_ = false, seen_metadata_ = false, seen_annotations_ = false;
};

std::optional<ManifestHead> HeadScanner::run(std::string_view doc) {
  if (!plain_ascii(doc)) return std::nullopt;
  std::size_t pos = 0;
  while (pos < doc.size()) {
    std::size_t eol = doc.find('\n', pos);
    if (eol == std::string_view::npos) eol = doc.size();
    const std::string_view line = doc.substr(pos, eol - pos);
    pos = eol + 1;
    if (quote_ != 0) {
      if (!quoted_line(line)) return std::nullopt;
      continue;
    }
    if (in_block_scalar_) {
      const BlockLine b = block_scalar_line(line);
      if (b == BlockLine::Fail) return std::nullopt;
      if (b == BlockLine::Consumed) continue;
      in_block_scalar_ = false;
    }
    std::size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const std::string_view s = line.substr(indent);
    if (s.empty() || s[0] == '#') continue;
    // Document markers and directives.
    if (indent == 0 && (s.starts_with("---") || s.starts_with("...") || s[0] == '%')) {
      return std::nullopt;
    }
    if (!content_line(static_cast<int>(indent), s)) return std::nullopt;
  }
  // A null kind or hook reads as "": left to the decoder like every null text.
  if (quote_ != 0 || (pending_ && (pending_role_ == Role::Kind || pending_role_ == Role::Hook))) {
    return std::nullopt;
  }
  return head_;
}

bool is_seq_entry(std::string_view s) { return s[0] == '-' && (s.size() == 1 || s[1] == ' '); }

bool HeadScanner::content_line(int indent, std::string_view s) {
  if (pending_) {
    pending_ = false;
    if (indent > pending_indent_) return open_block(indent, s, pending_role_);
    // A mapping's value may be a sequence at the mapping's own indentation.
    if (indent == pending_indent_ && pending_map_value_ && is_seq_entry(s)) {
      // Only where SimpleHead does not care about a list.
      const bool ignored = pending_role_ == Role::Other || pending_role_ == Role::Annotations;
      return ignored && push({indent, false, true, Role::Other}) && seq_entry(indent, s);
    }
    // Otherwise the pending node is null.
    if (pending_role_ == Role::Kind || pending_role_ == Role::Hook) return false;
  }
  while (!stack_.empty() && stack_.back().indent > indent) stack_.pop_back();
  if (!stack_.empty() && stack_.back().indentless && !is_seq_entry(s)) stack_.pop_back();
  if (stack_.empty() || stack_.back().indent != indent) return false;
  return stack_.back().is_map ? map_entry(indent, s) : seq_entry(indent, s);
}

// The first line of a block collection nested under a pending node.
bool HeadScanner::open_block(int indent, std::string_view s, Role role) {
  if (role == Role::Kind || role == Role::Hook) return false;
  if (is_seq_entry(s)) {
    // SimpleHead and its metadata must be maps.
    if (role == Role::Root || role == Role::Metadata) return false;
    return push({indent, false, false, role}) && seq_entry(indent, s);
  }
  return push({indent, true, false, role}) && map_entry(indent, s);
}

bool HeadScanner::map_entry(int indent, std::string_view s) {
  std::string_view key, rest;
  std::string scratch;
  if (!split_key(s, key, scratch, rest)) return false;
  Role role = Role::Other;
  bool* seen = nullptr;
  switch (stack_.back().role) {
    case Role::Root:
      if (key == "kind") role = Role::Kind, seen = &seen_kind_;
      if (key == "metadata") role = Role::Metadata, seen = &seen_metadata_;
      break;
    case Role::Metadata:
      if (key == "annotations") role = Role::Annotations, seen = &seen_annotations_;
      break;
    case Role::Annotations:
      if (key == "helm.sh/hook") role = Role::Hook, seen = &head_.hook;
      break;
    default:
      break;
  }
  // The last of duplicate keys wins in the decoder: rare enough to leave to it.
  if (seen != nullptr) {
    if (*seen) return false;
    *seen = true;
  }
  const std::size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos || rest[start] == '#') {
    expect_block(indent, true, role);
    return true;
  }
  return value(rest.substr(start), indent, role);
}

bool HeadScanner::seq_entry(int indent, std::string_view s) {
  if (!is_seq_entry(s)) return false;  // a mapping key where a sequence's entries are
  const std::size_t start = s.find_first_not_of(' ', 1);
  if (start == std::string_view::npos || s[start] == '#') {
    expect_block(indent, false, Role::Other);
    return true;
  }
  return inline_node(indent + static_cast<int>(start), s.substr(start), indent);
}

// A node after "- " on the same line: a compact sequence or mapping, or a
// scalar.
bool HeadScanner::inline_node(int col, std::string_view s, int parent_indent) {
  if (is_seq_entry(s)) return push({col, false, false, Role::Other}) && seq_entry(col, s);
  std::string_view key, rest;
  std::string scratch;
  if (!split_key(s, key, scratch, rest)) return value(s, parent_indent, Role::Other);
  return push({col, true, false, Role::Other}) && map_entry(col, s);
}

// A value on the line of its key (or dash); `parent_indent` is the
// indentation of the collection holding it.
bool HeadScanner::value(std::string_view s, int parent_indent, Role role) {
  const bool wants_text = role == Role::Kind || role == Role::Hook;
  std::string text;
  switch (s[0]) {
    case '|':
    case '>': {
      std::size_t i = 1;
      if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
      if (wants_text || role == Role::Metadata || !only_comment(s.substr(i))) return false;
      in_block_scalar_ = true;
      block_parent_ = parent_indent;
      block_indent_ = 0;
      block_blank_max_ = 0;
      return true;
    }
    case '[':
    case '{':
      if (wants_text || (role == Role::Metadata && s[0] == '[')) return false;
      return flow_collection(s);
    case '"':
    case '\'': {
      bool escaped = false;
      std::size_t end = 1;
      const QuoteScan scan = scan_quoted(s, s[0], end, escaped);
      if (scan == QuoteScan::Bad || role == Role::Metadata) return false;
      if (scan == QuoteScan::Open) {  // a multi-line scalar: its lines follow
        quote_ = s[0];
        return !wants_text;
      }
      if (!only_comment(s.substr(end)) || (wants_text && escaped && s[0] == '"')) return false;
      if (wants_text) text = unquote(s.substr(0, end));
      break;
    }
    default: {
      std::string_view plain;
      if (role == Role::Metadata || !plain_scalar(s, plain)) return false;
      if (wants_text) {
        if (resolved_tag(plain) != YamlTag::Str) return false;
        text.assign(plain);
      }
      break;
    }
  }
  if (role == Role::Kind) head_.kind = std::move(text);
  if (role == Role::Hook) head_.hook_text = std::move(text);
  return true;
}

// One line while a block scalar is open: part of it, the line that ends it,
// or a case left to the decoder.
HeadScanner::BlockLine HeadScanner::block_scalar_line(std::string_view line) {
  int spaces = 0;
  while (spaces < static_cast<int>(line.size()) && line[spaces] == ' ') ++spaces;
  if (spaces == static_cast<int>(line.size())) {
    if (block_indent_ == 0 && spaces > block_blank_max_) block_blank_max_ = spaces;
    return BlockLine::Consumed;
  }
  if (block_indent_ == 0) {
    if (spaces <= block_parent_) return BlockLine::Ended;  // an empty scalar
    if (block_blank_max_ > spaces) return BlockLine::Fail;
    block_indent_ = spaces;
  }
  return spaces >= block_indent_ ? BlockLine::Consumed : BlockLine::Ended;
}

// One line inside a multi-line quoted scalar: its indentation is free, but a
// document marker ends the document.
bool HeadScanner::quoted_line(std::string_view line) {
  if (line.starts_with("---") || line.starts_with("...")) return false;
  bool escaped = false;
  std::size_t end = 0;
  switch (scan_quoted(line, quote_, end, escaped)) {
    case QuoteScan::Open:
      return true;
    case QuoteScan::Closed:
      quote_ = 0;
      return only_comment(line.substr(end));
    case QuoteScan::Bad:
      break;
  }
  return false;
}

}  // namespace

std::optional<ManifestHead> scan_manifest_head(std::string_view doc) {
  return HeadScanner().run(doc);
}

}  // namespace cairn::render::detail
