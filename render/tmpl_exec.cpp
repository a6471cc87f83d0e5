// Executor of Go's text/template (text/template/exec.go semantics) and the
// TemplateSet API. Errors are returned, never thrown; Limits bound output,
// nesting and iterations.
#include <pthread.h>

#include <charconv>
#include <unordered_map>
#include <utility>

#include "render/detail/tmpl_exec.h"
#include "render/gofmt.h"

namespace cairn::render {
namespace detail {
namespace {

// State shared by one top-level execution and every include/tpl below it.
// Stack that nested template/include/tpl calls may use before they fail:
// counting calls alone cannot protect a thread whose frames are large (debug
// and sanitizer builds), and an overflow must be an error, not a crash. The
// budget is the calling thread's stack size less a reserve for the frames
// that run after the check (functions, formatting, error reporting).
// Computed once per thread: pthread_getattr_np reads /proc/self/maps for the
// main thread, far too slow for every execute().
std::ptrdiff_t compute_stack_budget() {
  constexpr std::ptrdiff_t kReserve = 512 << 10;
  constexpr std::ptrdiff_t kFallback = 1 << 20;  // if the size cannot be read
  std::size_t size = 0;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
  }
  const auto budget = static_cast<std::ptrdiff_t>(size) - kReserve;
  return budget > kFallback ? budget : kFallback;
}

std::ptrdiff_t stack_budget() {
  thread_local const std::ptrdiff_t budget = compute_stack_budget();
  return budget;
}

struct Shared {
  std::unordered_map<std::string, int> included;  // helm's include counter
  int depth = 0;                                  // nested executions in total
  std::int64_t range_iterations = 0;
  const char* stack_base = nullptr;               // frame of the outermost execute()
  std::ptrdiff_t stack_budget = 0;                // bytes below stack_base we may use

  // Whether the calling frame is deeper than stack_budget below stack_base.
  bool stack_exhausted() const {
    const char* here = static_cast<const char*>(__builtin_frame_address(0));
    return stack_base != nullptr && stack_base - here > stack_budget;
  }
};

enum class Flow { Ok, Break, Continue, Fail };

using Args = const std::vector<NodePtr>*;  // a command's args (args[0] = the callee)

bool can_be_nil(Param p) {
  switch (p) {
    case Param::Value: case Param::Any: case Param::Map: case Param::List:
    case Param::StringList:
      return true;
    default:
      return false;
  }
}

Value zero_of(Param p) {
  switch (p) {
    case Param::Any: return Value::nil();
    case Param::Map: return Value::nil_map();
    case Param::List: return Value::nil_list();
    case Param::StringList: return Value::nil_list("string");
    default: return Value();
  }
}

// Go's reflect AssignableTo for the declared parameter types.
bool assignable(const Value& v, Param p) {
  switch (p) {
    case Param::Value: case Param::Any: return true;
    case Param::String: return v.is_string();
    case Param::Int: return v.is_int() && v.int_type() == IntType::Int;
    case Param::Int64: return v.is_int() && v.int_type() == IntType::Int64;
    case Param::Float64: return v.is_float();
    case Param::Bool: return v.is_bool();
    case Param::Map:
      return v.is_map() && (v.is_nil_container() ? true : v.map().elem_type == "interface {}");
    case Param::List:
      return v.is_list() && (v.is_nil_container() || v.list().elem_type == "interface {}");
    case Param::StringList:
      return v.is_list() && (v.is_nil_container() || v.list().elem_type == "string");
    case Param::Time: return v.is_object() && v.object().type_name() == "time.Time";
  }
  return false;
}

class Exec final : public CallContext {
 public:
  Exec(const TemplateSet::Impl& set, Shared& shared, std::string& out)
      : set_(set), shared_(shared), out_(out) {}

