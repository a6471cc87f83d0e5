#include "kube/controller.h"

#include <random>

#include "kube/manager.h"
#include "kube/objects.h"

namespace cairn::kube {

namespace {

std::string random_reconcile_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i, v >>= 4) id[static_cast<std::size_t>(half * 16 + i)] = hex[v & 15];
  }
  return id;
}

std::string group_of(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

const nlohmann::json& meta_field(const ObjectPtr& object, const char* key) {
  static const nlohmann::json null;
  if (!object || !object->is_object()) return null;
  auto m = object->find("metadata");
  if (m == object->end() || !m->is_object()) return null;
  auto f = m->find(key);
  return f == m->end() ? null : *f;
}

}  // namespace

namespace predicates {

Predicate generation_changed() {
  return [](const ObjectEvent& e) {
    if (e.type != WatchEventType::kUpdate) return true;
    return meta_field(e.old_object, "generation") != meta_field(e.object, "generation");
  };
}

Predicate resource_version_changed() {
  return [](const ObjectEvent& e) {
    if (e.type != WatchEventType::kUpdate) return true;
    return meta_field(e.old_object, "resourceVersion") != meta_field(e.object, "resourceVersion");
  };
}

Result<Predicate> label_selector(const std::string& selector) {
  auto parsed = LabelSelector::parse(selector);
  if (!parsed) return tl::unexpected(parsed.error());
  auto shared = std::make_shared<LabelSelector>(std::move(*parsed));
  return Predicate([shared](const ObjectEvent& e) {
    return e.object && shared->matches(meta_field(e.object, "labels"));
  });
}

Predicate labels_or_annotations_changed() {
  return [](const ObjectEvent& e) {
    if (e.type != WatchEventType::kUpdate) return true;
    return meta_field(e.old_object, "labels") != meta_field(e.object, "labels") ||
           meta_field(e.old_object, "annotations") != meta_field(e.object, "annotations");
  };
}

Predicate any_of(std::vector<Predicate> list) {
  return [list = std::move(list)](const ObjectEvent& e) {
    for (const auto& p : list)
      if (p(e)) return true;
    return false;
  };
}

}  // namespace predicates

Controller::~Controller() { stop(std::chrono::steady_clock::now()); }

void Controller::start_workers() {
  if (started_) return;
  started_ = true;
  metrics_.max_concurrent_reconciles->Set(concurrency_);
  logger_.info("starting workers", {{"workers", concurrency_}});
  for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { worker(); });
}

bool Controller::stop(std::chrono::steady_clock::time_point deadline) {
  stopping_ = true;
  // Waiting keys are dropped; keys being reconciled are let finish until the deadline.
  const bool clean = queue_->shut_down_with_drain(deadline);
  if (!clean) {
    logger_.warn("shutdown deadline passed with reconciles in flight; abandoning them",
                 {{"inFlight", active_.load()}});
  }
  for (auto& w : workers_) {
    if (!w.joinable()) continue;
    if (clean) {
      w.join();
    } else {
      // A worker stuck in user code cannot be interrupted. It is detached and the manager
      // keeps this controller alive (see Manager::shutdown); the process is about to exit.
      w.detach();
    }
  }
  workers_.clear();
  return clean;
}

void Controller::worker() {
  while (auto key = queue_->get()) {
    ++active_;
    metrics_.active_workers->Increment();
    reconcile_one(*key);
    metrics_.active_workers->Decrement();
    queue_->done(*key);
    --active_;
  }
}

