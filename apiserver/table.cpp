// Table output: column sets, the typed cells of JSONPath columns (kube's apiextensions
// tableconvertor), the built-in printers (kube's pkg/printers/internalversion, for the kinds the
// embedded server serves), human durations and PartialObjectMetadata.
#include "apiserver/table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "apiserver/jsonpath.h"

namespace cairn::apiserver {

namespace {

using nlohmann::json;

const json& null_json() {
  static const json kNull;
  return kNull;
}

// v[key] without inserting; null when v is not an object or lacks the key.
const json& get(const json& v, const char* key) {
  if (!v.is_object()) return null_json();
  auto it = v.find(key);
  return it == v.end() ? null_json() : *it;
}

std::string str(const json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

std::int64_t int_of(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return 0;
}

std::size_t size_of(const json& v) { return v.is_object() || v.is_array() ? v.size() : 0; }

// ---------------------------------------------------------------------------------------------
// Time.

// An instant as Go's time.Time holds it: seconds since the Unix epoch and nanoseconds.
struct Timestamp {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
};

// Seconds of 0001-01-01T00:00:00Z, Go's zero time.
constexpr std::int64_t kZeroTimeSeconds = -62135596800;

bool is_zero(const Timestamp& t) { return t.seconds == kZeroTimeSeconds && t.nanos == 0; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<Timestamp> parse_time(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&](std::size_t n, int& out) {
    if (i + n > s.size()) return false;
    out = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto expect = [&](char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day) ||
      !expect('T') || !digits(2, hour) || !expect(':') || !digits(2, minute) || !expect(':') ||
      !digits(2, second)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return std::nullopt;
  const int month_days = kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
  if (day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::int64_t nanos = 0;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' && s[i + 1] <= '9') {
    ++i;
    int scale = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (scale < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++scale;
      }
      ++i;
    }
    for (; scale < 9; ++scale) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (expect('Z')) {
    offset = 0;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const bool negative = s[i] == '-';
    ++i;
    int oh = 0, om = 0;
    if (!digits(2, oh) || !expect(':') || !digits(2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return Timestamp{days * 86400 + hour * 3600 + minute * 60 + second - offset, nanos};
}

Timestamp from_time_point(std::chrono::system_clock::time_point tp) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch());
  std::int64_t seconds = ns.count() / 1'000'000'000;
  std::int64_t nanos = ns.count() % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  return Timestamp{seconds, nanos};
}

// a - b, saturated to the int64 nanosecond range like Go's Time.Sub.
std::chrono::nanoseconds since(const Timestamp& a, const Timestamp& b) {
  // Seconds stay within +-3e11 (years 0000-9999), so the 128-bit product cannot overflow.
  const __int128 total = static_cast<__int128>(a.seconds - b.seconds) * 1'000'000'000 +
                         (a.nanos - b.nanos);
  if (total > std::numeric_limits<std::int64_t>::max()) return std::chrono::nanoseconds::max();
  if (total < std::numeric_limits<std::int64_t>::min()) return std::chrono::nanoseconds::min();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

// kube's translateTimestampSince: "<unknown>" for a missing or zero time.
std::string age_since(const json& timestamp, const Timestamp& now) {
  if (!timestamp.is_string()) return "<unknown>";
  auto t = parse_time(timestamp.get_ref<const std::string&>());
  if (!t || is_zero(*t)) return "<unknown>";
  return human_duration(since(now, *t));
}

// metav1.Time as a comparable value: the zero time when absent or unparsable.
Timestamp time_or_zero(const json& v) {
  if (v.is_string()) {
    if (auto t = parse_time(v.get_ref<const std::string&>())) return *t;
  }
  return Timestamp{kZeroTimeSeconds, 0};
}

bool before(const Timestamp& a, const Timestamp& b) {
  return a.seconds < b.seconds || (a.seconds == b.seconds && a.nanos < b.nanos);
}

// Time formatted as RFC 3339 in UTC without fractions (Go's time.RFC3339).
std::string format_rfc3339(const Timestamp& t) {
  std::int64_t days = t.seconds / 86400;
  std::int64_t rem = t.seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Columns.

constexpr const char* kNameDescription =
    "The object's name, unique within its namespace (or the cluster for cluster-scoped kinds).";
constexpr const char* kAgeDescription =
    "Time since the object was created (metadata.creationTimestamp).";
constexpr const char* kContainersDescription = "Container names of the pod template.";
constexpr const char* kImagesDescription = "Container images of the pod template.";

PrinterColumn name_column() {
  return PrinterColumn{"Name", "string", "name", kNameDescription, 0, ".metadata.name"};
}

PrinterColumn computed(const char* name, const char* type, const char* description,
                       int priority = 0) {
  return PrinterColumn{name, type, "", description, priority, ""};
}

PrinterColumn age_column() { return computed("Age", "string", kAgeDescription); }

struct RowCells {
  json cells = json::array();
  json conditions;  // null, or the row's conditions (pods that ran to completion)
};

using RowFunction = std::function<RowCells(const json& object, const Timestamp& now)>;

struct BuiltinTable {
  std::vector<PrinterColumn> columns;
  RowFunction row;
};

// "a,b" of container names and of images (kube's layoutContainerCells).
std::pair<std::string, std::string> container_cells(const json& containers) {
  std::string names;
  std::string images;
  if (!containers.is_array()) return {names, images};
  bool first = true;
  for (const auto& c : containers) {
    if (!first) {
      names += ',';
      images += ',';
    }
    first = false;
    names += str(get(c, "name"));
    images += str(get(c, "image"));
  }
  return {names, images};
}

// labels.Selector String() of a metav1.LabelSelector; nullopt when an operator is invalid.
std::optional<std::string> label_selector_string(const json& selector) {
  std::vector<std::pair<std::string, std::string>> requirements;  // key, rendered
  const json& match_labels = get(selector, "matchLabels");
  if (match_labels.is_object()) {
    for (auto it = match_labels.begin(); it != match_labels.end(); ++it) {
      requirements.emplace_back(it.key(), it.key() + "=" + str(it.value()));
    }
  }
  const json& expressions = get(selector, "matchExpressions");
  if (expressions.is_array()) {
    for (const auto& e : expressions) {
      const std::string key = str(get(e, "key"));
      const std::string op = str(get(e, "operator"));
      std::set<std::string> values;
      if (get(e, "values").is_array()) {
        for (const auto& v : get(e, "values")) values.insert(str(v));
      }
      std::string joined;
      for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
      if (op == "In") {
        requirements.emplace_back(key, key + " in (" + joined + ")");
      } else if (op == "NotIn") {
        requirements.emplace_back(key, key + " notin (" + joined + ")");
      } else if (op == "Exists") {
        requirements.emplace_back(key, key);
      } else if (op == "DoesNotExist") {
        requirements.emplace_back(key, "!" + key);
      } else {
        return std::nullopt;
      }
    }
  }
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& r : requirements) out += (out.empty() ? "" : ",") + r.second;
  return out;
}

// metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid.
std::string format_label_selector(const json& selector) {
  auto s = label_selector_string(selector);
  if (!s) return "<error>";
  return s->empty() ? "<none>" : *s;
}

// labels.FormatLabels: sorted k=v pairs, "<none>" when empty.
std::string format_labels(const json& labels) {
  std::string out;
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      out += (out.empty() ? "" : ",") + it.key() + "=" + str(it.value());
    }
  }
  return out.empty() ? "<none>" : out;
}

RowCells config_map_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")),
             static_cast<std::int64_t>(size_of(get(o, "data")) + size_of(get(o, "binaryData"))),
             age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

RowCells secret_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), str(get(o, "type")),
             static_cast<std::int64_t>(size_of(get(o, "data"))),
             age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

RowCells namespace_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), str(get(get(o, "status"), "phase")),
             age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

RowCells lease_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), str(get(get(o, "spec"), "holderIdentity")),
             age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

RowCells service_account_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), static_cast<std::int64_t>(size_of(get(o, "secrets"))),
             age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

