// The OCI registry feed against Debian's docker-registry (distribution 2.8) on loopback: one
// registry per test case, artifacts pushed through the registry API by oci_push.py as ORAS pushes
// them, Basic auth from an htpasswd file, token auth with JWTs from oci_token_server.py, and
// oci_front.py in front of the registry where a test needs what 2.8 lacks (paginated and
// ETag-carrying tag lists, 429 answers, blob redirects).
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "sources/detail/feeds.h"
#include "sources/detail/http.h"
#include "sources/digest.h"
#include "tests/common/files.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace fs = std::filesystem;
using namespace cairn::sources;
using cairn::testing::free_port;
using cairn::testing::Process;
using cairn::testing::read_file;
using cairn::testing::run_command;
using cairn::testing::TempDir;
using cairn::testing::wait_for_port;
using cairn::testing::write_file;

namespace {

const std::string kPython = "/usr/bin/python3";
const fs::path kScripts = fs::path(CAIRN_SOURCE_DIR) / "tests/sources";
const std::string kRepo = "cairn/stacks";
const std::string kTag = "docker-ferrol-1-27-v1";
const std::string kUser = "alice";
const std::string kPassword = "s3cret-alice";
// The access token user: the feed sends an OCI_ACCESS_TOKEN as the password of user "cairn".
const std::string kAccessToken = "ghp-test-token-0123";

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Every path below `dir`, relative, sorted ("a", "d/", "d/b").
std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string() + (e.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// GET or POST on a loopback test peer; the JSON answer.
nlohmann::json peer_call(const std::string& url, const std::string& method = "GET") {
  detail::HttpClient http(FeedOptions{});
  detail::HttpRequest request;
  request.method = method;
  request.url = url;
  auto r = http.send(request, "test peer");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return nlohmann::json::parse(r->body);
}

enum class Auth { kNone, kBasic, kToken };

struct RegistryOptions {
  Auth auth = Auth::kNone;
  int token_expires_in = 300;
  int token_rate_limit = 0;  // Retry-After of the token service's 429s; 0: none
};

// docker-registry serving a fresh storage directory on a free loopback port.
class Registry {
 public:
  explicit Registry(RegistryOptions options = {}) : port_(free_port()) {
    std::string auth;
    if (options.auth == Auth::kBasic) {
      std::string out;
      REQUIRE(run_command({kPython, "-W", "ignore", "-c",
                           "import crypt, sys\n"
                           "salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)\n"
                           "for pair in sys.argv[1:]:\n"
                           "    user, password = pair.split(':', 1)\n"
                           "    print(user + ':' + crypt.crypt(password, salt))\n",
                           kUser + ":" + kPassword, "cairn:" + kAccessToken},
                          &out) == 0);
      REQUIRE(out.find(":$2b$04$") != std::string::npos);
      write_file(dir_ / "htpasswd", out);
      auth =
          "auth:\n  htpasswd:\n    realm: cairn-test\n    path: " + (dir_ / "htpasswd").string() +
          "\n";
    } else if (options.auth == Auth::kToken) {
      std::string out;
      REQUIRE(run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                           (dir_ / "token.key").string(), "-out", (dir_ / "token.crt").string(),
                           "-days", "2", "-subj", "/CN=cairn-test-token-issuer"},
                          &out) == 0);
      token_port_ = free_port();
      std::vector<std::string> argv = {kPython,        (kScripts / "oci_token_server.py").string(),
                                       "--port",       std::to_string(token_port_),
                                       "--key",        (dir_ / "token.key").string(),
                                       "--cert",       (dir_ / "token.crt").string(),
                                       "--issuer",     "cairn-test-issuer",
                                       "--service",    "cairn-test-registry",
                                       "--user",       kUser + ":" + kPassword,
                                       "--user",       "cairn:" + kAccessToken,
                                       "--expires-in", std::to_string(options.token_expires_in)};
      if (options.token_rate_limit > 0) {
        argv.push_back("--rate-limit");
        argv.push_back(std::to_string(options.token_rate_limit));
      }
      token_server_ = std::make_unique<Process>(argv, dir_ / "token-server.log");
      REQUIRE(wait_for_port(token_port_));
      auth = "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(token_port_) +
             "/token\n    service: cairn-test-registry\n    issuer: cairn-test-issuer\n"
             "    rootcertbundle: " +
             (dir_ / "token.crt").string() + "\n";
    }
    write_file(dir_ / "config.yml",
               "version: 0.1\n"
               "log:\n  level: error\n  accesslog:\n    disabled: true\n"
               "storage:\n  filesystem:\n    rootdirectory: " +
                   (dir_ / "storage").string() +
                   "\n"
                   "http:\n  addr: 127.0.0.1:" +
                   std::to_string(port_) + "\n  secret: cairn-test-secret\n" + auth);
    registry_ = std::make_unique<Process>(
        std::vector<std::string>{"docker-registry", "serve", (dir_ / "config.yml").string()},
        dir_ / "registry.log");
    const bool up = wait_for_port(port_);
    INFO(registry_->log());
    REQUIRE(up);
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const TempDir& dir() const { return dir_; }

  FeedUrl url(const std::string& repo = kRepo) const {
    auto u = FeedUrl::parse("oci://" + host() + "/" + repo + "?insecure=true");
    REQUIRE(u);
    return *u;
  }

  // Runs oci_push.py against this registry (with Basic credentials that the htpasswd file and
  // the token service both accept); returns the manifest digest.
  std::string push(const std::vector<std::string>& args, const std::string& repo = kRepo) const {
    std::vector<std::string> argv = {
        kPython,  (kScripts / "oci_push.py").string(), host(), repo, "--user", kUser, "--password",
        kPassword};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    const int rc = run_command(argv, &out);
    INFO(out);
    REQUIRE(rc == 0);
    return trim(out.substr(out.rfind("sha256:")));
  }

  // Where the filesystem driver keeps the content of a blob (manifests are blobs too).
  fs::path blob_file(const std::string& digest) const {
    const std::string hex = digest.substr(std::string("sha256:").size());
    return dir_ / "storage/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

  // Tokens the token service issued so far.
  int tokens_issued() const {
    return peer_call("http://127.0.0.1:" + std::to_string(token_port_) + "/stats")["tokens"];
  }

 private:
  TempDir dir_{"cairn-oci"};
  int port_;
  int token_port_ = 0;
  std::unique_ptr<Process> token_server_;
  std::unique_ptr<Process> registry_;
};

// oci_front.py in front of a registry.
class Front {
 public:
  Front(const Registry& registry, std::vector<std::string> flags) : port_(free_port()) {
    std::vector<std::string> argv = {kPython,      (kScripts / "oci_front.py").string(),
                                     "--port",     std::to_string(port_),
                                     "--upstream", registry.host()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = std::make_unique<Process>(argv, registry.dir() / ("front.log"));
    REQUIRE(wait_for_port(port_));
  }
  FeedUrl url(const std::string& repo = kRepo) const {
    auto u =
        FeedUrl::parse("oci://127.0.0.1:" + std::to_string(port_) + "/" + repo + "?insecure=true");
    REQUIRE(u);
    return *u;
  }
  nlohmann::json stats() const { return peer_call(base() + "/_front/stats"); }
  void rate_limit(int seconds) const {
    peer_call(base() + "/_front/rate-limit?seconds=" + std::to_string(seconds), "POST");
  }

 private:
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port_;
  std::unique_ptr<Process> process_;
};

FeedOptions fast_options(Credentials credentials = {}) {
  FeedOptions o;
  o.credentials = std::move(credentials);
  o.connect_timeout = std::chrono::seconds(10);
  o.stall_timeout = std::chrono::seconds(20);
  o.retry_base_delay = std::chrono::milliseconds(50);
  return o;
}

std::unique_ptr<Feed> open(const FeedUrl& url, FeedOptions options = fast_options()) {
  auto feed = detail::open_oci_feed(url, std::move(options));
  REQUIRE(feed);
  return std::move(*feed);
}

Credentials basic(const std::string& user, const std::string& password) {
  Credentials c;
  c.username = user;
  c.password = password;
  return c;
}

// The files of a release: name -> content.
using Files = std::map<std::string, std::string>;

Files release_files() {
  return {
      {"metadata.yaml",
       "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n  clusterStack: v1\n"
       "  kubernetes: v1.27.3\n  components:\n    clusterAddon: v1\n    nodeImage: v1\n"},
      {"docker-ferrol-1-27-cluster-class-v1.tgz", random_bytes(200 * 1024, 1)},
      {"docker-ferrol-1-27-cluster-addon-v1.tgz", random_bytes(3 * 1024 * 1024 + 17, 2)},
      {"cluster-addon-values.yaml", "values: |\n  a: 1\n"},
  };
}

// Writes `files` below `dir` and returns oci_push.py arguments pushing them as file layers.
std::vector<std::string> file_args(const Files& files, const fs::path& dir) {
  std::vector<std::string> args;
  for (const auto& [name, data] : files) {
    write_file(dir / name, data);
    args.push_back("--file");
    args.push_back(name + "=" + (dir / name).string());
  }
  return args;
}

void check_release(const fs::path& dir, const Files& files, const std::vector<ReleaseFile>& got) {
  REQUIRE(got.size() == files.size());
  for (const ReleaseFile& f : got) {
    INFO(f.name);
    REQUIRE(files.count(f.name) == 1);
    const std::string& want = files.at(f.name);
    CHECK(read_file(dir / f.name) == want);
    CHECK(f.size == want.size());
    CHECK(f.sha256 == sha256_hex(want));
    CHECK(f.published_sha256 == f.sha256);
  }
  CHECK(tree(dir).size() == files.size());
}

// Makes a tar.gz with Python's tarfile (entries GNU tar would refuse to write).
void make_tar(const fs::path& out, const std::string& kind) {
  static const char* kScript =
      "import io, sys, tarfile\n"
      "out, kind = sys.argv[1], sys.argv[2]\n"
      "with tarfile.open(out, 'w:gz') as t:\n"
      "    def add(name, data=b'x: 1\\n', type=tarfile.REGTYPE, link=''):\n"
      "        ti = tarfile.TarInfo(name)\n"
      "        ti.type, ti.linkname = type, link\n"
      "        ti.size = len(data) if type == tarfile.REGTYPE else 0\n"
      "        t.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)\n"
      "    add('charts/ok.yaml')\n"
      "    if kind == 'traversal':\n"
      "        add('charts/../../escape.txt')\n"
      "    elif kind == 'symlink':\n"
      "        add('charts/link', type=tarfile.SYMTYPE, link='/etc')\n"
      "    elif kind == 'outside':\n"
      "        add('elsewhere.yaml')\n";
  std::string log;
  const int rc = run_command({kPython, "-c", kScript, out.string(), kind}, &log);
  INFO(log);
  REQUIRE(rc == 0);
}

}  // namespace

TEST_CASE("oci feed lists 250 tags over pages of 100 and tells an unchanged tag set", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag-range", "docker-ferrol-1-27-v", "250", "--file",
                 "metadata.yaml=" + (work / "metadata.yaml").string()});
  std::vector<std::string> expected;
  for (int i = 0; i < 250; ++i) {
    char tag[64];
    std::snprintf(tag, sizeof tag, "docker-ferrol-1-27-v%03d", i);
    expected.push_back(tag);
  }

