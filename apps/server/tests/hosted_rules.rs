//! Hosted-game rules found broken in a played game (issue 24's bugs), each checked where it
//! lives: the answer time on the question's own clock, who a question waits for after a
//! kick and a rejoin, typed answers through the deny list (the use cases over the memory
//! adapters, with explicit times), and movers with ties (over real sockets: the room
//! remembers the board it showed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{ADMIN, Client, TestServer, config, start};
use quiz_core::game::{HostCommand, Phase};
use quiz_core::names::DenyList;
use quiz_core::ports::{GameAnswer, GameStore, GameStoreError};
use quiz_core::question::AnswerKey;
use quiz_core::service::{HostAction, QuizService};
use quiz_core::{Answer, PlayerId, PlayerName, QuizId, QuizMode, ServiceConfig, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;

fn service() -> QuizService {
    QuizService::new(quiz_memory::embedded_adapters(), ServiceConfig::default())
}

/// The demo quiz as a hosted quiz `id` created at `t0` (single-choice questions of 20 s).
async fn hosted(svc: &QuizService, id: &str, t0: Timestamp) -> quiz_core::Quiz {
    let mut draft = quiz_server::demo::demo_quiz(t0);
    draft.id = QuizId::parse(id).unwrap();
    draft.mode = QuizMode::Hosted;
    svc.library().create(draft).await.unwrap()
}

fn name(s: &str) -> PlayerName {
    PlayerName::parse(s).unwrap()
}

/// A 30-second pause in the middle of a question does not count in its mean answer time:
/// the report measures answers on the question's own clock.
#[tokio::test]
async fn the_report_measures_answer_time_on_the_question_clock_without_pauses() {
    let svc = service();
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let quiz = hosted(&svc, "paused", t0).await;
    let ann = svc
        .players()
        .join(quiz.id(), &name("Ann"), t0)
        .await
        .unwrap();
    let cmd = |c| HostAction::Phase(c);
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    // 5 s run, 60 s paused, 5 s more: 10 s on the question's clock.
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Pause), at(6_000))
        .await
        .unwrap();
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Resume), at(66_000))
        .await
        .unwrap();
    let q = quiz.questions()[0].id.clone();
    svc.answers()
        .submit(&ann, &q, &Answer::Option(0), at(71_000))
        .await
        .unwrap();
    let state = svc.games().current(&quiz, at(71_001)).await.unwrap();
    assert_eq!(state.phase.name(), "reveal", "everyone answered: {state:?}");
    let report = svc.games().report(quiz.id(), at(72_000)).await.unwrap();
    assert_eq!(report[0].answered, 1);
    assert_eq!(report[0].mean_answer_ms, Some(10_000), "{:?}", report[0]);
    assert!(
        report[0].mean_answer_ms.unwrap() <= u64::from(quiz.questions()[0].time_limit_ms),
        "never more than the question's limit"
    );
}

