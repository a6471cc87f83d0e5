#include "apiserver/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cairn::apiserver {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// The first malformed escape in `text`, as Go's url.EscapeError prints it.
std::string bad_escape(std::string_view text) {
  std::size_t pos = text.find('%');
  while (pos != std::string_view::npos) {
    if (pos + 2 >= text.size() || hex_value(text[pos + 1]) < 0 || hex_value(text[pos + 2]) < 0) {
      return std::string(text.substr(pos, std::min<std::size_t>(3, text.size() - pos)));
    }
    pos = text.find('%', pos + 3);
  }
  return "%";
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// ------------------------------------------------------------------ QueryParams

Result<QueryParams> QueryParams::parse(std::string_view query) {
  QueryParams q;
  if (query.empty()) return q;
  for (std::string_view pair : split(query, '&')) {
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto key = percent_decode(raw_key, true);
    if (!key)
      return error(StatusCode::kBadRequest, "invalid URL escape \"" + bad_escape(raw_key) + "\"");
    auto value = percent_decode(raw_value, true);
    if (!value) {
      return error(StatusCode::kBadRequest, "invalid URL escape \"" + bad_escape(raw_value) + "\"");
    }
    q.entries_.emplace_back(std::move(*key), std::move(*value));
  }
  return q;
}

bool QueryParams::has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& e) { return e.first == key; });
}

std::optional<std::string> QueryParams::get(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return v;
  return std::nullopt;
}

std::vector<std::string> QueryParams::get_all(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_)
    if (k == key) out.push_back(v);
  return out;
}

Result<bool> QueryParams::get_bool(std::string_view key, bool fallback) const {
  auto v = get(key);
  if (!v || v->empty()) return fallback;
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (std::string_view t : kTrue)
    if (*v == t) return true;
  for (std::string_view f : kFalse)
    if (*v == f) return false;
  return error(StatusCode::kBadRequest, "invalid value for query parameter \"" + std::string(key) +
                                            "\": strconv.ParseBool: parsing \"" + *v +
                                            "\": invalid syntax");
}

Result<std::optional<std::int64_t>> QueryParams::get_int(std::string_view key) const {
  auto v = get(key);
  if (!v || v->empty()) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  const char* begin = v->data();
  const char* end = v->data() + v->size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || ptr != end || begin == end) {
    return error(StatusCode::kBadRequest,
                 "invalid value for query parameter \"" + std::string(key) +
                     "\": strconv.ParseInt: parsing \"" + *v + "\": invalid syntax");
  }
  return std::optional<std::int64_t>{n};
}

// ------------------------------------------------------------------ RequestInfo

std::vector<std::string> path_segment_name_errors(std::string_view name) {
  std::vector<std::string> out;
  if (name == "." || name == "..") {
    out.push_back("may not be '" + std::string(name) + "'");
    return out;
  }
  if (name.find('/') != std::string_view::npos) out.push_back("may not contain '/'");
  if (name.find('%') != std::string_view::npos) out.push_back("may not contain '%'");
  return out;
}

namespace {

Result<void> check_segment_name(const std::string& name) {
  auto errs = path_segment_name_errors(name);
  if (errs.empty()) return {};
  std::string joined;
  for (const auto& e : errs) joined += (joined.empty() ? "" : ";") + e;
  nlohmann::json quoted = name;
  return error(StatusCode::kBadRequest,
               "Name parameter invalid: " +
                   quoted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ": " +
                   joined);
}

std::string verb_for_method(std::string_view method) {
  if (method == "GET" || method == "HEAD") return "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

}  // namespace

Result<RequestInfo> parse_request_info(std::string_view method, std::string_view path,
                                       const QueryParams& query) {
  RequestInfo info;
  auto decoded_path = percent_decode(path, false);
  if (!decoded_path) {
    return error(StatusCode::kBadRequest, "invalid URL escape \"" + bad_escape(path) + "\"");
  }
  info.path = *decoded_path;
  info.verb = lower(method);

  // Segments are decoded one by one so that an escaped '/' stays inside its segment.
  std::string_view trimmed = path;
  while (!trimmed.empty() && trimmed.front() == '/') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  std::vector<std::string> parts;
  if (!trimmed.empty()) {
    for (std::string_view raw : split(trimmed, '/')) {
      auto seg = percent_decode(raw, false);
      if (!seg)
        return error(StatusCode::kBadRequest, "invalid URL escape \"" + bad_escape(raw) + "\"");
      parts.push_back(std::move(*seg));
    }
  }
  if (!parts.empty() && (parts[0] == "api" || parts[0] == "apis")) info.api_prefix = parts[0];
  std::size_t min_parts = parts.empty() || parts[0] != "apis" ? 3 : 4;
  if (info.api_prefix.empty() || parts.size() < min_parts) {
    if (parts.size() >= 2 && !info.api_prefix.empty()) {
      if (info.api_prefix == "api") {
        info.version = parts[1];
      } else {
        info.group = parts[1];
        if (parts.size() >= 3) info.version = parts[2];
      }
    }
    return info;
  }
  info.is_resource_request = true;
  std::size_t i = 1;
  if (info.api_prefix == "apis") info.group = parts[i++];
  info.version = parts[i++];
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());

