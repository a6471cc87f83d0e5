// Safe extraction (extract.h): valid archives round-trip with normalised modes; each hostile
// archive is refused with its reason, nothing appears outside the destination, and the
// destination is removed. The hostile archives are written by the test (archive_writer.h).
#include "sources/extract.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/common/temp_dir.h"
#include "tests/common/files.h"
#include "tests/sources/archive_writer.h"

using namespace cairn::sources;
using cairn::testing::ArchiveWriter;
using cairn::testing::read_file;
using cairn::testing::TempDir;
namespace fs = std::filesystem;

namespace {

using Compression = ArchiveWriter::Compression;

// Everything below `root` as "path type [content]" lines, links not followed: two snapshots are
// equal iff nothing was added, removed, retyped or rewritten.
std::vector<std::string> snapshot(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const auto type = it->symlink_status().type();
    std::string line = fs::relative(it->path(), root).string();
    if (type == fs::file_type::directory) {
      line += " dir";
    } else if (type == fs::file_type::regular) {
      line += " file " + read_file(it->path());
    } else {
      line += " other";
    }
    out.push_back(std::move(line));
  }
  std::sort(out.begin(), out.end());
  return out;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Where a hostile archive is unpacked: `parent/dest`, next to `parent/outside/` which holds a
// sentinel file that escaping entries would aim at. Archives are written to a separate dir.
struct Sandbox {
  TempDir parent{"cairn-extract"};
  TempDir work{"cairn-archives"};