  // Runs `tree` with dot = data. On failure returns the error.
  Result<void> run(const Tree* tree, const Value& data) {
    tmpl_ = tree;
    Value dot = data.is_nil() ? Value() : data;
    vars_.clear();
    vars_.emplace_back("$", dot);
    if (!enter_execution()) return make_error(std::move(error_));
    Flow f = walk(dot, tree->root.get());
    --shared_.depth;
    if (f == Flow::Fail) return make_error(std::move(error_));
    return {};
  }

  // CallContext.
  const Limits& limits() const override { return set_.options.limits; }
  Result<std::string> include(std::string_view name, const Value& data) override;
  Result<std::string> tpl(std::string_view text, const Value& data) override;
  std::string location() const override {
    return node_ ? location_of(node_) : std::string(tmpl_ ? tmpl_->name : "");
  }

 private:
  // ------------------------------------------------------------ errors
  static std::string location_of(const Node* n) {
    std::string_view text = std::string_view(*n->tree->text).substr(0, n->pos);
    std::size_t nl = text.rfind('\n');
    std::size_t col = nl == std::string_view::npos ? text.size() : text.size() - nl - 1;
    std::size_t line = 1;
    for (char c : text) line += c == '\n';
    return n->tree->parse_name + ":" + std::to_string(line) + ":" + std::to_string(col);
  }

  // Go's state.errorf: "template: LOC: executing "NAME" at <NODE>: MSG".
  bool fail(std::string_view msg) {
    if (node_ == nullptr) {
      error_ = "template: " + tmpl_->name + ": " + std::string(msg);
    } else {
      error_ = "template: " + location_of(node_) + ": executing " + go_quote(tmpl_->name) +
               " at <" + node_->str() + ">: " + std::string(msg);
    }
    return false;
  }
  void at(const Node* n) { node_ = n; }

  bool enter_execution() {
    if (++shared_.depth > set_.options.limits.max_exec_depth || shared_.stack_exhausted()) {
      --shared_.depth;
      error_ = "template: " + tmpl_->name + ": exceeded maximum template depth (" +
               std::to_string(set_.options.limits.max_exec_depth) + ")";
      return false;
    }
    return true;
  }

  bool check_output() {
    if (out_.size() > set_.options.limits.max_output_bytes) {
      return fail("output exceeds the limit of " +
                  std::to_string(set_.options.limits.max_output_bytes) + " bytes");
    }
    return true;
  }

  // ------------------------------------------------------------ variables
  const Value* var_value(std::string_view name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    fail("undefined variable: " + std::string(name));
    return nullptr;
  }
  bool set_var(std::string_view name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = v;
        return true;
      }
    }
    return fail("undefined variable: " + std::string(name));
  }

  // ------------------------------------------------------------ walk
  Flow walk(const Value& dot, const Node* node) {
    at(node);
    switch (node->type) {
      case NodeType::Action: {
        auto* a = static_cast<const ActionNode*>(node);
        Value v;
        if (!eval_pipeline(dot, a->pipe.get(), v)) return Flow::Fail;
        if (a->pipe->decl.empty() && !print_value(node, v)) return Flow::Fail;
        return Flow::Ok;
      }
      case NodeType::Break: return Flow::Break;
      case NodeType::Continue: return Flow::Continue;
      case NodeType::If:
      case NodeType::With: return walk_if_or_with(dot, static_cast<const BranchNode*>(node));
      case NodeType::List:
        for (const auto& n : static_cast<const ListNode*>(node)->nodes) {
          Flow f = walk(dot, n.get());
          if (f != Flow::Ok) return f;
        }
        return Flow::Ok;
      case NodeType::Range: return walk_range(dot, static_cast<const BranchNode*>(node));
      case NodeType::Template: return walk_template(dot, static_cast<const TemplateNode*>(node));
      case NodeType::Text:
        out_ += static_cast<const TextNode*>(node)->text;
        return check_output() ? Flow::Ok : Flow::Fail;
      default:
        fail("unknown node: " + node->str());
        return Flow::Fail;
    }
  }

