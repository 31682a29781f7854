//! Score-archive cases.

use std::sync::Arc;

use quiz_core::ports::ScoreArchive;
use quiz_core::{AnswerResult, ArchivedStanding, QuizId, ScoreEvent, Timestamp};

use crate::fixtures::{CREATED, name, player, question, unique_quiz};

/// When player `a` of [`events`] joined.
pub const A_JOINED: Timestamp = Timestamp(CREATED.0 + 100);

/// When player `b` of [`events`] joined.
pub const B_JOINED: Timestamp = Timestamp(CREATED.0 + 200);

/// Events for two players: 3 answers for `a` (joined at [`A_JOINED`]), 2 for `b` (joined
/// at [`B_JOINED`]), totals growing.
pub fn events(quiz: &QuizId) -> Vec<ScoreEvent> {
    let mut out = Vec::new();
    for (p, n, joined_at) in [("a", 3u32, A_JOINED), ("b", 2, B_JOINED)] {
        let mut total = 0;
        for i in 0..n {
            let points = 10 * (i + 1);
            total += u64::from(points);
            let at = CREATED.plus_ms(1_000 * u64::from(i + 1));
            out.push(ScoreEvent {
                event_id: ScoreEvent::id_for(quiz, &player(p), &question(&format!("q{i}"))),
                quiz: quiz.clone(),
                player: player(p),
                player_name: name(&p.to_uppercase()),
                joined_at,
                question: question(&format!("q{i}")),
                result: AnswerResult {
                    correct: true,
                    points,
                    streak: i + 1,
                    at,
                    elapsed_ms: Some(u64::from(i) * 100),
                },
                total,
                answers: i + 1,
                reached_at: at,
            });
        }
    }
    out
}

fn normalized(mut s: Vec<ArchivedStanding>) -> Vec<ArchivedStanding> {
    s.sort_by(|x, y| x.player.cmp(&y.player));
    for st in &mut s {
        st.results.sort_by(|x, y| x.0.cmp(&y.0));
    }
    s
}

/// Applying a batch twice gives the same standings; the second apply changes nothing.
pub async fn apply_is_idempotent<A: ScoreArchive + ?Sized>(arch: Arc<A>) {
    let q = unique_quiz("arc-idem");
    let evs = events(&q);
    let first = arch.apply(&evs).await.unwrap();
    assert_eq!(first.applied, 5);
    let once = normalized(arch.standings(&q).await.unwrap());
    let second = arch.apply(&evs).await.unwrap();
    assert_eq!((second.applied, second.stale), (0, 5));
    assert_eq!(normalized(arch.standings(&q).await.unwrap()), once);
    assert_eq!(once.len(), 2);
    let a = &once[0];
    assert_eq!(
        (a.total, a.answers, a.reached_at),
        (60, 3, CREATED.plus_ms(3_000))
    );
    assert_eq!((a.name.clone(), a.joined_at), (name("A"), A_JOINED));
    assert_eq!(a.results.len(), 3);
    assert_eq!(
        (once[1].total, once[1].answers, once[1].joined_at),
        (30, 2, B_JOINED)
    );
}

/// Any order of the same events (split across batches) converges to the same standings.
pub async fn apply_is_order_tolerant<A: ScoreArchive + ?Sized>(arch: Arc<A>) {
    let reference = unique_quiz("arc-ref");
    arch.apply(&events(&reference)).await.unwrap();
    let want = normalized(arch.standings(&reference).await.unwrap());
    for (k, order) in [[4usize, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 1, 0, 4, 2]]
        .iter()
        .enumerate()
    {
        let q = unique_quiz(&format!("arc-ord{k}"));
        let evs = events(&q);
        let shuffled: Vec<ScoreEvent> = order.iter().map(|&i| evs[i].clone()).collect();
        arch.apply(&shuffled[..2]).await.unwrap();
        arch.apply(&shuffled[2..]).await.unwrap();
        // The third order skips one event (q2 of b is never delivered): b's standing must
        // still be the highest-answers event seen.
        arch.apply(&evs).await.unwrap();
        let got = normalized(arch.standings(&q).await.unwrap());
        let strip = |v: Vec<ArchivedStanding>| {
            v.into_iter()
                .map(|s| {
                    (
                        s.player,
                        s.joined_at,
                        s.total,
                        s.answers,
                        s.reached_at,
                        s.results,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(got), strip(want.clone()), "order {order:?}");
    }
}

/// No events, no standings.
pub async fn unknown_quiz_has_no_standings<A: ScoreArchive + ?Sized>(arch: Arc<A>) {
    assert!(
        arch.standings(&unique_quiz("arc-none"))
            .await
            .unwrap()
            .is_empty()
    );
}
