// LabelSelector (declared in kube/informer.h): a small lexer and recursive-descent parser for
// kube's label selector syntax, and matching against metadata.labels.
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "kube/informer.h"

namespace cairn::kube {

namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A label name or value: at most 63 characters, alphanumerics plus '-', '_' and '.', starting and
// ending alphanumeric. Values may also be empty.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// A DNS-1123 subdomain (the optional key prefix): lowercase alphanumerics, '-' and '.'.
bool valid_prefix(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    const bool lower_alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!lower_alnum && c != '-' && c != '.') return false;
  }
  return is_alnum(s.front()) && is_alnum(s.back());
}

bool valid_key(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return valid_name(key);
  return valid_prefix(key.substr(0, slash)) && valid_name(key.substr(slash + 1));
}

bool valid_value(std::string_view value) { return value.empty() || valid_name(value); }

enum class Tok { kEnd, kIdent, kNot, kEquals, kDoubleEquals, kNotEquals, kComma, kOpen, kClose };

const char* describe(Tok t) {
  switch (t) {
    case Tok::kEnd:
      return "end of string";
    case Tok::kIdent:
      return "identifier";
    case Tok::kNot:
      return "!";
    case Tok::kEquals:
      return "=";
    case Tok::kDoubleEquals:
      return "==";
    case Tok::kNotEquals:
      return "!=";
    case Tok::kComma:
      return ",";
    case Tok::kOpen:
      return "(";
    case Tok::kClose:
      return ")";
  }
  return "?";
}

bool is_special(char c) {
  return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' ||
         std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

// Friend of LabelSelector: builds its requirements.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<LabelSelector> parse() {
    LabelSelector out;
    advance();
    if (tok_ == Tok::kEnd) return out;
    for (;;) {
      auto r = requirement();
      if (!r) return tl::unexpected(r.error());
      out.requirements_.push_back(std::move(*r));
      if (tok_ == Tok::kEnd) return out;
      if (tok_ != Tok::kComma) return unexpected_token("',' or end of string");
      advance();
    }
  }

 private:
  using Requirement = LabelSelector::Requirement;
  using Op = LabelSelector::Op;

  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
    text_start_ = pos_;
    if (pos_ >= text_.size()) {
      tok_ = Tok::kEnd;
      lexeme_.clear();
      return;
    }
    const char c = text_[pos_];
    const bool next_is_eq = pos_ + 1 < text_.size() && text_[pos_ + 1] == '=';
    if (c == '!') {
      tok_ = next_is_eq ? Tok::kNotEquals : Tok::kNot;
      pos_ += next_is_eq ? 2 : 1;
    } else if (c == '=') {
      tok_ = next_is_eq ? Tok::kDoubleEquals : Tok::kEquals;
      pos_ += next_is_eq ? 2 : 1;
    } else if (c == ',') {
      tok_ = Tok::kComma;
      ++pos_;
    } else if (c == '(') {
      tok_ = Tok::kOpen;
      ++pos_;
    } else if (c == ')') {
      tok_ = Tok::kClose;
      ++pos_;
    } else {
      tok_ = Tok::kIdent;
      while (pos_ < text_.size() && !is_special(text_[pos_])) ++pos_;
    }
    lexeme_ = std::string(text_.substr(text_start_, pos_ - text_start_));
  }

  Error fail(const std::string& message) const {
    return make_error(ErrorKind::kConfig,
                      "unable to parse label selector \"" + std::string(text_) + "\": " + message);
  }

  tl::unexpected<Error> unexpected_token(const std::string& expected) const {
    const std::string found = tok_ == Tok::kEnd ? describe(tok_) : "'" + lexeme_ + "'";
    return tl::unexpected(fail("found " + found + ", expected: " + expected));
  }

  Result<Requirement> requirement() {
    Requirement r;
    if (tok_ == Tok::kNot) {
      advance();
      if (tok_ != Tok::kIdent) return unexpected_token("identifier");
      if (!valid_key(lexeme_)) return tl::unexpected(fail("invalid label key \"" + lexeme_ + "\""));
      r.key = lexeme_;
      r.op = Op::kNotExists;
      advance();
      return r;
    }
    if (tok_ != Tok::kIdent) return unexpected_token("'!' or identifier");
    if (!valid_key(lexeme_)) return tl::unexpected(fail("invalid label key \"" + lexeme_ + "\""));
    r.key = lexeme_;
    advance();
    switch (tok_) {
      case Tok::kEnd:
      case Tok::kComma:
        r.op = Op::kExists;
        return r;
      case Tok::kEquals:
      case Tok::kDoubleEquals:
      case Tok::kNotEquals: {
        r.op = tok_ == Tok::kNotEquals ? Op::kNotEquals : Op::kEquals;
        advance();
        std::string value;
        if (tok_ == Tok::kIdent) {
          value = lexeme_;
          advance();
        } else if (tok_ != Tok::kEnd && tok_ != Tok::kComma) {
          return unexpected_token("identifier");
        }
        if (!valid_value(value))
          return tl::unexpected(fail("invalid label value \"" + value + "\""));
        r.values.push_back(std::move(value));
        return r;
      }
      case Tok::kIdent:
        if (lexeme_ == "in" || lexeme_ == "notin") {
          r.op = lexeme_ == "in" ? Op::kIn : Op::kNotIn;
          advance();
          auto values = value_set();
          if (!values) return tl::unexpected(values.error());
          r.values = std::move(*values);
          return r;
        }
        return unexpected_token("'=', '!=', '==', 'in', 'notin'");
      default:
        return unexpected_token("'=', '!=', '==', 'in', 'notin'");
    }
  }

  // "(" [value {"," value}] ")"
  Result<std::vector<std::string>> value_set() {
    if (tok_ != Tok::kOpen) return unexpected_token("'('");
    advance();
    std::vector<std::string> values;
    if (tok_ == Tok::kClose) {
      advance();
      return values;
    }
    for (;;) {
      std::string value;
      if (tok_ == Tok::kIdent) {
        value = lexeme_;
        advance();
      } else if (tok_ != Tok::kComma && tok_ != Tok::kClose) {
        return unexpected_token("identifier");
      }
      if (!valid_value(value)) return tl::unexpected(fail("invalid label value \"" + value + "\""));
      values.push_back(std::move(value));
      if (tok_ == Tok::kClose) {
        advance();
        return values;
      }
      if (tok_ != Tok::kComma) return unexpected_token("',' or ')'");
      advance();
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t text_start_ = 0;
  Tok tok_ = Tok::kEnd;
  std::string lexeme_;
};

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  return SelectorParser(text).parse();
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  for (const Requirement& r : requirements_) {
    const nlohmann::json* value = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) value = &*it;
    }
    auto in_values = [&r, value] {
      const auto& v = value->get_ref<const std::string&>();
      for (const auto& candidate : r.values) {
        if (candidate == v) return true;
      }
      return false;
    };
    bool ok = false;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = value != nullptr && in_values();
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = value == nullptr || !in_values();
        break;
      case Op::kExists:
        ok = value != nullptr;
        break;
      case Op::kNotExists:
        ok = value == nullptr;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool LabelSelector::matches_object(const nlohmann::json& object) const {
  static const nlohmann::json kNone;
  if (!object.is_object()) return matches(kNone);
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return matches(kNone);
  auto labels = meta->find("labels");
  return matches(labels == meta->end() ? kNone : *labels);
}

}  // namespace cairn::kube
