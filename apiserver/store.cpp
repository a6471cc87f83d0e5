// Store implementation: SQLite MVCC table, single writer thread with group commit, reader
// connection pool, continue tokens, and the watch hub feed (see store.h for the contract).
#include "apiserver/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "apiserver/detail/sqlite.h"
#include "apiserver/detail/watch_hub.h"

namespace cairn::apiserver {
namespace detail {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kv (
  rv INTEGER PRIMARY KEY,
  grp TEXT NOT NULL,
  res TEXT NOT NULL,
  ns TEXT NOT NULL,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  prev_rv INTEGER NOT NULL,
  value TEXT NOT NULL
);
DROP INDEX IF EXISTS kv_key;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
)sql";

// The key index lives in a database of its own, attached as `ix` to every connection: a
// (grp, res, ns, name, rv) entry per kv row, and the compaction point (see store.h on the index).
// It is never fsynced and is built anew from `kv` whenever the store opens.
constexpr const char* kIndexSchema = R"sql(
PRAGMA ix.journal_mode=WAL;
PRAGMA ix.synchronous=OFF;
BEGIN;
CREATE TABLE ix.keys (
  grp TEXT NOT NULL,
  res TEXT NOT NULL,
  ns TEXT NOT NULL,
  name TEXT NOT NULL,
  rv INTEGER NOT NULL,
  PRIMARY KEY (grp, res, ns, name, rv)
) WITHOUT ROWID;
CREATE TABLE ix.meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT INTO ix.keys SELECT grp, res, ns, name, rv FROM kv ORDER BY grp, res, ns, name, rv;
INSERT INTO ix.meta SELECT k, v FROM meta WHERE k = 'compact';
COMMIT;
)sql";

constexpr std::string_view kContinueTooOld =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list.";

// "configmaps", "widgets.example.com": how kube names a resource in messages.
std::string qualified(const std::string& group, const std::string& resource) {
  return group.empty() ? resource : resource + "." + group;
}

std::string not_found(const ObjectKey& k) {
  return qualified(k.group, k.resource) + " \"" + k.name + "\" not found";
}

std::string conflict(const ObjectKey& k, std::string_view detail) {
  return "Operation cannot be fulfilled on " + qualified(k.group, k.resource) + " \"" + k.name +
         "\": " + std::string(detail);
}

constexpr std::string_view kModified =
    "the object has been modified; please apply your changes to the latest version and try again";

std::string string_at(const json& obj, const char* a, const char* b) {
  if (!obj.is_object()) return {};
  auto it = obj.find(a);
  if (it == obj.end() || !it->is_object()) return {};
  auto jt = it->find(b);
  return jt != it->end() && jt->is_string() ? jt->get<std::string>() : std::string();
}

// base64url without padding (what kube uses for continue tokens).
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(buf >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(buf << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> b64_decode(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = c ? std::strchr(kB64, c) : nullptr;
    int v;
    if (p) {
      v = static_cast<int>(p - kB64);
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    buf = (buf << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

struct Continue {
  std::int64_t rv = 0;
  std::string ns, name;  // the last key returned
};

std::string encode_continue(const Continue& c) {
  return b64_encode(
      json{{"v", "meta.k8s.io/v1"}, {"rv", c.rv}, {"ns", c.ns}, {"name", c.name}}.dump());
}

Result<Continue> decode_continue(std::string_view token) {
  auto bad = [](std::string_view why) {
    return error(StatusCode::kBadRequest, "invalid continue token: " + std::string(why));
  };
  auto raw = b64_decode(token);
  if (!raw) return bad("not base64");
  json j = json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return bad("not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || *v != "meta.k8s.io/v1") return bad("unknown version");
  auto rv = j.find("rv");
  auto ns = j.find("ns");
  auto name = j.find("name");
  if (rv == j.end() || !rv->is_number_integer() || ns == j.end() || !ns->is_string() ||
      name == j.end() || !name->is_string()) {
    return bad("missing rv or position");
  }
  Continue c{rv->get<std::int64_t>(), ns->get<std::string>(), name->get<std::string>()};
  if (c.rv <= 0) return bad("resource version must be positive");
  return c;
}

json without_metadata(const json& obj, bool drop_status) {
  json out = obj;
  if (out.is_object()) {
    out.erase("metadata");
    if (drop_status) out.erase("status");
  }
  return out;
}

struct Row {
  std::int64_t rv = 0;
  bool deleted = false;
  json value;
};

Result<json> parse_value(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error(StatusCode::kInternal, "storage: corrupt object JSON");
  return j;
}

// An object's compact JSON text (what json::dump() prints) with a hole where the value of
// metadata.resourceVersion goes: the writer thread fills it in without printing the object.
struct TextWithHole {
  std::string text;      // printed with resourceVersion ""
  std::size_t hole = 0;  // offset of the closing quote of that empty string

  std::string fill(std::string_view rv) const {
    std::string out;
    out.reserve(text.size() + rv.size());
    out.append(text, 0, hole);
    out += rv;
    out.append(text, hole);
    return out;
  }
};

using Printer = nlohmann::detail::serializer<json>;

// Whether json::dump() prints `s` as it is between quotes: no byte it escapes (quotes,
// backslashes, control bytes) and none it must check (non-ASCII, validated as UTF-8).
bool prints_plain(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
}

// Appends `s` quoted when it prints plain; false (nothing appended) when nlohmann must print it.
bool append_plain(std::string_view s, std::string& t) {
  if (!prints_plain(s)) return false;
  t += '"';
  t += s;
  t += '"';
  return true;
}

void print_key(const std::string& k, std::string& t, Printer& printer) {
  if (!append_plain(k, t)) printer.dump(json(k), false, false, 0);
  t += ':';
}

// Appends `v` to `t` exactly as json::dump() prints it. Strings that need no escaping, most of
// an object, are copied as they are; the rest (escapes, UTF-8 checks, numbers) is nlohmann's.
void print_compact(const json& v, std::string& t, Printer& printer) {
  switch (v.type()) {
    case json::value_t::object:
      t += '{';
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it != v.begin()) t += ',';
        print_key(it.key(), t, printer);
        print_compact(*it, t, printer);
      }
      t += '}';
      return;
    case json::value_t::array:
      t += '[';
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it != v.begin()) t += ',';
        print_compact(*it, t, printer);
      }
      t += ']';
      return;
    case json::value_t::string:
      if (append_plain(v.get_ref<const std::string&>(), t)) return;
      break;
    default:
      break;
  }
  printer.dump(v, false, false, 0);
}

// What json::dump() prints, through print_compact. Throws json::type_error for invalid UTF-8,
// as dump() does.
std::string print_json(const json& v) {
  std::string t;
  t.reserve(1024);
  Printer printer(nlohmann::detail::output_adapter<char>(t), ' ', json::error_handler_t::strict);
  print_compact(v, t, printer);
  return t;
}

// Prints `obj`, an object whose metadata (an object) holds resourceVersion "", as print_json
// does, noting where that empty string is.
TextWithHole print_with_hole(const json& obj) {
  TextWithHole out;
  std::string& t = out.text;
  t.reserve(1024);
  Printer printer(nlohmann::detail::output_adapter<char>(t), ' ', json::error_handler_t::strict);
  t += '{';
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it != obj.begin()) t += ',';
    print_key(it.key(), t, printer);
    if (it.key() != "metadata") {
      print_compact(*it, t, printer);
      continue;
    }
    t += '{';
    for (auto m = it->begin(); m != it->end(); ++m) {
      if (m != it->begin()) t += ',';
      print_key(m.key(), t, printer);
      if (m.key() == "resourceVersion") {
        t += '"';
        out.hole = t.size();
        t += '"';
      } else {
        print_compact(*m, t, printer);
      }
    }
    t += '}';
  }
  t += '}';
  return out;
}

}  // namespace

