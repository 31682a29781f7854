//! The application services end to end on the reference adapters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use proptest::prelude::*;
use quiz_core::service::{AdmitError, QuizService, ServiceConfig, SubmitError};
use quiz_core::{Answer, QuestionId, Timestamp};

fn service() -> QuizService {
    service_with_ports().0
}

/// The service and the ports under it (tests read the archive and swap ports directly).
fn service_with_ports() -> (QuizService, quiz_core::service::Ports) {
    let ports = quiz_memory::embedded_adapters();
    (
        QuizService::new(ports.clone(), ServiceConfig::default()),
        ports,
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of submissions, with arbitrary repeats and changed options, scores each
    /// question once: the total equals the points of the first submission per question,
    /// and every repeat returns the first result unchanged.
    #[test]
    fn resubmission_is_idempotent(subs in proptest::collection::vec((0usize..4, 0u64..3), 1..40)) {
        runtime().block_on(async {
            let (svc, ports) = service_with_ports();
            let qid = quiz_conformance::unique_quiz("svc-idem");
            let quiz = quiz_conformance::fixtures::quiz(qid.clone(), 4);
            svc.library().create(quiz.clone().into()).await.unwrap();
            let now = quiz.created_at().plus_ms(1_000);
            let p = svc.players().join(&qid, &quiz_conformance::fixtures::name("Ann"), now).await.unwrap();
            let mut first: std::collections::HashMap<usize, u32> = Default::default();
            for (q, o) in subs {
                let question = QuestionId::parse(format!("q{q}")).unwrap();
                let out = svc.answers().submit(&p, &question, &Answer::Option(o as u32), now).await.unwrap();
                match first.get(&q) {
                    None => { prop_assert!(!out.duplicate); first.insert(q, out.result.points); }
                    Some(pts) => { prop_assert!(out.duplicate); prop_assert_eq!(out.result.points, *pts); }
                }
                prop_assert_eq!(out.total, first.values().map(|v| u64::from(*v)).sum::<u64>());
                prop_assert_eq!(out.answers as usize, first.len());
            }
            let standings = ports.archive.standings(&qid).await.unwrap();
            prop_assert_eq!(standings[0].total, first.values().map(|v| u64::from(*v)).sum::<u64>());
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn a_snapshot_has_no_answer_key_and_shows_the_board() {
    let svc = service();
    let qid = quiz_conformance::unique_quiz("svc-snap");
    let quiz = quiz_conformance::fixtures::quiz(qid.clone(), 3);
    svc.library().create(quiz.clone().into()).await.unwrap();
    let t = quiz.created_at().plus_ms(500);
    let ann = svc
        .players()
        .join(&qid, &quiz_conformance::fixtures::name("Ann"), t)
        .await
        .unwrap();
    let ben = svc
        .players()
        .join(&qid, &quiz_conformance::fixtures::name("Ben"), t)
        .await
        .unwrap();
    svc.answers()
        .submit(
            &ben,
            &QuestionId::parse("q0").unwrap(),
            &Answer::Option(1),
            t,
        )
        .await
        .unwrap();
    let snap = svc.players().snapshot(&ann, t).await.unwrap();
    assert_eq!(snap.quiz.questions.len(), 3);
    assert_eq!(snap.windows.len(), 3);
    assert_eq!(snap.board.players, 2);
    assert_eq!(snap.board.top[0].name, "Ben");
    assert_eq!(snap.board.top[0].score, 100);
    assert_eq!(snap.board.me.as_ref().map(|m| m.rank), Some(2));
    assert!(snap.answered.is_empty());
}

#[tokio::test]
async fn a_late_answer_changes_nothing() {
    let svc = service();
    let qid = quiz_conformance::unique_quiz("svc-late");
    let quiz = quiz_conformance::fixtures::quiz(qid.clone(), 1);
    svc.library().create(quiz.clone().into()).await.unwrap();
    let t = quiz.created_at();
    let ann = svc
        .players()
        .join(&qid, &quiz_conformance::fixtures::name("Ann"), t)
        .await
        .unwrap();
    let late = Timestamp(t.0 + 30_001);
    let err = svc
        .answers()
        .submit(
            &ann,
            &QuestionId::parse("q0").unwrap(),
            &Answer::Option(1),
            late,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Rejected(_)));
    assert_eq!(
        svc.boards()
            .view(&qid, Some(&ann.id))
            .await
            .unwrap()
            .me
            .map(|m| m.score),
        Some(0)
    );
}

/// Regressions found by the Redis adapter's review of the reference behaviour.
#[tokio::test]
async fn around_with_a_huge_k_and_restore_with_a_repeated_player_are_safe() {
    use quiz_core::ports::Scoreboard;
    use quiz_core::{AnswerResult, ArchivedStanding};
    let sb = quiz_memory::MemoryScoreboard::new();
    let q = quiz_conformance::unique_quiz("mem-edge");
    let created = quiz_conformance::fixtures::CREATED;
    let p = quiz_conformance::fixtures::player("p1");
    sb.enroll(&q, created, &p, created).await.unwrap();
    assert_eq!(sb.around(&q, &p, u64::MAX).await.unwrap().len(), 1);

    let standing = |total| ArchivedStanding {
        player: p.clone(),
        name: quiz_conformance::fixtures::name("Ann"),
        joined_at: created,
        total,
        answers: 1,
        reached_at: created,
        results: vec![(
            quiz_conformance::fixtures::question("q0"),
            AnswerResult {
                correct: true,
                points: 10,
                streak: 1,
                at: created,
                elapsed_ms: None,
            },
        )],
    };
    sb.restore(&q, created, &[standing(10), standing(20)])
        .await
        .unwrap();
    assert_eq!(sb.count(&q).await.unwrap(), 1);
    assert_eq!(sb.top(&q, 0, 10).await.unwrap()[0].score(), 20);
}

/// Losing the live stores (board and registry) and rebuilding from the archive brings the
/// players back with their names and join times, their answers and scores; a new player
/// gets an id none of them has.
#[tokio::test]
async fn a_rebuild_after_losing_the_live_stores_restores_players_and_board() {
    use std::sync::Arc;

    let (svc, ports) = service_with_ports();
    let qid = quiz_conformance::unique_quiz("svc-rebuild");
    let quiz = quiz_conformance::fixtures::quiz(qid.clone(), 3);
    svc.library().create(quiz.clone().into()).await.unwrap();
    let t = quiz.created_at();
    let name = quiz_conformance::fixtures::name;
    let ann = svc
        .players()
        .join(&qid, &name("Ann"), t.plus_ms(100))
        .await
        .unwrap();
    let ben = svc
        .players()
        .join(&qid, &name("Ben"), t.plus_ms(200))
        .await
        .unwrap();
    // Joined but never answered: not archived, so not restored.
    let cy = svc
        .players()
        .join(&qid, &name("Cy"), t.plus_ms(300))
        .await
        .unwrap();
    let q = |s: &str| QuestionId::parse(s).unwrap();
    let right = &Answer::Option(1);
    svc.answers()
        .submit(&ann, &q("q0"), right, t.plus_ms(1_000))
        .await
        .unwrap();
    svc.answers()
        .submit(&ann, &q("q1"), right, t.plus_ms(2_000))
        .await
        .unwrap();
    svc.answers()
        .submit(&ben, &q("q0"), right, t.plus_ms(1_500))
        .await
        .unwrap();
    let before = svc.boards().view(&qid, Some(&ann.id)).await.unwrap();

    // The same catalog, event log and archive; a fresh board and registry.
    let mut ports = ports.clone();
    ports.scoreboard = Arc::new(quiz_memory::MemoryScoreboard::new());
    ports.registry = Arc::new(quiz_memory::MemoryRegistry::new());
    let svc = QuizService::new(ports, ServiceConfig::default());
    assert!(matches!(
        svc.players().admit(&qid, &ann.id, ann.joined_at).await,
        Err(AdmitError::UnknownPlayer)
    ));

    assert_eq!(svc.upkeep().rebuild_leaderboard(&qid).await.unwrap(), 2);
    assert_eq!(
        svc.players()
            .admit(&qid, &ann.id, ann.joined_at)
            .await
            .unwrap(),
        ann.clone()
    );
    assert_eq!(
        svc.players()
            .admit(&qid, &ben.id, ben.joined_at)
            .await
            .unwrap(),
        ben.clone()
    );
    assert!(matches!(
        svc.players().admit(&qid, &cy.id, cy.joined_at).await,
        Err(AdmitError::UnknownPlayer)
    ));
    // The same board, without Cy (on it with 0 points before, never archived).
    let after = svc.boards().view(&qid, Some(&ann.id)).await.unwrap();
    let without_cy: Vec<_> = before
        .top
        .iter()
        .filter(|e| e.player != cy.id)
        .cloned()
        .collect();
    assert_eq!(after.top, without_cy);
    assert_eq!((after.me, after.players), (before.me, 2));
    let snap = svc
        .players()
        .snapshot(&ann, t.plus_ms(3_000))
        .await
        .unwrap();
    assert_eq!(snap.answered.len(), 2);
    assert_eq!(snap.board.me.map(|m| m.name), Some("Ann".to_owned()));

    let dee = svc
        .players()
        .join(&qid, &name("Dee"), t.plus_ms(4_000))
        .await
        .unwrap();
    assert!(![&ann.id, &ben.id].contains(&&dee.id), "{}", dee.id);
    // Cy's name was not restored either.
    assert!(
        svc.players()
            .join(&qid, &name("Cy"), t.plus_ms(5_000))
            .await
            .is_ok()
    );
    // Rebuilding again is harmless.
    assert_eq!(svc.upkeep().rebuild_leaderboard(&qid).await.unwrap(), 2);
    assert_eq!(
        svc.players()
            .admit(&qid, &dee.id, dee.joined_at)
            .await
            .unwrap(),
        dee
    );
}
