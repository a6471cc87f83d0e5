// Sprig's encodings, hashes and password functions (sprig strings.go and
// crypto.go): b64enc b64dec b32enc b32dec sha1sum sha256sum sha512sum
// adler32sum bcrypt htpasswd derivePassword encryptAES decryptAES randBytes.
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>

#include "render/detail/sprigx_common.h"

namespace cairn::render::detail {
namespace {

constexpr std::string_view kB64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr unsigned char kInvalid = 0xff;

std::array<unsigned char, 256> decode_map(std::string_view alphabet) {
  std::array<unsigned char, 256> map{};
  map.fill(kInvalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    map[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
  return map;
}

Error corrupt(std::string_view encoding, std::size_t offset) {
  return Error{"illegal " + std::string(encoding) + " data at input byte " +
               std::to_string(offset)};
}

bool is_newline(char c) { return c == '\n' || c == '\r'; }

// One 4-character quantum of Go's base64 decodeQuantum, starting at `si`.
// Appends the decoded bytes; returns the next index or a CorruptInputError.
// Sets `done` when padding ended the input.
Result<std::size_t> b64_quantum(std::string_view src, std::size_t si, std::string& out,
                                bool& done) {
  static const auto map = decode_map(kB64Alphabet);
  std::array<unsigned char, 4> buf{};
  std::size_t len = 4;
  for (std::size_t j = 0; j < 4; ++j) {
    if (si == src.size()) {
      if (j == 0) {
        done = true;
        return si;
      }
      return make_error(corrupt("base64", si - j).message);
    }
    const char in = src[si++];
    const unsigned char v = map[static_cast<unsigned char>(in)];
    if (v != kInvalid) {
      buf[j] = v;
      continue;
    }
    if (is_newline(in)) {
      --j;
      continue;
    }
    if (in != '=' || j < 2) return make_error(corrupt("base64", si - 1).message);
    if (j == 2) {  // a second '=' must follow, newlines aside
      while (si < src.size() && is_newline(src[si])) ++si;
      if (si == src.size()) return make_error(corrupt("base64", src.size()).message);
      if (src[si] != '=') return make_error(corrupt("base64", si - 1).message);
      ++si;
    }
    while (si < src.size() && is_newline(src[si])) ++si;
    if (si < src.size()) return make_error(corrupt("base64", si).message);
    len = j;
    done = true;
    break;
  }
  const std::uint32_t val = (std::uint32_t{buf[0]} << 18) | (std::uint32_t{buf[1]} << 12) |
                            (std::uint32_t{buf[2]} << 6) | buf[3];
  const char bytes[3] = {static_cast<char>(val >> 16), static_cast<char>(val >> 8),
                         static_cast<char>(val)};
  out.append(bytes, len - 1);
  return si;
}

// Go's base32 decode on input with newlines already stripped.
Result<std::string> b32_decode_stripped(std::string_view src) {
  static const auto map = decode_map(kB32Alphabet);
  const std::size_t olen = src.size();
  std::string out;
  bool end = false;
  while (!src.empty() && !end) {
    std::array<unsigned char, 8> buf{};
    std::size_t len = 8;
    for (std::size_t j = 0; j < 8;) {
      if (src.empty()) return make_error(corrupt("base32", olen - j).message);
      const char in = src.front();
      src.remove_prefix(1);
      if (in == '=' && j >= 2 && src.size() < 8) {
        if (src.size() + j < 7) return make_error(corrupt("base32", olen).message);
        for (std::size_t k = 0; k < 7 - j; ++k) {
          if (src.size() > k && src[k] != '=') {
            return make_error(corrupt("base32", olen - src.size() + k - 1).message);
          }
        }
        len = j;
        end = true;
        if (len == 1 || len == 3 || len == 6) {
          return make_error(corrupt("base32", olen - src.size() - 1).message);
        }
        break;
      }
      buf[j] = map[static_cast<unsigned char>(in)];
      if (buf[j] == kInvalid) return make_error(corrupt("base32", olen - src.size() - 1).message);
      ++j;
    }
    std::array<char, 5> bytes{};
    bytes[0] = static_cast<char>(buf[0] << 3 | buf[1] >> 2);
    bytes[1] = static_cast<char>(buf[1] << 6 | buf[2] << 1 | buf[3] >> 4);
    bytes[2] = static_cast<char>(buf[3] << 4 | buf[4] >> 1);
    bytes[3] = static_cast<char>(buf[4] << 7 | buf[5] << 2 | buf[6] >> 3);
    bytes[4] = static_cast<char>(buf[6] << 5 | buf[7]);
    static constexpr std::size_t kBytesFor[9] = {0, 0, 1, 0, 2, 3, 0, 4, 5};
    out.append(bytes.data(), kBytesFor[len]);
  }
  return out;
}

// Hex digest of `input` with an OpenSSL message digest.
Result<Value> hex_digest(const EVP_MD* md, const std::string& input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, md, nullptr) != 1) {
    return make_error("digest computation failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return Value(std::move(out));
}

// hash/adler32.Checksum.
std::uint32_t adler32(std::string_view data) {
  constexpr std::uint32_t kMod = 65521;
  std::uint32_t a = 1, b = 0;
  for (char c : data) {
    a = (a + static_cast<unsigned char>(c)) % kMod;
    b = (b + a) % kMod;
  }
  return (b << 16) | a;
}

// x/crypto/bcrypt GenerateFromPassword with DefaultCost 10, "$2a$" prefix.
// Like Go's (Debian) bcrypt, only the first 72 bytes of the password count.
Result<std::string> bcrypt_hash(const std::string& password) {
  unsigned char salt_bytes[16];
  if (auto r = sprigx_random_bytes(salt_bytes, sizeof salt_bytes); !r) {
    return make_error(r.error().message);
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2a$", 10, reinterpret_cast<const char*>(salt_bytes),
                       sizeof salt_bytes, setting, sizeof setting) == nullptr) {
    return make_error("bcrypt: cannot generate salt");
  }
  // crypt_r reads a NUL-terminated password: Go's bcrypt hashes NUL bytes too,
  // which libxcrypt cannot, so such passwords are refused rather than hashed wrong.
  if (password.find('\0') != std::string::npos) {
    return make_error("bcrypt: password contains a NUL byte");
  }
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const std::string truncated = password.substr(0, 72);
  const char* hash = crypt_r(truncated.c_str(), setting, data.get());
  if (hash == nullptr || hash[0] == '*') return make_error("bcrypt: hashing failed");
  return std::string(hash);
}

Result<Value> bcrypt_func(CallContext&, std::vector<Value>& args) {
  auto hash = bcrypt_hash(args[0].as_string());
  if (!hash) return Value("failed to encrypt string with bcrypt: " + hash.error().message);
  return Value(std::move(*hash));
}

Result<Value> htpasswd_func(CallContext&, std::vector<Value>& args) {
  const std::string& user = args[0].as_string();
  if (user.find(':') != std::string::npos) return Value("invalid username: " + user);
  auto hash = bcrypt_hash(args[1].as_string());
  std::string h = hash ? *hash : "failed to encrypt string with bcrypt: " + hash.error().message;
  return Value(user + ":" + h);
}

// ---------------------------------------------------------- derivePassword

// The templates and character classes of the Master Password algorithm as
// sprig defines them.
const std::map<std::string, std::vector<std::string>, std::less<>>& password_templates() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> kTemplates = {
      {"maximum", {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"}},
      {"long",
       {"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
        "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
        "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
        "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
        "CvccCvcvCvccno"}},
      {"medium", {"CvcnoCvc", "CvcCvcno"}},
      {"short", {"Cvcn"}},
      {"basic", {"aaanaaan", "aannaaan", "aaannaaa"}},
      {"pin", {"nnnn"}},
  };
  return kTemplates;
}

std::string_view template_chars(char c) {
  switch (c) {
    case 'V': return "AEIOU";
    case 'C': return "BCDFGHJKLMNPQRSTVWXYZ";
    case 'v': return "aeiou";
    case 'c': return "bcdfghjklmnpqrstvwxyz";
    case 'A': return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
    case 'a': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    case 'n': return "0123456789";
    case 'o': return "@&%?,=[]_:-+*$#!'^~;()/.";
    case 'x': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
    default: return "";
  }
}

void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// derivePassword(counter uint32, ...). Go converts an integer constant to
// uint32 by truncation and refuses negative ones.
Result<std::uint32_t> counter_arg(const Value& v) {
  if (!v.is_int()) {
    return make_error("wrong type for value; expected uint32; got " + v.type_name());
  }
  if (!v.is_unsigned() && v.as_int() < 0) {
    return make_error("expected unsigned integer; found " + std::to_string(v.as_int()));
  }
  return static_cast<std::uint32_t>(v.as_uint());
}

Result<Value> derive_password_func(CallContext&, std::vector<Value>& args) {
  auto counter = counter_arg(args[0]);
  if (!counter) return tl::unexpected(counter.error());
  const std::string& type = args[1].as_string();
  const std::string& password = args[2].as_string();
  const std::string& user = args[3].as_string();
  const std::string& site = args[4].as_string();
  const auto& templates = password_templates();
  auto it = templates.find(type);
  if (it == templates.end()) return Value("cannot find password template " + type);

  constexpr std::string_view kSeed = "com.lyndir.masterpassword";
  std::string salt(kSeed);
  append_be32(salt, static_cast<std::uint32_t>(user.size()));
  salt += user;
  unsigned char key[64];
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), 32768, 8,
                     2, 256u << 20, key, sizeof key) != 1) {
    return Value(std::string("failed to derive password: scrypt failed"));
  }
  std::string message(kSeed);
  append_be32(message, static_cast<std::uint32_t>(site.size()));
  message += site;
  append_be32(message, *counter);
  unsigned char seed[EVP_MAX_MD_SIZE];
  unsigned int seed_len = 0;
  if (HMAC(EVP_sha256(), key, sizeof key, reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), seed, &seed_len) == nullptr) {
    return make_error("derivePassword: HMAC failed");
  }
  const std::string& tmpl = it->second[seed[0] % it->second.size()];
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    std::string_view chars = template_chars(tmpl[i]);
    out.push_back(chars[seed[i + 1] % chars.size()]);
  }
  return Value(std::move(out));
}

