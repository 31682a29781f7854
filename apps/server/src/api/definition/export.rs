//! Writing a stored quiz back as the definition `POST /api/quizzes` accepts (answer key
//! included): the inverse of [`super::quiz`], so an exported quiz posted again (or `PUT`)
//! makes the same quiz. Every field is written out, defaults included, so the file says
//! everything the quiz does.

use quiz_core::question::{AnswerKey, MultiScoring};
use quiz_core::{NameMode, Quiz, QuizMode, ScoringKind};
use serde_json::{Map, Value, json};

use crate::api::types::ScoringKindDto;

/// The wire name of a scoring kind.
fn kind_name(kind: ScoringKind) -> &'static str {
    match ScoringKindDto::from(kind) {
        ScoringKindDto::Fixed => "fixed",
        ScoringKindDto::SpeedWeighted => "speed_weighted",
        ScoringKindDto::AccuracyOnly => "accuracy_only",
    }
}

/// The definition of `quiz`.
pub fn definition(quiz: &Quiz) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(quiz.id().as_str()));
    out.insert("title".into(), json!(quiz.title()));
    let s = quiz.scoring();
    let mut scoring = Map::new();
    scoring.insert("kind".into(), json!(kind_name(s.kind)));
    if let Some(streak) = s.streak {
        scoring.insert("streak_step".into(), json!(streak.step));
        scoring.insert("streak_cap".into(), json!(streak.cap));
    }
    scoring.insert(
        "multi".into(),
        json!(match s.multi {
            MultiScoring::AllOrNothing => "all_or_nothing",
            MultiScoring::Partial => "partial",
        }),
    );
    out.insert("scoring".into(), Value::Object(scoring));
    out.insert(
        "mode".into(),
        json!(match quiz.mode() {
            QuizMode::SelfPaced => "self_paced",
            QuizMode::Hosted => "hosted",
        }),
    );
    if quiz.mode() == QuizMode::Hosted {
        let h = quiz.hosted();
        let mut hosted = Map::new();
        hosted.insert("end_early".into(), json!(h.end_early));
        if let Some(s) = h.reveal_secs {
            hosted.insert("reveal_secs".into(), json!(s));
        }
        if let Some(s) = h.board_secs {
            hosted.insert("board_secs".into(), json!(s));
        }
        out.insert("hosted".into(), Value::Object(hosted));
    }
    out.insert(
        "names".into(),
        json!(match quiz.names() {
            NameMode::Requested => "requested",
            NameMode::Generated => "generated",
        }),
    );
    out.insert("min_answer_ms".into(), json!(quiz.min_answer_ms()));
    let questions = quiz
        .questions()
        .iter()
        .map(|q| {
            let mut m = Map::new();
            m.insert("id".into(), json!(q.id.as_str()));
            m.insert("type".into(), json!(q.key.kind().name()));
            m.insert("prompt".into(), json!(q.prompt));
            match &q.key {
                AnswerKey::Single(i) => {
                    m.insert("options".into(), json!(q.options));
                    m.insert("correct".into(), json!(i.get()));
                }
                AnswerKey::Multi(set) => {
                    m.insert("options".into(), json!(q.options));
                    m.insert("correct".into(), json!(set.iter().collect::<Vec<_>>()));
                }
                AnswerKey::TrueFalse(b) => {
                    m.insert("correct".into(), json!(b));
                }
                AnswerKey::Poll => {
                    m.insert("options".into(), json!(q.options));
                }
                AnswerKey::TypeAnswer {
                    accepted,
                    ignore_accents,
                } => {
                    m.insert("accepted".into(), json!(accepted));
                    m.insert("ignore_accents".into(), json!(ignore_accents));
                }
            }
            if !matches!(q.key, AnswerKey::Poll) {
                m.insert("points".into(), json!(q.points));
            }
            m.insert("time_limit_ms".into(), json!(q.time_limit_ms));
            if let Some(e) = &q.explanation {
                m.insert("explanation".into(), json!(e));
            }
            if let Some(i) = &q.image {
                m.insert("image".into(), json!(i.as_str()));
            }
            Value::Object(m)
        })
        .collect();
    out.insert("questions".into(), Value::Array(questions));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use quiz_core::Timestamp;
    use serde_json::json;

    use super::*;

    /// Reads `v` as `POST /api/quizzes` would, at time 7.
    fn read(v: &Value) -> Quiz {
        let draft = super::super::quiz(v, "gen", Timestamp(7)).unwrap();
        Quiz::try_from(draft).unwrap()
    }

    #[test]
    fn an_exported_quiz_reads_back_the_same() {
        let every = json!({
            "id": "every", "title": "Every type",
            "scoring": {"kind": "speed_weighted", "streak_step": 5, "streak_cap": 20, "multi": "partial"},
            "mode": "hosted", "hosted": {"end_early": false, "reveal_secs": 4, "board_secs": 6},
            "names": "generated", "min_answer_ms": 300,
            "questions": [
                {"id": "s", "prompt": "S?", "options": ["a", "b"], "correct": 1, "points": 10, "time_limit_ms": 5000, "explanation": "because", "image": "ab".repeat(32)},
                {"id": "m", "type": "multi", "prompt": "M?", "options": ["a", "b", "c"], "correct": [0, 2], "points": 20, "time_limit_ms": 6000},
                {"id": "t", "type": "true_false", "prompt": "T?", "correct": false, "points": 30, "time_limit_ms": 7000},
                {"id": "p", "type": "poll", "prompt": "P?", "options": ["x", "y"], "time_limit_ms": 8000},
                {"id": "w", "type": "type_answer", "prompt": "W?", "accepted": ["Paris"], "ignore_accents": true, "points": 40, "time_limit_ms": 9000}
            ]
        });
        let plain = json!({"title": "Plain", "questions": [
            {"id": "q", "prompt": "Q?", "options": ["a", "b"], "correct": 0, "points": 1, "time_limit_ms": 1000}
        ]});
        for v in [every, plain] {
            let quiz = read(&v);
            let exported = definition(&quiz);
            assert_eq!(read(&exported), quiz, "{exported}");
            // Written twice, the same text: nothing depends on order or chance.
            assert_eq!(definition(&read(&exported)), exported);
        }
    }
}
