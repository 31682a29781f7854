//! A Rust service embedding the quiz core: a `QuizService` on the memory adapters with one
//! port replaced by the service's own implementation, and a quiz played to its results.
//!
//! ```sh
//! cargo run -p quiz-memory --example embed
//! ```
//!
//! The replaced port is the score-event log: this service keeps an audit trail of every
//! accepted answer (here in memory; a real one would append to its own database or queue)
//! and hands each event on to the archive, as the embedded server's log does. Any port can
//! be swapped the same way; what an implementation must guarantee is in each trait's docs
//! (`quiz_core::ports`), and `quiz-conformance` has the suite that checks it
//! (`cargo test -p quiz-conformance --example outside_adapter` runs it on an adapter
//! written outside this workspace's adapters).
//!
//! `cargo xtask test` runs this example; it exits with an error if the game does not end as
//! the script says.

use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use quiz_core::ports::{PublishError, ScoreArchive, ScoreEventLog};
use quiz_core::service::Ports;
use quiz_core::{
    Answer, PlayerName, QuestionId, QuizDraft, QuizService, ScoreEvent, ServiceConfig, Timestamp,
};

/// The service's own score-event log: an ordered audit trail of accepted answers, each
/// handed on to the archive before `publish` returns (the port's promise: an acknowledged
/// answer's event is durable).
struct AuditTrail {
    entries: Mutex<Vec<String>>,
    archive: Arc<dyn ScoreArchive>,
}

impl AuditTrail {
    fn lines(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl ScoreEventLog for AuditTrail {
    async fn publish(&self, event: &ScoreEvent) -> Result<(), PublishError> {
        // The archive applies events idempotently (by answer count), so a retried publish
        // after a failure here is safe, as the port allows.
        self.archive
            .apply(std::slice::from_ref(event))
            .await
            .map_err(|e| PublishError::Unavailable(Box::new(e)))?;
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!(
                "{} scored {} on {} (total {})",
                event.player_name, event.result.points, event.question, event.total
            ));
        Ok(())
    }
}

const QUIZ: &str = r#"{
    "id": "embedded-demo",
    "title": "Embedded demo",
    "status": "open",
    "created_at": 1700000000000,
    "questions": [
        {"id": "sky", "prompt": "Colour of a clear sky?", "options": ["Green", "Blue"],
         "correct": 1, "points": 100, "time_limit_ms": 20000},
        {"id": "primes", "prompt": "Which are prime?", "type": "multi",
         "options": ["2", "4", "5", "9"], "correct": [0, 2], "points": 200,
         "time_limit_ms": 20000},
        {"id": "capital", "prompt": "Capital of France?", "type": "type_answer",
         "accepted": ["Paris"], "points": 100, "time_limit_ms": 20000}
    ]
}"#;

async fn play() -> Result<(), Box<dyn Error>> {
    // The memory adapters, with the event log replaced by this service's own.
    let memory = quiz_memory::embedded_adapters();
    let audit = Arc::new(AuditTrail {
        entries: Mutex::new(Vec::new()),
        archive: memory.archive.clone(),
    });
    let ports = Ports {
        events: audit.clone(),
        ..memory
    };
    let archive = ports.archive.clone();
    let service = QuizService::new(ports, ServiceConfig::default());

    let quiz = service
        .library()
        .create(serde_json::from_str::<QuizDraft>(QUIZ)?)
        .await?;
    println!(
        "created {:?} ({} questions)",
        quiz.title(),
        quiz.questions().len()
    );

    // The service reads no clock: the embedding application passes the time in.
    let t0: Timestamp = quiz.created_at().plus_ms(60_000);
    let name = |s: &str| PlayerName::parse(s);
    let ada = service.players().join(quiz.id(), &name("Ada")?, t0).await?;
    let bob = service.players().join(quiz.id(), &name("Bob")?, t0).await?;
    let q = |s: &str| QuestionId::parse(s);

    let script: [(&quiz_core::Player, &str, Answer, u64); 6] = [
        (&ada, "sky", Answer::Option(1), 3_000),
        (&bob, "sky", Answer::Option(0), 4_000),
        (&ada, "primes", Answer::Options(vec![0, 2]), 9_000),
        (&bob, "primes", Answer::Options(vec![0, 2]), 8_000),
        (&ada, "capital", Answer::Text("paris".into()), 15_000),
        (&bob, "capital", Answer::Text("Lyon".into()), 14_000),
    ];
    for (player, question, answer, at) in script {
        let out = service
            .answers()
            .submit(player, &q(question)?, &answer, t0.plus_ms(at))
            .await?;
        println!(
            "{} answered {question}: {:?}, {} points, total {}, rank {}",
            player.name, out.grade, out.result.points, out.total, out.rank
        );
    }

    let board = service.boards().view(quiz.id(), Some(&bob.id)).await?;
    println!("board ({} players):", board.players);
    for line in &board.top {
        println!("  {}. {} {}", line.rank, line.name, line.score);
    }

    let results = service.results().results(&quiz).await?;
    println!("results:");
    for r in &results {
        println!(
            "  {}. {} {} ({} correct)",
            r.entry.rank, r.entry.name, r.entry.score, r.tally.correct
        );
    }
    println!("audit trail:");
    for line in audit.lines() {
        println!("  {line}");
    }

    // The script's outcome: Ada answered all three right, Bob only the multi-select.
    let standing: Vec<(&str, u64)> = results
        .iter()
        .map(|r| (r.entry.name.as_str(), r.entry.score))
        .collect();
    if standing.len() != 2 || standing[0].0 != "Ada" || standing[1].0 != "Bob" {
        return Err(format!("unexpected results {standing:?}").into());
    }
    if standing[0].1 <= standing[1].1 || standing[1].1 == 0 {
        return Err(format!("unexpected scores {standing:?}").into());
    }
    if audit.lines().len() != 6 {
        return Err(format!("the audit trail has {} lines, not 6", audit.lines().len()).into());
    }
    let archived = archive.standings(quiz.id()).await?;
    if archived.len() != 2 {
        return Err(format!("the archive has {} standings, not 2", archived.len()).into());
    }
    println!("ok: the quiz ran to its results on the memory adapters and the service's own log");
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(play())
}
