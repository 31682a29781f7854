//! Player-registry cases.

use std::collections::HashSet;
use std::sync::Arc;

use quiz_core::ports::{JoinError, PlayerRegistry};
use quiz_core::{Player, PlayerId, Timestamp};

use crate::fixtures::{name, player, unique_quiz};

/// Ids are fresh and distinct; lookups and names work; counts are right.
pub async fn join_issues_distinct_ids_and_remembers_names<R: PlayerRegistry + ?Sized>(reg: Arc<R>) {
    let q = unique_quiz("reg-join");
    let a = reg
        .join(&q, &name("Ann"), Timestamp(10), 100)
        .await
        .unwrap();
    let b = reg
        .join(&q, &name("Ben"), Timestamp(20), 100)
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(
        (a.quiz.clone(), a.name.clone(), a.joined_at),
        (q.clone(), name("Ann"), Timestamp(10))
    );
    assert_eq!(reg.get(&q, &a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(reg.get(&q, &player("nobody")).await.unwrap(), None);
    let names = reg
        .names(&q, &[a.id.clone(), b.id.clone(), player("nobody")])
        .await
        .unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(names[&b.id], name("Ben"));
    assert_eq!(reg.count(&q).await.unwrap(), 2);
    assert_eq!(reg.count(&unique_quiz("reg-empty")).await.unwrap(), 0);
}

/// A name is taken case-insensitively, per quiz.
pub async fn names_are_unique_case_insensitively<R: PlayerRegistry + ?Sized>(reg: Arc<R>) {
    let q = unique_quiz("reg-name");
    reg.join(&q, &name("Ann"), Timestamp(1), 100).await.unwrap();
    let again = reg.join(&q, &name("aNN"), Timestamp(2), 100).await;
    assert!(matches!(again, Err(JoinError::NameTaken)), "{again:?}");
    assert_eq!(reg.count(&q).await.unwrap(), 1);
    let other = unique_quiz("reg-name2");
    assert!(
        reg.join(&other, &name("Ann"), Timestamp(3), 100)
            .await
            .is_ok()
    );
}

/// The player limit is enforced.
pub async fn a_full_quiz_refuses_joins<R: PlayerRegistry + ?Sized>(reg: Arc<R>) {
    let q = unique_quiz("reg-full");
    reg.join(&q, &name("One"), Timestamp(1), 2).await.unwrap();
    reg.join(&q, &name("Two"), Timestamp(2), 2).await.unwrap();
    let third = reg.join(&q, &name("Three"), Timestamp(3), 2).await;
    assert!(matches!(third, Err(JoinError::QuizFull)), "{third:?}");
    assert_eq!(reg.count(&q).await.unwrap(), 2);
}

/// 100 concurrent joins against a limit of 50: exactly 50 succeed, all ids distinct.
pub async fn concurrent_joins_respect_the_limit<R: PlayerRegistry + ?Sized + 'static>(reg: Arc<R>) {
    let q = unique_quiz("reg-conc");
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let reg = reg.clone();
            let q = q.clone();
            tokio::spawn(async move {
                reg.join(&q, &name(&format!("n{i}")), Timestamp(i), 50)
                    .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut full = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(p) => assert!(ids.insert(p.id)),
            Err(JoinError::QuizFull) => full += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ids.len(), full), (50, 50));
    assert_eq!(reg.count(&q).await.unwrap(), 50);
}

/// Restored players are found with their names and join times, their names are taken, and
/// later joins get ids none of them has; restoring again changes nothing.
pub async fn restore_reregisters_players_and_moves_the_id_counter<R: PlayerRegistry + ?Sized>(
    reg: Arc<R>,
) {
    let q = unique_quiz("reg-restore");
    // A player who joined before the restore, whose id an archived player also has (the
    // registry's store was lost, then someone joined before the rebuild): replaced.
    let early = reg
        .join(&q, &name("Early"), Timestamp(5), 100)
        .await
        .unwrap();
    let restored: Vec<Player> = [
        (early.id.clone(), "Ann", 10),
        (player("p2"), "Ben", 20),
        (player("p7"), "Cy", 30),
        (player("p40"), "Dee", 40),
        (player("guest-1"), "Eve", 50),
    ]
    .into_iter()
    .map(|(id, n, at): (PlayerId, &str, u64)| Player {
        quiz: q.clone(),
        id,
        name: name(n),
        joined_at: Timestamp(at),
    })
    .collect();
    reg.restore(&q, &restored).await.unwrap();

    let check = |stage: &'static str| {
        let reg = reg.clone();
        let q = q.clone();
        let restored = restored.clone();
        async move {
            for p in &restored {
                assert_eq!(
                    reg.get(&q, &p.id).await.unwrap().as_ref(),
                    Some(p),
                    "{stage}: {} is registered with its name and join time",
                    p.id
                );
            }
            let ids: Vec<PlayerId> = restored.iter().map(|p| p.id.clone()).collect();
            let names = reg.names(&q, &ids).await.unwrap();
            assert_eq!(names.len(), restored.len(), "{stage}");
            assert_eq!(names[&player("p7")], name("Cy"), "{stage}");
            for taken in ["ann", "BEN", "cY", "dee", "Eve"] {
                let again = reg.join(&q, &name(taken), Timestamp(60), 100).await;
                assert!(
                    matches!(again, Err(JoinError::NameTaken)),
                    "{stage}: {taken}: {again:?}"
                );
            }
        }
    };
    check("after the restore").await;
    assert_eq!(reg.count(&q).await.unwrap(), 5);

    let mut issued: HashSet<PlayerId> = restored.iter().map(|p| p.id.clone()).collect();
    let fresh = reg
        .join(&q, &name("Fay"), Timestamp(70), 100)
        .await
        .unwrap();
    assert!(
        issued.insert(fresh.id.clone()),
        "a new join got the restored id {}",
        fresh.id
    );
    assert_eq!(reg.count(&q).await.unwrap(), 6);

    // Restoring the same players again is harmless: the same entries, the new player kept,
    // and the next join still gets an id nobody has.
    reg.restore(&q, &restored).await.unwrap();
    check("after restoring again").await;
    assert_eq!(reg.get(&q, &fresh.id).await.unwrap(), Some(fresh.clone()));
    assert_eq!(reg.count(&q).await.unwrap(), 6);
    let later = reg
        .join(&q, &name("Gus"), Timestamp(80), 100)
        .await
        .unwrap();
    assert!(
        issued.insert(later.id.clone()),
        "a join after restoring again got the taken id {}",
        later.id
    );
    // The name of the replaced entry stays taken (names are only ever added).
    let early_again = reg.join(&q, &name("early"), Timestamp(90), 100).await;
    assert!(
        matches!(early_again, Err(JoinError::NameTaken)),
        "{early_again:?}"
    );

    // Nothing to restore is fine, and other quizzes are untouched.
    reg.restore(&q, &[]).await.unwrap();
    assert_eq!(reg.count(&q).await.unwrap(), 7);
    assert_eq!(
        reg.count(&unique_quiz("reg-restore-other")).await.unwrap(),
        0
    );
}