  Front front(registry, {});
  auto feed = open(front.url());
  auto first = feed->list();
  REQUIRE(first);
  CHECK(first->tags == expected);  // the front serves the spec's lexical order
  CHECK_FALSE(first->not_modified);
  CHECK(front.stats()["tag_pages"] == 3);
  CHECK(feed->stats().requests == 3);

  auto again = feed->list();
  REQUIRE(again);
  CHECK(again->tags == expected);
  CHECK(again->not_modified);

  registry.push({"--tag", "docker-ferrol-1-27-v250", "--file",
                 "metadata.yaml=" + (work / "metadata.yaml").string()});
  auto changed = feed->list();
  REQUIRE(changed);
  CHECK(changed->tags.size() == 251);
  CHECK(changed->tags.back() == "docker-ferrol-1-27-v250");
  CHECK_FALSE(changed->not_modified);

  // distribution 2.8 itself answers every tag in one page, in no particular order.
  auto direct = open(registry.url());
  auto all = direct->list();
  REQUIRE(all);
  CHECK(std::set<std::string>(all->tags.begin(), all->tags.end()).size() == 251);
  CHECK(direct->stats().requests == 1);
}

TEST_CASE("oci feed polls an unchanged tag list with conditional requests when pages carry ETags",
          "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag-range", "docker-ferrol-1-27-v", "250", "--file",
                 "metadata.yaml=" + (work / "metadata.yaml").string()});
  Front front(registry, {"--etag"});
  auto feed = open(front.url());
  REQUIRE(feed->list());
  CHECK(feed->stats().not_modified == 0);

  auto again = feed->list();
  REQUIRE(again);
  CHECK(again->not_modified);
  CHECK(again->tags.size() == 250);
  CHECK(feed->stats().not_modified == 3);  // every page answered 304
  CHECK(front.stats()["not_modified"] == 3);

  // A new last tag changes page 3 only: pages 1 and 2 stay 304, the list is new.
  registry.push({"--tag", "docker-ferrol-1-27-v999", "--file",
                 "metadata.yaml=" + (work / "metadata.yaml").string()});
  auto changed = feed->list();
  REQUIRE(changed);
  CHECK_FALSE(changed->not_modified);
  CHECK(changed->tags.size() == 251);
  CHECK(changed->tags.back() == "docker-ferrol-1-27-v999");
  CHECK(feed->stats().not_modified == 5);
}

