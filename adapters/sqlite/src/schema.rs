//! Opening a data directory: checks that change nothing, then the forward migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Version `n` is reached by applying
//! [`MIGRATIONS`]`[n - 1]`, each in its own transaction with the version bump, so a crash
//! during a migration leaves the previous version intact. A database with a version this
//! build does not know is refused before anything is written, as is a damaged file or a
//! database of another program.

use std::io::Write;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{OpenError, StoreError};

/// The database file inside the data directory.
pub const DB_FILE: &str = "quiz.db";

/// Each migration, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: the catalog, the registry, the archive, hosted games and settings.
    "
    CREATE TABLE quizzes (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        questions INTEGER NOT NULL,
        status TEXT NOT NULL,   -- what counts: the body keeps the status it was created with
        body TEXT NOT NULL      -- the quiz as JSON (its definition, answer keys included)
    ) WITHOUT ROWID;
    CREATE TABLE player_counters (
        quiz TEXT PRIMARY KEY,
        issued INTEGER NOT NULL,  -- the highest n of an issued or restored id p<n>
        players INTEGER NOT NULL  -- rows in players for the quiz
    ) WITHOUT ROWID;
    CREATE TABLE players (
        quiz TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (quiz, id)
    ) WITHOUT ROWID;
    -- Names taken, case-folded; only ever added (see PlayerRegistry::restore).
    CREATE TABLE player_names (
        quiz TEXT NOT NULL,
        folded TEXT NOT NULL,
        PRIMARY KEY (quiz, folded)
    ) WITHOUT ROWID;
    CREATE TABLE standings (
        quiz TEXT NOT NULL,
        player TEXT NOT NULL,
        name TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        total INTEGER NOT NULL,
        answers INTEGER NOT NULL,
        reached_at INTEGER NOT NULL,
        PRIMARY KEY (quiz, player)
    ) WITHOUT ROWID;
    CREATE TABLE results (
        quiz TEXT NOT NULL,
        player TEXT NOT NULL,
        question TEXT NOT NULL,
        correct INTEGER NOT NULL,
        points INTEGER NOT NULL,
        streak INTEGER NOT NULL,
        at INTEGER NOT NULL,
        elapsed_ms INTEGER,
        PRIMARY KEY (quiz, player, question)
    ) WITHOUT ROWID;
    CREATE TABLE games (
        quiz TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL     -- the GameState as JSON
    ) WITHOUT ROWID;
    CREATE TABLE game_answers (
        quiz TEXT NOT NULL,
        question INTEGER NOT NULL,
        player TEXT NOT NULL,
        text TEXT,              -- a typed answer, normalised; NULL for picked options
        picks INTEGER NOT NULL, -- the options picked, bit i = option i
        correct INTEGER NOT NULL,
        points INTEGER NOT NULL,
        elapsed_ms INTEGER NOT NULL,
        PRIMARY KEY (quiz, question, player)
    ) WITHOUT ROWID;
    CREATE TABLE game_answer_counts (
        quiz TEXT NOT NULL,
        question INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        PRIMARY KEY (quiz, question)
    ) WITHOUT ROWID;
    CREATE TABLE game_removed (
        quiz TEXT NOT NULL,
        player TEXT NOT NULL,
        PRIMARY KEY (quiz, player)
    ) WITHOUT ROWID;
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: the library: each quiz's mode in a column (search lists it), and the ids of
    // deleted quizzes, which stay taken.
    "
    ALTER TABLE quizzes ADD COLUMN mode TEXT NOT NULL DEFAULT 'self_paced';
    UPDATE quizzes SET mode = coalesce(json_extract(body, '$.mode'), 'self_paced');
    CREATE TABLE deleted_quizzes (
        id TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    ",
    // 3: images on questions, content-addressed (id = SHA-256 of the bytes, hex). A rowid
    // table: its rows are large, and a WITHOUT ROWID table suits small rows only.
    "
    CREATE TABLE media (
        id TEXT PRIMARY KEY,
        content_type TEXT NOT NULL,
        bytes BLOB NOT NULL
    );
    ",
    // 4: live hosted games' PINs (a row whose `until` has passed is dead and is dropped by
    // the next claim that meets it).
    "
    CREATE TABLE game_pins (
        pin TEXT PRIMARY KEY,
        quiz TEXT NOT NULL UNIQUE,
        until INTEGER NOT NULL      -- ms since the Unix epoch
    ) WITHOUT ROWID;
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Creates the directory if needed and proves a file can be written in it.
pub(crate) fn check_dir(dir: &Path) -> Result<(), OpenError> {
    let not_writable = |action| {
        move |source| OpenError::NotWritable {
            dir: dir.to_owned(),
            action,
            source,
        }
    };
    if !dir.is_dir() {
        // Only its owner may read it: the database holds the token secret.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(not_writable("create it"))?;
    }
    // SQLite needs to create its -wal and -shm files next to the database.
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut f| f.write_all(b"probe"));
    let _ = std::fs::remove_file(&probe);
    written.map_err(not_writable("write a file in it"))
}

