// Benchmark: render every public fixture chart many times, with cairn in this
// process, with the `cairn` binary (one process per render, like a user or
// the operator's helm calls), and with the Go reference renderer gotpl-ref
// (one process per render) when it is built. Prints charts/s, peak RSS and
// the ratios. Figures are recorded in docs/benchmarks.md.
//
//   build/bench/render_bench [--rounds N] [--shared DIR] [--cairn BIN] [--gotpl-ref BIN]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
    f.argv = {f.opts.chart, "--name", f.opts.release_name, "--namespace", f.opts.namespace_name,
              "--kube-version", f.opts.kube_version};
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
  long peak_rss_kib = 0;
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
  Figures fig;
  fig.renders_per_second = renders / seconds_since(t0);
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  fig.peak_rss_kib = usage.ru_maxrss;  // the largest child so far
  return fig;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 20;
  std::string shared = CAIRN_SHARED_DIR;
  std::string cairn_bin = std::string(CAIRN_BINARY_DIR) + "/cmd/cairn/cairn";
  std::string ref_bin = std::string(CAIRN_BINARY_DIR) + "/tools/gotpl-ref";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    else if (flag == "--shared") shared = argv[i + 1];
    else if (flag == "--cairn") cairn_bin = argv[i + 1];
    else if (flag == "--gotpl-ref") ref_bin = argv[i + 1];
    else { std::cerr << "unknown flag " << flag << "\n"; return 2; }
  }
  const auto fixtures = load_fixtures(fs::path(shared) / "fixtures/charts/public");
  if (fixtures.empty()) {
    std::cerr << "no fixture charts under " << shared << "\n";
    return 1;
  }
  std::cout << "charts: " << fixtures.size() << ", rounds: " << rounds << "\n";

  // In process: the cost of loading + rendering a chart, nothing else.
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t bytes = 0;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& f : fixtures) {
      auto out = cairn::render::render_chart(f.opts);
      if (!out) {
        std::cerr << f.name << ": " << out.error().message << "\n";
        return 1;
      }
      bytes += out->size();
    }
  }
  const double in_process = rounds * fixtures.size() / seconds_since(t0);
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  std::printf("cairn in-process:      %8.1f charts/s  peak RSS %6.1f MiB  (%zu bytes out)\n",
              in_process, self.ru_maxrss / 1024.0, bytes);

  Figures cli{};
  if (fs::exists(cairn_bin)) {
    cli = bench_processes(cairn_bin, "render", fixtures, rounds);
    std::printf("cairn render process:  %8.1f charts/s  peak RSS %6.1f MiB\n",
                cli.renders_per_second, cli.peak_rss_kib / 1024.0);
  }
  if (fs::exists(ref_bin)) {
    // Children's peak RSS is a running maximum: measure gotpl-ref in a fresh
    // child process so cairn's figure does not mask it.
    int pipefd[2];
    if (pipe(pipefd) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
      close(pipefd[0]);
      Figures ref = bench_processes(ref_bin, "chart", fixtures, rounds);
      if (write(pipefd[1], &ref, sizeof ref) != sizeof ref) _exit(1);
      _exit(0);
    }
    close(pipefd[1]);
    Figures ref{};
    const bool ok = read(pipefd[0], &ref, sizeof ref) == sizeof ref;
    waitpid(pid, nullptr, 0);
    if (!ok) return 1;
    std::printf("gotpl-ref process:     %8.1f charts/s  peak RSS %6.1f MiB\n",
                ref.renders_per_second, ref.peak_rss_kib / 1024.0);
    if (cli.renders_per_second > 0) {
      std::printf("ratio cairn/gotpl-ref (process per render): %.1fx\n",
                  cli.renders_per_second / ref.renders_per_second);
    }
    std::printf("ratio cairn in-process / gotpl-ref process: %.1fx\n",
                in_process / ref.renders_per_second);
  } else {
    std::printf("gotpl-ref not built (%s): run hack/build-gotpl-ref.sh for the comparison\n",
                ref_bin.c_str());
  }
  return 0;
}