TEST_CASE("oci feed fetches every layer of a release byte-identical with digests verified",
          "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  registry.push([&] {
    auto args = file_args(files, work / "files");
    args.insert(args.begin(), {"--tag", kTag});
    return args;
  }());

  SECTION("from the registry") {
    auto feed = open(registry.url());
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    INFO((got ? "" : got.error().message));
    REQUIRE(got);
    check_release(out.path(), files, *got);
    const FeedStats s = feed->stats();
    CHECK(s.downloads == 4);
    std::uint64_t total = 0;
    for (const auto& [name, data] : files) total += data.size();
    CHECK(s.bytes == total);
  }
  SECTION("through a front that redirects blob downloads to another port") {
    Front front(registry, {"--redirect-blobs"});
    auto feed = open(front.url());
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    INFO((got ? "" : got.error().message));
    REQUIRE(got);
    check_release(out.path(), files, *got);
  }
}

TEST_CASE("oci feed unpacks an ORAS directory layer and keeps no tarball", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  const fs::path chart = work / "chart";
  write_file(chart / "Chart.yaml", "name: addon\nversion: v1\n");
  write_file(chart / "templates/cm.yaml", "kind: ConfigMap\n");
  write_file(chart / "charts/sub/values.yaml", "a: 1\n");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag", kTag, "--file", "metadata.yaml=" + (work / "metadata.yaml").string(),
                 "--dir", "docker-ferrol-1-27-cluster-addon-v1=" + chart.string()});

  auto feed = open(registry.url());
  TempDir out("cairn-oci-out");
  auto got = feed->fetch(kTag, out.path());
  INFO((got ? "" : got.error().message));
  REQUIRE(got);
  const std::string top = "docker-ferrol-1-27-cluster-addon-v1";
  CHECK(tree(out.path()) ==
        std::vector<std::string>{top + "/", top + "/Chart.yaml", top + "/charts/",
                                 top + "/charts/sub/", top + "/charts/sub/values.yaml",
                                 top + "/templates/", top + "/templates/cm.yaml", "metadata.yaml"});
  CHECK(read_file(out / (top + "/templates/cm.yaml")) == "kind: ConfigMap\n");
  std::map<std::string, ReleaseFile> by_name;
  for (const auto& f : *got) by_name[f.name] = f;
  REQUIRE(by_name.size() == 4);
  const ReleaseFile& chart_file = by_name.at(top + "/Chart.yaml");
  CHECK(chart_file.sha256 == sha256_hex("name: addon\nversion: v1\n"));
  CHECK(chart_file.size == std::string("name: addon\nversion: v1\n").size());
  CHECK(chart_file.published_sha256.empty());
  CHECK(by_name.at("metadata.yaml").published_sha256 == sha256_hex("x: 1\n"));
}

