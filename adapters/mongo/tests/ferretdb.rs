//! `quiz-mongo` against a real MongoDB-protocol server: the shared conformance suite plus
//! the cases only this adapter has (unreachable server, corrupted documents, convergence of
//! shuffled batches, the stored layout).
//!
//! The server is `QUIZ_TEST_MONGO_URL` (environment or `.services/env`; `cargo xtask
//! services up` starts FerretDB 1.24 on 127.0.0.1:27018). Without it every test fails; none
//! skips. Each test uses its own database, named `qm_<pid>_<nanos>_<n>`; databases of this
//! shape older than an hour are dropped by the first test of a run, so repeated runs do not
//! pile up SQLite files.

// Tests: a failed unwrap or expect is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mongodb::bson::{Document, doc};
use quiz_conformance::service_url;
use quiz_core::ports::{ArchiveError, CatalogError, QuizCatalog, ScoreArchive};
use quiz_core::{
    AnswerResult, ApplySummary, PlayerId, PlayerName, QuestionId, QuizId, QuizStatus, ScoreEvent,
    Timestamp,
};
use quiz_mongo::{MongoError, MongoOptions, MongoStore};

const DB_PREFIX: &str = "qm_";

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A database name no other test, in this process or another, uses.
fn unique_db() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{DB_PREFIX}{}_{:x}_{n}", std::process::id(), now_nanos())
}

fn url() -> String {
    service_url("QUIZ_TEST_MONGO_URL")
}

/// A raw driver client, for the tests that look at or tamper with stored documents.
async fn raw_client() -> mongodb::Client {
    mongodb::Client::with_uri_str(url()).await.unwrap()
}

/// Drops this suite's databases left by runs more than an hour old (once per process).
async fn sweep_old_databases() {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let client = raw_client().await;
    let Ok(names) = client.list_database_names().await else {
        client.shutdown().await;
        return; // Best effort: the test itself reports an unreachable server.
    };
    let hour_ago = now_nanos().saturating_sub(3_600 * 1_000_000_000);
    for name in names {
        let nanos = name
            .strip_prefix(DB_PREFIX)
            .and_then(|rest| rest.split('_').nth(1))
            .and_then(|hex| u128::from_str_radix(hex, 16).ok());
        if nanos.is_some_and(|t| t < hour_ago) {
            let _ = client.database(&name).drop().await;
        }
    }
    client.shutdown().await;
}

/// Stores built for the conformance macros, kept until the process exits.
///
/// A case consumes its port, so its last handle drops as the test's runtime shuts down.
/// The driver then spawns `endSessions` from `Client::drop`, and that task can panic inside
/// the driver when the runtime has already dropped the connection pool's worker (harmless,
/// but it prints a panic). Keeping a clone means the last handle never drops mid-shutdown.
/// The tests written here call `MongoStore::shutdown` instead, as the apps should.
static PARKED: std::sync::Mutex<Vec<MongoStore>> = std::sync::Mutex::new(Vec::new());

/// A fresh store for a conformance case, parked (see [`PARKED`]).
async fn parked_store() -> Arc<MongoStore> {
    let s = store().await;
    PARKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(s.clone());
    Arc::new(s)
}

/// A fresh store on its own database.
async fn store() -> MongoStore {
    sweep_old_databases().await;
    MongoStore::connect(&url(), &unique_db())
        .await
        .expect("connect to QUIZ_TEST_MONGO_URL (start it with `cargo xtask services up`)")
}

/// Drops a test's database (best effort; the sweep catches what is left) and shuts the
/// store down, as the apps do at exit.
async fn finish(store: MongoStore) {
    let raw = raw_client().await;
    let _ = raw.database(store.database()).drop().await;
    raw.shutdown().await;
    store.shutdown().await;
}

mod catalog {
    use super::*;
    quiz_conformance::catalog_suite!(parked_store());
}

mod archive {
    use super::*;
    quiz_conformance::archive_suite!(parked_store());
}

mod media {
    use super::*;
    quiz_conformance::media_suite!(parked_store());
}

