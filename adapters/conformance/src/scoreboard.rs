//! Scoreboard cases.

use std::sync::Arc;

use quiz_core::ports::Scoreboard;
use quiz_core::{AnswerResult, ArchivedStanding, Grade, Opened, StreakBonus};

use crate::fixtures::{CREATED, answer, name, player, question, unique_quiz};

fn scores(ranked: &[quiz_core::Ranked]) -> Vec<(String, u64, u64)> {
    ranked
        .iter()
        .map(|r| (r.player.to_string(), r.score(), r.standing.rank))
        .collect()
}

/// First answer counts; a retry or a different option for the same question returns the
/// stored result and changes nothing.
pub async fn first_answer_is_recorded_and_repeats_change_nothing<S: Scoreboard + ?Sized>(
    sb: Arc<S>,
) {
    let q = unique_quiz("sb-dup");
    let first = sb
        .record(&answer(&q, "p1", "q0", true, 100, 1_000))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.total, 100);
    assert_eq!(first.answers, 1);
    assert_eq!(first.rank, 1);
    assert_eq!(first.result.points, 100);
    assert!(first.result.correct);
    assert_eq!(first.reached_at, CREATED.plus_ms(1_000));

    let again = sb
        .record(&answer(&q, "p1", "q0", true, 100, 2_000))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.result, first.result);
    assert_eq!(again.total, 100);
    assert_eq!(again.answers, 1);

    let other_option = sb
        .record(&answer(&q, "p1", "q0", false, 0, 3_000))
        .await
        .unwrap();
    assert!(other_option.duplicate);
    assert_eq!(other_option.result, first.result);
    assert_eq!(other_option.total, 100);
    assert_eq!(sb.count(&q).await.unwrap(), 1);
}

/// A wrong answer earns 0, is counted, and does not move the tie-break time.
pub async fn wrong_answers_score_zero_and_keep_the_tie_break_time<S: Scoreboard + ?Sized>(
    sb: Arc<S>,
) {
    let q = unique_quiz("sb-wrong");
    sb.record(&answer(&q, "p1", "q0", true, 50, 1_000))
        .await
        .unwrap();
    let r = sb
        .record(&answer(&q, "p1", "q1", false, 0, 5_000))
        .await
        .unwrap();
    assert!(!r.duplicate);
    assert!(!r.result.correct);
    assert_eq!(r.result.points, 0);
    assert_eq!(r.total, 50);
    assert_eq!(r.answers, 2);
    assert_eq!(r.reached_at, CREATED.plus_ms(1_000));

    // A player whose first answer is wrong is on the board with 0.
    let w = sb
        .record(&answer(&q, "p2", "q0", false, 0, 2_000))
        .await
        .unwrap();
    assert_eq!((w.total, w.rank), (0, 2));
}

/// Streak bonus: step 10, cap 15 → bonuses 0, 10, 15, then reset by a miss.
pub async fn streak_bonus_grows_caps_and_resets<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-streak");
    let bonus = Some(StreakBonus { step: 10, cap: 15 });
    let plan = [
        (true, 100),
        (true, 110),
        (true, 115),
        (false, 0),
        (true, 100),
    ];
    let mut total = 0;
    for (i, (correct, expect)) in plan.iter().enumerate() {
        let mut a = answer(
            &q,
            "p1",
            &format!("q{i}"),
            *correct,
            100,
            1_000 * (i as u64 + 1),
        );
        a.streak = bonus;
        let r = sb.record(&a).await.unwrap();
        assert_eq!(r.result.points, *expect, "answer {i}");
        total += expect;
        assert_eq!(r.total, u64::from(total), "answer {i}");
    }
    let streaks: Vec<u32> = {
        let mut a = sb.answers(&q, &player("p1")).await.unwrap();
        a.sort_by_key(|(_, r)| r.at);
        a.iter().map(|(_, r)| r.streak).collect()
    };
    assert_eq!(streaks, [1, 2, 3, 0, 1]);
}

