// Benchmark: render every public fixture chart many times, with cairn and with
// the Go reference renderer gotpl-ref (when built), both in process (the
// renderers' own speed) and one process per render (what a command-line user
// sees). Prints charts/s, peak RSS and the ratios. Figures are recorded in
// docs/benchmarks.md.
//
//   build/bench/render_bench [--rounds N] [--blocks B] [--shared DIR] [--cairn BIN]
//                            [--gotpl-ref BIN]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/chart.h"

namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string name;
  cairn::render::ChartRenderOptions opts;
  std::vector<std::string> argv;  // command-line arguments after the binary
};

std::vector<Fixture> load_fixtures(const fs::path& root) {
  std::vector<Fixture> out;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path spec = entry.path() / "fixture.json";
    if (!fs::exists(spec)) continue;
    std::ifstream in(spec);
    const auto j = nlohmann::json::parse(in);
    Fixture f;
    f.name = entry.path().filename().string();
    f.opts.chart = (entry.path() / j.at("chart").get<std::string>()).string();
    f.opts.release_name = j.at("release");
    f.opts.namespace_name = j.at("namespace");
    f.opts.kube_version = j.at("kubeVersion");
    f.opts.include_crds = j.value("includeCRDs", false);
    f.argv = {f.opts.chart,          "--name",         f.opts.release_name, "--namespace",
              f.opts.namespace_name, "--kube-version", f.opts.kube_version};
    for (const auto& v : j.at("valuesFiles")) {
      f.opts.values_files.push_back((entry.path() / v.get<std::string>()).string());
      f.argv.push_back("-f");
      f.argv.push_back(f.opts.values_files.back());
    }
    if (f.opts.include_crds) f.argv.push_back("--include-crds");
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `bin first_arg argv...` with stdout discarded; true on exit status 0.
bool run_process(const std::string& bin, const std::string& first_arg,
                 const std::vector<std::string>& argv) {
  std::fflush(stdout);  // the child must not flush our buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    args.push_back(const_cast<char*>(bin.c_str()));
    if (!first_arg.empty()) args.push_back(const_cast<char*>(first_arg.c_str()));
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(127);
    execv(bin.c_str(), args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Figures {
  double renders_per_second = 0;
};

Figures bench_processes(const std::string& bin, const std::string& first_arg,
                        const std::vector<Fixture>& fixtures, int rounds) {
  const auto t0 = std::chrono::steady_clock::now();
  int renders = 0;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& f : fixtures) {
      if (!run_process(bin, first_arg, f.argv)) {
        std::cerr << bin << " failed on " << f.name << "\n";
        std::exit(1);
      }
      ++renders;
    }
  }
  return Figures{renders / seconds_since(t0)};
}

// Seconds cairn takes to load and render every fixture `rounds` times in this process, one
// fixture after the other as gotpl-ref's loop does; each fixture's seconds are added to
// `per_chart`.
double cairn_block(const std::vector<Fixture>& fixtures, int rounds, std::size_t& bytes,
                   std::vector<double>& per_chart) {
  double seconds = 0;
  for (std::size_t i = 0; i < fixtures.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      auto out = cairn::render::render_chart(fixtures[i].opts);
      if (!out) {
        std::cerr << fixtures[i].name << ": " << out.error().message << "\n";
        std::exit(1);
      }
      bytes += out->size();
    }
    const double s = seconds_since(t0);
    per_chart[i] += s;
    seconds += s;
  }
  return seconds;
}

