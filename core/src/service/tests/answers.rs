//! Submitting answers: record, publish, announce, and what each failure does.

use super::*;

#[tokio::test]
async fn an_accepted_answer_is_recorded_published_then_announced() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_record()
        .withf(|a| {
            a.grade == crate::question::Grade::Correct
                && a.base_points == 100
                && a.question.as_str() == "a"
        })
        .times(1)
        .returning(|_| Ok(recorded(false)));
    m.events
        .expect_publish()
        .withf(|e| {
            e.event_id == "q1/p1/a"
                && e.total == 100
                && e.answers == 1
                && e.player_name.as_str() == "Ann"
                && e.joined_at == Timestamp(10_000)
        })
        .times(1)
        .returning(|_| Ok(()));
    m.bus.expect_announce().times(1).returning(|_| Ok(()));
    let out = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(11_000))
        .await
        .unwrap();
    assert_eq!(
        (out.total, out.rank, out.duplicate, out.announced),
        (100, 1, false, true)
    );
}

#[tokio::test]
async fn when_the_event_log_fails_the_player_is_told_to_retry_and_nothing_is_announced() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_record()
        .times(1)
        .returning(|_| Ok(recorded(false)));
    m.events
        .expect_publish()
        .times(1)
        .returning(|_| Err(PublishError::Unavailable(unavailable())));
    m.bus.expect_announce().never();
    let err = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(11_000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::NotDurable(PublishError::Unavailable(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_full_event_log_is_reported_as_backpressure() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_record()
        .returning(|_| Ok(recorded(false)));
    m.events
        .expect_publish()
        .returning(|_| Err(PublishError::Backpressure));
    m.bus.expect_announce().never();
    let err = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(11_000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::NotDurable(PublishError::Backpressure)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_retry_republishes_the_event_but_announces_nothing() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_record()
        .times(1)
        .returning(|_| Ok(recorded(true)));
    m.events.expect_publish().times(1).returning(|_| Ok(()));
    m.bus.expect_announce().never();
    let out = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(1), Timestamp(12_000))
        .await
        .unwrap();
    assert!(out.duplicate);
    assert_eq!(out.result.points, 100);
}

#[tokio::test]
async fn rejected_answers_touch_no_port_but_the_catalog() {
    for (q, o, at, want) in [
        ("zz", 0, 11_000, "UnknownQuestion"),
        ("a", 5, 11_000, "OutOfRange"),
    ] {
        let mut m = Mocks::new().with_quiz(QuizStatus::Open);
        m.scoreboard.expect_record().never();
        m.scoreboard.expect_answers().never();
        m.events.expect_publish().never();
        m.bus.expect_announce().never();
        let err = m
            .service()
            .answers()
            .submit(&player(), &qid(q), &opt(o), Timestamp(at))
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains(want), "{err:?}");
    }
}

#[tokio::test]
async fn a_late_answer_is_refused_unless_it_repeats_an_accepted_one() {
    // Question "a" closes for this player at 20,000.
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard.expect_answers().returning(|_, _| Ok(vec![]));
    m.scoreboard.expect_record().never();
    m.events.expect_publish().never();
    let err = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(20_001))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Rejected(AnswerError::TooLate { .. })),
        "{err:?}"
    );

    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_answers()
        .returning(|_, _| Ok(vec![(qid("a"), recorded(true).result)]));
    m.scoreboard
        .expect_record()
        .times(1)
        .returning(|_| Ok(recorded(true)));
    m.events.expect_publish().times(1).returning(|_| Ok(()));
    let out = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(99_000))
        .await
        .unwrap();
    assert!(out.duplicate);
}

#[tokio::test]
async fn an_unreachable_scoreboard_fails_before_publishing() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.scoreboard
        .expect_record()
        .returning(|_| Err(ScoreboardError::Unavailable(unavailable())));
    m.events.expect_publish().never();
    let err = m
        .service()
        .answers()
        .submit(&player(), &qid("a"), &opt(0), Timestamp(11_000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubmitError::Unavailable(Unavailable {
                port: "scoreboard",
                ..
            })
        ),
        "{err:?}"
    );
}
