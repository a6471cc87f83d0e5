// Lexer of Go's text/template: the same tokens, positions, lines and error
// texts as text/template/parse/lex.go with the default delimiters.
#include "render/detail/tmpl_lex.h"

#include <cstdio>
#include <cstring>

#include "render/detail/gofmt_unicode.h"
#include "render/gofmt.h"

namespace cairn::render::detail {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr int kEof = -1;

bool is_space(int r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

// Go's unicode.IsLetter/IsDigit, approximated: every non-ASCII rune counts
// as a letter.
bool is_alnum(int r) {
  return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
         (r >= '0' && r <= '9') || r >= 0x80;
}

bool has_left_trim(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(s[1]); }
bool has_right_trim(std::string_view s) { return s.size() >= 2 && is_space(s[0]) && s[1] == '-'; }

// memchr skips long text runs quickly; counting byte by byte was the
// lexer's largest cost on big templates (CRDs in templates/).
std::size_t count_newlines(std::string_view s) {
  std::size_t n = 0;
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (p == nullptr) break;
    ++n;
    ++p;
  }
  return n;
}

// Decode one UTF-8 rune at s[i]; returns the rune (0xFFFD on error) and
// sets `size`. Unlike core's decode_rune (utf8.DecodeRune) this accepts
// overlong forms, surrogates and runes above U+10FFFF; kept as is so that the
// lexer's behaviour on malformed input does not change.
int decode_rune(std::string_view s, std::size_t i, int& size) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    size = 1;
    return c;
  }
  int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (n == 1 || i + n > s.size()) {
    size = 1;
    return 0xFFFD;
  }
  int r = c & (0x3F >> (n - 1));
  for (int k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) {
      size = 1;
      return 0xFFFD;
    }
    r = (r << 6) | (cc & 0x3F);
  }
  size = n;
  return r;
}

