//! Unit tests of quiz definitions and answer checking.

use super::*;
use crate::ids::OptionIndex;
use crate::scoring::{ScoringKind, StreakBonus};

pub(crate) fn question(id: &str, correct: u8, points: u32, limit: u32) -> Question {
    Question {
        id: QuestionId::parse(id).unwrap(),
        prompt: format!("prompt {id}"),
        options: vec!["a".into(), "b".into(), "c".into()],
        key: AnswerKey::Single(OptionIndex::new(u64::from(correct)).unwrap()),
        points,
        time_limit_ms: limit,
        explanation: None,
        image: None,
    }
}

pub(crate) fn draft(kind: ScoringKind) -> QuizDraft {
    QuizDraft {
        id: QuizId::parse("q1").unwrap(),
        title: "Test quiz".into(),
        questions: vec![question("a", 0, 100, 10_000), question("b", 1, 200, 20_000)],
        scoring: ScoringPolicy {
            kind,
            streak: None,
            multi: MultiScoring::AllOrNothing,
        },
        status: QuizStatus::Open,
        created_at: Timestamp(1_000),
        mode: QuizMode::SelfPaced,
        hosted: HostedOptions::default(),
        names: NameMode::Requested,
        min_answer_ms: DEFAULT_MIN_ANSWER_MS,
    }
}

#[test]
fn valid_quiz_is_accepted_and_round_trips_through_serde() {
    let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
    let json = serde_json::to_string(&quiz).unwrap();
    let back: Quiz = serde_json::from_str(&json).unwrap();
    assert_eq!(back, quiz);
}

#[test]
fn invalid_quizzes_are_refused_with_the_rule_they_break() {
    let mut d = draft(ScoringKind::Fixed);
    d.questions[1].id = d.questions[0].id.clone();
    assert!(matches!(
        Quiz::try_from(d),
        Err(QuizDefError::DuplicateQuestion { .. })
    ));

    let mut d = draft(ScoringKind::Fixed);
    d.questions[0].key = AnswerKey::Single(OptionIndex::new(4).unwrap());
    assert!(matches!(
        Quiz::try_from(d),
        Err(QuizDefError::BadAnswerKey { .. })
    ));

    let mut d = draft(ScoringKind::Fixed);
    d.questions[0].options = vec!["only".into()];
    assert!(matches!(
        Quiz::try_from(d),
        Err(QuizDefError::BadOptions { .. })
    ));

    let mut d = draft(ScoringKind::Fixed);
    d.questions[0].time_limit_ms = 10;
    assert!(matches!(
        Quiz::try_from(d),
        Err(QuizDefError::BadTimeLimit { .. })
    ));

    let mut d = draft(ScoringKind::Fixed);
    d.title = "  ".into();
    assert_eq!(Quiz::try_from(d), Err(QuizDefError::BadTitle));

    let mut d = draft(ScoringKind::Fixed);
    d.questions = (0..200)
        .map(|i| question(&format!("q{i}"), 0, 10_000, 10_000))
        .collect();
    d.scoring.streak = Some(StreakBonus {
        step: 1000,
        cap: 10_000,
    });
    assert!(matches!(
        Quiz::try_from(d),
        Err(QuizDefError::ScoreTooLarge(_))
    ));

    // Serde goes through the same validation.
    let mut d = draft(ScoringKind::Fixed);
    d.questions.clear();
    let json = serde_json::to_string(&d).unwrap();
    assert!(serde_json::from_str::<Quiz>(&json).is_err());
}

#[test]
fn windows_form_a_time_bank_from_join() {
    let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
    let w = quiz.windows(Timestamp(5_000));
    assert_eq!(w[0].opens_at, Timestamp(5_000));
    assert_eq!(w[0].closes_at, Timestamp(15_000));
    assert_eq!(w[1].opens_at, Timestamp(15_000));
    assert_eq!(w[1].closes_at, Timestamp(35_000));
}

#[test]
fn check_answer_uses_the_same_windows_for_every_question() {
    let mut d = draft(ScoringKind::Fixed);
    d.questions = (0..7u32)
        .map(|i| question(&format!("q{i}"), 0, 10, 1_000 + 700 * i))
        .collect();
    let quiz = Quiz::try_from(d).unwrap();
    let joined = Timestamp(3_000);
    let opt = &Answer::Option(0);
    for (q, w) in quiz.questions().iter().zip(quiz.windows(joined)) {
        assert!(quiz.check_answer(&q.id, opt, joined, w.closes_at).is_ok());
        assert_eq!(
            quiz.check_answer(&q.id, opt, joined, w.closes_at.plus_ms(1)),
            Err(AnswerError::TooLate {
                closed_at: w.closes_at
            }),
            "{}",
            q.id
        );
    }
}

