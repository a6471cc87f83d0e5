// The Go-template conformance vectors (shared/fixtures/template-vectors):
// every vector must render exactly as the Go reference did, fail where it
// failed, and render without error where its output is nondeterministic.
#include <fstream>
#include <iostream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "render/codec.h"
#include "render/funcmap.h"
#include "tests/render/test_util.h"

namespace {

using cairn::render::Mode;

struct Outcome {
  int passed = 0;
  std::vector<std::string> failures;
};

std::string show(const std::string& s) { return nlohmann::json(s).dump(); }

Outcome run_vectors(const std::string& path) {
  Outcome outcome;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto v = nlohmann::json::parse(line);
    const std::string name = v.at("name");
    const Mode mode = v.at("mode") == "gotpl" ? Mode::Gotpl : Mode::Helm;
    auto data = cairn::render::json_decode(v.at("data").dump());
    REQUIRE(data.has_value());
    const auto got = cairn::render::render_text(mode, v.at("template").get<std::string>(), *data);
    std::string failure;
    if (v.value("error", false)) {
      if (got) failure = "expected an error, got output " + show(*got);
    } else if (!got) {
      failure = "unexpected error: " + got.error().message;
    } else if (!v.value("nondeterministic", false) && *got != v.at("output").get<std::string>()) {
      failure = "output " + show(*got) + "\n     want " + show(v.at("output").get<std::string>());
    }
    if (failure.empty()) {
      ++outcome.passed;
    } else {
      outcome.failures.push_back(name + ": " + failure);
    }
  }
  return outcome;
}

}  // namespace

TEST_CASE("every public template vector renders as the Go reference does", "[vectors]") {
  const auto outcome =
      run_vectors(cairn::render::testing::public_vectors_path());
  for (const auto& f : outcome.failures) std::cerr << "FAIL " << f << "\n";
  std::cerr << "template vectors: " << outcome.passed << " passed, " << outcome.failures.size()
            << " failed\n";
  CHECK(outcome.passed > 600);
  CHECK(outcome.failures.empty());
}