/// Partial answers earn their points and end the streak; a poll vote (counted) earns
/// nothing, keeps the streak and moves neither the score nor the tie-break time.
pub async fn partial_and_counted_answers_follow_their_grade<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-grades");
    let bonus = Some(StreakBonus { step: 10, cap: 50 });
    let plan = [
        (Grade::Correct, 100, 100, 1),
        (Grade::Counted, 0, 0, 1),
        (Grade::Correct, 100, 110, 2),
        (Grade::Partial, 40, 40, 0),
        (Grade::Correct, 100, 100, 1),
        (Grade::Counted, 0, 0, 1),
        (Grade::Wrong, 0, 0, 0),
    ];
    let mut total = 0u64;
    let mut reached = CREATED;
    for (i, (grade, base, points, streak)) in plan.into_iter().enumerate() {
        let at = 1_000 * (i as u64 + 1);
        let mut a = answer(&q, "p1", &format!("q{i}"), false, 0, at);
        a.grade = grade;
        a.base_points = base;
        a.streak = bonus;
        let r = sb.record(&a).await.unwrap();
        total += u64::from(points);
        if points > 0 {
            reached = CREATED.plus_ms(at);
        }
        assert_eq!(
            (r.result.points, r.result.streak, r.result.correct),
            (points, streak, grade == Grade::Correct),
            "answer {i} ({grade:?})"
        );
        assert_eq!((r.total, r.answers), (total, i as u32 + 1), "answer {i}");
        assert_eq!(r.reached_at, reached, "answer {i}: tie-break time");
    }
}

/// Each result keeps the answer time from the question's opening for the player, or from
/// the player's answer to the question named as the one before, when there is one.
pub async fn answer_times_count_from_the_opening_or_the_previous_answer<S: Scoreboard + ?Sized>(
    sb: Arc<S>,
) {
    let q = unique_quiz("sb-elapsed");
    let at = |ms| CREATED.plus_ms(ms);
    let mut first = answer(&q, "p1", "q0", true, 10, 1_200);
    first.opened = Opened {
        at: at(1_000),
        after: None,
    };
    let r = sb.record(&first).await.unwrap();
    assert_eq!(r.result.elapsed_ms, Some(200));
    // q1 opens at 31 s, but the player answered q0 at 1.2 s: the time counts from there.
    let mut second = answer(&q, "p1", "q1", true, 10, 1_300);
    second.opened = Opened {
        at: at(31_000),
        after: Some(question("q0")),
    };
    let r = sb.record(&second).await.unwrap();
    assert_eq!(r.result.elapsed_ms, Some(100));
    // q3 comes after q2, never answered: from q3's opening; before it means 0.
    let mut fourth = answer(&q, "p1", "q3", true, 10, 95_000);
    fourth.opened = Opened {
        at: at(91_000),
        after: Some(question("q2")),
    };
    assert_eq!(
        sb.record(&fourth).await.unwrap().result.elapsed_ms,
        Some(4_000)
    );
    let mut early = answer(&q, "p1", "q5", true, 10, 2_000);
    early.opened = Opened {
        at: at(151_000),
        after: Some(question("q4")),
    };
    assert_eq!(sb.record(&early).await.unwrap().result.elapsed_ms, Some(0));
    // Kept with the result: a retry returns it unchanged.
    let again = sb.record(&second).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.result.elapsed_ms, Some(100));
    let stored = sb.answers(&q, &player("p1")).await.unwrap();
    assert!(
        stored
            .iter()
            .any(|(id, r)| id == &question("q1") && r.elapsed_ms == Some(100)),
        "{stored:?}"
    );
}

/// Higher score first; equal scores by who reached them first; then by player id.
pub async fn ranking_breaks_ties_by_time_then_player_id<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-rank");
    sb.record(&answer(&q, "alice", "q0", true, 100, 10_000))
        .await
        .unwrap();
    sb.record(&answer(&q, "bob", "q0", true, 100, 5_000))
        .await
        .unwrap();
    sb.record(&answer(&q, "dave", "q0", true, 70, 1_000))
        .await
        .unwrap();
    sb.record(&answer(&q, "carol", "q0", true, 70, 1_000))
        .await
        .unwrap();
    sb.record(&answer(&q, "erin", "q0", true, 300, 20_000))
        .await
        .unwrap();
    let top = sb.top(&q, 0, 10).await.unwrap();
    assert_eq!(
        scores(&top),
        [
            ("erin".into(), 300, 1),
            ("bob".into(), 100, 2),
            ("alice".into(), 100, 3),
            ("carol".into(), 70, 4),
            ("dave".into(), 70, 5),
        ]
    );
    // Overtaking moves ranks; the rank returned by record is the live one.
    let r = sb
        .record(&answer(&q, "dave", "q1", true, 300, 30_000))
        .await
        .unwrap();
    assert_eq!((r.total, r.rank), (370, 1));
}

