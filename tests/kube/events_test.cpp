// EventRecorder against an in-process `cairn apiserver` (shared with leader_test.cpp).
#include "kube/events.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <sstream>

#include "kube/detail/text.h"
#include "tests/kube/fake_clock.h"
#include "tests/kube/test_apiserver.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const GroupVersionKind kEvent{"", "v1", "Event"};
const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};

// A clock that stands still until the test moves it, at a known wall time.
struct EventClock : testing::FakeClock {
  EventClock() {
    set_wall_base(*detail::parse_rfc3339("2026-11-30T20:31:07Z") +
                  std::chrono::microseconds(123456));
  }
};

struct Fixture {
  std::unique_ptr<Client> client = testing::test_client();
  EventClock clock;
  std::ostringstream log_out;  // read only after the recorder stopped

  EventRecorderConfig config() {
    EventRecorderConfig c;
    c.component = "cairn-test";
    c.host = "node-1";
    c.clock = &clock;
    c.logger = Logger::to_stream(log_out, LogFormat::kJson, LogLevel::kDebug);
    return c;
  }

  json config_map(const std::string& ns, const std::string& name) {
    auto created = client->create(json{{"apiVersion", "v1"},
                                       {"kind", "ConfigMap"},
                                       {"metadata", {{"name", name}, {"namespace", ns}}}});
    REQUIRE(created);
    return *created;
  }

  // The Events about the object with `uid` in `ns`, oldest name first.
  std::vector<json> events_about(const std::string& ns, const std::string& uid) {
    auto list = client->list(kEvent, ns);
    REQUIRE(list);
    std::vector<json> out;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("uid", "") == uid) out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
      return a["metadata"]["name"] < b["metadata"]["name"];
    });
    return out;
  }
};

std::string uid_of(const json& object) { return object["metadata"]["uid"].get<std::string>(); }

TEST_CASE("an event is created with the fields client-go's recorder sets", "[events]") {
  Fixture f;
  testing::create_test_namespace(*f.client, "events-create");
  json cm = f.config_map("events-create", "subject");
  EventRecorder recorder(*f.client, f.config());
  CHECK(recorder.normal(cm, "Created", "created the subject"));
  REQUIRE(recorder.flush(20s));

  auto events = f.events_about("events-create", uid_of(cm));
  REQUIRE(events.size() == 1);
  const json& e = events[0];
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(f.clock.wall_now().time_since_epoch())
          .count();
  std::ostringstream expected_name;
  expected_name << "subject." << std::hex << nanos;
  CHECK(e["metadata"]["name"] == expected_name.str());
  CHECK(e["metadata"]["namespace"] == "events-create");
  CHECK(e["involvedObject"] == json{{"apiVersion", "v1"},
                                    {"kind", "ConfigMap"},
                                    {"namespace", "events-create"},
                                    {"name", "subject"},
                                    {"uid", uid_of(cm)},
                                    {"resourceVersion", cm["metadata"]["resourceVersion"]}});
  CHECK(e["reason"] == "Created");
  CHECK(e["message"] == "created the subject");
  CHECK(e["type"] == "Normal");
  CHECK(e["source"] == json{{"component", "cairn-test"}, {"host", "node-1"}});
  CHECK(e["reportingComponent"] == "cairn-test");
  CHECK(e["reportingInstance"] == "node-1");
  CHECK(e["count"] == 1);
  CHECK(e["firstTimestamp"] == "2026-11-30T20:31:07Z");
  CHECK(e["lastTimestamp"] == "2026-11-30T20:31:07Z");

  CHECK(recorder.warning(cm, "Failed", "it broke"));
  REQUIRE(recorder.flush(20s));
  events = f.events_about("events-create", uid_of(cm));
  REQUIRE(events.size() == 2);
  CHECK(events[1]["type"] == "Warning");
  CHECK(events[1]["reason"] == "Failed");
  CHECK(recorder.dropped() == 0);
}

TEST_CASE("repeats of an event are aggregated into one Event with a count", "[events]") {
  Fixture f;
  testing::create_test_namespace(*f.client, "events-agg");
  json cm = f.config_map("events-agg", "busy");
  EventRecorder recorder(*f.client, f.config());
  for (int i = 0; i < 5; ++i) {
    CHECK(recorder.warning(cm, "ReconcileFailed", "cannot reach the registry"));
    f.clock.advance(30s);
  }
  CHECK(recorder.normal(cm, "ReconcileFailed", "another message"));
  REQUIRE(recorder.flush(20s));

  auto events = f.events_about("events-agg", uid_of(cm));
  REQUIRE(events.size() == 2);
  const json& repeated =
      events[0]["message"] == "cannot reach the registry" ? events[0] : events[1];
  const json& single = events[0]["message"] == "cannot reach the registry" ? events[1] : events[0];
  CHECK(repeated["count"] == 5);
  CHECK(repeated["firstTimestamp"] == "2026-11-30T20:31:07Z");
  CHECK(repeated["lastTimestamp"] == "2026-11-30T20:33:07Z");
  CHECK(single["count"] == 1);
  CHECK(single["type"] == "Normal");
}

