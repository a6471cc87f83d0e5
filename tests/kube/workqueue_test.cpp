#include "kube/workqueue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "tests/common/eventually.h"
#include "tests/kube/fake_server.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

constexpr auto kDeadline = 20s;

using ::cairn::testing::eventually;

// get() once a key is ready, so that a missing key fails the test instead of hanging it.
std::optional<std::string> get_ready(WorkQueue& queue) {
  REQUIRE(eventually([&] { return queue.len() > 0; }));
  return queue.get();
}

WorkQueueOptions plain_options() {
  WorkQueueOptions options;
  options.limits.qps = 0;
  return options;
}

QueueRateLimits backoff_only(std::chrono::nanoseconds base, std::chrono::nanoseconds cap) {
  QueueRateLimits limits;
  limits.base_delay = base;
  limits.max_delay = cap;
  limits.qps = 0;
  return limits;
}

TEST_CASE("rate limiter doubles a key's delay from the base up to the cap",
          "[workqueue][ratelimit]") {
  FakeClock clock;
  ItemRateLimiter limiter(backoff_only(5ms, 1s), clock);
  const std::vector<std::chrono::nanoseconds> expected = {5ms,   10ms,  20ms,  40ms, 80ms,
                                                          160ms, 320ms, 640ms, 1s,   1s};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("failure " << i);
    CHECK(limiter.when("a") == expected[i]);
  }
  CHECK(limiter.num_requeues("a") == 10);
  CHECK(limiter.num_requeues("b") == 0);
  CHECK(limiter.when("b") == 5ms);  // keys back off independently
  CHECK(limiter.num_requeues("b") == 1);

  limiter.forget("a");
  CHECK(limiter.num_requeues("a") == 0);
  CHECK(limiter.when("a") == 5ms);
  CHECK(limiter.when("a") == 10ms);
  CHECK(limiter.num_requeues("b") == 1);  // forgetting one key leaves the others
}

TEST_CASE("rate limiter backoff saturates at the cap however many failures",
          "[workqueue][ratelimit]") {
  FakeClock clock;
  QueueRateLimits limits;  // 5 ms -> 1000 s
  limits.qps = 0;
  ItemRateLimiter limiter(limits, clock);
  std::chrono::nanoseconds previous{0};
  for (int i = 0; i < 300; ++i) {
    const auto delay = limiter.when("k");
    REQUIRE(delay >= previous);
    REQUIRE(delay <= 1000s);
    previous = delay;
  }
  CHECK(previous == 1000s);
  CHECK(limiter.num_requeues("k") == 300);
  // 5 ms * 2^17 = 655.36 s is the last step below the cap.
  limiter.forget("k");
  for (int i = 0; i < 17; ++i) limiter.when("k");
  CHECK(limiter.when("k") == 655360ms);
  CHECK(limiter.when("k") == 1000s);
}

TEST_CASE("rate limiter token bucket delays by 1/qps once the burst is used and refills",
          "[workqueue][ratelimit]") {
  FakeClock clock;
  QueueRateLimits limits;
  limits.base_delay = 0ns;
  limits.qps = 10;
  limits.burst = 3;
  ItemRateLimiter limiter(limits, clock);
  // Distinct keys: only the bucket delays.
  CHECK(limiter.when("k1") == 0ns);
  CHECK(limiter.when("k2") == 0ns);
  CHECK(limiter.when("k3") == 0ns);
  CHECK(limiter.when("k4") == 100ms);
  CHECK(limiter.when("k5") == 200ms);
  CHECK(limiter.when("k6") == 300ms);

  clock.advance(1s);  // pays back the three borrowed tokens and refills the burst
  CHECK(limiter.when("k7") == 0ns);
  CHECK(limiter.when("k8") == 0ns);
  CHECK(limiter.when("k9") == 0ns);
  CHECK(limiter.when("k10") == 100ms);

  // One token was borrowed; one and a half come back, so the next take waits for the other
  // half of a token.
  clock.advance(150ms);
  CHECK(limiter.when("k11") == 50ms);
  CHECK(limiter.when("k12") == 150ms);
}

