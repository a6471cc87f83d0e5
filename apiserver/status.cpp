#include "apiserver/status.h"

#include <nlohmann/json.hpp>

namespace cairn::apiserver {
namespace {

nlohmann::json details_json(const StatusDetails& d) {
  nlohmann::json j = nlohmann::json::object();
  if (!d.name.empty()) j["name"] = d.name;
  if (!d.group.empty()) j["group"] = d.group;
  if (!d.kind.empty()) j["kind"] = d.kind;
  if (!d.uid.empty()) j["uid"] = d.uid;
  if (!d.causes.empty()) {
    nlohmann::json causes = nlohmann::json::array();
    for (const StatusCause& c : d.causes) {
      nlohmann::json cj = nlohmann::json::object();
      if (!c.reason.empty()) cj["reason"] = c.reason;
      if (!c.message.empty()) cj["message"] = c.message;
      if (!c.field.empty()) cj["field"] = c.field;
      causes.push_back(std::move(cj));
    }
    j["causes"] = std::move(causes);
  }
  if (d.retry_after_seconds > 0) j["retryAfterSeconds"] = d.retry_after_seconds;
  return j;
}

}  // namespace

nlohmann::json to_json(const Status& status) {
  nlohmann::json j = {{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", nlohmann::json::object()},
                      {"status", "Failure"},
                      {"message", status.message},
                      {"reason", std::string(status.reason())}};
  if (status.details) j["details"] = details_json(*status.details);
  j["code"] = status.http_code();
  return j;
}

nlohmann::json success_status_json(const StatusDetails& details) {
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", nlohmann::json::object()},
          {"status", "Success"},
          {"details", details_json(details)}};
}

}  // namespace cairn::apiserver
