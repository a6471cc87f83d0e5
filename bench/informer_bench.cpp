// informer_bench: the cost of cairn::kube informers, against an in-process `cairn apiserver`
// (HTTPS, the admin kubeconfig it writes) holding N small ConfigMaps.
//
// Prints:
//   1. memory: RSS after an informer synced the N objects minus RSS before, per object, and the
//      average compact JSON size per object -> "RSS per cached object beyond JSON size"
//      (target <= 2 KiB), with the default informer (which drops metadata.managedFields) and
//      with one that caches objects exactly as served;
//   2. events/s: the informer's processing rate (parse, cache update, handler call) for a
//      pre-recorded stream of N MODIFIED watch events replayed from memory, with the process
//      pinned to one core (target >= 5,000/s); then N real updates through the apiserver with 8
//      writers, whose rate bounds what the informer can see;
//   3. GETs/s of one ConfigMap over keep-alive with Client from 1 and 4 threads, and how many
//      connections the transport opened for them.
//
//   informer_bench [--objects N] [--events N] [--seconds S] [--dir DIR]
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/server.h"
#include "bench/parallel.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"

// jemalloc's control interface when the program runs on jemalloc (see cairn_malloc); null
// otherwise.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using cairn::bench::parallel;
using cairn::kube::Client;
using cairn::kube::GroupVersionKind;
using cairn::kube::Informer;
using cairn::kube::InformerEventHandler;
using cairn::kube::InformerOptions;
using cairn::kube::ObjectPtr;

const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
constexpr const char* kNamespace = "bench";

[[noreturn]] void die(const std::string& why) {
  std::cerr << "informer_bench: " << why << "\n";
  std::exit(1);
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Returns freed memory to the OS so that RSS shows what is live.
void release_free_memory() {
  if (mallctl != nullptr) {
    // MALLCTL_ARENAS_ALL = 4096: purge every arena's dirty and muzzy pages.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  }
  malloc_trim(0);
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t settled_rss() {
  for (int i = 0; i < 3; ++i) {
    release_free_memory();
    std::this_thread::sleep_for(100ms);
  }
  return rss_bytes();
}

double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::unique_ptr<Client> make_client(const cairn::kube::RestConfig& config, std::size_t idle = 4) {
  cairn::kube::ClientOptions options;
  options.transport.max_idle_connections = idle;
  auto client = Client::create(config, options);
  if (!client) die("client: " + client.error().message);
  return std::move(*client);
}

json config_map(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "cm-%05d", i);
  return json{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", name}, {"namespace", kNamespace}, {"labels", {{"app", "bench"}}}}},
      {"data", {{"key", "value-" + std::to_string(i)}}}};
}

InformerOptions informer_options() {
  InformerOptions o;
  o.gvk = kConfigMap;
  o.ns = kNamespace;
  return o;
}

// ------------------------------------------------------------------ 1. memory

void measure_memory(const cairn::kube::RestConfig& config, int objects, bool keep_managed_fields) {
  auto client = make_client(config);
  // Warm up both sides (discovery, TLS session, the server's caches) with a full list.
  if (!client->list_all(kConfigMap, kNamespace)) die("warm-up list failed");
  const std::size_t before = settled_rss();
  InformerOptions o = informer_options();
  if (keep_managed_fields) o.transform = nullptr;
  auto informer = std::make_unique<Informer>(*client, o);
  const auto t0 = SteadyClock::now();
  informer->start();
  if (!informer->wait_for_sync(120s)) die("informer did not sync");
  const double sync_s = seconds_since(t0);
  const std::size_t after = settled_rss();
  const auto cached = informer->cache().list();
  if (static_cast<int>(cached.size()) != objects) die("cache size mismatch");
  std::size_t json_bytes = 0;
  for (const auto& obj : cached) json_bytes += obj->dump().size();
  const double per_object = static_cast<double>(after - before) / objects;
  const double json_per_object = static_cast<double>(json_bytes) / objects;
  const double beyond = per_object - json_per_object;
  std::printf("memory%s: synced %d objects in %.2f s; RSS %.1f -> %.1f MiB\n",
              keep_managed_fields ? " (transform = nullptr: managedFields kept)" : " (default)",
              objects, sync_s, mib(before), mib(after));
  std::printf(
      "  RSS per cached object %.0f B, compact JSON %.0f B -> "
      "RSS per cached object beyond JSON size: %.0f B (target <= 2048 B: %s)\n",
      per_object, json_per_object, beyond, beyond <= 2048 ? "met" : "MISSED");
  informer->stop();
}

// ------------------------------------------------------------------ 2. events/s

// A LineStream that replays pre-recorded lines, then waits to be cancelled.
class ReplayLines final : public cairn::kube::LineStream {
 public:
  ReplayLines(const std::vector<std::string>& lines, SteadyClock::time_point& first_read)
      : lines_(lines), first_read_(first_read) {}

  cairn::kube::Result<std::optional<std::string>> next_line(
      std::chrono::milliseconds timeout) override {
    if (next_ < lines_.size()) {
      if (next_ == 0) first_read_ = SteadyClock::now();
      return std::optional<std::string>(lines_[next_++]);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return cancelled_; });
    return tl::unexpected(cairn::kube::make_error(cairn::kube::ErrorKind::kCancelled, "done"));
  }
  void cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  const std::vector<std::string>& lines_;
  SteadyClock::time_point& first_read_;
  std::size_t next_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

// Lists `list` once, then replays `lines` on the first watch (later watches stay silent).
class ReplaySource final : public cairn::kube::ListerWatcher {
 public:
  ReplaySource(const json& list, const std::vector<std::string>& lines,
               SteadyClock::time_point& first_read)
      : list_(list), lines_(lines), first_read_(first_read) {}

  cairn::kube::Result<json> list(const cairn::kube::ListOptions&) override { return list_; }
  cairn::kube::Result<std::unique_ptr<cairn::kube::WatchStream>> watch(
      const cairn::kube::WatchOptions& options) override {
    static const std::vector<std::string> kNone;
    auto lines = std::make_unique<ReplayLines>(watched_ ? kNone : lines_, first_read_);
    watched_ = true;
    return std::make_unique<cairn::kube::WatchStream>(std::move(lines), options.read_timeout);
  }

 private:
  const json& list_;
  const std::vector<std::string>& lines_;
  SteadyClock::time_point& first_read_;
  bool watched_ = false;
};

// Counts updates and notes when the n-th arrived.
struct UpdateCounter {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  int target = 0;
  SteadyClock::time_point first;
  SteadyClock::time_point last;

  InformerEventHandler handler() {
    InformerEventHandler h;
    h.on_update = [this](const ObjectPtr& old_object, const ObjectPtr& object) {
      if (old_object == object) return;  // resync
      std::lock_guard lock(mu);
      if (count == 0) first = SteadyClock::now();
      if (++count == target) {
        last = SteadyClock::now();
        cv.notify_all();
      }
    };
    return h;
  }
  bool wait(std::chrono::seconds limit) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [this] { return count >= target; });
  }
};

