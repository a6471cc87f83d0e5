// API handler: list (selectors, pagination, resourceVersion rules, Table, metadata-only) and
// watch (kube-api.md §11, §12, §13, §16).
#include "tests/apiserver/api_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

const std::string kCms = "/api/v1/namespaces/default/configmaps";

void create_labelled(ApiFixture& f, const std::string& name, const std::string& app) {
  json cm = config_map_json(name, {{"k", "v"}});
  cm["metadata"]["labels"] = {{"app", app}};
  REQUIRE(f.post(kCms, cm).status == 201);
}

}  // namespace

TEST_CASE("list returns a <Kind>List with the collection resourceVersion and selectors apply") {
  ApiFixture f;
  create_labelled(f, "a", "demo");
  create_labelled(f, "b", "other");
  create_labelled(f, "c", "demo");
  Reply all = f.get(kCms);
  REQUIRE(all.status == 200);
  CHECK(all.json["kind"] == "ConfigMapList");
  CHECK(all.json["apiVersion"] == "v1");
  CHECK_FALSE(all.json["metadata"]["resourceVersion"].get<std::string>().empty());
  CHECK(all.json["items"].size() == 3);

  Reply demo = f.get(kCms + "?labelSelector=app%3Ddemo");
  CHECK(demo.json["items"].size() == 2);
  Reply by_name = f.get(kCms + "?fieldSelector=metadata.name%3Db&labelSelector=app%3Dother");
  REQUIRE(by_name.json["items"].size() == 1);
  CHECK(by_name.json["items"][0]["metadata"]["name"] == "b");

  Reply bad_field = f.get(kCms + "?fieldSelector=data.foo%3Dx");
  CHECK(bad_field.status == 400);
  CHECK(bad_field.json["message"] == "field label not supported: data.foo");
  Reply bad_label = f.get(kCms + "?labelSelector=a%20in%20(");
  CHECK(bad_label.status == 400);

  Reply across = f.get("/api/v1/configmaps");
  CHECK(across.status == 200);
  CHECK(across.json["items"].size() == 3);
}

TEST_CASE("a JSON list of built-in objects is their stored form in json_response's bytes") {
  // Built-in lists are assembled from the stored text of each item; the bytes must be what
  // printing the parsed list gives, and every item what a GET returns.
  ApiFixture f;
  json odd =
      config_map_json("odd", {{"text", "caf\u00e9 \"quoted\" <tag> & \\ \t\u2028"}, {"empty", ""}});
  odd["metadata"]["labels"] = {{"app", "demo"}};
  odd["metadata"]["annotations"] = {{"n", "1e+06"}, {"z", "last"}};
  REQUIRE(f.post(kCms, odd).status == 201);
  create_labelled(f, "plain", "other");
  for (const std::string& query :
       {std::string(), std::string("?limit=1"), std::string("?labelSelector=app%3Ddemo")}) {
    INFO(query);
    Reply list = f.get(kCms + query);
    REQUIRE(list.status == 200);
    CHECK(list.body == list.json.dump());
    CHECK(list.header("Content-Type") == "application/json");
    for (const json& item : list.json["items"]) {
      Reply one = f.get(kCms + "/" + item["metadata"]["name"].get<std::string>());
      CHECK(one.json == item);
    }
  }
  CHECK(f.get(kCms).json["items"].size() == 2);
  CHECK(f.get(kCms + "?limit=1").json["metadata"].contains("continue"));
  Reply empty = f.get("/api/v1/namespaces/kube-system/configmaps");
  REQUIRE(empty.status == 200);
  CHECK(empty.body == empty.json.dump());
  CHECK(empty.json["items"] == json::array());
}