TEST_CASE(
    "oci feed with basic auth works with good credentials and names the variables when "
    "they are wrong or missing",
    "[oci]") {
  Registry registry(RegistryOptions{Auth::kBasic});
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  auto args = file_args(files, work / "files");
  args.insert(args.begin(), {"--tag", kTag});
  registry.push(args);

  SECTION("user and password") {
    auto feed = open(registry.url(), fast_options(basic(kUser, kPassword)));
    auto tags = feed->list();
    REQUIRE(tags);
    CHECK(tags->tags == std::vector<std::string>{kTag});
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE(got);
    check_release(out.path(), files, *got);
  }
  SECTION("an access token is sent as the password") {
    Credentials c;
    c.token = kAccessToken;
    auto feed = open(registry.url(), fast_options(c));
    REQUIRE(feed->list());
  }
  SECTION("a wrong password") {
    auto feed = open(registry.url(), fast_options(basic(kUser, "wrong-password-77")));
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kUnauthorized);
    CHECK_THAT(tags.error().message, Catch::Contains("OCI_USERNAME/OCI_PASSWORD"));
    CHECK_THAT(tags.error().message, !Catch::Contains("wrong-password-77"));
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kUnauthorized);
  }
  SECTION("no credentials") {
    auto feed = open(registry.url());
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kUnauthorized);
    CHECK_THAT(tags.error().message, Catch::Contains("OCI_ACCESS_TOKEN"));
  }
}