  Flow walk_if_or_with(const Value& dot, const BranchNode* b) {
    std::size_t mark = vars_.size();
    Value v;
    Flow f = Flow::Ok;
    if (!eval_pipeline(dot, b->pipe.get(), v)) {
      f = Flow::Fail;
    } else if (v.truthy()) {
      f = walk(b->type == NodeType::With ? v : dot, b->list.get());
    } else if (b->else_list) {
      f = walk(dot, b->else_list.get());
    }
    vars_.resize(mark);
    return f;
  }

  // One range iteration: bind the variables, run the body, drop its variables.
  Flow range_iteration(const BranchNode* r, std::size_t mark, const Value& index,
                       const Value& elem) {
    if (++shared_.range_iterations > set_.options.limits.max_range_iterations) {
      fail("range iterations exceed the limit of " +
           std::to_string(set_.options.limits.max_range_iterations));
      return Flow::Fail;
    }
    const auto& decl = r->pipe->decl;
    if (!decl.empty()) {
      if (r->pipe->is_assign) {
        if (!set_var(decl[0]->idents[0], decl.size() > 1 ? index : elem)) return Flow::Fail;
      } else {
        vars_[vars_.size() - 1].second = elem;
      }
    }
    if (decl.size() > 1) {
      if (r->pipe->is_assign) {
        if (!set_var(decl[1]->idents[0], elem)) return Flow::Fail;
      } else {
        vars_[vars_.size() - 2].second = index;
      }
    }
    Flow f = walk(elem, r->list.get());
    vars_.resize(mark);
    return f;
  }

  Flow walk_range(const Value& dot, const BranchNode* r) {
    at(r);
    std::size_t outer = vars_.size();
    Value val;
    if (!eval_pipeline(dot, r->pipe.get(), val)) return Flow::Fail;
    if (val.is_object()) {
      if (const Value* c = val.object().container()) val = *c;  // named map/slice types
    }
    std::size_t mark = vars_.size();
    Flow f = Flow::Ok;
    bool iterated = false;
    switch (val.kind()) {
      case Kind::List: {
        if (val.is_nil_container() || val.list().items.empty()) break;
        iterated = true;
        auto list = val.list_ptr();  // keeps the items alive while the body runs
        std::size_t n = list->items.size();
        for (std::size_t i = 0; i < n && i < list->items.size(); ++i) {
          Value elem = list->items[i];
          f = range_iteration(r, mark, Value::integer(static_cast<std::int64_t>(i)), elem);
          if (f == Flow::Continue) f = Flow::Ok;
          if (f != Flow::Ok) break;
        }
        break;
      }
      case Kind::Map: {
        if (val.is_nil_container() || val.map().items.empty()) break;
        iterated = true;
        // Go sorts the keys once before iterating: take a snapshot.
        std::vector<std::pair<Value, Value>> entries;
        entries.reserve(val.map().items.size());
        for (const auto& [k, v] : val.map().items) entries.emplace_back(Value(k), v);
        for (const auto& [k, v] : entries) {
          f = range_iteration(r, mark, k, v);
          if (f == Flow::Continue) f = Flow::Ok;
          if (f != Flow::Ok) break;
        }
        break;
      }
      case Kind::Invalid:
        break;
      default:
        fail("range can't iterate over " + go_format_value(val));
        f = Flow::Fail;
        break;
    }
    if (f == Flow::Break) f = Flow::Ok;
    if (f == Flow::Ok && !iterated && r->else_list) f = walk(dot, r->else_list.get());
    vars_.resize(outer);
    return f;
  }

