// Parser of Go's text/template (text/template/parse/parse.go, node.go):
// the same trees, node positions and error texts.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "render/detail/gofmt_strconv.h"
#include "render/detail/tmpl_ast.h"
#include "render/detail/tmpl_lex.h"
#include "render/gofmt.h"

namespace cairn::render::detail {

// ---------------------------------------------------------------- String()

void ListNode::write_to(std::string& out) const {
  for (const auto& n : nodes) n->write_to(out);
}

void VariableNode::write_to(std::string& out) const {
  for (std::size_t i = 0; i < idents.size(); ++i) {
    if (i > 0) out += '.';
    out += idents[i];
  }
}

void PipeNode::write_to(std::string& out) const {
  if (!decl.empty()) {
    for (std::size_t i = 0; i < decl.size(); ++i) {
      if (i > 0) out += ", ";
      decl[i]->write_to(out);
    }
    out += is_assign ? " = " : " := ";
  }
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) out += " | ";
    cmds[i]->write_to(out);
  }
}

void CommandNode::write_to(std::string& out) const {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    if (args[i]->type == NodeType::Pipe) {
      out += '(';
      args[i]->write_to(out);
      out += ')';
    } else {
      args[i]->write_to(out);
    }
  }
}

void ActionNode::write_to(std::string& out) const {
  out += "{{";
  pipe->write_to(out);
  out += "}}";
}

void BranchNode::write_to(std::string& out) const {
  out += type == NodeType::If ? "{{if " : type == NodeType::Range ? "{{range " : "{{with ";
  pipe->write_to(out);
  out += "}}";
  list->write_to(out);
  if (else_list) {
    out += "{{else}}";
    else_list->write_to(out);
  }
  out += "{{end}}";
}

void TemplateNode::write_to(std::string& out) const {
  out += "{{template ";
  out += go_quote(name);
  if (pipe) {
    out += ' ';
    pipe->write_to(out);
  }
  out += "}}";
}

void KeywordNode::write_to(std::string& out) const {
  switch (type) {
    case NodeType::Break: out += "{{break}}"; break;
    case NodeType::Continue: out += "{{continue}}"; break;
    case NodeType::End: out += "{{end}}"; break;
    default: out += "{{else}}"; break;
  }
}

void FieldNode::write_to(std::string& out) const {
  for (const auto& id : idents) {
    out += '.';
    out += id;
  }
}

void ChainNode::write_to(std::string& out) const {
  if (node->type == NodeType::Pipe) {
    out += '(';
    node->write_to(out);
    out += ')';
  } else {
    node->write_to(out);
  }
  for (const auto& f : fields) {
    out += '.';
    out += f;
  }
}

void SimpleNode::write_to(std::string& out) const {
  switch (type) {
    case NodeType::Dot: out += '.'; break;
    case NodeType::Nil: out += "nil"; break;
    default: out += truth ? "true" : "false"; break;
  }
}

bool is_empty_tree(const Node* n) {
  switch (n->type) {
    case NodeType::List:
      for (const auto& c : static_cast<const ListNode*>(n)->nodes) {
        if (!is_empty_tree(c.get())) return false;
      }
      return true;
    case NodeType::Text: {
      std::string_view t = static_cast<const TextNode*>(n)->text;
      return t.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
    }
    default:
      return false;
  }
}