  Sandbox() {
    fs::create_directory(outside());
    std::ofstream(outside() / "sentinel") << "untouched";
  }
  fs::path dest() const { return parent.path() / "dest"; }
  fs::path outside() const { return parent.path() / "outside"; }
};

// Writes the archive `build` describes, extracts it (from the file, and separately from memory)
// and requires both to fail without leaving anything behind. Returns the file variant's error.
template <class Build>
Error refused(Build build, const ExtractLimits& limits = {},
              Compression compression = Compression::kGzip) {
  Sandbox box;
  const fs::path file = box.work / "hostile.tgz";
  {
    ArchiveWriter w(file, compression);
    build(w, box);
    w.close();
  }
  const auto before = snapshot(box.parent.path());
  auto from_file = extract_archive(file, box.dest(), "hostile.tgz", limits);
  REQUIRE_FALSE(from_file);
  CHECK_FALSE(fs::exists(fs::symlink_status(box.dest())));
  CHECK(snapshot(box.parent.path()) == before);

  auto from_memory = extract_archive_memory(read_file(file), box.dest(), "hostile.tgz", limits);
  REQUIRE_FALSE(from_memory);
  CHECK(from_memory.error().kind == from_file.error().kind);
  CHECK_FALSE(fs::exists(fs::symlink_status(box.dest())));
  CHECK(snapshot(box.parent.path()) == before);
  return from_file.error();
}

// The same for an archive given as bytes (corrupt or truncated input).
Error refused_bytes(const std::string& bytes, const ExtractLimits& limits = {}) {
  Sandbox box;
  const auto before = snapshot(box.parent.path());
  auto r = extract_archive_memory(bytes, box.dest(), "broken.tgz", limits);
  REQUIRE_FALSE(r);
  CHECK_FALSE(fs::exists(fs::symlink_status(box.dest())));
  CHECK(snapshot(box.parent.path()) == before);
  return r.error();
}

// Bytes that do not compress: a deterministic pseudo-random stream.
std::string noise(std::size_t size) {
  std::string out(size, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

std::string archive_bytes(Compression compression,
                          const std::function<void(ArchiveWriter&)>& build) {
  std::string bytes;
  ArchiveWriter w(&bytes, compression);
  build(w);
  w.close();
  return bytes;
}

}  // namespace

TEST_CASE("a valid tar.gz round-trips with contents and normalised modes") {
  TempDir tmp;
  const fs::path file = tmp / "chart.tgz";
  const std::string big = noise(3 << 20);  // past the ratio floor, but incompressible
  {
    ArchiveWriter w(file);
    w.dir("./");
    w.dir("chart", 0700);
    w.file("chart/Chart.yaml", "name: demo\nversion: v1\n", 0600);
    w.file("chart/bin/run.sh", "#!/bin/sh\necho hi\n", 0750);
    w.file("chart/setuid", "x", 04755);
    w.file("./chart/templates/empty.yaml", "");
    w.file("chart/caf\xc3\xa9.txt", "utf-8 name");
    w.file("implicit/deep/file.txt", big);
    w.close();
  }
  const fs::path dest = tmp / "out";
  auto entries = extract_archive(file, dest, "chart.tgz");
  REQUIRE(entries);
  REQUIRE(entries->size() == 7);
  CHECK((*entries)[0].path == "chart");
  CHECK((*entries)[0].directory);
  CHECK((*entries)[1].path == "chart/Chart.yaml");
  CHECK_FALSE((*entries)[1].directory);
  CHECK((*entries)[1].size == 23);
  CHECK((*entries)[4].path == "chart/templates/empty.yaml");
  CHECK((*entries)[4].size == 0);
  CHECK((*entries)[5].path == "chart/caf\xc3\xa9.txt");
  CHECK((*entries)[6].path == "implicit/deep/file.txt");
  CHECK((*entries)[6].size == big.size());

  CHECK(read_file(dest / "chart/Chart.yaml") == "name: demo\nversion: v1\n");
  CHECK(read_file(dest / "chart/bin/run.sh") == "#!/bin/sh\necho hi\n");
  CHECK(read_file(dest / "chart/templates/empty.yaml").empty());
  CHECK(read_file(dest / "chart/caf\xc3\xa9.txt") == "utf-8 name");
  CHECK(read_file(dest / "implicit/deep/file.txt") == big);
  CHECK(mode_of(dest) == 0755);
  CHECK(mode_of(dest / "chart") == 0755);
  CHECK(mode_of(dest / "chart/Chart.yaml") == 0644);
  CHECK(mode_of(dest / "chart/bin") == 0755);
  CHECK(mode_of(dest / "chart/bin/run.sh") == 0755);
  CHECK(mode_of(dest / "chart/setuid") == 0755);  // never setuid
  CHECK(mode_of(dest / "implicit") == 0755);
  CHECK(mode_of(dest / "implicit/deep") == 0755);
  CHECK(mode_of(dest / "implicit/deep/file.txt") == 0644);
}

TEST_CASE("an uncompressed tar round-trips, from a file and from memory") {
  TempDir tmp;
  const std::string bytes = archive_bytes(Compression::kNone, [](ArchiveWriter& w) {
    w.file("a.yaml", "a: 1\n");
    w.file("sub/b.yaml", "b: 2\n", 0755);
    w.zeros("zeros.bin", 2 << 20);  // 2 MiB that a plain tar holds at ratio 1: no bomb
  });
  std::ofstream(tmp / "plain.tar", std::ios::binary) << bytes;
  for (const bool memory : {false, true}) {
    const fs::path dest = tmp / (memory ? "from-memory" : "from-file");
    auto entries = memory ? extract_archive_memory(bytes, dest, "plain.tar")
                          : extract_archive(tmp / "plain.tar", dest, "plain.tar");
    REQUIRE(entries);
    CHECK(entries->size() == 3);
    CHECK(read_file(dest / "a.yaml") == "a: 1\n");
    CHECK(read_file(dest / "sub/b.yaml") == "b: 2\n");
    CHECK(mode_of(dest / "sub/b.yaml") == 0755);
    CHECK(fs::file_size(dest / "zeros.bin") == (2u << 20));
  }
}

TEST_CASE("a real Helm chart package from the fixtures extracts completely") {
  const fs::path package = fs::path(CAIRN_SHARED_DIR) /
                           "fixtures/charts/public/addon-docker-metrics-server/chart/charts/"
                           "metrics-server-3.12.2.tgz";
  REQUIRE(fs::exists(package));
  TempDir tmp;
  auto entries = extract_archive(package, tmp / "out", "metrics-server-3.12.2.tgz");
  REQUIRE(entries);
  CHECK(entries->size() > 10);
  for (const auto& e : *entries) {
    CHECK(e.path.rfind("metrics-server/", 0) == 0);
    if (!e.directory) CHECK(fs::file_size(tmp / "out" / e.path) == e.size);
  }
  const std::string chart = read_file(tmp / "out/metrics-server/Chart.yaml");
  CHECK(chart.find("name: metrics-server") != std::string::npos);
  CHECK(chart.find("version: 3.12.2") != std::string::npos);
  CHECK(fs::is_directory(tmp / "out/metrics-server/templates"));
}

TEST_CASE("an absolute entry path is refused") {
  const Error e = refused([](ArchiveWriter& w, const Sandbox& box) {
    w.file("ok.yaml", "fine");
    w.file((box.outside() / "abs").string(), "escaped");
  });
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK_THAT(e.message, Catch::Matches(R"(archive "hostile\.tgz": entry "/.*/outside/abs": )"
                                       R"(absolute path)"));
}

TEST_CASE("a .. component is refused as escaping the destination") {
  const Error e =
      refused([](ArchiveWriter& w, const Sandbox&) { w.file("../outside/evil", "escaped"); });
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK(e.message ==
        R"(archive "hostile.tgz": entry "../outside/evil": path escapes the destination)");

  const Error inner = refused([](ArchiveWriter& w, const Sandbox&) {
    w.dir("a");
    w.file("a/b/../../../outside/sentinel", "overwritten");
  });
  CHECK(inner.message == R"(archive "hostile.tgz": entry "a/b/../../../outside/sentinel": )"
                         R"(path escapes the destination)");
}

TEST_CASE("a symbolic link entry is refused, also when a file would be written through it") {
  const Error link = refused(
      [](ArchiveWriter& w, const Sandbox& box) { w.symlink("link", box.outside().string()); });
  CHECK(link.kind == ErrorKind::kHostileArchive);
  CHECK_THAT(link.message, Catch::Matches(R"(archive "hostile\.tgz": entry "link": symbolic )"
                                          R"(link \(to "/.*/outside"\) is not allowed)"));

  const Error through = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("before.yaml", "fine");
    w.symlink("up", "../outside");
    w.file("up/evil", "escaped");
  });
  CHECK(through.message ==
        R"(archive "hostile.tgz": entry "up": symbolic link (to "../outside") is not allowed)");
}

