// WorkerPool: keyed tasks on a fixed set of threads (worker_pool.h).
#include "controllers/worker_pool.h"

#include <exception>

namespace cairn::controllers {

WorkerPool::WorkerPool(std::string name, int threads, kube::Logger logger)
    : name_(std::move(name)), logger_(std::move(logger)) {
  if (threads < 1) threads = 1;
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(const std::string& key, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !active_.insert(key).second) return false;
    queue_.emplace_back(key, std::move(task));
  }
  cv_.notify_one();
  return true;
}

bool WorkerPool::active(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.count(key) != 0;
}

std::size_t WorkerPool::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

void WorkerPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (const auto& [key, task] : queue_) active_.erase(key);
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  threads_.clear();
}

void WorkerPool::run() {
  for (;;) {
    std::pair<std::string, std::function<void()>> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      item.second();
    } catch (const std::exception& e) {
      logger_.error("task failed with an exception",
                    {{"pool", name_}, {"task", item.first}, {"error", e.what()}});
    } catch (...) {
      logger_.error("task failed with an exception", {{"pool", name_}, {"task", item.first}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(item.first);
  }
}

}  // namespace cairn::controllers
