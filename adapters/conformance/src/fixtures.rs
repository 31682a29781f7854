//! Shared test data: unique ids, quizzes, answer records.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use quiz_core::question::{AnswerKey, MultiScoring, OptionSet};
use quiz_core::quiz::{Question, QuizDraft, QuizStatus, TRUE_FALSE_OPTIONS};
use quiz_core::{
    AnswerRecord, Grade, Opened, OptionIndex, PlayerId, PlayerName, QuestionId, Quiz, QuizId,
    ScoringKind, ScoringPolicy, StreakBonus, Timestamp,
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
                key: AnswerKey::Single(OptionIndex::new(1).expect("in range")),
                points: 100,
                time_limit_ms: 30_000,
                explanation: None,
                image: None,
            })
            .collect(),
        scoring: ScoringPolicy {
            kind: ScoringKind::Fixed,
            streak: Some(StreakBonus { step: 10, cap: 15 }),
            multi: MultiScoring::AllOrNothing,
        },
        status: QuizStatus::Open,
        created_at: CREATED,
        mode: Default::default(),
        hosted: Default::default(),
        names: Default::default(),
        min_answer_ms: 150,
    })
    .expect("fixture quiz is valid")
}

/// A valid quiz with one question of every type: `s` (single), `m` (multi, options 0 and
/// 2 of 4), `t` (true/false, false), `p` (poll), `w` (type_answer, "Paris"), with partial
/// credit for multi.
pub fn quiz_of_every_type(id: QuizId) -> Quiz {
    let q = |qid: &str, options: &[&str], key: AnswerKey, points: u32| Question {
        id: question(qid),
        prompt: format!("Question {qid}?"),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        key,
        points,
        time_limit_ms: 30_000,
        explanation: None,
        image: None,
    };
    let i = |n: u64| OptionIndex::new(n).expect("in range");
    Quiz::try_from(QuizDraft {
        id,
        title: "Every type".into(),
        questions: vec![
            q("s", &["a", "b"], AnswerKey::Single(i(1)), 100),
            q(
                "m",
                &["a", "b", "c", "d"],
                AnswerKey::Multi(OptionSet::of([i(0), i(2)])),
                200,
            ),
            q("t", &TRUE_FALSE_OPTIONS, AnswerKey::TrueFalse(false), 50),
            q("p", &["x", "y", "z"], AnswerKey::Poll, 0),
            q(
                "w",
                &[],
                AnswerKey::TypeAnswer {
                    accepted: vec!["Paris".into()],
                    ignore_accents: true,
                },
                300,
            ),
        ],
        scoring: ScoringPolicy {
            kind: ScoringKind::Fixed,
            streak: None,
            multi: MultiScoring::Partial,
        },
        status: QuizStatus::Open,
        created_at: CREATED,
        mode: Default::default(),
        hosted: Default::default(),
        names: Default::default(),
        min_answer_ms: 500,
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
        grade: if correct {
            Grade::Correct
        } else {
            Grade::Wrong
        },
        base_points: if correct { base } else { 0 },
        streak: None,
        at: CREATED.plus_ms(at_ms),
        opened: Opened {
            at: CREATED,
            after: None,
        },
    }
}