RowCells crd_row(const json& o, const Timestamp&) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), format_rfc3339(time_or_zero(get(meta, "creationTimestamp")))};
  return r;
}

RowCells generic_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  r.cells = {str(get(meta, "name")), age_since(get(meta, "creationTimestamp"), now)};
  return r;
}

// The status of the first condition of `type` is True (kube's hasJobCondition).
bool has_condition(const json& conditions, const std::string& type) {
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (str(get(c, "type")) == type) return str(get(c, "status")) == "True";
  }
  return false;
}

RowCells job_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  const json& spec = get(o, "spec");
  const json& status = get(o, "status");
  const std::int64_t succeeded = int_of(get(status, "succeeded"));
  std::string completions;
  if (get(spec, "completions").is_number()) {
    completions =
        std::to_string(succeeded) + "/" + std::to_string(int_of(get(spec, "completions")));
  } else {
    const std::int64_t parallelism = int_of(get(spec, "parallelism"));
    completions = parallelism > 1 ? std::to_string(succeeded) + "/1 of " +
                                        std::to_string(parallelism)
                                  : std::to_string(succeeded) + "/1";
  }
  std::string duration;
  const json& start = get(status, "startTime");
  const json& completion = get(status, "completionTime");
  if (start.is_string()) {
    const Timestamp started = time_or_zero(start);
    duration = completion.is_string() ? human_duration(since(time_or_zero(completion), started))
                                      : human_duration(since(now, started));
  }
  const json& conditions = get(status, "conditions");
  std::string state;
  if (has_condition(conditions, "Complete")) {
    state = "Complete";
  } else if (has_condition(conditions, "Failed")) {
    state = "Failed";
  } else if (get(meta, "deletionTimestamp").is_string()) {
    state = "Terminating";
  } else if (has_condition(conditions, "Suspended")) {
    state = "Suspended";
  } else if (has_condition(conditions, "FailureTarget")) {
    state = "FailureTarget";
  } else {
    state = "Running";
  }
  const auto [names, images] = container_cells(get(get(get(spec, "template"), "spec"),
                                                    "containers"));
  r.cells = {str(get(meta, "name")), state, completions, duration,
             age_since(get(meta, "creationTimestamp"), now), names, images,
             format_label_selector(get(spec, "selector"))};
  return r;
}

