//! The WebSocket room protocol: JSON text frames, one message per frame, each an object
//! with a `type` field.
//!
//! Connect to `GET /ws/{quiz}?token=…` (the `ws_path` that joining returns). The server
//! first sends a `snapshot`, then `board` messages (throttled per room, `seq` only grows)
//! and replies to each client message. See README.md for an example session.

use quiz_core::service::{AnswerOutcome, Snapshot};
use quiz_core::{BoardEntry, BoardView, Grade, QuestionType, QuizMode, QuizStatus, ScoringKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// WebSocket close codes the server uses.
pub mod close {
    /// The server is shutting down, or the socket was idle too long; reconnect (RFC 6455
    /// "going away").
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket framing rules, e.g. an unmasked or malformed frame
    /// (RFC 6455 "protocol error").
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not valid UTF-8 (RFC 6455 "invalid frame payload data").
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The client kept sending invalid messages (RFC 6455 "policy violation").
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame, or a message of several fragments, was larger than the configured maximum
    /// (RFC 6455 "message too big").
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server could not load what the socket needs (the player or the snapshot) because a
    /// backend is unavailable; reconnect later (RFC 6455 "internal error").
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The player token is missing, malformed, forged or expired.
    pub const INVALID_TOKEN: u16 = 4001;
    /// The token belongs to another quiz than the one in the URL.
    pub const WRONG_QUIZ: u16 = 4003;
    /// The token's player is not registered in this quiz.
    pub const UNKNOWN_PLAYER: u16 = 4004;
    /// The host removed this player from the hosted game; the token no longer works.
    pub const REMOVED: u16 = 4009;
    /// Another socket of the same player connected (another tab, another device): the
    /// newest one plays; this one is closed (reconnecting takes over again).
    pub const TAKEN_OVER: u16 = 4010;
    /// The client sent messages faster than the configured rate, repeatedly.
    pub const RATE_LIMITED: u16 = 4029;

    /// Every close code with its meaning, as listed in the server-message schema
    /// (`x-close-codes`) and in README.md.
    pub const ALL: &[(u16, &str)] = &[
        (
            GOING_AWAY,
            "server shutting down, or idle socket: reconnect",
        ),
        (
            PROTOCOL_ERROR,
            "WebSocket framing rules broken (malformed frame)",
        ),
        (INVALID_PAYLOAD, "a text frame was not valid UTF-8"),
        (POLICY_VIOLATION, "too many invalid messages in a row"),
        (
            MESSAGE_TOO_BIG,
            "frame or fragmented message larger than the configured maximum",
        ),
        (INTERNAL_ERROR, "a backend is unavailable: reconnect later"),
        (
            INVALID_TOKEN,
            "missing, malformed, forged or expired token, or a wrong host key",
        ),
        (WRONG_QUIZ, "the token is for another quiz"),
        (UNKNOWN_PLAYER, "the token's player is not in this quiz"),
        (REMOVED, "the host removed this player from the game"),
        (
            TAKEN_OVER,
            "another connection of this player took over (one live socket per player)",
        ),
        (RATE_LIMITED, "kept flooding after rate_limited errors"),
    ];
}

/// A message from a player's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Answer one question, with exactly one of `option` (single, true_false, poll),
    /// `options` (multi) or `text` (type_answer). Sending the same `answer_id` or question
    /// again is safe: the server replies with the original result and changes nothing.
    Answer {
        /// A client-chosen id for this answer (1–64 characters of `[A-Za-z0-9_-]`), echoed in
        /// the reply so the client can match replies to retries.
        answer_id: String,
        /// The question id.
        question: String,
        /// single, true_false (0 = true, 1 = false) and poll: the chosen option, 0-based.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        option: Option<u32>,
        /// multi: the chosen options, 0-based; a set (not empty, no repeats).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<Vec<u32>>,
        /// type_answer: the typed answer (1–64 characters, not blank).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Ask for a fresh snapshot.
    Snapshot {},
    /// Application-level ping; the server replies `pong` (WebSocket ping frames work too).
    Ping {
        /// Echoed back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// A host's command in a hosted game (host sockets only: `?host_key=`). The reply is
    /// `host_ok` or an `error`.
    Host {
        /// What to do.
        command: HostCommandName,
        /// The player to remove (`kick` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player: Option<String>,
    },
}

/// The `type` values a client may send.
pub const CLIENT_TYPES: &[&str] = &["answer", "snapshot", "ping", "host"];

/// A host's command, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostCommandName {
    /// Refuse new players in the lobby.
    Lock,
    /// Accept new players again.
    Unlock,
    /// Open the first question.
    Start,
    /// From a reveal to the board; from a board to the next question or the podium.
    Next,
    /// Close the open question now.
    Skip,
    /// Stop the clock (question, reveal or board).
    Pause,
    /// Restart the clock with the time that was left.
    Resume,
    /// Go to the podium.
    End,
    /// Remove a player (`player` names them): their sockets close with 4009.
    Kick,
}

/// The names of the host commands, in the order of [`HostCommandName`].
pub const HOST_COMMANDS: &[&str] = &[
    "lock", "unlock", "start", "next", "skip", "pause", "resume", "end", "kick",
];

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

/// The result of one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnswerResultMsg {
    /// Echo of the client's `answer_id`.
    pub answer_id: String,
    /// The question answered.
    pub question: String,
    /// Whether the (first) answer was correct.
    pub correct: bool,
    /// Points awarded, streak bonus included.
    pub points: u32,
    /// The streak after this answer.
    pub streak: u32,
    /// The player's total now.
    pub total: u64,
    /// Questions answered now.
    pub answers: u32,
    /// The player's rank now (1 = first).
    pub rank: u64,
    /// True when this repeated an earlier answer to the same question: nothing changed.
    pub duplicate: bool,
    /// How the (first) answer was graded: `correct`, `partial` (a multi answer partly
    /// right under partial scoring: some points), `wrong`, or `counted` (a poll vote: no
    /// points, score, rank and streak unchanged).
    pub outcome: OutcomeName,
}

