//! The hosted-game operations' request and response types.

use poem_openapi::{Enum, Object};

use super::QuestionTypeDto;
use crate::strict::{Absent, Text};

/// A host's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum HostCommandDto {
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
    /// Remove a player (`player`): their sockets close with 4009, their token stops working.
    Kick,
}

/// A host's command to a hosted game.
#[derive(Debug, Object)]
pub struct HostCommandIn {
    /// What to do.
    pub command: HostCommandDto,
    /// The player to remove (`kick` only).
    #[oai(validator(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub player: Absent<Text>,
}

/// A hosted game's state.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GameOut {
    /// Quiz id.
    pub quiz: String,
    /// Grows by one with every transition.
    pub seq: u64,
    /// `lobby`, `question`, `reveal`, `board`, `paused` or `podium`.
    pub phase: String,
    /// Server time, ms since the Unix epoch.
    pub server_time: u64,
    /// Whether the lobby is locked.
    pub locked: bool,
    /// Players in the game (joined, not removed).
    pub players: u64,
    /// How many questions the quiz has.
    pub question_count: u64,
    /// The current question (0-based): question, reveal, board, and a pause of them.
    pub question_index: Absent<u64>,
    /// When the open question opened (question phase).
    pub opens_at: Absent<u64>,
    /// When the open question closes by itself (question phase).
    pub closes_at: Absent<u64>,
    /// Milliseconds left of the open or paused question.
    pub remaining_ms: Absent<u64>,
    /// Players who answered the open or paused question (a removed player's answer no
    /// longer counts).
    pub answered: Absent<u64>,
    /// The players the open or paused question waits for: those in the game when it
    /// opened, less those removed since (a late joiner never counts).
    pub expected: Absent<u64>,
    /// The phase a pause stopped (`question`, `reveal` or `board`).
    pub paused_from: Absent<String>,
    /// The game PIN players may type instead of the quiz id, while it is live (absent once
    /// it expired: 10 minutes after the podium was first seen, or 12 hours after it was
    /// given).
    pub pin: Absent<String>,
    /// The link players open to join, from the server's `--public-url`
    /// (`{public-url}/join/{pin}`, or `{public-url}/?quiz={quiz}` without a PIN); absent
    /// when no public URL is configured (clients build it from the address they used).
    pub join_url: Absent<String>,
}

/// One question of the per-question report.
#[derive(Debug, Object)]
pub struct QuestionReportOut {
    /// Position in the quiz, from 0.
    pub index: u64,
    /// Question id.
    pub id: String,
    /// The question text.
    pub prompt: String,
    /// The question's type.
    #[oai(rename = "type")]
    pub kind: QuestionTypeDto,
    /// single and true_false: the correct option, 0-based (absent for the other types).
    pub correct_option: Absent<u64>,
    /// single, true_false and multi: every correct option, 0-based; empty for poll and
    /// type_answer.
    pub correct_options: Vec<u64>,
    /// type_answer: the accepted answers.
    pub accepted: Vec<String>,
    /// type_answer: the most given answers (up to 10, normalised), most first; those the
    /// names' deny list refuses are left out.
    pub texts: Vec<TextCountOut>,
    /// How many players answered.
    pub answered: u64,
    /// How many answered correctly (0 for a poll).
    pub correct: u64,
    /// Percentage of answers that were correct (0 without answers), one decimal.
    pub percent_correct: f64,
    /// How many picked each option, in option order (a multi answer counts for every
    /// option it picks; empty for type_answer).
    pub counts: Vec<u64>,
    /// Mean milliseconds from the question's opening to an answer, on the question's own
    /// clock: time the game spent paused does not count (absent without answers).
    pub mean_answer_ms: Absent<u64>,
}

/// How often one typed answer was given.
#[derive(Debug, Object)]
pub struct TextCountOut {
    /// The answer, normalised as the question compares answers.
    pub text: String,
    /// How many players gave it.
    pub count: u64,
    /// Whether it was accepted.
    pub correct: bool,
}

/// The per-question report of a hosted game: each question closed so far (every
/// question once the game is over).
#[derive(Debug, Object)]
pub struct ReportOut {
    /// Quiz id.
    pub quiz: String,
    /// The questions, in play order.
    pub questions: Vec<QuestionReportOut>,
}

#[cfg(test)]
mod tests {
    /// [`super::HostCommandDto`] only documents the body the handler reads with the
    /// protocol's one command enum ([`quiz_contracts::ws::HostCommandName`]); the two
    /// list the same commands in the same order.
    #[test]
    fn the_documented_commands_are_the_protocol_s() {
        let path = quiz_contracts::workspace_root().join("contracts/openapi.json");
        let spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let documented = &spec["components"]["schemas"]["HostCommandDto"]["enum"];
        let protocol: Vec<&str> = quiz_contracts::ws::HostCommandName::ALL
            .iter()
            .map(|c| c.name())
            .collect();
        assert_eq!(documented, &serde_json::json!(protocol));
    }
}