RowCells deployment_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  const json& spec = get(o, "spec");
  const json& status = get(o, "status");
  const json& selector = get(spec, "selector");
  std::string selector_text;
  if (!selector.is_null()) {
    auto s = label_selector_string(selector);
    selector_text = s ? *s : "<invalid>";
  }
  const auto [names, images] = container_cells(get(get(get(spec, "template"), "spec"),
                                                    "containers"));
  r.cells = {str(get(meta, "name")),
             std::to_string(int_of(get(status, "readyReplicas"))) + "/" +
                 std::to_string(int_of(get(spec, "replicas"))),
             int_of(get(status, "updatedReplicas")), int_of(get(status, "availableReplicas")),
             age_since(get(meta, "creationTimestamp"), now), names, images, selector_text};
  return r;
}

std::string service_external_ip(const json& o) {
  const json& spec = get(o, "spec");
  const std::string type = str(get(spec, "type"));
  std::vector<std::string> external;
  if (get(spec, "externalIPs").is_array()) {
    for (const auto& ip : get(spec, "externalIPs")) external.push_back(str(ip));
  }
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
  };
  if (type == "ClusterIP" || type == "NodePort") {
    return external.empty() ? "<none>" : join(external);
  }
  if (type == "LoadBalancer") {
    std::vector<std::string> lb;
    const json& ingress = get(get(get(o, "status"), "loadBalancer"), "ingress");
    if (ingress.is_array()) {
      for (const auto& i : ingress) {
        std::string v = str(get(i, "ip"));
        if (v.empty()) v = str(get(i, "hostname"));
        if (!v.empty() && std::find(lb.begin(), lb.end(), v) == lb.end()) lb.push_back(v);
      }
    }
    if (!external.empty()) {
      lb.insert(lb.end(), external.begin(), external.end());
      return join(lb);
    }
    return lb.empty() ? "<pending>" : join(lb);
  }
  if (type == "ExternalName") return str(get(spec, "externalName"));
  return "<unknown>";
}