// Go's %#U: "U+0040 '@'".
std::string format_rune(int r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (r >= 0x20 && r != 0x7F) {
    out += " '";
    append_rune_unchecked(out, static_cast<char32_t>(r));
    out += "'";
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view input, std::string& error_text) : in_(input), err_(error_text) {}

  std::vector<Item> run() {
    bool in_action = false;
    while (!done_) {
      if (in_action) {
        in_action = lex_inside_action();
      } else {
        in_action = lex_text();
      }
    }
    return std::move(items_);
  }

 private:
  int next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEof;
    }
    const auto c = static_cast<unsigned char>(in_[pos_]);
    if (c >= 0x80) {
      const int r = decode_rune(in_, pos_, width_);
      pos_ += width_;
      return r;
    }
    // ASCII inline: this is the lexer's innermost step.
    width_ = 1;
    ++pos_;
    if (c == '\n') ++line_;
    return c;
  }
  int peek() {
    int r = next();
    backup();
    return r;
  }
  void backup() {
    if (width_ > 0) {
      pos_ -= width_;
      if (in_[pos_] == '\n') --line_;
    }
  }
  void emit(ItemType t) {
    items_.push_back(Item{t, static_cast<int>(start_), start_line_, in_.substr(start_, pos_ - start_)});
    start_ = pos_;
    start_line_ = line_;
  }
  // Emits an error item and stops lexing. Returns false (state: text).
  bool errorf(std::string msg) {
    err_ = std::move(msg);
    items_.push_back(Item{ItemType::Error, static_cast<int>(start_), start_line_, err_});
    done_ = true;
    return false;
  }
  bool accept(std::string_view valid) {
    int r = next();
    if (r != kEof && valid.find(static_cast<char>(r)) != std::string_view::npos && r < 0x80) {
      return true;
    }
    backup();
    return false;
  }
  void accept_run(std::string_view valid) {
    while (accept(valid)) {
    }
  }
  // Moves pos_ to `p`, keeping line_ in step (only forward).
  void advance_to(std::size_t p) {
    line_ += static_cast<int>(count_newlines(in_.substr(pos_, p - pos_)));
    pos_ = p;
  }

  // Go's lexText. Returns true when an action starts.
  bool lex_text() {
    std::size_t x = in_.find(kLeftDelim, pos_);
    if (x == std::string_view::npos) {
      advance_to(in_.size());
      if (pos_ > start_) emit(ItemType::Text);
      emit(ItemType::Eof);
      done_ = true;
      return false;
    }
    if (x > pos_) {
      std::size_t trim = 0;
      if (has_left_trim(in_.substr(x + kLeftDelim.size()))) {
        std::string_view t = in_.substr(start_, x - start_);
        std::size_t keep = t.find_last_not_of(" \t\r\n");
        trim = keep == std::string_view::npos ? t.size() : t.size() - keep - 1;
      }
      advance_to(x - trim);
      if (pos_ > start_) emit(ItemType::Text);
      advance_to(x);
      start_ = pos_;
      start_line_ = line_;
    }
    return lex_left_delim();
  }

  bool lex_left_delim() {
    pos_ += kLeftDelim.size();
    bool trim = has_left_trim(in_.substr(pos_));
    std::size_t after = trim ? 2 : 0;
    if (in_.substr(pos_ + after).substr(0, 2) == "/*") {
      pos_ += after;
      start_ = pos_;
      start_line_ = line_;
      return lex_comment();
    }
    emit(ItemType::LeftDelim);
    pos_ += after;
    start_ = pos_;
    start_line_ = line_;
    paren_depth_ = 0;
    return true;
  }

  bool lex_comment() {
    pos_ += 2;
    std::size_t x = in_.find("*/", pos_);
    if (x == std::string_view::npos) return errorf("unclosed comment");
    advance_to(x + 2);
    bool trim = false;
    if (!at_right_delim(trim)) return errorf("comment ends before closing delimiter");
    if (trim) pos_ += 2;
    pos_ += kRightDelim.size();
    if (trim) skip_leading_space();
    start_ = pos_;
    start_line_ = line_;
    return false;
  }

  void skip_leading_space() {
    std::size_t p = pos_;
    while (p < in_.size() && is_space(static_cast<unsigned char>(in_[p]))) ++p;
    advance_to(p);
  }

  bool at_right_delim(bool& trim) {
    std::string_view rest = in_.substr(pos_);
    if (has_right_trim(rest) && rest.substr(2).substr(0, 2) == kRightDelim) {
      trim = true;
      return true;
    }
    trim = false;
    return rest.substr(0, 2) == kRightDelim;
  }

  bool lex_right_delim() {
    bool trim = false;
    at_right_delim(trim);
    if (trim) {
      advance_to(pos_ + 2);
      start_ = pos_;
      start_line_ = line_;
    }
    pos_ += kRightDelim.size();
    emit(ItemType::RightDelim);
    if (trim) {
      skip_leading_space();
      start_ = pos_;
      start_line_ = line_;
    }
    return false;
  }

  // Go's lexInsideAction: one token per call. Returns true to stay inside.
  bool lex_inside_action() {
    bool trim = false;
    if (at_right_delim(trim)) {
      if (paren_depth_ == 0) return lex_right_delim();
      return errorf("unclosed left paren");
    }
    int r = next();
    if (r == kEof) return errorf("unclosed action");
    if (is_space(r)) {
      backup();
      return lex_space();
    }
    switch (r) {
      case '=':
        emit(ItemType::Assign);
        return true;
      case ':':
        if (next() != '=') return errorf("expected :=");
        emit(ItemType::Declare);
        return true;
      case '|':
        emit(ItemType::Pipe);
        return true;
      case '"':
        return lex_quote();
      case '`':
        return lex_raw_quote();
      case '$':
        return lex_variable();
      case '\'':
        return lex_char();
      case '.':
        if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
          return lex_field_or_variable(ItemType::Field);
        }
        [[fallthrough]];
      case '+':
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9':
        backup();
        return lex_number();
      case '(':
        emit(ItemType::LeftParen);
        ++paren_depth_;
        return true;
      case ')':
        emit(ItemType::RightParen);
        --paren_depth_;
        if (paren_depth_ < 0) return errorf("unexpected right paren");
        return true;
      default:
        break;
    }
    if (is_alnum(r)) {
      backup();
      return lex_identifier();
    }
    if (r < 0x80 && r >= 0x20 && r != 0x7F) {
      emit(ItemType::Char);
      return true;
    }
    return errorf("unrecognized character in action: " + format_rune(r));
  }

  bool lex_space() {
    int num = 0;
    while (is_space(peek())) {
      next();
      ++num;
    }
    // A space followed by "-}}" belongs to the trim marker.
    std::string_view rest = in_.substr(pos_ - 1);
    if (has_right_trim(rest) && rest.substr(2).substr(0, 2) == kRightDelim) {
      backup();
      if (num == 1) return true;
    }
    emit(ItemType::Space);
    return true;
  }

  bool at_terminator() {
    int r = peek();
    if (is_space(r)) return true;
    switch (r) {
      case kEof: case '.': case ',': case '|': case ':': case ')': case '(':
        return true;
      default:
        break;
    }
    return in_.substr(pos_).substr(0, 2) == kRightDelim;
  }

  bool lex_identifier() {
    int r;
    do {
      r = next();
    } while (is_alnum(r));
    backup();
    if (!at_terminator()) return errorf("bad character " + format_rune(peek()));
    std::string_view word = in_.substr(start_, pos_ - start_);
    emit(keyword_type(word));
    return true;
  }

  static ItemType keyword_type(std::string_view w) {
    if (w == "block") return ItemType::Block;
    if (w == "break") return ItemType::Break;
    if (w == "continue") return ItemType::Continue;
    if (w == "define") return ItemType::Define;
    if (w == "else") return ItemType::Else;
    if (w == "end") return ItemType::End;
    if (w == "if") return ItemType::If;
    if (w == "range") return ItemType::Range;
    if (w == "nil") return ItemType::Nil;
    if (w == "template") return ItemType::Template;
    if (w == "with") return ItemType::With;
    if (w == "true" || w == "false") return ItemType::Bool;
    return ItemType::Identifier;
  }

  bool lex_variable() {
    if (at_terminator()) {
      emit(ItemType::Variable);
      return true;
    }
    return lex_field_or_variable(ItemType::Variable);
  }

  bool lex_field_or_variable(ItemType t) {
    if (at_terminator()) {
      emit(t == ItemType::Variable ? ItemType::Variable : ItemType::Dot);
      return true;
    }
    int r;
    do {
      r = next();
    } while (is_alnum(r));
    backup();
    if (!at_terminator()) return errorf("bad character " + format_rune(peek()));
    emit(t);
    return true;
  }

  bool lex_char() {
    for (;;) {
      int r = next();
      if (r == '\\') {
        r = next();
        if (r != kEof && r != '\n') continue;
      }
      if (r == kEof || r == '\n') return errorf("unterminated character constant");
      if (r == '\'') break;
    }
    emit(ItemType::CharConstant);
    return true;
  }

  // Quoted strings are scanned byte by byte, not rune by rune: the bytes
  // that matter are ASCII, which never occur inside a multi-byte rune.
  bool lex_quote() {
    std::size_t p = pos_;
    for (;;) {
      while (p < in_.size() && in_[p] != '"' && in_[p] != '\\' && in_[p] != '\n') ++p;
      if (p == in_.size() || in_[p] == '\n') return errorf("unterminated quoted string");
      if (in_[p] == '"') break;
      // A backslash escapes the next rune, unless that is a newline or EOF.
      if (p + 1 == in_.size() || in_[p + 1] == '\n') {
        return errorf("unterminated quoted string");
      }
      p += 2;
    }
    pos_ = p + 1;
    width_ = 1;
    emit(ItemType::String);
    return true;
  }

  bool lex_raw_quote() {
    const std::size_t x = in_.find('`', pos_);
    if (x == std::string_view::npos) return errorf("unterminated raw quoted string");
    advance_to(x + 1);
    width_ = 1;
    emit(ItemType::RawString);
    return true;
  }

  bool scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (is_alnum(peek())) {
      next();
      return false;
    }
    return true;
  }

  bool lex_number() {
    if (!scan_number()) return errorf("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
    int sign = peek();
    if (sign == '+' || sign == '-') {
      if (!scan_number() || in_[pos_ - 1] != 'i') {
        return errorf("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
      }
      emit(ItemType::Complex);
      return true;
    }
    emit(ItemType::Number);
    return true;
  }

  std::string_view in_;
  std::string& err_;
  std::vector<Item> items_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  int width_ = 0;
  int line_ = 1;
  int start_line_ = 1;
  int paren_depth_ = 0;
  bool done_ = false;
};

}  // namespace

std::string item_string(const Item& item) {
  switch (item.type) {
    case ItemType::Eof:
      return "EOF";
    case ItemType::Error:
      return std::string(item.val);
    default:
      break;
  }
  if (item.type >= ItemType::Block) return "<" + std::string(item.val) + ">";
  // %.10q: at most 10 runes, quoted, then "...".
  std::size_t i = 0;
  int runes = 0;
  while (i < item.val.size() && runes < 10) {
    int size = 1;
    decode_rune(item.val, i, size);
    i += size;
    ++runes;
  }
  if (i < item.val.size()) return go_quote(item.val.substr(0, i)) + "...";
  return go_quote(item.val);
}

std::vector<Item> lex_template(std::string_view input, std::string& error_text) {
  Lexer lexer(input, error_text);
  return lexer.run();
}

}  // namespace cairn::render::detail
