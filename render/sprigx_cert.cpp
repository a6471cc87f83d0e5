// Sprig's key and certificate functions (sprig crypto.go) over OpenSSL:
// genPrivateKey, buildCustomCert, genCA, genCAWithKey, genSelfSignedCert,
// genSelfSignedCertWithKey, genSignedCert, genSignedCertWithKey.
//
// Certificates follow Go's x509.CreateCertificate for sprig's template:
// v3, random 128-bit serial, subject CN only, NotBefore now, NotAfter now +
// days, extensions in Go's order: keyUsage (critical), extKeyUsage
// (serverAuth, clientAuth), basicConstraints (critical), subjectKeyIdentifier
// (CAs: SHA-1 of the public key), authorityKeyIdentifier (when the issuer
// differs and has one), subjectAltName (DNS names then IPs). Keys are PEM in
// Go's encodings: "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC 1),
// "DSA PRIVATE KEY", "PRIVATE KEY" (PKCS#8) for the rest.
#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "render/detail/sprigx_common.h"
#include "render/gofmt.h"

namespace cairn::render::detail {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using P8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO,
                              Deleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>;

// sprig's `certificate` struct: Cert and Key PEM strings.
class Certificate final : public Object {
 public:
  Certificate(std::string cert, std::string key) : cert_(std::move(cert)), key_(std::move(key)) {}
  std::string type_name() const override { return "sprig.certificate"; }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "Cert") return Value(cert_);
    if (name == "Key") return Value(key_);
    return std::nullopt;
  }
  std::string format(bool plus) const override {
    return plus ? "{Cert:" + cert_ + " Key:" + key_ + "}" : "{" + cert_ + " " + key_ + "}";
  }
  Value to_data() const override {
    Value m = Value::new_map();
    m.map().items.emplace("Cert", Value(cert_));
    m.map().items.emplace("Key", Value(key_));
    return m;
  }
  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }

 private:
  std::string cert_;
  std::string key_;
};

Value certificate_value(std::string cert, std::string key) {
  return Value(std::shared_ptr<const Object>(
      std::make_shared<Certificate>(std::move(cert), std::move(key))));
}

// ---------------------------------------------------------- PEM

std::string pem_encode(std::string_view type, std::string_view der) {
  const std::string b64 = sprigx_base64_encode(der);
  std::string out = "-----BEGIN " + std::string(type) + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out.push_back('\n');
  }
  out += "-----END " + std::string(type) + "-----\n";
  return out;
}

struct PemBlock {
  std::string type;
  std::string der;
};

// encoding/pem.Decode, simplified: the first well-formed block whose BEGIN
// line starts a line. Header lines ("Key: value") are skipped.
std::optional<PemBlock> pem_decode(std::string_view data) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  std::size_t pos = 0;
  while ((pos = data.find(kBegin, pos)) != std::string_view::npos) {
    if (pos != 0 && data[pos - 1] != '\n') {
      pos += kBegin.size();
      continue;
    }
    const std::size_t type_start = pos + kBegin.size();
    const std::size_t line_end = data.find('\n', type_start);
    pos = type_start;
    if (line_end == std::string_view::npos) return std::nullopt;
    std::string_view line = data.substr(type_start, line_end - type_start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.size() < 5 || line.substr(line.size() - 5) != "-----") continue;
    PemBlock block{std::string(line.substr(0, line.size() - 5)), {}};
    const std::string end_marker = "-----END " + block.type + "-----";
    const std::size_t end = data.find(end_marker, line_end);
    if (end == std::string_view::npos) continue;
    std::string body;
    std::string_view rest = data.substr(line_end + 1, end - line_end - 1);
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      std::string_view l = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (l.find(':') != std::string_view::npos) continue;  // header
      for (char c : l) {
        if (c != ' ' && c != '\t' && c != '\r') body.push_back(c);
      }
    }
    auto der = sprigx_base64_decode(body);
    if (!der) continue;
    block.der = std::move(*der);
    return block;
  }
  return std::nullopt;
}

// ---------------------------------------------------------- keys

std::string key_type(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return "RSA";
  if (EVP_PKEY_is_a(key, "EC")) return "EC";
  if (EVP_PKEY_is_a(key, "DSA")) return "DSA";
  if (EVP_PKEY_is_a(key, "ED25519")) return "ED25519";
  return "";
}