TEST_CASE("aggregation ends after the window and when the Event was deleted", "[events]") {
  Fixture f;
  testing::create_test_namespace(*f.client, "events-window");
  json cm = f.config_map("events-window", "slow");
  EventRecorder recorder(*f.client, f.config());
  CHECK(recorder.normal(cm, "Synced", "synced"));
  f.clock.advance(9min);
  CHECK(recorder.normal(cm, "Synced", "synced"));
  REQUIRE(recorder.flush(20s));
  auto events = f.events_about("events-window", uid_of(cm));
  REQUIRE(events.size() == 1);
  CHECK(events[0]["count"] == 2);

  f.clock.advance(11min);  // past the ten-minute window since the last occurrence
  CHECK(recorder.normal(cm, "Synced", "synced"));
  REQUIRE(recorder.flush(20s));
  events = f.events_about("events-window", uid_of(cm));
  REQUIRE(events.size() == 2);
  CHECK(events[1]["count"] == 1);

  // The aggregated Event disappears (e.g. expired by the server): the next repeat creates one.
  REQUIRE(
      f.client->remove(kEvent, "events-window", events[1]["metadata"]["name"].get<std::string>()));
  f.clock.advance(1s);
  CHECK(recorder.normal(cm, "Synced", "synced"));
  REQUIRE(recorder.flush(20s));
  events = f.events_about("events-window", uid_of(cm));
  REQUIRE(events.size() == 2);
  CHECK(events[1]["count"] == 1);
  CHECK(events[1]["lastTimestamp"] == "2026-11-30T20:51:08Z");
}

TEST_CASE("events about cluster-scoped objects go to the default namespace", "[events]") {
  Fixture f;
  auto ns = f.client->create(json{{"apiVersion", "v1"},
                                  {"kind", "Namespace"},
                                  {"metadata", {{"name", "events-cluster-scoped"}}}});
  REQUIRE(ns);
  EventRecorder recorder(*f.client, f.config());
  CHECK(recorder.normal(*ns, "Observed", "namespace seen"));
  REQUIRE(recorder.flush(20s));
  auto events = f.events_about("default", uid_of(*ns));
  REQUIRE(events.size() == 1);
  CHECK(events[0]["metadata"]["namespace"] == "default");
  CHECK_FALSE(events[0]["involvedObject"].contains("namespace"));
  CHECK(events[0]["involvedObject"]["kind"] == "Namespace");
  CHECK(events[0]["involvedObject"]["name"] == "events-cluster-scoped");
}

TEST_CASE("a spamming object is limited by a token bucket", "[events]") {
  Fixture f;
  testing::create_test_namespace(*f.client, "events-spam");
  json cm = f.config_map("events-spam", "noisy");
  json quiet = f.config_map("events-spam", "quiet");
  auto config = f.config();
  config.spam_burst = 3;
  config.spam_refill = 5min;
  EventRecorder recorder(*f.client, config);
  std::vector<bool> accepted;
  for (int i = 0; i < 5; ++i) {
    accepted.push_back(recorder.normal(cm, "Tick", "tick " + std::to_string(i)));
  }
  CHECK(accepted == std::vector<bool>{true, true, true, false, false});
  CHECK(recorder.normal(quiet, "Tick", "other objects have their own bucket"));
  f.clock.advance(5min);
  CHECK(recorder.normal(cm, "Tick", "refilled"));
  CHECK_FALSE(recorder.normal(cm, "Tick", "empty again"));
  REQUIRE(recorder.flush(20s));
  CHECK(recorder.dropped() == 3);
  CHECK(f.events_about("events-spam", uid_of(cm)).size() == 4);
  CHECK(f.events_about("events-spam", uid_of(quiet)).size() == 1);
  recorder.stop();
  CHECK(f.log_out.str().find("object exceeded its event rate") != std::string::npos);
}

TEST_CASE("invalid events are refused", "[events]") {
  Fixture f;
  EventRecorder recorder(*f.client, f.config());
  json object{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "x"}}}};
  CHECK_FALSE(recorder.record(object, "Critical", "Bad", "not a type"));
  CHECK_FALSE(recorder.normal(json{{"kind", "ConfigMap"}}, "NoName", "no name"));
  CHECK_FALSE(recorder.normal(json::array(), "NotAnObject", "array"));
  recorder.stop();
  CHECK_FALSE(recorder.normal(object, "Late", "after stop"));
  CHECK(recorder.dropped() == 1);
}

// A TCP listener that never accepts: connections complete in the kernel and then hang.
struct Blackhole {
  int fd = -1;
  int port = 0;
  Blackhole() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~Blackhole() { close(fd); }
};

TEST_CASE("a full queue drops events without blocking the caller", "[events]") {
  Blackhole hole;
  RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(hole.port);
  config.qps = 0;
  config.request_timeout = 500ms;
  config.connect_timeout = 500ms;
  ClientOptions options;
  options.transport.retry.max_retries = 0;
  auto client = Client::create(config, options);
  REQUIRE(client);

  EventClock clock;
  std::ostringstream log_out;
  EventRecorderConfig rc;
  rc.queue_size = 4;
  rc.clock = &clock;
  rc.logger = Logger::to_stream(log_out, LogFormat::kJson, LogLevel::kDebug);
  EventRecorder recorder(**client, rc);
  json object{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "x"}, {"namespace", "default"}, {"uid", "u-1"}}}};
  int accepted = 0;
  for (int i = 0; i < 20; ++i) {
    if (recorder.normal(object, "Tick", "tick " + std::to_string(i))) ++accepted;
  }
  // At most the queue plus the one event the writer took before hanging on the server.
  CHECK(accepted >= 4);
  CHECK(accepted <= 5);
  CHECK(recorder.dropped() == static_cast<std::uint64_t>(20 - accepted));
  CHECK_FALSE(recorder.flush(50ms));
  recorder.stop();  // gives up the pending writes
  CHECK(recorder.dropped() >= static_cast<std::uint64_t>(20 - accepted + 3));
  CHECK(log_out.str().find("event queue is full, dropping event") != std::string::npos);
}

}  // namespace
}  // namespace cairn::kube
