// Fuzz target: cluster stack versions, Kubernetes versions, release tags, class names and chart
// asset names. Whatever parses must print back to the same text, and convert between the dot and
// dash forms without loss.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/release_tag.h"
#include "api/version.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace cairn::api;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  if (auto v = Version::parse_dot(text)) {
    check(v->dot() == text);
    auto back = Version::parse_dash(v->dash());
    check(back && *back == *v);
    check(compare(*v, *v) == std::partial_ordering::equivalent);
  }
  if (auto v = Version::parse_dash(text)) {
    check(v->dash() == text);
    auto back = Version::parse_dot(v->dot());
    check(back && *back == *v);
  }
  if (auto k = KubernetesVersion::parse(text)) {
    check(k->dot() == text);
    check(KubernetesVersion::parse_tag_part(k->dash()).value() == *k);
  }
  if (auto k = KubernetesPatchVersion::parse(text)) {
    check(KubernetesPatchVersion::parse(k->str()).value() == *k);
  }
  if (auto t = ReleaseTag::parse(text)) {
    check(t->tag() == text);
    check(ReleaseTag::parse_cluster_class(t->cluster_class()).value() == *t);
    check(ChartAsset::parse(t->cluster_class_asset()).value().version == t->version);
  }
  if (auto t = ReleaseTag::parse_cluster_class(text)) {
    check(t->cluster_class() == text);
  }
  if (auto a = ChartAsset::parse(text)) {
    check(a->file_name() == text);
  }
  // Ordering is antisymmetric on any two versions the input splits into.
  const std::size_t mid = text.find(' ');
  if (mid != std::string_view::npos) {
    auto a = Version::parse_dot(text.substr(0, mid));
    auto b = Version::parse_dot(text.substr(mid + 1));
    if (a && b) {
      const auto ab = compare(*a, *b);
      const auto ba = compare(*b, *a);
      check((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0) &&
            (ab == std::partial_ordering::unordered) == (ba == std::partial_ordering::unordered));
    }
  }
  return 0;
}