RowCells service_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  const json& spec = get(o, "spec");
  std::string cluster_ip = "<none>";
  if (get(spec, "clusterIPs").is_array() && !get(spec, "clusterIPs").empty()) {
    cluster_ip = str(get(spec, "clusterIPs")[0]);
  }
  std::string ports;
  if (get(spec, "ports").is_array()) {
    for (const auto& p : get(spec, "ports")) {
      std::string piece = std::to_string(int_of(get(p, "port")));
      if (int_of(get(p, "nodePort")) > 0) {
        piece += ":" + std::to_string(int_of(get(p, "nodePort")));
      }
      piece += "/" + str(get(p, "protocol"));
      ports += (ports.empty() ? "" : ",") + piece;
    }
  }
  if (ports.empty()) ports = "<none>";
  r.cells = {str(get(meta, "name")), str(get(spec, "type")), cluster_ip, service_external_ip(o),
             ports, age_since(get(meta, "creationTimestamp"), now),
             format_labels(get(spec, "selector"))};
  return r;
}

std::string event_source(const json& o) {
  const json& source = get(o, "source");
  std::string component = str(get(source, "component"));
  if (component.empty()) component = str(get(o, "reportingComponent"));
  std::string host = str(get(source, "host"));
  if (host.empty()) host = str(get(o, "reportingInstance"));
  return host.empty() ? component : component + ", " + host;
}

std::string trim_space(std::string s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

RowCells event_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  std::string first = age_since(get(o, "firstTimestamp"), now);
  if (is_zero(time_or_zero(get(o, "firstTimestamp")))) first = age_since(get(o, "eventTime"), now);
  std::string last = age_since(get(o, "lastTimestamp"), now);
  if (is_zero(time_or_zero(get(o, "lastTimestamp")))) last = first;
  std::int64_t count = int_of(get(o, "count"));
  const json& series = get(o, "series");
  if (!series.is_null()) {
    last = age_since(get(series, "lastObservedTime"), now);
    count = int_of(get(series, "count"));
  } else if (count == 0) {
    count = 1;
  }
  const json& involved = get(o, "involvedObject");
  const std::string kind = lower(str(get(involved, "kind")));
  const std::string name = str(get(involved, "name"));
  r.cells = {last,
             str(get(o, "type")),
             str(get(o, "reason")),
             name.empty() ? kind : kind + "/" + name,
             str(get(involved, "fieldPath")),
             event_source(o),
             trim_space(str(get(o, "message"))),
             first,
             count,
             str(get(meta, "name"))};
  return r;
}

bool is_restartable_init(const json& container) {
  return str(get(container, "restartPolicy")) == "Always";
}

