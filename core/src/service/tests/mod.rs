//! Unit tests of the services with mockall mocks of the ports: the fixtures, joins,
//! quiz creation and the rebuild here, submitting answers in `answers`.

use std::sync::Arc;

use mockall::predicate::always;

use super::*;
use crate::ids::{PlayerId, PlayerName, QuestionId, QuizId};
use crate::model::{AnswerResult, Player};
use crate::model::{ArchivedStanding, Recorded};
use crate::ports::{CatalogError, JoinError, PublishError, RegistryError, ScoreboardError, Source};
use crate::ports::{
    MockPlayerRegistry, MockQuizCatalog, MockRoomBus, MockScoreArchive, MockScoreEventLog,
    MockScoreboard,
};
use crate::quiz::tests::draft;
use crate::quiz::{AnswerError, Quiz, QuizDefError, QuizStatus};
use crate::scoring::ScoringKind;
use crate::time::Timestamp;

struct Mocks {
    catalog: MockQuizCatalog,
    scoreboard: MockScoreboard,
    registry: MockPlayerRegistry,
    events: MockScoreEventLog,
    archive: MockScoreArchive,
    bus: MockRoomBus,
}

impl Mocks {
    fn new() -> Self {
        Self {
            catalog: MockQuizCatalog::new(),
            scoreboard: MockScoreboard::new(),
            registry: MockPlayerRegistry::new(),
            events: MockScoreEventLog::new(),
            archive: MockScoreArchive::new(),
            bus: MockRoomBus::new(),
        }
    }

    /// The catalog serves the fixture quiz (questions "a": key 0, 100 pts, 10 s; "b").
    fn with_quiz(mut self, status: QuizStatus) -> Self {
        let quiz = Quiz::try_from(draft(ScoringKind::Fixed))
            .unwrap()
            .with_status(status);
        self.catalog
            .expect_get()
            .returning(move |_| Ok(Some(quiz.clone())));
        self
    }

    fn service(self) -> QuizService {
        QuizService::new(
            Ports {
                catalog: Arc::new(self.catalog),
                scoreboard: Arc::new(self.scoreboard),
                registry: Arc::new(self.registry),
                events: Arc::new(self.events),
                archive: Arc::new(self.archive),
                bus: Arc::new(self.bus),
                games: Arc::new(crate::ports::MockGameStore::new()),
                pins: Arc::new(crate::pins::MockGamePins::new()),
                media: Arc::new(crate::ports::MockMediaStore::new()),
            },
            ServiceConfig::default(),
        )
    }
}

fn player() -> Player {
    Player {
        quiz: QuizId::parse("q1").unwrap(),
        id: PlayerId::parse("p1").unwrap(),
        name: PlayerName::parse("Ann").unwrap(),
        joined_at: Timestamp(10_000),
    }
}

fn qid(s: &str) -> QuestionId {
    QuestionId::parse(s).unwrap()
}

fn opt(i: u32) -> crate::question::Answer {
    crate::question::Answer::Option(i)
}

fn recorded(duplicate: bool) -> Recorded {
    Recorded {
        result: AnswerResult {
            correct: true,
            points: 100,
            streak: 1,
            at: Timestamp(11_000),
            elapsed_ms: Some(1_000),
        },
        total: 100,
        answers: 1,
        rank: 1,
        reached_at: Timestamp(11_000),
        duplicate,
    }
}

fn unavailable() -> Source {
    "connection refused".into()
}

mod answers;

#[tokio::test]
async fn joining_checks_the_quiz_then_registers_and_enrolls() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.registry
        .expect_join()
        .with(
            always(),
            always(),
            always(),
            mockall::predicate::eq(100_000),
        )
        .times(1)
        .returning(|q, n, at, _| {
            Ok(Player {
                quiz: q.clone(),
                id: PlayerId::parse("p9").unwrap(),
                name: n.clone(),
                joined_at: at,
            })
        });
    m.scoreboard
        .expect_enroll()
        .withf(|_, created, p, at| {
            *created == Timestamp(1_000) && p.as_str() == "p9" && *at == Timestamp(5)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    m.bus.expect_announce().returning(|_| Ok(()));
    let p = m
        .service()
        .players()
        .join(
            &QuizId::parse("q1").unwrap(),
            &PlayerName::parse("Bo").unwrap(),
            Timestamp(5),
        )
        .await
        .unwrap();
    assert_eq!(p.id.as_str(), "p9");
}

#[tokio::test]
async fn joining_a_closed_or_unknown_quiz_registers_nobody() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Closed);
    m.registry.expect_join().never();
    let err = m
        .service()
        .players()
        .join(
            &QuizId::parse("q1").unwrap(),
            &PlayerName::parse("Bo").unwrap(),
            Timestamp(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JoinQuizError::QuizClosed));

    let mut m = Mocks::new();
    m.catalog.expect_get().returning(|_| Ok(None));
    m.registry.expect_join().never();
    let err = m
        .service()
        .players()
        .join(
            &QuizId::parse("nope").unwrap(),
            &PlayerName::parse("Bo").unwrap(),
            Timestamp(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JoinQuizError::UnknownQuiz));
}