// ------------------------------------------------------------------ StoreImpl

class StoreImpl {
 public:
  using Op = std::function<Result<Committed>()>;

  // A create prepared on the caller's thread: everything but the name check and the RV.
  struct NewObject {
    ObjectKey key;      // name "" when the writer picks one from generateName
    json object;        // metadata complete but for resourceVersion ("")
    TextWithHole text;  // its JSON, when the name is known
  };

  explicit StoreImpl(const StoreOptions& options)
      : options_(options),
        hub_(std::make_shared<WatchHub>(options.watch_history, options.watch_queue)),
        rng_(std::random_device{}()) {}

  ~StoreImpl() { shutdown(); }

  Result<void> open() {
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    if (ec)
      return error(StatusCode::kInternal,
                   "storage: create " + options_.data_dir.string() + ": " + ec.message());
    const std::string lock_path = (options_.data_dir / "LOCK").string();
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) return error(StatusCode::kInternal, "storage: open " + lock_path);
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return error(StatusCode::kUnavailable,
                   "storage: " + options_.data_dir.string() + " is in use by another store");
    }
    db_path_ = (options_.data_dir / "cairn.db").string();
    auto db = Db::open(db_path_);
    if (!db) return tl::unexpected(db.error());
    writer_db_ = std::move(*db);
    // WAL + synchronous=NORMAL: SQLite syncs around checkpoints, and the sync thread fsyncs the
    // WAL after every commit, before it is acknowledged (see store.h on durability).
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
      if (auto r = writer_db_->exec(sql); !r) return r;
    }
    if (auto r = writer_db_->exec(kSchema); !r) return r;
    if (auto r = writer_db_->exec("BEGIN IMMEDIATE"); !r) return r;
    for (const char* k : {"rv", "compact"}) {
      auto ins = writer_db_->prepare("INSERT OR IGNORE INTO meta (k, v) VALUES (?1, ?2)");
      if (!ins) return tl::unexpected(ins.error());
      if (auto r = ins->bind(1, std::string_view(k)).bind(2, kInitialResourceVersion).run(); !r) {
        return r;
      }
    }
    if (auto r = writer_db_->exec("COMMIT"); !r) return r;
    auto rv = read_meta(*writer_db_, "rv");
    auto compact = read_meta(*writer_db_, "compact");
    if (!rv || !compact) return tl::unexpected(!rv ? rv.error() : compact.error());
    // The counter never goes below a row that exists (defence against a lost meta update).
    // The statement is finalized in this scope, before the writer thread takes over the
    // connection (opened without SQLite's mutex, it serves one thread at a time).
    {
      auto max_row = writer_db_->prepare("SELECT COALESCE(MAX(rv), 0) FROM kv");
      if (!max_row) return tl::unexpected(max_row.error());
      if (auto r = max_row->step(); !r) return tl::unexpected(r.error());
      rv_ = std::max(*rv, max_row->column_int(0));
    }
    compact_rv_ = *compact;
    committed_rv_ = rv_;
    if (auto r = build_index(); !r) return r;

    if (auto r = rebuild_history(); !r) return r;
    if (auto r = load_namespaces(); !r) return r;
    pending_compact_rv_ = rv_;
    next_compaction_ = std::chrono::steady_clock::now() + options_.compaction_interval;
    // The WAL exists now (the writes above went through it) and lives as long as the writer's
    // connection; this descriptor only serves fdatasync.
    const std::string wal_path = db_path_ + "-wal";
    wal_fd_ = ::open(wal_path.c_str(), O_RDWR | O_CLOEXEC);
    if (wal_fd_ < 0) {
      return error(StatusCode::kInternal,
                   "storage: open " + wal_path + ": " + std::strerror(errno));
    }
    // The WAL of the start-up writes reaches the disk before anything is served.
    if (auto r = sync_wal(); !r) return r;
    writer_ = std::thread([this] { writer_loop(); });
    syncer_ = std::thread([this] { sync_loop(); });
    return {};
  }

  void shutdown() {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();  // then the sync thread drains what it committed
    if (syncer_.joinable()) syncer_.join();
    hub_->close_all(Status{StatusCode::kUnavailable, "the store is shutting down"});
    writer_db_.reset();
    std::lock_guard lock(readers_mu_);
    readers_.clear();
    if (wal_fd_ >= 0) ::close(wal_fd_);
    wal_fd_ = -1;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
  }

  // Runs `op` on the writer thread inside a group-commit transaction; blocks for the result.
  // `single_statement`: the op makes at most one write (insert()) and, when it fails before
  // that write changed anything, has written nothing, so it needs no savepoint of its own.
  Result<Committed> submit(Op op, bool single_statement) {
    auto item = std::make_unique<Pending>();
    item->op = std::move(op);
    item->single_statement = single_statement;
    auto fut = item->done.get_future();
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return error(StatusCode::kUnavailable, "the store is shutting down");
      queue_.push_back(std::move(item));
    }
    queue_cv_.notify_one();
    Outcome outcome = fut.get();
    return std::move(outcome.result);
    // outcome.evicted is freed here, on the caller's thread rather than the writer's.
  }

  // On the caller's thread: checks and completes the object's metadata and prints it.
  Result<NewObject> prepare_create(const ResourceRef& res, const std::string& ns, json obj,
                                   const WriteOptions& wo) {
    if (!obj.is_object()) return error(StatusCode::kBadRequest, "the object must be a JSON object");
    json& md = obj["metadata"];
    if (!md.is_object()) md = json::object();
    NewObject n{ObjectKey{res.group, res.resource, ns, string_at(obj, "metadata", "name")}, json(),
                TextWithHole()};
    if (n.key.name.empty() && string_at(obj, "metadata", "generateName").empty()) {
      return error(StatusCode::kInvalid,
                   qualified(res.group, res.resource) +
                       " \"\" is invalid: metadata.name: Required value: name or generateName "
                       "is required");
    }
    if (ns.empty()) {
      md.erase("namespace");
    } else {
      md["namespace"] = ns;
    }
    md["uid"] = new_object_uid();
    md["creationTimestamp"] = rfc3339_now();
    md["resourceVersion"] = "";
    if (wo.generation == GenerationPolicy::kNone) {
      md.erase("generation");
    } else {
      md["generation"] = 1;
    }
    if (!n.key.name.empty()) {
      try {
        n.text = print_with_hole(obj);
      } catch (const std::exception& e) {
        return error(StatusCode::kInternal, std::string("storage: ") + e.what());
      }
    }
    n.object = std::move(obj);
    return n;
  }

  // ---------------------------------------------------------------- write operations
  // (all run on the writer thread, inside the batch transaction)

  Result<Committed> do_create(NewObject& n) {
    ObjectKey& key = n.key;
    json& md = n.object["metadata"];
    const bool generated = key.name.empty();
    if (generated) {
      // kube: names.SimpleNameGenerator, retried a few times on collision.
      static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
      const std::string generate = string_at(n.object, "metadata", "generateName");
      bool found = false;
      for (int attempt = 0; attempt < 8 && !found; ++attempt) {
        key.name = generate;
        for (int i = 0; i < 5; ++i) key.name += kAlphabet[rng_() % (sizeof kAlphabet - 1)];
        auto cur = latest(key);
        if (!cur) return tl::unexpected(cur.error());
        found = !*cur || (*cur)->deleted;
      }
      if (!found) {
        return error(StatusCode::kAlreadyExists,
                     qualified(key.group, key.resource) + " \"" + key.name +
                         "\" already exists, the server was not able to generate a unique name "
                         "for the object");
      }
      md["name"] = key.name;
    } else {
      auto cur = latest(key);
      if (!cur) return tl::unexpected(cur.error());
      if (*cur && !(*cur)->deleted) {
        return error(StatusCode::kAlreadyExists,
                     qualified(key.group, key.resource) + " \"" + key.name + "\" already exists");
      }
    }
    const std::int64_t rv = ++rv_;
    std::string rv_text = std::to_string(rv);
    std::string text = generated ? std::string() : n.text.fill(rv_text);
    md["resourceVersion"] = std::move(rv_text);
    if (generated) text = print_json(n.object);
    auto stored = std::make_shared<const json>(std::move(n.object));
    if (auto r = insert(key, rv, true, false, 0, text); !r) return tl::unexpected(r.error());
    events_.push_back({EventType::kAdded, rv, std::move(key.group), std::move(key.resource),
                       std::move(key.namespace_), std::move(key.name), stored, nullptr});
    return Committed{std::move(stored), std::move(text)};
  }

  Result<Committed> do_update(const ObjectKey& key, const Store::Mutator& mutate,
                              const WriteOptions& wo) {
    auto cur_row = latest(key);
    if (!cur_row) return tl::unexpected(cur_row.error());
    if (!*cur_row || (*cur_row)->deleted) return error(StatusCode::kNotFound, not_found(key));
    const json& cur = (*cur_row)->value;
    auto next = mutate(cur);
    if (!next) return tl::unexpected(next.error());
    json obj = std::move(*next);
    if (!obj.is_object()) return error(StatusCode::kBadRequest, "the object must be a JSON object");
    json& md = obj["metadata"];
    if (!md.is_object()) md = json::object();
    const std::string cur_rv = std::to_string((*cur_row)->rv);
    const std::string want_rv = string_at(obj, "metadata", "resourceVersion");
    if (!want_rv.empty() && want_rv != cur_rv) {
      return error(StatusCode::kConflict, conflict(key, kModified));
    }
    const std::string cur_uid = string_at(cur, "metadata", "uid");
    const std::string want_uid = string_at(obj, "metadata", "uid");
    if (!want_uid.empty() && want_uid != cur_uid) {
      return error(StatusCode::kConflict,
                   conflict(key, "Precondition failed: UID in precondition: " + want_uid +
                                     ", UID in object meta: " + cur_uid));
    }
    // Identity is the stored object's; generation follows the policy.
    static const json kNoMetadata = json::object();
    auto cur_md_it = cur.find("metadata");
    const json& cur_md =
        cur_md_it != cur.end() && cur_md_it->is_object() ? *cur_md_it : kNoMetadata;
    md["name"] = key.name;
    if (key.namespace_.empty()) {
      md.erase("namespace");
    } else {
      md["namespace"] = key.namespace_;
    }
    for (const char* f : {"uid", "creationTimestamp", "generation"}) {
      if (auto it = cur_md.find(f); it != cur_md.end()) {
        md[f] = *it;
      } else {
        md.erase(f);
      }
    }
    if (wo.generation != GenerationPolicy::kNone) {
      const bool drop_status = wo.generation == GenerationPolicy::kSpec;
      const std::int64_t gen = cur_md.value("generation", std::int64_t{0});
      std::int64_t next = without_metadata(obj, drop_status) == without_metadata(cur, drop_status)
                              ? std::max<std::int64_t>(gen, 1)
                              : gen + 1;
      // kube's markAsDeleting: setting deletionTimestamp for the first time is a change of
      // the desired state (controllers must notice), so it bumps generation too.
      if (md.contains("deletionTimestamp") && !cur_md.contains("deletionTimestamp")) ++next;
      md["generation"] = next;
    }
    md["resourceVersion"] = cur_rv;
    auto prev = std::make_shared<const json>(std::move((*cur_row)->value));
    if (obj == *prev) return Committed{prev, print_json(*prev)};  // no-op: no write, no event
    const std::int64_t rv = ++rv_;
    md["resourceVersion"] = std::to_string(rv);
    std::string text = print_json(obj);
    auto stored = std::make_shared<const json>(std::move(obj));
    if (auto r = insert(key, rv, false, false, (*cur_row)->rv, text); !r) {
      return tl::unexpected(r.error());
    }
    events_.push_back({EventType::kModified, rv, key.group, key.resource, key.namespace_, key.name,
                       stored, std::move(prev)});
    return Committed{std::move(stored), std::move(text)};
  }

  Result<Committed> do_remove(const ObjectKey& key, const DeletePreconditions& pre) {
    auto cur_row = latest(key);
    if (!cur_row) return tl::unexpected(cur_row.error());
    if (!*cur_row || (*cur_row)->deleted) return error(StatusCode::kNotFound, not_found(key));
    json cur = std::move((*cur_row)->value);
    const std::string cur_uid = string_at(cur, "metadata", "uid");
    const std::string cur_rv = std::to_string((*cur_row)->rv);
    if (pre.uid && *pre.uid != cur_uid) {
      return error(StatusCode::kConflict,
                   conflict(key, "Precondition failed: UID in precondition: " + *pre.uid +
                                     ", UID in object meta: " + cur_uid));
    }
    if (pre.resource_version && *pre.resource_version != cur_rv) {
      return error(
          StatusCode::kConflict,
          conflict(key, "Precondition failed: ResourceVersion in precondition: " +
                            *pre.resource_version + ", ResourceVersion in object meta: " + cur_rv));
    }
    const std::int64_t rv = ++rv_;
    auto prev = std::make_shared<const json>(cur);
    cur["metadata"]["resourceVersion"] = std::to_string(rv);
    std::string text = print_json(cur);
    auto stored = std::make_shared<const json>(std::move(cur));
    if (auto r = insert(key, rv, false, true, (*cur_row)->rv, text); !r) {
      return tl::unexpected(r.error());
    }
    events_.push_back({EventType::kDeleted, rv, key.group, key.resource, key.namespace_, key.name,
                       stored, std::move(prev)});
    return Committed{std::move(stored), std::move(text)};
  }

  Result<Committed> do_compact(std::int64_t rv) {
    if (rv > rv_) {
      return error(StatusCode::kBadRequest,
                   "cannot compact to a future resource version " + std::to_string(rv));
    }
    if (rv <= compact_rv_) return Committed{};
    // Rows superseded at or below rv, and deletions below it; then their index entries. The
    // compaction point is kept in both databases (see list_on).
    for (const char* sql :
         {"DELETE FROM kv WHERE rv < ?1 AND (deleted = 1 OR EXISTS (SELECT 1 FROM ix.keys n "
          "WHERE n.grp = kv.grp AND n.res = kv.res AND n.ns = kv.ns AND n.name = kv.name AND "
          "n.rv > kv.rv AND n.rv <= ?1))",
          "DELETE FROM ix.keys WHERE rv < ?1 AND rv NOT IN (SELECT rv FROM kv WHERE rv < ?1)",
          "UPDATE meta SET v = ?1 WHERE k = 'compact'",
          "UPDATE ix.meta SET v = ?1 WHERE k = 'compact'"}) {
      auto st = writer_db_->prepare(sql);
      if (!st) return tl::unexpected(st.error());
      if (auto r = st->bind(1, rv).run(); !r) return tl::unexpected(r.error());
    }
    new_compact_rv_ = rv;
    return Committed{};
  }

  // ---------------------------------------------------------------- reads

  Result<json> get(const ObjectKey& key) {
    if (is_namespace(key)) {
      auto ns = find_namespace(key.name);
      if (!ns) return error(StatusCode::kNotFound, not_found(key));
      return *ns;
    }
    auto conn = acquire_reader();
    if (!conn) return tl::unexpected(conn.error());
    // Readers see what is durable only (a commit is acknowledged once its WAL is on disk).
    auto row = latest_on(**conn, key, committed_rv_.load());
    release_reader(std::move(*conn));
    if (!row) return tl::unexpected(row.error());
    if (!*row || (*row)->deleted) return error(StatusCode::kNotFound, not_found(key));
    return std::move((*row)->value);
  }

  std::shared_ptr<const json> find_namespace(const std::string& name) {
    std::shared_lock lock(namespaces_mu_);
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second;
  }

  Result<ListResult> list(const ListOptions& o) {
    std::optional<Continue> cont;
    if (!o.continue_token.empty()) {
      auto c = decode_continue(o.continue_token);
      if (!c) return tl::unexpected(c.error());
      cont = std::move(*c);
    }
    auto conn = acquire_reader();
    if (!conn) return tl::unexpected(conn.error());
    auto result = list_on(**conn, o, cont);
    (void)(*conn)->run("COMMIT");  // ends the read transaction; nothing to undo
    release_reader(std::move(*conn));
    return result;
  }

  // Lists every matching object at the newest snapshot (for watch's initial events).
  Result<ListResult> list_all(const WatchOptions& w) {
    ListOptions o(w.resource, w.namespace_);
    o.label_selector = w.label_selector;
    o.field_selector = w.field_selector;
    return list(o);
  }

  Result<std::unique_ptr<Watch>> watch(const WatchOptions& w, Store* /*unused*/) {
    const std::string& rv_text = w.resource_version;
    if (rv_text.empty() || rv_text == "0") {
      // Current state as synthetic ADDED events, then everything after its snapshot. Retried in
      // the unlikely case that the history moved past the snapshot in between.
      for (int attempt = 0;; ++attempt) {
        auto snapshot = list_all(w);
        if (!snapshot) return tl::unexpected(snapshot.error());
        std::vector<WatchEvent> initial;
        initial.reserve(snapshot->items.size());
        for (auto& item : snapshot->items) {
          const std::string rv = string_at(item, "metadata", "resourceVersion");
          initial.push_back({EventType::kAdded, std::strtoll(rv.c_str(), nullptr, 10),
                             std::make_shared<const json>(std::move(item))});
        }
        auto sub = hub_->subscribe(w, snapshot->resource_version, std::move(initial));
        if (sub) return std::unique_ptr<Watch>(new Watch(hub_, std::move(*sub)));
        if (sub.error().code != StatusCode::kGone || attempt == 3) {
          return tl::unexpected(sub.error());
        }
      }
    }
    std::int64_t from = 0;
    auto [ptr, ec] = std::from_chars(rv_text.data(), rv_text.data() + rv_text.size(), from);
    if (ec != std::errc() || ptr != rv_text.data() + rv_text.size() || from < 0) {
      return error(StatusCode::kBadRequest, "invalid resource version: " + rv_text);
    }
    auto sub = hub_->subscribe(w, from, {});
    if (!sub) return tl::unexpected(sub.error());
    return std::unique_ptr<Watch>(new Watch(hub_, std::move(*sub)));
  }

  std::int64_t current_rv() const { return committed_rv_.load(); }
  std::int64_t oldest_watchable() const { return hub_->oldest_rv(); }

 private:
  // What a caller gets back: its result, and a share of the history events that its batch
  // pushed out, so that freeing their objects is not the writer thread's work.
  struct Outcome {
    Result<Committed> result;
    std::vector<HubEvent> evicted;
  };

  struct Pending {
    Op op;
    bool single_statement = false;
    std::promise<Outcome> done;
  };

  // A batch committed by the writer, waiting for its WAL to reach the disk.
  struct CommittedBatch {
    std::vector<std::unique_ptr<Pending>> batch;
    std::vector<Result<Committed>> results;
    std::vector<HubEvent> events;
    std::int64_t rv = 0;  // the newest RV it wrote
  };

  // A value of the meta table of the store (main) or of its key index (ix).
  static Result<std::int64_t> read_meta(Db& db, const char* key, bool index = false) {
    auto st = db.cached(index ? "SELECT v FROM ix.meta WHERE k = ?1"
                              : "SELECT v FROM main.meta WHERE k = ?1");
    if (!st) return tl::unexpected(st.error());
    (*st)->bind(1, std::string_view(key));
    auto r = (*st)->step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) return error(StatusCode::kInternal, std::string("storage: missing meta ") + key);
    return (*st)->column_int(0);
  }

  // The newest row of `key` (a tombstone included) at or below `max_rv` on `db`; the lease
  // resets the statement.
  static Result<std::optional<Row>> latest_on(Db& db, const ObjectKey& key, std::int64_t max_rv) {
    auto st = db.cached(
        "SELECT kv.rv, kv.deleted, kv.value FROM ix.keys i JOIN kv ON kv.rv = i.rv WHERE "
        "i.grp = ?1 AND i.res = ?2 AND i.ns = ?3 AND i.name = ?4 AND i.rv <= ?5 "
        "ORDER BY i.rv DESC LIMIT 1");
    if (!st) return tl::unexpected(st.error());
    (*st)->bind(1, key.group).bind(2, key.resource).bind(3, key.namespace_).bind(4, key.name);
    (*st)->bind(5, max_rv);
    auto r = (*st)->step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) return std::optional<Row>();
    auto value = parse_value((*st)->column_text(2));
    if (!value) return tl::unexpected(value.error());
    return std::optional<Row>(
        Row{(*st)->column_int(0), (*st)->column_int(1) != 0, std::move(*value)});
  }

  // The writer sees its own commits, also those still on their way to the disk.
  Result<std::optional<Row>> latest(const ObjectKey& key) {
    return latest_on(*writer_db_, key, std::numeric_limits<std::int64_t>::max());
  }

  Result<void> insert(const ObjectKey& key, std::int64_t rv, bool created, bool deleted,
                      std::int64_t prev_rv, std::string_view text) {
    auto st = writer_db_->cached(
        "INSERT INTO kv (rv, grp, res, ns, name, created, deleted, prev_rv, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st) return tl::unexpected(st.error());
    (*st)->bind(1, rv).bind(2, key.group).bind(3, key.resource).bind(4, key.namespace_);
    (*st)->bind(5, key.name).bind(6, std::int64_t{created}).bind(7, std::int64_t{deleted});
    (*st)->bind(8, prev_rv).bind(9, text);
    if (auto r = (*st)->run(); !r) return r;  // SQLite undid the failed statement
    op_wrote_ = true;                         // from here on a failure leaves a row behind
    auto ix = writer_db_->cached(
        "INSERT INTO ix.keys (grp, res, ns, name, rv) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!ix) return tl::unexpected(ix.error());
    (*ix)->bind(1, key.group).bind(2, key.resource).bind(3, key.namespace_).bind(4, key.name);
    (*ix)->bind(5, rv);
    return (*ix)->run();
  }

  // Attaches the key index to `db`.
  Result<void> attach_index(Db& db) {
    auto st = db.prepare("ATTACH DATABASE ?1 AS ix");
    if (!st) return tl::unexpected(st.error());
    return st->bind(1, index_path_).run();
  }

  // Builds the key index from the kv table, from scratch: whatever an earlier run left (the
  // index is never synced, so a crash may have left it behind or torn) is removed first.
  Result<void> build_index() {
    index_path_ = (options_.data_dir / "cairn-index.db").string();
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(index_path_ + suffix, ec);
      if (ec) {
        return error(StatusCode::kInternal,
                     "storage: remove " + index_path_ + suffix + ": " + ec.message());
      }
    }
    if (auto r = attach_index(*writer_db_); !r) return r;
    return writer_db_->exec(kIndexSchema);
  }

  // Rebuilds the watch history from the retained rows after the compaction point.
  Result<void> rebuild_history() {
    const std::int64_t keep = static_cast<std::int64_t>(options_.watch_history);
    const std::int64_t start = std::max(compact_rv_, rv_ - keep);
    auto st = writer_db_->prepare(
        "SELECT k.rv, k.grp, k.res, k.ns, k.name, k.created, k.deleted, k.value, p.value "
        "FROM kv k LEFT JOIN kv p ON p.rv = k.prev_rv AND k.prev_rv > 0 "
        "WHERE k.rv > ?1 ORDER BY k.rv");
    if (!st) return tl::unexpected(st.error());
    st->bind(1, start);
    std::vector<HubEvent> events;
    while (true) {
      auto r = st->step();
      if (!r) return tl::unexpected(r.error());
      if (!*r) break;
      HubEvent e;
      e.rv = st->column_int(0);
      e.group = st->column_text(1);
      e.resource = st->column_text(2);
      e.namespace_ = st->column_text(3);
      e.name = st->column_text(4);
      e.type = st->column_int(6)   ? EventType::kDeleted
               : st->column_int(5) ? EventType::kAdded
                                   : EventType::kModified;
      auto v = parse_value(st->column_text(7));
      if (!v) return tl::unexpected(v.error());
      e.object = std::make_shared<const json>(std::move(*v));
      if (!st->column_is_null(8)) {
        auto p = parse_value(st->column_text(8));
        if (!p) return tl::unexpected(p.error());
        e.prev = std::make_shared<const json>(std::move(*p));
      }
      events.push_back(std::move(e));
    }
    hub_->reset(start, rv_, std::move(events));
    return {};
  }

  // ---------------------------------------------------------------- writer thread

  void writer_loop() {
    std::vector<std::unique_ptr<Pending>> batch;
    while (true) {
      wait_for_sync_room();
      {
        std::unique_lock lock(queue_mu_);
        auto wake = [&] { return stopping_ || !queue_.empty(); };
        if (options_.compaction_interval.count() > 0) {
          queue_cv_.wait_until(lock, next_compaction_, wake);
        } else {
          queue_cv_.wait(lock, wake);
        }
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (batch.empty() && stopping_) break;
      }
      maybe_schedule_compaction(batch);
      if (!batch.empty()) run_batch(batch);
      batch.clear();
    }
    {
      std::lock_guard lock(sync_mu_);
      writer_done_ = true;
    }
    sync_cv_.notify_all();
  }

  std::optional<Status> sync_failure() {
    std::lock_guard lock(sync_mu_);
    return sync_failed_;
  }

  // The writer runs at most one commit ahead of the disk: while an earlier commit still waits
  // for its fsync, the next batch keeps growing in the queue.
  void wait_for_sync_room() {
    std::unique_lock lock(sync_mu_);
    sync_cv_.wait(lock, [&] { return to_sync_.empty(); });
  }

  Result<void> sync_wal() {
    while ((options_.sync_file ? options_.sync_file(wal_fd_) : ::fdatasync(wal_fd_)) != 0) {
      if (errno == EINTR) continue;
      return error(StatusCode::kInternal,
                   std::string("storage: fsync of the write-ahead log: ") + std::strerror(errno));
    }
    return {};
  }

  // ---------------------------------------------------------------- sync thread

  // Makes committed batches durable (one fdatasync for all that are waiting), then publishes
  // their events and acknowledges their writes, in commit order.
  void sync_loop() {
    while (true) {
      std::deque<CommittedBatch> work;
      {
        std::unique_lock lock(sync_mu_);
        sync_cv_.wait(lock, [&] { return !to_sync_.empty() || writer_done_; });
        if (to_sync_.empty()) return;  // the writer is done and everything is synced
        work.swap(to_sync_);
      }
      sync_cv_.notify_all();  // the writer may commit its next batch during this fsync
      std::optional<Status> failed = sync_failure();
      if (!failed) {
        if (auto synced = sync_wal(); !synced) {
          // Whether these writes reached the disk is unknown, and later commits build on them:
          // fail them and every write after, until a restart recovers what is on disk.
          failed = Status{
              StatusCode::kInternal,
              synced.error().message + "; the store refuses writes until the server is restarted"};
          std::lock_guard lock(sync_mu_);
          sync_failed_ = failed;
        }
      }
      for (CommittedBatch& c : work) finish(c, failed ? &*failed : nullptr);
    }
  }

  void finish(CommittedBatch& c, const Status* failure) {
    std::vector<Outcome> outcomes(c.batch.size());
    if (failure == nullptr) {
      committed_rv_.store(c.rv);
      remember_namespaces(c.events);
      std::vector<HubEvent> evicted;
      if (!c.events.empty()) evicted = hub_->publish(std::move(c.events));
      for (std::size_t i = 0; i < evicted.size(); ++i) {
        outcomes[i % outcomes.size()].evicted.push_back(std::move(evicted[i]));
      }
    }
    for (std::size_t i = 0; i < c.batch.size(); ++i) {
      outcomes[i].result = failure ? tl::unexpected(*failure) : std::move(c.results[i]);
      c.batch[i]->done.set_value(std::move(outcomes[i]));
    }
  }

  void maybe_schedule_compaction(std::vector<std::unique_ptr<Pending>>& batch) {
    if (options_.compaction_interval.count() <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_compaction_) return;
    // Compact to the RV that was current one interval ago (etcd-style), as part of this batch.
    const std::int64_t target = pending_compact_rv_;
    pending_compact_rv_ = rv_;
    next_compaction_ = now + options_.compaction_interval;
    if (target <= compact_rv_) return;
    auto item = std::make_unique<Pending>();
    item->op = [this, target] { return do_compact(target); };
    item->single_statement = false;
    batch.push_back(std::move(item));
  }

  void run_batch(std::vector<std::unique_ptr<Pending>>& batch) {
    std::vector<Result<Committed>> results;
    results.reserve(batch.size());
    const std::int64_t rv_before = rv_;
    events_.clear();
    new_compact_rv_ = 0;
    auto fail_all = [&](const Status& s) {
      (void)writer_db_->run("ROLLBACK");  // best effort: the batch failed either way
      rv_ = rv_before;
      events_.clear();
      for (auto& p : batch) p->done.set_value(Outcome{tl::unexpected(s), {}});
    };
    if (auto failed = sync_failure()) return fail_all(*failed);
    if (auto r = writer_db_->run("BEGIN IMMEDIATE"); !r) return fail_all(r.error());
    for (auto& p : batch) {
      // A savepoint per write, so that one failing write does not affect the others; writes of
      // one insert() that fail before it wrote need none (SQLite undoes a failed statement).
      const bool savepoint = !p->single_statement;
      if (savepoint) {
        if (auto r = writer_db_->run("SAVEPOINT w"); !r) return fail_all(r.error());
      }
      const std::size_t events_before = events_.size();
      const std::int64_t op_rv_before = rv_;
      Result<Committed> r = error(StatusCode::kInternal, "write not run");
      op_wrote_ = false;
      try {
        r = p->op();
      } catch (const std::exception& e) {
        r = error(StatusCode::kInternal, std::string("storage: ") + e.what());
      }
      // Without a savepoint, a failure (an error or an exception) after the op's write cannot
      // be undone alone.
      if (!r && !savepoint && op_wrote_) return fail_all(r.error());
      if (!r) {
        if (savepoint) {
          if (auto rb = writer_db_->run("ROLLBACK TO w"); !rb) return fail_all(rb.error());
        }
        events_.resize(events_before);
        rv_ = op_rv_before;
      }
      if (savepoint) {
        if (auto rel = writer_db_->run("RELEASE w"); !rel) return fail_all(rel.error());
      }
      results.push_back(std::move(r));
    }
    if (rv_ != rv_before) {
      auto set_rv = writer_db_->cached("UPDATE meta SET v = ?1 WHERE k = 'rv'");
      if (!set_rv) return fail_all(set_rv.error());
      if (auto r = (*set_rv)->bind(1, rv_).run(); !r) return fail_all(r.error());
    }
    if (auto r = writer_db_->run("COMMIT"); !r) return fail_all(r.error());
    if (new_compact_rv_) compact_rv_ = new_compact_rv_;
    // Committed, not yet durable: the sync thread fsyncs the WAL, then makes the batch visible
    // to readers and watchers and acknowledges it.
    {
      std::lock_guard lock(sync_mu_);
      to_sync_.push_back(
          CommittedBatch{std::move(batch), std::move(results), std::move(events_), rv_});
    }
    events_.clear();
    sync_cv_.notify_all();
  }

  // ---------------------------------------------------------------- namespaces

  static bool is_namespace(const ObjectKey& key) {
    return key.group.empty() && key.resource == "namespaces" && key.namespace_.empty();
  }

  Result<void> load_namespaces() {
    auto all = list(ListOptions(ResourceRef{"", "namespaces"}));
    if (!all) return tl::unexpected(all.error());
    std::unique_lock lock(namespaces_mu_);
    namespaces_.clear();
    for (auto& item : all->items) {
      std::string name = string_at(item, "metadata", "name");
      namespaces_[std::move(name)] = std::make_shared<const json>(std::move(item));
    }
    return {};
  }

  // After a commit, before its writes are acknowledged: a client that saw its namespace
  // created (or deleted) finds the cache agreeing.
  void remember_namespaces(const std::vector<HubEvent>& events) {
    std::unique_lock<std::shared_mutex> lock(namespaces_mu_, std::defer_lock);
    for (const auto& e : events) {
      if (!e.group.empty() || e.resource != "namespaces") continue;
      if (!lock.owns_lock()) lock.lock();
      if (e.type == EventType::kDeleted) {
        namespaces_.erase(e.name);
      } else {
        namespaces_[e.name] = e.object;
      }
    }
  }

  // ---------------------------------------------------------------- readers

  Result<std::unique_ptr<Db>> acquire_reader() {
    {
      std::lock_guard lock(readers_mu_);
      if (!readers_.empty()) {
        auto db = std::move(readers_.back());
        readers_.pop_back();
        return db;
      }
    }
    auto db = Db::open(db_path_);
    if (!db) return db;
    if (auto r = attach_index(**db); !r) return tl::unexpected(r.error());
    return db;
  }

  void release_reader(std::unique_ptr<Db> db) {
    std::lock_guard lock(readers_mu_);
    if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(db));
  }

  Result<ListResult> list_on(Db& db, const ListOptions& o, const std::optional<Continue>& cont) {
    // One read transaction. Each database's snapshot starts at its first read: the store's
    // (meta and kv rows) first, then the index's, after committed_rv_ was read. So the index's
    // snapshot holds an entry for every row up to the list's RV; it is newer than the store's
    // and, but for entries of newer rows, the same unless a compaction committed in between,
    // which the two compaction points show. Then the read starts over.
    ListResult out;
    Result<std::int64_t> current = 0, compacted = 0;
    for (int attempt = 0;; ++attempt) {
      if (auto r = db.run("BEGIN"); !r) return tl::unexpected(r.error());
      current = read_meta(db, "rv");
      compacted = read_meta(db, "compact");
      if (!current || !compacted)
        return tl::unexpected(!current ? current.error() : compacted.error());
      // The snapshot ends at the newest durable commit (the writer may be one commit ahead of
      // the disk); read after BEGIN, so the snapshot holds everything up to it.
      out.resource_version = std::min(*current, committed_rv_.load());
      auto index_compacted = read_meta(db, "compact", /*index=*/true);
      if (!index_compacted) return tl::unexpected(index_compacted.error());
      if (*index_compacted == *compacted) break;
      if (auto r = db.run("COMMIT"); !r) return tl::unexpected(r.error());
      if (attempt == 3) {
        return error(StatusCode::kUnavailable,
                     "storage: compactions kept changing the index during the read; try again");
      }
    }
    if (cont) {
      if (cont->rv > *current) {
        return error(StatusCode::kBadRequest,
                     "invalid continue token: resource version is in the future");
      }
      if (cont->rv < *compacted) return error(StatusCode::kGone, std::string(kContinueTooOld));
      out.resource_version = cont->rv;
    }
    // The newest row per key at or below the snapshot (SQLite gives bare columns the values of
    // the MAX(rv) row), keeping keys that exist at the snapshot.
    std::string sql =
        "SELECT ns, name, rv, value FROM (SELECT i.ns AS ns, i.name AS name, MAX(i.rv) AS rv, "
        "kv.deleted AS deleted, kv.value AS value FROM ix.keys i JOIN kv ON kv.rv = i.rv "
        "WHERE i.grp = ?1 AND i.res = ?2 AND i.rv <= ?3";
    if (o.namespace_) sql += " AND i.ns = ?4";
    if (cont) sql += " AND (i.ns, i.name) > (?5, ?6)";
    sql += " GROUP BY i.ns, i.name) WHERE deleted = 0 ORDER BY ns, name";
    auto cached = db.cached(sql);
    if (!cached) return tl::unexpected(cached.error());
    Stmt* st = &**cached;
    st->bind(1, o.resource.group).bind(2, o.resource.resource).bind(3, out.resource_version);
    if (o.namespace_) st->bind(4, *o.namespace_);
    if (cont) st->bind(5, cont->ns).bind(6, cont->name);
    const bool filtered = !o.label_selector.empty() || !o.field_selector.empty();
    std::string last_ns, last_name;
    std::int64_t count = 0;
    while (true) {
      auto r = st->step();
      if (!r) return tl::unexpected(r.error());
      if (!*r) break;
      const std::string_view text = st->column_text(3);
      std::optional<json> value;
      if (filtered || !o.raw) {
        auto parsed = parse_value(text);
        if (!parsed) return tl::unexpected(parsed.error());
        if (filtered && !(o.label_selector.matches_object(*parsed) &&
                          o.field_selector.matches_object(*parsed))) {
          continue;
        }
        value = std::move(*parsed);
      }
      if (o.limit > 0 && count == o.limit) {
        // One more match exists: this page ends at the previous item.
        out.continue_token = encode_continue({out.resource_version, last_ns, last_name});
        break;
      }
      last_ns = st->column_text(0);
      last_name = st->column_text(1);
      if (o.raw) {
        out.raw_items.emplace_back(text);
      } else {
        out.items.push_back(std::move(*value));
      }
      ++count;
    }
    return out;
  }

  StoreOptions options_;
  std::shared_ptr<WatchHub> hub_;
  std::string db_path_;
  std::string index_path_;
  int lock_fd_ = -1;

  // Writer thread state (only the writer touches these after open()).
  std::unique_ptr<Db> writer_db_;
  std::mt19937_64 rng_;
  std::int64_t rv_ = 0;
  std::int64_t compact_rv_ = 0;
  std::int64_t new_compact_rv_ = 0;
  std::int64_t pending_compact_rv_ = 0;
  std::chrono::steady_clock::time_point next_compaction_;
  std::vector<HubEvent> events_;  // of the current batch
  bool op_wrote_ = false;         // the current op's insert() has changed the database
  std::thread writer_;

  // The newest durable RV: what readers see and what current_resource_version() reports.
  std::atomic<std::int64_t> committed_rv_{0};

  // Between the writer and the sync thread.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;     // work for the syncer; room for the writer
  std::deque<CommittedBatch> to_sync_;  // committed, waiting for an fsync (at most one)
  bool writer_done_ = false;
  std::thread syncer_;
  int wal_fd_ = -1;
  // Set by the sync thread when an fsync failed (guarded by sync_mu_); never cleared.
  std::optional<Status> sync_failed_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;

  // Idle reader connections kept for reuse (each keeps its prepared statements). As many as the
  // concurrent requests of a busy client set, so that a burst never pays for opening one.
  static constexpr std::size_t kMaxIdleReaders = 64;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Db>> readers_;

  // The newest committed state of every namespace, kept by the writer thread (exact: updated
  // after each commit, before its writes are acknowledged). Every namespaced create reads its
  // namespace (admission); from SQLite that read cost more than the create's own write.
  std::shared_mutex namespaces_mu_;
  std::unordered_map<std::string, std::shared_ptr<const json>> namespaces_;
};

}  // namespace detail

