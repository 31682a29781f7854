//! Shared test data: unique ids, quizzes, answer records.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use quiz_core::quiz::{Question, QuizDraft, QuizStatus};
use quiz_core::{
    AnswerRecord, OptionIndex, PlayerId, PlayerName, QuestionId, Quiz, QuizId, ScoringKind,
    ScoringPolicy, StreakBonus, Timestamp,
};

/// The creation time of every fixture quiz.
pub const CREATED: Timestamp = Timestamp(1_700_000_000_000);

/// A quiz id no other case (in this or another process) uses.
pub fn unique_quiz(tag: &str) -> QuizId {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = N.fetch_add(1, Ordering::Relaxed);
    QuizId::parse(format!("cf-{tag}-{}-{nanos:x}-{n}", std::process::id()))
        .expect("fixture ids are valid")
}

/// A player id.
pub fn player(s: &str) -> PlayerId {
    PlayerId::parse(s).expect("fixture ids are valid")
}

/// A question id.
pub fn question(s: &str) -> QuestionId {
    QuestionId::parse(s).expect("fixture ids are valid")
}

/// A player name.
pub fn name(s: &str) -> PlayerName {
    PlayerName::parse(s).expect("fixture names are valid")
}

/// A valid quiz with `n` questions `q0…`, correct option 1, 100 points, 30 s each.
pub fn quiz(id: QuizId, n: usize) -> Quiz {
    Quiz::try_from(QuizDraft {
        id,
        title: "Conformance quiz".into(),
        questions: (0..n)
            .map(|i| Question {
                id: question(&format!("q{i}")),
                prompt: format!("Question {i}?"),
                options: vec!["zero".into(), "one".into(), "two".into()],
                correct: OptionIndex::new(1).expect("in range"),
                points: 100,
                time_limit_ms: 30_000,
                explanation: None,
            })
            .collect(),
        scoring: ScoringPolicy {
            kind: ScoringKind::Fixed,
            streak: Some(StreakBonus { step: 10, cap: 15 }),
        },
        status: QuizStatus::Open,
        created_at: CREATED,
        mode: Default::default(),
        hosted: Default::default(),
        names: Default::default(),
    })
    .expect("fixture quiz is valid")
}

/// An answer record at `CREATED + at_ms`.
pub fn answer(
    quiz: &QuizId,
    player_id: &str,
    q: &str,
    correct: bool,
    base: u32,
    at_ms: u64,
) -> AnswerRecord {
    AnswerRecord {
        quiz: quiz.clone(),
        quiz_created_at: CREATED,
        player: player(player_id),
        question: question(q),
        correct,
        base_points: if correct { base } else { 0 },
        streak: None,
        at: CREATED.plus_ms(at_ms),
    }
}