/// How an answer was graded, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeName {
    /// Right.
    Correct,
    /// Partly right (multi, partial scoring): some points, the streak ends.
    Partial,
    /// Wrong.
    Wrong,
    /// A poll vote.
    Counted,
}

impl From<Grade> for OutcomeName {
    fn from(g: Grade) -> Self {
        match g {
            Grade::Correct => Self::Correct,
            Grade::Partial => Self::Partial,
            Grade::Wrong => Self::Wrong,
            Grade::Counted => Self::Counted,
        }
    }
}

/// A question's type, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionTypeName {
    /// One correct option; answer with `option`.
    Single,
    /// Several correct options; answer with `options` (a set).
    Multi,
    /// The options `True` (0) and `False` (1); answer with `option`.
    TrueFalse,
    /// A vote: no correct option, no points; answer with `option`.
    Poll,
    /// A typed answer of up to 64 characters; answer with `text`.
    TypeAnswer,
}

impl From<QuestionType> for QuestionTypeName {
    fn from(t: QuestionType) -> Self {
        match t {
            QuestionType::Single => Self::Single,
            QuestionType::Multi => Self::Multi,
            QuestionType::TrueFalse => Self::TrueFalse,
            QuestionType::Poll => Self::Poll,
            QuestionType::TypeAnswer => Self::TypeAnswer,
        }
    }
}

impl AnswerResultMsg {
    /// Builds the reply from the service's outcome.
    pub fn new(answer_id: String, o: &AnswerOutcome) -> Self {
        Self {
            answer_id,
            question: o.question.to_string(),
            correct: o.result.correct,
            points: o.result.points,
            streak: o.result.streak,
            total: o.total,
            answers: o.answers,
            rank: o.rank,
            duplicate: o.duplicate,
            outcome: o.grade.into(),
        }
    }
}

/// One leaderboard line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntryMsg {
    /// Rank, 1 = first.
    pub rank: u64,
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Score.
    pub score: u64,
}