#[test]
fn clones_share_one_definition() {
    let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
    let copy = quiz.clone();
    assert!(std::ptr::eq(quiz.questions(), copy.questions()));
    let closed = quiz.with_status(QuizStatus::Closed);
    assert_eq!(quiz.status(), QuizStatus::Open);
    assert_eq!(closed.status(), QuizStatus::Closed);
}

#[test]
fn check_answer_reports_each_refusal_distinctly() {
    let quiz = Quiz::try_from(draft(ScoringKind::SpeedWeighted)).unwrap();
    let a = QuestionId::parse("a").unwrap();
    let opt = |i| Answer::Option(i);
    let joined = Timestamp(10_000);
    assert_eq!(
        quiz.check_answer(&QuestionId::parse("zz").unwrap(), &opt(0), joined, joined),
        Err(AnswerError::UnknownQuestion)
    );
    assert_eq!(
        quiz.check_answer(&a, &opt(3), joined, joined),
        Err(AnswerError::Shape(ShapeError::OutOfRange {
            option: 3,
            options: 3
        }))
    );
    assert_eq!(
        quiz.check_answer(&a, &opt(0), joined, Timestamp(20_001)),
        Err(AnswerError::TooLate {
            closed_at: Timestamp(20_000)
        })
    );
    let closed = quiz.with_status(QuizStatus::Closed);
    assert_eq!(
        closed.check_answer(&a, &opt(0), joined, joined),
        Err(AnswerError::QuizClosed)
    );
    assert_eq!(
        quiz.check_answer(&a, &opt(0), joined, joined),
        Ok(Checked {
            kind: QuestionType::Single,
            grade: Grade::Correct,
            base_points: 100,
            given: Given::Picks(OptionSet::one(OptionIndex::new(0).unwrap())),
            opened: Opened {
                at: joined,
                after: None
            },
        })
    );
    assert_eq!(
        quiz.check_answer(&a, &opt(0), joined, Timestamp(20_000))
            .map(|c| c.base_points),
        Ok(50)
    );
    assert_eq!(
        quiz.check_answer(&a, &opt(1), joined, joined)
            .map(|c| (c.grade, c.base_points)),
        Ok((Grade::Wrong, 0))
    );
}

fn typed(id: &str, key: AnswerKey, options: &[&str], points: u32) -> Question {
    Question {
        id: QuestionId::parse(id).unwrap(),
        prompt: format!("prompt {id}"),
        options: options.iter().map(|s| (*s).to_owned()).collect(),
        key,
        points,
        time_limit_ms: 10_000,
        explanation: None,
        image: None,
    }
}

fn idx(i: u8) -> OptionIndex {
    OptionIndex::try_from(i).unwrap()
}

fn every_type() -> Vec<Question> {
    vec![
        typed("s", AnswerKey::Single(idx(1)), &["a", "b"], 100),
        typed(
            "m",
            AnswerKey::Multi(OptionSet::of([idx(0), idx(2)])),
            &["a", "b", "c", "d"],
            300,
        ),
        typed("t", AnswerKey::TrueFalse(false), &TRUE_FALSE_OPTIONS, 50),
        typed("p", AnswerKey::Poll, &["x", "y", "z"], 0),
        typed(
            "w",
            AnswerKey::TypeAnswer {
                accepted: vec!["Paris".into(), "Lutèce".into()],
                ignore_accents: true,
            },
            &[],
            200,
        ),
    ]
}

#[test]
fn questions_stored_before_types_read_as_single_and_every_type_round_trips() {
    let old = r#"{"id":"a","prompt":"P","options":["x","y"],"correct":1,"points":10,"time_limit_ms":1000}"#;
    let q: Question = serde_json::from_str(old).unwrap();
    assert_eq!(q.key, AnswerKey::Single(idx(1)));
    assert_eq!(serde_json::to_string(&q).unwrap(), old);
    for q in every_type() {
        let json = serde_json::to_string(&q).unwrap();
        let back: Question = serde_json::from_str(&json).unwrap();
        assert_eq!(back, q, "{json}");
    }
    // A key that does not fit the type is refused.
    let bad = r#"{"id":"a","prompt":"P","type":"multi","options":["x","y"],"correct":1,"points":10,"time_limit_ms":1000}"#;
    assert!(serde_json::from_str::<Question>(bad).is_err());
}