TEST_CASE("limit and continue page through one snapshot") {
  ApiFixture f;
  for (const char* n : {"p1", "p2", "p3"}) create_labelled(f, n, "x");
  Reply first = f.get(kCms + "?limit=2");
  REQUIRE(first.json["items"].size() == 2);
  std::string token = first.json["metadata"]["continue"];
  std::string rv = first.json["metadata"]["resourceVersion"];
  create_labelled(f, "p0", "x");
  Reply second = f.get(kCms + "?limit=2&continue=" + token);
  REQUIRE(second.status == 200);
  CHECK(second.json["items"].size() == 1);
  CHECK(second.json["items"][0]["metadata"]["name"] == "p3");
  CHECK(second.json["metadata"]["resourceVersion"] == rv);
  CHECK_FALSE(second.json["metadata"].contains("continue"));

  Reply with_rv = f.get(kCms + "?limit=2&resourceVersion=5&continue=" + token);
  CHECK(with_rv.status == 400);
  CHECK(with_rv.json["message"] ==
        "specifying resource version is not allowed when using continue");
  CHECK(f.get(kCms + "?continue=garbage").status == 400);
}

TEST_CASE("resourceVersionMatch rules give 422 ListOptions and future versions 504") {
  ApiFixture f;
  Reply no_rv = f.get(kCms + "?resourceVersionMatch=NotOlderThan");
  CHECK(no_rv.status == 422);
  CHECK(no_rv.json["details"]["kind"] == "ListOptions");
  CHECK(no_rv.json["details"]["group"] == "meta.k8s.io");
  CHECK(f.get(kCms + "?resourceVersion=0&resourceVersionMatch=Exact").status == 422);
  CHECK(f.get(kCms + "?resourceVersion=0&limit=500").status == 200);
  Reply future = f.get(kCms + "?resourceVersion=999999999");
  CHECK(future.status == 504);
  CHECK(future.json["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge");
}

TEST_CASE("list and get as Table and as PartialObjectMetadataList") {
  ApiFixture f;
  create_labelled(f, "t1", "demo");
  Reply table = f.get(kCms + "?limit=500", kTableAccept);
  REQUIRE(table.status == 200);
  CHECK(table.header("Content-Type") == "application/json");
  CHECK(table.json["kind"] == "Table");
  CHECK(table.json["apiVersion"] == "meta.k8s.io/v1");
  CHECK(table.json["columnDefinitions"][0]["name"] == "Name");
  REQUIRE(table.json["rows"].size() == 1);
  CHECK(table.json["rows"][0]["cells"][0] == "t1");
  CHECK(table.json["rows"][0]["object"]["kind"] == "PartialObjectMetadata");

  Reply one = f.get(kCms + "/t1", kTableAccept);
  CHECK(one.json["kind"] == "Table");
  CHECK(one.json["rows"].size() == 1);

  Reply meta = f.get(kCms, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
  CHECK(meta.json["kind"] == "PartialObjectMetadataList");
  CHECK(meta.json["items"][0]["kind"] == "PartialObjectMetadata");
  CHECK_FALSE(meta.json["items"][0].contains("data"));
}

TEST_CASE("watch from a list resourceVersion streams ADDED, MODIFIED and DELETED in order") {
  ApiFixture f;
  Reply list = f.get(kCms);
  std::string rv = list.json["metadata"]["resourceVersion"];
  Reply w = f.get(kCms + "?resourceVersion=" + rv + "&watch=true");
  REQUIRE(w.status == 200);
  REQUIRE(w.stream);
  CHECK(w.header("Content-Type") == "application/json");
  Reply created = f.post(kCms, config_map_json("w1"));
  json next = created.json;
  next["data"] = {{"x", "y"}};
  REQUIRE(f.put(kCms + "/w1", next).status == 200);
  REQUIRE(f.del(kCms + "/w1").status == 200);
  auto events = read_events(*w.stream, 3);
  REQUIRE(events.size() == 3);
  CHECK(events[0]["type"] == "ADDED");
  CHECK(events[0]["object"]["metadata"]["name"] == "w1");
  CHECK(events[1]["type"] == "MODIFIED");
  CHECK(events[1]["object"]["data"]["x"] == "y");
  CHECK(events[2]["type"] == "DELETED");
  w.stream->close();
}

TEST_CASE("watch without resourceVersion starts with the current state as ADDED") {
  ApiFixture f;
  create_labelled(f, "s1", "demo");
  create_labelled(f, "s2", "other");
  Reply w = f.get(kCms + "?watch=1&labelSelector=app%3Ddemo");
  REQUIRE(w.stream);
  auto events = read_events(*w.stream, 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "ADDED");
  CHECK(events[0]["object"]["metadata"]["name"] == "s1");
  w.stream->close();
  CHECK_FALSE(w.stream->next(std::chrono::milliseconds(10)).has_value());
}

TEST_CASE("a too old watch resourceVersion is one ERROR event with a 410 Expired Status") {
  ApiFixture f;
  Reply w = f.get(kCms + "?resourceVersion=1&watch=true");
  REQUIRE(w.status == 200);
  REQUIRE(w.stream);
  auto events = read_events(*w.stream, 2, std::chrono::milliseconds(500));
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "ERROR");
  CHECK(events[0]["object"]["code"] == 410);
  CHECK(events[0]["object"]["reason"] == "Expired");
  CHECK(events[0]["object"]["message"].get<std::string>().rfind("too old resource version: 1", 0) ==
        0);
  CHECK_FALSE(w.stream->next(std::chrono::milliseconds(10)).has_value());
}

TEST_CASE("a watch ends at timeoutSeconds with a final bookmark when bookmarks are allowed") {
  ApiFixture f;
  std::string rv = f.get(kCms).json["metadata"]["resourceVersion"];
  Reply w = f.get(kCms +
                  "?allowWatchBookmarks=True&fieldSelector=metadata.name%3Dnone"
                  "&resourceVersion=" +
                  rv + "&timeoutSeconds=1&watch=True");
  REQUIRE(w.stream);
  REQUIRE(f.post(kCms, config_map_json("unrelated")).status == 201);
  std::vector<json> events;
  std::string buffer;
  bool ended = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto chunk = w.stream->next(std::chrono::milliseconds(100));
    if (!chunk) {
      ended = true;
      break;
    }
    buffer += *chunk;
  }
  CHECK(ended);
  REQUIRE_FALSE(buffer.empty());
  json last = json::parse(buffer.substr(0, buffer.find('\n')));
  CHECK(last["type"] == "BOOKMARK");
  CHECK(last["object"]["kind"] == "ConfigMap");
  CHECK(std::stoll(last["object"]["metadata"]["resourceVersion"].get<std::string>()) >
        std::stoll(rv));
}

