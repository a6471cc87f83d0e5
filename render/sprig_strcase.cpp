// camelcase / snakecase / kebabcase: the word splitting of huandu/xstrings
// 1.3 (the version the reference links), reimplemented over Go's UTF-8 rules.
#include <string>

#include "render/detail/sprig_util.h"

namespace cairn::render::sprig_detail {
namespace {

using Args = std::vector<Value>;

bool is_connector(char32_t r) { return r == '-' || r == '_' || uni_is_space(r); }

// A letter that is not a CJK ideograph.
bool is_alphabet(char32_t r) {
  if (!uni_is_letter(r)) return false;
  if (r < 0x3400) return true;
  if ((r >= 0x4E00 && r <= 0x9FCC) || (r >= 0x3400 && r <= 0x4D85) ||
      (r >= 0x20000 && r <= 0x2B81D)) {
    return false;
  }
  return true;
}

enum class Word { Invalid, Number, Upper, Alphabet, Connector, Punct, Other };

// Cursor over a string that yields runes, skipping invalid UTF-8 the way
// xstrings' nextValidRune does (an all-invalid tail yields `prev`).
struct Next {
  char32_t r;
  std::size_t size;
};
Next next_valid(std::string_view s, char32_t prev) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    // A real U+FFFD counts as invalid too, as utf8.RuneError does in Go.
    char32_t r = next_rune(s, pos);
    if (r != kRuneError) return {r, pos};
  }
  return {prev, pos};
}

struct Split {
  Word type = Word::Invalid;
  std::string_view word, rest;
};

// Reads one word of the same class (xstrings nextWord).
Split next_word(std::string_view s) {
  Split out;
  if (s.empty()) return out;
  std::size_t offset = 0;
  std::string_view rem = s;
  // Plain variables, not a structured binding: the lambda below captures them.
  const auto first = next_valid(rem, kRuneError);
  char32_t r = first.r;
  const std::size_t size = first.size;
  offset += size;
  auto advance_while = [&](auto keep) {
    while (!rem.empty()) {
      auto n = next_valid(rem, r);
      r = n.r;
      if (!keep(r)) break;
      offset += n.size;
      rem.remove_prefix(n.size);
    }
  };
  if (r == kRuneError) {
    out.type = Word::Invalid;
  } else if (is_connector(r)) {
    out.type = Word::Connector;
    rem.remove_prefix(size);
    advance_while(is_connector);
  } else if (uni_is_punct(r)) {
    out.type = Word::Punct;
    rem.remove_prefix(size);
    advance_while(uni_is_punct);
  } else if (uni_is_upper(r)) {
    out.type = Word::Upper;
    rem.remove_prefix(size);
    if (!rem.empty()) {
      auto n = next_valid(rem, r);
      r = n.r;
      if (uni_is_upper(r)) {
        std::size_t prev_size = n.size;
        offset += n.size;
        rem.remove_prefix(n.size);
        while (!rem.empty()) {
          auto m = next_valid(rem, r);
          r = m.r;
          if (!uni_is_upper(r)) break;
          prev_size = m.size;
          offset += m.size;
          rem.remove_prefix(m.size);
        }
        // "HTTPServer": the last capital starts the next word.
        if (!rem.empty() && is_alphabet(r)) offset -= prev_size;
      } else if (is_alphabet(r)) {
        offset += n.size;
        rem.remove_prefix(n.size);
        advance_while([](char32_t c) { return is_alphabet(c) && !uni_is_upper(c); });
      }
    }
  } else if (is_alphabet(r)) {
    out.type = Word::Alphabet;
    rem.remove_prefix(size);
    advance_while([](char32_t c) { return is_alphabet(c) && !uni_is_upper(c); });
  } else if (uni_is_number(r)) {
    out.type = Word::Number;
    rem.remove_prefix(size);
    advance_while(uni_is_number);
  } else {
    out.type = Word::Other;
    rem.remove_prefix(size);
    while (!rem.empty()) {
      auto n = next_valid(rem, r);
      r = n.r;
      if (n.size == 0 || is_connector(r) || is_alphabet(r) || uni_is_number(r) || uni_is_punct(r)) {
        break;
      }
      offset += n.size;
      rem.remove_prefix(n.size);
    }
  }
  out.word = s.substr(0, offset);
  out.rest = s.substr(offset);
  return out;
}