/// Whether `e` says the file is not a database or is damaged.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Opens (creating if missing) the database at `path`, checks it and migrates it forward.
/// Returns the writing connection and whether the file was created now.
pub(crate) fn open_writer(path: &Path) -> Result<(Connection, bool), OpenError> {
    let created = !path.exists();
    let sqlite = |source: StoreError| OpenError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite(StoreError::sql("open")(e)))?;
    let damaged = |e: rusqlite::Error| {
        if is_damage(&e) {
            OpenError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        } else {
            sqlite(StoreError::sql("check")(e))
        }
    };
    // Reads only, until every check has passed.
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(damaged)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(damaged)?;
    let check: String = conn
        .pragma_query_value(None, "quick_check", |r| r.get(0))
        .map_err(damaged)?;
    if check != "ok" {
        return Err(OpenError::Corrupt {
            path: path.to_owned(),
            reason: check,
        });
    }
    if version > SCHEMA_VERSION {
        return Err(OpenError::Newer {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == 0 && tables > 0 {
        return Err(OpenError::Foreign {
            path: path.to_owned(),
        });
    }
    crate::db::configure_writer(&conn).map_err(sqlite)?;
    migrate(&conn, version).map_err(sqlite)?;
    Ok((conn, created))
}

fn migrate(conn: &Connection, from: i64) -> Result<(), StoreError> {
    for (n, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(from).unwrap_or(0))
    {
        let to = n as i64 + 1;
        let tx = conn
            .unchecked_transaction()
            .map_err(StoreError::sql("begin migration"))?;
        tx.execute_batch(sql).map_err(StoreError::sql("migrate"))?;
        tx.pragma_update(None, "user_version", to)
            .map_err(StoreError::sql("set user_version"))?;
        tx.commit().map_err(StoreError::sql("commit migration"))?;
        tracing::info!(version = to, "SQLite schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

    use super::*;

    #[test]
    fn schema_2_reads_each_stored_quizs_mode_from_its_body() {
        // A a version-1 database holding two quizzes, as an earlier build wrote them.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO quizzes (id, title, questions, status, body) VALUES
                ('h', 'H', 1, 'open', '{\"id\":\"h\",\"mode\":\"hosted\"}'),
                ('s', 'S', 1, 'open', '{\"id\":\"s\"}');",
        )
        .unwrap();
        migrate(&conn, 1).unwrap();
        let modes: Vec<(String, String)> = conn
            .prepare("SELECT id, mode FROM quizzes ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            modes,
            [
                ("h".into(), "hosted".into()),
                ("s".into(), "self_paced".into())
            ]
        );
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let deleted: i64 = conn
            .query_row("SELECT count(*) FROM deleted_quizzes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(deleted, 0);
    }
}