TEST_CASE(
    "oci feed answers the real registry's Bearer challenge with a cached token from the "
    "token service",
    "[oci]") {
  Registry registry(RegistryOptions{Auth::kToken});
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  auto args = file_args(files, work / "files");
  args.insert(args.begin(), {"--tag", kTag});
  registry.push(args);
  const int before = registry.tokens_issued();

  SECTION("user and password: one token serves the list and every download") {
    auto feed = open(registry.url(), fast_options(basic(kUser, kPassword)));
    auto tags = feed->list();
    INFO((tags ? "" : tags.error().message));
    REQUIRE(tags);
    CHECK(tags->tags == std::vector<std::string>{kTag});
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE(got);
    check_release(out.path(), files, *got);
    CHECK(registry.tokens_issued() - before == 1);
    // list 401 + token + list, manifest, 4 blobs
    CHECK(feed->stats().requests == 8);
  }
  SECTION("an access token is exchanged as the password") {
    Credentials c;
    c.token = kAccessToken;
    auto feed = open(registry.url(), fast_options(c));
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    INFO((got ? "" : got.error().message));
    REQUIRE(got);
    check_release(out.path(), files, *got);
  }
  SECTION("a wrong password") {
    auto feed = open(registry.url(), fast_options(basic(kUser, "not-the-password-5")));
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kUnauthorized);
    CHECK_THAT(tags.error().message, Catch::Contains("OCI_USERNAME/OCI_PASSWORD"));
    CHECK_THAT(tags.error().message, !Catch::Contains("not-the-password-5"));
  }
  SECTION("a wrong access token") {
    Credentials c;
    c.token = "ghp-revoked-token-9";
    auto feed = open(registry.url(), fast_options(c));
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kUnauthorized);
    CHECK_THAT(got.error().message, Catch::Contains("OCI_ACCESS_TOKEN"));
    CHECK_THAT(got.error().message, !Catch::Contains("ghp-revoked-token-9"));
    CHECK_THAT(got.error().message, Catch::Contains(kTag));
  }
  SECTION("no credentials") {
    auto feed = open(registry.url());
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kUnauthorized);
    CHECK_THAT(tags.error().message, Catch::Contains("requires credentials"));
  }
}

