// Authentication of API requests: static bearer tokens and verified client certificates.
//
// An Authenticator maps an HttpRequest to the user it speaks for, as kube-apiserver's
// token-auth-file and x509 authenticators do. Authorisation (what the user may do) is not its
// business. Immutable after construction; safe to use from many threads at once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/http.h"
#include "apiserver/status.h"

namespace cairn::apiserver {

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
};

class Authenticator {
 public:
  // Loads a static token file in kube's CSV format: one `token,user,uid,"group1,group2"` record
  // per line (groups optional; further columns ignored; leading spaces of fields trimmed);
  // blank lines and lines starting with '#' are ignored. As in kube, a record with an empty
  // token is skipped and a repeated token takes the later record. A record with fewer than
  // three columns or broken quoting gives BadRequest naming file:line; an unreadable file
  // gives Internal naming the file.
  static Result<Authenticator> from_token_file(const std::filesystem::path& file);

  Authenticator() = default;  // no tokens: only client certificates authenticate

  // The user a request authenticates as, trying kube's authenticators in kube's order: a
  // verified client certificate (user = CN, groups = O values), then a bearer token
  // (`Authorization: Bearer <t>`, scheme matched case-insensitively) that the token file
  // knows. nullopt when the request carries no credentials (an Authorization header of another
  // scheme, or an empty bearer token, counts as none, as in kube). A bearer token the file does
  // not know gives Unauthorized ("Unauthorized", HTTP 401). Tokens are compared in constant
  // time.
  Result<std::optional<UserInfo>> authenticate(const HttpRequest& request) const;

 private:
  struct Entry {
    std::string token;
    UserInfo user;
  };
  std::vector<Entry> entries_;
};

}  // namespace cairn::apiserver
