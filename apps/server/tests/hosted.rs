//! Hosted games over real sockets: a host and players play to the podium, every phase
//! reaches every socket once and in order, a question ends early when everyone answered or
//! by itself at its limit, a removed player is closed out, and every new refusal has its
//! code. Every frame is validated against the committed schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{ADMIN, Client, TestServer, config, start};
use serde_json::{Value, json};

/// A hosted quiz of `n` questions (option 1 correct, 100 points each, `limit_ms` each),
/// created over HTTP; returns the host key.
async fn hosted_quiz(srv: &TestServer, id: &str, n: usize, limit_ms: u64, hosted: Value) -> String {
    let questions: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("q{i}"), "prompt": format!("Question {i}?"),
                        "options": ["a", "b", "c"], "correct": 1, "points": 100,
                        "time_limit_ms": limit_ms, "explanation": format!("Because {i}.")})
        })
        .collect();
    let body = json!({"id": id, "title": format!("Hosted {id}"), "mode": "hosted",
                      "hosted": hosted, "questions": questions});
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&body),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["mode"], "hosted");
    assert_eq!(out["questions"].as_array().map(Vec::len), Some(n));
    let key = out["host_key"].as_str().unwrap().to_owned();
    assert_eq!(out["host_url"], format!("/host/{id}#key={key}"));
    // Never again after creation.
    let (_, got) = srv
        .http("GET", &format!("/api/quizzes/{id}"), None, &[])
        .await;
    assert!(got.get("host_key").is_none(), "{got}");
    key
}

/// A socket whose replies are read without losing the phase frames that arrive between
/// them.
struct Sock {
    c: Client,
    phases: std::collections::VecDeque<Value>,
    rosters: std::collections::VecDeque<Value>,
}

impl Sock {
    fn new(c: Client) -> Self {
        Self {
            c,
            phases: std::collections::VecDeque::new(),
            rosters: std::collections::VecDeque::new(),
        }
    }

    /// The next frame that is not a board, an answer count, a roster or a phase (phases
    /// and rosters are kept).
    async fn reply(&mut self) -> Value {
        loop {
            let v = self.c.recv().await;
            match v["type"].as_str() {
                Some("phase") => self.phases.push_back(v),
                Some("roster") => self.rosters.push_back(v),
                Some("board" | "answered") => {}
                _ => return v,
            }
        }
    }

    /// The next roster frame (phases before it are kept).
    async fn roster(&mut self) -> Value {
        if let Some(r) = self.rosters.pop_front() {
            return r;
        }
        loop {
            let v = self.c.recv().await;
            match v["type"].as_str() {
                Some("phase") => self.phases.push_back(v),
                Some("roster") => return v,
                _ => {}
            }
        }
    }

    /// The next phase frame.
    async fn phase(&mut self) -> Value {
        if let Some(p) = self.phases.pop_front() {
            return p;
        }
        loop {
            let v = self.c.recv().await;
            match v["type"].as_str() {
                Some("phase") => return v,
                Some("roster") => self.rosters.push_back(v),
                Some("board" | "answered") => {}
                _ => panic!("unexpected frame {v}"),
            }
        }
    }

    async fn answer(&mut self, id: &str, question: &str, option: u32) -> Value {
        self.c
            .send(
                &json!({"type": "answer", "answer_id": id, "question": question, "option": option}),
            )
            .await;
        self.reply().await
    }

    async fn reply_to(&mut self, msg: &Value) -> Value {
        self.c.send(msg).await;
        self.reply().await
    }

    async fn command(&mut self, cmd: &str) -> Value {
        self.c.send(&json!({"type": "host", "command": cmd})).await;
        self.reply().await
    }

    async fn send(&mut self, v: &Value) {
        self.c.send(v).await;
    }

    async fn closed_with(&mut self) -> Option<u16> {
        self.c.closed_with().await
    }
}

async fn player(srv: &TestServer, quiz: &str, name: &str) -> (Sock, Value, Value) {
    let (c, joined, snap) = srv.player(quiz, name).await;
    (Sock::new(c), joined, snap)
}

async fn host(srv: &TestServer, quiz: &str, key: &str) -> Sock {
    Sock::new(srv.connect(&format!("/ws/{quiz}?host_key={key}")).await)
}

async fn phase(c: &mut Sock) -> Value {
    c.phase().await
}