TEST_CASE("rate limiter returns the larger of the backoff and the bucket delay",
          "[workqueue][ratelimit]") {
  FakeClock clock;
  ItemRateLimiter limiter(QueueRateLimits{}, clock);  // 5 ms base, 10 qps, burst 100
  CHECK(limiter.when("a") == 5ms);
  CHECK(limiter.when("a") == 10ms);
  for (int i = 0; i < 98; ++i) {
    REQUIRE(limiter.when("other-" + std::to_string(i)) == 5ms);
  }
  CHECK(limiter.when("b") == 100ms);  // 101st token
  CHECK(limiter.when("a") == 200ms);  // backoff 20 ms, bucket 200 ms
  clock.advance(10s);
  CHECK(limiter.when("a") == 40ms);  // bucket refilled: the backoff rules again
}

TEST_CASE("work queue hands out a key added many times once", "[workqueue]") {
  WorkQueue queue(plain_options());
  for (int i = 0; i < 100; ++i) queue.add("a");
  CHECK(queue.len() == 1);
  CHECK(queue.get() == "a");
  CHECK(queue.len() == 0);
  CHECK(queue.processing() == 1);
  queue.done("a");
  CHECK(queue.len() == 0);
  CHECK(queue.processing() == 0);
  queue.add("a");  // after done, a new add queues it again
  CHECK(queue.len() == 1);
}

TEST_CASE("work queue hands out ready keys in FIFO order", "[workqueue]") {
  WorkQueue queue(plain_options());
  const std::vector<std::string> keys = {"ns/c", "ns/a", "other/b", "ns/d", "ns/a", "x/e"};
  for (const auto& key : keys) queue.add(key);
  std::vector<std::string> got;
  while (queue.len() > 0) got.push_back(*queue.get());
  CHECK(got == std::vector<std::string>{"ns/c", "ns/a", "other/b", "ns/d", "x/e"});
}

TEST_CASE("work queue hands out background keys only when no front key is ready",
          "[workqueue]") {
  WorkQueue queue(plain_options());
  for (const char* key : {"r1", "r2", "r3"}) queue.add_background(key);
  queue.add("a");
  queue.add_background("a");  // already pending in the front lane: stays there
  queue.add("r2");            // a change of a key waiting for its resync: moved to the front
  queue.add_background("r1");  // already pending: no second entry
  CHECK(queue.len() == 4);
  std::vector<std::string> got;
  while (queue.len() > 0) {
    got.push_back(*queue.get());
    queue.done(got.back());
  }
  CHECK(got == std::vector<std::string>{"a", "r2", "r1", "r3"});
  CHECK(queue.processing() == 0);
}

TEST_CASE("work queue re-queues a key re-added while processing in the lane of its adds",
          "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add("a");
  queue.add("b");
  REQUIRE(queue.get() == "a");
  REQUIRE(queue.get() == "b");
  queue.add_background("a");  // a resync while processing: background
  queue.add_background("b");
  queue.add("b");  // and a change: front
  queue.add("c");
  queue.done("a");
  queue.done("b");
  CHECK(queue.get() == "c");
  CHECK(queue.get() == "b");
  CHECK(queue.get() == "a");
  CHECK(queue.len() == 0);
}

TEST_CASE("work queue shut_down drops background keys", "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add_background("r");
  queue.add("a");
  REQUIRE(queue.get() == "a");
  queue.add_background("a");
  queue.shut_down();
  queue.done("a");
  CHECK(queue.len() == 0);
  CHECK_FALSE(queue.get().has_value());
  queue.add_background("x");  // ignored
  CHECK(queue.len() == 0);
}