// ------------------------------------------------------------------ Store

Store::Store(std::unique_ptr<detail::StoreImpl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  auto impl = std::make_unique<detail::StoreImpl>(options);
  if (auto r = impl->open(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<nlohmann::json> Store::create(const ResourceRef& resource, const std::string& namespace_,
                                     nlohmann::json object, const WriteOptions& options) {
  auto r = commit_create(resource, namespace_, std::move(object), options);
  if (!r) return tl::unexpected(r.error());
  return *r->object;
}

Result<Committed> Store::commit_create(const ResourceRef& resource, const std::string& namespace_,
                                       nlohmann::json object, const WriteOptions& options) {
  auto* impl = impl_.get();
  auto prepared = impl->prepare_create(resource, namespace_, std::move(object), options);
  if (!prepared) return tl::unexpected(prepared.error());
  return impl->submit([impl, &prepared] { return impl->do_create(*prepared); }, true);
}

Result<nlohmann::json> Store::get(const ObjectKey& key) { return impl_->get(key); }
std::shared_ptr<const nlohmann::json> Store::find_namespace(const std::string& name) {
  return impl_->find_namespace(name);
}

Result<nlohmann::json> Store::update(const ObjectKey& key, nlohmann::json object,
                                     const WriteOptions& options) {
  return update_with(
      key, [&object](const nlohmann::json&) -> Result<nlohmann::json> { return object; }, options);
}

Result<nlohmann::json> Store::update_with(const ObjectKey& key, Mutator mutate,
                                          const WriteOptions& options) {
  auto r = commit_update(key, std::move(mutate), options);
  if (!r) return tl::unexpected(r.error());
  return *r->object;
}

Result<Committed> Store::commit_update(const ObjectKey& key, Mutator mutate,
                                       const WriteOptions& options) {
  auto* impl = impl_.get();
  return impl->submit(
      [impl, &key, &mutate, &options] { return impl->do_update(key, mutate, options); }, true);
}

Result<nlohmann::json> Store::remove(const ObjectKey& key, const DeletePreconditions& pre) {
  auto* impl = impl_.get();
  auto r = impl->submit([impl, &key, &pre] { return impl->do_remove(key, pre); }, true);
  if (!r) return tl::unexpected(r.error());
  return *r->object;
}

Result<ListResult> Store::list(const ListOptions& options) { return impl_->list(options); }

Result<std::unique_ptr<Watch>> Store::watch(const WatchOptions& options) {
  return impl_->watch(options, this);
}

std::int64_t Store::current_resource_version() const { return impl_->current_rv(); }

std::int64_t Store::oldest_watchable_resource_version() const { return impl_->oldest_watchable(); }

Result<void> Store::compact(std::int64_t rv) {
  auto* impl = impl_.get();
  auto r = impl->submit([impl, rv] { return impl->do_compact(rv); }, false);
  if (!r) return tl::unexpected(r.error());
  return {};
}

std::string new_object_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  unsigned char b[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

std::string rfc3339_now() {
  // Seconds only, so each thread formats the time once per second (every write asks for it).
  thread_local std::time_t formatted = -1;
  thread_local char text[32];
  const std::time_t t = std::time(nullptr);
  if (t != formatted) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    formatted = t;
  }
  return text;
}

}  // namespace cairn::apiserver