// ---------------------------------------------------------- AES

// sprig's key: the password's bytes zero-padded (or truncated) to 32 bytes.
std::array<unsigned char, 32> aes_key(const std::string& password) {
  std::array<unsigned char, 32> key{};
  std::memcpy(key.data(), password.data(), std::min(password.size(), key.size()));
  return key;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Raw AES-256-CBC over whole blocks (padding is handled by the caller, as sprig does).
Result<std::string> aes_cbc(bool encrypt, const std::array<unsigned char, 32>& key,
                            const unsigned char* iv, std::string_view in) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv,
                                encrypt ? 1 : 0) != 1) {
    return make_error("crypto/aes: cipher initialisation failed");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::string out(in.size() + 16, '\0');
  int len = 0, tail = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), dst + len, &tail) != 1) {
    return make_error("crypto/aes: cipher operation failed");
  }
  out.resize(static_cast<std::size_t>(len + tail));
  return out;
}

// Output: base64(IV || AES-256-CBC(PKCS#7-padded plaintext)); "" stays "".
Result<Value> encrypt_aes_func(CallContext& ctx, std::vector<Value>& args) {
  const std::string& plaintext = args[1].as_string();
  if (plaintext.empty()) return Value("");
  if (plaintext.size() > ctx.limits().max_output_bytes) {
    return make_error("encryptAES: input exceeds the output size limit");
  }
  const std::size_t padding = 16 - plaintext.size() % 16;
  std::string content = plaintext + std::string(padding, static_cast<char>(padding));
  unsigned char iv[16];
  if (auto r = sprigx_random_bytes(iv, sizeof iv); !r) return tl::unexpected(r.error());
  auto cipher = aes_cbc(true, aes_key(args[0].as_string()), iv, content);
  if (!cipher) return tl::unexpected(cipher.error());
  return Value(sprigx_base64_encode(std::string(reinterpret_cast<char*>(iv), 16) + *cipher));
}

