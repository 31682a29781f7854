//! Opening a data directory: first start, reopening, refusals that change nothing, and the
//! backup.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use quiz_core::media::ImageKind;
use quiz_core::ports::{MediaStore, PlayerRegistry, QuizCatalog, ScoreArchive};
use quiz_core::{QuizStatus, Timestamp};
use quiz_sqlite::{BackupError, DB_FILE, OpenError, SCHEMA_VERSION, SqliteStore};

mod common;

use common::fresh_dir;
use quiz_conformance::fixtures::{name, quiz};
use quiz_conformance::unique_quiz;

/// What a second open of the same directory finds: everything the first one stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_reopened_directory_has_everything() {
    let dir = fresh_dir("reopen");
    let first = SqliteStore::open(&dir).unwrap();
    assert!(first.created());
    // Created for its owner only: the database holds the token secret.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }
    let q = unique_quiz("reopen");
    first.create(&quiz(q.clone(), 2)).await.unwrap();
    first.set_status(&q, QuizStatus::Closed).await.unwrap();
    let ann = first
        .join(&q, &name("Ann"), Timestamp(5), 10)
        .await
        .unwrap();
    first
        .apply(&quiz_conformance::archive::events(&q))
        .await
        .unwrap();
    let secret = first
        .setting_or_insert("token_secret", || "s1".into())
        .await
        .unwrap();
    let image = quiz_conformance::media::unique_media();
    MediaStore::put(&first, &image, ImageKind::Gif, b"GIF89a...")
        .await
        .unwrap();
    let gone = unique_quiz("reopen-gone");
    first.create(&quiz(gone.clone(), 1)).await.unwrap();
    first.delete(&gone).await.unwrap();
    first.close();
    drop(first);

    let again = SqliteStore::open(&dir).unwrap();
    assert!(!again.created());
    assert_eq!(
        QuizCatalog::get(&again, &q)
            .await
            .unwrap()
            .unwrap()
            .status(),
        QuizStatus::Closed
    );
    assert_eq!(
        PlayerRegistry::get(&again, &q, &ann.id).await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(again.players(&q).await.unwrap(), vec![ann]);
    assert_eq!(again.standings(&q).await.unwrap().len(), 2);
    let kept = again
        .setting_or_insert("token_secret", || "s2".into())
        .await
        .unwrap();
    assert_eq!(kept, secret);
    // Images, and the ids of deleted quizzes (still taken).
    let stored = MediaStore::get(&again, &image).await.unwrap().unwrap();
    assert_eq!(
        (stored.kind, stored.bytes.as_slice()),
        (ImageKind::Gif, &b"GIF89a..."[..])
    );
    assert!(matches!(
        again.create(&quiz(gone.clone(), 1)).await,
        Err(quiz_core::ports::CatalogError::AlreadyExists)
    ));
    // The next id continues from the stored counter.
    let ben = again
        .join(&q, &name("Ben"), Timestamp(6), 10)
        .await
        .unwrap();
    assert_eq!(ben.id.as_str(), "p2");
}

fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A file that is not a database is refused, and left byte for byte as it was.
#[test]
fn a_corrupt_file_is_refused_and_kept() {
    let dir = fresh_dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(DB_FILE);
    std::fs::write(
        &db,
        b"this is not a database, it is a shopping list ".repeat(200),
    )
    .unwrap();
    let before = bytes(&db);
    let err = SqliteStore::open(&dir).err().expect("refused");
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("left as it is"), "{err}");
    assert_eq!(bytes(&db), before);
}

/// A database whose pages were damaged after its header is refused too.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_is_refused_and_kept() {
    let dir = fresh_dir("damaged");
    let store = SqliteStore::open(&dir).unwrap();
    let q = unique_quiz("damaged");
    store.create(&quiz(q, 30)).await.unwrap();
    store.close();
    drop(store);
    // Fold the write-ahead log in, so the damage below is in the file that is read.
    let c = rusqlite_free_checkpoint(&dir);
    assert!(c);
    let db = dir.join(DB_FILE);
    let mut raw = bytes(&db);
    assert!(raw.len() > 4096 * 2, "{}", raw.len());
    for b in &mut raw[4096 + 8..4096 * 2] {
        *b = 0x5a;
    }
    std::fs::write(&db, &raw).unwrap();
    let err = SqliteStore::open(&dir).err().expect("refused");
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    assert_eq!(bytes(&db), raw);
}

