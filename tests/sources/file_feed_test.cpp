// The local-directory feed (file:///DIR, the Go operator's local mode): release directories are
// listed in name order, copied byte for byte, and anything but regular files and directories in
// a release is refused with the entry's name.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>

#include "sources/detail/feeds.h"
#include "sources/digest.h"
#include "tests/common/files.h"
#include "tests/common/temp_dir.h"

namespace fs = std::filesystem;
using namespace cairn::sources;
using cairn::testing::read_file;
using cairn::testing::TempDir;

namespace {

// A file with mode 0755 when `executable`, else 0644.
void write_file(const fs::path& p, const std::string& text, bool executable = false) {
  cairn::testing::write_file(p, text);
  fs::permissions(p, executable ? fs::perms(0755) : fs::perms(0644));
}

std::unique_ptr<Feed> open(const fs::path& dir, FeedOptions options = {}) {
  auto url = FeedUrl::parse("file://" + dir.string());
  REQUIRE(url);
  auto feed = detail::open_file_feed(*url, std::move(options));
  REQUIRE(feed);
  return std::move(*feed);
}

// A release directory: metadata, an archive with every byte value, a chart directory, an
// executable file and a hidden file inside the chart.
std::map<std::string, std::string> make_release(const fs::path& dir) {
  std::string archive;
  for (int i = 0; i < 40'000; ++i) archive.push_back(static_cast<char>(i * 7 % 256));
  std::map<std::string, std::string> files = {
      {"metadata.yaml", "versions:\n  clusterStack: v1\n"},
      {"docker-demo-1-32-cluster-addon-v1.tgz", archive},
      {"docker-demo-1-32-cluster-class-v1/Chart.yaml", "name: docker-demo-1-32-cluster-class\n"},
      {"docker-demo-1-32-cluster-class-v1/.helmignore", "*.bak\n"},
      {"docker-demo-1-32-cluster-class-v1/templates/class.yaml", "kind: ClusterClass\n"},
      {"hack/build.sh", "#!/bin/sh\n"},
  };
  for (const auto& [name, content] : files)
    write_file(dir / name, content, name == "hack/build.sh");
  return files;
}

}  // namespace

TEST_CASE("file feed lists release directories in name order, without files or hidden ones") {
  TempDir root("cairn-file-feed");
  fs::create_directories(root / "docker-demo-1-32-v2");
  fs::create_directories(root / "docker-demo-1-32-v10");
  fs::create_directories(root / "docker-demo-1-32-v1");
  fs::create_directories(root / ".helm/cache");
  write_file(root / "notes.txt", "not a release\n");
  auto feed = open(root.path());

  auto first = feed->list();
  REQUIRE(first);
  CHECK_FALSE(first->not_modified);
  CHECK(first->tags == std::vector<std::string>{"docker-demo-1-32-v1", "docker-demo-1-32-v10",
                                                "docker-demo-1-32-v2"});
  auto second = feed->list();
  REQUIRE(second);
  CHECK(second->not_modified);
  CHECK(second->tags == first->tags);

  fs::create_directories(root / "docker-demo-1-32-v3");
  auto third = feed->list();
  REQUIRE(third);
  CHECK_FALSE(third->not_modified);
  CHECK(third->tags.size() == 4);
  CHECK(third->tags.back() == "docker-demo-1-32-v3");
  CHECK(feed->stats().requests == 3);
  CHECK(feed->stats().not_modified == 1);
}

TEST_CASE("file feed reports a directory that does not exist as NotFound") {
  TempDir root("cairn-file-feed");
  auto feed = open(root / "absent");
  auto r = feed->list();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(r.error().message, Catch::Contains((root / "absent").string()));
}

TEST_CASE("file feed copies a release directory byte for byte with modes and subdirectories") {
  TempDir root("cairn-file-feed");
  const auto files = make_release(root / "docker-demo-1-32-v1");
  TempDir out("cairn-file-out");
  auto feed = open(root.path());

  auto r = feed->fetch("docker-demo-1-32-v1", out.path());
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
  REQUIRE(r->size() == files.size());
  std::uint64_t total = 0;
  for (const auto& f : *r) {
    INFO(f.name);
    const auto it = files.find(f.name);
    REQUIRE(it != files.end());
    CHECK(read_file(out / f.name) == it->second);
    CHECK(f.size == it->second.size());
    CHECK(f.sha256 == sha256_hex(it->second));
    total += f.size;
  }
  std::size_t written = 0;
  for (const auto& e : fs::recursive_directory_iterator(out.path())) {
    CHECK_FALSE(e.is_symlink());
    if (e.is_regular_file()) ++written;
  }
  CHECK(written == files.size());
  CHECK(fs::is_directory(out / "docker-demo-1-32-cluster-class-v1/templates"));
  CHECK((fs::status(out / "hack/build.sh").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK((fs::status(out / "metadata.yaml").permissions() & fs::perms::owner_exec) ==
        fs::perms::none);
  CHECK(feed->stats().downloads == files.size());
  CHECK(feed->stats().bytes == total);
}

TEST_CASE("file feed refuses symbolic links and FIFOs inside a release, naming the entry") {
  TempDir root("cairn-file-feed");
  SECTION("a symbolic link to a file") {
    make_release(root / "docker-demo-1-32-v1");
    fs::create_symlink("/etc/passwd", root / "docker-demo-1-32-v1/hack/passwd");
  }
  SECTION("a symbolic link to a directory") {
    make_release(root / "docker-demo-1-32-v1");
    fs::create_directory_symlink("/etc", root / "docker-demo-1-32-v1/hack/passwd");
  }
  SECTION("a FIFO") {
    make_release(root / "docker-demo-1-32-v1");
    REQUIRE(::mkfifo((root / "docker-demo-1-32-v1/hack/passwd").c_str(), 0644) == 0);
  }
  TempDir out("cairn-file-out");
  auto feed = open(root.path());
  auto r = feed->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kInvalidRelease);
  CHECK_THAT(r.error().message,
             Catch::Contains("hack/passwd") && Catch::Contains("file://" + root.path().string()));
  CHECK_FALSE(fs::exists(fs::symlink_status(out / "hack/passwd")));
}

TEST_CASE("file feed reports a missing release with where releases are expected") {
  TempDir root("cairn-file-feed");
  make_release(root / "docker-demo-1-32-v1");
  TempDir out("cairn-file-out");
  auto feed = open(root.path());
  auto r = feed->fetch("docker-demo-1-32-v2", out.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(r.error().message,
             Catch::Contains((root / "docker-demo-1-32-v2/metadata.yaml").string()));

  for (const std::string bad : {"", "..", ".hidden", "docker-demo-1-32-v1/hack"}) {
    INFO(bad);
    auto b = feed->fetch(bad, out.path());
    REQUIRE_FALSE(b);
    CHECK(b.error().kind == ErrorKind::kNotFound);
  }
  CHECK(fs::is_empty(out.path()));
}

TEST_CASE("file feed refuses a file above max_file_bytes") {
  TempDir root("cairn-file-feed");
  make_release(root / "docker-demo-1-32-v1");
  TempDir out("cairn-file-out");
  FeedOptions options;
  options.max_file_bytes = 10'000;
  auto feed = open(root.path(), options);
  auto r = feed->fetch("docker-demo-1-32-v1", out.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kTooLarge);
  CHECK_THAT(r.error().message, Catch::Contains("docker-demo-1-32-cluster-addon-v1.tgz"));
}
