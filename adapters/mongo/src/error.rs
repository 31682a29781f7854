//! This adapter's error type and the classification of driver errors.
//!
//! Every driver error is translated here, at the seam: the ports receive a [`MongoError`]
//! boxed as their opaque `Unavailable` source, so no `mongodb` type reaches a caller. The
//! one driver outcome that is *not* a failure, a duplicate key, is recognised by
//! [`is_duplicate_key`] and turned into its documented meaning by each caller.

use mongodb::error::{Error as DriverError, ErrorKind, WriteFailure};

use quiz_core::ports::{ArchiveError, CatalogError, Source};

/// The server error code for a duplicate key (`E11000`). MongoDB reports it for inserts,
/// upserts and `findAndModify`; FerretDB 1.x reports the same code for a duplicate `_id`
/// (as a write error for `insert`/`update`, as a command error for `findAndModify`).
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// What went wrong in this adapter, outside the ports' own domain outcomes.
///
/// The ports carry it boxed inside their `Unavailable` variant; [`MongoStore`] constructors
/// return it directly.
///
/// [`MongoStore`]: crate::MongoStore
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MongoError {
    /// The URL, database name or options were refused before any I/O.
    #[error("invalid MongoDB configuration: {reason}")]
    Config {
        /// What was wrong.
        reason: String,
        /// The underlying parse error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// The server could not be reached, or refused or failed an operation.
    #[error("MongoDB {op} failed")]
    Unavailable {
        /// The operation that failed, e.g. `"insert into quizzes"`.
        op: &'static str,
        /// The driver's error, kept opaque.
        #[source]
        source: Source,
    },
    /// A stored document could not be read back as a valid domain value (it was written by
    /// something else, or edited by hand). Never a panic: the port reports `Unavailable`.
    #[error("stored {what} is invalid: {reason}")]
    Corrupt {
        /// Which document, e.g. `quiz "q1" in quizzes`.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// A value could not be encoded as BSON (a number past `i64::MAX`).
    #[error("cannot encode {what} as BSON: {reason}")]
    Encode {
        /// What was being written.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
}

impl MongoError {
    /// Wraps a driver error with the operation it came from.
    pub(crate) fn driver(op: &'static str, e: DriverError) -> Self {
        Self::Unavailable {
            op,
            source: Box::new(e),
        }
    }
}

impl From<MongoError> for CatalogError {
    fn from(e: MongoError) -> Self {
        CatalogError::Unavailable(Box::new(e))
    }
}

impl From<MongoError> for ArchiveError {
    fn from(e: MongoError) -> Self {
        ArchiveError::Unavailable(Box::new(e))
    }
}

/// True when the server refused a single-document write because the key already exists.
///
/// A write-concern error is never a duplicate: the write happened but its durability was
/// not confirmed, which is a failure.
pub(crate) fn is_duplicate_key(e: &DriverError) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        _ => false,
    }
}
