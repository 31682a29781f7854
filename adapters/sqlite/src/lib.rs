//! # quiz-sqlite
//!
//! The durable embedded default: [`SqliteStore`] keeps the quiz catalog
//! ([`quiz_core::ports::QuizCatalog`]), the player registry
//! ([`quiz_core::ports::PlayerRegistry`]), the score archive
//! ([`quiz_core::ports::ScoreArchive`]), hosted games
//! ([`quiz_core::ports::GameStore`]), their PINs ([`quiz_core::pins::GamePins`]) and images
//! ([`quiz_core::ports::MediaStore`]) in one SQLite file, `quiz.db`, inside a data
//! directory. SQLite is compiled in (rusqlite's `bundled` feature): nothing to install.
//!
//! **What it is not**: a live scoreboard (that stays in memory, `quiz-memory`, and the
//! server rebuilds it from this archive at start), an event log (the server's embedded log
//! applies each event to this archive before the answer is acknowledged), or a store for
//! several server processes at once: one server owns a data directory (the backup command
//! may read it meanwhile).
//!
//! Durability: the database is in WAL mode with `synchronous=FULL`. Every write goes through
//! one writer thread that commits whatever is queued in one transaction (group commit, see
//! `db.rs`) and answers only after the commit, so an acknowledged write survives `kill -9`
//! of the process — `synchronous=NORMAL` would already give that in WAL mode — and, with
//! `FULL`, also a power cut or an operating-system crash, which on a teacher's laptop (a
//! battery running out) is the likelier loss. Grouping makes the `fsync` per commit cheap
//! per answer (BENCHMARKS.md, "Embedded: durable against memory").
//!
//! Opening ([`SqliteStore::open`]) creates the directory, checks that it is writable and
//! that the file is a healthy quiz-server database of a version this build knows, and
//! migrates the schema forward (`PRAGMA user_version`); any failure is an [`OpenError`] and
//! nothing is written. [`backup`] writes a consistent copy while a server runs
//! (`VACUUM INTO`).
//!
//! Tests: `cargo test -p quiz-sqlite` runs the shared conformance suite for each port on a
//! fresh database in a temporary directory, plus the opening and backup cases; no services.

mod archive;
mod catalog;
mod db;
mod error;
mod games;
mod media;
mod pins;
mod registry;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::{OpenError, StoreError};
pub use schema::{DB_FILE, SCHEMA_VERSION};

use quiz_core::{Player, PlayerId, PlayerName, QuizId, Timestamp};

use crate::db::Db;

/// The embedded store: every port it implements shares one database. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
    created: bool,
}

/// What the server needs besides the ports: read at open.
impl SqliteStore {
    /// Opens the database in `dir` (see the crate docs), creating both if missing.
    ///
    /// # Errors
    /// [`OpenError`] naming what is wrong; nothing was changed on disk.
    pub fn open(dir: &Path) -> Result<Self, OpenError> {
        schema::check_dir(dir)?;
        let path = dir.join(DB_FILE);
        let (writer, created) = schema::open_writer(&path)?;
        let db = Db::start(&path, writer).map_err(|source| OpenError::NotWritable {
            dir: dir.to_owned(),
            action: "start the writer thread",
            source,
        })?;
        Ok(Self { db, created })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Whether this open created the database (a first start).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The value of setting `key`, storing `make()` first if there is none (atomic: of two
    /// callers, both get the first value stored). The server keeps its token secret here.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String + Send + 'static,
    ) -> Result<String, StoreError> {
        let key = key.to_owned();
        self.db
            .write(move |c| {
                let found: Option<String> = c
                    .query_row("SELECT value FROM settings WHERE key = ?1", [&key], |r| {
                        r.get(0)
                    })
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
                    .map_err(StoreError::sql("read setting"))?;
                if let Some(v) = found {
                    return Ok(v);
                }
                let value = make();
                c.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                    (&key, &value),
                )
                .map_err(StoreError::sql("store setting"))?;
                Ok(value)
            })
            .await
    }