fn qid(s: &str) -> QuizId {
    QuizId::parse(s).unwrap()
}
fn pid(s: &str) -> PlayerId {
    PlayerId::parse(s).unwrap()
}
fn question(s: &str) -> QuestionId {
    QuestionId::parse(s).unwrap()
}

/// A server that refuses connections yields `Unavailable` from the constructor and from
/// every port call, within a bounded time, and never hangs or panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable_within_the_timeout() {
    let opts = MongoOptions {
        server_selection_timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        ..MongoOptions::default()
    };
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    let dead = "mongodb://127.0.0.1:1/";
    let bound = Duration::from_secs(10);

    let t = Instant::now();
    let err = MongoStore::connect_with(dead, "quiz", &opts)
        .await
        .expect_err("nothing listens on port 1");
    let took = t.elapsed();
    println!("connect: {err} after {took:?}");
    assert!(matches!(err, MongoError::Unavailable { .. }), "{err:?}");
    assert!(took < bound, "connect took {took:?}");

    let store = MongoStore::lazy(dead, "quiz", &opts).await.unwrap();
    let quiz = qid("unreachable");

    let t = Instant::now();
    let got = store.get(&quiz).await;
    println!("get: {:?} after {:?}", got.as_ref().err(), t.elapsed());
    assert!(matches!(got, Err(CatalogError::Unavailable(_))), "{got:?}");
    assert!(t.elapsed() < bound);

    let t = Instant::now();
    let created = store
        .create(&quiz_conformance::fixtures::quiz(quiz.clone(), 1))
        .await;
    assert!(
        matches!(created, Err(CatalogError::Unavailable(_))),
        "{created:?}"
    );
    assert!(t.elapsed() < bound);

    let t = Instant::now();
    let applied = store.apply(&quiz_conformance::archive::events(&quiz)).await;
    assert!(
        matches!(applied, Err(ArchiveError::Unavailable(_))),
        "{applied:?}"
    );
    assert!(t.elapsed() < bound);

    let t = Instant::now();
    let standings = store.standings(&quiz).await;
    assert!(
        matches!(standings, Err(ArchiveError::Unavailable(_))),
        "{standings:?}"
    );
    assert!(t.elapsed() < bound);

    // The source chain names this adapter's operation, not a bare driver type.
    let Err(CatalogError::Unavailable(source)) = got else {
        unreachable!()
    };
    assert!(source.to_string().contains("MongoDB"), "{source}");
    assert!(store.ping().await.is_err());
    store.shutdown().await;
}

/// Bad URLs and database names are refused before any I/O.
#[tokio::test]
async fn bad_configuration_is_refused_up_front() {
    let opts = MongoOptions::default();
    for (url, db) in [
        ("not a url", "quiz"),
        ("mongodb://127.0.0.1:27017/", "bad.name"),
        ("mongodb://127.0.0.1:27017/", ""),
    ] {
        let got = MongoStore::lazy(url, db, &opts).await;
        assert!(
            matches!(got, Err(MongoError::Config { .. })),
            "{url} {db}: {got:?}"
        );
    }
}

/// `standings` of `quiz` fails with `Unavailable`; its source's message.
async fn unavailable_standings(store: &MongoStore, quiz: &QuizId) -> String {
    let got = store.standings(quiz).await;
    let Err(ArchiveError::Unavailable(source)) = &got else {
        panic!("expected Unavailable, got {got:?}");
    };
    println!("standings: {source}");
    source.to_string()
}

