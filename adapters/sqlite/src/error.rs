//! The adapter's errors: what went wrong at run time ([`StoreError`], carried opaquely in
//! the ports' `Unavailable` variants) and why a data directory cannot be opened
//! ([`OpenError`], for the server's start-up message).

use std::path::PathBuf;

/// A failure of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused a statement.
    #[error("SQLite, {op}: {source}")]
    Sqlite {
        /// What was being done.
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The group commit that carried this operation failed: nothing of it was kept.
    #[error("SQLite commit failed: {0}")]
    Commit(String),
    /// A stored row does not decode (the file was changed by something else).
    #[error("stored {what} is not valid: {reason}")]
    Corrupt {
        /// The row.
        what: String,
        /// Why.
        reason: String,
    },
    /// A value cannot be encoded for storage.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// The value.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The writer thread has stopped (the store is shutting down).
    #[error("the SQLite writer has stopped")]
    Stopped,
    /// A read task could not run or panicked.
    #[error("a SQLite read task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// A `map_err` helper: a SQLite error during `op`.
    pub(crate) fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Sqlite { op, source }
    }
}

/// Why a data directory cannot be opened. Nothing in it was changed in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory cannot be created, or a file cannot be written in it.
    #[error("the data directory {} is not writable ({action}: {source})", dir.display())]
    NotWritable {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The database file is not a SQLite database, or is damaged.
    #[error(
        "{} is damaged or not a SQLite database ({reason}); it was left as it is: restore a backup (README, \"Backups\") or move it away to start empty", path.display()
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        reason: String,
    },
    /// The database holds tables of another program.
    #[error(
        "{} is a SQLite database of another program (it has tables but no quiz-server schema version); it was left as it is", path.display()
    )]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// The database was written by a newer quiz-server.
    #[error(
        "{} has schema version {found}, newer than this quiz-server knows ({supported}); it was left as it is: run the newer quiz-server", path.display()
    )]
    Newer {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// Another SQLite failure while opening or migrating.
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: StoreError,
    },
}