TEST_CASE("a hard link entry is refused") {
  const Error inside = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("a", "data");
    w.hardlink("b", "a");
  });
  CHECK(inside.kind == ErrorKind::kHostileArchive);
  CHECK(inside.message == R"(archive "hostile.tgz": entry "b": hard link (to "a") is not allowed)");

  const Error outside = refused([](ArchiveWriter& w, const Sandbox& box) {
    w.hardlink("sentinel-copy", (box.outside() / "sentinel").string());
    w.file("sentinel-copy", "overwritten");
  });
  CHECK_THAT(outside.message, Catch::Contains(R"(entry "sentinel-copy": hard link (to ")") &&
                                  Catch::Contains(R"(/outside/sentinel") is not allowed)"));
}

TEST_CASE("device nodes and FIFOs are refused") {
  const Error chr = refused([](ArchiveWriter& w, const Sandbox&) { w.special("null", AE_IFCHR); });
  CHECK(chr.kind == ErrorKind::kHostileArchive);
  CHECK(chr.message == R"(archive "hostile.tgz": entry "null": device node is not allowed)");
  const Error blk = refused([](ArchiveWriter& w, const Sandbox&) { w.special("sda", AE_IFBLK); });
  CHECK(blk.message == R"(archive "hostile.tgz": entry "sda": device node is not allowed)");
  const Error fifo = refused([](ArchiveWriter& w, const Sandbox&) { w.special("pipe", AE_IFIFO); });
  CHECK(fifo.message == R"(archive "hostile.tgz": entry "pipe": FIFO is not allowed)");
}

TEST_CASE("a decompression bomb is refused once its ratio exceeds the limit") {
  // 200 MiB of zeros gzip to about 200 KiB; the writer streams them. The size limits would let
  // the file through: only the ratio stops it, long before 200 MiB are written.
  const Error e = refused([](ArchiveWriter& w, const Sandbox&) { w.zeros("zeros", 200u << 20); });
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK_THAT(e.message, Catch::StartsWith(R"(archive "hostile.tgz": entry "zeros": unpacks to )") &&
                            Catch::EndsWith("compressed bytes, a ratio over 200 (a decompression "
                                            "bomb; limit max_ratio)"));

  // A lower limit stops a smaller bomb behind an ordinary entry.
  ExtractLimits strict;
  strict.max_ratio = 5;
  const Error low = refused(
      [](ArchiveWriter& w, const Sandbox&) {
        w.file("small", "fine");
        w.zeros("zeros", 8u << 20);
      },
      strict);
  CHECK_THAT(low.message, Catch::Contains("a ratio over 5 (a decompression bomb"));
}

TEST_CASE("more entries than max_entries are refused") {
  ExtractLimits limits;
  limits.max_entries = 5;
  const Error e = refused(
      [](ArchiveWriter& w, const Sandbox&) {
        for (int i = 0; i < 6; ++i) w.file("f" + std::to_string(i), "x");
      },
      limits);
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK(e.message ==
        R"(archive "hostile.tgz": entry "f5": more than 5 entries (limit max_entries))");
}

