//! The score event's wire form.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use quiz_contracts::event::{DecodeError, ScoreEventV1};
use quiz_core::{AnswerResult, PlayerId, PlayerName, QuestionId, QuizId, ScoreEvent, Timestamp};

fn event() -> ScoreEvent {
    let quiz = QuizId::parse("quiz-1").unwrap();
    let player = PlayerId::parse("p7").unwrap();
    let question = QuestionId::parse("q3").unwrap();
    ScoreEvent {
        event_id: ScoreEvent::id_for(&quiz, &player, &question),
        quiz,
        player,
        player_name: PlayerName::parse("Zoë").unwrap(),
        joined_at: Timestamp(1_699_999_999_000),
        question,
        result: AnswerResult {
            correct: true,
            points: 120,
            streak: 2,
            at: Timestamp(1_700_000_000_123),
            elapsed_ms: None,
        },
        total: 340,
        answers: 3,
        reached_at: Timestamp(1_700_000_000_123),
    }
}

#[test]
fn events_round_trip_through_the_wire_form() {
    let e = event();
    let bytes = ScoreEventV1::encode(&e).unwrap();
    assert_eq!(ScoreEventV1::decode(&bytes), Ok(e));
}

#[test]
fn malformed_events_are_refused_with_a_reason() {
    assert!(ScoreEventV1::decode(b"{").is_err());
    let mut w = ScoreEventV1::from(&event());
    w.v = 2;
    assert_eq!(
        ScoreEventV1::decode(&serde_json::to_vec(&w).unwrap()),
        Err(DecodeError::UnsupportedVersion(2))
    );
    // A future version with fields this reader does not know is still recognised as such.
    let future = serde_json::json!({"v": 3, "something": "new"});
    assert_eq!(
        ScoreEventV1::decode(&serde_json::to_vec(&future).unwrap()),
        Err(DecodeError::UnsupportedVersion(3))
    );
    assert!(matches!(
        ScoreEventV1::decode(b"{\"v\":1}"),
        Err(DecodeError::Malformed(_))
    ));
    let mut w = ScoreEventV1::from(&event());
    w.quiz = "bad quiz".into();
    assert!(ScoreEventV1::decode(&serde_json::to_vec(&w).unwrap()).is_err());
    let mut w = ScoreEventV1::from(&event());
    w.event_id = "forged".into();
    assert!(ScoreEventV1::decode(&serde_json::to_vec(&w).unwrap()).is_err());
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let mut v = serde_json::to_value(ScoreEventV1::from(&event())).unwrap();
    v["added_later"] = serde_json::json!(true);
    assert!(ScoreEventV1::decode(&serde_json::to_vec(&v).unwrap()).is_ok());
}

#[test]
fn v1_events_written_before_joined_at_existed_still_decode() {
    // Exactly the fields a v1 event had before `joined_at` was added.
    let old = serde_json::json!({
        "v": 1,
        "event_id": "quiz-1/p7/q3",
        "quiz": "quiz-1",
        "player": "p7",
        "player_name": "Zoë",
        "question": "q3",
        "correct": true,
        "points": 120,
        "streak": 2,
        "answered_at": 1_700_000_000_123_u64,
        "total": 340,
        "answers": 3,
        "reached_at": 1_700_000_000_123_u64,
    });
    let decoded = ScoreEventV1::decode(&serde_json::to_vec(&old).unwrap()).unwrap();
    let mut want = event();
    want.joined_at = Timestamp(0);
    assert_eq!(decoded, want);
}

#[test]
fn the_join_time_travels_on_the_wire() {
    let v = serde_json::to_value(ScoreEventV1::from(&event())).unwrap();
    assert_eq!(v["joined_at"], serde_json::json!(1_699_999_999_000_u64));
}
