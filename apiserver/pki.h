// The API server's certificates, static token file and admin kubeconfig.
//
// ensure_pki() creates a small PKI on first start and reuses it later: a cluster CA, a serving
// certificate for the server's host names and addresses, an admin client certificate
// (CN=kubernetes-admin, O=system:masters) and a static token file holding an admin token.
// write_kubeconfig() writes a kubeconfig that kubectl and client libraries read.
// Plain functions over files; not safe to call concurrently for the same directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apiserver/status.h"

namespace cairn::apiserver {

struct PkiFiles {
  std::filesystem::path dir;
  std::filesystem::path ca_cert, ca_key;            // cluster CA (signs serving and client certs)
  std::filesystem::path serving_cert, serving_key;  // server certificate for `hosts`
  std::filesystem::path admin_cert, admin_key;      // client cert CN=kubernetes-admin,
                                                    // O=system:masters
  std::filesystem::path token_file;                 // static tokens: token,user,uid,"groups"
  std::string admin_token;  // the admin's bearer token (64 hex digits, random)
};

// Creates (first start) or loads (later starts) the PKI under `dir` (created if needed, mode 0700;
// keys and the token file mode 0600): ECDSA P-256 keys, CA valid 10 years, serving certificate
// valid 1 year with SANs for `hosts` (IP addresses as IP SANs, names as DNS SANs; always
// 127.0.0.1, ::1 and localhost), admin client certificate valid 1 year, token file with the
// admin token (user kubernetes-admin, group system:masters). A file that is missing, does not
// parse, does not match its key, is not signed by the CA or expires within 30 days is
// regenerated (all of them when the CA is); the serving certificate is also regenerated when
// `hosts` names one it lacks. Every file is written atomically (temp file + rename), so a set
// half-written by a killed earlier start is detected and repaired. Errors (Internal) name the
// file and the OpenSSL or system reason.
Result<PkiFiles> ensure_pki(const std::filesystem::path& dir,
                            const std::vector<std::string>& hosts);

// Writes an admin kubeconfig (cluster "cairn", user "cairn-admin", context "cairn",
// current-context "cairn") for `server_url`. With `pki`, the cluster carries the CA as
// certificate-authority-data and the user authenticates with the admin client certificate
// (client-certificate-data / client-key-data; kubectl sends one credential, and the
// certificate also works for clients that do not read tokens). Without `pki` (plain HTTP),
// neither. Atomic write, mode 0600.
Result<void> write_kubeconfig(const std::filesystem::path& file, const std::string& server_url,
                              const PkiFiles* pki);

}  // namespace cairn::apiserver
