// The demo feed of `cairn up --demo` (demo_feed.h): releases of the example stack written into a
// local Git repository with libgit2, and the objects that subscribe to it.
#include "cmd/cairn/demo_feed.h"

#include <git2.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <system_error>

#include "api/release_tag.h"
#include "sources/detail/git_ptr.h"
#include "sources/release.h"

#ifndef CAIRN_EXAMPLES_DIR
#define CAIRN_EXAMPLES_DIR ""
#endif

namespace cairn::cmd {
namespace {

namespace fs = std::filesystem;
using sources::ErrorKind;
using sources::make_error;
using sources::Result;

constexpr std::uint64_t kMaxExampleFileBytes = 4u << 20;
constexpr int kMaxExampleDepth = 16;

using RepoPtr = sources::detail::GitRepoPtr;
using ObjectPtr = sources::detail::GitObjectPtr;
using TreePtr = sources::detail::GitTreePtr;
using CommitPtr = sources::detail::GitCommitPtr;
using RefPtr = sources::detail::GitRefPtr;
using BuilderPtr = sources::detail::GitBuilderPtr;
using SignaturePtr = sources::detail::GitSignaturePtr;

// libgit2 is reference counted; this holds one reference for the duration of a call.
class GitLibrary {
 public:
  GitLibrary() { git_libgit2_init(); }
  ~GitLibrary() { git_libgit2_shutdown(); }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

tl::unexpected<sources::Error> git_failure(const fs::path& repo, const std::string& what) {
  const git_error* e = git_error_last();
  return make_error(ErrorKind::kIo, "demo feed " + repo.string() + ": " + what + ": " +
                                        (e != nullptr && e->message != nullptr
                                             ? std::string(e->message)
                                             : std::string("unknown libgit2 error")));
}

// A directory tree held in memory: the release is composed from parts of the example before it
// is written as Git trees.
struct Node {
  struct File {
    std::string content;
    bool executable = false;
  };
  std::map<std::string, File> files;
  std::map<std::string, Node> dirs;
};

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return make_error(ErrorKind::kIo, path.string() + ": " + ec.message());
  if (size > kMaxExampleFileBytes) {
    return make_error(ErrorKind::kTooLarge, path.string() + ": larger than 4 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) return make_error(ErrorKind::kIo, path.string() + ": cannot read");
  return out.str();
}

// Reads `dir` recursively: regular files and directories only (a chart has nothing else).
Result<Node> read_tree(const fs::path& dir, int depth = 0) {
  if (depth > kMaxExampleDepth) {
    return make_error(ErrorKind::kInvalidRelease, dir.string() + ": nested too deeply");
  }
  Node node;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    const auto status = it->symlink_status(ec);
    if (ec) break;
    const std::string name = path.filename().string();
    if (fs::is_directory(status)) {
      auto child = read_tree(path, depth + 1);
      if (!child) return child;
      node.dirs.emplace(name, std::move(*child));
    } else if (fs::is_regular_file(status)) {
      auto content = read_file(path);
      if (!content) return tl::unexpected(content.error());
      const bool executable = (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
      node.files.emplace(name, Node::File{std::move(*content), executable});
    } else {
      return make_error(ErrorKind::kInvalidRelease,
                        path.string() +
                            ": not a regular file or directory; the demo copies "
                            "charts and refuses links and special files");
    }
  }
  if (ec) return make_error(ErrorKind::kIo, dir.string() + ": " + ec.message());
  return node;
}

// Writes `node` as a tree (subtrees first); empty directories are left out, as Git does.
Result<std::optional<git_oid>> write_tree(git_repository* repo, const fs::path& repo_dir,
                                          const Node& node) {
  git_treebuilder* raw = nullptr;
  if (git_treebuilder_new(&raw, repo, nullptr) < 0) return git_failure(repo_dir, "tree builder");
  BuilderPtr builder(raw);
  for (const auto& [name, file] : node.files) {
    git_oid blob;
    if (git_blob_create_from_buffer(&blob, repo, file.content.data(), file.content.size()) < 0) {
      return git_failure(repo_dir, "write blob " + name);
    }
    const git_filemode_t mode = file.executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
    if (git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &blob, mode) < 0) {
      return git_failure(repo_dir, "tree entry " + name);
    }
  }
  for (const auto& [name, child] : node.dirs) {
    auto subtree = write_tree(repo, repo_dir, child);
    if (!subtree) return subtree;
    if (!*subtree) continue;
    if (git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &**subtree,
                               GIT_FILEMODE_TREE) < 0) {
      return git_failure(repo_dir, "tree entry " + name);
    }
  }
  if (git_treebuilder_entrycount(builder.get()) == 0) return std::optional<git_oid>();
  git_oid tree;
  if (git_treebuilder_write(&tree, builder.get()) < 0) return git_failure(repo_dir, "write tree");
  return std::optional<git_oid>(tree);
}

// Replaces the top-level `version:` of a Chart.yaml.
Result<std::string> with_chart_version(const std::string& chart_yaml, const std::string& version,
                                       const fs::path& path) {
  std::istringstream in(chart_yaml);
  std::ostringstream out;
  std::string line;
  bool replaced = false;
  while (std::getline(in, line)) {
    if (!replaced && line.rfind("version:", 0) == 0) {
      line = "version: " + version;
      replaced = true;
    }
    out << line << '\n';
  }
  if (!replaced) {
    return make_error(ErrorKind::kInvalidRelease,
                      path.string() + ": no top-level version: line to set to " + version);
  }
  return out.str();
}

std::string metadata_yaml(const sources::ReleaseMetadata& m, const api::Version& version) {
  std::ostringstream out;
  out << "apiVersion: "
      << (m.api_version.empty() ? "metadata.clusterstack.x-k8s.io/v1alpha1" : m.api_version)
      << "\nversions:\n  clusterStack: " << version.dot()
      << "\n  kubernetes: " << m.kubernetes.str()
      << "\n  components:\n    clusterAddon: " << m.cluster_addon.dot() << "\n";
  if (m.node_image) out << "    nodeImage: " << m.node_image->dot() << "\n";
  return out.str();
}

std::string without_tgz(std::string name) {
  constexpr std::string_view kSuffix = ".tgz";
  if (name.size() > kSuffix.size() &&
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    name.resize(name.size() - kSuffix.size());
  }
  return name;
}

// The parts of the example that every release shares.
struct Example {
  sources::ReleaseMetadata metadata;
  Node cluster_class;
  Node cluster_addon;
  std::string addon_values;
};

Result<Example> read_example(const fs::path& dir) {
  Example e;
  auto metadata_text = read_file(dir / "metadata.yaml");
  if (!metadata_text) return tl::unexpected(metadata_text.error());
  auto metadata = sources::parse_metadata(*metadata_text);
  if (!metadata) {
    return tl::unexpected(sources::with_context(metadata.error(), dir.string() + ": "));
  }
  e.metadata = std::move(*metadata);
  for (const char* part : {"cluster-class", "cluster-addon"}) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / part / "Chart.yaml", ec)) {
      return make_error(ErrorKind::kNotFound,
                        (dir / part).string() + ": no chart (Chart.yaml) there; is " +
                            dir.string() + " the " + kDemoStack + " example?");
    }
  }
  auto cluster_class = read_tree(dir / "cluster-class");
  if (!cluster_class) return tl::unexpected(cluster_class.error());
  e.cluster_class = std::move(*cluster_class);
  auto cluster_addon = read_tree(dir / "cluster-addon");
  if (!cluster_addon) return tl::unexpected(cluster_addon.error());
  e.cluster_addon = std::move(*cluster_addon);
  auto values = read_file(dir / "cluster-addon-values.yaml");
  if (!values) return tl::unexpected(values.error());
  e.addon_values = std::move(*values);
  return e;
}

