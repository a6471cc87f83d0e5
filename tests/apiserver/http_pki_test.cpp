// Tests of PKI creation, reuse and repair, and the admin kubeconfig (apiserver/pki.h).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "apiserver/auth.h"
#include "apiserver/pki.h"

namespace {

using namespace cairn::apiserver;
namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& file) {
  struct stat st {};
  ::stat(file.c_str(), &st);
  return st.st_mode & 0777;
}

fs::path temp_dir(const std::string& name) {
  auto dir =
      fs::temp_directory_path() / ("cairn-pki-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

// The certificate in `file`, owned by the caller.
X509* read_cert(const fs::path& file) {
  const std::string pem = slurp(file);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

bool cert_has_host(const fs::path& file, const std::string& host, bool ip) {
  X509* cert = read_cert(file);
  if (cert == nullptr) return false;
  const bool ok = ip ? X509_check_ip_asc(cert, host.c_str(), 0) == 1
                     : X509_check_host(cert, host.data(), host.size(), 0, nullptr) == 1;
  X509_free(cert);
  return ok;
}

// Verifies `file` against the CA in `ca_file` for the given purpose.
bool verifies(const fs::path& ca_file, const fs::path& file, int purpose) {
  X509* ca = read_cert(ca_file);
  X509* cert = read_cert(file);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  X509_free(ca);
  return ok;
}

std::string subject_of(const fs::path& file) {
  X509* cert = read_cert(file);
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  X509_free(cert);
  return buf;
}

std::string unbase64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock decodes padding as zero bytes: drop one per '='.
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && !out.empty(); ++it)
    out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("ensure_pki creates a CA, serving and admin certificates and a token", "[http][pki]") {
  const auto dir = temp_dir("create");
  auto pki = ensure_pki(dir, {"api.example.com", "10.0.0.7", "[fd00::5]"});
  REQUIRE(pki.has_value());
  CHECK(mode_of(dir) == 0700);
  for (const auto& key : {pki->ca_key, pki->serving_key, pki->admin_key, pki->token_file})
    CHECK(mode_of(key) == 0600);
  CHECK(verifies(pki->ca_cert, pki->serving_cert, X509_PURPOSE_SSL_SERVER));
  CHECK(verifies(pki->ca_cert, pki->admin_cert, X509_PURPOSE_SSL_CLIENT));
  CHECK_FALSE(verifies(pki->ca_cert, pki->admin_cert, X509_PURPOSE_SSL_SERVER));
  for (const char* ip : {"127.0.0.1", "::1", "10.0.0.7", "fd00::5"})
    CHECK(cert_has_host(pki->serving_cert, ip, true));
  CHECK(cert_has_host(pki->serving_cert, "localhost", false));
  CHECK(cert_has_host(pki->serving_cert, "api.example.com", false));
  CHECK_FALSE(cert_has_host(pki->serving_cert, "other.example.com", false));
  CHECK(subject_of(pki->admin_cert) == "/O=system:masters/CN=kubernetes-admin");
  CHECK(pki->admin_token.size() == 64);

  auto auth = Authenticator::from_token_file(pki->token_file);
  REQUIRE(auth.has_value());
  HttpRequest req;
  req.headers.emplace_back("authorization", "Bearer " + pki->admin_token);
  auto user = auth->authenticate(req);
  REQUIRE(user.has_value());
  REQUIRE(user->has_value());
  CHECK((*user)->name == "kubernetes-admin");
  CHECK((*user)->groups == std::vector<std::string>{"system:masters"});
  fs::remove_all(dir);
}

TEST_CASE("ensure_pki reuses what it created and repairs what is damaged", "[http][pki]") {
  const auto dir = temp_dir("reload");
  auto first = ensure_pki(dir, {"a.example"});
  REQUIRE(first.has_value());
  const std::string ca = slurp(first->ca_cert);
  const std::string serving = slurp(first->serving_cert);
  const std::string admin = slurp(first->admin_cert);

  SECTION("a second start changes nothing") {
    auto again = ensure_pki(dir, {"a.example"});
    REQUIRE(again.has_value());
    CHECK(slurp(again->ca_cert) == ca);
    CHECK(slurp(again->serving_cert) == serving);
    CHECK(slurp(again->admin_cert) == admin);
    CHECK(again->admin_token == first->admin_token);
  }
  SECTION("a new host name regenerates only the serving certificate") {
    auto again = ensure_pki(dir, {"a.example", "b.example"});
    REQUIRE(again.has_value());
    CHECK(slurp(again->ca_cert) == ca);
    CHECK(slurp(again->admin_cert) == admin);
    CHECK(slurp(again->serving_cert) != serving);
    CHECK(cert_has_host(again->serving_cert, "b.example", false));
    CHECK(verifies(again->ca_cert, again->serving_cert, X509_PURPOSE_SSL_SERVER));
  }
  SECTION("a truncated serving key regenerates the serving pair") {
    std::ofstream(first->serving_key, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nMII";
    auto again = ensure_pki(dir, {"a.example"});
    REQUIRE(again.has_value());
    CHECK(slurp(again->ca_cert) == ca);
    CHECK(slurp(again->serving_cert) != serving);
    CHECK(verifies(again->ca_cert, again->serving_cert, X509_PURPOSE_SSL_SERVER));
  }
  SECTION("a serving certificate that does not match its key is replaced") {
    fs::copy_file(first->admin_key, first->serving_key, fs::copy_options::overwrite_existing);
    auto again = ensure_pki(dir, {"a.example"});
    REQUIRE(again.has_value());
    CHECK(slurp(again->serving_cert) != serving);
  }
  SECTION("a missing CA certificate regenerates everything") {
    fs::remove(first->ca_cert);
    auto again = ensure_pki(dir, {"a.example"});
    REQUIRE(again.has_value());
    CHECK(slurp(again->ca_cert) != ca);
    CHECK(slurp(again->admin_cert) != admin);
    CHECK(verifies(again->ca_cert, again->serving_cert, X509_PURPOSE_SSL_SERVER));
    CHECK(verifies(again->ca_cert, again->admin_cert, X509_PURPOSE_SSL_CLIENT));
  }
  SECTION("a damaged token file gets a new token") {
    std::ofstream(first->token_file, std::ios::trunc) << "abc";
    auto again = ensure_pki(dir, {"a.example"});
    REQUIRE(again.has_value());
    CHECK(again->admin_token.size() == 64);
    CHECK(again->admin_token != first->admin_token);
  }
  fs::remove_all(dir);
}

TEST_CASE("ensure_pki names the path it cannot create", "[http][pki]") {
  const auto dir = temp_dir("blocked");
  fs::create_directories(dir);
  std::ofstream(dir / "file") << "x";
  auto pki = ensure_pki(dir / "file" / "pki", {});
  REQUIRE_FALSE(pki.has_value());
  CHECK(pki.error().message.find((dir / "file" / "pki").string()) == 0);
  fs::remove_all(dir);
}

TEST_CASE("the admin kubeconfig carries the CA and the admin client certificate", "[http][pki]") {
  const auto dir = temp_dir("kubeconfig");
  auto pki = ensure_pki(dir / "pki", {});
  REQUIRE(pki.has_value());
  const auto file = dir / "out" / "kubeconfig";
  REQUIRE(write_kubeconfig(file, "https://127.0.0.1:6443", &*pki).has_value());
  CHECK(mode_of(file) == 0600);
  auto config = nlohmann::json::parse(slurp(file));
  CHECK(config["apiVersion"] == "v1");
  CHECK(config["kind"] == "Config");
  CHECK(config["current-context"] == "cairn");
  CHECK(config["contexts"][0]["name"] == "cairn");
  CHECK(config["contexts"][0]["context"]["cluster"] == "cairn");
  CHECK(config["contexts"][0]["context"]["user"] == "cairn-admin");
  const auto& cluster = config["clusters"][0];
  CHECK(cluster["name"] == "cairn");
  CHECK(cluster["cluster"]["server"] == "https://127.0.0.1:6443");
  CHECK(unbase64(cluster["cluster"]["certificate-authority-data"]) == slurp(pki->ca_cert));
  const auto& user = config["users"][0];
  CHECK(user["name"] == "cairn-admin");
  CHECK(unbase64(user["user"]["client-certificate-data"]) == slurp(pki->admin_cert));
  CHECK(unbase64(user["user"]["client-key-data"]) == slurp(pki->admin_key));

  SECTION("an insecure kubeconfig has neither CA nor credentials") {
    REQUIRE(write_kubeconfig(file, "http://127.0.0.1:8080", nullptr).has_value());
    auto plain = nlohmann::json::parse(slurp(file));
    CHECK(plain["clusters"][0]["cluster"] == nlohmann::json{{"server", "http://127.0.0.1:8080"}});
    CHECK(plain["users"][0]["user"] == nlohmann::json::object());
  }
  fs::remove_all(dir);
}
