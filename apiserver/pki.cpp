#include "apiserver/pki.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

namespace cairn::apiserver {
namespace {

namespace fs = std::filesystem;

constexpr long kDay = 24L * 60 * 60;
constexpr int kCaDays = 3650;
constexpr int kLeafDays = 365;
constexpr long kRenewBefore = 30 * kDay;
constexpr const char* kAdminUser = "kubernetes-admin";
constexpr const char* kAdminGroup = "system:masters";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

tl::unexpected<Status> fail(const fs::path& file, const std::string& what) {
  return error(StatusCode::kInternal, file.string() + ": " + what);
}

tl::unexpected<Status> fail_openssl(const fs::path& file, const std::string& what) {
  return fail(file, what + ": " + openssl_reason());
}

Result<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `content` to a temporary file beside `file`, syncs it and renames it over `file`, so
// that `file` holds either the old or the new content, never a part.
Result<void> write_file_atomic(const fs::path& file, const std::string& content, mode_t mode) {
  const fs::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(tmp, std::string("cannot create: ") + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(tmp, std::string("cannot write: ") + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  // The mode given to open() is filtered by the umask; set it exactly.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(tmp, std::string("cannot sync: ") + std::strerror(err));
  }
  if (::close(fd) != 0) return fail(tmp, std::string("cannot close: ") + std::strerror(errno));
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return fail(file, std::string("cannot rename into place: ") + std::strerror(errno));
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    return error(StatusCode::kInternal, "cannot generate random bytes: " + openssl_reason());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<Pkey> load_key(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return tl::unexpected(text.error());
  Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail_openssl(file, "not a PEM private key");
  return key;
}

Result<Cert> load_cert(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return tl::unexpected(text.error());
  Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return fail_openssl(file, "not a PEM certificate");
  return cert;
}

Result<void> write_key(const fs::path& file, EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail_openssl(file, "cannot encode private key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return write_file_atomic(file, std::string(data, static_cast<std::size_t>(n)), 0600);
}

Result<void> write_cert(const fs::path& file, X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return fail_openssl(file, "cannot encode certificate");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return write_file_atomic(file, std::string(data, static_cast<std::size_t>(n)), 0644);
}

bool is_ip(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

struct CertSpec {
  std::string common_name;
  std::vector<std::string> organizations;
  int days = kLeafDays;
  bool is_ca = false;
  bool server = false;  // serverAuth (with SANs) rather than clientAuth
  std::vector<std::string> hosts;
};

Result<void> add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value,
                     const fs::path& file) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) return fail_openssl(file, std::string("cannot build extension ") + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return fail_openssl(file, std::string("cannot add extension ") + value);
  return {};
}

Result<void> add_sans(X509* cert, const std::vector<std::string>& hosts, const fs::path& file) {
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  for (const std::string& host : hosts) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str())) {
      GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      ASN1_STRING_set(dns, host.data(), static_cast<int>(host.size()));
      GENERAL_NAME_set0_value(name, GEN_DNS, dns);
    }
    sk_GENERAL_NAME_push(names, name);
  }
  const int ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  if (ok != 1) return fail_openssl(file, "cannot add subjectAltName");
  return {};
}

// A certificate for `key` signed by `issuer`/`issuer_key` (self-signed when issuer is null).
Result<Cert> make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                       const fs::path& file) {
  Cert cert(X509_new());
  if (!cert) return fail_openssl(file, "cannot allocate certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
    return fail_openssl(file, "cannot generate serial number");
  serial_bytes[0] &= 0x7f;  // positive
  serial_bytes[0] |= 0x01;  // and never zero
  BIGNUM* bn = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Backdated an hour so that a client whose clock is a little behind accepts it.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.days) * kDay);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const std::string& o : spec.organizations)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  if (X509_set_pubkey(cert.get(), key) != 1) return fail_openssl(file, "cannot set public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  Result<void> r;
  if (spec.is_ca) {
    r = add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE", file);
    if (r)
      r = add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign",
                  file);
  } else {
    r = add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE", file);
    if (r) r = add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature", file);
    if (r)
      r = add_ext(cert.get(), &ctx, NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth",
                  file);
  }
  if (r) r = add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash", file);
  if (r && issuer) r = add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid", file);
  if (r && spec.server) r = add_sans(cert.get(), spec.hosts, file);
  if (!r) return tl::unexpected(r.error());
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
    return fail_openssl(file, "cannot sign certificate");
  return cert;
}

