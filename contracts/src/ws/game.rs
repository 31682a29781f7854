//! A hosted game's frames: its phase, the live counts, the host's replies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use quiz_core::question::Given;
use quiz_core::{Grade, QuestionType};

use super::{EntryMsg, HostCommandName, OutcomeName, QuestionMsg, QuestionTypeName};

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
    /// The players it waits for: those in the game when it opened, less those removed
    /// since (a late joiner never counts).
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
    /// The question's image, where the server serves it (`/media/<sha256>`), if it has
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^/media/[0-9a-f]{64}$"))]
    pub image: Option<String>,
}

impl PhaseQuestionMsg {
    /// Question `index` of a hosted game: the question as everyone sees it, with when it
    /// opened and closes for everyone (0 and 0 once it closed).
    pub fn new(index: usize, q: QuestionMsg) -> Self {
        let QuestionMsg {
            id,
            kind,
            prompt,
            options,
            max_length,
            points,
            time_limit_ms,
            opens_at,
            closes_at,
            image,
        } = q;
        Self {
            index: index as u64,
            id,
            kind,
            prompt,
            options,
            max_length,
            points,
            time_limit_ms,
            opens_at,
            closes_at,
            image,
        }
    }
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

impl YouMsg {
    /// The result of a player who answered `given` to a question of type `kind`, graded
    /// `grade` (`correct` with `points`), with `total` points now.
    pub fn answered(
        given: &Given,
        kind: QuestionType,
        grade: Grade,
        correct: bool,
        points: u32,
        total: u64,
    ) -> Self {
        let (mut option, mut options, mut text) = (None, None, None);
        match given {
            Given::Picks(set) if kind == QuestionType::Multi => {
                options = Some(set.iter().map(|i| i as u32).collect());
            }
            Given::Picks(set) => option = set.iter().next().map(|i| i as u32),
            Given::Text(t) => text = Some(t.clone()),
        }
        Self {
            answered: true,
            option,
            options,
            text,
            outcome: Some(grade.into()),
            correct,
            points,
            total,
        }
    }

    /// The result of a player who did not answer, with `total` points now.
    pub fn unanswered(total: u64) -> Self {
        Self {
            answered: false,
            option: None,
            options: None,
            text: None,
            outcome: None,
            correct: false,
            points: 0,
            total,
        }
    }
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
    /// type_answer: the most given answers (up to 10), most first; those the names' deny
    /// list refuses are left out (an accepted answer never is).
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
    /// Position on the board after the previous question, as the room showed it (one per
    /// line: equal scores ordered by who reached them first).
    pub from: u64,
    /// Position now, better than `from`.
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
    /// game when it opened, less those removed since (a late joiner never
    /// counts).
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