/// Documents that do not read back as valid domain values make the call fail with
/// `Unavailable` and a message naming the document; nothing panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_documents_are_unavailable_not_a_panic() {
    let store = store().await;
    let raw = raw_client().await;
    let db = raw.database(store.database());
    let quizzes = db.collection::<Document>("quizzes");
    quizzes
        .insert_many([
            // Fails validation: blank title, no questions.
            doc! { "_id": "empty", "id": "empty", "title": " ", "questions": [],
            "status": "open", "created_at": 1_i64, "question_count": 0_i64 },
            // Wrong types.
            doc! { "_id": "typed", "id": "typed", "title": 5, "status": "maybe" },
            // A valid quiz stored under another id.
            doc! { "_id": "moved", "id": "elsewhere", "title": "T",
            "questions": [{ "id": "q0", "prompt": "P?", "options": ["a", "b"],
                            "correct": 1, "points": 10, "time_limit_ms": 5_000 }],
            "scoring": { "kind": "fixed" }, "status": "open", "created_at": 1_i64,
            "question_count": 1_i64 },
        ])
        .await
        .unwrap();

    for id in ["empty", "typed", "moved"] {
        let got = store.get(&qid(id)).await;
        let Err(CatalogError::Unavailable(source)) = &got else {
            panic!("{id}: expected Unavailable, got {got:?}");
        };
        println!("get {id}: {source}");
        assert!(source.to_string().contains(id), "{source}");
    }
    // `typed` has no valid summary either, so listing fails the same way.
    let listed = store.list().await;
    assert!(
        matches!(listed, Err(CatalogError::Unavailable(_))),
        "{listed:?}"
    );

    // A standing with a negative total and an invalid player id.
    let quiz = qid("corrupt");
    db.collection::<Document>("standings")
        .insert_one(
            doc! { "_id": "corrupt/p1", "quiz": "corrupt", "player": "p 1",
            "name": "N", "total": -5_i64, "answers": 1_i64,
            "reached_at": 1_i64 },
        )
        .await
        .unwrap();
    unavailable_standings(&store, &quiz).await;

    // A result with only some of the standing fields.
    let quiz = qid("half");
    db.collection::<Document>("answers")
        .insert_one(doc! {
            "_id": "half/p1/q0", "event_id": "half/p1/q0", "quiz": "half", "player": "p1",
            "question": "q0", "correct": true, "points": 10_i64, "streak": 1_i64,
            "at": 1_i64, "total": 10_i64, "answers": 1_i64,
        })
        .await
        .unwrap();
    let source = unavailable_standings(&store, &quiz).await;
    assert!(source.contains("half"), "{source}");
    raw.shutdown().await;
    finish(store).await;
}

/// Connecting again to a database that has its indexes is fine, and the indexes are there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_are_created_idempotently() {
    let first = store().await;
    let again = MongoStore::connect(&url(), first.database()).await.unwrap();
    again.ensure_indexes().await.unwrap();
    again.ping().await.unwrap();
    let raw = raw_client().await;
    let db = raw.database(first.database());
    let standings = db
        .collection::<Document>("standings")
        .list_index_names()
        .await
        .unwrap();
    let answers = db
        .collection::<Document>("answers")
        .list_index_names()
        .await
        .unwrap();
    println!("standings: {standings:?}; answers: {answers:?}");
    assert!(standings.contains(&"quiz_1".to_owned()));
    assert!(answers.contains(&"quiz_1_player_1".to_owned()));
    raw.shutdown().await;

    // After shutdown, calls fail cleanly (no hang, no panic), on every clone.
    again.shutdown().await;
    let t = Instant::now();
    let got = again.get(&qid("after-shutdown")).await;
    println!("get after shutdown: {got:?} after {:?}", t.elapsed());
    assert!(matches!(got, Err(CatalogError::Unavailable(_))), "{got:?}");
    let clone = again.clone();
    assert!(matches!(
        clone.standings(&qid("after-shutdown")).await,
        Err(ArchiveError::Unavailable(_))
    ));
    finish(first).await;
}