  Flow walk_template(const Value& dot, const TemplateNode* t) {
    at(t);
    auto it = set_.templates.find(t->name);
    if (it == set_.templates.end()) {
      fail("template " + go_quote(t->name) + " not defined");
      return Flow::Fail;
    }
    if (shared_.depth >= set_.options.limits.max_exec_depth || shared_.stack_exhausted()) {
      fail("exceeded maximum template depth (" +
           std::to_string(set_.options.limits.max_exec_depth) + ")");
      return Flow::Fail;
    }
    Value new_dot;
    if (t->pipe && !eval_pipeline(dot, t->pipe.get(), new_dot)) return Flow::Fail;
    std::vector<std::pair<std::string_view, Value>> saved_vars;
    saved_vars.swap(vars_);
    vars_.emplace_back("$", new_dot);
    const Tree* saved_tmpl = tmpl_;
    tmpl_ = it->second.get();
    ++shared_.depth;
    Flow f = walk(new_dot, tmpl_->root.get());
    --shared_.depth;
    tmpl_ = saved_tmpl;
    vars_.swap(saved_vars);
    return f;
  }

  bool print_value(const Node* n, const Value& v) {
    at(n);
    switch (v.kind()) {
      case Kind::Invalid:
      case Kind::Nil:
        out_ += "<no value>";
        break;
      case Kind::String:
        out_ += v.as_string();
        break;
      case Kind::Int:
        if (!v.is_unsigned()) {
          char buf[24];
          auto res = std::to_chars(buf, buf + sizeof buf, v.as_int());
          out_.append(buf, res.ptr);
          break;
        }
        out_ += go_format_value(v);
        break;
      default:
        out_ += go_format_value(v);
        break;
    }
    return check_output();
  }

  // ------------------------------------------------------------ evaluation
  bool eval_pipeline(const Value& dot, const PipeNode* pipe, Value& value) {
    value = Value();
    if (pipe == nullptr) return true;
    at(pipe);
    bool has_final = false;
    for (const auto& cmd : pipe->cmds) {
      Value result;
      if (!eval_command(dot, cmd.get(), has_final ? &value : nullptr, result)) return false;
      // An empty interface holding nil is no value once a command is done.
      value = result.is_nil() ? Value() : std::move(result);
      has_final = true;
    }
    for (const auto& var : pipe->decl) {
      if (pipe->is_assign) {
        if (!set_var(var->idents[0], value)) return false;
      } else {
        vars_.emplace_back(var->idents[0], value);
      }
    }
    return true;
  }

  bool not_a_function(Args args, const Value* final) {
    if ((args && args->size() > 1) || final) {
      return fail("can't give argument to non-function " + (*args)[0]->str());
    }
    return true;
  }

  bool eval_command(const Value& dot, const CommandNode* cmd, const Value* final, Value& out) {
    const Node* first = cmd->args[0].get();
    Args args = &cmd->args;
    switch (first->type) {
      case NodeType::Field:
        return eval_field_node(dot, static_cast<const FieldNode*>(first), args, final, out);
      case NodeType::Chain:
        return eval_chain_node(dot, static_cast<const ChainNode*>(first), args, final, out);
      case NodeType::Identifier:
        return eval_function(dot, static_cast<const IdentifierNode*>(first), cmd, args, final,
                             out);
      case NodeType::Pipe:
        if (!not_a_function(args, final)) return false;
        return eval_pipeline(dot, static_cast<const PipeNode*>(first), out);
      case NodeType::Variable:
        return eval_variable_node(dot, static_cast<const VariableNode*>(first), args, final,
                                  out);
      default:
        break;
    }
    at(first);
    if (!not_a_function(args, final)) return false;
    switch (first->type) {
      case NodeType::Bool:
        out = Value(static_cast<const SimpleNode*>(first)->truth);
        return true;
      case NodeType::Dot:
        out = dot;
        return true;
      case NodeType::Nil:
        return fail("nil is not a command");
      case NodeType::Number:
        return ideal_constant(static_cast<const NumberNode*>(first), out);
      case NodeType::String:
        out = static_cast<const StringNode*>(first)->value;
        return true;
      default:
        return fail("can't evaluate command " + go_quote(first->str()));
    }
  }

  bool ideal_constant(const NumberNode* n, Value& out) {
    at(n);
    if (!n->ideal_err.empty()) return fail(n->ideal_err);
    out = n->ideal;
    return true;
  }