  info.verb = verb_for_method(method);
  if (!rest.empty() && rest[0] == "watch") {
    // The legacy /watch/ prefix.
    info.verb = "watch";
    rest.erase(rest.begin());
  }
  if (!rest.empty() && rest[0] == "namespaces") {
    if (rest.size() > 1) {
      info.namespace_ = rest[1];
      if (auto ok = check_segment_name(info.namespace_); !ok) return tl::unexpected(ok.error());
      if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
        rest.erase(rest.begin(), rest.begin() + 2);
      }
    }
  }
  info.parts = rest;
  if (rest.size() >= 3) info.subresource = rest[2];
  if (rest.size() >= 2) info.name = rest[1];
  if (!rest.empty()) info.resource = rest[0];
  if (rest.size() >= 2 && rest[0] == "namespaces") {
    // /api/v1/namespaces/<name>[/status|/finalize]: the namespace object itself.
    info.namespace_.clear();
  }
  if (!info.name.empty() || rest.size() >= 2) {
    if (auto ok = check_segment_name(info.name); !ok) return tl::unexpected(ok.error());
  }

  if (info.name.empty() && info.verb == "get") {
    auto watch = query.get_bool("watch", false);
    if (!watch) return tl::unexpected(watch.error());
    info.verb = *watch ? "watch" : "list";
  }
  if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
  return info;
}

// ------------------------------------------------------------------ media types

std::string MediaType::parameter(std::string_view key) const {
  for (const auto& [k, v] : parameters)
    if (k == key) return v;
  return "";
}