namespace {

// ---------------------------------------------------------------- numbers

// strconv.ParseFloat(s, 64) for the forms the lexer produces.
bool parse_go_float(std::string_view s, double& out) {
  std::string clean;
  clean.reserve(s.size());
  for (char c : s) {
    if (c != '_') clean += c;
  }
  std::string_view body = clean;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body.size() >= 2 && body[0] == '0' && (body[1] | 0x20) == 'x') {
    if (body.find_first_of("pP") == std::string_view::npos) return false;
  } else if (body.size() >= 2 && body[0] == '0' && ((body[1] | 0x20) == 'o' || (body[1] | 0x20) == 'b')) {
    return false;
  }
  if (body.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return false;
  if (errno == ERANGE && std::isinf(d)) return false;
  out = d;
  return true;
}

bool contains_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

void simplify_complex(NumberNode& n) {
  n.is_float = n.imag == 0;
  if (n.is_float) {
    n.float64 = n.real;
    n.is_int = std::fabs(n.float64) < 9.2e18 &&
               static_cast<double>(static_cast<std::int64_t>(n.float64)) == n.float64;
    if (n.is_int) n.int64 = static_cast<std::int64_t>(n.float64);
    n.is_uint = n.float64 >= 0 && n.float64 < 1.8e19 &&
                static_cast<double>(static_cast<std::uint64_t>(n.float64)) == n.float64;
    if (n.is_uint) n.uint64 = static_cast<std::uint64_t>(n.float64);
  }
}

// Go's Tree.newNumber. Returns an error text on failure.
std::string fill_number(NumberNode& n, ItemType typ) {
  const std::string& text = n.text;
  if (typ == ItemType::CharConstant) {
    std::string s;
    if (!go_unquote(text, s) || s.empty()) {
      // Go's UnquoteChar reads one character; anything left is malformed.
      bool one_char = text.size() >= 3 && (text[1] == '\\' || text.size() == 3);
      return one_char ? "invalid syntax" : "malformed character constant: " + text;
    }
    unsigned char c = static_cast<unsigned char>(s[0]);
    std::int64_t r = c;
    std::size_t len = 1;
    if (c >= 0xC0) {
      len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      r = c & (0x3F >> (len - 1));
      for (std::size_t k = 1; k < len && k < s.size(); ++k) r = (r << 6) | (s[k] & 0x3F);
    }
    if (len != s.size()) return "malformed character constant: " + text;
    n.int64 = r;
    n.uint64 = static_cast<std::uint64_t>(r);
    n.float64 = static_cast<double>(r);
    n.is_int = n.is_uint = n.is_float = true;
    return "";
  }
  if (typ == ItemType::Complex) {
    // "re+imi": split at the sign that starts the imaginary part.
    std::size_t split = text.find_last_of("+-");
    while (split != std::string::npos && split > 0 && (text[split - 1] | 0x20) == 'e') {
      split = text.find_last_of("+-", split - 1);
    }
    double re = 0, im = 0;
    if (split == std::string::npos || split == 0 ||
        !parse_go_float(std::string_view(text).substr(0, split), re) ||
        !parse_go_float(std::string_view(text).substr(split, text.size() - split - 1), im)) {
      return "expected integer";
    }
    n.is_complex = true;
    n.real = re;
    n.imag = im;
    simplify_complex(n);
    return "";
  }
  if (!text.empty() && text.back() == 'i') {
    double f;
    if (parse_go_float(std::string_view(text).substr(0, text.size() - 1), f)) {
      n.is_complex = true;
      n.real = 0;
      n.imag = f;
      simplify_complex(n);
      return "";
    }
  }
  std::uint64_t u = 0;
  if (parse_go_uint(text, u)) {
    n.is_uint = true;
    n.uint64 = u;
  }
  std::int64_t i = 0;
  if (parse_go_int(text, i)) {
    n.is_int = true;
    n.int64 = i;
    if (i == 0) {
      n.is_uint = true;
      n.uint64 = u;
    }
  }
  if (n.is_int) {
    n.is_float = true;
    n.float64 = static_cast<double>(n.int64);
  } else if (n.is_uint) {
    n.is_float = true;
    n.float64 = static_cast<double>(n.uint64);
  } else {
    double f;
    if (parse_go_float(text, f)) {
      if (!contains_any(text, ".eEpP")) return "integer overflow: " + go_quote(text);
      n.is_float = true;
      n.float64 = f;
      if (std::fabs(f) < 9.2e18 && static_cast<double>(static_cast<std::int64_t>(f)) == f) {
        n.is_int = true;
        n.int64 = static_cast<std::int64_t>(f);
      }
      if (f >= 0 && f < 1.8e19 && static_cast<double>(static_cast<std::uint64_t>(f)) == f) {
        n.is_uint = true;
        n.uint64 = static_cast<std::uint64_t>(f);
      }
    }
  }
  if (!n.is_int && !n.is_uint && !n.is_float) return "illegal number syntax: " + go_quote(text);
  return "";
}

// Go's state.idealConstant, computed once at parse time.
void compute_ideal(NumberNode& n) {
  const std::string& t = n.text;
  bool hex_int = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && !contains_any(t, "pP");
  bool rune_int = !t.empty() && t[0] == '\'';
  if (n.is_complex) {
    n.ideal = Value::complex(n.real, n.imag);
  } else if (n.is_float && !hex_int && !rune_int && contains_any(t, ".eEpP")) {
    n.ideal = Value::floating(n.float64);
  } else if (n.is_int) {
    n.ideal = Value::integer(n.int64);
  } else if (n.is_uint) {
    n.ideal_err = t + " overflows int";
  }
}

// ---------------------------------------------------------------- parser

class Parser {
 public:
  Parser(std::string_view name, std::shared_ptr<const std::string> text, const FuncMap& funcs,
         const Limits& limits)
      : parse_name_(name), text_(std::move(text)), funcs_(funcs), limits_(limits) {
    items_ = lex_template(*text_, lex_error_);
  }

