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
//! # Shared savepoints
//!
//! A savepoint per job costs two statements and, worse, a copy of every page the job
//! touches into the statement journal. Jobs that may run again without harm (written with
//! [`Db::write_shared`]: the archive's apply, which is idempotent) skip it when they come in
//! a run: consecutive shareable jobs of a group run under one savepoint. Should any of
//! them fail, that savepoint is rolled back and each job of the run runs again in its own
//! savepoint, so a failing job still rolls back alone and the others' results are those
//! of their own run. An answer's event is such a job, so under load a whole group of
//! answers costs one savepoint, its statements and one commit.
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

/// Prepared statements the writing connection keeps.
const WRITER_STATEMENTS: usize = 128;

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// How long a connection waits for a lock held by another process (a backup, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A write job: runs in the group's transaction, then is told whether the group committed.
trait Job: Send {
    /// Runs the job in its own savepoint.
    fn run(&mut self, conn: &Connection);
    /// Whether the job may run without its own savepoint inside a shared one, and run
    /// again if that is rolled back (see the module docs).
    fn shareable(&self) -> bool {
        false
    }
    /// Runs a shareable job with no savepoint of its own; `false` when it failed (the
    /// caller then rolls the shared savepoint back and runs the job again with [`run`]).
    ///
    /// [`run`]: Job::run
    fn run_bare(&mut self, conn: &Connection) -> bool {
        self.run(conn);
        true
    }
    fn finish(self: Box<Self>, committed: Result<(), &str>);
}

/// Runs `sql`, prepared once and cached (these run for every job or run of jobs).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql).and_then(|mut st| st.execute([]))
}

/// Runs `f` in the savepoint `job`: rolled back when `f` fails.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if let Err(e) = exec(conn, "SAVEPOINT job") {
        return Err(StoreError::Sqlite {
            op: "savepoint",
            source: e,
        });
    }
    let out = f(conn);
    let end = if out.is_ok() {
        exec(conn, "RELEASE job")
    } else {
        exec(conn, "ROLLBACK TO job").and_then(|_| exec(conn, "RELEASE job"))
    };
    match (out, end) {
        (Ok(_), Err(e)) => Err(StoreError::Sqlite {
            op: "release savepoint",
            source: e,
        }),
        (out, _) => out,
    }
}

/// Tells the caller how its job ended: its result once the group committed, else the
/// commit's error.
fn send_outcome<T>(
    tx: oneshot::Sender<Result<T, StoreError>>,
    out: Option<Result<T, StoreError>>,
    committed: Result<(), &str>,
) {
    let out = match committed {
        Ok(()) => out.unwrap_or(Err(StoreError::Stopped)),
        Err(e) => Err(StoreError::Commit(e.to_owned())),
    };
    // The caller may have gone away (its request was cancelled): nothing to tell.
    let _ = tx.send(out);
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
        self.out = Some(in_savepoint(conn, f));
    }

    fn finish(self: Box<Self>, committed: Result<(), &str>) {
        send_outcome(self.tx, self.out, committed);
    }
}

/// A job that may run again (see [`Db::write_shared`]).
struct SharedTask<T, F> {
    f: F,
    out: Option<Result<T, StoreError>>,
    tx: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for SharedTask<T, F>
where
    T: Send,
    F: Fn(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) {
        self.out = Some(in_savepoint(conn, &self.f));
    }

    fn shareable(&self) -> bool {
        true
    }

    fn run_bare(&mut self, conn: &Connection) -> bool {
        let out = (self.f)(conn);
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), &str>) {
        send_outcome(self.tx, self.out, committed);
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
        self.submit(Box::new(Task {
            f: Some(f),
            out: None,
            tx,
        }))?;
        rx.await.unwrap_or(Err(StoreError::Stopped))
    }

    /// As [`Db::write`], for a job that may run more than once in a group (it must have
    /// the same effect and result when run again after a rollback, as an idempotent
    /// upsert does): consecutive such jobs share one savepoint (see the module docs).
    pub(crate) async fn write_shared<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.submit(Box::new(SharedTask { f, out: None, tx }))?;
        rx.await.unwrap_or(Err(StoreError::Stopped))
    }

    fn submit(&self, job: Box<dyn Job>) -> Result<(), StoreError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = jobs.as_ref().ok_or(StoreError::Stopped)?;
        sender.send(job).map_err(|_| StoreError::Stopped)
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
    // Every statement the writer runs stays prepared (rusqlite keeps 16 by default; the
    // ports use more, and one evicted is parsed again on its next use).
    conn.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
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
                run_group(conn, &mut group);
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