// The inverse of encryptAES; malformed input fails with the runtime error Go
// panics with (sprig does not validate the padding).
Result<Value> decrypt_aes_func(CallContext&, std::vector<Value>& args) {
  const std::string& text = args[1].as_string();
  if (text.empty()) return Value("");
  auto crypt = sprigx_base64_decode(text);
  if (!crypt) return tl::unexpected(crypt.error());
  if (crypt->size() < 16) {
    return make_error("runtime error: slice bounds out of range [:16] with capacity " +
                      std::to_string(text.size() / 4 * 3));
  }
  std::string_view body = std::string_view(*crypt).substr(16);
  if (body.size() % 16 != 0) return make_error("crypto/cipher: input not full blocks");
  if (body.empty()) return make_error("runtime error: index out of range [-1]");
  auto plain = aes_cbc(false, aes_key(args[0].as_string()),
                       reinterpret_cast<const unsigned char*>(crypt->data()), body);
  if (!plain) return tl::unexpected(plain.error());
  const std::size_t pad = static_cast<unsigned char>(plain->back());
  if (pad > plain->size()) {
    return make_error("runtime error: slice bounds out of range [:" +
                      std::to_string(static_cast<long long>(plain->size()) -
                                     static_cast<long long>(pad)) +
                      "]");
  }
  plain->resize(plain->size() - pad);
  return Value(std::move(*plain));
}