/// Paging through the board and counting it.
pub async fn top_pages_and_counts<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-page");
    for i in 0..25u32 {
        sb.record(&answer(&q, &format!("p{i:02}"), "q0", true, 1 + i, 1_000))
            .await
            .unwrap();
    }
    assert_eq!(sb.count(&q).await.unwrap(), 25);
    let page = sb.top(&q, 10, 10).await.unwrap();
    assert_eq!(page.len(), 10);
    assert_eq!(page[0].standing.rank, 11);
    assert_eq!(page[0].player, player("p14"));
    assert_eq!(page[0].score(), 15);
    let last = sb.top(&q, 20, 10).await.unwrap();
    assert_eq!(last.len(), 5);
    assert_eq!(last[4].player, player("p00"));
    assert!(sb.top(&q, 30, 10).await.unwrap().is_empty());
    assert!(sb.top(&q, 0, 0).await.unwrap().is_empty());
}

/// Removing a player takes them off the board with their answers; the others move up;
/// removing again, or someone never there, changes nothing.
pub async fn remove_takes_a_player_off_the_board<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-remove");
    for (i, p) in ["p1", "p2", "p3"].iter().enumerate() {
        sb.record(&answer(&q, p, "q0", true, 10 * (3 - i as u32), 1_000))
            .await
            .unwrap();
    }
    sb.remove(&q, &player("p1")).await.unwrap();
    sb.remove(&q, &player("p1")).await.unwrap();
    sb.remove(&q, &player("nobody")).await.unwrap();
    assert_eq!(sb.count(&q).await.unwrap(), 2);
    let top = sb.top(&q, 0, 10).await.unwrap();
    assert_eq!(top[0].player, player("p2"));
    assert_eq!(top[0].standing.rank, 1);
    assert_eq!(sb.standing(&q, &player("p1")).await.unwrap(), None);
    assert!(sb.answers(&q, &player("p1")).await.unwrap().is_empty());
}

/// One player's standing, and "around me".
pub async fn standing_and_around_me<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-around");
    for i in 0..10u32 {
        sb.record(&answer(
            &q,
            &format!("p{i}"),
            "q0",
            true,
            10 * (i + 1),
            1_000,
        ))
        .await
        .unwrap();
    }
    let st = sb.standing(&q, &player("p7")).await.unwrap().unwrap();
    assert_eq!((st.rank, st.key.score()), (3, 80));
    assert!(sb.standing(&q, &player("nobody")).await.unwrap().is_none());

    let around = sb.around(&q, &player("p7"), 2).await.unwrap();
    let ids: Vec<String> = around.iter().map(|r| r.player.to_string()).collect();
    assert_eq!(ids, ["p9", "p8", "p7", "p6", "p5"]);
    assert_eq!(around[0].standing.rank, 1);

    let edge = sb.around(&q, &player("p0"), 2).await.unwrap();
    let ids: Vec<String> = edge.iter().map(|r| r.player.to_string()).collect();
    assert_eq!(ids, ["p2", "p1", "p0"]);
    assert!(
        sb.around(&q, &player("nobody"), 2)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Enrolling puts a player on the board at 0 once; again changes nothing.
pub async fn enroll_is_idempotent_and_keeps_scores<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-enroll");
    sb.enroll(&q, CREATED, &player("p1"), CREATED.plus_ms(100))
        .await
        .unwrap();
    sb.enroll(&q, CREATED, &player("p2"), CREATED.plus_ms(200))
        .await
        .unwrap();
    let top = sb.top(&q, 0, 10).await.unwrap();
    assert_eq!(scores(&top), [("p1".into(), 0, 1), ("p2".into(), 0, 2)]);

    sb.record(&answer(&q, "p2", "q0", true, 40, 1_000))
        .await
        .unwrap();
    sb.enroll(&q, CREATED, &player("p2"), CREATED.plus_ms(5_000))
        .await
        .unwrap();
    let st = sb.standing(&q, &player("p2")).await.unwrap().unwrap();
    assert_eq!((st.rank, st.key.score()), (1, 40));
    assert_eq!(sb.count(&q).await.unwrap(), 2);
}

