//! # quiz-core
//!
//! The domain of the real-time quiz leaderboard: quizzes and answer checking
//! ([`quiz`]), question types and grading ([`question`]), scoring policies ([`scoring`]), the ranking rule and its one-number encoding
//! ([`ranking`]), the 500 ms leaderboard throttle as a pure state machine ([`throttle`]),
//! hosted games (a host runs the quiz question by question) as a pure state machine
//! ([`game`]), game PINs and their port ([`pins`]), images on questions and the checks their bytes pass ([`media`]), the port traits ([`ports`]), the one infrastructure failure the services
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
//! Tests: `cargo test -p quiz-core` (no services needed; the examples below are among them).
//!
//! # Embedding the core
//!
//! A Rust service embeds the quiz by choosing an adapter for each port
//! ([`service::Ports`]) and building a [`QuizService`] over them. `quiz-memory` has every
//! port in process memory (`quiz_memory::embedded_adapters()`); any port can be swapped
//! for the service's own implementation, which must keep the guarantees its trait states
//! in [`ports`] — the `quiz-conformance` crate's suites check them. A runnable example that
//! replaces the score-event log with its own and plays a quiz to its results:
//! `cargo run -p quiz-memory --example embed`.
//!
//! The examples below run on the memory adapters. They are a dev-dependency only: the core
//! depends on no adapter (adapters depend on the core), and its tidy test keeps it so.
//! Time is always an argument ([`Timestamp`], milliseconds since the Unix epoch): the
//! service reads no clock, so a test, a replay or a simulation chooses it.
//!
//! ## Create a quiz
//!
//! A definition is a [`QuizDraft`] (the JSON of `POST /api/quizzes`, or built in Rust);
//! [`Library::create`](service::Library::create) validates it into a [`Quiz`] and stores it.
//!
//! ```
//! use quiz_core::{QuizDraft, QuizService, ServiceConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let service = QuizService::new(quiz_memory::embedded_adapters(), ServiceConfig::default());
//! let draft: QuizDraft = serde_json::from_str(r#"{
//!     "id": "capitals", "title": "Capitals", "status": "open",
//!     "created_at": 1700000000000,
//!     "questions": [
//!         {"id": "fr", "prompt": "Capital of France?", "options": ["Lyon", "Paris"],
//!          "correct": 1, "points": 100, "time_limit_ms": 20000},
//!         {"id": "it", "prompt": "Capital of Italy?", "options": ["Rome", "Milan"],
//!          "correct": 0, "points": 100, "time_limit_ms": 20000}
//!     ]
//! }"#)?;
//! let quiz = service.library().create(draft).await?;
//! assert_eq!(quiz.title(), "Capitals");
//! assert_eq!(quiz.questions().len(), 2);
//! // The same id again is refused, and nothing is overwritten.
//! let again: QuizDraft = serde_json::from_value(serde_json::to_value(&quiz)?)?;
//! assert!(service.library().create(again).await.is_err());
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(run())
//! #     .map_err(|e| std::io::Error::other(e.to_string()))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Join, answer, read the board
//!
//! [`Players::join`](service::Players::join) registers a display name and returns the
//! [`Player`]; [`Answers::submit`](service::Answers::submit) checks, scores and records one
//! answer (a repeat returns the first result and changes nothing);
//! [`Boards::view`](service::Boards::view) is the board as one player sees it.
//!
//! ```
//! # use quiz_core::{QuizDraft, QuizService, ServiceConfig};
//! use quiz_core::{Answer, PlayerName, QuestionId, Timestamp};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # let service = QuizService::new(quiz_memory::embedded_adapters(), ServiceConfig::default());
//! # let draft: QuizDraft = serde_json::from_str(r#"{"id": "capitals", "title": "Capitals",
//! #   "status": "open", "created_at": 1700000000000, "questions": [
//! #   {"id": "fr", "prompt": "Capital of France?", "options": ["Lyon", "Paris"], "correct": 1,
//! #    "points": 100, "time_limit_ms": 20000}]}"#)?;
//! # let quiz = service.library().create(draft).await?;
//! let t0 = quiz.created_at();
//! let ann = service.players().join(quiz.id(), &PlayerName::parse("Ann")?, t0.plus_ms(1_000)).await?;
//! let ben = service.players().join(quiz.id(), &PlayerName::parse("Ben")?, t0.plus_ms(1_500)).await?;
//!
//! let fr = QuestionId::parse("fr")?;
//! let right = service.answers().submit(&ann, &fr, &Answer::Option(1), t0.plus_ms(4_000)).await?;
//! assert!(right.result.correct);
//! assert_eq!((right.total, right.rank), (100, 1));
//! let wrong = service.answers().submit(&ben, &fr, &Answer::Option(0), t0.plus_ms(5_000)).await?;
//! assert_eq!(wrong.total, 0);
//! // A retry (the same question again) is answered with the first result.
//! let retry = service.answers().submit(&ann, &fr, &Answer::Option(0), t0.plus_ms(6_000)).await?;
//! assert!(retry.duplicate && retry.result.correct);
//!
//! let board = service.boards().view(quiz.id(), Some(&ben.id)).await?;
//! assert_eq!(board.players, 2);
//! assert_eq!(board.top[0].name, "Ann");
//! assert_eq!(board.me.map(|line| line.rank), Some(2));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(run())
//! #     .map_err(|e| std::io::Error::other(e.to_string()))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## A hosted game
//!
//! In a hosted quiz (`"mode": "hosted"`) a host moves the game through its
//! [`Phase`](game::Phase)s with [`Games::host`](service::Games::host): players join in the
//! lobby, `start` opens the first question, `skip` closes it (so does its time running out,
//! or everyone having answered), `next` goes from the reveal to the board and on to the
//! next question or the podium.
//!
//! ```
//! use quiz_core::game::{HostCommand, Phase};
//! use quiz_core::service::HostAction;
//! use quiz_core::{Answer, PlayerName, QuestionId, QuizDraft, QuizService, ServiceConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let service = QuizService::new(quiz_memory::embedded_adapters(), ServiceConfig::default());
//! let draft: QuizDraft = serde_json::from_str(r#"{
//!     "id": "pub-night", "title": "Pub night", "status": "open", "mode": "hosted",
//!     "created_at": 1700000000000,
//!     "questions": [{"id": "q1", "prompt": "2 + 2?", "options": ["3", "4"], "correct": 1,
//!                    "points": 100, "time_limit_ms": 20000}]
//! }"#)?;
//! let quiz = service.library().create(draft).await?;
//! let games = service.games();
//! let mut now = quiz.created_at().plus_ms(1_000);
//! assert!(matches!(games.current(&quiz, now).await?.phase, Phase::Lobby { .. }));
//! let ann = service.players().join(quiz.id(), &PlayerName::parse("Ann")?, now).await?;
//!
//! let command = |c| HostAction::Phase(c);
//! let state = games.host(quiz.id(), command(HostCommand::Start), now).await?;
//! let Phase::Question { index: 0, opens_at, .. } = state.phase else {
//!     panic!("start opens the first question, not {:?}", state.phase);
//! };
//! now = opens_at.plus_ms(2_000);
//! let q1 = QuestionId::parse("q1")?;
//! let outcome = service.answers().submit(&ann, &q1, &Answer::Option(1), now).await?;
//! assert!(outcome.result.correct);
//!
//! now = now.plus_ms(100);
//! let state = games.current(&quiz, now).await?; // everyone answered: the reveal
//! let state = match state.phase {
//!     Phase::Question { .. } => games.host(quiz.id(), command(HostCommand::Skip), now).await?,
//!     _ => state,
//! };
//! assert!(matches!(state.phase, Phase::Reveal { index: 0, .. }), "{:?}", state.phase);
//! let state = games.host(quiz.id(), command(HostCommand::Next), now).await?;
//! assert!(matches!(state.phase, Phase::Board { index: 0, .. }), "{:?}", state.phase);
//! let state = games.host(quiz.id(), command(HostCommand::Next), now).await?;
//! assert!(matches!(state.phase, Phase::Podium), "{:?}", state.phase);
//!
//! let results = service.results().results(&quiz).await?;
//! assert_eq!((results[0].entry.name.as_str(), results[0].entry.score), ("Ann", 100));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(run())
//! #     .map_err(|e| std::io::Error::other(e.to_string()))?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod board;
pub mod game;
pub mod ids;
pub mod media;
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
