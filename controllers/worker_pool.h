// WorkerPool: a fixed number of threads running keyed tasks — feed lists and release downloads
// run here, never on a reconcile worker (they block on the network for seconds or minutes).
//
// A key names what a task does ("list <feed>", "download <feed> <tag>"): while a task with a key
// is queued or running, submitting the same key again is refused (returns false), so a
// reconcile that runs again before its download finished does not start a second one. Tasks run
// in submission order. A task must not throw (an exception is caught and logged, the key freed).
//
// stop() (also from the destructor) drops queued tasks and joins the threads after their
// running tasks return; afterwards submit() refuses everything.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/log.h"

namespace cairn::controllers {

class WorkerPool {
 public:
  WorkerPool(std::string name, int threads, kube::Logger logger = kube::Logger::root());
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` unless a task with `key` is queued or running or the pool stopped.
  bool submit(const std::string& key, std::function<void()> task);
  // True while a task with `key` is queued or running.
  bool active(const std::string& key) const;
  // Tasks queued or running.
  std::size_t pending() const;
  void stop();

 private:
  void run();

  std::string name_;
  kube::Logger logger_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> active_;  // queued or running keys
  std::vector<std::thread> threads_;
};

}  // namespace cairn::controllers