RowCells pod_row(const json& o, const Timestamp& now) {
  RowCells r;
  const json& meta = get(o, "metadata");
  const json& spec = get(o, "spec");
  const json& status = get(o, "status");
  const json& conditions = get(status, "conditions");
  std::int64_t restarts = 0;
  std::int64_t restartable_init_restarts = 0;
  std::int64_t total = static_cast<std::int64_t>(size_of(get(spec, "containers")));
  std::int64_t ready = 0;
  Timestamp last_restart{kZeroTimeSeconds, 0};
  Timestamp last_restartable_init_restart{kZeroTimeSeconds, 0};

  const std::string phase = str(get(status, "phase"));
  std::string reason = phase;
  if (!str(get(status, "reason")).empty()) reason = str(get(status, "reason"));
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (str(get(c, "type")) == "PodScheduled" && str(get(c, "reason")) == "SchedulingGated") {
        reason = "SchedulingGated";
      }
    }
  }
  if (phase == "Succeeded" || phase == "Failed") {
    r.conditions = json::array({{{"type", "Completed"},
                                 {"status", "True"},
                                 {"reason", phase},
                                 {"message", phase == "Succeeded" ? "The pod has completed "
                                                                    "successfully."
                                                                  : "The pod failed."}}});
  }

  std::map<std::string, const json*> init_containers;
  const json& init_specs = get(spec, "initContainers");
  if (init_specs.is_array()) {
    for (const auto& c : init_specs) {
      init_containers[str(get(c, "name"))] = &c;
      if (is_restartable_init(c)) ++total;
    }
  }
  auto restartable = [&](const std::string& name) {
    auto it = init_containers.find(name);
    return it != init_containers.end() && is_restartable_init(*it->second);
  };

  bool initializing = false;
  const json& init_statuses = get(status, "initContainerStatuses");
  if (init_statuses.is_array()) {
    for (std::size_t i = 0; i < init_statuses.size(); ++i) {
      const json& c = init_statuses[i];
      const std::string name = str(get(c, "name"));
      restarts += int_of(get(c, "restartCount"));
      const json& last_terminated = get(get(c, "lastState"), "terminated");
      if (last_terminated.is_object()) {
        const Timestamp finished = time_or_zero(get(last_terminated, "finishedAt"));
        if (before(last_restart, finished)) last_restart = finished;
      }
      if (restartable(name)) {
        restartable_init_restarts += int_of(get(c, "restartCount"));
        if (last_terminated.is_object()) {
          const Timestamp finished = time_or_zero(get(last_terminated, "finishedAt"));
          if (before(last_restartable_init_restart, finished)) {
            last_restartable_init_restart = finished;
          }
        }
      }
      const json& terminated = get(get(c, "state"), "terminated");
      const json& waiting = get(get(c, "state"), "waiting");
      if (terminated.is_object() && int_of(get(terminated, "exitCode")) == 0) continue;
      if (restartable(name) && get(c, "started").is_boolean() && get(c, "started").get<bool>()) {
        if (get(c, "ready").is_boolean() && get(c, "ready").get<bool>()) ++ready;
        continue;
      }
      if (terminated.is_object()) {
        const std::string why = str(get(terminated, "reason"));
        if (why.empty()) {
          reason = int_of(get(terminated, "signal")) != 0
                       ? "Init:Signal:" + std::to_string(int_of(get(terminated, "signal")))
                       : "Init:ExitCode:" + std::to_string(int_of(get(terminated, "exitCode")));
        } else {
          reason = "Init:" + why;
        }
      } else if (waiting.is_object() && !str(get(waiting, "reason")).empty() &&
                 str(get(waiting, "reason")) != "PodInitializing") {
        reason = "Init:" + str(get(waiting, "reason"));
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(size_of(init_specs));
      }
      initializing = true;
      break;
    }
  }

  bool initialized = false;
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (str(get(c, "type")) == "Initialized") {
        initialized = str(get(c, "status")) == "True";
        break;
      }
    }
  }
  if (!initializing || initialized) {
    restarts = restartable_init_restarts;
    last_restart = last_restartable_init_restart;
    bool has_running = false;
    const json& statuses = get(status, "containerStatuses");
    if (statuses.is_array()) {
      for (std::size_t k = statuses.size(); k-- > 0;) {
        const json& c = statuses[k];
        restarts += int_of(get(c, "restartCount"));
        const json& last_terminated = get(get(c, "lastState"), "terminated");
        if (last_terminated.is_object()) {
          const Timestamp finished = time_or_zero(get(last_terminated, "finishedAt"));
          if (before(last_restart, finished)) last_restart = finished;
        }
        const json& state = get(c, "state");
        const json& waiting = get(state, "waiting");
        const json& terminated = get(state, "terminated");
        if (waiting.is_object() && !str(get(waiting, "reason")).empty()) {
          reason = str(get(waiting, "reason"));
        } else if (terminated.is_object() && !str(get(terminated, "reason")).empty()) {
          reason = str(get(terminated, "reason"));
        } else if (terminated.is_object()) {
          reason = int_of(get(terminated, "signal")) != 0
                       ? "Signal:" + std::to_string(int_of(get(terminated, "signal")))
                       : "ExitCode:" + std::to_string(int_of(get(terminated, "exitCode")));
        } else if (get(c, "ready").is_boolean() && get(c, "ready").get<bool>() &&
                   get(state, "running").is_object()) {
          has_running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && has_running) {
      reason = has_condition(conditions, "Ready") ? "Running" : "NotReady";
    }
  }

  const bool deleting = get(meta, "deletionTimestamp").is_string() &&
                        !is_zero(time_or_zero(get(meta, "deletionTimestamp")));
  if (deleting && str(get(status, "reason")) == "NodeLost") {
    reason = "Unknown";
  } else if (deleting && phase != "Failed" && phase != "Succeeded") {
    reason = "Terminating";
  }

  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && !is_zero(last_restart)) {
    restarts_text += " (" + human_duration(since(now, last_restart)) + " ago)";
  }

  std::string pod_ip;
  const json& pod_ips = get(status, "podIPs");
  if (pod_ips.is_array() && !pod_ips.empty()) pod_ip = str(get(pod_ips[0], "ip"));
  if (pod_ip.empty()) pod_ip = "<none>";
  std::string node = str(get(spec, "nodeName"));
  if (node.empty()) node = "<none>";
  std::string nominated = str(get(status, "nominatedNodeName"));
  if (nominated.empty()) nominated = "<none>";
  std::string gates = "<none>";
  const json& readiness_gates = get(spec, "readinessGates");
  if (readiness_gates.is_array() && !readiness_gates.empty()) {
    std::int64_t true_conditions = 0;
    for (const auto& gate : readiness_gates) {
      const std::string type = str(get(gate, "conditionType"));
      if (!conditions.is_array()) continue;
      for (const auto& c : conditions) {
        if (str(get(c, "type")) == type) {
          if (str(get(c, "status")) == "True") ++true_conditions;
          break;
        }
      }
    }
    gates = std::to_string(true_conditions) + "/" + std::to_string(readiness_gates.size());
  }
  r.cells = {str(get(meta, "name")),
             std::to_string(ready) + "/" + std::to_string(total),
             reason,
             restarts_text,
             age_since(get(meta, "creationTimestamp"), now),
             pod_ip,
             node,
             nominated,
             gates};
  return r;
}