#[test]
fn each_type_is_validated_with_its_own_rules() {
    let mut d = draft(ScoringKind::Fixed);
    d.questions = every_type();
    let quiz = Quiz::try_from(d.clone()).unwrap();
    // Polls add nothing to the largest total.
    assert_eq!(quiz.max_total(), 650);

    let refuse = |i: usize, change: &dyn Fn(&mut Question), field: &str| {
        let mut d = d.clone();
        change(&mut d.questions[i]);
        let e = Quiz::try_from(d).unwrap_err();
        assert_eq!(e.field(), format!("questions[{i}].{field}"), "{e}");
        e.to_string()
    };
    refuse(
        1,
        &|q| q.key = AnswerKey::Multi(OptionSet::EMPTY),
        "correct",
    );
    refuse(
        1,
        &|q| q.key = AnswerKey::Multi(OptionSet::of([idx(5)])),
        "correct",
    );
    refuse(1, &|q| q.options.truncate(1), "options");
    let m = refuse(
        2,
        &|q| q.options = vec!["Yes".into(), "No".into()],
        "options",
    );
    assert!(m.contains("question t: a true_false question"), "{m}");
    let m = refuse(3, &|q| q.points = 10, "points");
    assert!(m.contains("a poll has no points"), "{m}");
    refuse(3, &|q| q.options.clear(), "options");
    refuse(4, &|q| q.options = vec!["a".into(), "b".into()], "options");
    refuse(
        4,
        &|q| {
            q.key = AnswerKey::TypeAnswer {
                accepted: vec![],
                ignore_accents: false,
            }
        },
        "accepted",
    );
    refuse(
        4,
        &|q| {
            q.key = AnswerKey::TypeAnswer {
                accepted: vec!["x".repeat(65)],
                ignore_accents: false,
            }
        },
        "accepted",
    );
    refuse(4, &|q| q.points = 0, "points");
    let mut bad = d.clone();
    bad.min_answer_ms = 10_001;
    assert_eq!(Quiz::try_from(bad), Err(QuizDefError::BadMinAnswer));
}

#[test]
fn every_type_is_graded_and_partial_credit_is_a_quiz_choice() {
    let mut d = draft(ScoringKind::Fixed);
    d.questions = every_type();
    let strict = Quiz::try_from(d.clone()).unwrap();
    d.scoring.multi = MultiScoring::Partial;
    let partial = Quiz::try_from(d).unwrap();
    let joined = Timestamp(10_000);
    let q = |s: &str| QuestionId::parse(s).unwrap();
    let check = |quiz: &Quiz, id: &str, a: Answer| {
        quiz.check_answer(&q(id), &a, joined, joined)
            .map(|c| (c.grade, c.base_points))
    };
    assert_eq!(
        check(&strict, "s", Answer::Option(1)),
        Ok((Grade::Correct, 100))
    );
    assert_eq!(
        check(&strict, "m", Answer::Options(vec![2, 0])),
        Ok((Grade::Correct, 300))
    );
    assert_eq!(
        check(&strict, "m", Answer::Options(vec![0])),
        Ok((Grade::Wrong, 0))
    );
    assert_eq!(
        check(&partial, "m", Answer::Options(vec![0])),
        Ok((Grade::Partial, 150))
    );
    assert_eq!(
        check(&partial, "m", Answer::Options(vec![0, 1])),
        Ok((Grade::Wrong, 0))
    );
    assert_eq!(
        check(&strict, "t", Answer::Option(1)),
        Ok((Grade::Correct, 50))
    );
    assert_eq!(
        check(&strict, "t", Answer::Option(0)),
        Ok((Grade::Wrong, 0))
    );
    assert_eq!(
        check(&strict, "p", Answer::Option(2)),
        Ok((Grade::Counted, 0))
    );
    assert_eq!(
        check(&strict, "w", Answer::Text(" LUTECE ".into())),
        Ok((Grade::Correct, 200))
    );
    assert_eq!(
        check(&strict, "w", Answer::Text("Rome".into())),
        Ok((Grade::Wrong, 0))
    );
    assert!(matches!(
        check(&strict, "w", Answer::Option(0)),
        Err(AnswerError::Shape(ShapeError::WrongType { .. }))
    ));
    // Each question opened when the one before was answered, or at its window.
    let opened = strict.check_answer(&q("m"), &Answer::Options(vec![0]), joined, joined);
    assert_eq!(
        opened.map(|c| c.opened),
        Ok(Opened {
            at: Timestamp(20_000),
            after: Some(q("s"))
        })
    );
}

#[test]
fn public_questions_carry_no_answer_key() {
    let quiz = Quiz::try_from(draft(ScoringKind::Fixed)).unwrap();
    let json = serde_json::to_string(&quiz.public_questions()).unwrap();
    assert!(!json.contains("correct"));
}