TEST_CASE("oci feed fetches a new token once the cached one has expired", "[oci]") {
  Registry registry(RegistryOptions{Auth::kToken, /*token_expires_in=*/1});
  TempDir work("cairn-oci-work");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag", kTag, "--file", "metadata.yaml=" + (work / "metadata.yaml").string()});
  const int before = registry.tokens_issued();
  auto feed = open(registry.url(), fast_options(basic(kUser, kPassword)));
  REQUIRE(feed->list());
  CHECK(registry.tokens_issued() - before == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past expires_in
  REQUIRE(feed->list());
  CHECK(registry.tokens_issued() - before == 2);
}

TEST_CASE("oci feed turns 429 answers into kRateLimited with the time to retry", "[oci]") {
  SECTION("from the registry") {
    Registry registry;
    TempDir work("cairn-oci-work");
    write_file(work / "metadata.yaml", "x: 1\n");
    registry.push({"--tag", kTag, "--file", "metadata.yaml=" + (work / "metadata.yaml").string()});
    Front front(registry, {});
    front.rate_limit(45);
    auto feed = open(front.url());
    const auto now = std::chrono::system_clock::now();
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kRateLimited);
    REQUIRE(tags.error().retry_at);
    CHECK(*tags.error().retry_at > now + std::chrono::seconds(30));
    CHECK(*tags.error().retry_at < now + std::chrono::seconds(120));
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kRateLimited);
    front.rate_limit(0);
    CHECK(feed->fetch(kTag, out.path()));
  }
  SECTION("from the token service") {
    Registry registry(RegistryOptions{Auth::kToken, 300, /*token_rate_limit=*/30});
    auto feed = open(registry.url(), fast_options(basic(kUser, kPassword)));
    const auto now = std::chrono::system_clock::now();
    auto tags = feed->list();
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind == ErrorKind::kRateLimited);
    REQUIRE(tags.error().retry_at);
    CHECK(*tags.error().retry_at > now + std::chrono::seconds(20));
  }
}

TEST_CASE("oci feed refuses a blob or manifest altered in the registry's storage with kIntegrity",
          "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  auto args = file_args(files, work / "files");
  args.insert(args.begin(), {"--tag", kTag});
  const std::string manifest_digest = registry.push(args);
  auto feed = open(registry.url());

  SECTION("a layer's blob") {
    const std::string& data = files.at("docker-ferrol-1-27-cluster-class-v1.tgz");
    const fs::path blob = registry.blob_file("sha256:" + sha256_hex(data));
    REQUIRE(read_file(blob) == data);
    std::string altered = data;
    altered[1000] = static_cast<char>(altered[1000] ^ 0x55);
    write_file(blob, altered);
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kIntegrity);
    CHECK_THAT(got.error().message, Catch::Contains("docker-ferrol-1-27-cluster-class-v1.tgz"));
    CHECK_THAT(got.error().message, Catch::Contains(sha256_hex(data)));
    CHECK_FALSE(fs::exists(out / "docker-ferrol-1-27-cluster-class-v1.tgz"));
  }
  SECTION("the manifest") {
    const fs::path blob = registry.blob_file(manifest_digest);
    std::string manifest = read_file(blob);
    const auto at = manifest.find("cluster-addon-values.yaml");
    REQUIRE(at != std::string::npos);
    manifest[at] = 'k';  // still valid JSON; the title now names another file
    write_file(blob, manifest);
    TempDir out("cairn-oci-out");
    auto got = feed->fetch(kTag, out.path());
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kIntegrity);
    CHECK_THAT(got.error().message, Catch::Contains("manifest"));
    CHECK(tree(out.path()).empty());
  }
}

TEST_CASE("oci feed reports a missing tag or repository as kNotFound", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag", kTag, "--file", "metadata.yaml=" + (work / "metadata.yaml").string()});
  TempDir out("cairn-oci-out");

  auto feed = open(registry.url());
  auto missing = feed->fetch("docker-ferrol-1-27-v9", out.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(missing.error().message, Catch::Contains("MANIFEST_UNKNOWN"));
  CHECK_THAT(missing.error().message, Catch::Contains("docker-ferrol-1-27-v9"));

  auto invalid = feed->fetch("../etc", out.path());
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().kind == ErrorKind::kNotFound);

  auto other = open(registry.url("cairn/nothing-here"));
  auto tags = other->list();
  REQUIRE_FALSE(tags);
  CHECK(tags.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(tags.error().message, Catch::Contains("NAME_UNKNOWN"));
  CHECK_THAT(tags.error().message, Catch::Contains("cairn/nothing-here"));
}

TEST_CASE("oci feed refuses hostile directory layers and writes nothing outside the release",
          "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  for (const std::string kind : {"traversal", "symlink", "outside"}) {
    make_tar(work / (kind + ".tgz"), kind);
    registry.push({"--tag", "bad-" + kind, "--tar", "charts=" + (work / (kind + ".tgz")).string()});
  }
  auto feed = open(registry.url());
  for (const std::string kind : {"traversal", "symlink", "outside"}) {
    INFO(kind);
    TempDir out("cairn-oci-out");
    fs::create_directory(out / "release");
    auto got = feed->fetch("bad-" + kind, out / "release");
    REQUIRE_FALSE(got);
    CHECK(got.error().kind ==
          (kind == "outside" ? ErrorKind::kInvalidRelease : ErrorKind::kHostileArchive));
    CHECK_THAT(got.error().message, Catch::Contains("charts"));
    CHECK(tree(out.path()) == std::vector<std::string>{"release/"});
  }
}

