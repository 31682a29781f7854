//! Connections: one writer thread that commits in groups, and a pool of readers.
//!
//! # Group commit
//!
//! Every write is a job sent to one thread that owns the only writing connection. The
//! thread takes the first job waiting, then everything else already queued (up to
//! [`MAX_GROUP`]), runs them in one transaction, each inside its own savepoint (a job that
//! fails is rolled back alone), commits once, and only then answers each job. So an
//! answer's acknowledgement waits for a commit that is on disk, and the cost of that
//! commit (with `synchronous=FULL`, an `fsync` of the write-ahead log) is shared by every
//! answer that arrived while the previous commit was being written: the busier the
//! server, the larger the groups. No timer is involved: a lone job commits at once.
//!
//! One writer also makes every job atomic with respect to the others, which is what
//! "check then write" operations (a join under the player limit, a compare-and-set) need.
//!
//! # Reads
//!
//! Reads run on pooled read-only connections through `spawn_blocking`, so the async
//! runtime never waits for SQLite. In WAL mode readers do not block the writer nor it them,
//! and a read started after a write was acknowledged sees it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::error::StoreError;

/// Most jobs committed together. Large enough that a burst shares one `fsync`; small
/// enough that the first job of a group does not wait long for the last.
pub(crate) const MAX_GROUP: usize = 512;

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// How long a connection waits for a lock held by another process (a backup, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A write job: runs in the group's transaction, then is told whether the group committed.
trait Job: Send {
    fn run(&mut self, conn: &Connection);
    fn finish(self: Box<Self>, committed: Result<(), &str>);
}

struct Task<T, F> {
    f: Option<F>,
    out: Option<Result<T, StoreError>>,
    tx: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) {
        let Some(f) = self.f.take() else { return };
        // These run for every job: prepared once and cached, not parsed each time.
        let exec = |sql: &str| conn.prepare_cached(sql).and_then(|mut st| st.execute([]));
        if let Err(e) = exec("SAVEPOINT job") {
            self.out = Some(Err(StoreError::Sqlite {
                op: "savepoint",
                source: e,
            }));
            return;
        }
        let out = f(conn);
        let end = if out.is_ok() {
            exec("RELEASE job")
        } else {
            exec("ROLLBACK TO job").and_then(|_| exec("RELEASE job"))
        };
        self.out = Some(match (out, end) {
            (Ok(_), Err(e)) => Err(StoreError::Sqlite {
                op: "release savepoint",
                source: e,
            }),
            (out, _) => out,
        });
    }

    fn finish(self: Box<Self>, committed: Result<(), &str>) {
        let out = match committed {
            Ok(()) => self.out.unwrap_or(Err(StoreError::Stopped)),
            Err(e) => Err(StoreError::Commit(e.to_owned())),
        };
        // The caller may have gone away (its request was cancelled): nothing to tell.
        let _ = self.tx.send(out);
    }
}

/// The database: its writer thread and its readers.
pub(crate) struct Db {
    path: PathBuf,
    jobs: Mutex<Option<Sender<Box<dyn Job>>>>,
    readers: Mutex<Vec<Connection>>,
}

impl Db {
    /// Starts the writer thread on `writer` (already configured and migrated).
    pub(crate) fn start(path: &Path, writer: Connection) -> Result<Arc<Self>, std::io::Error> {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&writer, &rx))?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            jobs: Mutex::new(Some(tx)),
            readers: Mutex::new(Vec::new()),
        }))
    }

    /// The database file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in the next group commit and returns its result once that group is on
    /// disk. A job that fails is rolled back alone.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Task {
            f: Some(f),
            out: None,
            tx,
        });
        {
            let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            let sender = jobs.as_ref().ok_or(StoreError::Stopped)?;
            sender.send(job).map_err(|_| StoreError::Stopped)?;
        }
        rx.await.unwrap_or(Err(StoreError::Stopped))
    }

    /// Runs `f` on a read connection, off the async runtime.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = db.reader()?;
            let out = f(&conn);
            let mut idle = db.readers.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        if let Some(c) = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
        {
            return Ok(c);
        }
        open_reader(&self.path)
    }

    /// Stops taking writes; the writer thread commits what is queued and closes.
    pub(crate) fn close(&self) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// A read-only connection (`query_only`: a bug cannot write through it).
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::sql("open a read connection"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::sql("set busy timeout"))?;
    conn.pragma_update(None, "query_only", true)
        .map_err(StoreError::sql("set query_only"))?;
    Ok(conn)
}

/// A connection for `VACUUM INTO` (which `query_only` forbids, as it writes a file). It
/// changes nothing in the database: the copy is a read transaction.
pub(crate) fn open_for_backup(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::sql("open the database for a backup"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::sql("set busy timeout"))?;
    Ok(conn)
}

/// Sets the writing connection up: WAL, `synchronous=FULL` (see the crate docs for why).
pub(crate) fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::sql("set busy timeout"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .map_err(StoreError::sql("set journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt {
            what: "journal mode".into(),
            reason: format!("SQLite kept {mode:?} instead of WAL"),
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(StoreError::sql("set synchronous"))?;
    Ok(())
}

fn write_loop(conn: &Connection, rx: &Receiver<Box<dyn Job>>) {
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let committed = match conn.execute_batch("BEGIN IMMEDIATE") {
            Err(e) => Err(format!("begin: {e}")),
            Ok(()) => {
                for job in &mut group {
                    job.run(conn);
                }
                conn.execute_batch("COMMIT").map_err(|e| {
                    // Leave no transaction open for the next group.
                    let _ = conn.execute_batch("ROLLBACK");
                    format!("commit: {e}")
                })
            }
        };
        if let Err(e) = &committed {
            tracing::error!(error = %e, jobs = group.len(), "SQLite group commit failed");
        }
        for job in group.drain(..) {
            job.finish(committed.as_ref().map(|_| ()).map_err(String::as_str));
        }
    }
}
