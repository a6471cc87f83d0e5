// Leader election against an in-process `cairn apiserver` (tests/kube/test_apiserver.h).
#include "kube/leader.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "apiserver/server.h"
#include "tests/kube/tcp_proxy.h"
#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

const GroupVersionKind kLease{"coordination.k8s.io", "v1", "Lease"};
const std::regex kMicroTime(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$)");

// What the callbacks of one elector saw.
struct Probe {
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  std::mutex mu;
  std::vector<std::string> new_leaders;

  std::vector<std::string> leaders() {
    std::lock_guard lock(mu);
    return new_leaders;
  }
};

// A log destination that is read only after the electors writing to it were stopped.
struct LogCapture {
  std::ostringstream out;
  Logger logger = Logger::to_stream(out, LogFormat::kJson, LogLevel::kDebug);
};

LeaderElectionConfig fast_config(const std::string& ns, const std::string& identity,
                                 Metrics& metrics, Probe& probe, LogCapture& log) {
  LeaderElectionConfig config;
  config.lease_namespace = ns;
  config.lease_name = "cairn-leader";
  config.identity = identity;
  config.lease_duration = 1000ms;
  config.renew_deadline = 700ms;
  config.retry_period = 200ms;
  config.metrics = &metrics;
  config.logger = log.logger;
  config.on_started_leading = [&probe] { ++probe.started; };
  config.on_stopped_leading = [&probe] { ++probe.stopped; };
  config.on_new_leader = [&probe](const std::string& id) {
    std::lock_guard lock(probe.mu);
    probe.new_leaders.push_back(id);
  };
  return config;
}

std::unique_ptr<LeaderElector> make_elector(Client& client, LeaderElectionConfig config) {
  auto elector = LeaderElector::create(client, std::move(config));
  REQUIRE(elector);
  return std::move(*elector);
}

json lease_spec(Client& client, const std::string& ns) {
  auto lease = client.get(kLease, ns, "cairn-leader");
  REQUIRE(lease);
  return (*lease)["spec"];
}

TEST_CASE("leader election lifecycle follows its transition table", "[leader]") {
  using S = LeaderState;
  const std::vector<S> states{S::kIdle, S::kCandidate, S::kLeading, S::kReleasing, S::kStopped};
  const std::set<std::pair<S, S>> allowed{
      {S::kIdle, S::kCandidate},    {S::kIdle, S::kStopped},      {S::kCandidate, S::kLeading},
      {S::kCandidate, S::kStopped}, {S::kLeading, S::kReleasing}, {S::kLeading, S::kStopped},
      {S::kReleasing, S::kStopped},
  };
  for (S from : states) {
    for (S to : states) {
      INFO(to_string(from) << " -> " << to_string(to));
      CHECK(leader_transition_allowed(from, to) == (allowed.count({from, to}) == 1));
    }
  }
  CHECK(to_string(S::kLeading) == "Leading");
  CHECK(to_string(S::kReleasing) == "Releasing");
}

TEST_CASE("leader election validates its durations and names", "[leader]") {
  auto client = testing::test_client();
  struct Case {
    const char* what;
    std::chrono::milliseconds lease, renew, retry;
    std::string name;
    bool ok;
  };
  const std::vector<Case> cases{
      {"defaults", 15000ms, 10000ms, 2000ms, "l", true},
      {"test timings", 1000ms, 700ms, 200ms, "l", true},
      {"renew equals lease", 1000ms, 1000ms, 200ms, "l", false},
      {"renew over lease", 1000ms, 1500ms, 200ms, "l", false},
      {"retry not below renew / 1.2", 1000ms, 700ms, 600ms, "l", false},
      {"zero retry", 1000ms, 700ms, 0ms, "l", false},
      {"no lease name", 1000ms, 700ms, 200ms, "", false},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    LeaderElectionConfig config;
    config.lease_namespace = "default";
    config.lease_name = c.name;
    config.lease_duration = c.lease;
    config.renew_deadline = c.renew;
    config.retry_period = c.retry;
    auto elector = LeaderElector::create(*client, config);
    CHECK(static_cast<bool>(elector) == c.ok);
    if (elector) {
      CHECK((*elector)->state() == LeaderState::kIdle);
      CHECK_FALSE((*elector)->identity().empty());
    } else {
      CHECK(elector.error().kind == ErrorKind::kConfig);
    }
  }
  CHECK(lease_duration_seconds(15000ms) == 15);
  CHECK(lease_duration_seconds(1000ms) == 1);
  CHECK(lease_duration_seconds(1001ms) == 2);
  CHECK(lease_duration_seconds(300ms) == 1);
  const std::string id = default_leader_identity();
  CHECK(std::regex_match(id, std::regex(R"(^.+_[0-9a-f]{16}$)")));
  CHECK(default_leader_identity() != id);
}