Result<Value> rand_bytes_func(CallContext& ctx, std::vector<Value>& args) {
  const std::int64_t count = args[0].as_int();
  if (count < 0) return make_error("runtime error: makeslice: len out of range");
  if (static_cast<std::uint64_t>(count) > ctx.limits().max_output_bytes) {
    return make_error("randBytes: " + std::to_string(count) + " bytes exceed the output limit");
  }
  std::string buf(static_cast<std::size_t>(count), '\0');
  auto r = sprigx_random_bytes(reinterpret_cast<unsigned char*>(buf.data()), buf.size());
  if (!r) return tl::unexpected(r.error());
  return Value(sprigx_base64_encode(buf));
}

}  // namespace

std::string sprigx_base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                            static_cast<unsigned char>(data[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kB64Alphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kB64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> sprigx_base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::size_t si = 0;
  bool done = false;
  while (si < text.size() && !done) {
    auto next = b64_quantum(text, si, out, done);
    if (!next) return tl::unexpected(next.error());
    si = *next;
  }
  return out;
}

std::string sprigx_base32_encode(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 5) {
    const std::size_t n = std::min<std::size_t>(5, data.size() - i);
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < 5; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
    }
    static constexpr std::size_t kCharsFor[6] = {0, 2, 4, 5, 7, 8};
    for (std::size_t k = 0; k < 8; ++k) {
      out.push_back(k < kCharsFor[n] ? kB32Alphabet[(v >> (35 - 5 * k)) & 31] : '=');
    }
  }
  return out;
}

Result<std::string> sprigx_base32_decode(std::string_view text) {
  std::string stripped;
  stripped.reserve(text.size());
  for (char c : text) {
    if (!is_newline(c)) stripped.push_back(c);
  }
  return b32_decode_stripped(stripped);
}

void add_sprigx_encoding_funcs(FuncMap& funcs) {
  using P = Param;
  sprigx_define(funcs, "b64enc", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return Result<Value>(Value(sprigx_base64_encode(a[0].as_string())));
  });
  // sprig returns the decoding error's text as the result.
  sprigx_define(funcs, "b64dec", {P::String}, [](CallContext&, std::vector<Value>& a) {
    auto r = sprigx_base64_decode(a[0].as_string());
    return Result<Value>(Value(r ? std::move(*r) : r.error().message));
  });
  sprigx_define(funcs, "b32enc", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return Result<Value>(Value(sprigx_base32_encode(a[0].as_string())));
  });
  sprigx_define(funcs, "b32dec", {P::String}, [](CallContext&, std::vector<Value>& a) {
    auto r = sprigx_base32_decode(a[0].as_string());
    return Result<Value>(Value(r ? std::move(*r) : r.error().message));
  });
  sprigx_define(funcs, "sha1sum", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return hex_digest(EVP_sha1(), a[0].as_string());
  });
  sprigx_define(funcs, "sha256sum", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return hex_digest(EVP_sha256(), a[0].as_string());
  });
  sprigx_define(funcs, "sha512sum", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return hex_digest(EVP_sha512(), a[0].as_string());
  });
  sprigx_define(funcs, "adler32sum", {P::String}, [](CallContext&, std::vector<Value>& a) {
    return Result<Value>(Value(std::to_string(adler32(a[0].as_string()))));
  });
  sprigx_define(funcs, "bcrypt", {P::String}, bcrypt_func);
  sprigx_define(funcs, "htpasswd", {P::String, P::String}, htpasswd_func);
  sprigx_define(funcs, "derivePassword", {P::Any, P::String, P::String, P::String, P::String},
                derive_password_func);
  sprigx_define(funcs, "encryptAES", {P::String, P::String}, encrypt_aes_func);
  sprigx_define(funcs, "decryptAES", {P::String, P::String}, decrypt_aes_func);
  sprigx_define(funcs, "randBytes", {P::Int}, rand_bytes_func);
}

}  // namespace cairn::render::detail
