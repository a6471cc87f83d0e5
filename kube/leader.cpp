#include "kube/leader.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <utility>

#include "kube/detail/text.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

const GroupVersionKind kLease{"coordination.k8s.io", "v1", "Lease"};
constexpr double kJitterFactor = 1.2;  // client-go's JitterFactor for the acquire loop

std::string holder_of(const json& spec) {
  if (!spec.is_object()) return "";
  auto it = spec.find("holderIdentity");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

std::int64_t int_field(const json& spec, const char* key) {
  if (!spec.is_object()) return 0;
  auto it = spec.find(key);
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

std::string_view to_string(LeaderState state) {
  switch (state) {
    case LeaderState::kIdle:
      return "Idle";
    case LeaderState::kCandidate:
      return "Candidate";
    case LeaderState::kLeading:
      return "Leading";
    case LeaderState::kReleasing:
      return "Releasing";
    case LeaderState::kStopped:
      return "Stopped";
  }
  return "Unknown";
}

bool leader_transition_allowed(LeaderState from, LeaderState to) {
  using S = LeaderState;
  switch (from) {
    case S::kIdle:
      return to == S::kCandidate || to == S::kStopped;
    case S::kCandidate:
      return to == S::kLeading || to == S::kStopped;
    case S::kLeading:
      return to == S::kReleasing || to == S::kStopped;
    case S::kReleasing:
      return to == S::kStopped;
    case S::kStopped:
      return false;
  }
  return false;
}

std::string default_leader_identity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device rd;
  const std::uint64_t bits = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(bits));
  std::string name = host[0] != '\0' ? std::string(host.data()) : std::string("cairn");
  return name + "_" + hex.data();
}

int lease_duration_seconds(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  const auto secs = (ms + 999) / 1000;
  return secs < 1 ? 1 : static_cast<int>(secs);
}

Result<std::unique_ptr<LeaderElector>> LeaderElector::create(Client& client,
                                                             LeaderElectionConfig config) {
  auto invalid = [](std::string message) {
    return tl::make_unexpected(make_error(ErrorKind::kConfig, "leader election: " + message));
  };
  if (config.lease_namespace.empty() || config.lease_name.empty()) {
    return invalid("lease namespace and name are required");
  }
  if (config.retry_period.count() <= 0) return invalid("retry period must be positive");
  if (static_cast<double>(config.renew_deadline.count()) <=
      kJitterFactor * static_cast<double>(config.retry_period.count())) {
    return invalid("renew deadline must be greater than 1.2 x retry period");
  }
  if (config.lease_duration <= config.renew_deadline) {
    return invalid("lease duration must be greater than renew deadline");
  }
  if (config.identity.empty()) config.identity = default_leader_identity();
  RestConfig rest = client.config();
  const auto bound = config.renew_deadline / 2;
  rest.request_timeout = std::min(rest.request_timeout, bound);
  rest.connect_timeout = std::min(rest.connect_timeout, bound);
  ClientOptions options;
  options.transport.retry.max_retries = 0;
  auto own = Client::create(rest, options);
  if (!own) return tl::make_unexpected(own.error());
  return std::unique_ptr<LeaderElector>(new LeaderElector(std::move(*own), std::move(config)));
}

LeaderElector::LeaderElector(std::unique_ptr<Client> client, LeaderElectionConfig config)
    : client_(std::move(client)),
      config_(std::move(config)),
      clock_(config_.clock != nullptr ? *config_.clock : Clock::system()),
      status_gauge_((config_.metrics != nullptr ? *config_.metrics : Metrics::global())
                        .leader_election_status(config_.lease_name)),
      log_(config_.logger.with({{"lease", config_.lease_namespace + "/" + config_.lease_name},
                                {"identity", config_.identity}})) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  std::lock_guard lock(mu_);
  if (state_ != LeaderState::kIdle) return;
  state_ = LeaderState::kCandidate;
  status_gauge_.Set(0);
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    if (state_ == LeaderState::kIdle) state_ = LeaderState::kStopped;
  }
  cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

LeaderState LeaderElector::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

bool LeaderElector::is_leader() const { return state() == LeaderState::kLeading; }

std::string LeaderElector::leader() const {
  std::lock_guard lock(mu_);
  return observed_holder_;
}

bool LeaderElector::wait_until_leading(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] {
    return state_ == LeaderState::kLeading || state_ == LeaderState::kReleasing ||
           state_ == LeaderState::kStopped;
  });
  return state_ == LeaderState::kLeading;
}

bool LeaderElector::stopping() const {
  std::lock_guard lock(mu_);
  return stop_requested_;
}

bool LeaderElector::wait_period(std::chrono::milliseconds period) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, period, [this] { return stop_requested_ || wake_; });
  wake_ = false;
  return !stop_requested_;
}

