// Lexer of Go's text/template (text/template/parse/lex.go), delimiters "{{" "}}".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::render::detail {

enum class ItemType : std::uint8_t {
  Error,  // val is the message
  Bool,
  Char,          // printable ASCII character not otherwise handled (",")
  CharConstant,  // 'a'
  Comment,
  Complex,  // 1+2i
  Assign,   // =
  Declare,  // :=
  Eof,
  Field,  // .Name
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,  // $x
  // Keywords (Go: > itemKeyword).
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
};

struct Item {
  ItemType type;
  int pos;
  int line;
  std::string_view val;  // into the input (or an error message in `errors`)
};

// Go's item.String(): EOF, error text, <keyword>, or the %q form (cut at 10).
std::string item_string(const Item& item);

// Lex `input` completely. The last item is Eof or Error. Error texts are
// owned by `error_text` (which must outlive the items).
std::vector<Item> lex_template(std::string_view input, std::string& error_text);

}  // namespace cairn::render::detail