  bool eval_field_node(const Value& dot, const FieldNode* f, Args args, const Value* final,
                       Value& out) {
    at(f);
    return eval_field_chain(dot, dot, f, f->idents, 0, args, final, out);
  }

  bool eval_chain_node(const Value& dot, const ChainNode* c, Args args, const Value* final,
                       Value& out) {
    at(c);
    if (c->node->type == NodeType::Nil) {
      return fail("indirection through explicit nil in " + c->str());
    }
    Value receiver;
    if (!eval_untyped(dot, c->node.get(), receiver)) return false;
    return eval_field_chain(dot, receiver, c, c->fields, 0, args, final, out);
  }

  bool eval_variable_node(const Value& dot, const VariableNode* v, Args args,
                          const Value* final, Value& out) {
    at(v);
    const Value* value = var_value(v->idents[0]);
    if (!value) return false;
    if (v->idents.size() == 1) {
      if (!not_a_function(args, final)) return false;
      out = *value;
      return true;
    }
    Value receiver = *value;
    return eval_field_chain(dot, receiver, v, v->idents, 1, args, final, out);
  }

  bool eval_field_chain(const Value& dot, Value receiver, const Node* node,
                        const std::vector<std::string>& idents, std::size_t first, Args args,
                        const Value* final, Value& out) {
    std::size_t n = idents.size();
    // A value read from a map[string]interface{} has Go type interface {}.
    bool iface = false;
    for (std::size_t i = first; i + 1 < n; ++i) {
      Value next;
      if (!eval_field(dot, idents[i], node, nullptr, nullptr, receiver, iface, next)) {
        return false;
      }
      iface = receiver.is_map() &&
              (receiver.is_nil_container() || receiver.map().elem_type == "interface {}");
      receiver = std::move(next);
    }
    return eval_field(dot, idents[n - 1], node, args, final, receiver, iface, out);
  }

  bool missing_key(const std::string& name, const MapData* m, Value& out) {
    switch (set_.options.missing_key) {
      case MissingKey::Default:
        out = Value();
        return true;
      case MissingKey::Zero:
        out = m && m->elem_type == "string" ? Value(std::string()) : Value::nil();
        return true;
      case MissingKey::Error:
        return fail("map has no entry for key " + go_quote(name));
    }
    return true;
  }

  bool eval_field(const Value& dot, const std::string& name, const Node* node, Args args,
                  const Value* final, const Value& receiver, bool iface, Value& out) {
    bool has_args = (args && args->size() > 1) || final;
    switch (receiver.kind()) {
      case Kind::Invalid:
        if (set_.options.missing_key == MissingKey::Error) {
          return fail("nil data; no entry for key " + go_quote(name));
        }
        out = Value();
        return true;
      case Kind::Nil:
        return fail("nil pointer evaluating interface {}." + name);
      case Kind::Map: {
        if (has_args) return fail(name + " is not a method but has arguments");
        if (receiver.is_nil_container()) return missing_key(name, nullptr, out);
        const MapData& m = receiver.map();
        auto it = m.items.find(name);
        if (it == m.items.end()) return missing_key(name, &m, out);
        out = it->second;
        return true;
      }
      case Kind::Object: {
        const Object& obj = receiver.object();
        if (const Func* method = obj.method(name)) {
          return eval_call(dot, *method, node, name, args, final, out);
        }
        if (auto field = obj.field(name)) {
          if (has_args) return fail(name + " has arguments but cannot be invoked as function");
          out = std::move(*field);
          return true;
        }
        return fail("can't evaluate field " + name + " in type " + obj.type_name());
      }
      default:
        return fail("can't evaluate field " + name + " in type " +
                    (iface ? std::string("interface {}") : receiver.type_name()));
    }
  }

  bool eval_function(const Value& dot, const IdentifierNode* id, const Node* cmd, Args args,
                     const Value* final, Value& out) {
    at(id);
    return eval_call(dot, *id->func, cmd, id->name, args, final, out);
  }