// pemBlockForKey: PKCS#1 / SEC 1 / DSA traditional encodings, else PKCS#8.
Result<std::string> key_pem(EVP_PKEY* key) {
  const std::string type = key_type(key);
  unsigned char* der = nullptr;
  int len = 0;
  std::string label;
  if (type == "RSA" || type == "EC" || type == "DSA") {
    len = i2d_PrivateKey(key, &der);
    label = type + " PRIVATE KEY";
  } else {
    P8Ptr p8(EVP_PKEY2PKCS8(key));
    if (p8) len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
    label = "PRIVATE KEY";
  }
  if (len <= 0 || der == nullptr) return make_error("error pem-encoding key");
  std::string out = pem_encode(label, std::string_view(reinterpret_cast<char*>(der),
                                                       static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return out;
}

Result<KeyPtr> generate_dsa_key() {
  CtxPtr pctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* params = nullptr;
  if (!pctx || EVP_PKEY_paramgen_init(pctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx.get(), 2048) <= 0 ||
      EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pctx.get(), 256) <= 0 ||
      EVP_PKEY_paramgen(pctx.get(), &params) <= 0) {
    return make_error("failed to generate dsa params");
  }
  KeyPtr param_key(params);
  CtxPtr kctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr));
  EVP_PKEY* key = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) <= 0 || EVP_PKEY_keygen(kctx.get(), &key) <= 0) {
    return make_error("failed to generate private key: dsa");
  }
  return KeyPtr(key);
}

Result<KeyPtr> generate_rsa_key(unsigned bits) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  if (key == nullptr) return make_error("error generating rsa key");
  return KeyPtr(key);
}

Result<Value> gen_private_key_func(CallContext&, std::vector<Value>& args) {
  const std::string& type = args[0].as_string();
  Result<KeyPtr> key = make_error("");
  if (type.empty() || type == "rsa") {
    key = generate_rsa_key(4096);
  } else if (type == "dsa") {
    key = generate_dsa_key();
  } else if (type == "ecdsa") {
    EVP_PKEY* k = EVP_EC_gen("P-256");
    key = k ? Result<KeyPtr>(KeyPtr(k)) : make_error("failed to generate private key: ecdsa");
  } else if (type == "ed25519") {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    key = k ? Result<KeyPtr>(KeyPtr(k)) : make_error("failed to generate private key: ed25519");
  } else {
    return Value("Unknown type " + type);
  }
  if (!key) return Value(key.error().message);  // sprig returns the text
  auto pem = key_pem(key->get());
  if (!pem) return tl::unexpected(pem.error());
  return Value(std::move(*pem));
}

KeyPtr d2i_typed_key(int type, const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return KeyPtr(d2i_PrivateKey(type, nullptr, &p, static_cast<long>(der.size())));
}

// parsePrivateKeyPEM.
Result<KeyPtr> parse_private_key(std::string_view pem) {
  auto block = pem_decode(pem);
  if (!block) return make_error("no PEM data in input");
  if (block->type == "PRIVATE KEY") {
    const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
    P8Ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(block->der.size())));
    KeyPtr key(p8 ? EVP_PKCS82PKEY(p8.get()) : nullptr);
    if (!key) return make_error("decoding PEM as PKCS#8: x509: failed to parse private key");
    return key;
  }
  constexpr std::string_view kSuffix = " PRIVATE KEY";
  if (block->type.size() < kSuffix.size() ||
      block->type.compare(block->type.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return make_error("no private key data in PEM block of type " + block->type);
  }
  const std::string kind = block->type.substr(0, block->type.size() - kSuffix.size());
  int type = 0;
  if (kind == "RSA") type = EVP_PKEY_RSA;
  else if (kind == "EC") type = EVP_PKEY_EC;
  else if (kind == "DSA") type = EVP_PKEY_DSA;
  else return make_error("invalid private key type " + block->type);
  KeyPtr key = d2i_typed_key(type, block->der);
  if (!key) return make_error("parsing " + kind + " private key from PEM: asn1: structure error");
  return key;
}

// ---------------------------------------------------------- certificates

// Go's x509 signs with RSA/ECDSA/Ed25519 keys only; the digest follows the key.
Result<const EVP_MD*> signing_digest(EVP_PKEY* key) {
  const std::string type = key_type(key);
  if (type == "RSA") return EVP_sha256();
  if (type == "ED25519") return static_cast<const EVP_MD*>(nullptr);
  if (type == "EC") {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits > 384) return EVP_sha512();
    if (bits > 256) return EVP_sha384();
    return EVP_sha256();
  }
  return make_error("x509: certificate private key does not implement crypto.Signer");
}

