// Parse tree of Go's text/template (text/template/parse/node.go).
//
// Trees are immutable after parsing and shared (shared_ptr) between a
// TemplateSet and its clones; executions only read them. String views in
// nodes point into the owning Tree's `text`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "render/func.h"
#include "render/value.h"

namespace cairn::render::detail {

enum class NodeType : std::uint8_t {
  Text,
  Action,
  If,
  Range,
  With,
  Template,
  Break,
  Continue,
  List,
  Pipe,
  Command,
  Field,
  Variable,
  Chain,
  Identifier,
  Dot,
  Nil,
  Bool,
  Number,
  String,
  End,   // parser-internal: {{end}}
  Else,  // parser-internal: {{else}}
};

struct Tree;

struct Node {
  Node(NodeType t, int p, const Tree* tr) : type(t), pos(p), tree(tr) {}
  virtual ~Node() = default;
  // Go's Node.String(): the source form used in error contexts.
  virtual void write_to(std::string& out) const = 0;
  std::string str() const {
    std::string s;
    write_to(s);
    return s;
  }
  NodeType type;
  int pos;           // byte offset in the tree's text
  const Tree* tree;  // for error locations
};
using NodePtr = std::unique_ptr<Node>;

struct ListNode : Node {
  ListNode(int p, const Tree* t) : Node(NodeType::List, p, t) {}
  void write_to(std::string& out) const override;
  std::vector<NodePtr> nodes;
};

struct TextNode : Node {
  TextNode(int p, const Tree* t, std::string_view s) : Node(NodeType::Text, p, t), text(s) {}
  void write_to(std::string& out) const override { out += text; }
  std::string_view text;
};

struct VariableNode : Node {
  VariableNode(int p, const Tree* t) : Node(NodeType::Variable, p, t) {}
  void write_to(std::string& out) const override;
  std::vector<std::string> idents;  // "$x", then field names
};

struct CommandNode;

struct PipeNode : Node {
  PipeNode(int p, const Tree* t) : Node(NodeType::Pipe, p, t) {}
  void write_to(std::string& out) const override;
  bool is_assign = false;
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
};

struct CommandNode : Node {
  CommandNode(int p, const Tree* t) : Node(NodeType::Command, p, t) {}
  void write_to(std::string& out) const override;
  std::vector<NodePtr> args;
};

struct ActionNode : Node {
  ActionNode(int p, const Tree* t, std::unique_ptr<PipeNode> pp)
      : Node(NodeType::Action, p, t), pipe(std::move(pp)) {}
  void write_to(std::string& out) const override;
  std::unique_ptr<PipeNode> pipe;
};

// if / range / with.
struct BranchNode : Node {
  BranchNode(NodeType ty, int p, const Tree* t) : Node(ty, p, t) {}
  void write_to(std::string& out) const override;
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;  // may be null
};

struct TemplateNode : Node {
  TemplateNode(int p, const Tree* t) : Node(NodeType::Template, p, t) {}
  void write_to(std::string& out) const override;
  std::string name;
  std::unique_ptr<PipeNode> pipe;  // may be null
};

// break / continue / end / else: no content.
struct KeywordNode : Node {
  KeywordNode(NodeType ty, int p, const Tree* t) : Node(ty, p, t) {}
  void write_to(std::string& out) const override;
};

struct FieldNode : Node {
  FieldNode(int p, const Tree* t) : Node(NodeType::Field, p, t) {}
  void write_to(std::string& out) const override;
  std::vector<std::string> idents;  // without the dots
};

struct ChainNode : Node {
  ChainNode(int p, const Tree* t) : Node(NodeType::Chain, p, t) {}
  void write_to(std::string& out) const override;
  NodePtr node;
  std::vector<std::string> fields;
};

struct IdentifierNode : Node {
  IdentifierNode(int p, const Tree* t, std::string_view n, const Func* f)
      : Node(NodeType::Identifier, p, t), name(n), func(f) {}
  void write_to(std::string& out) const override { out += name; }
  std::string name;
  const Func* func;  // resolved at parse time in the set's immutable FuncMap
};

// ".", "nil", "true"/"false".
struct SimpleNode : Node {
  SimpleNode(NodeType ty, int p, const Tree* t, bool b = false) : Node(ty, p, t), truth(b) {}
  void write_to(std::string& out) const override;
  bool truth;
};

struct NumberNode : Node {
  NumberNode(int p, const Tree* t) : Node(NodeType::Number, p, t) {}
  void write_to(std::string& out) const override { out += text; }
  bool is_int = false, is_uint = false, is_float = false, is_complex = false;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double float64 = 0, real = 0, imag = 0;
  std::string text;
  Value ideal;            // Go's idealConstant (valid unless it errors)
  std::string ideal_err;  // "... overflows int" when idealConstant fails
};

struct StringNode : Node {
  StringNode(int p, const Tree* t) : Node(NodeType::String, p, t) {}
  void write_to(std::string& out) const override { out += quoted; }
  std::string quoted;
  Value value;  // the unquoted string as a Value (shared, no copies)
};

// One parsed template: Go's parse.Tree.
struct Tree {
  std::string name;        // template name
  std::string parse_name;  // name of the top-level template being parsed
  std::shared_ptr<const std::string> text;  // whole source text
  std::unique_ptr<ListNode> root;
};

// Go's parse.IsEmptyTree.
bool is_empty_tree(const Node* n);

// Parse `text` as template `name`: the result holds the top-level tree and
// every define/block, in definition order (Go's parse.Parse treeSet).
Result<std::vector<std::shared_ptr<Tree>>> parse_templates(std::string_view name,
                                                           std::string_view text,
                                                           const FuncMap& funcs,
                                                           const Limits& limits);

}  // namespace cairn::render::detail