/// The stored documents have the layout the crate documents (operators and other tools
/// read them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_have_the_documented_layout() {
    let store = store().await;
    let quiz = quiz_conformance::unique_quiz("layout");
    store
        .create(&quiz_conformance::fixtures::quiz(quiz.clone(), 2))
        .await
        .unwrap();
    store
        .apply(&quiz_conformance::archive::events(&quiz))
        .await
        .unwrap();
    let raw = raw_client().await;
    let db = raw.database(store.database());

    let q = db
        .collection::<Document>("quizzes")
        .find_one(doc! { "_id": quiz.as_str() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(q.get_i64("question_count").unwrap(), 2);
    let questions = q.get_array("questions").unwrap();
    let first = questions[0].as_document().unwrap();
    assert_eq!(
        first.get_i32("correct").unwrap(),
        1,
        "the answer key is stored"
    );

    let a = db
        .collection::<Document>("answers")
        .find_one(doc! { "_id": format!("{quiz}/a/q1") })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.get_str("event_id").unwrap(), format!("{quiz}/a/q1"));
    assert_eq!(a.get_str("question").unwrap(), "q1");
    assert!(a.get_bool("correct").unwrap());
    assert_eq!(a.get_i64("points").unwrap(), 20);
    assert_eq!(a.get_i64("streak").unwrap(), 2);
    // The standing the event reported travels with its result.
    assert_eq!(a.get_str("quiz").unwrap(), quiz.as_str());
    assert_eq!(a.get_str("player").unwrap(), "a");
    assert_eq!(a.get_str("name").unwrap(), "A");
    assert_eq!(a.get_i64("total").unwrap(), 30);
    assert_eq!(a.get_i64("answers").unwrap(), 2);
    assert_eq!(a.get_i64("reached_at").unwrap(), 1_700_000_000_000 + 2_000);
    assert_eq!(
        a.get_i64("joined_at").unwrap(),
        1_700_000_000_000 + 100,
        "the join time of player a in the fixture"
    );
    // Nothing writes the legacy `standings` collection any more.
    let legacy = db
        .collection::<Document>("standings")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(legacy, 0);
    raw.shutdown().await;
    finish(store).await;
}

/// An archive written by earlier versions (a `standings` document per player, without a
/// join time in the oldest; results without the standing fields) reads back, with join
/// time 0; new events for the same player raise the standing past it and keep the old
/// results. A result left without any standing (an earlier version's batch interrupted
/// between its two writes) is completed when its event is delivered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_standings_and_results_read_back_and_are_raised() {
    let store = store().await;
    let quiz = quiz_conformance::unique_quiz("old-standing");
    let raw = raw_client().await;
    let db = raw.database(store.database());
    db.collection::<Document>("standings")
        .insert_one(
            doc! { "_id": format!("{quiz}/a"), "quiz": quiz.as_str(), "player": "a",
            "name": "A", "total": 10_i64, "answers": 1_i64, "reached_at": 1_i64 },
        )
        .await
        .unwrap();
    let legacy_result = |p: &str| {
        doc! {
            "_id": format!("{quiz}/{p}/q0"), "event_id": format!("{quiz}/{p}/q0"),
            "quiz": quiz.as_str(), "player": p, "question": "q0", "correct": true,
            "points": 10_i64, "streak": 1_i64, "at": 1_i64,
        }
    };
    db.collection::<Document>("answers")
        .insert_many([legacy_result("a"), legacy_result("b")])
        .await
        .unwrap();
    raw.shutdown().await;
    // b's standing was never written: b is not reported yet.
    let st = store.standings(&quiz).await.unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(
        (
            st[0].player.as_str(),
            st[0].joined_at,
            st[0].total,
            st[0].results.len()
        ),
        ("a", Timestamp(0), 10, 1)
    );
    // Events 2 and 3 of player a raise the standing, join time included; the repeat of
    // event 1 completes its legacy result; so does b's first event, which makes b.
    let events = quiz_conformance::archive::events(&quiz);
    let summary = store.apply(&events[0..4]).await.unwrap();
    assert_eq!((summary.applied, summary.stale), (4, 0));
    let st = store.standings(&quiz).await.unwrap();
    assert_eq!(st.len(), 2);
    assert_eq!(
        (
            st[0].joined_at,
            st[0].answers,
            st[0].total,
            st[0].results.len()
        ),
        (quiz_conformance::archive::A_JOINED, 3, 60, 3)
    );
    assert_eq!(
        (
            st[1].player.as_str(),
            st[1].joined_at,
            st[1].answers,
            st[1].total
        ),
        ("b", quiz_conformance::archive::B_JOINED, 1, 10)
    );
    // Delivered again, nothing changes.
    let summary = store.apply(&events[0..4]).await.unwrap();
    assert_eq!((summary.applied, summary.stale), (0, 4));
    finish(store).await;
}