// Go's asn1 PrintableString alphabet (Go marshals other strings as UTF8String).
bool is_printable(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

struct CertSpec {
  std::string cn;
  std::vector<std::string> ips;  // raw 4- or 16-byte addresses
  std::vector<std::string> dns;
  std::int64_t days = 0;
  bool is_ca = false;
};

// getNetIPs: each entry must be a string net.ParseIP accepts; IPv4 (and
// IPv4-mapped IPv6) addresses are encoded in 4 bytes, as Go's To4 does.
Result<std::vector<std::string>> parse_ips(const Value& list) {
  std::vector<std::string> out;
  if (list.is_nil_container() || !list.is_list()) return out;
  for (const Value& v : list.list().items) {
    if (!v.is_string()) {
      return make_error("error parsing ip: " + go_format_value(v) + " is not a string");
    }
    const std::string& s = v.as_string();
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
      out.emplace_back(reinterpret_cast<char*>(buf), 4);
    } else if (s.find('%') == std::string::npos && inet_pton(AF_INET6, s.c_str(), buf) == 1) {
      static constexpr unsigned char kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      const bool mapped = std::equal(kV4Prefix, kV4Prefix + 12, buf);
      out.emplace_back(reinterpret_cast<char*>(mapped ? buf + 12 : buf), mapped ? 4 : 16);
    } else {
      return make_error("error parsing ip: " + s);
    }
  }
  return out;
}

Result<std::vector<std::string>> parse_dns_names(const Value& list) {
  std::vector<std::string> out;
  if (list.is_nil_container() || !list.is_list()) return out;
  for (const Value& v : list.list().items) {
    if (!v.is_string()) {
      return make_error("error processing alternate dns name: " + go_format_value(v) +
                        " is not a string");
    }
    out.push_back(v.as_string());
  }
  return out;
}

// Adds an extension given as an OpenSSL internal structure (freed after use).
template <class T>
bool add_ext(X509* cert, int nid, T* value, bool critical, void (*free_fn)(T*)) {
  const int ok = X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT);
  free_fn(value);
  return ok == 1;
}

bool add_key_usage(X509* cert, bool is_ca) {
  ASN1_BIT_STRING* usage = ASN1_BIT_STRING_new();
  ASN1_BIT_STRING_set_bit(usage, 0, 1);  // digitalSignature
  ASN1_BIT_STRING_set_bit(usage, 2, 1);  // keyEncipherment
  if (is_ca) ASN1_BIT_STRING_set_bit(usage, 5, 1);  // keyCertSign
  return add_ext(cert, NID_key_usage, usage, true, ASN1_BIT_STRING_free);
}

bool add_ext_key_usage(X509* cert) {
  EXTENDED_KEY_USAGE* eku = sk_ASN1_OBJECT_new_null();
  sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth));
  sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
  const int ok = X509_add1_ext_i2d(cert, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT);
  sk_ASN1_OBJECT_free(eku);  // the objects are static
  return ok == 1;
}

bool add_basic_constraints(X509* cert, bool is_ca) {
  BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
  bc->ca = is_ca ? 0xff : 0;
  return add_ext(cert, NID_basic_constraints, bc, true, BASIC_CONSTRAINTS_free);
}

bool add_subject_key_id(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) return false;
  ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(id, md, static_cast<int>(len));
  return add_ext(cert, NID_subject_key_identifier, id, false, ASN1_OCTET_STRING_free);
}

bool add_authority_key_id(X509* cert, const ASN1_OCTET_STRING* parent_skid) {
  AUTHORITY_KEYID* akid = AUTHORITY_KEYID_new();
  akid->keyid = ASN1_OCTET_STRING_dup(parent_skid);
  return add_ext(cert, NID_authority_key_identifier, akid, false, AUTHORITY_KEYID_free);
}

bool add_alt_names(X509* cert, const CertSpec& spec) {
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  for (const std::string& d : spec.dns) {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, d.data(), static_cast<int>(d.size()));
    GENERAL_NAME* n = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(n, GEN_DNS, s);
    sk_GENERAL_NAME_push(names, n);
  }
  for (const std::string& ip : spec.ips) {
    ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(s, reinterpret_cast<const unsigned char*>(ip.data()),
                          static_cast<int>(ip.size()));
    GENERAL_NAME* n = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(n, GEN_IPADD, s);
    sk_GENERAL_NAME_push(names, n);
  }
  return add_ext(cert, NID_subject_alt_name, names, spec.cn.empty(), GENERAL_NAMES_free);
}

bool set_serial(X509* cert) {
  unsigned char bytes[16];
  if (!sprigx_random_bytes(bytes, sizeof bytes)) return false;
  BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool set_validity(X509* cert, std::int64_t days) {
  std::time_t now = std::time(nullptr);
  return X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &now) != nullptr &&
         X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(days), 0, &now) != nullptr;
}