  // Go's evalCall: count and convert arguments, call, wrap errors.
  bool eval_call(const Value& dot, const Func& fn, const Node* node, const std::string& name,
                 Args args, const Value* final, Value& out) {
    std::size_t nargs = args ? args->size() - 1 : 0;
    std::size_t num_in = nargs + (final ? 1 : 0);
    std::size_t num_params = fn.params.size();
    std::size_t num_fixed = nargs;
    if (fn.variadic) {
      num_fixed = num_params - 1;
      if (num_in < num_fixed) {
        return fail("wrong number of args for " + name + ": want at least " +
                    std::to_string(num_fixed) + " got " + std::to_string(nargs));
      }
    } else if (num_in != num_params) {
      return fail("wrong number of args for " + name + ": want " + std::to_string(num_params) +
                  " got " + std::to_string(num_in));
    }
    if ((name == "and" || name == "or") && fn.variadic && fn.params[0] == Param::Value) {
      return eval_and_or(dot, name == "or", args, final, out);
    }
    std::vector<Value> argv;
    argv.reserve(num_in);
    std::size_t i = 0;
    for (; i < num_fixed && i < nargs; ++i) {
      argv.emplace_back();
      if (!eval_arg(dot, fn.params[i], (*args)[i + 1].get(), argv.back())) return false;
    }
    if (fn.variadic) {
      for (; i < nargs; ++i) {
        argv.emplace_back();
        if (!eval_arg(dot, fn.params.back(), (*args)[i + 1].get(), argv.back())) return false;
      }
    }
    if (final) {
      Param t = fn.params.back();
      if (fn.variadic && num_in - 1 < num_fixed) t = fn.params[num_in - 1];
      argv.emplace_back();
      if (!validate_type(*final, t, argv.back())) return false;
    }
    if (name == "call" && fn.variadic && fn.params[0] == Param::Value && nargs > 0 &&
        !argv[0].is_nothing()) {
      // Go names the callee by its source text; function values do not exist here.
      at(node);
      return fail("error calling call: non-function " + (*args)[1]->str() + " of type " +
                  argv[0].type_name());
    }
    auto result = fn.impl(*this, argv);
    if (!result) {
      at(node);
      return fail("error calling " + name + ": " + result.error().message);
    }
    // One cap for every string a function builds (print, printf, cat, ...),
    // so that doubling a string in a loop fails early instead of exhausting memory.
    if (result->is_string() && result->as_string().size() > set_.options.limits.max_output_bytes) {
      at(node);
      return fail("error calling " + name + ": result exceeds the limit of " +
                  std::to_string(set_.options.limits.max_output_bytes) + " bytes");
    }
    out = std::move(*result);
    return true;
  }

  // and/or (Go >= 1.18): arguments are evaluated lazily; the deciding value
  // is returned as is.
  bool eval_and_or(const Value& dot, bool is_or, Args args, const Value* final, Value& out) {
    Value v;
    for (std::size_t i = 1; args && i < args->size(); ++i) {
      if (!eval_arg(dot, Param::Value, (*args)[i].get(), v)) return false;
      if (v.truthy() == is_or) {
        out = std::move(v);
        return true;
      }
    }
    if (final) v = *final;
    out = std::move(v);
    return true;
  }

  bool validate_type(const Value& value, Param t, Value& out) {
    if (value.is_invalid()) {
      if (can_be_nil(t)) {
        out = zero_of(t);
        return true;
      }
      return fail("invalid value; expected " + std::string(param_type_name(t)));
    }
    if (!assignable(value, t)) {
      std::string got = value.is_nil() ? "interface {}" : value.type_name();
      return fail("wrong type for value; expected " + std::string(param_type_name(t)) +
                  "; got " + got);
    }
    out = value;
    return true;
  }