/// The answered questions and their results.
pub async fn answers_lists_each_result<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-answers");
    assert!(sb.answers(&q, &player("p1")).await.unwrap().is_empty());
    sb.record(&answer(&q, "p1", "q0", true, 100, 1_000))
        .await
        .unwrap();
    sb.record(&answer(&q, "p1", "q3", false, 0, 2_000))
        .await
        .unwrap();
    let mut a = sb.answers(&q, &player("p1")).await.unwrap();
    a.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        a,
        [
            (
                question("q0"),
                AnswerResult {
                    correct: true,
                    points: 100,
                    streak: 1,
                    at: CREATED.plus_ms(1_000),
                    elapsed_ms: Some(1_000),
                }
            ),
            (
                question("q3"),
                AnswerResult {
                    correct: false,
                    points: 0,
                    streak: 0,
                    at: CREATED.plus_ms(2_000),
                    elapsed_ms: Some(2_000),
                }
            ),
        ]
    );
}

/// Rebuilding from archived standings replaces the board, keeps tie-break times, and
/// keeps the at-most-once rule and the streak for questions already answered.
pub async fn restore_replaces_the_board_and_keeps_dedupe<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-restore");
    sb.record(&answer(&q, "stale", "q0", true, 999, 1_000))
        .await
        .unwrap();
    let r0 = AnswerResult {
        correct: true,
        points: 100,
        streak: 1,
        at: CREATED.plus_ms(1_000),
        elapsed_ms: Some(900),
    };
    let r1 = AnswerResult {
        correct: true,
        points: 110,
        streak: 2,
        at: CREATED.plus_ms(2_000),
        elapsed_ms: None,
    };
    let standings = vec![
        ArchivedStanding {
            player: player("a"),
            name: name("Ann"),
            joined_at: CREATED,
            total: 210,
            answers: 2,
            reached_at: CREATED.plus_ms(2_000),
            results: vec![(question("q0"), r0), (question("q1"), r1)],
        },
        ArchivedStanding {
            player: player("b"),
            name: name("Ben"),
            joined_at: CREATED,
            total: 210,
            answers: 2,
            reached_at: CREATED.plus_ms(1_500),
            results: vec![(question("q0"), r0), (question("q1"), r1)],
        },
    ];
    sb.restore(&q, CREATED, &standings).await.unwrap();
    let top = sb.top(&q, 0, 10).await.unwrap();
    assert_eq!(scores(&top), [("b".into(), 210, 1), ("a".into(), 210, 2)]);
    let again = sb
        .record(&answer(&q, "a", "q1", true, 100, 9_000))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.result, r1);
    let mut next = answer(&q, "a", "q2", true, 100, 9_000);
    next.streak = Some(StreakBonus { step: 10, cap: 15 });
    let next = sb.record(&next).await.unwrap();
    assert_eq!(
        (
            next.result.streak,
            next.result.points,
            next.total,
            next.answers
        ),
        (3, 115, 325, 3)
    );
}

/// Two quizzes never see each other's players.
pub async fn quizzes_are_isolated<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q1 = unique_quiz("sb-iso1");
    let q2 = unique_quiz("sb-iso2");
    sb.record(&answer(&q1, "p1", "q0", true, 100, 1_000))
        .await
        .unwrap();
    let r = sb
        .record(&answer(&q2, "p1", "q0", true, 5, 1_000))
        .await
        .unwrap();
    assert!(!r.duplicate);
    assert_eq!(r.total, 5);
    assert_eq!(sb.count(&q1).await.unwrap(), 1);
    assert_eq!(sb.top(&q2, 0, 10).await.unwrap()[0].score(), 5);
}