TEST_CASE("a file over max_file_bytes and an archive over max_total_bytes are refused") {
  ExtractLimits limits;
  limits.max_file_bytes = 1000;
  limits.max_total_bytes = 1500;
  const Error file = refused(
      [](ArchiveWriter& w, const Sandbox&) { w.file("big", std::string(1001, 'x')); }, limits);
  CHECK(file.kind == ErrorKind::kHostileArchive);
  CHECK(
      file.message ==
      R"(archive "hostile.tgz": entry "big": file larger than 1000 bytes (limit max_file_bytes))");

  const Error total = refused(
      [](ArchiveWriter& w, const Sandbox&) {
        w.file("a", std::string(1000, 'x'));
        w.file("b", std::string(1000, 'y'));
      },
      limits);
  CHECK(total.message == R"(archive "hostile.tgz": entry "b": archive unpacks to more than 1500 )"
                         R"(bytes (limit max_total_bytes))");
}

TEST_CASE("duplicate and conflicting entries are refused") {
  const Error twice = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("values.yaml", "first");
    w.file("values.yaml", "second");
  });
  CHECK(twice.kind == ErrorKind::kHostileArchive);
  CHECK(twice.message == R"(archive "hostile.tgz": entry "values.yaml": duplicate entry)");

  const Error spelled = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("a/values.yaml", "first");
    w.file("./a//values.yaml", "second");
  });
  CHECK(spelled.message == R"(archive "hostile.tgz": entry "./a//values.yaml": duplicate entry)");

  const Error through_file = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("a", "a file");
    w.file("a/b", "under a file");
  });
  CHECK(through_file.message == R"(archive "hostile.tgz": entry "a/b": goes through "a", )"
                                "which an earlier entry made a file");

  const Error over_dir = refused([](ArchiveWriter& w, const Sandbox&) {
    w.file("a/b", "x");
    w.file("a", "a file where a directory is");
  });
  CHECK(over_dir.message ==
        R"(archive "hostile.tgz": entry "a": conflicts with a directory of an earlier entry)");
}

TEST_CASE("overlong paths are refused and entry names are escaped in messages") {
  const std::string longname(1100, 'n');
  const Error e = refused([&](ArchiveWriter& w, const Sandbox&) { w.file(longname, "x"); });
  CHECK_THAT(e.message,
             Catch::EndsWith(R"(...": path longer than 1024 bytes (limit max_path_bytes))"));

  const Error nl = refused([](ArchiveWriter& w, const Sandbox&) { w.file("../a\nb\"c", "x"); });
  CHECK(nl.message ==
        R"(archive "hostile.tgz": entry "../a\x0ab\"c": path escapes the destination)");
  // Bytes past ASCII too: messages stay valid UTF-8 whatever the archive holds.
  const Error high =
      refused([](ArchiveWriter& w, const Sandbox&) { w.file("/caf\xc3\xa9\xff", "x"); });
  CHECK(high.message == R"(archive "hostile.tgz": entry "/caf\xc3\xa9\xff": absolute path)");
}

TEST_CASE("corrupt gzip data is refused") {
  std::string bytes = archive_bytes(Compression::kGzip,
                                    [](ArchiveWriter& w) { w.file("a.yaml", noise(64 << 10)); });
  // Right after the 10-byte gzip header: a deflate block of the reserved type 3.
  REQUIRE(bytes.size() > 64);
  for (std::size_t i = 10; i < 42; ++i) bytes[i] = '\xff';
  const Error e = refused_bytes(bytes);
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK(e.message ==
        "archive \"broken.tgz\": corrupt, truncated or not a tar/tar.gz archive: "
        "gzip decompression failed");
}

TEST_CASE("a damaged tar header is refused") {
  std::string bytes =
      archive_bytes(Compression::kNone, [](ArchiveWriter& w) { w.file("a.yaml", "a: 1\n"); });
  bytes[0] = 'X';  // the name field, so the header checksum no longer matches
  const Error e = refused_bytes(bytes);
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK(e.message ==
        "archive \"broken.tgz\": corrupt, truncated or not a tar/tar.gz archive: "
        "Unrecognized archive format");
}

TEST_CASE("truncated archives are refused, compressed or not") {
  const std::string data = noise(300 << 10);
  for (const auto compression : {Compression::kGzip, Compression::kNone}) {
    const std::string bytes = archive_bytes(compression, [&](ArchiveWriter& w) {
      w.file("first.yaml", "a: 1\n");
      w.file("payload.bin", data);
    });
    const Error e = refused_bytes(bytes.substr(0, bytes.size() / 2));
    CHECK(e.kind == ErrorKind::kHostileArchive);
    CHECK(e.message == std::string(R"(archive "broken.tgz": entry "payload.bin": )") +
                           "corrupt or truncated archive: " +
                           (compression == Compression::kGzip ? "truncated gzip input"
                                                              : "Truncated tar archive"));
  }
}

TEST_CASE("bytes that are no tar archive are refused") {
  const Error e = refused_bytes("this is not an archive, only some text\n");
  CHECK(e.kind == ErrorKind::kHostileArchive);
  CHECK(e.message ==
        "archive \"broken.tgz\": corrupt, truncated or not a tar/tar.gz archive: "
        "Unrecognized archive format");
}

TEST_CASE("an existing destination is left alone; a missing archive or parent is reported") {
  TempDir tmp;
  const std::string bytes =
      archive_bytes(Compression::kGzip, [](ArchiveWriter& w) { w.file("a", "x"); });
  fs::create_directory(tmp / "taken");
  std::ofstream(tmp / "taken/keep") << "mine";
  auto taken = extract_archive_memory(bytes, tmp / "taken", "a.tgz");
  REQUIRE_FALSE(taken);
  CHECK(taken.error().kind == ErrorKind::kIo);
  CHECK_THAT(taken.error().message, Catch::Contains("already exists"));
  CHECK(read_file(tmp / "taken/keep") == "mine");

  auto orphan = extract_archive_memory(bytes, tmp / "no/such/dir", "a.tgz");
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error().kind == ErrorKind::kIo);
  CHECK_FALSE(fs::exists(tmp / "no"));

  auto missing = extract_archive(tmp / "absent.tgz", tmp / "out", "absent.tgz");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(missing.error().message, Catch::StartsWith(R"(archive "absent.tgz": cannot open )"));
  CHECK_FALSE(fs::exists(tmp / "out"));
}

