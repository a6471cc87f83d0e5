// gen_crds CONFIG_CRD_DIR: writes the generated files of crd_files.h under CONFIG_CRD_DIR
// (normally <repo>/config/crd), replacing what is there. Run through hack/gen-crds.sh.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/api/crd_files.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_crds CONFIG_CRD_DIR\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  auto files = cairn::api::testing::generated_crd_files();
  if (!files) {
    std::fprintf(stderr, "gen_crds: %s\n", files.error().message.c_str());
    return 1;
  }
  for (const auto& file : *files) {
    const std::filesystem::path path = root / file.path;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      std::fprintf(stderr, "gen_crds: %s: %s\n", path.parent_path().c_str(), ec.message().c_str());
      return 1;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << file.text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "gen_crds: cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}