/// Each quiz has a small `quiz_status` document that every read reports; a quiz without
/// one (an earlier version created it) reports the status in its own document, and the
/// next status change adds it; a corrupted one fails the read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_live_in_their_own_small_documents() {
    let store = store().await;
    let raw = raw_client().await;
    let db = raw.database(store.database());
    let statuses = db.collection::<Document>("quiz_status");
    let id = quiz_conformance::unique_quiz("status-doc");
    store
        .create(&quiz_conformance::fixtures::quiz(id.clone(), 2))
        .await
        .unwrap();
    let doc_of = |id: &QuizId| {
        let statuses = statuses.clone();
        let id = id.as_str().to_owned();
        async move { statuses.find_one(doc! { "_id": id }).await.unwrap() }
    };
    assert_eq!(
        doc_of(&id).await.unwrap().get_str("status").unwrap(),
        "open"
    );
    store.set_status(&id, QuizStatus::Closed).await.unwrap();
    assert_eq!(
        doc_of(&id).await.unwrap().get_str("status").unwrap(),
        "closed"
    );

    // Where the two disagree (a status write that failed half-way), `quiz_status` wins
    // for every read.
    db.collection::<Document>("quizzes")
        .update_one(
            doc! { "_id": id.as_str() },
            doc! { "$set": { "status": "open" } },
        )
        .await
        .unwrap();
    assert_eq!(store.status(&id).await.unwrap(), Some(QuizStatus::Closed));
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Closed
    );
    let listed = store.list().await.unwrap();
    assert_eq!(
        listed.iter().find(|s| s.id == id).map(|s| s.status),
        Some(QuizStatus::Closed)
    );

    // A quiz from before `quiz_status`: its own status, until a change adds the document.
    statuses
        .delete_one(doc! { "_id": id.as_str() })
        .await
        .unwrap();
    assert_eq!(store.status(&id).await.unwrap(), Some(QuizStatus::Open));
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Open
    );
    store.set_status(&id, QuizStatus::Closed).await.unwrap();
    assert_eq!(
        doc_of(&id).await.unwrap().get_str("status").unwrap(),
        "closed"
    );
    assert_eq!(store.status(&id).await.unwrap(), Some(QuizStatus::Closed));

    // A status written while `create` was under way (a racing close) is not undone by it.
    let raced = quiz_conformance::unique_quiz("status-race");
    statuses
        .insert_one(doc! { "_id": raced.as_str(), "status": "closed" })
        .await
        .unwrap();
    store
        .create(&quiz_conformance::fixtures::quiz(raced.clone(), 1))
        .await
        .unwrap();
    assert_eq!(
        store.status(&raced).await.unwrap(),
        Some(QuizStatus::Closed)
    );

    // Unknown quizzes have no status and get no document.
    let unknown = qid("no-such-quiz");
    assert_eq!(store.status(&unknown).await.unwrap(), None);
    assert!(doc_of(&unknown).await.is_none());

    // A corrupted status document is Unavailable, naming it.
    statuses
        .update_one(
            doc! { "_id": id.as_str() },
            doc! { "$set": { "status": "maybe" } },
        )
        .await
        .unwrap();
    let got = store.status(&id).await;
    let Err(CatalogError::Unavailable(source)) = &got else {
        panic!("expected Unavailable, got {got:?}");
    };
    assert!(source.to_string().contains("quiz_status"), "{source}");
    raw.shutdown().await;
    finish(store).await;
}