impl From<&BoardEntry> for EntryMsg {
    fn from(e: &BoardEntry) -> Self {
        Self {
            rank: e.rank,
            player: e.player.to_string(),
            name: e.name.clone(),
            score: e.score,
        }
    }
}

/// The leaderboard as the receiving player sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoardMsg {
    /// Grows with every board sent on this socket; a client drops a board whose `seq` is
    /// not above the last one it showed.
    pub seq: u64,
    /// The top N.
    pub top: Vec<EntryMsg>,
    /// The receiving player's line (absent before they are on the board).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<EntryMsg>,
    /// The receiving player's neighbours, themselves included, best first.
    pub around: Vec<EntryMsg>,
    /// How many players are on the board.
    pub players: u64,
    /// Server time when the board was read, ms since the Unix epoch.
    pub server_time: u64,
}

impl BoardMsg {
    /// Builds a board message.
    pub fn new(view: &BoardView, seq: u64, server_time: u64) -> Self {
        Self {
            seq,
            top: view.top.iter().map(EntryMsg::from).collect(),
            me: view.me.as_ref().map(EntryMsg::from),
            around: view.around.iter().map(EntryMsg::from).collect(),
            players: view.players,
            server_time,
        }
    }
}

/// A question as players see it, with this player's time window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuestionMsg {
    /// Question id.
    pub id: String,
    /// The question's type; it says which answer field to send.
    #[serde(rename = "type")]
    pub kind: QuestionTypeName,
    /// The question text.
    pub prompt: String,
    /// The options, in order (`["True", "False"]` for true_false; none for type_answer).
    pub options: Vec<String>,
    /// type_answer: the longest answer accepted, in characters (64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Points for a correct answer before weighting (0 for a poll).
    pub points: u32,
    /// Time allowed, ms.
    pub time_limit_ms: u32,
    /// When the question opens for this player (ms since the Unix epoch).
    pub opens_at: u64,
    /// After this, answers are refused (ms since the Unix epoch).
    pub closes_at: u64,
}

/// The scoring rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScoringMsg {
    /// `fixed`, `speed_weighted` or `accuracy_only`.
    pub kind: String,
    /// Streak bonus step, when there is a streak bonus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak_step: Option<u32>,
    /// Streak bonus cap, when there is a streak bonus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak_cap: Option<u32>,
    /// How multi questions score a set that is not exactly right: `all_or_nothing` or
    /// `partial`.
    pub multi: String,
}

/// The wire name of a multi scoring rule.
pub fn multi_name(m: quiz_core::question::MultiScoring) -> &'static str {
    match m {
        quiz_core::question::MultiScoring::AllOrNothing => "all_or_nothing",
        quiz_core::question::MultiScoring::Partial => "partial",
    }
}

/// One answered question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnsweredMsg {
    /// Question id.
    pub question: String,
    /// Whether it was correct.
    pub correct: bool,
    /// Points awarded.
    pub points: u32,
    /// Streak after it.
    pub streak: u32,
    /// How it was graded (see `answer_result`).
    pub outcome: OutcomeName,
}

/// The reply to a host's command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostOkMsg {
    /// The command done.
    pub command: HostCommandName,
    /// The game's phase sequence number after it.
    pub seq: u64,
}

/// A hosted game's live answer count for the open question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnsweredCountMsg {
    /// The phase (`seq`) it belongs to.
    pub seq: u64,
    /// Players who answered the open question.
    pub answered: u64,
    /// The players it waits for: those in the game when it opened, less any removed
    /// since.
    pub expected: u64,
}

/// A hosted game's players, changed within the phase `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RosterMsg {
    /// The phase (`seq`) it belongs to; a client applies it only to that phase.
    pub seq: u64,
    /// Players in the game (joined, not removed).
    pub players: u64,
    /// Lobby: the players who joined, in join order (up to 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lobby: Option<Vec<LobbyPlayerMsg>>,
    /// Question (and paused from a question): the players it now waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}

/// A player as the lobby lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LobbyPlayerMsg {
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
}