/// 100 players answer 5 questions each, every answer sent twice, all at once: every total
/// is exact and every answer is counted once.
pub async fn concurrent_submitters_never_lose_or_double_an_increment<
    S: Scoreboard + ?Sized + 'static,
>(
    sb: Arc<S>,
) {
    const PLAYERS: u32 = 100;
    const QUESTIONS: u32 = 5;
    let q = unique_quiz("sb-conc");
    let mut tasks = Vec::new();
    for p in 0..PLAYERS {
        for copy in 0..2 {
            let sb = sb.clone();
            let q = q.clone();
            tasks.push(tokio::spawn(async move {
                let mut firsts = 0;
                for i in 0..QUESTIONS {
                    let a = answer(
                        &q,
                        &format!("p{p}"),
                        &format!("q{i}"),
                        true,
                        1 + p,
                        u64::from(i + copy),
                    );
                    if !sb.record(&a).await.unwrap().duplicate {
                        firsts += 1;
                    }
                }
                firsts
            }));
        }
    }
    let mut firsts = 0;
    for t in tasks {
        firsts += t.await.unwrap();
    }
    assert_eq!(
        firsts,
        PLAYERS * QUESTIONS,
        "each answer applied exactly once"
    );
    assert_eq!(sb.count(&q).await.unwrap(), u64::from(PLAYERS));
    let board = sb.top(&q, 0, u64::from(PLAYERS)).await.unwrap();
    for r in &board {
        let p: u32 = r.player.as_str()[1..].parse().unwrap();
        assert_eq!(
            r.score(),
            u64::from((1 + p) * QUESTIONS),
            "total of {}",
            r.player
        );
    }
    for p in 0..PLAYERS {
        assert_eq!(
            sb.answers(&q, &player(&format!("p{p}")))
                .await
                .unwrap()
                .len(),
            QUESTIONS as usize
        );
    }
}

/// 50 concurrent retries of one answer: exactly one applies.
pub async fn concurrent_retries_of_one_answer_apply_once<S: Scoreboard + ?Sized + 'static>(
    sb: Arc<S>,
) {
    let q = unique_quiz("sb-retry");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let sb = sb.clone();
            let q = q.clone();
            tokio::spawn(async move {
                sb.record(&answer(&q, "p1", "q0", true, 100, i))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.total, 100);
        if !r.duplicate {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
}

/// One `record_many` call with repeats, two and three answers of one player, and two
/// quizzes: each answer gets the result recording them one by one in that order would give.
pub async fn a_batch_records_in_order_each_with_its_own_result<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-batch");
    let other = unique_quiz("sb-batch-other");
    let bonus = Some(StreakBonus { step: 10, cap: 50 });
    let with_bonus = |mut a: quiz_core::AnswerRecord| {
        a.streak = bonus;
        a
    };
    let batch = vec![
        with_bonus(answer(&q, "p1", "q0", true, 100, 1_000)),
        with_bonus(answer(&q, "p2", "q0", false, 0, 1_100)),
        // p1 again, next question: the streak the first answer left grows.
        with_bonus(answer(&q, "p1", "q1", true, 100, 1_200)),
        // A repeat of p1's first answer (another option, later): a duplicate of it.
        with_bonus(answer(&q, "p1", "q0", false, 0, 1_300)),
        // The same player id in another quiz: a player of its own.
        with_bonus(answer(&other, "p1", "q0", true, 7, 1_400)),
        with_bonus(answer(&q, "p1", "q2", true, 100, 1_500)),
        // An exact repeat within the batch.
        with_bonus(answer(&q, "p2", "q0", false, 0, 1_100)),
    ];
    let results = sb.record_many(&batch).await;
    assert_eq!(results.len(), batch.len(), "one result per answer");
    let got: Vec<(bool, u32, u32, u64, u32, u64)> = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap_or_else(|e| panic!("answer {i} of the batch: {e}"));
            (
                r.duplicate,
                r.result.points,
                r.result.streak,
                r.total,
                r.answers,
                r.rank,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (false, 100, 1, 100, 1, 1),
            (false, 0, 0, 0, 1, 2),
            (false, 110, 2, 210, 2, 1),
            (true, 100, 1, 210, 2, 1),
            (false, 7, 1, 7, 1, 1),
            (false, 120, 3, 330, 3, 1),
            (true, 0, 0, 0, 1, 2),
        ],
        "(duplicate, points, streak, total, answers, rank) per answer"
    );
    // What the batch left is what one-by-one recording leaves.
    assert_eq!(
        scores(&sb.top(&q, 0, 10).await.unwrap()),
        vec![("p1".to_owned(), 330, 1), ("p2".to_owned(), 0, 2)]
    );
    assert_eq!(sb.answers(&q, &player("p1")).await.unwrap().len(), 3);
    assert_eq!(sb.answers(&q, &player("p2")).await.unwrap().len(), 1);
    assert_eq!(sb.count(&other).await.unwrap(), 1);
    // The batch's answers are deduplicated against later single records too.
    let again = sb
        .record(&answer(&q, "p1", "q1", true, 100, 9_000))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!((again.result.points, again.total), (110, 330));
    assert!(sb.record_many(&[]).await.is_empty());
}