  Result<std::vector<std::shared_ptr<Tree>>> run() {
    auto top = new_tree(parse_name_);
    tree_ = top.get();
    vars_ = {"$"};
    top->root = parse_top();
    if (!failed_) add(top);
    if (failed_) return make_error(error_);
    return std::move(trees_);
  }

 private:
  std::shared_ptr<Tree> new_tree(std::string_view name) {
    auto t = std::make_shared<Tree>();
    t->name = std::string(name);
    t->parse_name = parse_name_;
    t->text = text_;
    return t;
  }

  // --- tokens
  const Item& next() {
    std::size_t i = idx_ < items_.size() ? idx_ : items_.size() - 1;
    if (idx_ < items_.size()) ++idx_;
    if (i > max_read_) max_read_ = i;
    return items_[i];
  }
  void backup() { --idx_; }
  const Item& peek() {
    const Item& it = next();
    backup_to(&it);
    return it;
  }
  void backup_to(const Item* it) { idx_ = static_cast<std::size_t>(it - items_.data()); }
  const Item& next_non_space() {
    for (;;) {
      const Item& it = next();
      if (it.type != ItemType::Space) return it;
    }
  }
  const Item& peek_non_space() {
    const Item& it = next_non_space();
    backup_to(&it);
    return it;
  }