TEST_CASE("work queue re-queues a key added while processing only when it is done", "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add("a");
  REQUIRE(queue.get() == "a");
  queue.add("a");
  queue.add("a");
  CHECK(queue.len() == 0);  // not handed to a second worker while processing

  std::atomic<bool> got{false};
  std::optional<std::string> second;
  std::thread worker([&] {
    second = queue.get();
    got = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(got.load());

  queue.done("a");
  const bool delivered = eventually([&] { return got.load(); });
  if (!delivered) queue.shut_down();  // releases the worker so the failure is reported
  worker.join();
  REQUIRE(delivered);
  CHECK(second == "a");
  queue.done("a");
  CHECK(queue.len() == 0);  // the two adds while processing made one more get
  CHECK(queue.processing() == 0);
  queue.done("never-handed-out");  // ignored
  CHECK(queue.processing() == 0);
}

TEST_CASE("work queue never processes a key twice at once and delivers every later add",
          "[workqueue]") {
  constexpr int kKeys = 8;
  constexpr int kWorkers = 4;
  constexpr int kProducers = 2;
  constexpr int kAddsPerProducer = 20000;
  WorkQueue queue(plain_options());
  std::vector<std::atomic<int>> active(kKeys);
  std::vector<std::atomic<long>> version(kKeys);
  std::vector<std::atomic<long>> seen(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    active[i] = 0;
    version[i] = 0;
    seen[i] = 0;
  }
  std::atomic<int> overlaps{0};
  std::atomic<long> gets{0};
  auto key_name = [](int i) { return "ns/key-" + std::to_string(i); };

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int i = std::stoi(key->substr(key->rfind('-') + 1));
        if (active[i].fetch_add(1) != 0) ++overlaps;
        // Every add of this key before get() returned bumped the version first.
        seen[i] = version[i].load();
        ++gets;
        std::this_thread::yield();
        active[i].fetch_sub(1);
        queue.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(static_cast<unsigned>(p + 1));
      for (int n = 0; n < kAddsPerProducer; ++n) {
        const int i = static_cast<int>(rng() % kKeys);
        ++version[i];
        if (n % 10 == 0) {
          queue.add_after(key_name(i), std::chrono::microseconds(rng() % 2000));
        } else {
          queue.add(key_name(i));
        }
        std::this_thread::yield();  // let the workers interleave with the adds
      }
    });
  }
  for (auto& t : producers) t.join();

  const bool all_seen = eventually([&] {
    for (int i = 0; i < kKeys; ++i) {
      if (seen[i].load() != version[i].load()) return false;
    }
    return true;
  });
  queue.shut_down();
  for (auto& t : workers) t.join();

  CHECK(all_seen);
  CHECK(overlaps.load() == 0);
  CHECK(gets.load() > 0);
  CHECK(gets.load() <= kProducers * kAddsPerProducer);
  CHECK(queue.processing() == 0);
}

TEST_CASE("work queue add_after delivers keys in ready-time order", "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add_after("a", 300ms);
  queue.add_after("b", 100ms);
  queue.add_after("c", 200ms);
  REQUIRE(eventually([&] { return queue.len() == 3; }));
  CHECK(queue.waiting() == 0);
  CHECK(queue.get() == "b");
  CHECK(queue.get() == "c");
  CHECK(queue.get() == "a");
}

TEST_CASE("work queue add_after keeps the earliest ready time of a waiting key", "[workqueue]") {
  WorkQueue queue(plain_options());

  SECTION("a sooner add_after moves a waiting key earlier") {
    queue.add_after("x", 1h);
    CHECK(queue.len() == 0);
    CHECK(queue.waiting() == 1);
    queue.add_after("x", 20ms);
    CHECK(get_ready(queue) == "x");
    queue.done("x");
    CHECK(queue.waiting() == 0);  // replaced, not held twice
    CHECK(queue.len() == 0);
  }
  SECTION("a later add_after does not postpone a waiting key") {
    queue.add_after("y", 20ms);
    queue.add_after("y", 1h);
    CHECK(get_ready(queue) == "y");  // within the test deadline, so not after an hour
  }
  SECTION("a non-positive delay adds at once") {
    queue.add_after("z", 0ns);
    queue.add_after("w", -5s);
    CHECK(queue.len() == 2);
    CHECK(queue.waiting() == 0);
  }
  SECTION("add does not cancel a waiting add_after") {
    queue.add_after("v", 1h);
    queue.add("v");
    CHECK(queue.len() == 1);
    CHECK(queue.waiting() == 1);
  }
  SECTION("a huge delay does not overflow") {
    queue.add_after("u", std::chrono::nanoseconds::max());
    queue.add_after("t", 10ms);
    CHECK(get_ready(queue) == "t");
    CHECK(queue.waiting() == 1);
  }
}

TEST_CASE("work queue add_rate_limited waits the limiter's delay and forget resets it",
          "[workqueue]") {
  FakeClock clock;
  SECTION("a long backoff holds the key") {
    WorkQueueOptions options;
    options.limits = backoff_only(1h, 2h);
    options.clock = &clock;
    WorkQueue queue(options);
    queue.add_rate_limited("a");
    CHECK(queue.len() == 0);
    CHECK(queue.waiting() == 1);
    CHECK(queue.num_requeues("a") == 1);
    queue.add_rate_limited("a");
    CHECK(queue.num_requeues("a") == 2);
    CHECK(queue.waiting() == 1);
    queue.forget("a");
    CHECK(queue.num_requeues("a") == 0);
    CHECK(queue.rate_limiter().when("a") == 1h);
  }
  SECTION("a short backoff delivers the key") {
    WorkQueueOptions options;
    options.limits = backoff_only(1ms, 1s);
    options.clock = &clock;
    WorkQueue queue(options);
    queue.add_rate_limited("b");
    CHECK(get_ready(queue) == "b");
    CHECK(queue.num_requeues("b") == 1);
  }
}