TEST_CASE("a Table watch sends column definitions only in the first event") {
  ApiFixture f;
  std::string rv = f.get(kCms).json["metadata"]["resourceVersion"];
  Reply w = f.get(kCms + "?resourceVersion=" + rv + "&watch=true", kTableAccept);
  REQUIRE(w.stream);
  REQUIRE(f.post(kCms, config_map_json("t1")).status == 201);
  REQUIRE(f.post(kCms, config_map_json("t2")).status == 201);
  auto events = read_events(*w.stream, 2);
  REQUIRE(events.size() == 2);
  CHECK(events[0]["object"]["kind"] == "Table");
  CHECK(events[0]["object"]["columnDefinitions"].size() > 0);
  CHECK(events[0]["object"]["rows"][0]["cells"][0] == "t1");
  CHECK((!events[1]["object"].contains("columnDefinitions") ||
         events[1]["object"]["columnDefinitions"].empty()));
  CHECK(events[1]["object"]["rows"][0]["cells"][0] == "t2");
  w.stream->close();
}

TEST_CASE("kubectl wait's get, list and watch sequence sees the object change") {
  ApiFixture f;
  Reply created = f.post(kCms, config_map_json("x"));
  REQUIRE(created.status == 201);
  REQUIRE(f.get(kCms + "/x").status == 200);
  Reply list = f.get(kCms + "?fieldSelector=metadata.name%3Dx&limit=500&resourceVersion=0");
  REQUIRE(list.status == 200);
  REQUIRE(list.json["items"].size() == 1);
  std::string rv = list.json["metadata"]["resourceVersion"];
  Reply w = f.get(kCms +
                  "?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dx"
                  "&resourceVersion=" +
                  rv + "&timeoutSeconds=30&watch=true");
  REQUIRE(w.stream);
  REQUIRE(
      f.patch(kCms + "/x", "application/merge-patch+json", {{"data", {{"ready", "yes"}}}}).status ==
      200);
  auto events = read_events(*w.stream, 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "MODIFIED");
  CHECK(events[0]["object"]["data"]["ready"] == "yes");
  w.stream->close();
}