void Controller::reconcile_one(const std::string& key) {
  ReconcileContext ctx;
  ctx.controller = name_;
  ctx.key = ObjectKey::parse(key);
  ctx.reconcile_id = random_reconcile_id();
  ctx.logger = logger_.with(
      {{"namespace", ctx.key.ns}, {"name", ctx.key.name}, {"reconcileID", ctx.reconcile_id}});
  ctx.stopping = &stopping_;
  const auto start = std::chrono::steady_clock::now();
  ReconcileOutcome outcome;
  try {
    outcome = reconcile_(ctx);
  } catch (const std::exception& e) {
    outcome = tl::unexpected(std::string("reconciler threw: ") + e.what());
  } catch (...) {
    outcome = tl::unexpected(std::string("reconciler threw a non-standard exception"));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.reconcile_time->Observe(seconds);
  if (!outcome) {
    metrics_.reconcile_error->Increment();
    metrics_.reconcile_errors->Increment();
    ctx.logger.error("reconciler error",
                     {{"error", outcome.error()}, {"retries", queue_->num_requeues(key)}});
    queue_->add_rate_limited(key);
    return;
  }
  if (outcome->requeue_after.count() > 0) {
    metrics_.reconcile_requeue_after->Increment();
    queue_->forget(key);
    queue_->add_after(key, outcome->requeue_after);
  } else if (outcome->requeue) {
    metrics_.reconcile_requeue->Increment();
    queue_->add_rate_limited(key);
  } else {
    metrics_.reconcile_success->Increment();
    queue_->forget(key);
  }
  ctx.logger.debug("reconciled", {{"seconds", seconds}});
}

ControllerBuilder::ControllerBuilder(Manager& manager, std::string name)
    : manager_(manager), name_(std::move(name)) {}

ControllerBuilder& ControllerBuilder::for_kind(GroupVersionKind gvk,
                                               std::vector<Predicate> predicates) {
  watches_.push_back(Watch{std::move(gvk), Watch::kPrimary, nullptr, std::move(predicates)});
  return *this;
}

ControllerBuilder& ControllerBuilder::owns(GroupVersionKind gvk,
                                           std::vector<Predicate> predicates) {
  watches_.push_back(Watch{std::move(gvk), Watch::kOwned, nullptr, std::move(predicates)});
  return *this;
}

ControllerBuilder& ControllerBuilder::watches(GroupVersionKind gvk, MapFunc map,
                                              std::vector<Predicate> predicates) {
  watches_.push_back(Watch{std::move(gvk), Watch::kMapped, std::move(map), std::move(predicates)});
  return *this;
}

ControllerBuilder& ControllerBuilder::concurrency(int workers) {
  options_.concurrency = workers;
  return *this;
}

ControllerBuilder& ControllerBuilder::rate_limits(QueueRateLimits limits) {
  options_.rate_limits = limits;
  return *this;
}

Result<Controller*> ControllerBuilder::complete(ReconcileFunc reconcile) {
  auto config_error = [this](const std::string& why) {
    return tl::unexpected(make_error(ErrorKind::kConfig, "controller " + name_ + ": " + why));
  };
  const Watch* primary = nullptr;
  for (const auto& w : watches_) {
    if (w.role != Watch::kPrimary) continue;
    if (primary != nullptr) return config_error("for_kind() given twice");
    primary = &w;
  }
  if (primary == nullptr) return config_error("no primary kind: call for_kind()");
  if (!reconcile) return config_error("no reconcile function");
  if (name_.empty()) return config_error("a controller needs a name");
  for (const auto& c : manager_.controllers_)
    if (c->name() == name_) return config_error("a controller with this name already exists");
  if (options_.concurrency < 0) return config_error("concurrency must be >= 1");

  auto controller = std::unique_ptr<Controller>(new Controller());
  Controller* c = controller.get();
  c->name_ = name_;
  c->concurrency_ =
      options_.concurrency > 0 ? options_.concurrency : std::max(1, manager_.options().concurrency);
  c->reconcile_ = std::move(reconcile);
  c->logger_ = manager_.logger().with("controller", name_);
  c->metrics_ = manager_.metrics().controller(name_);
  WorkQueueOptions queue_options;
  queue_options.name = name_;
  queue_options.limits = options_.rate_limits;
  queue_options.metrics = &manager_.metrics();
  c->queue_ = std::make_unique<WorkQueue>(queue_options);

  const GroupVersionKind primary_gvk = primary->gvk;
  for (const auto& w : watches_) {
    Informer& informer = manager_.informer(
        w.gvk, w.role == Watch::kPrimary ? manager_.options().watch_label_selector : "");
    // Keys for one object, by role.
    std::function<std::vector<ObjectKey>(const ObjectPtr&)> keys;
    switch (w.role) {
      case Watch::kPrimary:
        keys = [](const ObjectPtr& o) { return std::vector<ObjectKey>{ObjectKey::of(*o)}; };
        break;
      case Watch::kOwned:
        keys = [primary_gvk](const ObjectPtr& o) {
          std::vector<ObjectKey> out;
          auto owner = controller_of(*o);
          if (owner && group_of(owner->value("apiVersion", "")) == primary_gvk.group &&
              owner->value("kind", "") == primary_gvk.kind) {
            out.push_back(ObjectKey{o->value("/metadata/namespace"_json_pointer, ""),
                                    owner->value("name", "")});
          }
          return out;
        };
        break;
      case Watch::kMapped:
        keys = [map = w.map](const ObjectPtr& o) { return map(*o); };
        break;
    }
    auto passes = [predicates = w.predicates](const ObjectEvent& e) {
      for (const auto& p : predicates)
        if (!p(e)) return false;
      return true;
    };
    auto enqueue = [c, keys, passes](const ObjectEvent& e) {
      if (!passes(e)) return;
      // A periodic resync (the informer hands the same object twice) changed nothing: its keys
      // wait behind every key of a real change.
      if (e.type == WatchEventType::kUpdate && e.old_object == e.object) {
        for (const auto& k : keys(e.object)) c->queue_->add_background(k.str());
        return;
      }
      for (const auto& k : keys(e.object)) c->enqueue(k);
      // An owner change moves a child between owners: both hear of it.
      if (e.type == WatchEventType::kUpdate && e.old_object) {
        for (const auto& k : keys(e.old_object)) c->enqueue(k);
      }
    };
    InformerEventHandler handler;
    handler.on_add = [enqueue](const ObjectPtr& o) {
      enqueue(ObjectEvent{WatchEventType::kAdd, nullptr, o});
    };
    handler.on_update = [enqueue](const ObjectPtr& old_object, const ObjectPtr& o) {
      enqueue(ObjectEvent{WatchEventType::kUpdate, old_object, o});
    };
    handler.on_delete = [enqueue](const ObjectPtr& o) {
      enqueue(ObjectEvent{WatchEventType::kDelete, nullptr, o});
    };
    informer.add_handler(std::move(handler));
  }
  return manager_.add_controller(std::move(controller));
}

}  // namespace cairn::kube