void LeaderElector::start_lease_watch() {
  {
    std::lock_guard lock(mu_);
    watch_stop_ = false;
  }
  lease_watch_ = std::thread([this] { lease_watch_loop(); });
}

void LeaderElector::stop_lease_watch() {
  {
    std::lock_guard lock(mu_);
    watch_stop_ = true;
    if (open_watch_ != nullptr) open_watch_->cancel();
  }
  cv_.notify_all();
  if (lease_watch_.joinable()) lease_watch_.join();
}

void LeaderElector::lease_watch_loop() {
  WatchOptions options;
  options.field_selector = "metadata.name=" + config_.lease_name;
  options.allow_bookmarks = false;
  options.timeout_seconds = 300;
  options.read_timeout = std::chrono::seconds(330);
  auto stop_watching = [this] {
    std::lock_guard lock(mu_);
    return watch_stop_ || stop_requested_;
  };
  while (!stop_watching()) {
    auto stream = client_->watch(kLease, config_.lease_namespace, options);
    if (stream) {
      {
        std::lock_guard lock(mu_);
        open_watch_ = stream->get();
        if (watch_stop_) (*stream)->cancel();
      }
      while (true) {
        auto event = (*stream)->next();
        if (!event || !*event) break;
        const json& spec = (*event)->object.contains("spec") ? (*event)->object["spec"] : json();
        const bool free = (*event)->type == EventType::kDeleted || !spec.is_object() ||
                          spec.value("holderIdentity", "").empty();
        if (free) {
          std::lock_guard lock(mu_);
          wake_ = true;
          cv_.notify_all();
        } else {
          const auto seen = clock_.now();
          std::lock_guard lock(mu_);
          watched_spec_ = spec;
          watched_time_ = seen;
        }
      }
      std::lock_guard lock(mu_);
      open_watch_ = nullptr;
    }
    // The watch ended or failed: the periodic attempts go on regardless; re-open after a pause.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, config_.retry_period, [this] { return watch_stop_ || stop_requested_; });
  }
}

void LeaderElector::transition(LeaderState to) {
  {
    std::lock_guard lock(mu_);
    if (!leader_transition_allowed(state_, to)) {
      log_.error("invalid leader election state transition",
                 {{"from", std::string(to_string(state_))}, {"to", std::string(to_string(to))}});
      return;
    }
    state_ = to;
  }
  cv_.notify_all();
  log_.debug("leader election state", {{"state", std::string(to_string(to))}});
}

std::string LeaderElector::now_micro() { return detail::format_rfc3339(clock_.wall_now(), 6); }

void LeaderElector::run() {
  if (!acquire_loop()) {
    transition(LeaderState::kStopped);
    return;
  }
  log_.info("successfully acquired lease");
  if (config_.on_started_leading) config_.on_started_leading();

  renew_loop();

  if (stopping() && config_.release_on_cancel) {
    transition(LeaderState::kReleasing);
    release();
  }
  status_gauge_.Set(0);
  transition(LeaderState::kStopped);
  log_.info("stopped leading");
  if (config_.on_stopped_leading) config_.on_stopped_leading();
}

bool LeaderElector::acquire_loop() {
  log_.info("attempting to acquire leader lease");
  start_lease_watch();
  struct WatchGuard {
    LeaderElector* self;
    ~WatchGuard() { self->stop_lease_watch(); }
  } guard{this};
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, kJitterFactor);
  const auto period = config_.retry_period;
  while (!stopping()) {
    const Attempt attempt = try_acquire_or_renew();
    report_leader();
    if (attempt == Attempt::kHeld) {
      status_gauge_.Set(1);  // before the transition that wait_until_leading() watches
      transition(LeaderState::kLeading);
      return true;
    }
    auto wait = period + std::chrono::milliseconds(static_cast<std::int64_t>(
                             jitter(rng) * static_cast<double>(period.count())));
    // Try again the moment the other holder's lease runs out, not up to a jittered period
    // later: a killed leader is replaced within the lease duration of its last renewal.
    if (auto left = until_observed_expiry()) {
      const auto due =
          std::chrono::ceil<std::chrono::milliseconds>(*left) + std::chrono::milliseconds(5);
      wait = std::min(wait, std::max(due, std::chrono::milliseconds(5)));
    }
    if (!wait_period(wait)) return false;
  }
  return false;
}

void LeaderElector::renew_loop() {
  auto last_renewed = clock_.now();
  while (wait_period(config_.retry_period)) {
    const Attempt attempt = try_acquire_or_renew();
    report_leader();
    if (attempt == Attempt::kHeld) {
      last_renewed = clock_.now();
      continue;
    }
    if (attempt == Attempt::kHeldByOther) {
      log_.warn("lease was taken over, stopping leading", {{"holder", leader()}});
      return;
    }
    if (clock_.now() - last_renewed >= config_.renew_deadline) {
      log_.warn("failed to renew lease within the renew deadline, stopping leading",
                {{"renewDeadlineMs", config_.renew_deadline.count()}});
      return;
    }
  }
}

