// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so that only one replica of the manager reconciles at a time.
//
// - A candidate reads the Lease every retry period (with jitter). It takes the Lease when it has
//   no holder, or when the holder has not changed the record for `leaseDurationSeconds` as
//   observed *locally*: the elector remembers the local monotonic time at which it last saw the
//   record change, never compares the remote renewTime with its own clock, and so is robust
//   against clock skew between replicas. A missing Lease is created.
// - Writes are updates with the read resourceVersion; a conflict (someone else wrote first) or
//   AlreadyExists (someone else created it first) is simply retried in the next period.
//   `leaseTransitions` grows by one on every takeover; acquireTime/renewTime are MicroTime
//   (`2026-11-30T20:31:07.123456Z`).
// - The leader renews every retry period. When no renewal succeeded for `renew_deadline` (the
//   Lease was taken over, or the API server is unreachable), it stops leading: state kStopped,
//   on_stopped_leading. Like client-go, an elector that lost the Lease does not run for election
//   again; the caller (the manager) exits and its replacement becomes a candidate.
// - stop() while leading releases the Lease when `release_on_cancel` (holderIdentity "",
//   leaseDurationSeconds 1, renewTime now), so that another replica takes over at once.
// - leader_election_master_status{name=<lease name>} is 1 while leading, else 0. Transitions are
//   logged with `lease` and `identity` fields.
//
// Lifecycle (LeaderState, transition table leader_transition_allowed):
//   kIdle -> kCandidate (start) | kStopped (stop before start)
//   kCandidate -> kLeading (acquired) | kStopped (stop)
//   kLeading -> kReleasing (stop with release_on_cancel) | kStopped (lost; stop without release)
//   kReleasing -> kStopped
//
// Timing: retry periods are waited in real time (interruptibly, so stop() is prompt); the
// config's Clock provides the monotonic time for expiry and deadline decisions and the wall time
// written into the Lease.
//
// Requests: the elector talks to the API server through a Client of its own, made from the given
// client's configuration with a request timeout of at most renew_deadline / 2 and no transport
// retries (the elector retries every period itself). client-go bounds a renewal with a context
// deadline; without that, one hanging request could keep a leader that lost its lease leading.
//
// Ownership and thread-safety: the elector borrows the Clock and Metrics, which must outlive it,
// and copies what it needs of the Client's configuration. It runs one thread of its own between
// start() and stop() (the destructor stops). The callbacks run on that thread, without locks held:
// they must return promptly (start work elsewhere) and must not call stop(). All public methods are
// thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "kube/client.h"
#include "kube/clock.h"
#include "kube/error.h"
#include "kube/log.h"
#include "kube/metrics.h"

namespace cairn::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // "" = default_leader_identity()
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_cancel = true;
  Clock* clock = nullptr;      // nullptr = Clock::system()
  Metrics* metrics = nullptr;  // nullptr = Metrics::global()
  Logger logger = Logger::root();
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;  // only after on_started_leading
  // A holder other than the last one reported was observed (our own identity included).
  std::function<void(const std::string& identity)> on_new_leader;
};

enum class LeaderState { kIdle, kCandidate, kLeading, kReleasing, kStopped };

std::string_view to_string(LeaderState state);
// The transition table above; a state never transitions to itself.
bool leader_transition_allowed(LeaderState from, LeaderState to);

// "<hostname>_<16 random hex digits>".
std::string default_leader_identity();

// The leaseDurationSeconds written for a configured duration: whole seconds, rounded up, >= 1.
int lease_duration_seconds(std::chrono::milliseconds duration);

class LeaderElector {
 public:
  // Validates the configuration: namespace and name set, retry_period > 0,
  // renew_deadline > 1.2 * retry_period (the jitter factor, as client-go requires) and
  // lease_duration > renew_deadline. Errors are kConfig (or the Client's creation error).
  static Result<std::unique_ptr<LeaderElector>> create(Client& client, LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts the election thread (kIdle -> kCandidate). Later calls do nothing.
  void start();
  // Ends the election and joins the thread; releases the Lease first when leading and
  // release_on_cancel. Idempotent. Must not be called from a callback.
  void stop();

  LeaderState state() const;
  bool is_leader() const;
  // The holder of the Lease as last observed ("" when unknown or released).
  std::string leader() const;
  const std::string& identity() const { return config_.identity; }
  // Waits until this elector leads (true) or the timeout passes / the elector stopped (false).
  bool wait_until_leading(std::chrono::milliseconds timeout) const;

 private:
  LeaderElector(std::unique_ptr<Client> client, LeaderElectionConfig config);

  void run();
  bool acquire_loop();  // true once leading, false when stopping
  void renew_loop();    // returns when stopping or the lease is lost
  enum class Attempt { kHeld, kHeldByOther, kFailed };
  // One attempt to take or keep the lease: kHeld when we hold it afterwards, kHeldByOther when
  // another holder's lease is still valid, kFailed on API errors and lost write races.
  Attempt try_acquire_or_renew();
  // Writes `spec` over `lease` (update with its resourceVersion); records the result.
  bool write_lease(nlohmann::json lease, const nlohmann::json& spec);
  void observe(const nlohmann::json& lease);
  void release();
  void transition(LeaderState to);
  // Waits `period` or until stop() is called; false when stopping. While a candidate, a
  // released or deleted Lease seen by the lease watch ends the wait early.
  bool wait_period(std::chrono::milliseconds period);
  // How long until the observed Lease of another holder expires as seen by this replica
  // (zero or less: expired); nullopt when no other holder is observed.
  std::optional<std::chrono::steady_clock::duration> until_observed_expiry();
  // The candidate's watch on the Lease (its own thread): a follower notices a release at once
  // instead of at its next retry, so a SIGTERMed leader is replaced within a moment.
  void start_lease_watch();
  void stop_lease_watch();
  void lease_watch_loop();
  bool stopping() const;
  void report_leader();
  std::string now_micro();

  std::unique_ptr<Client> client_;
  LeaderElectionConfig config_;
  Clock& clock_;
  prometheus::Gauge& status_gauge_;
  Logger log_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  LeaderState state_ = LeaderState::kIdle;
  bool stop_requested_ = false;
  std::thread thread_;
  std::thread lease_watch_;
  WatchStream* open_watch_ = nullptr;  // guarded by mu_; cancelled by stop_lease_watch()
  bool watch_stop_ = false;            // guarded by mu_
  bool wake_ = false;                  // guarded by mu_; set when the Lease was released
  // The last Lease spec the watch saw and when (guarded by mu_): a renewal counts as seen
  // when the watch delivered it, not at this replica's next attempt.
  nlohmann::json watched_spec_;
  std::chrono::steady_clock::time_point watched_time_{};
  std::mutex join_mu_;                 // serialises concurrent stop() calls around join()

  // Owned by the election thread (leader() reads observed_holder_ under mu_).
  nlohmann::json observed_lease_;  // the last Lease object read or written (null = none)
  nlohmann::json observed_spec_;   // its spec, to detect changes
  std::string observed_holder_;    // guarded by mu_
  std::chrono::steady_clock::time_point observed_time_{};
  std::string reported_leader_;
  // The holder a takeover write replaced, until the takeover is logged. A write can be applied
  // although this client saw an error (its request timed out); the next attempt then finds the
  // lease already ours, and still logs the takeover once.
  std::optional<std::string> takeover_from_;
};

}  // namespace cairn::kube
