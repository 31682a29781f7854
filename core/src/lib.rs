//! # quiz-core
//!
//! The domain of the real-time quiz leaderboard: quizzes and answer checking
//! ([`quiz`]), question types and grading ([`question`]), scoring policies ([`scoring`]), the ranking rule and its one-number encoding
//! ([`ranking`]), the 500 ms leaderboard throttle as a pure state machine ([`throttle`]),
//! hosted games (a host runs the quiz question by question) as a pure state machine
//! ([`game`]), game PINs and their port ([`pins`]), the port traits ([`ports`]), the one infrastructure failure the services
//! report ([`unavailable`]) and the application services over them, one use case per
//! concern ([`service`]).
//!
//! **What it is not**: it does no I/O, reads no clock (time is always an argument), starts
//! no runtime and names no product (no Redis, Kafka, MongoDB or HTTP types). Adapters in
//! `adapters/*` implement the ports; `apps/*` wire them. A tidy test
//! (`tests/tidy.rs`) fails if this crate gains a dependency outside its allow-list.
//!
//! With the `mocks` feature, every port has a mockall mock (`MockScoreboard`, …).
//!
//! Tests: `cargo test -p quiz-core` (no services needed).

pub mod board;
pub mod game;
pub mod ids;
pub mod model;
pub mod names;
pub mod pins;
pub mod ports;
pub mod question;
pub mod quiz;
pub mod ranking;
pub mod scoring;
pub mod service;
pub mod throttle;
pub mod time;
pub mod unavailable;

pub use ids::{IdError, OptionIndex, PlayerId, PlayerName, QuestionId, QuizId};
pub use model::*;
pub use question::{Answer, Grade, QuestionType};
pub use quiz::{AnswerError, NameMode, Question, Quiz, QuizDraft, QuizMode, QuizStatus};
pub use ranking::SortKey;
pub use scoring::{ScoringKind, ScoringPolicy, StreakBonus};
pub use service::{QuizService, ServiceConfig};
pub use time::Timestamp;