// Hand-made tar streams (headers libarchive's writer would not produce), gzipped.
template <class Build>
Error refused_raw(Build build) {
  Sandbox box;
  const fs::path file = box.work / "raw.tgz";
  {
    ArchiveWriter w(file, ArchiveWriter::Raw{});
    build(w);
    w.zero_bytes(1024);  // end of archive
    w.close();
  }
  const auto before = snapshot(box.parent.path());
  auto r = extract_archive(file, box.dest(), "raw.tgz");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::kHostileArchive);
  CHECK_FALSE(fs::exists(fs::symlink_status(box.dest())));
  CHECK(snapshot(box.parent.path()) == before);
  return r.error();
}

TEST_CASE("directory entries carrying data are refused, the archive root too") {
  using cairn::testing::ustar_header;
  // GNU dumpdir entries ('D') keep their data, which libarchive would decompress only to skip
  // it: here 8 MiB of zeros behind the archive root "./". (Plain directories ('5') have their
  // size ignored by libarchive.)
  const Error root = refused_raw([](ArchiveWriter& w) {
    w.bytes(ustar_header("./", 'D', 8u << 20));
    w.zero_bytes(8u << 20);
  });
  CHECK(root.message == R"(archive "raw.tgz": entry "./": directory entry carries data)");
  const Error dumpdir = refused_raw([](ArchiveWriter& w) {
    w.bytes(ustar_header("dir/", 'D', 512));
    w.zero_bytes(512);
  });
  CHECK(dumpdir.message == R"(archive "raw.tgz": entry "dir/": directory entry carries data)");
}

TEST_CASE("oversized pax headers and unsupported entry types are refused") {
  using cairn::testing::ustar_header;
  const Error pax = refused_raw([](ArchiveWriter& w) {
    w.bytes(ustar_header("PaxHeader", 'x', 4u << 20));
    w.zero_bytes(4u << 20);
  });
  CHECK(pax.message ==
        R"(archive "raw.tgz": corrupt or truncated archive: Special header too large)");
  const Error multivolume = refused_raw([](ArchiveWriter& w) {
    w.bytes(ustar_header("part", 'M', 512));
    w.zero_bytes(512);
  });
  CHECK(multivolume.message == R"(archive "raw.tgz": entry "part": unsupported entry type)");
}