TEST_CASE("two electors on one lease: exactly one leads and the other follows it", "[leader]") {
  auto client = testing::test_client();
  const std::string ns = "leader-two";
  testing::create_test_namespace(*client, ns);
  Metrics metrics_a, metrics_b;
  Probe probe_a, probe_b;
  LogCapture log_a, log_b;
  // A lease long enough that a slow machine cannot make the follower take over a lease that
  // is being renewed every 200 ms.
  auto steady = [](LeaderElectionConfig config) {
    config.lease_duration = 5s;
    config.renew_deadline = 3s;
    return config;
  };
  auto a = make_elector(*client, steady(fast_config(ns, "replica-a", metrics_a, probe_a, log_a)));
  auto b = make_elector(*client, steady(fast_config(ns, "replica-b", metrics_b, probe_b, log_b)));
  a->start();
  b->start();

  REQUIRE(eventually([&] { return a->is_leader() || b->is_leader(); }, 20s));
  LeaderElector& leader = a->is_leader() ? *a : *b;
  LeaderElector& follower = a->is_leader() ? *b : *a;
  Probe& leader_probe = a->is_leader() ? probe_a : probe_b;
  Probe& follower_probe = a->is_leader() ? probe_b : probe_a;
  Metrics& leader_metrics = a->is_leader() ? metrics_a : metrics_b;
  Metrics& follower_metrics = a->is_leader() ? metrics_b : metrics_a;

  REQUIRE(eventually([&] { return follower.leader() == leader.identity(); }, 20s));
  // Let several renewals happen: the follower must never take over a lease that is renewed.
  std::this_thread::sleep_for(1500ms);
  CHECK(leader.is_leader());
  CHECK_FALSE(follower.is_leader());
  CHECK(follower.state() == LeaderState::kCandidate);
  CHECK(leader.leader() == leader.identity());
  CHECK(follower.leader() == leader.identity());
  CHECK(eventually([&] { return leader_probe.started == 1; }, 20s));
  CHECK(follower_probe.started == 0);
  CHECK(eventually([&] { return !follower_probe.leaders().empty(); }, 20s));
  CHECK(follower_probe.leaders().front() == leader.identity());
  CHECK(leader_probe.leaders() == std::vector<std::string>{leader.identity()});
  CHECK(leader_metrics.leader_election_status("cairn-leader").Value() == 1);
  CHECK(follower_metrics.leader_election_status("cairn-leader").Value() == 0);
  CHECK(leader_metrics.text().find("leader_election_master_status{name=\"cairn-leader\"} 1") !=
        std::string::npos);

  json spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == leader.identity());
  CHECK(spec["leaseDurationSeconds"] == 5);
  CHECK(spec["leaseTransitions"] == 0);
  CHECK(std::regex_match(spec["renewTime"].get<std::string>(), kMicroTime));
  CHECK(std::regex_match(spec["acquireTime"].get<std::string>(), kMicroTime));
  CHECK(spec["renewTime"] != spec["acquireTime"]);  // renewed since it was acquired

  // The follower first: it watches the Lease and would take over the released lease at once.
  follower.stop();
  leader.stop();
  CHECK(leader_probe.stopped == 1);
  CHECK(follower_probe.stopped == 0);
  CHECK(leader.state() == LeaderState::kStopped);
  CHECK(follower.state() == LeaderState::kStopped);
  CHECK(leader_metrics.leader_election_status("cairn-leader").Value() == 0);
  const std::string leader_log = &leader == a.get() ? log_a.out.str() : log_b.out.str();
  CHECK(leader_log.find("\"msg\":\"successfully acquired lease\"") != std::string::npos);
  CHECK(leader_log.find("\"lease\":\"leader-two/cairn-leader\"") != std::string::npos);
  CHECK(leader_log.find("\"msg\":\"released lease\"") != std::string::npos);
}

