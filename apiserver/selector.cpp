// Label and field selector parsing and matching (see selector.h). The label lexer and parser
// follow apimachinery's labels/selector.go token for token, so that what kube-apiserver accepts
// and rejects, and the error text, are the same here.
#include "apiserver/selector.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>

#include "apiserver/detail/go_text.h"

namespace cairn::apiserver {

std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'";
    out += e;
    out += "', ";
  }
  out += "regex used for validation is '";
  out += fmt;
  out += "')";
  return out;
}

namespace {

// ------------------------------------------------------------------ validation

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";

std::string max_len_error(int n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool is_dns1123_label(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    if (!is_dns1123_label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// field.Invalid(path, value, detail).Error()
std::string invalid_value(std::string_view path, std::string_view value, std::string_view detail) {
  std::string out(path);
  out += ": Invalid value: ";
  out += go::quote(value);
  out += ": ";
  out += detail;
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

bool parse_int64(std::string_view s, std::int64_t& out) {
  // strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range.
  if (s.empty()) return false;
  std::string_view digits = s;
  bool negative = false;
  if (digits.front() == '+' || digits.front() == '-') {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMax + 1) return false;
    out = magnitude == kMax + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return false;
    out = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

// ------------------------------------------------------------------ label lexer

enum class Tok {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Tok tok;
  std::string literal;
};

std::optional<Tok> literal_token(std::string_view s) {
  if (s == ")") return Tok::kClosedPar;
  if (s == ",") return Tok::kComma;
  if (s == "!") return Tok::kDoesNotExist;
  if (s == "==") return Tok::kDoubleEquals;
  if (s == "=") return Tok::kEquals;
  if (s == ">") return Tok::kGreaterThan;
  if (s == "in") return Tok::kIn;
  if (s == "<") return Tok::kLessThan;
  if (s == "!=") return Tok::kNotEquals;
  if (s == "notin") return Tok::kNotIn;
  if (s == "(") return Tok::kOpenPar;
  return std::nullopt;
}

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_special(char c) {
  switch (c) {
    case '=': case '!': case '(': case ')': case ',': case '>': case '<': return true;
    default: return false;
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item lex() {
    char ch = read();
    while (is_whitespace(ch)) ch = read();
    if (ch == 0) return {Tok::kEnd, ""};
    unread();
    return is_special(ch) ? scan_special() : scan_identifier();
  }

 private:
  // Like Go's Lexer.read: a NUL byte reads as the end of the input.
  char read() {
    char b = 0;
    if (pos_ < s_.size()) b = s_[pos_];
    ++pos_;
    return b;
  }
  void unread() { --pos_; }

  Item scan_identifier() {
    std::string buffer;
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (is_special(ch) || is_whitespace(ch)) {
        unread();
        break;
      }
      buffer += ch;
    }
    if (auto t = literal_token(buffer)) return {*t, buffer};
    return {Tok::kIdentifier, buffer};
  }

  Item scan_special() {
    std::optional<Item> last;
    std::string buffer;
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (!is_special(ch)) {
        unread();
        break;
      }
      buffer += ch;
      if (auto t = literal_token(buffer)) {
        last = Item{*t, buffer};
      } else if (last) {
        unread();
        break;
      }
    }
    if (!last) return {Tok::kError, "error expected: keyword found '" + buffer + "'"};
    return *last;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// ------------------------------------------------------------------ label parser

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) {
    Lexer lexer(text);
    while (true) {
      items_.push_back(lexer.lex());
      if (items_.back().tok == Tok::kEnd) break;
    }
  }

  Result<std::vector<LabelRequirement>> parse() {
    std::vector<LabelRequirement> out;
    while (true) {
      auto [tok, lit] = lookahead(Context::kValues);
      switch (tok) {
        case Tok::kIdentifier:
        case Tok::kDoesNotExist: {
          auto r = parse_requirement();
          if (!r) return fail("unable to parse requirement: " + r.error());
          out.push_back(std::move(*r));
          auto [t, l] = consume(Context::kValues);
          if (t == Tok::kEnd) return out;
          if (t == Tok::kComma) {
            auto [t2, l2] = lookahead(Context::kValues);
            if (t2 != Tok::kIdentifier && t2 != Tok::kDoesNotExist) {
              return fail("found '" + l2 + "', expected: identifier after ','");
            }
          } else {
            return fail("found '" + l + "', expected: ',' or 'end of string'");
          }
          break;
        }
        case Tok::kEnd:
          return out;
        default:
          return fail("found '" + lit + "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  static tl::unexpected<Status> fail(std::string message) {
    return error(StatusCode::kBadRequest, std::move(message));
  }

  static Tok in_context(Tok t, Context c) {
    if (c == Context::kValues && (t == Tok::kIn || t == Tok::kNotIn)) return Tok::kIdentifier;
    return t;
  }
  std::pair<Tok, std::string> lookahead(Context c) const {
    const Item& it = items_[std::min(pos_, items_.size() - 1)];
    return {in_context(it.tok, c), it.literal};
  }
  std::pair<Tok, std::string> consume(Context c) {
    const Item& it = items_[std::min(pos_, items_.size() - 1)];
    ++pos_;
    return {in_context(it.tok, c), it.literal};
  }

  tl::expected<LabelRequirement, std::string> parse_requirement() {
    LabelRequirement r;
    auto [tok, literal] = consume(Context::kValues);
    bool not_exists = false;
    if (tok == Tok::kDoesNotExist) {
      not_exists = true;
      std::tie(tok, literal) = consume(Context::kValues);
    }
    if (tok != Tok::kIdentifier) {
      return tl::unexpected("found '" + literal + "', expected: identifier");
    }
    if (auto errs = label_key_errors(literal); !errs.empty()) {
      return tl::unexpected(invalid_value("<nil>", literal, join(errs, "; ")));
    }
    r.key = literal;
    auto [next, next_lit] = lookahead(Context::kValues);
    if (not_exists || next == Tok::kEnd || next == Tok::kComma) {
      // `!key` followed by anything but the end or a comma is caught by the caller.
      r.op = not_exists ? LabelOperator::kDoesNotExist : LabelOperator::kExists;
      return r;
    }
    auto [op_tok, op_lit] = consume(Context::kKeyAndOperator);
    switch (op_tok) {
      case Tok::kIn: r.op = LabelOperator::kIn; break;
      case Tok::kEquals: r.op = LabelOperator::kEquals; break;
      case Tok::kDoubleEquals: r.op = LabelOperator::kDoubleEquals; break;
      case Tok::kGreaterThan: r.op = LabelOperator::kGreaterThan; break;
      case Tok::kLessThan: r.op = LabelOperator::kLessThan; break;
      case Tok::kNotIn: r.op = LabelOperator::kNotIn; break;
      case Tok::kNotEquals: r.op = LabelOperator::kNotEquals; break;
      default:
        return tl::unexpected("found '" + op_lit + "', expected: in, notin, =, ==, !=, gt, lt");
    }
    auto values = (r.op == LabelOperator::kIn || r.op == LabelOperator::kNotIn)
                      ? parse_values()
                      : parse_exact_value();
    if (!values) return tl::unexpected(values.error());
    std::sort(values->begin(), values->end());
    values->erase(std::unique(values->begin(), values->end()), values->end());
    r.values = std::move(*values);
    if (auto err = requirement_errors(r); !err.empty()) return tl::unexpected(err);
    return r;
  }

  tl::expected<std::vector<std::string>, std::string> parse_values() {
    auto [tok, lit] = consume(Context::kValues);
    if (tok != Tok::kOpenPar) return tl::unexpected("found '" + lit + "' expected: '('");
    std::tie(tok, lit) = lookahead(Context::kValues);
    switch (tok) {
      case Tok::kIdentifier:
      case Tok::kComma: {
        auto s = parse_identifiers_list();
        if (!s) return s;
        if (consume(Context::kValues).first != Tok::kClosedPar) {
          return tl::unexpected("found '" + lit + "', expected: ')'");
        }
        return s;
      }
      case Tok::kClosedPar:
        consume(Context::kValues);
        return std::vector<std::string>{""};
      default:
        return tl::unexpected("found '" + lit + "', expected: ',', ')' or identifier");
    }
  }

  tl::expected<std::vector<std::string>, std::string> parse_identifiers_list() {
    std::vector<std::string> s;
    while (true) {
      auto [tok, lit] = consume(Context::kValues);
      if (tok == Tok::kIdentifier) {
        s.push_back(lit);
        auto [tok2, lit2] = lookahead(Context::kValues);
        if (tok2 == Tok::kComma) continue;
        if (tok2 == Tok::kClosedPar) return s;
        return tl::unexpected("found '" + lit2 + "', expected: ',' or ')'");
      }
      if (tok == Tok::kComma) {
        if (s.empty()) s.push_back("");  // "(,"
        auto tok2 = lookahead(Context::kValues).first;
        if (tok2 == Tok::kClosedPar) {  // ",)"
          s.push_back("");
          return s;
        }
        if (tok2 == Tok::kComma) s.push_back("");  // ",,"
        continue;
      }
      return tl::unexpected("found '" + lit + "', expected: ',', or identifier");
    }
  }

  tl::expected<std::vector<std::string>, std::string> parse_exact_value() {
    auto tok = lookahead(Context::kValues).first;
    if (tok == Tok::kEnd || tok == Tok::kComma) return std::vector<std::string>{""};
    auto [t, lit] = consume(Context::kValues);
    if (t == Tok::kIdentifier) return std::vector<std::string>{lit};
    return tl::unexpected("found '" + lit + "', expected: identifier");
  }

  // labels.NewRequirement's checks on the values (the key is checked already); the messages of
  // a field.ErrorList aggregate: one error as it is, several as "[e1, e2]".
  static std::string requirement_errors(const LabelRequirement& r) {
    std::vector<std::string> errs;
    if (r.op == LabelOperator::kGreaterThan || r.op == LabelOperator::kLessThan) {
      for (std::size_t i = 0; i < r.values.size(); ++i) {
        std::int64_t ignored = 0;
        if (!parse_int64(r.values[i], ignored)) {
          errs.push_back(invalid_value("values[" + std::to_string(i) + "]", r.values[i],
                                       "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
    }
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      if (auto v = label_value_errors(r.values[i]); !v.empty()) {
        errs.push_back(invalid_value("values[" + std::to_string(i) + "][" + r.key + "]",
                                     r.values[i], join(v, "; ")));
      }
    }
    if (errs.empty()) return {};
    if (errs.size() == 1) return errs[0];
    return "[" + join(errs, ", ") + "]";
  }

  std::vector<Item> items_;
  std::size_t pos_ = 0;
};

const nlohmann::json* find_label(const nlohmann::json& labels, const std::string& key) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &*it;
}

std::string label_string(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// fields.EscapeValue
std::string escape_field_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------ validation (public)

std::vector<std::string> dns1123_subdomain_errors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(max_len_error(253));
  if (!is_dns1123_subdomain(value)) {
    errs.push_back(regex_error(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> label_key_errors(std::string_view key) {
  std::vector<std::string> errs;
  std::string_view name = key;
  const std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back("a qualified name " +
                     regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                 {"MyName", "my.name", "123-abc"}) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& e : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + e);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + max_len_error(63));
  }
  if (!is_qualified_name_part(name)) {
    errs.push_back("name part " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value_errors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len_error(63));
  if (!value.empty() && !is_qualified_name_part(value)) {
    errs.push_back(regex_error(kLabelValueErrMsg, "(" + std::string(kQualifiedNameFmt) + ")?",
                               {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

// ------------------------------------------------------------------ LabelRequirement

bool LabelRequirement::matches(const nlohmann::json& labels) const {
  const nlohmann::json* v = find_label(labels, key);
  auto has_value = [&](const std::string& s) {
    return std::binary_search(values.begin(), values.end(), s);
  };
  switch (op) {
    case LabelOperator::kIn:
    case LabelOperator::kEquals:
    case LabelOperator::kDoubleEquals:
      return v != nullptr && has_value(label_string(*v));
    case LabelOperator::kNotIn:
    case LabelOperator::kNotEquals:
      return v == nullptr || !has_value(label_string(*v));
    case LabelOperator::kExists:
      return v != nullptr;
    case LabelOperator::kDoesNotExist:
      return v == nullptr;
    case LabelOperator::kGreaterThan:
    case LabelOperator::kLessThan: {
      std::int64_t have = 0, want = 0;
      if (v == nullptr || values.size() != 1 || !parse_int64(label_string(*v), have) ||
          !parse_int64(values[0], want)) {
        return false;
      }
      return op == LabelOperator::kGreaterThan ? have > want : have < want;
    }
  }
  return false;
}

std::string LabelRequirement::to_string() const {
  std::string out;
  if (op == LabelOperator::kDoesNotExist) out += '!';
  out += key;
  switch (op) {
    case LabelOperator::kEquals: out += "="; break;
    case LabelOperator::kDoubleEquals: out += "=="; break;
    case LabelOperator::kNotEquals: out += "!="; break;
    case LabelOperator::kIn: out += " in ("; break;
    case LabelOperator::kNotIn: out += " notin ("; break;
    case LabelOperator::kGreaterThan: out += ">"; break;
    case LabelOperator::kLessThan: out += "<"; break;
    case LabelOperator::kExists:
    case LabelOperator::kDoesNotExist: return out;
  }
  out += join(values, ",");
  if (op == LabelOperator::kIn || op == LabelOperator::kNotIn) out += ")";
  return out;
}

// ------------------------------------------------------------------ LabelSelector

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  Parser parser(text);
  auto reqs = parser.parse();
  if (!reqs) return tl::unexpected(reqs.error());
  LabelSelector s;
  s.requirements_ = std::move(*reqs);
  std::stable_sort(s.requirements_.begin(), s.requirements_.end(),
                   [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
  return s;
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.matches(labels); });
}

bool LabelSelector::matches_object(const nlohmann::json& object) const {
  if (requirements_.empty()) return true;
  static const nlohmann::json kNone;
  if (!object.is_object()) return matches(kNone);
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return matches(kNone);
  auto labels = md->find("labels");
  return matches(labels == md->end() ? kNone : *labels);
}

std::string LabelSelector::to_string() const {
  std::vector<std::string> parts;
  for (const auto& r : requirements_) parts.push_back(r.to_string());
  return join(parts, ",");
}

// ------------------------------------------------------------------ FieldSelector

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
  // fields.splitTerms: split at commas that are not escaped with a backslash.
  std::vector<std::string> terms;
  if (!text.empty()) {
    std::size_t start = 0;
    bool in_slash = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (in_slash) {
        in_slash = false;
      } else if (text[i] == '\\') {
        in_slash = true;
      } else if (text[i] == ',') {
        terms.emplace_back(text.substr(start, i - start));
        start = i + 1;
      }
    }
    terms.emplace_back(text.substr(start));
  }
  std::sort(terms.begin(), terms.end());

  FieldSelector s;
  for (const std::string& term : terms) {
    if (term.empty()) continue;
    // fields.splitTerm: the first operator occurrence splits; "!=" and "==" before "=".
    std::size_t at = std::string::npos, op_len = 0;
    bool equals = true;
    for (std::size_t i = 0; i < term.size() && at == std::string::npos; ++i) {
      std::string_view rest = std::string_view(term).substr(i);
      if (rest.starts_with("!=")) {
        at = i, op_len = 2, equals = false;
      } else if (rest.starts_with("==")) {
        at = i, op_len = 2;
      } else if (rest.starts_with("=")) {
        at = i, op_len = 1;
      }
    }
    if (at == std::string::npos) {
      return error(StatusCode::kBadRequest, "invalid selector: '" + std::string(text) +
                                                "'; can't understand '" + term + "'");
    }
    // fields.UnescapeValue
    std::string value;
    bool in_slash = false;
    for (char c : std::string_view(term).substr(at + op_len)) {
      if (in_slash) {
        if (c != '\\' && c != ',' && c != '=') {
          return error(StatusCode::kBadRequest,
                       std::string("invalid field selector: invalid escape sequence: \\") + c);
        }
        value += c;
        in_slash = false;
      } else if (c == '\\') {
        in_slash = true;
      } else if (c == ',' || c == '=') {
        return error(StatusCode::kBadRequest,
                     std::string("invalid field selector: unescaped character in value: ") + c);
      } else {
        value += c;
      }
    }
    if (in_slash) {
      return error(StatusCode::kBadRequest, "invalid field selector: invalid escape sequence: \\");
    }
    s.requirements_.push_back({term.substr(0, at), equals, std::move(value)});
  }
  return s;
}

bool FieldSelector::matches_object(const nlohmann::json& object) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const FieldRequirement& r) {
    return (field_value(object, r.field) == r.value) == r.equals;
  });
}

std::string FieldSelector::to_string() const {
  std::vector<std::string> parts;
  for (const auto& r : requirements_) {
    parts.push_back(r.field + (r.equals ? "=" : "!=") + escape_field_value(r.value));
  }
  return join(parts, ",");
}

std::string field_value(const nlohmann::json& object, std::string_view field) {
  // Field labels whose name differs from the JSON path (kube's per-type field functions).
  std::string_view path = field;
  std::string fallback;
  if (field == "status.successful") {  // batch/v1 Job: strconv.Itoa(status.succeeded)
    path = "status.succeeded";
    fallback = "0";
  } else if (field == "source") {  // core/v1 Event: source.component
    path = "source.component";
  }
  const nlohmann::json* cur = &object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string part(path.substr(start, dot - start));
    if (!cur->is_object()) return fallback;
    auto it = cur->find(part);
    if (it == cur->end()) return fallback;
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_number() || cur->is_boolean()) return cur->dump();
  return fallback;
}

std::vector<std::string> supported_field_labels(std::string_view group,
                                                std::string_view resource) {
  std::vector<std::string> out = {"metadata.name", "metadata.namespace"};
  auto add = [&](std::initializer_list<const char*> fields) {
    for (const char* f : fields) out.emplace_back(f);
  };
  if (group.empty() && resource == "events") {
    add({"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
         "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
         "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"});
  } else if (group.empty() && resource == "secrets") {
    add({"type"});
  } else if (group.empty() && resource == "namespaces") {
    add({"status.phase"});
  } else if (group == "batch" && resource == "jobs") {
    add({"status.successful"});
  }
  return out;
}

Result<void> check_field_selector(const FieldSelector& selector,
                                  std::span<const std::string> supported, bool custom_resource) {
  for (const auto& r : selector.requirements()) {
    if (std::find(supported.begin(), supported.end(), r.field) != supported.end()) continue;
    if (custom_resource) {
      return error(StatusCode::kBadRequest,
                   go::quote(r.field) +
                       " is not a known field selector: only \"metadata.name\", "
                       "\"metadata.namespace\"");
    }
    return error(StatusCode::kBadRequest, "field label not supported: " + r.field);
  }
  return {};
}

}  // namespace cairn::apiserver
