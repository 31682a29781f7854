//! Unit tests of reading request bodies.

use serde_json::json;

use super::*;

fn q(extra: Value) -> Value {
    let mut q = json!({"id": "q1", "prompt": "P?", "options": ["a", "b"], "correct": 0,
                       "points": 100, "time_limit_ms": 10000});
    if let (Some(m), Some(e)) = (q.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    q
}

fn err(v: Value) -> FieldError {
    quiz(&v, "gen", Timestamp(0)).err().unwrap_or(FieldError {
        field: "(accepted)".into(),
        message: String::new(),
    })
}

#[test]
fn a_valid_definition_reads_whole() {
    let d = quiz(
        &json!({"id": "caps", "title": "T", "scoring": {"kind": "speed_weighted",
                "streak_step": 50, "streak_cap": 200}, "questions": [q(json!({}))]}),
        "gen",
        Timestamp(7),
    );
    let d = d.unwrap();
    assert_eq!(d.id.as_str(), "caps");
    assert_eq!(d.scoring.kind, ScoringKind::SpeedWeighted);
    assert_eq!(d.questions[0].points, 100);
    let d = quiz(
        &json!({"title": "T", "questions": [q(json!({}))]}),
        "gen",
        Timestamp(7),
    );
    assert_eq!(d.unwrap().id.as_str(), "gen");
}

#[test]
fn every_refusal_names_its_field() {
    let cases = [
        (json!([]), "", "must be a JSON object"),
        (json!({"title": "T"}), "questions", "required"),
        (
            json!({"title": "T", "questions": []}),
            "questions",
            "1 to 200",
        ),
        (
            json!({"title": 5, "questions": [q(json!({}))]}),
            "title",
            "string",
        ),
        (
            json!({"title": "T", "questions": [q(json!({})), q(json!({"points": -5}))]}),
            "questions[1].points",
            "whole number from 1 to 10000",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"points": 1.5}))]}),
            "questions[0].points",
            "whole number",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"colour": 1}))]}),
            "questions[0].colour",
            "unknown field",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"options": ["a", 2]}))]}),
            "questions[0].options[1]",
            "string",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"options": ["a", "b", "c", "d", "e", "f", "g"]}))]}),
            "questions[0].options",
            "at most 6",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"correct": 9}))]}),
            "questions[0].correct",
            "0 to 5",
        ),
        (
            json!({"title": "T", "questions": [q(json!({"id": "a b"}))]}),
            "questions[0].id",
            "id",
        ),
        (
            json!({"title": "T", "id": null, "questions": [q(json!({}))]}),
            "id",
            "null",
        ),
        (
            json!({"title": "T", "scoring": {"kind": "fast"}, "questions": [q(json!({}))]}),
            "scoring.kind",
            "fixed, speed_weighted, accuracy_only",
        ),
        (
            json!({"title": "T", "scoring": {"kind": "fixed", "streak_step": 5},
                "questions": [q(json!({}))]}),
            "scoring.streak_cap",
            "together",
        ),
    ];
    for (body, field, words) in cases {
        let e = err(body.clone());
        assert_eq!(e.field, field, "{body}: {e:?}");
        assert!(e.message.contains(words), "{body}: {e:?}");
    }
}

#[test]
fn too_many_questions_are_refused_before_any_is_read() {
    // 10,000 questions that are each invalid: the count is what is reported.
    let body = json!({"title": "T", "questions": vec![json!(1); 10_000]});
    let e = err(body);
    assert_eq!(e.field, "questions");
    assert!(e.message.contains("has 10000"), "{e:?}");
}

#[test]
fn join_bodies_have_a_name_only() {
    assert_eq!(join_name(&json!({"name": "Ann"})), Ok("Ann".into()));
    assert_eq!(
        join_name(&json!({"name": 3})).map_err(|e| e.field),
        Err("name".into())
    );
    assert_eq!(
        join_name(&json!({})).map_err(|e| e.field),
        Err("name".into())
    );
    assert_eq!(
        join_name(&json!({"name": "A", "x": 1})).map_err(|e| e.field),
        Err("x".into())
    );
    assert_eq!(
        join_name(&json!("Ann")).map_err(|e| e.field),
        Err(String::new())
    );
}