Result<Pkey> new_key(const fs::path& file) {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return fail_openssl(file, "cannot generate ECDSA P-256 key");
  return key;
}

// True when `cert` is still valid `kRenewBefore` from now.
bool fresh(X509* cert) {
  std::time_t limit = std::time(nullptr) + kRenewBefore;
  return X509_cmp_time(X509_get0_notAfter(cert), &limit) > 0;
}

// A usable leaf: parses, matches its key, is signed by the CA and is fresh.
bool usable_leaf(const fs::path& cert_file, const fs::path& key_file, X509* ca, EVP_PKEY* ca_key) {
  auto cert = load_cert(cert_file);
  auto key = load_key(key_file);
  ERR_clear_error();
  if (!cert || !key) return false;
  const bool ok = X509_check_private_key(cert->get(), key->get()) == 1 &&
                  X509_check_issued(ca, cert->get()) == X509_V_OK &&
                  X509_verify(cert->get(), ca_key) == 1 && fresh(cert->get());
  ERR_clear_error();
  return ok;
}

bool covers_hosts(const fs::path& cert_file, const std::vector<std::string>& hosts) {
  auto cert = load_cert(cert_file);
  ERR_clear_error();
  if (!cert) return false;
  for (const std::string& h : hosts) {
    const bool ok = is_ip(h) ? X509_check_ip_asc(cert->get(), h.c_str(), 0) == 1
                             : X509_check_host(cert->get(), h.data(), h.size(),
                                               X509_CHECK_FLAG_NO_WILDCARDS, nullptr) == 1;
    if (!ok) return false;
  }
  return true;
}

Result<void> issue_leaf(const CertSpec& spec, const fs::path& cert_file, const fs::path& key_file,
                        X509* ca, EVP_PKEY* ca_key) {
  auto key = new_key(key_file);
  if (!key) return tl::unexpected(key.error());
  auto cert = make_cert(spec, key->get(), ca, ca_key, cert_file);
  if (!cert) return tl::unexpected(cert.error());
  // Key first: a start killed between the two renames leaves a certificate that does not
  // match its key, which the next start detects.
  if (auto r = write_key(key_file, key->get()); !r) return r;
  return write_cert(cert_file, cert->get());
}