    /// Every registered player of `quiz`, in id order (the server puts them back on the
    /// live board at start, answers or not).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn players(&self, quiz: &QuizId) -> Result<Vec<Player>, StoreError> {
        let q = quiz.clone();
        let rows: Vec<(String, String, u64)> = self
            .db
            .read(move |c| {
                let mut st = c
                    .prepare_cached(
                        "SELECT id, name, joined_at FROM players WHERE quiz = ?1 ORDER BY id",
                    )
                    .map_err(StoreError::sql("list players"))?;
                let rows = st
                    .query_map([q.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(StoreError::sql("list players"))?;
                rows.collect::<Result<_, _>>()
                    .map_err(StoreError::sql("list players"))
            })
            .await?;
        rows.into_iter()
            .map(|(id, name, joined)| {
                Ok(Player {
                    quiz: quiz.clone(),
                    id: player_id(&id)?,
                    name: player_name(&name)?,
                    joined_at: Timestamp(joined),
                })
            })
            .collect()
    }

    /// Stops taking writes; what is queued is still committed. Later writes fail with
    /// [`StoreError::Stopped`].
    pub fn close(&self) {
        self.db.close();
    }

    /// Writes a consistent copy of the database to `to` (see [`backup`]).
    ///
    /// # Errors
    /// [`StoreError`]; nothing is written at `to` when it exists already.
    pub async fn backup_to(&self, to: &Path) -> Result<(), StoreError> {
        let (from, to) = (self.path().to_owned(), to.to_owned());
        tokio::task::spawn_blocking(move || vacuum_into(&db::open_for_backup(&from)?, &to))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Writes a consistent copy of the database in `dir` to the new file `to`, while a server
/// may be running on it: SQLite's `VACUUM INTO` reads one snapshot (a read transaction,
/// which in WAL mode does not stop the server's writes) and writes it compacted.
///
/// # Errors
/// [`BackupError`]: no database in `dir`, `to` exists already (it is not overwritten), or
/// SQLite failed.
pub fn backup(dir: &Path, to: &Path) -> Result<(), BackupError> {
    let path = dir.join(DB_FILE);
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path));
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    vacuum_into(&db::open_for_backup(&path)?, to)?;
    Ok(())
}

fn vacuum_into(c: &rusqlite::Connection, to: &Path) -> Result<(), StoreError> {
    let target = to.to_str().ok_or_else(|| StoreError::Encode {
        what: "backup file name",
        reason: "not valid UTF-8".into(),
    })?;
    // VACUUM INTO refuses an existing non-empty file, so a backup never overwrites one.
    c.execute("VACUUM INTO ?1", [target])
        .map_err(StoreError::sql("VACUUM INTO"))?;
    Ok(())
}

/// Why a backup could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory has no database.
    #[error("no database at {}", .0.display())]
    NoDatabase(PathBuf),
    /// The target exists.
    #[error("{} exists already; choose a new file (a backup never overwrites one)", .0.display())]
    Exists(PathBuf),
    /// SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn corrupt(what: impl Into<String>, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        reason: reason.to_string(),
    }
}

pub(crate) fn player_id(s: &str) -> Result<PlayerId, StoreError> {
    PlayerId::parse(s).map_err(|e| corrupt(format!("player id {s:?}"), e))
}

pub(crate) fn player_name(s: &str) -> Result<PlayerName, StoreError> {
    PlayerName::parse(s).map_err(|e| corrupt(format!("player name {s:?}"), e))
}

pub(crate) fn quiz_id(s: &str) -> Result<QuizId, StoreError> {
    QuizId::parse(s).map_err(|e| corrupt(format!("quiz id {s:?}"), e))
}

/// `QueryReturnedNoRows` as `None`.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> rusqlite::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e),
    }
}
