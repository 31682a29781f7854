//! The demo quiz the embedded server preloads: an English vocabulary quiz.

use quiz_core::question::{AnswerKey, MultiScoring};
use quiz_core::quiz::{Question, QuizDraft};
use quiz_core::{
    OptionIndex, QuestionId, QuizId, QuizStatus, ScoringKind, ScoringPolicy, StreakBonus, Timestamp,
};

/// The demo quiz's id.
pub const DEMO_ID: &str = "demo";

const QUESTIONS: &[(&str, [&str; 4], u8)] = &[
    (
        "What does \"ubiquitous\" mean?",
        ["Rare", "Found everywhere", "Very old", "Hidden"],
        1,
    ),
    (
        "What does \"ephemeral\" mean?",
        ["Lasting a very short time", "Heavenly", "Enormous", "Noisy"],
        0,
    ),
    (
        "What does \"candid\" mean?",
        ["Sweet", "Hidden", "Frank and honest", "Bright"],
        2,
    ),
    (
        "What does \"meticulous\" mean?",
        [
            "Careless",
            "Showing great attention to detail",
            "Tiny",
            "Quick",
        ],
        1,
    ),
    (
        "What does \"benevolent\" mean?",
        ["Well-meaning and kind", "Dangerous", "Lucky", "Boring"],
        0,
    ),
    (
        "What does \"gregarious\" mean?",
        ["Greedy", "Fond of company", "Gloomy", "Clumsy"],
        1,
    ),
    (
        "What does \"lucid\" mean?",
        ["Lucky", "Sleepy", "Expressed clearly", "Shiny metal"],
        2,
    ),
    (
        "What does \"obsolete\" mean?",
        ["No longer in use", "Obvious", "Stubborn", "Required"],
        0,
    ),
    (
        "What does \"pragmatic\" mean?",
        [
            "Dreamy",
            "Dealing with things practically",
            "Talkative",
            "Ancient",
        ],
        1,
    ),
    (
        "What does \"resilient\" mean?",
        ["Quiet", "Fragile", "Shiny", "Able to recover quickly"],
        3,
    ),
    (
        "What does \"verbose\" mean?",
        [
            "Using more words than needed",
            "Truthful",
            "Green",
            "Poisonous",
        ],
        0,
    ),
    (
        "What does \"zealous\" mean?",
        ["Jealous", "Lazy", "Full of energy for a cause", "Confused"],
        2,
    ),
];

/// The demo quiz, created at `now`: 12 questions, 20 s each, speed-weighted points and a
/// streak bonus.
pub fn demo_quiz(now: Timestamp) -> QuizDraft {
    QuizDraft {
        id: QuizId::parse(DEMO_ID).unwrap_or_else(|_| unreachable!("the demo id is valid")),
        title: "Vocabulary warm-up".into(),
        questions: QUESTIONS
            .iter()
            .enumerate()
            .map(|(i, (prompt, options, correct))| Question {
                id: QuestionId::parse(format!("v{}", i + 1))
                    .unwrap_or_else(|_| unreachable!("demo ids are valid")),
                prompt: (*prompt).into(),
                options: options.iter().map(|o| (*o).to_owned()).collect(),
                key: AnswerKey::Single(
                    OptionIndex::new(u64::from(*correct))
                        .unwrap_or_else(|_| unreachable!("demo keys are in range")),
                ),
                points: 1000,
                time_limit_ms: 20_000,
                explanation: None,
                image: None,
            })
            .collect(),
        scoring: ScoringPolicy {
            kind: ScoringKind::SpeedWeighted,
            streak: Some(StreakBonus {
                step: 100,
                cap: 500,
            }),
            multi: MultiScoring::AllOrNothing,
        },
        status: QuizStatus::Open,
        created_at: now,
        mode: Default::default(),
        hosted: Default::default(),
        names: Default::default(),
        min_answer_ms: quiz_core::quiz::DEFAULT_MIN_ANSWER_MS,
    }
}