/// Reopening once and closing folds the WAL into the database file (SQLite checkpoints
/// when its last connection closes). Returns whether the WAL is gone.
fn rusqlite_free_checkpoint(dir: &std::path::Path) -> bool {
    let store = SqliteStore::open(dir).unwrap();
    store.close();
    drop(store);
    // The writer thread closes its connection once its queue is closed and empty; its
    // checkpoint (an fsync of the database) can take seconds on a busy disk, so the wait
    // is bounded generously (it ends as soon as the WAL is gone; 2 s flaked in CI).
    let wal = dir.join(format!("{DB_FILE}-wal"));
    for _ in 0..1500 {
        if !wal.exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

/// A database written by a newer version is refused before anything is written.
#[test]
fn a_newer_schema_is_refused_and_kept() {
    let dir = fresh_dir("newer");
    let store = SqliteStore::open(&dir).unwrap();
    store.close();
    drop(store);
    assert!(rusqlite_free_checkpoint(&dir));
    let db = dir.join(DB_FILE);
    // user_version is the big-endian u32 at offset 60 of the header.
    let mut raw = bytes(&db);
    let newer = u32::try_from(SCHEMA_VERSION + 1).unwrap();
    raw[60..64].copy_from_slice(&newer.to_be_bytes());
    std::fs::write(&db, &raw).unwrap();
    let err = SqliteStore::open(&dir).err().expect("refused");
    match &err {
        OpenError::Newer {
            found, supported, ..
        } => assert_eq!((*found, *supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
    assert_eq!(bytes(&db), raw);
}

/// A directory that cannot be created, or one that exists but cannot be written to (even
/// by root: /proc), is refused with the directory named.
#[test]
fn an_unwritable_directory_is_refused() {
    let parent = fresh_dir("unwritable");
    std::fs::create_dir_all(&parent).unwrap();
    let file = parent.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for dir in [file.join("data"), std::path::PathBuf::from("/proc/1")] {
        let err = SqliteStore::open(&dir).err().expect("refused");
        assert!(matches!(err, OpenError::NotWritable { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&dir.display().to_string()),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

/// The backup is a database with everything in it, taken while the store is open and
/// writing; it never overwrites a file.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_is_a_consistent_copy_and_never_overwrites() {
    let dir = fresh_dir("backup");
    let store = SqliteStore::open(&dir).unwrap();
    let q = unique_quiz("backup");
    store.create(&quiz(q.clone(), 3)).await.unwrap();
    store
        .join(&q, &name("Ann"), Timestamp(1), 10)
        .await
        .unwrap();
    // Writes keep going while the copy is taken.
    let writer = {
        let store = store.clone();
        let q = q.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                store
                    .join(&q, &name(&format!("n{i}")), Timestamp(2), 1_000)
                    .await
                    .unwrap();
            }
        })
    };
    let out = fresh_dir("backup-out");
    std::fs::create_dir_all(&out).unwrap();
    let file = out.join("copy.db");
    quiz_sqlite::backup(&dir, &file).unwrap();
    writer.await.unwrap();
    let again = quiz_sqlite::backup(&dir, &file).expect_err("refused");
    assert!(matches!(again, BackupError::Exists(_)), "{again:?}");
    // A second copy through the running store, too.
    let file2 = out.join("copy2.db");
    store.backup_to(&file2).await.unwrap();

    // Restoring: the copy becomes the database of a new data directory.
    for copy in [&file, &file2] {
        let restored = fresh_dir("restored");
        std::fs::create_dir_all(&restored).unwrap();
        std::fs::copy(copy, restored.join(DB_FILE)).unwrap();
        let back = SqliteStore::open(&restored).unwrap();
        assert_eq!(
            QuizCatalog::get(&back, &q)
                .await
                .unwrap()
                .unwrap()
                .questions()
                .len(),
            3
        );
        let players = back.count(&q).await.unwrap();
        assert!((1..=201).contains(&players), "{players}");
        assert_eq!(back.players(&q).await.unwrap().len() as u64, players);
    }
    let none = quiz_sqlite::backup(&fresh_dir("empty"), &out.join("x.db")).expect_err("refused");
    assert!(matches!(none, BackupError::NoDatabase(_)), "{none:?}");
}