  // A node evaluated without a declared type (chain receivers).
  bool eval_untyped(const Value& dot, const Node* n, Value& out) {
    at(n);
    switch (n->type) {
      case NodeType::Dot: out = dot; return true;
      case NodeType::Field:
        return eval_field_node(dot, static_cast<const FieldNode*>(n), nullptr, nullptr, out);
      case NodeType::Variable:
        return eval_variable_node(dot, static_cast<const VariableNode*>(n), nullptr, nullptr,
                                  out);
      case NodeType::Pipe: return eval_pipeline(dot, static_cast<const PipeNode*>(n), out);
      case NodeType::Identifier:
        return eval_function(dot, static_cast<const IdentifierNode*>(n), n, nullptr, nullptr,
                             out);
      case NodeType::Chain:
        return eval_chain_node(dot, static_cast<const ChainNode*>(n), nullptr, nullptr, out);
      default:
        return fail("can't handle " + n->str() + " for arg of type interface {}");
    }
  }

  bool eval_arg(const Value& dot, Param t, const Node* n, Value& out) {
    at(n);
    switch (n->type) {
      case NodeType::Dot:
        return validate_type(dot, t, out);
      case NodeType::Nil:
        if (can_be_nil(t)) {
          out = zero_of(t);
          return true;
        }
        return fail("cannot assign nil to " + std::string(param_type_name(t)));
      case NodeType::Field:
      case NodeType::Variable:
      case NodeType::Pipe:
      case NodeType::Identifier:
      case NodeType::Chain: {
        Value v;
        if (n->type == NodeType::Field) {
          // Go passes the field node itself as the args, so it can't take any.
          if (!eval_field_node(dot, static_cast<const FieldNode*>(n), nullptr, nullptr, v)) {
            return false;
          }
        } else if (!eval_untyped(dot, n, v)) {
          return false;
        }
        return validate_type(v, t, out);
      }
      default:
        break;
    }
    return eval_literal(t, n, out);
  }

  // A literal argument converted to the parameter type (evalBool, evalString...).
  bool eval_literal(Param t, const Node* n, Value& out) {
    const auto* num = n->type == NodeType::Number ? static_cast<const NumberNode*>(n) : nullptr;
    switch (t) {
      case Param::Bool:
        if (n->type == NodeType::Bool) {
          out = Value(static_cast<const SimpleNode*>(n)->truth);
          return true;
        }
        return fail("expected bool; found " + n->str());
      case Param::String:
        if (n->type == NodeType::String) {
          out = static_cast<const StringNode*>(n)->value;
          return true;
        }
        return fail("expected string; found " + n->str());
      case Param::Int:
      case Param::Int64:
        if (num && num->is_int) {
          out = Value::integer(num->int64, t == Param::Int ? IntType::Int : IntType::Int64);
          return true;
        }
        return fail("expected integer; found " + n->str());
      case Param::Float64:
        if (num && num->is_float) {
          out = Value::floating(num->float64);
          return true;
        }
        return fail("expected float; found " + n->str());
      case Param::Any:
      case Param::Value:
        if (n->type == NodeType::Bool) {
          out = Value(static_cast<const SimpleNode*>(n)->truth);
          return true;
        }
        if (num) return ideal_constant(num, out);
        if (n->type == NodeType::String) {
          out = static_cast<const StringNode*>(n)->value;
          return true;
        }
        return fail("can't handle assignment of " + n->str() + " to empty interface argument");
      default:
        return fail("can't handle " + n->str() + " for arg of type " +
                    std::string(param_type_name(t)));
    }
  }

  const TemplateSet::Impl& set_;
  Shared& shared_;
  std::string& out_;
  const Tree* tmpl_ = nullptr;
  const Node* node_ = nullptr;
  std::vector<std::pair<std::string_view, Value>> vars_;
  std::string error_;
};