std::optional<std::chrono::steady_clock::duration> LeaderElector::until_observed_expiry() {
  const std::string holder = holder_of(observed_spec_);
  if (holder.empty() || holder == config_.identity) return std::nullopt;
  std::int64_t held_for = int_field(observed_spec_, "leaseDurationSeconds");
  if (held_for <= 0) held_for = lease_duration_seconds(config_.lease_duration);
  return observed_time_ + std::chrono::seconds(held_for) - clock_.now();
}

void LeaderElector::observe(const json& lease) {
  json spec = lease.contains("spec") ? lease["spec"] : json::object();
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_time_ = clock_.now();
    // The lease watch may have delivered this very record earlier.
    std::lock_guard lock(mu_);
    if (watched_spec_ == spec && watched_time_ < observed_time_) observed_time_ = watched_time_;
  }
  observed_lease_ = lease;
  std::lock_guard lock(mu_);
  observed_holder_ = holder_of(spec);
}

bool LeaderElector::write_lease(json lease, const json& spec) {
  lease["spec"] = spec;
  auto written = client_->update(lease);
  if (!written) {
    if (is_conflict(written.error())) {
      log_.debug("lease changed before our write", {{"error", written.error().to_string()}});
    } else {
      log_.warn("cannot update lease", {{"error", written.error().to_string()}});
    }
    return false;
  }
  observe(*written);
  return true;
}

LeaderElector::Attempt LeaderElector::try_acquire_or_renew() {
  const std::string now = now_micro();
  const int duration = lease_duration_seconds(config_.lease_duration);
  const bool leading = is_leader();

  // Fast path: the leader renews from its cached copy without reading first.
  if (leading && observed_lease_.is_object() && holder_of(observed_spec_) == config_.identity) {
    json spec = observed_spec_;
    spec["renewTime"] = now;
    spec["leaseDurationSeconds"] = duration;
    if (write_lease(observed_lease_, spec)) return Attempt::kHeld;
  }

  auto got = client_->get(kLease, config_.lease_namespace, config_.lease_name);
  if (!got) {
    if (!is_not_found(got.error())) {
      log_.warn("cannot read lease", {{"error", got.error().to_string()}});
      return Attempt::kFailed;
    }
    json lease{{"apiVersion", "coordination.k8s.io/v1"},
               {"kind", "Lease"},
               {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
               {"spec",
                {{"holderIdentity", config_.identity},
                 {"leaseDurationSeconds", duration},
                 {"acquireTime", now},
                 {"renewTime", now},
                 {"leaseTransitions", 0}}}};
    auto created = client_->create(lease);
    if (!created) {
      if (is_already_exists(created.error())) {
        log_.debug("lease was created by another candidate");
      } else {
        log_.warn("cannot create lease", {{"error", created.error().to_string()}});
      }
      return Attempt::kFailed;
    }
    observe(*created);
    return Attempt::kHeld;
  }

  observe(*got);
  const json& old = observed_spec_;
  const std::string holder = holder_of(old);
  const bool ours = holder == config_.identity;
  if (!ours) takeover_from_.reset();  // a takeover write whose outcome was unknown was not applied
  if (auto left = until_observed_expiry(); left && left->count() > 0) return Attempt::kHeldByOther;

  json spec = old.is_object() ? old : json::object();
  if (!ours) {
    takeover_from_ = holder;
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = int_field(old, "leaseTransitions") + 1;
  } else if (!spec.contains("acquireTime")) {
    spec["acquireTime"] = now;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = duration;
  spec["renewTime"] = now;
  if (!write_lease(*got, spec)) return Attempt::kFailed;
  if (takeover_from_) {
    log_.info("took over lease", {{"previousHolder", *takeover_from_}});
    takeover_from_.reset();
  }
  return Attempt::kHeld;
}

void LeaderElector::release() {
  for (int attempt = 0; attempt < 2 && observed_lease_.is_object(); ++attempt) {
    if (holder_of(observed_spec_) != config_.identity) return;
    const std::string now = now_micro();
    json spec = observed_spec_;
    spec["holderIdentity"] = "";
    spec["leaseDurationSeconds"] = 1;
    spec["acquireTime"] = now;
    spec["renewTime"] = now;
    if (write_lease(observed_lease_, spec)) {
      log_.info("released lease");
      return;
    }
    auto got = client_->get(kLease, config_.lease_namespace, config_.lease_name);
    if (!got) return;
    observe(*got);
  }
}

void LeaderElector::report_leader() {
  const std::string holder = leader();
  if (holder.empty() || holder == reported_leader_) return;
  reported_leader_ = holder;
  if (holder != config_.identity) log_.info("new leader elected", {{"holder", holder}});
  if (config_.on_new_leader) config_.on_new_leader(holder);
}

}  // namespace cairn::kube
