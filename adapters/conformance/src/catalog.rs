//! Quiz-catalog cases.

use std::sync::Arc;

use quiz_core::QuizStatus;
use quiz_core::ports::{CatalogError, QuizCatalog};

use crate::fixtures::{quiz, unique_quiz};

/// A stored quiz reads back equal and is listed.
pub async fn create_get_and_list<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-get");
    let qz = quiz(id.clone(), 3);
    cat.create(&qz).await.unwrap();
    assert_eq!(cat.get(&id).await.unwrap(), Some(qz));
    assert_eq!(cat.get(&unique_quiz("cat-none")).await.unwrap(), None);
    let listed = cat.list().await.unwrap();
    let mine = listed.iter().find(|s| s.id == id).expect("listed");
    assert_eq!((mine.questions, mine.status), (3, QuizStatus::Open));
    let ids: Vec<_> = listed.iter().map(|s| s.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "list is ordered by id");
}

/// Creating an existing id fails and leaves the stored quiz alone.
pub async fn create_never_overwrites<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-dup");
    cat.create(&quiz(id.clone(), 2)).await.unwrap();
    let again = cat.create(&quiz(id.clone(), 5)).await;
    assert!(
        matches!(again, Err(CatalogError::AlreadyExists)),
        "{again:?}"
    );
    assert_eq!(cat.get(&id).await.unwrap().unwrap().questions().len(), 2);
}

/// Closing and reopening; unknown ids are `NotFound`.
pub async fn status_changes_and_unknown_ids<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-status");
    cat.create(&quiz(id.clone(), 1)).await.unwrap();
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Open));
    cat.set_status(&id, QuizStatus::Closed).await.unwrap();
    assert_eq!(
        cat.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Closed
    );
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Closed));
    cat.set_status(&id, QuizStatus::Open).await.unwrap();
    assert_eq!(
        cat.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Open
    );
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Open));
    let unknown = unique_quiz("cat-missing");
    let missing = cat.set_status(&unknown, QuizStatus::Closed).await;
    assert!(
        matches!(missing, Err(CatalogError::NotFound)),
        "{missing:?}"
    );
    // Refusing the change left nothing behind.
    assert_eq!(cat.status(&unknown).await.unwrap(), None);
    assert_eq!(cat.get(&unknown).await.unwrap(), None);
}

/// The answer key and scoring policy are stored (the server needs them).
pub async fn answer_keys_survive_storage<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-key");
    let qz = quiz(id.clone(), 2);
    cat.create(&qz).await.unwrap();
    let back = cat.get(&id).await.unwrap().unwrap();
    assert_eq!(back.questions()[1].key, qz.questions()[1].key);
    assert_eq!(back.scoring(), qz.scoring());
    assert_eq!(back.created_at(), qz.created_at());
    // Every question type's key, the multi scoring and min_answer_ms too.
    let id = unique_quiz("cat-types");
    let qz = crate::fixtures::quiz_of_every_type(id.clone());
    cat.create(&qz).await.unwrap();
    let back = cat.get(&id).await.unwrap().unwrap();
    assert_eq!(back, qz);
    assert_eq!(back.min_answer_ms(), 500);
}
