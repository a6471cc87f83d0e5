#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <memory>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprigx;

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

X509Ptr parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(x);
}

KeyPtr parse_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return KeyPtr(k);
}

std::string field(const Value& cert, const char* name) {
  return cert.object().field(name)->as_string();
}

// Verifies `leaf` against `ca` as the only trust anchor.
bool chains_to(X509* leaf, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

std::string common_name(X509* x) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  return buf;
}

Value list_of(std::vector<Value> items) { return Value::new_list(std::move(items)); }

}  // namespace

TEST_CASE("genPrivateKey emits sprig's PEM block types", "[sprigx][cert]") {
  auto ec = call("genPrivateKey", {"ecdsa"});
  REQUIRE(ec);
  CHECK(ec->as_string().rfind("-----BEGIN EC PRIVATE KEY-----\n", 0) == 0);
  KeyPtr eck = parse_key(ec->as_string());
  REQUIRE(eck);
  CHECK(EVP_PKEY_is_a(eck.get(), "EC"));
  CHECK(EVP_PKEY_get_bits(eck.get()) == 256);

  auto ed = call("genPrivateKey", {"ed25519"});
  CHECK(ed->as_string().rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  CHECK(parse_key(ed->as_string()));

  CHECK(show("genPrivateKey", {"foo"}) == "Unknown type foo");
}

TEST_CASE("genPrivateKey rsa is a 4096-bit PKCS#1 key", "[sprigx][cert][slow]") {
  auto rsa = call("genPrivateKey", {"rsa"});
  REQUIRE(rsa);
  CHECK(rsa->as_string().rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);
  KeyPtr k = parse_key(rsa->as_string());
  REQUIRE(k);
  CHECK(EVP_PKEY_get_bits(k.get()) == 4096);
}

TEST_CASE("genCA makes a self-signed RSA-2048 CA certificate", "[sprigx][cert]") {
  auto ca = call("genCA", {"my-ca", ints(365)});
  REQUIRE(ca);
  CHECK(ca->type_name() == "sprig.certificate");
  CHECK(ca->kind_name() == "struct");
  const std::string cert_pem = field(*ca, "Cert");
  CHECK(cert_pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  CHECK(field(*ca, "Key").rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);
  X509Ptr x = parse_cert(cert_pem);
  REQUIRE(x);
  CHECK(common_name(x.get()) == "my-ca");
  CHECK(X509_check_ca(x.get()) == 1);
  CHECK((X509_get_key_usage(x.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(X509_get0_subject_key_id(x.get()) != nullptr);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(x.get())) == 2048);
  CHECK(chains_to(x.get(), x.get()));
  // Validity is 365 days from now.
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x.get()), X509_get0_notAfter(x.get()));
  CHECK(days == 365);
  // The key belongs to the certificate.
  KeyPtr k = parse_key(field(*ca, "Key"));
  CHECK(X509_check_private_key(x.get(), k.get()) == 1);
  // %v prints the struct's two fields.
  CHECK(ca->object().format(false) == "{" + cert_pem + " " + field(*ca, "Key") + "}");
}

TEST_CASE("genSignedCert issues a leaf with SANs that chains to the CA", "[sprigx][cert]") {
  auto ca = call("genCA", {"ca", ints(10)});
  REQUIRE(ca);
  auto leaf = call("genSignedCert", {"svc", list_of({"10.0.0.1", "::1"}),
                                     list_of({"svc.ns", "svc.ns.svc"}), ints(10), *ca});
  REQUIRE(leaf);
  X509Ptr cax = parse_cert(field(*ca, "Cert"));
  X509Ptr x = parse_cert(field(*leaf, "Cert"));
  REQUIRE(x);
  CHECK(common_name(x.get()) == "svc");
  CHECK(X509_check_ca(x.get()) == 0);
  CHECK(chains_to(x.get(), cax.get()));
  CHECK(X509_check_host(x.get(), "svc.ns", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(x.get(), "other", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(x.get(), "10.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(x.get(), "::1", 0) == 1);
  CHECK((X509_get_extended_key_usage(x.get()) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
        (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  // The authority key id names the CA's subject key id.
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(x.get());
  REQUIRE(akid != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(cax.get())) == 0);
}

TEST_CASE("certificates with caller keys use those keys", "[sprigx][cert]") {
  auto key = call("genPrivateKey", {"ecdsa"});
  REQUIRE(key);
  auto ca = call("genCAWithKey", {"ec-ca", ints(5), *key});
  REQUIRE(ca);
  CHECK(field(*ca, "Key") == key->as_string());
  auto ed = call("genPrivateKey", {"ed25519"});
  auto leaf = call("genSignedCertWithKey",
                   {"leaf", Value::nil_list(), Value::nil_list(), ints(5), *ca, *ed});
  REQUIRE(leaf);
  CHECK(field(*leaf, "Key") == ed->as_string());
  CHECK(chains_to(parse_cert(field(*leaf, "Cert")).get(), parse_cert(field(*ca, "Cert")).get()));
  auto self = call("genSelfSignedCertWithKey",
                   {"self", Value::nil_list(), list_of({"a.example"}), ints(1), *ed});
  REQUIRE(self);
  X509Ptr sx = parse_cert(field(*self, "Cert"));
  CHECK(X509_check_host(sx.get(), "a.example", 0, 0, nullptr) == 1);
}

TEST_CASE("genSelfSignedCert makes a non-CA self-signed certificate", "[sprigx][cert]") {
  auto c = call("genSelfSignedCert", {"host", list_of({"127.0.0.1"}), Value::nil_list(), ints(3)});
  REQUIRE(c);
  X509Ptr x = parse_cert(field(*c, "Cert"));
  REQUIRE(x);
  CHECK(X509_check_ca(x.get()) == 0);
  CHECK(X509_check_ip_asc(x.get(), "127.0.0.1", 0) == 1);
}

TEST_CASE("certificate functions report sprig's errors", "[sprigx][cert]") {
  CHECK(show("genSelfSignedCert", {"x", list_of({"1.2.3"}), Value::nil_list(), ints(1)}) ==
        "ERROR: error parsing ip: 1.2.3");
  CHECK(show("genSelfSignedCert", {"x", list_of({ints(1)}), Value::nil_list(), ints(1)}) ==
        "ERROR: error parsing ip: 1 is not a string");
  CHECK(show("genSelfSignedCert", {"x", Value::nil_list(), list_of({ints(1)}), ints(1)}) ==
        "ERROR: error processing alternate dns name: 1 is not a string");
  CHECK(show("genSelfSignedCertWithKey", {"x", Value::nil_list(), Value::nil_list(), ints(1),
                                          "junk"}) ==
        "ERROR: parsing private key: no PEM data in input");
  CHECK(show("genSignedCert", {"x", Value::nil_list(), Value::nil_list(), ints(1),
                               Value::new_map()}) ==
        "ERROR: wrong type for value; expected sprig.certificate; got map[string]interface {}");
  CHECK(show("buildCustomCert", {"eA==", "eA=="}) == "ERROR: unable to decode certificate");
  CHECK(show("buildCustomCert", {"!", "eA=="}) == "ERROR: unable to decode base64 certificate");
}

TEST_CASE("DSA keys can be generated but not used for certificates", "[sprigx][cert][slow]") {
  auto dsa = call("genPrivateKey", {"dsa"});
  REQUIRE(dsa);
  CHECK(dsa->as_string().rfind("-----BEGIN DSA PRIVATE KEY-----\n", 0) == 0);
  CHECK(show("genCAWithKey", {"x", ints(1), *dsa}) ==
        "ERROR: error creating certificate: x509: certificate private key does not implement "
        "crypto.Signer");
}

TEST_CASE("buildCustomCert wraps a valid base64 certificate and key", "[sprigx][cert]") {
  auto ca = call("genCA", {"custom", ints(1)});
  REQUIRE(ca);
  auto b64c = call("b64enc", {field(*ca, "Cert")});
  auto b64k = call("b64enc", {field(*ca, "Key")});
  auto built = call("buildCustomCert", {*b64c, *b64k});
  REQUIRE(built);
  CHECK(field(*built, "Cert") == field(*ca, "Cert"));
  CHECK(field(*built, "Key") == field(*ca, "Key"));
  // The wrapped pair signs new certificates.
  auto leaf = call("genSignedCert", {"l", Value::nil_list(), Value::nil_list(), ints(1), *built});
  REQUIRE(leaf);
}
