//! The WebSocket room protocol: JSON text frames, one message per frame, each an object
//! with a `type` field.
//!
//! Connect to `GET /ws/{quiz}?token=…` (the `ws_path` that joining returns). The server
//! first sends a `snapshot`, then `board` messages (throttled per room, `seq` only grows)
//! and replies to each client message. See README.md for an example session.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod answer;
mod board;
mod client;
pub mod close;
mod game;
mod snapshot;

pub use answer::*;
pub use board::*;
pub use client::*;
pub use game::*;
pub use snapshot::*;

/// A message from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Everything the client needs; sent on connect and on request.
    Snapshot(Box<SnapshotMsg>),
    /// The reply to an `answer`.
    AnswerResult(AnswerResultMsg),
    /// The live leaderboard, pushed at most once per throttle window per room.
    Board(BoardMsg),
    /// A refused message. The socket stays open unless a close frame follows.
    Error(ErrorMsg),
    /// The reply to `ping`.
    Pong(PongMsg),
    /// A hosted game's phase: sent on connect and on every phase change (see [`PhaseMsg`]).
    Phase(Box<PhaseMsg>),
    /// A hosted game's live "answered k of n" while a question is open.
    Answered(AnsweredCountMsg),
    /// The reply to a host's command.
    HostOk(HostOkMsg),
    /// A hosted game's players changed within a phase (a join, a removal): the count, the
    /// lobby's list in the lobby, and a question's lowered `expected` after a removal.
    Roster(RosterMsg),
}

/// Machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON, or not a JSON object.
    BadJson,
    /// A binary frame; only text frames are accepted.
    BinaryFrame,
    /// The `type` field is missing or not one the server knows.
    UnknownType,
    /// A known `type` with missing, extra or ill-typed fields.
    InvalidMessage,
    /// The `answer_id` is not 1–64 characters of `[A-Za-z0-9_-]`.
    BadAnswerId,
    /// The `answer_id` was already used on this connection for another question; an
    /// `answer_id` names one answer.
    AnswerIdReused,
    /// No question with that id in this quiz.
    UnknownQuestion,
    /// An option index (in `option` or `options`) is not one of the question's options.
    OptionOutOfRange,
    /// The answer field does not fit the question's type (`option` for single,
    /// true_false and poll; `options` for multi; `text` for type_answer).
    WrongAnswerType,
    /// An empty `options` set, or a blank `text`.
    EmptyAnswer,
    /// An option appears more than once in `options`.
    DuplicateOption,
    /// `text` is longer than 64 characters.
    AnswerTooLong,
    /// The question's time is up for this player.
    TooLate,
    /// The quiz is closed.
    QuizClosed,
    /// The quiz no longer exists.
    UnknownQuiz,
    /// Messages are arriving faster than allowed; slow down.
    RateLimited,
    /// The answer could not be made durable; send it again (same `answer_id`).
    TryAgain,
    /// A server-side failure; try again later.
    Unavailable,
    /// Hosted game: no question is open now (lobby, reveal, board, pause, podium).
    NoOpenQuestion,
    /// Hosted game: another question is open.
    NotTheOpenQuestion,
    /// A `host` message on a player's socket.
    NotHost,
    /// An `answer` on a host's socket.
    NotAPlayer,
    /// The host command does not apply to the game's phase (`next` during a question…).
    NotNow,
    /// The quiz is self-paced: it has no host.
    NotHosted,
    /// `kick` names no player of this quiz.
    UnknownPlayer,
}

impl ErrorCode {
    /// Every error code, in declaration order: the list README.md's error-code table, the
    /// server-message schema's enum and the server's metrics are checked against
    /// (`contracts/tests/consistency.rs`).
    pub const ALL: &[ErrorCode] = &[
        Self::BadJson,
        Self::BinaryFrame,
        Self::UnknownType,
        Self::InvalidMessage,
        Self::BadAnswerId,
        Self::AnswerIdReused,
        Self::UnknownQuestion,
        Self::OptionOutOfRange,
        Self::WrongAnswerType,
        Self::EmptyAnswer,
        Self::DuplicateOption,
        Self::AnswerTooLong,
        Self::TooLate,
        Self::QuizClosed,
        Self::UnknownQuiz,
        Self::RateLimited,
        Self::TryAgain,
        Self::Unavailable,
        Self::NoOpenQuestion,
        Self::NotTheOpenQuestion,
        Self::NotHost,
        Self::NotAPlayer,
        Self::NotNow,
        Self::NotHosted,
        Self::UnknownPlayer,
    ];

    /// The code as the protocol spells it (`bad_json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "bad_json",
            Self::BinaryFrame => "binary_frame",
            Self::UnknownType => "unknown_type",
            Self::InvalidMessage => "invalid_message",
            Self::BadAnswerId => "bad_answer_id",
            Self::AnswerIdReused => "answer_id_reused",
            Self::UnknownQuestion => "unknown_question",
            Self::OptionOutOfRange => "option_out_of_range",
            Self::WrongAnswerType => "wrong_answer_type",
            Self::EmptyAnswer => "empty_answer",
            Self::DuplicateOption => "duplicate_option",
            Self::AnswerTooLong => "answer_too_long",
            Self::TooLate => "too_late",
            Self::QuizClosed => "quiz_closed",
            Self::UnknownQuiz => "unknown_quiz",
            Self::RateLimited => "rate_limited",
            Self::TryAgain => "try_again",
            Self::Unavailable => "unavailable",
            Self::NoOpenQuestion => "no_open_question",
            Self::NotTheOpenQuestion => "not_the_open_question",
            Self::NotHost => "not_host",
            Self::NotAPlayer => "not_a_player",
            Self::NotNow => "not_now",
            Self::NotHosted => "not_hosted",
            Self::UnknownPlayer => "unknown_player",
        }
    }
}

/// A refused message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorMsg {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// The `answer_id` of the refused answer, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_id: Option<String>,
    /// The message field that broke the rule (`option`, `answer_id`, `type`), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The reply to `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PongMsg {
    /// The ping's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Server time, ms since the Unix epoch.
    pub server_time: u64,
}
