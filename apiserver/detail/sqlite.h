// Thin RAII wrappers over the SQLite C API: a connection (Db) and a prepared statement (Stmt).
//
// Errors become Status values (kInternal, with SQLite's message). A Db and the Stmts prepared
// on it must be used by one thread at a time (connections are opened with SQLITE_OPEN_NOMUTEX);
// a Stmt must not outlive its Db.
//
// Hot statements are prepared once per connection and kept (Db::cached, Db::run): preparing
// costs more than running the small statements of the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "apiserver/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cairn::apiserver::detail {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt();

  // Binds 1-based parameters.
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::string_view text);

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps to completion (for statements that return no rows) and resets.
  Result<void> run();
  void reset();  // resets and clears bindings

  std::int64_t column_int(int index) const;
  std::string_view column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A statement from a connection's cache, reset (and its bindings cleared) when the lease ends,
// so that it never keeps a read snapshot open while it waits in the cache.
class CachedStmt {
 public:
  explicit CachedStmt(Stmt& stmt) : stmt_(&stmt) {}
  CachedStmt(CachedStmt&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  CachedStmt& operator=(CachedStmt&&) = delete;
  ~CachedStmt() {
    if (stmt_) stmt_->reset();
  }
  Stmt* operator->() const { return stmt_; }
  Stmt& operator*() const { return *stmt_; }

 private:
  Stmt* stmt_;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs SQL text that may hold several statements (schema, pragmas), parsing it every time.
  Result<void> exec(const char* sql);
  Result<Stmt> prepare(std::string_view sql);
  // The statement `sql` (exactly one) prepared on first use and kept for the connection's life.
  Result<CachedStmt> cached(std::string_view sql);
  // Runs one statement that returns no rows (BEGIN, COMMIT, SAVEPOINT...) from the cache.
  Result<void> run(std::string_view sql);
  sqlite3* handle() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Looked up by the SQL text without copying it into a key.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };
  // Finalized by ~Db before the connection is closed.
  std::unordered_map<std::string, Stmt, SqlHash, std::equal_to<>> cache_;
};

Status sqlite_error(sqlite3* db, std::string_view what);

}  // namespace cairn::apiserver::detail