namespace {

bool is_token_char(char c) {
  if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

// Splits on `sep` outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == '\\' && quoted) {
      ++i;
      continue;
    }
    if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

Result<double> parse_quality(std::string_view v) {
  if (v.empty() || v.size() > 5) return error(StatusCode::kBadRequest, "invalid q value");
  double q = 0;
  if (v[0] == '1') {
    q = 1;
  } else if (v[0] != '0') {
    return error(StatusCode::kBadRequest, "invalid q value");
  }
  if (v.size() > 1) {
    if (v[1] != '.') return error(StatusCode::kBadRequest, "invalid q value");
    double scale = 0.1;
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) {
        return error(StatusCode::kBadRequest, "invalid q value");
      }
      q += (v[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (q > 1) return error(StatusCode::kBadRequest, "invalid q value");
  return q;
}

}  // namespace

Result<MediaType> parse_media_type(std::string_view text) {
  auto fields = split_unquoted(text, ';');
  std::string_view essence = trim(fields[0]);
  std::size_t slash = essence.find('/');
  auto bad = [&] {
    return error(StatusCode::kBadRequest, "invalid media type \"" + std::string(text) + "\"");
  };
  if (slash == std::string_view::npos) return bad();
  MediaType mt;
  std::string_view type = essence.substr(0, slash);
  std::string_view subtype = essence.substr(slash + 1);
  if (!is_token(type) || !is_token(subtype)) return bad();
  mt.type = lower(type);
  mt.subtype = lower(subtype);
  for (std::size_t i = 1; i < fields.size(); ++i) {
    std::string_view f = trim(fields[i]);
    if (f.empty()) continue;
    std::size_t eq = f.find('=');
    if (eq == std::string_view::npos) return bad();
    std::string_view key = trim(f.substr(0, eq));
    std::string_view value = trim(f.substr(eq + 1));
    if (!is_token(key)) return bad();
    std::string v;
    if (!value.empty() && value.front() == '"') {
      if (value.size() < 2 || value.back() != '"') return bad();
      for (std::size_t j = 1; j + 1 < value.size(); ++j) {
        if (value[j] == '\\' && j + 2 < value.size()) ++j;
        v += value[j];
      }
    } else {
      if (!is_token(value)) return bad();
      v = std::string(value);
    }
    std::string k = lower(key);
    if (k == "q") {
      auto q = parse_quality(v);
      if (!q) return bad();
      mt.quality = *q;
      continue;
    }
    mt.parameters.emplace_back(std::move(k), std::move(v));
  }
  return mt;
}

std::vector<MediaType> parse_accept(std::string_view header) {
  std::vector<MediaType> out;
  for (std::string_view part : split_unquoted(header, ',')) {
    if (trim(part).empty()) continue;
    auto mt = parse_media_type(part);
    if (mt) out.push_back(std::move(*mt));
  }
  return out;
}

namespace {

// What a media range asks for, or nullopt when we cannot produce it at all.
std::optional<Representation> wanted(const MediaType& mt) {
  bool json_like = (mt.type == "*" && mt.subtype == "*") ||
                   (mt.type == "application" && (mt.subtype == "*" || mt.subtype == "json"));
  if (!json_like) return std::nullopt;
  std::string as = mt.parameter("as");
  if (as.empty()) return Representation::kJson;
  std::string g = mt.parameter("g");
  std::string v = mt.parameter("v");
  bool meta = g == "meta.k8s.io" && (v == "v1" || v == "v1beta1");
  if (as == "Table" && meta) return Representation::kTable;
  if (as == "PartialObjectMetadata" && meta) return Representation::kPartialObjectMetadata;
  if (as == "PartialObjectMetadataList" && meta) return Representation::kPartialObjectMetadataList;
  if (as == "APIGroupDiscoveryList" && g == "apidiscovery.k8s.io" &&
      (v == "v2" || v == "v2beta1")) {
    return Representation::kAggregatedDiscovery;
  }
  return std::nullopt;
}

}  // namespace

Result<Representation> negotiate(std::string_view accept, std::span<const Representation> offered) {
  auto offers = [&](Representation r) {
    return std::find(offered.begin(), offered.end(), r) != offered.end();
  };
  if (trim(accept).empty()) {
    if (offers(Representation::kJson)) return Representation::kJson;
  } else {
    std::vector<MediaType> ranges = parse_accept(accept);
    std::stable_sort(ranges.begin(), ranges.end(),
                     [](const MediaType& a, const MediaType& b) { return a.quality > b.quality; });
    for (const MediaType& mt : ranges) {
      if (mt.quality <= 0) continue;
      auto r = wanted(mt);
      if (r && offers(*r)) return *r;
    }
  }
  return error(StatusCode::kNotAcceptable,
               "only the following media types are accepted: application/json");
}

BodyFormat body_format(std::string_view content_type) {
  if (trim(content_type).empty()) return BodyFormat::kJson;
  auto mt = parse_media_type(content_type);
  if (!mt) return BodyFormat::kUnknown;
  std::string e = mt->essence();
  if (e == "application/json") return BodyFormat::kJson;
  if (e == "application/yaml") return BodyFormat::kYaml;
  if (e == "application/vnd.kubernetes.protobuf") return BodyFormat::kProtobuf;
  if (e == "application/merge-patch+json") return BodyFormat::kMergePatch;
  if (e == "application/json-patch+json") return BodyFormat::kJsonPatch;
  if (e == "application/strategic-merge-patch+json") return BodyFormat::kStrategicMergePatch;
  if (e == "application/apply-patch+yaml") return BodyFormat::kApplyPatch;
  return BodyFormat::kUnknown;
}

// ------------------------------------------------------------------ JSON bodies

namespace {

constexpr std::size_t kMaxDepth = 10000;

// Builds the document from nlohmann's SAX events (as its DOM parser does) and notes keys that
// repeat within one object, by dotted path; the last value of a repeated key wins, as in Go.
class DomBuilder {
 public:
  using json = nlohmann::json;

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) { return put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return put(v); }
  bool number_float(json::number_float_t v, const std::string&) { return put(v); }
  bool string(json::string_t& v) { return put(std::move(v)); }
  bool binary(json::binary_t& v) { return put(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& k) {
    Frame& f = stack_.back();
    auto [it, inserted] = f.value->get_ref<json::object_t&>().try_emplace(std::move(k));
    if (!inserted) duplicates_.push_back(path_to(it->first));
    f.key = &it->first;
    f.slot = &it->second;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const json::exception& e) {
    error_ = std::string("json: ") + e.what();
    return false;
  }

  json take_value() { return std::move(root_); }
  std::vector<std::string> take_duplicates() { return std::move(duplicates_); }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    json* value;                        // the open object or array
    const std::string* key = nullptr;   // objects: the key whose value comes next
    json* slot = nullptr;               // objects: where that value goes
    const std::string* name = nullptr;  // its key in the enclosing object (none in an array)
  };

  // Where the next value goes.
  json* place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = stack_.back();
    if (f.value->is_array()) {
      auto& items = f.value->get_ref<json::array_t&>();
      items.push_back(std::move(v));
      return &items.back();
    }
    *f.slot = std::move(v);
    return f.slot;
  }
  bool put(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json container) {
    if (stack_.size() >= kMaxDepth) {
      error_ = "json: exceeded max depth of 10000";
      return false;
    }
    const std::string* name =
        !stack_.empty() && stack_.back().value->is_object() ? stack_.back().key : nullptr;
    json* at = place(std::move(container));
    stack_.push_back(Frame{at, nullptr, nullptr, name});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  // "a.b.key": the keys of the enclosing objects (an array adds nothing) and `key`.
  std::string path_to(const std::string& key) const {
    std::string out;
    for (const Frame& f : stack_) {
      if (f.name == nullptr) continue;
      out += *f.name;
      out += '.';
    }
    return out + key;
  }

  json root_;
  std::vector<Frame> stack_;
  std::vector<std::string> duplicates_;
  std::string error_;
};

}  // namespace

Result<DecodedBody> decode_json_body(std::string_view body) {
  DomBuilder builder;
  const bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &builder);
  if (!ok) {
    return error(StatusCode::kBadRequest, builder.error().empty()
                                              ? std::string("json: malformed document")
                                              : builder.error());
  }
  return DecodedBody{builder.take_value(), builder.take_duplicates()};
}

Result<DecodedBody> decode_json_or_yaml_body(std::string_view body) {
  std::string_view t = body;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) return decode_json_body(body);
  return decode_yaml_body(body);
}

}  // namespace cairn::apiserver
