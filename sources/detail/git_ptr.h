// Owning pointers for libgit2 objects (each freed with its git_*_free), shared by the Git feed
// and `cairn up --demo`, which writes a local Git feed. Header-only; include <git2.h> users only.
#pragma once

#include <git2.h>

#include <memory>

namespace cairn::sources::detail {

template <class T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
using GitRemotePtr = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using GitRepoPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using GitObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using GitTreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using GitEntryPtr =
    std::unique_ptr<git_tree_entry, GitFree<git_tree_entry, git_tree_entry_free>>;
using GitBlobPtr = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;
using GitRefPtr = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;
using GitOdbPtr = std::unique_ptr<git_odb, GitFree<git_odb, git_odb_free>>;
using GitCommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using GitBuilderPtr =
    std::unique_ptr<git_treebuilder, GitFree<git_treebuilder, git_treebuilder_free>>;
using GitSignaturePtr =
    std::unique_ptr<git_signature, GitFree<git_signature, git_signature_free>>;

}  // namespace cairn::sources::detail