Result<NamePtr> subject_name(const std::string& cn) {
  NamePtr name(X509_NAME_new());
  if (!cn.empty()) {
    const int type = is_printable(cn) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    if (X509_NAME_add_entry_by_NID(name.get(), NID_commonName, type,
                                   reinterpret_cast<const unsigned char*>(cn.data()),
                                   static_cast<int>(cn.size()), -1, 0) != 1) {
      return make_error("error creating certificate: invalid common name");
    }
  }
  return name;
}

// getCertAndKey: a certificate for `subject_key` signed by `signer_key` under
// `parent` (nullptr: self-signed), both PEM-encoded.
Result<Value> issue(const CertSpec& spec, EVP_PKEY* subject_key, X509* parent,
                    EVP_PKEY* signer_key) {
  const std::string err = "error creating certificate: ";
  auto digest = signing_digest(signer_key);
  if (!digest) return make_error(err + digest.error().message);
  if (key_type(subject_key) == "DSA") {
    return make_error(err + "x509: unsupported public key type: *dsa.PublicKey");
  }
  if (parent != nullptr && X509_check_private_key(parent, signer_key) != 1) {
    return make_error(err + "x509: provided PrivateKey doesn't match parent's PublicKey");
  }
  for (const std::string& d : spec.dns) {
    for (char c : d) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return make_error(err + "x509: \"" + d + "\" cannot be encoded as an IA5String");
      }
    }
  }
  if (spec.days > 106751 || spec.days < -106751) {  // Go's time.Duration range
    return make_error(err + "validity of " + std::to_string(spec.days) + " days is out of range");
  }
  auto name = subject_name(spec.cn);
  if (!name) return tl::unexpected(name.error());
  X509Ptr cert(X509_new());
  const X509_NAME* issuer = parent ? X509_get_subject_name(parent) : name->get();
  bool ok = cert && X509_set_version(cert.get(), 2) == 1 && set_serial(cert.get()) &&
            X509_set_subject_name(cert.get(), name->get()) == 1 &&
            X509_set_issuer_name(cert.get(), issuer) == 1 && set_validity(cert.get(), spec.days) &&
            X509_set_pubkey(cert.get(), subject_key) == 1 && add_key_usage(cert.get(), spec.is_ca) &&
            add_ext_key_usage(cert.get()) && add_basic_constraints(cert.get(), spec.is_ca);
  if (ok && spec.is_ca) ok = add_subject_key_id(cert.get());
  const ASN1_OCTET_STRING* parent_skid = parent ? X509_get0_subject_key_id(parent) : nullptr;
  if (ok && parent_skid != nullptr && X509_NAME_cmp(issuer, name->get()) != 0) {
    ok = add_authority_key_id(cert.get(), parent_skid);
  }
  if (ok && (!spec.dns.empty() || !spec.ips.empty())) ok = add_alt_names(cert.get(), spec);
  if (!ok || X509_sign(cert.get(), signer_key, *digest) <= 0) {
    return make_error(err + "certificate construction failed");
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return make_error(err + "DER encoding failed");
  std::string cert_pem = pem_encode(
      "CERTIFICATE", std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  auto key = key_pem(subject_key);
  if (!key) return tl::unexpected(key.error());
  return certificate_value(std::move(cert_pem), std::move(*key));
}

Result<CertSpec> make_spec(const std::string& cn, const Value& ips, const Value& dns,
                           std::int64_t days, bool is_ca) {
  CertSpec spec{cn, {}, {}, days, is_ca};
  auto parsed_ips = parse_ips(ips);
  if (!parsed_ips) return tl::unexpected(parsed_ips.error());
  auto names = parse_dns_names(dns);
  if (!names) return tl::unexpected(names.error());
  spec.ips = std::move(*parsed_ips);
  spec.dns = std::move(*names);
  return spec;
}

// The `ca certificate` parameter: a sprig.certificate value, nothing else.
Result<const Certificate*> certificate_arg(const Value& v) {
  if (v.is_object()) {
    if (auto* c = dynamic_cast<const Certificate*>(&v.object())) return c;
  }
  if (v.is_invalid()) return make_error("invalid value; expected sprig.certificate");
  return make_error("wrong type for value; expected sprig.certificate; got " + v.type_name());
}

Result<KeyPtr> key_from_pem(const std::string& pem) {
  auto key = parse_private_key(pem);
  if (!key) return make_error("parsing private key: " + key.error().message);
  return key;
}

Result<Value> gen_ca(const std::string& cn, std::int64_t days, Result<KeyPtr> key) {
  if (!key) return tl::unexpected(key.error());
  CertSpec spec{cn, {}, {}, days, true};
  return issue(spec, key->get(), nullptr, key->get());
}

Result<Value> gen_self_signed(std::vector<Value>& a, Result<KeyPtr> key) {
  if (!key) return tl::unexpected(key.error());
  auto spec = make_spec(a[0].as_string(), a[1], a[2], a[3].as_int(), false);
  if (!spec) return tl::unexpected(spec.error());
  return issue(*spec, key->get(), nullptr, key->get());
}

// genSignedCert[WithKey]: args cn, ips, dns, days, ca[, key].
Result<Value> gen_signed(std::vector<Value>& a, bool with_key) {
  auto ca = certificate_arg(a[4]);
  if (!ca) return tl::unexpected(ca.error());
  KeyPtr subject_key;
  if (with_key) {
    auto k = key_from_pem(a[5].as_string());
    if (!k) return tl::unexpected(k.error());
    subject_key = std::move(*k);
  }
  auto block = pem_decode((*ca)->cert());
  if (!block) return make_error("unable to decode certificate");
  const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
  X509Ptr parent(d2i_X509(nullptr, &p, static_cast<long>(block->der.size())));
  if (!parent) {
    return make_error("error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate");
  }
  auto signer = parse_private_key((*ca)->key());
  if (!signer) return make_error("error parsing private key: " + signer.error().message);
  auto spec = make_spec(a[0].as_string(), a[1], a[2], a[3].as_int(), false);
  if (!spec) return tl::unexpected(spec.error());
  if (!with_key) {
    auto k = generate_rsa_key(2048);
    if (!k) return tl::unexpected(k.error());
    subject_key = std::move(*k);
  }
  return issue(*spec, subject_key.get(), parent.get(), signer->get());
}

// buildCustomCert(b64cert, b64key): validates and wraps an existing pair.
Result<Value> build_custom_cert_func(CallContext&, std::vector<Value>& a) {
  auto cert = sprigx_base64_decode(a[0].as_string());
  if (!cert) return make_error("unable to decode base64 certificate");
  auto key = sprigx_base64_decode(a[1].as_string());
  if (!key) return make_error("unable to decode base64 private key");
  auto block = pem_decode(*cert);
  if (!block) return make_error("unable to decode certificate");
  const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
  X509Ptr parsed(d2i_X509(nullptr, &p, static_cast<long>(block->der.size())));
  if (!parsed) {
    return make_error("error parsing certificate: decodedCert.Bytes: x509: malformed certificate");
  }
  auto k = parse_private_key(*key);
  if (!k) return make_error("error parsing private key: " + k.error().message);
  return certificate_value(std::move(*cert), std::move(*key));
}

}  // namespace

