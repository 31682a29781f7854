//! The score event as it travels through Kafka (JSON, one per message, key = quiz id).

use quiz_core::{AnswerResult, PlayerId, PlayerName, QuestionId, QuizId, ScoreEvent, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version 1 of the score event.
///
/// How it is versioned: `v` names the version. Within a version, fields are only ever
/// added, and only as optional fields whose absence means what events written before
/// them meant (`joined_at` absent reads as 0, `elapsed_ms` absent as "not recorded"), so
/// every event ever written in version 1, still in Kafka or replayed, is read and applied
/// unchanged by every later reader. Consumers must ignore unknown fields. A change an
/// older reader could misread (a field removed, renamed or given a new meaning) gets a
/// new number in `v`, and a reader stops at a version it does not know instead of
/// skipping it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "ScoreEvent",
    description = "One accepted answer's effect on a player's score. Apply idempotently: an event whose `answers` is not above the stored count is stale. Versioning: `v` is the version (1). Within a version fields are only added, as optional fields whose absence means what older events meant, so events written by any earlier release are applied unchanged; consumers ignore unknown fields. A change an older reader could misread gets a new `v`, and readers stop at a version they do not know."
)]
pub struct ScoreEventV1 {
    /// Always 1.
    pub v: u8,
    /// `quiz/player/question`: the same for every republication of one answer.
    pub event_id: String,
    /// Quiz id.
    pub quiz: String,
    /// Player id (server-issued).
    pub player: String,
    /// Player display name.
    pub player_name: String,
    /// When the player joined, ms since the Unix epoch (lets a rebuild re-register the
    /// player). Added after v1 was first published: an event without it reads as 0.
    #[serde(default)]
    pub joined_at: u64,
    /// Question id.
    pub question: String,
    /// Whether the answer was correct.
    pub correct: bool,
    /// Points awarded for this answer, streak bonus included.
    pub points: u32,
    /// Streak length after this answer.
    pub streak: u32,
    /// When the answer was accepted, ms since the Unix epoch.
    pub answered_at: u64,
    /// Milliseconds from the question's opening for the player to the answer (see
    /// README: suspiciously fast answers). Added after v1 was first published: absent in
    /// older events, and then not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// The player's total after this answer.
    pub total: u64,
    /// How many questions the player had answered after this answer.
    pub answers: u32,
    /// When the player reached `total` (tie-break), ms since the Unix epoch.
    pub reached_at: u64,
}

impl From<&ScoreEvent> for ScoreEventV1 {
    fn from(e: &ScoreEvent) -> Self {
        Self {
            v: 1,
            event_id: e.event_id.clone(),
            quiz: e.quiz.to_string(),
            player: e.player.to_string(),
            player_name: e.player_name.to_string(),
            joined_at: e.joined_at.0,
            question: e.question.to_string(),
            correct: e.result.correct,
            points: e.result.points,
            streak: e.result.streak,
            answered_at: e.result.at.0,
            elapsed_ms: e.result.elapsed_ms,
            total: e.total,
            answers: e.answers,
            reached_at: e.reached_at.0,
        }
    }
}

/// Why a payload is not a usable score event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A well-formed event of a version this reader does not know. A reader must not skip
    /// it (that would lose data in a rolling upgrade): stop, and run a newer reader.
    #[error("score event version {0} is not supported by this reader; upgrade it")]
    UnsupportedVersion(u64),
    /// Not a score event at all (bad JSON, a missing field, an invalid id).
    #[error("malformed score event: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct VersionOnly {
    v: u64,
}

impl TryFrom<ScoreEventV1> for ScoreEvent {
    type Error = DecodeError;

    fn try_from(w: ScoreEventV1) -> Result<Self, DecodeError> {
        if w.v != 1 {
            return Err(DecodeError::UnsupportedVersion(u64::from(w.v)));
        }
        let bad = |e: quiz_core::IdError| DecodeError::Malformed(e.to_string());
        let quiz = QuizId::parse(w.quiz).map_err(bad)?;
        let player = PlayerId::parse(w.player).map_err(bad)?;
        let question = QuestionId::parse(w.question).map_err(bad)?;
        let event_id = ScoreEvent::id_for(&quiz, &player, &question);
        if w.event_id != event_id {
            return Err(DecodeError::Malformed(format!(
                "event id {} does not match its fields",
                w.event_id
            )));
        }
        Ok(ScoreEvent {
            event_id,
            quiz,
            player,
            player_name: PlayerName::parse(w.player_name).map_err(bad)?,
            joined_at: Timestamp(w.joined_at),
            question,
            result: AnswerResult {
                correct: w.correct,
                points: w.points,
                streak: w.streak,
                at: Timestamp(w.answered_at),
                elapsed_ms: w.elapsed_ms,
            },
            total: w.total,
            answers: w.answers,
            reached_at: Timestamp(w.reached_at),
        })
    }
}

impl ScoreEventV1 {
    /// Parses a Kafka message payload into a domain event.
    ///
    /// # Errors
    /// [`DecodeError::UnsupportedVersion`] for a well-formed event of another version
    /// (checked first, so a newer event with new fields is recognised as such);
    /// [`DecodeError::Malformed`] otherwise.
    pub fn decode(payload: &[u8]) -> Result<ScoreEvent, DecodeError> {
        let version: VersionOnly =
            serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if version.v != 1 {
            return Err(DecodeError::UnsupportedVersion(version.v));
        }
        let w: ScoreEventV1 =
            serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        ScoreEvent::try_from(w)
    }

    /// Encodes a domain event as a Kafka message payload.
    ///
    /// # Errors
    /// Only if serialization fails, which plain data like this cannot do in practice.
    pub fn encode(e: &ScoreEvent) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&ScoreEventV1::from(e))
    }
}