TEST_CASE("stop() releases the lease and a candidate takes over without waiting for expiry",
          "[leader]") {
  auto client = testing::test_client();
  const std::string ns = "leader-release";
  testing::create_test_namespace(*client, ns);
  Metrics metrics_a, metrics_b;
  Probe probe_a, probe_b;
  LogCapture log_a, log_b;
  // A lease far longer than the wait below: only a release lets the second replica in.
  auto config_a = fast_config(ns, "first", metrics_a, probe_a, log_a);
  config_a.lease_duration = 60s;
  auto config_b = fast_config(ns, "second", metrics_b, probe_b, log_b);
  config_b.lease_duration = 60s;
  auto a = make_elector(*client, config_a);
  a->start();
  REQUIRE(a->wait_until_leading(20s));
  auto b = make_elector(*client, config_b);
  b->start();
  REQUIRE(eventually([&] { return b->leader() == "first"; }, 20s));
  CHECK_FALSE(b->is_leader());

  a->stop();
  CHECK(probe_a.stopped == 1);
  CHECK_FALSE(a->is_leader());
  REQUIRE(b->wait_until_leading(20s));
  CHECK(b->leader() == "second");
  json spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == "second");
  CHECK(spec["leaseTransitions"] == 1);
  CHECK(spec["leaseDurationSeconds"] == 60);
  CHECK(std::regex_match(spec["acquireTime"].get<std::string>(), kMicroTime));
  CHECK(log_a.out.str().find("\"msg\":\"released lease\"") != std::string::npos);

  // A released lease reads: no holder, one-second duration, renewTime now.
  b->stop();
  spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == "");
  CHECK(spec["leaseDurationSeconds"] == 1);
  CHECK(spec["leaseTransitions"] == 1);
  CHECK(std::regex_match(spec["renewTime"].get<std::string>(), kMicroTime));
}

TEST_CASE("a leader that vanishes without releasing is replaced after the lease duration",
          "[leader]") {
  auto client = testing::test_client();
  const std::string ns = "leader-vanish";
  testing::create_test_namespace(*client, ns);
  Metrics metrics_a, metrics_b;
  Probe probe_a, probe_b;
  LogCapture log_a, log_b;
  auto config_a = fast_config(ns, "vanishing", metrics_a, probe_a, log_a);
  config_a.release_on_cancel = false;
  config_a.lease_duration = 3s;
  config_a.renew_deadline = 2s;
  auto a = make_elector(*client, config_a);
  a->start();
  REQUIRE(a->wait_until_leading(20s));
  const std::string acquired = lease_spec(*client, ns)["acquireTime"].get<std::string>();
  auto b = make_elector(*client, fast_config(ns, "successor", metrics_b, probe_b, log_b));
  b->start();
  REQUIRE(eventually([&] { return b->leader() == "vanishing"; }, 20s));

  a->stop();
  // Not released: the record still names the old holder, so the successor must wait for the
  // three-second lease to expire as it observes it.
  json spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == "vanishing");
  CHECK(spec["leaseDurationSeconds"] == 3);
  CHECK_FALSE(b->is_leader());

  REQUIRE(b->wait_until_leading(20s));
  spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == "successor");
  CHECK(spec["leaseTransitions"] == 1);
  CHECK(spec["leaseDurationSeconds"] == 1);
  CHECK(spec["acquireTime"] != acquired);
  CHECK(eventually(
      [&] {
        auto seen = probe_b.leaders();
        return seen.size() == 2 && seen[0] == "vanishing" && seen[1] == "successor";
      },
      20s));
  b->stop();
  CHECK(log_b.out.str().find("\"previousHolder\":\"vanishing\"") != std::string::npos);
}

TEST_CASE("a takeover whose reply was lost is logged when the next attempt finds the lease ours",
          "[leader]") {
  // Plain HTTP, so that the proxy can tell the takeover write from the reads.
  auto own = testing::start_test_apiserver("lost-reply", 2000, /*insecure=*/true);
  auto direct = testing::test_client(own->config);
  const std::string ns = "leader-lost-reply";
  testing::create_test_namespace(*direct, ns);
  // The lease of a replica that is gone.
  REQUIRE(direct->create(json{{"apiVersion", "coordination.k8s.io/v1"},
                              {"kind", "Lease"},
                              {"metadata", {{"name", "cairn-leader"}, {"namespace", ns}}},
                              {"spec",
                               {{"holderIdentity", "vanishing"},
                                {"leaseDurationSeconds", 1},
                                {"renewTime", "2026-11-30T20:31:07.123456Z"},
                                {"leaseTransitions", 0}}}}));
  testing::TcpProxy proxy(own->server->port());
  RestConfig via_proxy = own->config;
  via_proxy.server = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto client = testing::test_client(via_proxy);
  // The server applies the takeover (the elector's first write) but its reply never arrives:
  // the elector's request times out.
  proxy.mute_reply_to("PUT ");

  Metrics metrics;
  Probe probe;
  LogCapture log;
  auto elector = make_elector(*client, fast_config(ns, "successor", metrics, probe, log));
  elector->start();
  REQUIRE(elector->wait_until_leading(20s));
  CHECK(proxy.muted_replies() == 1);
  const json spec = lease_spec(*direct, ns);
  CHECK(spec["holderIdentity"] == "successor");
  CHECK(spec["leaseTransitions"] == 1);  // the write whose reply was lost, applied once
  elector->stop();
  const std::string out = log.out.str();
  CHECK(out.find("\"msg\":\"cannot update lease\"") != std::string::npos);
  // The next attempt found the lease already ours; the takeover is logged once all the same.
  const auto first = out.find("\"msg\":\"took over lease\"");
  REQUIRE(first != std::string::npos);
  CHECK(out.find("\"msg\":\"took over lease\"", first + 1) == std::string::npos);
  CHECK(out.find("\"previousHolder\":\"vanishing\"") != std::string::npos);
}