#[tokio::test]
async fn registry_refusals_map_to_join_errors() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.registry
        .expect_join()
        .returning(|_, _, _, _| Err(JoinError::NameTaken));
    m.scoreboard.expect_enroll().never();
    let err = m
        .service()
        .players()
        .join(
            &QuizId::parse("q1").unwrap(),
            &PlayerName::parse("Bo").unwrap(),
            Timestamp(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JoinQuizError::NameTaken));
}

#[tokio::test]
async fn invalid_or_duplicate_quizzes_are_refused() {
    let mut m = Mocks::new();
    m.catalog.expect_create().never();
    let mut bad = draft(ScoringKind::Fixed);
    bad.questions.clear();
    let err = m.service().library().create(bad).await.unwrap_err();
    assert!(matches!(
        err,
        CreateQuizError::Invalid(QuizDefError::QuestionCount)
    ));

    let mut m = Mocks::new();
    m.catalog
        .expect_create()
        .returning(|_| Err(CatalogError::AlreadyExists));
    let err = m
        .service()
        .library()
        .create(draft(ScoringKind::Fixed))
        .await
        .unwrap_err();
    assert!(matches!(err, CreateQuizError::AlreadyExists));
}

fn archived(id: &str, name: &str, joined_at: u64) -> ArchivedStanding {
    ArchivedStanding {
        player: PlayerId::parse(id).unwrap(),
        name: PlayerName::parse(name).unwrap(),
        joined_at: Timestamp(joined_at),
        total: 100,
        answers: 1,
        reached_at: Timestamp(11_000),
        results: vec![(qid("a"), recorded(false).result)],
    }
}

#[tokio::test]
async fn rebuild_restores_the_registry_then_the_board_from_the_archive() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.archive.expect_standings().returning(|_| {
        Ok(vec![
            archived("p1", "Ann", 10_000),
            archived("p2", "Bo", 12_000),
        ])
    });
    let mut seq = mockall::Sequence::new();
    m.registry
        .expect_restore()
        .withf(|q, players| {
            let got: Vec<(&str, &str, &str, Timestamp)> = players
                .iter()
                .map(|p| (p.quiz.as_str(), p.id.as_str(), p.name.as_str(), p.joined_at))
                .collect();
            q.as_str() == "q1"
                && got
                    == [
                        ("q1", "p1", "Ann", Timestamp(10_000)),
                        ("q1", "p2", "Bo", Timestamp(12_000)),
                    ]
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.scoreboard
        .expect_restore()
        .withf(|_, created, s| *created == Timestamp(1_000) && s.len() == 2)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    m.bus.expect_announce().returning(|_| Ok(()));
    let n = m
        .service()
        .upkeep()
        .rebuild_leaderboard(&QuizId::parse("q1").unwrap())
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn rebuild_of_an_empty_archive_restores_nobody() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.archive.expect_standings().returning(|_| Ok(vec![]));
    m.registry
        .expect_restore()
        .withf(|_, players| players.is_empty())
        .times(1)
        .returning(|_, _| Ok(()));
    m.scoreboard
        .expect_restore()
        .withf(|_, created, s| *created == Timestamp(1_000) && s.is_empty())
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.bus.expect_announce().returning(|_| Ok(()));
    let n = m
        .service()
        .upkeep()
        .rebuild_leaderboard(&QuizId::parse("q1").unwrap())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_failed_registry_restore_leaves_the_board_untouched() {
    let mut m = Mocks::new().with_quiz(QuizStatus::Open);
    m.archive
        .expect_standings()
        .returning(|_| Ok(vec![archived("p1", "Ann", 10_000)]));
    m.registry
        .expect_restore()
        .times(1)
        .returning(|_, _| Err(RegistryError::Unavailable(unavailable())));
    m.scoreboard.expect_restore().never();
    m.bus.expect_announce().never();
    let err = m
        .service()
        .upkeep()
        .rebuild_leaderboard(&QuizId::parse("q1").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RebuildError::Unavailable(Unavailable {
                port: "player registry",
                ..
            })
        ),
        "{err:?}"
    );
}
