//! Game-store cases: the compare-and-set that makes every timed or racing transition of a
//! hosted game happen once, and the per-phase answer counts.

use std::sync::Arc;

use quiz_core::Timestamp;
use quiz_core::game::{GameState, HostCommand, Phase};
use quiz_core::ports::GameStore;

use crate::fixtures::unique_quiz;

const LIMITS: [u32; 2] = [10_000, 10_000];

/// A new game is stored only where there was none; a transition only from the seq read.
pub async fn compare_and_set_moves_only_from_the_state_read<G: GameStore + ?Sized>(games: Arc<G>) {
    let q = unique_quiz("game-cas");
    assert_eq!(games.get(&q).await.unwrap(), None);
    let lobby = GameState::lobby();
    assert!(games.compare_and_set(&q, None, &lobby).await.unwrap());
    assert!(
        !games.compare_and_set(&q, None, &lobby).await.unwrap(),
        "a second lobby does not replace the game"
    );
    let started = lobby
        .command(HostCommand::Start, &LIMITS, 3, Timestamp(1_000))
        .unwrap();
    assert!(!games.compare_and_set(&q, Some(7), &started).await.unwrap());
    assert_eq!(games.get(&q).await.unwrap(), Some(lobby.clone()));
    assert!(games.compare_and_set(&q, Some(0), &started).await.unwrap());
    assert_eq!(games.get(&q).await.unwrap(), Some(started.clone()));
    // Every field survives storage.
    let paused = started
        .command(HostCommand::Pause, &LIMITS, 3, Timestamp(4_000))
        .unwrap();
    assert!(games.compare_and_set(&q, Some(1), &paused).await.unwrap());
    let stored = games.get(&q).await.unwrap().unwrap();
    assert_eq!(stored, paused);
    assert!(matches!(
        stored.phase,
        Phase::Paused {
            remaining_ms: Some(7_000),
            ..
        }
    ));
}

/// Of many instances closing the same question at once, exactly one wins.
pub async fn racing_transitions_succeed_once<G: GameStore + ?Sized + 'static>(games: Arc<G>) {
    let q = unique_quiz("game-race");
    let question = GameState::lobby()
        .command(HostCommand::Start, &LIMITS, 2, Timestamp(0))
        .unwrap();
    assert!(
        games
            .compare_and_set(&q, None, &GameState::lobby())
            .await
            .unwrap()
    );
    assert!(games.compare_and_set(&q, Some(0), &question).await.unwrap());
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let games = Arc::clone(&games);
            let q = q.clone();
            let reveal = question
                .command(HostCommand::SkipToReveal, &LIMITS, 2, Timestamp(100 + i))
                .unwrap();
            tokio::spawn(async move { games.compare_and_set(&q, Some(1), &reveal).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one closer succeeds");
    assert_eq!(games.get(&q).await.unwrap().map(|s| s.seq), Some(2));
}

/// Answer counts are per round, exact under concurrency, and independent per quiz.
pub async fn answer_counts_are_per_phase_and_exact<G: GameStore + ?Sized + 'static>(games: Arc<G>) {
    let q = unique_quiz("game-count");
    let other = unique_quiz("game-count-other");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let games = Arc::clone(&games);
            let q = q.clone();
            tokio::spawn(async move { games.count_answer(&q, 1).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<u64>>(),
        "each count handed out once"
    );
    assert_eq!(
        games.count_answer(&q, 5).await.unwrap(),
        1,
        "another round counts anew"
    );
    assert_eq!(
        games.count_answer(&other, 1).await.unwrap(),
        1,
        "another quiz counts anew"
    );
}

/// Clearing forgets the game and its counts.
pub async fn clear_forgets_the_game<G: GameStore + ?Sized>(games: Arc<G>) {
    let q = unique_quiz("game-clear");
    assert!(
        games
            .compare_and_set(&q, None, &GameState::lobby())
            .await
            .unwrap()
    );
    games.count_answer(&q, 0).await.unwrap();
    games.clear(&q).await.unwrap();
    assert_eq!(games.get(&q).await.unwrap(), None);
    assert_eq!(games.count_answer(&q, 0).await.unwrap(), 1);
    assert!(
        games
            .compare_and_set(&q, None, &GameState::lobby())
            .await
            .unwrap()
    );
}