// Runs template `name` of `set` into a new string, sharing `shared`.
Result<std::string> execute_in(const TemplateSet::Impl& set, Shared& shared,
                               std::string_view name, std::string_view root_name,
                               const Value& data) {
  auto it = set.templates.find(name);
  if (it == set.templates.end()) {
    return make_error("template: no template " + go_quote(name) + " associated with template " +
                      go_quote(root_name));
  }
  std::string out;
  Exec exec(set, shared, out);
  if (auto r = exec.run(it->second.get(), data); !r) return tl::unexpected(r.error());
  return out;
}

Result<std::string> Exec::include(std::string_view name, const Value& data) {
  std::string key(name);
  auto [it, inserted] = shared_.included.try_emplace(key, 0);
  if (it->second > set_.options.limits.max_include_depth) {
    return make_error("rendering template has a nested reference name: " + key +
                      ": unable to execute template");
  }
  ++it->second;
  auto out = execute_in(set_, shared_, name, kRootName, data);
  --shared_.included[key];
  return out;
}

Result<std::string> Exec::tpl(std::string_view text, const Value& data) {
  TemplateSet::Impl clone = set_;
  auto trees = parse_templates(kRootName, text, *clone.funcs, clone.options.limits);
  if (!trees) {
    return make_error("cannot parse template " + go_quote(text) + ": " + trees.error().message);
  }
  for (auto& t : *trees) clone.templates[t->name] = t;
  auto out = execute_in(clone, shared_, kRootName, kRootName, data);
  if (!out) {
    return make_error("error during tpl function execution for " + go_quote(text) + ": " +
                      out.error().message);
  }
  return remove_no_value(std::move(*out));
}

// helm's cleanupExecError: a required/fail message inside the error becomes
// "execution error at (LOCATION): MSG" with the outermost location.
std::string helm_clean_error(std::string message) {
  std::size_t start = message.find(kHelmErrStart);
  std::size_t end = message.rfind(kHelmErrEnd);
  if (start == std::string::npos || end == std::string::npos || end < start) return message;
  std::string inner = message.substr(start + kHelmErrStart.size(),
                                     end - start - kHelmErrStart.size());
  // tokens[1] of strings.SplitN(message, ": ", 3).
  std::size_t a = message.find(": ");
  std::size_t b = a == std::string::npos ? a : message.find(": ", a + 2);
  if (b == std::string::npos) return message;
  return "execution error at (" + message.substr(a + 2, b - a - 2) + "): " + inner;
}

}  // namespace
}  // namespace detail

// ---------------------------------------------------------------- TemplateSet

TemplateSet::TemplateSet(std::shared_ptr<const FuncMap> funcs, TemplateOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->funcs = std::move(funcs);
  impl_->options = options;
}
TemplateSet::~TemplateSet() = default;
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;

Result<void> TemplateSet::parse(std::string_view name, std::string_view text) {
  auto trees = detail::parse_templates(name, text, *impl_->funcs, impl_->options.limits);
  if (!trees) return tl::unexpected(trees.error());
  for (auto& t : *trees) {
    // Go's associate: an empty definition does not replace an existing one.
    auto it = impl_->templates.find(t->name);
    if (it != impl_->templates.end() && detail::is_empty_tree(t->root.get())) continue;
    impl_->templates[t->name] = t;
  }
  return {};
}

bool TemplateSet::has(std::string_view name) const {
  return impl_->templates.find(name) != impl_->templates.end();
}

Result<std::string> TemplateSet::execute(std::string_view name, const Value& data) const {
  detail::Shared shared;
  shared.stack_base = static_cast<const char*>(__builtin_frame_address(0));
  shared.stack_budget = detail::stack_budget();
  auto out = detail::execute_in(*impl_, shared, name, name, data);
  if (!out) return make_error(detail::helm_clean_error(std::move(out.error().message)));
  return out;
}

TemplateSet TemplateSet::clone() const {
  TemplateSet copy(impl_->funcs, impl_->options);
  copy.impl_->templates = impl_->templates;
  return copy;
}

const FuncMap& TemplateSet::funcs() const { return *impl_->funcs; }
const TemplateOptions& TemplateSet::options() const { return impl_->options; }

}  // namespace cairn::render