// The tree of release `tag`.
Result<Node> release_tree(const Example& example, const api::ReleaseTag& tag,
                          const fs::path& example_dir) {
  Node root;
  root.files["metadata.yaml"] = {metadata_yaml(example.metadata, tag.version), false};
  root.files["cluster-addon-values.yaml"] = {example.addon_values, false};
  Node cluster_class = example.cluster_class;
  auto chart = with_chart_version(cluster_class.files["Chart.yaml"].content, tag.version.dot(),
                                  example_dir / "cluster-class" / "Chart.yaml");
  if (!chart) return tl::unexpected(chart.error());
  cluster_class.files["Chart.yaml"].content = std::move(*chart);
  root.dirs[without_tgz(tag.cluster_class_asset())] = std::move(cluster_class);
  root.dirs[without_tgz(tag.cluster_addon_asset(example.metadata.cluster_addon))] =
      example.cluster_addon;
  return root;
}

Result<RepoPtr> open_or_init(const fs::path& repo_dir) {
  git_repository* raw = nullptr;
  std::error_code ec;
  // An empty directory (made by hand, or by a run killed before `git init` finished) becomes
  // the repository; anything else must already be one.
  if (fs::exists(repo_dir, ec) && !fs::is_empty(repo_dir, ec)) {
    if (git_repository_open_ext(&raw, repo_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) <
        0) {
      const git_error* e = git_error_last();
      return make_error(ErrorKind::kConfig,
                        "demo feed " + repo_dir.string() + " exists and is not a Git repository (" +
                            (e != nullptr && e->message != nullptr ? e->message : "") +
                            "); remove it to have it recreated");
    }
    return RepoPtr(raw);
  }
  git_repository_init_options options;
  if (git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0) {
    return git_failure(repo_dir, "init options");
  }
  options.flags = GIT_REPOSITORY_INIT_MKPATH;
  options.initial_head = "main";
  options.description = "Releases of the docker-demo-1-32 example cluster stack (cairn up --demo)";
  if (git_repository_init_ext(&raw, repo_dir.c_str(), &options) < 0) {
    return git_failure(repo_dir, "create the repository");
  }
  return RepoPtr(raw);
}

