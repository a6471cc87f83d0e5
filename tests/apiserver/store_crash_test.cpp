// Crash test: a child process writes through a Store and reports each acknowledged write
// through a pipe; the parent SIGKILLs it at a random moment, reopens the store and checks that
// every acknowledged write is there, with its content and RV, and that RVs never go backwards.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "store_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

struct Ack {
  std::int64_t rv;
  std::string name;
  std::string content;
};

[[noreturn]] void child_main(const std::filesystem::path& dir, int fd, int round) {
  StoreOptions o;
  o.data_dir = dir;
  o.compaction_interval = std::chrono::seconds(0);
  auto store = Store::open(o);
  if (!store) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string name = "r" + std::to_string(round) + "-t" + std::to_string(t);
      for (long i = 0;; ++i) {
        // Each thread creates its object, then keeps updating it; every 10th write is a
        // brand-new object so that creates are exercised throughout.
        const std::string obj_name = i % 10 == 9 ? name + "-" + std::to_string(i) : name;
        const std::string content = std::to_string(i) + "-" + std::string(i % 50, 'x');
        auto r = (i == 0 || i % 10 == 9)
                     ? (*store)->create(kConfigMaps, "ns", config_map(obj_name, {{"c", content}}))
                     : (*store)->update(cm_key("ns", obj_name),
                                        config_map(obj_name, {{"c", content}}));
        if (!r) _exit(4);
        char line[256];
        const int n = std::snprintf(line, sizeof line, "%lld %s %s\n",
                                    static_cast<long long>(rv_of(*r)), obj_name.c_str(),
                                    content.c_str());
        if (::write(fd, line, static_cast<std::size_t>(n)) != n) _exit(5);  // atomic: < PIPE_BUF
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

}  // namespace

TEST_CASE("acknowledged writes survive SIGKILL and RVs never go backwards", "[store][crash]") {
  TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::int64_t floor_rv = 0;  // every RV of a later round must be above this
  for (int round = 0; round < 4; ++round) {
    INFO("round " << round);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_main(dir.path(), fds[1], round);
    }
    ::close(fds[1]);

    // Read acknowledgements; kill the child a random time after the first one.
    std::string buffer;
    const auto kill_after = std::chrono::milliseconds(20 + rng() % 200);
    const auto hard_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::optional<std::chrono::steady_clock::time_point> kill_at;
    bool killed = false;
    while (true) {
      const auto now = std::chrono::steady_clock::now();
      if (!killed && ((kill_at && now >= *kill_at) || now >= hard_deadline)) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
      pollfd p{fds[0], POLLIN, 0};
      ::poll(&p, 1, 5);
      if (p.revents & (POLLIN | POLLHUP)) {
        char chunk[65536];
        const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        if (n > 0) {
          buffer.append(chunk, static_cast<std::size_t>(n));
          if (!kill_at) kill_at = std::chrono::steady_clock::now() + kill_after;
        } else if (n == 0) {
          break;  // every writer end closed: the child is gone
        }
      }
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));  // it did not fail on its own
    CHECK(WTERMSIG(status) == SIGKILL);

    std::vector<Ack> acks;
    std::istringstream in(buffer);
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      Ack a;
      ls >> a.rv >> a.name >> a.content;
      acks.push_back(a);
    }
    INFO(acks.size() << " acknowledged writes");
    REQUIRE(!acks.empty());

    // Reopen: every acknowledged write is in the rebuilt history with its content, and the
    // newest state of each object is at least as new as its newest acknowledged write.
    auto store = open_store(dir.path(), /*history=*/1'000'000);
    WatchOptions o(kConfigMaps);
    o.resource_version = std::to_string(floor_rv ? floor_rv : kInitialResourceVersion);
    auto w = store->watch(o);
    REQUIRE(w);
    std::map<std::int64_t, WatchEvent> events;
    while (true) {
      auto e = (*w)->try_next();
      REQUIRE(e);
      if (!*e) break;
      CHECK(events.count((*e)->resource_version) == 0);  // one object per RV
      events[(*e)->resource_version] = **e;
    }
    std::map<std::string, Ack> newest;
    for (const Ack& a : acks) {
      CHECK(a.rv > floor_rv);
      auto it = events.find(a.rv);
      REQUIRE(it != events.end());
      CHECK((*it->second.object)["metadata"]["name"] == a.name);
      CHECK((*it->second.object)["data"]["c"] == a.content);
      if (newest[a.name].rv < a.rv) newest[a.name] = a;
    }
    for (const auto& [name, a] : newest) {
      auto got = store->get(cm_key("ns", name));
      REQUIRE(got);
      CHECK(rv_of(*got) >= a.rv);
      if (rv_of(*got) == a.rv) CHECK((*got)["data"]["c"] == a.content);
    }
    const std::int64_t current = store->current_resource_version();
    CHECK(current >= events.rbegin()->first);
    auto probe = store->create(kConfigMaps, "probe", config_map("p" + std::to_string(round)));
    REQUIRE(probe);
    CHECK(rv_of(*probe) == current + 1);
    floor_rv = rv_of(*probe);
  }
}