const BuiltinTable* builtin_table(const ResourceInfo& info) {
  if (info.custom) return nullptr;
  static const std::map<std::pair<std::string, std::string>, BuiltinTable> kTables = [] {
    std::map<std::pair<std::string, std::string>, BuiltinTable> t;
    t[{"", "configmaps"}] = {
        {name_column(), computed("Data", "string", "Number of data and binaryData entries."),
         age_column()},
        config_map_row};
    t[{"", "secrets"}] = {
        {name_column(), computed("Type", "string", "The secret's type."),
         computed("Data", "string", "Number of data entries."), age_column()},
        secret_row};
    t[{"", "namespaces"}] = {
        {name_column(), computed("Status", "string", "The namespace's phase."), age_column()},
        namespace_row};
    t[{"coordination.k8s.io", "leases"}] = {
        {name_column(), computed("Holder", "string", "Identity of the lease's current holder."),
         age_column()},
        lease_row};
    t[{"", "serviceaccounts"}] = {
        {name_column(), computed("Secrets", "string", "Number of referenced secrets."),
         age_column()},
        service_account_row};
    t[{"apiextensions.k8s.io", "customresourcedefinitions"}] = {
        {name_column(), computed("Created At", "date", "When the object was created.")},
        crd_row};
    t[{"batch", "jobs"}] = {
        {name_column(), computed("Status", "string", "The job's state."),
         computed("Completions", "string", "Succeeded pods out of the completions wanted."),
         computed("Duration", "string", "How long the job ran or has been running."),
         age_column(), computed("Containers", "string", kContainersDescription, 1),
         computed("Images", "string", kImagesDescription, 1),
         computed("Selector", "string", "The job's pod selector.", 1)},
        job_row};
    t[{"apps", "deployments"}] = {
        {name_column(), computed("Ready", "string", "Ready replicas out of the desired ones."),
         computed("Up-to-date", "string", "Replicas running the current pod template."),
         computed("Available", "string", "Replicas available to serve."), age_column(),
         computed("Containers", "string", kContainersDescription, 1),
         computed("Images", "string", kImagesDescription, 1),
         computed("Selector", "string", "The deployment's pod selector.", 1)},
        deployment_row};
    t[{"", "services"}] = {
        {name_column(), computed("Type", "string", "How the service is exposed."),
         computed("Cluster-IP", "string", "The service's cluster IP."),
         computed("External-IP", "string", "External addresses of the service."),
         computed("Port(s)", "string", "The service's ports."), age_column(),
         computed("Selector", "string", "Labels of the pods the service routes to.", 1)},
        service_row};
    t[{"", "events"}] = {
        {computed("Last Seen", "string", "Time since the event was last seen."),
         computed("Type", "string", "Normal or Warning."),
         computed("Reason", "string", "Why the event happened, in CamelCase."),
         computed("Object", "string", "The object the event is about."),
         computed("Subobject", "string", "The part of the object the event is about.", 1),
         computed("Source", "string", "The component that reported the event.", 1),
         computed("Message", "string", "What happened."),
         computed("First Seen", "string", "Time since the event was first seen.", 1),
         computed("Count", "string", "How often the event occurred.", 1),
         PrinterColumn{"Name", "string", "name", kNameDescription, 1, ".metadata.name"}},
        event_row};
    t[{"", "pods"}] = {
        {name_column(), computed("Ready", "string", "Ready containers out of all containers."),
         computed("Status", "string", "The pod's aggregate status."),
         computed("Restarts", "string", "Container restarts and time since the last one."),
         age_column(), computed("IP", "string", "The pod's IP address.", 1),
         computed("Node", "string", "The node the pod is bound to.", 1),
         computed("Nominated Node", "string", "The node nominated by preemption.", 1),
         computed("Readiness Gates", "string", "Readiness gates that are true.", 1)},
        pod_row};
    return t;
  }();
  auto it = kTables.find({info.group, info.resource});
  return it == kTables.end() ? nullptr : &it->second;
}

