// Sprig's environment and network functions: env, expandenv (os.Getenv,
// os.ExpandEnv) and getHostByName.
#include <cstdlib>

#include "render/detail/sprigx_common.h"

namespace cairn::render::detail {
namespace {

std::string getenv_string(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? std::string() : std::string(v);
}

bool is_shell_special(char c) {
  return std::string_view("*#$@!?-0123456789").find(c) != std::string_view::npos;
}

bool is_alnum_underscore(char c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// os.getShellName: the variable name after a '$' and how many bytes it
// spans. An empty name with a width means bad syntax that is dropped.
std::pair<std::string_view, std::size_t> shell_name(std::string_view s) {
  if (s[0] == '{') {
    if (s.size() > 2 && is_shell_special(s[1]) && s[2] == '}') return {s.substr(1, 1), 3};
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (s[i] == '}') {
        if (i == 1) return {{}, 2};
        return {s.substr(1, i - 1), i + 1};
      }
    }
    return {{}, 1};
  }
  if (is_shell_special(s[0])) return {s.substr(0, 1), 1};
  std::size_t i = 0;
  while (i < s.size() && is_alnum_underscore(s[i])) ++i;
  return {s.substr(0, i), i};
}

// os.ExpandEnv: $NAME and ${NAME} replaced by the environment value.
Result<Value> expandenv_func(CallContext& ctx, std::vector<Value>& args) {
  const std::string& s = args[0].as_string();
  std::string out;
  std::size_t i = 0;
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (s[j] != '$' || j + 1 >= s.size()) continue;
    out.append(s, i, j - i);
    auto [name, width] = shell_name(std::string_view(s).substr(j + 1));
    if (name.empty() && width == 0) {
      out.push_back('$');
    } else if (!name.empty()) {
      out += getenv_string(std::string(name));
    }
    if (out.size() > ctx.limits().max_output_bytes) {
      return make_error("expandenv: result exceeds the output limit");
    }
    j += width;
    i = j + 1;
  }
  if (i < s.size()) out.append(s, i, std::string::npos);
  return Value(std::move(out));
}

}  // namespace

void add_sprigx_env_funcs(FuncMap& funcs) {
  sprigx_define(funcs, "env", {Param::String}, [](CallContext&, std::vector<Value>& a) {
    return Result<Value>(Value(getenv_string(a[0].as_string())));
  });
  sprigx_define(funcs, "expandenv", {Param::String}, expandenv_func);
  // Rendering never touches the network: like `helm template` (EnableDNS
  // false), getHostByName returns "". Sprig proper would resolve the name.
  sprigx_define(funcs, "getHostByName", {Param::String}, [](CallContext&, std::vector<Value>&) {
    return Result<Value>(Value(""));
  });
}

}  // namespace cairn::render::detail
