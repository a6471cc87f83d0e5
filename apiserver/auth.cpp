#include "apiserver/auth.h"

#include <openssl/crypto.h>

#include <fstream>
#include <utility>

namespace cairn::apiserver {
namespace {

// Splits one CSV line as Go's encoding/csv does with TrimLeadingSpace (quoted fields with ""
// escapes; a quote inside an unquoted field or after a closing quote is an error).
Result<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  for (;;) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size())
          return error(StatusCode::kBadRequest, "extraneous or missing \" in quoted-field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',')
        return error(StatusCode::kBadRequest, "extraneous or missing \" in quoted-field");
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return error(StatusCode::kBadRequest, "bare \" in non-quoted-field");
        field.push_back(line[i++]);
      }
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

bool token_equals(std::string_view a, std::string_view b) {
  // CRYPTO_memcmp takes time independent of the contents; the length is not secret.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Authenticator> Authenticator::from_token_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(StatusCode::kInternal, "cannot read token file " + file.string());
  Authenticator out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim_space(line).empty() || line.front() == '#') continue;
    const std::string where = file.string() + ":" + std::to_string(number) + ": ";
    auto fields = split_csv(line);
    if (!fields) return error(StatusCode::kBadRequest, where + fields.error().message);
    if (fields->size() < 3)
      return error(StatusCode::kBadRequest,
                   where +
                       "token file must have at least 3 columns (token, user name, user "
                       "uid), found " +
                       std::to_string(fields->size()));
    const std::vector<std::string>& f = *fields;
    if (f[0].empty()) continue;
    Entry entry{f[0], UserInfo{f[1], f[2], {}}};
    if (f.size() >= 4) {
      std::string_view groups = f[3];
      while (!groups.empty()) {
        const std::size_t comma = groups.find(',');
        const std::string_view g = groups.substr(0, comma);
        if (!g.empty()) entry.user.groups.emplace_back(g);
        if (comma == std::string_view::npos) break;
        groups.remove_prefix(comma + 1);
      }
    }
    bool replaced = false;
    for (Entry& e : out.entries_) {
      if (e.token == entry.token) {
        e = entry;
        replaced = true;
      }
    }
    if (!replaced) out.entries_.push_back(std::move(entry));
  }
  if (in.bad()) return error(StatusCode::kInternal, "cannot read token file " + file.string());
  return out;
}

Result<std::optional<UserInfo>> Authenticator::authenticate(const HttpRequest& request) const {
  if (request.client_certificate) {
    return std::optional<UserInfo>(UserInfo{request.client_certificate->common_name, "",
                                            request.client_certificate->organizations});
  }
  const std::string_view auth = trim_space(request.header("authorization"));
  if (auth.empty()) return std::optional<UserInfo>();
  const std::size_t space = auth.find(' ');
  if (space == std::string_view::npos || !iequals_ascii(auth.substr(0, space), "bearer"))
    return std::optional<UserInfo>();
  std::string_view token = auth.substr(space + 1);
  // kube splits at single spaces: "Bearer  x" has an empty token, which counts as none.
  const std::size_t end = token.find(' ');
  if (end != std::string_view::npos) token = token.substr(0, end);
  if (token.empty()) return std::optional<UserInfo>();
  // Every entry is compared so that the time taken does not tell which token matched.
  const Entry* found = nullptr;
  for (const Entry& e : entries_)
    if (token_equals(e.token, token)) found = &e;
  if (found == nullptr) return error(StatusCode::kUnauthorized, "Unauthorized");
  return std::optional<UserInfo>(found->user);
}

}  // namespace cairn::apiserver