// A cell of a JSONPath column, typed as kube's tableconvertor types it.
json typed_cell(const PrinterColumn& column, const JsonPath* path, const json& object,
                const Timestamp& now) {
  if (path == nullptr) return nullptr;
  const std::vector<json> results = path->evaluate(object);
  if (results.empty()) return nullptr;
  const json& value = results.front();
  if (column.type == "string") return jsonpath_value_string(value);
  if (value.is_null()) return nullptr;
  if (column.type == "integer") {
    if (value.is_number_integer()) return int_of(value);
    if (value.is_number_float()) {
      const double d = std::trunc(value.get<double>());
      if (std::isnan(d)) return nullptr;
      if (d >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
      if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
      return static_cast<std::int64_t>(d);
    }
    return nullptr;
  }
  if (column.type == "number") {
    if (value.is_number()) return value.get<double>();
    return nullptr;
  }
  if (column.type == "boolean") {
    if (value.is_boolean()) return value.get<bool>();
    return nullptr;
  }
  if (column.type == "date") {
    if (!value.is_string()) return nullptr;
    const std::string& text = value.get_ref<const std::string&>();
    if (text.empty() || text == "null") return "<unknown>";
    auto t = parse_time(text);
    if (!t) return "<invalid>";
    if (is_zero(*t)) return "<unknown>";
    return human_duration(since(now, *t));
  }
  return nullptr;
}

json column_json(const PrinterColumn& c) {
  return {{"name", c.name},
          {"type", c.type},
          {"format", c.format},
          {"description", c.description},
          {"priority", c.priority}};
}

}  // namespace

Result<IncludeObject> parse_include_object(std::string_view value) {
  if (value.empty() || value == "Metadata") return IncludeObject::kMetadata;
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return error(StatusCode::kBadRequest,
               "includeObject: Invalid value: " + json(std::string(value)).dump() +
                   ": must be 'Metadata', 'Object', 'None', or empty");
}

std::vector<PrinterColumn> table_columns(const ResourceInfo& info) {
  if (const BuiltinTable* builtin = builtin_table(info)) return builtin->columns;
  std::vector<PrinterColumn> columns{name_column()};
  if (!info.columns.empty()) {
    columns.insert(columns.end(), info.columns.begin(), info.columns.end());
  } else if (info.custom) {
    columns.push_back(
        PrinterColumn{"Age", "date", "", kAgeDescription, 0, ".metadata.creationTimestamp"});
  } else {
    columns.push_back(age_column());
  }
  return columns;
}