/// Runs a group's jobs in order: each in its own savepoint, but runs of consecutive
/// shareable jobs under one (see the module docs).
fn run_group(conn: &Connection, group: &mut [Box<dyn Job>]) {
    let mut i = 0;
    while i < group.len() {
        let start = i;
        while i < group.len() && group[i].shareable() {
            i += 1;
        }
        match &mut group[start..i] {
            [] => {
                group[i].run(conn);
                i += 1;
            }
            [one] => one.run(conn),
            run => run_shared(conn, run),
        }
    }
}

/// Runs shareable jobs under one savepoint; when one fails (or the savepoint does), rolls
/// them all back and runs each in its own savepoint.
fn run_shared(conn: &Connection, run: &mut [Box<dyn Job>]) {
    if exec(conn, "SAVEPOINT jobs").is_ok() {
        let all_ok = run.iter_mut().all(|job| job.run_bare(conn));
        if all_ok && exec(conn, "RELEASE jobs").is_ok() {
            return;
        }
        // The jobs' own savepoints below report whatever is still wrong.
        let _ = exec(conn, "ROLLBACK TO jobs").and_then(|_| exec(conn, "RELEASE jobs"));
    }
    for job in run {
        job.run(conn);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

    use super::*;

    type Reply = oneshot::Receiver<Result<i64, StoreError>>;

    /// A shareable job inserting `n` into `t` (a failure when `n` is negative: it inserts,
    /// then fails, as a job whose second statement fails would).
    fn insert(n: i64) -> (Box<dyn Job>, Reply) {
        let (tx, rx) = oneshot::channel();
        let f = move |c: &Connection| {
            c.execute("INSERT OR IGNORE INTO t (n) VALUES (?1)", [n])
                .map_err(StoreError::sql("insert"))?;
            if n < 0 {
                return Err(StoreError::Stopped);
            }
            Ok(n)
        };
        (Box::new(SharedTask { f, out: None, tx }), rx)
    }

    /// An ordinary job doing the same.
    fn insert_once(n: i64) -> (Box<dyn Job>, Reply) {
        let (tx, rx) = oneshot::channel();
        let f = move |c: &Connection| {
            c.execute("INSERT INTO t (n) VALUES (?1)", [n])
                .map_err(StoreError::sql("insert"))?;
            Ok(n)
        };
        (
            Box::new(Task {
                f: Some(f),
                out: None,
                tx,
            }),
            rx,
        )
    }

    /// Runs `jobs` as one committed group; the rows of `t` and each job's reply.
    fn group(jobs: Vec<(Box<dyn Job>, Reply)>) -> (Vec<i64>, Vec<Result<i64, String>>) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .unwrap();
        let (mut jobs, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        run_group(&conn, &mut jobs);
        conn.execute_batch("COMMIT").unwrap();
        for job in jobs {
            job.finish(Ok(()));
        }
        let rows = conn
            .prepare("SELECT n FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let replies = replies
            .into_iter()
            .map(|mut rx| rx.try_recv().unwrap().map_err(|e| e.to_string()))
            .collect();
        (rows, replies)
    }

    #[test]
    fn a_run_of_shared_jobs_commits_them_all() {
        let (rows, replies) = group(vec![insert(1), insert(2), insert(3)]);
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(replies, [Ok(1), Ok(2), Ok(3)]);
    }

    #[test]
    fn a_failing_shared_job_rolls_back_alone() {
        let (rows, replies) = group(vec![
            insert(1),
            insert(-5),
            insert(2),
            insert_once(7),
            insert(3),
            insert(-6),
        ]);
        // The others' rows are in once, the failing jobs' rows are not.
        assert_eq!(rows, [1, 2, 3, 7]);
        assert_eq!(replies[0], Ok(1));
        assert!(replies[1].is_err());
        assert_eq!(replies[2], Ok(2));
        assert_eq!(replies[3], Ok(7));
        assert_eq!(replies[4], Ok(3));
        assert!(replies[5].is_err());
    }

    #[test]
    fn an_ordinary_job_between_shared_ones_keeps_its_own_savepoint() {
        // The second insert of 4 fails (primary key) and rolls back alone; the shared
        // runs around it commit.
        let (rows, replies) = group(vec![
            insert(1),
            insert(2),
            insert_once(4),
            insert_once(4),
            insert(3),
        ]);
        assert_eq!(rows, [1, 2, 3, 4]);
        assert_eq!(replies[..3], [Ok(1), Ok(2), Ok(4)]);
        assert!(replies[3].is_err());
        assert_eq!(replies[4], Ok(3));
    }
}