std::vector<std::string> normalise_hosts(const std::vector<std::string>& hosts) {
  std::vector<std::string> out = {"127.0.0.1", "::1", "localhost"};
  for (std::string h : hosts) {
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (!is_ip(h))
      std::transform(h.begin(), h.end(), h.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!h.empty() && std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  return out;
}

std::string token_line(const std::string& token) {
  return token + "," + kAdminUser + "," + kAdminUser + ",\"" + kAdminGroup + "\"\n";
}

// The admin token from a token file this code wrote, or "" when it is missing or damaged.
std::string read_admin_token(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return {};
  const std::size_t comma = text->find(',');
  if (comma != 64) return {};
  const std::string token = text->substr(0, comma);
  if (!std::all_of(token.begin(), token.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return {};
  if (*text != token_line(token)) return {};
  return token;
}

}  // namespace

Result<PkiFiles> ensure_pki(const fs::path& dir, const std::vector<std::string>& hosts) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir, "cannot create directory: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return fail(dir, "cannot set mode 0700: " + ec.message());

  PkiFiles files;
  files.dir = dir;
  files.ca_cert = dir / "ca.crt";
  files.ca_key = dir / "ca.key";
  files.serving_cert = dir / "apiserver.crt";
  files.serving_key = dir / "apiserver.key";
  files.admin_cert = dir / "admin.crt";
  files.admin_key = dir / "admin.key";
  files.token_file = dir / "tokens.csv";
  const std::vector<std::string> all_hosts = normalise_hosts(hosts);

  // The CA: reused when both files parse, match and are fresh; otherwise everything is new.
  Pkey ca_key;
  Cert ca;
  {
    auto cert = load_cert(files.ca_cert);
    auto key = load_key(files.ca_key);
    ERR_clear_error();
    if (cert && key && X509_check_private_key(cert->get(), key->get()) == 1 &&
        X509_check_ca(cert->get()) >= 1 && fresh(cert->get())) {
      ca = std::move(*cert);
      ca_key = std::move(*key);
    }
    ERR_clear_error();
  }
  const bool new_ca = !ca;
  if (new_ca) {
    auto key = new_key(files.ca_key);
    if (!key) return tl::unexpected(key.error());
    CertSpec spec{"cairn-ca", {}, kCaDays, true, false, {}};
    auto cert = make_cert(spec, key->get(), nullptr, nullptr, files.ca_cert);
    if (!cert) return tl::unexpected(cert.error());
    if (auto r = write_key(files.ca_key, key->get()); !r) return tl::unexpected(r.error());
    if (auto r = write_cert(files.ca_cert, cert->get()); !r) return tl::unexpected(r.error());
    ca = std::move(*cert);
    ca_key = std::move(*key);
  }

  if (new_ca || !usable_leaf(files.serving_cert, files.serving_key, ca.get(), ca_key.get()) ||
      !covers_hosts(files.serving_cert, all_hosts)) {
    CertSpec spec{"cairn-apiserver", {}, kLeafDays, false, true, all_hosts};
    if (auto r = issue_leaf(spec, files.serving_cert, files.serving_key, ca.get(), ca_key.get());
        !r)
      return tl::unexpected(r.error());
  }
  if (new_ca || !usable_leaf(files.admin_cert, files.admin_key, ca.get(), ca_key.get())) {
    CertSpec spec{kAdminUser, {kAdminGroup}, kLeafDays, false, false, {}};
    if (auto r = issue_leaf(spec, files.admin_cert, files.admin_key, ca.get(), ca_key.get()); !r)
      return tl::unexpected(r.error());
  }

  files.admin_token = read_admin_token(files.token_file);
  if (files.admin_token.empty()) {
    auto token = random_hex(32);
    if (!token) return tl::unexpected(token.error());
    if (auto r = write_file_atomic(files.token_file, token_line(*token), 0600); !r)
      return tl::unexpected(r.error());
    files.admin_token = *token;
  }
  return files;
}

Result<void> write_kubeconfig(const fs::path& file, const std::string& server_url,
                              const PkiFiles* pki) {
  nlohmann::json cluster = {{"server", server_url}};
  nlohmann::json user = nlohmann::json::object();
  if (pki != nullptr) {
    auto ca = read_file(pki->ca_cert);
    if (!ca) return tl::unexpected(ca.error());
    auto cert = read_file(pki->admin_cert);
    if (!cert) return tl::unexpected(cert.error());
    auto key = read_file(pki->admin_key);
    if (!key) return tl::unexpected(key.error());
    cluster["certificate-authority-data"] = base64(*ca);
    user["client-certificate-data"] = base64(*cert);
    user["client-key-data"] = base64(*key);
  }
  // JSON is YAML: kubectl and every client library read it as a kubeconfig.
  const nlohmann::json config = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", "cairn"}, {"cluster", cluster}}}},
      {"users", {{{"name", "cairn-admin"}, {"user", user}}}},
      {"contexts",
       {{{"name", "cairn"}, {"context", {{"cluster", "cairn"}, {"user", "cairn-admin"}}}}}},
      {"current-context", "cairn"},
      {"preferences", nlohmann::json::object()},
  };
  if (file.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) return fail(file.parent_path(), "cannot create directory: " + ec.message());
  }
  return write_file_atomic(file, config.dump(2) + "\n", 0600);
}

}  // namespace cairn::apiserver