/// The question of a hosted game's phase, as everyone sees it (no answer key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseQuestionMsg {
    /// Position in the quiz, from 0.
    pub index: u64,
    /// Question id.
    pub id: String,
    /// The question's type; it says which answer field to send.
    #[serde(rename = "type")]
    pub kind: QuestionTypeName,
    /// The question text.
    pub prompt: String,
    /// The options, in order (`["True", "False"]` for true_false; none for type_answer).
    pub options: Vec<String>,
    /// type_answer: the longest answer accepted, in characters (64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Points for a correct answer before weighting (0 for a poll).
    pub points: u32,
    /// Time allowed, ms.
    pub time_limit_ms: u32,
    /// When it opened for everyone (ms since the Unix epoch); speed counts from here.
    pub opens_at: u64,
    /// When it closes by itself (ms since the Unix epoch); moves on by a pause.
    pub closes_at: u64,
}

/// The receiving player's own result at a reveal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct YouMsg {
    /// Whether they answered this question.
    pub answered: bool,
    /// The option they chose (single, true_false, poll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<u32>,
    /// The options they chose (multi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<u32>>,
    /// What they typed, normalised as it was compared (type_answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// How it was graded (absent when they did not answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeName>,
    /// Whether it was correct.
    pub correct: bool,
    /// Points it earned.
    pub points: u32,
    /// Their total now.
    pub total: u64,
}

/// How often one typed answer was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextCountMsg {
    /// The answer, normalised (case-folded, spaces collapsed; accents dropped when the
    /// question ignores them).
    pub text: String,
    /// How many players gave it.
    pub count: u64,
    /// Whether it was accepted.
    pub correct: bool,
}

/// What a reveal shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RevealMsg {
    /// The question's type.
    #[serde(rename = "type")]
    pub kind: QuestionTypeName,
    /// single and true_false: the correct option, 0-based (absent for the other types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<u64>,
    /// single, true_false and multi: every correct option, 0-based, ascending; empty for
    /// poll and type_answer.
    pub correct_options: Vec<u64>,
    /// type_answer: the accepted answers as the author wrote them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// type_answer: the most given answers (up to 10), most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<TextCountMsg>,
    /// How many picked each option, in option order (a multi answer counts for every
    /// option it picks; empty for type_answer).
    pub counts: Vec<u64>,
    /// How many answered.
    pub answered: u64,
    /// The quiz author's explanation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// The receiving player's result (player sockets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you: Option<YouMsg>,
}

/// A player who moved up the board with the last question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MoverMsg {
    /// Player id.
    pub player: String,
    /// Display name.
    pub name: String,
    /// Rank before the question.
    pub from: u64,
    /// Rank after it.
    pub to: u64,
}

/// The board of a hosted game's board and podium phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseBoardMsg {
    /// The top N.
    pub top: Vec<EntryMsg>,
    /// The receiving player's line (player sockets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<EntryMsg>,
    /// The receiving player's neighbours, themselves included (player sockets only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub around: Vec<EntryMsg>,
    /// How many players are on the board.
    pub players: u64,
    /// Who moved up with the last question, most places first (up to 5).
    pub movers: Vec<MoverMsg>,
}

/// A hosted game's phase. Every phase frame carries the game's `seq`: a client ignores a
/// frame whose `seq` is not above the last one it showed, so after a reconnect it shows
/// the current phase and never an older one. Fields that do not apply to the phase are
/// absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseMsg {
    /// Grows by one with every transition of the game.
    pub seq: u64,
    /// `lobby`, `question`, `reveal`, `board`, `paused` or `podium`.
    pub phase: String,
    /// Server time when the frame was built, ms since the Unix epoch.
    pub server_time: u64,
    /// Quiz id.
    pub quiz: String,
    /// Quiz title.
    pub title: String,
    /// How many questions the quiz has.
    pub question_count: u64,
    /// Players in the game (joined, not removed).
    pub players: u64,
    /// Whether the lobby is locked (new players refused).
    pub locked: bool,
    /// Lobby: the players who joined, in join order (up to 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lobby: Option<Vec<LobbyPlayerMsg>>,
    /// Question, reveal, board and paused: the current question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<PhaseQuestionMsg>,
    /// Question (and paused from a question): milliseconds left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<u64>,
    /// Question (and paused from a question): players who answered it so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u64>,
    /// Question (and paused from a question): the players it waits for — those in the
    /// game when it opened, less any removed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    /// Paused: the phase paused (`question`, `reveal` or `board`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_from: Option<String>,
    /// Reveal: the answer and how the room answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<RevealMsg>,
    /// Board and podium: the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<PhaseBoardMsg>,
    /// Podium: the top three (fewer with fewer players).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub podium: Option<Vec<EntryMsg>>,
}

