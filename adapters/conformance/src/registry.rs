//! Player-registry cases.

use std::collections::HashSet;
use std::sync::Arc;

use quiz_core::Timestamp;
use quiz_core::ports::{JoinError, PlayerRegistry};

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