/// A small deterministic generator (xorshift64*), so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// The reference adapter's rule, event by event: what `apply` must count.
#[derive(Default)]
struct Model {
    results: HashSet<(PlayerId, QuestionId)>,
    answers: HashMap<PlayerId, u32>,
}

impl Model {
    fn apply(&mut self, batch: &[ScoreEvent]) -> ApplySummary {
        let mut s = ApplySummary::default();
        for e in batch {
            let new_result = self.results.insert((e.player.clone(), e.question.clone()));
            let stored = self.answers.entry(e.player.clone()).or_insert(0);
            let raised = e.answers > *stored;
            if raised {
                *stored = e.answers;
            }
            if new_result || raised {
                s.applied += 1;
            } else {
                s.stale += 1;
            }
        }
        s
    }
}

/// Every player's full answer history: `answers` 1..=n, totals growing on correct answers.
fn generate(rng: &mut Rng, quiz: &QuizId, players: usize) -> Vec<ScoreEvent> {
    let start = Timestamp(1_700_000_000_000);
    let mut out = Vec::new();
    for p in 0..players {
        let player = pid(&format!("p{p}"));
        let name = PlayerName::parse(format!("Player {p}")).unwrap();
        let n = 5 + rng.below(16);
        let (mut total, mut streak, mut reached_at) = (0u64, 0u32, start);
        for i in 0..n {
            let q = question(&format!("q{i}"));
            let at = start.plus_ms(1_000 * (i as u64 + 1) + rng.below(900) as u64);
            let correct = rng.below(3) > 0;
            let points = if correct {
                10 + rng.below(91) as u32
            } else {
                0
            };
            streak = if correct { streak + 1 } else { 0 };
            if points > 0 {
                total += u64::from(points);
                reached_at = at;
            }
            out.push(ScoreEvent {
                event_id: ScoreEvent::id_for(quiz, &player, &q),
                quiz: quiz.clone(),
                player: player.clone(),
                player_name: name.clone(),
                joined_at: start.plus_ms(p as u64),
                question: q,
                result: AnswerResult {
                    correct,
                    points,
                    streak,
                    at,
                    elapsed_ms: None,
                },
                total,
                answers: i as u32 + 1,
                reached_at,
            });
        }
    }
    out
}

/// Splits a shuffled copy of `events`, with some events repeated, into batches of 1 to 40.
fn batches(rng: &mut Rng, events: &[ScoreEvent]) -> Vec<Vec<ScoreEvent>> {
    let mut all = events.to_vec();
    for _ in 0..events.len() / 10 {
        all.push(events[rng.below(events.len())].clone());
    }
    rng.shuffle(&mut all);
    let mut out = Vec::new();
    while !all.is_empty() {
        let n = (1 + rng.below(40)).min(all.len());
        out.push(all.drain(..n).collect());
    }
    out
}

