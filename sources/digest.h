// SHA-256 digests (OpenSSL EVP) of byte strings and files, in lower-case hex: what the cache
// records for every asset and what feeds compare with published digests. Sha256 is a value type;
// thread-compatible.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "sources/error.h"

namespace cairn::sources {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  std::string hex();  // finishes; the object is then reset for reuse

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view bytes);
// Streams the file; kIo error if it cannot be read.
Result<std::string> sha256_file(const std::filesystem::path& path);
// "sha256:<64 hex>" → the hex part (lower-cased); "" if `digest` is not a sha256 digest.
std::string sha256_from_digest(std::string_view digest);

}  // namespace cairn::sources