async fn command(c: &mut Sock, cmd: &str) -> Value {
    c.command(cmd).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_game_runs_from_lobby_to_podium_with_every_phase_once_in_order() {
    let srv = start(config()).await;
    let key = hosted_quiz(&srv, "live", 3, 30_000, json!({})).await;
    let mut h = host(&srv, "live", &key).await;
    let lobby = phase(&mut h).await;
    assert_eq!(
        (
            lobby["phase"].as_str(),
            lobby["seq"].as_u64(),
            lobby["players"].as_u64()
        ),
        (Some("lobby"), Some(0), Some(0))
    );

    let (mut a, a_join, a_snap) = player(&srv, "live", "Ann").await;
    let (mut b, b_join, _) = player(&srv, "live", "Bob").await;
    assert_eq!(a_snap["mode"], "hosted");
    assert_eq!(
        a_snap["questions"],
        json!([]),
        "no question before it opens"
    );
    let a_id = a_join["player_id"].as_str().unwrap().to_owned();
    let b_id = b_join["player_id"].as_str().unwrap().to_owned();
    for p in [&mut a, &mut b] {
        assert_eq!(phase(p).await["phase"], "lobby");
    }
    // The host sees both in the lobby (the lobby has no new seq: the list is read on push).
    let (_, g) = srv.http("GET", "/api/quizzes/live/game", None, &[]).await;
    assert_eq!(
        (g["phase"].as_str(), g["players"].as_u64()),
        (Some("lobby"), Some(2))
    );

    // An answer in the lobby is refused with its own code.
    let r = a.answer("early", "q0", 1).await;
    assert_eq!(r["code"], "no_open_question", "{r}");

    assert_eq!(command(&mut h, "start").await["type"], "host_ok");
    let q0 = phase(&mut a).await;
    assert_eq!(q0["phase"], "question");
    assert_eq!(q0["question"]["id"], "q0");
    assert_eq!(q0["expected"], 2);
    assert!(q0["remaining_ms"].as_u64().unwrap() > 25_000);
    assert_eq!(phase(&mut b).await["seq"], q0["seq"]);

    // Next during a question is refused; an answer to another question too.
    let r = command(&mut h, "next").await;
    assert_eq!(
        (r["code"].as_str(), r["field"].as_str()),
        (Some("not_now"), Some("command"))
    );
    let r = a.answer("wrong-q", "q1", 1).await;
    assert_eq!(
        (r["code"].as_str(), r["field"].as_str()),
        (Some("not_the_open_question"), Some("question"))
    );

    // Both answer: the question closes early, once.
    let ra = a.answer("a0", "q0", 1).await;
    assert_eq!(
        (ra["correct"].as_bool(), ra["points"].as_u64()),
        (Some(true), Some(100))
    );
    let rb = b.answer("b0", "q0", 2).await;
    assert_eq!(rb["correct"], false);
    let reveal_a = phase(&mut a).await;
    assert_eq!(reveal_a["phase"], "reveal", "{reveal_a}");
    assert_eq!(reveal_a["reveal"]["correct"], 1);
    assert_eq!(reveal_a["reveal"]["counts"], json!([0, 1, 1]));
    assert_eq!(reveal_a["reveal"]["explanation"], "Because 0.");
    assert_eq!(reveal_a["reveal"]["you"]["correct"], true);
    assert_eq!(reveal_a["reveal"]["you"]["total"], 100);
    let reveal_b = phase(&mut b).await;
    assert_eq!(reveal_b["reveal"]["you"]["option"], 2);
    assert_eq!(reveal_b["reveal"]["you"]["points"], 0);
    // A retry of an answer given in time still gets its result after the close.
    let again = a.answer("a0-retry", "q0", 1).await;
    assert_eq!(
        (again["duplicate"].as_bool(), again["points"].as_u64()),
        (Some(true), Some(100))
    );

    // Board, then the next question; pause and resume keep the time left.
    assert_eq!(command(&mut h, "next").await["type"], "host_ok");
    let board = phase(&mut b).await;
    assert_eq!(board["phase"], "board");
    assert_eq!(board["board"]["me"]["player"], b_id);
    assert_eq!(board["board"]["top"][0]["player"], a_id);
    let board_a = phase(&mut a).await;
    assert_eq!(board_a["phase"], "board");
    // A host waits to see each phase before the next command (a phase superseded before
    // it could be pushed, such as a pause undone within milliseconds, is skipped: clients
    // always get the current phase, never an older one).
    let mut rest_a = vec![reveal_a.clone(), board_a];
    let mut rest_b = vec![reveal_b.clone(), board.clone()];
    let mut host_phases = Vec::new();
    for cmd in ["next", "pause", "resume", "skip", "end"] {
        assert_eq!(command(&mut h, cmd).await["type"], "host_ok", "{cmd}");
        rest_a.push(phase(&mut a).await);
        rest_b.push(phase(&mut b).await);
        // The host's own socket may still hold older phases from before: read up to this one.
        let seq = rest_a.last().unwrap()["seq"].clone();
        loop {
            let p = phase(&mut h).await;
            let done = p["seq"] == seq;
            host_phases.push(p);
            if done {
                break;
            }
        }
    }

    // Every socket saw every phase once, in order, ending at the podium.
    let names = |frames: &[Value]| -> Vec<String> {
        frames
            .iter()
            .map(|f| f["phase"].as_str().unwrap().to_owned())
            .collect()
    };
    let expected = ["question", "paused", "question", "reveal", "podium"];
    assert_eq!(names(&rest_a[2..]), expected);
    assert_eq!(names(&rest_b[2..]), expected);
    for frames in [&rest_a, &rest_b, &host_phases] {
        let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    }
    let podium = rest_a.last().unwrap();
    assert_eq!(podium["podium"][0]["player"], a_id);
    assert_eq!(podium["podium"].as_array().map(Vec::len), Some(2));

    // After the game: joins refused, the report and the results.
    let (status, body) = srv
        .http(
            "POST",
            "/api/quizzes/live/join",
            Some(&json!({"name": "Late"})),
            &[],
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("game_over")));
    let (status, report) = srv.http("GET", "/api/quizzes/live/report", None, &[]).await;
    assert_eq!(status, 200, "{report}");
    let q = &report["questions"][0];
    assert_eq!(
        (q["answered"].as_u64(), q["correct"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(q["percent_correct"], 50.0);
    assert_eq!(q["counts"], json!([0, 1, 1]));
    assert!(q["mean_answer_ms"].as_u64().is_some());
    assert_eq!(report["questions"].as_array().map(Vec::len), Some(3));
    let (_, results) = srv
        .http("GET", "/api/quizzes/live/results.json", None, &[])
        .await;
    assert_eq!(results[0]["player"], a_id);
    assert_eq!(results[0]["correct"], 1);
    assert_eq!(results[1]["correct"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_close_at_their_limit_and_auto_advance_runs_the_game_by_itself() {
    let srv = start(config()).await;
    let key = hosted_quiz(
        &srv,
        "timed",
        2,
        1_000,
        json!({"end_early": false, "reveal_secs": 1, "board_secs": 1}),
    )
    .await;
    let (mut a, _, _) = player(&srv, "timed", "Ann").await;
    assert_eq!(phase(&mut a).await["phase"], "lobby");
    let (status, g) = srv
        .http(
            "POST",
            "/api/quizzes/timed/game",
            Some(&json!({"command": "start"})),
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!(
        (status, g["phase"].as_str()),
        (200, Some("question")),
        "{g}"
    );
    // Answering alone does not close it (end_early is off); time does.
    let mut seen = Vec::new();
    let first = phase(&mut a).await;
    seen.push(first["phase"].as_str().unwrap().to_owned());
    assert_eq!(a.answer("x", "q0", 1).await["type"], "answer_result");
    while seen.last().map(String::as_str) != Some("podium") {
        let p = phase(&mut a).await;
        seen.push(p["phase"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        seen,
        [
            "question", "reveal", "board", "question", "reveal", "board", "podium"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_player_is_closed_out_and_every_refusal_has_its_code() {
    let srv = start(config()).await;
    let key = hosted_quiz(&srv, "mod", 2, 30_000, json!({})).await;

    // A wrong host key closes with 4001; the admin key works as a host key.
    let _ = key;
    let mut wrong = host(&srv, "mod", "h1.AAAA").await;
    assert_eq!(wrong.closed_with().await, Some(4001));
    let mut h = host(&srv, "mod", ADMIN).await;
    assert_eq!(phase(&mut h).await["phase"], "lobby");

    let (mut a, a_join, _) = player(&srv, "mod", "Ann").await;
    let (mut troll, t_join, _) = player(&srv, "mod", "Troll").await;
    let t_id = t_join["player_id"].as_str().unwrap();
    assert_eq!(phase(&mut a).await["phase"], "lobby");
    // The host's lobby follows the joins (no new phase: a roster frame).
    let mut joined = h.roster().await;
    while joined["players"] != 2 {
        joined = h.roster().await;
    }
    assert_eq!(
        joined["lobby"].as_array().map(Vec::len),
        Some(2),
        "{joined}"
    );

    // A player cannot command; a host cannot answer or ask for a snapshot.
    a.send(&json!({"type": "host", "command": "start"})).await;
    let r = a.reply().await;
    assert_eq!(
        (r["code"].as_str(), r["field"].as_str()),
        (Some("not_host"), Some("type"))
    );
    h.send(&json!({"type": "answer", "answer_id": "h", "question": "q0", "option": 1}))
        .await;
    let r = h.reply().await;
    assert_eq!(r["code"], "not_a_player", "{r}");
    // Bad host frames: unknown command, kick without a player, a player on start.
    for (frame, code, field) in [
        (
            json!({"type": "host", "command": "jump"}),
            "invalid_message",
            "command",
        ),
        (
            json!({"type": "host", "command": "kick"}),
            "invalid_message",
            "player",
        ),
        (
            json!({"type": "host", "command": "start", "player": "p1"}),
            "invalid_message",
            "player",
        ),
        (
            json!({"type": "host", "command": "kick", "player": "nobody"}),
            "unknown_player",
            "player",
        ),
        (
            json!({"type": "host", "command": "unlock"}),
            "not_now",
            "command",
        ),
    ] {
        h.send(&frame).await;
        let r = h.reply().await;
        assert_eq!(
            (r["code"].as_str(), r["field"].as_str()),
            (Some(code), Some(field)),
            "{frame}: {r}"
        );
    }

    // Kick: the troll's socket closes with 4009, the token stops working.
    h.send(&json!({"type": "host", "command": "kick", "player": t_id}))
        .await;
    assert_eq!(h.reply().await["type"], "host_ok");
    assert_eq!(troll.closed_with().await, Some(4009));
    let mut left = h.roster().await;
    while left["players"] != 1 {
        left = h.roster().await;
    }
    assert_eq!(left["lobby"][0]["name"], "Ann", "{left}");
    let mut again = Sock::new(srv.connect(t_join["ws_path"].as_str().unwrap()).await);
    assert_eq!(again.closed_with().await, Some(4009));
    let (_, g) = srv.http("GET", "/api/quizzes/mod/game", None, &[]).await;
    assert_eq!(g["players"], 1, "{g}");
    let (_, board) = srv
        .http("GET", "/api/quizzes/mod/leaderboard", None, &[])
        .await;
    assert_eq!(
        board["players"], 1,
        "the removed name is off the board: {board}"
    );

    // A locked lobby refuses joins; unlocked, they are welcome again.
    assert_eq!(command(&mut h, "lock").await["type"], "host_ok");
    let (status, body) = srv
        .http(
            "POST",
            "/api/quizzes/mod/join",
            Some(&json!({"name": "Cy"})),
            &[],
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("lobby_locked")));
    assert_eq!(command(&mut h, "unlock").await["type"], "host_ok");

    // The removed player is not expected: Ann alone closes the question early.
    assert_eq!(command(&mut h, "start").await["type"], "host_ok");
    assert_eq!(a.answer("a", "q0", 1).await["type"], "answer_result");
    loop {
        let p = phase(&mut a).await;
        if p["phase"] == "reveal" {
            break;
        }
    }
    let _ = a_join;

    // HTTP refusals: no key, wrong key, bad command, next where it does not apply.
    let post = |body: Value, key: Option<&'static str>| {
        let srv = &srv;
        async move {
            let headers: Vec<(&str, &str)> = key.map(|k| ("X-Host-Key", k)).into_iter().collect();
            srv.http("POST", "/api/quizzes/mod/game", Some(&body), &headers)
                .await
        }
    };
    let (s, b) = post(json!({"command": "next"}), None).await;
    assert_eq!(
        (s, b["code"].as_str(), b["field"].as_str()),
        (401, Some("unauthorized"), Some("X-Host-Key"))
    );
    let (s, _) = post(json!({"command": "next"}), Some("h1.nope")).await;
    assert_eq!(s, 401);
    let (s, b) = post(json!({"command": "fly"}), Some(ADMIN)).await;
    assert_eq!(
        (s, b["code"].as_str(), b["field"].as_str()),
        (400, Some("invalid_command"), Some("command"))
    );
    let (s, b) = post(json!({"command": "resume"}), Some(ADMIN)).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("not_now")));
    let (s, b) = post(json!({"command": "kick", "player": "p999"}), Some(ADMIN)).await;
    assert_eq!((s, b["code"].as_str()), (404, Some("unknown_player")));

    // A self-paced quiz has no game.
    let (s, b) = srv.http("GET", "/api/quizzes/demo/game", None, &[]).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("not_hosted")));
    let mut demo_host = host(&srv, "demo", ADMIN).await;
    demo_host
        .send(&json!({"type": "host", "command": "start"}))
        .await;
    let r = demo_host.reply().await;
    assert_eq!(r["code"], "not_hosted", "{r}");
    // A self-paced quiz's snapshot says so.
    let (_, _, snap) = srv.player("demo", "Solo").await;
    assert_eq!(snap["mode"], "self_paced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_who_reconnects_gets_the_current_phase_with_the_time_left_and_their_score() {
    let srv = start(config()).await;
    let key = hosted_quiz(&srv, "back", 2, 30_000, json!({})).await;
    let (mut a, a_join, _) = player(&srv, "back", "Ann").await;
    let (mut b, _, _) = player(&srv, "back", "Bob").await;
    let mut h = host(&srv, "back", &key).await;
    assert_eq!(command(&mut h, "start").await["type"], "host_ok");
    let q = phase(&mut a).await;
    let q = if q["phase"] == "lobby" {
        phase(&mut a).await
    } else {
        q
    };
    assert_eq!(q["phase"], "question");
    assert_eq!(a.answer("a", "q0", 1).await["total"], 100);
    a.c.close().await;
    // Back with the same token: the snapshot has the score, then the same question phase.
    let mut a2 = srv.connect(a_join["ws_path"].as_str().unwrap()).await;
    let snap = a2.recv_type("snapshot").await;
    let mut a2 = Sock::new(a2);
    assert_eq!(snap["board"]["me"]["score"], 100);
    assert_eq!(snap["answered"][0]["question"], "q0");
    let again = phase(&mut a2).await;
    assert_eq!(
        (again["phase"].as_str(), again["seq"].as_u64()),
        (Some("question"), q["seq"].as_u64())
    );
    assert!(again["remaining_ms"].as_u64().unwrap() <= q["remaining_ms"].as_u64().unwrap());
    assert_eq!(again["answered"], 1);
    // Bob's answer closes it for both (Ann was expected and answered before reconnecting).
    assert_eq!(b.answer("b", "q0", 1).await["type"], "answer_result");
    assert_eq!(phase(&mut a2).await["phase"], "reveal");
}

/// Twenty players' answers race to be the last: the question closes once (one transition),
/// every answer counts, and a player joining after the close cannot reopen it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_last_answers_close_the_question_exactly_once() {
    use quiz_core::game::{HostCommand, Phase};
    use quiz_core::service::HostAction;
    use quiz_core::{Answer, AnswerError, PlayerName, QuestionId, QuizId, QuizService};

    let svc = QuizService::new(
        quiz_memory::embedded_adapters(),
        quiz_core::ServiceConfig::default(),
    );
    let now = quiz_server::clock::now;
    let mut draft = quiz_server::demo::demo_quiz(now());
    draft.id = QuizId::parse("race").unwrap();
    draft.mode = quiz_core::QuizMode::Hosted;
    let quiz = svc.library().create(draft).await.unwrap();
    let mut players = Vec::new();
    for i in 0..20 {
        let name = PlayerName::parse(format!("p{i}")).unwrap();
        players.push(svc.players().join(quiz.id(), &name, now()).await.unwrap());
    }
    let started = svc
        .games()
        .host(quiz.id(), HostAction::Phase(HostCommand::Start), now())
        .await
        .unwrap();
    assert_eq!(started.phase.name(), "question");
    let q = quiz.questions()[0].id.clone();
    let tasks: Vec<_> = players
        .iter()
        .cloned()
        .map(|p| {
            let svc = svc.clone();
            let q = q.clone();
            tokio::spawn(async move {
                svc.answers()
                    .submit(&p, &q, &Answer::Option(0), now())
                    .await
                    .map(|o| o.duplicate)
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(
            t.await.unwrap().ok(),
            Some(false),
            "every answer accepted once"
        );
    }
    let state = svc.games().current(&quiz, now()).await.unwrap();
    assert!(
        matches!(state.phase, Phase::Reveal { index: 0, .. }),
        "{state:?}"
    );
    assert_eq!(
        state.seq,
        started.seq + 1,
        "closed by exactly one transition"
    );
    assert_eq!(
        svc.games().report(quiz.id(), now()).await.unwrap()[0].answered,
        20,
        "every answer counted in the question"
    );

    // A late joiner's answer to the closed question is refused and changes nothing.
    let late = svc
        .players()
        .join(quiz.id(), &PlayerName::parse("late").unwrap(), now())
        .await
        .unwrap();
    let refused = svc
        .answers()
        .submit(&late, &q, &Answer::Option(0), now())
        .await;
    assert!(
        matches!(
            refused,
            Err(quiz_core::service::SubmitError::Rejected(
                AnswerError::NoOpenQuestion
            ))
        ),
        "{refused:?}"
    );
    let second = QuestionId::parse("v2").unwrap();
    assert!(
        svc.answers()
            .submit(&late, &second, &Answer::Option(0), now())
            .await
            .is_err()
    );
    let after = svc.games().current(&quiz, now()).await.unwrap();
    assert_eq!(after, state, "nothing reopened");
}

/// Removing the one player who had not answered closes the question: everyone left has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_last_player_who_had_not_answered_closes_the_question() {
    let srv = start(config()).await;
    let key = hosted_quiz(&srv, "kickq", 2, 30_000, json!({})).await;
    let (mut a, _, _) = player(&srv, "kickq", "Ann").await;
    let (mut b, b_join, _) = player(&srv, "kickq", "Bob").await;
    let mut h = host(&srv, "kickq", &key).await;
    assert_eq!(command(&mut h, "start").await["type"], "host_ok");
    loop {
        if phase(&mut a).await["phase"] == "question" {
            break;
        }
    }
    assert_eq!(a.answer("a", "q0", 1).await["type"], "answer_result");
    let b_id = b_join["player_id"].as_str().unwrap();
    h.send(&json!({"type": "host", "command": "kick", "player": b_id}))
        .await;
    assert_eq!(h.reply().await["type"], "host_ok");
    assert_eq!(b.closed_with().await, Some(4009));
    let (_, g) = srv.http("GET", "/api/quizzes/kickq/game", None, &[]).await;
    assert!(g["phase"] == "reveal" || g["expected"] == 1, "{g}");
    let reveal = phase(&mut a).await;
    assert_eq!(reveal["phase"], "reveal", "{reveal}");
    assert_eq!(reveal["players"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_game_reveals_each_question_type_its_own_way() {
    let srv = start(config()).await;
    let body = json!({"id": "kinds", "title": "Kinds", "mode": "hosted",
    "scoring": {"kind": "fixed", "multi": "partial"},
    "questions": [
        {"id": "m", "type": "multi", "prompt": "Primes?", "options": ["2", "4", "5"],
         "correct": [0, 2], "points": 100, "time_limit_ms": 30000},
        {"id": "w", "type": "type_answer", "prompt": "Capital of Italy?",
         "accepted": ["Roma", "Rome"], "points": 100, "time_limit_ms": 30000},
        {"id": "p", "type": "poll", "prompt": "Again?", "options": ["Yes", "No"],
         "time_limit_ms": 30000}
    ]});
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&body),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(status, 201, "{out}");
    let key = out["host_key"].as_str().unwrap().to_owned();
    let mut h = host(&srv, "kinds", &key).await;
    let (mut a, _, _) = player(&srv, "kinds", "Ann").await;
    let (mut b, _, _) = player(&srv, "kinds", "Bob").await;
    for s in [&mut h, &mut a, &mut b] {
        assert_eq!(phase(s).await["phase"], "lobby");
    }
    assert_eq!(command(&mut h, "start").await["type"], "host_ok");

    // multi: Ann picks exactly the right set, Bob one right and one wrong.
    let q = phase(&mut a).await;
    assert_eq!(
        (q["question"]["type"].as_str(), q["question"]["id"].as_str()),
        (Some("multi"), Some("m"))
    );
    phase(&mut b).await;
    let r = a
        .reply_to(&json!({"type": "answer", "answer_id": "a1", "question": "m", "options": [2, 0]}))
        .await;
    assert_eq!(r["outcome"], "correct", "{r}");
    let r = b
        .reply_to(&json!({"type": "answer", "answer_id": "b1", "question": "m", "options": [0, 1]}))
        .await;
    assert_eq!(
        (r["outcome"].as_str(), r["points"].as_u64()),
        (Some("wrong"), Some(0)),
        "{r}"
    );
    let reveal = phase(&mut b).await;
    assert_eq!(reveal["phase"], "reveal", "{reveal}");
    let rv = &reveal["reveal"];
    assert_eq!(rv["type"], "multi");
    assert!(rv.get("correct").is_none(), "{rv}");
    assert_eq!(rv["correct_options"], json!([0, 2]));
    assert_eq!(rv["counts"], json!([2, 1, 1]), "every pick counts");
    assert_eq!(rv["you"]["options"], json!([0, 1]));
    assert_eq!(rv["you"]["outcome"], "wrong");
    assert_eq!(phase(&mut a).await["reveal"]["you"]["outcome"], "correct");

    // type_answer: both typed variants of accepted answers and one wrong answer.
    for cmd in ["next", "next"] {
        assert_eq!(command(&mut h, cmd).await["type"], "host_ok", "{cmd}");
        phase(&mut a).await;
        phase(&mut b).await;
    }
    let r = a
        .reply_to(&json!({"type": "answer", "answer_id": "a2", "question": "w", "text": " ROMA "}))
        .await;
    assert_eq!(r["outcome"], "correct", "{r}");
    let r = b
        .reply_to(&json!({"type": "answer", "answer_id": "b2", "question": "w", "text": "Milano"}))
        .await;
    assert_eq!(r["outcome"], "wrong", "{r}");
    let reveal = phase(&mut a).await;
    let rv = &reveal["reveal"];
    assert_eq!(rv["type"], "type_answer");
    assert_eq!(rv["accepted"], json!(["Roma", "Rome"]));
    assert_eq!(rv["counts"], json!([]));
    assert_eq!(
        rv["texts"],
        json!([{"text": "milano", "count": 1, "correct": false},
               {"text": "roma", "count": 1, "correct": true}])
    );
    assert_eq!(rv["you"]["text"], "roma");
    phase(&mut b).await;

    // poll: counted, no points, counts only.
    for cmd in ["next", "next"] {
        assert_eq!(command(&mut h, cmd).await["type"], "host_ok", "{cmd}");
        phase(&mut a).await;
        phase(&mut b).await;
    }
    let r = a
        .reply_to(&json!({"type": "answer", "answer_id": "a3", "question": "p", "option": 0}))
        .await;
    assert_eq!(
        (r["outcome"].as_str(), r["total"].as_u64()),
        (Some("counted"), Some(200)),
        "{r}"
    );
    b.reply_to(&json!({"type": "answer", "answer_id": "b3", "question": "p", "option": 0}))
        .await;
    let rv = phase(&mut a).await["reveal"].clone();
    assert_eq!(
        (rv["type"].as_str(), rv["correct_options"].clone()),
        (Some("poll"), json!([]))
    );
    assert_eq!(rv["counts"], json!([2, 0]));
    assert_eq!(rv["you"]["outcome"], "counted");

    // The report, per type.
    let (_, report) = srv
        .http("GET", "/api/quizzes/kinds/report", None, &[])
        .await;
    let qs = report["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 3, "{report}");
    assert_eq!(
        (
            qs[0]["type"].as_str(),
            qs[0]["correct"].as_u64(),
            qs[0]["counts"].clone()
        ),
        (Some("multi"), Some(1), json!([2, 1, 1]))
    );
    assert!(qs[0].get("correct_option").is_none(), "{report}");
    assert_eq!(qs[1]["texts"][1]["text"], "roma");
    assert_eq!(qs[1]["accepted"], json!(["Roma", "Rome"]));
    assert_eq!(
        (qs[2]["type"].as_str(), qs[2]["correct"].as_u64()),
        (Some("poll"), Some(0))
    );
}