bool has_tag(git_repository* repo, const std::string& tag) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, ("refs/tags/" + tag).c_str()) < 0) return false;
  git_reference_free(raw);
  return true;
}

// Commits `tree` on top of HEAD (none when unborn), moves HEAD's branch to it and tags it.
Result<void> commit_release(git_repository* repo, const fs::path& repo_dir, const git_oid& tree_id,
                            const std::string& tag) {
  git_tree* tree_raw = nullptr;
  if (git_tree_lookup(&tree_raw, repo, &tree_id) < 0) return git_failure(repo_dir, "read tree");
  TreePtr tree(tree_raw);

  CommitPtr parent;
  git_oid head;
  if (git_reference_name_to_id(&head, repo, "HEAD") == 0) {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo, &head) < 0) return git_failure(repo_dir, "read HEAD");
    parent.reset(raw);
  }
  git_signature* sig_raw = nullptr;
  if (git_signature_now(&sig_raw, "cairn up --demo", "cairn@localhost") < 0) {
    return git_failure(repo_dir, "signature");
  }
  SignaturePtr sig(sig_raw);
  const std::string message =
      "Release " + tag + "\n\nWritten by `cairn up --demo` from the " + kDemoStack + " example.\n";
  const git_commit* parents[] = {parent.get()};
  git_oid commit_id;
  if (git_commit_create(&commit_id, repo, "HEAD", sig.get(), sig.get(), nullptr, message.c_str(),
                        tree.get(), parent ? 1 : 0, parent ? parents : nullptr) < 0) {
    return git_failure(repo_dir, "commit " + tag);
  }
  git_object* commit_raw = nullptr;
  if (git_object_lookup(&commit_raw, repo, &commit_id, GIT_OBJECT_COMMIT) < 0) {
    return git_failure(repo_dir, "read commit " + tag);
  }
  ObjectPtr commit(commit_raw);
  git_oid tag_id;
  if (git_tag_create_lightweight(&tag_id, repo, tag.c_str(), commit.get(), 0) < 0) {
    return git_failure(repo_dir, "tag " + tag);
  }
  return {};
}

// Brings the working tree and index to HEAD, so that the repository reads like one a user made.
Result<void> check_out_head(git_repository* repo, const fs::path& repo_dir) {
  if (git_repository_is_bare(repo)) return {};
  git_checkout_options options;
  if (git_checkout_options_init(&options, GIT_CHECKOUT_OPTIONS_VERSION) < 0) {
    return git_failure(repo_dir, "checkout options");
  }
  options.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_head(repo, &options) < 0) return git_failure(repo_dir, "check out HEAD");
  return {};
}

}  // namespace