TEST_CASE("a leader whose lease is taken over stops leading", "[leader]") {
  auto client = testing::test_client();
  const std::string ns = "leader-steal";
  testing::create_test_namespace(*client, ns);
  Metrics metrics;
  Probe probe;
  LogCapture log;
  auto elector = make_elector(*client, fast_config(ns, "victim", metrics, probe, log));
  elector->start();
  REQUIRE(elector->wait_until_leading(20s));
  CHECK(metrics.leader_election_status("cairn-leader").Value() == 1);

  // Another writer claims the lease with a fresh renewTime (retrying while the leader renews).
  REQUIRE(eventually(
      [&] {
        auto lease = client->get(kLease, ns, "cairn-leader");
        if (!lease) return false;
        (*lease)["spec"]["holderIdentity"] = "thief";
        (*lease)["spec"]["leaseDurationSeconds"] = 60;
        (*lease)["spec"]["renewTime"] = "2026-11-30T20:31:07.123456Z";
        return static_cast<bool>(client->update(*lease));
      },
      20s));

  REQUIRE(eventually([&] { return elector->state() == LeaderState::kStopped; }, 20s));
  CHECK_FALSE(elector->is_leader());
  CHECK(elector->leader() == "thief");
  CHECK(metrics.leader_election_status("cairn-leader").Value() == 0);
  elector->stop();  // nothing to release: the lease is not ours; joins the callbacks
  CHECK(probe.started == 1);
  CHECK(probe.stopped == 1);
  json spec = lease_spec(*client, ns);
  CHECK(spec["holderIdentity"] == "thief");
  CHECK(log.out.str().find("\"msg\":\"lease was taken over, stopping leading\"") !=
        std::string::npos);
}

TEST_CASE("a leader that cannot renew within the renew deadline stops leading", "[leader]") {
  auto own = testing::start_test_apiserver("unreachable");
  ClientOptions options;
  options.transport.retry.max_retries = 0;
  RestConfig config = own->config;
  config.request_timeout = 2s;
  config.connect_timeout = 2s;
  auto client = Client::create(config, options);
  REQUIRE(client);
  testing::create_test_namespace(**client, "leader-lost");
  Metrics metrics;
  Probe probe;
  LogCapture log;
  auto elector = make_elector(**client, fast_config("leader-lost", "cut-off", metrics, probe, log));
  elector->start();
  REQUIRE(elector->wait_until_leading(20s));

  own->server->stop();  // every renewal fails from now on
  REQUIRE(eventually([&] { return elector->state() == LeaderState::kStopped; }, 20s));
  CHECK(metrics.leader_election_status("cairn-leader").Value() == 0);
  elector->stop();
  CHECK(probe.stopped == 1);
  CHECK(log.out.str().find("failed to renew lease within the renew deadline") != std::string::npos);
}

TEST_CASE("stop() before start() and repeated stop() are harmless", "[leader]") {
  auto client = testing::test_client();
  Metrics metrics;
  Probe probe;
  LogCapture log;
  auto elector = make_elector(*client, fast_config("default", "idle", metrics, probe, log));
  CHECK_FALSE(elector->wait_until_leading(10ms));
  elector->stop();
  CHECK(elector->state() == LeaderState::kStopped);
  elector->start();  // a stopped elector stays stopped
  CHECK(elector->state() == LeaderState::kStopped);
  elector->stop();
  CHECK_FALSE(elector->wait_until_leading(10ms));
  CHECK(probe.started == 0);
  CHECK(probe.stopped == 0);
}

}  // namespace
}  // namespace cairn::kube