nlohmann::json make_table(const ResourceInfo& info, const std::vector<nlohmann::json>& objects,
                          const nlohmann::json& list_metadata, IncludeObject include_object,
                          bool include_column_definitions,
                          std::chrono::system_clock::time_point now) {
  const Timestamp now_ts = from_time_point(now);
  const std::vector<PrinterColumn> columns = table_columns(info);
  const BuiltinTable* builtin = builtin_table(info);
  const bool generic_builtin = builtin == nullptr && !info.custom && info.columns.empty();

  // JSONPath columns (everything after Name when not computed by a printer).
  std::vector<std::optional<JsonPath>> paths;
  if (builtin == nullptr && !generic_builtin) {
    for (std::size_t i = 1; i < columns.size(); ++i) {
      auto parsed = JsonPath::parse(columns[i].json_path);
      paths.push_back(parsed ? std::optional<JsonPath>(std::move(*parsed)) : std::nullopt);
    }
  }

  json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}};
  table["metadata"] = list_metadata.is_object() ? list_metadata : json::object();
  if (include_column_definitions) {
    json definitions = json::array();
    for (const auto& c : columns) definitions.push_back(column_json(c));
    table["columnDefinitions"] = std::move(definitions);
  }
  json rows = json::array();
  for (const json& object : objects) {
    RowCells row;
    if (builtin != nullptr) {
      row = builtin->row(object, now_ts);
    } else if (generic_builtin) {
      row = generic_row(object, now_ts);
    } else {
      row.cells.push_back(str(get(get(object, "metadata"), "name")));
      for (std::size_t i = 1; i < columns.size(); ++i) {
        const auto& path = paths[i - 1];
        row.cells.push_back(typed_cell(columns[i], path ? &*path : nullptr, object, now_ts));
      }
    }
    json entry = {{"cells", std::move(row.cells)}};
    if (!row.conditions.is_null()) entry["conditions"] = std::move(row.conditions);
    switch (include_object) {
      case IncludeObject::kNone:
        entry["object"] = nullptr;
        break;
      case IncludeObject::kMetadata:
        entry["object"] = partial_object_metadata(object);
        break;
      case IncludeObject::kObject:
        entry["object"] = object;
        break;
    }
    rows.push_back(std::move(entry));
  }
  table["rows"] = std::move(rows);
  return table;
}

std::string human_duration(std::chrono::nanoseconds d) {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  const auto s = std::chrono::duration_cast<seconds>(d).count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60 * 2) return std::to_string(s) + "s";
  const auto m = std::chrono::duration_cast<minutes>(d).count();
  if (m < 10) {
    const auto rest = s % 60;
    return rest == 0 ? std::to_string(m) + "m"
                     : std::to_string(m) + "m" + std::to_string(rest) + "s";
  }
  if (m < 60 * 3) return std::to_string(m) + "m";
  const auto h = std::chrono::duration_cast<hours>(d).count();
  if (h < 8) {
    const auto rest = m % 60;
    return rest == 0 ? std::to_string(h) + "h"
                     : std::to_string(h) + "h" + std::to_string(rest) + "m";
  }
  if (h < 48) return std::to_string(h) + "h";
  if (h < 24 * 8) {
    const auto rest = h % 24;
    return rest == 0 ? std::to_string(h / 24) + "d"
                     : std::to_string(h / 24) + "d" + std::to_string(rest) + "h";
  }
  if (h < 24 * 365 * 2) return std::to_string(h / 24) + "d";
  if (h < 24 * 365 * 8) {
    const auto rest = (h / 24) % 365;
    return rest == 0 ? std::to_string(h / 24 / 365) + "y"
                     : std::to_string(h / 24 / 365) + "y" + std::to_string(rest) + "d";
  }
  return std::to_string(h / 24 / 365) + "y";
}

std::optional<std::chrono::nanoseconds> parse_rfc3339(std::string_view text) {
  auto t = parse_time(text);
  if (!t) return std::nullopt;
  return since(*t, Timestamp{0, 0});
}

nlohmann::json partial_object_metadata(const nlohmann::json& object) {
  const json& meta = get(object, "metadata");
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", meta.is_object() ? meta : json::object()}};
}

nlohmann::json partial_object_metadata_list(const std::vector<nlohmann::json>& objects,
                                            const nlohmann::json& list_metadata) {
  json items = json::array();
  for (const auto& o : objects) items.push_back(partial_object_metadata(o));
  return {{"kind", "PartialObjectMetadataList"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", list_metadata.is_object() ? list_metadata : json::object()},
          {"items", std::move(items)}};
}

}  // namespace cairn::apiserver