Result<DemoFeed> ensure_demo_feed(const fs::path& repo_dir, const fs::path& example_dir) {
  std::error_code ec;
  const fs::path repo_path = fs::absolute(repo_dir, ec).lexically_normal();
  if (ec) return make_error(ErrorKind::kIo, repo_dir.string() + ": " + ec.message());
  auto url = sources::FeedUrl::parse("git+file://" + repo_path.string());
  if (!url) return tl::unexpected(url.error());

  DemoFeed feed;
  feed.url = *url;
  std::vector<api::ReleaseTag> tags;
  for (const std::string& version : demo_versions()) {
    auto tag = api::ReleaseTag::parse(std::string(kDemoStack) + "-" + version);
    if (!tag) return make_error(ErrorKind::kConfig, tag.error().message);
    feed.tags.push_back(tag->tag());
    tags.push_back(std::move(*tag));
  }

  GitLibrary git;
  auto repo = open_or_init(repo_path);
  if (!repo) return tl::unexpected(repo.error());
  std::optional<Example> example;
  for (const api::ReleaseTag& tag : tags) {
    if (has_tag(repo->get(), tag.tag())) continue;
    if (!example) {
      auto read = read_example(example_dir);
      if (!read) return tl::unexpected(read.error());
      example = std::move(*read);
    }
    auto tree = release_tree(*example, tag, example_dir);
    if (!tree) return tl::unexpected(tree.error());
    auto tree_id = write_tree(repo->get(), repo_path, *tree);
    if (!tree_id) return tl::unexpected(tree_id.error());
    if (!*tree_id) return make_error(ErrorKind::kInvalidRelease, "empty release " + tag.tag());
    if (auto ok = commit_release(repo->get(), repo_path, **tree_id, tag.tag()); !ok) {
      return tl::unexpected(ok.error());
    }
    feed.created.push_back(tag.tag());
  }
  if (!feed.created.empty()) {
    if (auto ok = check_out_head(repo->get(), repo_path); !ok) return tl::unexpected(ok.error());
  }
  return feed;
}

Result<fs::path> find_demo_example(const fs::path& explicit_dir) {
  const fs::path stack_in_root = fs::path("cluster-stacks") / kDemoStack;
  auto is_stack = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "metadata.yaml", ec) &&
           fs::is_directory(dir / "cluster-class", ec);
  };
  if (!explicit_dir.empty()) {
    if (is_stack(explicit_dir)) return explicit_dir;
    if (is_stack(explicit_dir / stack_in_root)) return explicit_dir / stack_in_root;
    return make_error(ErrorKind::kNotFound, "--demo-source: " + explicit_dir.string() +
                                                " holds neither the " + kDemoStack +
                                                " example (metadata.yaml, cluster-class/) nor " +
                                                stack_in_root.string());
  }
  std::vector<fs::path> roots;
  if (std::string_view(CAIRN_EXAMPLES_DIR).size() > 0) roots.emplace_back(CAIRN_EXAMPLES_DIR);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path().parent_path() / "share" / "cairn" / "examples");
  roots.emplace_back("/usr/share/cairn/examples");
  std::string searched;
  for (const fs::path& root : roots) {
    if (is_stack(root / stack_in_root)) return root / stack_in_root;
    searched += (searched.empty() ? "" : ", ") + (root / stack_in_root).string();
  }
  return make_error(ErrorKind::kNotFound, std::string("the ") + kDemoStack +
                                              " example was not found (searched " + searched +
                                              "); name it with --demo-source DIR");
}

std::vector<nlohmann::json> demo_objects(const sources::FeedUrl& feed) {
  using nlohmann::json;
  const json labels = {{"app.kubernetes.io/managed-by", "cairn"},
                       {"app.kubernetes.io/part-of", "cairn-demo"}};
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", kDemoNamespace}, {"labels", labels}}}};
  json stack = {{"apiVersion", "clusterstack.x-k8s.io/v1alpha1"},
                {"kind", "ClusterStack"},
                {"metadata",
                 {{"name", kDemoClusterStack}, {"namespace", kDemoNamespace}, {"labels", labels}}},
                {"spec",
                 {{"provider", "docker"},
                  {"name", "demo"},
                  {"kubernetesVersion", "1.32"},
                  {"channel", "stable"},
                  {"autoSubscribe", true},
                  {"noProvider", true},
                  {"versions", json::array({demo_versions().front()})},
                  {"source", {{"url", feed.str()}, {"interval", kDemoInterval}}}}}};
  return {std::move(ns), std::move(stack)};
}

}  // namespace cairn::cmd