  // --- errors (Go's Tree.errorf: "template: NAME:LINE: MSG")
  std::nullptr_t errorf(const std::string& msg) {
    if (!failed_) {
      failed_ = true;
      error_ = "template: " + parse_name_ + ":" + std::to_string(items_[max_read_].line) + ": " + msg;
    }
    return nullptr;
  }
  std::nullptr_t unexpected(const Item& token, std::string_view context) {
    if (token.type == ItemType::Error) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != token.line) {
        extra = " in action started at " + parse_name_ + ":" + std::to_string(action_line_);
        if (token.val.size() >= 7 && token.val.substr(token.val.size() - 7) == " action") {
          extra = extra.substr(10);
        }
      }
      return errorf(item_string(token) + extra);
    }
    return errorf("unexpected " + item_string(token) + " in " + std::string(context));
  }
  const Item* expect(ItemType t, std::string_view context) {
    const Item& tok = next_non_space();
    if (tok.type != t) return unexpected(tok, context);
    return &tok;
  }

  bool enter() {
    if (++depth_ > limits_.max_parse_depth) {
      errorf("exceeded maximum parse depth (" + std::to_string(limits_.max_parse_depth) + ")");
      return false;
    }
    return true;
  }
  void leave() { --depth_; }

  // Go's Tree.add: a non-empty redefinition within one parse is an error.
  void add(const std::shared_ptr<Tree>& t) {
    for (auto& existing : trees_) {
      if (existing->name != t->name) continue;
      if (is_empty_tree(existing->root.get())) {
        existing = t;
      } else if (!is_empty_tree(t->root.get())) {
        errorf("template: multiple definition of template " + go_quote(t->name));
      }
      return;
    }
    trees_.push_back(t);
  }

  std::unique_ptr<ListNode> parse_top() {
    auto root = std::make_unique<ListNode>(peek().pos, tree_);
    while (peek().type != ItemType::Eof) {
      if (peek().type == ItemType::LeftDelim) {
        const Item& delim = next();
        if (next_non_space().type == ItemType::Define) {
          parse_definition();
          if (failed_) return nullptr;
          continue;
        }
        backup_to(&delim);
      }
      NodePtr n = text_or_action();
      if (failed_) return nullptr;
      if (n->type == NodeType::End || n->type == NodeType::Else) {
        errorf("unexpected " + n->str());
        return nullptr;
      }
      root->nodes.push_back(std::move(n));
    }
    return root;
  }

  // A sub-tree (define or block body) parsed with fresh variables.
  struct SavedState {
    Tree* tree;
    std::vector<std::string> vars;
    int range_depth;
  };
  SavedState begin_subtree(Tree* t) {
    SavedState s{tree_, std::move(vars_), range_depth_};
    tree_ = t;
    vars_ = {"$"};
    range_depth_ = 0;
    return s;
  }
  void end_subtree(SavedState s) {
    tree_ = s.tree;
    vars_ = std::move(s.vars);
    range_depth_ = s.range_depth;
  }

  void parse_definition() {
    static constexpr std::string_view kContext = "define clause";
    const Item& name = next_non_space();
    if (name.type != ItemType::String && name.type != ItemType::RawString) {
      unexpected(name, kContext);
      return;
    }
    std::string unquoted;
    if (!go_unquote(name.val, unquoted)) {
      errorf("invalid syntax");
      return;
    }
    auto t = new_tree(unquoted);
    SavedState saved = begin_subtree(t.get());
    if (expect(ItemType::RightDelim, kContext)) {
      NodePtr end;
      t->root = item_list(end);
      if (!failed_ && end->type != NodeType::End) {
        errorf("unexpected " + end->str() + " in " + std::string(kContext));
      }
      if (!failed_) add(t);
    }
    end_subtree(std::move(saved));
  }

  std::unique_ptr<ListNode> item_list(NodePtr& end) {
    auto list = std::make_unique<ListNode>(peek_non_space().pos, tree_);
    while (peek_non_space().type != ItemType::Eof) {
      NodePtr n = text_or_action();
      if (failed_) return nullptr;
      if (n->type == NodeType::End || n->type == NodeType::Else) {
        end = std::move(n);
        return list;
      }
      list->nodes.push_back(std::move(n));
    }
    return errorf("unexpected EOF");
  }

  NodePtr text_or_action() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::Text:
        return std::make_unique<TextNode>(token.pos, tree_, token.val);
      case ItemType::LeftDelim: {
        action_line_ = token.line;
        if (!enter()) return nullptr;
        NodePtr n = action();
        leave();
        action_line_ = 0;
        return n;
      }
      default:
        return unexpected(token, "input");
    }
  }

  NodePtr action() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::Block: return block_control();
      case ItemType::Break: return break_control(token, NodeType::Break, "{{break}}");
      case ItemType::Continue: return break_control(token, NodeType::Continue, "{{continue}}");
      case ItemType::Else: return else_control();
      case ItemType::End: {
        const Item* t = expect(ItemType::RightDelim, "end");
        if (!t) return nullptr;
        return std::make_unique<KeywordNode>(NodeType::End, t->pos, tree_);
      }
      case ItemType::If: return branch_control(NodeType::If, "if");
      case ItemType::Range: return branch_control(NodeType::Range, "range");
      case ItemType::Template: return template_control();
      case ItemType::With: return branch_control(NodeType::With, "with");
      default: break;
    }
    backup();
    int pos = peek().pos;
    auto pipe = pipeline("command", ItemType::RightDelim);
    if (!pipe) return nullptr;
    return std::make_unique<ActionNode>(pos, tree_, std::move(pipe));
  }

  NodePtr break_control(const Item& token, NodeType type, std::string_view what) {
    const Item& t = next_non_space();
    if (t.type != ItemType::RightDelim) return unexpected(t, what);
    if (range_depth_ == 0) return errorf(std::string(what) + " outside {{range}}");
    return std::make_unique<KeywordNode>(type, token.pos, tree_);
  }

  NodePtr else_control() {
    const Item& peeked = peek_non_space();
    if (peeked.type == ItemType::If || peeked.type == ItemType::With) {
      return std::make_unique<KeywordNode>(NodeType::Else, peeked.pos, tree_);
    }
    const Item* t = expect(ItemType::RightDelim, "else");
    if (!t) return nullptr;
    return std::make_unique<KeywordNode>(NodeType::Else, t->pos, tree_);
  }

  // Go's parseControl for if/range/with.
  NodePtr branch_control(NodeType type, std::string_view context) {
    std::size_t saved_vars = vars_.size();
    auto node = std::make_unique<BranchNode>(type, 0, tree_);
    node->pipe = pipeline(context, ItemType::RightDelim);
    if (!node->pipe) return nullptr;
    node->pos = node->pipe->pos;
    if (type == NodeType::Range) ++range_depth_;
    NodePtr next;
    node->list = item_list(next);
    if (type == NodeType::Range) --range_depth_;
    if (failed_) return nullptr;
    if (next->type == NodeType::Else) {
      if (type == NodeType::If && peek().type == ItemType::If) {
        this->next();
        node->else_list = std::make_unique<ListNode>(next->pos, tree_);
        NodePtr nested = branch_control(NodeType::If, "if");
        if (!nested) return nullptr;
        node->else_list->nodes.push_back(std::move(nested));
      } else if (type == NodeType::With && peek().type == ItemType::With) {
        this->next();
        node->else_list = std::make_unique<ListNode>(next->pos, tree_);
        NodePtr nested = branch_control(NodeType::With, "with");
        if (!nested) return nullptr;
        node->else_list->nodes.push_back(std::move(nested));
      } else {
        NodePtr end;
        node->else_list = item_list(end);
        if (failed_) return nullptr;
        if (end->type != NodeType::End) return errorf("expected end; found " + end->str());
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  bool template_name(const Item& token, std::string_view context, std::string& name) {
    if (token.type != ItemType::String && token.type != ItemType::RawString) {
      unexpected(token, context);
      return false;
    }
    if (!go_unquote(token.val, name)) {
      errorf("invalid syntax");
      return false;
    }
    return true;
  }

  NodePtr block_control() {
    static constexpr std::string_view kContext = "block clause";
    const Item& token = next_non_space();
    auto node = std::make_unique<TemplateNode>(token.pos, tree_);
    if (!template_name(token, kContext, node->name)) return nullptr;
    node->pipe = pipeline(kContext, ItemType::RightDelim);
    if (!node->pipe) return nullptr;
    auto t = new_tree(node->name);
    SavedState saved = begin_subtree(t.get());
    NodePtr end;
    t->root = item_list(end);
    end_subtree(std::move(saved));
    if (failed_) return nullptr;
    if (end->type != NodeType::End) {
      return errorf("unexpected " + end->str() + " in " + std::string(kContext));
    }
    add(t);
    if (failed_) return nullptr;
    return node;
  }

  NodePtr template_control() {
    static constexpr std::string_view kContext = "template clause";
    const Item& token = next_non_space();
    auto node = std::make_unique<TemplateNode>(token.pos, tree_);
    if (!template_name(token, kContext, node->name)) return nullptr;
    if (next_non_space().type != ItemType::RightDelim) {
      backup();
      node->pipe = pipeline(kContext, ItemType::RightDelim);
      if (!node->pipe) return nullptr;
    }
    return node;
  }

  std::unique_ptr<VariableNode> new_variable(int pos, std::string_view name) {
    auto v = std::make_unique<VariableNode>(pos, tree_);
    std::size_t start = 0;
    for (;;) {
      std::size_t dot = name.find('.', start);
      v->idents.emplace_back(name.substr(start, dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return v;
  }

  std::unique_ptr<PipeNode> pipeline(std::string_view context, ItemType end) {
    auto pipe = std::make_unique<PipeNode>(peek_non_space().pos, tree_);
    for (;;) {  // declarations
      const Item& v = peek_non_space();
      if (v.type != ItemType::Variable) break;
      next();
      const Item& nxt = peek_non_space();
      if (nxt.type == ItemType::Assign || nxt.type == ItemType::Declare) {
        pipe->is_assign = nxt.type == ItemType::Assign;
        next_non_space();
        pipe->decl.push_back(new_variable(v.pos, v.val));
        vars_.emplace_back(v.val);
        break;
      }
      if (nxt.type == ItemType::Char && nxt.val == ",") {
        next_non_space();
        pipe->decl.push_back(new_variable(v.pos, v.val));
        vars_.emplace_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          ItemType t = peek_non_space().type;
          if (t == ItemType::Variable || t == ItemType::RightDelim || t == ItemType::RightParen) {
            continue;
          }
          return errorf("range can only initialize variables");
        }
        return errorf("too many declarations in " + std::string(context));
      }
      backup_to(&v);
      break;
    }
    for (;;) {
      const Item& token = next_non_space();
      if (token.type == end) {
        if (!check_pipeline(*pipe, context)) return nullptr;
        return pipe;
      }
      switch (token.type) {
        case ItemType::Bool: case ItemType::CharConstant: case ItemType::Complex:
        case ItemType::Dot: case ItemType::Field: case ItemType::Identifier:
        case ItemType::Number: case ItemType::Nil: case ItemType::RawString:
        case ItemType::String: case ItemType::Variable: case ItemType::LeftParen: {
          backup();
          auto cmd = command();
          if (!cmd) return nullptr;
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          return unexpected(token, context);
      }
    }
  }

  bool check_pipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) {
      errorf("missing value for " + std::string(context));
      return false;
    }
    for (std::size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->type) {
        case NodeType::Bool: case NodeType::Dot: case NodeType::Nil:
        case NodeType::Number: case NodeType::String:
          errorf("non executable command in pipeline stage " + std::to_string(i + 1));
          return false;
        default:
          break;
      }
    }
    return true;
  }

  std::unique_ptr<CommandNode> command() {
    auto cmd = std::make_unique<CommandNode>(peek_non_space().pos, tree_);
    for (;;) {
      peek_non_space();
      NodePtr operand = this->operand();
      if (failed_) return nullptr;
      if (operand) cmd->args.push_back(std::move(operand));
      const Item& token = next();
      if (token.type == ItemType::Space) continue;
      if (token.type == ItemType::RightDelim || token.type == ItemType::RightParen) {
        backup();
      } else if (token.type != ItemType::Pipe) {
        return unexpected(token, "operand");
      }
      break;
    }
    if (cmd->args.empty()) return errorf("empty command");
    return cmd;
  }

  NodePtr operand() {
    NodePtr node = term();
    if (!node) return nullptr;
    if (peek().type != ItemType::Field) return node;
    auto chain = std::make_unique<ChainNode>(peek().pos, tree_);
    while (peek().type == ItemType::Field) chain->fields.emplace_back(next().val.substr(1));
    switch (node->type) {
      case NodeType::Field: {
        auto f = std::make_unique<FieldNode>(chain->pos, tree_);
        f->idents = std::move(static_cast<FieldNode*>(node.get())->idents);
        for (auto& s : chain->fields) f->idents.push_back(std::move(s));
        return f;
      }
      case NodeType::Variable: {
        auto v = std::make_unique<VariableNode>(chain->pos, tree_);
        v->idents = std::move(static_cast<VariableNode*>(node.get())->idents);
        for (auto& s : chain->fields) v->idents.push_back(std::move(s));
        return v;
      }
      case NodeType::Bool: case NodeType::String: case NodeType::Number:
      case NodeType::Nil: case NodeType::Dot:
        return errorf("unexpected . after term " + go_quote(node->str()));
      default:
        chain->node = std::move(node);
        return chain;
    }
  }

  NodePtr term() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::Identifier: {
        auto it = funcs_.find(std::string(token.val));
        if (it == funcs_.end()) return errorf("function " + go_quote(token.val) + " not defined");
        return std::make_unique<IdentifierNode>(token.pos, tree_, token.val, &it->second);
      }
      case ItemType::Dot:
        return std::make_unique<SimpleNode>(NodeType::Dot, token.pos, tree_);
      case ItemType::Nil:
        return std::make_unique<SimpleNode>(NodeType::Nil, token.pos, tree_);
      case ItemType::Variable: {
        auto v = new_variable(token.pos, token.val);
        for (const auto& name : vars_) {
          if (name == v->idents[0]) return v;
        }
        return errorf("undefined variable " + go_quote(v->idents[0]));
      }
      case ItemType::Field: {
        auto f = std::make_unique<FieldNode>(token.pos, tree_);
        f->idents.emplace_back(token.val.substr(1));
        return f;
      }
      case ItemType::Bool:
        return std::make_unique<SimpleNode>(NodeType::Bool, token.pos, tree_, token.val == "true");
      case ItemType::CharConstant: case ItemType::Complex: case ItemType::Number: {
        auto n = std::make_unique<NumberNode>(token.pos, tree_);
        n->text = std::string(token.val);
        std::string err = fill_number(*n, token.type);
        if (!err.empty()) return errorf(err);
        compute_ideal(*n);
        return n;
      }
      case ItemType::LeftParen: {
        if (!enter()) return nullptr;
        auto p = pipeline("parenthesized pipeline", ItemType::RightParen);
        leave();
        return p;
      }
      case ItemType::String: case ItemType::RawString: {
        std::string s;
        if (!go_unquote(token.val, s)) return errorf("invalid syntax");
        auto n = std::make_unique<StringNode>(token.pos, tree_);
        n->quoted = std::string(token.val);
        n->value = Value(std::move(s));
        return n;
      }
      default:
        backup();
        return nullptr;
    }
  }

  std::string parse_name_;
  std::shared_ptr<const std::string> text_;
  const FuncMap& funcs_;
  const Limits& limits_;
  std::string lex_error_;
  std::vector<Item> items_;
  std::size_t idx_ = 0;
  std::size_t max_read_ = 0;
  Tree* tree_ = nullptr;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int action_line_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::string error_;
  std::vector<std::shared_ptr<Tree>> trees_;
};

}  // namespace

Result<std::vector<std::shared_ptr<Tree>>> parse_templates(std::string_view name,
                                                           std::string_view text,
                                                           const FuncMap& funcs,
                                                           const Limits& limits) {
  Parser p(name, std::make_shared<const std::string>(text), funcs, limits);
  return p.run();
}

}  // namespace cairn::render::detail