void measure_replay(const json& list, int events) {
  // The recorded stream: MODIFIED events cycling through the listed objects, each with a new
  // resourceVersion and new data.
  const json& items = list["items"];
  long long rv = std::stoll(list["metadata"]["resourceVersion"].get<std::string>());
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(events));
  for (int i = 0; i < events; ++i) {
    json object = items[static_cast<std::size_t>(i) % items.size()];
    object["apiVersion"] = "v1";
    object["kind"] = "ConfigMap";
    object["metadata"]["resourceVersion"] = std::to_string(++rv);
    object["data"]["key"] = "replayed-" + std::to_string(i);
    lines.push_back(json{{"type", "MODIFIED"}, {"object", std::move(object)}}.dump());
  }

  // One core: the informer's threads inherit this thread's affinity.
  cpu_set_t all;
  sched_getaffinity(0, sizeof all, &all);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &all)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  sched_setaffinity(0, sizeof one, &one);

  SteadyClock::time_point first_read;
  UpdateCounter counter;
  counter.target = events;
  Informer informer(std::make_unique<ReplaySource>(list, lines, first_read), informer_options());
  informer.add_handler(counter.handler());
  informer.start();
  if (!counter.wait(120s)) die("replayed events were not all delivered");
  const double secs = std::chrono::duration<double>(counter.last - first_read).count();
  informer.stop();
  sched_setaffinity(0, sizeof all, &all);
  std::printf(
      "events: %d replayed MODIFIED events handled in %.3f s on one core -> %.0f "
      "events/s (target >= 5000: %s)\n",
      events, secs, events / secs, events / secs >= 5000 ? "met" : "MISSED");
}

