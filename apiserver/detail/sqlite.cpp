#include "apiserver/detail/sqlite.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

namespace cairn::apiserver::detail {

Status sqlite_error(sqlite3* db, std::string_view what) {
  std::string msg = "storage: ";
  msg += what;
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  return Status{StatusCode::kInternal, std::move(msg)};
}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = sqlite_error(db_, "step");
  sqlite3_reset(stmt_);
  return tl::unexpected(std::move(s));
}

Result<void> Stmt::run() {
  while (true) {
    auto r = step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) break;
  }
  reset();
  return {};
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Stmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string_view Stmt::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

bool Stmt::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  // Memory statistics make every SQLite allocation take a process-wide mutex; nothing reads
  // them. Only possible before SQLite initializes (SQLITE_MISUSE after, which changes nothing).
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite_error(db, "open " + path);
    sqlite3_close(db);
    return tl::unexpected(std::move(s));
  }
  // Readers and the writer share the file; a reader may briefly wait for a checkpoint.
  sqlite3_busy_timeout(db, 10'000);
  return std::unique_ptr<Db>(new Db(db));
}

// close_v2: a statement still alive by mistake defers the close instead of leaking the handle.
Db::~Db() {
  cache_.clear();  // finalizes the cached statements
  sqlite3_close_v2(db_);
}

Result<void> Db::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = "storage: ";
    msg += sql;
    msg += ": ";
    msg += err ? err : "unknown error";
    sqlite3_free(err);
    return error(StatusCode::kInternal, std::move(msg));
  }
  return {};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return tl::unexpected(sqlite_error(db_, "prepare"));
  }
  return Stmt(db_, stmt);
}

Result<CachedStmt> Db::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db_, "prepare"));
    }
    it = cache_.emplace(std::string(sql), Stmt(db_, stmt)).first;
  }
  return CachedStmt(it->second);
}

Result<void> Db::run(std::string_view sql) {
  auto st = cached(sql);
  if (!st) return tl::unexpected(st.error());
  return (*st)->run();
}

}  // namespace cairn::apiserver::detail
