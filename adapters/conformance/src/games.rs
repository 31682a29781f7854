//! Game-store cases: the compare-and-set that makes every timed or racing transition of a
//! hosted game happen once, the answers per question, and the removed players.

use std::sync::Arc;

use quiz_core::Timestamp;
use quiz_core::game::{GameState, HostCommand, Phase};
use quiz_core::ports::{GameAnswer, GameStore};
use quiz_core::question::{Given, OptionSet};

use crate::fixtures::{player, unique_quiz};

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
    // Who left the question survives storage, so a second kick, read back from the store,
    // changes nothing; and two kicks from the same read store one.
    let gone = player("gone");
    let left = paused.player_left(&gone, Timestamp(0)).unwrap();
    assert!(games.compare_and_set(&q, Some(2), &left).await.unwrap());
    assert!(!games.compare_and_set(&q, Some(2), &left).await.unwrap());
    let stored = games.get(&q).await.unwrap().unwrap();
    assert_eq!(stored, left);
    assert_eq!(stored.phase.left(), std::slice::from_ref(&gone));
    assert_eq!(stored.phase.expected(), Some(2));
    assert_eq!(stored.player_left(&gone, Timestamp(0)), None);
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
                .command(HostCommand::Skip, &LIMITS, 2, Timestamp(100 + i))
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

fn answer(p: &str, option: u32, correct: bool, points: u32) -> GameAnswer {
    GameAnswer {
        player: player(p),
        given: match option {
            // Every shape an answer can take: one option, a set, a typed text.
            0 => Given::Picks(OptionSet::from_bits(0b1)),
            1 => Given::Picks(OptionSet::from_bits(0b1010)),
            _ => Given::Text(format!("typed: {p} ünïcode")),
        },
        correct,
        points,
        elapsed_ms: u64::from(points) * 10,
    }
}

/// Each player's first answer to a question stays; the count is exact under concurrency
/// (every count from 1 to n handed out once) and independent per question and per quiz.
pub async fn first_answer_stays_and_counts_are_exact<G: GameStore + ?Sized + 'static>(
    games: Arc<G>,
) {
    let q = unique_quiz("game-answers");
    let other = unique_quiz("game-answers-other");
    assert_eq!(games.answer_count(&q, 0).await.unwrap(), 0);
    assert!(games.answers(&q, 0).await.unwrap().is_empty());
    let tasks: Vec<_> = (0..20u32)
        .map(|i| {
            let games = Arc::clone(&games);
            let q = q.clone();
            tokio::spawn(async move {
                games
                    .record_answer(&q, 0, &answer(&format!("p{i}"), i % 3, i % 3 == 1, i))
                    .await
                    .unwrap()
            })
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
    // A second answer of the same player changes nothing.
    assert_eq!(
        games
            .record_answer(&q, 0, &answer("p1", 2, false, 0))
            .await
            .unwrap(),
        20
    );
    let mut stored = games.answers(&q, 0).await.unwrap();
    stored.sort_by_key(|a| a.points);
    assert_eq!(stored.len(), 20);
    assert_eq!(
        stored[1],
        answer("p1", 1, true, 1),
        "the first answer stays"
    );
    assert_eq!(games.answer_count(&q, 0).await.unwrap(), 20);
    assert_eq!(
        games
            .record_answer(&q, 1, &answer("p1", 0, false, 0))
            .await
            .unwrap(),
        1,
        "another question counts anew"
    );
    assert_eq!(
        games
            .record_answer(&other, 0, &answer("p1", 0, false, 0))
            .await
            .unwrap(),
        1,
        "another quiz counts anew"
    );
}

/// Removed players are remembered once each, per quiz.
pub async fn removed_players_are_remembered<G: GameStore + ?Sized>(games: Arc<G>) {
    let q = unique_quiz("game-remove");
    assert!(games.removed_players(&q).await.unwrap().is_empty());
    games.remove_player(&q, &player("p2")).await.unwrap();
    games.remove_player(&q, &player("p2")).await.unwrap();
    games.remove_player(&q, &player("p5")).await.unwrap();
    let mut removed = games.removed_players(&q).await.unwrap();
    removed.sort();
    assert_eq!(removed, vec![player("p2"), player("p5")]);
    assert!(
        games
            .removed_players(&unique_quiz("game-remove-other"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Clearing forgets the game, its answers and its removed players.
pub async fn clear_forgets_the_game<G: GameStore + ?Sized>(games: Arc<G>) {
    let q = unique_quiz("game-clear");
    assert!(
        games
            .compare_and_set(&q, None, &GameState::lobby())
            .await
            .unwrap()
    );
    games
        .record_answer(&q, 1, &answer("p1", 0, true, 5))
        .await
        .unwrap();
    games.remove_player(&q, &player("p3")).await.unwrap();
    games.clear(&q, 2).await.unwrap();
    assert_eq!(games.get(&q).await.unwrap(), None);
    assert_eq!(games.answer_count(&q, 1).await.unwrap(), 0);
    assert!(games.removed_players(&q).await.unwrap().is_empty());
    assert!(
        games
            .compare_and_set(&q, None, &GameState::lobby())
            .await
            .unwrap()
    );
}
