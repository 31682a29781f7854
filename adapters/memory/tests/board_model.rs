//! The memory scoreboard's ranks, top and around against a naive model: every player's
//! (sort key, id) sorted from scratch after each answer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

use proptest::prelude::*;
use quiz_conformance::fixtures::{CREATED, player, question};
use quiz_core::ports::Scoreboard;
use quiz_core::{AnswerRecord, PlayerId, SortKey};
use quiz_memory::MemoryScoreboard;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Arbitrary answers (player, question, points, time) by up to 40 players.
    #[test]
    fn ranks_match_a_sorted_model(
        answers in proptest::collection::vec((0usize..40, 0usize..6, 0u32..4, 0u64..50), 1..120),
        k in 0u64..4,
    ) {
        runtime().block_on(async {
            let sb = MemoryScoreboard::new();
            let quiz = quiz_conformance::unique_quiz("mem-model");
            let mut model: std::collections::HashMap<PlayerId, SortKey> = Default::default();
            for (n, (p, q, points, dt)) in answers.into_iter().enumerate() {
                let pid = player(&format!("p{p}"));
                let rec = sb.record(&AnswerRecord {
                    quiz: quiz.clone(),
                    quiz_created_at: CREATED,
                    player: pid.clone(),
                    question: question(&format!("q{q}")),
                    grade: if points > 0 { quiz_core::Grade::Correct } else { quiz_core::Grade::Wrong },
                    base_points: points * 10,
                    streak: None,
                    at: CREATED.plus_ms(n as u64 * 50 + dt),
                    opened: quiz_core::Opened { at: CREATED, after: None },
                }).await.unwrap();
                let key = sb.standing(&quiz, &pid).await.unwrap().unwrap().key;
                prop_assert_eq!(key.score(), rec.total);
                model.insert(pid.clone(), key);

                let mut sorted: Vec<(SortKey, PlayerId)> =
                    model.iter().map(|(p, k)| (*k, p.clone())).collect();
                sorted.sort();
                let pos = sorted.iter().position(|(_, p)| *p == pid).unwrap();
                prop_assert_eq!(rec.rank, pos as u64 + 1);
                prop_assert_eq!(sb.count(&quiz).await.unwrap(), sorted.len() as u64);

                let top = sb.top(&quiz, 0, u64::MAX).await.unwrap();
                let want: Vec<(u64, PlayerId)> = sorted
                    .iter()
                    .enumerate()
                    .map(|(i, (_, p))| (i as u64 + 1, p.clone()))
                    .collect();
                let got: Vec<(u64, PlayerId)> =
                    top.iter().map(|r| (r.standing.rank, r.player.clone())).collect();
                prop_assert_eq!(&got, &want);
                let page = sb.top(&quiz, 3, 5).await.unwrap();
                prop_assert_eq!(page.len(), want.len().saturating_sub(3).min(5));

                let around = sb.around(&quiz, &pid, k).await.unwrap();
                let from = pos.saturating_sub(k as usize);
                let to = (pos + k as usize + 1).min(want.len());
                let got: Vec<(u64, PlayerId)> =
                    around.iter().map(|r| (r.standing.rank, r.player.clone())).collect();
                prop_assert_eq!(&got[..], &want[from..to]);
            }
            Ok(())
        })?;
    }
}