TEST_CASE("oci feed refuses layers whose title is missing or not a plain file name", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  write_file(work / "f", "data\n");
  const std::string f = (work / "f").string();
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"up", {"--file", "../evil=" + f}},
      {"slash", {"--file", "a/b=" + f}},
      {"backslash", {"--file", "a\\b=" + f}},
      {"hidden", {"--file", ".hidden=" + f}},
      {"empty", {"--file", "=" + f}},
      {"untitled", {"--untitled", f}},
      {"twice", {"--file", "same=" + f, "--file", "same=" + f}},
  };
  for (const auto& [tag, args] : cases) {
    std::vector<std::string> a = {"--tag", tag};
    a.insert(a.end(), args.begin(), args.end());
    registry.push(a);
  }
  auto feed = open(registry.url());
  for (const auto& [tag, args] : cases) {
    INFO(tag);
    TempDir out("cairn-oci-out");
    fs::create_directory(out / "release");
    auto got = feed->fetch(tag, out / "release");
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::kInvalidRelease);
    CHECK(tree(out.path()) == std::vector<std::string>{"release/"});
  }
}

TEST_CASE("oci feed refuses an image index with kInvalidRelease", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  write_file(work / "metadata.yaml", "x: 1\n");
  registry.push({"--tag", kTag, "--index-tag", "multi-platform", "--file",
                 "metadata.yaml=" + (work / "metadata.yaml").string()});
  auto feed = open(registry.url());
  TempDir out("cairn-oci-out");
  auto got = feed->fetch("multi-platform", out.path());
  REQUIRE_FALSE(got);
  CHECK(got.error().kind == ErrorKind::kInvalidRelease);
  CHECK_THAT(got.error().message, Catch::Contains("image index"));
}

TEST_CASE("oci feed refuses a layer over max_file_bytes before downloading it", "[oci]") {
  Registry registry;
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  auto args = file_args(files, work / "files");
  args.insert(args.begin(), {"--tag", kTag});
  registry.push(args);
  FeedOptions options = fast_options();
  options.max_file_bytes = 1 << 20;
  auto feed = open(registry.url(), options);
  TempDir out("cairn-oci-out");
  auto got = feed->fetch(kTag, out.path());
  REQUIRE_FALSE(got);
  CHECK(got.error().kind == ErrorKind::kTooLarge);
  CHECK_THAT(got.error().message, Catch::Contains("docker-ferrol-1-27-cluster-addon-v1.tgz"));
  CHECK(feed->stats().downloads == 0);
}

TEST_CASE("oci feed serves four threads listing and fetching at once", "[oci]") {
  Registry registry(RegistryOptions{Auth::kToken});
  TempDir work("cairn-oci-work");
  const Files files = release_files();
  auto args = file_args(files, work / "files");
  args.insert(args.begin(), {"--tag", kTag, "--tag", "docker-ferrol-1-27-v2"});
  registry.push(args);
  auto feed = open(registry.url(), fast_options(basic(kUser, kPassword)));
  TempDir out("cairn-oci-out");

  std::vector<Result<std::vector<ReleaseFile>>> fetched(4, make_error(ErrorKind::kIo, "not run"));
  std::vector<Result<ListResult>> listed(4, make_error(ErrorKind::kIo, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const fs::path dir = out / std::to_string(i);
      fs::create_directory(dir);
      listed[i] = feed->list();
      fetched[i] = feed->fetch(i % 2 == 0 ? kTag : "docker-ferrol-1-27-v2", dir);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    INFO(i);
    REQUIRE(listed[i]);
    CHECK(listed[i]->tags.size() == 2);
    INFO((fetched[i] ? "" : fetched[i].error().message));
    REQUIRE(fetched[i]);
    check_release(out / std::to_string(i), files, *fetched[i]);
  }
  CHECK(feed->stats().downloads == 16);
}