/// A kicked player who joins again at once under another name is a late joiner: the open
/// question waits for the players it opened with, less the one removed, and closes when
/// they have answered.
#[tokio::test]
async fn a_kicked_player_rejoining_under_a_new_name_does_not_raise_the_bar() {
    let svc = service();
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let quiz = hosted(&svc, "rejoin", t0).await;
    let mut players = Vec::new();
    for n in ["Ann", "Bob", "Cid"] {
        players.push(svc.players().join(quiz.id(), &name(n), t0).await.unwrap());
    }
    svc.games()
        .host(quiz.id(), HostAction::Phase(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    let expected = |svc: QuizService, now| {
        let quiz = quiz.clone();
        async move {
            let state = svc.games().current(&quiz, now).await.unwrap();
            state.view(now).open.map(|o| o.expected)
        }
    };
    assert_eq!(expected(svc.clone(), at(1_500)).await, Some(3));
    svc.games()
        .host(
            quiz.id(),
            HostAction::Remove(players[2].id.clone()),
            at(2_000),
        )
        .await
        .unwrap();
    assert_eq!(expected(svc.clone(), at(2_500)).await, Some(2));
    // Cid is back at once as "Cid 2": in the game, but not waited for.
    let back = svc
        .players()
        .join(quiz.id(), &name("Cid 2"), at(3_000))
        .await
        .unwrap();
    assert_eq!(svc.games().roster(quiz.id()).await.unwrap().players, 3);
    assert_eq!(expected(svc.clone(), at(3_500)).await, Some(2), "0 of 2");
    let q = quiz.questions()[0].id.clone();
    for p in &players[..2] {
        svc.answers()
            .submit(p, &q, &Answer::Option(0), at(4_000))
            .await
            .unwrap();
    }
    let state = svc.games().current(&quiz, at(4_001)).await.unwrap();
    assert!(
        matches!(state.phase, Phase::Reveal { index: 0, .. }),
        "everyone it waited for answered: {state:?}"
    );
    assert!(
        back.joined_at > at(1_000),
        "joined after the question opened"
    );
}

/// A player kicked after answering is no longer waited for and their answer no longer
/// counts towards the bar: the question still waits for everyone else in it.
#[tokio::test]
async fn a_player_kicked_after_answering_leaves_the_others_waited_for() {
    let svc = service();
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let quiz = hosted(&svc, "kickanswered", t0).await;
    let mut players = Vec::new();
    for n in ["Ann", "Bob", "Cid"] {
        players.push(svc.players().join(quiz.id(), &name(n), t0).await.unwrap());
    }
    svc.games()
        .host(quiz.id(), HostAction::Phase(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    let q = quiz.questions()[0].id.clone();
    let answer = |i: usize, ms: u64| {
        let (svc, p, q) = (svc.clone(), players[i].clone(), q.clone());
        async move {
            svc.answers()
                .submit(&p, &q, &Answer::Option(0), at(ms))
                .await
                .unwrap();
        }
    };
    answer(0, 2_000).await;
    svc.games()
        .host(
            quiz.id(),
            HostAction::Remove(players[0].id.clone()),
            at(3_000),
        )
        .await
        .unwrap();
    answer(1, 4_000).await;
    let state = svc.games().current(&quiz, at(4_001)).await.unwrap();
    assert_eq!(
        state.phase.name(),
        "question",
        "Cid has not answered: {state:?}"
    );
    assert_eq!(state.view(at(4_001)).open.map(|o| o.expected), Some(2));
    assert_eq!(
        svc.games().answered(quiz.id(), &state).await.unwrap(),
        Some(1),
        "Bob's answer counts, Ann's no more"
    );
    answer(2, 5_000).await;
    let state = svc.games().current(&quiz, at(5_001)).await.unwrap();
    assert_eq!(state.phase.name(), "reveal", "{state:?}");
}

/// Kicking a player during a paused question lowers its bar too, and the question closes
/// once the rest answer after the resume.
#[tokio::test]
async fn a_kick_during_a_pause_counts_when_the_question_resumes() {
    let svc = service();
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let quiz = hosted(&svc, "pausekick", t0).await;
    let ann = svc
        .players()
        .join(quiz.id(), &name("Ann"), t0)
        .await
        .unwrap();
    let bob = svc
        .players()
        .join(quiz.id(), &name("Bob"), t0)
        .await
        .unwrap();
    let cmd = |c| HostAction::Phase(c);
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Pause), at(2_000))
        .await
        .unwrap();
    svc.games()
        .host(quiz.id(), HostAction::Remove(bob.id.clone()), at(3_000))
        .await
        .unwrap();
    svc.players()
        .join(quiz.id(), &name("Bobby"), at(3_500))
        .await
        .unwrap();
    svc.games()
        .host(quiz.id(), cmd(HostCommand::Resume), at(4_000))
        .await
        .unwrap();
    let q = quiz.questions()[0].id.clone();
    svc.answers()
        .submit(&ann, &q, &Answer::Option(0), at(5_000))
        .await
        .unwrap();
    let state = svc.games().current(&quiz, at(5_001)).await.unwrap();
    assert_eq!(state.phase.name(), "reveal", "{state:?}");
}

/// The memory game store, handing the task back to the runtime before each call, so that
/// two operations run with `tokio::join!` interleave call by call as they would on two
/// instances against a shared store; recording an answer takes `.1` turns more (an answer
/// slow to reach the store).
struct Yielding(Arc<dyn GameStore>, usize);

#[async_trait::async_trait]
impl GameStore for Yielding {
    async fn get(
        &self,
        quiz: &QuizId,
    ) -> Result<Option<quiz_core::game::GameState>, GameStoreError> {
        tokio::task::yield_now().await;
        self.0.get(quiz).await
    }
    async fn compare_and_set(
        &self,
        quiz: &QuizId,
        expected: Option<u64>,
        next: &quiz_core::game::GameState,
    ) -> Result<bool, GameStoreError> {
        tokio::task::yield_now().await;
        self.0.compare_and_set(quiz, expected, next).await
    }
    async fn record_answer(
        &self,
        quiz: &QuizId,
        question: usize,
        answer: &GameAnswer,
    ) -> Result<u64, GameStoreError> {
        for _ in 0..=self.1 {
            tokio::task::yield_now().await;
        }
        self.0.record_answer(quiz, question, answer).await
    }
    async fn answer_count(&self, quiz: &QuizId, question: usize) -> Result<u64, GameStoreError> {
        tokio::task::yield_now().await;
        self.0.answer_count(quiz, question).await
    }
    async fn answers(
        &self,
        quiz: &QuizId,
        question: usize,
    ) -> Result<Vec<GameAnswer>, GameStoreError> {
        tokio::task::yield_now().await;
        self.0.answers(quiz, question).await
    }
    async fn remove_player(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError> {
        tokio::task::yield_now().await;
        self.0.remove_player(quiz, player).await
    }
    async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError> {
        tokio::task::yield_now().await;
        self.0.removed_players(quiz).await
    }
    async fn clear(&self, quiz: &QuizId, questions: usize) -> Result<(), GameStoreError> {
        tokio::task::yield_now().await;
        self.0.clear(quiz, questions).await
    }
}

/// The use cases over the memory adapters, the game store's calls interleaving.
fn racing_service(slow_answers: usize) -> QuizService {
    let mut ports = quiz_memory::embedded_adapters();
    ports.games = Arc::new(Yielding(ports.games, slow_answers));
    QuizService::new(ports, ServiceConfig::default())
}

/// Ann, Bob and Cid in a hosted quiz `id`, its first question open since `at(1_000)`.
async fn three_at_a_question(
    svc: &QuizService,
    id: &str,
    at: impl Fn(u64) -> Timestamp,
) -> (quiz_core::Quiz, Vec<quiz_core::Player>) {
    let quiz = hosted(svc, id, at(0)).await;
    let mut players = Vec::new();
    for n in ["Ann", "Bob", "Cid"] {
        players.push(
            svc.players()
                .join(quiz.id(), &name(n), at(0))
                .await
                .unwrap(),
        );
    }
    svc.games()
        .host(quiz.id(), HostAction::Phase(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    (quiz, players)
}

/// Two kicks of the same player at once (two host consoles, or the HTTP command and the
/// socket one, or two instances) lower the open question's bar once: it still waits for
/// both players left.
#[tokio::test]
async fn two_kicks_of_one_player_at_once_lower_the_bar_once() {
    let svc = racing_service(0);
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let (quiz, players) = three_at_a_question(&svc, "twokicks", at).await;
    let kick = || {
        svc.games().host(
            quiz.id(),
            HostAction::Remove(players[2].id.clone()),
            at(2_000),
        )
    };
    let (a, b) = tokio::join!(kick(), kick());
    a.unwrap();
    b.unwrap();
    let state = svc.games().current(&quiz, at(2_001)).await.unwrap();
    assert_eq!(
        state.view(at(2_001)).open.map(|o| o.expected),
        Some(2),
        "{state:?}"
    );
    let q = quiz.questions()[0].id.clone();
    svc.answers()
        .submit(&players[0], &q, &Answer::Option(0), at(3_000))
        .await
        .unwrap();
    let state = svc.games().current(&quiz, at(3_001)).await.unwrap();
    assert_eq!(
        state.phase.name(),
        "question",
        "Bob has not answered: {state:?}"
    );
    svc.answers()
        .submit(&players[1], &q, &Answer::Option(0), at(4_000))
        .await
        .unwrap();
    let state = svc.games().current(&quiz, at(4_001)).await.unwrap();
    assert_eq!(state.phase.name(), "reveal", "{state:?}");
}

/// A player's answer racing their kick, however the two interleave (the kick starting
/// after 0, 1, 2… turns of the answer, the answer 0, 1, 2… turns slow to be recorded:
/// among them, the kick finding no answer and the answer landing before its bar drops),
/// never closes the question while a player it waits
/// for has not answered: whether it lands before the kick, after it or not at all, it
/// does not count once the player is gone, and the bar drops by them once.
#[tokio::test]
async fn an_answer_racing_its_players_kick_never_closes_the_question_early() {
    for (head_start, slow) in (0..4).flat_map(|h| (0..8).map(move |s| (h, s))) {
        let svc = racing_service(slow);
        let t0 = quiz_server::clock::now();
        let at = |ms: u64| t0.plus_ms(ms);
        let (quiz, players) =
            three_at_a_question(&svc, &format!("race{head_start}x{slow}"), at).await;
        let q = quiz.questions()[0].id.clone();
        svc.answers()
            .submit(&players[0], &q, &Answer::Option(0), at(2_000))
            .await
            .unwrap();
        let kick = async {
            for _ in 0..head_start {
                tokio::task::yield_now().await;
            }
            svc.games()
                .host(
                    quiz.id(),
                    HostAction::Remove(players[2].id.clone()),
                    at(3_000),
                )
                .await
        };
        let answer = svc
            .answers()
            .submit(&players[2], &q, &Answer::Option(0), at(3_000));
        let (kicked, _answered_or_refused) = tokio::join!(kick, answer);
        kicked.unwrap();
        let state = svc.games().current(&quiz, at(3_001)).await.unwrap();
        assert_eq!(
            state.phase.name(),
            "question",
            "head start {head_start}, slow {slow}: Bob has not answered: {state:?}"
        );
        assert_eq!(state.view(at(3_001)).open.map(|o| o.expected), Some(2));
        svc.answers()
            .submit(&players[1], &q, &Answer::Option(0), at(4_000))
            .await
            .unwrap();
        let state = svc.games().current(&quiz, at(4_001)).await.unwrap();
        assert_eq!(
            state.phase.name(),
            "reveal",
            "head start {head_start}, slow {slow}: {state:?}"
        );
    }
}

/// Typed answers pass the same deny list as names before the room sees them: a denied
/// text is left out of the reveal's texts and the report; the others and their counts stay.
#[tokio::test]
async fn denied_typed_answers_are_left_out_of_the_reveal() {
    let svc = service().with_deny_list(DenyList::from_words(["badword"]));
    let t0 = quiz_server::clock::now();
    let at = |ms: u64| t0.plus_ms(ms);
    let mut draft = quiz_server::demo::demo_quiz(t0);
    draft.id = QuizId::parse("typed").unwrap();
    draft.mode = QuizMode::Hosted;
    draft.questions.truncate(1);
    draft.questions[0].options.clear();
    draft.questions[0].key = AnswerKey::TypeAnswer {
        accepted: vec!["Paris".into()],
        ignore_accents: false,
    };
    let quiz = svc.library().create(draft).await.unwrap();
    let mut players = Vec::new();
    for n in ["Ann", "Bob", "Cid", "Dee"] {
        players.push(svc.players().join(quiz.id(), &name(n), t0).await.unwrap());
    }
    svc.games()
        .host(quiz.id(), HostAction::Phase(HostCommand::Start), at(1_000))
        .await
        .unwrap();
    let q = quiz.questions()[0].id.clone();
    for (p, text) in players
        .iter()
        .zip(["paris", "B@d W0rd", "b.a.d-w.o.r.d", "Lyon"])
    {
        svc.answers()
            .submit(p, &q, &Answer::Text(text.into()), at(2_000))
            .await
            .unwrap();
    }
    let reveal = svc.games().reveal(&quiz, 0).await.unwrap();
    let texts: Vec<(&str, u64)> = reveal
        .texts
        .iter()
        .map(|t| (t.text.as_str(), t.count))
        .collect();
    assert_eq!(texts, vec![("lyon", 1), ("paris", 1)], "{:?}", reveal.texts);
    assert_eq!(reveal.answers.len(), 4, "every answer still counts");
    let report = svc.games().report(quiz.id(), at(3_000)).await.unwrap();
    assert_eq!(report[0].reveal.texts, reveal.texts);
    assert_eq!(report[0].answered, 4);
}

/// The next phase frame named `want` (other frames skipped).
async fn phase(c: &mut Client, want: &str) -> Value {
    loop {
        let v = c.recv().await;
        if v["type"] == "phase" && v["phase"] == want {
            return v;
        }
    }
}

async fn answer(c: &mut Client, question: &str, option: u32) {
    c.send(
        &json!({"type": "answer", "answer_id": question, "question": question, "option": option}),
    )
    .await;
    loop {
        let v = c.recv().await;
        if v["type"] == "answer_result" {
            return;
        }
        assert_ne!(v["type"], "error", "{v}");
    }
}

/// Sends a host command and returns the phase frame named `want` that follows it (the
/// `host_ok` and the phase may arrive in either order).
async fn host_command(h: &mut Client, cmd: &str, want: &str) -> Value {
    h.send(&json!({"type": "host", "command": cmd})).await;
    let (mut ok, mut got) = (false, None);
    while !ok || got.is_none() {
        let v = h.recv().await;
        assert_ne!(v["type"], "error", "{v}");
        if v["type"] == "host_ok" {
            ok = true;
        } else if v["type"] == "phase" && v["phase"] == want {
            got = Some(v);
        }
    }
    got.unwrap()
}

fn ranks(board: &Value) -> Vec<(String, u64)> {
    board["board"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["rank"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn create(srv: &TestServer, id: &str) -> String {
    let questions: Vec<Value> = (0..2)
        .map(|i| {
            json!({"id": format!("q{i}"), "prompt": format!("Question {i}?"),
                   "options": ["a", "b"], "correct": 1, "points": 100,
                   "time_limit_ms": 30_000})
        })
        .collect();
    let body = json!({"id": id, "title": "Ties", "mode": "hosted",
                      "scoring": {"kind": "fixed"}, "questions": questions});
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&body),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{out}");
    out["host_key"].as_str().unwrap().to_owned()
}

/// A mover is a player whose position on the board (its `#`) is better than the one the
/// board after the previous question showed, ties included: Zoe, tied with Yas and shown
/// below her, passes her with the next question and is listed as #3 → #2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_who_passes_a_tied_player_is_a_mover() {
    let srv = start(config()).await;
    let key = create(&srv, "ties").await;
    let mut h = srv.connect(&format!("/ws/ties?host_key={key}")).await;
    let (mut xan, _, _) = srv.player("ties", "Xan").await;
    let (mut yas, _, _) = srv.player("ties", "Yas").await;
    let (mut zoe, zoe_join, _) = srv.player("ties", "Zoe").await;
    phase(&mut h, "lobby").await;
    host_command(&mut h, "start", "question").await;
    for (c, option) in [(&mut xan, 1), (&mut yas, 0), (&mut zoe, 0)] {
        phase(c, "question").await;
        answer(c, "q0", option).await;
    }
    phase(&mut h, "reveal").await;
    let first = host_command(&mut h, "next", "board").await;
    let tied = vec![("Xan".into(), 1), ("Yas".into(), 2), ("Zoe".into(), 3)];
    assert_eq!(ranks(&first), tied, "{first}");
    host_command(&mut h, "next", "question").await;
    for (c, option) in [(&mut xan, 0), (&mut yas, 0), (&mut zoe, 1)] {
        phase(c, "question").await;
        answer(c, "q1", option).await;
    }
    phase(&mut h, "reveal").await;
    let second = host_command(&mut h, "next", "board").await;
    let passed = vec![("Xan".into(), 1), ("Zoe".into(), 2), ("Yas".into(), 3)];
    assert_eq!(ranks(&second), passed, "{second}");
    assert_eq!(
        second["board"]["movers"],
        json!([{"player": zoe_join["player_id"], "name": "Zoe", "from": 3, "to": 2}]),
        "{second}"
    );
}