/// Everything a (re)connecting client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotMsg {
    /// Quiz id.
    pub quiz: String,
    /// Quiz title.
    pub title: String,
    /// `open` or `closed`.
    pub status: String,
    /// `self_paced` or `hosted`. A hosted quiz's snapshot lists no questions: `phase`
    /// frames show them one at a time.
    pub mode: String,
    /// Scoring rules.
    pub scoring: ScoringMsg,
    /// The largest reachable total.
    pub max_total: u64,
    /// Questions in order, without the answer key.
    pub questions: Vec<QuestionMsg>,
    /// The player's id.
    pub player: String,
    /// The player's display name.
    pub name: String,
    /// Questions already answered.
    pub answered: Vec<AnsweredMsg>,
    /// The board now.
    pub board: BoardMsg,
}

fn kind_name(k: ScoringKind) -> &'static str {
    match k {
        ScoringKind::Fixed => "fixed",
        ScoringKind::SpeedWeighted => "speed_weighted",
        ScoringKind::AccuracyOnly => "accuracy_only",
    }
}

/// The wire name of a quiz mode.
pub fn mode_name(m: QuizMode) -> &'static str {
    match m {
        QuizMode::SelfPaced => "self_paced",
        QuizMode::Hosted => "hosted",
    }
}

/// The wire name of a quiz status.
pub fn status_name(s: QuizStatus) -> &'static str {
    match s {
        QuizStatus::Open => "open",
        QuizStatus::Closed => "closed",
    }
}

impl SnapshotMsg {
    /// Builds the snapshot message; `seq` is the socket's board sequence number.
    pub fn new(s: &Snapshot, seq: u64) -> Self {
        let kind_of = |id: &quiz_core::QuestionId| {
            s.quiz
                .questions
                .iter()
                .find(|q| &q.id == id)
                .map_or(QuestionType::Single, |q| q.kind)
        };
        let mut answered: Vec<AnsweredMsg> = s
            .answered
            .iter()
            .map(|(q, r)| AnsweredMsg {
                question: q.to_string(),
                correct: r.correct,
                points: r.points,
                streak: r.streak,
                outcome: Grade::of(kind_of(q), r).into(),
            })
            .collect();
        answered.sort_by(|a, b| a.question.cmp(&b.question));
        Self {
            quiz: s.quiz.id.to_string(),
            title: s.quiz.title.clone(),
            status: status_name(s.quiz.status).into(),
            mode: mode_name(s.quiz.mode).into(),
            scoring: ScoringMsg {
                kind: kind_name(s.quiz.scoring.kind).into(),
                streak_step: s.quiz.scoring.streak.map(|b| b.step),
                streak_cap: s.quiz.scoring.streak.map(|b| b.cap),
                multi: multi_name(s.quiz.scoring.multi).into(),
            },
            max_total: s.quiz.max_total,
            questions: s
                .quiz
                .questions
                .iter()
                .zip(&s.windows)
                .map(|(q, w)| QuestionMsg {
                    id: q.id.to_string(),
                    kind: q.kind.into(),
                    prompt: q.prompt.clone(),
                    options: q.options.clone(),
                    max_length: q.kind.max_length(),
                    points: q.points,
                    time_limit_ms: q.time_limit_ms,
                    opens_at: w.opens_at.0,
                    closes_at: w.closes_at.0,
                })
                .collect(),
            player: s.player.id.to_string(),
            name: s.player.name.to_string(),
            answered,
            board: BoardMsg::new(&s.board, seq, s.now.0),
        }
    }
}