TEST_CASE("work queue shut_down unblocks getters and ignores later adds", "[workqueue]") {
  WorkQueue queue(plain_options());
  constexpr int kGetters = 3;
  std::atomic<int> returned{0};
  std::atomic<int> got_key{0};
  std::vector<std::thread> getters;
  for (int i = 0; i < kGetters; ++i) {
    getters.emplace_back([&] {
      if (queue.get()) ++got_key;
      ++returned;
    });
  }
  std::this_thread::sleep_for(50ms);
  CHECK(returned.load() == 0);
  CHECK_FALSE(queue.shutting_down());
  queue.shut_down();
  for (auto& t : getters) t.join();
  CHECK(returned.load() == kGetters);
  CHECK(got_key.load() == 0);
  CHECK(queue.shutting_down());

  queue.add("a");
  queue.add_after("b", 1ms);
  queue.add_after("c", 1h);
  queue.add_rate_limited("d");
  CHECK(queue.len() == 0);
  CHECK(queue.waiting() == 0);
  CHECK(queue.num_requeues("d") == 0);
  CHECK_FALSE(queue.get().has_value());
}

TEST_CASE("work queue shut_down drops queued and delayed keys", "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add("a");
  queue.add_after("b", 1h);
  queue.shut_down();
  queue.shut_down();  // idempotent
  CHECK(queue.len() == 0);
  CHECK(queue.waiting() == 0);
  CHECK_FALSE(queue.get().has_value());
}

TEST_CASE("work queue shut_down_with_drain waits for in-flight keys", "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add("a");
  queue.add("b");
  queue.add("c");
  REQUIRE(queue.get() == "a");
  REQUIRE(queue.get() == "b");

  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    queue.shut_down_with_drain();
    drained = true;
  });
  REQUIRE(eventually([&] { return queue.shutting_down(); }));
  CHECK_FALSE(queue.get().has_value());  // intake stopped, "c" is not handed out
  queue.add("a");                        // ignored: nothing to re-queue on done
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(drained.load());
  queue.done("a");
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(drained.load());  // "b" is still in flight
  queue.done("b");
  const bool returned = eventually([&] { return drained.load(); });
  if (!returned) queue.shut_down();  // releases the drainer so the failure is reported
  drainer.join();
  CHECK(returned);
  CHECK(queue.processing() == 0);
  CHECK(queue.len() == 0);
}

TEST_CASE("work queue shut_down_with_drain honours a deadline and a plain shut_down",
          "[workqueue]") {
  WorkQueue queue(plain_options());
  queue.add("a");
  REQUIRE(queue.get() == "a");

  SECTION("deadline") {
    CHECK_FALSE(queue.shut_down_with_drain(std::chrono::steady_clock::now() + 20ms));
    queue.done("a");
    CHECK(queue.shut_down_with_drain(std::chrono::steady_clock::now() + kDeadline));
  }
  SECTION("shut_down cancels the wait") {
    std::atomic<bool> drained{false};
    std::thread drainer([&] {
      queue.shut_down_with_drain();
      drained = true;
    });
    REQUIRE(eventually([&] { return queue.shutting_down(); }));
    queue.shut_down();
    const bool returned = eventually([&] { return drained.load(); });
    queue.done("a");  // releases the drainer should the cancel not have worked
    drainer.join();
    CHECK(returned);
  }
}

struct MetricsFixture {
  FakeClock clock;
  Metrics metrics;
  WorkqueueMetrics handles = metrics.workqueue("q");

  WorkQueueOptions options() {
    WorkQueueOptions o;
    o.name = "q";
    o.limits = backoff_only(1h, 2h);
    o.clock = &clock;
    o.metrics = &metrics;
    return o;
  }
};

