//! Cases shared by the standalone and the cluster test files, and test helpers.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quiz_conformance::fixtures::{CREATED, answer, name, player, question, unique_quiz};
use quiz_core::ports::{
    BusError, JoinError, PlayerRegistry, RegistryError, RoomBus, Scoreboard, ScoreboardError,
};
use quiz_core::ranking::{MAX_ELAPSED_MS, MAX_SCORE, SortKeyError};
use quiz_core::{AnswerResult, ArchivedStanding, Player, QuizId, SortKey, Timestamp};
use quiz_redis::{ConnectError, PLAYER_RESTORE_CHUNK, RedisAdapters, RedisOptions, RedisTarget};

/// Adapters on the service named by `var` (see `quiz_conformance::service_url`), checked
/// to answer.
pub async fn adapters(var: &str) -> RedisAdapters {
    let target: RedisTarget = quiz_conformance::service_url(var)
        .parse()
        .expect("the service URL parses");
    RedisAdapters::connect(target, RedisOptions::default())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "Redis at {var} does not answer ({e:?}); start it with `cargo xtask services up`"
            )
        })
}

/// A local port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

/// How long "a few seconds" may be: the default operation timeout plus slack.
pub const BOUND: Duration = Duration::from_secs(7);

/// Asserts that `fut` finishes within [`BOUND`] and returns its output.
pub async fn within_bound<T>(what: &str, fut: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {BOUND:?}"));
    assert!(start.elapsed() < BOUND, "{what} took {:?}", start.elapsed());
    out
}

