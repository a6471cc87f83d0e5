// `cairn template`: render one template file with JSON data, in helm's or
// plain text/template's dialect (see fixtures/template-vectors/README.md).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/cairn/commands.h"
#include "render/codec.h"
#include "render/funcmap.h"

namespace cairn::cmd {
namespace {

struct TemplateArgs {
  std::string mode = "helm";
  std::string data_file;
  std::string file;
  std::string name;
};

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  out = std::move(buf).str();
  return true;
}

int run(const TemplateArgs& args) {
  std::string text, error;
  if (!read_file(args.file, text, error)) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  render::Value data = render::Value::nil();
  if (!args.data_file.empty()) {
    std::string json;
    if (!read_file(args.data_file, json, error)) {
      std::cerr << "Error: " << error << "\n";
      return 1;
    }
    auto decoded = render::json_decode(json);
    if (!decoded) {
      std::cerr << "Error: " << args.data_file << ": " << decoded.error().message << "\n";
      return 1;
    }
    data = std::move(*decoded);
  }
  const auto mode = args.mode == "gotpl" ? render::Mode::Gotpl : render::Mode::Helm;
  const std::string name =
      args.name.empty() ? std::filesystem::path(args.file).filename().string() : args.name;
  auto out = render::render_text(mode, text, data, name);
  if (!out) {
    std::cerr << "Error: " << out.error().message << "\n";
    return 1;
  }
  std::cout << *out << std::flush;
  return 0;
}

}  // namespace

void add_template_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TemplateArgs>();
  CLI::App* cmd = app.add_subcommand("template", "Render one Go template file with JSON data");
  cmd->add_option("--mode", args->mode,
                  "helm: helm's functions, missingkey=zero, <no value> removed; "
                  "gotpl: text/template + sprig, default missingkey")
      ->check(CLI::IsMember({"helm", "gotpl"}))
      ->capture_default_str();
  cmd->add_option("--data", args->data_file, "JSON file with the data (dot); numbers are float64");
  cmd->add_option("--name", args->name, "template name in messages (default: the file name)");
  cmd->add_option("file", args->file, "template file")->required();
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace cairn::cmd
