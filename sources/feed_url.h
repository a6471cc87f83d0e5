// FeedUrl: where the releases of cluster stacks are published, named by one URL (the same URLs
// appear in `ClusterStack.spec.source.url`, in `cairn releases` and in manager flags).
//
//   github://ORG/REPO[?api=https://ghe.example/api/v3]     GitHub Releases (REST API)
//   git+https://HOST/PATH[?path=DIR]                       tags of a Git repository (libgit2)
//   git+ssh://[USER@]HOST/PATH[?path=DIR]
//   git+file:///ABS/PATH[?path=DIR]
//   git://HOST[:PORT]/PATH[?path=DIR]                      (git daemon; unauthenticated)
//   oci://REGISTRY[:PORT]/REPOSITORY[?insecure=true]       OCI distribution v2 (ORAS artifacts)
//   file:///ABS/DIR                                        DIR/<tag>/ per release (local mode)
//
// URLs never carry credentials: `user:password@` in a URL is rejected with a message that names
// the environment variables and the Secret to use instead (the one exception is the SSH user of
// git+ssh, which is no secret). `insecure=true` (plain HTTP) is accepted for OCI registries on
// loopback and for explicit opt-in. Plain values; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "sources/error.h"

namespace cairn::sources {

enum class FeedKind { kGitHub, kGit, kOci, kFile };

std::string_view feed_kind_name(FeedKind kind);  // "github", "git", "oci", "file"

struct FeedUrl {
  FeedKind kind = FeedKind::kFile;
  // github: organisation and repository; api_base without trailing '/'
  // (default https://api.github.com).
  std::string org, repo, api_base;
  // git: the remote as libgit2 takes it ("https://...", "ssh://...", "file:///...", "git://...");
  // path: the directory inside the tagged tree that holds the release files ("" = root).
  std::string remote, path;
  // oci: registry host[:port] and repository path; plain_http for ?insecure=true.
  std::string registry, repository;
  bool plain_http = false;
  // file: the absolute directory.
  std::string dir;

  static Result<FeedUrl> parse(std::string_view url);
  // The canonical spelling (parse(str()) == *this); safe to log.
  std::string str() const;
  // A short stable identifier for file names (sha256 of str(), first 16 hex digits).
  std::string key() const;

  friend bool operator==(const FeedUrl&, const FeedUrl&) = default;
};

}  // namespace cairn::sources