/// An answer of a batch that is refused (its total would not fit the ranking's encoding)
/// fails alone: the answers before and after it are recorded, it changes nothing.
pub async fn a_refused_answer_in_a_batch_fails_alone<S: Scoreboard + ?Sized>(sb: Arc<S>) {
    let q = unique_quiz("sb-batch-refused");
    let max = u32::try_from(quiz_core::ranking::MAX_SCORE).unwrap();
    sb.record(&answer(&q, "full", "q0", true, max, 500))
        .await
        .unwrap();
    let batch = [
        answer(&q, "p1", "q0", true, 10, 1_000),
        answer(&q, "full", "q1", true, 1, 1_100),
        answer(&q, "p2", "q0", true, 20, 1_200),
    ];
    let results = sb.record_many(&batch).await;
    assert_eq!(results.len(), 3);
    let mut results = results.into_iter();
    let first = results.next().unwrap().unwrap();
    assert_eq!((first.duplicate, first.total), (false, 10));
    let refused = results.next().unwrap();
    assert!(
        matches!(
            refused,
            Err(quiz_core::ports::ScoreboardError::OutOfRange(_))
        ),
        "{refused:?}"
    );
    let last = results.next().unwrap().unwrap();
    assert_eq!((last.duplicate, last.total), (false, 20));
    let full = sb.answers(&q, &player("full")).await.unwrap();
    assert_eq!(full.len(), 1, "the refused answer recorded nothing");
    assert_eq!(sb.count(&q).await.unwrap(), 3);
}

/// Answers recorded concurrently from many tasks (which an adapter may gather into
/// batches) in one quiz and another: each player's answers keep their order (the streak
/// counts them in the order each task sent them), and nothing is lost or doubled.
pub async fn concurrent_players_keep_their_own_order<S: Scoreboard + ?Sized + 'static>(sb: Arc<S>) {
    const PLAYERS: u64 = 40;
    const QUESTIONS: u64 = 6;
    let quizzes = [unique_quiz("sb-order-a"), unique_quiz("sb-order-b")];
    let mut tasks = Vec::new();
    for p in 0..PLAYERS {
        let sb = sb.clone();
        let q = quizzes[usize::try_from(p % 2).unwrap()].clone();
        tasks.push(tokio::spawn(async move {
            let mut streaks = Vec::new();
            for i in 0..QUESTIONS {
                let mut a = answer(&q, &format!("p{p}"), &format!("q{i}"), true, 10, 100 * i);
                a.streak = Some(StreakBonus { step: 1, cap: 100 });
                streaks.push(sb.record(&a).await.unwrap().result.streak);
            }
            streaks
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), vec![1, 2, 3, 4, 5, 6]);
    }
    for q in &quizzes {
        assert_eq!(sb.count(q).await.unwrap(), PLAYERS / 2);
        for r in sb.top(q, 0, PLAYERS).await.unwrap() {
            // 6 × 10 points plus bonuses 0 + 1 + … + 5.
            assert_eq!(r.score(), 75, "{}", r.player);
        }
    }
}