void measure_live(const cairn::kube::RestConfig& config, int objects, int events) {
  auto client = make_client(config);
  auto writer = make_client(config, 8);
  Informer informer(*client, informer_options());
  UpdateCounter counter;
  counter.target = events;
  informer.add_handler(counter.handler());
  informer.start();
  if (!informer.wait_for_sync(120s)) die("informer did not sync");
  const auto t0 = SteadyClock::now();
  parallel(events, 8, [&](int i) {
    const json cm = config_map(i % objects);
    auto r = writer->patch(kConfigMap, kNamespace, cm["metadata"]["name"],
                           cairn::kube::PatchType::kMerge,
                           json{{"data", {{"key", "live-" + std::to_string(i)}}}});
    if (!r) die("update failed: " + r.error().message);
  });
  const double write_s = seconds_since(t0);
  if (!counter.wait(120s)) die("live updates were not all delivered");
  const double secs = std::chrono::duration<double>(counter.last - counter.first).count();
  std::printf(
      "  live: %d updates through the apiserver (8 writers: %.0f writes/s); the informer "
      "delivered them at %.0f events/s (bounded by the writes)\n",
      events, events / write_s, events / secs);
  informer.stop();
}

// ------------------------------------------------------------------ 3. requests/s

void measure_gets(const cairn::kube::RestConfig& config, double seconds) {
  for (int threads : {1, 4}) {
    auto client = make_client(config);
    if (!client->get(kConfigMap, kNamespace, "cm-00000")) die("get failed");
    const std::uint64_t opened_before = client->transport().connections_opened();
    std::atomic<std::uint64_t> done{0};
    const auto t0 = SteadyClock::now();
    const auto until = t0 + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        while (SteadyClock::now() < until) {
          if (!client->get(kConfigMap, kNamespace, "cm-00000")) die("get failed");
          done.fetch_add(1);
        }
      });
    }
    for (auto& t : pool) t.join();
    const double secs = seconds_since(t0);
    std::printf(
        "requests: %d thread%s: %.0f GETs/s over keep-alive (%llu GETs, %llu new "
        "connections; %llu in all including discovery)\n",
        threads, threads == 1 ? " " : "s", static_cast<double>(done.load()) / secs,
        static_cast<unsigned long long>(done.load()),
        static_cast<unsigned long long>(client->transport().connections_opened() - opened_before),
        static_cast<unsigned long long>(client->transport().connections_opened()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  int objects = 10000;
  int events = 10000;
  double seconds = 2.0;
  fs::path dir = fs::temp_directory_path() / ("cairn-informer-bench-" + std::to_string(getpid()));
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--objects") {
      objects = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--events") {
      events = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--seconds") {
      seconds = std::max(0.1, std::atof(value().c_str()));
    } else if (arg == "--dir") {
      dir = value();
    } else {
      die("usage: informer_bench [--objects N] [--events N] [--seconds S] [--dir DIR]");
    }
  }
  // The informers log at info (sync) and above; keep the figures readable.
  cairn::kube::configure_logging(cairn::kube::LogFormat::kText, cairn::kube::LogLevel::kWarn);

  fs::remove_all(dir);
  cairn::apiserver::ApiServerConfig server_config;
  server_config.data_dir = dir;
  server_config.listen = "127.0.0.1:0";
  auto server = cairn::apiserver::ApiServer::start(server_config);
  if (!server) die("apiserver: " + server.error().message);
  cairn::kube::KubeconfigOptions kubeconfig;
  kubeconfig.path = (*server)->kubeconfig();
  auto config = cairn::kube::load_kubeconfig(kubeconfig);
  if (!config) die("kubeconfig: " + config.error().message);
  config->qps = 0;

  {
    auto writer = make_client(*config, 8);
    if (!writer->create(json{
            {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}})) {
      die("namespace create failed");
    }
    const auto t0 = SteadyClock::now();
    parallel(objects, 8, [&](int i) {
      auto r = writer->create(config_map(i));
      if (!r) die("create failed: " + r.error().message);
    });
    std::printf(
        "informer_bench: %d ConfigMaps in an in-process apiserver (created in %.1f s "
        "with 8 writers)\n",
        objects, seconds_since(t0));
  }

  measure_memory(*config, objects, false);
  measure_memory(*config, objects, true);

  json list;
  {
    auto client = make_client(*config);
    auto listed = client->list_all(kConfigMap, kNamespace);
    if (!listed) die("list failed: " + listed.error().message);
    list = std::move(*listed);
  }
  measure_replay(list, events);
  measure_live(*config, objects, events);
  measure_gets(*config, seconds);

  (*server)->stop();
  fs::remove_all(dir);
  return 0;
}