TEST_CASE_METHOD(MetricsFixture, "work queue reports depth, adds, retries and durations",
                 "[workqueue][metrics]") {
  WorkQueue queue(options());
  queue.add("a");
  queue.add("a");
  queue.add("b");
  CHECK(handles.adds->Value() == 2);
  CHECK(handles.depth->Value() == 2);

  clock.advance(2s);
  REQUIRE(queue.get() == "a");
  CHECK(handles.depth->Value() == 1);
  clock.advance(3s);
  REQUIRE(queue.get() == "b");
  CHECK(handles.depth->Value() == 0);
  auto queued = handles.queue_duration->Collect().histogram;
  CHECK(queued.sample_count == 2);
  CHECK(queued.sample_sum == Approx(2.0 + 5.0));
  // "a" has run 3 s, "b" just started.
  CHECK(handles.unfinished_work_seconds->Value() == Approx(3.0));
  CHECK(handles.longest_running_processor_seconds->Value() == Approx(3.0));

  queue.add("a");  // re-added while processing: counted, queued on done
  CHECK(handles.adds->Value() == 3);
  CHECK(handles.depth->Value() == 1);

  clock.advance(1s);
  queue.done("a");
  auto work = handles.work_duration->Collect().histogram;
  CHECK(work.sample_count == 1);
  CHECK(work.sample_sum == Approx(4.0));
  CHECK(handles.unfinished_work_seconds->Value() == Approx(1.0));
  CHECK(handles.longest_running_processor_seconds->Value() == Approx(1.0));

  REQUIRE(queue.get() == "a");
  queued = handles.queue_duration->Collect().histogram;
  CHECK(queued.sample_count == 3);
  CHECK(queued.sample_sum == Approx(2.0 + 5.0 + 1.0));
  queue.done("a");
  queue.done("b");
  work = handles.work_duration->Collect().histogram;
  CHECK(work.sample_count == 3);
  CHECK(work.sample_sum == Approx(4.0 + 0.0 + 1.0));
  CHECK(handles.unfinished_work_seconds->Value() == 0);
  CHECK(handles.longest_running_processor_seconds->Value() == 0);

  queue.add_rate_limited("c");
  queue.add_rate_limited("c");
  CHECK(handles.retries->Value() == 2);
  CHECK(handles.adds->Value() == 3);  // still waiting: not added yet
  CHECK(handles.depth->Value() == 0);

  const std::string text = metrics.text();
  CHECK(text.find("workqueue_adds_total{name=\"q\"} 3") != std::string::npos);
  CHECK(text.find("workqueue_retries_total{name=\"q\"} 2") != std::string::npos);
}

TEST_CASE_METHOD(MetricsFixture, "work queue refreshes unfinished work while keys run",
                 "[workqueue][metrics]") {
  WorkQueue queue(options());
  queue.add("a");
  queue.add("b");
  REQUIRE(queue.get() == "a");
  clock.advance(4s);
  REQUIRE(queue.get() == "b");
  clock.advance(3s);  // no get or done from now on: only the timer thread updates the gauges
  CHECK(eventually([&] { return handles.unfinished_work_seconds->Value() == 7.0 + 3.0; }));
  CHECK(handles.longest_running_processor_seconds->Value() == Approx(7.0));
  clock.advance(2s);  // seen only by a later periodic update
  CHECK(eventually([&] { return handles.unfinished_work_seconds->Value() == 9.0 + 5.0; }));
  CHECK(handles.longest_running_processor_seconds->Value() == Approx(9.0));
  queue.done("a");
  queue.done("b");
  CHECK(handles.unfinished_work_seconds->Value() == 0);
}

TEST_CASE_METHOD(MetricsFixture, "work queue shutdown takes dropped keys out of the depth",
                 "[workqueue][metrics]") {
  WorkQueue queue(options());
  queue.add("a");
  queue.add("b");
  REQUIRE(queue.get() == "a");
  queue.add("a");  // dirty while processing
  CHECK(handles.depth->Value() == 2);
  queue.shut_down();
  CHECK(handles.depth->Value() == 1);  // "b" dropped
  queue.done("a");
  CHECK(handles.depth->Value() == 0);  // the re-add of "a" dropped
  CHECK(queue.len() == 0);
  CHECK(handles.work_duration->Collect().histogram.sample_count == 1);
}

TEST_CASE("work queue without a name reports no metrics", "[workqueue][metrics]") {
  FakeClock clock;
  Metrics metrics;
  WorkQueueOptions options = plain_options();
  options.clock = &clock;
  options.metrics = &metrics;
  WorkQueue queue(options);
  queue.add("a");
  REQUIRE(queue.get() == "a");
  queue.done("a");
  queue.add_rate_limited("a");
  CHECK(metrics.text().find("workqueue_adds_total{") == std::string::npos);
  CHECK(metrics.text().find("workqueue_depth{") == std::string::npos);
}

}  // namespace
}  // namespace cairn::kube