// Seconds the Go reference spends in its own loop (its bench-chart command, added by
// hack/build-gotpl-ref.sh) for the same work: process start-up is not counted.
double ref_block(const std::string& ref_bin, const std::vector<Fixture>& fixtures, int rounds,
                 std::vector<double>& per_chart) {
  double seconds = 0;
  for (std::size_t i = 0; i < fixtures.size(); ++i) {
    std::string cmd = "'" + ref_bin + "' bench-chart " + std::to_string(rounds);
    for (const auto& a : fixtures[i].argv) cmd += " '" + a + "'";
    std::fflush(stdout);
    FILE* pipe = popen(cmd.c_str(), "r");
    double s = -1;
    if (!pipe || std::fscanf(pipe, "%lf", &s) != 1 || pclose(pipe) != 0 || s < 0) {
      std::cerr << "gotpl-ref bench-chart failed on " << fixtures[i].name << "\n";
      std::exit(1);
    }
    per_chart[i] += s;
    seconds += s;
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 20;
  int blocks = 4;
  std::string shared = CAIRN_SHARED_DIR;
  std::string cairn_bin = std::string(CAIRN_BINARY_DIR) + "/cairn";
  std::string ref_bin = std::string(CAIRN_BINARY_DIR) + "/tools/gotpl-ref";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (flag == "--blocks")
      blocks = std::atoi(argv[i + 1]);
    else if (flag == "--shared")
      shared = argv[i + 1];
    else if (flag == "--cairn")
      cairn_bin = argv[i + 1];
    else if (flag == "--gotpl-ref")
      ref_bin = argv[i + 1];
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (rounds < 1 || blocks < 1 || rounds % blocks != 0) {
    std::cerr << "--rounds must be a positive multiple of --blocks\n";
    return 2;
  }
  const auto fixtures = load_fixtures(fs::path(shared) / "fixtures/charts/public");
  if (fixtures.empty()) {
    std::cerr << "no fixture charts under " << shared << "\n";
    return 1;
  }
  const bool with_ref = fs::exists(ref_bin);
  std::cout << "charts: " << fixtures.size() << ", rounds: " << rounds << " in " << blocks
            << " blocks\n";

  // In process: the cost of loading + rendering a chart, nothing else. The two renderers take
  // turns block by block, so that a machine whose speed drifts during the run (shared cores)
  // slows both alike; every block's ratio is printed next to the total.
  const int per_block = rounds / blocks;
  std::size_t bytes = 0;
  double cairn_seconds = 0, ref_seconds = 0;
  std::vector<double> block_ratios;
  std::vector<double> cairn_chart(fixtures.size()), ref_chart(fixtures.size());
  for (int b = 0; b < blocks; ++b) {
    const double c = cairn_block(fixtures, per_block, bytes, cairn_chart);
    cairn_seconds += c;
    if (with_ref) {
      const double g = ref_block(ref_bin, fixtures, per_block, ref_chart);
      ref_seconds += g;
      block_ratios.push_back(g / c);
    }
  }
  const double in_process = rounds * fixtures.size() / cairn_seconds;
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  std::printf("cairn in-process:      %8.1f charts/s  peak RSS %6.1f MiB  (%zu bytes out)\n",
              in_process, self.ru_maxrss / 1024.0, bytes);
  if (with_ref) {
    const double ref_in_process = rounds * fixtures.size() / ref_seconds;
    rusage children{};
    getrusage(RUSAGE_CHILDREN, &children);  // only gotpl-ref children so far
    std::printf("gotpl-ref in-process:  %8.1f charts/s  peak RSS %6.1f MiB\n", ref_in_process,
                children.ru_maxrss / 1024.0);
    std::sort(block_ratios.begin(), block_ratios.end());
    std::printf(
        "ratio cairn/gotpl-ref in-process:          %.1fx  (blocks: min %.1fx, median "
        "%.1fx, max %.1fx)\n",
        in_process / ref_in_process, block_ratios.front(), block_ratios[block_ratios.size() / 2],
        block_ratios.back());
    for (std::size_t i = 0; i < fixtures.size(); ++i) {
      std::printf("  %-30s cairn %7.2f ms  gotpl-ref %7.2f ms  %5.1fx\n", fixtures[i].name.c_str(),
                  1e3 * cairn_chart[i] / rounds, 1e3 * ref_chart[i] / rounds,
                  ref_chart[i] / cairn_chart[i]);
    }
  } else {
    std::printf("gotpl-ref not built (%s): run hack/build-gotpl-ref.sh for the comparison\n",
                ref_bin.c_str());
  }

  // One process per render, as a user (or a controller shelling out) runs them:
  // includes process start-up and dynamic loading.
  if (fs::exists(cairn_bin)) {
    const Figures cli = bench_processes(cairn_bin, "render", fixtures, rounds);
    std::printf("cairn render process:  %8.1f charts/s\n", cli.renders_per_second);
    if (fs::exists(ref_bin)) {
      const Figures ref = bench_processes(ref_bin, "chart", fixtures, rounds);
      std::printf("gotpl-ref process:     %8.1f charts/s\n", ref.renders_per_second);
      std::printf("ratio cairn/gotpl-ref process per render:  %.1fx\n",
                  cli.renders_per_second / ref.renders_per_second);
    }
  }
  return 0;
}