/// Every port operation on an unreachable Redis fails with the typed `Unavailable`
/// error, in bounded time, with a readable cause.
pub async fn every_operation_reports_unavailable(redis: &RedisAdapters) {
    let q = unique_quiz("rd-down");
    let p = player("p1");
    let sb = redis.scoreboard.clone();
    let reg = redis.registry.clone();
    let bus = redis.bus.clone();

    let e = within_bound("record", sb.record(&answer(&q, "p1", "q0", true, 1, 1))).await;
    match e {
        Err(ScoreboardError::Unavailable(source)) => {
            assert!(!source.to_string().is_empty());
        }
        other => panic!("record: {other:?}"),
    }
    assert!(matches!(
        within_bound("enroll", sb.enroll(&q, CREATED, &p, CREATED)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("top", sb.top(&q, 0, 10)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("standing", sb.standing(&q, &p)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("around", sb.around(&q, &p, 2)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("count", sb.count(&q)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("answers", sb.answers(&q, &p)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("restore", sb.restore(&q, CREATED, &[])).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("join", reg.join(&q, &name("Ann"), CREATED, 10)).await,
        Err(JoinError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("get", reg.get(&q, &p)).await,
        Err(RegistryError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("names", reg.names(&q, std::slice::from_ref(&p))).await,
        Err(RegistryError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("players count", reg.count(&q)).await,
        Err(RegistryError::Unavailable(_))
    ));
    let ann = Player {
        quiz: q.clone(),
        id: p.clone(),
        name: name("Ann"),
        joined_at: CREATED,
    };
    assert!(matches!(
        within_bound("restore players", reg.restore(&q, &[ann])).await,
        Err(RegistryError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("announce", bus.announce(&q)).await,
        Err(BusError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("subscribe", bus.subscribe()).await,
        Err(BusError::Unavailable(_))
    ));
    assert!(matches!(
        within_bound("ping", redis.ping()).await,
        Err(ConnectError::Unreachable(_))
    ));
}

/// `connect` (unlike `connect_lazy`) refuses an unreachable target, in bounded time.
pub async fn connect_refuses_an_unreachable_target(target: RedisTarget) {
    let r = within_bound(
        "connect",
        RedisAdapters::connect(target, RedisOptions::default()),
    )
    .await;
    assert!(matches!(r, Err(ConnectError::Unreachable(_))), "{r:?}");
}

/// The sort key survives Redis exactly at the corners of its range, and out-of-range
/// records change nothing.
pub async fn sort_keys_round_trip_at_the_extremes(redis: &RedisAdapters) {
    let sb = redis.scoreboard.clone();
    let q = unique_quiz("rd-ext");
    let max_base = u32::try_from(MAX_SCORE).expect("fits");
    let last = CREATED.plus_ms(MAX_ELAPSED_MS);

    // Score 0 at elapsed 0 and at the last representable millisecond.
    sb.enroll(&q, CREATED, &player("zero-first"), CREATED)
        .await
        .unwrap();
    sb.enroll(&q, CREATED, &player("zero-last"), last)
        .await
        .unwrap();
    // MAX_SCORE at elapsed 0 and at the last millisecond.
    let r = sb
        .record(&answer(&q, "max-first", "q0", true, max_base, 0))
        .await
        .unwrap();
    assert_eq!((r.total, r.rank, r.reached_at), (MAX_SCORE, 1, CREATED));
    let r = sb
        .record(&answer(
            &q,
            "max-last",
            "q0",
            true,
            max_base,
            MAX_ELAPSED_MS,
        ))
        .await
        .unwrap();
    assert_eq!((r.total, r.rank, r.reached_at), (MAX_SCORE, 2, last));

    let expected = [
        ("max-first", SortKey::encode(MAX_SCORE, 0).unwrap()),
        (
            "max-last",
            SortKey::encode(MAX_SCORE, MAX_ELAPSED_MS).unwrap(),
        ),
        ("zero-first", SortKey::encode(0, 0).unwrap()),
        ("zero-last", SortKey::encode(0, MAX_ELAPSED_MS).unwrap()),
    ];
    assert_eq!(expected[0].1.raw(), 0);
    assert_eq!(expected[3].1.raw(), (1 << 53) - 1);
    let top = sb.top(&q, 0, 10).await.unwrap();
    let got: Vec<(String, u64, u64)> = top
        .iter()
        .map(|r| (r.player.to_string(), r.standing.key.raw(), r.standing.rank))
        .collect();
    let want: Vec<(String, u64, u64)> = expected
        .iter()
        .enumerate()
        .map(|(i, (p, k))| (p.to_string(), k.raw(), i as u64 + 1))
        .collect();
    assert_eq!(got, want);
    for (i, (p, k)) in expected.iter().enumerate() {
        let st = sb.standing(&q, &player(p)).await.unwrap().unwrap();
        assert_eq!((st.rank, st.key), (i as u64 + 1, *k), "{p}");
        assert_eq!(st.key.reached_at(CREATED), CREATED.plus_ms(k.decode().1));
    }
    let around = sb.around(&q, &player("zero-last"), 1).await.unwrap();
    assert_eq!(around.len(), 2);
    assert_eq!(around[1].standing.key, expected[3].1);

    // One more point than the encoding holds: refused, nothing changes.
    let over = sb.record(&answer(&q, "max-first", "q1", true, 1, 5)).await;
    assert!(
        matches!(over, Err(ScoreboardError::OutOfRange(SortKeyError::Score(s))) if s == MAX_SCORE + 1),
        "{over:?}"
    );
    let fresh = sb
        .record(&answer(&q, "big", "q0", true, max_base + 1, 5))
        .await;
    assert!(
        matches!(
            fresh,
            Err(ScoreboardError::OutOfRange(SortKeyError::Score(_)))
        ),
        "{fresh:?}"
    );
    // One millisecond past the encoding's range: refused, nothing changes.
    let late = sb
        .record(&answer(
            &q,
            "zero-first",
            "q0",
            false,
            0,
            MAX_ELAPSED_MS + 1,
        ))
        .await;
    assert!(
        matches!(late, Err(ScoreboardError::OutOfRange(SortKeyError::Elapsed(t))) if t == MAX_ELAPSED_MS + 1),
        "{late:?}"
    );
    let late_enroll = sb
        .enroll(&q, CREATED, &player("late"), last.plus_ms(1))
        .await;
    assert!(
        matches!(late_enroll, Err(ScoreboardError::OutOfRange(_))),
        "{late_enroll:?}"
    );
    assert_eq!(sb.count(&q).await.unwrap(), 4);
    assert!(sb.answers(&q, &player("big")).await.unwrap().is_empty());
    assert!(
        sb.answers(&q, &player("zero-first"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sb.answers(&q, &player("max-first")).await.unwrap().len(), 1);

    // A late retry of an answer recorded in time still gets its stored result (as in the
    // memory adapter): the duplicate check comes before the range check.
    let retry = sb
        .record(&answer(
            &q,
            "max-first",
            "q0",
            true,
            max_base,
            MAX_ELAPSED_MS + 10,
        ))
        .await
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!((retry.total, retry.rank), (MAX_SCORE, 1));

    // Restoring the same corners gives the same keys back.
    let standing = |p: &str, total: u64, at: Timestamp| ArchivedStanding {
        player: player(p),
        name: name(p),
        joined_at: CREATED,
        total,
        answers: 1,
        reached_at: at,
        results: vec![(
            question("q0"),
            AnswerResult {
                correct: total > 0,
                points: u32::try_from(total).expect("fits"),
                streak: u32::from(total > 0),
                at,
                elapsed_ms: None,
            },
        )],
    };
    let q2 = unique_quiz("rd-ext-restore");
    sb.restore(
        &q2,
        CREATED,
        &[
            standing("zero-last", 0, last),
            standing("max-last", MAX_SCORE, last),
            standing("zero-first", 0, CREATED),
            standing("max-first", MAX_SCORE, CREATED),
        ],
    )
    .await
    .unwrap();
    let restored: Vec<(String, u64)> = sb
        .top(&q2, 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.player.to_string(), r.standing.key.raw()))
        .collect();
    let want: Vec<(String, u64)> = expected
        .iter()
        .map(|(p, k)| (p.to_string(), k.raw()))
        .collect();
    assert_eq!(restored, want);
}

/// Timestamps are `u64` milliseconds; the scripts keep them as text, so even values past
/// 2^53 (where a double would round) come back exactly.
pub async fn timestamps_survive_beyond_two_to_the_53(redis: &RedisAdapters) {
    let sb = redis.scoreboard.clone();
    let q = unique_quiz("rd-ts");
    let created = Timestamp(u64::MAX - 1_000);
    let mut a = answer(&q, "p1", "q0", true, 7, 0);
    a.quiz_created_at = created;
    a.at = Timestamp(u64::MAX - 1);
    let r = sb.record(&a).await.unwrap();
    assert_eq!(r.reached_at, a.at);
    assert_eq!(r.result.at, a.at);
    let stored = sb.answers(&q, &player("p1")).await.unwrap();
    assert_eq!(stored[0].1.at, a.at);
    let again = sb.record(&a).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.reached_at, a.at);
}

/// After a restore, a new player never gets the id of a restored one, even though the
/// registry's counter knows nothing of them (its keys were lost with Redis).
pub async fn join_never_reuses_a_restored_players_id(redis: &RedisAdapters) {
    let q = unique_quiz("rd-reuse");
    let standing = ArchivedStanding {
        player: player("p1"),
        name: name("Ann"),
        joined_at: CREATED,
        total: 100,
        answers: 1,
        reached_at: CREATED.plus_ms(1),
        results: vec![],
    };
    redis
        .scoreboard
        .restore(&q, CREATED, &[standing])
        .await
        .unwrap();
    let joined = redis
        .registry
        .join(&q, &name("Ben"), CREATED.plus_ms(2), 10)
        .await
        .unwrap();
    assert_eq!(joined.id.as_str(), "p2");
}

/// A registry restore larger than one script call: every player is back, and the id
/// counter ends past the largest restored id even though the chunk holding it ran first
/// (a later chunk with smaller ids never lowers it).
pub async fn a_large_registry_restore_runs_in_chunks(redis: &RedisAdapters) {
    let q = unique_quiz("rd-reg-big");
    let n = 2 * PLAYER_RESTORE_CHUNK + 345;
    let mut players: Vec<Player> = (1..=n)
        .map(|i| Player {
            quiz: q.clone(),
            id: player(&format!("p{i}")),
            name: name(&format!("Player {i}")),
            joined_at: CREATED.plus_ms(i as u64),
        })
        .collect();
    players.reverse();
    let reg = &redis.registry;
    reg.restore(&q, &players).await.unwrap();
    assert_eq!(reg.count(&q).await.unwrap(), n as u64);
    for p in [&players[0], &players[PLAYER_RESTORE_CHUNK], &players[n - 1]] {
        assert_eq!(reg.get(&q, &p.id).await.unwrap().as_ref(), Some(p));
    }
    let ids: Vec<_> = players.iter().map(|p| p.id.clone()).collect();
    assert_eq!(reg.names(&q, &ids).await.unwrap().len(), n);
    let taken = reg.join(&q, &name("player 1"), CREATED, u64::MAX).await;
    assert!(matches!(taken, Err(JoinError::NameTaken)), "{taken:?}");
    let fresh = reg
        .join(&q, &name("Newcomer"), CREATED, u64::MAX)
        .await
        .unwrap();
    assert_eq!(fresh.id.as_str(), format!("p{}", n + 1));
}

/// The counter is raised exactly, up to the largest id the join script issues exactly
/// (2^53 − 1, then formatted from a double); larger restored numbers reserve nothing, and a
/// smaller one never lowers the counter.
pub async fn the_id_counter_is_raised_exactly(redis: &RedisAdapters) {
    let q = unique_quiz("rd-reg-seq");
    let reg = &redis.registry;
    let restored = |id: &str, n: &str| Player {
        quiz: q.clone(),
        id: player(id),
        name: name(n),
        joined_at: CREATED,
    };
    reg.restore(
        &q,
        &[
            restored("p1000", "Mid"),
            restored("p99999999999999999999", "Huge"),
        ],
    )
    .await
    .unwrap();
    let next = reg.join(&q, &name("Next"), CREATED, 10).await.unwrap();
    assert_eq!(next.id.as_str(), "p1001");
    reg.restore(&q, &[restored("p12", "Small")]).await.unwrap();
    let after = reg.join(&q, &name("After"), CREATED, 10).await.unwrap();
    assert_eq!(after.id.as_str(), "p1002");
    reg.restore(&q, &[restored("p9007199254740991", "Max")])
        .await
        .unwrap();
    let last = reg.join(&q, &name("Last"), CREATED, 10).await.unwrap();
    assert_eq!(last.id.as_str(), "p9007199254740992");
}

/// Every key the adapters create for a quiz, after one join, one answer and one enroll.
pub async fn populate(redis: &RedisAdapters, q: &QuizId) -> Vec<String> {
    let p = redis
        .registry
        .join(q, &name("Ann"), CREATED, 10)
        .await
        .unwrap();
    redis
        .scoreboard
        .enroll(q, CREATED, &p.id, CREATED)
        .await
        .unwrap();
    redis
        .scoreboard
        .record(&answer(q, p.id.as_str(), "q0", true, 10, 5))
        .await
        .unwrap();
    vec![
        quiz_redis::keys::board(q),
        quiz_redis::keys::player_state(q, &p.id),
        quiz_redis::keys::player_answers(q, &p.id),
        quiz_redis::keys::players(q),
        quiz_redis::keys::names(q),
        quiz_redis::keys::seq(q),
    ]
}

/// A `redis-server` of this test's own, on a free port, with throw-away data: it can be
/// stopped and started again without disturbing the shared services. Killed on drop.
pub struct PrivateRedis {
    pub port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let port = closed_port();
        let dir =
            std::env::temp_dir().join(format!("quiz-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a data directory");
        let mut me = Self {
            port,
            dir,
            child: None,
        };
        me.restart();
        me
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is on PATH (`cargo xtask services up` installs it)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).expect("valid URL");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pong = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if pong.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "private redis-server did not start: {pong:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the server, by its process id: a frozen
    /// server keeps its sockets open but answers nothing, like a hung host.
    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("server running").id();
        let ok = Command::new("kill")
            .arg(sig)
            .arg(pid.to_string())
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill {sig} {pid}");
    }

    /// Kills the server (by its process id) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // A frozen process still dies of SIGKILL; thawing first is not needed.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A batch whose middle answer's keys hold something the record script cannot use (another
/// program wrote a string where the player's state hash belongs): that answer fails alone,
/// with `Unavailable` naming Redis' refusal, and writes nothing; the answers before and
/// after it in the same script call are recorded; a later batch works as before.
pub async fn a_batch_failing_half_way_records_the_rest<C>(redis: &RedisAdapters, raw: &mut C)
where
    C: redis::aio::ConnectionLike + Send,
{
    let q = unique_quiz("rd-half");
    let spoiled = player("spoiled");
    let state_key = quiz_redis::keys::player_state(&q, &spoiled);
    let _: () = redis::cmd("SET")
        .arg(&state_key)
        .arg("not a hash")
        .query_async(raw)
        .await
        .unwrap();
    let sb = redis.scoreboard.clone();
    let batch = [
        answer(&q, "p1", "q0", true, 10, 1_000),
        answer(&q, "spoiled", "q0", true, 20, 1_100),
        answer(&q, "p1", "q1", true, 30, 1_200),
        answer(&q, "p2", "q0", true, 40, 1_300),
    ];
    let results = sb.record_many(&batch).await;
    assert_eq!(results.len(), 4);
    let mut results = results.into_iter();
    let first = results.next().unwrap().unwrap();
    assert_eq!((first.duplicate, first.total), (false, 10));
    let failed = results.next().unwrap();
    match &failed {
        Err(ScoreboardError::Unavailable(e)) => {
            let text = error_chain(e.as_ref());
            assert!(text.contains("WRONGTYPE"), "{text}");
        }
        other => panic!("the spoiled answer should fail alone: {other:?}"),
    }
    let third = results.next().unwrap().unwrap();
    assert_eq!(
        (third.duplicate, third.total, third.answers),
        (false, 40, 2)
    );
    let fourth = results.next().unwrap().unwrap();
    assert_eq!(
        (fourth.duplicate, fourth.total, fourth.rank),
        (false, 40, 2)
    );
    // Nothing of the failed answer: not on the board, no result stored, the foreign value
    // untouched.
    assert!(sb.standing(&q, &spoiled).await.unwrap().is_none());
    assert!(sb.answers(&q, &spoiled).await.unwrap().is_empty());
    let kept: String = redis::cmd("GET")
        .arg(&state_key)
        .query_async(raw)
        .await
        .unwrap();
    assert_eq!(kept, "not a hash");
    assert_eq!(sb.count(&q).await.unwrap(), 2);
    // The same answers again are duplicates; the spoiled one still fails, alone.
    let again = sb.record_many(&batch).await;
    assert!(again[0].as_ref().unwrap().duplicate);
    assert!(again[1].is_err());
    assert!(again[2].as_ref().unwrap().duplicate);
    assert!(again[3].as_ref().unwrap().duplicate);
}

/// An error and its sources, as one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