void add_sprigx_cert_funcs(FuncMap& funcs) {
  using P = Param;
  sprigx_define(funcs, "genPrivateKey", {P::String}, gen_private_key_func);
  sprigx_define(funcs, "buildCustomCert", {P::String, P::String}, build_custom_cert_func);
  sprigx_define(funcs, "genCA", {P::String, P::Int}, [](CallContext&, std::vector<Value>& a) {
    return gen_ca(a[0].as_string(), a[1].as_int(), generate_rsa_key(2048));
  });
  sprigx_define(funcs, "genCAWithKey", {P::String, P::Int, P::String},
                [](CallContext&, std::vector<Value>& a) {
                  return gen_ca(a[0].as_string(), a[1].as_int(), key_from_pem(a[2].as_string()));
                });
  sprigx_define(funcs, "genSelfSignedCert", {P::String, P::List, P::List, P::Int},
                [](CallContext&, std::vector<Value>& a) {
                  return gen_self_signed(a, generate_rsa_key(2048));
                });
  sprigx_define(funcs, "genSelfSignedCertWithKey", {P::String, P::List, P::List, P::Int, P::String},
                [](CallContext&, std::vector<Value>& a) {
                  return gen_self_signed(a, key_from_pem(a[4].as_string()));
                });
  sprigx_define(funcs, "genSignedCert", {P::String, P::List, P::List, P::Int, P::Value},
                [](CallContext&, std::vector<Value>& a) { return gen_signed(a, false); });
  sprigx_define(funcs, "genSignedCertWithKey",
                {P::String, P::List, P::List, P::Int, P::Value, P::String},
                [](CallContext&, std::vector<Value>& a) { return gen_signed(a, true); });
}

}  // namespace cairn::render::detail