/// A few hundred events for 20 players, shuffled into batches and applied twice, converge
/// to the highest-answers event per player with every result kept once, and each batch's
/// summary counts exactly as the reference adapter would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuffled_batches_converge_to_the_highest_answers_per_player() {
    let seed = (now_nanos() as u64) | 1;
    println!("seed {seed:#x}");
    let mut rng = Rng(seed);
    let store = store().await;
    let quiz = quiz_conformance::unique_quiz("converge");
    let events = generate(&mut rng, &quiz, 20);
    let mut model = Model::default();

    let started = Instant::now();
    for round in 1..=2 {
        let (mut got, mut want) = (ApplySummary::default(), ApplySummary::default());
        let plan = batches(&mut rng, &events);
        for batch in &plan {
            let g = store.apply(batch).await.unwrap();
            let w = model.apply(batch);
            assert_eq!(g, w, "round {round}, seed {seed:#x}: batch summary");
            got.applied += g.applied;
            got.stale += g.stale;
            want.applied += w.applied;
            want.stale += w.stale;
        }
        println!(
            "round {round}: {} events in {} batches: applied {} (expected {}), stale {} (expected {})",
            plan.iter().map(Vec::len).sum::<usize>(),
            plan.len(),
            got.applied,
            want.applied,
            got.stale,
            want.stale
        );
        if round == 2 {
            assert_eq!(got.applied, 0, "a second delivery changes nothing");
        }
    }
    println!("applied both rounds in {:?}", started.elapsed());

    let mut best: HashMap<PlayerId, &ScoreEvent> = HashMap::new();
    for e in &events {
        let b = best.entry(e.player.clone()).or_insert(e);
        if e.answers > b.answers {
            *b = e;
        }
    }
    let standings = store.standings(&quiz).await.unwrap();
    assert_eq!(standings.len(), best.len());
    let mut compared = 0;
    for s in &standings {
        let b = best[&s.player];
        assert_eq!(
            (&s.name, s.joined_at, s.total, s.answers, s.reached_at),
            (
                &b.player_name,
                b.joined_at,
                b.total,
                b.answers,
                b.reached_at
            ),
            "player {}",
            s.player
        );
        let mut got: Vec<_> = s.results.clone();
        got.sort_by(|x, y| x.0.cmp(&y.0));
        let mut want: Vec<_> = events
            .iter()
            .filter(|e| e.player == s.player)
            .map(|e| (e.question.clone(), e.result))
            .collect();
        want.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(got, want, "results of {}", s.player);
        compared += 1 + got.len();
    }
    println!(
        "compared {} standings and {} results against {} distinct events",
        standings.len(),
        compared - standings.len(),
        events.len()
    );
    finish(store).await;
}

/// Within one batch, each event is counted against what was stored before it: a new result
/// or a repeat that raises its result's standing is applied, anything else stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_counted_against_the_count_stored_before_it() {
    let store = store().await;

    // Standing raised to 5 first; then events 1..=3 still count (their results are new);
    // a repeat of 2, 4, 5 counts nothing.
    let quiz = quiz_conformance::unique_quiz("tally-late");
    let mut ev = generate(&mut Rng(0x9e37_79b9_7f4a_7c15), &quiz, 1);
    ev.truncate(5);
    let s = store.apply(&ev[3..]).await.unwrap();
    assert_eq!((s.applied, s.stale), (2, 0));
    let s = store.apply(&ev[..3]).await.unwrap();
    assert_eq!((s.applied, s.stale), (3, 0), "new results count as applied");
    let s = store
        .apply(&[ev[1].clone(), ev[3].clone(), ev[4].clone()])
        .await
        .unwrap();
    assert_eq!((s.applied, s.stale), (0, 3));
    let st = store.standings(&quiz).await.unwrap();
    assert_eq!(
        (st[0].answers, st[0].total, st[0].results.len()),
        (5, ev[4].total, 5)
    );

    // Standing at 3 with the results of 4 and 5 already kept (delivered earlier with a low
    // count, as a re-sent answer's event can carry); then 2, 4, 5 in one batch: 2 is stale,
    // 4 and 5 raise their results' standings from 1.
    let quiz = quiz_conformance::unique_quiz("tally-mid");
    let mut ev = generate(&mut Rng(7), &quiz, 1);
    ev.truncate(5);
    store.apply(&ev[..3]).await.unwrap();
    let low: Vec<ScoreEvent> = ev[3..]
        .iter()
        .map(|e| ScoreEvent {
            answers: 1,
            ..e.clone()
        })
        .collect();
    let s = store.apply(&low).await.unwrap();
    assert_eq!((s.applied, s.stale), (2, 0), "new results");
    let batch = [ev[1].clone(), ev[3].clone(), ev[4].clone()];
    let s = store.apply(&batch).await.unwrap();
    assert_eq!((s.applied, s.stale), (2, 1));
    let st = store.standings(&quiz).await.unwrap();
    assert_eq!(
        (st[0].answers, st[0].total, st[0].results.len()),
        (5, ev[4].total, 5)
    );
    // Delivered again, the same batch changes nothing.
    let s = store.apply(&batch).await.unwrap();
    assert_eq!((s.applied, s.stale), (0, 3));
    finish(store).await;
}