// xstrings toLower: upper-case and connector words are lowered, connectors
// replaced; other words are copied.
void write_lower(std::string& buf, Word type, std::string_view word, char32_t connector) {
  if (type != Word::Upper && type != Word::Connector) {
    buf += word;
    return;
  }
  for (std::size_t pos = 0; pos < word.size();) {
    char32_t r = next_rune(word, pos);
    if (is_connector(r)) {
      append_rune(buf, connector);
    } else if (uni_is_upper(r)) {
      append_rune(buf, uni_to_lower(r));
    } else {
      append_rune(buf, r);
    }
  }
}

// xstrings camelCaseToLowerCase.
std::string to_lower_case(std::string_view str, char32_t connector) {
  if (str.empty()) return "";
  std::string buf;
  Split w = next_word(str);
  while (!w.rest.empty()) {
    if (w.type != Word::Connector) write_lower(buf, w.type, w.word, connector);
    const Word prev = w.type;
    const std::string_view last = w.word;
    w = next_word(w.rest);
    switch (prev) {
      case Word::Number:
        while (w.type == Word::Alphabet || w.type == Word::Number) {
          write_lower(buf, w.type, w.word, connector);
          w = next_word(w.rest);
        }
        if (w.type != Word::Invalid && w.type != Word::Punct && w.type != Word::Connector) {
          append_rune(buf, connector);
        }
        break;
      case Word::Connector:
        write_lower(buf, prev, last, connector);
        break;
      case Word::Punct:
        break;
      default: {
        if (w.type != Word::Number) {
          if (w.type != Word::Connector && w.type != Word::Punct) append_rune(buf, connector);
          break;
        }
        if (w.rest.empty()) break;
        const std::string_view number = w.word;
        w = next_word(w.rest);
        if (w.type != Word::Alphabet) {
          write_lower(buf, Word::Number, number, connector);
          if (w.type != Word::Connector && w.type != Word::Punct) append_rune(buf, connector);
          break;
        }
        append_rune(buf, connector);
        write_lower(buf, Word::Number, number, connector);
        while (w.type == Word::Alphabet || w.type == Word::Number) {
          write_lower(buf, w.type, w.word, connector);
          w = next_word(w.rest);
        }
        if (w.type != Word::Invalid && w.type != Word::Connector && w.type != Word::Punct) {
          append_rune(buf, connector);
        }
        break;
      }
    }
  }
  write_lower(buf, w.type, w.word, connector);
  return buf;
}

// xstrings ToCamelCase (1.3): connectors removed, the letter after one
// upper-cased, the first letter upper-cased, all others lower-cased.
std::string to_camel_case(std::string_view str) {
  if (str.empty()) return "";
  std::string buf;
  std::size_t pos = 0;
  char32_t r0 = 0;
  bool read = false;
  while (pos < str.size()) {
    r0 = next_rune(str, pos);
    read = true;
    if (!is_connector(r0)) {
      r0 = uni_to_upper(r0);
      break;
    }
    append_rune(buf, r0);
  }
  if (pos >= str.size()) {
    if (read) append_rune(buf, r0);
    return buf;
  }
  while (pos < str.size()) {
    const char32_t r1 = r0;
    r0 = next_rune(str, pos);
    if (is_connector(r0) && is_connector(r1)) {
      append_rune(buf, r1);
      continue;
    }
    if (is_connector(r1)) {
      r0 = uni_to_upper(r0);
    } else {
      r0 = uni_to_lower(r0);
      append_rune(buf, r1);
    }
  }
  append_rune(buf, r0);
  return buf;
}

}  // namespace

void add_sprig_case_funcs(FuncMap& f) {
  sprig_def(f, "snakecase", {Param::String}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(to_lower_case(a[0].as_string(), '_'));
  });
  sprig_def(f, "kebabcase", {Param::String}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(to_lower_case(a[0].as_string(), '-'));
  });
  sprig_def(f, "camelcase", {Param::String}, false, [](CallContext&, Args& a) -> Result<Value> {
    return Value(to_camel_case(a[0].as_string()));
  });
}

}  // namespace cairn::render::sprig_detail
